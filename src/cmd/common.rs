//! Arguments shared by the commands that read an input (validate, mapping,
//! import): where it is, its format, and how to map it.

use std::path::{Path, PathBuf};

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

    /// The most bytes one record may take (a CSV row, a JSONL line, an
    /// element of a JSON document); a longer one is a violation naming its
    /// line, and reading goes on with the next record.
    #[arg(long, value_name = "BYTES", default_value_t = read::DEFAULT_MAX_RECORD_BYTES)]
    pub max_record_bytes: usize,
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
                max_record_bytes: Some(self.max_record_bytes),
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
}

/// The `--to` argument.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// The platform whose rules apply.
    #[arg(long, value_enum)]
    pub to: PlatformId,
}

/// The report paths of a run, as `(flag, path)` pairs for
/// [`crate::report::output::refuse_run_files`].
pub fn report_paths(outputs: &crate::report::Outputs) -> Vec<(&'static str, &Path)> {
    [
        ("--json", &outputs.json),
        ("--rejects", &outputs.rejects),
        ("--html", &outputs.html),
    ]
    .into_iter()
    .filter_map(|(flag, p)| p.as_deref().map(|p| (flag, p)))
    .collect()
}

/// Whether any report of a run goes to standard output (`-`): the terminal
/// report then goes to stderr so the two do not mix.
pub fn any_on_stdout(outputs: &[(&str, &Path)]) -> bool {
    outputs
        .iter()
        .any(|(_, p)| crate::report::output::is_stdout(p))
}

/// The files a run reads or keeps, which no report of it may overwrite: the
/// input, the mapping file, the orders' variants and customers journal, and
/// (for an import) the journal and its stdin spool.
pub fn run_files(
    source: &SourceArgs,
    orders: &super::orders::OrderArgs,
    journal: Option<&Path>,
) -> Vec<(&'static str, PathBuf)> {
    let mut files = Vec::new();
    if source.input != "-" {
        files.push(("the input", PathBuf::from(&source.input)));
    }
    if let Some(m) = &source.mapping {
        files.push(("the mapping file", m.clone()));
    }
    if let Some(v) = &orders.variants {
        files.push(("the variants file", v.clone()));
    }
    if let Some(c) = &orders.customers_journal {
        files.push(("the customers journal", c.clone()));
    }
    if let Some(j) = journal {
        files.push(("the journal", j.to_path_buf()));
        files.push(("the stdin spool", spool_path(j)));
    }
    files
}

/// Where input from stdin is spooled for the journal at `journal`: beside
/// it, with `.input` added (DECISIONS.md "Speed").
pub fn spool_path(journal: &Path) -> PathBuf {
    let mut path = journal.as_os_str().to_owned();
    path.push(".input");
    PathBuf::from(path)
}

/// Refuses any of `outputs` naming one of the run's own files (exit 2,
/// naming both): the one guard of validate, import, resume and rejects.
pub fn refuse_clobbering(
    outputs: &[(&str, &Path)],
    run_files: &[(&'static str, PathBuf)],
) -> Result<(), CliError> {
    let files: Vec<(&str, &Path)> = run_files.iter().map(|(w, p)| (*w, p.as_path())).collect();
    crate::report::output::refuse_run_files(outputs, &files)
}
