//! The dry-run pipeline: a reader thread streams records in chunks through a
//! bounded channel; a checker thread has each chunk mapped and checked on
//! rayon in parallel, then runs the in-file uniqueness check over it in input
//! order (overlapped with the mapping of the next chunk) and passes it on
//! through a second bounded channel; the calling thread hands every record to
//! the sink in input order. Memory stays flat: at most a few chunks are alive
//! at once, plus one hash per identity key.

use std::sync::mpsc::sync_channel;

use rayon::prelude::*;

use crate::findings::{Findings, Severity, Violation};
use crate::mapping::Mapping;
use crate::model::Customer;
use crate::platform::Platform;
use crate::read::{RawBody, RawRecord};
use crate::validate::unique::{Identity, SeenKeys, identity};

/// Records per chunk handed to rayon.
const CHUNK: usize = 2048;
/// Chunks buffered between the reader thread and the workers.
const CHANNEL_CHUNKS: usize = 2;
/// Checked chunks buffered between the workers and the in-order stage.
const CHECKED_CHUNKS: usize = 1;

/// A record after mapping and validation.
#[derive(Debug)]
pub struct Checked {
    /// The record as read.
    pub raw: RawRecord,
    /// The mapped customer, unless the row could not be read.
    pub customer: Option<Customer>,
    /// Violations and warnings, in the order found.
    pub findings: Vec<Violation>,
    /// The identity key for the in-file uniqueness check, hashed here.
    pub identity: Option<Identity>,
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
    /// The caller reads only the findings (a dry-run report): each
    /// customer is dropped on the thread that built it, where freeing is
    /// cheap (what stays is an empty one, so validity still reads).
    pub lean: bool,
    /// With `lean`, also drop the row of a record valid so far (no rejects
    /// file asked for: nobody reads the rows).
    pub drop_rows: bool,
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
        if !raw.continued.is_empty() {
            let lines: Vec<Option<u64>> = c.addresses.iter().map(|a| a.line).collect();
            f.relocate_addresses(&lines);
        }
    }
    if options.strict {
        f.make_strict();
    }
    let identity = customer.as_ref().and_then(|c| identity(platform, c));
    let mut checked = Checked {
        raw,
        customer,
        findings: f.items,
        identity,
    };
    if options.lean {
        if options.drop_rows {
            checked.raw.body = RawBody::JsonLine(Vec::new());
            checked.raw.continued = Vec::new();
        }
        if let (Some(id), Some(c)) = (checked.identity.as_mut(), checked.customer.as_mut()) {
            id.keep_value(c);
        }
        checked.customer = checked.customer.map(|_| Customer::default());
    }
    checked
}

/// The in-file uniqueness check over one chunk, in input order.
fn check_unique(seen: &mut SeenKeys, chunk: &mut [Checked]) {
    for c in chunk {
        if let Some(key) = &c.identity {
            let mut f = Findings::new(c.raw.number, c.raw.line);
            seen.check_key(key, key.value(c.customer.as_ref()), &mut f);
            c.findings.extend(f.items);
        }
    }
}

/// Runs read → map → validate over `records`, handing each checked record to
/// `sink` in input order. `sink` returns `false` to stop early (the reader
/// stops too). Returns the number of records handed over.
pub fn run(
    records: impl Iterator<Item = RawRecord> + Send,
    mapping: &Mapping,
    platform: &dyn Platform,
    options: CheckOptions,
    mut sink: impl FnMut(Checked) -> bool,
) -> u64 {
    let (tx, rx) = sync_channel::<Vec<RawRecord>>(CHANNEL_CHUNKS);
    let (checked_tx, checked_rx) = sync_channel::<Vec<Checked>>(CHECKED_CHUNKS);
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
        // The checker thread: chunk n+1 is mapped and checked on rayon while
        // chunk n gets the in-file uniqueness check (in input order, on a
        // rayon worker too), so the workers never wait for the in-order stage
        // and the calling thread is left with the sink alone.
        scope.spawn(move || {
            let mut seen = SeenKeys::new();
            let mut ready: Option<Vec<Checked>> = None;
            for chunk in rx.iter() {
                let previous = ready.take();
                let (previous, next) = rayon::join(
                    || {
                        previous.map(|mut p| {
                            check_unique(&mut seen, &mut p);
                            p
                        })
                    },
                    || {
                        chunk
                            .into_par_iter()
                            .map(|raw| check_one(raw, mapping, platform, options))
                            .collect::<Vec<Checked>>()
                    },
                );
                if let Some(p) = previous
                    && checked_tx.send(p).is_err()
                {
                    return;
                }
                ready = Some(next);
            }
            if let Some(mut p) = ready {
                check_unique(&mut seen, &mut p);
                let _ = checked_tx.send(p);
            }
        });
        'chunks: for checked in checked_rx.iter() {
            for c in checked {
                handed += 1;
                if !sink(c) {
                    break 'chunks;
                }
            }
        }
        // Dropping the receiver here makes the checker's next send fail, and
        // then the reader's, so both stop even when the sink stopped early.
        drop(checked_rx);
    });
    handed
}
