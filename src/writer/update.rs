//! Sending a sync run's updates (`--sync`, issue 17): customers changed
//! since they were last sent, by id, through the platform's
//! [`Updates`] (a PUT of up to its batch size), then their addresses
//! (listed, paired with the record's, changed or added; never deleted).
//! A customer is journaled `updated`, with the hash of what was sent, once
//! both are done. An update is idempotent: one without a clear answer is
//! simply sent again, spending the record's retry budget (DECISIONS.md
//! "Nightly sync"); a budget spent leaves it `failed`, which a resume
//! sends again.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;

use chrono::Utc;

use crate::platform::{
    AddressChange, Outcome, Reason, Request, Response, StoredAddress, Update, UpdateOutcome,
    Updates, Verdict,
};

use super::entries;
use super::http::{self, SendError};
use super::retry::{self, AfterRetry};
use super::send::Sender;
use super::work::{Pending, Work};

/// Address listing pages read per batch at most: a store answering "more"
/// for ever must not hold the run.
const MAX_ADDRESS_PAGES: u32 = 100;

/// What became of one request sent until it had a readable answer.
enum Called<T> {
    /// The answer, as the classifier read it.
    Answer(T),
    /// The platform refused the request whole without naming a record.
    Split(String),
}

/// The update of a record: its id and customer, when it is one.
fn update_of(work: &Work) -> Option<Update<'_>> {
    Some(Update {
        id: work.sync.as_ref()?.id?,
        customer: work.customer()?,
    })
}

impl Sender {
    /// Sends the updates of `works` (records with a sync id), in batches of
    /// the platform's update size, until each is journaled.
    pub(super) async fn send_updates(&self, works: Vec<Work>) {
        let (good, odd): (Vec<Pending>, Vec<Pending>) = works
            .into_iter()
            // A resend is safe: never in doubt, so a spent budget is `failed`.
            .map(|w| Pending::new(w, true))
            .partition(|p| update_of(&p.work).is_some());
        if !odd.is_empty() {
            let reason = "not an update: no platform id or no customer (a bug in storeload)";
            self.link().finish_unsettled(&odd, reason).await;
        }
        let Some(updates) = self.link().platform.updates() else {
            let reason = format!("{} takes no updates", self.link().platform.display_name());
            self.link().finish_unsettled(&good, &reason).await;
            return;
        };
        let size = updates.update_batch_size().max(1);
        let mut queue: VecDeque<Vec<Pending>> = VecDeque::new();
        let mut rest = good;
        while !rest.is_empty() {
            let tail = rest.split_off(rest.len().min(size));
            queue.push_back(std::mem::replace(&mut rest, tail));
        }
        while let Some(batch) = queue.pop_front() {
            if !batch.is_empty() {
                self.update_one(updates, batch, &mut queue).await;
            }
        }
    }

    /// Sends one update batch and its addresses, journaling each record.
    async fn update_one(
        &self,
        updates: &dyn Updates,
        batch: Vec<Pending>,
        queue: &mut VecDeque<Vec<Pending>>,
    ) {
        if self.link().stop.is_stopping() {
            // Not sent in this run: "not sent" (or in doubt, sent before).
            return;
        }
        let Some(mut batch) = self.admit(batch).await else {
            return;
        };
        let batch_id = self.next_batch_id();
        if !self
            .journal_sent(entries::sent(&batch, batch_id, Utc::now()))
            .await
        {
            return;
        }
        let request = {
            let members: Vec<Update<'_>> =
                batch.iter().filter_map(|p| update_of(&p.work)).collect();
            let blanks = batch[0].work.sync.as_ref().map(|s| s.blanks());
            updates.update_customers(
                &self.link().endpoint,
                &members,
                blanks.unwrap_or(crate::platform::Blanks::Keep),
            )
        };
        let outcomes = {
            let classify = |r: &Response<'_>| {
                let members: Vec<Update<'_>> =
                    batch.iter().filter_map(|p| update_of(&p.work)).collect();
                updates.classify_update(r, &members)
            };
            // The classifier borrows the batch; the call counts its tries
            // on a copy of the budget, written back below.
            let mut tries: Vec<u32> = batch.iter().map(|p| p.tries).collect();
            let called = self.call(&request, &mut tries, classify).await;
            for (p, t) in batch.iter_mut().zip(tries) {
                p.tries = t;
            }
            match called {
                Ok(Called::Answer(o)) => o,
                Ok(Called::Split(reason)) => return self.split_update(batch, reason, queue).await,
                Err(end) => return self.end_batch(batch, end).await,
            }
        };
        let mut outcomes = outcomes.into_iter();
        let (mut done, mut again, mut lines) = (Vec::new(), Vec::new(), Vec::new());
        for mut p in batch {
            match outcomes.next() {
                Some(UpdateOutcome::Updated { id }) => done.push((p, id)),
                Some(UpdateOutcome::Rejected { reasons }) => {
                    lines.push(entries::outcome(&p.work, Outcome::Rejected { reasons }));
                }
                Some(UpdateOutcome::Resend { reason }) => {
                    p.reason = Some(reason);
                    again.push(p);
                }
                None => {
                    p.reason = Some("the answer did not name this customer".into());
                    again.push(p);
                }
            }
        }
        if !self.link().record_outcomes(lines).await {
            return;
        }
        if !again.is_empty() {
            queue.push_back(again);
        }
        let done = self.send_addresses(updates, done).await;
        let lines = done
            .iter()
            .map(|(p, id)| entries::updated(&p.work, *id))
            .collect();
        self.link().record_outcomes(lines).await;
    }

    /// A batch refused whole without a record named: halves go back to
    /// the front of the queue; a customer alone is rejected.
    async fn split_update(
        &self,
        mut batch: Vec<Pending>,
        reason: String,
        queue: &mut VecDeque<Vec<Pending>>,
    ) {
        if batch.len() == 1 {
            let entry = entries::refused(&batch[0].work, reason);
            self.link().record_outcomes(vec![entry]).await;
            return;
        }
        let back = batch.split_off(batch.len() / 2);
        queue.push_front(back);
        queue.push_front(batch);
    }

    /// Journals a batch whose request ended without an answer to read.
    async fn end_batch(&self, mut batch: Vec<Pending>, end: Ended) {
        match end {
            Ended::Spent(reason) => {
                for p in &mut batch {
                    p.reason = Some(reason.clone());
                }
                self.finish_spent(&batch).await;
            }
            Ended::Unsettled(reason) => self.link().finish_unsettled(&batch, &reason).await,
        }
    }

    /// Brings the addresses of the customers `done` (each with its id) in
    /// step with their records: lists what the store holds, then changes or
    /// adds what differs. Returns the customers whose addresses are done;
    /// the others are journaled (refused, or failed: a resume sends their
    /// whole update again).
    async fn send_addresses(
        &self,
        updates: &dyn Updates,
        done: Vec<(Pending, u64)>,
    ) -> Vec<(Pending, u64)> {
        if done
            .iter()
            .all(|(p, _)| p.work.customer().is_none_or(|c| c.addresses.is_empty()))
        {
            return done;
        }
        let ids: Vec<u64> = done.iter().map(|(_, id)| *id).collect();
        let mut stored: Vec<StoredAddress> = Vec::new();
        let mut tries = vec![0u32; done.len()];
        let mut page = 1;
        loop {
            let request = updates.list_addresses(&self.link().endpoint, &ids, page);
            match self
                .call(&request, &mut tries, |r| updates.parse_addresses(r))
                .await
            {
                Ok(Called::Answer((found, more))) => {
                    stored.extend(found);
                    if !more || page >= MAX_ADDRESS_PAGES {
                        break;
                    }
                    page += 1;
                }
                Ok(Called::Split(reason))
                | Err(Ended::Spent(reason) | Ended::Unsettled(reason)) => {
                    let pending: Vec<Pending> = done.into_iter().map(|(p, _)| p).collect();
                    let reason = format!("listing the customers' addresses: {reason}");
                    self.link().finish_unsettled(&pending, &reason).await;
                    return Vec::new();
                }
            }
        }
        // Every change, with the customer (index into `done`) it belongs to.
        let mut changes: Vec<AddressChange> = Vec::new();
        let mut owner: Vec<usize> = Vec::new();
        for (i, (p, id)) in done.iter().enumerate() {
            let (Some(customer), Some(sync)) = (p.work.customer(), p.work.sync.as_ref()) else {
                continue;
            };
            for c in updates.address_changes(*id, customer, &stored, sync.blanks()) {
                changes.push(c);
                owner.push(i);
            }
        }
        let mut refused: Vec<Option<Vec<Reason>>> = vec![None; done.len()];
        let mut failed: Vec<Option<String>> = vec![None; done.len()];
        for ar in updates.address_requests(&self.link().endpoint, &changes) {
            let members: Vec<&AddressChange> =
                ar.members.iter().filter_map(|&m| changes.get(m)).collect();
            let owners: Vec<usize> = ar
                .members
                .iter()
                .filter_map(|&m| owner.get(m).copied())
                .collect();
            let mut tries = vec![0u32; owners.len()];
            let called = self
                .call(&ar.request, &mut tries, |r| {
                    updates.classify_addresses(r, &members)
                })
                .await;
            match called {
                Ok(Called::Answer(outcomes)) => {
                    for (k, &o) in owners.iter().enumerate() {
                        match outcomes.get(k) {
                            Some(UpdateOutcome::Updated { .. }) => {}
                            Some(UpdateOutcome::Rejected { reasons }) => refused[o]
                                .get_or_insert_with(Vec::new)
                                .extend(reasons.iter().cloned()),
                            Some(UpdateOutcome::Resend { reason }) => {
                                failed[o].get_or_insert_with(|| reason.clone());
                            }
                            None => {
                                failed[o].get_or_insert_with(|| {
                                    "the address answer did not name this address".into()
                                });
                            }
                        }
                    }
                }
                Ok(Called::Split(reason))
                | Err(Ended::Spent(reason) | Ended::Unsettled(reason)) => {
                    for &o in &owners {
                        failed[o].get_or_insert_with(|| reason.clone());
                    }
                }
            }
        }
        let mut ok = Vec::new();
        let (mut lines, mut unsettled) = (Vec::new(), Vec::new());
        for (i, (p, id)) in done.into_iter().enumerate() {
            if let Some(reasons) = refused[i].take() {
                lines.push(entries::outcome(&p.work, Outcome::Rejected { reasons }));
            } else if let Some(reason) = failed[i].take() {
                unsettled.push((p, format!("sending the customer's addresses: {reason}")));
            } else {
                ok.push((p, id));
            }
        }
        self.link().record_outcomes(lines).await;
        for (p, reason) in unsettled {
            self.link().finish_unsettled(&[p], &reason).await;
        }
        ok
    }

    /// Sends `request` until `classify` reads its answer: a retry verdict
    /// (a 429, a 5xx, a timeout, a dropped connection: an update is
    /// idempotent, so one in doubt is simply sent again) waits its backoff
    /// and tries again, each try counted in `tries` (one per record) up to
    /// the retry budget; a stop verdict stops the run.
    async fn call<T>(
        &self,
        request: &Request,
        tries: &mut [u32],
        classify: impl Fn(&Response<'_>) -> Result<T, Verdict>,
    ) -> Result<Called<T>, Ended> {
        let link = self.link();
        let mut backoff = link.retry.backoff();
        let mut tried = false;
        loop {
            if link.stop.is_stopping() && tried {
                return Err(Ended::Unsettled(
                    "the run stopped before this record was settled".into(),
                ));
            }
            tried = true;
            let turn = if link.may_send() {
                link.stop.unless_stopped(link.limiter.turn()).await
            } else {
                None
            };
            let Some(turn) = turn else {
                return Err(Ended::Unsettled(
                    "the run stopped before this request went out".into(),
                ));
            };
            link.tally.requests.fetch_add(1, Ordering::Relaxed);
            for t in tries.iter_mut() {
                *t += 1;
            }
            let verdict = match http::send(&link.client, request, link.retry.timeout).await {
                Ok(answer) => {
                    if let Some(note) = http::redirect_note(&answer) {
                        self.answered();
                        turn.finished(&Verdict::Outcomes(Vec::new()));
                        return Err(Ended::Unsettled(note));
                    }
                    let response = Response {
                        status: answer.status,
                        headers: &answer.headers,
                        body: &answer.body,
                    };
                    link.heed_quota(&answer.headers);
                    if answer.status < 500 {
                        self.answered();
                    }
                    match classify(&response) {
                        Err(Verdict::Retry { wait: Some(w), .. })
                            if !link.server_wait(w, &answer.headers) =>
                        {
                            Err(Verdict::Stop {
                                message: link.stop.fatal_message().unwrap_or_default(),
                            })
                        }
                        v => v,
                    }
                }
                Err(SendError::NotSent(reason) | SendError::MaybeSent(reason)) => {
                    Err(Verdict::Retry {
                        reason,
                        wait: None,
                        in_doubt: true,
                    })
                }
            };
            match &verdict {
                Ok(_) => turn.finished(&Verdict::Outcomes(Vec::new())),
                Err(v) => turn.finished(v),
            }
            let (reason, wait) = match verdict {
                Ok(t) => return Ok(Called::Answer(t)),
                Err(Verdict::Split { reason }) => return Ok(Called::Split(reason)),
                Err(Verdict::Stop { message }) => {
                    link.stop.fatal(message);
                    return Err(Ended::Unsettled("the run stopped (see the summary)".into()));
                }
                Err(Verdict::Outcomes(_)) => (
                    "an answer storeload cannot read as an update's".to_string(),
                    None,
                ),
                Err(Verdict::Retry { reason, wait, .. }) => (reason, wait),
            };
            if reason.starts_with("429") {
                link.tally.throttled.fetch_add(1, Ordering::Relaxed);
            }
            let spent = tries.iter().any(|&t| t >= link.retry.budget());
            // Never settled by lookup: an update sent twice does no harm.
            match retry::after_retry(false, true, || self.gave_up(), spent) {
                AfterRetry::GiveUp => return Err(Ended::Unsettled(reason)),
                AfterRetry::Spent => return Err(Ended::Spent(reason)),
                AfterRetry::Settle | AfterRetry::Wait => {
                    link.tally.retries.fetch_add(1, Ordering::Relaxed);
                    if let Some(w) = wait {
                        link.limiter.pause(w);
                    }
                    let delay = retry::retry_delay(backoff.next_delay(), wait);
                    tracing::debug!(message = "retrying an update", ?delay, %reason);
                    // A stop ends the wait; the loop then ends the update.
                    link.stop.sleep(delay).await;
                }
            }
        }
    }
}

/// How a request ended without an answer to read.
enum Ended {
    /// The retry budget is spent; the last reason.
    Spent(String),
    /// The run stopped or gave up, or the answer was a redirect.
    Unsettled(String),
}
