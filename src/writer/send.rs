//! Sending one batch until every record has an outcome: journal `sent`,
//! send, read the platform's verdict, and act on it — journal outcomes,
//! split a batch the platform refused whole, stop the run, or retry with
//! backoff (the decisions are [`retry`](super::retry)'s). Records that may
//! have been stored where a resend may duplicate go to the
//! [`Settler`] first. Every resend, whatever its path, spends the record's
//! retry budget (DECISIONS.md "Hostile paths").

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Utc;

use crate::journal::Entry;
use crate::model::Customer;
use crate::platform::{Outcome, Request, Response, Verdict};

use super::entries;
use super::http::{self, Answer, SendError};
use super::link::Link;
use super::retry::{self, AfterRetry, Backoff, GiveUp};
use super::settle::Settler;
use super::work::{Payload, Pending, SyncWork, Work};

/// Sends batches through one link, settling what needs it.
pub struct Sender {
    link: Arc<Link>,
    settler: Settler,
    give_up: GiveUp,
    /// The next batch number for the journal.
    next_batch: AtomicU64,
}

/// Batches still to send for one batch handed over: splits and resends.
type Queue = VecDeque<Vec<Pending>>;

impl Sender {
    /// A sender through `settler`'s link, giving up after `give_up` of
    /// silence, numbering batches from `first_batch`.
    pub fn new(settler: Settler, give_up: GiveUp, first_batch: u64) -> Sender {
        Sender {
            link: settler.shared_link(),
            settler,
            give_up,
            next_batch: AtomicU64::new(first_batch),
        }
    }

    /// The link it sends through.
    pub fn link(&self) -> &Link {
        &self.link
    }

    /// The next batch number for the journal.
    pub(super) fn next_batch_id(&self) -> u64 {
        self.next_batch.fetch_add(1, Ordering::SeqCst)
    }

    /// The platform answered (anything but a server error): the silence
    /// `--give-up-after` measures is over.
    pub(super) fn answered(&self) {
        self.give_up.answered();
    }

    /// Sends one batch until every record has an outcome, splitting and
    /// resending as the platform's answers require.
    pub async fn send_batch(&self, batch: Vec<Work>) {
        // A sync run's updates by id go their own way (`update.rs`).
        let (updates, batch): (Vec<Work>, Vec<Work>) = batch
            .into_iter()
            .partition(|w| w.sync.as_ref().is_some_and(|s| s.id.is_some()));
        if !updates.is_empty() {
            self.send_updates(updates).await;
        }
        if batch.is_empty() {
            return;
        }
        let unique = self.link.platform.email_unique();
        // Records an earlier run sent without an answer: where a resend may
        // create a second record, settle them first (DECISIONS.md).
        let (doubtful, fresh): (Vec<Pending>, Vec<Pending>) = batch
            .into_iter()
            .map(|w| Pending::new(w, unique))
            .partition(|p| p.doubt);
        let mut queue = Queue::new();
        if !fresh.is_empty() {
            queue.push_back(fresh);
        }
        if !doubtful.is_empty() {
            let unsettled = self
                .settler
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

    /// Sends one batch (tries included) and acts on its last answer.
    async fn send_one(&self, batch: Vec<Pending>, queue: &mut Queue) {
        if self.link.stop.is_stopping() || !self.link.may_send() {
            // Never sent in this run: left out of the journal, so "not
            // sent"; sent before: its `sent` line leaves it in doubt.
            return;
        }
        let Some(mut batch) = self.admit(batch).await else {
            return;
        };
        let Some((batch_id, request)) = self.prepare(&mut batch).await else {
            return;
        };
        let orders = batch.iter().all(|p| p.work.customer().is_none());
        let mut backoff = self.link.retry.backoff();
        let mut tried = false;
        loop {
            if self.link.stop.is_stopping() && tried {
                let reason = "the run stopped before this record was settled";
                self.link.finish_unsettled(&batch, reason).await;
                return;
            }
            tried = true;
            let verdict = match self.attempt(&mut batch, &request, orders).await {
                Ok(verdict) => verdict,
                Err(note) => {
                    // A redirect: an answer, not a place to go; the records fail.
                    self.link.finish_unsettled(&batch, &note).await;
                    return;
                }
            };
            batch = match verdict {
                Verdict::Outcomes(outcomes) => {
                    return self.on_outcomes(batch, outcomes, queue).await;
                }
                Verdict::Split { reason } => return self.on_split(batch, reason, queue).await,
                Verdict::Stop { message } => {
                    self.link.stop.fatal(message);
                    let reason = "the run stopped (see the summary)";
                    return self.link.finish_unsettled(&batch, reason).await;
                }
                Verdict::Retry {
                    reason,
                    wait,
                    in_doubt,
                } => {
                    let retry = Retry {
                        batch: batch_id,
                        reason,
                        wait,
                        in_doubt,
                    };
                    match self.on_retry(batch, retry, &mut backoff, queue).await {
                        Some(batch) => batch,
                        None => return,
                    }
                }
            };
        }
    }

    /// The records of `batch` that may be sent now: those whose budget is
    /// spent are journaled; a resend obeys `--give-up-after` as a retry
    /// does. `None` when nothing is left to send.
    pub(super) async fn admit(&self, batch: Vec<Pending>) -> Option<Vec<Pending>> {
        let (spent, batch) = retry::split_spent(batch, self.link.retry.budget());
        if !spent.is_empty() {
            self.finish_spent(&spent).await;
        }
        if batch.is_empty() {
            return None;
        }
        if batch.iter().any(|p| p.tries > 0) && self.gave_up() {
            self.link
                .finish_each(&batch, |p| {
                    p.reason.clone().unwrap_or_else(|| "the run gave up".into())
                })
                .await;
            return None;
        }
        Some(batch)
    }

    /// Journals the batch's `sent` line and builds its request; `None` (the
    /// records journaled) when either cannot be done.
    async fn prepare(&self, batch: &mut [Pending]) -> Option<(u64, Request)> {
        let batch_id = self.next_batch.fetch_add(1, Ordering::SeqCst);
        let sent_at = batch
            .iter()
            .filter_map(|p| p.work.sent_before)
            .min()
            .unwrap_or_else(Utc::now);
        if !self
            .journal_sent(entries::sent(batch, batch_id, Utc::now()))
            .await
        {
            return None;
        }
        for p in batch.iter_mut() {
            p.lookups.clear();
            // The first send: lookups judge a hit against it (entries::found).
            p.work.sent_before.get_or_insert(sent_at);
        }
        let link = &self.link;
        let request = match batch.first().map(|p| &p.work.payload) {
            Some(Payload::Order(o)) => {
                link.platform
                    .create_order(&link.endpoint, &o.order, &o.link)
            }
            _ => {
                let customers: Vec<&Customer> =
                    batch.iter().filter_map(|p| p.work.customer()).collect();
                Some(link.platform.create_customers(&link.endpoint, &customers))
            }
        };
        if request.is_none() {
            // Refused before any run starts (cmd::orders); journaled if not.
            let reason = format!("{} takes no orders", link.platform.display_name());
            link.finish_unsettled(batch, &reason).await;
        }
        Some((batch_id, request?))
    }

    /// One try: waits its turn, sends, and reads the answer into a verdict.
    /// `Err` with a sentence when the answer is a redirect.
    async fn attempt(
        &self,
        batch: &mut [Pending],
        request: &Request,
        orders: bool,
    ) -> Result<Verdict, String> {
        let link = &self.link;
        // A wait for its turn (a pause the platform asked for) ends at a
        // stop, as does a wait past --max-wait an earlier answer asked for:
        // the request is not sent, and its records are settled as not sent
        // by this try.
        let turn = if link.may_send() {
            link.stop.unless_stopped(link.limiter.turn()).await
        } else {
            None
        };
        let Some(turn) = turn else {
            return Err("the run stopped before this request went out".into());
        };
        link.tally.requests.fetch_add(1, Ordering::Relaxed);
        let now = Utc::now();
        for p in batch.iter_mut() {
            p.tries += 1;
            p.last_sent = Some(now);
        }
        let verdict = match http::send(&link.client, request, link.retry.timeout).await {
            Ok(answer) => {
                if let Some(note) = http::redirect_note(&answer) {
                    self.give_up.answered();
                    return Err(note);
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
        turn.finished(&verdict);
        Ok(verdict)
    }

    /// Reads an answer: follows its quota headers, then asks the platform.
    /// A wait past `--max-wait`, asked by the headers or by the verdict,
    /// stops the run (DECISIONS.md "Hostile paths").
    fn read_answer(&self, answer: &Answer, customers: &[&Customer], orders: bool) -> Verdict {
        let link = &self.link;
        let response = Response {
            status: answer.status,
            headers: &answer.headers,
            body: &answer.body,
        };
        // A wait past --max-wait stops the run before the next request;
        // this answer's outcomes count.
        link.heed_quota(&answer.headers);
        if answer.status < 500 {
            self.give_up.answered();
        }
        let verdict = if orders {
            link.platform.classify_order(&response)
        } else {
            link.platform.classify_create(&response, customers)
        };
        match verdict {
            Verdict::Retry { wait: Some(w), .. } if !link.server_wait(w, &answer.headers) => {
                Verdict::Stop {
                    message: link.stop.fatal_message().unwrap_or_default(),
                }
            }
            v => v,
        }
    }

    /// Journals the outcomes an answer gave, fetches the ids of records
    /// already there, and queues the records it did not settle.
    async fn on_outcomes(&self, batch: Vec<Pending>, outcomes: Vec<Outcome>, queue: &mut Queue) {
        // Records an earlier send of which got no answer in this run: an
        // "already there" now may be that send's doing (issue 20). A
        // resend after a clear answer (another record's 422) is not one.
        let resent: std::collections::HashSet<String> = batch
            .iter()
            .filter(|p| p.answer_lost)
            .map(|p| p.work.key.clone())
            .collect();
        let (settled, resend) = retry::sort_outcomes(batch, outcomes);
        let mut no_id = Vec::new();
        // A sync run's customers already in the store: updated once found.
        let mut to_update = Vec::new();
        let mut lines = Vec::with_capacity(settled.len());
        for (work, outcome) in settled {
            match &outcome {
                Outcome::Exists { id: None, .. } => {
                    no_id.push((work.clone(), resent.contains(&work.key)));
                }
                Outcome::Exists { id: Some(id), .. } => {
                    to_update.extend(update_found(&work, id));
                }
                _ => {}
            }
            let entry = entries::outcome(&work, outcome);
            self.link.tally.count(&entry);
            lines.push(entry);
        }
        if !self.journal_outcomes(lines) {
            return;
        }
        to_update.extend(self.fill_exists_ids(&no_id).await);
        if !to_update.is_empty() {
            // Each gets one more outcome (updated, rejected or failed),
            // which replaces its `exists` in the counts.
            let n = to_update.len() as u64;
            self.link.tally.exists.fetch_sub(n, Ordering::Relaxed);
            self.send_updates(to_update).await;
        }
        self.requeue(resend, queue).await;
    }

    /// A batch the platform refused whole without naming a record: halves
    /// go back to the front of the queue; a record alone is rejected.
    async fn on_split(&self, mut batch: Vec<Pending>, reason: String, queue: &mut Queue) {
        if batch.len() == 1 {
            let entry = entries::refused(&batch[0].work, reason);
            self.link.record_outcomes(vec![entry]).await;
            return;
        }
        for p in &mut batch {
            p.reason = Some(reason.clone());
        }
        let back = batch.split_off(batch.len() / 2);
        queue.push_front(back);
        queue.push_front(batch);
    }

    /// Acts on an answer that asks to try again: settles, gives up, ends a
    /// spent batch, or waits out the backoff (or the server's wait) and
    /// hands the batch back for its next try.
    async fn on_retry(
        &self,
        mut batch: Vec<Pending>,
        retry: Retry,
        backoff: &mut Backoff,
        queue: &mut Queue,
    ) -> Option<Vec<Pending>> {
        let link = &self.link;
        let Retry {
            batch: batch_id,
            reason,
            wait,
            in_doubt,
        } = retry;
        if reason.starts_with("429") {
            link.tally.throttled.fetch_add(1, Ordering::Relaxed);
        }
        for p in &mut batch {
            p.doubt |= in_doubt;
            p.answer_lost |= in_doubt;
            p.reason = Some(reason.clone());
        }
        let budget = link.retry.budget();
        let spent = batch.iter().any(|p| p.tries >= budget);
        let unique = link.platform.email_unique();
        let step = retry::after_retry(in_doubt, unique, || self.gave_up(), spent);
        match step {
            AfterRetry::Settle => {
                // A resend may create a second record: settle first. What
                // the lookups do not find goes back in the queue, where it
                // spends its budget like a retry.
                let unsettled = self.settler.settle(batch, &reason).await;
                if !unsettled.is_empty() && !link.stop.is_stopping() {
                    queue.push_back(unsettled);
                }
                None
            }
            AfterRetry::GiveUp => {
                link.finish_unsettled(&batch, &reason).await;
                None
            }
            AfterRetry::Spent => {
                self.finish_spent(&batch).await;
                None
            }
            AfterRetry::Wait => {
                link.tally.retries.fetch_add(1, Ordering::Relaxed);
                if let Some(w) = wait {
                    // The server said how long (and read_answer refused
                    // anything past --max-wait): everyone waits it out.
                    link.limiter.pause(w);
                }
                let delay = retry::retry_delay(backoff.next_delay(), wait);
                tracing::debug!(message = "retrying", batch = batch_id, ?delay, %reason);
                // A stop ends the wait; the loop then settles the batch.
                link.stop.sleep(delay).await;
                Some(batch)
            }
        }
    }

    /// True (and the run stopped) when the platform has answered nothing but
    /// server errors or connection failures for `--give-up-after`.
    pub(super) fn gave_up(&self) -> bool {
        let Some(since) = self.give_up.silent_for() else {
            return false;
        };
        self.link.stop.fatal(format!(
            "{} has answered nothing but server errors or connection failures for {} s; stopped (resume later with `storeload resume`)",
            self.link.platform.display_name(),
            since.as_secs()
        ));
        true
    }

    /// Journals the records of `batch` whose retry budget is spent: in
    /// doubt when a try may have been applied, failed otherwise.
    pub(super) async fn finish_spent(&self, batch: &[Pending]) {
        let max = self.link.retry.max_retries;
        self.link
            .finish_each(batch, |p| {
                format!(
                    "{} (after {} tries; --max-retries {max})",
                    p.reason.as_deref().unwrap_or("no clear answer"),
                    p.tries
                )
            })
            .await;
    }

    /// Journals outcomes without waiting for their sync (see
    /// `JournalWriter::write_lazy`); false (and the run stopped) when the
    /// journal is gone.
    fn journal_outcomes(&self, entries: Vec<Entry>) -> bool {
        self.link.written(self.link.journal.write_lazy(entries))
    }

    /// Journals a batch's `sent` line before its request goes out. Where a
    /// resend is safe (emails unique) the line is in the file when this
    /// returns and durable within the journal's sync period: lost with the
    /// machine, its records read "not sent" and their resend answers
    /// "already there". Elsewhere it is durable before the request.
    pub(super) async fn journal_sent(&self, sent: Entry) -> bool {
        if !self.link.platform.email_unique() {
            return self.link.record(vec![sent]).await;
        }
        self.link
            .written(self.link.journal.write_unsynced(vec![sent]))
    }

    /// Looks up records answered "already there" so that the journal holds
    /// their platform id (for `ids` and order linking). Best effort: a
    /// failed lookup leaves them `exists` without an id. Returns, in a sync
    /// run, the updates of those found already there (not created by this
    /// run), so that the store matches the file.
    /// A record `resent` after a send without a clear answer is journaled
    /// `created` when the platform dates it after that first send: the
    /// lost answer was ours (DECISIONS.md's lookup rule, a minute of skew).
    async fn fill_exists_ids(&self, works: &[(Work, bool)]) -> Vec<Work> {
        let mut to_update = Vec::new();
        for (work, resent) in works {
            if self.link.stop.is_stopping() {
                return to_update;
            }
            let probe = Work {
                sent_before: None,
                ..work.clone()
            };
            let at = Utc::now();
            if let Some(Some(found)) = self.settler.find(&probe).await {
                let entry = match found.created_at {
                    Some(_) if *resent && work.sent_before.is_some() => {
                        entries::found(work, &found, vec![at], at)
                    }
                    _ => {
                        let reason = "already there; id found by lookup".into();
                        entries::exists(work, Some(found.id), reason, vec![at])
                    }
                };
                if matches!(entry, Entry::Created(_)) {
                    // Counted already as `exists`: it was this run's.
                    let t = &self.link.tally;
                    t.exists.fetch_sub(1, Ordering::Relaxed);
                    t.created.fetch_add(1, Ordering::Relaxed);
                } else if let Entry::Exists(e) = &entry
                    && let Some(id) = &e.id
                {
                    to_update.extend(update_found(work, id));
                }
                // Counted already, as `exists` without an id.
                if !self.link.record(vec![entry]).await {
                    return Vec::new();
                }
            }
        }
        to_update
    }

    /// Records the platform did not settle go out again: where a resend is
    /// safe (emails unique) at once; elsewhere only after a lookup. Either
    /// way the next send spends their budget.
    async fn requeue(&self, resend: Vec<Pending>, queue: &mut Queue) {
        if resend.is_empty() {
            return;
        }
        let doubtful = resend.iter().any(|p| p.doubt);
        if doubtful && !self.link.platform.email_unique() {
            let reason = resend[0]
                .reason
                .clone()
                .unwrap_or_else(|| "not settled by the answer".into());
            let unsettled = self.settler.settle(resend, &reason).await;
            if !unsettled.is_empty() {
                queue.push_back(unsettled);
            }
        } else {
            queue.push_back(resend);
        }
    }
}

/// In a sync run, the update by `id` of a record the store already held
/// (DECISIONS.md "Nightly sync": found, its id recorded, then updated once
/// so that the store matches the file); `None` outside a sync run or for
/// an id that is not the platform's integer.
fn update_found(work: &Work, id: &str) -> Option<Work> {
    let sync = work.sync.as_ref()?;
    let id: u64 = id.trim().parse().ok()?;
    Some(Work {
        sync: Some(SyncWork {
            id: Some(id),
            ..sync.clone()
        }),
        ..work.clone()
    })
}

/// A retry verdict's particulars, and the batch's number in the journal.
struct Retry {
    batch: u64,
    reason: String,
    wait: Option<std::time::Duration>,
    in_doubt: bool,
}
