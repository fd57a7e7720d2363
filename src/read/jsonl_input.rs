//! JSONL records: one line per record, blank lines skipped, parsed later
//! (in parallel) by mapping. A line over the record size limit is read on
//! to its end without being kept: memory holds at most one line of the
//! limit's size, whatever the input.

use std::io::{self, BufRead};

use super::{RawBody, RawRecord, Stream};

/// Streams the non-blank lines of a JSONL input.
pub struct JsonlRecords {
    stream: Stream,
    line: u64,
    offset: u64,
    number: u64,
    done: bool,
    max_record_bytes: usize,
}

/// One line as read: its bytes (up to the limit) and its length in the input.
struct Line {
    bytes: Vec<u8>,
    len: usize,
}

impl JsonlRecords {
    /// Records over `stream`, which starts at line 1, byte 0; a line over
    /// `max_record_bytes` bytes is a violation, not kept.
    pub fn new(stream: Stream, max_record_bytes: usize) -> Self {
        JsonlRecords {
            stream,
            line: 0,
            offset: 0,
            number: 0,
            done: false,
            max_record_bytes: max_record_bytes.max(1),
        }
    }

    /// Reads the next line (up to its LF, included): its first
    /// `max_record_bytes + 2` bytes (room for a CRLF) are kept, the rest
    /// only counted.
    /// `None` at the end of the input.
    fn read_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<Line>> {
        buf.clear();
        let mut len = 0usize;
        loop {
            let chunk = self.stream.fill_buf()?;
            if chunk.is_empty() {
                return Ok((len > 0).then(|| Line {
                    bytes: std::mem::take(buf),
                    len,
                }));
            }
            let (n, ends) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            let room = (self.max_record_bytes + 2).saturating_sub(buf.len());
            buf.extend_from_slice(&chunk[..n.min(room)]);
            len += n;
            self.stream.consume(n);
            if ends {
                return Ok(Some(Line {
                    bytes: std::mem::take(buf),
                    len,
                }));
            }
        }
    }
}

impl Iterator for JsonlRecords {
    type Item = RawRecord;

    fn next(&mut self) -> Option<RawRecord> {
        let mut buf = Vec::new();
        while !self.done {
            let start = self.offset;
            match self.read_line(&mut buf) {
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Ok(Some(Line {
                    bytes: mut buf,
                    len,
                })) => {
                    self.line += 1;
                    self.offset += len as u64;
                    let content = buf
                        .strip_suffix(b"\n")
                        .map(|b| b.strip_suffix(b"\r").unwrap_or(b))
                        .unwrap_or(&buf)
                        .len();
                    if len > buf.len() || content > self.max_record_bytes {
                        self.number += 1;
                        return Some(RawRecord {
                            number: self.number,
                            line: self.line,
                            offset: start,
                            body: RawBody::Broken {
                                rule: "row.too_large",
                                message: format!(
                                    "the line is longer than {} bytes (--max-record-bytes), so it was skipped; if one record is meant to be this long, raise --max-record-bytes",
                                    self.max_record_bytes
                                ),
                                fields: Vec::new(),
                            },
                            continued: Vec::new(),
                        });
                    }
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
                    self.number += 1;
                    buf.truncate(end);
                    buf.drain(..begin);
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
