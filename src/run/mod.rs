//! The run engine: an import (or its resume) of a [`RunPlan`] with a
//! journal, from credentials to the final summary, as a library the
//! commands call. The command line turns its flags into a plan
//! (`cmd/import`, `cmd/resume`); nothing here knows a flag's spelling.
//!
//! A run, in order (one file per step):
//! - [`plan`]: the plan, recorded in the journal's header, and the
//!   defaults it leaves to the platform and the entity.
//! - [`connect`]: credentials, base URL, endpoint; or the in-process sandbox.
//! - [`preflight`]: credentials and scopes checked with a read request.
//! - [`spool`]: stdin copied beside the journal.
//! - [`source`] and `reading`: the input opened and mapped; checked
//!   records turned into refusals or work. [`files`]: the run's own files,
//!   which no report may overwrite.
//! - [`opening`]: the journal opened, locked and checked; the header written.
//! - [`dry_pass`] and `preview`: the dry pass counting what would be
//!   sent, and the plan printed.
//! - `feed`: the reading side, feeding the writer ([`crate::writer`]).
//! - [`summary`]: the counts, printed and journaled at the end.
//! - [`sync`]: a sync run's state (`--sync`): each record created, updated
//!   or left unchanged; the state brought up to date from the journal.
//!
//! Beside the import: [`rejects`] (what is not in the platform, in the
//! input's columns) and [`reconcile`] (in-doubt records settled by lookup)
//! read a journal's plan back and work from it.

pub mod connect;
pub mod dry_pass;
mod feed;
pub mod files;
pub mod opening;
pub mod orders;
pub mod plan;
pub mod preflight;
mod preview;
mod reading;
pub mod reconcile;
pub mod rejects;
mod signals;
pub mod source;
pub mod spool;
pub mod summary;
pub mod sync;

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

pub use plan::{Entity, OrderOptions, RunPlan, SendOptions};
pub use source::Source;
pub use summary::Summary;

use crate::error::{CliError, Exit};
use crate::journal::{self, Entry, Journal, JournalWriter};
use crate::platform::{Endpoint, QuotaHint};
use crate::writer::limit::Limiter;
use crate::writer::progress::Progress;
use crate::writer::{InDoubtPolicy, Stop, Tally, Writer};
use dry_pass::effective_rate;
use feed::Reader;
use opening::Fingerprinting;
use preview::{Pass, Previewed};
use reading::{Mapped, open_mapped, settled_records};
use summary::ReadTally;

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

/// What a run prints, and where.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// Print only the final summary.
    pub quiet: bool,
    /// Print the plan and stop before the first write.
    pub plan_only: bool,
    /// The final summary goes to stderr (a report is on stdout).
    pub summary_to_stderr: bool,
    /// Where the run leaves its figures for `--summary`.
    pub figures: summary::RunFigures,
}

/// Runs an import or a resume of `plan` with the journal at `journal_path`.
pub fn execute(
    plan: &RunPlan,
    journal_path: &Path,
    mode: Mode,
    view: View,
) -> Result<Exit, CliError> {
    let platform = plan.platform();
    refuse_entity_options(plan)?;
    let links = plan.orders.load(plan.to)?;
    let runtime = runtime()?;
    let conn = connect::connect(plan, &runtime, view.quiet)?;
    // The journal belongs to one destination: refused before any request.
    opening::refuse_other_destination(journal_path, &conn.destination)?;
    refuse_sync_on_a_used_journal(plan, journal_path, mode)?;
    let limiter = plan.limiter();
    let quota = runtime.block_on(check(plan, &conn.endpoint, &limiter, view.quiet))?;
    let plan = &spool_stdin(plan, journal_path)?;
    let source = plan.source();
    let (mut input, mapped) = open_mapped(&source, plan.ordering())?;
    // A sync run's state: another destination's is refused (exit 2)
    // before the journal is touched.
    let sync = match (&plan.sync, &mapped) {
        (Some(options), Mapped::Customers(m)) => Some(sync::SyncRun::open(
            options,
            platform,
            &conn.destination,
            m,
            view.plan_only,
        )?),
        _ => None,
    };
    let fingerprint = Fingerprinting::start(input.path.clone());
    let split = match &mapped {
        Mapped::Orders(m) => source.first_pass(&input, m)?,
        Mapped::Customers(_) => None,
    };
    // Open (and lock) the journal first: its states decide what is known.
    let (mut opened, fp) = opening::open(journal_path, plan, mode, fingerprint)?;
    let resuming = matches!(mode, Mode::Resume { .. });
    let (kept, to_send) = if resuming && opened.unchanged {
        // DECISIONS.md "Speed": a resume of an unchanged input reuses the
        // plan; no second full validation before the first new request.
        // The progress total is then not known ahead.
        (None, None)
    } else {
        let pass = Pass {
            plan,
            source: &source,
            input: &input,
            mapped: &mapped,
            links: &links,
            split: split.as_ref(),
            states: &opened.states,
            unchanged: opened.unchanged,
            rate: effective_rate(plan.send.rate, plan.send.max_quota_share, platform, &quota),
            input_bytes: fp.size,
            sync: sync.as_ref(),
        };
        match preview::preview(pass, view.quiet, view.plan_only)? {
            Previewed::PlanOnly => return Ok(Exit::Ok),
            Previewed::Run { kept, to_send } => (kept, Some(to_send)),
        }
    };
    let fp_tag: String = fp.sha256.chars().take(8).collect();
    let header = opening::header(
        plan,
        opened.next_run,
        fp,
        mapped.describe(),
        conn.destination,
    )?;
    let journal = opened.start(journal_path, header)?;
    warn_above_concurrency_limit(plan, view.quiet);
    let run = Run::default();
    let reader = Reader {
        records: std::mem::replace(&mut input.records, crate::read::Records::empty()),
        // Orders are numbered by group, not by row: never skipped by number.
        skip: settled_records(
            &opened.states,
            !plan.ordering() && opened.same_input_throughout && resuming,
        ),
        mapped,
        kept,
        platform,
        links,
        split,
        strict: plan.strict,
        limit: plan.send.limit,
        states: std::mem::take(&mut opened.states),
        unchanged: opened.unchanged,
        fp_tag,
        stop: run.stop.clone(),
        tally: run.tally.clone(),
        read_tally: run.read_tally.clone(),
        journal: JournalWriter::spawn(journal),
        sync: sync.as_ref().map(sync::SyncRun::share),
    };
    let writer = Writer::new(
        platform,
        plan.writer_config(conn.endpoint),
        limiter,
        reader.journal.clone(),
        run.tally.clone(),
        run.stop.clone(),
        opened.first_batch(),
    )
    .map_err(CliError::usage)?;
    let sent = runtime.block_on(run.send(writer, reader, to_send, view.quiet))?;
    let exit = run.finish(&runtime, sent, plan, journal_path, view);
    // The state follows the journal's outcomes, however the run ended.
    let exit = match sync.map(|s| s.commit(journal_path)) {
        Some(Err(e)) if exit.is_ok() => Err(e),
        _ => exit,
    };
    if let Some(handle) = conn.sandbox {
        runtime.block_on(handle.stop());
    }
    exit
}

/// A sync `import` takes a journal of its own: the records an earlier run
/// of the journal created would be skipped as known, so their changes would
/// never be sent. Continuing the same run is `resume`.
fn refuse_sync_on_a_used_journal(
    plan: &RunPlan,
    journal_path: &Path,
    mode: Mode,
) -> Result<(), CliError> {
    if plan.sync.is_none() || mode != Mode::Import || !journal_path.exists() {
        return Ok(());
    }
    let headers = crate::journal::headers(journal_path)?;
    if headers.is_empty() {
        return Ok(());
    }
    Err(CliError::usage(format!(
        "journal {}: already holds a run; a sync import takes a new journal for each load (e.g. --journal nightly-$(date +%F).journal), so that every changed customer is compared with the state, not skipped as known. To continue that run, use `storeload resume {}`",
        journal_path.display(),
        journal_path.display()
    )))
}

/// Refuses the options that do not fit the entity: the orders options for
/// customers, orders where the platform takes none, a lookup for orders.
fn refuse_entity_options(plan: &RunPlan) -> Result<(), CliError> {
    plan.orders.check(plan.to)?;
    if plan.sync.is_some() {
        if plan.ordering() {
            return Err(CliError::usage(
                "--sync: orders are created, never updated; import orders without --sync",
            ));
        }
        sync::updates_of(plan.platform())?;
        if plan.sandbox {
            return Err(CliError::usage(
                "--sync with --sandbox: the in-process sandbox ends with the run, so the state would describe a store that no longer exists; rehearse against `storeload sandbox` with --base-url instead",
            ));
        }
    }
    if plan.ordering() && plan.send.in_doubt == Some(InDoubtPolicy::Lookup) {
        return Err(CliError::usage(
            "--in-doubt lookup: orders have no lookup; use skip (the default: in-doubt orders are listed) or resend",
        ));
    }
    Ok(())
}

/// The run's async runtime. One thread sends, parses answers and
/// journals: requests wait on the network, and a hand-off between threads
/// per request cost more CPU than the work itself (issue 6). Reading and
/// checking run beside it, on a blocking thread and rayon.
fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::usage(format!("cannot start the async runtime: {e}")))
}

/// The pre-flight: refused credentials fail here, before the input is
/// read. Its requests are paced like the run's, whose pacer learns the
/// quota the platform reports.
async fn check(
    plan: &RunPlan,
    endpoint: &Endpoint,
    limiter: &Limiter,
    quiet: bool,
) -> Result<QuotaHint, CliError> {
    let timeout = Duration::from_secs(plan.send.timeout.clamp(1, 10));
    let pacing = preflight::Pacing {
        fixed: plan.send.rate,
        share: plan.send.max_quota_share,
    };
    let (checks, quota) =
        preflight::preflight(plan.platform(), endpoint, timeout, Some(limiter), pacing).await?;
    limiter.observe(&quota);
    if !quiet {
        for line in &checks {
            crate::say!("storeload: check: {line}");
        }
    }
    Ok(quota)
}

/// The plan reading stdin's spool: stdin is spooled only now, after the
/// credentials were checked.
fn spool_stdin(plan: &RunPlan, journal_path: &Path) -> Result<RunPlan, CliError> {
    if plan.input != "-" {
        return Ok(plan.clone());
    }
    Ok(RunPlan {
        input: spool::spool_stdin(journal_path)?,
        ..plan.clone()
    })
}

/// Warns when `--concurrency` is above what the platform takes at once.
fn warn_above_concurrency_limit(plan: &RunPlan, quiet: bool) {
    let platform = plan.platform();
    let concurrency = plan.concurrency();
    if let Some(max) = platform.max_concurrency()
        && concurrency > max
        && !quiet
    {
        crate::say!(
            "storeload: warning: --concurrency {concurrency} is above {}'s ~{max} concurrent requests per store; expect 429s",
            platform.display_name()
        );
    }
}

/// The state a run's sending shares between the reader, the writer, the
/// signal watcher and the summary.
#[derive(Default)]
struct Run {
    /// The writer's counts.
    tally: Arc<Tally>,
    /// The run's stop switch.
    stop: Arc<Stop>,
    /// Which stop signal arrived, if one did.
    interrupted: Arc<OnceLock<Exit>>,
    /// The reading side's counts.
    read_tally: Arc<ReadTally>,
    /// When sending started.
    started: OnceLock<Instant>,
}

/// How the sending ended: the journal writer to close, whether the whole
/// input was read, and a task that ended on a panic (a bug), if one did.
struct Sent {
    journal: JournalWriter,
    read_ok: bool,
    crashed: Option<String>,
}

impl Run {
    /// Runs the writer and the reader until the input is read and every
    /// request settled (or the run stops).
    /// `total` is the dry pass's count of records to send, when it ran.
    async fn send(
        &self,
        writer: Writer,
        reader: Reader,
        total: Option<u64>,
        quiet: bool,
    ) -> Result<Sent, CliError> {
        let _ = self.started.set(Instant::now());
        let journal = reader.journal.clone();
        let (tx, rx) = crate::writer::feed::channel();
        let progress = Progress::start(self.tally.clone(), total, quiet);
        signals::watch(self.stop.clone(), self.interrupted.clone())?;
        let send_task = tokio::spawn(Arc::new(writer).run(rx));
        let reading = reader.spawn(tx);
        let mut crashed = None;
        let read_ok = match reading.await {
            Ok(ok) => ok,
            Err(e) => {
                crashed = Some(format!("the reading side {}", task_failure(e)));
                false
            }
        };
        let journal = match send_task.await {
            Ok(jw) => jw,
            Err(e) => {
                crashed.get_or_insert(format!("the writer {}", task_failure(e)));
                journal
            }
        };
        progress.finish();
        Ok(Sent {
            journal,
            read_ok,
            crashed,
        })
    }

    /// Ends the run: the journal's `end` line and its close, the summary,
    /// and the exit code, in order of what matters most.
    fn finish(
        &self,
        runtime: &tokio::runtime::Runtime,
        sent: Sent,
        plan: &RunPlan,
        journal_path: &Path,
        view: View,
    ) -> Result<Exit, CliError> {
        let fatal = self.stop.fatal_message();
        let elapsed = self.started.get().map(Instant::elapsed).unwrap_or_default();
        let summary = Summary::new(&self.read_tally, &self.tally, elapsed);
        view.figures.put(&summary);
        let resume_hint = format!(
            "resume with: storeload resume {}",
            plan::absolute(journal_path).display()
        );
        let closed = runtime.block_on(close(sent.journal, &summary, sent.crashed.is_none()));
        // Whether the journal may be said to be flushed: not after a write
        // error (a full disk), which leaves it ending where the error hit.
        let after_stop = if closed.is_ok() {
            format!("The journal is flushed; {resume_hint}")
        } else {
            format!(
                "The journal could not be written to its end: it holds what was written before the error, and records sent since are in doubt. Fix the cause (disk full? permissions?), then {resume_hint}"
            )
        };
        // A journal that cannot be written (a full disk) stops the run like
        // any whole-run error: exit 3, resumable (DECISIONS.md "Hostile
        // paths"). When the writer stopped the run for it, its sentence is
        // shown below.
        if let Err(e) = closed
            && fatal.is_none()
        {
            return Err(CliError::stopped(format!(
                "{e}\n\nThe run stopped; resume with: storeload resume {}",
                journal_path.display()
            )));
        }
        let text = summary.render(plan.platform(), &plan.input, journal_path);
        if view.summary_to_stderr {
            crate::term::eprint(&text);
        } else {
            crate::term::print(&text)?;
        }
        if let Some(crash) = sent.crashed {
            return Err(CliError::stopped(format!(
                "{crash}; this is a bug in storeload, please report it. {after_stop}"
            )));
        }
        if let Some(signal) = self.interrupted.get() {
            crate::say!(
                "storeload: stopped by {}. {after_stop}",
                signals::name(*signal)
            );
            return Ok(*signal);
        }
        if let Some(message) = fatal {
            return Err(CliError::stopped(format!("{message}\n\n{after_stop}")));
        }
        if !sent.read_ok {
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
}

/// Writes the run's `end` line with its summary (unless the run `ended`
/// on a crash: the last run then did not finish), then flushes, syncs and
/// closes the journal. The first error is returned.
async fn close(
    jw: JournalWriter,
    summary: &Summary,
    ended: bool,
) -> Result<Journal, journal::JournalError> {
    let wrote = if ended {
        let end = Entry::End(journal::End {
            at: chrono::Utc::now(),
            summary: serde_json::to_value(summary)
                .expect("a summary is numbers only, which JSON always encodes"),
        });
        jw.write(vec![end]).await
    } else {
        Ok(())
    };
    let closed = jw.close().await;
    wrote.and(closed)
}

/// What became of a task that did not return: its panic's message, or
/// that it was cancelled.
fn task_failure(e: tokio::task::JoinError) -> String {
    if !e.is_panic() {
        return "was cancelled".to_string();
    }
    let panic = e.into_panic();
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "an unknown panic".to_string());
    format!("stopped on an internal error ({message})")
}
