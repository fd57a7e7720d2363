//! Progress while an import runs: an indicatif bar on a terminal, one plain
//! line at the start and every few seconds otherwise, nothing with
//! `--quiet`. Both show done / total, where the total is the plan's count
//! of records to send (known before the first request), the rate achieved
//! and the time left at that rate.

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

/// Figures of a run in progress, from the counts and the time elapsed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    /// Records with an outcome.
    pub done: u64,
    /// Records the run will send: the plan's count (never below what was
    /// handed to the writer), or `None` when no dry pass counted them.
    pub total: Option<u64>,
    /// Records handed to the writer so far.
    pub queued: u64,
    /// Records per second achieved so far.
    pub rate: f64,
    /// Time left at the pace achieved; `None` before the first outcome or
    /// without a total.
    pub eta: Option<Duration>,
}

impl Figures {
    /// The figures of `t` after `elapsed`, toward `total`.
    pub fn of(t: &Tally, total: Option<u64>, elapsed: Duration) -> Figures {
        let done = t.done();
        let queued = t.queued.load(Ordering::Relaxed);
        let total = total.map(|n| n.max(queued));
        let secs = elapsed.as_secs_f64();
        let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
        let eta = match total {
            Some(n) if done >= n => Some(Duration::ZERO),
            Some(n) if rate > 0.0 => {
                Some(Duration::from_secs_f64(((n - done) as f64 / rate).min(1e9)))
            }
            _ => None,
        };
        Figures {
            done,
            total,
            queued,
            rate,
            eta,
        }
    }

    /// "120 of 3000 done · 41.2 records/s · eta 1 min 11 s", or without a
    /// total "120 done of 400 queued so far · 41.2 records/s".
    pub fn head(&self) -> String {
        let rate = format!("{:.1} records/s", self.rate);
        match (self.total, self.eta) {
            (Some(n), Some(eta)) => {
                format!("{} of {n} done · {rate} · eta {}", self.done, human(eta))
            }
            (Some(n), None) => format!("{} of {n} done · {rate} · eta not known yet", self.done),
            (None, _) => format!(
                "{} done of {} queued so far · {rate}",
                self.done, self.queued
            ),
        }
    }
}

/// A duration as a person reads it: "42 s", "3 min 5 s", "2 h 10 min".
fn human(d: Duration) -> String {
    let s = d.as_secs_f64().ceil() as u64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// The one-line state of a run toward `total` (see [`Figures`]).
pub fn line(t: &Tally, total: Option<u64>, elapsed: Duration) -> String {
    format!(
        "{} · created {} · exists {} · rejected {} · failed {} · in doubt {} · retries {}{}",
        Figures::of(t, total, elapsed).head(),
        t.created.load(Ordering::Relaxed),
        t.exists.load(Ordering::Relaxed),
        t.rejected.load(Ordering::Relaxed),
        t.failed.load(Ordering::Relaxed),
        t.in_doubt.load(Ordering::Relaxed),
        t.retries.load(Ordering::Relaxed),
        waiting(t)
    )
}

impl Progress {
    /// Starts showing `tally` on stderr, toward `total` (the plan's count
    /// of records to send, when a dry pass made one): a bar on a terminal,
    /// else a plain line at once and then every few seconds.
    pub fn start(tally: Arc<Tally>, total: Option<u64>, quiet: bool) -> Progress {
        if quiet {
            return Progress {
                bar: None,
                task: None,
            };
        }
        let started = Instant::now();
        // JSON log lines (`--log-format json`) take the plain lines, never a bar.
        if std::io::stderr().is_terminal() && !crate::term::json_logs() {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let b = bar.clone();
            let task = tokio::spawn(async move {
                loop {
                    let f = Figures::of(&tally, total, started.elapsed());
                    b.set_length(f.total.unwrap_or(f.queued));
                    b.set_position(f.done);
                    let eta = match (f.total, f.eta) {
                        (Some(_), Some(eta)) => format!(" · eta {}", human(eta)),
                        (Some(_), None) => " · eta not known yet".to_string(),
                        (None, _) => " queued so far".to_string(),
                    };
                    b.set_message(format!(
                        "{eta} · {:.1}/s · created {} · rejected {} · retrying {}{}",
                        f.rate,
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
                    crate::say!(
                        "storeload: progress: {}",
                        line(&tally, total, started.elapsed())
                    );
                    tokio::time::sleep(PLAIN_EVERY).await;
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
        assert!(!line(&t, None, Duration::ZERO).contains("waiting"));
        *t.waiting.lock().unwrap() =
            Some((Instant::now() + Duration::from_secs(42), "BigCommerce"));
        let text = line(&t, None, Duration::ZERO);
        assert!(
            text.contains("waiting 42 s as BigCommerce asked")
                || text.contains("waiting 41 s as BigCommerce asked"),
            "{text}"
        );
        *t.waiting.lock().unwrap() = Some((Instant::now(), "BigCommerce"));
        assert!(
            !line(&t, None, Duration::ZERO).contains("waiting"),
            "a wait that is over"
        );
    }

    #[test]
    fn the_total_is_the_plans_count_from_the_start_and_the_eta_follows_the_pace_achieved() {
        let t = Tally::default();
        t.queued.store(10, Ordering::Relaxed);
        let f = Figures::of(&t, Some(3000), Duration::ZERO);
        assert_eq!((f.done, f.total, f.eta), (0, Some(3000), None));
        assert!(f.head().starts_with("0 of 3000 done"), "{}", f.head());
        t.created.store(100, Ordering::Relaxed);
        t.queued.store(400, Ordering::Relaxed);
        let f = Figures::of(&t, Some(3000), Duration::from_secs(10));
        assert_eq!(
            f.total,
            Some(3000),
            "the total does not grow with the queue"
        );
        assert_eq!(f.rate, 10.0);
        assert_eq!(f.eta, Some(Duration::from_secs(290)));
        assert_eq!(
            f.head(),
            "100 of 3000 done · 10.0 records/s · eta 4 min 50 s"
        );
    }

    #[test]
    fn without_a_plan_the_line_says_the_queue_is_counted_so_far() {
        let t = Tally::default();
        t.queued.store(40, Ordering::Relaxed);
        t.exists.store(4, Ordering::Relaxed);
        let f = Figures::of(&t, None, Duration::from_secs(2));
        assert_eq!(f.head(), "4 done of 40 queued so far · 2.0 records/s");
    }
}
