//! Mapping: turns a raw record into the canonical `Customer` through a
//! mapping — a built-in preset chosen by `--preset` or detected from the
//! header, or a user's mapping file (TOML) — and normalises values on the
//! way: trimming, email case, tag splitting, countries to ISO 3166-1
//! alpha-2, a spreadsheet's `'` on phones and zips.

pub mod auto;
pub mod field;
pub mod file;
pub mod json_value;
mod normalise;
pub mod presets;
mod row;
mod unnamed;
mod utf8;

use serde_json::Value;

pub use field::{AddressField, Field};
pub use normalise::{DOUBTFUL_SPLIT, is_clear_split};
pub(crate) use row::street_lines;
pub use unnamed::{
    VALUE_IN_UNNAMED_COLUMN, is_unnamed, unnamed_positions, unnamed_values, warn_values,
};
pub(crate) use utf8::{Utf8Row, utf8_fields};

use normalise::{
    address_from_json, drop_lost_digits, first_of_several, normalise_address, phones_to_e164,
    push_unique, restore_zip_zeros, set_address_field, set_customer_field, split_name,
};
use row::{ColumnIndex, Row, address_text, cell, scalar_text};
use unnamed::cut_value;

use crate::error::CliError;
use crate::findings::Findings;
use crate::model::{Address, Attribute, Customer, Text};
use crate::read::{Input, RawBody, RawRecord};
use crate::values::{PhoneFormat, trim};

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
    /// Per rule, the position of its one column when it reads a single
    /// column as it is (`Source::Column`): the row loop takes such a value
    /// straight from the CSV row ([`row::cell`]).
    cells: Vec<Option<usize>>,
    /// Whether some rule fills a field of the first (flat) address.
    flat_address: bool,
    /// The input is a Google Contacts export, whose cells may list several
    /// emails or phones (`a ::: b`): only then is each looked through.
    google_lists: bool,
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
        let cells = rules
            .iter()
            .zip(&positions)
            .map(|((_, source), at)| match (source, at.as_slice()) {
                (Source::Column(_), &[i]) => Some(i),
                _ => None,
            })
            .collect();
        let flat_address = rules.iter().any(|(f, _)| matches!(f, Field::Address(_)));
        let google_lists = auto::is_google_export(columns);
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
            cells,
            flat_address,
            google_lists,
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
        // Filled in place: a customer (a few hundred bytes) built in each
        // step and returned from it was copied at each return.
        let mut c = Customer::default();
        self.map_record(raw, &mut c, f)?;
        if self.phone == PhoneFormat::E164 {
            phones_to_e164(&mut c, f);
        }
        Some(c)
    }

    /// Fills `c` from one raw record; `None` (and a violation in `f`) when
    /// the record cannot be read.
    fn map_record(&self, raw: &RawRecord, c: &mut Customer, f: &mut Findings) -> Option<()> {
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
                    self.build(&row, c, f);
                    unnamed::warn_values(rec, &self.unnamed, raw.line, f);
                    self.add_continued(c, &raw.continued, f);
                    return Some(());
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
                    Ok(Value::Object(map)) => {
                        self.build(&Row::Json(&map), c, f);
                        warn_blank_keys(&map, f);
                        Some(())
                    }
                    Ok(other) => {
                        f.violation(
                        "row",
                        "row.not_an_object",
                        format!(
                            "line holds a JSON {}, not an object; each line must be one customer object",
                            json_value::kind(&other)
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
                unnamed::warn_values(rec, &self.unnamed, r.line, f);
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
                    let v = row.text(source, at);
                    set_address_field(&mut a, *af, address_text(v.as_deref(), *af));
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

    /// Fills `c` (a default customer) from one readable record.
    fn build(&self, row: &Row<'_>, c: &mut Customer, f: &mut Findings) {
        // The first (flat) address is filled where it will stay, in the
        // customer's list, rather than built aside and moved in (an
        // `Address` is a few hundred bytes); room for that one `Address` is
        // reserved (a first push would reserve four). It is taken out again
        // below when it stays blank.
        let mut addresses = Vec::new();
        if self.flat_address {
            addresses.reserve_exact(1);
            addresses.push(Address {
                default: true,
                ..Address::default()
            });
        }
        // Numbered address blocks after the first (BigCommerce's export).
        let mut blocks: Vec<Address> = Vec::new();
        let rules = self.rules.iter().zip(&self.positions).zip(&self.cells);
        for (((field, source), at), &cell_at) in rules {
            match field {
                Field::Tags => row.for_each_item(source, at, ",", |t| push_unique(&mut c.tags, t)),
                Field::ChannelIds => {
                    // `"channel_ids": []` is given (and empty), unlike an
                    // absent key, a null or a blank CSV cell.
                    if row.has(source, at) || row.json_array(source).is_some() {
                        let mut ids = Vec::new();
                        row.for_each_item(source, at, ",", |item| match item.parse::<i64>() {
                            Ok(id) => ids.push(id),
                            Err(_) => f.violation(
                                "channel_ids",
                                "channel_ids.not_integer",
                                format!("channel id \"{item}\" is not a whole number"),
                            ),
                        });
                        c.channel_ids = Some(ids);
                    }
                }
                field => {
                    // Most rules read one CSV cell: its text is taken from
                    // the row as `row.text` would give it, without a `Cow`.
                    let text;
                    let v = match (row, cell_at) {
                        (Row::Csv { fields, .. }, Some(i)) => cell(fields, i),
                        _ => {
                            text = row.text(source, at);
                            text.as_deref()
                        }
                    };
                    match field {
                        Field::Address(a) => {
                            // `flat_address` holds: the list has the flat one.
                            if let Some(flat) = addresses.first_mut() {
                                set_address_field(flat, *a, address_text(v, *a));
                            }
                        }
                        Field::AddressBlock(n, a) => {
                            let i = usize::from(n.saturating_sub(2));
                            if blocks.len() <= i {
                                blocks.resize_with(i + 1, Address::default);
                            }
                            set_address_field(&mut blocks[i], *a, address_text(v, *a));
                        }
                        other => {
                            let v = if self.google_lists {
                                first_of_several(*other, v, f)
                            } else {
                                v
                            };
                            set_customer_field(c, *other, v, f)
                        }
                    }
                }
            }
        }
        if let Row::Json(map) = row
            && let Some(Value::Array(attrs)) = map.get("attributes")
        {
            for a in attrs {
                c.attributes.push(Attribute {
                    attribute_id: a.get("attribute_id").and_then(Value::as_i64),
                    attribute_value: a
                        .get("attribute_value")
                        .and_then(scalar_text)
                        .map(Text::from),
                });
            }
        }
        split_name(c, f);
        // An address whose fields are all blank is no address: each is
        // checked once, as it joins the list.
        if addresses.first().is_some_and(Address::is_blank) {
            addresses.clear();
        }
        addresses.extend(blocks.into_iter().filter(|a| !a.is_blank()));
        if self.nested_addresses
            && let Row::Json(map) = row
        {
            match map.get("addresses") {
                Some(Value::Array(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        match item {
                            Value::Object(obj) => {
                                let a = address_from_json(obj);
                                if !a.is_blank() {
                                    addresses.push(a);
                                }
                            }
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
        for a in &mut addresses {
            normalise_address(a, c);
        }
        c.addresses = addresses;
        drop_lost_digits(c, f);
        restore_zip_zeros(c, f);
    }
}

/// Warns of each value a JSON record keeps under a key with no name (`""`
/// or spaces): no rule reads such a key, so the value is never sent.
fn warn_blank_keys(map: &serde_json::Map<String, Value>, f: &mut Findings) {
    for (key, value) in map {
        if !is_unnamed(key) {
            continue;
        }
        let text = match value {
            Value::Null => continue,
            Value::String(s) if trim(s).is_empty() => continue,
            Value::String(s) => trim(s).to_string(),
            other => other.to_string(),
        };
        f.warning(
            "row",
            VALUE_IN_UNNAMED_COLUMN,
            format!(
                "the record has a key with no name (\"{key}\"), so its value \"{}\" is neither read nor sent; give the key a name and map it, or remove it",
                cut_value(&text)
            ),
        );
    }
}

fn quote_list(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Severity;
    use crate::read::CsvRow;

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
    fn a_google_cell_of_several_emails_or_phones_sends_the_first_with_a_warning() {
        let col = |c: &str| Source::Column(c.into());
        let m = mapping(
            &["E-mail 1 - Value", "Phone 1 - Value"],
            vec![
                (Field::Email, col("E-mail 1 - Value")),
                (Field::Phone, col("Phone 1 - Value")),
            ],
        );
        let mut f = Findings::new(1, 2);
        let c = m
            .map(
                &raw(&[
                    "Ann@example.com ::: ann.lee@work.example",
                    "+1 617-555-0100 ::: +1 617-555-0199 ::: ",
                ]),
                &mut f,
            )
            .expect("maps");
        assert_eq!(c.email.as_deref(), Some("ann@example.com"));
        assert_eq!(c.phone.as_deref(), Some("+1 617-555-0100"));
        let rules: Vec<_> = f.items.iter().map(|v| (v.rule, v.severity)).collect();
        assert_eq!(
            rules,
            [
                ("email.several_values", Severity::Warning),
                ("phone.several_values", Severity::Warning)
            ]
        );
        assert!(
            f.items[1].text.contains("\"+1 617-555-0199\""),
            "{}",
            f.items[1].text
        );
        // One value, or a colon of another kind, is left as it is.
        let mut f = Findings::new(1, 2);
        let c = m
            .map(&raw(&["b@example.com", "tel: 555 0100"]), &mut f)
            .expect("maps");
        assert_eq!(c.phone.as_deref(), Some("tel: 555 0100"));
        assert!(f.items.is_empty(), "{:?}", f.items);
    }

    #[test]
    fn tags_written_as_a_quoted_list_lose_the_lists_quotes() {
        let split = Source::Split {
            column: "TAGS".into(),
            separator: ",".into(),
        };
        let m = mapping(
            &["Email", "TAGS"],
            vec![
                (Field::Email, Source::Column("Email".into())),
                (Field::Tags, split),
            ],
        );
        for (cell, want) in [
            // Mailchimp's export.
            (r#""VIP","Newsletter""#, vec!["VIP", "Newsletter"]),
            (r#""VIP", "Gold, old""#, vec!["VIP", "Gold, old"]),
            (r#""say ""hi""""#, vec![r#"say "hi""#]),
            // Not a quoted list: split as written.
            (r#""Big" spender, VIP"#, vec![r#""Big" spender"#, "VIP"]),
            (r#""open, VIP"#, vec![r#""open"#, "VIP"]),
            ("VIP, Gold", vec!["VIP", "Gold"]),
        ] {
            let mut f = Findings::new(1, 2);
            let c = m.map(&raw(&["a@x.com", cell]), &mut f).expect("maps");
            assert_eq!(c.tags, want, "{cell}");
        }
    }

    #[test]
    fn one_row_fills_tags_channel_ids_and_addresses_as_its_rules_say() {
        let col = |c: &str| Source::Column(c.into());
        let split = |c: &str| Source::Split {
            column: c.into(),
            separator: ",".into(),
        };
        let m = mapping(
            &[
                "Email", "Name", "Tags", "More", "Channels", "City", "City 2", "Zip 2",
            ],
            vec![
                (Field::Email, col("Email")),
                (Field::FirstName, col("Name")),
                (Field::Tags, split("Tags")),
                (Field::Tags, split("More")),
                (Field::ChannelIds, split("Channels")),
                (Field::Address(AddressField::City), col("City")),
                (Field::AddressBlock(2, AddressField::City), col("City 2")),
                (Field::AddressBlock(2, AddressField::Zip), col("Zip 2")),
            ],
        );
        let mut f = Findings::new(1, 2);
        let c = m
            .map(
                &raw(&[
                    " Ann@Example.COM ",
                    " Ann ",
                    "vip, Gold,,",
                    "GOLD ,new",
                    "1, x ,3",
                    "  ",
                    "Lyon",
                    "'069",
                ]),
                &mut f,
            )
            .expect("maps");
        assert_eq!(c.email.as_deref(), Some("ann@example.com"));
        assert_eq!(c.first_name.as_deref(), Some("Ann"));
        // Items trimmed, blanks dropped, a tag differing only in case kept once.
        assert_eq!(c.tags, vec!["vip", "Gold", "new"]);
        assert_eq!(c.channel_ids, Some(vec![1, 3]));
        assert_eq!(f.items.len(), 1, "{:?}", f.items);
        assert_eq!(f.items[0].rule, "channel_ids.not_integer");
        // The blank flat address is no address; the block is the first,
        // with the customer's name and its zip's `'` removed.
        assert_eq!(c.addresses.len(), 1, "{:?}", c.addresses);
        let a = &c.addresses[0];
        assert_eq!(
            (a.city.as_deref(), a.zip.as_deref(), a.first_name.as_deref()),
            (Some("Lyon"), Some("069"), Some("Ann"))
        );
        assert!(!a.default);
        // A blank channel cell gives no channel ids, a filled flat address
        // comes first and is the default.
        let c = m
            .map(&raw(&["b@x.com", "", "", "", " ", "Paris", "", ""]), &mut f)
            .expect("maps");
        assert_eq!(c.channel_ids, None);
        assert_eq!(c.addresses.len(), 1);
        assert_eq!(c.addresses[0].city.as_deref(), Some("Paris"));
        assert!(c.addresses[0].default);
    }

    #[test]
    fn a_json_record_is_read_by_its_keys_though_the_header_gave_positions() {
        // A JSON input's columns are its keys: the rules' positions are
        // known, but a record is read by name.
        let m = mapping(
            &["city", "email"],
            vec![
                (Field::Email, Source::Column("email".into())),
                (
                    Field::Address(AddressField::City),
                    Source::Column("city".into()),
                ),
            ],
        );
        let rec = RawRecord {
            body: RawBody::JsonLine(br#"{"email":" A@B.co ","city":"Oslo"}"#.to_vec()),
            ..raw(&[])
        };
        let mut f = Findings::new(1, 2);
        let c = m.map(&rec, &mut f).expect("maps");
        assert_eq!(c.email.as_deref(), Some("a@b.co"));
        assert_eq!(c.addresses[0].city.as_deref(), Some("Oslo"));
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
