//! Built-in presets for well-known exports, each a list of field ← column
//! candidates (the first candidate the header has wins), the columns it reads
//! on purpose and leaves out, and how it is recognised from a header.

use super::field::{AddressField as A, Field as F};
use super::{Mapping, Origin, Source};
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
    /// Columns that must all be present for the preset to be detected.
    pub signature: &'static [&'static str],
    /// JSON input: read a nested `addresses` array of canonical objects.
    pub nested_addresses: bool,
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
    signature: &["First Name", "Last Name", "Email"],
    nested_addresses: false,
};

/// storeload's own snake_case layout: flat address columns in CSV, nested
/// `addresses` in JSONL.
pub const GENERIC: Preset = Preset {
    name: "generic",
    description: "canonical snake_case columns (email, first_name, …, address1, city, country_code); nested addresses in JSONL",
    columns: &[
        (F::Email, &["email"]),
        (F::Phone, &["phone"]),
        (F::FirstName, &["first_name"]),
        (F::LastName, &["last_name"]),
        (F::Name, &["name"]),
        (F::Company, &["company"]),
        (F::Notes, &["notes"]),
        (F::Tags, &["tags"]),
        (F::AcceptsMarketing, &["accepts_marketing"]),
        (F::CustomerGroupId, &["customer_group_id"]),
        (F::ChannelIds, &["channel_ids"]),
        (F::TaxExemptCategory, &["tax_exempt_category"]),
        (F::OriginChannelId, &["origin_channel_id"]),
        (F::Active, &["active"]),
        (F::ImageUrl, &["image_url"]),
        (F::Address(A::FirstName), &["address_first_name"]),
        (F::Address(A::LastName), &["address_last_name"]),
        (F::Address(A::Company), &["address_company"]),
        (F::Address(A::Phone), &["address_phone"]),
        (F::Address(A::Address1), &["address1"]),
        (F::Address(A::Address2), &["address2"]),
        (F::Address(A::City), &["city"]),
        (F::Address(A::Province), &["province"]),
        (F::Address(A::ProvinceCode), &["province_code"]),
        (F::Address(A::Country), &["country"]),
        (F::Address(A::CountryCode), &["country_code"]),
        (F::Address(A::Zip), &["zip"]),
    ],
    lists: &[(F::Tags, ","), (F::ChannelIds, ",")],
    ignored: &[("attributes", "read as BigCommerce attributes (JSONL only)")],
    signature: &["email"],
    nested_addresses: true,
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
    signature: &["email", "first_name", "addresses", "default_address"],
    nested_addresses: true,
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
    signature: &["Name", "Username", "Email"],
    nested_addresses: false,
};

/// Every preset, in detection order.
pub const PRESETS: &[&Preset] = &[&SHOPIFY, &SHOPIFY_JSON, &WOOCOMMERCE, &GENERIC];

/// The preset called `name`.
pub fn by_name(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().copied().find(|p| p.name == name)
}

fn find<'a>(columns: &'a [String], name: &str) -> Option<&'a String> {
    columns
        .iter()
        .find(|c| *c == name)
        .or_else(|| columns.iter().find(|c| c.eq_ignore_ascii_case(name)))
}

impl Preset {
    /// True when the header has every signature column.
    pub fn fits(&self, columns: &[String]) -> bool {
        self.signature.iter().all(|s| find(columns, s).is_some())
    }

    /// How many of the header's columns this preset reads.
    fn score(&self, columns: &[String]) -> usize {
        self.columns
            .iter()
            .filter(|(_, cands)| cands.iter().any(|c| find(columns, c).is_some()))
            .count()
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
            let source = match self.lists.iter().find(|(f, _)| f == field) {
                Some((_, sep)) => Source::Split {
                    column: col.clone(),
                    separator: (*sep).to_string(),
                },
                None => Source::Column(col.clone()),
            };
            rules.push((*field, source));
        }
        let ignored = self
            .ignored
            .iter()
            .filter_map(|(name, why)| find(columns, name).map(|c| (c.clone(), *why)))
            .collect();
        Mapping::bind(
            origin,
            rules,
            self.nested_addresses,
            ignored,
            columns,
            label,
        )
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

/// Picks the preset that fits the header best, or explains what to do.
pub fn detect(columns: &[String], label: &str) -> Result<&'static Preset, CliError> {
    let mut best: Option<(&'static Preset, usize)> = None;
    for p in PRESETS.iter().copied().filter(|p| p.fits(columns)) {
        let score = p.score(columns);
        // Ties go to the earlier (more specific) preset.
        if best.is_none_or(|(_, b)| score > b) {
            best = Some((p, score));
        }
    }
    best.map(|(p, _)| p)
        .ok_or_else(|| {
            CliError::usage(format!(
                "{label}: no preset matches this header\n\nColumns seen: {}\n\nWrite a mapping file that names your columns, e.g. mapping.toml:\n    email = \"<your email column>\"\n    first_name = \"<first name column>\"\n    last_name = \"<last name column>\"\n    [address]\n    city = \"<city column>\"\nand pass it with --mapping mapping.toml (see the README, \"Mapping files\"), or pick a preset with --preset (storeload presets lists them).",
                super::quote_list(columns)
            ))
        })
}
