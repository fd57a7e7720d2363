//! Know before you send, settle what is in doubt: `check`, the plan,
//! `--max-quota-share`, `--max-invalid-pct`, `--limit`, `reconcile` and the
//! rejects file, through the binary against the sandbox. No assertion on
//! wall time.

mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use storeload::sandbox::{self, FaultSpec, SandboxConfig};
use support::*;

fn code(out: &std::process::Output) -> Option<i32> {
    out.status.code()
}

#[test]
fn check_passes_on_each_platform_and_stores_nothing() {
    let sb = Sandbox::start(SandboxConfig::default());
    for platform in ["bigcommerce", "salesive", "bitbybit"] {
        let base = sb.base_url(platform);
        let out = run(
            &["check", "--to", platform, "--base-url", &base],
            &env_for(platform),
        );
        assert_eq!(code(&out), Some(0), "{platform}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("credentials accepted"), "{platform}: {text}");
        if platform == "salesive" {
            assert!(text.contains("ok    write access"), "{text}");
        } else if platform == "bigcommerce" {
            assert!(
                text.contains("write access not verifiable before the first write"),
                "{text}"
            );
        }
        assert!(
            sb.customers(platform).is_empty(),
            "{platform}: check stored nothing"
        );
    }
}

#[test]
fn check_fails_with_exit_3_on_a_missing_variable_a_bad_token_and_a_read_only_token() {
    let sb = Sandbox::start(SandboxConfig::default());
    let base = sb.base_url("salesive");
    let out = run(&["check", "--to", "salesive", "--base-url", &base], &[]);
    assert_eq!(code(&out), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SALESIVE_APP_TOKEN is not set"));
    let out = run(
        &["check", "--to", "salesive", "--base-url", &base],
        &[("SALESIVE_APP_TOKEN", "app_nope".into())],
    );
    assert_eq!(code(&out), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("check SALESIVE_APP_TOKEN"));
    let out = run(
        &["check", "--to", "salesive", "--base-url", &base],
        &[(
            "SALESIVE_APP_TOKEN",
            sandbox::SALESIVE_READONLY_TOKEN.into(),
        )],
    );
    assert_eq!(code(&out), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("WRITE_CUSTOMERS"));
    let bb = sb.base_url("bitbybit");
    let out = run(
        &["check", "--to", "bitbybit", "--base-url", &bb],
        &[("BITBYBIT_API_KEY", sandbox::BITBYBIT_NOSCOPE_KEY.into())],
    );
    assert_eq!(code(&out), Some(3));
    assert!(sb.customers("salesive").is_empty());
    assert!(sb.customers("bitbybit").is_empty());
}

#[test]
fn import_with_a_bad_token_fails_without_reading_its_input() {
    let sb = Sandbox::start(SandboxConfig::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("never-written.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let journal = dir.path().join("run.journal");
    let base = sb.base_url("bigcommerce");
    let mut child = command(
        &import_args(
            fifo.to_str().unwrap(),
            "bigcommerce",
            journal.to_str().unwrap(),
            &base,
        ),
        &[
            (
                "BIGCOMMERCE_STORE_HASH",
                sandbox::BIGCOMMERCE_STORE_HASH.into(),
            ),
            ("BIGCOMMERCE_ACCESS_TOKEN", "wrong-token".into()),
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("spawn");
    // Opening a FIFO nothing writes to blocks forever: if the import read
    // its input before checking the token, it would never exit.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let status = status.expect("the import stopped on the token without opening its input");
    assert_eq!(status.code(), Some(3));
    assert!(
        !journal.exists(),
        "no journal for a run refused at the check"
    );
}

/// Reads "plan: N requests" from the plan's text.
fn planned_requests(text: &str) -> u64 {
    let line = text
        .lines()
        .find(|l| l.contains(" request") && l.starts_with("plan: "))
        .expect("a plan line with the request count");
    line["plan: ".len()..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a number of requests")
}

#[test]
fn plan_sends_nothing_and_its_request_count_and_time_match_the_run() {
    let config = SandboxConfig {
        quota: Some("100/10s".parse().expect("quota")),
        ..SandboxConfig::default()
    };
    let rig = Rig::with(config, "bigcommerce", (43, 3), "plan");
    let (sb, journal) = (&rig.sb, &rig.journal);
    let mut args = rig.args();
    args.retain(|a| *a != "--quiet");
    let rate = args.iter().position(|a| *a == "--rate").expect("rate flag");
    args.drain(rate..rate + 2);
    let mut plan_args = args.clone();
    plan_args.push("--plan");
    let out = run(&plan_args, &env_for("bigcommerce"));
    assert_eq!(code(&out), Some(0));
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    let planned = planned_requests(&text);
    assert_eq!(planned, 5, "43 valid records in batches of 10: {text}");
    // The time is the request count over the quota the platform reported.
    assert!(text.contains("at 100/10s that takes about 1 s"), "{text}");
    assert!(
        sb.customers("bigcommerce").is_empty(),
        "--plan sends nothing"
    );
    assert!(!journal.exists(), "--plan writes no journal");
    let out = run(&args, &env_for("bigcommerce"));
    assert_eq!(code(&out), Some(1), "3 invalid rows");
    let summary = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        summary.contains(&format!("{planned} requests")),
        "{summary}"
    );
    assert_eq!(sb.customers("bigcommerce").len(), 43);
}

#[test]
fn max_quota_share_keeps_every_window_at_half_the_quota() {
    let config = SandboxConfig {
        quota: Some("20/2s".parse().expect("quota")),
        ..SandboxConfig::default()
    };
    let rig = Rig::with(config, "salesive", (24, 0), "share");
    let sb = &rig.sb;
    let mut args = rig.args();
    let rate = args.iter().position(|a| *a == "--rate").expect("rate flag");
    args[rate + 1] = "20/2s";
    args.extend(["--max-quota-share", "0.5"]);
    let out = run(&args, &env_for("salesive"));
    assert_eq!(code(&out), Some(0));
    assert_eq!(sb.customers("salesive").len(), 24);
    let stats = sb.handle().stats();
    let windows = &stats.platforms["salesive"].windows;
    assert!(
        windows.len() >= 3,
        "the run spans several windows: {windows:?}"
    );
    for w in windows {
        assert!(
            w.count <= 10,
            "a window saw {} requests, over half of 20: {windows:?}",
            w.count
        );
    }
}

#[test]
fn max_invalid_pct_refuses_to_send_anything() {
    // 20% invalid.
    let rig = Rig::with(SandboxConfig::default(), "bitbybit", (8, 2), "pct");
    let sb = &rig.sb;
    let mut args = rig.args();
    args.extend(["--max-invalid-pct", "10"]);
    let out = run(&args, &env_for("bitbybit"));
    assert_eq!(code(&out), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-invalid-pct"));
    assert!(sb.customers("bitbybit").is_empty());
    // Under the limit, it goes.
    let mut args = rig.args();
    args.extend(["--max-invalid-pct", "25"]);
    let out = run(&args, &env_for("bitbybit"));
    assert_eq!(code(&out), Some(1));
    assert_eq!(sb.customers("bitbybit").len(), 8);
}

#[test]
fn limit_sends_only_the_first_n_and_the_next_run_sends_the_rest() {
    let rig = Rig::new("salesive", 12, "canary");
    let sb = &rig.sb;
    let mut args = rig.args();
    args.extend(["--limit", "3"]);
    let out = run(&args, &env_for("salesive"));
    assert_eq!(code(&out), Some(1), "9 records not sent");
    assert_eq!(sb.customers("salesive").len(), 3);
    assert_eq!(code(&rig.import()), Some(0));
    assert_eq!(sb.email_counts("salesive").len(), 12);
    assert!(sb.email_counts("salesive").values().all(|n| *n == 1));
}

#[test]
fn bitbybit_crash_and_resume_with_lost_answers_stores_every_customer_once() {
    let faults: FaultSpec = "lost=0.1".parse().expect("faults");
    let config = SandboxConfig {
        faults,
        seed: 5,
        ..SandboxConfig::default()
    };
    let rig = Rig::with(config, "bitbybit", (60, 0), "bbcrash");
    let (sb, journal, emails) = (&rig.sb, &rig.journal, &rig.emails);
    let env = env_for("bitbybit");
    let mut first = rig.args();
    let rate = first.iter().position(|a| *a == "1000/1s").expect("rate");
    first[rate] = "30/1s";
    // The sandbox's search shows a record at once: no settle delay needed
    // before a lookup (the default 60 s would only slow the test down).
    first.extend(["--settle-delay", "0"]);
    let mut kills = 0;
    for i in 0..6 {
        let args: Vec<&str> = if i == 0 {
            first.clone()
        } else {
            vec!["resume", journal.to_str().unwrap(), "--quiet"]
        };
        // Killed once the run has journaled 1 to 3 new requests: the
        // moment is a state of the journal, not a time.
        let target = journal_count(journal, "sent") + 1 + i % 3;
        let mut child = command(&args, &env)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        if wait_for(journal, "sent", target, &mut child)
            && child.try_wait().expect("try_wait").is_none()
        {
            child.kill().expect("SIGKILL");
            kills += 1;
        }
        let _ = child.wait();
    }
    assert!(kills >= 3, "killed {kills} times");
    let out = run(&["resume", journal.to_str().unwrap(), "--quiet"], &env);
    assert_eq!(code(&out), Some(0));
    sb.assert_each_stored_once("bitbybit", emails);
}

#[test]
fn reconcile_settles_records_left_in_doubt_by_lookup() {
    let faults: FaultSpec = "lost=0.3".parse().expect("faults");
    let config = SandboxConfig {
        faults,
        seed: 9,
        ..SandboxConfig::default()
    };
    let rig = Rig::with(config, "bitbybit", (20, 0), "recon");
    let (sb, journal) = (&rig.sb, &rig.journal);
    // --in-doubt skip: lost answers stay in doubt, listed.
    let mut args = rig.args();
    args.extend(["--in-doubt", "skip"]);
    let out = run(&args, &env_for("bitbybit"));
    assert_eq!(code(&out), Some(1), "some records are in doubt");
    let before = run(&["status", journal.to_str().unwrap(), "--json", "-"], &[]);
    let v: serde_json::Value = serde_json::from_slice(&before.stdout).expect("json");
    let in_doubt = v["counts"]["in_doubt"].as_u64().expect("count");
    assert!(in_doubt > 0, "lost answers left records in doubt");
    sb.handle().set_faults(FaultSpec::default());
    let out = run(
        &["reconcile", journal.to_str().unwrap()],
        &env_for("bitbybit"),
    );
    assert_eq!(code(&out), Some(0), "every in-doubt record was found");
    let after = run(&["status", journal.to_str().unwrap(), "--json", "-"], &[]);
    let v: serde_json::Value = serde_json::from_slice(&after.stdout).expect("json");
    assert_eq!(v["counts"]["in_doubt"], 0);
    assert_eq!(v["counts"]["created"], 20);
    // Nothing new was sent: the sandbox holds exactly the 20.
    assert_eq!(sb.customers("bitbybit").len(), 20);
}

#[test]
fn rejects_round_trip_completes_the_load() {
    let sb = Sandbox::start(SandboxConfig::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.csv");
    let journal = dir.path().join("run.journal");
    let rejects = dir.path().join("rejects.csv");
    // 5 good rows, 2 invalid (no email), 1 with a state BigCommerce does not
    // know for the US (validate reports it: the sandbox refuses nothing
    // validate passes).
    let mut text = String::from("email,first_name,last_name,address1,city,province,country_code\n");
    for i in 0..5 {
        text.push_str(&format!(
            "ok{i}@example.com,F{i},L{i},{i} Main,Town,California,US\n"
        ));
    }
    text.push_str(",NoMail,One,1 Main,Town,California,US\n");
    text.push_str(",NoMail,Two,2 Main,Town,California,US\n");
    text.push_str("narnia@example.com,Lucy,Pevensie,1 Wardrobe,Cair,Narnia,US\n");
    std::fs::write(&input, text).expect("write");
    let base = sb.base_url("bigcommerce");
    let mut args = import_args(
        input.to_str().unwrap(),
        "bigcommerce",
        journal.to_str().unwrap(),
        &base,
    );
    args.extend(["--rejects", rejects.to_str().unwrap()]);
    let out = run(&args, &env_for("bigcommerce"));
    assert_eq!(code(&out), Some(1));
    assert_eq!(sb.customers("bigcommerce").len(), 5);
    let got = std::fs::read_to_string(&rejects).expect("rejects file");
    let mut lines = got.lines();
    assert_eq!(
        lines.next(),
        Some("email,first_name,last_name,address1,city,province,country_code,_line,_stage,_errors")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 3, "{got}");
    assert!(
        rows[0].starts_with(",NoMail,One,") && rows[0].contains(",7,validate,"),
        "{got}"
    );
    assert!(
        rows[2].starts_with("narnia@example.com,") && rows[2].contains(",9,validate,"),
        "{got}"
    );
    // Fix the rows in the file and import it with the same journal.
    let fixed = got
        .replace(",NoMail,One,", "one@example.com,NoMail,One,")
        .replace(",NoMail,Two,", "two@example.com,NoMail,Two,")
        .replace(",Narnia,", ",California,");
    let fixed_path = dir.path().join("fixed.csv");
    std::fs::write(&fixed_path, fixed).expect("write");
    // A fixed re-import is a new input: its fixed rows are sent.
    let out = run(
        &import_args(
            fixed_path.to_str().unwrap(),
            "bigcommerce",
            journal.to_str().unwrap(),
            &base,
        ),
        &env_for("bigcommerce"),
    );
    assert_eq!(
        code(&out),
        Some(0),
        "every record of the fixed file is now in"
    );
    let stored = sb.email_counts("bigcommerce");
    assert_eq!(stored.len(), 8);
    assert!(stored.values().all(|n| *n == 1));
}
