//! The loaded set in a few numbers: what the UI shows after every load.

use crate::store::{Format, Store};
use crate::web::protocol::{FileSummary, RejectionView, Summary, MAX_REJECTIONS_SHOWN};

/// Summarises `store` (which must be finalized, so that the time column is sorted).
/// `load_ms` and `note` describe the load that led here.
pub fn summarize(store: &Store, load_ms: f64, note: Option<String>) -> Summary {
    let (events, rejected, records) = store.totals();
    let received = store.received_col();
    let nfiles = store.files.len();
    // Per-file time spans in one pass over the rows.
    let mut spans: Vec<Option<(i64, i64)>> = vec![None; nfiles];
    for (row, &t) in received.iter().enumerate() {
        let f = store.file(row) as usize;
        if let Some(slot) = spans.get_mut(f) {
            *slot = Some(slot.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
        }
    }
    let files = store
        .files
        .iter()
        .zip(&spans)
        .map(|(f, span)| FileSummary {
            name: f.name.clone(),
            bytes: f.bytes,
            decoded_bytes: f.decoded_bytes,
            gzip: f.gzip,
            format: format_name(f.format).to_string(),
            records: f.records,
            events: f.events,
            rejected: f.rejected,
            skipped: f.skipped,
            duplicates: f.duplicates,
            wrappers: f.wrappers.clone(),
            diagnosis: f.diagnosis.clone(),
            first_us: span.map(|s| s.0),
            last_us: span.map(|s| s.1),
        })
        .collect();
    let rejections = store
        .rejections
        .iter()
        .take(MAX_REJECTIONS_SHOWN)
        .map(|r| RejectionView {
            file: store
                .files
                .get(r.file as usize)
                .map_or_else(|| "?".to_string(), |f| f.name.clone()),
            line: r.line,
            reason: r.reason.clone(),
        })
        .collect();
    let mem = store.memory_use();
    Summary {
        files,
        events,
        rejected,
        skipped: store.files.iter().map(|f| f.skipped).sum(),
        duplicates: store.files.iter().map(|f| f.duplicates).sum(),
        records,
        bytes: store.files.iter().map(|f| f.bytes).sum(),
        first_us: received.first().copied(),
        last_us: received.last().copied(),
        rejections,
        memory_bytes: mem.column_bytes + mem.dictionary_bytes,
        heap_bytes: heap_bytes(),
        load_ms,
        note,
    }
}

/// The format's name for people.
pub fn format_name(f: Format) -> &'static str {
    match f {
        Format::Unknown => "unknown",
        Format::JsonLines => "JSON lines",
        Format::JsonDocuments => "JSON documents",
    }
}

/// The size of this wasm instance's memory (the web module exists only on wasm32).
fn heap_bytes() -> u64 {
    use wasm_bindgen::JsCast;
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as u64
}
