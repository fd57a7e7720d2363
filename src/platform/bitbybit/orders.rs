//! bitbybit's orders (specs/bitbybit-create-order.openapi.md, and
//! DECISIONS.md "Orders" for customer linking): the rules an order must pass
//! before it is sent — at least one line item, each with a product variant
//! and an integer quantity ≥ 1; a shipping address with firstName,
//! lastName, phone, address1, city, province and zip; a customerId or a
//! customer with firstName and lastName (found or created by email or
//! phone); email syntax where given; no order the source cancelled (the
//! body has no status: it would be a live order) — and the body built from
//! a checked order. The platform trait's `check_order` and `create_order`
//! call these; the answer is read by the same classifier as a customer's.

use serde_json::{Map, Value, json};

use crate::findings::Findings;
use crate::order::link::{Customers, Known, Links, Variants};
use crate::order::{CustomerLink, Order};
use crate::values::is_valid_email;

/// A quantity as the spec wants it: a whole number ≥ 1 (`"2"`, `2`); a
/// spreadsheet's `2.0` is accepted as 2.
pub fn parse_quantity(q: &str) -> Option<u64> {
    let q = q.trim();
    let whole = q
        .strip_suffix(".0")
        .or_else(|| q.strip_suffix(".00"))
        .unwrap_or(q);
    whole.parse::<u64>().ok().filter(|n| *n >= 1)
}

/// Checks `order`, resolving SKUs in place, and returns how it names its
/// customer (`None` when it cannot).
pub fn check(order: &mut Order, links: Links<'_>, f: &mut Findings) -> Option<CustomerLink> {
    if order.key.is_none() {
        f.violation(
            "order_key",
            "order_key.required",
            "the order key (Shopify: Name) is blank; every row of an order needs it, to group the rows and journal the order".into(),
        );
    }
    if let Some(at) = &order.cancelled_at {
        f.violation(
            "cancelled_at",
            "order.cancelled",
            format!(
                "the order was cancelled (cancelled at \"{at}\"); bitbybit's create-order body has no status, so it would be created as a live order to fulfil: it is not sent (clear the cancelled-at value to send it anyway)"
            ),
        );
    }
    check_line_items(order, links.variants, f);
    check_shipping(order, f);
    check_customer(order, links.customers, f)
}

fn check_line_items(order: &mut Order, variants: Option<&Variants>, f: &mut Findings) {
    if order.line_items.is_empty() {
        f.violation(
            "lineItems",
            "line_items.required",
            "the order has no line items; bitbybit needs at least one".into(),
        );
    }
    for (i, item) in order.line_items.iter_mut().enumerate() {
        let line = item.line;
        if item.variant_id.is_none() {
            match (&item.sku, variants) {
                (None, _) => f.violation_on(
                    line,
                    format!("lineItems[{i}].productVariantId"),
                    "line_item.product_variant_id.required",
                    format!(
                        "line item {} has neither a product variant id nor a SKU; map one",
                        i + 1
                    ),
                ),
                (Some(sku), None) => f.violation_on(
                    line,
                    format!("lineItems[{i}].productVariantId"),
                    "line_item.variants_needed",
                    format!(
                        "line item {} names SKU \"{sku}\": give --variants FILE.csv (sku,product_variant_id) to resolve it to a product variant id",
                        i + 1
                    ),
                ),
                (Some(sku), Some(v)) => match v.get(sku) {
                    Some(id) => item.variant_id = Some(id.to_string()),
                    None => f.violation_on(
                        line,
                        format!("lineItems[{i}].productVariantId"),
                        "line_item.sku_unknown",
                        format!(
                            "SKU \"{sku}\" is not in {}; add it (sku,product_variant_id) or fix the SKU",
                            v.label
                        ),
                    ),
                },
            }
        }
        match item.quantity.as_deref() {
            None => f.violation_on(
                line,
                format!("lineItems[{i}].quantity"),
                "line_item.quantity.required",
                format!("line item {} has no quantity", i + 1),
            ),
            Some(q) if parse_quantity(q).is_none() => f.violation_on(
                line,
                format!("lineItems[{i}].quantity"),
                "line_item.quantity.invalid",
                format!(
                    "line item {} has quantity \"{q}\"; bitbybit needs a whole number of at least 1",
                    i + 1
                ),
            ),
            Some(_) => {}
        }
    }
}

fn check_shipping(order: &Order, f: &mut Findings) {
    let s = &order.shipping;
    let required: [(&Option<String>, &str, &'static str); 7] = [
        (
            &s.first_name,
            "firstName",
            "shipping_address.first_name.required",
        ),
        (
            &s.last_name,
            "lastName",
            "shipping_address.last_name.required",
        ),
        (&s.phone, "phone", "shipping_address.phone.required"),
        (
            &s.address1,
            "address1",
            "shipping_address.address1.required",
        ),
        (&s.city, "city", "shipping_address.city.required"),
        (
            &s.province,
            "province",
            "shipping_address.province.required",
        ),
        (&s.zip, "zip", "shipping_address.zip.required"),
    ];
    for (value, name, rule) in required {
        if value.is_none() {
            f.violation(
                format!("shippingAddress.{name}"),
                rule,
                format!("the shipping address has no {name}; bitbybit requires it"),
            );
        }
    }
}

fn check_customer(
    order: &Order,
    customers: Option<&Customers>,
    f: &mut Findings,
) -> Option<CustomerLink> {
    let c = &order.customer;
    if let Some(id) = &order.customer_id {
        return Some(CustomerLink::Column { id: id.clone() });
    }
    if let Some(journal) = customers
        && let Some((known, by)) = journal.find(c.email.as_deref(), c.phone.as_deref())
    {
        let who = match by {
            "email" => c.email.clone().unwrap_or_default(),
            _ => c.phone.clone().unwrap_or_default(),
        };
        return match known {
            Known::Id(id) => Some(CustomerLink::Journal { id: id.clone() }),
            Known::Unusable(state) => {
                // DECISIONS.md: never an inline customer here; it would
                // create a second one.
                f.violation(
                    "customer",
                    "customer.not_linkable",
                    format!(
                        "the order's customer {who} is in the customers journal {} as {state}",
                        journal.label
                    ),
                );
                None
            }
        };
    }
    // The inline customer, which bitbybit finds or creates. Its email is
    // sent only here, so only here can its syntax refuse the order.
    let mut ok = true;
    if let Some(e) = &c.email
        && !is_valid_email(e)
    {
        ok = false;
        f.violation(
            "customer.email",
            "customer.email.invalid",
            format!("email \"{e}\" is not a valid address; fix it or leave it blank"),
        );
    }
    for (value, name, rule) in [
        (&c.first_name, "firstName", "customer.first_name.required"),
        (&c.last_name, "lastName", "customer.last_name.required"),
    ] {
        if value.is_none() {
            ok = false;
            f.violation(
                format!("customer.{name}"),
                rule,
                format!(
                    "the order names no customer id{} and its customer has no {name}; bitbybit needs a customerId or a customer with firstName and lastName",
                    if customers.is_some() { ", its customer is not in the customers journal," } else { "" }
                ),
            );
        }
    }
    if c.email.is_none() && c.phone.is_none() {
        ok = false;
        f.violation(
            "customer.email",
            "customer.contact.required",
            "the order's customer has neither email nor phone; bitbybit finds or creates the customer by one of them".into(),
        );
    }
    ok.then_some(CustomerLink::Inline)
}

/// The create-order body (specs/bitbybit-create-order.openapi.md) for a
/// checked order and its customer link. Only fields the spec names are
/// sent: the SKU and the source key stay in the journal.
pub fn body(order: &Order, link: &CustomerLink) -> Value {
    let mut body = Map::new();
    match link {
        CustomerLink::Column { id } | CustomerLink::Journal { id } => {
            body.insert("customerId".into(), id.clone().into());
        }
        CustomerLink::Inline => {
            let c = &order.customer;
            let mut m = Map::new();
            put(&mut m, "firstName", &c.first_name);
            put(&mut m, "lastName", &c.last_name);
            put(&mut m, "email", &c.email);
            put(&mut m, "phone", &c.phone);
            body.insert("customer".into(), Value::Object(m));
        }
    }
    let items: Vec<Value> = order
        .line_items
        .iter()
        .map(|i| {
            json!({
                "productVariantId": i.variant_id,
                "quantity": i.quantity.as_deref().and_then(parse_quantity),
            })
        })
        .collect();
    body.insert("lineItems".into(), Value::Array(items));
    let s = &order.shipping;
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
    if let Some(n) = &order.notes {
        body.insert("notes".into(), n.clone().into());
    }
    if !order.tags.is_empty() {
        body.insert("tags".into(), order.tags.clone().into());
    }
    Value::Object(body)
}

fn put(m: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(v) = value {
        m.insert(key.into(), v.clone().into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::{LineItem, OrderCustomer, ShippingAddress};

    fn valid() -> Order {
        Order {
            key: Some("#1".into()),
            customer: OrderCustomer {
                first_name: Some("Ann".into()),
                last_name: Some("Lee".into()),
                email: Some("ann@example.com".into()),
                phone: None,
            },
            line_items: vec![LineItem {
                line: 2,
                variant_id: Some("var_1".into()),
                sku: None,
                quantity: Some("1".into()),
            }],
            shipping: ShippingAddress {
                first_name: Some("Ann".into()),
                last_name: Some("Lee".into()),
                phone: Some("+1 555".into()),
                address1: Some("1 Main St".into()),
                address2: None,
                city: Some("Springfield".into()),
                province: Some("IL".into()),
                country: None,
                zip: Some("62701".into()),
            },
            ..Order::default()
        }
    }

    fn rules_of(mut o: Order) -> Vec<&'static str> {
        let mut f = Findings::new(1, 2);
        check(&mut o, Links::default(), &mut f);
        f.items.iter().map(|v| v.rule).collect()
    }

    #[test]
    fn an_order_the_source_cancelled_is_refused() {
        let cancelled = Order {
            cancelled_at: Some("2024-03-05".into()),
            ..valid()
        };
        assert_eq!(rules_of(cancelled), vec!["order.cancelled"]);
    }

    #[test]
    fn a_complete_order_passes_inline() {
        let mut o = valid();
        let mut f = Findings::new(1, 2);
        assert_eq!(
            check(&mut o, Links::default(), &mut f),
            Some(CustomerLink::Inline)
        );
        assert!(f.items.is_empty(), "{:?}", f.items);
    }

    #[test]
    fn quantities_must_be_whole_and_at_least_one() {
        assert_eq!(parse_quantity("3"), Some(3));
        assert_eq!(parse_quantity(" 2.0 "), Some(2));
        for bad in ["0", "-1", "1.5", "two", ""] {
            assert_eq!(parse_quantity(bad), None, "{bad}");
            let mut o = valid();
            o.line_items[0].quantity = Some(bad.into());
            assert_eq!(rules_of(o), ["line_item.quantity.invalid"], "{bad}");
        }
        let mut o = valid();
        o.line_items[0].quantity = None;
        assert_eq!(rules_of(o), ["line_item.quantity.required"]);
    }

    #[test]
    fn each_shipping_field_the_spec_requires_is_checked() {
        for (i, rule) in [
            "shipping_address.first_name.required",
            "shipping_address.last_name.required",
            "shipping_address.phone.required",
            "shipping_address.address1.required",
            "shipping_address.city.required",
            "shipping_address.province.required",
            "shipping_address.zip.required",
        ]
        .into_iter()
        .enumerate()
        {
            let mut o = valid();
            let s = &mut o.shipping;
            *[
                &mut s.first_name,
                &mut s.last_name,
                &mut s.phone,
                &mut s.address1,
                &mut s.city,
                &mut s.province,
                &mut s.zip,
            ][i] = None;
            assert_eq!(rules_of(o), [rule]);
        }
        let mut o = valid();
        o.shipping.address2 = None;
        o.shipping.country = None;
        assert!(rules_of(o).is_empty(), "address2 and country are optional");
    }

    #[test]
    fn line_items_need_a_variant_and_at_least_one_item() {
        let mut o = valid();
        o.line_items.clear();
        assert_eq!(rules_of(o), ["line_items.required"]);
        let mut o = valid();
        o.line_items[0].variant_id = None;
        assert_eq!(rules_of(o), ["line_item.product_variant_id.required"]);
        let mut o = valid();
        o.line_items[0].variant_id = None;
        o.line_items[0].sku = Some("TEE".into());
        assert_eq!(rules_of(o), ["line_item.variants_needed"]);
    }

    #[test]
    fn the_customer_needs_an_id_or_names_and_a_contact() {
        let mut o = valid();
        o.customer.first_name = None;
        assert_eq!(rules_of(o), ["customer.first_name.required"]);
        let mut o = valid();
        o.customer.last_name = None;
        o.customer_id = Some("c_1".into());
        let mut f = Findings::new(1, 2);
        assert_eq!(
            check(&mut o, Links::default(), &mut f),
            Some(CustomerLink::Column { id: "c_1".into() })
        );
        assert!(f.items.is_empty());
        let mut o = valid();
        o.customer.email = None;
        assert_eq!(rules_of(o), ["customer.contact.required"]);
        let mut o = valid();
        o.customer.email = Some("ann at example.com".into());
        assert!(rules_of(o).contains(&"customer.email.invalid"));
        let mut o = valid();
        o.key = None;
        assert_eq!(rules_of(o), ["order_key.required"]);
    }

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
        let inline = body(&order, &CustomerLink::Inline);
        assert_eq!(inline["customer"]["firstName"], "Zoë");
        assert_eq!(inline["customer"]["email"], "zoe@example.com");
        assert!(inline.get("customerId").is_none());
        assert_eq!(inline["lineItems"][0]["productVariantId"], "var_tee_m");
        assert_eq!(inline["lineItems"][0]["quantity"], 2);
        assert!(inline["lineItems"][0].get("sku").is_none());
        assert_eq!(inline["shippingAddress"]["city"], "Berlin");
        assert_eq!(inline["tags"][0], "vip");
        let linked = body(&order, &CustomerLink::Journal { id: "c_9".into() });
        assert_eq!(linked["customerId"], "c_9");
        assert!(linked.get("customer").is_none());
        assert_eq!(order.journal_key().as_deref(), Some("order:#1001"));
    }
}
