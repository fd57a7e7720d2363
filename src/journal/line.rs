//! One journal line into state changes: the fast path for the canonical
//! `sent` and `created` lines (`fast.rs`), else serde, which
//! checks every field and names the line and the field it refuses.

use std::path::Path;

use serde::Deserialize;

use super::JournalError;
use super::entry::{Entry, LStr, Reason, Stage, VERSION, ms_time};
use super::fast;
use super::ops::{Batch, Op};
use super::state::RecordState;

/// Why a line was refused.
pub(super) enum Bad {
    /// Not JSON: torn if it is the very last line, corrupt otherwise.
    Syntax(serde_json::Error),
    /// Any other problem: always an error.
    Line(JournalError),
}

/// Turns one line into ops, checking it; knows its line number.
pub(super) struct LineParser<'p> {
    /// The journal, for error messages.
    pub(super) path: &'p Path,
    /// The 1-based number of the line being parsed.
    pub(super) line_no: u64,
}

/// A required field of a line, or the problem naming it.
fn need<T>(v: Option<T>, ty: &str, field: &str) -> Result<T, String> {
    v.ok_or_else(|| format!("a {ty:?} line without {field:?}"))
}

/// serde_json's message without its "at line 1 column N" (every line is
/// parsed alone), with the column kept.
pub(super) fn json_problem(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match text.strip_suffix(&suffix) {
        Some(message) if e.column() > 0 => format!("{message} (column {})", e.column()),
        Some(message) => message.to_owned(),
        None => text,
    }
}

/// An owned copy of an optional borrowed string.
fn owned(s: Option<LStr<'_>>) -> Option<String> {
    s.map(|s| s.0.into_owned())
}

impl LineParser<'_> {
    /// The error naming this line and `problem`.
    pub(super) fn corrupt(&self, problem: String) -> JournalError {
        JournalError::Corrupt {
            path: self.path.to_path_buf(),
            line: self.line_no,
            problem,
        }
    }

    /// Turns the line `body` (without its newline) into ops in `b`: the
    /// fast path when it takes the line, else serde.
    pub(super) fn parse(&self, body: &[u8], b: &mut Batch) -> Result<(), Bad> {
        // Line 1 must be a header, which the fast path never accepts.
        if self.line_no > 1 && fast::line(body, b).is_some() {
            return Ok(());
        }
        self.slow(body, b)
    }

    /// Any line, through serde.
    fn slow(&self, body: &[u8], b: &mut Batch) -> Result<(), Bad> {
        let raw = match serde_json::from_slice::<RawLine>(body) {
            Ok(raw) => raw,
            Err(e) if e.is_syntax() || e.is_eof() => return Err(Bad::Syntax(e)),
            Err(e) => return Err(Bad::Line(self.corrupt(json_problem(&e)))),
        };
        let ty: &str = &raw.ty;
        if self.line_no == 1 && ty != "header" {
            return Err(Bad::Line(JournalError::NotHeader {
                path: self.path.to_path_buf(),
                found: ty.to_owned(),
            }));
        }
        let result = match ty {
            "header" => self.header(raw.version, body, b),
            "end" => {
                b.ops.push(Op::End);
                Ok(())
            }
            "sent" => self.sent(raw, b),
            "created" | "exists" | "rejected" | "failed" | "in_doubt" | "updated" | "unchanged" => {
                self.outcome(raw, b)
            }
            _ => {
                return Err(Bad::Line(JournalError::UnknownType {
                    path: self.path.to_path_buf(),
                    line: self.line_no,
                    found: ty.to_owned(),
                }));
            }
        };
        result.map_err(Bad::Line)
    }

    fn header(&self, version: Option<u64>, body: &[u8], b: &mut Batch) -> Result<(), JournalError> {
        let version = need(version, "header", "version").map_err(|p| self.corrupt(p))?;
        if version > u64::from(VERSION) {
            return Err(JournalError::NewerVersion {
                path: self.path.to_path_buf(),
                line: self.line_no,
                version,
            });
        }
        if version == 0 {
            return Err(self.corrupt("header version 0 does not exist".into()));
        }
        match serde_json::from_slice::<Entry>(body) {
            Ok(Entry::Header(h)) => {
                b.ops.push(Op::Header(Box::new(h)));
                Ok(())
            }
            Ok(_) => Err(self.corrupt("not a header".into())),
            Err(e) => Err(self.corrupt(json_problem(&e))),
        }
    }

    fn sent(&self, raw: RawLine<'_>, b: &mut Batch) -> Result<(), JournalError> {
        let checked = || -> Result<_, String> {
            let at = ms_time::parse(&need(raw.at, "sent", "at")?)?;
            let batch = need(raw.batch, "sent", "batch")?;
            Ok((at, batch, need(raw.records, "sent", "records")?))
        };
        let (at, batch, records) = checked().map_err(|p| self.corrupt(p))?;
        for r in records {
            let state = RecordState::Sent {
                at,
                record: r.record,
                line: r.line,
                batch,
            };
            let key = b.key(&r.key);
            b.ops.push(Op::Set(key, state));
        }
        Ok(())
    }

    fn outcome(&self, raw: RawLine<'_>, b: &mut Batch) -> Result<(), JournalError> {
        let checked = || -> Result<Op, String> {
            let ty: &str = &raw.ty;
            let key = b.key(&need(raw.key, ty, "key")?);
            let record = need(raw.record, ty, "record")?;
            let line = need(raw.line, ty, "line")?;
            let state = match ty {
                "created" => RecordState::Created {
                    id: need(raw.id, ty, "id")?.0.into_owned(),
                    email: owned(raw.email),
                    phone: owned(raw.phone),
                    record,
                    line,
                },
                "exists" => {
                    need(raw.reason.as_ref(), ty, "reason")?;
                    RecordState::Exists {
                        id: owned(raw.id),
                        record,
                        line,
                    }
                }
                "rejected" => RecordState::Rejected {
                    email: owned(raw.email),
                    phone: owned(raw.phone),
                    stage: need(raw.stage, ty, "stage")?,
                    reasons: need(raw.reasons, ty, "reasons")?,
                    record,
                    line,
                },
                "updated" => {
                    need(raw.hash.as_ref(), ty, "hash")?;
                    RecordState::Updated {
                        id: need(raw.id, ty, "id")?.0.into_owned(),
                        record,
                        line,
                    }
                }
                "unchanged" => RecordState::Unchanged {
                    id: need(raw.id, ty, "id")?.0.into_owned(),
                    record,
                    line,
                },
                "failed" => RecordState::Failed {
                    reason: need(raw.reason, ty, "reason")?.0.into_owned(),
                    record,
                    line,
                },
                _ => {
                    return Ok(Op::InDoubt {
                        key,
                        reason: need(raw.reason, ty, "reason")?.0.into_owned(),
                        record,
                        line,
                    });
                }
            };
            Ok(Op::Set(key, state))
        };
        let op = checked().map_err(|p| self.corrupt(p))?;
        b.ops.push(op);
        Ok(())
    }
}

/// One line, every entry type's fields flattened, strings borrowed: the fast
/// path. Unknown fields (header and end payloads) are skipped unparsed.
#[derive(Deserialize)]
struct RawLine<'a> {
    #[serde(rename = "type", borrow)]
    ty: LStr<'a>,
    #[serde(borrow)]
    key: Option<LStr<'a>>,
    record: Option<u64>,
    line: Option<u64>,
    #[serde(borrow)]
    id: Option<LStr<'a>>,
    #[serde(borrow)]
    email: Option<LStr<'a>>,
    #[serde(borrow)]
    phone: Option<LStr<'a>>,
    #[serde(borrow)]
    reason: Option<LStr<'a>>,
    #[serde(borrow)]
    hash: Option<LStr<'a>>,
    stage: Option<Stage>,
    reasons: Option<Vec<Reason>>,
    batch: Option<u64>,
    #[serde(borrow)]
    at: Option<LStr<'a>>,
    #[serde(borrow)]
    records: Option<Vec<RawSent<'a>>>,
    version: Option<u64>,
}

/// One record of a `sent` line, borrowed.
#[derive(Deserialize)]
struct RawSent<'a> {
    #[serde(borrow)]
    key: LStr<'a>,
    record: u64,
    line: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::test_support::*;

    fn lp() -> LineParser<'static> {
        LineParser {
            path: Path::new("mem.jsonl"),
            line_no: 2,
        }
    }

    fn slow_ops(line: &str) -> Batch {
        let mut b = Batch::default();
        if lp().slow(line.as_bytes(), &mut b).is_err() {
            panic!("serde refused {line}");
        }
        b
    }

    #[test]
    fn the_fast_path_reads_canonical_lines_exactly_as_serde_does() {
        let lines = [
            serde_json::to_string(&sent(3, 1_700_000_000_001, &["a@x.com", "b@x.com"], 40))
                .unwrap(),
            serde_json::to_string(&sent(4, 1_700_000_000_001, &[], 0)).unwrap(),
            serde_json::to_string(&created("a@x.com", 40, "9001")).unwrap(),
            serde_json::to_string(&sample_entries()[2]).unwrap(),
            r#"{"type":"created","key":"é€","record":18446744073709551,"line":0,"id":"x"}"#.into(),
            r#"{"type":"created","key":"","record":1,"line":2,"id":"","phone":"+1"}"#.into(),
            r#"{"type":"created","key":"a","record":1,"line":2,"id":"7","hash":"00ff"}"#.into(),
        ];
        for line in &lines {
            let mut fast_ops = Batch::default();
            assert!(
                fast::line(line.as_bytes(), &mut fast_ops).is_some(),
                "fast path takes {line}"
            );
            assert_eq!(fast_ops, slow_ops(line), "{line}");
        }
    }

    #[test]
    fn an_updated_line_without_its_hash_or_id_is_refused_naming_the_field() {
        for (line, field) in [
            (
                r#"{"type":"updated","key":"a","record":1,"line":2,"id":"7"}"#,
                "hash",
            ),
            (
                r#"{"type":"updated","key":"a","record":1,"line":2,"hash":"00"}"#,
                "id",
            ),
            (
                r#"{"type":"unchanged","key":"a","record":1,"line":2}"#,
                "id",
            ),
        ] {
            let mut b = Batch::default();
            let Err(Bad::Line(e)) = lp().slow(line.as_bytes(), &mut b) else {
                panic!("refused: {line}")
            };
            assert!(e.to_string().contains(&format!("{field:?}")), "{e}");
        }
    }

    #[test]
    fn the_fast_path_leaves_every_unusual_line_to_serde() {
        let lines = [
            r#"{"type":"created","key":"a\"b","record":1,"line":2,"id":"1"}"#, // escape
            r#"{"type":"created","key":"a","record":1,"line":2,"id":"1"} "#,   // trailing space
            r#"{"type":"created", "key":"a","record":1,"line":2,"id":"1"}"#,   // inner space
            r#"{"type":"created","key":"a","line":2,"record":1,"id":"1"}"#,    // field order
            r#"{"type":"created","key":"a","record":1,"line":2,"id":"1","x":1}"#, // extra field
            r#"{"type":"created","key":"a","record":18446744073709551615,"line":2,"id":"1"}"#, // 20 digits
            r#"{"type":"sent","batch":1,"at":"2023-11-14T22:13:20+01:00","records":[{"key":"a","record":1,"line":2}],"x":0}"#,
            r#"{"type":"failed","key":"a","record":1,"line":2,"reason":"r"}"#, // not a fast type
        ];
        for line in lines {
            let mut b = Batch::default();
            assert!(fast::line(line.as_bytes(), &mut b).is_none(), "{line}");
            assert_eq!(b, Batch::default(), "nothing half-parsed is kept: {line}");
            assert!(!slow_ops(line).ops.is_empty(), "{line}");
        }
    }
}
