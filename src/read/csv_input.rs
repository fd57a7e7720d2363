//! CSV records: header checks, then one `ByteRecord` per row with its
//! position; a row with the wrong number of fields becomes a broken record.

use std::collections::VecDeque;
use std::io::{self, Read};

use csv::{ByteRecord, ReaderBuilder};

use super::{RawBody, RawRecord, Stream};
use crate::error::CliError;

/// The most bytes reserved ahead for a record: one huge row must not make
/// every later record reserve as much.
const MAX_BYTES_HINT: usize = 64 * 1024;

/// Streams the rows of a CSV input.
pub struct CsvRecords {
    reader: csv::Reader<LineBreaks<Stream>>,
    width: usize,
    number: u64,
    done: bool,
    /// Bytes to reserve for the next record: the last one's size and a bit.
    bytes_hint: usize,
    /// Line breaks (LF, CRLF or a lone CR) before the last record placed.
    lf_before: u64,
}

/// The input as the csv reader sees it, noting where each CR and LF byte
/// is, so that records get the file's own line numbers and offsets.
///
/// The csv crate places a record where it began looking for it: after a
/// CRLF that is the LF (its `Position::line()` is then one line early), and
/// before blank lines it skipped. `CsvRecords::place` moves that to the
/// record's first byte. The queue holds only the breaks of bytes the csv
/// reader has buffered but not yet handed over as records.
pub struct LineBreaks<R> {
    inner: R,
    offset: u64,
    /// (byte offset, is LF) of every CR and LF not yet passed.
    breaks: VecDeque<(u64, bool)>,
}

impl<R: Read> Read for LineBreaks<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        // SIMD search: this runs over every byte of the input, on the
        // reader thread every other stage waits for.
        for i in memchr::memchr2_iter(b'\n', b'\r', &buf[..n]) {
            self.breaks
                .push_back((self.offset + i as u64, buf[i] == b'\n'));
        }
        self.offset += n as u64;
        Ok(n)
    }
}

impl CsvRecords {
    /// Reads and checks the header; returns the records and the column names.
    pub fn new(
        stream: Stream,
        delimiter: u8,
        label: &str,
    ) -> Result<(Self, Vec<String>), CliError> {
        let mut reader = ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(true)
            .buffer_capacity(256 * 1024)
            .from_reader(LineBreaks {
                inner: stream,
                offset: 0,
                breaks: VecDeque::new(),
            });
        let header = reader
            .byte_headers()
            .map_err(|e| CliError::usage(format!("{label}: cannot read the header row: {e}")))?
            .clone();
        let mut columns = Vec::with_capacity(header.len());
        for (i, raw) in header.iter().enumerate() {
            let name = std::str::from_utf8(raw).map_err(|_| {
                CliError::usage(format!(
                    "{label}: column {} of the header is not UTF-8 text\n\nSave the file as UTF-8 (in a spreadsheet: \"CSV UTF-8\") and try again.",
                    i + 1
                ))
            })?;
            let name = name.trim_start_matches('\u{feff}').trim().to_string();
            if let Some(first) = columns
                .iter()
                .position(|c: &String| c.eq_ignore_ascii_case(&name) && !name.is_empty())
            {
                return Err(CliError::usage(format!(
                    "{label}: column \"{name}\" appears twice in the header (columns {} and {})\n\nRename one of them so each column can be mapped unambiguously.",
                    first + 1,
                    i + 1
                )));
            }
            columns.push(name);
        }
        if columns.iter().all(|c| c.is_empty()) {
            return Err(CliError::usage(format!(
                "{label}: the first line is not a header row (it has no column names)"
            )));
        }
        let width = columns.len();
        Ok((
            CsvRecords {
                reader,
                width,
                number: 0,
                done: false,
                bytes_hint: 256,
                lf_before: 0,
            },
            columns,
        ))
    }

    /// The line (from 1) and byte offset of the record the csv crate placed
    /// at `byte`: its first byte is the first one from `byte` on that is not
    /// a CR or LF (a record never starts with one: a blank line is skipped,
    /// and a line break inside a field is inside quotes).
    fn place(&mut self, byte: u64) -> (u64, u64) {
        let breaks = &mut self.reader.get_mut().breaks;
        let mut start = byte;
        while let Some(&(at, lf)) = breaks.front() {
            if at > start {
                break;
            }
            if at == start {
                start += 1;
            }
            // A line ends at an LF, or at a CR that no LF follows (old Mac
            // files end lines with CR alone). The byte after a break before
            // the record's start has been read, so the pair is never split.
            let crlf = !lf && breaks.get(1) == Some(&(at + 1, true));
            if !crlf {
                self.lf_before += 1;
            }
            breaks.pop_front();
        }
        (self.lf_before + 1, start)
    }
}

impl Iterator for CsvRecords {
    type Item = RawRecord;

    fn next(&mut self) -> Option<RawRecord> {
        if self.done {
            return None;
        }
        // Sized like the last row: an empty record grows by doubling, a
        // reallocation or more for every field of every row.
        let mut rec = ByteRecord::with_capacity(self.bytes_hint, self.width);
        match self.reader.read_byte_record(&mut rec) {
            Ok(false) => {
                self.done = true;
                None
            }
            Ok(true) => {
                self.number += 1;
                let bytes = rec.as_slice().len();
                self.bytes_hint = (bytes + bytes / 4 + 16).min(MAX_BYTES_HINT);
                let byte = rec.position().map(|p| p.byte()).unwrap_or(0);
                let (line, offset) = self.place(byte);
                let body = if rec.len() != self.width {
                    let hint = if rec.len() < self.width {
                        "a field may hold an unclosed quote, or the row lost its last columns"
                    } else {
                        "a value may hold an unquoted delimiter; quote it"
                    };
                    RawBody::Broken {
                        rule: "row.field_count",
                        message: format!(
                            "row has {} fields, the header has {}; {hint}",
                            rec.len(),
                            self.width
                        ),
                        fields: rec
                            .iter()
                            .map(|f| String::from_utf8_lossy(f).into_owned())
                            .collect(),
                    }
                } else {
                    RawBody::Csv(rec)
                };
                Some(RawRecord {
                    number: self.number,
                    line,
                    offset,
                    body,
                    continued: Vec::new(),
                })
            }
            Err(e) => {
                // Only I/O errors reach here (bytes are read raw and the reader
                // is flexible): the rest of the input cannot be read.
                self.done = true;
                self.number += 1;
                // An I/O error has no record position: the line is where
                // reading stopped.
                let byte = match e.position() {
                    Some(p) => p.byte(),
                    None => self.reader.position().byte(),
                };
                let (line, offset) = self.place(byte);
                Some(RawRecord {
                    number: self.number,
                    line,
                    offset,
                    body: RawBody::Broken {
                        rule: "input.unreadable",
                        message: format!("the input could not be read past this point: {e}"),
                        fields: Vec::new(),
                    },
                    continued: Vec::new(),
                })
            }
        }
    }
}
