//! A sync run (`--sync --state FILE`, issue 17; DECISIONS.md "Nightly
//! sync"): the platform's update capability asked for (a platform without
//! one refuses `--sync`, exit 2), the state opened for the run's
//! destination, each valid record decided against it (create, update by
//! id, or unchanged), and at the end the state brought up to date from the
//! journal's outcomes alone and committed.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::CliError;
use crate::journal::{Destination, Entry};
use crate::mapping::Mapping;
use crate::model::Customer;
use crate::platform::{Blanks, Platform, Updates};
use crate::state::{Diff, KeyHash, Outcome, State};
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
    /// into `platform`.
    pub fn open(
        options: &SyncOptions,
        platform: &'static dyn Platform,
        destination: &Destination,
        mapping: &Mapping,
    ) -> Result<SyncRun, CliError> {
        let updates = updates_of(platform)?;
        let state = State::open(&options.state, destination)?;
        let clears = (!options.ignore_blank).then(|| clearable_fields(mapping));
        Ok(SyncRun {
            state: Arc::new(state),
            updates,
            clears,
        })
    }

    /// Another handle on the same run, for the reading side.
    pub fn share(&self) -> SyncRun {
        SyncRun {
            state: self.state.clone(),
            updates: self.updates,
            clears: self.clears.clone(),
        }
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
        let hash = self.updates.record_hash(customer, self.blanks());
        let id = match self.state.diff_hashed(KeyHash::of(key), &hash) {
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
