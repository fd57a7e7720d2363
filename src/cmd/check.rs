//! `storeload check`: a pre-flight that stores nothing: credentials present
//! and accepted, the scopes an import needs where they can be seen, and the
//! quota the platform reports ([`crate::run::preflight`], which `import`
//! runs before it reads its input, so bad credentials fail in a second).

use std::time::Duration;

use clap::Args as ClapArgs;

use crate::error::{CliError, Exit};
use crate::platform::{PlatformId, Rate};
use crate::run::connect;
use crate::run::plan::{DEFAULT_KEY_HEADER, SendOptions};
use crate::run::preflight::{Pacing, preflight};

/// Arguments of `storeload check`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The platform to check.
    #[arg(long, value_enum)]
    to: PlatformId,

    /// Base URL of the platform's API (default: the one in its spec).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,

    /// bitbybit: the API key header (default x-api-key).
    #[arg(long, value_name = "NAME", value_parser = super::common::parse_header_name)]
    key_header: Option<String>,

    /// Requests per window an import would pace at, e.g. 100/1s; the last
    /// line then says that pace (default: the platform's quota).
    #[arg(long, value_name = "N/DURATION")]
    rate: Option<Rate>,

    /// Seconds to wait for each answer.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    timeout: u64,
}

/// Runs `storeload check`.
pub fn run(args: Args) -> Result<Exit, CliError> {
    let platform = args.to.platform();
    let (base_url, credentials) = connect::from_env(args.to, args.base_url.as_deref())?;
    let send = SendOptions {
        key_header: args
            .key_header
            .unwrap_or_else(|| DEFAULT_KEY_HEADER.to_string()),
        ..SendOptions::default()
    };
    let endpoint = connect::endpoint(base_url, credentials, &send);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::usage(format!("cannot start the async runtime: {e}")))?;
    let (lines, _) = runtime.block_on(preflight(
        platform,
        &endpoint,
        Duration::from_secs(args.timeout),
        None,
        Pacing {
            fixed: args.rate,
            ..Pacing::default()
        },
    ))?;
    super::print(&lines.join("\n"))?;
    super::print("\n")?;
    Ok(Exit::Ok)
}
