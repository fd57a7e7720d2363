//! The journal owns an import's append-only checkpoint log: one JSON object
//! per line (`header`, `sent`, one outcome per record, `end`), written
//! before the request it records goes out and synced by group commit (what
//! waits for its sync is the writer's choice: see [`writer`]), replayed on
//! resume into the last known state of every record key, and the source of
//! the key → platform id map.
//!
//! - [`entry`]: the line types and the input fingerprint.
//! - [`Journal`] (here): the synchronous single writer.
//! - [`replay`](mod@replay): reading a journal back, tolerant of a torn last
//!   line; its parts: [`state`] (what the journal says about each record
//!   key), `headers` (the run headers alone), `line` and `fast` (one line
//!   into state changes), `ops` (applying them in order).
//! - [`ends`]: the last run's `end` line read back (rows read, not sent).
//! - [`writer`]: [`JournalWriter`], appends on the caller's thread and
//!   group-commit syncs on a background one, for async callers.

pub mod ends;
pub mod entry;
mod fast;
mod headers;
mod line;
mod ops;
pub mod replay;
#[cfg(test)]
mod replay_props;
pub mod state;
pub mod writer;

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use thiserror::Error;

pub use entry::{
    Created, Destination, End, Entry, Exists, Failed, Header, InDoubt, InputFingerprint, Reason,
    Rejected, Sent, SentRecord, Stage, Unchanged, Updated, VERSION, fingerprint,
};
pub use headers::headers;
pub use replay::replay;
pub use state::{Counts, RecordState, Replay, States, ids};
pub use writer::JournalWriter;

/// The destination the journal's runs sent to, when it is not `here`: the
/// latest header that records one decides. Journals written before
/// destinations were recorded say nothing, and are accepted.
pub fn other_destination<'a>(headers: &'a [Header], here: &Destination) -> Option<&'a Destination> {
    headers
        .iter()
        .rev()
        .find_map(|h| h.destination.as_ref())
        .filter(|d| *d != here)
}

/// Everything that can go wrong reading or writing a journal; every message
/// names the journal and says what to do.
#[derive(Debug, Clone, Error)]
pub enum JournalError {
    /// An operating-system error on the journal file.
    #[error("journal {}: cannot {action} it: {source}; {}", .path.display(), io_hint(.action, .path))]
    Io {
        /// The journal.
        path: PathBuf,
        /// What was being done, e.g. `write`, `sync`.
        action: &'static str,
        /// The OS error (shared so every waiting writer can get it).
        #[source]
        source: Arc<io::Error>,
    },
    /// `create` found a file already there.
    #[error(
        "journal {} already exists: continue it with `storeload resume {}`, \
         or give --journal a new path",
        .path.display(), .path.display()
    )]
    AlreadyExists {
        /// The journal.
        path: PathBuf,
    },
    /// The path names a device, a directory or a pipe: a journal is a file
    /// read to its end and synced, which none of those can be.
    #[error(
        "journal {} is not a regular file (a device, a directory or a pipe); \
         give --journal the path of a file",
        .path.display()
    )]
    NotAFile {
        /// The path given.
        path: PathBuf,
    },
    /// Another process holds the journal's lock.
    #[error(
        "journal {} is being written by another storeload process; wait for it \
         to finish (or stop it) before starting another run on this journal",
        .path.display()
    )]
    Locked {
        /// The journal.
        path: PathBuf,
    },
    /// A line before the last one does not parse: the file was edited or damaged.
    #[error(
        "journal {}, line {line}: {problem}. The journal was edited or damaged and \
         storeload will not guess what it said: restore it from a copy, or repair \
         line {line} by hand",
        .path.display()
    )]
    Corrupt {
        /// The journal.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong with the line.
        problem: String,
    },
    /// A line of a type this build does not know.
    #[error(
        "journal {}, line {line}: unknown entry type {found:?}; it was written by a \
         newer storeload or edited by hand: upgrade storeload, or restore the file",
        .path.display()
    )]
    UnknownType {
        /// The journal.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// The `type` found.
        found: String,
    },
    /// The first line is not a header.
    #[error(
        "journal {}: the first line is a {found:?} entry, not a header, so this is \
         not the start of a storeload journal; check the path, or restore the \
         file's beginning",
        .path.display()
    )]
    NotHeader {
        /// The journal.
        path: PathBuf,
        /// The `type` of the first line.
        found: String,
    },
    /// A header of a format version newer than this build reads.
    #[error(
        "journal {}, line {line}: format version {version} was written by a newer \
         storeload (this one reads version {}); upgrade storeload to use this journal",
        .path.display(), VERSION
    )]
    NewerVersion {
        /// The journal.
        path: PathBuf,
        /// 1-based line number of the header.
        line: u64,
        /// The version found.
        version: u64,
    },
    /// A non-header entry appended to a journal that has no header yet.
    #[error(
        "journal {}: a header must be the first entry of a journal (this is a bug \
         in storeload; please report it)",
        .path.display()
    )]
    NoHeader {
        /// The journal.
        path: PathBuf,
    },
    /// An entry could not be encoded as JSON.
    #[error("journal {}: cannot encode an entry: {message} (this is a bug in storeload; please report it)", .path.display())]
    Encode {
        /// The journal.
        path: PathBuf,
        /// serde_json's message.
        message: String,
    },
    /// An earlier write or sync failed, so nothing more is written.
    #[error(
        "journal {}: not written since an earlier error ({cause}); fix that cause \
         (disk full? permissions?), then continue with `storeload resume {}`",
        .path.display(), .path.display()
    )]
    Poisoned {
        /// The journal.
        path: PathBuf,
        /// The first error, as text.
        cause: String,
    },
    /// The background writer has stopped (closed, or its thread ended).
    #[error(
        "journal {}: the journal writer has stopped, so this entry was not written; \
         continue with `storeload resume {}`",
        .path.display(), .path.display()
    )]
    WriterStopped {
        /// The journal.
        path: PathBuf,
    },
}

/// What a person can do about an I/O error, by what was being done.
fn io_hint(action: &str, path: &Path) -> String {
    match action {
        "write" | "sync" | "cut the torn last line of" => format!(
            "check free disk space and permissions, then continue with \
             `storeload resume {}` (records without an outcome are in doubt)",
            path.display()
        ),
        "create" | "sync the directory of" => {
            "check that the directory exists and is writable".to_owned()
        }
        _ => "check the path and that the file is readable and writable".to_owned(),
    }
}

impl JournalError {
    /// An I/O error on `path` while doing `action`.
    pub(crate) fn io(path: &Path, action: &'static str, e: io::Error) -> JournalError {
        JournalError::Io {
            path: path.to_path_buf(),
            action,
            source: Arc::new(e),
        }
    }
}

/// The synchronous, single writer of a journal file. Appends are buffered;
/// [`Journal::commit`] makes them durable. Holds an exclusive lock on the file.
///
/// After any write or sync error the journal refuses every further append or
/// commit ([`JournalError::Poisoned`]): what reached the disk ends in at most
/// one torn line, which replay ignores.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    /// `None` once poisoned.
    out: Option<BufWriter<File>>,
    /// Reused serialisation buffer.
    buf: Vec<u8>,
    has_header: bool,
    /// Appended since the last commit.
    dirty: bool,
    /// The first error, once poisoned.
    poisoned: Option<String>,
    /// Successful syncs so far (for tests of group commit).
    commits: u64,
}

/// BufWriter capacity: a group commit of hundreds of outcomes in one write.
const WRITE_BUFFER: usize = 256 << 10;

/// Opens the journal at `path` for reading: an error, before any read,
/// when it is not a regular file (`/dev/zero` would be read forever).
pub(crate) fn open_file(path: &Path) -> Result<File, JournalError> {
    let file = File::open(path).map_err(|e| JournalError::io(path, "open", e))?;
    regular(file, path)
}

/// `file` when it is a regular file, else [`JournalError::NotAFile`].
fn regular(file: File, path: &Path) -> Result<File, JournalError> {
    let meta = file
        .metadata()
        .map_err(|e| JournalError::io(path, "read the size of", e))?;
    if meta.is_file() {
        Ok(file)
    } else {
        Err(JournalError::NotAFile {
            path: path.to_path_buf(),
        })
    }
}

impl Journal {
    /// Creates a new journal at `path` with `header` as its first line, durable
    /// on return; an error if the file already exists.
    pub fn create(path: &Path, header: &Header) -> Result<Journal, JournalError> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| match e.kind() {
                // `/dev/null` exists, yet is nothing to resume.
                io::ErrorKind::AlreadyExists if !path.is_file() && path.exists() => {
                    JournalError::NotAFile {
                        path: path.to_path_buf(),
                    }
                }
                io::ErrorKind::AlreadyExists => JournalError::AlreadyExists {
                    path: path.to_path_buf(),
                },
                _ => JournalError::io(path, "create", e),
            })?;
        lock(&file, path)?;
        let mut journal = Journal::from_file(path, file, false);
        let written = journal
            .append(&Entry::Header(header.clone()))
            .and_then(|()| journal.commit())
            .and_then(|()| sync_parent_dir(path));
        if let Err(e) = written {
            // Leave no headerless file behind to block the next attempt.
            drop(journal);
            let _ = std::fs::remove_file(path);
            return Err(e);
        }
        Ok(journal)
    }

    /// Opens an existing journal for appending: replays it, cuts off a torn
    /// last line (durably), and returns the writer with the replay.
    pub fn open_append(path: &Path) -> Result<(Journal, Replay), JournalError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| JournalError::io(path, "open", e))?;
        let mut file = regular(file, path)?;
        lock(&file, path)?;
        let len = file
            .metadata()
            .map_err(|e| JournalError::io(path, "read the size of", e))?
            .len();
        let (replay, valid) = replay::read(&file, path, len)?;
        if valid < len {
            file.set_len(valid)
                .and_then(|()| file.sync_all())
                .map_err(|e| JournalError::io(path, "cut the torn last line of", e))?;
        }
        file.seek(SeekFrom::Start(valid))
            .map_err(|e| JournalError::io(path, "seek in", e))?;
        let has_header = !replay.headers.is_empty();
        Ok((Journal::from_file(path, file, has_header), replay))
    }

    /// Wraps an open, positioned file (no lock taken here).
    fn from_file(path: &Path, file: File, has_header: bool) -> Journal {
        Journal {
            path: path.to_path_buf(),
            out: Some(BufWriter::with_capacity(WRITE_BUFFER, file)),
            buf: Vec::with_capacity(4096),
            has_header,
            dirty: false,
            poisoned: None,
            commits: 0,
        }
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one entry as one line (buffered; not durable until [`commit`](Self::commit)).
    pub fn append(&mut self, entry: &Entry) -> Result<(), JournalError> {
        let is_header = matches!(entry, Entry::Header(_));
        let Some(out) = self.out.as_mut() else {
            return Err(self.poisoned_error());
        };
        if !self.has_header && !is_header {
            return Err(JournalError::NoHeader {
                path: self.path.clone(),
            });
        }
        self.buf.clear();
        if let Err(e) = serde_json::to_writer(&mut self.buf, entry) {
            return Err(JournalError::Encode {
                path: self.path.clone(),
                message: e.to_string(),
            });
        }
        self.buf.push(b'\n');
        if let Err(e) = out.write_all(&self.buf) {
            return Err(self.poison("write", e));
        }
        self.dirty = true;
        self.has_header |= is_header;
        Ok(())
    }

    /// Flushes and syncs: after this returns `Ok`, everything appended is durable.
    pub fn commit(&mut self) -> Result<(), JournalError> {
        let Some(out) = self.out.as_mut() else {
            return Err(self.poisoned_error());
        };
        if !self.dirty {
            return Ok(());
        }
        if let Err(e) = out.flush() {
            return Err(self.poison("write", e));
        }
        if let Err(e) = out.get_ref().sync_data() {
            return Err(self.poison("sync", e));
        }
        self.dirty = false;
        self.commits += 1;
        Ok(())
    }

    /// Hands what is buffered to the operating system without syncing: it
    /// survives the process (a crash, `kill -9`), not yet the machine.
    pub fn flush(&mut self) -> Result<(), JournalError> {
        let Some(out) = self.out.as_mut() else {
            return Err(self.poisoned_error());
        };
        if let Err(e) = out.flush() {
            return Err(self.poison("write", e));
        }
        Ok(())
    }

    /// A second handle on the file, so that another thread can sync what was
    /// flushed while appends go on (`fdatasync` covers every write before it).
    pub(crate) fn sync_handle(&self) -> Result<File, JournalError> {
        let Some(out) = self.out.as_ref() else {
            return Err(self.poisoned_error());
        };
        out.get_ref()
            .try_clone()
            .map_err(|e| JournalError::io(&self.path, "open a second handle on", e))
    }

    /// Poisons the journal after a sync through [`sync_handle`](Self::sync_handle)
    /// failed, and returns the error every waiter gets.
    pub(crate) fn sync_failed(&mut self, e: io::Error) -> JournalError {
        self.poison("sync", e)
    }

    /// Records the first error and drops the unwritten buffer, so nothing
    /// (not even `Drop`) writes after a failure and leaves a gap mid-file.
    fn poison(&mut self, action: &'static str, e: io::Error) -> JournalError {
        let err = JournalError::io(&self.path, action, e);
        self.poisoned = Some(err.to_string());
        if let Some(out) = self.out.take() {
            let (_file, _discarded) = out.into_parts();
        }
        err
    }

    fn poisoned_error(&self) -> JournalError {
        JournalError::Poisoned {
            path: self.path.clone(),
            cause: self
                .poisoned
                .clone()
                .unwrap_or_else(|| "an unknown error".into()),
        }
    }
}

/// Takes an exclusive advisory lock so two runs never write one journal.
fn lock(file: &File, path: &Path) -> Result<(), JournalError> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(TryLockError::WouldBlock) => Err(JournalError::Locked {
            path: path.to_path_buf(),
        }),
        // A filesystem without locks must not make imports impossible.
        Err(TryLockError::Error(e)) if e.kind() == io::ErrorKind::Unsupported => Ok(()),
        Err(TryLockError::Error(e)) => Err(JournalError::io(path, "lock", e)),
    }
}

/// True when a storeload process is writing the journal at `path` now (it
/// holds the journal's lock); false when none is, or it cannot be told.
pub fn in_use(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    matches!(file.try_lock_shared(), Err(TryLockError::WouldBlock))
}

/// Makes a new file's directory entry durable (Unix; a no-op elsewhere).
fn sync_parent_dir(path: &Path) -> Result<(), JournalError> {
    #[cfg(unix)]
    {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        match File::open(parent).and_then(|d| d.sync_all()) {
            Ok(()) => {}
            // Some filesystems cannot open or sync a directory; the file's
            // own data is synced already.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::InvalidInput
                        | io::ErrorKind::Unsupported
                        | io::ErrorKind::PermissionDenied
                ) => {}
            Err(e) => return Err(JournalError::io(path, "sync the directory of", e)),
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Builders of sample entries shared by the journal's tests.
#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use chrono::{DateTime, TimeZone, Utc};
    use serde_json::json;

    /// A UTC time from milliseconds since the epoch.
    pub fn at_ms(ms: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(ms).single().unwrap()
    }

    /// A header for run `run`.
    pub fn header(run: u32) -> Header {
        Header {
            version: VERSION,
            run,
            platform: "bigcommerce".into(),
            entity: "customers".into(),
            input: InputFingerprint {
                path: "customers.csv".into(),
                size: 123,
                sha256: "ab".repeat(32),
            },
            mapping: json!({"preset": "shopify", "columns": {"Email": "email"}}),
            options: json!({"concurrency": 4, "in_doubt": "resend"}),
            started_at: at_ms(1_700_000_000_000 + i64::from(run) * 1000),
            destination: None,
        }
    }

    /// A `sent` line for `keys`, records numbered from `first`.
    pub fn sent(batch: u64, ms: i64, keys: &[&str], first: u64) -> Entry {
        Entry::Sent(Sent {
            batch,
            at: at_ms(ms),
            records: keys
                .iter()
                .zip(first..)
                .map(|(k, r)| SentRecord {
                    key: (*k).into(),
                    record: r,
                    line: r + 1,
                })
                .collect(),
            lookups: vec![],
        })
    }

    /// A `created` line.
    pub fn created(key: &str, record: u64, id: &str) -> Entry {
        Entry::Created(Created {
            key: key.into(),
            record,
            line: record + 1,
            id: id.into(),
            email: Some(key.into()),
            phone: None,
            hash: None,
            lookups: vec![],
        })
    }

    /// A `failed` line.
    pub fn failed(key: &str, record: u64) -> Entry {
        Entry::Failed(Failed {
            key: key.into(),
            record,
            line: record + 1,
            reason: "503 after 5 retries".into(),
        })
    }

    /// One entry of every type, header first.
    pub fn sample_entries() -> Vec<Entry> {
        vec![
            Entry::Header(header(1)),
            sent(17, 1_700_000_000_123, &["ann@x.com", "bob@x.com"], 12),
            Entry::Created(Created {
                key: "ann@x.com".into(),
                record: 12,
                line: 14,
                id: "901".into(),
                email: Some("ann@x.com".into()),
                phone: Some("+4915112345678".into()),
                hash: Some("00112233445566778899aabbccddeeff".into()),
                lookups: vec![],
            }),
            Entry::Exists(Exists {
                key: "bob@x.com".into(),
                record: 13,
                line: 15,
                id: Some("77".into()),
                reason: "email already in use".into(),
                lookups: vec![],
            }),
            Entry::Rejected(Rejected {
                key: "carl \"the\" \\ \n key".into(),
                record: 14,
                line: 16,
                email: Some("carl@x.com".into()),
                phone: None,
                stage: Stage::Validate,
                reasons: vec![Reason {
                    field: "email".into(),
                    rule: "email.syntax".into(),
                    message: "is not an email address".into(),
                }],
            }),
            Entry::Failed(Failed {
                key: "dora@x.com".into(),
                record: 15,
                line: 17,
                reason: "503 after 5 retries".into(),
            }),
            Entry::InDoubt(InDoubt {
                key: "+15551234".into(),
                record: 16,
                line: 18,
                reason: "connection reset after the request was sent".into(),
                lookups: vec![],
            }),
            Entry::Updated(Updated {
                key: "erin@x.com".into(),
                record: 17,
                line: 19,
                id: "902".into(),
                hash: "ffeeddccbbaa99887766554433221100".into(),
            }),
            Entry::Unchanged(Unchanged {
                key: "finn@x.com".into(),
                record: 18,
                line: 20,
                id: "903".into(),
            }),
            Entry::End(End {
                at: at_ms(1_700_000_009_999),
                summary: json!({"created": 1, "exists": 1}),
            }),
        ]
    }

    /// Writes `entries` (header first) into a new journal at `path`.
    pub fn write_journal(path: &Path, entries: &[Entry]) {
        let Entry::Header(h) = &entries[0] else {
            panic!("first entry must be a header")
        };
        let mut j = Journal::create(path, h).unwrap();
        for e in &entries[1..] {
            j.append(e).unwrap();
        }
        j.commit().unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use std::io::Read;

    fn read_lines(path: &Path) -> Vec<String> {
        let mut s = String::new();
        File::open(path).unwrap().read_to_string(&mut s).unwrap();
        s.lines().map(str::to_owned).collect()
    }

    #[test]
    fn create_writes_the_header_as_the_first_durable_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let j = Journal::create(&path, &header(1)).unwrap();
        assert_eq!(j.commits, 1);
        let lines = read_lines(&path);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].starts_with(r#"{"type":"header","version":1,"run":1,"#));
    }

    #[test]
    fn create_refuses_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        std::fs::write(&path, b"keep me").unwrap();
        let err = Journal::create(&path, &header(1)).unwrap_err();
        assert!(matches!(err, JournalError::AlreadyExists { .. }), "{err}");
        assert!(err.to_string().contains("storeload resume"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
    }

    #[test]
    fn every_entry_type_round_trips_through_a_journal_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let entries = sample_entries();
        write_journal(&path, &entries);
        let back: Vec<Entry> = read_lines(&path)
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(back, entries);
    }

    #[test]
    fn appends_are_not_written_before_commit_and_durable_after() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut j = Journal::create(&path, &header(1)).unwrap();
        j.append(&created("a@x.com", 1, "1")).unwrap();
        assert_eq!(read_lines(&path).len(), 1, "still buffered");
        j.commit().unwrap();
        assert_eq!(read_lines(&path).len(), 2);
        assert_eq!(j.commits, 2);
    }

    #[test]
    fn commit_with_nothing_appended_does_not_sync_again() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::create(&dir.path().join("j"), &header(1)).unwrap();
        j.commit().unwrap();
        j.commit().unwrap();
        assert_eq!(j.commits, 1);
    }

    #[test]
    fn a_second_writer_on_the_same_journal_is_refused_while_the_first_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let first = Journal::create(&path, &header(1)).unwrap();
        let err = Journal::open_append(&path).unwrap_err();
        assert!(matches!(err, JournalError::Locked { .. }), "{err}");
        drop(first);
        Journal::open_append(&path).unwrap();
    }

    #[test]
    fn open_append_continues_after_the_last_line_and_counts_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        write_journal(
            &path,
            &[Entry::Header(header(1)), created("a@x.com", 1, "1")],
        );
        let (mut j, replay) = Journal::open_append(&path).unwrap();
        assert_eq!(replay.lines, 2);
        assert_eq!(replay.next_run(), 2);
        j.append(&Entry::Header(header(replay.next_run()))).unwrap();
        j.append(&created("b@x.com", 2, "2")).unwrap();
        j.commit().unwrap();
        drop(j);
        let r = replay::replay(&path).unwrap();
        assert_eq!(r.headers.len(), 2);
        assert_eq!(r.latest_header().unwrap().run, 2);
        assert_eq!(r.counts().created, 2);
    }

    #[test]
    fn torn_tail_is_cut_on_open_append_so_lines_appended_after_it_parse() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        write_journal(
            &path,
            &[Entry::Header(header(1)), created("a@x.com", 1, "1")],
        );
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"type":"created","key":"b@x.c"#).unwrap();
        drop(f);
        assert!(replay::replay(&path).unwrap().torn_tail);

        let (mut j, replay) = Journal::open_append(&path).unwrap();
        assert!(replay.torn_tail);
        assert_eq!(replay.lines, 2);
        j.append(&created("c@x.com", 3, "3")).unwrap();
        j.commit().unwrap();
        drop(j);

        let r = replay::replay(&path).unwrap();
        assert!(!r.torn_tail);
        assert_eq!(r.lines, 3);
        assert!(r.records.contains_key("c@x.com"));
        assert!(!r.records.contains_key("b@x.com"));
    }

    #[test]
    fn an_empty_journal_file_takes_a_header_first_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        File::create(&path).unwrap();
        let (mut j, replay) = Journal::open_append(&path).unwrap();
        assert!(replay.header().is_none());
        let err = j.append(&created("a@x.com", 1, "1")).unwrap_err();
        assert!(matches!(err, JournalError::NoHeader { .. }), "{err}");
        j.append(&Entry::Header(header(1))).unwrap();
        j.append(&created("a@x.com", 1, "1")).unwrap();
        j.commit().unwrap();
    }

    #[test]
    fn open_append_on_a_missing_journal_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing.jsonl");
        let err = Journal::open_append(&path).unwrap_err();
        assert!(err.to_string().contains("missing.jsonl"), "{err}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_failed_write_poisons_the_journal_so_no_later_line_lands_after_a_gap() {
        let file = OpenOptions::new().write(true).open("/dev/full").unwrap();
        let mut j = Journal::from_file(Path::new("/dev/full"), file, true);
        j.append(&created("a@x.com", 1, "1")).unwrap();
        let err = j.commit().unwrap_err();
        assert!(
            matches!(
                err,
                JournalError::Io {
                    action: "write",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("/dev/full"), "{err}");
        let again = j.append(&created("b@x.com", 2, "2")).unwrap_err();
        assert!(matches!(again, JournalError::Poisoned { .. }), "{again}");
        assert!(again.to_string().contains("storeload resume"), "{again}");
        assert!(matches!(j.commit(), Err(JournalError::Poisoned { .. })));
    }
}
