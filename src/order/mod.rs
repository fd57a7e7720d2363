//! Orders, the second entity (today for bitbybit, the one platform whose
//! spec creates them): the canonical `Order`, its line items and shipping
//! address, and how an order names its customer. What a platform requires
//! of an order and the body it sends live with that platform, behind the
//! `Platform` trait (`platform/bitbybit/orders.rs`); the checking runs in
//! the one pipeline both entities share (`validate::pipeline`, with
//! `validate::orders`).
//!
//! The files here: `field` (the order fields and their names), `mapping`
//! (columns → order fields), `presets` (`shopify-orders`,
//! `generic-orders`), `file` (orders mapping files), `json` (JSON orders in
//! the spec's shape), `group` (adjacent CSV rows → one order; an order key
//! that comes back after other orders) and `link` (SKU → variant id,
//! customer email or phone → the id a customers import journaled).

pub mod field;
pub mod file;
pub mod group;
pub mod json;
pub mod link;
pub mod mapping;
pub mod presets;

use serde::Serialize;

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
    /// When the source cancelled the order, as written (never sent).
    pub cancelled_at: Option<String>,
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
}
