//! The terminal: lines to stderr and text to stdout that never panic on a
//! closed or broken pipe (`| head`, `2>&1 | head -1`); the run goes on, and
//! its exit code still tells the outcome.

use std::io::Write;

use crate::error::CliError;

/// Writes `text` to stderr. A closed or broken stderr (`2>&1 | head -1`)
/// is ignored: the run goes on, and its exit code still tells the outcome.
pub fn eprint(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|_| err.flush());
}

/// `eprintln!` that never panics: a line to stderr through [`eprint`].
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::term::eprint(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// Writes `text` to stdout; a closed pipe (`| head`) is not an error.
pub fn print(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::usage(format!("cannot write to stdout: {e}"))),
    }
}
