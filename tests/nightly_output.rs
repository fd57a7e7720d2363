//! What a nightly load run from cron reads back (issue 17): the run
//! summary of `--summary PATH` (its shape and values on a finished run, an
//! interrupted one, a run stopped before sending, and on standard output),
//! `--log-format json` (every stderr line one JSON object), no secret in
//! any output even at debug level, and `status`, `ids` and `rejects` over a
//! journal holding `updated` and `unchanged` lines. Everything runs the
//! real binary against a sandbox of this test process; no test waits a
//! fixed time for anything.

mod support;

use std::path::Path;
use std::process::{Output, Stdio};

use serde_json::Value;
use storeload::sandbox::SandboxConfig;
use support::*;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("the summary was written");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// The keys of the summary, as the README documents them.
const SUMMARY_KEYS: [&str; 19] = [
    "version",
    "command",
    "exit_code",
    "status",
    "error",
    "platform",
    "destination",
    "journal",
    "input",
    "started_at",
    "finished_at",
    "duration_seconds",
    "counted",
    "journal_ended",
    "rows_read",
    "counts",
    "requests",
    "retries",
    "throttled",
];

const COUNT_KEYS: [&str; 10] = [
    "created",
    "updated",
    "unchanged",
    "exists",
    "rejected",
    "failed",
    "in_doubt",
    "not_sent",
    "invalid",
    "known",
];

/// Asserts `summary` has exactly the documented keys, and `counts` exactly
/// the documented outcomes, each a number.
#[track_caller]
fn assert_stable_shape(summary: &Value) {
    let keys: Vec<&str> = summary
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut want = SUMMARY_KEYS.to_vec();
    let mut got = keys;
    want.sort();
    got.sort();
    assert_eq!(got, want, "{summary:#}");
    let counts = summary["counts"].as_object().expect("counts");
    let mut got: Vec<&str> = counts.keys().map(String::as_str).collect();
    let mut want = COUNT_KEYS.to_vec();
    got.sort();
    want.sort();
    assert_eq!(got, want, "{summary:#}");
    assert!(counts.values().all(Value::is_u64), "{summary:#}");
}

#[test]
fn the_summary_of_a_finished_run_counts_each_outcome_and_names_its_exit_code() {
    let rig = Rig::with(SandboxConfig::default(), "bigcommerce", (7, 2), "sum");
    let summary = rig.dir.path().join("night.json");
    let mut args = rig.args();
    args.extend(["--summary", summary.to_str().unwrap()]);
    let out = run(&args, &env_for("bigcommerce"));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let s = read_json(&summary);
    assert_stable_shape(&s);
    assert_eq!(s["version"], 1);
    assert_eq!(s["command"], "import");
    assert_eq!(s["exit_code"], 1, "two invalid rows: exit 1");
    assert_eq!(s["status"], "incomplete");
    assert_eq!(s["error"], Value::Null);
    assert_eq!(s["counted"], true);
    assert_eq!(s["journal_ended"], true);
    assert_eq!(s["platform"], "bigcommerce");
    assert_eq!(s["destination"]["base_url"], rig.base.as_str());
    assert_eq!(
        s["destination"]["store"],
        storeload::sandbox::BIGCOMMERCE_STORE_HASH
    );
    assert_eq!(
        Path::new(s["journal"].as_str().unwrap()),
        std::fs::canonicalize(&rig.journal).unwrap()
    );
    assert_eq!(s["input"], rig.input());
    assert_eq!(s["rows_read"], 9);
    let c = &s["counts"];
    assert_eq!(c["created"], 7);
    assert_eq!(c["invalid"], 2);
    for zero in [
        "updated",
        "unchanged",
        "exists",
        "rejected",
        "failed",
        "in_doubt",
        "not_sent",
        "known",
    ] {
        assert_eq!(c[zero], 0, "{zero}: {s:#}");
    }
    // BigCommerce takes 10 per request: the 7 valid customers are one.
    assert_eq!(s["requests"], 1, "{s:#}");
    assert_eq!(s["retries"], 0);
    assert_eq!(s["throttled"], 0);
    assert!(s["duration_seconds"].as_f64().unwrap() > 0.0);
    assert!(s["started_at"].as_str().unwrap() <= s["finished_at"].as_str().unwrap());
    // Written atomically: nothing but the summary is left beside it.
    let leftovers: Vec<_> = std::fs::read_dir(rig.dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // The same journal again: everything is known, nothing sent, exit 1
    // still (the invalid rows are still not in the store).
    let out = run(&args, &env_for("bigcommerce"));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let s = read_json(&summary);
    assert_eq!(s["counts"]["known"], 7, "{s:#}");
    assert_eq!(s["counts"]["created"], 0, "{s:#}");
    assert_eq!(s["requests"], 0, "{s:#}");
}

#[test]
fn the_summary_on_standard_output_is_all_that_stdout_holds() {
    let rig = Rig::new("salesive", 3, "stdout");
    let mut args = rig.args();
    args.extend(["--summary", "-"]);
    let out = run(&args, &env_for("salesive"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s: Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e})"));
    assert_stable_shape(&s);
    assert_eq!(s["exit_code"], 0);
    assert_eq!(s["status"], "ok");
    assert_eq!(s["counts"]["created"], 3);
    assert_eq!(s["requests"], 3, "Salesive takes one customer per request");
    // The text summary moved to stderr.
    assert!(stderr(&out).contains("created 3"), "{}", stderr(&out));
}

#[test]
fn the_summary_of_an_interrupted_run_says_130_and_what_was_done_before() {
    let rig = Rig::new("salesive", 60, "sigint");
    let summary = rig.dir.path().join("night.json");
    let mut args = rig.args();
    let rate = args.iter().position(|a| *a == "1000/1s").expect("rate");
    args[rate] = "10/1s";
    args.extend(["--summary", summary.to_str().unwrap()]);
    let mut child = command(&args, &env_for("salesive"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The moment is a state of the journal, not a time.
    assert!(
        wait_for(&rig.journal, "sent", 1, &mut child),
        "the import sent nothing"
    );
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let s = read_json(&summary);
    assert_stable_shape(&s);
    assert_eq!(s["exit_code"], 130, "{s:#}");
    assert_eq!(s["status"], "interrupted");
    assert_eq!(
        s["counted"], true,
        "an interrupted run still ends its journal"
    );
    let created = s["counts"]["created"].as_u64().unwrap();
    let journaled = journal_count(&rig.journal, "created") as u64;
    assert_eq!(created, journaled, "{s:#}");
    assert_eq!(
        created,
        rig.sb.email_counts("salesive").len() as u64,
        "the summary counts what the store holds"
    );
    assert!(created < 60, "stopped part way: {s:#}");
    assert!(s["requests"].as_u64().unwrap() >= created);
}

#[test]
fn the_summary_of_a_run_stopped_before_sending_has_its_exit_code_and_no_counts() {
    let rig = Rig::new("bitbybit", 3, "nocreds");
    let summary = rig.dir.path().join("night.json");
    let mut args = rig.args();
    args.extend(["--summary", summary.to_str().unwrap()]);
    // No credentials in the environment.
    let out = run(&args, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let s = read_json(&summary);
    assert_stable_shape(&s);
    assert_eq!(s["exit_code"], 3);
    assert_eq!(s["status"], "stopped");
    assert_eq!(s["counted"], false);
    assert_eq!(s["journal_ended"], false);
    assert_eq!(s["platform"], "bitbybit");
    assert!(
        s["error"].as_str().unwrap().contains("BITBYBIT_API_KEY"),
        "{s:#}"
    );
    assert_eq!(s["counts"]["created"], 0);
    assert_eq!(s["rows_read"], 0);
    assert!(rig.sb.customers("bitbybit").is_empty());
}

#[test]
fn a_summary_path_naming_the_journal_or_the_input_is_refused_before_anything_runs() {
    let rig = Rig::new("salesive", 2, "clobber");
    let before = std::fs::read(&rig.input).unwrap();
    for path in [rig.input(), rig.journal()] {
        let mut args = rig.args();
        args.extend(["--summary", path]);
        let out = run(&args, &env_for("salesive"));
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("--summary"), "{}", stderr(&out));
    }
    assert_eq!(std::fs::read(&rig.input).unwrap(), before);
    assert!(!rig.journal.exists(), "nothing ran");
    assert!(rig.sb.customers("salesive").is_empty());

    // resume checks against the files its journal names.
    let out = rig.import();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let journal = std::fs::read(&rig.journal).unwrap();
    let out = rig.resume(&["--summary", rig.input()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(std::fs::read(&rig.input).unwrap(), before);
    assert_eq!(std::fs::read(&rig.journal).unwrap(), journal);
}

#[test]
fn resume_writes_its_summary_too() {
    let rig = Rig::new("salesive", 4, "resumed");
    let mut args = rig.args();
    args.extend(["--limit", "1"]);
    let out = run(&args, &env_for("salesive"));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let summary = rig.dir.path().join("resume.json");
    let out = rig.resume(&["--summary", summary.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s = read_json(&summary);
    assert_stable_shape(&s);
    assert_eq!(s["command"], "resume");
    assert_eq!(s["exit_code"], 0);
    assert_eq!(s["counts"]["created"], 3, "{s:#}");
    assert_eq!(s["counts"]["known"], 1, "{s:#}");
}

/// Each non-blank stderr line parsed as a JSON object with a level and a
/// message.
#[track_caller]
fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("a stderr line is not JSON ({e}): {l:?}\n{text}"));
            assert!(v["level"].is_string(), "no level: {l}");
            assert!(v["message"].is_string(), "no message: {l}");
            assert!(v["timestamp"].is_string(), "no timestamp: {l}");
            v
        })
        .collect()
}

#[test]
fn with_log_format_json_every_stderr_line_is_one_json_object() {
    let rig = Rig::with(SandboxConfig::default(), "bigcommerce", (5, 1), "jsonlog");
    // Loud (no --quiet) and at debug level: checks, the plan, progress,
    // tracing's own lines (the HTTP client's among them) and the final
    // summary, on stderr because the summary JSON takes stdout.
    let mut args: Vec<&str> = rig.args().into_iter().filter(|a| *a != "--quiet").collect();
    args.extend(["--log-format", "json", "--summary", "-"]);
    let mut env = env_for("bigcommerce");
    env.push(("STORELOAD_LOG", "debug".to_string()));
    let out = run(&args, &env);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let lines = json_lines(&stderr(&out));
    let messages: Vec<&str> = lines
        .iter()
        .map(|v| v["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("created 5")),
        "the final summary is a JSON line: {messages:#?}"
    );
    assert!(
        messages.iter().any(|m| m.starts_with("storeload: check:")),
        "{messages:#?}"
    );
    assert!(
        lines.iter().any(|v| v["target"] != "storeload"),
        "tracing's own lines are JSON too: {messages:#?}"
    );
    let s: Value = serde_json::from_str(&stdout(&out)).expect("stdout holds the summary");
    assert_eq!(s["counts"]["created"], 5);

    // The error that ends a command is a JSON line of level ERROR.
    let out = run(
        &[
            "--log-format",
            "json",
            "validate",
            "missing.csv",
            "--to",
            "salesive",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let lines = json_lines(&stderr(&out));
    assert_eq!(lines.len(), 1, "{}", stderr(&out));
    assert_eq!(lines[0]["level"], "ERROR");
    assert!(
        lines[0]["message"]
            .as_str()
            .unwrap()
            .contains("missing.csv")
    );
}

#[test]
fn no_secret_appears_in_any_output_even_at_debug_level() {
    let rig = Rig::new("bigcommerce", 12, "secret");
    let summary = rig.dir.path().join("night.json");
    let mut args: Vec<&str> = rig.args().into_iter().filter(|a| *a != "--quiet").collect();
    args.extend([
        "--log-format",
        "json",
        "--summary",
        summary.to_str().unwrap(),
    ]);
    let token = storeload::sandbox::BIGCOMMERCE_ACCESS_TOKEN;
    let mut env = env_for("bigcommerce");
    env.push(("STORELOAD_LOG", "debug".to_string()));
    env.push(("RUST_LOG", "debug".to_string()));
    let out = run(&args, &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        json_lines(&err).iter().any(|v| v["level"] == "DEBUG"),
        "debug lines were written, so the test looked at them: {err}"
    );
    let journal = std::fs::read_to_string(&rig.journal).unwrap();
    let summary_text = std::fs::read_to_string(&summary).unwrap();
    for (what, text) in [
        ("stdout", stdout(&out)),
        ("stderr", err),
        ("journal", journal),
        ("summary", summary_text),
    ] {
        assert!(!text.contains(token), "{what} holds the token:\n{text}");
    }

    // A refused token is not echoed either.
    let wrong = "wrong-token-7f3a9c1d2e";
    let mut env = vec![
        (
            "BIGCOMMERCE_STORE_HASH",
            storeload::sandbox::BIGCOMMERCE_STORE_HASH.to_string(),
        ),
        ("BIGCOMMERCE_ACCESS_TOKEN", wrong.to_string()),
    ];
    env.push(("STORELOAD_LOG", "debug".to_string()));
    env.push(("RUST_LOG", "debug".to_string()));
    let other = rig.dir.path().join("other.journal");
    let mut args: Vec<&str> = rig.args().into_iter().filter(|a| *a != "--quiet").collect();
    let at = args.iter().position(|a| *a == rig.journal()).unwrap();
    args[at] = other.to_str().unwrap();
    args.extend([
        "--log-format",
        "json",
        "--summary",
        summary.to_str().unwrap(),
    ]);
    let out = run(&args, &env);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let summary_text = std::fs::read_to_string(&summary).unwrap();
    assert!(summary_text.contains("\"exit_code\": 3"), "{summary_text}");
    for (what, text) in [
        ("stdout", stdout(&out)),
        ("stderr", stderr(&out)),
        ("summary", summary_text),
    ] {
        assert!(!text.contains(wrong), "{what} holds the token:\n{text}");
    }
}

/// A journal of a night that updated and left unchanged what an earlier
/// night created: run 1 is a real import into the in-process sandbox (4
/// valid customers, 1 invalid); run 2 is written by hand as a sync run
/// writes it: `updated` for the first customer, `unchanged` for the
/// second, then its `end` line.
fn synced_journal(
    dir: &Path,
) -> (
    std::path::PathBuf,
    std::path::PathBuf,
    Vec<(String, String)>,
) {
    let input = dir.join("in.csv");
    let journal = dir.join("night.journal");
    write_customers(&input, 4, 1, "sync");
    let out = run(
        &[
            "import",
            input.to_str().unwrap(),
            "--to",
            "bigcommerce",
            "--sandbox",
            "--journal",
            journal.to_str().unwrap(),
            "--quiet",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let lines = journal_lines(&journal);
    let mut header = lines
        .iter()
        .find(|v| v["type"] == "header")
        .expect("a header")
        .clone();
    header["run"] = 2.into();
    let created: Vec<&Value> = lines.iter().filter(|v| v["type"] == "created").collect();
    assert_eq!(created.len(), 4);
    let ids: Vec<(String, String)> = created
        .iter()
        .map(|v| {
            (
                v["key"].as_str().unwrap().to_string(),
                v["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let line = |kind: &str, v: &Value, hash: bool| {
        let mut o = serde_json::json!({
            "type": kind,
            "key": v["key"],
            "record": v["record"],
            "line": v["line"],
            "id": v["id"],
        });
        if hash {
            o["hash"] = "0123456789abcdef0123456789abcdef".into();
        }
        o.to_string()
    };
    let end = serde_json::json!({
        "type": "end",
        "at": "2030-01-02T03:00:00.000Z",
        "summary": {"read": 5, "updated": 1, "unchanged": 1, "not_sent": 0},
    });
    let mut text = std::fs::read_to_string(&journal).unwrap();
    for l in [
        header.to_string(),
        line("updated", created[0], true),
        line("unchanged", created[1], false),
        end.to_string(),
    ] {
        text.push_str(&l);
        text.push('\n');
    }
    std::fs::write(&journal, text).unwrap();
    (input, journal, ids)
}

#[test]
fn status_counts_updated_and_unchanged_records() {
    let dir = tempfile::tempdir().unwrap();
    let (_, journal, _) = synced_journal(dir.path());
    let out = run(&["status", journal.to_str().unwrap(), "--json", "-"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).expect("JSON status");
    let c = &v["counts"];
    assert_eq!(c["created"], 2, "{v:#}");
    assert_eq!(c["updated"], 1, "{v:#}");
    assert_eq!(c["unchanged"], 1, "{v:#}");
    assert_eq!(c["rejected"], 1, "{v:#}");
    assert_eq!(c["in_doubt"], 0, "{v:#}");
    assert_eq!(c["total"], 5, "every row read is counted once: {v:#}");
    let text = stderr(&out);
    assert!(
        text.contains("created 2 · updated 1 · unchanged 1 · already there 0"),
        "{text}"
    );
}

#[test]
fn ids_lists_updated_and_unchanged_records_with_their_ids() {
    let dir = tempfile::tempdir().unwrap();
    let (_, journal, ids) = synced_journal(dir.path());
    let out = run(&["ids", journal.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "source_key,platform_id");
    let mut want: Vec<String> = ids.iter().map(|(k, id)| format!("{k},{id}")).collect();
    let mut got: Vec<String> = rows[1..].iter().map(|r| r.to_string()).collect();
    want.sort();
    got.sort();
    assert_eq!(got, want, "the updated and unchanged keep their ids");
}

#[test]
fn rejects_leaves_out_updated_and_unchanged_records() {
    let dir = tempfile::tempdir().unwrap();
    let (_, journal, ids) = synced_journal(dir.path());
    let out_path = dir.path().join("rejects.csv");
    let out = run(
        &[
            "rejects",
            journal.to_str().unwrap(),
            "-o",
            out_path.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = std::fs::read_to_string(&out_path).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "only the invalid row:\n{text}");
    assert!(rows[0].contains("NoEmail0"), "{text}");
    for (key, _) in &ids {
        assert!(
            !text.contains(key.as_str()),
            "{key} is in the platform:\n{text}"
        );
    }
}

/// Last night's summary must not pass for tonight's: a run killed before
/// it writes its own (kill -9) leaves no summary at the path.
#[cfg(unix)]
#[test]
fn a_run_killed_before_its_summary_leaves_no_stale_one() {
    let rig = Rig::held(2, 40, "stale");
    let summary = rig.dir.path().join("night.json");
    std::fs::write(&summary, r#"{"version":1,"status":"ok","exit_code":0}"#).expect("write");
    let mut args = rig.args();
    args.extend(["--summary", summary.to_str().unwrap()]);
    let mut child = spawn(&args, &env_for("bigcommerce"));
    // Running, and held by the quota: then killed outright.
    assert!(
        wait_for(&rig.journal, "sent", 1, &mut child),
        "nothing sent"
    );
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        !summary.exists(),
        "last night's summary is gone: {:?}",
        std::fs::read_to_string(&summary)
    );
}
