//! bitbybit Open API, create customer and create order
//! (`specs/bitbybit-*.md`, FACTS.md): rules, request shape, response
//! classification.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Map, Value, json};

use super::{
    Credentials, Endpoint, Found, LookupFields, Outcome, Platform, PlatformId, QuotaHint, Rate,
    Reason, Request, Response, Verdict, excerpt, header_num, parse_found, put, required_env,
    retry_after, server_trouble,
};
use crate::error::CliError;
use crate::model::Customer;
use crate::validate::Findings;
use crate::values::is_valid_email;

/// FACTS.md: 100 requests per minute per key.
pub const DEFAULT_RATE: Rate = Rate {
    requests: 100,
    window: Duration::from_secs(60),
};

/// The API key header its OpenAPI document names (`--key-header` overrides).
pub const DEFAULT_KEY_HEADER: &str = "x-api-key";

/// The bitbybit platform.
pub struct Bitbybit;

/// Where its lookup answer keeps a customer's fields.
const LOOKUP: LookupFields = LookupFields {
    id: &["id"],
    phone: "phoneNumber",
    created_at: "createdAt",
};

impl Platform for Bitbybit {
    fn id(&self) -> PlatformId {
        PlatformId::Bitbybit
    }

    fn display_name(&self) -> &'static str {
        "bitbybit"
    }

    fn batch_size(&self) -> usize {
        1
    }

    fn phone_identifies(&self) -> bool {
        true
    }

    fn check_customer(&self, c: &Customer, f: &mut Findings) {
        // "Either email or phoneNumber is required."
        if c.email.is_none() && c.phone.is_none() {
            f.violation(
                "email",
                "email_or_phone.required",
                "neither email nor phone is given; bitbybit needs at least one".into(),
            );
        }
        if let Some(email) = c.email.as_deref()
            && !is_valid_email(email)
        {
            f.violation(
                "email",
                "email.invalid",
                format!("email \"{email}\" is not a valid address"),
            );
        }
        // AddressInput: required [address1].
        for (i, a) in c.addresses.iter().enumerate() {
            if a.address1.is_none() {
                f.violation(
                    format!("addresses[{i}].address1"),
                    "address.address1.required",
                    format!(
                        "address {} has no street line (address1); bitbybit requires one",
                        i + 1
                    ),
                );
            }
        }
    }

    fn sends_field(&self, field: &str) -> bool {
        !matches!(
            field,
            "active"
                | "accepts_marketing"
                | "customer_group_id"
                | "channel_ids"
                | "origin_channel_id"
                | "tax_exempt_category"
                | "company"
                | "notes"
        )
    }

    fn env_vars(&self) -> &'static [&'static str] {
        &["BITBYBIT_API_KEY"]
    }

    fn credentials_from_env(&self) -> Result<Credentials, CliError> {
        Ok(Credentials {
            secret: required_env(
                "BITBYBIT_API_KEY",
                "the bitbybit API key (bbb_live_… or bbb_test_…)",
            )?,
            store_hash: None,
        })
    }

    fn default_base_url(&self, _credentials: &Credentials) -> String {
        // The OpenAPI `servers` entry; the curl example says
        // /customer/open/v1 instead (FACTS.md): --base-url overrides.
        "https://api.bitbybit.studio/customer/api/open/v1".into()
    }

    fn default_rate(&self) -> Rate {
        DEFAULT_RATE
    }

    fn default_concurrency(&self) -> usize {
        2
    }

    fn email_unique(&self) -> bool {
        false
    }

    fn create_customers(&self, endpoint: &Endpoint, batch: &[&Customer]) -> Request {
        let c = batch.first().copied().cloned().unwrap_or_default();
        let mut m = Map::new();
        put(&mut m, "email", &c.email);
        put(&mut m, "phoneNumber", &c.phone);
        put(&mut m, "firstName", &c.first_name);
        put(&mut m, "lastName", &c.last_name);
        put(&mut m, "imageUrl", &c.image_url);
        if !c.tags.is_empty() {
            m.insert("tags".into(), json!(c.tags));
        }
        if !c.addresses.is_empty() {
            let addrs: Vec<Value> = c
                .addresses
                .iter()
                .map(|a| {
                    let mut o = Map::new();
                    put(&mut o, "address1", &a.address1);
                    put(&mut o, "firstName", &a.first_name);
                    put(&mut o, "lastName", &a.last_name);
                    put(&mut o, "phone", &a.phone);
                    put(&mut o, "address2", &a.address2);
                    put(&mut o, "city", &a.city);
                    put(
                        &mut o,
                        "province",
                        &a.province.clone().or_else(|| a.province_code.clone()),
                    );
                    // Free text: the user's value, trimmed (DECISIONS.md).
                    put(
                        &mut o,
                        "country",
                        &a.country.clone().or_else(|| a.country_code.clone()),
                    );
                    put(&mut o, "zip", &a.zip);
                    o.insert("mainAddress".into(), a.default.into());
                    Value::Object(o)
                })
                .collect();
            m.insert("addresses".into(), Value::Array(addrs));
        }
        Request {
            method: Method::POST,
            url: format!("{}/customers", endpoint.base_url),
            headers: auth(endpoint),
            body: Some(serde_json::to_vec(&Value::Object(m)).unwrap_or_default()),
        }
    }

    fn classify_create(&self, response: &Response<'_>, _batch: &[&Customer]) -> Verdict {
        classify(response, "data.id")
    }

    fn takes_orders(&self) -> bool {
        true
    }

    /// specs/bitbybit-create-order.openapi.md: `POST /orders`, one order.
    fn create_order(&self, endpoint: &Endpoint, body: &Value) -> Option<Request> {
        Some(Request {
            method: Method::POST,
            url: format!("{}/orders", endpoint.base_url),
            headers: auth(endpoint),
            body: Some(serde_json::to_vec(body).unwrap_or_default()),
        })
    }

    fn classify_order(&self, response: &Response<'_>) -> Verdict {
        classify(response, "data.id")
    }

    fn quota_hint(&self, headers: &HeaderMap) -> QuotaHint {
        QuotaHint {
            quota: header_num(headers, "ratelimit-limit").map(|v| v as u32),
            window: None,
            left: header_num(headers, "ratelimit-remaining").map(|v| v as u32),
            reset: header_num(headers, "ratelimit-reset").map(Duration::from_secs),
        }
    }

    fn lookup(&self, endpoint: &Endpoint, keys: &[&str]) -> Option<Request> {
        let key = keys.first()?;
        super::get_customers(endpoint, &[("search", key)], auth(endpoint))
    }

    fn probe_read(&self, endpoint: &Endpoint) -> Request {
        super::get(endpoint, "customers?search=storeload-check", auth(endpoint))
    }

    fn parse_lookup(&self, response: &Response<'_>) -> Result<Vec<Found>, Verdict> {
        if response.status != 200 {
            return Err(classify(response, "data"));
        }
        parse_found(response, LOOKUP)
    }
}

/// Reads a bitbybit answer (`{"data":…}` or `{"error":{"code","message"}}`).
fn classify(response: &Response<'_>, _what: &str) -> Verdict {
    let v: Option<Value> = serde_json::from_slice(response.body).ok();
    let code = v
        .as_ref()
        .and_then(|v| v.pointer("/error/code"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let message = v
        .as_ref()
        .and_then(|v| v.pointer("/error/message"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| excerpt(response.body));
    match (response.status, code.as_str()) {
        (200 | 201, _) => match v.as_ref().and_then(|v| v.pointer("/data/id")).and_then(Value::as_str) {
            Some(id) => Verdict::Outcomes(vec![Outcome::Created { id: id.to_string() }]),
            None => Verdict::Retry {
                reason: format!("{} without an id: {}", response.status, excerpt(response.body)),
                wait: None,
                in_doubt: true,
            },
        },
        (400, "MISSING_COMPANY_ID") => Verdict::Stop {
            message: format!("bitbybit answered MISSING_COMPANY_ID ({message}); the API key is not tied to a company: check BITBYBIT_API_KEY"),
        },
        (401, _) => Verdict::Stop {
            message: format!("bitbybit refused the API key ({code}: {message}); check BITBYBIT_API_KEY (and --key-header if your account uses another header)"),
        },
        (403, _) => Verdict::Stop {
            message: format!("bitbybit refused the API key ({code}: {message}); check BITBYBIT_API_KEY's scopes and allowed IPs"),
        },
        (404, _) => Verdict::Stop {
            message: "bitbybit answered 404 for the endpoint; check --base-url (its docs show /customer/api/open/v1 and /customer/open/v1)".into(),
        },
        (429, _) => Verdict::Retry {
            reason: format!("429 {code}"),
            wait: header_num(response.headers, "ratelimit-reset")
                .map(Duration::from_secs)
                .or_else(|| retry_after(response.headers)),
            in_doubt: false,
        },
        (status, _) => server_trouble(status, retry_after(response.headers)).unwrap_or_else(|| {
            Verdict::Outcomes(vec![Outcome::Rejected {
                reasons: vec![Reason {
                    field: field_named(&message),
                    rule: if code.is_empty() { format!("platform.{status}") } else { format!("platform.{}", code.to_lowercase()) },
                    message,
                }],
            }])
        }),
    }
}

/// The field a VALIDATION_ERROR message names, when it names one.
fn field_named(message: &str) -> String {
    [
        "email",
        "phoneNumber",
        "addresses",
        "lineItems",
        "shippingAddress",
        "customerId",
        "customer",
    ]
    .iter()
    .find(|f| message.contains(*f))
    .map(|f| (*f).to_string())
    .unwrap_or_else(|| "record".into())
}

fn auth(endpoint: &Endpoint) -> Vec<(String, String)> {
    vec![
        (
            endpoint.key_header.clone(),
            endpoint.credentials.secret.clone(),
        ),
        ("Content-Type".into(), "application/json".into()),
        ("Accept".into(), "application/json".into()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(status: u16, body: &str) -> Verdict {
        Bitbybit.classify_create(
            &Response {
                status,
                headers: &HeaderMap::new(),
                body: body.as_bytes(),
            },
            &[],
        )
    }

    #[test]
    fn bitbybit_codes_map_to_verdicts() {
        assert_eq!(
            verdict(201, r#"{"data":{"id":"c_1"}}"#),
            Verdict::Outcomes(vec![Outcome::Created { id: "c_1".into() }])
        );
        assert!(
            matches!(verdict(401, r#"{"error":{"code":"INVALID_API_KEY","message":"x"}}"#), Verdict::Stop { message } if message.contains("BITBYBIT_API_KEY"))
        );
        assert!(matches!(
            verdict(
                400,
                r#"{"error":{"code":"MISSING_COMPANY_ID","message":"x"}}"#
            ),
            Verdict::Stop { .. }
        ));
        assert!(matches!(
            verdict(400, r#"{"error":{"code":"VALIDATION_ERROR","message":"email is invalid"}}"#),
            Verdict::Outcomes(o) if matches!(&o[0], Outcome::Rejected { reasons } if reasons[0].field == "email")
        ));
        assert!(matches!(
            verdict(500, ""),
            Verdict::Retry { in_doubt: true, .. }
        ));
        assert!(matches!(
            verdict(429, r#"{"error":{"code":"RATE_LIMIT_EXCEEDED"}}"#),
            Verdict::Retry {
                in_doubt: false,
                ..
            }
        ));
    }

    #[test]
    fn bitbybit_request_uses_the_configured_key_header_and_keeps_country_text() {
        let c = Customer {
            phone: Some("+15550100".into()),
            addresses: vec![crate::model::Address {
                address1: Some("1 Main".into()),
                country: Some("United States".into()),
                country_code: Some("US".into()),
                ..Default::default()
            }],
            ..Customer::default()
        };
        let endpoint = Endpoint {
            base_url: "https://api.bitbybit.studio/customer/api/open/v1".into(),
            credentials: Credentials {
                secret: "bbb_test_x".into(),
                store_hash: None,
            },
            key_header: "x-bitbybit-key".into(),
            notify: false,
        };
        let req = Bitbybit.create_customers(&endpoint, &[&c]);
        assert!(
            req.headers
                .contains(&("x-bitbybit-key".into(), "bbb_test_x".into()))
        );
        let body: Value =
            serde_json::from_slice(req.body.as_deref().unwrap_or_default()).expect("json");
        assert_eq!(body["phoneNumber"], "+15550100");
        assert_eq!(body["addresses"][0]["country"], "United States");
    }
}
