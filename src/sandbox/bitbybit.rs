//! bitbybit Open API in the sandbox (specs/bitbybit-*.md, FACTS.md):
//! `POST /customer/api/open/v1/customers` (email or phoneNumber required,
//! every address needs address1; no uniqueness: a resend is a second
//! customer), `POST …/orders` (line items from the catalog, a shipping
//! address, a `customerId` that exists or an inline `customer` found by
//! email/phone or created; total = Σ price × quantity; order numbers count up
//! from 1001), `GET …/customers?search=…` (the lookup), the `x-api-key` keys,
//! the `{"error":{"code","message"}}` shape, and the stored records.
//!
//! An unknown `customerId` or `productVariantId` is a 400 `VALIDATION_ERROR`
//! naming the field, not a 404 (which a client reads as a wrong endpoint).
//! A body without a JSON Content-Type is read as `{}`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::routing::post;
use chrono::SecondsFormat;
use serde_json::{Map, Value, json};

use super::catalog::{Variant, cents_to_number, default_catalog};
use super::check::{Need, Obj, Problems, contains_ci, page_param, paginate, query_pairs, text};
use super::config::SandboxConfig;
use super::conn::Conn;
use super::gate::{self, Input, Route};
use super::platform::{
    self, Access, Answer, Credential, Headers, Platform, Refusal, SandboxPlatform, whole_secs,
};
use super::quota::QuotaState;
use super::state::{Ids, Locked, Shared};
use crate::values::{email_problem, phone_key};

/// A bitbybit API key with every scope.
pub const BITBYBIT_API_KEY: &str = crate::platform::bitbybit::SANDBOX_API_KEY;
/// A bitbybit API key refused on every endpoint with 403 `INSUFFICIENT_SCOPE`.
pub const BITBYBIT_NOSCOPE_KEY: &str = "bbb_test_noscope";
/// A bitbybit API key not tied to a company: 400 `MISSING_COMPANY_ID`.
pub const BITBYBIT_NOCOMPANY_KEY: &str = "bbb_test_nocompany";
/// A bitbybit API key restricted to other IPs: 403 `IP_NOT_ALLOWED`.
pub const BITBYBIT_IP_BLOCKED_KEY: &str = "bbb_test_ipblocked";

/// The fields of a create-customer body.
const CUSTOMER_FIELDS: &[&str] = &[
    "email",
    "phoneNumber",
    "firstName",
    "lastName",
    "imageUrl",
    "tags",
    "addresses",
];
/// The fields of AddressInput.
const ADDRESS_FIELDS: &[&str] = &[
    "firstName",
    "lastName",
    "phone",
    "address1",
    "address2",
    "city",
    "province",
    "country",
    "zip",
    "mainAddress",
];
/// The fields of a create-order body.
const ORDER_FIELDS: &[&str] = &[
    "customerId",
    "customer",
    "lineItems",
    "shippingAddress",
    "notes",
    "tags",
];
/// The fields of ShippingAddressInput, and those it requires.
const SHIPPING_FIELDS: &[&str] = &[
    "firstName",
    "lastName",
    "phone",
    "address1",
    "address2",
    "city",
    "province",
    "country",
    "zip",
];
const SHIPPING_REQUIRED: &[&str] = &[
    "firstName",
    "lastName",
    "phone",
    "address1",
    "city",
    "province",
    "zip",
];
/// The lookup's page size: default and largest.
const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 100;
/// Order numbers start here.
const FIRST_ORDER_NUMBER: u64 = 1001;
/// Orders are priced in this currency.
const CURRENCY: &str = "USD";

/// The bitbybit Open API, as the sandbox stands in for it.
pub(crate) struct Bitbybit;

impl SandboxPlatform for Bitbybit {
    fn base_path(&self) -> &'static str {
        "/customer/api/open/v1"
    }

    fn authenticate(&self, headers: &HeaderMap, _: Option<&str>) -> Result<Credential, Refusal> {
        authenticate(headers)
    }

    fn error_body(&self, r: &Refusal) -> Value {
        error_body(r.code, &r.message)
    }

    /// The IETF draft's `RateLimit-*` headers FACTS.md describes (reset in
    /// seconds); a 429 adds `Retry-After`.
    fn quota_headers(&self, state: &QuotaState, limited: bool) -> Headers {
        let mut h: Headers = vec![
            ("ratelimit-limit", state.limit.to_string()),
            ("ratelimit-remaining", state.left.to_string()),
            ("ratelimit-reset", whole_secs(state.reset).to_string()),
        ];
        if limited {
            h.push(("retry-after", whole_secs(state.reset).to_string()));
        }
        h
    }

    /// A company with the configured product variants (orders refer to them).
    fn new_store(&self, config: &SandboxConfig) -> Box<dyn platform::Store> {
        Box::new(Store {
            catalog: config
                .catalog
                .clone()
                .unwrap_or_else(default_catalog)
                .into(),
            ..Store::default()
        })
    }
}

/// The routes of bitbybit, whose requests go through the gate as `me`.
pub(crate) fn routes(me: Platform) -> Router<Arc<Shared>> {
    let route = move |access| Route {
        platform: me,
        access,
        store: None,
    };
    Router::new()
        .route(
            "/customer/api/open/v1/customers",
            post(
                move |State(shared): State<Arc<Shared>>,
                      ConnectInfo(conn): ConnectInfo<Conn>,
                      req: Request| {
                    gate::handle(shared, conn, route(Access::Write), req, create_customer)
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
        .route(
            "/customer/api/open/v1/orders",
            post(
                move |State(shared): State<Arc<Shared>>,
                      ConnectInfo(conn): ConnectInfo<Conn>,
                      req: Request| {
                    gate::handle(shared, conn, route(Access::Write), req, create_order)
                },
            )
            .fallback(gate::method_not_allowed),
        )
}

/// `x-api-key`: missing → 401 MISSING_API_KEY, unknown → 401 INVALID_API_KEY;
/// the no-company key → 400 MISSING_COMPANY_ID, the blocked key → 403
/// IP_NOT_ALLOWED; the no-scope key is known but may do nothing (403 later).
fn authenticate(headers: &HeaderMap) -> Result<Credential, Refusal> {
    let key = headers
        .get("x-api-key")
        .map(|v| v.to_str().unwrap_or("\u{fffd}").trim())
        .filter(|k| !k.is_empty());
    match key {
        None => Err(Refusal::new(
            401,
            "MISSING_API_KEY",
            "API key is required: send it in the x-api-key header",
        )),
        Some(BITBYBIT_API_KEY) => Ok(Credential {
            label: "full",
            read: true,
            write: true,
        }),
        Some(BITBYBIT_NOSCOPE_KEY) => Ok(Credential {
            label: "noscope",
            read: false,
            write: false,
        }),
        Some(BITBYBIT_NOCOMPANY_KEY) => Err(Refusal::new(
            400,
            "MISSING_COMPANY_ID",
            "The API key is not linked to a company",
        )),
        Some(BITBYBIT_IP_BLOCKED_KEY) => Err(Refusal::new(
            403,
            "IP_NOT_ALLOWED",
            "Requests from this IP address are not allowed for this API key",
        )),
        Some(_) => Err(Refusal::new(
            401,
            "INVALID_API_KEY",
            "Invalid or expired API key",
        )),
    }
}

/// `{"error":{"code":…,"message":…}}`.
fn error_body(code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message}})
}

fn invalid(message: impl AsRef<str>) -> Answer {
    Answer::new(
        400,
        error_body(
            "VALIDATION_ERROR",
            &format!("Invalid request body: {}", message.as_ref()),
        ),
    )
}

/// One stored customer.
#[derive(Debug)]
struct Customer {
    id: String,
    email: Option<String>,
    phone: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    /// The customer as bitbybit answers it (compact JSON).
    view: Box<str>,
    /// What the client sent (the create body, or an order's inline customer).
    request: Box<str>,
    /// When it was stored: the `search_lag` fault hides it from the lookup
    /// until that long after.
    stored_at: chrono::DateTime<chrono::Utc>,
}

/// One stored order.
#[derive(Debug)]
struct Order {
    view: Box<str>,
    request: Box<str>,
}

/// The company's customers and orders, and the product variants its
/// orders may refer to.
#[derive(Debug, Default)]
pub(crate) struct Store {
    customers: Vec<Customer>,
    by_id: HashMap<String, usize>,
    orders: Vec<Order>,
    /// Shared, so that an order's lines can refer to it while the customer
    /// it names is stored.
    catalog: Arc<[Variant]>,
}

fn with_request(view: &str, request: &str) -> Value {
    let mut v: Value = serde_json::from_str(view).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "_request".into(),
            serde_json::from_str(request).unwrap_or(Value::Null),
        );
    }
    v
}

impl platform::Store for Store {
    fn customer_count(&self) -> usize {
        self.customers.len()
    }

    fn order_count(&self) -> usize {
        self.orders.len()
    }

    fn customers(&self) -> Vec<Value> {
        self.customers
            .iter()
            .map(|c| with_request(&c.view, &c.request))
            .collect()
    }

    fn orders(&self) -> Vec<Value> {
        self.orders
            .iter()
            .map(|o| with_request(&o.view, &o.request))
            .collect()
    }
}

impl Store {
    /// Stores a customer from a valid create body; returns its view.
    fn add_customer(&mut self, ids: &mut Ids, c: &Obj, request: &Value, now: &str) -> Value {
        let mut id = ids.uuid();
        while self.by_id.contains_key(&id) {
            id = ids.uuid();
        }
        let s = |o: &Obj, k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
        let addresses: Vec<Value> = c
            .get("addresses")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_object)
                    .map(|a| {
                        json!({
                            "id": ids.uuid(),
                            "firstName": s(a, "firstName"),
                            "lastName": s(a, "lastName"),
                            "phone": s(a, "phone"),
                            "address1": s(a, "address1"),
                            "address2": s(a, "address2"),
                            "city": s(a, "city"),
                            "province": s(a, "province"),
                            "country": s(a, "country"),
                            "zip": s(a, "zip"),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let view = json!({
            "id": id,
            "email": s(c, "email"),
            "phoneNumber": s(c, "phoneNumber"),
            "firstName": s(c, "firstName"),
            "lastName": s(c, "lastName"),
            "imageUrl": s(c, "imageUrl"),
            "tags": c.get("tags").cloned().unwrap_or_else(|| json!([])),
            "addresses": addresses,
            "createdAt": now,
            "updatedAt": now,
        });
        self.by_id.insert(id.clone(), self.customers.len());
        self.customers.push(Customer {
            id,
            email: text(c, "email").map(str::to_string),
            phone: text(c, "phoneNumber").map(str::to_string),
            first_name: text(c, "firstName").map(str::to_string),
            last_name: text(c, "lastName").map(str::to_string),
            view: view.to_string().into_boxed_str(),
            request: request.to_string().into_boxed_str(),
            stored_at: chrono::DateTime::parse_from_rfc3339(now)
                .map(|t| t.with_timezone(&chrono::Utc))
                .unwrap_or_else(|_| chrono::Utc::now()),
        });
        view
    }

    /// The first customer with this email (case-insensitive), else this phone.
    fn find(&self, email: Option<&str>, phone: Option<&str>) -> Option<usize> {
        if let Some(e) = email {
            let e = e.trim().to_lowercase();
            if let Some(i) = self
                .customers
                .iter()
                .position(|c| c.email.as_deref().is_some_and(|x| x.to_lowercase() == e))
            {
                return Some(i);
            }
        }
        let key = phone
            .map(phone_key)
            .filter(|k| k.chars().any(|c| c.is_ascii_digit()))?;
        self.customers
            .iter()
            .position(|c| c.phone.as_deref().is_some_and(|p| phone_key(p) == key))
    }
}

/// Reads a JSON object body (`{}` when the Content-Type is not JSON).
fn object_body(input: &Input<'_>) -> Result<Obj, Answer> {
    if !input.json_body {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(input.body) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(other) => Err(invalid(format!(
            "the body must be a JSON object, not {}",
            super::check::kind(&other)
        ))),
        Err(e) => Err(invalid(format!("the body is not valid JSON ({e})"))),
    }
}

fn timestamp(input: &Input<'_>) -> String {
    input.now.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `POST /customer/api/open/v1/customers`.
fn create_customer(at: Locked<'_, Store>, input: &Input<'_>) -> Answer {
    let c = match object_body(input) {
        Ok(c) => c,
        Err(a) => return a,
    };
    let mut pr = Problems::default();
    check_customer(&c, &mut pr);
    if !pr.is_empty() {
        return invalid(pr.sentence());
    }
    let now = timestamp(input);
    let request = Value::Object(c.clone());
    let view = at.store.add_customer(at.ids, &c, &request, &now);
    Answer::new(201, json!({"data": view}))
}

fn check_customer(c: &Obj, pr: &mut Problems) {
    pr.unknown(c, CUSTOMER_FIELDS, str::to_string);
    // No length is documented for any field: only the one email check
    // (DECISIONS.md) and the required ones are enforced.
    let email = pr.string(c, "email", "email", Need::Optional, 0, usize::MAX);
    if let Some(e) = email
        && let Some(why) = email_problem(e)
    {
        pr.add(
            "email",
            format!("must be a valid email ('{e}' is not: {why})"),
        );
    }
    let phone = pr.string(
        c,
        "phoneNumber",
        "phoneNumber",
        Need::Optional,
        0,
        usize::MAX,
    );
    if phone.is_some_and(|p| p.trim().is_empty()) {
        pr.add("phoneNumber", "must not be blank");
    }
    if text(c, "email").is_none() && text(c, "phoneNumber").is_none() {
        pr.add("email", "or phoneNumber is required");
    }
    for k in ["firstName", "lastName", "imageUrl"] {
        pr.string(c, k, k, Need::Optional, 0, usize::MAX);
    }
    pr.strings(c, "tags", "tags", Need::Optional, usize::MAX);
    if let Some(addresses) = pr.array(c, "addresses", "addresses", Need::Optional, usize::MAX) {
        for (i, a) in addresses.iter().enumerate() {
            let base = format!("addresses[{i}]");
            let Some(a) = a.as_object() else {
                pr.add(base, "must be an address object");
                continue;
            };
            pr.unknown(a, ADDRESS_FIELDS, |k| format!("{base}.{k}"));
            pr.string(
                a,
                "address1",
                &format!("{base}.address1"),
                Need::Required,
                1,
                usize::MAX,
            );
            for k in ADDRESS_FIELDS
                .iter()
                .filter(|k| !matches!(**k, "address1" | "mainAddress"))
            {
                pr.string(a, k, &format!("{base}.{k}"), Need::Optional, 0, usize::MAX);
            }
            pr.boolean(
                a,
                "mainAddress",
                &format!("{base}.mainAddress"),
                Need::Optional,
            );
        }
    }
}

/// `POST /customer/api/open/v1/orders`.
fn create_order(at: Locked<'_, Store>, input: &Input<'_>) -> Answer {
    let o = match object_body(input) {
        Ok(o) => o,
        Err(a) => return a,
    };
    let catalog = Arc::clone(&at.store.catalog);
    let mut pr = Problems::default();
    pr.unknown(&o, ORDER_FIELDS, str::to_string);

    // Line items, priced from the catalog.
    let mut lines: Vec<(&Variant, u64)> = Vec::new();
    if let Some(items) = pr.array(&o, "lineItems", "lineItems", Need::Required, 1000) {
        if items.is_empty() {
            pr.add("lineItems", "must hold at least one item");
        }
        for (i, item) in items.iter().enumerate() {
            let base = format!("lineItems[{i}]");
            let Some(item) = item.as_object() else {
                pr.add(base, "must be an object with productVariantId and quantity");
                continue;
            };
            pr.unknown(item, &["productVariantId", "quantity"], |k| {
                format!("{base}.{k}")
            });
            let path = format!("{base}.productVariantId");
            let variant = pr
                .string(
                    item,
                    "productVariantId",
                    &path,
                    Need::Required,
                    1,
                    usize::MAX,
                )
                .and_then(|id| {
                    let found = catalog.iter().find(|v| v.id == id);
                    if found.is_none() {
                        pr.add(
                            &path,
                            format!("'{id}' is not a product variant of this store"),
                        );
                    }
                    found
                });
            let path = format!("{base}.quantity");
            let quantity = match item.get("quantity") {
                None | Some(Value::Null) => {
                    pr.add(&path, "is required");
                    None
                }
                Some(q) => match q.as_u64().filter(|n| *n >= 1) {
                    Some(n) => Some(n),
                    None => {
                        pr.add(path, format!("must be an integer of at least 1 (got {q})"));
                        None
                    }
                },
            };
            if let (Some(v), Some(q)) = (variant, quantity) {
                lines.push((v, q));
            }
        }
    }

    // Shipping address.
    let shipping = pr.object(&o, "shippingAddress", "shippingAddress", Need::Required);
    if let Some(a) = shipping {
        pr.unknown(a, SHIPPING_FIELDS, |k| format!("shippingAddress.{k}"));
        for k in SHIPPING_FIELDS {
            let need = if SHIPPING_REQUIRED.contains(k) {
                Need::Required
            } else {
                Need::Optional
            };
            pr.string(a, k, &format!("shippingAddress.{k}"), need, 0, usize::MAX);
        }
    }
    pr.string(&o, "notes", "notes", Need::Optional, 0, usize::MAX);
    pr.strings(&o, "tags", "tags", Need::Optional, usize::MAX);

    // The customer: an existing id, or an inline customer to find or create.
    let customer_id = pr.string(
        &o,
        "customerId",
        "customerId",
        Need::Optional,
        1,
        usize::MAX,
    );
    let existing = customer_id.and_then(|id| {
        let found = at.store.by_id.get(id).copied();
        if found.is_none() {
            pr.add("customerId", format!("'{id}' does not match any customer"));
        }
        found
    });
    let inline = pr.object(&o, "customer", "customer", Need::Optional);
    if let Some(c) = inline {
        pr.unknown(c, &["firstName", "lastName", "phone", "email"], |k| {
            format!("customer.{k}")
        });
        pr.string(
            c,
            "firstName",
            "customer.firstName",
            Need::Required,
            1,
            usize::MAX,
        );
        pr.string(
            c,
            "lastName",
            "customer.lastName",
            Need::Required,
            1,
            usize::MAX,
        );
        if let Some(e) = pr.string(c, "email", "customer.email", Need::Optional, 0, usize::MAX)
            && let Some(why) = email_problem(e)
        {
            pr.add(
                "customer.email",
                format!("must be a valid email ('{e}' is not: {why})"),
            );
        }
        pr.string(c, "phone", "customer.phone", Need::Optional, 0, usize::MAX);
        if customer_id.is_none() && text(c, "email").is_none() && text(c, "phone").is_none() {
            pr.add(
                "customer.email",
                "or customer.phone is required to find or create the customer",
            );
        }
    }
    if customer_id.is_none() && inline.is_none() {
        pr.add("customerId", "or customer is required");
    }

    let total_cents = lines.iter().try_fold(0u64, |sum, (v, q)| {
        v.price_cents
            .checked_mul(*q)
            .and_then(|l| sum.checked_add(l))
    });
    if total_cents.is_none() {
        pr.add("lineItems", "the order total is too large");
    }
    if !pr.is_empty() {
        return invalid(pr.sentence());
    }
    let total_cents = total_cents.unwrap_or(0);
    let now = timestamp(input);

    // Resolve (or create) the customer.
    let store = at.store;
    let index = match (existing, inline) {
        (Some(i), _) => i,
        (None, Some(c)) => match store.find(text(c, "email"), text(c, "phone")) {
            Some(i) => i,
            None => {
                let mut body = Map::new();
                for (from, to) in [
                    ("email", "email"),
                    ("phone", "phoneNumber"),
                    ("firstName", "firstName"),
                    ("lastName", "lastName"),
                ] {
                    if let Some(v) = text(c, from) {
                        body.insert(to.into(), v.into());
                    }
                }
                store.add_customer(at.ids, &body, &Value::Object(c.clone()), &now);
                store.customers.len() - 1
            }
        },
        // Unreachable: a body with neither failed validation above.
        (None, None) => return invalid("customerId or customer is required"),
    };
    let Some(customer) = store.customers.get(index) else {
        return invalid("customerId does not match any customer");
    };
    let customer_json = json!({
        "id": customer.id,
        "firstName": customer.first_name,
        "lastName": customer.last_name,
        "email": customer.email,
        "phoneNumber": customer.phone,
    });

    let ids = at.ids;
    let line_items: Vec<Value> = lines
        .iter()
        .map(|(v, q)| {
            json!({
                "id": ids.uuid(),
                "quantity": q,
                "price": v.price(),
                "title": v.title,
                "productVariant": v.json(),
            })
        })
        .collect();
    let ship = shipping.cloned().unwrap_or_default();
    let s = |k: &str| ship.get(k).and_then(Value::as_str).map(str::to_string);
    let shipping_json = json!({
        "id": ids.uuid(),
        "firstName": s("firstName"),
        "lastName": s("lastName"),
        "phone": s("phone"),
        "address1": s("address1"),
        "address2": s("address2"),
        "city": s("city"),
        "province": s("province"),
        "country": s("country"),
        "zip": s("zip"),
    });
    let number = FIRST_ORDER_NUMBER + store.orders.len() as u64;
    let view = json!({
        "id": ids.uuid(),
        "orderId": null,
        "orderNumber": number.to_string(),
        "status": "active",
        "fulfillmentStatus": "unfulfilled",
        "financialStatus": "pending",
        "total": cents_to_number(total_cents),
        "currency": CURRENCY,
        "notes": o.get("notes").and_then(Value::as_str),
        "customer": customer_json,
        "lineItems": line_items,
        "shippingAddress": shipping_json,
        "tags": o.get("tags").cloned().unwrap_or_else(|| json!([])),
        "createdAt": now,
        "updatedAt": now,
    });
    store.orders.push(Order {
        view: view.to_string().into_boxed_str(),
        request: Value::Object(o.clone()).to_string().into_boxed_str(),
    });
    Answer::new(201, json!({"data": view}))
}

/// `GET /customer/api/open/v1/customers?search=…&page=…&limit=…`: a
/// case-insensitive substring match on email, phone and names (a search
/// that looks like a phone also matches by digits), oldest first.
fn list(at: Locked<'_, Store>, input: &Input<'_>) -> Answer {
    let pairs = query_pairs(input.query);
    let (page, limit) = match (
        page_param(&pairs, "page", 1, u64::from(u32::MAX)),
        page_param(&pairs, "limit", DEFAULT_LIMIT, MAX_LIMIT),
    ) {
        (Ok(p), Ok(l)) => (p, l),
        (Err(e), _) | (_, Err(e)) => return invalid(e),
    };
    let search = pairs
        .iter()
        .rev()
        .find(|(k, _)| k == "search")
        .map(|(_, v)| v.trim().to_lowercase())
        .unwrap_or_default();
    let looks_like_phone = !search.is_empty()
        && !search.contains('@')
        && !search.chars().any(char::is_alphabetic)
        && search.chars().any(|c| c.is_ascii_digit());
    let digits: String = search.chars().filter(char::is_ascii_digit).collect();
    // The `search_lag` fault: a record shows in search only that long after
    // it was stored (an eventually consistent index).
    let lag = chrono::Duration::from_std(at.dice.search_lag()).unwrap_or(chrono::Duration::MAX);
    let matched: Vec<&Customer> = at
        .store
        .customers
        .iter()
        .filter(|c| {
            c.stored_at
                .checked_add_signed(lag)
                .is_some_and(|t| t <= input.now)
        })
        .filter(|c| {
            if search.is_empty() {
                return true;
            }
            let field = |f: &Option<String>| f.as_deref().is_some_and(|s| contains_ci(s, &search));
            field(&c.email)
                || field(&c.phone)
                || field(&c.first_name)
                || field(&c.last_name)
                || (looks_like_phone
                    && c.phone.as_deref().is_some_and(|p| {
                        p.chars()
                            .filter(char::is_ascii_digit)
                            .collect::<String>()
                            .contains(&digits)
                    }))
        })
        .collect();
    let total = matched.len();
    let (items, pages) = paginate(&matched, page, limit);
    let data: Vec<Value> = items
        .iter()
        .map(|c| serde_json::from_str(&c.view).unwrap_or(Value::Null))
        .collect();
    Answer::new(
        200,
        json!({"data": data, "meta": {"page": page, "limit": limit, "total": total, "pages": pages}}),
    )
}
