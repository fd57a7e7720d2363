//! Fuzz target: the mapping-file parser (TOML → field ← source rules), then
//! binding the rules to the columns they name and rendering the mapping
//! back: never a panic, and a rendered mapping parses again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storeload::mapping::{Mapping, Origin, file};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((rules, _continuation)) = file::parse_file(text) else {
        return;
    };
    let mut columns: Vec<String> = Vec::new();
    for (_, source) in &rules {
        for c in source.columns() {
            if !columns.iter().any(|k| k == c) {
                columns.push(c.to_string());
            }
        }
    }
    let Ok(mapping) = Mapping::bind(
        Origin::File("fuzz.toml".into()),
        rules,
        false,
        Vec::new(),
        &columns,
        "fuzz.toml",
    ) else {
        return;
    };
    let rendered = file::render(&mapping);
    assert!(
        file::parse_file(&rendered).is_ok(),
        "a rendered mapping parses again:\n{rendered}"
    );
});
