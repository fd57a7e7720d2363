//! Salesive customers in the sandbox (specs/salesive-create-customer.openapi.md,
//! FACTS.md): `POST /api/v1/customers` (one customer; name and email
//! required; email unique in the store → 409 naming it; success → 201
//! envelope with the Customer), `GET /api/v1/customers?search=…` (the
//! lookup), the `Authorization: Bearer app_…` tokens and their scopes, the
//! `{status,success,message,data}` envelope, and the stored customers.
//!
//! As FACTS.md describes, scope is checked before validation: an empty `{}`
//! from the read-only token is 403, from the full token 400, and stores
//! nothing either way. A body without a JSON Content-Type is read as `{}`
//! (as an Express app does).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::routing::post;
use chrono::SecondsFormat;
use serde_json::{Map, Value, json};

use super::check::{Need, Problems, contains_ci, page_param, paginate, query_pairs};
use super::config::SandboxConfig;
use super::conn::Conn;
use super::gate::{self, Input, Route};
use super::platform::{
    self, Access, Answer, Credential, Headers, Platform, Refusal, SandboxPlatform, whole_secs,
};
use super::quota::QuotaState;
use super::state::{Locked, Shared};
use crate::values::email_problem;

/// A Salesive app token with READ_CUSTOMERS and WRITE_CUSTOMERS.
pub const SALESIVE_APP_TOKEN: &str = crate::platform::salesive::SANDBOX_APP_TOKEN;
/// A Salesive app token with READ_CUSTOMERS only (403 "Insufficient scope" on writes).
pub const SALESIVE_READONLY_TOKEN: &str = "app_sandbox_readonly";
/// The shop id the Salesive app tokens are bound to (the `shop` of every customer).
pub const SALESIVE_SHOP_ID: &str = "664f0e2a1c2b3d4e5f6a7b8c";

/// The fields of CustomerCreate.
const FIELDS: &[&str] = &["name", "email", "phone", "user", "active", "shop"];
/// The lookup's page size: default and largest ("limit ≤ 100").
const DEFAULT_LIMIT: u64 = 20;
const MAX_LIMIT: u64 = 100;

/// The Salesive Apps API, as the sandbox stands in for it.
pub(crate) struct Salesive;

impl SandboxPlatform for Salesive {
    fn base_path(&self) -> &'static str {
        "/api/v1"
    }

    fn authenticate(&self, headers: &HeaderMap, _: Option<&str>) -> Result<Credential, Refusal> {
        authenticate(headers)
    }

    fn error_body(&self, r: &Refusal) -> Value {
        error_body(r.status, &r.message)
    }

    fn quota_headers(&self, state: &QuotaState, limited: bool) -> Headers {
        // No rate-limit headers are documented; a 429 says when to retry.
        let mut h = Headers::new();
        if limited {
            h.push(("retry-after", whole_secs(state.reset).to_string()));
        }
        h
    }

    fn new_store(&self, _: &SandboxConfig) -> Box<dyn platform::Store> {
        Box::new(Store::default())
    }
}

/// The routes of Salesive, whose requests go through the gate as `me`.
pub(crate) fn routes(me: Platform) -> Router<Arc<Shared>> {
    let route = move |access| Route {
        platform: me,
        access,
        store: None,
    };
    Router::new().route(
        "/api/v1/customers",
        post(
            move |State(shared): State<Arc<Shared>>,
                  ConnectInfo(conn): ConnectInfo<Conn>,
                  req: Request| {
                gate::handle(shared, conn, route(Access::Write), req, create)
            },
        )
        .get(
            move |State(shared): State<Arc<Shared>>,
                  ConnectInfo(conn): ConnectInfo<Conn>,
                  req: Request| {
                gate::handle(shared, conn, route(Access::Read), req, list)
            },
        )
        .fallback(gate::method_not_allowed),
    )
}

/// `Authorization: Bearer <token>` with one of the sandbox's app tokens.
fn authenticate(headers: &HeaderMap) -> Result<Credential, Refusal> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    match token {
        Some(SALESIVE_APP_TOKEN) => Ok(Credential {
            label: "full",
            read: true,
            write: true,
        }),
        Some(SALESIVE_READONLY_TOKEN) => Ok(Credential {
            label: "readonly",
            read: true,
            write: false,
        }),
        _ => Err(Refusal::new(401, "UNAUTHORIZED", "Authentication required")),
    }
}

/// `{"status":…,"success":false,"message":…,"data":null}`.
fn error_body(status: u16, message: &str) -> Value {
    json!({"status": status, "success": false, "message": message, "data": null})
}

fn error(status: u16, message: &str) -> Answer {
    Answer::new(status, error_body(status, message))
}

/// One stored customer.
#[derive(Debug)]
struct Stored {
    name: String,
    email: String,
    phone: Option<String>,
    /// The customer as Salesive answers it (compact JSON).
    view: Box<str>,
    /// What the client sent (compact JSON).
    request: Box<str>,
}

/// The store's customers.
#[derive(Debug, Default)]
pub(crate) struct Store {
    customers: Vec<Stored>,
    /// Lower-cased email → index.
    by_email: HashMap<String, usize>,
}

impl platform::Store for Store {
    fn customer_count(&self) -> usize {
        self.customers.len()
    }

    fn customers(&self) -> Vec<Value> {
        self.customers
            .iter()
            .map(|s| {
                let mut v: Value = serde_json::from_str(&s.view).unwrap_or(Value::Null);
                if let Some(o) = v.as_object_mut() {
                    o.insert(
                        "_request".into(),
                        serde_json::from_str(&s.request).unwrap_or(Value::Null),
                    );
                }
                v
            })
            .collect()
    }
}

/// `POST /api/v1/customers`.
fn create(at: Locked<'_, Store>, input: &Input<'_>) -> Answer {
    let body: Value = if !input.json_body {
        json!({})
    } else {
        match serde_json::from_slice(input.body) {
            Ok(v) => v,
            Err(e) => return error(400, &format!("Malformed JSON in request body: {e}")),
        }
    };
    let Some(c) = body.as_object() else {
        return error(400, "Request body must be a JSON object");
    };
    let mut pr = Problems::default();
    if c.contains_key("shop") {
        pr.add(
            "shop",
            "must not be sent: the store is bound to the app token",
        );
    }
    pr.unknown(c, FIELDS, str::to_string);
    let name = pr.string(c, "name", "name", Need::Required, 1, usize::MAX);
    // No length is documented: only the one email check (DECISIONS.md).
    let email = pr.string(c, "email", "email", Need::Required, 1, usize::MAX);
    if let Some(e) = email
        && let Some(why) = email_problem(e)
    {
        pr.add(
            "email",
            format!("must be a valid email ('{e}' is not: {why})"),
        );
    }
    let phone = pr.string(c, "phone", "phone", Need::Nullable, 0, usize::MAX);
    if let Some(user) = pr.string(c, "user", "user", Need::Nullable, 0, 64) {
        if user.len() != 24 || !user.bytes().all(|b| b.is_ascii_hexdigit()) {
            pr.add(
                "user",
                format!("must be a 24-character hex ObjectId ('{user}' is not)"),
            );
        } else {
            pr.add("user", format!("'{user}' is not a platform user"));
        }
    }
    let active = pr.boolean(c, "active", "active", Need::Optional);
    if !pr.is_empty() {
        return error(400, &format!("Validation failed: {}", pr.sentence()));
    }
    let (Some(name), Some(email)) = (name, email) else {
        // Unreachable: required fields that are absent are problems above.
        return error(400, "Validation failed: name and email are required");
    };
    let key = email.to_lowercase();
    if at.store.by_email.contains_key(&key) {
        at.counters.duplicates_refused += 1;
        return error(
            409,
            &format!("Customer with email {email} already exists in this store"),
        );
    }
    let now = input.now.to_rfc3339_opts(SecondsFormat::Millis, true);
    let id = at.ids.object_id(input.now.timestamp());
    let view = json!({
        "_id": id,
        "user": null,
        "shop": SALESIVE_SHOP_ID,
        "name": name,
        "phone": phone,
        "email": email,
        "lastActive": now,
        "online": false,
        "active": active.unwrap_or(true),
        "createdAt": now,
        "updatedAt": now,
        "avatar": format!(
            "https://api.dicebear.com/9.x/initials/svg?seed={}&backgroundColor=0d65d9",
            percent_encode(name)
        ),
        "id": id,
    });
    let store = at.store;
    store.by_email.insert(key, store.customers.len());
    store.customers.push(Stored {
        name: name.to_string(),
        email: email.to_string(),
        phone: phone.map(str::to_string),
        view: view.to_string().into_boxed_str(),
        request: Value::Object(c.clone()).to_string().into_boxed_str(),
    });
    Answer::new(
        201,
        json!({"status": 201, "success": true, "message": "Customer created successfully", "data": view}),
    )
}

/// `GET /api/v1/customers?search=…&page=…&limit=…`: a case-insensitive
/// substring match on email, name and phone, oldest first.
fn list(at: Locked<'_, Store>, input: &Input<'_>) -> Answer {
    let pairs = query_pairs(input.query);
    let (page, limit) = match (
        page_param(&pairs, "page", 1, u64::from(u32::MAX)),
        page_param(&pairs, "limit", DEFAULT_LIMIT, MAX_LIMIT),
    ) {
        (Ok(p), Ok(l)) => (p, l),
        (Err(e), _) | (_, Err(e)) => return error(400, &format!("Validation failed: {e}")),
    };
    let search = pairs
        .iter()
        .rev()
        .find(|(k, _)| k == "search")
        .map(|(_, v)| v.trim().to_lowercase())
        .unwrap_or_default();
    let matched: Vec<&Stored> = at
        .store
        .customers
        .iter()
        .filter(|s| {
            search.is_empty()
                || contains_ci(&s.email, &search)
                || contains_ci(&s.name, &search)
                || s.phone.as_deref().is_some_and(|p| contains_ci(p, &search))
        })
        .collect();
    let total = matched.len();
    let (items, pages) = paginate(&matched, page, limit);
    let data: Vec<Value> = items
        .iter()
        .map(|s| serde_json::from_str(&s.view).unwrap_or(Value::Null))
        .collect();
    let mut out = Map::new();
    out.insert("status".into(), 200.into());
    out.insert("success".into(), true.into());
    out.insert("message".into(), "Customers retrieved successfully".into());
    out.insert("data".into(), Value::Array(data));
    out.insert(
        "pagination".into(),
        json!({"page": page, "limit": limit, "total": total, "pages": pages}),
    );
    Answer::new(200, Value::Object(out))
}

/// Percent-encodes everything but unreserved characters (`%20` for a space).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
