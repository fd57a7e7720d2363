//! A sync run (`--sync --state FILE`, issue 17; DECISIONS.md "Nightly
//! sync"): the platform's update capability asked for (a platform without
//! one refuses `--sync`, exit 2), the state opened for the run's
//! destination, each valid record decided against it (create, update by
//! id, or unchanged), and at the end the state brought up to date from the
//! journal's outcomes alone and committed.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::error::CliError;
use crate::journal::{Destination, Entry};
use crate::mapping::Mapping;
use crate::model::{Customer, record_key};
use crate::platform::{Blanks, Platform, Updates};
use crate::read::RawRecord;
use crate::state::{Diff, KeyHash, Outcome, RecordHash, State};
use crate::validate::pipeline::{self, Checked};
use crate::validate::unique::SeenKeys;
use crate::writer::SyncWork;

/// The sync options a run's plan records (`--sync`, `--state`,
/// `--ignore-blank`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncOptions {
    /// The state file, absolute.
    pub state: PathBuf,
    /// `--ignore-blank`: a blank cell leaves the store's value as it is.
    #[serde(default)]
    pub ignore_blank: bool,
}

/// The canonical fields an update may clear when the input maps them and
/// leaves them blank (the names `Blanks::clears` is asked about).
const CLEARABLE: &[&str] = &[
    "company",
    "phone",
    "notes",
    "tax_exempt_category",
    "channel_ids",
    "address.company",
    "address.address2",
    "address.phone",
    "address.zip",
    "address.province",
    "address.province_code",
];

/// What a sync run does with one valid record.
#[derive(Debug, Clone)]
pub enum Decision {
    /// Send it: created when `SyncWork::id` is `None`, else updated by id.
    Send(SyncWork),
    /// Unchanged since last sent: journaled, not sent.
    Unchanged {
        /// The platform's id, from the state.
        id: u64,
    },
}

/// A sync run's state and how it hashes records.
pub struct SyncRun {
    /// The state, shared with the reading side while the run sends.
    state: Arc<State>,
    /// The platform's update endpoints.
    updates: &'static dyn Updates,
    /// The fields a blank clears; `None` under `--ignore-blank`.
    clears: Option<Arc<[&'static str]>>,
    /// Valid records checked by [`SyncStage`] that carry attribute values,
    /// which no update sends (the plan says so: [`SyncRun::attribute_note`]).
    with_attributes: Arc<AtomicU64>,
}

/// The platform's update capability, or the refusal of `--sync` (exit 2).
pub fn updates_of(platform: &'static dyn Platform) -> Result<&'static dyn Updates, CliError> {
    platform.updates().ok_or_else(|| {
        CliError::usage(format!(
            "--sync: {} has no documented endpoint to update a customer, so a sync load cannot keep it in step; import without --sync (new customers are created, existing ones answer \"already there\")",
            platform.display_name()
        ))
    })
}

impl SyncRun {
    /// Opens the state of `options` for `destination` (another
    /// destination's state is refused, exit 2), for a run of `mapping`
    /// into `platform`: for writing, locked, unless `plan_only` (`--plan`
    /// sends nothing, so it neither creates, locks nor changes the file).
    pub fn open(
        options: &SyncOptions,
        platform: &'static dyn Platform,
        destination: &Destination,
        mapping: &Mapping,
        plan_only: bool,
    ) -> Result<SyncRun, CliError> {
        let updates = updates_of(platform)?;
        let state = if plan_only {
            State::read_only(&options.state, destination)?
        } else {
            State::open(&options.state, destination)?
        };
        let clears = (!options.ignore_blank).then(|| clearable_fields(mapping));
        Ok(SyncRun {
            state: Arc::new(state),
            updates,
            clears,
            with_attributes: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Another handle on the same run, for the reading side.
    pub fn share(&self) -> SyncRun {
        SyncRun {
            state: self.state.clone(),
            updates: self.updates,
            clears: self.clears.clone(),
            with_attributes: self.with_attributes.clone(),
        }
    }

    /// The plan's sentence on attribute values, when records checked so
    /// far carry any: the record hash covers what an update sends, and no
    /// update sends attributes (their endpoint is outside our specs), so a
    /// changed value would otherwise go unsent without a word.
    pub fn attribute_note(&self) -> Option<String> {
        let n = self.with_attributes.load(Ordering::Relaxed);
        (n > 0).then(|| {
            format!(
                "plan: sync: attribute values ({n} {} some) are sent when a customer is created, but --sync does not update them on existing customers (no documented update endpoint), so a changed value is not sent\n",
                if n == 1 { "record carries" } else { "records carry" }
            )
        })
    }

    /// What blank fields do in this run.
    fn blanks(&self) -> Blanks<'_> {
        match &self.clears {
            None => Blanks::Keep,
            Some(fields) => Blanks::Clear(fields),
        }
    }

    /// What to do with the valid record `customer` journaled under `key`.
    pub fn decide(&self, key: &str, customer: &Customer) -> Decision {
        self.decide_hashed(KeyHash::of(key), self.record_hash(customer))
    }

    /// The hash of what an update of `customer` carries in this run.
    fn record_hash(&self, customer: &Customer) -> RecordHash {
        self.updates.record_hash(customer, self.blanks())
    }

    /// [`SyncRun::decide`] for a key and a record already hashed.
    fn decide_hashed(&self, key: KeyHash, hash: RecordHash) -> Decision {
        let id = match self.state.diff_hashed(key, &hash) {
            Diff::Unchanged { id } => return Decision::Unchanged { id },
            Diff::Changed { id } => Some(id),
            Diff::New => None,
        };
        Decision::Send(SyncWork {
            hash,
            id,
            clears: self.clears.clone(),
        })
    }

    /// Brings the state up to date from every outcome the journal at
    /// `journal` holds (created, exists with an id, updated, unchanged), in
    /// order, and commits it: the state changes only from journaled
    /// outcomes, so a resume (or the next run) is right whatever happened
    /// before. Returns how many keys changed. Every other handle (the
    /// reading side's) must be gone.
    pub fn commit(self, journal: &Path) -> Result<usize, CliError> {
        let Ok(mut state) = Arc::try_unwrap(self.state) else {
            return Err(CliError::stopped(
                "the sync state is still in use by the reading side; it was not updated (the next run's plan is still right: it sends again what it cannot tell was sent)",
            ));
        };
        let file = std::fs::File::open(journal).map_err(|e| {
            CliError::stopped(format!(
                "journal {}: cannot be read to update the sync state ({e}); the state is unchanged and the next run sends again what it cannot tell was sent",
                journal.display()
            ))
        })?;
        let mut changed = 0;
        for line in std::io::BufReader::new(file).lines() {
            let Ok(line) = line else { break };
            // A torn last line (a crash mid-write) is no outcome.
            let Ok(entry) = serde_json::from_str::<Entry>(&line) else {
                continue;
            };
            if let Some(outcome) = Outcome::from_entry(&entry, None)
                && state.apply(&outcome)?
            {
                changed += 1;
            }
        }
        state.commit()?;
        Ok(changed)
    }
}

/// The customers' pipeline stage of a sync run: each record mapped and
/// checked as [`pipeline::Customers`] does it, then, on the same rayon
/// worker, its journal key and record hash (two SHA-256s and a JSON body:
/// most of what a sync run adds to a dry run, better spread over the
/// workers than done in input order on the thread that takes them); its
/// diff against the state is read in the in-order stage, a chunk's records
/// one after the other, so that the processor overlaps their reads of a
/// table of a million keys, one cache miss each, rather than waiting for
/// each alone between two records' checks.
pub(super) struct SyncStage<'a> {
    /// The customers' own stage.
    pub(super) customers: pipeline::Customers<'a>,
    /// The run's state and how it hashes records.
    pub(super) sync: &'a SyncRun,
}

/// A record checked by [`SyncStage`]: the record, and for a record valid
/// when mapped, its journal key and what the state says to do with it.
pub(super) struct SyncChecked {
    /// The record as the customers' stage checked it.
    pub(super) checked: Checked,
    /// Its journal key, key hash and record hash, when valid as mapped.
    hashed: Option<(String, KeyHash, RecordHash)>,
    /// Its decision, once the in-order stage found it valid.
    decision: Option<Decision>,
}

impl SyncChecked {
    /// The decision for the record, when it is valid.
    pub(super) fn into_parts(self) -> (Checked, Option<Decision>) {
        (self.checked, self.decision)
    }

    /// Its journal key, when it is valid.
    pub(super) fn journal_key(&self) -> Option<String> {
        self.hashed
            .as_ref()
            .filter(|_| self.checked.is_valid())
            .map(|(key, _, _)| key.clone())
    }

    /// What the state says to do with it, once the in-order stage decided.
    pub(super) fn decided(&self) -> Option<&Decision> {
        self.decision.as_ref()
    }
}

impl pipeline::Stage for SyncStage<'_> {
    type Unit = RawRecord;
    type Checked = SyncChecked;
    type Seen = SeenKeys;

    fn chunk(&self) -> usize {
        self.customers.chunk()
    }

    fn seen(&self) -> SeenKeys {
        self.customers.seen()
    }

    fn check(&self, raw: RawRecord) -> SyncChecked {
        let checked = self.customers.check(raw);
        let hashed = checked
            .customer
            .as_deref()
            .filter(|_| checked.is_valid())
            .map(|c| {
                if !c.attributes.is_empty() {
                    self.sync.with_attributes.fetch_add(1, Ordering::Relaxed);
                }
                let key = record_key(c);
                let key_hash = KeyHash::of(&key);
                (key, key_hash, self.sync.record_hash(c))
            });
        SyncChecked {
            checked,
            hashed,
            decision: None,
        }
    }

    fn in_order(&self, seen: &mut SeenKeys, c: &mut SyncChecked) {
        self.customers.in_order(seen, &mut c.checked);
        if c.checked.is_valid()
            && let Some((_, key, hash)) = &c.hashed
        {
            c.decision = Some(self.sync.decide_hashed(*key, *hash));
        }
    }
}

/// The clearable fields the input maps (an address block's field counts as
/// the address field).
fn clearable_fields(mapping: &Mapping) -> Arc<[&'static str]> {
    let mapped: Vec<String> = mapping
        .rules
        .iter()
        .map(|(f, _)| canonical(&f.name()))
        .collect();
    CLEARABLE
        .iter()
        .copied()
        .filter(|c| mapped.iter().any(|m| m == c))
        .collect()
}

/// `address.N.field` as `address.field`; other names as they are.
fn canonical(name: &str) -> String {
    match name
        .strip_prefix("address.")
        .and_then(|r| r.split_once('.'))
    {
        Some((n, field)) if n.chars().all(|c| c.is_ascii_digit()) => format!("address.{field}"),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::PlatformId;

    /// Maps and checks `csv` through the sync stage against a state where
    /// a@x.com is unchanged and b@x.com changed; returns each record's key
    /// and decision beside what `decide` says for it.
    #[test]
    fn the_sync_stage_decides_on_the_workers_as_decide_does_and_not_for_a_duplicate() {
        use crate::run::source::Source;
        use crate::state::Outcome;
        use crate::validate::pipeline::{CheckOptions, Customers, run_stage};
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.csv");
        std::fs::write(
            &input,
            "email,first_name,last_name,city,address1,country_code\n\
             a@x.com,Ann,Lee,Oslo,1 Main St,NO\n\
             b@x.com,Bob,Ray,Rome,2 Main St,IT\n\
             c@x.com,Cy,Poe,Nice,3 Main St,FR\n\
             a@x.com,Ann,Again,Oslo,1 Main St,NO\n",
        )
        .unwrap();
        let source = Source {
            input: input.display().to_string(),
            format: None,
            delimiter: None,
            preset: None,
            mapping: None,
            phone: crate::values::PhoneFormat::Keep,
            max_record_bytes: crate::read::DEFAULT_MAX_RECORD_BYTES,
            encoding: crate::read::Encoding::Utf8,
        };
        let (mut opened, mapping) = source.open().unwrap();
        let records = std::mem::replace(&mut opened.records, crate::read::Records::empty());
        let platform = PlatformId::Bigcommerce.platform();
        let destination = Destination {
            platform: "bigcommerce".into(),
            base_url: "http://127.0.0.1:1/stores/abc/v3".into(),
            store: Some("abc".into()),
        };
        let options = |state: &Path| SyncOptions {
            state: state.to_path_buf(),
            ignore_blank: false,
        };
        let state_path = dir.path().join("s.state");
        // The hashes a first night would record, from an empty state.
        let empty = SyncRun::open(
            &options(&state_path),
            platform,
            &destination,
            &mapping,
            true,
        )
        .unwrap();
        let customers = Customers {
            mapping: &mapping,
            platform,
            options: CheckOptions::default(),
        };
        let mut night1: Vec<(String, Option<Decision>)> = Vec::new();
        let stage = SyncStage {
            customers,
            sync: &empty,
        };
        run_stage(records, &stage, |c| {
            night1.push((c.journal_key().unwrap_or_default(), c.into_parts().1));
            true
        });
        let mut state = State::open(&state_path, &destination).unwrap();
        for (key, id, hash) in [("a@x.com", "1", 0), ("b@x.com", "2", 1)] {
            let hash = match (&night1[hash].1, key) {
                (Some(Decision::Send(w)), "a@x.com") => w.hash,
                _ => [7; 16],
            };
            state.apply(&Outcome::Created { key, id, hash }).unwrap();
        }
        state.commit().unwrap();
        drop(state);
        let (mut again, _) = source.open().unwrap();
        let sync = SyncRun::open(
            &options(&state_path),
            platform,
            &destination,
            &mapping,
            true,
        )
        .unwrap();
        let stage = SyncStage {
            customers,
            sync: &sync,
        };
        let mut got = Vec::new();
        run_stage(
            std::mem::replace(&mut again.records, crate::read::Records::empty()),
            &stage,
            |c| {
                let key = c.journal_key();
                let want = key.as_ref().map(|k| {
                    let customer = c.checked.customer.as_ref().unwrap();
                    format!("{:?}", sync.decide(k, customer))
                });
                let (_, decision) = c.into_parts();
                got.push((key, decision.map(|d| format!("{d:?}")), want));
                true
            },
        );
        assert_eq!(got.len(), 4);
        for (key, decision, want) in &got[..3] {
            assert_eq!(decision, want, "{key:?}");
        }
        assert!(
            got[0]
                .1
                .as_deref()
                .unwrap()
                .starts_with("Unchanged { id: 1 }")
        );
        assert!(got[1].1.as_deref().unwrap().contains("id: Some(2)"));
        assert!(got[2].1.as_deref().unwrap().contains("id: None"));
        // The second a@x.com is a duplicate: invalid, no decision.
        assert_eq!((&got[3].0, &got[3].1), (&None, &None));
    }

    #[test]
    fn an_address_block_field_counts_as_the_address_field() {
        assert_eq!(canonical("address.2.address2"), "address.address2");
        assert_eq!(canonical("address.zip"), "address.zip");
        assert_eq!(canonical("company"), "company");
    }

    #[test]
    fn a_platform_without_updates_refuses_sync_with_exit_2() {
        let err = match updates_of(PlatformId::Salesive.platform()) {
            Err(e) => e,
            Ok(_) => panic!("salesive has no update endpoint"),
        };
        assert_eq!(err.exit, crate::error::Exit::Usage);
        assert!(err.message.contains("--sync"), "{}", err.message);
        assert!(updates_of(PlatformId::Bigcommerce.platform()).is_ok());
    }
}
