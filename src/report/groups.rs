//! What the dry-run reports say about each rule's group of findings, in the
//! user's words: a plain-language title for a rule code, a finding's field
//! named by the input column that fills it (or in words, "address 1
//! street", when no column does), up to [`EXAMPLES_PER_GROUP`] example rows
//! per rule in the input's own columns with the offending cells named, and
//! the problems of the whole file (a required field with no column mapped,
//! a rule that breaks most records, a column mangled by a spreadsheet).
//!
//! The JSON report and the HTML page both show these; they are computed
//! here once, so the two never disagree. Memory stays bounded: an example
//! is built only while its rule has fewer than [`EXAMPLES_PER_GROUP`], each
//! shows at most [`ROWS_PER_EXAMPLE`] rows and [`CELL_CHARS`] characters a
//! cell.

use serde::Serialize;

use super::{ColumnFate, Context, RuleCount};
use crate::findings::{Severity, Violation};
use crate::read::{RawBody, RawRecord};

/// Example rows kept per rule.
pub const EXAMPLES_PER_GROUP: usize = 20;
/// Rows of one record shown in an example (an order's line items, a
/// customer's continuation rows); the row the finding is on is always shown.
pub const ROWS_PER_EXAMPLE: usize = 10;
/// Characters of a cell shown in an example; a longer value ends in `…`.
pub const CELL_CHARS: usize = 300;

/// One record a rule was found on, in the input's own columns.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Example {
    /// Record number, from 1.
    pub record: u64,
    /// The line the finding is on (the row whose cells are marked).
    pub line: u64,
    /// The input columns holding the offending value (marked in the row of
    /// `line`); empty when the finding is about the whole row or about a
    /// field no column fills.
    pub columns: Vec<String>,
    /// The finding's sentence for this record, without the `line N: `,
    /// its field path said in the user's words.
    pub text: String,
    /// The record's rows as read, each aligned with `context.header`.
    pub rows: Vec<ExampleRow>,
}

/// One input row of an example.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExampleRow {
    /// The row's line, from 1.
    pub line: u64,
    /// Its values, one per `context.header` column.
    pub cells: Vec<String>,
}

/// A problem of the whole file, shown before any row.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FileProblem {
    /// `unmapped_required` (a required field no column fills),
    /// `most_records` (a violation on more than half of the records) or
    /// `spreadsheet` (values a spreadsheet turned into numbers).
    pub kind: &'static str,
    /// The rule code it comes from.
    pub rule: &'static str,
    /// Records the rule was found on.
    pub count: u64,
    /// The input columns concerned (empty for `unmapped_required`).
    pub columns: Vec<String>,
    /// What is wrong and what to do.
    pub message: String,
}

/// A rule's group as it is first met: title, field in the user's words and
/// columns, from its first finding.
pub fn new_group(v: &Violation, context: &Context) -> RuleCount {
    let columns = columns_for(&v.field, &context.columns);
    let field = field_words(&v.field, &columns);
    RuleCount {
        severity: v.severity,
        count: 0,
        example_lines: Vec::new(),
        title: title(v.rule),
        message: in_words(&v.text, &v.field, &field),
        field,
        columns,
        examples: Vec::new(),
    }
}

/// A finding's sentence with its internal path (`addresses[0].city`)
/// replaced by the field in the user's words; a plain name (`email`) is
/// left alone, as it reads as a word already.
pub fn in_words(text: &str, path: &str, words: &str) -> String {
    if path.contains(['[', '.']) {
        text.replace(path, words)
    } else {
        text.to_string()
    }
}

/// `v` shown on the record made of `rows`, in the input's columns.
pub fn example(v: &Violation, rows: &[RawRecord], context: &Context) -> Example {
    let header = &context.header;
    let mut flat: Vec<&RawRecord> = Vec::new();
    for r in rows {
        flat.push(r);
        flat.extend(r.continued.iter());
    }
    let shown: Vec<ExampleRow> = flat
        .iter()
        .enumerate()
        .filter(|(i, r)| *i < ROWS_PER_EXAMPLE || r.line == v.line)
        .map(|(_, r)| ExampleRow {
            line: r.line,
            cells: cells(r, header),
        })
        .collect();
    let columns = columns_for(&v.field, &context.columns);
    Example {
        record: v.record,
        line: v.line,
        text: in_words(&v.text, &v.field, &field_words(&v.field, &columns)),
        columns,
        rows: shown,
    }
}

/// A row's values aligned with `header`, each cut to [`CELL_CHARS`].
fn cells(r: &RawRecord, header: &[String]) -> Vec<String> {
    let mut out: Vec<String> = match &r.body {
        RawBody::Csv(rec) => rec
            .iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect(),
        RawBody::Broken { fields, .. } => fields.clone(),
        RawBody::JsonLine(bytes) => match serde_json::from_slice(bytes) {
            Ok(serde_json::Value::Object(m)) => header
                .iter()
                .map(|k| match m.get(k) {
                    None | Some(serde_json::Value::Null) => String::new(),
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                })
                .collect(),
            // A line that is not an object: shown whole in the first cell.
            _ => vec![String::from_utf8_lossy(bytes).into_owned()],
        },
    };
    // A row with too many fields keeps its extras in its last cell, so no
    // value is hidden; a short row is padded.
    if out.len() > header.len() && !header.is_empty() {
        let extra = out.split_off(header.len() - 1).join(",");
        out.push(extra);
    }
    out.resize(header.len().max(1), String::new());
    out.into_iter().map(|c| cut(&c)).collect()
}

/// `s` cut to [`CELL_CHARS`] characters.
fn cut(s: &str) -> String {
    match s.char_indices().nth(CELL_CHARS) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

/// The canonical field names a finding's path may come from, most precise
/// first: `addresses[1].postal_code` → `address.2.zip`, `address.zip`,
/// `addresses`; `lineItems[0].productVariantId` →
/// `line_item.product_variant_id`, `line_item.sku`.
fn candidates(path: &str) -> Vec<String> {
    let parts: Vec<(String, Option<usize>)> = path
        .split('.')
        .map(|p| match p.split_once('[') {
            Some((name, rest)) => (snake(name), rest.trim_end_matches(']').parse().ok()),
            None => (snake(p), None),
        })
        .collect();
    let Some((leaf, _)) = parts.last() else {
        return Vec::new();
    };
    let leaves: Vec<&str> = match leaf.as_str() {
        "postal_code" => vec!["zip"],
        "state_or_province" => vec!["province", "province_code"],
        "country_code" => vec!["country_code", "country"],
        "country" => vec!["country", "country_code"],
        "product_variant_id" => vec!["product_variant_id", "sku"],
        "phone_number" => vec!["phone"],
        "first_name" | "last_name" => vec![leaf.as_str(), "name"],
        other => vec![other],
    };
    let mut out = Vec::new();
    if parts.len() == 1 {
        out.extend(leaves.iter().map(|l| (*l).to_string()));
        return out;
    }
    let (head, index) = &parts[0];
    let prefixes: Vec<String> = match head.as_str() {
        "addresses" | "address" => {
            let mut p = Vec::new();
            if let Some(i) = index.filter(|i| *i > 0) {
                p.push(format!("address.{}", i + 1));
            }
            p.push("address".into());
            p
        }
        "line_items" | "line_item" => vec!["line_item".into()],
        "shipping_address" | "shipping" => vec!["shipping".into()],
        "customer" => vec![String::new()],
        other => vec![other.to_string()],
    };
    for p in &prefixes {
        for l in &leaves {
            out.push(if p.is_empty() {
                (*l).to_string()
            } else {
                format!("{p}.{l}")
            });
        }
    }
    // Nested JSON input: the whole list is one column.
    out.push(head.clone());
    out
}

/// `camelCase` as `snake_case`.
fn snake(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for ch in s.chars() {
        if ch.is_ascii_uppercase() {
            out.push('_');
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// The input columns that fill the field at `path`: those of its most
/// precise candidate that any column fills.
pub fn columns_for(path: &str, columns: &[ColumnFate]) -> Vec<String> {
    for name in candidates(path) {
        let found: Vec<String> = columns
            .iter()
            .filter(|c| c.fields.contains(&name))
            .map(|c| c.column.clone())
            .collect();
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

/// A finding's field in the user's words: the input columns that fill it,
/// else the path in words (`addresses[0].address1` → "address 1 street").
pub fn field_words(path: &str, columns: &[String]) -> String {
    if !columns.is_empty() {
        return columns.join(" + ");
    }
    path_words(path)
}

/// A field path in words: `addresses[0].address1` → "address 1 street",
/// `lineItems[1].quantity` → "line item 2 quantity".
pub fn path_words(path: &str) -> String {
    if path == "row" {
        return "the whole row".into();
    }
    path.split('.')
        .map(|p| match p.split_once('[') {
            Some((name, rest)) => {
                let n = rest
                    .trim_end_matches(']')
                    .parse::<u64>()
                    .map_or(String::new(), |i| format!(" {}", i + 1));
                format!("{}{n}", singular(&word(name)))
            }
            None => word(p),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A list's name as one of its items: "addresses" → "address".
fn singular(w: &str) -> String {
    match w {
        "addresses" => "address".into(),
        "line items" => "line item".into(),
        "attributes" => "attribute".into(),
        other => other.strip_suffix('s').unwrap_or(other).to_string(),
    }
}

/// One path segment in words.
fn word(segment: &str) -> String {
    let s = snake(segment);
    match s.as_str() {
        "address1" => "street".into(),
        "address2" => "street line 2".into(),
        "postal_code" | "zip" => "postal code".into(),
        "state_or_province" => "state or province".into(),
        "product_variant_id" => "product variant".into(),
        "order_key" => "order number".into(),
        "email_or_phone" => "email or phone".into(),
        "shipping" => "shipping address".into(),
        other => other.replace('_', " "),
    }
}

/// A rule code as a plain-language title: `email.invalid` → "Email is not
/// valid", `address.no_street_left_out` → "Address without a street line,
/// left out".
pub fn title(rule: &str) -> String {
    let fixed = match rule {
        "name.split" => Some("Full name split into first and last name"),
        "shipping.name.split" => Some("Shipping name split into first and last name"),
        "address.no_street_left_out" => Some("Address without a street line, left out"),
        "email_or_phone.required" => Some("Neither an email nor a phone"),
        "customer.contact.required" => Some("Order's customer has neither email nor phone"),
        "customer.not_linkable" => Some("Order's customer was refused or not imported"),
        "line_item.sku_unknown" => Some("Line item SKU is not in the variants file"),
        "line_item.variants_needed" => Some("Line items need a variants file (--variants)"),
        "order_key.not_together" => Some("Order's rows are not together"),
        "order_key.required" => Some("Order number is missing"),
        "order.cancelled" => Some("Order was cancelled in the source"),
        "order.conflicting_value" => Some("Order's rows disagree on a value"),
        "order.field_unknown" => Some("Unknown order field"),
        "row.field_count" => Some("Row has the wrong number of fields"),
        "row.unclosed_quote" => Some("Row has an unclosed quote"),
        "row.nul_byte" => Some("Row holds a NUL byte"),
        "row.value_in_unnamed_column" => Some("Value in a column with no name, not sent"),
        "row.invalid_utf8" => Some("Row is not UTF-8 text"),
        "row.invalid_json" | "input.invalid_json" => Some("Line is not valid JSON"),
        "row.not_an_object" => Some("Line is not a JSON object"),
        "row.too_large" => Some("Row is too large"),
        "row.continuation_without_record" => Some("Continuation row with no customer above it"),
        "address.blank_continuation" => Some("Blank continuation row"),
        "address.zip.odd" => Some("Postal code looks odd"),
        "json.duplicate_key" => Some("A JSON key appears twice"),
        "json.not_text" => Some("A JSON value is not text"),
        _ => None,
    };
    if let Some(t) = fixed {
        return t.into();
    }
    let (subject, problem) = rule.rsplit_once('.').unwrap_or((rule, ""));
    let s = subject
        .split('.')
        .map(word)
        .collect::<Vec<_>>()
        .join(" ")
        .replace("shipping address address", "shipping address");
    let t = match problem {
        "required" => format!("{s} is missing"),
        "too_long" => format!("{s} is too long"),
        "too_short" => format!("{s} is too short"),
        "invalid" => format!("{s} is not valid"),
        "duplicate_in_file" => format!("{s} appears more than once in the file"),
        "scientific_notation" => format!("{s} mangled by a spreadsheet (scientific notation)"),
        "not_e164" => format!("{s} is not a valid international number"),
        "unknown" => format!("{s} is not one the platform knows"),
        "not_boolean" => format!("{s} is not yes or no"),
        "not_integer" => format!("{s} is not a whole number"),
        "not_a_list" => format!("{s} is not a list"),
        "not_an_object" => format!("{s} is not an object"),
        "too_many" => format!("too many {s}"),
        "blank" => format!("{s} is blank"),
        "empty" => format!("{s} is empty"),
        _ => rule.replace(['.', '_'], " "),
    };
    capitalise(&t)
}

/// `s` with its first letter upper-case.
fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The problems of the whole file, worst first: required fields no column
/// fills, then spreadsheet damage, then violations on most records.
pub fn file_problems(
    by_rule: &std::collections::BTreeMap<&'static str, RuleCount>,
    records: u64,
) -> Vec<FileProblem> {
    let of = |n: u64| {
        if n == records {
            format!("all {records}")
        } else {
            format!("{n} of {records}")
        }
    };
    let mut out = Vec::new();
    for (rule, r) in by_rule {
        // A required field no column fills fails on every record, unless
        // something else fills it on some (an address's name from the
        // customer's): only a field missing on most records is the file's.
        if r.severity == Severity::Violation
            && rule.ends_with(".required")
            && r.columns.is_empty()
            && r.field != "the whole row"
            && r.count * 2 > records
        {
            out.push(FileProblem {
                kind: "unmapped_required",
                rule,
                count: r.count,
                columns: Vec::new(),
                message: format!(
                    "no column is mapped to {}: {} records fail {rule}; map a column to it with a mapping file (`storeload mapping` writes one to edit) or add the column",
                    r.field,
                    of(r.count)
                ),
            });
        }
    }
    for (rule, r) in by_rule {
        if rule.ends_with(".scientific_notation") {
            let column = if r.columns.is_empty() {
                r.field.clone()
            } else {
                r.columns.join(", ")
            };
            out.push(FileProblem {
                kind: "spreadsheet",
                rule,
                count: r.count,
                columns: r.columns.clone(),
                message: format!(
                    "column {column} looks mangled by a spreadsheet: {} {} a number in scientific notation there and its digits are lost; export the file again with the column formatted as text",
                    r.count,
                    if r.count == 1 { "record holds" } else { "records hold" }
                ),
            });
        }
    }
    if let Some(r) = by_rule.get("row.invalid_utf8") {
        // One broken byte is damage; accented letters refused row after
        // row are an encoding: Excel's plain "CSV" on Windows writes
        // Windows-1252, where é is one byte that UTF-8 does not read.
        out.push(FileProblem {
            kind: "encoding",
            rule: "row.invalid_utf8",
            count: r.count,
            columns: r.columns.clone(),
            message: format!(
                "{} not UTF-8 text: the file is most likely saved in another encoding (Windows-1252 or Latin-1, what Excel's plain \"CSV\" writes on Windows); read it with `--encoding windows-1252`, or save it as \"CSV UTF-8\" and validate again",
                match (r.count, records) {
                    (1, 1) => "the record is".to_string(),
                    (n, t) if n == t => format!("all {t} records are"),
                    (1, t) => format!("1 of {t} records is"),
                    (n, t) => format!("{n} of {t} records are"),
                }
            ),
        });
    }
    for (rule, r) in by_rule {
        let unmapped = out
            .iter()
            .any(|p| p.rule == *rule && p.kind == "unmapped_required");
        if r.severity == Severity::Violation && !unmapped && records >= 2 && r.count * 2 > records {
            out.push(FileProblem {
                kind: "most_records",
                rule,
                count: r.count,
                columns: r.columns.clone(),
                message: format!(
                    "{rule} breaks {} records: the column is likely mapped wrong or the file's layout differs; check the mapping before fixing rows one by one",
                    of(r.count)
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fate(column: &str, fields: &[&str]) -> ColumnFate {
        ColumnFate {
            column: column.into(),
            position: 1,
            fate: "sent",
            fields: fields.iter().map(|f| (*f).to_string()).collect(),
            not_sent: Vec::new(),
            reason: None,
            auto_mapped: false,
        }
    }

    #[test]
    fn a_platform_path_is_named_by_the_column_that_fills_it() {
        let cols = vec![
            fate("Email", &["email"]),
            fate("Zip", &["address.zip"]),
            fate("Full Name", &["name"]),
            fate("Qty", &["line_item.quantity"]),
            fate("SKU", &["line_item.sku"]),
        ];
        assert_eq!(columns_for("email", &cols), ["Email"]);
        assert_eq!(columns_for("addresses[0].postal_code", &cols), ["Zip"]);
        assert_eq!(columns_for("addresses[2].postal_code", &cols), ["Zip"]);
        assert_eq!(columns_for("first_name", &cols), ["Full Name"]);
        assert_eq!(columns_for("lineItems[1].quantity", &cols), ["Qty"]);
        assert_eq!(columns_for("lineItems[0].productVariantId", &cols), ["SKU"]);
        assert!(columns_for("addresses[0].city", &cols).is_empty());
    }

    #[test]
    fn a_numbered_address_block_is_preferred_to_the_first_address() {
        let cols = vec![
            fate("City", &["address.city"]),
            fate("City - 2", &["address.2.city"]),
        ];
        assert_eq!(columns_for("addresses[1].city", &cols), ["City - 2"]);
        assert_eq!(columns_for("addresses[0].city", &cols), ["City"]);
    }

    #[test]
    fn a_path_with_no_column_is_said_in_words() {
        assert_eq!(path_words("addresses[0].address1"), "address 1 street");
        assert_eq!(path_words("lineItems[1].quantity"), "line item 2 quantity");
        assert_eq!(
            path_words("shippingAddress.phone"),
            "shipping address phone"
        );
        assert_eq!(path_words("first_name"), "first name");
        assert_eq!(field_words("email", &["E-Mail".into()]), "E-Mail");
    }

    #[test]
    fn rule_codes_read_as_plain_titles() {
        assert_eq!(title("email.invalid"), "Email is not valid");
        assert_eq!(title("first_name.required"), "First name is missing");
        assert_eq!(
            title("address.postal_code.too_long"),
            "Address postal code is too long"
        );
        assert_eq!(
            title("shipping_address.city.required"),
            "Shipping address city is missing"
        );
        assert_eq!(
            title("name.split"),
            "Full name split into first and last name"
        );
        assert_eq!(title("made.up"), "Made up");
    }

    #[test]
    fn a_long_cell_is_cut_and_a_long_row_keeps_its_extras() {
        let header: Vec<String> = vec!["a".into(), "b".into()];
        let raw = RawRecord {
            number: 1,
            line: 2,
            offset: 0,
            body: RawBody::Broken {
                rule: "row.field_count",
                message: String::new(),
                fields: vec!["x".repeat(400), "y".into(), "z".into()],
            },
            continued: Vec::new(),
        };
        let c = cells(&raw, &header);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].chars().count(), CELL_CHARS + 1);
        assert_eq!(c[1], "y,z");
    }
}
