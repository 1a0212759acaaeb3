//! Reading a `Blob` (a dropped `File`) in large slices.
//!
//! The worker never reads a whole file at once: it asks for `[start, end)` slices of
//! [`SLICE`] bytes with `blob.slice().arrayBuffer()`, and asks for the next slice before
//! parsing the current one, so the browser reads while the engine parses. Each slice is
//! copied once, into wasm memory.

use crate::ingest::Ingester;
use crate::store::Store;
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

pub use crate::load::{next_range, SLICE, SNIFF_BYTES};

/// Reads bytes `[start, end)` of `blob`.
pub async fn read_slice(blob: &Blob, start: u64, end: u64) -> Result<Vec<u8>, String> {
    let part = blob
        .slice_with_f64_and_f64(start as f64, end as f64)
        .map_err(|e| js_error_text(&e))?;
    let buf = JsFuture::from(part.array_buffer())
        .await
        .map_err(|e| js_error_text(&e))?;
    Ok(Uint8Array::new(&buf).to_vec())
}

/// Resolves after a turn of the event loop (a zero-delay timer, so messages waiting for
/// the worker — a Stop — are handled first; a resolved promise would run before them).
pub async fn next_turn() {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let g: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        if g.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0)
            .is_err()
        {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        }
    });
    let _ = JsFuture::from(p).await;
}

/// Reads bytes `[start, end)` of `blob` synchronously. Works only inside a worker
/// (`FileReaderSync` does not exist on the main thread).
pub fn read_slice_sync(blob: &Blob, start: u64, end: u64) -> Result<Vec<u8>, String> {
    let part = blob
        .slice_with_f64_and_f64(start as f64, end as f64)
        .map_err(|e| js_error_text(&e))?;
    let reader = web_sys::FileReaderSync::new().map_err(|e| js_error_text(&e))?;
    let buf = reader
        .read_as_array_buffer(&part)
        .map_err(|e| js_error_text(&e))?;
    Ok(Uint8Array::new(&buf).to_vec())
}

/// Reads a whole blob into `store` as one file, `slice` bytes at a time, keeping the
/// next read in flight while the current slice is parsed. Returns the file's index.
/// The store is not finalized (call [`Store::finalize`] after the last file).
pub async fn load_blob(
    store: &mut Store,
    name: &str,
    blob: &Blob,
    slice: u64,
) -> Result<u32, String> {
    let size = blob.size() as u64;
    let mut ing = Ingester::new(store, name, size);
    feed_range(store, &mut ing, blob, 0, size, slice, |_| {}).await?;
    let file = ing.file();
    ing.finish(store);
    Ok(file)
}

/// Feeds bytes `[start, end)` of `blob` to `ing`, `slice` bytes at a time, keeping the
/// next read in flight while the current slice is parsed; `progress(bytes_done)` follows
/// each slice. The ingester is not finished.
pub async fn feed_range(
    store: &mut Store,
    ing: &mut Ingester,
    blob: &Blob,
    start: u64,
    end: u64,
    slice: u64,
    mut progress: impl FnMut(u64),
) -> Result<(), String> {
    let read = |(a, b): (u64, u64)| (b, read_slice_owned(blob.clone(), a, b));
    let mut pending = next_range(start, end, slice).map(read);
    while let Some((at, fut)) = pending.take() {
        let bytes = fut.await?;
        pending = next_range(at, end, slice).map(read);
        ing.push(store, &bytes);
        progress(at - start);
    }
    Ok(())
}

/// Starts reading at once (the browser reads while we parse) and returns the result later.
fn read_slice_owned(
    blob: Blob,
    start: u64,
    end: u64,
) -> impl std::future::Future<Output = Result<Vec<u8>, String>> {
    let promise = blob
        .slice_with_f64_and_f64(start as f64, end as f64)
        .map(|p| p.array_buffer());
    async move {
        let promise = promise.map_err(|e| js_error_text(&e))?;
        let buf = JsFuture::from(promise)
            .await
            .map_err(|e| js_error_text(&e))?;
        Ok(Uint8Array::new(&buf).to_vec())
    }
}

/// A JS exception in words a person can act on.
pub fn js_error_text(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        let name: String = err.name().into();
        let msg: String = err.message().into();
        return match name.as_str() {
            "NotFoundError" => {
                "the file is gone (was it moved or deleted after you chose it?)".into()
            }
            "NotReadableError" => {
                "the browser could not read the file (was it changed or removed while loading?)"
                    .into()
            }
            _ if msg.is_empty() => name,
            _ => format!("{name}: {msg}"),
        };
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// The identity of `blob` (issue 16): its name, size and the short SHA-256 over the size
/// and its first and last MiB (`crate::case::ident`): two small reads, whatever its size.
pub async fn identity(blob: &Blob, name: &str) -> Result<crate::case::FileIdentity, String> {
    let size = blob.size() as u64;
    let ((a, b), (c, d)) = crate::case::ident::ranges(size);
    let head = read_slice(blob, a, b).await?;
    let tail = if c < d {
        read_slice(blob, c, d).await?
    } else {
        Vec::new()
    };
    Ok(crate::case::FileIdentity {
        name: name.to_string(),
        size,
        hash: crate::case::ident::short_hash(size, &head, &tail),
    })
}
