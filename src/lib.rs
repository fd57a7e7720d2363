//! storeload moves customer lists (and, for bitbybit, orders) from CSV or
//! JSONL files into commerce platforms' REST APIs.
//!
//! # Layout
//! Data flows down this list; no stage reaches back up.
//! - [`error`]: the CLI's error type and its exit codes.
//! - [`term`]: stderr and stdout that never panic on a closed pipe.
//! - [`model`]: the canonical `Customer` every input is mapped to.
//! - [`values`]: value checks and normalisers shared by rules and sandbox
//!   (email syntax, countries, phones).
//! - [`findings`]: what every stage reports a record's problems in:
//!   severity, violation, the per-record collector, field paths and the
//!   length check; a finding's line is data, shown as `line N: `.
//! - [`read`]: streams raw records from CSV, JSONL or JSON, gzip or plain, path or
//!   stdin, each with its record number, line and byte offset.
//! - [`mapping`]: turns a raw record into a `Customer` through a preset or a
//!   user's mapping file.
//! - [`validate`]: the in-file uniqueness check and the parallel, in-order
//!   dry-run pipeline.
//! - [`order`]: orders for bitbybit: grouping rows into orders, their
//!   mapping, SKU and customer linking, rules and pipeline.
//! - [`platform`]: one file per platform: its rules, batch size, request
//!   shape, response classification and quota.
//! - [`report`]: the dry-run result: terminal, JSON, rejects CSV, HTML.
//! - [`journal`]: the append-only checkpoint log of an import.
//! - [`state`]: the sync state of `--sync --state`: per destination, each
//!   key's platform id and the hash of the record last sent; crash-safe.
//! - [`writer`]: the rate-limited, retrying, batching HTTP sender.
//! - [`sandbox`]: the local stand-in for the three platforms.
//! - [`run`]: the run engine: a plan built from flags and recorded in the
//!   journal, pre-flight, journal opening, the reader feeding the writer,
//!   the summary; and `rejects` and `reconcile`, which read a plan back.
//! - [`cmd`]: one file per command: its flags, parsed into the library's
//!   options, and a call into it; nothing below imports it.

pub mod cmd;
pub mod error;
pub mod findings;
pub mod journal;

pub mod mapping;
pub mod model;
pub mod order;
pub mod platform;
pub mod read;
pub mod report;
pub mod run;
pub mod sandbox;
pub mod state;
pub mod term;

pub mod validate;
pub mod values;
pub mod writer;
