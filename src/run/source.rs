//! The input of a run and how to read and map it ([`Source`]): opened as
//! customers or as orders, and the orders' first pass.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::error::CliError;
use crate::mapping::{self, Mapping, Origin, presets};
use crate::order::group::{Groups, split_keys};
use crate::order::mapping::OrderMapping;
use crate::read::{self, Encoding, Format, Input, ReadOptions};
use crate::values::PhoneFormat;

/// The input and how to read and map it: what `--format`, `--delimiter`,
/// `--preset`, `--mapping`, `--phone`, `--max-record-bytes` and
/// `--encoding` said.
#[derive(Debug, Clone)]
pub struct Source {
    /// CSV or JSONL file, optionally gzip-compressed; `-` for stdin.
    pub input: String,
    /// Input format; `None`: from the extension, else from the content.
    pub format: Option<Format>,
    /// CSV delimiter; `None`: detected from the header.
    pub delimiter: Option<u8>,
    /// Built-in preset to map columns with.
    pub preset: Option<String>,
    /// Mapping file (TOML).
    pub mapping: Option<PathBuf>,
    /// Phones kept as written, or sent in E.164.
    pub phone: PhoneFormat,
    /// The most bytes one record may take.
    pub max_record_bytes: usize,
    /// The input's text encoding.
    pub encoding: Encoding,
}

impl Source {
    /// How the readers open the input.
    fn read_options(&self) -> ReadOptions {
        ReadOptions {
            format: self.format,
            delimiter: self.delimiter,
            max_record_bytes: Some(self.max_record_bytes),
            encoding: self.encoding,
        }
    }

    /// Opens the input as customers and chooses its mapping.
    pub fn open(&self) -> Result<(Input, Mapping), CliError> {
        let mut input = read::open(&self.input, &self.read_options())?;
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
                    "no preset called \"{name}\"; presets are: {} (without --preset, columns no preset claims, such as storeload's own snake_case names, are mapped by their names)",
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
        // A preset by its distinctive columns, else the auto-mapper.
        mapping::detect(input)
    }

    /// Opens the input as orders and chooses its mapping.
    pub fn open_orders(&self) -> Result<(Input, OrderMapping), CliError> {
        let input = read::open(&self.input, &self.read_options())?;
        let mapping =
            OrderMapping::choose(&input, self.preset.as_deref(), self.mapping.as_deref())?;
        Ok((input, mapping))
    }

    /// The first pass over a file input of orders: the keys whose orders
    /// are not together. `None` for stdin, which cannot be read twice (a
    /// later part is then refused, the first part not).
    pub fn first_pass(
        &self,
        input: &Input,
        mapping: &OrderMapping,
    ) -> Result<Option<HashMap<String, Vec<u64>>>, CliError> {
        if input.path.is_none() {
            return Ok(None);
        }
        let again = read::open(&self.input, &self.read_options())?;
        Ok(Some(split_keys(
            Groups::new(again.records, mapping),
            mapping,
        )))
    }
}
