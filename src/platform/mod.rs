//! The platforms storeload writes to. Each is one file that knows its rules,
//! its batch size, how to build a request, how to read a response and its
//! quota; stages know only the `Platform` trait. Adding a platform means one
//! file here and one line in `ALL`.

pub mod bigcommerce;
pub mod bitbybit;
pub mod salesive;

use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::ValueEnum;
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};

use crate::error::CliError;
use crate::findings::Findings;
use crate::model::Customer;
use crate::order::link::Links;
use crate::order::{CustomerLink, Order};

/// Which platform a command targets (`--to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlatformId {
    /// BigCommerce customers v3.
    Bigcommerce,
    /// Salesive Apps API.
    Salesive,
    /// bitbybit Open API.
    Bitbybit,
}

impl PlatformId {
    /// The platform's code, as typed on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            PlatformId::Bigcommerce => "bigcommerce",
            PlatformId::Salesive => "salesive",
            PlatformId::Bitbybit => "bitbybit",
        }
    }

    /// The platform's implementation.
    pub fn platform(self) -> &'static dyn Platform {
        match self {
            PlatformId::Bigcommerce => &bigcommerce::BigCommerce,
            PlatformId::Salesive => &salesive::Salesive,
            PlatformId::Bitbybit => &bitbybit::Bitbybit,
        }
    }
}

impl std::fmt::Display for PlatformId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every platform, in the order help texts list them.
pub const ALL: &[PlatformId] = &[
    PlatformId::Bigcommerce,
    PlatformId::Salesive,
    PlatformId::Bitbybit,
];

/// A platform's secret and, for BigCommerce, its store hash, read from the
/// environment. Its `Debug` never shows the secret.
#[derive(Clone)]
pub struct Credentials {
    /// The token or API key.
    pub secret: String,
    /// BigCommerce's store hash (part of the URL, not a secret).
    pub store_hash: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("secret", &"<redacted>")
            .field("store_hash", &self.store_hash)
            .finish()
    }
}

/// Reads an environment variable that must be set and not blank, and that
/// a request header can carry (its value is never shown).
pub fn required_env(name: &str, what: &str) -> Result<String, CliError> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => {
            let v = v.trim();
            // A header value that cannot be built would be left off the
            // request, and the platform would say no key was sent.
            if reqwest::header::HeaderValue::from_str(v).is_err() {
                return Err(CliError::stopped(format!(
                    "{name} holds a character a request header cannot carry (a control character or a line break inside it): set it again to {what} alone, e.g. `export {name}=…`"
                )));
            }
            Ok(v.to_string())
        }
        _ => Err(CliError::stopped(format!(
            "{name} is not set: storeload reads {what} from the environment, never from the command line\n\nSet it, e.g. `export {name}=…`, and run the command again."
        ))),
    }
}

/// Where and how to reach a platform for one run: what every platform has
/// (a base URL, credentials) plus the options only some read.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Base URL the endpoint paths are appended to (no trailing slash).
    pub base_url: String,
    /// The credentials.
    pub credentials: Credentials,
    /// Settings of one platform (BigCommerce's `--notify`, bitbybit's
    /// `--key-header`), by name; each platform reads its own.
    pub options: PlatformOptions,
}

impl Endpoint {
    /// An endpoint with no platform options (each platform's defaults).
    pub fn new(base_url: impl Into<String>, credentials: Credentials) -> Endpoint {
        Endpoint {
            base_url: base_url.into(),
            credentials,
            options: PlatformOptions::default(),
        }
    }

    /// The same endpoint with the option `name` set to `value`.
    pub fn with_option(mut self, name: &str, value: impl Into<serde_json::Value>) -> Endpoint {
        self.options.set(name, value);
        self
    }
}

/// Options that belong to one platform, named as its flags are (the
/// constants live in the platform's file, e.g. `bigcommerce::NOTIFY_OPTION`).
/// The shared [`Endpoint`] carries them without knowing what they mean: a
/// platform reads the ones it defines and ignores the rest, and an option
/// not set means the platform's default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PlatformOptions(serde_json::Map<String, serde_json::Value>);

impl PlatformOptions {
    /// Sets the option `name` (a later value replaces an earlier one).
    pub fn set(&mut self, name: &str, value: impl Into<serde_json::Value>) {
        self.0.insert(name.to_string(), value.into());
    }

    /// Whether the switch `name` is on: set to `true`; off when absent.
    pub fn flag(&self, name: &str) -> bool {
        self.0
            .get(name)
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    }

    /// The text of the option `name`, when it is set to text.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(serde_json::Value::as_str)
    }
}

/// An HTTP request a platform built; the writer only sends it.
#[derive(Debug, Clone)]
pub struct Request {
    /// GET or POST.
    pub method: Method,
    /// Full URL.
    pub url: String,
    /// Headers, auth included.
    pub headers: Vec<(String, String)>,
    /// JSON body, if any.
    pub body: Option<Vec<u8>>,
}

/// An HTTP answer as the platform sees it.
#[derive(Debug)]
pub struct Response<'a> {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: &'a HeaderMap,
    /// Body, capped by the writer.
    pub body: &'a [u8],
}

/// Why a platform refused a record: field, rule and message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// Field the platform named, or `record`.
    pub field: String,
    /// Rule code (`platform.<status>` for refusals the platform did not code).
    pub rule: String,
    /// The platform's message.
    pub message: String,
}

/// What became of one record of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Stored; the platform's id.
    Created {
        /// The platform's id for the record.
        id: String,
    },
    /// Already in the store (duplicate email).
    Exists {
        /// The platform's id, when the answer gave it.
        id: Option<String>,
        /// The platform's words.
        reason: String,
    },
    /// Refused by the platform.
    Rejected {
        /// What the platform said about it.
        reasons: Vec<Reason>,
    },
    /// Not settled by this answer: send again (alone or in a new batch).
    Resend {
        /// Whether the record may have been stored by this request.
        in_doubt: bool,
        /// Why.
        reason: String,
    },
}

/// The platform's verdict on one answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// One outcome per record of the batch, in batch order.
    Outcomes(Vec<Outcome>),
    /// Try the whole batch again later.
    Retry {
        /// What happened.
        reason: String,
        /// The server's own hint of how long to wait.
        wait: Option<Duration>,
        /// Whether the batch may have been stored (timeout, 500, 502, 504).
        in_doubt: bool,
    },
    /// The answer does not say which record is bad: split the batch in two.
    Split {
        /// What the platform said.
        reason: String,
    },
    /// Every later request would fail the same way: stop the run (exit 3).
    Stop {
        /// One sentence for a person, naming what to check.
        message: String,
    },
}

/// The quota a platform reported in an answer's headers.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct QuotaHint {
    /// Requests allowed per window.
    pub quota: Option<u32>,
    /// The window.
    pub window: Option<Duration>,
    /// Requests left in the current window.
    pub left: Option<u32>,
    /// Time until the window resets.
    pub reset: Option<Duration>,
}

/// A customer found by a lookup.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The platform's id.
    pub id: String,
    /// Email, lower-cased.
    pub email: Option<String>,
    /// Phone as stored.
    pub phone: Option<String>,
    /// When the platform created it, if it says.
    pub created_at: Option<DateTime<Utc>>,
}

/// A request rate: `requests` per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    /// Requests per window.
    pub requests: u32,
    /// The window.
    #[serde(with = "duration_ms")]
    pub window: Duration,
}

mod duration_ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

impl std::str::FromStr for Rate {
    type Err = String;

    /// Parses `150/30s`, `50/1s`, `100/1m`, `5/500ms`.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "could not read rate '{s}': write REQUESTS/DURATION, e.g. 150/30s, 100/1m, 5/500ms"
            )
        };
        let (n, d) = s.split_once('/').ok_or_else(bad)?;
        let requests: u32 = n.trim().parse().map_err(|_| bad())?;
        let d = d.trim();
        let (num, unit) = d
            .find(|c: char| !c.is_ascii_digit())
            .map(|i| d.split_at(i))
            .unwrap_or((d, "s"));
        let num: u64 = if num.is_empty() {
            1
        } else {
            num.parse().map_err(|_| bad())?
        };
        let window = match unit {
            "ms" => Duration::from_millis(num),
            "s" | "" => Duration::from_secs(num),
            "m" | "min" => Duration::from_secs(num * 60),
            "h" => Duration::from_secs(num * 3600),
            _ => return Err(bad()),
        };
        if requests == 0 || window.is_zero() {
            return Err(bad());
        }
        Ok(Rate { requests, window })
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = self.window.as_millis();
        if ms.is_multiple_of(1000) {
            write!(f, "{}/{}s", self.requests, ms / 1000)
        } else {
            write!(f, "{}/{}ms", self.requests, ms)
        }
    }
}

/// A header's value as text, if present and readable.
pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// A header's value as a number, if present and numeric.
pub fn header_num(headers: &HeaderMap, name: &str) -> Option<u64> {
    header(headers, name)
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| *v >= 0.0)
        .map(|v| v as u64)
}

/// A standard `Retry-After`: seconds, or an HTTP date (RFC 9110), as the
/// wait until then (none when the date is past). The platforms document
/// seconds; a proxy in front of one may send either.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(secs) = header_num(headers, "retry-after") {
        return Some(Duration::from_secs(secs));
    }
    let date = chrono::DateTime::parse_from_rfc2822(header(headers, "retry-after")?.trim()).ok()?;
    let wait = date.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or_default())
}

/// The headers by which the three platforms ask a client to wait, with the
/// unit of each (FACTS.md): `(name as documented, value in milliseconds?)`.
const WAIT_HEADERS: [(&str, bool); 4] = [
    ("Retry-After", false),
    ("X-Retry-After", false),
    ("RateLimit-Reset", false),
    ("X-Rate-Limit-Time-Reset-Ms", true),
];

/// The longest wait an answer's headers ask for, with the header that asks
/// it (as documented), so that a refusal to wait can name it.
pub fn longest_wait(headers: &HeaderMap) -> Option<(&'static str, Duration)> {
    WAIT_HEADERS
        .iter()
        .filter_map(|(name, ms)| {
            let n = header_num(headers, name)?;
            let d = if *ms {
                Duration::from_millis(n)
            } else {
                Duration::from_secs(n)
            };
            Some((*name, d))
        })
        .max_by_key(|(_, d)| *d)
}

/// The verdict every platform gives the statuses it does not document
/// itself, after DECISIONS.md "Sending safely": 429 and 503 retry without
/// doubt; 500, 502, 504 and other 5xx leave the batch in doubt.
pub fn server_trouble(status: u16, wait: Option<Duration>) -> Option<Verdict> {
    match status {
        429 => Some(Verdict::Retry {
            reason: "429 too many requests".into(),
            wait,
            in_doubt: false,
        }),
        503 => Some(Verdict::Retry {
            reason: "503 service unavailable".into(),
            wait,
            in_doubt: false,
        }),
        500..=599 => Some(Verdict::Retry {
            reason: format!("{status} server error"),
            wait,
            in_doubt: true,
        }),
        _ => None,
    }
}

/// Where a platform's lookup answer keeps a customer's fields.
#[derive(Debug, Clone, Copy)]
pub struct LookupFields {
    /// Keys that may hold the id, first found wins (a number or a string).
    pub id: &'static [&'static str],
    /// Key of the phone.
    pub phone: &'static str,
    /// Key of the creation time (RFC 3339).
    pub created_at: &'static str,
}

/// Reads a 200 lookup answer `{"data":[…]}` into the customers it found.
/// A body that is not JSON is a retry (the answer was cut or garbled).
pub fn parse_found(response: &Response<'_>, fields: LookupFields) -> Result<Vec<Found>, Verdict> {
    let v: serde_json::Value =
        serde_json::from_slice(response.body).map_err(|_| Verdict::Retry {
            reason: format!("lookup answer is not JSON: {}", excerpt(response.body)),
            wait: None,
            in_doubt: false,
        })?;
    let text = |c: &serde_json::Value, k: &str| {
        c.get(k)
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
    };
    let found = v
        .get("data")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let id = fields.id.iter().find_map(|k| match c.get(*k)? {
                serde_json::Value::Number(n) => Some(n.to_string()),
                serde_json::Value::String(s) => Some(s.clone()),
                _ => None,
            })?;
            Some(Found {
                id,
                email: text(c, "email").map(|e| crate::values::normalise_email(&e)),
                phone: text(c, fields.phone),
                created_at: text(c, fields.created_at)
                    .and_then(|d| DateTime::parse_from_rfc3339(&d).ok())
                    .map(|d| d.with_timezone(&Utc)),
            })
        })
        .collect();
    Ok(found)
}

/// A request body written as JSON into one buffer of `capacity` bytes, so
/// a typical body is written without growing it. For the platforms' body
/// structs, which borrow from the model.
pub fn json_body<T: serde::Serialize + ?Sized>(body: &T, capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(capacity);
    serde_json::to_writer(&mut out, body).expect(
        "serialising a request body cannot fail: it writes to a Vec, its keys are struct fields and its values strings, integers and bools",
    );
    out
}

/// Puts a text field into a JSON body when it has a value.
pub fn put(m: &mut serde_json::Map<String, serde_json::Value>, key: &str, v: &Option<String>) {
    if let Some(v) = v {
        m.insert(key.into(), serde_json::Value::String(v.clone()));
    }
}

/// A short, single-line excerpt of a body for messages.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.chars().take(300).collect()
}

/// What storeload needs to know about a platform.
pub trait Platform: Send + Sync {
    /// Which platform this is.
    fn id(&self) -> PlatformId;

    /// Human name, e.g. "BigCommerce".
    fn display_name(&self) -> &'static str;

    /// Customers per create request (10 for BigCommerce, 1 elsewhere).
    fn batch_size(&self) -> usize;

    /// Whether a customer with no email is identified by phone (bitbybit).
    fn phone_identifies(&self) -> bool {
        false
    }

    /// Checks one mapped customer against the platform's per-record rules.
    fn check_customer(&self, customer: &Customer, f: &mut Findings);

    /// The canonical fields this platform sends; a value it would not send
    /// cannot make a record invalid for it (e.g. `active` on BigCommerce).
    fn sends_field(&self, field: &str) -> bool;

    /// The canonical fields its create-customer request carries, by their
    /// mapping names (`email`, `address.city`, `attributes`), as its
    /// request builder writes them; reports say every other mapped field is
    /// not sent to it.
    fn sent_fields(&self) -> &'static [&'static str];

    /// Why its create-customer request carries nothing of the mapped
    /// canonical `field` (`tags`, `address.company`); `None` when it sends it.
    fn not_sent_reason(&self, field: &str) -> Option<String> {
        let sent = self.sent_fields();
        if sent.contains(&field) {
            return None;
        }
        let name = self.display_name();
        if field.starts_with("address.") && !sent.iter().any(|f| f.starts_with("address.")) {
            return Some(format!("{name} customers have no address fields"));
        }
        Some(format!(
            "{name}'s create-customer request has no {field} field"
        ))
    }

    /// The environment variables holding its credentials.
    fn env_vars(&self) -> &'static [&'static str];

    /// Reads its credentials from the environment, naming a missing variable.
    fn credentials_from_env(&self) -> Result<Credentials, CliError>;

    /// The base URL from its spec.
    fn default_base_url(&self, credentials: &Credentials) -> String;

    /// The rate used when neither `--rate` nor the platform's headers say.
    fn default_rate(&self) -> Rate;

    /// Requests in flight by default (`--concurrency`).
    fn default_concurrency(&self) -> usize;

    /// The most requests in flight the platform takes at once, when it
    /// documents a limit: a run above it is warned to expect 429s.
    fn max_concurrency(&self) -> Option<usize> {
        None
    }

    /// The credentials the local sandbox's stand-in for this platform
    /// accepts (public: the sandbox prints them).
    fn sandbox_credentials(&self) -> Credentials;

    /// Whether a duplicate is answered `exists`, so a resend is safe.
    fn email_unique(&self) -> bool;

    /// Builds the create request for a batch of customers.
    fn create_customers(&self, endpoint: &Endpoint, batch: &[&Customer]) -> Request;

    /// Reads a create answer into per-record outcomes or a batch verdict.
    fn classify_create(&self, response: &Response<'_>, batch: &[&Customer]) -> Verdict;

    /// Whether the platform's API (as storeload follows it) creates orders.
    fn takes_orders(&self) -> bool {
        false
    }

    /// Checks one mapped order against the platform's order rules,
    /// resolving what `links` resolve (SKUs) in place, and returns how it
    /// names its customer; `None` when it cannot be sent. A platform that
    /// takes no orders refuses every one (runs refuse them before reading).
    fn check_order(
        &self,
        _order: &mut Order,
        _links: Links<'_>,
        f: &mut Findings,
    ) -> Option<CustomerLink> {
        f.violation(
            "row",
            "order.not_supported",
            format!(
                "{} takes no orders in the API storeload follows; import customers there",
                self.display_name()
            ),
        );
        None
    }

    /// Orders per create-order request (one, on every platform so far).
    fn orders_per_request(&self) -> usize {
        1
    }

    /// Builds the create-order request for one checked order and its
    /// customer link; `None` where the platform's API (as storeload follows
    /// it) takes no orders.
    fn create_order(
        &self,
        _endpoint: &Endpoint,
        _order: &Order,
        _link: &CustomerLink,
    ) -> Option<Request> {
        None
    }

    /// Reads a create-order answer into one outcome or a verdict.
    fn classify_order(&self, response: &Response<'_>) -> Verdict {
        self.classify_create(response, &[])
    }

    /// The quota the answer's headers report.
    fn quota_hint(&self, headers: &HeaderMap) -> QuotaHint;

    /// Builds a lookup for customers by email (or phone); `None` when the
    /// platform has no lookup.
    fn lookup(&self, endpoint: &Endpoint, keys: &[&str]) -> Option<Request>;

    /// Reads a lookup answer.
    fn parse_lookup(&self, response: &Response<'_>) -> Result<Vec<Found>, Verdict>;

    /// A harmless read that proves the credentials and shows the quota.
    fn probe_read(&self, endpoint: &Endpoint) -> Request;

    /// A request that shows write scope without storing anything, where the
    /// platform has one (Salesive's empty-body create, FACTS.md).
    fn probe_write(&self, _endpoint: &Endpoint) -> Option<Request> {
        None
    }

    /// How it updates customers a sync finds changed, where its API (as
    /// our specs document it) has an update endpoint; `None` refuses
    /// `--sync` (DECISIONS.md "Nightly sync").
    fn updates(&self) -> Option<&dyn Updates> {
        None
    }
}

/// One customer of an update request: the platform's id and the mapped
/// record.
#[derive(Debug, Clone, Copy)]
pub struct Update<'a> {
    /// The platform's customer id (from the sync state or a lookup).
    pub id: u64,
    /// The record as mapped from this run's input.
    pub customer: &'a Customer,
}

/// What an update does with a field the record leaves blank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blanks<'a> {
    /// `--ignore-blank`: the field is left out and the store keeps its value.
    Keep,
    /// The field is sent empty where the API allows, for the canonical
    /// fields named here (`company`, `address.address2`): the fields the
    /// input maps. A field no column maps is never cleared.
    Clear(&'a [&'a str]),
}

impl Blanks<'_> {
    /// Whether a blank `field` (canonical name) is sent empty.
    pub fn clears(&self, field: &str) -> bool {
        match self {
            Blanks::Keep => false,
            Blanks::Clear(fields) => fields.contains(&field),
        }
    }
}

/// What became of one customer (or address) of an update request.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateOutcome {
    /// The store holds what was sent.
    Updated {
        /// The customer's id.
        id: u64,
    },
    /// Refused by the platform (an unknown id, an email taken by another
    /// customer, a field it would not take).
    Rejected {
        /// What the platform said about it.
        reasons: Vec<Reason>,
    },
    /// Not settled by this answer: send again (an update is idempotent, so
    /// one in doubt is simply sent again).
    Resend {
        /// Why.
        reason: String,
    },
}

/// An address the store holds, as its listing returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAddress {
    /// The address's id.
    pub id: u64,
    /// Its customer's id.
    pub customer_id: u64,
    /// Its text fields by the platform's names (an absent field is `""`).
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// One address a sync sends: a new one for a customer, or a change to one
/// the store holds.
#[derive(Debug, Clone, PartialEq)]
pub struct AddressChange {
    /// The customer's id.
    pub customer_id: u64,
    /// The stored address changed; `None` adds an address.
    pub address_id: Option<u64>,
    /// The address's fields as the request carries them.
    pub body: serde_json::Map<String, serde_json::Value>,
}

/// A request of address changes and which of them it carries.
#[derive(Debug, Clone)]
pub struct AddressRequest {
    /// The request.
    pub request: Request,
    /// Indexes into the changes it was built from, in body order.
    pub members: Vec<usize>,
}

/// A platform's update endpoints, for `--sync` (FACTS.md "Updating").
/// Builders are pure; the writer sends what they build.
pub trait Updates: Send + Sync {
    /// Customers per update request.
    fn update_batch_size(&self) -> usize;

    /// The hash of exactly what an update of `customer` carries (its
    /// customer fields and its addresses, without ids), over canonical
    /// JSON: equal hashes mean nothing to send.
    fn record_hash(&self, customer: &Customer, blanks: Blanks<'_>) -> [u8; 16];

    /// The update request for a batch of at most `update_batch_size`.
    fn update_customers(
        &self,
        endpoint: &Endpoint,
        batch: &[Update<'_>],
        blanks: Blanks<'_>,
    ) -> Request;

    /// Reads an update answer into one outcome per batch member, or a
    /// verdict on the whole batch (retry, split, stop).
    fn classify_update(
        &self,
        response: &Response<'_>,
        batch: &[Update<'_>],
    ) -> Result<Vec<UpdateOutcome>, Verdict>;

    /// A listing of the addresses of `customer_ids` (at most
    /// `update_batch_size`), page `page` (from 1).
    fn list_addresses(&self, endpoint: &Endpoint, customer_ids: &[u64], page: u32) -> Request;

    /// Reads a listing: the addresses, and whether a later page has more.
    fn parse_addresses(
        &self,
        response: &Response<'_>,
    ) -> Result<(Vec<StoredAddress>, bool), Verdict>;

    /// What to send so that the store holds `customer`'s addresses: each
    /// address of the record the store holds already is left alone, the
    /// others change a stored address no record address matched (lowest id
    /// first) or are added. A stored address is never deleted.
    fn address_changes(
        &self,
        customer_id: u64,
        customer: &Customer,
        stored: &[StoredAddress],
        blanks: Blanks<'_>,
    ) -> Vec<AddressChange>;

    /// The requests that send `changes`: adds and changes apart, at most
    /// `update_batch_size` per request.
    fn address_requests(
        &self,
        endpoint: &Endpoint,
        changes: &[AddressChange],
    ) -> Vec<AddressRequest>;

    /// Reads an address answer into one outcome per member of the request
    /// (`Updated` names the customer), or a verdict on the whole request.
    fn classify_addresses(
        &self,
        response: &Response<'_>,
        members: &[&AddressChange],
    ) -> Result<Vec<UpdateOutcome>, Verdict>;
}

/// A GET of the endpoint's `customers` with `query` (encoded), as lookups use.
pub fn get_customers(
    endpoint: &Endpoint,
    query: &[(&str, &str)],
    headers: Vec<(String, String)>,
) -> Option<Request> {
    let mut url = url::Url::parse(&format!("{}/customers", endpoint.base_url)).ok()?;
    url.query_pairs_mut().extend_pairs(query);
    Some(Request {
        method: Method::GET,
        url: url.to_string(),
        headers,
        body: None,
    })
}

/// A GET of `path` under the endpoint with the given auth headers.
pub fn get(endpoint: &Endpoint, path_and_query: &str, headers: Vec<(String, String)>) -> Request {
    Request {
        method: Method::GET,
        url: format!("{}/{path_and_query}", endpoint.base_url),
        headers,
        body: None,
    }
}

/// Fixtures the platforms' request tests share.
#[cfg(test)]
pub(crate) mod test_support {
    use super::Request;
    use crate::model::Customer;

    /// A customer with nothing but an email.
    pub(crate) fn minimal_customer() -> Customer {
        Customer {
            email: Some("min@example.com".into()),
            ..Customer::default()
        }
    }

    /// A request's JSON body, read back.
    pub(crate) fn body_json(req: &Request) -> serde_json::Value {
        serde_json::from_slice(req.body.as_deref().unwrap_or_default()).expect("json")
    }
}

#[cfg(test)]
mod sent_fields_tests {
    use super::ALL;
    use crate::mapping::field::{ADDRESS_FIELDS, CUSTOMER_FIELDS};

    #[test]
    fn every_sent_field_is_a_canonical_field_name() {
        let known: Vec<String> = CUSTOMER_FIELDS
            .iter()
            .map(|(_, n)| (*n).to_string())
            .chain(ADDRESS_FIELDS.iter().map(|(_, n)| format!("address.{n}")))
            .chain(["attributes".to_string()])
            .collect();
        for id in ALL {
            for f in id.platform().sent_fields() {
                assert!(known.iter().any(|k| k == f), "{id}: \"{f}\" is no field");
            }
        }
    }

    #[test]
    fn a_field_validation_ignores_as_unsent_is_never_reported_as_sent() {
        for id in ALL {
            let p = id.platform();
            for (_, name) in CUSTOMER_FIELDS {
                if !p.sends_field(name) {
                    assert!(p.not_sent_reason(name).is_some(), "{id}: {name}");
                }
            }
        }
    }

    #[test]
    fn not_sent_reasons_name_the_platform_and_the_field() {
        let bc = super::PlatformId::Bigcommerce.platform();
        assert_eq!(
            bc.not_sent_reason("tags").as_deref(),
            Some("BigCommerce's create-customer request has no tags field")
        );
        assert_eq!(bc.not_sent_reason("address.city"), None);
        let salesive = super::PlatformId::Salesive.platform();
        assert_eq!(
            salesive.not_sent_reason("address.city").as_deref(),
            Some("Salesive customers have no address fields")
        );
        assert_eq!(salesive.not_sent_reason("name"), None);
        let bitbybit = super::PlatformId::Bitbybit.platform();
        assert!(bitbybit.not_sent_reason("address.company").is_some());
    }
}

#[cfg(test)]
mod options_tests {
    use super::test_support::{body_json, minimal_customer};
    use super::{Credentials, Endpoint, PlatformId, PlatformOptions, bigcommerce, bitbybit};

    fn endpoint() -> Endpoint {
        Endpoint::new(
            "http://127.0.0.1:9/api",
            Credentials {
                secret: "s3cret".into(),
                store_hash: Some("abc".into()),
            },
        )
    }

    #[test]
    fn an_option_is_off_or_absent_until_set_and_reads_back_as_set() {
        let mut o = PlatformOptions::default();
        assert!(!o.flag("notify"));
        assert_eq!(o.text("key-header"), None);
        o.set("notify", true);
        o.set("key-header", "x-bitbybit-key");
        assert!(o.flag("notify"));
        assert_eq!(o.text("key-header"), Some("x-bitbybit-key"));
        // A switch set to text is not on; text set to a switch is not text.
        o.set("notify", "yes");
        o.set("key-header", false);
        assert!(!o.flag("notify"));
        assert_eq!(o.text("key-header"), None);
    }

    #[test]
    fn each_platform_reads_only_its_own_options() {
        let c = minimal_customer();
        let both = endpoint()
            .with_option(bigcommerce::NOTIFY_OPTION, true)
            .with_option(bitbybit::KEY_HEADER_OPTION, "x-other");
        for id in super::ALL {
            let p = id.platform();
            let plain = p.create_customers(&endpoint(), &[&c]);
            let set = p.create_customers(&both, &[&c]);
            assert_eq!(plain.url, set.url, "{id}");
            match id {
                PlatformId::Bigcommerce => {
                    assert_eq!(plain.headers, set.headers, "{id}");
                    assert_eq!(
                        body_json(&plain)[0]["trigger_account_created_notification"],
                        false
                    );
                    assert_eq!(
                        body_json(&set)[0]["trigger_account_created_notification"],
                        true
                    );
                }
                PlatformId::Bitbybit => {
                    assert_eq!(plain.body, set.body, "{id}");
                    assert!(plain.headers.contains(&(
                        bitbybit::DEFAULT_KEY_HEADER.to_string(),
                        "s3cret".to_string()
                    )));
                    assert!(
                        set.headers
                            .contains(&("x-other".to_string(), "s3cret".to_string()))
                    );
                }
                PlatformId::Salesive => {
                    assert_eq!(plain.headers, set.headers, "{id}");
                    assert_eq!(plain.body, set.body, "{id}");
                }
            }
        }
    }
}

#[cfg(test)]
mod order_tests {
    use super::{ALL, Credentials, Endpoint};
    use crate::findings::Findings;
    use crate::order::link::Links;
    use crate::order::{CustomerLink, Order};

    #[test]
    fn a_platform_without_orders_refuses_each_and_builds_no_request() {
        let endpoint = Endpoint::new(
            "http://127.0.0.1:9/api",
            Credentials {
                secret: "s".into(),
                store_hash: Some("abc".into()),
            },
        );
        for id in ALL {
            let p = id.platform();
            let mut f = Findings::new(1, 2);
            let link = p.check_order(&mut Order::default(), Links::default(), &mut f);
            let request = p.create_order(&endpoint, &Order::default(), &CustomerLink::Inline);
            if p.takes_orders() {
                assert!(request.is_some(), "{id}");
                continue;
            }
            assert_eq!(link, None, "{id}");
            assert_eq!(f.items.len(), 1, "{id}");
            assert_eq!(f.items[0].rule, "order.not_supported", "{id}");
            assert!(request.is_none(), "{id}");
        }
    }
}
