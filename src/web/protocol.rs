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

// The loader's replies are plain library types (`crate::load`), re-exported here so both
// sides keep naming them `protocol::*`.
pub use crate::load::{
    FileSummary, FitFile, Phase, Progress, RejectionView, Summary, WontFit, DEFAULT_MAX_EVENTS,
    HEAP_BUDGET_BYTES, MAX_REJECTIONS_SHOWN, PEAK_BYTES_PER_EVENT,
};

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
    /// Loads the files a [`Response::WontFit`] held back: those at `files` (indices into
    /// its `files`), keeping only events received in `window` (`[from, to)`, µs) if set.
    /// Answered like a `Load`.
    Resume {
        files: Vec<u32>,
        window: Option<(i64, i64)>,
    },
    /// Sets how many events this tab may hold (default [`DEFAULT_MAX_EVENTS`]); a load
    /// that would pass it stops early with a [`Response::WontFit`]. No answer.
    SetLimits { max_events: u64 },

    // ---- Explore view (issue 5); answered by `crate::web::explore` ------------------
    /// Filters, bins and ranks: answered by [`Response::QueryResult`] (same `id`). With
    /// body predicates (`req.`/`resp.`) the candidates' bytes are read first, window by
    /// window, with [`Response::QueryProgress`] in between; a new query replaces it.
    Query(QuerySpec),
    /// Stops the running body search: its query is answered with an error saying so.
    StopQuery,
    /// A page of the last query's table: answered by [`Response::Rows`].
    Rows { id: u32, offset: u32, limit: u32 },
    /// One event's original JSON, its other stages and its rule: [`Response::Event`].
    Event { id: u32, row: u32 },
    /// The history of the object store row `row` is about: [`Response::History`].
    History { id: u32, row: u32 },
    /// Completion of the filter at byte `cursor`: [`Response::Completion`].
    Complete { id: u32, text: String, cursor: u32 },
    /// A download of the last query's events or of a top-N table: [`Response::Exported`].
    Export { id: u32, kind: ExportKind },
    /// The last query's events as JSON lines or CSV, optionally redacted (issue 16):
    /// [`Response::Exported`] with the redaction's counts.
    ExportEvents { id: u32, spec: ExportSpec },

    // ---- policy workbench (issue 6); answered by `crate::web::workbench` -------------
    /// Validates, lints and evaluates the edited policy over the loaded log:
    /// answered by [`Response::Workbench`] (same `id`).
    Workbench(WorkbenchRequest),

    // ---- actor view and activity feed (issue 12); answered by `crate::web::activity` --
    /// One actor's sessions, objects, failures, impersonation: [`Response::Actor`].
    /// `actor` as `analysis::actor::Actor::parse` reads it (`bob`, `sa:ns/name`, an IP).
    Actor { id: u32, actor: String, gap_us: i64 },
    /// A page of the activity feed: [`Response::Feed`].
    Feed(FeedSpec),
    /// The requests folded into the burst at feed line `line`: [`Response::FeedBurst`].
    FeedBurst {
        id: u32,
        line: u32,
        offset: u32,
        limit: u32,
    },

    // ---- findings (issue 13); answered by `crate::web::findings` ---------------------
    /// Runs the detection pack (built in, plus the user's rule file if one was given; a
    /// `rules` of `Some` replaces the user's file, `Some` with empty text removes it) over
    /// the loaded log: [`Response::Findings`]. Body-based rules read their candidates'
    /// bytes window by window first; a new request replaces a running one.
    Findings { id: u32, rules: Option<UserRules> },

    // ---- volume advisor (issue 14); answered by `crate::web::advise` -----------------
    /// Where the edited policy's bytes go, the changes that would cut them, the guard-rails
    /// and, with a target, a plan: [`Response::Advice`].
    Advise(AdviseRequest),

    // ---- view links and case files (issue 16) ----------------------------------------
    /// The store row of the event `audit_id` + `stage` and its index in the last query's
    /// table: [`Response::Found`].
    FindEvent {
        id: u32,
        audit_id: String,
        stage: String,
    },
    // ---- compare two periods (issue 16 §5); answered by `analysis::periods::answer` ----
    /// What is new, gone or changed by N× between two periods under a filter:
    /// [`Response::Periods`].
    ComparePeriods(PeriodsSpec),
}

/// A user's rule file for the detection pack.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserRules {
    pub name: String,
    pub text: String,
}

/// What the worker answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Response {
    /// The worker runs; `version` is the engine's crate version.
    Ready {
        version: String,
    },
    /// At most about ten a second while loading.
    Progress(Progress),
    /// A load (or cancel, or clear) finished; the whole loaded set as it stands now.
    Loaded(Summary),
    /// A policy was read (valid or not).
    Policy(PolicyReport),
    /// Something went wrong that is not about one input line, in plain words.
    Error(String),

    // ---- Explore view (issue 5) ------------------------------------------------------
    QueryResult(Box<QueryResult>),
    /// A body search of query `id` is reading: bytes read of those to read, candidate
    /// events (the metadata terms' rows) and matches so far.
    QueryProgress {
        id: u32,
        done_bytes: u64,
        total_bytes: u64,
        candidates: u64,
        matched: u64,
    },
    /// The top-N tables of query `id`, sent right after its [`Response::QueryResult`]
    /// (the timeline and the table do not wait for them).
    Tops {
        id: u32,
        tops: Vec<TopTable>,
    },
    Rows(RowsPage),
    Event(Box<EventDetail>),
    Completion {
        id: u32,
        completion: Completion,
    },
    Exported(Exported),
    /// One object's history (issue 12 §5).
    History(Box<HistoryReply>),

    // ---- policy workbench (issue 6) --------------------------------------------------
    Workbench(Box<WorkbenchReport>),

    /// A load stopped because it would not fit in memory (after its `Loaded`).
    WontFit(Box<WontFit>),

    // ---- actor view and activity feed (issue 12) -------------------------------------
    Actor(Box<ActorAnswer>),
    /// What happened after the event of [`Request::Event`] `id` (sent right after its
    /// [`Response::Event`]).
    Next(Box<NextAnswer>),
    Feed(Box<FeedPage>),
    FeedBurst {
        id: u32,
        line: u32,
        offset: u32,
        lines: Vec<FeedLine>,
    },

    // ---- findings (issue 13) ---------------------------------------------------------
    Findings(Box<FindingsAnswer>),

    // ---- volume advisor (issue 14) ----------------------------------------------------
    Advice(Box<AdviceAnswer>),

    // ---- view links and case files (issue 16) ----------------------------------------
    /// The loaded files' identities (name, size, short content hash), in store file order,
    /// once each is computed (after a `Loaded`; again whenever the set changes).
    FileIds(Vec<crate::case::FileIdentity>),
    /// Where [`Request::FindEvent`] `id`'s event is: its store row, and its index in the
    /// last query's table when it is there.
    Found {
        id: u32,
        row: Option<u32>,
        index: Option<u32>,
    },
    // ---- compare two periods (issue 16 §5) ---------------------------------------------
    Periods(Box<PeriodsAnswer>),
}

// Compare two periods (issue 16 §5).
pub use crate::analysis::periods::{
    Change, PeriodDim, PeriodRow, PeriodsAnswer, PeriodsReport, PeriodsSpec, Side,
};

// =====================================================================================
// Volume advisor (issue 14).
// =====================================================================================

pub use crate::advise::{Advice, GuardVerdict, Plan, RankRow, Shares};

/// What the advisor is asked about: the edited policy (the workbench's text and options).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdviseRequest {
    /// Echoed in the answer.
    pub id: u64,
    pub name: String,
    pub text: String,
    pub kube_minor: u32,
    pub accept_old_versions: bool,
    /// The user's guard-rails file; `None`: the defaults.
    pub guards: Option<String>,
    /// What `keep: bodies` compares with; `None`: the edited policy itself.
    pub reference: Option<String>,
    /// Plan for this cut (percent).
    pub target_pct: Option<f64>,
}

/// The advisor's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdviceAnswer {
    pub id: u64,
    pub advice: Option<Advice>,
    /// Why there is no advice (no log, the policy has errors, a load is running).
    pub error: Option<String>,
    /// The guard-rails file did not load (`guards.yaml:3: …`); the defaults were used.
    pub guard_error: Option<String>,
    pub elapsed_ms: f64,
}

// =====================================================================================
// Findings (issue 13).
// =====================================================================================

pub use crate::detect::answer::{FindingItem, FindingsAnswer, PackRule, FINDING_ROWS_MAX};
pub use crate::detect::{Finding, Severity, Support};

// =====================================================================================
// Actor view and activity feed (issue 12).
// =====================================================================================

pub use crate::analysis::actor::{ActorReport, Next, NextItem};
pub use crate::analysis::feed::{Category, FeedCounts, FeedLine, FeedOptions, Rules};

/// The answer to [`Request::Actor`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActorAnswer {
    pub id: u32,
    /// What was asked (as typed or clicked).
    pub asked: String,
    pub report: Option<ActorReport>,
    /// Why there is no report (a name that cannot be read).
    pub error: Option<String>,
    /// Worker time, ms.
    pub elapsed_ms: f64,
}

/// The next requests after one event (see `analysis::actor::next`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NextAnswer {
    /// The id of the [`Request::Event`] it follows.
    pub id: u32,
    pub next: Option<Next>,
}

/// A page of the activity feed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedSpec {
    pub id: u32,
    pub options: FeedOptions,
    pub offset: u32,
    pub limit: u32,
}

/// The answer to a [`FeedSpec`]: lines `[offset, offset + lines.len())` of `counts.lines`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedPage {
    pub id: u32,
    pub options: FeedOptions,
    pub offset: u32,
    pub counts: FeedCounts,
    pub lines: Vec<FeedLine>,
    /// Worker time, ms (the feed is built once per set of options).
    pub elapsed_ms: f64,
}

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

// =====================================================================================
// Explore view (issue 5). Every answer carries the `id` of its request; the UI drops
// answers whose id is not the latest it sent (typing outruns the worker).
// =====================================================================================

pub use crate::analysis::timeline::{StackBy, Timeline};
pub use crate::analysis::topn::{TopDim, TopRow, TopSort};
pub use crate::query::complete::{Completion, Suggestion};
pub use crate::query::CompileError;

/// Order of the event table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortBy {
    #[default]
    TimeAsc,
    TimeDesc,
    LatencyDesc,
    LatencyAsc,
}

/// What the Explore view shows: the filter, the time range and how to present them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuerySpec {
    pub id: u32,
    pub filter: String,
    /// `[from, to)` in µs since the epoch; `None` = everything.
    pub range: Option<(i64, i64)>,
    pub stack: StackBy,
    /// About how many timeline bins (the canvas width decides).
    pub bins: u32,
    pub sort: SortBy,
    /// One table row per audit ID (its last stage) instead of one per event.
    pub per_request: bool,
    /// Rows in the first page.
    pub page: u32,
    /// Rows per top-N table.
    pub top: u32,
}

/// One top-N table of the filtered set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopTable {
    pub dim: TopDim,
    /// The values with the most events, most first.
    pub rows: Vec<TopRow>,
    /// The values whose events take the most bytes, most first (the panels' "bytes"
    /// order; as many rows as `rows`).
    #[serde(default)]
    pub by_bytes: Vec<TopRow>,
}

/// One row of the event table (a few strings; the raw event stays in the file).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RowView {
    /// Store row (for [`Request::Event`]).
    pub row: u32,
    pub time_us: i64,
    pub user: String,
    pub verb: String,
    /// `resource[/subresource]`, empty for non-resource requests.
    pub resource: String,
    pub namespace: String,
    pub name: String,
    /// The request path (shown for non-resource requests).
    pub uri: String,
    /// 0 when absent.
    pub code: u16,
    /// `None` when the event has no `stageTimestamp` (shown as "–").
    pub latency_us: Option<u32>,
    pub level: String,
    pub stage: String,
    /// Bit `i` set when the request has an event at `Stage::ALL[i]` (its stage badges).
    pub stages: u8,
    /// Deciding rule under the loaded policy: `Some(Some(i))`, `Some(None)` = no rule
    /// matched, `None` = no policy loaded.
    pub rule: Option<Option<u32>>,
    /// Bytes of the event in the log.
    pub bytes: u32,
    /// `impersonatedUser.username`, "" when none (shown as "user → impersonated").
    #[serde(default)]
    pub impersonated: String,
    /// Why the request was refused ("" when it was not): `describe::denial_reason`.
    #[serde(default)]
    pub reason: String,
    /// The first source IP.
    #[serde(default)]
    pub source_ip: String,
    #[serde(default)]
    pub user_agent: String,
    #[serde(default)]
    pub audit_id: String,
    /// `responseStatus.message`.
    #[serde(default)]
    pub message: String,
}

/// A page of the table: rows `[offset, offset + rows.len())` of `total`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RowsPage {
    pub id: u32,
    pub offset: u32,
    pub total: u32,
    pub rows: Vec<RowView>,
}

/// The answer to a [`QuerySpec`].
///
/// Invariant: when `error` is set, nothing else is meaningful but `id` and `span` (the UI
/// keeps showing the previous answer).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryResult {
    pub id: u32,
    /// The filter text this answer is for (tests wait for it: a count equal to the
    /// previous one must still be the new filter's).
    #[serde(default)]
    pub filter: String,
    pub error: Option<CompileError>,
    /// Events matching the filter within the range (exact).
    pub count: u64,
    /// Bytes of those events in the log.
    pub bytes: u64,
    /// Table rows (requests when `per_request`, else `count`).
    pub rows: u64,
    /// Events in the whole store.
    pub total: u64,
    /// The whole loaded time span `[first, last]`, µs.
    pub span: Option<(i64, i64)>,
    pub range: Option<(i64, i64)>,
    pub timeline: Option<Timeline>,
    pub page: RowsPage,
    /// A usable policy is loaded (rule column, stack by rule, `rule:` filters).
    pub policy: bool,
    /// Worker time for this answer, ms.
    pub elapsed_ms: f64,
}

/// Another event of the same request (audit ID).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageRef {
    pub row: u32,
    pub stage: String,
    pub time_us: i64,
    /// `None` when the event has no `stageTimestamp`.
    pub latency_us: Option<u32>,
    pub code: u16,
}

/// The policy rule that decides an event, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleWhy {
    /// 0-based rule index; `None` when no rule matched (level None).
    pub rule: Option<u32>,
    pub level: String,
    /// Stages the decision omits.
    pub omit_stages: Vec<String>,
    pub policy: String,
    /// 1-based first line of the rule in the policy source (0 when unknown).
    pub line: u32,
    /// The rule's source lines.
    pub source: String,
    /// In plain words.
    pub why: String,
}

/// One event, fetched from its file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventDetail {
    pub id: u32,
    pub row: u32,
    pub file: String,
    /// Byte offset of the record in the (decompressed) file.
    pub offset: u64,
    /// The event alone: its line as in the file (host prefix removed) when `verbatim`,
    /// else taken out of its wrapper or pretty document and compacted onto one line.
    pub raw: String,
    /// The event was read from inside a wrapper (EventList, Azure records, ...).
    pub wrapped: bool,
    /// `raw` is byte for byte the event's text in the file.
    pub verbatim: bool,
    /// The event's `auditID` and `stage` as the store holds them.
    #[serde(default)]
    pub audit_id: String,
    #[serde(default)]
    pub stage: String,
    /// Every event of the same audit ID (this one included), in stage order.
    pub stages: Vec<StageRef>,
    pub rule: Option<RuleWhy>,
    /// Why the JSON could not be shown (file gone, read error).
    pub error: Option<String>,
    /// The readable header: summary line, decisions and their reasons, security facts,
    /// the impersonation note (`analysis::describe::readable`).
    #[serde(default)]
    pub readable: Option<crate::analysis::describe::Readable>,
}

/// What to download.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportKind {
    /// The last query's events as JSON lines, byte-identical to the source lines.
    Events,
    /// A top-N table of the last query as CSV (value, events, share, bytes).
    TopCsv(TopDim),
}

/// The format of an events export (issue 16).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventFormat {
    Jsonl,
    Csv,
}

/// What an events export holds: its format, the table's optional columns shown (by
/// `column_picker::Col::key`; a CSV has the table's columns, these, and `file` with several
/// files), and the redaction (`None`: the events as they are).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportSpec {
    pub format: EventFormat,
    pub columns: Vec<String>,
    pub redact: Option<crate::export::redact::Options>,
}

/// A download, built in the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Exported {
    pub id: u32,
    /// Suggested file name.
    pub name: String,
    /// Lines or rows written.
    pub count: u64,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    pub blob: web_sys::Blob,
    pub error: Option<String>,
    /// A redacted export's counts by kind (issue 16).
    #[serde(default)]
    pub redacted: Option<crate::export::redact::Summary>,
}

// =====================================================================================
// Policy workbench (issue 6). The UI sends the editor's text after a short debounce;
// every answer carries the request's `id` (the editor's revision) and the UI drops
// answers for older revisions.
// =====================================================================================

pub use crate::analysis::coverage::Coverage;
pub use crate::analysis::volume::{Retention, RotationFlags, WhatIf};
pub use crate::audit::lint::{CheckItem, Outcome};

/// The edited policy and what to compare it with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkbenchRequest {
    /// The editor's revision; echoed in the answer.
    pub id: u64,
    /// File name shown in findings.
    pub name: String,
    pub text: String,
    /// Kubernetes minor version (major is 1): what the evaluator accepts.
    pub kube_minor: u32,
    /// Read `audit.k8s.io/v1beta1`/`v1alpha1` policies as v1 (`LoadOptions::accept_old_versions`).
    #[serde(default)]
    pub accept_old_versions: bool,
    /// A second policy to compare with (A/B); `None` compares with the log as recorded.
    pub baseline: Option<String>,
    /// `--audit-log-maxsize`, `--audit-log-maxbackup`, `--audit-log-maxage`.
    pub flags: RotationFlags,
}

/// Where one rule is and what it selects, for the coverage table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleInfo {
    /// The rule's level as written ("None", "Metadata", ...).
    pub level: String,
    /// 1-based first and last line of the rule in the text (0 when unknown).
    pub line: u32,
    pub end_line: u32,
    /// Compact selectors, e.g. `users: system:kube-proxy · verbs: watch · resources: endpoints`;
    /// "everything" for a catch-all.
    pub selectors: String,
    /// Stages this rule omits (policy-wide ones included).
    pub omit_stages: Vec<String>,
}

/// One row of the coverage map: an API group/resource (or the non-resource URLs), with
/// events per verb and per resulting level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapRow {
    /// `group/resource[/sub]` ("core" for the empty group), or "non-resource URLs".
    pub label: String,
    pub events: u64,
    /// Per verb in [`CoverageMap::verbs`] order: events at None, Metadata, Request,
    /// RequestResponse under the policy (stages it omits count as None).
    pub cells: Vec<[u64; 4]>,
}

/// API groups/resources × verbs, coloured by the level the policy gives them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CoverageMap {
    pub verbs: Vec<String>,
    /// Rows by events, most first; at most [`MAP_ROWS`].
    pub rows: Vec<MapRow>,
    /// Rows left out (their events are in no row).
    pub more_rows: usize,
}

/// Rows the coverage map carries at most.
pub const MAP_ROWS: usize = 150;

/// Retention on disk for one policy under the rotation flags.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetentionView {
    pub label: String,
    pub bytes_per_hour: f64,
    pub retention: Retention,
}

/// Everything the workbench shows for one revision of the policy.
///
/// Invariants: `coverage`, `map` and `what_if` are `Some` only when the policy is valid and
/// a log is loaded (and not loading); `rules.len()` equals the number of rules when valid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkbenchReport {
    pub id: u64,
    /// Validation errors, warnings and lint findings, sorted by line.
    pub report: PolicyReport,
    pub rules: Vec<RuleInfo>,
    pub checklist: Vec<CheckItem>,
    pub coverage: Option<Coverage>,
    pub map: Option<CoverageMap>,
    pub what_if: Option<WhatIf>,
    /// Baseline then candidate, when `what_if` is set.
    pub retention: Vec<RetentionView>,
    /// The baseline policy could not be used (it is then "as recorded").
    pub baseline_error: Option<String>,
    /// Why there is no coverage (no log, loading, invalid policy).
    pub no_coverage: Option<String>,
    /// What the policy would blind of the detection pack and of the log's findings
    /// (issue 13; `None` for a policy that does not load).
    #[serde(default)]
    pub blind: Option<crate::detect::blind::BlindReport>,
    /// Rule by rule against the baseline policy (issue 14 §5); only when comparing with a
    /// valid baseline policy over a loaded log.
    #[serde(default)]
    pub compare: Option<Box<CompareReport>>,
    /// Worker time for this answer, ms.
    pub elapsed_ms: f64,
}

/// The edited policy against the baseline policy, rule by rule and line by line.
///
/// Direction: from the baseline (B, "before") to the edited policy (A, "now"). In `ab`
/// (`analysis::policy_ab`) and its pairs, `a` is the baseline's rule and `b` the edited
/// policy's (`Added`: only in the edited policy); `diff` is the baseline's text against
/// the edited text (`Added` lines are in the edited text).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareReport {
    pub ab: crate::analysis::policy_ab::PolicyAb,
    /// The baseline's rules, as `WorkbenchReport::rules` for the edited policy.
    pub baseline_rules: Vec<RuleInfo>,
    pub diff: Vec<crate::audit::compare::Hunk>,
    /// The diff was cut after [`DIFF_LINES_MAX`] lines.
    pub diff_truncated: bool,
}

/// Most diff lines a [`CompareReport`] carries.
pub const DIFF_LINES_MAX: usize = 4000;

pub use crate::analysis::history::History;

/// The answer to [`Request::History`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryReply {
    pub id: u32,
    /// The store row it was asked from.
    pub row: u32,
    pub history: Option<History>,
    /// Why there is no history (the row names no object).
    pub error: Option<String>,
    /// Events of the object in the store (the history may show only the latest).
    pub events: u32,
    /// Time the worker took, ms.
    pub ms: f64,
    /// Where it went (finding the rows, reading the bodies, building).
    #[serde(default)]
    pub phases: String,
}
