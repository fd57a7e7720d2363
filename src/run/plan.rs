//! The run plan: everything an import needs, in plain serde structs that
//! know nothing of the command line. `cmd/import` builds it from its flags
//! ([`RunPlan::new`]: paths made absolute), the journal's header records
//! it, and `resume`, `reconcile` and `rejects` read it back
//! ([`RunPlan::from_header`]). Its field names *are* the header's options
//! (journal format version 1): a flag may be renamed, these may not.
//! What the plan leaves open (concurrency, the in-doubt policy, pacing) is
//! resolved here, for the platform and the entity, in one place.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::source::Source;
use crate::error::CliError;
use crate::journal::Replay;
use crate::platform::{Endpoint, Platform, PlatformId, Rate};
use crate::read::{Encoding, Format};
use crate::values::PhoneFormat;
use crate::writer::limit::Limiter;
use crate::writer::{InDoubtPolicy, WriterConfig};

/// `--timeout` by default, in seconds.
pub const DEFAULT_TIMEOUT: u64 = 30;
/// `--max-retries` by default.
pub const DEFAULT_MAX_RETRIES: u32 = 8;
/// `--give-up-after` by default, in seconds (DECISIONS.md: 10 minutes).
pub const DEFAULT_GIVE_UP_AFTER: u64 = 600;
/// `--settle-delay` by default, in seconds (DECISIONS.md "Hostile paths": 60 s).
pub const DEFAULT_SETTLE_DELAY: u64 = 60;
/// `--max-wait` by default, in seconds (DECISIONS.md "Hostile paths": 15 minutes).
pub const DEFAULT_MAX_WAIT: u64 = 15 * 60;
/// `--max-quota-share` by default (DECISIONS.md: 1.0).
pub const DEFAULT_MAX_QUOTA_SHARE: f64 = 1.0;
/// The API key header recorded when `--key-header` is not given: the one
/// the platform that reads it (bitbybit) documents first.
pub const DEFAULT_KEY_HEADER: &str = crate::platform::bitbybit::DEFAULT_KEY_HEADER;

/// The settle delay of a journal written before `--settle-delay` existed.
fn default_settle_delay() -> u64 {
    DEFAULT_SETTLE_DELAY
}

/// The longest wait of a journal written before `--max-wait` existed.
fn default_max_wait() -> u64 {
    DEFAULT_MAX_WAIT
}

/// The record size limit of a journal written before `--max-record-bytes`.
fn default_max_record_bytes() -> usize {
    crate::read::DEFAULT_MAX_RECORD_BYTES
}

/// What an input holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Entity {
    /// Customers (every platform).
    #[default]
    Customers,
    /// Orders with line items and a shipping address (bitbybit only).
    Orders,
}

impl Entity {
    /// The name journals and reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Customers => "customers",
            Entity::Orders => "orders",
        }
    }
}

/// Everything a run needs; the journal header records it (never secrets).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunPlan {
    /// The input path, absolute (stdin is spooled to a file first).
    pub input: String,
    /// The platform.
    pub to: PlatformId,
    /// The input's format, when given.
    pub format: Option<Format>,
    /// The CSV delimiter, when given.
    pub delimiter: Option<u8>,
    /// The preset, when given.
    pub preset: Option<String>,
    /// The mapping file, absolute, when given.
    pub mapping: Option<PathBuf>,
    /// How phones are sent.
    #[serde(default)]
    pub phone: PhoneFormat,
    /// The most bytes one record may take.
    #[serde(default = "default_max_record_bytes")]
    pub max_record_bytes: usize,
    /// The input's text encoding (left out when UTF-8, so plans written
    /// before it existed read the same).
    #[serde(default, skip_serializing_if = "Encoding::is_utf8")]
    pub encoding: Encoding,
    /// Every warning is a violation.
    pub strict: bool,
    /// How to send.
    pub send: SendOptions,
    /// Whether the run went into the in-process sandbox.
    pub sandbox: bool,
    /// What the input holds, and what orders link to.
    #[serde(default)]
    pub orders: OrderOptions,
    /// A sync run (`--sync`): the state file and `--ignore-blank`; absent
    /// from journals of plain imports (and of every run before sync).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<super::sync::SyncOptions>,
}

/// How requests are sent; `None` where the platform or entity decides.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendOptions {
    /// Base URL of the platform's API; `None`: the one in its spec.
    pub base_url: Option<String>,
    /// Requests per window; `None`: the platform's quota.
    pub rate: Option<Rate>,
    /// Requests in flight at once; `None`: the platform's default.
    pub concurrency: Option<usize>,
    /// Seconds to wait for one answer.
    pub timeout: u64,
    /// Retries of a request after its first try.
    pub max_retries: u32,
    /// Records sent without a clear answer; `None`: by the entity.
    pub in_doubt: Option<InDoubtPolicy>,
    /// Seconds of nothing but server errors before the run stops.
    pub give_up_after: u64,
    /// Seconds after a send before a lookup's "not found" counts.
    #[serde(default = "default_settle_delay")]
    pub settle_delay: u64,
    /// The longest server-requested wait, in seconds, before the run stops.
    #[serde(default = "default_max_wait")]
    pub max_wait: u64,
    /// BigCommerce: send the welcome email to every customer created.
    pub notify: bool,
    /// The share of the platform's quota to use (0 < F ≤ 1).
    pub max_quota_share: f64,
    /// Refuse to send anything above this percentage of invalid records.
    pub max_invalid_pct: Option<f64>,
    /// Send only this many records not yet in the journal (this run only).
    pub limit: Option<u64>,
    /// bitbybit: the API key header.
    pub key_header: String,
}

impl Default for SendOptions {
    /// What a run sends with when no flag says otherwise.
    fn default() -> Self {
        SendOptions {
            base_url: None,
            rate: None,
            concurrency: None,
            timeout: DEFAULT_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
            in_doubt: None,
            give_up_after: DEFAULT_GIVE_UP_AFTER,
            settle_delay: DEFAULT_SETTLE_DELAY,
            max_wait: DEFAULT_MAX_WAIT,
            notify: false,
            max_quota_share: DEFAULT_MAX_QUOTA_SHARE,
            max_invalid_pct: None,
            limit: None,
            key_header: DEFAULT_KEY_HEADER.to_string(),
        }
    }
}

/// What the input holds; for orders, the files they link through.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OrderOptions {
    /// Customers or orders.
    #[serde(default)]
    pub entity: Entity,
    /// Orders: a CSV `sku,product_variant_id` resolving line items' SKUs.
    #[serde(default)]
    pub variants: Option<PathBuf>,
    /// Orders: the journal of an earlier customers import into bitbybit.
    #[serde(default)]
    pub customers_journal: Option<PathBuf>,
}

impl RunPlan {
    /// The plan of an import of `source` into `to`: every path made
    /// absolute, so `resume` works from any folder (stdin stays `-`).
    pub fn new(
        source: Source,
        to: PlatformId,
        strict: bool,
        send: SendOptions,
        sandbox: bool,
        orders: OrderOptions,
    ) -> RunPlan {
        RunPlan {
            input: if source.input == "-" {
                source.input
            } else {
                absolute(Path::new(&source.input)).display().to_string()
            },
            to,
            format: source.format,
            delimiter: source.delimiter,
            preset: source.preset,
            mapping: source.mapping.as_deref().map(absolute),
            phone: source.phone,
            max_record_bytes: source.max_record_bytes,
            encoding: source.encoding,
            strict,
            send,
            sandbox,
            orders: OrderOptions {
                entity: orders.entity,
                variants: orders.variants.as_deref().map(absolute),
                customers_journal: orders.customers_journal.as_deref().map(absolute),
            },
            sync: None,
        }
    }

    /// The same plan, a sync run keeping the state at `state` (made
    /// absolute); `ignore_blank` leaves a blank cell's field as the store
    /// holds it.
    pub fn with_sync(mut self, state: &Path, ignore_blank: bool) -> RunPlan {
        self.sync = Some(super::sync::SyncOptions {
            state: absolute(state),
            ignore_blank,
        });
        self
    }

    /// The input this plan reads, and how.
    pub fn source(&self) -> Source {
        Source {
            input: self.input.clone(),
            format: self.format,
            delimiter: self.delimiter,
            preset: self.preset.clone(),
            mapping: self.mapping.clone(),
            phone: self.phone,
            max_record_bytes: self.max_record_bytes,
            encoding: self.encoding,
        }
    }

    /// The plan the latest header of the journal at `path` recorded.
    pub fn from_header(replay: &Replay, path: &Path) -> Result<RunPlan, CliError> {
        let header = replay.latest_header().ok_or_else(|| {
            CliError::usage(format!("journal {}: has no header line", path.display()))
        })?;
        header.read_options().map_err(|e| {
            CliError::usage(format!(
                "journal {}: its header does not hold this version's run options ({e})",
                path.display()
            ))
        })
    }

    /// The plan the journal at `path` recorded, from its headers alone.
    pub fn from_journal(path: &Path) -> Result<RunPlan, CliError> {
        let replay = Replay {
            headers: crate::journal::headers(path)?,
            ..Replay::default()
        };
        RunPlan::from_header(&replay, path)
    }

    /// The platform the plan sends to.
    pub fn platform(&self) -> &'static dyn Platform {
        self.to.platform()
    }

    /// Whether the input holds orders.
    pub fn ordering(&self) -> bool {
        self.orders.entity == Entity::Orders
    }

    /// Requests in flight when the run starts: `--concurrency`, else the
    /// platform's default; at least one.
    pub fn concurrency(&self) -> usize {
        self.send
            .concurrency
            .unwrap_or_else(|| self.platform().default_concurrency())
            .max(1)
    }

    /// Requests in flight at most. The writer adapts how many it keeps in
    /// flight to round-trip times and retries (`writer::concurrency`),
    /// between 1 and this: `--concurrency` when given (a cap: the run
    /// starts there, goes down on retries or rising latency and back up,
    /// never above it); else the platform's documented limit (BigCommerce
    /// 10); a platform that documents none stays at or below its default.
    pub fn max_concurrency(&self) -> usize {
        let start = self.concurrency();
        match self.send.concurrency {
            Some(_) => start,
            None => self
                .platform()
                .max_concurrency()
                .unwrap_or(start)
                .max(start),
        }
    }

    /// What becomes of records sent without a clear answer: `--in-doubt`,
    /// else look them up, except orders, which have no lookup: skipped and
    /// listed (DECISIONS.md).
    pub fn in_doubt(&self) -> InDoubtPolicy {
        self.send.in_doubt.unwrap_or(if self.ordering() {
            InDoubtPolicy::Skip
        } else {
            InDoubtPolicy::Lookup
        })
    }

    /// The pacer of the run's requests: `--rate`, else the platform's
    /// quota (followed from its headers), times `--max-quota-share`.
    pub fn limiter(&self) -> Limiter {
        Limiter::new(
            self.send
                .rate
                .unwrap_or_else(|| self.platform().default_rate()),
            self.send.rate.is_some(),
            self.send.max_quota_share,
        )
    }

    /// The writer's settings for sending to `endpoint`.
    pub fn writer_config(&self, endpoint: Endpoint) -> WriterConfig {
        WriterConfig {
            endpoint,
            concurrency: self.concurrency(),
            max_concurrency: self.max_concurrency(),
            timeout: Duration::from_secs(self.send.timeout.max(1)),
            max_retries: self.send.max_retries,
            in_doubt: self.in_doubt(),
            give_up_after: Duration::from_secs(self.send.give_up_after),
            min_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(30),
            batch_size: self.orders.entity.per_request(self.platform()),
            settle_delay: Duration::from_secs(self.send.settle_delay),
            max_wait: Duration::from_secs(self.send.max_wait),
        }
    }
}

/// `path` made absolute against the current folder, as written otherwise
/// (links are not resolved: the user's path stays recognisable).
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The options a version-1 journal's header holds, as the build before
    /// the run module wrote them (tests/data/journals has whole journals).
    const V1_OPTIONS: &str = r#"{"delimiter":null,"format":null,"input":"/data/customers.csv","mapping":null,"max_record_bytes":1048576,"orders":{"customers_journal":null,"entity":"customers","variants":null},"phone":"e164","preset":null,"sandbox":false,"send":{"base_url":"http://127.0.0.1:18766/stores/sandbox/v3","concurrency":3,"give_up_after":120,"in_doubt":null,"key_header":"x-api-key","limit":3,"max_invalid_pct":50.0,"max_quota_share":0.5,"max_retries":4,"max_wait":900,"notify":false,"rate":{"requests":1000,"window":1000},"settle_delay":60,"timeout":5},"strict":false,"to":"bigcommerce"}"#;

    #[test]
    fn a_version_1_header_reads_back_and_writes_the_same_json() {
        let old: serde_json::Value = serde_json::from_str(V1_OPTIONS).unwrap();
        let plan: RunPlan = serde_json::from_value(old.clone()).unwrap();
        assert_eq!(plan.send.concurrency, Some(3));
        assert_eq!(plan.phone, PhoneFormat::E164);
        assert_eq!(serde_json::to_value(&plan).unwrap(), old);
    }

    #[test]
    fn a_header_from_before_the_later_options_takes_their_defaults() {
        let mut old: serde_json::Value = serde_json::from_str(V1_OPTIONS).unwrap();
        for (object, key) in [
            (None, "phone"),
            (None, "max_record_bytes"),
            (None, "orders"),
            (Some("send"), "settle_delay"),
            (Some("send"), "max_wait"),
        ] {
            let map = match object {
                Some(o) => &mut old[o],
                None => &mut old,
            };
            map.as_object_mut().unwrap().remove(key);
        }
        let plan: RunPlan = serde_json::from_value(old).unwrap();
        assert_eq!(plan.phone, PhoneFormat::Keep);
        assert_eq!(plan.max_record_bytes, crate::read::DEFAULT_MAX_RECORD_BYTES);
        assert_eq!(plan.orders.entity, Entity::Customers);
        assert_eq!(plan.send.settle_delay, DEFAULT_SETTLE_DELAY);
        assert_eq!(plan.send.max_wait, DEFAULT_MAX_WAIT);
        assert_eq!(plan.sync, None);
    }

    #[test]
    fn a_windows_1252_input_is_recorded_so_a_resume_reads_it_alike() {
        let mut plan: RunPlan = serde_json::from_str(V1_OPTIONS).unwrap();
        assert_eq!(plan.encoding, Encoding::Utf8, "absent: UTF-8");
        plan.encoding = Encoding::Windows1252;
        let json = serde_json::to_value(&plan).unwrap();
        assert_eq!(json["encoding"], "windows-1252");
        let back: RunPlan = serde_json::from_value(json).unwrap();
        assert_eq!(back.source().encoding, Encoding::Windows1252);
    }

    #[test]
    fn a_sync_plan_records_its_state_absolute_and_reads_back() {
        let plan: RunPlan = serde_json::from_str(V1_OPTIONS).unwrap();
        let plan = plan.with_sync(Path::new("store.state"), true);
        let back: RunPlan = serde_json::from_value(serde_json::to_value(&plan).unwrap()).unwrap();
        let sync = back.sync.unwrap();
        assert!(sync.state.is_absolute() && sync.state.ends_with("store.state"));
        assert!(sync.ignore_blank);
    }

    #[test]
    fn orders_default_to_skipping_what_is_in_doubt_and_customers_to_lookup() {
        let mut plan: RunPlan = serde_json::from_str(V1_OPTIONS).unwrap();
        assert_eq!(plan.in_doubt(), InDoubtPolicy::Lookup);
        plan.orders.entity = Entity::Orders;
        assert_eq!(plan.in_doubt(), InDoubtPolicy::Skip);
        assert_eq!(plan.writer_config(endpoint()).batch_size, 1);
        plan.send.in_doubt = Some(InDoubtPolicy::Resend);
        assert_eq!(plan.in_doubt(), InDoubtPolicy::Resend);
    }

    #[test]
    fn concurrency_is_the_flag_else_the_platform_default_and_never_zero() {
        let mut plan: RunPlan = serde_json::from_str(V1_OPTIONS).unwrap();
        assert_eq!(plan.concurrency(), 3);
        plan.send.concurrency = Some(0);
        assert_eq!(plan.concurrency(), 1);
        plan.send.concurrency = None;
        assert_eq!(
            plan.concurrency(),
            PlatformId::Bigcommerce.platform().default_concurrency()
        );
    }

    #[test]
    fn the_concurrency_ceiling_is_the_flag_else_the_platforms_documented_limit() {
        let mut plan: RunPlan = serde_json::from_str(V1_OPTIONS).unwrap();
        // `--concurrency 3`: a cap, where the run also starts.
        assert_eq!(plan.max_concurrency(), 3);
        assert_eq!(plan.writer_config(endpoint()).max_concurrency, 3);
        plan.send.concurrency = None;
        let bigcommerce = PlatformId::Bigcommerce.platform();
        assert_eq!(plan.concurrency(), bigcommerce.default_concurrency());
        assert_eq!(plan.max_concurrency(), 10);
        // No documented limit: never above the platform's default.
        plan.to = PlatformId::Salesive;
        assert_eq!(plan.max_concurrency(), plan.concurrency());
    }

    fn endpoint() -> Endpoint {
        let credentials = crate::platform::Credentials {
            secret: "s".into(),
            store_hash: None,
        };
        super::super::connect::endpoint(
            "http://127.0.0.1:1".into(),
            credentials,
            &SendOptions::default(),
        )
    }
}
