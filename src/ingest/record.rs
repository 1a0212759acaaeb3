//! One input record (a line or a top-level JSON object) to zero or more events.
//!
//! Parses only the indexed fields, borrowing strings from the input where they have no
//! escapes; `requestObject`/`responseObject` are kept as raw spans and only measured.
//! Recognises bare Events (`audit.k8s.io/v1`, `v1beta1`, `v1alpha1`, or no apiVersion at
//! all), `EventList` batches, Azure diagnostic `records[]` (with `properties.log` as a
//! JSON string or object), AWS CloudWatch exports (`logEvents[]`/`events[]` with a
//! `message`, or a bare record with `message`/`@message`), and says plainly what it does
//! not map (GKE Cloud Audit Logs `protoPayload` records).

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

/// Parses one record and adds its events to `store` (or rejections: every event
/// candidate is counted exactly once). `wrapped` marks records found inside a wrapper.
pub fn ingest_record(store: &mut Store, text: &str, pos: RecordPos) {
    ingest_nested(store, text, pos, false, 0)
}

fn ingest_nested(store: &mut Store, text: &str, pos: RecordPos, wrapped: bool, depth: u32) {
    if depth > 4 {
        store.reject(pos.file, pos.line, pos.offset, "wrappers nested too deeply");
        return;
    }
    if !text.trim_start().starts_with('{') {
        store.reject(pos.file, pos.line, pos.offset, not_json(text));
        return;
    }
    // Fast path for plain events; serde_json for everything else (and for every error).
    if let Some(rec) = if FAST_PATH.load(std::sync::atomic::Ordering::Relaxed) {
        super::scan::scan(text)
    } else {
        None
    } {
        if rec.items.is_none() {
            push_event(store, &rec, text, pos, wrapped);
            return;
        }
    }
    let rec: Rec = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            store.reject(pos.file, pos.line, pos.offset, json_error_reason(text, &e));
            return;
        }
    };
    // EventList (webhook batch) or any object with `items`.
    if let Some(items) = rec.items {
        count_wrapper(store, pos.file, W_EVENTLIST);
        return each_in_array(
            store,
            items.get(),
            pos,
            depth,
            "EventList.items",
            |s, t, p, d| ingest_nested(s, t, p, true, d),
        );
    }
    if let Some(records) = rec.records {
        count_wrapper(store, pos.file, W_AZURE);
        return each_in_array(store, records.get(), pos, depth, "records", |s, t, p, d| {
            ingest_nested(s, t, p, true, d)
        });
    }
    if let Some(list) = rec.log_events.or(rec.events) {
        count_wrapper(store, pos.file, W_CLOUDWATCH);
        return each_in_array(store, list.get(), pos, depth, "logEvents", |s, t, p, d| {
            ingest_nested(s, t, p, true, d)
        });
    }
    if let Some(props) = &rec.properties {
        if let Some(log) = props.log {
            let cat = rec.category.as_deref().unwrap_or("");
            if !cat.is_empty() && !cat.starts_with("kube-audit") {
                store.reject(
                    pos.file,
                    pos.line,
                    pos.offset,
                    format!("Azure diagnostic record of category \"{cat}\" is not a Kubernetes audit event"),
                );
                return;
            }
            return ingest_embedded(store, log, pos, depth);
        }
    }
    if let Some(msg) = rec.message.or(rec.at_message) {
        if rec.audit_id.is_none() && rec.stage.is_none() {
            return ingest_embedded(store, msg, pos, depth);
        }
    }
    if rec.proto_payload.is_some() {
        store.reject(
            pos.file,
            pos.line,
            pos.offset,
            "GKE Cloud Audit Logs record (protoPayload): a Google Cloud audit entry, not a Kubernetes audit Event; it carries no audit level or stage and is not loaded",
        );
        return;
    }
    push_event(store, &rec, text, pos, wrapped);
}

/// A wrapper's embedded event: a JSON string holding the event text, or the event object.
fn ingest_embedded(store: &mut Store, raw: Span, pos: RecordPos, depth: u32) {
    let t = raw.get().trim_start();
    if t.starts_with('"') {
        match serde_json::from_str::<Cow<str>>(t) {
            Ok(inner) => {
                let p = RecordPos {
                    len: inner.len() as u32,
                    ..pos
                };
                ingest_nested(store, &inner, p, true, depth + 1)
            }
            Err(e) => store.reject(
                pos.file,
                pos.line,
                pos.offset,
                format!("embedded event text: {e}"),
            ),
        }
    } else if t.starts_with('{') {
        let p = RecordPos {
            len: t.len() as u32,
            ..pos
        };
        ingest_nested(store, t, p, true, depth + 1)
    } else {
        store.reject(
            pos.file,
            pos.line,
            pos.offset,
            "wrapper record holds neither an event object nor event text",
        );
    }
}

fn each_in_array(
    store: &mut Store,
    arr: &str,
    pos: RecordPos,
    depth: u32,
    what: &str,
    mut f: impl FnMut(&mut Store, &str, RecordPos, u32),
) {
    match serde_json::from_str::<Vec<&RawValue>>(arr) {
        Ok(items) if items.is_empty() => store.reject(
            pos.file,
            pos.line,
            pos.offset,
            format!("empty {what}: no events"),
        ),
        Ok(items) => {
            for it in items {
                let t = it.get();
                let p = RecordPos {
                    len: t.len() as u32,
                    ..pos
                };
                f(store, t, p, depth + 1);
            }
        }
        Err(e) => store.reject(
            pos.file,
            pos.line,
            pos.offset,
            format!("{what} is not a list of objects: {e}"),
        ),
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

fn push_event(store: &mut Store, r: &Rec, text: &str, pos: RecordPos, wrapped: bool) {
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
    let stage_ts = r
        .stage_timestamp
        .as_deref()
        .and_then(parse_rfc3339_micros)
        .unwrap_or(received);
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
        decision: ann.map_or("", |a| s(&a.decision)),
        authz_reason: ann.map_or("", |a| s(&a.reason)),
        req_size: r.request_object.map_or(0, |v| v.get().len() as u32),
        resp_size: r.response_object.map_or(0, |v| v.get().len() as u32),
        has_req_obj: r.request_object.is_some(),
        has_resp_obj: r.response_object.is_some(),
        wrapped,
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

/// Re-extracts the events of one record (as found by the store's offset) as compact or
/// original JSON texts, unwrapping EventList/Azure/CloudWatch wrappers.
/// Returns `(event_json, audit_id, stage)` for each event in the record.
pub fn events_in_record(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    collect_events(text, &mut out, 0);
    out
}

fn collect_events(text: &str, out: &mut Vec<String>, depth: u32) {
    if depth > 4 {
        return;
    }
    let Ok(rec) = serde_json::from_str::<Rec>(text) else {
        return;
    };
    let arr = rec.items.or(rec.records).or(rec.log_events).or(rec.events);
    if let Some(arr) = arr {
        if let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(arr.get()) {
            for it in items {
                collect_events(it.get(), out, depth + 1);
            }
        }
        return;
    }
    let embedded = rec
        .properties
        .as_ref()
        .and_then(|p| p.log)
        .or(if rec.audit_id.is_none() {
            rec.message.or(rec.at_message)
        } else {
            None
        });
    if let Some(raw) = embedded {
        let t = raw.get().trim_start();
        if t.starts_with('"') {
            if let Ok(inner) = serde_json::from_str::<String>(t) {
                collect_events(&inner, out, depth + 1);
            }
        } else {
            collect_events(t, out, depth + 1);
        }
        return;
    }
    out.push(text.to_string());
}
