//! The dry pass of an import: a fast pass over the whole input, given what
//! the journal already settled, counting what would be sent, in how many
//! requests, and how long that takes at the quota.

use super::plan::Entity;
use super::reading::{Record, settled};
use super::source::Source;
use super::sync::{Decision, SyncChecked, SyncRun, SyncStage};
use crate::error::CliError;
use crate::order::group::Groups;
use crate::platform::{Platform, QuotaHint, Rate};
use crate::validate::orders::{CheckedOrder, OrderContext};
use crate::validate::pipeline::{self, CheckOptions, Checked, Stage, run_stage};

/// The rate the plan assumes: `--rate`, else the quota the platform
/// reported at the check, else its default; times `--max-quota-share`.
pub fn effective_rate(
    fixed: Option<Rate>,
    share: f64,
    platform: &dyn Platform,
    reported: &QuotaHint,
) -> Rate {
    let rate = match (fixed, reported.quota, reported.window) {
        (Some(rate), _, _) => rate,
        (None, Some(requests), Some(window)) if requests > 0 && !window.is_zero() => {
            Rate { requests, window }
        }
        _ => platform.default_rate(),
    };
    Rate {
        requests: ((rate.requests as f64 * share).floor() as u32).max(1),
        window: rate.window,
    }
}

/// What a dry pass over the whole input found.
#[derive(Debug, Default)]
pub struct PlanFigures {
    /// Records read.
    pub read: u64,
    /// Valid records.
    pub valid: u64,
    /// Invalid records.
    pub invalid: u64,
    /// Valid records the journal already settled.
    pub known: u64,
    /// Valid records to send (a sync run: to create and to update).
    pub to_send: u64,
    /// A sync run: of `to_send`, the records to update by id.
    pub to_update: u64,
    /// A sync run: valid records unchanged since last sent (not sent).
    pub unchanged: u64,
    /// Whether this is a sync run's plan.
    pub sync: bool,
    /// Records per request.
    pub batch_size: u64,
}

impl PlanFigures {
    /// Invalid records as a percentage of those read.
    pub fn invalid_pct(&self) -> f64 {
        if self.read == 0 {
            0.0
        } else {
            self.invalid as f64 * 100.0 / self.read as f64
        }
    }

    /// The plan's two lines (three for a sync run), for the terminal.
    pub fn render(&self, platform: &dyn Platform, rate: Rate, limit: Option<u64>) -> String {
        let sending = limit.map_or(self.to_send, |l| l.min(self.to_send));
        let batch = self.batch_size.max(1);
        // A sync run's updates take a PUT and an address listing per batch
        // (plus address changes where they differ); which of the records a
        // --limit lets through is not known ahead: updates are counted first.
        let updating = self.to_update.min(sending);
        let creating = sending - updating;
        let requests = if self.sync {
            creating.div_ceil(batch) + 2 * updating.div_ceil(batch)
        } else {
            sending.div_ceil(batch)
        };
        let seconds = requests as f64 * rate.window.as_secs_f64() / rate.requests.max(1) as f64;
        let mut s = format!(
            "plan: {} records read · {} valid · {} invalid ({:.2}%) · {} already in the journal · {} to send{}\n",
            self.read,
            self.valid,
            self.invalid,
            self.invalid_pct(),
            self.known,
            self.to_send,
            match limit {
                Some(l) if l < self.to_send => format!(" (--limit: the first {l})"),
                _ => String::new(),
            }
        );
        if self.sync {
            s.push_str(&format!(
                "plan: sync: {} to create · {} to update · {} unchanged (not sent) · nothing is deleted\n",
                self.to_send - self.to_update,
                self.to_update,
                self.unchanged
            ));
        }
        s.push_str(&format!(
            "plan: {requests} request{}{} of up to {} to {} · at {rate} that takes about {}\n",
            if requests == 1 { "" } else { "s" },
            if self.sync && updating > 0 {
                " (and one per 10 address changes)"
            } else {
                ""
            },
            self.batch_size,
            platform.display_name(),
            human_duration(seconds)
        ));
        s
    }
}

fn human_duration(seconds: f64) -> String {
    let s = seconds.ceil() as u64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// Reads, maps and validates the whole input once, counting what an import
/// would send given what the journal already settled.
/// Each checked record goes on to `keep` once counted (the import keeps
/// them for its run while they fit in memory).
pub fn dry_pass(
    source: &Source,
    platform: &'static dyn Platform,
    strict: bool,
    states: &crate::journal::States,
    unchanged: bool,
    sync: Option<&SyncRun>,
    mut keep: impl FnMut(Checked),
) -> Result<PlanFigures, CliError> {
    let (mut input, mapping) = source.open()?;
    let records = std::mem::replace(&mut input.records, crate::read::Records::empty());
    let stage = pipeline::Customers {
        mapping: &mapping,
        platform,
        options: CheckOptions {
            strict,
            lean: false,
            drop_rows: false,
            drop_texts: false,
        },
    };
    let per_request = Entity::Customers.per_request(platform);
    let known = Known {
        states,
        unchanged,
        sync,
    };
    Ok(match sync {
        // The key, hash and diff are made on the workers, beside the checks.
        Some(sync) => {
            let stage = SyncStage {
                customers: stage,
                sync,
            };
            count(records, &stage, per_request, known, |c: SyncChecked| {
                keep(c.into_parts().0)
            })
        }
        None => count(records, &stage, per_request, known, keep),
    })
}

/// The orders' dry pass: counts what an import would send, one order per
/// request; each checked order goes on to `keep` once counted.
pub fn dry_pass_orders(
    records: impl Iterator<Item = crate::read::RawRecord> + Send,
    ctx: &OrderContext<'_>,
    states: &crate::journal::States,
    unchanged: bool,
    keep: impl FnMut(CheckedOrder),
) -> PlanFigures {
    let units = Groups::new(records, ctx.mapping);
    let per_request = Entity::Orders.per_request(ctx.platform);
    let known = Known {
        states,
        unchanged,
        sync: None,
    };
    count(units, ctx, per_request, known, keep)
}

/// What the journal (and a sync run's state) already settled.
struct Known<'a> {
    /// The journal's records' last states.
    states: &'a crate::journal::States,
    /// The latest run read this very input.
    unchanged: bool,
    /// A sync run's state.
    sync: Option<&'a SyncRun>,
}

/// Runs `stage` over `units`, counting what an import would send in
/// requests of `per_request` records given what the journal settled; each
/// checked record goes on to `keep` once counted.
fn count<S: Stage>(
    units: impl Iterator<Item = S::Unit> + Send,
    stage: &S,
    per_request: usize,
    known: Known<'_>,
    mut keep: impl FnMut(S::Checked),
) -> PlanFigures
where
    S::Checked: Record,
{
    let Known {
        states,
        unchanged,
        sync,
    } = known;
    let mut f = PlanFigures {
        batch_size: per_request as u64,
        sync: sync.is_some(),
        ..PlanFigures::default()
    };
    run_stage(units, stage, |c| {
        f.read += 1;
        match c.key() {
            Some(key) => {
                f.valid += 1;
                let decision = c.decision();
                if states.get(&key).is_some_and(|s| settled(s, unchanged)) {
                    f.known += 1;
                } else {
                    match decision {
                        Some(Decision::Unchanged { .. }) => f.unchanged += 1,
                        Some(Decision::Send(w)) if w.id.is_some() => {
                            f.to_update += 1;
                            f.to_send += 1;
                        }
                        _ => f.to_send += 1,
                    }
                }
            }
            None => f.invalid += 1,
        }
        keep(c);
        true
    });
    f
}
