//! The rejects of an import: one file with every record of the journal's
//! input that is not in the platform — invalid, refused by the platform,
//! failed after retries, still in doubt, or not sent yet — in the input's
//! own columns and order, plus `_line`, `_stage` and `_errors`, read with
//! the plan the journal's header recorded. Fix the rows and import the
//! file with the same journal to complete the load.

use std::path::Path;

use super::files::{refuse_clobbering, run_files};
use super::orders::order_context;
use super::plan::RunPlan;
use crate::error::CliError;
use crate::findings::{Severity, Violation};
use crate::journal::{self, RecordState, Stage};
use crate::model::record_key;
use crate::read::RawRecord;
use crate::report::rejects::Rejects;
use crate::validate::orders as order_pipeline;
use crate::validate::pipeline::{self, CheckOptions};

/// Writes the rejects of `journal`'s latest input to `output`; returns how
/// many records (customers, or orders: all their rows) it holds.
pub fn write(journal_path: &Path, output: &Path) -> Result<u64, CliError> {
    let replay = journal::replay(journal_path)?;
    let plan = RunPlan::from_header(&replay, journal_path)?;
    let source = plan.source();
    refuse_clobbering(
        &[("-o", output)],
        &run_files(&source, &plan.orders, Some(journal_path)),
    )?;
    let platform = plan.to.platform();
    let states: &crate::journal::States = &replay.records;
    let mut written = 0u64;
    let mut failure: Option<CliError> = None;
    let mut write_rows = |out: &mut Rejects, rows: &[RawRecord], stage, errors: &str| -> bool {
        for raw in rows {
            if let Err(e) = out.write_row(raw, Some(stage), errors) {
                failure = Some(e);
                return false;
            }
        }
        written += 1;
        true
    };
    let out = if plan.ordering() {
        let (mut input, mapping) = source.open_orders()?;
        let mut out = Rejects::create_staged(output, &input)?;
        let split = source.first_pass(&input, &mapping)?;
        let links = plan.orders.load(plan.to)?;
        let ctx = order_context(&mapping, &links, split.as_ref(), plan.strict);
        let records = std::mem::replace(&mut input.records, crate::read::Records::empty());
        order_pipeline::run(records, &ctx, |c| {
            let key = c.order.as_ref().and_then(|o| o.journal_key());
            match why_not_in(states, c.is_valid(), key.as_deref(), &c.findings) {
                None => true,
                Some((stage, errors)) => write_rows(&mut out, &c.raw.rows, stage, &errors),
            }
        });
        out
    } else {
        let (mut input, mapping) = source.open()?;
        let mut out = Rejects::create_staged(output, &input)?;
        let records = std::mem::replace(&mut input.records, crate::read::Records::empty());
        pipeline::run(
            records,
            &mapping,
            platform,
            CheckOptions {
                strict: plan.strict,
                lean: false,
                drop_rows: false,
                drop_texts: false,
            },
            |c| {
                let key = c.customer.as_deref().map(record_key);
                match why_not_in(states, c.is_valid(), key.as_deref(), &c.findings) {
                    None => true,
                    Some((stage, errors)) => {
                        write_rows(&mut out, std::slice::from_ref(&c.raw), stage, &errors)
                    }
                }
            },
        );
        out
    };
    if let Some(e) = failure {
        return Err(e);
    }
    out.finish()?;
    Ok(written)
}

/// A report path as messages show it: `-` is standard output.
pub fn shown(path: &Path) -> String {
    if crate::report::output::is_stdout(path) {
        "standard output".into()
    } else {
        path.display().to_string()
    }
}

/// Why a record is not in the platform, as `_stage` and `_errors`; `None`
/// when it is (created, updated or unchanged by a `--sync` run, or already
/// there).
fn why_not_in(
    states: &crate::journal::States,
    valid: bool,
    key: Option<&str>,
    findings: &[Violation],
) -> Option<(&'static str, String)> {
    if !valid {
        let errors = findings
            .iter()
            .filter(|v| v.severity == Severity::Violation)
            .map(|v| format!("{}: {}", v.rule, v.message()))
            .collect::<Vec<_>>()
            .join("; ");
        return Some(("validate", errors));
    }
    Some(match key.and_then(|k| states.get(k)) {
        Some(
            RecordState::Created { .. }
            | RecordState::Exists { .. }
            | RecordState::Updated { .. }
            | RecordState::Unchanged { .. },
        ) => return None,
        Some(RecordState::Rejected { stage, reasons, .. }) => (
            if *stage == Stage::Validate {
                "validate"
            } else {
                "platform"
            },
            reasons
                .iter()
                .map(|r| format!("{}: {}", r.rule, r.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Some(RecordState::Failed { reason, .. }) => ("failed", reason.clone()),
        Some(RecordState::Sent { .. }) => (
            "in-doubt",
            "sent without an answer; `storeload reconcile` or `storeload resume` settles it"
                .to_string(),
        ),
        Some(RecordState::InDoubt { reason, .. }) => ("in-doubt", reason.clone()),
        None => (
            "not-sent",
            "not sent yet; `storeload resume` sends it".to_string(),
        ),
    })
}
