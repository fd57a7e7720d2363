//! `storeload ids`: CSV `source_key,platform_id` of every record the journal
//! says is in the platform (created; updated or unchanged by a `--sync`
//! run; or already there with a known id): the bridge an orders import
//! needs.

use std::path::PathBuf;

use clap::Args as ClapArgs;

use crate::error::{CliError, Exit};
use crate::journal;

/// Arguments of `storeload ids`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The journal to read.
    journal: PathBuf,
}

/// Runs `storeload ids`.
pub fn run(args: Args) -> Result<Exit, CliError> {
    let replay = journal::replay(&args.journal)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["source_key", "platform_id"]);
    for (key, id) in journal::ids(&replay) {
        let _ = w.write_record([key, id]);
    }
    let bytes = w
        .into_inner()
        .map_err(|e| CliError::usage(format!("cannot write the ids: {e}")))?;
    super::print(&String::from_utf8_lossy(&bytes))?;
    Ok(Exit::Ok)
}
