//! Arguments shared by the commands that read an input (validate, mapping,
//! import): where it is, its format, how to map it, and what it holds;
//! each turned into the library's plain options (`crate::run`).

use std::path::{Path, PathBuf};

use clap::Args;

use crate::error::CliError;
use crate::mapping::Mapping;
use crate::platform::PlatformId;
use crate::read::{self, Format, Input};
use crate::run::{Entity, OrderOptions, Source};
use crate::values::PhoneFormat;

/// The input and how to read and map it.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// CSV, JSONL or JSON (an array of objects, or an object holding one)
    /// file, optionally gzip-compressed; `-` for stdin.
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

    /// The input's text encoding: UTF-8, or Windows-1252 (also Latin-1),
    /// what Excel's plain "CSV" writes on Windows.
    #[arg(long, value_enum, default_value_t = read::Encoding::Utf8)]
    pub encoding: read::Encoding,
}

/// `--key-header NAME`: a name a request header can have (a header that
/// cannot be built would be left off the request, and the platform would
/// answer that no key was sent).
pub(super) fn parse_header_name(s: &str) -> Result<String, String> {
    let name = s.trim();
    match reqwest::header::HeaderName::from_bytes(name.as_bytes()) {
        Ok(_) => Ok(name.to_string()),
        Err(_) => Err(format!(
            "could not use '{s}' as a header name: a header name is letters, digits and - (no spaces), e.g. x-api-key"
        )),
    }
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
    /// The input and how to read it, as the library takes it.
    pub fn source(&self) -> Source {
        Source {
            input: self.input.clone(),
            format: self.format,
            delimiter: self.delimiter,
            preset: self.preset.clone(),
            mapping: self.mapping.clone(),
            phone: self.phone,
            max_record_bytes: self.max_record_bytes,
            encoding: self.encoding,
        }
    }

    /// Opens the input and chooses its mapping.
    pub fn open(&self) -> Result<(Input, Mapping), CliError> {
        self.source().open()
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

/// The options of `--entity orders`.
#[derive(Debug, Clone, Default, Args)]
pub struct OrderArgs {
    /// What the input holds: customers, or orders (bitbybit only).
    #[arg(long, value_enum, default_value_t = Entity::Customers)]
    pub entity: Entity,

    /// Orders: a CSV `sku,product_variant_id` resolving line items' SKUs.
    #[arg(long, value_name = "FILE.csv")]
    pub variants: Option<PathBuf>,

    /// Orders: the journal of an earlier customers import into bitbybit;
    /// each order goes to the customer id it journaled for the order's
    /// email (else phone).
    #[arg(long, value_name = "JOURNAL")]
    pub customers_journal: Option<PathBuf>,
}

impl OrderArgs {
    /// The orders' options, as the library takes them.
    pub fn options(&self) -> OrderOptions {
        OrderOptions {
            entity: self.entity,
            variants: self.variants.clone(),
            customers_journal: self.customers_journal.clone(),
        }
    }
}
