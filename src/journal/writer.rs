//! Group commit for async callers. Appends happen on the caller's thread,
//! under a short lock: an entry is in the file (the operating system holds
//! it) as soon as the call returns, so a crash of the process loses nothing
//! written. Syncs (`fdatasync`) run on a background thread on a second
//! handle of the file, without the lock: whatever is written while one runs
//! shares the next. Callers that need an entry durable (on disk, safe from a
//! crash of the machine) wait for the sync that covers it; everything else
//! is synced within [`SYNC_EVERY`] and at close.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, watch};

use super::{Entry, Journal, JournalError};

/// Longest time an entry written without waiting stays unsynced.
pub const SYNC_EVERY: Duration = Duration::from_millis(100);

/// A handle to the journal's writer; clones share the one journal.
#[derive(Clone)]
pub struct JournalWriter {
    shared: Arc<Shared>,
    /// Dropped with the last handle: the sync thread then syncs and ends.
    _last: Arc<LastHandle>,
}

impl std::fmt::Debug for JournalWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JournalWriter")
            .field("path", &self.shared.path)
            .finish_non_exhaustive()
    }
}

/// What the handles and the sync thread share.
struct Shared {
    /// The journal's path, for every error the handles or the thread report.
    path: PathBuf,
    state: Mutex<State>,
    /// Wakes the sync thread: a sync is wanted, a close, or the last handle went.
    wake: Condvar,
    /// The highest write made durable, or the error that stopped syncing.
    synced: watch::Sender<Synced>,
}

/// The journal and the bookkeeping of writes and syncs.
struct State {
    /// `None` once closed (or the sync thread has ended).
    journal: Option<Journal>,
    /// Why the sync thread could not start, if it could not.
    start_error: Option<JournalError>,
    /// Writes so far; each `write` gets the next number.
    written: u64,
    /// The highest write a caller waits to see durable.
    wanted: u64,
    /// When the oldest unsynced entry was appended.
    dirty_since: Option<Instant>,
    /// A close asked for, with where to answer.
    close: Option<oneshot::Sender<Result<Journal, JournalError>>>,
    /// Every handle is gone.
    abandoned: bool,
}

/// The sync thread's published progress.
#[derive(Clone, Default)]
struct Synced {
    /// Writes up to this number are durable.
    upto: u64,
    /// The sync error that poisoned the journal, if one did.
    error: Option<JournalError>,
}

/// Tells the sync thread when the last handle is dropped.
struct LastHandle(Arc<Shared>);

impl Drop for LastHandle {
    fn drop(&mut self) {
        self.0.lock().abandoned = true;
        self.0.wake.notify_all();
    }
}

impl Shared {
    /// The error of a write after the journal was closed or its thread ended.
    fn stopped(&self) -> JournalError {
        JournalError::WriterStopped {
            path: self.path.clone(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the journal as consistent as
        // any crash would: keep going with what is there.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl JournalWriter {
    /// Starts the sync thread; the journal is shared with it from now on.
    pub fn spawn(journal: Journal) -> JournalWriter {
        Self::start(journal, None)
    }

    fn start(journal: Journal, gate: Option<mpsc::Receiver<()>>) -> JournalWriter {
        let handle = journal.sync_handle();
        let shared = Arc::new(Shared {
            path: journal.path().to_path_buf(),
            state: Mutex::new(State {
                journal: Some(journal),
                start_error: None,
                written: 0,
                wanted: 0,
                dirty_since: None,
                close: None,
                abandoned: false,
            }),
            wake: Condvar::new(),
            synced: watch::Sender::new(Synced::default()),
        });
        let started = handle.and_then(|file| {
            let for_thread = shared.clone();
            std::thread::Builder::new()
                .name("storeload-journal".into())
                .spawn(move || {
                    if let Some(gate) = gate {
                        let _ = gate.recv();
                    }
                    run(&for_thread, file)
                })
                .map(drop)
                .map_err(|e| JournalError::io(&shared.path, "start the sync thread for", e))
        });
        if let Err(e) = started {
            // Nothing can be made durable: every write reports why.
            let mut st = shared.lock();
            st.journal = None;
            st.start_error = Some(e);
        }
        JournalWriter {
            _last: Arc::new(LastHandle(shared.clone())),
            shared,
        }
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Appends `entries` (in order, contiguous) and resolves once they are
    /// durable; an error if they may not be. An empty list waits for
    /// everything written before it.
    pub async fn write(&self, entries: Vec<Entry>) -> Result<(), JournalError> {
        let seq = self.submit(&entries)?;
        self.durable(seq).await
    }

    /// Appends and flushes `entries` and asks for a sync; the number to
    /// wait for with [`durable`](Self::durable).
    fn submit(&self, entries: &[Entry]) -> Result<u64, JournalError> {
        let seq = {
            let mut st = self.shared.lock();
            let seq = self.append(&mut st, entries, true)?;
            st.wanted = st.wanted.max(seq);
            seq
        };
        self.shared.wake.notify_all();
        Ok(seq)
    }

    /// Resolves once write `seq` is durable.
    async fn durable(&self, seq: u64) -> Result<(), JournalError> {
        let mut rx = self.shared.synced.subscribe();
        let seen = rx
            .wait_for(|s| s.upto >= seq || s.error.is_some())
            .await
            .map(|s| s.clone());
        match seen {
            Ok(s) if s.upto >= seq => Ok(()),
            Ok(s) => Err(s.error.unwrap_or_else(|| self.stopped(None))),
            Err(_) => Err(self.stopped(None)),
        }
    }

    /// Appends `entries` and hands them to the operating system before it
    /// returns, without waiting for a sync: they survive a crash of the
    /// process at once, and one of the machine within [`SYNC_EVERY`]. For
    /// `sent` lines where a resend is safe (emails unique, DECISIONS.md): a
    /// line lost with the machine leaves its record "not sent", and the
    /// resend answers "already there".
    pub fn write_unsynced(&self, entries: Vec<Entry>) -> Result<(), JournalError> {
        self.write_quietly(&entries, true)
    }

    /// Appends `entries` without waiting: they reach the file with the next
    /// write or sync, and are durable within [`SYNC_EVERY`]. For outcomes:
    /// one lost in a crash leaves its record `sent`, in doubt, which resume
    /// settles — the `sent` line before a request is always written first.
    /// An error shows at the next write, which then fails.
    pub fn write_lazy(&self, entries: Vec<Entry>) -> Result<(), JournalError> {
        if entries.is_empty() {
            return Ok(());
        }
        self.write_quietly(&entries, false)
    }

    /// Appends without asking for a sync; wakes the sync thread only when
    /// these are the first unsynced entries (it then syncs within the period).
    fn write_quietly(&self, entries: &[Entry], flush: bool) -> Result<(), JournalError> {
        let first = {
            let mut st = self.shared.lock();
            let was_clean = st.dirty_since.is_none();
            self.append(&mut st, entries, flush)?;
            was_clean && st.dirty_since.is_some()
        };
        if first {
            self.shared.wake.notify_all();
        }
        Ok(())
    }

    /// Appends under the lock; with `flush`, also writes the buffer to the
    /// file. Returns this write's number.
    fn append(&self, st: &mut State, entries: &[Entry], flush: bool) -> Result<u64, JournalError> {
        if let Some(e) = &self.shared.synced.borrow().error {
            return Err(e.clone());
        }
        let Some(journal) = st.journal.as_mut() else {
            return Err(self.stopped(st.start_error.clone()));
        };
        entries.iter().try_for_each(|e| journal.append(e))?;
        if flush {
            journal.flush()?;
        }
        if !entries.is_empty() && st.dirty_since.is_none() {
            st.dirty_since = Some(Instant::now());
        }
        st.written += 1;
        Ok(st.written)
    }

    /// Writes and syncs everything written before it, stops the sync thread
    /// and returns the journal. Later writes through other clones fail.
    pub async fn close(self) -> Result<Journal, JournalError> {
        let (ack, done) = oneshot::channel();
        {
            let mut st = self.shared.lock();
            if st.journal.is_none() {
                return Err(self.stopped(st.start_error.clone()));
            }
            st.close = Some(ack);
        }
        self.shared.wake.notify_all();
        done.await.unwrap_or_else(|_| Err(self.stopped(None)))
    }

    fn stopped(&self, start_error: Option<JournalError>) -> JournalError {
        start_error.unwrap_or_else(|| self.shared.stopped())
    }
}

/// The sync thread: waits until a sync is wanted (or [`SYNC_EVERY`] has
/// passed since an unsynced append), flushes under the lock, syncs without
/// it, and publishes how far the journal is durable. At close, or when
/// every handle is gone, syncs what is left and ends.
fn run(shared: &Shared, file: File) {
    let mut st = shared.lock();
    loop {
        if st.close.is_some() || st.abandoned {
            break;
        }
        let (synced, failed) = {
            let s = shared.synced.borrow();
            (s.upto, s.error.is_some())
        };
        if failed {
            // Poisoned: nothing more is synced; wait for the close.
            st = shared.wake.wait(st).unwrap_or_else(|e| e.into_inner());
            continue;
        }
        let due = match st.dirty_since {
            _ if st.wanted > synced => true,
            Some(t) => t.elapsed() >= SYNC_EVERY,
            None => false,
        };
        if !due {
            st = match st.dirty_since {
                Some(t) => {
                    let left = SYNC_EVERY.saturating_sub(t.elapsed());
                    shared
                        .wake
                        .wait_timeout(st, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
                None => shared.wake.wait(st).unwrap_or_else(|e| e.into_inner()),
            };
            continue;
        }
        let upto = st.written;
        st.dirty_since = None;
        let Some(journal) = st.journal.as_mut() else {
            break;
        };
        if let Err(e) = journal.flush() {
            publish_error(shared, e);
            continue;
        }
        drop(st);
        let result = file.sync_data();
        st = shared.lock();
        match result {
            Ok(()) => {
                let quiet = st.written == upto;
                if let Some(j) = st.journal.as_mut() {
                    j.commits += 1;
                    // Nothing written since the flush: the close need not sync again.
                    j.dirty &= !quiet;
                }
                shared.synced.send_modify(|s| s.upto = s.upto.max(upto));
            }
            Err(e) => {
                let err = match st.journal.as_mut() {
                    Some(j) => j.sync_failed(e),
                    None => JournalError::io(&shared.path, "sync", e),
                };
                publish_error(shared, err);
            }
        }
    }
    // Close or abandon: the last sync, then the journal goes back (or is
    // dropped, which releases its lock) and the second handle is closed.
    drop(file);
    let close = st.close.take();
    let journal = st.journal.take();
    let upto = st.written;
    drop(st);
    let result = match journal {
        Some(mut j) => j.commit().map(|()| j),
        None => Err(shared.stopped()),
    };
    match &result {
        Ok(_) => shared.synced.send_modify(|s| s.upto = s.upto.max(upto)),
        Err(e) => publish_error(shared, e.clone()),
    }
    if let Some(ack) = close {
        let _ = ack.send(result);
    }
}

fn publish_error(shared: &Shared, e: JournalError) {
    shared.synced.send_modify(|s| {
        if s.error.is_none() {
            s.error = Some(e);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::test_support::*;
    use crate::journal::{Header, RecordState, replay};

    fn new_journal(dir: &tempfile::TempDir) -> (PathBuf, Journal) {
        let path = dir.path().join("j.jsonl");
        let h: Header = header(1);
        let j = Journal::create(&path, &h).unwrap();
        (path, j)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lazy_entries_land_with_the_next_sync_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let (path, j) = new_journal(&dir);
        let w = JournalWriter::spawn(j);
        w.write(vec![sent(1, 1_700_000_000_000, &["a@x.com"], 1)])
            .await
            .unwrap();
        w.write_lazy(vec![created("a@x.com", 1, "1")]).unwrap();
        // The next durable write syncs the lazy outcome before itself.
        w.write(vec![sent(2, 1_700_000_000_001, &["b@x.com"], 2)])
            .await
            .unwrap();
        let r = replay(&path).unwrap();
        assert!(matches!(r.records["a@x.com"], RecordState::Created { .. }));
        assert!(matches!(r.records["b@x.com"], RecordState::Sent { .. }));
        // Lazy entries with nothing after them are written at close.
        w.write_lazy(vec![created("b@x.com", 2, "2")]).unwrap();
        w.close().await.unwrap();
        let r = replay(&path).unwrap();
        assert!(matches!(r.records["b@x.com"], RecordState::Created { .. }));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fifty_concurrent_writers_are_all_acknowledged_and_all_lines_present() {
        let dir = tempfile::tempdir().unwrap();
        let (path, j) = new_journal(&dir);
        let w = JournalWriter::spawn(j);
        let mut tasks = Vec::new();
        for t in 0..50u64 {
            let w = w.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..4u64 {
                    let n = t * 4 + i;
                    let key = format!("c{n}@x.com");
                    w.write(vec![
                        sent(n, 1_700_000_000_000, &[&key], n),
                        created(&key, n, &n.to_string()),
                    ])
                    .await
                    .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let j = w.close().await.unwrap();
        assert!(j.commits <= 1 + 200, "at most one sync per write");
        drop(j);
        let r = replay(&path).unwrap();
        assert_eq!(r.lines, 1 + 50 * 4 * 2);
        assert_eq!(r.counts().created, 200);
        for n in 0..200u64 {
            let state = &r.records[&format!("c{n}@x.com")];
            assert!(matches!(state, RecordState::Created { id, .. } if *id == n.to_string()));
        }
    }

    #[tokio::test]
    async fn writes_queued_during_a_sync_share_one_sync() {
        let dir = tempfile::tempdir().unwrap();
        let (path, j) = new_journal(&dir);
        let (open, gate) = mpsc::channel();
        let w = JournalWriter::start(j, Some(gate));
        let pending: Vec<_> = (0..50u64)
            .map(|n| w.submit(&[created(&format!("k{n}"), n, "1")]).unwrap())
            .collect();
        open.send(()).unwrap();
        for p in pending {
            w.durable(p).await.unwrap();
        }
        let j = w.close().await.unwrap();
        assert_eq!(j.commits, 2, "the header's sync, then one for all fifty");
        assert_eq!(replay(&path).unwrap().counts().created, 50);
    }

    #[tokio::test]
    async fn entries_of_one_write_stay_contiguous_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let (path, j) = new_journal(&dir);
        let w = JournalWriter::spawn(j);
        let (a, b) = tokio::join!(
            w.write(vec![failed("x", 1), created("x", 1, "10")]),
            w.write(vec![failed("y", 2), created("y", 2, "20")]),
        );
        a.unwrap();
        b.unwrap();
        w.close().await.unwrap();
        let r = replay(&path).unwrap();
        assert_eq!(r.counts().created, 2);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().skip(1).collect();
        assert!(lines[0].contains("failed") && lines[1].contains("created"));
        assert!(lines[2].contains("failed") && lines[3].contains("created"));
    }

    #[tokio::test]
    async fn close_makes_everything_durable_and_later_writes_fail() {
        let dir = tempfile::tempdir().unwrap();
        let (path, j) = new_journal(&dir);
        let w = JournalWriter::spawn(j);
        let other = w.clone();
        w.write(vec![created("a", 1, "1")]).await.unwrap();
        let j = w.close().await.unwrap();
        assert_eq!(j.path(), path);
        let err = other.write(vec![created("b", 2, "2")]).await.unwrap_err();
        assert!(matches!(err, JournalError::WriterStopped { .. }), "{err}");
        assert!(err.to_string().contains("j.jsonl"), "{err}");
        drop(j);
        assert_eq!(replay(&path).unwrap().counts().created, 1);
    }

    #[tokio::test]
    async fn an_empty_write_is_a_barrier_that_succeeds() {
        let dir = tempfile::tempdir().unwrap();
        let (_path, j) = new_journal(&dir);
        let w = JournalWriter::spawn(j);
        w.write(Vec::new()).await.unwrap();
        w.close().await.unwrap();
    }

    #[cfg(target_os = "linux")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_error_fails_that_write_and_every_later_one() {
        use std::fs::OpenOptions;
        let full = OpenOptions::new().write(true).open("/dev/full").unwrap();
        let j = Journal::from_file(Path::new("/dev/full"), full, true);
        let w = JournalWriter::spawn(j);
        // Writes reach the file before the call returns: the first one
        // meets the full disk itself.
        let err = w.write(vec![created("k0", 0, "1")]).await.unwrap_err();
        assert!(matches!(err, JournalError::Io { .. }), "{err}");
        assert!(err.to_string().contains("/dev/full"), "{err}");
        let later = w.write(vec![created("z", 99, "1")]).await.unwrap_err();
        assert!(matches!(later, JournalError::Poisoned { .. }), "{later}");
        assert!(w.write_unsynced(vec![created("y", 98, "1")]).is_err());
        let barrier = w.write(Vec::new()).await.unwrap_err();
        assert!(
            matches!(barrier, JournalError::Poisoned { .. }),
            "{barrier}"
        );
        assert!(w.close().await.is_err());
    }

    #[tokio::test]
    async fn unsynced_writes_are_in_the_file_at_once_and_durable_within_the_period() {
        let dir = tempfile::tempdir().unwrap();
        let (path, j) = new_journal(&dir);
        let w = JournalWriter::spawn(j);
        w.write_unsynced(vec![sent(1, 1_700_000_000_000, &["a@x.com"], 1)])
            .unwrap();
        // In the file before any sync: a crash of the process keeps it.
        let r = replay(&path).unwrap();
        assert!(matches!(r.records["a@x.com"], RecordState::Sent { .. }));
        let mut rx = w.shared.synced.subscribe();
        // (The watch's guard is dropped at once: holding it would block the
        // sync thread's next publication.)
        let waited = tokio::time::timeout(SYNC_EVERY * 20, async {
            rx.wait_for(|s| s.upto >= 1).await.map(|s| s.upto)
        })
        .await;
        assert!(
            matches!(waited, Ok(Ok(1))),
            "the sync thread syncs within its period"
        );
        w.close().await.unwrap();
    }

    #[tokio::test]
    async fn dropping_every_handle_still_commits_what_was_queued() {
        let dir = tempfile::tempdir().unwrap();
        let (path, j) = new_journal(&dir);
        let w = JournalWriter::spawn(j);
        let pending = w.submit(&[created("a", 1, "1")]).unwrap();
        let waiter = w.clone();
        let w2 = w.clone();
        drop(w);
        drop(w2);
        waiter.durable(pending).await.unwrap();
        drop(waiter);
        // The thread exits after answering; the file lock goes with it.
        // Waits for the lock's release, up to 30 s (6,000 tries).
        let mut tries = 0;
        let r = loop {
            match crate::journal::Journal::open_append(&path) {
                Ok((_, r)) => break r,
                Err(JournalError::Locked { .. }) if tries < 6000 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(r.counts().created, 1);
    }
}
