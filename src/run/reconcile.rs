//! Reconciling a journal: its in-doubt records settled by looking each up
//! on the platform, and the ids fetched of records answered "already
//! there"; nothing new is sent. Reads the plan the journal's header
//! recorded and reports what it settled.

use std::path::Path;
use std::sync::Arc;

use super::connect;
use super::plan::{RunPlan, SendOptions};
use crate::error::{CliError, Exit};
use crate::journal::{self, Entry, Journal, JournalWriter, RecordState};
use crate::model::Customer;
use crate::writer::{InDoubtPolicy, Link, Payload, Settler, Stop, Work, WriterConfig};

/// Settles the in-doubt records of the journal at `journal_path` and
/// prints what became of them: exit 0 when every one was settled.
pub fn reconcile(journal_path: &Path) -> Result<Exit, CliError> {
    let (journal, replay) = Journal::open_append(journal_path)?;
    let plan = RunPlan::from_header(&replay, journal_path)?;
    if plan.ordering() {
        return Err(CliError::usage(format!(
            "journal {}: is an orders import; orders have no lookup, so reconcile cannot settle them. `storeload status` lists the orders in doubt: check each in bitbybit, then run the same `storeload import` with this journal and --in-doubt resend to send those that are not there",
            journal_path.display()
        )));
    }
    let platform = plan.platform();
    let (base_url, credentials) = connect::from_env(plan.to, plan.send.base_url.as_deref())?;
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
            customer.email = Some(key.as_str().into());
        } else if let Some(phone) = key.strip_prefix("phone:") {
            customer.phone = Some(phone.into());
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
                sync: None,
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
    // Lookups only: nothing is created, so no welcome email either.
    let send = SendOptions {
        notify: false,
        ..plan.send.clone()
    };
    let config = WriterConfig {
        concurrency: 1,
        in_doubt: InDoubtPolicy::Lookup,
        ..plan.writer_config(connect::endpoint(base_url, credentials, &send))
    };
    let (found, missing, unknown) = runtime.block_on(async {
        let jw = JournalWriter::spawn(journal);
        let link = Link::new(
            platform,
            config.endpoint.clone(),
            config.retry(),
            config.concurrency,
            plan.limiter().with_max_wait(config.max_wait),
            jw.clone(),
            stop.clone(),
        )
        .map_err(CliError::usage)?;
        let settler = Settler::new(Arc::new(link), config.settle_delay, config.in_doubt);
        let (mut found, mut missing, mut unknown) = (0u64, 0u64, 0u64);
        for (work, exists) in &works {
            if stop.is_stopping() {
                break;
            }
            match settler.look_up(work).await {
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
                    if !settler.record(vec![entry]).await {
                        break;
                    }
                    found += 1;
                }
                Some(None) => missing += 1,
                None => unknown += 1,
            }
        }
        drop(settler);
        // A journal that cannot be closed (a full disk) lost what was
        // settled: exit 3, and the next reconcile looks them up again.
        jw.close().await?;
        Ok::<_, CliError>((found, missing, unknown))
    })?;
    crate::term::print(&format!(
        "reconcile {}: {} looked up · {found} settled (created or already there, with the platform's id) · {missing} not found (not stored: `storeload resume` sends them) · {unknown} could not be looked up{}\n",
        journal_path.display(),
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
