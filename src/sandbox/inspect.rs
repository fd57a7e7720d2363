//! `/_sandbox/*`: what the sandbox holds and has seen, for tests and for a
//! person rehearsing a migration. No credential, no quota, no faults, no
//! latency; never under a platform's path.
//!
//! - `GET /_sandbox/stats` → [`Stats`](super::Stats) as JSON;
//! - `GET /_sandbox/customers?platform=P` → `{"platform","count","customers"}`;
//! - `GET /_sandbox/orders` → `{"count","orders"}` (every platform's that
//!   takes orders: bitbybit's).

use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::check::query_pairs;
use super::state::Shared;

/// The inspection routes.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sandbox/stats", get(stats))
        .route("/_sandbox/customers", get(customers))
        .route("/_sandbox/orders", get(orders))
}

async fn stats(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(shared.stats()).into_response()
}

async fn customers(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let pairs = query_pairs(query.as_deref().unwrap_or(""));
    let name = pairs
        .iter()
        .find(|(k, _)| k == "platform")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    match shared.platform(name) {
        Some(p) => {
            let list = shared.customers(p);
            axum::Json(json!({"platform": p.name(), "count": list.len(), "customers": list}))
                .into_response()
        }
        None => {
            let names: Vec<&str> = shared.platforms().iter().map(|p| p.name()).collect();
            (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({
                    "error": format!("platform must be one of {}, got '{name}'", names.join(", "))
                })),
            )
                .into_response()
        }
    }
}

async fn orders(State(shared): State<Arc<Shared>>) -> Response {
    let list = shared.orders();
    axum::Json(json!({"count": list.len(), "orders": list})).into_response()
}
