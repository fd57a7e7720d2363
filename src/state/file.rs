//! The state file's bytes: a header naming the destination, then frames of
//! fixed-size records, each frame sealed by a digest, so that a frame cut
//! short by a crash is recognised and ignored. Reading streams the file
//! through a small buffer; writing either appends one frame (a commit) or
//! writes a whole new file beside the old and renames it over (creation and
//! compaction), which the operating system makes atomic.
//!
//! ```text
//! header: "storeload-state\n" | version u32 | n u32 | destination JSON (n bytes) | digest16
//! frame:  "SLF1" | count u32 | count × (key 16 | record hash 16 | id u64) | digest16
//! ```
//! Integers are little-endian; each digest is 16 bytes of SHA-256 over
//! what precedes it in its header, or over a frame's count and records.
//! A later record for a key replaces an earlier one.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::error::StateError;
use super::hash::{KeyHash, RecordHash, digest16};
use crate::journal::Destination;

/// The first bytes of every state file.
pub(super) const MAGIC: &[u8; 16] = b"storeload-state\n";
/// The format version this build writes and reads.
pub const VERSION: u32 = 1;
/// The first bytes of every frame.
const FRAME_MAGIC: &[u8; 4] = b"SLF1";
/// Bytes of one record: key hash, record hash, id.
pub(super) const RECORD_BYTES: usize = 40;
/// Records per frame when a whole file is written, so that reading needs a
/// buffer of at most 2.5 MiB however large the state is.
pub(super) const FRAME_RECORDS: usize = 65_536;
/// The longest destination JSON a header may hold.
const MAX_HEADER_JSON: u32 = 64 * 1024;

/// One key's entry as the file holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Record {
    /// The hashed record key.
    pub key: KeyHash,
    /// The hash of the record as last sent.
    pub hash: RecordHash,
    /// The platform's id.
    pub id: u64,
}

/// What reading a file found, besides its records.
#[derive(Debug)]
pub(super) struct Scan {
    /// Where the file's records were sent.
    pub destination: Destination,
    /// Bytes up to the end of the last whole frame: where the next commit
    /// writes.
    pub valid_len: u64,
    /// Bytes after it (an unfinished write), ignored.
    pub torn_bytes: u64,
    /// Records read, replaced ones included (how much compaction would save).
    pub records: u64,
}

/// The header bytes of a file for `destination`.
pub(super) fn encode_header(destination: &Destination) -> Vec<u8> {
    let json = serde_json::to_vec(destination)
        .expect("a destination serialises: it is three strings in a derived Serialize struct");
    let mut out = Vec::with_capacity(MAGIC.len() + 8 + json.len() + 16);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    // A destination is a platform name, a URL and a store hash: far below
    // 4 GiB; `try_from` keeps a pathological one from wrapping.
    out.extend_from_slice(&u32::try_from(json.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(&json);
    let digest = digest16(&out);
    out.extend_from_slice(&digest);
    out
}

/// Appends one frame holding `records` to `out`.
pub(super) fn encode_frame(records: &[Record], out: &mut Vec<u8>) {
    // A commit holds one run's outcomes; a frame of more than 4 billion
    // records would be 160 GB.
    let count = u32::try_from(records.len()).unwrap_or(u32::MAX);
    let start = out.len();
    out.reserve(8 + records.len() * RECORD_BYTES + 16);
    out.extend_from_slice(FRAME_MAGIC);
    out.extend_from_slice(&count.to_le_bytes());
    for r in records {
        out.extend_from_slice(&r.key.0);
        out.extend_from_slice(&r.hash);
        out.extend_from_slice(&r.id.to_le_bytes());
    }
    let digest = digest16(&out[start + FRAME_MAGIC.len()..]);
    out.extend_from_slice(&digest);
}

/// Reads `file` (at `path`) from its start: checks the header, then hands
/// each record of each whole frame to `each`, in file order. A frame that
/// is cut short or does not match its digest ends the reading: it can only
/// be the last write, interrupted (a commit appends one frame and syncs it
/// before it counts), and ignoring it leaves the state as it was before
/// that commit.
pub(super) fn scan(
    path: &Path,
    file: &File,
    mut each: impl FnMut(Record),
) -> Result<Scan, StateError> {
    let io = |e| StateError::io(path, "reading", e);
    let damaged = |what: &str| StateError::Damaged {
        path: path.to_path_buf(),
        what: what.to_string(),
    };
    let len = file.metadata().map_err(io)?.len();
    let mut r = BufReader::with_capacity(1 << 20, file);
    let mut fixed = [0u8; 24];
    if len < fixed.len() as u64 {
        return Err(damaged("it is shorter than a state file's header"));
    }
    r.read_exact(&mut fixed).map_err(io)?;
    if &fixed[..16] != MAGIC {
        return Err(damaged("it does not start as one"));
    }
    let version = u32::from_le_bytes([fixed[16], fixed[17], fixed[18], fixed[19]]);
    if version > VERSION {
        return Err(StateError::NewerVersion {
            path: path.to_path_buf(),
            version,
            readable: VERSION,
        });
    }
    let json_len = u32::from_le_bytes([fixed[20], fixed[21], fixed[22], fixed[23]]);
    if json_len > MAX_HEADER_JSON || u64::from(json_len) + 24 + 16 > len {
        return Err(damaged("its header is cut short"));
    }
    let mut rest = vec![0u8; json_len as usize + 16];
    r.read_exact(&mut rest).map_err(io)?;
    let (json, digest) = rest.split_at(json_len as usize);
    let mut hasher = Sha256::new();
    hasher.update(fixed);
    hasher.update(json);
    if hasher.finalize()[..16] != *digest {
        return Err(damaged("its header does not match its digest"));
    }
    let destination: Destination =
        serde_json::from_slice(json).map_err(|_| damaged("its header names no destination"))?;

    let mut offset = 24 + u64::from(json_len) + 16;
    let mut records = 0u64;
    let mut buf = Vec::new();
    loop {
        let left = len - offset;
        if left < 8 {
            break;
        }
        let mut head = [0u8; 8];
        r.read_exact(&mut head).map_err(io)?;
        if &head[..4] != FRAME_MAGIC {
            break;
        }
        let count = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        let body = u64::from(count) * RECORD_BYTES as u64;
        if 8 + body + 16 > left {
            break;
        }
        // `body` fits in memory: it is less than the file's length.
        buf.resize(body as usize + 16, 0);
        r.read_exact(&mut buf).map_err(io)?;
        let (payload, digest) = buf.split_at(body as usize);
        let mut hasher = Sha256::new();
        hasher.update(&head[4..]);
        hasher.update(payload);
        if hasher.finalize()[..16] != *digest {
            break;
        }
        for chunk in payload.chunks_exact(RECORD_BYTES) {
            each(decode(chunk));
        }
        records += u64::from(count);
        offset += 8 + body + 16;
    }
    Ok(Scan {
        destination,
        valid_len: offset,
        torn_bytes: len - offset,
        records,
    })
}

/// One record from its 40 bytes.
fn decode(b: &[u8]) -> Record {
    let mut key = [0u8; 16];
    let mut hash = [0u8; 16];
    let mut id = [0u8; 8];
    key.copy_from_slice(&b[..16]);
    hash.copy_from_slice(&b[16..32]);
    id.copy_from_slice(&b[32..40]);
    Record {
        key: KeyHash(key),
        hash,
        id: u64::from_le_bytes(id),
    }
}

/// Writes a whole state file for `destination` holding `records` beside
/// `path`, syncs it, and renames it over `path` (then syncs the folder, so
/// the rename itself survives a power cut). A crash before the rename
/// leaves the old file; after it, the new one. Returns the new file's
/// length.
pub(super) fn write_whole(
    path: &Path,
    destination: &Destination,
    records: impl Iterator<Item = Record>,
) -> Result<u64, StateError> {
    let dir = folder(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(".storeload-state-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| StateError::io(&dir, "creating a temporary file in", e))?;
    let written = {
        let tmp_path = tmp.path().to_path_buf();
        let io = |e| StateError::io(&tmp_path, "writing", e);
        let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        let header = encode_header(destination);
        w.write_all(&header).map_err(io)?;
        let mut written = header.len() as u64;
        let mut chunk = Vec::with_capacity(FRAME_RECORDS);
        let mut bytes = Vec::with_capacity(8 + FRAME_RECORDS * RECORD_BYTES + 16);
        let mut records = records.peekable();
        while records.peek().is_some() {
            chunk.clear();
            chunk.extend(records.by_ref().take(FRAME_RECORDS));
            bytes.clear();
            encode_frame(&chunk, &mut bytes);
            w.write_all(&bytes).map_err(io)?;
            written += bytes.len() as u64;
        }
        w.flush().map_err(io)?;
        drop(w);
        tmp.as_file().sync_all().map_err(io)?;
        written
    };
    tmp.persist(path)
        .map_err(|e| StateError::io(path, "replacing", e.error))?;
    sync_folder(&dir)?;
    Ok(written)
}

/// Appends `frame` to `file` at `at` (the end of its last whole frame, so
/// an unfinished earlier write is overwritten) and syncs it: when this
/// returns, the commit survives a crash.
pub(super) fn append(
    path: &Path,
    file: &mut File,
    at: u64,
    frame: &[u8],
) -> Result<(), StateError> {
    let io = |e| StateError::io(path, "writing", e);
    file.seek(SeekFrom::Start(at)).map_err(io)?;
    file.write_all(frame).map_err(io)?;
    // Drop what an unfinished write left past the new end.
    file.set_len(at + frame.len() as u64).map_err(io)?;
    file.sync_data().map_err(io)
}

/// Opens `path` for reading and appending.
pub(super) fn open_rw(path: &Path) -> Result<File, StateError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| StateError::io(path, "reading", e))
}

/// The folder `path` is in (`.` for a bare file name).
pub(super) fn folder(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Makes a rename in `dir` durable (a no-op where folders cannot be opened).
fn sync_folder(dir: &Path) -> Result<(), StateError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| StateError::io(dir, "syncing the folder of", e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
