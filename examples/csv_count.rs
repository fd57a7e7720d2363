//! csv_count — the plain-parse baseline of benches/run.sh (issue 18): counts
//! a CSV file's records with the csv crate's own reader loop, one reused
//! `csv::ByteRecord`, as `qsv count` does on a file without an index. The
//! dry run is measured against this figure, on the same file, in the same
//! run.
//!
//! ```text
//! cargo run --release --example csv_count -- FILE.csv
//! ```
//!
//! Prints the number of records after the header. Rows of another length
//! than the header count too (`flexible`), as any record does: the baseline
//! parses, it does not judge. Exit 0, or 2 with `FILE: error` when the file
//! cannot be opened or read.

use std::env;
use std::process::ExitCode;

/// Counts the records of the CSV file at `path`, after its header.
fn count(path: &str) -> Result<u64, csv::Error> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(path)?;
    let mut record = csv::ByteRecord::new();
    let mut n = 0u64;
    while reader.read_byte_record(&mut record)? {
        n += 1;
    }
    Ok(n)
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let [path] = args.as_slice() else {
        eprintln!("usage: csv_count FILE.csv");
        return ExitCode::from(2);
    };
    match count(path) {
        Ok(n) => {
            println!("{n}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("csv_count: {path}: {e}");
            ExitCode::from(2)
        }
    }
}
