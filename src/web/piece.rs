//! Reading one large plain JSON-lines file with several workers.
//!
//! The loader ([`crate::load`]) decides; this is the I/O: the engine worker cuts the file at
//! line starts ([`plan`]), reads the first piece itself and asks helper workers
//! ([`crate::web::helper`]) for the others. A helper reads its piece with
//! [`Ingester::continuation`] into its own `Store` ([`ingest`]) and sends it back as its
//! columns in one byte buffer ([`encode`], [`crate::store::wire`]); the loader merges the
//! pieces into its store as rows of the file, in file order ([`absorb`] =
//! [`Store::absorb`]: each distinct string is interned once, columns are appended), giving
//! the rows, order and counts one reader would.
//!
//! No threads and no SharedArrayBuffer: the pieces cross by `postMessage`.

use crate::ingest::Ingester;
use crate::load::piece::{cut_points, probe_targets, HEAD_BYTES, PROBE_BYTES};
use crate::store::Store;
use crate::web::reader::{feed_range, read_slice, SLICE};
use wasm_bindgen::JsValue;
use web_sys::Blob;

pub use crate::load::piece::{absorb, encode, MAX_PIECES, MIN_SPLIT_BYTES};

/// How many pieces to read a file with on this machine: `min(cores, MAX_PIECES)`, at
/// least 2 (one core reads while the other parses on a 2-core machine).
pub fn pieces_wanted() -> u32 {
    let cores = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("navigator"))
        .and_then(|n| js_sys::Reflect::get(&n, &JsValue::from_str("hardwareConcurrency")))
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(2.0) as u32;
    cores.clamp(2, MAX_PIECES)
}

/// The URL of the running worker's script (helpers are started from it, see
/// [`crate::web::helper::helper_url`]).
pub fn own_url() -> Option<String> {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("location"))
        .and_then(|l| js_sys::Reflect::get(&l, &JsValue::from_str("href")))
        .ok()
        .and_then(|v| v.as_string())
}

/// Byte offsets where the pieces of `blob` start (the first is 0), or `None` when the file
/// should be read by one reader (small, gzip, not plain JSON lines, lines too long).
pub async fn plan(blob: &Blob, size: u64, pieces: u32) -> Option<Vec<u64>> {
    // The decision is the library's (`load::piece::cut_points`); here only the reads.
    let targets = probe_targets(size, pieces, MIN_SPLIT_BYTES);
    if targets.is_empty() {
        return None;
    }
    let head = read_slice(blob, 0, size.min(HEAD_BYTES)).await.ok()?;
    let mut probes = Vec::with_capacity(targets.len());
    for &t in &targets {
        probes.push(read_slice(blob, t, size.min(t + PROBE_BYTES)).await.ok()?);
    }
    let probes: Vec<&[u8]> = probes.iter().map(Vec::as_slice).collect();
    cut_points(size, &head, &targets, &probes)
}

/// Reads bytes `[start, end)` of `blob` (which start at a line start) into a new `Store`,
/// keeping the next slice's read in flight while parsing. Returns the store and the number
/// of lines seen. `progress(bytes_done)` is called after each slice.
pub async fn ingest(
    blob: &Blob,
    name: &str,
    start: u64,
    end: u64,
    window: Option<(i64, i64)>,
    mut progress: impl FnMut(u64),
) -> Result<(Store, u64), String> {
    let mut part = Store::new();
    part.window = window;
    let mut ing = Ingester::continuation(&mut part, name, start, 1);
    feed_range(&mut part, &mut ing, blob, start, end, SLICE, &mut progress).await?;
    let lines = ing.line() - 1;
    ing.finish(&mut part);
    Ok((part, lines))
}
