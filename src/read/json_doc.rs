//! JSON documents: one array of objects (`[{…},{…}]`), or one object holding
//! an array of objects (`{"customers":[…]}`, Shopify's Admin API export).
//! The bytes are scanned as they stream — strings, escapes and nesting
//! tracked — and each element is handed on as its own bytes, with the line
//! it starts on, to be parsed in parallel by mapping. Memory holds one
//! element at a time, however large the file.

use std::io::BufRead;

use super::{RawBody, RawRecord, Stream};

/// Where the scanner is in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before the first significant byte.
    Start,
    /// Inside the top-level object, looking for its first array value.
    Wrapper,
    /// Inside the array of records.
    Array,
    /// After the array's `]` (or after an error): nothing more to give.
    Done,
}

/// Streams the elements of a JSON document's array of records.
pub struct JsonDocRecords<R: BufRead> {
    input: R,
    phase: Phase,
    line: u64,
    offset: u64,
    number: u64,
}

impl JsonDocRecords<Stream> {
    /// Records of the document read from `stream`.
    pub fn new(stream: Stream) -> Self {
        Self::over(stream)
    }
}

impl<R: BufRead> JsonDocRecords<R> {
    /// Records of the document read from any buffered reader.
    pub fn over(input: R) -> Self {
        JsonDocRecords {
            input,
            phase: Phase::Start,
            line: 1,
            offset: 0,
            number: 0,
        }
    }

    /// The next byte, counting lines and offset.
    fn next_byte(&mut self) -> Option<u8> {
        let buf = self.input.fill_buf().ok()?;
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
            if let Some(o) = out.as_deref_mut() {
                o.push(b);
            }
            match b {
                b'\\' => {
                    let e = self.next_byte()?;
                    if let Some(o) = out.as_deref_mut() {
                        o.push(e);
                    }
                }
                b'"' => return Some(()),
                _ => {}
            }
        }
    }

    /// Reads one value whose first byte `first` was read, into `out` when
    /// given; stops before a `,`, `]` or `}` that ends a scalar.
    fn value(&mut self, first: u8, mut out: Option<&mut Vec<u8>>) -> Option<u8> {
        if let Some(o) = out.as_deref_mut() {
            o.push(first);
        }
        match first {
            b'{' | b'[' => {
                let mut depth = 1usize;
                while depth > 0 {
                    let b = self.next_byte()?;
                    if let Some(o) = out.as_deref_mut() {
                        o.push(b);
                    }
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
                if let Some(o) = out.as_deref_mut() {
                    o.push(b);
                }
            },
        }
    }

    fn broken(&mut self, message: &str) -> Option<RawRecord> {
        self.phase = Phase::Done;
        self.number += 1;
        Some(RawRecord {
            number: self.number,
            line: self.line,
            offset: self.offset,
            body: RawBody::Broken {
                rule: "input.invalid_json",
                message: message.to_string(),
                fields: Vec::new(),
            },
            continued: Vec::new(),
        })
    }
}

impl<R: BufRead> Iterator for JsonDocRecords<R> {
    type Item = RawRecord;

    fn next(&mut self) -> Option<RawRecord> {
        loop {
            match self.phase {
                Phase::Done => return None,
                Phase::Start => match self.next_significant() {
                    Some(b'[') => self.phase = Phase::Array,
                    Some(b'{') => self.phase = Phase::Wrapper,
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
                            self.phase = Phase::Done;
                            return None;
                        }
                        first => {
                            let line = self.line;
                            let offset = self.offset - 1;
                            let mut bytes = Vec::new();
                            let after = self.value(first, Some(&mut bytes));
                            self.number += 1;
                            let record = RawRecord {
                                number: self.number,
                                line,
                                offset,
                                // Parsed (and judged) by mapping, like a JSONL line.
                                body: RawBody::JsonLine(bytes),
                                continued: Vec::new(),
                            };
                            match after {
                                Some(b',') => {}
                                Some(b']') => self.phase = Phase::Done,
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

/// The keys of the first record objects in `head` (the start of the
/// document), for preset detection and the unmapped-columns report.
pub fn first_keys(head: &[u8]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for record in JsonDocRecords::over(head).take(50) {
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
        JsonDocRecords::over(text.as_bytes()).collect()
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

    #[test]
    fn an_object_without_an_array_is_one_clear_broken_record() {
        let r = records("{\"a\": 1}");
        assert_eq!(r.len(), 1);
        assert!(matches!(r[0].body, RawBody::Broken { .. }));
    }
}
