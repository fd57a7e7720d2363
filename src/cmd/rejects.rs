//! `storeload rejects`: one file with every record of the journal's input
//! that is not in the platform — invalid, refused by the platform, failed
//! after retries, still in doubt, or not sent yet — in the input's own
//! columns and order, plus `_line`, `_stage` and `_errors`. Fix the rows and
//! import the file with the same journal to complete the load.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use clap::Args as ClapArgs;

use super::import::RunPlan;
use crate::error::{CliError, Exit};
use crate::journal::{self, RecordState, Stage};
use crate::model::record_key;
use crate::report::rejects::Rejects;
use crate::validate::Severity;
use crate::validate::pipeline::{self, CheckOptions};

/// Arguments of `storeload rejects`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The journal of the import.
    journal: PathBuf,

    /// Where to write the rejects file.
    #[arg(short, long, value_name = "PATH")]
    output: PathBuf,
}

/// Runs `storeload rejects`.
pub fn run(args: Args) -> Result<Exit, CliError> {
    let written = write(&args.journal, &args.output)?;
    eprintln!(
        "storeload: {written} record{} not in the platform written to {}",
        if written == 1 { "" } else { "s" },
        args.output.display()
    );
    Ok(if written == 0 {
        Exit::Ok
    } else {
        Exit::Incomplete
    })
}

/// Writes the rejects of `journal`'s latest input to `output`; returns how
/// many records it holds.
pub fn write(journal_path: &Path, output: &Path) -> Result<u64, CliError> {
    let replay = journal::replay(journal_path).map_err(|e| CliError::usage(e.to_string()))?;
    let plan = RunPlan::from_header(&replay, journal_path)?;
    let source = plan.source();
    let (mut input, mapping) = source.open()?;
    let platform = plan.to.platform();
    let mut out = Rejects::create_staged(output, &input)?;
    let states: &HashMap<String, RecordState> = &replay.records;
    let records = std::mem::replace(&mut input.records, crate::read::Records::empty());
    let mut written = 0u64;
    let mut failure: Option<CliError> = None;
    pipeline::run(
        records,
        &mapping,
        platform,
        CheckOptions {
            strict: plan.strict,
        },
        |c| {
            let (stage, errors) = if !c.is_valid() {
                let errors = c
                    .findings
                    .iter()
                    .filter(|v| v.severity == Severity::Violation)
                    .map(|v| format!("{}: {}", v.rule, v.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                ("validate", errors)
            } else {
                let key = c.customer.as_ref().map(record_key).unwrap_or_default();
                match states.get(&key) {
                Some(RecordState::Created { .. }) | Some(RecordState::Exists { .. }) => return true,
                Some(RecordState::Rejected { stage, reasons, .. }) => (
                    if *stage == Stage::Validate { "validate" } else { "platform" },
                    reasons
                        .iter()
                        .map(|r| format!("{}: {}", r.rule, r.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                Some(RecordState::Failed { reason, .. }) => ("failed", reason.clone()),
                Some(RecordState::Sent { .. }) => (
                    "in-doubt",
                    "sent without an answer; `storeload reconcile` or `storeload resume` settles it".to_string(),
                ),
                Some(RecordState::InDoubt { reason, .. }) => ("in-doubt", reason.clone()),
                None => ("not-sent", "not sent yet; `storeload resume` sends it".to_string()),
            }
            };
            let result = out.write_row(&c.raw, Some(stage), &errors);
            match result {
                Ok(()) => {
                    written += 1;
                    true
                }
                Err(e) => {
                    failure = Some(e);
                    false
                }
            }
        },
    );
    if let Some(e) = failure {
        return Err(e);
    }
    out.finish()?;
    Ok(written)
}
