//! The writer: takes valid customers from a bounded channel, groups them
//! into batches of the platform's size, keeps at most `concurrency` requests
//! in flight, paces them with the limiter, journals `sent` (durably) before
//! each request and one outcome per record after it, and retries what is
//! worth retrying with backoff that obeys the server's hints.
//!
//! Layers, outermost first: concurrency → rate limit → retry → timeout → send.

pub mod feed;
pub mod http;
pub mod limit;
pub mod progress;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;

use crate::journal::{self, Entry, JournalError, JournalWriter, SentRecord, Stage};
use crate::model::Customer;
use crate::platform::{Endpoint, Found, Outcome, Platform, Response, Verdict};
use crate::values::{normalise_email, phone_key};

use self::feed::Feed;
use self::http::{Answer, SendError};
use self::limit::Limiter;

/// What to do with records sent without a clear answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum InDoubtPolicy {
    /// Look them up on the platform; found → created, not found → send.
    Lookup,
    /// Send them again (safe where emails are unique: a duplicate is `exists`).
    Resend,
    /// Leave them in doubt and list them for a person to check.
    Skip,
}

/// How the writer behaves; built once from the command line.
#[derive(Debug, Clone)]
pub struct WriterConfig {
    /// Where to send, with credentials.
    pub endpoint: Endpoint,
    /// Requests in flight at most.
    pub concurrency: usize,
    /// Timeout of one request, answer included.
    pub timeout: Duration,
    /// Retries of one batch after its first try.
    pub max_retries: u32,
    /// What to do with records whose request may have been applied.
    pub in_doubt: InDoubtPolicy,
    /// Stop the run when the platform has answered nothing but server
    /// errors or connection failures for this long.
    pub give_up_after: Duration,
    /// First backoff delay (doubling, with jitter, up to `max_backoff`).
    pub min_backoff: Duration,
    /// Longest backoff delay.
    pub max_backoff: Duration,
    /// Records per request: the platform's batch size for customers, 1 for
    /// orders.
    pub batch_size: usize,
}

/// One valid record to send.
#[derive(Debug, Clone)]
pub struct Work {
    /// Journal key (normalised email, phone or hash).
    pub key: String,
    /// Record number in the input.
    pub record: u64,
    /// Line the record starts on.
    pub line: u64,
    /// What to create.
    pub payload: Payload,
    /// When it was already sent in an earlier run without an outcome.
    pub sent_before: Option<DateTime<Utc>>,
}

/// What one record creates.
// Customers are the common case by far: boxing them to shrink the enum
// would add an allocation per record for the rare order's sake.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Payload {
    /// A customer, batched as the platform allows.
    Customer(Customer),
    /// An order (bitbybit), one per request.
    Order(OrderWork),
}

/// A checked order, ready to send.
#[derive(Debug, Clone)]
pub struct OrderWork {
    /// The create-order body.
    pub body: serde_json::Value,
    /// The customer's email, for the journal.
    pub email: Option<String>,
    /// The customer's phone, for the journal.
    pub phone: Option<String>,
}

impl Work {
    /// The customer, when the record is one.
    pub fn customer(&self) -> Option<&Customer> {
        match &self.payload {
            Payload::Customer(c) => Some(c),
            Payload::Order(_) => None,
        }
    }

    /// The email the journal keeps with the outcome (an order's: its
    /// customer's).
    pub fn email(&self) -> Option<String> {
        match &self.payload {
            Payload::Customer(c) => c.email.clone(),
            Payload::Order(o) => o.email.clone(),
        }
    }

    /// The phone the journal keeps with the outcome.
    pub fn phone(&self) -> Option<String> {
        match &self.payload {
            Payload::Customer(c) => c.phone.clone(),
            Payload::Order(o) => o.phone.clone(),
        }
    }
}

/// Live counts, shared with the progress display and the summary.
#[derive(Debug, Default)]
pub struct Tally {
    /// Records handed to the writer.
    pub queued: AtomicU64,
    /// Created.
    pub created: AtomicU64,
    /// Already in the store.
    pub exists: AtomicU64,
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
}

impl Tally {
    /// Records with a final or reported outcome.
    pub fn done(&self) -> u64 {
        [
            &self.created,
            &self.exists,
            &self.rejected,
            &self.failed,
            &self.in_doubt,
        ]
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .sum()
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
}

/// The writer's shared state.
pub struct Writer {
    platform: &'static dyn Platform,
    config: WriterConfig,
    client: reqwest::Client,
    journal: JournalWriter,
    limiter: Limiter,
    /// Live counts.
    pub tally: Arc<Tally>,
    stop: Arc<Stop>,
    next_batch: AtomicU64,
    /// When the platform last gave an answer that was not a server error.
    last_good: Mutex<Instant>,
}

impl Writer {
    /// A writer for `platform` that journals into `journal`.
    pub fn new(
        platform: &'static dyn Platform,
        config: WriterConfig,
        limiter: Limiter,
        journal: JournalWriter,
        tally: Arc<Tally>,
        stop: Arc<Stop>,
        first_batch: u64,
    ) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("storeload/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .pool_max_idle_per_host(config.concurrency.max(1))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Writer {
            platform,
            config,
            client,
            journal,
            limiter,
            tally,
            stop,
            next_batch: AtomicU64::new(first_batch),
            last_good: Mutex::new(Instant::now()),
        })
    }

    /// Sends everything `rx` yields, then waits for requests in flight.
    /// Returns the journal writer, to be closed by the caller.
    pub async fn run(self: Arc<Self>, mut rx: Feed) -> JournalWriter {
        let permits = Arc::new(Semaphore::new(self.config.concurrency.max(1)));
        let size = self.config.batch_size.max(1);
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            if self.stop.is_stopping() {
                break;
            }
            let permit = tokio::select! {
                p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
                _ = self.stop.notify.notified() => break,
            };
            let first = tokio::select! {
                w = rx.recv() => match w { Some(w) => w, None => break },
                _ = self.stop.notify.notified() => break,
            };
            let batch = fill_batch(first, &mut rx, size).await;
            let me = self.clone();
            tasks.spawn(async move {
                me.send_batch(batch).await;
                drop(permit);
            });
            while let Some(r) = tasks.try_join_next() {
                if let Err(e) = r {
                    tracing::error!(message = "a send task ended abnormally", %e);
                }
            }
        }
        while let Some(r) = tasks.join_next().await {
            if let Err(e) = r {
                tracing::error!(message = "a send task ended abnormally", %e);
            }
        }
        // Drain what was queued but never sent: it stays "not sent" (absent
        // from the journal), which resume picks up.
        rx.close();
        match Arc::try_unwrap(self) {
            Ok(w) => w.journal,
            Err(me) => me.journal.clone(),
        }
    }

    /// Sends one batch until every record has an outcome, splitting and
    /// resending as the platform's answers require.
    async fn send_batch(&self, batch: Vec<Work>) {
        // Records an earlier run sent without an answer: where a resend may
        // create a second record, settle them first (DECISIONS.md).
        let (doubtful, fresh): (Vec<Work>, Vec<Work>) = batch
            .into_iter()
            .partition(|w| w.sent_before.is_some() && !self.platform.email_unique());
        let mut queue: VecDeque<Vec<Work>> = VecDeque::new();
        if !fresh.is_empty() {
            queue.push_back(fresh);
        }
        if !doubtful.is_empty() {
            let unsettled = self
                .settle(doubtful, "sent by an earlier run without an answer")
                .await;
            if !unsettled.is_empty() {
                queue.push_back(unsettled);
            }
        }
        while let Some(batch) = queue.pop_front() {
            if batch.is_empty() {
                continue;
            }
            self.send_one(batch, &mut queue).await;
        }
    }

    /// The `sent` line of `batch` as batch `id`.
    fn sent_entry(&self, batch: &[Work], id: u64) -> Entry {
        Entry::Sent(journal::Sent {
            batch: id,
            at: Utc::now(),
            records: batch
                .iter()
                .map(|w| SentRecord {
                    key: w.key.clone(),
                    record: w.record,
                    line: w.line,
                })
                .collect(),
        })
    }

    /// True when a journal write went through; otherwise stops the run (a
    /// record must never be sent without a trace) and false.
    fn written(&self, result: Result<(), JournalError>) -> bool {
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

    /// Journals outcomes without waiting for their sync (see
    /// `JournalWriter::write_lazy`); false (and the run stopped) when the
    /// journal is gone.
    fn journal_outcomes(&self, entries: Vec<Entry>) -> bool {
        self.written(self.journal.write_lazy(entries))
    }

    /// Journals a batch's `sent` line before its request goes out. Where a
    /// resend is safe (emails unique) the line is in the file when this
    /// returns and durable within the journal's sync period: lost with the
    /// machine, its records read "not sent" and their resend answers
    /// "already there". Elsewhere it is durable before the request.
    async fn journal_sent(&self, sent: Entry) -> bool {
        if !self.platform.email_unique() {
            return self.journal(vec![sent]).await;
        }
        self.written(self.journal.write_unsynced(vec![sent]))
    }

    async fn journal(&self, entries: Vec<Entry>) -> bool {
        if entries.is_empty() {
            return true;
        }
        self.written(self.journal.write(entries).await)
    }

    async fn send_one(&self, batch: Vec<Work>, queue: &mut VecDeque<Vec<Work>>) {
        if self.stop.is_stopping() {
            // Never sent in this run: left out of the journal, so "not sent".
            return;
        }
        let batch_id = self.next_batch.fetch_add(1, Ordering::SeqCst);
        let sent_at = batch
            .iter()
            .filter_map(|w| w.sent_before)
            .min()
            .unwrap_or_else(Utc::now);
        if !self.journal_sent(self.sent_entry(&batch, batch_id)).await {
            return;
        }
        let customers: Vec<&Customer> = batch.iter().filter_map(Work::customer).collect();
        let request = match batch.first().map(|w| &w.payload) {
            Some(Payload::Order(o)) => self.platform.create_order(&self.config.endpoint, &o.body),
            _ => Some(
                self.platform
                    .create_customers(&self.config.endpoint, &customers),
            ),
        };
        let Some(request) = request else {
            // Refused before any run starts (cmd::orders); journaled if not.
            let reason = format!("{} takes no orders", self.platform.display_name());
            self.finish_unsettled(&batch, false, &reason).await;
            return;
        };
        let orders = customers.is_empty();
        let mut backoff = self.backoff();
        let mut attempt: u32 = 0;
        let mut doubt = false;
        loop {
            if self.stop.is_stopping() && attempt > 0 {
                let reason = "the run stopped before this record was settled".to_string();
                self.finish_unsettled(&batch, doubt, &reason).await;
                return;
            }
            self.limiter.wait().await;
            self.tally.requests.fetch_add(1, Ordering::Relaxed);
            let verdict = match http::send(&self.client, &request, self.config.timeout).await {
                Ok(answer) => self.read_answer(&answer, &customers, orders),
                Err(SendError::NotSent(reason)) => Verdict::Retry {
                    reason,
                    wait: None,
                    in_doubt: false,
                },
                Err(SendError::MaybeSent(reason)) => Verdict::Retry {
                    reason,
                    wait: None,
                    in_doubt: true,
                },
            };
            match verdict {
                Verdict::Outcomes(outcomes) => {
                    let mut resend = Vec::new();
                    let mut entries = Vec::new();
                    let mut no_id = Vec::new();
                    for (work, outcome) in batch.iter().zip(outcomes) {
                        match outcome {
                            Outcome::Resend { in_doubt, reason } => {
                                resend.push((work.clone(), in_doubt, reason))
                            }
                            other => {
                                if matches!(other, Outcome::Exists { id: None, .. }) {
                                    no_id.push(work);
                                }
                                entries.push(self.outcome_entry(work, other));
                            }
                        }
                    }
                    if !self.journal_outcomes(entries) {
                        return;
                    }
                    self.fill_exists_ids(&no_id).await;
                    self.requeue(resend, sent_at, queue).await;
                    return;
                }
                Verdict::Split { reason } => {
                    if batch.len() == 1 {
                        let entry = self.outcome_entry(
                            &batch[0],
                            Outcome::Rejected {
                                reasons: vec![crate::platform::Reason {
                                    field: "record".into(),
                                    rule: "platform.refused".into(),
                                    message: reason,
                                }],
                            },
                        );
                        self.journal(vec![entry]).await;
                    } else {
                        let mut batch = batch;
                        let back = batch.split_off(batch.len() / 2);
                        queue.push_front(back);
                        queue.push_front(batch);
                    }
                    return;
                }
                Verdict::Stop { message } => {
                    self.stop.fatal(message);
                    let reason = "the run stopped (see the summary)".to_string();
                    self.finish_unsettled(&batch, doubt, &reason).await;
                    return;
                }
                Verdict::Retry {
                    reason,
                    wait,
                    in_doubt,
                } => {
                    if reason.starts_with("429") {
                        self.tally.throttled.fetch_add(1, Ordering::Relaxed);
                    }
                    if in_doubt && !self.platform.email_unique() {
                        // A resend may create a second record: settle first.
                        let works: Vec<Work> = batch
                            .iter()
                            .cloned()
                            .map(|mut w| {
                                w.sent_before = Some(sent_at);
                                w
                            })
                            .collect();
                        let unsettled = self.settle(works, &reason).await;
                        // What the lookup did not find was not stored: send it.
                        if !unsettled.is_empty() && !self.stop.is_stopping() {
                            queue.push_back(unsettled);
                        }
                        return;
                    }
                    doubt |= in_doubt;
                    if self.gave_up() {
                        self.finish_unsettled(&batch, doubt, &reason).await;
                        return;
                    }
                    attempt += 1;
                    if attempt > self.config.max_retries {
                        let reason = format!("{reason} (after {attempt} tries)");
                        self.finish_unsettled(&batch, doubt, &reason).await;
                        return;
                    }
                    self.tally.retries.fetch_add(1, Ordering::Relaxed);
                    let delay = backoff.next().unwrap_or(self.config.max_backoff);
                    let delay = match wait {
                        Some(w) => {
                            // The server said how long: everyone waits it out.
                            self.limiter.pause(w);
                            w.max(delay / 4)
                        }
                        None => delay,
                    };
                    tracing::debug!(message = "retrying", batch = batch_id, attempt, ?delay, %reason);
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// Exponential backoff with jitter between the configured bounds, for
    /// the retries of one request (a send or a lookup).
    fn backoff(&self) -> impl Iterator<Item = Duration> + use<> {
        ExponentialBuilder::default()
            .with_min_delay(self.config.min_backoff)
            .with_max_delay(self.config.max_backoff)
            .with_jitter()
            .without_max_times()
            .build()
    }

    /// Reads an answer: follows its quota headers, then asks the platform.
    fn read_answer(&self, answer: &Answer, customers: &[&Customer], orders: bool) -> Verdict {
        let response = Response {
            status: answer.status,
            headers: &answer.headers,
            body: &answer.body,
        };
        let hint = self.platform.quota_hint(&answer.headers);
        self.limiter.observe(&hint);
        if answer.status < 500 {
            *self.last_good.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        }
        if orders {
            self.platform.classify_order(&response)
        } else {
            self.platform.classify_create(&response, customers)
        }
    }

    /// True (and the run stopped) when the platform has answered nothing but
    /// server errors or connection failures for `give_up_after`.
    fn gave_up(&self) -> bool {
        let since = self
            .last_good
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .elapsed();
        if since >= self.config.give_up_after {
            self.stop.fatal(format!(
                "{} has answered nothing but server errors or connection failures for {} s; stopped (resume later with `storeload resume`)",
                self.platform.display_name(),
                since.as_secs()
            ));
            return true;
        }
        false
    }

    /// Writes entries to the journal; false (and the run stopped) on error.
    pub async fn record(&self, entries: Vec<Entry>) -> bool {
        self.journal(entries).await
    }

    /// Journals the records of a batch that could not be settled: in doubt
    /// when a try may have been applied, failed (retryable) otherwise.
    async fn finish_unsettled(&self, batch: &[Work], doubt: bool, reason: &str) {
        let entries = batch
            .iter()
            .map(|w| {
                if doubt {
                    self.tally.in_doubt.fetch_add(1, Ordering::Relaxed);
                    Entry::InDoubt(journal::InDoubt {
                        key: w.key.clone(),
                        record: w.record,
                        line: w.line,
                        reason: reason.to_string(),
                    })
                } else {
                    self.tally.failed.fetch_add(1, Ordering::Relaxed);
                    Entry::Failed(journal::Failed {
                        key: w.key.clone(),
                        record: w.record,
                        line: w.line,
                        reason: reason.to_string(),
                    })
                }
            })
            .collect();
        self.journal(entries).await;
    }

    /// Looks up records answered "already there" so that the journal holds
    /// their platform id (for `ids` and order linking). Best effort: a
    /// failed lookup leaves them `exists` without an id.
    async fn fill_exists_ids(&self, works: &[&Work]) {
        for work in works {
            if self.stop.is_stopping() {
                return;
            }
            let probe = Work {
                sent_before: None,
                ..(*work).clone()
            };
            if let Some(Some(found)) = self.look_up_quiet(&probe).await {
                self.journal(vec![Entry::Exists(journal::Exists {
                    key: work.key.clone(),
                    record: work.record,
                    line: work.line,
                    id: Some(found.id),
                    reason: "already there; id found by lookup".into(),
                })])
                .await;
            }
        }
    }

    /// Records the platform did not settle go out again: where a resend is
    /// safe (emails unique) at once; elsewhere only after a lookup.
    async fn requeue(
        &self,
        resend: Vec<(Work, bool, String)>,
        sent_at: DateTime<Utc>,
        queue: &mut VecDeque<Vec<Work>>,
    ) {
        if resend.is_empty() {
            return;
        }
        let doubtful = resend.iter().any(|(_, d, _)| *d);
        let reason = resend[0].2.clone();
        let works: Vec<Work> = resend
            .into_iter()
            .map(|(mut w, _, _)| {
                w.sent_before = Some(sent_at);
                w
            })
            .collect();
        if doubtful && !self.platform.email_unique() {
            let unsettled = self.settle(works, &reason).await;
            if !unsettled.is_empty() {
                queue.push_back(unsettled);
            }
        } else {
            queue.push_back(works);
        }
    }

    /// Settles records that may have been stored by looking each up. Found
    /// and created after it was sent → `created`; found but older →
    /// `exists`; not found → returned, to be sent again. Without a lookup,
    /// or when the policy is `skip`, they are journaled in doubt.
    pub async fn settle(&self, works: Vec<Work>, reason: &str) -> Vec<Work> {
        let mut unsettled = Vec::new();
        for work in works {
            if self.config.in_doubt == InDoubtPolicy::Skip {
                self.finish_unsettled(std::slice::from_ref(&work), true, reason)
                    .await;
                continue;
            }
            if self.config.in_doubt == InDoubtPolicy::Resend {
                unsettled.push(work);
                continue;
            }
            match self.look_up(&work).await {
                Some(Some(entry)) => {
                    self.journal(vec![entry]).await;
                }
                Some(None) => unsettled.push(work),
                None => {
                    self.finish_unsettled(std::slice::from_ref(&work), true, reason)
                        .await;
                }
            }
        }
        unsettled
    }

    /// Looks one record up: `Some(Some(entry))` settled, `Some(None)` not
    /// found, `None` could not tell.
    pub async fn look_up(&self, work: &Work) -> Option<Option<Entry>> {
        let found = self.look_up_quiet(work).await?;
        Some(found.map(|hit| self.found_entry(work, &hit)))
    }

    /// Looks one record up without judging it: `Some(Some(hit))` found by an
    /// exact email (or, without one, phone) match, `Some(None)` not found,
    /// `None` could not tell.
    async fn look_up_quiet(&self, work: &Work) -> Option<Option<Found>> {
        // Orders have no lookup (DECISIONS.md): they stay in doubt.
        let customer = work.customer()?;
        let key = customer.email.clone().or_else(|| customer.phone.clone())?;
        let request = self
            .platform
            .lookup(&self.config.endpoint, &[key.as_str()])?;
        let mut backoff = self.backoff();
        for _ in 0..=self.config.max_retries {
            if self.stop.is_stopping() {
                return None;
            }
            self.limiter.wait().await;
            self.tally.requests.fetch_add(1, Ordering::Relaxed);
            match http::send(&self.client, &request, self.config.timeout).await {
                Ok(answer) => {
                    let response = Response {
                        status: answer.status,
                        headers: &answer.headers,
                        body: &answer.body,
                    };
                    self.limiter
                        .observe(&self.platform.quota_hint(&answer.headers));
                    match self.platform.parse_lookup(&response) {
                        Ok(found) => return Some(matching(work, &found).cloned()),
                        Err(Verdict::Stop { message }) => {
                            self.stop.fatal(message);
                            return None;
                        }
                        Err(Verdict::Retry { wait: Some(w), .. }) => self.limiter.pause(w),
                        Err(_) => {}
                    }
                }
                Err(e) => tracing::debug!(message = "lookup failed", ?e),
            }
            let delay = backoff.next().unwrap_or(self.config.max_backoff);
            tokio::time::sleep(delay).await;
        }
        None
    }

    /// The journal entry for a lookup hit: `created` when the platform
    /// created it after this run sent it, `exists` when it is older.
    fn found_entry(&self, work: &Work, hit: &Found) -> Entry {
        // Ours only when created after the first `sent` (a minute of clock
        // skew allowed); an older match was there before (DECISIONS.md).
        let sent = work.sent_before.unwrap_or_else(Utc::now) - chrono::Duration::seconds(60);
        let ours = hit.created_at.is_none_or(|c| c >= sent);
        if ours {
            self.tally.created.fetch_add(1, Ordering::Relaxed);
            Entry::Created(journal::Created {
                key: work.key.clone(),
                record: work.record,
                line: work.line,
                id: hit.id.clone(),
                email: work.email(),
                phone: work.phone(),
            })
        } else {
            self.tally.exists.fetch_add(1, Ordering::Relaxed);
            Entry::Exists(journal::Exists {
                key: work.key.clone(),
                record: work.record,
                line: work.line,
                id: Some(hit.id.clone()),
                reason: "found by lookup, created before this run sent it".into(),
            })
        }
    }

    fn outcome_entry(&self, work: &Work, outcome: Outcome) -> Entry {
        match outcome {
            Outcome::Created { id } => {
                self.tally.created.fetch_add(1, Ordering::Relaxed);
                Entry::Created(journal::Created {
                    key: work.key.clone(),
                    record: work.record,
                    line: work.line,
                    id,
                    email: work.email(),
                    phone: work.phone(),
                })
            }
            Outcome::Exists { id, reason } => {
                self.tally.exists.fetch_add(1, Ordering::Relaxed);
                Entry::Exists(journal::Exists {
                    key: work.key.clone(),
                    record: work.record,
                    line: work.line,
                    id,
                    reason,
                })
            }
            Outcome::Rejected { reasons } => {
                self.tally.rejected.fetch_add(1, Ordering::Relaxed);
                Entry::Rejected(journal::Rejected {
                    key: work.key.clone(),
                    record: work.record,
                    line: work.line,
                    // The key is the email or phone already.
                    email: None,
                    phone: None,
                    stage: Stage::Platform,
                    reasons: reasons
                        .into_iter()
                        .map(|r| journal::Reason {
                            field: r.field,
                            rule: r.rule,
                            message: r.message,
                        })
                        .collect(),
                })
            }
            Outcome::Resend { reason, .. } => {
                // Callers route resends before this; journal honestly if not.
                self.tally.in_doubt.fetch_add(1, Ordering::Relaxed);
                Entry::InDoubt(journal::InDoubt {
                    key: work.key.clone(),
                    record: work.record,
                    line: work.line,
                    reason,
                })
            }
        }
    }
}

/// A batch of up to `size` records starting with `first`: what is queued,
/// and up to 20 ms more for each missing record while the reader is behind.
async fn fill_batch(first: Work, rx: &mut Feed, size: usize) -> Vec<Work> {
    let mut batch = Vec::with_capacity(size);
    batch.push(first);
    while batch.len() < size {
        match rx.try_recv() {
            Ok(w) => batch.push(w),
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {
                match tokio::time::timeout(Duration::from_millis(20), rx.recv()).await {
                    Ok(Some(w)) => batch.push(w),
                    _ => break,
                }
            }
        }
    }
    batch
}

/// The lookup hit that is this record: an exact normalised email match, or
/// without an email an exact phone match (DECISIONS.md).
fn matching<'a>(work: &Work, found: &'a [Found]) -> Option<&'a Found> {
    let customer = work.customer()?;
    let email = customer.email.as_deref().map(normalise_email);
    let phone = customer.phone.as_deref().map(phone_key);
    found.iter().find(|f| match (&email, &f.email) {
        (Some(a), Some(b)) => a == b,
        _ => match (&phone, &f.phone) {
            (Some(a), Some(b)) if email.is_none() => *a == phone_key(b),
            _ => false,
        },
    })
}
