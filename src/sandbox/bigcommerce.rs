//! BigCommerce customers v3 in the sandbox (specs/bigcommerce-create-customers.txt,
//! FACTS.md): `POST /stores/{hash}/v3/customers` (a JSON array of 1–10
//! customers, validated as a whole: any problem → 422 naming `index.field`;
//! a taken or repeated email → 422 `.customer_create`; success → 200
//! `{"data":[…],"meta":{}}`), `GET …/customers?email:in=…` (the lookup),
//! the `X-Auth-Token` credential, the error shape, and the stored customers.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::HeaderMap;
use axum::routing::{MethodRouter, post};
use chrono::SecondsFormat;
use serde_json::{Map, Value, json};

use super::check::{Need, Obj, Problems, page_param, paginate, query_pairs};
use super::config::SandboxConfig;
use super::conn::Conn;
use super::gate::{self, Input, Route};
use super::platform::{
    self, Access, Answer, Credential, Headers, Platform, Refusal, SandboxPlatform, millis,
    whole_secs,
};
use super::quota::QuotaState;
use super::state::{Locked, Shared};
// Countries whose states BigCommerce knows by full name: another name (or a
// code such as "CA") is refused; the rules report the same.
use crate::platform::bigcommerce::NAMED_STATE_COUNTRIES;
use crate::values::{email_problem, is_state_name};

/// The store hash the sandbox's BigCommerce answers to.
pub const BIGCOMMERCE_STORE_HASH: &str = crate::platform::bigcommerce::SANDBOX_STORE_HASH;
/// A BigCommerce access token with the Customers "modify" scope.
pub const BIGCOMMERCE_ACCESS_TOKEN: &str = crate::platform::bigcommerce::SANDBOX_ACCESS_TOKEN;
/// A BigCommerce access token with the Customers "read-only" scope (403 on writes).
pub const BIGCOMMERCE_READONLY_TOKEN: &str = "sandbox-bc-readonly";

/// The `type` of every error body.
const ERROR_TYPE: &str = "/api-docs/getting-started/api-status-codes";
/// "Create up to 10 customers in one call."
const MAX_BATCH: usize = 10;
/// "addresses … Limited to 10." / "attributes … Limited to 10."
const MAX_ADDRESSES: usize = 10;
const MAX_ATTRIBUTES: usize = 10;
/// The lookup's page size: default and largest.
const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 250;

/// The request fields of a customer (the spec's list).
const CUSTOMER_FIELDS: &[&str] = &[
    "email",
    "first_name",
    "last_name",
    "company",
    "phone",
    "notes",
    "tax_exempt_category",
    "customer_group_id",
    "addresses",
    "attributes",
    "authentication",
    "accepts_product_review_abandoned_cart_emails",
    "store_credit_amounts",
    "origin_channel_id",
    "channel_ids",
    "form_fields",
    "trigger_account_created_notification",
];

/// The request fields of an address.
const ADDRESS_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "company",
    "address1",
    "address2",
    "city",
    "state_or_province",
    "postal_code",
    "country_code",
    "phone",
    "address_type",
    "form_fields",
];

/// BigCommerce customers v3, as the sandbox stands in for it.
pub(crate) struct BigCommerce;

impl SandboxPlatform for BigCommerce {
    fn base_path(&self) -> &'static str {
        "/stores/sandbox/v3"
    }

    /// Every store hash's paths: an unknown store is answered in its shape.
    fn owns_path(&self, path: &str) -> bool {
        path.starts_with("/stores/")
    }

    fn authenticate(
        &self,
        headers: &HeaderMap,
        store: Option<&str>,
    ) -> Result<Credential, Refusal> {
        authenticate(headers, store.unwrap_or(""))
    }

    fn error_body(&self, r: &Refusal) -> Value {
        error_body(r.status, &r.message)
    }

    /// The `X-Rate-Limit-*` headers FACTS.md describes; a 429 adds
    /// `X-Retry-After` in seconds.
    fn quota_headers(&self, state: &QuotaState, limited: bool) -> Headers {
        let mut h: Headers = vec![
            (
                "x-rate-limit-time-window-ms",
                millis(state.window).to_string(),
            ),
            (
                "x-rate-limit-time-reset-ms",
                millis(state.reset).to_string(),
            ),
            ("x-rate-limit-requests-quota", state.limit.to_string()),
            ("x-rate-limit-requests-left", state.left.to_string()),
        ];
        if limited {
            h.push(("x-retry-after", whole_secs(state.reset).to_string()));
        }
        h
    }

    /// About 10 requests in flight per store (FACTS.md).
    fn limits_concurrency(&self) -> bool {
        true
    }

    fn new_store(&self, _: &SandboxConfig) -> Box<dyn platform::Store> {
        Box::new(Store::default())
    }
}

/// The routes of BigCommerce, whose requests go through the gate as `me`.
pub(crate) fn routes(me: Platform) -> Router<Arc<Shared>> {
    let route = move |access, store_hash| Route {
        platform: me,
        access,
        store: Some(store_hash),
    };
    // One handler of the gate: `op` under `access`.
    let at = move |access: Access, op: fn(Locked<'_, Store>, &Input<'_>) -> Answer| {
        move |State(shared): State<Arc<Shared>>,
              ConnectInfo(conn): ConnectInfo<Conn>,
              Path(store_hash): Path<String>,
              req: Request| {
            gate::handle(shared, conn, route(access, store_hash), req, op)
        }
    };
    let customers: MethodRouter<Arc<Shared>> = post(at(Access::Write, create))
        .get(at(Access::Read, list))
        .put(at(Access::Write, update))
        .fallback(gate::method_not_allowed);
    let addresses: MethodRouter<Arc<Shared>> = post(at(Access::Write, add_addresses))
        .get(at(Access::Read, list_addresses))
        .put(at(Access::Write, change_addresses))
        .fallback(gate::method_not_allowed);
    Router::new()
        .route("/stores/{store_hash}/v3/customers", customers)
        .route("/stores/{store_hash}/v3/customers/addresses", addresses)
}

/// The store hash must be the sandbox's (404 otherwise), and `X-Auth-Token`
/// one of its tokens (401 otherwise).
fn authenticate(headers: &HeaderMap, store_hash: &str) -> Result<Credential, Refusal> {
    if store_hash != BIGCOMMERCE_STORE_HASH {
        return Err(Refusal::new(
            404,
            "NOT_FOUND",
            format!("Store not found: no store has the hash '{store_hash}'"),
        ));
    }
    match headers.get("x-auth-token").map(|v| v.to_str()) {
        None => Err(Refusal::new(
            401,
            "MISSING_API_KEY",
            "No X-Auth-Token header was found in this request",
        )),
        Some(Ok(BIGCOMMERCE_ACCESS_TOKEN)) => Ok(Credential {
            label: "full",
            read: true,
            write: true,
        }),
        Some(Ok(BIGCOMMERCE_READONLY_TOKEN)) => Ok(Credential {
            label: "readonly",
            read: true,
            write: false,
        }),
        Some(_) => Err(Refusal::new(
            401,
            "INVALID_API_KEY",
            "The X-Auth-Token is not valid for this store",
        )),
    }
}

/// `{"status":…,"title":…,"type":…}`.
fn error_body(status: u16, title: &str) -> Value {
    json!({"status": status, "title": title, "type": ERROR_TYPE})
}

fn error(status: u16, title: &str) -> Answer {
    Answer::new(status, error_body(status, title))
}

fn unprocessable(title: &str, errors: Map<String, Value>) -> Answer {
    Answer::new(
        422,
        json!({"status": 422, "title": title, "type": ERROR_TYPE, "errors": errors}),
    )
}

/// One stored customer.
#[derive(Debug)]
struct Stored {
    id: u64,
    /// The customer as BigCommerce answers it (compact JSON).
    view: Box<str>,
    /// The customer as the client sent it (compact JSON).
    request: Box<str>,
    /// Update requests that changed it (`PUT customers`, addresses).
    updates: u32,
}

/// The store's customers.
#[derive(Debug, Default)]
pub(crate) struct Store {
    customers: Vec<Stored>,
    /// Lower-cased email → index in `customers`.
    by_email: HashMap<String, usize>,
    next_address_id: u64,
    next_attribute_id: u64,
    /// Address id → its customer's id.
    address_owner: HashMap<u64, u64>,
}

impl platform::Store for Store {
    fn customer_count(&self) -> usize {
        self.customers.len()
    }

    fn customers(&self) -> Vec<Value> {
        self.customers.iter().map(inspect_one).collect()
    }
}

impl Store {
    fn add(&mut self, item: &Obj, now: &str) -> Value {
        let id = self.customers.len() as u64 + 1;
        let view = self.view(id, item, now);
        let email = item.get("email").and_then(Value::as_str).unwrap_or("");
        self.by_email
            .insert(email.to_lowercase(), self.customers.len());
        self.customers.push(Stored {
            id,
            view: view.to_string().into_boxed_str(),
            request: Value::Object(item.clone()).to_string().into_boxed_str(),
            updates: 0,
        });
        for a in view["addresses"].as_array().into_iter().flatten() {
            if let Some(address_id) = a["id"].as_u64() {
                self.address_owner.insert(address_id, id);
            }
        }
        view
    }

    /// A new address of customer `id` as BigCommerce answers it.
    fn address_view(&mut self, id: u64, a: &Obj) -> Value {
        let s = |o: &Obj, k: &str| o.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        self.next_address_id += 1;
        let code = s(a, "country_code");
        let country = rust_iso3166::from_alpha2(&code).map_or("", |c| c.name);
        json!({
            "id": self.next_address_id,
            "customer_id": id,
            "first_name": s(a, "first_name"),
            "last_name": s(a, "last_name"),
            "company": s(a, "company"),
            "address1": s(a, "address1"),
            "address2": s(a, "address2"),
            "city": s(a, "city"),
            "state_or_province": s(a, "state_or_province"),
            "postal_code": s(a, "postal_code"),
            "country_code": code,
            "country": country,
            "phone": s(a, "phone"),
            "address_type": a.get("address_type").and_then(Value::as_str).unwrap_or("residential"),
        })
    }

    /// The stored customer `id`, if any (ids are 1, 2, … in order).
    fn by_id(&mut self, id: u64) -> Option<&mut Stored> {
        let i = usize::try_from(id.checked_sub(1)?).ok()?;
        self.customers.get_mut(i)
    }

    /// Changes the view of customer `id` with `change`, stamping
    /// `date_modified` and counting the update.
    fn change_view(&mut self, id: u64, now: &str, change: impl FnOnce(&mut Obj)) {
        let Some(stored) = self.by_id(id) else {
            return;
        };
        let mut view: Value = serde_json::from_str(&stored.view).unwrap_or(Value::Null);
        if let Some(o) = view.as_object_mut() {
            change(o);
            o.insert("date_modified".into(), now.into());
        }
        stored.view = view.to_string().into_boxed_str();
        stored.updates += 1;
    }

    /// The customer as BigCommerce answers it.
    fn view(&mut self, id: u64, c: &Obj, now: &str) -> Value {
        let s = |o: &Obj, k: &str| o.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let addresses: Vec<Value> = c
            .get("addresses")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_object)
                    .map(|a| self.address_view(id, a))
                    .collect()
            })
            .unwrap_or_default();
        let attributes: Vec<Value> = c
            .get("attributes")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_object)
                    .map(|a| {
                        self.next_attribute_id += 1;
                        json!({
                            "id": self.next_attribute_id,
                            "customer_id": id,
                            "attribute_id": a.get("attribute_id").cloned().unwrap_or(Value::Null),
                            "attribute_value": s(a, "attribute_value"),
                            "date_created": now,
                            "date_modified": now,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let force_reset = c
            .get("authentication")
            .and_then(|a| a.get("force_password_reset"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        json!({
            "id": id,
            "authentication": {"force_password_reset": force_reset},
            "company": s(c, "company"),
            "customer_group_id": c.get("customer_group_id").and_then(Value::as_i64).unwrap_or(0),
            "email": s(c, "email"),
            "first_name": s(c, "first_name"),
            "last_name": s(c, "last_name"),
            "notes": s(c, "notes"),
            "phone": s(c, "phone"),
            "registration_ip_address": "",
            "tax_exempt_category": s(c, "tax_exempt_category"),
            "date_created": now,
            "date_modified": now,
            "accepts_product_review_abandoned_cart_emails": c.get("accepts_product_review_abandoned_cart_emails").and_then(Value::as_bool).unwrap_or(false),
            "origin_channel_id": c.get("origin_channel_id").and_then(Value::as_i64).unwrap_or(1),
            "channel_ids": c.get("channel_ids").cloned().unwrap_or(Value::Null),
            "address_count": addresses.len(),
            "addresses": addresses,
            "attribute_count": attributes.len(),
            "attributes": attributes,
            "store_credit_amounts": c.get("store_credit_amounts").cloned().unwrap_or_else(|| json!([])),
        })
    }
}

fn inspect_one(s: &Stored) -> Value {
    let mut v: Value = serde_json::from_str(&s.view).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "_request".into(),
            serde_json::from_str(&s.request).unwrap_or(Value::Null),
        );
        o.insert("_updates".into(), s.updates.into());
    }
    v
}

/// `POST /stores/{hash}/v3/customers`.
fn create(at: Locked<'_, Store>, input: &Input<'_>) -> Answer {
    if !input.json_body {
        return error(415, "The request's Content-Type must be application/json");
    }
    let body: Value = match serde_json::from_slice(input.body) {
        Ok(v) => v,
        Err(e) => return error(400, &format!("The request body is not valid JSON: {e}")),
    };
    let items = match body {
        Value::Array(items) if !items.is_empty() => items,
        other => {
            let what = match other {
                Value::Array(_) => "an empty array".to_string(),
                v => super::check::kind(&v).to_string(),
            };
            let mut errors = Map::new();
            errors.insert(
                "body".into(),
                format!("must be an array of 1 to {MAX_BATCH} customers, not {what}").into(),
            );
            return unprocessable("JSON data is missing or invalid", errors);
        }
    };
    if items.len() > MAX_BATCH {
        return error(
            413,
            &format!(
                "The request payload is too large: {} customers, at most {MAX_BATCH} per request",
                items.len()
            ),
        );
    }
    let mut problems = Problems::default();
    for (i, item) in items.iter().enumerate() {
        check_customer(i, item, &mut problems);
    }
    if !problems.is_empty() {
        let mut errors = Map::new();
        for p in problems.list {
            errors
                .entry(p.path.clone())
                .or_insert_with(|| format!("{} {}", p.path, p.message).into());
        }
        return unprocessable("JSON data is missing or invalid", errors);
    }
    let customers: Vec<&Obj> = items.iter().filter_map(Value::as_object).collect();

    // Email uniqueness: against the store, and within the batch.
    let mut seen: HashSet<String> = HashSet::new();
    let mut taken: Vec<usize> = Vec::new();
    for (i, c) in customers.iter().enumerate() {
        let email = c
            .get("email")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_lowercase();
        if at.store.by_email.contains_key(&email) || !seen.insert(email) {
            taken.push(i);
        }
    }
    let now = input.now.to_rfc3339_opts(SecondsFormat::Secs, true);
    if let Some(&first) = taken.first() {
        at.counters.duplicates_refused += taken.len() as u64;
        if input.partial {
            // Atomicity is undocumented (FACTS.md): the good ones are stored.
            at.counters.count_fault("partial");
            for (i, c) in customers.iter().enumerate() {
                if !taken.contains(&i) {
                    at.store.add(c, &now);
                }
            }
        }
        let email = customers[first]
            .get("email")
            .and_then(Value::as_str)
            .unwrap_or("");
        let mut errors = Map::new();
        errors.insert(
            ".customer_create".into(),
            format!("Error creating customers: email {email} already in use").into(),
        );
        return unprocessable("Create customers failed.", errors);
    }
    let data: Vec<Value> = customers.iter().map(|c| at.store.add(c, &now)).collect();
    Answer::new(200, json!({"data": data, "meta": {}}))
}

/// The rules a customer's own fields share between create and update:
/// email, names, company, phone, notes, tax category, group and channel
/// ids, the consent flag. `names` says whether email, first and last name
/// are required (create) or checked only when sent (update).
fn check_common_fields(
    c: &Map<String, Value>,
    at: &impl Fn(&str) -> String,
    names: Need,
    pr: &mut Problems,
) {
    if let Some(email) = pr.string(c, "email", &at("email"), names, 3, 250)
        && let Some(why) = email_problem(email)
    {
        pr.add(
            at("email"),
            format!("'{email}' is not a valid email address: {why}"),
        );
    }
    pr.string(c, "first_name", &at("first_name"), names, 1, 100);
    pr.string(c, "last_name", &at("last_name"), names, 1, 100);
    pr.string(c, "company", &at("company"), Need::Optional, 0, 255);
    pr.string(c, "phone", &at("phone"), Need::Optional, 0, 50);
    pr.string(c, "notes", &at("notes"), Need::Optional, 0, usize::MAX);
    pr.string(
        c,
        "tax_exempt_category",
        &at("tax_exempt_category"),
        Need::Optional,
        0,
        255,
    );
    pr.integer(
        c,
        "customer_group_id",
        &at("customer_group_id"),
        Need::Optional,
    );
    pr.integer(
        c,
        "origin_channel_id",
        &at("origin_channel_id"),
        Need::Optional,
    );
    pr.boolean(
        c,
        "accepts_product_review_abandoned_cart_emails",
        &at("accepts_product_review_abandoned_cart_emails"),
        Need::Optional,
    );
}

/// The rules of one customer of a batch; problems are keyed `i.field`.
fn check_customer(i: usize, item: &Value, pr: &mut Problems) {
    let Some(c) = item.as_object() else {
        pr.add(i.to_string(), "must be a customer object");
        return;
    };
    let at = |k: &str| format!("{i}.{k}");
    pr.unknown(c, CUSTOMER_FIELDS, at);
    check_common_fields(c, &at, Need::Required, pr);
    pr.boolean(
        c,
        "trigger_account_created_notification",
        &at("trigger_account_created_notification"),
        Need::Optional,
    );
    check_channel_ids(
        c,
        &at("channel_ids"),
        "omit it (or send null) for global access",
        pr,
    );
    if let Some(addresses) = pr.array(
        c,
        "addresses",
        &at("addresses"),
        Need::Optional,
        MAX_ADDRESSES,
    ) {
        for (j, a) in addresses.iter().enumerate() {
            check_address(&format!("{i}.addresses.{j}"), a, pr);
        }
    }
    if let Some(attrs) = pr.array(
        c,
        "attributes",
        &at("attributes"),
        Need::Optional,
        MAX_ATTRIBUTES,
    ) {
        for (j, a) in attrs.iter().enumerate() {
            let base = format!("{i}.attributes.{j}");
            let Some(a) = a.as_object() else {
                pr.add(base, "must be an attribute object");
                continue;
            };
            pr.unknown(a, &["attribute_id", "attribute_value"], |k| {
                format!("{base}.{k}")
            });
            pr.integer(
                a,
                "attribute_id",
                &format!("{base}.attribute_id"),
                Need::Required,
            );
            pr.string(
                a,
                "attribute_value",
                &format!("{base}.attribute_value"),
                Need::Required,
                1,
                255,
            );
        }
    }
    if let Some(auth) = pr.object(c, "authentication", &at("authentication"), Need::Optional) {
        let base = at("authentication");
        pr.unknown(auth, &["force_password_reset", "new_password"], |k| {
            format!("{base}.{k}")
        });
        pr.boolean(
            auth,
            "force_password_reset",
            &format!("{base}.force_password_reset"),
            Need::Optional,
        );
        pr.string(
            auth,
            "new_password",
            &format!("{base}.new_password"),
            Need::Optional,
            1,
            255,
        );
    }
    if let Some(credits) = pr.array(
        c,
        "store_credit_amounts",
        &at("store_credit_amounts"),
        Need::Optional,
        usize::MAX,
    ) {
        for (j, s) in credits.iter().enumerate() {
            let ok = s
                .as_object()
                .and_then(|o| o.get("amount"))
                .is_some_and(|a| a.as_f64().is_some_and(|n| n >= 0.0));
            if !ok {
                pr.add(
                    format!("{i}.store_credit_amounts.{j}"),
                    "must be an object with a non-negative number `amount`",
                );
            }
        }
    }
    check_form_fields(c, &at("form_fields"), pr);
}

fn check_address(base: &str, a: &Value, pr: &mut Problems) {
    let Some(a) = a.as_object() else {
        pr.add(base, "must be an address object");
        return;
    };
    let at = |k: &str| format!("{base}.{k}");
    pr.unknown(a, ADDRESS_FIELDS, at);
    pr.string(a, "first_name", &at("first_name"), Need::Required, 1, 255);
    pr.string(a, "last_name", &at("last_name"), Need::Required, 1, 255);
    // FACTS.md states no limit for an address's company and street lines.
    pr.string(a, "company", &at("company"), Need::Optional, 0, usize::MAX);
    pr.string(
        a,
        "address1",
        &at("address1"),
        Need::Required,
        1,
        usize::MAX,
    );
    pr.string(
        a,
        "address2",
        &at("address2"),
        Need::Optional,
        0,
        usize::MAX,
    );
    pr.string(a, "city", &at("city"), Need::Required, 1, 100);
    pr.string(a, "postal_code", &at("postal_code"), Need::Optional, 0, 30);
    pr.string(a, "phone", &at("phone"), Need::Optional, 0, 50);
    let code = pr.string(a, "country_code", &at("country_code"), Need::Required, 2, 2);
    let country = code.and_then(|code| {
        let found = rust_iso3166::from_alpha2(code);
        if found.is_none() {
            pr.add(
                at("country_code"),
                format!("'{code}' is not an ISO 3166-1 alpha-2 country code (upper case, e.g. US)"),
            );
        }
        found
    });
    let state = pr.string(
        a,
        "state_or_province",
        &at("state_or_province"),
        Need::Optional,
        0,
        100,
    );
    if let (Some(state), Some(country)) = (state, country)
        && !state.is_empty()
        && NAMED_STATE_COUNTRIES.contains(&country.alpha2)
        && !is_state_name(country.alpha2, state)
    {
        pr.add(
            at("state_or_province"),
            format!(
                "'{state}' is not a state of {}; give the full name (e.g. California, not CA)",
                country.alpha2
            ),
        );
    }
    if let Some(t) = pr.string(
        a,
        "address_type",
        &at("address_type"),
        Need::Optional,
        0,
        20,
    ) && t != "residential"
        && t != "commercial"
    {
        pr.add(
            at("address_type"),
            format!("must be residential or commercial, not '{t}'"),
        );
    }
    check_form_fields(a, &at("form_fields"), pr);
}

fn check_form_fields(o: &Obj, path: &str, pr: &mut Problems) {
    if let Some(fields) = pr.array(o, "form_fields", path, Need::Optional, usize::MAX) {
        for (j, f) in fields.iter().enumerate() {
            let ok = f.as_object().is_some_and(|f| {
                f.get("name").is_some_and(Value::is_string) && f.contains_key("value")
            });
            if !ok {
                pr.add(
                    format!("{path}.{j}"),
                    "must be an object with `name` and `value`",
                );
            }
        }
    }
}

/// `GET /stores/{hash}/v3/customers?email:in=…&id:in=…&page=…&limit=…`.
fn list(at: Locked<'_, Store>, input: &Input<'_>) -> Answer {
    let pairs = query_pairs(input.query);
    let param = |key: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let page = page_param(&pairs, "page", 1, u64::from(u32::MAX));
    let limit = page_param(&pairs, "limit", DEFAULT_LIMIT, MAX_LIMIT);
    let (page, limit) = match (page, limit) {
        (Ok(p), Ok(l)) => (p, l),
        (Err(e), _) | (_, Err(e)) => {
            let mut errors = Map::new();
            errors.insert("query".into(), e.into());
            return unprocessable("The query is invalid", errors);
        }
    };
    let emails: Option<HashSet<String>> = param("email:in").map(|v| {
        v.split(',')
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty())
            .collect()
    });
    let ids: Option<HashSet<u64>> = match param("id:in") {
        None => None,
        Some(v) => {
            let parsed: Result<HashSet<u64>, _> = v
                .split(',')
                .filter(|s| !s.trim().is_empty())
                .map(|s| s.trim().parse::<u64>())
                .collect();
            match parsed {
                Ok(set) => Some(set),
                Err(_) => {
                    let mut errors = Map::new();
                    errors.insert(
                        "id:in".into(),
                        "must be a comma-separated list of integers".into(),
                    );
                    return unprocessable("The query is invalid", errors);
                }
            }
        }
    };
    let store = &*at.store;
    let matched: Vec<&Stored> = match &emails {
        // An email filter is answered from the index, in id order.
        Some(set) => {
            let mut found: Vec<&Stored> = set
                .iter()
                .filter_map(|e| store.by_email.get(e))
                .filter_map(|&i| store.customers.get(i))
                .collect();
            found.sort_by_key(|s| s.id);
            found
        }
        None => store.customers.iter().collect(),
    };
    let matched: Vec<&Stored> = matched
        .into_iter()
        .filter(|s| ids.as_ref().is_none_or(|ids| ids.contains(&s.id)))
        .collect();
    let total = matched.len() as u64;
    let (items, pages) = paginate(&matched, page, limit);
    let data: Vec<Value> = items
        .iter()
        .map(|s| serde_json::from_str(&s.view).unwrap_or(Value::Null))
        .collect();
    let mut links = Map::new();
    links.insert(
        "current".into(),
        format!("?page={page}&limit={limit}").into(),
    );
    if page > 1 {
        links.insert(
            "previous".into(),
            format!("?page={}&limit={limit}", page - 1).into(),
        );
    }
    if page < pages {
        links.insert(
            "next".into(),
            format!("?page={}&limit={limit}", page + 1).into(),
        );
    }
    Answer::new(
        200,
        json!({
            "data": data,
            "meta": {"pagination": {
                "total": total,
                "count": data.len(),
                "per_page": limit,
                "current_page": page,
                "total_pages": pages,
                "links": links,
            }},
        }),
    )
}

/// The fields an update may carry: a create's, less what has its own
/// endpoint (addresses, attributes) or belongs to creation (the welcome
/// email), plus the customer's `id`.
const UPDATE_FIELDS: &[&str] = &[
    "id",
    "email",
    "first_name",
    "last_name",
    "company",
    "phone",
    "notes",
    "tax_exempt_category",
    "customer_group_id",
    "authentication",
    "accepts_product_review_abandoned_cart_emails",
    "store_credit_amounts",
    "origin_channel_id",
    "channel_ids",
    "form_fields",
];

/// The body of a batch endpoint: a JSON array of 1–10 objects, or the
/// answer refusing it (415, 400, 422, 413) in BigCommerce's shape.
fn batch_items(input: &Input<'_>, what: &str) -> Result<Vec<Value>, Answer> {
    if !input.json_body {
        return Err(error(
            415,
            "The request's Content-Type must be application/json",
        ));
    }
    let body: Value = serde_json::from_slice(input.body)
        .map_err(|e| error(400, &format!("The request body is not valid JSON: {e}")))?;
    let items = match body {
        Value::Array(items) if !items.is_empty() => items,
        other => {
            let kind = match other {
                Value::Array(_) => "an empty array".to_string(),
                v => super::check::kind(&v).to_string(),
            };
            let mut errors = Map::new();
            errors.insert(
                "body".into(),
                format!("must be an array of 1 to {MAX_BATCH} {what}, not {kind}").into(),
            );
            return Err(unprocessable("JSON data is missing or invalid", errors));
        }
    };
    if items.len() > MAX_BATCH {
        return Err(error(
            413,
            &format!(
                "The request payload is too large: {} {what}, at most {MAX_BATCH} per request",
                items.len()
            ),
        ));
    }
    Ok(items)
}

/// A 422 of every problem found, keyed by path; `None` when there is none.
fn problems_answer(problems: Problems) -> Option<Answer> {
    if problems.is_empty() {
        return None;
    }
    let mut errors = Map::new();
    for p in problems.list {
        errors
            .entry(p.path.clone())
            .or_insert_with(|| format!("{} {}", p.path, p.message).into());
    }
    Some(unprocessable("JSON data is missing or invalid", errors))
}

/// The rules of one customer of an update: its `id`, then each field it
/// carries by the create's rules (every field optional).
/// `channel_ids`, where given: null, or a non-empty array of integers (an
/// empty one is refused with `global`, how to ask for global access).
fn check_channel_ids(c: &Map<String, Value>, path: &str, global: &str, pr: &mut Problems) {
    if let Some(ids) = pr.array(c, "channel_ids", path, Need::Nullable, usize::MAX) {
        if ids.is_empty() {
            pr.add(path.to_string(), format!("cannot be empty: {global}"));
        } else if ids.iter().any(|v| v.as_i64().is_none()) {
            pr.add(path.to_string(), "must be an array of integers");
        }
    }
}

fn check_update(i: usize, item: &Value, pr: &mut Problems) {
    let Some(c) = item.as_object() else {
        pr.add(i.to_string(), "must be a customer object");
        return;
    };
    let at = |k: &str| format!("{i}.{k}");
    pr.unknown(c, UPDATE_FIELDS, at);
    pr.integer(c, "id", &at("id"), Need::Required);
    check_common_fields(c, &at, Need::Optional, pr);
    check_channel_ids(c, &at("channel_ids"), "send null for global access", pr);
    pr.object(c, "authentication", &at("authentication"), Need::Optional);
    check_form_fields(c, &at("form_fields"), pr);
}

/// `PUT /stores/{hash}/v3/customers`: validated as a whole; an unknown id
/// is a 422 keyed `index.id`, an email another customer holds (or two in
/// the batch) a 422 `.customer_update`; otherwise every customer takes the
/// fields sent and the answer lists them.
fn update(at: Locked<'_, Store>, input: &Input<'_>) -> Answer {
    let items = match batch_items(input, "customers") {
        Ok(items) => items,
        Err(answer) => return answer,
    };
    let mut problems = Problems::default();
    for (i, item) in items.iter().enumerate() {
        check_update(i, item, &mut problems);
    }
    if let Some(answer) = problems_answer(problems) {
        return answer;
    }
    let mut unknown = Map::new();
    let mut changes: Vec<(u64, &Obj)> = Vec::with_capacity(items.len());
    for (i, c) in items.iter().filter_map(Value::as_object).enumerate() {
        match c.get("id").and_then(Value::as_u64) {
            Some(id) if at.store.by_id(id).is_some() => changes.push((id, c)),
            Some(id) => {
                unknown.insert(
                    format!("{i}.id"),
                    format!("customer id {id} does not exist").into(),
                );
            }
            None => {
                unknown.insert(format!("{i}.id"), "must be a positive integer".into());
            }
        }
    }
    if !unknown.is_empty() {
        return unprocessable("Update customers failed.", unknown);
    }
    // Emails: another customer's, or one email for two in the batch.
    let mut seen: HashSet<String> = HashSet::new();
    for (id, c) in &changes {
        let Some(email) = c.get("email").and_then(Value::as_str) else {
            continue;
        };
        let lower = email.to_lowercase();
        let holder = at.store.by_email.get(&lower).map(|&i| i as u64 + 1);
        if holder.is_some_and(|h| h != *id) || !seen.insert(lower) {
            at.counters.duplicates_refused += 1;
            let mut errors = Map::new();
            errors.insert(
                ".customer_update".into(),
                format!("Error updating customers: email {email} already in use").into(),
            );
            return unprocessable("Update customers failed.", errors);
        }
    }
    let now = input.now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut data = Vec::with_capacity(changes.len());
    for (id, c) in changes {
        if let Some(email) = c.get("email").and_then(Value::as_str) {
            // A new email moves the customer's lookup key.
            let old = at.store.by_id(id).and_then(|s| {
                let view: Value = serde_json::from_str(&s.view).ok()?;
                Some(view["email"].as_str()?.to_lowercase())
            });
            let new = email.to_lowercase();
            if old.as_deref() != Some(new.as_str()) {
                if let Some(old) = old {
                    at.store.by_email.remove(&old);
                }
                at.store.by_email.insert(new, (id - 1) as usize);
            }
        }
        at.store.change_view(id, &now, |view| {
            for (k, v) in c.iter().filter(|(k, _)| k.as_str() != "id") {
                view.insert(k.clone(), v.clone());
            }
        });
        if let Some(stored) = at.store.by_id(id) {
            data.push(serde_json::from_str(&stored.view).unwrap_or(Value::Null));
        }
    }
    Answer::new(200, json!({"data": data, "meta": {}}))
}

/// The address `id` of customer `customer_id` in its view, as an object.
fn stored_address(store: &mut Store, customer_id: u64, id: u64) -> Option<Obj> {
    let stored = store.by_id(customer_id)?;
    let view: Value = serde_json::from_str(&stored.view).ok()?;
    view["addresses"]
        .as_array()?
        .iter()
        .find(|a| a["id"].as_u64() == Some(id))?
        .as_object()
        .cloned()
}

/// `POST /stores/{hash}/v3/customers/addresses`: 1–10 addresses, each
/// with an existing `customer_id` and the create's address rules; added
/// to their customers.
fn add_addresses(at: Locked<'_, Store>, input: &Input<'_>) -> Answer {
    let items = match batch_items(input, "addresses") {
        Ok(items) => items,
        Err(answer) => return answer,
    };
    let mut problems = Problems::default();
    let mut adds: Vec<(u64, Obj)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(a) = item.as_object() else {
            problems.add(i.to_string(), "must be an address object");
            continue;
        };
        let mut fields = a.clone();
        let owner = fields.remove("customer_id");
        let owner_at = format!("{i}.customer_id");
        match owner.as_ref().map(Value::as_u64) {
            None => problems.add(&owner_at, "is required"),
            Some(None) => problems.add(&owner_at, "must be a positive integer"),
            Some(Some(id)) if at.store.by_id(id).is_none() => {
                problems.add(&owner_at, format!("customer id {id} does not exist"))
            }
            Some(Some(id)) => adds.push((id, fields.clone())),
        }
        check_address(&i.to_string(), &Value::Object(fields), &mut problems);
    }
    if let Some(answer) = problems_answer(problems) {
        return answer;
    }
    let now = input.now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut data = Vec::with_capacity(adds.len());
    for (customer_id, fields) in adds {
        let view = at.store.address_view(customer_id, &fields);
        if let Some(address_id) = view["id"].as_u64() {
            at.store.address_owner.insert(address_id, customer_id);
        }
        let added = view.clone();
        at.store.change_view(customer_id, &now, move |c| {
            if let Some(list) = c.get_mut("addresses").and_then(Value::as_array_mut) {
                list.push(added);
                let n = list.len();
                c.insert("address_count".into(), n.into());
            }
        });
        data.push(view);
    }
    Answer::new(200, json!({"data": data, "meta": {}}))
}

/// `PUT /stores/{hash}/v3/customers/addresses`: 1–10 changes, each with
/// an existing address `id`; the address as changed must pass the
/// create's rules.
fn change_addresses(at: Locked<'_, Store>, input: &Input<'_>) -> Answer {
    let items = match batch_items(input, "addresses") {
        Ok(items) => items,
        Err(answer) => return answer,
    };
    let mut problems = Problems::default();
    let mut edits: Vec<(u64, u64, Obj)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(a) = item.as_object() else {
            problems.add(i.to_string(), "must be an address object");
            continue;
        };
        let id_at = format!("{i}.id");
        let id = match a.get("id").map(Value::as_u64) {
            None => {
                problems.add(&id_at, "is required");
                continue;
            }
            Some(None) => {
                problems.add(&id_at, "must be a positive integer");
                continue;
            }
            Some(Some(id)) => id,
        };
        let owner = at.store.address_owner.get(&id).copied();
        let Some((owner, current)) =
            owner.and_then(|o| Some((o, stored_address(at.store, o, id)?)))
        else {
            problems.add(&id_at, format!("address id {id} does not exist"));
            continue;
        };
        // The address as it would be: its stored fields, changed.
        let mut merged: Obj = current
            .into_iter()
            .filter(|(k, _)| ADDRESS_FIELDS.contains(&k.as_str()))
            .collect();
        merged.extend(
            a.iter()
                .filter(|(k, _)| k.as_str() != "id")
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        check_address(
            &i.to_string(),
            &Value::Object(merged.clone()),
            &mut problems,
        );
        edits.push((owner, id, merged));
    }
    if let Some(answer) = problems_answer(problems) {
        return answer;
    }
    let now = input.now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut data = Vec::with_capacity(edits.len());
    for (owner, id, merged) in edits {
        let mut changed = Value::Null;
        at.store.change_view(owner, &now, |c| {
            let Some(list) = c.get_mut("addresses").and_then(Value::as_array_mut) else {
                return;
            };
            if let Some(Value::Object(a)) = list.iter_mut().find(|a| a["id"].as_u64() == Some(id)) {
                for (k, v) in merged {
                    a.insert(k, v);
                }
                let code = a.get("country_code").and_then(Value::as_str).unwrap_or("");
                let country = rust_iso3166::from_alpha2(code).map_or("", |c| c.name);
                a.insert("country".into(), country.into());
                changed = Value::Object(a.clone());
            }
        });
        data.push(changed);
    }
    Answer::new(200, json!({"data": data, "meta": {}}))
}

/// `GET /stores/{hash}/v3/customers/addresses?customer_id:in=…&page=…&limit=…`:
/// the addresses of those customers (of every customer without the
/// filter), in id order.
fn list_addresses(at: Locked<'_, Store>, input: &Input<'_>) -> Answer {
    let pairs = query_pairs(input.query);
    let page = page_param(&pairs, "page", 1, u64::from(u32::MAX));
    let limit = page_param(&pairs, "limit", DEFAULT_LIMIT, MAX_LIMIT);
    let (page, limit) = match (page, limit) {
        (Ok(p), Ok(l)) => (p, l),
        (Err(e), _) | (_, Err(e)) => {
            let mut errors = Map::new();
            errors.insert("query".into(), e.into());
            return unprocessable("The query is invalid", errors);
        }
    };
    let filter = pairs.iter().rev().find(|(k, _)| k == "customer_id:in");
    let ids: Option<HashSet<u64>> = match filter {
        None => None,
        Some((_, v)) => {
            let parsed: Result<HashSet<u64>, _> = v
                .split(',')
                .filter(|s| !s.trim().is_empty())
                .map(|s| s.trim().parse::<u64>())
                .collect();
            match parsed {
                Ok(set) => Some(set),
                Err(_) => {
                    let mut errors = Map::new();
                    errors.insert(
                        "customer_id:in".into(),
                        "must be a comma-separated list of integers".into(),
                    );
                    return unprocessable("The query is invalid", errors);
                }
            }
        }
    };
    let mut all: Vec<Value> = at
        .store
        .customers
        .iter()
        .filter(|s| ids.as_ref().is_none_or(|ids| ids.contains(&s.id)))
        .filter_map(|s| serde_json::from_str::<Value>(&s.view).ok())
        .flat_map(|v| match v.get("addresses") {
            Some(Value::Array(list)) => list.clone(),
            _ => Vec::new(),
        })
        .collect();
    all.sort_by_key(|a| a["id"].as_u64());
    let total = all.len() as u64;
    let (items, pages) = paginate(&all, page, limit);
    let data: Vec<Value> = items.to_vec();
    Answer::new(
        200,
        json!({
            "data": data,
            "meta": {"pagination": {
                "total": total,
                "count": data.len(),
                "per_page": limit,
                "current_page": page,
                "total_pages": pages,
            }},
        }),
    )
}
