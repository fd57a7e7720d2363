//! JSON documents: one array of objects (`[{…},{…}]`), or one object holding
//! an array of objects (`{"customers":[…]}`, Shopify's Admin API export),
//! at its top or one object down (`{"data":{"customers":[…]}}`).
//! The bytes are scanned as they stream — strings, escapes and nesting
//! tracked — and each element is handed on as its own bytes, with the line
//! it starts on, to be parsed in parallel by mapping. Memory holds one
//! element at a time, however large the file, and at most
//! `--max-record-bytes` of it: a longer element is read on to its end
//! without being kept.
//!
//! A file is read once before it is streamed ([`survey`]): text after the
//! end of the document is refused (exit 2), and the array of records is
//! chosen among the object's arrays ([`RecordsAt`]: one named like records,
//! else the longest array of objects), so that a `links` or `errors` array
//! before the records is not taken for them. Stdin, which cannot be read
//! twice, takes the first array of the top-level object, and text after the
//! document gets a last broken record naming the line.
//!
//! An input that cannot be read to its end (a corrupt or cut gzip stream,
//! EIO) is never taken for the end of the document: it ends with one
//! `input.unreadable` record naming the line where reading stopped, as the
//! CSV and JSONL readers do.

use std::io::{self, BufRead};

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

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

/// What a document whose records cannot be found is told.
const NO_ARRAY: &str = "the top-level object holds no array of records (storeload reads an array of objects among its values, or one object down: {\"customers\":[…]} or {\"data\":{\"customers\":[…]}})";

/// Streams the elements of a JSON document's array of records.
pub struct JsonDocRecords<R: BufRead> {
    input: R,
    phase: Phase,
    /// Objects open around the array (0: the document is the array), each
    /// of whose `}` the document must still reach.
    wrapped: usize,
    /// The keys that lead to the array of records (see [`RecordsAt`]);
    /// empty: the first array of the top-level object.
    at: Vec<String>,
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
    /// Records of the document read from `stream`, in the array `at`
    /// leads to; an element over `max_record_bytes` bytes is a violation,
    /// not kept.
    pub fn new(stream: Stream, max_record_bytes: usize, at: &RecordsAt) -> Self {
        Self::over(stream, max_record_bytes).at(at)
    }
}

impl<R: BufRead> JsonDocRecords<R> {
    /// Records of the document read from any buffered reader.
    pub fn over(input: R, max_record_bytes: usize) -> Self {
        JsonDocRecords {
            input,
            phase: Phase::Start,
            wrapped: 0,
            at: Vec::new(),
            line: 1,
            offset: 0,
            number: 0,
            max_record_bytes: max_record_bytes.max(1),
            overflow: false,
            failed: None,
        }
    }

    /// The same records, read from the array `at` leads to.
    pub fn at(mut self, at: &RecordsAt) -> Self {
        self.at = at.keys.clone();
        self
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

    /// After the array: the rest of each wrapper object, then only white
    /// space. Anything else is one broken record naming its line.
    fn after_array(&mut self) -> Option<RawRecord> {
        for _ in 0..std::mem::take(&mut self.wrapped) {
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
    serde_json::from_slice::<IgnoredAny>(bytes).is_ok()
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
                        self.wrapped = 1;
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
                    // "key": value pairs until the array of records.
                    let Some(b) = self.next_significant() else {
                        return self.broken("the document ended inside its top-level object");
                    };
                    match b {
                        b',' => continue,
                        b'}' => {
                            return self.broken(NO_ARRAY);
                        }
                        b'"' => {
                            let mut key = Vec::new();
                            if self.skip_string(&mut Some(&mut key)).is_none()
                                || self.next_significant() != Some(b':')
                            {
                                return self.broken("the top-level object is not valid JSON");
                            }
                            // The key the records are under at this depth
                            // (any, without a survey), and whether the
                            // array is this key's value or further down.
                            let level = self.wrapped - 1;
                            let leads = self.at.get(level).is_none_or(|k| key_is(&key, k));
                            let last = level + 1 >= self.at.len();
                            match self.next_significant() {
                                Some(b'[') if leads && last => self.phase = Phase::Array,
                                Some(b'{') if leads && !last => self.wrapped += 1,
                                Some(v) => {
                                    // Another value: skip it and read on.
                                    match self.value(v, None) {
                                        Some(b',') => continue,
                                        _ => {
                                            return self.broken(NO_ARRAY);
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

/// Whether `raw`, a key's bytes as read after its opening quote (escapes
/// and the closing quote included), is `wanted`.
fn key_is(raw: &[u8], wanted: &str) -> bool {
    let mut quoted = Vec::with_capacity(raw.len() + 1);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    serde_json::from_slice::<String>(&quoted).is_ok_and(|k| k == wanted)
}

/// Where a JSON document's records are: the keys that lead to its array
/// of records from the top-level object (none: the document is the array,
/// or the first array of the top-level object is taken).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordsAt {
    /// The keys, outermost first (`["data", "customers"]`).
    pub keys: Vec<String>,
}

/// Keys that name an array of records, in exports and API responses
/// (compared without case): such an array of objects is taken before any
/// other, the top level's before one object down.
const RECORD_KEYS: &[&str] = &[
    "customers",
    "orders",
    "contacts",
    "subscribers",
    "members",
    "users",
    "people",
    "data",
    "items",
    "records",
    "results",
    "rows",
    "entries",
];

/// An array the survey found: the keys that lead to it, its length, and
/// whether it holds objects (an empty one may).
#[derive(Debug)]
struct Candidate {
    keys: Vec<String>,
    len: usize,
    objects: bool,
}

/// What one value is to the survey: an array (its length, and whether its
/// first element is an object), an object (the arrays found in it, down
/// to the depth asked), or anything else.
enum Probe {
    Array { len: usize, objects: bool },
    Object(Vec<Candidate>),
    Other,
}

/// Probes one value, looking for arrays `depth` objects down (0: an
/// object's values are skipped unread).
struct ProbeSeed {
    depth: u8,
}

impl<'de> DeserializeSeed<'de> for ProbeSeed {
    type Value = Probe;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Probe, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ProbeSeed {
    type Value = Probe;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Probe, A::Error> {
        // The first element says what the array holds; the rest are
        // skipped, keeping nothing (memory stays flat).
        let first = seq.next_element_seed(ProbeSeed { depth: 0 })?;
        let objects = matches!(first, None | Some(Probe::Object(_)));
        let mut len = usize::from(first.is_some());
        while seq.next_element::<IgnoredAny>()?.is_some() {
            len += 1;
        }
        Ok(Probe::Array { len, objects })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Probe, A::Error> {
        let mut found = Vec::new();
        if self.depth == 0 {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(Probe::Object(found));
        }
        while let Some(key) = map.next_key::<String>()? {
            match map.next_value_seed(ProbeSeed {
                depth: self.depth - 1,
            })? {
                Probe::Array { len, objects } => found.push(Candidate {
                    keys: vec![key],
                    len,
                    objects,
                }),
                Probe::Object(inner) => found.extend(inner.into_iter().map(|mut c| {
                    c.keys.insert(0, key.clone());
                    c
                })),
                Probe::Other => {}
            }
        }
        Ok(Probe::Object(found))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Probe, E> {
        Ok(Probe::Other)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Probe, E> {
        Ok(Probe::Other)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Probe, E> {
        Ok(Probe::Other)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Probe, E> {
        Ok(Probe::Other)
    }

    fn visit_str<E>(self, _: &str) -> Result<Probe, E> {
        Ok(Probe::Other)
    }

    fn visit_unit<E>(self) -> Result<Probe, E> {
        Ok(Probe::Other)
    }
}

/// The array of records among `found`: the first named like records (the
/// top level's first), else the longest array of objects (the first of
/// equals), else the top level's first array (its elements are judged one
/// by one, as they are).
fn choose(found: &[Candidate]) -> RecordsAt {
    let named = |c: &&Candidate| {
        c.objects
            && c.keys
                .last()
                .is_some_and(|k| RECORD_KEYS.contains(&k.to_ascii_lowercase().as_str()))
    };
    let pick = found
        .iter()
        .filter(named)
        .min_by_key(|c| c.keys.len())
        .or_else(|| {
            found
                .iter()
                .filter(|c| c.objects)
                .rev()
                .max_by_key(|c| c.len)
        })
        .or_else(|| found.iter().find(|c| c.keys.len() == 1));
    RecordsAt {
        keys: pick.map(|c| c.keys.clone()).unwrap_or_default(),
    }
}

/// Reads the whole document from `input`: refuses text after its end
/// (exit 2, naming the line) and says where its records are. A document
/// that is not valid JSON before its end passes, with no keys: the
/// streaming reader reports that, element by element.
pub fn survey(mut input: impl BufRead, label: &str) -> Result<RecordsAt, CliError> {
    if input
        .fill_buf()
        .is_ok_and(|b| b.starts_with(b"\xEF\xBB\xBF"))
    {
        input.consume(3);
    }
    let mut de = serde_json::Deserializer::from_reader(input.by_ref());
    // Skipped values keep no string or element: memory stays flat.
    let seed = ProbeSeed { depth: 2 };
    let found = match seed.deserialize(&mut de) {
        Ok(Probe::Object(found)) => found,
        Ok(_) => Vec::new(),
        Err(_) => return Ok(RecordsAt::default()),
    };
    match de.end() {
        Ok(()) => Ok(choose(&found)),
        // A read error (a corrupt gzip trailer) is not text after the end:
        // the streaming reader reports it as a violation naming its line.
        Err(e) if e.is_io() => Ok(choose(&found)),
        Err(e) => Err(CliError::usage(format!(
            "{label}: line {}: text follows the end of the JSON document (column {})\n\nA JSON input is one document: an array of objects, or an object holding one. Remove what follows it; if the file holds one object per line, read it as JSONL (--format jsonl).",
            e.line(),
            e.column()
        ))),
    }
}

/// The keys of the first record objects in `head` (the start of the
/// document; its records where `at` says), for preset detection and the
/// unmapped-columns report.
pub fn first_keys(head: &[u8], at: &RecordsAt) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for record in JsonDocRecords::over(head, super::DEFAULT_MAX_RECORD_BYTES)
        .at(at)
        .take(50)
    {
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

    /// Where `survey` finds the records of `text`.
    fn keys_of(text: &str) -> Vec<String> {
        survey(text.as_bytes(), "t.json")
            .expect("one document")
            .keys
    }

    #[test]
    fn the_survey_takes_the_array_named_like_records_else_the_longest_of_objects() {
        let cases: &[(&str, &[&str])] = &[
            (r#"[{"email":"a"}]"#, &[]),
            (r#"{"customers":[{"email":"a"}]}"#, &["customers"]),
            (
                r#"{"links":[{"rel":"next"}],"customers":[{"email":"a"}]}"#,
                &["customers"],
            ),
            (
                r#"{"meta":{"tags":[{"a":1}]},"data":{"total":2,"Customers":[{"email":"a"}]}}"#,
                &["data", "Customers"],
            ),
            (
                r#"{"data":[{"email":"a"}],"included":{"customers":[{"x":1}]}}"#,
                &["data"],
            ),
            (
                r#"{"links":[{"rel":"next"}],"list":[{"email":"a"},{"email":"b"}]}"#,
                &["list"],
            ),
            (
                r#"{"customers":[],"links":[{"rel":"next"}]}"#,
                &["customers"],
            ),
            (r#"{"ids":[1,2,3],"n":{"more":[4]}}"#, &["ids"]),
            (r#"{"a":1,"b":{"c":{"d":[{"email":"a"}]}}}"#, &[]),
            (r#"{"customers":[{"email":"a"}"#, &[]),
        ];
        for (text, want) in cases {
            assert_eq!(keys_of(text), want.to_vec(), "{text}");
        }
        assert!(
            survey(&b"[] x"[..], "t.json").is_err(),
            "text after the end"
        );
    }

    #[test]
    fn records_one_object_down_are_read_and_the_wrappers_closed() {
        let text = "{\"links\": [{\"rel\": \"next\"}],\n \"data\": {\"n\": [1], \"customers\": [\n  {\"email\": \"a@x.com\"},\n  {\"email\": \"b@x.com\"}\n ], \"more\": {\"x\": []}},\n \"z\": 3}\n";
        let at = survey(text.as_bytes(), "t.json").expect("one document");
        assert_eq!(at.keys, ["data", "customers"]);
        let r: Vec<RawRecord> = JsonDocRecords::over(text.as_bytes(), 1 << 20)
            .at(&at)
            .collect();
        let got: Vec<(u64, String)> = r.iter().map(|r| (r.line, json(r))).collect();
        assert_eq!(
            got,
            [
                (3, r#"{"email": "a@x.com"}"#.to_string()),
                (4, r#"{"email": "b@x.com"}"#.to_string())
            ]
        );
        assert_eq!(first_keys(text.as_bytes(), &at), ["email"]);
    }

    #[test]
    fn an_object_without_an_array_is_one_clear_broken_record() {
        let r = records("{\"a\": 1}");
        assert_eq!(r.len(), 1);
        assert!(matches!(r[0].body, RawBody::Broken { .. }));
    }
}
