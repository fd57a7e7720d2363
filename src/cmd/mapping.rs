//! `storeload mapping`: prints the mapping storeload would use for an input,
//! as a mapping file the user can edit and pass back with `--mapping`; with
//! `--to`, it also says which mapped fields that platform never sends (the
//! platform's own `sent_fields`, as every report says it).

use clap::Args as ClapArgs;

use super::common::SourceArgs;
use crate::error::{CliError, Exit};
use crate::mapping::Field;
use crate::mapping::file::render;
use crate::platform::PlatformId;
use crate::run::Entity;
use crate::run::orders::refuse_unless_orders;

/// Arguments of `storeload mapping`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    source: SourceArgs,

    /// What the input holds: customers, or orders (an orders mapping file).
    #[arg(long, value_enum, default_value_t = Entity::Customers)]
    entity: Entity,

    /// The platform the file is for: mapped fields it never sends are named
    /// in a comment.
    #[arg(long, value_enum)]
    to: Option<PlatformId>,
}

/// Runs `storeload mapping`.
pub fn run(args: Args) -> Result<Exit, CliError> {
    if args.entity == Entity::Orders {
        if let Some(to) = args.to {
            refuse_unless_orders(to)?;
        }
        let (_input, mapping) = args.source.source().open_orders()?;
        let text = mapping.render();
        super::print(&with_notes(text, &mapping.unmapped, &mapping.ignored, ""))?;
        return Ok(Exit::Ok);
    }
    let (_input, mapping) = args.source.open()?;
    let not_sent = match args.to {
        Some(to) => {
            let platform = to.platform();
            let mut fields: Vec<String> = Vec::new();
            for (f, _) in &mapping.rules {
                let name = f.name();
                // A numbered address block is an address like the first.
                let as_sent = match f {
                    Field::AddressBlock(_, a) => Field::Address(*a).name(),
                    _ => name.clone(),
                };
                if platform.not_sent_reason(&as_sent).is_some() && !fields.contains(&name) {
                    fields.push(name);
                }
            }
            if fields.is_empty() {
                String::new()
            } else {
                format!(
                    "# not sent to {} (mapped, but its create-customer request has no such field): {}\n",
                    platform.display_name(),
                    fields.join(", ")
                )
            }
        }
        None => String::new(),
    };
    let text = render(&mapping) + &mapping.unnamed_notes();
    super::print(&with_notes(
        text,
        &mapping.unmapped,
        &mapping.ignored,
        &not_sent,
    ))?;
    Ok(Exit::Ok)
}

/// The mapping file's text with comments on what it leaves out.
fn with_notes<R: AsRef<str>>(
    mut text: String,
    unmapped: &[String],
    ignored: &[(String, R)],
    not_sent: &str,
) -> String {
    for col in unmapped {
        text.push_str(&format!("# unmapped column: \"{col}\"\n"));
    }
    for (col, why) in ignored {
        text.push_str(&format!(
            "# left out on purpose: \"{col}\" ({})\n",
            why.as_ref()
        ));
    }
    text.push_str(not_sent);
    text
}
