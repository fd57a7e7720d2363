//! The two 16-byte digests the sync state is made of: a key's
//! ([`KeyHash`], what the state is indexed by instead of the key's text)
//! and a record's ([`RecordHash`], what the state compares to decide that
//! a record is unchanged). Both are the first 16 bytes of SHA-256: stable
//! across builds and versions (the file outlives the binary), and fast on
//! CPUs with SHA extensions.

use std::hash::{Hash, Hasher};

use sha2::{Digest, Sha256};

/// The hash of a record as last sent: 16 bytes of SHA-256 over the
/// canonical JSON of the platform's update body (`Updates::record_hash`).
pub type RecordHash = [u8; 16];

/// The hash a key gets when its id is known but not what the store holds
/// (a customer found by lookup, or created by a journal line without a
/// hash): no record hashes to it in practice, so the next run updates it
/// once and the store then matches the file.
pub const NEVER_SENT: RecordHash = [0; 16];

/// The first 16 bytes of the SHA-256 of `bytes`.
pub fn digest16(bytes: &[u8]) -> [u8; 16] {
    let full = Sha256::digest(bytes);
    let mut out = [0u8; 16];
    out.copy_from_slice(&full[..16]);
    out
}

/// A record key (the journal's: a normalised email) as the state holds it:
/// 16 bytes of its SHA-256 instead of the text, so that every entry is the
/// same size and a million of them load without a million allocations.
///
/// Two different keys share a hash with probability about n²/2¹²⁹: for
/// 10⁶ keys about 10⁻²⁷, far below the chance of a disk error. Were it to
/// happen, the second key would be planned as the first one's update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeyHash(pub [u8; 16]);

impl KeyHash {
    /// The hash of the record key `key`, exactly as the journal writes it.
    pub fn of(key: &str) -> KeyHash {
        KeyHash(digest16(key.as_bytes()))
    }
}

impl Hash for KeyHash {
    /// The key is already a uniform hash: its first 8 bytes are enough for
    /// the map's hasher, and cheaper than feeding all 16.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let b = &self.0;
        state.write_u64(u64::from_le_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ]));
    }
}

/// A record hash as 32 lower-case hex digits, as a journal line would
/// carry it.
pub fn to_hex(hash: &RecordHash) -> String {
    hex::encode(hash)
}

/// Reads 32 hex digits back into a record hash; `None` when `text` is not
/// exactly that.
pub fn from_hex(text: &str) -> Option<RecordHash> {
    let mut out = [0u8; 16];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_hash_is_the_start_of_the_keys_sha256() {
        let h = KeyHash::of("ann@example.com");
        assert_eq!(
            hex::encode(h.0),
            hex::encode(&Sha256::digest(b"ann@example.com")[..16])
        );
        assert_ne!(h, KeyHash::of("Ann@example.com"));
    }

    #[test]
    fn record_hashes_round_trip_through_hex_and_bad_hex_is_refused() {
        let h = digest16(b"{\"first_name\":\"Ann\"}");
        let text = to_hex(&h);
        assert_eq!(text.len(), 32);
        assert_eq!(from_hex(&text), Some(h));
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex(&"z".repeat(32)), None);
        assert_eq!(from_hex(&"0".repeat(34)), None);
    }

    #[test]
    fn no_ordinary_record_hashes_to_never_sent() {
        for body in ["", "{}", "[]", "{\"email\":\"a@x.com\"}"] {
            assert_ne!(digest16(body.as_bytes()), NEVER_SENT, "{body}");
        }
    }
}
