//! What orders add to a run: the refusal on platforms without orders, the
//! `--variants` and `--customers-journal` files loaded, and the orders
//! pipeline's context.

use std::collections::HashMap;

use super::plan::{Entity, OrderOptions};
use crate::error::CliError;
use crate::order::link::{Customers, Variants};
use crate::order::mapping::OrderMapping;
use crate::order::pipeline::OrderContext;
use crate::order::rules::Links;
use crate::platform::PlatformId;

/// The loaded `--variants` and `--customers-journal`, when given.
pub type LoadedLinks = (Option<Variants>, Option<Customers>);

impl OrderOptions {
    /// Refuses orders where the platform takes none, and the orders
    /// options without `--entity orders`.
    pub fn check(&self, to: PlatformId) -> Result<(), CliError> {
        if self.entity == Entity::Customers {
            if self.variants.is_some() || self.customers_journal.is_some() {
                return Err(CliError::usage(
                    "--variants and --customers-journal are for orders: add --entity orders",
                ));
            }
            return Ok(());
        }
        refuse_unless_orders(to)
    }

    /// Loads the variants file and the customers journal, when given.
    pub fn load(&self) -> Result<LoadedLinks, CliError> {
        let variants = self.variants.as_deref().map(Variants::load).transpose()?;
        let customers = self
            .customers_journal
            .as_deref()
            .map(Customers::load)
            .transpose()?;
        Ok((variants, customers))
    }
}

/// Refuses orders for a platform whose API takes none.
pub fn refuse_unless_orders(to: PlatformId) -> Result<(), CliError> {
    let platform = to.platform();
    if platform.takes_orders() {
        return Ok(());
    }
    Err(CliError::usage(format!(
        "orders are supported for bitbybit only: {} has no create-order endpoint in the API storeload follows. Import customers there, or use --to bitbybit",
        platform.display_name()
    )))
}

/// The orders pipeline's context: the mapping, the loaded `--variants` and
/// `--customers-journal`, the first pass's split keys.
pub fn order_context<'a>(
    mapping: &'a OrderMapping,
    links: &'a LoadedLinks,
    split: Option<&'a HashMap<String, Vec<u64>>>,
    strict: bool,
) -> OrderContext<'a> {
    OrderContext {
        mapping,
        links: Links {
            variants: links.0.as_ref(),
            customers: links.1.as_ref(),
        },
        split,
        strict,
    }
}
