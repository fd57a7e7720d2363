//! Order mapping: which column feeds which order field — a built-in preset
//! (`presets`), detected from the header or named with `--preset`, or a
//! mapping file (`file`) — bound to the input's columns, and the mapping of
//! one order's rows to an `Order`. JSON orders need no mapping: each is one
//! order in the spec's own shape (`json`).
//!
//! A CSV order is one row per line item: order-level fields come from the
//! first row that fills them, line-item fields from every row.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::field::OrderField;
use super::file::parse_file;
use super::json::from_json;
use super::presets::ORDER_PRESETS;
use super::{LineItem, Order};
use crate::error::CliError;
use crate::findings::Findings;
use crate::mapping::Source;
use crate::read::{Format, Input, RawBody, RawRecord};
use crate::values::{normalise_email, split_full_name, strip_spreadsheet_quote};

/// An order mapping bound to one input.
#[derive(Debug, Clone)]
pub struct OrderMapping {
    /// How it was chosen, for the report.
    pub origin: String,
    /// Field ← source, in order.
    pub rules: Vec<(OrderField, Source)>,
    /// Columns read on purpose and left out, with why.
    pub ignored: Vec<(String, &'static str)>,
    /// Columns no rule reads.
    pub unmapped: Vec<String>,
    /// JSONL or JSON input: each record is one whole order.
    pub json: bool,
    /// Column positions of each rule's columns (CSV).
    positions: Vec<Vec<usize>>,
    /// The position of the order key column (CSV).
    key_position: Option<usize>,
    /// Positions of the header's columns with no name (CSV): a value in
    /// one is a warning on its row, never dropped without a word.
    unnamed: Vec<usize>,
}

impl OrderMapping {
    /// Chooses the mapping for `input`: `--mapping`, `--preset`, the preset
    /// the header fits; JSONL and JSON input need none.
    pub fn choose(
        input: &Input,
        preset: Option<&str>,
        file: Option<&Path>,
    ) -> Result<OrderMapping, CliError> {
        if matches!(input.format, Format::Jsonl | Format::Json) {
            if file.is_some() || preset.is_some() {
                return Err(CliError::usage(format!(
                    "{}: JSON orders are read in bitbybit's own order shape (see the README); --preset and --mapping are for CSV orders",
                    input.label
                )));
            }
            return Ok(OrderMapping {
                origin: "JSON orders in bitbybit's shape (orderKey, customerId, customer, lineItems, shippingAddress, notes, tags)".into(),
                rules: Vec::new(),
                ignored: Vec::new(),
                unmapped: Vec::new(),
                json: true,
                positions: Vec::new(),
                key_position: None,
                unnamed: Vec::new(),
            });
        }
        let columns = &input.columns;
        if let Some(path) = file {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| {
                CliError::usage(format!("{shown}: cannot read the mapping file: {e}"))
            })?;
            let rules = parse_file(&text).map_err(|e| CliError::usage(format!("{shown}: {e}")))?;
            return bind(
                format!("mapping file {shown}"),
                rules,
                Vec::new(),
                columns,
                &input.label,
            );
        }
        let chosen = match preset {
            Some(name) => {
                let name = if name == "generic" {
                    "generic-orders"
                } else {
                    name
                };
                let p = ORDER_PRESETS
                    .iter()
                    .find(|p| p.name == name)
                    .ok_or_else(|| {
                        CliError::usage(format!(
                            "no orders preset called \"{name}\"; orders presets are: {}",
                            preset_names()
                        ))
                    })?;
                (*p, format!("preset {} (--preset)", p.name))
            }
            None => {
                let p = ORDER_PRESETS
                    .iter()
                    .find(|p| p.required.iter().all(|r| columns.iter().any(|c| c == r)))
                    .ok_or_else(|| {
                        CliError::usage(format!(
                            "{}: the header fits no orders preset ({}); name the columns in a mapping file (--mapping orders.toml, see the README) or rename them to the generic-orders columns\n\nColumns seen: {}",
                            input.label,
                            preset_names(),
                            quoted(columns)
                        ))
                    })?;
                (*p, format!("preset {} (detected from the header)", p.name))
            }
        };
        let (p, origin) = chosen;
        let rules = p
            .rules
            .iter()
            .filter(|(_, c)| columns.iter().any(|x| x == c))
            .map(|(f, c)| {
                let source = if *f == OrderField::Tags {
                    Source::Split {
                        column: (*c).to_string(),
                        separator: ",".into(),
                    }
                } else {
                    Source::Column((*c).to_string())
                };
                (*f, source)
            })
            .collect();
        let ignored = p
            .ignored
            .iter()
            .filter(|(c, _)| columns.iter().any(|x| x == c))
            .map(|(c, why)| ((*c).to_string(), *why))
            .collect();
        bind(origin, rules, ignored, columns, &input.label)
    }

    /// The order key of a CSV row, trimmed; `None` when blank or unreadable.
    pub fn key_of(&self, raw: &RawRecord) -> Option<String> {
        let RawBody::Csv(rec) = &raw.body else {
            return None;
        };
        let v = std::str::from_utf8(rec.get(self.key_position?)?)
            .ok()?
            .trim();
        (!v.is_empty()).then(|| v.to_string())
    }

    /// The mapping as a mapping file a user can edit and pass back.
    pub fn render(&self) -> String {
        super::file::render(&self.origin, &self.rules)
    }

    /// `field ← source` lines for the report.
    pub fn describe(&self) -> Vec<(String, String)> {
        let mut lines: Vec<(String, String)> = self
            .rules
            .iter()
            .map(|(f, s)| (f.name().to_string(), s.describe()))
            .collect();
        let has = |x: OrderField| self.rules.iter().any(|(f, _)| *f == x);
        if !self.json && !has(OrderField::FirstName) && !has(OrderField::LastName) {
            let from = if has(OrderField::Name) {
                "split(name)"
            } else {
                "the shipping name (no customer name column)"
            };
            lines.push(("customer first_name, last_name".into(), from.into()));
        }
        lines
    }

    /// Maps the rows of one order (one row for JSON input) to an `Order`.
    /// Rows that cannot be read give `None` and a violation.
    pub fn map(&self, rows: &[RawRecord], f: &mut Findings) -> Option<Order> {
        let first = rows.first()?;
        if let Some(r) = rows
            .iter()
            .find(|r| matches!(r.body, RawBody::Broken { .. }))
        {
            if let RawBody::Broken { rule, message, .. } = &r.body {
                f.violation_on(r.line, "row", rule, message.clone());
            }
            return None;
        }
        if self.json {
            return match &first.body {
                RawBody::JsonLine(bytes) => match serde_json::from_slice::<Value>(bytes) {
                    Ok(Value::Object(m)) => Some(from_json(&m, first.line, f)),
                    Ok(_) => {
                        f.violation(
                            "row",
                            "row.not_an_object",
                            "line is not a JSON object; each line must be one order object".into(),
                        );
                        None
                    }
                    Err(e) => {
                        f.violation(
                            "row",
                            "row.invalid_json",
                            format!("line is not valid JSON ({e}); each line must be one complete order object"),
                        );
                        None
                    }
                },
                _ => None,
            };
        }
        let mut texts: Vec<Vec<&str>> = Vec::with_capacity(rows.len());
        for r in rows {
            let RawBody::Csv(rec) = &r.body else {
                return None;
            };
            crate::mapping::warn_values(rec, &self.unnamed, r.line, f);
            match crate::mapping::utf8_fields(rec) {
                Some(fields) => texts.push(fields),
                None => {
                    f.violation_on(
                        r.line,
                        "row",
                        "row.invalid_utf8",
                        "the row is not UTF-8 text; save the file as UTF-8".into(),
                    );
                    return None;
                }
            }
        }
        let mut o = Order::default();
        let mut items: Vec<LineItem> = rows
            .iter()
            .map(|r| LineItem {
                line: r.line,
                ..LineItem::default()
            })
            .collect();
        let mut ship_name = None;
        let mut name = None;
        for ((field, source), positions) in self.rules.iter().zip(&self.positions) {
            if field.per_line_item() {
                for (item, fields) in items.iter_mut().zip(&texts) {
                    let v = value(source, positions, fields, *field);
                    match field {
                        OrderField::VariantId => item.variant_id = v,
                        OrderField::Sku => item.sku = v,
                        _ => item.quantity = v,
                    }
                }
                continue;
            }
            if *field == OrderField::Tags {
                for fields in &texts {
                    for t in list(source, positions, fields) {
                        if !o.tags.iter().any(|x| x.eq_ignore_ascii_case(&t)) {
                            o.tags.push(t);
                        }
                    }
                }
                continue;
            }
            // An order-level value: the first row that fills it; a later
            // row that says otherwise is named, as it is not sent.
            let mut chosen: Option<String> = None;
            for (fields, r) in texts.iter().zip(rows) {
                let Some(v) = value(source, positions, fields, *field) else {
                    continue;
                };
                match &chosen {
                    None => chosen = Some(v),
                    Some(c) if *c != v && *field != OrderField::Key => f.warning_on(
                        r.line,
                        field.name(),
                        "order.conflicting_value",
                        format!(
                            "{} \"{v}\" differs from \"{c}\" on the order's first row; the first is sent",
                            field.name()
                        ),
                    ),
                    Some(_) => {}
                }
            }
            let slot = match field {
                OrderField::Key => &mut o.key,
                OrderField::CustomerId => &mut o.customer_id,
                OrderField::Email => {
                    o.customer.email = chosen.map(|e| normalise_email(&e));
                    continue;
                }
                OrderField::Phone => &mut o.customer.phone,
                OrderField::FirstName => &mut o.customer.first_name,
                OrderField::LastName => &mut o.customer.last_name,
                OrderField::Name => &mut name,
                OrderField::ShipName => &mut ship_name,
                OrderField::ShipFirstName => &mut o.shipping.first_name,
                OrderField::ShipLastName => &mut o.shipping.last_name,
                OrderField::ShipPhone => &mut o.shipping.phone,
                OrderField::ShipAddress1 => &mut o.shipping.address1,
                OrderField::ShipAddress2 => &mut o.shipping.address2,
                OrderField::ShipCity => &mut o.shipping.city,
                OrderField::ShipProvince => &mut o.shipping.province,
                OrderField::ShipZip => &mut o.shipping.zip,
                OrderField::ShipCountry => &mut o.shipping.country,
                OrderField::Notes => &mut o.notes,
                OrderField::CancelledAt => &mut o.cancelled_at,
                OrderField::VariantId
                | OrderField::Sku
                | OrderField::Quantity
                | OrderField::Tags => {
                    continue;
                }
            };
            *slot = chosen;
        }
        o.line_items = items;
        fill_names(&mut o, name, ship_name, f);
        Some(o)
    }
}

/// Splits full names where first and last are missing, and gives an inline
/// customer the recipient's name when the input names no customer.
fn fill_names(o: &mut Order, name: Option<String>, ship_name: Option<String>, f: &mut Findings) {
    let s = &mut o.shipping;
    if s.first_name.is_none()
        && s.last_name.is_none()
        && let Some(full) = ship_name
    {
        let (first, last) = split_full_name(&full);
        if last.is_none() {
            f.warning(
                "shipping.name",
                "shipping.name.split",
                format!(
                    "shipping name \"{full}\" is one word: it is the first name, with no last name"
                ),
            );
        }
        s.first_name = first;
        s.last_name = last;
    }
    let c = &mut o.customer;
    if c.first_name.is_none() && c.last_name.is_none() {
        if let Some(full) = name {
            let (first, last) = split_full_name(&full);
            c.first_name = first;
            c.last_name = last;
        } else {
            c.first_name = o.shipping.first_name.clone();
            c.last_name = o.shipping.last_name.clone();
        }
    }
}

/// One source's value in one row: trimmed, `None` when blank; a
/// spreadsheet's `'` removed from id, phone and zip fields.
fn value(
    source: &Source,
    positions: &[usize],
    fields: &[&str],
    field: OrderField,
) -> Option<String> {
    let cell = |i: &usize| fields.get(*i).map(|s| s.trim()).unwrap_or("");
    let v = match source {
        Source::Column(_) | Source::Split { .. } => cell(positions.first()?).to_string(),
        Source::Join { separator, .. } => positions
            .iter()
            .map(cell)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(separator),
        Source::Value(v) => v.trim().to_string(),
        Source::Line { line, .. } => crate::mapping::street_lines(cell(positions.first()?))
            .get(line.checked_sub(1)?)?
            .trim()
            .to_string(),
    };
    let v = match field {
        OrderField::CustomerId
        | OrderField::Phone
        | OrderField::ShipPhone
        | OrderField::ShipZip
        | OrderField::VariantId => strip_spreadsheet_quote(&v).trim().to_string(),
        _ => v,
    };
    (!v.is_empty()).then_some(v)
}

fn list(source: &Source, positions: &[usize], fields: &[&str]) -> Vec<String> {
    let sep = match source {
        Source::Split { separator, .. } => separator.as_str(),
        _ => ",",
    };
    value(source, positions, fields, OrderField::Tags)
        .map(|v| {
            v.split(sep)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn bind(
    origin: String,
    rules: Vec<(OrderField, Source)>,
    ignored: Vec<(String, &'static str)>,
    columns: &[String],
    label: &str,
) -> Result<OrderMapping, CliError> {
    let index: HashMap<&str, usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    let mut positions = Vec::with_capacity(rules.len());
    for (field, source) in &rules {
        let mut p = Vec::new();
        for col in source.columns() {
            match index.get(col) {
                Some(i) => p.push(*i),
                None => {
                    return Err(CliError::usage(format!(
                        "{label}: {origin} maps {} from column \"{col}\", which the input does not have\n\nColumns seen: {}",
                        field.name(),
                        quoted(columns)
                    )));
                }
            }
        }
        positions.push(p);
    }
    let key_position = rules
        .iter()
        .zip(&positions)
        .find(|((f, _), _)| *f == OrderField::Key)
        .and_then(|(_, p)| p.first().copied())
        .ok_or_else(|| {
            CliError::usage(format!(
                "{label}: {origin} maps no column to order_key; the rows of one order are grouped by it. Map the order number column (Shopify: \"Name\")"
            ))
        })?;
    let used: Vec<&str> = rules.iter().flat_map(|(_, s)| s.columns()).collect();
    let unmapped = columns
        .iter()
        .filter(|c| {
            !crate::mapping::is_unnamed(c)
                && !used.contains(&c.as_str())
                && !ignored.iter().any(|(i, _)| i == *c)
        })
        .cloned()
        .collect();
    Ok(OrderMapping {
        origin,
        rules,
        ignored,
        unmapped,
        json: false,
        unnamed: crate::mapping::unnamed_positions(columns),
        positions,
        key_position: Some(key_position),
    })
}

fn preset_names() -> String {
    ORDER_PRESETS
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn quoted(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ")
}
