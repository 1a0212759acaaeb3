//! Streaming ingest: byte chunks of any size -> records (lines or JSON objects) -> events.
//!
//! An [`Ingester`] reads one file. The format is detected from content, never from the
//! name: gzip by its magic bytes (decoded in pure Rust, see [`gzip`]); a UTF-8 BOM is
//! skipped; then the first line decides between JSON lines (the fast path: `memchr`
//! line splitting, zero-copy when a line lies within one chunk) and JSON documents
//! (pretty-printed or concatenated objects, or a JSON array of them, split by a small
//! brace-matching scanner). Lines may end in CRLF and may carry a hostname prefix
//! (`node-1 {"kind":"Event",...}`). A final line without newline is still read; if it is
//! cut mid-event it is rejected as truncated.
//!
//! Records of other shapes are recognised by their keys, never by the file name: see
//! `record.rs` (EventList, Azure, CloudWatch), `cloud.rs` (GKE Cloud Audit Logs, mapped
//! to Events) and `logstore.rs` (ViaQ, OTLP/JSON, Loki, Elasticsearch, Beats, Splunk).
//!
//! Invariant: for every file, `events + rejected + skipped == records` (`skipped`: valid
//! records of something else, such as Google Cloud audit entries of other services,
//! named in `FileInfo::skipped_kinds`); blank lines are not records.
//! Nothing here panics on any input.

mod cloud;
pub mod facts;
pub mod gzip;
mod logstore;
pub mod record;
mod scan;

use crate::store::{Format, Store};
use gzip::GzipStream;
use record::{ingest_record, RecordPos};

/// Lines longer than this are rejected without being buffered whole.
pub const MAX_RECORD: usize = 128 << 20;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// Waiting for the first line to decide.
    Detect,
    Lines,
    Docs,
}

/// Reads one file into a [`Store`], chunk by chunk.
pub struct Ingester {
    file: u32,
    first: bool,
    gz: Option<GzipStream>,
    mode: Mode,
    /// Bytes of an incomplete record carried over from the previous chunk.
    carry: Vec<u8>,
    /// Offset (decoded stream) of `carry[0]`.
    carry_off: u64,
    /// Decoded bytes seen so far (offset of the next byte).
    pos: u64,
    /// 1-based number of the line starting at `pos`... counted as newlines seen + 1.
    line: u64,
    /// Line mode: currently skipping the rest of an overlong line.
    skipping: bool,
    doc: DocScanner,
    bom_checked: bool,
    /// First bytes, held until there are 3 to check for a BOM.
    pre: Vec<u8>,
    /// First raw bytes, held until there are 2 to check for gzip.
    raw_pre: Vec<u8>,
}

impl Ingester {
    /// Starts reading a file named `name` of `bytes` bytes (0 if unknown) into `store`.
    pub fn new(store: &mut Store, name: &str, bytes: u64) -> Self {
        let file = store.add_file(name, bytes);
        Ingester {
            file,
            first: true,
            gz: None,
            mode: Mode::Detect,
            carry: Vec::new(),
            carry_off: 0,
            pos: 0,
            line: 1,
            skipping: false,
            doc: DocScanner::default(),
            bom_checked: false,
            pre: Vec::new(),
            raw_pre: Vec::new(),
        }
    }

    /// Reads a *part* of a plain JSON-lines file that starts at byte `offset` on 1-based
    /// line `line` (a line start, as `load::piece::cut_points` gives): no format detection, no
    /// BOM or gzip check; offsets and line numbers are the whole file's. Used to read one
    /// file with several workers, each into its own store, merged with [`Store::absorb`].
    pub fn continuation(store: &mut Store, name: &str, offset: u64, line: u64) -> Self {
        let mut ing = Ingester::new(store, name, 0);
        ing.first = false;
        ing.bom_checked = true;
        ing.mode = Mode::Lines;
        ing.pos = offset;
        ing.carry_off = offset;
        ing.line = line;
        store.files[ing.file as usize].format = Format::JsonLines;
        ing
    }

    /// The 1-based number of the line the next byte belongs to.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Decoded bytes seen so far (after gzip; equal to the bytes fed otherwise).
    pub fn decoded_bytes(&self) -> u64 {
        self.pos
    }

    /// Index of this file in `store.files`.
    pub fn file(&self) -> u32 {
        self.file
    }

    /// Feeds the next chunk of the file's bytes.
    pub fn push(&mut self, store: &mut Store, chunk: &[u8]) {
        if chunk.is_empty() {
            return;
        }
        if self.first {
            // Two raw bytes tell gzip apart; they may arrive one by one.
            if self.raw_pre.is_empty() && chunk.len() >= 2 {
                self.first = false;
                self.detect_gzip(store, chunk);
            } else {
                self.raw_pre.extend_from_slice(chunk);
                if self.raw_pre.len() < 2 {
                    return;
                }
                self.first = false;
                let pre = std::mem::take(&mut self.raw_pre);
                self.detect_gzip(store, &pre);
                return self.raw(store, &pre);
            }
        }
        self.raw(store, chunk)
    }

    fn detect_gzip(&mut self, store: &mut Store, head: &[u8]) {
        if gzip::is_gzip(head) {
            self.gz = Some(GzipStream::new());
            store.files[self.file as usize].gzip = true;
        }
    }

    /// Raw (possibly compressed) bytes in.
    fn raw(&mut self, store: &mut Store, chunk: &[u8]) {
        if let Some(mut gz) = self.gz.take() {
            gz.push(chunk, &mut |piece| self.decoded(store, piece));
            self.gz = Some(gz);
        } else {
            self.decoded(store, chunk);
        }
    }

    /// Ends the file: reads a final line without newline, reports truncation, and
    /// writes the file-level diagnosis.
    pub fn finish(mut self, store: &mut Store) {
        if self.first {
            self.first = false;
            let pre = std::mem::take(&mut self.raw_pre);
            self.raw(store, &pre);
        }
        if !self.bom_checked {
            self.bom_checked = true;
            let pre = std::mem::take(&mut self.pre);
            if !pre.is_empty() {
                self.start(store, &pre);
            }
        }
        if let Some(gz) = &mut self.gz {
            gz.finish();
            if let Some(e) = gz.error() {
                store.files[self.file as usize].diagnosis = Some(e.to_string());
            }
        }
        if self.mode == Mode::Detect {
            self.decide_mode();
            let all = std::mem::take(&mut self.carry);
            self.pos = self.carry_off;
            self.feed(store, &all);
        }
        match self.mode {
            Mode::Lines | Mode::Detect => {
                if !self.carry.is_empty() && !self.skipping {
                    let carry = std::mem::take(&mut self.carry);
                    self.line_record(store, &carry, self.carry_off);
                }
            }
            Mode::Docs => {
                let file = self.file;
                self.doc.finish(store, file);
            }
        }
        let f = &mut store.files[self.file as usize];
        f.decoded_bytes = self.pos;
        if f.format == Format::Unknown && self.pos > 0 {
            f.format = if self.mode == Mode::Docs {
                Format::JsonDocuments
            } else {
                Format::JsonLines
            };
        }
        if f.diagnosis.is_none() {
            f.diagnosis = diagnose(f.events, f.rejected, &self.doc.head);
        }
    }

    /// Decoded bytes in.
    fn decoded(&mut self, store: &mut Store, b: &[u8]) {
        if !self.bom_checked {
            // The first 3 bytes decide about a BOM; they may arrive one by one.
            if self.pre.is_empty() && b.len() >= 3 {
                self.bom_checked = true;
                return self.start(store, b);
            }
            self.pre.extend_from_slice(b);
            if self.pre.len() >= 3 {
                self.bom_checked = true;
                let pre = std::mem::take(&mut self.pre);
                self.start(store, &pre);
            }
            return;
        }
        self.body(store, b)
    }

    /// The first decoded bytes: keeps a head for diagnosis and skips a UTF-8 BOM.
    fn start(&mut self, store: &mut Store, mut b: &[u8]) {
        self.doc.head.extend_from_slice(&b[..b.len().min(16)]);
        if b.starts_with(b"\xEF\xBB\xBF") {
            b = &b[3..];
            self.pos += 3;
            self.carry_off = 3;
        }
        self.body(store, b)
    }

    fn body(&mut self, store: &mut Store, b: &[u8]) {
        match self.mode {
            Mode::Detect => {
                self.carry.extend_from_slice(b);
                self.pos += b.len() as u64;
                if memchr::memchr(b'\n', &self.carry).is_some() || self.carry.len() > MAX_RECORD {
                    self.decide_mode();
                    let all = std::mem::take(&mut self.carry);
                    let start = self.carry_off;
                    self.pos = start;
                    self.feed(store, &all);
                }
            }
            _ => self.feed(store, b),
        }
    }

    fn decide_mode(&mut self) {
        let text = &self.carry;
        let first_line_end = memchr::memchr(b'\n', text).unwrap_or(text.len());
        let line = trim_ascii(&text[..first_line_end]);
        let start = text
            .iter()
            .position(|c| !c.is_ascii_whitespace())
            .map(|i| text[i]);
        self.mode = match start {
            Some(b'[') => Mode::Docs,
            Some(b'{') => {
                match std::str::from_utf8(line).map(serde_json::from_str::<serde::de::IgnoredAny>) {
                    Ok(Err(e)) if e.is_eof() => Mode::Docs,
                    _ => Mode::Lines,
                }
            }
            _ => Mode::Lines,
        };
    }

    fn feed(&mut self, store: &mut Store, b: &[u8]) {
        match self.mode {
            Mode::Docs => {
                let file = self.file;
                store.files[file as usize].format = Format::JsonDocuments;
                self.doc.feed(store, file, b, &mut self.pos, &mut self.line);
            }
            _ => {
                store.files[self.file as usize].format = Format::JsonLines;
                self.feed_lines(store, b)
            }
        }
    }

    /// Line mode: the fast path.
    fn feed_lines(&mut self, store: &mut Store, mut b: &[u8]) {
        // Finish a line carried over from the previous chunk.
        if !self.carry.is_empty() || self.skipping {
            match memchr::memchr(b'\n', b) {
                None => {
                    self.pos += b.len() as u64;
                    if !self.skipping {
                        if self.carry.len() + b.len() > MAX_RECORD {
                            self.overlong(store);
                        } else {
                            self.carry.extend_from_slice(b);
                        }
                    }
                    return;
                }
                Some(nl) => {
                    if !self.skipping {
                        self.carry.extend_from_slice(&b[..nl]);
                        let carry = std::mem::take(&mut self.carry);
                        self.line_record(store, &carry, self.carry_off);
                        self.carry = carry;
                        self.carry.clear();
                    }
                    self.skipping = false;
                    self.line += 1;
                    self.pos += nl as u64 + 1;
                    b = &b[nl + 1..];
                }
            }
        }
        let mut start = 0usize;
        for nl in memchr::memchr_iter(b'\n', b) {
            let off = self.pos + start as u64;
            self.line_record(store, &b[start..nl], off);
            self.line += 1;
            start = nl + 1;
        }
        self.pos += start as u64;
        let rest = &b[start..];
        if !rest.is_empty() {
            self.carry_off = self.pos;
            if rest.len() > MAX_RECORD {
                self.overlong(store);
            } else {
                self.carry.extend_from_slice(rest);
            }
            self.pos += rest.len() as u64;
        }
    }

    fn overlong(&mut self, store: &mut Store) {
        store.reject(
            self.file,
            self.line,
            self.carry_off,
            format!("line longer than {} MiB: skipped", MAX_RECORD >> 20),
        );
        self.carry.clear();
        self.skipping = true;
    }

    /// One complete line (without its `\n`).
    fn line_record(&mut self, store: &mut Store, raw: &[u8], offset: u64) {
        let mut line = raw;
        if let Some(b'\r') = line.last() {
            line = &line[..line.len() - 1];
        }
        if line.len() > MAX_RECORD {
            // Same outcome whether the line came in one chunk or many.
            store.reject(
                self.file,
                self.line,
                offset,
                format!("line longer than {} MiB: skipped", MAX_RECORD >> 20),
            );
            return;
        }
        let trimmed = trim_ascii(line);
        if trimmed.is_empty() {
            return;
        }
        let json = strip_host_prefix(trimmed);
        let lead = (json.as_ptr() as usize - line.as_ptr() as usize) as u64;
        // The record is the JSON itself: surrounding blanks and a host prefix are not
        // part of it, so a row's bytes are exactly its event.
        let pos = RecordPos {
            file: self.file,
            line: self.line,
            offset: offset + lead,
            len: json.len() as u32,
        };
        match std::str::from_utf8(json) {
            Ok(t) => ingest_record(store, t, pos),
            Err(e) => store.reject(
                self.file,
                self.line,
                offset,
                format!(
                    "invalid UTF-8 at byte {} of the line",
                    e.valid_up_to() as u64 + lead
                ),
            ),
        }
    }
}

/// Strips a `hostname ` prefix before the JSON (`node-1 {"kind":...}`), as must-gather
/// tools write it. Returns the input unchanged when there is none.
pub fn strip_host_prefix(line: &[u8]) -> &[u8] {
    if line.first() == Some(&b'{') || line.first() == Some(&b'[') {
        return line;
    }
    let Some(sp) = memchr::memchr(b' ', line) else {
        return line;
    };
    let host = &line[..sp];
    let ok_host = !host.is_empty()
        && host.len() <= 253
        && host
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b':'));
    let rest = trim_ascii(&line[sp + 1..]);
    if ok_host && rest.first() == Some(&b'{') {
        rest
    } else {
        line
    }
}

pub(crate) fn trim_ascii(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(s, |i| i + 1);
    &b[s..e]
}

/// Names what a file that yielded no events most likely is.
fn diagnose(events: u64, rejected: u64, head: &[u8]) -> Option<String> {
    if events > 0 {
        return None;
    }
    if rejected == 0 {
        return Some("the file is empty: no audit events in it".into());
    }
    let h = head;
    let what = if let Some(what) = binary_kind(h) {
        what
    } else if h.starts_with(b"apiVersion:") || h.starts_with(b"kind:") || h.starts_with(b"---") {
        "YAML (an audit policy? drop it as a policy)"
    } else {
        return Some(format!(
            "no audit events found: all {rejected} records were rejected"
        ));
    };
    Some(format!(
        "this looks like {what}, not a Kubernetes audit log"
    ))
}

/// What a binary file most likely is, by its first bytes (`None`: it may be text). UTF-16
/// text with a byte-order mark is text.
fn binary_kind(h: &[u8]) -> Option<&'static str> {
    Some(if h.starts_with(b"%PDF") {
        "a PDF document"
    } else if h.starts_with(b"PK\x03\x04") {
        "a ZIP archive (unpack it first)"
    } else if h.starts_with(b"\x89PNG") || h.starts_with(b"\xFF\xD8\xFF") || h.starts_with(b"GIF8")
    {
        "an image"
    } else if h.starts_with(b"BZh")
        || h.starts_with(b"\xFD7zXZ")
        || h.starts_with(b"\x28\xB5\x2F\xFD")
    {
        "a bzip2/xz/zstd archive (only gzip is read; decompress it first)"
    } else if h.starts_with(b"\x7FELF") {
        "a program binary"
    } else if h.starts_with(b"\xFF\xFE") || h.starts_with(b"\xFE\xFF") {
        return None; // UTF-16 text (PowerShell's Out-File)
    } else if h.contains(&0) {
        "a binary file"
    } else {
        return None;
    })
}

/// Splits JSON documents: top-level objects, possibly pretty-printed over many lines,
/// concatenated, or inside one top-level array.
#[derive(Default)]
struct DocScanner {
    buf: Vec<u8>,
    depth: u32,
    in_str: bool,
    esc: bool,
    /// Base depth of objects: 1 inside a top-level array.
    base: u32,
    active: bool,
    start_off: u64,
    start_line: u64,
    junk: bool,
    junk_off: u64,
    junk_line: u64,
    head: Vec<u8>,
}

impl DocScanner {
    fn feed(&mut self, store: &mut Store, file: u32, b: &[u8], pos: &mut u64, line: &mut u64) {
        for &c in b {
            if self.active && self.buf.len() < MAX_RECORD {
                self.buf.push(c);
            }
            if c == b'\n' {
                *line += 1;
            }
            if self.in_str {
                if self.esc {
                    self.esc = false;
                } else if c == b'\\' {
                    self.esc = true;
                } else if c == b'"' {
                    self.in_str = false;
                }
                *pos += 1;
                continue;
            }
            match c {
                b'"' => self.in_str = self.active || self.depth > 0,
                b'{' | b'[' => {
                    if self.depth == 0 && c == b'[' && !self.active {
                        self.base = 1;
                    } else if self.depth == self.base && !self.active {
                        self.flush_junk(store, file);
                        self.active = true;
                        self.buf.clear();
                        self.buf.push(c);
                        self.start_off = *pos;
                        self.start_line = *line;
                    }
                    self.depth += 1;
                }
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.active && self.depth == self.base {
                        self.active = false;
                        self.emit(store, file);
                    }
                    if self.depth == 0 {
                        self.base = 0;
                    }
                }
                c if c.is_ascii_whitespace() || c == b',' => {}
                _ => {
                    if !self.active && self.depth <= self.base && !self.junk {
                        self.junk = true;
                        self.junk_off = *pos;
                        self.junk_line = *line;
                    }
                }
            }
            *pos += 1;
        }
    }

    fn flush_junk(&mut self, store: &mut Store, file: u32) {
        if self.junk {
            self.junk = false;
            store.reject(
                file,
                self.junk_line,
                self.junk_off,
                "text outside any JSON object: not an audit event",
            );
        }
    }

    fn emit(&mut self, store: &mut Store, file: u32) {
        let pos = RecordPos {
            file,
            line: self.start_line,
            offset: self.start_off,
            len: self.buf.len() as u32,
        };
        if self.buf.len() >= MAX_RECORD {
            store.reject(
                file,
                self.start_line,
                self.start_off,
                format!("object larger than {} MiB: skipped", MAX_RECORD >> 20),
            );
        } else {
            match std::str::from_utf8(&self.buf) {
                Ok(t) => ingest_record(store, t, pos),
                Err(e) => store.reject(
                    file,
                    self.start_line,
                    self.start_off,
                    format!("invalid UTF-8 at byte {} of the object", e.valid_up_to()),
                ),
            }
        }
        self.buf.clear();
    }

    fn finish(&mut self, store: &mut Store, file: u32) {
        self.flush_junk(store, file);
        if self.active {
            store.reject(
                file,
                self.start_line,
                self.start_off,
                "truncated JSON: the file ends inside an object (a log still being written?)",
            );
            self.active = false;
        }
    }
}

/// What a dropped file holds, told from its first bytes (names are never trusted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Sniffed {
    /// An audit log (JSON, JSON lines, gzip, cloud export): read it with an [`Ingester`].
    Log,
    /// A YAML document with `kind: Policy` or a ConfigMap, or a JSON Policy: load it as a
    /// policy.
    Policy,
}

/// Where a file goes, decided from its first bytes and how the user gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// Read it as an audit log.
    Log,
    /// Load it as an audit policy.
    Policy,
    /// Given as a policy ("Load policy…"), but it is an audit log: read it as a log, and
    /// say so.
    LogNotPolicy,
    /// Given as a policy, but it is neither a policy nor a log (a PDF, an image): refuse
    /// it, with what it looks like. Its bytes never reach the policy editor.
    NotPolicy(String),
}

/// Decides where a file goes. `as_policy`: it was given through "Load policy…" (or
/// `--policy`). Dropped files are told apart by [`sniff`]; a file given as a policy is a
/// policy unless it is plainly a log (gzip, JSON that is not a `kind: Policy` object) or
/// a binary file.
pub fn route(head: &[u8], as_policy: bool) -> Route {
    if !as_policy {
        return match sniff(head) {
            Sniffed::Log => Route::Log,
            Sniffed::Policy => Route::Policy,
        };
    }
    if gzip::is_gzip(head) {
        return Route::LogNotPolicy;
    }
    if let Some(what) = binary_kind(head) {
        return Route::NotPolicy(format!(
            "this looks like {what}, not an audit policy (a YAML or JSON `kind: Policy` file)"
        ));
    }
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = body.iter().find(|c| !c.is_ascii_whitespace());
    match first {
        Some(b'{') | Some(b'[') if !json_policy(body) => Route::LogNotPolicy,
        _ => Route::Policy,
    }
}

/// True when the first JSON object of `body` has a top-level `"kind": "Policy"`. Only the
/// outermost object counts: an audit event whose `requestObject` is a ConfigMap, or a
/// Policy, is still a log.
fn json_policy(body: &[u8]) -> bool {
    top_level_kind(&body[..body.len().min(64 * 1024)]).as_deref() == Some("Policy")
}

/// The string value of the `kind` key of the first top-level JSON object in `b` (a scan
/// that tracks strings and nesting; `b` may be cut short).
fn top_level_kind(b: &[u8]) -> Option<String> {
    let (mut depth, mut i) = (0usize, 0usize);
    // The string that just ended at depth 1, and whether it was followed by `:` (a key).
    let mut last_key: Option<(usize, usize)> = None;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                let end = i.min(b.len());
                if depth == 1 {
                    // A value right after `"kind":`?
                    if let Some((ks, ke)) = last_key.take() {
                        if &b[ks..ke] == b"kind" {
                            return std::str::from_utf8(&b[start..end]).ok().map(str::to_string);
                        }
                    } else {
                        let mut j = i + 1;
                        while j < b.len() && b[j].is_ascii_whitespace() {
                            j += 1;
                        }
                        if b.get(j) == Some(&b':') {
                            last_key = Some((start, end));
                            i = j;
                        }
                    }
                }
            }
            b'{' | b'[' => {
                depth += 1;
                last_key = None;
            }
            b'}' | b']' => {
                if depth <= 1 {
                    return None;
                }
                depth -= 1;
            }
            b',' => last_key = None,
            _ => {}
        }
        i += 1;
    }
    None
}

/// Tells an audit log from an audit policy by content. Gzip and JSON are logs; YAML that
/// mentions `kind: Policy`, `rules:` or `kind: ConfigMap` is a policy; anything else is
/// treated as a log (whose ingest then says what it really is).
pub fn sniff(head: &[u8]) -> Sniffed {
    if gzip::is_gzip(head) {
        return Sniffed::Log;
    }
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = head
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .map(|i| head[i]);
    if matches!(first, Some(b'{') | Some(b'[')) {
        return if json_policy(head) {
            Sniffed::Policy
        } else {
            Sniffed::Log
        };
    }
    // UTF-16 with a byte-order mark (PowerShell's `Out-File`): look at its text.
    let utf16: Option<String> = match head {
        [0xFF, 0xFE, rest @ ..] => Some(utf16_lossy(rest, u16::from_le_bytes)),
        [0xFE, 0xFF, rest @ ..] => Some(utf16_lossy(rest, u16::from_be_bytes)),
        _ => None,
    };
    let text = match utf16 {
        Some(t) => std::borrow::Cow::Owned(t),
        None => String::from_utf8_lossy(&head[..head.len().min(64 * 1024)]),
    };
    let yamlish = text.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with("kind: Policy")
            || l.starts_with("kind: \"Policy\"")
            || l.starts_with("rules:")
            || l.starts_with("kind: ConfigMap")
    });
    if yamlish {
        Sniffed::Policy
    } else {
        Sniffed::Log
    }
}

fn utf16_lossy(b: &[u8], f: fn([u8; 2]) -> u16) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .take(32 * 1024)
        .map(|c| f([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

/// True when `head` (the first bytes of a file, at least its first line) is plain JSON
/// lines: not gzip, and a first line holding one complete JSON object (after an optional
/// BOM and host prefix). Such a file may be read in pieces cut at line starts.
pub fn is_plain_json_lines(head: &[u8]) -> bool {
    if gzip::is_gzip(head) {
        return false;
    }
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let Some(first_end) = memchr::memchr(b'\n', body) else {
        return false;
    };
    let first = strip_host_prefix(trim_ascii(&body[..first_end]));
    first.starts_with(b"{")
        && std::str::from_utf8(first)
            .is_ok_and(|t| serde_json::from_str::<serde::de::IgnoredAny>(t).is_ok())
}

/// Convenience: reads a whole in-memory file.
pub fn load_bytes(store: &mut Store, name: &str, bytes: &[u8]) -> u32 {
    let mut ing = Ingester::new(store, name, bytes.len() as u64);
    ing.push(store, bytes);
    let f = ing.file();
    ing.finish(store);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_prefix_table() {
        let cases: &[(&str, &str)] = &[
            (r#"{"a":1}"#, r#"{"a":1}"#),
            (r#"node-1 {"a":1}"#, r#"{"a":1}"#),
            (r#"ip-10-0-1-2.ec2.internal   {"a":1}"#, r#"{"a":1}"#),
            (r#"two words {"a":1}"#, r#"two words {"a":1}"#),
            ("garbage", "garbage"),
            ("", ""),
        ];
        for (i, o) in cases {
            assert_eq!(
                std::str::from_utf8(strip_host_prefix(i.as_bytes())).unwrap(),
                *o
            );
        }
    }

    #[test]
    fn plain_json_lines_table() {
        assert!(is_plain_json_lines(b"\xEF\xBB\xBFnode-1 {\"a\":1}\n"));
        assert!(!is_plain_json_lines(b"\x1f\x8b\x08"));
    }

    #[test]
    fn sniff_table() {
        let cases: &[(&[u8], Sniffed)] = &[
            (b"{\"kind\":\"Event\"}\n", Sniffed::Log),
            (b"\xEF\xBB\xBF{", Sniffed::Log),
            (b"\x1f\x8b\x08\x00", Sniffed::Log),
            (b"  [ {", Sniffed::Log),
            (
                b"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n",
                Sniffed::Policy,
            ),
            (b"# comment\nrules:\n  - level: Metadata\n", Sniffed::Policy),
            (b"apiVersion: v1\nkind: ConfigMap\n", Sniffed::Policy),
            (b"%PDF-1.7", Sniffed::Log),
            (b"", Sniffed::Log),
            // A JSON policy is a policy (kube-apiserver reads `{`-first files as JSON).
            (
                b"{\n  \"apiVersion\": \"audit.k8s.io/v1\",\n  \"kind\": \"Policy\", \"rules\": []}",
                Sniffed::Policy,
            ),
            // UTF-16 LE with a BOM, as PowerShell's Out-File writes YAML.
            (
                b"\xFF\xFEk\0i\0n\0d\0:\0 \0P\0o\0l\0i\0c\0y\0\n\0",
                Sniffed::Policy,
            ),
        ];
        for (i, (b, want)) in cases.iter().enumerate() {
            assert_eq!(sniff(b), *want, "case {i}");
        }
    }

    #[test]
    fn only_a_top_level_kind_makes_json_a_policy() {
        // An audit event whose body is a ConfigMap (or holds `"kind": "Policy"`) is a log:
        // the page once routed such a log to the policy editor.
        let ev = br#"{"kind":"Event","requestObject":{"kind":"ConfigMap","data":{"kind":"Policy"}},"auditID":"x"}"#;
        assert_eq!(sniff(ev), Sniffed::Log);
        assert_eq!(top_level_kind(ev).as_deref(), Some("Event"));
        let pol = b"{\n  \"apiVersion\": \"audit.k8s.io/v1\",\n  \"metadata\": {\"kind\": \"x\"},\n  \"kind\" : \"Policy\"}";
        assert_eq!(top_level_kind(pol).as_deref(), Some("Policy"));
        assert_eq!(sniff(pol), Sniffed::Policy);
        assert_eq!(
            top_level_kind(br#"{"a":"kind","b":1}"#),
            None,
            "a value named kind is no key"
        );
        assert_eq!(top_level_kind(br#"{"k\"ind":"Policy"}"#), None);
        assert_eq!(
            top_level_kind(b"{\"kind\": \"Pol"),
            Some("Pol".into()),
            "cut short"
        );
        assert_eq!(
            top_level_kind(b"[{\"kind\":\"Policy\"}]"),
            None,
            "depth 2 in an array"
        );
        assert_eq!(top_level_kind(b""), None);
    }

    #[test]
    fn route_table() {
        // "Load policy…" given a log or a PDF: route the log to the log loader, refuse
        // the rest (they used to land in the policy editor as binary text).
        let log = b"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\"}\n";
        assert_eq!(route(log, true), Route::LogNotPolicy);
        assert_eq!(route(b"\x1f\x8b\x08\x00", true), Route::LogNotPolicy);
        assert_eq!(route(b"[{\"auditID\":\"x\"}]", true), Route::LogNotPolicy);
        for (b, what) in [
            (&b"%PDF-1.7\n"[..], "PDF"),
            (b"\x89PNG\r\n", "image"),
            (b"PK\x03\x04", "ZIP"),
            (b"abc\0def", "binary"),
        ] {
            match route(b, true) {
                Route::NotPolicy(m) => {
                    assert!(m.contains(what) && m.contains("not an audit policy"), "{m}")
                }
                r => panic!("{what}: {r:?}"),
            }
        }
        // Policies stay policies, whatever they look like (the loader says what is wrong).
        for b in [
            &b"apiVersion: audit.k8s.io/v1\nkind: Policy\n"[..],
            b"{\"kind\": \"Policy\", \"apiVersion\": \"audit.k8s.io/v1\"}",
            b"\xFF\xFEk\0i\0n\0d\0",
            b"just some text",
            b"",
        ] {
            assert_eq!(
                route(b, true),
                Route::Policy,
                "{:?}",
                String::from_utf8_lossy(b)
            );
        }
        // Dropped files: sniffed as before.
        assert_eq!(route(log, false), Route::Log);
        assert_eq!(route(b"kind: Policy\nrules: []\n", false), Route::Policy);
        assert_eq!(
            route(b"%PDF-1.7", false),
            Route::Log,
            "its ingest names it a PDF"
        );
    }

    #[test]
    fn trim_table() {
        assert_eq!(trim_ascii(b"  a b \r"), b"a b");
        assert_eq!(trim_ascii(b"   "), b"");
        assert_eq!(trim_ascii(b""), b"");
    }
}
