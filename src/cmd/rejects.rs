//! `storeload rejects`: one file with every record of the journal's input
//! that is not in the platform — invalid, refused by the platform, failed
//! after retries, still in doubt, or not sent yet — in the input's own
//! columns and order, plus `_line`, `_stage` and `_errors`. Fix the rows and
//! import the file with the same journal to complete the load.

use std::path::PathBuf;

use clap::Args as ClapArgs;

use crate::error::{CliError, Exit};
use crate::run::rejects::{shown, write};

/// Arguments of `storeload rejects`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The journal of the import.
    journal: PathBuf,

    /// Where to write the rejects file; `-` for standard output.
    #[arg(short, long, value_name = "PATH")]
    output: PathBuf,
}

/// Runs `storeload rejects`.
pub fn run(args: Args) -> Result<Exit, CliError> {
    let written = write(&args.journal, &args.output)?;
    crate::say!(
        "storeload: {written} record{} not in the platform written to {}",
        if written == 1 { "" } else { "s" },
        shown(&args.output)
    );
    Ok(if written == 0 {
        Exit::Ok
    } else {
        Exit::Incomplete
    })
}
