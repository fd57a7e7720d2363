//! The sandbox: a local stand-in for BigCommerce, Salesive and bitbybit that
//! enforces their contracts (specs/, FACTS.md, DECISIONS.md) so that users can
//! rehearse a migration and tests can prove exactly-once behaviour.
//!
//! This file owns the public API ([`start`], [`SandboxConfig`],
//! [`SandboxHandle`], the accepted credentials) and the router. Each concern
//! lives in its own file:
//! - `state`: the shared state (stores, counters, ids) and [`Stats`];
//! - `gate`: the path every platform request takes (auth, quota, scope,
//!   faults, body cap, latency) before and after its platform's handler;
//! - `quota`: [`Quota`] and the fixed windows per platform and credential;
//! - `faults`: [`FaultSpec`] and the seeded dice;
//! - `conn`: the listener whose connections a fault can drop mid-request;
//! - `check`: JSON field checks the three platforms' rules are built from;
//! - `bigcommerce`, `salesive`, `bitbybit`: each platform's routes, rules,
//!   error shapes and records;
//! - `catalog`: the product variants bitbybit orders refer to;
//! - `inspect`: `/_sandbox/*`, what the sandbox holds.
//!
//! # Choices the specs leave open
//! - Order of checks on a platform request: credential (401, BigCommerce 404
//!   for an unknown store hash) → quota (429) → scope (403) → fault → body
//!   cap (413) → the platform's own rules → store.
//! - Quota: a request counts once its credential is known and the quota
//!   admits it, whatever its answer (validation errors, 403 and injected
//!   faults included). 401/404 and the quota's own 429s never count, so a
//!   429 cannot extend a window. Windows are fixed and start at the first
//!   counted request after the previous window ended.
//! - Faults are drawn once per request that got past the credential, quota
//!   and scope checks, in arrival order, from an RNG seeded by `seed`.
//!   `slow` handles the request normally (it stores) and holds the answer
//!   back by `slow_delay`; `partial` only affects a BigCommerce batch that
//!   holds a taken email (the batch's other customers are stored, then the
//!   422 names the taken email); elsewhere a drawn `partial` does nothing.
//! - bitbybit: an unknown `customerId` or `productVariantId` is a 400
//!   `VALIDATION_ERROR` naming the field (a 404 would read as "wrong
//!   endpoint", a whole-run stop in DECISIONS.md).
//! - Every platform refuses fields its document does not list (400/422
//!   naming the field): a typo in a client's field name must not pass
//!   silently.

mod bigcommerce;
mod bitbybit;
mod catalog;
mod check;
mod conn;
mod faults;
mod gate;
mod inspect;
mod quota;
mod salesive;
mod state;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use catalog::{CatalogError, Variant, default_catalog, load_catalog, parse_catalog};
pub use faults::{Fault, FaultSpec, FaultSpecError};
pub use quota::{Quota, QuotaError};
pub use state::{PlatformStats, Stats, WindowCount};

use conn::{Conn, SandboxListener};
use state::{Platform, Shared};

/// The store hash the sandbox's BigCommerce answers to.
pub const BIGCOMMERCE_STORE_HASH: &str = "sandbox";
/// A BigCommerce access token with the Customers "modify" scope.
pub const BIGCOMMERCE_ACCESS_TOKEN: &str = "sandbox-bc-token";
/// A BigCommerce access token with the Customers "read-only" scope (403 on writes).
pub const BIGCOMMERCE_READONLY_TOKEN: &str = "sandbox-bc-readonly";
/// A Salesive app token with READ_CUSTOMERS and WRITE_CUSTOMERS.
pub const SALESIVE_APP_TOKEN: &str = "app_sandbox_full";
/// A Salesive app token with READ_CUSTOMERS only (403 "Insufficient scope" on writes).
pub const SALESIVE_READONLY_TOKEN: &str = "app_sandbox_readonly";
/// The shop id the Salesive app tokens are bound to (the `shop` of every customer).
pub const SALESIVE_SHOP_ID: &str = "664f0e2a1c2b3d4e5f6a7b8c";
/// A bitbybit API key with every scope.
pub const BITBYBIT_API_KEY: &str = "bbb_test_sandbox";
/// A bitbybit API key refused on every endpoint with 403 `INSUFFICIENT_SCOPE`.
pub const BITBYBIT_NOSCOPE_KEY: &str = "bbb_test_noscope";
/// A bitbybit API key not tied to a company: 400 `MISSING_COMPANY_ID`.
pub const BITBYBIT_NOCOMPANY_KEY: &str = "bbb_test_nocompany";
/// A bitbybit API key restricted to other IPs: 403 `IP_NOT_ALLOWED`.
pub const BITBYBIT_IP_BLOCKED_KEY: &str = "bbb_test_ipblocked";

/// The platform names the sandbox serves, as `base_url` and `customers` take them.
pub const PLATFORMS: [&str; 3] = ["bigcommerce", "salesive", "bitbybit"];

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
    /// bitbybit's product variants; `None` uses [`default_catalog`].
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

/// A running sandbox: its address, what it holds, and how to stop it.
/// Dropping the handle stops the sandbox too (without waiting for it).
#[derive(Debug)]
pub struct SandboxHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

/// Binds `config.listen` and serves the three platforms on the current tokio runtime.
pub async fn start(config: SandboxConfig) -> std::io::Result<SandboxHandle> {
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let (shutdown, shutdown_rx) = watch::channel(false);
    let shared = Arc::new(Shared::new(&config, shutdown_rx.clone()));
    let app = router(shared.clone());
    let mut stop_rx = shutdown_rx;
    let serve = axum::serve(
        SandboxListener::new(listener),
        app.into_make_service_with_connect_info::<Conn>(),
    )
    .with_graceful_shutdown(async move {
        // A dropped sender (handle dropped) is a stop too.
        let _ = stop_rx.wait_for(|stop| *stop).await;
    });
    let task = tokio::spawn(async move {
        if let Err(e) = serve.await {
            tracing::warn!(message = "sandbox server ended", error = %e);
        }
    });
    Ok(SandboxHandle {
        addr,
        shared,
        shutdown,
        task: Some(task),
    })
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .merge(bigcommerce::routes())
        .merge(salesive::routes())
        .merge(bitbybit::routes())
        .merge(inspect::routes())
        .fallback(gate::not_found)
        .with_state(shared)
}

impl SandboxHandle {
    /// The address the sandbox listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL a client uses for `platform` ("bigcommerce", "salesive",
    /// "bitbybit"); an unknown name gets the bare `http://ADDR`.
    pub fn base_url(&self, platform: &str) -> String {
        match Platform::parse(platform) {
            Some(p) => format!("http://{}{}", self.addr, p.base_path()),
            None => format!("http://{}", self.addr),
        }
    }

    /// Counts per platform: records, requests by status, duplicates, faults, windows.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Every customer stored on `platform`, in the platform's own shape plus
    /// `_request`, the JSON the client sent for it; empty for an unknown name.
    pub fn customers(&self, platform: &str) -> Vec<Value> {
        match Platform::parse(platform) {
            Some(p) => self.shared.customers(p),
            None => Vec::new(),
        }
    }

    /// Every bitbybit order stored, in the Order shape plus `_request`.
    pub fn orders(&self) -> Vec<Value> {
        self.shared.orders()
    }

    /// Replaces the fault spec from the next request on (the dice keep rolling).
    pub fn set_faults(&self, faults: FaultSpec) {
        self.shared.set_faults(faults);
    }

    /// Stops accepting, cuts short slow answers and waits (at most 5 s) for
    /// the server to end.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        // Without `stop`, the server still winds down with its runtime.
        let _ = self.shutdown.send(true);
    }
}
