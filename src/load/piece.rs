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
