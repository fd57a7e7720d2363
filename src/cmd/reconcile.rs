//! `storeload reconcile`: settles the journal's in-doubt records by looking
//! each up on the platform, and fetches the ids of records answered
//! "already there"; sends nothing new and reports what it settled
//! ([`crate::run::reconcile`]).

use std::path::PathBuf;

use clap::Args as ClapArgs;

use crate::error::{CliError, Exit};

/// Arguments of `storeload reconcile`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The journal to settle.
    journal: PathBuf,
}

/// Runs `storeload reconcile`.
pub fn run(args: Args) -> Result<Exit, CliError> {
    crate::run::reconcile::reconcile(&args.journal)
}
