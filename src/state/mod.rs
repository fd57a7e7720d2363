//! The sync state (`--state FILE`, issue 17): for one destination, each
//! record key's platform id and the hash of the record as last sent, so
//! that a nightly load creates the new, updates the changed and leaves the
//! unchanged alone (DECISIONS.md "Nightly sync").
//!
//! # How a run uses this
//! 1. [`State::open`] the file with the run's [`Destination`] (platform,
//!    base URL, store hash). Another destination's file is refused (exit
//!    2, naming both); a missing file is an empty state, written at the
//!    first commit. A dry run uses [`State::read_only`].
//! 2. For each valid mapped record, compute its hash with the platform's
//!    `Updates::record_hash` (the canonical JSON of exactly what an update
//!    would carry) and ask [`State::diff`]: [`Diff::New`] (no id: look it
//!    up by email, batched; found → [`Outcome::Exists`] with its id, then
//!    update it; not found → create it), [`Diff::Changed`] (update by id)
//!    or [`Diff::Unchanged`] (journal `unchanged`, send nothing). The plan
//!    counts these before the first request.
//! 3. As each outcome is journaled (created, exists with an id, updated,
//!    unchanged), [`State::apply`] it with the hash that was sent, and
//!    [`State::commit`] every so often and at the end of the run: a commit
//!    appends one sealed frame and syncs it. The journal lines for
//!    `created` and `updated` should carry the hash (hex, [`to_hex`]) so
//!    that a resume can rebuild what was not committed: [`Outcome::from_entry`]
//!    reads today's `created` and `exists` lines; a created line without a
//!    hash records the id with [`NEVER_SENT`], which makes the next run
//!    update that customer once.
//! 4. After a crash (kill -9) the file holds the state of the last commit:
//!    old or new, never a mix. Either way the next plan is right: an
//!    update the state does not know of is sent again (updates are
//!    idempotent), and a customer created but not recorded is found by the
//!    email lookup of step 2 and updated once. Nothing is ever deleted.
//!
//! # Storage, and why
//! An append-only log of fixed-size records with compaction (`file.rs`),
//! loaded whole into a table keyed by a 16-byte hash of the key
//! ([`KeyHash`]; `table.rs`), rather than SQLite:
//! - **Speed.** A run needs every key at once (the diff touches each input
//!   row), so the state is read whole anyway. A record is 40 bytes (key
//!   hash, record hash, integer id); a million keys are 40 MB read
//!   sequentially and inserted into a pre-sized open-addressing table of
//!   the same 40-byte slots, with no allocation per key (53 MB; a lookup is
//!   one cache miss): see `examples/state_bench.rs`. An
//!   embedded database would add its page decoding and row conversion to
//!   the same map-building, for lookups we never make one at a time.
//! - **Crash safety** from two simple moves: a commit appends one frame
//!   sealed by a digest and syncs it (a frame cut short is ignored, so the
//!   state is the last commit's); creating or compacting writes a new file
//!   beside the old and renames it over (atomic). There is no in-place
//!   update to get wrong.
//! - **No new dependency** (SHA-256 and tempfile are already used), no C build, and a format written down in 20 lines.
//! - **Compaction** rewrites the file when it holds more than twice as many
//!   records as keys (plus a margin), so a year of nightly updates does not
//!   grow it without bound.
//!
//! Ids are stored as unsigned 64-bit integers (BigCommerce's customer ids);
//! a platform with text ids would need a new format version. A second
//! process is kept out by an advisory lock on `FILE.lock` beside the state.

mod error;
mod file;
mod hash;
mod table;

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

pub use error::StateError;
pub use file::VERSION;
pub use hash::{KeyHash, NEVER_SENT, RecordHash, digest16, from_hex, to_hex};

use crate::journal::{Destination, Entry};
use file::Record;
use table::Table;

/// What the state knows of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    /// The platform's id.
    pub id: u64,
    /// The hash of the record as last sent ([`NEVER_SENT`] when unknown).
    pub hash: RecordHash,
}

/// What a run should do with one record, by the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Diff {
    /// The state has no id for the key: look it up by email, then update
    /// it (found) or create it (not found).
    New,
    /// The record differs from what was last sent: update the customer `id`.
    Changed {
        /// The platform's id.
        id: u64,
    },
    /// The record is what was last sent: send nothing.
    Unchanged {
        /// The platform's id.
        id: u64,
    },
}

/// A journaled outcome, as the state takes it: one per `created`,
/// `exists`, `updated` or `unchanged` journal line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// Created under `id`, the store holding what hashes to `hash`.
    Created {
        /// The record key.
        key: &'a str,
        /// The platform's id.
        id: &'a str,
        /// The hash of what was sent.
        hash: RecordHash,
    },
    /// Already in the store under `id` (a lookup or a duplicate answer):
    /// the id is recorded, what the store holds is not known.
    Exists {
        /// The record key.
        key: &'a str,
        /// The platform's id.
        id: &'a str,
    },
    /// Updated: the store now holds what hashes to `hash`.
    Updated {
        /// The record key.
        key: &'a str,
        /// The platform's id.
        id: &'a str,
        /// The hash of what was sent.
        hash: RecordHash,
    },
    /// Not sent, being unchanged: the state already says so.
    Unchanged {
        /// The record key.
        key: &'a str,
    },
}

impl<'a> Outcome<'a> {
    /// The outcome of a journal line: `created` (with the `hash` sent: the
    /// caller's, else the line's own), `exists` with an id, `updated` and
    /// `unchanged`. Other lines (and `exists` without an id) tell the state
    /// nothing: `None`. A hash that is not 32 hex digits counts as absent
    /// (the next run updates that customer once).
    pub fn from_entry(entry: &'a Entry, hash: Option<RecordHash>) -> Option<Outcome<'a>> {
        let line_hash = |h: &Option<String>| h.as_deref().and_then(from_hex);
        match entry {
            Entry::Updated(u) => Some(Outcome::Updated {
                key: &u.key,
                id: &u.id,
                hash: hash.or_else(|| from_hex(&u.hash)).unwrap_or(NEVER_SENT),
            }),
            Entry::Unchanged(u) => Some(Outcome::Unchanged { key: &u.key }),
            Entry::Created(c) => Some(match hash.or_else(|| line_hash(&c.hash)) {
                Some(hash) => Outcome::Created {
                    key: &c.key,
                    id: &c.id,
                    hash,
                },
                None => Outcome::Exists {
                    key: &c.key,
                    id: &c.id,
                },
            }),
            Entry::Exists(e) => {
                e.id.as_deref()
                    .map(|id| Outcome::Exists { key: &e.key, id })
            }
            _ => None,
        }
    }
}

/// The sync state of one destination: loaded whole, changed by
/// [`State::apply`], made durable by [`State::commit`].
#[derive(Debug)]
pub struct State {
    /// The state file.
    path: PathBuf,
    /// Where its records were sent.
    destination: Destination,
    /// Every key's id and hash.
    map: Table,
    /// Applied since the last commit, in order.
    pending: Vec<Record>,
    /// The file, open for appending; `None` until it exists, or read-only.
    file: Option<File>,
    /// Where the next commit writes (the end of the last whole frame).
    end: u64,
    /// Records in the file, replaced ones included.
    records_in_file: u64,
    /// Bytes an unfinished write left at the end when it was opened.
    torn_bytes: u64,
    /// The advisory lock, held while the state is open for writing.
    _lock: Option<File>,
    /// Whether commits are refused.
    read_only: bool,
}

/// Compaction rewrites the file once it holds more than twice as many
/// records as keys plus this margin.
const COMPACT_MARGIN: u64 = 65_536;

impl State {
    /// Opens the state at `path` for a run that sends to `destination`,
    /// taking its lock: an empty state when the file does not exist (it is
    /// created at the first commit), refused when it belongs to another
    /// destination or another run holds it.
    pub fn open(path: &Path, destination: &Destination) -> Result<State, StateError> {
        // A write-protected file is refused before anything is created
        // beside it (its permission bits, not the open: root may write it).
        if std::fs::metadata(path).is_ok_and(|m| m.permissions().readonly()) {
            return Err(StateError::WriteProtected {
                path: path.to_path_buf(),
            });
        }
        let lock = take_lock(path)?;
        let mut state = State::load(path, destination, false)?;
        state._lock = Some(lock);
        Ok(state)
    }

    /// Reads the state at `path` without taking its lock or ever writing it
    /// (a dry run's plan, `--plan`): nothing is created beside it, and a
    /// write-protected file is read as any other; `commit` is refused.
    pub fn read_only(path: &Path, destination: &Destination) -> Result<State, StateError> {
        State::load(path, destination, true)
    }

    fn load(path: &Path, destination: &Destination, read_only: bool) -> Result<State, StateError> {
        let mut state = State {
            path: path.to_path_buf(),
            destination: destination.clone(),
            map: Table::default(),
            pending: Vec::new(),
            file: None,
            end: 0,
            records_in_file: 0,
            torn_bytes: 0,
            _lock: None,
            read_only,
        };
        let file = match if read_only {
            File::open(path)
        } else {
            OpenOptions::new().read(true).write(true).open(path)
        } {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(state),
            Err(e) => return Err(StateError::io(path, "reading", e)),
        };
        // The file's size bounds its records: sized once, not by doubling
        // (and fitted to the keys once read, replaced records aside).
        let len = file
            .metadata()
            .map_err(|e| StateError::io(path, "reading", e))?
            .len();
        state.map =
            Table::with_capacity(usize::try_from(len / file::RECORD_BYTES as u64).unwrap_or(0));
        let map = &mut state.map;
        let scan = file::scan(path, &file, |r| {
            map.insert(
                r.key,
                Known {
                    id: r.id,
                    hash: r.hash,
                },
            );
        })?;
        if !same_destination(&scan.destination, destination) {
            return Err(StateError::OtherDestination {
                path: path.to_path_buf(),
                recorded: Box::new(scan.destination),
                requested: Box::new(destination.clone()),
            });
        }
        state.map.fit();
        state.end = scan.valid_len;
        state.records_in_file = scan.records;
        state.torn_bytes = scan.torn_bytes;
        if !read_only {
            state.file = Some(file);
        }
        Ok(state)
    }

    /// The state file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the state's records were sent.
    pub fn destination(&self) -> &Destination {
        &self.destination
    }

    /// Keys with an id.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no key has an id (a first night, or a new state file).
    pub fn is_empty(&self) -> bool {
        self.map.len() == 0
    }

    /// Bytes an interrupted write had left at the end of the file when it
    /// was opened, ignored (the next commit overwrites them); a run may
    /// mention it.
    pub fn torn_bytes(&self) -> u64 {
        self.torn_bytes
    }

    /// Outcomes applied since the last commit.
    pub fn uncommitted(&self) -> usize {
        self.pending.len()
    }

    /// What the state knows of `key`.
    pub fn get(&self, key: &str) -> Option<Known> {
        self.map.get(&KeyHash::of(key)).copied()
    }

    /// What to do with a record whose key is `key` and whose update body
    /// hashes to `hash`.
    pub fn diff(&self, key: &str, hash: &RecordHash) -> Diff {
        self.diff_hashed(KeyHash::of(key), hash)
    }

    /// [`State::diff`] for a key already hashed (e.g. on a worker thread).
    pub fn diff_hashed(&self, key: KeyHash, hash: &RecordHash) -> Diff {
        match self.map.get(&key) {
            None => Diff::New,
            Some(k) if k.hash == *hash => Diff::Unchanged { id: k.id },
            Some(k) => Diff::Changed { id: k.id },
        }
    }

    /// Takes one journaled outcome into the state (in memory until
    /// [`State::commit`]). Applying the same outcome twice changes nothing,
    /// so a resume may apply a journal's outcomes again. Returns whether
    /// the state changed.
    pub fn apply(&mut self, outcome: &Outcome<'_>) -> Result<bool, StateError> {
        let (key, id, hash) = match *outcome {
            Outcome::Created { key, id, hash } | Outcome::Updated { key, id, hash } => {
                (key, id, hash)
            }
            Outcome::Exists { key, id } => {
                let known = self.get(key);
                // The same id again keeps the hash last sent: an `exists`
                // answer says nothing about what the store holds, but a
                // lookup of a customer we sent is no reason to resend it.
                if let Some(k) = known
                    && k.id.to_string() == id.trim()
                {
                    return Ok(false);
                }
                (key, id, NEVER_SENT)
            }
            Outcome::Unchanged { .. } => return Ok(false),
        };
        let id: u64 = id.trim().parse().map_err(|_| StateError::BadId {
            key: key.to_string(),
            id: id.to_string(),
        })?;
        let record = Record {
            key: KeyHash::of(key),
            hash,
            id,
        };
        let known = Known { id, hash };
        if self.map.insert(record.key, known) == Some(known) {
            return Ok(false);
        }
        self.pending.push(record);
        Ok(true)
    }

    /// Makes every applied outcome durable: appends them as one sealed frame
    /// and syncs it (creating the file, atomically, on the first commit),
    /// then compacts the file when it has grown to more than twice its
    /// keys. When it returns `Ok`, a crash keeps them; before, a crash
    /// keeps the state of the previous commit.
    pub fn commit(&mut self) -> Result<(), StateError> {
        if self.read_only {
            return Err(StateError::ReadOnly {
                path: self.path.clone(),
            });
        }
        if self.pending.is_empty() && self.file.is_some() {
            return Ok(());
        }
        match self.file.as_mut() {
            None => {
                // First commit: the whole file, through a rename.
                self.rewrite()?;
            }
            Some(file) => {
                let mut frame = Vec::new();
                file::encode_frame(&self.pending, &mut frame);
                file::append(&self.path, file, self.end, &frame)?;
                self.end += frame.len() as u64;
                self.records_in_file += self.pending.len() as u64;
                self.pending.clear();
                self.torn_bytes = 0;
                if self.records_in_file > 2 * self.map.len() as u64 + COMPACT_MARGIN {
                    self.rewrite()?;
                }
            }
        }
        Ok(())
    }

    /// Rewrites the file with one record per key, through a rename: the
    /// first commit, and compaction. Applied outcomes are in the map, so
    /// this commits them too.
    pub fn compact(&mut self) -> Result<(), StateError> {
        if self.read_only {
            return Err(StateError::ReadOnly {
                path: self.path.clone(),
            });
        }
        self.rewrite()
    }

    fn rewrite(&mut self) -> Result<(), StateError> {
        let records = self.map.iter().map(|(key, k)| Record {
            key,
            hash: k.hash,
            id: k.id,
        });
        let len = file::write_whole(&self.path, &self.destination, records)?;
        self.file = Some(file::open_rw(&self.path)?);
        self.end = len;
        self.records_in_file = self.map.len() as u64;
        self.pending.clear();
        self.torn_bytes = 0;
        Ok(())
    }
}

/// Whether two destinations are one: the same platform, base URL (a
/// trailing `/` aside) and store.
fn same_destination(a: &Destination, b: &Destination) -> bool {
    a.platform == b.platform
        && a.base_url.trim_end_matches('/') == b.base_url.trim_end_matches('/')
        && a.store == b.store
}

/// The lock beside the state file (`FILE.lock`), taken without waiting.
fn take_lock(path: &Path) -> Result<File, StateError> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    let lock_path = file::folder(path).join(name);
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| StateError::io(&lock_path, "creating the lock of", e))?;
    match lock.try_lock() {
        Ok(()) => Ok(lock),
        Err(std::fs::TryLockError::WouldBlock) => Err(StateError::Locked {
            path: path.to_path_buf(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(StateError::io(&lock_path, "locking", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CliError;
    use std::io::Write;

    fn dest(store: &str) -> Destination {
        Destination {
            platform: "bigcommerce".into(),
            base_url: format!("https://api.bigcommerce.com/stores/{store}/v3"),
            store: Some(store.into()),
        }
    }

    fn h(n: u8) -> RecordHash {
        [n; 16]
    }

    #[test]
    fn a_missing_file_is_an_empty_state_written_at_the_first_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.state");
        let mut s = State::open(&path, &dest("abc")).unwrap();
        assert!(s.is_empty());
        assert!(!path.exists(), "opening writes nothing");
        assert_eq!(s.diff("ann@example.com", &h(1)), Diff::New);
        s.apply(&Outcome::Created {
            key: "ann@example.com",
            id: "7",
            hash: h(1),
        })
        .unwrap();
        s.commit().unwrap();
        drop(s);
        let s = State::open(&path, &dest("abc")).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s.diff("ann@example.com", &h(1)), Diff::Unchanged { id: 7 });
        assert_eq!(s.diff("ann@example.com", &h(2)), Diff::Changed { id: 7 });
        assert_eq!(s.diff("bob@example.com", &h(1)), Diff::New);
    }

    #[test]
    fn each_outcome_kind_changes_the_state_as_its_line_says() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = State::open(&dir.path().join("s"), &dest("abc")).unwrap();
        let key = "a@x.com";
        // Found by lookup: the id is known, what the store holds is not.
        assert!(s.apply(&Outcome::Exists { key, id: "12" }).unwrap());
        assert_eq!(
            s.get(key),
            Some(Known {
                id: 12,
                hash: NEVER_SENT
            })
        );
        assert_eq!(s.diff(key, &h(3)), Diff::Changed { id: 12 });
        assert!(
            s.apply(&Outcome::Updated {
                key,
                id: "12",
                hash: h(3)
            })
            .unwrap()
        );
        assert_eq!(s.diff(key, &h(3)), Diff::Unchanged { id: 12 });
        // Unchanged, a repeated update and a lookup finding the same id
        // again change nothing.
        assert!(!s.apply(&Outcome::Unchanged { key }).unwrap());
        assert!(
            !s.apply(&Outcome::Updated {
                key,
                id: "12",
                hash: h(3)
            })
            .unwrap()
        );
        assert!(!s.apply(&Outcome::Exists { key, id: "12" }).unwrap());
        assert_eq!(s.diff(key, &h(3)), Diff::Unchanged { id: 12 });
        assert_eq!(s.uncommitted(), 2);
        // Another id for the key (the customer was re-created): its hash
        // is unknown again.
        assert!(s.apply(&Outcome::Exists { key, id: "13" }).unwrap());
        assert_eq!(s.diff(key, &h(3)), Diff::Changed { id: 13 });
    }

    #[test]
    fn outcomes_are_read_from_sync_lines_with_their_hash() {
        use crate::journal::{Created, Unchanged, Updated};
        let updated = Entry::Updated(Updated {
            key: "a@x.com".into(),
            record: 1,
            line: 2,
            id: "5".into(),
            hash: to_hex(&h(9)),
        });
        assert_eq!(
            Outcome::from_entry(&updated, None),
            Some(Outcome::Updated {
                key: "a@x.com",
                id: "5",
                hash: h(9)
            })
        );
        let unchanged = Entry::Unchanged(Unchanged {
            key: "a@x.com".into(),
            record: 1,
            line: 2,
            id: "5".into(),
        });
        assert_eq!(
            Outcome::from_entry(&unchanged, None),
            Some(Outcome::Unchanged { key: "a@x.com" })
        );
        let created = Entry::Created(Created {
            key: "b@x.com".into(),
            record: 3,
            line: 4,
            id: "6".into(),
            email: None,
            phone: None,
            hash: Some(to_hex(&h(8))),
            lookups: vec![],
        });
        assert_eq!(
            Outcome::from_entry(&created, None),
            Some(Outcome::Created {
                key: "b@x.com",
                id: "6",
                hash: h(8)
            })
        );
    }

    #[test]
    fn an_id_that_is_not_an_integer_is_refused_naming_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = State::open(&dir.path().join("s"), &dest("abc")).unwrap();
        let err = s
            .apply(&Outcome::Created {
                key: "a@x.com",
                id: "7.5",
                hash: h(1),
            })
            .unwrap_err();
        assert!(matches!(&err, StateError::BadId { key, id } if key == "a@x.com" && id == "7.5"));
        assert!(err.to_string().contains("\"7.5\""), "{err}");
        assert!(s.is_empty());
    }

    #[test]
    fn outcomes_are_read_from_todays_created_and_exists_lines() {
        use crate::journal::{Created, Exists};
        let created = Entry::Created(Created {
            key: "a@x.com".into(),
            record: 1,
            line: 2,
            id: "5".into(),
            email: None,
            phone: None,
            hash: None,
            lookups: vec![],
        });
        assert_eq!(
            Outcome::from_entry(&created, Some(h(4))),
            Some(Outcome::Created {
                key: "a@x.com",
                id: "5",
                hash: h(4)
            })
        );
        assert_eq!(
            Outcome::from_entry(&created, None),
            Some(Outcome::Exists {
                key: "a@x.com",
                id: "5"
            })
        );
        let mut exists = Exists {
            key: "b@x.com".into(),
            record: 2,
            line: 3,
            id: Some("9".into()),
            reason: "in use".into(),
            lookups: vec![],
        };
        assert_eq!(
            Outcome::from_entry(&Entry::Exists(exists.clone()), None),
            Some(Outcome::Exists {
                key: "b@x.com",
                id: "9"
            })
        );
        exists.id = None;
        assert_eq!(Outcome::from_entry(&Entry::Exists(exists), None), None);
    }

    #[test]
    fn another_destinations_state_is_refused_naming_both() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let mut s = State::open(&path, &dest("abc")).unwrap();
        s.apply(&Outcome::Created {
            key: "a@x.com",
            id: "1",
            hash: h(1),
        })
        .unwrap();
        s.commit().unwrap();
        drop(s);
        let err = State::open(&path, &dest("xyz")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("stores/abc/v3 (store abc)"), "{text}");
        assert!(text.contains("stores/xyz/v3 (store xyz)"), "{text}");
        assert_eq!(CliError::from(err).exit, crate::error::Exit::Usage);
        // A trailing slash is the same base URL.
        let mut slash = dest("abc");
        slash.base_url.push('/');
        assert_eq!(State::read_only(&path, &slash).unwrap().len(), 1);
        let mut other_platform = dest("abc");
        other_platform.platform = "salesive".into();
        assert!(matches!(
            State::read_only(&path, &other_platform),
            Err(StateError::OtherDestination { .. })
        ));
    }

    #[test]
    fn a_second_run_on_the_same_state_is_refused_while_the_first_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let first = State::open(&path, &dest("abc")).unwrap();
        let err = State::open(&path, &dest("abc")).unwrap_err();
        assert!(matches!(err, StateError::Locked { .. }), "{err}");
        assert_eq!(err.exit(), crate::error::Exit::Stopped);
        // A dry run may still read it.
        assert!(State::read_only(&path, &dest("abc")).is_ok());
        drop(first);
        assert!(State::open(&path, &dest("abc")).is_ok());
    }

    #[test]
    fn a_read_only_state_refuses_to_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let mut s = State::read_only(&path, &dest("abc")).unwrap();
        s.apply(&Outcome::Created {
            key: "a@x.com",
            id: "1",
            hash: h(1),
        })
        .unwrap();
        assert!(matches!(s.commit(), Err(StateError::ReadOnly { .. })));
        assert!(!path.exists());
    }

    #[test]
    fn what_is_not_a_state_file_is_refused_as_damaged() {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in [
            ("short", b"storeload".to_vec()),
            ("csv", b"email,first_name\nann@example.com,Ann\n".to_vec()),
            ("empty", Vec::new()),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, &bytes).unwrap();
            let err = State::open(&path, &dest("abc")).unwrap_err();
            assert!(matches!(err, StateError::Damaged { .. }), "{name}: {err}");
            assert!(
                err.to_string().starts_with(&path.display().to_string()),
                "{err}"
            );
            assert_eq!(err.exit(), crate::error::Exit::Usage);
        }
        // A header whose destination was changed by hand fails its digest.
        let path = dir.path().join("edited");
        let mut s = State::open(&path, &dest("abc")).unwrap();
        s.compact().unwrap();
        drop(s);
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes.windows(3).position(|w| w == b"abc").unwrap();
        bytes[at..at + 3].copy_from_slice(b"xyz");
        std::fs::write(&path, &bytes).unwrap();
        let err = State::open(&path, &dest("xyz")).unwrap_err();
        assert!(err.to_string().contains("digest"), "{err}");
        // A newer format is named as such.
        let mut bytes = file::encode_header(&dest("abc"));
        bytes[16] = 9;
        let path = dir.path().join("newer");
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(
            State::open(&path, &dest("abc")),
            Err(StateError::NewerVersion { version: 9, .. })
        ));
    }

    /// A state file with keys 0..n committed, then `extra` uncommitted.
    fn committed(path: &Path, n: u64) -> State {
        let mut s = State::open(path, &dest("abc")).unwrap();
        for i in 0..n {
            let key = format!("c{i}@x.com");
            s.apply(&Outcome::Created {
                key: &key,
                id: &i.to_string(),
                hash: h(1),
            })
            .unwrap();
        }
        s.commit().unwrap();
        s
    }

    #[test]
    fn a_commit_cut_short_at_any_byte_leaves_the_previous_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let mut s = committed(&path, 3);
        let before = std::fs::read(&path).unwrap();
        // The second commit: one update and one new key.
        s.apply(&Outcome::Updated {
            key: "c1@x.com",
            id: "1",
            hash: h(2),
        })
        .unwrap();
        s.apply(&Outcome::Created {
            key: "new@x.com",
            id: "99",
            hash: h(2),
        })
        .unwrap();
        s.commit().unwrap();
        drop(s);
        let after = std::fs::read(&path).unwrap();
        assert!(after.starts_with(&before) && after.len() > before.len());
        // A kill -9 during the append leaves any prefix of it (or, on some
        // file systems, zeros where the data did not reach the disk).
        for cut in before.len()..after.len() {
            for zeros in [false, true] {
                let mut bytes = after[..cut].to_vec();
                if zeros {
                    bytes.resize(after.len(), 0);
                }
                std::fs::write(&path, &bytes).unwrap();
                let mut s = State::open(&path, &dest("abc")).unwrap();
                assert_eq!(s.len(), 3, "cut at {cut}");
                assert_eq!(s.diff("c1@x.com", &h(1)), Diff::Unchanged { id: 1 });
                assert_eq!(s.diff("new@x.com", &h(2)), Diff::New);
                assert_eq!(s.torn_bytes(), (bytes.len() - before.len()) as u64);
                // The next commit overwrites the unfinished one.
                s.apply(&Outcome::Updated {
                    key: "c2@x.com",
                    id: "2",
                    hash: h(5),
                })
                .unwrap();
                s.commit().unwrap();
                drop(s);
                let s = State::open(&path, &dest("abc")).unwrap();
                assert_eq!(s.diff("c2@x.com", &h(5)), Diff::Unchanged { id: 2 });
                assert_eq!(s.torn_bytes(), 0);
            }
        }
        // The whole append: the new state.
        std::fs::write(&path, &after).unwrap();
        let s = State::open(&path, &dest("abc")).unwrap();
        assert_eq!(s.len(), 4);
        assert_eq!(s.diff("c1@x.com", &h(2)), Diff::Unchanged { id: 1 });
    }

    #[test]
    fn a_damaged_last_frame_is_ignored_like_an_unfinished_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let mut s = committed(&path, 2);
        s.apply(&Outcome::Updated {
            key: "c0@x.com",
            id: "0",
            hash: h(7),
        })
        .unwrap();
        s.commit().unwrap();
        drop(s);
        let mut bytes = std::fs::read(&path).unwrap();
        let n = bytes.len();
        bytes[n - 20] ^= 0xff; // inside the last record
        std::fs::write(&path, &bytes).unwrap();
        let s = State::open(&path, &dest("abc")).unwrap();
        assert_eq!(s.diff("c0@x.com", &h(1)), Diff::Unchanged { id: 0 });
    }

    #[test]
    fn the_first_commit_creates_the_file_through_a_rename_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let _s = committed(&path, 2);
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["s", "s.lock"]);
    }

    #[test]
    fn compaction_keeps_one_record_per_key_and_the_latest_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let mut s = committed(&path, 10);
        let hash_of = |round: u64| {
            let mut out = [0u8; 16];
            out[..8].copy_from_slice(&(round + 1).to_le_bytes());
            out
        };
        // Enough updates to pass the compaction threshold, in commits of
        // 5,000 records.
        let rounds = COMPACT_MARGIN / 10 + 1_000;
        let mut compacted = false;
        for round in 0..rounds {
            for i in 0..10u64 {
                let key = format!("c{i}@x.com");
                s.apply(&Outcome::Updated {
                    key: &key,
                    id: &i.to_string(),
                    hash: hash_of(round),
                })
                .unwrap();
            }
            if round % 500 == 499 || round == rounds - 1 {
                let before = s.records_in_file;
                s.commit().unwrap();
                compacted |= s.records_in_file < before;
            }
        }
        assert!(compacted, "the file was never compacted");
        assert!(s.records_in_file <= 2 * 10 + COMPACT_MARGIN);
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(
            size <= (2 * 10 + COMPACT_MARGIN) * file::RECORD_BYTES as u64 + 4096,
            "{size}"
        );
        drop(s);
        let s = State::open(&path, &dest("abc")).unwrap();
        assert_eq!(s.len(), 10);
        for i in 0..10 {
            assert_eq!(
                s.diff(&format!("c{i}@x.com"), &hash_of(rounds - 1)),
                Diff::Unchanged { id: i }
            );
        }
    }

    #[test]
    fn a_large_state_spans_frames_and_reads_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let n = file::FRAME_RECORDS as u64 * 2 + 5;
        let mut s = committed(&path, n);
        s.compact().unwrap();
        drop(s);
        let s = State::open(&path, &dest("abc")).unwrap();
        assert_eq!(s.len() as u64, n);
        assert_eq!(
            s.diff(&format!("c{}@x.com", n - 1), &h(1)),
            Diff::Unchanged { id: n - 1 }
        );
    }

    #[test]
    fn bytes_appended_by_hand_after_the_frames_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        drop(committed(&path, 2));
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"SLF1\xff\xff\xff\xffjunk").unwrap();
        drop(f);
        let s = State::open(&path, &dest("abc")).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s.torn_bytes(), 12);
    }
}
