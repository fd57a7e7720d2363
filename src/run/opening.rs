//! Opening a run's journal, with every check before the first request:
//! the journal belongs to this destination and this platform, it is locked
//! for this process, a resume finds it and an unchanged input (by its
//! fingerprint, computed beside the replay), and the new run's header is
//! written and synced. A journal that cannot be locked or written stops the
//! run with exit 3; one that is not a journal is exit 2.

use std::path::{Path, PathBuf};

use super::Mode;
use super::plan::RunPlan;
use crate::error::CliError;
use crate::journal::{
    self, Destination, Entry, Header, InputFingerprint, Journal, RecordState, Replay, States,
};

/// Refuses a journal written for an import into another destination,
/// before any request (old journals name none, and are accepted).
pub fn refuse_other_destination(path: &Path, destination: &Destination) -> Result<(), CliError> {
    if !path.exists() {
        return Ok(());
    }
    let headers = journal::headers(path)?;
    match journal::other_destination(&headers, destination) {
        None => Ok(()),
        Some(other) => Err(CliError::usage(format!(
            "journal {}: was written for an import into {other}, not {destination}; its records say nothing about this destination\n\nGive --journal a new path for this destination, or run against {other}.",
            path.display()
        ))),
    }
}

/// The input's fingerprint, computed on its own thread while the journal
/// is replayed: on a resume of a large run they are the two long reads
/// before the first request.
pub struct Fingerprinting(Option<std::thread::JoinHandle<Result<InputFingerprint, CliError>>>);

impl Fingerprinting {
    /// Starts hashing the input at `path`; stdin (no path) has no hash.
    pub fn start(path: Option<PathBuf>) -> Fingerprinting {
        Fingerprinting(path.map(|p| {
            std::thread::spawn(move || {
                journal::fingerprint(&p)
                    .map_err(|e| CliError::usage(format!("{}: cannot read it: {e}", p.display())))
            })
        }))
    }

    /// The fingerprint, once computed.
    pub fn finish(self) -> Result<InputFingerprint, CliError> {
        match self.0 {
            Some(handle) => handle
                .join()
                .map_err(|_| CliError::usage("the input's fingerprint could not be computed"))?,
            None => Ok(InputFingerprint {
                path: "stdin".into(),
                size: 0,
                sha256: String::new(),
            }),
        }
    }
}

/// The journal of a run, opened and locked when it existed, with what it
/// says about the input the run reads.
pub struct Opened {
    /// The journal, open for appending, when it existed.
    journal: Option<Journal>,
    /// The journal's records' last states (empty for a new journal).
    pub states: States,
    /// The latest run read this very input: what it refused stays refused.
    pub unchanged: bool,
    /// Every run of the journal read this very input: its record numbers
    /// are this file's.
    pub same_input_throughout: bool,
    /// The number of the run about to start.
    pub next_run: u32,
}

/// Opens (and locks) the journal at `path` when it exists: a resume needs
/// it, and it must belong to the plan's platform. Then, with the input's
/// fingerprint, refuses a resume of a changed input unless forced.
pub fn open(
    path: &Path,
    plan: &RunPlan,
    mode: Mode,
    fingerprint: Fingerprinting,
) -> Result<(Opened, InputFingerprint), CliError> {
    let (journal, replay) = if path.exists() {
        let (journal, replay) = Journal::open_append(path)?;
        if let Some(h) = replay.header()
            && h.platform != plan.to.as_str()
        {
            return Err(CliError::usage(format!(
                "journal {} belongs to an import into {}, not {}; give --journal a new path",
                path.display(),
                h.platform,
                plan.to
            )));
        }
        (Some(journal), Some(replay))
    } else {
        if let Mode::Resume { .. } = mode {
            return Err(CliError::usage(format!(
                "journal {}: no such file",
                path.display()
            )));
        }
        (None, None)
    };
    let fp = fingerprint.finish()?;
    let opened = check_input(journal, replay, &fp, mode, &plan.input)?;
    Ok((opened, fp))
}

/// What the replayed journal says about the input `fp`; a resume refuses
/// an input changed since the run began, unless forced.
fn check_input(
    journal: Option<Journal>,
    replay: Option<Replay>,
    fp: &InputFingerprint,
    mode: Mode,
    input: &str,
) -> Result<Opened, CliError> {
    let same = |h: &Header| h.input.size == fp.size && h.input.sha256 == fp.sha256;
    let latest = replay.as_ref().and_then(|r| r.latest_header());
    let unchanged = latest.is_some_and(same);
    if let (Mode::Resume { force: false }, Some(h)) = (mode, latest)
        && !unchanged
    {
        return Err(CliError::usage(format!(
            "{input}: the input changed since the run began ({}); resuming would mix two files. Use `storeload import` with the same journal for a new file (known records are skipped), or `storeload resume --force`",
            crate::run::summary::what_changed(&h.input, fp)
        )));
    }
    let same_input_throughout = replay.as_ref().is_some_and(|r| r.headers.iter().all(same));
    let next_run = replay.as_ref().map(|r| r.next_run()).unwrap_or(1);
    Ok(Opened {
        journal,
        states: replay.map(|r| r.records).unwrap_or_default(),
        unchanged,
        same_input_throughout,
        next_run,
    })
}

impl Opened {
    /// Writes the new run's header (a new journal at `path` starts with
    /// it) and makes it durable; a header that cannot be written (a full
    /// disk) stops the run with exit 3 before any request.
    pub fn start(&mut self, path: &Path, header: Header) -> Result<Journal, CliError> {
        Ok(match self.journal.take() {
            Some(mut j) => {
                j.append(&Entry::Header(header))?;
                j.commit()?;
                j
            }
            None => Journal::create(path, &header)?,
        })
    }

    /// The first batch number of the new run: after every batch the journal
    /// sent.
    pub fn first_batch(&self) -> u64 {
        self.states
            .values()
            .filter_map(|s| match s {
                RecordState::Sent { batch, .. } => Some(*batch + 1),
                _ => None,
            })
            .max()
            .unwrap_or(1)
    }
}

/// The header of the run about to start: what it reads (`fp`, mapped as
/// `mapping` says), where it sends and how (the plan, never a secret).
pub fn header(
    plan: &RunPlan,
    next_run: u32,
    fp: InputFingerprint,
    mapping: serde_json::Value,
    destination: Destination,
) -> Result<Header, CliError> {
    let header = Header::new(
        next_run,
        plan.to.as_str(),
        plan.orders.entity.as_str(),
        fp,
        mapping,
        plan,
    )
    .map_err(|e| {
        CliError::stopped(format!(
            "cannot record the run's options in the journal's header ({e}); nothing was sent (this is a bug in storeload; please report it)"
        ))
    })?;
    Ok(header.with_destination(destination))
}
