//! The files a run reads or keeps (the input, the mapping file, the orders'
//! variants and customers journal, the journal and its stdin spool), which
//! no report of it may overwrite.

use std::path::{Path, PathBuf};

use super::plan::OrderOptions;
use super::source::Source;
use super::spool::spool_path;
use crate::error::CliError;

/// The files a run reads or keeps, which no report of it may overwrite: the
/// input, the mapping file, the orders' variants and customers journal, and
/// (for an import) the journal and its stdin spool. A sync run's state is
/// added by [`with_state`].
pub fn run_files(
    source: &Source,
    orders: &OrderOptions,
    journal: Option<&Path>,
) -> Vec<(&'static str, PathBuf)> {
    let mut files = Vec::new();
    if source.input != "-" {
        files.push(("the input", PathBuf::from(&source.input)));
    }
    if let Some(m) = &source.mapping {
        files.push(("the mapping file", m.clone()));
    }
    if let Some(v) = &orders.variants {
        files.push(("the variants file", v.clone()));
    }
    if let Some(c) = &orders.customers_journal {
        files.push(("the customers journal", c.clone()));
    }
    if let Some(j) = journal {
        files.push(("the journal", j.to_path_buf()));
        files.push(("the stdin spool", spool_path(j)));
    }
    files
}

/// The run's files with a sync run's state file (and its lock) added,
/// when `state` is given.
pub fn with_state(
    mut files: Vec<(&'static str, PathBuf)>,
    state: Option<&Path>,
) -> Vec<(&'static str, PathBuf)> {
    if let Some(state) = state {
        let mut lock = state.as_os_str().to_os_string();
        lock.push(".lock");
        files.push(("the sync state", state.to_path_buf()));
        files.push(("the sync state's lock", PathBuf::from(lock)));
    }
    files
}

/// Refuses any of `outputs` naming one of the run's own files (exit 2,
/// naming both): the one guard of validate, import, resume and rejects.
pub fn refuse_clobbering(
    outputs: &[(&str, &Path)],
    run_files: &[(&'static str, PathBuf)],
) -> Result<(), CliError> {
    let files: Vec<(&str, &Path)> = run_files.iter().map(|(w, p)| (*w, p.as_path())).collect();
    crate::report::output::refuse_run_files(outputs, &files)
}
