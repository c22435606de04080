//! The user names and passwords given for remote hosts, by URI, in this helper's memory only: never
//! written anywhere, never logged. A hub's (re)connects answer libvirt's auth callback from here, so a
//! host that restarts its libvirtd is logged into again without asking. Forgotten (and overwritten, see
//! `Secret`) when the host is removed or refuses them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::model::credentials::Credentials;
use crate::model::uri::Uri;
use crate::problem::{Problem, ProblemCode};

/// At most this many hosts' credentials at once (one per connection the helper may keep).
pub const MAX_LOGINS: usize = super::MAX_HUBS;

#[derive(Default)]
pub struct Logins {
    held: Mutex<HashMap<Uri, Arc<Credentials>>>,
}

impl Logins {
    pub fn get(&self, uri: &Uri) -> Option<Arc<Credentials>> {
        self.held.lock().unwrap().get(uri).cloned()
    }

    /// Holds `credentials` for `uri`, in place of any held before.
    pub fn hold(&self, uri: &Uri, credentials: Arc<Credentials>) -> Result<(), Problem> {
        let mut held = self.held.lock().unwrap();
        if !held.contains_key(uri) && held.len() >= MAX_LOGINS {
            return Err(Problem::new(
                ProblemCode::AccessDenied,
                format!("The helper already holds passwords for {MAX_LOGINS} hosts; remove some first"),
            ));
        }
        held.insert(uri.clone(), credentials);
        Ok(())
    }

    /// Forgets what is held for `uri`; true when something was.
    pub fn forget(&self, uri: &Uri) -> bool {
        self.held.lock().unwrap().remove(uri).is_some()
    }

    /// Forgets `used` for `uri` when it is still what is held (newer credentials stay).
    pub fn forget_refused(&self, uri: &Uri, used: &Arc<Credentials>) {
        let mut held = self.held.lock().unwrap();
        if held.get(uri).is_some_and(|now| Arc::ptr_eq(now, used)) {
            held.remove(uri);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(name: &str) -> Arc<Credentials> {
        Arc::new(Credentials::parse(name.into(), "secret".to_string()).unwrap())
    }

    #[test]
    fn logins_bounded_replaced_and_forgotten() {
        let logins = Logins::default();
        let uri = |i: usize| Uri::parse(&format!("qemu+tcp://127.0.0.{}/system", i % 250 + 2)).unwrap();
        let first = login("a");
        logins.hold(&uri(0), first.clone()).unwrap();
        let newer = login("b");
        logins.hold(&uri(0), newer.clone()).unwrap();
        // A refusal of the older ones leaves the newer.
        logins.forget_refused(&uri(0), &first);
        assert_eq!(logins.get(&uri(0)).unwrap().username(), "b");
        logins.forget_refused(&uri(0), &newer);
        assert!(logins.get(&uri(0)).is_none());

        let many: Vec<Uri> =
            (0..MAX_LOGINS).map(|i| Uri::parse(&format!("qemu+tcp://host{i}.example/system")).unwrap()).collect();
        for uri in &many {
            logins.hold(uri, login("u")).unwrap();
        }
        let err = logins.hold(&uri(1), login("u")).unwrap_err();
        assert_eq!(err.code, ProblemCode::AccessDenied);
        logins.hold(&many[0], login("again")).expect("replacing needs no room");
        assert!(logins.forget(&many[0]));
        assert!(!logins.forget(&many[0]));
        logins.hold(&uri(1), login("u")).expect("room again");
    }
}
