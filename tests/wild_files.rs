//! Files nobody wrote for storeload: exports of other systems, as a new
//! user first feeds them to `validate` and `mapping`. Each file is built
//! here, small, with the real header of the export it imitates, in the
//! encodings, delimiters, line endings and value habits such files have.
//! Each test checks that storeload tells the truth: every column's fate,
//! the right line numbers, values neither lost, changed nor invented,
//! counts that add up, and one clear error (exit 2) for a file it cannot
//! read. Values are checked through the library (read → map → check, as
//! `validate` does); fates, counts and errors through the binary.

mod common;

use std::path::Path;

use common::{Work, arg, gzip, summary};
use serde_json::Value;
use storeload::model::Customer;
use storeload::platform::PlatformId;
use storeload::read::{self, Encoding, ReadOptions};
use storeload::validate::pipeline::{self, CheckOptions};

// ------------------------------------------------------------------ helpers

/// One record as `validate` understands it: its line and the customer it
/// maps to.
#[derive(Debug)]
struct Seen {
    line: u64,
    customer: Option<Customer>,
}

/// Reads `path` with `options`, maps it as `validate` does (a preset its
/// distinctive columns claim, else the auto-mapper) and checks it for
/// `platform`, through the library.
fn seen_with(path: &Path, options: &ReadOptions, platform: PlatformId) -> Vec<Seen> {
    let input =
        read::open(&arg(path), options).unwrap_or_else(|e| panic!("{} opens: {e}", path.display()));
    let mapping = storeload::mapping::detect(&input)
        .unwrap_or_else(|e| panic!("{} maps: {e}", path.display()));
    let mut out = Vec::new();
    pipeline::run(
        input.records,
        &mapping,
        platform.platform(),
        CheckOptions::default(),
        |c| {
            out.push(Seen {
                line: c.raw.line,
                customer: c.customer.map(|c| *c),
            });
            true
        },
    );
    out
}

/// [`seen_with`] with the options `validate` uses by default.
fn seen(path: &Path, platform: PlatformId) -> Vec<Seen> {
    seen_with(path, &ReadOptions::default(), platform)
}

/// The customer of the record at `i`, which must have mapped.
fn customer(records: &[Seen], i: usize) -> &Customer {
    records[i]
        .customer
        .as_ref()
        .unwrap_or_else(|| panic!("record {i} maps to a customer: {records:?}"))
}

/// Runs `validate FILE --to PLATFORM --json`, checks it did not crash,
/// exited with `code`, and that its counts add up: every row read is
/// valid or invalid, once.
fn validate(w: &Work, file: &Path, platform: &str, code: i32) -> Value {
    let (run, report) = w.validate_json(&[&arg(file), "--to", platform]);
    run.exits(code);
    assert_eq!(
        summary(&report, "valid") + summary(&report, "invalid"),
        summary(&report, "records"),
        "valid + invalid = records\n{}",
        run.shown()
    );
    report
}

/// Runs `validate FILE --to bigcommerce`, which must stop with exit 2 and
/// one error naming the file; returns stderr.
fn refused(w: &Work, file: &Path) -> String {
    let run = w.run(&["validate", &arg(file), "--to", "bigcommerce"]);
    run.exits(2);
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .expect("test file names are UTF-8");
    run.stderr_has(name);
    run.stderr
}

/// `(line, rule)` of every violation (not warning) in a JSON report.
fn violations(report: &Value) -> Vec<(u64, String)> {
    report["violations"]
        .as_array()
        .expect("report.violations is an array")
        .iter()
        .filter(|v| v["severity"] == "violation")
        .map(|v| {
            (
                v["line"].as_u64().expect("violation.line"),
                v["rule"].as_str().expect("violation.rule").to_string(),
            )
        })
        .collect()
}

/// The message of the first finding with `rule` in a JSON report.
fn message(report: &Value, rule: &str) -> String {
    report["violations"]
        .as_array()
        .expect("report.violations is an array")
        .iter()
        .find(|v| v["rule"] == rule)
        .and_then(|v| v["message"].as_str())
        .unwrap_or_else(|| panic!("no {rule} in {}", report["violations"]))
        .to_string()
}

/// The fate of every column in a JSON report, in header order:
/// (column, fate, fields).
fn fates(report: &Value) -> Vec<(String, String, Vec<String>)> {
    report["context"]["columns"]
        .as_array()
        .expect("context.columns is a list")
        .iter()
        .map(|c| {
            (
                c["column"].as_str().expect("column").to_string(),
                c["fate"].as_str().expect("fate").to_string(),
                c["fields"]
                    .as_array()
                    .expect("fields")
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
            )
        })
        .collect()
}

/// Asserts `column` has `fate`, and, when `field` is given, that it feeds
/// that field.
fn assert_fate(report: &Value, column: &str, fate: &str, field: Option<&str>) {
    let all = fates(report);
    let (_, got, fields) = all
        .iter()
        .find(|(c, _, _)| c == column)
        .unwrap_or_else(|| panic!("no fate for {column:?}: {all:?}"));
    assert_eq!(got, fate, "fate of {column:?}: {all:?}");
    if let Some(field) = field {
        assert!(
            fields.iter().any(|f| f == field),
            "{column:?} feeds {field}: {fields:?}"
        );
    }
}

/// Asserts the report gives every column of `header` (split on `sep`)
/// exactly one fate, in the header's order.
fn assert_every_column_once(report: &Value, header: &str, sep: char) {
    let want: Vec<&str> = header.split(sep).collect();
    let all = fates(report);
    let got: Vec<&str> = all.iter().map(|(c, _, _)| c.as_str()).collect();
    assert_eq!(got, want);
}

fn some(s: &str) -> Option<storeload::model::Text> {
    Some(s.into())
}

// ---------------------------------------------------------------- encodings

#[test]
fn utf8_bom_is_not_part_of_the_first_column_and_values_arrive_whole() {
    let w = Work::new();
    let file = w.write(
        "bom.csv",
        "\u{feff}Email,First Name,Last Name\r\nann@example.com,Ann,Lee\r\n",
    );
    let report = validate(&w, &file, "bigcommerce", 0);
    assert_fate(&report, "Email", "sent", Some("email"));
    let records = seen(&file, PlatformId::Bigcommerce);
    assert_eq!(records.len(), 1);
    assert_eq!(customer(&records, 0).email, some("ann@example.com"));
    assert_eq!(records[0].line, 2);
}

#[test]
fn utf16_unicode_text_from_excel_is_read_as_the_text_it_is() {
    let w = Work::new();
    let text = "Email\tFirst Name\tLast Name\r\nann@example.com\tAnn\tLee\r\n";
    let le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let be: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    for (name, bytes) in [("le.txt", le), ("be.txt", be)] {
        let file = w.write(name, bytes);
        let report = validate(&w, &file, "bigcommerce", 0);
        assert_fate(&report, "Email", "sent", Some("email"));
        let records = seen(&file, PlatformId::Bigcommerce);
        assert_eq!(records.len(), 1, "{name}");
        let c = customer(&records, 0);
        assert_eq!(c.email, some("ann@example.com"), "{name}");
        assert_eq!(c.last_name, some("Lee"), "{name}");
        assert_eq!(records[0].line, 2, "{name}");
    }
}

#[test]
fn windows_1252_bytes_in_a_row_are_a_violation_of_that_row_naming_the_column() {
    let w = Work::new();
    let mut bytes = b"Email,First Name,Last Name,Notes\n".to_vec();
    bytes.extend_from_slice(b"ann@example.com,Ann,Lee,ok\n");
    // é as 0xE9, smart quotes as 0x93 0x94: Windows-1252, not UTF-8.
    bytes.extend_from_slice(b"ren@example.com,Ren\xe9e,Roy,\x93quoted\x94\n");
    bytes.extend_from_slice(b"bob@example.com,Bob,Ray,ok\n");
    let file = w.write("cp1252.csv", bytes);
    let report = validate(&w, &file, "bigcommerce", 1);
    assert_eq!(
        violations(&report),
        vec![(3, "row.invalid_utf8".to_string())]
    );
    let text = message(&report, "row.invalid_utf8");
    assert!(
        text.contains("First Name") && text.contains("UTF-8"),
        "{text}"
    );
    assert_eq!(summary(&report, "valid"), 2);
    // The file, not only the row, is named for what it likely is.
    let problems = report["summary"]["file_problems"]
        .as_array()
        .expect("file problems")
        .clone();
    let encoding = problems
        .iter()
        .find(|p| p["kind"] == "encoding")
        .unwrap_or_else(|| panic!("an encoding problem: {problems:?}"));
    assert_eq!(encoding["count"], 1);
    let said = encoding["message"].as_str().expect("a message");
    assert!(
        said.contains("Windows-1252")
            && said.contains("--encoding windows-1252")
            && said.contains("CSV UTF-8"),
        "{said}"
    );
}

#[test]
fn a_windows_1252_file_read_with_its_encoding_arrives_whole() {
    let w = Work::new();
    // Excel's plain "CSV" on Windows: é 0xE9, ü 0xFC, € 0x80, smart quotes
    // 0x93 0x94, in the header as in the rows.
    let mut bytes = b"Email,First Name,Last Name,Notes,Soci\xe9t\xe9\r\n".to_vec();
    bytes.extend_from_slice(b"ren@example.com,Ren\xe9e,M\xfcller,\x93paid \x80 5\x94,\r\n");
    bytes.extend_from_slice(b"bob@example.com,Bob,Ray,ok,\r\n");
    let file = w.write("cp1252.csv", bytes);
    let (run, report) = w.validate_json(&[
        &arg(&file),
        "--to",
        "bigcommerce",
        "--encoding",
        "windows-1252",
    ]);
    run.exits(0);
    assert_eq!(summary(&report, "valid"), 2);
    assert!(violations(&report).is_empty(), "{:?}", violations(&report));
    let records = seen_with(
        &file,
        &ReadOptions {
            encoding: Encoding::Windows1252,
            ..ReadOptions::default()
        },
        PlatformId::Bigcommerce,
    );
    let c = customer(&records, 0);
    assert_eq!(c.first_name, some("Renée"));
    assert_eq!(c.last_name, some("Müller"));
    assert_eq!(c.notes, some("\u{201C}paid € 5\u{201D}"));
    assert_eq!(records[1].line, 3, "lines counted as in the file");
    let columns = report["context"]["columns"].to_string();
    assert!(
        columns.contains("Société"),
        "the header decoded too: {columns}"
    );
}

#[test]
fn a_windows_1252_header_is_refused_naming_the_column() {
    let w = Work::new();
    let file = w.write(
        "header.csv",
        b"Email,Pr\xe9nom,Nom\nann@example.com,Ann,Lee\n",
    );
    let stderr = refused(&w, &file);
    assert!(
        stderr.contains("column 2")
            && stderr.contains("UTF-8")
            && stderr.contains("--encoding windows-1252"),
        "{stderr}"
    );
}

#[test]
fn a_nul_byte_is_refused_naming_its_line() {
    let w = Work::new();
    let file = w.write(
        "nul.csv",
        b"Email,First Name,Last Name\nann@example.com,Ann,Lee\nbob@example.com,B\x00ob,Ray\n",
    );
    let stderr = refused(&w, &file);
    assert!(stderr.contains("line 3 holds a NUL byte"), "{stderr}");
}

#[test]
fn a_nul_byte_past_the_start_is_a_violation_of_its_row_naming_the_column() {
    let w = Work::new();
    // Past the 8 KiB storeload looks at to tell text from binary.
    let mut text = String::from("Email,First Name,Last Name\n");
    for i in 0..400 {
        text.push_str(&format!("u{i}@example.com,First{i},Last{i}\n"));
    }
    text.push_str("zed@example.com,Z\0ed,Lee\nyan@example.com,Yan,Lee\n");
    let file = w.write("late-nul.csv", text);
    let report = validate(&w, &file, "bigcommerce", 1);
    assert_eq!(violations(&report), vec![(402, "row.nul_byte".to_string())]);
    assert!(
        message(&report, "row.nul_byte").contains("column \"First Name\""),
        "{}",
        message(&report, "row.nul_byte")
    );
    assert_eq!(summary(&report, "valid"), 401);
}

#[test]
fn mixed_line_endings_inside_and_outside_quotes_keep_values_and_line_numbers() {
    let w = Work::new();
    // Header CRLF; a note spanning CRLF, LF and a lone CR inside quotes
    // (lines 2-5); then rows ended by LF, a lone CR, CRLF and LF.
    let file = w.write(
        "mixed.csv",
        "Email,First Name,Last Name,Notes\r\n\
         ann@example.com,Ann,Lee,\"one\r\ntwo\nthree\rfour\"\n\
         bob@example.com,Bob,Ray,x\r\
         cy@example.com,Cy,Doe,y\r\n\
         dee@example.com,,Moe,z\n",
    );
    let report = validate(&w, &file, "bigcommerce", 1);
    assert_eq!(
        violations(&report),
        vec![(8, "first_name.required".to_string())]
    );
    let records = seen(&file, PlatformId::Bigcommerce);
    let lines: Vec<u64> = records.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![2, 6, 7, 8]);
    assert_eq!(
        customer(&records, 0).notes,
        some("one\r\ntwo\nthree\rfour"),
        "line breaks inside a quoted field are the value's own"
    );
    assert_eq!(customer(&records, 2).email, some("cy@example.com"));
}

// --------------------------------------------------------------- delimiters

#[test]
fn semicolon_file_from_european_excel_keeps_decimal_commas_inside_values() {
    let w = Work::new();
    let file = w.write(
        "eu.csv",
        "Email;First Name;Last Name;Notes\nann@example.com;Ann;Lee;1,5 kg; \"a;b\"\n",
    );
    let report = validate(&w, &file, "bigcommerce", 1);
    // `1,5 kg; "a;b"`: the unquoted `;` ends the field, so the row has five
    // fields; storeload says so rather than guess.
    assert_eq!(
        violations(&report),
        vec![(2, "row.field_count".to_string())]
    );
    let file = w.write(
        "eu2.csv",
        "Email;First Name;Last Name;Notes\nann@example.com;Ann;Lee;\"1,5 kg; a;b\"\n",
    );
    validate(&w, &file, "bigcommerce", 0);
    let records = seen(&file, PlatformId::Bigcommerce);
    assert_eq!(customer(&records, 0).notes, some("1,5 kg; a;b"));
}

#[test]
fn excel_sep_line_names_the_delimiter_and_is_a_line_not_the_header() {
    let w = Work::new();
    let file = w.write(
        "sep.csv",
        "sep=;\r\nEmail;First Name;Last Name\r\nann@example.com;Ann;Lee\r\nbob@example.com;;Ray\r\n",
    );
    let report = validate(&w, &file, "bigcommerce", 1);
    assert_every_column_once(&report, "Email;First Name;Last Name", ';');
    assert_eq!(
        violations(&report),
        vec![(4, "first_name.required".to_string())],
        "line numbers count the sep= line"
    );
    let records = seen(&file, PlatformId::Bigcommerce);
    assert_eq!(customer(&records, 0).last_name, some("Lee"));
    // With a BOM before it, and with --delimiter given, the same.
    let file = w.write(
        "sep-bom.csv",
        "\u{feff}sep=;\nEmail;First Name;Last Name\nann@example.com;Ann;Lee\n",
    );
    validate(&w, &file, "bigcommerce", 0);
    let (run, _) = w.validate_json(&[&arg(&file), "--to", "bigcommerce", "--delimiter", ";"]);
    run.exits(0);
}

#[test]
fn a_european_excel_export_with_bom_and_sep_line_is_read_whole() {
    let w = Work::new();
    let header =
        "E-Mail;First Name;Last Name;Company;Street;Postcode;Town;Country;Phone;Geburtstag";
    let file = w.write(
        "kunden.csv",
        format!(
            "\u{feff}sep=;\r\n{header}\r\n\
             anna@example.de;Anna;Müller;Müller & Söhne GmbH;Hauptstr. 1;01067;Dresden;Deutschland;+49 351 1234567;01.02.1980\r\n\
             jan@example.de;Jan;;;Ring 2;80331;München;Deutschland;;\r\n"
        ),
    );
    let report = validate(&w, &file, "bigcommerce", 1);
    assert_every_column_once(&report, header, ';');
    for (column, field) in [
        ("E-Mail", "email"),
        ("Company", "company"),
        ("Street", "address.address1"),
        ("Postcode", "address.zip"),
        ("Town", "address.city"),
        ("Country", "address.country"),
        ("Phone", "phone"),
    ] {
        assert_fate(&report, column, "sent", Some(field));
    }
    assert_fate(&report, "Geburtstag", "unknown", None);
    // Line 4: the sep= line counts; Jan has no last name.
    assert_eq!(
        violations(&report),
        vec![
            (4, "last_name.required".to_string()),
            (4, "address.last_name.required".to_string())
        ]
    );
    let records = seen(&file, PlatformId::Bigcommerce);
    let c = customer(&records, 0);
    assert_eq!(c.last_name, some("Müller"));
    assert_eq!(c.company, some("Müller & Söhne GmbH"));
    let a = &c.addresses[0];
    assert_eq!(a.zip, some("01067"), "leading zero kept");
    assert_eq!(a.country_code, some("DE"));
    assert_eq!(customer(&records, 1).addresses[0].city, some("München"));
}

#[test]
fn tab_and_pipe_separated_files_are_read_by_their_header() {
    let w = Work::new();
    for (name, sep) in [
        ("t.tsv", '\t'),
        ("t.txt", '\t'),
        ("p.txt", '|'),
        ("p.csv", '|'),
    ] {
        let header = ["Email", "First Name", "Last Name", "Notes"].join(&sep.to_string());
        let row = ["ann@example.com", "Ann", "Lee", "a, b; c"].join(&sep.to_string());
        let file = w.write(name, format!("{header}\n{row}\n"));
        let report = validate(&w, &file, "bigcommerce", 0);
        assert_every_column_once(&report, &header, sep);
        let records = seen(&file, PlatformId::Bigcommerce);
        assert_eq!(customer(&records, 0).notes, some("a, b; c"), "{name}");
    }
}

#[test]
fn rows_using_another_delimiter_than_the_header_are_each_a_violation_on_their_line() {
    let w = Work::new();
    let file = w.write(
        "mixed-delim.csv",
        "Email,First Name,Last Name\nann@example.com;Ann;Lee\nbob@example.com,Bob,Ray\n",
    );
    let report = validate(&w, &file, "bigcommerce", 1);
    assert_eq!(
        violations(&report),
        vec![(2, "row.field_count".to_string())]
    );
    assert_eq!(summary(&report, "valid"), 1);
}

#[test]
fn rows_split_by_a_delimiter_a_one_column_header_lacks_are_said_to_be_wider() {
    let w = Work::new();
    let file = w.write(
        "one-column.csv",
        "Email\nann@example.com;Ann;Lee\nbob@example.com\n",
    );
    let report = validate(&w, &file, "bitbybit", 1);
    assert_eq!(
        violations(&report),
        vec![(2, "row.field_count".to_string())]
    );
    assert!(
        message(&report, "row.field_count").contains("row has 3 fields, the header has 1"),
        "{}",
        message(&report, "row.field_count")
    );
    assert_eq!(summary(&report, "valid"), 1);
}

#[test]
fn a_given_delimiter_wins_over_the_detected_one() {
    let w = Work::new();
    let file = w.write(
        "semi.csv",
        "Email;First Name;Last Name\nann@example.com;Ann;Lee\n",
    );
    let run = w.run(&[
        "validate",
        &arg(&file),
        "--to",
        "bigcommerce",
        "--delimiter",
        ",",
    ]);
    run.exits(2)
        .stderr_has("semi.csv")
        .stderr_has("\"Email;First Name;Last Name\"")
        .stderr_has("Pass --delimiter ';'");
    let file = w.write(
        "tabs.csv",
        "Email\tFirst Name\tLast Name\nann@example.com\tAnn\tLee\n",
    );
    let (run, _) = w.validate_json(&[&arg(&file), "--to", "bigcommerce", "--delimiter", "tab"]);
    run.exits(0);
}

// ------------------------------------------------------------------ headers

#[test]
fn duplicate_columns_differing_in_case_or_space_are_refused_naming_both() {
    let w = Work::new();
    let file = w.write(
        "dup.csv",
        "Email,First Name, email ,Last Name\nann@example.com,Ann,bob@example.com,Lee\n",
    );
    let stderr = refused(&w, &file);
    assert!(
        stderr.contains("appears twice") && stderr.contains("columns 1 and 3"),
        "{stderr}"
    );
}

#[test]
fn a_header_with_a_trailing_delimiter_over_rows_without_it_loses_nothing() {
    let w = Work::new();
    let file = w.write(
        "trail-header.csv",
        "Email,First Name,Last Name,\nann@example.com,Ann,Lee\nbob@example.com,Bob,Ray\n",
    );
    let report = validate(&w, &file, "bigcommerce", 0);
    assert_eq!(summary(&report, "valid"), 2);
    let records = seen(&file, PlatformId::Bigcommerce);
    assert_eq!(customer(&records, 1).last_name, some("Ray"));
    // Excel's `a,b,c,,,`: several unnamed columns, rows with or without them.
    let file = w.write(
        "trail3.csv",
        "Email,First Name,Last Name,,,\nann@example.com,Ann,Lee,,,\nbob@example.com,Bob,Ray\n",
    );
    let report = validate(&w, &file, "bigcommerce", 0);
    assert_eq!(summary(&report, "valid"), 2);
}

#[test]
fn rows_with_a_trailing_delimiter_the_header_lacks_are_read() {
    let w = Work::new();
    let file = w.write(
        "trail-rows.csv",
        "Email,First Name,Last Name\nann@example.com,Ann,Lee,\nbob@example.com,Bob,Ray,,\n",
    );
    let report = validate(&w, &file, "bigcommerce", 0);
    assert_eq!(summary(&report, "valid"), 2);
    let records = seen(&file, PlatformId::Bigcommerce);
    assert_eq!(customer(&records, 1).last_name, some("Ray"));
}

#[test]
fn a_value_past_the_last_column_is_never_dropped_without_a_word() {
    let w = Work::new();
    let file = w.write(
        "extra.csv",
        "Email,First Name,Last Name\nann@example.com,Ann,Lee,VIP\nbob@example.com,Bob\n",
    );
    let report = validate(&w, &file, "bigcommerce", 1);
    assert_eq!(
        violations(&report),
        vec![
            (2, "row.field_count".to_string()),
            (3, "row.field_count".to_string())
        ]
    );
    // A rejects file keeps the extra value.
    let rejects = w.path("rejects.csv");
    w.run(&[
        "validate",
        &arg(&file),
        "--to",
        "bigcommerce",
        "--rejects",
        &arg(&rejects),
    ])
    .exits(1);
    assert!(
        w.read("rejects.csv").contains("VIP"),
        "{}",
        w.read("rejects.csv")
    );
}

#[test]
fn an_unnamed_column_in_the_middle_is_not_mapped() {
    let w = Work::new();
    let file = w.write("gap.csv", "Email,,Last Name\nann@example.com,Ann,Lee\n");
    let report = validate(&w, &file, "bigcommerce", 1);
    assert_eq!(
        violations(&report),
        vec![(2, "first_name.required".to_string())]
    );
    // Nor is its value lost without a word.
    assert_eq!(
        warnings(&report),
        vec![(2, "row.value_in_unnamed_column".to_string())]
    );
    let text = message(&report, "row.value_in_unnamed_column");
    assert!(
        text.contains("column 2") && text.contains("\"Ann\""),
        "{text}"
    );
    let records = seen(&file, PlatformId::Bigcommerce);
    assert_eq!(customer(&records, 0).first_name, None, "nothing invented");
}

#[test]
fn a_us_zip_a_spreadsheet_cut_to_four_digits_is_sent_with_its_zero_and_warned() {
    let w = Work::new();
    let file = w.write(
        "zips.csv",
        "Email,First Name,Last Name,Default Address Address1,Default Address City,\
         Default Address Province Code,Default Address Country Code,Default Address Zip\n\
         ann@example.com,Ann,Lee,1 Main St,Boston,MA,US,2134\n\
         bob@example.com,Bob,Ray,2 Elm St,Newark,NJ,US,07102\n\
         cy@example.com,Cy,Dahl,3 Oak St,Berlin,,DE,1234\n",
    );
    let report = validate(&w, &file, "bigcommerce", 0);
    assert_eq!(
        warnings(&report),
        vec![(2, "address.zip.leading_zero_restored".to_string())]
    );
    let text = message(&report, "address.zip.leading_zero_restored");
    assert!(
        text.contains("\"2134\"") && text.contains("\"02134\""),
        "{text}"
    );
    let records = seen(&file, PlatformId::Bigcommerce);
    let zip = |i| customer(&records, i).addresses[0].zip.clone();
    assert_eq!(zip(0), some("02134"));
    assert_eq!(zip(1), some("07102"), "a whole ZIP is left alone");
    assert_eq!(zip(2), some("1234"), "a German postcode is not a ZIP");
}

#[test]
fn french_and_german_contact_headers_map_by_their_names() {
    let w = Work::new();
    for (name, text) in [
        (
            "fr.csv",
            "Prénom,Nom de famille,Adresse de messagerie,Téléphone,Société,Adresse,Ville,Code postal,Pays\n\
             Renée,Dupont,renee@example.fr,+33 1 55 55 01 02,Acme,1 rue de Rivoli,Paris,75001,France\n",
        ),
        (
            "de.csv",
            "Vorname,Nachname,E-Mail-Adresse,Telefon,Firma,Straße,Ort,PLZ,Land\n\
             Jörg,Müller,joerg@example.de,+49 30 5555 0102,Acme,Hauptstraße 1,Berlin,10115,Deutschland\n",
        ),
    ] {
        let file = w.write(name, text);
        let report = validate(&w, &file, "bigcommerce", 0);
        for column in ["Pays", "Land"] {
            if text.contains(column) {
                assert_fate(&report, column, "sent", Some("address.country"));
            }
        }
        let records = seen(&file, PlatformId::Bigcommerce);
        let c = customer(&records, 0);
        assert!(
            c.first_name.is_some() && c.last_name.is_some(),
            "{name}: {c:?}"
        );
        assert!(
            c.email.is_some() && c.phone.is_some() && c.company.is_some(),
            "{name}: {c:?}"
        );
        let a = &c.addresses[0];
        assert!(
            a.address1.is_some() && a.city.is_some() && a.zip.is_some(),
            "{name}: {a:?}"
        );
        assert_eq!(
            a.country_code.as_deref(),
            Some(if name == "fr.csv" { "FR" } else { "DE" })
        );
    }
}

/// `(line, rule)` of every warning in a JSON report.
fn warnings(report: &Value) -> Vec<(u64, String)> {
    report["violations"]
        .as_array()
        .expect("report.violations is an array")
        .iter()
        .filter(|v| v["severity"] == "warning")
        .map(|v| {
            (
                v["line"].as_u64().expect("warning.line"),
                v["rule"].as_str().expect("warning.rule").to_string(),
            )
        })
        .collect()
}

/// `(position, column, fate)` of every column the JSON report gives no name.
fn unnamed_fates(report: &Value) -> Vec<(u64, String, String)> {
    report["context"]["columns"]
        .as_array()
        .expect("context.columns is a list")
        .iter()
        .filter(|c| c["column"] == "")
        .map(|c| {
            (
                c["position"].as_u64().expect("position"),
                c["column"].as_str().expect("column").to_string(),
                c["fate"].as_str().expect("fate").to_string(),
            )
        })
        .collect()
}

#[test]
fn a_value_in_a_column_with_no_name_is_a_counted_warning_naming_column_and_value() {
    let w = Work::new();
    let file = w.write(
        "stray.csv",
        "Email,First Name,Last Name,,,\n\
         ann@example.com,Ann,Lee,,stray,\n\
         bob@example.com,Bob,Ray,,,\n\
         cy@example.com,Cy,Doe\n",
    );
    let report = validate(&w, &file, "bigcommerce", 0);
    assert_eq!(summary(&report, "valid"), 3, "a warning, not a violation");
    assert_eq!(
        warnings(&report),
        vec![(2, "row.value_in_unnamed_column".to_string())]
    );
    let text = message(&report, "row.value_in_unnamed_column");
    assert!(
        text.contains("column 5") && text.contains("\"stray\""),
        "{text}"
    );
    assert!(
        text.contains("give the column a name in the header and map it, or remove the value"),
        "{text}"
    );
    assert_eq!(
        report["summary"]["by_rule"]["row.value_in_unnamed_column"]["count"],
        1
    );
    assert_eq!(
        report["summary"]["by_rule"]["row.value_in_unnamed_column"]["title"],
        "Value in a column with no name, not sent"
    );
    // Every column has one fate, the unnamed ones by their position; the
    // named ones keep their shape.
    assert_every_column_once(&report, "Email,First Name,Last Name,,,", ',');
    assert_eq!(
        unnamed_fates(&report),
        vec![
            (4, String::new(), "unknown".to_string()),
            (5, String::new(), "unknown".to_string()),
            (6, String::new(), "unknown".to_string()),
        ]
    );
    assert_eq!(report["context"]["columns"][0]["position"], 1);
    assert_fate(&report, "Email", "sent", Some("email"));
    assert_eq!(
        report["summary"]["unnamed_values"],
        serde_json::json!({"5": 1})
    );
    // A long value is cut in the message.
    let long = "x".repeat(100);
    let file = w.write(
        "long.csv",
        format!("Email,First Name,Last Name,\nann@example.com,Ann,Lee,{long}\n"),
    );
    let report = validate(&w, &file, "bigcommerce", 0);
    let text = message(&report, "row.value_in_unnamed_column");
    assert!(text.contains(&format!("\"{}…\"", "x".repeat(40))), "{text}");
}

#[test]
fn columns_with_no_name_are_stated_in_the_terminal_plan_mapping_and_html() {
    let w = Work::new();
    let file = w.write(
        "stray.csv",
        "Email,First Name,Last Name,,,,\n\
         ann@example.com,Ann,Lee,,,stray,\n\
         bob@example.com,Bob,Ray,,,,\n",
    );
    let html = w.path("r.html");
    w.run(&[
        "validate",
        &arg(&file),
        "--to",
        "bigcommerce",
        "--html",
        &arg(&html),
    ])
    .exits(0)
    .stdout_has("columns: 7 · 3 sent to BigCommerce · 4 unmapped")
    .stdout_has("not read: columns 4–5 (no name, empty)")
    .stdout_has("NOT READ: column 6 (no name): 1 row holds a value in it")
    .stdout_has("not read: column 7 (no name, empty)")
    .stdout_has("row.value_in_unnamed_column");
    let page = w.read("r.html");
    assert!(
        page.contains("<tr class=\"fate-unknown\"><td><code>column 6 (no name)</code></td><td>unknown (not read, not sent)</td><td></td><td>1 row holds a value in it, not sent;"),
        "{page}"
    );
    assert!(
        page.contains("<td><code>column 4 (no name)</code></td><td>unknown (not read, not sent)</td><td></td><td>every row leaves it empty;"),
        "{page}"
    );
    let journal = w.path("run.journal");
    w.run(&[
        "import",
        &arg(&file),
        "--to",
        "bigcommerce",
        "--journal",
        &arg(&journal),
        "--sandbox",
        "--plan",
    ])
    .exits(0)
    .stderr_has("columns: 7 · 3 sent to BigCommerce · 4 unmapped")
    .stderr_has("not read: columns 4–7 (no name; a value in them is warned about on its row)");
    w.run(&["mapping", &arg(&file), "--to", "bigcommerce"])
        .exits(0)
        .stdout_has("# not read: columns 4–7 (no name in the header;");
}

#[test]
fn empty_columns_with_no_name_say_nothing_per_row_and_one_fate_line() {
    let w = Work::new();
    let file = w.write(
        "trail.csv",
        "Email,First Name,Last Name,,,\nann@example.com,Ann,Lee,,,\nbob@example.com,Bob,Ray,, ,\n",
    );
    let report = validate(&w, &file, "bigcommerce", 0);
    assert!(warnings(&report).is_empty(), "{}", report["violations"]);
    assert_eq!(report["summary"]["verdict"], "ready");
    let run = w.run(&["validate", &arg(&file), "--to", "bigcommerce"]);
    run.exits(0)
        .stdout_has("not read: columns 4–6 (no name, empty)\n");
    assert!(!run.stdout.contains("NOT READ"), "{}", run.stdout);
}

/// One export of another system: its file name, header, one row, the
/// preset expected (`None`: the auto-mapper), and column → (fate, field).
struct Export {
    name: &'static str,
    header: &'static str,
    row: &'static str,
    preset: Option<&'static str>,
    fates: &'static [(&'static str, &'static str, Option<&'static str>)],
}

const EXPORTS: &[Export] = &[
    Export {
        name: "google-contacts.csv",
        header: "First Name,Middle Name,Last Name,Nickname,Organization Name,Birthday,Notes,Labels,E-mail 1 - Label,E-mail 1 - Value,E-mail 2 - Label,E-mail 2 - Value,Phone 1 - Label,Phone 1 - Value,Address 1 - Label,Address 1 - Formatted,Address 1 - Street,Address 1 - City,Address 1 - PO Box,Address 1 - Region,Address 1 - Postal Code,Address 1 - Country,Address 1 - Extended Address",
        row: "Ann,,Lee,,Acme,,likes tea,* myContacts,* Home,ann@example.com,Work,ann@acme.example,Mobile,+1 512 555 0100,Home,\"1 Main St\nAustin TX 78701\",1 Main St,Austin,,Texas,78701,United States,Apt 2",
        preset: None,
        fates: &[
            ("E-mail 1 - Value", "sent", Some("email")),
            ("E-mail 2 - Value", "left_out", None),
            ("E-mail 1 - Label", "left_out", None),
            ("Phone 1 - Value", "sent", Some("phone")),
            ("Organization Name", "sent", Some("company")),
            ("Address 1 - Street", "sent", Some("address.address1")),
            (
                "Address 1 - Extended Address",
                "sent",
                Some("address.address2"),
            ),
            ("Address 1 - City", "sent", Some("address.city")),
            ("Address 1 - Region", "sent", Some("address.province")),
            ("Address 1 - Postal Code", "sent", Some("address.zip")),
            ("Address 1 - Country", "sent", Some("address.country")),
            ("Address 1 - Formatted", "left_out", None),
            ("Middle Name", "unknown", None),
        ],
    },
    Export {
        name: "google-contacts-old.csv",
        header: "Name,Given Name,Additional Name,Family Name,Name Prefix,Name Suffix,Birthday,Notes,Group Membership,E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Type,Phone 1 - Value,Address 1 - Type,Address 1 - Formatted,Address 1 - Street,Address 1 - City,Address 1 - Region,Address 1 - Postal Code,Address 1 - Country,Organization 1 - Type,Organization 1 - Name",
        row: "Ann Lee,Ann,,Lee,,,,,* myContacts,* Home,ann@example.com,Mobile,+1 512 555 0100,Home,1 Main St,1 Main St,Austin,Texas,78701,United States,,Acme",
        preset: None,
        fates: &[
            ("Given Name", "sent", Some("first_name")),
            ("Family Name", "sent", Some("last_name")),
            ("E-mail 1 - Value", "sent", Some("email")),
            ("E-mail 1 - Type", "left_out", None),
            ("Phone 1 - Value", "sent", Some("phone")),
            ("Address 1 - Street", "sent", Some("address.address1")),
            ("Organization 1 - Name", "sent", Some("company")),
        ],
    },
    Export {
        name: "outlook.csv",
        header: "Title,First Name,Middle Name,Last Name,Suffix,Company,Business Street,Business City,Business State,Business Postal Code,Business Country/Region,Home Street,Home Street 2,Home Street 3,Home City,Home State,Home Postal Code,Home Country/Region,Business Phone,Home Phone,Mobile Phone,E-mail Address,E-mail Type,E-mail Display Name,E-mail 2 Address,Notes",
        row: "Ms.,Ann,,Lee,,Acme,1 Biz Rd,Dallas,TX,75001,United States,2 Home Ln,Apt 3,,Austin,TX,78701,United States,+1 214 555 0100,,+1 512 555 0199,ann@example.com,SMTP,Ann Lee (ann@example.com),,hello",
        preset: None,
        fates: &[
            ("E-mail Address", "sent", Some("email")),
            ("E-mail 2 Address", "left_out", None),
            ("Mobile Phone", "sent", Some("phone")),
            ("Home Street", "sent", Some("address.address1")),
            ("Home Street 2", "sent", Some("address.address2")),
            ("Home City", "sent", Some("address.city")),
            ("Home Postal Code", "sent", Some("address.zip")),
            ("Home Country/Region", "sent", Some("address.country")),
            // One address per customer, never mixed from two blocks.
            ("Business Street", "unknown", None),
            ("Business City", "unknown", None),
        ],
    },
    Export {
        name: "hubspot.csv",
        header: "Record ID,First Name,Last Name,Email,Phone Number,Mobile Phone Number,Street Address,City,State/Region,Postal Code,Country/Region,Company Name,Lifecycle Stage,Create Date",
        row: "101,Ann,Lee,ann@example.com,+1 512 555 0100,+1 512 555 0199,1 Main St,Austin,Texas,78701,United States,Acme,customer,2024-01-01",
        preset: None,
        fates: &[
            ("Record ID", "left_out", None),
            ("Email", "sent", Some("email")),
            ("Phone Number", "sent", Some("phone")),
            ("Mobile Phone Number", "left_out", None),
            ("State/Region", "sent", Some("address.province")),
            ("Country/Region", "sent", Some("address.country")),
            ("Lifecycle Stage", "unknown", None),
        ],
    },
    Export {
        name: "salesforce.csv",
        header: "Contact ID,Salutation,First Name,Last Name,Account Name,Mailing Street,Mailing City,Mailing State/Province,Mailing Zip/Postal Code,Mailing Country,Phone,Mobile,Email,Email Opt Out",
        row: "003xx,Ms.,Ann,Lee,Acme,1 Main St,Austin,Texas,78701,USA,+1 512 555 0100,,ann@example.com,1",
        preset: None,
        fates: &[
            ("Contact ID", "left_out", None),
            ("Mailing Street", "sent", Some("address.address1")),
            ("Mailing City", "sent", Some("address.city")),
            ("Mailing State/Province", "sent", Some("address.province")),
            ("Mailing Zip/Postal Code", "sent", Some("address.zip")),
            ("Mailing Country", "sent", Some("address.country")),
            // An opt-out is the opposite of consent: never read as it.
            ("Email Opt Out", "unknown", None),
        ],
    },
    Export {
        name: "mailchimp.csv",
        header: "Email Address,First Name,Last Name,Address,Phone Number,Birthday,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES,TAGS",
        row: "ann@example.com,Ann,Lee,\"1 Main St  Austin  TX  78701  US\",+1 512 555 0100,,2,2024-01-01 10:00:00,,2024-01-01 10:00:00,192.0.2.1,30.2,-97.7,-6,-5,America/Chicago,US,TX,2024-02-01,123,abc,,vip",
        preset: Some("mailchimp"),
        fates: &[
            ("Email Address", "sent", Some("email")),
            ("Phone Number", "sent", Some("phone")),
            // One text of every part, and the IP address's region: never an
            // address of the customer.
            ("Address", "left_out", None),
            ("REGION", "left_out", None),
            ("CC", "left_out", None),
            ("LEID", "left_out", None),
        ],
    },
    Export {
        name: "klaviyo.csv",
        header: "Email,Phone Number,First Name,Last Name,Organization,Title,Address,Address 2,City,State / Region,Country,Zip Code,Source",
        row: "ann@example.com,+15125550100,Ann,Lee,Acme,CEO,1 Main St,Apt 2,Austin,Texas,United States,78701,Import",
        preset: None,
        fates: &[
            ("Organization", "sent", Some("company")),
            ("Address", "sent", Some("address.address1")),
            ("Address 2", "sent", Some("address.address2")),
            ("State / Region", "sent", Some("address.province")),
            ("Zip Code", "sent", Some("address.zip")),
            ("Title", "unknown", None),
        ],
    },
    Export {
        name: "stripe.csv",
        header: "id,Description,Email,Name,Created (UTC),Phone,Shipping Name,Shipping Address Line1,Shipping Address City,Address Line1,Address Line2,Address City,Address State,Address Country,Address Postal Code,Balance",
        row: "cus_1,vip,ann@example.com,Ann Lee,2024-01-01 10:00,+15125550100,Ann Lee,9 Ship Rd,Reno,1 Main St,Apt 2,Austin,Texas,US,78701,0",
        preset: None,
        fates: &[
            ("id", "left_out", None),
            ("Name", "sent", Some("name")),
            ("Address Line1", "sent", Some("address.address1")),
            ("Address Line2", "sent", Some("address.address2")),
            ("Address City", "sent", Some("address.city")),
            ("Address State", "sent", Some("address.province")),
            ("Address Country", "sent", Some("address.country")),
            ("Address Postal Code", "sent", Some("address.zip")),
            ("Shipping Address Line1", "unknown", None),
        ],
    },
    Export {
        name: "square.csv",
        header: "Reference ID,First Name,Last Name,Email Address,Phone Number,Company Name,Street Address 1,Street Address 2,City,State,Postal Code,Memo,Square Customer ID,Transaction Count,Email Subscription Status",
        row: "R1,Ann,Lee,ann@example.com,+15125550100,Acme,1 Main St,Apt 2,Austin,Texas,78701,likes tea,SQ1,3,subscribed",
        preset: None,
        fates: &[
            ("Street Address 1", "sent", Some("address.address1")),
            // Not "a second street line": Square's second line.
            ("Street Address 2", "sent", Some("address.address2")),
            ("Memo", "sent", Some("notes")),
            ("Square Customer ID", "left_out", None),
            (
                "Email Subscription Status",
                "not_sent",
                Some("accepts_marketing"),
            ),
        ],
    },
    Export {
        name: "shopify.csv",
        header: "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,Default Address Address1,Default Address Address2,Default Address City,Default Address Province Code,Default Address Country Code,Default Address Zip,Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,Tax Exempt,Tags",
        row: "'7001,Ann,Lee,ann@example.com,yes,Acme,1 Main St,,Austin,TX,US,'02134,,'+15125550100,no,10.00,1,vip,no,\"a, b\"",
        preset: Some("shopify"),
        fates: &[
            ("Default Address Zip", "sent", Some("address.zip")),
            ("Tax Exempt", "left_out", None),
            (
                "Accepts Email Marketing",
                "not_sent",
                Some("accepts_marketing"),
            ),
        ],
    },
    Export {
        name: "woocommerce.csv",
        header: "Name,Username,Last active,Date registered,Email,Orders,Total spend,AOV,Country / Region,City,Region,Postal code",
        row: "Ann Lee,ann,2024-02-01,2024-01-01,ann@example.com,2,$20.00,$10.00,US,Austin,TX,78701",
        preset: Some("woocommerce"),
        fates: &[
            ("Name", "sent", Some("name")),
            ("Date registered", "left_out", None),
            ("Postal code", "sent", Some("address.zip")),
        ],
    },
    Export {
        name: "magento.csv",
        header: "email,_website,_store,firstname,lastname,password,dob,_address_firstname,_address_lastname,_address_street,_address_city,_address_region,_address_country_id,_address_postcode,_address_telephone",
        row: "ann@example.com,base,default,Ann,Lee,secret,1980-01-01,Ann,Lee,1 Main St,Austin,Texas,US,78701,512-555-0100",
        preset: Some("magento"),
        fates: &[
            ("password", "left_out", None),
            ("_address_street", "sent", Some("address.address1")),
            ("_address_country_id", "sent", Some("address.country_code")),
        ],
    },
    Export {
        name: "bigcommerce-export.csv",
        header: "Customer ID,Email Address,First Name,Last Name,Company,Phone,Notes,Customer Group,Address First Name - 1,Address Last Name - 1,Address Line 1 - 1,City - 1,State - 1,Zip - 1,Country - 1",
        row: "1,ann@example.com,Ann,Lee,Acme,512-555-0100,vip,Retail,Ann,Lee,1 Main St,Austin,Texas,78701,United States",
        preset: Some("bigcommerce"),
        fates: &[
            ("Customer Group", "left_out", None),
            ("Address Line 1 - 1", "sent", Some("address.address1")),
        ],
    },
    Export {
        name: "vcard.csv",
        header: "FN,N,EMAIL,TEL,ADR,ORG,NOTE",
        row: "Ann Lee,Lee;Ann;;;,ann@example.com,+15125550100,;;1 Main St;Austin;TX;78701;USA,Acme,hi",
        preset: None,
        fates: &[
            ("EMAIL", "sent", Some("email")),
            ("TEL", "sent", Some("phone")),
            ("NOTE", "sent", Some("notes")),
            ("FN", "unknown", None),
            ("ADR", "unknown", None),
        ],
    },
];

#[test]
fn exports_of_other_systems_state_every_columns_fate_and_map_what_they_name() {
    let w = Work::new();
    for export in EXPORTS {
        let file = w.write(export.name, format!("{}\n{}\n", export.header, export.row));
        let (run, report) = w.validate_json(&[&arg(&file), "--to", "bigcommerce"]);
        run.no_crash();
        assert_eq!(
            summary(&report, "records"),
            1,
            "{}\n{}",
            export.name,
            run.shown()
        );
        let mapping = report["context"]["mapping"].as_str().unwrap_or_default();
        match export.preset {
            Some(p) => assert!(
                mapping.contains(&format!("preset {p} ")),
                "{}: {mapping}",
                export.name
            ),
            None => assert!(
                mapping.starts_with("auto-mapped"),
                "{}: {mapping}",
                export.name
            ),
        }
        assert_every_column_once(&report, export.header, ',');
        for (column, fate, field) in export.fates {
            assert_fate(&report, column, fate, *field);
        }
        // `mapping` agrees: every column it sends is in the mapping file.
        let run = w.run(&["mapping", &arg(&file), "--to", "bigcommerce"]);
        run.exits(0);
        for (column, fate, _) in export.fates {
            if *fate == "sent" {
                run.stdout_has(&format!("\"{column}\""));
            }
        }
    }
}

#[test]
fn google_contacts_values_arrive_unchanged_from_the_first_of_each_numbered_column() {
    let w = Work::new();
    let google = &EXPORTS[0];
    let file = w.write(google.name, format!("{}\n{}\n", google.header, google.row));
    let records = seen(&file, PlatformId::Bigcommerce);
    let c = customer(&records, 0);
    assert_eq!(c.email, some("ann@example.com"), "E-mail 1, not E-mail 2");
    assert_eq!(c.phone, some("+1 512 555 0100"));
    assert_eq!(c.company, some("Acme"));
    let a = &c.addresses[0];
    assert_eq!(a.address1, some("1 Main St"));
    assert_eq!(a.address2, some("Apt 2"));
    assert_eq!(a.city, some("Austin"));
    assert_eq!(a.zip, some("78701"));
    assert_eq!(a.country_code, some("US"));
}

#[test]
fn google_contacts_labels_are_split_on_its_separator_without_its_own_groups() {
    let w = Work::new();
    let google = EXPORTS
        .iter()
        .find(|e| e.name == "google-contacts.csv")
        .expect("the Google Contacts export is in the table");
    let row = google.row.replace(
        ",* myContacts,",
        ",* myContacts ::: Friends ::: VIP ::: * starred,",
    );
    let file = w.write(google.name, format!("{}\n{row}\n", google.header));
    let records = seen(&file, PlatformId::Salesive);
    assert_eq!(customer(&records, 0).tags, vec!["Friends", "VIP"]);
    let report = validate(&w, &file, "salesive", 0);
    assert_fate(&report, "Labels", "not_sent", Some("tags"));
    // Only Google's own groups: no tag at all.
    let file = w.write(google.name, format!("{}\n{}\n", google.header, google.row));
    assert!(
        customer(&seen(&file, PlatformId::Bitbybit), 0)
            .tags
            .is_empty()
    );
    // The older export's Group Membership, the same way.
    let old = EXPORTS
        .iter()
        .find(|e| e.name == "google-contacts-old.csv")
        .expect("the older Google Contacts export is in the table");
    let row = old
        .row
        .replace(",* myContacts,", ",* myContacts ::: Family ::: Golf Club,");
    let file = w.write(old.name, format!("{}\n{row}\n", old.header));
    assert_eq!(
        customer(&seen(&file, PlatformId::Bitbybit), 0).tags,
        vec!["Family", "Golf Club"]
    );
    // A Labels column of another export is split on commas as before.
    let file = w.write(
        "labels.csv",
        "Email,First Name,Last Name,Labels\nann@example.com,Ann,Lee,\"vip, b2b\"\n",
    );
    assert_eq!(
        customer(&seen(&file, PlatformId::Bitbybit), 0).tags,
        vec!["vip", "b2b"]
    );
}

#[test]
fn email_with_accepts_marketing_alone_is_auto_mapped_not_shopify() {
    let w = Work::new();
    let file = w.write(
        "newsletter.csv",
        "Email,First Name,Last Name,Accepts Marketing,Company\nann@example.com,Ann,Lee,yes,Acme\n",
    );
    let (run, report) = w.validate_json(&[&arg(&file), "--to", "bigcommerce"]);
    run.exits(0)
        .stdout_has("mapping: auto-mapped from the header's column names");
    assert!(!run.stdout.contains("shopify"), "{}", run.stdout);
    assert_fate(
        &report,
        "Accepts Marketing",
        "not_sent",
        Some("accepts_marketing"),
    );
    assert_fate(&report, "Company", "sent", Some("company"));
    let records = seen(&file, PlatformId::Bigcommerce);
    assert_eq!(customer(&records, 0).accepts_marketing, Some(true));
    assert_eq!(customer(&records, 0).company, some("Acme"));
}

#[test]
fn mailchimp_ip_location_never_becomes_a_postal_address() {
    let w = Work::new();
    let mc = EXPORTS
        .iter()
        .find(|e| e.name == "mailchimp.csv")
        .expect("the Mailchimp export is in the table");
    let file = w.write(mc.name, format!("{}\n{}\n", mc.header, mc.row));
    let report = validate(&w, &file, "bigcommerce", 0);
    assert_eq!(summary(&report, "valid"), 1);
    let records = seen(&file, PlatformId::Bigcommerce);
    let c = customer(&records, 0);
    assert!(c.addresses.is_empty(), "{:?}", c.addresses);
    assert_eq!(c.phone, some("+1 512 555 0100"));
}

#[test]
fn outlook_home_address_is_one_address_never_mixed_with_the_business_one() {
    let w = Work::new();
    let ol = EXPORTS
        .iter()
        .find(|e| e.name == "outlook.csv")
        .expect("the Outlook export is in the table");
    let file = w.write(ol.name, format!("{}\n{}\n", ol.header, ol.row));
    let records = seen(&file, PlatformId::Bitbybit);
    let c = customer(&records, 0);
    assert_eq!(c.addresses.len(), 1);
    let a = &c.addresses[0];
    assert_eq!(
        (
            a.address1.as_deref(),
            a.address2.as_deref(),
            a.city.as_deref()
        ),
        (Some("2 Home Ln"), Some("Apt 3"), Some("Austin"))
    );
    assert_eq!(c.phone, some("+1 512 555 0199"));
}

// ------------------------------------------------------------------- values

#[test]
fn an_email_written_as_a_mail_link_or_with_a_display_name_says_which_address_to_write() {
    let w = Work::new();
    let file = w.write(
        "emails.csv",
        "Email,First Name,Last Name\n\
         <ann@example.com>,Ann,Lee\n\
         mailto:bob@example.com,Bob,Ray\n\
         \"Cy Doe <cy@example.com>\",Cy,Doe\n\
         dee@example.com,Dee,Moe\n",
    );
    let report = validate(&w, &file, "bigcommerce", 1);
    let lines: Vec<u64> = violations(&report).iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, vec![2, 3, 4]);
    let texts: Vec<&str> = report["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .filter_map(|v| v["message"].as_str())
        .collect();
    for (text, address) in
        texts
            .iter()
            .zip(["ann@example.com", "bob@example.com", "cy@example.com"])
    {
        assert!(
            text.contains(&format!("write the address alone: {address}")),
            "{text}"
        );
    }
}

#[test]
fn invisible_characters_in_an_email_are_named_and_around_a_value_are_trimmed() {
    let w = Work::new();
    let file = w.write(
        "invisible.csv",
        "Email,First Name,Last Name\n\
         ann\u{200b}@example.com,Ann,Lee\n\
         bob\u{a0}ray@example.com,Bob,Ray\n\
         \u{a0}cy@example.com\u{a0},\u{a0}Cy\u{a0},Doe\n\
         dee@example.com\u{200b},Dee,Moe\n\
         dee@example.com,Dee,Moe\n",
    );
    let report = validate(&w, &file, "bigcommerce", 1);
    assert_eq!(
        violations(&report),
        vec![
            (2, "email.invalid".to_string()),
            (3, "email.invalid".to_string()),
            // A zero-width space pasted after an address is trimmed like a
            // space, so the same address twice is found.
            (6, "email.duplicate_in_file".to_string()),
        ]
    );
    let texts: Vec<String> = report["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .filter_map(|v| v["message"].as_str().map(str::to_string))
        .collect();
    assert!(
        texts[0].contains("U+200B, a zero-width space"),
        "{}",
        texts[0]
    );
    assert!(
        texts[1].contains("U+00A0, a no-break space"),
        "{}",
        texts[1]
    );
    let records = seen(&file, PlatformId::Bigcommerce);
    let c = customer(&records, 2);
    assert_eq!(c.email, some("cy@example.com"));
    assert_eq!(c.first_name, some("Cy"));
    assert_eq!(customer(&records, 3).email, some("dee@example.com"));
}

#[test]
fn spreadsheet_marks_on_phones_zips_and_ids_are_removed_and_nowhere_else() {
    let w = Work::new();
    // Excel's text formula `="0123"` as a CSV cell is `"=""0123"""`.
    let file = w.write(
        "excel.csv",
        "Email,First Name,Last Name,Phone,Address1,City,Zip,Country\n\
         ann@example.com,\"=\"\"Ann\"\"\",Lee,\"=\"\"02079460958\"\"\",1 Main St,Boston,\"=\"\"02134\"\"\",US\n\
         bob@example.com,'Bob,Ray,'07700900123,1 Main St,Boston,'02134,US\n\
         cy@example.com,Cy,Doe,+44 (0)20 7946 0958,1 Main St,Boston,02134,US\n",
    );
    let records = seen(&file, PlatformId::Bigcommerce);
    let (a, b, c) = (
        customer(&records, 0),
        customer(&records, 1),
        customer(&records, 2),
    );
    assert_eq!(a.phone, some("02079460958"));
    assert_eq!(a.addresses[0].zip, some("02134"));
    assert_eq!(a.first_name, some("=\"Ann\""), "a name keeps what it holds");
    assert_eq!(b.phone, some("07700900123"));
    assert_eq!(b.addresses[0].zip, some("02134"));
    assert_eq!(b.first_name, some("'Bob"), "a name keeps its '");
    assert_eq!(c.phone, some("+44 (0)20 7946 0958"), "kept as written");
    assert_eq!(c.addresses[0].zip, some("02134"), "leading zero kept");
}

#[test]
fn a_phone_in_scientific_notation_is_left_out_with_a_warning_on_its_line() {
    let w = Work::new();
    let file = w.write(
        "sci.csv",
        "Email,First Name,Last Name,Phone\nann@example.com,Ann,Lee,7.02255E+12\n",
    );
    let report = validate(&w, &file, "bigcommerce", 0);
    let warnings: Vec<(u64, String)> = report["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .filter(|v| v["severity"] == "warning")
        .map(|v| (v["line"].as_u64().unwrap_or(0), v["rule"].to_string()))
        .collect();
    assert_eq!(
        warnings,
        vec![(2, "\"phone.scientific_notation\"".to_string())]
    );
    let records = seen(&file, PlatformId::Bigcommerce);
    assert_eq!(
        customer(&records, 0).phone,
        None,
        "never sent half a number"
    );
}

#[test]
fn marketing_flags_in_every_spelling_are_read_and_anything_else_is_not_guessed() {
    let w = Work::new();
    let mut text = String::from("Email,First Name,Last Name,Accepts Marketing\n");
    let spellings = [
        ("TRUE", Some(true)),
        ("FALSE", Some(false)),
        ("Y", Some(true)),
        ("N", Some(false)),
        ("1", Some(true)),
        ("0", Some(false)),
        ("Subscribed", Some(true)),
        ("Unsubscribed", Some(false)),
        ("yes", Some(true)),
        ("", None),
    ];
    for (i, (flag, _)) in spellings.iter().enumerate() {
        text.push_str(&format!("u{i}@example.com,F{i},L{i},{flag}\n"));
    }
    text.push_str("maybe@example.com,May,Be,maybe\n");
    let file = w.write("flags.csv", text);
    let records = seen(&file, PlatformId::Salesive);
    for (i, (flag, want)) in spellings.iter().enumerate() {
        assert_eq!(
            customer(&records, i).accepts_marketing,
            *want,
            "{flag:?} on line {}",
            i + 2
        );
    }
    // Not yes or no: read as nothing, never guessed.
    assert_eq!(customer(&records, spellings.len()).accepts_marketing, None);
    // No platform's create-customer request carries the flag: each says
    // so, and a flag it never sends cannot refuse a customer.
    for platform in ["bigcommerce", "salesive", "bitbybit"] {
        let report = validate(&w, &file, platform, 0);
        assert_fate(
            &report,
            "Accepts Marketing",
            "not_sent",
            Some("accepts_marketing"),
        );
    }
    // BigCommerce never receives the flag: nothing there to refuse.
    validate(&w, &file, "bigcommerce", 0);
}

#[test]
fn long_notes_emoji_and_right_to_left_text_arrive_unchanged() {
    let w = Work::new();
    let long: String = "Lorem ipsum 🚀 dolor, \"sit\" amet; ".repeat(600);
    let quoted = long.replace('"', "\"\"");
    let file = w.write(
        "unicode.csv",
        format!(
            "Email,First Name,Last Name,Notes\n\
             ann@example.com,محمد,כהן,\"{quoted}\"\n\
             bob@example.com,Zoë 👩‍💻,Ñúñez,שלום עולם\n"
        ),
    );
    let report = validate(&w, &file, "bigcommerce", 0);
    assert_eq!(summary(&report, "valid"), 2);
    let records = seen(&file, PlatformId::Bigcommerce);
    let a = customer(&records, 0);
    assert_eq!(a.first_name, some("محمد"));
    assert_eq!(a.last_name, some("כהן"));
    assert_eq!(a.notes.as_deref(), Some(long.trim()));
    let b = customer(&records, 1);
    assert_eq!(b.first_name, some("Zoë 👩‍💻"));
    assert_eq!(b.notes, some("שלום עולם"));
    assert_eq!(records[1].line, 3);
}

// ---------------------------------------------------------------- structure

#[test]
fn json_named_csv_is_refused_saying_what_it_is() {
    let w = Work::new();
    for (name, body) in [
        (
            "array.csv",
            "[{\"email\":\"ann@example.com\",\"first_name\":\"Ann\",\"last_name\":\"Lee\"}]\n",
        ),
        (
            "lines.csv",
            "{\"email\":\"ann@example.com\",\"first_name\":\"Ann\",\"last_name\":\"Lee\"}\n{\"email\":\"bob@example.com\",\"first_name\":\"Bob\",\"last_name\":\"Ray\"}\n",
        ),
        (
            "pretty.csv",
            "{\n  \"customers\": [\n    {\"email\": \"ann@example.com\"}\n  ]\n}\n",
        ),
    ] {
        let stderr = refused(&w, &w.write(name, body));
        assert!(
            stderr.contains("the content is JSON") && stderr.contains("--format json"),
            "{name}: {stderr}"
        );
        // Told the format, storeload reads it.
        let file = w.path(name);
        let format = if name == "lines.csv" { "jsonl" } else { "json" };
        w.run(&[
            "validate",
            &arg(&file),
            "--to",
            "salesive",
            "--format",
            format,
        ])
        .no_crash();
    }
}

#[test]
fn api_responses_with_records_one_object_down_or_after_a_links_array_are_read_whole() {
    let w = Work::new();
    let people = "[\n    {\"email\": \"ann@example.com\", \"first_name\": \"Ann\", \"last_name\": \"Lee\"},\n    {\"email\": \"not-an-email\", \"first_name\": \"Bo\", \"last_name\": \"Chen\"},\n    {\"email\": \"zoe@example.com\", \"first_name\": \"Zoë\", \"last_name\": \"Müller\"}\n  ]";
    for (name, bo_line, body) in [
        // A REST or GraphQL response: the records one object down.
        (
            "nested.json",
            3,
            format!(
                "{{\"data\": {{\"customers\": {people}}},\n \"meta\": {{\"pages\": [{{\"n\": 1}}]}}}}\n"
            ),
        ),
        // Paging links before the records (their objects are no customers).
        (
            "links.json",
            4,
            format!(
                "{{\"links\": [{{\"rel\": \"next\", \"href\": \"https://x.example/2\"}}],\n \"customers\": {people}}}\n"
            ),
        ),
    ] {
        let file = w.write(name, &body);
        let report = validate(&w, &file, "bigcommerce", 1);
        assert_eq!(summary(&report, "records"), 3, "{name}");
        assert_eq!(
            violations(&report),
            vec![(bo_line, "email.invalid".to_string())],
            "{name}: the second record, on its own line"
        );
        let records = seen(&file, PlatformId::Bigcommerce);
        assert_eq!(customer(&records, 2).last_name, some("Müller"), "{name}");
    }
}

#[test]
fn csv_named_jsonl_is_refused_and_csv_named_json_is_read_as_csv() {
    let w = Work::new();
    let body = "email,first_name,last_name\nann@example.com,Ann,Lee\n";
    let stderr = refused(&w, &w.write("c.jsonl", body));
    assert!(
        stderr.contains("line 1 is not a JSON object") && stderr.contains("--format csv"),
        "{stderr}"
    );
    let file = w.write("c.json", body);
    let report = validate(&w, &file, "bigcommerce", 0);
    assert_eq!(report["context"]["format"], "csv");
}

#[test]
fn gzip_is_read_by_its_bytes_with_or_without_gz_in_the_name() {
    let w = Work::new();
    let body = b"Email,First Name,Last Name\nann@example.com,Ann,Lee\nbob@example.com,,Ray\n";
    for name in ["c.csv.gz", "c.csv", "c.gz"] {
        let file = w.write(name, gzip(body));
        let report = validate(&w, &file, "bigcommerce", 1);
        assert_eq!(
            violations(&report),
            vec![(3, "first_name.required".to_string())],
            "{name}"
        );
    }
}

#[test]
fn empty_blank_and_header_only_files_say_what_they_are() {
    let w = Work::new();
    let stderr = refused(&w, &w.write("empty.csv", ""));
    assert!(stderr.contains("empty (0 bytes)"), "{stderr}");
    let stderr = refused(&w, &w.write("blank.csv", "\n\r\n\n"));
    assert!(stderr.contains("not a header row"), "{stderr}");
    let stderr = refused(&w, &w.write("empty.csv.gz", gzip(b"")));
    assert!(stderr.contains("holds no data"), "{stderr}");
    // DECISIONS: a header and no rows is 0 records, exit 0.
    for (name, body) in [
        ("header.csv", "Email,First Name,Last Name\n"),
        ("header-no-newline.csv", "Email,First Name,Last Name"),
        (
            "header-blank-lines.csv",
            "Email,First Name,Last Name\r\n\r\n\r\n",
        ),
    ] {
        let report = validate(&w, &w.write(name, body), "bigcommerce", 0);
        assert_eq!(summary(&report, "records"), 0, "{name}");
    }
}

#[test]
fn a_last_row_without_a_newline_is_read_whole() {
    let w = Work::new();
    let file = w.write(
        "last.csv",
        "Email,First Name,Last Name,Notes\r\nann@example.com,Ann,Lee,first\r\nbob@example.com,Bob,Ray,\"last, \"\"quoted\"\"\"",
    );
    let report = validate(&w, &file, "bigcommerce", 0);
    assert_eq!(summary(&report, "valid"), 2);
    let records = seen(&file, PlatformId::Bigcommerce);
    assert_eq!(customer(&records, 1).notes, some("last, \"quoted\""));
    assert_eq!(records[1].line, 3);
}

#[test]
fn rows_with_fewer_or_more_fields_are_violations_on_their_own_lines() {
    let w = Work::new();
    let file = w.write(
        "ragged.csv",
        "Email,First Name,Last Name,Notes\n\
         ann@example.com,Ann,Lee,\"two\nlines\"\n\
         bob@example.com,Bob\n\
         cy@example.com,Cy,Doe,a,b\n\
         dee@example.com,Dee,Moe,ok\n",
    );
    let report = validate(&w, &file, "bigcommerce", 1);
    assert_eq!(
        violations(&report),
        vec![
            (4, "row.field_count".to_string()),
            (5, "row.field_count".to_string())
        ]
    );
    assert!(
        message(&report, "row.field_count").contains("row has 2 fields, the header has 4"),
        "{}",
        message(&report, "row.field_count")
    );
    assert_eq!(summary(&report, "valid"), 2);
}

#[test]
fn quoted_delimiters_doubled_quotes_and_a_stray_quote_keep_their_text() {
    let w = Work::new();
    let file = w.write(
        "quotes.csv",
        "Email,First Name,Last Name,Notes\n\
         ann@example.com,Ann,Lee,5'10\" tall\n\
         bob@example.com,Bob,\"O'Brien, Jr\",\"say \"\"hi\"\", ok\"\n\
         cy@example.com,Cy,Doe,plain\n",
    );
    let report = validate(&w, &file, "bigcommerce", 0);
    assert_eq!(summary(&report, "valid"), 3);
    let records = seen(&file, PlatformId::Bigcommerce);
    assert_eq!(customer(&records, 0).notes, some("5'10\" tall"));
    assert_eq!(customer(&records, 1).last_name, some("O'Brien, Jr"));
    assert_eq!(customer(&records, 1).notes, some("say \"hi\", ok"));
    assert_eq!(records[2].line, 4);
}

#[test]
fn an_unclosed_quote_at_the_end_is_a_violation_of_its_row_not_a_value() {
    let w = Work::new();
    let file = w.write(
        "unclosed.csv",
        "Email,First Name,Last Name,Notes\nann@example.com,Ann,Lee,ok\nbob@example.com,Bob,Ray,\"never closed\n",
    );
    let report = validate(&w, &file, "bigcommerce", 1);
    assert_eq!(
        violations(&report),
        vec![(3, "row.unclosed_quote".to_string())]
    );
}

#[test]
fn a_value_under_a_json_key_with_no_name_is_a_warning_naming_it() {
    let w = Work::new();
    let body = concat!(
        "{\"email\":\"ann@example.com\",\"first_name\":\"Ann\",\"last_name\":\"Lee\",\"\":\"VIP since 2019\"}\n",
        "{\"email\":\"bob@example.com\",\"first_name\":\"Bob\",\"last_name\":\"Ray\",\"\":\"\"}\n",
        "{\"email\":\"cy@example.com\",\"first_name\":\"Cy\",\"last_name\":\"Doe\"}\n",
    );
    let file = w.write("keys.jsonl", body);
    let report = validate(&w, &file, "bigcommerce", 0);
    assert_eq!(summary(&report, "valid"), 3, "a warning, not a violation");
    assert_eq!(
        warnings(&report)
            .into_iter()
            .filter(|(_, r)| r == "row.value_in_unnamed_column")
            .collect::<Vec<_>>(),
        vec![(1, "row.value_in_unnamed_column".to_string())],
        "only the record with a value there"
    );
    let text = message(&report, "row.value_in_unnamed_column");
    assert!(text.contains("VIP since 2019"), "{text}");
}
