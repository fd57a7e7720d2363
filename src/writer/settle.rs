//! Settling records that may have been stored without a clear answer, by
//! looking each up on the platform (DECISIONS.md "Sending safely" and
//! "Hostile paths"): found and created after it was sent → `created`;
//! found but older → `exists`; not found by a lookup made at least the
//! settle delay after its last send → sent again. [`Settler`] needs only a
//! [`Link`], so `reconcile` uses it without a writer.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::journal::Entry;
use crate::platform::{Found, Response, Verdict};
use crate::values::{normalise_email, phone_key};

use super::config::InDoubtPolicy;
use super::control::{Clock, Stop};
use super::entries;
use super::http;
use super::link::Link;
use super::work::{Pending, Work};

/// Settles records in doubt by lookup, through one run's link.
pub struct Settler {
    link: Arc<Link>,
    /// How long after a send a lookup must run for "not found" to count.
    delay: Duration,
    /// What to do with records in doubt.
    policy: InDoubtPolicy,
    /// The wall clock lookups are timed on.
    clock: Clock,
}

/// Where one record's lookups ended.
#[derive(Debug)]
pub(crate) enum Settled {
    /// Found: the hit, to journal.
    Found(Pending, Found),
    /// The lookup could not tell (or the platform has no lookup).
    Unknown(Pending),
    /// Not found by a lookup made at least the settle delay after its last
    /// send: to send again.
    Resend(Pending),
    /// Not found, and the run stopped before the settle delay passed.
    Stopped(Pending),
}

impl Settler {
    /// A settler through `link`, counting "not found" only from a lookup
    /// made `delay` or more after the send, under `policy`.
    pub fn new(link: Arc<Link>, delay: Duration, policy: InDoubtPolicy) -> Settler {
        Settler {
            link,
            delay,
            policy,
            clock: Clock::SYSTEM,
        }
    }

    /// The link, shared.
    pub(crate) fn shared_link(&self) -> Arc<Link> {
        self.link.clone()
    }

    /// Writes entries to the journal; false (and the run stopped) on error.
    pub async fn record(&self, entries: Vec<Entry>) -> bool {
        self.link.record(entries).await
    }

    /// Looks one record up: `Some(Some(entry))` settled (the entry to
    /// journal, not yet counted), `Some(None)` not found, `None` could not
    /// tell.
    pub async fn look_up(&self, work: &Work) -> Option<Option<Entry>> {
        let at = self.clock.now();
        let found = self.find(work).await?;
        Some(found.map(|hit| entries::found(work, &hit, vec![at], self.clock.now())))
    }

    /// Settles records that may have been stored. Without a lookup, or
    /// when the policy is `skip`, they are journaled in doubt; found ones
    /// are journaled; those to send again are returned.
    pub(crate) async fn settle(&self, batch: Vec<Pending>, reason: &str) -> Vec<Pending> {
        let mut unsettled = Vec::new();
        for mut p in batch {
            p.doubt_for(reason);
            match self.policy {
                InDoubtPolicy::Skip => {
                    self.link
                        .finish_unsettled(std::slice::from_ref(&p), reason)
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

    /// Looks one record up until it is settled or may be sent again, and
    /// journals what the lookups told; returns it when it is to be sent
    /// again.
    async fn settle_one(&self, p: Pending, reason: &str) -> Option<Pending> {
        let settled = settle_loop(
            p,
            self.delay,
            self.clock,
            &self.link.stop,
            |w: Work| async move { self.find(&w).await },
        )
        .await;
        match settled {
            Settled::Resend(p) => return Some(p),
            Settled::Found(p, hit) => {
                let entry = entries::found(&p.work, &hit, p.lookups.clone(), self.clock.now());
                self.link.record_outcomes(vec![entry]).await;
            }
            Settled::Unknown(p) => {
                self.link
                    .finish_unsettled(std::slice::from_ref(&p), reason)
                    .await;
            }
            Settled::Stopped(p) => {
                let reason = format!(
                    "{reason}; not found by a lookup, and the run stopped before the settle delay ({} s) passed",
                    self.delay.as_secs()
                );
                self.link
                    .finish_unsettled(std::slice::from_ref(&p), &reason)
                    .await;
            }
        }
        None
    }

    /// Looks one record up without judging it: `Some(Some(hit))` found by an
    /// exact email (or, without one, phone) match, `Some(None)` not found,
    /// `None` could not tell.
    pub(crate) async fn find(&self, work: &Work) -> Option<Option<Found>> {
        let link = &*self.link;
        // Orders have no lookup (DECISIONS.md): they stay in doubt.
        let customer = work.customer()?;
        let key = customer.email.clone().or_else(|| customer.phone.clone())?;
        let request = link.platform.lookup(&link.endpoint, &[key.as_str()])?;
        let mut backoff = link.retry.backoff();
        for _ in 0..=link.retry.max_retries {
            if link.stop.is_stopping() || !link.may_send() {
                return None;
            }
            link.stop.unless_stopped(link.limiter.wait()).await?;
            link.tally.requests.fetch_add(1, Ordering::Relaxed);
            match http::send(&link.client, &request, link.retry.timeout).await {
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
                    link.heed_quota(&answer.headers);
                    match link.platform.parse_lookup(&response) {
                        Ok(found) => return Some(matching(work, &found).cloned()),
                        Err(Verdict::Stop { message }) => {
                            link.stop.fatal(message);
                            return None;
                        }
                        Err(Verdict::Retry { wait: Some(w), .. }) => {
                            if !link.server_wait(w, &answer.headers) {
                                return None;
                            }
                            link.limiter.pause(w);
                        }
                        Err(_) => {}
                    }
                }
                Err(e) => tracing::debug!(message = "lookup failed", ?e),
            }
            if !link.stop.sleep(backoff.next_delay()).await {
                return None;
            }
        }
        None
    }
}

/// When a lookup at `at` that found nothing does not yet count: the time
/// to look again (the settle delay after the last send). `None` when "not
/// found" counts (or the record was never sent).
pub(crate) fn look_again_at(
    last_sent: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
    delay: Duration,
) -> Option<DateTime<Utc>> {
    let delay = chrono::Duration::from_std(delay).unwrap_or_else(|_| chrono::Duration::days(1));
    let settled_from = last_sent? + delay;
    (at < settled_from).then_some(settled_from)
}

/// Looks `p` up with `look` until the lookups settle it: found, could not
/// tell, or not found by a lookup made at least `delay` after its last send
/// (a search may show a new record late). A lookup that finds nothing too
/// soon waits out the delay and looks once more, unless the run stops
/// first. `look` gets its own copy of the record (lookups are rare). Each lookup's time is kept in `p.lookups`, for the journal.
pub(crate) async fn settle_loop<F, L>(
    mut p: Pending,
    delay: Duration,
    clock: Clock,
    stop: &Stop,
    mut look: L,
) -> Settled
where
    L: FnMut(Work) -> F,
    F: Future<Output = Option<Option<Found>>>,
{
    loop {
        let at = clock.now();
        let found = look(p.work.clone()).await;
        p.lookups.push(at);
        match found {
            Some(Some(hit)) => return Settled::Found(p, hit),
            None => return Settled::Unknown(p),
            Some(None) => {}
        }
        let Some(again) = look_again_at(p.last_sent, at, delay) else {
            return Settled::Resend(p);
        };
        let wait = (again - clock.now()).to_std().unwrap_or_default();
        if !stop.sleep(wait).await {
            return Settled::Stopped(p);
        }
    }
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
    use crate::model::Customer;
    use crate::writer::work::Payload;
    use std::future::ready;
    use tokio::time::Instant;

    const DELAY: Duration = Duration::from_secs(60);

    fn customer(email: Option<&str>, phone: Option<&str>) -> Work {
        Work {
            key: "k".into(),
            record: 1,
            line: 2,
            payload: Payload::Customer(Customer {
                email: email.map(Into::into),
                phone: phone.map(Into::into),
                ..Customer::default()
            }),
            sent_before: None,
            sync: None,
        }
    }

    /// A record sent at `sent`, in doubt.
    fn sent_at(sent: DateTime<Utc>) -> Pending {
        let mut p = Pending::new(customer(Some("a@x.com"), None), false);
        p.last_sent = Some(sent);
        p.tries = 1;
        p.doubt = true;
        p
    }

    fn hit(id: &str, email: Option<&str>, phone: Option<&str>) -> Found {
        Found {
            id: id.into(),
            email: email.map(Into::into),
            phone: phone.map(Into::into),
            created_at: None,
        }
    }

    #[test]
    fn not_found_counts_only_from_a_lookup_made_the_settle_delay_after_the_send() {
        let sent = Utc::now();
        let soon = sent + chrono::Duration::seconds(5);
        assert_eq!(
            look_again_at(Some(sent), soon, DELAY),
            Some(sent + chrono::Duration::seconds(60))
        );
        assert_eq!(
            look_again_at(Some(sent), sent + chrono::Duration::seconds(60), DELAY),
            None
        );
        assert_eq!(look_again_at(None, soon, DELAY), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_record_not_found_too_soon_is_looked_up_again_after_the_settle_delay_then_resent() {
        let clock = Clock::following_tokio();
        let stop = Stop::default();
        let started = Instant::now();
        let mut looked = Vec::new();
        let settled = settle_loop(sent_at(clock.now()), DELAY, clock, &stop, |_: Work| {
            looked.push(started.elapsed());
            ready(Some(None))
        })
        .await;
        let Settled::Resend(p) = settled else {
            panic!("expected a resend, got {settled:?}")
        };
        assert_eq!(looked.len(), 2, "looked up at once, then once more");
        assert_eq!(looked[0], Duration::ZERO);
        assert!(looked[1] >= DELAY, "second lookup at {:?}", looked[1]);
        assert!(looked[1] < DELAY + Duration::from_secs(1));
        assert_eq!(p.lookups.len(), 2);
        assert_eq!(p.tries, 1, "a lookup spends no try");
    }

    #[tokio::test(start_paused = true)]
    async fn a_record_sent_long_ago_and_not_found_is_resent_at_once() {
        let clock = Clock::following_tokio();
        let stop = Stop::default();
        let started = Instant::now();
        let sent = clock.now() - chrono::Duration::seconds(3600);
        let mut calls = 0;
        let settled = settle_loop(sent_at(sent), DELAY, clock, &stop, |_: Work| {
            calls += 1;
            ready(Some(None))
        })
        .await;
        assert!(matches!(settled, Settled::Resend(_)));
        assert_eq!(calls, 1);
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_record_found_on_the_second_lookup_is_settled_not_resent() {
        let clock = Clock::following_tokio();
        let stop = Stop::default();
        let mut calls = 0;
        let settled = settle_loop(sent_at(clock.now()), DELAY, clock, &stop, |_: Work| {
            calls += 1;
            ready(Some((calls == 2).then(|| hit("9", Some("a@x.com"), None))))
        })
        .await;
        let Settled::Found(p, found) = settled else {
            panic!("expected found, got {settled:?}")
        };
        assert_eq!(found.id, "9");
        assert_eq!(p.lookups.len(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_during_the_settle_delay_leaves_the_record_in_doubt() {
        let clock = Clock::following_tokio();
        let stop = Arc::new(Stop::default());
        let stopper = {
            let stop = stop.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(10)).await;
                stop.soft();
            })
        };
        let started = Instant::now();
        let settled = settle_loop(sent_at(clock.now()), DELAY, clock, &stop, |_: Work| {
            ready(Some(None))
        })
        .await;
        assert!(matches!(settled, Settled::Stopped(_)), "{settled:?}");
        assert!(started.elapsed() < DELAY);
        stopper.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_lookup_that_cannot_tell_ends_the_loop_at_once() {
        let clock = Clock::following_tokio();
        let stop = Stop::default();
        let settled = settle_loop(sent_at(clock.now()), DELAY, clock, &stop, |_: Work| {
            ready(None)
        })
        .await;
        assert!(matches!(settled, Settled::Unknown(p) if p.lookups.len() == 1));
    }

    #[test]
    fn a_lookup_hit_is_this_record_only_on_an_exact_email_or_without_one_phone() {
        let by_email = customer(Some("A@X.com "), Some("+1 555 123 4567"));
        let hits = [
            hit("1", Some("other@x.com"), Some("+15551234567")),
            hit("2", Some("a@x.com"), None),
        ];
        assert_eq!(matching(&by_email, &hits).map(|f| f.id.as_str()), Some("2"));
        // With an email, a phone match alone is someone else.
        assert_eq!(matching(&by_email, &hits[..1]), None);
        let by_phone = customer(None, Some("+1 555 123 4567"));
        assert_eq!(matching(&by_phone, &hits).map(|f| f.id.as_str()), Some("1"));
    }
}
