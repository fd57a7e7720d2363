//! How a sandbox runs ([`SandboxConfig`]: where it listens, its quota,
//! latency, faults, catalog) and the limits every platform path shares
//! ([`MAX_BODY_BYTES`]); read by the state, the gate and the platforms'
//! stores, so it stands below them all.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use super::catalog::Variant;
use super::faults::FaultSpec;
use super::quota::Quota;

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How the sandbox runs: where it listens, its quota, latency, faults and catalog.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Address to bind; `127.0.0.1:0` (a free loopback port) by default.
    pub listen: SocketAddr,
    /// Requests per fixed window, per platform and credential; `None` reports a
    /// generous quota (1,000,000 / 30 s) in the headers and never refuses.
    pub quota: Option<Quota>,
    /// Added to every answer on a platform path.
    pub latency: Duration,
    /// Faults injected into platform requests.
    pub faults: FaultSpec,
    /// Seed of the fault dice and of generated ids.
    pub seed: u64,
    /// bitbybit's product variants; `None` uses [`default_catalog`](super::default_catalog).
    pub catalog: Option<Vec<Variant>>,
    /// How long a `slow` fault holds its answer back (longer than a sane client timeout).
    pub slow_delay: Duration,
    /// BigCommerce: more requests in flight at once than this answer 429
    /// without quota headers (FACTS.md: about 10 per store); `None` = no limit.
    pub max_concurrency: Option<usize>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            quota: None,
            latency: Duration::ZERO,
            faults: FaultSpec::default(),
            seed: 0,
            catalog: None,
            slow_delay: Duration::from_secs(30),
            max_concurrency: None,
        }
    }
}
