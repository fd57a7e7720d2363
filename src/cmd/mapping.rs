//! `storeload mapping`: prints the mapping storeload would use for an input,
//! as a mapping file the user can edit and pass back with `--mapping`.

use clap::Args as ClapArgs;

use super::common::SourceArgs;
use super::orders::Entity;
use crate::error::{CliError, Exit};
use crate::mapping::file::render;

/// Arguments of `storeload mapping`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    source: SourceArgs,

    /// What the input holds: customers, or orders (an orders mapping file).
    #[arg(long, value_enum, default_value_t = Entity::Customers)]
    entity: Entity,
}

/// Runs `storeload mapping`.
pub fn run(args: Args) -> Result<Exit, CliError> {
    if args.entity == Entity::Orders {
        let (_input, mapping) = super::orders::open(&args.source)?;
        let mut text = crate::order::file::render(&mapping);
        for col in &mapping.unmapped {
            text.push_str(&format!("# unmapped column: \"{col}\"\n"));
        }
        for (col, why) in &mapping.ignored {
            text.push_str(&format!("# left out on purpose: \"{col}\" ({why})\n"));
        }
        super::print(&text)?;
        return Ok(Exit::Ok);
    }
    let (_input, mapping) = args.source.open()?;
    let mut text = render(&mapping);
    for col in &mapping.unmapped {
        text.push_str(&format!("# unmapped column: \"{col}\"\n"));
    }
    for (col, why) in &mapping.ignored {
        text.push_str(&format!("# left out on purpose: \"{col}\" ({why})\n"));
    }
    super::print(&text)?;
    Ok(Exit::Ok)
}
