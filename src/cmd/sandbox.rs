//! `storeload sandbox`: runs the local stand-in for the three platforms
//! (see `crate::sandbox`) until Ctrl-C, after printing each platform's base
//! URL and the credentials it accepts as lines to paste into a shell.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args as ClapArgs;

use crate::error::{CliError, Exit};
use crate::sandbox::{self, FaultSpec, Quota, SandboxConfig, SandboxHandle};

/// Arguments of `storeload sandbox`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// Address to listen on. Loopback by default: the sandbox's credentials
    /// are public, so anyone who can reach it can use it.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8700")]
    pub listen: SocketAddr,
    /// Requests per fixed window, per platform and credential (e.g. 150/30s,
    /// 50/1s, 100/1m); past it, 429 with the platform's headers.
    #[arg(long, value_name = "REQUESTS/WINDOW")]
    pub quota: Option<Quota>,
    /// Milliseconds added to every answer.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency: u64,
    /// Faults to inject, e.g. 500=0.05,503=0.02,429=0.02,reset=0.01,lost=0.01,slow=0.01,partial=0.1;
    /// search_lag=SECS shows a bitbybit customer in search only SECS after it was stored.
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<FaultSpec>,
    /// Seed of the fault dice and generated ids (same seed, same faults).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// bitbybit's product variants: a CSV with the columns product_variant_id, sku,
    /// price and, optionally, key and title.
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
    /// How long a `slow` fault holds its answer back, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    pub slow_ms: u64,
    /// BigCommerce: answer 429 (no quota headers) past this many requests in flight.
    #[arg(long, value_name = "N")]
    pub max_concurrency: Option<usize>,
}

/// Runs `storeload sandbox` until Ctrl-C.
pub fn run(args: Args) -> Result<Exit, CliError> {
    let catalog = match &args.catalog {
        Some(path) => {
            Some(sandbox::load_catalog(path).map_err(|e| CliError::usage(e.to_string()))?)
        }
        None => None,
    };
    if !args.listen.ip().is_loopback() {
        eprintln!(
            "storeload: warning: listening on {}, which is not loopback: anyone who can reach it can use the sandbox's published credentials",
            args.listen
        );
    }
    let config = SandboxConfig {
        listen: args.listen,
        quota: args.quota,
        latency: Duration::from_millis(args.latency),
        faults: args.faults.unwrap_or_default(),
        seed: args.seed,
        catalog,
        slow_delay: Duration::from_millis(args.slow_ms),
        max_concurrency: args.max_concurrency,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::usage(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let handle = sandbox::start(config.clone())
            .await
            .map_err(|e| CliError::usage(format!("cannot listen on {}: {e}", config.listen)))?;
        super::print(&banner(&handle, &config))?;
        let stopped = tokio::signal::ctrl_c().await;
        handle.stop().await;
        match stopped {
            // Stopped by Ctrl-C, as every command reports it (DECISIONS.md).
            Ok(()) => Ok(Exit::Interrupted),
            Err(e) => Err(CliError::usage(format!("cannot wait for Ctrl-C: {e}"))),
        }
    })
}

/// What the sandbox prints on start: base URLs, credentials, settings.
fn banner(handle: &SandboxHandle, config: &SandboxConfig) -> String {
    let mut s = format!(
        "storeload sandbox listening on http://{}\n\n",
        handle.addr()
    );
    s.push_str(&format!(
        "# BigCommerce   --base-url {}\nexport BIGCOMMERCE_STORE_HASH={}\nexport BIGCOMMERCE_ACCESS_TOKEN={}\n# read-only token (403 on writes): {}\n\n",
        handle.base_url("bigcommerce"),
        sandbox::BIGCOMMERCE_STORE_HASH,
        sandbox::BIGCOMMERCE_ACCESS_TOKEN,
        sandbox::BIGCOMMERCE_READONLY_TOKEN,
    ));
    s.push_str(&format!(
        "# Salesive      --base-url {}\nexport SALESIVE_APP_TOKEN={}\n# read-only token (403 on writes): {}\n\n",
        handle.base_url("salesive"),
        sandbox::SALESIVE_APP_TOKEN,
        sandbox::SALESIVE_READONLY_TOKEN,
    ));
    s.push_str(&format!(
        "# bitbybit      --base-url {}\nexport BITBYBIT_API_KEY={}\n# refused keys: {} (403 INSUFFICIENT_SCOPE), {} (400 MISSING_COMPANY_ID), {} (403 IP_NOT_ALLOWED)\n\n",
        handle.base_url("bitbybit"),
        sandbox::BITBYBIT_API_KEY,
        sandbox::BITBYBIT_NOSCOPE_KEY,
        sandbox::BITBYBIT_NOCOMPANY_KEY,
        sandbox::BITBYBIT_IP_BLOCKED_KEY,
    ));
    let quota = config
        .quota
        .map_or_else(|| "none".to_string(), |q| q.to_string());
    s.push_str(&format!(
        "# quota {quota}, latency {} ms, faults {}, seed {}\n",
        config.latency.as_millis(),
        config.faults,
        config.seed
    ));
    s.push_str(&format!(
        "# what it holds: http://{0}/_sandbox/stats, http://{0}/_sandbox/customers?platform=bigcommerce, http://{0}/_sandbox/orders\n",
        handle.addr()
    ));
    s.push_str("# Ctrl-C to stop\n");
    s
}
