//! A channel id the helper will use: it becomes the channel line of every data frame we send,
//! so a `\n` in it would put our payload on another channel. Checked once where the bridge
//! names a channel (`open`), then carried as this type.

use std::borrow::Borrow;
use std::fmt;

/// Cockpit's ids are short (`1:2!3`); anything near this is not a real channel.
pub const MAX_CHANNEL_ID_BYTES: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelId(String);

impl ChannelId {
    /// Non-empty printable ASCII without spaces, at most [`MAX_CHANNEL_ID_BYTES`].
    pub fn parse(text: &str) -> Result<ChannelId, String> {
        if text.is_empty() {
            return Err("an empty channel id".into());
        }
        if text.len() > MAX_CHANNEL_ID_BYTES {
            return Err(format!("a channel id longer than {MAX_CHANNEL_ID_BYTES} bytes"));
        }
        if let Some(c) = text.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(format!("a channel id containing {c:?}"));
        }
        Ok(ChannelId(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for ChannelId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_id_refuses_what_would_break_framing() {
        assert_eq!(ChannelId::parse("1:2!3").unwrap().as_str(), "1:2!3");
        for bad in ["", "a\nb", "a\0", "a b", "\u{7f}", "é", &"x".repeat(MAX_CHANNEL_ID_BYTES + 1)] {
            assert!(ChannelId::parse(bad).is_err(), "{bad:?}");
        }
    }
}
