//! The journal's line types: one [`Entry`] per JSON line, tagged by `"type"`,
//! and the input fingerprint a header carries.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use chrono::{DateTime, SubsecRound, Utc};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};

/// The journal format version this build writes and reads.
pub const VERSION: u32 = 1;

/// What an import read: its path, size and content hash, so a resume can tell
/// whether the input changed since the run began.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFingerprint {
    /// The input path as the user gave it (or the stdin spool file).
    pub path: String,
    /// Size in bytes, as hashed.
    pub size: u64,
    /// Lower-case hex SHA-256 of the whole file.
    pub sha256: String,
}

/// Hashes a file in 1 MiB chunks (never loads it whole) into its fingerprint.
pub fn fingerprint(path: &Path) -> io::Result<InputFingerprint> {
    let mut file = File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok(InputFingerprint {
        path: path.to_string_lossy().into_owned(),
        size,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// The first line of a run: what was imported where, and how. Never a secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Journal format version ([`VERSION`]).
    pub version: u32,
    /// 1 for the first run of this journal, +1 for each re-run or resume.
    pub run: u32,
    /// Platform name, e.g. `bigcommerce`.
    pub platform: String,
    /// What is imported, e.g. `customers` or `orders`.
    pub entity: String,
    /// The input file's fingerprint.
    pub input: InputFingerprint,
    /// The mapping in effect, as the caller serialised it.
    pub mapping: serde_json::Value,
    /// The run's options (without secrets), written by [`Header::new`] and
    /// read back by [`Header::read_options`].
    pub options: serde_json::Value,
    /// When the run started.
    #[serde(with = "ms_time")]
    pub started_at: DateTime<Utc>,
    /// Where the run sends; absent in journals written before it was
    /// recorded (their destination is unknown, and not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<Destination>,
}

/// Where a run sends: the platform, the base URL and the store or account
/// the URL does not name. Never a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    /// Platform name, e.g. `bigcommerce`.
    pub platform: String,
    /// The API base URL requests go to, without a trailing `/`.
    pub base_url: String,
    /// BigCommerce's store hash (or another platform's account), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.platform, self.base_url)?;
        if let Some(store) = &self.store {
            write!(f, " (store {store})")?;
        }
        Ok(())
    }
}

impl Header {
    /// A header of the current [`VERSION`] for run `run`, started now (to the
    /// millisecond, as it is stored), recording the run's `options` as JSON
    /// (an object whose keys are written sorted, as every journal since
    /// version 1 holds them). Fails only when `options` cannot be encoded.
    pub fn new(
        run: u32,
        platform: impl Into<String>,
        entity: impl Into<String>,
        input: InputFingerprint,
        mapping: serde_json::Value,
        options: &impl Serialize,
    ) -> Result<Header, serde_json::Error> {
        Ok(Header {
            version: VERSION,
            run,
            platform: platform.into(),
            entity: entity.into(),
            input,
            mapping,
            options: serde_json::to_value(options)?,
            started_at: Utc::now().trunc_subsecs(3),
            destination: None,
        })
    }

    /// The run's options as `T` reads them back (see [`Header::new`]).
    pub fn read_options<T: de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.options)
    }

    /// The same header, naming where the run sends.
    pub fn with_destination(mut self, destination: Destination) -> Header {
        self.destination = Some(destination);
        self
    }
}

/// One record of a request about to be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentRecord {
    /// The record key (normalised email, phone, or hash), chosen by the caller.
    pub key: String,
    /// Record number in the input (1-based data record).
    pub record: u64,
    /// Line number in the input where the record starts.
    pub line: u64,
}

/// Written and made durable before a request goes out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sent {
    /// The batch (request) number within the run.
    pub batch: u64,
    /// When the request was about to go out (stored to the millisecond).
    #[serde(with = "ms_time")]
    pub at: DateTime<Utc>,
    /// The records in the request.
    pub records: Vec<SentRecord>,
    /// When each lookup of these records ran before this resend, each finding nothing
    /// (bitbybit's search settles a record sent without an answer); absent
    /// in journals written before lookups were recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "ms_times")]
    pub lookups: Vec<DateTime<Utc>>,
}

/// The platform stored the record under `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    /// Record key.
    pub key: String,
    /// Record number in the input.
    pub record: u64,
    /// Line number in the input.
    pub line: u64,
    /// The platform's id for the new record.
    pub id: String,
    /// The record's normalised email, for linking orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The record's normalised phone, for linking orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The hash of what was sent (32 hex digits, `state::to_hex`), written
    /// by a sync run (`--sync`) so that the state can be rebuilt from the
    /// journal; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// When each lookup of this record ran since it was last sent (the last one found it)
    /// (bitbybit's search settles a record sent without an answer); absent
    /// in journals written before lookups were recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "ms_times")]
    pub lookups: Vec<DateTime<Utc>>,
}

/// A sync run (`--sync`) updated the platform's record `id` with what hashes
/// to `hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Updated {
    /// Record key.
    pub key: String,
    /// Record number in the input.
    pub record: u64,
    /// Line number in the input.
    pub line: u64,
    /// The platform's id of the updated record.
    pub id: String,
    /// The hash of what was sent (32 hex digits, `state::to_hex`).
    pub hash: String,
}

/// A sync run (`--sync`) found the record as it was last sent and sent
/// nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unchanged {
    /// Record key.
    pub key: String,
    /// Record number in the input.
    pub record: u64,
    /// Line number in the input.
    pub line: u64,
    /// The platform's id of the record, from the sync state.
    pub id: String,
}

/// The platform already held the record (a duplicate answer or a lookup).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exists {
    /// Record key.
    pub key: String,
    /// Record number in the input.
    pub record: u64,
    /// Line number in the input.
    pub line: u64,
    /// The platform's id of the existing record, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What said it exists, e.g. the platform's message.
    pub reason: String,
    /// When each lookup of this record ran since it was last sent (the last one found it)
    /// (bitbybit's search settles a record sent without an answer); absent
    /// in journals written before lookups were recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "ms_times")]
    pub lookups: Vec<DateTime<Utc>>,
}

/// Where a record was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// By storeload's own validation, before sending.
    Validate,
    /// By the platform's answer.
    Platform,
}

/// One reason a record was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// The field at fault (may be empty for whole-record reasons).
    pub field: String,
    /// A stable rule code.
    pub rule: String,
    /// A sentence a person can act on.
    pub message: String,
}

/// The record was refused and will not be sent again as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// Record key.
    pub key: String,
    /// Record number in the input.
    pub record: u64,
    /// Line number in the input.
    pub line: u64,
    /// Who refused it.
    pub stage: Stage,
    /// Why.
    pub reasons: Vec<Reason>,
    /// The record's normalised email, when it had one: a record refused by
    /// validation is keyed by its line, and an orders import must still
    /// find it by email (DECISIONS.md "Orders").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The record's phone, when it had one (as `email`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// Retryable failure after all retries; a resume sends it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failed {
    /// Record key.
    pub key: String,
    /// Record number in the input.
    pub record: u64,
    /// Line number in the input.
    pub line: u64,
    /// The last error, in a sentence.
    pub reason: String,
}

/// Explicitly left in doubt (e.g. a bitbybit order under `--in-doubt skip`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InDoubt {
    /// Record key.
    pub key: String,
    /// Record number in the input.
    pub record: u64,
    /// Line number in the input.
    pub line: u64,
    /// Why it is in doubt, in a sentence.
    pub reason: String,
    /// When each lookup of this record ran since it was last sent, none of them conclusive
    /// (bitbybit's search settles a record sent without an answer); absent
    /// in journals written before lookups were recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "ms_times")]
    pub lookups: Vec<DateTime<Utc>>,
}

/// A run finished; optional to readers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct End {
    /// When the run finished.
    #[serde(with = "ms_time")]
    pub at: DateTime<Utc>,
    /// The run's summary, as the caller serialised it.
    pub summary: serde_json::Value,
}

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Entry {
    /// Start of a run.
    Header(Header),
    /// A request is about to go out.
    Sent(Sent),
    /// Outcome: stored.
    Created(Created),
    /// Outcome: already there.
    Exists(Exists),
    /// Outcome: refused.
    Rejected(Rejected),
    /// Outcome: failed after retries (retryable).
    Failed(Failed),
    /// Outcome: explicitly in doubt.
    InDoubt(InDoubt),
    /// Outcome (sync): updated by id.
    Updated(Updated),
    /// Outcome (sync): unchanged since last sent, not sent.
    Unchanged(Unchanged),
    /// End of a run.
    End(End),
}

/// A string read from a journal line: borrowed from the line when it has no
/// escapes (the common case, no allocation), owned otherwise.
#[derive(Debug)]
pub(crate) struct LStr<'a>(pub(crate) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for LStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(LStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(LStr(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(LStr(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

impl std::ops::Deref for LStr<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// RFC 3339 timestamps written with millisecond precision in UTC (`Z`), read
/// in any RFC 3339 precision or offset.
pub(crate) mod ms_time {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    /// Writes `t` as e.g. `2024-05-01T12:00:00.123Z`.
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Millis, true))
    }

    /// Reads any RFC 3339 timestamp.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = super::LStr::deserialize(d)?;
        parse(&s.0).map_err(D::Error::custom)
    }

    /// Parses an RFC 3339 timestamp into UTC.
    pub fn parse(s: &str) -> Result<DateTime<Utc>, String> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| format!("invalid RFC 3339 time {s:?}: {e}"))
    }
}

/// A list of [`ms_time`] timestamps.
pub(crate) mod ms_times {
    use chrono::{DateTime, Utc};
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes each time as [`super::ms_time`] does.
    pub fn serialize<S: Serializer>(ts: &[DateTime<Utc>], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(ts.len()))?;
        for t in ts {
            seq.serialize_element(&Ms(t))?;
        }
        seq.end()
    }

    /// Reads a list of RFC 3339 timestamps.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<DateTime<Utc>>, D::Error> {
        #[derive(Deserialize)]
        struct Owned(#[serde(with = "super::ms_time")] DateTime<Utc>);
        Ok(Vec::<Owned>::deserialize(d)?
            .into_iter()
            .map(|o| o.0)
            .collect())
    }

    struct Ms<'a>(&'a DateTime<Utc>);

    impl serde::Serialize for Ms<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            super::ms_time::serialize(self.0, s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::test_support::*;
    use std::io::Write;

    #[test]
    fn every_entry_type_round_trips_through_one_json_line() {
        for entry in sample_entries() {
            let line = serde_json::to_string(&entry).unwrap();
            assert!(!line.contains('\n'), "one line: {line}");
            let back: Entry = serde_json::from_str(&line).unwrap();
            assert_eq!(back, entry, "{line}");
        }
    }

    #[test]
    fn entries_are_tagged_by_snake_case_type() {
        let tags: Vec<String> = sample_entries()
            .iter()
            .map(|e| {
                let v: serde_json::Value = serde_json::to_value(e).unwrap();
                v["type"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(
            tags,
            [
                "header",
                "sent",
                "created",
                "exists",
                "rejected",
                "failed",
                "in_doubt",
                "updated",
                "unchanged",
                "end"
            ]
        );
    }

    #[test]
    fn times_are_written_with_milliseconds_in_utc() {
        let line = serde_json::to_string(&Entry::Sent(Sent {
            batch: 17,
            at: at_ms(1_700_000_000_123),
            records: vec![],
            lookups: vec![],
        }))
        .unwrap();
        assert!(
            line.contains(r#""at":"2023-11-14T22:13:20.123Z""#),
            "{line}"
        );
    }

    #[test]
    fn times_with_an_offset_or_other_precision_are_read() {
        let s: Sent = serde_json::from_str(
            r#"{"batch":1,"at":"2023-11-14T23:13:20.1234+01:00","records":[]}"#,
        )
        .unwrap();
        assert_eq!(s.at.timestamp_millis(), 1_700_000_000_123);
    }

    #[test]
    fn absent_optional_ids_are_left_out_of_the_line() {
        let line = serde_json::to_string(&Entry::Exists(Exists {
            key: "a".into(),
            record: 1,
            line: 2,
            id: None,
            reason: "taken".into(),
            lookups: vec![],
        }))
        .unwrap();
        assert!(!line.contains("\"id\""), "{line}");
    }

    #[test]
    fn lookup_times_are_written_when_present_and_old_lines_without_them_read() {
        let entry = Entry::InDoubt(InDoubt {
            key: "a@x.com".into(),
            record: 1,
            line: 2,
            reason: "not found".into(),
            lookups: vec![at_ms(1_700_000_000_123), at_ms(1_700_000_060_456)],
        });
        let line = serde_json::to_string(&entry).unwrap();
        assert!(
            line.contains(r#""lookups":["2023-11-14T22:13:20.123Z","2023-11-14T22:14:20.456Z"]"#),
            "{line}"
        );
        assert_eq!(serde_json::from_str::<Entry>(&line).unwrap(), entry);
        let old = r#"{"type":"created","key":"a","record":1,"line":2,"id":"7"}"#;
        let Entry::Created(c) = serde_json::from_str::<Entry>(old).unwrap() else {
            panic!("a created line")
        };
        assert!(c.lookups.is_empty());
        let sent = serde_json::to_string(&Entry::Sent(Sent {
            batch: 1,
            at: at_ms(0),
            records: vec![],
            lookups: vec![],
        }))
        .unwrap();
        assert!(!sent.contains("lookups"), "{sent}");
    }

    #[test]
    fn fingerprint_is_the_streamed_sha256_and_size_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        let mut f = File::create(&path).unwrap();
        // Larger than the 1 MiB buffer, so the hash spans several reads.
        let chunk = vec![b'x'; 700_000];
        f.write_all(&chunk).unwrap();
        f.write_all(&chunk).unwrap();
        drop(f);
        let fp = fingerprint(&path).unwrap();
        assert_eq!(fp.size, 1_400_000);
        assert_eq!(
            fp.sha256,
            hex::encode(Sha256::digest(vec![b'x'; 1_400_000]))
        );
        assert_eq!(fp.path, path.to_string_lossy());
    }

    #[test]
    fn fingerprint_of_an_empty_file_is_the_empty_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty");
        File::create(&path).unwrap();
        let fp = fingerprint(&path).unwrap();
        assert_eq!(fp.size, 0);
        assert_eq!(
            fp.sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn fingerprint_of_a_missing_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = fingerprint(&dir.path().join("nope")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
