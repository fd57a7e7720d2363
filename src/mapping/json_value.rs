//! JSON input values (a JSONL line, or an element of a JSON document): the
//! parse that notes a key given twice in one object, and the rule of which
//! JSON values a canonical field takes as text.
//!
//! A CSV cell is always text; a JSON value may be a number, a boolean, an
//! array or an object. Numbers and booleans become text only where that is
//! natural (phone, zip, ids, flags); an array or object where text belongs
//! (`"first_name": ["Ann","Bob"]`) is a violation naming the field, and the
//! value is left out rather than joined into "Ann,Bob".

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::{AddressField, Field, Source};
use crate::findings::Findings;

/// What a canonical field takes from a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    /// Text only: a string (names, email, company, notes, address lines).
    Text,
    /// A string, or a number or boolean written as text (phone, zip, ids,
    /// flags).
    Scalar,
    /// A list: a string to split, or an array of strings, numbers or
    /// booleans (tags, channel ids).
    List,
    /// Street lines: a string, or an array of strings.
    Lines,
}

/// What `field`, read through `source`, takes from a JSON input.
pub fn takes(field: Field, source: &Source) -> Takes {
    if matches!(source, Source::Line { .. }) {
        return Takes::Lines;
    }
    match field {
        Field::Tags | Field::ChannelIds => Takes::List,
        Field::Phone
        | Field::AcceptsMarketing
        | Field::CustomerGroupId
        | Field::OriginChannelId
        | Field::Active => Takes::Scalar,
        Field::Address(a) | Field::AddressBlock(_, a) => match a {
            AddressField::Phone | AddressField::Zip => Takes::Scalar,
            _ => Takes::Text,
        },
        Field::Email
        | Field::FirstName
        | Field::LastName
        | Field::Name
        | Field::Company
        | Field::Notes
        | Field::TaxExemptCategory
        | Field::ImageUrl => Takes::Text,
    }
}

/// The kind of a JSON value, as a sentence names it.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Why `value` cannot fill a field that takes `takes`, or `None` when it can
/// (null is an absent value, which every field takes).
pub fn refusal(value: &Value, takes: Takes) -> Option<String> {
    let scalar = |v: &Value| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_));
    match (takes, value) {
        (_, Value::Null | Value::String(_)) => None,
        (Takes::Scalar | Takes::List, Value::Number(_) | Value::Bool(_)) => None,
        (Takes::List, Value::Array(items)) => items
            .iter()
            .find(|v| !scalar(v) && !v.is_null())
            .map(|v| format!("an array holding {} {}", article(kind(v)), kind(v))),
        (Takes::Lines, Value::Array(items)) => items
            .iter()
            .find(|v| !matches!(v, Value::String(_) | Value::Null))
            .map(|v| format!("an array holding {} {}", article(kind(v)), kind(v))),
        (_, v) => Some(format!("{} {}", article(kind(v)), kind(v))),
    }
}

fn article(kind: &str) -> &'static str {
    if kind.starts_with(['a', 'o']) {
        "an"
    } else {
        "a"
    }
}

/// A short rendering of `v` for a message: at most 60 characters.
fn shown(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// Parses one JSON record. A key given twice in one object is a warning
/// naming it (the last value is used); a value that cannot fill the field
/// a rule of `rules` reads it for is a violation naming the field and the
/// key, and the key is taken out of the object, so that nothing of it is
/// sent. A record that is not an object is returned as it is, unjudged.
pub fn parse_record(
    bytes: &[u8],
    rules: &[(Field, Source)],
    f: &mut Findings,
) -> Result<Value, serde_json::Error> {
    let mut duplicates = Vec::new();
    let mut value = parse_noting_duplicates(bytes, &mut duplicates)?;
    for key in duplicates {
        f.warning(
            key.clone(),
            "json.duplicate_key",
            format!(
                "key \"{key}\" appears more than once in this object; the last value was used: keep one"
            ),
        );
    }
    if let Value::Object(map) = &mut value {
        judge_fields(map, rules, f);
    }
    Ok(value)
}

/// Takes out of `map` every value that cannot fill its field, with a
/// violation each.
fn judge_fields(map: &mut Map<String, Value>, rules: &[(Field, Source)], f: &mut Findings) {
    for (field, source) in rules {
        let takes = takes(*field, source);
        for column in source.columns() {
            let Some(value) = map.get(column) else {
                continue;
            };
            let Some(why) = refusal(value, takes) else {
                continue;
            };
            let expected = match takes {
                Takes::Text => "text (a JSON string)",
                Takes::Scalar => "one value (a string, number or boolean)",
                Takes::List => "a string or an array of strings",
                Takes::Lines => "a string or an array of strings",
            };
            f.violation(
                field.name(),
                "json.not_text",
                format!(
                    "\"{column}\" holds {why} ({}), where {} takes {expected}; it was not sent: give one value",
                    shown(value),
                    field.name()
                ),
            );
            map.remove(column);
        }
    }
}

/// Parses `bytes` as one JSON value (nothing may follow it but white
/// space), noting in `duplicates` each key an object holds twice, by its
/// path (`email`, `addresses[0].city`).
pub fn parse_noting_duplicates(
    bytes: &[u8],
    duplicates: &mut Vec<String>,
) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let root = Path::Root;
    let value = ValueSeed {
        path: &root,
        duplicates,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Where a value sits in the record, kept on the stack: rendered only when
/// a duplicate is found.
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Key(Path::Root, k) => write!(f, "{k}"),
            Path::Key(parent, k) => write!(f, "{parent}.{k}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// Builds a `serde_json::Value` as serde_json does, noting duplicate keys.
struct ValueSeed<'p, 'd> {
    path: &'p Path<'p>,
    duplicates: &'d mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        loop {
            let path = Path::Index(self.path, items.len());
            let seed = ValueSeed {
                path: &path,
                duplicates: &mut *self.duplicates,
            };
            match seq.next_element_seed(seed)? {
                Some(v) => items.push(v),
                None => break,
            }
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let path = Path::Key(self.path, &key);
            let value = access.next_value_seed(ValueSeed {
                path: &path,
                duplicates: &mut *self.duplicates,
            })?;
            if map.contains_key(&key) {
                let named = path.to_string();
                if !self.duplicates.contains(&named) {
                    self.duplicates.push(named);
                }
            }
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Value, Vec<String>) {
        let mut dups = Vec::new();
        let v = parse_noting_duplicates(text.as_bytes(), &mut dups).unwrap();
        (v, dups)
    }

    #[test]
    fn parses_like_serde_json() {
        for text in [
            r#"{"a":1,"b":[true,null,-2,1.5,"x"],"c":{"d":"e"},"u":18446744073709551615}"#,
            r#"[1,{"a":[]}]"#,
            r#""\u00e9""#,
        ] {
            let (v, dups) = parse(text);
            assert_eq!(v, serde_json::from_str::<Value>(text).unwrap(), "{text}");
            assert!(dups.is_empty());
        }
    }

    #[test]
    fn duplicate_keys_are_named_by_their_path_and_the_last_value_wins() {
        let (v, dups) =
            parse(r#"{"email":"a@x.com","addresses":[{"city":"A","city":"B"}],"email":"b@x.com"}"#);
        assert_eq!(dups, vec!["addresses[0].city", "email"]);
        assert_eq!(v["email"], "b@x.com");
        assert_eq!(v["addresses"][0]["city"], "B");
    }

    #[test]
    fn trailing_text_and_invalid_json_are_errors() {
        let mut dups = Vec::new();
        assert!(parse_noting_duplicates(b"{} x", &mut dups).is_err());
        assert!(parse_noting_duplicates(b"{\"a\":}", &mut dups).is_err());
    }

    #[test]
    fn text_fields_refuse_arrays_objects_numbers_and_booleans() {
        let t = Takes::Text;
        assert_eq!(refusal(&serde_json::json!("Ann"), t), None);
        assert_eq!(refusal(&Value::Null, t), None);
        assert_eq!(
            refusal(&serde_json::json!(["Ann", "Bob"]), t).as_deref(),
            Some("an array")
        );
        assert_eq!(
            refusal(&serde_json::json!({"a": 1}), t).as_deref(),
            Some("an object")
        );
        assert_eq!(
            refusal(&serde_json::json!(42), t).as_deref(),
            Some("a number")
        );
        assert_eq!(
            refusal(&serde_json::json!(true), t).as_deref(),
            Some("a boolean")
        );
    }

    #[test]
    fn phones_ids_and_flags_take_numbers_and_booleans_but_not_arrays() {
        let s = takes(Field::Phone, &Source::Column("phone".into()));
        assert_eq!(s, Takes::Scalar);
        assert_eq!(refusal(&serde_json::json!(5551234), s), None);
        assert_eq!(refusal(&serde_json::json!(false), s), None);
        assert!(refusal(&serde_json::json!(["1", "2"]), s).is_some());
        let zip = takes(
            Field::Address(AddressField::Zip),
            &Source::Column("zip".into()),
        );
        assert_eq!(zip, Takes::Scalar);
        let city = takes(
            Field::Address(AddressField::City),
            &Source::Column("city".into()),
        );
        assert_eq!(city, Takes::Text);
    }

    #[test]
    fn lists_take_arrays_of_scalars_and_street_lines_arrays_of_strings() {
        let tags = takes(Field::Tags, &Source::Column("tags".into()));
        assert_eq!(refusal(&serde_json::json!(["a", 2, true]), tags), None);
        assert!(refusal(&serde_json::json!(["a", ["b"]]), tags).is_some());
        let street = takes(
            Field::Address(AddressField::Address1),
            &Source::Line {
                column: "street".into(),
                line: 1,
            },
        );
        assert_eq!(street, Takes::Lines);
        assert_eq!(
            refusal(&serde_json::json!(["1 Main St", "Apt 2"]), street),
            None
        );
        assert!(refusal(&serde_json::json!([{"a": 1}]), street).is_some());
    }
}
