//! BigCommerce customers v3 (`specs/bigcommerce-create-customers.txt`,
//! FACTS.md): rules, batch size, request shape, response classification.

use super::{Platform, PlatformId};
use crate::len_rules;
use crate::model::Customer;
use crate::validate::{Findings, check_len};
use crate::values::is_valid_email;

/// Customers per create request: "Create up to 10 customers in one call."
pub const BATCH_SIZE: usize = 10;
/// "addresses … Limited to 10."
pub const MAX_ADDRESSES: usize = 10;
/// "attributes … Limited to 10."
pub const MAX_ATTRIBUTES: usize = 10;

/// The BigCommerce platform.
pub struct BigCommerce;

impl Platform for BigCommerce {
    fn id(&self) -> PlatformId {
        PlatformId::Bigcommerce
    }

    fn display_name(&self) -> &'static str {
        "BigCommerce"
    }

    fn batch_size(&self) -> usize {
        BATCH_SIZE
    }

    fn check_customer(&self, c: &Customer, f: &mut Findings) {
        check_len(f, "email", c.email.as_deref(), 3, 250, len_rules!("email"));
        if let Some(email) = c.email.as_deref() {
            if !is_valid_email(email) {
                f.violation(
                    "email",
                    "email.invalid",
                    format!("email \"{email}\" is not a valid address"),
                );
            }
        }
        check_len(
            f,
            "first_name",
            c.first_name.as_deref(),
            1,
            100,
            len_rules!("first_name"),
        );
        check_len(
            f,
            "last_name",
            c.last_name.as_deref(),
            1,
            100,
            len_rules!("last_name"),
        );
        check_len(
            f,
            "company",
            c.company.as_deref(),
            0,
            255,
            len_rules!("company"),
        );
        check_len(f, "phone", c.phone.as_deref(), 0, 50, len_rules!("phone"));
        check_len(
            f,
            "tax_exempt_category",
            c.tax_exempt_category.as_deref(),
            0,
            255,
            len_rules!("tax_exempt_category"),
        );
        if let Some(ids) = &c.channel_ids {
            if ids.is_empty() {
                f.violation(
                    "channel_ids",
                    "channel_ids.empty",
                    "channel_ids is an empty list; leave it out for every channel, or name at least one channel".into(),
                );
            }
        }
        if c.attributes.len() > MAX_ATTRIBUTES {
            f.violation(
                "attributes",
                "attributes.too_many",
                format!(
                    "{} attributes given, BigCommerce accepts at most {MAX_ATTRIBUTES}",
                    c.attributes.len()
                ),
            );
        }
        for (i, a) in c.attributes.iter().enumerate() {
            if a.attribute_id.is_none() {
                f.violation(
                    format!("attributes[{i}].attribute_id"),
                    "attributes.attribute_id.required",
                    format!("attribute {} has no attribute_id; create the attribute in the store and give its id", i + 1),
                );
            }
            match a.attribute_value.as_deref() {
                None => f.violation(
                    format!("attributes[{i}].attribute_value"),
                    "attributes.attribute_value.required",
                    format!("attribute {} has no attribute_value", i + 1),
                ),
                Some(v) if v.chars().count() > 255 => f.violation(
                    format!("attributes[{i}].attribute_value"),
                    "attributes.attribute_value.too_long",
                    format!("attribute {} value is longer than 255 characters", i + 1),
                ),
                Some(_) => {}
            }
        }
        if c.addresses.len() > MAX_ADDRESSES {
            f.violation(
                "addresses",
                "addresses.too_many",
                format!(
                    "{} addresses given, BigCommerce accepts at most {MAX_ADDRESSES}",
                    c.addresses.len()
                ),
            );
        }
        for (i, a) in c.addresses.iter().enumerate() {
            let p = |name: &str| format!("addresses[{i}].{name}");
            check_len(
                f,
                &p("first_name"),
                a.first_name.as_deref(),
                1,
                255,
                len_rules!("address.first_name"),
            );
            check_len(
                f,
                &p("last_name"),
                a.last_name.as_deref(),
                1,
                255,
                len_rules!("address.last_name"),
            );
            check_len(
                f,
                &p("address1"),
                a.address1.as_deref(),
                1,
                255,
                len_rules!("address.address1"),
            );
            check_len(
                f,
                &p("city"),
                a.city.as_deref(),
                1,
                100,
                len_rules!("address.city"),
            );
            check_len(
                f,
                &p("state_or_province"),
                a.province.as_deref(),
                0,
                100,
                len_rules!("address.state_or_province"),
            );
            check_len(
                f,
                &p("postal_code"),
                a.zip.as_deref(),
                0,
                30,
                len_rules!("address.postal_code"),
            );
            check_len(
                f,
                &p("phone"),
                a.phone.as_deref(),
                0,
                50,
                len_rules!("address.phone"),
            );
            match (&a.country_code, &a.country) {
                (Some(_), _) => {}
                (None, Some(written)) => f.violation(
                    p("country_code"),
                    "address.country_code.invalid",
                    format!(
                        "country \"{written}\" is not a country storeload knows; write its ISO 3166-1 code (e.g. US, DE)"
                    ),
                ),
                (None, None) => f.violation(
                    p("country_code"),
                    "address.country_code.required",
                    "address has no country; BigCommerce needs a country code (e.g. US, DE)".into(),
                ),
            }
        }
    }
}
