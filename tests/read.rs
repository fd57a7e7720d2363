//! The reader's edge cases, through the binary (`--json` gives every
//! violation with its line) and, for positions, through the library: BOM,
//! CRLF, quoted multi-line fields, delimiter detection and `--delimiter`,
//! gzip by magic bytes, stdin, JSONL blank lines, malformed rows with their
//! lines — and the bad-input corpus in `tests/data/bad/` (README there),
//! where each input is either one clear error with exit 2 or per-record
//! violations with their lines, and never a panic.

mod common;

use common::{
    Work, arg, bad, check_file, gzip, lines_and_rules, positions, sample, summary, warnings,
};
use storeload::platform::PlatformId;
use storeload::read::{Format, ReadOptions};

/// `(line, rule)` pairs, for comparing with `lines_and_rules`.
fn lr(items: &[(u64, &str)]) -> Vec<(u64, String)> {
    items.iter().map(|(l, r)| (*l, r.to_string())).collect()
}

const GENERIC_HEADER: &str = "email,first_name,last_name,address1,city,country_code";

// ---------------------------------------------------------------- CSV shape

#[test]
fn csv_bom_is_not_part_of_the_first_column_name() {
    let w = Work::new();
    let input = w.write(
        "bom.csv",
        format!("\u{feff}{GENERIC_HEADER}\nann@example.com,Ann,Lee,1 Main St,Springfield,US\n"),
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "bigcommerce"]);
    // Every column is mapped (a BOM glued to "email" would leave it unknown).
    run.exits(0);
    assert_eq!(report["context"]["unmapped"], serde_json::json!([]));
    assert_eq!(summary(&report, "valid"), 1);
}

#[test]
fn csv_with_bom_crlf_and_semicolons_reads_three_valid_shopify_records_on_their_lines() {
    // Lines 2, 3 and 5: line 3's Note holds a line break inside quotes.
    let path = bad("bom_crlf_semicolon.csv");
    let bytes = std::fs::read(&path).unwrap();
    let found = positions(&path, &ReadOptions::default());
    let lines: Vec<(u64, u64)> = found.iter().map(|(n, l, _)| (*n, *l)).collect();
    assert_eq!(lines, vec![(1, 2), (2, 3), (3, 5)]);
    // Each offset is the record's own first byte, not the LF of the CRLF
    // before it.
    for (_, _, offset) in &found {
        assert!(
            bytes[*offset as usize..].starts_with(b"6123456789"),
            "offset {offset} starts {:?}",
            String::from_utf8_lossy(&bytes[*offset as usize..*offset as usize + 12])
        );
    }
    let w = Work::new();
    let (run, report) = w.validate_json(&[&arg(&path), "--to", "bigcommerce"]);
    run.exits(0).stdout_has("preset shopify (detected");
    assert_eq!(summary(&report, "valid"), 3);
    assert!(
        !report["context"]["unmapped"]
            .to_string()
            .contains("Customer ID"),
        "the BOM hid Customer ID: {}",
        report["context"]
    );
}

#[test]
fn crlf_line_ends_give_each_violation_the_files_own_line() {
    let w = Work::new();
    let input = w.write(
        "crlf.csv",
        "email,first_name,last_name\r\n\
         a@example.com,Ann,\"Lee\r\nof two lines\"\r\n\
         bad,Bob,Stone\r\n\
         c@example.com,,Cy\r\n",
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "salesive"]);
    run.exits(1);
    assert_eq!(
        lines_and_rules(&report),
        lr(&[(4, "email.invalid")]),
        "{report}"
    );
    let found = positions(&input, &ReadOptions::default());
    let lines: Vec<u64> = found.iter().map(|(_, l, _)| *l).collect();
    assert_eq!(lines, vec![2, 4, 5]);
}

#[test]
fn lone_cr_line_ends_count_as_lines() {
    // Old Mac spreadsheets end lines with CR alone.
    let w = Work::new();
    let input = w.write(
        "mac.csv",
        "email,name\ra@example.com,A\rbad,\"B\rC\"\rc@example.com,\r",
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "salesive"]);
    run.exits(1);
    assert_eq!(
        lines_and_rules(&report),
        lr(&[(3, "email.invalid"), (5, "name.required")])
    );
}

#[test]
fn quoted_multi_line_field_keeps_the_next_records_line_right() {
    let w = Work::new();
    let input = w.write(
        "multi.csv",
        "email,first_name,last_name,notes\n\
         a@example.com,Ann,Lee,\"first line, with a comma\n\
         second \"\"quoted\"\" line\n\
         third line\"\n\
         not-an-email,Bob,Stone,\n\
         c@example.com,Cy,,\n",
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "bigcommerce"]);
    run.exits(1);
    assert_eq!(
        lines_and_rules(&report),
        lr(&[(5, "email.invalid"), (6, "last_name.required")])
    );
    assert_eq!(report["violations"][0]["record"], 2);
    assert_eq!(report["violations"][1]["record"], 3);
    assert!(
        report["violations"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("line 5: ")
    );
}

#[test]
fn blank_lines_between_csv_rows_are_skipped_and_lines_still_count() {
    let w = Work::new();
    let input = w.write(
        "blank.csv",
        "email,first_name,last_name\n\na@example.com,Ann,Lee\n\n\nbad,Bob,Stone\n",
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "salesive"]);
    run.exits(1);
    assert_eq!(summary(&report, "rows_read"), 2);
    assert_eq!(lines_and_rules(&report), lr(&[(6, "email.invalid")]));
}

#[test]
fn semicolon_tab_and_pipe_delimiters_are_detected() {
    let w = Work::new();
    for (file, delimiter) in [
        ("bom_crlf_semicolon.csv", b';'),
        ("tab.tsv", b'\t'),
        ("pipe.csv", b'|'),
    ] {
        let input = storeload::read::open(&arg(&bad(file)), &ReadOptions::default()).unwrap();
        assert_eq!(input.delimiter, Some(delimiter), "{file}");
        assert_eq!(input.columns.len(), 20, "{file}: {:?}", input.columns);
        let (run, report) = w.validate_json(&[&arg(&bad(file)), "--to", "bigcommerce"]);
        run.exits(0).stdout_has("preset shopify");
        assert_eq!(summary(&report, "rows_read"), 3, "{file}");
        assert_eq!(summary(&report, "valid"), 3, "{file}");
    }
    let input = w.write(
        "semi.csv",
        "email;first_name;last_name;company\n\
         ann@example.com;Ann;Lee;\"Lee, Lee; and Sons\"\n\
         bob@example.com;Bob;Stone;Stone, Ltd\n",
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "bigcommerce"]);
    run.exits(0);
    assert_eq!(summary(&report, "valid"), 2);
}

#[test]
fn delimiter_option_overrides_detection() {
    let w = Work::new();
    // The header has more commas (in one column's name) than tabs.
    let input = w.write(
        "odd.txt",
        "email\tfirst_name\tlast_name\tseen in: a,b,c,d,e\n\
         ann@example.com\tAnn\tLee\tx,y\n",
    );
    let (run, report) =
        w.validate_json(&[&arg(&input), "--to", "bigcommerce", "--delimiter", "tab"]);
    run.exits(0);
    assert_eq!(summary(&report, "valid"), 1);
    assert_eq!(
        report["context"]["unmapped"],
        serde_json::json!(["seen in: a,b,c,d,e"])
    );
    // And a wrong override is obeyed too: one column, which no preset fits.
    let semi = w.write(
        "semi.csv",
        "email;first_name;last_name\na@example.com;A;B\n",
    );
    w.run(&[
        "validate",
        &arg(&semi),
        "--to",
        "bigcommerce",
        "--delimiter",
        ",",
    ])
    .exits(2)
    .stderr_has("email;first_name;last_name");
    w.run(&[
        "validate",
        &arg(&semi),
        "--to",
        "bigcommerce",
        "--delimiter",
        ";",
    ])
    .exits(0);
}

#[test]
fn a_delimiter_that_is_not_one_character_is_a_usage_error() {
    let w = Work::new();
    w.run(&[
        "validate",
        &arg(&sample("customers.csv")),
        "--to",
        "bigcommerce",
        "--delimiter",
        ";;",
    ])
    .exits(2)
    .stderr_has("delimiter");
}

#[test]
fn format_option_overrides_the_extension() {
    let w = Work::new();
    let input = w.write(
        "customers.txt",
        "{\"email\": \"ann@example.com\", \"first_name\": \"Ann\", \"last_name\": \"Lee\"}\n",
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "salesive", "--format", "jsonl"]);
    run.exits(0);
    assert_eq!(report["context"]["format"], "jsonl");
    assert_eq!(summary(&report, "valid"), 1);
}

// ---------------------------------------------------------------- gzip, stdin

/// The violations of `samples/customers.csv` for BigCommerce, as the JSON
/// report lists them.
fn plain_sample_violations(w: &Work) -> Vec<(u64, String)> {
    let (run, report) = w.validate_json(&[&arg(&sample("customers.csv")), "--to", "bigcommerce"]);
    run.exits(1);
    lines_and_rules(&report)
}

#[test]
fn gzip_is_found_by_its_magic_bytes_with_or_without_the_gz_name() {
    let w = Work::new();
    let plain = plain_sample_violations(&w);
    assert_eq!(plain.len(), 12, "samples/README.md lists 12: {plain:?}");
    for (file, extra) in [
        ("customers.csv.gz", None),
        ("gz_without_suffix", None),
        ("gz_without_suffix", Some("csv")),
    ] {
        let path = arg(&bad(file));
        let mut args = vec![path.as_str(), "--to", "bigcommerce"];
        if let Some(f) = extra {
            args.extend(["--format", f]);
        }
        let (run, report) = w.validate_json(&args);
        run.exits(1);
        assert_eq!(summary(&report, "rows_read"), 50, "{file}");
        assert_eq!(lines_and_rules(&report), plain, "{file}");
    }
}

#[test]
fn gzipped_jsonl_is_read_like_the_plain_file() {
    let w = Work::new();
    let jsonl = std::fs::read(sample("customers.jsonl")).unwrap();
    let plain = w.validate_json(&[&arg(&sample("customers.jsonl")), "--to", "bigcommerce"]);
    let gz = w.write("customers.jsonl.gz", gzip(&jsonl));
    let (run, report) = w.validate_json(&[&arg(&gz), "--to", "bigcommerce"]);
    run.exits(1);
    assert_eq!(lines_and_rules(&report), lines_and_rules(&plain.1));
    assert_eq!(report["summary"], plain.1["summary"]);
}

#[test]
fn stdin_csv_reads_like_the_file() {
    let w = Work::new();
    let plain = plain_sample_violations(&w);
    let bytes = std::fs::read(sample("customers.csv")).unwrap();
    let json = arg(&w.path("stdin.json"));
    let run = w.run_stdin(
        &["validate", "-", "--to", "bigcommerce", "--json", &json],
        bytes,
    );
    run.exits(1).stdout_has("stdin");
    let report: serde_json::Value = serde_json::from_str(&w.read("stdin.json")).unwrap();
    assert_eq!(lines_and_rules(&report), plain);
    assert_eq!(report["context"]["input"], "stdin");
}

#[test]
fn stdin_jsonl_is_recognised_by_its_content_or_by_format() {
    let w = Work::new();
    let bytes = std::fs::read(sample("customers.jsonl")).unwrap();
    let (_, file_report) = w.validate_json(&[&arg(&sample("customers.jsonl")), "--to", "bitbybit"]);
    for format in [None, Some("jsonl")] {
        let json = arg(&w.path("stdin.json"));
        let mut args = vec!["validate", "-", "--to", "bitbybit", "--json", json.as_str()];
        if let Some(f) = format {
            args.extend(["--format", f]);
        }
        let run = w.run_stdin(&args, bytes.clone());
        run.no_crash();
        let report: serde_json::Value = serde_json::from_str(&w.read("stdin.json")).unwrap();
        assert_eq!(report["context"]["format"], "jsonl");
        assert_eq!(report["summary"], file_report["summary"], "{}", run.shown());
        assert_eq!(lines_and_rules(&report), lines_and_rules(&file_report));
    }
}

#[test]
fn gzipped_stdin_is_read() {
    let w = Work::new();
    let bytes = std::fs::read(bad("customers.csv.gz")).unwrap();
    let run = w.run_stdin(&["validate", "-", "--to", "bigcommerce"], bytes);
    run.exits(1).stdout_has("rows read          50");
}

#[test]
fn empty_stdin_is_a_clear_error() {
    let w = Work::new();
    w.run_stdin(&["validate", "-", "--to", "bigcommerce"], Vec::new())
        .exits(2)
        .stderr_has("empty");
}

// ---------------------------------------------------------------- JSONL

#[test]
fn jsonl_blank_lines_are_skipped_and_lines_still_count() {
    let w = Work::new();
    let input = w.write(
        "blank.jsonl",
        "{\"email\": \"a@example.com\", \"name\": \"A\"}\n\
         \n   \n\r\n\
         {\"email\": \"not an email\", \"name\": \"B\"}\n\
         \n\
         {\"email\": \"c@example.com\"}\n",
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "salesive"]);
    run.exits(1);
    assert_eq!(summary(&report, "rows_read"), 3);
    assert_eq!(
        lines_and_rules(&report),
        lr(&[(5, "email.invalid"), (7, "name.required")])
    );
    assert_eq!(report["violations"][0]["record"], 2);
    assert_eq!(report["violations"][1]["record"], 3);
}

#[test]
fn jsonl_with_a_bom_and_crlf_reads() {
    let w = Work::new();
    let input = w.write(
        "bom.jsonl",
        "\u{feff}{\"email\": \"a@example.com\", \"name\": \"A\"}\r\n{\"email\": \"b@\", \"name\": \"B\"}\r\n",
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "salesive"]);
    run.exits(1);
    assert_eq!(lines_and_rules(&report), lr(&[(2, "email.invalid")]));
}

#[test]
fn jsonl_keys_that_the_first_line_lacks_are_still_read() {
    // JSONL lines need not share their keys: a field that first appears on
    // a later line is mapped all the same.
    let w = Work::new();
    let input = w.write(
        "sparse.jsonl",
        "{\"email\": \"a@example.com\", \"first_name\": \"A\", \"last_name\": \"Z\"}\n\
         {\"email\": \"b@example.com\", \"first_name\": \"B\", \"last_name\": \"Z\", \"company\": \"\
         "
        .to_string()
            + &"c".repeat(256)
            + "\"}\n",
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "bigcommerce"]);
    run.exits(1);
    assert_eq!(lines_and_rules(&report), lr(&[(2, "company.too_long")]));
}

#[test]
fn a_jsonl_line_that_is_not_an_object_is_a_violation_with_its_line() {
    let w = Work::new();
    let (run, report) = w.validate_json(&[&arg(&bad("not_object.jsonl")), "--to", "bigcommerce"]);
    run.exits(1);
    assert_eq!(
        lines_and_rules(&report),
        lr(&[(2, "row.not_an_object"), (4, "row.not_an_object")])
    );
    assert_eq!(summary(&report, "valid"), 3);
    let msg = report["violations"][0]["message"].as_str().unwrap();
    assert!(msg.contains("string"), "{msg}");
}

#[test]
fn an_invalid_json_line_is_a_violation_with_its_line_and_the_run_goes_on() {
    let w = Work::new();
    let input = w.write(
        "broken.jsonl",
        "{\"email\": \"a@example.com\", \"name\": \"A\"}\n\
         {\"email\": \"b@example.com\", \"name\": }\n\
         {\"email\": \"c@example.com\", \"name\": \"C\"}\n",
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "salesive"]);
    run.exits(1);
    assert_eq!(lines_and_rules(&report), lr(&[(2, "row.invalid_json")]));
    assert_eq!(summary(&report, "valid"), 2);
}

#[test]
fn a_truncated_last_jsonl_line_is_a_violation_with_its_line() {
    let w = Work::new();
    let (run, report) = w.validate_json(&[
        &arg(&bad("truncated_last_line.jsonl")),
        "--to",
        "bigcommerce",
    ]);
    run.exits(1);
    assert_eq!(lines_and_rules(&report), lr(&[(4, "row.invalid_json")]));
    assert_eq!(summary(&report, "valid"), 3);
}

#[test]
fn a_csv_with_no_newline_at_the_end_reads_its_last_row() {
    let w = Work::new();
    let complete = w.write(
        "complete.csv",
        "email,name\na@example.com,A\nb@example.com,B",
    );
    let (run, report) = w.validate_json(&[&arg(&complete), "--to", "salesive"]);
    run.exits(0);
    assert_eq!(summary(&report, "valid"), 2);
    // Cut in the middle of the last row: it lost its last column.
    let cut = w.write(
        "cut.csv",
        "email,name,phone\na@example.com,A,1\nb@example.com,B",
    );
    let (run, report) = w.validate_json(&[&arg(&cut), "--to", "salesive"]);
    run.exits(1);
    assert_eq!(lines_and_rules(&report), lr(&[(3, "row.field_count")]));
}

// ---------------------------------------------------------------- malformed rows

#[test]
fn a_row_with_the_wrong_field_count_is_a_violation_with_its_line_and_the_run_goes_on() {
    let w = Work::new();
    let (run, report) =
        w.validate_json(&[&arg(&bad("wrong_field_count.csv")), "--to", "bigcommerce"]);
    run.exits(1);
    assert_eq!(
        lines_and_rules(&report),
        lr(&[(3, "row.field_count"), (5, "row.field_count")])
    );
    assert_eq!(summary(&report, "rows_read"), 5);
    assert_eq!(summary(&report, "valid"), 3);
    let msg = report["violations"][0]["message"].as_str().unwrap();
    assert!(msg.contains("21") && msg.contains("20"), "{msg}");
}

#[test]
fn an_invalid_utf8_row_is_a_violation_with_its_line() {
    let w = Work::new();
    let (run, report) = w.validate_json(&[&arg(&bad("invalid_utf8.csv")), "--to", "bigcommerce"]);
    run.exits(1);
    assert_eq!(lines_and_rules(&report), lr(&[(3, "row.invalid_utf8")]));
    assert_eq!(summary(&report, "valid"), 2);
    assert!(
        report["violations"][0]["message"]
            .as_str()
            .unwrap()
            .contains("First Name")
    );
}

#[test]
fn an_unbalanced_quote_is_one_violation_at_the_line_it_opens() {
    let w = Work::new();
    let (run, report) =
        w.validate_json(&[&arg(&bad("unbalanced_quote.csv")), "--to", "bigcommerce"]);
    run.exits(1);
    // The quote runs to the end of the file: an unclosed quote, not a row
    // that merely lost columns.
    assert_eq!(lines_and_rules(&report), lr(&[(3, "row.unclosed_quote")]));
    assert_eq!(summary(&report, "valid"), 1);
    let msg = report["violations"][0]["message"].as_str().unwrap();
    assert!(msg.contains("quote"), "{msg}");
}

// ---------------------------------------------------------------- inputs that are not what they claim

/// Runs `validate FILE --to bigcommerce --json out.json` and asserts one
/// clear error: exit 2, a message naming the input and `what`, no report.
#[track_caller]
fn refuses(w: &Work, input: &str, extra: &[&str], what: &str) {
    let json = arg(&w.path("refused.json"));
    let _ = std::fs::remove_file(&json);
    let mut args = vec!["validate", input, "--to", "bigcommerce", "--json", &json];
    args.extend_from_slice(extra);
    let run = w.run(&args);
    run.exits(2).stderr_has(what);
    assert!(
        run.stderr.contains(input) || input == "-",
        "the error names the input\n{}",
        run.shown()
    );
    assert!(
        run.stderr.lines().filter(|l| !l.trim().is_empty()).count() <= 8,
        "one clear error, not a flood\n{}",
        run.shown()
    );
    assert!(
        !w.path("refused.json").exists(),
        "no report for an unreadable input"
    );
}

#[test]
fn an_empty_file_is_exit_2() {
    let w = Work::new();
    refuses(&w, &arg(&bad("empty.csv")), &[], "empty");
}

#[test]
fn a_file_with_nul_bytes_is_exit_2() {
    let w = Work::new();
    refuses(&w, &arg(&bad("nul_bytes.csv")), &[], "NUL");
}

#[test]
fn binary_garbage_is_exit_2_even_as_forced_csv() {
    let w = Work::new();
    refuses(&w, &arg(&bad("garbage.bin")), &[], "not a text file");
    refuses(
        &w,
        &arg(&bad("garbage.bin")),
        &["--format", "csv"],
        "not a text file",
    );
    refuses(
        &w,
        &arg(&bad("garbage.bin")),
        &["--format", "jsonl"],
        "not a text file",
    );
}

#[test]
fn gzip_holding_garbage_or_cut_short_does_not_panic() {
    let w = Work::new();
    let garbage = std::fs::read(bad("garbage.bin")).unwrap();
    let gz = w.write("garbage.csv.gz", gzip(&garbage));
    refuses(&w, &arg(&gz), &[], "not a text file");
    // A gzip stream cut in half: the rows before the cut are read, the rest
    // is one violation, or the whole input is refused — never a panic.
    let full = std::fs::read(bad("customers.csv.gz")).unwrap();
    let half = w.write("half.csv.gz", &full[..full.len() / 2]);
    let run = w.run(&["validate", &arg(&half), "--to", "bigcommerce"]);
    run.no_crash();
    assert!(matches!(run.code, Some(1) | Some(2)), "{}", run.shown());
}

#[test]
fn a_gzip_stream_cut_after_its_start_is_one_violation_at_the_line_where_reading_stopped() {
    let w = Work::new();
    let mut csv = String::from("email,name\n");
    for i in 0..50_000u64 {
        // Varied enough that the compressed stream is long.
        csv.push_str(&format!(
            "user{i}.{}@example{}.com,Name {}\n",
            i.wrapping_mul(2_654_435_761) % 1_000_003,
            i % 97,
            i.wrapping_mul(40_503) % 65_521
        ));
    }
    let gz = gzip(csv.as_bytes());
    let cut = w.write("cut.csv.gz", &gz[..gz.len() / 2]);
    let (run, report) = w.validate_json(&[&arg(&cut), "--to", "salesive"]);
    run.exits(1);
    let found = lines_and_rules(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    let (line, rule) = &found[0];
    assert_eq!(rule, "input.unreadable");
    // Every row before the cut was read, each on its own line; the cut is
    // on the line after the last of them.
    let read = summary(&report, "rows_read");
    assert!(read > 1_000, "{read}");
    assert_eq!(summary(&report, "valid"), read - 1);
    assert_eq!(*line, read + 1);
}

/// A JSON array of `n` distinct customers, one element per line after the
/// `[` on line 1, gzipped: long enough to stream well past the sniff.
fn gzipped_json_array(n: u64) -> Vec<u8> {
    let mut json = String::from("[\n");
    for i in 0..n {
        if i > 0 {
            json.push_str(",\n");
        }
        json.push_str(&format!(
            "{{\"email\": \"user{i}.{}@example{}.com\", \"first_name\": \"Name {}\"}}",
            i.wrapping_mul(2_654_435_761) % 1_000_003,
            i % 97,
            i.wrapping_mul(40_503) % 65_521
        ));
    }
    json.push_str("\n]\n");
    gzip(json.as_bytes())
}

#[test]
fn a_json_document_in_a_gzip_stream_cut_short_is_one_unreadable_violation_on_its_line() {
    // Issue 16: an I/O error in a JSON document was taken for its end.
    let w = Work::new();
    let gz = gzipped_json_array(30_000);
    let cut = w.write("cut.json.gz", &gz[..gz.len() / 2]);
    let (run, report) = w.validate_json(&[&arg(&cut), "--to", "salesive"]);
    run.exits(1);
    assert_eq!(report["context"]["input"], arg(&cut).as_str());
    let found = lines_and_rules(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    let (line, rule) = &found[0];
    assert_eq!(rule, "input.unreadable");
    // Element n is on line n + 1; the one cut short is the last record.
    let read = summary(&report, "rows_read");
    assert!(read > 1_000, "{read}");
    assert_eq!(summary(&report, "valid"), read - 1);
    assert_eq!(*line, read + 1);
}

#[test]
fn a_json_document_whose_gzip_checksum_fails_is_not_read_as_complete() {
    // The whole array decodes, then the gzip trailer's CRC does not match:
    // that is a read error after the last line, not a clean end (exit 0).
    let w = Work::new();
    let mut gz = gzipped_json_array(30_000);
    let crc = gz.len() - 8;
    gz[crc] ^= 0xFF;
    let corrupt = w.write("corrupt.json.gz", &gz);
    let (run, report) = w.validate_json(&[&arg(&corrupt), "--to", "salesive"]);
    run.exits(1);
    assert_eq!(summary(&report, "valid"), 30_000);
    let found = lines_and_rules(&report);
    // `]` is on line 30,002; reading stopped after its newline.
    assert_eq!(found, vec![(30_003, "input.unreadable".to_string())]);
    let message = report["violations"][0]["message"].as_str().unwrap();
    assert!(message.contains("checksum"), "{message}");
}

#[test]
fn utf16_text_without_its_byte_order_mark_is_exit_2_naming_unicode_text() {
    // With the mark it is read (tests/wild_files.rs); without it, its NUL
    // bytes say it is not UTF-8 text.
    let w = Work::new();
    let utf16: Vec<u8> = "email,name\r\na@example.com,A\r\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let input = w.write("unicode.txt", utf16);
    refuses(&w, &arg(&input), &[], "Unicode text");
}

#[test]
fn a_header_naming_a_column_twice_is_exit_2() {
    let w = Work::new();
    refuses(
        &w,
        &arg(&bad("duplicate_header.csv")),
        &[],
        "\"Email\" appears twice",
    );
}

#[test]
fn a_json_array_is_read_as_one_record_per_element_whatever_its_name() {
    // Issue 8: a JSON document (an array, or an object holding one) is
    // input, streamed element by element; never one violation per line.
    let w = Work::new();
    for file in ["array.json", "array.jsonl"] {
        w.run(&["validate", &arg(&bad(file)), "--to", "bigcommerce"])
            .exits(0)
            // Exit 0: every one of the 3 records is valid.
            .stdout_has("rows read           3");
    }
    // Forcing JSONL on an array is refused with a sentence.
    refuses(
        &w,
        &arg(&bad("array.json")),
        &["--format", "jsonl"],
        "JSON array, not JSONL",
    );
}

#[test]
fn a_wrapped_array_and_a_truncated_document_read_as_records() {
    let w = Work::new();
    let wrapped = w.write(
        "shop.json",
        "{\"customers\": [\n{\"email\": \"a@x.com\", \"first_name\": \"A\", \"last_name\": \"B\"},\n{\"email\": \"b@x.com\", \"first_name\": \"C\", \"last_name\": \"D\"}\n]}\n",
    );
    w.run(&["validate", &arg(&wrapped), "--to", "bigcommerce"])
        .exits(0)
        .stdout_has("rows read           2");
    let cut = w.write(
        "cut.json",
        "[\n{\"email\": \"a@x.com\", \"first_name\": \"A\", \"last_name\": \"B\"},\n{\"email\": \"b@x",
    );
    w.run(&["validate", &arg(&cut), "--to", "bigcommerce"])
        .exits(1)
        .stdout_has("row.invalid_json")
        .stdout_has("line 3");
}

#[test]
fn a_missing_file_is_exit_2() {
    let w = Work::new();
    refuses(&w, "no-such-file.csv", &[], "no such file");
}

#[test]
fn a_directory_is_exit_2() {
    let w = Work::new();
    refuses(&w, &arg(&bad("")), &[], "directory");
}

#[test]
fn a_header_only_csv_is_0_records_and_exit_0() {
    // DECISIONS: an empty nightly delta is normal.
    let w = Work::new();
    let (run, report) = w.validate_json(&[&arg(&bad("header_only.csv")), "--to", "bigcommerce"]);
    run.exits(0).stdout_has("rows read           0");
    assert_eq!(summary(&report, "rows_read"), 0);
}

#[test]
fn an_empty_json_array_is_0_records_and_exit_0() {
    let w = Work::new();
    let (run, report) = w.validate_json(&[&arg(&bad("empty_array.json")), "--to", "bigcommerce"]);
    run.exits(0);
    assert_eq!(summary(&report, "rows_read"), 0);
}

/// Writes the README's `big_field.csv`: on line 2 a row whose Note is a
/// 5 MiB quoted field holding five ",\n" pairs (so the row ends on line 7);
/// on line 8 an ordinary valid row.
fn write_big_field_csv(w: &Work) -> std::path::PathBuf {
    let header = std::fs::read_to_string(bad("header_only.csv")).unwrap();
    let mut note = "x".repeat(5 * 1024 * 1024);
    for i in 1..=5 {
        note.replace_range(i * 1_000_000..i * 1_000_000 + 2, ",\n");
    }
    let mut csv = header;
    csv.push_str("6123456789001,Zoë,Müller,zoe.muller@example.com,yes,,Torstraße 12,,Berlin,,DE,10119,,,no,0.00,0,\"");
    csv.push_str(&note);
    csv.push_str("\",no,\n");
    csv.push_str("6123456789002,José,García,jose.garcia@example.org,yes,,Calle de Alcalá 45,,Madrid,M,ES,28014,,,no,0.00,0,,no,\n");
    w.write("big_field.csv", csv)
}

#[test]
fn a_5_mb_field_is_read_and_the_next_record_keeps_its_line() {
    let w = Work::new();
    let input = write_big_field_csv(&w);
    let found = positions(&input, &ReadOptions::default());
    let lines: Vec<(u64, u64)> = found.iter().map(|(n, l, _)| (*n, *l)).collect();
    assert_eq!(lines, vec![(1, 2), (2, 8)]);
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "bigcommerce"]);
    run.no_crash();
    assert_eq!(summary(&report, "rows_read"), 2);
    // Line 8 is valid; line 2 is read (notes are free text) or, if the
    // reader ever caps field size, one violation naming line 2.
    let found = lines_and_rules(&report);
    assert!(found.iter().all(|(l, _)| *l == 2), "{found:?}");
    assert!(found.len() <= 1, "{found:?}");
}

#[test]
fn reader_options_force_format_and_delimiter_through_the_library() {
    let w = Work::new();
    let input = w.write("data.dat", "email|name\na@example.com|A\n");
    let found = positions(
        &input,
        &ReadOptions {
            format: Some(Format::Csv),
            delimiter: Some(b'|'),
            ..ReadOptions::default()
        },
    );
    assert_eq!(found.iter().map(|p| p.1).collect::<Vec<_>>(), vec![2]);
}

// ---------------------------------------------------------------- record size limit (issue 15 #4)

/// `(record, line)` of every record the reader yields for `path` with a
/// record size limit of `max` bytes, and the rules of the broken ones.
fn read_with_limit(path: &std::path::Path, max: usize) -> Vec<(u64, u64, Option<&'static str>)> {
    let input = storeload::read::open(
        &arg(path),
        &ReadOptions {
            max_record_bytes: Some(max),
            ..ReadOptions::default()
        },
    )
    .unwrap();
    input
        .records
        .map(|r| {
            let rule = match r.body {
                storeload::read::RawBody::Broken { rule, .. } => Some(rule),
                _ => None,
            };
            (r.number, r.line, rule)
        })
        .collect()
}

#[test]
fn a_csv_row_over_max_record_bytes_is_a_violation_on_its_line_and_reading_goes_on() {
    let w = Work::new();
    // Line 3's row holds a quoted 2,000-byte note spanning three lines: over
    // the limit of 1,000, it is skipped to its end (line 5), and the row
    // after it keeps its own line (6).
    let note = format!(
        "{}\n{}\n{}",
        "a".repeat(700),
        "b".repeat(700),
        "c".repeat(600)
    );
    let input = w.write(
        "big.csv",
        format!(
            "email,name,notes\na@example.com,A,\nb@example.com,B,\"{note}\"\nbad,C,\nd@example.com,D,\n"
        ),
    );
    let (run, report) = w.validate_json(&[
        &arg(&input),
        "--to",
        "salesive",
        "--max-record-bytes",
        "1000",
    ]);
    run.exits(1);
    assert_eq!(
        lines_and_rules(&report),
        lr(&[(3, "row.too_large"), (6, "email.invalid")])
    );
    assert_eq!(summary(&report, "rows_read"), 4);
    assert_eq!(summary(&report, "valid"), 2);
    let msg = report["violations"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("--max-record-bytes") && msg.contains("1000"),
        "{msg}"
    );
    // The same row under the default limit (1 MiB) is read.
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "salesive"]);
    run.exits(1);
    assert_eq!(lines_and_rules(&report), lr(&[(6, "email.invalid")]));
}

#[test]
fn a_csv_row_of_exactly_max_record_bytes_is_read_and_one_byte_more_is_not() {
    let w = Work::new();
    // "a@example.com,A" is 15 bytes; the line break is not part of the row.
    let input = w.write(
        "edge.csv",
        "email,name\na@example.com,A\r\nb@example.com,BB\n",
    );
    assert_eq!(
        read_with_limit(&input, 15),
        vec![(1, 2, None), (2, 3, Some("row.too_large"))]
    );
}

#[test]
fn a_header_over_max_record_bytes_is_exit_2() {
    let w = Work::new();
    let input = w.write(
        "wide.csv",
        format!("email,{}\na@example.com,x\n", "n".repeat(2000)),
    );
    w.run(&[
        "validate",
        &arg(&input),
        "--to",
        "salesive",
        "--max-record-bytes",
        "1000",
    ])
    .exits(2)
    .stderr_has("header row is longer than 1000 bytes");
}

#[test]
fn a_jsonl_line_over_max_record_bytes_is_a_violation_on_its_line_and_reading_goes_on() {
    let w = Work::new();
    let long = format!(
        "{{\"email\": \"b@example.com\", \"name\": \"{}\"}}",
        "x".repeat(1500)
    );
    let input = w.write(
        "big.jsonl",
        format!(
            "{{\"email\": \"a@example.com\", \"name\": \"A\"}}\n{long}\n\n{{\"email\": \"bad\", \"name\": \"C\"}}\n"
        ),
    );
    let (run, report) = w.validate_json(&[
        &arg(&input),
        "--to",
        "salesive",
        "--max-record-bytes",
        "1000",
    ]);
    run.exits(1);
    assert_eq!(
        lines_and_rules(&report),
        lr(&[(2, "row.too_large"), (4, "email.invalid")])
    );
    assert_eq!(summary(&report, "valid"), 1);
}

#[test]
fn a_json_element_over_max_record_bytes_is_a_violation_on_its_line_and_reading_goes_on() {
    let w = Work::new();
    let input = w.write(
        "big.json",
        format!(
            "[\n{{\"email\": \"a@example.com\", \"name\": \"A\"}},\n{{\"email\": \"b@example.com\", \"name\": \"{}\"}},\n{{\"email\": \"bad\", \"name\": \"C\"}}\n]\n",
            "x".repeat(1500)
        ),
    );
    let (run, report) = w.validate_json(&[
        &arg(&input),
        "--to",
        "salesive",
        "--max-record-bytes",
        "1000",
    ]);
    run.exits(1);
    assert_eq!(
        lines_and_rules(&report),
        lr(&[(3, "row.too_large"), (4, "email.invalid")])
    );
}

#[test]
fn a_gzip_line_with_no_line_break_is_one_violation_not_a_crash() {
    // The "multi-GB line with no newline" of issue 15, small: 200 kB of one
    // line under a 1,000-byte limit.
    let w = Work::new();
    let mut csv = b"email,name\n".to_vec();
    csv.extend(std::iter::repeat_n(b'x', 200_000));
    let input = w.write("oneline.csv.gz", gzip(&csv));
    assert_eq!(
        read_with_limit(&input, 1000),
        vec![(1, 2, Some("row.too_large"))]
    );
    let mut jsonl = b"{\"email\": \"".to_vec();
    jsonl.extend(std::iter::repeat_n(b'x', 200_000));
    let input = w.write("oneline.jsonl.gz", gzip(&jsonl));
    assert_eq!(
        read_with_limit(&input, 1000),
        vec![(1, 1, Some("row.too_large"))]
    );
}

#[test]
fn blank_lines_of_every_kind_are_skipped_and_still_counted() {
    // 100,000 blank lines (LF, CRLF and lone CR) between two rows: the
    // second row is on its own line, whatever the mix.
    let w = Work::new();
    let mut csv = String::from("email,name\r\na@example.com,A\r\n");
    for _ in 0..33_333 {
        csv.push_str("\n\r\n\r\r");
    }
    csv.push_str("\nb@example.com,B");
    // The line of "b@…": one more than the line ends before it, where a
    // line ends at an LF or at a CR that no LF follows.
    let bytes = csv.as_bytes();
    let at = csv.find("b@").unwrap();
    let ends = (0..at)
        .filter(|&i| bytes[i] == b'\n' || (bytes[i] == b'\r' && bytes[i + 1] != b'\n'))
        .count() as u64;
    assert!(ends > 100_000, "{ends}");
    let input = w.write("blank.csv", &csv);
    let lines: Vec<u64> = read_with_limit(&input, 100).iter().map(|r| r.1).collect();
    assert_eq!(lines, vec![2, ends + 1]);
}

// ---------------------------------------------------------------- CSV quotes (issue 14)

#[test]
fn an_unclosed_quote_at_the_end_of_a_csv_is_a_violation_of_that_row_not_a_valid_row() {
    let w = Work::new();
    // The last row's name opens a quote the file never closes; it has the
    // header's two fields, so only the quote tells it apart from a row.
    let input = w.write(
        "open.csv",
        "email,name\na@example.com,A\nb@example.com,\"Bob\n",
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "salesive"]);
    run.exits(1);
    assert_eq!(lines_and_rules(&report), lr(&[(3, "row.unclosed_quote")]));
    assert_eq!(summary(&report, "valid"), 1);
    // A quote closed on the file's last byte, and doubled quotes, are fine.
    let closed = w.write(
        "closed.csv",
        "email,name\na@example.com,A\nb@example.com,\"Bob \"\"B\"\" Lee\"",
    );
    let (run, report) = w.validate_json(&[&arg(&closed), "--to", "salesive"]);
    run.exits(0);
    assert_eq!(summary(&report, "valid"), 2);
}

// ---------------------------------------------------------------- JSON values (issue 14)

fn findings_of(w: &Work, name: &str, text: &str) -> Vec<storeload::findings::Violation> {
    let path = w.write(name, text);
    check_file(&path, PlatformId::Bigcommerce)
        .into_iter()
        .flat_map(|c| c.findings)
        .collect()
}

#[test]
fn a_json_array_or_object_where_text_belongs_is_a_violation_naming_the_field_never_joined() {
    let w = Work::new();
    for (name, text) in [
        (
            "list.jsonl",
            "{\"email\": \"a@example.com\", \"first_name\": [\"Ann\", \"Bob\"], \"last_name\": \"Lee\"}\n{\"email\": \"b@example.com\", \"first_name\": \"Bo\", \"last_name\": {\"x\": 1}}\n",
        ),
        (
            "list.json",
            "[{\"email\": \"a@example.com\", \"first_name\": [\"Ann\", \"Bob\"], \"last_name\": \"Lee\"},\n{\"email\": \"b@example.com\", \"first_name\": \"Bo\", \"last_name\": {\"x\": 1}}]\n",
        ),
    ] {
        let found = findings_of(&w, name, text);
        let not_text: Vec<(&str, u64)> = found
            .iter()
            .filter(|v| v.rule == "json.not_text")
            .map(|v| (v.field.as_str(), v.record))
            .collect();
        assert_eq!(
            not_text,
            vec![("first_name", 1), ("last_name", 2)],
            "{name}: {found:#?}"
        );
        let first = found.iter().find(|v| v.rule == "json.not_text").unwrap();
        assert!(first.text.contains("an array"), "{}", first.text);
        assert!(
            found.iter().all(|v| !v.text.contains("Ann,Bob")),
            "{name}: joined: {found:#?}"
        );
    }
}

#[test]
fn json_numbers_and_booleans_are_text_only_where_natural() {
    let w = Work::new();
    let found = findings_of(
        &w,
        "scalars.jsonl",
        "{\"email\": \"a@example.com\", \"first_name\": \"Ann\", \"last_name\": \"Lee\", \"phone\": 5551234567, \"customer_group_id\": 2, \"accepts_marketing\": true}\n\
         {\"email\": \"b@example.com\", \"first_name\": 42, \"last_name\": \"Lee\"}\n\
         {\"email\": \"c@example.com\", \"first_name\": \"Cy\", \"last_name\": false}\n",
    );
    let not_text: Vec<(u64, &str)> = found
        .iter()
        .filter(|v| v.rule == "json.not_text")
        .map(|v| (v.line, v.field.as_str()))
        .collect();
    assert_eq!(
        not_text,
        vec![(2, "first_name"), (3, "last_name")],
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .all(|v| v.line != 1 || v.severity == storeload::findings::Severity::Warning),
        "a phone, an id and a flag as JSON scalars are fine: {found:#?}"
    );
}

#[test]
fn a_json_key_given_twice_in_one_object_is_a_warning_naming_it() {
    let w = Work::new();
    let path = w.write(
        "dup.jsonl",
        "{\"email\": \"a@example.com\", \"first_name\": \"Ann\", \"last_name\": \"Lee\"}\n\
         {\"email\": \"b@example.com\", \"first_name\": \"B\", \"last_name\": \"Lee\", \"first_name\": \"Bo\"}\n",
    );
    let checked = check_file(&path, PlatformId::Bigcommerce);
    assert_eq!(warnings(&checked), vec![(2, "json.duplicate_key")]);
    let dup = checked[1]
        .findings
        .iter()
        .find(|v| v.rule == "json.duplicate_key")
        .unwrap();
    assert_eq!(dup.field, "first_name");
    assert!(dup.text.contains("\"first_name\""), "{}", dup.text);
    // A warning: the record is still valid, with the last value.
    assert!(checked.iter().all(|c| c.valid));
}

#[test]
fn text_after_the_end_of_a_json_document_is_exit_2_naming_the_line() {
    let w = Work::new();
    for (name, text, line) in [
        (
            "two.json",
            "[\n{\"email\": \"a@example.com\", \"name\": \"A\"}\n]\n\n[{\"email\": \"b@example.com\"}]\n",
            "line 5",
        ),
        (
            "wrapped.json",
            "{\"customers\": [\n{\"email\": \"a@example.com\", \"name\": \"A\"}\n], \"count\": 1}\n}\n",
            "line 4",
        ),
    ] {
        let input = w.write(name, text);
        refuses(
            &w,
            &arg(&input),
            &[],
            "text follows the end of the JSON document",
        );
        let run = w.run(&["validate", &arg(&input), "--to", "salesive"]);
        run.exits(2).stderr_has(line);
        // The same gzip-compressed.
        let gz = w.write(&format!("{name}.gz"), gzip(text.as_bytes()));
        w.run(&["validate", &arg(&gz), "--to", "salesive"])
            .exits(2)
            .stderr_has(line);
    }
    // White space after the document is fine, and so is the rest of a
    // wrapper object after its array.
    let fine = w.write(
        "fine.json",
        "{\"customers\": [{\"email\": \"a@example.com\", \"name\": \"A\"}], \"count\": 1}\n\n",
    );
    w.run(&["validate", &arg(&fine), "--to", "salesive"])
        .exits(0);
}

#[test]
fn text_after_a_json_document_on_stdin_is_a_violation_naming_the_line() {
    // Stdin cannot be read twice to check first: the reader names the line
    // when it gets there.
    let w = Work::new();
    let run = w.run_stdin(
        &["validate", "-", "--format", "json", "--to", "salesive"],
        "[{\"email\": \"a@example.com\", \"name\": \"A\"}]\nextra\n",
    );
    run.exits(1)
        .stdout_has("input.trailing_text")
        .stdout_has("line 2");
}
