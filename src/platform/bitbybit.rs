//! bitbybit Open API, create customer and create order
//! (`specs/bitbybit-*.md`, FACTS.md): rules, request shape, response
//! classification.

use super::{Platform, PlatformId};
use crate::model::Customer;
use crate::validate::Findings;
use crate::values::is_valid_email;

/// The bitbybit platform.
pub struct Bitbybit;

impl Platform for Bitbybit {
    fn id(&self) -> PlatformId {
        PlatformId::Bitbybit
    }

    fn display_name(&self) -> &'static str {
        "bitbybit"
    }

    fn batch_size(&self) -> usize {
        1
    }

    fn phone_identifies(&self) -> bool {
        true
    }

    fn check_customer(&self, c: &Customer, f: &mut Findings) {
        // "Either email or phoneNumber is required."
        if c.email.is_none() && c.phone.is_none() {
            f.violation(
                "email",
                "email_or_phone.required",
                "neither email nor phone is given; bitbybit needs at least one".into(),
            );
        }
        if let Some(email) = c.email.as_deref() {
            if !is_valid_email(email) {
                f.violation(
                    "email",
                    "email.invalid",
                    format!("email \"{email}\" is not a valid address"),
                );
            }
        }
        // AddressInput: required [address1].
        for (i, a) in c.addresses.iter().enumerate() {
            if a.address1.is_none() {
                f.violation(
                    format!("addresses[{i}].address1"),
                    "address.address1.required",
                    format!(
                        "address {} has no street line (address1); bitbybit requires one",
                        i + 1
                    ),
                );
            }
        }
    }
}
