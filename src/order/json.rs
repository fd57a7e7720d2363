//! JSON orders: one order per JSONL line (or array element) in bitbybit's
//! own request shape; no mapping needed.

use serde_json::{Map, Value};

use super::{LineItem, Order, OrderCustomer, ShippingAddress};
use crate::findings::Findings;
use crate::values::normalise_email;

/// Reads one JSON order in bitbybit's request shape, plus `orderKey` (or
/// `name`) for the source key, `cancelledAt` (an order the source
/// cancelled is not sent) and `sku` in line items:
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
        "cancelledAt",
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
        cancelled_at: text(m.get("cancelledAt")),
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
