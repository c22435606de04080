//! What every op that acts on one VM shares: the VM it names (connection URI plus UUID or name, from
//! the open), the wait for a hub that is still connecting, the domain lookup, and the one-result reply.
//! The lookup by UUID or name serves the `storage` and `network` ops too.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use virt::connect::Connect;
use virt::domain::Domain;

use super::{Context, OpResult};
use crate::hub::Hub;
use crate::model::uri::Uri;
use crate::problem::Problem;
use crate::router::channel::ChannelIo;

/// How long an op waits for a hub that is still (re)connecting before giving up.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// One VM on one connection, as an open names it: the URI already passed the allow-list (`Uri`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmTarget {
    pub uri: Uri,
    /// A UUID, or a name for anything that does not look like one.
    pub vm: String,
}

impl VmTarget {
    pub fn new(uri: Uri, vm: String) -> Result<VmTarget, Problem> {
        if vm.is_empty() {
            return Err(Problem::protocol("\"vm\" must not be empty"));
        }
        Ok(VmTarget { uri, vm })
    }

    /// The connection's hub; refused when the helper serves no more connections.
    pub fn hub(&self, ctx: &Context) -> Result<Arc<Hub>, Problem> {
        ctx.hubs.get(&self.uri)
    }

    /// The domain, by UUID when `vm` looks like one, otherwise by name; a missing VM is `not-found`.
    pub fn lookup(&self, conn: &Connect) -> Result<Domain, Problem> {
        lookup_domain(conn, &self.vm)
    }
}

/// By UUID when it looks like one, otherwise by name.
pub fn lookup_domain(conn: &Connect, vm: &str) -> Result<Domain, Problem> {
    // `Problem::from` maps VIR_ERR_NO_DOMAIN to not-found.
    by_uuid_or_name(vm, |uuid| conn.lookup_domain_by_uuid_string(uuid), |name| conn.lookup_domain_by_name(name))
}

/// A VM, pool or network named by `key`: by UUID when it looks like one (36 hex digits and dashes),
/// otherwise by name; libvirt's error becomes a `Problem` (a missing object: not-found).
pub fn by_uuid_or_name<T>(
    key: &str,
    by_uuid: impl FnOnce(&str) -> Result<T, virt::error::Error>,
    by_name: impl FnOnce(&str) -> Result<T, virt::error::Error>,
) -> Result<T, Problem> {
    let looks_like_uuid = key.len() == 36 && key.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    let found = if looks_like_uuid { by_uuid(key) } else { by_name(key) };
    found.map_err(Problem::from)
}

/// The shape of most one-VM ops: `ready`, one blocking libvirt call with the VM's domain on a worker,
/// a re-read of the VM (drivers without events, such as test:///, learn of our change this way), then
/// the call's answer as the channel's one message and a clean close. A failure closes with its problem
/// and sends nothing.
pub async fn reply_once<F>(mut io: ChannelIo, hub: Arc<Hub>, target: VmTarget, f: F) -> OpResult
where
    F: FnOnce(&Connect, &Domain) -> Result<Value, Problem> + Send + 'static,
{
    io.ready();
    let (uuid, answer) = hub
        .call(CONNECT_TIMEOUT, move |conn| {
            let domain = target.lookup(conn)?;
            let uuid = domain.uuid_string().map_err(Problem::from)?;
            Ok((uuid, f(conn, &domain)?))
        })
        .await?;
    hub.refresh(&uuid);
    io.send_json(&answer);
    Ok(Map::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_needs_a_vm() {
        let uri = || Uri::parse("test:///default").unwrap();
        assert!(VmTarget::new(uri(), "".into()).is_err());
        let target = VmTarget::new(uri(), "test".into()).unwrap();
        assert_eq!(target.vm, "test");
    }
}
