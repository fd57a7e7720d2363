//! The sandbox's shared state: one mutex over the three platforms' records,
//! the counters, the quota windows, the fault dice and the id generator,
//! plus the settings fixed at start; and [`Stats`], what it reports.
//!
//! A std `Mutex` (not tokio's): every critical section is short and never
//! held across an `.await`, and a poisoned lock is taken over rather than
//! propagated (the data stays consistent: each section completes its writes
//! or panics before any).

use std::collections::BTreeMap;
use std::sync::atomic::AtomicUsize;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;
use tokio::time::Instant;

use super::catalog::{Variant, default_catalog};
use super::faults::{Dice, FaultSpec};
use super::quota::{Quota, Windows};
use super::{SandboxConfig, bigcommerce, bitbybit, salesive};

/// One of the three platforms the sandbox stands in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Platform {
    BigCommerce,
    Salesive,
    Bitbybit,
}

impl Platform {
    /// All three, in a fixed order.
    pub(crate) const ALL: [Platform; 3] = [
        Platform::BigCommerce,
        Platform::Salesive,
        Platform::Bitbybit,
    ];

    /// The name used in stats and on the command line.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Platform::BigCommerce => "bigcommerce",
            Platform::Salesive => "salesive",
            Platform::Bitbybit => "bitbybit",
        }
    }

    /// A platform by name, case-insensitively.
    pub(crate) fn parse(name: &str) -> Option<Platform> {
        Platform::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The path a client's base URL ends with.
    pub(crate) fn base_path(self) -> &'static str {
        match self {
            Platform::BigCommerce => "/stores/sandbox/v3",
            Platform::Salesive => "/api/v1",
            Platform::Bitbybit => "/customer/api/open/v1",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Settings fixed when the sandbox starts.
#[derive(Debug)]
pub(crate) struct Settings {
    pub quota: Option<Quota>,
    pub latency: Duration,
    pub slow_delay: Duration,
    pub max_concurrency: Option<usize>,
    pub catalog: Vec<Variant>,
}

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub settings: Settings,
    inner: Mutex<Inner>,
    /// Turns true when the sandbox stops: slow answers stop waiting.
    pub shutdown: watch::Receiver<bool>,
    /// Requests in flight per platform (for `max_concurrency`).
    pub in_flight: [AtomicUsize; 3],
}

/// The mutable part, behind one lock.
#[derive(Debug)]
pub(crate) struct Inner {
    pub bigcommerce: bigcommerce::Store,
    pub salesive: salesive::Store,
    pub bitbybit: bitbybit::Store,
    pub counters: [Counters; 3],
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

impl Inner {
    /// The counters of `platform`.
    pub(crate) fn counters(&mut self, platform: Platform) -> &mut Counters {
        &mut self.counters[platform.index()]
    }

    /// Counts a fault that took effect on `platform`.
    pub(crate) fn count_fault(&mut self, platform: Platform, kind: &str) {
        *self
            .counters(platform)
            .faults
            .entry(kind.to_string())
            .or_insert(0) += 1;
    }
}

impl Shared {
    /// The state for `config`; `shutdown` turns true on stop.
    pub(crate) fn new(config: &SandboxConfig, shutdown: watch::Receiver<bool>) -> Shared {
        let now = Instant::now();
        Shared {
            settings: Settings {
                quota: config.quota,
                latency: config.latency,
                slow_delay: config.slow_delay,
                max_concurrency: config.max_concurrency,
                catalog: config.catalog.clone().unwrap_or_else(default_catalog),
            },
            inner: Mutex::new(Inner {
                bigcommerce: bigcommerce::Store::default(),
                salesive: salesive::Store::default(),
                bitbybit: bitbybit::Store::default(),
                counters: Default::default(),
                windows: Windows::new(config.quota, now),
                dice: Dice::new(config.faults.clone(), config.seed),
                ids: Ids::new(config.seed),
            }),
            shutdown,
            in_flight: Default::default(),
        }
    }

    /// The lock over the mutable state; a poisoned lock is taken over.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The in-flight counter of `platform`.
    pub(crate) fn in_flight(&self, platform: Platform) -> &AtomicUsize {
        &self.in_flight[platform.index()]
    }

    /// A snapshot of the counters.
    pub(crate) fn stats(&self) -> Stats {
        let g = self.lock();
        let one = |p: Platform| {
            let c = &g.counters[p.index()];
            let (customers, orders) = match p {
                Platform::BigCommerce => (g.bigcommerce.len(), 0),
                Platform::Salesive => (g.salesive.len(), 0),
                Platform::Bitbybit => (g.bitbybit.customer_count(), g.bitbybit.order_count()),
            };
            PlatformStats {
                customers,
                orders,
                requests: c.requests,
                by_status: c.by_status.clone(),
                duplicates_refused: c.duplicates_refused,
                faults: c.faults.clone(),
                windows: g.windows.counts(p),
            }
        };
        Stats {
            quota: self.settings.quota.map(|q| q.to_string()),
            bigcommerce: one(Platform::BigCommerce),
            salesive: one(Platform::Salesive),
            bitbybit: one(Platform::Bitbybit),
        }
    }

    /// Every customer stored on `platform`, with `_request`.
    pub(crate) fn customers(&self, platform: Platform) -> Vec<Value> {
        let g = self.lock();
        match platform {
            Platform::BigCommerce => g.bigcommerce.inspect(),
            Platform::Salesive => g.salesive.inspect(),
            Platform::Bitbybit => g.bitbybit.inspect_customers(),
        }
    }

    /// Every bitbybit order, with `_request`.
    pub(crate) fn orders(&self) -> Vec<Value> {
        self.lock().bitbybit.inspect_orders()
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

/// What the sandbox has seen and holds, per platform (serialisable).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// The configured quota (`"150/30s"`), if any.
    pub quota: Option<String>,
    /// BigCommerce's counts.
    pub bigcommerce: PlatformStats,
    /// Salesive's counts.
    pub salesive: PlatformStats,
    /// bitbybit's counts.
    pub bitbybit: PlatformStats,
}

impl Stats {
    /// The counts of `platform` by name.
    pub fn platform(&self, platform: &str) -> Option<&PlatformStats> {
        match Platform::parse(platform)? {
            Platform::BigCommerce => Some(&self.bigcommerce),
            Platform::Salesive => Some(&self.salesive),
            Platform::Bitbybit => Some(&self.bitbybit),
        }
    }
}

/// One platform's counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlatformStats {
    /// Customers stored.
    pub customers: usize,
    /// Orders stored (bitbybit only).
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

/// The requests one credential made in one quota window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowCount {
    /// Which credential ("full", "readonly", "noscope").
    pub credential: String,
    /// Window start, in ms since the sandbox started.
    pub start_ms: u64,
    /// Requests counted in it.
    pub count: u32,
}
