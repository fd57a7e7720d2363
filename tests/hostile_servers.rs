//! The writer against hostile servers (issue 15, points 1, 2, 5, 6, 8):
//! answers that never settle a record spend its retry budget; a search that
//! shows new records late gets no second copy; redirects are never
//! followed; huge server-requested waits stop the run; a journal that
//! cannot be written stops it with exit 3. Each server is a small one
//! started by the test on 127.0.0.1:0; no test waits a fixed time.

mod support;

use std::net::SocketAddr;
use std::process::Output;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use storeload::sandbox::{self, FaultSpec, SandboxConfig};
use support::*;

/// How the hostile server answers a POST (a create).
#[derive(Clone)]
enum Post {
    /// 500 with the platform's error shape.
    Status500,
    /// 200 with an HTML page.
    Html,
    /// 201 with a body that names no id.
    CreatedWithoutId,
    /// Never answers.
    Silent,
    /// 307 to this URL.
    Redirect(String),
    /// This status, these headers, this body.
    Answer(u16, Vec<(&'static str, String)>, String),
    /// Stores the customer, never answers; search shows it `lag` later.
    StoreLagged(Duration),
}

/// What a server saw and holds.
#[derive(Default)]
struct Seen {
    posts: AtomicU64,
    gets: AtomicU64,
    /// Requests that carried a platform credential header.
    with_credentials: AtomicU64,
    /// Stored customers: (email, when stored).
    stored: Mutex<Vec<(String, DateTime<Utc>)>>,
}

/// A server on its own runtime for the length of one test.
struct Server {
    runtime: Option<tokio::runtime::Runtime>,
    addr: SocketAddr,
    seen: Arc<Seen>,
}

/// Every redirect, to whatever, is answered with this for all methods.
const ALL_METHODS: bool = true;

impl Server {
    /// Answers GETs as an empty (or lagging) search and POSTs as `post`;
    /// with `redirect_all`, a `Post::Redirect` answers GETs too.
    fn start(post: Post, redirect_all: bool) -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime builds");
        let seen = Arc::new(Seen::default());
        let state = (post, redirect_all, seen.clone());
        let addr = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind 127.0.0.1:0");
            let addr = listener.local_addr().expect("local addr");
            let app = Router::new().fallback(answer).with_state(Arc::new(state));
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
            addr
        });
        Server {
            runtime: Some(runtime),
            addr,
            seen,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn posts(&self) -> u64 {
        self.seen.posts.load(Ordering::SeqCst)
    }

    fn requests(&self) -> u64 {
        self.posts() + self.seen.gets.load(Ordering::SeqCst)
    }

    /// Stored email → copies.
    fn copies(&self) -> std::collections::HashMap<String, usize> {
        let mut m = std::collections::HashMap::new();
        for (e, _) in self.seen.stored.lock().expect("lock").iter() {
            *m.entry(e.clone()).or_insert(0) += 1;
        }
        m
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            // Silent handlers never end: do not wait for them.
            rt.shutdown_background();
        }
    }
}

type ServerState = Arc<(Post, bool, Arc<Seen>)>;

async fn answer(
    State(state): State<ServerState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (post, redirect_all, seen) = (&state.0, state.1, &state.2);
    if ["x-api-key", "x-auth-token", "authorization"]
        .iter()
        .any(|h| headers.contains_key(*h))
    {
        seen.with_credentials.fetch_add(1, Ordering::SeqCst);
    }
    let redirect = |to: &str| {
        (
            StatusCode::TEMPORARY_REDIRECT,
            [("location", to.to_string())],
            "",
        )
            .into_response()
    };
    if method == Method::GET {
        seen.gets.fetch_add(1, Ordering::SeqCst);
        if let (Post::Redirect(to), true) = (post, redirect_all) {
            return redirect(to);
        }
        let lag = match post {
            Post::StoreLagged(lag) => *lag,
            _ => Duration::ZERO,
        };
        let search = uri
            .query()
            .and_then(|q| url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "search"))
            .map(|(_, v)| v.to_lowercase())
            .unwrap_or_default();
        let now = Utc::now();
        let data: Vec<Value> = seen
            .stored
            .lock()
            .expect("lock")
            .iter()
            .enumerate()
            .filter(|(_, (e, at))| {
                *e == search && *at + chrono::Duration::from_std(lag).expect("small lag") <= now
            })
            .map(|(i, (e, at))| json!({"id": format!("c{i}"), "email": e, "createdAt": at.to_rfc3339()}))
            .collect();
        return (
            StatusCode::OK,
            axum::Json(json!({"data": data, "meta": {}})),
        )
            .into_response();
    }
    seen.posts.fetch_add(1, Ordering::SeqCst);
    match post {
        Post::Status500 => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({"error": {"code": "INTERNAL", "message": "boom"}})),
        )
            .into_response(),
        Post::Html => (
            StatusCode::OK,
            [("content-type", "text/html")],
            "<html><body>Welcome to our maintenance page</body></html>",
        )
            .into_response(),
        Post::CreatedWithoutId => {
            (StatusCode::CREATED, axum::Json(json!({"data": {}}))).into_response()
        }
        Post::Silent => std::future::pending().await,
        Post::Redirect(to) => redirect(to),
        Post::Answer(status, extra, text) => {
            let mut r = (
                StatusCode::from_u16(*status).expect("a valid status"),
                [("content-type", "application/json")],
                text.clone(),
            )
                .into_response();
            for (k, v) in extra {
                r.headers_mut()
                    .insert(*k, v.parse().expect("a header value"));
            }
            r
        }
        Post::StoreLagged(_) => {
            let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if let Some(e) = v.get("email").and_then(Value::as_str) {
                seen.stored
                    .lock()
                    .expect("lock")
                    .push((e.to_lowercase(), Utc::now()));
            }
            std::future::pending().await
        }
    }
}

/// Runs the binary with a deadline: a run that hangs is killed and fails
/// the test (the bug these tests guard against is a run that never ends).
fn run_bounded(args: &[&str], env: &[(&str, String)]) -> Output {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_path = dir.path().join("out");
    let err_path = dir.path().join("err");
    let mut child = command(args, env)
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("spawn storeload");
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "storeload {} did not end within 120 s\n{}",
                args.join(" "),
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = Output {
        status,
        stdout: std::fs::read(&out_path).unwrap_or_default(),
        stderr: std::fs::read(&err_path).unwrap_or_default(),
    };
    eprintln!(
        "$ storeload {}\n--- exit {:?}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// An input of `n` customers and a journal path in a new directory.
fn input(n: usize, tag: &str) -> (tempfile::TempDir, String, String, Vec<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.csv");
    let emails = write_customers(&input, n, 0, tag);
    let journal = dir.path().join("run.journal");
    (
        dir,
        input.to_str().expect("utf-8 path").to_string(),
        journal.to_str().expect("utf-8 path").to_string(),
        emails,
    )
}

/// Sets the import's `--timeout` to 1 s (a server that never answers).
fn with_timeout_1(args: &mut [&str]) {
    let at = args
        .iter()
        .position(|a| *a == "--timeout")
        .expect("import_args sets --timeout");
    args[at + 1] = "1";
}

fn bitbybit_env() -> Vec<(&'static str, String)> {
    env_for("bitbybit")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bitbybit_answers_that_settle_nothing_leave_every_record_in_doubt_within_its_retry_budget() {
    let cases = [
        ("500", Post::Status500),
        ("html", Post::Html),
        ("201 without id", Post::CreatedWithoutId),
        ("no answer", Post::Silent),
    ];
    let n = 3;
    for (name, post) in cases {
        let server = Server::start(post, false);
        let (_dir, input, journal, emails) = input(n, "budget");
        let base = server.url("/customer/api/open/v1");
        let mut args = import_args(&input, "bitbybit", &journal, &base);
        with_timeout_1(&mut args);
        args.extend(["--max-retries", "1", "--settle-delay", "0"]);
        let out = run_bounded(&args, &bitbybit_env());
        assert_eq!(
            out.status.code(),
            Some(1),
            "{name}: finished, some in doubt"
        );
        let outcomes = journal_outcomes(std::path::Path::new(&journal));
        for e in &emails {
            assert_eq!(
                outcomes.get(e).map(String::as_str),
                Some("in_doubt"),
                "{name}: {e}"
            );
        }
        // Each record: its first try and one retry (--max-retries 1), the
        // resend after a lookup that found nothing included.
        assert_eq!(server.posts(), (n * 2) as u64, "{name}: POSTs");
        assert!(
            stderr(&out).contains("in doubt")
                || String::from_utf8_lossy(&out.stdout).contains("in doubt"),
            "{name}: the summary lists them"
        );
    }
}

#[test]
fn bitbybit_resends_after_lookups_obey_give_up_after() {
    let server = Server::start(Post::Status500, false);
    let (_dir, input, journal, _) = input(2, "giveup");
    let base = server.url("/customer/api/open/v1");
    let mut args = import_args(&input, "bitbybit", &journal, &base);
    // Only --give-up-after can end this run early: the budget is huge.
    args.extend([
        "--max-retries",
        "100000",
        "--settle-delay",
        "0",
        "--give-up-after",
        "1",
    ]);
    let out = run_bounded(&args, &bitbybit_env());
    assert_eq!(out.status.code(), Some(3), "a whole-run stop");
    assert!(
        stderr(&out).contains("nothing but server errors"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bitbybit_search_that_lags_gets_each_unanswered_customer_exactly_once() {
    // Stored at once, never answered, shown in search 2 s later: the
    // lookup right after the 1 s timeout finds nothing, the one after the
    // settle delay (4 s after the send) finds it.
    let server = Server::start(Post::StoreLagged(Duration::from_secs(2)), false);
    let (_dir, input, journal, emails) = input(3, "lag");
    let base = server.url("/customer/api/open/v1");
    let mut args = import_args(&input, "bitbybit", &journal, &base);
    with_timeout_1(&mut args);
    args.extend(["--settle-delay", "4"]);
    let out = run_bounded(&args, &bitbybit_env());
    assert_eq!(out.status.code(), Some(0));
    let copies = server.copies();
    for e in &emails {
        assert_eq!(copies.get(e), Some(&1), "{e} stored exactly once");
    }
    assert_eq!(server.posts(), emails.len() as u64);
    // The journal says when each lookup ran: the last, which found the
    // record, at least the settle delay after its send.
    let lines = journal_lines(std::path::Path::new(&journal));
    let time = |v: &Value| {
        DateTime::parse_from_rfc3339(v.as_str().expect("a time"))
            .expect("RFC 3339")
            .with_timezone(&Utc)
    };
    for e in &emails {
        let sent = lines
            .iter()
            .find(|l| l["type"] == "sent" && l["records"][0]["key"] == e.as_str())
            .expect("a sent line");
        let created = lines
            .iter()
            .find(|l| l["type"] == "created" && l["key"] == e.as_str())
            .expect("a created line");
        let lookups = created["lookups"].as_array().expect("lookups recorded");
        assert!(lookups.len() >= 2, "{e}: {created}");
        let last = time(lookups.last().expect("one lookup"));
        assert!(
            last - time(&sent["at"]) >= chrono::Duration::seconds(4),
            "{e}: found by a lookup after the settle delay: {sent} {created}"
        );
    }
}

#[test]
fn sandbox_search_lag_hides_a_new_bitbybit_customer_until_the_lag_has_passed() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        // An hour's lag first: "not yet in search" holds however long the
        // search takes to come on a loaded machine. The lag is read at each
        // search, so shortening it to 1 s then shows the record 1 s after
        // it was stored.
        let faults: FaultSpec = "search_lag=3600".parse().expect("a spec");
        let sb = sandbox::start(SandboxConfig {
            faults,
            ..SandboxConfig::default()
        })
        .await
        .expect("sandbox");
        let base = sb.base_url("bitbybit");
        let client = reqwest::Client::new();
        let stored_at = Instant::now();
        let created = client
            .post(format!("{base}/customers"))
            .header("x-api-key", sandbox::BITBYBIT_API_KEY)
            .json(&json!({"email": "late@example.com"}))
            .send()
            .await
            .expect("POST");
        assert_eq!(created.status().as_u16(), 201);
        let search = || async {
            let v: Value = client
                .get(format!("{base}/customers?search=late@example.com"))
                .header("x-api-key", sandbox::BITBYBIT_API_KEY)
                .send()
                .await
                .expect("GET")
                .json()
                .await
                .expect("JSON");
            v["data"].as_array().map_or(0, Vec::len)
        };
        assert_eq!(search().await, 0, "not in search right after it was stored");
        assert_eq!(sb.customers("bitbybit").len(), 1, "but stored");
        sb.set_faults(FaultSpec::none().with_search_lag(Duration::from_secs(1)));
        let deadline = Instant::now() + Duration::from_secs(20);
        while search().await == 0 {
            assert!(Instant::now() < deadline, "never shown in search");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            stored_at.elapsed() >= Duration::from_secs(1),
            "shown only after the lag"
        );
        sb.stop().await;
    });
}

#[test]
fn import_follows_no_redirect_and_fails_the_records_naming_where_it_pointed() {
    for (platform, base_path) in [
        ("bitbybit", "/customer/api/open/v1"),
        ("bigcommerce", "/stores/sandbox/v3"),
    ] {
        let elsewhere = Server::start(Post::CreatedWithoutId, false);
        let target = elsewhere.url("/customers");
        let server = Server::start(Post::Redirect(target.clone()), false);
        let (_dir, input, journal, emails) = input(3, "redirect");
        let base = server.url(base_path);
        let args = import_args(&input, platform, &journal, &base);
        let out = run_bounded(&args, &env_for(platform));
        assert_eq!(out.status.code(), Some(1), "{platform}");
        assert_eq!(
            elsewhere.requests(),
            0,
            "{platform}: nothing sent to {target}"
        );
        assert_eq!(elsewhere.seen.with_credentials.load(Ordering::SeqCst), 0);
        let lines = journal_lines(std::path::Path::new(&journal));
        for e in &emails {
            let failed = lines
                .iter()
                .rev()
                .find(|l| l["key"] == e.as_str())
                .expect("an outcome");
            assert_eq!(failed["type"], "failed", "{platform}: {failed}");
            let reason = failed["reason"].as_str().unwrap_or_default();
            assert!(
                reason.contains("307") && reason.contains(&target),
                "{platform}: {reason}"
            );
        }
    }
}

#[test]
fn check_exits_3_on_a_redirect_and_sends_no_credential_to_its_target() {
    for (platform, base_path) in [
        ("bitbybit", "/customer/api/open/v1"),
        ("bigcommerce", "/stores/sandbox/v3"),
        ("salesive", "/api/v1"),
    ] {
        let elsewhere = Server::start(Post::CreatedWithoutId, false);
        let target = elsewhere.url("/steal");
        let server = Server::start(Post::Redirect(target.clone()), ALL_METHODS);
        let base = server.url(base_path);
        let out = run_bounded(
            &["check", "--to", platform, "--base-url", &base],
            &env_for(platform),
        );
        assert_eq!(out.status.code(), Some(3), "{platform}");
        assert!(
            stderr(&out).contains(&target),
            "{platform}: names where it pointed"
        );
        assert_eq!(elsewhere.requests(), 0, "{platform}: nothing followed");
        assert_eq!(elsewhere.seen.with_credentials.load(Ordering::SeqCst), 0);
    }
}

#[test]
fn waits_longer_than_max_wait_stop_the_run_naming_the_header() {
    let created = r#"{"data":{"id":"c1","email":"x@example.com"}}"#.to_string();
    let too_many = r#"{"error":{"code":"RATE_LIMIT_EXCEEDED","message":"slow down"}}"#.to_string();
    let bc_429 = r#"{"status":429,"title":"Too many requests"}"#.to_string();
    let cases = [
        (
            "bitbybit",
            "/customer/api/open/v1",
            Post::Answer(429, vec![("retry-after", "999999".into())], too_many),
            "Retry-After: 999999",
        ),
        (
            "bitbybit",
            "/customer/api/open/v1",
            Post::Answer(
                201,
                vec![
                    ("ratelimit-limit", "100".into()),
                    ("ratelimit-remaining", "0".into()),
                    ("ratelimit-reset", "999999999".into()),
                ],
                created,
            ),
            "RateLimit-Reset: 999999999",
        ),
        (
            "bigcommerce",
            "/stores/sandbox/v3",
            Post::Answer(
                429,
                vec![
                    ("x-rate-limit-requests-left", "0".into()),
                    ("x-rate-limit-time-reset-ms", "999999999".into()),
                ],
                bc_429,
            ),
            "X-Rate-Limit-Time-Reset-Ms: 999999999",
        ),
    ];
    for (platform, base_path, post, header) in cases {
        let server = Server::start(post, false);
        let (_dir, input, journal, _) = input(3, "wait");
        let base = server.url(base_path);
        let args = import_args(&input, platform, &journal, &base);
        let out = run_bounded(&args, &env_for(platform));
        assert_eq!(out.status.code(), Some(3), "{platform} {header}");
        let err = stderr(&out);
        assert!(err.contains(header), "{platform}: names {header}: {err}");
        assert!(err.contains("--max-wait 900 s"), "{err}");
        assert!(err.contains("storeload resume"), "resumable: {err}");
        // The request answered with the wait is journaled failed (not
        // applied), the rest not sent: `status` counts each record once.
        let out = run_bounded(&["status", &journal, "--json", "-"], &[]);
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("status --json - is JSON");
        let c = &v["counts"];
        assert_eq!(c["total"], 3, "{platform}: each record once: {v}");
    }
}

#[test]
fn a_wait_past_max_wait_asked_by_the_last_answer_stops_nothing() {
    // Every answer creates its record and says the quota is spent for the
    // next 31 years: a run with one record is done, not stopped; a run
    // with two stops before the second goes out.
    let created = r#"{"data":{"id":"c1","email":"x@example.com"}}"#.to_string();
    let spent = vec![
        ("ratelimit-limit", "100".to_string()),
        ("ratelimit-remaining", "0".to_string()),
        ("ratelimit-reset", "999999999".to_string()),
    ];
    for (records, code, created_n, not_sent) in [(1, 0, 1, 0), (2, 3, 1, 1)] {
        let server = Server::start(Post::Answer(201, spent.clone(), created.clone()), false);
        let (_dir, input, journal, _) = input(records, "last");
        let base = server.url("/customer/api/open/v1");
        let mut args = import_args(&input, "bitbybit", &journal, &base);
        // One request at a time: the second goes out after the first's
        // answer, or not at all.
        args.extend(["--concurrency", "1"]);
        let out = run_bounded(&args, &env_for("bitbybit"));
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{records} records: {err}");
        assert_eq!(server.posts(), created_n, "{records} records: {err}");
        let out = run_bounded(&["status", &journal, "--json", "-"], &[]);
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("status --json - is JSON");
        assert_eq!(v["counts"]["created"], created_n, "{v}");
        assert_eq!(v["counts"]["not_sent"], not_sent, "{v}");
        if code == 3 {
            assert!(err.contains("RateLimit-Reset: 999999999"), "{err}");
        }
    }
}

/// Runs the import of `rig` (bitbybit) plus `extra`, with every file it
/// writes limited to 16 KiB: each write past it fails (EFBIG), as on a
/// full disk; SIGXFSZ is ignored so that the write fails instead of
/// killing the process. The journal's header fits; the run's lines do not.
#[cfg(unix)]
fn import_on_a_full_disk(rig: &Rig, extra: &[&str]) -> std::process::Output {
    let binary = bin();
    let mut args = vec![
        "-c",
        r#"trap "" XFSZ; ulimit -f 16; exec "$0" "$@""#,
        binary.to_str().expect("utf-8 path"),
    ];
    args.extend(rig.args());
    args.extend_from_slice(extra);
    let mut cmd = std::process::Command::new("sh");
    cmd.args(&args);
    for (k, v) in bitbybit_env() {
        cmd.env(k, v);
    }
    cmd.output().expect("sh runs")
}

#[cfg(unix)]
#[test]
fn a_journal_that_cannot_be_written_stops_the_run_with_exit_3() {
    let rig = Rig::new("bitbybit", 300, "full");
    let out = import_on_a_full_disk(&rig, &[]);
    let err = stderr(&out);
    eprintln!("{err}");
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("journal"), "{err}");
    // The resume line must not claim what the disk-full line denies.
    assert!(!err.contains("journal is flushed"), "{err}");
    assert!(
        err.contains("could not be written to its end") && err.contains("storeload resume"),
        "{err}"
    );
    let size = std::fs::metadata(&rig.journal).expect("the journal").len();
    assert!(size <= 16 * 1024, "the limit held: {size}");
    assert!(
        rig.sb.customers("bitbybit").len() < 300,
        "the run stopped before sending everything"
    );
}

#[cfg(unix)]
#[test]
fn a_summary_after_the_journal_filled_up_gives_the_runs_own_counts() {
    // As above, a full disk by the file-size limit. The journal cannot
    // take its end line; the summary (a small new file) still gives the
    // counts the run kept and the terminal showed, not zeros.
    let rig = Rig::new("bitbybit", 300, "fullsum");
    let summary = rig.dir.path().join("night.json");
    let out = import_on_a_full_disk(&rig, &["--summary", summary.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = std::fs::read_to_string(&summary).expect("the summary is written");
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(v["exit_code"], 3, "{v}");
    assert_eq!(v["counted"], true, "{v}");
    assert_eq!(v["journal_ended"], false, "{v}");
    let created = v["counts"]["created"].as_u64().expect("created");
    let stored = rig.sb.customers("bitbybit").len() as u64;
    assert!(
        created > 0 && created <= stored,
        "created {created}, stored {stored}: {v}"
    );
    assert!(v["rows_read"].as_u64().unwrap_or(0) >= created, "{v}");
}
