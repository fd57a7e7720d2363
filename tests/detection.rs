//! Layout detection through the binary, on small files with the headers of
//! real exports that storeload once misread: a preset only for that
//! export's distinctive columns, the auto-mapper for everything else (and
//! for what a preset leaves unmapped), and every column's fate stated in
//! each report format (terminal, JSON, HTML, `import --plan`).

mod common;

use common::{Work, arg, summary};
use serde_json::Value;

/// The fate the JSON report gives `column`: (fate, fields, reason).
fn fate(report: &Value, column: &str) -> (String, Vec<String>, Option<String>) {
    let entry = report["context"]["columns"]
        .as_array()
        .expect("context.columns is a list")
        .iter()
        .find(|c| c["column"] == column)
        .unwrap_or_else(|| panic!("no fate for \"{column}\": {}", report["context"]));
    let fields = entry["fields"]
        .as_array()
        .expect("fields is a list")
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    (
        entry["fate"].as_str().expect("fate").to_string(),
        fields,
        entry["reason"].as_str().map(str::to_string),
    )
}

/// Every column of the header has exactly one fate, in the header's order.
fn assert_every_column_once(report: &Value, header: &str, delimiter: char) {
    let want: Vec<&str> = header.split(delimiter).collect();
    let got: Vec<&str> = report["context"]["columns"]
        .as_array()
        .expect("context.columns is a list")
        .iter()
        .filter_map(|c| c["column"].as_str())
        .collect();
    assert_eq!(got, want, "{}", report["context"]);
}

const MAGENTO_PROFILE: &str =
    "firstname,lastname,email,password,dob,gender,street,city,region,country_id,postcode,telephone";

#[test]
fn magento_sample_customer_profile_maps_every_address_column_and_leaves_the_password_out() {
    let w = Work::new();
    let input = w.write(
        "magento-profile.csv",
        format!(
            "{MAGENTO_PROFILE}\n\
             Veronica,Costello,roni_cost@example.com,roni_cost3@example.com,1973-12-15,2,6146 Honey Bluff Parkway,Calder,Michigan,US,49628-7978,(555) 229-3326\n\
             John,Smith,john.smith@example.com,secret,1980-01-01,1,\"1 Main St\nSuite 4\",Austin,Texas,US,78701,512-555-0100\n"
        ),
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "bigcommerce"]);
    run.exits(0)
        .stdout_has("preset magento (detected from the header)");
    assert_eq!(summary(&report, "valid"), 2, "{}", run.shown());
    assert_every_column_once(&report, MAGENTO_PROFILE, ',');
    for (column, field) in [
        ("firstname", "first_name"),
        ("lastname", "last_name"),
        ("email", "email"),
        ("street", "address.address1"),
        ("city", "address.city"),
        ("region", "address.province"),
        ("country_id", "address.country_code"),
        ("postcode", "address.zip"),
        ("telephone", "phone"),
    ] {
        let (f, fields, _) = fate(&report, column);
        assert_eq!(f, "sent", "{column}");
        assert!(fields.contains(&field.to_string()), "{column}: {fields:?}");
    }
    let (f, _, why) = fate(&report, "password");
    assert_eq!(f, "left_out");
    assert!(why.unwrap_or_default().contains("never moved"));
    run.stdout_has("left out on purpose: \"password\" (passwords are never moved)");
    // The password's text (which looks like an email) is never sent.
    let json = w.read("report.json");
    assert!(!json.contains("roni_cost3@example.com"), "{json}");
}

#[test]
fn magento_flat_profile_rows_with_a_blank_email_are_not_continuation_rows() {
    let w = Work::new();
    let input = w.write(
        "magento-profile.csv",
        format!(
            "{MAGENTO_PROFILE}\n\
             Ann,Lee,,x,,,1 Main St,Austin,Texas,US,78701,512-555-0100\n"
        ),
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "bigcommerce"]);
    run.exits(1);
    let rules: Vec<&str> = report["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .filter_map(|v| v["rule"].as_str())
        .collect();
    assert!(rules.contains(&"email.required"), "{rules:?}");
    assert!(
        !rules.contains(&"row.continuation_without_record"),
        "{rules:?}"
    );
}

#[test]
fn full_name_street_town_postcode_mobile_are_auto_mapped_whatever_the_email_column_is_called() {
    for email in ["E-mail Address", "Email"] {
        let header = format!("Full Name,{email},Street Address,Town,Postcode,Country,Mobile");
        let w = Work::new();
        let input = w.write(
            "contacts.csv",
            format!(
                "{header}\n\
                 Anne van der Berg,anne@example.com,1 Main St,Springfield,62701,United States,+1 217 555 0100\n"
            ),
        );
        let (run, report) = w.validate_json(&[&arg(&input), "--to", "bigcommerce"]);
        run.exits(0)
            .stdout_has("mapping: auto-mapped from the header's column names")
            .stdout_has("columns: 7 · 7 sent to BigCommerce");
        assert_every_column_once(&report, &header, ',');
        for (column, field) in [
            ("Full Name", "name"),
            (email, "email"),
            ("Street Address", "address.address1"),
            ("Town", "address.city"),
            ("Postcode", "address.zip"),
            ("Country", "address.country"),
            ("Mobile", "phone"),
        ] {
            assert_eq!(
                fate(&report, column),
                ("sent".to_string(), vec![field.to_string()], None),
                "{email}: {column}"
            );
        }
    }
}

const DATABLIST: &str = "Index,Customer Id,First Name,Last Name,Company,City,Country,Phone 1,Phone 2,Email,Subscription Date,Website";

#[test]
fn datablist_customers_are_not_shopify_and_both_phones_have_a_stated_fate() {
    let w = Work::new();
    let input = w.write(
        "datablist.csv",
        format!(
            "{DATABLIST}\n\
             1,DD37Cf93aecA6Dc,Sheryl,Baxter,Rasmussen Group,East Leonard,Chile,229.077.5154,397.884.0519x718,zunigavanessa@smith.info,2020-08-24,http://www.stephenson.com/\n"
        ),
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "salesive"]);
    run.exits(0)
        .stdout_has("mapping: auto-mapped from the header's column names");
    assert!(!run.stdout.contains("shopify"), "{}", run.stdout);
    assert!(!run.stdout.contains("Shopify"), "{}", run.stdout);
    assert_every_column_once(&report, DATABLIST, ',');
    assert_eq!(fate(&report, "Phone 1").0, "sent");
    assert_eq!(fate(&report, "Phone 1").1, vec!["phone".to_string()]);
    let (f, fields, why) = fate(&report, "Phone 2");
    assert_eq!(f, "left_out");
    assert!(fields.is_empty());
    assert!(
        why.as_deref().unwrap_or_default().contains("\"Phone 1\""),
        "{why:?}"
    );
    let (f, _, why) = fate(&report, "Customer Id");
    assert_eq!(f, "left_out");
    assert!(!why.unwrap_or_default().contains("Shopify"));
    // Salesive takes no company: mapped, and said to be not sent.
    let (f, fields, why) = fate(&report, "Company");
    assert_eq!(
        (f.as_str(), fields),
        ("not_sent", vec!["company".to_string()])
    );
    assert!(why.unwrap_or_default().contains("Salesive"));
    run.stdout_has("NOT SENT TO SALESIVE: \"Company\" → company");
    for column in ["Subscription Date", "Website"] {
        assert_eq!(fate(&report, column).0, "unknown", "{column}");
    }
    run.stdout_has("unmapped columns (not sent): \"Subscription Date\", \"Website\"");
}

/// A JSON `name` key alone is split into first and last name, which
/// BigCommerce takes: the report says it is sent, not "no name field".
#[test]
fn a_json_full_name_alone_is_reported_sent_as_the_names_it_is_split_into() {
    let w = Work::new();
    let input = w.write(
        "stripe.jsonl",
        "{\"name\":\"Jenny Rosen\",\"email\":\"jenny@example.com\"}\n",
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "bigcommerce"]);
    run.exits(0);
    assert_eq!(fate(&report, "name").0, "sent");
    assert!(!run.stdout.contains("NOT SENT"), "{}", run.stdout);
    // Beside a first_name key, `name` is Salesive's alone: not sent here.
    let input = w.write(
        "both.jsonl",
        "{\"name\":\"Jenny Rosen\",\"first_name\":\"Jenny\",\"last_name\":\"Rosen\",\"email\":\"jenny@example.com\"}\n",
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "bigcommerce"]);
    run.exits(0);
    assert_eq!(fate(&report, "name").0, "not_sent");
}

#[test]
fn semicolon_crm_export_with_full_name_and_address_is_auto_mapped() {
    let header = "customer_no;full_name;email;address;zip;city;country;phone";
    let w = Work::new();
    let input = w.write(
        "crm.csv",
        format!(
            "{header}\n\
             K-1;Anna Schneider;anna@example.de;Friedrichstraße 101;10117;Berlin;Germany;+49 30 555 0101\n\
             K-2;Dr. Jonas Weber;jonas@example.de;Hauptstraße 5;80331;München;DE;+49 89 555 0102\n"
        ),
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "bigcommerce"]);
    run.exits(0)
        .stdout_has("mapping: auto-mapped from the header's column names")
        .stdout_has("first_name, last_name ← split(\"full_name\")");
    assert_every_column_once(&report, header, ';');
    assert_eq!(
        fate(&report, "address").1,
        vec!["address.address1".to_string()]
    );
    assert_eq!(fate(&report, "full_name").1, vec!["name".to_string()]);
    assert_eq!(fate(&report, "full_name").0, "sent");
    assert_eq!(fate(&report, "customer_no").0, "unknown");
    // Both names are split (counted); only the doubtful one, with a title,
    // is an example.
    assert_eq!(report["summary"]["by_rule"]["name.split"]["count"], 2);
    assert_eq!(
        report["summary"]["by_rule"]["name.split"]["example_lines"],
        serde_json::json!([3])
    );
}

#[test]
fn a_snake_case_layout_is_read_by_the_auto_mapper_with_every_field_generic_read() {
    let header = "email,phone,first_name,last_name,name,company,notes,tags,accepts_marketing,customer_group_id,channel_ids,tax_exempt_category,origin_channel_id,active,image_url,address_first_name,address_last_name,address_company,address_phone,address1,address2,city,province,province_code,country,country_code,zip";
    let w = Work::new();
    let input = w.write(
        "snake.csv",
        format!(
            "{header}\n\
             ann@example.com,+1 555 0100,Ann,Lee,Ann Lee,Acme,vip,\"a, b\",yes,3,\"1,2\",wholesale,1,true,https://example.com/a.png,Ann,Lee,Acme,+1 555 0101,1 Main St,Apt 2,Springfield,Illinois,IL,United States,US,62701\n"
        ),
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "bigcommerce"]);
    run.exits(0)
        .stdout_has("mapping: auto-mapped from the header's column names");
    assert_every_column_once(&report, header, ',');
    let unknown: Vec<&Value> = report["context"]["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter(|c| c["fate"] == "unknown" || c["fate"] == "left_out")
        .collect();
    assert!(unknown.is_empty(), "{unknown:?}");
    for (column, field) in [
        ("customer_group_id", "customer_group_id"),
        ("channel_ids", "channel_ids"),
        ("province_code", "address.province_code"),
        ("country_code", "address.country_code"),
        ("address_phone", "address.phone"),
        ("image_url", "image_url"),
    ] {
        assert_eq!(fate(&report, column).1, vec![field.to_string()], "{column}");
    }
    // BigCommerce takes neither tags nor marketing consent: said so, with why.
    for (column, field) in [("tags", "tags"), ("accepts_marketing", "accepts_marketing")] {
        let (f, fields, why) = fate(&report, column);
        assert_eq!((f.as_str(), fields), ("not_sent", vec![field.to_string()]));
        assert!(
            why.unwrap_or_default().contains(&format!(
                "BigCommerce's create-customer request has no {field} field"
            )),
            "{column}"
        );
    }
}

#[test]
fn real_export_headers_are_still_detected_by_their_distinctive_columns() {
    let w = Work::new();
    for (file, preset) in [
        ("woocommerce-customers.csv", "woocommerce"),
        ("magento-customers.csv", "magento"),
        ("bigcommerce-customers.csv", "bigcommerce"),
        ("shopify-customers.json", "shopify-json"),
    ] {
        let input = common::repo(&format!("tests/data/real/{file}"));
        let run = w.run(&["validate", &arg(&input), "--to", "bitbybit"]);
        run.no_crash()
            .stdout_has(&format!("preset {preset} (detected from the header)"));
    }
    let run = w.run(&[
        "validate",
        &arg(&common::sample("customers.csv")),
        "--to",
        "bigcommerce",
    ]);
    run.exits(1)
        .stdout_has("preset shopify (detected from the header)");
}

#[test]
fn shopify_headers_old_and_new_are_detected_and_accepts_marketing_alone_is_not() {
    let w = Work::new();
    let shopify = [
        // Current.
        "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,Default Address Address1,Default Address Address2,Default Address City,Default Address Province Code,Default Address Country Code,Default Address Zip,Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,Tax Exempt,Tags",
        // Older, as FACTS.md lists it.
        "First Name,Last Name,Email,Company,Address1,Address2,City,Province,Province Code,Country,Country Code,Zip,Phone,Accepts Marketing,Total Spent,Total Orders,Tags,Note,Tax Exempt",
        // Older, without its order history.
        "First Name,Last Name,Email,Company,Address1,Address2,City,Province,Province Code,Country,Country Code,Zip,Phone,Accepts Marketing,Note,Tags",
    ];
    for header in shopify {
        let input = w.write("s.csv", format!("{header}\n"));
        w.run(&["validate", &arg(&input), "--to", "bigcommerce"])
            .exits(0)
            .stdout_has("preset shopify (detected from the header)");
    }
    for header in [
        "Email,Accepts Marketing",
        "Email,First Name,Last Name,Accepts Marketing",
        "First Name,Last Name,Email,Phone,City,Country,Accepts Marketing,Tags",
    ] {
        let input = w.write("g.csv", format!("{header}\n"));
        let run = w.run(&["validate", &arg(&input), "--to", "bigcommerce"]);
        run.exits(0)
            .stdout_has("mapping: auto-mapped from the header's column names");
        assert!(!run.stdout.contains("shopify"), "{header}: {}", run.stdout);
    }
}

#[test]
fn first_last_name_and_email_alone_are_no_longer_taken_for_shopify() {
    let w = Work::new();
    let input = w.write(
        "plain.csv",
        "First Name,Last Name,Email,Phone 1\nAnn,Lee,ann@example.com,555 0100\n",
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "bigcommerce"]);
    run.exits(0)
        .stdout_has("mapping: auto-mapped from the header's column names");
    assert_eq!(fate(&report, "Phone 1").1, vec!["phone".to_string()]);
}

#[test]
fn a_preset_is_completed_by_the_auto_mapper_and_the_report_says_so() {
    // A Shopify export with a column Shopify does not have.
    let header = "First Name,Last Name,Email,Accepts Email Marketing,Default Address Address1,Default Address City,Default Address Country Code,Mobile,Shoe Size";
    let w = Work::new();
    let input = w.write(
        "shopify-plus.csv",
        format!("{header}\nAnn,Lee,ann@example.com,yes,1 Main St,Springfield,US,555 0100,42\n"),
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "bitbybit"]);
    run.exits(0)
        .stdout_has("preset shopify (detected from the header)")
        .stdout_has(
            "phone ← \"Mobile\"  (auto-mapped by its name: the preset does not read this column)",
        );
    assert_every_column_once(&report, header, ',');
    let mobile = report["context"]["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .find(|c| c["column"] == "Mobile")
        .expect("Mobile");
    assert_eq!(mobile["auto_mapped"], true);
    assert_eq!(mobile["fate"], "sent");
    assert_eq!(fate(&report, "Shoe Size").0, "unknown");
    // bitbybit takes no marketing consent.
    assert_eq!(fate(&report, "Accepts Email Marketing").0, "not_sent");
}

#[test]
fn salesive_is_said_to_take_no_company_address_or_notes() {
    let header = "email,name,company,address1,city,notes";
    let w = Work::new();
    let input = w.write(
        "s.csv",
        format!("{header}\nann@example.com,Ann Lee,Acme,1 Main St,Springfield,likes tea\n"),
    );
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "salesive"]);
    run.exits(0)
        .stdout_has("columns: 6 · 2 sent to Salesive · 4 mapped but not sent to Salesive")
        .stdout_has("NOT SENT TO SALESIVE: \"address1\" → address.address1 (Salesive customers have no address fields)")
        .stdout_has("NOT SENT TO SALESIVE: \"notes\" → notes (Salesive's create-customer request has no notes field)");
    for column in ["company", "address1", "city", "notes"] {
        assert_eq!(fate(&report, column).0, "not_sent", "{column}");
    }
}

#[test]
fn html_report_states_every_column_fate() {
    let w = Work::new();
    let input = w.write(
        "h.csv",
        "email,name,tags,password,Shoe Size\nann@example.com,Ann Lee,vip,x,42\n",
    );
    let html = w.path("r.html");
    w.run(&[
        "validate",
        &arg(&input),
        "--to",
        "bigcommerce",
        "--html",
        &arg(&html),
    ])
    .exits(0);
    let page = w.read("r.html");
    assert!(page.contains("<h2>Columns</h2>"), "{page}");
    assert!(
        page.contains("<tr class=\"fate-not_sent\"><td><code>tags</code></td><td>NOT SENT TO BIGCOMMERCE</td><td>tags</td><td>BigCommerce&#39;s create-customer request has no tags field</td></tr>"),
        "{page}"
    );
    assert!(
        page.contains(
            "<tr class=\"fate-left_out\"><td><code>password</code></td><td>left out on purpose</td>"
        ),
        "{page}"
    );
    assert!(
        page.contains("<tr class=\"fate-unknown\"><td><code>Shoe Size</code></td>"),
        "{page}"
    );
    assert!(
        page.contains(
            "<tr class=\"fate-sent\"><td><code>email</code></td><td>sent</td><td>email</td>"
        ),
        "{page}"
    );
}

#[test]
fn html_and_terminal_show_only_doubtful_name_splits_as_examples() {
    let w = Work::new();
    let input = w.write(
        "n.csv",
        "email,name\n\
         a@example.com,Ann Lee\n\
         b@example.com,Bob Stone\n\
         c@example.com,Cher\n\
         d@example.com,Maria Luisa de la Cruz Ortega\n\
         e@example.com,Carl Hall Jr.\n",
    );
    let html = w.path("r.html");
    let (run, report) = w.validate_json(&[&arg(&input), "--to", "bitbybit", "--html", &arg(&html)]);
    run.exits(0);
    let split = &report["summary"]["by_rule"]["name.split"];
    assert_eq!(split["count"], 5, "every split is counted");
    assert_eq!(split["example_lines"], serde_json::json!([4, 5, 6]));
    run.stdout_has("line 4, 5, 6");
    let page = w.read("r.html");
    assert!(!page.contains("Ann Lee"), "a clear split is not listed");
    assert!(!page.contains("Bob Stone"), "a clear split is not listed");
    assert!(page.contains("Cher"), "a single word is in doubt");
    assert!(page.contains("Carl Hall Jr."), "a suffix is in doubt");
}

#[test]
fn terminal_says_how_many_splits_when_none_is_in_doubt() {
    let w = Work::new();
    let input = w.write("n.csv", "email,name\na@example.com,Ann Lee\n");
    w.run(&["validate", &arg(&input), "--to", "bitbybit"])
        .exits(0)
        .stdout_has("none in doubt");
}

#[test]
fn import_plan_states_each_column_fate() {
    let w = Work::new();
    let input = w.write(
        "p.csv",
        "email,first_name,last_name,tags,password,Shoe Size\nann@example.com,Ann,Lee,vip,x,42\n",
    );
    let journal = w.path("run.journal");
    let run = w.run(&[
        "import",
        &arg(&input),
        "--to",
        "bigcommerce",
        "--journal",
        &arg(&journal),
        "--sandbox",
        "--plan",
    ]);
    run.exits(0)
        .stderr_has("mapping: auto-mapped from the header's column names")
        .stderr_has("columns: 6 · 3 sent to BigCommerce · 1 mapped but not sent to BigCommerce · 1 left out on purpose · 1 unmapped")
        .stderr_has("NOT SENT TO BIGCOMMERCE: \"tags\" → tags (BigCommerce's create-customer request has no tags field)")
        .stderr_has("left out on purpose: \"password\" (passwords are never moved)")
        .stderr_has("unmapped columns (not sent): \"Shoe Size\"")
        .stderr_has("plan: 1 records read");
    assert!(!journal.exists(), "--plan writes no journal");
}

#[test]
fn mapping_command_lists_the_auto_mapper_and_the_distinctive_columns() {
    let w = Work::new();
    w.run(&["presets"])
        .exits(0)
        .stdout_has("auto-mapper:")
        .stdout_has("Email + Default Address Address1")
        .stdout_has("email + _address_*");
}
