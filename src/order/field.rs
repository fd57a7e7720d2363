//! The order fields: the canonical fields an order is mapped to, with
//! their names in mapping files and reports (the orders' counterpart of
//! `mapping/field.rs`). Presets, mapping files and the mapper all read
//! this table; it reads nothing of theirs.

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
    /// When the order was cancelled in the source (Shopify's `Cancelled
    /// at`): such an order is not sent, as bitbybit's create-order body has
    /// no status and would make it a live order.
    CancelledAt,
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
    (OrderField::CancelledAt, "cancelled_at"),
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

    pub(crate) fn from_name(name: &str) -> Option<OrderField> {
        ORDER_FIELDS
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(f, _)| *f)
    }
}
