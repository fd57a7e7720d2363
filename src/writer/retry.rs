//! The writer's patience, as decisions without I/O: how long to back off
//! before the next try, how a wait the server asked for combines with it,
//! which waits are too long (`--max-wait`), when a record's retry budget is
//! spent, when the platform has been silent for too long
//! (`--give-up-after`), and what an answer that settled part of a batch
//! leaves to send again. The send loop and the lookups act on them.

use std::sync::Mutex;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::header::HeaderMap;
use tokio::time::Instant;

use crate::platform::Outcome;

use super::work::{Pending, Work};

/// The retry settings of one request (a send or a lookup).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Timeout of one request, answer included.
    pub timeout: Duration,
    /// Retries of one request after its first try.
    pub max_retries: u32,
    /// First backoff delay (doubling, with jitter, up to `max_backoff`).
    pub min_backoff: Duration,
    /// Longest backoff delay (before its jitter).
    pub max_backoff: Duration,
}

/// The first backoff delay a run uses.
pub const MIN_BACKOFF: Duration = Duration::from_millis(250);

/// The longest backoff delay a run uses.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

impl RetryPolicy {
    /// `timeout` and `max_retries` with the run's backoff bounds
    /// ([`MIN_BACKOFF`], [`MAX_BACKOFF`]).
    pub fn new(timeout: Duration, max_retries: u32) -> RetryPolicy {
        RetryPolicy {
            timeout,
            max_retries,
            min_backoff: MIN_BACKOFF,
            max_backoff: MAX_BACKOFF,
        }
    }

    /// Requests a record may take: its first try and `--max-retries` more,
    /// counted across every path that sends it again.
    pub fn budget(&self) -> u32 {
        self.max_retries.saturating_add(1)
    }

    /// Exponential backoff with jitter between the configured bounds, for
    /// the retries of one request: the n-th delay is at least
    /// `min_backoff × 2ⁿ` capped at `max_backoff`, and less than twice that.
    pub fn backoff(&self) -> Backoff {
        Backoff {
            delays: ExponentialBuilder::default()
                .with_min_delay(self.min_backoff)
                .with_max_delay(self.max_backoff)
                .with_jitter()
                .without_max_times()
                .build(),
            max: self.max_backoff,
        }
    }
}

/// The delays of one request's retries, in order.
pub struct Backoff {
    delays: backon::ExponentialBackoff,
    max: Duration,
}

impl Backoff {
    /// The next delay (the longest one should the sequence ever end).
    pub fn next_delay(&mut self) -> Duration {
        self.delays.next().unwrap_or(self.max)
    }
}

/// How long to wait before a retry: the backoff's delay, or, when the
/// server said how long, its wait, but never less than a quarter of the
/// backoff (a server that keeps asking for 0 s must not be hammered).
pub fn retry_delay(backoff: Duration, asked: Option<Duration>) -> Duration {
    match asked {
        Some(w) => w.max(backoff / 4),
        None => backoff,
    }
}

/// Weighs a wait the platform asked for against `--max-wait`: a longer one
/// is refused with the sentence that stops the run (exit 3, resumable),
/// naming the header that asked.
pub fn weigh_wait(
    platform: &str,
    wait: Duration,
    max: Duration,
    headers: &HeaderMap,
) -> Result<(), String> {
    if wait <= max {
        return Ok(());
    }
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
    Err(format!(
        "{platform} asked to wait {} ({source}), longer than --max-wait {} s; stopped rather than hang (raise --max-wait to wait that long)",
        human_wait(wait),
        max.as_secs()
    ))
}

/// A wait as a person reads it: seconds, or the larger unit it is about.
pub fn human_wait(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..120 => format!("{} s", d.as_secs_f64().ceil() as u64),
        120..7_200 => format!("{} s (about {} minutes)", s, s / 60),
        7_200..172_800 => format!("{} s (about {} hours)", s, s / 3600),
        _ => format!("{} s (about {} days)", s, s / 86_400),
    }
}

/// How long the platform has answered nothing but server errors or
/// connection failures, against `--give-up-after`. Measured on tokio's
/// clock.
#[derive(Debug)]
pub struct GiveUp {
    after: Duration,
    /// When the platform last gave an answer that was not a server error.
    last_good: Mutex<Instant>,
}

impl GiveUp {
    /// A clock that gives up after `after` of silence, starting now.
    pub fn new(after: Duration) -> GiveUp {
        GiveUp {
            after,
            last_good: Mutex::new(Instant::now()),
        }
    }

    /// The platform gave an answer that was not a server error.
    pub fn answered(&self) {
        *self.last_good.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    /// How long it has been silent, once that is `--give-up-after` or more.
    pub fn silent_for(&self) -> Option<Duration> {
        let since = self
            .last_good
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .elapsed();
        (since >= self.after).then_some(since)
    }
}

/// What the send loop does after an answer that asks to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterRetry {
    /// The batch may have been stored where a resend may create a second
    /// record: look its records up first.
    Settle,
    /// The platform has been silent past `--give-up-after`: stop the run.
    GiveUp,
    /// A record's budget is spent: journal the batch failed or in doubt.
    Spent,
    /// Wait, then send the batch again.
    Wait,
}

/// Decides the step after a retry verdict, in this order: a doubtful send
/// where a resend may duplicate is settled by lookup (whatever else holds),
/// then a silent platform stops the run, then a spent budget ends the batch.
/// `gave_up` is asked only when it decides the step (giving up stops the
/// run).
pub fn after_retry(
    in_doubt: bool,
    email_unique: bool,
    gave_up: impl FnOnce() -> bool,
    spent: bool,
) -> AfterRetry {
    if in_doubt && !email_unique {
        AfterRetry::Settle
    } else if gave_up() {
        AfterRetry::GiveUp
    } else if spent {
        AfterRetry::Spent
    } else {
        AfterRetry::Wait
    }
}

/// Splits `batch` into the records whose budget of `budget` sends is
/// spent, and the rest.
pub(crate) fn split_spent(batch: Vec<Pending>, budget: u32) -> (Vec<Pending>, Vec<Pending>) {
    batch.into_iter().partition(|p| p.tries >= budget)
}

/// Sorts a batch by its answer's outcomes (one per record, in order): the
/// records it settled, with their outcome, and those to send again.
///
/// An answer that settled some records of the batch (a 422 naming one
/// taken email) sends the rest again in a smaller batch: that resend is
/// progress, not a failed try, and cannot repeat more often than the batch
/// has records, so it gives back the try it took. Only an answer that
/// settles nothing spends the budget of those it sends again.
pub(crate) fn sort_outcomes(
    batch: Vec<Pending>,
    outcomes: Vec<Outcome>,
) -> (Vec<(Work, Outcome)>, Vec<Pending>) {
    let progress = outcomes
        .iter()
        .any(|o| !matches!(o, Outcome::Resend { .. }));
    let mut settled = Vec::new();
    let mut resend = Vec::new();
    for (mut p, outcome) in batch.into_iter().zip(outcomes) {
        match outcome {
            Outcome::Resend { in_doubt, reason } => {
                p.doubt |= in_doubt;
                // The answer did not say what became of it: an "already
                // there" to its resend may be this send's doing.
                p.answer_lost |= in_doubt;
                p.reason = Some(reason);
                if progress {
                    p.tries = p.tries.saturating_sub(1);
                }
                resend.push(p);
            }
            other => settled.push((p.work, other)),
        }
    }
    (settled, resend)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Customer;
    use crate::writer::work::Payload;
    use reqwest::header::HeaderValue;

    fn pending(n: u64, tries: u32) -> Pending {
        let mut p = Pending::new(
            Work {
                key: format!("c{n}@x.com"),
                record: n,
                line: n + 1,
                payload: Payload::Customer(Customer::default()),
                sent_before: None,
                sync: None,
            },
            true,
        );
        p.tries = tries;
        p
    }

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
    fn backoff_doubles_from_its_minimum_with_jitter_and_stays_under_twice_its_maximum() {
        let policy = RetryPolicy {
            timeout: Duration::from_secs(30),
            max_retries: 5,
            min_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(4),
        };
        let mut backoff = policy.backoff();
        for n in 0..12u32 {
            let base = (policy.min_backoff * 2u32.pow(n.min(20))).min(policy.max_backoff);
            let d = backoff.next_delay();
            assert!(
                d >= base && d < base * 2,
                "delay {n} was {d:?}, expected in [{base:?}, {:?})",
                base * 2
            );
        }
    }

    #[test]
    fn the_run_backs_off_from_a_quarter_second_to_at_most_half_a_minute() {
        let policy = RetryPolicy::new(Duration::from_secs(30), 3);
        assert_eq!(policy.budget(), 4);
        let mut backoff = policy.backoff();
        let first = backoff.next_delay();
        assert!(first >= MIN_BACKOFF && first < MIN_BACKOFF * 2);
        let late = (0..30).map(|_| backoff.next_delay()).last().unwrap();
        assert!(late >= MAX_BACKOFF && late < MAX_BACKOFF * 2);
    }

    #[test]
    fn a_server_asked_wait_replaces_the_backoff_but_never_falls_under_a_quarter_of_it() {
        let backoff = Duration::from_secs(8);
        assert_eq!(retry_delay(backoff, None), backoff);
        assert_eq!(
            retry_delay(backoff, Some(Duration::from_secs(40))),
            Duration::from_secs(40)
        );
        assert_eq!(
            retry_delay(backoff, Some(Duration::ZERO)),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn a_wait_longer_than_max_wait_is_refused_naming_the_header_that_asked() {
        let max = Duration::from_secs(900);
        let mut headers = HeaderMap::new();
        assert!(weigh_wait("BigCommerce", max, max, &headers).is_ok());
        headers.insert(
            "X-Rate-Limit-Time-Reset-Ms",
            HeaderValue::from_static("3600000"),
        );
        let refused =
            weigh_wait("BigCommerce", Duration::from_secs(3600), max, &headers).unwrap_err();
        assert!(refused.contains("BigCommerce asked to wait 3600 s (about 60 minutes)"));
        assert!(refused.contains("X-Rate-Limit-Time-Reset-Ms: 3600000"));
        assert!(refused.contains("--max-wait 900 s"));
        let bare = weigh_wait(
            "bitbybit",
            max + Duration::from_secs(1),
            max,
            &HeaderMap::new(),
        )
        .unwrap_err();
        assert!(bare.contains("its rate-limit headers"));
    }

    #[tokio::test(start_paused = true)]
    async fn give_up_after_counts_silence_since_the_last_good_answer() {
        let clock = GiveUp::new(Duration::from_secs(600));
        tokio::time::advance(Duration::from_secs(599)).await;
        assert_eq!(clock.silent_for(), None);
        clock.answered();
        tokio::time::advance(Duration::from_secs(599)).await;
        assert_eq!(clock.silent_for(), None);
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(clock.silent_for(), Some(Duration::from_secs(601)));
    }

    #[test]
    fn a_doubtful_send_is_settled_before_the_run_gives_up_or_the_budget_ends() {
        let never_asked = || -> bool { panic!("settling comes first: the run must not give up") };
        assert_eq!(
            after_retry(true, false, never_asked, true),
            AfterRetry::Settle
        );
        // Where emails are unique, a doubtful send is simply sent again.
        assert_eq!(after_retry(true, true, || false, false), AfterRetry::Wait);
        assert_eq!(after_retry(false, false, || true, true), AfterRetry::GiveUp);
        assert_eq!(after_retry(false, false, || false, true), AfterRetry::Spent);
        assert_eq!(after_retry(false, true, || false, false), AfterRetry::Wait);
    }

    #[test]
    fn records_whose_budget_is_spent_are_set_apart() {
        let budget = RetryPolicy::new(Duration::from_secs(1), 2).budget();
        let (spent, rest) = split_spent(vec![pending(1, 3), pending(2, 2), pending(3, 0)], budget);
        assert_eq!(spent.iter().map(|p| p.work.record).collect::<Vec<_>>(), [1]);
        assert_eq!(
            rest.iter().map(|p| p.work.record).collect::<Vec<_>>(),
            [2, 3]
        );
    }

    #[test]
    fn a_partial_answer_gives_back_the_try_of_the_records_it_sends_again() {
        let resend = || Outcome::Resend {
            in_doubt: false,
            reason: "422: another record's email is taken".into(),
        };
        let (settled, again) = sort_outcomes(
            vec![pending(1, 1), pending(2, 1)],
            vec![
                Outcome::Exists {
                    id: None,
                    reason: "taken".into(),
                },
                resend(),
            ],
        );
        assert_eq!(settled.len(), 1);
        assert_eq!(settled[0].0.record, 1);
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].tries, 0, "progress: the resend is not a try");
        assert!(again[0].reason.as_deref().unwrap().starts_with("422"));
        assert!(!again[0].answer_lost, "the answer said it was not applied");
    }

    #[test]
    fn a_record_an_answer_leaves_unexplained_has_its_answer_lost() {
        // A 200 listing some of a batch, or a 422 after which some were
        // stored: an "already there" to the resend may be this send's.
        let (_, again) = sort_outcomes(
            vec![pending(1, 1), pending(2, 1)],
            vec![
                Outcome::Created { id: "7".into() },
                Outcome::Resend {
                    in_doubt: true,
                    reason: "200 without it".into(),
                },
            ],
        );
        assert!(again[0].doubt && again[0].answer_lost);
    }

    #[test]
    fn an_answer_that_settles_nothing_spends_the_budget_of_what_it_sends_again() {
        let (settled, again) = sort_outcomes(
            vec![pending(1, 2)],
            vec![Outcome::Resend {
                in_doubt: true,
                reason: "500".into(),
            }],
        );
        assert!(settled.is_empty());
        assert_eq!(again[0].tries, 2);
        assert!(again[0].doubt);
    }
}
