//! Dry-run throughput, in rows per second, stage by stage (issue 6):
//!
//! - `parse`: `read::open` + iterating the records of a CSV file;
//! - `map`: `Mapping::map` (Shopify preset) over records already read;
//! - `validate/<platform>`: `Platform::check_customer` over customers
//!   already mapped, for each platform;
//! - `pipeline/<platform>`: the whole `validate` command's work
//!   (`pipeline::run`: read, map, check, in-file uniqueness, in order) with a
//!   sink that drops the records.
//!
//! The input is 20,000 Shopify-layout rows made here by a small,
//! deterministic generator (unicode names, quoted commas, multi-line notes, 5%
//! of rows breaking one BigCommerce rule) and written to a temporary file.
//!
//! ```text
//! cargo bench --bench dry_run
//! cargo bench --bench dry_run -- pipeline      # one group
//! ```

use std::hint::black_box;
use std::io::Write;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use storeload::findings::Findings;
use storeload::mapping::{Mapping, Origin, presets};
use storeload::model::Customer;
use storeload::platform::{self, PlatformId};
use storeload::read::{self, RawRecord, ReadOptions};
use storeload::validate::pipeline::{self, CheckOptions};

/// Rows in the benchmark input.
const ROWS: u64 = 20_000;

const HEADER: &str = "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,\
Default Address Company,Default Address Address1,Default Address Address2,\
Default Address City,Default Address Province Code,Default Address Country Code,\
Default Address Zip,Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,\
Total Orders,Note,Tax Exempt,Tags";

const FIRST: &[&str] = &[
    "Zoë",
    "José",
    "Łukasz",
    "太郎",
    "Ngozi",
    "Søren",
    "Anna",
    "Chloé",
    "Björn",
    "Priya",
    "Дмитрий",
    "Emily",
];
const LAST: &[&str] = &[
    "Müller",
    "O'Brien",
    "García",
    "Nguyễn",
    "van der Berg",
    "Kowalska",
    "山田",
    "Smith",
    "Okafor",
    "Ødegaard",
];
const COMPANIES: &[&str] = &["", "", "Acme, Inc.", "Globex", "Müller & Söhne GmbH", ""];
const PLACES: &[(&str, &str, &str, &str)] = &[
    ("New York", "NY", "US", "10001"),
    ("Berlin", "", "DE", "10115"),
    ("Toronto", "ON", "CA", "M5H 2N2"),
    ("London", "", "GB", "SW1A 1AA"),
    ("São Paulo", "SP", "BR", "01310-100"),
    ("Kraków", "", "PL", "30-001"),
];
const TAGS: &[&str] = &[
    "",
    "vip",
    "\"vip, wholesale\"",
    "newsletter",
    "\"b2b, net30\"",
];

/// SplitMix64: the same rows on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// `rows` Shopify-layout customers as CSV; every 20th row breaks one
/// BigCommerce rule, in turn: bad email, no first name, long phone, no city,
/// an earlier row's email in other case.
fn generate(rows: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows as usize * 150);
    writeln!(out, "{HEADER}").unwrap();
    let mut rng = Rng(1);
    for n in 1..=rows {
        let broken = n.is_multiple_of(20).then_some((n / 20) % 5);
        let first = if broken == Some(1) {
            ""
        } else {
            rng.pick(FIRST)
        };
        let last = rng.pick(LAST);
        let email = match broken {
            Some(0) => format!("user{n}.example.com"),
            Some(4) => format!("USER{}@example{}.com", n - 7, (n - 7) % 97),
            _ => format!("user{n}@example{}.com", n % 97),
        };
        let (city, province, country, zip) = PLACES[(rng.next() % PLACES.len() as u64) as usize];
        let city = if broken == Some(3) { "" } else { city };
        let phone = if broken == Some(2) {
            format!("+1 (555) 010-{n:04} ext. 1234, reception desk, ask for accounts payable")
        } else {
            format!("+1 555 010 {:04}", n % 10_000)
        };
        let note = if n.is_multiple_of(19) {
            "\"Prefers phone calls.\nSecond line, with a comma.\""
        } else {
            ""
        };
        let company = rng.pick(COMPANIES);
        let company = if company.contains(',') {
            format!("\"{company}\"")
        } else {
            company.to_string()
        };
        writeln!(
            out,
            "{id},{first},{last},{email},{accepts},{company},{no} Main Street,{apt},{city},\
             {province},{country},'{zip},{phone},{phone},no,{spent}.{cents:02},{orders},{note},no,{tags}",
            id = 7_000_000_000 + n,
            accepts = if rng.next().is_multiple_of(2) { "yes" } else { "no" },
            no = 1 + rng.next() % 999,
            apt = if rng.next().is_multiple_of(4) { "Apt 4" } else { "" },
            spent = rng.next() % 5000,
            cents = rng.next() % 100,
            orders = rng.next() % 40,
            tags = rng.pick(TAGS),
        )
        .unwrap();
    }
    out
}

/// The generated input, written to a temporary `.csv` file.
fn input_file() -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new()
        .prefix("storeload-bench-")
        .suffix(".csv")
        .tempfile()
        .expect("create a temporary file");
    file.write_all(&generate(ROWS)).expect("write the input");
    file.flush().expect("flush the input");
    file
}

fn open(path: &str) -> read::Input {
    read::open(path, &ReadOptions::default()).expect("open the input")
}

fn shopify(input: &read::Input) -> Mapping {
    presets::SHOPIFY
        .bind_input(Origin::Preset("shopify"), input)
        .expect("bind the Shopify preset")
}

fn dry_run(c: &mut Criterion) {
    let file = input_file();
    let path = file
        .path()
        .to_str()
        .expect("a UTF-8 temporary path")
        .to_string();

    let mut input = open(&path);
    let mapping = shopify(&input);
    let records: Vec<RawRecord> =
        std::mem::replace(&mut input.records, read::Records::empty()).collect();
    assert_eq!(
        records.len() as u64,
        ROWS,
        "the generator wrote {ROWS} rows"
    );
    let customers: Vec<(u64, u64, Customer)> = records
        .iter()
        .filter_map(|raw| {
            let mut f = Findings::new(raw.number, raw.line);
            mapping.map(raw, &mut f).map(|c| (raw.number, raw.line, c))
        })
        .collect();

    let mut g = c.benchmark_group("dry_run");
    g.throughput(Throughput::Elements(ROWS));
    g.sample_size(20);

    g.bench_function("parse", |b| {
        b.iter(|| {
            let input = open(&path);
            black_box(input.records.count())
        })
    });

    g.bench_function("map", |b| {
        b.iter(|| {
            for raw in &records {
                let mut f = Findings::new(raw.number, raw.line);
                black_box(mapping.map(raw, &mut f));
                black_box(f.items);
            }
        })
    });

    for &id in platform::ALL {
        let platform = id.platform();
        g.bench_function(format!("validate/{id}"), |b| {
            b.iter(|| {
                for (number, line, customer) in &customers {
                    let mut f = Findings::new(*number, *line);
                    platform.check_customer(customer, &mut f);
                    black_box(f.items);
                }
            })
        });
    }

    for &id in platform::ALL {
        let platform = id.platform();
        g.bench_function(format!("pipeline/{id}"), |b| {
            b.iter(|| {
                let mut input = open(&path);
                let records = std::mem::replace(&mut input.records, read::Records::empty());
                let handed =
                    pipeline::run(records, &mapping, platform, CheckOptions::default(), |c| {
                        black_box(&c);
                        true
                    });
                assert_eq!(handed, ROWS);
            })
        });
    }
    g.finish();

    // The rows the generator breaks are found: the bench measures real work.
    let bc = PlatformId::Bigcommerce.platform();
    let invalid = customers
        .iter()
        .filter(|(number, line, customer)| {
            let mut f = Findings::new(*number, *line);
            bc.check_customer(customer, &mut f);
            f.has_violation()
        })
        .count();
    assert!(
        invalid > 0,
        "the generated input has rows BigCommerce refuses"
    );
}

criterion_group!(benches, dry_run);
criterion_main!(benches);
