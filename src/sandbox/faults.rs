//! Injected faults: [`FaultSpec`] (`--faults 500=0.05,reset=0.01,…`) and the
//! seeded dice that pick, for each platform request in arrival order, which
//! fault (if any) it meets. One draw per request whatever the spec, so the
//! sequence for a seed does not depend on which faults are enabled, and the
//! kinds are tried in a fixed order, so the spec's spelling order does not
//! matter either.
//!
//! One fault is not drawn: `search_lag=SECS` makes every bitbybit customer
//! appear in the lookup (`GET …/customers?search=`) only that many seconds
//! after it was stored, as an eventually consistent search index does.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One kind of injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// 500 in the platform's error shape, nothing stored.
    InternalError,
    /// 502 in the platform's error shape, nothing stored.
    BadGateway,
    /// 503 in the platform's error shape, nothing stored.
    Unavailable,
    /// 504 in the platform's error shape, nothing stored.
    GatewayTimeout,
    /// 429 without quota headers (platform load), nothing stored.
    TooManyRequests,
    /// The connection is dropped before anything is stored; no answer.
    Reset,
    /// The record(s) are stored, then the connection is dropped; no answer.
    Lost,
    /// Handled normally (stored), answered only after the slow delay.
    Slow,
    /// BigCommerce: a batch with a taken email stores its other customers, then 422.
    Partial,
}

impl Fault {
    /// Every kind, in the order the dice try them.
    pub const ALL: [Fault; 9] = [
        Fault::InternalError,
        Fault::BadGateway,
        Fault::Unavailable,
        Fault::GatewayTimeout,
        Fault::TooManyRequests,
        Fault::Reset,
        Fault::Lost,
        Fault::Slow,
        Fault::Partial,
    ];

    /// The name used in a spec and in stats ("500", "reset", …).
    pub fn name(self) -> &'static str {
        match self {
            Fault::InternalError => "500",
            Fault::BadGateway => "502",
            Fault::Unavailable => "503",
            Fault::GatewayTimeout => "504",
            Fault::TooManyRequests => "429",
            Fault::Reset => "reset",
            Fault::Lost => "lost",
            Fault::Slow => "slow",
            Fault::Partial => "partial",
        }
    }

    /// The HTTP status an error fault answers with.
    pub fn status(self) -> Option<u16> {
        match self {
            Fault::InternalError => Some(500),
            Fault::BadGateway => Some(502),
            Fault::Unavailable => Some(503),
            Fault::GatewayTimeout => Some(504),
            Fault::TooManyRequests => Some(429),
            _ => None,
        }
    }
}

/// Which faults to inject and how often: a probability per kind (sum ≤ 1).
/// The default injects nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultSpec {
    /// (kind, probability), in [`Fault::ALL`] order, no zero probabilities.
    entries: Vec<(Fault, f64)>,
    /// bitbybit: how long after it was stored a customer shows in search.
    search_lag: Duration,
}

/// Why a fault spec did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "fault spec '{input}': {reason} (expected e.g. 500=0.05,503=0.02,429=0.02,reset=0.01,lost=0.01,slow=0.01,partial=0.1,search_lag=12)"
)]
pub struct FaultSpecError {
    input: String,
    reason: String,
}

impl FaultSpec {
    /// A spec injecting nothing.
    pub fn none() -> FaultSpec {
        FaultSpec::default()
    }

    /// True when nothing is injected.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.search_lag.is_zero()
    }

    /// How long after it was stored a bitbybit customer shows in search.
    pub fn search_lag(&self) -> Duration {
        self.search_lag
    }

    /// This spec with bitbybit's search lagging `lag` behind its store.
    pub fn with_search_lag(mut self, lag: Duration) -> FaultSpec {
        self.search_lag = lag;
        self
    }

    /// The probability of `fault` (0 when absent).
    pub fn probability(&self, fault: Fault) -> f64 {
        self.entries
            .iter()
            .find(|(f, _)| *f == fault)
            .map_or(0.0, |(_, p)| *p)
    }

    /// This spec with `fault` at probability `p`; refused when `p` is not in
    /// [0, 1] or the total would pass 1.
    pub fn with(mut self, fault: Fault, p: f64) -> Result<FaultSpec, FaultSpecError> {
        let err = |reason: String| FaultSpecError {
            input: format!("{}={p}", fault.name()),
            reason,
        };
        if !(0.0..=1.0).contains(&p) {
            return Err(err("a probability must be between 0 and 1".into()));
        }
        self.entries.retain(|(f, _)| *f != fault);
        if p > 0.0 {
            self.entries.push((fault, p));
        }
        self.entries.sort_by_key(|(f, _)| *f);
        let total: f64 = self.entries.iter().map(|(_, p)| p).sum();
        if total > 1.0 + 1e-9 {
            return Err(err(format!(
                "the probabilities add up to {total}, more than 1"
            )));
        }
        Ok(self)
    }

    /// The fault a roll `r` in [0, 1) lands on.
    fn pick(&self, r: f64) -> Option<Fault> {
        let mut edge = 0.0;
        for (fault, p) in &self.entries {
            edge += p;
            if r < edge {
                return Some(*fault);
            }
        }
        None
    }
}

impl FromStr for FaultSpec {
    type Err = FaultSpecError;

    fn from_str(s: &str) -> Result<FaultSpec, FaultSpecError> {
        let err = |reason: String| FaultSpecError {
            input: s.to_string(),
            reason,
        };
        let t = s.trim();
        if t.is_empty() || t.eq_ignore_ascii_case("none") {
            return Ok(FaultSpec::none());
        }
        let mut spec = FaultSpec::none();
        let mut seen = Vec::new();
        let mut lag_seen = false;
        for part in t.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, p) = part
                .split_once('=')
                .ok_or_else(|| err(format!("'{part}' has no '='")))?;
            let name = name.trim().to_ascii_lowercase();
            if name == SEARCH_LAG {
                if lag_seen {
                    return Err(err(format!("'{name}' is given twice")));
                }
                lag_seen = true;
                let secs = p
                    .trim()
                    .trim_end_matches('s')
                    .parse::<f64>()
                    .ok()
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .ok_or_else(|| {
                        err(format!(
                            "'{}' is not a number of seconds for {SEARCH_LAG}",
                            p.trim()
                        ))
                    })?;
                spec.search_lag = secs;
                continue;
            }
            let fault = Fault::ALL
                .into_iter()
                .find(|f| f.name() == name)
                .ok_or_else(|| {
                    err(format!(
                        "unknown fault '{name}' (known: 500, 502, 503, 504, 429, reset, lost, slow, partial, {SEARCH_LAG})"
                    ))
                })?;
            if seen.contains(&fault) {
                return Err(err(format!("'{name}' is given twice")));
            }
            seen.push(fault);
            let p: f64 = p
                .trim()
                .parse()
                .ok()
                .filter(|p: &f64| p.is_finite())
                .ok_or_else(|| err(format!("'{}' is not a probability", p.trim())))?;
            spec = spec.with(fault, p).map_err(|e| err(e.reason))?;
        }
        Ok(spec)
    }
}

/// The spec's name of the search lag.
const SEARCH_LAG: &str = "search_lag";

impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        let mut parts: Vec<String> = self
            .entries
            .iter()
            .map(|(k, p)| format!("{}={p}", k.name()))
            .collect();
        if !self.search_lag.is_zero() {
            parts.push(format!("{SEARCH_LAG}={}", self.search_lag.as_secs_f64()));
        }
        f.write_str(&parts.join(","))
    }
}

/// The seeded dice: one roll per platform request.
#[derive(Debug)]
pub(crate) struct Dice {
    spec: FaultSpec,
    rng: StdRng,
}

impl Dice {
    /// Dice for `spec`, seeded with `seed`.
    pub(crate) fn new(spec: FaultSpec, seed: u64) -> Dice {
        Dice {
            spec,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// Replaces the spec; the rolls go on from where they are.
    pub(crate) fn set_spec(&mut self, spec: FaultSpec) {
        self.spec = spec;
    }

    /// How long after it was stored a bitbybit customer shows in search.
    pub(crate) fn search_lag(&self) -> Duration {
        self.spec.search_lag
    }

    /// Rolls once and returns the fault the roll lands on, if any.
    pub(crate) fn roll(&mut self) -> Option<Fault> {
        let r: f64 = self.rng.random();
        self.spec.pick(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_spec_parses_every_kind_and_refuses_nonsense() {
        let spec: FaultSpec = "500=0.05,503=0.02,429=0.02,reset=0.01,lost=0.01,slow=0.01"
            .parse()
            .unwrap_or_default();
        assert_eq!(spec.probability(Fault::InternalError), 0.05);
        assert_eq!(spec.probability(Fault::Slow), 0.01);
        assert_eq!(spec.probability(Fault::Partial), 0.0);
        assert!("".parse::<FaultSpec>().is_ok_and(|s| s.is_empty()));
        for bad in [
            "500",
            "404=0.1",
            "500=2",
            "500=-0.1",
            "500=x",
            "500=0.6,503=0.6",
            "500=0.1,500=0.1",
            "500=NaN",
        ] {
            assert!(bad.parse::<FaultSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn search_lag_parses_in_seconds_prints_back_and_draws_nothing() {
        let spec: FaultSpec = "lost=1,search_lag=12".parse().unwrap();
        assert_eq!(spec.search_lag(), Duration::from_secs(12));
        assert_eq!(spec.probability(Fault::Lost), 1.0);
        assert_eq!(spec.to_string(), "lost=1,search_lag=12");
        assert_eq!(spec.to_string().parse::<FaultSpec>().unwrap(), spec);
        let half: FaultSpec = "search_lag=0.5s".parse().unwrap();
        assert_eq!(half.search_lag(), Duration::from_millis(500));
        assert!(!half.is_empty());
        let mut dice = Dice::new(half, 1);
        assert!(
            (0..100).all(|_| dice.roll().is_none()),
            "a lag is not drawn"
        );
        for bad in [
            "search_lag=x",
            "search_lag=-1",
            "search_lag=1,search_lag=2",
            "search_lag=inf",
        ] {
            assert!(bad.parse::<FaultSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_same_seed_rolls_the_same_faults_whatever_the_spec_order() {
        let a: FaultSpec = "500=0.3,reset=0.3".parse().unwrap_or_default();
        let b: FaultSpec = "reset=0.3,500=0.3".parse().unwrap_or_default();
        let mut da = Dice::new(a, 42);
        let mut db = Dice::new(b, 42);
        let ra: Vec<_> = (0..200).map(|_| da.roll()).collect();
        let rb: Vec<_> = (0..200).map(|_| db.roll()).collect();
        assert_eq!(ra, rb);
        assert!(ra.contains(&Some(Fault::Reset)) && ra.contains(&None));
    }
}
