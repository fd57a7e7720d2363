//! bitbybit Open API, create customer and create order
//! (`specs/bitbybit-*.md`, FACTS.md): rules, request shape, response
//! classification. Its orders' rules and body are in `bitbybit/orders.rs`.

pub mod orders;

use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde::Serialize;
use serde_json::Value;

use super::{
    Credentials, Endpoint, Found, LookupFields, Outcome, Platform, PlatformId, QuotaHint, Rate,
    Reason, Request, Response, Verdict, excerpt, header_num, json_body, parse_found, required_env,
    retry_after, server_trouble,
};
use crate::error::CliError;
use crate::findings::{Findings, Indexed};
use crate::model::Customer;
use crate::order::link::Links;
use crate::order::{CustomerLink, Order};
use crate::values::{email_reason, is_valid_email};

/// FACTS.md: 100 requests per minute per key.
pub const DEFAULT_RATE: Rate = Rate {
    requests: 100,
    window: Duration::from_secs(60),
};

/// The API key header its OpenAPI document names (`--key-header` overrides).
pub const DEFAULT_KEY_HEADER: &str = "x-api-key";

/// The option (`--key-header`) naming the header that carries the API key
/// (its docs also show `x-bitbybit-key`); [`DEFAULT_KEY_HEADER`] when unset.
pub const KEY_HEADER_OPTION: &str = "key-header";

/// An API key the local sandbox's bitbybit accepts, with every scope.
pub const SANDBOX_API_KEY: &str = "bbb_test_sandbox";

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
            let message = match left_out_phone(f) {
                Some(why) => format!(
                    "neither email nor phone is left to send: storeload left the phone out ({why}); bitbybit needs at least one, so fix the phone or add an email"
                ),
                None => "neither email nor phone is given; bitbybit needs at least one".into(),
            };
            f.violation("email", "email_or_phone.required", message);
        }
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
        // AddressInput: required [address1]. An address without one cannot
        // be stored: it is left out and the customer is still sent, as on
        // BigCommerce; nothing else about it can refuse the customer.
        for (i, a) in c.addresses.iter().enumerate() {
            if !sends_address(a) {
                let field = Indexed {
                    list: "addresses",
                    index: i,
                    name: "address1",
                };
                f.warning_with(field, "address.no_street_left_out", || {
                    format!(
                        "address {} has no street line (address1); bitbybit cannot store it, so it is left out and the customer is imported without it",
                        i + 1
                    )
                });
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

    fn sent_fields(&self) -> &'static [&'static str] {
        // `CustomerBody` and `AddressBody` (no address company); a province
        // or country code is sent where the name is missing.
        &[
            "email",
            "phone",
            "first_name",
            "last_name",
            "image_url",
            "tags",
            "address.first_name",
            "address.last_name",
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

    fn sandbox_credentials(&self) -> Credentials {
        Credentials {
            secret: SANDBOX_API_KEY.into(),
            store_hash: None,
        }
    }

    fn email_unique(&self) -> bool {
        false
    }

    fn create_customers(&self, endpoint: &Endpoint, batch: &[&Customer]) -> Request {
        // One customer per request; an empty batch sends `{}`.
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

    fn classify_create(&self, response: &Response<'_>, _batch: &[&Customer]) -> Verdict {
        classify(response, "data.id")
    }

    fn takes_orders(&self) -> bool {
        true
    }

    fn check_order(
        &self,
        order: &mut Order,
        links: Links<'_>,
        f: &mut Findings,
    ) -> Option<CustomerLink> {
        orders::check(order, links, f)
    }

    /// specs/bitbybit-create-order.openapi.md: `POST /orders`, one order.
    fn create_order(
        &self,
        endpoint: &Endpoint,
        order: &Order,
        link: &CustomerLink,
    ) -> Option<Request> {
        Some(Request {
            method: Method::POST,
            url: format!("{}/orders", endpoint.base_url),
            headers: auth(endpoint),
            body: Some(json_body(&orders::body(order, link), BODY_BYTES)),
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

/// Bytes reserved for a request body: a customer and an address or two.
const BODY_BYTES: usize = 512;

/// The create-customer body (`CustomerInput`), borrowed from the model.
#[derive(Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct CustomerBody<'a> {
    /// Email.
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    /// Phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number: Option<&'a str>,
    /// Given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<&'a str>,
    /// Family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<&'a str>,
    /// Avatar image URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    image_url: Option<&'a str>,
    /// Tags.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tags: &'a [crate::model::Text],
    /// The addresses with a street line (`sends_address`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    addresses: Vec<AddressBody<'a>>,
}

/// One address of the body (`AddressInput`), borrowed from the model.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AddressBody<'a> {
    /// First street line.
    #[serde(skip_serializing_if = "Option::is_none")]
    address1: Option<&'a str>,
    /// Recipient's given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<&'a str>,
    /// Recipient's family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<&'a str>,
    /// Phone at this address.
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<&'a str>,
    /// Second street line.
    #[serde(skip_serializing_if = "Option::is_none")]
    address2: Option<&'a str>,
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    city: Option<&'a str>,
    /// Province as written, else its code.
    #[serde(skip_serializing_if = "Option::is_none")]
    province: Option<&'a str>,
    /// Country as written, else its code.
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<&'a str>,
    /// Postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    zip: Option<&'a str>,
    /// Whether this is the default address: always sent.
    main_address: bool,
}

impl<'a> CustomerBody<'a> {
    /// The body for one customer.
    fn new(c: &'a Customer) -> Self {
        CustomerBody {
            email: c.email.as_deref(),
            phone_number: c.phone.as_deref(),
            first_name: c.first_name.as_deref(),
            last_name: c.last_name.as_deref(),
            image_url: c.image_url.as_deref(),
            tags: &c.tags,
            addresses: c
                .addresses
                .iter()
                .filter(|a| sends_address(a))
                .map(AddressBody::new)
                .collect(),
        }
    }
}

impl<'a> AddressBody<'a> {
    /// The body for one address.
    fn new(a: &'a crate::model::Address) -> Self {
        AddressBody {
            address1: a.address1.as_deref(),
            first_name: a.first_name.as_deref(),
            last_name: a.last_name.as_deref(),
            phone: a.phone.as_deref(),
            address2: a.address2.as_deref(),
            city: a.city.as_deref(),
            province: a.province.as_deref().or(a.province_code.as_deref()),
            // Free text: the user's value, trimmed (DECISIONS.md).
            country: a.country.as_deref().or(a.country_code.as_deref()),
            zip: a.zip.as_deref(),
            main_address: a.default,
        }
    }
}

/// Whether an address goes into the request: AddressInput requires
/// address1, so one without it is left out, with a warning, rather than
/// refusing the customer.
fn sends_address(a: &crate::model::Address) -> bool {
    a.address1.is_some()
}

/// Why storeload itself left the customer's phone out, when it did: the
/// mapping's warning on `phone` (a spreadsheet's scientific notation, or not
/// E.164 under `--phone e164`).
fn left_out_phone(f: &Findings) -> Option<&'static str> {
    f.items
        .iter()
        .find_map(|v| match (v.field.as_str(), v.rule) {
            ("phone", "phone.scientific_notation") => {
                Some("a spreadsheet turned it into a number in scientific notation")
            }
            ("phone", "phone.not_e164") => Some("it is not a valid number for --phone e164"),
            _ => None,
        })
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
            endpoint
                .options
                .text(KEY_HEADER_OPTION)
                .unwrap_or(DEFAULT_KEY_HEADER)
                .to_string(),
            endpoint.credentials.secret.clone(),
        ),
        ("Content-Type".into(), "application/json".into()),
        ("Accept".into(), "application/json".into()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::test_support::{body_json, minimal_customer};

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
        let endpoint = endpoint().with_option(KEY_HEADER_OPTION, "x-bitbybit-key");
        let req = Bitbybit.create_customers(&endpoint, &[&c]);
        assert!(
            req.headers
                .contains(&("x-bitbybit-key".into(), "bbb_test_x".into()))
        );
        let body = body_json(&req);
        assert_eq!(body["phoneNumber"], "+15550100");
        assert_eq!(body["addresses"][0]["country"], "United States");
    }

    /// Every field of a customer set, with two addresses: one with province
    /// and country as text, one with only their codes.
    fn full_customer() -> Customer {
        Customer {
            email: Some("ann@example.com".into()),
            phone: Some("+1 555 0100".into()),
            first_name: Some("Ann".into()),
            last_name: Some("Lee".into()),
            name: Some("Ann L.".into()),
            company: Some("Acme".into()),
            notes: Some("n".into()),
            tags: vec!["vip".into(), "wholesale \"A\"".into()],
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
                    province: Some("California".into()),
                    province_code: Some("CA".into()),
                    country: Some("United States".into()),
                    country_code: Some("US".into()),
                    zip: Some("90001".into()),
                    default: true,
                    line: Some(3),
                },
                crate::model::Address {
                    address1: Some("Hauptstr. 5".into()),
                    city: Some("München".into()),
                    province_code: Some("BY".into()),
                    country_code: Some("DE".into()),
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
            active: Some(true),
            image_url: Some("https://example.com/a.png".into()),
        }
    }

    /// An endpoint for request tests.
    fn endpoint() -> Endpoint {
        Endpoint::new(
            "https://api.bitbybit.studio/customer/api/open/v1",
            Credentials {
                secret: "bbb_test_x".into(),
                store_hash: None,
            },
        )
    }

    #[test]
    fn bitbybit_request_body_is_exactly_what_it_was() {
        let body = |batch: &[&Customer]| -> Value {
            let req = Bitbybit.create_customers(&endpoint(), batch);
            body_json(&req)
        };
        assert_eq!(
            body(&[&full_customer()]),
            serde_json::json!({
                "addresses": [
                    {
                        "address1": "1 Main St",
                        "address2": "Suite 2",
                        "city": "Los Angeles",
                        "country": "United States",
                        "firstName": "Ann",
                        "lastName": "Lee",
                        "mainAddress": true,
                        "phone": "+1 555 0101",
                        "province": "California",
                        "zip": "90001"
                    },
                    {
                        "address1": "Hauptstr. 5",
                        "city": "München",
                        "country": "DE",
                        "mainAddress": false,
                        "province": "BY"
                    }
                ],
                "email": "ann@example.com",
                "firstName": "Ann",
                "imageUrl": "https://example.com/a.png",
                "lastName": "Lee",
                "phoneNumber": "+1 555 0100",
                "tags": ["vip", "wholesale \"A\""]
            })
        );
        assert_eq!(
            body(&[&minimal_customer()]),
            serde_json::json!({"email": "min@example.com"})
        );
        assert_eq!(body(&[]), serde_json::json!({}));
    }

    #[test]
    fn bitbybit_order_goes_to_orders_with_the_body_its_rules_build() {
        let order = Order {
            key: Some("#1".into()),
            line_items: vec![crate::order::LineItem {
                line: 2,
                variant_id: Some("var_1".into()),
                sku: Some("TEE".into()),
                quantity: Some("2".into()),
            }],
            ..Order::default()
        };
        let link = CustomerLink::Column { id: "c_1".into() };
        let req = Bitbybit
            .create_order(&endpoint(), &order, &link)
            .expect("bitbybit takes orders");
        assert_eq!(req.method, Method::POST);
        assert_eq!(
            req.url,
            "https://api.bitbybit.studio/customer/api/open/v1/orders"
        );
        assert!(
            req.headers
                .contains(&("x-api-key".into(), "bbb_test_x".into()))
        );
        assert_eq!(
            body_json(&req),
            serde_json::json!({
                "customerId": "c_1",
                "lineItems": [{"productVariantId": "var_1", "quantity": 2}],
                "shippingAddress": {}
            })
        );
        assert_eq!(
            req.body,
            Some(serde_json::to_vec(&orders::body(&order, &link)).expect("json"))
        );
    }
}
