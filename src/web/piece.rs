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

use crate::ingest::{is_plain_json_lines, Ingester};
use crate::store::Store;
use crate::web::reader::{feed_range, read_slice, SLICE};
use wasm_bindgen::JsValue;
use web_sys::Blob;

pub use crate::load::piece::{absorb, encode, MAX_PIECES, MIN_SPLIT_BYTES};

/// Bytes read at each cut to find the next line start.
const PROBE: u64 = 1 << 20;

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
    if size < MIN_SPLIT_BYTES || pieces < 2 {
        return None;
    }
    let head = read_slice(blob, 0, size.min(4 << 20)).await.ok()?;
    if !is_plain_json_lines(&head) {
        return None;
    }
    let mut points = vec![0u64];
    for k in 1..pieces as u64 {
        let target = size * k / pieces as u64;
        let probe = read_slice(blob, target, size.min(target + PROBE))
            .await
            .ok()?;
        let nl = memchr::memchr(b'\n', &probe)?;
        let at = target + nl as u64 + 1;
        if at >= size || at <= *points.last().unwrap_or(&0) {
            return None;
        }
        points.push(at);
    }
    Some(points)
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
