//! Group commit for async callers: one background thread owns the
//! [`Journal`]; callers send entries and wait until they are durable. Whatever
//! is queued while a sync runs is written together and shares the next sync.

use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};

use tokio::sync::oneshot;

use super::{Entry, Journal, JournalError};

/// A request to the writer thread.
enum Msg {
    /// Append these entries; answer once they are durable (`ack`), or,
    /// without `ack`, let the next sync make them durable.
    Write {
        entries: Vec<Entry>,
        ack: Option<oneshot::Sender<Result<(), JournalError>>>,
    },
    /// Commit, stop, and hand the journal back.
    Close {
        ack: oneshot::Sender<Result<Journal, JournalError>>,
    },
}

/// A handle to the background journal writer; clones share the one writer.
#[derive(Clone)]
pub struct JournalWriter {
    tx: mpsc::Sender<Msg>,
    path: Arc<PathBuf>,
    /// Why the writer thread could not start, if it could not.
    start_error: Option<JournalError>,
}

impl std::fmt::Debug for JournalWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JournalWriter")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl JournalWriter {
    /// Starts the writer thread, which owns `journal` from now on.
    pub fn spawn(journal: Journal) -> JournalWriter {
        Self::start(journal, None)
    }

    fn start(journal: Journal, gate: Option<mpsc::Receiver<()>>) -> JournalWriter {
        let (tx, rx) = mpsc::channel();
        let path = Arc::new(journal.path().to_path_buf());
        let started = std::thread::Builder::new()
            .name("storeload-journal".into())
            .spawn(move || {
                if let Some(gate) = gate {
                    let _ = gate.recv();
                }
                run(journal, rx)
            });
        // If the thread cannot start, the journal is dropped with the closure
        // and every write reports why.
        let start_error = started
            .err()
            .map(|e| JournalError::io(&path, "start the writer thread for", e));
        JournalWriter {
            tx,
            path,
            start_error,
        }
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `entries` (in order, contiguous) and resolves once they are
    /// durable; an error if they may not be. An empty list waits for
    /// everything written before it.
    pub async fn write(&self, entries: Vec<Entry>) -> Result<(), JournalError> {
        let done = self.submit(entries)?;
        done.await.unwrap_or_else(|_| Err(self.stopped()))
    }

    /// Queues entries without waiting; the receiver answers once durable.
    fn submit(
        &self,
        entries: Vec<Entry>,
    ) -> Result<oneshot::Receiver<Result<(), JournalError>>, JournalError> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send(Msg::Write {
                entries,
                ack: Some(ack),
            })
            .map_err(|_| self.stopped())?;
        Ok(done)
    }

    /// Appends `entries` without waiting: they become durable with the next
    /// sync (the next durable write, or close). For outcomes: one lost in a
    /// crash leaves its record `sent`, in doubt, which resume settles — the
    /// `sent` line before a request is always written with [`write`](Self::write).
    /// An error shows at the next durable write, which then fails.
    pub fn write_lazy(&self, entries: Vec<Entry>) -> Result<(), JournalError> {
        if entries.is_empty() {
            return Ok(());
        }
        self.tx
            .send(Msg::Write { entries, ack: None })
            .map_err(|_| self.stopped())
    }

    /// Writes and syncs everything queued before it, stops the writer and
    /// returns the journal. Later writes through other clones fail.
    pub async fn close(self) -> Result<Journal, JournalError> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send(Msg::Close { ack })
            .map_err(|_| self.stopped())?;
        done.await.unwrap_or_else(|_| Err(self.stopped()))
    }

    fn stopped(&self) -> JournalError {
        self.start_error
            .clone()
            .unwrap_or_else(|| JournalError::WriterStopped {
                path: self.path.to_path_buf(),
            })
    }
}

/// The writer thread: take everything queued, append it all, sync once,
/// answer every waiter with the sync's result.
fn run(mut journal: Journal, rx: mpsc::Receiver<Msg>) {
    let mut waiters: Vec<oneshot::Sender<Result<(), JournalError>>> = Vec::new();
    loop {
        let Ok(first) = rx.recv() else {
            // Every handle dropped without close: keep what was appended.
            let _ = journal.commit();
            return;
        };
        let mut close = None;
        for msg in std::iter::once(first).chain(rx.try_iter()) {
            match msg {
                Msg::Write { entries, ack } => {
                    if close.is_some() {
                        if let Some(ack) = ack {
                            let _ = ack.send(Err(JournalError::WriterStopped {
                                path: journal.path().to_path_buf(),
                            }));
                        }
                        continue;
                    }
                    // A failed append poisons the journal: the next sync
                    // (and every durable write after) reports it.
                    let appended = entries.iter().try_for_each(|e| journal.append(e));
                    match (appended, ack) {
                        (Ok(()), Some(ack)) => waiters.push(ack),
                        (Err(e), Some(ack)) => {
                            let _ = ack.send(Err(e));
                        }
                        (_, None) => {}
                    }
                }
                Msg::Close { ack } => match close {
                    None => close = Some(ack),
                    Some(_) => {
                        let _ = ack.send(Err(JournalError::WriterStopped {
                            path: journal.path().to_path_buf(),
                        }));
                    }
                },
            }
        }
        if waiters.is_empty() && close.is_none() {
            // Only lazy entries: they wait in the buffer for the next sync.
            continue;
        }
        let result = journal.commit();
        for ack in waiters.drain(..) {
            // A waiter that gave up (dropped its future) needs no answer.
            let _ = ack.send(result.clone());
        }
        if let Some(ack) = close {
            let _ = ack.send(result.map(|()| journal));
            return;
        }
    }
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
            .map(|n| w.submit(vec![created(&format!("k{n}"), n, "1")]).unwrap())
            .collect();
        open.send(()).unwrap();
        for p in pending {
            p.await.unwrap().unwrap();
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
    async fn a_write_error_reaches_every_waiter_and_later_writes_fail() {
        use std::fs::OpenOptions;
        let full = OpenOptions::new().write(true).open("/dev/full").unwrap();
        let j = Journal::from_file(Path::new("/dev/full"), full, true);
        let (open, gate) = mpsc::channel();
        let w = JournalWriter::start(j, Some(gate));
        let pending: Vec<_> = (0..10u64)
            .map(|n| w.submit(vec![created(&format!("k{n}"), n, "1")]).unwrap())
            .collect();
        open.send(()).unwrap();
        for p in pending {
            let err = p.await.unwrap().unwrap_err();
            assert!(
                matches!(err, JournalError::Io { .. }),
                "every waiter gets the I/O error: {err}"
            );
            assert!(err.to_string().contains("/dev/full"), "{err}");
        }
        let later = w.write(vec![created("z", 99, "1")]).await.unwrap_err();
        assert!(matches!(later, JournalError::Poisoned { .. }), "{later}");
        let barrier = w.write(Vec::new()).await.unwrap_err();
        assert!(
            matches!(barrier, JournalError::Poisoned { .. }),
            "{barrier}"
        );
        assert!(w.close().await.is_err());
    }

    #[tokio::test]
    async fn dropping_every_handle_still_commits_what_was_queued() {
        let dir = tempfile::tempdir().unwrap();
        let (path, j) = new_journal(&dir);
        let w = JournalWriter::spawn(j);
        let pending = w.submit(vec![created("a", 1, "1")]).unwrap();
        drop(w);
        pending.await.unwrap().unwrap();
        // The thread exits after answering; the file lock goes with it.
        let mut tries = 0;
        let r = loop {
            match crate::journal::Journal::open_append(&path) {
                Ok((_, r)) => break r,
                Err(JournalError::Locked { .. }) if tries < 200 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(r.counts().created, 1);
    }
}
