//! The request quota: [`Quota`] (`--quota 150/30s`) and the fixed windows
//! kept per platform and credential, shaped as BigCommerce describes them
//! (FACTS.md): a window opens with the first counted request after the last
//! one closed, and the reset counts down to its end.
//!
//! Only admitted requests are counted, so a 429 never extends a window.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// The quota reported when none is configured: generous, never reached in practice.
pub(crate) const UNLIMITED: Quota = Quota {
    requests: 1_000_000,
    window: Duration::from_secs(30),
};

/// At most this many closed windows are remembered (oldest dropped first).
const HISTORY_CAP: usize = 100_000;

/// A number of requests per fixed time window, e.g. `150/30s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests admitted per window.
    pub requests: u32,
    /// The window's length.
    pub window: Duration,
}

/// Why a quota did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "quota '{input}': {reason} (expected REQUESTS/WINDOW, e.g. 150/30s, 50/1s, 100/1m, 5/500ms)"
)]
pub struct QuotaError {
    input: String,
    reason: &'static str,
}

impl FromStr for Quota {
    type Err = QuotaError;

    fn from_str(s: &str) -> Result<Quota, QuotaError> {
        let err = |reason| QuotaError {
            input: s.to_string(),
            reason,
        };
        let (n, w) = s.trim().split_once('/').ok_or_else(|| err("no '/'"))?;
        let requests: u32 = n
            .trim()
            .parse()
            .map_err(|_| err("the request count is not a whole number"))?;
        if requests == 0 {
            return Err(err("the request count must be at least 1"));
        }
        let w = w.trim();
        let split = w.find(|c: char| !c.is_ascii_digit()).unwrap_or(w.len());
        let (digits, unit) = w.split_at(split);
        // "100/m" means one minute.
        let amount: u64 = if digits.is_empty() {
            1
        } else {
            digits
                .parse()
                .map_err(|_| err("the window is not a whole number"))?
        };
        let ms_per_unit: u64 = match unit.trim() {
            "ms" => 1,
            "" | "s" | "sec" => 1_000,
            "m" | "min" => 60_000,
            "h" => 3_600_000,
            _ => return Err(err("unknown window unit (use ms, s, m or h)")),
        };
        let ms = amount
            .checked_mul(ms_per_unit)
            .filter(|ms| (1..=86_400_000).contains(ms))
            .ok_or_else(|| err("the window must be between 1 ms and 24 h"))?;
        Ok(Quota {
            requests,
            window: Duration::from_millis(ms),
        })
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.window.as_millis();
        if ms.is_multiple_of(60_000) {
            write!(f, "{}/{}m", self.requests, ms / 60_000)
        } else if ms.is_multiple_of(1_000) {
            write!(f, "{}/{}s", self.requests, ms / 1_000)
        } else {
            write!(f, "{}/{}ms", self.requests, ms)
        }
    }
}

/// Where a credential stands in its current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QuotaState {
    /// Requests per window.
    pub limit: u32,
    /// Requests left in this window after this one.
    pub left: u32,
    /// The window's length.
    pub window: Duration,
    /// Time until the window ends.
    pub reset: Duration,
}

/// The quota's verdict on one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Counted; the state after counting it.
    Admitted(QuotaState),
    /// Refused (not counted): the window is used up.
    Limited(QuotaState),
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    count: u32,
}

/// A platform as the windows know it: its place in the sandbox's registry.
type PlatformIndex = usize;

/// The requests one credential made in one quota window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowCount {
    /// Which credential ("full", "readonly", "noscope").
    pub credential: String,
    /// Window start, in ms since the sandbox started.
    pub start_ms: u64,
    /// Requests counted in it.
    pub count: u32,
    /// Whether the window was still open when the stats were taken (a
    /// request then would have counted in it); false once it has ended.
    #[serde(default)]
    pub open: bool,
}

/// The fixed windows of every (platform, credential).
#[derive(Debug)]
pub(crate) struct Windows {
    quota: Quota,
    started: Instant,
    current: HashMap<(PlatformIndex, &'static str), Window>,
    closed: VecDeque<(PlatformIndex, &'static str, Window)>,
}

impl Windows {
    /// Windows for `quota` (or the generous default), with times counted from `started`.
    pub(crate) fn new(quota: Option<Quota>, started: Instant) -> Windows {
        Windows {
            quota: quota.unwrap_or(UNLIMITED),
            started,
            current: HashMap::new(),
            closed: VecDeque::new(),
        }
    }

    /// Counts a request of `credential` on `platform` at `now`, or refuses it.
    pub(crate) fn admit(
        &mut self,
        platform: PlatformIndex,
        credential: &'static str,
        now: Instant,
    ) -> Admission {
        let q = self.quota;
        let key = (platform, credential);
        let window = match self.current.get(&key) {
            Some(w) if now < w.start + q.window => *w,
            previous => {
                if let Some(old) = previous {
                    if self.closed.len() >= HISTORY_CAP {
                        self.closed.pop_front();
                    }
                    self.closed.push_back((platform, credential, *old));
                }
                Window {
                    start: now,
                    count: 0,
                }
            }
        };
        let reset = (window.start + q.window).saturating_duration_since(now);
        if window.count >= q.requests {
            self.current.insert(key, window);
            return Admission::Limited(QuotaState {
                limit: q.requests,
                left: 0,
                window: q.window,
                reset,
            });
        }
        let window = Window {
            count: window.count + 1,
            ..window
        };
        self.current.insert(key, window);
        Admission::Admitted(QuotaState {
            limit: q.requests,
            left: q.requests - window.count,
            window: q.window,
            reset,
        })
    }

    /// The windows of `platform` so far, oldest first (open ones included),
    /// each marked open or not as of `now`.
    pub(crate) fn counts(&self, platform: PlatformIndex, now: Instant) -> Vec<WindowCount> {
        let mut out: Vec<WindowCount> = self
            .closed
            .iter()
            .filter(|(p, _, _)| *p == platform)
            .map(|(_, c, w)| self.count(c, w, false))
            .chain(
                self.current
                    .iter()
                    .filter(|((p, _), _)| *p == platform)
                    .map(|((_, c), w)| self.count(c, w, now < w.start + self.quota.window)),
            )
            .collect();
        out.sort_by(|a, b| {
            a.start_ms
                .cmp(&b.start_ms)
                .then(a.credential.cmp(&b.credential))
        });
        out
    }

    fn count(&self, credential: &str, w: &Window, open: bool) -> WindowCount {
        WindowCount {
            credential: credential.to_string(),
            start_ms: u64::try_from(w.start.saturating_duration_since(self.started).as_millis())
                .unwrap_or(u64::MAX),
            count: w.count,
            open,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_parses_requests_per_window() {
        let q: Quota = "150/30s".parse().unwrap_or(UNLIMITED);
        assert_eq!(q.requests, 150);
        assert_eq!(q.window, Duration::from_secs(30));
        assert_eq!(
            "100/1m".parse::<Quota>().map(|q| q.window),
            Ok(Duration::from_secs(60))
        );
        assert_eq!(
            "5/500ms".parse::<Quota>().map(|q| q.window),
            Ok(Duration::from_millis(500))
        );
        assert_eq!(
            "50/1s".parse::<Quota>().map(|q| q.to_string()),
            Ok("50/1s".to_string())
        );
        for bad in ["", "150", "0/1s", "x/1s", "1/0s", "1/3y", "1/25h", "-1/1s"] {
            assert!(bad.parse::<Quota>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_full_window_refuses_without_counting_and_a_new_one_opens_after_it() {
        let t0 = Instant::now();
        let mut w = Windows::new(
            Some(Quota {
                requests: 2,
                window: Duration::from_secs(10),
            }),
            t0,
        );
        let p = 0;
        assert!(matches!(w.admit(p, "full", t0), Admission::Admitted(s) if s.left == 1));
        let t1 = t0 + Duration::from_secs(4);
        assert!(matches!(w.admit(p, "full", t1), Admission::Admitted(s) if s.left == 0));
        let t2 = t0 + Duration::from_secs(9);
        match w.admit(p, "full", t2) {
            Admission::Limited(s) => assert_eq!(s.reset, Duration::from_secs(1)),
            other => panic!("expected a refusal, got {other:?}"),
        }
        // Another credential has its own window.
        assert!(matches!(w.admit(p, "readonly", t2), Admission::Admitted(_)));
        let t3 = t0 + Duration::from_secs(10);
        match w.admit(p, "full", t3) {
            Admission::Admitted(s) => {
                assert_eq!(s.left, 1);
                assert_eq!(s.reset, Duration::from_secs(10));
            }
            other => panic!("expected a new window, got {other:?}"),
        }
        let counts = w.counts(p, t3);
        let full: Vec<(u32, bool)> = counts
            .iter()
            .filter(|c| c.credential == "full")
            .map(|c| (c.count, c.open))
            .collect();
        assert_eq!(full, vec![(2, false), (1, true)]);
        // The open window is reported closed once its time is up, before
        // any request replaces it.
        let later = w.counts(p, t3 + Duration::from_secs(10));
        assert!(later.iter().all(|c| !c.open), "{later:?}");
    }
}
