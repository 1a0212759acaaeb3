//! The columnar, interned event store.
//!
//! One row per audit event. Each attribute is a column: timestamps as integer
//! microseconds, small enums as bytes, strings as ids into one [`Interner`] per column
//! (stored in the narrowest integer width, see [`SymCol`]). Sets (groups, source IPs)
//! are interned by their raw JSON text and decoded once per distinct set.
//! The raw event text is not kept: each row remembers its file and byte range instead.
//!
//! Invariants:
//! - every column has exactly `len()` entries;
//! - after [`Store::finalize`], rows are ordered by `requestReceivedTimestamp`, then stage,
//!   then load order (so several files merge into one time-ordered view);
//! - `files[i].events + files[i].rejected + files[i].skipped == files[i].records` for
//!   every file (`skipped`: events outside the time window chosen for loading, see
//!   [`Store::window`]; zero unless a window is set).

pub mod col;
mod fixed;
pub mod intern;
pub mod wire;

use crate::audit::{Level, RequestAttrs, Stage};
pub use crate::ingest::facts::{EventFacts, FactTable, Facts, FactsIn};
use crate::util::{format_uuid, parse_uuid};
pub use col::SymCol;
pub use intern::Interner;
use serde::{Deserialize, Serialize};

/// Row flag: the event has an `objectRef` (a resource request).
pub const F_RESOURCE: u8 = 1;
/// Row flag: `requestObject` present.
pub const F_REQ_OBJ: u8 = 2;
/// Row flag: `responseObject` present.
pub const F_RESP_OBJ: u8 = 4;
/// Row flag: the `auditID` is not a UUID; `audit_id` holds an id into `dict.audit_id`.
pub const F_AUDIT_SYM: u8 = 8;
/// Row flag: the event came inside a wrapper (EventList, cloud export record). Its record
/// (the wrapper) is [`Store::record_range`]; the event is the wrapper's
/// [`Store::wrap_item`]-th leaf as [`crate::ingest::record::walk_record`] visits them, and
/// [`Store::event_size`] is the bare event's length.
pub const F_WRAPPED: u8 = 16;
/// Row flag: the request path equals the one derived from `objectRef`, so it is not stored.
pub const F_PATH_DERIVED: u8 = 32;
/// Row flag: the event has no valid `stageTimestamp`, so its latency is unknown (shown
/// as "–", never as 0 µs).
pub const F_NO_STAGE_TS: u8 = 64;

/// How a file's content was recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    /// Nothing recognised yet (empty file).
    Unknown,
    /// One JSON object per line (kube-apiserver's `--audit-log-format=json`).
    JsonLines,
    /// Pretty-printed or concatenated JSON objects, or a JSON array of them.
    JsonDocuments,
}

/// What we know about one loaded file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FileInfo {
    pub name: String,
    /// Bytes as given (compressed size for gzip).
    pub bytes: u64,
    /// Bytes after decompression (equal to `bytes` when not compressed).
    pub decoded_bytes: u64,
    pub gzip: bool,
    pub format: Format,
    /// Lines or objects seen; `events + rejected + skipped == records`.
    pub records: u64,
    pub events: u64,
    pub rejected: u64,
    /// Valid events left out: outside the load's time window, or duplicates of events
    /// of a file loaded before (see [`Store::drop_cross_file_duplicates`]).
    #[serde(default)]
    pub skipped: u64,
    /// Of `skipped`: events that were already loaded from another file.
    #[serde(default)]
    pub duplicates: u64,
    /// Size and first 64 KiB, hashed ([`fingerprint`]): the same file dropped twice.
    #[serde(default)]
    pub fingerprint: Option<u64>,
    /// Wrappers seen (EventList, Azure records, CloudWatch), with counts, e.g. "Azure diagnostic records".
    pub wrappers: Vec<(String, u64)>,
    /// Of `skipped`: valid records that are not Kubernetes audit events, by kind, e.g.
    /// ("Google Cloud audit records of compute.googleapis.com", 3).
    #[serde(default)]
    pub skipped_kinds: Vec<(String, u64)>,
    /// A file-level finding in plain words ("this looks like a PDF, not an audit log").
    pub diagnosis: Option<String>,
}

/// What [`Store::drop_cross_file_duplicates`] did, in words (`None` when nothing).
pub fn duplicates_note(store: &Store, dropped: &[(u32, u32, u64)]) -> Option<String> {
    let name = |f: u32| store.files.get(f as usize).map_or("?", |x| x.name.as_str());
    let parts: Vec<String> = dropped
        .iter()
        .map(|&(f, of, n)| {
            format!(
                "{} event{} of {} {} already loaded from {}",
                crate::util::human_count(n),
                if n == 1 { "" } else { "s" },
                name(f),
                if n == 1 { "was" } else { "were" },
                name(of)
            )
        })
        .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "{} (same auditID, stage and time): kept once, counted as skipped.",
            parts.join("; ")
        )
    })
}

/// Bytes of a file's beginning that [`fingerprint`] hashes.
pub const FINGERPRINT_BYTES: usize = 64 << 10;

/// A file's identity for "loaded twice?": its size and its first [`FINGERPRINT_BYTES`]
/// bytes (as given, compressed for gzip), FNV-1a hashed. Names are not part of it: a copy
/// under another name is the same file.
pub fn fingerprint(size: u64, head: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in size
        .to_le_bytes()
        .iter()
        .chain(&head[..head.len().min(FINGERPRINT_BYTES)])
    {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// One input record that did not become an event.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Rejection {
    pub file: u32,
    /// 1-based line number where the record starts.
    pub line: u64,
    /// Byte offset of the record's start (in the decompressed stream for gzip).
    pub offset: u64,
    pub reason: String,
}

/// At most this many rejections are kept per file; all are counted.
pub const MAX_KEPT_REJECTIONS: u64 = 200;

/// One event as the ingest hands it to the store: borrowed strings, measured sizes.
/// `groups_json` / `source_ips_json` are the raw JSON array texts (or "").
#[derive(Clone, Debug, Default)]
pub struct EventIn<'a> {
    pub file: u32,
    pub offset: u64,
    pub len: u32,
    pub received: i64,
    pub stage_ts: i64,
    pub stage: Option<Stage>,
    pub level: Option<Level>,
    pub audit_id: &'a str,
    pub verb: &'a str,
    pub user: &'a str,
    pub groups_json: &'a str,
    pub impersonated_user: &'a str,
    pub source_ips_json: &'a str,
    pub user_agent: &'a str,
    pub resource_request: bool,
    pub api_group: &'a str,
    pub api_version: &'a str,
    pub resource: &'a str,
    pub subresource: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    pub request_uri: &'a str,
    pub code: u16,
    pub status_reason: &'a str,
    /// `responseStatus.message` (a denial's or an admission's words).
    pub message: &'a str,
    pub decision: &'a str,
    pub authz_reason: &'a str,
    pub req_size: u32,
    pub resp_size: u32,
    /// Bytes kube-apiserver's `omitManagedFields` would remove from `requestObject` /
    /// `responseObject` as they appear in the log (`ingest::scan::managed_fields`).
    pub req_mf: u32,
    pub resp_mf: u32,
    pub has_req_obj: bool,
    pub has_resp_obj: bool,
    pub wrapped: bool,
    /// The event has no valid `stageTimestamp` (`stage_ts` is then `received`).
    pub no_stage_ts: bool,
    /// For a wrapped event: the byte length of the whole wrapper record at `offset`.
    pub record_len: u32,
    /// For a wrapped event: its leaf index in the record (see [`F_WRAPPED`]).
    pub item: u32,
    /// Security-relevant facts found at ingest (`crate::ingest::facts`), for the few
    /// events that have any.
    pub facts: Option<FactsIn<'a>>,
}

/// Where a wrapped event sits: its wrapper record's length and its leaf index in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapPos {
    pub record_len: u32,
    pub item: u32,
}

/// A string-valued dimension of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Dim {
    Verb,
    User,
    ImpersonatedUser,
    UserAgent,
    ApiGroup,
    ApiVersion,
    Resource,
    Subresource,
    Namespace,
    Name,
    StatusReason,
    Decision,
    AuthzReason,
    Path,
    /// `responseStatus.message`.
    Message,
}

impl Dim {
    /// Every dimension, in declaration order.
    pub const ALL: [Dim; 15] = [
        Dim::Verb,
        Dim::User,
        Dim::ImpersonatedUser,
        Dim::UserAgent,
        Dim::ApiGroup,
        Dim::ApiVersion,
        Dim::Resource,
        Dim::Subresource,
        Dim::Namespace,
        Dim::Name,
        Dim::StatusReason,
        Dim::Decision,
        Dim::AuthzReason,
        Dim::Path,
        Dim::Message,
    ];
}

/// A set of strings interned by its raw JSON text.
#[derive(Clone, Debug, Default)]
pub struct SetDict {
    /// Raw JSON array text -> set id (id 0 = absent/empty).
    pub raw: Interner,
    /// Member names, shared by all sets.
    pub names: Interner,
    /// `members[set]`: ids into `names`.
    pub members: Vec<Vec<u32>>,
}

impl SetDict {
    fn lens(&self) -> (usize, usize) {
        (self.raw.len(), self.names.len())
    }

    fn truncate(&mut self, (raw, names): (usize, usize)) {
        self.raw.truncate(raw);
        self.names.truncate(names);
        self.members.truncate(raw.max(1));
    }

    fn new() -> Self {
        SetDict {
            raw: Interner::new(),
            names: Interner::new(),
            members: vec![Vec::new()],
        }
    }

    /// Interns a raw JSON array of strings; decodes members the first time a set is seen.
    /// Text that is not an array of strings becomes a set of its non-string-free members.
    fn intern(&mut self, raw_json: &str) -> u32 {
        let trimmed = raw_json.trim();
        if trimmed.is_empty() || trimmed == "null" || trimmed == "[]" {
            return 0;
        }
        let before = self.raw.len();
        let id = self.raw.intern(trimmed);
        if self.raw.len() > before {
            let list: Vec<String> = serde_json::from_str(trimmed).unwrap_or_default();
            let m = list.iter().map(|s| self.names.intern(s)).collect();
            self.members.push(m);
        }
        id
    }

    /// Member strings of set `id`.
    pub fn members_of(&self, id: u32) -> impl Iterator<Item = &str> + '_ {
        self.members[id as usize]
            .iter()
            .map(move |m| self.names.get(*m))
    }

    fn heap_bytes(&self) -> usize {
        self.raw.heap_bytes()
            + self.names.heap_bytes()
            + self.members.iter().map(|m| m.len() * 4 + 24).sum::<usize>()
    }
}

macro_rules! sym_columns {
    ($($field:ident => $dim:ident),* $(,)?) => {
        /// Per-column interned strings.
        #[derive(Clone, Debug)]
        pub struct Dicts {
            $(pub $field: Interner,)*
            pub groups: SetDict,
            pub source_ips: SetDict,
            /// Non-UUID audit IDs.
            pub audit_id: Interner,
            /// The strings of every row's [`EventFacts`] (images, paths, names, commands).
            pub facts: Interner,
        }
        impl Default for Dicts {
            fn default() -> Self {
                Dicts { $($field: Interner::new(),)* groups: SetDict::new(), source_ips: SetDict::new(), audit_id: Interner::new(), facts: Interner::new() }
            }
        }
        #[derive(Clone, Debug, Default)]
        struct SymCols { $($field: SymCol,)* groups: SymCol, source_ips: SymCol }
        impl SymCols {
            fn each_mut(&mut self, mut f: impl FnMut(&mut SymCol)) { $(f(&mut self.$field);)* f(&mut self.groups); f(&mut self.source_ips); }
            fn heap_bytes(&self) -> usize { 0 $(+ self.$field.heap_bytes())* + self.groups.heap_bytes() + self.source_ips.heap_bytes() }
            fn col(&self, d: Dim) -> &SymCol { match d { $(Dim::$dim => &self.$field,)* } }
            fn col_mut(&mut self, d: Dim) -> &mut SymCol { match d { $(Dim::$dim => &mut self.$field,)* } }
        }
        impl Dicts {
            /// The interner behind a dimension.
            pub fn of(&self, d: Dim) -> &Interner { match d { $(Dim::$dim => &self.$field,)* } }
            fn of_mut(&mut self, d: Dim) -> &mut Interner { match d { $(Dim::$dim => &mut self.$field,)* } }
            fn heap_bytes(&self) -> usize { 0 $(+ self.$field.heap_bytes())* + self.groups.heap_bytes() + self.source_ips.heap_bytes() + self.audit_id.heap_bytes() + self.facts.heap_bytes() }
        }
    };
}

sym_columns! {
    verb => Verb,
    user => User,
    impersonated_user => ImpersonatedUser,
    user_agent => UserAgent,
    api_group => ApiGroup,
    api_version => ApiVersion,
    resource => Resource,
    subresource => Subresource,
    namespace => Namespace,
    name => Name,
    status_reason => StatusReason,
    decision => Decision,
    authz_reason => AuthzReason,
    path => Path,
    message => Message,
}

/// Memory use of the store, in bytes actually used (not spare capacity).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct MemoryUse {
    pub events: u64,
    pub column_bytes: u64,
    pub dictionary_bytes: u64,
}

impl MemoryUse {
    pub fn per_event_columns(&self) -> f64 {
        self.column_bytes as f64 / self.events.max(1) as f64
    }
    pub fn per_event_total(&self) -> f64 {
        (self.column_bytes + self.dictionary_bytes) as f64 / self.events.max(1) as f64
    }
}

/// What [`Store::rollback`] returns to: the store's extent when [`Store::mark`] was called.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    rows: usize,
    files: usize,
    rejections: usize,
    wraps: usize,
    mf_big: usize,
    facts: usize,
    fact_strs: usize,
    sorted: bool,
    dims: Vec<usize>,
    audit_id: usize,
    groups: (usize, usize),
    source_ips: (usize, usize),
}

impl Mark {
    /// Files in the store when the mark was taken.
    pub fn files(&self) -> usize {
        self.files
    }
}

/// Stage byte for "no stage".
pub const NO_STAGE: u8 = 255;
/// Level byte for "no level".
pub const NO_LEVEL: u8 = 255;

/// The event store. See the module docs for invariants.
#[derive(Clone, Debug, Default)]
pub struct Store {
    pub files: Vec<FileInfo>,
    pub rejections: Vec<Rejection>,
    pub dict: Dicts,
    /// The fixed-width columns (`fixed.rs`: declared once).
    c: fixed::Fixed,
    file: SymCol,
    /// 0 for a bare event, else `1 +` an index into `wraps`.
    wrap: SymCol,
    /// One entry per wrapped row (in push order; never permuted, `wrap` points here).
    wraps: Vec<WrapPos>,
    /// (request, response) managedFields bytes of the rows whose packed `mf` column
    /// value does not hold them (bit 31 set; in push order, never permuted).
    mf_big: Vec<(u32, u32)>,
    /// 0 for a row without facts, else an entry id of `facts_tab` (like `wrap`).
    facts: SymCol,
    /// The distinct facts of the rows (each once; never permuted, `facts` points here).
    facts_tab: FactTable,
    syms: SymCols,
    sorted: bool,
    scratch: String,
    /// When set, [`Store::push`] keeps only events with `requestReceivedTimestamp` in
    /// `[from, to)` (µs); the others are counted in their file's `skipped`.
    pub window: Option<(i64, i64)>,
}

impl Store {
    pub fn new() -> Self {
        Store {
            sorted: true,
            ..Default::default()
        }
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.c.received.len()
    }

    pub fn is_empty(&self) -> bool {
        self.c.received.is_empty()
    }

    /// Registers a new input file and returns its index.
    pub fn add_file(&mut self, name: &str, bytes: u64) -> u32 {
        self.files.push(FileInfo {
            name: name.to_string(),
            bytes,
            decoded_bytes: 0,
            gzip: false,
            format: Format::Unknown,
            records: 0,
            events: 0,
            rejected: 0,
            skipped: 0,
            duplicates: 0,
            fingerprint: None,
            wrappers: Vec::new(),
            skipped_kinds: Vec::new(),
            diagnosis: None,
        });
        (self.files.len() - 1) as u32
    }

    /// Counts a record that is valid but no Kubernetes audit event (a Google Cloud audit
    /// entry of another service) as skipped, under `kind`.
    pub fn skip_record(&mut self, file: u32, kind: &str) {
        let f = &mut self.files[file as usize];
        f.records += 1;
        f.skipped += 1;
        match f.skipped_kinds.iter_mut().find(|(k, _)| k == kind) {
            Some((_, n)) => *n += 1,
            None => f.skipped_kinds.push((kind.to_string(), 1)),
        }
    }

    /// Records a rejected input record (counted always, kept up to [`MAX_KEPT_REJECTIONS`] per file).
    pub fn reject(&mut self, file: u32, line: u64, offset: u64, reason: impl Into<String>) {
        let f = &mut self.files[file as usize];
        f.records += 1;
        f.rejected += 1;
        if f.rejected <= MAX_KEPT_REJECTIONS {
            self.rejections.push(Rejection {
                file,
                line,
                offset,
                reason: reason.into(),
            });
        }
    }

    /// Appends one event. Rows pushed after [`finalize`](Self::finalize) make the store
    /// unsorted until the next `finalize`.
    pub fn push(&mut self, e: &EventIn) {
        if let Some((from, to)) = self.window {
            if e.received < from || e.received >= to {
                let f = &mut self.files[e.file as usize];
                f.records += 1;
                f.skipped += 1;
                return;
            }
        }
        if let Some(last) = self.c.received.last() {
            if *last > e.received {
                self.sorted = false;
            }
        }
        let f = &mut self.files[e.file as usize];
        f.records += 1;
        f.events += 1;
        self.c.received.push(e.received);
        let lat = (e.stage_ts - e.received).clamp(0, u32::MAX as i64) as u32;
        self.c.latency.push(lat);
        self.c.stage.push(e.stage.map_or(NO_STAGE, |s| s as u8));
        self.c.level.push(e.level.map_or(NO_LEVEL, |l| l as u8));
        self.c.code.push(e.code);
        self.file.push(e.file);
        self.c.offset.push(e.offset);
        self.c.len.push(e.len);
        self.c.req_size.push(e.req_size);
        self.c.resp_size.push(e.resp_size);
        let mf = pack_mf(e.req_mf, e.resp_mf).unwrap_or_else(|| {
            self.mf_big.push((e.req_mf, e.resp_mf));
            MF_BIG | (self.mf_big.len() - 1) as u32
        });
        self.c.mf.push(mf);
        let mut flags = 0u8;
        if e.resource_request {
            flags |= F_RESOURCE;
        }
        if e.has_req_obj {
            flags |= F_REQ_OBJ;
        }
        if e.has_resp_obj {
            flags |= F_RESP_OBJ;
        }
        if e.no_stage_ts {
            flags |= F_NO_STAGE_TS;
        }
        if e.wrapped {
            flags |= F_WRAPPED;
            self.wraps.push(WrapPos {
                record_len: e.record_len,
                item: e.item,
            });
            self.wrap.push(self.wraps.len() as u32);
        } else {
            self.wrap.push(0);
        }
        match &e.facts {
            Some(f) => {
                let ef = EventFacts::pack(f, |x| self.dict.facts.intern(x));
                let id = self.facts_tab.intern(ef);
                self.facts.push(id);
            }
            None => self.facts.push(0),
        }
        match parse_uuid(e.audit_id) {
            Some(u) => self.c.audit_id.push(u),
            None => {
                flags |= F_AUDIT_SYM;
                self.c
                    .audit_id
                    .push(self.dict.audit_id.intern(e.audit_id) as u128);
            }
        }
        let path = e
            .request_uri
            .split_once('?')
            .map_or(e.request_uri, |(p, _)| p);
        let path_id = if e.resource_request && {
            derive_path(
                &mut self.scratch,
                e.api_group,
                e.api_version,
                e.namespace,
                e.resource,
                e.name,
                e.subresource,
            );
            self.scratch == path
        } {
            flags |= F_PATH_DERIVED;
            0
        } else {
            self.dict.path.intern(path)
        };
        self.c.flags.push(flags);
        let (d, s) = (&mut self.dict, &mut self.syms);
        s.path.push(path_id);
        s.verb.push(d.verb.intern(e.verb));
        s.user.push(d.user.intern(e.user));
        s.impersonated_user
            .push(d.impersonated_user.intern(e.impersonated_user));
        s.user_agent.push(d.user_agent.intern(e.user_agent));
        s.api_group.push(d.api_group.intern(e.api_group));
        s.api_version.push(d.api_version.intern(e.api_version));
        s.resource.push(d.resource.intern(e.resource));
        s.subresource.push(d.subresource.intern(e.subresource));
        s.namespace.push(d.namespace.intern(e.namespace));
        s.name.push(d.name.intern(e.name));
        s.status_reason
            .push(d.status_reason.intern(e.status_reason));
        s.decision.push(d.decision.intern(e.decision));
        s.authz_reason.push(d.authz_reason.intern(e.authz_reason));
        s.message.push(d.message.intern(e.message));
        s.groups.push(d.groups.intern(e.groups_json));
        s.source_ips.push(d.source_ips.intern(e.source_ips_json));
    }

    /// Orders rows by time (received timestamp, then stage, then load order). Cheap when
    /// already ordered.
    pub fn finalize(&mut self) {
        if self.sorted {
            return;
        }
        let mut perm: Vec<u32> = (0..self.len() as u32).collect();
        perm.sort_by_key(|&i| (self.c.received[i as usize], self.c.stage[i as usize]));
        self.reorder_rows(&perm);
        self.sorted = true;
    }

    /// Moves every row of `part` (a store that read one piece of a file, see
    /// `Ingester::continuation`) into this store as rows of file `file`, adding its
    /// counts, rejections and wrappers to that file. Strings are re-interned here.
    /// `line_offset` is added to the part's rejection line numbers (a part may count its
    /// lines from 1).
    pub fn absorb(&mut self, part: &Store, file: u32, line_offset: u64) {
        let pf = &part.files[0];
        {
            let f = &mut self.files[file as usize];
            f.records += pf.records - pf.events;
            f.rejected += pf.rejected;
            f.decoded_bytes = f.decoded_bytes.max(pf.decoded_bytes);
            for (k, n) in &pf.wrappers {
                match f.wrappers.iter_mut().find(|(x, _)| x == k) {
                    Some((_, m)) => *m += n,
                    None => f.wrappers.push((k.clone(), *n)),
                }
            }
            for (k, n) in &pf.skipped_kinds {
                match f.skipped_kinds.iter_mut().find(|(x, _)| x == k) {
                    Some((_, m)) => *m += n,
                    None => f.skipped_kinds.push((k.clone(), *n)),
                }
            }
            if f.diagnosis.is_none()
                && pf
                    .diagnosis
                    .as_deref()
                    .is_some_and(|d| !d.starts_with("no audit events") && !d.contains("empty"))
            {
                f.diagnosis = pf.diagnosis.clone();
            }
        }
        let kept = self.rejections.iter().filter(|r| r.file == file).count() as u64;
        for r in part
            .rejections
            .iter()
            .take(MAX_KEPT_REJECTIONS.saturating_sub(kept) as usize)
        {
            self.rejections.push(Rejection {
                file,
                line: r.line + line_offset,
                ..r.clone()
            });
        }
        self.files[file as usize].records += pf.events;
        self.files[file as usize].events += pf.events;
        // Rows outside a window were never pushed into the part: only its counter moves.
        self.files[file as usize].skipped += pf.skipped;
        let n = part.len();
        if n == 0 {
            return;
        }
        // Time order holds when both are ordered and the part starts no earlier.
        if !part.sorted
            || self
                .c
                .received
                .last()
                .is_some_and(|&l| l > part.c.received[0])
        {
            self.sorted = false;
        }
        let row0 = self.len();
        // Every column, audit IDs as the part has them (remapped below).
        self.c.extend_from(&part.c);
        for _ in 0..n {
            self.file.push(file);
        }
        let big = self.mf_big.len() as u32;
        self.mf_big.extend_from_slice(&part.mf_big);
        for v in &mut self.c.mf[row0..] {
            if *v & MF_BIG != 0 {
                *v += big;
            }
        }
        let base = self.wraps.len() as u32;
        self.wraps.extend_from_slice(&part.wraps);
        for r in 0..n {
            let w = part.wrap.get(r);
            self.wrap.push(if w == 0 { 0 } else { w + base });
        }
        let fact_map: Vec<u32> = (0..part.dict.facts.len() as u32)
            .map(|i| self.dict.facts.intern(part.dict.facts.get(i)))
            .collect();
        let entry_map: Vec<u32> = std::iter::once(0)
            .chain(part.facts_tab.entries().iter().map(|f| {
                let mut f = f.clone();
                f.remap(|id| fact_map[id as usize]);
                self.facts_tab.intern(f)
            }))
            .collect();
        copy_mapped(&mut self.facts, &part.facts, &entry_map);
        // Strings: each distinct string of the part is interned here once, then rows
        // are copied through the id maps.
        let remap = |to: &mut Interner, from: &Interner| -> Vec<u32> {
            (0..from.len() as u32)
                .map(|i| to.intern(from.get(i)))
                .collect()
        };
        let audit_map = remap(&mut self.dict.audit_id, &part.dict.audit_id);
        for r in 0..n {
            if part.c.flags[r] & F_AUDIT_SYM != 0 {
                self.c.audit_id[row0 + r] = audit_map[part.c.audit_id[r] as usize] as u128;
            }
        }
        for d in Dim::ALL {
            let map = remap(self.dict.of_mut(d), part.dict.of(d));
            copy_mapped(self.syms.col_mut(d), part.syms.col(d), &map);
        }
        for (to, from, to_col, from_col) in [
            (
                &mut self.dict.groups,
                &part.dict.groups,
                &mut self.syms.groups,
                &part.syms.groups,
            ),
            (
                &mut self.dict.source_ips,
                &part.dict.source_ips,
                &mut self.syms.source_ips,
                &part.syms.source_ips,
            ),
        ] {
            let map: Vec<u32> = (0..from.raw.len() as u32)
                .map(|i| to.intern(from.raw.get(i)))
                .collect();
            copy_mapped(to_col, from_col, &map);
        }
    }

    /// The loaded file with this [`fingerprint`], if any.
    pub fn same_file(&self, fingerprint: u64) -> Option<&FileInfo> {
        self.files
            .iter()
            .find(|f| f.fingerprint == Some(fingerprint))
    }

    /// Drops events that another, earlier-loaded file already holds: same audit ID, stage
    /// and `requestReceivedTimestamp` (overlapping rotated files, the same log saved
    /// twice). Events repeated within one file are kept (an aggregated API server may log
    /// a request under the same audit ID). The dropped events count as `skipped` and
    /// `duplicates` of their file, so events + rejected + skipped == records still holds.
    /// Returns, per file that lost events, `(file, first file holding them, count)`.
    /// Needs a finalized store; O(rows) (duplicates are adjacent in time order).
    pub fn drop_cross_file_duplicates(&mut self) -> Vec<(u32, u32, u64)> {
        if self.files.len() < 2 || !self.sorted {
            return Vec::new();
        }
        let n = self.len();
        let mut keep: Vec<u32> = Vec::with_capacity(n);
        let mut dropped: Vec<(u32, u32, u64)> = Vec::new();
        let mut run = 0usize; // first row of the current (received, stage) run
        for r in 0..n {
            if r > 0
                && (self.c.received[r], self.c.stage[r])
                    != (self.c.received[run], self.c.stage[run])
            {
                run = r;
            }
            let (f, key) = (self.file.get(r), self.audit_key(r));
            // Rows kept so far in this run (a run is a handful of rows at most).
            let first = keep[keep.partition_point(|&k| (k as usize) < run)..]
                .iter()
                .map(|&k| k as usize)
                .find(|&k| self.audit_key(k) == key && self.file.get(k) != f);
            match first {
                Some(k) => {
                    let of = self.file.get(k);
                    match dropped.iter_mut().find(|d| d.0 == f && d.1 == of) {
                        Some(d) => d.2 += 1,
                        None => dropped.push((f, of, 1)),
                    }
                }
                None => keep.push(r as u32),
            }
        }
        if dropped.is_empty() {
            return dropped;
        }
        for &(f, _, k) in &dropped {
            let fi = &mut self.files[f as usize];
            fi.events -= k;
            fi.skipped += k;
            fi.duplicates += k;
        }
        self.reorder_rows(&keep);
        dropped
    }

    /// New row `i` is old row `rows[i]` in every column (a permutation, or the subset kept).
    fn reorder_rows(&mut self, rows: &[u32]) {
        self.c.permute(rows);
        self.file.permute(rows);
        self.wrap.permute(rows);
        self.facts.permute(rows);
        self.syms.each_mut(|c| c.permute(rows));
    }

    /// The store's extent now, to [`rollback`](Self::rollback) to (a load that is
    /// cancelled or fails mid-file). Rows pushed after a mark are appended, so a rollback
    /// is a truncation: nothing is read again.
    pub fn mark(&self) -> Mark {
        Mark {
            rows: self.len(),
            files: self.files.len(),
            rejections: self.rejections.len(),
            wraps: self.wraps.len(),
            mf_big: self.mf_big.len(),
            facts: self.facts_tab.len(),
            fact_strs: self.dict.facts.len(),
            sorted: self.sorted,
            dims: Dim::ALL.iter().map(|&d| self.dict.of(d).len()).collect(),
            audit_id: self.dict.audit_id.len(),
            groups: self.dict.groups.lens(),
            source_ips: self.dict.source_ips.lens(),
        }
    }

    /// Returns the store to `m`: rows, files (and their counters), rejections and
    /// dictionary entries added since are dropped; what was there is untouched. Only valid
    /// when [`finalize`](Self::finalize) was not called since `m` (the engine finalizes
    /// once a load ends); a mark from a larger store is ignored.
    pub fn rollback(&mut self, m: &Mark) {
        if m.rows > self.len() || m.files > self.files.len() {
            return;
        }
        let n = m.rows;
        self.c.truncate(n);
        self.file.truncate(n);
        self.wrap.truncate(n);
        self.wraps.truncate(m.wraps);
        self.mf_big.truncate(m.mf_big);
        self.facts.truncate(n);
        self.facts_tab.truncate(m.facts);
        self.dict.facts.truncate(m.fact_strs);
        self.syms.each_mut(|c| c.truncate(n));
        self.files.truncate(m.files);
        self.rejections.truncate(m.rejections);
        for (d, &len) in Dim::ALL.iter().zip(&m.dims) {
            self.dict.of_mut(*d).truncate(len);
        }
        self.dict.audit_id.truncate(m.audit_id);
        self.dict.groups.truncate(m.groups);
        self.dict.source_ips.truncate(m.source_ips);
        self.sorted = m.sorted;
    }

    /// Drops every row, file counter and rejection but keeps the files and dictionaries
    /// (for tools that evaluate one record at a time).
    pub fn clear_rows(&mut self) {
        self.c.clear();
        self.file = SymCol::default();
        self.wrap = SymCol::default();
        self.wraps.clear();
        self.mf_big.clear();
        self.facts = SymCol::default();
        self.facts_tab.clear();
        self.syms = SymCols::default();
        self.rejections.clear();
        for f in &mut self.files {
            f.records = 0;
            f.events = 0;
            f.rejected = 0;
        }
        self.sorted = true;
    }

    /// Releases spare capacity (call once loading is done).
    pub fn shrink_to_fit(&mut self) {
        self.c.shrink_to_fit();
        self.file.shrink_to_fit();
        self.wrap.shrink_to_fit();
        self.wraps.shrink_to_fit();
        self.mf_big.shrink_to_fit();
        self.facts.shrink_to_fit();
        self.facts_tab.shrink_to_fit();
        self.syms.each_mut(|c| c.shrink_to_fit());
    }

    /// Bytes used by columns and dictionaries.
    pub fn memory_use(&self) -> MemoryUse {
        let n = self.len();
        let fixed = n * fixed::Fixed::ROW_BYTES;
        MemoryUse {
            events: n as u64,
            column_bytes: (fixed
                + self.file.heap_bytes()
                + self.wrap.heap_bytes()
                + self.wraps.len() * std::mem::size_of::<WrapPos>()
                + self.mf_big.len() * 8
                + self.facts.heap_bytes()
                + self.facts_tab.heap_bytes()
                + self.syms.heap_bytes()) as u64,
            dictionary_bytes: self.dict.heap_bytes() as u64,
        }
    }

    /// True when rows are in time order (see [`finalize`](Self::finalize)).
    pub fn is_sorted(&self) -> bool {
        self.sorted
    }

    /// Total events, rejected records and records over all files.
    pub fn totals(&self) -> (u64, u64, u64) {
        self.files.iter().fold((0, 0, 0), |(e, r, t), f| {
            (e + f.events, r + f.rejected, t + f.records)
        })
    }

    // ---- row accessors -------------------------------------------------------------

    /// `requestReceivedTimestamp` in µs since the epoch.
    #[inline]
    pub fn received(&self, row: usize) -> i64 {
        self.c.received[row]
    }
    /// All received timestamps (time-ordered after `finalize`).
    pub fn received_col(&self) -> &[i64] {
        &self.c.received
    }
    /// `stageTimestamp - requestReceivedTimestamp` in µs, saturating at `u32::MAX` (≈ 71 min);
    /// 0 when the event has no stage timestamp (see [`Store::latency_known`]).
    #[inline]
    pub fn latency(&self, row: usize) -> u32 {
        self.c.latency[row]
    }
    /// The latency of `row`, or `None` when the event carries no `stageTimestamp`.
    #[inline]
    pub fn latency_known(&self, row: usize) -> Option<u32> {
        (self.c.flags[row] & F_NO_STAGE_TS == 0).then(|| self.c.latency[row])
    }
    #[inline]
    pub fn stage(&self, row: usize) -> Option<Stage> {
        Stage::ALL.get(self.c.stage[row] as usize).copied()
    }
    #[inline]
    pub fn stage_byte(&self, row: usize) -> u8 {
        self.c.stage[row]
    }
    #[inline]
    pub fn level(&self, row: usize) -> Option<Level> {
        Level::ALL.get(self.c.level[row] as usize).copied()
    }
    #[inline]
    pub fn level_byte(&self, row: usize) -> u8 {
        self.c.level[row]
    }
    #[inline]
    pub fn flags(&self, row: usize) -> u8 {
        self.c.flags[row]
    }
    #[inline]
    pub fn is_resource_request(&self, row: usize) -> bool {
        self.c.flags[row] & F_RESOURCE != 0
    }
    /// HTTP response code, 0 when absent.
    #[inline]
    pub fn code(&self, row: usize) -> u16 {
        self.c.code[row]
    }
    /// Index into `files`.
    #[inline]
    pub fn file(&self, row: usize) -> u32 {
        self.file.get(row)
    }
    /// Byte offset of the event's record in its (decompressed) file.
    #[inline]
    pub fn offset(&self, row: usize) -> u64 {
        self.c.offset[row]
    }
    /// Byte length of the event (its size in the log, without newline; for a wrapped
    /// event the bare event's length, not its wrapper's).
    #[inline]
    pub fn event_size(&self, row: usize) -> u32 {
        self.c.len[row]
    }
    /// `(offset, length)` of the record holding the event: the line or JSON document for
    /// a bare event, the whole wrapper for a wrapped one (in the decompressed stream).
    #[inline]
    pub fn record_range(&self, row: usize) -> (u64, u32) {
        match self.wrap.get(row) {
            0 => (self.c.offset[row], self.c.len[row]),
            w => (self.c.offset[row], self.wraps[w as usize - 1].record_len),
        }
    }
    /// For a wrapped event, its leaf index in its record (see [`F_WRAPPED`]).
    #[inline]
    pub fn wrap_item(&self, row: usize) -> Option<u32> {
        match self.wrap.get(row) {
            0 => None,
            w => Some(self.wraps[w as usize - 1].item),
        }
    }
    /// The security-relevant facts of `row` found at ingest, or `None` (most rows); see
    /// [`crate::ingest::facts`] for what is read and the `FACT_*` bits.
    #[inline]
    pub fn facts(&self, row: usize) -> Option<Facts<'_>> {
        let raw = self.facts_raw(row)?;
        Some(Facts {
            bits: raw.bits,
            parts: raw.parts()?,
            strs: &self.dict.facts,
        })
    }
    /// The stored form of [`Store::facts`] (ids into `dict.facts`).
    #[inline]
    pub fn facts_raw(&self, row: usize) -> Option<&EventFacts> {
        self.facts_tab.get(self.facts.get(row))
    }
    /// The fact bits of `row` (0 when it has none): the fast test for a filter.
    #[inline]
    pub fn fact_bits(&self, row: usize) -> u32 {
        self.facts_raw(row).map_or(0, |f| f.bits)
    }
    #[inline]
    pub fn request_object_size(&self, row: usize) -> u32 {
        self.c.req_size[row]
    }
    #[inline]
    pub fn response_object_size(&self, row: usize) -> u32 {
        self.c.resp_size[row]
    }
    /// `(request, response)`: the bytes kube-apiserver's `omitManagedFields` would remove
    /// from this event's `requestObject` and `responseObject` as the log holds them — each
    /// `metadata.managedFields` member (of the object, of a list's items, of a `Table`'s
    /// rows) with one separating comma; `(0, 0)` without bodies or managedFields, and a
    /// patch's request body is never stripped (see `ingest::scan::managed_fields`).
    /// Always at most the body's size.
    #[inline]
    pub fn managed_fields_size(&self, row: usize) -> (u32, u32) {
        let v = self.c.mf[row];
        if v & MF_BIG == 0 {
            (v & MF_REQ_MAX, v >> 15)
        } else {
            self.mf_big
                .get((v & !MF_BIG) as usize)
                .copied()
                .unwrap_or_default()
        }
    }
    /// The interned id of a dimension's value for `row`.
    #[inline]
    pub fn sym(&self, d: Dim, row: usize) -> u32 {
        self.syms.col(d).get(row)
    }
    /// The string value of a dimension for `row` (`""` when absent). For [`Dim::Path`] of a
    /// resource request whose path was derived, use [`Store::path`].
    #[inline]
    pub fn str(&self, d: Dim, row: usize) -> &str {
        self.dict.of(d).get(self.syms.col(d).get(row))
    }
    /// Group set id of `row` (0 = none); members via `dict.groups.members_of`.
    #[inline]
    pub fn groups_id(&self, row: usize) -> u32 {
        self.syms.groups.get(row)
    }
    /// Source IP set id of `row` (0 = none).
    #[inline]
    pub fn source_ips_id(&self, row: usize) -> u32 {
        self.syms.source_ips.get(row)
    }
    /// The first source IP (the client), or "".
    pub fn first_source_ip(&self, row: usize) -> &str {
        self.dict
            .source_ips
            .members_of(self.source_ips_id(row))
            .next()
            .unwrap_or("")
    }
    /// The audit ID as text.
    pub fn audit_id(&self, row: usize) -> String {
        if self.c.flags[row] & F_AUDIT_SYM != 0 {
            self.dict
                .audit_id
                .get(self.c.audit_id[row] as u32)
                .to_string()
        } else {
            format_uuid(self.c.audit_id[row])
        }
    }
    /// The audit ID as a comparable key (UUIDs as their value; others tagged by their id).
    #[inline]
    pub fn audit_key(&self, row: usize) -> (bool, u128) {
        (self.c.flags[row] & F_AUDIT_SYM != 0, self.c.audit_id[row])
    }
    /// The request path without query.
    pub fn path(&self, row: usize) -> String {
        if self.c.flags[row] & F_PATH_DERIVED != 0 {
            let mut s = String::new();
            derive_path(
                &mut s,
                self.str(Dim::ApiGroup, row),
                self.str(Dim::ApiVersion, row),
                self.str(Dim::Namespace, row),
                self.str(Dim::Resource, row),
                self.str(Dim::Name, row),
                self.str(Dim::Subresource, row),
            );
            s
        } else {
            self.str(Dim::Path, row).to_string()
        }
    }

    /// Calls `f` with the policy-relevant attributes of `row`.
    pub fn with_attrs<R>(&self, row: usize, f: impl FnOnce(&RequestAttrs) -> R) -> R {
        let groups: Vec<&str> = self.dict.groups.members_of(self.groups_id(row)).collect();
        let path = self.path(row);
        let a = RequestAttrs {
            user: self.str(Dim::User, row),
            groups: &groups,
            verb: self.str(Dim::Verb, row),
            resource_request: self.is_resource_request(row),
            api_group: self.str(Dim::ApiGroup, row),
            resource: self.str(Dim::Resource, row),
            subresource: self.str(Dim::Subresource, row),
            namespace: self.str(Dim::Namespace, row),
            name: self.str(Dim::Name, row),
            path: &path,
        };
        f(&a)
    }

    /// Rows grouped by audit ID: returns every row with the same audit ID as `row`
    /// (itself included), in stage order. O(n); use [`AuditIndex`] for many lookups.
    pub fn same_request(&self, row: usize) -> Vec<usize> {
        let k = self.audit_key(row);
        let mut v: Vec<usize> = (0..self.len())
            .filter(|&r| self.audit_key(r) == k)
            .collect();
        v.sort_by_key(|&r| (self.c.stage[r], self.c.received[r]));
        v
    }
}

/// Sorted index of rows by audit ID, for grouping a request's stages.
pub struct AuditIndex {
    rows: Vec<u32>,
}

impl AuditIndex {
    pub fn build(s: &Store) -> Self {
        let mut rows: Vec<u32> = (0..s.len() as u32).collect();
        rows.sort_by_key(|&r| (s.audit_key(r as usize), s.c.stage[r as usize]));
        AuditIndex { rows }
    }

    /// Rows sharing `row`'s audit ID, in stage order.
    pub fn group(&self, s: &Store, row: usize) -> Vec<usize> {
        let k = s.audit_key(row);
        let lo = self.rows.partition_point(|&r| s.audit_key(r as usize) < k);
        self.rows[lo..]
            .iter()
            .take_while(|&&r| s.audit_key(r as usize) == k)
            .map(|&r| r as usize)
            .collect()
    }

    /// Number of distinct audit IDs (requests).
    pub fn requests(&self, s: &Store) -> usize {
        let mut n = 0;
        let mut prev = None;
        for &r in &self.rows {
            let k = s.audit_key(r as usize);
            if prev != Some(k) {
                n += 1;
                prev = Some(k);
            }
        }
        n
    }
}

/// The `mf` column's overflow bit (see `fixed.rs`).
const MF_BIG: u32 = 1 << 31;
/// Request managedFields bytes packed in `mf`: 15 bits.
const MF_REQ_MAX: u32 = (1 << 15) - 1;

/// `(request, response)` packed into one `mf` value, when they fit (request < 2^15,
/// response < 2^16).
#[inline]
fn pack_mf(req: u32, resp: u32) -> Option<u32> {
    (req <= MF_REQ_MAX && resp < 1 << 16).then_some(req | resp << 15)
}

/// Appends `from`'s ids to `to`, each translated through `map`.
fn copy_mapped(to: &mut SymCol, from: &SymCol, map: &[u32]) {
    for i in 0..from.len() {
        to.push(map[from.get(i) as usize]);
    }
}

/// Builds the request path kube-apiserver would have for an `objectRef`
/// (`/api/v1/namespaces/ns/pods/name/exec`, `/apis/apps/v1/deployments`).
pub fn derive_path(
    out: &mut String,
    group: &str,
    version: &str,
    ns: &str,
    resource: &str,
    name: &str,
    sub: &str,
) {
    out.clear();
    if group.is_empty() {
        out.push_str("/api/");
    } else {
        out.push_str("/apis/");
        out.push_str(group);
        out.push('/');
    }
    out.push_str(version);
    if !ns.is_empty() && resource != "namespaces" {
        out.push_str("/namespaces/");
        out.push_str(ns);
    }
    out.push('/');
    out.push_str(resource);
    if !name.is_empty() {
        out.push('/');
        out.push_str(name);
    }
    if !sub.is_empty() {
        out.push('/');
        out.push_str(sub);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derive_path_table() {
        let mut s = String::new();
        let cases = [
            (
                ("", "v1", "kube-system", "pods", "p1", "exec"),
                "/api/v1/namespaces/kube-system/pods/p1/exec",
            ),
            (
                ("apps", "v1", "", "deployments", "", ""),
                "/apis/apps/v1/deployments",
            ),
            (
                ("", "v1", "", "nodes", "n1", "status"),
                "/api/v1/nodes/n1/status",
            ),
            (
                ("", "v1", "foo", "namespaces", "foo", ""),
                "/api/v1/namespaces/foo",
            ),
            (
                (
                    "coordination.k8s.io",
                    "v1",
                    "kube-system",
                    "leases",
                    "x",
                    "",
                ),
                "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/x",
            ),
        ];
        for ((g, v, ns, r, n, sub), want) in cases {
            derive_path(&mut s, g, v, ns, r, n, sub);
            assert_eq!(s, want);
        }
    }

    fn ev<'a>(file: u32, t: i64, id: &'a str, stage: Stage) -> EventIn<'a> {
        EventIn {
            file,
            received: t,
            stage_ts: t + 5,
            stage: Some(stage),
            level: Some(Level::Metadata),
            audit_id: id,
            verb: "get",
            user: "alice",
            groups_json: r#"["system:authenticated","dev"]"#,
            resource_request: true,
            api_version: "v1",
            resource: "pods",
            namespace: "default",
            name: "p",
            request_uri: "/api/v1/namespaces/default/pods/p?x=1",
            ..Default::default()
        }
    }

    #[test]
    fn push_finalize_sorts_and_accessors_round_trip() {
        let mut s = Store::new();
        let f = s.add_file("a.log", 10);
        let id1 = "f9e91b43-77c3-4622-9d2a-13838f0f4984";
        s.push(&ev(f, 300, id1, Stage::ResponseComplete));
        s.push(&ev(f, 100, "abcde12345", Stage::ResponseComplete));
        s.push(&ev(f, 300, id1, Stage::RequestReceived));
        assert!(!s.is_sorted());
        s.finalize();
        assert_eq!(s.received_col(), &[100, 300, 300]);
        assert_eq!(s.stage(1), Some(Stage::RequestReceived));
        assert_eq!(s.audit_id(0), "abcde12345");
        assert_eq!(s.audit_id(2), id1);
        assert_eq!(s.path(0), "/api/v1/namespaces/default/pods/p");
        assert_ne!(s.flags(0) & F_PATH_DERIVED, 0);
        assert_eq!(s.latency(0), 5);
        let g: Vec<&str> = s.dict.groups.members_of(s.groups_id(0)).collect();
        assert_eq!(g, ["system:authenticated", "dev"]);
        assert_eq!(s.same_request(1), vec![1, 2]);
        let idx = AuditIndex::build(&s);
        assert_eq!(idx.group(&s, 2), vec![1, 2]);
        assert_eq!(idx.requests(&s), 2);
        assert_eq!(s.totals(), (3, 0, 3));
        s.with_attrs(1, |a| {
            assert_eq!(a.user, "alice");
            assert_eq!(a.groups, ["system:authenticated", "dev"]);
            assert!(a.resource_request);
            assert_eq!(a.path, "/api/v1/namespaces/default/pods/p");
        });
    }

    #[test]
    fn non_derivable_path_is_interned() {
        let mut s = Store::new();
        let f = s.add_file("a", 0);
        let mut e = ev(f, 1, "x", Stage::ResponseComplete);
        e.request_uri = "/api/v1/namespaces/default/pods?watch=true";
        e.name = "";
        s.push(&e);
        assert_ne!(s.flags(0) & F_PATH_DERIVED, 0);
        let mut e2 = ev(f, 2, "y", Stage::ResponseComplete);
        e2.resource_request = false;
        e2.request_uri = "/healthz?verbose";
        s.push(&e2);
        assert_eq!(s.flags(1) & F_PATH_DERIVED, 0);
        assert_eq!(s.path(1), "/healthz");
    }

    #[test]
    fn rejections_are_counted_and_capped() {
        let mut s = Store::new();
        let f = s.add_file("bad", 0);
        for i in 0..(MAX_KEPT_REJECTIONS + 10) {
            s.reject(f, i + 1, i, "bad");
        }
        assert_eq!(s.files[0].rejected, MAX_KEPT_REJECTIONS + 10);
        assert_eq!(s.rejections.len() as u64, MAX_KEPT_REJECTIONS);
        assert_eq!(
            s.totals(),
            (0, MAX_KEPT_REJECTIONS + 10, MAX_KEPT_REJECTIONS + 10)
        );
    }

    #[test]
    fn a_time_window_keeps_events_in_from_to_and_counts_the_rest() {
        // (window, received times pushed, times kept, skipped)
        type Case<'a> = (Option<(i64, i64)>, &'a [i64], &'a [i64], u64);
        let cases: &[Case] = &[
            (None, &[1, 5, 9], &[1, 5, 9], 0),
            (Some((2, 9)), &[1, 2, 5, 8, 9, 10], &[2, 5, 8], 3),
            (Some((100, 200)), &[1, 5], &[], 2),
            (Some((0, i64::MAX)), &[1, 5], &[1, 5], 0),
        ];
        for (window, times, kept, skipped) in cases {
            let mut s = Store::new();
            let f = s.add_file("a", 0);
            s.window = *window;
            for &t in *times {
                s.push(&ev(f, t, "x", Stage::ResponseComplete));
            }
            assert_eq!(s.received_col(), *kept, "{window:?}");
            let fi = &s.files[0];
            assert_eq!(fi.skipped, *skipped, "{window:?}");
            assert_eq!(fi.events + fi.rejected + fi.skipped, fi.records);
            // A piece read with the same window merges its counters too.
            let mut main = Store::new();
            let m = main.add_file("a", 0);
            main.absorb(&s, m, 0);
            assert_eq!(main.files[0].skipped, *skipped);
            assert_eq!(main.files[0].records, times.len() as u64);
            assert_eq!(main.len(), kept.len());
        }
    }
}
