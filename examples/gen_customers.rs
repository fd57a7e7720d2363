//! gen_customers — writes a deterministic file of synthetic customers for
//! storeload's benchmarks and tests (issue 6).
//!
//! ```text
//! cargo run --release --example gen_customers -- ROWS OUT.csv [--realistic | --jsonl | --json] [--invalid-pct P] [--seed N]
//! cargo run --release --example gen_customers -- 1000000 /tmp/customers-1m.csv
//! cargo run --release --example gen_customers -- 1000000 /tmp/crm-1m.csv --realistic
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
//! - `--realistic` (issue 18) writes what real exports look like instead, so
//!   that no figure is measured on a file written to fit a fast path: a CRM's
//!   contacts header that no preset claims (the auto-mapper reads it), every
//!   field quoted, CRLF line ends and a BOM, multi-line notes in ~6% of rows
//!   and notes with commas and quotes in ~12%, commas in street lines,
//!   companies and last names, Unicode names and internationalised mail
//!   domains, countries in several spellings, a phone in a spreadsheet's
//!   scientific notation now and then (a warning). `P` (default 35) percent
//!   of rows, drawn at random, break one rule each among 13 kinds (duplicate
//!   emails in other case or padded with spaces, three kinds of invalid
//!   email, a missing email, first or last name, a first name over 100
//!   characters, a long phone, an address with no city, an unknown country or
//!   US state, a row cut short); the summary line counts each kind.
//! - The same ROWS, P and seed (default 1) give the same bytes on every
//!   machine: the only randomness is a SplitMix64 generator seeded per row.
//!
//! Uses the standard library only. A million CSV rows are about 145 MB.

use std::env;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: gen_customers ROWS OUT.csv [--realistic | --jsonl | --json] [--invalid-pct P] [--seed N]
  ROWS            number of customers to write
  OUT             output path, or - for stdout
  --realistic     a CRM's contacts export instead (CSV only): auto-mapped header, every
                  field quoted, CRLF, BOM, multi-line notes, Unicode names and domains,
                  13 kinds of broken row (default P 35)
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

/// `--realistic`: a CRM's contacts export, written to fit no fast path of
/// storeload's: a header only the auto-mapper reads, every field quoted,
/// CRLF line ends and a BOM, multi-line notes, country names in several
/// spellings, Unicode names and domains, and many rows broken in many ways.
mod realistic {
    use super::{
        COMPANIES, FIRST_NAMES, LAST_NAMES, PLACES, Place, Rng, STREETS, TAGS, fill_pattern,
    };
    use std::io::{self, Write};

    /// A contacts export's columns, as a CRM names them (no preset's).
    pub const COLUMNS: &[&str] = &[
        "Record ID",
        "First Name",
        "Last Name",
        "Email",
        "Phone Number",
        "Company Name",
        "Street Address",
        "Address Line 2",
        "City",
        "State/Province",
        "Postal Code",
        "Country/Region",
        "Marketing Opt-In",
        "Lifecycle Stage",
        "Create Date",
        "Notes",
        "Tags",
    ];

    /// How a broken row breaks a BigCommerce rule; each row breaks one.
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub enum Break {
        DuplicateEmail,
        EmailNoAt,
        EmailNonAsciiLocal,
        EmailTwoAddresses,
        EmailMissing,
        NoFirstName,
        NoLastName,
        LongFirstName,
        LongPhone,
        NoCity,
        UnknownCountry,
        UnknownState,
        ShortRow,
    }

    /// Each break, its share of the broken rows (percent, summing to 100)
    /// and the rule storeload reports for it (a row with no first name also
    /// gets `address.first_name.required` when it has an address).
    pub const BREAKS: [(Break, u64, &str); 13] = [
        (Break::DuplicateEmail, 14, "email.duplicate_in_file"),
        (Break::EmailNoAt, 8, "email.invalid (no @)"),
        (
            Break::EmailNonAsciiLocal,
            8,
            "email.invalid (non-ASCII before @)",
        ),
        (Break::EmailTwoAddresses, 5, "email.invalid (two addresses)"),
        (Break::EmailMissing, 6, "email.required"),
        (Break::NoFirstName, 10, "first_name.required"),
        (Break::NoLastName, 8, "last_name.required"),
        (Break::LongFirstName, 3, "first_name.too_long"),
        (Break::LongPhone, 8, "phone.too_long"),
        (Break::NoCity, 10, "address.city.required"),
        (Break::UnknownCountry, 9, "address.country_code.invalid"),
        (Break::UnknownState, 8, "address.state_or_province.unknown"),
        (Break::ShortRow, 3, "row.field_count"),
    ];

    /// Salts that give a row's independent random streams.
    const KIND_SALT: u64 = 0x6B69_6E64_5F73_616C;
    const NAME_SALT: u64 = 0x6E61_6D65_5F73_616C;

    /// Which rows break a rule: each row with probability `basis_points`
    /// of 10,000, the rule drawn by `BREAKS`' shares; a pure function of
    /// the seed and the row.
    pub struct Plan {
        pub basis_points: u64,
        pub seed: u64,
    }

    impl Plan {
        /// The break drawn for row `i`, before checking that a duplicate
        /// has an earlier email to repeat.
        fn drawn(&self, i: u64) -> Option<Break> {
            let mut rng = Rng::for_row(self.seed ^ KIND_SALT, i);
            if rng.below(10_000) >= self.basis_points {
                return None;
            }
            let mut roll = rng.below(100);
            for (b, share, _) in BREAKS {
                if roll < share {
                    return Some(b);
                }
                roll -= share;
            }
            Some(Break::EmailNoAt)
        }

        /// True when row `i` is read and carries its own, valid email.
        fn has_own_email(&self, i: u64) -> bool {
            !matches!(
                self.drawn(i),
                Some(
                    Break::DuplicateEmail
                        | Break::EmailNoAt
                        | Break::EmailNonAsciiLocal
                        | Break::EmailTwoAddresses
                        | Break::EmailMissing
                        | Break::ShortRow
                )
            )
        }

        /// The rule row `i` (from 0) breaks, if any: a duplicate with no
        /// earlier email to repeat is written without an `@` instead.
        pub fn breaks(&self, i: u64) -> Option<Break> {
            match self.drawn(i) {
                Some(Break::DuplicateEmail) if !(0..i).any(|j| self.has_own_email(j)) => {
                    Some(Break::EmailNoAt)
                }
                b => b,
            }
        }

        /// An earlier row with its own email, chosen at random, that row `i`
        /// repeats; `breaks` guarantees there is one.
        fn duplicate_of(&self, i: u64, rng: &mut Rng) -> u64 {
            let start = rng.below(i.max(1));
            (0..=start)
                .rev()
                .chain(start + 1..i)
                .find(|&j| self.has_own_email(j))
                .unwrap_or(start)
        }
    }

    /// Last names that hold a comma or a particle, beside `LAST_NAMES`.
    const MORE_LAST_NAMES: &[&str] = &["King, Jr.", "de la Cruz", "Smith, III", "d'Almeida"];

    /// Mail domains; some are internationalised (valid: the domain goes
    /// through IDNA).
    const DOMAINS: &[&str] = &[
        "gmail.com",
        "outlook.com",
        "yahoo.co.jp",
        "web.de",
        "orange.fr",
        "example.co.uk",
        "icloud.com",
        "müller-shop.de",
        "bücherwurm.at",
        "café-lumière.fr",
        "例え.jp",
        "почта.рф",
    ];

    /// Local parts with a character the platforms refuse before the `@`.
    const NON_ASCII_LOCALS: &[&str] =
        &["josé", "zoë", "jürgen", "łukasz", "søren", "chloé", "田中"];

    const EXTRA_COMPANIES: &[&str] = &[
        "Dupont \"Les Fils\" SARL",
        "Nguyễn & Partners, Inc.",
        "Bäckerei Schäfer",
    ];

    const STAGES: &[&str] = &[
        "customer",
        "lead",
        "subscriber",
        "opportunity",
        "evangelist",
    ];

    const OPT_IN: &[&str] = &["true", "false", "", "Yes", "No", "false", "true"];

    /// Single-line notes: commas and quotes, no line break.
    const SHORT_NOTES: &[&str] = &[
        "VIP, call before shipping",
        "Prefers \"express\" shipping, never DHL",
        "Wholesale account, net-30, see contract",
        "Imported from the old shop, 2019",
        "Kontakt über Messe, Köln",
    ];

    /// Multi-line notes (CRLF or LF inside the quotes).
    const LONG_NOTES: &[&str] = &[
        "Call notes 2023-04-02:\r\n- wants a wholesale quote, 40 units\r\n- \"no calls before 10am\", email preferred\r\nFollow up next week.",
        "Delivery: gate code 1234, ring twice.\r\nIf nobody answers, leave it with the neighbour (no. 14).",
        "配達は午前中を希望。\r\nPlease deliver in the morning; the shop opens at 11.",
        "Complaint #4471, resolved:\nparcel arrived damaged, replaced free of charge,\nrefund of shipping, €4.90.",
        "Met at the trade fair in Lyon.\r\nInterested in: linen, wool, silk.\r\nSend the autumn catalogue (French, not English).\r\nAsk for Mme Lefèvre.",
        "Account merged from two records\r\n(old ids 88123, 88124);\r\nkeep the newer address.",
    ];

    const LONG_FIRST_NAME: &str = "Please call before delivery, the customer asked us to write this in the first-name field because the old CRM had no notes";

    const LONG_PHONE: &str =
        "+1 (555) 010-#### ext. ####, reception desk, ask for accounts payable";

    const UNKNOWN_COUNTRIES: &[&str] =
        &["Atlantis", "Untied States", "Germny", "Neverland", "Europe"];

    const UNKNOWN_STATES: &[&str] = &["Californa", "New Yrok", "Tex.", "Masachusetts", "Illinios"];

    /// How a country is written in the export: its name in several
    /// spellings, the ones storeload knows.
    fn country_spelling(p: &Place, rng: &mut Rng) -> &'static str {
        let variants: &[&str] = match p.country_code {
            "US" => &["United States", "USA", "US", "United States of America"],
            "GB" => &["United Kingdom", "UK", "GB"],
            _ => &[p.country],
        };
        rng.pick(variants)
    }

    /// An ASCII spelling of `s` for an email's local part: Latin letters
    /// lose their accents, other scripts are dropped.
    fn ascii_fold(s: &str, out: &mut String) {
        for c in s.chars().flat_map(char::to_lowercase) {
            let folded = match c {
                'a'..='z' | '0'..='9' => c,
                'à' | 'á' | 'â' | 'ä' | 'å' | 'ã' | 'ă' => 'a',
                'é' | 'è' | 'ê' | 'ë' | 'ễ' | 'ệ' => 'e',
                'í' | 'ì' | 'î' | 'ï' | 'ı' => 'i',
                'ó' | 'ò' | 'ô' | 'ö' | 'ø' => 'o',
                'ú' | 'ù' | 'û' | 'ü' | 'ư' => 'u',
                'ñ' | 'ń' => 'n',
                'ç' => 'c',
                'ł' => 'l',
                'ś' | 'ş' | 'ß' => 's',
                'ž' | 'ż' | 'ź' => 'z',
                _ => continue,
            };
            out.push(folded);
        }
    }

    /// A row's names and own email: a pure function of the seed and the row,
    /// so that a later duplicate can write the same email.
    fn identity(seed: u64, i: u64, email: &mut String) -> (&'static str, &'static str) {
        let mut rng = Rng::for_row(seed ^ NAME_SALT, i);
        let first = rng.pick(FIRST_NAMES);
        let last = if rng.percent(4) {
            rng.pick(MORE_LAST_NAMES)
        } else {
            rng.pick(LAST_NAMES)
        };
        let domain = rng.pick(DOMAINS);
        let n = i + 1;
        email.clear();
        let mut f = String::new();
        let mut l = String::new();
        ascii_fold(first, &mut f);
        ascii_fold(last, &mut l);
        if f.is_empty() {
            f.push_str("contact");
        }
        use std::fmt::Write as _;
        // Writing to a String cannot fail.
        let _ = match (rng.below(4), l.is_empty()) {
            (0, false) => write!(email, "{f}.{l}{n}@{domain}"),
            (1, _) => write!(email, "{f}{n}@{domain}"),
            (2, false) => write!(email, "{}{l}.{n}@{domain}", &f[..1]),
            _ => write!(email, "{f}_{n}@{domain}"),
        };
        (first, last)
    }

    /// The buffers one row is built in, reused from row to row.
    #[derive(Default)]
    pub struct Scratch {
        email: String,
        other: String,
        phone: String,
        zip: String,
        date: String,
    }

    /// Writes `s` quoted, its quotes doubled, then `end`.
    fn quoted(out: &mut impl Write, s: &str, end: &[u8]) -> io::Result<()> {
        out.write_all(b"\"")?;
        let mut parts = s.split('"');
        if let Some(first) = parts.next() {
            out.write_all(first.as_bytes())?;
        }
        for part in parts {
            out.write_all(b"\"\"")?;
            out.write_all(part.as_bytes())?;
        }
        out.write_all(b"\"")?;
        out.write_all(end)
    }

    /// Writes the BOM and the header row.
    pub fn write_header(out: &mut impl Write) -> io::Result<()> {
        out.write_all("\u{feff}".as_bytes())?;
        for (k, c) in COLUMNS.iter().enumerate() {
            quoted(
                out,
                c,
                if k + 1 == COLUMNS.len() {
                    b"\r\n"
                } else {
                    b","
                },
            )?;
        }
        Ok(())
    }

    /// Writes row `i` (from 0), every field quoted, CRLF-terminated.
    pub fn write_row(out: &mut impl Write, plan: &Plan, i: u64, s: &mut Scratch) -> io::Result<()> {
        let broken = plan.breaks(i);
        let mut rng = Rng::for_row(plan.seed, i);
        let n = i + 1;
        let (mut first, mut last) = identity(plan.seed, i, &mut s.email);
        match broken {
            Some(Break::NoFirstName) => first = "",
            Some(Break::NoLastName) => last = "",
            Some(Break::LongFirstName) => first = LONG_FIRST_NAME,
            _ => {}
        }
        // The email column, as written.
        let email: &str = match broken {
            Some(Break::DuplicateEmail) => {
                let j = plan.duplicate_of(i, &mut rng);
                identity(plan.seed, j, &mut s.other);
                // The same address, as another system wrote it.
                s.email.clear();
                match rng.below(3) {
                    0 => s.email.push_str(&s.other.to_uppercase()),
                    1 => {
                        s.email.push(' ');
                        s.email.push_str(&s.other);
                        s.email.push(' ');
                    }
                    _ => {
                        let mut chars = s.other.chars();
                        if let Some(c) = chars.next() {
                            s.email.extend(c.to_uppercase());
                        }
                        s.email.push_str(chars.as_str());
                    }
                }
                &s.email
            }
            Some(Break::EmailNoAt) => {
                let at = s.email.find('@').unwrap_or(0);
                s.email.replace_range(at..at + 1, " at ");
                &s.email
            }
            Some(Break::EmailNonAsciiLocal) => {
                let local = rng.pick(NON_ASCII_LOCALS);
                let at = s.email.find('@').unwrap_or(0);
                s.email.replace_range(..at, &format!("{local}.{n}"));
                &s.email
            }
            Some(Break::EmailTwoAddresses) => {
                s.email.push_str("; billing");
                s.email.push_str(&n.to_string());
                s.email.push_str("@example.com");
                &s.email
            }
            Some(Break::EmailMissing) => "",
            _ => &s.email,
        };
        let place = if broken == Some(Break::UnknownState) {
            // A US place, whose states storeload checks by name.
            let us: Vec<&Place> = PLACES.iter().filter(|p| p.country_code == "US").collect();
            us[rng.below(us.len() as u64) as usize]
        } else {
            &PLACES[rng.below(PLACES.len() as u64) as usize]
        };
        // Phone: several spellings, a spreadsheet's scientific notation now
        // and then (a warning: left out, still valid), or too long.
        s.phone.clear();
        if broken == Some(Break::LongPhone) {
            fill_pattern(&mut s.phone, LONG_PHONE, &mut rng);
        } else if rng.percent(1) {
            s.phone.push_str("4.91715E+11");
        } else if rng.percent(70) {
            fill_pattern(&mut s.phone, place.phone, &mut rng);
        }
        let company = match rng.below(100) {
            0..=14 => rng.pick(COMPANIES),
            15..=19 => rng.pick(EXTRA_COMPANIES),
            _ => "",
        };
        // Address: 3% none at all, 1% no street line (a warning: left out).
        let must_have_address = matches!(
            broken,
            Some(Break::NoCity | Break::UnknownCountry | Break::UnknownState)
        );
        let address = must_have_address || !rng.percent(3);
        let street_line = must_have_address || !rng.percent(1);
        write!(out, "\"{}\",", 7_340_000_000u64 + n * 3)?;
        quoted(out, first, b",")?;
        quoted(out, last, b",")?;
        quoted(out, email, b",")?;
        quoted(out, &s.phone, b",")?;
        quoted(out, company, b",")?;
        if address {
            if street_line {
                let no = 1 + rng.below(400);
                let street = rng.pick(STREETS);
                if rng.percent(15) {
                    write!(out, "\"{no} {street}, Suite {}\",", 1 + rng.below(900))?;
                } else {
                    write!(out, "\"{no} {street}\",")?;
                }
            } else {
                out.write_all(b"\"\",")?;
            }
            match rng.below(100) {
                0..=7 => write!(out, "\"Apt {}\",", 1 + rng.below(60))?,
                8..=9 => out.write_all(b"\"Building B, Floor 3\",")?,
                10 => quoted(out, "c/o Müller", b",")?,
                _ => out.write_all(b"\"\",")?,
            }
            quoted(
                out,
                if broken == Some(Break::NoCity) {
                    ""
                } else {
                    place.city
                },
                b",",
            )?;
            let state = if broken == Some(Break::UnknownState) {
                rng.pick(UNKNOWN_STATES)
            } else {
                place.province
            };
            quoted(out, state, b",")?;
            fill_pattern(&mut s.zip, place.zip, &mut rng);
            quoted(out, &s.zip, b",")?;
            let country = if broken == Some(Break::UnknownCountry) {
                rng.pick(UNKNOWN_COUNTRIES)
            } else {
                country_spelling(place, &mut rng)
            };
            quoted(out, country, b",")?;
        } else {
            out.write_all(b"\"\",\"\",\"\",\"\",\"\",\"\",")?;
        }
        quoted(out, rng.pick(OPT_IN), b",")?;
        quoted(out, rng.pick(STAGES), b",")?;
        s.date.clear();
        {
            use std::fmt::Write as _;
            // Writing to a String cannot fail.
            let _ = write!(
                s.date,
                "{}-{:02}-{:02} {:02}:{:02}",
                2015 + rng.below(11),
                1 + rng.below(12),
                1 + rng.below(28),
                rng.below(24),
                rng.below(60)
            );
        }
        if broken == Some(Break::ShortRow) {
            // An export cut short: the last two columns are missing.
            return quoted(out, &s.date, b"\r\n");
        }
        quoted(out, &s.date, b",")?;
        let note = match rng.below(100) {
            0..=5 => rng.pick(LONG_NOTES),
            6..=17 => rng.pick(SHORT_NOTES),
            _ => "",
        };
        quoted(out, note, b",")?;
        let tags = if rng.percent(25) { rng.pick(TAGS) } else { "" };
        quoted(out, tags, b"\r\n")
    }
}

struct Args {
    rows: u64,
    out: String,
    /// Percent of broken rows; `None` takes the mode's default.
    invalid_pct: Option<f64>,
    jsonl: bool,
    json: bool,
    realistic: bool,
    seed: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut positional = Vec::new();
    let mut invalid_pct = None;
    let mut jsonl = false;
    let mut realistic = false;
    let mut json = false;
    let mut seed = 1;
    let mut args = env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--jsonl" => jsonl = true,
            "--json" => json = true,
            "--realistic" => realistic = true,
            "--invalid-pct" => {
                let v = value("--invalid-pct")?;
                invalid_pct = v
                    .parse::<f64>()
                    .map(Some)
                    .ok()
                    .filter(|p| p.is_some_and(|p| (0.0..=100.0).contains(&p)))
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
    if realistic && (jsonl || json) {
        return Err("--realistic writes CSV only; drop --jsonl / --json".into());
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
        realistic,
        seed,
    })
}

/// The output, buffered: the file `OUT`, or stdout for `-`.
fn open_out(out: &str) -> io::Result<BufWriter<Box<dyn Write>>> {
    let sink: Box<dyn Write> = if out == "-" {
        Box::new(io::stdout().lock())
    } else {
        Box::new(File::create(out)?)
    };
    Ok(BufWriter::with_capacity(1 << 20, sink))
}

/// Writes the classic file; returns what was broken, for the summary line.
fn run_classic(args: &Args) -> io::Result<String> {
    let mut out = open_out(&args.out)?;
    let plan = Plan {
        basis_points: (args.invalid_pct.unwrap_or(5.0) * 100.0).round() as u64,
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
    Ok(format!(
        "{} bad email, {} no first name, {} long phone, {} no city, {} duplicate email ({} in all)",
        counts[0],
        counts[1],
        counts[2],
        counts[3],
        counts[4],
        counts.iter().sum::<u64>()
    ))
}

/// Writes the realistic file; returns what was broken, for the summary line.
fn run_realistic(args: &Args) -> io::Result<String> {
    let mut out = open_out(&args.out)?;
    let plan = realistic::Plan {
        basis_points: (args.invalid_pct.unwrap_or(35.0) * 100.0).round() as u64,
        seed: args.seed,
    };
    let mut counts = [0u64; realistic::BREAKS.len()];
    let mut scratch = realistic::Scratch::default();
    realistic::write_header(&mut out)?;
    for i in 0..args.rows {
        if let Some(b) = plan.breaks(i)
            && let Some(k) = realistic::BREAKS.iter().position(|(x, _, _)| *x == b)
        {
            counts[k] += 1;
        }
        realistic::write_row(&mut out, &plan, i, &mut scratch)?;
    }
    out.flush()?;
    let mut summary: Vec<String> = realistic::BREAKS
        .iter()
        .zip(counts)
        .map(|((_, _, rule), c)| format!("{c} {rule}"))
        .collect();
    summary.push(format!("({} rows in all)", counts.iter().sum::<u64>()));
    Ok(summary.join(", "))
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
    let written = if args.realistic {
        run_realistic(&args)
    } else {
        run_classic(&args)
    };
    match written {
        Ok(summary) => {
            eprintln!(
                "gen_customers: {} rows to {} in {:.2?}; invalid: {summary}",
                args.rows,
                args.out,
                started.elapsed(),
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_customers: {}: {e}", args.out);
            ExitCode::FAILURE
        }
    }
}
