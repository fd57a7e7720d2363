//! Salesive Apps API, create customer (`specs/salesive-create-customer.openapi.md`,
//! FACTS.md): rules, request shape, response classification.

use super::{Platform, PlatformId};
use crate::model::Customer;
use crate::validate::Findings;
use crate::values::is_valid_email;

/// The Salesive platform.
pub struct Salesive;

impl Platform for Salesive {
    fn id(&self) -> PlatformId {
        PlatformId::Salesive
    }

    fn display_name(&self) -> &'static str {
        "Salesive"
    }

    fn batch_size(&self) -> usize {
        1
    }

    fn check_customer(&self, c: &Customer, f: &mut Findings) {
        // CustomerCreate: required [name, email]; email format: email.
        if c.display_name().is_none() {
            f.violation(
                "name",
                "name.required",
                "name is required; map a name column, or first and last name columns".into(),
            );
        }
        match c.email.as_deref() {
            None => f.violation(
                "email",
                "email.required",
                "email is required; Salesive identifies customers by email".into(),
            ),
            Some(email) if !is_valid_email(email) => f.violation(
                "email",
                "email.invalid",
                format!("email \"{email}\" is not a valid address"),
            ),
            Some(_) => {}
        }
    }
}
