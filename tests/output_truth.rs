//! Every line storeload prints is true (issue 20): progress totals are the
//! plan's count from the first line; the pacing line says the pace used and
//! where it came from; `status` counts every record the journal knows of;
//! records this run created and resent after a lost answer are `created`;
//! one `--json PATH` convention (`-` for standard output) on every command
//! that writes JSON; colour only where asked for. Everything runs the real
//! binary against a sandbox of this test process; no test waits a fixed
//! time for anything.

mod support;

use std::process::{Output, Stdio};

use serde_json::Value;
use storeload::sandbox::{FaultSpec, SandboxConfig};
use support::*;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The rig's import arguments without `--quiet`, with `--rate` set to `rate`.
fn loud_args(rig: &Rig, rate: &str) -> Vec<String> {
    let mut args: Vec<String> = rig
        .args()
        .into_iter()
        .filter(|a| *a != "--quiet")
        .map(String::from)
        .collect();
    let at = args.iter().position(|a| a == "1000/1s").expect("a --rate");
    args[at] = rate.to_string();
    args
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// The number before " to send" on the plan's line.
fn plan_to_send(text: &str) -> u64 {
    let line = text
        .lines()
        .find(|l| l.starts_with("plan: ") && l.contains(" to send"))
        .unwrap_or_else(|| panic!("no plan line in:\n{text}"));
    let before = line
        .split(" to send")
        .next()
        .expect("split yields one part");
    before
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {line}"))
}

#[test]
fn progress_totals_on_a_plain_run_equal_the_plans_count_from_the_first_line() {
    let rig = Rig::with(SandboxConfig::default(), "bigcommerce", (3000, 17), "prog");
    let out = run(
        &strs(&loud_args(&rig, "100000/1s")),
        &env_for("bigcommerce"),
    );
    assert_eq!(out.status.code(), Some(1), "17 invalid rows");
    let text = stderr(&out);
    let total = plan_to_send(&text);
    assert_eq!(total, 3000);
    let progress: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("storeload: progress: "))
        .collect();
    assert!(!progress.is_empty(), "a plain line at the start:\n{text}");
    for line in &progress {
        assert!(
            line.contains(&format!(" of {total} done · ")),
            "every line shows the plan's total: {line}"
        );
        assert!(line.contains("records/s · eta "), "{line}");
    }
    assert!(
        !text.contains('\r') && !text.contains('\u{1b}'),
        "never a bar off a terminal"
    );
}

#[test]
fn the_pacing_line_names_the_rate_given_and_where_each_pace_came_from() {
    // Salesive reports no quota: --rate is the pace, never its default.
    let rig = Rig::new("salesive", 3, "pace");
    let mut args = loud_args(&rig, "100/1s");
    args.push("--plan".into());
    let out = run(&strs(&args), &env_for("salesive"));
    assert_eq!(out.status.code(), Some(0));
    let text = stderr(&out);
    assert!(
        text.contains("storeload: check: info  pace 100/1s: --rate 100/1s"),
        "{text}"
    );
    assert!(!text.contains("120/60s"), "{text}");
    // Without --rate: Salesive's default, said to be storeload's.
    let mut args: Vec<String> = loud_args(&rig, "x");
    let at = args.iter().position(|a| a == "--rate").expect("a --rate");
    args.drain(at..at + 2);
    args.push("--plan".into());
    let out = run(&strs(&args), &env_for("salesive"));
    let text = stderr(&out);
    assert!(
        text.contains("pace 120/60s: storeload's default for Salesive"),
        "{text}"
    );
    // BigCommerce reports its quota in headers: that is the pace, at the
    // share asked for; `check --rate` says the fixed pace.
    let bc = Rig::new("bigcommerce", 3, "pacebc");
    let mut args: Vec<String> = loud_args(&bc, "x");
    let at = args.iter().position(|a| a == "--rate").expect("a --rate");
    args.drain(at..at + 2);
    args.extend(["--plan".into(), "--max-quota-share".into(), "0.5".into()]);
    let out = run(&strs(&args), &env_for("bigcommerce"));
    let text = stderr(&out);
    assert!(
        text.contains(
            "pace 500000/30s: the quota 1000000/30s BigCommerce reported in its headers × --max-quota-share 0.5"
        ),
        "{text}"
    );
    let out = run(
        &[
            "check",
            "--to",
            "bigcommerce",
            "--base-url",
            &bc.base,
            "--rate",
            "100/1s",
        ],
        &env_for("bigcommerce"),
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("info  pace 100/1s: --rate 100/1s"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn status_totals_equal_rows_read_after_a_run_stopped_by_sigint() {
    let rig = Rig::with(SandboxConfig::default(), "salesive", (40, 3), "sigint");
    let args = rig.args();
    let mut args: Vec<&str> = args.clone();
    let rate = args.iter().position(|a| *a == "1000/1s").expect("rate");
    args[rate] = "10/1s";
    let mut child = command(&args, &env_for("salesive"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    assert!(
        wait_for(&rig.journal, "sent", 1, &mut child),
        "the import sent nothing"
    );
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let end = journal_lines(&rig.journal)
        .into_iter()
        .rfind(|l| l["type"] == "end")
        .expect("the stopped run wrote its end line");
    let read = end["summary"]["read"].as_u64().expect("rows read");
    assert!(read >= 1);
    let out = run(&["status", rig.journal(), "--json", "-"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).expect("status --json - is JSON");
    let c = &v["counts"];
    let sum: u64 = [
        "created", "exists", "rejected", "failed", "in_doubt", "not_sent",
    ]
    .iter()
    .map(|k| c[k].as_u64().expect("a count"))
    .sum();
    assert_eq!(c["total"].as_u64(), Some(sum));
    assert_eq!(sum, read, "every row read is counted once: {v}");
    assert_eq!(v["last_run_rows_read"].as_u64(), Some(read));
    assert_eq!(c["not_sent"], end["summary"]["not_sent"]);
    // The text says the same total, and the not-sent count.
    let text = stderr(&out);
    assert!(text.contains(&format!("· total {read}\n")), "{text}");
    assert!(
        text.contains(&format!("not sent {}", c["not_sent"])),
        "{text}"
    );
}

#[test]
fn records_this_run_created_and_resent_after_a_lost_answer_are_created_not_already_there() {
    let faults: FaultSpec = "lost=0.3".parse().expect("fault spec parses");
    let rig = Rig::with(
        SandboxConfig {
            faults,
            seed: 5,
            ..SandboxConfig::default()
        },
        "bigcommerce",
        (60, 0),
        "lostans",
    );
    let mut args = rig.args();
    args.extend(["--max-retries", "30"]);
    let out = run(&args, &env_for("bigcommerce"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    rig.sb.assert_each_stored_once("bigcommerce", &rig.emails);
    let outcomes = journal_outcomes(&rig.journal);
    for e in &rig.emails {
        assert_eq!(
            outcomes.get(e).map(String::as_str),
            Some("created"),
            "{e}: this run created it"
        );
    }
    // The path under test ran: an answer was lost, the resend answered
    // "already in use", and the lookup dated the customer after the send.
    let judged = journal_lines(&rig.journal)
        .iter()
        .filter(|l| l["type"] == "created" && l.get("lookups").is_some())
        .count();
    assert!(
        judged > 0,
        "no lost answer was resent: raise the fault rate"
    );
    let text = stdout(&out);
    assert!(
        text.contains("created 60 · already there 0 "),
        "the summary names what happened:\n{text}"
    );
}

#[test]
fn every_command_that_writes_json_takes_a_path_with_dash_for_standard_output() {
    let rig = Rig::with(SandboxConfig::default(), "salesive", (4, 1), "jsonflag");
    assert_eq!(rig.import().status.code(), Some(1));
    let file = rig.dir.path().join("out.json");
    let file_arg = file.to_str().expect("UTF-8 path");
    let commands: [Vec<&str>; 2] = [
        vec!["validate", rig.input(), "--to", "salesive"],
        vec!["status", rig.journal()],
    ];
    for base in commands {
        // `-`: the JSON alone on stdout.
        let mut args = base.clone();
        args.extend(["--json", "-"]);
        let out = run(&args, &env_for("salesive"));
        assert!(matches!(out.status.code(), Some(0 | 1)), "{args:?}");
        let _: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: stdout is JSON alone: {e}"));
        // A path: the JSON in the file.
        let _ = std::fs::remove_file(&file);
        let mut args = base.clone();
        args.extend(["--json", file_arg]);
        let out = run(&args, &env_for("salesive"));
        assert!(matches!(out.status.code(), Some(0 | 1)), "{args:?}");
        let written = std::fs::read(&file).expect("the JSON file was written");
        let _: Value = serde_json::from_slice(&written).expect("the file is JSON");
        // No path: a usage error, not a switch.
        let mut args = base.clone();
        args.push("--json");
        assert_eq!(run(&args, &[]).status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn colour_only_when_asked_or_on_a_terminal_and_never_with_no_color() {
    let work = tempfile::tempdir().expect("tempdir");
    let input = work.path().join("in.csv");
    write_customers(&input, 3, 2, "colour");
    let input = input.to_str().expect("UTF-8 path");
    let validate = |extra: &[&str], env: &[(&str, String)]| {
        let mut args = vec!["validate", input, "--to", "salesive"];
        args.extend_from_slice(extra);
        let out = run(&args, env);
        assert_eq!(out.status.code(), Some(1));
        stdout(&out)
    };
    let always = validate(&["--color", "always"], &[]);
    assert!(
        always.contains("\u{1b}[1;31mviolations by rule:\u{1b}[0m"),
        "{always}"
    );
    assert!(!validate(&["--color", "never"], &[]).contains('\u{1b}'));
    assert!(
        !validate(&[], &[]).contains('\u{1b}'),
        "auto: never into a pipe"
    );
    assert!(!validate(&["--color", "auto"], &[("NO_COLOR", "1".into())]).contains('\u{1b}'));
    // A failed check: every line behind the same prefix, FAIL in colour
    // only when asked for.
    let rig = Rig::new("salesive", 1, "colourcheck");
    let bad = [("SALESIVE_APP_TOKEN", "app_wrong".to_string())];
    for (flag, coloured) in [("always", true), ("never", false)] {
        let out = run(
            &[
                "check",
                "--to",
                "salesive",
                "--base-url",
                &rig.base,
                "--color",
                flag,
            ],
            &bad,
        );
        assert_eq!(out.status.code(), Some(3));
        let text = stderr(&out);
        assert!(text.lines().count() >= 2, "{text}");
        for line in text.lines() {
            assert!(
                line.starts_with("storeload: check: "),
                "{line:?} in\n{text}"
            );
        }
        assert_eq!(
            text.contains("\u{1b}[1;31mFAIL\u{1b}[0m"),
            coloured,
            "{text}"
        );
        assert!(text.contains("FAIL"), "{text}");
    }
}

#[test]
fn a_record_in_doubt_that_a_resume_leaves_unsent_is_counted_once_by_status() {
    // Run 1: the platform answers the first create, then fails every
    // request (500, no retry): the rest are journaled in doubt.
    let rig = Rig::with(SandboxConfig::default(), "salesive", (6, 0), "requeue");
    let mut args = loud_args(&rig, "4/1s");
    args.extend(["--max-retries".to_string(), "0".to_string()]);
    let mut child = command(&strs(&args), &env_for("salesive"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    assert!(
        wait_for(&rig.journal, "created", 1, &mut child),
        "the import created nothing"
    );
    rig.sb
        .handle()
        .set_faults("500=1".parse().expect("fault spec parses"));
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let created = journal_count(&rig.journal, "created");
    // A 500 after the request went out may have been applied: in doubt.
    let failed = journal_count(&rig.journal, "in_doubt");
    assert_eq!(created + failed, 6, "every record created or in doubt");
    assert!(failed >= 2, "at least two in doubt: {failed}");
    // Run 2: the platform answers again; a resume capped at one record
    // resends one record in doubt and leaves the others unsent.
    rig.sb.handle().set_faults(FaultSpec::none());
    let out = run(
        &["resume", rig.journal(), "--limit", "1", "--quiet"],
        &env_for("salesive"),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let end = journal_lines(&rig.journal)
        .into_iter()
        .rfind(|l| l["type"] == "end")
        .expect("the resume wrote its end line");
    let unsent = (failed - 1) as u64;
    assert_eq!(end["summary"]["not_sent"], unsent, "{end}");
    assert_eq!(end["summary"]["not_sent_journaled"], unsent, "{end}");
    let out = run(&["status", rig.journal(), "--json", "-"], &[]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("status --json - is JSON");
    let c = &v["counts"];
    assert_eq!(c["created"], (created + 1) as u64, "{v}");
    assert_eq!(c["in_doubt"], unsent, "{v}");
    assert_eq!(
        c["not_sent"], 0,
        "each unsent record is counted once, as in doubt: {v}"
    );
    assert_eq!(c["total"], 6, "{v}");
}
