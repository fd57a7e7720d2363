//! The one error type a command returns, and the exit code each kind maps to
//! (see DECISIONS.md: 0 ok, 1 some records not valid/created, 2 usage or
//! unreadable input, 3 credentials or a whole-run stop, 130 interrupted,
//! 143 stopped by SIGTERM, 129 by SIGHUP).

use std::fmt;

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

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::usage(format!("i/o error: {e}"))
    }
}
