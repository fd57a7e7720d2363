//! Orders mapping files: a user's TOML naming, for each order field, the
//! column it comes from (`[line_item]` and `[shipping]` tables for those
//! fields), and the renderer `storeload mapping --entity orders` uses.

use toml::Table;

use super::field::{ORDER_FIELDS, OrderField};
use crate::mapping::Source;

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
                rules.push((field_named(&name)?, crate::mapping::file::source(&name, v)?));
            }
            continue;
        }
        rules.push((field_named(key)?, crate::mapping::file::source(key, value)?));
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

/// Writes an order mapping (how it was chosen, and its field ← source
/// rules) as a mapping file a user can edit and pass back.
pub fn render(origin: &str, rules: &[(OrderField, Source)]) -> String {
    let mut sections: [(String, &str); 3] = [
        (String::new(), ""),
        (String::new(), "line_item"),
        (String::new(), "shipping"),
    ];
    for (field, source) in rules {
        let name = field.name();
        let (i, key) = match name.split_once('.') {
            Some(("line_item", k)) => (1, k),
            Some((_, k)) => (2, k),
            None => (0, name),
        };
        let v = crate::mapping::file::source_toml(source);
        sections[i].0.push_str(&format!("{key} = {v}\n"));
    }
    let mut out = format!(
        "# storeload orders mapping file ({}); pass it back with --entity orders --mapping\n",
        origin
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
