//! The fast path for the two lines that make up nearly every journal,
//! `sent` and `created` (with or without a sync run's `hash`), exactly as [`Journal`](super::Journal) writes them
//! (serde's field order, no escapes, no spaces). Anything else — escapes,
//! other field orders, whitespace, odd numbers — returns `None`, having added
//! no op, and the line goes through serde (`line.rs`), which
//! also reports its errors.

use super::entry::ms_time;
use super::ops::{Batch, Op};
use super::state::RecordState;

/// Parses a canonical `sent` or `created` line into `ops`.
pub(super) fn line(body: &[u8], b: &mut Batch) -> Option<()> {
    let mut c = Cur { b: body, i: 0 };
    let before = b.mark();
    let parsed = if c.lit(br#"{"type":"created","key":""#) {
        created(&mut c, b)
    } else if c.lit(br#"{"type":"sent","batch":"#) {
        sent(&mut c, b)
    } else {
        None
    };
    if parsed.is_none() {
        b.rollback(before);
    }
    parsed
}

fn created(c: &mut Cur<'_>, b: &mut Batch) -> Option<()> {
    let key = c.str()?;
    c.need(br#","record":"#)?;
    let record = c.u64()?;
    c.need(br#","line":"#)?;
    let line = c.u64()?;
    c.need(br#","id":""#)?;
    let id = c.str()?.to_owned();
    let email = if c.lit(br#","email":""#) {
        Some(c.str()?.to_owned())
    } else {
        None
    };
    let phone = if c.lit(br#","phone":""#) {
        Some(c.str()?.to_owned())
    } else {
        None
    };
    // A sync run's hash: the state reads it from the entry, not the replay.
    if c.lit(br#","hash":""#) {
        c.str()?;
    }
    c.need(b"}")?;
    c.end()?;
    let state = RecordState::Created {
        id,
        email,
        phone,
        record,
        line,
    };
    let key = b.key(key);
    b.ops.push(Op::Set(key, state));
    Some(())
}

fn sent(c: &mut Cur<'_>, b: &mut Batch) -> Option<()> {
    let batch = c.u64()?;
    c.need(br#","at":""#)?;
    let at = ms_time::parse(c.str()?).ok()?;
    c.need(br#","records":["#)?;
    if !c.lit(b"]") {
        loop {
            c.need(br#"{"key":""#)?;
            let key = c.str()?;
            c.need(br#","record":"#)?;
            let record = c.u64()?;
            c.need(br#","line":"#)?;
            let line = c.u64()?;
            c.need(b"}")?;
            let state = RecordState::Sent {
                at,
                record,
                line,
                batch,
            };
            let key = b.key(key);
            b.ops.push(Op::Set(key, state));
            if !c.lit(b",") {
                break;
            }
        }
        c.need(b"]")?;
    }
    c.need(b"}")?;
    c.end()
}

/// A cursor over one line.
struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cur<'a> {
    /// Consumes `s` if the line continues with it.
    fn lit(&mut self, s: &[u8]) -> bool {
        let found = self.b[self.i..].starts_with(s);
        if found {
            self.i += s.len();
        }
        found
    }

    /// Consumes `s`, or gives up on the line.
    fn need(&mut self, s: &[u8]) -> Option<()> {
        self.lit(s).then_some(())
    }

    /// The rest of a string whose opening quote was consumed, up to its
    /// closing quote; `None` at an escape or a control character (let
    /// serde unescape or refuse it) or invalid UTF-8.
    fn str(&mut self) -> Option<&'a str> {
        let rest = &self.b[self.i..];
        let end = rest
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
        if rest[end] != b'"' {
            return None;
        }
        let s = std::str::from_utf8(&rest[..end]).ok()?;
        self.i += end + 1;
        Some(s)
    }

    /// A JSON unsigned integer of at most 19 digits (always fits a u64),
    /// without a leading zero.
    fn u64(&mut self) -> Option<u64> {
        let rest = &self.b[self.i..];
        let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 19 || (n > 1 && rest[0] == b'0') {
            return None;
        }
        // A fraction or exponent is not an integer here: serde decides.
        if matches!(rest.get(n), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        self.i += n;
        Some(
            rest[..n]
                .iter()
                .fold(0u64, |v, &d| v * 10 + u64::from(d - b'0')),
        )
    }

    /// Succeeds at the end of the line.
    fn end(&self) -> Option<()> {
        (self.i == self.b.len()).then_some(())
    }
}
