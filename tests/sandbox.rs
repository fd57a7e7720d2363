//! The sandbox's contract, through real HTTP: each platform's status codes
//! and error shapes, validation, uniqueness, quota headers and 429s, every
//! fault kind, orders, lookups and the inspection endpoints. Every test
//! starts its own sandbox on 127.0.0.1:0.

use std::time::{Duration, Instant};

use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use storeload::sandbox::{self, FaultSpec, Quota, SandboxConfig, SandboxHandle, Stats, Variant};

/// A running sandbox and a client for it.
struct Sb {
    h: SandboxHandle,
    c: Client,
}

fn client(timeout: Duration) -> Client {
    Client::builder()
        .no_proxy()
        .timeout(timeout)
        .build()
        .expect("a reqwest client builds")
}

impl Sb {
    async fn start(config: SandboxConfig) -> Sb {
        let h = sandbox::start(config)
            .await
            .expect("the sandbox binds 127.0.0.1:0");
        Sb {
            h,
            c: client(Duration::from_secs(5)),
        }
    }

    async fn default() -> Sb {
        Sb::start(SandboxConfig::default()).await
    }

    async fn with_faults(spec: &str, seed: u64) -> Sb {
        Sb::start(SandboxConfig {
            faults: spec.parse().expect("fault spec parses"),
            seed,
            ..SandboxConfig::default()
        })
        .await
    }

    fn url(&self, platform: &str, path: &str) -> String {
        format!("{}{path}", self.h.base_url(platform))
    }

    fn stats(&self) -> Stats {
        self.h.stats()
    }

    /// POST a BigCommerce batch with the full token.
    async fn bc(&self, body: &Value) -> Response {
        self.c
            .post(self.url("bigcommerce", "/customers"))
            .header("X-Auth-Token", sandbox::BIGCOMMERCE_ACCESS_TOKEN)
            .json(body)
            .send()
            .await
            .expect("the sandbox answers")
    }

    async fn bc_lookup(&self, query: &str) -> Response {
        self.c
            .get(self.url("bigcommerce", &format!("/customers?{query}")))
            .header("X-Auth-Token", sandbox::BIGCOMMERCE_ACCESS_TOKEN)
            .send()
            .await
            .expect("the sandbox answers")
    }

    /// POST a Salesive customer with `token`.
    async fn sv(&self, token: &str, body: &Value) -> Response {
        self.c
            .post(self.url("salesive", "/customers"))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("the sandbox answers")
    }

    async fn sv_lookup(&self, token: &str, query: &str) -> Response {
        self.c
            .get(self.url("salesive", &format!("/customers?{query}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("the sandbox answers")
    }

    /// POST to a bitbybit path with the good key.
    async fn bbb(&self, path: &str, body: &Value) -> Response {
        self.bbb_key(path, Some(sandbox::BITBYBIT_API_KEY), body)
            .await
    }

    async fn bbb_key(&self, path: &str, key: Option<&str>, body: &Value) -> Response {
        let mut req = self.c.post(self.url("bitbybit", path)).json(body);
        if let Some(k) = key {
            req = req.header("x-api-key", k);
        }
        req.send().await.expect("the sandbox answers")
    }

    async fn bbb_lookup(&self, search: &str) -> Response {
        self.c
            .get(self.url("bitbybit", "/customers"))
            .query(&[("search", search)])
            .header("x-api-key", sandbox::BITBYBIT_API_KEY)
            .send()
            .await
            .expect("the sandbox answers")
    }
}

async fn body(r: Response) -> Value {
    r.json().await.expect("a JSON body")
}

fn header(r: &Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn header_num(r: &Response, name: &str) -> u64 {
    header(r, name)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("header {name} is a number in {:?}", r.headers()))
}

fn bc_customer(email: &str) -> Value {
    json!({"email": email, "first_name": "Ann", "last_name": "Lee"})
}

fn bc_batch(prefix: &str, n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| bc_customer(&format!("{prefix}{i}@example.com")))
            .collect(),
    )
}

fn sv_customer(email: &str) -> Value {
    json!({"name": "Ada Obi", "email": email, "phone": "+2348012345678"})
}

fn shipping() -> Value {
    json!({"firstName": "Ada", "lastName": "Obi", "phone": "+628123", "address1": "Jl. Merdeka 1",
           "city": "Jakarta", "province": "DKI Jakarta", "zip": "10110", "country": "Indonesia"})
}

fn status_count(s: &Stats, platform: &str, key: &str) -> u64 {
    s.platform(platform)
        .and_then(|p| p.by_status.get(key).copied())
        .unwrap_or(0)
}

fn fault_count(s: &Stats, platform: &str, kind: &str) -> u64 {
    s.platform(platform)
        .and_then(|p| p.faults.get(kind).copied())
        .unwrap_or(0)
}

/// Waits until the sandbox's stats show `what` (looked at every 5 ms, for
/// at most 30 s) and returns them: a test waits for a state, never for a
/// guessed time.
async fn stats_until(h: &SandboxHandle, what: &str, ready: impl Fn(&Stats) -> bool) -> Stats {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let s = h.stats();
        if ready(&s) {
            return s;
        }
        assert!(Instant::now() < deadline, "waited 30 s for {what}: {s:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A BigCommerce batch POST that runs on its own task, by a client that
/// waits up to two minutes (for answers a test releases itself).
fn bc_spawned(sb: &Sb, prefix: &str) -> tokio::task::JoinHandle<reqwest::Result<Response>> {
    tokio::spawn(
        client(Duration::from_secs(120))
            .post(sb.url("bigcommerce", "/customers"))
            .header("X-Auth-Token", sandbox::BIGCOMMERCE_ACCESS_TOKEN)
            .json(&bc_batch(prefix, 1))
            .send(),
    )
}

// ---------------------------------------------------------------- BigCommerce

#[tokio::test]
async fn bigcommerce_creates_a_batch_and_answers_200_with_integer_ids() {
    let sb = Sb::default().await;
    let r = sb.bc(&bc_batch("ok", 3)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v = body(r).await;
    assert_eq!(v["meta"], json!({}));
    let data = v["data"].as_array().expect("data is an array");
    assert_eq!(data.len(), 3);
    for (i, c) in data.iter().enumerate() {
        assert!(c["id"].is_u64(), "integer id: {c}");
        assert_eq!(c["email"], format!("ok{i}@example.com"));
        assert_eq!(c["first_name"], "Ann");
        assert!(c["date_created"].as_str().is_some_and(|d| d.ends_with('Z')));
    }
    assert_eq!(sb.h.customers("bigcommerce").len(), 3);
    assert_eq!(sb.stats().platforms["bigcommerce"].customers, 3);
}

#[tokio::test]
async fn bigcommerce_without_or_with_a_wrong_token_is_401_in_its_shape() {
    let sb = Sb::default().await;
    let url = sb.url("bigcommerce", "/customers");
    for token in [None, Some("nope")] {
        let mut req = sb.c.post(&url).json(&bc_batch("a", 1));
        if let Some(t) = token {
            req = req.header("X-Auth-Token", t);
        }
        let r = req.send().await.expect("answer");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let v = body(r).await;
        assert_eq!(v["status"], 401);
        assert!(v["title"].is_string() && v["type"].is_string(), "{v}");
    }
    assert_eq!(sb.h.customers("bigcommerce").len(), 0);
}

#[tokio::test]
async fn bigcommerce_unknown_store_hash_is_404() {
    let sb = Sb::default().await;
    let url = format!("http://{}/stores/otherstore/v3/customers", sb.h.addr());
    let r =
        sb.c.post(url)
            .header("X-Auth-Token", sandbox::BIGCOMMERCE_ACCESS_TOKEN)
            .json(&bc_batch("a", 1))
            .send()
            .await
            .expect("answer");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(body(r).await["status"], 404);
}

#[tokio::test]
async fn bigcommerce_batch_of_11_is_413() {
    let sb = Sb::default().await;
    let r = sb.bc(&bc_batch("big", 11)).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body(r).await["status"], 413);
    assert_eq!(sb.h.customers("bigcommerce").len(), 0);
    assert_eq!(sb.bc(&bc_batch("big", 10)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn bigcommerce_empty_array_or_object_is_422_and_broken_json_is_400() {
    let sb = Sb::default().await;
    for b in [json!([]), json!({"email": "a@example.com"})] {
        let r = sb.bc(&b).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(body(r).await["errors"].is_object());
    }
    let r =
        sb.c.post(sb.url("bigcommerce", "/customers"))
            .header("X-Auth-Token", sandbox::BIGCOMMERCE_ACCESS_TOKEN)
            .header("Content-Type", "application/json")
            .body("[{\"email\":")
            .send()
            .await
            .expect("answer");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bigcommerce_body_that_is_not_json_typed_is_415() {
    let sb = Sb::default().await;
    let r =
        sb.c.post(sb.url("bigcommerce", "/customers"))
            .header("X-Auth-Token", sandbox::BIGCOMMERCE_ACCESS_TOKEN)
            .header("Content-Type", "text/plain")
            .body(bc_batch("a", 1).to_string())
            .send()
            .await
            .expect("answer");
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn bigcommerce_invalid_customers_fail_the_whole_batch_with_422_naming_index_and_field() {
    let sb = Sb::default().await;
    let mut batch = bc_batch("v", 5);
    batch[0]["email"] = json!("not-an-email");
    batch[2]["first_name"] = json!("x".repeat(101));
    batch[3]["addresses"] = json!([{"first_name": "A", "last_name": "B", "address1": "1 St",
                                    "city": "Town", "country_code": "XX"}]);
    batch[4]["channel_ids"] = json!([]);
    let r = sb.bc(&batch).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v = body(r).await;
    assert_eq!(v["status"], 422);
    assert_eq!(v["type"], "/api-docs/getting-started/api-status-codes");
    let errors = v["errors"].as_object().expect("errors object");
    for key in [
        "0.email",
        "2.first_name",
        "3.addresses.0.country_code",
        "4.channel_ids",
    ] {
        assert!(errors.contains_key(key), "{key} in {errors:?}");
    }
    assert!(!errors.keys().any(|k| k.starts_with("1.")), "{errors:?}");
    assert_eq!(sb.h.customers("bigcommerce").len(), 0, "nothing stored");
}

#[tokio::test]
async fn bigcommerce_field_rules_follow_the_spec() {
    let sb = Sb::default().await;
    let addr = |extra: Value| {
        let mut a = json!({"first_name": "A", "last_name": "B", "address1": "1 St", "city": "Town", "country_code": "US"});
        if let (Some(a), Some(e)) = (a.as_object_mut(), extra.as_object()) {
            a.extend(e.clone());
        }
        a
    };
    let cases: Vec<(Value, &str)> = vec![
        (json!({"email": "a@b", "first_name": "A"}), "0.last_name"),
        (
            json!({"email": format!("{}@example.com", "a".repeat(245)), "first_name": "A", "last_name": "B"}),
            "0.email",
        ),
        (
            json!({"email": "a@example.com", "first_name": " ", "last_name": "B"}),
            "0.first_name",
        ),
        (
            json!({"email": "a@example.com", "first_name": "A", "last_name": "B", "phone": "1".repeat(51)}),
            "0.phone",
        ),
        (
            json!({"email": "a@example.com", "first_name": "A", "last_name": "B", "company": "c".repeat(256)}),
            "0.company",
        ),
        (
            json!({"email": "a@example.com", "first_name": "A", "last_name": "B", "tax_exempt_category": "t".repeat(256)}),
            "0.tax_exempt_category",
        ),
        (
            json!({"email": "a@example.com", "first_name": "A", "last_name": "B", "addresses": vec![addr(json!({})); 11]}),
            "0.addresses",
        ),
        (
            json!({"email": "a@example.com", "first_name": "A", "last_name": "B", "addresses": [addr(json!({"state_or_province": "CA"}))]}),
            "0.addresses.0.state_or_province",
        ),
        (
            json!({"email": "a@example.com", "first_name": "A", "last_name": "B", "addresses": [addr(json!({"postal_code": "9".repeat(31)}))]}),
            "0.addresses.0.postal_code",
        ),
        (
            json!({"email": "a@example.com", "first_name": "A", "last_name": "B", "addresses": [addr(json!({"city": null}))]}),
            "0.addresses.0.city",
        ),
        (
            json!({"email": "a@example.com", "first_name": "A", "last_name": "B", "addresses": [addr(json!({"country_code": "us"}))]}),
            "0.addresses.0.country_code",
        ),
        (
            json!({"email": "a@example.com", "first_name": "A", "last_name": "B", "attributes": vec![json!({"attribute_id": 1, "attribute_value": "x"}); 11]}),
            "0.attributes",
        ),
        (
            json!({"email": "a@example.com", "first_name": "A", "last_name": "B", "attributes": [{"attribute_id": "1", "attribute_value": "x"}]}),
            "0.attributes.0.attribute_id",
        ),
        (
            json!({"email": "a@example.com", "first_name": "A", "last_name": "B", "country": "US"}),
            "0.country",
        ),
    ];
    for (customer, key) in cases {
        let r = sb.bc(&json!([customer])).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{key}");
        let v = body(r).await;
        assert!(v["errors"].get(key).is_some(), "{key} in {v}");
    }
    let good = json!([{"email": "ok@example.com", "first_name": "A", "last_name": "B",
        "channel_ids": [1], "addresses": [addr(json!({"state_or_province": "California", "postal_code": "94103"}))],
        "attributes": [{"attribute_id": 1, "attribute_value": "gold"}]}]);
    let r = sb.bc(&good).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v = body(r).await;
    assert_eq!(v["data"][0]["addresses"][0]["country_code"], "US");
    assert_eq!(sb.h.customers("bigcommerce").len(), 1);
}

#[tokio::test]
async fn bigcommerce_states_no_limit_on_an_address_company_or_street_lines() {
    // Issue 14: FACTS.md states no length for these; the sandbox enforces
    // no rule the documents do not state.
    let sb = Sb::default().await;
    let long = "x".repeat(400);
    let c = json!([{"email": "long@example.com", "first_name": "A", "last_name": "B",
        "addresses": [{"first_name": "A", "last_name": "B", "address1": long, "address2": long,
                       "company": long, "city": "Town", "country_code": "DE"}]}]);
    let r = sb.bc(&c).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", body(r).await);
}

#[tokio::test]
async fn bigcommerce_taken_email_is_422_customer_create_naming_it_whatever_its_case() {
    let sb = Sb::default().await;
    assert_eq!(
        sb.bc(&json!([bc_customer("ann@example.com")]))
            .await
            .status(),
        StatusCode::OK
    );
    let batch = json!([
        bc_customer("new@example.com"),
        bc_customer("ANN@Example.com")
    ]);
    let r = sb.bc(&batch).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v = body(r).await;
    assert_eq!(v["title"], "Create customers failed.");
    let msg = v["errors"][".customer_create"]
        .as_str()
        .expect("a .customer_create message");
    assert_eq!(
        msg,
        "Error creating customers: email ANN@Example.com already in use"
    );
    // The batch failed as a whole.
    assert_eq!(sb.h.customers("bigcommerce").len(), 1);
    assert_eq!(sb.stats().platforms["bigcommerce"].duplicates_refused, 1);
}

#[tokio::test]
async fn bigcommerce_email_repeated_in_one_batch_is_422_customer_create() {
    let sb = Sb::default().await;
    let batch = json!([
        bc_customer("twice@example.com"),
        bc_customer("Twice@example.com")
    ]);
    let r = sb.bc(&batch).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v = body(r).await;
    assert!(
        v["errors"][".customer_create"]
            .as_str()
            .is_some_and(|m| m.contains("Twice@example.com already in use"))
    );
    assert_eq!(sb.h.customers("bigcommerce").len(), 0);
}

#[tokio::test]
async fn bigcommerce_keeps_what_the_client_sent_including_the_notification_flag() {
    let sb = Sb::default().await;
    let mut c = bc_customer("quiet@example.com");
    c["trigger_account_created_notification"] = json!(false);
    assert_eq!(
        sb.bc(&json!([c, bc_customer("loud@example.com")]))
            .await
            .status(),
        StatusCode::OK
    );
    let stored = sb.h.customers("bigcommerce");
    assert_eq!(
        stored[0]["_request"]["trigger_account_created_notification"],
        false
    );
    assert!(
        stored[1]["_request"]
            .get("trigger_account_created_notification")
            .is_none()
    );
}

#[tokio::test]
async fn bigcommerce_lookup_by_email_in_finds_customers_case_insensitively() {
    let sb = Sb::default().await;
    assert_eq!(sb.bc(&bc_batch("look", 5)).await.status(), StatusCode::OK);
    let r = sb
        .bc_lookup("email:in=LOOK1@example.com,look3@example.com,absent@example.com&limit=250")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(header(&r, "x-rate-limit-requests-left").is_some());
    let v = body(r).await;
    let emails: Vec<&str> = v["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|c| c["email"].as_str())
        .collect();
    assert_eq!(emails, vec!["look1@example.com", "look3@example.com"]);
    assert_eq!(v["meta"]["pagination"]["total"], 2);
    // Percent-encoded key, as url::Url writes it.
    let r = sb.bc_lookup("email%3Ain=look4%40example.com").await;
    assert_eq!(body(r).await["data"][0]["email"], "look4@example.com");
    assert_eq!(
        sb.bc_lookup("limit=251").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn bigcommerce_read_only_token_is_403_on_create_but_may_look_up() {
    let sb = Sb::default().await;
    let r =
        sb.c.post(sb.url("bigcommerce", "/customers"))
            .header("X-Auth-Token", sandbox::BIGCOMMERCE_READONLY_TOKEN)
            .json(&bc_batch("ro", 1))
            .send()
            .await
            .expect("answer");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(body(r).await["status"], 403);
    let r =
        sb.c.get(sb.url("bigcommerce", "/customers?email:in=ro0@example.com"))
            .header("X-Auth-Token", sandbox::BIGCOMMERCE_READONLY_TOKEN)
            .send()
            .await
            .expect("answer");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(sb.h.customers("bigcommerce").len(), 0);
}

#[tokio::test]
async fn bigcommerce_every_answer_carries_rate_limit_headers_even_without_a_quota() {
    let sb = Sb::default().await;
    for r in [
        sb.bc(&bc_batch("h", 1)).await,
        sb.bc(&json!([])).await,
        sb.bc(&bc_batch("h", 11)).await,
        sb.bc_lookup("email:in=h0@example.com").await,
    ] {
        for h in [
            "x-rate-limit-time-window-ms",
            "x-rate-limit-time-reset-ms",
            "x-rate-limit-requests-quota",
            "x-rate-limit-requests-left",
        ] {
            assert!(header(&r, h).is_some(), "{h} on {}", r.status());
        }
        assert!(header_num(&r, "x-rate-limit-requests-quota") >= 1000);
    }
}

#[tokio::test]
async fn bigcommerce_past_the_quota_is_429_with_headers_and_a_correct_reset() {
    let sb = Sb::start(SandboxConfig {
        quota: Some("2/400ms".parse().expect("quota parses")),
        ..SandboxConfig::default()
    })
    .await;
    let r1 = sb.bc(&bc_batch("q1", 1)).await;
    assert_eq!(header_num(&r1, "x-rate-limit-requests-quota"), 2);
    assert_eq!(header_num(&r1, "x-rate-limit-time-window-ms"), 400);
    assert_eq!(header_num(&r1, "x-rate-limit-requests-left"), 1);
    // A refused (422) request counts too.
    let r2 = sb.bc(&json!([])).await;
    assert_eq!(r2.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(header_num(&r2, "x-rate-limit-requests-left"), 0);
    let before_r3 = Instant::now();
    let r3 = sb.bc(&bc_batch("q3", 1)).await;
    assert_eq!(r3.status(), StatusCode::TOO_MANY_REQUESTS);
    let reset = header_num(&r3, "x-rate-limit-time-reset-ms");
    assert!(reset > 0 && reset <= 400, "reset {reset}");
    assert_eq!(header_num(&r3, "x-rate-limit-requests-left"), 0);
    assert_eq!(header_num(&r3, "x-retry-after"), 1);
    assert_eq!(body(r3).await["status"], 429);
    // Another 429 does not push the window's end back.
    let r4 = sb.bc(&bc_batch("q4", 1)).await;
    assert_eq!(r4.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(header_num(&r4, "x-rate-limit-time-reset-ms") <= reset);
    // The window ends on the sandbox's own clock: wait until its stats (a
    // look that changes nothing) say it has ended, not for a guessed time.
    stats_until(&sb.h, "the first window to end", |s| {
        s.platforms["bigcommerce"]
            .windows
            .last()
            .is_some_and(|w| !w.open)
    })
    .await;
    // It did not end before the reset the 429 announced.
    assert!(
        before_r3.elapsed() >= Duration::from_millis(reset),
        "ended {:?} after the 429, before its reset of {reset} ms",
        before_r3.elapsed()
    );
    let r5 = sb.bc(&bc_batch("q5", 1)).await;
    assert_eq!(r5.status(), StatusCode::OK);
    assert_eq!(header_num(&r5, "x-rate-limit-requests-left"), 1);
    let windows = sb.stats().platforms["bigcommerce"].windows.clone();
    let counts: Vec<u32> = windows.iter().map(|w| w.count).collect();
    assert_eq!(counts, vec![2, 1], "{windows:?}");
    assert!(windows[1].start_ms >= windows[0].start_ms + 400);
    assert_eq!(sb.h.customers("bigcommerce").len(), 2);
}

#[tokio::test]
async fn bigcommerce_auth_failures_do_not_count_toward_the_quota() {
    let sb = Sb::start(SandboxConfig {
        quota: Some("1/10s".parse().expect("quota parses")),
        ..SandboxConfig::default()
    })
    .await;
    for _ in 0..3 {
        let r =
            sb.c.post(sb.url("bigcommerce", "/customers"))
                .json(&bc_batch("n", 1))
                .send()
                .await
                .expect("answer");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(sb.bc(&bc_batch("n", 1)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn bigcommerce_over_max_concurrency_is_429_without_quota_headers() {
    // An hour of latency holds the first request in flight until the test
    // stops the sandbox (which cuts every wait short): the second arrives
    // while it is in flight however loaded the machine is.
    let sb = Sb::start(SandboxConfig {
        max_concurrency: Some(1),
        latency: Duration::from_secs(3600),
        ..SandboxConfig::default()
    })
    .await;
    let first = bc_spawned(&sb, "c1-");
    // An answer is counted before its latency, while the request still
    // holds its place.
    stats_until(&sb.h, "the first request to be in flight", |s| {
        status_count(s, "bigcommerce", "200") == 1
    })
    .await;
    let second = bc_spawned(&sb, "c2-");
    stats_until(&sb.h, "the second request to be refused", |s| {
        status_count(s, "bigcommerce", "429") == 1
    })
    .await;
    sb.h.stop().await;
    let a = first.await.expect("task").expect("the first is answered");
    let b = second.await.expect("task").expect("the second is answered");
    assert_eq!(a.status(), StatusCode::OK);
    assert_eq!(b.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(header(&b, "x-rate-limit-requests-left").is_none());
}

// ------------------------------------------------------------------ Salesive

#[tokio::test]
async fn salesive_creates_a_customer_201_in_the_spec_shape() {
    let sb = Sb::default().await;
    let r = sb
        .sv(sandbox::SALESIVE_APP_TOKEN, &sv_customer("ada@example.com"))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v = body(r).await;
    assert_eq!(v["status"], 201);
    assert_eq!(v["success"], true);
    let c = &v["data"];
    let id = c["_id"].as_str().expect("_id");
    assert!(
        id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    assert_eq!(c["id"], c["_id"]);
    assert_eq!(c["shop"], sandbox::SALESIVE_SHOP_ID);
    assert_eq!(c["user"], Value::Null);
    assert_eq!(c["name"], "Ada Obi");
    assert_eq!(c["phone"], "+2348012345678");
    assert_eq!(c["email"], "ada@example.com");
    assert_eq!(c["active"], true);
    assert_eq!(c["online"], false);
    assert!(
        c["avatar"]
            .as_str()
            .is_some_and(|a| a.contains("seed=Ada%20Obi"))
    );
    for k in ["createdAt", "updatedAt", "lastActive"] {
        let t = c[k].as_str().expect("timestamp");
        assert!(chrono::DateTime::parse_from_rfc3339(t).is_ok(), "{k}: {t}");
    }
    let r = sb
        .sv(
            sandbox::SALESIVE_APP_TOKEN,
            &json!({"name": "B", "email": "b@example.com", "active": false, "phone": null}),
        )
        .await;
    let v = body(r).await;
    assert_eq!(v["data"]["active"], false);
    assert_ne!(v["data"]["_id"], json!(id));
    assert_eq!(sb.h.customers("salesive").len(), 2);
}

#[tokio::test]
async fn salesive_missing_or_unknown_token_is_401_envelope() {
    let sb = Sb::default().await;
    let r =
        sb.c.post(sb.url("salesive", "/customers"))
            .json(&sv_customer("a@example.com"))
            .send()
            .await
            .expect("answer");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        body(r).await,
        json!({"status": 401, "success": false, "message": "Authentication required", "data": null})
    );
    let r = sb.sv("app_unknown", &sv_customer("a@example.com")).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(sb.h.customers("salesive").len(), 0);
}

#[tokio::test]
async fn salesive_read_only_token_is_403_insufficient_scope_on_create_but_may_look_up() {
    let sb = Sb::default().await;
    let r = sb
        .sv(
            sandbox::SALESIVE_READONLY_TOKEN,
            &sv_customer("a@example.com"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        body(r).await,
        json!({"status": 403, "success": false, "message": "Insufficient scope", "data": null})
    );
    let r = sb
        .sv_lookup(sandbox::SALESIVE_READONLY_TOKEN, "search=a")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(sb.h.customers("salesive").len(), 0);
}

#[tokio::test]
async fn salesive_empty_body_probe_is_400_with_write_scope_and_403_without_storing_anything() {
    let sb = Sb::default().await;
    let r = sb.sv(sandbox::SALESIVE_APP_TOKEN, &json!({})).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v = body(r).await;
    assert_eq!(v["success"], false);
    assert_eq!(v["data"], Value::Null);
    let r = sb.sv(sandbox::SALESIVE_READONLY_TOKEN, &json!({})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(sb.h.customers("salesive").len(), 0);
}

#[tokio::test]
async fn salesive_missing_name_or_invalid_email_is_400_naming_the_field() {
    let sb = Sb::default().await;
    for (b, field) in [
        (json!({"email": "a@example.com"}), "name"),
        (json!({"name": "A"}), "email"),
        (json!({"name": "A", "email": "not an email"}), "email"),
        (
            json!({"name": "A", "email": "a@example.com", "shop": "664f0e2a1c2b3d4e5f6a7b8c"}),
            "shop",
        ),
        (
            json!({"name": "A", "email": "a@example.com", "active": "yes"}),
            "active",
        ),
        (
            json!({"name": "A", "email": "a@example.com", "firstName": "A"}),
            "firstName",
        ),
    ] {
        let r = sb.sv(sandbox::SALESIVE_APP_TOKEN, &b).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{b}");
        let v = body(r).await;
        assert_eq!(v["status"], 400);
        assert!(
            v["message"].as_str().is_some_and(|m| m.contains(field)),
            "{field}: {v}"
        );
    }
    assert_eq!(sb.h.customers("salesive").len(), 0);
}

#[tokio::test]
async fn salesive_duplicate_email_is_409_naming_it_as_taken() {
    let sb = Sb::default().await;
    assert_eq!(
        sb.sv(sandbox::SALESIVE_APP_TOKEN, &sv_customer("dup@example.com"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let r = sb
        .sv(sandbox::SALESIVE_APP_TOKEN, &sv_customer("DUP@example.com"))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let v = body(r).await;
    assert_eq!(v["status"], 409);
    assert_eq!(v["success"], false);
    let m = v["message"].as_str().expect("message").to_lowercase();
    assert!(
        m.contains("dup@example.com") && m.contains("already exists"),
        "{m}"
    );
    assert_eq!(sb.h.customers("salesive").len(), 1);
    assert_eq!(sb.stats().platforms["salesive"].duplicates_refused, 1);
}

#[tokio::test]
async fn salesive_lookup_matches_a_substring_case_insensitively_and_caps_limit_at_100() {
    let sb = Sb::default().await;
    for e in ["ann@example.com", "joann@example.com", "bob@example.com"] {
        assert_eq!(
            sb.sv(sandbox::SALESIVE_APP_TOKEN, &sv_customer(e))
                .await
                .status(),
            StatusCode::CREATED
        );
    }
    let r = sb
        .sv_lookup(
            sandbox::SALESIVE_APP_TOKEN,
            "search=ANN%40example.com&page=1&limit=100",
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v = body(r).await;
    assert_eq!(v["success"], true);
    let emails: Vec<&str> = v["data"]
        .as_array()
        .expect("data array")
        .iter()
        .filter_map(|c| c["email"].as_str())
        .collect();
    assert_eq!(emails, vec!["ann@example.com", "joann@example.com"]);
    let r = sb
        .sv_lookup(sandbox::SALESIVE_APP_TOKEN, "search=a&limit=101")
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn salesive_past_the_quota_is_429_envelope_with_retry_after() {
    let sb = Sb::start(SandboxConfig {
        quota: Some("1/10s".parse().expect("quota parses")),
        ..SandboxConfig::default()
    })
    .await;
    assert_eq!(
        sb.sv(sandbox::SALESIVE_APP_TOKEN, &sv_customer("a@example.com"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let r = sb
        .sv(sandbox::SALESIVE_APP_TOKEN, &sv_customer("b@example.com"))
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = header_num(&r, "retry-after");
    assert!((1..=10).contains(&wait), "{wait}");
    assert_eq!(body(r).await["status"], 429);
    // Each credential has its own window.
    assert_eq!(
        sb.sv_lookup(sandbox::SALESIVE_READONLY_TOKEN, "search=a")
            .await
            .status(),
        StatusCode::OK
    );
}

// ------------------------------------------------------------------ bitbybit

#[tokio::test]
async fn bitbybit_refuses_missing_wrong_and_unscoped_keys_in_its_shape() {
    let sb = Sb::default().await;
    let c = json!({"email": "a@example.com"});
    for (key, status, code) in [
        (None, 401, "MISSING_API_KEY"),
        (Some("bbb_test_wrong"), 401, "INVALID_API_KEY"),
        (
            Some(sandbox::BITBYBIT_NOSCOPE_KEY),
            403,
            "INSUFFICIENT_SCOPE",
        ),
        (
            Some(sandbox::BITBYBIT_NOCOMPANY_KEY),
            400,
            "MISSING_COMPANY_ID",
        ),
        (
            Some(sandbox::BITBYBIT_IP_BLOCKED_KEY),
            403,
            "IP_NOT_ALLOWED",
        ),
    ] {
        let r = sb.bbb_key("/customers", key, &c).await;
        assert_eq!(r.status().as_u16(), status, "{key:?}");
        let v = body(r).await;
        assert_eq!(v["error"]["code"], code);
        assert!(v["error"]["message"].is_string());
    }
    assert_eq!(sb.h.customers("bitbybit").len(), 0);
}

#[tokio::test]
async fn bitbybit_creates_a_customer_201_and_a_resend_creates_a_second_one() {
    let sb = Sb::default().await;
    let c = json!({"email": "same@example.com", "phoneNumber": "+628111", "firstName": "A", "lastName": "B",
                   "tags": ["vip"], "addresses": [{"address1": "Jl. 1", "city": "Bandung", "mainAddress": true}]});
    let r = sb.bbb("/customers", &c).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v = body(r).await;
    let d = &v["data"];
    assert!(d["id"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(d["email"], "same@example.com");
    assert_eq!(d["phoneNumber"], "+628111");
    assert_eq!(d["tags"], json!(["vip"]));
    assert_eq!(d["addresses"][0]["address1"], "Jl. 1");
    assert!(d["addresses"][0]["id"].is_string());
    assert!(chrono::DateTime::parse_from_rfc3339(d["createdAt"].as_str().unwrap_or("")).is_ok());
    let r = sb.bbb("/customers", &c).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_ne!(body(r).await["data"]["id"], d["id"]);
    assert_eq!(
        sb.h.customers("bitbybit").len(),
        2,
        "no uniqueness on bitbybit"
    );
    // A phone alone is enough.
    assert_eq!(
        sb.bbb("/customers", &json!({"phoneNumber": "+628222"}))
            .await
            .status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn salesive_and_bitbybit_take_phones_names_and_emails_of_any_length_the_documents_allow() {
    // Issue 14: no document limits a phone to 50 characters (128 of 12,103
    // valid customers were refused on import); only the one email check
    // and the required fields are enforced.
    let sb = Sb::default().await;
    let phone = format!("+1 555 010 2000 ext. {}", "9".repeat(60));
    let email = format!(
        "{}@{}.com",
        "a".repeat(64),
        vec!["d".repeat(63); 3].join(".")
    );
    let r = sb
        .sv(
            sandbox::SALESIVE_APP_TOKEN,
            &json!({"name": "n".repeat(2000), "email": email, "phone": phone}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", body(r).await);
    let long = "y".repeat(1500);
    let r = sb
        .bbb(
            "/customers",
            &json!({"email": email, "phoneNumber": phone, "firstName": long, "lastName": long,
                    "addresses": [{"address1": long, "city": long, "zip": long, "phone": phone}]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", body(r).await);
}

#[tokio::test]
async fn an_invalid_email_is_refused_on_every_platform_saying_why() {
    let sb = Sb::default().await;
    let r = sb
        .bc(&json!([{"email": "ann at example.com", "first_name": "A", "last_name": "B"}]))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v = body(r).await;
    assert!(
        v["errors"]["0.email"]
            .as_str()
            .is_some_and(|m| m.contains("\" at \" where \"@\" belongs")),
        "{v}"
    );
    let r = sb
        .sv(
            sandbox::SALESIVE_APP_TOKEN,
            &json!({"name": "A", "email": "anné@example.com"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v = body(r).await;
    assert!(
        v["message"]
            .as_str()
            .is_some_and(|m| m.contains("non-ASCII")),
        "{v}"
    );
    let r = sb
        .bbb("/customers", &json!({"email": "a@b@example.com"}))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v = body(r).await;
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("2 \"@\"")),
        "{v}"
    );
}

#[tokio::test]
async fn bitbybit_invalid_customer_is_400_validation_error_naming_the_field() {
    let sb = Sb::default().await;
    for (b, field) in [
        (json!({"firstName": "A"}), "email or phoneNumber"),
        (json!({"email": "nope"}), "email"),
        (
            json!({"email": "a@example.com", "addresses": [{"city": "X"}]}),
            "addresses[0].address1",
        ),
        (json!({"email": "a@example.com", "tags": "vip"}), "tags"),
        (json!({"email": "a@example.com", "phone": "+62"}), "phone"),
    ] {
        let r = sb.bbb("/customers", &b).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{b}");
        let v = body(r).await;
        assert_eq!(v["error"]["code"], "VALIDATION_ERROR");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(field)),
            "{field}: {v}"
        );
    }
    assert_eq!(sb.h.customers("bitbybit").len(), 0);
}

#[tokio::test]
async fn bitbybit_order_total_is_price_times_quantity_and_order_numbers_count_up() {
    let sb = Sb::default().await;
    let r = sb
        .bbb("/customers", &json!({"email": "buyer@example.com"}))
        .await;
    let customer_id = body(r).await["data"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let order = json!({"customerId": customer_id, "shippingAddress": shipping(), "notes": "gift", "tags": ["migrated"],
        "lineItems": [{"productVariantId": "var_tee_s", "quantity": 2}, {"productVariantId": "var_mug", "quantity": 3}]});
    let r = sb.bbb("/orders", &order).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let o = body(r).await["data"].clone();
    assert_eq!(o["total"], json!(75.5)); // 2 × 19.00 + 3 × 12.50
    assert_eq!(o["orderNumber"], "1001");
    assert_eq!(o["customer"]["id"], json!(customer_id));
    assert_eq!(o["customer"]["email"], "buyer@example.com");
    assert_eq!(o["lineItems"][0]["productVariant"]["id"], "var_tee_s");
    assert_eq!(o["lineItems"][0]["productVariant"]["inventorySku"], "TEE-S");
    assert_eq!(o["lineItems"][0]["productVariant"]["price"], json!(19.0));
    assert_eq!(o["lineItems"][1]["quantity"], 3);
    assert_eq!(o["shippingAddress"]["zip"], "10110");
    assert_eq!(o["status"], "active");
    assert_eq!(o["notes"], "gift");
    let r = sb.bbb("/orders", &order).await;
    assert_eq!(body(r).await["data"]["orderNumber"], "1002");
    assert_eq!(sb.h.orders().len(), 2);
    assert_eq!(sb.stats().platforms["bitbybit"].orders, 2);
}

#[tokio::test]
async fn bitbybit_order_with_an_unknown_variant_or_bad_quantity_is_400_naming_it() {
    let sb = Sb::default().await;
    let customer = json!({"firstName": "A", "lastName": "B", "email": "a@example.com"});
    for (items, field) in [
        (
            json!([{"productVariantId": "var_nope", "quantity": 1}]),
            "lineItems[0].productVariantId",
        ),
        (
            json!([{"productVariantId": "var_mug", "quantity": 0}]),
            "lineItems[0].quantity",
        ),
        (
            json!([{"productVariantId": "var_mug", "quantity": 1.5}]),
            "lineItems[0].quantity",
        ),
        (
            json!([{"productVariantId": "var_mug"}]),
            "lineItems[0].quantity",
        ),
        (json!([]), "lineItems"),
    ] {
        let o = json!({"customer": customer, "shippingAddress": shipping(), "lineItems": items});
        let r = sb.bbb("/orders", &o).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{items}");
        let v = body(r).await;
        assert_eq!(v["error"]["code"], "VALIDATION_ERROR");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(field)),
            "{field}: {v}"
        );
    }
    assert_eq!(sb.h.orders().len(), 0);
    assert_eq!(
        sb.h.customers("bitbybit").len(),
        0,
        "a refused order creates no customer"
    );
}

#[tokio::test]
async fn bitbybit_order_with_an_unknown_customer_id_is_400_naming_customer_id() {
    let sb = Sb::default().await;
    let o = json!({"customerId": "no-such-customer", "shippingAddress": shipping(),
                   "lineItems": [{"productVariantId": "var_mug", "quantity": 1}]});
    let r = sb.bbb("/orders", &o).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v = body(r).await;
    assert_eq!(v["error"]["code"], "VALIDATION_ERROR");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("customerId"))
    );
    let o = json!({"shippingAddress": shipping(), "lineItems": [{"productVariantId": "var_mug", "quantity": 1}]});
    assert_eq!(
        sb.bbb("/orders", &o).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(sb.h.orders().len(), 0);
}

#[tokio::test]
async fn bitbybit_order_requires_every_shipping_address_field() {
    let sb = Sb::default().await;
    for field in [
        "firstName",
        "lastName",
        "phone",
        "address1",
        "city",
        "province",
        "zip",
    ] {
        let mut ship = shipping();
        if let Some(o) = ship.as_object_mut() {
            o.remove(field);
        }
        let o = json!({"customer": {"firstName": "A", "lastName": "B", "phone": "+628"}, "shippingAddress": ship,
                       "lineItems": [{"productVariantId": "var_mug", "quantity": 1}]});
        let r = sb.bbb("/orders", &o).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{field}");
        let m = body(r).await["error"]["message"]
            .as_str()
            .unwrap_or("")
            .to_string();
        assert!(
            m.contains(&format!("shippingAddress.{field}")),
            "{field}: {m}"
        );
    }
    let o = json!({"customer": {"firstName": "A", "lastName": "B", "phone": "+628"},
                   "lineItems": [{"productVariantId": "var_mug", "quantity": 1}]});
    assert_eq!(
        sb.bbb("/orders", &o).await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn bitbybit_order_inline_customer_is_found_by_email_or_phone_or_created() {
    let sb = Sb::default().await;
    let r = sb
        .bbb(
            "/customers",
            &json!({"email": "known@example.com", "phoneNumber": "+62 811-000"}),
        )
        .await;
    let known = body(r).await["data"]["id"].clone();
    let order = |customer: Value| {
        json!({"customer": customer, "shippingAddress": shipping(),
               "lineItems": [{"productVariantId": "var_cap", "quantity": 1}]})
    };
    // Found by email, whatever its case.
    let r = sb
        .bbb(
            "/orders",
            &order(json!({"firstName": "K", "lastName": "N", "email": "KNOWN@example.com"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(body(r).await["data"]["customer"]["id"], known);
    // Found by phone, whatever its punctuation.
    let r = sb
        .bbb(
            "/orders",
            &order(json!({"firstName": "K", "lastName": "N", "phone": "+62811000"})),
        )
        .await;
    assert_eq!(body(r).await["data"]["customer"]["id"], known);
    assert_eq!(sb.h.customers("bitbybit").len(), 1);
    // Not found: created.
    let r = sb
        .bbb(
            "/orders",
            &order(json!({"firstName": "New", "lastName": "One", "email": "new@example.com"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v = body(r).await;
    assert_ne!(v["data"]["customer"]["id"], known);
    assert_eq!(v["data"]["customer"]["firstName"], "New");
    let customers = sb.h.customers("bitbybit");
    assert_eq!(customers.len(), 2);
    assert_eq!(customers[1]["email"], "new@example.com");
    // The inline customer needs its names.
    let r = sb
        .bbb("/orders", &order(json!({"email": "x@example.com"})))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bitbybit_orders_use_a_loaded_catalog() {
    let catalog = sandbox::parse_catalog(
        "product_variant_id,sku,price,key\nv-1,SKU-1,0.10,one\nv-2,SKU-2,1.05,\n",
    )
    .expect("catalog parses");
    assert_eq!(
        catalog[1],
        Variant::new("v-2", "SKU-2", "1.05", "v-2", "v-2").expect("variant")
    );
    let sb = Sb::start(SandboxConfig {
        catalog: Some(catalog),
        ..SandboxConfig::default()
    })
    .await;
    let o = json!({"customer": {"firstName": "A", "lastName": "B", "email": "a@example.com"}, "shippingAddress": shipping(),
                   "lineItems": [{"productVariantId": "v-1", "quantity": 3}, {"productVariantId": "v-2", "quantity": 1}]});
    let r = sb.bbb("/orders", &o).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v = body(r).await;
    assert_eq!(v["data"]["total"], json!(1.35));
    assert_eq!(v["data"]["lineItems"][0]["productVariant"]["key"], "one");
    let o = json!({"customer": {"firstName": "A", "lastName": "B", "email": "a@example.com"}, "shippingAddress": shipping(),
                   "lineItems": [{"productVariantId": "var_tee_s", "quantity": 1}]});
    assert_eq!(
        sb.bbb("/orders", &o).await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn bitbybit_lookup_finds_customers_by_email_or_phone() {
    let sb = Sb::default().await;
    for c in [
        json!({"email": "ann@example.com", "phoneNumber": "+62 811 111"}),
        json!({"email": "joann@example.com"}),
        json!({"phoneNumber": "+62811222"}),
    ] {
        assert_eq!(sb.bbb("/customers", &c).await.status(), StatusCode::CREATED);
    }
    let r = sb.bbb_lookup("ann@example.com").await;
    assert_eq!(r.status(), StatusCode::OK);
    let v = body(r).await;
    let emails: Vec<&str> = v["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|c| c["email"].as_str())
        .collect();
    assert_eq!(emails, vec!["ann@example.com", "joann@example.com"]);
    let v = body(sb.bbb_lookup("+62811222").await).await;
    assert_eq!(v["data"].as_array().map(Vec::len), Some(1));
    let v = body(sb.bbb_lookup("+62811111").await).await;
    assert_eq!(v["data"][0]["email"], "ann@example.com");
    let v = body(sb.bbb_lookup("nobody@example.com").await).await;
    assert_eq!(v["data"], json!([]));
}

#[tokio::test]
async fn bitbybit_reports_ratelimit_headers_and_429_rate_limit_exceeded() {
    let sb = Sb::start(SandboxConfig {
        quota: Some("2/1m".parse().expect("quota parses")),
        ..SandboxConfig::default()
    })
    .await;
    let r = sb
        .bbb("/customers", &json!({"email": "a@example.com"}))
        .await;
    assert_eq!(header_num(&r, "ratelimit-limit"), 2);
    assert_eq!(header_num(&r, "ratelimit-remaining"), 1);
    assert_eq!(header_num(&r, "ratelimit-reset"), 60);
    sb.bbb_lookup("a@example.com").await;
    let r = sb
        .bbb("/customers", &json!({"email": "b@example.com"}))
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header_num(&r, "ratelimit-remaining"), 0);
    let reset = header_num(&r, "ratelimit-reset");
    assert!((1..=60).contains(&reset), "{reset}");
    assert_eq!(body(r).await["error"]["code"], "RATE_LIMIT_EXCEEDED");
    assert_eq!(sb.h.customers("bitbybit").len(), 1);
}

// -------------------------------------------------------------------- faults

#[tokio::test]
async fn injected_500_and_503_answer_in_each_platform_shape_without_storing() {
    for (spec, status) in [("500=1", 500), ("503=1", 503), ("502=1", 502)] {
        let sb = Sb::with_faults(spec, 1).await;
        let r = sb.bc(&bc_batch("f", 2)).await;
        assert_eq!(r.status().as_u16(), status);
        assert!(header(&r, "x-rate-limit-requests-left").is_some());
        assert_eq!(body(r).await["status"], status);
        let r = sb
            .sv(sandbox::SALESIVE_APP_TOKEN, &sv_customer("f@example.com"))
            .await;
        assert_eq!(r.status().as_u16(), status);
        assert_eq!(body(r).await["success"], false);
        let r = sb
            .bbb("/customers", &json!({"email": "f@example.com"}))
            .await;
        assert_eq!(r.status().as_u16(), status);
        assert!(body(r).await["error"]["code"].is_string());
        for p in sandbox::PLATFORMS {
            assert_eq!(sb.h.customers(p).len(), 0, "{spec} {p}");
        }
        assert_eq!(
            sb.stats().platforms["bigcommerce"]
                .faults
                .get(&status.to_string()),
            Some(&1)
        );
    }
}

#[tokio::test]
async fn injected_429_carries_no_quota_headers() {
    let sb = Sb::with_faults("429=1", 1).await;
    let r = sb.bc(&bc_batch("l", 1)).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    for h in [
        "x-rate-limit-requests-left",
        "x-rate-limit-time-reset-ms",
        "x-retry-after",
    ] {
        assert!(header(&r, h).is_none(), "{h}");
    }
    let r = sb
        .bbb("/customers", &json!({"email": "a@example.com"}))
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(header(&r, "ratelimit-remaining").is_none());
    assert_eq!(body(r).await["error"]["code"], "RATE_LIMIT_EXCEEDED");
    assert_eq!(sb.h.customers("bigcommerce").len(), 0);
}

#[tokio::test]
async fn reset_fault_gives_the_client_a_connection_error_and_stores_nothing() {
    let sb = Sb::with_faults("reset=1", 1).await;
    let err =
        sb.c.post(sb.url("bigcommerce", "/customers"))
            .header("X-Auth-Token", sandbox::BIGCOMMERCE_ACCESS_TOKEN)
            .json(&bc_batch("r", 3))
            .send()
            .await
            .expect_err("no HTTP answer at all");
    assert!(!err.is_timeout(), "{err:?}");
    let err =
        sb.c.post(sb.url("bitbybit", "/customers"))
            .header("x-api-key", sandbox::BITBYBIT_API_KEY)
            .json(&json!({"email": "r@example.com"}))
            .send()
            .await
            .expect_err("no HTTP answer at all");
    assert!(!err.is_timeout(), "{err:?}");
    assert_eq!(sb.h.customers("bigcommerce").len(), 0);
    assert_eq!(sb.h.customers("bitbybit").len(), 0);
    let s = sb.stats();
    assert_eq!(status_count(&s, "bigcommerce", "reset"), 1);
    assert_eq!(s.platforms["bigcommerce"].faults.get("reset"), Some(&1));
}

#[tokio::test]
async fn lost_fault_gives_the_client_a_connection_error_but_stores_the_records() {
    let sb = Sb::with_faults("lost=1", 1).await;
    let err =
        sb.c.post(sb.url("bigcommerce", "/customers"))
            .header("X-Auth-Token", sandbox::BIGCOMMERCE_ACCESS_TOKEN)
            .json(&bc_batch("lost", 3))
            .send()
            .await
            .expect_err("no HTTP answer at all");
    assert!(!err.is_timeout(), "{err:?}");
    assert_eq!(
        sb.h.customers("bigcommerce").len(),
        3,
        "stored exactly once"
    );
    let err =
        sb.c.post(sb.url("salesive", "/customers"))
            .bearer_auth(sandbox::SALESIVE_APP_TOKEN)
            .json(&sv_customer("lost@example.com"))
            .send()
            .await
            .expect_err("no HTTP answer at all");
    assert!(!err.is_timeout(), "{err:?}");
    assert_eq!(sb.h.customers("salesive").len(), 1);
    // With the fault gone, a resend is refused as a duplicate.
    sb.h.set_faults(FaultSpec::none());
    let r = sb
        .sv(
            sandbox::SALESIVE_APP_TOKEN,
            &sv_customer("lost@example.com"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(status_count(&sb.stats(), "bigcommerce", "lost"), 1);
}

#[tokio::test]
async fn lost_fault_on_a_bitbybit_order_stores_the_order() {
    let sb = Sb::default().await;
    // A kept-alive connection is reused for the lost request: the client
    // must not silently resend it.
    let warm = sb
        .bbb("/customers", &json!({"email": "warm@example.com"}))
        .await;
    assert_eq!(warm.status(), StatusCode::CREATED);
    sb.h.set_faults("lost=1".parse().expect("spec"));
    let o = json!({"customer": {"firstName": "A", "lastName": "B", "email": "a@example.com"}, "shippingAddress": shipping(),
                   "lineItems": [{"productVariantId": "var_mug", "quantity": 1}]});
    let sent =
        sb.c.post(sb.url("bitbybit", "/orders"))
            .header("x-api-key", sandbox::BITBYBIT_API_KEY)
            .json(&o)
            .send()
            .await;
    assert!(sent.is_err());
    assert_eq!(sb.h.orders().len(), 1, "stored exactly once");
    assert_eq!(
        sb.h.orders()[0]["_request"]["lineItems"][0]["productVariantId"],
        "var_mug"
    );
}

#[tokio::test]
async fn slow_fault_answers_after_the_delay_and_does_not_block_other_requests() {
    // Held back an hour: a slow answer is still pending while the other
    // request is answered, however loaded the machine is.
    let sb = Sb::start(SandboxConfig {
        faults: "slow=1".parse().expect("spec"),
        slow_delay: Duration::from_secs(3600),
        ..SandboxConfig::default()
    })
    .await;
    // A client that stays connected: its request stays held, never dropped.
    let held = bc_spawned(&sb, "held");
    // The fault is counted once the request is stored, as its answer
    // starts to wait.
    stats_until(&sb.h, "the slow fault to take effect", |s| {
        fault_count(s, "bigcommerce", "slow") == 1
    })
    .await;
    let impatient = client(Duration::from_secs(2));
    let err = impatient
        .post(sb.url("bigcommerce", "/customers"))
        .header("X-Auth-Token", sandbox::BIGCOMMERCE_ACCESS_TOKEN)
        .json(&bc_batch("slow", 1))
        .send()
        .await
        .expect_err("the impatient client times out");
    assert!(err.is_timeout(), "{err:?}");
    // The slow request was handled (stored); only its answer was late.
    stats_until(&sb.h, "the impatient request to be stored", |s| {
        fault_count(s, "bigcommerce", "slow") == 2
    })
    .await;
    sb.h.set_faults(FaultSpec::none());
    let r = sb.bc(&bc_batch("fast", 1)).await;
    assert_eq!(r.status(), StatusCode::OK);
    // Not blocked: the fast answer came while the held one was still
    // pending (an answer is counted by status only once it is given).
    let at_fast_answer = sb.stats();
    assert_eq!(
        status_count(&at_fast_answer, "bigcommerce", "200"),
        1,
        "not blocked: {at_fast_answer:?}"
    );
    assert!(!held.is_finished(), "the held answer is still pending");
    assert_eq!(sb.h.customers("bigcommerce").len(), 3);
    // A patient client gets the answer after the delay.
    let sb = Sb::start(SandboxConfig {
        faults: "slow=1".parse().expect("spec"),
        slow_delay: Duration::from_millis(800),
        ..SandboxConfig::default()
    })
    .await;
    let t = Instant::now();
    let r = sb.bc(&bc_batch("patient", 1)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(t.elapsed() >= Duration::from_millis(800));
    assert_eq!(fault_count(&sb.stats(), "bigcommerce", "slow"), 1);
    assert_eq!(sb.h.customers("bigcommerce").len(), 1);
}

#[tokio::test]
async fn partial_fault_stores_the_good_customers_of_a_batch_then_answers_422() {
    let sb = Sb::default().await;
    assert_eq!(
        sb.bc(&json!([bc_customer("taken@example.com")]))
            .await
            .status(),
        StatusCode::OK
    );
    sb.h.set_faults("partial=1".parse().expect("spec"));
    let batch = json!([
        bc_customer("p1@example.com"),
        bc_customer("taken@example.com"),
        bc_customer("p2@example.com")
    ]);
    let r = sb.bc(&batch).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v = body(r).await;
    assert!(
        v["errors"][".customer_create"]
            .as_str()
            .is_some_and(|m| m.contains("taken@example.com"))
    );
    let emails: Vec<String> =
        sb.h.customers("bigcommerce")
            .iter()
            .filter_map(|c| c["email"].as_str().map(str::to_string))
            .collect();
    assert_eq!(
        emails,
        vec!["taken@example.com", "p1@example.com", "p2@example.com"]
    );
    // Without a taken email, `partial` changes nothing.
    assert_eq!(sb.bc(&bc_batch("clean", 2)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn faults_apply_to_lookups_too() {
    let sb = Sb::with_faults("503=1", 1).await;
    assert_eq!(
        sb.bc_lookup("email:in=a@example.com").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        sb.sv_lookup(sandbox::SALESIVE_APP_TOKEN, "search=a")
            .await
            .status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let r = sb.bbb_lookup("a@example.com").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body(r).await["error"]["code"], "SERVICE_UNAVAILABLE");
}

#[tokio::test]
async fn faults_are_deterministic_for_a_seed() {
    async fn run(seed: u64) -> Vec<String> {
        let sb = Sb::with_faults("500=0.2,503=0.2,429=0.2", seed).await;
        let mut out = Vec::new();
        for i in 0..30 {
            let r = sb.bc(&bc_batch(&format!("d{i}-"), 1)).await;
            out.push(r.status().as_u16().to_string());
        }
        sb.h.stop().await;
        out
    }
    let a = run(7).await;
    assert_eq!(a, run(7).await);
    assert_ne!(a, run(8).await);
    assert!(
        a.iter().any(|s| s == "200") && a.iter().any(|s| s != "200"),
        "{a:?}"
    );
}

#[tokio::test]
async fn latency_delays_every_answer() {
    let sb = Sb::start(SandboxConfig {
        latency: Duration::from_millis(150),
        ..SandboxConfig::default()
    })
    .await;
    let t = Instant::now();
    let r = sb.bc(&bc_batch("lat", 1)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r2 =
        sb.c.post(sb.url("salesive", "/customers"))
            .json(&json!({}))
            .send()
            .await
            .expect("answer");
    assert_eq!(r2.status(), StatusCode::UNAUTHORIZED);
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
}

// ------------------------------------------------------------- bounds, misc

#[tokio::test]
async fn a_body_over_one_megabyte_is_413_on_every_platform() {
    let sb = Sb::default().await;
    let big = json!([{"email": "a@example.com", "first_name": "A", "last_name": "B", "notes": "x".repeat(sandbox::MAX_BODY_BYTES)}]);
    assert_eq!(sb.bc(&big).await.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let big = json!({"name": "x".repeat(sandbox::MAX_BODY_BYTES), "email": "a@example.com"});
    let r = sb.sv(sandbox::SALESIVE_APP_TOKEN, &big).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body(r).await["status"], 413);
    let big = json!({"email": "a@example.com", "firstName": "x".repeat(sandbox::MAX_BODY_BYTES)});
    assert_eq!(
        sb.bbb("/customers", &big).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    for p in sandbox::PLATFORMS {
        assert_eq!(sb.h.customers(p).len(), 0);
    }
}

#[tokio::test]
async fn base_urls_have_each_platform_s_shape() {
    let sb = Sb::default().await;
    let addr = sb.h.addr();
    assert_eq!(
        sb.h.base_url("bigcommerce"),
        format!("http://{addr}/stores/sandbox/v3")
    );
    assert_eq!(sb.h.base_url("salesive"), format!("http://{addr}/api/v1"));
    assert_eq!(
        sb.h.base_url("bitbybit"),
        format!("http://{addr}/customer/api/open/v1")
    );
    // The curl example's path is not the API's.
    let r =
        sb.c.post(format!("http://{addr}/customer/open/v1/customers"))
            .header("x-api-key", sandbox::BITBYBIT_API_KEY)
            .json(&json!({"email": "a@example.com"}))
            .send()
            .await
            .expect("answer");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r =
        sb.c.delete(sb.url("bitbybit", "/customers"))
            .send()
            .await
            .expect("answer");
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body(r).await["error"]["code"], "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn inspection_endpoints_show_everything_stored_and_are_not_counted_or_faulted() {
    let sb = Sb::start(SandboxConfig {
        quota: Some("3/1m".parse::<Quota>().expect("quota parses")),
        ..SandboxConfig::default()
    })
    .await;
    assert_eq!(sb.bc(&bc_batch("i", 2)).await.status(), StatusCode::OK);
    assert_eq!(
        sb.sv(sandbox::SALESIVE_APP_TOKEN, &sv_customer("i@example.com"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let o = json!({"customer": {"firstName": "A", "lastName": "B", "email": "o@example.com"}, "shippingAddress": shipping(),
                   "lineItems": [{"productVariantId": "var_mug", "quantity": 1}]});
    assert_eq!(sb.bbb("/orders", &o).await.status(), StatusCode::CREATED);
    sb.h.set_faults("500=1".parse().expect("spec"));
    let base = format!("http://{}", sb.h.addr());
    for _ in 0..5 {
        let r =
            sb.c.get(format!("{base}/_sandbox/stats"))
                .send()
                .await
                .expect("answer");
        assert_eq!(r.status(), StatusCode::OK);
    }
    let stats: Stats =
        sb.c.get(format!("{base}/_sandbox/stats"))
            .send()
            .await
            .expect("answer")
            .json()
            .await
            .expect("stats JSON");
    assert_eq!(stats, sb.stats());
    assert_eq!(stats.quota.as_deref(), Some("3/1m"));
    assert_eq!(stats.platforms["bigcommerce"].customers, 2);
    assert_eq!(stats.platforms["bigcommerce"].requests, 1);
    assert_eq!(
        stats.platforms["bigcommerce"].by_status.get("200"),
        Some(&1)
    );
    assert_eq!(stats.platforms["salesive"].customers, 1);
    assert_eq!(stats.platforms["bitbybit"].customers, 1);
    assert_eq!(stats.platforms["bitbybit"].orders, 1);
    let v = body(
        sb.c.get(format!("{base}/_sandbox/customers?platform=bigcommerce"))
            .send()
            .await
            .expect("answer"),
    )
    .await;
    assert_eq!(v["count"], 2);
    assert_eq!(v["customers"][1]["email"], "i1@example.com");
    assert_eq!(v["customers"][1]["_request"]["email"], "i1@example.com");
    let v = body(
        sb.c.get(format!("{base}/_sandbox/orders"))
            .send()
            .await
            .expect("answer"),
    )
    .await;
    assert_eq!(v["count"], 1);
    assert_eq!(v["orders"][0]["total"], json!(12.5));
    let r =
        sb.c.get(format!("{base}/_sandbox/customers?platform=shopify"))
            .send()
            .await
            .expect("answer");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Never under a platform path.
    let r =
        sb.c.get(sb.url("bigcommerce", "/_sandbox/stats"))
            .header("X-Auth-Token", sandbox::BIGCOMMERCE_ACCESS_TOKEN)
            .send()
            .await
            .expect("answer");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn stop_returns_promptly_even_with_a_slow_answer_pending() {
    // An answer held back for an hour: only the stop can release it.
    let sb = Sb::start(SandboxConfig {
        faults: "slow=1".parse().expect("spec"),
        slow_delay: Duration::from_secs(3600),
        ..SandboxConfig::default()
    })
    .await;
    let addr = sb.h.addr();
    let pending = bc_spawned(&sb, "s");
    stats_until(&sb.h, "the slow answer to be held back", |s| {
        fault_count(s, "bigcommerce", "slow") == 1
    })
    .await;
    sb.h.stop().await;
    // The stop cut the wait short and let the answer out before the server
    // ended; had it waited for the slow answer, its own cap would have
    // aborted the server and the client would have had no answer at all.
    let answer = pending
        .await
        .expect("task")
        .expect("the held answer is given at the stop");
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

#[test]
fn quota_and_fault_spec_parse_what_the_command_line_takes() {
    let q: Quota = "150/30s".parse().expect("quota parses");
    assert_eq!((q.requests, q.window), (150, Duration::from_secs(30)));
    assert!("150/30x".parse::<Quota>().is_err());
    let f: FaultSpec = "500=0.05,503=0.02,429=0.02,reset=0.01,lost=0.01,slow=0.01"
        .parse()
        .expect("spec parses");
    assert!(!f.is_empty());
    assert!("explode=0.1".parse::<FaultSpec>().is_err());
}

#[tokio::test]
async fn garbage_bodies_get_a_4xx_in_the_platform_shape_and_store_nothing() {
    let sb = Sb::default().await;
    let deep = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000));
    let bodies: Vec<String> = vec![
        String::new(),
        "null".into(),
        "42".into(),
        "\"text\"".into(),
        "[null]".into(),
        "[[]]".into(),
        "[{}]".into(),
        "{\"email\": {\"nested\": true}}".into(),
        "{\"lineItems\": [null], \"shippingAddress\": []}".into(),
        "{\"customer\": \"x\", \"lineItems\": \"y\"}".into(),
        "\u{0}\u{1}\u{2}".into(),
        "[{\"email\":\"a@example.com\",\"first_name\":\"A\",\"last_name\":\"B\",\"addresses\":[null,{}]}]".into(),
        deep,
    ];
    let targets: Vec<(String, &str, &str)> = vec![
        (
            sb.url("bigcommerce", "/customers"),
            "X-Auth-Token",
            sandbox::BIGCOMMERCE_ACCESS_TOKEN,
        ),
        (
            sb.url("salesive", "/customers"),
            "Authorization",
            "Bearer app_sandbox_full",
        ),
        (
            sb.url("bitbybit", "/customers"),
            "x-api-key",
            sandbox::BITBYBIT_API_KEY,
        ),
        (
            sb.url("bitbybit", "/orders"),
            "x-api-key",
            sandbox::BITBYBIT_API_KEY,
        ),
    ];
    for (url, name, value) in &targets {
        for b in &bodies {
            let r =
                sb.c.post(url)
                    .header(*name, *value)
                    .header("Content-Type", "application/json")
                    .body(b.clone())
                    .send()
                    .await
                    .expect("an answer");
            let status = r.status();
            assert!(status.is_client_error(), "{url} {:.40}: {status}", b);
            let v = body(r).await;
            assert!(v.is_object(), "{url}: {v}");
        }
        // Odd query strings on the lookups.
        let r =
            sb.c.get(format!("{url}?page=0&limit=-1&search=%FF%FE&email:in=,,,"))
                .header(*name, *value)
                .send()
                .await
                .expect("an answer");
        assert!(
            r.status().is_client_error() || r.status() == StatusCode::METHOD_NOT_ALLOWED,
            "{url}: {}",
            r.status()
        );
    }
    for p in sandbox::PLATFORMS {
        assert_eq!(sb.h.customers(p).len(), 0, "{p}");
    }
    assert_eq!(sb.h.orders().len(), 0);
}

#[tokio::test]
async fn salesive_and_bitbybit_read_a_body_without_json_content_type_as_empty() {
    let sb = Sb::default().await;
    let r =
        sb.c.post(sb.url("salesive", "/customers"))
            .bearer_auth(sandbox::SALESIVE_APP_TOKEN)
            .body(sv_customer("a@example.com").to_string())
            .send()
            .await
            .expect("answer");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r =
        sb.c.post(sb.url("bitbybit", "/customers"))
            .header("x-api-key", sandbox::BITBYBIT_API_KEY)
            .body(json!({"email": "a@example.com"}).to_string())
            .send()
            .await
            .expect("answer");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}
