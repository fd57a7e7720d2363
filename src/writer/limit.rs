//! The client-side pace: a governor rate limiter shaped like the platform's
//! quota (evenly spaced requests, no bursts), re-shaped when the platform's
//! own headers report another quota, plus a shared pause that every request
//! waits out when the platform says its window is used up (requests left 0,
//! or a 429 with a reset time). Each request's [`Turn`] tells the writer's
//! [`Concurrency`] how long it waited here and how its answer came back.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::time::Instant;

use crate::platform::{QuotaHint, Rate, Verdict};

use super::concurrency::{Attempt, Concurrency};

/// The pace of one run's requests.
pub struct Limiter {
    /// The governor limiter for the current rate; replaced when it changes.
    current: Mutex<(Rate, Arc<DefaultDirectRateLimiter>)>,
    /// Until when every request waits (the platform's window is used up).
    paused_until: Mutex<Option<Instant>>,
    /// `--rate` was given: do not follow the platform's headers.
    fixed: bool,
    /// Share of the platform's quota to use (`--max-quota-share`).
    share: f64,
    /// Longest pause a platform's headers may impose (`--max-wait`); a
    /// longer one is not applied, and [`observe`](Self::observe) reports it.
    max_wait: Duration,
    /// The requests in flight, told what each try saw (none: not adapted).
    concurrency: Option<Arc<Concurrency>>,
}

/// One request's turn: when it went out, after how long a wait here.
/// [`finished`](Self::finished) hands what its answer said to the
/// concurrency controller; a turn dropped unfinished tells it nothing.
#[derive(Debug)]
pub struct Turn {
    concurrency: Option<Arc<Concurrency>>,
    /// How long it waited on the pace.
    paced: Duration,
    /// The pace's spacing between two requests when it went out.
    spacing: Duration,
    /// When it went out.
    sent: Instant,
}

impl Turn {
    /// The try is over and `verdict` is what its answer said: a "try
    /// again" is back pressure; any other answer, a round-trip time.
    pub fn finished(self, verdict: &Verdict) {
        let Some(c) = &self.concurrency else {
            return;
        };
        let back_pressure = match verdict {
            Verdict::Retry { .. } => true,
            Verdict::Outcomes(_) | Verdict::Split { .. } => false,
            // The run stops: nothing left to adapt.
            Verdict::Stop { .. } => return,
        };
        c.observe(Attempt {
            paced: self.paced,
            spacing: self.spacing,
            rtt: (!back_pressure).then(|| self.sent.elapsed()),
            back_pressure,
        });
    }
}

/// The longest server-requested wait a run follows unless told otherwise
/// (DECISIONS.md "Hostile paths": 15 minutes).
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(15 * 60);

fn governor_for(rate: Rate) -> Arc<DefaultDirectRateLimiter> {
    // Evenly spaced, burst of one. Spacing of exactly window/requests would
    // let a fixed window on the server see one request too many whenever
    // the first request of a window arrives late (a new connection) and a
    // later one early: requests + 1 of them must span the window plus that
    // jitter. Allowed jitter: 1% of the window, at most 50 ms (a 1 s window
    // keeps 99% of its quota; a 30 s window 99.8%).
    let jitter = (rate.window / 100).min(Duration::from_millis(50));
    let period = (rate.window + jitter) / rate.requests.max(1);
    let quota = Quota::with_period(period.max(Duration::from_micros(1)))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::MIN);
    Arc::new(RateLimiter::direct(quota))
}

impl Limiter {
    /// A limiter at `rate`; `fixed` keeps it there whatever headers say.
    pub fn new(rate: Rate, fixed: bool, share: f64) -> Self {
        let rate = scaled(rate, share);
        Limiter {
            current: Mutex::new((rate, governor_for(rate))),
            paused_until: Mutex::new(None),
            fixed,
            share,
            max_wait: DEFAULT_MAX_WAIT,
            concurrency: None,
        }
    }

    /// This limiter, telling `concurrency` what each [`Turn`] saw.
    pub fn with_concurrency(mut self, concurrency: Arc<Concurrency>) -> Self {
        self.concurrency = Some(concurrency);
        self
    }

    /// This limiter, following pauses of at most `max_wait`.
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// The longest pause it follows.
    pub fn max_wait(&self) -> Duration {
        self.max_wait
    }

    /// The rate in force.
    pub fn rate(&self) -> Rate {
        self.current.lock().unwrap_or_else(|e| e.into_inner()).0
    }

    /// Waits until a request may go out.
    pub async fn wait(&self) {
        loop {
            let pause = *self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(until) = pause
                && until > Instant::now()
            {
                tokio::time::sleep_until(until).await;
                continue;
            }
            let limiter = self
                .current
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .1
                .clone();
            limiter.until_ready().await;
            return;
        }
    }

    /// Waits until a request may go out, as [`wait`](Self::wait) does, and
    /// starts its turn.
    pub async fn turn(&self) -> Turn {
        let started = Instant::now();
        self.wait().await;
        let sent = Instant::now();
        let rate = self.rate();
        Turn {
            concurrency: self.concurrency.clone(),
            paced: sent - started,
            spacing: rate.window / rate.requests.max(1),
            sent,
        }
    }

    /// Every request waits at least `d` from now (a `d` too far in the
    /// future to represent is capped at a century: callers refuse waits
    /// longer than `max_wait` before they get here).
    pub fn pause(&self, d: Duration) {
        let now = Instant::now();
        let until = now
            .checked_add(d)
            .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 86_400)))
            .unwrap_or(now);
        let mut p = self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        if p.is_none_or(|old| old < until) {
            *p = Some(until);
        }
    }

    /// Follows what an answer's headers say about the quota, and returns
    /// the pause they asked for, if any: applied when it is at most
    /// `max_wait`, left for the caller to refuse otherwise.
    pub fn observe(&self, hint: &QuotaHint) -> Option<Duration> {
        let asked = match (hint.left, hint.reset) {
            (Some(0), Some(reset)) => Some(reset),
            _ => None,
        };
        if let Some(reset) = asked
            && reset <= self.max_wait
        {
            self.pause(reset);
        }
        if self.fixed {
            return asked;
        }
        if let (Some(quota), Some(window)) = (hint.quota, hint.window) {
            if quota == 0 || window.is_zero() {
                return asked;
            }
            let reported = scaled(
                Rate {
                    requests: quota,
                    window,
                },
                self.share,
            );
            let mut cur = self.current.lock().unwrap_or_else(|e| e.into_inner());
            if cur.0 != reported {
                tracing::info!(message = "following the platform's reported quota", rate = %reported);
                *cur = (reported, governor_for(reported));
            }
        }
        asked
    }
}

fn scaled(rate: Rate, share: f64) -> Rate {
    let share = if share > 0.0 && share <= 1.0 {
        share
    } else {
        1.0
    };
    Rate {
        requests: ((rate.requests as f64 * share).floor() as u32).max(1),
        window: rate.window,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rate so fast that the governor never holds a request back: what
    /// is measured is the limiter's own pause, on tokio's paused clock.
    fn fast() -> Rate {
        Rate {
            requests: 1_000_000,
            window: Duration::from_secs(1),
        }
    }

    fn used_up(reset: Duration) -> QuotaHint {
        QuotaHint {
            left: Some(0),
            reset: Some(reset),
            ..QuotaHint::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn every_request_waits_out_a_pause() {
        let limiter = Limiter::new(fast(), true, 1.0);
        let started = Instant::now();
        limiter.wait().await;
        assert_eq!(started.elapsed(), Duration::ZERO);
        limiter.pause(Duration::from_secs(30));
        // A shorter pause asked later does not cut the longer one short.
        limiter.pause(Duration::from_secs(5));
        limiter.wait().await;
        assert_eq!(started.elapsed(), Duration::from_secs(30));
        limiter.wait().await;
        assert_eq!(started.elapsed(), Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn a_used_up_window_pauses_every_request_until_it_resets() {
        let limiter = Limiter::new(fast(), false, 1.0).with_max_wait(Duration::from_secs(60));
        let reset = Duration::from_millis(41_200);
        assert_eq!(limiter.observe(&used_up(reset)), Some(reset));
        let started = Instant::now();
        limiter.wait().await;
        assert_eq!(started.elapsed(), reset);
        // Requests left: nothing to wait for.
        let hint = QuotaHint {
            left: Some(3),
            reset: Some(reset),
            ..QuotaHint::default()
        };
        assert_eq!(limiter.observe(&hint), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_past_max_wait_is_reported_not_applied() {
        let limiter = Limiter::new(fast(), true, 1.0).with_max_wait(Duration::from_secs(900));
        let asked = Duration::from_secs(3600);
        assert_eq!(limiter.observe(&used_up(asked)), Some(asked));
        let started = Instant::now();
        limiter.wait().await;
        assert_eq!(started.elapsed(), Duration::ZERO, "the caller refuses it");
        assert_eq!(limiter.max_wait(), Duration::from_secs(900));
    }

    #[test]
    fn the_platforms_reported_quota_is_followed_at_the_share_asked_unless_the_rate_is_fixed() {
        let hint = QuotaHint {
            quota: Some(150),
            window: Some(Duration::from_secs(30)),
            left: Some(100),
            reset: None,
        };
        let following = Limiter::new(fast(), false, 0.5);
        assert_eq!(following.observe(&hint), None);
        assert_eq!(
            following.rate(),
            Rate {
                requests: 75,
                window: Duration::from_secs(30)
            }
        );
        let fixed = Limiter::new(fast(), true, 0.5);
        fixed.observe(&hint);
        assert_eq!(fixed.rate().requests, 500_000);
    }

    #[tokio::test(start_paused = true)]
    async fn a_turn_tells_the_concurrency_its_round_trip_or_its_back_pressure() {
        let concurrency = Concurrency::new(4, 10);
        let limiter = Limiter::new(fast(), true, 1.0).with_concurrency(concurrency.clone());
        let rtt = Duration::from_millis(300);
        let answered = Verdict::Outcomes(Vec::new());
        let retry = Verdict::Retry {
            reason: "503".into(),
            wait: None,
            in_doubt: false,
        };
        // The first answer sets the average round trip; a verdict that stops
        // the run tells nothing.
        let turn = limiter.turn().await;
        tokio::time::advance(rtt).await;
        turn.finished(&answered);
        let turn = limiter.turn().await;
        tokio::time::advance(rtt).await;
        turn.finished(&Verdict::Stop {
            message: "401".into(),
        });
        assert_eq!(concurrency.limit(), 4);
        // A "try again" one round trip later is back pressure: 4 × 0.9.
        let turn = limiter.turn().await;
        turn.finished(&retry);
        assert_eq!(concurrency.limit(), 3);
        // A turn dropped unfinished (a redirect) tells nothing either.
        tokio::time::advance(rtt).await;
        drop(limiter.turn().await);
        assert_eq!(concurrency.limit(), 3);
    }

    #[test]
    fn a_share_out_of_range_uses_the_whole_quota_and_never_less_than_one_request() {
        let rate = Rate {
            requests: 3,
            window: Duration::from_secs(1),
        };
        assert_eq!(scaled(rate, 0.0).requests, 3);
        assert_eq!(scaled(rate, 1.5).requests, 3);
        assert_eq!(scaled(rate, 0.1).requests, 1);
    }
}
