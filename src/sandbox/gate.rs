//! The path every platform request takes around its platform's handler:
//! credential (401/404) → quota (429) → scope (403) → concurrency → fault →
//! body cap (413) → the handler, under the state lock → fault after storing
//! (`lost`, `slow`) → latency. It knows platforms only through their
//! [`SandboxPlatform`](super::platform::SandboxPlatform) trait: each refusal
//! is shaped, and each credential read, by the platform's own file, and
//! every answer is counted by status.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::config::MAX_BODY_BYTES;
use super::conn::Conn;
use super::faults::Fault;
use super::platform::{Access, Answer, Headers, Platform, Refusal, Store};
use super::quota::Admission;
use super::state::{Locked, Shared};

/// Which platform endpoint a request is for.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    /// The platform, as its routes were given it.
    pub platform: Platform,
    /// What the request needs of its credential.
    pub access: Access,
    /// The store or account the path names (BigCommerce's `{store_hash}`).
    pub store: Option<String>,
}

/// What a platform handler gets: the body, the query and the request's facts.
#[derive(Debug)]
pub(crate) struct Input<'a> {
    pub body: &'a [u8],
    /// The raw query string ("" when none).
    pub query: &'a str,
    /// Whether Content-Type says JSON.
    pub json_body: bool,
    /// Whether the `partial` fault was drawn for this request.
    pub partial: bool,
    pub now: DateTime<Utc>,
}

/// Runs one platform request through the gate and `op`.
/// `op` gets the platform's part of the state with its store as an `S`.
pub(crate) async fn handle<S, F>(
    shared: Arc<Shared>,
    conn: Conn,
    route: Route,
    req: Request,
    op: F,
) -> Response
where
    S: Store,
    F: FnOnce(Locked<'_, S>, &Input<'_>) -> Answer,
{
    let p = route.platform;
    shared.lock().count(p, |c| c.requests += 1);

    let credential = match p.spec().authenticate(req.headers(), route.store.as_deref()) {
        Ok(c) => c,
        Err(r) => return finish(&shared, p, p.refusal(&r), Vec::new()).await,
    };

    let admission = shared
        .lock()
        .windows
        .admit(p.index(), credential.label, Instant::now());
    let quota = match admission {
        Admission::Admitted(state) => state,
        Admission::Limited(state) => {
            let headers = p.spec().quota_headers(&state, true);
            let r = Refusal::new(
                429,
                "RATE_LIMIT_EXCEEDED",
                format!(
                    "Rate limit exceeded: {} requests per {} ms; retry in {} ms",
                    state.limit,
                    state.window.as_millis(),
                    state.reset.as_millis()
                ),
            );
            return finish(&shared, p, p.refusal(&r), headers).await;
        }
    };
    let headers = p.spec().quota_headers(&quota, false);

    if !credential.allows(route.access) {
        let r = Refusal::new(403, "INSUFFICIENT_SCOPE", "Insufficient scope");
        return finish(&shared, p, p.refusal(&r), headers).await;
    }

    let Ok(_in_flight) = InFlight::enter(&shared, p) else {
        // Too many at once for the store: platform load, no quota headers.
        let r = Refusal::new(
            429,
            "RATE_LIMIT_EXCEEDED",
            "Too many concurrent requests for this store",
        );
        return finish(&shared, p, p.refusal(&r), Vec::new()).await;
    };

    let fault = shared.lock().dice.roll();
    if let Some(status) = fault.and_then(Fault::status) {
        shared
            .lock()
            .count(p, |c| c.count_fault(fault.map_or("", Fault::name)));
        let r = injected(status);
        // An injected 429 is platform load: it carries no quota headers.
        let headers = if status == 429 { Vec::new() } else { headers };
        return finish(&shared, p, p.refusal(&r), headers).await;
    }

    let json_body = is_json(req.headers());
    let (parts, body) = req.into_parts();
    let bytes = if parts.method == Method::POST || parts.method == Method::PUT {
        match read_body(body).await {
            Ok(b) => b,
            Err(BodyError::TooLarge) => {
                let r = Refusal::new(
                    413,
                    "PAYLOAD_TOO_LARGE",
                    format!("Request body larger than {MAX_BODY_BYTES} bytes"),
                );
                return finish(&shared, p, p.refusal(&r), headers).await;
            }
            Err(BodyError::Broken) => {
                // The client went away mid-body: nothing to answer.
                return drop_connection(&shared, p, &conn, "aborted").await;
            }
        }
    } else {
        Vec::new()
    };

    if fault == Some(Fault::Reset) {
        shared.lock().count(p, |c| c.count_fault("reset"));
        return drop_connection(&shared, p, &conn, "reset").await;
    }

    let input = Input {
        body: &bytes,
        query: parts.uri.query().unwrap_or(""),
        json_body,
        partial: fault == Some(Fault::Partial),
        now: shared.now(),
    };
    let answer = {
        let mut g = shared.lock();
        match g.locked::<S>(p) {
            Some(held) => op(held, &input),
            // Routes are built with their own platform's handle: a store of
            // another type is a wiring mistake, answered, never a panic.
            None => p.refusal(&Refusal::new(
                500,
                "INTERNAL_ERROR",
                format!("sandbox: no {} store behind this route", p.name()),
            )),
        }
    };

    match fault {
        Some(Fault::Lost) => {
            shared.lock().count(p, |c| c.count_fault("lost"));
            return drop_connection(&shared, p, &conn, "lost").await;
        }
        Some(Fault::Slow) => {
            shared.lock().count(p, |c| c.count_fault("slow"));
            pause(&shared, shared.settings.slow_delay).await;
        }
        _ => {}
    }
    finish(&shared, p, answer, headers).await
}

/// Counts the answer, waits the latency, and builds the response.
async fn finish(shared: &Shared, p: Platform, answer: Answer, headers: Headers) -> Response {
    record(shared, p, &answer.status.to_string());
    pause(shared, shared.settings.latency).await;
    respond(answer, headers)
}

/// Ends the connection without an answer (after the latency).
async fn drop_connection(shared: &Shared, p: Platform, conn: &Conn, what: &str) -> Response {
    record(shared, p, what);
    pause(shared, shared.settings.latency).await;
    conn.kill.kill();
    // Never written: every write on a killed connection fails.
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

fn record(shared: &Shared, p: Platform, key: &str) {
    shared
        .lock()
        .count(p, |c| *c.by_status.entry(key.to_string()).or_insert(0) += 1);
}

/// Sleeps `d`, cut short when the sandbox stops.
async fn pause(shared: &Shared, d: Duration) {
    if d.is_zero() {
        return;
    }
    let mut stop = shared.shutdown.clone();
    if *stop.borrow() {
        return;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => {}
        _ = stop.wait_for(|s| *s) => {}
    }
}

fn respond(answer: Answer, headers: Headers) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, axum::Json(answer.body)).into_response();
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            resp.headers_mut().insert(HeaderName::from_static(name), v);
        }
    }
    resp
}

fn injected(status: u16) -> Refusal {
    match status {
        429 => Refusal::new(
            429,
            "RATE_LIMIT_EXCEEDED",
            "Too many requests; try again later",
        ),
        502 => Refusal::new(502, "BAD_GATEWAY", "Bad gateway"),
        503 => Refusal::new(503, "SERVICE_UNAVAILABLE", "Service unavailable"),
        504 => Refusal::new(504, "GATEWAY_TIMEOUT", "Gateway timeout"),
        _ => Refusal::new(500, "INTERNAL_ERROR", "Internal server error"),
    }
}

/// Whether Content-Type names JSON (`application/json`, `…+json`, any parameters).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let mime = v
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

enum BodyError {
    TooLarge,
    Broken,
}

/// Reads the whole body, refusing more than [`MAX_BODY_BYTES`].
async fn read_body(mut body: Body) -> Result<Vec<u8>, BodyError> {
    if body
        .size_hint()
        .exact()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(BodyError::TooLarge);
    }
    let mut buf = Vec::new();
    loop {
        let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await;
        match frame {
            None => return Ok(buf),
            Some(Err(_)) => return Err(BodyError::Broken),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    if buf.len() + data.len() > MAX_BODY_BYTES {
                        return Err(BodyError::TooLarge);
                    }
                    buf.extend_from_slice(&data);
                }
            }
        }
    }
}

/// Counts a request in flight on a platform with a concurrency limit.
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    /// `Ok` when under the limit (or none applies), `Err` when over it.
    fn enter(shared: &'a Shared, p: Platform) -> Result<Option<InFlight<'a>>, ()> {
        let Some(max) = shared.settings.max_concurrency else {
            return Ok(None);
        };
        if !p.spec().limits_concurrency() {
            return Ok(None);
        }
        let Some(counter) = shared.in_flight(p) else {
            return Ok(None);
        };
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        let guard = InFlight(counter);
        if n > max {
            return Err(());
        }
        Ok(Some(guard))
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// 404 for an unknown path, in the shape of the platform its prefix names.
pub(crate) async fn not_found(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    off_route(&shared, &uri, 404, "NOT_FOUND", "Not found").await
}

/// 405 for a known path with a method it does not take.
pub(crate) async fn method_not_allowed(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    off_route(
        &shared,
        &uri,
        405,
        "METHOD_NOT_ALLOWED",
        "Method not allowed",
    )
    .await
}

async fn off_route(
    shared: &Shared,
    uri: &Uri,
    status: u16,
    code: &'static str,
    message: &str,
) -> Response {
    let path = uri.path();
    let owner = shared
        .platforms()
        .iter()
        .copied()
        .find(|p| p.spec().owns_path(path));
    match owner {
        Some(p) => {
            shared.lock().count(p, |c| c.requests += 1);
            let r = Refusal::new(status, code, format!("{message}: {path}"));
            finish(shared, p, p.refusal(&r), Vec::new()).await
        }
        None => {
            let bases: Vec<&str> = shared
                .platforms()
                .iter()
                .map(|p| p.spec().base_path())
                .collect();
            respond(
                Answer::new(
                    status,
                    serde_json::json!({"error": format!("{message}: {path}"), "platforms": bases, "inspection": ["/_sandbox/stats", "/_sandbox/customers?platform=…", "/_sandbox/orders"]}),
                ),
                Vec::new(),
            )
        }
    }
}
