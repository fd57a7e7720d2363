//! The whole-file rule: one customer per email (or, on bitbybit, per phone
//! when there is no email). Memory is one 64-bit hash and one line number
//! per key, 10 bytes (the hash's top byte is its bucket's, its low byte in
//! the bucket's tags), whatever the size of the rows, kept in a table that
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

/// An [`Entry`] as a bucket's unit holds it, in 10 bytes: its hash's top
/// byte is the bucket's (`Bucket::top`: every bucket is at least
/// [`START_DEPTH`], 8 bits, deep) and its low byte is the entry's tag in
/// `Bucket::tags`, so only the 48 bits between are kept here.
#[derive(Clone, Copy)]
#[repr(C, packed(2))]
struct Held {
    /// Bits 8-39 of the hash.
    low: u32,
    /// Bits 40-55 of the hash.
    high: u16,
    /// As [`Entry::line`].
    line: u32,
}

/// What a unit's unused room holds.
const NO_ENTRY: Held = Held {
    low: 0,
    high: 0,
    line: 0,
};

/// The hash bits [`Held`] keeps: all but the top byte and the low byte.
const HELD_BITS: u64 = ((1 << 48) - 1) << 8;

impl Held {
    /// `entry`, less its hash's top and low bytes.
    fn of(entry: Entry) -> Held {
        let hash = entry.hash;
        Held {
            low: (hash >> 8) as u32,
            high: (hash >> 40) as u16,
            line: entry.line,
        }
    }

    /// The hash's bits 8-55, in place ([`HELD_BITS`]).
    fn bits(self) -> u64 {
        u64::from(self.low) << 8 | u64::from(self.high) << 40
    }

    /// The whole entry, given its bucket's `top` byte and its `tag`.
    fn entry(self, top: u8, tag: u8) -> Entry {
        Entry {
            hash: u64::from(top) << 56 | self.bits() | u64::from(tag),
            line: self.line,
        }
    }
}

const _: () = assert!(
    std::mem::size_of::<Held>() == 10,
    "a held entry is 10 bytes"
);

/// Marks an entry whose first line is past `u32::MAX - 1` (a file of more
/// than four billion lines): its line is in `SeenKeys::far_lines`.
const FAR_LINE: u32 = u32::MAX;

/// The directory starts with 2^8 slots, one bucket each.
const START_DEPTH: u32 = 8;
/// Entries in a unit (80 bytes).
const UNIT: usize = 8;
/// Units a bucket holds at most; a full bucket is split in two.
const UNITS: usize = 8;
/// Keys a bucket holds at most (64): finding a key reads under 800 bytes,
/// whose addresses are all known at once.
const SPLIT_AT: usize = UNIT * UNITS;
/// Units allocated at once (320 KB), never freed or moved.
const UNITS_PER_CHUNK: usize = 4096;
/// The most top bits of a hash that choose a bucket (the directory is held
/// far below that by its own limit, a slot per four keys).
const MAX_DEPTH: u32 = 40;

/// Remembers the first line each identity key was seen on.
///
/// Keys are stored as 64-bit hashes: two different emails share a hash with
/// odds of about 1 in 4 x 10^7 for a million rows (n^2 / 2^65), and the
/// cost of such a clash is one extra duplicate report, never a lost record.
///
/// Issue 18 asks for at most 16 bytes of peak memory per added row. A hash
/// table that doubles holds between 1.1 and 2.3 slots of 17 bytes per key,
/// and the old table beside the new one while it grows (~51 bytes per key
/// measured from 1M to 2M rows). Here the hashes are split by their top
/// bits into buckets of up to 64 entries of 10 bytes (the hash less its top
/// byte, which is the bucket's, and its low byte, the bucket's tag for the
/// entry, beside the line); a full bucket is split in two by the next bit
/// of its hashes, on its own, so the table grows a bucket at a time and
/// never holds two copies of itself (extendible hashing, with a directory
/// of 4-byte slots). A bucket's
/// entries are in units of 8 taken from one pool, allocated in large chunks
/// that are never freed: a unit a split gives back is taken by the next
/// bucket to grow. (Buckets as vectors, each reallocated as it grows, cost
/// ~21 bytes per key under jemalloc: its size classes, filled and left by
/// buckets growing in step, keep their memory.) A bucket also keeps the low
/// byte of each of its hashes, so looking for a new key (most are) reads
/// 64 bytes and no entry. Measured (`benches/run.sh 1`, median peaks of 5
/// runs): 13.6–13.8 bytes of peak memory per added row from 1M to 2M rows
/// (13.9–15.0 with 12-byte entries).
pub struct SeenKeys {
    /// Slot `i` names the bucket of the hashes whose top `depth` bits are
    /// `i`; a bucket split fewer times has several slots.
    directory: Vec<u32>,
    /// How many top bits of a hash choose its directory slot.
    depth: u32,
    /// The buckets.
    buckets: Buckets,
    /// The units buckets hold their entries in.
    units: Units,
    /// The entries of buckets that could not be split (hashes equal in
    /// more top bits than the directory may have): only a flood of equal
    /// hashes makes one.
    oversized: HashMap<u32, Vec<Entry>>,
    /// Keys held.
    len: usize,
    /// First lines that do not fit an entry's `u32`, by hash.
    far_lines: HashMap<u64, u64>,
    /// A bucket's entries while it is split, kept to spare an allocation.
    scratch: Vec<Entry>,
}

/// The keys whose top `depth` bits are the same, in the order they came.
#[derive(Clone, Copy)]
struct Bucket {
    /// Entries held: unit `i / UNIT`, place `i % UNIT`; past [`SPLIT_AT`],
    /// in `SeenKeys::oversized`.
    len: u32,
    /// How many top bits all its hashes share (at most the directory's).
    depth: u16,
    /// The top byte all its hashes share, which its units leave out.
    top: u8,
    /// Its units, the first `len.div_ceil(UNIT)` of them.
    units: [u32; UNITS],
    /// The low byte of each entry's hash, in entry order: a key is looked
    /// for here first (64 bytes beside the rest of the bucket, searched with
    /// SIMD), and an entry is read only when its byte matches, so a new key
    /// (most keys are) reads no entry at all.
    tags: [u8; SPLIT_AT],
}

/// Buckets allocated a chunk at a time: a vector of buckets (104 bytes
/// each) doubling as it grew would hold up to twice their memory, and both
/// copies while it moves.
struct Buckets {
    /// The buckets, [`BUCKETS_PER_CHUNK`] per chunk.
    chunks: Vec<Box<[Bucket]>>,
    /// Buckets in use.
    len: usize,
    /// What a new chunk is filled with.
    empty: Bucket,
}

/// Buckets allocated at once (104 KB).
const BUCKETS_PER_CHUNK: usize = 1024;

impl Buckets {
    /// No buckets; a new chunk is filled with `empty`.
    fn new(empty: Bucket) -> Self {
        Buckets {
            chunks: Vec::new(),
            len: 0,
            empty,
        }
    }

    /// Buckets in use.
    fn len(&self) -> usize {
        self.len
    }

    /// Adds `bucket` as the last.
    fn push(&mut self, bucket: Bucket) {
        if self.len == self.chunks.len() * BUCKETS_PER_CHUNK {
            self.chunks
                .push(vec![self.empty; BUCKETS_PER_CHUNK].into_boxed_slice());
        }
        let len = self.len;
        self.len += 1;
        self[len] = bucket;
    }
}

impl std::ops::Index<usize> for Buckets {
    type Output = Bucket;

    fn index(&self, b: usize) -> &Bucket {
        &self.chunks[b / BUCKETS_PER_CHUNK][b % BUCKETS_PER_CHUNK]
    }
}

impl std::ops::IndexMut<usize> for Buckets {
    fn index_mut(&mut self, b: usize) -> &mut Bucket {
        &mut self.chunks[b / BUCKETS_PER_CHUNK][b % BUCKETS_PER_CHUNK]
    }
}

/// Units of [`UNIT`] entries, allocated a chunk at a time; a unit given
/// back is taken again before a new one.
#[derive(Default)]
struct Units {
    /// The units, [`UNITS_PER_CHUNK`] per chunk.
    chunks: Vec<Box<[Held]>>,
    /// Units handed out so far (given back or not).
    used: u32,
    /// Units given back.
    free: Vec<u32>,
}

impl Units {
    /// A unit, free to overwrite.
    fn take(&mut self) -> u32 {
        if let Some(unit) = self.free.pop() {
            return unit;
        }
        let unit = self.used;
        if unit as usize == self.chunks.len() * UNITS_PER_CHUNK {
            self.chunks
                .push(vec![NO_ENTRY; UNITS_PER_CHUNK * UNIT].into_boxed_slice());
        }
        self.used += 1;
        unit
    }

    /// The entries of unit `unit`.
    fn get(&self, unit: u32) -> &[Held] {
        let (chunk, at) = (
            unit as usize / UNITS_PER_CHUNK,
            unit as usize % UNITS_PER_CHUNK,
        );
        &self.chunks[chunk][at * UNIT..(at + 1) * UNIT]
    }

    /// The entries of unit `unit`, to write.
    fn get_mut(&mut self, unit: u32) -> &mut [Held] {
        let (chunk, at) = (
            unit as usize / UNITS_PER_CHUNK,
            unit as usize % UNITS_PER_CHUNK,
        );
        &mut self.chunks[chunk][at * UNIT..(at + 1) * UNIT]
    }
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
    pub shown: Option<crate::model::Text>,
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
        let empty = Bucket {
            len: 0,
            depth: START_DEPTH as u16,
            top: 0,
            units: [0; UNITS],
            tags: [0; SPLIT_AT],
        };
        // Bucket `i` holds the hashes whose top byte (START_DEPTH bits) is `i`.
        let mut buckets = Buckets::new(empty);
        for top in 0..=u8::MAX {
            buckets.push(Bucket { top, ..empty });
        }
        SeenKeys {
            directory: (0..=u32::from(u8::MAX)).collect(),
            depth: START_DEPTH,
            buckets,
            units: Units::default(),
            oversized: HashMap::new(),
            len: 0,
            far_lines: HashMap::new(),
            scratch: Vec::with_capacity(SPLIT_AT),
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
            f.violation_with(field, rule, || {
                format!(
                    "{field} \"{shown}\" already appears on line {first}; the store holds one customer per {field}: merge the rows or remove this one"
                )
            })
        }
    }

    /// The line `hash` was first seen on; `None`, and `line` remembered as
    /// its first, when it is new.
    fn first_line(&mut self, hash: u64, line: u64) -> Option<u64> {
        let mut b = self.bucket_of(hash);
        if let Some(first) = self.find(b, hash) {
            if first == FAR_LINE {
                // Every FAR_LINE entry has its line in far_lines (set below,
                // with the entry); 0 only if that broke.
                return Some(self.far_lines.get(&hash).copied().unwrap_or_default());
            }
            return Some(u64::from(first));
        }
        while self.buckets[b].len as usize == SPLIT_AT && self.split(b) {
            b = self.bucket_of(hash);
        }
        let short = u32::try_from(line).ok().filter(|&l| l != FAR_LINE);
        self.push(
            b,
            Entry {
                hash,
                line: short.unwrap_or(FAR_LINE),
            },
        );
        if short.is_none() {
            self.far_lines.insert(hash, line);
        }
        self.len += 1;
        None
    }

    /// The bucket `hash` belongs in.
    fn bucket_of(&self, hash: u64) -> usize {
        // depth is 8..=40: the shift is in range, and the slot is below
        // the directory's 2^depth slots.
        self.directory[(hash >> (64 - self.depth)) as usize] as usize
    }

    /// The line stored with `hash` in bucket `b`, if it is there.
    fn find(&self, b: usize, hash: u64) -> Option<u32> {
        let bucket = &self.buckets[b];
        let len = bucket.len as usize;
        if len > SPLIT_AT {
            let v = self.oversized.get(&(b as u32))?;
            return v.iter().find(|e| e.hash == hash).map(|e| e.line);
        }
        // The low byte of the hash, as `push` keeps it; the top byte is
        // the bucket's, the rest the entry's.
        let tag = hash as u8;
        memchr::memchr_iter(tag, &bucket.tags[..len]).find_map(|i| {
            let e = self.units.get(bucket.units[i / UNIT])[i % UNIT];
            (e.bits() == hash & HELD_BITS).then_some(e.line)
        })
    }

    /// Adds `entry` to bucket `b`: in its last unit, a new unit, or (past
    /// [`SPLIT_AT`], for a bucket that cannot be split) on its own.
    fn push(&mut self, b: usize, entry: Entry) {
        let len = self.buckets[b].len as usize;
        if len >= SPLIT_AT {
            if len == SPLIT_AT {
                let all = self.drain(b);
                self.oversized.insert(b as u32, all);
            }
            if let Some(v) = self.oversized.get_mut(&(b as u32)) {
                v.push(entry);
            }
            // Under 2^32: the directory stays under a slot per four keys.
            self.buckets[b].len = (len + 1) as u32;
            return;
        }
        if len.is_multiple_of(UNIT) {
            self.buckets[b].units[len / UNIT] = self.units.take();
        }
        let unit = self.buckets[b].units[len / UNIT];
        self.units.get_mut(unit)[len % UNIT] = Held::of(entry);
        // The low byte, the tag `find` looks for.
        self.buckets[b].tags[len] = entry.hash as u8;
        self.buckets[b].len += 1;
    }

    /// Takes bucket `b`'s entries out, giving its units back; the bucket is
    /// left empty.
    fn drain(&mut self, b: usize) -> Vec<Entry> {
        let bucket = self.buckets[b];
        let len = bucket.len as usize;
        self.buckets[b].len = 0;
        if len > SPLIT_AT {
            return self.oversized.remove(&(b as u32)).unwrap_or_default();
        }
        let mut all = Vec::with_capacity(len);
        for (u, &unit) in bucket.units[..len.div_ceil(UNIT)].iter().enumerate() {
            let held = (len - u * UNIT).min(UNIT);
            let tags = &bucket.tags[u * UNIT..u * UNIT + held];
            let entries = self.units.get(unit)[..held].iter().zip(tags);
            all.extend(entries.map(|(h, &tag)| h.entry(bucket.top, tag)));
            self.units.free.push(unit);
        }
        all
    }

    /// Splits full bucket `b` in two by the next bit of its hashes,
    /// doubling the directory first when the bucket is as deep as it; false
    /// (nothing done) when the directory may not grow or there is no room
    /// for another bucket.
    fn split(&mut self, b: usize) -> bool {
        let Ok(new) = u32::try_from(self.buckets.len()) else {
            return false;
        };
        let depth = u32::from(self.buckets[b].depth);
        if depth >= MAX_DEPTH || self.buckets[b].len as usize != SPLIT_AT {
            return false;
        }
        if depth == self.depth {
            // Hashes that share more top bits than keys make likely (only
            // a flood of equal hashes does) would grow the directory without
            // end: it stays under a slot per four keys, and such a bucket
            // just grows.
            if self.directory.len() * 2 > (self.len / 4).max(1 << 12) {
                return false;
            }
            // Each slot becomes two naming the same bucket: a few bytes per
            // bucket, the only time the directory moves.
            let mut doubled = Vec::with_capacity(self.directory.len() * 2);
            doubled.extend(self.directory.iter().flat_map(|&s| [s, s]));
            self.directory = doubled;
            self.depth += 1;
        }
        let mut moving = std::mem::take(&mut self.scratch);
        moving.clear();
        moving.append(&mut self.drain(b));
        let prefix = moving.first().map_or(0, |e| e.hash >> (64 - depth));
        let bit = 1u64 << (63 - depth);
        // Under MAX_DEPTH (40): fits a u16.
        let deeper = (depth + 1) as u16;
        self.buckets[b].depth = deeper;
        self.buckets.push(Bucket {
            len: 0,
            depth: deeper,
            top: self.buckets[b].top,
            units: [0; UNITS],
            tags: [0; SPLIT_AT],
        });
        for e in &moving {
            let to = if e.hash & bit == 0 { b } else { new as usize };
            self.push(to, *e);
        }
        self.scratch = moving;
        // The bucket's slots are those whose top `depth` bits are its
        // prefix; the upper half of them (next bit set) now name the new one.
        let shift = self.depth - depth;
        let start = (prefix << shift) as usize;
        let half = 1usize << (shift - 1);
        for slot in &mut self.directory[start + half..start + 2 * half] {
            *slot = new;
        }
        true
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

#[cfg(test)]
mod tests {
    use super::*;

    impl SeenKeys {
        /// Bucket `b`'s entries, copied out.
        fn clone_entries(&mut self, b: usize) -> Vec<Entry> {
            let all = self.drain(b);
            for e in &all {
                self.push(b, *e);
            }
            all
        }
    }

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
        let mut held = 0;
        for b in 0..seen.buckets.len() {
            let e = seen.clone_entries(b);
            held += e.len();
            assert!(e.len() <= SPLIT_AT, "bucket {b} holds {}", e.len());
            for x in e {
                assert_eq!(seen.bucket_of(x.hash), b, "each hash is in its bucket");
            }
        }
        assert_eq!(held, n as usize);
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
        assert!(
            seen.directory.len() <= 1 << 12,
            "equal top bits do not grow the directory past its limit: {}",
            seen.directory.len()
        );
        assert_eq!(seen.first_line(u64::MAX, 7), None);
        assert_eq!(seen.first_line(u64::MAX, 8), Some(7));
    }

    #[test]
    fn hashes_differing_only_in_their_top_byte_are_different_keys() {
        let mut seen = SeenKeys::new();
        let low = mix(7) & ((1 << 56) - 1);
        for top in 0..=255u64 {
            assert_eq!(seen.first_line(top << 56 | low, top + 1), None);
        }
        for top in (0..=255u64).rev() {
            assert_eq!(seen.first_line(top << 56 | low, 0), Some(top + 1));
        }
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
