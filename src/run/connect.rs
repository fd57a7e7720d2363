//! Where a run sends: the credentials (from the environment, or the
//! in-process sandbox's), the base URL and its check, the endpoint the
//! platform builds its requests for, and the destination the journal's
//! header names (never a credential).

use crate::error::CliError;
use crate::journal::Destination;
use crate::platform::{Credentials, Endpoint, Platform, PlatformId, bigcommerce, bitbybit};
use crate::sandbox::{self, SandboxHandle};

use super::plan::{RunPlan, SendOptions};

/// A run's destination, reached: the endpoint, the destination its
/// journal records, and the in-process sandbox when the run started one.
pub struct Connection {
    /// Where requests go, with the credentials.
    pub endpoint: Endpoint,
    /// What the journal's header names.
    pub destination: Destination,
    /// The in-process sandbox (`--sandbox`), stopped at the end of the run.
    pub sandbox: Option<SandboxHandle>,
}

/// Reaches the plan's destination: starts the in-process sandbox with its
/// credentials, or reads the credentials from the environment (a missing
/// variable fails here, before any reading).
pub fn connect(
    plan: &RunPlan,
    runtime: &tokio::runtime::Runtime,
    quiet: bool,
) -> Result<Connection, CliError> {
    let platform = plan.platform();
    let (credentials, base_url, handle) = if plan.sandbox {
        let handle = runtime
            .block_on(sandbox::start(sandbox::SandboxConfig::default()))
            .map_err(|e| CliError::usage(format!("cannot start the sandbox: {e}")))?;
        let url = handle.base_url(plan.to.as_str());
        if !quiet {
            crate::say!("storeload: importing into the in-process sandbox at {url}");
        }
        (platform.sandbox_credentials(), url, Some(handle))
    } else {
        let credentials = platform.credentials_from_env()?;
        let url = base_url(platform, plan.send.base_url.as_deref(), &credentials)?;
        (credentials, url, None)
    };
    let destination = Destination {
        platform: plan.to.as_str().to_string(),
        base_url: if plan.sandbox {
            // A fresh in-process sandbox each run: its port means nothing.
            "in-process sandbox".to_string()
        } else {
            base_url.clone()
        },
        store: credentials.store_hash.clone(),
    };
    Ok(Connection {
        endpoint: endpoint(base_url, credentials, &plan.send),
        destination,
        sandbox: handle,
    })
}

/// The credentials from the environment and the base URL of `to`, for the
/// commands that only ask (`check`, `reconcile`).
pub fn from_env(
    to: PlatformId,
    base_url_flag: Option<&str>,
) -> Result<(String, Credentials), CliError> {
    let platform = to.platform();
    let credentials = platform.credentials_from_env()?;
    let url = base_url(platform, base_url_flag, &credentials)?;
    Ok((url, credentials))
}

/// `--base-url` checked, else the platform's own.
fn base_url(
    platform: &dyn Platform,
    flag: Option<&str>,
    credentials: &Credentials,
) -> Result<String, CliError> {
    match flag {
        Some(u) => check_base_url(u),
        None => Ok(platform.default_base_url(credentials)),
    }
}

/// The endpoint at `base_url` with `credentials` and the options of one
/// platform the plan carries (`--notify`, `--key-header`); each platform
/// reads its own.
pub fn endpoint(base_url: String, credentials: Credentials, send: &SendOptions) -> Endpoint {
    Endpoint::new(base_url, credentials)
        .with_option(bigcommerce::NOTIFY_OPTION, send.notify)
        .with_option(bitbybit::KEY_HEADER_OPTION, send.key_header.clone())
}

/// A plain `http://` URL is only allowed to loopback (the sandbox).
pub fn check_base_url(url: &str) -> Result<String, CliError> {
    let parsed = url::Url::parse(url)
        .map_err(|e| CliError::usage(format!("--base-url {url}: not a URL ({e})")))?;
    match parsed.scheme() {
        "https" => {}
        "http" => {
            let loopback = match parsed.host() {
                Some(url::Host::Domain(d)) => d == "localhost",
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if !loopback {
                return Err(CliError::usage(format!(
                    "--base-url {url}: plain http is refused except to loopback; credentials would travel unencrypted. Use https://"
                )));
            }
        }
        other => {
            return Err(CliError::usage(format!(
                "--base-url {url}: scheme {other} is not http(s)"
            )));
        }
    }
    Ok(url.trim_end_matches('/').to_string())
}
