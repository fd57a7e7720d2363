//! The HTML report: one self-contained page (no external assets) with the
//! summary, a bar chart of findings by rule drawn as inline SVG, and a table
//! of the first 1,000 findings. Every value from the input is escaped.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::output::ReportFile;
use super::{Context, Summary};
use crate::error::CliError;
use crate::findings::{Severity, Violation};

/// Findings listed in the page's table.
pub const TABLE_LIMIT: usize = 1000;

/// An HTML report being collected.
pub struct HtmlReport {
    path: PathBuf,
    /// Where the page goes; opened at once so a bad path fails before any work.
    out: ReportFile,
    context: Context,
    rows: Vec<Violation>,
    total: u64,
}

impl HtmlReport {
    /// Checks the file can be created and starts collecting.
    pub fn create(path: &Path, context: &Context) -> Result<Self, CliError> {
        let out = ReportFile::create(path, "the HTML report")?;
        Ok(HtmlReport {
            path: path.to_path_buf(),
            out,
            context: context.clone(),
            rows: Vec::new(),
            total: 0,
        })
    }

    /// Keeps a record's findings while the table has room. A clear name
    /// split is counted in the chart but not listed: the table shows only
    /// the doubtful ones.
    pub fn add(&mut self, findings: &[Violation]) {
        let shown = findings
            .iter()
            .filter(|v| !crate::mapping::is_clear_split(v));
        self.total += shown.clone().count() as u64;
        let room = TABLE_LIMIT.saturating_sub(self.rows.len());
        self.rows.extend(shown.take(room).cloned());
    }

    /// Writes the page.
    pub fn finish(self, summary: &Summary) -> Result<(), CliError> {
        let page = render(&self.context, summary, &self.rows, self.total);
        let mut out = self.out;
        out.write_all(page.as_bytes())
            .and_then(|_| out.commit())
            .map_err(|e| {
                CliError::usage(format!(
                    "{}: cannot write the HTML report: {e}",
                    self.path.display()
                ))
            })
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn render(ctx: &Context, s: &Summary, rows: &[Violation], total: u64) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>storeload report: {}</title>\n<style>\nbody{{font-family:system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}}th{{background:#f4f4f4}}.num{{text-align:right}}.warning{{color:#8a5a00}}.violation{{color:#a00}}\n</style></head><body>\n",
        escape(&ctx.input)
    );
    let _ = write!(
        h,
        "<h1>storeload validation report</h1>\n<p>Input <code>{}</code> ({:?}) checked for <b>{}</b> with {}.</p>\n",
        escape(&ctx.input),
        ctx.format,
        escape(ctx.platform),
        escape(&ctx.mapping)
    );
    let _ = writeln!(
        h,
        "<table><tr><th>rows read</th><td class=\"num\">{}</td></tr><tr><th>valid</th><td class=\"num\">{}</td></tr><tr><th>invalid</th><td class=\"num\">{}</td></tr><tr><th>valid with warnings</th><td class=\"num\">{}</td></tr><tr><th>an import would send</th><td>{} records in {} requests</td></tr></table>",
        s.rows_read,
        s.valid,
        s.invalid,
        s.with_warnings,
        s.would_send.records,
        s.would_send.requests
    );
    h.push_str(&columns_table(ctx));
    h.push_str("<h2>Findings by rule</h2>\n");
    h.push_str(&chart(s));
    let _ = write!(
        h,
        "<h2>Findings</h2>\n<p>{} of {} shown.</p>\n<table><tr><th>line</th><th>record</th><th>severity</th><th>rule</th><th>field</th><th>message</th></tr>\n",
        rows.len(),
        total
    );
    for v in rows {
        let sev = match v.severity {
            Severity::Violation => "violation",
            Severity::Warning => "warning",
        };
        let _ = writeln!(
            h,
            "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"{sev}\">{sev}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            v.line,
            v.record,
            escape(v.rule),
            escape(&v.field),
            escape(&v.message())
        );
    }
    h.push_str("</table>\n</body></html>\n");
    h
}

/// Every input column's fate, once: the fields it fills, whether the
/// platform is sent them, and why not.
fn columns_table(ctx: &Context) -> String {
    if ctx.columns.is_empty() {
        return String::new();
    }
    let mut h = String::from(
        "<h2>Columns</h2>\n<table class=\"columns\"><tr><th>column</th><th>fate</th><th>fields</th><th>why</th></tr>\n",
    );
    for c in &ctx.columns {
        let fate = match c.fate {
            "sent" if c.not_sent.is_empty() => "sent".to_string(),
            "sent" => format!("partly sent (not sent: {})", c.not_sent.join(", ")),
            "not_sent" => format!("NOT SENT TO {}", ctx.platform.to_uppercase()),
            "left_out" => "left out on purpose".to_string(),
            _ => "unknown (not read, not sent)".to_string(),
        };
        let fields = if c.auto_mapped {
            format!("{} (auto-mapped by its name)", c.fields.join(", "))
        } else {
            c.fields.join(", ")
        };
        let _ = writeln!(
            h,
            "<tr class=\"fate-{}\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            c.fate,
            escape(&c.column),
            escape(&fate),
            escape(&fields),
            escape(c.reason.as_deref().unwrap_or(""))
        );
    }
    h.push_str("</table>\n");
    h
}

/// A horizontal bar per rule, scaled to the largest count, as inline SVG.
fn chart(s: &Summary) -> String {
    if s.by_rule.is_empty() {
        return "<p>No findings: every record is valid.</p>\n".into();
    }
    let bar_h = 22;
    let label_w = 300;
    let bar_w = 400;
    let height = bar_h * s.by_rule.len() + 10;
    let max = s
        .by_rule
        .values()
        .map(|r| r.count)
        .max()
        .unwrap_or(1)
        .max(1);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" role=\"img\" aria-label=\"findings by rule\">\n",
        label_w + bar_w + 80
    );
    for (i, (rule, r)) in s.by_rule.iter().enumerate() {
        let y = i * bar_h + 5;
        let w = ((r.count as f64 / max as f64) * bar_w as f64)
            .round()
            .max(1.0) as usize;
        let color = match r.severity {
            Severity::Violation => "#c0392b",
            Severity::Warning => "#d68910",
        };
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"13\" text-anchor=\"end\">{}</text><rect x=\"{}\" y=\"{}\" width=\"{w}\" height=\"{}\" fill=\"{color}\"><title>{}: {}</title></rect><text x=\"{}\" y=\"{}\" font-size=\"13\">{}</text>",
            label_w - 8,
            y + 15,
            escape(rule),
            label_w,
            y + 2,
            bar_h - 6,
            escape(rule),
            r.count,
            label_w + w + 6,
            y + 15,
            r.count
        );
    }
    svg.push_str("</svg>\n");
    svg
}
