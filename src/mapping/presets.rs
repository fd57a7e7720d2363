//! Built-in presets for well-known exports, each a list of field ← column
//! candidates (the first candidate the header has wins), the columns it reads
//! on purpose and leaves out, and how it is recognised from a header: only
//! by that export's distinctive columns (an `Email` and a `First Name` are
//! in every file). A header no preset claims goes to the auto-mapper, which
//! also completes a preset with the columns it leaves unmapped.

use super::field::{AddressField as A, Field as F};
use super::{Mapping, Origin, Source, auto};
use crate::error::CliError;
use crate::read::{Format, Input};

/// A built-in mapping for a well-known export layout.
pub struct Preset {
    /// Name used with `--preset`.
    pub name: &'static str,
    /// One line saying which export it reads.
    pub description: &'static str,
    /// Field ← column candidates; the first the header has is used.
    pub columns: &'static [(F, &'static [&'static str])],
    /// Fields that are lists split on a separator: (field, separator).
    pub lists: &'static [(F, &'static str)],
    /// Columns read and deliberately left out, with the reason.
    pub ignored: &'static [(&'static str, &'static str)],
    /// The export's distinctive columns: the preset is detected when the
    /// header has every column of one of these sets (a name ending in `*`
    /// is a prefix, e.g. Magento's `_address_*`).
    pub signature: &'static [&'static [&'static str]],
    /// JSON input: read a nested `addresses` array of canonical objects.
    pub nested_addresses: bool,
    /// A row whose value in this column is blank continues the customer
    /// above (Magento's continuation rows).
    pub continuation: Option<&'static str>,
    /// Continuation rows apply only when the header has a column starting
    /// with this prefix (Magento's composite file, not its flat profile).
    pub continuation_when: Option<&'static str>,
    /// Address fields read as one line of a street column holding several
    /// (a JSON array or newline-separated): (field, line from 1).
    pub street_lines: &'static [(F, usize)],
    /// Numbered address blocks (BigCommerce's export): address field ←
    /// column prefix; block n is the column `"{prefix} - {n}"`. Block 1 is
    /// the customer's first address, each later block another.
    pub blocks: &'static [(A, &'static str)],
}

/// Shopify's customer export; current and older header generations.
pub const SHOPIFY: Preset = Preset {
    name: "shopify",
    description: "Shopify customer export (Customers → Export), current and older headers",
    columns: &[
        (F::FirstName, &["First Name"]),
        (F::LastName, &["Last Name"]),
        (F::Email, &["Email"]),
        (
            F::AcceptsMarketing,
            &["Accepts Email Marketing", "Accepts Marketing"],
        ),
        (F::Company, &["Default Address Company", "Company"]),
        (
            F::Address(A::Company),
            &["Default Address Company", "Company"],
        ),
        (
            F::Address(A::Address1),
            &["Default Address Address1", "Address1"],
        ),
        (
            F::Address(A::Address2),
            &["Default Address Address2", "Address2"],
        ),
        (F::Address(A::City), &["Default Address City", "City"]),
        (F::Address(A::Province), &["Province"]),
        (
            F::Address(A::ProvinceCode),
            &["Default Address Province Code", "Province Code"],
        ),
        (F::Address(A::Country), &["Country"]),
        (
            F::Address(A::CountryCode),
            &["Default Address Country Code", "Country Code"],
        ),
        (F::Address(A::Zip), &["Default Address Zip", "Zip"]),
        (F::Address(A::Phone), &["Default Address Phone"]),
        (F::Phone, &["Phone"]),
        (F::Tags, &["Tags"]),
        (F::Notes, &["Note"]),
    ],
    lists: &[(F::Tags, ",")],
    ignored: &[
        (
            "Customer ID",
            "Shopify's own id; the platform assigns a new one",
        ),
        (
            "Accepts SMS Marketing",
            "no platform here has a field for SMS consent",
        ),
        ("Total Spent", "order history, not a customer field"),
        ("Total Orders", "order history, not a customer field"),
        (
            "Tax Exempt",
            "a yes/no flag, not a tax-exempt category code",
        ),
    ],
    // `Accepts Marketing` alone is no sign of Shopify (any newsletter list
    // has it): the older layout is known by its unprefixed address columns.
    signature: &[
        &["Email", "Default Address Address1"],
        &["Email", "Accepts Email Marketing"],
        &["Email", "Total Spent"],
        &["Email", "Address1", "Province Code"],
    ],
    nested_addresses: false,
    continuation: None,
    continuation_when: None,
    street_lines: &[],
    blocks: &[],
};

/// Shopify's Admin API customers as JSON (`{"customers":[…]}`, or one
/// customer per line): `addresses` holds every address, the default one
/// marked `"default": true`; `default_address` repeats it and is not read
/// again (one address, by id).
pub const SHOPIFY_JSON: Preset = Preset {
    name: "shopify-json",
    description: "Shopify Admin API customers JSON ({\"customers\":[…]}, addresses with the default marked)",
    columns: &[
        (F::Email, &["email"]),
        (F::FirstName, &["first_name"]),
        (F::LastName, &["last_name"]),
        (F::Phone, &["phone"]),
        (F::Notes, &["note"]),
        (F::Tags, &["tags"]),
        (F::AcceptsMarketing, &["accepts_marketing"]),
    ],
    lists: &[(F::Tags, ",")],
    ignored: &[
        ("id", "Shopify's own id; the platform assigns a new one"),
        (
            "default_address",
            "the same address is in addresses, marked default",
        ),
        (
            "state",
            "Shopify's account state (enabled, disabled, invited), not an address",
        ),
        (
            "verified_email",
            "Shopify's verification flag; the platform verifies on its own",
        ),
        ("orders_count", "order history, not a customer field"),
        ("total_spent", "order history, not a customer field"),
        ("last_order_id", "order history, not a customer field"),
        ("last_order_name", "order history, not a customer field"),
        (
            "tax_exempt",
            "a yes/no flag, not a tax-exempt category code",
        ),
        (
            "created_at",
            "Shopify's timestamps; the platform keeps its own",
        ),
        (
            "updated_at",
            "Shopify's timestamps; the platform keeps its own",
        ),
    ],
    signature: &[&["email", "addresses", "default_address"]],
    nested_addresses: true,
    continuation: None,
    continuation_when: None,
    street_lines: &[],
    blocks: &[],
};

/// WooCommerce's customer export (Analytics → Customers → Download): one
/// full-name column, a location but no street line.
pub const WOOCOMMERCE: Preset = Preset {
    name: "woocommerce",
    description: "WooCommerce customer export (Name, Username, Email, Country / Region, City, Region, Postal code)",
    columns: &[
        (F::Name, &["Name"]),
        (F::Email, &["Email"]),
        (F::Address(A::City), &["City"]),
        (F::Address(A::Province), &["Region"]),
        (F::Address(A::Zip), &["Postal code", "Postal Code"]),
        (F::Address(A::Country), &["Country / Region", "Country"]),
    ],
    lists: &[],
    ignored: &[
        (
            "Username",
            "the store login; the platform has no such field",
        ),
        ("Last active", "activity history, not a customer field"),
        ("Date registered", "the platform records its own"),
        ("Orders", "order history, not a customer field"),
        ("Total spend", "order history, not a customer field"),
        ("AOV", "order history, not a customer field"),
    ],
    signature: &[&["Email", "Country / Region"]],
    nested_addresses: false,
    continuation: None,
    continuation_when: None,
    street_lines: &[],
    blocks: &[],
};

/// Magento 2's customer import/export layout (the composite file): one row
/// per customer with its first address in `_address_*` columns; a row with
/// a blank email that follows adds another address to that customer.
pub const MAGENTO: Preset = Preset {
    name: "magento",
    description: "Magento 2 customer import/export (email, firstname, lastname, _address_* columns; rows with a blank email add addresses) and its flat customer profile (firstname, lastname, email, street, city, region, country_id, postcode, telephone)",
    columns: &[
        (F::Email, &["email"]),
        (F::FirstName, &["firstname"]),
        (F::LastName, &["lastname"]),
        (F::Phone, &["telephone"]),
        (F::Address(A::FirstName), &["_address_firstname"]),
        (F::Address(A::LastName), &["_address_lastname"]),
        (F::Address(A::Company), &["_address_company", "company"]),
        (F::Address(A::Phone), &["_address_telephone"]),
        (F::Address(A::Address1), &["_address_street", "street"]),
        (F::Address(A::Address2), &["_address_street", "street"]),
        (F::Address(A::City), &["_address_city", "city"]),
        (F::Address(A::Province), &["_address_region", "region"]),
        (F::Address(A::Zip), &["_address_postcode", "postcode"]),
        (
            F::Address(A::CountryCode),
            &["_address_country_id", "country_id"],
        ),
    ],
    lists: &[],
    ignored: &[
        (
            "_website",
            "Magento's website code; the platform has its own channels",
        ),
        ("_store", "Magento's store view code"),
        ("website_id", "Magento's website id"),
        ("store_id", "Magento's store view id"),
        (
            "group_id",
            "Magento's customer group id; map customer_group_id yourself if the ids match",
        ),
        (
            "created_at",
            "Magento's timestamps; the platform keeps its own",
        ),
        (
            "updated_at",
            "Magento's timestamps; the platform keeps its own",
        ),
        ("created_in", "the store view the account was made in"),
        ("password_hash", "passwords are never moved"),
        ("password", "passwords are never moved"),
        ("rp_token", "a password-reset token; never moved"),
        ("rp_token_created_at", "a password-reset token; never moved"),
        ("confirmation", "Magento's account confirmation key"),
        ("disable_auto_group_change", "a Magento setting"),
        ("dob", "no platform here has a birth date field"),
        ("gender", "no platform here has a gender field"),
        ("prefix", "no platform here has a name prefix field"),
        ("middlename", "no platform here has a middle name field"),
        ("suffix", "no platform here has a name suffix field"),
        ("taxvat", "a VAT number; no platform here has the field"),
        (
            "_address_prefix",
            "no platform here has an address name prefix",
        ),
        (
            "_address_middlename",
            "no platform here has an address middle name",
        ),
        (
            "_address_suffix",
            "no platform here has an address name suffix",
        ),
        ("_address_fax", "no platform here has a fax field"),
        (
            "_address_vat_id",
            "no platform here has an address VAT field",
        ),
        (
            "_address_region_id",
            "Magento's region id; _address_region names it",
        ),
        (
            "_address_default_billing_",
            "which address is the default is Magento's setting",
        ),
        (
            "_address_default_shipping_",
            "which address is the default is Magento's setting",
        ),
    ],
    signature: &[
        &["email", "_address_*"],
        &["email", "firstname", "country_id"],
    ],
    nested_addresses: false,
    continuation: Some("email"),
    continuation_when: Some("_address_"),
    street_lines: &[(F::Address(A::Address1), 1), (F::Address(A::Address2), 2)],
    blocks: &[],
};

/// BigCommerce's control-panel customer export (FACTS.md: the exact column
/// names are unconfirmed): numbered address blocks, `Address Line 1 - 1`,
/// `City - 1`, … `Address Line 1 - 2`, …, each another address.
pub const BIGCOMMERCE: Preset = Preset {
    name: "bigcommerce",
    description: "BigCommerce control-panel customer export (Email Address, First Name, …, numbered address blocks Address Line 1 - 1, City - 1, …)",
    columns: &[
        (F::Email, &["Email Address"]),
        (F::FirstName, &["First Name"]),
        (F::LastName, &["Last Name"]),
        (F::Company, &["Company"]),
        (F::Phone, &["Phone"]),
        (F::Notes, &["Notes"]),
    ],
    lists: &[],
    ignored: &[
        (
            "Customer ID",
            "the old store's id; the platform assigns a new one",
        ),
        (
            "Customer Group",
            "a group name; map customer_group_id to the new store's group id yourself",
        ),
        ("Date Joined", "the platform records its own"),
        (
            "Store Credit",
            "a balance, not a customer field storeload sends",
        ),
        (
            "Receive Review/Abandoned Cart Emails?",
            "marketing consent for one kind of email only",
        ),
    ],
    signature: &[
        &["Email Address", "Address Line 1 - 1"],
        &["Email Address", "City - 1"],
    ],
    nested_addresses: false,
    continuation: None,
    continuation_when: None,
    street_lines: &[],
    blocks: &[
        (A::FirstName, "Address First Name"),
        (A::LastName, "Address Last Name"),
        (A::Company, "Address Company"),
        (A::Address1, "Address Line 1"),
        (A::Address2, "Address Line 2"),
        (A::City, "City"),
        (A::Province, "State"),
        (A::Zip, "Zip"),
        (A::Country, "Country"),
        (A::Phone, "Address Phone"),
    ],
};

/// Where Mailchimp placed a subscriber by the IP address they signed up
/// from: not a postal address, so never an address field.
const MAILCHIMP_GEO: &str =
    "where Mailchimp placed the subscriber's IP address, not a postal address";

/// Mailchimp's audience export (Audience → Export): its merge fields, then
/// Mailchimp's own columns in capitals. `Address` is one text holding every
/// part of the address, and `REGION`/`CC` come from the subscriber's IP
/// address: the auto-mapper would take them for a street and a state.
pub const MAILCHIMP: Preset = Preset {
    name: "mailchimp",
    description: "Mailchimp audience export (Email Address, First Name, Last Name, Address, Phone Number, MEMBER_RATING, OPTIN_TIME, …, LEID, EUID, NOTES, TAGS)",
    columns: &[
        (F::Email, &["Email Address"]),
        (F::FirstName, &["First Name"]),
        (F::LastName, &["Last Name"]),
        (F::Phone, &["Phone Number"]),
        (F::Notes, &["NOTES"]),
        (F::Tags, &["TAGS"]),
    ],
    lists: &[(F::Tags, ",")],
    ignored: &[
        (
            "Address",
            "Mailchimp writes the whole address as one text (street, city, state, zip and country run together), which cannot be split safely; map its parts with a mapping file if your audience has them as separate fields",
        ),
        ("Birthday", "no platform here has a birth date field"),
        ("MEMBER_RATING", "Mailchimp's engagement rating"),
        (
            "OPTIN_TIME",
            "Mailchimp's record of when the subscriber opted in",
        ),
        (
            "OPTIN_IP",
            "Mailchimp's record of where the subscriber opted in",
        ),
        (
            "CONFIRM_TIME",
            "Mailchimp's record of when the subscriber confirmed",
        ),
        (
            "CONFIRM_IP",
            "Mailchimp's record of where the subscriber confirmed",
        ),
        ("LATITUDE", MAILCHIMP_GEO),
        ("LONGITUDE", MAILCHIMP_GEO),
        ("GMTOFF", MAILCHIMP_GEO),
        ("DSTOFF", MAILCHIMP_GEO),
        ("TIMEZONE", MAILCHIMP_GEO),
        ("CC", MAILCHIMP_GEO),
        ("REGION", MAILCHIMP_GEO),
        ("LAST_CHANGED", "Mailchimp's timestamp"),
        ("LEID", "Mailchimp's own id; the platform assigns its own"),
        ("EUID", "Mailchimp's own id; the platform assigns its own"),
    ],
    signature: &[
        &["Email Address", "MEMBER_RATING"],
        &["Email Address", "LEID"],
        &["Email Address", "OPTIN_TIME"],
    ],
    nested_addresses: false,
    continuation: None,
    continuation_when: None,
    street_lines: &[],
    blocks: &[],
};

/// Every preset, in detection order.
pub const PRESETS: &[&Preset] = &[
    &SHOPIFY,
    &SHOPIFY_JSON,
    &WOOCOMMERCE,
    &MAGENTO,
    &BIGCOMMERCE,
    &MAILCHIMP,
];

/// The preset called `name`.
pub fn by_name(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().copied().find(|p| p.name == name)
}

/// The header's column called `name` (exactly, else ignoring ASCII case);
/// a `name` ending in `*` is a prefix.
fn find<'a>(columns: &'a [String], name: &str) -> Option<&'a String> {
    if let Some(prefix) = name.strip_suffix('*') {
        return columns.iter().find(|c| {
            c.get(..prefix.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
        });
    }
    columns
        .iter()
        .find(|c| *c == name)
        .or_else(|| columns.iter().find(|c| c.eq_ignore_ascii_case(name)))
}

impl Preset {
    /// True when the header has every column of one of the signature's sets.
    pub fn fits(&self, columns: &[String]) -> bool {
        self.signature
            .iter()
            .any(|set| set.iter().all(|s| find(columns, s).is_some()))
    }

    /// How many of the header's columns this preset reads.
    fn score(&self, columns: &[String]) -> usize {
        self.columns
            .iter()
            .filter(|(_, cands)| cands.iter().any(|c| find(columns, c).is_some()))
            .count()
            + self
                .blocks
                .iter()
                .filter(|(_, prefix)| find(columns, &format!("{prefix} - 1")).is_some())
                .count()
    }

    /// The numbered address blocks' rules: block 1 fills the first address,
    /// each later block one more, for as many blocks as the header has.
    fn block_rules(&self, columns: &[String]) -> Vec<(F, Source)> {
        let mut rules = Vec::new();
        for n in 1u8..=20 {
            let mut found = false;
            for (field, prefix) in self.blocks {
                if let Some(col) = find(columns, &format!("{prefix} - {n}")) {
                    found = true;
                    let f = if n == 1 {
                        F::Address(*field)
                    } else {
                        F::AddressBlock(n, *field)
                    };
                    rules.push((f, Source::Column(col.clone())));
                }
            }
            if !found {
                break;
            }
        }
        rules
    }

    /// The preset's rules for this header: for each field, the first
    /// candidate column the header has.
    pub fn bind(
        &self,
        origin: Origin,
        columns: &[String],
        label: &str,
    ) -> Result<Mapping, CliError> {
        let mut rules = Vec::new();
        for (field, candidates) in self.columns {
            let Some(col) = candidates.iter().find_map(|c| find(columns, c)) else {
                continue;
            };
            let source = match (
                self.lists.iter().find(|(f, _)| f == field),
                self.street_lines.iter().find(|(f, _)| f == field),
            ) {
                (Some((_, sep)), _) => Source::Split {
                    column: col.clone(),
                    separator: (*sep).to_string(),
                },
                (None, Some((_, line))) => Source::Line {
                    column: col.clone(),
                    line: *line,
                },
                (None, None) => Source::Column(col.clone()),
            };
            rules.push((*field, source));
        }
        rules.extend(self.block_rules(columns));
        let mut ignored: Vec<(String, String)> = self
            .ignored
            .iter()
            .filter_map(|(name, why)| find(columns, name).map(|c| (c.clone(), (*why).to_string())))
            .collect();
        // The auto-mapper completes the preset: a column it leaves unmapped
        // whose name is a synonym of a field it does not fill.
        let free: Vec<&String> = columns
            .iter()
            .filter(|c| {
                let read = rules.iter().any(|(_, s)| s.columns().contains(&c.as_str()));
                let explained = ignored.iter().any(|(i, _)| i == *c);
                let nested = self.nested_addresses && super::JSON_READ.contains(&c.as_str());
                !(super::is_unnamed(c) || read || explained || nested)
            })
            .collect();
        let completion = auto::complete(&free, &rules, !self.nested_addresses);
        let auto_added: Vec<String> = completion
            .rules
            .iter()
            .flat_map(|(_, s)| s.columns().into_iter().map(str::to_string))
            .collect();
        rules.extend(completion.rules);
        ignored.extend(completion.ignored);
        let mut mapping = Mapping::bind(
            origin,
            rules,
            self.nested_addresses,
            ignored,
            columns,
            label,
        )?;
        mapping.auto_added = auto_added;
        let continues = self
            .continuation_when
            .is_none_or(|prefix| find(columns, &format!("{prefix}*")).is_some());
        match self.continuation.filter(|_| continues) {
            Some(col) => match find(columns, col) {
                Some(col) => mapping.with_continuation(col, label),
                None => Ok(mapping),
            },
            None => Ok(mapping),
        }
    }
}

impl Preset {
    /// The preset's rules for `input`. CSV binds to the header. JSONL lines
    /// need not share their keys, and the keys seen are only those of the
    /// objects at the start: every field is bound to its first candidate key
    /// even when no line seen so far has it, so a key that first appears on
    /// line 5,000 is still read. (With nested addresses, the flat address
    /// keys are bound only when seen.)
    pub fn bind_input(&self, origin: Origin, input: &Input) -> Result<Mapping, CliError> {
        if !matches!(input.format, Format::Jsonl | Format::Json) {
            return self.bind(origin, &input.columns, &input.label);
        }
        let mut columns = input.columns.clone();
        for (field, candidates) in self.columns {
            if self.nested_addresses && matches!(field, F::Address(_)) {
                continue;
            }
            if candidates.iter().any(|c| find(&columns, c).is_some()) {
                continue;
            }
            if let Some(first) = candidates.first() {
                columns.push((*first).to_string());
            }
        }
        self.bind(origin, &columns, &input.label)
    }
}

/// The preset whose distinctive columns the header has, the one reading
/// the most columns when several do; `None` when none does.
pub fn detect(columns: &[String]) -> Option<&'static Preset> {
    let mut best: Option<(&'static Preset, usize)> = None;
    for p in PRESETS.iter().copied().filter(|p| p.fits(columns)) {
        let score = p.score(columns);
        // Ties go to the earlier (more specific) preset.
        if best.is_none_or(|(_, b)| score > b) {
            best = Some((p, score));
        }
    }
    best.map(|(p, _)| p)
}

/// What to do when neither a preset nor the auto-mapper can read a header.
pub fn no_mapping(columns: &[String], label: &str) -> CliError {
    // One column whose name holds another delimiter: the header was split
    // on the wrong one (`--delimiter ,` over a `;` file).
    let hint = match columns {
        [only] => [
            (';', "';'", "';'"),
            ('\t', "a tab", "tab"),
            ('|', "'|'", "'|'"),
            (',', "','", ","),
        ]
        .iter()
        .find(|(c, _, _)| only.contains(*c))
        .map(|(_, name, arg)| {
            format!(
                "\n\nThe header was read as one column, and it holds {name}: is that the delimiter? Pass --delimiter {arg}."
            )
        })
        .unwrap_or_default(),
        _ => String::new(),
    };
    CliError::usage(format!(
        "{label}: no preset matches this header and no column is named like an email, a phone or a name\n\nColumns seen: {}{hint}\n\nWrite a mapping file that names your columns, e.g. mapping.toml:\n    email = \"<your email column>\"\n    first_name = \"<first name column>\"\n    last_name = \"<last name column>\"\n    [address]\n    city = \"<city column>\"\nand pass it with --mapping mapping.toml (see the README, \"Mapping files\"), or pick a preset with --preset (storeload presets lists them).",
        super::quote_list(columns)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(header: &str) -> Vec<String> {
        header.split(',').map(str::to_string).collect()
    }

    #[test]
    fn email_and_accepts_marketing_alone_are_no_shopify_signature() {
        for header in [
            "Email,Accepts Marketing",
            "Email,First Name,Last Name,Accepts Marketing,Phone,Tags",
        ] {
            assert!(!SHOPIFY.fits(&cols(header)), "{header}");
            assert!(detect(&cols(header)).is_none(), "{header}");
        }
    }

    #[test]
    fn shopify_older_layout_is_known_by_its_unprefixed_address_columns() {
        let old = "First Name,Last Name,Email,Company,Address1,Address2,City,Province,Province Code,Country,Country Code,Zip,Phone,Accepts Marketing,Note,Tags";
        assert_eq!(detect(&cols(old)).map(|p| p.name), Some("shopify"));
    }
}
