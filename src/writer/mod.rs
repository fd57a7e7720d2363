//! The writer: takes valid records from a bounded channel, groups them into
//! batches of the platform's size, keeps at most `concurrency` requests in
//! flight, paces them with the limiter, journals `sent` (durably) before
//! each request and one outcome per record after it, and retries what is
//! worth retrying with backoff that obeys the server's hints.
//!
//! Layers, outermost first: concurrency → rate limit → retry → timeout → send.
//!
//! # Layout
//! - `config`: how the writer behaves ([`WriterConfig`], [`InDoubtPolicy`]).
//! - `work`: what it carries ([`Work`], [`Payload`]; a record's budget on its way).
//! - `control`: the run's [`Stop`], its live [`Tally`], the wall clock.
//! - `feed`: the channel from the reader, in chunks.
//! - `dispatch`: the loop that batches and keeps requests in flight ([`Writer`]).
//! - `concurrency`: how many in flight, adapted to round-trip times and retries (AIMD).
//! - `send`: one batch until every record has an outcome (the retry state machine).
//! - `retry`: the decisions behind it, without I/O (backoff, waits, budget, give-up).
//! - `settle`: settling records in doubt by lookup ([`Settler`], usable without a writer).
//! - `update`: a sync run's updates by id and their addresses (`--sync`).
//! - `entries`: the journal lines built from outcomes, each in one place.
//! - `link`: what sending and settling share (client, endpoint, pace, journal).
//! - `limit`: the client-side pace; `http`: one request, sent; `progress`: the display.

pub mod concurrency;
mod config;
mod control;
mod dispatch;
mod entries;
pub mod feed;
pub mod http;
pub mod limit;
mod link;
pub mod progress;
mod retry;
mod send;
mod settle;
mod update;
mod work;

pub use self::config::{InDoubtPolicy, WriterConfig};
pub use self::control::{Stop, Tally};
pub use self::dispatch::Writer;
pub use self::link::Link;
pub use self::retry::RetryPolicy;
pub use self::settle::Settler;
pub use self::work::{OrderWork, Payload, SyncWork, Work};
