//! Arguments shared by the commands that read an input (validate, mapping,
//! import): where it is, its format, and how to map it.

use std::path::PathBuf;

use clap::Args;

use crate::error::CliError;
use crate::mapping::{self, Mapping, Origin, presets};
use crate::platform::PlatformId;
use crate::read::{self, Format, Input, ReadOptions};
use crate::values::PhoneFormat;

/// The input and how to read and map it.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// CSV or JSONL file, optionally gzip-compressed; `-` for stdin.
    pub input: String,

    /// Input format; by default from the extension, else from the content.
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// CSV delimiter: one character, or `tab`; detected from the header by default.
    #[arg(long, value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,

    /// Built-in preset to map columns with (see `storeload presets`).
    #[arg(long, conflicts_with = "mapping")]
    pub preset: Option<String>,

    /// Mapping file (TOML): canonical field = source column.
    #[arg(long, value_name = "FILE.toml")]
    pub mapping: Option<PathBuf>,

    /// Phones: keep them as written (trimmed), or send them in E.164,
    /// parsed with the record's country; one that does not parse is left
    /// out, with a warning.
    #[arg(long, value_enum, default_value_t = PhoneFormat::Keep)]
    pub phone: PhoneFormat,
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(format!(
            "could not use '{s}' as a delimiter: give one ASCII character such as , ; | or tab"
        )),
    }
}

impl SourceArgs {
    /// Opens the input and chooses its mapping.
    pub fn open(&self) -> Result<(Input, Mapping), CliError> {
        let input = read::open(
            &self.input,
            &ReadOptions {
                format: self.format,
                delimiter: self.delimiter,
            },
        )?;
        let mut input = input;
        let mut mapping = self.mapping_for(&input)?;
        mapping.phone = self.phone;
        if let Some(key) = mapping.continuation_index() {
            // Continuation rows (Magento) travel with the row they continue.
            let records = std::mem::replace(&mut input.records, read::Records::empty());
            input.records = records.continued(key);
        }
        Ok((input, mapping))
    }

    fn mapping_for(&self, input: &Input) -> Result<Mapping, CliError> {
        if let Some(path) = &self.mapping {
            return mapping::file::load_for(path, input);
        }
        if let Some(name) = &self.preset {
            let preset = presets::by_name(name).ok_or_else(|| {
                CliError::usage(format!(
                    "no preset called \"{name}\"; presets are: {}",
                    presets::PRESETS
                        .iter()
                        .map(|p| p.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            return preset.bind_input(Origin::Preset(preset.name), input);
        }
        // An orders export read as customers would "validate" order numbers
        // as names: say what it is instead.
        if let Some(p) = crate::order::presets::ORDER_PRESETS.iter().find(|p| {
            p.required
                .iter()
                .all(|r| input.columns.iter().any(|c| c == r))
        }) {
            return Err(CliError::usage(format!(
                "{}: this is an orders file (its header fits the orders preset {}: {}), not customers\n\nAdd --entity orders to read it as orders (bitbybit only), or name a customers preset with --preset or a mapping file with --mapping.",
                input.label,
                p.name,
                p.required.join(", ")
            )));
        }
        if input.columns.is_empty() {
            // An empty JSONL input: nothing to detect from, nothing to map.
            return presets::GENERIC.bind_input(Origin::Detected("generic"), input);
        }
        match presets::detect(&input.columns, &input.label) {
            Ok(preset) => preset.bind_input(Origin::Detected(preset.name), input),
            Err(no_preset) => {
                // No preset fits: match columns by their names, or explain.
                let rules = mapping::auto::infer(&input.columns);
                if rules.is_empty() {
                    return Err(no_preset);
                }
                Mapping::bind(
                    Origin::Auto,
                    rules,
                    false,
                    Vec::new(),
                    &input.columns,
                    &input.label,
                )
            }
        }
    }
}

/// The `--to` argument.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// The platform whose rules apply.
    #[arg(long, value_enum)]
    pub to: PlatformId,
}
