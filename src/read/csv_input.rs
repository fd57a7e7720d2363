//! CSV records: header checks, then one `ByteRecord` per row with its
//! position; a row with the wrong number of fields becomes a broken record.

use csv::{ByteRecord, ReaderBuilder};

use super::{RawBody, RawRecord, Stream};
use crate::error::CliError;

/// Streams the rows of a CSV input.
pub struct CsvRecords {
    reader: csv::Reader<Stream>,
    width: usize,
    number: u64,
    done: bool,
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
            .from_reader(stream);
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
            },
            columns,
        ))
    }
}

impl Iterator for CsvRecords {
    type Item = RawRecord;

    fn next(&mut self) -> Option<RawRecord> {
        if self.done {
            return None;
        }
        let mut rec = ByteRecord::new();
        match self.reader.read_byte_record(&mut rec) {
            Ok(false) => {
                self.done = true;
                None
            }
            Ok(true) => {
                self.number += 1;
                let (line, offset) = rec
                    .position()
                    .map(|p| (p.line(), p.byte()))
                    .unwrap_or((0, 0));
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
                })
            }
            Err(e) => {
                // Only I/O errors reach here (bytes are read raw and the reader
                // is flexible): the rest of the input cannot be read.
                self.done = true;
                self.number += 1;
                let (line, offset) = e.position().map(|p| (p.line(), p.byte())).unwrap_or((0, 0));
                Some(RawRecord {
                    number: self.number,
                    line,
                    offset,
                    body: RawBody::Broken {
                        rule: "input.unreadable",
                        message: format!("the input could not be read past this point: {e}"),
                        fields: Vec::new(),
                    },
                })
            }
        }
    }
}
