//! One large plain JSON-lines file read in pieces: the pure half.
//!
//! The loader reads the first piece itself; each other piece is read by a helper (a
//! second worker in the page) into a `Store` of its own with [`Ingester::continuation`],
//! sent back as one byte buffer ([`encode`], [`crate::store::wire`]) and merged in file
//! order ([`absorb`] = [`Store::absorb`]), giving the rows, order and counts one reader
//! would. [`ingest`] is what a helper does, on bytes already read.

use crate::ingest::Ingester;
use crate::store::{wire, Store};

/// Files at least this large are read in pieces (when plain JSON lines).
pub const MIN_SPLIT_BYTES: u64 = 64 << 20;
/// Most workers one file is read with.
pub const MAX_PIECES: u32 = 4;

/// Bytes of a file's head that must show plain JSON lines before it is cut.
pub const HEAD_BYTES: u64 = 4 << 20;
/// Bytes read at each cut target to find the next line start.
pub const PROBE_BYTES: u64 = 1 << 20;

/// Where to look for cut points of a `size`-byte file read in `pieces`: `size * k /
/// pieces` for k = 1..pieces (the caller reads [`PROBE_BYTES`] at each, or to the end).
/// Empty when the file is not worth cutting (smaller than `min_split`, or one piece).
pub fn probe_targets(size: u64, pieces: u32, min_split: u64) -> Vec<u64> {
    if size < min_split || pieces < 2 {
        return Vec::new();
    }
    (1..pieces as u64)
        .map(|k| size * k / pieces as u64)
        .collect()
}

/// Where to cut: the first byte of each piece (the first is 0), or `None` to read the
/// file whole. `head` is the file's first bytes (up to [`HEAD_BYTES`]); `probes[i]` the
/// bytes read at `targets[i]` (from [`probe_targets`]). A piece starts right after the
/// first newline at or past its target; the file is read whole when it is not plain JSON
/// lines (gzip, documents, a first line that is not one object), when a probe holds no
/// newline (a line longer than the probe), or when two cuts would meet or pass the end.
/// The page's engine worker and the CLI's threads both cut with this.
pub fn cut_points(size: u64, head: &[u8], targets: &[u64], probes: &[&[u8]]) -> Option<Vec<u64>> {
    if targets.is_empty()
        || targets.len() != probes.len()
        || !crate::ingest::is_plain_json_lines(head)
    {
        return None;
    }
    let mut points = vec![0u64];
    for (&target, probe) in targets.iter().zip(probes) {
        let nl = memchr::memchr(b'\n', probe)?;
        let at = target + nl as u64 + 1;
        if at >= size || at <= *points.last().unwrap_or(&0) {
            return None;
        }
        points.push(at);
    }
    Some(points)
}

/// A piece's store as one byte buffer (see [`crate::store::wire`]).
pub fn encode(part: &Store) -> Vec<u8> {
    wire::encode(part)
}

/// Adds an [`encode`]d piece to `store` as rows of `file` (see [`Store::absorb`]).
pub fn absorb(store: &mut Store, bytes: &[u8], file: u32, line_offset: u64) -> Result<(), String> {
    let part = wire::decode(bytes).map_err(|e| format!("a piece could not be decoded: {e}"))?;
    store.absorb(&part, file, line_offset);
    Ok(())
}

/// A piece's store being read: bytes `[start, ..)` of file `name` (`start` is a line
/// start), kept only within `window`. Feed it with [`PieceReader::push`].
pub struct PieceReader {
    store: Store,
    ing: Ingester,
}

impl PieceReader {
    pub fn new(name: &str, start: u64, window: Option<(i64, i64)>) -> Self {
        let mut store = Store::new();
        store.window = window;
        let ing = Ingester::continuation(&mut store, name, start, 1);
        PieceReader { store, ing }
    }

    /// Feeds the piece's next bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.ing.push(&mut self.store, bytes);
    }

    /// Ends the piece: its store and the number of lines it holds.
    pub fn finish(self) -> (Store, u64) {
        let PieceReader { mut store, ing } = self;
        let lines = ing.line() - 1;
        ing.finish(&mut store);
        (store, lines)
    }
}

/// What a helper answers for a piece read whole: lines and the [`encode`]d store.
pub fn ingest(name: &str, start: u64, bytes: &[u8], window: Option<(i64, i64)>) -> (u64, Vec<u8>) {
    let mut r = PieceReader::new(name, start, window);
    r.push(bytes);
    let (store, lines) = r.finish();
    (lines, encode(&store))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(n: usize, width: usize) -> Vec<u8> {
        let mut v = Vec::new();
        for i in 0..n {
            let pad = "x".repeat(width.saturating_sub(20));
            v.extend_from_slice(format!("{{\"i\":{i},\"p\":\"{pad}\"}}\n").as_bytes());
        }
        v
    }

    /// Cuts `data` as a shell does: reads the head and a probe at each target.
    fn cut(data: &[u8], pieces: u32, min: u64) -> Option<Vec<u64>> {
        let size = data.len() as u64;
        let targets = probe_targets(size, pieces, min);
        let head = &data[..(HEAD_BYTES.min(size)) as usize];
        let probes: Vec<&[u8]> = targets
            .iter()
            .map(|&t| &data[t as usize..(t + PROBE_BYTES).min(size) as usize])
            .collect();
        cut_points(size, head, &targets, &probes)
    }

    #[test]
    fn cuts_fall_on_line_starts_in_order() {
        let data = lines(20_000, 100);
        for pieces in 2..=4 {
            let p = cut(&data, pieces, 0).expect("plain JSON lines are cut");
            assert_eq!(p.len(), pieces as usize);
            assert_eq!(p[0], 0);
            for w in p.windows(2) {
                assert!(w[0] < w[1]);
            }
            for &at in &p[1..] {
                assert_eq!(data[at as usize - 1], b'\n', "{at} starts a line");
            }
            // Each cut is the first line start at or past its target.
            for (k, &at) in p[1..].iter().enumerate() {
                let t = data.len() * (k + 1) / pieces as usize;
                let first = t + data[t..].iter().position(|&c| c == b'\n').unwrap() + 1;
                assert_eq!(at as usize, first);
            }
        }
    }

    #[test]
    fn what_is_read_whole() {
        let data = lines(2000, 100);
        assert_eq!(cut(&data, 4, data.len() as u64 + 1), None, "too small");
        assert_eq!(cut(&data, 1, 0), None, "one piece");
        let mut docs = b"{\n  \"a\": 1\n}\n".to_vec();
        docs.extend_from_slice(&data);
        assert_eq!(cut(&docs, 2, 0), None, "pretty documents");
        let gz = [0x1f, 0x8b, 8, 0];
        assert_eq!(cut(&[&gz[..], &data].concat(), 2, 0), None, "gzip");
        // A line longer than the probe at a target: no newline to cut at.
        let mut long = lines(10, 100);
        long.extend(std::iter::repeat_n(b'y', (3 * PROBE_BYTES) as usize));
        long.push(b'\n');
        assert_eq!(cut(&long, 2, 0), None);
        // Probes that do not match the targets are refused, never indexed past.
        assert_eq!(cut_points(100, &data, &[50], &[]), None);
    }
}
