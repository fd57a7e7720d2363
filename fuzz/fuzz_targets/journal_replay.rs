//! Fuzz target: journal replay and the header scan on any bytes: never a
//! panic; a journal that replays gives counts and ids.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use storeload::journal;

fuzz_target!(|data: &[u8]| {
    let path = common::scratch("run.journal");
    std::fs::write(&path, data).expect("the scratch file is writable (temp dir)");
    let _ = journal::headers(&path);
    if let Ok(replay) = journal::replay(&path) {
        let _ = replay.counts();
        let _ = replay.latest_header();
        let _ = journal::ids(&replay).count();
    }
});
