//! Progress while an import runs: an indicatif bar on a terminal, one plain
//! line every few seconds otherwise, nothing with `--quiet`.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::control::Tally;

/// How often the plain (non-terminal) line is printed.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// A running progress display; `finish` clears it.
pub struct Progress {
    bar: Option<ProgressBar>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// What the run waits for because the platform asked, e.g. " · waiting
/// 42 s as BigCommerce asked"; empty when it waits for nothing.
pub fn waiting(t: &Tally) -> String {
    let until = *t.waiting.lock().unwrap_or_else(|e| e.into_inner());
    match until {
        Some((until, name)) if until > Instant::now() => {
            let left = until.saturating_duration_since(Instant::now());
            format!(
                " · waiting {} s as {name} asked",
                left.as_secs_f64().ceil() as u64
            )
        }
        _ => String::new(),
    }
}

/// The one-line state of a run.
pub fn line(t: &Tally, started: Instant) -> String {
    let done = t.done();
    let secs = started.elapsed().as_secs_f64().max(0.001);
    format!(
        "{done} of {} done · created {} · exists {} · rejected {} · failed {} · in doubt {} · retries {} · {:.1} records/s{}",
        t.queued.load(Ordering::Relaxed),
        t.created.load(Ordering::Relaxed),
        t.exists.load(Ordering::Relaxed),
        t.rejected.load(Ordering::Relaxed),
        t.failed.load(Ordering::Relaxed),
        t.in_doubt.load(Ordering::Relaxed),
        t.retries.load(Ordering::Relaxed),
        done as f64 / secs,
        waiting(t)
    )
}

impl Progress {
    /// Starts showing `tally` on stderr.
    pub fn start(tally: Arc<Tally>, quiet: bool) -> Progress {
        if quiet {
            return Progress {
                bar: None,
                task: None,
            };
        }
        let started = Instant::now();
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} eta {eta} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let b = bar.clone();
            let task = tokio::spawn(async move {
                loop {
                    b.set_length(tally.queued.load(Ordering::Relaxed));
                    b.set_position(tally.done());
                    b.set_message(format!(
                        "created {} · rejected {} · retrying {}{}",
                        tally.created.load(Ordering::Relaxed),
                        tally.rejected.load(Ordering::Relaxed),
                        tally.retries.load(Ordering::Relaxed),
                        waiting(&tally)
                    ));
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            });
            Progress {
                bar: Some(bar),
                task: Some(task),
            }
        } else {
            let task = tokio::spawn(async move {
                loop {
                    tokio::time::sleep(PLAIN_EVERY).await;
                    crate::say!("storeload: {}", line(&tally, started));
                }
            });
            Progress {
                bar: None,
                task: Some(task),
            }
        }
    }

    /// Stops the display.
    pub fn finish(self) {
        if let Some(t) = self.task {
            t.abort();
        }
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_a_wait_the_platform_asked_for_while_it_lasts() {
        let t = Tally::default();
        assert!(!line(&t, Instant::now()).contains("waiting"));
        *t.waiting.lock().unwrap() =
            Some((Instant::now() + Duration::from_secs(42), "BigCommerce"));
        let text = line(&t, Instant::now());
        assert!(
            text.contains("waiting 42 s as BigCommerce asked")
                || text.contains("waiting 41 s as BigCommerce asked"),
            "{text}"
        );
        *t.waiting.lock().unwrap() = Some((Instant::now(), "BigCommerce"));
        assert!(
            !line(&t, Instant::now()).contains("waiting"),
            "a wait that is over"
        );
    }
}
