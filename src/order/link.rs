//! Linking an order to what the platform already holds: `Variants`
//! resolves a line item's SKU to a product variant id (`--variants
//! FILE.csv`), and `Customers` resolves the order's email or phone to the
//! id a customers import journaled (`--customers-journal`), or says why it
//! cannot. `Customers` is a plain map: the run fills it from the journal
//! (`run::orders`); nothing here reads a journal.

use std::collections::HashMap;
use std::path::Path;

use crate::error::CliError;
use crate::values::{normalise_email, phone_key};

/// What a platform's order rules link an order to, besides the order.
#[derive(Debug, Clone, Copy, Default)]
pub struct Links<'a> {
    /// `--variants`: SKU → product variant id.
    pub variants: Option<&'a Variants>,
    /// `--customers-journal`: email/phone → customer id.
    pub customers: Option<&'a Customers>,
}

/// SKU → product variant id, from a CSV with the columns
/// `sku,product_variant_id` (header required, any order, more allowed).
#[derive(Debug, Default, Clone)]
pub struct Variants {
    by_sku: HashMap<String, String>,
    /// The file, for messages.
    pub label: String,
}

impl Variants {
    /// Reads the variants file at `path`; fails naming the file, the line
    /// and what to fix.
    pub fn load(path: &Path) -> Result<Variants, CliError> {
        let label = path.display().to_string();
        let err = |m: String| CliError::usage(format!("{label}: {m}"));
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_path(path)
            .map_err(|e| err(format!("cannot read the variants file: {e}")))?;
        let header = reader
            .headers()
            .map_err(|e| err(format!("cannot read the header: {e}")))?
            .clone();
        let col = |name: &str| {
            header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
        };
        let (Some(sku_at), Some(id_at)) = (col("sku"), col("product_variant_id")) else {
            return Err(err(format!(
                "line 1: the header must name the columns sku and product_variant_id (it has: {})",
                header.iter().collect::<Vec<_>>().join(", ")
            )));
        };
        let mut by_sku: HashMap<String, String> = HashMap::new();
        let mut lines: HashMap<String, u64> = HashMap::new();
        for row in reader.records() {
            let row = row.map_err(|e| err(format!("{e}")))?;
            let line = row.position().map_or(0, |p| p.line());
            let sku = row.get(sku_at).unwrap_or("").trim();
            let id = row.get(id_at).unwrap_or("").trim();
            if sku.is_empty() && id.is_empty() {
                continue;
            }
            if sku.is_empty() || id.is_empty() {
                return Err(err(format!(
                    "line {line}: both sku and product_variant_id are needed (sku \"{sku}\", product_variant_id \"{id}\")"
                )));
            }
            if let Some(before) = by_sku.get(sku)
                && before != id
            {
                return Err(err(format!(
                    "line {line}: SKU \"{sku}\" is given again with another variant id (\"{id}\"; line {} said \"{before}\"); keep one",
                    lines.get(sku).copied().unwrap_or(0)
                )));
            }
            by_sku.insert(sku.to_string(), id.to_string());
            lines.insert(sku.to_string(), line);
        }
        Ok(Variants { by_sku, label })
    }

    /// The variant id of `sku`.
    pub fn get(&self, sku: &str) -> Option<&str> {
        self.by_sku.get(sku.trim()).map(String::as_str)
    }

    /// Number of SKUs known.
    pub fn len(&self) -> usize {
        self.by_sku.len()
    }

    /// True when the file held no SKU.
    pub fn is_empty(&self) -> bool {
        self.by_sku.is_empty()
    }
}

/// Records what the journal says of a customer: an id always wins (a row
/// refused as a duplicate of a created customer, or refused and then fixed
/// and created, names a customer that is there); otherwise the first word
/// stays.
fn put(map: &mut HashMap<String, Known>, key: String, known: Known) {
    match known {
        Known::Id(_) => {
            map.insert(key, known);
        }
        Known::Unusable(_) => {
            map.entry(key).or_insert(known);
        }
    }
}

/// What a customers journal says of one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Known {
    /// In bitbybit, with this id.
    Id(String),
    /// Not linkable: the state, in words, and what to do.
    Unusable(String),
}

/// Customer email / phone → what a customers import journaled.
#[derive(Debug, Default, Clone)]
pub struct Customers {
    by_email: HashMap<String, Known>,
    by_phone: HashMap<String, Known>,
    /// The journal, for messages.
    pub label: String,
}

impl Customers {
    /// An empty map; `label` names its journal in messages.
    pub fn new(label: impl Into<String>) -> Customers {
        Customers {
            label: label.into(),
            ..Customers::default()
        }
    }

    /// Records what the journal says of a customer under its journal key
    /// (a normalised email, `phone:` and a phone, or a key that names
    /// neither) and the email and phone its line kept.
    pub fn insert(&mut self, key: &str, known: Known, email: Option<&str>, phone: Option<&str>) {
        if let Some(p) = key.strip_prefix("phone:") {
            put(&mut self.by_phone, p.to_string(), known.clone());
        } else if !key.starts_with("hash:")
            && !key.starts_with("invalid:")
            && !key.starts_with("order:")
        {
            put(&mut self.by_email, key.to_string(), known.clone());
        }
        if let Some(e) = email {
            put(&mut self.by_email, normalise_email(e), known.clone());
        }
        if let Some(p) = phone {
            put(&mut self.by_phone, phone_key(p), known);
        }
    }

    /// What the journal says of the customer with this email or, without a
    /// match by email, this phone; `None` when it does not know them.
    pub fn find(&self, email: Option<&str>, phone: Option<&str>) -> Option<(&Known, &'static str)> {
        if let Some(k) = email.and_then(|e| self.by_email.get(&normalise_email(e))) {
            return Some((k, "email"));
        }
        let key = phone.map(phone_key).filter(|p| !p.is_empty())?;
        self.by_phone.get(&key).map(|k| (k, "phone"))
    }

    /// Customers known.
    pub fn len(&self) -> usize {
        self.by_email.len().max(self.by_phone.len())
    }

    /// True when the journal held no customer.
    pub fn is_empty(&self) -> bool {
        self.by_email.is_empty() && self.by_phone.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variants(text: &str) -> Result<Variants, CliError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("variants.csv");
        std::fs::write(&path, text).expect("write");
        Variants::load(&path)
    }

    #[test]
    fn variants_resolve_skus_and_refuse_a_sku_with_two_ids() {
        let v = variants("product_variant_id,sku,price\nvar_1,TEE,19\nvar_2, MUG ,5\n\n")
            .expect("loads");
        assert_eq!(v.get("TEE"), Some("var_1"));
        assert_eq!(v.get("MUG"), Some("var_2"));
        assert_eq!(v.get("CAP"), None);
        assert_eq!(v.len(), 2);
        let e = variants("sku,product_variant_id\nTEE,var_1\nTEE,var_9\n")
            .expect_err("a SKU with two ids is refused");
        assert!(
            e.message.contains("line 3") && e.message.contains("line 2"),
            "{}",
            e.message
        );
        let e = variants("code,id\nTEE,var_1\n").expect_err("header names the columns");
        assert!(
            e.message.contains("sku and product_variant_id"),
            "{}",
            e.message
        );
        let e = variants("sku,product_variant_id\nTEE,\n").expect_err("an id is needed");
        assert!(e.message.contains("line 2"), "{}", e.message);
    }

    #[test]
    fn a_journal_line_is_found_by_its_key_its_email_and_its_phone_and_an_id_wins() {
        let mut c = Customers::new("customers.journal");
        c.insert(
            "ann@example.com",
            Known::Id("c_1".into()),
            None,
            Some("+1 555-0100"),
        );
        c.insert(
            "phone:+15550199",
            Known::Unusable("failed".into()),
            None,
            None,
        );
        c.insert(
            "invalid:ab12:7",
            Known::Unusable("rejected".into()),
            Some("Bo@Example.com"),
            None,
        );
        c.insert(
            "hash:ff",
            Known::Id("c_2".into()),
            Some("bo@example.com"),
            None,
        );
        c.insert("order:#1", Known::Id("o_1".into()), None, None);
        assert_eq!(
            c.find(Some("ANN@example.com"), None),
            Some((&Known::Id("c_1".into()), "email"))
        );
        assert_eq!(
            c.find(None, Some("+1 (555) 0100")),
            Some((&Known::Id("c_1".into()), "phone"))
        );
        assert_eq!(
            c.find(None, Some("+15550199")),
            Some((&Known::Unusable("failed".into()), "phone"))
        );
        assert_eq!(
            c.find(Some("bo@example.com"), None),
            Some((&Known::Id("c_2".into()), "email")),
            "a refused line, then the same customer created: the id wins"
        );
        assert_eq!(
            c.find(Some("order:#1"), None),
            None,
            "an order is no customer"
        );
        assert_eq!(c.label, "customers.journal");
    }

    #[test]
    fn customers_are_found_by_email_then_by_phone() {
        let mut c = Customers::default();
        c.by_email
            .insert("ann@example.com".into(), Known::Id("c_1".into()));
        c.by_phone
            .insert("+15550100".into(), Known::Unusable("failed".into()));
        assert_eq!(
            c.find(Some(" Ann@Example.com "), None),
            Some((&Known::Id("c_1".into()), "email"))
        );
        assert_eq!(
            c.find(Some("bo@example.com"), Some("+1 555-0100")),
            Some((&Known::Unusable("failed".into()), "phone"))
        );
        assert_eq!(c.find(Some("bo@example.com"), None), None);
    }
}
