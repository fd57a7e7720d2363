//! BigCommerce's request bodies, serialised straight from the model: the
//! create-customers body (only what the spec takes, addresses without a
//! street line left out, states spelled out, no welcome email unless
//! `--notify`), and for sync the update body, the address bodies and the
//! record hash taken of exactly what an update carries.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::model::Customer;
use crate::platform::{Blanks, json_body};
use crate::values::province_name;

/// Bytes reserved per customer for a request body, so a typical batch is
/// written without growing the buffer.
pub(super) const BODY_BYTES_PER_CUSTOMER: usize = 512;

/// One customer of a create request, borrowed from the model.
#[derive(Serialize)]
pub(super) struct CustomerBody<'a> {
    /// Email.
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    /// Given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<&'a str>,
    /// Family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<&'a str>,
    /// Company name.
    #[serde(skip_serializing_if = "Option::is_none")]
    company: Option<&'a str>,
    /// Phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<&'a str>,
    /// Notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<&'a str>,
    /// Tax exempt category code.
    #[serde(skip_serializing_if = "Option::is_none")]
    tax_exempt_category: Option<&'a str>,
    /// Customer group id.
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_group_id: Option<i64>,
    /// Channel the customer was created in.
    #[serde(skip_serializing_if = "Option::is_none")]
    origin_channel_id: Option<i64>,
    /// Channels the customer can access (an empty list is sent as given).
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_ids: Option<&'a [i64]>,
    /// The addresses with a street line (`sends_address`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    addresses: Vec<AddressBody<'a>>,
    /// Attributes; a missing id or value is sent as `null`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attributes: Vec<AttributeBody<'a>>,
    /// Whether BigCommerce mails a welcome: always sent (`--notify`).
    trigger_account_created_notification: bool,
}

/// One address of a create (or sync) request, borrowed from the model.
#[derive(Serialize)]
pub(super) struct AddressBody<'a> {
    /// Recipient's given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<&'a str>,
    /// Recipient's family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<&'a str>,
    /// Company at this address.
    #[serde(skip_serializing_if = "Option::is_none")]
    company: Option<&'a str>,
    /// First street line.
    #[serde(skip_serializing_if = "Option::is_none")]
    address1: Option<&'a str>,
    /// Second street line.
    #[serde(skip_serializing_if = "Option::is_none")]
    address2: Option<&'a str>,
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    city: Option<&'a str>,
    /// The state spelled out (`spelled_out_state`).
    #[serde(skip_serializing_if = "Option::is_none")]
    state_or_province: Option<&'a str>,
    /// Postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    postal_code: Option<&'a str>,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(skip_serializing_if = "Option::is_none")]
    country_code: Option<&'a str>,
    /// Phone at this address.
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<&'a str>,
}

/// One attribute of a create request: both keys always sent, `null` when absent.
#[derive(Serialize)]
struct AttributeBody<'a> {
    /// The attribute's id in the store.
    attribute_id: Option<i64>,
    /// The value.
    attribute_value: Option<&'a str>,
}

impl<'a> CustomerBody<'a> {
    /// The request body of one customer; `notify` sends the welcome email.
    pub(super) fn new(c: &'a Customer, notify: bool) -> Self {
        CustomerBody {
            email: c.email.as_deref(),
            first_name: c.first_name.as_deref(),
            last_name: c.last_name.as_deref(),
            company: c.company.as_deref(),
            phone: c.phone.as_deref(),
            notes: c.notes.as_deref(),
            tax_exempt_category: c.tax_exempt_category.as_deref(),
            customer_group_id: c.customer_group_id,
            origin_channel_id: c.origin_channel_id,
            channel_ids: c.channel_ids.as_deref(),
            addresses: c
                .addresses
                .iter()
                .filter(|a| sends_address(a))
                .map(AddressBody::new)
                .collect(),
            attributes: c
                .attributes
                .iter()
                .map(|a| AttributeBody {
                    attribute_id: a.attribute_id,
                    attribute_value: a.attribute_value.as_deref(),
                })
                .collect(),
            // A migration must not mail every customer a welcome (DECISIONS.md).
            trigger_account_created_notification: notify,
        }
    }
}

impl<'a> AddressBody<'a> {
    /// The request body of one address.
    pub(super) fn new(a: &'a crate::model::Address) -> Self {
        AddressBody {
            first_name: a.first_name.as_deref(),
            last_name: a.last_name.as_deref(),
            company: a.company.as_deref(),
            address1: a.address1.as_deref(),
            address2: a.address2.as_deref(),
            city: a.city.as_deref(),
            // BigCommerce wants the state spelled out (FACTS.md).
            state_or_province: spelled_out_state(a),
            postal_code: a.zip.as_deref(),
            country_code: a.country_code.as_deref(),
            phone: a.phone.as_deref(),
        }
    }
}

#[cfg(test)]
impl super::BigCommerce {
    /// One customer's body exactly as `create_customers` writes it, read back.
    pub(super) fn customer_json(c: &Customer, notify: bool) -> serde_json::Value {
        let bytes = json_body(&CustomerBody::new(c, notify), BODY_BYTES_PER_CUSTOMER);
        serde_json::from_slice(&bytes).expect("the body just written is JSON")
    }
}

/// Whether an address goes into the request: BigCommerce cannot store one
/// without a street line (FACTS.md: address1 required), so such an address
/// is left out, with a warning, rather than refusing the customer.
pub(super) fn sends_address(a: &crate::model::Address) -> bool {
    a.address1.is_some()
}

/// The state as BigCommerce wants it: spelled out ("California", not
/// "CA"), from the province column, or its code, through ISO 3166-2; a value
/// that is no known code for the country is sent as written.
pub(super) fn spelled_out_state(a: &crate::model::Address) -> Option<&str> {
    let written = a.province.as_deref().or(a.province_code.as_deref())?;
    let named = a
        .country_code
        .as_deref()
        .and_then(|cc| province_name(cc, written));
    Some(named.unwrap_or(written))
}

/// The customer fields an update request carries (`PUT customers`), each
/// as the record has it or, when blank, as [`Blanks`] says: left out, or
/// sent empty where the API allows (the optional text fields as `""`,
/// `channel_ids` as `null`: every channel). A blank email, first or last
/// name is always left out (they cannot be emptied; validation requires
/// them), and so is a blank `customer_group_id` (the spec names no "no
/// group" value). `origin_channel_id` (where it was created), attributes
/// (their own endpoint, outside our specs), addresses (their own
/// endpoints) and the welcome-email switch are never part of an update.
#[derive(Serialize)]
pub(super) struct UpdateBody<'a> {
    /// The customer's id; absent in the body a record hash is taken of.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    /// Email.
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    /// Given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<&'a str>,
    /// Family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<&'a str>,
    /// Company name.
    #[serde(skip_serializing_if = "Option::is_none")]
    company: Option<&'a str>,
    /// Phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<&'a str>,
    /// Notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<&'a str>,
    /// Tax exempt category code.
    #[serde(skip_serializing_if = "Option::is_none")]
    tax_exempt_category: Option<&'a str>,
    /// Customer group id.
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_group_id: Option<i64>,
    /// Channels; `Some(None)` is `null` (every channel).
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_ids: Option<Option<&'a [i64]>>,
}

/// A blank text field as `blanks` sends it: `""` when the input maps
/// `field` and blanks are cleared, else left out.
fn blank_or<'a>(value: Option<&'a str>, field: &str, blanks: Blanks<'_>) -> Option<&'a str> {
    value.or_else(|| blanks.clears(field).then_some(""))
}

impl<'a> UpdateBody<'a> {
    /// The update body of `c` (with `id`; `None` for hashing).
    pub(super) fn new(id: Option<u64>, c: &'a Customer, blanks: Blanks<'_>) -> Self {
        UpdateBody {
            id,
            email: c.email.as_deref(),
            first_name: c.first_name.as_deref(),
            last_name: c.last_name.as_deref(),
            company: blank_or(c.company.as_deref(), "company", blanks),
            phone: blank_or(c.phone.as_deref(), "phone", blanks),
            notes: blank_or(c.notes.as_deref(), "notes", blanks),
            tax_exempt_category: blank_or(
                c.tax_exempt_category.as_deref(),
                "tax_exempt_category",
                blanks,
            ),
            customer_group_id: c.customer_group_id,
            channel_ids: match c.channel_ids.as_deref() {
                Some(ids) => Some(Some(ids)),
                None if blanks.clears("channel_ids") => Some(None),
                None => None,
            },
        }
    }
}

/// The fields of one address as a sync sends it (to add or change), blank
/// optional fields as `blanks` says; without an id or customer id.
pub(super) fn address_update_body<'a>(
    a: &'a crate::model::Address,
    blanks: Blanks<'_>,
) -> AddressBody<'a> {
    let mut body = AddressBody::new(a);
    body.company = blank_or(body.company, "address.company", blanks);
    body.address2 = blank_or(body.address2, "address.address2", blanks);
    body.phone = blank_or(body.phone, "address.phone", blanks);
    body.postal_code = blank_or(body.postal_code, "address.zip", blanks);
    if body.state_or_province.is_none()
        && (blanks.clears("address.province") || blanks.clears("address.province_code"))
    {
        body.state_or_province = Some("");
    }
    body
}

/// Everything an update of a customer carries, without ids: what a record
/// hash is taken of.
#[derive(Serialize)]
struct Hashed<'a> {
    /// The customer fields.
    customer: UpdateBody<'a>,
    /// The addresses sent (those with a street line), in record order.
    addresses: Vec<AddressBody<'a>>,
}

/// 16 bytes of the SHA-256 of the canonical JSON of what an update of `c`
/// carries (struct fields in declaration order, no whitespace). Changing
/// the body's fields or their order changes every hash: the next sync then
/// updates every customer once.
pub(super) fn record_hash(c: &Customer, blanks: Blanks<'_>) -> [u8; 16] {
    let hashed = Hashed {
        customer: UpdateBody::new(None, c, blanks),
        addresses: c
            .addresses
            .iter()
            .filter(|a| sends_address(a))
            .map(|a| address_update_body(a, blanks))
            .collect(),
    };
    let bytes = json_body(&hashed, BODY_BYTES_PER_CUSTOMER);
    let digest = Sha256::digest(&bytes);
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out
}
