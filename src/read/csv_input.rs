//! CSV records: header checks, then one [`CsvRow`] per row with its
//! line and offset. A row with the wrong number of fields, a row over the record
//! size limit, and a quote left open at the end of the file each become a
//! broken record naming the row's line.
//!
//! The rows are parsed by `csv_core` over the input's own buffer, so memory
//! holds one record at a time, bounded by `--max-record-bytes`: a row over
//! the limit is read on to its end without being kept. Blank lines, and
//! rows of empty cells (`,,,,`), are skipped here, counted but never
//! stored, so they cost nothing. A row of the common shapes that lies
//! whole in the buffer (no doubled quote, nothing after a closing quote)
//! is read field by field with SIMD searches instead ([`plain_row`]), to
//! the same bytes the parser would give; every other row goes to it.

use std::io::{self, BufRead};

use csv_core::{ReadRecordResult, Reader};

use super::{CsvRow, RawBody, RawRecord, Stream};
use crate::error::CliError;

/// Where the reader is in the input: bytes passed and line breaks passed.
///
/// A line ends at an LF, or at a CR that no LF follows (old Mac files end
/// lines with CR alone), so CRLF counts once.
#[derive(Debug, Default)]
struct Lines {
    /// Bytes passed, from the start of the (decompressed) input.
    offset: u64,
    /// Line breaks passed.
    breaks: u64,
    /// Offset of the last CR passed: an LF right after it ends the same line.
    last_cr: Option<u64>,
}

impl Lines {
    /// Notes `bytes`, the next bytes of the input, as passed: true when
    /// they hold a NUL byte (looked for in the same scan).
    fn pass(&mut self, bytes: &[u8]) -> bool {
        let mut nul = false;
        for i in memchr::memchr3_iter(b'\n', b'\r', 0, bytes) {
            let at = self.offset + i as u64;
            match bytes[i] {
                b'\r' => {
                    self.breaks += 1;
                    self.last_cr = Some(at);
                }
                b'\n' if !self.follows_cr(at) => self.breaks += 1,
                b'\n' => {}
                _ => nul = true,
            }
        }
        self.offset += bytes.len() as u64;
        nul
    }

    /// Notes `bytes`, the next bytes of the input, as passed, a byte at a
    /// time: for the few line breaks between rows (blank lines, or the LF
    /// of a row's CRLF).
    fn pass_breaks(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\r' {
                self.breaks += 1;
                self.last_cr = Some(self.offset);
            } else if b == b'\n' && !self.follows_cr(self.offset) {
                self.breaks += 1;
            }
            self.offset += 1;
        }
    }

    /// True when the byte at `at` comes right after a CR: an LF there ends
    /// the CR's line.
    fn follows_cr(&self, at: u64) -> bool {
        at > 0 && self.last_cr == Some(at - 1)
    }

    /// Notes `bytes`, which the parser has just read, as passed, given
    /// `lfs`, the LFs among them: `csv_core` counts every LF it reads (its
    /// `Reader::line`, kept by the DFA reader `CsvRecords` builds), so only
    /// the CRs are looked for, a scan per row rather than one per line
    /// break. They are looked for with NUL bytes, in the same scan: true
    /// when `bytes` hold a NUL.
    fn pass_parsed(&mut self, bytes: &[u8], lfs: u64) -> bool {
        // Each LF is a line break, each CR too, but CRLF is one.
        let mut breaks = lfs;
        if bytes.first() == Some(&b'\n') && self.follows_cr(self.offset) {
            breaks = breaks.saturating_sub(1);
        }
        let mut nul = false;
        for i in memchr::memchr2_iter(b'\r', 0, bytes) {
            if bytes[i] == 0 {
                nul = true;
                continue;
            }
            self.last_cr = Some(self.offset + i as u64);
            if bytes.get(i + 1) != Some(&b'\n') {
                breaks += 1;
            }
        }
        self.breaks += breaks;
        self.offset += bytes.len() as u64;
        nul
    }

    /// The line (from 1) the next byte is on.
    fn line(&self) -> u64 {
        self.breaks + 1
    }
}

/// How one row read ended.
enum Row {
    /// The row's fields, with its line and byte offset.
    Fields {
        line: u64,
        offset: u64,
        record: CsvRow,
        /// False when the row's input held no NUL byte, so its fields hold
        /// none (the parser copies input bytes, and adds none).
        may_hold_nul: bool,
    },
    /// The row was longer than the limit; it was read to its end, not kept.
    TooLarge { line: u64, offset: u64 },
    /// The file ended inside a quoted field of this row.
    UnclosedQuote {
        line: u64,
        offset: u64,
        record: CsvRow,
    },
}

/// Streams the rows of a CSV input.
pub struct CsvRecords {
    input: Stream,
    /// Boxed: its transition table is most of the struct's size.
    parser: Box<Reader>,
    lines: Lines,
    width: usize,
    /// How many of the header's last columns have no name (`a,b,c,,,`
    /// gives 3): a row may leave them out, as spreadsheets do.
    blank_tail: usize,
    /// The header's column names, for messages about one field.
    names: Vec<String>,
    number: u64,
    done: bool,
    max_record_bytes: usize,
    /// The unescaped bytes of the row being read (its length is the room
    /// the parser may write into).
    out: Vec<u8>,
    /// Where each field of the row being read ends in `out`.
    ends: Vec<usize>,
    /// Line and offset of the row being read, while it is read.
    row_start: Option<(u64, u64)>,
    /// The field delimiter.
    delimiter: u8,
    /// True once the header is read, when the delimiter lets rows of the
    /// common shapes be read without the parser ([`plain_row`]).
    plain_rows: bool,
    /// The fields' bytes of a row read by [`plain_row`].
    plain_data: Vec<u8>,
    /// Where each field of a row read by [`plain_row`] ends.
    plain_ends: Vec<usize>,
}

/// Room the parser starts with for a row's bytes and field ends.
const START_OUT: usize = 4 * 1024;
const START_ENDS: usize = 64;

impl CsvRecords {
    /// Reads and checks the header; returns the records and the column names.
    /// A row (header included) over `max_record_bytes` bytes is not kept.
    pub fn new(
        mut stream: Stream,
        delimiter: u8,
        max_record_bytes: usize,
        label: &str,
    ) -> Result<(Self, Vec<String>), CliError> {
        let mut lines = Lines::default();
        // The BOM is not part of the first column's name.
        if stream
            .fill_buf()
            .map_err(|e| CliError::usage(format!("{label}: cannot read it: {e}")))?
            .starts_with(b"\xEF\xBB\xBF")
        {
            stream.consume(3);
            lines.pass(b"\xEF\xBB\xBF");
        }
        // Excel's `sep=;` line names the delimiter (the caller has read it);
        // it is not the header, but it is a line of the file.
        let sep_line = stream
            .fill_buf()
            .map_err(|e| CliError::usage(format!("{label}: cannot read it: {e}")))?;
        if let Some((_, len)) = super::excel_sep_line(sep_line) {
            lines.pass(&sep_line[..len]);
            stream.consume(len);
        }
        let mut records = CsvRecords {
            input: stream,
            parser: Box::new(csv_core::ReaderBuilder::new().delimiter(delimiter).build()),
            lines,
            width: 0,
            blank_tail: 0,
            names: Vec::new(),
            number: 0,
            done: false,
            max_record_bytes: max_record_bytes.max(1),
            out: vec![0; START_OUT],
            ends: vec![0; START_ENDS],
            row_start: None,
            delimiter,
            plain_rows: false,
            plain_data: Vec::with_capacity(START_OUT),
            plain_ends: Vec::with_capacity(START_ENDS),
        };
        let header = match records.read_row() {
            Err(e) => {
                return Err(CliError::usage(format!(
                    "{label}: cannot read the header row: {e}"
                )));
            }
            Ok(None) => CsvRow::from_fields(Vec::<&[u8]>::new()),
            Ok(Some(Row::Fields { record, .. })) => record,
            Ok(Some(Row::TooLarge { .. })) => {
                return Err(CliError::usage(format!(
                    "{label}: the header row is longer than {} bytes (--max-record-bytes)\n\nIs this a CSV file? If its header really is that long, raise --max-record-bytes.",
                    records.max_record_bytes
                )));
            }
            Ok(Some(Row::UnclosedQuote { .. })) => {
                return Err(CliError::usage(format!(
                    "{label}: the header row opens a quote (\") that is never closed\n\nClose the quote in the header, or remove it."
                )));
            }
        };
        let mut columns = Vec::with_capacity(header.len());
        for (i, raw) in header.iter().enumerate() {
            let name = std::str::from_utf8(raw).map_err(|_| {
                CliError::usage(format!(
                    "{label}: column {} of the header is not UTF-8 text\n\nIf the file is Windows-1252 (Excel's plain \"CSV\" on Windows), read it with --encoding windows-1252; otherwise save it as UTF-8 (in a spreadsheet: \"CSV UTF-8\") and try again.",
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
        records.width = columns.len();
        // The header went through the parser, which strips a BOM only
        // before its first read; a row of the shapes `plain_row` reads is
        // read alike, byte for byte, by either. A delimiter that is a quote
        // or a line break is left to the parser.
        records.plain_rows = !matches!(delimiter, b'"' | b'\n' | b'\r');
        records.blank_tail = columns.iter().rev().take_while(|c| c.is_empty()).count();
        records.names = columns.clone();
        Ok((records, columns))
    }

    /// Passes the line breaks before the next row (blank lines), counting
    /// them; false at the end of the input.
    fn skip_line_breaks(&mut self) -> io::Result<bool> {
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                return Ok(false);
            }
            let n = buf
                .iter()
                .position(|&b| b != b'\n' && b != b'\r')
                .unwrap_or(buf.len());
            self.lines.pass_breaks(&buf[..n]);
            let more = n < buf.len();
            self.input.consume(n);
            if more {
                return Ok(true);
            }
        }
    }

    /// Reads the next row, or `None` at the end of the input.
    fn read_row(&mut self) -> io::Result<Option<Row>> {
        if !self.skip_line_breaks()? {
            return Ok(None);
        }
        let line = self.lines.line();
        let offset = self.lines.offset;
        self.row_start = Some((line, offset));
        if self.plain_rows
            && let Some(row) = self.read_plain_row(line, offset)
        {
            return Ok(Some(row));
        }
        // Bytes of the row written to `out`, field ends written to `ends`,
        // and input bytes the row took so far.
        let (mut nout, mut nend, mut taken) = (0usize, 0usize, 0usize);
        let mut too_large = false;
        // At the end of the input a LF is given to the parser first: it ends
        // the row, unless the row is inside a quoted field, where it is
        // copied as data. That tells an unclosed quote from a last row
        // without a line break.
        let mut probed = false;
        let mut unclosed = false;
        let mut may_hold_nul = false;
        // The last byte the row took: a line break that ended it is not
        // part of the row's size.
        let mut last = 0u8;
        loop {
            let buf = self.input.fill_buf()?;
            let at_end = buf.is_empty();
            let input: &[u8] = match (at_end, probed) {
                (false, _) => buf,
                (true, false) => b"\n",
                (true, true) => &[],
            };
            let lfs_before = self.parser.line();
            let (result, nin, n_out, n_end) =
                self.parser
                    .read_record(input, &mut self.out[nout..], &mut self.ends[nend..]);
            if !at_end {
                if nin > 0 {
                    last = buf[nin - 1];
                }
                let lfs = self.parser.line().saturating_sub(lfs_before);
                may_hold_nul |= self.lines.pass_parsed(&buf[..nin], lfs);
                self.input.consume(nin);
                taken += nin;
            } else if !probed && nin > 0 {
                probed = true;
                // The LF was copied: the file ended inside quotes.
                unclosed = n_out > 0;
            }
            nout += n_out;
            nend += n_end;
            if unclosed && n_out > 0 {
                // Not data of the row: the probe's LF.
                nout -= n_out;
            }
            // Room for the line break that ends the row; the exact size is
            // judged when the row ends.
            if taken > self.max_record_bytes + 1 {
                too_large = true;
            }
            match result {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    if too_large {
                        nout = 0;
                    } else {
                        let len = self.out.len() * 2;
                        self.out.resize(len, 0);
                    }
                }
                ReadRecordResult::OutputEndsFull => {
                    if too_large {
                        nend = 0;
                    } else {
                        let len = self.ends.len() * 2;
                        self.ends.resize(len, 0);
                    }
                }
                ReadRecordResult::Record => {
                    let ended_by_break = !probed && matches!(last, b'\n' | b'\r');
                    if too_large || taken - usize::from(ended_by_break) > self.max_record_bytes {
                        return Ok(Some(Row::TooLarge { line, offset }));
                    }
                    if unclosed && nend > 0 {
                        // The last field's end counted the probe's LF.
                        self.ends[nend - 1] = self.ends[nend - 1].saturating_sub(1);
                    }
                    // A row past 4 GiB (only with --max-record-bytes
                    // raised that far) cannot be indexed: too large.
                    let Some(record) = CsvRow::new(&self.out[..nout], &self.ends[..nend]) else {
                        return Ok(Some(Row::TooLarge { line, offset }));
                    };
                    return Ok(Some(if unclosed {
                        Row::UnclosedQuote {
                            line,
                            offset,
                            record,
                        }
                    } else {
                        Row::Fields {
                            line,
                            offset,
                            record,
                            may_hold_nul,
                        }
                    }));
                }
                ReadRecordResult::End => {
                    // Only reached with nothing of a row read (blank lines
                    // were passed above), so there is no row.
                    return Ok(None);
                }
            }
        }
    }

    /// The next row, read by [`plain_row`] from the input's buffer, when
    /// the whole of it is there, it is of a shape `plain_row` reads and it
    /// is within the size limit; `None` leaves the input as it was, for the
    /// parser.
    fn read_plain_row(&mut self, line: u64, offset: u64) -> Option<Row> {
        let buf = self.input.buffer();
        let taken = plain_row(
            buf,
            self.delimiter,
            &mut self.plain_data,
            &mut self.plain_ends,
        )?;
        // The line break that ended the row is not part of its size.
        if taken - 1 > self.max_record_bytes {
            return None;
        }
        let record = CsvRow::new(&self.plain_data, &self.plain_ends)?;
        let may_hold_nul = self.lines.pass(&buf[..taken]);
        self.input.consume(taken);
        Some(Row::Fields {
            line,
            offset,
            record,
            may_hold_nul,
        })
    }

    fn lossy(record: &CsvRow) -> Vec<String> {
        record
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect()
    }

    /// `record` at the header's width when only blanks differ: a row that
    /// ends with empty fields past the last column (a trailing delimiter),
    /// or that stops before the header's trailing unnamed columns (`a,b,c,`
    /// over rows `1,2,3`). Nothing is lost either way; `None` otherwise.
    fn fit_blanks(&self, record: &CsvRow) -> Option<CsvRow> {
        let n = record.len();
        if n > self.width && record.iter().skip(self.width).all(<[u8]>::is_empty) {
            return Some(CsvRow::from_fields(record.iter().take(self.width)));
        }
        if n < self.width && self.width - n <= self.blank_tail {
            let blanks = std::iter::repeat_n(&b""[..], self.width - n);
            return Some(CsvRow::from_fields(record.iter().chain(blanks)));
        }
        None
    }

    /// A row of the header's width as a record: its fields, unless one
    /// holds a NUL byte, which is no text any platform stores (the file
    /// was damaged, or is not all text). Only a row whose input held a NUL
    /// (`may_hold_nul`) is looked through for one.
    fn accept(&self, record: CsvRow, may_hold_nul: bool) -> RawBody {
        let nul = may_hold_nul.then(|| memchr::memchr(0, record.as_slice()));
        let Some(at) = nul.flatten() else {
            return RawBody::Csv(record);
        };
        let field = (0..record.len())
            .find(|&i| record.range(i).is_some_and(|r| r.contains(&at)))
            .unwrap_or(0);
        let column = match self.names.get(field).filter(|n| !n.is_empty()) {
            Some(name) => format!("column \"{name}\""),
            None => format!("column {}", field + 1),
        };
        RawBody::Broken {
            rule: "row.nul_byte",
            message: format!(
                "{column} holds a NUL byte (character 0), which is not text and which no platform stores; remove it (a NUL in a text file usually means the file was damaged or partly binary)"
            ),
            fields: Self::lossy(&record),
        }
    }

    /// The record a row becomes: its fields, or what is wrong with it.
    fn judge(&self, row: Row) -> (u64, u64, RawBody) {
        match row {
            Row::Fields {
                line,
                offset,
                record,
                may_hold_nul,
            } if record.len() != self.width => {
                if let Some(fitted) = self.fit_blanks(&record) {
                    return (line, offset, self.accept(fitted, may_hold_nul));
                }
                let hint = if record.len() < self.width {
                    "a field may hold an unclosed quote, or the row lost its last columns"
                } else {
                    "a value may hold an unquoted delimiter; quote it"
                };
                let body = RawBody::Broken {
                    rule: "row.field_count",
                    message: format!(
                        "row has {} fields, the header has {}; {hint}",
                        record.len(),
                        self.width
                    ),
                    fields: Self::lossy(&record),
                };
                (line, offset, body)
            }
            Row::Fields {
                line,
                offset,
                record,
                may_hold_nul,
            } => (line, offset, self.accept(record, may_hold_nul)),
            Row::UnclosedQuote {
                line,
                offset,
                record,
            } => {
                let body = RawBody::Broken {
                    rule: "row.unclosed_quote",
                    message: format!(
                        "a quote (\") opened in this row is never closed, so the file ends inside field {} of this row; close the quote, or double it (\"\") where it is meant as text",
                        record.len()
                    ),
                    fields: Self::lossy(&record),
                };
                (line, offset, body)
            }
            Row::TooLarge { line, offset } => {
                let body = RawBody::Broken {
                    rule: "row.too_large",
                    message: format!(
                        "the row is longer than {} bytes (--max-record-bytes), so it was skipped; a quote (\") left open makes a row run on over the lines after it; if the row is meant to be this long, raise --max-record-bytes",
                        self.max_record_bytes
                    ),
                    fields: Vec::new(),
                };
                (line, offset, body)
            }
        }
    }
}

/// Reads the row at the start of `buf` into `data` (its fields' bytes) and
/// `ends` (where each field ends), exactly as `csv_core` would (double
/// quotes, no escape, records ended by CR or LF), when every field is
/// either unquoted, or quoted with no quote doubled inside and the
/// delimiter or a line break right after its closing quote: the shapes of
/// nearly every row of an export, read here by a SIMD search per field
/// rather than by the parser's machine a byte at a time (issue 18).
/// Returns the bytes the row took, its line break included; `None` when
/// the row is of another shape, or does not end within `buf`, and the
/// parser must read it.
fn plain_row(
    buf: &[u8],
    delimiter: u8,
    data: &mut Vec<u8>,
    ends: &mut Vec<usize>,
) -> Option<usize> {
    data.clear();
    ends.clear();
    // Line breaks before a row are blank lines, which the parser passes.
    if matches!(buf.first(), Some(b'\n' | b'\r')) {
        return None;
    }
    let mut at = 0;
    loop {
        // Where the field stops: at the delimiter or the line break after it.
        let stop = if *buf.get(at)? == b'"' {
            let text = at + 1;
            let close = text + memchr::memchr(b'"', buf.get(text..)?)?;
            data.extend_from_slice(&buf[text..close]);
            let after = close + 1;
            // A quote doubled, or text after the closing quote, is the
            // parser's to read.
            if !matches!(*buf.get(after)?, b'\n' | b'\r') && buf[after] != delimiter {
                return None;
            }
            after
        } else {
            // A quote inside an unquoted field is text, to the parser too.
            let stop = at + memchr::memchr3(delimiter, b'\n', b'\r', buf.get(at..)?)?;
            data.extend_from_slice(&buf[at..stop]);
            stop
        };
        ends.push(data.len());
        if buf[stop] != delimiter {
            return Some(stop + 1);
        }
        at = stop + 1;
    }
}

impl Iterator for CsvRecords {
    type Item = RawRecord;

    fn next(&mut self) -> Option<RawRecord> {
        if self.done {
            return None;
        }
        let mut read = self.read_row();
        // A row of empty cells (`,,,,`: what a spreadsheet writes for a row
        // it was asked to clear) holds no data: it is passed like a blank
        // line, not made a record that would fail every required field.
        while let Ok(Some(Row::Fields { record, .. })) = &read
            && record.as_slice().iter().all(u8::is_ascii_whitespace)
        {
            self.row_start = None;
            read = self.read_row();
        }
        match read {
            Ok(None) => {
                self.done = true;
                None
            }
            Ok(Some(row)) => {
                self.row_start = None;
                self.number += 1;
                let (line, offset, body) = self.judge(row);
                Some(RawRecord {
                    number: self.number,
                    line,
                    offset,
                    body,
                    continued: Vec::new(),
                })
            }
            Err(e) => {
                // The rest of the input cannot be read: one record says so,
                // on the line where the row that could not be read began
                // (or where reading stopped, between rows).
                self.done = true;
                self.number += 1;
                let (line, offset) = self
                    .row_start
                    .take()
                    .unwrap_or((self.lines.line(), self.lines.offset));
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::{BufReader, Cursor};

    /// The records of `input`, read through a buffer of `capacity` bytes
    /// (small, so rows are read in several pieces).
    fn records(input: &[u8], capacity: usize) -> Vec<RawRecord> {
        records_read(input, capacity, true)
    }

    /// The records of `input`, read through a buffer of `capacity` bytes,
    /// with or without `plain_row` (without it the parser reads every row).
    fn records_read(input: &[u8], capacity: usize, plain: bool) -> Vec<RawRecord> {
        let stream: Stream =
            BufReader::with_capacity(capacity, Box::new(Cursor::new(input.to_vec())));
        let (mut records, _) = CsvRecords::new(stream, b',', 64, "test.csv").expect("a header");
        records.plain_rows &= plain;
        records.collect()
    }

    /// `csv_core`'s reading of the row at the start of `buf`, after a
    /// header row (so the parser strips no BOM): the bytes it took, the
    /// fields' bytes and their ends, or `None` when the row does not end
    /// within `buf`.
    fn parser_row(buf: &[u8], delimiter: u8) -> Option<(usize, Vec<u8>, Vec<usize>)> {
        let mut parser = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
        let (mut out, mut ends) = ([0u8; 1024], [0usize; 256]);
        let header = [b'h', delimiter, b'h', b'\n'];
        let (result, ..) = parser.read_record(&header, &mut out, &mut ends);
        assert!(matches!(result, ReadRecordResult::Record), "the header row");
        let (result, nin, nout, nend) = parser.read_record(buf, &mut out, &mut ends);
        matches!(result, ReadRecordResult::Record)
            .then(|| (nin, out[..nout].to_vec(), ends[..nend].to_vec()))
    }

    #[test]
    fn plain_rows_read_quoted_unquoted_and_empty_fields_and_leave_other_shapes() {
        let plain = |buf: &[u8]| {
            let (mut data, mut ends) = (Vec::new(), Vec::new());
            plain_row(buf, b',', &mut data, &mut ends).map(|n| (n, data, ends))
        };
        for row in [
            &b"\"a,b\",\"x\ny\",,z\"q\r\nnext"[..],
            b"\"\",\"\"\n",
            b",\n",
            b"\"\r\",\r",
        ] {
            assert_eq!(plain(row), parser_row(row, b','), "{}", row.escape_ascii());
            assert!(
                plain(row).is_some(),
                "{} is a plain row",
                row.escape_ascii()
            );
        }
        // A doubled quote, text after a closing quote, a row not ended in
        // the buffer: the parser's.
        for row in [&b"\"a\"\"b\"\n"[..], b"\"a\"b,c\n", b"a,b", b"\"a\n"] {
            assert_eq!(plain(row), None, "{}", row.escape_ascii());
        }
    }

    /// Bytes every shape of row is made of: text, an accent, the
    /// delimiter, quotes, line breaks, a NUL.
    fn shape_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                3 => Just(b'a'),
                1 => Just(0xC3u8),
                2 => Just(b','),
                2 => Just(b'"'),
                1 => Just(b'\n'),
                1 => Just(b'\r'),
                1 => Just(b';'),
                1 => Just(0u8),
            ],
            0..max,
        )
    }

    proptest! {
        #[test]
        fn a_plain_row_is_what_the_parser_reads(
            buf in shape_bytes(60),
            semicolon in any::<bool>(),
        ) {
            let delimiter = if semicolon { b';' } else { b',' };
            let (mut data, mut ends) = (Vec::new(), Vec::new());
            if let Some(n) = plain_row(&buf, delimiter, &mut data, &mut ends) {
                prop_assert_eq!(Some((n, data, ends)), parser_row(&buf, delimiter));
            }
        }

        #[test]
        fn records_are_the_same_with_plain_rows_or_the_parser_alone(
            body in shape_bytes(300),
            capacity in 1usize..80,
        ) {
            let mut input = b"a,b,c\n".to_vec();
            input.extend_from_slice(&body);
            let with = records_read(&input, capacity, true);
            let without = records_read(&input, capacity, false);
            prop_assert_eq!(format!("{with:?}"), format!("{without:?}"));
        }
    }

    #[test]
    fn rows_of_empty_cells_are_passed_like_blank_lines() {
        let input =
            b"email,name,city\r\na@x.com,Ann,Oslo\r\n,,\r\n , ,\t\r\n\r\nb@x.com,Bo,Rome\r\n,,\r\n";
        let got: Vec<(u64, u64, Vec<String>)> = records(input, 7)
            .into_iter()
            .map(|r| match r.body {
                RawBody::Csv(row) => (
                    r.number,
                    r.line,
                    row.iter()
                        .map(|f| String::from_utf8_lossy(f).into_owned())
                        .collect(),
                ),
                other => panic!("a broken record: {other:?}"),
            })
            .collect();
        let fields = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            got,
            [
                (1, 2, fields(&["a@x.com", "Ann", "Oslo"])),
                (2, 6, fields(&["b@x.com", "Bo", "Rome"])),
            ],
            "numbered without the empty rows, on their own lines"
        );
        // A row with one cell filled is a record, whatever else is empty.
        let one = records(b"email,name\n,Ann\n", 64);
        assert_eq!(one.len(), 1);
    }

    /// The line (from 1) of the byte at `offset`, counted the plain way:
    /// a line ends at an LF, or at a CR that no LF follows.
    fn line_at(input: &[u8], offset: u64) -> u64 {
        let before = &input[..offset as usize];
        let breaks = before
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'\r' || (b == b'\n' && (i == 0 || before[i - 1] != b'\r')))
            .count();
        breaks as u64 + 1
    }

    #[test]
    fn lines_count_lf_crlf_and_lone_cr_inside_and_between_rows() {
        let input = b"a,b\r\n1,\"x\ry\"\r\n\r\n2,\"p\nq\r\nr\"\n\r3,4\r5,\"\n\"\r\n";
        let found: Vec<(u64, u64)> = records(input, 4)
            .iter()
            .map(|r| (r.line, r.offset))
            .collect();
        assert_eq!(
            found,
            vec![(2, 5), (5, 16), (9, 28), (10, 32)],
            "line and offset of each row"
        );
    }

    #[test]
    fn a_nul_byte_is_found_in_any_field_and_only_there() {
        let input = b"a,b\n1,\"x\0\"\n2,3\n\0,4\n";
        let rules: Vec<&str> = records(input, 5)
            .iter()
            .map(|r| match &r.body {
                RawBody::Broken { rule, .. } => *rule,
                _ => "ok",
            })
            .collect();
        assert_eq!(rules, vec!["row.nul_byte", "ok", "row.nul_byte"]);
    }

    fn csv_bytes() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                Just(b'a'),
                Just(b','),
                Just(b'"'),
                Just(b'\n'),
                Just(b'\r'),
                Just(0u8),
            ],
            0..80,
        )
    }

    proptest! {
        #[test]
        fn each_row_is_on_the_line_its_offset_is_on(
            body in csv_bytes(),
            capacity in 1usize..16,
        ) {
            let mut input = b"a,b\n".to_vec();
            input.extend_from_slice(&body);
            for r in records(&input, capacity) {
                prop_assert_eq!(r.line, line_at(&input, r.offset), "row at offset {}", r.offset);
                if let RawBody::Csv(row) = &r.body {
                    prop_assert!(!row.as_slice().contains(&0), "a NUL went unseen at offset {}", r.offset);
                }
            }
        }
    }
}
