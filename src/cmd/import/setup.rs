//! Setting a run up: stdin spooled beside the journal, the sandbox's
//! credentials, and the base URL check.

use std::path::Path;

use crate::error::CliError;
use crate::platform::{Credentials, PlatformId};
use crate::sandbox;

/// Input from stdin is spooled beside the journal, so a resume has it and
/// the fingerprint covers it (DECISIONS.md).
pub(super) fn spool_stdin(journal: &Path) -> Result<String, CliError> {
    let path = super::super::common::spool_path(journal);
    let mut file = std::fs::File::create(&path)
        .map_err(|e| CliError::usage(format!("{}: cannot spool stdin: {e}", path.display())))?;
    std::io::copy(&mut std::io::stdin().lock(), &mut file)
        .map_err(|e| CliError::usage(format!("{}: cannot spool stdin: {e}", path.display())))?;
    Ok(path.display().to_string())
}

/// The credentials the sandbox accepts for `platform`.
pub(super) fn sandbox_credentials(platform: PlatformId) -> Credentials {
    match platform {
        PlatformId::Bigcommerce => Credentials {
            secret: sandbox::BIGCOMMERCE_ACCESS_TOKEN.into(),
            store_hash: Some(sandbox::BIGCOMMERCE_STORE_HASH.into()),
        },
        PlatformId::Salesive => Credentials {
            secret: sandbox::SALESIVE_APP_TOKEN.into(),
            store_hash: None,
        },
        PlatformId::Bitbybit => Credentials {
            secret: sandbox::BITBYBIT_API_KEY.into(),
            store_hash: None,
        },
    }
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
