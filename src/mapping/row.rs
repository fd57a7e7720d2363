//! One record's values as the mapping reads them: a CSV row by its
//! columns' positions (or names), a JSON record by its keys; each value
//! trimmed, a list split, a street split into lines.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{AddressField, GOOGLE_LABELS, Source, Utf8Row};
use crate::model::Text;
use crate::values::{strip_spreadsheet_quote, trim};

/// Column name → index. Every rule looks its columns up on every row, so
/// the names are hashed with foldhash's fast hasher instead of the default
/// SipHash, which cost a few hundred instructions per lookup; the names are
/// the input's own header, so a keyed hash protects nothing here, and the
/// fixed seed spares each mapping the random-seed setup.
pub(super) type ColumnIndex = HashMap<String, usize, foldhash::fast::FixedState>;

/// One record's values, by column name.
pub(super) enum Row<'a> {
    Csv {
        fields: Utf8Row<'a>,
        index: &'a ColumnIndex,
    },
    Json(&'a Map<String, Value>),
}

impl Row<'_> {
    /// A column's value: by its position when known (CSV), else by name.
    pub(super) fn column_at(&self, name: &str, at: Option<usize>) -> Option<Cow<'_, str>> {
        match (self, at) {
            (Row::Csv { fields, .. }, Some(i)) => fields.get(i).map(Cow::Borrowed),
            _ => self.column(name),
        }
    }

    pub(super) fn column(&self, name: &str) -> Option<Cow<'_, str>> {
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

    pub(super) fn has(&self, source: &Source, at: &[usize]) -> bool {
        source.columns().iter().enumerate().any(|(k, c)| {
            self.column_at(c, at.get(k).copied())
                .is_some_and(|v| !v.trim().is_empty())
        })
    }

    /// The source's value, trimmed; `None` when blank. A CSV cell or a
    /// fixed value is borrowed: the caller copies only what it keeps.
    /// `at`: the positions of the source's columns (CSV), or empty.
    pub(super) fn text<'s>(&'s self, source: &'s Source, at: &[usize]) -> Option<Cow<'s, str>> {
        let first = at.first().copied();
        // Most values: one CSV cell at a known position, borrowed.
        if let (Row::Csv { fields, .. }, Source::Column(_), Some(i)) = (self, source, first) {
            return cell(fields, i).map(Cow::Borrowed);
        }
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
    pub(super) fn json_value(&self, key: &str) -> Option<&Value> {
        match self {
            Row::Json(map) => map.get(key),
            Row::Csv { .. } => None,
        }
    }

    /// The JSON array a column or split source reads, if the value is one.
    pub(super) fn json_array(&self, source: &Source) -> Option<&Vec<Value>> {
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

    /// Calls `each` with every item of the source's value as a list: split
    /// on its separator, trimmed, blanks dropped. A JSON array is already a
    /// list: its items are not split. The items are borrowed from the row
    /// (no list is built): the caller copies only what it keeps.
    pub(super) fn for_each_item(
        &self,
        source: &Source,
        at: &[usize],
        default_sep: &str,
        mut each: impl FnMut(&str),
    ) {
        let sep = match source {
            Source::Split { separator, .. } => separator.as_str(),
            _ => default_sep,
        };
        if let Some(items) = self.json_array(source) {
            for item in items.iter().filter_map(scalar_text) {
                let item = item.trim();
                if !item.is_empty() {
                    each(item);
                }
            }
            return;
        }
        let google = sep == GOOGLE_LABELS;
        let Some(v) = self.text(source, at) else {
            return;
        };
        // Mailchimp writes its tags as a quoted list (`"VIP","Gold, old"`):
        // the quotes are the list's, not the tags'.
        if sep == ","
            && v.starts_with('"')
            && let Some(items) = quoted_list(&v)
        {
            for item in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
                each(item);
            }
            return;
        }
        for item in v.split(if google { GOOGLE_LABELS.trim() } else { sep }) {
            let item = item.trim();
            // Google's own groups (`* myContacts`) are no labels.
            if !(item.is_empty() || (google && item.starts_with("* "))) {
                each(item);
            }
        }
    }
}

/// The items of a cell written as one CSV line of quoted values
/// (`"VIP","Gold, old"`); `None` when it is not one (a quote left open,
/// text after a closing quote), and the cell is split as written.
fn quoted_list(cell: &str) -> Option<Vec<String>> {
    // `"VIP", "Gold"`: a space after the list's commas is no part of a tag.
    let squeezed = cell.trim().replace("\", \"", "\",\"");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(squeezed.as_bytes());
    let mut records = reader.records();
    let record = records.next()?.ok()?;
    if records.next().is_some() {
        return None;
    }
    // A field the parser had to take text after a closing quote into is
    // not a clean list: `"a"b` reads as `ab`. Each item must be quoted
    // whole, so the cell rebuilt from the items must be the cell.
    let rebuilt = record
        .iter()
        .map(|i| format!("\"{}\"", i.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(",");
    (rebuilt == squeezed).then(|| record.iter().map(str::to_string).collect())
}

/// The text of CSV field `i`, trimmed; `None` when blank or absent: what
/// [`Row::text`] answers for a rule reading that one column. The row loop
/// calls this directly for most fields (no `Cow` built, no source matched).
#[inline]
pub(super) fn cell<'a>(fields: &Utf8Row<'a>, i: usize) -> Option<&'a str> {
    Some(trim(fields.get(i)?)).filter(|v| !v.is_empty())
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

/// An address field's value from its text (already trimmed): a
/// spreadsheet's `'` removed from phone and zip.
pub(super) fn address_text(v: Option<&str>, field: AddressField) -> Option<Text> {
    let v = match field {
        AddressField::Phone | AddressField::Zip => v
            .map(|s| trim(strip_spreadsheet_quote(s)))
            .filter(|s| !s.is_empty()),
        _ => v,
    };
    v.map(Text::from)
}

pub(super) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
