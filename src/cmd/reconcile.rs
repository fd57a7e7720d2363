//! `storeload reconcile`: settles the journal's in-doubt records by looking
//! each up on the platform, and fetches the ids of records answered
//! "already there"; sends nothing new and reports what it settled.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args as ClapArgs;

use super::import::{RunPlan, check_base_url};
use crate::error::{CliError, Exit};
use crate::journal::{self, Entry, Journal, JournalWriter, RecordState};
use crate::model::Customer;
use crate::platform::Endpoint;
use crate::writer::limit::Limiter;
use crate::writer::{InDoubtPolicy, Payload, Stop, Tally, Work, Writer, WriterConfig};

/// Arguments of `storeload reconcile`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The journal to settle.
    journal: PathBuf,
}

/// Runs `storeload reconcile`.
pub fn run(args: Args) -> Result<Exit, CliError> {
    let (journal, replay) =
        Journal::open_append(&args.journal).map_err(|e| CliError::usage(e.to_string()))?;
    let plan = RunPlan::from_header(&replay, &args.journal)?;
    if plan.orders.entity == super::orders::Entity::Orders {
        return Err(CliError::usage(format!(
            "journal {}: is an orders import; orders have no lookup, so reconcile cannot settle them. `storeload status` lists the orders in doubt: check each in bitbybit, then run the same `storeload import` with this journal and --in-doubt resend to send those that are not there",
            args.journal.display()
        )));
    }
    let platform = plan.to.platform();
    let credentials = platform.credentials_from_env()?;
    let base_url = match &plan.send.base_url {
        Some(u) => check_base_url(u)?,
        None => platform.default_base_url(&credentials),
    };
    // Records to look up: in doubt (sent without an outcome), and "already
    // there" without the platform's id.
    let mut works = Vec::new();
    let mut no_key = 0u64;
    for (key, state) in &replay.records {
        let (sent_before, exists) = match state {
            RecordState::Sent { at, .. } | RecordState::InDoubt { at, .. } => (Some(*at), false),
            RecordState::Exists { id: None, .. } => (None, true),
            _ => continue,
        };
        let mut customer = Customer::default();
        if key.contains('@') {
            customer.email = Some(key.clone());
        } else if let Some(phone) = key.strip_prefix("phone:") {
            customer.phone = Some(phone.to_string());
        } else {
            no_key += 1;
            continue;
        }
        works.push((
            Work {
                key: key.clone(),
                record: state.record(),
                line: state.line(),
                payload: Payload::Customer(customer),
                sent_before,
            },
            exists,
        ));
    }
    works.sort_by_key(|(w, _)| w.record);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::usage(format!("cannot start the async runtime: {e}")))?;
    let stop = Arc::new(Stop::default());
    let tally = Arc::new(Tally::default());
    let (found, missing, unknown) = runtime.block_on(async {
        let jw = JournalWriter::spawn(journal);
        let config = WriterConfig {
            endpoint: Endpoint {
                base_url,
                credentials,
                key_header: plan.send.key_header.clone(),
                notify: false,
            },
            concurrency: 1,
            timeout: Duration::from_secs(plan.send.timeout.max(1)),
            max_retries: plan.send.max_retries,
            in_doubt: InDoubtPolicy::Lookup,
            give_up_after: Duration::from_secs(plan.send.give_up_after),
            min_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(30),
            batch_size: platform.batch_size(),
            settle_delay: Duration::from_secs(plan.send.settle_delay),
            max_wait: Duration::from_secs(plan.send.max_wait),
        };
        let rate = plan.send.rate.unwrap_or_else(|| platform.default_rate());
        let writer = Writer::new(
            platform,
            config,
            Limiter::new(rate, plan.send.rate.is_some(), plan.send.max_quota_share),
            jw.clone(),
            tally,
            stop.clone(),
            0,
        )
        .map_err(CliError::usage)?;
        let (mut found, mut missing, mut unknown) = (0u64, 0u64, 0u64);
        for (work, exists) in &works {
            if stop.is_stopping() {
                break;
            }
            match writer.look_up(work).await {
                Some(Some(entry)) => {
                    let entry = match (entry, exists) {
                        // Known to be there before: keep it `exists`, now with its id.
                        (Entry::Created(c), true) => Entry::Exists(journal::Exists {
                            key: c.key,
                            record: c.record,
                            line: c.line,
                            id: Some(c.id),
                            reason: "already there; id found by lookup".into(),
                            lookups: c.lookups,
                        }),
                        (e, _) => e,
                    };
                    if !writer.record(vec![entry]).await {
                        break;
                    }
                    found += 1;
                }
                Some(None) => missing += 1,
                None => unknown += 1,
            }
        }
        drop(writer);
        jw.close()
            .await
            .map_err(|e| CliError::usage(e.to_string()))?;
        Ok::<_, CliError>((found, missing, unknown))
    })?;
    super::print(&format!(
        "reconcile {}: {} looked up · {found} settled (created or already there, with the platform's id) · {missing} not found (not stored: `storeload resume` sends them) · {unknown} could not be looked up{}\n",
        args.journal.display(),
        works.len(),
        if no_key > 0 {
            format!(" · {no_key} have no email or phone to look up by")
        } else {
            String::new()
        }
    ))?;
    if let Some(message) = stop.fatal_message() {
        return Err(CliError::stopped(message));
    }
    Ok(if missing + unknown + no_key == 0 {
        Exit::Ok
    } else {
        Exit::Incomplete
    })
}
