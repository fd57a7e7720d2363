//! The writer's dispatch loop: takes records from the feed, groups them
//! into batches of the platform's size, and keeps batches in flight up to
//! the limit its [`Concurrency`] sets (adapted to round-trip times and
//! retries, between 1 and `max_concurrency`), each sent by the [`Sender`];
//! stops taking work when the run is asked to stop, and lets what is in
//! flight finish.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::error::TryRecvError;

use crate::journal::JournalWriter;
use crate::platform::Platform;

use super::concurrency::Concurrency;
use super::config::WriterConfig;
use super::control::{Stop, Tally};
use super::feed::Feed;
use super::limit::Limiter;
use super::link::Link;
use super::retry::GiveUp;
use super::send::Sender;
use super::settle::Settler;
use super::work::Work;

/// The writer: one run's dispatch loop over its sender.
pub struct Writer {
    sender: Arc<Sender>,
    stop: Arc<Stop>,
    /// Requests in flight: the limit, adapted as answers come back.
    concurrency: Arc<Concurrency>,
    /// Records per request.
    batch_size: usize,
    /// Live counts.
    pub tally: Arc<Tally>,
}

impl Writer {
    /// A writer for `platform` that journals into `journal`, numbering its
    /// batches from `first_batch`.
    pub fn new(
        platform: &'static dyn Platform,
        config: WriterConfig,
        limiter: Limiter,
        journal: JournalWriter,
        tally: Arc<Tally>,
        stop: Arc<Stop>,
        first_batch: u64,
    ) -> Result<Self, String> {
        let concurrency = Concurrency::new(
            config.concurrency,
            config.max_concurrency.max(config.concurrency),
        );
        let link = Link::new(
            platform,
            config.endpoint.clone(),
            config.retry(),
            concurrency.ceiling(),
            limiter
                .with_max_wait(config.max_wait)
                .with_concurrency(concurrency.clone()),
            journal,
            stop.clone(),
        )?
        .with_tally(tally.clone());
        let settler = Settler::new(Arc::new(link), config.settle_delay, config.in_doubt);
        let give_up = GiveUp::new(config.give_up_after);
        Ok(Writer {
            sender: Arc::new(Sender::new(settler, give_up, first_batch)),
            stop,
            concurrency,
            batch_size: config.batch_size.max(1),
            tally,
        })
    }

    /// Sends everything `rx` yields, then waits for requests in flight.
    /// Returns the journal writer, to be closed by the caller.
    pub async fn run(self: Arc<Self>, mut rx: Feed) -> JournalWriter {
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            if self.stop.is_stopping() {
                break;
            }
            // Work first, then a slot: a slot is asked for only with work in
            // hand, so "every slot taken" means the limit held work back.
            let first = tokio::select! {
                w = rx.recv() => match w { Some(w) => w, None => break },
                _ = self.stop.asked() => break,
            };
            let slot = tokio::select! {
                s = self.concurrency.acquire() => s,
                // `first` is dropped unsent: absent from the journal, "not sent".
                _ = self.stop.asked() => break,
            };
            let batch = fill_batch(first, &mut rx, self.batch_size).await;
            let sender = self.sender.clone();
            tasks.spawn(async move {
                sender.send_batch(batch).await;
                drop(slot);
            });
            while let Some(r) = tasks.try_join_next() {
                if let Err(e) = r {
                    tracing::error!(message = "a send task ended abnormally", %e);
                }
            }
        }
        while let Some(r) = tasks.join_next().await {
            if let Err(e) = r {
                tracing::error!(message = "a send task ended abnormally", %e);
            }
        }
        // Drain what was queued but never sent: it stays "not sent" (absent
        // from the journal), which resume picks up.
        rx.close();
        self.sender.link().journal().clone()
    }
}

/// A batch of up to `size` records starting with `first`: what is queued,
/// and up to 20 ms more for each missing record while the reader is behind.
async fn fill_batch(first: Work, rx: &mut Feed, size: usize) -> Vec<Work> {
    let mut batch = Vec::with_capacity(size);
    batch.push(first);
    while batch.len() < size {
        match rx.try_recv() {
            Ok(w) => batch.push(w),
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {
                match tokio::time::timeout(Duration::from_millis(20), rx.recv()).await {
                    Ok(Some(w)) => batch.push(w),
                    _ => break,
                }
            }
        }
    }
    batch
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Customer;
    use crate::writer::feed;
    use crate::writer::work::Payload;

    fn work(n: u64) -> Work {
        Work {
            key: format!("c{n}@x.com"),
            record: n,
            line: n + 1,
            payload: Payload::Customer(Customer::default()),
            sent_before: None,
            sync: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_takes_what_is_queued_then_waits_20_ms_for_more() {
        let (tx, mut rx) = feed::channel();
        let tx = tokio::task::spawn_blocking(move || {
            let mut tx = tx;
            for n in 1..=3 {
                assert!(tx.push(work(n)));
            }
            assert!(tx.flush());
            tx
        })
        .await
        .unwrap();
        let started = tokio::time::Instant::now();
        let first = rx.recv().await.unwrap();
        let batch = fill_batch(first, &mut rx, 10).await;
        assert_eq!(
            batch.iter().map(|w| w.record).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert_eq!(started.elapsed(), Duration::from_millis(20));
        drop(tx);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_batch_or_a_finished_reader_does_not_wait() {
        let (tx, mut rx) = feed::channel();
        tokio::task::spawn_blocking(move || {
            let mut tx = tx;
            for n in 1..=5 {
                assert!(tx.push(work(n)));
            }
            assert!(tx.flush());
        })
        .await
        .unwrap();
        let started = tokio::time::Instant::now();
        let first = rx.recv().await.unwrap();
        assert_eq!(fill_batch(first, &mut rx, 2).await.len(), 2);
        let first = rx.recv().await.unwrap();
        // The reader is gone: the rest is all there will be.
        assert_eq!(fill_batch(first, &mut rx, 10).await.len(), 3);
        assert_eq!(started.elapsed(), Duration::ZERO);
    }
}
