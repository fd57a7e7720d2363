//! The sandbox: a local stand-in for BigCommerce, Salesive and bitbybit that
//! enforces their contracts (specs/, FACTS.md, DECISIONS.md) so that users can
//! rehearse a migration and tests can prove exactly-once behaviour.
//!
//! This file owns the public API ([`start`], [`SandboxHandle`], and the
//! re-exported [`SandboxConfig`] and accepted credentials) and the router.
//! Each concern lives in its own file, from the top down:
//! - `registry`: the one list of the platforms served, a line each;
//! - `bigcommerce`, `salesive`, `bitbybit`: each platform's routes, rules,
//!   credentials, error shapes, quota headers and records; a fourth platform
//!   is one more such file and one line in `registry`;
//! - `gate`: the path every platform request takes (auth, quota, scope,
//!   faults, body cap, latency) before and after its platform's handler;
//! - `inspect`: `/_sandbox/*`, what the sandbox holds;
//! - `state`: the shared state (stores, counters, ids) and [`Stats`];
//! - `platform`: the `SandboxPlatform` trait each platform implements, the
//!   handle that names one, and the words a platform speaks with the gate;
//! - `config`: [`SandboxConfig`] and the body cap;
//! - `quota`: [`Quota`] and the fixed windows per platform and credential;
//! - `faults`: [`FaultSpec`] and the seeded dice;
//! - `conn`: the listener whose connections a fault can drop mid-request;
//! - `check`: JSON field checks the platforms' rules are built from;
//! - `catalog`: the product variants bitbybit orders refer to.
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
mod config;
mod conn;
mod faults;
mod gate;
mod inspect;
mod platform;
mod quota;
mod registry;
mod salesive;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use bigcommerce::{
    BIGCOMMERCE_ACCESS_TOKEN, BIGCOMMERCE_READONLY_TOKEN, BIGCOMMERCE_STORE_HASH,
};
pub use bitbybit::{
    BITBYBIT_API_KEY, BITBYBIT_IP_BLOCKED_KEY, BITBYBIT_NOCOMPANY_KEY, BITBYBIT_NOSCOPE_KEY,
};
pub use catalog::{CatalogError, Variant, default_catalog, load_catalog, parse_catalog};
pub use config::{MAX_BODY_BYTES, SandboxConfig};
pub use faults::{Fault, FaultSpec, FaultSpecError};
pub use quota::{Quota, QuotaError, WindowCount};
pub use registry::PLATFORMS;
pub use salesive::{SALESIVE_APP_TOKEN, SALESIVE_READONLY_TOKEN, SALESIVE_SHOP_ID};
pub use state::{PlatformStats, Stats};

use conn::{Conn, SandboxListener};
use registry::{Entry, REGISTRY};
use state::Shared;

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
    serve(config, REGISTRY).await
}

/// [`start`], serving the platforms of `registry`.
async fn serve(
    config: SandboxConfig,
    registry: &'static [Entry],
) -> std::io::Result<SandboxHandle> {
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let (shutdown, shutdown_rx) = watch::channel(false);
    let shared = Arc::new(Shared::new(
        &config,
        registry::platforms(registry),
        shutdown_rx.clone(),
    ));
    let app = router(shared.clone(), registry);
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

fn router(shared: Arc<Shared>, registry: &'static [Entry]) -> Router {
    registry::routes(shared.platforms(), registry)
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
        match self.shared.platform(platform) {
            Some(p) => format!("http://{}{}", self.addr, p.spec().base_path()),
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
        match self.shared.platform(platform) {
            Some(p) => self.shared.customers(p),
            None => Vec::new(),
        }
    }

    /// Every order stored (bitbybit's: the one platform that takes orders),
    /// in the platform's Order shape plus `_request`.
    pub fn orders(&self) -> Vec<Value> {
        self.shared.orders()
    }

    /// Dates the records stored from now on `seconds` away from the clock
    /// (negative: in the past): a test's stand-in for records a store held
    /// long before a run.
    pub fn set_clock_offset(&self, seconds: i64) {
        self.shared.set_clock_offset(seconds);
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

#[cfg(test)]
mod registry_tests {
    //! The registry is the one place that lists platforms: these tests check
    //! its lines agree with each other, and that a platform the rest of the
    //! sandbox has never heard of is served whole from its entry alone.

    use std::sync::Arc;

    use axum::Router;
    use axum::extract::{ConnectInfo, Request, State};
    use axum::http::HeaderMap;
    use axum::routing::post;
    use serde_json::{Value, json};

    use super::conn::Conn;
    use super::gate::{self, Input, Route};
    use super::platform::{
        self, Access, Answer, Credential, Headers, Platform, Refusal, SandboxPlatform,
    };
    use super::quota::QuotaState;
    use super::registry::{Entry, PLATFORMS, REGISTRY};
    use super::state::{Locked, Shared};
    use super::{SandboxConfig, serve};

    #[test]
    fn platform_names_are_the_registry_s_unique_and_lower_case() {
        let names: Vec<&str> = REGISTRY.iter().map(|e| e.name).collect();
        assert_eq!(PLATFORMS.to_vec(), names);
        for (i, n) in names.iter().enumerate() {
            assert_eq!(*n, n.to_lowercase());
            assert!(!names[..i].contains(n), "{n} twice");
        }
    }

    #[test]
    fn each_base_path_belongs_to_its_own_platform_alone() {
        for e in REGISTRY {
            let base = e.platform.base_path();
            let customers = format!("{base}/customers");
            for path in [base, customers.as_str()] {
                let owners: Vec<&str> = REGISTRY
                    .iter()
                    .filter(|o| o.platform.owns_path(path))
                    .map(|o| o.name)
                    .collect();
                assert_eq!(owners, vec![e.name], "{path}");
            }
        }
        assert!(
            REGISTRY
                .iter()
                .all(|e| !e.platform.owns_path("/_sandbox/stats"))
        );
    }

    /// A platform no other file of the sandbox names: one key, one route.
    struct Toy;

    /// What it keeps: how many things were posted.
    #[derive(Debug, Default)]
    struct Things(usize);

    impl platform::Store for Things {
        fn customer_count(&self) -> usize {
            self.0
        }

        fn customers(&self) -> Vec<Value> {
            (1..=self.0).map(|n| json!({ "thing": n })).collect()
        }
    }

    impl SandboxPlatform for Toy {
        fn base_path(&self) -> &'static str {
            "/toy/v1"
        }

        fn authenticate(
            &self,
            headers: &HeaderMap,
            _: Option<&str>,
        ) -> Result<Credential, Refusal> {
            match headers.get("x-toy-key").map(|v| v.as_bytes()) {
                Some(b"k") => Ok(Credential {
                    label: "full",
                    read: true,
                    write: true,
                }),
                _ => Err(Refusal::new(401, "NO_KEY", "no toy key")),
            }
        }

        fn error_body(&self, r: &Refusal) -> Value {
            json!({ "toy_error": r.message })
        }

        fn quota_headers(&self, state: &QuotaState, _: bool) -> Headers {
            vec![("x-toy-left", state.left.to_string())]
        }

        fn new_store(&self, _: &SandboxConfig) -> Box<dyn platform::Store> {
            Box::new(Things::default())
        }
    }

    fn post_thing(at: Locked<'_, Things>, _: &Input<'_>) -> Answer {
        at.store.0 += 1;
        Answer::new(201, json!({ "thing": at.store.0 }))
    }

    fn toy_routes(me: Platform) -> Router<Arc<Shared>> {
        Router::new().route(
            "/toy/v1/things",
            post(
                move |State(shared): State<Arc<Shared>>,
                      ConnectInfo(conn): ConnectInfo<Conn>,
                      req: Request| {
                    let route = Route {
                        platform: me,
                        access: Access::Write,
                        store: None,
                    };
                    gate::handle(shared, conn, route, req, post_thing)
                },
            )
            .fallback(gate::method_not_allowed),
        )
    }

    /// The toy's whole registry line.
    static TOY_REGISTRY: [Entry; 1] = [Entry::new("toy", &Toy, toy_routes)];

    #[tokio::test]
    async fn a_platform_is_served_whole_from_its_registry_line() {
        let h = serve(SandboxConfig::default(), &TOY_REGISTRY)
            .await
            .expect("sandbox starts on a free loopback port");
        let base = h.base_url("toy");
        assert_eq!(base, format!("http://{}/toy/v1", h.addr()));
        let c = reqwest::Client::new();
        let refused = c
            .post(format!("{base}/things"))
            .send()
            .await
            .expect("answer");
        assert_eq!(refused.status().as_u16(), 401);
        let body: Value = refused.json().await.expect("json");
        assert_eq!(body, json!({ "toy_error": "no toy key" }));
        let made = c
            .post(format!("{base}/things"))
            .header("x-toy-key", "k")
            .send()
            .await
            .expect("answer");
        assert_eq!(made.status().as_u16(), 201);
        assert!(made.headers().contains_key("x-toy-left"));
        let lost = c
            .get(format!("{base}/elsewhere"))
            .send()
            .await
            .expect("answer");
        assert_eq!(lost.status().as_u16(), 404);
        let body: Value = lost.json().await.expect("json");
        assert_eq!(body, json!({ "toy_error": "Not found: /toy/v1/elsewhere" }));
        let stats = h.stats();
        let toy = stats.platform("toy").expect("the toy's counts");
        assert_eq!(toy.customers, 1);
        assert_eq!(toy.requests, 3);
        assert_eq!(toy.by_status.get("201"), Some(&1));
        assert_eq!(toy.by_status.get("401"), Some(&1));
        assert_eq!(toy.by_status.get("404"), Some(&1));
        assert_eq!(h.customers("TOY"), vec![json!({ "thing": 1 })]);
        assert!(h.customers("bigcommerce").is_empty());
        h.stop().await;
    }
}
