//! A loaded file's identity: its name, its size and a short content hash.
//!
//! The hash is SHA-256 over the size (8 bytes, little-endian), then the first
//! [`HEAD_BYTES`] of the file, then its last [`HEAD_BYTES`] (the part of them not already
//! in the first: a file of 2 MiB or less is hashed whole). Two reads of at most 1 MiB, so a
//! 1 GB file costs the same as a 3 MB one; a change in the middle of a large file that keeps
//! its size is not seen (the UI's tooltip and the README say so). Short hash: the first 12
//! hex digits (48 bits).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Bytes hashed at each end of a file.
pub const HEAD_BYTES: u64 = 1 << 20;

/// Hex digits kept of the SHA-256.
pub const SHORT_HEX: usize = 12;

/// What a link or a case file says about a loaded file.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FileIdentity {
    pub name: String,
    pub size: u64,
    /// The first [`SHORT_HEX`] hex digits of the content hash.
    pub hash: String,
}

/// The byte ranges to read: `[0, head_end)` and `[tail_start, size)` (empty when the head
/// covers the file).
pub fn ranges(size: u64) -> ((u64, u64), (u64, u64)) {
    let head_end = size.min(HEAD_BYTES);
    let tail_start = size.saturating_sub(HEAD_BYTES).max(head_end);
    ((0, head_end), (tail_start, size))
}

/// The short hash of a file of `size` bytes whose ranges (see [`ranges`]) hold `head` and
/// `tail`.
pub fn short_hash(size: u64, head: &[u8], tail: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(size.to_le_bytes());
    h.update(head);
    h.update(tail);
    let d = h.finalize();
    let mut s = String::with_capacity(64);
    for b in d.iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s.truncate(SHORT_HEX);
    s
}

/// The identity of a file held whole in memory (the sample, tests, the CLI).
pub fn of_bytes(name: &str, bytes: &[u8]) -> FileIdentity {
    let size = bytes.len() as u64;
    let ((a, b), (c, d)) = ranges(size);
    FileIdentity {
        name: name.to_string(),
        size,
        hash: short_hash(
            size,
            &bytes[a as usize..b as usize],
            &bytes[c as usize..d as usize],
        ),
    }
}

/// How a loaded file compares with one a link or case expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    /// Same content hash and size (the name may differ: a renamed copy is the same file).
    Same,
    /// Same name, other content: "the loaded file differs".
    Differs,
    /// Nothing loaded by that hash or name.
    Missing,
}

/// For each expected file: how the loaded set has it (by hash first, else by name), and
/// the loaded file it was compared with.
pub fn compare<'a>(
    expected: &[FileIdentity],
    loaded: &'a [FileIdentity],
) -> Vec<(Match, Option<&'a FileIdentity>)> {
    expected
        .iter()
        .map(|e| {
            if let Some(l) = loaded.iter().find(|l| l.hash == e.hash && l.size == e.size) {
                (Match::Same, Some(l))
            } else if let Some(l) = loaded.iter().find(|l| l.name == e.name) {
                (Match::Differs, Some(l))
            } else {
                (Match::Missing, None)
            }
        })
        .collect()
}

/// True when every expected file is loaded (by content).
pub fn all_present(expected: &[FileIdentity], loaded: &[FileIdentity]) -> bool {
    compare(expected, loaded)
        .iter()
        .all(|(m, _)| *m == Match::Same)
}

/// The local-storage key of the case kept for a set of files (order and names do not
/// matter: the content hashes, sorted).
pub fn storage_key(files: &[FileIdentity]) -> String {
    let mut h: Vec<&str> = files.iter().map(|f| f.hash.as_str()).collect();
    h.sort_unstable();
    h.dedup();
    format!("audit-lens.case.v1.{}", h.join("+"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_small_files_once() {
        assert_eq!(ranges(0), ((0, 0), (0, 0)));
        assert_eq!(ranges(10), ((0, 10), (10, 10)));
        assert_eq!(
            ranges(HEAD_BYTES),
            ((0, HEAD_BYTES), (HEAD_BYTES, HEAD_BYTES))
        );
        // 1.5 MiB: the tail is what the head left.
        let s = HEAD_BYTES + HEAD_BYTES / 2;
        assert_eq!(ranges(s), ((0, HEAD_BYTES), (HEAD_BYTES, s)));
        // 1 GB: two MiB read.
        let g = 1_000_000_000;
        assert_eq!(ranges(g), ((0, HEAD_BYTES), (g - HEAD_BYTES, g)));
    }

    #[test]
    fn short_hash_of_abc_matches_sha256sum() {
        // printf '\x03\x00\x00\x00\x00\x00\x00\x00abc' | sha256sum
        assert_eq!(of_bytes("a", b"abc").hash, "ce91dc5eec01");
    }

    #[test]
    fn compare_by_hash_then_name() {
        let f = |n: &str, s: u64, h: &str| FileIdentity {
            name: n.into(),
            size: s,
            hash: h.into(),
        };
        let expected = [
            f("a.log", 10, "aaa"),
            f("b.log", 20, "bbb"),
            f("c.log", 5, "ccc"),
        ];
        let loaded = [f("renamed.log", 10, "aaa"), f("b.log", 21, "bbx")];
        let m: Vec<Match> = compare(&expected, &loaded).iter().map(|x| x.0).collect();
        assert_eq!(m, [Match::Same, Match::Differs, Match::Missing]);
        assert!(!all_present(&expected, &loaded));
        assert!(all_present(&expected[..1], &loaded));
        assert_eq!(
            storage_key(&[f("x", 1, "b"), f("y", 1, "a")]),
            "audit-lens.case.v1.a+b"
        );
    }
}
