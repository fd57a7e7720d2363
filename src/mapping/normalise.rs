//! What a record's values become on a customer: each field set from its
//! text (flags and ids parsed), addresses normalised (names filled from the
//! customer, the country resolved), a full name split, spreadsheet-mangled
//! digits left out, phones in E.164 when asked; each change of a value a
//! finding.

use serde_json::{Map, Value};

use super::field::{self, AddressField, Field};
use super::row::scalar_text;
use crate::findings::Findings;
use crate::model::{Address, Customer, Text};
use crate::values::{
    country_alpha2, normalise_email, parse_bool, phone_e164, split_full_name,
    strip_spreadsheet_quote, trim,
};

pub(super) fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// An email as the record keeps it: `values::normalise_email` (trimmed,
/// lower-cased); the common ASCII address is lower-cased in place, with
/// nothing allocated when it is short.
pub(super) fn email_text(v: &str) -> Text {
    let t = trim(v);
    if t.is_ascii() {
        let mut e = Text::from(t);
        e.make_ascii_lowercase();
        return e;
    }
    Text::from(normalise_email(t))
}

/// Adds `item` to `tags` unless a tag differing only in ASCII case is there.
pub(super) fn push_unique(tags: &mut Vec<Text>, item: &str) {
    if !tags.iter().any(|x| x.eq_ignore_ascii_case(item)) {
        tags.push(Text::from(item));
    }
}

pub(super) fn parse_int(
    field: &'static str,
    rule: &'static str,
    v: Option<&str>,
    f: &mut Findings,
) -> Option<i64> {
    let v = v?;
    match v.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            f.violation(
                field,
                rule,
                format!("{field} \"{v}\" is not a whole number"),
            );
            None
        }
    }
}

pub(super) fn parse_flag(
    field: &'static str,
    rule: &'static str,
    v: Option<&str>,
    f: &mut Findings,
) -> Option<bool> {
    let v = v?;
    match parse_bool(v) {
        Some(b) => Some(b),
        None => {
            f.violation(
                field,
                rule,
                format!("{field} \"{v}\" is not a yes/no value; write true/false or yes/no"),
            );
            None
        }
    }
}

pub(super) fn set_customer_field(
    c: &mut Customer,
    field: Field,
    v: Option<&str>,
    f: &mut Findings,
) {
    let owned = || v.map(Text::from);
    match field {
        Field::Email => c.email = v.map(email_text),
        Field::Phone => {
            c.phone = v
                .map(|p| trim(strip_spreadsheet_quote(p)))
                .filter(|p| !p.is_empty())
                .map(Text::from)
        }
        Field::FirstName => c.first_name = owned(),
        Field::LastName => c.last_name = owned(),
        Field::Name => c.name = owned(),
        Field::Company => c.company = owned(),
        Field::Notes => c.notes = owned(),
        Field::TaxExemptCategory => c.tax_exempt_category = owned(),
        Field::ImageUrl => c.image_url = owned(),
        Field::AcceptsMarketing => {
            c.accepts_marketing =
                parse_flag("accepts_marketing", "accepts_marketing.not_boolean", v, f)
        }
        Field::Active => c.active = parse_flag("active", "active.not_boolean", v, f),
        Field::CustomerGroupId => {
            c.customer_group_id =
                parse_int("customer_group_id", "customer_group_id.not_integer", v, f)
        }
        Field::OriginChannelId => {
            c.origin_channel_id =
                parse_int("origin_channel_id", "origin_channel_id.not_integer", v, f)
        }
        Field::Tags | Field::ChannelIds | Field::Address(_) | Field::AddressBlock(..) => {}
    }
}

/// An email's or phone's first of the values Google Contacts lists in one
/// cell (`a ::: b`: the primary first), with a warning naming the others;
/// `v` itself when it holds one value, or the field is another.
pub(super) fn first_of_several<'a>(
    field: Field,
    v: Option<&'a str>,
    f: &mut Findings,
) -> Option<&'a str> {
    let text = v?;
    if !matches!(field, Field::Email | Field::Phone) || !text.contains(super::GOOGLE_LABELS) {
        return v;
    }
    let mut values = text
        .split(super::GOOGLE_LABELS.trim())
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let first = values.next()?;
    let others: Vec<&str> = values.collect();
    if !others.is_empty() {
        let (name, rule) = match field {
            Field::Email => ("email", "email.several_values"),
            _ => ("phone", "phone.several_values"),
        };
        f.warning(
            name,
            rule,
            format!(
                "{name} holds {} values separated by \" ::: \" (how Google Contacts lists them); the first, \"{first}\", is sent and {} left out: make a customer of its own of any that is another person's",
                others.len() + 1,
                others.iter().map(|o| format!("\"{o}\"")).collect::<Vec<_>>().join(", ")
            ),
        );
    }
    Some(first)
}

pub(super) fn set_address_field(a: &mut Address, field: AddressField, v: Option<Text>) {
    let slot = match field {
        AddressField::FirstName => &mut a.first_name,
        AddressField::LastName => &mut a.last_name,
        AddressField::Company => &mut a.company,
        AddressField::Phone => &mut a.phone,
        AddressField::Address1 => &mut a.address1,
        AddressField::Address2 => &mut a.address2,
        AddressField::City => &mut a.city,
        AddressField::Province => &mut a.province,
        AddressField::ProvinceCode => &mut a.province_code,
        AddressField::Country => &mut a.country,
        AddressField::CountryCode => &mut a.country_code,
        AddressField::Zip => &mut a.zip,
    };
    *slot = v;
}

pub(super) fn address_from_json(obj: &Map<String, Value>) -> Address {
    let mut a = Address::default();
    for (field, name) in field::ADDRESS_FIELDS {
        let v = non_empty(obj.get(*name).and_then(scalar_text));
        let v = match field {
            AddressField::Phone | AddressField::Zip => {
                non_empty(v.map(|s| strip_spreadsheet_quote(&s).to_string()))
            }
            _ => v,
        };
        set_address_field(&mut a, *field, v.map(Text::from));
    }
    a.default = obj.get("default").and_then(Value::as_bool).unwrap_or(false);
    a
}

/// Marks a `name.split` warning whose split is in doubt; reports show only
/// those as examples (every split is counted).
pub const DOUBTFUL_SPLIT: &str = "check this one";

/// Whether a finding is a `name.split` warning of a clear split, which
/// reports count but do not show as an example.
pub fn is_clear_split(v: &crate::findings::Violation) -> bool {
    v.rule == "name.split" && !v.text.contains(DOUBTFUL_SPLIT)
}

/// Why splitting `full` into `first` and `last` may be wrong: a title or
/// suffix at either end (left out of both), more than three words, or a
/// single word; `None` for a clear split.
pub(super) fn split_doubt(
    full: &str,
    first: Option<&str>,
    last: Option<&str>,
) -> Option<&'static str> {
    let words = |s: Option<&str>| {
        s.map_or(0, |s| {
            s.split_whitespace()
                .filter(|w| !w.trim_end_matches(',').is_empty())
                .count()
        })
    };
    let all = words(Some(full));
    let kept = words(first) + words(last);
    if kept < all {
        Some("a title or suffix at either end was left out")
    } else if all > 3 {
        Some("more than three words")
    } else if all == 1 {
        Some("a single word")
    } else {
        None
    }
}

/// DECISIONS.md: a full name with no first or last name is split into
/// them (particles stay with the last name), with a warning; `name` keeps
/// the original for platforms that take a display name.
pub(super) fn split_name(c: &mut Customer, f: &mut Findings) {
    if c.first_name.is_some() || c.last_name.is_some() {
        return;
    }
    let Some(full) = c.name.as_deref() else {
        return;
    };
    let (first, last) = split_full_name(full);
    let said = match (&first, &last) {
        (Some(first), Some(last)) => {
            format!("first name \"{first}\" and last name \"{last}\"")
        }
        (Some(first), None) => format!("first name \"{first}\", with no last name"),
        _ => return,
    };
    let doubt = split_doubt(full, first.as_deref(), last.as_deref())
        .map(|why| format!(" {DOUBTFUL_SPLIT} ({why})"))
        .unwrap_or_default();
    f.warning(
        "name",
        "name.split",
        format!("name \"{full}\" was split into {said};{doubt} map first and last name columns if that is wrong"),
    );
    c.first_name = first.map(Text::from);
    c.last_name = last.map(Text::from);
}

/// True for a number a spreadsheet wrote in scientific notation
/// (`7.02255E+12`): where a phone or zip belongs, its digits are lost.
pub(super) fn is_scientific_notation(v: &str) -> bool {
    let v = trim(v);
    // The number starts with a digit (the mantissa's whole part, below),
    // which most phones (`+33 …`, `(555) …`) do not: they are answered
    // here, without a look at every byte.
    if !v.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    // Most values hold no E at all. They are short (a phone, a zip): a
    // plain loop answers sooner than a SIMD search's set-up.
    if !v.bytes().any(|b| b == b'E' || b == b'e') {
        return false;
    }
    let Some((mantissa, exponent)) = v.split_once(['E', 'e']) else {
        return false;
    };
    let Some(exponent) = exponent.strip_prefix('+') else {
        return false;
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(int) && digits(frac) && digits(exponent)
}

/// FACTS.md: a phone or zip in scientific notation has lost its digits;
/// never send it: leave the field out and warn, naming the value.
pub(super) fn drop_lost_digits(c: &mut Customer, f: &mut Findings) {
    const WHY: &str = "a spreadsheet turned it into a number in scientific notation and its digits are lost; it is left out: fix it in the source (format the column as text)";
    if c.phone.as_deref().is_some_and(is_scientific_notation) {
        let v = c.phone.take().unwrap_or_default();
        f.warning(
            "phone",
            "phone.scientific_notation",
            format!("phone \"{v}\": {WHY}"),
        );
    }
    for (i, a) in c.addresses.iter_mut().enumerate() {
        if a.phone.as_deref().is_some_and(is_scientific_notation) {
            let v = a.phone.take().unwrap_or_default();
            f.warning(
                format!("addresses[{i}].phone"),
                "address.phone.scientific_notation",
                format!("address phone \"{v}\": {WHY}"),
            );
        }
        if a.zip.as_deref().is_some_and(is_scientific_notation) {
            let v = a.zip.take().unwrap_or_default();
            f.warning(
                format!("addresses[{i}].zip"),
                "address.zip.scientific_notation",
                format!("zip \"{v}\": {WHY}"),
            );
        }
    }
}

/// A US ZIP code (also Puerto Rico's and the US Virgin Islands', whose
/// ZIPs start with `00`) of 3 or 4 digits, optionally `-` and 4 more: a
/// spreadsheet read `02134` as a number and dropped its leading zeros (New
/// England, New Jersey, Puerto Rico). A ZIP is always 5 digits, so the
/// zeros are put back and the change is warned, naming both values.
pub(super) fn restore_zip_zeros(c: &mut Customer, f: &mut Findings) {
    for (i, a) in c.addresses.iter_mut().enumerate() {
        if !matches!(a.country_code.as_deref(), Some("US" | "PR" | "VI")) {
            continue;
        }
        let Some(zip) = a.zip.as_deref() else {
            continue;
        };
        let (head, plus4) = zip.split_once('-').unwrap_or((zip, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !(3..=4).contains(&head.len())
            || !digits(head)
            || !(plus4.is_empty() || (plus4.len() == 4 && digits(plus4)))
        {
            continue;
        }
        let mut fixed = Text::from("0".repeat(5 - head.len()));
        fixed.push_str(zip);
        f.warning(
            format!("addresses[{i}].zip"),
            "address.zip.leading_zero_restored",
            format!(
                "zip \"{zip}\" has {} digits, and a US ZIP code has 5: a spreadsheet dropped its leading zeros; it is sent as \"{fixed}\" (format the column as text in the source if that is wrong)",
                head.len()
            ),
        );
        a.zip = Some(fixed);
    }
}

/// `--phone e164`: every phone in E.164, parsed with its address's country
/// (the customer's phone with the first address's); one that does not parse
/// is left out, with a warning naming it.
pub(super) fn phones_to_e164(c: &mut Customer, f: &mut Findings) {
    let home = c.addresses.first().and_then(|a| a.country_code.clone());
    if let Some(p) = c.phone.take() {
        match phone_e164(&p, home.as_deref()) {
            Some(e) => c.phone = Some(e.into()),
            None => f.warning(
                "phone",
                "phone.not_e164",
                format!(
                    "phone \"{p}\" is not a valid number{}; it is left out (--phone e164). Write it with its country code, e.g. +1 …",
                    home.as_deref().map(|h| format!(" for {h}")).unwrap_or_default()
                ),
            ),
        }
    }
    for (i, a) in c.addresses.iter_mut().enumerate() {
        let Some(p) = a.phone.take() else {
            continue;
        };
        let country = a.country_code.clone().or_else(|| home.clone());
        match phone_e164(&p, country.as_deref()) {
            Some(e) => a.phone = Some(e.into()),
            None => f.warning(
                format!("addresses[{i}].phone"),
                "address.phone.not_e164",
                format!(
                    "address phone \"{p}\" is not a valid number{}; it is left out (--phone e164)",
                    country
                        .as_deref()
                        .map(|h| format!(" for {h}"))
                        .unwrap_or_default()
                ),
            ),
        }
    }
}

/// Fills an address's names from the customer's when blank, and resolves
/// its country to an ISO 3166-1 alpha-2 code. A value that does not resolve
/// stays in `country` (as written) with no `country_code`, so the rules can
/// name it.
pub(super) fn normalise_address(a: &mut Address, c: &Customer) {
    if a.first_name.is_none() {
        a.first_name = c.first_name.clone();
    }
    if a.last_name.is_none() {
        a.last_name = c.last_name.clone();
    }
    let written_code = a.country_code.take();
    let resolved = written_code
        .as_deref()
        .and_then(country_alpha2)
        .or_else(|| a.country.as_deref().and_then(country_alpha2));
    a.country_code = resolved.map(Text::from);
    if a.country.is_none() {
        a.country = written_code;
    }
}

#[cfg(test)]
mod tests {
    use super::{email_text, is_scientific_notation, restore_zip_zeros};
    use crate::findings::Findings;
    use crate::model::{Address, Customer};
    use crate::values::normalise_email;
    use proptest::prelude::*;

    #[test]
    fn a_us_zip_that_lost_its_leading_zeros_gets_them_back_with_a_warning() {
        let cases = [
            ("US", "2134", "02134", true),
            ("US", "2134-5678", "02134-5678", true),
            ("PR", "601", "00601", true),
            ("US", "90210", "90210", false),
            ("US", "21 34", "21 34", false),
            ("US", "21", "21", false),
            ("US", "2134-56", "2134-56", false),
            ("DE", "2134", "2134", false),
            ("AU", "800", "800", false),
        ];
        for (country, zip, want, warned) in cases {
            let mut c = Customer {
                addresses: vec![Address {
                    country_code: Some(country.into()),
                    zip: Some(zip.into()),
                    ..Address::default()
                }],
                ..Customer::default()
            };
            let mut f = Findings::new(1, 2);
            restore_zip_zeros(&mut c, &mut f);
            assert_eq!(c.addresses[0].zip.as_deref(), Some(want), "{country} {zip}");
            assert_eq!(
                f.items.len(),
                usize::from(warned),
                "{country} {zip}: {:?}",
                f.items
            );
            if warned {
                let w = &f.items[0];
                assert_eq!(w.rule, "address.zip.leading_zero_restored");
                assert_eq!(w.field, "addresses[0].zip");
                let text = w.message();
                assert!(text.contains(zip) && text.contains(want), "{text}");
            }
        }
    }

    #[test]
    fn an_email_is_lower_cased_as_normalise_email_does_it() {
        for v in crate::values::EMAIL_CASES {
            assert_eq!(email_text(v).as_str(), normalise_email(v), "{v:?}");
        }
    }

    #[test]
    fn scientific_notation_is_told_from_a_value_with_an_e() {
        assert!(is_scientific_notation("7.02255E+12"));
        assert!(is_scientific_notation(" 4.4e+11 "));
        assert!(!is_scientific_notation("+1 555 0100"));
        assert!(!is_scientific_notation("EC1A 1BB"));
        assert!(!is_scientific_notation("1E5"));
        assert!(!is_scientific_notation("+7.02255E+12"));
        assert!(!is_scientific_notation(".5E+3"));
        assert!(!is_scientific_notation(""));
    }

    proptest! {
        #[test]
        fn email_text_agrees_with_normalise_email(v in "[ a-zA-Z0-9@._\u{C0}-\u{17F}\u{391}-\u{3C9}\u{130}\u{1C4}-\u{1CC}例え\u{200B}]{0,24}") {
            let got = email_text(&v);
            prop_assert_eq!(got.as_str(), normalise_email(&v));
        }
    }
}
