//! The JSON report, for machines: written as records stream past, so every
//! violation is in it however large the input. Shape (stable, documented in
//! the README):
//! `{"storeload_report":1,"context":{…},"violations":[{record,line,field,rule,message,severity},…],"summary":{…}}`;
//! an orders report adds, before the summary, `"orders":[{order,line,valid,customer},…]`
//! saying how each order names its customer (spooled beside the report
//! while the violations stream, then copied in).
//!
//! `context.columns` states every input column's fate, once, in the
//! input's order; each entry always has the same keys:
//! `{"column":"Tags","position":4,"fate":"not_sent","fields":["tags"],"not_sent":["tags"],"reason":"BigCommerce's create-customer request has no tags field","auto_mapped":false}`.
//! `position` is the column's place in the header, from 1. A column the
//! header gives no name has an entry too: `column` empty, fate `unknown`,
//! `reason` saying so; a value in it is a warning on its row
//! (`row.value_in_unnamed_column`), and `summary.unnamed_values` maps each
//! such column's position to the rows holding a value in it (a column no
//! row fills is absent).
//! `fate` is `sent` (mapped; the platform is sent at least one of
//! `fields`), `not_sent` (mapped; the platform is sent none of them),
//! `left_out` (recognised and left out on purpose, `reason` says why) or
//! `unknown` (no field has its name). `not_sent` lists the mapped fields the
//! platform never receives; `reason` is `null` when there is nothing to
//! explain; `auto_mapped` is true for a column the auto-mapper mapped on top
//! of the chosen preset. `context.unmapped` and `context.ignored` remain
//! (the `unknown` and `left_out` columns). `context.header` is the input's
//! header as read (for JSON input, the first objects' keys): the columns of
//! every example row's `cells`.
//!
//! The summary holds what the HTML page shows, so the page states nothing
//! the JSON lacks (keys always present):
//! - `verdict`: `ready` (every record valid, no warning),
//!   `ready_with_warnings` or `not_ready` (some record invalid).
//! - `would_send`: `{records, requests, batch_size, rate, seconds}`; `rate`
//!   is the platform's default quota (`150/30s`), `seconds` the time the
//!   requests take at it, rounded up.
//! - `file_problems`: `[{kind, rule, count, columns, message}]`, worst
//!   first; `kind` is `unmapped_required` (a required field no column
//!   fills, failing on most records), `spreadsheet` (values a spreadsheet
//!   turned into scientific notation; `columns` names them), `encoding`
//!   (records that are not UTF-8 text: the file is likely Windows-1252) or
//!   `most_records` (a violation on more than half of the records).
//! - `by_rule.RULE` adds `title` (the rule in plain words), `field` (the
//!   field in the user's words: the input columns that fill it, joined by
//!   ` + `, else the path in words, "address 1 street"), `columns` (those
//!   input columns; empty when none fills it), `message` (one finding's
//!   sentence without `line N: `, its path in the user's words) and
//!   `examples`: up to 20 records, each
//!   `{record, line, columns, text, rows:[{line, cells}]}`: the record's
//!   rows as read (at most 10, the finding's row always among them), each
//!   `cells` aligned with `context.header` and cut to 300 characters; the
//!   offending value is in `columns` of the row whose `line` is the
//!   finding's. A clear name split is counted, never an example.

use std::fs::File;
use std::io::{BufWriter, Seek, Write};
use std::path::Path;

use super::output::ReportFile;
use super::{Context, Summary};
use crate::error::CliError;
use crate::findings::Violation;

/// Version of the JSON report's shape.
pub const REPORT_VERSION: u32 = 1;

/// A JSON report being written.
pub struct JsonReport {
    out: BufWriter<ReportFile>,
    path: String,
    first: bool,
    /// Orders: the per-order lines, spooled to an anonymous scratch file
    /// until the violations are done.
    orders: Option<(BufWriter<File>, bool)>,
}

impl JsonReport {
    /// Creates the file and writes the opening and the context.
    pub fn create(path: &Path, context: &Context) -> Result<Self, CliError> {
        let shown = path.display().to_string();
        let file = ReportFile::create(path, "the JSON report")?;
        let mut r = JsonReport {
            out: BufWriter::new(file),
            path: shown,
            first: true,
            orders: None,
        };
        let ctx = serde_json::to_string(context).map_err(|e| r.err(e))?;
        write!(
            r.out,
            "{{\"storeload_report\":{REPORT_VERSION},\"context\":{ctx},\"violations\":["
        )
        .map_err(|e| r.err(e))?;
        Ok(r)
    }

    fn err(&self, e: impl std::fmt::Display) -> CliError {
        CliError::usage(format!("{}: cannot write the JSON report: {e}", self.path))
    }

    /// Appends a record's findings.
    pub fn add(&mut self, findings: &[Violation]) -> Result<(), CliError> {
        for v in findings {
            if !self.first {
                self.out.write_all(b",\n").map_err(|e| self.err(e))?;
            }
            self.first = false;
            serde_json::to_writer(&mut self.out, v).map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// Appends one order's entry to the `orders` list.
    pub fn add_order(&mut self, entry: &serde_json::Value) -> Result<(), CliError> {
        if self.orders.is_none() {
            let file = self.out.get_ref().spool().map_err(|e| self.err(e))?;
            self.orders = Some((BufWriter::new(file), true));
        }
        let result = match &mut self.orders {
            Some((w, first)) => {
                let sep: &[u8] = if *first { b"" } else { b",\n" };
                *first = false;
                w.write_all(sep)
                    .and_then(|_| serde_json::to_writer(&mut *w, entry).map_err(Into::into))
            }
            None => Ok(()),
        };
        result.map_err(|e| self.err(e))
    }

    /// Writes the summary and closes the document.
    pub fn finish(mut self, summary: &Summary) -> Result<(), CliError> {
        self.out.write_all(b"]").map_err(|e| self.err(e))?;
        if let Some((w, _)) = self.orders.take() {
            let copied = w
                .into_inner()
                .map_err(|e| e.into_error())
                .and_then(|mut spool| {
                    spool.rewind()?;
                    self.out.write_all(b",\"orders\":[")?;
                    std::io::copy(&mut spool, &mut self.out)?;
                    self.out.write_all(b"]")
                });
            copied.map_err(|e| self.err(e))?;
        }
        let s = serde_json::to_string(summary).map_err(|e| self.err(e))?;
        writeln!(self.out, ",\"summary\":{s}}}").map_err(|e| self.err(e))?;
        let file = self.out.into_inner().map_err(|e| {
            CliError::usage(format!(
                "{}: cannot write the JSON report: {}",
                self.path,
                e.error()
            ))
        })?;
        file.commit().map_err(|e| {
            CliError::usage(format!("{}: cannot write the JSON report: {e}", self.path))
        })
    }
}
