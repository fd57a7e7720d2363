//! The state a run's tasks share to be steered and watched: [`Stop`] (a
//! soft stop, or a whole-run error), [`Tally`] (live counts for the progress
//! line and the summary) and [`Clock`] (the wall clock the journal and the
//! settle delay read).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use crate::journal::Entry;

/// Live counts, shared with the progress display and the summary.
#[derive(Debug, Default)]
pub struct Tally {
    /// Records handed to the writer.
    pub queued: AtomicU64,
    /// Created.
    pub created: AtomicU64,
    /// Already in the store.
    pub exists: AtomicU64,
    /// Updated by id (a sync run).
    pub updated: AtomicU64,
    /// Unchanged since last sent, so not sent (a sync run).
    pub unchanged: AtomicU64,
    /// Refused by the platform.
    pub rejected: AtomicU64,
    /// Failed after retries (retryable on resume).
    pub failed: AtomicU64,
    /// Left in doubt.
    pub in_doubt: AtomicU64,
    /// Requests sent (attempts, lookups included).
    pub requests: AtomicU64,
    /// Retries scheduled.
    pub retries: AtomicU64,
    /// 429 answers seen.
    pub throttled: AtomicU64,
    /// Until when every request waits because the platform asked, and the
    /// platform's name, for the progress line.
    pub waiting: Mutex<Option<(std::time::Instant, &'static str)>>,
    /// Keys handed over that an earlier run had journaled (failed, in
    /// doubt, sent) and that have no outcome in this run yet: a stop leaves
    /// them unsent, and `status` counts them by their earlier line, not
    /// again as not sent.
    requeued: Mutex<std::collections::HashSet<String>>,
    /// `requeued`'s size, read without the lock.
    requeued_len: AtomicU64,
}

impl Tally {
    /// Records handed to the writer with a final or reported outcome
    /// (`unchanged` records are never handed to it).
    pub fn done(&self) -> u64 {
        [
            &self.created,
            &self.exists,
            &self.updated,
            &self.rejected,
            &self.failed,
            &self.in_doubt,
        ]
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .sum()
    }

    /// Counts the outcome `entry` journals (a `sent` line, a header or an
    /// end counts nothing).
    pub fn count(&self, entry: &Entry) {
        let (counter, key) = match entry {
            Entry::Created(e) => (&self.created, &e.key),
            Entry::Exists(e) => (&self.exists, &e.key),
            Entry::Updated(e) => (&self.updated, &e.key),
            Entry::Unchanged(e) => (&self.unchanged, &e.key),
            Entry::Rejected(e) => (&self.rejected, &e.key),
            Entry::Failed(e) => (&self.failed, &e.key),
            Entry::InDoubt(e) => (&self.in_doubt, &e.key),
            Entry::Header(_) | Entry::Sent(_) | Entry::End(_) => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if self.requeued_len.load(Ordering::Relaxed) > 0 {
            let mut requeued = self.requeued.lock().unwrap_or_else(|p| p.into_inner());
            if requeued.remove(key.as_str()) {
                self.requeued_len
                    .store(requeued.len() as u64, Ordering::Relaxed);
            }
        }
    }

    /// Notes that `key`, which an earlier run journaled, is handed over
    /// again (a failed or in-doubt record a resume sends).
    pub fn requeue(&self, key: &str) {
        let mut requeued = self.requeued.lock().unwrap_or_else(|p| p.into_inner());
        requeued.insert(key.to_string());
        self.requeued_len
            .store(requeued.len() as u64, Ordering::Relaxed);
    }

    /// Records handed over again that an earlier run journaled and that
    /// got no outcome in this run: of the run's `not_sent`, those that
    /// already have a line.
    pub fn requeued_unsent(&self) -> u64 {
        self.requeued_len.load(Ordering::Relaxed)
    }
}

/// Asks the writer to stop: `soft` stops taking new work and lets requests
/// in flight finish; a whole-run error also stops it.
#[derive(Debug, Default)]
pub struct Stop {
    soft: AtomicBool,
    notify: Notify,
    /// The sentence of a whole-run error (exit 3).
    fatal: Mutex<Option<String>>,
}

impl Stop {
    /// Stops taking new work.
    pub fn soft(&self) {
        self.soft.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Stops the run for a whole-run error.
    pub fn fatal(&self, message: String) {
        let mut f = self.fatal.lock().unwrap_or_else(|e| e.into_inner());
        if f.is_none() {
            *f = Some(message);
        }
        drop(f);
        self.soft();
    }

    /// True once a stop was asked for.
    pub fn is_stopping(&self) -> bool {
        self.soft.load(Ordering::SeqCst)
    }

    /// The whole-run error, if one stopped the run.
    pub fn fatal_message(&self) -> Option<String> {
        self.fatal.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Resolves at the next stop asked for after this call.
    pub async fn asked(&self) {
        self.notify.notified().await;
    }

    /// Sleeps `d`; false when the run is asked to stop first.
    pub async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = self.stopped() => {}
        }
        !self.is_stopping()
    }

    /// Resolves once a stop is asked for (at once if it was already).
    pub async fn stopped(&self) {
        loop {
            // Registered before the flag is read: a stop between the two
            // still wakes it (`notify_waiters` keeps no permit).
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_stopping() {
                return;
            }
            notified.await;
        }
    }

    /// `wait` unless a stop is asked for first: `None` then.
    pub async fn unless_stopped<T>(&self, wait: impl std::future::Future<Output = T>) -> Option<T> {
        tokio::select! {
            // A stop asked for before the wait ends wins over it.
            biased;
            _ = self.stopped() => None,
            done = wait => Some(done),
        }
    }
}

/// The wall clock: the system's in a run; in tests, one that moves with
/// tokio's paused time, so that a settle delay is waited out without a
/// real wait.
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    /// With tokio's time: the wall time at `.1`.
    tokio: Option<(DateTime<Utc>, tokio::time::Instant)>,
}

impl Clock {
    /// The system's wall clock.
    pub const SYSTEM: Clock = Clock { tokio: None };

    /// A wall clock starting now and moving with tokio's (possibly paused)
    /// time.
    #[cfg(test)]
    pub fn following_tokio() -> Clock {
        Clock {
            tokio: Some((Utc::now(), tokio::time::Instant::now())),
        }
    }

    /// The time now.
    pub fn now(&self) -> DateTime<Utc> {
        match self.tokio {
            None => Utc::now(),
            Some((wall, at)) => {
                let elapsed = chrono::Duration::from_std(at.elapsed())
                    .unwrap_or_else(|_| chrono::Duration::days(365));
                wall + elapsed
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal;
    use crate::model::Customer;
    use crate::writer::entries;
    use crate::writer::work::{Payload, Work};

    #[tokio::test(start_paused = true)]
    async fn a_sleep_ends_early_when_the_run_is_asked_to_stop() {
        let stop = std::sync::Arc::new(Stop::default());
        let started = tokio::time::Instant::now();
        let sleeper = {
            let stop = stop.clone();
            tokio::spawn(async move { stop.sleep(Duration::from_secs(60)).await })
        };
        // Let the sleeper register before the stop.
        tokio::task::yield_now().await;
        tokio::time::advance(Duration::from_secs(5)).await;
        stop.soft();
        assert!(!sleeper.await.unwrap());
        assert!(started.elapsed() < Duration::from_secs(60));
        // Once stopping, a sleep does not even start.
        assert!(!stop.sleep(Duration::from_secs(60)).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_unless_stopped_ends_at_a_stop_and_not_before() {
        let stop = std::sync::Arc::new(Stop::default());
        let waiter = {
            let stop = stop.clone();
            tokio::spawn(async move {
                stop.unless_stopped(tokio::time::sleep(Duration::from_secs(600)))
                    .await
            })
        };
        tokio::task::yield_now().await;
        tokio::time::advance(Duration::from_secs(30)).await;
        assert!(!waiter.is_finished(), "no stop yet: still waiting");
        stop.soft();
        assert_eq!(waiter.await.unwrap(), None, "the stop ended the wait");
        // A wait that ends first gives its value; a stop asked before any
        // wait starts wins at once.
        let fresh = Stop::default();
        assert_eq!(fresh.unless_stopped(async { 7 }).await, Some(7));
        assert_eq!(stop.unless_stopped(async { 7 }).await, None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_sleep_without_a_stop_is_true() {
        let stop = Stop::default();
        let started = tokio::time::Instant::now();
        assert!(stop.sleep(Duration::from_secs(90)).await);
        assert!(started.elapsed() >= Duration::from_secs(90));
    }

    #[test]
    fn the_first_whole_run_error_is_the_one_reported() {
        let stop = Stop::default();
        stop.fatal("first".into());
        stop.fatal("second".into());
        assert!(stop.is_stopping());
        assert_eq!(stop.fatal_message().as_deref(), Some("first"));
    }

    #[test]
    fn each_outcome_counts_once_in_its_own_column() {
        let t = Tally::default();
        let work = Work {
            key: "a@x.com".into(),
            record: 1,
            line: 2,
            payload: Payload::Customer(Customer::default()),
            sent_before: None,
            sync: None,
        };
        t.count(&entries::created(&work, "7".into(), Vec::new()));
        t.count(&Entry::Failed(journal::Failed {
            key: "b@x.com".into(),
            record: 2,
            line: 3,
            reason: "503".into(),
        }));
        assert_eq!(t.created.load(Ordering::Relaxed), 1);
        assert_eq!(t.failed.load(Ordering::Relaxed), 1);
        assert_eq!(t.done(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn the_test_clock_moves_with_paused_time() {
        let clock = Clock::following_tokio();
        let before = clock.now();
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!((clock.now() - before).num_seconds(), 61);
    }
}
