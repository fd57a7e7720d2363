//! The reading side of a run: the input's mapping (customers or orders),
//! each checked record turned into a refusal or work for the writer, and
//! the records a resume skips by number.

use super::source::Source;
use super::sync::{Decision, SyncChecked};
use crate::error::CliError;
use crate::findings::{Severity, Violation};
use crate::journal::{self, RecordState, Stage};
use crate::mapping::Mapping;
use crate::model::record_key;
use crate::order::mapping::OrderMapping;
use crate::read::{RawBody, RawRecord};
use crate::validate::orders::CheckedOrder;
use crate::validate::pipeline::Checked;
use crate::writer::{OrderWork, Payload};

/// Whether the journal's state settles a record so it is not sent again:
/// created and already-there records always; a record the platform refused
/// only when the input is the one it was refused from — a new file (a fixed
/// rejects file, say) may hold the corrected record.
pub fn settled(state: &RecordState, same_input: bool) -> bool {
    match state {
        RecordState::Created { .. }
        | RecordState::Exists { .. }
        | RecordState::Updated { .. }
        | RecordState::Unchanged { .. } => true,
        RecordState::Rejected { .. } => same_input,
        _ => false,
    }
}

/// Record numbers the journal settled (created, already there, rejected),
/// each with whether it was valid; empty unless `usable` — every run of the
/// journal read this very input, so its record numbers are this file's.
/// A dense table by record number: the reader asks it for every record.
pub(super) fn settled_records(states: &crate::journal::States, usable: bool) -> SettledTable {
    let mut table = SettledTable(Vec::new());
    if !usable {
        return table;
    }
    for s in states.values().filter(|s| settled(s, true)) {
        let valid = !matches!(
            s,
            RecordState::Rejected {
                stage: Stage::Validate,
                ..
            }
        );
        let Ok(at) = usize::try_from(s.record()) else {
            continue;
        };
        if table.0.len() <= at {
            table.0.resize(at + 1, 0);
        }
        table.0[at] = if valid { 1 } else { 2 };
    }
    table
}

/// Settled records by number: 0 not settled, 1 settled valid, 2 settled
/// invalid (refused by validation).
pub(super) struct SettledTable(Vec<u8>);

impl SettledTable {
    /// `Some(valid)` when record `number` is settled.
    pub(super) fn get(&self, number: u64) -> Option<bool> {
        match usize::try_from(number).ok().and_then(|i| self.0.get(i)) {
            Some(1) => Some(true),
            Some(2) => Some(false),
            _ => None,
        }
    }
}

/// The input's mapping: customers or orders.
pub(super) enum Mapped {
    /// Customers, through a customer mapping.
    Customers(Mapping),
    /// Orders, through an order mapping.
    Orders(OrderMapping),
}

impl Mapped {
    /// The mapping as the journal's header records it.
    pub(super) fn describe(&self) -> serde_json::Value {
        let (origin, fields): (String, Vec<(String, String)>) = match self {
            Mapped::Customers(m) => (
                m.origin.to_string(),
                m.rules
                    .iter()
                    .map(|(f, s)| (f.name(), s.describe()))
                    .collect(),
            ),
            Mapped::Orders(m) => (m.origin.clone(), m.describe()),
        };
        serde_json::json!({
            "origin": origin,
            "fields": fields.iter().map(|(f, s)| serde_json::json!({"field": f, "source": s})).collect::<Vec<_>>(),
        })
    }
}

/// Opens the input with the mapping its entity needs.
pub(super) fn open_mapped(
    source: &Source,
    ordering: bool,
) -> Result<(crate::read::Input, Mapped), CliError> {
    if ordering {
        let (input, m) = source.open_orders()?;
        Ok((input, Mapped::Orders(m)))
    } else {
        let (input, m) = source.open()?;
        Ok((input, Mapped::Customers(m)))
    }
}

/// One checked record (a customer or an order) as the import takes it:
/// refused with reasons, or a journal key and what to send.
pub(super) struct ReadItem {
    pub(super) number: u64,
    pub(super) line: u64,
    pub(super) rejected: Option<Vec<journal::Reason>>,
    pub(super) work: Option<(String, Payload)>,
    /// A refused customer's email and phone, journaled with the refusal so
    /// an orders import finds it (its key is its line).
    pub(super) contact: (Option<String>, Option<String>),
}

/// A checked record of either entity, as the import's reading side and
/// its dry pass take it: the journal key it would be sent under, its rows,
/// and the work or refusal it becomes.
pub(super) trait Record: Send {
    /// The journal key it is sent under, when valid.
    fn key(&self) -> Option<String>;
    /// Its rows as read, to weigh it.
    fn rows(&self) -> &[RawRecord];
    /// The refusal or the work it becomes.
    fn into_item(self) -> ReadItem;
    /// What a sync run decided for it, when it is valid (only a sync
    /// run's stage decides).
    fn decision(&self) -> Option<&Decision> {
        None
    }
}

impl Record for Checked {
    fn key(&self) -> Option<String> {
        self.customer
            .as_deref()
            .filter(|_| self.is_valid())
            .map(record_key)
    }

    fn rows(&self) -> &[RawRecord] {
        std::slice::from_ref(&self.raw)
    }

    fn into_item(self) -> ReadItem {
        ReadItem::customer(self)
    }
}

impl Record for SyncChecked {
    fn key(&self) -> Option<String> {
        self.journal_key()
    }

    fn rows(&self) -> &[RawRecord] {
        self.checked.rows()
    }

    fn into_item(self) -> ReadItem {
        ReadItem::customer(self.checked)
    }

    fn decision(&self) -> Option<&Decision> {
        self.decided()
    }
}

impl Record for CheckedOrder {
    fn key(&self) -> Option<String> {
        self.order
            .as_ref()
            .filter(|_| self.is_valid())
            .and_then(|o| o.journal_key())
    }

    fn rows(&self) -> &[RawRecord] {
        &self.raw.rows
    }

    fn into_item(self) -> ReadItem {
        ReadItem::order(self)
    }
}

impl ReadItem {
    pub(super) fn customer(c: Checked) -> ReadItem {
        let valid = c.is_valid();
        let contact = match &c.customer {
            Some(customer) if !valid => (
                customer.email.as_deref().map(String::from),
                customer.phone.as_deref().map(String::from),
            ),
            _ => (None, None),
        };
        ReadItem {
            number: c.raw.number,
            line: c.raw.line,
            contact,
            rejected: (!valid).then(|| reasons(&c.findings)),
            work: c
                .customer
                .filter(|_| valid)
                .map(|customer| (record_key(&customer), Payload::Customer(*customer))),
        }
    }

    pub(super) fn order(o: CheckedOrder) -> ReadItem {
        let valid = o.is_valid();
        let (number, line) = (o.raw.number, o.raw.line());
        let rejected = (!valid).then(|| reasons(&o.findings));
        let work = match (o.order, o.link) {
            (Some(order), Some(link)) if valid => order
                .journal_key()
                .map(|key| (key, Payload::Order(OrderWork { order, link }))),
            _ => None,
        };
        ReadItem {
            contact: (None, None),
            number,
            line,
            rejected,
            work,
        }
    }
}

/// The violations of a refused record, as the journal keeps them.
fn reasons(findings: &[Violation]) -> Vec<journal::Reason> {
    findings
        .iter()
        .filter(|v| v.severity == Severity::Violation)
        .map(|v| journal::Reason {
            field: v.field.clone(),
            rule: v.rule.to_string(),
            message: v.message(),
        })
        .collect()
}

/// Estimated memory the dry pass may keep for the run: an import whose
/// checked records fit reads, maps and checks its input once; a larger one
/// (about 60,000 Shopify-layout rows and up, ~1.1 kB each) reads it again
/// for the run.
pub(super) const KEEP_BUDGET: usize = 64 << 20;

/// The dry pass's checked records, kept for the run while they fit in
/// [`KEEP_BUDGET`]; dropped, all of them, once they do not.
pub(super) struct Kept {
    items: Vec<ReadItem>,
    bytes: usize,
    overflowed: bool,
}

impl Kept {
    /// Nothing kept yet, for an input of `input_bytes` (as stored: a
    /// gzip file's compressed size). A record kept weighs at least twice
    /// its row, so an input over half the budget cannot fit and is not even
    /// tried: its dry pass keeps nothing.
    pub(super) fn new(input_bytes: u64) -> Kept {
        let hopeless = usize::try_from(input_bytes).map_or(true, |b| b > KEEP_BUDGET / 2);
        Kept {
            items: Vec::new(),
            bytes: 0,
            overflowed: hopeless,
        }
    }

    /// Keeps a checked record (a customer or an order) while the budget
    /// holds.
    pub(super) fn keep(&mut self, c: impl Record) {
        if self.room(|| weigh(c.rows())) {
            self.items.push(c.into_item());
        }
    }

    /// Whether one more record, weighing `bytes()`, fits; the first that
    /// does not drops everything kept. Nothing is weighed once over.
    fn room(&mut self, bytes: impl FnOnce() -> usize) -> bool {
        if self.overflowed {
            return false;
        }
        self.bytes += bytes();
        if self.bytes > KEEP_BUDGET {
            self.overflowed = true;
            self.items = Vec::new();
            return false;
        }
        true
    }

    /// The records, in input order, unless they outgrew the budget.
    pub(super) fn into_items(self) -> Option<Vec<ReadItem>> {
        (!self.overflowed).then_some(self.items)
    }
}

/// The estimated memory of a kept record whose rows were `raw`: the mapped
/// record owns about what its rows held, in many small allocations, besides
/// the structs themselves.
fn weigh<'a>(raw: impl IntoIterator<Item = &'a RawRecord>) -> usize {
    2 * raw.into_iter().map(raw_bytes).sum::<usize>() + FIXED_BYTES
}

/// Memory of a kept record besides its strings: the item (its customer
/// inline), one address and the allocator's rounding.
const FIXED_BYTES: usize =
    std::mem::size_of::<ReadItem>() + std::mem::size_of::<crate::model::Address>() + 64;

/// Bytes of a row as read, continuation rows included.
fn raw_bytes(r: &RawRecord) -> usize {
    let own = match &r.body {
        RawBody::Csv(b) => b.as_slice().len() + 8 * b.len(),
        RawBody::JsonLine(l) => l.len(),
        RawBody::Broken {
            fields, message, ..
        } => message.len() + fields.iter().map(String::len).sum::<usize>(),
    };
    own + r.continued.iter().map(raw_bytes).sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(number: u64) -> ReadItem {
        ReadItem {
            number,
            line: number + 1,
            rejected: None,
            work: None,
            contact: (None, None),
        }
    }

    #[test]
    fn kept_records_come_back_in_order_while_under_budget() {
        let mut kept = Kept::new(100_000);
        for n in 1..=100 {
            if kept.room(|| 1000) {
                kept.items.push(item(n));
            }
        }
        let items = kept.into_items().expect("100 kB is under budget");
        let numbers: Vec<u64> = items.iter().map(|i| i.number).collect();
        assert_eq!(numbers, (1..=100).collect::<Vec<_>>());
    }

    #[test]
    fn past_the_budget_nothing_is_kept_so_the_run_reads_again() {
        let mut kept = Kept::new(1000);
        let mut built = 0;
        let mut weighed = 0;
        for n in 1..=10 {
            let fits = kept.room(|| {
                weighed += 1;
                KEEP_BUDGET / 4 + 1
            });
            if fits {
                built += 1;
                kept.items.push(item(n));
            }
        }
        assert!(kept.into_items().is_none());
        assert_eq!(built, 3, "items past the budget are not even built");
        assert_eq!(weighed, 4, "nor weighed, once one did not fit");
    }

    #[test]
    fn an_input_too_large_to_fit_is_not_even_tried() {
        let mut kept = Kept::new(KEEP_BUDGET as u64);
        let mut weighed = 0;
        let fits = kept.room(|| {
            weighed += 1;
            100
        });
        assert!(!fits);
        assert!(kept.into_items().is_none());
        assert_eq!(weighed, 0);
    }
}
