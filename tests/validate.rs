//! `storeload validate`, `presets` and `mapping` through the binary: exit
//! codes (0 all valid, 1 some invalid with reports still written, 2 usage
//! or unreadable input), preset detection and `--preset`, mapping files and
//! their transforms, unmapped columns, and the round trip from `storeload
//! mapping` back into `--mapping`.

mod common;

use common::{Work, arg, lines_and_rules, sample, summary};
use serde_json::Value;
use storeload::mapping::presets::PRESETS;

fn lr(items: &[(u64, &str)]) -> Vec<(u64, String)> {
    items.iter().map(|(l, r)| (*l, r.to_string())).collect()
}

/// The twelve rows of `samples/customers.csv` broken on purpose, as
/// samples/README.md lists them for BigCommerce: (CSV line, JSONL line, rule).
const SAMPLE_BROKEN: &[(u64, u64, &str)] = &[
    (44, 37, "email.required"),
    (45, 38, "email.invalid"),
    (46, 39, "email.too_long"),
    (47, 40, "email.duplicate_in_file"),
    (48, 41, "first_name.required"),
    (49, 42, "last_name.required"),
    (50, 43, "first_name.too_long"),
    (51, 44, "company.too_long"),
    (52, 45, "phone.too_long"),
    (53, 46, "address.city.required"),
    (54, 47, "address.country_code.invalid"),
    (55, 48, "address.postal_code.too_long"),
];

// ---------------------------------------------------------------- exit codes

#[test]
fn exit_0_when_every_record_is_valid() {
    let w = Work::new();
    let input = w.write(
        "ok.csv",
        "email,first_name,last_name\nann@example.com,Ann,Lee\nbob@example.com,Bob,Stone\n",
    );
    for to in ["bigcommerce", "salesive", "bitbybit"] {
        w.run(&["validate", &arg(&input), "--to", to])
            .exits(0)
            .stdout_has("valid               2")
            .stdout_has("invalid             0");
    }
}

#[test]
fn exit_1_when_some_records_are_invalid_and_every_report_is_still_written() {
    let w = Work::new();
    let (json, rejects, html) = (w.path("r.json"), w.path("rej.csv"), w.path("r.html"));
    w.run(&[
        "validate",
        &arg(&sample("customers.csv")),
        "--to",
        "bigcommerce",
        "--json",
        &arg(&json),
        "--rejects",
        &arg(&rejects),
        "--html",
        &arg(&html),
    ])
    .exits(1)
    .stdout_has("invalid            12");
    for p in [&json, &rejects, &html] {
        let len = std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        assert!(len > 0, "{} was not written", p.display());
    }
}

#[test]
fn exit_0_when_records_have_only_warnings_and_exit_1_with_strict() {
    let w = Work::new();
    let input = w.write(
        "warned.csv",
        "email,first_name,last_name,phone\nann@example.com,Ann,Lee,7.02255E+12\n",
    );
    w.run(&["validate", &arg(&input), "--to", "bigcommerce"])
        .exits(0)
        .stdout_has("warnings by rule")
        .stdout_has("phone.scientific_notation")
        .stdout_has("an import would send 1 customer in 1 request");
    w.run(&["validate", &arg(&input), "--to", "bigcommerce", "--strict"])
        .exits(1)
        .stdout_has("violations by rule")
        .stdout_has("phone.scientific_notation");
}

#[test]
fn exit_2_for_an_unknown_platform() {
    let w = Work::new();
    w.run(&[
        "validate",
        &arg(&sample("customers.csv")),
        "--to",
        "shopify",
    ])
    .exits(2)
    .stderr_has("bigcommerce");
}

#[test]
fn exit_2_without_a_platform() {
    let w = Work::new();
    w.run(&["validate", &arg(&sample("customers.csv"))])
        .exits(2)
        .stderr_has("--to");
}

#[test]
fn exit_2_for_an_unknown_preset_naming_the_presets() {
    let w = Work::new();
    w.run(&[
        "validate",
        &arg(&sample("customers.csv")),
        "--to",
        "bigcommerce",
        "--preset",
        "prestashop",
    ])
    .exits(2)
    .stderr_has("\"prestashop\"")
    .stderr_has("shopify")
    .stderr_has("mapped by their names");
}

#[test]
fn exit_2_for_a_missing_input_file() {
    let w = Work::new();
    w.run(&["validate", "missing.csv", "--to", "bigcommerce"])
        .exits(2)
        .stderr_has("missing.csv");
}

#[test]
fn exit_2_for_an_unknown_command_or_option() {
    let w = Work::new();
    w.run(&["valdiate", "x.csv"]).exits(2);
    w.run(&[
        "validate",
        &arg(&sample("customers.csv")),
        "--to",
        "bigcommerce",
        "--bogus",
    ])
    .exits(2);
}

#[test]
fn exit_2_for_preset_and_mapping_together() {
    let w = Work::new();
    w.run(&[
        "validate",
        &arg(&sample("customers.csv")),
        "--to",
        "bigcommerce",
        "--preset",
        "shopify",
        "--mapping",
        &arg(&sample("mapping.toml")),
    ])
    .exits(2);
}

#[test]
fn exit_2_when_a_report_cannot_be_created() {
    let w = Work::new();
    let nowhere = w.path("no/such/dir/r.json");
    w.run(&[
        "validate",
        &arg(&sample("customers.csv")),
        "--to",
        "bigcommerce",
        "--json",
        &arg(&nowhere),
    ])
    .exits(2)
    .stderr_has("r.json");
}

#[test]
fn exit_2_when_a_report_would_overwrite_the_input() {
    let w = Work::new();
    let original = std::fs::read(sample("customers.csv")).unwrap();
    let input = w.write("customers.csv", &original);
    for option in ["--json", "--rejects", "--html"] {
        w.run(&[
            "validate",
            "customers.csv",
            "--to",
            "bigcommerce",
            option,
            "./customers.csv",
        ])
        .exits(2)
        .stderr_has("overwrite");
        assert_eq!(
            std::fs::read(&input).unwrap(),
            original,
            "{option}: the input is intact"
        );
    }
}

#[test]
fn help_and_version_exit_0() {
    let w = Work::new();
    w.run(&["--help"]).exits(0).stdout_has("validate");
    w.run(&["validate", "--help"]).exits(0).stdout_has("--to");
    w.run(&["--version"]).exits(0);
}

// ---------------------------------------------------------------- preset detection

#[test]
fn detects_the_current_shopify_header() {
    let w = Work::new();
    let (run, report) = w.validate_json(&[&arg(&sample("customers.csv")), "--to", "bigcommerce"]);
    run.exits(1)
        .stdout_has("mapping: preset shopify (detected from the header)")
        .stdout_has("address.city ← \"Default Address City\"");
    let want: Vec<(u64, &str)> = SAMPLE_BROKEN.iter().map(|(l, _, r)| (*l, *r)).collect();
    assert_eq!(lines_and_rules(&report), lr(&want));
    assert_eq!(summary(&report, "valid"), 38);
    assert_eq!(summary(&report, "invalid"), 12);
}

#[test]
fn detects_the_older_shopify_header_without_the_default_address_prefix() {
    let w = Work::new();
    let input = w.write(
        "old.csv",
        "First Name,Last Name,Email,Company,Address1,Address2,City,Province,Province Code,Country,Country Code,Zip,Phone,Accepts Marketing,Note,Tags\n\
         Ann,Lee,ann@example.com,,1 Main St,,Springfield,Illinois,IL,United States,,62701,,yes,,\"vip, b2b\"\n\
         Bob,Stone,bob@example.com,,2 Main St,,,Illinois,IL,United States,US,62701,,no,,\n\
         Cy,Young,cy@example.com,,3 Main St,,Springfield,,,Atlantis,,62701,,no,,\n",
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "bigcommerce"]);
    run.exits(1)
        .stdout_has("preset shopify (detected from the header)")
        .stdout_has("address.city ← \"City\"")
        .stdout_has("address.country ← \"Country\"");
    // Line 2's country is a name: resolved. Line 3 has no city; line 4 an
    // unknown country.
    assert_eq!(
        lines_and_rules(&report),
        lr(&[
            (3, "address.city.required"),
            (4, "address.country_code.invalid")
        ])
    );
    assert_eq!(report["context"]["unmapped"], serde_json::json!([]));
}

#[test]
fn detects_generic_csv() {
    let w = Work::new();
    let input = w.write(
        "generic.csv",
        "email,first_name,last_name,address1,city,country_code,zip\n\
         ann@example.com,Ann,Lee,1 Main St,Springfield,US,62701\n\
         bob@example.com,Bob,Stone,2 Main St,,US,62701\n",
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "bigcommerce"]);
    run.exits(1)
        .stdout_has("mapping: auto-mapped from the header's column names");
    assert_eq!(
        lines_and_rules(&report),
        lr(&[(3, "address.city.required")])
    );
}

#[test]
fn detects_generic_jsonl_with_nested_addresses() {
    let w = Work::new();
    let (run, report) = w.validate_json(&[&arg(&sample("customers.jsonl")), "--to", "bigcommerce"]);
    run.exits(1)
        .stdout_has("mapping: auto-mapped from the header's column names");
    let want: Vec<(u64, &str)> = SAMPLE_BROKEN.iter().map(|(_, l, r)| (*l, *r)).collect();
    assert_eq!(lines_and_rules(&report), lr(&want));
    assert_eq!(summary(&report, "valid"), 38);
    assert_eq!(
        report["violations"][9]["field"], "addresses[0].city",
        "{}",
        report["violations"][9]
    );
}

#[test]
fn csv_and_jsonl_samples_give_the_same_result_on_every_platform() {
    let w = Work::new();
    for to in ["bigcommerce", "salesive", "bitbybit"] {
        let (_, csv) = w.validate_json(&[&arg(&sample("customers.csv")), "--to", to]);
        let (_, jsonl) = w.validate_json(&[&arg(&sample("customers.jsonl")), "--to", to]);
        let rules = |r: &Value| -> Vec<(u64, String)> {
            r["violations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| {
                    (
                        v["record"].as_u64().unwrap(),
                        v["rule"].as_str().unwrap().into(),
                    )
                })
                .collect()
        };
        assert_eq!(rules(&csv), rules(&jsonl), "{to}");
        for key in ["rows_read", "valid", "invalid", "with_warnings"] {
            assert_eq!(summary(&csv, key), summary(&jsonl, key), "{to} {key}");
        }
    }
}

#[test]
fn when_no_preset_fits_the_error_names_the_columns_seen_and_the_mapping_file() {
    let w = Work::new();
    // No preset fits and no column name is a known synonym (issue 8's
    // auto-mapper would read "Mail" as an email).
    let input = w.write("crm.csv", "Kennung,Spitzname,Kürzel\nx@example.com,X,Y\n");
    w.run(&["validate", &arg(&input), "--to", "bigcommerce"])
        .exits(2)
        .stderr_has("no preset matches")
        .stderr_has("\"Kennung\", \"Spitzname\", \"Kürzel\"")
        .stderr_has("mapping file")
        .stderr_has("--mapping");
}

#[test]
fn preset_option_forces_a_preset_over_detection() {
    let w = Work::new();
    // Shopify's "Total Spent" makes detection pick shopify, which leaves it
    // out on purpose; forced to magento, the column is unknown to it.
    let input = w.write(
        "both.csv",
        "First Name,Last Name,Email,Total Spent\nAnn,Lee,ann@example.com,10\n",
    );
    w.run(&["validate", &arg(&input), "--to", "bigcommerce"])
        .exits(0)
        .stdout_has("preset shopify (detected from the header)")
        .stdout_has("left out on purpose: \"Total Spent\"");
    let (run, report) =
        w.validate_json(&[&arg(&input), "--to", "bigcommerce", "--preset", "magento"]);
    run.exits(0).stdout_has("preset magento (--preset)");
    assert_eq!(
        report["context"]["unmapped"],
        serde_json::json!(["Total Spent"])
    );
}

// ---------------------------------------------------------------- mapping files

#[test]
fn the_sample_mapping_file_reads_the_crm_export() {
    let w = Work::new();
    let (run, report) = w.validate_json(&[
        &arg(&sample("crm-export.csv")),
        "--to",
        "bigcommerce",
        "--mapping",
        &arg(&sample("mapping.toml")),
    ]);
    run.exits(0)
        .stdout_has("mapping: mapping file")
        .stdout_has("tags ← split(\"Labels\", \"|\")")
        .stdout_has("address.country ← \"Land\"");
    assert_eq!(summary(&report, "rows_read"), 10);
    assert_eq!(summary(&report, "valid"), 10);
    assert_eq!(report["context"]["unmapped"], serde_json::json!([]));
}

#[test]
fn the_sample_mapping_file_maps_values_through_the_library() {
    use storeload::findings::Findings;
    use storeload::mapping::file;
    use storeload::read::{self, ReadOptions};
    let input = read::open(&arg(&sample("crm-export.csv")), &ReadOptions::default()).unwrap();
    let mapping = file::load_for(&sample("mapping.toml"), &input).unwrap();
    let customers: Vec<_> = input
        .records
        .map(|raw| {
            let mut f = Findings::new(raw.number, raw.line);
            let c = mapping.map(&raw, &mut f).expect("every row maps");
            assert!(f.items.is_empty(), "{:?}", f.items);
            c
        })
        .collect();
    assert_eq!(customers.len(), 10);
    let joerg = &customers[3];
    assert_eq!(joerg.email.as_deref(), Some("j.weber@example.de"));
    assert_eq!(joerg.company.as_deref(), Some("Weber; Söhne & Töchter OHG"));
    assert_eq!(joerg.tags, vec!["wholesale", "b2b", "net-30"]);
    assert_eq!(joerg.accepts_marketing, Some(false));
    assert_eq!(joerg.addresses.len(), 1);
    assert_eq!(joerg.addresses[0].country_code.as_deref(), Some("DE"));
    assert_eq!(joerg.addresses[0].first_name.as_deref(), Some("Jörg"));
    assert_eq!(
        customers[1].addresses[0].country_code.as_deref(),
        Some("AT")
    );
    assert_eq!(
        customers[2].addresses[0].country_code.as_deref(),
        Some("CH")
    );
}

#[test]
fn a_mapping_file_splits_joins_and_sets_constants() {
    let w = Work::new();
    let input = w.write(
        "crm.csv",
        "User,Domain,Vorname,Nachname,Kanäle\n\
         ann,example.com,Ann,Lee,1|2\n\
         bob,example.com,Bob,Stone,1|zwei\n",
    );
    // email is joined from two columns with "@": without the join it would
    // be invalid. channel_ids are split on "|": "zwei" is not a number.
    let bc = w.write(
        "bc.toml",
        r#"
email = { join = ["User", "Domain"], separator = "@" }
first_name = "Vorname"
last_name = "Nachname"
channel_ids = { column = "Kanäle", split = "|" }
"#,
    );
    let (run, report) =
        w.validate_json(&[&arg(&input), "--to", "bigcommerce", "--mapping", &arg(&bc)]);
    run.exits(1)
        .stdout_has("email ← join(\"User\", \"Domain\", \"@\")")
        .stdout_has("channel_ids ← split(\"Kanäle\", \"|\")");
    assert_eq!(
        lines_and_rules(&report),
        lr(&[(3, "channel_ids.not_integer")])
    );
    assert!(
        report["violations"][0]["message"]
            .as_str()
            .unwrap()
            .contains("\"zwei\""),
        "{report}"
    );
    assert_eq!(report["context"]["unmapped"], serde_json::json!([]));
    // name joined from two columns (default separator " "), active a
    // constant; Kanäle is not read.
    let sv = w.write(
        "sv.toml",
        r#"
email = { join = ["User", "Domain"], separator = "@" }
name = { join = ["Vorname", "Nachname"] }
active = { value = "yes" }
"#,
    );
    let (run, report) =
        w.validate_json(&[&arg(&input), "--to", "salesive", "--mapping", &arg(&sv)]);
    run.exits(0)
        .stdout_has("name ← join(\"Vorname\", \"Nachname\", \" \")")
        .stdout_has("active ← value \"yes\"");
    assert_eq!(summary(&report, "valid"), 2);
    assert_eq!(report["context"]["unmapped"], serde_json::json!(["Kanäle"]));
    // A constant that is not a yes/no value fails on every record.
    let bad = w.write(
        "bad.toml",
        "email = { join = [\"User\", \"Domain\"], separator = \"@\" }\nname = \"Vorname\"\nactive = { value = \"maybe\" }\n",
    );
    let (run, report) =
        w.validate_json(&[&arg(&input), "--to", "salesive", "--mapping", &arg(&bad)]);
    run.exits(1);
    assert_eq!(
        lines_and_rules(&report),
        lr(&[(2, "active.not_boolean"), (3, "active.not_boolean")])
    );
    assert_eq!(
        report["context"]["unmapped"],
        serde_json::json!(["Nachname", "Kanäle"])
    );
}

#[test]
fn a_mapping_file_naming_a_column_the_input_lacks_is_exit_2() {
    let w = Work::new();
    let mapping = w.write("m.toml", "email = \"E-Mail\"\nfirst_name = \"Vorname\"\n");
    let input = w.write("in.csv", "E-Mail,First\na@example.com,A\n");
    w.run(&[
        "validate",
        &arg(&input),
        "--to",
        "bigcommerce",
        "--mapping",
        &arg(&mapping),
    ])
    .exits(2)
    .stderr_has("\"Vorname\"")
    .stderr_has("\"E-Mail\", \"First\"");
}

#[test]
fn a_mapping_file_with_an_unknown_field_or_bad_toml_is_exit_2() {
    let w = Work::new();
    let input = w.write("in.csv", "E-Mail\na@example.com\n");
    for (text, says) in [
        ("emial = \"E-Mail\"\n", "unknown field \"emial\""),
        ("email = \n", "not a valid mapping file"),
        (
            "[address]\nstreet = \"E-Mail\"\n",
            "unknown address field \"street\"",
        ),
        ("email = 5\n", "expected a column name"),
    ] {
        let m = w.write("m.toml", text);
        w.run(&[
            "validate",
            &arg(&input),
            "--to",
            "salesive",
            "--mapping",
            &arg(&m),
        ])
        .exits(2)
        .stderr_has(says);
    }
    w.run(&[
        "validate",
        &arg(&input),
        "--to",
        "salesive",
        "--mapping",
        "missing.toml",
    ])
    .exits(2)
    .stderr_has("missing.toml");
}

#[test]
fn unmapped_columns_are_listed_once() {
    let w = Work::new();
    let mut csv = String::from("email,first_name,last_name,Loyalty Tier,Shoe Size\n");
    for i in 0..20 {
        csv.push_str(&format!("c{i}@example.com,C,D,gold,42\n"));
    }
    let input = w.write("extra.csv", csv);
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "bigcommerce"]);
    run.exits(0)
        .stdout_has("unmapped columns (not sent): \"Loyalty Tier\", \"Shoe Size\"");
    assert_eq!(
        run.stdout.matches("Loyalty Tier").count(),
        1,
        "{}",
        run.stdout
    );
    assert_eq!(
        report["context"]["unmapped"],
        serde_json::json!(["Loyalty Tier", "Shoe Size"])
    );
}

#[test]
fn shopify_columns_left_out_on_purpose_are_named_with_the_reason() {
    let w = Work::new();
    let run = w.run(&[
        "validate",
        &arg(&sample("customers.csv")),
        "--to",
        "bigcommerce",
    ]);
    run.exits(1)
        .stdout_has("left out on purpose: \"Tax Exempt\"")
        .stdout_has("left out on purpose: \"Customer ID\"");
    assert!(!run.stdout.contains("unmapped columns"), "{}", run.stdout);
    // DECISIONS: never Tax Exempt → tax_exempt_category, nor Accepts Email
    // Marketing → a review/abandoned-cart consent.
    assert!(
        !run.stdout.contains("tax_exempt_category ←"),
        "{}",
        run.stdout
    );
}

// ---------------------------------------------------------------- presets, mapping commands

#[test]
fn presets_lists_every_preset_and_every_column_it_reads() {
    let w = Work::new();
    let run = w.run(&["presets"]);
    run.exits(0);
    for p in PRESETS {
        run.stdout_has(&format!("{}: ", p.name));
        for (field, candidates) in p.columns {
            for c in *candidates {
                run.stdout_has(&format!("\"{c}\""));
            }
            run.stdout_has(&field.name());
        }
        for (col, _) in p.ignored {
            run.stdout_has(&format!("left out: \"{col}\""));
        }
    }
}

/// Runs `storeload mapping INPUT`, feeds its output back with `--mapping`
/// and asserts the same summary and violations as the preset.
fn mapping_round_trip(input: &str, to: &str) {
    let w = Work::new();
    let run = w.run(&["mapping", input]);
    run.exits(0).stdout_has("# storeload mapping file");
    let m = w.write("mapping.toml", &run.stdout);
    let (run_preset, preset) = w.validate_json(&[input, "--to", to]);
    let (run_file, file) = w.validate_json(&[input, "--to", to, "--mapping", &arg(&m)]);
    assert_eq!(run_preset.code, run_file.code, "{}", run_file.shown());
    assert_eq!(preset["summary"], file["summary"], "{input}");
    assert_eq!(preset["violations"], file["violations"], "{input}");
}

#[test]
fn mapping_output_fed_back_gives_the_same_result_as_the_shopify_preset() {
    mapping_round_trip(&arg(&sample("customers.csv")), "bigcommerce");
}

#[test]
fn mapping_output_fed_back_gives_the_same_result_as_the_generic_jsonl_preset() {
    mapping_round_trip(&arg(&sample("customers.jsonl")), "bigcommerce");
    mapping_round_trip(&arg(&sample("customers.jsonl")), "bitbybit");
}

#[test]
fn mapping_output_fed_back_gives_the_same_result_as_the_generic_csv_preset() {
    let w = Work::new();
    let input = w.write(
        "generic.csv",
        "email,first_name,last_name,tags,channel_ids,address1,city,country,zip\n\
         ann@example.com,Ann,Lee,\"a, b\",\"1,2\",1 Main St,Springfield,United States,62701\n\
         bob@example.com,Bob,Stone,,\"1,x\",2 Main St,,US,62701\n",
    );
    mapping_round_trip(&arg(&input), "bigcommerce");
}

#[test]
fn mapping_names_unmapped_columns_as_comments() {
    let w = Work::new();
    let input = w.write("extra.csv", "email,name,Shoe Size\na@example.com,A,42\n");
    w.run(&["mapping", &arg(&input)])
        .exits(0)
        .stdout_has("# unmapped column: \"Shoe Size\"");
}
