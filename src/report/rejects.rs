//! The rejects file: every invalid record's original values, as read, plus
//! `_line` and `_errors`, so a person fixes the rows in a spreadsheet and
//! feeds the file back. CSV input gives a CSV with the input's header and
//! delimiter; JSONL input gives JSONL with `_line` and `_errors` keys added.
//! An import's rejects file (`storeload rejects`) adds `_stage` before
//! `_errors`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::error::CliError;
use crate::read::{Format, Input, RawBody, RawRecord};
use crate::validate::pipeline::Checked;
use crate::validate::{Severity, Violation};

/// A rejects file being written.
pub struct Rejects {
    out: Out,
    path: String,
    /// Columns of the input's header (CSV).
    width: usize,
    /// The input's delimiter (CSV).
    delimiter: u8,
    /// Whether rows carry a `_stage` column (the import's rejects file).
    staged: bool,
}

enum Out {
    Csv(Box<csv::Writer<BufWriter<File>>>),
    Jsonl(BufWriter<File>),
}

impl Rejects {
    /// Creates the file; for CSV, writes the input's header plus `_line`, `_errors`.
    pub fn create(path: &Path, input: &Input) -> Result<Self, CliError> {
        Self::open(path, input, false)
    }

    /// Creates an import's rejects file: `_line`, `_stage` and `_errors`.
    pub fn create_staged(path: &Path, input: &Input) -> Result<Self, CliError> {
        Self::open(path, input, true)
    }

    fn open(path: &Path, input: &Input, staged: bool) -> Result<Self, CliError> {
        let shown = path.display().to_string();
        let file = File::create(path).map_err(|e| {
            CliError::usage(format!("{shown}: cannot create the rejects file: {e}"))
        })?;
        let out = match input.format {
            Format::Csv => {
                let mut w = csv::WriterBuilder::new()
                    .delimiter(input.delimiter.unwrap_or(b','))
                    .from_writer(BufWriter::new(file));
                let mut header: Vec<&str> = input.columns.iter().map(String::as_str).collect();
                header.push("_line");
                if staged {
                    header.push("_stage");
                }
                header.push("_errors");
                w.write_record(&header).map_err(|e| {
                    CliError::usage(format!("{shown}: cannot write the rejects file: {e}"))
                })?;
                Out::Csv(Box::new(w))
            }
            Format::Jsonl | Format::Json => Out::Jsonl(BufWriter::new(file)),
        };
        Ok(Rejects {
            out,
            path: shown,
            width: input.columns.len(),
            delimiter: input.delimiter.unwrap_or(b','),
            staged,
        })
    }

    fn err(&self, e: impl std::fmt::Display) -> CliError {
        CliError::usage(format!("{}: cannot write the rejects file: {e}", self.path))
    }

    /// Writes one invalid record.
    pub fn add(&mut self, c: &Checked) -> Result<(), CliError> {
        self.add_rows(std::slice::from_ref(&c.raw), &c.findings)
    }

    /// Writes the rows of one invalid record (an order has one per line
    /// item), each with the record's errors.
    pub fn add_rows(&mut self, rows: &[RawRecord], findings: &[Violation]) -> Result<(), CliError> {
        let errors = findings
            .iter()
            .filter(|v| v.severity == Severity::Violation)
            .map(|v| format!("{}: {}", v.rule, strip_line(&v.message)))
            .collect::<Vec<_>>()
            .join("; ");
        for raw in rows {
            self.write_row(raw, None, &errors)?;
        }
        Ok(())
    }

    /// Writes one record as read (with its continuation rows), with its
    /// line, its stage (for a staged file) and its errors.
    pub fn write_row(
        &mut self,
        raw: &RawRecord,
        stage: Option<&str>,
        errors: &str,
    ) -> Result<(), CliError> {
        let given_stage = stage;
        let all_errors = errors;
        let stage = if self.staged {
            Some(stage.unwrap_or(""))
        } else {
            None
        };
        let errors = errors.to_string();
        let line = raw.line.to_string();
        let result = match (&mut self.out, &raw.body) {
            (Out::Csv(w), RawBody::Csv(rec)) => {
                let mut rec = rec.clone();
                rec.push_field(line.as_bytes());
                if let Some(stage) = stage {
                    rec.push_field(stage.as_bytes());
                }
                rec.push_field(errors.as_bytes());
                w.write_byte_record(&rec).map_err(|e| e.to_string())
            }
            (Out::Csv(w), RawBody::Broken { fields, .. }) => {
                // A row with the wrong number of fields still gets the
                // header's width, so `_line` and `_errors` stay in their
                // columns and the file reads back: a short row is padded
                // with empty fields; a long row's extra fields are put back,
                // with the delimiter that split them, into its last column.
                let mut row = fields.clone();
                if row.len() > self.width && self.width > 0 {
                    let sep = (self.delimiter as char).to_string();
                    let extra = row.split_off(self.width - 1).join(&sep);
                    row.push(extra);
                }
                row.resize(self.width, String::new());
                row.push(line);
                if let Some(stage) = stage {
                    row.push(stage.to_string());
                }
                row.push(errors);
                w.write_record(&row).map_err(|e| e.to_string())
            }
            (Out::Jsonl(w), body) => {
                let mut obj = match body {
                    RawBody::JsonLine(bytes) => match serde_json::from_slice(bytes) {
                        Ok(serde_json::Value::Object(m)) => m,
                        _ => {
                            let mut m = serde_json::Map::new();
                            m.insert(
                                "_raw".into(),
                                String::from_utf8_lossy(bytes).into_owned().into(),
                            );
                            m
                        }
                    },
                    _ => serde_json::Map::new(),
                };
                obj.insert("_line".into(), raw.line.into());
                if let Some(stage) = stage {
                    obj.insert("_stage".into(), stage.into());
                }
                obj.insert("_errors".into(), errors.into());
                serde_json::to_writer(&mut *w, &obj)
                    .map_err(|e| e.to_string())
                    .and_then(|_| w.write_all(b"\n").map_err(|e| e.to_string()))
            }
            (Out::Csv(_), RawBody::JsonLine(_)) => Ok(()),
        };
        result.map_err(|e| self.err(e))?;
        // Continuation rows (Magento) belong to the record: they go too.
        for row in &raw.continued {
            self.write_row(row, given_stage, all_errors)?;
        }
        Ok(())
    }

    /// Flushes the file.
    pub fn finish(self) -> Result<(), CliError> {
        let r = match self.out {
            Out::Csv(mut w) => w.flush(),
            Out::Jsonl(mut w) => w.flush(),
        };
        r.map_err(|e| CliError::usage(format!("{}: cannot write the rejects file: {e}", self.path)))
    }
}

/// Messages start with "line N: "; the rejects file has its own `_line`.
fn strip_line(message: &str) -> &str {
    match message.split_once(": ") {
        Some((head, rest)) if head.starts_with("line ") => rest,
        _ => message,
    }
}
