//! Fuzz target: the JSON reader with mapping, on any bytes (plain or
//! gzip-compressed): never a panic, records in order.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use storeload::read::Format;

fuzz_target!(|data: &[u8]| {
    common::read_and_map(data, Format::Json, "input.json");
});
