//! What the writer carries: a valid record to send ([`Work`] and its
//! [`Payload`]), and the same record on its way through one batch's sends
//! ([`Pending`]: what it has spent of its retry budget, and what is known of
//! its sends and lookups).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::model::Customer;
use crate::order::{CustomerLink, Order};
use crate::platform::Blanks;

/// One valid record to send.
#[derive(Debug, Clone)]
pub struct Work {
    /// Journal key (normalised email, phone or hash).
    pub key: String,
    /// Record number in the input.
    pub record: u64,
    /// Line the record starts on.
    pub line: u64,
    /// What to create.
    pub payload: Payload,
    /// When it was already sent in an earlier run without an outcome.
    pub sent_before: Option<DateTime<Utc>>,
    /// A sync run's (`--sync`) hash and, for an update, the platform's id;
    /// `None` outside a sync run.
    pub sync: Option<SyncWork>,
}

/// What a sync run (`--sync`) knows of a record it sends: the hash of what
/// an update carries (journaled with its outcome, so that the state can be
/// rebuilt from the journal), the platform's id when it is an update, and
/// what to do with blank fields.
#[derive(Debug, Clone)]
pub struct SyncWork {
    /// The record's hash (`Updates::record_hash`).
    pub hash: [u8; 16],
    /// The platform's id: an update by id; `None` creates.
    pub id: Option<u64>,
    /// The canonical fields a blank clears (those the input maps);
    /// `None` under `--ignore-blank` (a blank keeps the store's value).
    pub clears: Option<Arc<[&'static str]>>,
}

impl SyncWork {
    /// What an update does with blank fields.
    pub fn blanks(&self) -> Blanks<'_> {
        match &self.clears {
            None => Blanks::Keep,
            Some(fields) => Blanks::Clear(fields),
        }
    }
}

/// What one record creates.
// Customers are the common case by far: boxing them to shrink the enum
// would add an allocation per record for the rare order's sake.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Payload {
    /// A customer, batched as the platform allows.
    Customer(Customer),
    /// An order (bitbybit), one per request.
    Order(OrderWork),
}

/// A checked order, ready to send: the platform builds its request from
/// the order and how it names its customer (`Platform::create_order`).
#[derive(Debug, Clone)]
pub struct OrderWork {
    /// The order, checked (SKUs resolved).
    pub order: Order,
    /// How it names its customer.
    pub link: CustomerLink,
}

impl Work {
    /// The customer, when the record is one.
    pub fn customer(&self) -> Option<&Customer> {
        match &self.payload {
            Payload::Customer(c) => Some(c),
            Payload::Order(_) => None,
        }
    }

    /// The email the journal keeps with the outcome (an order's: its
    /// customer's).
    pub fn email(&self) -> Option<String> {
        match &self.payload {
            Payload::Customer(c) => c.email.as_deref().map(String::from),
            Payload::Order(o) => o.order.customer.email.clone(),
        }
    }

    /// The phone the journal keeps with the outcome.
    pub fn phone(&self) -> Option<String> {
        match &self.payload {
            Payload::Customer(c) => c.phone.as_deref().map(String::from),
            Payload::Order(o) => o.order.customer.phone.clone(),
        }
    }
}

/// A record on its way through one batch's sends: what it has spent of its
/// retry budget, and what is known of its sends and lookups.
#[derive(Debug)]
pub(crate) struct Pending {
    /// The record.
    pub(crate) work: Work,
    /// Requests that carried it in this run, whatever sent them (a retry, a
    /// resend after a lookup, a split): at most `1 + --max-retries`.
    pub(crate) tries: u32,
    /// Whether one of its sends may have been applied: in this run, or in
    /// an earlier one where a resend may create a second record.
    pub(crate) doubt: bool,
    /// A send of it got no clear answer (a dropped connection, a timeout, a
    /// 5xx, an answer that leaves it out, or an earlier run's `sent` line
    /// with no outcome after it): an "already there" to a resend may be
    /// that send's doing, which a lookup dates (issue 20).
    pub(crate) answer_lost: bool,
    /// When it was last sent; the settle delay counts from here.
    pub(crate) last_sent: Option<DateTime<Utc>>,
    /// When each lookup since its last send ran, for the journal.
    pub(crate) lookups: Vec<DateTime<Utc>>,
    /// Why it is not settled yet, for the journal when its budget is spent.
    pub(crate) reason: Option<String>,
}

impl Pending {
    /// A record as the reader hands it over; `unique` when the platform
    /// answers a duplicate `exists` (a resend is safe).
    pub(crate) fn new(work: Work, unique: bool) -> Pending {
        Pending {
            doubt: work.sent_before.is_some() && !unique,
            // An earlier run journaled it sent and no answer after.
            answer_lost: work.sent_before.is_some(),
            last_sent: work.sent_before,
            work,
            tries: 0,
            lookups: Vec::new(),
            reason: None,
        }
    }

    /// Marks it in doubt for `reason`, unless it already has a reason.
    pub(crate) fn doubt_for(&mut self, reason: &str) {
        self.doubt = true;
        if self.reason.is_none() {
            self.reason = Some(reason.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_sent_by_an_earlier_run_is_in_doubt_only_where_a_resend_may_duplicate() {
        let work = Work {
            key: "a@x.com".into(),
            record: 1,
            line: 2,
            payload: Payload::Customer(Customer::default()),
            sent_before: Some(Utc::now()),
            sync: None,
        };
        let p = Pending::new(work.clone(), false);
        assert!(p.doubt && p.tries == 0 && p.last_sent == work.sent_before);
        let unique = Pending::new(work.clone(), true);
        assert!(!unique.doubt);
        // Either way its answer was lost: an "already there" is dated.
        assert!(p.answer_lost && unique.answer_lost);
        let fresh = Pending::new(
            Work {
                sent_before: None,
                ..work
            },
            true,
        );
        assert!(!fresh.answer_lost);
    }

    #[test]
    fn a_doubt_keeps_the_first_reason_it_was_given() {
        let work = Work {
            key: "a@x.com".into(),
            record: 1,
            line: 2,
            payload: Payload::Customer(Customer::default()),
            sent_before: None,
            sync: None,
        };
        let mut p = Pending::new(work, true);
        p.reason = Some("500 from the platform".into());
        p.doubt_for("sent by an earlier run without an answer");
        assert!(p.doubt);
        assert_eq!(p.reason.as_deref(), Some("500 from the platform"));
    }
}
