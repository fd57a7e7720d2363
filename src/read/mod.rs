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
    if let (Some(path), Some(Format::Json) | None) = (&path, options.format) {
        // A JSON document is streamed element by element, so text after its
        // end would show only at the end of the run; a file can be read
        // twice, so it is checked first (exit 2 before anything is sent).
        let (head, raw) = sniff(Box::new(open_file(path)?), &label)?;
        let (head, decoded): (Vec<u8>, Box<dyn Read + Send>) = if head.starts_with(&GZIP_MAGIC) {
            sniff(Box::new(MultiGzDecoder::new(raw)), &label)?
        } else {
            (head, raw)
        };
        if options.format == Some(Format::Json) || detect_format(Some(path), &head) == Format::Json
        {
            json_doc::check_nothing_after(BufReader::with_capacity(SNIFF_BYTES, decoded), &label)?;
        }
    }
    open_reader(label, path, raw, options)
}

/// Opens the input read from `raw`, named `label` in messages (`path`: the
/// file it comes from, if any) and returns its records, or one clear error
/// when it is not a readable CSV or JSON input.
pub fn open_reader(
    label: String,
    path: Option<PathBuf>,
    raw: Box<dyn Read + Send>,
    options: &ReadOptions,
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
    let stream: Stream = BufReader::with_capacity(SNIFF_BYTES, decoded);
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return Err(CliError::usage(format!(
            "{label}: this is UTF-16 text (a spreadsheet's \"Unicode text\"), not UTF-8\n\nSave it as \"CSV UTF-8\" (or convert it, e.g. `iconv -f UTF-16 -t UTF-8`) and try again."
        )));
    }
    if looks_binary(&head) {
        return Err(CliError::usage(format!(
            "{label}: this is not a text file (it holds NUL or other binary bytes near the start)\n\nstoreload reads CSV or JSONL, plain or gzip-compressed."
        )));
    }
    let format = match options.format {
        Some(f) => f,
        None => detect_format(path.as_deref(), &head),
    };
    match format {
        Format::Csv => {
            let delimiter = options.delimiter.unwrap_or_else(|| detect_delimiter(&head));
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
            let columns = json_doc::first_keys(&head);
            Ok(Input {
                label,
                path,
                format,
                gzip,
                delimiter: None,
                columns,
                records: Records::JsonDoc(JsonDocRecords::new(stream, max_record_bytes)),
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

fn looks_binary(head: &[u8]) -> bool {
    let probe = &head[..head.len().min(8192)];
    probe.contains(&0)
}

fn first_non_blank(head: &[u8]) -> Option<u8> {
    let start = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    start.iter().copied().find(|b| !b.is_ascii_whitespace())
}

/// Format from the file name (`.csv`, `.tsv`, `.txt` / `.jsonl`, `.ndjson`,
/// `.json`, ignoring a `.gz` suffix); otherwise from the first character.
fn detect_format(path: Option<&Path>, head: &[u8]) -> Format {
    if let Some(path) = path {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        if [".csv", ".tsv", ".txt"].iter().any(|s| name.ends_with(s)) {
            return Format::Csv;
        }
        // The content decides for an array, whatever the name says.
        if [".jsonl", ".ndjson"].iter().any(|s| name.ends_with(s))
            && first_non_blank(head) != Some(b'[')
        {
            return Format::Jsonl;
        }
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
/// line: `,` `;` tab or `|`; `,` when none occurs.
pub fn detect_delimiter(head: &[u8]) -> u8 {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let mut counts = [0usize; 4];
    let candidates = [b',', b';', b'\t', b'|'];
    let mut quoted = false;
    for &b in head {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                if let Some(i) = candidates.iter().position(|&c| c == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let mut best = 0;
    for i in 1..4 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    candidates[best]
}
