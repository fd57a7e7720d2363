//! `storeload status`: what a journal says: created, already there,
//! rejected, failed, in doubt, and the input it belongs to.

use std::path::PathBuf;

use clap::Args as ClapArgs;
use serde::Serialize;

use crate::error::{CliError, Exit};
use crate::journal::{self, RecordState};

/// Arguments of `storeload status`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The journal to read.
    journal: PathBuf,

    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// A record left in doubt, for a person to check.
#[derive(Debug, Serialize)]
struct Doubt<'a> {
    key: &'a str,
    record: u64,
    line: u64,
}

/// Runs `storeload status`.
pub fn run(args: Args) -> Result<Exit, CliError> {
    let replay = journal::replay(&args.journal)?;
    let counts = replay.counts();
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
    let failed = replay
        .records
        .values()
        .filter(|s| matches!(s, RecordState::Failed { .. }))
        .count();
    let ended = replay.ended;
    if args.json {
        let v = serde_json::json!({
            "journal": args.journal.display().to_string(),
            "platform": header.map(|h| h.platform.clone()),
            "input": header.map(|h| h.input.clone()),
            "runs": replay.headers.len(),
            "counts": counts,
            "in_doubt": doubts,
            "last_run_finished": ended,
            "torn_tail": replay.torn_tail,
        });
        super::print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        ))?;
    } else {
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
        out.push_str(&format!(
            "created {} · already there {} · rejected {} · failed {} · in doubt {}\n",
            counts.created, counts.exists, counts.rejected, failed, counts.in_doubt
        ));
        if !ended {
            out.push_str("the last run did not finish: records not in the journal were not sent yet; `storeload resume` continues it\n");
        }
        for d in doubts.iter().take(50) {
            out.push_str(&format!(
                "  in doubt: {} (record {}, line {})\n",
                d.key, d.record, d.line
            ));
        }
        if doubts.len() > 50 {
            out.push_str(&format!(
                "  … and {} more (see --json)\n",
                doubts.len() - 50
            ));
        }
        super::print(&out)?;
    }
    Ok(Exit::Ok)
}
