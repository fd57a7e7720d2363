//! The sandbox's BigCommerce update endpoints (FACTS.md "Updating") through
//! real HTTP, and the sync building blocks against them: the platform's
//! update and address requests, and the sync state deciding what to send
//! across three nights. Every test starts its own sandbox on 127.0.0.1:0.

use reqwest::{Client, Method};
use serde_json::{Value, json};
use storeload::journal::Destination;
use storeload::model::{Address, Customer};
use storeload::platform::{
    Blanks, Endpoint, PlatformId, Request, Response, Update, UpdateOutcome, Updates, Verdict,
};
use storeload::sandbox::{self, SandboxConfig, SandboxHandle};
use storeload::state::{Diff, Outcome, State};

/// A running sandbox and a client for it.
struct Sb {
    h: SandboxHandle,
    c: Client,
}

impl Sb {
    async fn start() -> Sb {
        let h = sandbox::start(SandboxConfig::default())
            .await
            .expect("the sandbox binds 127.0.0.1:0");
        let c = Client::builder()
            .no_proxy()
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .expect("a reqwest client builds");
        Sb { h, c }
    }

    /// A raw BigCommerce call with the full token: status and JSON body.
    async fn bc(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .c
            .request(method, format!("{}{path}", self.h.base_url("bigcommerce")))
            .header("X-Auth-Token", sandbox::BIGCOMMERCE_ACCESS_TOKEN);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("the sandbox answers");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("a body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Sends a request a platform built; status, headers and body.
    async fn send(&self, r: &Request) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let mut req = self.c.request(r.method.clone(), &r.url);
        for (k, v) in &r.headers {
            req = req.header(k, v);
        }
        if let Some(body) = &r.body {
            req = req.body(body.clone());
        }
        let resp = req.send().await.expect("the sandbox answers");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.expect("a body").to_vec();
        (status, headers, body)
    }

    fn endpoint(&self) -> Endpoint {
        Endpoint::new(
            self.h.base_url("bigcommerce"),
            PlatformId::Bigcommerce.platform().sandbox_credentials(),
        )
    }

    /// The stored customer with `email`, as `/_sandbox/customers` shows it.
    fn stored(&self, email: &str) -> Value {
        self.h
            .customers("bigcommerce")
            .into_iter()
            .find(|c| c["email"] == email)
            .unwrap_or(Value::Null)
    }
}

fn new_customer(email: &str) -> Value {
    json!({"email": email, "first_name": "Ann", "last_name": "Lee"})
}

fn address(city: &str) -> Value {
    json!({"first_name": "Ann", "last_name": "Lee", "address1": "1 Main St",
           "city": city, "country_code": "US", "state_or_province": "California"})
}

#[tokio::test]
async fn an_update_changes_the_stored_values_and_the_inspection_shows_them() {
    let sb = Sb::start().await;
    let (s, _) = sb
        .bc(
            Method::POST,
            "/customers",
            Some(json!([new_customer("a@x.com"), new_customer("b@x.com")])),
        )
        .await;
    assert_eq!(s, 200);
    let (s, body) = sb
        .bc(
            Method::PUT,
            "/customers",
            Some(json!([{"id": 2, "last_name": "Lee-Smith", "company": ""}])),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["data"][0]["id"], 2);
    assert_eq!(body["data"][0]["last_name"], "Lee-Smith");
    let b = sb.stored("b@x.com");
    assert_eq!(b["last_name"], "Lee-Smith");
    assert_eq!(b["first_name"], "Ann", "a field not sent is kept");
    assert_eq!(b["_updates"], 1);
    assert_eq!(sb.stored("a@x.com")["_updates"], 0);
    // The lookup answers the current values too.
    let (_, found) = sb
        .bc(Method::GET, "/customers?email:in=b@x.com", None)
        .await;
    assert_eq!(found["data"][0]["last_name"], "Lee-Smith");
}

#[tokio::test]
async fn an_update_of_an_unknown_id_is_a_422_naming_it_and_changes_nothing() {
    let sb = Sb::start().await;
    sb.bc(
        Method::POST,
        "/customers",
        Some(json!([new_customer("a@x.com")])),
    )
    .await;
    let (s, body) = sb
        .bc(
            Method::PUT,
            "/customers",
            Some(json!([{"id": 1, "last_name": "New"}, {"id": 999, "last_name": "X"}])),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert!(
        body["errors"]["1.id"]
            .as_str()
            .is_some_and(|m| m.contains("999")),
        "{body}"
    );
    assert_eq!(sb.stored("a@x.com")["last_name"], "Lee");
}

#[tokio::test]
async fn an_update_to_an_email_another_customer_holds_is_a_422_and_its_own_is_fine() {
    let sb = Sb::start().await;
    sb.bc(
        Method::POST,
        "/customers",
        Some(json!([new_customer("a@x.com"), new_customer("b@x.com")])),
    )
    .await;
    let (s, body) = sb
        .bc(
            Method::PUT,
            "/customers",
            Some(json!([{"id": 1, "email": "B@x.com"}])),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert!(
        body["errors"][".customer_update"]
            .as_str()
            .is_some_and(|m| m.contains("B@x.com") && m.contains("in use")),
        "{body}"
    );
    let (s, _) = sb
        .bc(
            Method::PUT,
            "/customers",
            Some(json!([{"id": 1, "email": "a@x.com", "first_name": "Anne"}])),
        )
        .await;
    assert_eq!(s, 200);
    // A new email moves the customer's lookup key.
    let (s, _) = sb
        .bc(
            Method::PUT,
            "/customers",
            Some(json!([{"id": 1, "email": "new@x.com"}])),
        )
        .await;
    assert_eq!(s, 200);
    let (_, found) = sb
        .bc(Method::GET, "/customers?email:in=new@x.com,a@x.com", None)
        .await;
    assert_eq!(found["data"].as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found["data"][0]["id"], 1);
}

#[tokio::test]
async fn an_update_of_more_than_ten_is_413_and_addresses_are_not_taken_there() {
    let sb = Sb::start().await;
    let eleven: Vec<Value> = (1..=11)
        .map(|i| json!({"id": i, "first_name": "X"}))
        .collect();
    let (s, _) = sb
        .bc(Method::PUT, "/customers", Some(Value::Array(eleven)))
        .await;
    assert_eq!(s, 413);
    sb.bc(
        Method::POST,
        "/customers",
        Some(json!([new_customer("a@x.com")])),
    )
    .await;
    let (s, body) = sb
        .bc(
            Method::PUT,
            "/customers",
            Some(json!([{"id": 1, "addresses": [address("X")]}])),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert!(body["errors"]["0.addresses"].is_string(), "{body}");
}

#[tokio::test]
async fn addresses_are_added_listed_and_changed_by_their_own_endpoints() {
    let sb = Sb::start().await;
    sb.bc(
        Method::POST,
        "/customers",
        Some(json!([new_customer("a@x.com"), new_customer("b@x.com")])),
    )
    .await;
    let mut add = address("Los Angeles");
    add["customer_id"] = json!(2);
    let (s, body) = sb
        .bc(Method::POST, "/customers/addresses", Some(json!([add])))
        .await;
    assert_eq!(s, 200, "{body}");
    let address_id = body["data"][0]["id"].as_u64().expect("an address id");
    let (s, listed) = sb
        .bc(Method::GET, "/customers/addresses?customer_id:in=2", None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed["data"][0]["city"], "Los Angeles");
    let (s, body) = sb
        .bc(
            Method::PUT,
            "/customers/addresses",
            Some(json!([{"id": address_id, "city": "San Diego"}])),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let b = sb.stored("b@x.com");
    assert_eq!(b["addresses"][0]["city"], "San Diego");
    assert_eq!(
        b["addresses"][0]["address1"], "1 Main St",
        "unchanged fields kept"
    );
    assert_eq!(b["address_count"], 1);
    assert_eq!(sb.stored("a@x.com")["address_count"], 0);

    // Their rules: an unknown customer or address, a change that leaves a
    // required field blank, more than ten.
    let mut orphan = address("X");
    orphan["customer_id"] = json!(77);
    let (s, body) = sb
        .bc(Method::POST, "/customers/addresses", Some(json!([orphan])))
        .await;
    assert_eq!(s, 422);
    assert!(
        body["errors"]["0.customer_id"]
            .as_str()
            .is_some_and(|m| m.contains("77")),
        "{body}"
    );
    let (s, body) = sb
        .bc(
            Method::PUT,
            "/customers/addresses",
            Some(json!([{"id": 555, "city": "X"}])),
        )
        .await;
    assert_eq!(s, 422);
    assert!(
        body["errors"]["0.id"]
            .as_str()
            .is_some_and(|m| m.contains("555")),
        "{body}"
    );
    let (s, body) = sb
        .bc(
            Method::PUT,
            "/customers/addresses",
            Some(json!([{"id": address_id, "city": ""}])),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert!(body["errors"]["0.city"].is_string(), "{body}");
    let many: Vec<Value> = (0..11)
        .map(|_| {
            let mut a = address("X");
            a["customer_id"] = json!(1);
            a
        })
        .collect();
    let (s, _) = sb
        .bc(
            Method::POST,
            "/customers/addresses",
            Some(Value::Array(many)),
        )
        .await;
    assert_eq!(s, 413);
    assert_eq!(sb.stored("b@x.com")["addresses"][0]["city"], "San Diego");
}

/// A mapped customer of the sync test, number `i`.
fn customer(i: usize, city: &str, last: &str) -> Customer {
    Customer {
        email: Some(format!("c{i}@example.com").into()),
        first_name: Some("Ann".into()),
        last_name: Some(last.into()),
        addresses: vec![Address {
            first_name: Some("Ann".into()),
            last_name: Some(last.into()),
            address1: Some(format!("{i} Main St").into()),
            city: Some(city.into()),
            province_code: Some("CA".into()),
            country_code: Some("US".into()),
            ..Address::default()
        }],
        ..Customer::default()
    }
}

fn updates() -> &'static dyn Updates {
    PlatformId::Bigcommerce
        .platform()
        .updates()
        .expect("BigCommerce takes updates")
}

/// One night of a sync, as a run would do it with these building blocks:
/// diff every record against the state, create the new, update the
/// changed (customer fields, then addresses), apply each outcome, commit.
/// Returns (created, updated, unchanged) and the requests sent.
async fn night(sb: &Sb, state: &mut State, records: &[Customer]) -> ((usize, usize, usize), usize) {
    let platform = PlatformId::Bigcommerce.platform();
    let endpoint = sb.endpoint();
    let (mut new, mut changed, mut unchanged) = (Vec::new(), Vec::new(), 0);
    for c in records {
        let key = c.email.clone().unwrap_or_default();
        match state.diff(&key, &updates().record_hash(c, Blanks::Keep)) {
            Diff::New => new.push(c),
            Diff::Changed { id } => changed.push(Update { id, customer: c }),
            Diff::Unchanged { .. } => {
                state.apply(&Outcome::Unchanged { key: &key }).unwrap();
                unchanged += 1;
            }
        }
    }
    let mut requests = 0;
    for batch in new.chunks(platform.batch_size()) {
        let (s, h, b) = sb.send(&platform.create_customers(&endpoint, batch)).await;
        requests += 1;
        let verdict = platform.classify_create(
            &Response {
                status: s,
                headers: &h,
                body: &b,
            },
            batch,
        );
        let Verdict::Outcomes(outcomes) = verdict else {
            panic!("create answered {verdict:?}")
        };
        for (c, o) in batch.iter().zip(outcomes) {
            let storeload::platform::Outcome::Created { id } = o else {
                panic!("not created: {o:?}")
            };
            let key = c.email.as_deref().unwrap_or_default();
            let hash = updates().record_hash(c, Blanks::Keep);
            state
                .apply(&Outcome::Created { key, id: &id, hash })
                .unwrap();
        }
    }
    for batch in changed.chunks(updates().update_batch_size()) {
        let (s, h, b) = sb
            .send(&updates().update_customers(&endpoint, batch, Blanks::Keep))
            .await;
        requests += 1;
        let outcomes = updates()
            .classify_update(
                &Response {
                    status: s,
                    headers: &h,
                    body: &b,
                },
                batch,
            )
            .expect("per-record outcomes");
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, UpdateOutcome::Updated { .. })),
            "{outcomes:?}"
        );
        let ids: Vec<u64> = batch.iter().map(|u| u.id).collect();
        let (s, h, b) = sb.send(&updates().list_addresses(&endpoint, &ids, 1)).await;
        requests += 1;
        let (stored, more) = updates()
            .parse_addresses(&Response {
                status: s,
                headers: &h,
                body: &b,
            })
            .expect("a listing");
        assert!(!more);
        let changes: Vec<_> = batch
            .iter()
            .flat_map(|u| updates().address_changes(u.id, u.customer, &stored, Blanks::Keep))
            .collect();
        for r in updates().address_requests(&endpoint, &changes) {
            let (s, h, b) = sb.send(&r.request).await;
            requests += 1;
            let members: Vec<_> = r.members.iter().map(|&i| &changes[i]).collect();
            let outcomes = updates()
                .classify_addresses(
                    &Response {
                        status: s,
                        headers: &h,
                        body: &b,
                    },
                    &members,
                )
                .expect("per-address outcomes");
            assert!(
                outcomes
                    .iter()
                    .all(|o| matches!(o, UpdateOutcome::Updated { .. }))
            );
        }
        for u in batch {
            let key = u.customer.email.as_deref().unwrap_or_default();
            let hash = updates().record_hash(u.customer, Blanks::Keep);
            state
                .apply(&Outcome::Updated {
                    key,
                    id: &u.id.to_string(),
                    hash,
                })
                .unwrap();
        }
    }
    state.commit().unwrap();
    ((new.len(), changed.len(), unchanged), requests)
}

#[tokio::test]
async fn three_nights_create_then_update_only_the_changed_then_send_nothing() {
    let sb = Sb::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.state");
    let dest = Destination {
        platform: "bigcommerce".into(),
        base_url: sb.h.base_url("bigcommerce"),
        store: Some(sandbox::BIGCOMMERCE_STORE_HASH.into()),
    };
    let night1: Vec<Customer> = (0..100)
        .map(|i| customer(i, "Los Angeles", "Lee"))
        .collect();
    let mut state = State::open(&path, &dest).unwrap();
    let (counts, requests) = night(&sb, &mut state, &night1).await;
    assert_eq!((counts, requests), ((100, 0, 0), 10));
    drop(state);

    // Night 2: 10 changed (city or last name), 5 new, 3 left out of the file.
    let mut night2: Vec<Customer> = night1[3..].to_vec();
    for (n, c) in night2.iter_mut().take(10).enumerate() {
        let i = n + 3;
        *c = if n % 2 == 0 {
            customer(i, "San Diego", "Lee")
        } else {
            customer(i, "Los Angeles", "Lee-Smith")
        };
    }
    night2.extend((100..105).map(|i| customer(i, "Fresno", "Kim")));
    let mut state = State::open(&path, &dest).unwrap();
    let (counts, _) = night(&sb, &mut state, &night2).await;
    assert_eq!(counts, (5, 10, 87));
    drop(state);
    let all = sb.h.customers("bigcommerce");
    assert_eq!(all.len(), 105, "nothing is deleted");
    let c3 = sb.stored("c3@example.com");
    assert_eq!(c3["addresses"][0]["city"], "San Diego");
    assert_eq!(c3["address_count"], 1, "the address was changed, not added");
    assert_eq!(sb.stored("c4@example.com")["last_name"], "Lee-Smith");
    assert_eq!(
        sb.stored("c4@example.com")["addresses"][0]["last_name"],
        "Lee-Smith"
    );
    assert_eq!(sb.stored("c13@example.com")["_updates"], 0);
    assert_eq!(sb.stored("c0@example.com")["_updates"], 0);

    // Night 3: the same file sends nothing.
    let before = sb.h.stats();
    let mut state = State::open(&path, &dest).unwrap();
    let (counts, requests) = night(&sb, &mut state, &night2).await;
    assert_eq!((counts, requests), ((0, 0, 102), 0));
    assert_eq!(format!("{:?}", sb.h.stats()), format!("{before:?}"));
}

#[tokio::test]
async fn the_state_of_the_sandbox_refuses_another_store() {
    let sb = Sb::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.state");
    let dest = |store: &str| Destination {
        platform: "bigcommerce".into(),
        base_url: sb.h.base_url("bigcommerce").replace("sandbox", store),
        store: Some(store.into()),
    };
    let mut state = State::open(&path, &dest("sandbox")).unwrap();
    night(&sb, &mut state, &[customer(1, "X", "Y")]).await;
    drop(state);
    let err = State::open(&path, &dest("other")).unwrap_err();
    assert_eq!(
        storeload::error::CliError::from(err).exit,
        storeload::error::Exit::Usage
    );
}

#[tokio::test]
async fn ignore_blank_keeps_a_value_the_file_leaves_blank() {
    let sb = Sb::start().await;
    let (s, _) = sb
        .bc(Method::POST, "/customers", Some(json!([{"email": "a@x.com", "first_name": "Ann", "last_name": "Lee", "company": "Acme", "phone": "555"}])))
        .await;
    assert_eq!(s, 200);
    let mut c = customer(0, "X", "Lee");
    c.email = Some("a@x.com".into());
    c.addresses.clear();
    c.first_name = Some("Anne".into());
    let batch = [Update {
        id: 1,
        customer: &c,
    }];
    let endpoint = sb.endpoint();
    let (s, ..) = sb
        .send(&updates().update_customers(&endpoint, &batch, Blanks::Keep))
        .await;
    assert_eq!(s, 200);
    let a = sb.stored("a@x.com");
    assert_eq!(
        (a["first_name"].as_str(), a["company"].as_str()),
        (Some("Anne"), Some("Acme"))
    );
    // Without it, a blank cell of a mapped column clears the store's value;
    // an unmapped column (phone here) is never touched.
    let (s, ..) = sb
        .send(&updates().update_customers(&endpoint, &batch, Blanks::Clear(&["company"])))
        .await;
    assert_eq!(s, 200);
    let a = sb.stored("a@x.com");
    assert_eq!(
        (a["company"].as_str(), a["phone"].as_str()),
        (Some(""), Some("555"))
    );
}

#[test]
fn only_platforms_with_an_update_endpoint_take_sync() {
    assert!(PlatformId::Bigcommerce.platform().updates().is_some());
    assert!(PlatformId::Salesive.platform().updates().is_none());
    assert!(PlatformId::Bitbybit.platform().updates().is_none());
}
