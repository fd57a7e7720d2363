//! How many requests the writer keeps in flight, adapted to the platform's
//! answers: additive increase, multiplicative decrease (AIMD), after
//! Vector's adaptive request concurrency.
//!
//! Once per round trip (an *interval*, as long as the running average
//! round-trip time), the limit is weighed against what that interval saw:
//!
//! - **+1** when every slot was taken while work was waiting, no answer asked
//!   to try again, the interval's round-trip time stayed near its running
//!   average, and the pace (the rate limiter) did not hold requests back —
//!   that is, the concurrency limit was what kept the writer below the
//!   quota (with 300 ms per answer, 4 requests in flight make 13.3 a second,
//!   below BigCommerce Pro's 15);
//! - **×0.9** (rounded down, at least 1) when an answer asked to try again
//!   (429, 5xx, a timeout, a refused connection: Vector's "back pressure"),
//!   or when the interval's round-trip time rose well above its running
//!   average (2.5 standard deviations, and at least 10 %);
//! - otherwise it holds.
//!
//! The limit stays between 1 and a ceiling: `--concurrency` when the user
//! gives it, else the platform's documented limit (BigCommerce 10); a
//! platform that documents none never goes above its default. The run
//! starts at `--concurrency` or the platform's default.
//!
//! Every time is tokio's, so tests drive it with paused time.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// The share of the limit kept on a decrease (Vector's `decrease_ratio`).
const DECREASE_RATIO: f64 = 0.9;
/// The weight of a new interval in the running average (Vector's `ewma_alpha`).
const EWMA_ALPHA: f64 = 0.4;
/// Standard deviations above the running average that count as rising
/// latency (Vector's `rtt_deviation_scale`).
const RTT_DEVIATION_SCALE: f64 = 2.5;
/// The least rise, as a share of the running average, that counts as rising
/// latency: a perfectly steady link has no deviation, and its noise of a
/// few hundred microseconds must not read as congestion.
const RISE_FLOOR: f64 = 0.10;
/// How far above its running average an interval's round-trip time may be
/// and still count as steady (an increase needs it).
const STEADY: f64 = 0.05;
/// The pace holds requests back when they wait on it, on average, at least
/// this share of its spacing between two requests: more in flight would
/// only wait longer there.
const PACED_SHARE: f64 = 0.25;

/// What one request's try told the controller.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attempt {
    /// How long it waited on the pace before going out.
    pub paced: Duration,
    /// The pace's spacing between two requests at that moment.
    pub spacing: Duration,
    /// From going out to its answer, when the platform answered it (a
    /// verdict other than "try again").
    pub rtt: Option<Duration>,
    /// The answer asked to try again (429, 5xx, timeout, no connection).
    pub back_pressure: bool,
}

/// The number of requests in flight, adapted to the answers.
#[derive(Debug)]
pub struct Concurrency {
    /// The limit, what is in flight, and what the current interval saw.
    state: Mutex<State>,
    /// Wakes the dispatcher when a slot frees or the limit grows.
    freed: Notify,
    /// The highest limit allowed.
    ceiling: usize,
}

/// A running average and variance, exponentially weighted.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ewma {
    mean: f64,
    variance: f64,
}

impl Ewma {
    fn update(&mut self, x: f64) {
        let d = x - self.mean;
        self.mean += EWMA_ALPHA * d;
        self.variance = (1.0 - EWMA_ALPHA) * (self.variance + EWMA_ALPHA * d * d);
    }
}

#[derive(Debug)]
struct State {
    /// Requests allowed in flight now.
    limit: usize,
    /// Requests in flight now.
    in_flight: usize,
    /// The highest limit reached in the run.
    peak: usize,
    /// Round-trip times of past intervals, in seconds.
    past: Option<Ewma>,
    /// When the current interval ends.
    next_update: Instant,
    /// This interval: round-trip times (sum, in seconds, and count).
    rtt_sum: f64,
    rtt_count: u32,
    /// This interval: time waited on the pace (sum, in seconds), the pace's
    /// spacing (sum, in seconds), and tries.
    paced_sum: f64,
    spacing_sum: f64,
    tries: u32,
    /// This interval: every slot was taken at some moment.
    reached_limit: bool,
    /// This interval: an answer asked to try again.
    back_pressure: bool,
}

impl State {
    fn start_interval(&mut self, now: Instant, length: Duration) {
        self.next_update = now + length;
        self.rtt_sum = 0.0;
        self.rtt_count = 0;
        self.paced_sum = 0.0;
        self.spacing_sum = 0.0;
        self.tries = 0;
        self.reached_limit = self.in_flight >= self.limit;
        self.back_pressure = false;
    }

    fn current_rtt(&self) -> Option<f64> {
        (self.rtt_count > 0).then(|| self.rtt_sum / f64::from(self.rtt_count))
    }

    /// The pace held this interval's requests back (see [`PACED_SHARE`]).
    fn paced(&self) -> bool {
        self.tries > 0 && self.paced_sum >= PACED_SHARE * self.spacing_sum
    }
}

/// A slot in flight: given back when dropped.
#[derive(Debug)]
pub struct Slot {
    concurrency: Arc<Concurrency>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.concurrency.lock().in_flight -= 1;
        self.concurrency.freed.notify_one();
    }
}

impl Concurrency {
    /// A limit that starts at `start` and adapts between 1 and `ceiling`
    /// (`start` is kept within them).
    pub fn new(start: usize, ceiling: usize) -> Arc<Concurrency> {
        let ceiling = ceiling.max(1);
        let limit = start.clamp(1, ceiling);
        Arc::new(Concurrency {
            state: Mutex::new(State {
                limit,
                in_flight: 0,
                peak: limit,
                past: None,
                next_update: Instant::now(),
                rtt_sum: 0.0,
                rtt_count: 0,
                paced_sum: 0.0,
                spacing_sum: 0.0,
                tries: 0,
                reached_limit: false,
                back_pressure: false,
            }),
            freed: Notify::new(),
            ceiling,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding it leaves plain numbers behind: still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Requests allowed in flight now.
    pub fn limit(&self) -> usize {
        self.lock().limit
    }

    /// The highest limit the run reached.
    pub fn peak(&self) -> usize {
        self.lock().peak
    }

    /// Requests in flight now.
    pub fn in_flight(&self) -> usize {
        self.lock().in_flight
    }

    /// The highest limit allowed.
    pub fn ceiling(&self) -> usize {
        self.ceiling
    }

    /// Waits for a free slot (fewer in flight than the limit) and takes it.
    pub async fn acquire(self: &Arc<Self>) -> Slot {
        loop {
            {
                let mut s = self.lock();
                if s.in_flight < s.limit {
                    s.in_flight += 1;
                    if s.in_flight >= s.limit {
                        s.reached_limit = true;
                    }
                    return Slot {
                        concurrency: self.clone(),
                    };
                }
                // Every slot is taken and work is waiting for one.
                s.reached_limit = true;
            }
            // `notify_one` keeps a wake-up for a waiter yet to come, so a
            // slot freed between the check and this wait is not missed.
            self.freed.notified().await;
        }
    }

    /// Takes in what one try saw and, once per interval, moves the limit.
    pub fn observe(&self, attempt: Attempt) {
        let now = Instant::now();
        let mut s = self.lock();
        s.tries += 1;
        s.paced_sum += attempt.paced.as_secs_f64();
        s.spacing_sum += attempt.spacing.as_secs_f64();
        s.back_pressure |= attempt.back_pressure;
        if let Some(rtt) = attempt.rtt {
            s.rtt_sum += rtt.as_secs_f64();
            s.rtt_count += 1;
        }
        let current = s.current_rtt();
        let Some(mut past) = s.past else {
            // The first answer sets the average and the interval's length.
            if let Some(rtt) = current {
                s.past = Some(Ewma {
                    mean: rtt,
                    variance: 0.0,
                });
                s.start_interval(now, Duration::from_secs_f64(rtt));
            }
            return;
        };
        if now < s.next_update {
            return;
        }
        let before = s.limit;
        self.manage(&mut s, past, current);
        if s.limit != before {
            tracing::info!(
                message = "requests in flight adapted",
                limit = s.limit,
                before,
                rtt_ms = current.map(|c| (c * 1000.0).round()),
                average_rtt_ms = (past.mean * 1000.0).round(),
                back_pressure = s.back_pressure,
            );
        }
        if let Some(rtt) = current {
            past.update(rtt);
            s.past = Some(past);
        }
        s.start_interval(now, Duration::from_secs_f64(past.mean.max(0.001)));
        drop(s);
        // A higher limit may let the dispatcher go on.
        self.freed.notify_one();
    }

    /// Moves the limit on what the interval that just ended saw.
    fn manage(&self, s: &mut State, past: Ewma, current: Option<f64>) {
        let steady = current.is_some_and(|c| c <= past.mean * (1.0 + STEADY));
        let rise = (past.variance.sqrt() * RTT_DEVIATION_SCALE).max(past.mean * RISE_FLOOR);
        let rising = current.is_some_and(|c| c >= past.mean + rise);
        if s.limit < self.ceiling && s.reached_limit && !s.back_pressure && steady && !s.paced() {
            s.limit += 1;
            s.peak = s.peak.max(s.limit);
        } else if s.limit > 1 && (s.back_pressure || rising) {
            // Rounded down: always at least one less, never below one.
            s.limit = ((s.limit as f64 * DECREASE_RATIO) as usize).max(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RTT: Duration = Duration::from_millis(300);
    /// BigCommerce Pro's pace: 450 requests per 30 s.
    const SPACING: Duration = Duration::from_micros(66_667);

    fn answered(rtt: Duration, paced: Duration) -> Attempt {
        Attempt {
            paced,
            spacing: SPACING,
            rtt: Some(rtt),
            back_pressure: false,
        }
    }

    fn retry() -> Attempt {
        Attempt {
            paced: Duration::ZERO,
            spacing: SPACING,
            rtt: None,
            back_pressure: true,
        }
    }

    /// Keeps every slot busy for `intervals` round trips, each try waiting
    /// `paced` on the pace and answered after `rtt(i)`: the writer's
    /// situation when the feed is never empty.
    async fn saturate(
        c: &Arc<Concurrency>,
        intervals: u32,
        paced: Duration,
        rtt: impl Fn(u32) -> Duration,
    ) {
        for i in 0..intervals {
            let mut slots = Vec::new();
            for _ in 0..c.limit() {
                slots.push(c.acquire().await);
            }
            let rtt = rtt(i);
            tokio::time::advance(rtt).await;
            for _ in &slots {
                c.observe(answered(rtt, paced));
            }
            drop(slots);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_link_raises_the_limit_until_the_pace_holds_requests_back() {
        let c = Concurrency::new(4, 10);
        // 4 in flight at 300 ms: 13.3 a second, under the pace's 15; no wait.
        saturate(&c, 3, Duration::ZERO, |_| RTT).await;
        assert_eq!(c.limit(), 6);
        // Now every try waits on the pace half its spacing: the pace is
        // the bottleneck, and more in flight would not send more. (The
        // first interval still weighs the tail of the last one, answered
        // without a wait.)
        saturate(&c, 1, SPACING / 2, |_| RTT).await;
        let reached = c.limit();
        assert!(reached <= 7, "limit {reached}");
        saturate(&c, 10, SPACING / 2, |_| RTT).await;
        assert_eq!(c.limit(), reached);
    }

    #[tokio::test(start_paused = true)]
    async fn the_limit_climbs_one_per_round_trip_and_never_past_the_ceiling() {
        let c = Concurrency::new(4, 10);
        saturate(&c, 3, Duration::ZERO, |_| RTT).await;
        // The first round trip sets the average; each later one adds one.
        assert_eq!(c.limit(), 6);
        saturate(&c, 20, Duration::ZERO, |_| RTT).await;
        assert_eq!(c.limit(), 10);
        assert_eq!(c.peak(), 10);
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_verdict_cuts_the_limit_to_nine_tenths_rounded_down() {
        let c = Concurrency::new(10, 10);
        saturate(&c, 1, Duration::ZERO, |_| RTT).await;
        tokio::time::advance(RTT).await;
        c.observe(retry());
        assert_eq!(c.limit(), 9);
        tokio::time::advance(RTT).await;
        c.observe(retry());
        assert_eq!(c.limit(), 8);
        // Within one interval, more retries do not cut again.
        c.observe(retry());
        assert_eq!(c.limit(), 8);
        // Down to one, never zero.
        for _ in 0..40 {
            tokio::time::advance(RTT).await;
            c.observe(retry());
        }
        assert_eq!(c.limit(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn rising_latency_cuts_the_limit_and_a_steady_one_does_not() {
        let c = Concurrency::new(6, 6);
        // Steady at the ceiling: holds.
        saturate(&c, 5, Duration::ZERO, |_| RTT).await;
        assert_eq!(c.limit(), 6);
        // Noise of 1 % is not a rise.
        saturate(&c, 5, Duration::ZERO, |i| {
            if i % 2 == 0 { RTT * 101 / 100 } else { RTT }
        })
        .await;
        assert_eq!(c.limit(), 6);
        // Three times as slow: the platform is struggling.
        saturate(&c, 1, Duration::ZERO, |_| RTT * 3).await;
        assert_eq!(c.limit(), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn a_limit_not_reached_is_not_raised() {
        let c = Concurrency::new(4, 10);
        for _ in 0..10 {
            // Two in flight at a time of four allowed: the feed is the
            // bottleneck, not the limit.
            let a = c.acquire().await;
            let b = c.acquire().await;
            tokio::time::advance(RTT).await;
            c.observe(answered(RTT, Duration::ZERO));
            c.observe(answered(RTT, Duration::ZERO));
            drop((a, b));
        }
        assert_eq!(c.limit(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn a_limit_given_as_the_ceiling_goes_down_and_back_but_never_above_it() {
        // `--concurrency 3`: start and ceiling.
        let c = Concurrency::new(3, 3);
        saturate(&c, 10, Duration::ZERO, |_| RTT).await;
        assert_eq!(c.limit(), 3);
        tokio::time::advance(RTT).await;
        c.observe(retry());
        assert_eq!(c.limit(), 2);
        saturate(&c, 10, Duration::ZERO, |_| RTT).await;
        assert_eq!(c.limit(), 3);
        assert_eq!(c.peak(), 3);
    }

    #[test]
    fn the_start_is_kept_between_one_and_the_ceiling() {
        assert_eq!(Concurrency::new(0, 4).limit(), 1);
        assert_eq!(Concurrency::new(12, 10).limit(), 10);
        assert_eq!(Concurrency::new(4, 0).ceiling(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn acquire_waits_for_a_slot_to_be_given_back() {
        let c = Concurrency::new(2, 2);
        let a = c.acquire().await;
        let _b = c.acquire().await;
        assert_eq!(c.in_flight(), 2);
        let waiter = {
            let c = c.clone();
            tokio::spawn(async move { c.acquire().await })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "no slot is free");
        drop(a);
        let _c = waiter.await.unwrap();
        assert_eq!(c.in_flight(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_raised_limit_lets_a_waiting_dispatcher_go_on() {
        let c = Concurrency::new(1, 2);
        let _held = c.acquire().await;
        // The first answer sets the average; the next interval raises.
        tokio::time::advance(RTT).await;
        c.observe(answered(RTT, Duration::ZERO));
        let waiter = {
            let c = c.clone();
            tokio::spawn(async move { c.acquire().await })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        tokio::time::advance(RTT).await;
        c.observe(answered(RTT, Duration::ZERO));
        assert_eq!(c.limit(), 2);
        let _second = waiter.await.unwrap();
        assert_eq!(c.in_flight(), 2);
    }
}
