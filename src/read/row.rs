//! A CSV row as read: its fields' bytes and where each ends, in one
//! allocation. `csv::ByteRecord` takes three (its box, its bytes, its
//! bounds), zeroes them, and is filled one field at a time; a row of the
//! reader is copied once, whole, from the parser's buffer (issue 18).

use std::fmt;
use std::ops::Range;

/// Bytes of one field end in [`CsvRow`]'s buffer.
const END: usize = std::mem::size_of::<u32>();

/// A CSV row's fields, unescaped, as bytes (checked for UTF-8 when mapped).
#[derive(Clone, PartialEq, Eq)]
pub struct CsvRow {
    /// The fields' ends (`u32`, little-endian, one per field), then the
    /// fields' bytes one after another.
    buf: Box<[u8]>,
    /// Number of fields.
    fields: u32,
}

impl CsvRow {
    /// The row whose fields are `data` cut at `ends` (each field's end in
    /// `data`; an end out of order or past `data` is clamped, as the
    /// parser never writes one). `None` when the row is too large to
    /// index with 32 bits (over 4 GiB, or over 4 billion fields).
    pub fn new(data: &[u8], ends: &[usize]) -> Option<CsvRow> {
        u32::try_from(data.len()).ok()?;
        let fields = u32::try_from(ends.len()).ok()?;
        // Allocated once at its final size; the ends are written in place
        // (pushed one at a time, each push checked the room).
        let head = ends.len() * END;
        let mut buf = Vec::with_capacity(head + data.len());
        buf.resize(head, 0);
        let mut start = 0usize;
        for (slot, &end) in buf.chunks_exact_mut(END).zip(ends) {
            let end = end.min(data.len()).max(start);
            // In range: `end` is at most `data.len()`, checked above.
            slot.copy_from_slice(&(end as u32).to_le_bytes());
            start = end;
        }
        buf.extend_from_slice(data);
        Some(CsvRow {
            buf: buf.into_boxed_slice(),
            fields,
        })
    }

    /// A row of the given fields (tests, and rows built by hand).
    pub fn from_fields<F: AsRef<[u8]>>(fields: impl IntoIterator<Item = F>) -> CsvRow {
        let mut data = Vec::new();
        let mut ends = Vec::new();
        for f in fields {
            data.extend_from_slice(f.as_ref());
            ends.push(data.len());
        }
        // A row built by hand is small; past 4 GiB it keeps what fits.
        CsvRow::new(&data, &ends).unwrap_or_else(|| CsvRow {
            buf: Box::new([]),
            fields: 0,
        })
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields as usize
    }

    /// True for a row of no fields.
    pub fn is_empty(&self) -> bool {
        self.fields == 0
    }

    /// Where field `i` ends in [`CsvRow::as_slice`].
    fn end(&self, i: usize) -> usize {
        let at = i * END;
        match self.buf.get(at..at + END) {
            Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]) as usize,
            _ => 0,
        }
    }

    /// Where field `i` lies in [`CsvRow::as_slice`].
    pub fn range(&self, i: usize) -> Option<Range<usize>> {
        if i >= self.len() {
            return None;
        }
        let start = if i == 0 { 0 } else { self.end(i - 1) };
        Some(start..self.end(i))
    }

    /// Where each field ends in [`CsvRow::as_slice`], in order (the next
    /// field starts there).
    pub fn ends(&self) -> impl Iterator<Item = usize> + '_ {
        let head = self.buf.get(..self.len() * END).unwrap_or_default();
        head.chunks_exact(END)
            // Each chunk is END (4) bytes: the indexes are in range.
            .map(|e| u32::from_le_bytes([e[0], e[1], e[2], e[3]]) as usize)
    }

    /// Field `i`'s bytes.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        self.as_slice().get(self.range(i)?)
    }

    /// Every field's bytes, one after another.
    pub fn as_slice(&self) -> &[u8] {
        self.buf.get(self.len() * END..).unwrap_or_default()
    }

    /// The fields in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or_default())
    }
}

impl fmt::Debug for CsvRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(String::from_utf8_lossy))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::CsvRow;
    use proptest::prelude::*;

    #[test]
    fn fields_read_back_as_given_including_empty_ones() {
        let row = CsvRow::from_fields(["ann@example.com", "", "Zoë", ""]);
        assert_eq!(row.len(), 4);
        assert_eq!(row.get(0), Some(&b"ann@example.com"[..]));
        assert_eq!(row.get(1), Some(&b""[..]));
        assert_eq!(row.get(2), Some("Zoë".as_bytes()));
        assert_eq!(row.get(3), Some(&b""[..]));
        assert_eq!(row.get(4), None);
        assert_eq!(row.as_slice(), "ann@example.comZoë".as_bytes());
        assert_eq!(row.range(2), Some(15..19));
    }

    #[test]
    fn a_row_of_no_fields_is_empty() {
        let row = CsvRow::from_fields(Vec::<&[u8]>::new());
        assert!(row.is_empty());
        assert_eq!(row.get(0), None);
        assert_eq!(row.iter().count(), 0);
    }

    #[test]
    fn ends_out_of_order_or_past_the_data_are_clamped() {
        let row = CsvRow::new(b"abcdef", &[4, 2, 9]).expect("small row");
        assert_eq!(
            row.iter().collect::<Vec<_>>(),
            vec![&b"abcd"[..], b"", b"ef"]
        );
    }

    proptest! {
        #[test]
        fn agrees_with_csv_byte_record(fields in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20), 0..20)) {
            let row = CsvRow::from_fields(&fields);
            let rec = csv::ByteRecord::from(fields.clone());
            prop_assert_eq!(row.len(), rec.len());
            prop_assert_eq!(row.as_slice(), rec.as_slice());
            for i in 0..=fields.len() {
                prop_assert_eq!(row.get(i), rec.get(i));
                prop_assert_eq!(row.range(i), rec.range(i));
            }
            prop_assert!(row.ends().eq((0..rec.len()).filter_map(|i| rec.range(i)).map(|r| r.end)));
            prop_assert!(row.iter().eq(rec.iter()));
        }
    }
}
