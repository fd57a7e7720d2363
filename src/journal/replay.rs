//! Reading a journal back into its [`Replay`]: the file is read in chunks,
//! every complete line parsed (`line.rs`, `fast.rs`) into a batch of state
//! changes and applied in order (`ops.rs`); a large file is parsed on a
//! second thread while this one applies. A torn last line (a crash
//! mid-write) is ignored and reported; any other bad line is an error
//! naming it.
//!
//! The state model is in [`state`](super::state), the header scan in
//! `headers.rs`, the property tests in `replay_props.rs`.

use std::io::{BufRead, Read};
use std::path::Path;
use std::sync::mpsc;

use super::JournalError;
use super::line::{Bad, LineParser, json_problem};
use super::ops::{Batch, apply};
use super::state::{Replay, States};

/// Reads a whole journal. A torn last line is ignored (see
/// [`Replay::torn_tail`]); any other bad line is an error naming it.
pub fn replay(path: &Path) -> Result<Replay, JournalError> {
    let file = super::open_file(path)?;
    let len = file
        .metadata()
        .map_err(|e| JournalError::io(path, "read the size of", e))?
        .len();
    Ok(read(file, path, len)?.0)
}

/// Input above this size is parsed on a second thread while this one
/// applies: parsing and the map updates each take about half the time.
const THREAD_ABOVE: u64 = 2 << 20;

/// Bytes read (and parsed into one batch of ops) at a time.
const CHUNK: usize = 2 << 20;

/// How [`read`] splits its work; tests force tiny chunks and the thread.
#[derive(Debug, Clone, Copy)]
pub(super) struct Tuning {
    /// Bytes read (and parsed into one batch) at a time.
    pub(super) chunk: usize,
    /// Parse on a second thread while this one applies.
    pub(super) threaded: bool,
}

/// Replays from `input` (`len` is a size hint), returning the replay and the
/// byte length of the complete lines (where appending may resume).
pub(super) fn read<R: Read + Send>(
    input: R,
    path: &Path,
    len: u64,
) -> Result<(Replay, u64), JournalError> {
    let tuning = Tuning {
        chunk: CHUNK,
        threaded: len > THREAD_ABOVE,
    };
    read_tuned(input, path, len, tuning)
}

pub(super) fn read_tuned<R: Read + Send>(
    mut input: R,
    path: &Path,
    len: u64,
    tuning: Tuning,
) -> Result<(Replay, u64), JournalError> {
    // Typical journals spend ~150-200 bytes per record (sent + outcome);
    // reserving avoids growing a large map again and again.
    let guess = usize::try_from(len / 192).unwrap_or(0).min(1 << 24);
    let mut replay = Replay {
        records: States::with_capacity_and_hasher(guess, Default::default()),
        ..Replay::default()
    };
    let chunk = tuning.chunk.max(1);
    let end = if tuning.threaded {
        std::thread::scope(|scope| {
            // Filled batches go to this thread; emptied ones go back to be
            // refilled, so their buffers are allocated (and freed) once.
            let (full_tx, full_rx) = mpsc::sync_channel::<Batch>(2);
            let (empty_tx, empty_rx) = mpsc::channel::<Batch>();
            let input = &mut input;
            let parser = std::thread::Builder::new()
                .name("storeload-replay".into())
                .spawn_scoped(scope, move || {
                    parse(input, path, chunk, |batch| {
                        full_tx.send(batch).ok()?;
                        Some(empty_rx.try_recv().unwrap_or_default())
                    })
                });
            match parser {
                Ok(parser) => {
                    for mut batch in full_rx {
                        apply(&mut replay, &mut batch);
                        // The parser may have finished; then the batch just goes.
                        let _ = empty_tx.send(batch);
                    }
                    parser
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                }
                Err(e) => Err(JournalError::io(path, "start a thread to read", e)),
            }
        })
    } else {
        parse(&mut input, path, chunk, |mut batch| {
            apply(&mut replay, &mut batch);
            Some(batch)
        })
    }?;
    replay.lines = end.lines;
    replay.torn_tail = end.torn;
    Ok((replay, end.valid))
}

/// Where parsing stopped.
struct ParseEnd {
    /// Complete lines.
    lines: u64,
    /// Bytes of complete lines.
    valid: u64,
    /// A torn last line was ignored.
    torn: bool,
}

/// Reads `input` in chunks, turns every complete line into ops, and hands
/// each chunk's batch to `emit`, which returns an empty batch to fill next
/// (or `None` to stop).
fn parse<R: Read>(
    mut input: R,
    path: &Path,
    chunk: usize,
    mut emit: impl FnMut(Batch) -> Option<Batch>,
) -> Result<ParseEnd, JournalError> {
    let mut lp = LineParser { path, line_no: 0 };
    let mut data: Vec<u8> = Vec::with_capacity(chunk.saturating_add(64 << 10).min(64 << 20));
    let mut batch = Batch::default();
    let mut valid: u64 = 0;
    let mut eof = false;
    let read_err = |e| JournalError::io(path, "read", e);
    while !eof {
        let n = (&mut input)
            .take(chunk as u64)
            .read_to_end(&mut data)
            .map_err(read_err)?;
        eof = n == 0;
        let mut rest: &[u8] = &data;
        let mut used = 0;
        loop {
            let line_start = rest;
            let len = rest.skip_until(b'\n').map_err(read_err)?;
            if len == 0 || line_start[len - 1] != b'\n' {
                break; // an incomplete line: wait for more, or torn at EOF
            }
            lp.line_no += 1;
            match lp.parse(&line_start[..len - 1], &mut batch) {
                Ok(()) => {}
                Err(Bad::Syntax(e)) if used + len == data.len() => {
                    // Garbage after the last newline-terminated line (e.g. a
                    // zero-filled block after a crash) is torn, not corrupt —
                    // if nothing follows it.
                    let more = (&mut input)
                        .take(1)
                        .read_to_end(&mut data)
                        .map_err(read_err)?;
                    if more > 0 {
                        return Err(lp.corrupt(json_problem(&e)));
                    }
                    emit(batch);
                    return Ok(ParseEnd {
                        lines: lp.line_no - 1,
                        valid,
                        torn: true,
                    });
                }
                Err(Bad::Syntax(e)) => return Err(lp.corrupt(json_problem(&e))),
                Err(Bad::Line(e)) => return Err(e),
            }
            used += len;
            valid += len as u64;
        }
        data.drain(..used);
        if !batch.ops.is_empty() {
            let Some(next) = emit(std::mem::take(&mut batch)) else {
                break;
            };
            batch = next;
        }
    }
    Ok(ParseEnd {
        lines: lp.line_no,
        valid,
        // No newline at the end: the write of the last line never completed.
        torn: !data.is_empty(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::entry::{Entry, Stage};
    use crate::journal::fast;
    use crate::journal::state::{Counts, RecordState};
    use crate::journal::test_support::*;
    use crate::journal::{InDoubt, Journal, ids};
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

    fn replay_bytes(bytes: &[u8]) -> Result<(Replay, u64), JournalError> {
        read(bytes, Path::new("mem.jsonl"), bytes.len() as u64)
    }

    #[test]
    fn every_entry_type_replays_into_its_state() {
        let (_d, path) = journal_with(&sample_entries());
        let r = replay(&path).unwrap();
        assert_eq!(r.lines, 10);
        assert!(!r.torn_tail);
        assert_eq!(r.headers, vec![header(1)]);
        assert_eq!(
            r.records["ann@x.com"],
            RecordState::Created {
                id: "901".into(),
                email: Some("ann@x.com".into()),
                phone: Some("+4915112345678".into()),
                record: 12,
                line: 14
            }
        );
        assert_eq!(
            r.records["bob@x.com"],
            RecordState::Exists {
                id: Some("77".into()),
                record: 13,
                line: 15
            }
        );
        let RecordState::Rejected { stage, reasons, .. } = &r.records["carl \"the\" \\ \n key"]
        else {
            panic!("{:?}", r.records)
        };
        assert_eq!(*stage, Stage::Validate);
        assert_eq!(reasons[0].rule, "email.syntax");
        assert!(
            matches!(&r.records["dora@x.com"], RecordState::Failed { reason, .. } if reason.starts_with("503"))
        );
        assert!(matches!(
            &r.records["+15551234"],
            RecordState::InDoubt { record: 16, .. }
        ));
        assert_eq!(
            r.records["erin@x.com"],
            RecordState::Updated {
                id: "902".into(),
                record: 17,
                line: 19
            }
        );
        assert_eq!(
            r.records["finn@x.com"],
            RecordState::Unchanged {
                id: "903".into(),
                record: 18,
                line: 20
            }
        );
        assert_eq!(
            r.counts(),
            Counts {
                created: 1,
                exists: 1,
                updated: 1,
                unchanged: 1,
                rejected: 1,
                failed: 1,
                in_doubt: 1
            }
        );
    }

    #[test]
    fn the_last_line_about_a_key_wins() {
        let (_d, path) = journal_with(&[
            Entry::Header(header(1)),
            sent(1, 1_000, &["a"], 1),
            failed("a", 1),
            sent(2, 2_000, &["a"], 1),
        ]);
        let r = replay(&path).unwrap();
        let a = &r.records["a"];
        assert!(
            a.is_in_doubt() && !a.is_final(),
            "a sent after failed is in doubt again"
        );
        assert_eq!(
            *a,
            RecordState::Sent {
                at: at_ms(2_000),
                record: 1,
                line: 2,
                batch: 2
            }
        );

        append_raw(
            &path,
            format!(
                "{}\n",
                serde_json::to_string(&created("a", 1, "9")).unwrap()
            )
            .as_bytes(),
        );
        let r = replay(&path).unwrap();
        assert!(r.records["a"].is_final());
        assert_eq!(r.counts().created, 1);
        assert_eq!(r.counts().in_doubt, 0);
    }

    #[test]
    fn an_in_doubt_record_keeps_the_time_it_was_sent() {
        let (_d, path) = journal_with(&[
            Entry::Header(header(1)),
            sent(1, 5_000, &["a"], 1),
            Entry::InDoubt(InDoubt {
                key: "a".into(),
                record: 1,
                line: 2,
                reason: "reset".into(),
                lookups: vec![],
            }),
            Entry::InDoubt(InDoubt {
                key: "never-sent".into(),
                record: 2,
                line: 3,
                reason: "?".into(),
                lookups: vec![],
            }),
        ]);
        let r = replay(&path).unwrap();
        assert!(matches!(r.records["a"], RecordState::InDoubt { at, .. } if at == at_ms(5_000)));
        assert!(
            matches!(r.records["never-sent"], RecordState::InDoubt { at, .. } if at == header(1).started_at),
            "without a sent line, the run's start"
        );
        assert_eq!(r.counts().in_doubt, 2);
    }

    #[test]
    fn a_torn_last_line_without_newline_is_ignored_and_reported() {
        let (_d, path) = journal_with(&[Entry::Header(header(1)), created("a", 1, "1")]);
        append_raw(
            &path,
            br#"{"type":"created","key":"b","record":2,"line":3,"id":"2"}"#,
        );
        let r = replay(&path).unwrap();
        assert!(r.torn_tail, "even valid JSON without its newline is torn");
        assert_eq!(r.lines, 2);
        assert!(!r.records.contains_key("b"));
    }

    #[test]
    fn garbage_after_the_last_newline_is_a_torn_tail() {
        let (_d, path) = journal_with(&[Entry::Header(header(1)), created("a", 1, "1")]);
        append_raw(&path, b"\0\0\0\0\n");
        let r = replay(&path).unwrap();
        assert!(r.torn_tail);
        assert_eq!(r.lines, 2);
    }

    #[test]
    fn a_corrupt_middle_line_is_an_error_naming_its_line() {
        let (_d, path) = journal_with(&[Entry::Header(header(1)), created("a", 1, "1")]);
        append_raw(&path, b"{\"type\":\"created\",\"key\n");
        append_raw(
            &path,
            format!(
                "{}\n",
                serde_json::to_string(&created("b", 2, "2")).unwrap()
            )
            .as_bytes(),
        );
        let err = replay(&path).unwrap_err();
        assert!(
            matches!(err, JournalError::Corrupt { line: 3, .. }),
            "{err}"
        );
        let msg = err.to_string();
        assert!(msg.contains("j.jsonl") && msg.contains("line 3"), "{msg}");
        assert!(
            !msg.contains("line 1 column"),
            "positions are the journal's: {msg}"
        );
    }

    #[test]
    fn a_line_missing_a_required_field_is_an_error_naming_line_and_field() {
        let (_d, path) = journal_with(&[Entry::Header(header(1))]);
        append_raw(
            &path,
            b"{\"type\":\"created\",\"key\":\"a\",\"record\":1,\"line\":2}\n",
        );
        let err = replay(&path).unwrap_err();
        assert!(
            matches!(err, JournalError::Corrupt { line: 2, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("\"id\""), "{err}");
    }

    #[test]
    fn an_unknown_entry_type_is_an_error_naming_its_line() {
        let (_d, path) = journal_with(&[Entry::Header(header(1)), created("a", 1, "1")]);
        append_raw(&path, b"{\"type\":\"refunded\",\"key\":\"a\"}\n");
        let err = replay(&path).unwrap_err();
        assert!(
            matches!(&err, JournalError::UnknownType { line: 3, found, .. } if found == "refunded"),
            "{err}"
        );
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[test]
    fn a_journal_whose_first_line_is_not_a_header_is_refused() {
        let line = serde_json::to_string(&created("a", 1, "1")).unwrap();
        let err = replay_bytes(format!("{line}\n").as_bytes()).unwrap_err();
        assert!(matches!(err, JournalError::NotHeader { .. }), "{err}");
        assert!(err.to_string().contains("not a header"), "{err}");
    }

    #[test]
    fn a_header_of_a_newer_version_is_refused_as_written_by_a_newer_storeload() {
        let mut h = serde_json::to_value(Entry::Header(header(1))).unwrap();
        h["version"] = 2.into();
        h["something_new"] = "x".into();
        let err = replay_bytes(format!("{h}\n").as_bytes()).unwrap_err();
        assert!(
            matches!(
                err,
                JournalError::NewerVersion {
                    version: 2,
                    line: 1,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string().contains("written by a newer storeload"),
            "{err}"
        );
    }

    #[test]
    fn an_empty_journal_replays_to_nothing() {
        let (r, valid) = replay_bytes(b"").unwrap();
        assert_eq!(r, Replay::default());
        assert_eq!(valid, 0);
    }

    #[test]
    fn unknown_fields_of_known_types_are_ignored_for_forward_compatibility() {
        let (_d, path) = journal_with(&[Entry::Header(header(1))]);
        append_raw(&path, b"{\"line\":2,\"new\":{\"x\":[1]},\"type\":\"failed\",\"key\":\"a\",\"record\":1,\"reason\":\"r\"}\n");
        let r = replay(&path).unwrap();
        assert!(matches!(r.records["a"], RecordState::Failed { .. }));
    }

    #[test]
    fn twenty_thousand_lines_replay_to_the_right_states() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut j = Journal::create(&path, &header(1)).unwrap();
        // 5,000 batches of 2 records: sent + 2 outcomes... then 5,000 fixes.
        let mut lines = 1u64;
        for b in 0..5_000u64 {
            let (k1, k2) = (format!("a{b}@x.com"), format!("b{b}@x.com"));
            j.append(&sent(b, 1_700_000_000_000 + b as i64, &[&k1, &k2], 2 * b))
                .unwrap();
            j.append(&created(&k1, 2 * b, &b.to_string())).unwrap();
            j.append(&failed(&k2, 2 * b + 1)).unwrap();
            lines += 3;
        }
        for b in 0..5_000u64 {
            j.append(&created(
                &format!("b{b}@x.com"),
                2 * b + 1,
                &format!("x{b}"),
            ))
            .unwrap();
            lines += 1;
        }
        j.commit().unwrap();
        drop(j);
        assert_eq!(lines, 20_001);
        let r = replay(&path).unwrap();
        assert_eq!(r.lines, 20_001);
        assert_eq!(r.records.len(), 10_000);
        assert_eq!(
            r.counts(),
            Counts {
                created: 10_000,
                ..Counts::default()
            }
        );
        let got: Vec<(&str, &str)> = ids(&r).collect();
        assert_eq!(got.len(), 10_000);
        assert_eq!(got[0], ("a0@x.com", "0"));
        assert_eq!(got[1], ("b0@x.com", "x0"));
        assert_eq!(got[9_999], ("b4999@x.com", "x4999"));
    }

    /// Manual benchmark: `cargo test --release --lib journal -- --ignored --nocapture`.
    #[test]
    #[ignore = "benchmark; run in release"]
    fn a_million_outcome_lines_replay_quickly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut j = Journal::create(&path, &header(1)).unwrap();
        for b in 0..100_000u64 {
            let keys: Vec<String> = (0..10)
                .map(|i| format!("customer{}@example.com", b * 10 + i))
                .collect();
            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            j.append(&sent(b, 1_700_000_000_000, &refs, b * 10))
                .unwrap();
            for (i, k) in keys.iter().enumerate() {
                j.append(&created(
                    k,
                    b * 10 + i as u64,
                    &(b * 10 + i as u64 + 1_000_000).to_string(),
                ))
                .unwrap();
            }
        }
        j.commit().unwrap();
        drop(j);
        let size = std::fs::metadata(&path).unwrap().len();
        let t = std::time::Instant::now();
        let r = replay(&path).unwrap();
        let el = t.elapsed();
        assert_eq!(r.counts().created, 1_000_000);
        println!(
            "replayed {} lines, {} MB in {el:?}",
            r.lines,
            size / 1_000_000
        );
    }
    #[test]
    fn lines_serde_refuses_are_refused_even_when_they_look_canonical() {
        let refused = [
            "{\"type\":\"created\",\"key\":\"a\u{1}\",\"record\":1,\"line\":2,\"id\":\"1\"}", // raw control char
            r#"{"type":"created","key":"a","record":01,"line":2,"id":"1"}"#, // leading zero
            r#"{"type":"created","key":"a","record":1.5,"line":2,"id":"1"}"#, // fraction
            r#"{"type":"sent","batch":1,"at":"yesterday","records":[]}"#,    // bad time
        ];
        for line in refused {
            let text = format!(
                "{}\n{line}\n{}\n",
                serde_json::to_string(&Entry::Header(header(1))).unwrap(),
                serde_json::to_string(&created("z", 1, "1")).unwrap()
            );
            let err = replay_bytes(text.as_bytes()).unwrap_err();
            assert!(
                matches!(err, JournalError::Corrupt { line: 2, .. }),
                "{line}: {err}"
            );
        }
        let mut ops = Batch::default();
        assert!(
            fast::line(
                b"{\"type\":\"created\",\"key\":\"\xff\",\"record\":1,\"line\":2,\"id\":\"1\"}",
                &mut ops
            )
            .is_none(),
            "invalid UTF-8"
        );
    }

    fn replay_chunked(
        bytes: &[u8],
        chunk: usize,
        threaded: bool,
    ) -> Result<(Replay, u64), JournalError> {
        read_tuned(
            bytes,
            Path::new("mem.jsonl"),
            bytes.len() as u64,
            Tuning { chunk, threaded },
        )
    }

    #[test]
    fn a_corrupt_line_is_corrupt_wherever_the_read_chunks_end() {
        let mut text = String::new();
        for e in [Entry::Header(header(1)), created("a", 1, "1")] {
            text += &serde_json::to_string(&e).unwrap();
            text.push('\n');
        }
        text += "{\"type\":\"crea\n";
        text += &serde_json::to_string(&created("b", 2, "2")).unwrap();
        text.push('\n');
        for chunk in 1..=text.len() + 1 {
            for threaded in [false, true] {
                let err = replay_chunked(text.as_bytes(), chunk, threaded).unwrap_err();
                assert!(
                    matches!(err, JournalError::Corrupt { line: 3, .. }),
                    "chunk {chunk}: {err}"
                );
            }
        }
        // Without the line after it, the same garbage is a torn tail.
        let cut = &text.as_bytes()[..text.rfind("{\"type\":\"created\"").unwrap()];
        for chunk in 1..=cut.len() + 1 {
            let (r, valid) = replay_chunked(cut, chunk, chunk % 2 == 0).unwrap();
            assert!(r.torn_tail, "chunk {chunk}");
            assert_eq!(
                (r.lines, valid as usize),
                (2, text.find("{\"type\":\"crea\n").unwrap())
            );
        }
    }
}
