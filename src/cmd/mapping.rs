//! `storeload mapping`: prints the mapping storeload would use for an input,
//! as a mapping file the user can edit and pass back with `--mapping`; with
//! `--to`, it also says which mapped fields that platform never sends.

use clap::Args as ClapArgs;

use super::common::SourceArgs;
use super::orders::Entity;
use crate::error::{CliError, Exit};
use crate::mapping::Field;
use crate::mapping::file::render;
use crate::platform::PlatformId;

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
            super::orders::refuse_unless_orders(to)?;
        }
        let (_input, mapping) = super::orders::open(&args.source)?;
        let text = crate::order::file::render(&mapping);
        super::print(&with_notes(text, &mapping.unmapped, &mapping.ignored, ""))?;
        return Ok(Exit::Ok);
    }
    let (_input, mapping) = args.source.open()?;
    let not_sent = match args.to {
        Some(to) => {
            let platform = to.platform();
            let fields: Vec<String> = mapping
                .rules
                .iter()
                .map(|(f, _)| *f)
                .filter(|f| !platform.sends_field(&finding_path(*f)))
                .map(Field::name)
                .collect();
            if fields.is_empty() {
                String::new()
            } else {
                format!(
                    "# not sent to {} (mapped, checked by no rule of it): {}\n",
                    platform.display_name(),
                    fields.join(", ")
                )
            }
        }
        None => String::new(),
    };
    let text = render(&mapping);
    super::print(&with_notes(
        text,
        &mapping.unmapped,
        &mapping.ignored,
        &not_sent,
    ))?;
    Ok(Exit::Ok)
}

/// The path findings use for a field (`addresses[0].city` for an address
/// field), which `Platform::sends_field` answers for.
fn finding_path(field: Field) -> String {
    match field {
        Field::Address(a) => format!("addresses[0].{}", a.name()),
        Field::AddressBlock(n, a) => format!("addresses[{}].{}", n - 1, a.name()),
        other => other.name(),
    }
}

/// The mapping file's text with comments on what it leaves out.
fn with_notes(
    mut text: String,
    unmapped: &[String],
    ignored: &[(String, &'static str)],
    not_sent: &str,
) -> String {
    for col in unmapped {
        text.push_str(&format!("# unmapped column: \"{col}\"\n"));
    }
    for (col, why) in ignored {
        text.push_str(&format!("# left out on purpose: \"{col}\" ({why})\n"));
    }
    text.push_str(not_sent);
    text
}
