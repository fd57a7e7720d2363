//! `storeload import`: its flags, turned into a [`RunPlan`] in this one
//! place, and the run handed to the library ([`crate::run::execute`]);
//! with `--rejects`, the records not in the platform written at the end.

use std::path::PathBuf;

use clap::Args as ClapArgs;

use super::common::{OrderArgs, SourceArgs};
use crate::error::{CliError, Exit};
use crate::platform::{PlatformId, Rate};
use crate::run::files::{refuse_clobbering, run_files, with_state};
use crate::run::plan::{self, RunPlan, SendOptions};
use crate::run::summary::RunFigures;
use crate::run::{Mode, View, rejects};
use crate::writer::InDoubtPolicy;

/// Arguments of `storeload import`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    source: SourceArgs,

    /// The platform to import into.
    #[arg(long, value_enum)]
    to: PlatformId,

    #[command(flatten)]
    orders: OrderArgs,

    /// The checkpoint journal: created if missing, continued if present
    /// (records already created are skipped).
    #[arg(long, value_name = "FILE")]
    journal: PathBuf,

    #[command(flatten)]
    send: SendArgs,

    /// Start the local sandbox in-process and import into it (no account needed).
    #[arg(long, conflicts_with = "base_url")]
    sandbox: bool,

    /// Treat every warning as a violation.
    #[arg(long)]
    strict: bool,

    /// Print only the final summary.
    #[arg(long, short)]
    quiet: bool,

    /// Print the plan (records to send, requests, quota share, time) and stop.
    #[arg(long)]
    plan: bool,

    /// At the end, write every record not in the platform (invalid, refused,
    /// failed, in doubt, not sent) to this file, as `storeload rejects` does.
    #[arg(long, value_name = "PATH")]
    rejects: Option<PathBuf>,

    /// When the command ends, however it ends, write a JSON summary of the
    /// run (counts per outcome, requests, duration, exit code) to this
    /// file, atomically; `-` for standard output.
    #[arg(long, value_name = "PATH")]
    summary: Option<PathBuf>,

    /// Keep the store in step with the input (a nightly load): create the
    /// new customers, update the changed ones by id, send nothing for the
    /// unchanged; never delete. Needs --state. BigCommerce only (the other
    /// platforms document no update endpoint).
    #[arg(long, requires = "state")]
    sync: bool,

    /// The sync state: each customer's id and a hash of what was last sent,
    /// for one store (it refuses another). Created at the first run.
    #[arg(long, value_name = "FILE", requires = "sync")]
    state: Option<PathBuf>,

    /// With --sync: a blank cell leaves the store's value as it is, instead
    /// of clearing a field the input maps.
    #[arg(long, requires = "sync")]
    ignore_blank: bool,
}

/// How requests are sent.
#[derive(Debug, Clone, ClapArgs)]
pub struct SendArgs {
    /// Base URL of the platform's API (default: the one in its spec).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    /// Requests per window, e.g. 150/30s; default: the platform's quota,
    /// followed from its rate-limit headers when it sends them.
    #[arg(long, value_name = "N/DURATION")]
    pub rate: Option<Rate>,

    /// Requests in flight at most. Without it the run starts at the
    /// platform's default (BigCommerce 4, Salesive 4, bitbybit 2) and adapts
    /// to latency and retries, up to the platform's documented limit
    /// (BigCommerce 10; the others stay at or below their default). With it,
    /// N is a cap: the run starts at N and adapts below it, never above.
    #[arg(long)]
    pub concurrency: Option<usize>,

    /// Seconds to wait for one answer.
    #[arg(long, default_value_t = plan::DEFAULT_TIMEOUT, value_name = "SECS")]
    pub timeout: u64,

    /// Retries of a request after its first try, before its records are
    /// journaled as failed (retryable on resume).
    #[arg(long, default_value_t = plan::DEFAULT_MAX_RETRIES)]
    pub max_retries: u32,

    /// Records sent without a clear answer: look them up (default where the
    /// platform has a lookup), resend, or skip and list them.
    #[arg(long, value_enum)]
    pub in_doubt: Option<InDoubtPolicy>,

    /// Stop (exit 3, resumable) when the platform has answered only server
    /// errors or connection failures for this many seconds.
    #[arg(long, default_value_t = plan::DEFAULT_GIVE_UP_AFTER, value_name = "SECS")]
    pub give_up_after: u64,

    /// After a send without an answer on a platform where a resend may
    /// create a second record (bitbybit), a lookup that finds nothing counts
    /// only when made at least this many seconds after the send: its search
    /// may show a new record late.
    #[arg(long, default_value_t = plan::DEFAULT_SETTLE_DELAY, value_name = "SECS")]
    pub settle_delay: u64,

    /// Stop (exit 3, resumable) when the platform asks to wait longer than
    /// this many seconds (Retry-After, RateLimit-Reset,
    /// X-Rate-Limit-Time-Reset-Ms).
    #[arg(long, default_value_t = plan::DEFAULT_MAX_WAIT, value_name = "SECS")]
    pub max_wait: u64,

    /// BigCommerce: send the welcome email to every customer created.
    #[arg(long)]
    pub notify: bool,

    /// Use at most this share of the platform's quota (0 < F ≤ 1): a store's
    /// quota is shared by all its apps.
    #[arg(long, default_value_t = plan::DEFAULT_MAX_QUOTA_SHARE, value_name = "F", value_parser = parse_share)]
    pub max_quota_share: f64,

    /// Refuse to send anything when more than P% of the records are invalid.
    #[arg(long, value_name = "P")]
    pub max_invalid_pct: Option<f64>,

    /// Send only the first N records not yet in the journal (a canary run).
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,

    /// bitbybit: the API key header (default x-api-key; its docs also
    /// show x-bitbybit-key).
    #[arg(long, value_name = "NAME", value_parser = super::common::parse_header_name)]
    pub key_header: Option<String>,
}

impl SendArgs {
    /// The sending options, as the plan records them.
    pub fn options(self) -> SendOptions {
        SendOptions {
            base_url: self.base_url,
            rate: self.rate,
            concurrency: self.concurrency,
            timeout: self.timeout,
            max_retries: self.max_retries,
            in_doubt: self.in_doubt,
            give_up_after: self.give_up_after,
            settle_delay: self.settle_delay,
            max_wait: self.max_wait,
            notify: self.notify,
            max_quota_share: self.max_quota_share,
            max_invalid_pct: self.max_invalid_pct,
            limit: self.limit,
            key_header: self
                .key_header
                .unwrap_or_else(|| plan::DEFAULT_KEY_HEADER.to_string()),
        }
    }
}

fn parse_share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if f > 0.0 && f <= 1.0 => Ok(f),
        _ => Err(format!(
            "could not use '{s}' as a quota share: give a number above 0 and at most 1, e.g. 0.5"
        )),
    }
}

/// Runs `storeload import`; with `--summary`, writes the run summary
/// however the run ends.
pub fn run(args: Args) -> Result<Exit, CliError> {
    let outputs: Vec<(&str, &std::path::Path)> = [
        ("--rejects", args.rejects.as_deref()),
        ("--summary", args.summary.as_deref()),
    ]
    .into_iter()
    .filter_map(|(flag, path)| path.map(|p| (flag, p)))
    .collect();
    let (source, orders) = (args.source.source(), args.orders.options());
    let files = with_state(
        run_files(&source, &orders, Some(&args.journal)),
        args.state.as_deref(),
    );
    refuse_clobbering(&outputs, &files)?;
    let Some(path) = args.summary.clone() else {
        return import(args, RunFigures::default());
    };
    let mut summary = crate::run::summary::SummaryTarget::start(path, "import", &args.journal);
    summary.platform(args.to);
    let figures = summary.figures();
    summary.finish(import(args, figures))
}

/// The import itself, its outputs checked; the run leaves its figures in
/// `figures` (for `--summary`).
fn import(args: Args, figures: RunFigures) -> Result<Exit, CliError> {
    let source = args.source.source();
    let orders = args.orders.options();
    let mut plan = RunPlan::new(
        source,
        args.to,
        args.strict,
        args.send.options(),
        args.sandbox,
        orders,
    );
    if let Some(state) = args.state.as_deref().filter(|_| args.sync) {
        plan = plan.with_sync(state, args.ignore_blank);
    }
    let view = View {
        quiet: args.quiet,
        plan_only: args.plan,
        summary_to_stderr: [&args.rejects, &args.summary]
            .into_iter()
            .any(|p| p.as_deref().is_some_and(crate::report::output::is_stdout)),
        figures,
    };
    let exit = crate::run::execute(&plan, &args.journal, Mode::Import, view);
    let finished = matches!(
        &exit,
        Ok(_)
            | Err(CliError {
                exit: Exit::Stopped,
                ..
            })
    );
    if let Some(path) = &args.rejects
        && finished
        && args.journal.exists()
        && !args.plan
    {
        let n = rejects::write(&args.journal, path)?;
        if !args.quiet {
            crate::say!(
                "storeload: {n} record(s) not in the platform written to {}",
                rejects::shown(path)
            );
        }
    }
    exit
}
