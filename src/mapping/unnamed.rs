//! Columns the header gives no name: where they are, and the values a row
//! holds in them, which are never read and so are warned about.

use crate::findings::Findings;
use crate::read::CsvRow;
use crate::values::trim;

/// The rule of a value in a column the header gives no name: a warning
/// (the rest of the record is sent), counted like any other.
pub const VALUE_IN_UNNAMED_COLUMN: &str = "row.value_in_unnamed_column";

/// Characters of an unnamed column's value quoted in its warning.
const VALUE_CHARS: usize = 40;

/// Whether a header's column has no name (blank, or spaces only).
pub fn is_unnamed(column: &str) -> bool {
    column.trim().is_empty()
}

/// The positions (from 0) of the columns in `columns` with no name.
pub fn unnamed_positions(columns: &[String]) -> Vec<usize> {
    columns
        .iter()
        .enumerate()
        .filter(|(_, c)| is_unnamed(c))
        .map(|(i, _)| i)
        .collect()
}

/// The non-blank values of `rec` at `positions` (columns with no name):
/// (position from 0, value trimmed). A row shorter than the header holds
/// nothing past its end.
pub fn unnamed_values(rec: &CsvRow, positions: &[usize]) -> Vec<(usize, String)> {
    positions
        .iter()
        .filter_map(|&i| {
            let v = String::from_utf8_lossy(rec.get(i)?);
            let v = trim(&v);
            (!v.is_empty()).then(|| (i, v.to_string()))
        })
        .collect()
}

/// `v` cut to [`VALUE_CHARS`] characters, a longer one ending in `…`.
pub(super) fn cut_value(v: &str) -> String {
    match v.char_indices().nth(VALUE_CHARS) {
        Some((at, _)) => format!("{}…", &v[..at]),
        None => v.to_string(),
    }
}

/// Warns, on `line`, of each value `rec` holds in a column the header
/// gives no name (`positions`): such a value is neither read nor sent.
/// Blank cells say nothing: a spreadsheet's trailing `,,,` holds nothing.
pub fn warn_values(rec: &CsvRow, positions: &[usize], line: u64, f: &mut Findings) {
    if positions.is_empty() {
        return;
    }
    for (at, value) in unnamed_values(rec, positions) {
        f.warning_on(
            line,
            "row",
            VALUE_IN_UNNAMED_COLUMN,
            format!(
                "column {} has no name in the header, so its value \"{}\" is neither read nor sent; give the column a name in the header and map it, or remove the value",
                at + 1,
                cut_value(&value)
            ),
        );
    }
}
