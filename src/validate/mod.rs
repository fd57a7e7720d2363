//! Validation: the violations and warnings a record can carry, the collector
//! platforms report them into, the in-file uniqueness check, and the
//! parallel, in-order pipeline (`pipeline`) that reads, maps and checks.

pub mod pipeline;
pub mod unique;

use serde::Serialize;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Keeps the record from being sent.
    Violation,
    /// Says what storeload changed or left out of a record that is still sent.
    Warning,
}

/// One problem with one record: where, which field, which rule, and a
/// sentence a person can act on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// Record number in the input, from 1 (header not counted).
    pub record: u64,
    /// Line of the input the record starts on, from 1.
    pub line: u64,
    /// Canonical field path, e.g. `email` or `addresses[0].city`.
    pub field: String,
    /// Stable rule code, e.g. `email.invalid`.
    pub rule: &'static str,
    /// What is wrong and what to do, naming the value.
    pub message: String,
    /// Violation or warning.
    pub severity: Severity,
}

/// Collects the findings for one record; platforms and mappings report into it.
#[derive(Debug, Default)]
pub struct Findings {
    record: u64,
    line: u64,
    /// Everything found so far, in the order it was found.
    pub items: Vec<Violation>,
}

impl Findings {
    /// A collector for the record numbered `record`, starting on `line`.
    pub fn new(record: u64, line: u64) -> Self {
        Findings {
            record,
            line,
            items: Vec::new(),
        }
    }

    /// Adds a violation: the record will not be sent.
    pub fn violation(&mut self, field: impl Into<String>, rule: &'static str, message: String) {
        self.push(field.into(), rule, message, Severity::Violation);
    }

    /// Adds a warning: the record is still sent, changed as the message says.
    pub fn warning(&mut self, field: impl Into<String>, rule: &'static str, message: String) {
        self.push(field.into(), rule, message, Severity::Warning);
    }

    /// Adds a violation found on `line` (a later row of a many-row record).
    pub fn violation_on(
        &mut self,
        line: u64,
        field: impl Into<String>,
        rule: &'static str,
        message: String,
    ) {
        self.push_on(line, field.into(), rule, message, Severity::Violation);
    }

    /// Adds a warning found on `line` (a later row of a many-row record).
    pub fn warning_on(
        &mut self,
        line: u64,
        field: impl Into<String>,
        rule: &'static str,
        message: String,
    ) {
        self.push_on(line, field.into(), rule, message, Severity::Warning);
    }

    fn push(&mut self, field: String, rule: &'static str, message: String, severity: Severity) {
        self.push_on(self.line, field, rule, message, severity);
    }

    fn push_on(
        &mut self,
        line: u64,
        field: String,
        rule: &'static str,
        message: String,
        severity: Severity,
    ) {
        self.items.push(Violation {
            record: self.record,
            line,
            field,
            rule,
            message: format!("line {line}: {message}"),
            severity,
        });
    }

    /// The line this collector reports for.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// True when any finding keeps the record from being sent.
    pub fn has_violation(&self) -> bool {
        self.items.iter().any(|v| v.severity == Severity::Violation)
    }

    /// Names the line of each address that came from a later row than the
    /// record's first (`lines[i]` for `addresses[i]`), on the findings about
    /// that address.
    pub fn relocate_addresses(&mut self, lines: &[Option<u64>]) {
        for v in &mut self.items {
            let Some(rest) = v.field.strip_prefix("addresses[") else {
                continue;
            };
            let Some(i) = rest.split(']').next().and_then(|i| i.parse::<usize>().ok()) else {
                continue;
            };
            let Some(Some(line)) = lines.get(i) else {
                continue;
            };
            if let Some(text) = v.message.strip_prefix(&format!("line {}: ", v.line)) {
                v.message = format!("line {line}: {text}");
            }
            v.line = *line;
        }
    }

    /// Turns every warning into a violation (`--strict`).
    pub fn make_strict(&mut self) {
        for v in &mut self.items {
            v.severity = Severity::Violation;
        }
    }
}

/// A field's path in findings, built only when a finding names it: the
/// checks run on every record, the findings on few.
pub trait FieldPath {
    /// The path, e.g. `email` or `addresses[0].city`.
    fn path(&self) -> String;
}

impl FieldPath for &str {
    fn path(&self) -> String {
        (*self).to_string()
    }
}

/// `list[i].name`, e.g. `addresses[0].city`.
#[derive(Debug, Clone, Copy)]
pub struct Indexed<'a> {
    /// The list, e.g. `addresses`.
    pub list: &'a str,
    /// The position in it, from 0.
    pub index: usize,
    /// The field inside the item.
    pub name: &'a str,
}

impl FieldPath for Indexed<'_> {
    fn path(&self) -> String {
        format!("{}[{}].{}", self.list, self.index, self.name)
    }
}

/// Checks a text field's length in characters against `min..=max`,
/// reporting `<field>.required`, `<field>.too_short` or `<field>.too_long`.
pub fn check_len(
    f: &mut Findings,
    field: impl FieldPath,
    value: Option<&str>,
    min: usize,
    max: usize,
    rules: LenRules,
) {
    match value {
        None if min > 0 => {
            let field = field.path();
            f.violation(
                field.as_str(),
                rules.required,
                format!("{field} is required; fill it in or map a column to it"),
            )
        }
        None => {}
        Some(v) => {
            // A character is 1 to 4 bytes, so bytes bound the count from
            // above and below: most values pass without counting characters.
            if v.len() <= max && v.len().div_ceil(4) >= min {
                return;
            }
            let n = v.chars().count();
            if n < min {
                let field = field.path();
                f.violation(
                    field.as_str(),
                    rules.too_short,
                    format!("{field} \"{v}\" is {n} characters; at least {min} are required"),
                );
            } else if n > max {
                let field = field.path();
                f.violation(
                    field.as_str(),
                    rules.too_long,
                    format!(
                        "{field} is {n} characters, the limit is {max}; shorten it (starts \"{}\")",
                        v.chars().take(40).collect::<String>()
                    ),
                );
            }
        }
    }
}

/// The rule codes `check_len` reports for one field.
#[derive(Debug, Clone, Copy)]
pub struct LenRules {
    /// Code when the field is missing.
    pub required: &'static str,
    /// Code when it is shorter than the minimum.
    pub too_short: &'static str,
    /// Code when it is longer than the maximum.
    pub too_long: &'static str,
}

/// Builds the `LenRules` for a field from literal codes, e.g.
/// `len_rules!("email")` → `email.required`, `email.too_short`, `email.too_long`.
#[macro_export]
macro_rules! len_rules {
    ($field:literal) => {
        $crate::validate::LenRules {
            required: concat!($field, ".required"),
            too_short: concat!($field, ".too_short"),
            too_long: concat!($field, ".too_long"),
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The byte-length shortcut never changes a verdict: the rules
        /// reported are those of counting characters.
        #[test]
        fn check_len_agrees_with_counting_characters(
            v in "[a-zé山😀 ]{0,12}",
            min in 0usize..6,
            extra in 0usize..8,
        ) {
            let max = min + extra;
            let mut f = Findings::new(1, 2);
            check_len(&mut f, "name", Some(v.as_str()), min, max, crate::len_rules!("name"));
            let n = v.chars().count();
            let want: Vec<&str> = if n < min {
                vec!["name.too_short"]
            } else if n > max {
                vec!["name.too_long"]
            } else {
                vec![]
            };
            let got: Vec<&str> = f.items.iter().map(|v| v.rule).collect();
            prop_assert_eq!(got, want);
        }
    }
}
