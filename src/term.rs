//! The terminal: lines to stderr and text to stdout that never panic on a
//! closed or broken pipe (`| head`, `2>&1 | head -1`); the run goes on, and
//! its exit code still tells the outcome. Also colour: whether a stream
//! takes it (`--color never|auto|always`, `NO_COLOR`, a terminal or not,
//! as ripgrep and cargo decide) and the few styles storeload uses. And
//! `--log-format json`: every line storeload writes to stderr (progress,
//! warnings, the summary, the error that ends a command) is then one JSON
//! object, shaped like the tracing log lines beside it (`timestamp`,
//! `level`, `message`, `target`), for log collectors that read cron and
//! systemd output; stdout keeps its text.
//!
//! Colour is two SGR codes written by hand: a dependency (anstyle,
//! anstream) would add types for what is four escape sequences here, and
//! nothing storeload writes to a file passes through [`paint`] with colour
//! on, because `auto` colours only a terminal.

use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

use crate::error::CliError;

/// Writes `text` to stderr: as is, or with `--log-format json` as one JSON
/// object (level `WARN` when it is a warning, else `INFO`). A closed or
/// broken stderr (`2>&1 | head -1`) is ignored: the run goes on, and its
/// exit code still tells the outcome.
pub fn eprint(text: &str) {
    if json_logs() {
        let level = if text
            .trim_start()
            .trim_start_matches("storeload: ")
            .starts_with("warning")
        {
            "WARN"
        } else {
            "INFO"
        };
        write_stderr(&json_line(level, text, chrono::Utc::now()));
    } else {
        write_stderr(text);
    }
}

/// Writes the error that ends a command to stderr: `text` as is, or with
/// `--log-format json` as one JSON object of level `ERROR`.
pub fn eprint_error(text: &str) {
    if json_logs() {
        write_stderr(&json_line("ERROR", text, chrono::Utc::now()));
    } else {
        write_stderr(text);
    }
}

fn write_stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|_| err.flush());
}

/// `text` (one or more lines, its blank ends trimmed) as one JSON line of
/// `level` at `at`; nothing when `text` is blank.
fn json_line(level: &str, text: &str, at: chrono::DateTime<chrono::Utc>) -> String {
    let message = text.trim_matches(|c: char| c == '\n' || c == '\r');
    if message.trim().is_empty() {
        return String::new();
    }
    // The keys in the order tracing's JSON formatter writes them.
    #[derive(serde::Serialize)]
    struct Line<'a> {
        timestamp: String,
        level: &'a str,
        message: &'a str,
        target: &'a str,
    }
    let line = Line {
        timestamp: at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        level,
        message,
        target: "storeload",
    };
    match serde_json::to_string(&line) {
        Ok(object) => format!("{object}\n"),
        // Strings only: encoding cannot fail; were it to, the text is
        // still worth more than nothing.
        Err(_) => format!("{message}\n"),
    }
}

/// How stderr's lines are written (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Lines for a person.
    #[default]
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

/// The run's `--log-format`, set once by the command line.
static LOG_FORMAT: OnceLock<LogFormat> = OnceLock::new();

/// Sets the run's log format (the first call wins).
pub fn set_log_format(format: LogFormat) {
    let _ = LOG_FORMAT.set(format);
}

/// Whether stderr's lines are JSON objects in this run.
pub fn json_logs() -> bool {
    LOG_FORMAT.get() == Some(&LogFormat::Json)
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

/// When to colour output (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Never colour.
    Never,
    /// Colour a terminal, unless `NO_COLOR` is set (not empty); never a
    /// file or a pipe.
    #[default]
    Auto,
    /// Always colour, even a file or a pipe.
    Always,
}

/// The run's `--color`, set once by the command line.
static CHOICE: OnceLock<ColorChoice> = OnceLock::new();

/// Sets the run's colour choice (the first call wins).
pub fn set_color(choice: ColorChoice) {
    let _ = CHOICE.set(choice);
}

/// One of the standard streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// What a painted word means; each has one colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    /// A failed check, a violation: bold red.
    Fail,
    /// A warning: yellow.
    Warn,
    /// A passed check: green.
    Ok,
}

/// Whether `stream` takes colour under `choice`, given `NO_COLOR`'s value
/// and whether the stream is a terminal.
pub fn decide(choice: ColorChoice, no_color: Option<&str>, terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => no_color.is_none_or(str::is_empty) && terminal,
    }
}

/// Whether text written to `stream` is coloured in this run: never stderr
/// when its lines are JSON.
pub fn colored(stream: Stream) -> bool {
    if stream == Stream::Stderr && json_logs() {
        return false;
    }
    let choice = CHOICE.get().copied().unwrap_or_default();
    let no_color = std::env::var("NO_COLOR").ok();
    let terminal = match stream {
        Stream::Stdout => std::io::stdout().is_terminal(),
        Stream::Stderr => std::io::stderr().is_terminal(),
    };
    decide(choice, no_color.as_deref(), terminal)
}

/// `text` in the colour of `paint` when `stream` takes colour; as is
/// otherwise.
pub fn paint(stream: Stream, paint: Paint, text: &str) -> String {
    if !colored(stream) {
        return text.to_string();
    }
    let code = match paint {
        Paint::Fail => "1;31",
        Paint::Warn => "33",
        Paint::Ok => "32",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_colours_a_terminal_unless_no_color_is_set() {
        assert!(decide(ColorChoice::Auto, None, true));
        assert!(
            decide(ColorChoice::Auto, Some(""), true),
            "an empty NO_COLOR is unset"
        );
        assert!(!decide(ColorChoice::Auto, Some("1"), true));
        assert!(
            !decide(ColorChoice::Auto, None, false),
            "never a file or a pipe"
        );
    }

    #[test]
    fn a_json_log_line_is_one_object_holding_every_line_of_the_text() {
        let at = chrono::DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let line = json_line("INFO", "\nstoreload: a \"quoted\"\nsecond line\n", at);
        assert!(
            line.ends_with('\n') && line.matches('\n').count() == 1,
            "{line:?}"
        );
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["message"], "storeload: a \"quoted\"\nsecond line");
        assert_eq!(v["level"], "INFO");
        assert_eq!(v["timestamp"], "2024-05-01T12:00:00.000000Z");
        assert_eq!(
            json_line("WARN", "\n\n", at),
            "",
            "a blank line writes nothing"
        );
    }

    #[test]
    fn never_and_always_win_over_the_terminal_and_no_color() {
        assert!(!decide(ColorChoice::Never, None, true));
        assert!(decide(ColorChoice::Always, Some("1"), false));
    }
}
