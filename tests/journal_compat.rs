//! Journals written by an earlier storeload still resume: the files in
//! `tests/data/journals/` were written by the build before the run engine
//! left the command line (issue 16), with the run's options in the header
//! exactly as that build serialised them. Each was an import stopped by
//! `--limit`; resuming it must read its options (base URL, rate, limit
//! dropped, …), send the rest and write a new header whose options have
//! the very same JSON shape.
//!
//! The fixtures recorded the input's absolute path and the sandbox's URL
//! of the day they were written; the test puts its own in their place and
//! changes nothing else.

mod support;

use std::path::Path;

use serde_json::Value;
use storeload::sandbox::SandboxConfig;
use support::{Sandbox, env_for, journal_lines, journal_outcomes, run};

/// The input path the fixtures recorded.
const RECORDED_INPUT: &str = "/tmp/full16a/fx/customers.csv";
/// The sandbox root the fixtures recorded.
const RECORDED_ROOT: &str = "http://127.0.0.1:18766";

/// The emails of the fixture's input (`v1-customers.csv`), in order; its
/// seventh row has no email and is invalid.
fn fixture_emails() -> Vec<String> {
    (0..6).map(|i| format!("v1fix{i}@example.com")).collect()
}

/// The root (`http://127.0.0.1:PORT`) of a sandbox platform's base URL.
fn root_of(base_url: &str) -> &str {
    let after_scheme = base_url.find("//").map_or(0, |i| i + 2);
    match base_url[after_scheme..].find('/') {
        Some(i) => &base_url[..after_scheme + i],
        None => base_url,
    }
}

/// Copies the fixture `name` and its input into `dir`, pointing them at
/// this test's input path and sandbox; returns the journal's path.
fn place_fixture(name: &str, dir: &Path, sandbox_root: &str) -> std::path::PathBuf {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/journals");
    let input = dir.join("customers.csv");
    std::fs::copy(data.join("v1-customers.csv"), &input).expect("copy the fixture's input");
    let text = std::fs::read_to_string(data.join(name)).expect("read the fixture journal");
    assert!(
        text.contains(RECORDED_INPUT) && text.contains(RECORDED_ROOT),
        "the fixture records the input path and sandbox URL this test replaces"
    );
    let text = text
        .replace(
            RECORDED_INPUT,
            input.to_str().expect("a UTF-8 temporary path"),
        )
        .replace(RECORDED_ROOT, sandbox_root);
    let journal = dir.join(name);
    std::fs::write(&journal, text).expect("write the journal");
    journal
}

/// The `options` of every header line of the journal at `path`.
fn header_options(path: &Path) -> Vec<Value> {
    journal_lines(path)
        .into_iter()
        .filter(|v| v["type"] == "header")
        .map(|v| v["options"].clone())
        .collect()
}

/// Resumes the fixture `name` (an import into `platform` stopped by
/// `--limit`, with `sent` records already created) and checks the rest
/// is sent once and the new header keeps the old options' shape.
fn resume_old_journal(name: &str, platform: &'static str, already_created: usize) {
    let sb = Sandbox::start(SandboxConfig::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = place_fixture(name, dir.path(), root_of(&sb.base_url(platform)));
    let journal_arg = journal.to_str().expect("a UTF-8 temporary path");

    let out = run(&["resume", journal_arg, "--quiet"], &env_for(platform));
    // Exit 1: the input's one invalid row stays invalid.
    assert_eq!(out.status.code(), Some(1), "{out:?}");

    // The resume sent exactly the records the first run left unsent, to the
    // base URL its header recorded (the sandbox is empty otherwise).
    let emails = fixture_emails();
    sb.assert_each_stored_once(platform, &emails[already_created..]);
    support::assert_journal_agrees(&journal, &emails);
    let outcomes = journal_outcomes(&journal);
    assert_eq!(
        outcomes.get("invalid:3a5de434:8").map(String::as_str),
        Some("rejected")
    );

    // The resume's header holds the same options, in the same shape: only
    // the first run's `--limit`, which capped that run alone, is gone.
    let options = header_options(&journal);
    assert_eq!(options.len(), 2, "one header per run");
    let mut expected = options[0].clone();
    assert!(
        expected["send"]["limit"].is_u64(),
        "the first run had a limit"
    );
    expected["send"]["limit"] = Value::Null;
    assert_eq!(options[1], expected);
}

#[test]
fn a_bigcommerce_journal_written_before_the_run_module_resumes_with_its_options() {
    resume_old_journal("v1-bigcommerce-limit-3.journal", "bigcommerce", 3);
}

#[test]
fn a_bitbybit_journal_written_before_the_run_module_resumes_with_its_options() {
    resume_old_journal("v1-bitbybit-limit-2.journal", "bitbybit", 2);
}
