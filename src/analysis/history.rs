//! One object's history: every request on it in time order (a request's stages folded
//! together), its versions rebuilt from the request and response bodies the log holds, the
//! fields each write changed (with the field manager that owns them), patches as sent, the
//! last manifest of a deleted object, and plain sentences where the log's level cannot show
//! a change. Pure: the caller supplies the rows' event texts (natively from the files, in
//! the worker from the `File` via `web::explore::event_text`).
//!
//! Objects are named as kubectl names them: `RESOURCE[.GROUP]/NAME` and a namespace
//! (`-n kafka leases.coordination.k8s.io/strimzi-cluster-operator`).

use crate::analysis::diff;
use crate::store::{Dim, Store};
use crate::util::format_rfc3339_micros;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An object as kubectl names it. `group` and `namespace` `None` mean "any".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRef {
    /// Plural resource, lower case (`leases`), as in the audit log's `objectRef.resource`.
    pub resource: String,
    /// API group; `Some("")` is the core group.
    pub group: Option<String>,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectRef {
    /// Parses `RESOURCE[.GROUP]/NAME` (kubectl's `TYPE/NAME`; also `RESOURCE.VERSION.GROUP`,
    /// as kubectl's `schema.ParseResourceArg` accepts) with the namespace of `-n`.
    /// Without a group the resource matches in any group, as kubectl finds it by discovery.
    pub fn parse(spec: &str, namespace: Option<&str>) -> Result<ObjectRef, String> {
        let spec = spec.trim();
        let Some((ty, name)) = spec.split_once('/') else {
            return Err(format!(
                "{spec:?}: name an object as RESOURCE[.GROUP]/NAME, e.g. pods/web or \
                 leases.coordination.k8s.io/my-lease"
            ));
        };
        if ty.is_empty() {
            return Err(format!("{spec:?}: the resource before '/' is missing"));
        }
        if name.is_empty() {
            return Err(format!("{spec:?}: the name after '/' is missing"));
        }
        if name.contains('/') {
            return Err(format!(
                "{spec:?}: an object name has no '/' (a subresource such as pods/NAME/exec \
                 belongs to the object's history: name the object)"
            ));
        }
        let bad = |s: &str| {
            s.is_empty()
                || !s
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        };
        let (resource, group) = match ty.split_once('.') {
            None => (ty, None),
            Some((r, rest)) => {
                // `deployments.v1.apps`: a version before the group.
                let g = match rest.split_once('.') {
                    Some((v, g)) if is_version(v) => g,
                    _ if is_version(rest) => "",
                    _ => rest,
                };
                (r, Some(g))
            }
        };
        if bad(resource) || resource.contains('.') {
            return Err(format!("{spec:?}: {resource:?} is not a resource name"));
        }
        if let Some(g) = group {
            if !g.is_empty() && bad(g) {
                return Err(format!("{spec:?}: {g:?} is not an API group"));
            }
        }
        if let Some(ns) = namespace {
            if ns.is_empty() || ns.contains('/') {
                return Err(format!("-n {ns:?}: not a namespace name"));
            }
        }
        Ok(ObjectRef {
            resource: resource.to_ascii_lowercase(),
            group: group.map(str::to_ascii_lowercase),
            namespace: namespace.map(str::to_string),
            name: name.to_string(),
        })
    }

    /// The object row `row` is about (`None` for non-resource requests and for rows
    /// without a name, such as lists and creates with `generateName`).
    pub fn of_row(s: &Store, row: usize) -> Option<ObjectRef> {
        if row >= s.len() || !s.is_resource_request(row) {
            return None;
        }
        let name = s.str(Dim::Name, row);
        let resource = s.str(Dim::Resource, row);
        if name.is_empty() || resource.is_empty() {
            return None;
        }
        Some(ObjectRef {
            resource: resource.to_string(),
            group: Some(s.str(Dim::ApiGroup, row).to_string()),
            namespace: Some(s.str(Dim::Namespace, row).to_string()),
            name: name.to_string(),
        })
    }

    /// kubectl's spelling: `leases.coordination.k8s.io/x -n kafka`.
    pub fn display(&self) -> String {
        let mut s = self.resource.clone();
        if let Some(g) = self.group.as_deref().filter(|g| !g.is_empty()) {
            s.push('.');
            s.push_str(g);
        }
        s.push('/');
        s.push_str(&self.name);
        let own_ns = self.resource == "namespaces";
        if let Some(ns) = self
            .namespace
            .as_deref()
            .filter(|n| !n.is_empty() && !own_ns)
        {
            s.push_str(" -n ");
            s.push_str(ns);
        }
        s
    }
}

fn is_version(v: &str) -> bool {
    // v1, v1beta1, v2alpha3
    let b = v.as_bytes();
    b.len() >= 2 && b[0] == b'v' && b[1].is_ascii_digit() && b.iter().all(u8::is_ascii_alphanumeric)
}

/// The resource strings a user's word may stand for: itself, lower case, and plural
/// forms of a singular kind (`lease` → `leases`, `policy` → `policies`, `ingress` →
/// `ingresses`).
fn resource_forms(r: &str) -> Vec<String> {
    let r = r.to_ascii_lowercase();
    let mut v = vec![r.clone(), format!("{r}s"), format!("{r}es")];
    if let Some(stem) = r.strip_suffix('y') {
        v.push(format!("{stem}ies"));
    }
    v
}

/// Every row on `obj` (its subresources included), and the lists over its resource whose
/// response may hold it (`build` keeps those only when it does), in time order.
pub fn rows(s: &Store, obj: &ObjectRef) -> Vec<u32> {
    rows_with(s, obj, None)
}

/// The rows of each object name, and the lists (requests without a name, verb `list`,
/// with a response body), built once per store: a history then looks at its name's rows
/// and the lists only instead of every row (1 M events: one scan of ~20 ms in the page
/// saved per history opened). Rows are in store (time) order.
#[derive(Clone, Debug, Default)]
pub struct NameIndex {
    /// `rows[start[id]..start[id + 1]]` are the rows of name id `id`.
    start: Vec<u32>,
    rows: Vec<u32>,
    lists: Vec<u32>,
}

impl NameIndex {
    pub fn build(s: &Store) -> NameIndex {
        let n = s.dict.of(Dim::Name).len();
        let unnamed = s.dict.of(Dim::Name).lookup("");
        let list = s.dict.of(Dim::Verb).lookup("list");
        let mut count = vec![0u32; n + 1];
        let mut lists = Vec::new();
        for r in 0..s.len() {
            let id = s.sym(Dim::Name, r);
            if Some(id) == unnamed {
                if list.is_some()
                    && Some(s.sym(Dim::Verb, r)) == list
                    && s.response_object_size(r) > 0
                {
                    lists.push(r as u32);
                }
                continue;
            }
            count[id as usize + 1] += 1;
        }
        for i in 1..count.len() {
            count[i] += count[i - 1];
        }
        let start = count.clone();
        let mut rows = vec![0u32; *count.last().unwrap_or(&0) as usize];
        let mut at = count;
        for r in 0..s.len() {
            let id = s.sym(Dim::Name, r);
            if Some(id) != unnamed {
                rows[at[id as usize] as usize] = r as u32;
                at[id as usize] += 1;
            }
        }
        NameIndex { start, rows, lists }
    }

    /// Rows named `id`, and the lists, merged in row order.
    fn candidates(&self, id: u32) -> Vec<u32> {
        let (a, b) = (
            self.start.get(id as usize).copied().unwrap_or(0) as usize,
            self.start.get(id as usize + 1).copied().unwrap_or(0) as usize,
        );
        let named = self.rows.get(a..b).unwrap_or(&[]);
        let mut out = Vec::with_capacity(named.len() + self.lists.len());
        let (mut i, mut j) = (0, 0);
        while i < named.len() || j < self.lists.len() {
            if j >= self.lists.len() || (i < named.len() && named[i] < self.lists[j]) {
                out.push(named[i]);
                i += 1;
            } else {
                out.push(self.lists[j]);
                j += 1;
            }
        }
        out
    }
}

/// [`rows`], looking only at the candidates of `index` when given (the same rows).
pub fn rows_with(s: &Store, obj: &ObjectRef, index: Option<&NameIndex>) -> Vec<u32> {
    let d = &s.dict;
    let Some(name) = d.of(Dim::Name).lookup(&obj.name) else {
        return Vec::new();
    };
    let res: Vec<u32> = resource_forms(&obj.resource)
        .iter()
        .filter_map(|r| d.of(Dim::Resource).lookup(r))
        .collect();
    if res.is_empty() {
        return Vec::new();
    }
    let group = match &obj.group {
        Some(g) => match d.of(Dim::ApiGroup).lookup(g) {
            Some(id) => Some(id),
            None => return Vec::new(),
        },
        None => None,
    };
    let ns = match &obj.namespace {
        Some(n) => match d.of(Dim::Namespace).lookup(n) {
            Some(id) => Some(id),
            None => return Vec::new(),
        },
        None => None,
    };
    let cluster_ns = d.of(Dim::Namespace).lookup("");
    let unnamed = d.of(Dim::Name).lookup("");
    let list = d.of(Dim::Verb).lookup("list");
    let mut out = Vec::new();
    let cands: Box<dyn Iterator<Item = usize>> = match index {
        Some(ix) => Box::new(ix.candidates(name).into_iter().map(|r| r as usize)),
        None => Box::new(0..s.len()),
    };
    for r in cands {
        let n = s.sym(Dim::Name, r);
        let is_list = Some(n) == unnamed && list.is_some() && Some(s.sym(Dim::Verb, r)) == list;
        if n != name && !is_list {
            continue;
        }
        if !res.contains(&s.sym(Dim::Resource, r))
            || group.is_some_and(|g| s.sym(Dim::ApiGroup, r) != g)
            || !s.is_resource_request(r)
        {
            continue;
        }
        let rn = s.sym(Dim::Namespace, r);
        if is_list {
            // A list of the namespace or of the whole cluster, with a body to look in.
            if s.response_object_size(r) == 0
                || !(ns.is_none_or(|x| x == rn) || Some(rn) == cluster_ns)
                || !s.str(Dim::Subresource, r).is_empty()
            {
                continue;
            }
        } else if ns.is_some_and(|x| x != rn) {
            continue;
        }
        out.push(r as u32);
    }
    out
}

/// The distinct objects among `rows` (lists left out): more than one means the name was
/// ambiguous (no namespace or group given).
pub fn objects(s: &Store, rows: &[u32]) -> Vec<ObjectRef> {
    let mut v: Vec<ObjectRef> = Vec::new();
    for &r in rows {
        if let Some(o) = ObjectRef::of_row(s, r as usize) {
            if !v.contains(&o) {
                v.push(o);
            }
        }
    }
    v
}

/// One request on the object: its stages folded together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub audit_id: String,
    /// Stages logged, in order (`RequestReceived`, `ResponseComplete`).
    pub stages: Vec<String>,
    pub verb: String,
    pub subresource: String,
    pub user: String,
    pub impersonated_user: String,
    pub user_agent: String,
    /// The final stage's status code (0 when none was logged).
    pub code: u16,
    /// `requestReceivedTimestamp`, µs since the epoch.
    pub time_us: i64,
    /// The latest stage's `stageTimestamp - requestReceivedTimestamp`, µs.
    pub latency_us: Option<u32>,
    /// Level of the latest stage (`Metadata`, `Request`, `RequestResponse`).
    pub level: String,
    /// Store rows of the stages.
    pub rows: Vec<u32>,
    /// A list over the resource whose response holds the object (not a request on it).
    pub list: bool,
    /// The version this request shows (index into [`History::versions`]).
    pub version: Option<u32>,
    /// The patch as sent (pretty JSON), for a patch whose request body is logged.
    pub patch: Option<String>,
    /// What the log cannot show about this request, in a sentence.
    pub note: Option<String>,
}

impl Request {
    /// The latest stage's name.
    pub fn stage(&self) -> &str {
        self.stages.last().map_or("", String::as_str)
    }
    /// `requestReceivedTimestamp` as RFC 3339.
    pub fn time(&self) -> String {
        format_rfc3339_micros(self.time_us)
    }
    fn ok(&self) -> bool {
        (200..300).contains(&self.code)
    }
}

/// The rows grouped by audit ID, in order of each request's first row (time order).
pub fn requests(s: &Store, rows: &[u32]) -> Vec<Request> {
    let mut at: std::collections::HashMap<(bool, u128), usize> = Default::default();
    let mut groups: Vec<Vec<u32>> = Vec::new();
    for &r in rows {
        let k = s.audit_key(r as usize);
        match at.get(&k) {
            Some(&i) => groups[i].push(r),
            None => {
                at.insert(k, groups.len());
                groups.push(vec![r]);
            }
        }
    }
    groups
        .into_iter()
        .map(|mut g| {
            g.sort_by_key(|&r| (s.stage_byte(r as usize), s.received(r as usize)));
            let last = *g.last().unwrap_or(&0) as usize;
            let first = g[0] as usize;
            Request {
                audit_id: s.audit_id(first),
                stages: g
                    .iter()
                    .map(|&r| s.stage(r as usize).map_or("", |x| x.as_str()).to_string())
                    .collect(),
                verb: s.str(Dim::Verb, last).to_string(),
                subresource: s.str(Dim::Subresource, last).to_string(),
                user: s.str(Dim::User, last).to_string(),
                impersonated_user: s.str(Dim::ImpersonatedUser, last).to_string(),
                user_agent: s.str(Dim::UserAgent, last).to_string(),
                code: g
                    .iter()
                    .rev()
                    .map(|&r| s.code(r as usize))
                    .find(|&c| c != 0)
                    .unwrap_or(0),
                time_us: g.iter().map(|&r| s.received(r as usize)).min().unwrap_or(0),
                latency_us: s.latency_known(last),
                level: s.level(last).map_or("", |l| l.as_str()).to_string(),
                list: s.str(Dim::Name, last).is_empty(),
                rows: g,
                version: None,
                patch: None,
                note: None,
            }
        })
        .collect()
}

/// One rebuilt version of the object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Version {
    /// The request it comes from (index into [`History::requests`]).
    pub request: u32,
    pub audit_id: String,
    /// Where it was read: `response`, `request (as sent)`, `list item`.
    pub source: String,
    pub resource_version: String,
    pub time_us: i64,
}

/// One field changed between two consecutive versions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The request of the newer version (index into [`History::requests`]).
    pub request: u32,
    pub audit_id: String,
    pub path: String,
    /// `added`, `removed`, `changed`.
    pub kind: String,
    /// The value before, compact JSON (`None`: absent).
    pub from: Option<String>,
    /// The value after, compact JSON (`None`: absent).
    pub to: Option<String>,
    /// Field managers of the newer version that own the path (`manager`, `operation`).
    pub managers: Vec<(String, String)>,
}

impl Change {
    /// The first owning manager.
    pub fn manager(&self) -> Option<&str> {
        self.managers.first().map(|m| m.0.as_str())
    }
    /// Its operation (`Update`, `Apply`).
    pub fn operation(&self) -> Option<&str> {
        self.managers.first().map(|m| m.1.as_str())
    }
}

/// The object's deletion as logged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deleted {
    pub request: u32,
    pub audit_id: String,
    pub user: String,
    pub time_us: i64,
}

/// Everything the log tells about one object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub object: ObjectRef,
    /// `kind` of the object when a body shows it.
    pub kind: String,
    pub requests: Vec<Request>,
    pub versions: Vec<Version>,
    pub changes: Vec<Change>,
    /// The last successful delete not followed by a create.
    pub deleted: Option<Deleted>,
    /// The last known manifest (YAML, without `managedFields`) when the object was deleted.
    pub last_manifest: Option<String>,
    /// The last version (YAML) in any case, for copy and download.
    pub last_yaml: Option<String>,
    /// Sentences about what the log cannot show (its level).
    pub notes: Vec<String>,
}

/// The patch type is not in an audit event: kube-apiserver takes it from the request's
/// Content-Type header, which the event does not carry.
pub const PATCH_TYPE_NOTE: &str = "The patch type (JSON, merge, strategic merge or apply) is \
    not in the audit event: it travels in the request's Content-Type header, which the event \
    does not record.";

/// Sentence for an object the log only has at Metadata level.
pub const METADATA_ONLY: &str = "The log holds this object only at Metadata level (no request \
    or response bodies), so its versions and what each request changed cannot be shown.";

/// Whether row `r`'s event text can add anything: it carries a request or response body.
/// Callers need only read those rows (a Metadata-level event's text holds no version).
pub fn wants_text(s: &Store, r: u32) -> bool {
    s.request_object_size(r as usize) > 0 || s.response_object_size(r as usize) > 0
}

/// Builds the history of `obj` from its `rows` (from [`rows`]) and their event texts
/// (`texts[i]` for `rows[i]`; `None` when not read: the caller adds a note when a read
/// failed, see [`History::notes`]).
pub fn build(s: &Store, obj: &ObjectRef, rows: &[u32], texts: &[Option<String>]) -> History {
    let text_of: std::collections::HashMap<u32, &str> = rows
        .iter()
        .zip(texts)
        .filter_map(|(&r, t)| t.as_deref().map(|t| (r, t)))
        .collect();
    let mut reqs = requests(s, rows);
    let mut h = History {
        object: obj.clone(),
        kind: String::new(),
        requests: Vec::new(),
        versions: Vec::new(),
        changes: Vec::new(),
        deleted: None,
        last_manifest: None,
        last_yaml: None,
        notes: Vec::new(),
    };
    let mut prev: Option<Value> = None;
    let mut kept: Vec<Request> = Vec::new();
    let mut any_body = false;
    let mut unparsed = 0usize;
    let mut patch_seen = false;
    for mut q in reqs.drain(..) {
        let mut req_obj: Option<Value> = None;
        let mut resp_obj: Option<Value> = None;
        let mut uri = String::new();
        for &r in &q.rows {
            let Some(t) = text_of.get(&r) else {
                continue;
            };
            let Ok(mut ev) = serde_json::from_str::<Value>(t) else {
                unparsed += 1;
                continue;
            };
            if let Some(u) = ev.get("requestURI").and_then(Value::as_str) {
                uri = u.to_string();
            }
            if let Some(v) = ev.get_mut("requestObject").map(Value::take) {
                if !v.is_null() {
                    req_obj = Some(v);
                }
            }
            if let Some(v) = ev.get_mut("responseObject").map(Value::take) {
                if !v.is_null() {
                    resp_obj = Some(v);
                }
            }
        }
        if q.list {
            // Keep a list only when its response holds the object.
            let item = resp_obj.as_ref().and_then(|l| list_item(l, obj));
            match item {
                Some(it) => {
                    any_body = true;
                    let i = kept.len() as u32;
                    push_version(&mut h, &mut prev, &q, i, it, "list item");
                    q.version = h.versions.len().checked_sub(1).map(|x| x as u32);
                    kept.push(q);
                }
                None => continue,
            }
            continue;
        }
        let i = kept.len() as u32;
        any_body |= req_obj.is_some() || resp_obj.is_some();
        let verb = q.verb.as_str();
        let writes = matches!(verb, "create" | "update" | "patch");
        let versioned_sub = matches!(
            q.subresource.as_str(),
            "" | "status" | "ephemeralcontainers" | "resize"
        );
        if verb == "patch" {
            if let Some(p) = &req_obj {
                patch_seen = true;
                q.patch = Some(serde_json::to_string_pretty(p).unwrap_or_default());
                if let Some((_, query)) = uri.split_once('?') {
                    q.patch = q
                        .patch
                        .map(|p| format!("{p}\n(request URI query: {query})"));
                }
            }
        }
        let resp_version = resp_obj
            .filter(|v| q.ok() && versioned_sub && is_object_of(v, obj))
            .filter(|_| verb != "delete" && verb != "deletecollection");
        let version = match (resp_version, verb) {
            (Some(v), _) => Some((v, "response")),
            (None, "create" | "update") if q.ok() || q.code == 0 => req_obj
                .filter(|v| versioned_sub && is_object_of(v, obj))
                .map(|v| (v, "request (as sent)")),
            _ => None,
        };
        if verb == "create" && q.ok() && q.subresource.is_empty() {
            // A create after a delete starts a new life: no diff across it.
            // (The diff to the previous life's last version is kept: it shows what the
            // re-created object differs in.)
            h.deleted = None;
        }
        match version {
            Some((v, src)) => {
                push_version(&mut h, &mut prev, &q, i, v, src);
                q.version = h.versions.len().checked_sub(1).map(|x| x as u32);
            }
            None if writes && (q.ok() || q.code == 0) => {
                q.note = Some(match q.level.as_str() {
                    "Metadata" | "None" | "" => format!(
                        "Logged at Metadata level: the log has no body of this {verb}, so \
                         what it changed cannot be shown."
                    ),
                    _ if verb == "patch" && q.patch.is_some() => "The patch as sent is shown; \
                         the log has no response body for it (Request level, or a stage \
                         without the response), so the object it produced is not known."
                        .into(),
                    _ => format!(
                        "The log has no usable body of this {verb}, so what it changed \
                         cannot be shown."
                    ),
                });
            }
            None => {}
        }
        if (verb == "delete" || verb == "deletecollection")
            && q.ok()
            && q.subresource.is_empty()
            && !q.stages.iter().all(|x| x == "RequestReceived")
        {
            h.deleted = Some(Deleted {
                request: i,
                audit_id: q.audit_id.clone(),
                user: q.user.clone(),
                time_us: q.time_us,
            });
            // Some deletes answer with the object itself (finalizers, graceful deletion).
            if let Some(v) = resp_obj_of_delete(&q, &text_of, obj) {
                push_version(&mut h, &mut prev, &q, i, v, "response");
                q.version = h.versions.len().checked_sub(1).map(|x| x as u32);
            }
        }
        kept.push(q);
    }
    h.requests = kept;
    if let Some(last) = &prev {
        let yaml = manifest_yaml(last);
        if h.deleted.is_some() {
            h.last_manifest = Some(yaml.clone());
        }
        h.last_yaml = Some(yaml);
    }
    if !h.requests.is_empty() && !any_body {
        h.notes.push(METADATA_ONLY.into());
    } else if h.deleted.is_some() && h.last_manifest.is_none() {
        h.notes.push(
            "The object was deleted, but no body of it is in the log, so its last manifest is \
             not known."
                .into(),
        );
    }
    if patch_seen {
        h.notes.push(PATCH_TYPE_NOTE.into());
    }
    if unparsed > 0 {
        h.notes.push(format!(
            "{unparsed} of its events read back from their file are not valid JSON."
        ));
    }
    h
}

/// The delete's response when it is the object (not a `Status`).
fn resp_obj_of_delete(
    q: &Request,
    text_of: &std::collections::HashMap<u32, &str>,
    obj: &ObjectRef,
) -> Option<Value> {
    q.rows.iter().rev().find_map(|r| {
        let ev: Value = serde_json::from_str(text_of.get(r)?).ok()?;
        let v = ev.get("responseObject")?;
        is_object_of(v, obj).then(|| v.clone())
    })
}

fn push_version(
    h: &mut History,
    prev: &mut Option<Value>,
    q: &Request,
    i: u32,
    v: Value,
    source: &str,
) {
    if h.kind.is_empty() {
        if let Some(k) = v.get("kind").and_then(Value::as_str) {
            h.kind = k.to_string();
        }
    }
    if prev.as_ref() == Some(&v) {
        // The same object again (a get that saw no change): no new version.
        return;
    }
    if let Some(p) = prev.as_ref() {
        for d in diff::diff(p, &v) {
            let managers = if d.to.is_some() {
                diff::owners(&v, &d.segs)
            } else {
                Vec::new()
            };
            h.changes.push(Change {
                request: i,
                audit_id: q.audit_id.clone(),
                path: d.path(),
                kind: d.kind().into(),
                from: d.from.as_ref().map(Value::to_string),
                to: d.to.as_ref().map(Value::to_string),
                managers,
            });
        }
    }
    h.versions.push(Version {
        request: i,
        audit_id: q.audit_id.clone(),
        source: source.into(),
        resource_version: v
            .get("metadata")
            .and_then(|m| m.get("resourceVersion"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        time_us: q.time_us,
    });
    *prev = Some(v);
}

/// True when `v` is a manifest of `obj` (not a `Status`, `Scale` or options body).
fn is_object_of(v: &Value, obj: &ObjectRef) -> bool {
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
    if matches!(
        kind,
        "Status" | "Scale" | "DeleteOptions" | "Eviction" | "Binding" | "TokenRequest"
    ) || kind.ends_with("List")
    {
        return false;
    }
    let name = v
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str);
    v.is_object() && name.is_none_or(|n| n == obj.name)
}

/// The item of a list response that is `obj`.
fn list_item(list: &Value, obj: &ObjectRef) -> Option<Value> {
    list.get("items")?.as_array()?.iter().find_map(|it| {
        let m = it.get("metadata")?;
        let same = m.get("name")?.as_str()? == obj.name
            && obj
                .namespace
                .as_deref()
                .is_none_or(|ns| m.get("namespace").and_then(Value::as_str).unwrap_or("") == ns);
        if !same {
            return None;
        }
        // List items carry no apiVersion and kind: the list's (`PodList` → `Pod`).
        let mut it = it.clone();
        if let Some(m) = it.as_object_mut() {
            if !m.contains_key("apiVersion") {
                if let Some(v) = list.get("apiVersion") {
                    m.insert("apiVersion".into(), v.clone());
                }
            }
            if !m.contains_key("kind") {
                if let Some(k) = list
                    .get("kind")
                    .and_then(Value::as_str)
                    .and_then(|k| k.strip_suffix("List"))
                {
                    m.insert("kind".into(), Value::from(k));
                }
            }
        }
        Some(it)
    })
}

/// `v` as YAML, without `metadata.managedFields` (as `kubectl get -o yaml` shows it).
pub fn manifest_yaml(v: &Value) -> String {
    let mut v = v.clone();
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("managedFields");
    }
    serde_yaml::to_string(&v).unwrap_or_default()
}

/// The history as the CLI's stable JSON (`history --json`).
pub fn to_json(h: &History) -> Value {
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
            .unwrap_or(Value::Null)
    };
    let o = &h.object;
    serde_json::json!({
        "object": {
            "resource": o.resource,
            "group": o.group,
            "namespace": o.namespace,
            "name": o.name,
            "kind": h.kind,
        },
        "requests": h.requests.iter().map(|q| serde_json::json!({
            "auditID": q.audit_id,
            "stage": q.stage(),
            "stages": q.stages,
            "verb": q.verb,
            "subresource": q.subresource,
            "user": q.user,
            "impersonatedUser": if q.impersonated_user.is_empty() { Value::Null } else { Value::from(q.impersonated_user.clone()) },
            "code": q.code,
            "time": q.time(),
            "latencyMs": q.latency_us.map(|l| l as f64 / 1000.0),
            "level": q.level,
            "list": q.list,
            "version": q.version,
            "patch": q.patch,
            "note": q.note,
        })).collect::<Vec<_>>(),
        "changes": h.changes.iter().map(|c| serde_json::json!({
            "auditID": c.audit_id,
            "path": c.path,
            "kind": c.kind,
            "from": parse(&c.from),
            "to": parse(&c.to),
            "manager": c.manager(),
            "operation": c.operation(),
        })).collect::<Vec<_>>(),
        "versions": h.versions.iter().map(|v| serde_json::json!({
            "auditID": v.audit_id,
            "resourceVersion": v.resource_version,
            "source": v.source,
            "time": format_rfc3339_micros(v.time_us),
        })).collect::<Vec<_>>(),
        "deleted": h.deleted.as_ref().map(|d| serde_json::json!({
            "auditID": d.audit_id, "user": d.user, "time": format_rfc3339_micros(d.time_us),
        })),
        "lastManifest": h.last_manifest,
        "notes": h.notes,
    })
}
