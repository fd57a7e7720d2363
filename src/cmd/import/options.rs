//! The options of an import: the command line (`Args`, `SendArgs`) and the
//! `RunPlan` the journal's header records, so `resume` runs the same way.

use std::path::{Path, PathBuf};

use clap::Args as ClapArgs;
use serde::{Deserialize, Serialize};

use super::super::common::SourceArgs;
use super::super::orders::OrderArgs;
use crate::error::CliError;
use crate::journal::Replay;
use crate::platform::{PlatformId, Rate, bitbybit};
use crate::read::Format;
use crate::writer::InDoubtPolicy;

/// Arguments of `storeload import`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    pub(super) source: SourceArgs,

    /// The platform to import into.
    #[arg(long, value_enum)]
    pub(super) to: PlatformId,

    #[command(flatten)]
    pub(super) orders: OrderArgs,

    /// The checkpoint journal: created if missing, continued if present
    /// (records already created are skipped).
    #[arg(long, value_name = "FILE")]
    pub(super) journal: PathBuf,

    #[command(flatten)]
    pub(super) send: SendArgs,

    /// Start the local sandbox in-process and import into it (no account needed).
    #[arg(long, conflicts_with = "base_url")]
    pub(super) sandbox: bool,

    /// Treat every warning as a violation.
    #[arg(long)]
    pub(super) strict: bool,

    /// Print only the final summary.
    #[arg(long, short)]
    pub(super) quiet: bool,

    /// Print the plan (records to send, requests, quota share, time) and stop.
    #[arg(long)]
    pub(super) plan: bool,

    /// At the end, write every record not in the platform (invalid, refused,
    /// failed, in doubt, not sent) to this file, as `storeload rejects` does.
    #[arg(long, value_name = "PATH")]
    pub(super) rejects: Option<PathBuf>,
}

/// How requests are sent; recorded in the journal so `resume` reuses them.
#[derive(Debug, Clone, ClapArgs, Serialize, Deserialize)]
pub struct SendArgs {
    /// Base URL of the platform's API (default: the one in its spec).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    /// Requests per window, e.g. 150/30s; default: the platform's quota,
    /// followed from its rate-limit headers when it sends them.
    #[arg(long, value_name = "N/DURATION")]
    pub rate: Option<Rate>,

    /// Requests in flight at once (default: BigCommerce 4, Salesive 4, bitbybit 2).
    #[arg(long)]
    pub concurrency: Option<usize>,

    /// Seconds to wait for one answer.
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    pub timeout: u64,

    /// Retries of a request after its first try, before its records are
    /// journaled as failed (retryable on resume).
    #[arg(long, default_value_t = 8)]
    pub max_retries: u32,

    /// Records sent without a clear answer: look them up (default where the
    /// platform has a lookup), resend, or skip and list them.
    #[arg(long, value_enum)]
    pub in_doubt: Option<InDoubtPolicy>,

    /// Stop (exit 3, resumable) when the platform has answered only server
    /// errors or connection failures for this many seconds.
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    pub give_up_after: u64,

    /// After a send without an answer on a platform where a resend may
    /// create a second record (bitbybit), a lookup that finds nothing counts
    /// only when made at least this many seconds after the send: its search
    /// may show a new record late.
    #[arg(long, default_value_t = DEFAULT_SETTLE_DELAY, value_name = "SECS")]
    #[serde(default = "default_settle_delay")]
    pub settle_delay: u64,

    /// Stop (exit 3, resumable) when the platform asks to wait longer than
    /// this many seconds (Retry-After, RateLimit-Reset,
    /// X-Rate-Limit-Time-Reset-Ms).
    #[arg(long, default_value_t = DEFAULT_MAX_WAIT, value_name = "SECS")]
    #[serde(default = "default_max_wait")]
    pub max_wait: u64,

    /// BigCommerce: send the welcome email to every customer created.
    #[arg(long)]
    pub notify: bool,

    /// Use at most this share of the platform's quota (0 < F ≤ 1): a store's
    /// quota is shared by all its apps.
    #[arg(long, default_value_t = 1.0, value_name = "F", value_parser = parse_share)]
    pub max_quota_share: f64,

    /// Refuse to send anything when more than P% of the records are invalid.
    #[arg(long, value_name = "P")]
    pub max_invalid_pct: Option<f64>,

    /// Send only the first N records not yet in the journal (a canary run).
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,

    /// bitbybit: the API key header (its docs also show x-bitbybit-key).
    #[arg(long, default_value = bitbybit::DEFAULT_KEY_HEADER, value_name = "NAME")]
    pub key_header: String,
}

/// `--settle-delay` by default (DECISIONS.md "Hostile paths": 60 s).
const DEFAULT_SETTLE_DELAY: u64 = 60;

/// `--max-wait` by default (DECISIONS.md "Hostile paths": 15 minutes).
const DEFAULT_MAX_WAIT: u64 = 15 * 60;

/// The settle delay of a journal written before `--settle-delay` existed.
fn default_settle_delay() -> u64 {
    DEFAULT_SETTLE_DELAY
}

/// The longest wait of a journal written before `--max-wait` existed.
fn default_max_wait() -> u64 {
    DEFAULT_MAX_WAIT
}

/// The record size limit of a journal written before `--max-record-bytes`.
fn default_max_record_bytes() -> usize {
    crate::read::DEFAULT_MAX_RECORD_BYTES
}

fn parse_share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if f > 0.0 && f <= 1.0 => Ok(f),
        _ => Err(format!(
            "could not use '{s}' as a quota share: give a number above 0 and at most 1, e.g. 0.5"
        )),
    }
}

/// Everything a run needs; the journal header records it (never secrets).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunPlan {
    /// The input path (stdin is spooled to a file first).
    pub input: String,
    /// The platform.
    pub to: PlatformId,
    /// `--format`.
    pub format: Option<Format>,
    /// `--delimiter`.
    pub delimiter: Option<u8>,
    /// `--preset`.
    pub preset: Option<String>,
    /// `--mapping`.
    pub mapping: Option<PathBuf>,
    /// `--phone`.
    #[serde(default)]
    pub phone: crate::values::PhoneFormat,
    /// `--max-record-bytes`.
    #[serde(default = "default_max_record_bytes")]
    pub max_record_bytes: usize,
    /// `--strict`.
    pub strict: bool,
    /// How to send.
    pub send: SendArgs,
    /// Whether the run went into the in-process sandbox.
    pub sandbox: bool,
    /// `--entity`, `--variants`, `--customers-journal`.
    #[serde(default)]
    pub orders: OrderArgs,
}

impl RunPlan {
    /// The input arguments this plan reads with.
    pub fn source(&self) -> SourceArgs {
        SourceArgs {
            input: self.input.clone(),
            format: self.format,
            delimiter: self.delimiter,
            preset: self.preset.clone(),
            mapping: self.mapping.clone(),
            phone: self.phone,
            max_record_bytes: self.max_record_bytes,
        }
    }

    /// The plan the latest header of the journal at `path` recorded.
    pub fn from_header(replay: &Replay, path: &Path) -> Result<RunPlan, CliError> {
        let header = replay.latest_header().ok_or_else(|| {
            CliError::usage(format!("journal {}: has no header line", path.display()))
        })?;
        serde_json::from_value(header.options.clone()).map_err(|e| {
            CliError::usage(format!(
                "journal {}: its header does not hold this version's run options ({e})",
                path.display()
            ))
        })
    }
}
