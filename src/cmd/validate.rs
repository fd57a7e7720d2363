//! `storeload validate`: read → map → validate → report; sends nothing.
//! Exit 0 when every record is valid, 1 when some are not (reports are still
//! written), 2 for a usage error or an unreadable input.

use std::path::PathBuf;

use clap::Args as ClapArgs;

use super::common::{OrderArgs, SourceArgs, TargetArgs};
use crate::error::{CliError, Exit};
use crate::platform::PlatformId;
use crate::read;
use crate::report::{self, Context, Outputs, Report};
use crate::run::files::{refuse_clobbering, run_files};
use crate::run::orders::order_context;
use crate::run::{Entity, OrderOptions, Source};
use crate::validate::pipeline::{self, CheckOptions};

/// Arguments of `storeload validate`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    source: SourceArgs,

    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    orders: OrderArgs,

    /// Treat every warning as a violation.
    #[arg(long)]
    strict: bool,

    /// Write the whole result, every violation, as JSON.
    #[arg(long, value_name = "PATH")]
    json: Option<PathBuf>,

    /// Write the invalid rows, as read, plus `_line` and `_errors`.
    #[arg(long, value_name = "PATH")]
    rejects: Option<PathBuf>,

    /// Write a self-contained HTML page with a chart of violations by rule.
    #[arg(long, value_name = "PATH")]
    html: Option<PathBuf>,

    /// Print only the counts, not the mapping.
    #[arg(long, short)]
    quiet: bool,
}

/// Runs `storeload validate`.
pub fn run(args: Args) -> Result<Exit, CliError> {
    let outputs = Outputs {
        json: args.json,
        rejects: args.rejects,
        html: args.html,
    };
    let source = args.source.source();
    let orders = args.orders.options();
    orders.check(args.target.to)?;
    let paths = super::common::report_paths(&outputs);
    refuse_clobbering(&paths, &run_files(&source, &orders, None))?;
    let on_stdout = super::common::any_on_stdout(&paths);
    if orders.entity == Entity::Orders {
        return validate_orders(
            &source,
            args.target.to,
            &orders,
            args.strict,
            &outputs,
            args.quiet,
            on_stdout,
        );
    }
    let platform = args.target.to.platform();
    let (mut input, mapping) = source.open()?;
    let context = Context::new(&input, &mapping, platform);
    let mut report = Report::new(&context, &input, platform, &outputs)?;
    let records = std::mem::replace(&mut input.records, read::Records::empty());
    let no_files = outputs.rejects.is_none() && outputs.json.is_none() && outputs.html.is_none();
    let options = CheckOptions {
        strict: args.strict,
        lean: true,
        // The JSON and HTML reports show example rows as read.
        drop_rows: no_files,
        // Nor texts: the terminal shows each rule's count and lines.
        drop_texts: no_files,
    };
    pipeline::run(records, &mapping, platform, options, |checked| {
        report.add(&checked);
        true
    });
    let summary = report.finish()?;
    let text = report::terminal(&context, platform, &summary);
    terminal_report(&quiet_text(text, args.quiet), on_stdout)?;
    Ok(if summary.invalid == 0 {
        Exit::Ok
    } else {
        Exit::Incomplete
    })
}

/// `storeload validate --entity orders`.
fn validate_orders(
    source: &Source,
    to: PlatformId,
    orders: &OrderOptions,
    strict: bool,
    outputs: &Outputs,
    quiet: bool,
    on_stdout: bool,
) -> Result<Exit, CliError> {
    let platform = to.platform();
    let links = orders.load(to)?;
    let (mut input, mapping) = source.open_orders()?;
    let split = source.first_pass(&input, &mapping)?;
    let context = Context::for_orders(&input, &mapping, platform);
    let mut report = Report::new(&context, &input, platform, outputs)?;
    let records = std::mem::replace(&mut input.records, read::Records::empty());
    let ctx = order_context(&mapping, &links, split.as_ref(), strict);
    crate::validate::orders::run(records, &ctx, |checked| {
        report.add_order(&checked);
        true
    });
    let summary = report.finish()?;
    let text = report::terminal(&context, platform, &summary);
    terminal_report(&quiet_text(text, quiet), on_stdout)?;
    Ok(if summary.invalid == 0 {
        Exit::Ok
    } else {
        Exit::Incomplete
    })
}

/// The terminal report, or with `--quiet` only its counts onwards.
pub fn quiet_text(text: String, quiet: bool) -> String {
    if !quiet {
        return text;
    }
    text.lines()
        .skip_while(|l| !l.starts_with("rows read"))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Prints the terminal report: on stdout, or on stderr when a report file
/// goes to stdout (`-`), so that file stays whole.
/// Violations are painted red and warnings yellow where that stream takes
/// colour (`--color`, `NO_COLOR`, a terminal).
pub fn terminal_report(text: &str, on_stdout: bool) -> Result<(), CliError> {
    use crate::term::Stream;
    if on_stdout {
        super::eprint(&painted(text, Stream::Stderr));
        Ok(())
    } else {
        super::print(&painted(text, Stream::Stdout))
    }
}

/// The terminal report with its violation and warning headings, and a
/// non-zero invalid count, in colour when `stream` takes it.
fn painted(text: &str, stream: crate::term::Stream) -> String {
    use crate::term::{Paint, colored, paint};
    if !colored(stream) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let invalid = body
            .strip_prefix("invalid ")
            .is_some_and(|n| n.trim().parse::<u64>().is_ok_and(|n| n > 0));
        let kind = match body {
            "violations by rule:" => Some(Paint::Fail),
            "warnings by rule:" => Some(Paint::Warn),
            _ if invalid => Some(Paint::Fail),
            _ => None,
        };
        match kind {
            Some(kind) => {
                out.push_str(&paint(stream, kind, body));
                out.push_str(&line[body.len()..]);
            }
            None => out.push_str(line),
        }
    }
    out
}
