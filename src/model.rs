//! The canonical records every input is mapped to: `Customer` and its
//! `Address`. Platforms build their requests from these, never from raw rows.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::values::{normalise_email, phone_key};

/// A customer as storeload understands it, whatever file it came from.
///
/// Every text field is already trimmed; an empty value is `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// Email, trimmed and lower-cased.
    pub email: Option<String>,
    /// Phone as the user wrote it, trimmed, a spreadsheet's leading `'` removed.
    pub phone: Option<String>,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Display name (Salesive's `name`); derived from first + last when absent.
    pub name: Option<String>,
    /// Company name.
    pub company: Option<String>,
    /// Free-text notes.
    pub notes: Option<String>,
    /// Tags, split, trimmed and de-duplicated, in first-seen order.
    pub tags: Vec<String>,
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
    pub tax_exempt_category: Option<String>,
    /// BigCommerce: channel the customer was created in.
    pub origin_channel_id: Option<i64>,
    /// Salesive: whether the customer is active.
    pub active: Option<bool>,
    /// bitbybit: avatar image URL.
    pub image_url: Option<String>,
}

/// One postal address of a customer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Address {
    /// Recipient's given name (the customer's when blank).
    pub first_name: Option<String>,
    /// Recipient's family name (the customer's when blank).
    pub last_name: Option<String>,
    /// Company at this address.
    pub company: Option<String>,
    /// Phone at this address.
    pub phone: Option<String>,
    /// First street line.
    pub address1: Option<String>,
    /// Second street line.
    pub address2: Option<String>,
    /// City or town.
    pub city: Option<String>,
    /// State or province as written (a name or a code).
    pub province: Option<String>,
    /// State or province code, when the input has one.
    pub province_code: Option<String>,
    /// Country as written (free text, kept for bitbybit).
    pub country: Option<String>,
    /// ISO 3166-1 alpha-2 code, resolved from `country`/`country_code`.
    pub country_code: Option<String>,
    /// Postal code.
    pub zip: Option<String>,
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
    pub attribute_value: Option<String>,
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
            return Some(n.clone());
        }
        match (&self.first_name, &self.last_name) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (Some(f), None) => Some(f.clone()),
            (None, Some(l)) => Some(l.clone()),
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
