//! The writer's link to one platform: what sending and settling both need
//! (the platform, its endpoint, the HTTP client, the pace, the journal,
//! the stop and the tally), and the few acts they share: weighing a wait
//! the server asks for, and journaling without ever sending a record
//! without a trace.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use reqwest::header::HeaderMap;

use crate::journal::{Entry, JournalError, JournalWriter};
use crate::platform::{Endpoint, Platform};

use super::control::{Stop, Tally};
use super::entries;
use super::http;
use super::limit::Limiter;
use super::retry::{self, RetryPolicy};
use super::work::Pending;

/// One run's link to one platform.
pub struct Link {
    /// The platform's rules for requests and answers.
    pub(super) platform: &'static dyn Platform,
    /// Where to send, with credentials.
    pub(super) endpoint: Endpoint,
    /// One client for the run: its connections are reused.
    pub(super) client: reqwest::Client,
    /// The pace every request waits on.
    pub(super) limiter: Limiter,
    /// The run's journal.
    pub(super) journal: JournalWriter,
    /// The run's stop.
    pub(super) stop: Arc<Stop>,
    /// The run's counts.
    pub(super) tally: Arc<Tally>,
    /// How each request is retried.
    pub(super) retry: RetryPolicy,
    /// A wait past `--max-wait` that a successful answer's quota headers
    /// asked for, until when, and the sentence that stops the run: only
    /// a request sent before then stops it ([`Link::may_send`]), so a run
    /// whose last answer asked it is done, not stopped.
    /// (`None` as the time: a wait too long to represent, never over.)
    refused_wait: Mutex<Option<(Option<Instant>, String)>>,
}

impl Link {
    /// A link to `platform` at `endpoint` keeping up to `connections` idle
    /// connections, paced by `limiter`, journaling into `journal`, stopped
    /// by `stop`, with a tally of its own (see [`with_tally`](Self::with_tally)).
    pub fn new(
        platform: &'static dyn Platform,
        endpoint: Endpoint,
        retry: RetryPolicy,
        connections: usize,
        limiter: Limiter,
        journal: JournalWriter,
        stop: Arc<Stop>,
    ) -> Result<Link, String> {
        let client = http::client_builder()
            .connect_timeout(retry.timeout.min(Duration::from_secs(10)))
            .pool_max_idle_per_host(connections.max(1))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Link {
            platform,
            endpoint,
            client,
            limiter,
            journal,
            stop,
            tally: Arc::new(Tally::default()),
            retry,
            refused_wait: Mutex::new(None),
        })
    }

    /// This link, counting into `tally`.
    pub fn with_tally(mut self, tally: Arc<Tally>) -> Link {
        self.tally = tally;
        self
    }

    /// The run's journal.
    pub fn journal(&self) -> &JournalWriter {
        &self.journal
    }

    /// Follows an answer's quota headers: the limiter paces by them, and a
    /// wait they ask for is shown while it lasts. A wait past `--max-wait`
    /// is kept, to stop the run if another request is to go out before it
    /// ends ([`Link::may_send`]): the answer that asked it is counted, and
    /// nothing waits for a request that never comes.
    pub(super) fn heed_quota(&self, headers: &HeaderMap) {
        let Some(asked) = self.limiter.observe(&self.platform.quota_hint(headers)) else {
            return;
        };
        let name = self.platform.display_name();
        match retry::weigh_wait(name, asked, self.limiter.max_wait(), headers) {
            Ok(()) => self.show_wait(asked),
            Err(message) => {
                let until = Instant::now().checked_add(asked);
                *self.refused_wait.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some((until, message));
            }
        }
    }

    /// True when a request may go out; false, and the run stopped, while a
    /// wait past `--max-wait` that the quota headers asked for lasts.
    pub(super) fn may_send(&self) -> bool {
        let mut refused = self.refused_wait.lock().unwrap_or_else(|e| e.into_inner());
        let message = match refused.as_ref() {
            Some((until, message)) if until.is_none_or(|u| Instant::now() < u) => message.clone(),
            _ => {
                *refused = None;
                return true;
            }
        };
        drop(refused);
        self.stop.fatal(message);
        false
    }

    /// Weighs a wait the platform asked for: past `--max-wait` it stops the
    /// run (exit 3, resumable) with a sentence naming the header, and is
    /// false; otherwise the progress line shows it, and true.
    pub(super) fn server_wait(&self, wait: Duration, headers: &HeaderMap) -> bool {
        let name = self.platform.display_name();
        if let Err(message) = retry::weigh_wait(name, wait, self.limiter.max_wait(), headers) {
            self.stop.fatal(message);
            return false;
        }
        self.show_wait(wait);
        true
    }

    /// Shows a wait the platform asked for on the progress line.
    fn show_wait(&self, wait: Duration) {
        if !wait.is_zero() {
            let until = std::time::Instant::now().checked_add(wait);
            *self.tally.waiting.lock().unwrap_or_else(|e| e.into_inner()) =
                until.map(|u| (u, self.platform.display_name()));
        }
    }

    /// True when a journal write went through; otherwise stops the run (a
    /// record must never be sent without a trace) and false.
    pub(super) fn written(&self, result: Result<(), JournalError>) -> bool {
        match result {
            Ok(()) => true,
            Err(e) => {
                self.stop.fatal(format!(
                    "the journal cannot be written ({e}); stopped so that no record is sent without a trace"
                ));
                false
            }
        }
    }

    /// Writes entries to the journal, durably; false (and the run stopped)
    /// on error.
    pub async fn record(&self, entries: Vec<Entry>) -> bool {
        if entries.is_empty() {
            return true;
        }
        self.written(self.journal.write(entries).await)
    }

    /// Counts outcome entries, then journals them durably.
    pub(super) async fn record_outcomes(&self, entries: Vec<Entry>) -> bool {
        for e in &entries {
            self.tally.count(e);
        }
        self.record(entries).await
    }

    /// Journals the records of a batch that could not be settled: in doubt
    /// when a try may have been applied, failed (retryable) otherwise.
    pub(super) async fn finish_unsettled(&self, batch: &[Pending], reason: &str) {
        self.finish_each(batch, |_| reason.to_string()).await;
    }

    /// As [`finish_unsettled`](Self::finish_unsettled), with a reason per record.
    pub(super) async fn finish_each(&self, batch: &[Pending], reason: impl Fn(&Pending) -> String) {
        let entries = batch
            .iter()
            .map(|p| entries::unsettled(p, reason(p)))
            .collect();
        self.record_outcomes(entries).await;
    }
}
