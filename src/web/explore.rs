//! The Explore view's answers, computed in the worker: filter + time range -> rows ->
//! timeline, top-N, table pages, one event's original JSON, downloads.
//!
//! [`Explore`] caches what is costly and reused: the attribute index and the evaluation of
//! the loaded policy (for `rule:` filters, the rule column and "stack by rule"), the audit-ID
//! index (stage badges, other stages) and the last query's rows, so paging, re-stacking and
//! exporting do not filter again.
//!
//! Invariants:
//! - the cache belongs to one store and one policy: [`Explore::reset`] on every store change,
//!   [`Explore::policy_changed`] on every policy change;
//! - `matched` is in store (time) order; table rows are `matched` (or one per request) in
//!   the chosen sort;
//! - raw text is never kept: events are re-read from their source (a `File`'s slice, or the
//!   sample's bytes; gzip files are re-decompressed up to the event).

use crate::analysis::evaluate::{evaluate, AttrIndex, Evaluation};
use crate::analysis::timeline::{timeline, StackBy};
use crate::analysis::topn::{top_n, top_n_both, TopDim};
use crate::audit::policy::LoadedPolicy;
use crate::audit::Stage;
use crate::ingest::gzip::GzipStream;
use crate::ingest::record::{event_json, EventExtractor, EventJson};
use crate::query::body::PathSet;
use crate::query::bodyscan::{Scan, Window, WINDOW_BYTES};
use crate::query::complete::{body_path_at, complete, complete_path};
use crate::store::{AuditIndex, Dim, Format, Store, F_WRAPPED};
use crate::web::protocol::{
    Completion, EventDetail, ExportKind, Exported, QueryResult, QuerySpec, RowView, RowsPage,
    RuleWhy, SortBy, StageRef, TopTable,
};
use crate::web::reader::{js_error_text, read_slice_sync};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// The dimensions of the top-N panels, in display order.
pub const TOP_DIMS: [TopDim; 7] = [
    TopDim::User,
    TopDim::UserAgent,
    TopDim::Verb,
    TopDim::Resource,
    TopDim::Namespace,
    TopDim::SourceIp,
    TopDim::Code,
];

/// Longest page of rows answered at once.
pub const MAX_PAGE: u32 = 1000;

/// Compressed bytes read per step when re-decompressing a gzip file.
const GZ_STEP: u64 = 4 << 20;

/// Where a loaded file's bytes can be read again.
#[derive(Clone)]
pub enum RawSource {
    /// Bytes kept in memory (the generated sample).
    Bytes(Rc<Vec<u8>>),
    /// A dropped file.
    Blob(web_sys::Blob),
}

impl RawSource {
    fn size(&self) -> u64 {
        match self {
            RawSource::Bytes(b) => b.len() as u64,
            RawSource::Blob(b) => b.size() as u64,
        }
    }

    fn read(&self, a: u64, b: u64) -> Result<Vec<u8>, String> {
        let b = b.min(self.size());
        let a = a.min(b);
        match self {
            RawSource::Bytes(v) => Ok(v[a as usize..b as usize].to_vec()),
            RawSource::Blob(blob) => read_slice_sync(blob, a, b),
        }
    }
}

/// Reads byte ranges `(offset, len)` of the *decompressed* stream of a gzip source in one
/// pass, keeping only the wanted bytes. `ranges` must be sorted by offset.
pub fn read_gzip_ranges(src: &RawSource, ranges: &[(u64, u32)]) -> Result<Vec<Vec<u8>>, String> {
    let mut out: Vec<Vec<u8>> = ranges
        .iter()
        .map(|&(_, l)| Vec::with_capacity(l as usize))
        .collect();
    let Some(end) = ranges.iter().map(|&(o, l)| o + l as u64).max() else {
        return Ok(out);
    };
    let mut gz = GzipStream::new();
    let (mut pos, mut first) = (0u64, 0usize);
    let size = src.size();
    let mut at = 0u64;
    while pos < end && at < size {
        let chunk = src.read(at, at + GZ_STEP)?;
        at += chunk.len() as u64;
        gz.push(&chunk, &mut |piece: &[u8]| {
            let (p0, p1) = (pos, pos + piece.len() as u64);
            while first < ranges.len() && ranges[first].0 + ranges[first].1 as u64 <= p0 {
                first += 1;
            }
            for (k, &(o, l)) in ranges.iter().enumerate().skip(first) {
                if o >= p1 {
                    break;
                }
                let (a, b) = (o.max(p0), (o + l as u64).min(p1));
                if a < b {
                    out[k].extend_from_slice(&piece[(a - p0) as usize..(b - p0) as usize]);
                }
            }
            pos = p1;
        });
        if let Some(e) = gz.error() {
            return Err(format!("gzip: {e}"));
        }
        if chunk.is_empty() {
            break;
        }
    }
    Ok(out)
}

/// The last query's rows.
struct Cached {
    filter: String,
    range: Option<(i64, i64)>,
    per_request: bool,
    sort: SortBy,
    /// Matching rows in time order.
    matched: Vec<u32>,
    bytes: u64,
    /// Table rows before sorting by time direction: `None` = `matched`.
    base: Option<Vec<u32>>,
    /// Table rows sorted by latency (`None` for the time sorts).
    by_latency: Option<Vec<u32>>,
}

impl Cached {
    fn base(&self) -> &[u32] {
        self.base.as_deref().unwrap_or(&self.matched)
    }
    fn len(&self) -> usize {
        self.base().len()
    }
    /// Table row `i` (in the chosen sort).
    fn row(&self, i: usize) -> u32 {
        if let Some(v) = &self.by_latency {
            return v[i];
        }
        let b = self.base();
        match self.sort {
            SortBy::TimeDesc => b[b.len() - 1 - i],
            _ => b[i],
        }
    }
}

/// The attribute index of the loaded store, built on first use and shared by the Explore
/// view and the policy workbench (one per store, about 4 bytes per event).
#[derive(Clone, Default)]
pub struct SharedAttr(Rc<RefCell<Option<Rc<AttrIndex>>>>);

impl SharedAttr {
    /// The index of `s`, built now if nobody has since the last [`SharedAttr::clear`].
    pub fn get(&self, s: &Store) -> Rc<AttrIndex> {
        self.0
            .borrow_mut()
            .get_or_insert_with(|| Rc::new(AttrIndex::build(s)))
            .clone()
    }

    /// Forgets the index (the store changed).
    pub fn clear(&self) {
        *self.0.borrow_mut() = None;
    }
}

/// Caches for the Explore view. See the module docs.
#[derive(Default)]
pub struct Explore {
    attr: SharedAttr,
    eval: Option<Evaluation>,
    audit: Option<AuditIndex>,
    cache: Option<Cached>,
    /// Paths seen in a sample of the loaded bodies (completion of `req.`/`resp.`).
    paths: Option<PathSet>,
    /// Rows by object name (object histories).
    names: Option<Rc<crate::analysis::history::NameIndex>>,
}

impl Explore {
    /// Forgets everything (the store changed).
    pub fn reset(&mut self) {
        self.attr.clear();
        *self = Explore {
            attr: self.attr.clone(),
            ..Explore::default()
        };
    }

    /// Rows by object name, built on the first history asked for after a store change.
    pub fn name_index(&mut self, s: &Store) -> Rc<crate::analysis::history::NameIndex> {
        self.names
            .get_or_insert_with(|| Rc::new(crate::analysis::history::NameIndex::build(s)))
            .clone()
    }

    /// The attribute index slot, to share with the policy workbench.
    pub fn shared_attr(&self) -> SharedAttr {
        self.attr.clone()
    }

    /// Forgets what depends on the policy.
    pub fn policy_changed(&mut self) {
        self.eval = None;
        self.cache = None;
    }

    /// Builds the indexes the answers need (once per store / policy).
    fn ensure(&mut self, s: &Store, policy: Option<&LoadedPolicy>) {
        if let Some(p) = policy {
            if self.eval.is_none() {
                let attr = self.attr.get(s);
                self.eval = Some(evaluate(s, &attr, &p.compiled));
            }
        }
        if self.audit.is_none() {
            self.audit = Some(AuditIndex::build(s));
        }
    }

    /// The evaluation of the loaded policy, when there is one.
    pub fn evaluation(&self) -> Option<&Evaluation> {
        self.eval.as_ref()
    }

    /// Answers a query: filters (or reuses the cached rows), bins, ranks, first page.
    /// Body predicates are decided here and now, reading `raw` synchronously (tests; the
    /// engine uses [`begin_query`](Self::begin_query) and reads window by window).
    pub fn query(
        &mut self,
        s: &Store,
        raw: &[Option<RawSource>],
        policy: Option<&LoadedPolicy>,
        q: &QuerySpec,
    ) -> QueryResult {
        let t0 = js_sys::Date::now();
        match self.begin_query(s, policy, q) {
            Ok(r) => r,
            Err(mut scan) => {
                while let Some(w) = scan.next_window().cloned() {
                    if let Err(e) = window_step(s, raw, &mut scan, &w) {
                        return self.search_failed(s, q, &e, t0);
                    }
                }
                let matched = scan.matched();
                self.finish_query(s, q, Some(matched), t0)
            }
        }
    }

    /// Starts a query. `Err(scan)`: the filter has body predicates and its candidates
    /// must be read (see [`window_step`]), then [`finish_query`](Self::finish_query).
    pub fn begin_query(
        &mut self,
        s: &Store,
        policy: Option<&LoadedPolicy>,
        q: &QuerySpec,
    ) -> Result<QueryResult, Box<Scan>> {
        let t0 = js_sys::Date::now();
        self.ensure(s, policy);
        let ev = self.eval.as_ref();
        let same_rows = self
            .cache
            .as_ref()
            .is_some_and(|c| c.filter == q.filter && c.range == q.range);
        if same_rows {
            return Ok(self.finish_query(s, q, None, t0));
        }
        let f = match crate::query::compile(s, &q.filter, ev) {
            Ok(f) => f,
            Err(e) => {
                let mut res = self.empty_result(s, q);
                res.error = Some(e);
                res.elapsed_ms = js_sys::Date::now() - t0;
                return Ok(res);
            }
        };
        let matched = f.select(s, q.range, ev);
        if f.needs_bodies() {
            let gz: Vec<bool> = s.files.iter().map(|f| f.gzip).collect();
            return Err(Box::new(Scan::new(s, f, matched, WINDOW_BYTES, &|file| {
                gz.get(file as usize).copied().unwrap_or(false)
            })));
        }
        Ok(self.finish_query(s, q, Some(matched), t0))
    }

    /// A query's answer without rows (errors, stopped searches).
    fn empty_result(&self, s: &Store, q: &QuerySpec) -> QueryResult {
        let span = (!s.is_empty()).then(|| (s.received(0), s.received(s.len() - 1)));
        QueryResult {
            id: q.id,
            filter: q.filter.clone(),
            error: None,
            count: 0,
            bytes: 0,
            rows: 0,
            total: s.len() as u64,
            span,
            range: q.range,
            timeline: None,
            page: RowsPage {
                id: q.id,
                offset: 0,
                total: 0,
                rows: Vec::new(),
            },
            policy: self.eval.is_some(),
            elapsed_ms: 0.0,
        }
    }

    /// The answer when a body search could not read its files (or was stopped): an error
    /// over the body terms' text, nothing cached.
    pub fn search_failed(&self, s: &Store, q: &QuerySpec, why: &str, t0: f64) -> QueryResult {
        let mut res = self.empty_result(s, q);
        let terms = crate::query::parse(&q.filter).unwrap_or_default();
        let body: Vec<_> = terms
            .iter()
            .filter(|t| t.field == crate::query::Field::Body)
            .collect();
        let (start, end) = match (body.first(), body.last()) {
            (Some(a), Some(b)) => (a.start, b.end),
            _ => (0, q.filter.len()),
        };
        res.error = Some(crate::query::CompileError {
            message: why.to_string(),
            start,
            end,
        });
        res.elapsed_ms = js_sys::Date::now() - t0;
        res
    }

    /// Completes a query with its rows (`None`: the cached rows are still right).
    pub fn finish_query(
        &mut self,
        s: &Store,
        q: &QuerySpec,
        matched: Option<Vec<u32>>,
        t0: f64,
    ) -> QueryResult {
        let ev = self.eval.as_ref();
        let span = (!s.is_empty()).then(|| (s.received(0), s.received(s.len() - 1)));
        let mut res = self.empty_result(s, q);
        let same_rows = matched.is_none();
        if let Some(matched) = matched {
            let bytes = matched
                .iter()
                .map(|&r| s.event_size(r as usize) as u64)
                .sum();
            self.cache = Some(Cached {
                filter: q.filter.clone(),
                range: q.range,
                per_request: false,
                sort: SortBy::TimeAsc,
                matched,
                bytes,
                base: None,
                by_latency: None,
            });
        }
        let c = self.cache.as_mut().expect("cache set above");
        if !same_rows || c.per_request != q.per_request || c.sort != q.sort {
            c.per_request = q.per_request;
            c.sort = q.sort;
            c.base = q.per_request.then(|| one_per_request(s, &c.matched));
            c.by_latency = match q.sort {
                SortBy::LatencyAsc | SortBy::LatencyDesc => {
                    let mut v = c.base().to_vec();
                    if q.sort == SortBy::LatencyDesc {
                        v.sort_by_key(|&r| std::cmp::Reverse(s.latency(r as usize)));
                    } else {
                        v.sort_by_key(|&r| s.latency(r as usize));
                    }
                    Some(v)
                }
                _ => None,
            };
        }
        let c = self.cache.as_ref().expect("cache set above");
        res.count = c.matched.len() as u64;
        res.bytes = c.bytes;
        res.rows = c.len() as u64;
        if let Some((first, last)) = span {
            let (from, to) = q.range.unwrap_or((first, last + 1));
            let stack = match q.stack {
                StackBy::Rule if ev.is_none() => StackBy::None,
                x => x,
            };
            res.timeline = Some(timeline(
                s,
                &c.matched,
                (from, to.max(from + 1)),
                q.bins.clamp(1, 2000) as usize,
                stack,
                8,
                ev,
            ));
        }
        res.page = self.rows(s, q.id, 0, q.page);
        res.elapsed_ms = js_sys::Date::now() - t0;
        res
    }

    /// The top-N tables of the last query (`top` rows each).
    pub fn tops(&self, s: &Store, top: u32) -> Vec<TopTable> {
        let Some(c) = self.cache.as_ref() else {
            return Vec::new();
        };
        let top = top.clamp(1, 100) as usize;
        // Impersonated users get a panel of their own when the log has any (after Users):
        // `system:admin → bob` counts for bob there.
        let impersonation = s.dict.impersonated_user.iter().any(|(_, v)| !v.is_empty());
        let mut dims = TOP_DIMS.to_vec();
        if impersonation {
            dims.insert(1, TopDim::ImpersonatedUser);
        }
        dims.iter()
            .map(|&dim| {
                let (rows, by_bytes) = top_n_both(s, dim, Some(&c.matched), top);
                TopTable {
                    dim,
                    rows,
                    by_bytes,
                }
            })
            .collect()
    }

    /// Index of store row `row` in the last query's table (issue 16: a link's event is
    /// scrolled to).
    pub fn table_index(&self, row: u32) -> Option<u32> {
        let c = self.cache.as_ref()?;
        (0..c.len()).find(|&i| c.row(i) == row).map(|i| i as u32)
    }

    /// Rows `[offset, offset + limit)` of the last query's table.
    pub fn rows(&self, s: &Store, id: u32, offset: u32, limit: u32) -> RowsPage {
        let Some(c) = self.cache.as_ref() else {
            return RowsPage {
                id,
                offset,
                total: 0,
                rows: Vec::new(),
            };
        };
        let total = c.len() as u32;
        let end = offset.saturating_add(limit.min(MAX_PAGE)).min(total);
        let rows = (offset.min(end)..end)
            .map(|i| self.row_view(s, c.row(i as usize) as usize))
            .collect();
        RowsPage {
            id,
            offset,
            total,
            rows,
        }
    }

    fn stage_mask(&self, s: &Store, r: usize) -> u8 {
        match &self.audit {
            Some(ix) => ix.group(s, r).iter().fold(0u8, |m, &g| {
                m | 1u8.checked_shl(s.stage_byte(g) as u32).unwrap_or(0)
            }),
            None => 1u8.checked_shl(s.stage_byte(r) as u32).unwrap_or(0),
        }
    }

    fn row_view(&self, s: &Store, r: usize) -> RowView {
        let res = s.str(Dim::Resource, r);
        let sub = s.str(Dim::Subresource, r);
        let resource = if sub.is_empty() {
            res.to_string()
        } else {
            format!("{res}/{sub}")
        };
        RowView {
            row: r as u32,
            time_us: s.received(r),
            user: s.str(Dim::User, r).to_string(),
            verb: s.str(Dim::Verb, r).to_string(),
            resource,
            namespace: s.str(Dim::Namespace, r).to_string(),
            name: s.str(Dim::Name, r).to_string(),
            uri: if s.is_resource_request(r) {
                String::new()
            } else {
                s.path(r)
            },
            code: s.code(r),
            latency_us: s.latency_known(r),
            level: s.level(r).map_or("", |l| l.as_str()).to_string(),
            stage: s.stage(r).map_or("", |x| x.as_str()).to_string(),
            stages: self.stage_mask(s, r),
            rule: self
                .eval
                .as_ref()
                .map(|e| e.decision(r).rule.map(|i| i as u32)),
            bytes: s.event_size(r),
            impersonated: s.str(Dim::ImpersonatedUser, r).to_string(),
            reason: crate::analysis::describe::denial_reason(s, r),
            source_ip: s.first_source_ip(r).to_string(),
            user_agent: s.str(Dim::UserAgent, r).to_string(),
            audit_id: s.audit_id(r),
            message: s.str(Dim::Message, r).to_string(),
        }
    }

    /// One event: its JSON from the source, its stages, its rule.
    pub fn event(
        &mut self,
        s: &Store,
        raw: &[Option<RawSource>],
        policy: Option<(&LoadedPolicy, &str)>,
        id: u32,
        row: u32,
    ) -> EventDetail {
        let r = row as usize;
        let mut d = EventDetail {
            id,
            row,
            file: String::new(),
            offset: 0,
            raw: String::new(),
            wrapped: false,
            verbatim: false,
            audit_id: String::new(),
            stage: String::new(),
            stages: Vec::new(),
            rule: None,
            error: None,
            readable: None,
        };
        if r >= s.len() {
            d.error = Some("This event is no longer loaded.".into());
            return d;
        }
        self.ensure(s, policy.map(|p| p.0));
        let f = s.file(r) as usize;
        d.file = s.files.get(f).map_or_else(String::new, |x| x.name.clone());
        d.offset = s.offset(r);
        d.wrapped = s.flags(r) & F_WRAPPED != 0;
        d.audit_id = s.audit_id(r);
        d.stage = s.stage(r).map_or("", |x| x.as_str()).to_string();
        match event_text(s, raw, r) {
            Ok(t) => {
                d.raw = t.text;
                d.verbatim = t.verbatim;
            }
            Err(e) => d.error = Some(e),
        }
        d.readable = Some(crate::analysis::describe::readable(
            s,
            r,
            d.error.is_none().then_some(d.raw.as_str()),
        ));
        if let Some(ix) = &self.audit {
            d.stages = ix
                .group(s, r)
                .into_iter()
                .map(|g| StageRef {
                    row: g as u32,
                    stage: s.stage(g).map_or("", |x| x.as_str()).to_string(),
                    time_us: s.received(g),
                    latency_us: s.latency_known(g),
                    code: s.code(g),
                })
                .collect();
        }
        if let (Some((p, text)), Some(ev)) = (policy, self.eval.as_ref()) {
            d.rule = Some(rule_why(s, p, text, ev, r));
        }
        d
    }

    /// Builds a download of the last query.
    pub fn export(
        &self,
        s: &Store,
        raw: &[Option<RawSource>],
        id: u32,
        kind: ExportKind,
    ) -> Exported {
        let empty = || web_sys::Blob::new().expect("an empty Blob");
        let Some(c) = self.cache.as_ref() else {
            return Exported {
                id,
                name: String::new(),
                count: 0,
                blob: empty(),
                error: Some("Nothing to export yet.".into()),
                redacted: None,
            };
        };
        let built = match kind {
            ExportKind::Events => export_events(s, raw, &c.matched).map(|b| {
                (
                    crate::export::file_name(
                        &c.filter,
                        crate::export::span(s, &c.matched),
                        false,
                        "jsonl",
                    ),
                    c.matched.len() as u64,
                    b,
                )
            }),
            ExportKind::TopCsv(dim) => {
                let rows = top_n(s, dim, Some(&c.matched), 100_000);
                let total = c.matched.len().max(1) as f64;
                let mut out = String::from("value,events,share,bytes\n");
                for t in &rows {
                    out.push_str(&format!(
                        "{},{},{:.6},{}\n",
                        csv_field(&t.value),
                        t.events,
                        t.events as f64 / total,
                        t.bytes
                    ));
                }
                let name = format!("audit-lens-top-{}.csv", dim.json_key());
                blob_of(
                    &[js_sys::Uint8Array::from(out.as_bytes()).into()],
                    "text/csv",
                )
                .map(|b| (name, rows.len() as u64, b))
            }
        };
        match built {
            Ok((name, count, blob)) => Exported {
                id,
                name,
                count,
                blob,
                error: None,
                redacted: None,
            },
            Err(e) => Exported {
                id,
                name: String::new(),
                count: 0,
                blob: empty(),
                error: Some(e),
                redacted: None,
            },
        }
    }

    /// Builds a download of the last query's events (issue 16): JSON lines or CSV, named by
    /// the filter and time span, optionally redacted.
    pub fn export_spec(
        &self,
        s: &Store,
        raw: &[Option<RawSource>],
        id: u32,
        spec: &crate::web::protocol::ExportSpec,
    ) -> Exported {
        use crate::web::protocol::EventFormat;
        let fail = |e: String| Exported {
            id,
            name: String::new(),
            count: 0,
            blob: web_sys::Blob::new().expect("an empty Blob"),
            error: Some(e),
            redacted: None,
        };
        let Some(c) = self.cache.as_ref() else {
            return fail("Nothing to export yet.".into());
        };
        let (ext, mime) = match spec.format {
            EventFormat::Jsonl => ("jsonl", "application/x-ndjson"),
            EventFormat::Csv => ("csv", "text/csv"),
        };
        let name = crate::export::file_name(
            &c.filter,
            crate::export::span(s, &c.matched),
            spec.redact.is_some(),
            ext,
        );
        let cols = crate::export::page_columns(&spec.columns, s.files.len() > 1);
        let built: Result<(web_sys::Blob, Option<crate::export::redact::Summary>), String> =
            match (&spec.redact, spec.format) {
                (None, EventFormat::Jsonl) => export_events(s, raw, &c.matched).map(|b| (b, None)),
                (None, EventFormat::Csv) => {
                    let text = crate::export::csv::events_csv(s, &c.matched, &cols);
                    blob_of(&[js_sys::Uint8Array::from(text.as_bytes()).into()], mime)
                        .map(|b| (b, None))
                }
                (Some(opts), format) => (|| {
                    let texts = event_texts(s, raw, &c.matched)?;
                    let mut red = crate::export::redact::Redactor::new(opts.clone());
                    for (_, t) in &texts {
                        red.observe(t.as_bytes());
                    }
                    let lines: Vec<String> = texts
                        .iter()
                        .map(|(_, t)| red.redact(t.as_bytes()))
                        .collect::<Result<_, _>>()?;
                    let out: Vec<u8> = if format == EventFormat::Csv {
                        // The CSV of the redacted events read back, each from its file.
                        let mut per_file: Vec<(String, Vec<u8>)> = s
                            .files
                            .iter()
                            .map(|f| (f.name.clone(), Vec::new()))
                            .collect();
                        for ((f, _), line) in texts.iter().zip(&lines) {
                            let b = &mut per_file[*f as usize].1;
                            b.extend_from_slice(line.as_bytes());
                            b.push(b'\n');
                        }
                        let back = crate::export::reload(&per_file);
                        let all: Vec<u32> = (0..back.len() as u32).collect();
                        crate::export::csv::events_csv(&back, &all, &cols).into_bytes()
                    } else {
                        let mut out = Vec::new();
                        for line in &lines {
                            out.extend_from_slice(line.as_bytes());
                            out.push(b'\n');
                        }
                        out
                    };
                    let blob = blob_of(&[js_sys::Uint8Array::from(out.as_slice()).into()], mime)?;
                    Ok((blob, Some(red.summary())))
                })(),
            };
        match built {
            Ok((blob, redacted)) => Exported {
                id,
                name,
                count: c.matched.len() as u64,
                blob,
                error: None,
                redacted,
            },
            Err(e) => fail(e),
        }
    }
}

/// The events of `rows` (time order) as text with their file index: each record read once
/// (plain files in windows of up to [`WINDOW_BYTES`], gzip files decoded once for all their
/// ranges), an event from a wrapper or a pretty document taken out alone.
pub fn event_texts(
    s: &Store,
    raw: &[Option<RawSource>],
    rows: &[u32],
) -> Result<Vec<(u32, String)>, String> {
    let src_of = |f: usize| {
        raw.get(f)
            .and_then(Option::as_ref)
            .ok_or_else(|| format!("{} is no longer available to read.", s.files[f].name))
    };
    let mut want: HashMap<usize, Vec<(u64, u32)>> = HashMap::new();
    for &r in rows {
        let ru = r as usize;
        want.entry(s.file(ru) as usize)
            .or_default()
            .push(s.record_range(ru));
    }
    let mut records: HashMap<(u32, u64), Vec<u8>> = HashMap::new();
    for (f, mut ranges) in want {
        let src = src_of(f)?;
        ranges.sort_unstable();
        ranges.dedup();
        if s.files[f].gzip {
            for (bytes, &(off, _)) in read_gzip_ranges(src, &ranges)?.into_iter().zip(&ranges) {
                records.insert((f as u32, off), bytes);
            }
            continue;
        }
        let mut i = 0;
        while i < ranges.len() {
            let start = ranges[i].0;
            let mut end = start + ranges[i].1 as u64;
            let mut j = i + 1;
            while j < ranges.len() {
                let e = ranges[j].0 + ranges[j].1 as u64;
                if e - start > WINDOW_BYTES {
                    break;
                }
                end = end.max(e);
                j += 1;
            }
            let window = src.read(start, end)?;
            for &(off, len) in &ranges[i..j] {
                let a = (off - start) as usize;
                let b = (a + len as usize).min(window.len());
                records.insert((f as u32, off), window[a.min(b)..b].to_vec());
            }
            i = j;
        }
    }
    let mut events = EventExtractor::default();
    let mut out = Vec::with_capacity(rows.len());
    for &r in rows {
        let ru = r as usize;
        let f = s.file(ru);
        let key = (f, s.record_range(ru).0);
        let rec = records.get(&key).map_or(&[][..], Vec::as_slice);
        let text = events
            .event(key, rec, s.wrap_item(ru))
            .map_err(|e| format!("{}: {e}", s.files[f as usize].name))?
            .text;
        out.push((f, text));
    }
    Ok(out)
}

/// Reads window `w` of a body search synchronously and decides its events (gzip: one
/// decompression pass over the window's records).
pub fn window_step<J: crate::query::bodyscan::Judge>(
    s: &Store,
    raw: &[Option<RawSource>],
    scan: &mut Scan<J>,
    w: &Window,
) -> Result<(), String> {
    let name = s
        .files
        .get(w.file as usize)
        .map_or("?", |f| f.name.as_str());
    let src = raw
        .get(w.file as usize)
        .and_then(Option::as_ref)
        .ok_or_else(|| format!("{name} is no longer available to read."))?;
    if w.gzip {
        let ranges = scan.gzip_ranges(s);
        let parts = read_gzip_ranges(src, &ranges)?;
        scan.window_done(s, &|k, _, _| parts.get(k).map(Vec::as_slice));
    } else {
        let buf = src.read(w.start, w.end)?;
        scan.window_done(s, &|_, off, len| Scan::slice_of(w, &buf, off, len));
    }
    Ok(())
}

/// Bodies read for path completion at most, and per resource (so every kind's fields
/// are proposed, not only the most frequent kind's).
const PATH_SAMPLE: usize = 600;
const PATH_SAMPLE_PER_RESOURCE: u32 = 25;

impl Explore {
    /// Completes the filter: field names and frequent values over the whole store; body
    /// paths from the paths seen in a sample of the loaded bodies (read once per store).
    pub fn complete(
        &mut self,
        s: &Store,
        raw: &[Option<RawSource>],
        text: &str,
        cursor: u32,
    ) -> Completion {
        let mut c = cursor as usize;
        while c < text.len() && !text.is_char_boundary(c) {
            c += 1;
        }
        let c = c.min(text.len());
        if body_path_at(text, c).is_none() {
            return complete(s, text, c, 12);
        }
        if self.paths.is_none() {
            self.paths = Some(sample_paths(s, raw));
        }
        complete_path(self.paths.as_ref().expect("set above"), text, c, 12)
    }
}

/// The paths of a sample of the bodies: up to [`PATH_SAMPLE_PER_RESOURCE`] events with a
/// body per resource, [`PATH_SAMPLE`] in all, each file read once (gzip: one pass).
fn sample_paths(s: &Store, raw: &[Option<RawSource>]) -> PathSet {
    let mut per_res: HashMap<u32, u32> = HashMap::new();
    let mut pick: Vec<u32> = Vec::new();
    for r in 0..s.len() {
        if pick.len() >= PATH_SAMPLE {
            break;
        }
        if s.request_object_size(r) == 0 && s.response_object_size(r) == 0 {
            continue;
        }
        let n = per_res.entry(s.sym(Dim::Resource, r)).or_default();
        if *n < PATH_SAMPLE_PER_RESOURCE {
            *n += 1;
            pick.push(r as u32);
        }
    }
    let mut set = PathSet::default();
    let gz: Vec<bool> = s.files.iter().map(|f| f.gzip).collect();
    let windows = crate::query::bodyscan::plan(s, &pick, WINDOW_BYTES, &|file| {
        gz.get(file as usize).copied().unwrap_or(false)
    });
    let mut ex = EventExtractor::default();
    for w in &windows {
        let Some(src) = raw.get(w.file as usize).and_then(Option::as_ref) else {
            continue;
        };
        let ranges: Vec<(u64, u32)> = w
            .items
            .iter()
            .map(|&i| s.record_range(pick[i as usize] as usize))
            .collect();
        // Each item's record bytes: one decompression pass for gzip, one read otherwise.
        let recs: Vec<Vec<u8>> = if w.gzip {
            read_gzip_ranges(src, &ranges).unwrap_or_default()
        } else {
            match src.read(w.start, w.end) {
                Ok(buf) => ranges
                    .iter()
                    .map(|&(off, len)| Scan::slice_of(w, &buf, off, len).unwrap_or(&[]).to_vec())
                    .collect(),
                Err(_) => Vec::new(),
            }
        };
        for (&i, (rec, &(off, _))) in w.items.iter().zip(recs.iter().zip(&ranges)) {
            match s.wrap_item(pick[i as usize] as usize) {
                None => set.add_event(rec),
                item => {
                    if let Ok(e) = ex.event((w.file, off), rec, item) {
                        set.add_event(e.text.as_bytes());
                    }
                }
            }
        }
    }
    set
}

/// One row per audit ID: the one with the latest stage, in order of first appearance.
pub fn one_per_request(s: &Store, rows: &[u32]) -> Vec<u32> {
    let mut at: HashMap<(bool, u128), u32, foldhash::fast::FixedState> = HashMap::default();
    let mut out: Vec<u32> = Vec::new();
    for &r in rows {
        match at.entry(s.audit_key(r as usize)) {
            std::collections::hash_map::Entry::Occupied(e) => {
                let k = *e.get() as usize;
                if s.stage_byte(r as usize) > s.stage_byte(out[k] as usize) {
                    out[k] = r;
                }
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(out.len() as u32);
                out.push(r);
            }
        }
    }
    out
}

fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

fn blob_of(parts: &[wasm_bindgen::JsValue], mime: &str) -> Result<web_sys::Blob, String> {
    let arr: js_sys::Array = parts.iter().collect();
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    web_sys::Blob::new_with_u8_array_sequence_and_options(&arr, &opts)
        .map_err(|e| js_error_text(&e))
}

/// The record bytes of row `r` from its source (the line, document or whole wrapper).
fn record_bytes(s: &Store, raw: &[Option<RawSource>], r: usize) -> Result<Vec<u8>, String> {
    let f = s.file(r) as usize;
    let name = s.files.get(f).map_or("?", |x| x.name.as_str());
    let src = raw
        .get(f)
        .and_then(Option::as_ref)
        .ok_or_else(|| format!("{name} is no longer available to read."))?;
    let (off, len) = s.record_range(r);
    if s.files.get(f).is_some_and(|x| x.gzip) {
        let mut v = read_gzip_ranges(src, &[(off, len)])?;
        Ok(v.pop().unwrap_or_default())
    } else {
        src.read(off, off + len as u64)
    }
}

/// The JSON of row `r`: the event alone (see [`event_json`]).
pub fn event_text(s: &Store, raw: &[Option<RawSource>], r: usize) -> Result<EventJson, String> {
    let rec = record_bytes(s, raw, r)?;
    event_json(&rec, s.wrap_item(r))
        .map_err(|e| format!("{}: {e}", s.files[s.file(r) as usize].name))
}

/// True when row `r`'s bytes in its source are the event itself, on a line of its own:
/// an export can then slice the `File` without reading it.
fn verbatim_slice(s: &Store, r: usize) -> bool {
    let f = &s.files[s.file(r) as usize];
    !f.gzip && f.format == Format::JsonLines && s.wrap_item(r).is_none()
}

/// `rows` (time order) as JSON lines, one event per line and nothing else: for events that
/// are a line of their own the very source bytes (slices of the `File`), else the event
/// taken out of its wrapper or document and compacted (see [`event_json`]).
pub fn export_events(
    s: &Store,
    raw: &[Option<RawSource>],
    rows: &[u32],
) -> Result<web_sys::Blob, String> {
    // Records that need reading (gzip, wrappers, pretty documents): read each once.
    let mut records: HashMap<(u32, u64), Vec<u8>> = HashMap::new();
    let mut per_gzip_file: HashMap<usize, Vec<(u64, u32)>> = HashMap::new();
    for &r in rows {
        let ru = r as usize;
        if verbatim_slice(s, ru) {
            continue;
        }
        let f = s.file(ru) as usize;
        let (off, len) = s.record_range(ru);
        if s.files[f].gzip {
            per_gzip_file.entry(f).or_default().push((off, len));
        } else if let std::collections::hash_map::Entry::Vacant(e) = records.entry((f as u32, off))
        {
            let src = raw
                .get(f)
                .and_then(Option::as_ref)
                .ok_or_else(|| format!("{} is no longer available to read.", s.files[f].name))?;
            e.insert(src.read(off, off + len as u64)?);
        }
    }
    for (f, mut want) in per_gzip_file {
        let src = raw
            .get(f)
            .and_then(Option::as_ref)
            .ok_or_else(|| format!("{} is no longer available to read.", s.files[f].name))?;
        want.sort_unstable();
        want.dedup();
        for (bytes, &(off, _)) in read_gzip_ranges(src, &want)?.into_iter().zip(&want) {
            records.insert((f as u32, off), bytes);
        }
    }
    // Rows of one wrapper are usually adjacent: each wrapper is walked once.
    let mut events = EventExtractor::default();
    let mut parts: Vec<wasm_bindgen::JsValue> = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    let flush = |buf: &mut Vec<u8>, parts: &mut Vec<wasm_bindgen::JsValue>| {
        if !buf.is_empty() {
            parts.push(js_sys::Uint8Array::from(buf.as_slice()).into());
            buf.clear();
        }
    };
    for &r in rows {
        let ru = r as usize;
        let f = s.file(ru) as usize;
        let (off, len) = s.record_range(ru);
        if verbatim_slice(s, ru) {
            let src = raw
                .get(f)
                .and_then(Option::as_ref)
                .ok_or_else(|| format!("{} is no longer available to read.", s.files[f].name))?;
            match src {
                RawSource::Bytes(v) => {
                    let end = (off + len as u64).min(v.len() as u64) as usize;
                    buf.extend_from_slice(&v[(off as usize).min(end)..end]);
                }
                RawSource::Blob(b) => {
                    flush(&mut buf, &mut parts);
                    let part = b
                        .slice_with_f64_and_f64(off as f64, (off + len as u64) as f64)
                        .map_err(|e| js_error_text(&e))?;
                    parts.push(part.into());
                }
            }
        } else {
            let key = (f as u32, off);
            let rec = records.get(&key).map_or(&[][..], Vec::as_slice);
            let text = events
                .event(key, rec, s.wrap_item(ru))
                .map_err(|e| format!("{}: {e}", s.files[f].name))?
                .text;
            buf.extend_from_slice(text.as_bytes());
        }
        buf.push(b'\n');
    }
    flush(&mut buf, &mut parts);
    blob_of(&parts, "application/x-ndjson")
}

fn join<T: AsRef<str>>(v: &[T]) -> String {
    v.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(", ")
}

/// The deciding rule of row `r` in plain words, with its source lines.
fn rule_why(s: &Store, p: &LoadedPolicy, text: &str, ev: &Evaluation, r: usize) -> RuleWhy {
    let d = ev.decision(r);
    let recorded = s.level(r).map_or("", |l| l.as_str());
    let mut why = String::new();
    let (line, source) = match d.rule {
        Some(i) => {
            let rule = &p.policy.rules[i];
            why.push_str(&if i == 0 {
                "Rule 0 is the first rule, and it matches this request.".to_string()
            } else {
                format!(
                    "Rule {i} is the first rule that matches: rules 0–{} do not.",
                    i - 1
                )
            });
            let mut sel: Vec<String> = Vec::new();
            if !rule.users.is_empty() {
                sel.push(format!(
                    "users [{}] include {}",
                    join(&rule.users),
                    s.str(Dim::User, r)
                ));
            }
            if !rule.user_groups.is_empty() {
                sel.push(format!(
                    "userGroups [{}] meet the user's groups",
                    join(&rule.user_groups)
                ));
            }
            if !rule.verbs.is_empty() {
                sel.push(format!(
                    "verbs [{}] include {}",
                    join(&rule.verbs),
                    s.str(Dim::Verb, r)
                ));
            }
            if !rule.resources.is_empty() {
                let res = s.str(Dim::Resource, r);
                let sub = s.str(Dim::Subresource, r);
                let what = if sub.is_empty() {
                    res.to_string()
                } else {
                    format!("{res}/{sub}")
                };
                let grp = s.str(Dim::ApiGroup, r);
                sel.push(format!("resources match {what} (group \"{grp}\")"));
            }
            if !rule.namespaces.is_empty() {
                sel.push(format!(
                    "namespaces [{}] include \"{}\"",
                    join(&rule.namespaces),
                    s.str(Dim::Namespace, r)
                ));
            }
            if !rule.non_resource_urls.is_empty() {
                sel.push(format!(
                    "nonResourceURLs [{}] match {}",
                    join(&rule.non_resource_urls),
                    s.path(r)
                ));
            }
            if sel.is_empty() {
                why.push_str(" It has no selectors: it matches every request (catch-all).");
            } else {
                why.push_str(&format!(" Its selectors all match: {}.", sel.join("; ")));
            }
            let span = p.rule_spans.get(i).copied().unwrap_or_default();
            let src = if span.start_line > 0 {
                text.lines()
                    .skip(span.start_line as usize - 1)
                    .take((span.end_line.max(span.start_line) - span.start_line + 1) as usize)
                    .collect::<Vec<_>>()
                    .join("\n")
            } else {
                String::new()
            };
            (span.start_line, src)
        }
        None => {
            why.push_str(
                "No rule matches this request, so the policy records nothing for it (level None).",
            );
            (0, String::new())
        }
    };
    let level = d.level.as_str();
    if !recorded.is_empty() && recorded != level {
        why.push_str(&format!(
            " The log recorded it at level {recorded}: it was written under another policy."
        ));
    }
    RuleWhy {
        rule: d.rule.map(|i| i as u32),
        level: level.to_string(),
        omit_stages: d
            .omit_stages
            .iter()
            .map(|x: Stage| x.as_str().to_string())
            .collect(),
        policy: p.source_name.clone(),
        line,
        source,
        why,
    }
}
