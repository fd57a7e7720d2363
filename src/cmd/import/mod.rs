//! `storeload import`: the whole pipeline into a platform, with a journal.
//! Also the engine behind `storeload resume`, which reruns it with the
//! options the journal's header recorded.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use super::orders::Entity;
use crate::error::{CliError, Exit};
use crate::journal::{
    self, Destination, Entry, Header, Journal, JournalWriter, RecordState, Stage,
};
use crate::order::pipeline::{self as order_pipeline};
use crate::plan::{dry_pass, dry_pass_orders, effective_rate, settled};
use crate::platform::{Endpoint, PlatformId};
use crate::sandbox;
use crate::validate::pipeline::{self, CheckOptions};
use crate::writer::limit::Limiter;
use crate::writer::progress::Progress;
use crate::writer::{InDoubtPolicy, Stop, Tally, Work, Writer, WriterConfig};

mod options;
mod reading;
mod setup;
mod signals;
mod summary;

pub use options::{Args, RunPlan, SendArgs};
pub use setup::check_base_url;
pub use summary::Summary;

use super::orders::order_context;
use reading::{Kept, Mapped, ReadItem, open_mapped, settled_records};
use setup::{sandbox_credentials, spool_stdin};
use summary::ReadTally;

/// Runs `storeload import`.
pub fn run(args: Args) -> Result<Exit, CliError> {
    if let Some(path) = &args.rejects {
        super::common::refuse_clobbering(
            &[("--rejects", path)],
            &super::common::run_files(&args.source, &args.orders, Some(&args.journal)),
        )?;
    }
    // Paths are recorded absolute, so `resume` works from any folder.
    let mut orders = args.orders;
    orders.variants = orders.variants.as_deref().map(absolute);
    orders.customers_journal = orders.customers_journal.as_deref().map(absolute);
    let plan = RunPlan {
        input: if args.source.input == "-" {
            args.source.input.clone()
        } else {
            absolute(Path::new(&args.source.input))
                .display()
                .to_string()
        },
        to: args.to,
        format: args.source.format,
        delimiter: args.source.delimiter,
        preset: args.source.preset.clone(),
        mapping: args.source.mapping.as_deref().map(absolute),
        phone: args.source.phone,
        max_record_bytes: args.source.max_record_bytes,
        strict: args.strict,
        send: args.send,
        sandbox: args.sandbox,
        orders,
    };
    let rejects_on_stdout = args
        .rejects
        .as_deref()
        .is_some_and(crate::report::output::is_stdout);
    let exit = execute(
        &plan,
        &args.journal,
        Mode::Import,
        args.quiet,
        args.plan,
        rejects_on_stdout,
    );
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
            crate::say!(
                "storeload: {n} record(s) not in the platform written to {}",
                super::rejects::shown(path)
            );
        }
    }
    exit
}

/// `path` made absolute against the current folder, as written otherwise
/// (links are not resolved: the user's path stays recognisable).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
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

/// Runs an import or a resume of `plan` with `journal_path`; the final
/// summary goes to stderr when `summary_to_stderr` (a report is on stdout).
pub fn execute(
    plan: &RunPlan,
    journal_path: &Path,
    mode: Mode,
    quiet: bool,
    plan_only: bool,
    summary_to_stderr: bool,
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
    // One thread sends, parses answers and journals: requests wait on the
    // network, and a hand-off between threads per request cost more CPU
    // than the work itself (issue 6). Reading and checking run beside it,
    // on a blocking thread and rayon.
    let runtime = tokio::runtime::Builder::new_current_thread()
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
            crate::say!("storeload: importing into the in-process sandbox at {url}");
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
    // The journal belongs to one destination: refused before any request
    // when it was written for another (old journals name none).
    let destination = Destination {
        platform: plan.to.as_str().to_string(),
        base_url: if plan.sandbox {
            // A fresh in-process sandbox each run: its port means nothing.
            "in-process sandbox".to_string()
        } else {
            base_url.clone()
        },
        store: credentials.store_hash.clone(),
    };
    if journal_path.exists() {
        let headers = journal::headers(journal_path).map_err(|e| CliError::usage(e.to_string()))?;
        if let Some(other) = journal::other_destination(&headers, &destination) {
            return Err(CliError::usage(format!(
                "journal {}: was written for an import into {other}, not {destination}; its records say nothing about this destination\n\nGive --journal a new path for this destination, or run against {other}.",
                journal_path.display()
            )));
        }
    }
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
            crate::say!("storeload: check: {line}");
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
    // Its checked records are kept for the run while they fit in memory, so
    // that an import of up to tens of thousands of rows reads, maps and
    // checks its input once.
    let mut kept = None;
    if !(matches!(mode, Mode::Resume { .. }) && unchanged) {
        let keep = kept.insert(Kept::new(fp.size));
        let figures = match &mapping {
            Mapped::Customers(_) => {
                dry_pass(&source, platform, plan.strict, &states, unchanged, |c| {
                    keep.customer(c)
                })?
            }
            Mapped::Orders(m) => {
                let (mut again, _) = super::orders::open(&source)?;
                let records = std::mem::replace(&mut again.records, crate::read::Records::empty());
                let ctx = order_context(m, &links, split.as_ref(), plan.strict);
                dry_pass_orders(records, &ctx, &states, unchanged, |o| keep.order(o))
            }
        };
        // The plan opens with what becomes of each input column.
        let context = match &mapping {
            Mapped::Customers(m) => crate::report::Context::new(&input, m, platform),
            Mapped::Orders(m) => crate::report::Context::for_orders(&input, m, platform),
        };
        let text = crate::report::mapping_block(&context, platform)
            + &figures.render(platform, rate, plan.send.limit);
        if !quiet || plan_only {
            super::eprint(&text);
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
    )
    .with_destination(destination);
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
        crate::say!(
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
        settle_delay: Duration::from_secs(plan.send.settle_delay),
        max_wait: Duration::from_secs(plan.send.max_wait),
    };
    let started = Instant::now();
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(Stop::default());
    // Which stop signal arrived, if one did.
    let interrupted: Arc<OnceLock<Exit>> = Arc::new(OnceLock::new());
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
        let (mut tx, rx) = crate::writer::feed::channel();
        let progress = Progress::start(tally.clone(), quiet);
        {
            let stop = stop.clone();
            let interrupted = interrupted.clone();
            let mut signals = signals::StopSignals::listen().map_err(|e| {
                CliError::usage(format!("cannot listen for Ctrl-C and SIGTERM: {e}"))
            })?;
            tokio::spawn(async move {
                if let Some(first) = signals.next().await {
                    let _ = interrupted.set(first);
                    stop.soft();
                    crate::say!(
                        "\nstoreload: stopping on {}: letting requests in flight finish (Ctrl-C again to stop at once)",
                        signals::name(first)
                    );
                    if let Some(second) = signals.next().await {
                        crate::say!("storeload: stopped at once; records in flight are in doubt until resumed");
                        std::process::exit(second as i32);
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
            let kept = kept.and_then(Kept::into_items);
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
                            let (email, phone) = item.contact;
                            rejected.push(Entry::Rejected(journal::Rejected {
                                key,
                                record: item.number,
                                line: item.line,
                                email,
                                phone,
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
                    if !tx.push(work) {
                        return false;
                    }
                    !stop.is_stopping()
                };
                match (kept, &mapping) {
                    (Some(items), _) => {
                        for item in items {
                            if !take(item) {
                                break;
                            }
                        }
                    }
                    (None, Mapped::Customers(m)) => {
                        pipeline::run(records, m, platform, CheckOptions {
                strict,
                lean: false,
                drop_rows: false,
            }, |c| {
                            take(ReadItem::customer(c))
                        });
                    }
                    (None, Mapped::Orders(m)) => {
                        let ctx = order_context(m, &links, split.as_ref(), strict);
                        order_pipeline::run(records, &ctx, |o| take(ReadItem::order(o)));
                    }
                }
                // The last part chunk; after a stop it stays unsent.
                let sent = stop.is_stopping() || tx.flush();
                flush(&mut rejected) && sent
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
    let closed = runtime.block_on(async {
        let end = Entry::End(journal::End {
            at: chrono::Utc::now(),
            summary: serde_json::to_value(&summary).unwrap_or_default(),
        });
        let _ = jw.write(vec![end]).await;
        jw.close().await
    });
    // A journal that cannot be written (a full disk) stops the run like any
    // whole-run error: exit 3, resumable (DECISIONS.md "Hostile paths").
    // When the writer stopped the run for it, its sentence is shown below.
    if let Err(e) = closed
        && fatal.is_none()
    {
        return Err(CliError::stopped(format!(
            "{e}\n\nThe run stopped; resume with: storeload resume {}",
            journal_path.display()
        )));
    }
    if let Some(handle) = sandbox {
        runtime.block_on(handle.stop());
    }
    let text = summary.render(platform, &plan.input, journal_path);
    if summary_to_stderr {
        super::eprint(&text);
    } else {
        super::print(&text)?;
    }
    let resume_hint = format!(
        "resume with: storeload resume {}",
        absolute(journal_path).display()
    );
    if let Some(signal) = interrupted.get() {
        crate::say!(
            "storeload: stopped by {}; the journal is flushed. {resume_hint}",
            signals::name(*signal)
        );
        return Ok(*signal);
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
