//! A CSV row's fields as text: one UTF-8 check of the whole row, then the
//! fields read a field at a time.

use crate::read::CsvRow;

/// A CSV row's fields as text, checked with one UTF-8 pass over the whole
/// row; `None` when some field is not UTF-8 (the caller finds which).
pub(crate) fn utf8_fields(rec: &CsvRow) -> Option<Vec<&str>> {
    let row = Utf8Row::new(rec)?;
    (0..rec.len()).map(|i| row.get(i)).collect()
}

/// A CSV row known to be UTF-8 text in every field, read a field at a time
/// (no list of fields is built: a mapping reads only its columns).
#[derive(Clone, Copy)]
pub(crate) struct Utf8Row<'a> {
    /// Every field's text, one after another.
    text: &'a str,
    /// Where each field lies in `text`.
    row: &'a CsvRow,
}

impl<'a> Utf8Row<'a> {
    /// The row as text; `None` when some field is not UTF-8. One pass over
    /// the whole row, then each field's ends: a field is valid UTF-8 when
    /// the row is and both its ends fall on character boundaries (two
    /// fields' halves of one character join into valid text, yet neither is
    /// text alone). A field starts where the one before it ends (the first
    /// at 0, always a boundary), so checking every end checks every start.
    ///
    /// The pass is simdutf8's (the same answer as `std::str::from_utf8`,
    /// which the proptest below holds it to): on rows of Unicode names and
    /// domains std's check left its ASCII fast path at the first accent and
    /// was ~5 % of a dry run's CPU; simdutf8 took 0.96x of the whole
    /// process's CPU in 9 of 9 pairs (issue 18).
    pub(crate) fn new(rec: &'a CsvRow) -> Option<Utf8Row<'a>> {
        let text = simdutf8::basic::from_utf8(rec.as_slice()).ok()?;
        if !rec.ends().all(|end| text.is_char_boundary(end)) {
            return None;
        }
        Some(Utf8Row { text, row: rec })
    }

    /// Field `i`'s text.
    pub(crate) fn get(&self, i: usize) -> Option<&'a str> {
        self.text.get(self.row.range(i)?)
    }
}

#[cfg(test)]
mod tests {
    use super::{Utf8Row, utf8_fields};
    use crate::read::CsvRow;
    use proptest::prelude::*;

    #[test]
    fn halves_of_one_character_in_two_fields_are_not_text() {
        // "é" is C3 A9: split over two fields, the row's bytes are valid
        // UTF-8 but neither field is.
        let row = CsvRow::from_fields([&b"caf\xC3"[..], b"\xA9"]);
        assert!(std::str::from_utf8(row.as_slice()).is_ok());
        assert!(Utf8Row::new(&row).is_none());
        assert!(utf8_fields(&row).is_none());
    }

    fn field() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            "[a-zé例 ,\"]{0,6}".prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>(), 0..6),
            proptest::collection::vec(
                prop_oneof![
                    Just(0xC3u8),
                    Just(0xA9),
                    Just(0xE4),
                    Just(0xBE),
                    Just(0x8B),
                    Just(b'a')
                ],
                0..6
            ),
        ]
    }

    proptest! {
        #[test]
        fn agrees_with_std_field_by_field(fields in proptest::collection::vec(field(), 0..8)) {
            let row = CsvRow::from_fields(&fields);
            let want: Option<Vec<&str>> = fields.iter().map(|f| std::str::from_utf8(f).ok()).collect();
            prop_assert_eq!(utf8_fields(&row), want.clone());
            let lazy = Utf8Row::new(&row);
            prop_assert_eq!(lazy.is_some(), want.is_some());
            if let (Some(lazy), Some(want)) = (lazy, want) {
                for (i, w) in want.iter().enumerate() {
                    prop_assert_eq!(lazy.get(i), Some(*w));
                }
                prop_assert_eq!(lazy.get(want.len()), None);
            }
        }
    }
}
