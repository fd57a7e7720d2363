//! JSON field checks the three platforms' rules are written with: presence,
//! type, length in characters, unknown fields. Each check appends a
//! [`Problem`] naming the field's path (spelled by the caller, in the
//! platform's own style) and returns the value when it is usable.

use serde_json::{Map, Value};

/// A JSON object.
pub(crate) type Obj = Map<String, Value>;

/// One thing wrong with a request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// Where, e.g. `0.addresses.1.city` or `shippingAddress.zip`.
    pub path: String,
    /// What, as a sentence fragment following the path.
    pub message: String,
}

/// Whether a field must be there, and whether `null` stands for absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    /// Absent or null is a problem.
    Required,
    /// May be absent; `null` is a problem (the type says string, not null).
    Optional,
    /// May be absent or null.
    Nullable,
}

/// Collects problems.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    pub list: Vec<Problem>,
}

impl Problems {
    /// Adds a problem at `path`.
    pub(crate) fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.list.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    /// True when nothing was found.
    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// "path message; path message" — for platforms with one message.
    pub(crate) fn sentence(&self) -> String {
        self.list
            .iter()
            .map(|p| format!("{} {}", p.path, p.message))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Fetches `key` under `need`: `None` when absent (or an allowed null),
    /// with a problem when it had to be there.
    fn present<'a>(
        &mut self,
        obj: &'a Obj,
        key: &str,
        path: &str,
        need: Need,
    ) -> Option<&'a Value> {
        match obj.get(key) {
            None | Some(Value::Null) if need == Need::Required => {
                self.add(path, "is required");
                None
            }
            None => None,
            Some(Value::Null) if need == Need::Nullable => None,
            Some(v) => Some(v),
        }
    }

    /// A string of `min..=max` characters; a required one must not be blank.
    pub(crate) fn string<'a>(
        &mut self,
        obj: &'a Obj,
        key: &str,
        path: &str,
        need: Need,
        min: usize,
        max: usize,
    ) -> Option<&'a str> {
        let v = self.present(obj, key, path, need)?;
        let Some(s) = v.as_str() else {
            self.add(path, format!("must be a string, not {}", kind(v)));
            return None;
        };
        if need == Need::Required && s.trim().is_empty() {
            self.add(path, "is required and must not be blank");
            return None;
        }
        let n = s.chars().count();
        if n < min || n > max {
            if min == 0 {
                self.add(path, format!("must be at most {max} characters (got {n})"));
            } else {
                self.add(
                    path,
                    format!("must be between {min} and {max} characters (got {n})"),
                );
            }
            return None;
        }
        Some(s)
    }

    /// A whole number.
    pub(crate) fn integer(&mut self, obj: &Obj, key: &str, path: &str, need: Need) -> Option<i64> {
        let v = self.present(obj, key, path, need)?;
        match v.as_i64() {
            Some(n) => Some(n),
            None => {
                self.add(path, format!("must be an integer, not {}", kind(v)));
                None
            }
        }
    }

    /// A boolean.
    pub(crate) fn boolean(&mut self, obj: &Obj, key: &str, path: &str, need: Need) -> Option<bool> {
        let v = self.present(obj, key, path, need)?;
        match v.as_bool() {
            Some(b) => Some(b),
            None => {
                self.add(path, format!("must be true or false, not {}", kind(v)));
                None
            }
        }
    }

    /// An array of at most `max` items.
    pub(crate) fn array<'a>(
        &mut self,
        obj: &'a Obj,
        key: &str,
        path: &str,
        need: Need,
        max: usize,
    ) -> Option<&'a Vec<Value>> {
        let v = self.present(obj, key, path, need)?;
        let Some(a) = v.as_array() else {
            self.add(path, format!("must be an array, not {}", kind(v)));
            return None;
        };
        if a.len() > max {
            self.add(
                path,
                format!("must hold at most {max} items (got {})", a.len()),
            );
            return None;
        }
        Some(a)
    }

    /// An object.
    pub(crate) fn object<'a>(
        &mut self,
        obj: &'a Obj,
        key: &str,
        path: &str,
        need: Need,
    ) -> Option<&'a Obj> {
        let v = self.present(obj, key, path, need)?;
        match v.as_object() {
            Some(o) => Some(o),
            None => {
                self.add(path, format!("must be an object, not {}", kind(v)));
                None
            }
        }
    }

    /// An array whose items are all strings.
    pub(crate) fn strings(&mut self, obj: &Obj, key: &str, path: &str, need: Need, max: usize) {
        if let Some(items) = self.array(obj, key, path, need, max)
            && items.iter().any(|v| !v.is_string())
        {
            self.add(path, "must be an array of strings");
        }
    }

    /// A problem for every key of `obj` not in `allowed`; `path_of` spells its path.
    pub(crate) fn unknown(
        &mut self,
        obj: &Obj,
        allowed: &[&str],
        path_of: impl Fn(&str) -> String,
    ) {
        for key in obj.keys() {
            if !allowed.contains(&key.as_str()) {
                self.add(path_of(key), "is not a known field");
            }
        }
    }
}

/// The JSON type of `v`, for messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The string at `key`, when it is a non-blank string.
pub(crate) fn text<'a>(obj: &'a Obj, key: &str) -> Option<&'a str> {
    obj.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// Case-insensitive substring test.
pub(crate) fn contains_ci(haystack: &str, needle_lower: &str) -> bool {
    haystack.to_lowercase().contains(needle_lower)
}

/// The pairs of a query string, percent-decoded.
pub(crate) fn query_pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A positive whole-number query parameter with a default, within `1..=max`.
pub(crate) fn page_param(
    pairs: &[(String, String)],
    key: &str,
    default: u64,
    max: u64,
) -> Result<u64, String> {
    match pairs.iter().rev().find(|(k, _)| k == key) {
        None => Ok(default),
        Some((_, v)) => match v.trim().parse::<u64>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(format!(
                "{key} must be a whole number from 1 to {max}, got '{v}'"
            )),
        },
    }
}

/// The items of `all` on `page` (1-based) of `limit`, and the page count.
pub(crate) fn paginate<T: Clone>(all: &[T], page: u64, limit: u64) -> (Vec<T>, u64) {
    let total = all.len() as u64;
    let pages = total.div_ceil(limit);
    let start = page.saturating_sub(1).saturating_mul(limit);
    let items = all
        .iter()
        .skip(usize::try_from(start).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .cloned()
        .collect();
    (items, pages)
}
