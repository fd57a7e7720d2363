//! Grouping: a CSV order is one row per line item, the rows of one order
//! adjacent and sharing its key. `Groups` turns the record stream into a
//! stream of orders; `split_keys` finds, in a first pass, the keys whose
//! rows are not together, so that every part of such an order is refused
//! naming all its lines (one part alone would create a short order).

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

use crate::read::{RawBody, RawRecord};

use super::mapping::OrderMapping;

/// The rows of one order, as read.
#[derive(Debug, Clone)]
pub struct RawOrder {
    /// The order's number in the input, from 1.
    pub number: u64,
    /// Its rows (one for JSON input), in input order.
    pub rows: Vec<RawRecord>,
}

impl RawOrder {
    /// The line the order starts on.
    pub fn line(&self) -> u64 {
        self.rows.first().map_or(0, |r| r.line)
    }
}

/// Groups adjacent rows with the same order key. A row without a readable
/// key (blank, broken) is an order of its own, which the rules refuse; each
/// JSON record is one order.
pub struct Groups<'m, I: Iterator<Item = RawRecord>> {
    records: std::iter::Peekable<I>,
    mapping: &'m OrderMapping,
    number: u64,
}

impl<'m, I: Iterator<Item = RawRecord>> Groups<'m, I> {
    /// Groups `records` by `mapping`'s order key.
    pub fn new(records: I, mapping: &'m OrderMapping) -> Self {
        Groups {
            records: records.peekable(),
            mapping,
            number: 0,
        }
    }
}

impl<I: Iterator<Item = RawRecord>> Iterator for Groups<'_, I> {
    type Item = RawOrder;

    fn next(&mut self) -> Option<RawOrder> {
        let first = self.records.next()?;
        self.number += 1;
        let key = if self.mapping.json {
            None
        } else {
            self.mapping.key_of(&first)
        };
        let mut rows = vec![first];
        if let Some(key) = key {
            while let Some(next) = self.records.peek() {
                if !matches!(next.body, RawBody::Csv(_))
                    || self.mapping.key_of(next).as_deref() != Some(key.as_str())
                {
                    break;
                }
                if let Some(r) = self.records.next() {
                    rows.push(r);
                }
            }
        }
        Some(RawOrder {
            number: self.number,
            rows,
        })
    }
}

/// The order key of a raw order: the key column (CSV) or `orderKey`/`name`
/// (JSON). JSON is parsed only for the key.
pub fn key_of(order: &RawOrder, mapping: &OrderMapping) -> Option<String> {
    let first = order.rows.first()?;
    if !mapping.json {
        return mapping.key_of(first);
    }
    let RawBody::JsonLine(bytes) = &first.body else {
        return None;
    };
    #[derive(serde::Deserialize)]
    struct Keyed {
        #[serde(rename = "orderKey")]
        order_key: Option<serde_json::Value>,
        name: Option<serde_json::Value>,
    }
    let k: Keyed = serde_json::from_slice(bytes).ok()?;
    let text = |v: Option<serde_json::Value>| match v? {
        serde_json::Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    text(k.order_key).or_else(|| text(k.name))
}

/// The keys whose orders come in more than one group (rows not adjacent,
/// or a JSON key given twice), each with the lines its groups start on.
/// Holds one 64-bit hash per order, plus the repeated keys themselves.
pub fn split_keys(
    orders: impl Iterator<Item = RawOrder>,
    mapping: &OrderMapping,
) -> HashMap<String, Vec<u64>> {
    let state = std::collections::hash_map::RandomState::new();
    let hash = |k: &str| state.hash_one(k);
    let mut first_line: HashMap<u64, u64> = HashMap::new();
    let mut repeated: HashSet<u64> = HashSet::new();
    let mut keyed: Vec<(u64, String, u64)> = Vec::new();
    for order in orders {
        let Some(key) = key_of(&order, mapping) else {
            continue;
        };
        let h = hash(&key);
        let line = order.line();
        match first_line.get(&h) {
            None => {
                first_line.insert(h, line);
            }
            Some(first) => {
                if repeated.insert(h) {
                    keyed.push((h, key.clone(), *first));
                }
                keyed.push((h, key, line));
            }
        }
    }
    let mut out: HashMap<String, Vec<u64>> = HashMap::new();
    for (_, key, line) in keyed {
        let lines = out.entry(key).or_default();
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    for lines in out.values_mut() {
        lines.sort_unstable();
    }
    out
}
