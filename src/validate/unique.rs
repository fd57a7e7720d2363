//! The whole-file rule: one customer per email (or, on bitbybit, per phone
//! when there is no email). Memory is one 64-bit hash and one line number
//! per key, 12 bytes, whatever the size of the rows, kept in a table that
//! grows with its keys rather than by doubling (issue 18: at most 16 bytes
//! of peak memory per added row).

use std::collections::HashMap;
use std::hash::BuildHasher;

use crate::findings::Findings;
use crate::model::Customer;
use crate::platform::Platform;
use crate::values::phone_key;

/// One key seen: its hash and the line it was first seen on. Packed to 12
/// bytes (a `u64` beside a `u32` would take 16 with padding).
#[derive(Clone, Copy)]
#[repr(C, packed(4))]
struct Entry {
    /// The key's 64-bit hash.
    hash: u64,
    /// The line it was first seen on; [`FAR_LINE`] when that line does not
    /// fit, and `far_lines` holds it.
    line: u32,
}

/// Marks an entry whose first line is past `u32::MAX - 1` (a file of more
/// than four billion lines): its line is in `SeenKeys::far_lines`.
const FAR_LINE: u32 = u32::MAX;

/// Buckets the table starts with, as a power of two: 256 empty buckets
/// cost 6 KB.
const START_DEPTH: u32 = 8;
/// Keys per bucket, on average, past which every bucket is split in two:
/// a bucket then holds 32–64 keys on average (under 800 bytes), so finding
/// a key is a short binary search and an insertion moves a few hundred
/// bytes at most.
const SPLIT_AT: usize = 64;
/// The deepest the table goes: 2^40 buckets are far beyond any file.
const MAX_DEPTH: u32 = 40;

/// Remembers the first line each identity key was seen on.
///
/// Keys are stored as 64-bit hashes: two different emails share a hash with
/// odds of about 1 in 10^10 for a million rows, and the cost of such a clash
/// is one extra duplicate report, never a lost record.
///
/// The hashes are split by their top bits into buckets, each a vector kept
/// sorted by hash and grown by an eighth when full. A hash table that
/// doubles holds between 1.1 and 2.3 buckets of 17 bytes per key, and the
/// old table beside the new one while it grows (~51 bytes per key measured
/// from 1M to 2M rows); these buckets hold 12 bytes per key plus the
/// allocator's rounding, and grow one small vector at a time. When the
/// buckets hold more than [`SPLIT_AT`] keys on average, each is split in two
/// by the next bit of the hash (its sorted order makes that a cut, not a
/// rehash), one bucket at a time.
pub struct SeenKeys {
    /// Bucket `i` holds the hashes whose top `depth` bits are `i`, sorted.
    buckets: Vec<Vec<Entry>>,
    /// How many top bits of a hash choose its bucket.
    depth: u32,
    /// Keys held.
    len: usize,
    /// First lines that do not fit an entry's `u32`, by hash.
    far_lines: HashMap<u64, u64>,
}

impl Default for SeenKeys {
    fn default() -> Self {
        Self::new()
    }
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

impl SeenKeys {
    /// An empty set.
    pub fn new() -> Self {
        SeenKeys {
            buckets: (0..1usize << START_DEPTH).map(|_| Vec::new()).collect(),
            depth: START_DEPTH,
            len: 0,
            far_lines: HashMap::new(),
        }
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
        if let Some(first) = self.first_line(key.hash, f.line()) {
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
    }

    /// The line `hash` was first seen on; `None`, and `line` remembered as
    /// its first, when it is new.
    fn first_line(&mut self, hash: u64, line: u64) -> Option<u64> {
        let depth = self.depth;
        let bucket = &mut self.buckets[bucket_of(hash, depth)];
        match bucket.binary_search_by_key(&hash, |e| e.hash) {
            Ok(i) => {
                let first = bucket[i].line;
                if first == FAR_LINE {
                    // Every FAR_LINE entry has its line in far_lines (set
                    // below, with the entry); 0 only if that broke.
                    return Some(self.far_lines.get(&hash).copied().unwrap_or_default());
                }
                Some(u64::from(first))
            }
            Err(i) => {
                if bucket.len() == bucket.capacity() {
                    // An eighth more: a bucket holds 12 bytes a key plus
                    // little slack (not the half a doubling vector wastes).
                    bucket.reserve_exact(bucket.len() / 8 + 2);
                }
                let short = u32::try_from(line).ok().filter(|&l| l != FAR_LINE);
                bucket.insert(
                    i,
                    Entry {
                        hash,
                        line: short.unwrap_or(FAR_LINE),
                    },
                );
                if short.is_none() {
                    self.far_lines.insert(hash, line);
                }
                self.len += 1;
                if self.len > self.buckets.len() * SPLIT_AT && self.depth < MAX_DEPTH {
                    self.split();
                }
                None
            }
        }
    }

    /// Doubles the buckets: each is cut in two by the next bit of its
    /// hashes, one bucket at a time, so memory never holds two tables.
    fn split(&mut self) {
        let bit = 1u64 << (63 - self.depth);
        let old = std::mem::take(&mut self.buckets);
        let mut buckets = Vec::with_capacity(old.len() * 2);
        for mut low in old {
            // Sorted by hash and sharing the top `depth` bits: the hashes
            // with the next bit clear come first.
            let cut = low.partition_point(|e| e.hash & bit == 0);
            let high = low[cut..].to_vec();
            low.truncate(cut);
            low.shrink_to_fit();
            buckets.push(low);
            buckets.push(high);
        }
        self.buckets = buckets;
        self.depth += 1;
    }

    /// How many distinct keys have been seen.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no key has been seen.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The bucket of `hash` in a table of `2^depth` buckets: its top bits.
fn bucket_of(hash: u64, depth: u32) -> usize {
    // depth is 8..=40, so the shift is in range and the result fits a usize
    // on 64-bit targets; on 32-bit ones the table stops at 2^31 buckets of
    // address space long before.
    (hash >> (64 - depth)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spreads `n` over 64 bits (SplitMix64's finaliser), as a hash would.
    fn mix(n: u64) -> u64 {
        let mut z = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    #[test]
    fn every_key_keeps_its_first_line_across_many_splits() {
        let mut seen = SeenKeys::new();
        let n = 100_000u64;
        for i in 0..n {
            assert_eq!(seen.first_line(mix(i), i + 2), None, "key {i} is new");
        }
        assert_eq!(seen.len(), n as usize);
        assert!(seen.depth > START_DEPTH, "the table split as it grew");
        for i in (0..n).rev() {
            assert_eq!(seen.first_line(mix(i), 999_999_999), Some(i + 2), "key {i}");
        }
        assert_eq!(seen.len(), n as usize, "a key seen again is not added");
        for bucket in &seen.buckets {
            assert!(bucket.windows(2).all(|w| { w[0].hash } < { w[1].hash }));
        }
    }

    #[test]
    fn hashes_sharing_their_top_bits_stay_apart() {
        let mut seen = SeenKeys::new();
        // All in one bucket at every depth the table reaches here.
        for i in 0..5_000u64 {
            assert_eq!(seen.first_line(i, i + 1), None);
        }
        for i in 0..5_000u64 {
            assert_eq!(seen.first_line(i, 0), Some(i + 1));
        }
        assert_eq!(seen.first_line(u64::MAX, 7), None);
        assert_eq!(seen.first_line(u64::MAX, 8), Some(7));
    }

    #[test]
    fn a_first_line_past_four_billion_is_kept_whole() {
        let mut seen = SeenKeys::new();
        let far = u64::from(u32::MAX) + 5;
        assert_eq!(seen.first_line(42, far), None);
        assert_eq!(seen.first_line(43, u64::from(u32::MAX)), None);
        assert_eq!(seen.first_line(42, 1), Some(far));
        assert_eq!(seen.first_line(43, 1), Some(u64::from(u32::MAX)));
    }

    #[test]
    fn a_duplicate_email_names_the_first_line() {
        let key = Identity {
            hash: 7,
            by_email: true,
            shown: None,
        };
        let mut seen = SeenKeys::new();
        let mut f = Findings::new(1, 3);
        seen.check_key(&key, "ann@example.com", &mut f);
        assert!(f.items.is_empty());
        let mut f = Findings::new(2, 9);
        seen.check_key(&key, "ann@example.com", &mut f);
        assert_eq!(f.items.len(), 1);
        assert_eq!(f.items[0].rule, "email.duplicate_in_file");
        assert!(
            f.items[0].text.contains("already appears on line 3"),
            "{}",
            f.items[0].text
        );
    }
}
