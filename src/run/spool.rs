//! Input from stdin, spooled to a file beside the journal before the run
//! reads it, so that a resume has it and the input's fingerprint covers it
//! (DECISIONS.md "Speed").

use std::path::{Path, PathBuf};

use crate::error::CliError;

/// Where input from stdin is spooled for the journal at `journal`: beside
/// it, with `.input` added (DECISIONS.md "Speed").
pub fn spool_path(journal: &Path) -> PathBuf {
    let mut path = journal.as_os_str().to_owned();
    path.push(".input");
    PathBuf::from(path)
}

/// Copies stdin to the spool of the journal at `journal`; returns the
/// spool's path, which the run then reads as its input.
pub fn spool_stdin(journal: &Path) -> Result<String, CliError> {
    let path = spool_path(journal);
    let mut file = std::fs::File::create(&path)
        .map_err(|e| CliError::usage(format!("{}: cannot spool stdin: {e}", path.display())))?;
    std::io::copy(&mut std::io::stdin().lock(), &mut file)
        .map_err(|e| CliError::usage(format!("{}: cannot spool stdin: {e}", path.display())))?;
    Ok(path.display().to_string())
}
