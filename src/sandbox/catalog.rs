//! The product variants bitbybit orders refer to: a small default catalog,
//! and `--catalog FILE`, a CSV with the columns
//! `product_variant_id,sku,price[,key][,title]` (header required, any order).
//! Prices are kept in cents so that an order's total is exact.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// One product variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    /// The id orders name in `lineItems[].productVariantId`.
    pub id: String,
    /// The variant's key (a handle).
    pub key: String,
    /// The inventory SKU.
    pub sku: String,
    /// Unit price in cents.
    pub price_cents: u64,
    /// The line item title.
    pub title: String,
}

impl Variant {
    /// A variant; `price` as written ("19.00"), `None` when it is not a price.
    pub fn new(id: &str, sku: &str, price: &str, key: &str, title: &str) -> Option<Variant> {
        Some(Variant {
            id: id.to_string(),
            key: key.to_string(),
            sku: sku.to_string(),
            price_cents: parse_price(price)?,
            title: title.to_string(),
        })
    }

    /// The price as the API writes it (a JSON number).
    pub fn price(&self) -> f64 {
        cents_to_number(self.price_cents)
    }

    /// The variant in bitbybit's ProductVariant shape.
    pub(crate) fn json(&self) -> Value {
        json!({
            "id": self.id,
            "key": self.key,
            "price": self.price(),
            "compareAtPrice": null,
            "inventorySku": self.sku,
            "media": null,
        })
    }
}

/// Cents as a JSON-friendly number of currency units.
pub(crate) fn cents_to_number(cents: u64) -> f64 {
    cents as f64 / 100.0
}

/// Parses "19", "19.5", "19.00" into cents; more than two decimals, signs or
/// anything else is refused.
fn parse_price(s: &str) -> Option<u64> {
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u64 = whole.parse().ok()?;
    let frac: u64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<u64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    whole.checked_mul(100)?.checked_add(frac)
}

/// The catalog used when none is given.
pub fn default_catalog() -> Vec<Variant> {
    [
        ("var_tee_s", "TEE-S", 1900, "tee-s", "T-shirt / S"),
        ("var_tee_m", "TEE-M", 1900, "tee-m", "T-shirt / M"),
        ("var_tee_l", "TEE-L", 2100, "tee-l", "T-shirt / L"),
        ("var_mug", "MUG-01", 1250, "mug", "Mug"),
        ("var_cap", "CAP-01", 1599, "cap", "Cap"),
        (
            "var_poster_a2",
            "POSTER-A2",
            725,
            "poster-a2",
            "Poster / A2",
        ),
    ]
    .into_iter()
    .map(|(id, sku, price_cents, key, title)| Variant {
        id: id.into(),
        key: key.into(),
        sku: sku.into(),
        price_cents,
        title: title.into(),
    })
    .collect()
}

/// Why a catalog file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The file could not be read.
    #[error("catalog {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a usable catalog.
    #[error("catalog{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Invalid {
        /// The line at fault, when one is.
        line: Option<u64>,
        /// What is wrong.
        message: String,
    },
}

/// Reads a catalog CSV file.
pub fn load_catalog(path: &Path) -> Result<Vec<Variant>, CatalogError> {
    let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse_catalog(&text)
}

/// Parses catalog CSV text (`product_variant_id,sku,price[,key][,title]`).
pub fn parse_catalog(text: &str) -> Result<Vec<Variant>, CatalogError> {
    let invalid = |line: Option<u64>, message: String| CatalogError::Invalid { line, message };
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| invalid(Some(1), e.to_string()))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(id_col), Some(sku_col), Some(price_col)) =
        (col("product_variant_id"), col("sku"), col("price"))
    else {
        return Err(invalid(
            Some(1),
            format!(
                "the header must name product_variant_id, sku and price (got '{}')",
                headers.iter().collect::<Vec<_>>().join(",")
            ),
        ));
    };
    let key_col = col("key");
    let title_col = col("title");
    let mut out: Vec<Variant> = Vec::new();
    for row in rdr.records() {
        let row = row.map_err(|e| invalid(e.position().map(|p| p.line()), e.to_string()))?;
        let line = row.position().map(|p| p.line());
        let get = |c: usize| row.get(c).unwrap_or("");
        let id = get(id_col);
        if id.is_empty() {
            return Err(invalid(line, "product_variant_id is empty".into()));
        }
        if out.iter().any(|v| v.id == id) {
            return Err(invalid(
                line,
                format!("product_variant_id '{id}' is given twice"),
            ));
        }
        let price = get(price_col);
        let key = key_col.map(get).filter(|k| !k.is_empty()).unwrap_or(id);
        let title = title_col.map(get).filter(|t| !t.is_empty()).unwrap_or(key);
        let v = Variant::new(id, get(sku_col), price, key, title)
            .ok_or_else(|| invalid(line, format!("price '{price}' is not a price (e.g. 19.00)")))?;
        out.push(v);
    }
    if out.is_empty() {
        return Err(invalid(None, "no variants".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_parse_to_exact_cents() {
        assert_eq!(parse_price("19"), Some(1900));
        assert_eq!(parse_price("19.5"), Some(1950));
        assert_eq!(parse_price("0.07"), Some(7));
        for bad in ["", "-1", "1.234", "1,50", "abc", ".5", "1e3"] {
            assert_eq!(parse_price(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_catalog_csv_loads_with_optional_key_and_refuses_bad_rows() {
        let ok = parse_catalog("sku,product_variant_id,price,key\nA-1,v1,2.50,alpha\nB-2,v2,3,\n");
        let ok = ok.unwrap_or_default();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].key, "alpha");
        assert_eq!(ok[1].key, "v2");
        assert_eq!(ok[1].price_cents, 300);
        assert!(parse_catalog("id,sku,price\nv1,A,1\n").is_err());
        assert!(parse_catalog("product_variant_id,sku,price\nv1,A,x\n").is_err());
        assert!(parse_catalog("product_variant_id,sku,price\nv1,A,1\nv1,B,2\n").is_err());
        assert!(parse_catalog("product_variant_id,sku,price\n").is_err());
    }
}
