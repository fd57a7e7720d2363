//! The findings vocabulary every stage reports in: how serious a finding is
//! (`Severity`), one finding (`Violation`), the per-record collector
//! (`Findings`), field paths (`FieldPath`, `Indexed`) and the shared length
//! check (`check_len`, `LenRules`, `len_rules!`).
//!
//! It stands below the stages that report findings (reading, mapping,
//! platform rules, orders, validation) and imports none of them. A finding's
//! line is data (`Violation::line`), never part of its text: a finding moved
//! to another row (an address from a later row) changes one number, and the
//! places people read a finding render the `line N: ` prefix from it
//! (`Violation::message`, `Display`, the JSON report's `message`).

use std::fmt;

use serde::Serialize;
use serde::ser::SerializeStruct;

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
///
/// Shown to a person (`Display`, [`Violation::message`]) and serialised (the
/// JSON report's `message`), it reads `line N: <text>`, rendered from
/// `line`; the serialised keys are `record`, `line`, `field`, `rule`,
/// `message` and `severity`, in that order.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Record number in the input, from 1 (header not counted).
    pub record: u64,
    /// Line of the input the finding is on, from 1.
    pub line: u64,
    /// Canonical field path, e.g. `email` or `addresses[0].city`.
    pub field: String,
    /// Stable rule code, e.g. `email.invalid`.
    pub rule: &'static str,
    /// What is wrong and what to do, naming the value; without the line,
    /// which `line` holds.
    pub text: String,
    /// Violation or warning.
    pub severity: Severity,
}

impl Violation {
    /// The finding as a person reads it: `line N: <text>`.
    pub fn message(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.text)
    }
}

impl Serialize for Violation {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// The rendered message, written without building a `String`.
        struct Shown<'a>(&'a Violation);
        impl Serialize for Shown<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self.0)
            }
        }
        let mut s = serializer.serialize_struct("Violation", 6)?;
        s.serialize_field("record", &self.record)?;
        s.serialize_field("line", &self.line)?;
        s.serialize_field("field", &self.field)?;
        s.serialize_field("rule", self.rule)?;
        s.serialize_field("message", &Shown(self))?;
        s.serialize_field("severity", &self.severity)?;
        s.end()
    }
}

/// Collects the findings for one record; platforms and mappings report into it.
#[derive(Debug)]
pub struct Findings {
    record: u64,
    line: u64,
    /// Everything found so far, in the order it was found.
    pub items: Vec<Violation>,
    /// False when nobody will read a violation's text (a dry run writing no
    /// report file shows counts and lines only): `violation_with` then
    /// leaves it empty and never formats it.
    texts: bool,
}

impl Findings {
    /// A collector for the record numbered `record`, starting on `line`.
    pub fn new(record: u64, line: u64) -> Self {
        Findings {
            record,
            line,
            items: Vec::new(),
            texts: true,
        }
    }

    /// The same collector, writing the texts given lazily or not (see
    /// [`Findings::violation_with`] and [`Findings::warning_with`]); a text
    /// given already written is always kept.
    pub fn keeping_texts(mut self, texts: bool) -> Self {
        self.texts = texts;
        self
    }

    /// Adds a violation whose text is written by `text`, called only when
    /// the text will be read: most violations of a large dry run are only
    /// counted, and formatting each was ~5 % of its CPU (issue 18).
    pub fn violation_with(
        &mut self,
        field: impl Into<String>,
        rule: &'static str,
        text: impl FnOnce() -> String,
    ) {
        self.violation_naming(field.into(), rule, |_| text());
    }

    /// [`Findings::violation_with`] for a text that names the field's path
    /// (`text` is given it, and called only when the text will be read).
    fn violation_naming(
        &mut self,
        field: String,
        rule: &'static str,
        text: impl FnOnce(&str) -> String,
    ) {
        self.push_naming(field, rule, Severity::Violation, text);
    }

    /// The one gate for lazily written texts: `text` is called, given the
    /// field's path, only when this collector keeps texts.
    fn push_naming(
        &mut self,
        field: String,
        rule: &'static str,
        severity: Severity,
        text: impl FnOnce(&str) -> String,
    ) {
        let text = if self.texts {
            text(&field)
        } else {
            String::new()
        };
        self.push_on(self.line, field, rule, text, severity);
    }

    /// Adds a violation: the record will not be sent.
    pub fn violation(&mut self, field: impl Into<String>, rule: &'static str, text: String) {
        self.push_on(self.line, field.into(), rule, text, Severity::Violation);
    }

    /// Adds a warning: the record is still sent, changed as the text says.
    pub fn warning(&mut self, field: impl Into<String>, rule: &'static str, text: String) {
        self.push_on(self.line, field.into(), rule, text, Severity::Warning);
    }

    /// [`Findings::warning`] with its text written only when it will be
    /// read (see [`Findings::violation_with`]).
    pub fn warning_with(
        &mut self,
        field: impl FieldPath,
        rule: &'static str,
        text: impl FnOnce() -> String,
    ) {
        self.push_naming(field.path(), rule, Severity::Warning, |_| text());
    }

    /// Adds a violation found on `line` (a later row of a many-row record).
    pub fn violation_on(
        &mut self,
        line: u64,
        field: impl Into<String>,
        rule: &'static str,
        text: String,
    ) {
        self.push_on(line, field.into(), rule, text, Severity::Violation);
    }

    /// Adds a warning found on `line` (a later row of a many-row record).
    pub fn warning_on(
        &mut self,
        line: u64,
        field: impl Into<String>,
        rule: &'static str,
        text: String,
    ) {
        self.push_on(line, field.into(), rule, text, Severity::Warning);
    }

    fn push_on(
        &mut self,
        line: u64,
        field: String,
        rule: &'static str,
        text: String,
        severity: Severity,
    ) {
        self.items.push(Violation {
            record: self.record,
            line,
            field,
            rule,
            text,
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

    /// Puts each finding about `addresses[i]` on `lines[i]`, the line that
    /// address came from, when it came from a later row than the record's
    /// first (`None`: the record's own line stays).
    pub fn relocate_addresses(&mut self, lines: &[Option<u64>]) {
        for v in &mut self.items {
            if let Some(Some(line)) = address_index(&v.field).and_then(|i| lines.get(i)) {
                v.line = *line;
            }
        }
    }

    /// Turns every warning into a violation (`--strict`).
    pub fn make_strict(&mut self) {
        for v in &mut self.items {
            v.severity = Severity::Violation;
        }
    }
}

/// The `i` of a field path `addresses[i]…`.
fn address_index(field: &str) -> Option<usize> {
    let rest = field.strip_prefix("addresses[")?;
    rest.split(']').next()?.parse().ok()
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
    /// Written piece by piece: `format!` took ten times as long, and a
    /// missing address field is among the commonest findings (issue 18).
    fn path(&self) -> String {
        let mut path = String::with_capacity(self.list.len() + self.name.len() + 6);
        path.push_str(self.list);
        path.push('[');
        match u8::try_from(self.index) {
            Ok(i @ 0..=9) => path.push(char::from(b'0' + i)),
            _ => path.push_str(&self.index.to_string()),
        }
        path.push_str("].");
        path.push_str(self.name);
        path
    }
}

/// Checks a text field's length in characters against `min..=max`,
/// reporting `<field>.required`, `<field>.too_short` or `<field>.too_long`.
///
/// Inlined: it runs for a dozen fields of every record, and nearly all
/// pass, so the passing case is two comparisons at the caller, with no call,
/// no field path built and no character counted; a value that may fail is
/// judged by [`report_len`].
#[inline]
pub fn check_len(
    f: &mut Findings,
    field: impl FieldPath,
    value: Option<&str>,
    min: usize,
    max: usize,
    rules: &LenRules,
) {
    match value {
        None if min == 0 => {}
        // A character is 1 to 4 bytes, so bytes bound the count from above
        // and below: most values pass without counting characters.
        Some(v) if v.len() <= max && v.len().div_ceil(4) >= min => {}
        _ => report_len(f, field, value, min, max, rules),
    }
}

/// The part of [`check_len`] for a value its byte length does not settle:
/// counts the characters and reports what is wrong, if anything.
#[inline(never)]
fn report_len(
    f: &mut Findings,
    field: impl FieldPath,
    value: Option<&str>,
    min: usize,
    max: usize,
    rules: &LenRules,
) {
    let Some(v) = value else {
        // The commonest finding of all: one allocation, no formatting.
        f.violation_naming(field.path(), rules.required, |field| {
            [field, " is required; fill it in or map a column to it"].concat()
        });
        return;
    };
    let n = v.chars().count();
    if n < min {
        f.violation_naming(field.path(), rules.too_short, |field| {
            format!("{field} \"{v}\" is {n} characters; at least {min} are required")
        });
    } else if n > max {
        f.violation_naming(field.path(), rules.too_long, |field| {
            // The first 40 characters, sliced rather than collected.
            let start = v.char_indices().nth(40).map_or(v, |(end, _)| &v[..end]);
            format!(
                "{field} is {n} characters, the limit is {max}; shorten it (starts \"{start}\")"
            )
        });
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
/// `len_rules!("email")` → `email.required`, `email.too_short`, `email.too_long`,
/// as a `&'static LenRules` (a constant, promoted to a static: a check that
/// passes never builds it).
#[macro_export]
macro_rules! len_rules {
    ($field:literal) => {
        &$crate::findings::LenRules {
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

    #[test]
    fn a_finding_keeps_its_line_as_data_and_shows_it_as_a_prefix() {
        let mut f = Findings::new(4, 7);
        f.violation("email", "email.invalid", "email \"x\" is not valid".into());
        let v = &f.items[0];
        assert_eq!((v.record, v.line), (4, 7));
        assert_eq!(v.text, "email \"x\" is not valid");
        assert_eq!(v.message(), "line 7: email \"x\" is not valid");
        assert_eq!(v.to_string(), v.message());
    }

    #[test]
    fn a_collector_not_keeping_texts_counts_the_same_findings_without_writing_them() {
        let check = |f: &mut Findings| {
            f.violation_with("email", "email.invalid", || {
                "email \"x\" is not valid".into()
            });
            check_len(f, "city", None, 1, 10, crate::len_rules!("city"));
            check_len(f, "name", Some("abcdef"), 1, 3, crate::len_rules!("name"));
            check_len(f, "zip", Some(""), 2, 3, crate::len_rules!("zip"));
            f.warning("phone", "phone.changed", "phone was changed".into());
        };
        let mut kept = Findings::new(1, 2);
        check(&mut kept);
        let mut dropped = Findings::new(1, 2).keeping_texts(false);
        check(&mut dropped);
        let shape = |f: &Findings| -> Vec<(String, &str, Severity, u64)> {
            f.items
                .iter()
                .map(|v| (v.field.clone(), v.rule, v.severity, v.line))
                .collect()
        };
        assert_eq!(shape(&kept), shape(&dropped));
        assert_eq!(kept.items.len(), 5);
        assert!(kept.items.iter().all(|v| !v.text.is_empty()));
        let texts: Vec<&str> = dropped.items.iter().map(|v| v.text.as_str()).collect();
        assert_eq!(
            texts,
            ["", "", "", "", "phone was changed"],
            "warnings keep theirs"
        );
        let mut never = Findings::new(1, 2).keeping_texts(false);
        never.violation_with("email", "email.invalid", || {
            unreachable!("the text is not written")
        });
    }

    #[test]
    fn the_json_form_of_a_finding_is_unchanged_by_keeping_the_line_apart() {
        let mut f = Findings::new(2, 3);
        f.warning_on(
            5,
            "addresses[1].city",
            "address.city.blank",
            "a \"quoted\" text".into(),
        );
        let json = serde_json::to_string(&f.items[0]).unwrap();
        assert_eq!(
            json,
            r#"{"record":2,"line":5,"field":"addresses[1].city","rule":"address.city.blank","message":"line 5: a \"quoted\" text","severity":"warning"}"#
        );
    }

    #[test]
    fn relocating_addresses_moves_the_line_of_their_findings_only() {
        let mut f = Findings::new(1, 2);
        f.violation("email", "email.invalid", "bad email".into());
        f.violation(
            "addresses[0].city",
            "address.city.required",
            "no city".into(),
        );
        f.violation(
            "addresses[1].city",
            "address.city.required",
            "no city".into(),
        );
        f.warning("addresses[12].zip", "address.zip.odd", "odd zip".into());
        let mut lines = vec![None; 13];
        lines[1] = Some(5);
        lines[12] = Some(9);
        f.relocate_addresses(&lines);
        let got: Vec<(u64, String)> = f.items.iter().map(|v| (v.line, v.message())).collect();
        assert_eq!(
            got,
            vec![
                (2, "line 2: bad email".to_string()),
                (2, "line 2: no city".to_string()),
                (5, "line 5: no city".to_string()),
                (9, "line 9: odd zip".to_string()),
            ]
        );
    }

    #[test]
    fn relocating_addresses_ignores_fields_that_only_look_like_an_address() {
        let mut f = Findings::new(1, 2);
        f.violation("addresses[x].city", "r.one", "a".into());
        f.violation("addresses", "r.two", "b".into());
        f.violation("addresses[3].city", "r.three", "c".into());
        f.relocate_addresses(&[Some(8)]);
        assert!(f.items.iter().all(|v| v.line == 2), "{:?}", f.items);
    }

    #[test]
    fn strict_makes_every_warning_a_violation() {
        let mut f = Findings::new(1, 2);
        f.warning("name", "name.split", "split".into());
        assert!(!f.has_violation());
        f.make_strict();
        assert!(f.has_violation());
    }

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
