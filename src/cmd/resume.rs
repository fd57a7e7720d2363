//! `storeload resume`: continues an import from its journal with the options
//! it was started with (secrets again from the environment). Refuses when
//! the input changed since the run began, unless `--force`.

use std::path::PathBuf;

use clap::Args as ClapArgs;

use crate::error::{CliError, Exit};
use crate::run::files::{refuse_clobbering, run_files, with_state};
use crate::run::summary::{RunFigures, SummaryTarget};
use crate::run::{Mode, RunPlan, View};

/// Arguments of `storeload resume`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The journal of the run to continue.
    journal: PathBuf,

    /// Continue even though the input changed since the run began.
    #[arg(long)]
    force: bool,

    /// Print only the final summary.
    #[arg(long, short)]
    quiet: bool,

    /// Send only the first N records not yet in the journal (another
    /// canary). Without it, resume sends the rest: a `--limit` given to
    /// `import` capped that run only.
    #[arg(long, value_name = "N")]
    limit: Option<u64>,

    /// When the command ends, however it ends, write a JSON summary of the
    /// run (counts per outcome, requests, duration, exit code) to this
    /// file, atomically; `-` for standard output.
    #[arg(long, value_name = "PATH")]
    summary: Option<PathBuf>,
}

/// Runs `storeload resume`; with `--summary`, writes the run summary
/// however the run ends (once the path is known not to name a file of
/// the run).
pub fn run(args: Args) -> Result<Exit, CliError> {
    let Some(path) = args.summary.clone() else {
        return resume(args, None, RunFigures::default());
    };
    // A journal that cannot be read has no plan to check the path
    // against: only the journal is.
    let plan = RunPlan::from_journal(&args.journal);
    let files = match &plan {
        Ok(plan) => with_state(
            run_files(&plan.source(), &plan.orders, Some(&args.journal)),
            plan.sync.as_ref().map(|s| s.state.as_path()),
        ),
        Err(_) => vec![("the journal", args.journal.clone())],
    };
    refuse_clobbering(&[("--summary", &path)], &files)?;
    let mut summary = SummaryTarget::start(path, "resume", &args.journal);
    if let Ok(plan) = &plan {
        summary.platform(plan.to);
    }
    let figures = summary.figures();
    summary.finish(resume(args, plan.ok(), figures))
}

/// The resume itself, with the journal's plan when it was already read;
/// the run leaves its figures in `figures` (for `--summary`).
fn resume(args: Args, plan: Option<RunPlan>, figures: RunFigures) -> Result<Exit, CliError> {
    let on_stdout = args
        .summary
        .as_deref()
        .is_some_and(crate::report::output::is_stdout);
    // The headers alone say how to run; the records are replayed once, by
    // the run itself (a journal of millions of outcomes is read once).
    let mut plan = match plan {
        Some(plan) => plan,
        None => RunPlan::from_journal(&args.journal)?,
    };
    plan.send.limit = args.limit;
    if plan.sandbox {
        return Err(CliError::usage(format!(
            "journal {}: that run imported into the in-process sandbox, which ended with it; start a new import instead",
            args.journal.display()
        )));
    }
    let view = View {
        quiet: args.quiet,
        summary_to_stderr: on_stdout,
        figures,
        ..View::default()
    };
    crate::run::execute(
        &plan,
        &args.journal,
        Mode::Resume { force: args.force },
        view,
    )
}
