//! The Explore view's part of the page state, its actions, and the URL hash.
//!
//! Everything goes through [`ExploreState::reduce`] (called from the page reducer), so the
//! view has one place where its state changes. The worker's answers carry the id of their
//! request; an answer to anything but the latest request is dropped (typing is faster than
//! the worker).
//!
//! Invariants:
//! - `result` is the latest *successful* answer: a filter error never blanks the view;
//! - `pages` hold rows of `result` only (keyed by offset / [`PAGE`]);
//! - `applied` is what the worker was (or will be) asked; `filter` is what is typed.

use crate::web::protocol::{
    CompileError, Completion, EventDetail, Exported, HistoryReply, NextAnswer, QueryResult,
    Response, RowView, SortBy, StackBy, TopDim, TopSort, TopTable,
};
use std::collections::BTreeMap;
use std::rc::Rc;

/// Where the table's column choice is kept (`column_picker`'s key); a link's `cols=`
/// is written there before the table mounts (issue 16).
pub const COLUMNS_KEY: &str = "audit-lens.columns";

/// The table sorts as (URL key, value); the first is the default (issue 16).
pub const SORTS: &[(&str, SortBy)] = &[
    ("time", SortBy::TimeAsc),
    ("time-desc", SortBy::TimeDesc),
    ("latency-desc", SortBy::LatencyDesc),
    ("latency-asc", SortBy::LatencyAsc),
];

/// Rows per page asked from the worker.
pub const PAGE: u32 = 100;

/// The stack-by choices, as (URL key, label, value).
pub const STACKS: &[(&str, &str, StackBy)] = &[
    ("none", "nothing", StackBy::None),
    ("verb", "verb", StackBy::Dim(TopDim::Verb)),
    ("user", "user", StackBy::Dim(TopDim::User)),
    ("resource", "resource", StackBy::Dim(TopDim::Resource)),
    ("ns", "namespace", StackBy::Dim(TopDim::Namespace)),
    ("code", "code class", StackBy::CodeClass),
    ("level", "level", StackBy::Dim(TopDim::Level)),
    ("stage", "stage", StackBy::Dim(TopDim::Stage)),
    ("decision", "decision", StackBy::Dim(TopDim::Decision)),
    ("agent", "user agent", StackBy::Dim(TopDim::UserAgent)),
    ("rule", "policy rule", StackBy::Rule),
];

/// The URL key of a stack choice.
pub fn stack_key(s: StackBy) -> &'static str {
    STACKS.iter().find(|x| x.2 == s).map_or("verb", |x| x.0)
}

/// A stack choice from its URL key.
pub fn stack_of(k: &str) -> Option<StackBy> {
    STACKS.iter().find(|x| x.0 == k).map(|x| x.2)
}

/// The filter field for a top-N / stack dimension.
pub fn field_of(d: TopDim) -> &'static str {
    match d {
        TopDim::User => "user",
        TopDim::Verb => "verb",
        TopDim::Resource => "resource",
        TopDim::Namespace => "ns",
        TopDim::Code => "code",
        TopDim::UserAgent => "agent",
        TopDim::SourceIp => "ip",
        TopDim::Stage => "stage",
        TopDim::Level => "level",
        TopDim::Decision => "decision",
        TopDim::ImpersonatedUser => "as",
    }
}

/// A `field:value` term for a displayed value, or `None` when the value cannot be written
/// in the filter language (the "(none)" placeholders).
pub fn term_for(field: &str, value: &str) -> Option<String> {
    if value.is_empty() || (value.starts_with('(') && value.ends_with(')')) {
        return None;
    }
    let mut v = value.to_string();
    if field == "resource" {
        // "deployments.apps/scale" -> "deployments/scale" (the filter matches resource/sub).
        let (res, sub) = v
            .split_once('/')
            .map_or((v.as_str(), None), |(a, b)| (a, Some(b)));
        let res = res.split('.').next().unwrap_or(res);
        v = match sub {
            Some(s) => format!("{res}/{s}"),
            None => res.to_string(),
        };
    }
    if v.contains(|c: char| c.is_whitespace() || c == '"' || c == ',') {
        v = format!("\"{}\"", v.replace('"', "\\\""));
    }
    Some(format!("{field}:{v}"))
}

/// The Explore view's state. See the module docs for the invariants.
#[derive(Clone, Debug, PartialEq)]
pub struct ExploreState {
    pub filter: String,
    pub applied: String,
    pub range: Option<(i64, i64)>,
    pub stack: StackBy,
    pub sort: SortBy,
    pub per_request: bool,
    pub local_time: bool,
    /// Latest query id sent.
    pub sent: u32,
    pub result: Option<Rc<QueryResult>>,
    /// Top-N tables and the query id they belong to (they arrive just after the result).
    pub tops: Rc<Vec<TopTable>>,
    pub tops_id: u32,
    /// The top-N panels' order and bars: events or bytes (kept in the URL hash as
    /// `tops=bytes`).
    pub top_sort: TopSort,
    /// The applied filter's error (the previous result stays shown).
    pub error: Option<CompileError>,
    pub pages: Rc<BTreeMap<u32, Rc<Vec<RowView>>>>,
    /// Selected table row (index in the table).
    pub selected: Option<u32>,
    /// The detail drawer shows the event at this store row.
    pub detail_row: Option<u32>,
    pub detail_sent: u32,
    pub detail: Option<Rc<EventDetail>>,
    pub completion: Option<Rc<Completion>>,
    pub completion_sent: u32,
    /// A newer completion was asked for than the one shown (do not accept the shown one).
    pub completion_stale: bool,
    /// The user moved through the suggestions with ↑/↓ (Enter then accepts).
    pub completion_nav: bool,
    /// Highlighted suggestion.
    pub completion_index: usize,
    pub help_open: bool,
    pub export: Option<Rc<Exported>>,
    pub exporting: bool,
    /// The body search of the latest query, while it reads.
    pub search: Option<SearchProgress>,
    /// Bumped to ask the same query again.
    pub retry: u32,
    /// The object history view is open for the object of this store row.
    pub history_row: Option<u32>,
    pub history_sent: u32,
    pub history: Option<Rc<HistoryReply>>,
    /// What happened after the detail's event (issue 12), when it is here.
    pub next: Option<Rc<NextAnswer>>,
}

/// How far a body search (`req.`/`resp.` terms) has read.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct SearchProgress {
    pub done_bytes: u64,
    pub total_bytes: u64,
    pub candidates: u64,
    pub matched: u64,
}

impl Default for ExploreState {
    fn default() -> Self {
        ExploreState {
            filter: String::new(),
            applied: String::new(),
            range: None,
            stack: StackBy::Dim(TopDim::Verb),
            sort: SortBy::TimeAsc,
            per_request: false,
            local_time: false,
            sent: 0,
            result: None,
            tops: Rc::default(),
            tops_id: 0,
            top_sort: TopSort::Events,
            error: None,
            pages: Rc::default(),
            selected: None,
            detail_row: None,
            detail_sent: 0,
            detail: None,
            completion: None,
            completion_sent: 0,
            completion_stale: false,
            completion_nav: false,
            completion_index: 0,
            help_open: false,
            export: None,
            exporting: false,
            search: None,
            retry: 0,
            history_row: None,
            history_sent: 0,
            history: None,
            next: None,
        }
    }
}

/// What can happen in the Explore view.
#[derive(Clone, Debug, PartialEq)]
pub enum ExploreAction {
    /// Typed into the filter (not yet applied).
    Type(String),
    /// Applies the typed filter (after the debounce, or Enter).
    Apply,
    /// Replaces and applies the filter.
    SetFilter(String),
    /// Adds `term` (already `field:value`) to the filter; `negate` prefixes `-`.
    AddTerm {
        term: String,
        negate: bool,
    },
    SetRange(Option<(i64, i64)>),
    SetStack(StackBy),
    SetSort(SortBy),
    /// Orders the top-N panels by events or by bytes.
    SetTopSort(TopSort),
    TogglePerRequest,
    ToggleLocalTime,
    QuerySent(u32),
    /// Selects table row `index` (clamped) and, with `open`, shows its detail.
    Select {
        index: u32,
        open: bool,
    },
    /// Moves the selection by `delta` rows.
    Move(i32),
    /// Opens the detail of store row `row` (another stage of the same request).
    OpenRow(u32),
    /// Opens the detail of the selected row (Enter).
    OpenSelected,
    CloseDetail,
    DetailSent(u32),
    CompletionSent(u32),
    CompletionMove(i32),
    CloseCompletion,
    ToggleHelp,
    ExportStarted,
    /// The download was handed to the browser.
    ExportDone,
    /// Opens the history of the object of store row `row`.
    OpenHistory(u32),
    CloseHistory,
    HistorySent(u32),
    /// Escape: closes the history view when open, else the detail.
    Escape,
}

impl ExploreState {
    /// Rows in the table of the current result.
    pub fn total_rows(&self) -> u32 {
        self.result.as_ref().map_or(0, |r| r.page.total)
    }

    /// The row view at table index `i`, when its page is here.
    pub fn row_at(&self, i: u32) -> Option<&RowView> {
        let p = self.pages.get(&(i / PAGE))?;
        p.get((i % PAGE) as usize)
    }

    fn add_term(&mut self, term: &str, negate: bool) {
        let t = if negate {
            format!("-{term}")
        } else {
            term.to_string()
        };
        let (pos, neg) = (term.to_string(), format!("-{term}"));
        // Replace the opposite term instead of adding a contradiction; skip duplicates.
        let mut words: Vec<String> = self
            .filter
            .split_whitespace()
            .filter(|w| **w != pos && **w != neg)
            .map(str::to_string)
            .collect();
        words.push(t);
        self.filter = words.join(" ");
        self.applied = self.filter.clone();
    }

    /// Applies an Explore action.
    pub fn reduce(&mut self, a: ExploreAction) {
        match a {
            ExploreAction::Type(t) => {
                self.filter = t;
                self.completion_index = 0;
            }
            ExploreAction::Apply => {
                // Enter on the filter already applied asks again (a stopped or failed
                // body search is searched again).
                if self.applied == self.filter && self.error.is_some() {
                    self.retry = self.retry.wrapping_add(1);
                }
                self.applied = self.filter.clone();
            }
            ExploreAction::SetFilter(f) => {
                self.filter = f;
                self.applied = self.filter.clone();
            }
            ExploreAction::AddTerm { term, negate } => self.add_term(&term, negate),
            ExploreAction::SetRange(r) => self.range = r,
            ExploreAction::SetStack(s) => self.stack = s,
            ExploreAction::SetSort(s) => self.sort = s,
            ExploreAction::SetTopSort(s) => self.top_sort = s,
            ExploreAction::TogglePerRequest => self.per_request = !self.per_request,
            ExploreAction::ToggleLocalTime => self.local_time = !self.local_time,
            ExploreAction::QuerySent(id) => {
                self.sent = id;
                self.search = None;
            }
            ExploreAction::Select { index, open } => {
                let n = self.total_rows();
                if n > 0 {
                    let i = index.min(n - 1);
                    self.selected = Some(i);
                    if open || self.detail_row.is_some() {
                        self.detail_row = self.row_at(i).map(|r| r.row);
                    }
                }
            }
            ExploreAction::Move(d) => {
                let n = self.total_rows() as i64;
                if n > 0 {
                    let cur = self.selected.map_or(-1, |i| i as i64);
                    let i = (cur + d as i64).clamp(0, n - 1) as u32;
                    self.selected = Some(i);
                    if self.detail_row.is_some() {
                        self.detail_row = self.row_at(i).map(|r| r.row);
                    }
                }
            }
            ExploreAction::OpenRow(r) => self.detail_row = Some(r),
            ExploreAction::OpenSelected => {
                let i = self.selected.unwrap_or(0);
                if let Some(r) = self.row_at(i).map(|r| r.row) {
                    self.selected = Some(i);
                    self.detail_row = Some(r);
                }
            }
            ExploreAction::CloseDetail => {
                self.detail_row = None;
                self.detail = None;
            }
            ExploreAction::DetailSent(id) => self.detail_sent = id,
            ExploreAction::CompletionSent(id) => {
                self.completion_sent = id;
                self.completion_stale = true;
            }
            ExploreAction::CompletionMove(d) => {
                let n = self.completion.as_ref().map_or(0, |c| c.items.len());
                if n > 0 {
                    self.completion_nav = true;
                    self.completion_index =
                        (self.completion_index as i64 + d as i64).rem_euclid(n as i64) as usize;
                }
            }
            ExploreAction::CloseCompletion => self.completion = None,
            ExploreAction::ToggleHelp => self.help_open = !self.help_open,
            ExploreAction::ExportStarted => self.exporting = true,
            ExploreAction::ExportDone => self.export = None,
            ExploreAction::OpenHistory(r) => {
                self.history_row = Some(r);
                self.history = None;
            }
            ExploreAction::CloseHistory => {
                self.history_row = None;
                self.history = None;
            }
            ExploreAction::HistorySent(id) => self.history_sent = id,
            ExploreAction::Escape if self.history_row.is_some() => {
                self.reduce(ExploreAction::CloseHistory)
            }
            ExploreAction::Escape => self.reduce(ExploreAction::CloseDetail),
        }
    }

    /// Takes a worker answer that belongs to the Explore view.
    pub fn on_response(&mut self, r: Response) {
        match r {
            Response::QueryProgress {
                id,
                done_bytes,
                total_bytes,
                candidates,
                matched,
            } if id == self.sent => {
                self.search = Some(SearchProgress {
                    done_bytes,
                    total_bytes,
                    candidates,
                    matched,
                });
            }
            Response::QueryResult(q) if q.id == self.sent => {
                self.search = None;
                if let Some(e) = q.error.clone() {
                    self.error = Some(e);
                } else {
                    self.error = None;
                    let mut pages = BTreeMap::new();
                    for (k, chunk) in q.page.rows.chunks(PAGE as usize).enumerate() {
                        pages.insert(k as u32, Rc::new(chunk.to_vec()));
                    }
                    self.pages = Rc::new(pages);
                    let n = q.page.total;
                    self.selected = self.selected.filter(|&i| i < n);
                    self.result = Some(Rc::new(*q));
                }
            }
            Response::Tops { id, tops } if id == self.sent => {
                self.tops = Rc::new(tops);
                self.tops_id = id;
            }
            Response::Rows(p) if self.result.as_ref().is_some_and(|r| r.id == p.id) => {
                let mut pages = (*self.pages).clone();
                for (k, chunk) in p.rows.chunks(PAGE as usize).enumerate() {
                    pages.insert(p.offset / PAGE + k as u32, Rc::new(chunk.to_vec()));
                }
                self.pages = Rc::new(pages);
            }
            Response::Event(d) if d.id == self.detail_sent => self.detail = Some(Rc::new(*d)),
            Response::Next(n) if n.id == self.detail_sent => self.next = Some(Rc::new(*n)),
            Response::Completion { id, completion } if id == self.completion_sent => {
                self.completion = (!completion.items.is_empty()).then(|| Rc::new(completion));
                self.completion_index = 0;
                self.completion_stale = false;
                self.completion_nav = false;
            }
            Response::Exported(e) => {
                self.exporting = false;
                self.export = Some(Rc::new(e));
            }
            Response::History(h) if h.id == self.history_sent && self.history_row.is_some() => {
                self.history = Some(Rc::new(*h));
            }
            _ => {} // stale
        }
    }

    // ---- the URL hash ----------------------------------------------------------------

    /// `f=…&from=…&to=…&stack=…` (the page adds `tab=`).
    pub fn hash_parts(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        if !self.applied.is_empty() {
            v.push(("f".into(), self.applied.clone()));
        }
        if let Some((a, b)) = self.range {
            v.push(("from".into(), a.to_string()));
            v.push(("to".into(), b.to_string()));
        }
        if self.stack != StackBy::Dim(TopDim::Verb) {
            v.push(("stack".into(), stack_key(self.stack).into()));
        }
        if self.top_sort != TopSort::Events {
            v.push(("tops".into(), self.top_sort.as_str().into()));
        }
        // Issue 16: the selected event, grouping, sort and time zone.
        if let (Some(r), Some(d)) = (self.detail_row, self.detail.as_ref()) {
            if d.row == r && !d.audit_id.is_empty() && !d.stage.is_empty() {
                let ev = crate::case::view::EventRef {
                    audit_id: d.audit_id.clone(),
                    stage: d.stage.clone(),
                };
                v.push(("ev".into(), ev.param()));
            }
        }
        if self.per_request {
            v.push(("group".into(), "request".into()));
        }
        if self.sort != SortBy::TimeAsc {
            if let Some((k, _)) = SORTS.iter().find(|x| x.1 == self.sort) {
                v.push(("sort".into(), (*k).into()));
            }
        }
        if self.local_time {
            v.push(("tz".into(), "local".into()));
        }
        v
    }

    /// Restores what the hash says (unknown keys are ignored).
    pub fn restore(&mut self, parts: &[(String, String)]) {
        let get = |k: &str| parts.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        if let Some(f) = get("f") {
            self.filter = f.to_string();
            self.applied = f.to_string();
        }
        if let (Some(a), Some(b)) = (get("from"), get("to")) {
            if let (Ok(a), Ok(b)) = (a.parse::<i64>(), b.parse::<i64>()) {
                if a < b {
                    self.range = Some((a, b));
                }
            }
        }
        if let Some(s) = get("stack").and_then(stack_of) {
            self.stack = s;
        }
        if let Some(s) = get("tops").and_then(TopSort::parse) {
            self.top_sort = s;
        }
        if let Some(g) = get("group") {
            self.per_request = g == "request";
        }
        if let Some(s) = get("sort").and_then(|k| SORTS.iter().find(|x| x.0 == k)) {
            self.sort = s.1;
        }
        if let Some(tz) = get("tz") {
            self.local_time = tz == "local";
        }
    }
}
