//! `storeload resume`: continues an import from its journal with the options
//! it was started with (secrets again from the environment). Refuses when
//! the input changed since the run began, unless `--force`.

use std::path::PathBuf;

use clap::Args as ClapArgs;

use crate::error::{CliError, Exit};
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
}

/// Runs `storeload resume`.
pub fn run(args: Args) -> Result<Exit, CliError> {
    // The headers alone say how to run; the records are replayed once, by
    // the run itself (a journal of millions of outcomes is read once).
    let mut plan = RunPlan::from_journal(&args.journal)?;
    plan.send.limit = args.limit;
    if plan.sandbox {
        return Err(CliError::usage(format!(
            "journal {}: that run imported into the in-process sandbox, which ended with it; start a new import instead",
            args.journal.display()
        )));
    }
    let view = View {
        quiet: args.quiet,
        ..View::default()
    };
    crate::run::execute(
        &plan,
        &args.journal,
        Mode::Resume { force: args.force },
        view,
    )
}
