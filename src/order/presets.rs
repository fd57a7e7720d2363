//! The built-in order layouts: `shopify-orders` (Shopify's orders export)
//! and `generic-orders` (canonical snake_case columns), detected from the
//! header or named with `--preset`.

use super::field::OrderField;

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
        (OrderField::CancelledAt, "Cancelled at"),
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
        (OrderField::CancelledAt, "cancelled_at"),
    ],
    ignored: &[],
};

/// The order presets, in detection order.
pub const ORDER_PRESETS: &[&OrderPreset] = &[&SHOPIFY_ORDERS, &GENERIC_ORDERS];
