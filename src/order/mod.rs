//! Orders, for bitbybit (the one platform whose spec creates them): the
//! canonical `Order`, its line items and shipping address, how an order is
//! linked to its customer, and the create-order body built from it.
//!
//! The stages live in their own files: `mapping` (columns → order fields),
//! `presets` (`shopify-orders`, `generic-orders`), `file` (orders mapping
//! files), `json` (JSON orders in the spec's shape), `group` (adjacent CSV rows → one order; an order key that comes
//! back after other orders), `link` (SKU → variant id, customer email or
//! phone → the id a customers import journaled), `rules` (the spec's
//! rules) and `pipeline` (read → group → map → link → check, in order).

pub mod file;
pub mod group;
pub mod json;
pub mod link;
pub mod mapping;
pub mod pipeline;
pub mod presets;
pub mod rules;

use serde::Serialize;
use serde_json::{Map, Value, json};

/// An order as storeload understands it, whatever file it came from.
/// Every text field is trimmed; an empty value is `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Order {
    /// The order's key in the source (Shopify's `Name`, e.g. `#1001`).
    pub key: Option<String>,
    /// An existing bitbybit customer id, from the input.
    pub customer_id: Option<String>,
    /// The customer as the input names them (for the journal link and the
    /// inline customer).
    pub customer: OrderCustomer,
    /// Line items, in input order.
    pub line_items: Vec<LineItem>,
    /// Where the order ships.
    pub shipping: ShippingAddress,
    /// Free-text notes.
    pub notes: Option<String>,
    /// Tags, trimmed and de-duplicated, in first-seen order.
    pub tags: Vec<String>,
}

/// The customer fields an order carries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderCustomer {
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Email, trimmed and lower-cased.
    pub email: Option<String>,
    /// Phone as written, trimmed.
    pub phone: Option<String>,
}

/// One line item: a variant (by id, or by SKU to resolve) and a quantity.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LineItem {
    /// The input line it came from.
    pub line: u64,
    /// bitbybit's product variant id, given or resolved from the SKU.
    pub variant_id: Option<String>,
    /// The SKU, when the input gives one.
    pub sku: Option<String>,
    /// The quantity as written; the rules check it is a whole number ≥ 1.
    pub quantity: Option<String>,
}

/// The shipping address (bitbybit's `ShippingAddressInput`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShippingAddress {
    /// Recipient's given name.
    pub first_name: Option<String>,
    /// Recipient's family name.
    pub last_name: Option<String>,
    /// Recipient's phone.
    pub phone: Option<String>,
    /// First street line.
    pub address1: Option<String>,
    /// Second street line.
    pub address2: Option<String>,
    /// City or town.
    pub city: Option<String>,
    /// State or province, as written.
    pub province: Option<String>,
    /// Country, as written (free text on bitbybit).
    pub country: Option<String>,
    /// Postal code.
    pub zip: Option<String>,
}

/// Which of the three ways an order names its customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum CustomerLink {
    /// A `customerId` column or field in the input.
    Column {
        /// The id.
        id: String,
    },
    /// Found in `--customers-journal` by the order's email or phone.
    Journal {
        /// The id bitbybit gave the customer.
        id: String,
    },
    /// Neither: the inline customer, which bitbybit finds or creates.
    Inline,
}

impl CustomerLink {
    /// How reports name the link: `customerId`, `journal` or `inline`.
    pub fn label(&self) -> &'static str {
        match self {
            CustomerLink::Column { .. } => "customerId",
            CustomerLink::Journal { .. } => "journal",
            CustomerLink::Inline => "inline",
        }
    }
}

impl Order {
    /// The journal key of an order: `order:` and its source key.
    pub fn journal_key(&self) -> Option<String> {
        self.key.as_ref().map(|k| format!("order:{k}"))
    }

    /// The create-order body (specs/bitbybit-create-order.openapi.md) for a
    /// checked order and its customer link. Only fields the spec names are
    /// sent: the SKU and the source key stay in the journal.
    pub fn body(&self, link: &CustomerLink) -> Value {
        let mut body = Map::new();
        match link {
            CustomerLink::Column { id } | CustomerLink::Journal { id } => {
                body.insert("customerId".into(), id.clone().into());
            }
            CustomerLink::Inline => {
                let c = &self.customer;
                let mut m = Map::new();
                put(&mut m, "firstName", &c.first_name);
                put(&mut m, "lastName", &c.last_name);
                put(&mut m, "email", &c.email);
                put(&mut m, "phone", &c.phone);
                body.insert("customer".into(), Value::Object(m));
            }
        }
        let items: Vec<Value> = self
            .line_items
            .iter()
            .map(|i| {
                json!({
                    "productVariantId": i.variant_id,
                    "quantity": i.quantity.as_deref().and_then(rules::parse_quantity),
                })
            })
            .collect();
        body.insert("lineItems".into(), Value::Array(items));
        let s = &self.shipping;
        let mut a = Map::new();
        put(&mut a, "firstName", &s.first_name);
        put(&mut a, "lastName", &s.last_name);
        put(&mut a, "phone", &s.phone);
        put(&mut a, "address1", &s.address1);
        put(&mut a, "address2", &s.address2);
        put(&mut a, "city", &s.city);
        put(&mut a, "province", &s.province);
        put(&mut a, "country", &s.country);
        put(&mut a, "zip", &s.zip);
        body.insert("shippingAddress".into(), Value::Object(a));
        if let Some(n) = &self.notes {
            body.insert("notes".into(), n.clone().into());
        }
        if !self.tags.is_empty() {
            body.insert("tags".into(), self.tags.clone().into());
        }
        Value::Object(body)
    }
}

fn put(m: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(v) = value {
        m.insert(key.into(), v.clone().into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_names_only_spec_fields_and_the_chosen_customer() {
        let order = Order {
            key: Some("#1001".into()),
            customer: OrderCustomer {
                first_name: Some("Zoë".into()),
                last_name: Some("Müller".into()),
                email: Some("zoe@example.com".into()),
                phone: None,
            },
            line_items: vec![LineItem {
                line: 2,
                variant_id: Some("var_tee_m".into()),
                sku: Some("TEE-M".into()),
                quantity: Some("2".into()),
            }],
            shipping: ShippingAddress {
                city: Some("Berlin".into()),
                ..Default::default()
            },
            tags: vec!["vip".into()],
            ..Default::default()
        };
        let inline = order.body(&CustomerLink::Inline);
        assert_eq!(inline["customer"]["firstName"], "Zoë");
        assert_eq!(inline["customer"]["email"], "zoe@example.com");
        assert!(inline.get("customerId").is_none());
        assert_eq!(inline["lineItems"][0]["productVariantId"], "var_tee_m");
        assert_eq!(inline["lineItems"][0]["quantity"], 2);
        assert!(inline["lineItems"][0].get("sku").is_none());
        assert_eq!(inline["shippingAddress"]["city"], "Berlin");
        assert_eq!(inline["tags"][0], "vip");
        let linked = order.body(&CustomerLink::Journal { id: "c_9".into() });
        assert_eq!(linked["customerId"], "c_9");
        assert!(linked.get("customer").is_none());
        assert_eq!(order.journal_key().as_deref(), Some("order:#1001"));
    }
}
