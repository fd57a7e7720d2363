//! The sandbox's shared state: one mutex over every platform's store, the
//! counters, the quota windows, the fault dice and the id generator, plus
//! the settings fixed at start; and [`Stats`], what it reports. It knows
//! platforms only as the registry's [`Platform`] handles and their
//! [`Store`]s.
//!
//! A std `Mutex` (not tokio's): every critical section is short and never
//! held across an `.await`, and a poisoned lock is taken over rather than
//! propagated (the data stays consistent: each section completes its writes
//! or panics before any).

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;
use tokio::time::Instant;

use super::config::SandboxConfig;
use super::faults::{Dice, FaultSpec};
use super::platform::{Platform, Store};
use super::quota::{Quota, WindowCount, Windows};

/// Settings fixed when the sandbox starts.
#[derive(Debug)]
pub(crate) struct Settings {
    pub quota: Option<Quota>,
    pub latency: Duration,
    pub slow_delay: Duration,
    pub max_concurrency: Option<usize>,
}

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub settings: Settings,
    /// The platforms served, in registry order.
    platforms: Vec<Platform>,
    inner: Mutex<Inner>,
    /// Turns true when the sandbox stops: slow answers stop waiting.
    pub shutdown: watch::Receiver<bool>,
    /// Requests in flight per platform (for `max_concurrency`).
    in_flight: Vec<AtomicUsize>,
    /// Seconds added to the time records are stored at (see
    /// [`Shared::now`]).
    clock_offset: AtomicI64,
}

/// The mutable part, behind one lock.
#[derive(Debug)]
pub(crate) struct Inner {
    /// Each platform's records, by its place in the registry.
    stores: Vec<Box<dyn Store>>,
    /// Each platform's counters, by its place in the registry.
    counters: Vec<Counters>,
    pub windows: Windows,
    pub dice: Dice,
    pub ids: Ids,
}

/// Request counters of one platform.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub requests: u64,
    pub by_status: BTreeMap<String, u64>,
    pub duplicates_refused: u64,
    pub faults: BTreeMap<String, u64>,
}

impl Counters {
    /// Counts a fault of `kind` that took effect.
    pub(crate) fn count_fault(&mut self, kind: &str) {
        *self.faults.entry(kind.to_string()).or_insert(0) += 1;
    }
}

/// What one platform's handler holds while the lock is held: its own store
/// (by type), its counters, and the dice and ids all platforms share.
#[derive(Debug)]
pub(crate) struct Locked<'a, S> {
    pub store: &'a mut S,
    pub counters: &'a mut Counters,
    pub dice: &'a mut Dice,
    pub ids: &'a mut Ids,
}

impl Inner {
    /// Changes the counters of `platform` (a handle from another sandbox's
    /// registry, which cannot happen, counts nothing).
    pub(crate) fn count(&mut self, platform: Platform, change: impl FnOnce(&mut Counters)) {
        if let Some(c) = self.counters.get_mut(platform.index()) {
            change(c);
        }
    }

    /// `platform`'s part of the state, its store as an `S`; `None` when its
    /// store is not an `S` (a handler wired to another platform's routes).
    pub(crate) fn locked<S: Store>(&mut self, platform: Platform) -> Option<Locked<'_, S>> {
        let i = platform.index();
        let store: &mut dyn Any = self.stores.get_mut(i)?.as_mut();
        Some(Locked {
            store: store.downcast_mut::<S>()?,
            counters: self.counters.get_mut(i)?,
            dice: &mut self.dice,
            ids: &mut self.ids,
        })
    }
}

impl Shared {
    /// The state for `config`, serving `platforms` (whose `index` is their
    /// place in that list); `shutdown` turns true on stop.
    pub(crate) fn new(
        config: &SandboxConfig,
        platforms: Vec<Platform>,
        shutdown: watch::Receiver<bool>,
    ) -> Shared {
        let now = Instant::now();
        let n = platforms.len();
        Shared {
            settings: Settings {
                quota: config.quota,
                latency: config.latency,
                slow_delay: config.slow_delay,
                max_concurrency: config.max_concurrency,
            },
            inner: Mutex::new(Inner {
                stores: platforms
                    .iter()
                    .map(|p| p.spec().new_store(config))
                    .collect(),
                counters: (0..n).map(|_| Counters::default()).collect(),
                windows: Windows::new(config.quota, now),
                dice: Dice::new(config.faults.clone(), config.seed),
                ids: Ids::new(config.seed),
            }),
            platforms,
            shutdown,
            in_flight: (0..n).map(|_| AtomicUsize::new(0)).collect(),
            clock_offset: AtomicI64::new(0),
        }
    }

    /// The platforms served, in registry order.
    pub(crate) fn platforms(&self) -> &[Platform] {
        &self.platforms
    }

    /// A platform by name, case-insensitively.
    pub(crate) fn platform(&self, name: &str) -> Option<Platform> {
        let name = name.trim();
        self.platforms
            .iter()
            .copied()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// The lock over the mutable state; a poisoned lock is taken over.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The in-flight counter of `platform`, if it is one of ours.
    pub(crate) fn in_flight(&self, platform: Platform) -> Option<&AtomicUsize> {
        self.in_flight.get(platform.index())
    }

    /// A snapshot of the counters.
    pub(crate) fn stats(&self) -> Stats {
        let g = self.lock();
        let now = Instant::now();
        let platforms = self
            .platforms
            .iter()
            .zip(g.stores.iter().zip(&g.counters))
            .map(|(p, (store, c))| {
                let stats = PlatformStats {
                    customers: store.customer_count(),
                    orders: store.order_count(),
                    requests: c.requests,
                    by_status: c.by_status.clone(),
                    duplicates_refused: c.duplicates_refused,
                    faults: c.faults.clone(),
                    windows: g.windows.counts(p.index(), now),
                };
                (p.name().to_string(), stats)
            })
            .collect();
        Stats {
            quota: self.settings.quota.map(|q| q.to_string()),
            platforms,
        }
    }

    /// Every customer stored on `platform`, with `_request`.
    pub(crate) fn customers(&self, platform: Platform) -> Vec<Value> {
        self.lock()
            .stores
            .get(platform.index())
            .map(|s| s.customers())
            .unwrap_or_default()
    }

    /// Every order stored (on the platforms that take orders), with `_request`.
    pub(crate) fn orders(&self) -> Vec<Value> {
        self.lock().stores.iter().flat_map(|s| s.orders()).collect()
    }

    /// The time a record stored now is dated: the clock, moved by the
    /// offset a test set.
    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + chrono::Duration::seconds(self.clock_offset.load(Ordering::Relaxed))
    }

    /// Dates what is stored from now on `seconds` away from the clock.
    pub(crate) fn set_clock_offset(&self, seconds: i64) {
        self.clock_offset.store(seconds, Ordering::Relaxed);
    }

    /// Replaces the fault spec.
    pub(crate) fn set_faults(&self, faults: FaultSpec) {
        self.lock().dice.set_spec(faults);
    }
}

/// Ids for Salesive (ObjectId-like) and bitbybit (UUID-like), from a seeded RNG
/// kept apart from the fault dice so that ids never shift the fault sequence.
#[derive(Debug)]
pub(crate) struct Ids {
    rng: StdRng,
    /// ObjectId's 5 "process" bytes, fixed per sandbox.
    process: [u8; 5],
    counter: u32,
}

impl Ids {
    fn new(seed: u64) -> Ids {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x05ee_d1d5_0000_0001);
        let process: [u8; 5] = rng.random();
        let counter = rng.random::<u32>() & 0x00ff_ffff;
        Ids {
            rng,
            process,
            counter,
        }
    }

    /// A 24-hex ObjectId: 4 bytes of seconds, 5 process bytes, 3 counter bytes.
    pub(crate) fn object_id(&mut self, unix_secs: i64) -> String {
        self.counter = (self.counter + 1) & 0x00ff_ffff;
        let secs = u32::try_from(unix_secs.max(0)).unwrap_or(u32::MAX);
        let mut s = format!("{secs:08x}");
        for b in self.process {
            s.push_str(&format!("{b:02x}"));
        }
        s.push_str(&format!("{:06x}", self.counter));
        s
    }

    /// A random UUID (version 4 layout), lower-case.
    pub(crate) fn uuid(&mut self) -> String {
        let mut b: [u8; 16] = self.rng.random();
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }
}

/// What the sandbox has seen and holds, per platform (serialisable): the
/// JSON of `/_sandbox/stats` is `{"quota": …, "<platform>": {…}, …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// The configured quota (`"150/30s"`), if any.
    pub quota: Option<String>,
    /// Each platform's counts, by its name ("bigcommerce", …).
    #[serde(flatten)]
    pub platforms: BTreeMap<String, PlatformStats>,
}

impl Stats {
    /// The counts of `platform` by name (case-insensitively).
    pub fn platform(&self, platform: &str) -> Option<&PlatformStats> {
        let name = platform.trim();
        self.platforms
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

/// One platform's counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlatformStats {
    /// Customers stored.
    pub customers: usize,
    /// Orders stored (on a platform that takes orders: bitbybit).
    pub orders: usize,
    /// Requests seen on the platform's paths.
    pub requests: u64,
    /// Answers by status code ("200", "422", …), plus "reset" and "lost" for
    /// requests whose connection was dropped without an answer.
    pub by_status: BTreeMap<String, u64>,
    /// Records refused because their email was taken (in the store or the batch).
    pub duplicates_refused: u64,
    /// Faults that took effect, by kind ("500", "reset", "lost", "slow", "partial", …).
    pub faults: BTreeMap<String, u64>,
    /// Requests counted in each quota window, oldest first.
    pub windows: Vec<WindowCount>,
}
