//! `storeload status`: what a journal says: created, updated, unchanged
//! (a `--sync` run), already there, rejected, failed, in doubt, not sent,
//! and the input it belongs to.
//!
//! What is knowable, and so what the total is: every record key the journal
//! holds a line about (its last line gives its state), plus the records the
//! last run read but did not send, which have no line of their own and are
//! counted only by the run's `end` line (`not_sent`, less those of them an
//! earlier run had journaled — a failed record a resume left unsent is
//! counted once, as failed). When the last run
//! wrote its `end` line (it finished, or stopped on Ctrl-C, SIGTERM or a
//! whole-run error), the total equals the rows it read as long as every
//! run read the same input. A run killed outright (`kill -9`, a crash)
//! wrote no `end` line: the records it had read but not sent are known to
//! no one, and the status says so rather than guess.

use std::path::PathBuf;

use clap::Args as ClapArgs;
use serde::Serialize;

use crate::error::{CliError, Exit};
use crate::journal;
use crate::report::output::ReportFile;

/// Arguments of `storeload status`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The journal to read.
    journal: PathBuf,

    /// Write the status as JSON to this path; `-` for standard output (the
    /// text status then goes to stderr).
    #[arg(long, value_name = "PATH")]
    json: Option<PathBuf>,
}

/// A record left in doubt, for a person to check.
#[derive(Debug, Serialize)]
struct Doubt<'a> {
    key: &'a str,
    record: u64,
    line: u64,
}

/// Every record the journal knows of, by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    /// Created by the platform.
    pub created: u64,
    /// Updated by id by a `--sync` run.
    pub updated: u64,
    /// Unchanged since last sent, so not sent, by a `--sync` run.
    pub unchanged: u64,
    /// Already in the platform.
    pub exists: u64,
    /// Refused (validation or platform).
    pub rejected: u64,
    /// Failed after retries (a resume sends them again).
    pub failed: u64,
    /// Sent without an outcome, or journaled in doubt.
    pub in_doubt: u64,
    /// Read by the last run but not sent (from its `end` line; 0 when it
    /// wrote none).
    pub not_sent: u64,
    /// All of the above.
    pub total: u64,
}

impl StatusCounts {
    /// The counts of the record states plus the last run's `not_sent`.
    pub fn new(counts: journal::Counts, end: Option<journal::ends::RunEnd>) -> Self {
        // A record an earlier run journaled (failed, in doubt) and this
        // one handed over again but left unsent is counted by that line.
        let not_sent = end.map_or(0, |e| e.not_sent.saturating_sub(e.not_sent_journaled));
        StatusCounts {
            created: counts.created,
            updated: counts.updated,
            unchanged: counts.unchanged,
            exists: counts.exists,
            rejected: counts.rejected,
            failed: counts.failed,
            in_doubt: counts.in_doubt,
            not_sent,
            total: counts.created
                + counts.updated
                + counts.unchanged
                + counts.exists
                + counts.rejected
                + counts.failed
                + counts.in_doubt
                + not_sent,
        }
    }
}

/// Runs `storeload status`.
pub fn run(args: Args) -> Result<Exit, CliError> {
    if let Some(path) = &args.json {
        crate::report::output::refuse_run_files(
            &[("--json", path)],
            &[("the journal", &args.journal)],
        )?;
    }
    let replay = journal::replay(&args.journal)?;
    let end = journal::ends::last_run_end(&args.journal)?.filter(|_| replay.ended);
    let counts = StatusCounts::new(replay.counts(), end);
    let header = replay.latest_header();
    let mut doubts: Vec<Doubt<'_>> = replay
        .records
        .iter()
        .filter(|(_, s)| s.is_in_doubt())
        .map(|(k, s)| Doubt {
            key: k,
            record: s.record(),
            line: s.line(),
        })
        .collect();
    doubts.sort_by_key(|d| d.record);
    let ended = replay.ended;
    // A run writing the journal now has no end line yet, and its records
    // in flight have a `sent` line and no answer yet.
    let running = !ended && journal::in_use(&args.journal);
    let json_to_stdout = args
        .json
        .as_deref()
        .is_some_and(crate::report::output::is_stdout);
    if let Some(path) = &args.json {
        let v = serde_json::json!({
            "journal": args.journal.display().to_string(),
            "platform": header.map(|h| h.platform.clone()),
            "input": header.map(|h| h.input.clone()),
            "runs": replay.headers.len(),
            "counts": counts,
            "last_run_rows_read": end.map(|e| e.read),
            "in_doubt": doubts,
            "last_run_finished": ended,
            "running": running,
            "torn_tail": replay.torn_tail,
        });
        let text = serde_json::to_string_pretty(&v)
            .expect("a status is strings and numbers, which JSON always encodes");
        write_json(path, &text)?;
    }
    let mut out = format!("journal {}\n", args.journal.display());
    if let Some(h) = header {
        out.push_str(&format!(
            "import into {} of {} ({} bytes, sha256 {}), run {} started {}\n",
            h.platform,
            h.input.path,
            h.input.size,
            &h.input.sha256.chars().take(12).collect::<String>(),
            h.run,
            h.started_at.to_rfc3339()
        ));
    }
    // A sync run's outcomes, only when the journal has any: a plain
    // import's status reads as it always did.
    let synced = if counts.updated + counts.unchanged > 0 {
        format!(
            "updated {} · unchanged {} · ",
            counts.updated, counts.unchanged
        )
    } else {
        String::new()
    };
    out.push_str(&format!(
        "created {} · {synced}already there {} · rejected {} · failed {} · in doubt {} · not sent {} · total {}\n",
        counts.created,
        counts.exists,
        counts.rejected,
        counts.failed,
        counts.in_doubt,
        counts.not_sent,
        counts.total
    ));
    match end {
        Some(e) => out.push_str(&format!(
            "the last run read {} rows{}\n",
            e.read,
            if e.not_sent > 0 {
                "; `storeload resume` sends those not sent"
            } else {
                ""
            }
        )),
        None if running => out.push_str(
            "a run is writing this journal now: these counts are as far as it has got, and its records in flight (sent, not yet answered) are listed as in doubt until their answers come\n",
        ),
        None if !ended => out.push_str(
            "the last run did not finish (no end line: killed or crashed): the records it read but had not sent left no line and are not counted; `storeload resume` sends them\n",
        ),
        None => {}
    }
    for d in doubts.iter().take(50) {
        out.push_str(&format!(
            "  in doubt: {} (record {}, line {})\n",
            d.key, d.record, d.line
        ));
    }
    if doubts.len() > 50 {
        out.push_str(&format!(
            "  … and {} more (see --json PATH)\n",
            doubts.len() - 50
        ));
    }
    if json_to_stdout {
        super::eprint(&out);
    } else {
        super::print(&out)?;
    }
    Ok(Exit::Ok)
}

/// Writes the JSON status to `path` (`-`: standard output), atomically.
fn write_json(path: &std::path::Path, text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut file = ReportFile::create(path, "the JSON status")?;
    let cannot = |e: std::io::Error| {
        CliError::usage(format!(
            "{}: cannot write the JSON status: {e}",
            path.display()
        ))
    };
    file.write_all(text.as_bytes()).map_err(cannot)?;
    file.write_all(b"\n").map_err(cannot)?;
    file.commit().map_err(cannot)
}
