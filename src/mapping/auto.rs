//! Header auto-mapping: when no preset fits and no mapping file is given,
//! columns are matched to canonical fields by their names alone — compared
//! case-, space-, underscore- and punctuation-insensitively against a table
//! of synonyms — never by guessing from their values (a column named
//! "password" holding email-like text is not an email).

use super::Source;
use super::field::{AddressField as A, Field as F};

/// Synonyms per canonical field, already normalised (lower-case letters and
/// digits only). Order of fields decides nothing; order of columns does.
const SYNONYMS: &[(F, &[&str])] = &[
    (
        F::Email,
        &["email", "emailaddress", "mail", "emailid", "customeremail"],
    ),
    (
        F::FirstName,
        &["firstname", "givenname", "forename", "first"],
    ),
    (F::LastName, &["lastname", "surname", "familyname", "last"]),
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
        ],
    ),
    (
        F::Address(A::Address2),
        &["address2", "addressline2", "street2"],
    ),
    (F::Address(A::City), &["city", "town"]),
    (
        F::Address(A::Province),
        &["state", "province", "region", "county", "stateprovince"],
    ),
    (
        F::Address(A::Zip),
        &["zip", "zipcode", "postalcode", "postcode"],
    ),
    (
        F::Address(A::Country),
        &["country", "countrycode", "countryregion", "countryid"],
    ),
    (F::Notes, &["notes", "note", "comments", "comment"]),
    (F::Tags, &["tags", "tag", "labels"]),
    (
        F::AcceptsMarketing,
        &[
            "acceptsmarketing",
            "acceptsemailmarketing",
            "newsletter",
            "marketingoptin",
            "emailoptin",
            "subscribed",
        ],
    ),
];

/// A header name reduced to lower-case letters and digits.
pub fn normalise(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The rules the header's names give: for each field, the first column (in
/// header order) whose name is one of its synonyms. Other candidates for a
/// field are left unmapped, and so listed. Empty when no column names an
/// email, a phone or a name: such a file needs a mapping file.
pub fn infer(columns: &[String]) -> Vec<(F, Source)> {
    let mut rules: Vec<(F, Source)> = Vec::new();
    for column in columns {
        let key = normalise(column);
        let Some((field, _)) = SYNONYMS.iter().find(|(field, names)| {
            names.contains(&key.as_str()) && !rules.iter().any(|(f, _)| f == field)
        }) else {
            continue;
        };
        let source = if *field == F::Tags {
            Source::Split {
                column: column.clone(),
                separator: ",".into(),
            }
        } else {
            Source::Column(column.clone())
        };
        rules.push((*field, source));
    }
    let identifies = rules.iter().any(|(f, _)| {
        matches!(
            f,
            F::Email | F::Phone | F::Name | F::FirstName | F::LastName
        )
    });
    if identifies { rules } else { Vec::new() }
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
    fn a_column_is_never_mapped_by_its_values_only_its_name() {
        assert!(infer(&cols(&["password", "colour"])).is_empty());
    }
}
