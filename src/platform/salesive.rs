//! Salesive Apps API, create customer (`specs/salesive-create-customer.openapi.md`,
//! FACTS.md): rules, request shape, response classification.

use std::borrow::Cow;
use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde::Serialize;
use serde_json::Value;

use super::{
    Credentials, Endpoint, Found, LookupFields, Outcome, Platform, PlatformId, QuotaHint, Rate,
    Reason, Request, Response, Verdict, excerpt, json_body, parse_found, required_env, retry_after,
    server_trouble,
};
use crate::error::CliError;
use crate::findings::Findings;
use crate::model::Customer;
use crate::values::{email_reason, is_valid_email};

/// No rate limit is documented (FACTS.md): a conservative 2 requests/s.
pub const DEFAULT_RATE: Rate = Rate {
    requests: 120,
    window: Duration::from_secs(60),
};

/// An app token the local sandbox's Salesive accepts, with READ_CUSTOMERS
/// and WRITE_CUSTOMERS.
pub const SANDBOX_APP_TOKEN: &str = "app_sandbox_full";

/// The Salesive platform.
pub struct Salesive;

/// Where its lookup answer keeps a customer's fields.
const LOOKUP: LookupFields = LookupFields {
    id: &["_id", "id"],
    phone: "phone",
    created_at: "createdAt",
};

impl Platform for Salesive {
    fn id(&self) -> PlatformId {
        PlatformId::Salesive
    }

    fn display_name(&self) -> &'static str {
        "Salesive"
    }

    fn batch_size(&self) -> usize {
        1
    }

    fn check_customer(&self, c: &Customer, f: &mut Findings) {
        // Salesive takes the display name as written, never first and last
        // names: a split of the full name (mapping's `name.split` warning)
        // changes nothing it is sent.
        f.items.retain(|v| v.rule != "name.split");
        // CustomerCreate: required [name, email]; email format: email.
        // `Customer::display_name` is `None` exactly when all three are:
        // asked without building the name, which runs for every record.
        if c.name.is_none() && c.first_name.is_none() && c.last_name.is_none() {
            f.violation(
                "name",
                "name.required",
                "name is required; map a name column, or first and last name columns".into(),
            );
        }
        match c.email.as_deref() {
            None => f.violation(
                "email",
                "email.required",
                "email is required; Salesive identifies customers by email".into(),
            ),
            Some(email) => {
                if !is_valid_email(email) {
                    f.violation_with("email", "email.invalid", || {
                        format!(
                            "email \"{email}\" is not a valid address: {}",
                            email_reason(email)
                        )
                    });
                }
            }
        }
    }

    fn sends_field(&self, field: &str) -> bool {
        matches!(
            field,
            "email" | "phone" | "name" | "first_name" | "last_name" | "active"
        )
    }

    fn sent_fields(&self) -> &'static [&'static str] {
        // `CustomerBody`: first and last name are sent joined as `name`
        // when no full name is mapped.
        &[
            "name",
            "email",
            "phone",
            "active",
            "first_name",
            "last_name",
        ]
    }

    fn env_vars(&self) -> &'static [&'static str] {
        &["SALESIVE_APP_TOKEN"]
    }

    fn credentials_from_env(&self) -> Result<Credentials, CliError> {
        Ok(Credentials {
            secret: required_env("SALESIVE_APP_TOKEN", "the Salesive app token (app_…)")?,
            store_hash: None,
        })
    }

    fn default_base_url(&self, _credentials: &Credentials) -> String {
        "https://api.salesive.com/api/v1".into()
    }

    fn default_rate(&self) -> Rate {
        DEFAULT_RATE
    }

    fn default_concurrency(&self) -> usize {
        4
    }

    fn sandbox_credentials(&self) -> Credentials {
        Credentials {
            secret: SANDBOX_APP_TOKEN.into(),
            store_hash: None,
        }
    }

    fn email_unique(&self) -> bool {
        true
    }

    fn create_customers(&self, endpoint: &Endpoint, batch: &[&Customer]) -> Request {
        // Salesive creates one customer per request; the writer batches by 1.
        // An empty batch sends `{}`, as for a customer with no fields.
        let body = batch
            .first()
            .map(|c| CustomerBody::new(c))
            .unwrap_or_default();
        Request {
            method: Method::POST,
            url: format!("{}/customers", endpoint.base_url),
            headers: auth(endpoint),
            body: Some(json_body(&body, BODY_BYTES)),
        }
    }

    fn classify_create(&self, response: &Response<'_>, batch: &[&Customer]) -> Verdict {
        let envelope: Option<Value> = serde_json::from_slice(response.body).ok();
        let message = envelope
            .as_ref()
            .and_then(|v| v.get("message"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| excerpt(response.body));
        let email = batch
            .first()
            .and_then(|c| c.email.clone())
            .unwrap_or_default();
        let lower = message.to_lowercase();
        // A duplicate is recognised by 409, or by a message naming the
        // email as taken, whatever the status (FACTS.md).
        let names_taken = (!email.is_empty() && lower.contains(email.as_str()))
            && ["already", "exists", "taken", "in use", "duplicate"]
                .iter()
                .any(|w| lower.contains(w));
        match response.status {
            200 | 201 => {
                let data = envelope.as_ref().and_then(|v| v.get("data"));
                match data
                    .and_then(|d| d.get("_id").or_else(|| d.get("id")))
                    .and_then(Value::as_str)
                {
                    Some(id) => Verdict::Outcomes(vec![Outcome::Created { id: id.to_string() }]),
                    None => Verdict::Retry {
                        reason: format!(
                            "{} without a customer id: {}",
                            response.status,
                            excerpt(response.body)
                        ),
                        wait: None,
                        in_doubt: true,
                    },
                }
            }
            409 => Verdict::Outcomes(vec![Outcome::Exists {
                id: None,
                reason: message,
            }]),
            _ if names_taken && response.status < 500 => Verdict::Outcomes(vec![Outcome::Exists {
                id: None,
                reason: message,
            }]),
            401 => Verdict::Stop {
                message: format!(
                    "Salesive refused the app token (401: {message}); check SALESIVE_APP_TOKEN"
                ),
            },
            403 => Verdict::Stop {
                message: format!(
                    "Salesive refused the app token (403: {message}); the token needs the WRITE_CUSTOMERS scope: check SALESIVE_APP_TOKEN"
                ),
            },
            404 => Verdict::Stop {
                message: "Salesive answered 404 for the customers endpoint; check --base-url"
                    .into(),
            },
            status => server_trouble(status, retry_after(response.headers)).unwrap_or_else(|| {
                Verdict::Outcomes(vec![Outcome::Rejected {
                    reasons: vec![Reason {
                        field: "record".into(),
                        rule: format!("platform.{status}"),
                        message,
                    }],
                }])
            }),
        }
    }

    fn quota_hint(&self, _headers: &HeaderMap) -> QuotaHint {
        QuotaHint::default()
    }

    fn lookup(&self, endpoint: &Endpoint, keys: &[&str]) -> Option<Request> {
        let key = keys.first()?;
        super::get_customers(
            endpoint,
            &[("search", key), ("page", "1"), ("limit", "100")],
            auth(endpoint),
        )
    }

    fn probe_read(&self, endpoint: &Endpoint) -> Request {
        super::get(endpoint, "customers?page=1&limit=1", auth(endpoint))
    }

    fn probe_write(&self, endpoint: &Endpoint) -> Option<Request> {
        // An empty object: refused with 403 without WRITE_CUSTOMERS, with
        // 400 (validation) with it; never stores anything (FACTS.md).
        Some(Request {
            method: Method::POST,
            url: format!("{}/customers", endpoint.base_url),
            headers: auth(endpoint),
            body: Some(b"{}".to_vec()),
        })
    }

    fn parse_lookup(&self, response: &Response<'_>) -> Result<Vec<Found>, Verdict> {
        if response.status != 200 {
            return Err(self.classify_create(response, &[]));
        }
        parse_found(response, LOOKUP)
    }
}

/// Bytes reserved for a request body: one customer's four short fields.
const BODY_BYTES: usize = 256;

/// The create-customer body (`CustomerCreate`), borrowed from the model.
#[derive(Default, Serialize)]
struct CustomerBody<'a> {
    /// Display name: `name`, else first and last joined.
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<Cow<'a, str>>,
    /// Email.
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    /// Phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<&'a str>,
    /// Whether the customer is active.
    #[serde(skip_serializing_if = "Option::is_none")]
    active: Option<bool>,
}

impl<'a> CustomerBody<'a> {
    /// The body for one customer.
    fn new(c: &'a Customer) -> Self {
        CustomerBody {
            // `display_name` joins first and last; a given name is borrowed.
            name: match &c.name {
                Some(name) => Some(Cow::Borrowed(name.as_str())),
                None => c.display_name().map(Cow::Owned),
            },
            email: c.email.as_deref(),
            phone: c.phone.as_deref(),
            active: c.active,
        }
    }
}

fn auth(endpoint: &Endpoint) -> Vec<(String, String)> {
    vec![
        (
            "Authorization".into(),
            format!("Bearer {}", endpoint.credentials.secret),
        ),
        ("Content-Type".into(), "application/json".into()),
        ("Accept".into(), "application/json".into()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::test_support::{body_json, minimal_customer};

    fn classify(status: u16, body: &str) -> Verdict {
        let c = Customer {
            email: Some("ann@x.com".into()),
            ..Customer::default()
        };
        Salesive.classify_create(
            &Response {
                status,
                headers: &HeaderMap::new(),
                body: body.as_bytes(),
            },
            &[&c],
        )
    }

    #[test]
    fn salesive_201_reads_the_id() {
        let v = classify(
            201,
            r#"{"status":201,"success":true,"message":"ok","data":{"_id":"665a1f2c9b1e4a0012ab34cd"}}"#,
        );
        assert_eq!(
            v,
            Verdict::Outcomes(vec![Outcome::Created {
                id: "665a1f2c9b1e4a0012ab34cd".into()
            }])
        );
    }

    #[test]
    fn salesive_409_or_a_message_naming_the_email_is_exists() {
        assert!(
            matches!(classify(409, r#"{"message":"x"}"#), Verdict::Outcomes(o) if matches!(o[0], Outcome::Exists { .. }))
        );
        assert!(matches!(
            classify(400, r#"{"status":400,"success":false,"message":"Customer with email ann@x.com already exists","data":null}"#),
            Verdict::Outcomes(o) if matches!(o[0], Outcome::Exists { .. })
        ));
        assert!(matches!(
            classify(400, r#"{"status":400,"success":false,"message":"name is required","data":null}"#),
            Verdict::Outcomes(o) if matches!(o[0], Outcome::Rejected { .. })
        ));
    }

    #[test]
    fn salesive_403_names_the_scope() {
        assert!(
            matches!(classify(403, r#"{"message":"Insufficient scope"}"#), Verdict::Stop { message } if message.contains("WRITE_CUSTOMERS"))
        );
    }

    #[test]
    fn salesive_request_sends_name_from_first_and_last() {
        let c = Customer {
            email: Some("a@x.com".into()),
            first_name: Some("Ada".into()),
            last_name: Some("Obi".into()),
            ..Customer::default()
        };
        let endpoint = endpoint();
        let req = Salesive.create_customers(&endpoint, &[&c]);
        let body = body_json(&req);
        assert_eq!(body["name"], "Ada Obi");
        assert!(
            req.headers
                .contains(&("Authorization".into(), "Bearer app_x".into()))
        );
    }

    /// Every field of a customer set (most of which Salesive does not send).
    fn full_customer() -> Customer {
        Customer {
            email: Some("ann@example.com".into()),
            phone: Some("+1 555 0100".into()),
            first_name: Some("Ann".into()),
            last_name: Some("Lee".into()),
            name: Some("Ann \"Annie\" Lee".into()),
            company: Some("Acme".into()),
            notes: Some("n".into()),
            tags: vec!["vip".into()],
            accepts_marketing: Some(true),
            addresses: vec![
                crate::model::Address {
                    address1: Some("1 Main St".into()),
                    country_code: Some("US".into()),
                    default: true,
                    ..Default::default()
                },
                crate::model::Address {
                    city: Some("Nowhere".into()),
                    ..Default::default()
                },
            ],
            customer_group_id: Some(4),
            channel_ids: Some(vec![1]),
            attributes: vec![crate::model::Attribute {
                attribute_id: Some(1),
                attribute_value: Some("x".into()),
            }],
            tax_exempt_category: Some("A".into()),
            origin_channel_id: Some(1),
            active: Some(false),
            image_url: Some("https://example.com/a.png".into()),
        }
    }

    /// An endpoint for request tests.
    fn endpoint() -> Endpoint {
        Endpoint::new(
            "https://api.salesive.com/api/v1",
            Credentials {
                secret: "app_x".into(),
                store_hash: None,
            },
        )
    }

    #[test]
    fn salesive_request_body_is_exactly_what_it_was() {
        let body = |batch: &[&Customer]| -> Value {
            let req = Salesive.create_customers(&endpoint(), batch);
            body_json(&req)
        };
        let full = full_customer();
        assert_eq!(
            body(&[&full]),
            serde_json::json!({
                "active": false,
                "email": "ann@example.com",
                "name": "Ann \"Annie\" Lee",
                "phone": "+1 555 0100"
            })
        );
        let mut no_name = full_customer();
        no_name.name = None;
        assert_eq!(
            body(&[&no_name]),
            serde_json::json!({
                "active": false,
                "email": "ann@example.com",
                "name": "Ann Lee",
                "phone": "+1 555 0100"
            })
        );
        assert_eq!(
            body(&[&minimal_customer()]),
            serde_json::json!({"email": "min@example.com"})
        );
        assert_eq!(body(&[]), serde_json::json!({}));
    }
}
