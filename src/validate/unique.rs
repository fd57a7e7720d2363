//! The whole-file rule: one customer per email (or, on bitbybit, per phone
//! when there is no email). Memory is one 64-bit hash and one line number per
//! key, whatever the size of the rows.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher, Hasher};

use crate::model::Customer;
use crate::platform::Platform;
use crate::validate::Findings;
use crate::values::phone_key;

/// Remembers the first line each identity key was seen on.
///
/// Keys are stored as 64-bit hashes: two different emails share a hash with
/// odds of about 1 in 10^10 for a million rows, and the cost of such a clash
/// is one extra duplicate report, never a lost record.
#[derive(Default)]
pub struct SeenKeys {
    first_line: HashMap<u64, u64, BuildHasherDefault<KeyIsHash>>,
    hasher: BuildHasherDefault<DefaultHasher>,
}

/// The map's keys are already SipHash values: hashing them again with
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
        let (field, rule, key, shown) = if let Some(email) = &customer.email {
            // Emails are already lower-cased by mapping: case-insensitive.
            (
                "email",
                "email.duplicate_in_file",
                email.as_str(),
                email.as_str(),
            )
        } else if platform.phone_identifies() {
            match &customer.phone {
                Some(phone) => (
                    "phone",
                    "phone.duplicate_in_file",
                    phone.as_str(),
                    phone.as_str(),
                ),
                None => return,
            }
        } else {
            return;
        };
        let normalised;
        let key = if field == "phone" {
            normalised = phone_key(key);
            normalised.as_str()
        } else {
            key
        };
        if key.is_empty() {
            return;
        }
        let hash = self.hasher.hash_one((field, key));
        match self.first_line.get(&hash) {
            Some(&first) => f.violation(
                field,
                rule,
                format!(
                    "{field} \"{shown}\" already appears on line {first}; the store holds one customer per {field}: merge the rows or remove this one"
                ),
            ),
            None => {
                self.first_line.insert(hash, f.line());
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
