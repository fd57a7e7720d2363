//! The channel from the reading side to the writer: records travel in
//! chunks, so that the reader and the writer wake each other once per chunk
//! rather than once per record (a wake-up costs more than handling one).

use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TryRecvError;

use super::work::Work;

/// Records per chunk.
pub const CHUNK: usize = 256;

/// Chunks queued at most: with [`CHUNK`], about 4,000 records ahead of the
/// writer, which bounds memory however large the input.
const CHUNKS_AHEAD: usize = 16;

/// A channel of records in chunks: the reader's end and the writer's.
pub fn channel() -> (Chunker, Feed) {
    let (tx, rx) = mpsc::channel(CHUNKS_AHEAD);
    (
        Chunker {
            tx,
            chunk: Vec::with_capacity(CHUNK),
            since: None,
            ticks: 0,
        },
        Feed {
            rx,
            buf: Vec::new().into_iter(),
        },
    )
}

/// The reader's end: gathers records and sends them a chunk at a time,
/// blocking while the writer is [`CHUNKS_AHEAD`] chunks behind.
pub struct Chunker {
    tx: mpsc::Sender<Vec<Work>>,
    chunk: Vec<Work>,
    /// When the oldest record of the chunk being gathered was added.
    since: Option<std::time::Instant>,
    /// Calls to [`Chunker::tick`] since the clock was last read.
    ticks: u32,
}

/// How long a gathered record may wait for its chunk to fill while the
/// reader goes on: a sync run with a few changes among a million unchanged
/// rows sends its first request at once, not at the end of the file.
const CHUNK_WAIT: std::time::Duration = std::time::Duration::from_millis(100);

/// Calls to [`Chunker::tick`] between two readings of the clock.
const TICKS_PER_CLOCK: u32 = 64;

impl Chunker {
    /// Adds one record; false once the writer is gone.
    pub fn push(&mut self, work: Work) -> bool {
        if self.chunk.is_empty() {
            self.since = Some(std::time::Instant::now());
        }
        self.chunk.push(work);
        self.chunk.len() < CHUNK || self.flush()
    }

    /// Called for every record read, sent or not: hands over a partial
    /// chunk whose oldest record has waited [`CHUNK_WAIT`]; false once the
    /// writer is gone.
    pub fn tick(&mut self) -> bool {
        self.ticks += 1;
        if self.ticks < TICKS_PER_CLOCK || self.chunk.is_empty() {
            return true;
        }
        self.ticks = 0;
        match self.since {
            Some(t) if t.elapsed() >= CHUNK_WAIT => self.flush(),
            _ => true,
        }
    }

    /// Sends what is gathered; false once the writer is gone.
    pub fn flush(&mut self) -> bool {
        if self.chunk.is_empty() {
            return true;
        }
        self.since = None;
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
        self.tx.blocking_send(chunk).is_ok()
    }
}

/// The writer's end: hands out the records one at a time, in order.
pub struct Feed {
    rx: mpsc::Receiver<Vec<Work>>,
    buf: std::vec::IntoIter<Work>,
}

impl Feed {
    /// The next record, waiting for one; `None` once the reader is done.
    pub async fn recv(&mut self) -> Option<Work> {
        loop {
            if let Some(w) = self.buf.next() {
                return Some(w);
            }
            self.buf = self.rx.recv().await?.into_iter();
        }
    }

    /// The next record if one is here already.
    pub fn try_recv(&mut self) -> Result<Work, TryRecvError> {
        loop {
            if let Some(w) = self.buf.next() {
                return Ok(w);
            }
            self.buf = self.rx.try_recv()?.into_iter();
        }
    }

    /// Stops the reader's sends (what it queued stays unsent).
    pub fn close(&mut self) {
        self.rx.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Customer;
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_record_arrives_once_in_order_across_chunks() {
        let (mut tx, mut feed) = channel();
        let n = (CHUNK * CHUNKS_AHEAD * 3 + 7) as u64;
        let reader = tokio::task::spawn_blocking(move || {
            for i in 0..n {
                assert!(tx.push(work(i)));
            }
            assert!(tx.flush());
        });
        let mut seen = 0;
        while let Some(w) = feed.recv().await {
            assert_eq!(w.record, seen);
            seen += 1;
        }
        reader.await.unwrap();
        assert_eq!(seen, n);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn try_recv_sees_a_part_chunk_only_once_flushed() {
        let (mut tx, mut feed) = channel();
        let tx = tokio::task::spawn_blocking(move || {
            assert!(tx.push(work(1)));
            tx
        })
        .await
        .unwrap();
        assert!(matches!(feed.try_recv(), Err(TryRecvError::Empty)));
        let tx = tokio::task::spawn_blocking(move || {
            let mut tx = tx;
            assert!(tx.flush());
            tx
        })
        .await
        .unwrap();
        assert_eq!(feed.try_recv().unwrap().record, 1);
        drop(tx);
        assert!(matches!(feed.try_recv(), Err(TryRecvError::Disconnected)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ticks_hand_over_a_part_chunk_that_has_waited_and_not_before() {
        let (mut tx, mut feed) = channel();
        let tx = tokio::task::spawn_blocking(move || {
            assert!(tx.push(work(1)));
            // Fresh: a reader passing rows it does not send keeps it. Its
            // wait is set to begin in an hour, so no slow moment of a loaded
            // machine can make it old before the ticks.
            tx.since = std::time::Instant::now().checked_add(std::time::Duration::from_secs(3600));
            assert!(tx.since.is_some());
            assert!((0..TICKS_PER_CLOCK * 2).all(|_| tx.tick()));
            tx
        })
        .await
        .unwrap();
        assert!(matches!(feed.try_recv(), Err(TryRecvError::Empty)));
        let tx = tokio::task::spawn_blocking(move || {
            let mut tx = tx;
            // The oldest record has waited its time: the next clock
            // reading hands the part chunk over.
            tx.since = std::time::Instant::now().checked_sub(CHUNK_WAIT);
            assert!((0..TICKS_PER_CLOCK).all(|_| tx.tick()));
            tx
        })
        .await
        .unwrap();
        assert_eq!(feed.try_recv().unwrap().record, 1);
        drop(tx);
        assert!(matches!(feed.try_recv(), Err(TryRecvError::Disconnected)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_push_fails_once_the_writer_is_gone() {
        let (mut tx, feed) = channel();
        drop(feed);
        let ok = tokio::task::spawn_blocking(move || (0..CHUNK as u64).all(|i| tx.push(work(i))))
            .await
            .unwrap();
        assert!(!ok);
    }
}
