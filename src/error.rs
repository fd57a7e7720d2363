//! The one error type a command returns, and the exit code each kind maps to
//! (see DECISIONS.md: 0 ok, 1 some records not valid/created, 2 usage or
//! unreadable input, 3 credentials or a whole-run stop, 130 interrupted,
//! 143 stopped by SIGTERM, 129 by SIGHUP).

use std::fmt;

use crate::journal::JournalError;

/// The process exit status of a command, as documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every record valid / created.
    Ok = 0,
    /// Finished, but some records are invalid, refused, failed or in doubt.
    Incomplete = 1,
    /// Usage error, or an input that is not what it claims.
    Usage = 2,
    /// Credentials missing or refused, or a whole-run error: resumable.
    Stopped = 3,
    /// Interrupted by Ctrl-C: journal flushed, resumable.
    Interrupted = 130,
    /// Stopped by SIGTERM (128 + 15): journal flushed, resumable.
    Terminated = 143,
    /// Stopped by SIGHUP (128 + 1): journal flushed, resumable.
    HungUp = 129,
}

/// An error that ends a command: a sentence for a person and an exit code.
#[derive(Debug)]
pub struct CliError {
    /// Which exit code the process ends with.
    pub exit: Exit,
    /// Lowercase `what: cause` sentence, optionally followed by a hint paragraph.
    pub message: String,
}

impl CliError {
    /// A usage error or unreadable input (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            exit: Exit::Usage,
            message: message.into(),
        }
    }

    /// A run stopped early: bad credentials or a whole-run error (exit 3).
    pub fn stopped(message: impl Into<String>) -> Self {
        CliError {
            exit: Exit::Stopped,
            message: message.into(),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// A journal error, with the exit code its kind means (DECISIONS.md): a
/// journal that is not a journal, or a path that does not name one, is an
/// input that is not what it claims (2); a journal that cannot be locked,
/// written or synced stops the run (3), and the run can be resumed once
/// the cause is fixed.
impl From<JournalError> for CliError {
    fn from(e: JournalError) -> Self {
        let exit = match &e {
            JournalError::Io { action, source, .. } => {
                if source.kind() == std::io::ErrorKind::NotFound || READ_ACTIONS.contains(action) {
                    Exit::Usage
                } else {
                    Exit::Stopped
                }
            }
            JournalError::AlreadyExists { .. }
            | JournalError::NotAFile { .. }
            | JournalError::Corrupt { .. }
            | JournalError::UnknownType { .. }
            | JournalError::NotHeader { .. }
            | JournalError::NewerVersion { .. } => Exit::Usage,
            JournalError::Locked { .. }
            | JournalError::NoHeader { .. }
            | JournalError::Encode { .. }
            | JournalError::Poisoned { .. }
            | JournalError::WriterStopped { .. } => Exit::Stopped,
        };
        CliError {
            exit,
            message: e.to_string(),
        }
    }
}

/// The journal I/O actions that only read it: failing one means the path
/// does not name a readable journal (exit 2), not that writing it failed.
const READ_ACTIONS: [&str; 4] = ["open", "read", "read the size of", "seek in"];

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::usage(format!("i/o error: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use super::*;

    fn io(action: &'static str, kind: std::io::ErrorKind) -> JournalError {
        JournalError::Io {
            path: PathBuf::from("run.journal"),
            action,
            source: Arc::new(std::io::Error::from(kind)),
        }
    }

    #[test]
    fn a_journal_that_cannot_be_written_or_locked_stops_the_run_with_exit_3() {
        let full = std::io::ErrorKind::StorageFull;
        for e in [
            io("write", full),
            io("sync", full),
            io("create", std::io::ErrorKind::PermissionDenied),
            JournalError::Locked {
                path: PathBuf::from("run.journal"),
            },
            JournalError::Poisoned {
                path: PathBuf::from("run.journal"),
                cause: "disk full".into(),
            },
        ] {
            let text = e.to_string();
            let err = CliError::from(e);
            assert_eq!(err.exit, Exit::Stopped, "{text}");
            assert_eq!(err.message, text, "the journal's sentence is kept");
        }
    }

    #[test]
    fn a_path_that_is_not_a_readable_journal_is_exit_2() {
        let corrupt = JournalError::Corrupt {
            path: Path::new("run.journal").to_path_buf(),
            line: 3,
            problem: "not JSON".into(),
        };
        for e in [
            io("open", std::io::ErrorKind::NotFound),
            io("read", std::io::ErrorKind::InvalidData),
            corrupt,
        ] {
            assert_eq!(CliError::from(e).exit, Exit::Usage);
        }
    }
}
