//! state_bench — the sync state's figures (issue 17): builds a state of N
//! keys (default 1,000,000) for BigCommerce, then, in a fresh process so
//! that its peak RSS is its own, loads it and diffs N mapped customers of
//! which 1 % changed (a city), as a nightly `--sync` run does before its
//! first request.
//!
//! ```text
//! cargo run --release --example state_bench [-- N]
//! ```
//!
//! Prints the time to build and write the state, its size, the time to
//! load it, the time to hash and diff the rows (on rayon, as the pipeline
//! maps them: chunks of 10,000 customers made, hashed and diffed; making
//! the customers is not counted), load + diff (the time to the first
//! request), the counts (which must be N × 1 % changed, the rest
//! unchanged) and the load-and-diff process's peak RSS (VmHWM).

use std::path::Path;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use storeload::journal::Destination;
use storeload::model::{Address, Customer};
use storeload::platform::{Blanks, PlatformId, Updates};
use storeload::state::{Diff, KeyHash, Outcome, State};

/// Customers made, hashed and diffed at once.
const CHUNK: usize = 10_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--load-and-diff") {
        let (Some(path), Some(n)) = (args.get(2), args.get(3).and_then(|n| n.parse().ok())) else {
            eprintln!("usage: state_bench --load-and-diff PATH N");
            std::process::exit(2);
        };
        load_and_diff(Path::new(path), n);
        return;
    }
    let n: usize = match args.get(1).map(|n| n.parse()) {
        None => 1_000_000,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("usage: state_bench [N]   (N: keys, default 1000000)");
            std::process::exit(2);
        }
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail("a temporary folder", e));
    let path = dir.path().join("bench.state");
    build(&path, n);
    let exe = std::env::current_exe().unwrap_or_else(|e| fail("this program's path", e));
    let status = std::process::Command::new(exe)
        .arg("--load-and-diff")
        .arg(&path)
        .arg(n.to_string())
        .status()
        .unwrap_or_else(|e| fail("the load-and-diff process", e));
    std::process::exit(status.code().unwrap_or(1));
}

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("state_bench: {what}: {e}");
    std::process::exit(1)
}

fn destination() -> Destination {
    Destination {
        platform: "bigcommerce".into(),
        base_url: "https://api.bigcommerce.com/stores/bench/v3".into(),
        store: Some("bench".into()),
    }
}

fn updates() -> &'static dyn Updates {
    match PlatformId::Bigcommerce.platform().updates() {
        Some(u) => u,
        None => fail("BigCommerce", "takes no updates"),
    }
}

/// Customer `i` of the nightly file; `changed` moves it to another city.
fn customer(i: usize, changed: bool) -> Customer {
    Customer {
        email: Some(format!("user{i}@example{}.com", i % 97).into()),
        first_name: Some("Ann".into()),
        last_name: Some(format!("Lee{}", i % 1000).into()),
        company: i.is_multiple_of(3).then(|| "Acme Trading Co".into()),
        phone: Some(format!("+1 555 {:07}", i % 10_000_000).into()),
        addresses: vec![Address {
            first_name: Some("Ann".into()),
            last_name: Some(format!("Lee{}", i % 1000).into()),
            address1: Some(format!("{i} Main Street").into()),
            city: Some(if changed { "San Diego" } else { "Los Angeles" }.into()),
            province_code: Some("CA".into()),
            country_code: Some("US".into()),
            zip: Some("90001".into()),
            ..Address::default()
        }],
        ..Customer::default()
    }
}

/// Keys and record hashes of customers `range`, on rayon.
fn hashes(range: std::ops::Range<usize>, changed: bool) -> (Vec<(KeyHash, [u8; 16])>, Duration) {
    let made: Vec<Customer> = range
        .into_par_iter()
        .map(|i| customer(i, changed && i.is_multiple_of(100)))
        .collect();
    let start = Instant::now();
    let hashed = made
        .par_iter()
        .map(|c| {
            (
                KeyHash::of(c.email.as_deref().unwrap_or_default()),
                updates().record_hash(c, Blanks::Keep),
            )
        })
        .collect();
    (hashed, start.elapsed())
}

fn build(path: &Path, n: usize) {
    let start = Instant::now();
    let mut state = State::open(path, &destination()).unwrap_or_else(|e| fail("the state", e));
    for from in (0..n).step_by(CHUNK) {
        let made: Vec<Customer> = (from..(from + CHUNK).min(n))
            .into_par_iter()
            .map(|i| customer(i, false))
            .collect();
        let hashes: Vec<[u8; 16]> = made
            .par_iter()
            .map(|c| updates().record_hash(c, Blanks::Keep))
            .collect();
        for (i, (c, hash)) in made.iter().zip(hashes).enumerate() {
            let id = (from + i + 1).to_string();
            let key = c.email.as_deref().unwrap_or_default();
            state
                .apply(&Outcome::Created { key, id: &id, hash })
                .unwrap_or_else(|e| fail("applying", e));
        }
    }
    state.commit().unwrap_or_else(|e| fail("committing", e));
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    println!(
        "build: {n} keys applied and committed in {:.2} s; file {:.1} MB",
        start.elapsed().as_secs_f64(),
        size as f64 / 1e6
    );
}

fn load_and_diff(path: &Path, n: usize) {
    let start = Instant::now();
    let state = State::open(path, &destination()).unwrap_or_else(|e| fail("the state", e));
    let load = start.elapsed();
    println!(
        "load: {} keys in {:.3} s (peak RSS so far {} MB)",
        state.len(),
        load.as_secs_f64(),
        peak_rss_mb()
    );
    let mut work = Duration::ZERO;
    let (mut new, mut changed, mut unchanged) = (0usize, 0usize, 0usize);
    for from in (0..n).step_by(CHUNK) {
        let (hashed, hashing) = hashes(from..(from + CHUNK).min(n), true);
        let start = Instant::now();
        let diffs: Vec<Diff> = hashed
            .par_iter()
            .map(|(key, hash)| state.diff_hashed(*key, hash))
            .collect();
        for d in diffs {
            match d {
                Diff::New => new += 1,
                Diff::Changed { .. } => changed += 1,
                Diff::Unchanged { .. } => unchanged += 1,
            }
        }
        work += hashing + start.elapsed();
    }
    println!(
        "diff: {n} rows hashed and diffed in {:.3} s ({:.0} rows/s): {changed} changed, {unchanged} unchanged, {new} new",
        work.as_secs_f64(),
        n as f64 / work.as_secs_f64().max(1e-9)
    );
    println!(
        "load + diff (time to the first request): {:.3} s; peak RSS {} MB",
        (load + work).as_secs_f64(),
        peak_rss_mb()
    );
    if changed != n.div_ceil(100) || new != 0 || changed + unchanged != n {
        fail("the counts", "are not 1 % changed and the rest unchanged");
    }
}

/// The process's peak resident set (VmHWM) in MB; 0 where /proc has none.
fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}
