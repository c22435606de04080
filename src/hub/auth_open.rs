//! Opening a remote libvirt with an auth callback, so a host that asks for a user name and password (SASL)
//! can be served. The callback answers at once from what the helper already holds for that URI and never
//! waits: without credentials it refuses, the open fails, and the page is told (`auth-needed`) to ask the
//! user, who sends them with op `connections`. Anything else libvirt asks for is refused.

use std::ffi::{CString, c_char, c_int, c_uint, c_void};

use virt::connect::Connect;
use virt::error::Error;
use virt_sys as sys;

use crate::model::credentials::Credentials;
use crate::model::uri::Uri;
use crate::problem::{Reason, is_access_error};

/// What the callback was asked, and how it answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// libvirt never called it (no SASL, or the failure came first).
    Nothing,
    /// Asked for credentials the helper does not hold.
    Missing,
    /// Answered with the held credentials.
    Answered,
    /// Asked for something else than a user name and password.
    Unsupported,
}

#[derive(Debug)]
pub struct OpenError {
    pub error: Error,
    pub asked: Asked,
}

impl OpenError {
    /// The reason code of a refused login: credentials needed, the given ones refused, or another refusal
    /// (an ssh key, a polkit rule). `None` when libvirt did not refuse a login.
    pub fn auth_reason(&self) -> Option<Reason> {
        if self.asked == Asked::Missing {
            return Some(Reason::AuthNeeded);
        }
        if !is_access_error(&self.error) {
            return None;
        }
        Some(if self.asked == Asked::Answered { Reason::CredentialsRefused } else { Reason::AuthFailed })
    }
}

impl From<Error> for OpenError {
    fn from(error: Error) -> OpenError {
        OpenError { error, asked: Asked::Nothing }
    }
}

/// The credential types libvirt may ask for (it tells SASL which prompts it can serve from this list).
const OFFERED: [c_int; 2] = [sys::VIR_CRED_AUTHNAME as c_int, sys::VIR_CRED_PASSPHRASE as c_int];

struct Exchange<'a> {
    credentials: Option<&'a Credentials>,
    asked: Asked,
}

/// Opens `uri` with the callback answering from `credentials`.
pub fn open(uri: &Uri, credentials: Option<&Credentials>) -> Result<Connect, OpenError> {
    let name = CString::new(uri.for_open()).expect("a parsed URI is printable ASCII");
    let mut offered = OFFERED;
    let mut exchange = Exchange { credentials, asked: Asked::Nothing };
    let mut auth = sys::virConnectAuth {
        credtype: offered.as_mut_ptr(),
        ncredtype: offered.len() as c_uint,
        cb: Some(answer),
        cbdata: (&mut exchange as *mut Exchange).cast(),
    };
    // libvirt calls `answer` on this thread, during the open only.
    let ptr = unsafe { sys::virConnectOpenAuth(name.as_ptr(), &mut auth, 0) };
    if ptr.is_null() {
        return Err(OpenError { error: Error::last_error(), asked: exchange.asked });
    }
    Ok(unsafe { Connect::from_ptr(ptr) })
}

/// What to answer to one credential type, or `None` to refuse.
fn answer_for(credentials: &Credentials, kind: c_int) -> Option<&[u8]> {
    match kind as sys::virConnectCredentialType {
        sys::VIR_CRED_AUTHNAME | sys::VIR_CRED_USERNAME => Some(credentials.username().as_bytes()),
        sys::VIR_CRED_PASSPHRASE => Some(credentials.password().as_bytes()),
        _ => None,
    }
}

unsafe extern "C" fn answer(creds: *mut sys::virConnectCredential, count: c_uint, data: *mut c_void) -> c_int {
    let exchange = unsafe { &mut *data.cast::<Exchange>() };
    let creds =
        if creds.is_null() { &mut [][..] } else { unsafe { std::slice::from_raw_parts_mut(creds, count as usize) } };
    let Some(credentials) = exchange.credentials else {
        exchange.asked = Asked::Missing;
        return -1;
    };
    // Every answer decided before any is handed over: a refusal leaves nothing half filled.
    let mut answers = Vec::with_capacity(creds.len());
    for cred in creds.iter() {
        match answer_for(credentials, cred.type_) {
            Some(answer) => answers.push(answer),
            None => {
                exchange.asked = Asked::Unsupported;
                return -1;
            }
        }
    }
    for (cred, answer) in creds.iter_mut().zip(answers) {
        // libvirt frees the result with free(): it must come from malloc.
        let buffer = unsafe { libc::malloc(answer.len() + 1) }.cast::<u8>();
        if buffer.is_null() {
            return -1;
        }
        unsafe {
            std::ptr::copy_nonoverlapping(answer.as_ptr(), buffer, answer.len());
            *buffer.add(answer.len()) = 0;
        }
        cred.result = buffer.cast::<c_char>();
        cred.resultlen = answer.len() as c_uint;
    }
    exchange.asked = Asked::Answered;
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn asked_for(kind: sys::virConnectCredentialType) -> sys::virConnectCredential {
        sys::virConnectCredential {
            type_: kind as c_int,
            prompt: c"?".as_ptr(),
            challenge: std::ptr::null(),
            defresult: std::ptr::null(),
            result: std::ptr::null_mut(),
            resultlen: 0,
        }
    }

    fn call(credentials: Option<&Credentials>, creds: &mut [sys::virConnectCredential]) -> (c_int, Asked) {
        let mut exchange = Exchange { credentials, asked: Asked::Nothing };
        let data = (&mut exchange as *mut Exchange).cast();
        let rc = unsafe { answer(creds.as_mut_ptr(), creds.len() as c_uint, data) };
        (rc, exchange.asked)
    }

    /// Takes a result over (libvirt would free it).
    fn result(cred: &sys::virConnectCredential) -> String {
        let text = unsafe { CStr::from_ptr(cred.result) }.to_str().unwrap().to_string();
        assert_eq!(cred.resultlen as usize, text.len());
        unsafe { libc::free(cred.result.cast()) };
        text
    }

    #[test]
    fn auth_callback_answers_name_and_password_and_refuses_the_rest() {
        let login = Credentials::parse("alice".into(), "pässword".to_string()).unwrap();
        let mut creds = [asked_for(sys::VIR_CRED_AUTHNAME), asked_for(sys::VIR_CRED_PASSPHRASE)];
        assert_eq!(call(Some(&login), &mut creds), (0, Asked::Answered));
        assert_eq!(result(&creds[0]), "alice");
        assert_eq!(result(&creds[1]), "pässword");

        // Nothing held: refused at once, so the page can ask.
        let mut creds = [asked_for(sys::VIR_CRED_AUTHNAME), asked_for(sys::VIR_CRED_PASSPHRASE)];
        assert_eq!(call(None, &mut creds), (-1, Asked::Missing));
        assert!(creds.iter().all(|c| c.result.is_null()));

        // Anything else refused, with nothing handed over.
        for other in [sys::VIR_CRED_REALM, sys::VIR_CRED_ECHOPROMPT, sys::VIR_CRED_NOECHOPROMPT, sys::VIR_CRED_EXTERNAL]
        {
            let mut creds = [asked_for(sys::VIR_CRED_AUTHNAME), asked_for(other)];
            assert_eq!(call(Some(&login), &mut creds), (-1, Asked::Unsupported));
            assert!(creds.iter().all(|c| c.result.is_null()));
        }
    }
}
