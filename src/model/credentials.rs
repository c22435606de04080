//! A user name and password for a remote libvirt that asks through its auth callback (SASL). Parsed once
//! here: bounded, no NUL (libvirt hands them on as C strings), a name without control characters. The
//! password never prints (`Debug` hides it) and is overwritten when dropped.

use std::fmt;

/// Longest user name accepted, in bytes.
pub const MAX_USERNAME: usize = 256;
/// Longest password accepted, in bytes.
pub const MAX_PASSWORD: usize = 1024;

/// A password held only in memory; its bytes are overwritten when it is dropped.
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl From<String> for Secret {
    /// Takes the string's buffer over (no copy is left behind).
    fn from(text: String) -> Secret {
        Secret(text.into_bytes())
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
        String::deserialize(deserializer).map(Secret::from)
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // The whole allocation, including spare capacity; volatile so the writes are not optimized away.
        let spare = self.0.capacity();
        let start = self.0.as_mut_ptr();
        for i in 0..spare {
            unsafe { std::ptr::write_volatile(start.add(i), 0) };
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

#[derive(Debug)]
pub struct Credentials {
    username: String,
    password: Secret,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    #[error("Give a user name")]
    NoUsername,
    #[error("The user name is longer than {MAX_USERNAME} bytes")]
    UsernameTooLong,
    #[error("The user name holds a control character")]
    UsernameControl,
    #[error("Give a password")]
    NoPassword,
    #[error("The password is longer than {MAX_PASSWORD} bytes")]
    PasswordTooLong,
    #[error("The password holds a NUL character")]
    PasswordNul,
}

impl Credentials {
    /// Takes both over; a refused password is overwritten when dropped here.
    pub fn parse(username: String, password: impl Into<Secret>) -> Result<Credentials, CredentialsError> {
        let password = password.into();
        if username.is_empty() {
            return Err(CredentialsError::NoUsername);
        }
        if username.len() > MAX_USERNAME {
            return Err(CredentialsError::UsernameTooLong);
        }
        if username.chars().any(char::is_control) {
            return Err(CredentialsError::UsernameControl);
        }
        if password.0.is_empty() {
            return Err(CredentialsError::NoPassword);
        }
        if password.0.len() > MAX_PASSWORD {
            return Err(CredentialsError::PasswordTooLong);
        }
        if password.0.contains(&0) {
            return Err(CredentialsError::PasswordNul);
        }
        Ok(Credentials { username, password })
    }

    pub fn username(&self) -> &str {
        &self.username
    }

    pub fn password(&self) -> &Secret {
        &self.password
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_bounded_and_hidden() {
        let parse = |u: &str, p: &str| Credentials::parse(u.to_string(), p.to_string());
        let sent: Secret = serde_json::from_str("\"s\\u00e9cret\"").unwrap();
        assert_eq!(Credentials::parse("bob".into(), sent).unwrap().password().as_bytes(), "s\u{e9}cret".as_bytes());
        let ok = parse("alice", "pa ss\u{e9}").unwrap();
        assert_eq!(ok.username(), "alice");
        assert_eq!(ok.password().as_bytes(), "pa ss\u{e9}".as_bytes());
        assert!(!format!("{ok:?}").contains("pa ss"), "Debug never shows the password");
        assert!(parse(&"u".repeat(MAX_USERNAME), &"p".repeat(MAX_PASSWORD)).is_ok());
        let refused = [
            ("", "p", CredentialsError::NoUsername),
            (&*"u".repeat(MAX_USERNAME + 1), "p", CredentialsError::UsernameTooLong),
            ("a\nb", "p", CredentialsError::UsernameControl),
            ("a\0b", "p", CredentialsError::UsernameControl),
            ("alice", "", CredentialsError::NoPassword),
            ("alice", &*"p".repeat(MAX_PASSWORD + 1), CredentialsError::PasswordTooLong),
            ("alice", "a\0b", CredentialsError::PasswordNul),
        ];
        for (user, password, err) in refused {
            assert_eq!(parse(user, password).unwrap_err(), err, "{user:?}");
        }
    }
}
