//! The dry-run report: counts every checked record as it streams past and
//! writes, on request, the JSON report, the rejects file and the HTML page
//! while it goes; the terminal summary is printed at the end. Nothing here
//! holds more than the counts and the first violations of each rule.

pub mod groups;
pub mod html;
pub mod json;
pub mod output;
pub mod rejects;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use crate::error::CliError;
use crate::findings::{Severity, Violation};
use crate::mapping::{Field, Mapping};
use crate::order::mapping::OrderMapping;
use crate::platform::Platform;
use crate::read::{Input, RawRecord};
use crate::validate::orders::CheckedOrder;
use crate::validate::pipeline::Checked;

/// Example lines kept per rule for the terminal report.
const EXAMPLES_PER_RULE: usize = 3;

/// Counts for one rule code.
#[derive(Debug, Clone, Serialize)]
pub struct RuleCount {
    /// Violation or warning.
    pub severity: Severity,
    /// Records it was found on.
    pub count: u64,
    /// The first few lines it was found on.
    pub example_lines: Vec<u64>,
    /// The rule in plain words, e.g. "Email is not valid".
    pub title: String,
    /// The field in the user's words: the input columns that fill it, else
    /// the path in words ("address 1 street"); from the first finding.
    pub field: String,
    /// The input columns that fill it (empty when none does).
    pub columns: Vec<String>,
    /// The first finding's sentence, without its `line N: `, its field
    /// path said in the user's words (the reports show it once per rule);
    /// empty for a violation when the run wrote no report file
    /// (`CheckOptions::drop_texts`: the terminal never shows it).
    pub message: String,
    /// Up to 20 records it was found on, in the input's own columns (kept
    /// only when a JSON or HTML report is written; a clear name split is
    /// counted, never an example).
    pub examples: Vec<groups::Example>,
}

/// What an import of the valid records would send.
#[derive(Debug, Clone, Serialize)]
pub struct WouldSend {
    /// Valid records.
    pub records: u64,
    /// Requests at the platform's batch size.
    pub requests: u64,
    /// Records per request.
    pub batch_size: usize,
    /// The platform's default quota the time is reckoned at, e.g. `150/30s`.
    pub rate: String,
    /// Seconds the requests take at that quota, rounded up.
    pub seconds: u64,
}

/// The whole-run figures of a dry run.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Rows read (CSV rows, continuation rows included; non-blank JSONL
    /// lines; JSON elements).
    pub rows_read: u64,
    /// Records those rows make: customers, or orders (a customer with its
    /// continuation rows, an order with its line-item rows, is one record).
    /// `valid + invalid == records`.
    pub records: u64,
    /// Records with no violation.
    pub valid: u64,
    /// Records with at least one violation.
    pub invalid: u64,
    /// Records sent with at least one warning.
    pub with_warnings: u64,
    /// Counts by rule code.
    pub by_rule: BTreeMap<&'static str, RuleCount>,
    /// What an import would send.
    pub would_send: WouldSend,
    /// Orders: valid orders by how they name their customer (`customerId`,
    /// `journal`, `inline`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub customer_links: BTreeMap<&'static str, u64>,
    /// `ready` (no violation, no warning), `ready_with_warnings` or
    /// `not_ready` (some record is invalid).
    pub verdict: &'static str,
    /// Problems of the whole file, worst first.
    pub file_problems: Vec<groups::FileProblem>,
    /// Columns the header gives no name, by position (from 1): the rows
    /// holding a value in each (`row.value_in_unnamed_column`); a column
    /// no row fills is absent. Empty for a header with every column named.
    pub unnamed_values: BTreeMap<usize, u64>,
}

/// Where the optional report files go.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    /// `--json PATH`
    pub json: Option<PathBuf>,
    /// `--rejects PATH`
    pub rejects: Option<PathBuf>,
    /// `--html PATH`
    pub html: Option<PathBuf>,
}

/// Collects a dry run's result as records stream past.
pub struct Report {
    summary: Summary,
    batch_size: usize,
    json: Option<json::JsonReport>,
    rejects: Option<rejects::Rejects>,
    html: Option<html::HtmlReport>,
    error: Option<CliError>,
    /// The input and mapping, for naming fields by their columns.
    context: Context,
    /// Whether example rows are kept (a JSON or HTML report is written).
    keep_examples: bool,
    /// The platform's default quota, for the time an import would take.
    rate: crate::platform::Rate,
    /// Positions (from 0) of the CSV header's columns with no name, whose
    /// filled cells are counted into `Summary::unnamed_values`.
    unnamed: Vec<usize>,
}

/// Describes the input, platform and mapping for every report format.
#[derive(Debug, Clone, Serialize)]
pub struct Context {
    /// What the input holds: `customers` or `orders`.
    pub entity: &'static str,
    /// The input's path or `stdin`.
    pub input: String,
    /// `csv` or `jsonl`.
    pub format: crate::read::Format,
    /// The platform's code.
    pub platform: &'static str,
    /// How the mapping was chosen.
    pub mapping: String,
    /// `field ← source` lines.
    pub fields: Vec<FieldSource>,
    /// Columns no rule reads.
    pub unmapped: Vec<String>,
    /// Columns the preset reads and leaves out, with why.
    pub ignored: Vec<IgnoredColumn>,
    /// Every input column's fate, once, in the input's order.
    pub columns: Vec<ColumnFate>,
    /// The input's header as read (for JSON input, the first objects'
    /// keys): the columns of every example row's `cells`.
    pub header: Vec<String>,
}

/// One mapping rule as reports show it.
#[derive(Debug, Clone, Serialize)]
pub struct FieldSource {
    /// Canonical field, e.g. `address.city`.
    pub field: String,
    /// Where it comes from, e.g. `"Default Address City"`.
    pub source: String,
    /// How the rule came about when it is not the chosen layout's own
    /// (the auto-mapper completing a preset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What becomes of one input column (the JSON report's
/// `context.columns[]`; every key is always present).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ColumnFate {
    /// The column's name as the header (or the first JSON objects) wrote it;
    /// empty for a column the header gives no name.
    pub column: String,
    /// Its position in the header, from 1.
    pub position: usize,
    /// `sent` (mapped, and the platform is sent at least one of its
    /// fields), `not_sent` (mapped, but the platform's request has none of
    /// its fields), `left_out` (recognised and left out on purpose) or
    /// `unknown` (no field has its name).
    pub fate: &'static str,
    /// The canonical fields it fills (empty when left out or unknown).
    pub fields: Vec<String>,
    /// Those of `fields` the platform is never sent.
    pub not_sent: Vec<String>,
    /// Why it is not sent or left out; `null` otherwise.
    pub reason: Option<String>,
    /// Whether the auto-mapper mapped it by its name on top of the chosen
    /// preset.
    pub auto_mapped: bool,
}

/// Fates in the order reports group them.
const FATES: &[&str] = &["sent", "not_sent", "left_out", "unknown"];

/// Why a column with no name is not read (its `reason`).
const UNNAMED_REASON: &str = "the header gives this column no name, so no field can be mapped to it: name the column and map it, or remove its values";

/// What a customers input adds to [`UNNAMED_REASON`]: each value is warned
/// about on its row.
const UNNAMED_WARNED: &str =
    "; a value in it is warned about on its row (row.value_in_unnamed_column)";

impl ColumnFate {
    fn new(column: &str, position: usize, fate: &'static str) -> Self {
        ColumnFate {
            column: column.to_string(),
            position,
            fate,
            fields: Vec::new(),
            not_sent: Vec::new(),
            reason: None,
            auto_mapped: false,
        }
    }

    /// A column with no name: never read, its fate `unknown`, said why
    /// (`warned`: a value in it is a warning on its row, as for customers).
    fn unnamed(column: &str, position: usize, warned: bool) -> Self {
        let mut fate = ColumnFate::new(column, position, "unknown");
        let also = if warned { UNNAMED_WARNED } else { "" };
        fate.reason = Some(format!("{UNNAMED_REASON}{also}"));
        fate
    }

    /// Whether the header gives this column no name.
    pub fn is_unnamed(&self) -> bool {
        crate::mapping::is_unnamed(&self.column)
    }

    /// The column as reports name it: `"Email"`, or `column 4 (no name)`.
    pub fn label(&self) -> String {
        if self.is_unnamed() {
            format!("column {} (no name)", self.position)
        } else {
            format!("\"{}\"", self.column)
        }
    }
}

/// Every column of `input`'s header, once, with what `mapping` does with
/// it and whether `platform`'s request carries it.
fn column_fates(input: &Input, mapping: &Mapping, platform: &dyn Platform) -> Vec<ColumnFate> {
    let json = matches!(
        input.format,
        crate::read::Format::Json | crate::read::Format::Jsonl
    );
    // A field some column of the input fills. (JSON input is also read by
    // the canonical keys, `first_name`…, which its records may not hold.)
    let has = |x: Field| {
        mapping.rules.iter().any(|(f, source)| {
            *f == x
                && source
                    .columns()
                    .iter()
                    .any(|c| input.columns.iter().any(|k| k == c))
        })
    };
    // A full name alone is split into first and last name.
    let name_split = !has(Field::FirstName) && !has(Field::LastName);
    // Why the platform is not sent `field` (a mapping name), if it is not.
    let why_not = |field: Field| -> Option<String> {
        match field {
            Field::Name if name_split => platform
                .not_sent_reason("name")
                .and(platform.not_sent_reason("first_name")),
            Field::AddressBlock(_, a) => platform.not_sent_reason(&Field::Address(a).name()),
            f => platform.not_sent_reason(&f.name()),
        }
    };
    input
        .columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            if crate::mapping::is_unnamed(column) {
                // A value in it is warned about on CSV rows only.
                return ColumnFate::unnamed(column, i + 1, !json);
            }
            let mut fate = ColumnFate::new(column, i + 1, "sent");
            let mut reasons: Vec<String> = Vec::new();
            for (field, source) in &mapping.rules {
                if !source.columns().contains(&column.as_str()) {
                    continue;
                }
                let name = field.name();
                if fate.fields.contains(&name) {
                    continue;
                }
                if let Some(why) = why_not(*field) {
                    fate.not_sent.push(name.clone());
                    if !reasons.contains(&why) {
                        reasons.push(why);
                    }
                }
                fate.fields.push(name);
            }
            if json
                && mapping.nested_addresses
                && crate::mapping::JSON_READ.contains(&column.as_str())
            {
                let (name, probe) = if column == "addresses" {
                    ("addresses", "address.address1")
                } else {
                    ("attributes", "attributes")
                };
                fate.fields.push(name.into());
                if let Some(why) = platform.not_sent_reason(probe) {
                    fate.not_sent.push(name.into());
                    reasons.push(why);
                }
            }
            if !fate.fields.is_empty() {
                if fate.not_sent.len() == fate.fields.len() {
                    fate.fate = "not_sent";
                }
                if !reasons.is_empty() {
                    fate.reason = Some(reasons.join("; "));
                }
                fate.auto_mapped = mapping.auto_added.contains(column);
                return fate;
            }
            if let Some((_, why)) = mapping.ignored.iter().find(|(c, _)| c == column) {
                fate.fate = "left_out";
                fate.reason = Some(why.clone());
                return fate;
            }
            fate.fate = "unknown";
            fate
        })
        .collect()
}

/// A column left out on purpose.
#[derive(Debug, Clone, Serialize)]
pub struct IgnoredColumn {
    /// The column's name.
    pub column: String,
    /// Why it is left out.
    pub reason: String,
}

impl Context {
    /// The context of a run over `input` with `mapping` into `platform`.
    pub fn new(input: &Input, mapping: &Mapping, platform: &dyn Platform) -> Self {
        Context {
            entity: "customers",
            input: input.label.clone(),
            format: input.format,
            platform: platform.id().as_str(),
            mapping: mapping.origin.to_string(),
            fields: {
                let mut fields: Vec<FieldSource> = mapping
                    .rules
                    .iter()
                    .map(|(f, s)| FieldSource {
                        field: f.name(),
                        source: s.describe(),
                        note: s
                            .columns()
                            .iter()
                            .any(|c| mapping.auto_added.iter().any(|a| a == c))
                            .then(|| {
                                "auto-mapped by its name: the preset does not read this column"
                                    .to_string()
                            }),
                    })
                    .collect();
                // A full name alone is split into first and last name.
                let has = |x: Field| mapping.rules.iter().any(|(f, _)| *f == x);
                if !has(Field::FirstName)
                    && !has(Field::LastName)
                    && let Some((_, s)) = mapping.rules.iter().find(|(f, _)| *f == Field::Name)
                {
                    fields.push(FieldSource {
                        field: "first_name, last_name".into(),
                        source: format!("split({})", s.describe()),
                        note: None,
                    });
                }
                fields
            },
            unmapped: mapping.unmapped.clone(),
            ignored: ignored_columns(&mapping.ignored),
            columns: column_fates(input, mapping, platform),
            header: input.columns.clone(),
        }
    }
}

/// Columns left out on purpose, as reports show them.
fn ignored_columns<R: AsRef<str>>(ignored: &[(String, R)]) -> Vec<IgnoredColumn> {
    ignored
        .iter()
        .map(|(c, why)| IgnoredColumn {
            column: c.clone(),
            reason: why.as_ref().to_string(),
        })
        .collect()
}

impl Context {
    /// The context of an orders run over `input` with `mapping`.
    pub fn for_orders(input: &Input, mapping: &OrderMapping, platform: &dyn Platform) -> Self {
        Context {
            entity: "orders",
            input: input.label.clone(),
            format: input.format,
            platform: platform.id().as_str(),
            mapping: mapping.origin.clone(),
            fields: mapping
                .describe()
                .into_iter()
                .map(|(field, source)| FieldSource {
                    field,
                    source,
                    note: None,
                })
                .collect(),
            unmapped: mapping.unmapped.clone(),
            ignored: ignored_columns(&mapping.ignored),
            columns: order_column_fates(input, mapping),
            header: input.columns.clone(),
        }
    }
}

/// An orders input's columns: read into the order (`sent`), left out on
/// purpose, or unknown. The orders request takes every order field.
fn order_column_fates(input: &Input, mapping: &OrderMapping) -> Vec<ColumnFate> {
    let described = mapping.describe();
    input
        .columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            if crate::mapping::is_unnamed(column) {
                return ColumnFate::unnamed(column, i + 1, false);
            }
            if let Some((_, why)) = mapping.ignored.iter().find(|(c, _)| c == column) {
                let mut fate = ColumnFate::new(column, i + 1, "left_out");
                fate.reason = Some(why.to_string());
                return fate;
            }
            if mapping.unmapped.contains(column) {
                return ColumnFate::new(column, i + 1, "unknown");
            }
            let quoted = format!("\"{column}\"");
            let mut fate = ColumnFate::new(column, i + 1, "sent");
            fate.fields = described
                .iter()
                .filter(|(_, source)| source.contains(&quoted))
                .map(|(field, _)| field.clone())
                .collect();
            fate
        })
        .collect()
}

impl Report {
    /// Opens every requested output file; fails before any work when one
    /// cannot be created.
    pub fn new(
        context: &Context,
        input: &Input,
        platform: &dyn Platform,
        outputs: &Outputs,
    ) -> Result<Self, CliError> {
        let json = outputs
            .json
            .as_deref()
            .map(|p| json::JsonReport::create(p, context))
            .transpose()?;
        let rejects = outputs
            .rejects
            .as_deref()
            .map(|p| rejects::Rejects::create(p, input))
            .transpose()?;
        let html = outputs
            .html
            .as_deref()
            .map(|p| html::HtmlReport::create(p, context, platform.display_name()))
            .transpose()?;
        // An order is one request (specs: POST /orders takes one).
        let batch_size = if context.entity == "orders" {
            1
        } else {
            platform.batch_size()
        };
        Ok(Report {
            summary: Summary {
                rows_read: 0,
                records: 0,
                valid: 0,
                invalid: 0,
                with_warnings: 0,
                by_rule: BTreeMap::new(),
                would_send: WouldSend {
                    records: 0,
                    requests: 0,
                    batch_size,
                    rate: String::new(),
                    seconds: 0,
                },
                customer_links: BTreeMap::new(),
                verdict: "ready",
                file_problems: Vec::new(),
                unnamed_values: BTreeMap::new(),
            },
            batch_size,
            keep_examples: json.is_some() || html.is_some(),
            json,
            rejects,
            html,
            error: None,
            unnamed: match context.format {
                crate::read::Format::Csv => crate::mapping::unnamed_positions(&context.header),
                _ => Vec::new(),
            },
            context: context.clone(),
            rate: platform.default_rate(),
        })
    }

    /// Counts one checked record and writes it to the report files. An I/O
    /// error is kept and returned by `finish`; later records are still counted.
    pub fn add(&mut self, c: &Checked) {
        self.add_parts(
            std::slice::from_ref(&c.raw),
            &c.findings,
            c.is_valid(),
            true,
        );
    }

    /// Counts one checked order, writes it to the report files and, in the
    /// JSON report, says how it names its customer.
    pub fn add_order(&mut self, c: &CheckedOrder) {
        let valid = c.is_valid();
        self.add_parts(&c.raw.rows, &c.findings, valid, !c.later_part);
        let link = c.link.as_ref().filter(|_| valid);
        if let Some(l) = link {
            *self.summary.customer_links.entry(l.label()).or_insert(0) += 1;
        }
        if self.error.is_none()
            && let Some(j) = &mut self.json
        {
            let entry = serde_json::json!({
                "order": c.order.as_ref().and_then(|o| o.key.clone()),
                "line": c.raw.line(),
                "lines": c.raw.rows.len(),
                "valid": valid,
                "customer": link,
            });
            if let Err(e) = j.add_order(&entry) {
                self.error = Some(e);
            }
        }
    }

    /// Counts one record's rows and findings; `new_record` is false for a
    /// later part of an order already counted (its findings still count).
    fn add_parts(
        &mut self,
        rows: &[RawRecord],
        findings: &[Violation],
        valid: bool,
        new_record: bool,
    ) {
        let s = &mut self.summary;
        s.rows_read += rows
            .iter()
            .map(|r| 1 + r.continued.len() as u64)
            .sum::<u64>()
            .max(1);
        if new_record {
            s.records += 1;
            if valid {
                s.valid += 1;
            } else {
                s.invalid += 1;
            }
        }
        if valid && !findings.is_empty() {
            s.with_warnings += 1;
        }
        if !self.unnamed.is_empty() {
            for r in rows
                .iter()
                .flat_map(|r| std::iter::once(r).chain(&r.continued))
            {
                if let crate::read::RawBody::Csv(rec) = &r.body {
                    for (at, _) in crate::mapping::unnamed_values(rec, &self.unnamed) {
                        *s.unnamed_values.entry(at + 1).or_insert(0) += 1;
                    }
                }
            }
        }
        for (i, v) in findings.iter().enumerate() {
            // Counted once per record: two addresses without a city are one
            // record to fix, and one example line.
            if findings[..i].iter().any(|w| w.rule == v.rule) {
                continue;
            }
            let context = &self.context;
            let entry = s
                .by_rule
                .entry(v.rule)
                .or_insert_with(|| groups::new_group(v, context));
            entry.count += 1;
            // Every name split is counted; only the doubtful ones are
            // examples worth a look.
            if crate::mapping::is_clear_split(v) {
                continue;
            }
            if entry.example_lines.is_empty() {
                // The message shown once is an example's, never a clear split's.
                entry.message = groups::in_words(&v.text, &v.field, &entry.field);
            }
            if entry.example_lines.len() < EXAMPLES_PER_RULE {
                entry.example_lines.push(v.line);
            }
            if self.keep_examples && entry.examples.len() < groups::EXAMPLES_PER_GROUP {
                entry.examples.push(groups::example(v, rows, context));
            }
        }
        if self.error.is_some() {
            return;
        }
        let result = (|| -> Result<(), CliError> {
            if let Some(j) = &mut self.json {
                j.add(findings)?;
            }
            if !valid && let Some(r) = &mut self.rejects {
                r.add_rows(rows, findings)?;
            }
            Ok(())
        })();
        if let Err(e) = result {
            self.error = Some(e);
        }
    }

    /// Closes the report files and returns the summary.
    pub fn finish(mut self) -> Result<Summary, CliError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let s = &mut self.summary;
        let requests = s.valid.div_ceil(self.batch_size as u64);
        let per_request = self.rate.window.as_secs_f64() / f64::from(self.rate.requests.max(1));
        s.would_send = WouldSend {
            records: s.valid,
            requests,
            batch_size: self.batch_size,
            rate: self.rate.to_string(),
            seconds: (requests as f64 * per_request).ceil() as u64,
        };
        s.verdict = if s.invalid > 0 {
            "not_ready"
        } else if s.with_warnings > 0 {
            "ready_with_warnings"
        } else {
            "ready"
        };
        s.file_problems = groups::file_problems(&s.by_rule, s.records);
        if let Some(j) = self.json.take() {
            j.finish(&self.summary)?;
        }
        if let Some(r) = self.rejects.take() {
            r.finish()?;
        }
        if let Some(h) = self.html.take() {
            h.finish(&self.summary)?;
        }
        Ok(self.summary)
    }
}

/// The mapping as the terminal shows it: how each field is filled, then
/// every input column's fate, once: the sent ones counted (their rules are
/// above), each other one named with why.
pub fn mapping_block(context: &Context, platform: &dyn Platform) -> String {
    mapping_block_with(context, platform, None)
}

/// [`mapping_block`], saying of each column with no name whether any row
/// holds a value in it when the rows have been read (`values`: rows with a
/// value per position, from 1).
fn mapping_block_with(
    context: &Context,
    platform: &dyn Platform,
    values: Option<&BTreeMap<usize, u64>>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "mapping: {}", context.mapping);
    for f in &context.fields {
        match &f.note {
            Some(note) => {
                let _ = writeln!(out, "  {} ← {}  ({note})", f.field, f.source);
            }
            None => {
                let _ = writeln!(out, "  {} ← {}", f.field, f.source);
            }
        }
    }
    let name = platform.display_name();
    let count = |fate: &str| context.columns.iter().filter(|c| c.fate == fate).count();
    if !context.columns.is_empty() {
        let parts: Vec<String> = FATES
            .iter()
            .map(|fate| (*fate, count(fate)))
            .filter(|(_, n)| *n > 0)
            .map(|(fate, n)| match fate {
                "sent" => format!("{n} sent to {name}"),
                "not_sent" => format!("{n} mapped but not sent to {name}"),
                "left_out" => format!("{n} left out on purpose"),
                _ => format!("{n} unmapped"),
            })
            .collect();
        let _ = writeln!(
            out,
            "columns: {} · {}",
            context.columns.len(),
            parts.join(" · ")
        );
    }
    let upper = name.to_uppercase();
    for c in &context.columns {
        if c.not_sent.is_empty() {
            continue;
        }
        let why = c.reason.as_deref().unwrap_or("");
        if c.fate == "not_sent" {
            let _ = writeln!(
                out,
                "NOT SENT TO {upper}: \"{}\" → {} ({why})",
                c.column,
                c.not_sent.join(", ")
            );
        } else {
            let _ = writeln!(
                out,
                "partly sent: \"{}\" → {}; NOT SENT TO {upper}: {} ({why})",
                c.column,
                c.fields.join(", "),
                c.not_sent.join(", ")
            );
        }
    }
    for c in context.columns.iter().filter(|c| c.fate == "left_out") {
        let _ = writeln!(
            out,
            "left out on purpose: \"{}\" ({})",
            c.column,
            c.reason.as_deref().unwrap_or("")
        );
    }
    let unknown: Vec<String> = context
        .columns
        .iter()
        .filter(|c| c.fate == "unknown" && !c.is_unnamed())
        .map(ColumnFate::label)
        .collect();
    if !unknown.is_empty() {
        let _ = writeln!(
            out,
            "unmapped columns (not sent): {}  (no field has these names; map them in a mapping file to send them)",
            unknown.join(", ")
        );
    }
    let warned = context.entity == "customers";
    for line in unnamed_lines(&context.columns, values, warned) {
        let _ = writeln!(out, "{line}");
    }
    out
}

/// One line per run of columns with no name (the common trailing `,,,`
/// of a spreadsheet is one line); a column some row fills is never hidden
/// in a run: it has its own line, with how many rows hold a value.
/// `values`: rows with a value per position (from 1), once the rows have
/// been read; `None` before (an import's plan). `warned`: a value in one is
/// a warning on its row (customers).
fn unnamed_lines(
    columns: &[ColumnFate],
    values: Option<&BTreeMap<usize, u64>>,
    warned: bool,
) -> Vec<String> {
    let filled = |p: usize| values.and_then(|v| v.get(&p)).copied().unwrap_or(0);
    // Runs of adjacent unnamed columns none of whose cells is filled.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut out = Vec::new();
    let flush = |runs: &mut Vec<(usize, usize)>, out: &mut Vec<String>| {
        for (from, to) in runs.drain(..) {
            let which = if from == to {
                format!("column {from}")
            } else {
                format!("columns {from}–{to}")
            };
            out.push(match values {
                Some(_) => format!("not read: {which} (no name, empty)"),
                None if warned => format!(
                    "not read: {which} (no name; a value in {} is warned about on its row)",
                    if from == to { "it" } else { "them" }
                ),
                None => format!("not read: {which} (no name)"),
            });
        }
    };
    for c in columns.iter().filter(|c| c.is_unnamed()) {
        let n = filled(c.position);
        if n > 0 {
            flush(&mut runs, &mut out);
            out.push(format!(
                "NOT READ: column {} (no name): {n} row{} hold{} a value in it, which is not sent; name the column and map it, or remove the values",
                c.position,
                if n == 1 { "" } else { "s" },
                if n == 1 { "s" } else { "" },
            ));
            continue;
        }
        match runs.last_mut() {
            Some((_, to)) if *to + 1 == c.position => *to = c.position,
            _ => runs.push((c.position, c.position)),
        }
    }
    flush(&mut runs, &mut out);
    out
}

/// The terminal report: mapping, counts, rules with example lines, and what
/// an import would send.
pub fn terminal(context: &Context, platform: &dyn Platform, s: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "storeload validate: {} → {}",
        context.input,
        platform.display_name()
    );
    out.push_str(&mapping_block_with(
        context,
        platform,
        Some(&s.unnamed_values),
    ));
    let _ = writeln!(out);
    let noun = if context.entity == "orders" {
        "order"
    } else {
        "customer"
    };
    let _ = writeln!(out, "rows read  {:>10}", s.rows_read);
    // Rows and records differ where rows continue a record (Magento's
    // address rows, an order's line items): say both, so that "5 rows" and
    // "4 customers" are never mistaken for one another.
    if context.entity == "orders" || s.records != s.rows_read {
        let records = format!("{noun}s");
        let _ = writeln!(out, "{records:<11}{:>10}", s.records);
    }
    let _ = writeln!(out, "valid      {:>10}", s.valid);
    let _ = writeln!(out, "invalid    {:>10}", s.invalid);
    if s.with_warnings > 0 {
        let _ = writeln!(
            out,
            "warned     {:>10}  (valid, sent with the changes warned about)",
            s.with_warnings
        );
    }
    if !s.file_problems.is_empty() {
        let _ = writeln!(out, "\nfile problems:");
        for p in &s.file_problems {
            let _ = writeln!(out, "  {}", p.message);
        }
    }
    for (title, severity) in [
        ("violations by rule", Severity::Violation),
        ("warnings by rule", Severity::Warning),
    ] {
        let rules: Vec<_> = s
            .by_rule
            .iter()
            .filter(|(_, r)| r.severity == severity)
            .collect();
        if rules.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{title}:");
        let width = rules.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (rule, r) in rules {
            let lines = r
                .example_lines
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let more = if r.count > r.example_lines.len() as u64 {
                ", …"
            } else {
                ""
            };
            if r.example_lines.is_empty() {
                // Name splits: only doubtful ones are examples.
                let _ = writeln!(
                    out,
                    "  {rule:<width$}  {:>8}   (none in doubt; the JSON report lists each)",
                    r.count
                );
                continue;
            }
            let _ = writeln!(out, "  {rule:<width$}  {:>8}   line {lines}{more}", r.count);
        }
    }
    if !s.customer_links.is_empty() {
        let by = |k: &str| s.customer_links.get(k).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "\ncustomers of valid orders: by customerId column {} · from the customers journal {} · inline customer (found or created by bitbybit) {}",
            by("customerId"),
            by("journal"),
            by("inline")
        );
    }
    let w = &s.would_send;
    let _ = writeln!(
        out,
        "\nan import would send {} {noun}{} in {} request{} ({} per request)",
        w.records,
        if w.records == 1 { "" } else { "s" },
        w.requests,
        if w.requests == 1 { "" } else { "s" },
        w.batch_size
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(header: &[&str]) -> Vec<ColumnFate> {
        header
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if crate::mapping::is_unnamed(c) {
                    ColumnFate::unnamed(c, i + 1, true)
                } else {
                    ColumnFate::new(c, i + 1, "sent")
                }
            })
            .collect()
    }

    #[test]
    fn empty_unnamed_columns_are_one_line_and_a_filled_one_its_own() {
        let cols = columns(&["Email", "", "", "", "Name", ""]);
        let values: BTreeMap<usize, u64> = [(3, 2)].into_iter().collect();
        assert_eq!(
            unnamed_lines(&cols, Some(&values), true),
            vec![
                "not read: column 2 (no name, empty)".to_string(),
                "NOT READ: column 3 (no name): 2 rows hold a value in it, which is not sent; name the column and map it, or remove the values".to_string(),
                "not read: column 4 (no name, empty)".to_string(),
                "not read: column 6 (no name, empty)".to_string(),
            ]
        );
        assert_eq!(
            unnamed_lines(&cols, None, true),
            vec![
                "not read: columns 2–4 (no name; a value in them is warned about on its row)"
                    .to_string(),
                "not read: column 6 (no name; a value in it is warned about on its row)"
                    .to_string(),
            ]
        );
        assert!(unnamed_lines(&columns(&["Email"]), None, true).is_empty());
        assert_eq!(
            unnamed_lines(&cols[..2], None, false),
            vec!["not read: column 2 (no name)".to_string()]
        );
        assert_eq!(cols[1].label(), "column 2 (no name)");
        assert_eq!(cols[0].label(), "\"Email\"");
    }
}
