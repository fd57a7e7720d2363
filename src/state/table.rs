//! The state's keys in memory: an open-addressing table whose slots hold
//! the key hash, the record hash and the id side by side (40 bytes), placed
//! by the key's own first 8 bytes (already a uniform hash) and probed
//! linearly. A lookup reads one slot and usually its neighbour: one cache
//! miss in a table of a million keys, where a map keeping its control
//! bytes apart from its entries takes two; and the table is sized to its
//! keys (at most 4/3 of them when full, not the next power of two), so a
//! million keys take 53 MB rather than 86.

use super::Known;
use super::hash::KeyHash;

/// One slot: a key and what the state knows of it; empty when the key is
/// all zeros (the one key that hashes to zeros, if any, lives beside the
/// slots, in `State::zero`).
#[derive(Debug, Clone, Copy)]
struct Slot {
    key: [u8; 16],
    known: Known,
}

const EMPTY: Slot = Slot {
    key: [0; 16],
    known: Known {
        id: 0,
        hash: [0; 16],
    },
};

/// Keys and what the state knows of each.
#[derive(Debug, Default)]
pub(super) struct Table {
    /// The slots; empty ones have an all-zero key.
    slots: Vec<Slot>,
    /// Keys held in `slots`.
    len: usize,
    /// The all-zero key's entry (a 2⁻¹²⁸ chance per key, kept apart so an
    /// empty slot needs no flag).
    zero: Option<Known>,
}

impl Table {
    /// An empty table with room for `n` keys before it grows.
    pub(super) fn with_capacity(n: usize) -> Table {
        Table {
            slots: vec![EMPTY; slots_for(n)],
            len: 0,
            zero: None,
        }
    }

    /// Keys held.
    pub(super) fn len(&self) -> usize {
        self.len + usize::from(self.zero.is_some())
    }

    /// Where `key`'s probe starts: its first 8 bytes scaled to the table
    /// (a multiply, no modulo, any table size).
    fn home(&self, key: &KeyHash) -> usize {
        let k = u64::from_le_bytes([
            key.0[0], key.0[1], key.0[2], key.0[3], key.0[4], key.0[5], key.0[6], key.0[7],
        ]);
        // The product's high half is below `slots.len()`.
        ((u128::from(k) * self.slots.len() as u128) >> 64) as usize
    }

    /// What the table holds for `key`.
    pub(super) fn get(&self, key: &KeyHash) -> Option<&Known> {
        if key.0 == [0; 16] {
            return self.zero.as_ref();
        }
        if self.slots.is_empty() {
            return None;
        }
        let mut i = self.home(key);
        // The table is never full (at most 3/4), so an empty slot ends
        // every probe.
        loop {
            let slot = &self.slots[i];
            if slot.key == key.0 {
                return Some(&slot.known);
            }
            if slot.key == [0; 16] {
                return None;
            }
            i += 1;
            if i == self.slots.len() {
                i = 0;
            }
        }
    }

    /// Sets `key` to `known`; returns what it held before.
    pub(super) fn insert(&mut self, key: KeyHash, known: Known) -> Option<Known> {
        if key.0 == [0; 16] {
            return self.zero.replace(known);
        }
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let mut i = self.home(&key);
        loop {
            let slot = &mut self.slots[i];
            if slot.key == key.0 {
                return Some(std::mem::replace(&mut slot.known, known));
            }
            if slot.key == [0; 16] {
                *slot = Slot { key: key.0, known };
                self.len += 1;
                return None;
            }
            i += 1;
            if i == self.slots.len() {
                i = 0;
            }
        }
    }

    /// Every key and what the table holds for it, in no particular order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (KeyHash, Known)> + '_ {
        self.slots
            .iter()
            .filter(|s| s.key != [0; 16])
            .map(|s| (KeyHash(s.key), s.known))
            .chain(self.zero.map(|k| (KeyHash([0; 16]), k)))
    }

    /// Rebuilds the table for twice its keys.
    fn grow(&mut self) {
        self.resize(slots_for((self.len + 1) * 2));
    }

    /// Rebuilds the table with `slots` slots (more than its keys).
    fn resize(&mut self, slots: usize) {
        let old = std::mem::replace(&mut self.slots, vec![EMPTY; slots]);
        self.len = 0;
        let zero = self.zero.take();
        for s in old.into_iter().filter(|s| s.key != [0; 16]) {
            self.insert(KeyHash(s.key), s.known);
        }
        self.zero = zero;
    }

    /// Shrinks a table sized for more keys than it holds (a state file with
    /// many replaced records) to its keys, so that memory follows the keys.
    pub(super) fn fit(&mut self) {
        let want = slots_for(self.len);
        if want * 2 <= self.slots.len() {
            self.resize(want);
        }
    }
}

/// Slots for `n` keys at a load of at most 3/4 (at least 8).
fn slots_for(n: usize) -> usize {
    n.saturating_mul(4).div_ceil(3).max(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u64) -> KeyHash {
        KeyHash::of(&format!("c{i}@x.com"))
    }

    fn known(i: u64) -> Known {
        Known {
            id: i,
            hash: [i as u8; 16],
        }
    }

    #[test]
    fn keys_inserted_are_found_replaced_and_iterated_once_each_through_growth() {
        let mut t = Table::with_capacity(0);
        for i in 0..10_000 {
            assert_eq!(t.insert(key(i), known(i)), None);
        }
        assert_eq!(t.len(), 10_000);
        assert!(t.slots.len() * 3 >= t.len * 4, "never more than 3/4 full");
        for i in 0..10_000 {
            assert_eq!(t.get(&key(i)), Some(&known(i)));
        }
        assert_eq!(t.get(&key(10_000)), None);
        assert_eq!(t.insert(key(7), known(70)), Some(known(7)));
        assert_eq!(t.get(&key(7)), Some(&known(70)));
        assert_eq!(t.len(), 10_000);
        let mut ids: Vec<u64> = t.iter().map(|(_, k)| k.id).collect();
        ids.sort_unstable();
        let mut want: Vec<u64> = (0..10_000).map(|i| if i == 7 { 70 } else { i }).collect();
        want.sort_unstable();
        assert_eq!(ids, want);
    }

    #[test]
    fn the_all_zero_key_is_held_apart_from_the_empty_slots() {
        let mut t = Table::with_capacity(4);
        let zero = KeyHash([0; 16]);
        assert_eq!(t.get(&zero), None);
        t.insert(key(1), known(1));
        assert_eq!(t.insert(zero, known(9)), None);
        assert_eq!(t.get(&zero), Some(&known(9)));
        assert_eq!(t.len(), 2);
        assert_eq!(t.iter().count(), 2);
        t.fit();
        assert_eq!(t.get(&zero), Some(&known(9)));
        assert_eq!(t.get(&key(1)), Some(&known(1)));
    }

    #[test]
    fn keys_crowded_at_the_end_wrap_around_to_the_start() {
        // Keys whose first 8 bytes are all ones start their probe at the
        // last slot.
        let mut t = Table::with_capacity(6);
        let n = t.slots.len() - 2;
        let keys: Vec<KeyHash> = (0..n as u8)
            .map(|i| {
                let mut k = [0xff; 16];
                k[15] = i;
                KeyHash(k)
            })
            .collect();
        for (i, k) in keys.iter().enumerate() {
            t.insert(*k, known(i as u64));
        }
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(t.get(k), Some(&known(i as u64)));
        }
        assert!(t.slots[0].key != [0; 16], "a probe wrapped to slot 0");
    }

    #[test]
    fn fit_shrinks_a_table_sized_for_many_more_keys() {
        let mut t = Table::with_capacity(100_000);
        for i in 0..1000 {
            t.insert(key(i), known(i));
        }
        t.fit();
        assert!(t.slots.len() <= slots_for(1000));
        for i in 0..1000 {
            assert_eq!(t.get(&key(i)), Some(&known(i)));
        }
    }
}
