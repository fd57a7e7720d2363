//! The rejects file: every invalid record's original values, as read, plus
//! `_line` and `_errors`, so a person fixes the rows in a spreadsheet and
//! feeds the file back. CSV input gives a CSV with the input's header and
//! delimiter; JSONL input gives JSONL with `_line` and `_errors` keys added.
//! An import's rejects file (`storeload rejects`) adds `_stage` before
//! `_errors`.

use std::io::{BufWriter, Write};
use std::path::Path;

use super::output::ReportFile;
use crate::error::CliError;
use crate::findings::{Severity, Violation};
use crate::read::{Format, Input, RawBody, RawRecord};
use crate::validate::pipeline::Checked;

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
    /// The input's columns that are written back: all but an earlier
    /// rejects file's `_line`, `_stage` and `_errors`, which are replaced.
    keep: Vec<usize>,
}

/// The columns a rejects file adds; read back, they are replaced, never
/// repeated, so a file can go round any number of times.
const ADDED: &[&str] = &["_line", "_stage", "_errors"];

enum Out {
    Csv(Box<csv::Writer<BufWriter<ReportFile>>>),
    Jsonl(BufWriter<ReportFile>),
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
        let file = ReportFile::create(path, "the rejects file")?;
        let out = match input.format {
            Format::Csv => {
                let mut w = csv::WriterBuilder::new()
                    .delimiter(input.delimiter.unwrap_or(b','))
                    .from_writer(BufWriter::new(file));
                let mut header: Vec<&str> = input
                    .columns
                    .iter()
                    .map(String::as_str)
                    .filter(|c| !ADDED.contains(c))
                    .collect();
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
            keep: (0..input.columns.len())
                .filter(|&i| !ADDED.contains(&input.columns[i].as_str()))
                .collect(),
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
        // The row's `_line` names the line: each error is its text alone.
        let errors = findings
            .iter()
            .filter(|v| v.severity == Severity::Violation)
            .map(|v| format!("{}: {}", v.rule, v.text))
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
                let mut out: Vec<&[u8]> = if self.keep.len() == self.width {
                    rec.iter().collect()
                } else {
                    self.keep
                        .iter()
                        .map(|&i| rec.get(i).unwrap_or_default())
                        .collect()
                };
                out.push(line.as_bytes());
                if let Some(stage) = stage {
                    out.push(stage.as_bytes());
                }
                out.push(errors.as_bytes());
                w.write_record(&out).map_err(|e| e.to_string())
            }
            (Out::Csv(w), RawBody::Broken { fields, .. }) => {
                // A row with the wrong number of fields still gets the
                // header's width, so `_line` and `_errors` stay in their
                // columns and the file reads back (`fit`).
                let mut row = fit(fields, self.width, self.delimiter, &self.keep);
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
                for added in ADDED {
                    obj.remove(*added);
                }
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

    /// Flushes the file and puts it in place.
    pub fn finish(self) -> Result<(), CliError> {
        let buffered = match self.out {
            Out::Csv(w) => w.into_inner().map_err(|e| e.into_error()),
            Out::Jsonl(w) => Ok(w),
        };
        buffered
            .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
            .and_then(ReportFile::commit)
            .map_err(|e| {
                CliError::usage(format!("{}: cannot write the rejects file: {e}", self.path))
            })
    }
}

/// A broken row's fields in the written columns (`keep`, of a header
/// `width` wide): a short row is padded with empty fields; a long row's
/// extra fields are put back, with the `delimiter` that split them, into its
/// last written column. When an earlier rejects file's columns end the
/// header, they are matched from the row's end, so the extras stay with the
/// person's values rather than the old `_errors`.
fn fit(fields: &[String], width: usize, delimiter: u8, keep: &[usize]) -> Vec<String> {
    let mut row = fields.to_vec();
    let trailing = (0..width).rev().take_while(|i| !keep.contains(i)).count();
    let own = width - trailing;
    if row.len() > width && own > 0 {
        let sep = (delimiter as char).to_string();
        let tail = row.split_off(row.len() - trailing);
        let extra = row.split_off(own - 1).join(&sep);
        row.push(extra);
        row.extend(tail);
    }
    row.resize(width, String::new());
    keep.iter()
        .map(|&i| row.get_mut(i).map(std::mem::take).unwrap_or_default())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::fit;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn a_long_row_of_a_rejects_file_keeps_its_extras_with_the_persons_values() {
        // Header: email, name, _line, _errors; the row has a stray comma in
        // the name, so one field too many.
        let row = strings(&["a@x.com", "Lee", " Ann", "3", "name.required: …"]);
        assert_eq!(
            fit(&row, 4, b',', &[0, 1]),
            strings(&["a@x.com", "Lee, Ann"])
        );
    }

    #[test]
    fn a_short_row_is_padded_and_the_old_columns_are_dropped() {
        let row = strings(&["a@x.com"]);
        assert_eq!(fit(&row, 4, b',', &[0, 1]), strings(&["a@x.com", ""]));
        // Without earlier columns, extras go into the last column.
        let row = strings(&["a", "b", "c", "d"]);
        assert_eq!(fit(&row, 2, b';', &[0, 1]), strings(&["a", "b;c;d"]));
    }
}
