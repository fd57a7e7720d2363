//! Hostile paths and stops (issue 15, points 3, 7, 9, 10, 11): a report path
//! never destroys the run's own files; `-` is standard output; a closed
//! stderr or stdout never panics; SIGTERM and SIGHUP stop like Ctrl-C; a
//! journal is bound to its destination; and records its input's absolute
//! path. Everything runs the real binary against the sandbox of this test
//! process; no test waits a fixed time for anything.

mod support;

use std::path::Path;
use std::process::Stdio;

use storeload::sandbox::{self, SandboxConfig};
use support::*;

fn code(out: &std::process::Output) -> Option<i32> {
    out.status.code()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn import_refuses_a_rejects_path_naming_its_journal_and_leaves_the_journal_whole() {
    let rig = Rig::new("bigcommerce", 12, "clobber");
    assert_eq!(code(&rig.import()), Some(0));
    let before = std::fs::read(&rig.journal).expect("journal");
    let mut args = rig.args();
    args.extend(["--rejects", rig.journal()]);
    let out = run(&args, &env_for("bigcommerce"));
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(
        text.contains("--rejects") && text.contains("the journal"),
        "{text}"
    );
    assert!(text.contains(rig.journal()), "names the journal: {text}");
    assert_eq!(std::fs::read(&rig.journal).expect("journal"), before);
    // The input too, by a path that only resolves to it.
    let odd = rig.dir.path().join(".").join("in.csv");
    let mut args = rig.args();
    args.extend(["--rejects", odd.to_str().unwrap()]);
    let out = run(&args, &env_for("bigcommerce"));
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("the input"), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn rejects_refuses_an_output_naming_the_journal_the_input_or_a_link_to_either() {
    let rig = Rig::with(SandboxConfig::default(), "salesive", (5, 2), "rjo");
    assert_eq!(code(&rig.import()), Some(1), "two invalid rows");
    let journal_before = std::fs::read(&rig.journal).expect("journal");
    let input_before = std::fs::read(&rig.input).expect("input");
    let link = rig.dir.path().join("link.journal");
    std::os::unix::fs::symlink(&rig.journal, &link).expect("symlink");
    for output in [rig.journal(), rig.input(), link.to_str().unwrap()] {
        let out = run(&["rejects", rig.journal(), "-o", output], &[]);
        assert_eq!(code(&out), Some(2), "-o {output}: {}", stderr(&out));
        assert!(stderr(&out).contains(output), "{}", stderr(&out));
    }
    assert_eq!(
        std::fs::read(&rig.journal).expect("journal"),
        journal_before
    );
    assert_eq!(std::fs::read(&rig.input).expect("input"), input_before);
    // A path of its own works, and leaves no temporary file beside it.
    let fine = rig.dir.path().join("fix.csv");
    let out = run(
        &["rejects", rig.journal(), "-o", fine.to_str().unwrap()],
        &[],
    );
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    let text = std::fs::read_to_string(&fine).expect("rejects file");
    assert_eq!(text.lines().count(), 3, "header and two rows:\n{text}");
    let parts: Vec<_> = std::fs::read_dir(rig.dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(parts.is_empty(), "temporary files left: {parts:?}");
}

#[test]
fn validate_refuses_a_report_naming_the_input_and_two_reports_at_one_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.csv");
    write_customers(&input, 3, 1, "v");
    let before = std::fs::read(&input).expect("input");
    let input_arg = input.to_str().unwrap();
    for flag in ["--json", "--rejects", "--html"] {
        let out = run(
            &["validate", input_arg, "--to", "salesive", flag, input_arg],
            &[],
        );
        assert_eq!(code(&out), Some(2), "{flag}: {}", stderr(&out));
        assert!(stderr(&out).contains("the input"), "{}", stderr(&out));
    }
    assert_eq!(std::fs::read(&input).expect("input"), before);
    let report = dir.path().join("r.out");
    let r = report.to_str().unwrap();
    let out = run(
        &[
            "validate", input_arg, "--to", "salesive", "--json", r, "--html", r,
        ],
        &[],
    );
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    assert!(!report.exists());
}

#[test]
fn a_dash_sends_the_json_report_and_the_rejects_file_to_stdout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.csv");
    write_customers(&input, 3, 2, "dash");
    let input_arg = input.to_str().unwrap();
    // --json -: stdout is the JSON document alone; the summary is on stderr.
    let out = run(
        &["validate", input_arg, "--to", "salesive", "--json", "-"],
        &[],
    );
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    assert_eq!(report["summary"]["invalid"], 2);
    assert!(stderr(&out).contains("rows read"), "{}", stderr(&out));
    // --rejects -: the two invalid rows as CSV.
    let out = run(
        &["validate", input_arg, "--to", "salesive", "--rejects", "-"],
        &[],
    );
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(csv.starts_with("email,first_name"), "{csv}");
    assert_eq!(csv.lines().count(), 3, "{csv}");
    // --html -: one page.
    let out = run(
        &["validate", input_arg, "--to", "salesive", "--html", "-"],
        &[],
    );
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert!(page.trim_end().ends_with("</html>"), "{page}");
    // Two reports cannot share stdout.
    let out = run(
        &[
            "validate", input_arg, "--to", "salesive", "--json", "-", "--html", "-",
        ],
        &[],
    );
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    // rejects -o -: the import's rejects as CSV on stdout.
    let rig = Rig::with(SandboxConfig::default(), "salesive", (4, 2), "dasho");
    assert_eq!(code(&rig.import()), Some(1));
    let out = run(&["rejects", rig.journal(), "-o", "-"], &[]);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(
        csv.lines()
            .next()
            .unwrap_or("")
            .ends_with("_line,_stage,_errors"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(stderr(&out).contains("standard output"), "{}", stderr(&out));
}

/// Runs `args` with stdout and stderr pipes whose reading ends are closed
/// at once (as `2>&1 | head -1` leaves them after the first line).
fn run_with_closed_pipes(args: &[&str], env: &[(&str, String)]) -> std::process::ExitStatus {
    let mut child = command(args, env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    drop(child.stderr.take());
    child.wait().expect("wait")
}

#[test]
fn a_closed_stderr_and_stdout_never_panic_and_the_import_still_completes() {
    let rig = Rig::with(SandboxConfig::default(), "bitbybit", (8, 1), "pipe");
    // Not --quiet: the check lines, the plan and the summary all meet the
    // closed pipes.
    let args: Vec<&str> = rig.args().into_iter().filter(|a| *a != "--quiet").collect();
    let status = run_with_closed_pipes(&args, &env_for("bitbybit"));
    assert_eq!(status.code(), Some(1), "one invalid row; not a panic (101)");
    rig.sb.assert_each_stored_once("bitbybit", &rig.emails);
    let status = run_with_closed_pipes(&["validate", rig.input(), "--to", "bitbybit"], &[]);
    assert_eq!(status.code(), Some(1));
    let status = run_with_closed_pipes(&["status", rig.journal()], &[]);
    assert_ne!(status.code(), Some(101));
    let missing = rig.dir.path().join("missing.csv");
    let journal = rig.dir.path().join("x.journal");
    let args = import_args(
        missing.to_str().unwrap(),
        "bitbybit",
        journal.to_str().unwrap(),
        &rig.base,
    );
    let status = run_with_closed_pipes(&args, &env_for("bitbybit"));
    assert_eq!(
        status.code(),
        Some(2),
        "a missing input, said to a closed stderr"
    );
}

/// Starts a slow import, sends `signal` once its journal has a `sent` line,
/// and checks the exit code, the journal and a resume that completes it.
fn stop_by_signal_then_resume(signal: &str, exit: i32, tag: &str) {
    let rig = Rig::new("salesive", 40, tag);
    let mut args = rig.args();
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
    let sent = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let out = child.wait_with_output().expect("wait");
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(exit), "{text}");
    assert!(text.contains(&format!("SIG{signal}")), "{text}");
    assert!(text.contains("storeload resume"), "{text}");
    // The journal replays cleanly and ends with the run's end line.
    let replay = storeload::journal::replay(&rig.journal).expect("the journal replays");
    assert_eq!(replay.headers.len(), 1);
    let lines = journal_lines(&rig.journal);
    assert_eq!(lines.last().map(|l| l["type"].clone()), Some("end".into()));
    let out = rig.resume(&[]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    rig.sb.assert_each_stored_once("salesive", &rig.emails);
    assert_journal_agrees(&rig.journal, &rig.emails);
}

#[test]
fn sigterm_stops_like_ctrl_c_exits_143_and_resume_completes() {
    stop_by_signal_then_resume("TERM", 143, "term");
}

#[test]
fn sighup_stops_like_ctrl_c_exits_129_and_resume_completes() {
    stop_by_signal_then_resume("HUP", 129, "hup");
}

#[test]
fn a_journal_written_for_another_destination_is_refused_naming_both() {
    let rig = Rig::new("bigcommerce", 6, "dest");
    assert_eq!(code(&rig.import()), Some(0));
    let header = &journal_lines(&rig.journal)[0];
    assert_eq!(header["destination"]["base_url"], rig.base.as_str());
    assert_eq!(
        header["destination"]["store"],
        sandbox::BIGCOMMERCE_STORE_HASH
    );
    let header_text = header.to_string();
    assert!(
        !header_text.contains(sandbox::BIGCOMMERCE_ACCESS_TOKEN),
        "no credential in the header"
    );
    // Another server: refused before any request, naming both.
    let other = Sandbox::start(SandboxConfig::default());
    let other_base = other.base_url("bigcommerce");
    let args = import_args(rig.input(), "bigcommerce", rig.journal(), &other_base);
    let out = run(&args, &env_for("bigcommerce"));
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(
        text.contains(&rig.base) && text.contains(&other_base),
        "{text}"
    );
    assert!(other.customers("bigcommerce").is_empty());
    // Another store behind the same URL, on resume: refused too.
    let mut env = env_for("bigcommerce");
    env[0].1 = "otherstore".into();
    let out = run(&["resume", rig.journal()], &env);
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("otherstore"), "{}", stderr(&out));
}

#[test]
fn a_journal_without_a_destination_is_still_accepted() {
    let rig = Rig::new("salesive", 6, "olddest");
    let mut args = rig.args();
    args.extend(["--limit", "2"]);
    assert_eq!(code(&run(&args, &env_for("salesive"))), Some(1));
    // Rewrite the header as an older version wrote it: no destination.
    let text = std::fs::read_to_string(&rig.journal).expect("journal");
    let (first, rest) = text.split_once('\n').expect("a header line");
    // (As written, key order kept: the destination is the header's last key.)
    let at = first
        .find(",\"destination\":")
        .expect("this version writes a destination");
    let header = format!("{}}}", &first[..at]);
    assert!(
        serde_json::from_str::<serde_json::Value>(&header).is_ok(),
        "{header}"
    );
    std::fs::write(&rig.journal, format!("{header}\n{rest}")).expect("rewrite");
    let out = rig.resume(&[]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    rig.sb.assert_each_stored_once("salesive", &rig.emails);
}

#[test]
fn resume_from_another_folder_finds_the_input_by_its_absolute_path() {
    let rig = Rig::new("bitbybit", 6, "abs");
    // Started in the input's folder with relative paths…
    let args = [
        "import",
        "in.csv",
        "--to",
        "bitbybit",
        "--journal",
        "run.journal",
        "--base-url",
        &rig.base,
        "--quiet",
        "--rate",
        "1000/1s",
        "--limit",
        "2",
    ];
    let out = command(&args, &env_for("bitbybit"))
        .current_dir(rig.dir.path())
        .output()
        .expect("runs");
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    let header = &journal_lines(&rig.journal)[0];
    let recorded = header["input"]["path"].as_str().expect("input path");
    assert!(Path::new(recorded).is_absolute(), "{recorded}");
    // …resumed from `/`.
    let out = command(&["resume", rig.journal(), "--quiet"], &env_for("bitbybit"))
        .current_dir("/")
        .output()
        .expect("runs");
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    rig.sb.assert_each_stored_once("bitbybit", &rig.emails);
}

/// Runs storeload with `args`, bounded (a device read to its end never ends).
fn run_bounded(args: &[&str], env: &[(&str, String)]) -> std::process::Output {
    wait_bounded(spawn(args, env), &format!("{args:?}"))
}

#[test]
fn a_journal_path_naming_a_device_or_a_directory_is_refused_with_exit_2() {
    let rig = Rig::new("bigcommerce", 3, "device");
    let dir = rig.dir.path().to_str().expect("a UTF-8 path").to_string();
    for journal in ["/dev/zero", "/dev/null", dir.as_str()] {
        for args in [
            vec!["status", journal],
            vec!["resume", journal, "--quiet"],
            vec!["rejects", journal, "--output", "-"],
        ] {
            let out = run_bounded(&args, &env_for("bigcommerce"));
            assert_eq!(code(&out), Some(2), "{args:?}: {}", stderr(&out));
            assert!(
                stderr(&out).contains("not a regular file"),
                "{args:?}: {}",
                stderr(&out)
            );
        }
    }
    let mut args = import_args(rig.input(), "bigcommerce", "/dev/null", &rig.base);
    args.retain(|a| *a != "--quiet");
    let out = run_bounded(&args, &env_for("bigcommerce"));
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        stderr(&out)
    );
    assert!(
        rig.sb.email_counts("bigcommerce").is_empty(),
        "nothing sent"
    );
}

#[test]
fn status_of_a_journal_a_run_is_writing_says_so_rather_than_crashed() {
    let rig = Rig::held(2, 40, "live");
    let mut child = spawn(&rig.args(), &env_for("bigcommerce"));
    // Running: a batch is journaled sent (the quota then holds the rest).
    assert!(
        wait_for(&rig.journal, "sent", 1, &mut child),
        "nothing sent"
    );
    let out = run_bounded(&["status", rig.journal(), "--json", "-"], &[]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON status");
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let ended = child.wait_with_output().expect("wait");
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(status["running"], true, "{status}");
    assert!(
        stderr(&out).contains("a run is writing this journal now"),
        "{}",
        stderr(&out)
    );
    assert!(
        !stderr(&out).contains("killed or crashed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(code(&ended), Some(130));
    // Once the run has ended, it is no longer said to be running.
    let out = run_bounded(&["status", rig.journal(), "--json", "-"], &[]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON status");
    assert_eq!(status["running"], false, "{status}");
}

#[test]
fn a_key_header_or_a_token_no_request_can_carry_is_refused_naming_it() {
    let rig = Rig::new("bitbybit", 2, "hdr");
    let mut args = rig.args();
    args.extend(["--key-header", "x api key"]);
    let out = run_bounded(&args, &env_for("bitbybit"));
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("header name"), "{}", stderr(&out));
    // A token with a control character inside: refused before any
    // request, naming the variable and never showing the value.
    let secret = "bbb_test_SECRET\u{1}tail";
    let env = [("BITBYBIT_API_KEY", secret.to_string())];
    let out = run_bounded(&rig.args(), &env);
    assert_eq!(code(&out), Some(3), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains("BITBYBIT_API_KEY"), "{text}");
    assert!(!text.contains("SECRET"), "the value is never shown: {text}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("SECRET"));
    assert!(rig.sb.email_counts("bitbybit").is_empty(), "nothing sent");
}
