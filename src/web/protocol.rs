//! The messages between the page (main thread) and the engine worker.
//!
//! One `Request` enum goes in, one `Response` enum comes out; both sides use these very
//! types, so they cannot drift apart. Adding a query means adding a `Request` variant, a
//! `Response` variant and one `match` arm in the worker and in the UI's reducer.
//!
//! Invariants:
//! - a `Load` is answered by zero or more `Progress`, zero or more `Policy`, then exactly
//!   one `Loaded` (also after `Cancel`, which answers with the set as it stands, `note` set);
//! - counts are exact integers; the UI formats them for humans, tests read them exactly.

use serde::{Deserialize, Serialize};

/// A file handed to the worker. The `Blob` (usually a `File`) is passed by structured
/// clone: nothing is read on the main thread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileRef {
    pub name: String,
    /// Size in bytes, as the browser reports it.
    pub size: u64,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    pub blob: web_sys::Blob,
}

impl FileRef {
    /// Wraps a browser `File`.
    pub fn from_file(file: web_sys::File) -> Self {
        FileRef {
            name: file.name(),
            size: file.size() as u64,
            blob: file.into(),
        }
    }
}

/// What the page asks the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Sent once at start; answered by [`Response::Ready`].
    Hello,
    /// Adds files to the loaded set. Logs and policies are told apart by content
    /// (the first 64 KiB); with `as_policy` every file is read as a policy.
    Load {
        files: Vec<FileRef>,
        as_policy: bool,
    },
    /// Adds the generated sample log and its policy.
    LoadSample,
    /// Stops the running load between two slices. The file being read is dropped whole.
    Cancel,
    /// Forgets every file and the policy.
    Clear,
}

/// What the worker answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Response {
    /// The worker runs; `version` is the engine's crate version.
    Ready { version: String },
    /// At most about ten a second while loading.
    Progress(Progress),
    /// A load (or cancel, or clear) finished; the whole loaded set as it stands now.
    Loaded(Summary),
    /// A policy was read (valid or not).
    Policy(PolicyReport),
    /// Something went wrong that is not about one input line, in plain words.
    Error(String),
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
    /// Re-reading the files kept after a cancel.
    Restoring,
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
    /// Wrappers seen, e.g. ("Azure diagnostic records", 22).
    pub wrappers: Vec<(String, u64)>,
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

/// The loaded set. `events + rejected == records`, summed over `files`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub files: Vec<FileSummary>,
    pub events: u64,
    pub rejected: u64,
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
    /// Wall time of the load that produced this summary, ms.
    pub load_ms: f64,
    /// Something the user should know about this load ("cancelled: … was not loaded").
    pub note: Option<String>,
}

/// How many rejected lines a summary carries.
pub const MAX_REJECTIONS_SHOWN: usize = 20;

/// One policy finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiagnosticView {
    /// "error", "warning" or "info".
    pub severity: String,
    /// A short stable code, e.g. "invalid-level".
    pub code: String,
    pub message: String,
    /// 0-based rule index, when the finding is about one rule.
    pub rule: Option<usize>,
    /// 1-based line and column in the policy text (0 when unknown).
    pub line: u32,
    pub column: u32,
}

/// A policy as read by the engine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyReport {
    pub name: String,
    pub text: String,
    /// Number of rules, when the policy could be read.
    pub rules: Option<usize>,
    /// True when the policy is usable (no errors).
    pub valid: bool,
    pub diagnostics: Vec<DiagnosticView>,
}
