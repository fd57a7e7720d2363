//! What the reader targets share: the input written to a scratch file of
//! this process (the readers open paths, and a path lets `open` run the
//! checks it runs on files), opened through `SourceArgs::open` as a command
//! opens it (format, mapping chosen from the header), every record mapped,
//! and the reader's invariants checked.

#![allow(dead_code)] // Each target uses part of this module.

use std::path::PathBuf;

use storeload::cmd::common::SourceArgs;
use storeload::findings::Findings;
use storeload::read::Format;
use storeload::values::PhoneFormat;

/// The record size limit the targets read with: small, so that inputs over
/// it are within the fuzzer's reach.
const MAX_RECORD_BYTES: usize = 4096;

/// This process's scratch file for `name` (e.g. `input.csv`).
pub fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("storeload-fuzz-{}-{name}", std::process::id()))
}

/// Reads `data` as `format`, maps every record, and checks that record
/// numbers rise (continuation rows, folded into the record above, skip
/// theirs) on lines that never go back, each within the input.
pub fn read_and_map(data: &[u8], format: Format, name: &str) {
    let path = scratch(name);
    std::fs::write(&path, data).expect("the scratch file is writable (temp dir)");
    let args = SourceArgs {
        input: path.display().to_string(),
        format: Some(format),
        delimiter: None,
        preset: None,
        mapping: None,
        phone: PhoneFormat::Keep,
        max_record_bytes: MAX_RECORD_BYTES,
        // UTF-8; an input opening with UTF-16's byte-order mark is decoded
        // whatever this says, so both paths are fuzzed.
        encoding: Default::default(),
    };
    // A refused input (exit 2) is a fine answer; a panic is not.
    let Ok((input, mapping)) = args.open() else {
        return;
    };
    let lines = 1 + memchr_count(data) as u64;
    let (mut last_number, mut last_line) = (0, 0);
    for raw in input.records {
        assert!(
            raw.number > last_number,
            "record {} after {last_number}",
            raw.number
        );
        last_number = raw.number;
        assert!(
            raw.line >= last_line,
            "line {} after line {last_line}",
            raw.line
        );
        assert!(raw.line <= lines + 1, "line {} of {lines}", raw.line);
        last_line = raw.line;
        let mut f = Findings::new(raw.number, raw.line);
        let _ = mapping.map(&raw, &mut f);
    }
}

fn memchr_count(data: &[u8]) -> usize {
    // CR alone also ends a line in CSV: count both, an upper bound.
    data.iter().filter(|&&b| b == b'\n' || b == b'\r').count()
}
