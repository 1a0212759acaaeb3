//! One input record (a line or a top-level JSON object) to zero or more events.
//!
//! Parses only the indexed fields, borrowing strings from the input where they have no
//! escapes; `requestObject`/`responseObject` are kept as raw spans and only measured.
//! Recognises bare Events (`audit.k8s.io/v1`, `v1beta1`, `v1alpha1`, or no apiVersion at
//! all), `EventList` batches, Azure diagnostic `records[]` (with `properties.log` as a
//! JSON string or object), AWS CloudWatch exports (`logEvents[]`/`events[]` with a
//! `message`, or a bare record with `message`/`@message`), GKE Cloud Audit Logs entries
//! (mapped to Events by `cloud.rs`; other Google Cloud services are counted as skipped),
//! OpenShift ViaQ records, OTLP/JSON logs, Loki, Elasticsearch/OpenSearch, Beats and
//! Splunk documents (`logstore.rs`). A mapped or normalised event is walked as an
//! embedded one, so re-extraction gives the same Event text.

use crate::audit::{Level, Stage};
use crate::store::{EventIn, Store};
use crate::util::parse_rfc3339_micros;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

pub(crate) type Str<'a> = Cow<'a, str>;

/// The raw text of a JSON value, borrowed from the input (never built, only measured or
/// decoded later). Deserializes like `&RawValue`; the fast scanner fills it directly.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Span<'a>(pub(crate) &'a str);

impl<'a> Span<'a> {
    pub(crate) fn get(&self) -> &'a str {
        self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Span<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'a RawValue>::deserialize(d).map(|r| Span(r.get()))
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct User<'a> {
    #[serde(borrow, default)]
    pub(crate) username: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) groups: Option<Span<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ObjectRef<'a> {
    #[serde(borrow, default)]
    pub(crate) resource: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) namespace: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) api_group: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) api_version: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) subresource: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
pub(crate) struct Status<'a> {
    #[serde(default)]
    pub(crate) code: Option<f64>,
    #[serde(borrow, default)]
    pub(crate) reason: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) message: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
pub(crate) struct Annotations<'a> {
    #[serde(borrow, default, rename = "authorization.k8s.io/decision")]
    pub(crate) decision: Option<Str<'a>>,
    #[serde(borrow, default, rename = "authorization.k8s.io/reason")]
    pub(crate) reason: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Meta<'a> {
    #[serde(borrow, default)]
    pub(crate) creation_timestamp: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
pub(crate) struct AzureProps<'a> {
    #[serde(borrow, default)]
    pub(crate) log: Option<Span<'a>>,
}

/// The union of every shape we recognise; unknown keys are skipped.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Rec<'a> {
    #[serde(borrow, default)]
    pub(crate) kind: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) api_version: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) level: Option<Str<'a>>,
    #[serde(borrow, default, rename = "auditID")]
    pub(crate) audit_id: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) stage: Option<Str<'a>>,
    #[serde(borrow, default, rename = "requestURI")]
    pub(crate) request_uri: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) verb: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) user: Option<User<'a>>,
    #[serde(borrow, default)]
    pub(crate) impersonated_user: Option<User<'a>>,
    #[serde(borrow, default, rename = "sourceIPs")]
    pub(crate) source_ips: Option<Span<'a>>,
    #[serde(borrow, default)]
    pub(crate) user_agent: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) object_ref: Option<ObjectRef<'a>>,
    #[serde(borrow, default)]
    pub(crate) response_status: Option<Status<'a>>,
    #[serde(borrow, default)]
    pub(crate) request_object: Option<Span<'a>>,
    #[serde(borrow, default)]
    pub(crate) response_object: Option<Span<'a>>,
    /// `managedFields` bytes of `request_object` (see `scan::managed_fields`), when the
    /// scanner measured them on its way; the serde path measures them in `push_event`.
    #[serde(skip)]
    pub(crate) request_mf: Option<u32>,
    #[serde(skip)]
    pub(crate) response_mf: Option<u32>,
    #[serde(borrow, default)]
    pub(crate) request_received_timestamp: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) stage_timestamp: Option<Str<'a>>,
    /// v1alpha1/v1beta1 events.
    #[serde(borrow, default)]
    pub(crate) timestamp: Option<Span<'a>>,
    #[serde(borrow, default)]
    pub(crate) metadata: Option<Meta<'a>>,
    #[serde(borrow, default)]
    pub(crate) annotations: Option<Annotations<'a>>,
    // ---- wrappers ----
    #[serde(borrow, default)]
    pub(crate) items: Option<Span<'a>>,
    #[serde(borrow, default)]
    pub(crate) records: Option<Span<'a>>,
    #[serde(borrow, default)]
    pub(crate) properties: Option<AzureProps<'a>>,
    #[serde(borrow, default)]
    pub(crate) category: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) message: Option<Span<'a>>,
    #[serde(borrow, default, rename = "@message")]
    pub(crate) at_message: Option<Span<'a>>,
    #[serde(borrow, default)]
    pub(crate) log_events: Option<Span<'a>>,
    #[serde(borrow, default)]
    pub(crate) events: Option<Span<'a>>,
    #[serde(borrow, default)]
    pub(crate) proto_payload: Option<Span<'a>>,
    // ---- log stores and collectors (see `logstore.rs`, `cloud.rs`) ----
    /// ViaQ (OpenShift logging): the audit level (`k8s_audit_level` for kube-apiserver,
    /// `openshift_audit_level` for openshift-apiserver); `level` then holds a log severity.
    #[serde(
        borrow,
        default,
        rename = "k8s_audit_level",
        alias = "openshift_audit_level"
    )]
    pub(crate) k8s_audit_level: Option<Str<'a>>,
    /// Go `logging.Entry` (Sysdig bridge): `Entry` and the `AuditPayload` text.
    #[serde(borrow, default, rename = "Entry")]
    pub(crate) go_entry: Option<Span<'a>>,
    #[serde(borrow, default, rename = "AuditPayload")]
    pub(crate) go_audit_payload: Option<Span<'a>>,
    #[serde(borrow, default)]
    pub(crate) resource_logs: Option<Span<'a>>,
    /// Loki `query_range` response.
    #[serde(borrow, default)]
    pub(crate) data: Option<Span<'a>>,
    /// Loki `logcli --output=jsonl` line.
    #[serde(borrow, default)]
    pub(crate) line: Option<Span<'a>>,
    /// Elasticsearch `_search` response, and one hit's document.
    #[serde(borrow, default)]
    pub(crate) hits: Option<Span<'a>>,
    #[serde(borrow, default, rename = "_source")]
    pub(crate) es_source: Option<Span<'a>>,
    /// Splunk JSON export: a `result` line, a `results` response, an event's `_raw`.
    #[serde(borrow, default)]
    pub(crate) result: Option<Span<'a>>,
    #[serde(borrow, default)]
    pub(crate) results: Option<Span<'a>>,
    #[serde(borrow, default, rename = "_raw")]
    pub(crate) splunk_raw: Option<Span<'a>>,
    /// Beats: Filebeat's decoded JSON (`json`), the Elastic integration's
    /// `kubernetes.audit`, ECS `event.original`.
    #[serde(borrow, default)]
    pub(crate) json: Option<Span<'a>>,
    #[serde(borrow, default)]
    pub(crate) kubernetes: Option<Span<'a>>,
    #[serde(borrow, default)]
    pub(crate) event: Option<Span<'a>>,
}

/// Whether the fast scanner is used (tests turn it off to compare with serde_json alone).
pub static FAST_PATH: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Where a record sits in its file.
#[derive(Clone, Copy, Debug)]
pub struct RecordPos {
    pub file: u32,
    /// 1-based line where the record starts.
    pub line: u64,
    pub offset: u64,
    /// The record's byte length.
    pub len: u32,
}

/// Wrapper kinds, as counted in `FileInfo::wrappers`.
const W_EVENTLIST: &str = "EventList batches";
const W_AZURE: &str = "Azure diagnostic records";
const W_CLOUDWATCH: &str = "AWS CloudWatch records";
const W_GKE: &str = "GKE Cloud Audit Logs entries";
const W_GO_ENTRY: &str = "Go logging.Entry records (Sysdig bridge)";
const W_VIAQ: &str = "OpenShift ViaQ records";
const W_OTLP: &str = "OTLP/JSON log documents";
const W_LOKI: &str = "Loki query responses";
const W_LOKI_LINE: &str = "Loki logcli lines";
const W_ES: &str = "Elasticsearch search responses";
const W_ES_HIT: &str = "Elasticsearch documents";
const W_SPLUNK: &str = "Splunk results";
const W_BEATS: &str = "Beats documents";

/// Parses one record and adds its events to `store` (or rejections: every event
/// candidate is counted exactly once).
pub fn ingest_record(store: &mut Store, text: &str, pos: RecordPos) {
    let mut sink = ToStore {
        store,
        pos,
        item: 0,
    };
    walk(&mut sink, text, false, 0)
}

/// What a walk over one record finds, each leaf once, in document order. A leaf is an
/// event candidate that became an event or a rejection; the n-th leaf (0-based) of a
/// record is its item n, so ingest and re-extraction (the same walk) agree on positions.
trait Leaves {
    /// A wrapper of this kind was entered.
    fn wrapper(&mut self, kind: &'static str);
    /// An event candidate (`wrapped` when inside a wrapper): `rec` parsed from `text`.
    fn event(&mut self, rec: &Rec, text: &str, wrapped: bool);
    /// A leaf that is no event, with the reason.
    fn reject(&mut self, why: String);
    /// A leaf that is a valid record of something else (a Google Cloud audit entry of
    /// another service): counted as skipped under `kind`.
    fn skip(&mut self, kind: String);
}

/// The ingest sink: leaves become rows or rejections of `store`.
struct ToStore<'s> {
    store: &'s mut Store,
    pos: RecordPos,
    item: u32,
}

impl Leaves for ToStore<'_> {
    fn wrapper(&mut self, kind: &'static str) {
        count_wrapper(self.store, self.pos.file, kind);
    }
    fn event(&mut self, rec: &Rec, text: &str, wrapped: bool) {
        push_event(self.store, rec, text, self.pos, wrapped, self.item);
        self.item += 1;
    }
    fn reject(&mut self, why: String) {
        let p = self.pos;
        self.store.reject(p.file, p.line, p.offset, why);
        self.item += 1;
    }
    fn skip(&mut self, kind: String) {
        self.store.skip_record(self.pos.file, &kind);
        self.item += 1;
    }
}

/// The re-extraction sink: each leaf's event text (compacted when wrapped), or `None`.
struct Texts(Vec<Option<String>>);

impl Leaves for Texts {
    fn wrapper(&mut self, _: &'static str) {}
    fn event(&mut self, _: &Rec, text: &str, wrapped: bool) {
        self.0.push(Some(if wrapped {
            compact_json(text)
        } else {
            text.to_string()
        }));
    }
    fn reject(&mut self, _: String) {
        self.0.push(None);
    }
    fn skip(&mut self, _: String) {
        self.0.push(None);
    }
}

fn walk(l: &mut impl Leaves, text: &str, wrapped: bool, depth: u32) {
    if depth > 4 {
        return l.reject("wrappers nested too deeply".into());
    }
    if !text.trim_start().starts_with('{') {
        return l.reject(not_json(text));
    }
    // Fast path for plain events; serde_json for everything else (and for every error).
    if let Some(rec) = if FAST_PATH.load(std::sync::atomic::Ordering::Relaxed) {
        super::scan::scan(text)
    } else {
        None
    } {
        // Only what is plainly an event: other shapes (log stores, ViaQ's `level:
        // "default"`) have none of these keys or an invalid level, and go to serde.
        let eventish = rec.kind.is_some()
            || rec.audit_id.is_some()
            || rec.stage.is_some()
            || rec.request_uri.is_some();
        let level_ok = rec
            .level
            .as_deref()
            .is_none_or(|v| Level::parse(v).is_some());
        if rec.items.is_none() && eventish && level_ok {
            return l.event(&rec, text, wrapped);
        }
    }
    let rec: Rec = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(e) => return l.reject(json_error_reason(text, &e)),
    };
    // EventList (webhook batch) or any object with `items`.
    if let Some(items) = rec.items {
        l.wrapper(W_EVENTLIST);
        return each_in_array(l, items.get(), depth, "EventList.items");
    }
    if let Some(records) = rec.records {
        l.wrapper(W_AZURE);
        return each_in_array(l, records.get(), depth, "records");
    }
    if let Some(list) = rec.log_events.or(rec.events) {
        l.wrapper(W_CLOUDWATCH);
        return each_in_array(l, list.get(), depth, "logEvents");
    }
    if let Some(props) = &rec.properties {
        if let Some(log) = props.log {
            let cat = rec.category.as_deref().unwrap_or("");
            if !cat.is_empty() && !cat.starts_with("kube-audit") {
                return l.reject(format!(
                    "Azure diagnostic record of category \"{cat}\" is not a Kubernetes audit event"
                ));
            }
            return walk_embedded(l, log, depth);
        }
    }
    if rec.proto_payload.is_some() {
        l.wrapper(W_GKE);
        return mapped(l, super::cloud::map_log_entry(text), depth);
    }
    if rec.go_entry.is_some() && rec.go_audit_payload.is_some() {
        l.wrapper(W_GO_ENTRY);
        return mapped(l, super::cloud::map_go_entry(text), depth);
    }
    if rec.resource_logs.is_some() {
        l.wrapper(W_OTLP);
        return match super::logstore::otlp_bodies(text) {
            Ok(c) if c.is_empty() => l.reject("OTLP logs without log records: no events".into()),
            Ok(c) => candidates(l, c, depth),
            Err(e) => l.reject(e),
        };
    }
    let plain_event = rec.audit_id.is_some() || rec.stage.is_some();
    if !plain_event {
        if let Some(lines) = rec.data.and_then(|d| super::logstore::loki_lines(d.get())) {
            l.wrapper(W_LOKI);
            if lines.is_empty() {
                return l.reject("Loki response without log lines: no events".into());
            }
            return candidates(l, lines, depth);
        }
        if let Some(line) = rec.line {
            l.wrapper(W_LOKI_LINE);
            return walk_embedded(l, line, depth);
        }
        if let Some(hits) = rec.hits.and_then(|h| super::logstore::es_hits(h.get())) {
            l.wrapper(W_ES);
            return each_in_array(l, hits, depth, "hits.hits");
        }
        if let Some(src) = rec.es_source {
            l.wrapper(W_ES_HIT);
            return walk_document(l, src, depth);
        }
        if let Some(list) = rec.results {
            l.wrapper(W_SPLUNK);
            return each_in_array(l, list.get(), depth, "results");
        }
        if let Some(res) = rec.result {
            l.wrapper(W_SPLUNK);
            return walk_embedded(l, res, depth);
        }
        if let Some(raw) = rec.splunk_raw {
            return walk_embedded(l, raw, depth);
        }
        if let Some(j) = rec.json {
            l.wrapper(W_BEATS);
            return walk_document(l, j, depth);
        }
        if let Some(a) = rec
            .kubernetes
            .and_then(|k| super::logstore::sub_member(k.get(), "audit"))
        {
            l.wrapper(W_BEATS);
            return walk_document(l, Span(a), depth);
        }
    }
    if let Some(kl) = rec.k8s_audit_level.as_deref() {
        l.wrapper(W_VIAQ);
        return match super::logstore::normalize_event(text, Some(kl)) {
            Ok(t) => walk(l, &t, true, depth + 1),
            Err(e) => l.reject(e),
        };
    }
    if let Some(msg) = rec.message.or(rec.at_message) {
        if !plain_event {
            return walk_embedded(l, msg, depth);
        }
    }
    if !plain_event {
        if let Some(o) = rec
            .event
            .and_then(|e| super::logstore::sub_member(e.get(), "original"))
        {
            l.wrapper(W_BEATS);
            return walk_embedded(l, Span(o), depth);
        }
    }
    l.event(&rec, text, wrapped)
}

/// A mapped cloud record: its synthesised Event is walked like an embedded one.
fn mapped(l: &mut impl Leaves, m: super::cloud::Mapped, depth: u32) {
    use super::cloud::Mapped;
    match m {
        Mapped::Event(t) => walk(l, &t, true, depth + 1),
        Mapped::Skip(kind) => l.skip(kind),
        Mapped::Reject(why) => l.reject(why),
    }
}

fn candidates(l: &mut impl Leaves, c: Vec<super::logstore::Candidate>, depth: u32) {
    for c in c {
        match c {
            Ok(t) => walk(l, &t, true, depth + 1),
            Err(e) => l.reject(e),
        }
    }
}

/// A document that may be the event itself with a collector's extra members (an
/// Elasticsearch `_source`, Filebeat's `json`): an event is normalised to its Event
/// members, anything else is walked as a record (a Beats document with `message`).
fn walk_document(l: &mut impl Leaves, raw: Span, depth: u32) {
    let t = raw.get().trim_start();
    if !t.starts_with('{') {
        return walk_embedded(l, raw, depth);
    }
    let inner: Rec = match serde_json::from_str(t) {
        Ok(r) => r,
        Err(e) => return l.reject(json_error_reason(t, &e)),
    };
    let event =
        inner.kind.as_deref() == Some("Event") || inner.audit_id.is_some() || inner.stage.is_some();
    if event && inner.proto_payload.is_none() {
        let level = inner.k8s_audit_level.as_deref();
        match super::logstore::normalize_event(t, level) {
            Ok(n) => walk(l, &n, true, depth + 1),
            Err(e) => l.reject(e),
        }
    } else {
        walk(l, t, true, depth + 1)
    }
}

/// A wrapper's embedded event: a JSON string holding the event text, or the event object.
fn walk_embedded(l: &mut impl Leaves, raw: Span, depth: u32) {
    let t = raw.get().trim_start();
    if t.starts_with('"') {
        match serde_json::from_str::<Cow<str>>(t) {
            Ok(inner) => walk(l, &inner, true, depth + 1),
            Err(e) => l.reject(format!("embedded event text: {e}")),
        }
    } else if t.starts_with('{') {
        walk(l, t, true, depth + 1)
    } else {
        l.reject("wrapper record holds neither an event object nor event text".into())
    }
}

fn each_in_array(l: &mut impl Leaves, arr: &str, depth: u32, what: &str) {
    match serde_json::from_str::<Vec<&RawValue>>(arr) {
        Ok(items) if items.is_empty() => l.reject(format!("empty {what}: no events")),
        Ok(items) => {
            for it in items {
                walk(l, it.get(), true, depth + 1);
            }
        }
        Err(e) => l.reject(format!("{what} is not a list of objects: {e}")),
    }
}

fn count_wrapper(store: &mut Store, file: u32, kind: &str) {
    let w = &mut store.files[file as usize].wrappers;
    match w.iter_mut().find(|(k, _)| k == kind) {
        Some((_, n)) => *n += 1,
        None => w.push((kind.to_string(), 1)),
    }
}

fn s<'b>(o: &'b Option<Str<'_>>) -> &'b str {
    o.as_deref().unwrap_or("")
}

fn push_event(store: &mut Store, r: &Rec, text: &str, pos: RecordPos, wrapped: bool, item: u32) {
    let reject = |store: &mut Store, why: String| store.reject(pos.file, pos.line, pos.offset, why);
    match r.kind.as_deref() {
        Some("Event") | None => {}
        Some(k) => return reject(store, format!("not an audit Event: kind is \"{k}\"")),
    }
    if r.kind.is_none() && r.audit_id.is_none() && r.request_uri.is_none() && r.stage.is_none() {
        return reject(
            store,
            "not an audit Event: no kind, auditID, stage or requestURI".into(),
        );
    }
    if let Some(v) = r.api_version.as_deref() {
        if !v.is_empty() && !v.starts_with("audit.k8s.io/") {
            return reject(store, format!("not an audit Event: apiVersion is \"{v}\""));
        }
    }
    let ts_raw = r
        .timestamp
        .and_then(|t| serde_json::from_str::<Cow<str>>(t.get()).ok());
    let received = r
        .request_received_timestamp
        .as_deref()
        .and_then(parse_rfc3339_micros)
        .or_else(|| ts_raw.as_deref().and_then(parse_rfc3339_micros))
        .or_else(|| {
            r.metadata
                .as_ref()?
                .creation_timestamp
                .as_deref()
                .and_then(parse_rfc3339_micros)
        })
        .or_else(|| r.stage_timestamp.as_deref().and_then(parse_rfc3339_micros));
    let Some(received) = received else {
        return reject(
            store,
            "audit Event without a valid timestamp (requestReceivedTimestamp)".into(),
        );
    };
    let stage_ts = r.stage_timestamp.as_deref().and_then(parse_rfc3339_micros);
    let no_stage_ts = stage_ts.is_none();
    let stage_ts = stage_ts.unwrap_or(received);
    let stage = match r.stage.as_deref() {
        None => None,
        Some(s) => match Stage::parse(s) {
            Some(s) => Some(s),
            None => return reject(store, format!("unknown stage \"{s}\"")),
        },
    };
    let level = match r.level.as_deref() {
        None => None,
        Some(l) => match Level::parse(l) {
            Some(l) => Some(l),
            None => return reject(store, format!("unknown level \"{l}\"")),
        },
    };
    let no_user = User::default();
    let user = r.user.as_ref().unwrap_or(&no_user);
    let imp = r.impersonated_user.as_ref();
    let no_obj = ObjectRef::default();
    let obj = r.object_ref.as_ref().unwrap_or(&no_obj);
    let status = r.response_status.as_ref();
    let ann = r.annotations.as_ref();
    let code = status
        .and_then(|st| st.code)
        .map_or(0, |c| c.clamp(0.0, 65_535.0) as u16);
    let (verb, resource, sub) = (s(&r.verb), s(&obj.resource), s(&obj.subresource));
    // The cheap test first: most events are of no resource that carries facts.
    let facts = if super::facts::is_candidate(verb, resource, sub) {
        super::facts::extract(
            verb,
            resource,
            sub,
            s(&r.request_uri),
            r.request_object.map(|b| b.get()),
            r.response_object.map(|b| b.get()),
        )
    } else {
        None
    };
    // What omitManagedFields would remove (`scan::managed_fields`): a patch is logged as
    // sent (kube-apiserver's `LogRequestPatch`), so its request body keeps everything.
    let req_mf = match r.request_object {
        Some(_) if verb == "patch" => 0,
        Some(b) => r
            .request_mf
            .unwrap_or_else(|| super::scan::managed_fields(b.get())),
        None => 0,
    };
    let resp_mf = match r.response_object {
        Some(b) => r
            .response_mf
            .unwrap_or_else(|| super::scan::managed_fields(b.get())),
        None => 0,
    };
    let e = EventIn {
        file: pos.file,
        offset: pos.offset,
        len: if wrapped { text.len() as u32 } else { pos.len },
        received,
        stage_ts,
        stage,
        level,
        audit_id: s(&r.audit_id),
        verb: s(&r.verb),
        user: s(&user.username),
        groups_json: user.groups.map_or("", |g| g.get()),
        impersonated_user: imp.map_or("", |u| s(&u.username)),
        source_ips_json: r.source_ips.map_or("", |g| g.get()),
        user_agent: s(&r.user_agent),
        resource_request: r.object_ref.is_some(),
        api_group: s(&obj.api_group),
        api_version: s(&obj.api_version),
        resource: s(&obj.resource),
        subresource: s(&obj.subresource),
        namespace: s(&obj.namespace),
        name: s(&obj.name),
        request_uri: s(&r.request_uri),
        code,
        status_reason: status.map_or("", |st| s(&st.reason)),
        message: status.map_or("", |st| s(&st.message)),
        facts,
        decision: ann.map_or("", |a| s(&a.decision)),
        authz_reason: ann.map_or("", |a| s(&a.reason)),
        req_size: r.request_object.map_or(0, |v| v.get().len() as u32),
        resp_size: r.response_object.map_or(0, |v| v.get().len() as u32),
        req_mf,
        resp_mf,
        has_req_obj: r.request_object.is_some(),
        has_resp_obj: r.response_object.is_some(),
        wrapped,
        no_stage_ts,
        record_len: pos.len,
        item,
    };
    store.push(&e);
}

/// A short reason for a JSON error, in words: "truncated JSON (the line ends mid-event)".
pub fn json_error_reason(text: &str, e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let t = text.trim_start();
    match e.classify() {
        Category::Eof => {
            "truncated JSON: the record ends mid-event (a log still being written?)".to_string()
        }
        Category::Syntax if !t.starts_with('{') && !t.starts_with('[') => {
            let preview: String = t
                .chars()
                .take(40)
                .map(|c| if c.is_control() { '·' } else { c })
                .collect();
            format!("not JSON: starts with \"{preview}\"")
        }
        Category::Syntax => format!("malformed JSON: {e}"),
        Category::Data => format!("not a valid audit Event: {e}"),
        Category::Io => format!("read error: {e}"),
    }
}

fn not_json(text: &str) -> String {
    let preview: String = text
        .trim_start()
        .chars()
        .take(40)
        .map(|c| if c.is_control() { '·' } else { c })
        .collect();
    format!("not JSON: starts with \"{preview}\"")
}

/// One event's JSON as re-read from its record (see [`event_json`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventJson {
    /// The event alone, on one line.
    pub text: String,
    /// True when `text` is byte for byte the event's bytes in the file (a line of its
    /// own, without a host prefix); false when it was taken out of a wrapper or from a
    /// pretty-printed document and compacted (insignificant whitespace removed, keys and
    /// values as in the source).
    pub verbatim: bool,
}

/// The event of a record, as the store placed it: `record` is the bytes at
/// [`Store::record_range`](crate::store::Store::record_range), `item` its
/// [`Store::wrap_item`](crate::store::Store::wrap_item). Never panics; an error says why
/// (the file changed since it was loaded, say).
pub fn event_json(record: &[u8], item: Option<u32>) -> Result<EventJson, String> {
    let text = record_text(record)?;
    match item {
        None if text.contains(['\n', '\r']) => Ok(EventJson {
            text: compact_json(text),
            verbatim: false,
        }),
        None => Ok(EventJson {
            text: text.to_string(),
            verbatim: true,
        }),
        Some(i) => {
            let mut found = events_of_record(text);
            match found.get_mut(i as usize).and_then(Option::take) {
                Some(t) => Ok(EventJson {
                    text: t,
                    verbatim: false,
                }),
                None => Err(gone(i)),
            }
        }
    }
}

/// A record's JSON text: surrounding blanks and a host prefix removed, UTF-8 checked.
fn record_text(record: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(super::strip_host_prefix(super::trim_ascii(record)))
        .map_err(|e| format!("the record is not UTF-8 (byte {})", e.valid_up_to()))
}

fn gone(item: u32) -> String {
    format!(
        "event {} of its wrapper record is not there any more (was the file changed after loading?)",
        item + 1
    )
}

/// A record: (file index, offset in its decompressed stream).
pub type RecordKey = (u32, u64);

/// [`event_json`] for many rows in turn (an export): the events of the last wrapper
/// record are kept, so the rows of one wrapper walk it once, not once each.
#[derive(Default)]
pub struct EventExtractor {
    /// (record key, its leaves by item) of the last wrapper read.
    last: Option<(RecordKey, Vec<Option<String>>)>,
}

impl EventExtractor {
    /// The event of a row: `key` names its record (file, offset), `record` is the
    /// record's bytes, `item` its [`Store::wrap_item`](crate::store::Store::wrap_item).
    pub fn event(
        &mut self,
        key: RecordKey,
        record: &[u8],
        item: Option<u32>,
    ) -> Result<EventJson, String> {
        let Some(i) = item else {
            return event_json(record, None);
        };
        if self.last.as_ref().is_none_or(|(k, _)| *k != key) {
            self.last = Some((key, events_of_record(record_text(record)?)));
        }
        let leaves = &mut self.last.as_mut().expect("just set").1;
        let text = leaves
            .get_mut(i as usize)
            .and_then(Option::take)
            .ok_or_else(|| gone(i))?;
        Ok(EventJson {
            text,
            verbatim: false,
        })
    }
}

/// Every leaf of a record (host prefix already removed), by item: the event text
/// (compacted when wrapped) or `None` for a leaf that was rejected. One walk, so a
/// caller exporting many events of one wrapper reads it once.
pub fn events_of_record(text: &str) -> Vec<Option<String>> {
    let mut t = Texts(Vec::new());
    walk(&mut t, text, false, 0);
    t.0
}

/// `text` (valid JSON) without insignificant whitespace: strings, keys and their order
/// are kept byte for byte. Invalid JSON is compacted the same way, never rejected; a raw
/// control character inside a string (invalid JSON the lenient scanner may have kept in
/// a skipped body) is written as its `\u00XX` escape, so the result is always one line.
pub fn compact_json(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let (mut in_str, mut esc) = (false, false);
    for &c in b {
        if in_str {
            if c < 0x20 {
                out.extend_from_slice(format!("\\u{c:04x}").as_bytes());
                esc = false;
                continue;
            }
            out.push(c);
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                in_str = false;
            }
        } else if !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            if c == b'"' {
                in_str = true;
            }
            out.push(c);
        }
    }
    // Only ASCII whitespace outside strings was removed: still UTF-8.
    String::from_utf8(out).unwrap_or_default()
}
