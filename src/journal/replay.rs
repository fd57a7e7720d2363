//! Reading a journal back: the state of every record key (the last line about
//! it wins), the run headers, and whether the last line was torn by a crash.

use std::fs::File;
use std::io::{BufRead, Read};
use std::path::Path;
use std::sync::mpsc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::JournalError;
use super::entry::{Entry, Header, LStr, Reason, Stage, VERSION, ms_time};

/// What the journal says about one record key: its last line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RecordState {
    /// Sent with no outcome yet: in doubt.
    Sent {
        /// When the request was about to go out.
        at: DateTime<Utc>,
        /// Record number in the input.
        record: u64,
        /// Line number in the input.
        line: u64,
        /// The batch it went out in.
        batch: u64,
    },
    /// Stored by the platform (final).
    Created {
        /// The platform's id.
        id: String,
        /// Normalised email, when the record had one.
        email: Option<String>,
        /// Normalised phone, when the record had one.
        phone: Option<String>,
        /// Record number in the input.
        record: u64,
        /// Line number in the input.
        line: u64,
    },
    /// Already in the platform (final).
    Exists {
        /// The platform's id, when known.
        id: Option<String>,
        /// Record number in the input.
        record: u64,
        /// Line number in the input.
        line: u64,
    },
    /// Refused by validation or by the platform (final).
    Rejected {
        /// The record's email, when the line names it.
        email: Option<String>,
        /// The record's phone, when the line names it.
        phone: Option<String>,
        /// Who refused it.
        stage: Stage,
        /// Why.
        reasons: Vec<Reason>,
        /// Record number in the input.
        record: u64,
        /// Line number in the input.
        line: u64,
    },
    /// Failed after retries; a resume sends it again.
    Failed {
        /// The last error.
        reason: String,
        /// Record number in the input.
        record: u64,
        /// Line number in the input.
        line: u64,
    },
    /// Explicitly journaled as in doubt.
    InDoubt {
        /// Why it is in doubt.
        reason: String,
        /// When it was last sent (the `sent` line before it; the run's start
        /// if there was none).
        at: DateTime<Utc>,
        /// Record number in the input.
        record: u64,
        /// Line number in the input.
        line: u64,
    },
}

impl RecordState {
    /// Created, exists or rejected: a resume never sends it again.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            RecordState::Created { .. } | RecordState::Exists { .. } | RecordState::Rejected { .. }
        )
    }

    /// Sent without an outcome, or explicitly in doubt.
    pub fn is_in_doubt(&self) -> bool {
        matches!(self, RecordState::Sent { .. } | RecordState::InDoubt { .. })
    }

    /// The record's number in the input, from the last line about it.
    pub fn record(&self) -> u64 {
        match self {
            RecordState::Sent { record, .. }
            | RecordState::Created { record, .. }
            | RecordState::Exists { record, .. }
            | RecordState::Rejected { record, .. }
            | RecordState::Failed { record, .. }
            | RecordState::InDoubt { record, .. } => *record,
        }
    }

    /// The record's line in the input, from the last line about it.
    pub fn line(&self) -> u64 {
        match self {
            RecordState::Sent { line, .. }
            | RecordState::Created { line, .. }
            | RecordState::Exists { line, .. }
            | RecordState::Rejected { line, .. }
            | RecordState::Failed { line, .. }
            | RecordState::InDoubt { line, .. } => *line,
        }
    }
}

/// How many record keys are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Created by the platform.
    pub created: u64,
    /// Already in the platform.
    pub exists: u64,
    /// Refused (validation or platform).
    pub rejected: u64,
    /// Failed after retries (retryable).
    pub failed: u64,
    /// Sent without an outcome, or explicitly in doubt.
    pub in_doubt: u64,
}

/// Record key → state. Keys are hashed with foldhash: the journal is
/// storeload's own file, so SipHash's defence against crafted keys buys
/// nothing here, and it cost a tenth of a million-record resume.
/// (hashbrown's map: `entry_ref` hashes a key once and copies it only when
/// it is new.)
pub type States = hashbrown::HashMap<String, RecordState, foldhash::fast::RandomState>;

/// Everything a journal says, as of its last complete line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replay {
    /// Every run's header, in order.
    pub headers: Vec<Header>,
    /// The state of every record key: the last line about it.
    pub records: States,
    /// The last line was incomplete (a crash mid-write) and was ignored.
    pub torn_tail: bool,
    /// Complete lines read (not counting a torn tail).
    pub lines: u64,
    /// The last run wrote its `end` line (it finished, or stopped cleanly).
    pub ended: bool,
}

impl Replay {
    /// How many keys are in each state.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for state in self.records.values() {
            match state {
                RecordState::Created { .. } => c.created += 1,
                RecordState::Exists { .. } => c.exists += 1,
                RecordState::Rejected { .. } => c.rejected += 1,
                RecordState::Failed { .. } => c.failed += 1,
                RecordState::Sent { .. } | RecordState::InDoubt { .. } => c.in_doubt += 1,
            }
        }
        c
    }

    /// The first run's header (the journal's origin).
    pub fn header(&self) -> Option<&Header> {
        self.headers.first()
    }

    /// The most recent run's header.
    pub fn latest_header(&self) -> Option<&Header> {
        self.headers.last()
    }

    /// The `run` number the next header appended to this journal should carry.
    pub fn next_run(&self) -> u32 {
        self.headers.iter().map(|h| h.run).max().unwrap_or(0) + 1
    }
}

/// Source key → platform id for every created record and every existing one
/// with a known id, sorted by record number (then key).
pub fn ids(replay: &Replay) -> impl Iterator<Item = (&str, &str)> {
    let mut v: Vec<(u64, &str, &str)> = replay
        .records
        .iter()
        .filter_map(|(key, state)| match state {
            RecordState::Created { id, record, .. }
            | RecordState::Exists {
                id: Some(id),
                record,
                ..
            } => Some((*record, key.as_str(), id.as_str())),
            _ => None,
        })
        .collect();
    v.sort_unstable();
    v.into_iter().map(|(_, key, id)| (key, id))
}

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
    let mut file = File::open(path).map_err(|e| JournalError::io(path, "open", e))?;
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

/// Reads a whole journal. A torn last line is ignored (see
/// [`Replay::torn_tail`]); any other bad line is an error naming it.
pub fn replay(path: &Path) -> Result<Replay, JournalError> {
    let file = File::open(path).map_err(|e| JournalError::io(path, "open", e))?;
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
struct Tuning {
    chunk: usize,
    threaded: bool,
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

fn read_tuned<R: Read + Send>(
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

/// The ops of one chunk of lines, their keys packed in one string: a key is
/// only copied into its own `String` when it is new to the replay.
#[derive(Debug, Default, PartialEq)]
struct Batch {
    keys: String,
    ops: Vec<Op>,
}

/// Where a key is in [`Batch::keys`].
type Span = std::ops::Range<usize>;

impl Batch {
    /// Stores `key`, returning where it is.
    fn key(&mut self, key: &str) -> Span {
        let start = self.keys.len();
        self.keys.push_str(key);
        start..self.keys.len()
    }

    /// The parse position, to roll back to if a line is not taken after all.
    fn mark(&self) -> (usize, usize) {
        (self.keys.len(), self.ops.len())
    }

    /// Forgets everything after `mark`.
    fn rollback(&mut self, (keys, ops): (usize, usize)) {
        self.keys.truncate(keys);
        self.ops.truncate(ops);
    }
}

/// One state change, parsed and checked, ready to apply in file order.
#[derive(Debug, PartialEq)]
enum Op {
    /// A run's header.
    Header(Box<Header>),
    /// A run's `end` line.
    End,
    /// The key's state becomes this.
    Set(Span, RecordState),
    /// An `in_doubt` line: its `at` depends on the key's state before it.
    InDoubt {
        key: Span,
        reason: String,
        record: u64,
        line: u64,
    },
}

/// Applies a batch to the replay, in order (the last line wins), and empties
/// it for reuse.
fn apply(replay: &mut Replay, batch: &mut Batch) {
    /// The key's state becomes `state`; the key is copied only when new.
    fn set(records: &mut States, key: &str, state: RecordState) {
        match records.entry_ref(key) {
            hashbrown::hash_map::EntryRef::Occupied(mut o) => {
                o.insert(state);
            }
            hashbrown::hash_map::EntryRef::Vacant(v) => {
                v.insert(state);
            }
        }
    }
    for op in batch.ops.drain(..) {
        match op {
            Op::Header(h) => {
                replay.headers.push(*h);
                replay.ended = false;
            }
            Op::End => replay.ended = true,
            Op::Set(key, state) => set(&mut replay.records, &batch.keys[key], state),
            Op::InDoubt {
                key,
                reason,
                record,
                line,
            } => {
                let key = &batch.keys[key];
                // Keep when it was last sent, for lookups that must tell a
                // record created by that request from an older one.
                let at = match replay.records.get(key) {
                    Some(RecordState::Sent { at, .. } | RecordState::InDoubt { at, .. }) => *at,
                    _ => replay
                        .headers
                        .last()
                        .map(|h| h.started_at)
                        .unwrap_or_default(),
                };
                let state = RecordState::InDoubt {
                    reason,
                    at,
                    record,
                    line,
                };
                set(&mut replay.records, key, state);
            }
        }
    }
    batch.keys.clear();
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

/// Why a line was refused.
enum Bad {
    /// Not JSON: torn if it is the very last line, corrupt otherwise.
    Syntax(serde_json::Error),
    /// Any other problem: always an error.
    Line(JournalError),
}

/// Turns one line into ops, checking it; knows its line number.
struct LineParser<'p> {
    path: &'p Path,
    line_no: u64,
}

/// A required field of a line, or the problem naming it.
fn need<T>(v: Option<T>, ty: &str, field: &str) -> Result<T, String> {
    v.ok_or_else(|| format!("a {ty:?} line without {field:?}"))
}

/// serde_json's message without its "at line 1 column N" (every line is
/// parsed alone), with the column kept.
fn json_problem(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match text.strip_suffix(&suffix) {
        Some(message) if e.column() > 0 => format!("{message} (column {})", e.column()),
        Some(message) => message.to_owned(),
        None => text,
    }
}

/// An owned copy of an optional borrowed string.
fn owned(s: Option<LStr<'_>>) -> Option<String> {
    s.map(|s| s.0.into_owned())
}

impl LineParser<'_> {
    fn corrupt(&self, problem: String) -> JournalError {
        JournalError::Corrupt {
            path: self.path.to_path_buf(),
            line: self.line_no,
            problem,
        }
    }

    fn parse(&self, body: &[u8], b: &mut Batch) -> Result<(), Bad> {
        // Line 1 must be a header, which the fast path never accepts.
        if self.line_no > 1 && fast::line(body, b).is_some() {
            return Ok(());
        }
        self.slow(body, b)
    }

    /// Any line, through serde.
    fn slow(&self, body: &[u8], b: &mut Batch) -> Result<(), Bad> {
        let raw = match serde_json::from_slice::<RawLine>(body) {
            Ok(raw) => raw,
            Err(e) if e.is_syntax() || e.is_eof() => return Err(Bad::Syntax(e)),
            Err(e) => return Err(Bad::Line(self.corrupt(json_problem(&e)))),
        };
        let ty: &str = &raw.ty;
        if self.line_no == 1 && ty != "header" {
            return Err(Bad::Line(JournalError::NotHeader {
                path: self.path.to_path_buf(),
                found: ty.to_owned(),
            }));
        }
        let result = match ty {
            "header" => self.header(raw.version, body, b),
            "end" => {
                b.ops.push(Op::End);
                Ok(())
            }
            "sent" => self.sent(raw, b),
            "created" | "exists" | "rejected" | "failed" | "in_doubt" => self.outcome(raw, b),
            _ => {
                return Err(Bad::Line(JournalError::UnknownType {
                    path: self.path.to_path_buf(),
                    line: self.line_no,
                    found: ty.to_owned(),
                }));
            }
        };
        result.map_err(Bad::Line)
    }

    fn header(&self, version: Option<u64>, body: &[u8], b: &mut Batch) -> Result<(), JournalError> {
        let version = need(version, "header", "version").map_err(|p| self.corrupt(p))?;
        if version > u64::from(VERSION) {
            return Err(JournalError::NewerVersion {
                path: self.path.to_path_buf(),
                line: self.line_no,
                version,
            });
        }
        if version == 0 {
            return Err(self.corrupt("header version 0 does not exist".into()));
        }
        match serde_json::from_slice::<Entry>(body) {
            Ok(Entry::Header(h)) => {
                b.ops.push(Op::Header(Box::new(h)));
                Ok(())
            }
            Ok(_) => Err(self.corrupt("not a header".into())),
            Err(e) => Err(self.corrupt(json_problem(&e))),
        }
    }

    fn sent(&self, raw: RawLine<'_>, b: &mut Batch) -> Result<(), JournalError> {
        let checked = || -> Result<_, String> {
            let at = ms_time::parse(&need(raw.at, "sent", "at")?)?;
            let batch = need(raw.batch, "sent", "batch")?;
            Ok((at, batch, need(raw.records, "sent", "records")?))
        };
        let (at, batch, records) = checked().map_err(|p| self.corrupt(p))?;
        for r in records {
            let state = RecordState::Sent {
                at,
                record: r.record,
                line: r.line,
                batch,
            };
            let key = b.key(&r.key);
            b.ops.push(Op::Set(key, state));
        }
        Ok(())
    }

    fn outcome(&self, raw: RawLine<'_>, b: &mut Batch) -> Result<(), JournalError> {
        let checked = || -> Result<Op, String> {
            let ty: &str = &raw.ty;
            let key = b.key(&need(raw.key, ty, "key")?);
            let record = need(raw.record, ty, "record")?;
            let line = need(raw.line, ty, "line")?;
            let state = match ty {
                "created" => RecordState::Created {
                    id: need(raw.id, ty, "id")?.0.into_owned(),
                    email: owned(raw.email),
                    phone: owned(raw.phone),
                    record,
                    line,
                },
                "exists" => {
                    need(raw.reason.as_ref(), ty, "reason")?;
                    RecordState::Exists {
                        id: owned(raw.id),
                        record,
                        line,
                    }
                }
                "rejected" => RecordState::Rejected {
                    email: owned(raw.email),
                    phone: owned(raw.phone),
                    stage: need(raw.stage, ty, "stage")?,
                    reasons: need(raw.reasons, ty, "reasons")?,
                    record,
                    line,
                },
                "failed" => RecordState::Failed {
                    reason: need(raw.reason, ty, "reason")?.0.into_owned(),
                    record,
                    line,
                },
                _ => {
                    return Ok(Op::InDoubt {
                        key,
                        reason: need(raw.reason, ty, "reason")?.0.into_owned(),
                        record,
                        line,
                    });
                }
            };
            Ok(Op::Set(key, state))
        };
        let op = checked().map_err(|p| self.corrupt(p))?;
        b.ops.push(op);
        Ok(())
    }
}

/// The fast path for the two lines that make up nearly every journal,
/// `sent` and `created`, exactly as [`Journal`](super::Journal) writes them
/// (serde's field order, no escapes, no spaces). Anything else — escapes,
/// other field orders, whitespace, odd numbers — returns `None`, having added
/// no op, and the line goes through serde, which also reports its errors.
mod fast {
    use super::{Batch, Op, RecordState, ms_time};

    /// Parses a canonical `sent` or `created` line into `ops`.
    pub(super) fn line(body: &[u8], b: &mut Batch) -> Option<()> {
        let mut c = Cur { b: body, i: 0 };
        let before = b.mark();
        let parsed = if c.lit(br#"{"type":"created","key":""#) {
            created(&mut c, b)
        } else if c.lit(br#"{"type":"sent","batch":"#) {
            sent(&mut c, b)
        } else {
            None
        };
        if parsed.is_none() {
            b.rollback(before);
        }
        parsed
    }

    fn created(c: &mut Cur<'_>, b: &mut Batch) -> Option<()> {
        let key = c.str()?;
        c.need(br#","record":"#)?;
        let record = c.u64()?;
        c.need(br#","line":"#)?;
        let line = c.u64()?;
        c.need(br#","id":""#)?;
        let id = c.str()?.to_owned();
        let email = if c.lit(br#","email":""#) {
            Some(c.str()?.to_owned())
        } else {
            None
        };
        let phone = if c.lit(br#","phone":""#) {
            Some(c.str()?.to_owned())
        } else {
            None
        };
        c.need(b"}")?;
        c.end()?;
        let state = RecordState::Created {
            id,
            email,
            phone,
            record,
            line,
        };
        let key = b.key(key);
        b.ops.push(Op::Set(key, state));
        Some(())
    }

    fn sent(c: &mut Cur<'_>, b: &mut Batch) -> Option<()> {
        let batch = c.u64()?;
        c.need(br#","at":""#)?;
        let at = ms_time::parse(c.str()?).ok()?;
        c.need(br#","records":["#)?;
        if !c.lit(b"]") {
            loop {
                c.need(br#"{"key":""#)?;
                let key = c.str()?;
                c.need(br#","record":"#)?;
                let record = c.u64()?;
                c.need(br#","line":"#)?;
                let line = c.u64()?;
                c.need(b"}")?;
                let state = RecordState::Sent {
                    at,
                    record,
                    line,
                    batch,
                };
                let key = b.key(key);
                b.ops.push(Op::Set(key, state));
                if !c.lit(b",") {
                    break;
                }
            }
            c.need(b"]")?;
        }
        c.need(b"}")?;
        c.end()
    }

    /// A cursor over one line.
    struct Cur<'a> {
        b: &'a [u8],
        i: usize,
    }

    impl<'a> Cur<'a> {
        /// Consumes `s` if the line continues with it.
        fn lit(&mut self, s: &[u8]) -> bool {
            let found = self.b[self.i..].starts_with(s);
            if found {
                self.i += s.len();
            }
            found
        }

        /// Consumes `s`, or gives up on the line.
        fn need(&mut self, s: &[u8]) -> Option<()> {
            self.lit(s).then_some(())
        }

        /// The rest of a string whose opening quote was consumed, up to its
        /// closing quote; `None` at an escape or a control character (let
        /// serde unescape or refuse it) or invalid UTF-8.
        fn str(&mut self) -> Option<&'a str> {
            let rest = &self.b[self.i..];
            let end = rest
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
            if rest[end] != b'"' {
                return None;
            }
            let s = std::str::from_utf8(&rest[..end]).ok()?;
            self.i += end + 1;
            Some(s)
        }

        /// A JSON unsigned integer of at most 19 digits (always fits a u64),
        /// without a leading zero.
        fn u64(&mut self) -> Option<u64> {
            let rest = &self.b[self.i..];
            let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 || n > 19 || (n > 1 && rest[0] == b'0') {
                return None;
            }
            // A fraction or exponent is not an integer here: serde decides.
            if matches!(rest.get(n), Some(b'.' | b'e' | b'E')) {
                return None;
            }
            self.i += n;
            Some(
                rest[..n]
                    .iter()
                    .fold(0u64, |v, &d| v * 10 + u64::from(d - b'0')),
            )
        }

        /// Succeeds at the end of the line.
        fn end(&self) -> Option<()> {
            (self.i == self.b.len()).then_some(())
        }
    }
}

/// One line, every entry type's fields flattened, strings borrowed: the fast
/// path. Unknown fields (header and end payloads) are skipped unparsed.
#[derive(Deserialize)]
struct RawLine<'a> {
    #[serde(rename = "type", borrow)]
    ty: LStr<'a>,
    #[serde(borrow)]
    key: Option<LStr<'a>>,
    record: Option<u64>,
    line: Option<u64>,
    #[serde(borrow)]
    id: Option<LStr<'a>>,
    #[serde(borrow)]
    email: Option<LStr<'a>>,
    #[serde(borrow)]
    phone: Option<LStr<'a>>,
    #[serde(borrow)]
    reason: Option<LStr<'a>>,
    stage: Option<Stage>,
    reasons: Option<Vec<Reason>>,
    batch: Option<u64>,
    #[serde(borrow)]
    at: Option<LStr<'a>>,
    #[serde(borrow)]
    records: Option<Vec<RawSent<'a>>>,
    version: Option<u64>,
}

/// One record of a `sent` line, borrowed.
#[derive(Deserialize)]
struct RawSent<'a> {
    #[serde(borrow)]
    key: LStr<'a>,
    record: u64,
    line: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::test_support::*;
    use crate::journal::{
        Created, End, Exists, Failed, InDoubt, Journal, Rejected, Sent, SentRecord,
    };
    use proptest::prelude::*;
    use std::io::Write;

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
        assert_eq!(r.lines, 8);
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
            r.counts(),
            Counts {
                created: 1,
                exists: 1,
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
    fn is_final_covers_created_exists_and_rejected_only() {
        let (_d, path) = journal_with(&sample_entries());
        let r = replay(&path).unwrap();
        let finals: Vec<bool> = [
            "ann@x.com",
            "bob@x.com",
            "carl \"the\" \\ \n key",
            "dora@x.com",
            "+15551234",
        ]
        .iter()
        .map(|k| r.records[*k].is_final())
        .collect();
        assert_eq!(finals, [true, true, true, false, false]);
    }

    #[test]
    fn ids_lists_created_and_known_existing_records_by_record_number() {
        let (_d, path) = journal_with(&[
            Entry::Header(header(1)),
            created("c", 30, "300"),
            created("a", 10, "100"),
            Entry::Exists(Exists {
                key: "b".into(),
                record: 20,
                line: 21,
                id: Some("200".into()),
                reason: "taken".into(),
                lookups: vec![],
            }),
            Entry::Exists(Exists {
                key: "d".into(),
                record: 5,
                line: 6,
                id: None,
                reason: "taken".into(),
                lookups: vec![],
            }),
            failed("e", 1),
        ]);
        let r = replay(&path).unwrap();
        let got: Vec<(&str, &str)> = ids(&r).collect();
        assert_eq!(got, [("a", "100"), ("b", "200"), ("c", "300")]);
    }

    #[test]
    fn header_is_the_first_run_and_latest_header_the_last() {
        let (_d, path) = journal_with(&[
            Entry::Header(header(1)),
            created("a", 1, "1"),
            Entry::Header(header(2)),
            Entry::End(End {
                at: at_ms(1),
                summary: serde_json::json!({}),
            }),
        ]);
        let r = replay(&path).unwrap();
        assert_eq!(r.header().unwrap().run, 1);
        assert_eq!(r.latest_header().unwrap().run, 2);
        assert_eq!(r.next_run(), 3);
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

    fn lp() -> LineParser<'static> {
        LineParser {
            path: Path::new("mem.jsonl"),
            line_no: 2,
        }
    }

    fn slow_ops(line: &str) -> Batch {
        let mut b = Batch::default();
        if lp().slow(line.as_bytes(), &mut b).is_err() {
            panic!("serde refused {line}");
        }
        b
    }

    #[test]
    fn the_fast_path_reads_canonical_lines_exactly_as_serde_does() {
        let lines = [
            serde_json::to_string(&sent(3, 1_700_000_000_001, &["a@x.com", "b@x.com"], 40))
                .unwrap(),
            serde_json::to_string(&sent(4, 1_700_000_000_001, &[], 0)).unwrap(),
            serde_json::to_string(&created("a@x.com", 40, "9001")).unwrap(),
            serde_json::to_string(&sample_entries()[2]).unwrap(),
            r#"{"type":"created","key":"é€","record":18446744073709551,"line":0,"id":"x"}"#.into(),
            r#"{"type":"created","key":"","record":1,"line":2,"id":"","phone":"+1"}"#.into(),
        ];
        for line in &lines {
            let mut fast_ops = Batch::default();
            assert!(
                fast::line(line.as_bytes(), &mut fast_ops).is_some(),
                "fast path takes {line}"
            );
            assert_eq!(fast_ops, slow_ops(line), "{line}");
        }
    }

    #[test]
    fn the_fast_path_leaves_every_unusual_line_to_serde() {
        let lines = [
            r#"{"type":"created","key":"a\"b","record":1,"line":2,"id":"1"}"#, // escape
            r#"{"type":"created","key":"a","record":1,"line":2,"id":"1"} "#,   // trailing space
            r#"{"type":"created", "key":"a","record":1,"line":2,"id":"1"}"#,   // inner space
            r#"{"type":"created","key":"a","line":2,"record":1,"id":"1"}"#,    // field order
            r#"{"type":"created","key":"a","record":1,"line":2,"id":"1","x":1}"#, // extra field
            r#"{"type":"created","key":"a","record":18446744073709551615,"line":2,"id":"1"}"#, // 20 digits
            r#"{"type":"sent","batch":1,"at":"2023-11-14T22:13:20+01:00","records":[{"key":"a","record":1,"line":2}],"x":0}"#,
            r#"{"type":"failed","key":"a","record":1,"line":2,"reason":"r"}"#, // not a fast type
        ];
        for line in lines {
            let mut b = Batch::default();
            assert!(fast::line(line.as_bytes(), &mut b).is_none(), "{line}");
            assert_eq!(b, Batch::default(), "nothing half-parsed is kept: {line}");
            assert!(!slow_ops(line).ops.is_empty(), "{line}");
        }
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

    // ---- property tests -------------------------------------------------

    /// The rule, stated independently of the fast path: fold the entries.
    fn model(entries: &[Entry]) -> Replay {
        let mut r = Replay::default();
        for e in entries {
            let (key, state) = match e {
                Entry::Header(h) => {
                    r.headers.push(h.clone());
                    r.ended = false;
                    continue;
                }
                Entry::End(_) => {
                    r.ended = true;
                    continue;
                }
                Entry::Sent(s) => {
                    for x in &s.records {
                        r.records.insert(
                            x.key.clone(),
                            RecordState::Sent {
                                at: s.at,
                                record: x.record,
                                line: x.line,
                                batch: s.batch,
                            },
                        );
                    }
                    continue;
                }
                Entry::Created(c) => (
                    &c.key,
                    RecordState::Created {
                        id: c.id.clone(),
                        email: c.email.clone(),
                        phone: c.phone.clone(),
                        record: c.record,
                        line: c.line,
                    },
                ),
                Entry::Exists(x) => (
                    &x.key,
                    RecordState::Exists {
                        id: x.id.clone(),
                        record: x.record,
                        line: x.line,
                    },
                ),
                Entry::Rejected(x) => (
                    &x.key,
                    RecordState::Rejected {
                        email: x.email.clone(),
                        phone: x.phone.clone(),
                        stage: x.stage,
                        reasons: x.reasons.clone(),
                        record: x.record,
                        line: x.line,
                    },
                ),
                Entry::Failed(x) => (
                    &x.key,
                    RecordState::Failed {
                        reason: x.reason.clone(),
                        record: x.record,
                        line: x.line,
                    },
                ),
                Entry::InDoubt(x) => {
                    let at = match r.records.get(&x.key) {
                        Some(RecordState::Sent { at, .. } | RecordState::InDoubt { at, .. }) => *at,
                        _ => r.headers.last().unwrap().started_at,
                    };
                    (
                        &x.key,
                        RecordState::InDoubt {
                            reason: x.reason.clone(),
                            at,
                            record: x.record,
                            line: x.line,
                        },
                    )
                }
            };
            r.records.insert(key.clone(), state);
        }
        r.lines = entries.len() as u64;
        r
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("ann@x.com".to_owned()),
            Just("+4915112345678".to_owned()),
            Just("quote\"back\\slash\nnew é €".to_owned()),
            "[a-z@.\"\\\\é ]{0,6}",
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        "[ -~é\n\t\"\\\\]{0,12}"
    }

    fn entry() -> impl Strategy<Value = Entry> {
        let ms = 0i64..4_000_000_000_000;
        prop_oneof![
            (1u32..5, ms.clone()).prop_map(|(run, ms)| {
                let mut h = header(run);
                h.started_at = at_ms(ms);
                Entry::Header(h)
            }),
            (
                any::<u64>(),
                ms.clone(),
                prop::collection::vec((key(), any::<u64>(), any::<u64>()), 0..4)
            )
                .prop_map(|(batch, ms, recs)| Entry::Sent(Sent {
                    batch,
                    at: at_ms(ms),
                    records: recs
                        .into_iter()
                        .map(|(key, record, line)| SentRecord { key, record, line })
                        .collect(),
                    lookups: vec![],
                })),
            (
                key(),
                any::<u64>(),
                any::<u64>(),
                text(),
                prop::option::of(text()),
                prop::option::of(text())
            )
                .prop_map(|(key, record, line, id, email, phone)| Entry::Created(
                    Created {
                        key,
                        record,
                        line,
                        id,
                        email,
                        phone,
                        lookups: vec![],
                    }
                )),
            (
                key(),
                any::<u64>(),
                any::<u64>(),
                prop::option::of(text()),
                text()
            )
                .prop_map(|(key, record, line, id, reason)| Entry::Exists(Exists {
                    key,
                    record,
                    line,
                    id,
                    reason,
                    lookups: vec![],
                })),
            (
                key(),
                any::<u64>(),
                any::<u64>(),
                any::<bool>(),
                prop::collection::vec((text(), text(), text()), 0..3)
            )
                .prop_map(|(key, record, line, v, reasons)| Entry::Rejected(
                    Rejected {
                        email: v.then(|| format!("{key}@x.com")),
                        phone: None,
                        key,
                        record,
                        line,
                        stage: if v { Stage::Validate } else { Stage::Platform },
                        reasons: reasons
                            .into_iter()
                            .map(|(field, rule, message)| Reason {
                                field,
                                rule,
                                message
                            })
                            .collect(),
                    }
                )),
            (key(), any::<u64>(), any::<u64>(), text()).prop_map(|(key, record, line, reason)| {
                Entry::Failed(Failed {
                    key,
                    record,
                    line,
                    reason,
                })
            }),
            (key(), any::<u64>(), any::<u64>(), text()).prop_map(|(key, record, line, reason)| {
                Entry::InDoubt(InDoubt {
                    key,
                    record,
                    line,
                    reason,
                    lookups: vec![],
                })
            }),
            (ms, text()).prop_map(|(ms, s)| Entry::End(End {
                at: at_ms(ms),
                summary: serde_json::json!({ "note": s }),
            })),
        ]
    }

    /// A header, then any entries.
    fn journal_entries() -> impl Strategy<Value = Vec<Entry>> {
        prop::collection::vec(entry(), 0..12).prop_map(|mut v| {
            v.insert(0, Entry::Header(header(1)));
            v
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_sequence_of_entries_survives_write_and_replay(entries in journal_entries()) {
            let (_d, path) = journal_with(&entries);
            let r = replay(&path).unwrap();
            prop_assert_eq!(r, model(&entries));
        }

        #[test]
        fn read_chunk_sizes_and_the_parser_thread_never_change_the_replay(
            entries in journal_entries(),
            chunk in 1usize..300,
            threaded in any::<bool>(),
            cut in any::<prop::sample::Index>(),
        ) {
            let (_d, path) = journal_with(&entries);
            let bytes = std::fs::read(&path).unwrap();
            let part = &bytes[..cut.index(bytes.len() + 1)];
            let (want, want_valid) = replay_bytes(part).unwrap();
            let (got, valid) = replay_chunked(part, chunk, threaded).unwrap();
            prop_assert_eq!(got, want);
            prop_assert_eq!(valid, want_valid);
        }

        #[test]
        fn a_journal_cut_at_any_byte_replays_to_a_prefix_of_its_states(
            entries in journal_entries(),
            cut in any::<prop::sample::Index>(),
        ) {
            let (_d, path) = journal_with(&entries);
            let bytes = std::fs::read(&path).unwrap();
            for n in 0..=bytes.len() {
                let part = &bytes[..n];
                let complete = part.iter().filter(|b| **b == b'\n').count();
                let (r, valid) = replay_bytes(part).unwrap();
                let mut want = model(&entries[..complete]);
                want.torn_tail = n > 0 && part[n - 1] != b'\n';
                prop_assert_eq!(&r, &want, "cut at byte {}", n);
                prop_assert_eq!(valid as usize, part.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1));
            }

            // And on disk: cut, open for appending, append, replay everything.
            let n = cut.index(bytes.len() + 1);
            std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(n as u64).unwrap();
            let (mut j, before) = Journal::open_append(&path).unwrap();
            let mut kept: Vec<Entry> = entries[..before.lines as usize].to_vec();
            if before.headers.is_empty() {
                kept.push(Entry::Header(header(1)));
                j.append(&Entry::Header(header(1))).unwrap();
            }
            let extra = created("appended@x.com", 7, "70");
            j.append(&extra).unwrap();
            j.commit().unwrap();
            drop(j);
            kept.push(extra);
            prop_assert_eq!(replay(&path).unwrap(), model(&kept));
        }
    }
}
