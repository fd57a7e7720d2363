//! Mapping files: a user's TOML that names, for each canonical field, the
//! column it comes from, with a few transforms (split a list, join columns,
//! a constant). Trimming is always on.
//!
//! ```toml
//! email = "E-Mail"
//! tags = { column = "Labels", split = "|" }
//! name = { join = ["Vorname", "Nachname"], separator = " " }
//! notes = { value = "imported from CRM" }
//! [address]
//! city = "Ort"
//! ```

use std::path::Path;

use toml::{Table, Value};

use super::field::{ADDRESS_FIELDS, AddressField, CUSTOMER_FIELDS, Field};
use super::{Mapping, Origin, Source};
use crate::error::CliError;
use crate::read::{Format, Input};

/// Reads the mapping file at `path` and binds it to the input's columns.
pub fn load(path: &Path, columns: &[String], label: &str) -> Result<Mapping, CliError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("{shown}: cannot read the mapping file: {e}")))?;
    let (rules, continuation) =
        parse_file(&text).map_err(|e| CliError::usage(format!("{shown}: {e}")))?;
    let nested = !rules
        .iter()
        .any(|(f, _)| matches!(f, Field::Address(_) | Field::AddressBlock(..)));
    let mapping = Mapping::bind(
        Origin::File(shown),
        rules,
        nested,
        Vec::new(),
        columns,
        label,
    )?;
    match continuation {
        Some(col) => mapping.with_continuation(&col, label),
        None => Ok(mapping),
    }
}

/// Reads the mapping file at `path` and binds it to `input`. For JSONL,
/// whose lines need not share their keys, a key the file names is not
/// required to appear in the objects seen at the start, and a nested
/// `addresses` array is read too.
pub fn load_for(path: &Path, input: &Input) -> Result<Mapping, CliError> {
    if !matches!(input.format, Format::Jsonl | Format::Json) {
        return load(path, &input.columns, &input.label);
    }
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("{shown}: cannot read the mapping file: {e}")))?;
    let rules = parse(&text).map_err(|e| CliError::usage(format!("{shown}: {e}")))?;
    let mut columns = input.columns.clone();
    for (_, source) in &rules {
        for col in source.columns() {
            if !columns.iter().any(|c| c == col) {
                columns.push(col.to_string());
            }
        }
    }
    Mapping::bind(
        Origin::File(shown),
        rules,
        true,
        Vec::new(),
        &columns,
        &input.label,
    )
}

/// Field ← source rules, in file order.
pub type Rules = Vec<(Field, Source)>;

/// Parses mapping-file text into field ← source rules.
pub fn parse(text: &str) -> Result<Vec<(Field, Source)>, String> {
    parse_file(text).map(|(rules, _)| rules)
}

/// Parses mapping-file text into field ← source rules and the column that
/// marks continuation rows (`continuation = "email"`: a row whose email is
/// blank adds an address to the customer above).
pub fn parse_file(text: &str) -> Result<(Rules, Option<String>), String> {
    let table: Table = text
        .parse()
        .map_err(|e: toml::de::Error| format!("not a valid mapping file: {}", e.message()))?;
    let mut rules = Vec::new();
    let mut continuation = None;
    for (key, value) in &table {
        if key == "continuation" {
            let Value::String(col) = value else {
                return Err(
                    "continuation must name a column, e.g. continuation = \"email\"".into(),
                );
            };
            continuation = Some(col.clone());
            continue;
        }
        if key == "address" {
            let Value::Table(addr) = value else {
                return Err("[address] must be a table of address field = column".into());
            };
            for (akey, avalue) in addr {
                if let (Ok(n), Value::Table(block)) = (akey.parse::<u8>(), avalue) {
                    if !(2..=20).contains(&n) {
                        return Err(format!(
                            "[address.{akey}]: numbered address blocks go from 2 to 20 ([address] is the first)"
                        ));
                    }
                    for (bkey, bvalue) in block {
                        let field = AddressField::from_name(bkey).ok_or_else(|| {
                            format!("unknown address field \"{bkey}\" in [address.{n}]")
                        })?;
                        rules.push((
                            Field::AddressBlock(n, field),
                            source(&format!("address.{n}.{bkey}"), bvalue)?,
                        ));
                    }
                    continue;
                }
                let field = AddressField::from_name(akey).ok_or_else(|| {
                    format!(
                        "unknown address field \"{akey}\"; address fields are: {}",
                        ADDRESS_FIELDS
                            .iter()
                            .map(|(_, n)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
                rules.push((
                    Field::Address(field),
                    source(&format!("address.{akey}"), avalue)?,
                ));
            }
            continue;
        }
        let field = Field::customer(key).ok_or_else(|| {
            format!(
                "unknown field \"{key}\"; fields are: {}, and an [address] table",
                CUSTOMER_FIELDS
                    .iter()
                    .map(|(_, n)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        rules.push((field, source(key, value)?));
    }
    Ok((rules, continuation))
}

/// Reads one field's source: a column name, or a table with `split`,
/// `join`, `value` or `line` (one line of a street column).
pub(crate) fn source(key: &str, value: &Value) -> Result<Source, String> {
    let bad = || {
        format!(
            "{key}: expected a column name (\"Email\"), {{ column = \"Tags\", split = \",\" }}, {{ join = [\"First\", \"Last\"], separator = \" \" }}, {{ column = \"street\", line = 1 }} or {{ value = \"constant\" }}"
        )
    };
    match value {
        Value::String(col) => Ok(Source::Column(col.clone())),
        Value::Table(t) => {
            let text = |k: &str| t.get(k).and_then(Value::as_str).map(str::to_string);
            if let Some(v) = t.get("value") {
                let v = match v {
                    Value::String(s) => s.clone(),
                    Value::Integer(i) => i.to_string(),
                    Value::Boolean(b) => b.to_string(),
                    _ => return Err(bad()),
                };
                return Ok(Source::Value(v));
            }
            if let Some(Value::Array(cols)) = t.get("join") {
                let columns = cols
                    .iter()
                    .map(|c| c.as_str().map(str::to_string).ok_or_else(bad))
                    .collect::<Result<Vec<_>, _>>()?;
                return Ok(Source::Join {
                    columns,
                    separator: text("separator").unwrap_or_else(|| " ".into()),
                });
            }
            let column = text("column").ok_or_else(bad)?;
            if let Some(line) = t.get("line") {
                let line = line
                    .as_integer()
                    .and_then(|n| usize::try_from(n).ok())
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| format!("{key}: line must be a whole number from 1"))?;
                return Ok(Source::Line { column, line });
            }
            match text("split") {
                Some(separator) => Ok(Source::Split { column, separator }),
                None => Ok(Source::Column(column)),
            }
        }
        _ => Err(bad()),
    }
}

/// Writes `mapping` as mapping-file text a user can edit and pass back.
pub fn render(mapping: &Mapping) -> String {
    let mut top = String::new();
    let mut addr = String::new();
    let mut blocks: Vec<String> = Vec::new();
    for (field, source) in &mapping.rules {
        let value = source_toml(source);
        match field {
            Field::Address(a) => addr.push_str(&format!("{} = {value}\n", a.name())),
            Field::AddressBlock(n, a) => {
                let at = usize::from(*n);
                if blocks.len() <= at {
                    blocks.resize(at + 1, String::new());
                }
                blocks[at].push_str(&format!("{} = {value}\n", a.name()));
            }
            f => top.push_str(&format!("{} = {value}\n", f.name())),
        }
    }
    let mut out = format!("# storeload mapping file ({})\n", mapping.origin);
    if let Some(col) = &mapping.continuation {
        out.push_str(&format!(
            "# a row whose {col} is blank adds an address to the customer above it\ncontinuation = {}\n",
            toml_str(col)
        ));
    }
    out.push_str(&top);
    if !addr.is_empty() {
        out.push_str("\n[address]\n");
        out.push_str(&addr);
    }
    for (n, text) in blocks.iter().enumerate().filter(|(_, t)| !t.is_empty()) {
        out.push_str(&format!("\n[address.{n}]\n"));
        out.push_str(text);
    }
    out
}

/// A source as mapping-file text, the inverse of `source`.
pub(crate) fn source_toml(source: &Source) -> String {
    match source {
        Source::Column(c) => toml_str(c),
        Source::Split { column, separator } => format!(
            "{{ column = {}, split = {} }}",
            toml_str(column),
            toml_str(separator)
        ),
        Source::Join { columns, separator } => format!(
            "{{ join = [{}], separator = {} }}",
            columns
                .iter()
                .map(|c| toml_str(c))
                .collect::<Vec<_>>()
                .join(", "),
            toml_str(separator)
        ),
        Source::Value(v) => format!("{{ value = {} }}", toml_str(v)),
        Source::Line { column, line } => {
            format!("{{ column = {}, line = {line} }}", toml_str(column))
        }
    }
}

fn toml_str(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_file_reads_columns_splits_joins_and_values() {
        let rules = parse(
            r#"
email = "E-Mail"
tags = { column = "Labels", split = "|" }
name = { join = ["Vorname", "Nachname"], separator = " " }
notes = { value = "from CRM" }
[address]
city = "Ort"
"#,
        )
        .expect("valid mapping");
        assert!(rules.contains(&(Field::Email, Source::Column("E-Mail".into()))));
        assert!(rules.contains(&(
            Field::Tags,
            Source::Split {
                column: "Labels".into(),
                separator: "|".into()
            }
        )));
        assert!(rules.contains(&(Field::Notes, Source::Value("from CRM".into()))));
        assert!(rules.contains(&(
            Field::Address(AddressField::City),
            Source::Column("Ort".into())
        )));
    }

    #[test]
    fn mapping_file_unknown_field_is_named() {
        let err = parse("emial = \"E\"").expect_err("unknown field");
        assert!(err.contains("unknown field \"emial\""), "{err}");
    }
}
