//! The orders pipeline: a reader thread groups rows into orders and sends
//! them in chunks; each chunk is mapped, linked and checked on rayon in
//! parallel; then, in input order, every order whose key is split across
//! the file (or, without a first pass, comes back) is refused, and each
//! checked order is handed to the sink.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::mpsc::sync_channel;

use rayon::prelude::*;

use super::group::{Groups, RawOrder};
use super::mapping::OrderMapping;
use super::rules::{self, Links};
use super::{CustomerLink, Order};
use crate::findings::{Findings, Severity, Violation};
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
#[derive(Debug, Clone, Copy)]
pub struct OrderContext<'a> {
    /// The order mapping.
    pub mapping: &'a OrderMapping,
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
        .and_then(|o| rules::check(o, ctx.links, &mut f));
    if ctx.strict {
        f.make_strict();
    }
    CheckedOrder {
        raw,
        order,
        link,
        findings: f.items,
    }
}

/// Runs read → group → map → link → check over `records`, handing each
/// order to `sink` in input order; `sink` returns `false` to stop early.
/// Returns the number of orders handed over.
pub fn run(
    records: impl Iterator<Item = RawRecord> + Send,
    ctx: &OrderContext<'_>,
    mut sink: impl FnMut(CheckedOrder) -> bool,
) -> u64 {
    let (tx, rx) = sync_channel::<Vec<RawOrder>>(2);
    let mapping = ctx.mapping;
    let mut handed = 0u64;
    let state = std::collections::hash_map::RandomState::new();
    let mut seen: HashMap<u64, u64> = HashMap::new();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut groups = Groups::new(records, mapping);
            loop {
                let chunk: Vec<RawOrder> = groups.by_ref().take(CHUNK).collect();
                if chunk.is_empty() || tx.send(chunk).is_err() {
                    break;
                }
            }
        });
        'chunks: for chunk in rx.iter() {
            let checked: Vec<CheckedOrder> = chunk
                .into_par_iter()
                .map(|raw| check_one(raw, ctx))
                .collect();
            for mut c in checked {
                if let Some(key) = c.order.as_ref().and_then(|o| o.key.clone()) {
                    let first = *seen.entry(state.hash_one(&key)).or_insert(c.raw.line());
                    not_together(&mut c, &key, first, ctx);
                }
                handed += 1;
                if !sink(c) {
                    break 'chunks;
                }
            }
        }
        drop(rx);
    });
    handed
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
