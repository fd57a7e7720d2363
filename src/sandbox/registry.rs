//! The one list of the platforms the sandbox serves: [`REGISTRY`], a line
//! per platform, and what is derived from it ([`PLATFORMS`], the handles).
//! A fourth platform is its own file in `sandbox/` (implementing
//! [`SandboxPlatform`] and writing its routes) plus one line here; nothing
//! else in the sandbox names a platform.

use std::sync::Arc;

use axum::Router;

use super::platform::{Platform, SandboxPlatform};
use super::state::Shared;
use super::{bigcommerce, bitbybit, salesive};

/// A platform the sandbox serves: its line in [`REGISTRY`].
#[derive(Clone, Copy)]
pub(crate) struct Entry {
    /// Its name in stats, `SandboxHandle::base_url` and
    /// `/_sandbox/customers?platform=`.
    pub name: &'static str,
    /// What the gate asks of it.
    pub platform: &'static dyn SandboxPlatform,
    /// Its routes, whose requests go through the gate as the given handle.
    pub routes: fn(Platform) -> Router<Arc<Shared>>,
}

impl Entry {
    /// The entry of the platform `name`.
    pub(crate) const fn new(
        name: &'static str,
        platform: &'static dyn SandboxPlatform,
        routes: fn(Platform) -> Router<Arc<Shared>>,
    ) -> Entry {
        Entry {
            name,
            platform,
            routes,
        }
    }
}

/// Every platform the sandbox serves, in the order stats and messages list
/// them.
pub(crate) const REGISTRY: &[Entry] = &[
    Entry::new(
        "bigcommerce",
        &bigcommerce::BigCommerce,
        bigcommerce::routes,
    ),
    Entry::new("salesive", &salesive::Salesive, salesive::routes),
    Entry::new("bitbybit", &bitbybit::Bitbybit, bitbybit::routes),
];

/// The platform names the sandbox serves, as `base_url` and `customers` take them.
pub const PLATFORMS: [&str; REGISTRY.len()] = names();

/// The names of [`REGISTRY`], in its order.
const fn names() -> [&'static str; REGISTRY.len()] {
    let mut out = [""; REGISTRY.len()];
    let mut i = 0;
    while i < REGISTRY.len() {
        out[i] = REGISTRY[i].name;
        i += 1;
    }
    out
}

/// A registry's platforms as handles, each knowing its place in it.
pub(crate) fn platforms(registry: &'static [Entry]) -> Vec<Platform> {
    registry
        .iter()
        .enumerate()
        .map(|(i, e)| Platform::new(i, e.name, e.platform))
        .collect()
}

/// The routes of every platform of `registry`; `platforms` are its handles.
pub(crate) fn routes(platforms: &[Platform], registry: &[Entry]) -> Router<Arc<Shared>> {
    platforms
        .iter()
        .zip(registry)
        .fold(Router::new(), |router, (p, entry)| {
            router.merge((entry.routes)(*p))
        })
}
