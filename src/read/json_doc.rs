//! JSON documents: one array of objects (`[{…},{…}]`), or one object holding
//! an array of objects (`{"customers":[…]}`, Shopify's Admin API export).
//! The bytes are scanned as they stream — strings, escapes and nesting
//! tracked — and each element is handed on as its own bytes, with the line
//! it starts on, to be parsed in parallel by mapping. Memory holds one
//! element at a time, however large the file, and at most
//! `--max-record-bytes` of it: a longer element is read on to its end
//! without being kept.
//!
//! Text after the end of the document is refused: a file is checked before
//! it is streamed ([`check_nothing_after`], exit 2); stdin, which cannot be
//! read twice, gets a last broken record naming the line.
//!
//! An input that cannot be read to its end (a corrupt or cut gzip stream,
//! EIO) is never taken for the end of the document: it ends with one
//! `input.unreadable` record naming the line where reading stopped, as the
//! CSV and JSONL readers do.

use std::io::{self, BufRead};

use serde::Deserialize;

use super::{RawBody, RawRecord, Stream};
use crate::error::CliError;

/// Where the scanner is in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before the first significant byte.
    Start,
    /// Inside the top-level object, looking for its first array value.
    Wrapper,
    /// Inside the array of records.
    Array,
    /// After the array's `]`: only white space (or, in a wrapper, the
    /// rest of the wrapper object) may follow.
    After,
    /// After the end of the document (or after an error): nothing more.
    Done,
}

/// Streams the elements of a JSON document's array of records.
pub struct JsonDocRecords<R: BufRead> {
    input: R,
    phase: Phase,
    /// Whether the array is inside a wrapper object (whose `}` ends the
    /// document) rather than the document itself.
    wrapped: bool,
    line: u64,
    offset: u64,
    number: u64,
    max_record_bytes: usize,
    /// Set when the element being read grew past `max_record_bytes`.
    overflow: bool,
    /// The read error that stopped the scan, until it is reported.
    failed: Option<io::Error>,
}

impl JsonDocRecords<Stream> {
    /// Records of the document read from `stream`; an element over
    /// `max_record_bytes` bytes is a violation, not kept.
    pub fn new(stream: Stream, max_record_bytes: usize) -> Self {
        Self::over(stream, max_record_bytes)
    }
}

impl<R: BufRead> JsonDocRecords<R> {
    /// Records of the document read from any buffered reader.
    pub fn over(input: R, max_record_bytes: usize) -> Self {
        JsonDocRecords {
            input,
            phase: Phase::Start,
            wrapped: false,
            line: 1,
            offset: 0,
            number: 0,
            max_record_bytes: max_record_bytes.max(1),
            overflow: false,
            failed: None,
        }
    }

    /// Adds `b` to the element being kept, unless it is over the limit.
    fn keep(&mut self, out: &mut Option<&mut Vec<u8>>, b: u8) {
        if let Some(o) = out.as_deref_mut() {
            if o.len() < self.max_record_bytes {
                o.push(b);
            } else {
                self.overflow = true;
            }
        }
    }

    /// The next byte, counting lines and offset; `None` at the end of the
    /// input, or after a read error, which is kept in `failed`.
    fn next_byte(&mut self) -> Option<u8> {
        let buf = loop {
            match self.input.fill_buf() {
                Ok(buf) => break buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.failed = Some(e);
                    return None;
                }
            }
        };
        let b = *buf.first()?;
        self.input.consume(1);
        self.offset += 1;
        if b == b'\n' {
            self.line += 1;
        }
        Some(b)
    }

    /// The next byte that is not white space (nor a UTF-8 BOM at the start).
    fn next_significant(&mut self) -> Option<u8> {
        loop {
            let b = self.next_byte()?;
            if b.is_ascii_whitespace() || (self.offset <= 3 && matches!(b, 0xEF | 0xBB | 0xBF)) {
                continue;
            }
            return Some(b);
        }
    }

    /// Reads the rest of a string whose opening quote was read.
    fn skip_string(&mut self, out: &mut Option<&mut Vec<u8>>) -> Option<()> {
        loop {
            let b = self.next_byte()?;
            self.keep(out, b);
            match b {
                b'\\' => {
                    let e = self.next_byte()?;
                    self.keep(out, e);
                }
                b'"' => return Some(()),
                _ => {}
            }
        }
    }

    /// Reads one value whose first byte `first` was read, into `out` when
    /// given; stops before a `,`, `]` or `}` that ends a scalar.
    fn value(&mut self, first: u8, mut out: Option<&mut Vec<u8>>) -> Option<u8> {
        self.keep(&mut out, first);
        match first {
            b'{' | b'[' => {
                let mut depth = 1usize;
                while depth > 0 {
                    let b = self.next_byte()?;
                    self.keep(&mut out, b);
                    match b {
                        b'"' => self.skip_string(&mut out)?,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => depth -= 1,
                        _ => {}
                    }
                }
                self.next_significant()
            }
            b'"' => {
                self.skip_string(&mut out)?;
                self.next_significant()
            }
            _ => loop {
                let b = self.next_byte()?;
                if b.is_ascii_whitespace() {
                    return self.next_significant();
                }
                if matches!(b, b',' | b']' | b'}') {
                    return Some(b);
                }
                self.keep(&mut out, b);
            },
        }
    }

    /// The record saying the input could not be read past `line`.
    fn unreadable(&mut self, error: &io::Error, number: u64, line: u64, offset: u64) -> RawRecord {
        self.phase = Phase::Done;
        RawRecord {
            number,
            line,
            offset,
            body: RawBody::Broken {
                rule: "input.unreadable",
                message: format!("the input could not be read past this point: {error}"),
                fields: Vec::new(),
            },
            continued: Vec::new(),
        }
    }

    fn broken(&mut self, message: &str) -> Option<RawRecord> {
        self.broken_as("input.invalid_json", message.to_string())
    }

    fn broken_as(&mut self, rule: &'static str, message: String) -> Option<RawRecord> {
        self.phase = Phase::Done;
        self.number += 1;
        Some(RawRecord {
            number: self.number,
            line: self.line,
            offset: self.offset,
            body: RawBody::Broken {
                rule,
                message,
                fields: Vec::new(),
            },
            continued: Vec::new(),
        })
    }

    /// After the array: the rest of a wrapper object, then only white
    /// space. Anything else is one broken record naming its line.
    fn after_array(&mut self) -> Option<RawRecord> {
        if self.wrapped {
            // `, "key": value` pairs until the wrapper's `}`.
            loop {
                match self.next_significant() {
                    Some(b'}') => break,
                    Some(b',') => {}
                    Some(b'"') => {
                        if self.skip_string(&mut None).is_none()
                            || self.next_significant() != Some(b':')
                        {
                            return self.broken("the top-level object is not valid JSON");
                        }
                        match self.next_significant() {
                            Some(v) => match self.value(v, None) {
                                Some(b',') => {}
                                Some(b'}') => break,
                                _ => return self.broken("the top-level object is not valid JSON"),
                            },
                            None => return self.broken("the document ended early"),
                        }
                    }
                    None => return self.broken("the document ended inside its top-level object"),
                    Some(_) => return self.broken("the top-level object is not valid JSON"),
                }
            }
        }
        match self.next_significant() {
            None => {
                self.phase = Phase::Done;
                None
            }
            Some(_) => self.broken_as(
                "input.trailing_text",
                "text follows the end of the JSON document; a JSON input is one document (an array of objects, or an object holding one): remove what follows it, or give one object per line as JSONL".into(),
            ),
        }
    }
}

impl<R: BufRead> Iterator for JsonDocRecords<R> {
    type Item = RawRecord;

    fn next(&mut self) -> Option<RawRecord> {
        // A read error found after a whole element, reported after it.
        if let Some(e) = self.failed.take() {
            self.number += 1;
            return Some(self.unreadable(&e, self.number, self.line, self.offset));
        }
        let record = self.step();
        let Some(e) = self.failed.take() else {
            return record;
        };
        // Reading stopped: the record in hand was cut short by it, unless it
        // is an element read whole before the error.
        match record {
            Some(r) if matches!(&r.body, RawBody::JsonLine(b) if is_whole(b)) => {
                self.phase = Phase::Done;
                self.failed = Some(e);
                Some(r)
            }
            Some(r) => Some(self.unreadable(&e, r.number, r.line, r.offset)),
            None => {
                self.number += 1;
                Some(self.unreadable(&e, self.number, self.line, self.offset))
            }
        }
    }
}

/// Whether `bytes` are one whole JSON value.
fn is_whole(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
}

impl<R: BufRead> JsonDocRecords<R> {
    /// The next record, scanning on from where the last one ended.
    fn step(&mut self) -> Option<RawRecord> {
        loop {
            match self.phase {
                Phase::Done => return None,
                Phase::After => return self.after_array(),
                Phase::Start => match self.next_significant() {
                    Some(b'[') => self.phase = Phase::Array,
                    Some(b'{') => {
                        self.phase = Phase::Wrapper;
                        self.wrapped = true;
                    }
                    None => {
                        self.phase = Phase::Done;
                        return None;
                    }
                    Some(_) => {
                        return self.broken(
                            "the document is neither an array of objects nor an object holding one",
                        );
                    }
                },
                Phase::Wrapper => {
                    // "key": value pairs until a value is an array.
                    let Some(b) = self.next_significant() else {
                        return self.broken("the document ended inside its top-level object");
                    };
                    match b {
                        b',' => continue,
                        b'}' => {
                            return self.broken("the top-level object holds no array of records");
                        }
                        b'"' => {
                            if self.skip_string(&mut None).is_none()
                                || self.next_significant() != Some(b':')
                            {
                                return self.broken("the top-level object is not valid JSON");
                            }
                            match self.next_significant() {
                                Some(b'[') => self.phase = Phase::Array,
                                Some(v) => {
                                    // Another value: skip it and read on.
                                    match self.value(v, None) {
                                        Some(b',') => continue,
                                        _ => {
                                            return self.broken(
                                                "the top-level object holds no array of records",
                                            );
                                        }
                                    }
                                }
                                None => return self.broken("the document ended early"),
                            }
                        }
                        _ => return self.broken("the top-level object is not valid JSON"),
                    }
                }
                Phase::Array => {
                    let Some(b) = self.next_significant() else {
                        return self
                            .broken("the document ended inside its array (a truncated file?)");
                    };
                    match b {
                        b',' => continue,
                        b']' => {
                            self.phase = Phase::After;
                            continue;
                        }
                        first => {
                            let line = self.line;
                            let offset = self.offset - 1;
                            let mut bytes = Vec::new();
                            self.overflow = false;
                            let after = self.value(first, Some(&mut bytes));
                            self.number += 1;
                            let body = if self.overflow {
                                RawBody::Broken {
                                    rule: "row.too_large",
                                    message: format!(
                                        "the element is longer than {} bytes (--max-record-bytes), so it was skipped; if one record is meant to be this long, raise --max-record-bytes",
                                        self.max_record_bytes
                                    ),
                                    fields: Vec::new(),
                                }
                            } else {
                                // Parsed (and judged) by mapping, like a JSONL line.
                                RawBody::JsonLine(bytes)
                            };
                            let record = RawRecord {
                                number: self.number,
                                line,
                                offset,
                                body,
                                continued: Vec::new(),
                            };
                            match after {
                                Some(b',') => {}
                                Some(b']') => self.phase = Phase::After,
                                // Truncated or garbled: this element is
                                // judged by its parse; nothing follows.
                                _ => self.phase = Phase::Done,
                            }
                            return Some(record);
                        }
                    }
                }
            }
        }
    }
}

/// Reads the whole document from `input` and refuses text after its end
/// (exit 2, naming the line). A document that is not valid JSON before its
/// end passes: the streaming reader reports that, element by element.
pub fn check_nothing_after(mut input: impl BufRead, label: &str) -> Result<(), CliError> {
    if input
        .fill_buf()
        .is_ok_and(|b| b.starts_with(b"\xEF\xBB\xBF"))
    {
        input.consume(3);
    }
    let mut de = serde_json::Deserializer::from_reader(input.by_ref());
    // Skipping a value keeps no string or element: memory stays flat.
    if serde::de::IgnoredAny::deserialize(&mut de).is_err() {
        return Ok(());
    }
    match de.end() {
        Ok(()) => Ok(()),
        // A read error (a corrupt gzip trailer) is not text after the end:
        // the streaming reader reports it as a violation naming its line.
        Err(e) if e.is_io() => Ok(()),
        Err(e) => Err(CliError::usage(format!(
            "{label}: line {}: text follows the end of the JSON document (column {})\n\nA JSON input is one document: an array of objects, or an object holding one. Remove what follows it; if the file holds one object per line, read it as JSONL (--format jsonl).",
            e.line(),
            e.column()
        ))),
    }
}

/// The keys of the first record objects in `head` (the start of the
/// document), for preset detection and the unmapped-columns report.
pub fn first_keys(head: &[u8]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for record in JsonDocRecords::over(head, super::DEFAULT_MAX_RECORD_BYTES).take(50) {
        if let RawBody::JsonLine(bytes) = record.body
            && let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(&bytes)
        {
            for k in map.keys() {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> Vec<RawRecord> {
        JsonDocRecords::over(text.as_bytes(), 1 << 20).collect()
    }

    fn json(r: &RawRecord) -> String {
        match &r.body {
            RawBody::JsonLine(b) => String::from_utf8_lossy(b).into_owned(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn an_array_of_objects_gives_one_record_per_object_with_its_line() {
        let r = records(
            "[\n  {\"email\": \"a@x.com\", \"tags\": [\"a]\", \"b\"]},\n  {\"email\": \"b\\\"@x.com\"}\n]\n",
        );
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].line, 2);
        assert_eq!(r[1].line, 3);
        assert_eq!(
            json(&r[0]),
            "{\"email\": \"a@x.com\", \"tags\": [\"a]\", \"b\"]}"
        );
        assert_eq!(json(&r[1]), "{\"email\": \"b\\\"@x.com\"}");
    }

    #[test]
    fn an_object_wrapping_an_array_gives_its_elements() {
        let r = records(
            "{\"count\": 2, \"meta\": {\"x\": [1]}, \"customers\": [{\"id\": 1}, {\"id\": 2}]}",
        );
        assert_eq!(
            r.iter().map(json).collect::<Vec<_>>(),
            vec!["{\"id\": 1}", "{\"id\": 2}"]
        );
    }

    #[test]
    fn an_empty_array_is_no_records_and_a_scalar_element_is_handed_on() {
        assert!(records(" [ ] ").is_empty());
        let r = records("[1, \"x\", {\"a\":1}]");
        assert_eq!(
            r.iter().map(json).collect::<Vec<_>>(),
            vec!["1", "\"x\"", "{\"a\":1}"]
        );
    }

    #[test]
    fn a_truncated_document_ends_with_a_record_that_fails_to_parse() {
        let r = records("[{\"a\":1}, {\"b\":");
        assert_eq!(r.len(), 2);
        assert!(serde_json::from_str::<serde_json::Value>(&json(&r[1])).is_err());
    }

    /// Gives `text`, then fails with `kind` (once `Interrupted`, then for
    /// good as EIO would); a small buffer so the error comes mid-scan.
    struct FailsAfter {
        text: Vec<u8>,
        at: usize,
        kind: io::ErrorKind,
    }

    impl io::Read for FailsAfter {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.at < self.text.len() {
                let n = buf.len().min(self.text.len() - self.at).min(4);
                buf[..n].copy_from_slice(&self.text[self.at..self.at + n]);
                self.at += n;
                return Ok(n);
            }
            let kind = self.kind;
            if kind == io::ErrorKind::Interrupted {
                self.kind = io::ErrorKind::Other;
                return Err(io::Error::new(kind, "interrupted"));
            }
            Err(io::Error::new(kind, "corrupt deflate stream"))
        }
    }

    fn records_failing_after(text: &str, kind: io::ErrorKind) -> Vec<RawRecord> {
        let input = io::BufReader::with_capacity(
            8,
            FailsAfter {
                text: text.as_bytes().to_vec(),
                at: 0,
                kind,
            },
        );
        JsonDocRecords::over(input, 1 << 20).collect()
    }

    fn unreadable(r: &RawRecord) -> Option<(u64, u64, &str)> {
        match &r.body {
            RawBody::Broken {
                rule: "input.unreadable",
                message,
                ..
            } => Some((r.number, r.line, message.as_str())),
            _ => None,
        }
    }

    #[test]
    fn a_read_error_inside_an_element_is_one_unreadable_record_on_that_elements_line() {
        let r = records_failing_after("[\n{\"a\": 1},\n{\"b\": \"cut", io::ErrorKind::InvalidInput);
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(json(&r[0]), "{\"a\": 1}");
        let (number, line, message) = unreadable(&r[1]).expect("the last record is unreadable");
        assert_eq!((number, line), (2, 3));
        assert!(message.contains("corrupt deflate stream"), "{message}");
    }

    #[test]
    fn a_read_error_after_the_closing_bracket_is_not_the_end_of_the_document() {
        // A gzip stream whose trailer is corrupt: the whole array decodes,
        // then the read fails. Before, that passed as a clean end.
        let r = records_failing_after("[\n{\"a\": 1}\n]", io::ErrorKind::InvalidData);
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(json(&r[0]), "{\"a\": 1}");
        assert_eq!(unreadable(&r[1]).map(|u| (u.0, u.1)), Some((2, 3)));
    }

    #[test]
    fn a_read_error_right_after_a_whole_element_keeps_the_element() {
        let r = records_failing_after("[{\"a\": 1}", io::ErrorKind::UnexpectedEof);
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(json(&r[0]), "{\"a\": 1}");
        assert_eq!(unreadable(&r[1]).map(|u| (u.0, u.1)), Some((2, 1)));
    }

    #[test]
    fn a_read_error_before_the_document_starts_is_unreadable_not_empty() {
        let r = records_failing_after("  ", io::ErrorKind::InvalidData);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(unreadable(&r[0]).map(|u| (u.0, u.1)), Some((1, 1)));
    }

    #[test]
    fn an_interrupted_read_is_retried() {
        // The reader fails with `Interrupted` once, then for good: the
        // retry reaches the real error rather than stopping on the first.
        let r = records_failing_after("[{\"a\": 1}]", io::ErrorKind::Interrupted);
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(json(&r[0]), "{\"a\": 1}");
        let (_, _, message) = unreadable(&r[1]).expect("the last record is unreadable");
        assert!(message.contains("corrupt deflate stream"), "{message}");
    }

    #[test]
    fn an_object_without_an_array_is_one_clear_broken_record() {
        let r = records("{\"a\": 1}");
        assert_eq!(r.len(), 1);
        assert!(matches!(r[0].body, RawBody::Broken { .. }));
    }
}
