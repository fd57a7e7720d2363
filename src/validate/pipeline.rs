//! The read → map → validate pipeline, one implementation for every entity
//! ([`Stage`]: customers here, orders in `validate::orders`): a reader
//! thread streams units (a record, an order's rows) in numbered chunks
//! through a bounded channel; each rayon worker takes whole chunks from it
//! and maps and checks each chunk's units; the calling thread puts the
//! checked chunks back in input order, runs the entity's whole-file check
//! over each unit and hands it to the sink. Memory stays flat: at most a
//! few chunks are alive at once, plus what the whole-file check remembers
//! (one hash per key).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};

use crate::findings::{Findings, Severity, Violation};
use crate::mapping::Mapping;
use crate::model::Customer;
use crate::platform::Platform;
use crate::read::{RawBody, RawRecord};
use crate::validate::unique::{Identity, SeenKeys, identity};

/// Customer records per chunk handed to rayon.
const CHUNK: usize = 2048;
/// Chunks buffered between the reader thread and the workers.
const CHANNEL_CHUNKS: usize = 2;

/// A record after mapping and validation.
#[derive(Debug)]
pub struct Checked {
    /// The record as read.
    pub raw: RawRecord,
    /// The mapped customer, unless the row could not be read, or the caller
    /// reads only the findings (`CheckOptions::lean`). Boxed: a checked
    /// record crosses two threads and a few vectors, and moving 350 bytes
    /// of customer each time cost more than its one allocation.
    pub customer: Option<Box<Customer>>,
    /// True when the row was mapped to a customer (kept when a lean caller
    /// drops the customer itself).
    pub mapped: bool,
    /// Violations and warnings, in the order found.
    pub findings: Vec<Violation>,
    /// The identity key for the in-file uniqueness check, hashed here.
    pub identity: Option<Identity>,
}

impl Checked {
    /// True when the record can be sent (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.mapped
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
    /// cheap, and never boxed (`Checked::mapped` still says it was mapped).
    pub lean: bool,
    /// With `lean`, also drop the row of a record valid so far (no rejects
    /// file asked for: nobody reads the rows).
    pub drop_rows: bool,
    /// With `lean`, leave violations' texts unwritten (no report file asked
    /// for: the terminal shows each rule's count and lines, never a text).
    pub drop_texts: bool,
}

impl CheckOptions {
    /// True when violations' texts are left unwritten (`drop_texts`, which
    /// only a lean caller may ask for).
    fn dropping_texts(self) -> bool {
        self.lean && self.drop_texts
    }
}

/// Maps and checks one record (no whole-file rules).
pub fn check_one(
    mut raw: RawRecord,
    mapping: &Mapping,
    platform: &dyn Platform,
    options: CheckOptions,
) -> Checked {
    let mut f = Findings::new(raw.number, raw.line).keeping_texts(!options.dropping_texts());
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
    let mut identity = customer.as_ref().and_then(|c| identity(platform, c));
    let mapped = customer.is_some();
    let customer = match customer {
        Some(mut c) if options.lean => {
            if options.drop_rows {
                raw.body = RawBody::JsonLine(Vec::new());
                raw.continued = Vec::new();
            }
            if let Some(id) = identity.as_mut()
                && !options.drop_texts
            {
                id.keep_value(&mut c);
            }
            None
        }
        c => c.map(Box::new),
    };
    Checked {
        raw,
        customer,
        mapped,
        findings: f.items,
        identity,
    }
}

/// One entity's part in the pipeline: what the reader hands over, how one
/// unit is mapped and checked (on rayon, in any order), and the whole-file
/// check each checked unit then gets in input order.
pub trait Stage: Sync {
    /// What the reader hands over: a record, or the rows of one order.
    type Unit: Send;
    /// A unit after mapping and checking.
    type Checked: Send;
    /// What the whole-file check remembers from one unit to the next.
    type Seen: Send;

    /// Units per chunk handed to rayon.
    fn chunk(&self) -> usize;

    /// The whole-file check's memory before the first unit.
    fn seen(&self) -> Self::Seen;

    /// Maps and checks one unit (no whole-file rules).
    fn check(&self, unit: Self::Unit) -> Self::Checked;

    /// The whole-file check of one checked unit, in input order.
    fn in_order(&self, seen: &mut Self::Seen, checked: &mut Self::Checked);
}

/// The customers' part: mapped by a customer mapping, checked by the
/// platform's rules, and unique in the file by its identity key.
#[derive(Clone, Copy)]
pub struct Customers<'a> {
    /// The customer mapping.
    pub mapping: &'a Mapping,
    /// The platform whose rules check them.
    pub platform: &'a dyn Platform,
    /// What counts as valid, and what the caller keeps.
    pub options: CheckOptions,
}

impl Stage for Customers<'_> {
    type Unit = RawRecord;
    type Checked = Checked;
    type Seen = SeenKeys;

    fn chunk(&self) -> usize {
        CHUNK
    }

    fn seen(&self) -> SeenKeys {
        SeenKeys::new()
    }

    fn check(&self, raw: RawRecord) -> Checked {
        check_one(raw, self.mapping, self.platform, self.options)
    }

    /// The in-file uniqueness check.
    fn in_order(&self, seen: &mut SeenKeys, c: &mut Checked) {
        if let Some(key) = &c.identity {
            let mut f = Findings::new(c.raw.number, c.raw.line)
                .keeping_texts(!self.options.dropping_texts());
            seen.check_key(key, key.value(c.customer.as_deref()), &mut f);
            c.findings.extend(f.items);
        }
    }
}

/// Runs read → map → validate over customer `records`, handing each checked
/// record to `sink` in input order. `sink` returns `false` to stop early
/// (the reader stops too). Returns the number of records handed over.
pub fn run(
    records: impl Iterator<Item = RawRecord> + Send,
    mapping: &Mapping,
    platform: &dyn Platform,
    options: CheckOptions,
    sink: impl FnMut(Checked) -> bool,
) -> u64 {
    let stage = Customers {
        mapping,
        platform,
        options,
    };
    run_stage(records, &stage, sink)
}

/// Runs `stage` over `units`, handing each checked unit to `sink` in input
/// order. `sink` returns `false` to stop early (the reader stops too).
/// Returns the number of units handed over.
pub fn run_stage<S: Stage>(
    units: impl Iterator<Item = S::Unit> + Send,
    stage: &S,
    mut sink: impl FnMut(S::Checked) -> bool,
) -> u64 {
    let chunk_size = stage.chunk().max(1);
    let workers = rayon::current_num_threads().max(1);
    let (tx, rx) = sync_channel::<(u64, Vec<S::Unit>)>(CHANNEL_CHUNKS);
    let mut handed = 0u64;
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut units = units;
            for seq in 0u64.. {
                // Sized once: collected from `take`, the vector would grow
                // by doubling, copying each record about twice more.
                let mut chunk: Vec<S::Unit> = Vec::with_capacity(chunk_size);
                chunk.extend(units.by_ref().take(chunk_size));
                if chunk.is_empty() || tx.send((seq, chunk)).is_err() {
                    break;
                }
            }
        });
        // Each rayon worker takes whole chunks from the reader, one after
        // another, and maps and checks each alone, so no worker waits for
        // another at a chunk's end; this thread puts the chunks back in
        // input order, gives each the whole-file check and hands it to the
        // sink. The whole-file check stays on this one thread: its memory
        // (one entry per key, issue 18) is then allocated and freed by one
        // thread, in one allocator arena, rather than spread half-used over
        // the arenas of both workers.
        let rx = Mutex::new(rx);
        let (done_tx, done_rx) = sync_channel::<(u64, Vec<S::Checked>)>(workers);
        let failed = AtomicBool::new(false);
        rayon::in_place_scope(|s| {
            for _ in 0..workers {
                let (rx, done_tx, failed) = (&rx, done_tx.clone(), &failed);
                s.spawn(move |_| {
                    // A worker that panics never hands its chunk over: the
                    // in-order stage stops rather than wait for it, and the
                    // scope passes the panic on.
                    let _failed = FailedOnPanic(failed);
                    // A poisoned lock means another worker panicked: stop.
                    while let Some((seq, chunk)) = rx.lock().ok().and_then(|rx| rx.recv().ok()) {
                        let checked = chunk.into_iter().map(|u| stage.check(u)).collect();
                        if done_tx.send((seq, checked)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(done_tx);
            handed = in_order(stage, done_rx, &failed, &mut sink);
        });
        // The workers have stopped (a sink that stopped early dropped their
        // channel); dropping theirs makes the reader's next send fail.
        drop(rx);
    });
    handed
}

/// Sets its flag when dropped by a panic (a worker's, in `run_stage`).
struct FailedOnPanic<'a>(&'a AtomicBool);

impl Drop for FailedOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::Relaxed);
        }
    }
}

/// The whole-file check: takes checked chunks as the workers finish them,
/// gives them the check and hands their units to `sink`, in input order.
/// Returns the number of units handed over, when every chunk is done, when
/// `sink` stops, or when a worker has `failed` (its chunk will never come);
/// dropping `done` then stops the workers at their next chunk.
fn in_order<S: Stage>(
    stage: &S,
    done: Receiver<(u64, Vec<S::Checked>)>,
    failed: &AtomicBool,
    sink: &mut impl FnMut(S::Checked) -> bool,
) -> u64 {
    let mut seen = stage.seen();
    // Chunks finished ahead of one still being checked: at most a few,
    // since a worker takes the next chunk only after handing one over.
    let mut ahead: BTreeMap<u64, Vec<S::Checked>> = BTreeMap::new();
    let (mut next, mut handed) = (0u64, 0u64);
    for (seq, chunk) in done.iter() {
        if failed.load(Ordering::Relaxed) {
            return handed;
        }
        ahead.insert(seq, chunk);
        while let Some(mut chunk) = ahead.remove(&next) {
            // The whole chunk first: the checks' reads of a large table
            // overlap (run/sync.rs), rather than each waiting between two
            // of the sink's calls.
            for c in &mut chunk {
                stage.in_order(&mut seen, c);
            }
            for c in chunk {
                handed += 1;
                if !sink(c) {
                    return handed;
                }
            }
            next += 1;
        }
    }
    handed
}

#[cfg(test)]
mod tests {
    use super::{Stage, run_stage};

    /// A stage over numbers: `check` squares them (on rayon, in any
    /// order); `in_order` records the order it saw them in.
    struct Squares {
        chunk: usize,
    }

    impl Stage for Squares {
        type Unit = u64;
        type Checked = (u64, u64, usize);
        type Seen = usize;

        fn chunk(&self) -> usize {
            self.chunk
        }

        fn seen(&self) -> usize {
            0
        }

        fn check(&self, n: u64) -> (u64, u64, usize) {
            (n, n * n, 0)
        }

        fn in_order(&self, seen: &mut usize, c: &mut (u64, u64, usize)) {
            *seen += 1;
            c.2 = *seen;
        }
    }

    #[test]
    fn every_unit_reaches_the_sink_checked_and_in_input_order_across_chunks() {
        let mut got = Vec::new();
        let handed = run_stage(1..=1000u64, &Squares { chunk: 7 }, |c| {
            got.push(c);
            true
        });
        assert_eq!(handed, 1000);
        let want: Vec<(u64, u64, usize)> = (1..=1000u64).map(|n| (n, n * n, n as usize)).collect();
        assert_eq!(
            got, want,
            "the whole-file check sees each unit once, in input order"
        );
    }

    #[test]
    fn a_sink_that_stops_stops_the_pipeline() {
        let mut got = 0;
        let handed = run_stage(1..=100_000u64, &Squares { chunk: 10 }, |_| {
            got += 1;
            got < 25
        });
        assert_eq!(handed, 25);
        assert_eq!(got, 25);
    }

    /// Squares, but panics on `at` (a bug in a stage's check).
    struct PanicsAt {
        at: u64,
    }

    impl Stage for PanicsAt {
        type Unit = u64;
        type Checked = u64;
        type Seen = ();

        fn chunk(&self) -> usize {
            10
        }

        fn seen(&self) {}

        fn check(&self, n: u64) -> u64 {
            assert_ne!(n, self.at, "a check that panics");
            n * n
        }

        fn in_order(&self, _: &mut (), _: &mut u64) {}
    }

    #[test]
    fn a_check_that_panics_ends_the_run_with_its_panic_and_nothing_after_it() {
        let mut got = Vec::new();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_stage(1..=100_000u64, &PanicsAt { at: 5_005 }, |c| {
                got.push(c);
                true
            })
        }));
        assert!(result.is_err(), "the worker's panic is passed on");
        assert!(
            got.len() < 5_005,
            "no unit after the failed one is handed over"
        );
        let want: Vec<u64> = (1..=got.len() as u64).map(|n| n * n).collect();
        assert_eq!(got, want, "what was handed over is in order");
    }

    #[test]
    fn an_empty_input_hands_nothing_over() {
        let handed = run_stage(std::iter::empty(), &Squares { chunk: 0 }, |_| true);
        assert_eq!(handed, 0);
    }
}
