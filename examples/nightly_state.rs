//! nightly_state — the sync state a night-1 run of INPUT would leave
//! (issue 17's nightly bench, `benches/nightly.sh`), built through the
//! library without sending 100,000 requests: INPUT is read, mapped and
//! checked by the run's own pipeline (`validate::pipeline`, the input's
//! detected mapping, `--phone keep`, not strict), each valid record's key
//! is `model::record_key` and its hash is what `run::sync::SyncRun::decide`
//! computes for it (the same blank fields cleared unless `--ignore-blank`),
//! and each key is recorded as created under id FIRST_ID + its record
//! number. Keys the state already holds (say, from a real night-1 run of a
//! few rows into the sandbox) keep their id and hash. So a `--sync` run of
//! INPUT against STATE finds every record unchanged, and a run of INPUT
//! with some rows changed finds exactly those changed.
//!
//! ```text
//! cargo run --release --example nightly_state -- INPUT STATE \
//!     --base-url URL --store HASH [--first-id N] [--ignore-blank]
//! ```
//!
//! URL and HASH must be the run's destination (`--base-url`, and
//! `BIGCOMMERCE_STORE_HASH`): the state refuses any other. Prints the rows
//! read, the keys added and kept, and the time taken.

use std::path::{Path, PathBuf};
use std::time::Instant;

use storeload::journal::Destination;
use storeload::model::record_key;
use storeload::platform::PlatformId;
use storeload::read::DEFAULT_MAX_RECORD_BYTES;
use storeload::run::Source;
use storeload::run::sync::{Decision, SyncOptions, SyncRun};
use storeload::state::{Outcome, State};
use storeload::validate::pipeline::{self, CheckOptions};
use storeload::values::PhoneFormat;

const USAGE: &str =
    "usage: nightly_state INPUT STATE --base-url URL --store HASH [--first-id N] [--ignore-blank]
  INPUT           the night-1 input (CSV or JSONL), mapped as `storeload import` maps it
  STATE           the state file to write (created, or added to: keys it holds are kept)
  --base-url URL  the run's --base-url (the state's destination)
  --store HASH    the run's BIGCOMMERCE_STORE_HASH
  --first-id N    a record's id is N + its record number (default 1000000000)
  --ignore-blank  hash as a run with --ignore-blank does";

/// What the command line asked for.
struct Args {
    input: String,
    state: PathBuf,
    base_url: String,
    store: String,
    first_id: u64,
    ignore_blank: bool,
}

fn main() {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("nightly_state: {e}\n{USAGE}");
        std::process::exit(2)
    });
    if let Err(e) = build(&args) {
        eprintln!("nightly_state: {e}");
        std::process::exit(1);
    }
}

fn parse_args() -> Result<Args, String> {
    let mut positional = Vec::new();
    let (mut base_url, mut store, mut first_id, mut ignore_blank) =
        (None, None, 1_000_000_000u64, false);
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--base-url" => base_url = Some(it.next().ok_or("--base-url needs a URL")?),
            "--store" => store = Some(it.next().ok_or("--store needs a store hash")?),
            "--first-id" => {
                let n = it.next().ok_or("--first-id needs a number")?;
                first_id = n
                    .parse()
                    .map_err(|_| format!("--first-id '{n}': not a whole number"))?;
            }
            "--ignore-blank" => ignore_blank = true,
            _ if a.starts_with("--") => return Err(format!("unknown option '{a}'")),
            _ => positional.push(a),
        }
    }
    let [input, state] = <[String; 2]>::try_from(positional)
        .map_err(|p| format!("give INPUT and STATE ({} paths given)", p.len()))?;
    Ok(Args {
        input,
        state: PathBuf::from(state),
        base_url: base_url.ok_or("--base-url is required (the state's destination)")?,
        store: store.ok_or("--store is required (the state's destination)")?,
        first_id,
        ignore_blank,
    })
}

fn build(args: &Args) -> Result<(), String> {
    let start = Instant::now();
    let platform = PlatformId::Bigcommerce.platform();
    let destination = Destination {
        platform: PlatformId::Bigcommerce.as_str().to_string(),
        base_url: args.base_url.trim_end_matches('/').to_string(),
        store: Some(args.store.clone()),
    };
    // The run's defaults (`storeload import` without --format, --delimiter,
    // --preset, --mapping, --phone or --max-record-bytes).
    let source = Source {
        input: args.input.clone(),
        format: None,
        delimiter: None,
        preset: None,
        mapping: None,
        phone: PhoneFormat::Keep,
        max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
        encoding: storeload::read::Encoding::Utf8,
    };
    let (mut input, mapping) = source
        .open()
        .map_err(|e| format!("{}: {}", args.input, e.message))?;
    let records = std::mem::replace(&mut input.records, storeload::read::Records::empty());
    // The hashes come from a sync run on an empty scratch state (read-only,
    // as a plan's: never written): every record is new there, and `decide`
    // hands back the hash it would send.
    let scratch = tempfile::tempdir().map_err(|e| format!("a temporary folder: {e}"))?;
    let hasher = SyncRun::open(
        &SyncOptions {
            state: scratch.path().join("scratch.state"),
            ignore_blank: args.ignore_blank,
        },
        platform,
        &destination,
        &mapping,
        true,
    )
    .map_err(|e| format!("the scratch state: {}", e.message))?;
    let mut state = State::open(&args.state, &destination)
        .map_err(|e| format!("{}: {e}", args.state.display()))?;
    let (mut read, mut added, mut kept, mut invalid) = (0u64, 0u64, 0u64, 0u64);
    let mut failure: Option<String> = None;
    pipeline::run(
        records,
        &mapping,
        platform,
        CheckOptions::default(),
        |checked| {
            read += 1;
            let customer = match &checked.customer {
                Some(c) if checked.is_valid() => c,
                _ => {
                    invalid += 1;
                    return true;
                }
            };
            let key = record_key(customer);
            if state.get(&key).is_some() {
                kept += 1;
                return true;
            }
            let Decision::Send(work) = hasher.decide(&key, customer) else {
                failure = Some(format!(
                    "line {}: the scratch state called key {key} unchanged; it should be empty",
                    checked.raw.line
                ));
                return false;
            };
            let id = (args.first_id + checked.raw.number).to_string();
            let outcome = Outcome::Created {
                key: &key,
                id: &id,
                hash: work.hash,
            };
            match state.apply(&outcome) {
                Ok(_) => {
                    added += 1;
                    true
                }
                Err(e) => {
                    failure = Some(format!("line {}: {e}", checked.raw.line));
                    false
                }
            }
        },
    );
    if let Some(f) = failure {
        return Err(f);
    }
    let committed = commit(&mut state, &args.state)?;
    println!(
        "nightly_state: {read} rows read, {invalid} invalid (left out), {added} keys added, {kept} kept; state {} ({} keys, {:.1} MB) in {:.2} s",
        args.state.display(),
        state.len(),
        committed as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Commits and compacts `state` (one record per key, as a run's first
/// commit writes it); returns the file's size.
fn commit(state: &mut State, path: &Path) -> Result<u64, String> {
    state
        .commit()
        .and_then(|()| state.compact())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| format!("{}: {e}", path.display()))
}
