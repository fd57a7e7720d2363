//! The counts of a run: what the reading side saw (`ReadTally`) and the
//! final `Summary` printed and journaled at the end.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use crate::platform::Platform;
use crate::writer::Tally;

/// Counts kept by the reading side of a run.
#[derive(Debug, Default)]
pub(super) struct ReadTally {
    pub(super) read: AtomicU64,
    pub(super) valid: AtomicU64,
    pub(super) invalid: AtomicU64,
    pub(super) known: AtomicU64,
    pub(super) in_doubt_before: AtomicU64,
    pub(super) limited: AtomicU64,
}

/// The final figures of an import.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Records read.
    pub read: u64,
    /// Valid records.
    pub valid: u64,
    /// Invalid records (journaled as rejected, never sent).
    pub invalid: u64,
    /// Valid records skipped because the journal already settled them.
    pub known: u64,
    /// Records found in doubt from an earlier run and settled or resent now.
    pub in_doubt_before: u64,
    /// Created.
    pub created: u64,
    /// Already in the store.
    pub exists: u64,
    /// Refused by the platform.
    pub rejected: u64,
    /// Failed after retries (retryable).
    pub failed: u64,
    /// Left in doubt.
    pub in_doubt: u64,
    /// Handed to the writer but not sent (the run stopped).
    pub not_sent: u64,
    /// Requests made.
    pub requests: u64,
    /// Retries.
    pub retries: u64,
    /// 429 answers.
    pub throttled: u64,
    /// Wall time in seconds.
    pub seconds: f64,
}

impl Summary {
    pub(super) fn new(r: &ReadTally, t: &Tally, elapsed: Duration) -> Self {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let queued = l(&t.queued);
        Summary {
            read: l(&r.read),
            valid: l(&r.valid),
            invalid: l(&r.invalid),
            known: l(&r.known),
            in_doubt_before: l(&r.in_doubt_before),
            created: l(&t.created),
            exists: l(&t.exists),
            rejected: l(&t.rejected),
            failed: l(&t.failed),
            in_doubt: l(&t.in_doubt),
            not_sent: queued.saturating_sub(t.done()) + l(&r.limited),
            requests: l(&t.requests),
            retries: l(&t.retries),
            throttled: l(&t.throttled),
            seconds: elapsed.as_secs_f64(),
        }
    }

    /// Every record read is valid and now in the platform.
    pub fn complete(&self) -> bool {
        self.invalid == 0
            && self.rejected == 0
            && self.failed == 0
            && self.in_doubt == 0
            && self.not_sent == 0
    }

    pub(super) fn render(&self, platform: &dyn Platform, input: &str, journal: &Path) -> String {
        format!(
            "storeload import: {input} → {} (journal {})\n\
             read {} · valid {} · invalid {} (journaled as rejected, not sent)\n\
             known from the journal, skipped: {}\n\
             created {} · already there {} · refused by the platform {} · failed {} · in doubt {} · not sent {}\n\
             {} requests · {} retries · {} answered 429 · {:.1} s\n",
            platform.display_name(),
            journal.display(),
            self.read,
            self.valid,
            self.invalid,
            self.known,
            self.created,
            self.exists,
            self.rejected,
            self.failed,
            self.in_doubt,
            self.not_sent,
            self.requests,
            self.retries,
            self.throttled,
            self.seconds
        )
    }
}

/// Which of the input's size and content hash differ between the
/// fingerprint a run recorded (`was`) and the input now (`now`), for the
/// input-changed message: "size 281858 → 281900 bytes and content
/// (sha256 1a2b3c4d → 5e6f7a8b)", "content (sha256 …), same size".
pub fn what_changed(
    was: &crate::journal::InputFingerprint,
    now: &crate::journal::InputFingerprint,
) -> String {
    let short = |s: &str| s.chars().take(8).collect::<String>();
    let content = format!(
        "content (sha256 {} → {})",
        short(&was.sha256),
        short(&now.sha256)
    );
    match (was.size != now.size, was.sha256 != now.sha256) {
        (true, true) => format!("size {} → {} bytes and {content}", was.size, now.size),
        (true, false) => format!("size {} → {} bytes, same content hash", was.size, now.size),
        (false, true) => format!("{content}, same size {} bytes", now.size),
        (false, false) => "nothing: same size and content hash".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::InputFingerprint;

    fn fp(size: u64, sha256: &str) -> InputFingerprint {
        InputFingerprint {
            path: "in.csv".into(),
            size,
            sha256: sha256.into(),
        }
    }

    #[test]
    fn the_input_changed_message_names_the_hash_when_only_the_content_differs() {
        let text = what_changed(&fp(281858, "aaaaaaaaff"), &fp(281858, "bbbbbbbbff"));
        assert_eq!(
            text,
            "content (sha256 aaaaaaaa → bbbbbbbb), same size 281858 bytes"
        );
        assert!(!text.contains("→ 281858"), "{text}");
    }

    #[test]
    fn the_input_changed_message_names_both_when_size_and_content_differ() {
        let text = what_changed(&fp(10, "aaaaaaaa"), &fp(12, "bbbbbbbb"));
        assert_eq!(
            text,
            "size 10 → 12 bytes and content (sha256 aaaaaaaa → bbbbbbbb)"
        );
    }
}
