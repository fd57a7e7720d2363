//! The rejects round trip works any number of times (issue 14): a rejects
//! file fed back and rejected again carries one `_line`, `_stage` and
//! `_errors` set, the old ones replaced, and `_line` names the line in the
//! file being read. Three rounds each through `validate --rejects`, and
//! through `import` + `storeload rejects JOURNAL -o` against the sandbox.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use storeload::sandbox::SandboxConfig;
use support::{Sandbox, env_for, import_args, run};

/// A valid customer, one with an invalid email whose row spans two lines
/// (a quoted line break in its name), and one without a last name.
const INPUT: &str = "\
email,first_name,last_name
ann@example.com,Ann,Lee
bad at example.com,\"Bo\nB\",Ray
cy@example.com,Cy,
";

/// The rejects file's header and rows, as read back.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{} is a CSV: {e}", path.display()));
    let header = r
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = r
        .records()
        .map(|rec| rec.expect("a row").iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// The line each data row of a CSV file starts on (line 1 is the header).
fn start_lines(path: &Path) -> Vec<u64> {
    let mut r = csv::Reader::from_path(path).expect("a CSV");
    r.records()
        .map(|rec| rec.expect("a row").position().expect("a position").line())
        .collect()
}

fn column<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    let i = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("column {name} in {header:?}"));
    &row[i]
}

/// Asserts `file`, written from `read`, has the input's columns plus
/// `added` once each, two rows (the two invalid customers), each `_line`
/// naming the row's line in `read`, and errors of this round only.
#[track_caller]
fn assert_round(read: &Path, file: &Path, added: &[&str]) {
    let (header, rows) = read_csv(file);
    let mut want: Vec<&str> = vec!["email", "first_name", "last_name"];
    want.extend(added);
    assert_eq!(header, want, "{}", file.display());
    assert_eq!(rows.len(), 2, "{}: {rows:?}", file.display());
    let lines: Vec<u64> = start_lines(read)
        .into_iter()
        .zip(read_csv(read).1)
        .filter(|(_, row)| row[0] != "ann@example.com")
        .map(|(line, _)| line)
        .collect();
    for (row, line) in rows.iter().zip(&lines) {
        assert_eq!(
            column(&header, row, "_line"),
            line.to_string(),
            "{}",
            file.display()
        );
        let errors = column(&header, row, "_errors");
        let rules = ["email.invalid", "last_name.required"]
            .iter()
            .map(|r| errors.matches(r).count())
            .sum::<usize>();
        assert_eq!(rules, 1, "one violation, no earlier round's: {errors}");
    }
    assert!(column(&header, &rows[0], "_errors").starts_with("email.invalid: "));
    assert_eq!(
        rows[0][1], "Bo\nB",
        "the multi-line value goes round intact"
    );
    assert!(column(&header, &rows[1], "_errors").starts_with("last_name.required: "));
}

#[test]
fn validate_rejects_go_round_three_times_with_one_line_and_errors_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut read: PathBuf = dir.path().join("customers.csv");
    std::fs::write(&read, INPUT).expect("write input");
    let env = env_for("bigcommerce");
    for round in 1..=3 {
        let out_path = dir.path().join(format!("rejects-{round}.csv"));
        let out = run(
            &[
                "validate",
                read.to_str().expect("UTF-8 path"),
                "--to",
                "bigcommerce",
                "--rejects",
                out_path.to_str().expect("UTF-8 path"),
                "--quiet",
            ],
            &env,
        );
        assert_eq!(out.status.code(), Some(1), "round {round}: {out:?}");
        assert_round(&read, &out_path, &["_line", "_errors"]);
        read = out_path;
    }
}

#[test]
fn validate_rejects_of_jsonl_go_round_three_times_with_one_set_of_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut read: PathBuf = dir.path().join("customers.jsonl");
    std::fs::write(
        &read,
        "{\"email\":\"ann@example.com\",\"first_name\":\"Ann\",\"last_name\":\"Lee\"}\n\
         {\"email\":\"bad at example.com\",\"first_name\":\"Bo\",\"last_name\":\"Ray\"}\n",
    )
    .expect("write input");
    let env = env_for("bigcommerce");
    for round in 1..=3 {
        let out_path = dir.path().join(format!("rejects-{round}.jsonl"));
        let out = run(
            &[
                "validate",
                read.to_str().expect("UTF-8 path"),
                "--to",
                "bigcommerce",
                "--rejects",
                out_path.to_str().expect("UTF-8 path"),
                "--quiet",
            ],
            &env,
        );
        assert_eq!(out.status.code(), Some(1), "round {round}: {out:?}");
        let text = std::fs::read_to_string(&out_path).expect("rejects written");
        let rows: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        assert_eq!(rows.len(), 1, "{text}");
        let want_line = if round == 1 { 2 } else { 1 };
        assert_eq!(rows[0]["_line"], want_line, "{text}");
        let errors = rows[0]["_errors"].as_str().expect("_errors is text");
        assert_eq!(errors.matches("email.invalid").count(), 1, "{errors}");
        assert!(rows[0].get("_stage").is_none(), "{text}");
        read = out_path;
    }
}

#[test]
fn import_rejects_go_round_three_times_with_one_line_stage_and_errors_column() {
    let sb = Sandbox::start(SandboxConfig::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let mut read: PathBuf = dir.path().join("customers.csv");
    std::fs::write(&read, INPUT).expect("write input");
    let env = env_for("bigcommerce");
    let base = sb.base_url("bigcommerce");
    for round in 1..=3 {
        let journal = dir.path().join(format!("run-{round}.journal"));
        let journal = journal.to_str().expect("UTF-8 path");
        let import_rejects = dir.path().join(format!("import-rejects-{round}.csv"));
        let mut args = import_args(
            read.to_str().expect("UTF-8 path"),
            "bigcommerce",
            journal,
            &base,
        );
        args.extend(["--rejects", import_rejects.to_str().expect("UTF-8 path")]);
        let out = run(&args, &env);
        assert_eq!(out.status.code(), Some(1), "round {round}: {out:?}");
        assert_round(&read, &import_rejects, &["_line", "_stage", "_errors"]);

        let out_path = dir.path().join(format!("rejects-{round}.csv"));
        let out = run(
            &[
                "rejects",
                journal,
                "-o",
                out_path.to_str().expect("UTF-8 path"),
            ],
            &env,
        );
        assert_eq!(out.status.code(), Some(1), "round {round}: {out:?}");
        assert_round(&read, &out_path, &["_line", "_stage", "_errors"]);
        let (header, rows) = read_csv(&out_path);
        for row in &rows {
            assert_eq!(column(&header, row, "_stage"), "validate", "{row:?}");
        }
        read = out_path;
    }
    // Ann was created once, in the first round; the rejects never held her.
    sb.assert_each_stored_once("bigcommerce", &["ann@example.com".to_string()]);
}
