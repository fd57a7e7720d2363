//! Files whose layout no preset knows: the header auto-mapper, through the
//! binary.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_storeload"))
}

fn sample() -> String {
    format!(
        "{}/tests/data/real/crm-unknown-layout.csv",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn validate_json(
    extra: &[&str],
    dir: &std::path::Path,
    name: &str,
) -> (Option<i32>, Value, String) {
    let report = dir.join(name);
    let mut args = vec!["validate", extra[0], "--to", "salesive", "--json"];
    let report_str = report.to_str().expect("utf-8 path").to_string();
    args.push(&report_str);
    args.extend(&extra[1..]);
    let out = Command::new(bin())
        .args(&args)
        .output()
        .expect("binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    eprintln!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json");
    (out.status.code(), json, stdout)
}

#[test]
fn auto_mapping_reads_a_layout_no_preset_knows_by_column_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = sample();
    let (code, json, stdout) = validate_json(&[&input], dir.path(), "a.json");
    assert_eq!(code, Some(0), "every row is valid for Salesive");
    assert!(
        stdout.contains("mapping: auto-mapped from the header's column names"),
        "{stdout}"
    );
    assert!(stdout.contains("email ← \"E-mail Address\""), "{stdout}");
    assert!(
        stdout.contains("phone ← \"Phone 1\""),
        "the first candidate wins: {stdout}"
    );
    assert!(
        stdout.contains("first_name, last_name ← split(\"Customer Name\")"),
        "{stdout}"
    );
    // Never by values: "Password" holds email-like text and stays unmapped.
    let unmapped: Vec<&str> = json["context"]["unmapped"]
        .as_array()
        .expect("unmapped list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(unmapped, vec!["Phone 2", "Password"]);
    // Salesive sends the full name as written: nothing to warn about.
    assert!(json["summary"]["by_rule"].get("name.split").is_none());
    // bitbybit sends first and last name: each split is a counted warning.
    let report = dir.path().join("b.json");
    let out = Command::new(bin())
        .args([
            "validate",
            &input,
            "--to",
            "bitbybit",
            "--json",
            report.to_str().expect("path"),
        ])
        .output()
        .expect("binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "warnings do not make a record invalid"
    );
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json");
    assert_eq!(json["summary"]["by_rule"]["name.split"]["count"], 3);
}

#[test]
fn a_header_with_no_name_email_or_phone_still_asks_for_a_mapping_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("odd.csv");
    std::fs::write(&input, "colour,size\nred,9\n").expect("write");
    let out = Command::new(bin())
        .args([
            "validate",
            input.to_str().expect("path"),
            "--to",
            "bitbybit",
        ])
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no preset matches") && stderr.contains("mapping file"),
        "{stderr}"
    );
}

#[test]
fn the_auto_mapping_written_by_storeload_mapping_gives_the_same_result_fed_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = sample();
    let out = Command::new(bin())
        .args(["mapping", &input])
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(0));
    let file = dir.path().join("mapping.toml");
    std::fs::write(&file, &out.stdout).expect("write");
    let (_, auto, _) = validate_json(&[&input], dir.path(), "auto.json");
    let (_, fed, _) = validate_json(
        &[&input, "--mapping", file.to_str().expect("path")],
        dir.path(),
        "fed.json",
    );
    assert_eq!(auto["summary"], fed["summary"]);
    assert_eq!(auto["violations"], fed["violations"]);
}
