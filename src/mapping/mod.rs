//! Mapping: turns a raw record into the canonical `Customer` through a
//! mapping — a built-in preset chosen by `--preset` or detected from the
//! header, or a user's mapping file (TOML) — and normalises values on the
//! way: trimming, email case, tag splitting, countries to ISO 3166-1
//! alpha-2, a spreadsheet's `'` on phones and zips.

pub mod auto;
pub mod field;
pub mod file;
pub mod json_value;
pub mod presets;
mod utf8;

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Value};

pub use field::{AddressField, Field};
pub(crate) use utf8::{Utf8Row, utf8_fields};

use crate::error::CliError;
use crate::findings::Findings;
use crate::model::{Address, Attribute, Customer};
use crate::read::{CsvRow, Input, RawBody, RawRecord};
use crate::values::{
    PhoneFormat, country_alpha2, normalise_email, parse_bool, phone_e164, split_full_name,
    strip_spreadsheet_quote, trim,
};

/// Where a field's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// One column, as it is.
    Column(String),
    /// One column holding a list, split on `separator` (tags, channel ids).
    Split {
        /// The column.
        column: String,
        /// What separates the items.
        separator: String,
    },
    /// Several columns joined with `separator`, blanks skipped.
    Join {
        /// The columns, in order.
        columns: Vec<String>,
        /// What goes between them.
        separator: String,
    },
    /// The same value on every record.
    Value(String),
    /// One line (from 1) of a street column that holds several: a JSON
    /// array of lines (`["1 Main St","Apt 2"]`) or lines separated by
    /// newlines (Magento's `street`).
    Line {
        /// The column.
        column: String,
        /// Which line, from 1.
        line: usize,
    },
}

impl Source {
    /// The columns this source reads.
    pub fn columns(&self) -> Vec<&str> {
        match self {
            Source::Column(c)
            | Source::Split { column: c, .. }
            | Source::Line { column: c, .. } => {
                vec![c.as_str()]
            }
            Source::Join { columns, .. } => columns.iter().map(String::as_str).collect(),
            Source::Value(_) => Vec::new(),
        }
    }

    /// How the report shows this source: `"Email"`, `split("Tags", ",")`, …
    pub fn describe(&self) -> String {
        match self {
            Source::Column(c) => format!("\"{c}\""),
            Source::Split { column, separator } if separator == GOOGLE_LABELS => format!(
                "split(\"{column}\", \"{separator}\"), without Google's own groups (* myContacts, * starred)"
            ),
            Source::Split { column, separator } => format!("split(\"{column}\", \"{separator}\")"),
            Source::Join { columns, separator } => format!(
                "join({}, \"{separator}\")",
                columns
                    .iter()
                    .map(|c| format!("\"{c}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Source::Value(v) => format!("value \"{v}\""),
            Source::Line { column, line } => format!("line {line} of \"{column}\""),
        }
    }
}

/// What separates Google Contacts' labels (`* myContacts ::: Friends ::: VIP`).
/// A list split on it leaves out the items starting with `* `: Google's own
/// system groups (`* myContacts`, `* starred`), which every contact of an
/// account is in or which mark a contact in Google's app only, never a
/// label the user gave.
pub const GOOGLE_LABELS: &str = " ::: ";

/// Keys a JSON record is read by whatever the rules say: its nested
/// `addresses` (with nested addresses on) and BigCommerce `attributes`.
pub const JSON_READ: &[&str] = &["addresses", "attributes"];

/// How a mapping was chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// A built-in preset named with `--preset`.
    Preset(&'static str),
    /// A built-in preset detected from the header.
    Detected(&'static str),
    /// A user's mapping file.
    File(String),
    /// Columns matched to fields by their names (no preset fit).
    Auto,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Preset(p) => write!(f, "preset {p} (--preset)"),
            Origin::Detected(p) => write!(f, "preset {p} (detected from the header)"),
            Origin::File(p) => write!(f, "mapping file {p}"),
            Origin::Auto => write!(f, "auto-mapped from the header's column names"),
        }
    }
}

/// The mapping for an input given neither `--preset` nor `--mapping`: the
/// preset whose distinctive columns the header has (completed by the
/// auto-mapper), else the auto-mapper alone; an error saying what to write
/// when neither can read the header.
pub fn detect(input: &Input) -> Result<Mapping, CliError> {
    if let Some(preset) = presets::detect(&input.columns) {
        return preset.bind_input(Origin::Detected(preset.name), input);
    }
    auto::bind_input(input)?.ok_or_else(|| presets::no_mapping(&input.columns, &input.label))
}

/// A mapping bound to one input's columns: the rules to apply to each record.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// How it was chosen.
    pub origin: Origin,
    /// Field ← source rules, in order.
    pub rules: Vec<(Field, Source)>,
    /// JSON input: read a nested `addresses` array of canonical objects.
    pub nested_addresses: bool,
    /// Columns a preset (or the auto-mapper) reads on purpose and leaves
    /// out, with the reason.
    pub ignored: Vec<(String, String)>,
    /// Columns of the input no rule reads and no preset explains.
    pub unmapped: Vec<String>,
    /// Columns the chosen preset leaves unmapped that the auto-mapper
    /// mapped by their names (reports say so).
    pub auto_added: Vec<String>,
    /// A row whose value in this column is blank continues the record
    /// above (Magento: another address of the same customer).
    pub continuation: Option<String>,
    /// Positions (from 0) of the CSV header's columns with no name: never
    /// read, and a value in one is a warning on its row
    /// ([`VALUE_IN_UNNAMED_COLUMN`]), never dropped without a word.
    pub unnamed: Vec<usize>,
    /// How phones are sent (`--phone`).
    pub phone: PhoneFormat,
    /// Column name → index, for CSV input.
    index: ColumnIndex,
    /// Per rule, the positions of the columns its source reads (CSV),
    /// resolved once here rather than looked up by name on every row.
    positions: Vec<Vec<usize>>,
}

impl Mapping {
    /// Binds `rules` to the input's `columns`; fails naming any column a rule
    /// reads that the input does not have.
    pub fn bind(
        origin: Origin,
        rules: Vec<(Field, Source)>,
        nested_addresses: bool,
        ignored: Vec<(String, String)>,
        columns: &[String],
        label: &str,
    ) -> Result<Mapping, CliError> {
        let index: ColumnIndex = columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), i))
            .collect();
        for (field, source) in &rules {
            for col in source.columns() {
                if !index.contains_key(col) && !columns.is_empty() {
                    return Err(CliError::usage(format!(
                        "{label}: {origin} maps {} from column \"{col}\", which the input does not have\n\nColumns seen: {}",
                        field.name(),
                        quote_list(columns)
                    )));
                }
            }
        }
        let used: Vec<&str> = rules.iter().flat_map(|(_, s)| s.columns()).collect();
        let unmapped = columns
            .iter()
            .filter(|c| {
                let read_or_explained = is_unnamed(c)
                    || used.contains(&c.as_str())
                    || ignored.iter().any(|(i, _)| i == *c)
                    || (nested_addresses && JSON_READ.contains(&c.as_str()));
                !read_or_explained
            })
            .cloned()
            .collect();
        let positions = rules_positions(&rules, &index);
        Ok(Mapping {
            origin,
            rules,
            nested_addresses,
            ignored,
            unmapped,
            auto_added: Vec::new(),
            continuation: None,
            unnamed: unnamed_positions(columns),
            phone: PhoneFormat::Keep,
            positions,
            index,
        })
    }

    /// Makes rows whose `column` is blank continue the record above; fails
    /// naming the column when the input does not have it.
    pub fn with_continuation(mut self, column: &str, label: &str) -> Result<Mapping, CliError> {
        if !self.index.contains_key(column) {
            return Err(CliError::usage(format!(
                "{label}: {} groups continuation rows by column \"{column}\", which the input does not have",
                self.origin
            )));
        }
        self.continuation = Some(column.to_string());
        Ok(self)
    }

    /// Comment lines for a mapping file naming the header's columns with no
    /// name (adjacent ones as one run, `columns 4–6`), which it cannot map;
    /// empty when every column is named.
    pub fn unnamed_notes(&self) -> String {
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for &p in &self.unnamed {
            match runs.last_mut() {
                Some((_, to)) if *to + 1 == p => *to = p,
                _ => runs.push((p, p)),
            }
        }
        runs.iter()
            .map(|&(from, to)| {
                let which = if from == to {
                    format!("column {}", from + 1)
                } else {
                    format!("columns {}–{}", from + 1, to + 1)
                };
                format!("# not read: {which} (no name in the header; a value there is warned about on its row: name the column to map it)\n")
            })
            .collect()
    }

    /// The position of the continuation column, when rows continue.
    pub fn continuation_index(&self) -> Option<usize> {
        self.index.get(self.continuation.as_deref()?).copied()
    }

    /// Maps one raw record to a customer. A record that cannot be read
    /// (broken row, invalid UTF-8, a JSONL line that is not an object) gives
    /// `None` and a violation in `f`.
    pub fn map(&self, raw: &RawRecord, f: &mut Findings) -> Option<Customer> {
        let mut c = self.map_record(raw, f)?;
        if self.phone == PhoneFormat::E164 {
            phones_to_e164(&mut c, f);
        }
        Some(c)
    }

    fn map_record(&self, raw: &RawRecord, f: &mut Findings) -> Option<Customer> {
        match &raw.body {
            RawBody::Broken { rule, message, .. } => {
                f.violation("row", rule, message.clone());
                None
            }
            RawBody::Csv(rec) => {
                if let Some(fields) = Utf8Row::new(rec) {
                    let row = Row::Csv {
                        fields,
                        index: &self.index,
                    };
                    if let Some(col) = &self.continuation
                        && row.column(col).is_none_or(|v| v.trim().is_empty())
                    {
                        f.violation(
                            "row",
                            "row.continuation_without_record",
                            format!("{col} is blank, so this row would add an address to the customer above it, but no customer comes before it; fill in {col} or move the row under its customer"),
                        );
                        return None;
                    }
                    let mut c = self.build(&row, f);
                    self.warn_unnamed(rec, raw.line, f);
                    self.add_continued(&mut c, &raw.continued, f);
                    return Some(c);
                }
                for (i, field) in rec.iter().enumerate() {
                    if std::str::from_utf8(field).is_err() {
                        let column = match self.index.iter().find(|(_, v)| **v == i) {
                            Some((k, _)) if !is_unnamed(k) && !self.unnamed.contains(&i) => {
                                format!("column \"{k}\"")
                            }
                            _ => format!("column {} (no name)", i + 1),
                        };
                        f.violation(
                            "row",
                            "row.invalid_utf8",
                            format!(
                                "{column} is not UTF-8 text ({}); save the file as UTF-8",
                                String::from_utf8_lossy(field)
                            ),
                        );
                        return None;
                    }
                }
                None
            }
            RawBody::JsonLine(line) => {
                match json_value::parse_record(line, &self.rules, f) {
                    Ok(Value::Object(map)) => Some(self.build(&Row::Json(&map), f)),
                    Ok(other) => {
                        f.violation(
                        "row",
                        "row.not_an_object",
                        format!(
                            "line holds a JSON {}, not an object; each line must be one customer object",
                            json_kind(&other)
                        ),
                    );
                        None
                    }
                    Err(e) => {
                        f.violation(
                        "row",
                        "row.invalid_json",
                        format!("line is not valid JSON ({e}); each line must be one complete object"),
                    );
                        None
                    }
                }
            }
        }
    }

    /// Warns, on `line`, of each value in a column the header gives no name
    /// (such a value is neither read nor sent). Blank cells say nothing: a
    /// spreadsheet's trailing `,,,` is common and holds nothing.
    fn warn_unnamed(&self, rec: &CsvRow, line: u64, f: &mut Findings) {
        if self.unnamed.is_empty() {
            return;
        }
        for (at, value) in unnamed_values(rec, &self.unnamed) {
            f.warning_on(
                line,
                "row",
                VALUE_IN_UNNAMED_COLUMN,
                format!(
                    "column {} has no name in the header, so its value \"{}\" is neither read nor sent; give the column a name in the header and map it, or remove the value",
                    at + 1,
                    cut_value(&value)
                ),
            );
        }
    }

    /// Adds the address of each continuation row (Magento) to `c`, named
    /// by that row's line.
    fn add_continued(&self, c: &mut Customer, rows: &[RawRecord], f: &mut Findings) {
        for r in rows {
            let fields = match &r.body {
                RawBody::Csv(rec) => Utf8Row::new(rec),
                _ => None,
            };
            let Some(fields) = fields else {
                f.violation_on(
                    r.line,
                    "row",
                    "row.invalid_utf8",
                    "the row is not UTF-8 text; save the file as UTF-8".into(),
                );
                continue;
            };
            if let RawBody::Csv(rec) = &r.body {
                self.warn_unnamed(rec, r.line, f);
            }
            let row = Row::Csv {
                fields,
                index: &self.index,
            };
            let mut a = Address {
                line: Some(r.line),
                ..Address::default()
            };
            for ((field, source), at) in self.rules.iter().zip(&self.positions) {
                if let Field::Address(af) = field {
                    set_address_field(&mut a, *af, address_value(&row, source, at, *af));
                }
            }
            let at = c.addresses.len();
            if a.is_blank() {
                f.warning_on(
                    r.line,
                    format!("addresses[{at}]"),
                    "address.blank_continuation",
                    "this continuation row holds no address value; nothing was added".into(),
                );
                continue;
            }
            normalise_address(&mut a, c);
            c.addresses.push(a);
        }
    }

    fn build(&self, row: &Row<'_>, f: &mut Findings) -> Customer {
        let mut c = Customer::default();
        let mut flat = Address {
            default: true,
            ..Address::default()
        };
        // Numbered address blocks after the first (BigCommerce's export).
        let mut blocks: Vec<Address> = Vec::new();
        for ((field, source), at) in self.rules.iter().zip(&self.positions) {
            match field {
                Field::Tags => push_unique(&mut c.tags, row.list(source, at, ",")),
                Field::ChannelIds => {
                    let items = row.list(source, at, ",");
                    // `"channel_ids": []` is given (and empty), unlike an
                    // absent key, a null or a blank CSV cell.
                    if row.has(source, at) || row.json_array(source).is_some() {
                        let mut ids = Vec::new();
                        for item in items {
                            match item.parse::<i64>() {
                                Ok(id) => ids.push(id),
                                Err(_) => f.violation(
                                    "channel_ids",
                                    "channel_ids.not_integer",
                                    format!("channel id \"{item}\" is not a whole number"),
                                ),
                            }
                        }
                        c.channel_ids = Some(ids);
                    }
                }
                Field::Address(a) => {
                    set_address_field(&mut flat, *a, address_value(row, source, at, *a));
                }
                Field::AddressBlock(n, a) => {
                    let i = usize::from(n.saturating_sub(2));
                    if blocks.len() <= i {
                        blocks.resize_with(i + 1, Address::default);
                    }
                    set_address_field(&mut blocks[i], *a, address_value(row, source, at, *a));
                }
                other => {
                    let v = row.text(source, at);
                    set_customer_field(&mut c, *other, v.as_deref(), f);
                }
            }
        }
        if let Row::Json(map) = row
            && let Some(Value::Array(attrs)) = map.get("attributes")
        {
            for a in attrs {
                c.attributes.push(Attribute {
                    attribute_id: a.get("attribute_id").and_then(Value::as_i64),
                    attribute_value: a.get("attribute_value").and_then(scalar_text),
                });
            }
        }
        split_name(&mut c, f);
        // `vec!` reserves one `Address` (a few hundred bytes); a first push
        // would reserve four.
        let mut addresses = if flat.is_blank() {
            Vec::new()
        } else {
            vec![flat]
        };
        addresses.extend(blocks);
        if self.nested_addresses
            && let Row::Json(map) = row
        {
            match map.get("addresses") {
                Some(Value::Array(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        match item {
                            Value::Object(obj) => addresses.push(address_from_json(obj)),
                            _ => f.violation(
                                format!("addresses[{i}]"),
                                "address.not_an_object",
                                format!("address {} is not an object", i + 1),
                            ),
                        }
                    }
                }
                None | Some(Value::Null) => {}
                Some(_) => f.violation(
                    "addresses",
                    "addresses.not_a_list",
                    "addresses is not a list of address objects".into(),
                ),
            }
        }
        addresses.retain(|a| !a.is_blank());
        for a in &mut addresses {
            normalise_address(a, &c);
        }
        c.addresses = addresses;
        drop_lost_digits(&mut c, f);
        c
    }
}

/// The rule of a value in a column the header gives no name: a warning
/// (the rest of the record is sent), counted like any other.
pub const VALUE_IN_UNNAMED_COLUMN: &str = "row.value_in_unnamed_column";

/// Characters of an unnamed column's value quoted in its warning.
const VALUE_CHARS: usize = 40;

/// Whether a header's column has no name (blank, or spaces only).
pub fn is_unnamed(column: &str) -> bool {
    column.trim().is_empty()
}

/// The positions (from 0) of the columns in `columns` with no name.
pub fn unnamed_positions(columns: &[String]) -> Vec<usize> {
    columns
        .iter()
        .enumerate()
        .filter(|(_, c)| is_unnamed(c))
        .map(|(i, _)| i)
        .collect()
}

/// The non-blank values of `rec` at `positions` (columns with no name):
/// (position from 0, value trimmed). A row shorter than the header holds
/// nothing past its end.
pub fn unnamed_values(rec: &CsvRow, positions: &[usize]) -> Vec<(usize, String)> {
    positions
        .iter()
        .filter_map(|&i| {
            let v = String::from_utf8_lossy(rec.get(i)?);
            let v = trim(&v);
            (!v.is_empty()).then(|| (i, v.to_string()))
        })
        .collect()
}

/// `v` cut to [`VALUE_CHARS`] characters, a longer one ending in `…`.
fn cut_value(v: &str) -> String {
    match v.char_indices().nth(VALUE_CHARS) {
        Some((at, _)) => format!("{}…", &v[..at]),
        None => v.to_string(),
    }
}

fn quote_list(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The positions of each rule's columns; empty for a rule whose columns
/// are not all in the header (JSON keys first seen later), which then looks
/// them up by name.
fn rules_positions(rules: &[(Field, Source)], index: &ColumnIndex) -> Vec<Vec<usize>> {
    rules
        .iter()
        .map(|(_, s)| {
            s.columns()
                .iter()
                .map(|c| index.get(*c).copied())
                .collect::<Option<Vec<usize>>>()
                .unwrap_or_default()
        })
        .collect()
}

/// Column name → index. Every rule looks its columns up on every row, so
/// the names are hashed with foldhash's fast hasher instead of the default
/// SipHash, which cost a few hundred instructions per lookup; the names are
/// the input's own header, so a keyed hash protects nothing here, and the
/// fixed seed spares each mapping the random-seed setup.
type ColumnIndex = HashMap<String, usize, foldhash::fast::FixedState>;

/// One record's values, by column name.
enum Row<'a> {
    Csv {
        fields: Utf8Row<'a>,
        index: &'a ColumnIndex,
    },
    Json(&'a Map<String, Value>),
}

impl Row<'_> {
    /// A column's value: by its position when known (CSV), else by name.
    fn column_at(&self, name: &str, at: Option<usize>) -> Option<Cow<'_, str>> {
        match (self, at) {
            (Row::Csv { fields, .. }, Some(i)) => fields.get(i).map(Cow::Borrowed),
            _ => self.column(name),
        }
    }

    fn column(&self, name: &str) -> Option<Cow<'_, str>> {
        match self {
            Row::Csv { fields, index } => fields.get(*index.get(name)?).map(Cow::Borrowed),
            Row::Json(map) => match map.get(name)? {
                Value::Array(items) => Some(Cow::Owned(
                    items
                        .iter()
                        .filter_map(scalar_text)
                        .collect::<Vec<_>>()
                        .join(","),
                )),
                v => scalar_text(v).map(Cow::Owned),
            },
        }
    }

    fn has(&self, source: &Source, at: &[usize]) -> bool {
        source.columns().iter().enumerate().any(|(k, c)| {
            self.column_at(c, at.get(k).copied())
                .is_some_and(|v| !v.trim().is_empty())
        })
    }

    /// The source's value, trimmed; `None` when blank. A CSV cell or a
    /// fixed value is borrowed: the caller copies only what it keeps.
    /// `at`: the positions of the source's columns (CSV), or empty.
    fn text<'s>(&'s self, source: &'s Source, at: &[usize]) -> Option<Cow<'s, str>> {
        let first = at.first().copied();
        let v = match source {
            Source::Column(c) | Source::Split { column: c, .. } => {
                match self.column_at(c, first)? {
                    Cow::Borrowed(v) => Cow::Borrowed(trim(v)),
                    Cow::Owned(v) => Cow::Owned(trim(&v).to_string()),
                }
            }
            Source::Join { columns, separator } => Cow::Owned(
                columns
                    .iter()
                    .enumerate()
                    .filter_map(|(k, c)| self.column_at(c, at.get(k).copied()))
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .collect::<Vec<_>>()
                    .join(separator)
                    .trim()
                    .to_string(),
            ),
            Source::Value(v) => Cow::Borrowed(trim(v)),
            Source::Line { column, line } => {
                let lines = match self.json_value(column) {
                    Some(Value::Array(items)) => items.iter().filter_map(scalar_text).collect(),
                    _ => street_lines(&self.column_at(column, first)?),
                };
                Cow::Owned(lines.get(line.checked_sub(1)?)?.trim().to_string())
            }
        };
        Some(v).filter(|v| !v.is_empty())
    }

    /// A JSON record's raw value for `key`.
    fn json_value(&self, key: &str) -> Option<&Value> {
        match self {
            Row::Json(map) => map.get(key),
            Row::Csv { .. } => None,
        }
    }

    /// The JSON array a column or split source reads, if the value is one.
    fn json_array(&self, source: &Source) -> Option<&Vec<Value>> {
        match (self, source) {
            (Row::Json(map), Source::Column(c) | Source::Split { column: c, .. }) => {
                match map.get(c.as_str()) {
                    Some(Value::Array(items)) => Some(items),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The source's value as a list: split on its separator, trimmed, blanks
    /// dropped. A JSON array is already a list: its items are not split.
    fn list(&self, source: &Source, at: &[usize], default_sep: &str) -> Vec<String> {
        let sep = match source {
            Source::Split { separator, .. } => separator.as_str(),
            _ => default_sep,
        };
        if let Some(items) = self.json_array(source) {
            return items
                .iter()
                .filter_map(scalar_text)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
        }
        let google = sep == GOOGLE_LABELS;
        match self.text(source, at) {
            None => Vec::new(),
            Some(v) => v
                .split(if google { GOOGLE_LABELS.trim() } else { sep })
                .map(|s| s.trim().to_string())
                // Google's own groups (`* myContacts`) are no labels.
                .filter(|s| !(s.is_empty() || (google && s.starts_with("* "))))
                .collect(),
        }
    }
}

/// The lines of a street value: a JSON array of strings
/// (`["1 Main St","Apt 2"]`), else lines separated by newlines.
pub(crate) fn street_lines(v: &str) -> Vec<String> {
    let t = v.trim();
    if t.starts_with('[')
        && let Ok(Value::Array(items)) = serde_json::from_str::<Value>(t)
    {
        return items.iter().filter_map(scalar_text).collect();
    }
    t.lines().map(str::to_string).collect()
}

/// An address field's value: trimmed, a spreadsheet's `'` removed from
/// phone and zip.
fn address_value(
    row: &Row<'_>,
    source: &Source,
    at: &[usize],
    field: AddressField,
) -> Option<String> {
    let v = row.text(source, at);
    let v = match field {
        AddressField::Phone | AddressField::Zip => v
            .as_deref()
            .map(|s| trim(strip_spreadsheet_quote(s)))
            .filter(|s| !s.is_empty()),
        _ => v.as_deref(),
    };
    v.map(str::to_string)
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn push_unique(tags: &mut Vec<String>, items: Vec<String>) {
    for t in items {
        if !tags.iter().any(|x| x.eq_ignore_ascii_case(&t)) {
            tags.push(t);
        }
    }
}

fn parse_int(
    field: &'static str,
    rule: &'static str,
    v: Option<&str>,
    f: &mut Findings,
) -> Option<i64> {
    let v = v?;
    match v.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            f.violation(
                field,
                rule,
                format!("{field} \"{v}\" is not a whole number"),
            );
            None
        }
    }
}

fn parse_flag(
    field: &'static str,
    rule: &'static str,
    v: Option<&str>,
    f: &mut Findings,
) -> Option<bool> {
    let v = v?;
    match parse_bool(v) {
        Some(b) => Some(b),
        None => {
            f.violation(
                field,
                rule,
                format!("{field} \"{v}\" is not a yes/no value; write true/false or yes/no"),
            );
            None
        }
    }
}

fn set_customer_field(c: &mut Customer, field: Field, v: Option<&str>, f: &mut Findings) {
    let owned = || v.map(str::to_string);
    match field {
        Field::Email => c.email = v.map(normalise_email),
        Field::Phone => {
            c.phone = v
                .map(|p| trim(strip_spreadsheet_quote(p)))
                .filter(|p| !p.is_empty())
                .map(str::to_string)
        }
        Field::FirstName => c.first_name = owned(),
        Field::LastName => c.last_name = owned(),
        Field::Name => c.name = owned(),
        Field::Company => c.company = owned(),
        Field::Notes => c.notes = owned(),
        Field::TaxExemptCategory => c.tax_exempt_category = owned(),
        Field::ImageUrl => c.image_url = owned(),
        Field::AcceptsMarketing => {
            c.accepts_marketing =
                parse_flag("accepts_marketing", "accepts_marketing.not_boolean", v, f)
        }
        Field::Active => c.active = parse_flag("active", "active.not_boolean", v, f),
        Field::CustomerGroupId => {
            c.customer_group_id =
                parse_int("customer_group_id", "customer_group_id.not_integer", v, f)
        }
        Field::OriginChannelId => {
            c.origin_channel_id =
                parse_int("origin_channel_id", "origin_channel_id.not_integer", v, f)
        }
        Field::Tags | Field::ChannelIds | Field::Address(_) | Field::AddressBlock(..) => {}
    }
}

fn set_address_field(a: &mut Address, field: AddressField, v: Option<String>) {
    let slot = match field {
        AddressField::FirstName => &mut a.first_name,
        AddressField::LastName => &mut a.last_name,
        AddressField::Company => &mut a.company,
        AddressField::Phone => &mut a.phone,
        AddressField::Address1 => &mut a.address1,
        AddressField::Address2 => &mut a.address2,
        AddressField::City => &mut a.city,
        AddressField::Province => &mut a.province,
        AddressField::ProvinceCode => &mut a.province_code,
        AddressField::Country => &mut a.country,
        AddressField::CountryCode => &mut a.country_code,
        AddressField::Zip => &mut a.zip,
    };
    *slot = v;
}

fn address_from_json(obj: &Map<String, Value>) -> Address {
    let mut a = Address::default();
    for (field, name) in field::ADDRESS_FIELDS {
        let v = non_empty(obj.get(*name).and_then(scalar_text));
        let v = match field {
            AddressField::Phone | AddressField::Zip => {
                non_empty(v.map(|s| strip_spreadsheet_quote(&s).to_string()))
            }
            _ => v,
        };
        set_address_field(&mut a, *field, v);
    }
    a.default = obj.get("default").and_then(Value::as_bool).unwrap_or(false);
    a
}

/// Marks a `name.split` warning whose split is in doubt; reports show only
/// those as examples (every split is counted).
pub const DOUBTFUL_SPLIT: &str = "check this one";

/// Whether a finding is a `name.split` warning of a clear split, which
/// reports count but do not show as an example.
pub fn is_clear_split(v: &crate::findings::Violation) -> bool {
    v.rule == "name.split" && !v.text.contains(DOUBTFUL_SPLIT)
}

/// Why splitting `full` into `first` and `last` may be wrong: a title or
/// suffix at either end (left out of both), more than three words, or a
/// single word; `None` for a clear split.
fn split_doubt(full: &str, first: Option<&str>, last: Option<&str>) -> Option<&'static str> {
    let words = |s: Option<&str>| {
        s.map_or(0, |s| {
            s.split_whitespace()
                .filter(|w| !w.trim_end_matches(',').is_empty())
                .count()
        })
    };
    let all = words(Some(full));
    let kept = words(first) + words(last);
    if kept < all {
        Some("a title or suffix at either end was left out")
    } else if all > 3 {
        Some("more than three words")
    } else if all == 1 {
        Some("a single word")
    } else {
        None
    }
}

/// DECISIONS.md: a full name with no first or last name is split into
/// them (particles stay with the last name), with a warning; `name` keeps
/// the original for platforms that take a display name.
fn split_name(c: &mut Customer, f: &mut Findings) {
    if c.first_name.is_some() || c.last_name.is_some() {
        return;
    }
    let Some(full) = c.name.as_deref() else {
        return;
    };
    let (first, last) = split_full_name(full);
    let said = match (&first, &last) {
        (Some(first), Some(last)) => {
            format!("first name \"{first}\" and last name \"{last}\"")
        }
        (Some(first), None) => format!("first name \"{first}\", with no last name"),
        _ => return,
    };
    let doubt = split_doubt(full, first.as_deref(), last.as_deref())
        .map(|why| format!(" {DOUBTFUL_SPLIT} ({why})"))
        .unwrap_or_default();
    f.warning(
        "name",
        "name.split",
        format!("name \"{full}\" was split into {said};{doubt} map first and last name columns if that is wrong"),
    );
    c.first_name = first;
    c.last_name = last;
}

/// True for a number a spreadsheet wrote in scientific notation
/// (`7.02255E+12`): where a phone or zip belongs, its digits are lost.
fn is_scientific_notation(v: &str) -> bool {
    // Most values hold no E at all: a SIMD search answers for them.
    if memchr::memchr2(b'E', b'e', v.as_bytes()).is_none() {
        return false;
    }
    let Some((mantissa, exponent)) = trim(v).split_once(['E', 'e']) else {
        return false;
    };
    let Some(exponent) = exponent.strip_prefix('+') else {
        return false;
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(int) && digits(frac) && digits(exponent)
}

/// FACTS.md: a phone or zip in scientific notation has lost its digits;
/// never send it: leave the field out and warn, naming the value.
fn drop_lost_digits(c: &mut Customer, f: &mut Findings) {
    const WHY: &str = "a spreadsheet turned it into a number in scientific notation and its digits are lost; it is left out: fix it in the source (format the column as text)";
    if c.phone.as_deref().is_some_and(is_scientific_notation) {
        let v = c.phone.take().unwrap_or_default();
        f.warning(
            "phone",
            "phone.scientific_notation",
            format!("phone \"{v}\": {WHY}"),
        );
    }
    for (i, a) in c.addresses.iter_mut().enumerate() {
        if a.phone.as_deref().is_some_and(is_scientific_notation) {
            let v = a.phone.take().unwrap_or_default();
            f.warning(
                format!("addresses[{i}].phone"),
                "address.phone.scientific_notation",
                format!("address phone \"{v}\": {WHY}"),
            );
        }
        if a.zip.as_deref().is_some_and(is_scientific_notation) {
            let v = a.zip.take().unwrap_or_default();
            f.warning(
                format!("addresses[{i}].zip"),
                "address.zip.scientific_notation",
                format!("zip \"{v}\": {WHY}"),
            );
        }
    }
}

/// `--phone e164`: every phone in E.164, parsed with its address's country
/// (the customer's phone with the first address's); one that does not parse
/// is left out, with a warning naming it.
fn phones_to_e164(c: &mut Customer, f: &mut Findings) {
    let home = c.addresses.first().and_then(|a| a.country_code.clone());
    if let Some(p) = c.phone.take() {
        match phone_e164(&p, home.as_deref()) {
            Some(e) => c.phone = Some(e),
            None => f.warning(
                "phone",
                "phone.not_e164",
                format!(
                    "phone \"{p}\" is not a valid number{}; it is left out (--phone e164). Write it with its country code, e.g. +1 …",
                    home.as_deref().map(|h| format!(" for {h}")).unwrap_or_default()
                ),
            ),
        }
    }
    for (i, a) in c.addresses.iter_mut().enumerate() {
        let Some(p) = a.phone.take() else {
            continue;
        };
        let country = a.country_code.clone().or_else(|| home.clone());
        match phone_e164(&p, country.as_deref()) {
            Some(e) => a.phone = Some(e),
            None => f.warning(
                format!("addresses[{i}].phone"),
                "address.phone.not_e164",
                format!(
                    "address phone \"{p}\" is not a valid number{}; it is left out (--phone e164)",
                    country
                        .as_deref()
                        .map(|h| format!(" for {h}"))
                        .unwrap_or_default()
                ),
            ),
        }
    }
}

/// Fills an address's names from the customer's when blank, and resolves
/// its country to an ISO 3166-1 alpha-2 code. A value that does not resolve
/// stays in `country` (as written) with no `country_code`, so the rules can
/// name it.
fn normalise_address(a: &mut Address, c: &Customer) {
    if a.first_name.is_none() {
        a.first_name = c.first_name.clone();
    }
    if a.last_name.is_none() {
        a.last_name = c.last_name.clone();
    }
    let written_code = a.country_code.take();
    let resolved = written_code
        .as_deref()
        .and_then(country_alpha2)
        .or_else(|| a.country.as_deref().and_then(country_alpha2));
    a.country_code = resolved.map(str::to_string);
    if a.country.is_none() {
        a.country = written_code;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Severity;

    fn raw(fields: &[&str]) -> RawRecord {
        RawRecord {
            number: 1,
            line: 2,
            offset: 0,
            body: RawBody::Csv(CsvRow::from_fields(fields)),
            continued: Vec::new(),
        }
    }

    fn mapping(header: &[&str], rules: Vec<(Field, Source)>) -> Mapping {
        let columns: Vec<String> = header.iter().map(|c| c.to_string()).collect();
        Mapping::bind(Origin::Auto, rules, false, Vec::new(), &columns, "t.csv")
            .expect("every rule's column is in the header")
    }

    #[test]
    fn a_value_in_a_column_with_no_name_is_a_warning_and_a_blank_one_is_not() {
        let m = mapping(
            &["Email", "", " ", ""],
            vec![(Field::Email, Source::Column("Email".into()))],
        );
        assert_eq!(m.unnamed, vec![1, 2, 3]);
        let mut f = Findings::new(1, 2);
        let c = m.map(&raw(&["ann@example.com", "", "  ", "stray"]), &mut f);
        assert_eq!(c.and_then(|c| c.email).as_deref(), Some("ann@example.com"));
        assert_eq!(f.items.len(), 1, "{:?}", f.items);
        let w = &f.items[0];
        assert_eq!(
            (w.rule, w.severity, w.line),
            (VALUE_IN_UNNAMED_COLUMN, Severity::Warning, 2)
        );
        assert!(
            w.text.contains("column 4") && w.text.contains("\"stray\""),
            "{}",
            w.text
        );
        // A row shorter than the header, and an empty trailing run: quiet.
        let mut f = Findings::new(1, 2);
        m.map(&raw(&["ann@example.com"]), &mut f);
        assert!(f.items.is_empty(), "{:?}", f.items);
        assert!(
            m.unnamed_notes().contains("columns 2–4"),
            "{}",
            m.unnamed_notes()
        );
    }

    #[test]
    fn text_that_is_not_utf8_in_a_column_with_no_name_names_its_position() {
        let m = mapping(&["Email", "", "Notes"], vec![]);
        let rec = RawRecord {
            body: RawBody::Csv(CsvRow::from_fields([&b"a@x.com"[..], b"Ren\xe9e", b"ok"])),
            ..raw(&[])
        };
        let mut f = Findings::new(1, 2);
        assert!(m.map(&rec, &mut f).is_none());
        assert!(
            f.items[0]
                .text
                .starts_with("column 2 (no name) is not UTF-8"),
            "{}",
            f.items[0].text
        );
    }

    #[test]
    fn a_long_value_in_a_column_with_no_name_is_cut() {
        let m = mapping(&["Email", ""], vec![]);
        let long = "é".repeat(60);
        let mut f = Findings::new(1, 2);
        m.map(&raw(&["ann@example.com", &long]), &mut f);
        let want = format!("\"{}…\"", "é".repeat(40));
        assert!(f.items[0].text.contains(&want), "{}", f.items[0].text);
    }

    #[test]
    fn google_labels_leave_out_googles_own_groups() {
        let m = mapping(
            &["Labels"],
            vec![(
                Field::Tags,
                Source::Split {
                    column: "Labels".into(),
                    separator: GOOGLE_LABELS.into(),
                },
            )],
        );
        let mut f = Findings::new(1, 2);
        let c = m
            .map(
                &raw(&["* myContacts ::: Friends ::: VIP, gold ::: * starred"]),
                &mut f,
            )
            .expect("maps");
        assert_eq!(c.tags, vec!["Friends", "VIP, gold"]);
        // With a comma separator, nothing of Google's rule applies.
        let m = mapping(
            &["Labels"],
            vec![(
                Field::Tags,
                Source::Split {
                    column: "Labels".into(),
                    separator: ",".into(),
                },
            )],
        );
        let c = m.map(&raw(&["* a, b"]), &mut f).expect("maps");
        assert_eq!(c.tags, vec!["* a", "b"]);
    }
}
