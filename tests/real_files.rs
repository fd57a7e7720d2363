//! Files whose layout no preset knows: the header auto-mapper, through the
//! binary.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_storeload"))
}

fn sample() -> String {
    format!(
        "{}/tests/data/real/crm-unknown-layout.csv",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn validate_json(
    extra: &[&str],
    dir: &std::path::Path,
    name: &str,
) -> (Option<i32>, Value, String) {
    let report = dir.join(name);
    let mut args = vec!["validate", extra[0], "--to", "salesive", "--json"];
    let report_str = report.to_str().expect("utf-8 path").to_string();
    args.push(&report_str);
    args.extend(&extra[1..]);
    let out = Command::new(bin())
        .args(&args)
        .output()
        .expect("binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    eprintln!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json");
    (out.status.code(), json, stdout)
}

#[test]
fn auto_mapping_reads_a_layout_no_preset_knows_by_column_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = sample();
    let (code, json, stdout) = validate_json(&[&input], dir.path(), "a.json");
    assert_eq!(code, Some(0), "every row is valid for Salesive");
    assert!(
        stdout.contains("mapping: auto-mapped from the header's column names"),
        "{stdout}"
    );
    assert!(stdout.contains("email ← \"E-mail Address\""), "{stdout}");
    assert!(
        stdout.contains("phone ← \"Phone 1\""),
        "the first candidate wins: {stdout}"
    );
    assert!(
        stdout.contains("first_name, last_name ← split(\"Customer Name\")"),
        "{stdout}"
    );
    // Never by values: "Password" holds email-like text and is left out by
    // its name; "Phone 2" is left out because "Phone 1" is the phone.
    // Neither is dropped without a word.
    let left_out: Vec<(&str, &str)> = json["context"]["columns"]
        .as_array()
        .expect("columns list")
        .iter()
        .filter(|c| c["fate"] == "left_out")
        .filter_map(|c| Some((c["column"].as_str()?, c["reason"].as_str()?)))
        .collect();
    assert_eq!(
        left_out,
        vec![
            (
                "Phone 2",
                "phone already comes from \"Phone 1\"; a customer has one phone"
            ),
            ("Password", "passwords are never moved"),
        ]
    );
    assert_eq!(json["context"]["unmapped"], serde_json::json!([]));
    // Salesive sends the full name as written: nothing to warn about.
    assert!(json["summary"]["by_rule"].get("name.split").is_none());
    // bitbybit sends first and last name: each split is a counted warning.
    let report = dir.path().join("b.json");
    let out = Command::new(bin())
        .args([
            "validate",
            &input,
            "--to",
            "bitbybit",
            "--json",
            report.to_str().expect("path"),
        ])
        .output()
        .expect("binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "warnings do not make a record invalid"
    );
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json");
    assert_eq!(json["summary"]["by_rule"]["name.split"]["count"], 3);
}

#[test]
fn a_header_with_no_name_email_or_phone_still_asks_for_a_mapping_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("odd.csv");
    std::fs::write(&input, "colour,size\nred,9\n").expect("write");
    let out = Command::new(bin())
        .args([
            "validate",
            input.to_str().expect("path"),
            "--to",
            "bitbybit",
        ])
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no preset matches") && stderr.contains("mapping file"),
        "{stderr}"
    );
}

#[test]
fn the_auto_mapping_written_by_storeload_mapping_gives_the_same_result_fed_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = sample();
    let out = Command::new(bin())
        .args(["mapping", &input])
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(0));
    let file = dir.path().join("mapping.toml");
    std::fs::write(&file, &out.stdout).expect("write");
    let (_, auto, _) = validate_json(&[&input], dir.path(), "auto.json");
    let (_, fed, _) = validate_json(
        &[&input, "--mapping", file.to_str().expect("path")],
        dir.path(),
        "fed.json",
    );
    assert_eq!(auto["summary"], fed["summary"]);
    assert_eq!(auto["violations"], fed["violations"]);
}

#[test]
fn shopify_admin_api_json_is_detected_and_reads_each_address_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = format!(
        "{}/tests/data/real/shopify-customers.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = Command::new(bin())
        .args(["validate", &input, "--to", "bigcommerce"])
        .output()
        .expect("binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("preset shopify-json (detected from the header)"),
        "{stdout}"
    );
    assert!(stdout.contains("notes ← \"note\""), "{stdout}");
    assert!(
        stdout.contains("left out on purpose: \"default_address\""),
        "{stdout}"
    );
    // What an import would send: the default address once, plus the other.
    let journal = dir.path().join("run.journal");
    let out = Command::new(bin())
        .args([
            "import",
            &input,
            "--to",
            "bigcommerce",
            "--journal",
            journal.to_str().expect("path"),
            "--sandbox",
            "--quiet",
        ])
        .output()
        .expect("binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ids = Command::new(bin())
        .args(["ids", journal.to_str().expect("path")])
        .output()
        .expect("binary runs");
    let text = String::from_utf8_lossy(&ids.stdout);
    assert!(text.contains("bob.norman@mail.example.com,"), "{text}");
    assert!(text.contains("ann@example.com,"), "{text}");
}

#[test]
fn shopify_json_default_address_is_not_read_twice() {
    let input = format!(
        "{}/tests/data/real/shopify-customers.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let args = storeload::cmd::common::SourceArgs {
        input,
        format: None,
        delimiter: None,
        preset: None,
        mapping: None,
        phone: storeload::values::PhoneFormat::Keep,
        max_record_bytes: storeload::read::DEFAULT_MAX_RECORD_BYTES,
        encoding: storeload::read::Encoding::Utf8,
    };
    let (mut opened, mapping) = args.open().expect("the file opens and a preset fits");
    let records = std::mem::replace(&mut opened.records, storeload::read::Records::empty());
    let mut customers = Vec::new();
    storeload::validate::pipeline::run(
        records,
        &mapping,
        storeload::platform::PlatformId::Bigcommerce.platform(),
        storeload::validate::pipeline::CheckOptions::default(),
        |c| {
            customers.push(c.customer);
            true
        },
    );
    let bob = customers[0].as_ref().expect("Bob maps");
    assert_eq!(bob.email.as_deref(), Some("bob.norman@mail.example.com"));
    assert_eq!(bob.tags, vec!["Léon", "Noël"]);
    assert_eq!(bob.addresses.len(), 2, "{:?}", bob.addresses);
    assert!(bob.addresses[0].default && !bob.addresses[1].default);
    assert_eq!(
        bob.addresses[0].first_name.as_deref(),
        Some("Bob"),
        "the customer's name fills a blank one"
    );
    let ann = customers[1].as_ref().expect("Ann maps");
    assert!(ann.addresses.is_empty());
    assert_eq!(ann.notes.as_deref(), Some("VIP, call first"));
}

#[test]
fn woocommerce_export_is_detected_and_imports_without_street_lines() {
    let input = format!(
        "{}/tests/data/real/woocommerce-customers.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = Command::new(bin())
        .args(["validate", &input, "--to", "bigcommerce"])
        .output()
        .expect("binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Valid: the names are split (warnings) and the street-less addresses
    // are left out (warnings), never a refused customer.
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("preset woocommerce (detected from the header)"),
        "{stdout}"
    );
    assert!(stdout.contains("name.split"), "{stdout}");
    assert!(stdout.contains("address.no_street_left_out"), "{stdout}");
    assert!(
        stdout.contains("left out on purpose: \"Username\""),
        "{stdout}"
    );
}

#[test]
fn storeload_mapping_fed_back_gives_the_same_result_for_each_real_layout() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in [
        "woocommerce-customers.csv",
        "shopify-customers.json",
        "crm-unknown-layout.csv",
        "magento-customers.csv",
        "bigcommerce-customers.csv",
    ] {
        let input = format!("{}/tests/data/real/{name}", env!("CARGO_MANIFEST_DIR"));
        let out = Command::new(bin())
            .args(["mapping", &input])
            .output()
            .expect("binary runs");
        assert_eq!(out.status.code(), Some(0), "{name}");
        let file = dir.path().join(format!("{name}.toml"));
        std::fs::write(&file, &out.stdout).expect("write");
        let (_, preset, _) = validate_json(&[&input], dir.path(), "p.json");
        let (_, fed, _) = validate_json(
            &[&input, "--mapping", file.to_str().expect("path")],
            dir.path(),
            "f.json",
        );
        assert_eq!(preset["summary"], fed["summary"], "{name}");
        assert_eq!(preset["violations"], fed["violations"], "{name}");
        // The same customers, field by field (addresses too, which the
        // Salesive report above does not send).
        let by_preset: Vec<_> = customers_with(name, None)
            .into_iter()
            .map(|c| c.customer)
            .collect();
        let by_file: Vec<_> = customers_with(name, Some(file.to_str().expect("path")))
            .into_iter()
            .map(|c| c.customer)
            .collect();
        assert_eq!(by_preset, by_file, "{name}");
    }
}

/// Maps every record of a file in tests/data/real with its detected preset.
fn customers_of(name: &str) -> Vec<storeload::validate::pipeline::Checked> {
    customers_with(name, None)
}

/// Maps every record of a file in tests/data/real with a mapping file, or
/// the preset detected.
fn customers_with(
    name: &str,
    mapping: Option<&str>,
) -> Vec<storeload::validate::pipeline::Checked> {
    checked(
        storeload::cmd::common::SourceArgs {
            input: format!("{}/tests/data/real/{name}", env!("CARGO_MANIFEST_DIR")),
            format: None,
            delimiter: None,
            preset: None,
            mapping: mapping.map(PathBuf::from),
            phone: storeload::values::PhoneFormat::Keep,
            max_record_bytes: storeload::read::DEFAULT_MAX_RECORD_BYTES,
            encoding: storeload::read::Encoding::Utf8,
        },
        storeload::platform::PlatformId::Bigcommerce,
    )
}

/// Reads, maps and checks `args`' input for `platform`, every record kept.
fn checked(
    args: storeload::cmd::common::SourceArgs,
    platform: storeload::platform::PlatformId,
) -> Vec<storeload::validate::pipeline::Checked> {
    let (mut opened, mapping) = args.open().expect("the file opens and a mapping fits");
    let records = std::mem::replace(&mut opened.records, storeload::read::Records::empty());
    let mut out = Vec::new();
    storeload::validate::pipeline::run(
        records,
        &mapping,
        platform.platform(),
        storeload::validate::pipeline::CheckOptions::default(),
        |c| {
            out.push(c);
            true
        },
    );
    out
}

#[test]
fn magento_continuation_rows_add_addresses_and_street_lines_split() {
    let checked = customers_of("magento-customers.csv");
    assert_eq!(checked.len(), 3, "three customers, two continuation rows");
    let v = checked[0].customer.as_ref().expect("Veronica maps");
    assert_eq!(v.email.as_deref(), Some("veronica.costello@example.com"));
    assert_eq!(v.addresses.len(), 2, "{:?}", v.addresses);
    let (a, b) = (&v.addresses[0], &v.addresses[1]);
    assert_eq!(a.address1.as_deref(), Some("6146 Honey Bluff Parkway"));
    assert_eq!(
        a.address2.as_deref(),
        Some("Suite 12"),
        "newline-separated street"
    );
    assert_eq!(a.country_code.as_deref(), Some("US"));
    assert_eq!(a.province.as_deref(), Some("Michigan"));
    assert_eq!(
        b.address1.as_deref(),
        Some("1 Woodward Ave"),
        "a JSON array of lines"
    );
    assert_eq!(b.address2.as_deref(), Some("Floor 3"));
    assert_eq!(b.company.as_deref(), Some("Costello & Co"));
    assert_eq!(b.line, Some(4), "the continuation row's own line");
    assert_eq!(checked[0].raw.continued.len(), 1);
    // John's continuation row holds only a country: no street, so BigCommerce
    // leaves that address out, with a warning naming the row's line (6).
    let john = &checked[1];
    assert!(john.is_valid());
    let w = john
        .findings
        .iter()
        .find(|f| f.rule == "address.no_street_left_out")
        .expect("a warning for the street-less address");
    assert_eq!(w.line, 6, "{w:?}");
    assert!(w.message().starts_with("line 6: "), "{}", w.message());
    assert!(
        checked[2]
            .customer
            .as_ref()
            .is_some_and(|c| c.addresses.is_empty())
    );
}

#[test]
fn a_magento_continuation_row_before_any_customer_is_a_violation() {
    let checked = customers_of("magento-orphan.csv");
    assert_eq!(checked.len(), 2);
    assert!(!checked[0].is_valid());
    assert_eq!(
        checked[0].findings[0].rule,
        "row.continuation_without_record"
    );
    assert_eq!(checked[0].findings[0].line, 2);
    assert!(checked[1].is_valid());
}

#[test]
fn a_refused_magento_customer_takes_its_continuation_rows_to_the_rejects_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("magento.csv");
    std::fs::write(
        &input,
        "email,firstname,lastname,_address_city,_address_street,_address_postcode,_address_country_id\n\
         ann@example.com,Ann,,Calder,1 Main St,49628,US\n\
         ,,,Detroit,2 Main St,48201,US\n\
         bo@example.com,Bo,Chen,Lyon,3 Rue,69002,FR\n",
    )
    .expect("write");
    let rejects = dir.path().join("rejects.csv");
    let out = Command::new(bin())
        .args([
            "validate",
            input.to_str().expect("path"),
            "--to",
            "bigcommerce",
            "--rejects",
            rejects.to_str().expect("path"),
        ])
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&rejects).expect("rejects");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        3,
        "header, Ann's row and her continuation row: {text}"
    );
    assert!(lines[1].starts_with("ann@example.com,") && lines[1].contains(",2,"));
    assert!(
        lines[2].starts_with(",,,Detroit") && lines[2].contains(",3,"),
        "{text}"
    );
}

#[test]
fn bigcommerce_export_numbered_address_blocks_become_addresses() {
    let checked = customers_of("bigcommerce-customers.csv");
    assert_eq!(checked.len(), 3);
    let jane = checked[0].customer.as_ref().expect("Jane maps");
    assert_eq!(jane.email.as_deref(), Some("jane.doe@example.com"));
    assert_eq!(jane.phone.as_deref(), Some("+1 512 555 0101"));
    assert_eq!(jane.addresses.len(), 2, "{:?}", jane.addresses);
    assert_eq!(jane.addresses[0].city.as_deref(), Some("Austin"));
    assert_eq!(jane.addresses[0].country_code.as_deref(), Some("US"));
    assert_eq!(jane.addresses[1].city.as_deref(), Some("Dallas"));
    assert_eq!(jane.addresses[1].address2.as_deref(), Some("Suite 5"));
    assert_eq!(jane.addresses[1].company.as_deref(), Some("Doe Design"));
    let li = checked[1].customer.as_ref().expect("Li maps");
    assert_eq!(li.addresses.len(), 1);
    assert_eq!(li.addresses[0].country_code.as_deref(), Some("NZ"));
    assert!(
        checked[2]
            .customer
            .as_ref()
            .is_some_and(|c| c.addresses.is_empty())
    );
    assert!(checked.iter().all(|c| c.is_valid()), "every row is valid");
}

#[test]
fn phone_e164_normalises_with_the_record_country_and_leaves_out_what_does_not_parse() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("phones.csv");
    std::fs::write(
        &input,
        "email,first_name,last_name,phone,address1,city,country_code,zip,address_phone\n\
         a@example.com,Ann,Lee,(415) 555-2671,1 Main,SF,US,94105,'0151 23456789\n\
         b@example.com,Bo,Chen,030 12345678,Torstr 1,Berlin,DE,10119,\n\
         c@example.com,Cy,Ray,12,1 Main,SF,US,94105,\n\
         d@example.com,Di,Fox,+44 20 7946 0958,,,,,\n",
    )
    .expect("write");
    let open = |phone| {
        checked(
            storeload::cmd::common::SourceArgs {
                input: input.to_str().expect("path").to_string(),
                format: None,
                delimiter: None,
                preset: None,
                mapping: None,
                phone,
                max_record_bytes: storeload::read::DEFAULT_MAX_RECORD_BYTES,
                encoding: storeload::read::Encoding::Utf8,
            },
            storeload::platform::PlatformId::Bitbybit,
        )
    };
    let kept = open(storeload::values::PhoneFormat::Keep);
    assert_eq!(
        kept[0].customer.as_ref().and_then(|c| c.phone.as_deref()),
        Some("(415) 555-2671"),
        "by default a phone is sent as written"
    );
    let e164 = open(storeload::values::PhoneFormat::E164);
    let phone = |i: usize| e164[i].customer.as_ref().and_then(|c| c.phone.clone());
    assert_eq!(phone(0).as_deref(), Some("+14155552671"));
    assert_eq!(
        phone(1).as_deref(),
        Some("+493012345678"),
        "the record's country"
    );
    assert_eq!(phone(2), None, "\"12\" does not parse: left out");
    assert_eq!(
        phone(3).as_deref(),
        Some("+442079460958"),
        "a + number needs no country"
    );
    assert!(e164[2].is_valid(), "a warning, not a violation");
    assert_eq!(e164[2].findings[0].rule, "phone.not_e164");
    assert!(e164[2].findings[0].text.contains("\"12\""));
    // An address phone is parsed with its address's country; a
    // spreadsheet's ' is gone first. A German mobile in a US address does
    // not parse as a US number: left out, warned.
    assert!(
        e164[0]
            .findings
            .iter()
            .any(|f| f.rule == "address.phone.not_e164"),
        "{:?}",
        e164[0].findings
    );
}

#[test]
fn storeload_mapping_to_a_platform_names_the_mapped_fields_it_never_sends() {
    let input = format!("{}/samples/customers.csv", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(bin())
        .args(["mapping", &input, "--to", "salesive"])
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let note = text
        .lines()
        .find(|l| l.starts_with("# not sent to Salesive"))
        .unwrap_or_else(|| panic!("a note on what Salesive never sends: {text}"));
    assert!(
        note.contains("address.city") && note.contains("tags"),
        "{note}"
    );
    assert!(!note.contains(" email"), "email is sent: {note}");
    // The note is a comment: the file still reads back.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("m.toml");
    std::fs::write(&file, text.as_bytes()).expect("write");
    let (code, _, _) = validate_json(
        &[&input, "--mapping", file.to_str().expect("path")],
        dir.path(),
        "m.json",
    );
    assert_eq!(code, Some(1), "the sample's broken rows are still found");
}
