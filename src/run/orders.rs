//! What orders add to a run: the refusal on platforms without orders, the
//! `--variants` file and the `--customers-journal` loaded (the journal
//! read here into the customer map `order::link` links by), and the orders
//! pipeline's context.

use std::collections::HashMap;
use std::path::Path;

use super::plan::{Entity, OrderOptions};
use crate::error::CliError;
use crate::journal::{self, RecordState};
use crate::order::link::{Customers, Known, Links, Variants};
use crate::order::mapping::OrderMapping;
use crate::platform::{Platform, PlatformId};
use crate::validate::orders::OrderContext;

impl Entity {
    /// Records of this entity per create request on `platform`: its batch
    /// size for customers, its orders per request for orders.
    pub fn per_request(self, platform: &dyn Platform) -> usize {
        match self {
            Entity::Customers => platform.batch_size(),
            Entity::Orders => platform.orders_per_request(),
        }
    }
}

/// What an orders run links its orders by: the platform whose order rules
/// check them, and the loaded `--variants` and `--customers-journal`.
pub struct LoadedLinks {
    /// The platform the orders go to.
    pub platform: &'static dyn Platform,
    /// `--variants`, when given.
    pub variants: Option<Variants>,
    /// `--customers-journal`, when given.
    pub customers: Option<Customers>,
}

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

    /// Loads the variants file and the customers journal, when given, for
    /// orders into `to`.
    pub fn load(&self, to: PlatformId) -> Result<LoadedLinks, CliError> {
        let variants = self.variants.as_deref().map(Variants::load).transpose()?;
        let customers = self
            .customers_journal
            .as_deref()
            .map(|path| load_customers(path, to))
            .transpose()?;
        Ok(LoadedLinks {
            platform: to.platform(),
            variants,
            customers,
        })
    }
}

/// Reads a customers journal (an import of customers into `to`) into the
/// map orders link their customers by: each customer's email and phone →
/// its id, or why it cannot be linked.
pub fn load_customers(path: &Path, to: PlatformId) -> Result<Customers, CliError> {
    let label = path.display().to_string();
    let replay = journal::replay(path)
        .map_err(|e| CliError::usage(format!("--customers-journal {label}: {e}")))?;
    if let Some(h) = replay.header() {
        if h.platform != to.as_str() {
            return Err(CliError::usage(format!(
                "--customers-journal {label}: is an import into {}, not {to}; its ids mean nothing to {to}",
                h.platform
            )));
        }
        if h.entity != "customers" {
            return Err(CliError::usage(format!(
                "--customers-journal {label}: is a journal of {}, not customers",
                h.entity
            )));
        }
    }
    let mut out = Customers::new(label);
    for (key, state) in &replay.records {
        let (email, phone) = match state {
            RecordState::Created { email, phone, .. }
            | RecordState::Rejected { email, phone, .. } => (email.as_deref(), phone.as_deref()),
            _ => (None, None),
        };
        out.insert(
            key,
            known(state, to.platform().display_name()),
            email,
            phone,
        );
    }
    Ok(out)
}

/// What a customer's last state in the journal means for an order of theirs.
fn known(state: &RecordState, platform: &str) -> Known {
    match state {
        RecordState::Created { id, .. }
        | RecordState::Updated { id, .. }
        | RecordState::Unchanged { id, .. }
        | RecordState::Exists { id: Some(id), .. } => Known::Id(id.clone()),
        RecordState::Exists { id: None, .. } => Known::Unusable(format!(
            "already in {platform}, but the journal has no id for it (run storeload reconcile on the customers journal)"
        )),
        RecordState::Rejected { reasons, .. } => Known::Unusable(format!(
            "rejected ({}); fix the customer and import it first",
            reasons
                .iter()
                .map(|r| r.rule.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        RecordState::Failed { .. } => {
            Known::Unusable("failed (resume the customers import first)".into())
        }
        RecordState::Sent { .. } | RecordState::InDoubt { .. } => {
            Known::Unusable("in doubt (settle it with storeload reconcile or resume first)".into())
        }
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

/// The orders pipeline's context: the mapping, the platform and the loaded
/// `--variants` and `--customers-journal`, the first pass's split keys.
pub fn order_context<'a>(
    mapping: &'a OrderMapping,
    links: &'a LoadedLinks,
    split: Option<&'a HashMap<String, Vec<u64>>>,
    strict: bool,
) -> OrderContext<'a> {
    OrderContext {
        mapping,
        platform: links.platform,
        links: Links {
            variants: links.variants.as_ref(),
            customers: links.customers.as_ref(),
        },
        split,
        strict,
    }
}
