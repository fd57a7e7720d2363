//! Nightly sync loads (`import --sync --state FILE`, issue 17) through the
//! CLI against the in-process sandbox each test starts on 127.0.0.1:0:
//! three nights (create, then create the new and update the changed, then
//! nothing), a kill -9 mid-night and its resume, `--ignore-blank`, the
//! refusals (a platform without updates, another store's state), and a
//! customer created outside storeload found and updated once.

mod support;

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;
use storeload::sandbox::{self, SandboxConfig};
use support::{Sandbox, env_for, journal_count, journal_lines, run};

/// One customer row: email, first name, last name, city, company.
#[derive(Clone)]
struct Row {
    email: String,
    first: String,
    last: String,
    city: String,
    company: String,
}

fn row(i: usize) -> Row {
    Row {
        email: format!("c{i}@example.com"),
        first: format!("First{i}"),
        last: format!("Last{i}"),
        city: "Springfield".into(),
        company: "Acme".into(),
    }
}

fn write_rows(path: &Path, rows: &[Row]) {
    let mut s = String::from("email,first_name,last_name,company,address1,city,country_code\n");
    for r in rows {
        s.push_str(&format!(
            "{},{},{},{},1 Main St,{},US\n",
            r.email, r.first, r.last, r.company, r.city
        ));
    }
    std::fs::write(path, s).expect("write input");
}

fn p(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temporary path")
}

/// `storeload import INPUT --to bigcommerce --sync --state STATE …` into
/// `base`, plus `extra`.
fn sync(input: &Path, journal: &Path, state: &Path, base: &str, extra: &[&str]) -> i32 {
    let mut args = support::import_args(p(input), "bigcommerce", p(journal), base);
    args.extend(["--sync", "--state", p(state)]);
    args.extend_from_slice(extra);
    run(&args, &env_for("bigcommerce"))
        .status
        .code()
        .unwrap_or(-1)
}

/// The sandbox's BigCommerce customers by email.
fn stored(sb: &Sandbox) -> HashMap<String, Value> {
    sb.customers("bigcommerce")
        .into_iter()
        .filter_map(|c| Some((c["email"].as_str()?.to_lowercase(), c)))
        .collect()
}

fn updates_of(c: &Value) -> u64 {
    c["_updates"].as_u64().unwrap_or(0)
}

fn city_of(c: &Value) -> String {
    c["addresses"]
        .as_array()
        .and_then(|a| a.first())
        .and_then(|a| a["city"].as_str())
        .unwrap_or("")
        .to_string()
}

/// Night 2's file from night 1's 1,000: the first 10 changed (city, last
/// name), the last 3 removed, 5 new at the end.
fn night2_rows() -> Vec<Row> {
    let mut rows: Vec<Row> = (0..997).map(row).collect();
    for r in rows.iter_mut().take(10) {
        r.city = "Shelbyville".into();
        r.last = format!("{}-Changed", r.last);
    }
    rows.extend((1000..1005).map(row));
    rows
}

/// A scratch folder with a sandbox: night 1 (1,000 customers) loaded.
struct Nights {
    sb: Sandbox,
    dir: tempfile::TempDir,
    base: String,
}

impl Nights {
    fn after_night1() -> Nights {
        let sb = Sandbox::start(SandboxConfig::default());
        let dir = tempfile::tempdir().expect("tempdir");
        let base = sb.base_url("bigcommerce");
        let n = Nights { sb, dir, base };
        let rows: Vec<Row> = (0..1000).map(row).collect();
        write_rows(&n.path("night1.csv"), &rows);
        let code = sync(
            &n.path("night1.csv"),
            &n.path("night1.journal"),
            &n.path("store.state"),
            &n.base,
            &[],
        );
        assert_eq!(code, 0, "night 1 creates every customer");
        assert_eq!(journal_count(&n.path("night1.journal"), "created"), 1000);
        assert!(n.path("store.state").exists(), "the state is written");
        n
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }
}

#[test]
fn three_nights_create_then_update_the_changed_and_create_the_new_then_send_nothing() {
    let n = Nights::after_night1();
    write_rows(&n.path("night2.csv"), &night2_rows());
    let code = sync(
        &n.path("night2.csv"),
        &n.path("night2.journal"),
        &n.path("store.state"),
        &n.base,
        &[],
    );
    assert_eq!(code, 0);
    let j2 = n.path("night2.journal");
    assert_eq!(journal_count(&j2, "created"), 5);
    assert_eq!(journal_count(&j2, "updated"), 10);
    assert_eq!(journal_count(&j2, "unchanged"), 987);
    assert_eq!(journal_count(&j2, "exists"), 0);
    let s = stored(&n.sb);
    assert_eq!(s.len(), 1005, "nothing deleted, 5 created");
    for i in 0..10 {
        let c = &s[&format!("c{i}@example.com")];
        assert_eq!(c["last_name"], format!("Last{i}-Changed"));
        assert_eq!(city_of(c), "Shelbyville");
        // The sandbox counts each change: the customer PUT and its
        // address's.
        assert_eq!(updates_of(c), 2);
    }
    let total: u64 = s.values().map(updates_of).sum();
    assert_eq!(total, 20, "only the changed are updated");
    assert_eq!(city_of(&s["c10@example.com"]), "Springfield");
    // Night 3, the same file: nothing to send.
    let code = sync(
        &n.path("night2.csv"),
        &n.path("night3.journal"),
        &n.path("store.state"),
        &n.base,
        &[],
    );
    assert_eq!(code, 0);
    let j3 = n.path("night3.journal");
    assert_eq!(journal_count(&j3, "sent"), 0, "no request");
    assert_eq!(journal_count(&j3, "unchanged"), 1002);
    let end = journal_lines(&j3)
        .into_iter()
        .rfind(|l| l["type"] == "end")
        .expect("an end line");
    assert_eq!(end["summary"]["requests"], 0, "{end}");
    let again = stored(&n.sb);
    assert_eq!(again.len(), 1005);
    assert_eq!(again.values().map(updates_of).sum::<u64>(), 20);
}

#[test]
fn a_night_killed_after_its_first_sent_line_resumes_and_sends_each_change_once() {
    let n = Nights::after_night1();
    write_rows(&n.path("night2.csv"), &night2_rows());
    let journal = n.path("night2.journal");
    let input = n.path("night2.csv");
    let mut args = support::import_args(p(&input), "bigcommerce", p(&journal), &n.base);
    // One request a second: the first request waits its turn after its
    // `sent` line, so the kill lands before it goes out.
    args.retain(|a| *a != "1000/1s");
    let rate_at = args.iter().position(|a| *a == "--rate").expect("--rate");
    args.insert(rate_at + 1, "1/1s");
    let state = n.path("store.state");
    args.extend(["--sync", "--state", p(&state)]);
    let mut child = support::command(&args, &env_for("bigcommerce"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary starts");
    assert!(
        support::wait_for(&journal, "sent", 1, &mut child),
        "the run wrote a sent line"
    );
    child.kill().expect("kill -9");
    child.wait().expect("reaped");
    let out = support::run(&["resume", p(&journal), "--quiet"], &env_for("bigcommerce"));
    assert_eq!(out.status.code(), Some(0));
    let s = stored(&n.sb);
    assert_eq!(s.len(), 1005);
    for i in 0..10 {
        let c = &s[&format!("c{i}@example.com")];
        // Once each: the customer PUT and its address's.
        assert_eq!(updates_of(c), 2, "c{i} updated once");
        assert_eq!(c["last_name"], format!("Last{i}-Changed"));
    }
    assert_eq!(s.values().map(updates_of).sum::<u64>(), 20);
    // The state has every outcome: the same file again sends nothing.
    let code = sync(
        &n.path("night2.csv"),
        &n.path("night3.journal"),
        &state,
        &n.base,
        &[],
    );
    assert_eq!(code, 0);
    assert_eq!(journal_count(&n.path("night3.journal"), "sent"), 0);
}

#[test]
fn ignore_blank_keeps_a_value_the_file_leaves_blank() {
    let sb = Sandbox::start(SandboxConfig::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let base = sb.base_url("bigcommerce");
    let (input, state) = (dir.path().join("in.csv"), dir.path().join("s.state"));
    write_rows(&input, &[row(1), row(2)]);
    assert_eq!(sync(&input, &dir.path().join("1.j"), &state, &base, &[]), 0);
    let mut kept = row(1);
    kept.company = String::new();
    kept.last = "Kept".into();
    let mut cleared = row(2);
    cleared.company = String::new();
    cleared.last = "Cleared".into();
    write_rows(&input, &[kept]);
    let code = sync(
        &input,
        &dir.path().join("2.j"),
        &state,
        &base,
        &["--ignore-blank"],
    );
    assert_eq!(code, 0);
    write_rows(&input, &[cleared]);
    assert_eq!(sync(&input, &dir.path().join("3.j"), &state, &base, &[]), 0);
    let s = stored(&sb);
    let one = &s["c1@example.com"];
    assert_eq!(one["last_name"], "Kept");
    assert_eq!(one["company"], "Acme", "--ignore-blank keeps it");
    let two = &s["c2@example.com"];
    assert_eq!(two["last_name"], "Cleared");
    assert_eq!(two["company"], "", "without it, a mapped blank clears");
}

#[test]
fn sync_to_a_platform_without_an_update_endpoint_exits_2() {
    let sb = Sandbox::start(SandboxConfig::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.csv");
    write_rows(&input, &[row(1)]);
    let base = sb.base_url("salesive");
    let mut args = support::import_args(p(&input), "salesive", "j", &base);
    let journal = dir.path().join("run.journal");
    args[5] = p(&journal);
    let state = dir.path().join("s.state");
    args.extend(["--sync", "--state", p(&state)]);
    let out = run(&args, &env_for("salesive"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--sync") && err.contains("Salesive"), "{err}");
    assert!(sb.customers("salesive").is_empty(), "nothing sent");
    assert!(!journal.exists() && !state.exists());
}

#[test]
fn the_state_refuses_a_run_against_another_store() {
    let first = Sandbox::start(SandboxConfig::default());
    let other = Sandbox::start(SandboxConfig::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let (input, state) = (dir.path().join("in.csv"), dir.path().join("s.state"));
    write_rows(&input, &[row(1)]);
    let code = sync(
        &input,
        &dir.path().join("1.j"),
        &state,
        &first.base_url("bigcommerce"),
        &[],
    );
    assert_eq!(code, 0);
    let before = std::fs::read(&state).expect("state written");
    let mut args = support::import_args(p(&input), "bigcommerce", "", "");
    let (journal, base) = (dir.path().join("2.j"), other.base_url("bigcommerce"));
    args[5] = p(&journal);
    args[7] = &base;
    args.extend(["--sync", "--state", p(&state)]);
    let out = run(&args, &env_for("bigcommerce"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(p(&state)), "names the state: {err}");
    assert!(other.customers("bigcommerce").is_empty(), "nothing sent");
    assert_eq!(std::fs::read(&state).expect("state"), before, "unchanged");
}

#[test]
fn a_customer_created_outside_storeload_is_found_recorded_and_updated_once() {
    let sb = Sandbox::start(SandboxConfig::default());
    let base = sb.base_url("bigcommerce");
    // Put it in the store first, as another app would.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let status = rt.block_on(async {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("a client")
            .post(format!("{base}/customers"))
            .header("X-Auth-Token", sandbox::BIGCOMMERCE_ACCESS_TOKEN)
            .json(&serde_json::json!([{
                "email": "c1@example.com", "first_name": "Old", "last_name": "Name"
            }]))
            .send()
            .await
            .expect("the sandbox answers")
            .status()
            .as_u16()
    });
    assert_eq!(status, 200);
    let dir = tempfile::tempdir().expect("tempdir");
    let (input, state) = (dir.path().join("in.csv"), dir.path().join("s.state"));
    write_rows(&input, &[row(1), row(2)]);
    let journal = dir.path().join("1.j");
    assert_eq!(sync(&input, &journal, &state, &base, &[]), 0);
    let lines = journal_lines(&journal);
    let about = |kind: &str| {
        lines
            .iter()
            .filter(|l| l["type"] == kind && l["key"] == "c1@example.com")
            .filter(|l| kind != "exists" || l["id"].is_string())
            .count()
    };
    assert_eq!(about("exists"), 1, "found, with its id");
    assert_eq!(about("updated"), 1, "updated once");
    let s = stored(&sb);
    assert_eq!(s.len(), 2);
    let c1 = &s["c1@example.com"];
    assert_eq!(
        (c1["first_name"].as_str(), c1["last_name"].as_str()),
        (Some("First1"), Some("Last1"))
    );
    // One update: the customer PUT, and its address added.
    assert_eq!(updates_of(c1), 2);
    assert_eq!(city_of(c1), "Springfield", "its address added");
    // Its id and hash are in the state: the next night sends nothing.
    let next = dir.path().join("2.j");
    assert_eq!(sync(&input, &next, &state, &base, &[]), 0);
    assert_eq!(journal_count(&next, "sent"), 0);
    assert_eq!(journal_count(&next, "unchanged"), 2);
}

#[test]
fn a_sync_import_refuses_a_journal_that_already_holds_a_run() {
    let sb = Sandbox::start(SandboxConfig::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let (input, state) = (dir.path().join("in.csv"), dir.path().join("s.state"));
    let journal = dir.path().join("night.journal");
    let base = sb.base_url("bigcommerce");
    write_rows(&input, &[row(1), row(2)]);
    assert_eq!(sync(&input, &journal, &state, &base, &[]), 0);
    // The next night with the same journal would skip every changed
    // customer as known: refused, naming resume and a new journal.
    let mut changed = row(1);
    changed.city = "Elsewhere".into();
    write_rows(&input, &[changed, row(2)]);
    let before = std::fs::read(&journal).expect("journal");
    assert_eq!(sync(&input, &journal, &state, &base, &[]), 2);
    assert_eq!(
        std::fs::read(&journal).expect("journal"),
        before,
        "untouched"
    );
}

#[test]
fn sync_into_the_in_process_sandbox_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.csv");
    write_rows(&input, &[row(1)]);
    let journal = dir.path().join("run.journal");
    let state = dir.path().join("s.state");
    let out = run(
        &[
            "import",
            p(&input),
            "--to",
            "bigcommerce",
            "--journal",
            p(&journal),
            "--sandbox",
            "--sync",
            "--state",
            p(&state),
        ],
        &env_for("bigcommerce"),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--sandbox"), "{err}");
    assert!(!state.exists());
}

#[cfg(unix)]
#[test]
fn a_plan_reads_the_state_without_touching_it_and_a_real_run_refuses_a_read_only_one() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::start(SandboxConfig::default());
    let base = sb.base_url("bigcommerce");
    let dir = tempfile::tempdir().expect("tempdir");
    let (input, state) = (dir.path().join("in.csv"), dir.path().join("s.state"));
    let lock = dir.path().join("s.state.lock");
    write_rows(&input, &[row(1), row(2)]);
    assert_eq!(sync(&input, &dir.path().join("1.j"), &state, &base, &[]), 0);
    let mut changed = vec![row(1), row(2), row(3)];
    changed[0].city = "Shelbyville".into();
    write_rows(&input, &changed);
    std::fs::remove_file(&lock).expect("the first run's lock");
    let bytes = std::fs::read(&state).expect("state written");
    let mtime = std::fs::metadata(&state)
        .and_then(|m| m.modified())
        .expect("mtime");

    // Writable or read-only (0444), a plan reads the state and leaves it
    // as it was: same bytes, same mtime, no lock file beside it.
    for mode in [0o644, 0o444] {
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(mode)).expect("chmod");
        let mut args = support::import_args(p(&input), "bigcommerce", "", &base);
        let journal = dir.path().join(format!("plan-{mode:o}.j"));
        args[5] = p(&journal);
        args.extend(["--sync", "--state", p(&state), "--plan"]);
        let out = run(&args, &env_for("bigcommerce"));
        assert_eq!(out.status.code(), Some(0), "mode {mode:o}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("1 to create · 1 to update · 1 unchanged"),
            "mode {mode:o}: {err}"
        );
        assert_eq!(
            std::fs::read(&state).expect("state"),
            bytes,
            "mode {mode:o}"
        );
        let after = std::fs::metadata(&state)
            .and_then(|m| m.modified())
            .expect("mtime");
        assert_eq!(after, mtime, "mode {mode:o}: the state's mtime moved");
        assert!(
            !lock.exists(),
            "mode {mode:o}: a plan took the state's lock"
        );
    }
    let held = stored(&sb);
    assert_eq!(held.len(), 2, "a plan creates nothing");
    assert_eq!(
        updates_of(&held["c1@example.com"]),
        0,
        "a plan updates nothing"
    );

    // A run that sends refuses the read-only state before any request:
    // exit 2, naming the file and what to do.
    let journal = dir.path().join("2.j");
    let mut args = support::import_args(p(&input), "bigcommerce", "", &base);
    args[5] = p(&journal);
    args.extend(["--sync", "--state", p(&state)]);
    let out = run(&args, &env_for("bigcommerce"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(p(&state)), "names the state: {err}");
    assert!(
        err.contains("read-only") && err.contains("chmod u+w"),
        "{err}"
    );
    assert_eq!(std::fs::read(&state).expect("state"), bytes);
    assert!(!lock.exists());
    let held = stored(&sb);
    assert_eq!((held.len(), updates_of(&held["c1@example.com"])), (2, 0));
    assert_eq!(city_of(&held["c1@example.com"]), "Springfield");
}

#[test]
fn a_sync_plan_says_once_that_attribute_values_are_not_updated() {
    let sb = Sandbox::start(SandboxConfig::default());
    let base = sb.base_url("bigcommerce");
    let dir = tempfile::tempdir().expect("tempdir");
    let (input, state) = (dir.path().join("in.jsonl"), dir.path().join("s.state"));
    let line = |i: usize, value: &str| {
        let mut c = serde_json::json!({
            "email": format!("c{i}@example.com"),
            "first_name": format!("First{i}"),
            "last_name": format!("Last{i}"),
        });
        if !value.is_empty() {
            c["attributes"] = serde_json::json!([{"attribute_id": 1, "attribute_value": value}]);
        }
        c.to_string() + "\n"
    };
    std::fs::write(&input, line(1, "gold") + &line(2, "") + &line(3, "red")).expect("input");
    let plan = |journal: &str| {
        let mut args = support::import_args(p(&input), "bigcommerce", "", &base);
        let journal = dir.path().join(journal);
        args[5] = p(&journal);
        args.extend(["--sync", "--state", p(&state), "--plan"]);
        let out = run(&args, &env_for("bigcommerce"));
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = plan("p1.j");
    let sentence = "attribute values (2 records carry some) are sent when a customer is created, but --sync does not update them on existing customers";
    assert_eq!(err.matches(sentence).count(), 1, "{err}");
    // The same after a night: a changed value is still not an update (the
    // hash covers what an update carries, and states written before keep
    // matching), and the plan says why.
    assert_eq!(sync(&input, &dir.path().join("1.j"), &state, &base, &[]), 0);
    std::fs::write(&input, line(1, "platinum") + &line(2, "") + &line(3, "red")).expect("input");
    let err = plan("p2.j");
    assert!(
        err.contains("0 to create · 0 to update · 3 unchanged"),
        "{err}"
    );
    assert_eq!(err.matches(sentence).count(), 1, "{err}");
    // Without attribute values in the input, no such sentence.
    std::fs::write(&input, line(1, "") + &line(2, "")).expect("input");
    assert!(!plan("p3.j").contains("attribute values"));
}

/// `rows` with a column no rule reads, padded so that the file is over
/// half the dry pass's 64 MB keep budget: the run then reads it again and
/// decides each record in its own pipeline, not from the dry pass's.
fn write_padded_rows(path: &Path, rows: &[Row]) {
    let pad = "x".repeat(900_000);
    let mut s =
        String::from("email,first_name,last_name,company,address1,city,country_code,Padding\n");
    for r in rows {
        s.push_str(&format!(
            "{},{},{},{},1 Main St,{},US,{pad}\n",
            r.email, r.first, r.last, r.company, r.city
        ));
    }
    std::fs::write(path, s).expect("write input");
}

#[test]
fn a_file_too_large_to_keep_is_read_again_and_synced_the_same() {
    let sb = Sandbox::start(SandboxConfig::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let base = sb.base_url("bigcommerce");
    let path = |name: &str| dir.path().join(name);
    let rows: Vec<Row> = (0..40).map(row).collect();
    write_padded_rows(&path("night1.csv"), &rows);
    assert!(
        std::fs::metadata(path("night1.csv"))
            .expect("written")
            .len()
            > 32 << 20,
        "over half the keep budget"
    );
    let code = sync(
        &path("night1.csv"),
        &path("n1.journal"),
        &path("s.state"),
        &base,
        &[],
    );
    assert_eq!(code, 0);
    assert_eq!(journal_count(&path("n1.journal"), "created"), 40);
    let mut night2 = rows.clone();
    for r in night2.iter_mut().skip(3).step_by(8) {
        r.city = "Shelbyville".into();
    }
    write_padded_rows(&path("night2.csv"), &night2);
    let code = sync(
        &path("night2.csv"),
        &path("n2.journal"),
        &path("s.state"),
        &base,
        &[],
    );
    assert_eq!(code, 0);
    let j2 = path("n2.journal");
    assert_eq!(journal_count(&j2, "updated"), 5);
    assert_eq!(journal_count(&j2, "unchanged"), 35);
    assert_eq!(journal_count(&j2, "created"), 0);
    let s = stored(&sb);
    for (i, r) in night2.iter().enumerate() {
        assert_eq!(city_of(&s[&r.email]), r.city, "customer {i}");
    }
}
