//! The platforms storeload writes to. Each is one file that knows its rules,
//! its batch size, how to build a request, how to read a response and its
//! quota; stages know only the `Platform` trait. Adding a platform means one
//! file here and one line in `ALL`.

pub mod bigcommerce;
pub mod bitbybit;
pub mod salesive;

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::model::Customer;
use crate::validate::Findings;

/// Which platform a command targets (`--to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlatformId {
    /// BigCommerce customers v3.
    Bigcommerce,
    /// Salesive Apps API.
    Salesive,
    /// bitbybit Open API.
    Bitbybit,
}

impl PlatformId {
    /// The platform's code, as typed on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            PlatformId::Bigcommerce => "bigcommerce",
            PlatformId::Salesive => "salesive",
            PlatformId::Bitbybit => "bitbybit",
        }
    }

    /// The platform's implementation.
    pub fn platform(self) -> &'static dyn Platform {
        match self {
            PlatformId::Bigcommerce => &bigcommerce::BigCommerce,
            PlatformId::Salesive => &salesive::Salesive,
            PlatformId::Bitbybit => &bitbybit::Bitbybit,
        }
    }
}

impl std::fmt::Display for PlatformId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every platform, in the order help texts list them.
pub const ALL: &[PlatformId] = &[
    PlatformId::Bigcommerce,
    PlatformId::Salesive,
    PlatformId::Bitbybit,
];

/// What storeload needs to know about a platform.
pub trait Platform: Send + Sync {
    /// Which platform this is.
    fn id(&self) -> PlatformId;

    /// Human name, e.g. "BigCommerce".
    fn display_name(&self) -> &'static str;

    /// Customers per create request (10 for BigCommerce, 1 elsewhere).
    fn batch_size(&self) -> usize;

    /// Whether a customer with no email is identified by phone (bitbybit).
    fn phone_identifies(&self) -> bool {
        false
    }

    /// Checks one mapped customer against the platform's per-record rules.
    fn check_customer(&self, customer: &Customer, f: &mut Findings);
}
