//! Header auto-mapping: columns are matched to canonical fields by their
//! names alone — compared case-, space-, underscore- and
//! punctuation-insensitively against a table of synonyms — never by guessing
//! from their values (a column named "password" holding email-like text is
//! not an email). It maps every file no preset's distinctive columns claim
//! (storeload's own snake_case layout is just synonyms), and completes a
//! preset: a column the preset leaves unmapped whose name is a synonym of a
//! field the preset does not fill is mapped too, and reported as such.

use super::field::{AddressField as A, Field as F};
use super::{Mapping, Origin, Source};
use crate::error::CliError;
use crate::read::{Format, Input};

/// Synonyms per canonical field, already normalised (lower-case letters and
/// digits only). Order of fields decides nothing; order of columns does.
const SYNONYMS: &[(F, &[&str])] = &[
    (
        F::Email,
        &[
            "email",
            "emailaddress",
            "mail",
            "emailid",
            "customeremail",
            // Google Contacts
            "email1value",
            "primaryemail",
            // Other languages' exports (Outlook and Google in French, German,
            // Spanish, Dutch, Italian, Portuguese).
            "courriel",
            "adressedemessagerie",
            "adressecourriel",
            "adresseemail",
            "adressemail",
            "emailadresse",
            "correo",
            "correoelectrónico",
            "emailadres",
            "indirizzoemail",
        ],
    ),
    (
        F::FirstName,
        &[
            "firstname",
            "givenname",
            "forename",
            "first",
            // French, German, Dutch (a bare "Nom", "Nombre" or "Nome" is
            // left alone: first, last or full name depending on the language)
            "prénom",
            "vorname",
            "voornaam",
        ],
    ),
    (
        F::LastName,
        &[
            "lastname",
            "surname",
            "familyname",
            "last",
            // French, German, Spanish, Dutch, Italian, Portuguese
            "nomdefamille",
            "nachname",
            "familienname",
            "apellido",
            "apellidos",
            "achternaam",
            "cognome",
            "sobrenome",
        ],
    ),
    (
        F::Name,
        &[
            "name",
            "fullname",
            "customername",
            "contactname",
            "displayname",
        ],
    ),
    (
        F::Phone,
        &[
            "phone",
            "phone1",
            "telephone",
            "tel",
            "mobile",
            "cell",
            "phonenumber",
            "mobilephone",
            "cellphone",
            // Google Contacts; HubSpot; Outlook
            "phone1value",
            "mobilephonenumber",
            "primaryphone",
            // Other languages' exports (Outlook and Google in French, German,
            // Spanish, Dutch, Italian, Portuguese).
            "téléphone",
            "portable",
            "telefon",
            "mobiltelefon",
            "teléfono",
            "móvil",
            "celular",
            "telefoon",
            "telefoonnummer",
            "telefono",
            "cellulare",
            "telefone",
        ],
    ),
    (
        F::Company,
        &[
            "company",
            "organization",
            "organisation",
            "businessname",
            "companyname",
            // Google Contacts, new and old
            "organizationname",
            "organization1name",
            // Other languages' exports (Outlook and Google in French, German,
            // Spanish, Dutch, Italian, Portuguese).
            "société",
            "entreprise",
            "firma",
            "unternehmen",
            "empresa",
            "bedrijf",
            "azienda",
        ],
    ),
    (
        F::Address(A::Address1),
        &[
            "address",
            "address1",
            "addressline1",
            "street",
            "streetaddress",
            "street1",
            // Google Contacts; Salesforce; Outlook's home address; Square
            "address1street",
            "mailingstreet",
            "homestreet",
            "streetaddress1",
            // Other languages' exports (Outlook and Google in French, German,
            // Spanish, Dutch, Italian, Portuguese).
            "adresse",
            "rue",
            "straße",
            "strasse",
            "dirección",
            "adres",
            "straat",
            "indirizzo",
            "endereço",
        ],
    ),
    (
        F::Address(A::Address2),
        &[
            "address2",
            "addressline2",
            "street2",
            // Google Contacts; Outlook; Square
            "address1extendedaddress",
            "homestreet2",
            "streetaddress2",
        ],
    ),
    (
        F::Address(A::City),
        &[
            "city",
            "town",
            // Google Contacts; Salesforce; Outlook; Stripe
            "address1city",
            "mailingcity",
            "homecity",
            "addresscity",
            // Other languages' exports (Outlook and Google in French, German,
            // Spanish, Dutch, Italian, Portuguese).
            "ville",
            "ort",
            "stadt",
            "ciudad",
            "plaats",
            "woonplaats",
            "città",
            "cidade",
        ],
    ),
    (
        F::Address(A::Province),
        &[
            "state",
            "province",
            "region",
            "county",
            "stateprovince",
            // HubSpot, Klaviyo; Google Contacts; Salesforce; Outlook; Stripe
            "stateregion",
            "address1region",
            "mailingstate",
            "mailingstateprovince",
            "homestate",
            "addressstate",
            // Wix ("Address 1 - State/Province"), and the same words in
            // other orders
            "addressstateprovince",
            "addressprovince",
            "provincestate",
            "stateorprovince",
            // Other languages' exports (Outlook and Google in French, German,
            // Spanish, Dutch, Italian, Portuguese).
            "région",
            "bundesland",
            "provincia",
            "provincie",
        ],
    ),
    (
        F::Address(A::ProvinceCode),
        &["provincecode", "statecode", "regioncode"],
    ),
    (
        F::Address(A::Zip),
        &[
            "zip",
            "zipcode",
            "postalcode",
            "postcode",
            // Salesforce; Google Contacts; Outlook; Stripe
            "zippostalcode",
            "mailingzippostalcode",
            "mailingpostalcode",
            "address1postalcode",
            "homepostalcode",
            "addresspostalcode",
            // Wix ("Address 1 - Zip"), and the same words in other orders
            "addresszip",
            "addresszipcode",
            "addresspostcode",
            "mailingzip",
            // Other languages' exports (Outlook and Google in French, German,
            // Spanish, Dutch, Italian, Portuguese).
            "codepostal",
            "plz",
            "postleitzahl",
            "códigopostal",
            "cap",
            "cep",
        ],
    ),
    (
        F::Address(A::Country),
        &[
            "country",
            "countryregion",
            // Google Contacts; Salesforce; Outlook; Stripe
            "address1country",
            "mailingcountry",
            "homecountryregion",
            "homecountry",
            "addresscountry",
            // Other languages' exports (Outlook and Google in French, German,
            // Spanish, Dutch, Italian, Portuguese).
            "pays",
            "land",
            "país",
            "paese",
            "nazione",
        ],
    ),
    (
        F::Address(A::CountryCode),
        &["countrycode", "countryid", "countryiso"],
    ),
    (
        F::Address(A::FirstName),
        &["addressfirstname", "shippingfirstname"],
    ),
    (
        F::Address(A::LastName),
        &["addresslastname", "shippinglastname"],
    ),
    (F::Address(A::Company), &["addresscompany"]),
    (F::Address(A::Phone), &["addressphone", "shippingphone"]),
    (F::Notes, &["notes", "note", "comments", "comment", "memo"]),
    // Google Contacts: `Labels`, and `Group Membership` in its older export.
    (F::Tags, &["tags", "tag", "labels", "groupmembership"]),
    (
        F::AcceptsMarketing,
        &[
            "acceptsmarketing",
            "acceptsemailmarketing",
            "newsletter",
            "marketingoptin",
            "emailoptin",
            "subscribed",
            // Square
            "emailsubscriptionstatus",
        ],
    ),
    (F::CustomerGroupId, &["customergroupid"]),
    (F::ChannelIds, &["channelids"]),
    (F::TaxExemptCategory, &["taxexemptcategory"]),
    (F::OriginChannelId, &["originchannelid"]),
    (F::Active, &["active"]),
    (F::ImageUrl, &["imageurl", "avatarurl"]),
];

/// Fields whose value is a list split on a comma.
const LISTS: &[F] = &[F::Tags, F::ChannelIds];

/// Google Contacts' label columns (normalised names): in its export they
/// hold `* myContacts ::: Friends ::: VIP`, a list split on
/// [`GOOGLE_LABELS`](super::GOOGLE_LABELS), not on a comma.
const GOOGLE_LABEL_COLUMNS: &[&str] = &["labels", "groupmembership"];

/// True when `columns` are a Google Contacts export's (see [`GOOGLE_COLUMNS`]).
pub(super) fn is_google_export(columns: &[impl AsRef<str>]) -> bool {
    columns
        .iter()
        .any(|c| GOOGLE_COLUMNS.contains(&normalise(c.as_ref()).as_str()))
}

/// Columns only Google Contacts' export has (normalised names): a header
/// holding one is Google's, and its label column is split Google's way.
const GOOGLE_COLUMNS: &[&str] = &[
    "email1value",
    "email1label",
    "email1type",
    "phone1value",
    "phone1label",
    "phone1type",
    "address1formatted",
];

/// Columns recognised by name and left out on purpose, with the reason
/// (normalised names, as in `SYNONYMS`).
const LEFT_OUT: &[(&[&str], &str)] = &[
    (
        &["password", "passwordhash", "pass", "pwd"],
        "passwords are never moved",
    ),
    (
        &[
            "id",
            "customerid",
            "userid",
            "clientid",
            "contactid",
            "recordid",
            "squarecustomerid",
        ],
        "an id of the system the file comes from; the platform assigns its own",
    ),
    (
        &[
            "email1label",
            "email1type",
            "phone1label",
            "phone1type",
            "address1label",
            "address1type",
        ],
        "the contact's label for the value next to it (Home, Work, Mobile), not a customer field",
    ),
    (
        &["address1formatted"],
        "the whole address as one text; its parts (street, city, region, postal code, country) are read from their own columns",
    ),
    (
        &["index", "row", "rownumber"],
        "a row number, not a customer field",
    ),
];

/// The keys a JSON input's records are read by when its first objects do
/// not show them: storeload's canonical snake_case names, so that a key
/// first seen on line 5,000 is still read.
const CANONICAL_JSON_KEYS: &[(F, &str)] = &[
    (F::Email, "email"),
    (F::Phone, "phone"),
    (F::FirstName, "first_name"),
    (F::LastName, "last_name"),
    (F::Name, "name"),
    (F::Company, "company"),
    (F::Notes, "notes"),
    (F::Tags, "tags"),
    (F::AcceptsMarketing, "accepts_marketing"),
    (F::CustomerGroupId, "customer_group_id"),
    (F::ChannelIds, "channel_ids"),
    (F::TaxExemptCategory, "tax_exempt_category"),
    (F::OriginChannelId, "origin_channel_id"),
    (F::Active, "active"),
    (F::ImageUrl, "image_url"),
];

/// A header name reduced to lower-case letters and digits.
pub fn normalise(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The names a numbered column stands for (a normalised name): its first
/// run of digits left out (`phone2` → `phone`) and made 1 (`email2value`
/// → `email1value`, Google's second email), so that a second column of a
/// field is recognised and left out with the column it yields to. Empty
/// when `key` holds no digit.
fn numbered_variants(key: &str) -> Vec<String> {
    let Some(start) = key.find(|c: char| c.is_ascii_digit()) else {
        return Vec::new();
    };
    let end = key[start..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(key.len(), |n| start + n);
    vec![
        format!("{}{}", &key[..start], &key[end..]),
        format!("{}1{}", &key[..start], &key[end..]),
    ]
}

/// The field whose synonyms hold `key` (a normalised name).
fn synonym_of(key: &str) -> Option<F> {
    SYNONYMS
        .iter()
        .find(|(_, names)| names.contains(&key))
        .map(|(f, _)| *f)
}

/// Whether `field` belongs to an address.
fn is_address(field: F) -> bool {
    matches!(field, F::Address(_) | F::AddressBlock(..))
}

/// The source reading `column` for `field`: split on a comma for a list,
/// or on Google's ` ::: ` for the label column of a Google Contacts
/// export (`google`).
fn source_for(field: F, column: &str, google: bool) -> Source {
    if LISTS.contains(&field) {
        let separator = if google && GOOGLE_LABEL_COLUMNS.contains(&normalise(column).as_str()) {
            super::GOOGLE_LABELS
        } else {
            ","
        };
        Source::Split {
            column: column.to_string(),
            separator: separator.into(),
        }
    } else {
        Source::Column(column.to_string())
    }
}

/// What the auto-mapper adds to a layout's rules.
#[derive(Debug, Default)]
pub struct Completion {
    /// Field ← column rules for fields the layout does not fill.
    pub rules: Vec<(F, Source)>,
    /// Columns recognised and left out, with the reason (a second column
    /// for a field already filled, a password, an old id).
    pub ignored: Vec<(String, String)>,
}

/// Maps the `free` columns (those the layout neither reads nor explains)
/// by their names, for the fields `rules` do not fill yet. A column named
/// like a field already filled (`Phone 2` after `Phone 1`, a second email
/// column) is left out with the reason, never dropped without a word.
/// Without `flat_address` (JSON whose addresses are nested objects), no
/// top-level key is taken for an address field.
pub fn complete(free: &[&String], rules: &[(F, Source)], flat_address: bool) -> Completion {
    let mut out = Completion::default();
    let filled_by = |field: F, out: &Completion| -> Option<String> {
        rules
            .iter()
            .chain(out.rules.iter())
            .find(|(f, _)| *f == field)
            .and_then(|(_, s)| s.columns().first().map(|c| c.to_string()))
    };
    let google = is_google_export(free);
    // Exact synonyms first, then numbered variants (`Phone 2`, `Email 1`),
    // so that `Phone 1` is the phone wherever it stands.
    let mut left: Vec<&String> = Vec::new();
    for column in free {
        let key = normalise(column);
        match synonym_of(&key).filter(|f| flat_address || !is_address(*f)) {
            Some(field) if filled_by(field, &out).is_none() => {
                out.rules.push((field, source_for(field, column, google)));
            }
            _ => left.push(column),
        }
    }
    for column in left {
        let key = normalise(column);
        let numbered = numbered_variants(&key);
        let field = synonym_of(&key)
            .or_else(|| numbered.iter().find_map(|k| synonym_of(k)))
            .filter(|f| flat_address || !is_address(*f));
        if let Some(field) = field {
            match filled_by(field, &out) {
                Some(from) => out.ignored.push((
                    column.to_string(),
                    format!(
                        "{} already comes from \"{from}\"; a customer has one {}",
                        field.name(),
                        field.name()
                    ),
                )),
                None => out.rules.push((field, source_for(field, column, google))),
            }
            continue;
        }
        if let Some((_, why)) = LEFT_OUT.iter().find(|(names, _)| {
            names.contains(&key.as_str()) || numbered.iter().any(|k| names.contains(&k.as_str()))
        }) {
            out.ignored.push((column.to_string(), (*why).to_string()));
        }
    }
    out
}

/// The rules the header's names give: for each field, the first column (in
/// header order) whose name is one of its synonyms. Empty when no column
/// names an email, a phone or a name: such a file needs a mapping file.
pub fn infer(columns: &[String]) -> Vec<(F, Source)> {
    let free: Vec<&String> = columns.iter().collect();
    let rules = complete(&free, &[], true).rules;
    let identifies = rules.iter().any(|(f, _)| {
        matches!(
            f,
            F::Email | F::Phone | F::Name | F::FirstName | F::LastName
        )
    });
    if identifies { rules } else { Vec::new() }
}

/// The auto-mapper's mapping for `input`, when its names identify a
/// customer (an email, a phone or a name); `None` otherwise. JSON input
/// also reads a nested `addresses` array and `attributes`, and binds every
/// canonical key its first objects do not show.
pub fn bind_input(input: &Input) -> Result<Option<Mapping>, CliError> {
    let json = matches!(input.format, Format::Jsonl | Format::Json);
    let free: Vec<&String> = input
        .columns
        .iter()
        .filter(|c| !(json && (c.as_str() == "addresses" || c.as_str() == "attributes")))
        .collect();
    // JSON input keeps its addresses nested; a CSV's are flat columns.
    let found = complete(&free, &[], !json);
    let mut rules = found.rules;
    let identifies = rules.iter().any(|(f, _)| {
        matches!(
            f,
            F::Email | F::Phone | F::Name | F::FirstName | F::LastName
        )
    });
    // An empty JSON input has no keys to show; it is read by the
    // canonical keys below.
    let empty_json = json && input.columns.is_empty();
    if !(identifies || empty_json) {
        return Ok(None);
    }
    let mut columns = input.columns.clone();
    if json {
        for (field, key) in CANONICAL_JSON_KEYS {
            if rules.iter().any(|(f, _)| f == field) || columns.iter().any(|c| c == key) {
                continue;
            }
            columns.push((*key).to_string());
            rules.push((*field, source_for(*field, key, false)));
        }
    }
    Mapping::bind(
        Origin::Auto,
        rules,
        json,
        found.ignored,
        &columns,
        &input.label,
    )
    .map(Some)
}
#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn auto_mapping_matches_names_insensitively_and_takes_the_first_candidate() {
        let rules = infer(&cols(&[
            "E-mail Address",
            "Given Name",
            "SURNAME",
            "Phone 1",
            "Phone 2",
            "ZIP Code",
            "Country / Region",
        ]));
        let find = |f: F| rules.iter().find(|(x, _)| *x == f).map(|(_, s)| s.clone());
        assert_eq!(
            find(F::Email),
            Some(Source::Column("E-mail Address".into()))
        );
        assert_eq!(
            find(F::FirstName),
            Some(Source::Column("Given Name".into()))
        );
        assert_eq!(find(F::LastName), Some(Source::Column("SURNAME".into())));
        assert_eq!(find(F::Phone), Some(Source::Column("Phone 1".into())));
        assert_eq!(
            find(F::Address(A::Zip)),
            Some(Source::Column("ZIP Code".into()))
        );
        assert_eq!(
            find(F::Address(A::Country)),
            Some(Source::Column("Country / Region".into()))
        );
        assert!(
            !rules
                .iter()
                .any(|(_, s)| *s == Source::Column("Phone 2".into()))
        );
    }

    #[test]
    fn every_synonym_is_normalised_and_names_one_field_only() {
        let mut seen: Vec<&str> = Vec::new();
        let left_out = LEFT_OUT.iter().flat_map(|(names, _)| names.iter());
        let synonyms = SYNONYMS.iter().flat_map(|(_, names)| names.iter());
        for name in synonyms.chain(left_out) {
            assert_eq!(normalise(name), *name, "{name} is written normalised");
            assert!(!seen.contains(name), "{name} is listed twice");
            seen.push(name);
        }
    }

    #[test]
    fn a_wix_address_block_maps_whole() {
        let header = [
            "Email 1",
            "Address 1 - Street",
            "Address 1 - City",
            "Address 1 - State/Province",
            "Address 1 - Zip",
            "Address 1 - Country",
        ];
        let rules = infer(&cols(&header));
        let column = |field| {
            rules
                .iter()
                .find(|(f, _)| *f == field)
                .map(|(_, s)| s.clone())
        };
        for (field, want) in [
            (F::Address(A::Address1), "Address 1 - Street"),
            (F::Address(A::City), "Address 1 - City"),
            (F::Address(A::Province), "Address 1 - State/Province"),
            (F::Address(A::Zip), "Address 1 - Zip"),
            (F::Address(A::Country), "Address 1 - Country"),
        ] {
            assert_eq!(column(field), Some(Source::Column(want.into())), "{want}");
        }
    }

    #[test]
    fn the_headers_of_contact_exports_map_to_one_address_block() {
        // Google Contacts, Salesforce, Outlook (home), Square, Stripe.
        for header in [
            &[
                "E-mail 1 - Value",
                "Address 1 - Street",
                "Address 1 - City",
                "Address 1 - Postal Code",
                "Address 1 - Country",
                "Address 2 - City",
            ][..],
            &[
                "Email",
                "Mailing Street",
                "Mailing City",
                "Mailing Zip/Postal Code",
                "Mailing Country",
                "Other City",
            ],
            &[
                "E-mail Address",
                "Business Street",
                "Business City",
                "Home Street",
                "Home City",
                "Home Postal Code",
            ],
            &[
                "Email Address",
                "Street Address 1",
                "Street Address 2",
                "City",
                "Postal Code",
                "Country",
            ],
            &[
                "Email",
                "Shipping Address City",
                "Address Line1",
                "Address City",
                "Address Postal Code",
                "Address Country",
            ],
        ] {
            let rules = infer(&cols(header));
            let city = rules
                .iter()
                .find(|(f, _)| *f == F::Address(A::City))
                .map(|(_, s)| s.clone());
            let expected = header
                .iter()
                .find(|h| {
                    let k = normalise(h);
                    k.ends_with("city")
                        && !k.starts_with("business")
                        && !k.starts_with("shipping")
                        && !k.starts_with("other")
                        && !k.starts_with("address2")
                })
                .map(|h| Source::Column(h.to_string()));
            assert_eq!(city, expected, "{header:?}");
            assert!(
                rules.iter().any(|(f, _)| *f == F::Email),
                "{header:?}: {rules:?}"
            );
        }
    }

    #[test]
    fn google_labels_are_split_on_its_separator_only_in_a_google_header() {
        let tags = |header: &[&str]| {
            infer(&cols(header))
                .into_iter()
                .find(|(f, _)| *f == F::Tags)
                .map(|(_, s)| s)
        };
        assert_eq!(
            tags(&["E-mail 1 - Value", "Labels"]),
            Some(Source::Split {
                column: "Labels".into(),
                separator: super::super::GOOGLE_LABELS.into()
            })
        );
        assert_eq!(
            tags(&["E-mail 1 - Value", "Group Membership"]),
            Some(Source::Split {
                column: "Group Membership".into(),
                separator: super::super::GOOGLE_LABELS.into()
            })
        );
        // Another export's Labels column is a comma list, as tags are.
        assert_eq!(
            tags(&["Email", "Labels"]),
            Some(Source::Split {
                column: "Labels".into(),
                separator: ",".into()
            })
        );
    }

    #[test]
    fn a_column_is_never_mapped_by_its_values_only_its_name() {
        assert!(infer(&cols(&["password", "colour"])).is_empty());
    }

    #[test]
    fn a_second_column_for_a_filled_field_is_left_out_with_the_column_it_yields_to() {
        let columns = cols(&["Phone 2", "Phone 1", "Email 2", "Email"]);
        let free: Vec<&String> = columns.iter().collect();
        let c = complete(&free, &[], true);
        assert_eq!(
            c.rules,
            vec![
                (F::Phone, Source::Column("Phone 1".into())),
                (F::Email, Source::Column("Email".into())),
            ]
        );
        assert_eq!(
            c.ignored,
            vec![
                (
                    "Phone 2".to_string(),
                    "phone already comes from \"Phone 1\"; a customer has one phone".to_string()
                ),
                (
                    "Email 2".to_string(),
                    "email already comes from \"Email\"; a customer has one email".to_string()
                ),
            ]
        );
    }

    #[test]
    fn completion_fills_only_fields_the_layout_leaves_empty() {
        let columns = cols(&["Telephone", "Mobile", "Town"]);
        let free: Vec<&String> = columns.iter().collect();
        let layout = vec![(F::Phone, Source::Column("Phone".into()))];
        let c = complete(&free, &layout, true);
        assert_eq!(
            c.rules,
            vec![(F::Address(A::City), Source::Column("Town".into()))]
        );
        assert_eq!(c.ignored.len(), 2, "{:?}", c.ignored);
        // Nested JSON addresses: a top-level key is never an address field.
        let c = complete(&free, &layout, false);
        assert!(c.rules.is_empty(), "{:?}", c.rules);
    }

    #[test]
    fn passwords_and_old_ids_are_left_out_by_name() {
        let columns = cols(&["Customer Id", "password_hash", "Index"]);
        let free: Vec<&String> = columns.iter().collect();
        let c = complete(&free, &[], true);
        assert!(c.rules.is_empty());
        let left: Vec<&str> = c.ignored.iter().map(|(col, _)| col.as_str()).collect();
        assert_eq!(left, vec!["Customer Id", "password_hash", "Index"]);
    }

    #[test]
    fn snake_case_names_map_to_the_fields_of_the_same_name() {
        let columns = cols(&[
            "country_code",
            "province_code",
            "address_phone",
            "channel_ids",
            "customer_group_id",
        ]);
        let rules = infer(&columns);
        assert!(
            rules.is_empty(),
            "no email, phone or name: nothing identifies"
        );
        let free: Vec<&String> = columns.iter().collect();
        let fields: Vec<F> = complete(&free, &[], true)
            .rules
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(
            fields,
            vec![
                F::Address(A::CountryCode),
                F::Address(A::ProvinceCode),
                F::Address(A::Phone),
                F::ChannelIds,
                F::CustomerGroupId,
            ]
        );
    }
}
