//! Every report format of `storeload validate`, through the binary: the
//! JSON report (every finding, a summary that adds up), the rejects file
//! (the input's header plus `_line` and `_errors`, exactly the invalid rows
//! with their values as read, and readable again), the HTML page
//! (self-contained, a chart, escaped values, at most 1,000 rows) and the
//! terminal summary.

mod common;

use std::collections::BTreeSet;

use common::{Work, arg, bad, lines_and_rules, sample, summary};
use serde_json::Value;

/// Parses a CSV file written by storeload into its header and rows (bytes).
fn read_csv(bytes: &[u8], delimiter: u8) -> (Vec<String>, Vec<csv::ByteRecord>) {
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(bytes);
    let header = r
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = r
        .byte_records()
        .collect::<Result<Vec<_>, _>>()
        .expect("every row has the header's width");
    (header, rows)
}

/// The rows of `path` as storeload reads them: line → fields.
fn input_rows(path: &std::path::Path) -> Vec<(u64, Vec<Vec<u8>>)> {
    use storeload::read::{self, RawBody, ReadOptions};
    let input = read::open(&arg(path), &ReadOptions::default()).unwrap();
    input
        .records
        .map(|r| match r.body {
            RawBody::Csv(rec) => (r.line, rec.iter().map(<[u8]>::to_vec).collect()),
            other => panic!("line {}: not a CSV row: {other:?}", r.line),
        })
        .collect()
}

// ---------------------------------------------------------------- JSON

#[test]
fn json_report_has_every_violation_with_its_fields_and_a_summary_that_adds_up() {
    let w = Work::new();
    let (run, report) = w.validate_json(&[&arg(&sample("customers.csv")), "--to", "bigcommerce"]);
    run.exits(1);
    assert_eq!(report["storeload_report"], 1);
    assert_eq!(report["context"]["input"], arg(&sample("customers.csv")));
    assert_eq!(report["context"]["platform"], "bigcommerce");
    assert_eq!(report["context"]["format"], "csv");
    assert!(
        report["context"]["mapping"]
            .as_str()
            .unwrap()
            .contains("shopify")
    );
    let violations = report["violations"].as_array().unwrap();
    assert_eq!(violations.len(), 12);
    for v in violations {
        let o = v.as_object().unwrap();
        let keys: BTreeSet<&str> = o.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            BTreeSet::from(["record", "line", "field", "rule", "message", "severity"]),
            "{v}"
        );
        assert!(v["record"].as_u64().unwrap() >= 1);
        let line = v["line"].as_u64().unwrap();
        assert!(!v["field"].as_str().unwrap().is_empty(), "{v}");
        assert!(v["rule"].as_str().unwrap().contains('.'), "{v}");
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("line {line}: ")),
            "{v}"
        );
        assert_eq!(v["severity"], "violation");
    }
    let s = &report["summary"];
    assert_eq!(summary(&report, "rows_read"), 50);
    assert_eq!(
        summary(&report, "valid") + summary(&report, "invalid"),
        summary(&report, "rows_read")
    );
    let invalid_records: BTreeSet<u64> = violations
        .iter()
        .map(|v| v["record"].as_u64().unwrap())
        .collect();
    assert_eq!(summary(&report, "invalid"), invalid_records.len() as u64);
    let counted: u64 = s["by_rule"]
        .as_object()
        .unwrap()
        .values()
        .map(|r| r["count"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, 12);
    assert_eq!(
        s["by_rule"]["email.invalid"]["example_lines"],
        serde_json::json!([45])
    );
    assert_eq!(s["would_send"]["records"], 38);
    assert_eq!(s["would_send"]["requests"], 4);
    assert_eq!(s["would_send"]["batch_size"], 10);
}

#[test]
fn json_report_lists_warnings_with_their_severity_and_counts_the_records() {
    let w = Work::new();
    let input = w.write(
        "w.csv",
        "email,first_name,last_name,phone\n\
         a@example.com,A,B,7.02255E+12\n\
         b@example.com,B,,1.2E+11\n",
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "bigcommerce"]);
    run.exits(1);
    let sev: Vec<(u64, String, String)> = report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["line"].as_u64().unwrap(),
                v["rule"].as_str().unwrap().to_string(),
                v["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        sev,
        vec![
            (2, "phone.scientific_notation".into(), "warning".into()),
            (3, "phone.scientific_notation".into(), "warning".into()),
            (3, "last_name.required".into(), "violation".into()),
        ]
    );
    assert_eq!(summary(&report, "valid"), 1);
    assert_eq!(summary(&report, "invalid"), 1);
    assert_eq!(summary(&report, "with_warnings"), 1);
    assert_eq!(
        report["summary"]["by_rule"]["phone.scientific_notation"]["severity"],
        "warning"
    );
}

#[test]
fn a_rule_found_twice_on_one_record_counts_that_record_once() {
    let w = Work::new();
    let input = w.write(
        "two.jsonl",
        r#"{"email": "a@example.com", "first_name": "A", "last_name": "B", "addresses": [{"address1": "1 St", "country_code": "US"}, {"address1": "2 St", "country_code": "US"}]}
"#,
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "bigcommerce"]);
    run.exits(1);
    assert_eq!(
        lines_and_rules(&report),
        vec![
            (1, "address.city.required".to_string()),
            (1, "address.city.required".to_string())
        ]
    );
    let r = &report["summary"]["by_rule"]["address.city.required"];
    assert_eq!(r["count"], 1, "{r}");
    assert_eq!(r["example_lines"], serde_json::json!([1]));
}

#[test]
fn json_report_of_a_valid_file_has_no_violations() {
    let w = Work::new();
    let (run, report) = w.validate_json(&[
        &arg(&sample("crm-export.csv")),
        "--to",
        "bigcommerce",
        "--mapping",
        &arg(&sample("mapping.toml")),
    ]);
    run.exits(0);
    assert_eq!(report["violations"], serde_json::json!([]));
    assert_eq!(report["summary"]["by_rule"], serde_json::json!({}));
    assert_eq!(summary(&report, "valid"), 10);
}

// ---------------------------------------------------------------- rejects

#[test]
fn rejects_has_the_input_header_and_exactly_the_invalid_rows_as_read() {
    let w = Work::new();
    let input = sample("customers.csv");
    let rejects = w.path("rejects.csv");
    w.run(&[
        "validate",
        &arg(&input),
        "--to",
        "bigcommerce",
        "--rejects",
        &arg(&rejects),
    ])
    .exits(1);
    let (header, rows) = read_csv(&w.read_bytes("rejects.csv"), b',');
    let input_header = std::fs::read_to_string(&input)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert_eq!(header[..header.len() - 2].join(","), input_header);
    assert_eq!(&header[header.len() - 2..], ["_line", "_errors"]);
    let originals = input_rows(&input);
    let lines: Vec<u64> = rows
        .iter()
        .map(|r| std::str::from_utf8(&r[20]).unwrap().parse().unwrap())
        .collect();
    assert_eq!(lines, (44..=55).collect::<Vec<u64>>());
    for row in &rows {
        let line: u64 = std::str::from_utf8(&row[20]).unwrap().parse().unwrap();
        let (_, fields) = originals.iter().find(|(l, _)| *l == line).unwrap();
        let got: Vec<Vec<u8>> = row.iter().take(20).map(<[u8]>::to_vec).collect();
        assert_eq!(&got, fields, "line {line}: values as read");
        let errors = std::str::from_utf8(&row[21]).unwrap();
        assert!(!errors.starts_with("line "), "{errors}");
    }
    let errors_44 = std::str::from_utf8(&rows[0][21]).unwrap();
    assert!(errors_44.starts_with("email.required: "), "{errors_44}");
}

#[test]
fn rejects_keep_a_multi_line_quoted_field_and_odd_values_byte_for_byte() {
    let w = Work::new();
    let note = "first line, with a comma\r\nsecond \"quoted\" line\n  third, indented  ";
    let text = format!(
        "email;first_name;last_name;notes\n\
         ok@example.com;Ok;Fine;\n\
         not an email;  Ann  ;Lee;\"{}\"\n\
         b@example.com;Bob;;'0042\n",
        note.replace('"', "\"\"")
    );
    let input = w.write("in.csv", &text);
    let rejects = w.path("rejects.csv");
    w.run(&[
        "validate",
        &arg(&input),
        "--to",
        "bigcommerce",
        "--rejects",
        &arg(&rejects),
    ])
    .exits(1);
    // The input's delimiter is kept.
    let (header, rows) = read_csv(&w.read_bytes("rejects.csv"), b';');
    assert_eq!(
        header,
        [
            "email",
            "first_name",
            "last_name",
            "notes",
            "_line",
            "_errors"
        ]
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][0], b"not an email");
    assert_eq!(&rows[0][1], b"  Ann  ", "untrimmed, as read");
    assert_eq!(&rows[0][3], note.as_bytes());
    assert_eq!(&rows[0][4], b"3");
    assert_eq!(&rows[1][3], b"'0042");
    assert_eq!(&rows[1][4], b"6");
    assert!(
        std::str::from_utf8(&rows[1][5])
            .unwrap()
            .contains("last_name.required")
    );
}

#[test]
fn rejects_fed_back_read_again_with_line_and_errors_as_unmapped_columns() {
    let w = Work::new();
    let rejects = w.path("rejects.csv");
    let (run, first) = w.validate_json(&[
        &arg(&sample("customers.csv")),
        "--to",
        "bigcommerce",
        "--rejects",
        &arg(&rejects),
    ]);
    run.exits(1);
    let (run, again) = w.validate_json(&[&arg(&rejects), "--to", "bigcommerce"]);
    run.exits(1)
        .stdout_has("preset shopify (detected from the header)")
        .stdout_has("unmapped columns (not sent): \"_line\", \"_errors\"");
    assert_eq!(summary(&again, "rows_read"), 12);
    // The same rules, but the duplicate: its first occurrence (line 2) was
    // valid, so it is not in the rejects file.
    let rules = |r: &Value| -> BTreeSet<String> {
        lines_and_rules(r).into_iter().map(|(_, r)| r).collect()
    };
    let mut want = rules(&first);
    want.remove("email.duplicate_in_file");
    assert_eq!(rules(&again), want);
    assert_eq!(summary(&again, "invalid"), 11);
}

#[test]
fn rejects_keep_a_row_with_the_wrong_field_count_in_the_headers_columns() {
    let w = Work::new();
    let rejects = w.path("rejects.csv");
    w.run(&[
        "validate",
        &arg(&bad("wrong_field_count.csv")),
        "--to",
        "bigcommerce",
        "--rejects",
        &arg(&rejects),
    ])
    .exits(1);
    // Every row has the header's 20 columns plus _line and _errors.
    let (header, rows) = read_csv(&w.read_bytes("rejects.csv"), b',');
    assert_eq!(header.len(), 22);
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][20], b"3");
    assert_eq!(&rows[1][20], b"5");
    // The long row's extra field is kept, with the delimiter that split it.
    assert!(
        rows[0].iter().any(|f| f.ends_with(b",EXTRA")),
        "{:?}",
        rows[0]
    );
    for row in &rows {
        assert!(
            std::str::from_utf8(&row[21])
                .unwrap()
                .starts_with("row.field_count: ")
        );
    }
    // And the file reads back without a field-count violation.
    let (run, again) = w.validate_json(&[&arg(&rejects), "--to", "bigcommerce"]);
    run.no_crash();
    assert!(
        !lines_and_rules(&again)
            .iter()
            .any(|(_, r)| r == "row.field_count"),
        "{again}"
    );
}

#[test]
fn rejects_keep_an_invalid_utf8_row_byte_for_byte() {
    let w = Work::new();
    let input = bad("invalid_utf8.csv");
    let rejects = w.path("rejects.csv");
    w.run(&[
        "validate",
        &arg(&input),
        "--to",
        "bigcommerce",
        "--rejects",
        &arg(&rejects),
    ])
    .exits(1);
    let (_, rows) = read_csv(&w.read_bytes("rejects.csv"), b',');
    assert_eq!(rows.len(), 1);
    let originals = input_rows(&input);
    let (_, fields) = originals.iter().find(|(l, _)| *l == 3).unwrap();
    let got: Vec<Vec<u8>> = rows[0].iter().take(20).map(<[u8]>::to_vec).collect();
    assert_eq!(&got, fields);
    assert!(rows[0][1].contains(&0xff), "{:?}", rows[0]);
}

#[test]
fn rejects_of_jsonl_input_are_jsonl_with_line_and_errors() {
    let w = Work::new();
    let rejects = w.path("rejects.jsonl");
    w.run(&[
        "validate",
        &arg(&sample("customers.jsonl")),
        "--to",
        "bigcommerce",
        "--rejects",
        &arg(&rejects),
    ])
    .exits(1);
    let text = w.read("rejects.jsonl");
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one object per line"))
        .collect();
    let lines: Vec<u64> = rows.iter().map(|r| r["_line"].as_u64().unwrap()).collect();
    assert_eq!(lines, (37..=48).collect::<Vec<u64>>());
    assert_eq!(rows[1]["email"], "ann at example.com");
    assert!(
        rows[1]["_errors"]
            .as_str()
            .unwrap()
            .starts_with("email.invalid: ")
    );
    // And it reads back: `_line` and `_errors` are unmapped keys.
    let (run, again) = w.validate_json(&[&arg(&rejects), "--to", "bigcommerce"]);
    run.exits(1);
    assert_eq!(summary(&again, "rows_read"), 12);
    assert_eq!(
        again["context"]["unmapped"],
        serde_json::json!(["_errors", "_line"])
    );
}

#[test]
fn rejects_of_an_all_valid_input_hold_only_the_header() {
    let w = Work::new();
    let rejects = w.path("rejects.csv");
    w.run(&[
        "validate",
        &arg(&sample("crm-export.csv")),
        "--to",
        "bigcommerce",
        "--mapping",
        &arg(&sample("mapping.toml")),
        "--rejects",
        &arg(&rejects),
    ])
    .exits(0);
    let (header, rows) = read_csv(&w.read_bytes("rejects.csv"), b';');
    assert_eq!(header.len(), 13);
    assert!(rows.is_empty());
}

// ---------------------------------------------------------------- HTML

/// Runs validate with `--html` and returns the page.
fn html_of(w: &Work, args: &[&str]) -> String {
    let html = arg(&w.path("report.html"));
    let mut all = vec!["validate"];
    all.extend_from_slice(args);
    all.extend(["--html", html.as_str()]);
    let run = w.run(&all);
    run.no_crash();
    w.read("report.html")
}

#[test]
fn html_is_self_contained_with_an_svg_chart() {
    let w = Work::new();
    let page = html_of(&w, &[&arg(&sample("customers.csv")), "--to", "bigcommerce"]);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<svg"), "a chart");
    let lower = page.to_lowercase();
    for external in [
        "src=\"http",
        "href=\"http",
        "src='http",
        "href='http",
        "src=\"//",
        "href=\"//",
        "<link",
        "@import",
        "url(",
    ] {
        assert!(!lower.contains(external), "external asset: {external}");
    }
    // The chart has a bar per rule; the findings a group per rule.
    assert_eq!(page.matches("<rect").count(), 12);
    assert_eq!(page.matches("<section class=\"group").count(), 12);
    assert!(page.contains("email.duplicate_in_file"));
}

#[test]
fn html_escapes_values_from_the_input() {
    let w = Work::new();
    let input = w.write(
        "xss.csv",
        "email,first_name,last_name\n\
         \"<script>alert('x')</script>\",A,B\n\
         \"a&b@<img src=x onerror=alert(1)>\",C,D\n",
    );
    let page = html_of(&w, &[&arg(&input), "--to", "bigcommerce"]);
    // The page's own filter script is the only one.
    assert_eq!(
        page.matches("<script").count(),
        1,
        "a value was not escaped"
    );
    assert!(!page.contains("<img"), "a value was not escaped");
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(page.contains("a&amp;b@&lt;img"));
}

#[test]
fn html_escapes_the_input_name() {
    let w = Work::new();
    let input = w.write("<b>.csv", "email,name\nbad,A\n");
    let page = html_of(&w, &[&arg(&input), "--to", "salesive"]);
    assert!(!page.contains("<b>.csv"));
    assert!(page.contains("&lt;b&gt;.csv"));
}

#[test]
fn html_shows_at_most_20_example_rows_per_rule() {
    let w = Work::new();
    let mut csv = String::from("email,name\n");
    for i in 0..1500 {
        csv.push_str(&format!("bad{i},N\n"));
    }
    let input = w.write("many.csv", csv);
    let page = html_of(&w, &[&arg(&input), "--to", "salesive"]);
    let rows = page.matches("<tbody class=\"example\"").count();
    assert_eq!(rows, 20);
    assert!(page.contains("20 of 1500 shown"), "the page says how many");
    assert!(page.contains("email.invalid"));
}

#[test]
fn html_of_an_all_valid_input_says_so() {
    let w = Work::new();
    let page = html_of(
        &w,
        &[
            &arg(&sample("crm-export.csv")),
            "--to",
            "bigcommerce",
            "--mapping",
            &arg(&sample("mapping.toml")),
        ],
    );
    assert!(page.contains("every record is valid"));
}

// ---------------------------------------------------------------- terminal

#[test]
fn terminal_shows_counts_by_rule_with_up_to_3_example_lines() {
    let w = Work::new();
    let mut csv = String::from("email,name\n");
    for i in 0..5 {
        csv.push_str(&format!("bad{i},N\n"));
    }
    csv.push_str("ok@example.com,\n");
    for i in 0..20 {
        csv.push_str(&format!("c{i}@example.com,C\n"));
    }
    let input = w.write("t.csv", csv);
    let run = w.run(&["validate", &arg(&input), "--to", "salesive"]);
    run.exits(1)
        .stdout_has("rows read          26")
        .stdout_has("valid              20")
        .stdout_has("invalid             6")
        .stdout_has("violations by rule:");
    let line_of = |rule: &str| -> Vec<String> {
        run.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(rule))
            .unwrap_or_else(|| panic!("no {rule} line\n{}", run.shown()))
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        line_of("email.invalid"),
        ["email.invalid", "5", "line", "2,", "3,", "4,", "…"]
    );
    assert_eq!(
        line_of("name.required"),
        ["name.required", "1", "line", "7"]
    );
    run.stdout_has("an import would send 20 customers in 20 requests (1 per request)");
}

#[test]
fn terminal_says_what_an_import_would_send_at_the_platforms_batch_size() {
    let w = Work::new();
    let mut csv = String::from("email,first_name,last_name\n");
    for i in 0..23 {
        csv.push_str(&format!("c{i}@example.com,C,D\n"));
    }
    let input = w.write("t.csv", csv);
    w.run(&["validate", &arg(&input), "--to", "bigcommerce"])
        .exits(0)
        .stdout_has("an import would send 23 customers in 3 requests (10 per request)");
    w.run(&["validate", &arg(&input), "--to", "bitbybit"])
        .exits(0)
        .stdout_has("an import would send 23 customers in 23 requests (1 per request)");
}

#[test]
fn terminal_names_the_preset_and_the_unmapped_columns() {
    let w = Work::new();
    let input = w.write("t.csv", "email,name,Shoe Size\na@example.com,A,42\n");
    w.run(&["validate", &arg(&input), "--to", "salesive"])
        .exits(0)
        .stdout_has("mapping: auto-mapped from the header's column names")
        .stdout_has("  email ← \"email\"")
        .stdout_has("columns: 3 · 2 sent to Salesive · 1 unmapped")
        .stdout_has("unmapped columns (not sent): \"Shoe Size\"");
}

#[test]
fn quiet_terminal_report_keeps_only_the_counts() {
    let w = Work::new();
    let run = w.run(&[
        "validate",
        &arg(&sample("customers.csv")),
        "--to",
        "bigcommerce",
        "--quiet",
    ]);
    run.exits(1).stdout_has("rows read          50");
    assert!(!run.stdout.contains("mapping:"), "{}", run.stdout);
}
