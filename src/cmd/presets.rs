//! `storeload presets`: lists the built-in presets and the columns each reads.

use clap::Args as ClapArgs;

use crate::error::{CliError, Exit};
use crate::mapping::presets::PRESETS;
use crate::order::presets::ORDER_PRESETS;

/// Arguments of `storeload presets` (none).
#[derive(Debug, ClapArgs)]
pub struct Args {}

/// Runs `storeload presets`.
pub fn run(_args: Args) -> Result<Exit, CliError> {
    let mut out = String::new();
    for p in PRESETS {
        out.push_str(&format!("{}: {}\n", p.name, p.description));
        out.push_str(&format!(
            "  detected when the header has: {}\n",
            p.signature
                .iter()
                .map(|set| set.join(" + "))
                .collect::<Vec<_>>()
                .join(", or ")
        ));
        for (field, candidates) in p.columns {
            let cols = candidates
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(" or ");
            out.push_str(&format!("  {:<22} ← {cols}\n", field.name()));
        }
        for (field, prefix) in p.blocks {
            out.push_str(&format!(
                "  address.{:<14} ← \"{prefix} - 1\" (and \"{prefix} - 2\", … one address per block)\n",
                field.name()
            ));
        }
        if let Some(col) = p.continuation {
            out.push_str(&format!(
                "  a row whose \"{col}\" is blank adds an address to the customer above it\n"
            ));
        }
        for (col, why) in p.ignored {
            out.push_str(&format!("  left out: \"{col}\" ({why})\n"));
        }
        if p.nested_addresses {
            out.push_str(
                "  JSONL: a nested \"addresses\" array of objects with the address field names\n",
            );
        }
        out.push('\n');
    }
    out.push_str(
        "auto-mapper: any other header (storeload's own snake_case names included): each column is matched to a field by its name (e.g. \"E-mail Address\", \"Phone 1\", \"Postcode\", \"first_name\"); it also maps the columns a detected preset leaves unmapped\n\n",
    );
    out.push_str("Orders presets (validate/import --entity orders, bitbybit):\n\n");
    for p in ORDER_PRESETS {
        out.push_str(&format!("{}: {}\n", p.name, p.description));
        out.push_str(&format!(
            "  detected when the header has: {}\n",
            p.required.join(", ")
        ));
        for (field, column) in p.rules {
            out.push_str(&format!("  {:<30} ← \"{column}\"\n", field.name()));
        }
        for (col, why) in p.ignored {
            out.push_str(&format!("  left out: \"{col}\" ({why})\n"));
        }
        out.push('\n');
    }
    super::print(&out)?;
    Ok(Exit::Ok)
}
