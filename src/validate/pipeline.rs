//! The dry-run pipeline: a reader thread streams records in chunks through a
//! bounded channel; each chunk is mapped and checked on rayon in parallel,
//! then the in-file uniqueness check runs in input order and every record is
//! handed to the sink in input order. Memory stays flat: at most a few
//! chunks are alive at once, plus one hash per identity key.

use std::sync::mpsc::sync_channel;

use rayon::prelude::*;

use crate::mapping::Mapping;
use crate::model::Customer;
use crate::platform::Platform;
use crate::read::{RawRecord, Records};
use crate::validate::unique::SeenKeys;
use crate::validate::{Findings, Severity, Violation};

/// Records per chunk handed to rayon.
const CHUNK: usize = 4096;
/// Chunks buffered between the reader thread and the workers.
const CHANNEL_CHUNKS: usize = 2;

/// A record after mapping and validation.
#[derive(Debug)]
pub struct Checked {
    /// The record as read.
    pub raw: RawRecord,
    /// The mapped customer, unless the row could not be read.
    pub customer: Option<Customer>,
    /// Violations and warnings, in the order found.
    pub findings: Vec<Violation>,
}

impl Checked {
    /// True when the record can be sent (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.customer.is_some()
            && !self
                .findings
                .iter()
                .any(|v| v.severity == Severity::Violation)
    }
}

/// Options that change what counts as valid.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckOptions {
    /// Turn every warning into a violation.
    pub strict: bool,
}

/// Maps and checks one record (no whole-file rules).
pub fn check_one(
    raw: RawRecord,
    mapping: &Mapping,
    platform: &dyn Platform,
    options: CheckOptions,
) -> Checked {
    let mut f = Findings::new(raw.number, raw.line);
    let customer = mapping.map(&raw, &mut f);
    // A value the platform never sends cannot make the record invalid for it.
    f.items
        .retain(|v| v.field == "row" || platform.sends_field(&v.field));
    if let Some(c) = &customer {
        platform.check_customer(c, &mut f);
    }
    if options.strict {
        f.make_strict();
    }
    Checked {
        raw,
        customer,
        findings: f.items,
    }
}

/// Runs read → map → validate over `records`, handing each checked record to
/// `sink` in input order. `sink` returns `false` to stop early (the reader
/// stops too). Returns the number of records handed over.
pub fn run(
    records: Records,
    mapping: &Mapping,
    platform: &dyn Platform,
    options: CheckOptions,
    mut sink: impl FnMut(Checked) -> bool,
) -> u64 {
    let (tx, rx) = sync_channel::<Vec<RawRecord>>(CHANNEL_CHUNKS);
    let mut seen = SeenKeys::new();
    let mut handed = 0u64;
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut records = records;
            loop {
                let chunk: Vec<RawRecord> = records.by_ref().take(CHUNK).collect();
                if chunk.is_empty() || tx.send(chunk).is_err() {
                    break;
                }
            }
        });
        'chunks: for chunk in rx.iter() {
            let checked: Vec<Checked> = chunk
                .into_par_iter()
                .map(|raw| check_one(raw, mapping, platform, options))
                .collect();
            for mut c in checked {
                if let Some(customer) = &c.customer {
                    let mut f = Findings::new(c.raw.number, c.raw.line);
                    seen.check(platform, customer, &mut f);
                    c.findings.extend(f.items);
                }
                handed += 1;
                if !sink(c) {
                    break 'chunks;
                }
            }
        }
        // Dropping the receiver here makes the reader's next send fail, so
        // it stops even when the sink stopped early.
        drop(rx);
    });
    handed
}
