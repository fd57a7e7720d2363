//! What can go wrong with a sync state file, each case a sentence that names
//! the file and what to do, and the exit code each maps to (DECISIONS.md:
//! another destination or a damaged file is exit 2; a file that cannot be
//! written or is in use is exit 3, like the journal).

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::error::{CliError, Exit};
use crate::journal::Destination;

/// Why a state file could not be opened, read or written.
#[derive(Debug)]
pub enum StateError {
    /// An operating-system error while `action` (e.g. "reading").
    Io {
        /// The state file (or its lock or temporary file).
        path: PathBuf,
        /// What storeload was doing, as a verb ("reading", "writing").
        action: &'static str,
        /// The cause.
        source: io::Error,
    },
    /// The file is not a state file storeload can read (its header is
    /// damaged, or it is some other file).
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong, in a few words.
        what: String,
    },
    /// The file was written by a newer storeload, in a format this one does
    /// not know.
    NewerVersion {
        /// The file.
        path: PathBuf,
        /// The format version it holds.
        version: u32,
        /// The newest version this build reads.
        readable: u32,
    },
    /// The file belongs to another destination (DECISIONS.md "Nightly sync").
    OtherDestination {
        /// The file.
        path: PathBuf,
        /// Where the file's records were sent.
        recorded: Box<Destination>,
        /// Where this run sends.
        requested: Box<Destination>,
    },
    /// Another run holds the file.
    Locked {
        /// The file.
        path: PathBuf,
    },
    /// An outcome's platform id is not an integer (the state holds
    /// BigCommerce's integer customer ids).
    BadId {
        /// The record key.
        key: String,
        /// The id as the outcome gave it.
        id: String,
    },
    /// The file is write-protected (its permissions), and a run that sends
    /// must record its outcomes in it.
    WriteProtected {
        /// The file.
        path: PathBuf,
    },
    /// `commit` on a state opened read-only (`State::read_only`).
    ReadOnly {
        /// The file.
        path: PathBuf,
    },
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::Io {
                path,
                action,
                source,
            } => write!(
                f,
                "{}: error {action} the sync state: {source}\n\nCheck the disk and the file's permissions, then run again; the journal keeps every outcome, so nothing is lost.",
                path.display()
            ),
            StateError::Damaged { path, what } => write!(
                f,
                "{}: not a storeload state file ({what})\n\nGive --state a file storeload wrote, or a new path: with a new state file every customer is looked up by email once.",
                path.display()
            ),
            StateError::NewerVersion {
                path,
                version,
                readable,
            } => write!(
                f,
                "{}: the sync state is in format {version}, written by a newer storeload; this one reads format {readable}\n\nRun the newer storeload, or give --state a new path.",
                path.display()
            ),
            StateError::OtherDestination {
                path,
                recorded,
                requested,
            } => write!(
                f,
                "{}: this sync state belongs to {recorded}, not to {requested}\n\nGive each store its own --state file.",
                path.display()
            ),
            StateError::Locked { path } => write!(
                f,
                "{}: the sync state is in use by another storeload run\n\nWait for that run to finish; two runs must not sync one store at once.",
                path.display()
            ),
            StateError::BadId { key, id } => write!(
                f,
                "record {key}: the platform's id \"{id}\" is not an integer, and the sync state holds integer customer ids"
            ),
            StateError::WriteProtected { path } => write!(
                f,
                "{}: the sync state file is read-only, and a run that sends records each outcome in it\n\nMake it writable (chmod u+w {}), or add --plan to see what the run would send without writing anything.",
                path.display(),
                path.display()
            ),
            StateError::ReadOnly { path } => write!(
                f,
                "{}: the sync state was opened read-only and cannot be written",
                path.display()
            ),
        }
    }
}

impl std::error::Error for StateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StateError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl StateError {
    /// The exit code a command that meets this error ends with.
    pub fn exit(&self) -> Exit {
        match self {
            StateError::Damaged { .. }
            | StateError::NewerVersion { .. }
            | StateError::OtherDestination { .. }
            | StateError::WriteProtected { .. } => Exit::Usage,
            StateError::Io { source, action, .. }
                if *action == "reading" && source.kind() != io::ErrorKind::Interrupted =>
            {
                Exit::Usage
            }
            StateError::Io { .. }
            | StateError::Locked { .. }
            | StateError::BadId { .. }
            | StateError::ReadOnly { .. } => Exit::Stopped,
        }
    }

    /// An I/O error while `action` on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, action: &'static str, source: io::Error) -> Self {
        StateError::Io {
            path: path.into(),
            action,
            source,
        }
    }
}

impl From<StateError> for CliError {
    fn from(e: StateError) -> Self {
        CliError {
            exit: e.exit(),
            message: e.to_string(),
        }
    }
}
