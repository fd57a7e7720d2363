//! The command line: one `Command` variant per command, each handed off to
//! `cmd/<name>.rs`, which owns its arguments and its `run`.

pub mod check;
pub mod common;
pub mod ids;
pub mod import;
pub mod mapping;
pub mod presets;
pub mod reconcile;
pub mod rejects;
pub mod resume;
pub mod sandbox;
pub mod status;
pub mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::Exit;
use crate::term::{ColorChoice, LogFormat};
pub use crate::term::{eprint, print};

/// storeload: move customer lists from CSV, JSONL or JSON into BigCommerce,
/// Salesive and bitbybit, safely.
#[derive(Debug, Parser)]
#[command(name = "storeload", version, about, long_about = None)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,

    /// When to colour output: auto colours a terminal unless NO_COLOR is
    /// set, never a file or a pipe.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// How lines on stderr are written: text for a person, or json (one
    /// object per line: timestamp, level, message, target) for a log
    /// collector. Stdout is not changed.
    #[arg(long, global = true, value_enum, value_name = "FORMAT", default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Every storeload command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read, map and validate an input against a platform's rules; sends nothing.
    Validate(validate::Args),
    /// Print the mapping inferred for an input, as a mapping file to edit.
    Mapping(mapping::Args),
    /// List the built-in presets and the columns each reads.
    Presets(presets::Args),
    /// Pre-flight: credentials, scopes and quota; stores nothing.
    Check(check::Args),
    /// Import an input into a platform, with a checkpoint journal.
    Import(import::Args),
    /// Continue an import from its journal.
    Resume(resume::Args),
    /// Show what a journal says: created, rejected, in doubt, not sent.
    Status(status::Args),
    /// Settle in-doubt records by looking them up; sends nothing new.
    Reconcile(reconcile::Args),
    /// Write every record not in the platform, in the input's columns, to fix and re-import.
    Rejects(rejects::Args),
    /// Print source key → platform id (CSV) for every record in the platform.
    Ids(ids::Args),
    /// Run the local stand-in for the three platforms.
    Sandbox(sandbox::Args),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(Exit::Usage as u8),
            };
        }
    };
    crate::term::set_color(cli.color);
    crate::term::set_log_format(cli.log_format);
    init_logging(cli.log_format);
    let result = match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Mapping(args) => mapping::run(args),
        Command::Presets(args) => presets::run(args),
        Command::Check(args) => check::run(args),
        Command::Import(args) => import::run(args),
        Command::Resume(args) => resume::run(args),
        Command::Status(args) => status::run(args),
        Command::Reconcile(args) => reconcile::run(args),
        Command::Rejects(args) => rejects::run(args),
        Command::Ids(args) => ids::run(args),
        Command::Sandbox(args) => sandbox::run(args),
    };
    match result {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(e) => {
            crate::term::eprint_error(&format!("storeload: {e}\n"));
            ExitCode::from(e.exit as u8)
        }
    }
}

/// Logs go to stderr, filtered by `STORELOAD_LOG`, else `RUST_LOG`
/// (default: warnings); with `--log-format json`, one JSON object per line
/// with the event's fields at the top level, as [`crate::term::eprint`]
/// writes storeload's own lines.
fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("STORELOAD_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // A closed stderr must not turn a log line into a panic.
        .log_internal_errors(false);
    let _ = match format {
        LogFormat::Text => builder.with_target(false).try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
}
