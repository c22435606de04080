//! Cockpit's stdio framing: `<len>\n<channel>\n<payload>`, where `len` counts the bytes of
//! `<channel>\n<payload>` in decimal ASCII. Control messages have an empty channel.
//!
//! [`FrameDecoder`] turns bytes as they arrive (any split, any number of frames per read) into
//! frames; [`encode`] does the reverse. Nothing here knows what a control message means.

use std::fmt;

/// The C parser in cockpit-ws accepts at most 8 length digits; we refuse the same.
const MAX_LENGTH_DIGITS: usize = 8;
/// Largest inbound frame we accept. Nothing legitimate from the bridge comes close.
pub const MAX_INBOUND_FRAME: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Empty for control messages.
    pub channel: String,
    pub payload: Vec<u8>,
}

impl Frame {
    pub fn is_control(&self) -> bool {
        self.channel.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// The length prefix is not 1–8 decimal digits followed by `\n` (or has a leading zero).
    BadLength(String),
    TooLarge(usize),
    /// The frame has no `\n` after the channel, or the channel is not UTF-8. The frame's length
    /// was valid, so the decoder skipped it and goes on.
    BadChannel,
}

impl FrameError {
    /// Whether nothing after this error can be trusted (a bad length loses the frame boundary).
    pub fn is_fatal(&self) -> bool {
        !matches!(self, FrameError::BadChannel)
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::BadLength(s) => write!(f, "invalid frame length prefix {s:?}"),
            FrameError::TooLarge(n) => write!(f, "frame of {n} bytes exceeds the limit"),
            FrameError::BadChannel => write!(f, "frame without a valid channel line"),
        }
    }
}

impl std::error::Error for FrameError {}

/// Accumulates bytes and yields whole frames. After a fatal error the stream cannot be resynchronised.
#[derive(Default)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    /// Start of unconsumed bytes in `buf`; compacted once per `push` so many small frames
    /// in one read don't cost a memmove each.
    start: usize,
}

impl FrameDecoder {
    pub fn new() -> FrameDecoder {
        FrameDecoder::default()
    }

    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete frame, `Ok(None)` if more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        let pending = &self.buf[self.start..];
        let Some(newline) = pending.iter().take(MAX_LENGTH_DIGITS + 1).position(|&b| b == b'\n') else {
            if pending.len() > MAX_LENGTH_DIGITS {
                return Err(FrameError::BadLength(lossy_prefix(pending)));
            }
            if !pending.iter().all(u8::is_ascii_digit) {
                return Err(FrameError::BadLength(lossy_prefix(pending)));
            }
            return Ok(None);
        };
        let digits = &pending[..newline];
        let valid = !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) && digits[0] != b'0';
        if !valid {
            return Err(FrameError::BadLength(lossy_prefix(digits)));
        }
        // At most 8 digits, so this cannot overflow.
        let length: usize = digits.iter().fold(0, |n, d| n * 10 + usize::from(d - b'0'));
        if length > MAX_INBOUND_FRAME {
            return Err(FrameError::TooLarge(length));
        }
        let body_start = newline + 1;
        if pending.len() < body_start + length {
            return Ok(None);
        }
        let body = &pending[body_start..body_start + length];
        let parsed = body.iter().position(|&b| b == b'\n').and_then(|channel_end| {
            let channel = std::str::from_utf8(&body[..channel_end]).ok()?;
            Some(Frame { channel: channel.to_string(), payload: body[channel_end + 1..].to_vec() })
        });
        // Consumed either way: the length told where the next frame starts.
        self.start += body_start + length;
        parsed.map(Some).ok_or(FrameError::BadChannel)
    }
}

fn lossy_prefix(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(16)]).into_owned()
}

/// One frame on the wire.
pub fn encode(channel: &str, payload: &[u8]) -> Vec<u8> {
    let length = channel.len() + 1 + payload.len();
    let mut out = Vec::with_capacity(length + 10);
    out.extend_from_slice(length.to_string().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(channel.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(decoder: &mut FrameDecoder) -> Result<Vec<Frame>, FrameError> {
        let mut frames = Vec::new();
        while let Some(frame) = decoder.next_frame()? {
            frames.push(frame);
        }
        Ok(frames)
    }

    #[test]
    fn frame_roundtrip_control_and_data() {
        let init = encode("", br#"{"command":"init","version":1}"#);
        assert_eq!(init, b"31\n\n{\"command\":\"init\",\"version\":1}".to_vec());
        let mut decoder = FrameDecoder::new();
        decoder.push(&init);
        decoder.push(&encode("1:2!1", b"{\"a\":1}\n"));
        let frames = decode_all(&mut decoder).unwrap();
        assert_eq!(frames.len(), 2);
        assert!(frames[0].is_control());
        assert_eq!(frames[1].channel, "1:2!1");
        assert_eq!(frames[1].payload, b"{\"a\":1}\n");
    }

    #[test]
    fn frame_split_at_every_byte() {
        let bytes = [encode("", b"{\"command\":\"ping\"}"), encode("ch", "héllo €".as_bytes())].concat();
        let mut decoder = FrameDecoder::new();
        let mut frames = Vec::new();
        for byte in &bytes {
            decoder.push(std::slice::from_ref(byte));
            frames.extend(decode_all(&mut decoder).unwrap());
        }
        assert_eq!(frames.len(), 2);
        // A multibyte character split across reads arrives whole.
        assert_eq!(frames[1].payload, "héllo €".as_bytes());
    }

    #[test]
    fn frame_many_in_one_read() {
        let bytes: Vec<u8> = (0..1000).flat_map(|i| encode(&format!("c{i}"), b"x")).collect();
        let mut decoder = FrameDecoder::new();
        decoder.push(&bytes);
        let frames = decode_all(&mut decoder).unwrap();
        assert_eq!(frames.len(), 1000);
        assert_eq!(frames[999].channel, "c999");
    }

    #[test]
    fn frame_bad_lengths() {
        let cases: &[&[u8]] =
            &[b"abc\n\n{}", b"0\n", b"012\n\n{}", b"-5\n\n{}", b"123456789\n", b"\n\n{}", b"1234567890"];
        for case in cases {
            let mut decoder = FrameDecoder::new();
            decoder.push(case);
            assert!(
                matches!(decoder.next_frame(), Err(FrameError::BadLength(_))),
                "{:?} should be a bad length",
                String::from_utf8_lossy(case)
            );
        }
    }

    #[test]
    fn frame_incomplete_length_waits() {
        let mut decoder = FrameDecoder::new();
        decoder.push(b"12");
        assert_eq!(decoder.next_frame(), Ok(None));
    }

    #[test]
    fn frame_too_large_and_missing_channel_line() {
        let mut decoder = FrameDecoder::new();
        decoder.push(b"99999999\n");
        assert_eq!(decoder.next_frame(), Err(FrameError::TooLarge(99_999_999)));
        let mut decoder = FrameDecoder::new();
        decoder.push(b"3\nabc");
        assert_eq!(decoder.next_frame(), Err(FrameError::BadChannel));
    }

    #[test]
    fn frame_bad_channel_is_skipped_and_the_next_frame_decodes() {
        let mut decoder = FrameDecoder::new();
        decoder.push(b"3\nabc3\n\xff\nx");
        decoder.push(&encode("ok", b"y"));
        assert_eq!(decoder.next_frame(), Err(FrameError::BadChannel));
        assert_eq!(decoder.next_frame(), Err(FrameError::BadChannel));
        assert!(!FrameError::BadChannel.is_fatal());
        assert_eq!(decoder.next_frame().unwrap().unwrap().channel, "ok");
    }

    use proptest::prelude::*;

    /// Random frames, cut into random pieces: the same frames come out.
    fn frames_and_cuts() -> impl Strategy<Value = (Vec<(String, Vec<u8>)>, Vec<usize>)> {
        let frame = ("[ -~]{0,10}", proptest::collection::vec(any::<u8>(), 0..300));
        (proptest::collection::vec(frame, 0..8), proptest::collection::vec(1usize..64, 0..40))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]
        #[test]
        fn frame_roundtrip_any_split((frames, cuts) in frames_and_cuts()) {
            let bytes: Vec<u8> = frames.iter().flat_map(|(c, p)| encode(c, p)).collect();
            let mut decoder = FrameDecoder::new();
            let mut out = Vec::new();
            let mut rest = &bytes[..];
            for cut in cuts.iter().chain(std::iter::once(&usize::MAX)) {
                let (piece, tail) = rest.split_at((*cut).min(rest.len()));
                decoder.push(piece);
                rest = tail;
                while let Some(frame) = decoder.next_frame().unwrap() {
                    out.push((frame.channel, frame.payload));
                }
            }
            prop_assert_eq!(out, frames);
        }

        /// Any bytes: frames, `None` or an error, never a panic, and never more payload than input.
        #[test]
        fn frame_decoder_never_panics(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..16)) {
            let mut decoder = FrameDecoder::new();
            let total: usize = chunks.iter().map(Vec::len).sum();
            let mut decoded = 0;
            'feed: for chunk in &chunks {
                decoder.push(chunk);
                loop {
                    match decoder.next_frame() {
                        Ok(Some(frame)) => decoded += frame.payload.len() + frame.channel.len(),
                        Ok(None) => break,
                        Err(err) if err.is_fatal() => break 'feed,
                        Err(_) => {}
                    }
                }
            }
            prop_assert!(decoded <= total);
        }
    }
}
