//! storeload moves customer lists (and, for bitbybit, orders) from CSV or
//! JSONL files into commerce platforms' REST APIs.
//!
//! # Layout
//! Data flows down this list; no stage reaches back up.
//! - [`error`]: the CLI's error type and its exit codes.
//! - [`model`]: the canonical `Customer` every input is mapped to.
//! - [`values`]: value checks and normalisers shared by rules and sandbox
//!   (email syntax, countries, phones).
//! - [`read`]: streams raw records from CSV or JSONL, gzip or plain, path or
//!   stdin, each with its record number, line and byte offset.
//! - [`mapping`]: turns a raw record into a `Customer` through a preset or a
//!   user's mapping file.
//! - [`validate`]: violations and warnings, the in-file uniqueness check and
//!   the parallel, in-order dry-run pipeline.
//! - [`order`]: orders for bitbybit: grouping rows into orders, their
//!   mapping, SKU and customer linking, rules and pipeline.
//! - [`platform`]: one file per platform: its rules, batch size, request
//!   shape, response classification and quota.
//! - [`report`]: the dry-run result: terminal, JSON, rejects CSV, HTML.
//! - [`plan`]: an import's plan: a dry pass counting what would be sent.
//! - [`journal`]: the append-only checkpoint log of an import.
//! - [`writer`]: the rate-limited, retrying, batching HTTP sender.
//! - [`sandbox`]: the local stand-in for the three platforms.
//! - [`cmd`]: one file per command, each with its args and `run`.

pub mod cmd;
pub mod error;
pub mod journal;

pub mod mapping;
pub mod model;
pub mod order;
pub mod plan;
pub mod platform;
pub mod read;
pub mod report;
pub mod sandbox;

pub mod validate;
pub mod values;
pub mod writer;
