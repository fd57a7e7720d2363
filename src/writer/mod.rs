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
    /// After a send without an answer where a resend may create a second
    /// record, how long after the send a lookup must run for "not found"
    /// to count (`--settle-delay`).
    pub settle_delay: Duration,
    /// The longest wait a platform may ask for; longer stops the run
    /// (`--max-wait`).
    pub max_wait: Duration,
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
    /// Until when every request waits because the platform asked, and the
    /// platform's name, for the progress line.
    pub waiting: Mutex<Option<(std::time::Instant, &'static str)>>,
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
        let limiter = limiter.with_max_wait(config.max_wait);
        let client = http::client_builder()
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
    /// resending as the platform's answers require. Every resend, whatever
    /// its path, spends the record's retry budget (DECISIONS.md "Hostile
    /// paths").
    async fn send_batch(&self, batch: Vec<Work>) {
        let unique = self.platform.email_unique();
        // Records an earlier run sent without an answer: where a resend may
        // create a second record, settle them first (DECISIONS.md).
        let (doubtful, fresh): (Vec<Pending>, Vec<Pending>) = batch
            .into_iter()
            .map(|w| Pending::new(w, unique))
            .partition(|p| p.doubt);
        let mut queue: VecDeque<Vec<Pending>> = VecDeque::new();
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

    /// The `sent` line of `batch` as batch `id`, with the lookups that found
    /// nothing since its records were last sent.
    fn sent_entry(&self, batch: &[Pending], id: u64) -> Entry {
        let mut lookups: Vec<DateTime<Utc>> = batch
            .iter()
            .flat_map(|p| p.lookups.iter().copied())
            .collect();
        lookups.sort();
        lookups.dedup();
        Entry::Sent(journal::Sent {
            batch: id,
            at: Utc::now(),
            records: batch
                .iter()
                .map(|p| SentRecord {
                    key: p.work.key.clone(),
                    record: p.work.record,
                    line: p.work.line,
                })
                .collect(),
            lookups,
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

    /// Sends requests a record may take: its first try and `--max-retries`
    /// more, counted across every path that sends it again.
    fn budget(&self) -> u32 {
        self.config.max_retries.saturating_add(1)
    }

    /// Journals the records of `batch` whose retry budget is spent: in
    /// doubt when a try may have been applied, failed otherwise.
    async fn finish_spent(&self, batch: &[Pending]) {
        let max = self.config.max_retries;
        self.finish_each(batch, |p| {
            format!(
                "{} (after {} tries; --max-retries {max})",
                p.reason.as_deref().unwrap_or("no clear answer"),
                p.tries
            )
        })
        .await;
    }

    async fn send_one(&self, batch: Vec<Pending>, queue: &mut VecDeque<Vec<Pending>>) {
        if self.stop.is_stopping() {
            // Never sent in this run: left out of the journal, so "not
            // sent"; sent before: its `sent` line leaves it in doubt.
            return;
        }
        let budget = self.budget();
        let (spent, mut batch): (Vec<Pending>, Vec<Pending>) =
            batch.into_iter().partition(|p| p.tries >= budget);
        if !spent.is_empty() {
            self.finish_spent(&spent).await;
        }
        if batch.is_empty() {
            return;
        }
        // A resend obeys --give-up-after as a retry does.
        if batch.iter().any(|p| p.tries > 0) && self.gave_up() {
            self.finish_each(&batch, |p| {
                p.reason.clone().unwrap_or_else(|| "the run gave up".into())
            })
            .await;
            return;
        }
        let batch_id = self.next_batch.fetch_add(1, Ordering::SeqCst);
        let sent_at = batch
            .iter()
            .filter_map(|p| p.work.sent_before)
            .min()
            .unwrap_or_else(Utc::now);
        if !self.journal_sent(self.sent_entry(&batch, batch_id)).await {
            return;
        }
        for p in &mut batch {
            p.lookups.clear();
            // The first send: lookups judge a hit against it (found_entry).
            p.work.sent_before.get_or_insert(sent_at);
        }
        let request = {
            let customers: Vec<&Customer> =
                batch.iter().filter_map(|p| p.work.customer()).collect();
            match batch.first().map(|p| &p.work.payload) {
                Some(Payload::Order(o)) => {
                    self.platform.create_order(&self.config.endpoint, &o.body)
                }
                _ => Some(
                    self.platform
                        .create_customers(&self.config.endpoint, &customers),
                ),
            }
        };
        let Some(request) = request else {
            // Refused before any run starts (cmd::orders); journaled if not.
            let reason = format!("{} takes no orders", self.platform.display_name());
            self.finish_unsettled(&batch, &reason).await;
            return;
        };
        let orders = batch.iter().all(|p| p.work.customer().is_none());
        let mut backoff = self.backoff();
        let mut tried = false;
        loop {
            if self.stop.is_stopping() && tried {
                let reason = "the run stopped before this record was settled".to_string();
                self.finish_unsettled(&batch, &reason).await;
                return;
            }
            self.limiter.wait().await;
            self.tally.requests.fetch_add(1, Ordering::Relaxed);
            let now = Utc::now();
            for p in &mut batch {
                p.tries += 1;
                p.last_sent = Some(now);
            }
            tried = true;
            let verdict = match http::send(&self.client, &request, self.config.timeout).await {
                Ok(answer) => {
                    if let Some(note) = http::redirect_note(&answer) {
                        // An answer, not a place to go: the records fail.
                        *self.last_good.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
                        self.finish_unsettled(&batch, &note).await;
                        return;
                    }
                    let customers: Vec<&Customer> =
                        batch.iter().filter_map(|p| p.work.customer()).collect();
                    self.read_answer(&answer, &customers, orders)
                }
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
                    // An answer that settled some records of the batch (a
                    // 422 naming one taken email) sends the rest again in
                    // a smaller batch: that resend is progress, not a
                    // failed try, and cannot repeat more often than the
                    // batch has records. Only an answer that settles
                    // nothing spends the budget of those it sends again.
                    let progress = outcomes
                        .iter()
                        .any(|o| !matches!(o, Outcome::Resend { .. }));
                    for (mut p, outcome) in batch.into_iter().zip(outcomes) {
                        match outcome {
                            Outcome::Resend { in_doubt, reason } => {
                                p.doubt |= in_doubt;
                                p.reason = Some(reason);
                                if progress {
                                    p.tries = p.tries.saturating_sub(1);
                                }
                                resend.push(p);
                            }
                            other => {
                                if matches!(other, Outcome::Exists { id: None, .. }) {
                                    no_id.push(p.work.clone());
                                }
                                entries.push(self.outcome_entry(&p.work, other));
                            }
                        }
                    }
                    if !self.journal_outcomes(entries) {
                        return;
                    }
                    let no_id: Vec<&Work> = no_id.iter().collect();
                    self.fill_exists_ids(&no_id).await;
                    self.requeue(resend, queue).await;
                    return;
                }
                Verdict::Split { reason } => {
                    if batch.len() == 1 {
                        let entry = self.outcome_entry(
                            &batch[0].work,
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
                        for p in &mut batch {
                            p.reason = Some(reason.clone());
                        }
                        let back = batch.split_off(batch.len() / 2);
                        queue.push_front(back);
                        queue.push_front(batch);
                    }
                    return;
                }
                Verdict::Stop { message } => {
                    self.stop.fatal(message);
                    let reason = "the run stopped (see the summary)".to_string();
                    self.finish_unsettled(&batch, &reason).await;
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
                    for p in &mut batch {
                        p.doubt |= in_doubt;
                        p.reason = Some(reason.clone());
                    }
                    if in_doubt && !self.platform.email_unique() {
                        // A resend may create a second record: settle first.
                        // What the lookups do not find goes back in the
                        // queue, where it spends its budget like a retry.
                        let unsettled = self.settle(batch, &reason).await;
                        if !unsettled.is_empty() && !self.stop.is_stopping() {
                            queue.push_back(unsettled);
                        }
                        return;
                    }
                    if self.gave_up() {
                        self.finish_unsettled(&batch, &reason).await;
                        return;
                    }
                    if batch.iter().any(|p| p.tries >= budget) {
                        self.finish_spent(&batch).await;
                        return;
                    }
                    self.tally.retries.fetch_add(1, Ordering::Relaxed);
                    let delay = backoff.next().unwrap_or(self.config.max_backoff);
                    let delay = match wait {
                        Some(w) => {
                            // The server said how long (and read_answer
                            // refused anything past --max-wait): everyone
                            // waits it out.
                            self.limiter.pause(w);
                            w.max(delay / 4)
                        }
                        None => delay,
                    };
                    tracing::debug!(message = "retrying", batch = batch_id, ?delay, %reason);
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
    /// A wait past `--max-wait`, asked by the headers or by the verdict,
    /// stops the run (DECISIONS.md "Hostile paths").
    fn read_answer(&self, answer: &Answer, customers: &[&Customer], orders: bool) -> Verdict {
        let response = Response {
            status: answer.status,
            headers: &answer.headers,
            body: &answer.body,
        };
        let hint = self.platform.quota_hint(&answer.headers);
        if let Some(asked) = self.limiter.observe(&hint) {
            // A refusal stops the run; this answer's outcomes still count.
            self.server_wait(asked, &answer.headers);
        }
        if answer.status < 500 {
            *self.last_good.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        }
        let verdict = if orders {
            self.platform.classify_order(&response)
        } else {
            self.platform.classify_create(&response, customers)
        };
        match verdict {
            Verdict::Retry { wait: Some(w), .. } if !self.server_wait(w, &answer.headers) => {
                Verdict::Stop {
                    message: self.stop.fatal_message().unwrap_or_default(),
                }
            }
            v => v,
        }
    }

    /// Weighs a wait the platform asked for: past `--max-wait` it stops the
    /// run (exit 3, resumable) with a sentence naming the header, and is
    /// false; otherwise the progress line shows it, and true.
    fn server_wait(&self, wait: Duration, headers: &reqwest::header::HeaderMap) -> bool {
        let max = self.limiter.max_wait();
        let name = self.platform.display_name();
        if wait > max {
            let source = crate::platform::longest_wait(headers)
                .map(|(header, _)| {
                    let raw = headers
                        .get(header)
                        .map(|v| {
                            String::from_utf8_lossy(v.as_bytes())
                                .chars()
                                .take(40)
                                .collect::<String>()
                        })
                        .unwrap_or_default();
                    format!("{header}: {raw}")
                })
                .unwrap_or_else(|| "its rate-limit headers".into());
            self.stop.fatal(format!(
                "{name} asked to wait {} ({source}), longer than --max-wait {} s; stopped rather than hang (raise --max-wait to wait that long)",
                human_wait(wait),
                max.as_secs()
            ));
            return false;
        }
        if !wait.is_zero() {
            let until = std::time::Instant::now().checked_add(wait);
            *self.tally.waiting.lock().unwrap_or_else(|e| e.into_inner()) =
                until.map(|u| (u, name));
        }
        true
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
    async fn finish_unsettled(&self, batch: &[Pending], reason: &str) {
        self.finish_each(batch, |_| reason.to_string()).await;
    }

    /// As [`finish_unsettled`](Self::finish_unsettled), with a reason per record.
    async fn finish_each(&self, batch: &[Pending], reason: impl Fn(&Pending) -> String) {
        let entries = batch
            .iter()
            .map(|p| {
                let w = &p.work;
                if p.doubt {
                    self.tally.in_doubt.fetch_add(1, Ordering::Relaxed);
                    Entry::InDoubt(journal::InDoubt {
                        key: w.key.clone(),
                        record: w.record,
                        line: w.line,
                        reason: reason(p),
                        lookups: p.lookups.clone(),
                    })
                } else {
                    self.tally.failed.fetch_add(1, Ordering::Relaxed);
                    Entry::Failed(journal::Failed {
                        key: w.key.clone(),
                        record: w.record,
                        line: w.line,
                        reason: reason(p),
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
            let at = Utc::now();
            if let Some(Some(found)) = self.look_up_quiet(&probe).await {
                self.journal(vec![Entry::Exists(journal::Exists {
                    key: work.key.clone(),
                    record: work.record,
                    line: work.line,
                    id: Some(found.id),
                    reason: "already there; id found by lookup".into(),
                    lookups: vec![at],
                })])
                .await;
            }
        }
    }

    /// Records the platform did not settle go out again: where a resend is
    /// safe (emails unique) at once; elsewhere only after a lookup. Either
    /// way the next send spends their budget.
    async fn requeue(&self, resend: Vec<Pending>, queue: &mut VecDeque<Vec<Pending>>) {
        if resend.is_empty() {
            return;
        }
        let doubtful = resend.iter().any(|p| p.doubt);
        if doubtful && !self.platform.email_unique() {
            let reason = resend[0]
                .reason
                .clone()
                .unwrap_or_else(|| "not settled by the answer".into());
            let unsettled = self.settle(resend, &reason).await;
            if !unsettled.is_empty() {
                queue.push_back(unsettled);
            }
        } else {
            queue.push_back(resend);
        }
    }

    /// Settles records that may have been stored by looking each up. Found
    /// and created after it was sent → `created`; found but older →
    /// `exists`; not found by a lookup made at least the settle delay after
    /// its last send → returned, to be sent again. Without a lookup, or
    /// when the policy is `skip`, they are journaled in doubt.
    async fn settle(&self, batch: Vec<Pending>, reason: &str) -> Vec<Pending> {
        let mut unsettled = Vec::new();
        for mut p in batch {
            p.doubt = true;
            if p.reason.is_none() {
                p.reason = Some(reason.to_string());
            }
            match self.config.in_doubt {
                InDoubtPolicy::Skip => {
                    self.finish_unsettled(std::slice::from_ref(&p), reason)
                        .await;
                }
                InDoubtPolicy::Resend => unsettled.push(p),
                InDoubtPolicy::Lookup => {
                    if let Some(p) = self.settle_one(p, reason).await {
                        unsettled.push(p);
                    }
                }
            }
        }
        unsettled
    }

    /// Looks one record up, and when the lookup finds nothing sooner than
    /// the settle delay after its last send (a search may show a new record
    /// late), waits out the delay and looks once more (DECISIONS.md
    /// "Hostile paths"). Found → journaled; could not tell → journaled in
    /// doubt; not found after the delay → returned, to be sent again.
    async fn settle_one(&self, mut p: Pending, reason: &str) -> Option<Pending> {
        let delay = chrono::Duration::from_std(self.config.settle_delay)
            .unwrap_or_else(|_| chrono::Duration::days(1));
        loop {
            let at = Utc::now();
            let found = self.look_up_quiet(&p.work).await;
            p.lookups.push(at);
            match found {
                Some(Some(hit)) => {
                    let entry = self.found_entry(&p.work, &hit, p.lookups.clone());
                    self.journal(vec![entry]).await;
                    return None;
                }
                None => {
                    self.finish_unsettled(std::slice::from_ref(&p), reason)
                        .await;
                    return None;
                }
                Some(None) => {}
            }
            let Some(settled_from) = p.last_sent.map(|s| s + delay) else {
                return Some(p);
            };
            if at >= settled_from {
                return Some(p);
            }
            let wait = (settled_from - Utc::now()).to_std().unwrap_or_default();
            if !self.sleep_unless_stopped(wait).await {
                let reason = format!(
                    "{reason}; not found by a lookup, and the run stopped before the settle delay ({} s) passed",
                    self.config.settle_delay.as_secs()
                );
                self.finish_unsettled(std::slice::from_ref(&p), &reason)
                    .await;
                return None;
            }
        }
    }

    /// Sleeps `d`; false when the run is asked to stop first.
    async fn sleep_unless_stopped(&self, d: Duration) -> bool {
        if self.stop.is_stopping() {
            return false;
        }
        let notified = self.stop.notify.notified();
        tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = notified => {}
        }
        !self.stop.is_stopping()
    }

    /// Looks one record up: `Some(Some(entry))` settled, `Some(None)` not
    /// found, `None` could not tell.
    pub async fn look_up(&self, work: &Work) -> Option<Option<Entry>> {
        let at = Utc::now();
        let found = self.look_up_quiet(work).await?;
        Some(found.map(|hit| self.found_entry(work, &hit, vec![at])))
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
                    if let Some(note) = http::redirect_note(&answer) {
                        // Not followed: the lookup cannot tell.
                        tracing::warn!(message = "lookup redirected", %note);
                        return None;
                    }
                    let response = Response {
                        status: answer.status,
                        headers: &answer.headers,
                        body: &answer.body,
                    };
                    if let Some(asked) = self
                        .limiter
                        .observe(&self.platform.quota_hint(&answer.headers))
                        && !self.server_wait(asked, &answer.headers)
                    {
                        return None;
                    }
                    match self.platform.parse_lookup(&response) {
                        Ok(found) => return Some(matching(work, &found).cloned()),
                        Err(Verdict::Stop { message }) => {
                            self.stop.fatal(message);
                            return None;
                        }
                        Err(Verdict::Retry { wait: Some(w), .. }) => {
                            if !self.server_wait(w, &answer.headers) {
                                return None;
                            }
                            self.limiter.pause(w);
                        }
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
    fn found_entry(&self, work: &Work, hit: &Found, lookups: Vec<DateTime<Utc>>) -> Entry {
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
                lookups,
            })
        } else {
            self.tally.exists.fetch_add(1, Ordering::Relaxed);
            Entry::Exists(journal::Exists {
                key: work.key.clone(),
                record: work.record,
                line: work.line,
                id: Some(hit.id.clone()),
                reason: "found by lookup, created before this run sent it".into(),
                lookups,
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
                    lookups: Vec::new(),
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
                    lookups: Vec::new(),
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
                    lookups: Vec::new(),
                })
            }
        }
    }
}

/// A record on its way through one batch's sends: what it has spent of its
/// retry budget, and what is known of its sends and lookups.
#[derive(Debug)]
struct Pending {
    /// The record.
    work: Work,
    /// Requests that carried it in this run, whatever sent them (a retry, a
    /// resend after a lookup, a split): at most `1 + --max-retries`.
    tries: u32,
    /// Whether one of its sends may have been applied: in this run, or in
    /// an earlier one where a resend may create a second record.
    doubt: bool,
    /// When it was last sent; the settle delay counts from here.
    last_sent: Option<DateTime<Utc>>,
    /// When each lookup since its last send ran, for the journal.
    lookups: Vec<DateTime<Utc>>,
    /// Why it is not settled yet, for the journal when its budget is spent.
    reason: Option<String>,
}

impl Pending {
    /// A record as the reader hands it over; `unique` when the platform
    /// answers a duplicate `exists` (a resend is safe).
    fn new(work: Work, unique: bool) -> Pending {
        Pending {
            doubt: work.sent_before.is_some() && !unique,
            last_sent: work.sent_before,
            work,
            tries: 0,
            lookups: Vec::new(),
            reason: None,
        }
    }
}

/// A wait as a person reads it: seconds, or the larger unit it is about.
fn human_wait(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..120 => format!("{} s", d.as_secs_f64().ceil() as u64),
        120..7_200 => format!("{} s (about {} minutes)", s, s / 60),
        7_200..172_800 => format!("{} s (about {} hours)", s, s / 3600),
        _ => format!("{} s (about {} days)", s, s / 86_400),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_is_told_in_seconds_and_the_unit_it_is_about() {
        assert_eq!(human_wait(Duration::from_millis(41_200)), "42 s");
        assert_eq!(
            human_wait(Duration::from_secs(600)),
            "600 s (about 10 minutes)"
        );
        assert_eq!(
            human_wait(Duration::from_secs(999_999)),
            "999999 s (about 11 days)"
        );
        assert_eq!(
            human_wait(Duration::from_secs(u64::MAX)),
            format!("{} s (about {} days)", u64::MAX, u64::MAX / 86_400)
        );
    }

    #[test]
    fn a_record_sent_by_an_earlier_run_is_in_doubt_only_where_a_resend_may_duplicate() {
        let work = Work {
            key: "a@x.com".into(),
            record: 1,
            line: 2,
            payload: Payload::Customer(Customer::default()),
            sent_before: Some(Utc::now()),
        };
        let p = Pending::new(work.clone(), false);
        assert!(p.doubt && p.tries == 0 && p.last_sent == work.sent_before);
        assert!(!Pending::new(work, true).doubt);
    }
}
