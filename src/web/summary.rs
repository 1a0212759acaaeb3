//! The loaded set in a few numbers: [`crate::load::summarize`], plus the one figure only
//! the worker knows (its wasm heap).

use crate::store::Store;
use crate::web::protocol::Summary;

pub use crate::load::format_name;

/// Summarises `store` (which must be finalized, so that the time column is sorted).
/// `load_ms` and `note` describe the load that led here.
pub fn summarize(store: &Store, load_ms: f64, note: Option<String>) -> Summary {
    let mut s = crate::load::summarize(store, load_ms, note);
    s.heap_bytes = heap_bytes();
    s
}

/// The size of this wasm instance's memory (the web module exists only on wasm32).
pub fn heap_bytes() -> u64 {
    use wasm_bindgen::JsCast;
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as u64
}
