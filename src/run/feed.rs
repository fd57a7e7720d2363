//! The reading side of a run, on a blocking thread beside the writer: the
//! input's records read, mapped and checked (or the dry pass's, when it
//! kept them), each refusal journaled, each valid record not yet settled
//! handed to the writer, up to `--limit`; counted as it goes. In a sync
//! run each valid customer is decided against the state first: created,
//! updated by id, or journaled `unchanged` and not sent.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::orders::{LoadedLinks, order_context};
use super::reading::settled;
use super::reading::{Mapped, ReadItem, SettledTable};
use super::summary::ReadTally;
use super::sync::{Decision, SyncRun, SyncStage};
use crate::journal::{self, Entry, JournalWriter, RecordState, Stage, States};
use crate::platform::Platform;
use crate::read::Records;
use crate::validate::orders as order_pipeline;
use crate::validate::pipeline::{self, CheckOptions};
use crate::writer::feed::Chunker;
use crate::writer::{Payload, Stop, Tally, Work};

/// Refusals are journaled in groups of this many.
const REJECTED_PER_WRITE: usize = 512;

/// Everything the reading side takes to its thread.
pub(super) struct Reader {
    /// The input's records, not yet read.
    pub(super) records: Records,
    /// Records a resume of the same input skips by number.
    pub(super) skip: SettledTable,
    /// How records are mapped: customers or orders.
    pub(super) mapped: Mapped,
    /// The dry pass's checked records, when it kept them all.
    pub(super) kept: Option<Vec<ReadItem>>,
    /// The platform whose rules check the records.
    pub(super) platform: &'static dyn Platform,
    /// Orders: the loaded `--variants` and `--customers-journal`.
    pub(super) links: LoadedLinks,
    /// Orders: the keys whose orders are not together.
    pub(super) split: Option<HashMap<String, Vec<u64>>>,
    /// `--strict`.
    pub(super) strict: bool,
    /// `--limit`.
    pub(super) limit: Option<u64>,
    /// The journal's records' last states.
    pub(super) states: States,
    /// The latest run read this very input.
    pub(super) unchanged: bool,
    /// The input's fingerprint's first hex digits, in invalid records' keys.
    pub(super) fp_tag: String,
    /// The run's stop switch.
    pub(super) stop: Arc<Stop>,
    /// The writer's counts (`queued` is the reader's).
    pub(super) tally: Arc<Tally>,
    /// The reading side's counts.
    pub(super) read_tally: Arc<ReadTally>,
    /// The journal, for refusals.
    pub(super) journal: JournalWriter,
    /// A sync run's state: each valid customer is created, updated by id,
    /// or journaled `unchanged` and not sent.
    pub(super) sync: Option<SyncRun>,
}

impl Reader {
    /// Runs the reading side on a blocking thread, feeding `tx`; the task
    /// ends `true` when the whole input was read and everything journaled
    /// or handed on.
    pub(super) fn spawn(self, tx: Chunker) -> tokio::task::JoinHandle<bool> {
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || self.read(tx, &handle))
    }

    fn read(self, mut tx: Chunker, handle: &tokio::runtime::Handle) -> bool {
        let Reader {
            records,
            skip,
            mapped,
            kept,
            platform,
            links,
            split,
            strict,
            limit,
            states,
            unchanged,
            fp_tag,
            stop,
            tally,
            read_tally: rt,
            journal: jw,
            sync,
        } = self;
        // Resuming the very input every run of this journal read: records
        // the journal settled are skipped by number before they are mapped
        // or validated (DECISIONS.md "Speed").
        let records = {
            let rt = rt.clone();
            records.filter(move |r| match skip.get(r.number) {
                None => true,
                Some(was_valid) => {
                    rt.read.fetch_add(1, Ordering::Relaxed);
                    if was_valid {
                        rt.valid.fetch_add(1, Ordering::Relaxed);
                        rt.known.fetch_add(1, Ordering::Relaxed);
                    } else {
                        rt.invalid.fetch_add(1, Ordering::Relaxed);
                    }
                    false
                }
            })
        };
        let mut rejected: Vec<Entry> = Vec::new();
        let flush = |rejected: &mut Vec<Entry>| -> bool {
            if rejected.is_empty() {
                return true;
            }
            let batch = std::mem::take(rejected);
            handle.block_on(jw.write(batch)).is_ok()
        };
        // `decided`: a sync run's decision, when the pipeline made it.
        let mut take = |item: ReadItem, decided: Option<Decision>| -> bool {
            rt.read.fetch_add(1, Ordering::Relaxed);
            // A partial chunk goes out while the reader passes records it
            // does not send (unchanged, known, invalid).
            if !tx.tick() {
                return false;
            }
            if let Some(reasons) = item.rejected {
                rt.invalid.fetch_add(1, Ordering::Relaxed);
                let key = format!("invalid:{fp_tag}:{}", item.line);
                if !states.get(&key).is_some_and(RecordState::is_final) {
                    let (email, phone) = item.contact;
                    rejected.push(Entry::Rejected(journal::Rejected {
                        key,
                        record: item.number,
                        line: item.line,
                        email,
                        phone,
                        stage: Stage::Validate,
                        reasons,
                    }));
                    if rejected.len() >= REJECTED_PER_WRITE && !flush(&mut rejected) {
                        return false;
                    }
                }
                return !stop.is_stopping();
            }
            rt.valid.fetch_add(1, Ordering::Relaxed);
            let Some((key, payload)) = item.work else {
                return true;
            };
            let sent_before = match states.get(&key) {
                Some(s) if settled(s, unchanged) => {
                    rt.known.fetch_add(1, Ordering::Relaxed);
                    return !stop.is_stopping();
                }
                Some(RecordState::Sent { at, .. }) | Some(RecordState::InDoubt { at, .. }) => {
                    rt.in_doubt_before.fetch_add(1, Ordering::Relaxed);
                    Some(*at)
                }
                _ => None,
            };
            let sync_work = match (&sync, &payload) {
                (Some(s), Payload::Customer(customer)) => {
                    match decided.unwrap_or_else(|| s.decide(&key, customer)) {
                        Decision::Send(w) => Some(w),
                        Decision::Unchanged { id } => {
                            // Journaled with the refusals, in order; never sent.
                            let entry = Entry::Unchanged(journal::Unchanged {
                                key,
                                record: item.number,
                                line: item.line,
                                id: id.to_string(),
                            });
                            tally.count(&entry);
                            rejected.push(entry);
                            if rejected.len() >= REJECTED_PER_WRITE && !flush(&mut rejected) {
                                return false;
                            }
                            return !stop.is_stopping();
                        }
                    }
                }
                _ => None,
            };
            // An earlier run's line for it (failed, in doubt, sent): if this
            // run leaves it unsent, `status` counts it by that line.
            let journaled = states.get(&key).is_some();
            if limit.is_some_and(|l| tally.queued.load(Ordering::Relaxed) >= l) {
                // --limit: read on (for the counts), send no more.
                rt.limited.fetch_add(1, Ordering::Relaxed);
                if journaled {
                    rt.limited_journaled.fetch_add(1, Ordering::Relaxed);
                }
                return !stop.is_stopping();
            }
            if journaled {
                tally.requeue(&key);
            }
            tally.queued.fetch_add(1, Ordering::Relaxed);
            let work = Work {
                key,
                record: item.number,
                line: item.line,
                payload,
                sent_before,
                sync: sync_work,
            };
            if !tx.push(work) {
                return false;
            }
            !stop.is_stopping()
        };
        match (kept, &mapped) {
            (Some(items), _) => {
                for item in items {
                    if !take(item, None) {
                        break;
                    }
                }
            }
            (None, Mapped::Customers(m)) => {
                let options = CheckOptions {
                    strict,
                    lean: false,
                    drop_rows: false,
                    drop_texts: false,
                };
                match &sync {
                    // The keys, hashes and diffs are made on the workers.
                    Some(s) => {
                        let customers = pipeline::Customers {
                            mapping: m,
                            platform,
                            options,
                        };
                        let stage = SyncStage { customers, sync: s };
                        pipeline::run_stage(records, &stage, |c| {
                            let (checked, decided) = c.into_parts();
                            take(ReadItem::customer(checked), decided)
                        });
                    }
                    None => {
                        pipeline::run(records, m, platform, options, |c| {
                            take(ReadItem::customer(c), None)
                        });
                    }
                }
            }
            (None, Mapped::Orders(m)) => {
                let ctx = order_context(m, &links, split.as_ref(), strict);
                order_pipeline::run(records, &ctx, |o| take(ReadItem::order(o), None));
            }
        }
        // The last part chunk; after a stop it stays unsent.
        let sent = stop.is_stopping() || tx.flush();
        flush(&mut rejected) && sent
    }
}
