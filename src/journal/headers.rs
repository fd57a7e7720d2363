//! The run headers of a journal, found without replaying its records: what
//! `resume` needs to know how to run. Header lines are found with a byte
//! search and only they are parsed.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::JournalError;
use super::entry::{Entry, Header};

/// Only the headers of the journal at `path`, without replaying its
/// records: what `resume` needs to know how to run (the records are
/// replayed once, by the run itself). A line is parsed only when it starts
/// as a header does; the rest are skipped with a byte search.
pub fn headers(path: &Path) -> Result<Vec<Header>, JournalError> {
    headers_chunked(path, 1 << 20)
}

fn headers_chunked(path: &Path, chunk: usize) -> Result<Vec<Header>, JournalError> {
    // A header line starts the file or follows a newline; other lines are
    // never looked at, only searched past (SIMD substring search).
    const AT_LINE_START: &[u8] = b"\n{\"type\":\"header\"";
    let finder = memchr::memmem::Finder::new(AT_LINE_START);
    let mut file = super::open_file(path)?;
    let mut out = Vec::new();
    // The unsearched tail of the data so far (a partial match or a header
    // line not yet complete) is kept in front of the next read. A leading
    // newline stands for the start of the file.
    let mut data: Vec<u8> = vec![b'\n'];
    let mut buf = vec![0u8; chunk.max(1)];
    // The file offset of `data[0]` (-1: the stand-in newline).
    let mut data_at: i64 = -1;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| JournalError::io(path, "read", e))?;
        let eof = n == 0;
        data.extend_from_slice(&buf[..n]);
        let mut keep_from = None;
        let mut searched_to = 0;
        while let Some(at) = finder.find(&data[searched_to..]).map(|i| i + searched_to) {
            let line_start = at + 1;
            match memchr::memchr(b'\n', &data[line_start..]) {
                Some(len) => {
                    let line = &data[line_start..line_start + len];
                    match serde_json::from_slice::<Entry>(line) {
                        Ok(Entry::Header(h)) => out.push(h),
                        Ok(_) => {}
                        Err(e) => {
                            let offset = u64::try_from(data_at + line_start as i64).unwrap_or(0);
                            return Err(JournalError::Corrupt {
                                path: path.to_path_buf(),
                                line: line_number_at(path, offset),
                                problem: format!("a header line that does not parse: {e}"),
                            });
                        }
                    }
                    searched_to = line_start + len;
                }
                None => {
                    // The header line goes on past what was read (or is a
                    // torn tail at the end of the file).
                    keep_from = Some(at);
                    break;
                }
            }
        }
        if eof {
            break;
        }
        // Keep what a match could still start in: a header line begun, or
        // the last bytes that may be the start of the pattern.
        let keep = keep_from.unwrap_or_else(|| {
            data.len()
                .saturating_sub(AT_LINE_START.len() - 1)
                .max(searched_to)
        });
        data_at += keep as i64;
        data.drain(..keep);
    }
    Ok(out)
}

/// The 1-based line of the byte at `offset` in the file at `path` (for an
/// error message: reads the file again up to there).
fn line_number_at(path: &Path, offset: u64) -> u64 {
    let Ok(file) = File::open(path) else {
        return 0;
    };
    let mut head = Vec::new();
    if file.take(offset).read_to_end(&mut head).is_err() {
        return 0;
    }
    memchr::memchr_iter(b'\n', &head).count() as u64 + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::replay;
    use crate::journal::test_support::*;
    use std::io::Write;

    fn journal_with(entries: &[Entry]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        write_journal(&path, entries);
        (dir, path)
    }

    fn append_raw(path: &Path, bytes: &[u8]) {
        let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
        f.write_all(bytes).unwrap();
    }

    #[test]
    fn headers_are_read_without_replaying_at_any_chunk_size() {
        let mut entries = sample_entries();
        entries.push(Entry::Header(header(2)));
        entries.push(created("late@example.com", 9, "c_9"));
        let (_dir, path) = journal_with(&entries);
        // A torn header at the end (a crash mid-write) is not a header.
        let torn = serde_json::to_string(&Entry::Header(header(3))).unwrap();
        append_raw(&path, &torn.as_bytes()[..torn.len() / 2]);
        let full = replay(&path).unwrap().headers;
        assert_eq!(full.len(), 2);
        for chunk in [1, 7, 64, 1 << 20] {
            assert_eq!(
                headers_chunked(&path, chunk).unwrap(),
                full,
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn a_header_line_that_does_not_parse_is_named_by_its_line() {
        let (_dir, path) = journal_with(&sample_entries());
        let lines = replay(&path).unwrap().lines;
        append_raw(&path, b"{\"type\":\"header\",\"version\":\"x\"}\n");
        for chunk in [3, 1 << 20] {
            match headers_chunked(&path, chunk) {
                Err(JournalError::Corrupt { line, .. }) => assert_eq!(line, lines + 1),
                other => panic!("expected Corrupt, got {other:?}"),
            }
        }
    }
}
