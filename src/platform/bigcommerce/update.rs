//! BigCommerce's update endpoints, for `--sync` (FACTS.md "Updating"):
//! `PUT customers` (1–10 customers, each with its integer `id` and the
//! fields to send), the address endpoints (`POST customers/addresses` to
//! add, `PUT customers/addresses` to change by address id,
//! `GET customers/addresses?customer_id:in=…` to list), the pairing of a
//! record's addresses with the stored ones, and the classification of
//! their answers. Builders are pure; nothing here sends.

use reqwest::Method;
use serde_json::{Map, Value};

use super::body::{
    BODY_BYTES_PER_CUSTOMER, UpdateBody, address_update_body, record_hash, sends_address,
};
use super::{BATCH_SIZE, BigCommerce, auth, contains_word};
use crate::model::Customer;
use crate::platform::{
    AddressChange, AddressRequest, Blanks, Endpoint, Platform, Reason, Request, Response,
    StoredAddress, Update, UpdateOutcome, Updates, Verdict, excerpt, json_body,
};

/// Addresses per listing page: the most the API returns at once.
const ADDRESS_PAGE: &str = "250";

impl Updates for BigCommerce {
    fn update_batch_size(&self) -> usize {
        BATCH_SIZE
    }

    fn record_hash(&self, customer: &Customer, blanks: Blanks<'_>) -> [u8; 16] {
        record_hash(customer, blanks)
    }

    fn update_customers(
        &self,
        endpoint: &Endpoint,
        batch: &[Update<'_>],
        blanks: Blanks<'_>,
    ) -> Request {
        let body: Vec<UpdateBody<'_>> = batch
            .iter()
            .map(|u| UpdateBody::new(Some(u.id), u.customer, blanks))
            .collect();
        Request {
            method: Method::PUT,
            url: format!("{}/customers", endpoint.base_url),
            headers: auth(endpoint),
            body: Some(json_body(
                &body,
                BODY_BYTES_PER_CUSTOMER * batch.len().max(1),
            )),
        }
    }

    fn classify_update(
        &self,
        response: &Response<'_>,
        batch: &[Update<'_>],
    ) -> Result<Vec<UpdateOutcome>, Verdict> {
        match response.status {
            200 | 201 => updated_ids(response.body, batch),
            422 => refused_updates(response.body, batch),
            _ => self.other_status(response, batch.len()),
        }
    }

    fn list_addresses(&self, endpoint: &Endpoint, customer_ids: &[u64], page: u32) -> Request {
        let ids: Vec<String> = customer_ids.iter().map(u64::to_string).collect();
        let page = page.max(1).to_string();
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("customer_id:in", &ids.join(","))
            .append_pair("page", &page)
            .append_pair("limit", ADDRESS_PAGE)
            .finish();
        crate::platform::get(
            endpoint,
            &format!("customers/addresses?{query}"),
            auth(endpoint),
        )
    }

    fn parse_addresses(
        &self,
        response: &Response<'_>,
    ) -> Result<(Vec<StoredAddress>, bool), Verdict> {
        if response.status != 200 {
            return Err(self.classify_create(response, &[]));
        }
        let not_a_listing = || Verdict::Retry {
            reason: format!(
                "address listing is not {{\"data\":[…]}}: {}",
                excerpt(response.body)
            ),
            wait: None,
            in_doubt: false,
        };
        let v: Value = serde_json::from_slice(response.body).map_err(|_| not_a_listing())?;
        let data = v
            .get("data")
            .and_then(Value::as_array)
            .ok_or_else(not_a_listing)?;
        let addresses = data
            .iter()
            .filter_map(Value::as_object)
            .filter_map(|a| {
                Some(StoredAddress {
                    id: int(a.get("id")?)?,
                    customer_id: int(a.get("customer_id")?)?,
                    fields: a
                        .iter()
                        .filter(|(_, v)| v.is_string())
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                })
            })
            .collect();
        let pagination = v.pointer("/meta/pagination");
        let page = |k: &str| pagination.and_then(|p| p.get(k)).and_then(Value::as_u64);
        let more = matches!(
            (page("current_page"), page("total_pages")),
            (Some(current), Some(total)) if current < total
        );
        Ok((addresses, more))
    }

    fn address_changes(
        &self,
        customer_id: u64,
        customer: &Customer,
        stored: &[StoredAddress],
        blanks: Blanks<'_>,
    ) -> Vec<AddressChange> {
        let mut free: Vec<&StoredAddress> = stored
            .iter()
            .filter(|s| s.customer_id == customer_id)
            .collect();
        free.sort_by_key(|s| s.id);
        // Addresses the store holds already are left alone, wherever they
        // stand; the rest change the free stored addresses in id order,
        // then are added.
        let mut unmatched = Vec::new();
        for a in customer.addresses.iter().filter(|a| sends_address(a)) {
            let Ok(Value::Object(wanted)) = serde_json::to_value(address_update_body(a, blanks))
            else {
                continue;
            };
            match free.iter().position(|s| holds(s, &wanted)) {
                Some(i) => {
                    free.remove(i);
                }
                None => unmatched.push(wanted),
            }
        }
        let mut free = free.into_iter();
        unmatched
            .into_iter()
            .map(|body| AddressChange {
                customer_id,
                address_id: free.next().map(|s| s.id),
                body,
            })
            .collect()
    }

    fn address_requests(
        &self,
        endpoint: &Endpoint,
        changes: &[AddressChange],
    ) -> Vec<AddressRequest> {
        let (adds, edits): (Vec<usize>, Vec<usize>) =
            (0..changes.len()).partition(|&i| changes[i].address_id.is_none());
        let mut out = Vec::new();
        for (method, members) in [(Method::POST, adds), (Method::PUT, edits)] {
            for chunk in members.chunks(BATCH_SIZE) {
                let body: Vec<Value> = chunk
                    .iter()
                    .map(|&i| {
                        let c = &changes[i];
                        let mut item = Map::new();
                        match c.address_id {
                            Some(id) => item.insert("id".into(), id.into()),
                            None => item.insert("customer_id".into(), c.customer_id.into()),
                        };
                        item.extend(c.body.iter().map(|(k, v)| (k.clone(), v.clone())));
                        Value::Object(item)
                    })
                    .collect();
                out.push(AddressRequest {
                    request: Request {
                        method: method.clone(),
                        url: format!("{}/customers/addresses", endpoint.base_url),
                        headers: auth(endpoint),
                        body: Some(json_body(&body, 256 * chunk.len())),
                    },
                    members: chunk.to_vec(),
                });
            }
        }
        out
    }

    fn classify_addresses(
        &self,
        response: &Response<'_>,
        members: &[&AddressChange],
    ) -> Result<Vec<UpdateOutcome>, Verdict> {
        match response.status {
            200 | 201 => {
                let ok = serde_json::from_slice::<Value>(response.body)
                    .ok()
                    .is_some_and(|v| v.get("data").is_some_and(Value::is_array));
                if !ok {
                    return Err(Verdict::Retry {
                        reason: format!(
                            "200 with a body that is not {{\"data\":[…]}}: {}",
                            excerpt(response.body)
                        ),
                        wait: None,
                        in_doubt: true,
                    });
                }
                Ok(members
                    .iter()
                    .map(|c| UpdateOutcome::Updated { id: c.customer_id })
                    .collect())
            }
            422 => {
                let n = members.len();
                let mut out: Vec<Option<UpdateOutcome>> = vec![None; n];
                let mut unexplained = Vec::new();
                for (key, message) in errors_of(response.body).unwrap_or_default() {
                    match position(&key, n) {
                        Some((i, field)) => reject(&mut out[i], field, message),
                        None => unexplained.push(message),
                    }
                }
                settle(out, unexplained, response.body)
            }
            _ => self.other_status(response, members.len()),
        }
    }
}

impl BigCommerce {
    /// A status the update answers share with create: 401/403/404 stop,
    /// 413 splits, 429 and 5xx retry; any other refuses a lone record and
    /// splits a batch.
    fn other_status(
        &self,
        response: &Response<'_>,
        n: usize,
    ) -> Result<Vec<UpdateOutcome>, Verdict> {
        match response.status {
            401 | 403 | 404 | 413 | 429 | 500..=599 => Err(self.classify_create(response, &[])),
            status if n > 1 => Err(Verdict::Split {
                reason: format!("{status}: {}", excerpt(response.body)),
            }),
            status => Ok(vec![UpdateOutcome::Rejected {
                reasons: vec![Reason {
                    field: "record".into(),
                    rule: format!("platform.{status}"),
                    message: excerpt(response.body),
                }],
            }]),
        }
    }
}

/// An id in an answer: an integer, or a string of digits.
fn int(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Whether the stored address holds every field of `wanted` (a field the
/// store leaves out is `""`).
fn holds(stored: &StoredAddress, wanted: &Map<String, Value>) -> bool {
    wanted.iter().all(|(k, v)| {
        let have = stored.fields.get(k).and_then(Value::as_str).unwrap_or("");
        have == v.as_str().unwrap_or("")
    })
}

/// A 200 update answer: each batch member whose id is in `data` is
/// updated; one missing is sent again (an update is idempotent).
fn updated_ids(body: &[u8], batch: &[Update<'_>]) -> Result<Vec<UpdateOutcome>, Verdict> {
    let data = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("data").and_then(Value::as_array).cloned())
        .ok_or_else(|| Verdict::Retry {
            reason: format!(
                "200 with a body that is not {{\"data\":[…]}}: {}",
                excerpt(body)
            ),
            wait: None,
            in_doubt: true,
        })?;
    let ids: Vec<u64> = data
        .iter()
        .filter_map(|c| c.get("id").and_then(int))
        .collect();
    Ok(batch
        .iter()
        .map(|u| {
            if ids.contains(&u.id) {
                UpdateOutcome::Updated { id: u.id }
            } else {
                UpdateOutcome::Resend {
                    reason: "not in the 200 answer's data".into(),
                }
            }
        })
        .collect())
}

/// The `errors` map of a 422 body as (key, message) pairs.
fn errors_of(body: &[u8]) -> Option<Vec<(String, String)>> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let errors = v.get("errors")?.as_object()?;
    Some(
        errors
            .iter()
            .map(|(k, m)| {
                let message = m
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| m.to_string());
                (k.clone(), message)
            })
            .collect(),
    )
}

/// A positional error key (`"3.email"`, `"0"`): the item and the field.
fn position(key: &str, n: usize) -> Option<(usize, String)> {
    let (head, field) = key.split_once('.').unwrap_or((key, "record"));
    let i: usize = head.parse().ok()?;
    (i < n).then(|| (i, field.to_string()))
}

/// Adds a platform refusal of `field` to a member's outcome.
fn reject(slot: &mut Option<UpdateOutcome>, field: String, message: String) {
    let reason = Reason {
        field,
        rule: "platform.422".into(),
        message,
    };
    match slot {
        Some(UpdateOutcome::Rejected { reasons }) => reasons.push(reason),
        slot => {
            *slot = Some(UpdateOutcome::Rejected {
                reasons: vec![reason],
            })
        }
    }
}

/// Whether `message` names the customer id `id` (as `id 42`, `id: 42`,
/// `id=42`, `#42`): a bare number could be a count.
fn names_id(message: &str, id: u64) -> bool {
    let id = id.to_string();
    let lower = message.to_lowercase();
    lower.match_indices(&id).any(|(i, _)| {
        let after = lower[i + id.len()..].chars().next();
        if after.is_some_and(|c| c.is_ascii_alphanumeric()) {
            return false;
        }
        let before = lower[..i].trim_end_matches([' ', ':', '=', '"', '\'']);
        before.ends_with('#')
            || (before.ends_with("id")
                && !before[..before.len() - 2]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_ascii_alphanumeric()))
    })
}

/// A 422 update answer: a positional key refuses that member; a message
/// naming a member's id (unknown id) or email (taken by another customer)
/// refuses that member; the others are sent again. When nothing names a
/// member, a batch is split and a lone record refused.
fn refused_updates(body: &[u8], batch: &[Update<'_>]) -> Result<Vec<UpdateOutcome>, Verdict> {
    let n = batch.len();
    let mut out: Vec<Option<UpdateOutcome>> = vec![None; n];
    let mut unexplained = Vec::new();
    for (key, message) in errors_of(body).unwrap_or_default() {
        if let Some((i, field)) = position(&key, n) {
            reject(&mut out[i], field, message);
            continue;
        }
        let lower = message.to_lowercase();
        if let Some(i) = batch.iter().position(|u| names_id(&message, u.id)) {
            reject(&mut out[i], "id".into(), message);
        } else if let Some(i) = batch.iter().position(|u| {
            u.customer
                .email
                .as_deref()
                .is_some_and(|e| contains_word(&lower, e))
        }) {
            reject(&mut out[i], "email".into(), message);
        } else {
            unexplained.push(message);
        }
    }
    settle(out, unexplained, body)
}

/// The outcomes of a 422 once its messages are read: members named are
/// refused and the others sent again; with none named, a batch splits and
/// a lone member is refused with whatever the answer said.
fn settle(
    out: Vec<Option<UpdateOutcome>>,
    unexplained: Vec<String>,
    body: &[u8],
) -> Result<Vec<UpdateOutcome>, Verdict> {
    if out.iter().all(Option::is_none) {
        let reason = if unexplained.is_empty() {
            excerpt(body)
        } else {
            unexplained.join("; ")
        };
        if out.len() > 1 {
            return Err(Verdict::Split { reason });
        }
        return Ok(vec![UpdateOutcome::Rejected {
            reasons: vec![Reason {
                field: "record".into(),
                rule: "platform.422".into(),
                message: reason,
            }],
        }]);
    }
    // Batch atomicity is undocumented; an update is idempotent, so the
    // others are simply sent again.
    Ok(out
        .into_iter()
        .map(|o| {
            o.unwrap_or(UpdateOutcome::Resend {
                reason: "batch refused for another record".into(),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Address;
    use crate::platform::test_support::body_json;
    use crate::platform::{Credentials, PlatformId};
    use reqwest::header::HeaderMap;

    fn endpoint() -> Endpoint {
        Endpoint::new(
            "https://api.bigcommerce.com/stores/abc/v3",
            Credentials {
                secret: "tok".into(),
                store_hash: Some("abc".into()),
            },
        )
    }

    fn address(city: &str) -> Address {
        Address {
            first_name: Some("Ann".into()),
            last_name: Some("Lee".into()),
            address1: Some("1 Main St".into()),
            city: Some(city.into()),
            country_code: Some("US".into()),
            province_code: Some("CA".into()),
            zip: Some("90001".into()),
            ..Address::default()
        }
    }

    fn customer(email: &str) -> Customer {
        Customer {
            email: Some(email.into()),
            first_name: Some("Ann".into()),
            last_name: Some("Lee".into()),
            company: Some("Acme".into()),
            tags: vec!["vip".into()],
            addresses: vec![address("Los Angeles")],
            ..Customer::default()
        }
    }

    const MAPPED: &[&str] = &[
        "email",
        "first_name",
        "last_name",
        "company",
        "phone",
        "notes",
        "address.address2",
        "address.zip",
    ];

    fn answer(
        status: u16,
        body: &str,
        batch: &[Update<'_>],
    ) -> Result<Vec<UpdateOutcome>, Verdict> {
        let h = HeaderMap::new();
        BigCommerce.classify_update(
            &Response {
                status,
                headers: &h,
                body: body.as_bytes(),
            },
            batch,
        )
    }

    #[test]
    fn only_bigcommerce_takes_updates() {
        for id in crate::platform::ALL {
            assert_eq!(
                id.platform().updates().is_some(),
                *id == PlatformId::Bigcommerce,
                "{id}"
            );
        }
    }

    #[test]
    fn bigcommerce_update_is_a_put_of_ids_and_fields_without_addresses() {
        let (a, b) = (customer("a@x.com"), customer("b@x.com"));
        let batch = [
            Update {
                id: 7,
                customer: &a,
            },
            Update {
                id: 9,
                customer: &b,
            },
        ];
        let req = BigCommerce.update_customers(&endpoint(), &batch, Blanks::Keep);
        assert_eq!(req.method, Method::PUT);
        assert_eq!(
            req.url,
            "https://api.bigcommerce.com/stores/abc/v3/customers"
        );
        assert!(req.headers.contains(&("X-Auth-Token".into(), "tok".into())));
        assert_eq!(
            body_json(&req),
            serde_json::json!([
                {"id": 7, "email": "a@x.com", "first_name": "Ann", "last_name": "Lee", "company": "Acme"},
                {"id": 9, "email": "b@x.com", "first_name": "Ann", "last_name": "Lee", "company": "Acme"}
            ])
        );
    }

    #[test]
    fn ignore_blank_leaves_a_blank_field_out_and_otherwise_a_mapped_one_is_cleared() {
        let mut c = customer("a@x.com");
        c.company = None;
        let batch = [Update {
            id: 7,
            customer: &c,
        }];
        let keep = body_json(&BigCommerce.update_customers(&endpoint(), &batch, Blanks::Keep));
        assert!(keep[0].get("company").is_none(), "{keep}");
        assert!(keep[0].get("phone").is_none(), "{keep}");
        let clear =
            body_json(&BigCommerce.update_customers(&endpoint(), &batch, Blanks::Clear(MAPPED)));
        assert_eq!(clear[0]["company"], "");
        assert_eq!(clear[0]["phone"], "");
        assert_eq!(clear[0]["notes"], "");
        // Not mapped by the input: never cleared.
        assert!(clear[0].get("tax_exempt_category").is_none(), "{clear}");
        assert!(clear[0].get("channel_ids").is_none(), "{clear}");
        // Mapped channels left blank: every channel.
        let clear = body_json(&BigCommerce.update_customers(
            &endpoint(),
            &batch,
            Blanks::Clear(&["channel_ids"]),
        ));
        assert_eq!(clear[0]["channel_ids"], Value::Null);
    }

    #[test]
    fn the_record_hash_follows_what_an_update_carries_and_nothing_else() {
        let base = customer("a@x.com");
        let hash = |c: &Customer| BigCommerce.record_hash(c, Blanks::Keep);
        assert_eq!(hash(&base), hash(&base.clone()));
        let mut city = base.clone();
        city.addresses[0].city = Some("San Diego".into());
        assert_ne!(hash(&base), hash(&city));
        let mut last = base.clone();
        last.last_name = Some("Lee-Smith".into());
        assert_ne!(hash(&base), hash(&last));
        // Tags are not sent to BigCommerce, nor an address without a street.
        let mut tags = base.clone();
        tags.tags.push("new".into());
        assert_eq!(hash(&base), hash(&tags));
        let mut nostreet = base.clone();
        nostreet.addresses.push(Address {
            city: Some("Nowhere".into()),
            ..Address::default()
        });
        assert_eq!(hash(&base), hash(&nostreet));
        // A blank cleared is a different request than a blank kept.
        let mut blank = base.clone();
        blank.company = None;
        assert_ne!(
            BigCommerce.record_hash(&blank, Blanks::Keep),
            BigCommerce.record_hash(&blank, Blanks::Clear(MAPPED))
        );
        // With no mapped field blank, the policy does not matter.
        let mut full = base.clone();
        full.phone = Some("+1 555 0100".into());
        full.notes = Some("n".into());
        full.addresses[0].address2 = Some("Suite 2".into());
        assert_eq!(
            BigCommerce.record_hash(&full, Blanks::Keep),
            BigCommerce.record_hash(&full, Blanks::Clear(MAPPED))
        );
    }

    #[test]
    fn bigcommerce_update_200_is_updated_per_id_and_a_missing_id_is_sent_again() {
        let (a, b) = (customer("a@x.com"), customer("b@x.com"));
        let batch = [
            Update {
                id: 7,
                customer: &a,
            },
            Update {
                id: 9,
                customer: &b,
            },
        ];
        assert_eq!(
            answer(
                200,
                r#"{"data":[{"id":7,"email":"a@x.com"}],"meta":{}}"#,
                &batch
            ),
            Ok(vec![
                UpdateOutcome::Updated { id: 7 },
                UpdateOutcome::Resend {
                    reason: "not in the 200 answer's data".into()
                }
            ])
        );
        assert!(matches!(
            answer(200, "not json", &batch),
            Err(Verdict::Retry { .. })
        ));
    }

    #[test]
    fn bigcommerce_update_422_names_the_unknown_id_or_the_taken_email() {
        let (a, b, c) = (
            customer("a@x.com"),
            customer("b@x.com"),
            customer("c@x.com"),
        );
        let batch = [
            Update {
                id: 2,
                customer: &a,
            },
            Update {
                id: 999,
                customer: &b,
            },
            Update {
                id: 5,
                customer: &c,
            },
        ];
        let v = answer(
            422,
            r#"{"status":422,"title":"Update customers failed.","type":"t","errors":{".customer_update":"Error updating 2 customers: customer id 999 does not exist"}}"#,
            &batch,
        )
        .unwrap();
        assert!(matches!(&v[0], UpdateOutcome::Resend { .. }), "{v:?}");
        assert!(
            matches!(&v[1], UpdateOutcome::Rejected { reasons } if reasons[0].field == "id" && reasons[0].message.contains("999")),
            "{v:?}"
        );
        assert!(matches!(&v[2], UpdateOutcome::Resend { .. }), "{v:?}");
        let v = answer(
            422,
            r#"{"errors":{".customer_update":"Error updating customers: email c@x.com already in use"}}"#,
            &batch,
        )
        .unwrap();
        assert!(
            matches!(&v[2], UpdateOutcome::Rejected { reasons } if reasons[0].field == "email"),
            "{v:?}"
        );
        let v = answer(422, r#"{"errors":{"0.first_name":"too long"}}"#, &batch).unwrap();
        assert!(
            matches!(&v[0], UpdateOutcome::Rejected { reasons } if reasons[0].field == "first_name")
        );
        // Naming nobody: a batch splits, a lone record is refused.
        assert!(matches!(
            answer(422, r#"{"errors":{".customer_update":"failed"}}"#, &batch),
            Err(Verdict::Split { .. })
        ));
        assert!(matches!(
            answer(
                422,
                r#"{"errors":{".customer_update":"failed"}}"#,
                &batch[..1]
            )
            .as_deref(),
            Ok([UpdateOutcome::Rejected { .. }])
        ));
    }

    #[test]
    fn a_number_in_a_message_names_an_id_only_as_an_id() {
        assert!(names_id("customer id 999 does not exist", 999));
        assert!(names_id("Customer ID: 999 not found", 999));
        assert!(names_id("no customer #12", 12));
        assert!(names_id("{\"id\":\"12\"}", 12));
        assert!(!names_id("Error updating 2 customers", 2));
        assert!(!names_id("customer id 1999 does not exist", 999));
        assert!(!names_id("customer id 9990", 999));
        assert!(!names_id("grid 12", 12));
    }

    #[test]
    fn update_answers_share_creates_statuses() {
        let a = customer("a@x.com");
        let batch = [Update {
            id: 1,
            customer: &a,
        }];
        assert!(matches!(answer(401, "", &batch), Err(Verdict::Stop { .. })));
        assert!(matches!(
            answer(413, "", &batch),
            Err(Verdict::Split { .. })
        ));
        assert!(matches!(
            answer(429, "", &batch),
            Err(Verdict::Retry {
                in_doubt: false,
                ..
            })
        ));
        assert!(matches!(
            answer(500, "", &batch),
            Err(Verdict::Retry { .. })
        ));
        assert!(matches!(
            answer(400, "bad", &batch).as_deref(),
            Ok([UpdateOutcome::Rejected { .. }])
        ));
    }

    fn stored(id: u64, customer_id: u64, city: &str) -> StoredAddress {
        let v = serde_json::json!({
            "first_name": "Ann", "last_name": "Lee", "company": "", "address1": "1 Main St",
            "address2": "", "city": city, "state_or_province": "California",
            "postal_code": "90001", "country_code": "US", "country": "United States", "phone": ""
        });
        StoredAddress {
            id,
            customer_id,
            fields: v.as_object().cloned().unwrap_or_default(),
        }
    }

    #[test]
    fn an_address_the_store_holds_is_left_alone_a_changed_one_changes_a_new_one_is_added() {
        let c = customer("a@x.com");
        let same = [stored(3, 7, "Los Angeles")];
        assert_eq!(
            BigCommerce.address_changes(7, &c, &same, Blanks::Keep),
            vec![]
        );
        // Cleared blanks the store holds as "" match too.
        assert_eq!(
            BigCommerce.address_changes(7, &c, &same, Blanks::Clear(MAPPED)),
            vec![]
        );
        let moved = [stored(3, 7, "San Diego"), stored(1, 8, "Other customer")];
        let changes = BigCommerce.address_changes(7, &c, &moved, Blanks::Keep);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].address_id, Some(3));
        assert_eq!(changes[0].body["city"], "Los Angeles");
        assert_eq!(changes[0].body["state_or_province"], "California");
        let added = BigCommerce.address_changes(7, &c, &[], Blanks::Keep);
        assert_eq!(added.len(), 1);
        assert_eq!((added[0].customer_id, added[0].address_id), (7, None));
        // Two in the record, one matching the second stored: the other
        // changes the first stored (lowest free id); nothing is deleted.
        let mut two = c.clone();
        two.addresses.push(address("Fresno"));
        let stored2 = [
            stored(4, 7, "Los Angeles"),
            stored(2, 7, "Sacramento"),
            stored(6, 7, "Napa"),
        ];
        let changes = BigCommerce.address_changes(7, &two, &stored2, Blanks::Keep);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].address_id, Some(2));
        assert_eq!(changes[0].body["city"], "Fresno");
    }

    #[test]
    fn address_requests_send_adds_and_changes_apart_ten_at_most() {
        let mut changes: Vec<AddressChange> = (0..12)
            .map(|i| AddressChange {
                customer_id: i,
                address_id: None,
                body: serde_json::json!({"city": "X"})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            })
            .collect();
        changes.insert(
            5,
            AddressChange {
                customer_id: 40,
                address_id: Some(77),
                body: serde_json::json!({"city": "Y"})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            },
        );
        let reqs = BigCommerce.address_requests(&endpoint(), &changes);
        let shape: Vec<(Method, usize)> = reqs
            .iter()
            .map(|r| (r.request.method.clone(), r.members.len()))
            .collect();
        assert_eq!(
            shape,
            [(Method::POST, 10), (Method::POST, 2), (Method::PUT, 1)]
        );
        assert!(reqs[0].request.url.ends_with("/v3/customers/addresses"));
        assert_eq!(
            body_json(&reqs[2].request),
            serde_json::json!([{"id": 77, "city": "Y"}])
        );
        assert_eq!(
            body_json(&reqs[0].request)[0],
            serde_json::json!({"customer_id": 0, "city": "X"})
        );
        assert_eq!(reqs[2].members, [5]);
    }

    #[test]
    fn address_listing_is_read_with_its_pages() {
        let req = BigCommerce.list_addresses(&endpoint(), &[3, 4], 2);
        assert_eq!(
            req.url,
            "https://api.bigcommerce.com/stores/abc/v3/customers/addresses?customer_id%3Ain=3%2C4&page=2&limit=250"
        );
        let h = HeaderMap::new();
        let body = br#"{"data":[{"id":5,"customer_id":3,"city":"X","address_type":"residential"},{"id":"x"}],"meta":{"pagination":{"current_page":1,"total_pages":2}}}"#;
        let (list, more) = BigCommerce
            .parse_addresses(&Response {
                status: 200,
                headers: &h,
                body,
            })
            .unwrap();
        assert!(more);
        assert_eq!(list.len(), 1);
        assert_eq!((list[0].id, list[0].customer_id), (5, 3));
        assert_eq!(list[0].fields["city"], "X");
        assert!(matches!(
            BigCommerce.parse_addresses(&Response {
                status: 401,
                headers: &h,
                body: b"",
            }),
            Err(Verdict::Stop { .. })
        ));
    }

    #[test]
    fn address_answers_update_each_member_or_refuse_the_one_named() {
        let change = |id| AddressChange {
            customer_id: id,
            address_id: None,
            body: Map::new(),
        };
        let (a, b) = (change(1), change(2));
        let h = HeaderMap::new();
        let classify = |status, body: &str| {
            BigCommerce.classify_addresses(
                &Response {
                    status,
                    headers: &h,
                    body: body.as_bytes(),
                },
                &[&a, &b],
            )
        };
        assert_eq!(
            classify(200, r#"{"data":[]}"#),
            Ok(vec![
                UpdateOutcome::Updated { id: 1 },
                UpdateOutcome::Updated { id: 2 }
            ])
        );
        let v = classify(422, r#"{"errors":{"1.city":"too long"}}"#).unwrap();
        assert!(matches!(&v[0], UpdateOutcome::Resend { .. }));
        assert!(matches!(&v[1], UpdateOutcome::Rejected { reasons } if reasons[0].field == "city"));
        assert!(matches!(classify(413, ""), Err(Verdict::Split { .. })));
    }
}
