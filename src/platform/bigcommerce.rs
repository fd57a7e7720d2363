//! BigCommerce customers v3 (`specs/bigcommerce-create-customers.txt`,
//! FACTS.md): rules, batch size, request shape, response classification.

use std::borrow::Cow;
use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::Value;

use super::{
    Credentials, Endpoint, Found, LookupFields, Outcome, Platform, PlatformId, QuotaHint, Rate,
    Reason, Request, Response, Updates, Verdict, excerpt, header_num, json_body, parse_found,
    required_env, server_trouble,
};
use crate::error::CliError;
use crate::findings::{FieldPath, Findings, Indexed, check_len};
use crate::len_rules;
use crate::model::Customer;
use crate::values::{email_reason, is_state_name, is_valid_email, normalise_email, province_name};

mod body;
mod update;

use body::{BODY_BYTES_PER_CUSTOMER, CustomerBody, sends_address, spelled_out_state};

/// The store hash the local sandbox's BigCommerce answers to.
pub const SANDBOX_STORE_HASH: &str = "sandbox";
/// An access token the local sandbox's BigCommerce accepts, with the
/// Customers "modify" scope.
pub const SANDBOX_ACCESS_TOKEN: &str = "sandbox-bc-token";

/// The option (`--notify`) by which BigCommerce mails its welcome email to
/// every customer created; off unless set (DECISIONS.md "Sending safely").
pub const NOTIFY_OPTION: &str = "notify";

/// Countries whose states BigCommerce knows by their full names (FACTS.md:
/// it refuses a state name it does not know for the country): a state of
/// one of these must be an ISO 3166-2 name, or a code that spells out to
/// one. The sandbox refuses the same.
pub const NAMED_STATE_COUNTRIES: &[&str] = &["US", "CA", "AU"];

/// Customers per create request: "Create up to 10 customers in one call."
pub const BATCH_SIZE: usize = 10;
/// "addresses … Limited to 10."
pub const MAX_ADDRESSES: usize = 10;
/// "attributes … Limited to 10."
pub const MAX_ATTRIBUTES: usize = 10;

/// The BigCommerce platform.
pub struct BigCommerce;

/// Where its lookup answer keeps a customer's fields.
const LOOKUP: LookupFields = LookupFields {
    id: &["id"],
    phone: "phone",
    created_at: "date_created",
};

impl Platform for BigCommerce {
    fn id(&self) -> PlatformId {
        PlatformId::Bigcommerce
    }

    fn display_name(&self) -> &'static str {
        "BigCommerce"
    }

    fn batch_size(&self) -> usize {
        BATCH_SIZE
    }

    fn check_customer(&self, c: &Customer, f: &mut Findings) {
        check_len(f, "email", c.email.as_deref(), 3, 250, len_rules!("email"));
        if let Some(email) = c.email.as_deref()
            && !is_valid_email(email)
        {
            f.violation_with("email", "email.invalid", || {
                format!(
                    "email \"{email}\" is not a valid address: {}",
                    email_reason(email)
                )
            });
        }
        check_len(
            f,
            "first_name",
            c.first_name.as_deref(),
            1,
            100,
            len_rules!("first_name"),
        );
        check_len(
            f,
            "last_name",
            c.last_name.as_deref(),
            1,
            100,
            len_rules!("last_name"),
        );
        check_len(
            f,
            "company",
            c.company.as_deref(),
            0,
            255,
            len_rules!("company"),
        );
        check_len(f, "phone", c.phone.as_deref(), 0, 50, len_rules!("phone"));
        check_len(
            f,
            "tax_exempt_category",
            c.tax_exempt_category.as_deref(),
            0,
            255,
            len_rules!("tax_exempt_category"),
        );
        if let Some(ids) = &c.channel_ids
            && ids.is_empty()
        {
            f.violation(
                "channel_ids",
                "channel_ids.empty",
                "channel_ids is an empty list; leave it out for every channel, or name at least one channel".into(),
            );
        }
        if c.attributes.len() > MAX_ATTRIBUTES {
            f.violation(
                "attributes",
                "attributes.too_many",
                format!(
                    "{} attributes given, BigCommerce accepts at most {MAX_ATTRIBUTES}",
                    c.attributes.len()
                ),
            );
        }
        for (i, a) in c.attributes.iter().enumerate() {
            if a.attribute_id.is_none() {
                f.violation(
                    format!("attributes[{i}].attribute_id"),
                    "attributes.attribute_id.required",
                    format!("attribute {} has no attribute_id; create the attribute in the store and give its id", i + 1),
                );
            }
            match a.attribute_value.as_deref() {
                None => f.violation(
                    format!("attributes[{i}].attribute_value"),
                    "attributes.attribute_value.required",
                    format!("attribute {} has no attribute_value", i + 1),
                ),
                Some(v) if v.chars().count() > 255 => f.violation(
                    format!("attributes[{i}].attribute_value"),
                    "attributes.attribute_value.too_long",
                    format!("attribute {} value is longer than 255 characters", i + 1),
                ),
                Some(_) => {}
            }
        }
        let sent = c.addresses.iter().filter(|a| sends_address(a)).count();
        if sent > MAX_ADDRESSES {
            f.violation(
                "addresses",
                "addresses.too_many",
                format!("{sent} addresses given, BigCommerce accepts at most {MAX_ADDRESSES}"),
            );
        }
        for (i, a) in c.addresses.iter().enumerate() {
            if !sends_address(a) {
                // BigCommerce cannot store an address without a street line:
                // it is left out, the customer is still imported, and nothing
                // else about that address can refuse the customer.
                let field = Indexed {
                    list: "addresses",
                    index: i,
                    name: "address1",
                };
                f.warning_with(field, "address.no_street_left_out", || {
                    let country = match (&a.country_code, &a.country) {
                        (None, Some(written)) => format!(
                            "; its country \"{written}\" is not one storeload knows either"
                        ),
                        _ => String::new(),
                    };
                    format!(
                        "address {} has no street line (address1); BigCommerce cannot store it, so it is left out and the customer is imported without it{country}",
                        i + 1
                    )
                });
                continue;
            }
            let p = |name| Indexed {
                list: "addresses",
                index: i,
                name,
            };
            check_len(
                f,
                p("first_name"),
                a.first_name.as_deref(),
                1,
                255,
                len_rules!("address.first_name"),
            );
            check_len(
                f,
                p("last_name"),
                a.last_name.as_deref(),
                1,
                255,
                len_rules!("address.last_name"),
            );
            // address1 is required; BigCommerce documents no length for it.
            check_len(
                f,
                p("address1"),
                a.address1.as_deref(),
                1,
                usize::MAX,
                len_rules!("address.address1"),
            );
            check_len(
                f,
                p("city"),
                a.city.as_deref(),
                1,
                100,
                len_rules!("address.city"),
            );
            check_len(
                f,
                p("state_or_province"),
                a.province.as_deref(),
                0,
                100,
                len_rules!("address.state_or_province"),
            );
            check_len(
                f,
                p("postal_code"),
                a.zip.as_deref(),
                0,
                30,
                len_rules!("address.postal_code"),
            );
            check_len(
                f,
                p("phone"),
                a.phone.as_deref(),
                0,
                50,
                len_rules!("address.phone"),
            );
            // FACTS.md: BigCommerce refuses a state it does not know for the
            // country; a code that names none is caught here.
            if let (Some(cc), Some(code), None) = (&a.country_code, &a.province_code, &a.province)
                && province_name(cc, code).is_none()
            {
                f.violation_with(
                    p("state_or_province").path(),
                    "address.province_code.unknown",
                    || format!(
                        "province code \"{code}\" is not a state or province of {cc}; write the full name or an ISO 3166-2 code"
                    ),
                );
            } else if let (Some(cc), Some(state)) = (&a.country_code, spelled_out_state(a))
                && NAMED_STATE_COUNTRIES.contains(&cc.as_str())
                && state.chars().count() <= 100
                && !is_state_name(cc, state)
            {
                f.violation_with(
                    p("state_or_province").path(),
                    "address.state_or_province.unknown",
                    || format!(
                        "state \"{state}\" is not a state or province of {cc}; BigCommerce refuses a state it does not know: write its full name (e.g. California) or its code (CA)"
                    ),
                );
            }
            match (&a.country_code, &a.country) {
                (Some(_), _) => {}
                (None, Some(written)) => f.violation_with(
                    p("country_code").path(),
                    "address.country_code.invalid",
                    || format!(
                        "country \"{written}\" is not a country storeload knows; write its ISO 3166-1 code (e.g. US, DE)"
                    ),
                ),
                (None, None) => f.violation(
                    p("country_code").path(),
                    "address.country_code.required",
                    "address has no country; BigCommerce needs a country code (e.g. US, DE)".into(),
                ),
            }
        }
    }

    fn sends_field(&self, field: &str) -> bool {
        !matches!(field, "active" | "image_url" | "accepts_marketing" | "tags")
    }

    fn sent_fields(&self) -> &'static [&'static str] {
        // `CustomerBody` and `AddressBody` (body.rs); a country name is sent
        // as its code, a province code as the state's name.
        &[
            "email",
            "first_name",
            "last_name",
            "company",
            "phone",
            "notes",
            "tax_exempt_category",
            "customer_group_id",
            "origin_channel_id",
            "channel_ids",
            "attributes",
            "address.first_name",
            "address.last_name",
            "address.company",
            "address.phone",
            "address.address1",
            "address.address2",
            "address.city",
            "address.province",
            "address.province_code",
            "address.country",
            "address.country_code",
            "address.zip",
        ]
    }

    fn env_vars(&self) -> &'static [&'static str] {
        &["BIGCOMMERCE_STORE_HASH", "BIGCOMMERCE_ACCESS_TOKEN"]
    }

    fn credentials_from_env(&self) -> Result<Credentials, CliError> {
        let store_hash = required_env("BIGCOMMERCE_STORE_HASH", "the BigCommerce store hash")?;
        let secret = required_env("BIGCOMMERCE_ACCESS_TOKEN", "the BigCommerce access token")?;
        Ok(Credentials {
            secret,
            store_hash: Some(store_hash),
        })
    }

    fn default_base_url(&self, credentials: &Credentials) -> String {
        format!(
            "https://api.bigcommerce.com/stores/{}/v3",
            credentials.store_hash.as_deref().unwrap_or("")
        )
    }

    fn default_rate(&self) -> Rate {
        DEFAULT_RATE
    }

    fn default_concurrency(&self) -> usize {
        4
    }

    fn max_concurrency(&self) -> Option<usize> {
        // FACTS.md: about 10 concurrent requests per store.
        Some(10)
    }

    fn sandbox_credentials(&self) -> Credentials {
        Credentials {
            secret: SANDBOX_ACCESS_TOKEN.into(),
            store_hash: Some(SANDBOX_STORE_HASH.into()),
        }
    }

    fn email_unique(&self) -> bool {
        true
    }

    fn create_customers(&self, endpoint: &Endpoint, batch: &[&Customer]) -> Request {
        let body: Vec<CustomerBody<'_>> = batch
            .iter()
            .map(|c| CustomerBody::new(c, endpoint.options.flag(NOTIFY_OPTION)))
            .collect();
        Request {
            method: Method::POST,
            url: format!("{}/customers", endpoint.base_url),
            headers: auth(endpoint),
            body: Some(json_body(
                &body,
                BODY_BYTES_PER_CUSTOMER * batch.len().max(1),
            )),
        }
    }

    fn classify_create(&self, response: &Response<'_>, batch: &[&Customer]) -> Verdict {
        match response.status {
            200 | 201 => Self::classify_200(response.body, batch),
            422 => Self::classify_422(response.body, batch),
            413 => Verdict::Split {
                reason: "413: the batch is larger than the store accepts".into(),
            },
            401 | 403 => Verdict::Stop {
                message: format!(
                    "BigCommerce refused the access token ({}); check BIGCOMMERCE_ACCESS_TOKEN and BIGCOMMERCE_STORE_HASH, and that the API account has the Customers \"modify\" scope",
                    response.status
                ),
            },
            404 => Verdict::Stop {
                message: "BigCommerce answered 404 for the customers endpoint; check --base-url and BIGCOMMERCE_STORE_HASH".into(),
            },
            429 => self.too_many(response.headers),
            status => server_trouble(status, None).unwrap_or_else(|| {
                if batch.len() > 1 {
                    Verdict::Split {
                        reason: format!("{status}: {}", excerpt(response.body)),
                    }
                } else {
                    Verdict::Outcomes(vec![Outcome::Rejected {
                        reasons: vec![Reason {
                            field: "record".into(),
                            rule: format!("platform.{status}"),
                            message: excerpt(response.body),
                        }],
                    }])
                }
            }),
        }
    }

    fn quota_hint(&self, headers: &HeaderMap) -> QuotaHint {
        QuotaHint {
            quota: header_num(headers, "x-rate-limit-requests-quota").map(|v| v as u32),
            window: header_num(headers, "x-rate-limit-time-window-ms").map(Duration::from_millis),
            left: header_num(headers, "x-rate-limit-requests-left").map(|v| v as u32),
            reset: header_num(headers, "x-rate-limit-time-reset-ms").map(Duration::from_millis),
        }
    }

    fn lookup(&self, endpoint: &Endpoint, keys: &[&str]) -> Option<Request> {
        let emails: Vec<&str> = keys.iter().copied().filter(|k| k.contains('@')).collect();
        if emails.is_empty() {
            return None;
        }
        let emails = emails.join(",");
        super::get_customers(
            endpoint,
            &[("email:in", emails.as_str()), ("limit", "250")],
            auth(endpoint),
        )
    }

    fn probe_read(&self, endpoint: &Endpoint) -> Request {
        super::get(endpoint, "customers?limit=1", auth(endpoint))
    }

    fn parse_lookup(&self, response: &Response<'_>) -> Result<Vec<Found>, Verdict> {
        if response.status != 200 {
            return Err(self.classify_create(response, &[]));
        }
        parse_found(response, LOOKUP)
    }

    fn updates(&self) -> Option<&dyn Updates> {
        Some(self)
    }
}

/// BigCommerce's published Standard/Plus quota (FACTS.md): 150 requests / 30 s.
pub const DEFAULT_RATE: Rate = Rate {
    requests: 150,
    window: Duration::from_secs(30),
};

/// Finds which batch member an ".customer_create" message names by email.
fn named_email(message: &str, batch: &[&Customer]) -> Option<usize> {
    let lower = message.to_lowercase();
    batch
        .iter()
        .position(|c| c.email.as_deref().is_some_and(|e| contains_word(&lower, e)))
}

fn contains_word(haystack: &str, needle: &str) -> bool {
    haystack.match_indices(needle).any(|(i, _)| {
        let before = haystack[..i].chars().next_back();
        let after = haystack[i + needle.len()..].chars().next();
        let edge =
            |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || "@.+-_".contains(c)));
        edge(before) && edge(after)
    })
}

impl BigCommerce {
    /// The verdict on a 429: wait the longer of X-Retry-After and the
    /// window reset; without either it is platform load: back off (FACTS.md).
    fn too_many(&self, headers: &HeaderMap) -> Verdict {
        let hint = self.quota_hint(headers);
        // FACTS.md documents X-Retry-After; a plain Retry-After (a proxy's,
        // or a CDN's in front of the API) is obeyed too.
        let retry = header_num(headers, "x-retry-after")
            .map(Duration::from_secs)
            .or_else(|| super::retry_after(headers));
        let wait = match (retry, hint.reset) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        Verdict::Retry {
            reason: "429 too many requests".into(),
            wait,
            in_doubt: false,
        }
    }

    fn classify_422(body: &[u8], batch: &[&Customer]) -> Verdict {
        let parsed: Option<Value> = serde_json::from_slice(body).ok();
        let errors = parsed
            .as_ref()
            .and_then(|v| v.get("errors"))
            .and_then(Value::as_object);
        let Some(errors) = errors else {
            return if batch.len() > 1 {
                Verdict::Split {
                    reason: format!("422 without an errors map: {}", excerpt(body)),
                }
            } else {
                Verdict::Outcomes(vec![Outcome::Rejected {
                    reasons: vec![Reason {
                        field: "record".into(),
                        rule: "platform.422".into(),
                        message: excerpt(body),
                    }],
                }])
            };
        };
        let mut outcomes: Vec<Option<Outcome>> = vec![None; batch.len()];
        let mut unexplained = Vec::new();
        for (key, msg) in errors {
            let message = msg
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| msg.to_string());
            let mut parts = key.splitn(2, '.');
            let head = parts.next().unwrap_or("");
            let field = parts.next().unwrap_or("record").to_string();
            if let Ok(i) = head.parse::<usize>()
                && i < batch.len()
            {
                let reason = Reason {
                    field,
                    rule: "platform.422".into(),
                    message,
                };
                match &mut outcomes[i] {
                    Some(Outcome::Rejected { reasons }) => reasons.push(reason),
                    slot => {
                        *slot = Some(Outcome::Rejected {
                            reasons: vec![reason],
                        })
                    }
                }
                continue;
            }
            // ".customer_create": a refusal while creating, named by email.
            let lower = message.to_lowercase();
            match named_email(&message, batch) {
                Some(i)
                    if lower.contains("already")
                        || lower.contains("in use")
                        || lower.contains("exists") =>
                {
                    outcomes[i] = Some(Outcome::Exists {
                        id: None,
                        reason: message,
                    });
                }
                Some(i) => {
                    outcomes[i] = Some(Outcome::Rejected {
                        reasons: vec![Reason {
                            field: "record".into(),
                            rule: "platform.422".into(),
                            message,
                        }],
                    });
                }
                None => unexplained.push(message),
            }
        }
        let named = outcomes.iter().filter(|o| o.is_some()).count();
        if named == 0 {
            let reason = unexplained.join("; ");
            return if batch.len() > 1 {
                Verdict::Split { reason }
            } else {
                Verdict::Outcomes(vec![Outcome::Rejected {
                    reasons: vec![Reason {
                        field: "record".into(),
                        rule: "platform.422".into(),
                        message: reason,
                    }],
                }])
            };
        }
        // Batch atomicity is undocumented: the others may or may not have
        // been stored. Emails are unique, so resending them is safe.
        Verdict::Outcomes(
            outcomes
                .into_iter()
                .map(|o| {
                    o.unwrap_or(Outcome::Resend {
                        in_doubt: true,
                        reason: "batch refused for another record".into(),
                    })
                })
                .collect(),
        )
    }

    fn classify_200(body: &[u8], batch: &[&Customer]) -> Verdict {
        // Only the id and email of each created customer matter: read just
        // those, borrowed from the body where JSON escapes allow. The body
        // is checked for UTF-8 once, in one pass, rather than string by
        // string (`from_str` trusts its input).
        let text = std::str::from_utf8(body);
        let Ok(Ok(answer)) = text.map(serde_json::from_str::<Answer<'_>>) else {
            return Verdict::Retry {
                reason: format!(
                    "200 with a body that is not {{\"data\":[…]}}: {}",
                    excerpt(body)
                ),
                wait: None,
                in_doubt: true,
            };
        };
        // (normalised email, id); a batch is at most ten records, so a
        // linear search is cheaper than hashing.
        let mut ids: Vec<(String, Cow<'_, str>)> = Vec::with_capacity(answer.data.len());
        for item in answer.data {
            let Some(IdValue(id)) = item.id else {
                continue;
            };
            if let Some(Text(email)) = item.email {
                ids.push((normalise_email(&email), id));
            }
        }
        Verdict::Outcomes(
            batch
                .iter()
                .map(|c| {
                    // The last entry for an email wins, as a map insert would.
                    let found = c
                        .email
                        .as_deref()
                        .and_then(|e| ids.iter().rev().find(|(k, _)| k == e));
                    match found {
                        Some((_, id)) => Outcome::Created {
                            id: id.clone().into_owned(),
                        },
                        // Not in the answer: it may or may not be stored.
                        None => Outcome::Resend {
                            in_doubt: true,
                            reason: "not in the 200 answer's data".into(),
                        },
                    }
                })
                .collect(),
        )
    }
}

/// A 200 create answer, `{"data":[…]}`: only what `classify_200` reads.
#[derive(Deserialize)]
struct Answer<'a> {
    /// The created customers.
    #[serde(borrow)]
    data: Vec<Created<'a>>,
}

/// One created customer of a 200 answer.
#[derive(Deserialize)]
struct Created<'a> {
    /// Its id, a number or a string.
    #[serde(borrow)]
    id: Option<IdValue<'a>>,
    /// Its email as the platform wrote it.
    #[serde(borrow)]
    email: Option<Text<'a>>,
}

/// A customer id in an answer, a number or a string, as text. Read by a
/// visitor of its own: `#[serde(untagged)]` buffered every id before
/// trying each variant, which cost as much as the rest of the answer.
struct IdValue<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for IdValue<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = IdValue<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a customer id (a number or a string)")
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(IdValue(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(IdValue(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
                // Written as serde_json writes the number back.
                serde_json::Number::from_f64(v)
                    .map(|n| IdValue(Cow::Owned(n.to_string())))
                    .ok_or_else(|| E::custom("a customer id that is not a finite number"))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(IdValue(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(IdValue(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(IdValue(Cow::Owned(v)))
            }
        }
        d.deserialize_any(Visit)
    }
}

/// A string borrowed from the body unless it holds escapes (serde borrows a
/// `Cow` only when it is a field itself, not inside an `Option`).
#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

fn auth(endpoint: &Endpoint) -> Vec<(String, String)> {
    vec![
        ("X-Auth-Token".into(), endpoint.credentials.secret.clone()),
        ("Content-Type".into(), "application/json".into()),
        ("Accept".into(), "application/json".into()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::test_support::{body_json, minimal_customer};

    fn customer(email: &str) -> Customer {
        Customer {
            email: Some(email.into()),
            first_name: Some("A".into()),
            last_name: Some("B".into()),
            ..Customer::default()
        }
    }

    fn answer(status: u16, body: &str) -> (HeaderMap, Vec<u8>, u16) {
        (HeaderMap::new(), body.as_bytes().to_vec(), status)
    }

    fn classify(status: u16, body: &str, batch: &[&Customer]) -> Verdict {
        let (h, b, s) = answer(status, body);
        let _ = status;
        BigCommerce.classify_create(
            &Response {
                status: s,
                headers: &h,
                body: &b,
            },
            batch,
        )
    }

    #[test]
    fn bigcommerce_request_is_an_array_without_welcome_email() {
        let a = customer("a@x.com");
        let endpoint = endpoint(false);
        let req = BigCommerce.create_customers(&endpoint, &[&a]);
        assert_eq!(
            req.url,
            "https://api.bigcommerce.com/stores/abc/v3/customers"
        );
        assert!(req.headers.contains(&("X-Auth-Token".into(), "tok".into())));
        let body = body_json(&req);
        assert_eq!(body[0]["email"], "a@x.com");
        assert_eq!(body[0]["trigger_account_created_notification"], false);
        assert!(
            body[0]
                .get("accepts_product_review_abandoned_cart_emails")
                .is_none()
        );
    }

    #[test]
    fn bigcommerce_province_code_is_spelled_out() {
        let mut a = customer("a@x.com");
        a.addresses.push(crate::model::Address {
            address1: Some("1 Main".into()),
            city: Some("LA".into()),
            province_code: Some("CA".into()),
            country_code: Some("US".into()),
            ..Default::default()
        });
        let v = BigCommerce::customer_json(&a, false);
        assert_eq!(v["addresses"][0]["state_or_province"], "California");
    }

    #[test]
    fn bigcommerce_state_codes_in_the_province_column_are_spelled_out_too() {
        let mut a = customer("a@x.com");
        a.addresses.push(crate::model::Address {
            address1: Some("1 Main".into()),
            city: Some("NYC".into()),
            province: Some("NY".into()),
            country_code: Some("US".into()),
            ..Default::default()
        });
        let v = BigCommerce::customer_json(&a, false);
        assert_eq!(v["addresses"][0]["state_or_province"], "New York");
    }

    #[test]
    fn bigcommerce_rejects_a_province_code_unknown_for_the_country() {
        let mut a = customer("a@x.com");
        a.addresses.push(crate::model::Address {
            first_name: Some("A".into()),
            last_name: Some("B".into()),
            address1: Some("1 Main".into()),
            city: Some("X".into()),
            province_code: Some("ZZ".into()),
            country_code: Some("US".into()),
            ..Default::default()
        });
        let mut f = Findings::new(1, 2);
        BigCommerce.check_customer(&a, &mut f);
        assert_eq!(f.items.len(), 1, "{:?}", f.items);
        assert_eq!(f.items[0].rule, "address.province_code.unknown");
        assert!(f.items[0].text.contains("\"ZZ\""));
    }

    #[test]
    fn bigcommerce_request_leaves_out_an_address_without_a_street_line() {
        let mut a = customer("a@x.com");
        a.addresses.push(crate::model::Address {
            city: Some("Nowhere".into()),
            country_code: Some("US".into()),
            ..Default::default()
        });
        assert!(
            BigCommerce::customer_json(&a, false)
                .get("addresses")
                .is_none()
        );
        a.addresses.push(crate::model::Address {
            address1: Some("1 Main".into()),
            city: Some("Somewhere".into()),
            country_code: Some("US".into()),
            ..Default::default()
        });
        let v = BigCommerce::customer_json(&a, false);
        assert_eq!(v["addresses"].as_array().map(Vec::len), Some(1));
        assert_eq!(v["addresses"][0]["address1"], "1 Main");
    }

    #[test]
    fn bigcommerce_200_matches_customers_by_email_and_leaves_the_rest_in_doubt() {
        let a = customer("a@x.com");
        let b = customer("b@x.com");
        let v = classify(
            200,
            r#"{"data":[{"id":7,"email":"A@x.com"}],"meta":{}}"#,
            &[&a, &b],
        );
        assert_eq!(
            v,
            Verdict::Outcomes(vec![
                Outcome::Created { id: "7".into() },
                Outcome::Resend {
                    in_doubt: true,
                    reason: "not in the 200 answer's data".into()
                }
            ])
        );
    }

    #[test]
    fn bigcommerce_422_by_index_rejects_only_the_named_record() {
        let a = customer("a@x.com");
        let b = customer("b@x.com");
        let v = classify(
            422,
            r#"{"status":422,"title":"x","type":"t","errors":{"1.addresses.0.country_code":"bad code"}}"#,
            &[&a, &b],
        );
        let Verdict::Outcomes(o) = v else {
            panic!("outcomes expected")
        };
        assert!(matches!(o[0], Outcome::Resend { .. }));
        assert!(
            matches!(&o[1], Outcome::Rejected { reasons } if reasons[0].field == "addresses.0.country_code")
        );
    }

    #[test]
    fn bigcommerce_422_email_in_use_is_exists_for_that_record() {
        let a = customer("a@x.com");
        let b = customer("ann@example.com");
        let v = classify(
            422,
            r#"{"status":422,"title":"Create customers failed.","type":"/api-docs/getting-started/api-status-codes","errors":{".customer_create":"Error creating customers: email ann@example.com already in use"}}"#,
            &[&a, &b],
        );
        let Verdict::Outcomes(o) = v else {
            panic!("outcomes expected")
        };
        assert!(matches!(o[0], Outcome::Resend { .. }));
        assert!(matches!(o[1], Outcome::Exists { .. }));
    }

    #[test]
    fn bigcommerce_422_naming_no_record_splits_the_batch() {
        let a = customer("a@x.com");
        let b = customer("b@x.com");
        let v = classify(
            422,
            r#"{"errors":{".customer_create":"Error creating customers"}}"#,
            &[&a, &b],
        );
        assert!(matches!(v, Verdict::Split { .. }));
    }

    /// The verdict on a 429 with an empty body and `headers`.
    fn a_429(headers: &[(&str, &str)]) -> Verdict {
        let mut h = HeaderMap::new();
        for (name, value) in headers {
            h.insert(
                reqwest::header::HeaderName::from_bytes(name.as_bytes()).expect("name"),
                value.parse().expect("header"),
            );
        }
        BigCommerce.classify_create(
            &Response {
                status: 429,
                headers: &h,
                body: b"",
            },
            &[],
        )
    }

    #[test]
    fn bigcommerce_429_waits_the_longer_of_retry_after_and_reset() {
        let v = a_429(&[
            ("x-retry-after", "2"),
            ("x-rate-limit-time-reset-ms", "5000"),
        ]);
        assert_eq!(
            v,
            Verdict::Retry {
                reason: "429 too many requests".into(),
                wait: Some(Duration::from_secs(5)),
                in_doubt: false
            }
        );
    }

    #[test]
    fn bigcommerce_429_obeys_a_plain_retry_after_in_seconds_or_as_a_date() {
        let wait = |name: &str, value: &str| match a_429(&[(name, value)]) {
            Verdict::Retry { wait, .. } => wait,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            wait("retry-after", "100000"),
            Some(Duration::from_secs(100_000))
        );
        let later = (chrono::Utc::now() + chrono::Duration::seconds(3600)).to_rfc2822();
        let w = wait("retry-after", &later).expect("a wait");
        assert!(
            w > Duration::from_secs(3500) && w <= Duration::from_secs(3600),
            "{w:?}"
        );
        assert_eq!(
            wait("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO),
            "a date past is no wait"
        );
        // X-Retry-After, which BigCommerce documents, comes first.
        let v = a_429(&[("x-retry-after", "7"), ("retry-after", "100")]);
        assert!(matches!(v, Verdict::Retry { wait: Some(w), .. } if w == Duration::from_secs(7)));
    }

    #[test]
    fn bigcommerce_401_stops_the_run_naming_the_variable() {
        let v = classify(401, "{}", &[]);
        assert!(
            matches!(v, Verdict::Stop { message } if message.contains("BIGCOMMERCE_ACCESS_TOKEN"))
        );
    }

    #[test]
    fn bigcommerce_500_is_in_doubt_and_503_is_not() {
        assert!(matches!(
            classify(500, "", &[]),
            Verdict::Retry { in_doubt: true, .. }
        ));
        assert!(matches!(
            classify(502, "", &[]),
            Verdict::Retry { in_doubt: true, .. }
        ));
        assert!(matches!(
            classify(503, "", &[]),
            Verdict::Retry {
                in_doubt: false,
                ..
            }
        ));
        assert!(matches!(
            classify(200, "not json", &[]),
            Verdict::Retry { in_doubt: true, .. }
        ));
    }

    /// Every field of a customer set, with three addresses: one with a
    /// province code, one without a street line, one with a state as text.
    fn full_customer() -> Customer {
        Customer {
            email: Some("ann@example.com".into()),
            phone: Some("+1 555 0100".into()),
            first_name: Some("Ann".into()),
            last_name: Some("Lee".into()),
            name: Some("Ann L.".into()),
            company: Some("Acme \"Quoted\" Co".into()),
            notes: Some("line one\nline two".into()),
            tags: vec!["vip".into(), "wholesale".into()],
            accepts_marketing: Some(true),
            addresses: vec![
                crate::model::Address {
                    first_name: Some("Ann".into()),
                    last_name: Some("Lee".into()),
                    company: Some("Acme".into()),
                    phone: Some("+1 555 0101".into()),
                    address1: Some("1 Main St".into()),
                    address2: Some("Suite 2".into()),
                    city: Some("Los Angeles".into()),
                    province: None,
                    province_code: Some("CA".into()),
                    country: Some("United States".into()),
                    country_code: Some("US".into()),
                    zip: Some("90001".into()),
                    default: true,
                    line: Some(3),
                },
                crate::model::Address {
                    city: Some("Nowhere".into()),
                    country_code: Some("US".into()),
                    zip: Some("00000".into()),
                    ..Default::default()
                },
                crate::model::Address {
                    address1: Some("Hauptstr. 5".into()),
                    city: Some("München".into()),
                    province: Some("Oberbayern".into()),
                    province_code: Some("BY".into()),
                    country: Some("Germany".into()),
                    country_code: Some("DE".into()),
                    zip: Some("80331".into()),
                    ..Default::default()
                },
            ],
            customer_group_id: Some(4),
            channel_ids: Some(vec![1, 2]),
            attributes: vec![
                crate::model::Attribute {
                    attribute_id: Some(11),
                    attribute_value: Some("gold".into()),
                },
                crate::model::Attribute {
                    attribute_id: None,
                    attribute_value: None,
                },
            ],
            tax_exempt_category: Some("A".into()),
            origin_channel_id: Some(1),
            active: Some(true),
            image_url: Some("https://example.com/a.png".into()),
        }
    }

    /// An endpoint for request tests.
    fn endpoint(notify: bool) -> Endpoint {
        let endpoint = Endpoint::new(
            "https://api.bigcommerce.com/stores/abc/v3",
            Credentials {
                secret: "tok".into(),
                store_hash: Some("abc".into()),
            },
        );
        if notify {
            endpoint.with_option(NOTIFY_OPTION, true)
        } else {
            // Unset: a migration sends no welcome email by default.
            endpoint
        }
    }

    #[test]
    fn bigcommerce_request_body_is_exactly_what_it_was() {
        let (full, minimal) = (full_customer(), minimal_customer());
        let full_json = |notify: bool| {
            serde_json::json!({
                "addresses": [
                    {
                        "address1": "1 Main St",
                        "address2": "Suite 2",
                        "city": "Los Angeles",
                        "company": "Acme",
                        "country_code": "US",
                        "first_name": "Ann",
                        "last_name": "Lee",
                        "phone": "+1 555 0101",
                        "postal_code": "90001",
                        "state_or_province": "California"
                    },
                    {
                        "address1": "Hauptstr. 5",
                        "city": "München",
                        "country_code": "DE",
                        "postal_code": "80331",
                        "state_or_province": "Oberbayern"
                    }
                ],
                "attributes": [
                    {"attribute_id": 11, "attribute_value": "gold"},
                    {"attribute_id": null, "attribute_value": null}
                ],
                "channel_ids": [1, 2],
                "company": "Acme \"Quoted\" Co",
                "customer_group_id": 4,
                "email": "ann@example.com",
                "first_name": "Ann",
                "last_name": "Lee",
                "notes": "line one\nline two",
                "origin_channel_id": 1,
                "phone": "+1 555 0100",
                "tax_exempt_category": "A",
                "trigger_account_created_notification": notify
            })
        };
        for notify in [false, true] {
            let req = BigCommerce.create_customers(&endpoint(notify), &[&full, &minimal]);
            let body = body_json(&req);
            assert_eq!(
                body,
                serde_json::json!([
                    full_json(notify),
                    {
                        "email": "min@example.com",
                        "trigger_account_created_notification": notify
                    }
                ])
            );
        }
        let req = BigCommerce.create_customers(&endpoint(false), &[]);
        assert_eq!(req.body.as_deref(), Some(&b"[]"[..]));
    }

    #[test]
    fn bigcommerce_200_reads_ids_as_before() {
        let (a, b, c, d) = (
            customer("a@x.com"),
            customer("b@x.com"),
            customer("c@x.com"),
            customer("e@x.com"),
        );
        let mut none = customer("x");
        none.email = None;
        let v = classify(
            200,
            r#"{"data":[{"id":"s1","email":" A\u0040X.com "},{"id":7,"email":"b@x.com"},{"id":8,"email":"B@x.com"},{"email":"c@x.com"},{"id":9,"email":null},{"id":7.5,"email":"e@x.com","extra":{"k":[1]}}],"meta":{}}"#,
            &[&a, &b, &c, &none, &d],
        );
        let doubt = || Outcome::Resend {
            in_doubt: true,
            reason: "not in the 200 answer's data".into(),
        };
        assert_eq!(
            v,
            Verdict::Outcomes(vec![
                Outcome::Created { id: "s1".into() },
                Outcome::Created { id: "8".into() },
                doubt(),
                doubt(),
                Outcome::Created { id: "7.5".into() },
            ])
        );
        for body in [
            r#"{"data":{}}"#,
            r#"{"data":[{"id":true,"email":"a@x.com"}]}"#,
            r#"{"data":[{"id":1,"email":5}]}"#,
            r#"{"meta":{}}"#,
            r#"[]"#,
        ] {
            assert!(
                matches!(
                    classify(200, body, &[&a]),
                    Verdict::Retry { in_doubt: true, .. }
                ),
                "{body}"
            );
        }
        assert_eq!(
            classify(201, r#"{"data":[]}"#, &[&a]),
            Verdict::Outcomes(vec![doubt()])
        );
    }

    #[test]
    fn bigcommerce_200_answer_borrows_its_strings_from_the_body() {
        let body =
            br#"{"data":[{"id":"s1","email":"a@x.com"},{"id":"s\u0032","email":"b\u0040x.com"}]}"#;
        let answer: Answer<'_> = serde_json::from_slice(body).expect("answer");
        let borrowed = |id: &Option<IdValue<'_>>, email: &Option<Text<'_>>| {
            (
                matches!(id, Some(IdValue(Cow::Borrowed(_)))),
                matches!(email, Some(Text(Cow::Borrowed(_)))),
            )
        };
        assert_eq!(
            borrowed(&answer.data[0].id, &answer.data[0].email),
            (true, true)
        );
        // Escapes need an owned string; they are still read.
        assert_eq!(
            borrowed(&answer.data[1].id, &answer.data[1].email),
            (false, false)
        );
        assert!(matches!(&answer.data[1].email, Some(Text(e)) if e == "b@x.com"));
    }
}
