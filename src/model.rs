//! The canonical records every input is mapped to: `Customer` and its
//! `Address`. Platforms build their requests from these, never from raw rows.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::values::{normalise_email, phone_key};

/// A text value of a record. Most are short (names, cities, codes, phones)
/// and fit inline in the 24 bytes a `String` takes, so building a record does
/// not allocate for them (issue 18: the dry run builds and drops a million).
pub type Text = CompactString;

/// A customer as storeload understands it, whatever file it came from.
///
/// Every text field is already trimmed; an empty value is `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// Email, trimmed and lower-cased.
    pub email: Option<Text>,
    /// Phone as the user wrote it, trimmed, a spreadsheet's leading `'` removed.
    pub phone: Option<Text>,
    /// Given name.
    pub first_name: Option<Text>,
    /// Family name.
    pub last_name: Option<Text>,
    /// Display name (Salesive's `name`); derived from first + last when absent.
    pub name: Option<Text>,
    /// Company name.
    pub company: Option<Text>,
    /// Free-text notes.
    pub notes: Option<Text>,
    /// Tags, split, trimmed and de-duplicated, in first-seen order.
    pub tags: Vec<Text>,
    /// Consent to email marketing, when the input says.
    pub accepts_marketing: Option<bool>,
    /// Addresses; an address whose fields are all blank is not kept.
    pub addresses: Vec<Address>,
    /// BigCommerce: customer group id.
    pub customer_group_id: Option<i64>,
    /// BigCommerce: channels the customer can access (absent = all).
    pub channel_ids: Option<Vec<i64>>,
    /// BigCommerce: customer attributes (attribute_id, attribute_value).
    pub attributes: Vec<Attribute>,
    /// BigCommerce: tax exempt category code.
    pub tax_exempt_category: Option<Text>,
    /// BigCommerce: channel the customer was created in.
    pub origin_channel_id: Option<i64>,
    /// Salesive: whether the customer is active.
    pub active: Option<bool>,
    /// bitbybit: avatar image URL.
    pub image_url: Option<Text>,
}

/// One postal address of a customer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Address {
    /// Recipient's given name (the customer's when blank).
    pub first_name: Option<Text>,
    /// Recipient's family name (the customer's when blank).
    pub last_name: Option<Text>,
    /// Company at this address.
    pub company: Option<Text>,
    /// Phone at this address.
    pub phone: Option<Text>,
    /// First street line.
    pub address1: Option<Text>,
    /// Second street line.
    pub address2: Option<Text>,
    /// City or town.
    pub city: Option<Text>,
    /// State or province as written (a name or a code).
    pub province: Option<Text>,
    /// State or province code, when the input has one.
    pub province_code: Option<Text>,
    /// Country as written (free text, kept for bitbybit).
    pub country: Option<Text>,
    /// ISO 3166-1 alpha-2 code, resolved from `country`/`country_code`.
    pub country_code: Option<Text>,
    /// Postal code.
    pub zip: Option<Text>,
    /// Whether this is the customer's default address.
    pub default: bool,
    /// The input line it came from when that is not the record's first
    /// (a continuation row), so findings about it name that line.
    #[serde(skip)]
    pub line: Option<u64>,
}

/// A BigCommerce customer attribute value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribute {
    /// The attribute's id in the store (created beforehand).
    pub attribute_id: Option<i64>,
    /// The value, always a string.
    pub attribute_value: Option<Text>,
}

impl Address {
    /// True when no field holds a value: such an address is not an address.
    pub fn is_blank(&self) -> bool {
        [
            &self.first_name,
            &self.last_name,
            &self.company,
            &self.phone,
            &self.address1,
            &self.address2,
            &self.city,
            &self.province,
            &self.province_code,
            &self.country,
            &self.country_code,
            &self.zip,
        ]
        .iter()
        .all(|f| f.is_none())
    }
}

impl Customer {
    /// The display name: `name` when given, else first and last joined.
    pub fn display_name(&self) -> Option<String> {
        if let Some(n) = &self.name {
            return Some(n.to_string());
        }
        match (&self.first_name, &self.last_name) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (Some(f), None) => Some(f.to_string()),
            (None, Some(l)) => Some(l.to_string()),
            (None, None) => None,
        }
    }
}

/// The journal key of a customer (DECISIONS.md): the normalised email;
/// without one, the normalised phone; without either, a hash of the record.
pub fn record_key(c: &Customer) -> String {
    if let Some(email) = &c.email {
        return normalise_email(email);
    }
    if let Some(phone) = &c.phone {
        let key = phone_key(phone);
        if !key.is_empty() {
            return format!("phone:{key}");
        }
    }
    let bytes = serde_json::to_vec(c).unwrap_or_default();
    format!("hash:{}", &hex::encode(Sha256::digest(&bytes))[..16])
}
