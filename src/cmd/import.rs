//! `storeload import`: the whole pipeline into a platform, with a journal.
//! Also the engine behind `storeload resume`, which reruns it with the
//! options the journal's header recorded.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Args as ClapArgs;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::common::SourceArgs;
use super::orders::{Entity, OrderArgs};
use crate::error::{CliError, Exit};
use crate::journal::{self, Entry, Header, Journal, JournalWriter, RecordState, Replay, Stage};
use crate::mapping::Mapping;
use crate::model::record_key;
use crate::order::link::{Customers, Variants};
use crate::order::mapping::OrderMapping;
use crate::order::pipeline::{self as order_pipeline, CheckedOrder, OrderContext};
use crate::order::rules::Links;
use crate::plan::{dry_pass, dry_pass_orders, effective_rate, settled};
use crate::platform::{Credentials, Endpoint, Platform, PlatformId, Rate, bitbybit};
use crate::read::Format;
use crate::sandbox;
use crate::validate::pipeline::{self, CheckOptions, Checked};
use crate::validate::{Severity, Violation};
use crate::writer::limit::Limiter;
use crate::writer::progress::Progress;
use crate::writer::{InDoubtPolicy, OrderWork, Payload, Stop, Tally, Work, Writer, WriterConfig};

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

/// Runs `storeload import`.
pub fn run(args: Args) -> Result<Exit, CliError> {
    let plan = RunPlan {
        input: args.source.input.clone(),
        to: args.to,
        format: args.source.format,
        delimiter: args.source.delimiter,
        preset: args.source.preset.clone(),
        mapping: args.source.mapping.clone(),
        phone: args.source.phone,
        strict: args.strict,
        send: args.send,
        sandbox: args.sandbox,
        orders: args.orders,
    };
    let exit = execute(&plan, &args.journal, Mode::Import, args.quiet, args.plan);
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
        let n = super::rejects::write(&args.journal, path)?;
        if !args.quiet {
            eprintln!(
                "storeload: {n} record(s) not in the platform written to {}",
                path.display()
            );
        }
    }
    exit
}

/// Whether a run starts or continues a journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `import`: create the journal, or continue it with new input.
    Import,
    /// `resume`: continue with the recorded options; `force` skips the
    /// input-changed check.
    Resume {
        /// Skip the check that the input is unchanged.
        force: bool,
    },
}

/// Input from stdin is spooled beside the journal, so a resume has it and
/// the fingerprint covers it (DECISIONS.md).
fn spool_stdin(journal: &Path) -> Result<String, CliError> {
    let mut path = journal.as_os_str().to_owned();
    path.push(".input");
    let path = PathBuf::from(path);
    let mut file = std::fs::File::create(&path)
        .map_err(|e| CliError::usage(format!("{}: cannot spool stdin: {e}", path.display())))?;
    std::io::copy(&mut std::io::stdin().lock(), &mut file)
        .map_err(|e| CliError::usage(format!("{}: cannot spool stdin: {e}", path.display())))?;
    Ok(path.display().to_string())
}

/// The credentials the sandbox accepts for `platform`.
fn sandbox_credentials(platform: PlatformId) -> Credentials {
    match platform {
        PlatformId::Bigcommerce => Credentials {
            secret: sandbox::BIGCOMMERCE_ACCESS_TOKEN.into(),
            store_hash: Some(sandbox::BIGCOMMERCE_STORE_HASH.into()),
        },
        PlatformId::Salesive => Credentials {
            secret: sandbox::SALESIVE_APP_TOKEN.into(),
            store_hash: None,
        },
        PlatformId::Bitbybit => Credentials {
            secret: sandbox::BITBYBIT_API_KEY.into(),
            store_hash: None,
        },
    }
}

/// A plain `http://` URL is only allowed to loopback (the sandbox).
pub fn check_base_url(url: &str) -> Result<String, CliError> {
    let parsed = url::Url::parse(url)
        .map_err(|e| CliError::usage(format!("--base-url {url}: not a URL ({e})")))?;
    match parsed.scheme() {
        "https" => {}
        "http" => {
            let loopback = match parsed.host() {
                Some(url::Host::Domain(d)) => d == "localhost",
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if !loopback {
                return Err(CliError::usage(format!(
                    "--base-url {url}: plain http is refused except to loopback; credentials would travel unencrypted. Use https://"
                )));
            }
        }
        other => {
            return Err(CliError::usage(format!(
                "--base-url {url}: scheme {other} is not http(s)"
            )));
        }
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// Counts kept by the reading side of a run.
#[derive(Debug, Default)]
struct ReadTally {
    read: AtomicU64,
    valid: AtomicU64,
    invalid: AtomicU64,
    known: AtomicU64,
    in_doubt_before: AtomicU64,
    limited: AtomicU64,
}

/// Runs an import or a resume of `plan` with `journal_path`.
pub fn execute(
    plan: &RunPlan,
    journal_path: &Path,
    mode: Mode,
    quiet: bool,
    plan_only: bool,
) -> Result<Exit, CliError> {
    let platform = plan.to.platform();
    plan.orders.check(plan.to)?;
    let ordering = plan.orders.entity == Entity::Orders;
    if ordering && plan.send.in_doubt == Some(InDoubtPolicy::Lookup) {
        return Err(CliError::usage(
            "--in-doubt lookup: orders have no lookup; use skip (the default: in-doubt orders are listed) or resend",
        ));
    }
    let links = plan.orders.load()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::usage(format!("cannot start the async runtime: {e}")))?;
    // Credentials first: a missing variable fails before any reading.
    let (credentials, base_url, sandbox) = if plan.sandbox {
        let handle = runtime
            .block_on(sandbox::start(sandbox::SandboxConfig::default()))
            .map_err(|e| CliError::usage(format!("cannot start the sandbox: {e}")))?;
        let creds = sandbox_credentials(plan.to);
        let url = handle.base_url(plan.to.as_str());
        if !quiet {
            eprintln!("storeload: importing into the in-process sandbox at {url}");
        }
        (creds, url, Some(handle))
    } else {
        let creds = platform.credentials_from_env()?;
        let url = match &plan.send.base_url {
            Some(u) => check_base_url(u)?,
            None => platform.default_base_url(&creds),
        };
        (creds, url, None)
    };
    let endpoint = Endpoint {
        base_url: base_url.clone(),
        credentials,
        key_header: plan.send.key_header.clone(),
        notify: plan.send.notify,
    };
    let limiter = Limiter::new(
        plan.send.rate.unwrap_or_else(|| platform.default_rate()),
        plan.send.rate.is_some(),
        plan.send.max_quota_share,
    );
    // The pre-flight: refused credentials fail here, before the input is
    // read. Its requests are paced like the run's.
    let (checks, quota) = runtime.block_on(super::check::preflight(
        platform,
        &endpoint,
        Duration::from_secs(plan.send.timeout.clamp(1, 10)),
        Some(&limiter),
    ))?;
    limiter.observe(&quota);
    if !quiet {
        for line in &checks {
            eprintln!("storeload: check: {line}");
        }
    }
    // Stdin is spooled only now, after the credentials were checked.
    let spooled;
    let plan = if plan.input == "-" {
        spooled = RunPlan {
            input: spool_stdin(journal_path)?,
            ..plan.clone()
        };
        &spooled
    } else {
        plan
    };
    let source = plan.source();
    let (mut input, mapping) = open_mapped(&source, ordering)?;
    // The input's fingerprint is computed on its own thread while the
    // journal is replayed: on a resume of a large run they are the two long
    // reads before the first request.
    let fingerprinting = input.path.clone().map(|p| {
        std::thread::spawn(move || {
            journal::fingerprint(&p)
                .map_err(|e| CliError::usage(format!("{}: cannot read it: {e}", p.display())))
        })
    });
    let options = serde_json::to_value(plan).unwrap_or_default();
    let mapping_value = mapping.describe();
    // Orders: the keys split across the file, found by a first pass.
    let split = match &mapping {
        Mapped::Orders(m) => super::orders::first_pass(&source, &input, m)?,
        Mapped::Customers(_) => None,
    };
    // Open (and lock) the journal first: its states decide what is known.
    let (existing, replay) = if journal_path.exists() {
        let (j, replay) =
            Journal::open_append(journal_path).map_err(|e| CliError::usage(e.to_string()))?;
        if let Some(h) = replay.header()
            && h.platform != plan.to.as_str()
        {
            return Err(CliError::usage(format!(
                "journal {} belongs to an import into {}, not {}; give --journal a new path",
                journal_path.display(),
                h.platform,
                plan.to
            )));
        }
        (Some(j), Some(replay))
    } else {
        if let Mode::Resume { .. } = mode {
            return Err(CliError::usage(format!(
                "journal {}: no such file",
                journal_path.display()
            )));
        }
        (None, None)
    };
    let fp = match fingerprinting {
        Some(handle) => handle
            .join()
            .map_err(|_| CliError::usage("the input's fingerprint could not be computed"))??,
        None => journal::InputFingerprint {
            path: "stdin".into(),
            size: 0,
            sha256: String::new(),
        },
    };
    let unchanged = replay
        .as_ref()
        .and_then(|r| r.latest_header())
        .is_some_and(|h| h.input.size == fp.size && h.input.sha256 == fp.sha256);
    if let (Mode::Resume { force: false }, Some(h)) =
        (mode, replay.as_ref().and_then(|r| r.latest_header()))
        && !unchanged
    {
        return Err(CliError::usage(format!(
            "{}: the input changed since the run began (size {} → {} bytes); resuming would mix two files. Use `storeload import` with the same journal for a new file (known records are skipped), or `storeload resume --force`",
            plan.input, h.input.size, fp.size
        )));
    }
    let same_input_throughout = replay.as_ref().is_some_and(|r| {
        r.headers
            .iter()
            .all(|h| h.input.size == fp.size && h.input.sha256 == fp.sha256)
    });
    let next_run = replay.as_ref().map(|r| r.next_run()).unwrap_or(1);
    let states = replay.map(|r| r.records).unwrap_or_default();
    let rate = effective_rate(plan.send.rate, plan.send.max_quota_share, platform, &quota);

    // The plan: a fast dry run over the whole input before the first write.
    // A resume of an unchanged input reuses it (DECISIONS.md: no second
    // full validation before the first new request).
    if !(matches!(mode, Mode::Resume { .. }) && unchanged) {
        let figures = match &mapping {
            Mapped::Customers(_) => dry_pass(&source, platform, plan.strict, &states, unchanged)?,
            Mapped::Orders(m) => {
                let (mut again, _) = super::orders::open(&source)?;
                let records = std::mem::replace(&mut again.records, crate::read::Records::empty());
                let ctx = order_context(m, &links, split.as_ref(), plan.strict);
                dry_pass_orders(records, &ctx, &states, unchanged)
            }
        };
        let text = figures.render(platform, rate, plan.send.limit);
        if !quiet || plan_only {
            eprint!("{text}");
        }
        if plan_only {
            return Ok(Exit::Ok);
        }
        if let Some(max) = plan.send.max_invalid_pct {
            let pct = figures.invalid_pct();
            if pct > max {
                return Err(CliError {
                    exit: Exit::Incomplete,
                    message: format!(
                        "refused: {pct:.2}% of the records are invalid, above --max-invalid-pct {max}; nothing was sent. Fix them (storeload validate … --rejects fix.csv) or raise the limit"
                    ),
                });
            }
        }
    }

    let header = Header::new(
        next_run,
        plan.to.as_str(),
        plan.orders.entity.as_str(),
        fp.clone(),
        mapping_value,
        options,
    );
    let journal = match existing {
        Some(mut j) => {
            j.append(&Entry::Header(header))
                .and_then(|_| j.commit())
                .map_err(|e| CliError::usage(e.to_string()))?;
            j
        }
        None => {
            Journal::create(journal_path, &header).map_err(|e| CliError::usage(e.to_string()))?
        }
    };
    let first_batch = states
        .values()
        .filter_map(|s| match s {
            RecordState::Sent { batch, .. } => Some(*batch + 1),
            _ => None,
        })
        .max()
        .unwrap_or(1);

    let concurrency = plan
        .send
        .concurrency
        .unwrap_or_else(|| platform.default_concurrency())
        .max(1);
    if plan.to == PlatformId::Bigcommerce && concurrency > 10 && !quiet {
        eprintln!(
            "storeload: warning: --concurrency {concurrency} is above BigCommerce's ~10 concurrent requests per store; expect 429s"
        );
    }
    let config = WriterConfig {
        endpoint,
        concurrency,
        timeout: Duration::from_secs(plan.send.timeout.max(1)),
        max_retries: plan.send.max_retries,
        // DECISIONS.md: an order in doubt is skipped and listed by default.
        in_doubt: plan.send.in_doubt.unwrap_or(if ordering {
            InDoubtPolicy::Skip
        } else {
            InDoubtPolicy::Lookup
        }),
        give_up_after: Duration::from_secs(plan.send.give_up_after),
        min_backoff: Duration::from_millis(250),
        max_backoff: Duration::from_secs(30),
        batch_size: if ordering { 1 } else { platform.batch_size() },
    };
    let started = Instant::now();
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(Stop::default());
    let interrupted = Arc::new(AtomicBool::new(false));
    let read_tally = Arc::new(ReadTally::default());
    let fp_tag: String = fp.sha256.chars().take(8).collect();

    let result = runtime.block_on(async {
        let jw = JournalWriter::spawn(journal);
        let writer = Writer::new(
            platform,
            config,
            limiter,
            jw.clone(),
            tally.clone(),
            stop.clone(),
            first_batch,
        )
        .map_err(CliError::usage)?;
        let writer = Arc::new(writer);
        let (tx, rx) = mpsc::channel::<Work>(4096);
        let progress = Progress::start(tally.clone(), quiet);
        {
            let stop = stop.clone();
            let interrupted = interrupted.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    interrupted.store(true, Ordering::SeqCst);
                    stop.soft();
                    eprintln!("\nstoreload: stopping: letting requests in flight finish (Ctrl-C again to stop at once)");
                    if tokio::signal::ctrl_c().await.is_ok() {
                        eprintln!("storeload: stopped at once; records in flight are in doubt until resumed");
                        std::process::exit(Exit::Interrupted as i32);
                    }
                }
            });
        }
        let send_task = tokio::spawn(writer.clone().run(rx));
        let records = std::mem::replace(&mut input.records, crate::read::Records::empty());
        // Resuming the very input every run of this journal read: records
        // the journal settled are skipped by number before they are mapped
        // or validated (DECISIONS.md "Speed"), so the first new request
        // does not wait for the whole file to be checked again.
        // (Orders are numbered by group, not by row: they are not skipped
        // by number.)
        let skip = settled_records(
            &states,
            !ordering && same_input_throughout && matches!(mode, Mode::Resume { .. }),
        );
        let records = {
            let rt = read_tally.clone();
            records.filter(move |r| match skip.get(r.number) {
                None => true,
                Some(was_valid) => {
                    rt.read.fetch_add(1, Ordering::Relaxed);
                    if was_valid {
                        rt.valid.fetch_add(1, Ordering::Relaxed);
                        rt.known.fetch_add(1, Ordering::Relaxed);
                    } else {
                        rt.invalid.fetch_add(1, Ordering::Relaxed);
                    }
                    false
                }
            })
        };
        let reader = {
            let stop = stop.clone();
            let tally = tally.clone();
            let rt = read_tally.clone();
            let jw = jw.clone();
            let handle = tokio::runtime::Handle::current();
            let strict = plan.strict;
            let limit = plan.send.limit;
            tokio::task::spawn_blocking(move || {
                let mut rejected: Vec<Entry> = Vec::new();
                let flush = |rejected: &mut Vec<Entry>| -> bool {
                    if rejected.is_empty() {
                        return true;
                    }
                    let batch = std::mem::take(rejected);
                    handle.block_on(jw.write(batch)).is_ok()
                };
                let mut take = |item: ReadItem| -> bool {
                    rt.read.fetch_add(1, Ordering::Relaxed);
                    if let Some(reasons) = item.rejected {
                        rt.invalid.fetch_add(1, Ordering::Relaxed);
                        let key = format!("invalid:{fp_tag}:{}", item.line);
                        if !states.get(&key).is_some_and(RecordState::is_final) {
                            rejected.push(Entry::Rejected(journal::Rejected {
                                key,
                                record: item.number,
                                line: item.line,
                                stage: Stage::Validate,
                                reasons,
                            }));
                            if rejected.len() >= 512 && !flush(&mut rejected) {
                                return false;
                            }
                        }
                        return !stop.is_stopping();
                    }
                    rt.valid.fetch_add(1, Ordering::Relaxed);
                    let Some((key, payload)) = item.work else {
                        return true;
                    };
                    let sent_before = match states.get(&key) {
                        Some(s) if settled(s, unchanged) => {
                            rt.known.fetch_add(1, Ordering::Relaxed);
                            return !stop.is_stopping();
                        }
                        Some(RecordState::Sent { at, .. }) | Some(RecordState::InDoubt { at, .. }) => {
                            rt.in_doubt_before.fetch_add(1, Ordering::Relaxed);
                            Some(*at)
                        }
                        _ => None,
                    };
                    if limit.is_some_and(|l| tally.queued.load(Ordering::Relaxed) >= l) {
                        // --limit: read on (for the counts), send no more.
                        rt.limited.fetch_add(1, Ordering::Relaxed);
                        return !stop.is_stopping();
                    }
                    tally.queued.fetch_add(1, Ordering::Relaxed);
                    let work = Work {
                        key,
                        record: item.number,
                        line: item.line,
                        payload,
                        sent_before,
                    };
                    if tx.blocking_send(work).is_err() {
                        return false;
                    }
                    !stop.is_stopping()
                };
                match &mapping {
                    Mapped::Customers(m) => {
                        pipeline::run(records, m, platform, CheckOptions {
                strict,
                lean: false,
                drop_rows: false,
            }, |c| {
                            take(ReadItem::customer(c))
                        });
                    }
                    Mapped::Orders(m) => {
                        let ctx = order_context(m, &links, split.as_ref(), strict);
                        order_pipeline::run(records, &ctx, |o| take(ReadItem::order(o)));
                    }
                }
                flush(&mut rejected)
            })
        };
        let read_ok = reader.await.unwrap_or(false);
        let jw = send_task.await.unwrap_or(jw);
        progress.finish();
        Ok::<_, CliError>((jw, read_ok))
    });
    let (jw, read_ok) = result?;
    let fatal = stop.fatal_message();
    let summary = Summary::new(&read_tally, &tally, started.elapsed());
    runtime
        .block_on(async {
            let end = Entry::End(journal::End {
                at: chrono::Utc::now(),
                summary: serde_json::to_value(&summary).unwrap_or_default(),
            });
            let _ = jw.write(vec![end]).await;
            jw.close().await
        })
        .map_err(|e| CliError::usage(e.to_string()))?;
    if let Some(handle) = sandbox {
        runtime.block_on(handle.stop());
    }
    let text = summary.render(platform, &plan.input, journal_path);
    super::print(&text)?;
    let resume_hint = format!("resume with: storeload resume {}", journal_path.display());
    if interrupted.load(Ordering::SeqCst) {
        eprintln!("storeload: interrupted; the journal is flushed. {resume_hint}");
        return Ok(Exit::Interrupted);
    }
    if let Some(message) = fatal {
        return Err(CliError::stopped(format!(
            "{message}\n\nThe journal is flushed; {resume_hint}"
        )));
    }
    if !read_ok {
        return Err(CliError::stopped(format!(
            "the run stopped before the whole input was read; {resume_hint}"
        )));
    }
    Ok(if summary.complete() {
        Exit::Ok
    } else {
        Exit::Incomplete
    })
}

/// The final figures of an import.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Records read.
    pub read: u64,
    /// Valid records.
    pub valid: u64,
    /// Invalid records (journaled as rejected, never sent).
    pub invalid: u64,
    /// Valid records skipped because the journal already settled them.
    pub known: u64,
    /// Records found in doubt from an earlier run and settled or resent now.
    pub in_doubt_before: u64,
    /// Created.
    pub created: u64,
    /// Already in the store.
    pub exists: u64,
    /// Refused by the platform.
    pub rejected: u64,
    /// Failed after retries (retryable).
    pub failed: u64,
    /// Left in doubt.
    pub in_doubt: u64,
    /// Handed to the writer but not sent (the run stopped).
    pub not_sent: u64,
    /// Requests made.
    pub requests: u64,
    /// Retries.
    pub retries: u64,
    /// 429 answers.
    pub throttled: u64,
    /// Wall time in seconds.
    pub seconds: f64,
}

impl Summary {
    fn new(r: &ReadTally, t: &Tally, elapsed: Duration) -> Self {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let queued = l(&t.queued);
        Summary {
            read: l(&r.read),
            valid: l(&r.valid),
            invalid: l(&r.invalid),
            known: l(&r.known),
            in_doubt_before: l(&r.in_doubt_before),
            created: l(&t.created),
            exists: l(&t.exists),
            rejected: l(&t.rejected),
            failed: l(&t.failed),
            in_doubt: l(&t.in_doubt),
            not_sent: queued.saturating_sub(t.done()) + l(&r.limited),
            requests: l(&t.requests),
            retries: l(&t.retries),
            throttled: l(&t.throttled),
            seconds: elapsed.as_secs_f64(),
        }
    }

    /// Every record read is valid and now in the platform.
    pub fn complete(&self) -> bool {
        self.invalid == 0
            && self.rejected == 0
            && self.failed == 0
            && self.in_doubt == 0
            && self.not_sent == 0
    }

    fn render(&self, platform: &dyn Platform, input: &str, journal: &Path) -> String {
        format!(
            "storeload import: {input} → {} (journal {})\n\
             read {} · valid {} · invalid {} (journaled as rejected, not sent)\n\
             known from the journal, skipped: {}\n\
             created {} · already there {} · refused by the platform {} · failed {} · in doubt {} · not sent {}\n\
             {} requests · {} retries · {} answered 429 · {:.1} s\n",
            platform.display_name(),
            journal.display(),
            self.read,
            self.valid,
            self.invalid,
            self.known,
            self.created,
            self.exists,
            self.rejected,
            self.failed,
            self.in_doubt,
            self.not_sent,
            self.requests,
            self.retries,
            self.throttled,
            self.seconds
        )
    }
}

/// Record numbers the journal settled (created, already there, rejected),
/// each with whether it was valid; empty unless `usable` — every run of the
/// journal read this very input, so its record numbers are this file's.
/// A dense table by record number: the reader asks it for every record.
fn settled_records(states: &crate::journal::States, usable: bool) -> SettledTable {
    let mut table = SettledTable(Vec::new());
    if !usable {
        return table;
    }
    for s in states.values().filter(|s| settled(s, true)) {
        let valid = !matches!(
            s,
            RecordState::Rejected {
                stage: Stage::Validate,
                ..
            }
        );
        let Ok(at) = usize::try_from(s.record()) else {
            continue;
        };
        if table.0.len() <= at {
            table.0.resize(at + 1, 0);
        }
        table.0[at] = if valid { 1 } else { 2 };
    }
    table
}

/// Settled records by number: 0 not settled, 1 settled valid, 2 settled
/// invalid (refused by validation).
struct SettledTable(Vec<u8>);

impl SettledTable {
    /// `Some(valid)` when record `number` is settled.
    fn get(&self, number: u64) -> Option<bool> {
        match usize::try_from(number).ok().and_then(|i| self.0.get(i)) {
            Some(1) => Some(true),
            Some(2) => Some(false),
            _ => None,
        }
    }
}

/// The input's mapping: customers or orders.
enum Mapped {
    Customers(Mapping),
    Orders(OrderMapping),
}

impl Mapped {
    /// The mapping as the journal's header records it.
    fn describe(&self) -> serde_json::Value {
        let (origin, fields): (String, Vec<(String, String)>) = match self {
            Mapped::Customers(m) => (
                m.origin.to_string(),
                m.rules
                    .iter()
                    .map(|(f, s)| (f.name(), s.describe()))
                    .collect(),
            ),
            Mapped::Orders(m) => (m.origin.clone(), m.describe()),
        };
        serde_json::json!({
            "origin": origin,
            "fields": fields.iter().map(|(f, s)| serde_json::json!({"field": f, "source": s})).collect::<Vec<_>>(),
        })
    }
}

/// Opens the input with the mapping its entity needs.
fn open_mapped(
    source: &SourceArgs,
    ordering: bool,
) -> Result<(crate::read::Input, Mapped), CliError> {
    if ordering {
        let (input, m) = super::orders::open(source)?;
        Ok((input, Mapped::Orders(m)))
    } else {
        let (input, m) = source.open()?;
        Ok((input, Mapped::Customers(m)))
    }
}

/// The orders pipeline's context for this run.
fn order_context<'a>(
    mapping: &'a OrderMapping,
    links: &'a (Option<Variants>, Option<Customers>),
    split: Option<&'a std::collections::HashMap<String, Vec<u64>>>,
    strict: bool,
) -> OrderContext<'a> {
    OrderContext {
        mapping,
        links: Links {
            variants: links.0.as_ref(),
            customers: links.1.as_ref(),
        },
        split,
        strict,
    }
}

/// One checked record (a customer or an order) as the import takes it:
/// refused with reasons, or a journal key and what to send.
struct ReadItem {
    number: u64,
    line: u64,
    rejected: Option<Vec<journal::Reason>>,
    work: Option<(String, Payload)>,
}

impl ReadItem {
    fn customer(c: Checked) -> ReadItem {
        let valid = c.is_valid();
        ReadItem {
            number: c.raw.number,
            line: c.raw.line,
            rejected: (!valid).then(|| reasons(&c.findings)),
            work: c
                .customer
                .filter(|_| valid)
                .map(|customer| (record_key(&customer), Payload::Customer(customer))),
        }
    }

    fn order(o: CheckedOrder) -> ReadItem {
        let valid = o.is_valid();
        let work = match (&o.order, &o.link) {
            (Some(order), Some(link)) if valid => order.journal_key().map(|key| {
                let payload = Payload::Order(OrderWork {
                    body: order.body(link),
                    email: order.customer.email.clone(),
                    phone: order.customer.phone.clone(),
                });
                (key, payload)
            }),
            _ => None,
        };
        ReadItem {
            number: o.raw.number,
            line: o.raw.line(),
            rejected: (!valid).then(|| reasons(&o.findings)),
            work,
        }
    }
}

/// The violations of a refused record, as the journal keeps them.
fn reasons(findings: &[Violation]) -> Vec<journal::Reason> {
    findings
        .iter()
        .filter(|v| v.severity == Severity::Violation)
        .map(|v| journal::Reason {
            field: v.field.clone(),
            rule: v.rule.to_string(),
            message: v.message.clone(),
        })
        .collect()
}
