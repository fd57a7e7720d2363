//! The whole-file rule: one customer per email (or, on bitbybit, per phone
//! when there is no email). Memory is one 64-bit hash and one line number per
//! key, whatever the size of the rows.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use crate::findings::Findings;
use crate::model::Customer;
use crate::platform::Platform;
use crate::values::phone_key;

/// Remembers the first line each identity key was seen on.
///
/// Keys are stored as 64-bit hashes: two different emails share a hash with
/// odds of about 1 in 10^10 for a million rows, and the cost of such a clash
/// is one extra duplicate report, never a lost record.
#[derive(Default)]
pub struct SeenKeys {
    first_line: HashMap<u64, u64, BuildHasherDefault<KeyIsHash>>,
}

/// A record's identity key, hashed where the record is checked (in
/// parallel), so the in-order stage only looks the hash up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// 64-bit hash of the field and its normalised value.
    pub hash: u64,
    /// Keyed by email (else by phone).
    pub by_email: bool,
    /// The value as the duplicate message shows it, once the customer it
    /// came from is gone (a lean check moves it here); otherwise it is read
    /// from the customer, so no row pays for a copy.
    pub shown: Option<String>,
}

impl Identity {
    /// The value as the duplicate message shows it: the kept one, else the
    /// customer's email (or phone).
    pub fn value<'a>(&'a self, customer: Option<&'a Customer>) -> &'a str {
        let field = |c: &'a Customer| {
            if self.by_email {
                c.email.as_deref()
            } else {
                c.phone.as_deref()
            }
        };
        self.shown
            .as_deref()
            .or_else(|| customer.and_then(field))
            .unwrap_or_default()
    }

    /// Keeps the shown value, moved out of `customer`, which is about to go.
    pub fn keep_value(&mut self, customer: &mut Customer) {
        let value = if self.by_email {
            customer.email.take()
        } else {
            customer.phone.take()
        };
        self.shown = value;
    }
}

/// The identity key of `customer` on `platform`: its email (lower-cased by
/// mapping, so compared case-insensitively); on bitbybit without an email,
/// its normalised phone; `None` when it has neither that counts.
pub fn identity(platform: &dyn Platform, customer: &Customer) -> Option<Identity> {
    // foldhash's quality variant: a well-mixed 64-bit hash at a fraction of
    // SipHash's cost (no DoS to resist: the keys are the user's own file).
    let hasher = foldhash::quality::FixedState::default();
    if let Some(email) = &customer.email {
        if email.is_empty() {
            return None;
        }
        return Some(Identity {
            hash: hasher.hash_one(("email", email.as_str())),
            by_email: true,
            shown: None,
        });
    }
    if !platform.phone_identifies() {
        return None;
    }
    let phone = customer.phone.as_ref()?;
    let key = phone_key(phone);
    if key.is_empty() {
        return None;
    }
    Some(Identity {
        hash: hasher.hash_one(("phone", key.as_str())),
        by_email: false,
        shown: None,
    })
}

/// The map's keys are already 64-bit hashes: hashing them again with
/// SipHash (the `HashMap` default) only doubled the cost of every lookup.
#[derive(Default)]
struct KeyIsHash(u64);

impl Hasher for KeyIsHash {
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used (keys are `u64`); fold anything else in.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl SeenKeys {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `customer`'s identity key and reports a violation when an
    /// earlier record already had it, naming that record's line.
    pub fn check(&mut self, platform: &dyn Platform, customer: &Customer, f: &mut Findings) {
        if let Some(key) = identity(platform, customer) {
            self.check_key(&key, key.value(Some(customer)), f);
        }
    }

    /// Records an identity key found by [`identity`] (on any thread) and
    /// reports a violation, showing `shown`, when an earlier record already
    /// had it.
    pub fn check_key(&mut self, key: &Identity, shown: &str, f: &mut Findings) {
        match self.first_line.get(&key.hash) {
            Some(&first) => {
                let (field, rule) = if key.by_email {
                    ("email", "email.duplicate_in_file")
                } else {
                    ("phone", "phone.duplicate_in_file")
                };
                f.violation(
                    field,
                    rule,
                    format!(
                        "{field} \"{shown}\" already appears on line {first}; the store holds one customer per {field}: merge the rows or remove this one"
                    ),
                )
            }
            None => {
                self.first_line.insert(key.hash, f.line());
            }
        }
    }

    /// How many distinct keys have been seen.
    pub fn len(&self) -> usize {
        self.first_line.len()
    }

    /// True when no key has been seen.
    pub fn is_empty(&self) -> bool {
        self.first_line.is_empty()
    }
}
