//! JSONL records: one line per record, blank lines skipped, parsed later
//! (in parallel) by mapping.

use std::io::BufRead;

use super::{RawBody, RawRecord, Stream};

/// Streams the non-blank lines of a JSONL input.
pub struct JsonlRecords {
    stream: Stream,
    line: u64,
    offset: u64,
    number: u64,
    done: bool,
}

impl JsonlRecords {
    /// Records over `stream`, which starts at line 1, byte 0.
    pub fn new(stream: Stream) -> Self {
        JsonlRecords {
            stream,
            line: 0,
            offset: 0,
            number: 0,
            done: false,
        }
    }
}

impl Iterator for JsonlRecords {
    type Item = RawRecord;

    fn next(&mut self) -> Option<RawRecord> {
        while !self.done {
            let mut buf = Vec::new();
            let start = self.offset;
            match self.stream.read_until(b'\n', &mut buf) {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(n) => {
                    self.line += 1;
                    self.offset += n as u64;
                    let mut end = buf.len();
                    while end > 0 && buf[end - 1].is_ascii_whitespace() {
                        end -= 1;
                    }
                    let mut begin = 0;
                    if self.line == 1 && buf.starts_with(b"\xEF\xBB\xBF") {
                        begin = 3;
                    }
                    while begin < end && buf[begin].is_ascii_whitespace() {
                        begin += 1;
                    }
                    if begin >= end {
                        continue;
                    }
                    buf.truncate(end);
                    buf.drain(..begin);
                    self.number += 1;
                    return Some(RawRecord {
                        number: self.number,
                        line: self.line,
                        offset: start,
                        body: RawBody::JsonLine(buf),
                        continued: Vec::new(),
                    });
                }
                Err(e) => {
                    self.done = true;
                    self.number += 1;
                    return Some(RawRecord {
                        number: self.number,
                        line: self.line + 1,
                        offset: start,
                        body: RawBody::Broken {
                            rule: "input.unreadable",
                            message: format!("the input could not be read past this point: {e}"),
                            fields: Vec::new(),
                        },
                        continued: Vec::new(),
                    });
                }
            }
        }
        None
    }
}

/// The keys of the objects in `head` (the sniffed start of the input), in
/// order of first appearance, for preset detection and the unmapped-columns
/// report. JSONL lines need not all have the same keys, so every complete
/// object line of the head counts, not only the first; nested keys are not
/// listed.
pub fn first_object_keys(head: &[u8]) -> Vec<String> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let mut keys: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for line in head.split(|&b| b == b'\n') {
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        // A line that is not an object (or is cut off at the end of the
        // head) adds nothing; the reader reports it in its turn.
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(line) {
            for k in map.keys() {
                if seen.insert(k.clone()) {
                    keys.push(k.clone());
                }
            }
        }
    }
    keys
}
