//! The `end` lines of a journal, read back for `storeload status` and for
//! an import's `--summary`: each run's closing figures (rows read, not
//! sent, every outcome's count), which the record states alone cannot
//! give — a record read and queued but never sent leaves no line of its
//! own — and the header of the run they close.

use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::Deserialize;

use super::JournalError;
use super::entry::{Entry, Header};

/// The figures of a run's `end` line that `status` needs; a field an older
/// journal lacks reads as 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RunEnd {
    /// Rows (records) the run read.
    pub read: u64,
    /// Records the run read but did not send: handed to the writer and not
    /// sent when it stopped, or held back by `--limit`.
    pub not_sent: u64,
    /// Of `not_sent`, records an earlier run had journaled (failed, in
    /// doubt): their state is their earlier line.
    pub not_sent_journaled: u64,
}

/// One `end` line, as written.
#[derive(Deserialize)]
struct EndLine {
    #[serde(default)]
    summary: Option<RunEnd>,
}

/// The last `end` line of the journal at `path`, if the last run wrote one
/// after its header (`None` when it did not finish: killed, or crashed). A
/// line that does not parse counts as no line: `replay` reports damage.
pub fn last_run_end(path: &Path) -> Result<Option<RunEnd>, JournalError> {
    let mut last = None;
    scan(path, |line| match line {
        Line::Header(_) => last = None,
        Line::End(bytes) => {
            last = serde_json::from_slice::<EndLine>(bytes)
                .ok()
                .map(|e| e.summary.unwrap_or_default());
        }
    })?;
    Ok(last)
}

/// The latest run of a journal: its header and, when it wrote one, the
/// summary of its `end` line (every figure as the run wrote it).
#[derive(Debug, Clone, PartialEq)]
pub struct LastRun {
    /// The run's header.
    pub header: Header,
    /// The summary object of the run's `end` line; `None` when the run
    /// wrote none after its header (killed, crashed, or still running).
    pub end: Option<serde_json::Value>,
}

/// The latest run of the journal at `path` (`None` when it holds no header
/// that parses). One pass; only header and `end` lines are parsed.
pub fn last_run(path: &Path) -> Result<Option<LastRun>, JournalError> {
    let mut last: Option<LastRun> = None;
    scan(path, |line| match line {
        Line::Header(bytes) => {
            if let Ok(Entry::Header(header)) = serde_json::from_slice::<Entry>(bytes) {
                last = Some(LastRun { header, end: None });
            }
        }
        Line::End(bytes) => {
            if let (Some(run), Ok(Entry::End(end))) =
                (last.as_mut(), serde_json::from_slice::<Entry>(bytes))
            {
                run.end = Some(end.summary);
            }
        }
    })?;
    Ok(last)
}

/// A header or `end` line met by [`scan`], as its bytes.
enum Line<'a> {
    Header(&'a [u8]),
    End(&'a [u8]),
}

/// Calls `each` on every header and `end` line of the journal at `path`, in
/// order; other lines are only told apart by their first bytes.
fn scan(path: &Path, mut each: impl FnMut(Line<'_>)) -> Result<(), JournalError> {
    const END: &[u8] = b"{\"type\":\"end\"";
    const HEADER: &[u8] = b"{\"type\":\"header\"";
    let file = super::open_file(path)?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| JournalError::io(path, "read", e))?;
        if n == 0 {
            return Ok(());
        }
        if line.starts_with(HEADER) {
            each(Line::Header(&line));
        } else if line.starts_with(END) {
            each(Line::End(&line));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_runs_end_line_gives_its_read_and_not_sent_counts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.journal");
        std::fs::write(
            &path,
            concat!(
                "{\"type\":\"header\",\"run\":1}\n",
                "{\"type\":\"end\",\"summary\":{\"read\":7,\"not_sent\":3,\"created\":3}}\n",
            ),
        )
        .unwrap();
        assert_eq!(
            last_run_end(&path).unwrap(),
            Some(RunEnd {
                read: 7,
                not_sent: 3,
                not_sent_journaled: 0
            })
        );
    }

    #[test]
    fn a_run_without_an_end_line_has_no_end_even_after_an_earlier_ended_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.journal");
        std::fs::write(
            &path,
            concat!(
                "{\"type\":\"header\",\"run\":1}\n",
                "{\"type\":\"end\",\"summary\":{\"read\":7,\"not_sent\":3}}\n",
                "{\"type\":\"header\",\"run\":2}\n",
            ),
        )
        .unwrap();
        assert_eq!(last_run_end(&path).unwrap(), None);
    }

    fn header(run: u32) -> String {
        let h = Header::new(
            run,
            "bigcommerce",
            "customers",
            crate::journal::InputFingerprint {
                path: "in.csv".into(),
                size: 1,
                sha256: "ab".into(),
            },
            serde_json::json!({}),
            &serde_json::json!({}),
        )
        .unwrap();
        format!("{}\n", serde_json::to_string(&Entry::Header(h)).unwrap())
    }

    #[test]
    fn the_last_run_is_its_header_and_the_summary_of_its_own_end_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.journal");
        let end = "{\"type\":\"end\",\"at\":\"2024-05-01T12:00:00.000Z\",\"summary\":{\"read\":7,\"updated\":2}}\n";
        std::fs::write(&path, format!("{}{end}{}", header(1), header(2))).unwrap();
        let last = last_run(&path).unwrap().unwrap();
        assert_eq!(last.header.run, 2);
        assert_eq!(last.end, None, "run 1's end line says nothing of run 2");
        std::fs::write(&path, format!("{}{}{end}", header(1), header(2))).unwrap();
        let last = last_run(&path).unwrap().unwrap();
        assert_eq!(last.header.run, 2);
        assert_eq!(last.end.unwrap()["updated"], 2);
    }
}
