//! dry_floor — the floor of a dry run on storeload's own reader and
//! pipeline (issue 18, target 2): reads a CSV file with `read::open` (the
//! dry run's reader: quotes, line numbers, row sizes, NUL bytes) and hands
//! every record through `validate::pipeline::run_stage` (the dry run's
//! reader thread, rayon workers and in-order stage) to a stage that only
//! checks the row's UTF-8 (with simdutf8, as the mapping does) and counts its non-empty fields: no mapping, no
//! rules, no duplicate check, no report. What the dry run costs beyond
//! this is the mapping and the checks.
//!
//! ```text
//! cargo run --release --example dry_floor -- FILE.csv
//! ```
//!
//! Prints the records read, the rows that are text and the non-empty
//! fields. Exit 0, or 2 with the error when the file cannot be opened.

use std::env;
use std::process::ExitCode;

use storeload::read::{self, RawBody, RawRecord, ReadOptions};
use storeload::validate::pipeline::{Stage, run_stage};

/// The allocator storeload's binary uses (src/main.rs): the floor is
/// measured on the same terms.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// The stage: a row's UTF-8 check and its non-empty fields, nothing else.
struct Floor;

impl Stage for Floor {
    type Unit = RawRecord;
    /// (the row is text, its non-empty fields)
    type Checked = (bool, u64);
    type Seen = ();

    fn chunk(&self) -> usize {
        // The customers' stage's chunk (validate::pipeline::CHUNK).
        2048
    }

    fn seen(&self) {}

    fn check(&self, raw: RawRecord) -> (bool, u64) {
        match &raw.body {
            // The dry run's own check (mapping::utf8::Utf8Row).
            RawBody::Csv(row) => match simdutf8::basic::from_utf8(row.as_slice()) {
                Ok(_) => (true, row.iter().filter(|f| !f.is_empty()).count() as u64),
                Err(_) => (false, 0),
            },
            _ => (false, 0),
        }
    }

    fn in_order(&self, _: &mut (), _: &mut (bool, u64)) {}
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let [path] = args.as_slice() else {
        eprintln!("usage: dry_floor FILE.csv");
        return ExitCode::from(2);
    };
    let input = match read::open(path, &ReadOptions::default()) {
        Ok(input) => input,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    let (mut text, mut fields) = (0u64, 0u64);
    let read = run_stage(input.records, &Floor, |(is_text, n)| {
        text += u64::from(is_text);
        fields += n;
        true
    });
    println!("{read} records, {text} of them text, {fields} non-empty fields");
    ExitCode::SUCCESS
}
