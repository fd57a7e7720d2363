//! One story per record: the same input gives the same counts in
//! `validate`, `import`, `status` and `rejects`, and a `--limit` caps one
//! run only.

mod support;

use std::path::Path;

use serde_json::Value;
use storeload::sandbox::SandboxConfig;
use support::{Sandbox, env_for, import_args, run};

/// A Magento export with a continuation row (a second address for the row
/// above), one duplicate customer and one invalid email: 6 rows, 5
/// customers, 3 valid.
const MAGENTO: &str = "\
email,firstname,lastname,_address_street,_address_city,_address_country_id,_address_postcode
ann@example.com,Ann,Lee,1 Main St,Boston,US,02134
,,,\"2 Side St\nFloor 3\",Boston,US,02135
bob@example.com,Bob,Ray,5 High St,London,GB,N1 9GU
ann@example.com,Ann,Lee,1 Main St,Boston,US,02134
cy@@example.com,Cy,Bad,7 Low St,Paris,FR,75001
dee@example.com,Dee,Fox,9 Elm St,Lyon,FR,69002
";

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn data_rows(path: &Path) -> usize {
    let mut reader = csv::Reader::from_path(path).expect("a rejects CSV");
    reader.records().count()
}

#[test]
fn invalid_rows_count_the_same_in_validate_import_status_and_rejects() {
    let sb = Sandbox::start(SandboxConfig::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("magento.csv");
    std::fs::write(&input, MAGENTO).expect("write input");
    let input = input.to_str().expect("UTF-8 path");
    let report = dir.path().join("report.json");
    let v_rejects = dir.path().join("validate-rejects.csv");
    let i_rejects = dir.path().join("import-rejects.csv");
    let r_rejects = dir.path().join("rejects.csv");
    let journal = dir.path().join("run.journal");
    let journal = journal.to_str().expect("UTF-8 path");
    let env = env_for("bigcommerce");

    let out = run(
        &[
            "validate",
            input,
            "--to",
            "bigcommerce",
            "--json",
            report.to_str().expect("UTF-8 path"),
            "--rejects",
            v_rejects.to_str().expect("UTF-8 path"),
            "--quiet",
        ],
        &env,
    );
    assert_eq!(out.status.code(), Some(1), "validate finds invalid rows");
    // Rows and customers are told apart where a row continues a customer.
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("rows read           6"), "{shown}");
    assert!(shown.contains("customers           5"), "{shown}");
    let v: Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report written")).expect("JSON");
    let invalid = v["summary"]["invalid"].as_u64().expect("summary.invalid");
    assert_eq!(invalid, 2, "the duplicate and the invalid email");
    assert_eq!(v["summary"]["valid"], 3);
    assert_eq!(v["summary"]["rows_read"], 6);
    assert_eq!(v["summary"]["records"], 5);
    let by_rule = &v["summary"]["by_rule"];
    assert_eq!(by_rule["email.duplicate_in_file"]["count"], 1);

    let base = sb.base_url("bigcommerce");
    let mut args = import_args(input, "bigcommerce", journal, &base);
    args.extend(["--rejects", i_rejects.to_str().expect("UTF-8 path")]);
    let out = run(&args, &env);
    assert_eq!(out.status.code(), Some(1), "import ends with rejected rows");

    let out = run(&["status", journal, "--json", "-"], &env);
    let status = json(&out);
    assert_eq!(status["counts"]["rejected"].as_u64(), Some(invalid));
    assert_eq!(status["counts"]["created"], 3);

    let out = run(
        &[
            "rejects",
            journal,
            "-o",
            r_rejects.to_str().expect("UTF-8 path"),
        ],
        &env,
    );
    // Exit 1: some records are not in the platform (its file lists them).
    assert_eq!(
        out.status.code(),
        Some(1),
        "rejects writes its file: {out:?}"
    );

    // One rejects row per invalid customer, whatever command wrote it.
    assert_eq!(data_rows(&v_rejects) as u64, invalid);
    assert_eq!(data_rows(&i_rejects) as u64, invalid);
    assert_eq!(data_rows(&r_rejects) as u64, invalid);

    // The duplicate is rejected for what it is, not "known from the journal",
    // also when the same journal runs the same input again.
    let out = run(&args, &env);
    assert_eq!(out.status.code(), Some(1));
    let outcomes = support::journal_lines(Path::new(journal));
    let dup = outcomes
        .iter()
        .filter(|l| l["type"] == "rejected")
        .flat_map(|l| l["reasons"].as_array().cloned().unwrap_or_default())
        .filter(|r| r["rule"] == "email.duplicate_in_file")
        .count();
    assert!(
        dup >= 1,
        "the duplicate is journaled as email.duplicate_in_file"
    );
    sb.assert_each_stored_once(
        "bigcommerce",
        &[
            "ann@example.com".to_string(),
            "bob@example.com".to_string(),
            "dee@example.com".to_string(),
        ],
    );
}

#[test]
fn resume_sends_the_rest_after_an_import_with_a_limit() {
    let rig = support::Rig::new("bigcommerce", 25, "lim");
    let mut args = rig.args();
    args.extend(["--limit", "10"]);
    let out = run(&args, &env_for("bigcommerce"));
    // Exit 1: records are left "not sent" by the cap.
    assert_eq!(out.status.code(), Some(1), "the canary run: {out:?}");
    assert_eq!(rig.sb.customers("bigcommerce").len(), 10, "--limit 10");

    // resume with --limit again: another canary of 5.
    let out = rig.resume(&["--limit", "5"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(rig.sb.customers("bigcommerce").len(), 15);

    // resume alone sends the rest: the limit capped those runs only.
    let out = rig.resume(&[]);
    assert!(out.status.success(), "{out:?}");
    rig.sb.assert_each_stored_once("bigcommerce", &rig.emails);
}
