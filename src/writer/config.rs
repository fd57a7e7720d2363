//! How the writer behaves, built once from the command line: where to send,
//! how many requests in flight, how long to wait and retry, and what to do
//! with records whose request may have been applied.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::platform::Endpoint;

use super::retry::RetryPolicy;

/// What to do with records sent without a clear answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum InDoubtPolicy {
    /// Look them up on the platform; found → created, not found → send.
    Lookup,
    /// Send them again (safe where emails are unique: a duplicate is `exists`).
    Resend,
    /// Leave them in doubt and list them for a person to check.
    Skip,
}

/// How the writer behaves; built once from the command line.
#[derive(Debug, Clone)]
pub struct WriterConfig {
    /// Where to send, with credentials.
    pub endpoint: Endpoint,
    /// Requests in flight when the run starts.
    pub concurrency: usize,
    /// Requests in flight at most: the run adapts between 1 and this to
    /// round-trip times and retries (see `writer::concurrency`); equal to
    /// `concurrency`, it only ever goes down from there and back.
    pub max_concurrency: usize,
    /// Timeout of one request, answer included.
    pub timeout: Duration,
    /// Retries of one batch after its first try.
    pub max_retries: u32,
    /// What to do with records whose request may have been applied.
    pub in_doubt: InDoubtPolicy,
    /// Stop the run when the platform has answered nothing but server
    /// errors or connection failures for this long.
    pub give_up_after: Duration,
    /// First backoff delay (doubling, with jitter, up to `max_backoff`).
    pub min_backoff: Duration,
    /// Longest backoff delay.
    pub max_backoff: Duration,
    /// Records per request: the platform's batch size for customers, 1 for
    /// orders.
    pub batch_size: usize,
    /// After a send without an answer where a resend may create a second
    /// record, how long after the send a lookup must run for "not found"
    /// to count (`--settle-delay`).
    pub settle_delay: Duration,
    /// The longest wait a platform may ask for; longer stops the run
    /// (`--max-wait`).
    pub max_wait: Duration,
}

impl WriterConfig {
    /// The retry settings of one request (a send or a lookup).
    pub fn retry(&self) -> RetryPolicy {
        RetryPolicy {
            timeout: self.timeout,
            max_retries: self.max_retries,
            min_backoff: self.min_backoff,
            max_backoff: self.max_backoff,
        }
    }
}
