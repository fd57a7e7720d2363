//! Order mapping: which column feeds which order field. Built-in presets
//! (`shopify-orders`, Shopify's orders export; `generic-orders`, canonical
//! snake_case columns), detected from the header or named with `--preset`,
//! or a mapping file with `[line_item]` and `[shipping]` tables. JSONL
//! orders need no mapping: each line is one order in the spec's own shape
//! (see `from_json`).
//!
//! A CSV order is one row per line item: order-level fields come from the
//! first row that fills them, line-item fields from every row.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value};
use toml::Table;

use super::{LineItem, Order, OrderCustomer, ShippingAddress};
use crate::error::CliError;
use crate::mapping::Source;
use crate::read::{Format, Input, RawBody, RawRecord};
use crate::validate::Findings;
use crate::values::{normalise_email, split_full_name, strip_spreadsheet_quote};

/// A canonical order field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderField {
    /// The order's key in the source; rows of one order share it.
    Key,
    /// An existing bitbybit customer id.
    CustomerId,
    /// The customer's email.
    Email,
    /// The customer's phone.
    Phone,
    /// The customer's given name.
    FirstName,
    /// The customer's family name.
    LastName,
    /// The customer's full name, split into first and last.
    Name,
    /// A line item's bitbybit product variant id.
    VariantId,
    /// A line item's SKU, resolved through `--variants`.
    Sku,
    /// A line item's quantity.
    Quantity,
    /// The recipient's full name, split into first and last.
    ShipName,
    /// The recipient's given name.
    ShipFirstName,
    /// The recipient's family name.
    ShipLastName,
    /// The recipient's phone.
    ShipPhone,
    /// First street line.
    ShipAddress1,
    /// Second street line.
    ShipAddress2,
    /// City.
    ShipCity,
    /// State or province.
    ShipProvince,
    /// Postal code.
    ShipZip,
    /// Country.
    ShipCountry,
    /// Notes.
    Notes,
    /// Tags (a list).
    Tags,
}

/// Every field with its name in mapping files and reports. Names with a
/// dot live in a mapping file's `[line_item]` or `[shipping]` table.
pub const ORDER_FIELDS: &[(OrderField, &str)] = &[
    (OrderField::Key, "order_key"),
    (OrderField::CustomerId, "customer_id"),
    (OrderField::Email, "email"),
    (OrderField::Phone, "phone"),
    (OrderField::FirstName, "first_name"),
    (OrderField::LastName, "last_name"),
    (OrderField::Name, "name"),
    (OrderField::VariantId, "line_item.product_variant_id"),
    (OrderField::Sku, "line_item.sku"),
    (OrderField::Quantity, "line_item.quantity"),
    (OrderField::ShipName, "shipping.name"),
    (OrderField::ShipFirstName, "shipping.first_name"),
    (OrderField::ShipLastName, "shipping.last_name"),
    (OrderField::ShipPhone, "shipping.phone"),
    (OrderField::ShipAddress1, "shipping.address1"),
    (OrderField::ShipAddress2, "shipping.address2"),
    (OrderField::ShipCity, "shipping.city"),
    (OrderField::ShipProvince, "shipping.province"),
    (OrderField::ShipZip, "shipping.zip"),
    (OrderField::ShipCountry, "shipping.country"),
    (OrderField::Notes, "notes"),
    (OrderField::Tags, "tags"),
];

impl OrderField {
    /// The field's name in mapping files and reports.
    pub fn name(self) -> &'static str {
        ORDER_FIELDS
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("?", |(_, n)| *n)
    }

    /// True for the fields every row of an order gives anew.
    pub fn per_line_item(self) -> bool {
        matches!(
            self,
            OrderField::VariantId | OrderField::Sku | OrderField::Quantity
        )
    }

    fn from_name(name: &str) -> Option<OrderField> {
        ORDER_FIELDS
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(f, _)| *f)
    }
}

/// A built-in order layout.
#[derive(Debug)]
pub struct OrderPreset {
    /// The name `--preset` takes.
    pub name: &'static str,
    /// What it is for.
    pub description: &'static str,
    /// Columns whose presence identifies the layout.
    pub required: &'static [&'static str],
    /// Field ← column, used for the columns the input has.
    pub rules: &'static [(OrderField, &'static str)],
    /// Columns read on purpose and left out, with why.
    pub ignored: &'static [(&'static str, &'static str)],
}

/// Shopify's orders export: one row per line item, the order-level columns
/// filled on the order's first row.
pub const SHOPIFY_ORDERS: OrderPreset = OrderPreset {
    name: "shopify-orders",
    description: "Shopify's orders export (Name, Email, Lineitem quantity, Lineitem sku, Shipping …)",
    required: &["Name", "Lineitem quantity", "Shipping Address1"],
    rules: &[
        (OrderField::Key, "Name"),
        (OrderField::Email, "Email"),
        (OrderField::Phone, "Phone"),
        (OrderField::Name, "Billing Name"),
        (OrderField::Quantity, "Lineitem quantity"),
        (OrderField::Sku, "Lineitem sku"),
        (OrderField::ShipName, "Shipping Name"),
        (OrderField::ShipPhone, "Shipping Phone"),
        (OrderField::ShipAddress1, "Shipping Address1"),
        (OrderField::ShipAddress2, "Shipping Address2"),
        (OrderField::ShipCity, "Shipping City"),
        (OrderField::ShipProvince, "Shipping Province"),
        (OrderField::ShipZip, "Shipping Zip"),
        (OrderField::ShipCountry, "Shipping Country"),
        (OrderField::Notes, "Notes"),
        (OrderField::Tags, "Tags"),
    ],
    ignored: &[
        (
            "Financial Status",
            "bitbybit's create-order body has no payment status",
        ),
        (
            "Fulfillment Status",
            "bitbybit's create-order body has no fulfillment status",
        ),
        (
            "Lineitem name",
            "bitbybit titles a line item from its product variant",
        ),
        (
            "Lineitem price",
            "bitbybit prices a line item from its product variant",
        ),
        ("Subtotal", "bitbybit totals an order from its line items"),
        ("Total", "bitbybit totals an order from its line items"),
        ("Currency", "bitbybit uses the store's currency"),
        (
            "Shipping Street",
            "the same street as Shipping Address1 and Address2",
        ),
    ],
};

/// Canonical snake_case columns, one row per line item.
pub const GENERIC_ORDERS: OrderPreset = OrderPreset {
    name: "generic-orders",
    description: "canonical columns: order_key, customer_id, email, phone, first_name, last_name, product_variant_id, sku, quantity, shipping_*, notes, tags",
    required: &["order_key", "quantity"],
    rules: &[
        (OrderField::Key, "order_key"),
        (OrderField::CustomerId, "customer_id"),
        (OrderField::Email, "email"),
        (OrderField::Phone, "phone"),
        (OrderField::FirstName, "first_name"),
        (OrderField::LastName, "last_name"),
        (OrderField::Name, "name"),
        (OrderField::VariantId, "product_variant_id"),
        (OrderField::Sku, "sku"),
        (OrderField::Quantity, "quantity"),
        (OrderField::ShipName, "shipping_name"),
        (OrderField::ShipFirstName, "shipping_first_name"),
        (OrderField::ShipLastName, "shipping_last_name"),
        (OrderField::ShipPhone, "shipping_phone"),
        (OrderField::ShipAddress1, "shipping_address1"),
        (OrderField::ShipAddress2, "shipping_address2"),
        (OrderField::ShipCity, "shipping_city"),
        (OrderField::ShipProvince, "shipping_province"),
        (OrderField::ShipZip, "shipping_zip"),
        (OrderField::ShipCountry, "shipping_country"),
        (OrderField::Notes, "notes"),
        (OrderField::Tags, "tags"),
    ],
    ignored: &[],
};

/// The order presets, in detection order.
pub const ORDER_PRESETS: &[&OrderPreset] = &[&SHOPIFY_ORDERS, &GENERIC_ORDERS];

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
            !c.is_empty() && !used.contains(&c.as_str()) && !ignored.iter().any(|(i, _)| i == *c)
        })
        .cloned()
        .collect();
    Ok(OrderMapping {
        origin,
        rules,
        ignored,
        unmapped,
        json: false,
        positions,
        key_position: Some(key_position),
    })
}

/// Parses an orders mapping file:
///
/// ```toml
/// order_key = "Order"
/// email = "E-Mail"
/// tags = { column = "Labels", split = "|" }
/// [line_item]
/// sku = "SKU"
/// quantity = "Qty"
/// [shipping]
/// name = "Ship to"
/// city = "Town"
/// ```
pub fn parse_file(text: &str) -> Result<Vec<(OrderField, Source)>, String> {
    let table: Table = text
        .parse()
        .map_err(|e: toml::de::Error| format!("not a valid mapping file: {}", e.message()))?;
    let mut rules = Vec::new();
    for (key, value) in &table {
        if let ("line_item" | "shipping", toml::Value::Table(inner)) = (key.as_str(), value) {
            for (k, v) in inner {
                let name = format!("{key}.{k}");
                rules.push((field_named(&name)?, file_source(&name, v)?));
            }
            continue;
        }
        rules.push((field_named(key)?, file_source(key, value)?));
    }
    Ok(rules)
}

fn field_named(name: &str) -> Result<OrderField, String> {
    OrderField::from_name(name).ok_or_else(|| {
        format!(
            "unknown order field \"{name}\"; order fields are: {}",
            ORDER_FIELDS
                .iter()
                .map(|(_, n)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

fn file_source(key: &str, value: &toml::Value) -> Result<Source, String> {
    let bad = || {
        format!(
            "{key}: expected a column name (\"Qty\"), {{ column = \"Tags\", split = \",\" }}, {{ join = [\"A\", \"B\"], separator = \" \" }} or {{ value = \"constant\" }}"
        )
    };
    match value {
        toml::Value::String(c) => Ok(Source::Column(c.clone())),
        toml::Value::Table(t) => {
            let text = |k: &str| t.get(k).and_then(toml::Value::as_str).map(str::to_string);
            if let Some(v) = text("value") {
                return Ok(Source::Value(v));
            }
            if let Some(toml::Value::Array(cols)) = t.get("join") {
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
            Ok(match text("split") {
                Some(separator) => Source::Split { column, separator },
                None => Source::Column(column),
            })
        }
        _ => Err(bad()),
    }
}

/// Writes an order mapping as a mapping file a user can edit and pass back.
pub fn render(mapping: &OrderMapping) -> String {
    let mut sections: [(String, &str); 3] = [
        (String::new(), ""),
        (String::new(), "line_item"),
        (String::new(), "shipping"),
    ];
    for (field, source) in &mapping.rules {
        let name = field.name();
        let (i, key) = match name.split_once('.') {
            Some(("line_item", k)) => (1, k),
            Some((_, k)) => (2, k),
            None => (0, name),
        };
        let q = |s: &str| toml::Value::String(s.to_string()).to_string();
        let v = match source {
            Source::Column(c) => q(c),
            Source::Split { column, separator } => {
                format!("{{ column = {}, split = {} }}", q(column), q(separator))
            }
            Source::Join { columns, separator } => format!(
                "{{ join = [{}], separator = {} }}",
                columns.iter().map(|c| q(c)).collect::<Vec<_>>().join(", "),
                q(separator)
            ),
            Source::Value(v) => format!("{{ value = {} }}", q(v)),
        };
        sections[i].0.push_str(&format!("{key} = {v}\n"));
    }
    let mut out = format!(
        "# storeload orders mapping file ({}); pass it back with --entity orders --mapping\n",
        mapping.origin
    );
    for (text, table) in &sections {
        if text.is_empty() {
            continue;
        }
        if !table.is_empty() {
            out.push_str(&format!("[{table}]\n"));
        }
        out.push_str(text);
    }
    out
}

/// Reads one JSON order in bitbybit's request shape, plus `orderKey` (or
/// `name`) for the source key and `sku` in line items:
/// `{"orderKey","customerId","customer":{…},"lineItems":[…],"shippingAddress":{…},"notes","tags"}`.
/// A key storeload does not know is a warning: it is not sent.
pub fn from_json(m: &Map<String, Value>, line: u64, f: &mut Findings) -> Order {
    const KNOWN: &[&str] = &[
        "orderKey",
        "name",
        "customerId",
        "customer",
        "lineItems",
        "shippingAddress",
        "notes",
        "tags",
    ];
    for k in m.keys().filter(|k| !KNOWN.contains(&k.as_str())) {
        f.warning(
            k.as_str(),
            "order.field_unknown",
            format!("\"{k}\" is not a field of bitbybit's order; it is not sent"),
        );
    }
    let text = |v: Option<&Value>| -> Option<String> {
        let s = match v? {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        (!s.is_empty()).then_some(s)
    };
    let obj = |k: &str| m.get(k).and_then(Value::as_object);
    let mut o = Order {
        key: text(m.get("orderKey")).or_else(|| text(m.get("name"))),
        customer_id: text(m.get("customerId")),
        notes: text(m.get("notes")),
        ..Order::default()
    };
    if let Some(c) = obj("customer") {
        o.customer = OrderCustomer {
            first_name: text(c.get("firstName")),
            last_name: text(c.get("lastName")),
            email: text(c.get("email")).map(|e| normalise_email(&e)),
            phone: text(c.get("phone")),
        };
    }
    match m.get("lineItems") {
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match item.as_object() {
                    Some(it) => o.line_items.push(LineItem {
                        line,
                        variant_id: text(it.get("productVariantId")),
                        sku: text(it.get("sku")),
                        quantity: text(it.get("quantity")),
                    }),
                    None => f.violation(
                        format!("lineItems[{i}]"),
                        "line_item.not_an_object",
                        format!("line item {} is not an object with productVariantId (or sku) and quantity", i + 1),
                    ),
                }
            }
        }
        None | Some(Value::Null) => {}
        Some(_) => f.violation(
            "lineItems",
            "line_items.not_a_list",
            "lineItems is not a list of line item objects".into(),
        ),
    }
    if let Some(s) = obj("shippingAddress") {
        o.shipping = ShippingAddress {
            first_name: text(s.get("firstName")),
            last_name: text(s.get("lastName")),
            phone: text(s.get("phone")),
            address1: text(s.get("address1")),
            address2: text(s.get("address2")),
            city: text(s.get("city")),
            province: text(s.get("province")),
            country: text(s.get("country")),
            zip: text(s.get("zip")),
        };
    }
    if let Some(Value::Array(tags)) = m.get("tags") {
        for t in tags.iter().filter_map(|t| text(Some(t))) {
            if !o.tags.iter().any(|x| x.eq_ignore_ascii_case(&t)) {
                o.tags.push(t);
            }
        }
    }
    o
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
