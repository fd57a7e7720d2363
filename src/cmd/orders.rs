//! `--entity orders` for `validate` and `import`: the options orders add
//! (`--variants`, `--customers-journal`), the refusal on platforms without
//! orders, and the orders side of `validate`. The import's side is in
//! `import.rs`, which shares everything else with customers.

use std::collections::HashMap;
use std::path::PathBuf;

use clap::Args as ClapArgs;
use serde::{Deserialize, Serialize};

use super::common::SourceArgs;
use crate::error::{CliError, Exit};
use crate::order::group::{Groups, split_keys};
use crate::order::link::{Customers, Variants};
use crate::order::mapping::OrderMapping;
use crate::order::pipeline::{self, OrderContext};
use crate::order::rules::Links;
use crate::platform::PlatformId;
use crate::read::{self, Input, ReadOptions};
use crate::report::{self, Context, Outputs, Report};

/// What an input holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Entity {
    /// Customers (every platform).
    #[default]
    Customers,
    /// Orders with line items and a shipping address (bitbybit only).
    Orders,
}

impl Entity {
    /// The name journals and reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Customers => "customers",
            Entity::Orders => "orders",
        }
    }
}

/// The options of `--entity orders`; recorded in the journal for `resume`.
#[derive(Debug, Clone, Default, ClapArgs, Serialize, Deserialize)]
pub struct OrderArgs {
    /// What the input holds: customers, or orders (bitbybit only).
    #[arg(long, value_enum, default_value_t = Entity::Customers)]
    #[serde(default)]
    pub entity: Entity,

    /// Orders: a CSV `sku,product_variant_id` resolving line items' SKUs.
    #[arg(long, value_name = "FILE.csv")]
    #[serde(default)]
    pub variants: Option<PathBuf>,

    /// Orders: the journal of an earlier customers import into bitbybit;
    /// each order goes to the customer id it journaled for the order's
    /// email (else phone).
    #[arg(long, value_name = "JOURNAL")]
    #[serde(default)]
    pub customers_journal: Option<PathBuf>,
}

impl OrderArgs {
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
    pub fn load(&self) -> Result<(Option<Variants>, Option<Customers>), CliError> {
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

/// Opens an orders input and chooses its mapping.
pub fn open(source: &SourceArgs) -> Result<(Input, OrderMapping), CliError> {
    let input = read::open(
        &source.input,
        &ReadOptions {
            format: source.format,
            delimiter: source.delimiter,
            max_record_bytes: Some(source.max_record_bytes),
        },
    )?;
    let mapping =
        OrderMapping::choose(&input, source.preset.as_deref(), source.mapping.as_deref())?;
    Ok((input, mapping))
}

/// The first pass over a file input: the keys whose orders are not
/// together. `None` for stdin, which cannot be read twice (a later part is
/// then refused, the first part not).
pub fn first_pass(
    source: &SourceArgs,
    input: &Input,
    mapping: &OrderMapping,
) -> Result<Option<HashMap<String, Vec<u64>>>, CliError> {
    if input.path.is_none() {
        return Ok(None);
    }
    let again = read::open(
        &source.input,
        &ReadOptions {
            format: source.format,
            delimiter: source.delimiter,
            max_record_bytes: Some(source.max_record_bytes),
        },
    )?;
    Ok(Some(split_keys(
        Groups::new(again.records, mapping),
        mapping,
    )))
}

/// The orders pipeline's context: the mapping, the loaded `--variants` and
/// `--customers-journal`, the first pass's split keys.
pub fn order_context<'a>(
    mapping: &'a OrderMapping,
    links: &'a (Option<Variants>, Option<Customers>),
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

/// `storeload validate --entity orders`.
pub fn validate(
    source: &SourceArgs,
    to: PlatformId,
    orders: &OrderArgs,
    strict: bool,
    outputs: &Outputs,
    quiet: bool,
    on_stdout: bool,
) -> Result<Exit, CliError> {
    orders.check(to)?;
    let platform = to.platform();
    let (variants, customers) = orders.load()?;
    let (mut input, mapping) = open(source)?;
    let split = first_pass(source, &input, &mapping)?;
    let context = Context::for_orders(&input, &mapping, platform);
    let mut report = Report::new(&context, &input, platform, outputs)?;
    let records = std::mem::replace(&mut input.records, read::Records::empty());
    let links = (variants, customers);
    let ctx = order_context(&mapping, &links, split.as_ref(), strict);
    pipeline::run(records, &ctx, |checked| {
        report.add_order(&checked);
        true
    });
    let summary = report.finish()?;
    let text = report::terminal(&context, platform, &summary);
    super::validate::terminal_report(&super::validate::quiet_text(text, quiet), on_stdout)?;
    Ok(if summary.invalid == 0 {
        Exit::Ok
    } else {
        Exit::Incomplete
    })
}
