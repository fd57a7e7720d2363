//! The signals that stop a run: Ctrl-C (SIGINT), SIGTERM (what schedulers
//! such as systemd, Kubernetes and cron wrappers send) and SIGHUP (a closed
//! terminal) all stop it the same way — stop sending, let the requests in
//! flight settle, flush the journal, say how to resume — and each ends the
//! process with its own exit code (130, 143, 129).

use crate::error::Exit;

/// Listens for the stop signals from the moment it is made.
pub(super) struct StopSignals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
}

impl StopSignals {
    /// Installs the handlers; call it inside the runtime, before the first
    /// request, so that no signal arrives while the default action (end at
    /// once, journal unflushed) still holds.
    pub(super) fn listen() -> std::io::Result<StopSignals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(StopSignals {
                int: signal(SignalKind::interrupt())?,
                term: signal(SignalKind::terminate())?,
                hup: signal(SignalKind::hangup())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(StopSignals {})
        }
    }

    /// Waits for the next stop signal; `None` when no more can arrive.
    pub(super) async fn next(&mut self) -> Option<Exit> {
        #[cfg(unix)]
        {
            tokio::select! {
                s = self.int.recv() => s.map(|_| Exit::Interrupted),
                s = self.term.recv() => s.map(|_| Exit::Terminated),
                s = self.hup.recv() => s.map(|_| Exit::HungUp),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c()
                .await
                .ok()
                .map(|_| Exit::Interrupted)
        }
    }
}

/// How a person names the signal behind `exit`.
pub(super) fn name(exit: Exit) -> &'static str {
    match exit {
        Exit::Terminated => "SIGTERM",
        Exit::HungUp => "SIGHUP",
        _ => "Ctrl-C",
    }
}

/// Listens for the stop signals and stops the run on the first: `stop`
/// goes soft (requests in flight finish), `interrupted` records which
/// signal it was; a second one ends the process at once. Call it inside
/// the runtime, before the first request.
pub(super) fn watch(
    stop: std::sync::Arc<crate::writer::Stop>,
    interrupted: std::sync::Arc<std::sync::OnceLock<Exit>>,
) -> Result<(), crate::error::CliError> {
    let mut signals = StopSignals::listen().map_err(|e| {
        crate::error::CliError::usage(format!("cannot listen for Ctrl-C and SIGTERM: {e}"))
    })?;
    tokio::spawn(async move {
        if let Some(first) = signals.next().await {
            let _ = interrupted.set(first);
            stop.soft();
            crate::say!(
                "\nstoreload: stopping on {}: letting requests in flight finish (Ctrl-C again to stop at once)",
                name(first)
            );
            if let Some(second) = signals.next().await {
                crate::say!(
                    "storeload: stopped at once; records in flight are in doubt until resumed"
                );
                std::process::exit(second as i32);
            }
        }
    });
    Ok(())
}
