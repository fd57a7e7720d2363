//! The counts of a run: what the reading side saw (`ReadTally`), the
//! final `Summary` printed and journaled at the end, and the
//! machine-readable run summary of `--summary PATH` ([`RunSummary`]), for
//! the people who run loads from cron: its shape is stable (README,
//! "Nightly loads"), and it is written however the run ends.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{CliError, Exit};
use crate::journal::{Destination, ends};
use crate::platform::{Platform, PlatformId};
use crate::report::output::ReportFile;
use crate::writer::Tally;

/// Counts kept by the reading side of a run.
#[derive(Debug, Default)]
pub(super) struct ReadTally {
    pub(super) read: AtomicU64,
    pub(super) valid: AtomicU64,
    pub(super) invalid: AtomicU64,
    pub(super) known: AtomicU64,
    pub(super) in_doubt_before: AtomicU64,
    pub(super) limited: AtomicU64,
    /// Of `limited`, records an earlier run had journaled.
    pub(super) limited_journaled: AtomicU64,
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
    /// Updated by id (`--sync`).
    pub updated: u64,
    /// Unchanged since last sent: not sent (`--sync`).
    pub unchanged: u64,
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
    /// Of `not_sent`, records an earlier run had journaled (failed, in
    /// doubt): `status` counts them by that line, not again as not sent.
    pub not_sent_journaled: u64,
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
    pub(super) fn new(r: &ReadTally, t: &Tally, elapsed: Duration) -> Self {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let queued = l(&t.queued);
        Summary {
            read: l(&r.read),
            valid: l(&r.valid),
            invalid: l(&r.invalid),
            known: l(&r.known),
            in_doubt_before: l(&r.in_doubt_before),
            created: l(&t.created),
            updated: l(&t.updated),
            unchanged: l(&t.unchanged),
            exists: l(&t.exists),
            rejected: l(&t.rejected),
            failed: l(&t.failed),
            in_doubt: l(&t.in_doubt),
            not_sent: queued.saturating_sub(t.done()) + l(&r.limited),
            not_sent_journaled: t.requeued_unsent() + l(&r.limited_journaled),
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

    pub(super) fn render(&self, platform: &dyn Platform, input: &str, journal: &Path) -> String {
        // A sync run's figures, only when it had any: a plain import's
        // summary reads as it always did.
        let synced = if self.updated + self.unchanged > 0 {
            format!(
                "updated {} · unchanged, not sent {}\n",
                self.updated, self.unchanged
            )
        } else {
            String::new()
        };
        format!(
            "storeload import: {input} → {} (journal {})\n\
             read {} · valid {} · invalid {} (journaled as rejected, not sent)\n\
             known from the journal, skipped: {}\n\
             created {} · already there {} · refused by the platform {} · failed {} · in doubt {} · not sent {}\n\
             {synced}{} requests · {} retries · {} answered 429 · {:.1} s\n",
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

/// The version of [`RunSummary`]'s shape: raised only when a field changes
/// meaning or goes away (a new field does not raise it).
pub const SUMMARY_VERSION: u32 = 1;

/// The machine-readable summary of one `import` or `resume`
/// (`--summary PATH`), written when the command ends, however it ends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    /// [`SUMMARY_VERSION`].
    pub version: u32,
    /// `import` or `resume`.
    pub command: &'static str,
    /// The exit code the process ends with.
    pub exit_code: u8,
    /// The exit code's meaning: `ok`, `incomplete`, `usage`, `stopped`,
    /// `interrupted`, `terminated` or `hung_up`.
    pub status: &'static str,
    /// The sentence printed when the command ended on an error.
    pub error: Option<String>,
    /// The platform's code (`bigcommerce`, …), when known.
    pub platform: Option<String>,
    /// Where the run sent (never a credential), as the journal records it.
    pub destination: Option<Destination>,
    /// The journal's absolute path.
    pub journal: PathBuf,
    /// The input the run read, as its journal header records it.
    pub input: Option<String>,
    /// When the command started (RFC 3339, UTC).
    pub started_at: String,
    /// When it ended (RFC 3339, UTC).
    pub finished_at: String,
    /// Wall time of the whole command, in seconds.
    pub duration_seconds: f64,
    /// Whether the counts are this run's own: from the `end` line it
    /// journaled, or, when the journal could not take that line (a full
    /// disk), from the run's own tally; false when it stopped before
    /// sending (credentials, input, a refusal by `--max-invalid-pct`):
    /// every count is then 0.
    pub counted: bool,
    /// Whether the counts are the journal's own `end` line (false: the
    /// run's tally, or no counts).
    pub journal_ended: bool,
    /// Records (rows) read.
    pub rows_read: u64,
    /// Records by what became of them in this run.
    pub counts: OutcomeCounts,
    /// Requests made (attempts and lookups).
    pub requests: u64,
    /// Retries.
    pub retries: u64,
    /// Answers 429 (throttled).
    pub throttled: u64,
}

/// What became of the records of one run, by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutcomeCounts {
    /// Created in the platform.
    pub created: u64,
    /// Updated by id (`--sync`).
    pub updated: u64,
    /// Unchanged since the state's last run: not sent (`--sync`).
    pub unchanged: u64,
    /// Already in the platform.
    pub exists: u64,
    /// Refused by the platform.
    pub rejected: u64,
    /// Failed after retries (a resume sends them again).
    pub failed: u64,
    /// Left in doubt.
    pub in_doubt: u64,
    /// Read but not sent (the run stopped, or `--limit`).
    pub not_sent: u64,
    /// Invalid: journaled as rejected, never sent.
    pub invalid: u64,
    /// Settled by an earlier run of the journal: skipped.
    pub known: u64,
}

/// The figures of an `end` line's summary that [`RunSummary`] reports; a
/// figure an older (or another) build did not write reads as 0.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EndFigures {
    read: u64,
    requests: u64,
    retries: u64,
    throttled: u64,
    #[serde(flatten)]
    counts: OutcomeCounts,
}

/// Where a run leaves the figures it would write in its journal's `end`
/// line, for a `--summary` whose journal could not take that line (a full
/// disk): the counts are then the run's own tally, not zeros.
#[derive(Debug, Default, Clone)]
pub struct RunFigures(std::sync::Arc<std::sync::Mutex<Option<serde_json::Value>>>);

impl RunFigures {
    /// Keeps `summary`'s figures (the `end` line's `summary` object).
    pub(super) fn put(&self, summary: &Summary) {
        if let Ok(v) = serde_json::to_value(summary) {
            *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(v);
        }
    }

    /// The figures kept, if the run got as far as counting.
    fn get(&self) -> Option<serde_json::Value> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A `--summary` to write when the command ends: where, and what is known
/// before the run starts.
#[derive(Debug)]
pub struct SummaryTarget {
    path: PathBuf,
    command: &'static str,
    journal: PathBuf,
    platform: Option<PlatformId>,
    started: Instant,
    started_at: DateTime<Utc>,
    figures: RunFigures,
}

impl SummaryTarget {
    /// Starts timing the `command` (`import`, `resume`) of `journal`, whose
    /// summary goes to `path` (`-`: standard output). An earlier summary at
    /// `path` is removed now: a process killed before it writes its own
    /// (`kill -9`, a signal before the run starts sending) must leave no
    /// file a scheduler would read as this run's.
    pub fn start(path: PathBuf, command: &'static str, journal: &Path) -> SummaryTarget {
        if !crate::report::output::is_stdout(&path) && path.is_file() {
            let _ = std::fs::remove_file(&path);
        }
        SummaryTarget {
            path,
            command,
            journal: super::plan::absolute(journal),
            platform: None,
            started: Instant::now(),
            started_at: Utc::now(),
            figures: RunFigures::default(),
        }
    }

    /// Where the run leaves its figures (see [`RunFigures`]).
    pub fn figures(&self) -> RunFigures {
        self.figures.clone()
    }

    /// The platform the run sends to, once known.
    pub fn platform(&mut self, platform: PlatformId) {
        self.platform = Some(platform);
    }

    /// The summary of the command that ended with `result`, from the
    /// journal's latest run when this command wrote it.
    pub fn summary(&self, result: &Result<Exit, CliError>) -> RunSummary {
        let exit = match result {
            Ok(exit) => *exit,
            Err(e) => e.exit,
        };
        // The latest run is this command's own only if its header was
        // written after the command started (headers keep milliseconds).
        let since = self.started_at.trunc_subsecs(3);
        let last = ends::last_run(&self.journal)
            .ok()
            .flatten()
            .filter(|r| r.header.started_at >= since);
        let from_end = last.as_ref().and_then(|r| r.end.clone());
        let journal_ended = from_end.is_some();
        // The journal could not take the end line (a full disk): the run's
        // own tally, which the terminal showed too.
        let figures = from_end
            .or_else(|| self.figures.get())
            .and_then(|v| serde_json::from_value::<EndFigures>(v).ok());
        // A journal belongs to one destination: an earlier run's header
        // names it when this run stopped before writing its own.
        let destination = last
            .as_ref()
            .and_then(|r| r.header.destination.clone())
            .or_else(|| {
                crate::journal::headers(&self.journal)
                    .ok()?
                    .into_iter()
                    .rev()
                    .find_map(|h| h.destination)
            });
        let platform = self
            .platform
            .map(|p| p.as_str().to_string())
            .or_else(|| destination.as_ref().map(|d| d.platform.clone()));
        let counted = figures.is_some();
        let figures = figures.unwrap_or_default();
        RunSummary {
            version: SUMMARY_VERSION,
            command: self.command,
            exit_code: exit as u8,
            status: status_name(exit),
            error: result.as_ref().err().map(|e| e.message.clone()),
            platform,
            destination,
            journal: self.journal.clone(),
            input: last.map(|r| r.header.input.path),
            started_at: self.started_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            finished_at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            duration_seconds: self.started.elapsed().as_secs_f64(),
            counted,
            journal_ended,
            rows_read: figures.read,
            counts: figures.counts,
            requests: figures.requests,
            retries: figures.retries,
            throttled: figures.throttled,
        }
    }

    /// Writes the summary of the command that ended with `result` and
    /// returns `result`. A summary that cannot be written is said on
    /// stderr; it turns a run that would exit 0 into exit 2 (a scheduler
    /// must not read an old summary as this run's), and leaves any other
    /// exit code as it was.
    pub fn finish(self, result: Result<Exit, CliError>) -> Result<Exit, CliError> {
        let summary = self.summary(&result);
        match write(&self.path, &summary) {
            Ok(()) => result,
            Err(e) => match result {
                Ok(Exit::Ok) => Err(e),
                other => {
                    crate::say!("storeload: {e}");
                    other
                }
            },
        }
    }
}

/// The name of `exit` in [`RunSummary::status`].
pub fn status_name(exit: Exit) -> &'static str {
    match exit {
        Exit::Ok => "ok",
        Exit::Incomplete => "incomplete",
        Exit::Usage => "usage",
        Exit::Stopped => "stopped",
        Exit::Interrupted => "interrupted",
        Exit::Terminated => "terminated",
        Exit::HungUp => "hung_up",
    }
}

/// Writes `summary` as pretty JSON to `path` (`-`: standard output),
/// atomically: a temporary file renamed into place.
fn write(path: &Path, summary: &RunSummary) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(summary)
        .expect("a run summary is strings, numbers and booleans, which JSON always encodes");
    let mut file = ReportFile::create(path, "the run summary")?;
    let cannot = |e: std::io::Error| {
        CliError::usage(format!(
            "--summary {}: cannot write the run summary: {e}\n\nCheck that its folder exists, is writable and has space.",
            path.display()
        ))
    };
    file.write_all(text.as_bytes()).map_err(cannot)?;
    file.write_all(b"\n").map_err(cannot)?;
    file.commit().map_err(cannot)
}

/// Which of the input's size and content hash differ between the
/// fingerprint a run recorded (`was`) and the input now (`now`), for the
/// input-changed message: "size 281858 → 281900 bytes and content
/// (sha256 1a2b3c4d → 5e6f7a8b)", "content (sha256 …), same size".
pub fn what_changed(
    was: &crate::journal::InputFingerprint,
    now: &crate::journal::InputFingerprint,
) -> String {
    let short = |s: &str| s.chars().take(8).collect::<String>();
    let content = format!(
        "content (sha256 {} → {})",
        short(&was.sha256),
        short(&now.sha256)
    );
    match (was.size != now.size, was.sha256 != now.sha256) {
        (true, true) => format!("size {} → {} bytes and {content}", was.size, now.size),
        (true, false) => format!("size {} → {} bytes, same content hash", was.size, now.size),
        (false, true) => format!("{content}, same size {} bytes", now.size),
        (false, false) => "nothing: same size and content hash".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::InputFingerprint;

    fn fp(size: u64, sha256: &str) -> InputFingerprint {
        InputFingerprint {
            path: "in.csv".into(),
            size,
            sha256: sha256.into(),
        }
    }

    fn header_line(started_at: DateTime<Utc>) -> String {
        let mut h = crate::journal::Header::new(
            1,
            "bigcommerce",
            "customers",
            fp(1, "ab"),
            serde_json::json!({}),
            &serde_json::json!({}),
        )
        .unwrap();
        h.started_at = started_at.trunc_subsecs(3);
        format!(
            "{}\n",
            serde_json::to_string(&crate::journal::Entry::Header(h)).unwrap()
        )
    }

    const END: &str = "{\"type\":\"end\",\"at\":\"2030-01-01T00:00:00.000Z\",\"summary\":{\"read\":9,\"created\":2,\"updated\":3,\"unchanged\":4,\"requests\":2}}\n";

    #[test]
    fn the_summary_counts_come_from_this_runs_own_end_line() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("night.journal");
        let target = SummaryTarget::start("-".into(), "import", &journal);
        std::fs::write(&journal, format!("{}{END}", header_line(Utc::now()))).unwrap();
        let s = target.summary(&Ok(Exit::Ok));
        assert!(s.counted);
        assert_eq!((s.rows_read, s.requests), (9, 2));
        let c = s.counts;
        assert_eq!((c.created, c.updated, c.unchanged), (2, 3, 4));
        assert_eq!((s.exit_code, s.status), (0, "ok"));
    }

    #[test]
    fn an_earlier_runs_end_line_is_not_counted_as_this_runs() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("night.journal");
        let yesterday = Utc::now() - chrono::Duration::days(1);
        std::fs::write(&journal, format!("{}{END}", header_line(yesterday))).unwrap();
        let target = SummaryTarget::start("-".into(), "resume", &journal);
        let s = target.summary(&Err(CliError::stopped("refused")));
        assert!(!s.counted, "{s:?}");
        assert_eq!(s.counts, OutcomeCounts::default());
        assert_eq!((s.exit_code, s.status), (3, "stopped"));
        assert_eq!(s.error.as_deref(), Some("refused"));
        assert_eq!(s.input, None);
    }

    #[test]
    fn the_input_changed_message_names_the_hash_when_only_the_content_differs() {
        let text = what_changed(&fp(281858, "aaaaaaaaff"), &fp(281858, "bbbbbbbbff"));
        assert_eq!(
            text,
            "content (sha256 aaaaaaaa → bbbbbbbb), same size 281858 bytes"
        );
        assert!(!text.contains("→ 281858"), "{text}");
    }

    #[test]
    fn the_input_changed_message_names_both_when_size_and_content_differ() {
        let text = what_changed(&fp(10, "aaaaaaaa"), &fp(12, "bbbbbbbb"));
        assert_eq!(
            text,
            "size 10 → 12 bytes and content (sha256 aaaaaaaa → bbbbbbbb)"
        );
    }
}
