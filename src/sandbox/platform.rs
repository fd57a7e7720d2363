//! What the sandbox knows of a platform it stands in for, without knowing
//! any one of them: the [`SandboxPlatform`] trait each platform file
//! implements (its base path, credentials, error shape, quota headers and
//! store), the [`Platform`] handle by which the gate and the counters name a
//! platform, the [`Store`] trait of its records, and the words a platform
//! speaks with the gate ([`Access`], [`Credential`], [`Refusal`],
//! [`Answer`]). The registry, one line per platform, is in `mod.rs`.

use std::any::Any;
use std::fmt;
use std::time::Duration;

use axum::http::HeaderMap;
use serde_json::Value;

use super::config::SandboxConfig;
use super::quota::QuotaState;

/// What a request needs of its credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// A lookup (READ scope).
    Read,
    /// A create (WRITE scope).
    Write,
}

/// A credential the platform knows, and what it may do.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Credential {
    /// Names its quota window in stats ("full", "readonly", …).
    pub label: &'static str,
    /// Whether it may look records up.
    pub read: bool,
    /// Whether it may create records.
    pub write: bool,
}

impl Credential {
    /// Whether it may make a request that needs `access`.
    pub(crate) fn allows(&self, access: Access) -> bool {
        match access {
            Access::Read => self.read,
            Access::Write => self.write,
        }
    }
}

/// A refusal before the platform's handler runs: status, a bitbybit-style
/// code (platforms whose error shape has none ignore it), a sentence.
#[derive(Debug, Clone)]
pub(crate) struct Refusal {
    /// HTTP status.
    pub status: u16,
    /// Machine-readable code (`RATE_LIMIT_EXCEEDED`).
    pub code: &'static str,
    /// The sentence a person reads.
    pub message: String,
}

impl Refusal {
    /// A refusal with `status`, `code` and `message`.
    pub(crate) fn new(status: u16, code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            code,
            message: message.into(),
        }
    }
}

/// A platform handler's answer: a status and a JSON body.
#[derive(Debug)]
pub(crate) struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
}

impl Answer {
    /// An answer with `status` and a JSON body.
    pub(crate) fn new(status: u16, body: Value) -> Answer {
        Answer { status, body }
    }
}

/// Response headers a platform adds: `(lower-case name, value)`.
pub(crate) type Headers = Vec<(&'static str, String)>;

/// A duration in milliseconds, as quota headers write it.
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A duration in whole seconds, rounded up: a client that waits this long
/// is past the reset.
pub(crate) fn whole_secs(d: Duration) -> u64 {
    millis(d).div_ceil(1000)
}

/// A platform's records, kept under the sandbox's one lock. The gate hands
/// a handler its own store by type; the counts and views are what `stats`
/// and `/_sandbox/*` show.
pub(crate) trait Store: Any + Send + fmt::Debug {
    /// Customers stored.
    fn customer_count(&self) -> usize;

    /// Orders stored (0 where the platform takes none).
    fn order_count(&self) -> usize {
        0
    }

    /// Every customer in the platform's answer shape plus `_request`.
    fn customers(&self) -> Vec<Value>;

    /// Every order in the platform's answer shape plus `_request`.
    fn orders(&self) -> Vec<Value> {
        Vec::new()
    }
}

/// One platform the sandbox stands in for: what the gate asks of it around
/// its handlers. Its routes and name are its registry entry (`mod.rs`).
pub(crate) trait SandboxPlatform: Send + Sync {
    /// The path a client's base URL ends with (`/api/v1`).
    fn base_path(&self) -> &'static str;

    /// Whether `path` lies under this platform, so that a 404 or 405 there
    /// is answered in its shape: its base path and below, by default.
    fn owns_path(&self, path: &str) -> bool {
        let base = self.base_path();
        path.strip_prefix(base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }

    /// The credential a request carries, or why it is refused (401, or 404
    /// for a `store` the path names that does not exist). `store` is the
    /// store or account the path names (BigCommerce's store hash), if any.
    fn authenticate(&self, headers: &HeaderMap, store: Option<&str>)
    -> Result<Credential, Refusal>;

    /// A refusal's body, in the platform's own error shape.
    fn error_body(&self, refusal: &Refusal) -> Value;

    /// The quota headers of an answer (`limited`: a 429 of the quota).
    fn quota_headers(&self, state: &QuotaState, limited: bool) -> Headers;

    /// Whether more requests in flight than `max_concurrency` are refused
    /// with 429 (BigCommerce: about 10 per store, FACTS.md).
    fn limits_concurrency(&self) -> bool {
        false
    }

    /// An empty store for a sandbox started with `config`.
    fn new_store(&self, config: &SandboxConfig) -> Box<dyn Store>;
}

/// A platform as the running sandbox names it: its place in the registry
/// (which indexes its store, counters and quota windows), its name and
/// what it does. Two handles are equal when they name the same place.
#[derive(Clone, Copy)]
pub(crate) struct Platform {
    index: usize,
    name: &'static str,
    spec: &'static dyn SandboxPlatform,
}

impl Platform {
    /// The handle of the registry's `index`-th platform.
    pub(crate) fn new(
        index: usize,
        name: &'static str,
        spec: &'static dyn SandboxPlatform,
    ) -> Self {
        Platform { index, name, spec }
    }

    /// Its place in the registry.
    pub(crate) fn index(self) -> usize {
        self.index
    }

    /// Its name in stats, `base_url` and `/_sandbox/customers?platform=`.
    pub(crate) fn name(self) -> &'static str {
        self.name
    }

    /// What it does.
    pub(crate) fn spec(self) -> &'static dyn SandboxPlatform {
        self.spec
    }

    /// A refusal as an answer in its error shape.
    pub(crate) fn refusal(self, r: &Refusal) -> Answer {
        Answer::new(r.status, self.spec.error_body(r))
    }
}

impl PartialEq for Platform {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index
    }
}

impl Eq for Platform {}

impl fmt::Debug for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}
