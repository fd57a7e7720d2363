//! Linking an order to what bitbybit already holds: `Variants` resolves a
//! line item's SKU to a product variant id (`--variants FILE.csv`), and
//! `Customers` resolves the order's email or phone to the id a customers
//! import journaled (`--customers-journal`), or says why it cannot.

use std::collections::HashMap;
use std::path::Path;

use crate::error::CliError;
use crate::journal::{self, RecordState};
use crate::values::{normalise_email, phone_key};

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
    /// Reads the customers journal at `path` (an import into bitbybit).
    pub fn load(path: &Path) -> Result<Customers, CliError> {
        let label = path.display().to_string();
        let replay = journal::replay(path)
            .map_err(|e| CliError::usage(format!("--customers-journal {label}: {e}")))?;
        if let Some(h) = replay.header() {
            if h.platform != "bitbybit" {
                return Err(CliError::usage(format!(
                    "--customers-journal {label}: is an import into {}, not bitbybit; its ids mean nothing to bitbybit",
                    h.platform
                )));
            }
            if h.entity != "customers" {
                return Err(CliError::usage(format!(
                    "--customers-journal {label}: is a journal of {}, not customers",
                    h.entity
                )));
            }
        }
        let mut out = Customers {
            label,
            ..Customers::default()
        };
        for (key, state) in &replay.records {
            let known = match state {
                RecordState::Created { id, .. } | RecordState::Exists { id: Some(id), .. } => {
                    Known::Id(id.clone())
                }
                RecordState::Exists { id: None, .. } => Known::Unusable(
                    "already in bitbybit, but the journal has no id for it (run storeload reconcile on the customers journal)".into(),
                ),
                RecordState::Rejected { reasons, .. } => Known::Unusable(format!(
                    "rejected ({}); fix the customer and import it first",
                    reasons
                        .iter()
                        .map(|r| r.rule.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                RecordState::Failed { .. } => Known::Unusable(
                    "failed (resume the customers import first)".into(),
                ),
                RecordState::Sent { .. } | RecordState::InDoubt { .. } => Known::Unusable(
                    "in doubt (settle it with storeload reconcile or resume first)".into(),
                ),
            };
            let (email, phone) = match state {
                RecordState::Created { email, phone, .. }
                | RecordState::Rejected { email, phone, .. } => (email.clone(), phone.clone()),
                _ => (None, None),
            };
            if let Some(p) = key.strip_prefix("phone:") {
                put(&mut out.by_phone, p.to_string(), known.clone());
            } else if !key.starts_with("hash:")
                && !key.starts_with("invalid:")
                && !key.starts_with("order:")
            {
                put(&mut out.by_email, key.clone(), known.clone());
            }
            if let Some(e) = email {
                put(&mut out.by_email, normalise_email(&e), known.clone());
            }
            if let Some(p) = phone {
                put(&mut out.by_phone, phone_key(&p), known);
            }
        }
        Ok(out)
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
