//! The orders' part in the shared pipeline ([`super::pipeline::Stage`]):
//! the reader groups rows into orders; each order is mapped, then checked
//! by its platform's order rules (`Platform::check_order`), on rayon; then,
//! in input order, every order whose key is split across the file (or,
//! without a first pass, comes back) is refused.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use super::pipeline::{Stage, run_stage};
use crate::findings::{Findings, Severity, Violation};
use crate::order::group::{Groups, RawOrder};
use crate::order::link::Links;
use crate::order::mapping::OrderMapping;
use crate::order::{CustomerLink, Order};
use crate::platform::Platform;
use crate::read::RawRecord;

/// Orders per chunk handed to rayon.
const CHUNK: usize = 1024;

/// An order after mapping, linking and checking.
#[derive(Debug)]
pub struct CheckedOrder {
    /// The order's rows as read.
    pub raw: RawOrder,
    /// The mapped order (SKUs resolved), unless its rows could not be read.
    pub order: Option<Order>,
    /// How it names its customer, when it can.
    pub link: Option<CustomerLink>,
    /// Violations and warnings, in the order found.
    pub findings: Vec<Violation>,
    /// A later part of an order whose rows are not together: the order was
    /// counted with its first part (it is refused as a whole).
    pub later_part: bool,
}

impl CheckedOrder {
    /// True when the order can be sent (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.order.is_some()
            && self.link.is_some()
            && !self
                .findings
                .iter()
                .any(|v| v.severity == Severity::Violation)
    }
}

/// What the orders pipeline checks against.
#[derive(Clone, Copy)]
pub struct OrderContext<'a> {
    /// The order mapping.
    pub mapping: &'a OrderMapping,
    /// The platform whose order rules check the orders.
    pub platform: &'a dyn Platform,
    /// Variants and the customers journal.
    pub links: Links<'a>,
    /// Keys whose orders are split across the file (`group::split_keys`);
    /// `None` when no first pass was made (stdin).
    pub split: Option<&'a HashMap<String, Vec<u64>>>,
    /// Turn every warning into a violation.
    pub strict: bool,
}

/// Maps, links and checks one order (no whole-file rules).
pub fn check_one(raw: RawOrder, ctx: &OrderContext<'_>) -> CheckedOrder {
    let mut f = Findings::new(raw.number, raw.line());
    let mut order = ctx.mapping.map(&raw.rows, &mut f);
    let link = order
        .as_mut()
        .and_then(|o| ctx.platform.check_order(o, ctx.links, &mut f));
    if ctx.strict {
        f.make_strict();
    }
    CheckedOrder {
        raw,
        order,
        link,
        findings: f.items,
        later_part: false,
    }
}

/// What the orders' whole-file check remembers: the line each order key
/// was first seen on, by its 64-bit hash.
pub struct SeenOrders {
    state: RandomState,
    first: HashMap<u64, u64>,
}

impl Stage for OrderContext<'_> {
    type Unit = RawOrder;
    type Checked = CheckedOrder;
    type Seen = SeenOrders;

    fn chunk(&self) -> usize {
        CHUNK
    }

    fn seen(&self) -> SeenOrders {
        SeenOrders {
            state: RandomState::new(),
            first: HashMap::new(),
        }
    }

    fn check(&self, raw: RawOrder) -> CheckedOrder {
        check_one(raw, self)
    }

    /// Refuses every part of an order whose rows are not together.
    fn in_order(&self, seen: &mut SeenOrders, c: &mut CheckedOrder) {
        if let Some(key) = c.order.as_ref().and_then(|o| o.key.clone()) {
            let line = c.raw.line();
            let first = *seen.first.entry(seen.state.hash_one(&key)).or_insert(line);
            c.later_part = first != line;
            not_together(c, &key, first, self);
        }
    }
}

/// Runs read → group → map → link → check over `records`, handing each
/// order to `sink` in input order; `sink` returns `false` to stop early.
/// Returns the number of orders handed over.
pub fn run(
    records: impl Iterator<Item = RawRecord> + Send,
    ctx: &OrderContext<'_>,
    sink: impl FnMut(CheckedOrder) -> bool,
) -> u64 {
    run_stage(Groups::new(records, ctx.mapping), ctx, sink)
}

/// Refuses every part of an order whose rows are not together, naming the
/// lines each part starts on.
fn not_together(c: &mut CheckedOrder, key: &str, first: u64, ctx: &OrderContext<'_>) {
    let line = c.raw.line();
    let lines: Vec<u64> = match ctx.split {
        Some(split) => match split.get(key) {
            Some(lines) => lines.clone(),
            None => return,
        },
        None if first != line => vec![first, line],
        None => return,
    };
    let shown = lines
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(" and ");
    // A part is refused as a whole: what its own rows lack (a later part
    // has no shipping columns) is noise, but a bad line item is still news.
    c.findings.retain(|v| v.field.starts_with("lineItems"));
    let mut f = Findings::new(c.raw.number, line);
    f.violation(
        "order_key",
        "order_key.not_together",
        format!(
            "order {key} is in parts, starting on lines {shown}, with other orders between them; each part alone would be a short order. Put every row of the order together"
        ),
    );
    c.findings.extend(f.items);
}
