//! What the loader tells the page: progress, the loaded set in a few numbers, and why a
//! load stopped before running out of memory. Plain data (serde), shared by the worker
//! protocol ([`crate::web::protocol`] re-exports these types) and the native tests.

use crate::store::{Format, Store};
use serde::{Deserialize, Serialize};

/// The wasm32 heap is at most 4 GiB; the engine plans to use at most 3 GiB of it, so a
/// page never runs out of memory by surprise.
pub const HEAP_BUDGET_BYTES: u64 = 3 << 30;

/// Peak heap per event while loading: the store's ~78 B/event, doubled while its
/// columns grow, plus the time sort and the Explore and policy indexes. Measured in
/// Chromium with the security facts kept at ingest: 168 B/event for 1.02 M small events
/// (1.45 GB), 197 B/event for 379 k larger ones (1 GB; fixed costs such as the slices in
/// flight weigh more there; before the facts: 171 and 189).
pub const PEAK_BYTES_PER_EVENT: u64 = 180;

/// Events a tab may hold by default: [`HEAP_BUDGET_BYTES`] / [`PEAK_BYTES_PER_EVENT`]
/// (about 17.9 million).
pub const DEFAULT_MAX_EVENTS: u64 = HEAP_BUDGET_BYTES / PEAK_BYTES_PER_EVENT;

/// How many rejected lines a summary carries.
pub const MAX_REJECTIONS_SHOWN: usize = 20;

/// Why a load stopped before running out of memory, and what could be loaded instead.
/// Sent right after the `Loaded` of the files that stayed loaded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WontFit {
    /// Events the whole load would have held (estimated from the part read).
    pub estimated_events: u64,
    /// Events this tab may hold in all.
    pub max_events: u64,
    /// Events already loaded (before this load), counted against `max_events`.
    pub loaded_events: u64,
    /// The files that were not loaded, in load order.
    pub files: Vec<FitFile>,
    /// First and last `requestReceivedTimestamp` seen in the part read, µs.
    pub first_seen_us: Option<i64>,
    pub last_seen_us: Option<i64>,
    /// The time span the held-back files are estimated to cover (extrapolated from the
    /// part read, assuming the files are in time order).
    pub span_estimate_us: Option<(i64, i64)>,
    /// A window (the most recent part of that span) estimated to fit, `[from, to)`.
    pub proposed_window_us: Option<(i64, i64)>,
}

/// One held-back file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitFile {
    pub name: String,
    pub bytes: u64,
    pub estimated_events: u64,
}

/// Which step a load is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// Reading and parsing files.
    Reading,
    /// Generating the sample log.
    Generating,
    /// Putting events in time order.
    Sorting,
}

/// Load progress. `bytes_done <= bytes_total` (a file whose size is unknown counts 0).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub phase: Phase,
    /// The file being read.
    pub file: String,
    /// 0-based index of that file in this load, and the number of files in it.
    pub file_index: u32,
    pub files: u32,
    pub bytes_done: u64,
    pub bytes_total: u64,
    /// Events in the store so far (all files).
    pub events: u64,
    /// Milliseconds since this load started.
    pub elapsed_ms: f64,
    /// When the file being read is gzip: bytes of log decoded from it so far (`bytes_*`
    /// count compressed bytes then). `None` for other files.
    #[serde(default)]
    pub gzip_decoded: Option<u64>,
}

/// One loaded file, as the summary shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileSummary {
    pub name: String,
    pub bytes: u64,
    pub decoded_bytes: u64,
    pub gzip: bool,
    /// "JSON lines", "JSON documents" or "unknown".
    pub format: String,
    pub records: u64,
    pub events: u64,
    pub rejected: u64,
    /// Valid events not kept: outside the time window chosen for loading, or already
    /// loaded from another file (`duplicates`).
    pub skipped: u64,
    /// Of `skipped`: events an earlier file already holds.
    #[serde(default)]
    pub duplicates: u64,
    /// Wrappers seen, e.g. ("Azure diagnostic records", 22).
    pub wrappers: Vec<(String, u64)>,
    /// Of `skipped`: valid records that are no Kubernetes audit events, by kind, e.g.
    /// ("Google Cloud audit records of compute.googleapis.com", 3).
    #[serde(default)]
    pub skipped_kinds: Vec<(String, u64)>,
    /// A file-level finding in plain words.
    pub diagnosis: Option<String>,
    /// First and last `requestReceivedTimestamp` of this file's events, µs since the epoch.
    pub first_us: Option<i64>,
    pub last_us: Option<i64>,
}

/// One rejected input line, with its file's name resolved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RejectionView {
    pub file: String,
    /// 1-based line number.
    pub line: u64,
    pub reason: String,
}

/// The loaded set. `events + rejected + skipped == records`, summed over `files`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub files: Vec<FileSummary>,
    pub events: u64,
    pub rejected: u64,
    /// Events not kept: outside the chosen time window, or already loaded (`duplicates`).
    pub skipped: u64,
    /// Of `skipped`: events an earlier file already holds.
    #[serde(default)]
    pub duplicates: u64,
    pub records: u64,
    /// Bytes of all files as given.
    pub bytes: u64,
    /// Time span of all events (µs since the epoch), `None` when there are no events.
    pub first_us: Option<i64>,
    pub last_us: Option<i64>,
    /// The first rejected lines (at most [`MAX_REJECTIONS_SHOWN`]).
    pub rejections: Vec<RejectionView>,
    /// Store memory (columns + dictionaries) in bytes.
    pub memory_bytes: u64,
    /// The engine worker's whole wasm heap in bytes (its high-water mark: a wasm heap
    /// never shrinks). The loader cannot know it (0); the worker fills it in.
    #[serde(default)]
    pub heap_bytes: u64,
    /// Wall time of the load that produced this summary, ms.
    pub load_ms: f64,
    /// Something the user should know about this load ("cancelled: … was not loaded").
    pub note: Option<String>,
}

/// Summarises `store` (which must be finalized, so that the time column is sorted).
/// `load_ms` and `note` describe the load that led here. `heap_bytes` is left 0.
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
            skipped_kinds: f.skipped_kinds.clone(),
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
        heap_bytes: 0,
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
