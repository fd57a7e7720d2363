//! The `end` lines of a journal, read back for `storeload status`: each
//! run's closing figures (rows read, not sent), which the record states
//! alone cannot give — a record read and queued but never sent leaves no
//! line of its own.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::Deserialize;

use super::JournalError;

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
    const END: &[u8] = b"{\"type\":\"end\"";
    const HEADER: &[u8] = b"{\"type\":\"header\"";
    let file = File::open(path).map_err(|e| JournalError::io(path, "open", e))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::new();
    let mut last = None;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| JournalError::io(path, "read", e))?;
        if n == 0 {
            break;
        }
        if line.starts_with(HEADER) {
            // A new run: an earlier run's end says nothing about it.
            last = None;
        } else if line.starts_with(END) {
            last = serde_json::from_slice::<EndLine>(&line)
                .ok()
                .map(|e| e.summary.unwrap_or_default());
        }
    }
    Ok(last)
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
                not_sent: 3
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
}
