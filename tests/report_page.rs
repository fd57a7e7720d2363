//! The dry-run HTML report checked in a real browser: the page is rendered
//! in headless Chromium and its DOM read after the inline script ran
//! (`--dump-dom`): the verdict, the file-level problem of an unmapped
//! required field, the groups in order, an example row in the input's own
//! columns with its offending cell marked, and a filter (read from the URL
//! fragment) that hides the other rules.
//!
//! Chromium is `$STORELOAD_CHROMIUM`, else `chromium` on the PATH. When it
//! is absent the test prints why and passes, unless
//! `STORELOAD_REQUIRE_BROWSER` is set (`.ci/run` sets it and installs
//! Chromium), in which case it fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Work, arg};

/// The browser to use, or `None` (after saying why) when the test may skip.
fn chromium() -> Option<PathBuf> {
    let named = std::env::var_os("STORELOAD_CHROMIUM").map(PathBuf::from);
    let found = named.or_else(|| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join("chromium"))
                .find(|p| p.is_file())
        })
    });
    match found {
        Some(p) => Some(p),
        None if std::env::var_os("STORELOAD_REQUIRE_BROWSER").is_some() => {
            panic!(
                "STORELOAD_REQUIRE_BROWSER is set but no chromium was found (PATH or $STORELOAD_CHROMIUM); install it: apt-get install -y chromium"
            )
        }
        None => {
            println!(
                "SKIPPED: no chromium on the PATH; install it (apt-get install -y chromium) or set STORELOAD_CHROMIUM to run the browser check"
            );
            None
        }
    }
}

/// The DOM of `page` (with `fragment` after `#`) after its scripts ran.
fn dump_dom(browser: &Path, w: &Work, page: &Path, fragment: &str) -> String {
    let profile = tempfile::tempdir().expect("a browser profile directory");
    let url = format!("file://{}{fragment}", page.display());
    let out = w.path(&format!("dom{}.html", fragment.len()));
    let file = std::fs::File::create(&out).expect("a file for the DOM");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(&url)
        .stdout(file)
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    // Wait for the browser to exit, not for a fixed time; give up after a
    // minute so a hung browser fails the test rather than the suite.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match child.try_wait().expect("chromium can be waited on") {
            Some(status) => {
                assert!(status.success(), "chromium failed: {status}");
                break;
            }
            None if Instant::now() > deadline => {
                let _ = child.kill();
                panic!("chromium did not finish rendering {url} within a minute");
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    let dom = std::fs::read_to_string(&out).expect("the DOM as text");
    assert!(
        dom.contains("data-script=\"ran\""),
        "the page's script did not run:\n{dom}"
    );
    dom
}

/// The opening tag of every element whose tag starts with `start`.
fn tags<'a>(dom: &'a str, start: &str) -> Vec<&'a str> {
    dom.match_indices(start)
        .filter_map(|(at, _)| dom[at..].find('>').map(|end| &dom[at..at + end + 1]))
        .collect()
}

/// An attribute's value in an opening tag.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    let end = tag[at..].find('"')?;
    Some(&tag[at..at + end])
}

/// The text from the element with `id` to the end of that element's
/// section (up to the next `</section>`).
fn section<'a>(dom: &'a str, open: &str) -> &'a str {
    let at = dom
        .find(open)
        .unwrap_or_else(|| panic!("no {open} in the page:\n{dom}"));
    let end = dom[at..].find("</section>").map_or(dom.len(), |e| at + e);
    &dom[at..end]
}

#[test]
fn the_report_page_reads_right_in_a_browser_and_filters_by_rule() {
    let Some(browser) = chromium() else {
        return;
    };
    let w = Work::new();
    // No first-name column: every row fails first_name.required (a problem
    // of the whole file); two bad emails; a phone a spreadsheet mangled.
    let input = w.write(
        "shop.csv",
        "email,last_name,Phone\n\
         bad-one,Lee,+1 415 555 0100\n\
         ann@example.com,Stone,+1 415 555 0101\n\
         bob at example.com,Hall,+1 415 555 0102\n\
         carl@example.com,,4.47E+11\n\
         ann@example.com,Park,+1 415 555 0104\n",
    );
    let page = w.path("report.html");
    w.run(&[
        "validate",
        &arg(&input),
        "--to",
        "bigcommerce",
        "--html",
        &arg(&page),
    ])
    .exits(1);

    let dom = dump_dom(&browser, &w, &page, "");

    // The verdict comes first, with the counts.
    let verdict = tags(&dom, "<section id=\"verdict\"");
    assert_eq!(verdict.len(), 1, "{dom}");
    assert_eq!(attr(verdict[0], "data-verdict"), Some("not_ready"));
    let v = section(&dom, "<section id=\"verdict\"");
    assert!(v.contains("Not ready"), "{v}");
    assert!(v.contains("5 of 5 customers are invalid"), "{v}");
    assert!(
        dom.find("id=\"verdict\"") < dom.find("id=\"file-problems\""),
        "the verdict comes before the file's problems"
    );

    // The unmapped required field is a problem of the whole file, before
    // any row.
    let problems = section(&dom, "<section id=\"file-problems\"");
    let unmapped = tags(problems, "<li class=\"file-problem");
    assert!(
        unmapped
            .iter()
            .any(|t| attr(t, "data-kind") == Some("unmapped_required")
                && attr(t, "data-rule") == Some("first_name.required")),
        "{problems}"
    );
    assert!(
        problems
            .contains("no column is mapped to first name: all 5 records fail first_name.required"),
        "{problems}"
    );
    assert!(
        problems.contains("column Phone looks mangled by a spreadsheet"),
        "{problems}"
    );
    assert!(dom.find("id=\"file-problems\"") < dom.find("class=\"examples\""));

    // Groups: violations first, each severity largest first; none hidden
    // without a filter.
    let groups = tags(&dom, "<section class=\"group");
    let seen: Vec<(&str, &str, u64)> = groups
        .iter()
        .map(|t| {
            assert!(!t.contains("hidden"), "hidden without a filter: {t}");
            (
                attr(t, "data-rule").unwrap_or(""),
                attr(t, "data-severity").unwrap_or(""),
                attr(t, "data-count")
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(seen[0], ("first_name.required", "violation", 5), "{seen:?}");
    assert_eq!(seen[1], ("email.invalid", "violation", 2), "{seen:?}");
    for pair in seen.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        assert!(
            a.1 < b.1 || (a.1 == b.1 && a.2 >= b.2),
            "groups out of order: {seen:?}"
        );
    }
    assert_eq!(seen.last().map(|g| g.0), Some("phone.scientific_notation"));

    // An example row of email.invalid in the input's columns, the email
    // cell marked, the others plain.
    let group = section(&dom, "id=\"rule-email.invalid\"");
    assert!(group.contains("<th class=\"marked\">email</th>"), "{group}");
    let first = section(group, "<tbody class=\"example\"");
    let first = &first[..first.find("</tbody>").unwrap_or(first.len())];
    assert!(first.contains("data-line=\"2\""), "{first}");
    assert!(
        first
            .contains("<td class=\"bad\" title=\"email &quot;bad-one&quot; is not a valid address"),
        "{first}"
    );
    assert!(first.contains(">bad-one</td>"), "{first}");
    assert!(
        first.contains("<td>Lee</td><td>+1 415 555 0100</td>"),
        "{first}"
    );
    assert_eq!(first.matches("class=\"bad\"").count(), 1, "{first}");
    assert!(group.contains(">bob at example.com</td>"), "{group}");

    // Filtering to one rule (from the URL fragment) hides every other group.
    let filtered = dump_dom(&browser, &w, &page, "#rule=email.invalid");
    let groups = tags(&filtered, "<section class=\"group");
    assert_eq!(groups.len(), seen.len());
    for g in groups {
        let rule = attr(g, "data-rule").unwrap_or("");
        let hidden = g.contains(" hidden");
        assert_eq!(hidden, rule != "email.invalid", "{rule}: {g}");
    }
    assert!(
        filtered.contains("1 of 5 rules shown (filtered)"),
        "{filtered}"
    );
}
