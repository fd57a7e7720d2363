//! gen_customers — writes a deterministic file of synthetic customers for
//! storeload's benchmarks and tests (issue 6).
//!
//! ```text
//! cargo run --release --example gen_customers -- ROWS OUT.csv [--invalid-pct P] [--jsonl | --json] [--seed N]
//! cargo run --release --example gen_customers -- 1000000 /tmp/customers-1m.csv
//! cargo run --release --example gen_customers -- 100000 /tmp/customers.jsonl --jsonl --invalid-pct 10
//! ```
//!
//! - CSV (the default) uses Shopify's current customer-export header, the
//!   same as `samples/customers.csv`; `--jsonl` writes storeload's generic
//!   layout instead: one object per line, snake_case names, a nested
//!   `addresses` array. `OUT` may be `-` for stdout.
//! - Rows hold unicode names, quoted fields with commas (companies, tags) and,
//!   in about 5% of rows, a multi-line note.
//! - `P` percent of rows (default 5, spread evenly through the file) break
//!   exactly one BigCommerce rule each, in turn: an invalid email
//!   (`email.invalid`), no first name (`first_name.required`), a phone over
//!   50 characters (`phone.too_long`), an address with no city
//!   (`address.city.required`), the email of an earlier row in other case
//!   (`email.duplicate_in_file`). Every other row's email is unique:
//!   `user{n}@example{n % 97}.com`, `n` being the row number from 1.
//! - The same ROWS, P and seed (default 1) give the same bytes on every
//!   machine: the only randomness is a SplitMix64 generator seeded per row.
//!
//! Uses the standard library only. A million CSV rows are about 145 MB.

use std::env;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str =
    "usage: gen_customers ROWS OUT.csv [--invalid-pct P] [--jsonl | --json] [--seed N]
  ROWS            number of customers to write
  OUT             output path, or - for stdout
  --invalid-pct P percent of rows that break one BigCommerce rule each (default 5)
  --jsonl         write generic JSONL with nested addresses instead of Shopify CSV
  --json          write the same objects as one JSON array (a JSON document)
  --seed N        generator seed (default 1)";

const HEADER: &str = "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,\
Default Address Company,Default Address Address1,Default Address Address2,\
Default Address City,Default Address Province Code,Default Address Country Code,\
Default Address Zip,Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,\
Total Orders,Note,Tax Exempt,Tags";

const FIRST_NAMES: &[&str] = &[
    "Zoë",
    "José",
    "Łukasz",
    "太郎",
    "Ngozi",
    "Søren",
    "Anna",
    "Mohammed",
    "Chloé",
    "Björn",
    "Siobhán",
    "Priya",
    "伟",
    "Olusegun",
    "Małgorzata",
    "Jürgen",
    "Ana Luísa",
    "Élodie",
    "Emily",
    "David",
    "Sarah",
    "Liam",
    "Maria",
    "Kenji",
    "Fatima",
    "Ingrid",
    "Carlos",
    "Grace",
    "Ahmet",
    "Дмитрий",
    "Văn An",
    "Kwame",
];

const LAST_NAMES: &[&str] = &[
    "Müller",
    "García",
    "Wiśniewski",
    "山田",
    "Okonkwo",
    "Jørgensen",
    "Smith",
    "O'Brien",
    "van der Berg",
    "Dupont",
    "Andersson",
    "Raghunathan",
    "张",
    "Adeyemi",
    "Kowalczyk",
    "Schäfer",
    "Ferreira",
    "Иванов",
    "Johnson",
    "Cohen",
    "Nguyễn",
    "Yılmaz",
    "Mwangi",
    "Tanaka",
    "Núñez",
    "Haugen",
    "Lefèvre",
    "Mensah",
    "Rossi",
    "Murphy",
    "Ó Súilleabháin",
    "Lee",
];

const COMPANIES: &[&str] = &[
    "Acme, Inc.",
    "García, Hijos y Compañía S.L.",
    "Okonkwo Textiles, Ltd.",
    "Dupont & Fils",
    "Schäfer GmbH & Co. KG",
    "株式会社山田商事",
    "Cohen Hardware, LLC",
    "Andersson Snickeri AB",
];

const STREETS: &[&str] = &[
    "Main Street",
    "Torstraße",
    "rue de Rivoli",
    "Baker Street",
    "Awolowo Road",
    "Nørrebrogade",
    "ul. Marszałkowska",
    "Leopoldstraße",
    "Calle de Alcalá",
    "Fifth Avenue",
    "Umeda",
    "Prinsengracht",
];

const TAGS: &[&str] = &[
    "vip",
    "vip, wholesale",
    "newsletter",
    "b2b, net-30",
    "wholesale",
];

const NOTES: &[&str] = &[
    "Prefers delivery after 5pm.\nGate code: 1234",
    "Asked us to \"please stop calling\" \u{2014} email only.\nSee ticket #4471.",
    "配達は午前中を希望。\nPlease deliver in the morning.",
    "Invoice to the office address,\nnot to the shop.",
    "Met at the trade fair.\nFollow up in spring; call first.",
];

/// A place: city, province code, province name, country code, country name,
/// zip pattern and phone pattern (`#` is a random digit).
struct Place {
    city: &'static str,
    province_code: &'static str,
    province: &'static str,
    country_code: &'static str,
    country: &'static str,
    zip: &'static str,
    phone: &'static str,
}

const fn place(
    city: &'static str,
    province_code: &'static str,
    province: &'static str,
    country_code: &'static str,
    country: &'static str,
    zip: &'static str,
    phone: &'static str,
) -> Place {
    Place {
        city,
        province_code,
        province,
        country_code,
        country,
        zip,
        phone,
    }
}

const PLACES: &[Place] = &[
    place(
        "New York",
        "NY",
        "New York",
        "US",
        "United States",
        "100##",
        "+1 212-555-####",
    ),
    place(
        "Boston",
        "MA",
        "Massachusetts",
        "US",
        "United States",
        "021##",
        "+1 617-555-####",
    ),
    place(
        "San Francisco",
        "CA",
        "California",
        "US",
        "United States",
        "941##",
        "+1 415-555-####",
    ),
    place(
        "Chicago",
        "IL",
        "Illinois",
        "US",
        "United States",
        "606##",
        "+1 312-555-####",
    ),
    place(
        "Austin",
        "TX",
        "Texas",
        "US",
        "United States",
        "787##",
        "+1 512-555-####",
    ),
    place("Berlin", "", "", "DE", "Germany", "10###", "+49 30 555####"),
    place(
        "München",
        "",
        "",
        "DE",
        "Germany",
        "80###",
        "+49 89 555####",
    ),
    place(
        "London",
        "",
        "",
        "GB",
        "United Kingdom",
        "SW1A #AA",
        "+44 20 7946 ####",
    ),
    place(
        "Manchester",
        "",
        "",
        "GB",
        "United Kingdom",
        "M# #BW",
        "+44 161 496 ####",
    ),
    place(
        "Lagos",
        "LA",
        "Lagos",
        "NG",
        "Nigeria",
        "10####",
        "+234 803 555 ####",
    ),
    place(
        "Paris",
        "",
        "",
        "FR",
        "France",
        "750##",
        "+33 1 55 55 ## ##",
    ),
    place("Lyon", "", "", "FR", "France", "6900#", "+33 4 55 55 ## ##"),
    place(
        "千代田区",
        "JP-13",
        "Tokyo",
        "JP",
        "Japan",
        "100-####",
        "+81 3-5555-####",
    ),
    place(
        "Osaka",
        "JP-27",
        "Osaka",
        "JP",
        "Japan",
        "530-####",
        "+81 6-5555-####",
    ),
    place(
        "Warszawa",
        "",
        "",
        "PL",
        "Poland",
        "0#-###",
        "+48 22 555 ## ##",
    ),
    place(
        "København",
        "",
        "",
        "DK",
        "Denmark",
        "2###",
        "+45 32 55 ## ##",
    ),
];

const LONG_PHONE: &str = "+1 (555) 010-#### ext. ####, reception desk, ask for accounts payable";

/// The rule an invalid row breaks, in the order they take turns.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Break {
    BadEmail,
    NoFirstName,
    LongPhone,
    NoCity,
    DuplicateEmail,
}

const BREAKS: [Break; 5] = [
    Break::BadEmail,
    Break::NoFirstName,
    Break::LongPhone,
    Break::NoCity,
    Break::DuplicateEmail,
];

/// SplitMix64: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    /// A generator for one row, so a row's content depends only on the seed
    /// and its number.
    fn for_row(seed: u64, row: u64) -> Self {
        let mut r = Rng(seed ^ row.wrapping_mul(0xA076_1D64_78BD_642F));
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `percent` / 100.
    fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Which rows are invalid: `basis_points` of 10,000, spread evenly.
struct Plan {
    basis_points: u64,
}

impl Plan {
    /// The rule row `i` (from 0) breaks, if any.
    fn breaks(&self, i: u64) -> Option<Break> {
        let before = i * self.basis_points / 10_000;
        let after = (i + 1) * self.basis_points / 10_000;
        (after > before).then(|| BREAKS[(before % BREAKS.len() as u64) as usize])
    }

    /// True when row `i` has its own `user{n}@example{n % 97}.com` email.
    fn has_own_email(&self, i: u64) -> bool {
        !matches!(
            self.breaks(i),
            Some(Break::BadEmail | Break::DuplicateEmail)
        )
    }

    /// An earlier row, chosen at random, whose email row `i` repeats.
    fn duplicate_of(&self, i: u64, rng: &mut Rng) -> u64 {
        // Rows of the other broken kinds come earlier and keep their own
        // email, so the search always finds one.
        let start = rng.below(i.max(1));
        (0..=start)
            .rev()
            .chain(start + 1..i)
            .find(|&j| self.has_own_email(j))
            .unwrap_or(start)
    }
}

/// One customer, borrowed from the tables except for the generated text.
struct Row {
    n: u64,
    first: &'static str,
    last: &'static str,
    email: Email,
    accepts_email: bool,
    company: &'static str,
    street_no: u64,
    street: &'static str,
    apartment: Option<u64>,
    place: Option<&'static Place>,
    no_city: bool,
    zip: String,
    address_phone: String,
    phone: String,
    accepts_sms: bool,
    spent_cents: u64,
    orders: u64,
    note: &'static str,
    tax_exempt: bool,
    tags: &'static str,
}

/// How a row's email is written.
enum Email {
    /// `user{n}@example{n % 97}.com`.
    Own(u64),
    /// `User{n}@Example{n % 97}.com`: an earlier row's email in other case.
    DuplicateOf(u64),
    /// `user{n} at example{n % 97}.com`.
    Invalid(u64),
}

fn fill_pattern(out: &mut String, pattern: &str, rng: &mut Rng) {
    out.clear();
    for c in pattern.chars() {
        if c == '#' {
            out.push(char::from(b'0' + rng.below(10) as u8));
        } else {
            out.push(c);
        }
    }
}

impl Row {
    fn generate(plan: &Plan, seed: u64, i: u64, row: &mut Row) {
        let mut rng = Rng::for_row(seed, i);
        let broken = plan.breaks(i);
        let n = i + 1;
        row.n = n;
        row.first = if broken == Some(Break::NoFirstName) {
            ""
        } else {
            rng.pick(FIRST_NAMES)
        };
        row.last = rng.pick(LAST_NAMES);
        row.email = match broken {
            Some(Break::BadEmail) => Email::Invalid(n),
            Some(Break::DuplicateEmail) => Email::DuplicateOf(plan.duplicate_of(i, &mut rng) + 1),
            _ => Email::Own(n),
        };
        row.accepts_email = rng.percent(60);
        row.company = if rng.percent(15) {
            rng.pick(COMPANIES)
        } else {
            ""
        };
        // A customer with no first name has no address either, so that the
        // address's own name rule (which borrows the customer's) stays quiet.
        let blank_address = match broken {
            Some(Break::NoFirstName) => true,
            Some(Break::NoCity) => false,
            _ => rng.percent(3),
        };
        let place = &PLACES[rng.below(PLACES.len() as u64) as usize];
        row.street_no = 1 + rng.below(400);
        row.street = rng.pick(STREETS);
        row.apartment = rng.percent(10).then(|| 1 + rng.below(60));
        row.place = (!blank_address).then_some(place);
        row.no_city = broken == Some(Break::NoCity);
        if blank_address {
            row.company = "";
            row.zip.clear();
            row.address_phone.clear();
        } else {
            fill_pattern(&mut row.zip, place.zip, &mut rng);
            if rng.percent(30) {
                fill_pattern(&mut row.address_phone, place.phone, &mut rng);
            } else {
                row.address_phone.clear();
            }
        }
        if broken == Some(Break::LongPhone) {
            fill_pattern(&mut row.phone, LONG_PHONE, &mut rng);
        } else if rng.percent(70) {
            fill_pattern(&mut row.phone, place.phone, &mut rng);
        } else {
            row.phone.clear();
        }
        row.accepts_sms = rng.percent(25);
        row.orders = rng.below(30);
        row.spent_cents = if row.orders == 0 {
            0
        } else {
            rng.below(500_000)
        };
        row.note = if rng.percent(5) { rng.pick(NOTES) } else { "" };
        row.tax_exempt = rng.percent(2);
        row.tags = if rng.percent(30) { rng.pick(TAGS) } else { "" };
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn write_email(out: &mut impl Write, email: &Email) -> io::Result<()> {
    match *email {
        Email::Own(n) => write!(out, "user{n}@example{}.com", n % 97),
        Email::DuplicateOf(n) => write!(out, "User{n}@Example{}.com", n % 97),
        Email::Invalid(n) => write!(out, "user{n} at example{}.com", n % 97),
    }
}

/// Writes a CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(out: &mut impl Write, s: &str) -> io::Result<()> {
    if !s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        return out.write_all(s.as_bytes());
    }
    out.write_all(b"\"")?;
    let mut parts = s.split('"');
    if let Some(first) = parts.next() {
        out.write_all(first.as_bytes())?;
    }
    for part in parts {
        out.write_all(b"\"\"")?;
        out.write_all(part.as_bytes())?;
    }
    out.write_all(b"\"")
}

fn write_csv_row(out: &mut impl Write, r: &Row) -> io::Result<()> {
    write!(out, "{},", 6_100_000_000_000 + r.n)?;
    csv_field(out, r.first)?;
    out.write_all(b",")?;
    csv_field(out, r.last)?;
    out.write_all(b",")?;
    write_email(out, &r.email)?;
    write!(out, ",{},", yes_no(r.accepts_email))?;
    csv_field(out, r.company)?;
    out.write_all(b",")?;
    if let Some(p) = r.place {
        write!(out, "{} ", r.street_no)?;
        csv_field(out, r.street)?;
        out.write_all(b",")?;
        if let Some(apt) = r.apartment {
            write!(out, "Apt {apt}")?;
        }
        out.write_all(b",")?;
        if !r.no_city {
            csv_field(out, p.city)?;
        }
        write!(out, ",{},{},{},", p.province_code, p.country_code, r.zip)?;
    } else {
        out.write_all(b",,,,,,")?;
    }
    write!(out, "{},", r.address_phone)?;
    csv_field(out, &r.phone)?;
    write!(
        out,
        ",{},{}.{:02},{},",
        yes_no(r.accepts_sms),
        r.spent_cents / 100,
        r.spent_cents % 100,
        r.orders
    )?;
    csv_field(out, r.note)?;
    write!(out, ",{},", yes_no(r.tax_exempt))?;
    csv_field(out, r.tags)?;
    out.write_all(b"\n")
}

/// Writes a JSON string literal.
fn json_str(out: &mut impl Write, s: &str) -> io::Result<()> {
    out.write_all(b"\"")?;
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => {
                out.write_all(&bytes[start..i])?;
                write!(out, "\\u{b:04x}")?;
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.write_all(&bytes[start..i])?;
        out.write_all(escape)?;
        start = i + 1;
    }
    out.write_all(&bytes[start..])?;
    out.write_all(b"\"")
}

/// Writes `,"key":"value"` when `value` is not empty.
fn json_opt(out: &mut impl Write, key: &str, value: &str) -> io::Result<()> {
    if value.is_empty() {
        return Ok(());
    }
    write!(out, ",\"{key}\":")?;
    json_str(out, value)
}

fn write_jsonl_row(out: &mut impl Write, r: &Row) -> io::Result<()> {
    out.write_all(b"{\"email\":\"")?;
    write_email(out, &r.email)?;
    out.write_all(b"\"")?;
    json_opt(out, "phone", &r.phone)?;
    json_opt(out, "first_name", r.first)?;
    json_opt(out, "last_name", r.last)?;
    json_opt(out, "company", r.company)?;
    json_opt(out, "notes", r.note)?;
    out.write_all(b",\"tags\":[")?;
    for (k, tag) in r.tags.split(", ").filter(|t| !t.is_empty()).enumerate() {
        if k > 0 {
            out.write_all(b",")?;
        }
        json_str(out, tag)?;
    }
    write!(
        out,
        "],\"accepts_marketing\":{},\"addresses\":[",
        r.accepts_email
    )?;
    if let Some(p) = r.place {
        out.write_all(b"{")?;
        out.write_all(b"\"first_name\":")?;
        json_str(out, r.first)?;
        out.write_all(b",\"last_name\":")?;
        json_str(out, r.last)?;
        json_opt(out, "company", r.company)?;
        json_opt(out, "phone", &r.address_phone)?;
        write!(out, ",\"address1\":\"{} ", r.street_no)?;
        // Street names hold no character JSON escapes.
        out.write_all(r.street.as_bytes())?;
        out.write_all(b"\"")?;
        if let Some(apt) = r.apartment {
            write!(out, ",\"address2\":\"Apt {apt}\"")?;
        }
        if !r.no_city {
            json_opt(out, "city", p.city)?;
        }
        json_opt(out, "province", p.province)?;
        json_opt(out, "province_code", p.province_code)?;
        json_opt(out, "country", p.country)?;
        json_opt(out, "country_code", p.country_code)?;
        json_opt(out, "zip", &r.zip)?;
        out.write_all(b",\"default\":true}")?;
    }
    out.write_all(b"]}\n")
}

struct Args {
    rows: u64,
    out: String,
    invalid_pct: f64,
    jsonl: bool,
    json: bool,
    seed: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut positional = Vec::new();
    let mut invalid_pct = 5.0;
    let mut jsonl = false;
    let mut json = false;
    let mut seed = 1;
    let mut args = env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--jsonl" => jsonl = true,
            "--json" => json = true,
            "--invalid-pct" => {
                let v = value("--invalid-pct")?;
                invalid_pct = v
                    .parse::<f64>()
                    .ok()
                    .filter(|p| (0.0..=100.0).contains(p))
                    .ok_or(format!(
                        "--invalid-pct: \"{v}\" is not a number from 0 to 100"
                    ))?;
            }
            "--seed" => {
                let v = value("--seed")?;
                seed = v
                    .parse()
                    .map_err(|_| format!("--seed: \"{v}\" is not a whole number"))?;
            }
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => positional.push(arg),
        }
    }
    let [rows, out] =
        <[String; 2]>::try_from(positional).map_err(|_| "expected ROWS and OUT".to_string())?;
    let rows = rows
        .replace('_', "")
        .parse()
        .map_err(|_| format!("ROWS: \"{rows}\" is not a whole number"))?;
    Ok(Args {
        rows,
        out,
        invalid_pct,
        jsonl: jsonl || json,
        json,
        seed,
    })
}

fn run(args: &Args) -> io::Result<[u64; 5]> {
    let sink: Box<dyn Write> = if args.out == "-" {
        Box::new(io::stdout().lock())
    } else {
        Box::new(File::create(&args.out)?)
    };
    let mut out = BufWriter::with_capacity(1 << 20, sink);
    let plan = Plan {
        basis_points: (args.invalid_pct * 100.0).round() as u64,
    };
    let mut row = Row {
        n: 0,
        first: "",
        last: "",
        email: Email::Own(0),
        accepts_email: false,
        company: "",
        street_no: 0,
        street: "",
        apartment: None,
        place: None,
        no_city: false,
        zip: String::new(),
        address_phone: String::new(),
        phone: String::new(),
        accepts_sms: false,
        spent_cents: 0,
        orders: 0,
        note: "",
        tax_exempt: false,
        tags: "",
    };
    let mut counts = [0u64; 5];
    if args.json {
        out.write_all(b"[\n")?;
    } else if !args.jsonl {
        writeln!(out, "{HEADER}")?;
    }
    for i in 0..args.rows {
        if let Some(b) = plan.breaks(i) {
            counts[b as usize] += 1;
        }
        Row::generate(&plan, args.seed, i, &mut row);
        if args.jsonl {
            if args.json && i > 0 {
                out.write_all(b",")?;
            }
            write_jsonl_row(&mut out, &row)?;
        } else {
            write_csv_row(&mut out, &row)?;
        }
    }
    if args.json {
        out.write_all(b"]\n")?;
    }
    out.flush()?;
    Ok(counts)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("gen_customers: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    match run(&args) {
        Ok(c) => {
            eprintln!(
                "gen_customers: {} rows to {} in {:.2?}; invalid: {} bad email, {} no first name, \
                 {} long phone, {} no city, {} duplicate email ({} in all)",
                args.rows,
                args.out,
                started.elapsed(),
                c[0],
                c[1],
                c[2],
                c[3],
                c[4],
                c.iter().sum::<u64>()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_customers: {}: {e}", args.out);
            ExitCode::FAILURE
        }
    }
}
