//! The plan an import prints before its first write: a fast dry pass over
//! the whole input (what becomes of each column, what would be sent, in
//! how many requests, how long at the quota), and the `--max-invalid-pct`
//! refusal. Its checked records are kept for the run while they fit in
//! memory, so an import of up to tens of thousands of rows reads, maps and
//! checks its input once.

use super::dry_pass::{dry_pass, dry_pass_orders};
use super::orders::{LoadedLinks, order_context};
use super::plan::RunPlan;
use super::reading::{Kept, Mapped, ReadItem};
use super::source::Source;
use super::sync::SyncRun;
use crate::error::{CliError, Exit};
use crate::journal::States;
use crate::platform::Rate;
use crate::read::Input;

/// What the dry pass reads with, beside the plan.
pub(super) struct Pass<'a> {
    /// The run's plan.
    pub(super) plan: &'a RunPlan,
    /// The input, as the run reads it (stdin: its spool).
    pub(super) source: &'a Source,
    /// The input opened for the run (its columns, its label).
    pub(super) input: &'a Input,
    /// The input's mapping.
    pub(super) mapped: &'a Mapped,
    /// Orders: the loaded `--variants` and `--customers-journal`.
    pub(super) links: &'a LoadedLinks,
    /// Orders: the keys whose orders are not together.
    pub(super) split: Option<&'a std::collections::HashMap<String, Vec<u64>>>,
    /// The journal's records' last states.
    pub(super) states: &'a States,
    /// The latest run read this very input.
    pub(super) unchanged: bool,
    /// The rate the run will send at.
    pub(super) rate: Rate,
    /// The input's size as stored (a gzip file's compressed size).
    pub(super) input_bytes: u64,
    /// A sync run's state.
    pub(super) sync: Option<&'a SyncRun>,
}

/// What the dry pass decided.
pub(super) enum Previewed {
    /// `--plan`: the plan is printed, the run ends here.
    PlanOnly,
    /// Go on, with the checked records when they all fit in memory.
    Run {
        /// The checked records, when they all fit in memory.
        kept: Option<Vec<ReadItem>>,
        /// Records the run will hand to the writer (`--limit` applied):
        /// the progress display's total from its first line.
        to_send: u64,
    },
}

/// Runs the dry pass, prints the plan (unless `quiet`; always with
/// `plan_only`), and refuses the run above `--max-invalid-pct` (exit 1,
/// nothing sent).
pub(super) fn preview(pass: Pass<'_>, quiet: bool, plan_only: bool) -> Result<Previewed, CliError> {
    let Pass {
        plan,
        source,
        input,
        mapped,
        links,
        split,
        states,
        unchanged,
        rate,
        input_bytes,
        sync,
    } = pass;
    let platform = plan.platform();
    let mut kept = Kept::new(input_bytes);
    let figures = match mapped {
        Mapped::Customers(_) => dry_pass(
            source,
            platform,
            plan.strict,
            states,
            unchanged,
            sync,
            |c| kept.keep(c),
        )?,
        Mapped::Orders(m) => {
            let (mut again, _) = source.open_orders()?;
            let records = std::mem::replace(&mut again.records, crate::read::Records::empty());
            let ctx = order_context(m, links, split, plan.strict);
            dry_pass_orders(records, &ctx, states, unchanged, |o| kept.keep(o))
        }
    };
    // The plan opens with what becomes of each input column.
    let context = match mapped {
        Mapped::Customers(m) => crate::report::Context::new(input, m, platform),
        Mapped::Orders(m) => crate::report::Context::for_orders(input, m, platform),
    };
    let text = crate::report::mapping_block(&context, platform)
        + &figures.render(platform, rate, plan.send.limit)
        + &sync.and_then(SyncRun::attribute_note).unwrap_or_default();
    if !quiet || plan_only {
        crate::term::eprint(&text);
    }
    if plan_only {
        return Ok(Previewed::PlanOnly);
    }
    if let Some(max) = plan.send.max_invalid_pct {
        let pct = figures.invalid_pct();
        if pct > max {
            return Err(CliError {
                exit: Exit::Incomplete,
                message: format!(
                    "refused: {pct:.2}% of the records are invalid, above --max-invalid-pct {max}; nothing was sent. Fix them (storeload validate … --rejects fix.csv) or raise the limit"
                ),
            });
        }
    }
    Ok(Previewed::Run {
        kept: kept.into_items(),
        to_send: plan
            .send
            .limit
            .map_or(figures.to_send, |l| l.min(figures.to_send)),
    })
}
