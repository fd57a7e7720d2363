//! Reading: opens an input (a path or `-` for stdin, gzip detected by its
//! magic bytes), decides its format (CSV or JSONL) and streams raw records,
//! each with its record number, the line it starts on and its byte offset.
//!
//! A row the reader cannot make sense of is not an error of the run: it
//! becomes a `RawBody::Broken` record that the pipeline reports as a
//! violation with its line. A file that is not what it claims (missing, a
//! directory, empty, binary) is one `CliError` with exit 2.

mod csv_input;
mod json_doc;
mod jsonl_input;
mod row;

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use flate2::read::MultiGzDecoder;

use crate::error::CliError;

pub use csv_input::CsvRecords;
pub use json_doc::JsonDocRecords;
pub use jsonl_input::JsonlRecords;
pub use row::CsvRow;

/// The input formats storeload reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Comma (or `;`, tab, `|`) separated values with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// One JSON document: an array of objects, or an object holding one.
    Json,
}

/// The text encoding of an input: UTF-8 (what every export names "CSV
/// UTF-8"), or Windows-1252, what Excel's plain "CSV" writes on Windows
/// (Latin-1 files read the same: WHATWG's encoding standard maps the
/// ISO-8859-1 label to it). A Windows-1252 input is decoded to UTF-8 as it
/// is read, by `encoding_rs`; a UTF-8 byte-order mark still wins.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize,
)]
pub enum Encoding {
    /// UTF-8 (a byte-order mark allowed).
    #[default]
    #[value(name = "utf-8", alias = "utf8")]
    #[serde(rename = "utf-8")]
    Utf8,
    /// Windows-1252 (also ISO-8859-1 / Latin-1).
    #[value(name = "windows-1252", alias = "cp1252", alias = "latin1")]
    #[serde(rename = "windows-1252")]
    Windows1252,
}

impl Encoding {
    /// True for UTF-8, the default (a plan omits it then).
    pub fn is_utf8(&self) -> bool {
        *self == Encoding::Utf8
    }
}

/// How to open an input; every field is optional and detected when absent.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Force a format instead of detecting it from the name or content.
    pub format: Option<Format>,
    /// Force a CSV delimiter instead of detecting it from the header line.
    pub delimiter: Option<u8>,
    /// The most bytes one record (a CSV row, a JSONL line, a JSON document's
    /// element) may take; a longer one is a violation and is skipped.
    /// `None`: [`DEFAULT_MAX_RECORD_BYTES`].
    pub max_record_bytes: Option<usize>,
    /// The input's text encoding.
    pub encoding: Encoding,
}

/// The default `--max-record-bytes`: 1 MiB, far above any real customer or
/// order, far below what would strain memory.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 1024 * 1024;

impl ReadOptions {
    /// The record size limit in force.
    pub fn max_record_bytes(&self) -> usize {
        self.max_record_bytes
            .unwrap_or(DEFAULT_MAX_RECORD_BYTES)
            .max(1)
    }
}

/// One record as read, before mapping.
#[derive(Debug, Clone)]
pub struct RawRecord {
    /// Record number, from 1; the CSV header is not a record.
    pub number: u64,
    /// Line of the input the record starts on, from 1.
    pub line: u64,
    /// Byte offset of the record's start in the (decompressed) input.
    pub offset: u64,
    /// The record's content.
    pub body: RawBody,
    /// Continuation rows that belong to this record (Magento: a row with a
    /// blank email adds an address to the customer above), in input order.
    pub continued: Vec<RawRecord>,
}

/// What a raw record holds.
#[derive(Debug, Clone)]
pub enum RawBody {
    /// A CSV row's fields, as bytes (checked for UTF-8 when mapped).
    Csv(CsvRow),
    /// A JSONL line, not yet parsed (parsing happens in parallel, in mapping).
    JsonLine(Vec<u8>),
    /// A row the reader could not read, with the rule and a sentence.
    Broken {
        /// Stable rule code, e.g. `row.field_count`.
        rule: &'static str,
        /// What is wrong and what to do.
        message: String,
        /// The row's fields as read, for the rejects file (lossy UTF-8).
        fields: Vec<String>,
    },
}

/// An opened input: what it is and the stream of its records.
pub struct Input {
    /// The path as given, or `stdin`.
    pub label: String,
    /// The path, or `None` for stdin.
    pub path: Option<PathBuf>,
    /// The format decided on.
    pub format: Format,
    /// Whether the bytes were gzip-compressed.
    pub gzip: bool,
    /// CSV delimiter (`None` for JSONL).
    pub delimiter: Option<u8>,
    /// The CSV header; for JSONL, the keys of the first object.
    pub columns: Vec<String>,
    /// The records, in input order.
    pub records: Records,
}

/// The stream of an input's records.
pub enum Records {
    /// Records of a CSV input.
    Csv(CsvRecords),
    /// Records of a JSONL input.
    Jsonl(JsonlRecords),
    /// Records of a JSON document's array.
    JsonDoc(JsonDocRecords<Stream>),
    /// CSV rows with continuation rows gathered under the row they follow.
    Continued(Box<Continued>),
}

impl Records {
    /// A stream with no records (what is left after the records were taken).
    pub fn empty() -> Self {
        Records::Jsonl(JsonlRecords::new(
            BufReader::new(Box::new(io::empty())),
            DEFAULT_MAX_RECORD_BYTES,
        ))
    }

    /// Gathers each row whose column `key` is blank under the row before it
    /// (its `continued`): Magento's layout, where a row with no email adds
    /// an address to the customer above. A continuation row with nothing
    /// before it stays a record of its own, which mapping refuses.
    pub fn continued(self, key: usize) -> Self {
        Records::Continued(Box::new(Continued {
            inner: self.peekable(),
            key,
        }))
    }
}

/// The grouping stream behind [`Records::continued`].
pub struct Continued {
    inner: std::iter::Peekable<Records>,
    key: usize,
}

impl Continued {
    /// True for a readable CSV row whose column `key` is blank.
    fn continues(key: usize, r: &RawRecord) -> bool {
        match &r.body {
            RawBody::Csv(rec) => rec
                .get(key)
                .is_none_or(|v| v.iter().all(u8::is_ascii_whitespace)),
            _ => false,
        }
    }

    fn next(&mut self) -> Option<RawRecord> {
        let mut first = self.inner.next()?;
        if Self::continues(self.key, &first) {
            return Some(first);
        }
        while let Some(next) = self.inner.peek() {
            if !Self::continues(self.key, next) {
                break;
            }
            if let Some(row) = self.inner.next() {
                first.continued.push(row);
            }
        }
        Some(first)
    }
}

impl Iterator for Records {
    type Item = RawRecord;

    fn next(&mut self) -> Option<RawRecord> {
        match self {
            Records::Csv(r) => r.next(),
            Records::Jsonl(r) => r.next(),
            Records::JsonDoc(r) => r.next(),
            Records::Continued(r) => r.next(),
        }
    }
}

/// The decompressed byte stream of an input, buffered so it can be sniffed.
pub type Stream = BufReader<Box<dyn Read + Send>>;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// How much of the start of an input is looked at to decide what it is.
const SNIFF_BYTES: usize = 64 * 1024;

/// Opens `input` (`-` for stdin) and returns its records, or one clear
/// error when it is not a readable CSV or JSONL file.
pub fn open(input: &str, options: &ReadOptions) -> Result<Input, CliError> {
    let (label, path, raw): (String, Option<PathBuf>, Box<dyn Read + Send>) = if input == "-" {
        ("stdin".into(), None, Box::new(io::stdin()))
    } else {
        let path = PathBuf::from(input);
        let file = open_file(&path)?;
        (input.to_string(), Some(path), Box::new(file))
    };
    // Where a JSON document's records are; stdin, read once, takes the
    // first array of its top-level object.
    let mut records_at = json_doc::RecordsAt::default();
    if let (Some(path), Some(Format::Json) | None) = (&path, options.format) {
        // A JSON document is streamed element by element, so text after its
        // end would show only at the end of the run; a file can be read
        // twice, so it is checked first (exit 2 before anything is sent),
        // and its array of records found among the arrays it holds.
        let (head, raw) = sniff(Box::new(open_file(path)?), &label)?;
        let (head, decoded): (Vec<u8>, Box<dyn Read + Send>) = if head.starts_with(&GZIP_MAGIC) {
            sniff(Box::new(MultiGzDecoder::new(raw)), &label)?
        } else {
            (head, raw)
        };
        if options.format == Some(Format::Json) || detect_format(Some(path), &head) == Format::Json
        {
            records_at = json_doc::survey(BufReader::with_capacity(SNIFF_BYTES, decoded), &label)?;
        }
    }
    open_reader(label, path, raw, options, &records_at)
}

/// Opens the input read from `raw`, named `label` in messages (`path`: the
/// file it comes from, if any) and returns its records, or one clear error
/// when it is not a readable CSV or JSON input. A JSON document's records
/// are read where `records_at` says.
pub fn open_reader(
    label: String,
    path: Option<PathBuf>,
    raw: Box<dyn Read + Send>,
    options: &ReadOptions,
    records_at: &json_doc::RecordsAt,
) -> Result<Input, CliError> {
    let max_record_bytes = options.max_record_bytes();
    let (head, raw) = sniff(raw, &label)?;
    if head.is_empty() {
        return Err(CliError::usage(format!(
            "{label}: the input is empty (0 bytes)\n\nstoreload expects a CSV file with a header row, or JSONL with one object per line."
        )));
    }
    let gzip = head.starts_with(&GZIP_MAGIC);
    let (head, decoded): (Vec<u8>, Box<dyn Read + Send>) = if gzip {
        sniff(Box::new(MultiGzDecoder::new(raw)), &label)?
    } else {
        (head, raw)
    };
    if head.is_empty() {
        return Err(CliError::usage(format!(
            "{label}: the compressed input holds no data"
        )));
    }
    // UTF-16 with its byte-order mark (a spreadsheet's "Unicode text", tab
    // separated) is decoded whatever `--encoding` says: the mark is
    // unambiguous. Decoding happens before anything looks at the text, so
    // detection, lines and rows all see UTF-8.
    let utf16 = head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF");
    let (head, decoded) = if utf16 || options.encoding == Encoding::Windows1252 {
        // The decoder follows a byte-order mark over the encoding given.
        let given =
            (options.encoding == Encoding::Windows1252).then_some(encoding_rs::WINDOWS_1252);
        sniff(
            Box::new(
                encoding_rs_io::DecodeReaderBytesBuilder::new()
                    .encoding(given)
                    .build(decoded),
            ),
            &label,
        )?
    } else {
        (head, decoded)
    };
    let stream: Stream = BufReader::with_capacity(SNIFF_BYTES, decoded);
    if let Some(at) = first_nul(&head) {
        let line = 1 + head[..at].iter().filter(|&&b| b == b'\n').count();
        return Err(CliError::usage(format!(
            "{label}: this is not a text file: line {line} holds a NUL byte (byte {at})\n\nstoreload reads CSV or JSONL, plain or gzip-compressed. If the file is text, remove the NUL byte from line {line}; a file saved as \"Unicode text\" or a spreadsheet (.xlsx) must be saved as \"CSV UTF-8\" first."
        )));
    }
    let named = path.as_deref().and_then(named_format);
    let format = match options.format {
        Some(f) => f,
        None => detect_format(path.as_deref(), &head),
    };
    if options.format.is_none() {
        check_content_matches_name(&label, named, &head)?;
    }
    match format {
        Format::Csv => {
            let delimiter = options
                .delimiter
                .or_else(|| excel_sep_line(&head).map(|(d, _)| d))
                .unwrap_or_else(|| detect_delimiter(&head));
            let (records, columns) = CsvRecords::new(stream, delimiter, max_record_bytes, &label)?;
            Ok(Input {
                label,
                path,
                format,
                gzip,
                delimiter: Some(delimiter),
                columns,
                records: Records::Csv(records),
            })
        }
        Format::Jsonl => {
            let first = first_non_blank(&head);
            if first == Some(b'[') && is_empty_json_array(&head) {
                // DECISIONS: an empty JSON array is 0 records, exit 0 (an
                // empty nightly delta is normal).
                return Ok(Input {
                    label,
                    path,
                    format,
                    gzip,
                    delimiter: None,
                    columns: Vec::new(),
                    records: Records::empty(),
                });
            }
            if first == Some(b'[') {
                return Err(CliError::usage(format!(
                    "{label}: this is a JSON array, not JSONL\n\nRead it as one JSON document with --format json (or leave --format out)."
                )));
            }
            let records = JsonlRecords::new(stream, max_record_bytes);
            let columns = jsonl_input::first_object_keys(&head);
            Ok(Input {
                label,
                path,
                format,
                gzip,
                delimiter: None,
                columns,
                records: Records::Jsonl(records),
            })
        }
        Format::Json => {
            let columns = json_doc::first_keys(&head, records_at);
            Ok(Input {
                label,
                path,
                format,
                gzip,
                delimiter: None,
                columns,
                records: Records::JsonDoc(JsonDocRecords::new(
                    stream,
                    max_record_bytes,
                    records_at,
                )),
            })
        }
    }
}

fn open_file(path: &Path) -> Result<File, CliError> {
    let shown = path.display();
    match std::fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(CliError::usage(format!("{shown}: no such file")));
        }
        Err(e) => return Err(CliError::usage(format!("{shown}: cannot read it: {e}"))),
        Ok(m) if m.is_dir() => {
            return Err(CliError::usage(format!(
                "{shown}: is a directory, not a file\n\nGive the path of a CSV or JSONL file, or - for stdin."
            )));
        }
        Ok(_) => {}
    }
    File::open(path).map_err(|e| CliError::usage(format!("{shown}: cannot open it: {e}")))
}

/// Reads up to `SNIFF_BYTES` from the start of `r` for detection and gives
/// back a reader that yields those bytes again, then the rest.
fn sniff(
    mut r: Box<dyn Read + Send>,
    label: &str,
) -> Result<(Vec<u8>, Box<dyn Read + Send>), CliError> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut r)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| CliError::usage(format!("{label}: cannot read it: {e}")))?;
    let again = io::Cursor::new(head.clone()).chain(r);
    Ok((head, Box::new(again)))
}

/// True when `head` is the whole input and it is `[]` (blanks allowed).
fn is_empty_json_array(head: &[u8]) -> bool {
    let start = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    head.len() < SNIFF_BYTES
        && matches!(
            serde_json::from_slice::<serde_json::Value>(start),
            Ok(serde_json::Value::Array(items)) if items.is_empty()
        )
}

/// Where the first NUL byte lies in the first 8 KiB of `head`: a text
/// file holds none (a binary file, or UTF-16 without its BOM, holds many).
fn first_nul(head: &[u8]) -> Option<usize> {
    let probe = &head[..head.len().min(8192)];
    memchr::memchr(0, probe)
}

/// Excel's `sep=;` first line, which names the delimiter of the rows after
/// it and is not a header: (the delimiter, the line's length with its line
/// break). `None` when the input (after a BOM) does not start with one.
pub(crate) fn excel_sep_line(head: &[u8]) -> Option<(u8, usize)> {
    let bom = if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let rest = &head[bom..];
    let prefix = rest.get(..4)?;
    if !prefix.eq_ignore_ascii_case(b"sep=") {
        return None;
    }
    let delimiter = *rest.get(4)?;
    if matches!(delimiter, b'\n' | b'\r' | b'"') {
        return None;
    }
    let brk = match rest.get(5..7) {
        Some(b"\r\n") => 2,
        _ => match rest.get(5) {
            Some(b'\n' | b'\r') => 1,
            _ => return None,
        },
    };
    Some((delimiter, 5 + brk))
}

/// The format a file's name claims (`.csv`, `.tsv`, `.txt` / `.jsonl`,
/// `.ndjson` / `.json`, a `.gz` suffix ignored); `None` for another name.
fn named_format(path: &Path) -> Option<Format> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    if [".csv", ".tsv", ".txt"].iter().any(|s| name.ends_with(s)) {
        Some(Format::Csv)
    } else if [".jsonl", ".ndjson"].iter().any(|s| name.ends_with(s)) {
        Some(Format::Jsonl)
    } else if name.ends_with(".json") {
        Some(Format::Json)
    } else {
        None
    }
}

/// One clear error when the content is plainly not what the file's name
/// says: JSON in a `.csv`, or a `.jsonl` whose first line is not JSON. Read
/// as its name says, such a file gives a header of JSON fragments or every
/// line as a broken record.
fn check_content_matches_name(
    label: &str,
    named: Option<Format>,
    head: &[u8],
) -> Result<(), CliError> {
    let first = first_non_blank(head);
    match named {
        Some(Format::Csv) if looks_like_json(head) => Err(CliError::usage(format!(
            "{label}: the name says CSV, but the content is JSON (it starts with '{}')\n\nRename the file to .json (a JSON array or object) or .jsonl (one object per line), or pass --format json or --format jsonl.",
            first.map(char::from).unwrap_or(' ')
        ))),
        Some(Format::Jsonl) if !matches!(first, Some(b'{' | b'[')) => {
            Err(CliError::usage(format!(
                "{label}: the name says JSONL, but line 1 is not a JSON object (JSONL has one {{...}} object per line)\n\nIf this is a CSV file, rename it to .csv or pass --format csv."
            )))
        }
        _ => Ok(()),
    }
}

/// True when `head` starts like JSON and not like a CSV header: a first
/// line that is a whole JSON object, or an array whose first item is an
/// object (or that is empty).
fn looks_like_json(head: &[u8]) -> bool {
    let start = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let trimmed = start.trim_ascii_start();
    match trimmed.first() {
        Some(b'[') => matches!(trimmed[1..].trim_ascii_start().first(), Some(b'{' | b']')),
        Some(b'{') => {
            let line = trimmed.split(|&b| b == b'\n').next().unwrap_or_default();
            matches!(
                serde_json::from_slice::<serde_json::Value>(line),
                Ok(serde_json::Value::Object(_))
            ) || serde_json::from_slice::<serde_json::Value>(trimmed).is_ok()
                || (head.len() >= SNIFF_BYTES && line.ends_with(b"{"))
        }
        _ => false,
    }
}

fn first_non_blank(head: &[u8]) -> Option<u8> {
    let start = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    start.iter().copied().find(|b| !b.is_ascii_whitespace())
}

/// Format from the file name (`.csv`, `.tsv`, `.txt` / `.jsonl`, `.ndjson`,
/// `.json`, ignoring a `.gz` suffix); otherwise from the first character.
fn detect_format(path: Option<&Path>, head: &[u8]) -> Format {
    match path.and_then(named_format) {
        Some(Format::Csv) => return Format::Csv,
        // The content decides for an array, whatever the name says.
        Some(Format::Jsonl) if first_non_blank(head) != Some(b'[') => return Format::Jsonl,
        _ => {}
    }
    match first_non_blank(head) {
        Some(b'[') => Format::Json,
        Some(b'{') if first_line_is_one_object_with_more_after(head) => Format::Jsonl,
        Some(b'{') => Format::Json,
        _ => Format::Csv,
    }
}

/// JSONL's shape: the first non-blank line is one whole JSON object and
/// more non-blank lines follow it.
fn first_line_is_one_object_with_more_after(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let mut lines = head
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace));
    let Some(first) = lines.next() else {
        return false;
    };
    matches!(
        serde_json::from_slice::<serde_json::Value>(first),
        Ok(serde_json::Value::Object(_))
    ) && lines.next().is_some()
}

/// Picks the delimiter that occurs most often, outside quotes, on the header
/// line: `,` `;` tab or `|`. A header of one column holds none: then the
/// first row's decides (so that rows of several fields under it are told
/// apart, not read as one value); `,` when neither holds any.
pub fn detect_delimiter(head: &[u8]) -> u8 {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let candidates = [b',', b';', b'\t', b'|'];
    let (counts, rest) = count_delimiters(head, &candidates);
    let counts = if counts.iter().all(|&n| n == 0) {
        let next = rest.trim_ascii_start();
        count_delimiters(next, &candidates).0
    } else {
        counts
    };
    let mut best = 0;
    for i in 1..4 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    candidates[best]
}

/// How often each of `candidates` occurs, outside quotes, on the first line
/// of `text`, and the text after that line.
fn count_delimiters<'a>(text: &'a [u8], candidates: &[u8; 4]) -> ([usize; 4], &'a [u8]) {
    let mut counts = [0usize; 4];
    let mut quoted = false;
    for (at, &b) in text.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => return (counts, &text[at..]),
            _ if !quoted => {
                if let Some(i) = candidates.iter().position(|&c| c == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    (counts, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_sep_line_gives_the_delimiter_and_the_length_to_skip() {
        assert_eq!(excel_sep_line(b"sep=;\r\nEmail;Name\r\n"), Some((b';', 7)));
        assert_eq!(
            excel_sep_line(b"\xEF\xBB\xBFSEP=|\nEmail|Name\n"),
            Some((b'|', 6))
        );
        assert_eq!(excel_sep_line(b"sep=\t\rEmail\tName\r"), Some((b'\t', 6)));
        // Not the line alone: a header that starts with "sep=", or no line.
        assert_eq!(excel_sep_line(b"sep=;x,Email\n"), None);
        assert_eq!(excel_sep_line(b"sep=\nEmail\n"), None);
        assert_eq!(excel_sep_line(b"sep=;"), None);
        assert_eq!(excel_sep_line(b"Email,sep=;\n"), None);
    }

    #[test]
    fn a_one_column_header_takes_the_delimiter_of_the_first_row() {
        assert_eq!(detect_delimiter(b"Email;Name\na@x.com;Ann\n"), b';');
        assert_eq!(detect_delimiter(b"Email\r\n\r\na@x.com;Ann;Lee\r\n"), b';');
        assert_eq!(detect_delimiter(b"Email\na@x.com\n"), b',');
        assert_eq!(detect_delimiter(b"Email"), b',');
        // The header decides when it has one.
        assert_eq!(detect_delimiter(b"Email,Name\na@x.com;Ann;Lee\n"), b',');
    }

    #[test]
    fn json_is_told_from_a_csv_header_by_its_first_line() {
        assert!(looks_like_json(b"[{\"email\":\"a@x.com\"}]"));
        assert!(looks_like_json(
            b"\xEF\xBB\xBF  [\n  {\"email\":\"a@x.com\"}\n]"
        ));
        assert!(looks_like_json(b"[]"));
        assert!(looks_like_json(
            b"{\"email\":\"a@x.com\"}\n{\"email\":\"b@x.com\"}\n"
        ));
        assert!(looks_like_json(b"{\n \"customers\": []\n}\n"));
        assert!(!looks_like_json(b"Email,Name\na@x.com,Ann\n"));
        assert!(!looks_like_json(b"[Email],[Name]\na@x.com,Ann\n"));
        assert!(!looks_like_json(b"{email},{name}\na@x.com,Ann\n"));
    }
}
