//! The case file: one JSON document that holds an investigation.
//!
//! ```json
//! {"kind":"AuditLensCase","version":1,"view":{"f":"verb:delete","tab":"explore"},
//!  "files":[{"name":"audit.log","size":123,"hash":"ce91dc5eec01"}],
//!  "notes":"…","pins":[{"auditID":"…","stage":"ResponseComplete",
//!  "time":"2023-06-12T13:30:25.754378Z","note":"…","tags":["…"],"event":{…}}]}
//! ```
//!
//! `kind` is written first, so a drop is told from an audit log by its first bytes
//! ([`looks_like_case`]); the pinned events are embedded whole, so the pins still read when
//! the case's files are not loaded.

use super::ident::FileIdentity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The top-level `kind` of a case file.
pub const CASE_KIND: &str = "AuditLensCase";
/// The format version written (and the newest read).
pub const CASE_VERSION: u32 = 1;
/// The largest case file the page reads (its pinned events' bodies included).
pub const MAX_CASE_BYTES: u64 = 64 << 20;

/// An investigation: the view, the files it was made on, notes and pinned events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub kind: String,
    pub version: u32,
    /// The view, with the URL hash's keys ([`super::view::VIEW_KEYS`]).
    #[serde(default)]
    pub view: BTreeMap<String, String>,
    #[serde(default)]
    pub files: Vec<FileIdentity>,
    /// Free text for the whole case.
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub pins: Vec<Pin>,
}

impl Default for Case {
    fn default() -> Self {
        Case {
            kind: CASE_KIND.into(),
            version: CASE_VERSION,
            view: BTreeMap::new(),
            files: Vec::new(),
            notes: String::new(),
            pins: Vec::new(),
        }
    }
}

/// A pinned event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pin {
    #[serde(rename = "auditID")]
    pub audit_id: String,
    pub stage: String,
    /// When the request was received (RFC 3339, µs, UTC).
    pub time: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The event itself, as the log had it.
    #[serde(default)]
    pub event: serde_json::Value,
}

impl Pin {
    /// A pin of `event` (a parsed audit event) received at `time_us`, without note or tags.
    pub fn new(audit_id: &str, stage: &str, time_us: i64, event: serde_json::Value) -> Pin {
        Pin {
            audit_id: audit_id.to_string(),
            stage: stage.to_string(),
            time: crate::util::format_rfc3339_micros(time_us),
            note: String::new(),
            tags: Vec::new(),
            event,
        }
    }

    /// The pin's key: its request and stage.
    pub fn key(&self) -> (&str, &str) {
        (&self.audit_id, &self.stage)
    }

    /// `time` in µs since the epoch (0 when unreadable).
    pub fn time_us(&self) -> i64 {
        crate::util::parse_rfc3339_micros(&self.time).unwrap_or(0)
    }
}

/// Tags typed as `a, b c` → `["a", "b", "c"]` (commas or spaces, each once, in order).
pub fn parse_tags(s: &str) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for t in s.split(|c: char| c == ',' || c.is_whitespace()) {
        let t = t.trim().trim_start_matches('#');
        if !t.is_empty() && !v.iter().any(|x| x == t) {
            v.push(t.to_string());
        }
    }
    v
}

/// What a merge did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MergeReport {
    /// Pins new to this case.
    pub added: usize,
    /// Pins both had whose note or tags were combined.
    pub combined: usize,
    /// The case notes were combined (both had other text).
    pub notes_combined: bool,
}

/// The separator put between two texts when both sides wrote something different.
pub const MERGE_SEPARATOR: &str = "\n\n— merged from the opened case —\n";

fn merge_text(mine: &mut String, theirs: &str) -> bool {
    if theirs.is_empty() || *mine == theirs || mine.contains(theirs) {
        return false;
    }
    if mine.is_empty() {
        *mine = theirs.to_string();
        return false;
    }
    mine.push_str(MERGE_SEPARATOR);
    mine.push_str(theirs);
    true
}

impl Case {
    /// True when the case holds nothing the user wrote or pinned.
    pub fn is_empty(&self) -> bool {
        self.pins.is_empty() && self.notes.trim().is_empty()
    }

    /// The pin of `(audit_id, stage)`.
    pub fn pin(&self, audit_id: &str, stage: &str) -> Option<&Pin> {
        self.pins.iter().find(|p| p.key() == (audit_id, stage))
    }

    /// Adds `pin` (kept in time order); an existing pin of the same event stays as it is.
    pub fn add_pin(&mut self, pin: Pin) -> bool {
        if self.pin(&pin.audit_id, &pin.stage).is_some() {
            return false;
        }
        self.pins.push(pin);
        self.sort();
        true
    }

    /// Removes the pin of `(audit_id, stage)` and returns it (for an undo).
    pub fn remove_pin(&mut self, audit_id: &str, stage: &str) -> Option<(usize, Pin)> {
        let i = self
            .pins
            .iter()
            .position(|p| p.key() == (audit_id, stage))?;
        Some((i, self.pins.remove(i)))
    }

    fn sort(&mut self) {
        self.pins.sort_by(|a, b| {
            (a.time_us(), &a.audit_id, &a.stage).cmp(&(b.time_us(), &b.audit_id, &b.stage))
        });
    }

    /// Merges `other` into this case without losing anything either side wrote: new pins
    /// are added; a pin both have keeps this side's note, with the other's appended after
    /// [`MERGE_SEPARATOR`] when it differs (and is not already in it), and the union of
    /// the tags; the notes likewise; files are united; the view is this side's unless it
    /// has none. Merging the same case twice changes nothing the second time.
    pub fn merge(&mut self, other: &Case) -> MergeReport {
        let mut r = MergeReport::default();
        for p in &other.pins {
            match self.pins.iter_mut().find(|x| x.key() == p.key()) {
                None => {
                    self.pins.push(p.clone());
                    r.added += 1;
                }
                Some(x) => {
                    let mut changed = merge_text(&mut x.note, &p.note);
                    for t in &p.tags {
                        if !x.tags.contains(t) {
                            x.tags.push(t.clone());
                            changed = true;
                        }
                    }
                    if x.event.is_null() && !p.event.is_null() {
                        x.event = p.event.clone();
                    }
                    r.combined += changed as usize;
                }
            }
        }
        r.notes_combined = merge_text(&mut self.notes, &other.notes);
        for f in &other.files {
            if !self.files.contains(f) {
                self.files.push(f.clone());
            }
        }
        if self.view.is_empty() {
            self.view = other.view.clone();
        }
        self.sort();
        r
    }

    /// The case as the JSON document a user downloads (pretty, `kind` first).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads a case file; every refusal says what is wrong in words.
    pub fn parse(bytes: &[u8]) -> Result<Case, String> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let v: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| format!("this case file is not valid JSON ({e})"))?;
        let obj = v.as_object().ok_or("this case file is not a JSON object")?;
        match obj.get("kind").and_then(|k| k.as_str()) {
            Some(CASE_KIND) => {}
            Some(k) => return Err(format!("its kind is {k:?}, not {CASE_KIND:?}")),
            None => return Err(format!("it has no \"kind\": {CASE_KIND:?}")),
        }
        let version = obj
            .get("version")
            .and_then(|x| x.as_u64())
            .ok_or("it has no format \"version\" (a number)")?;
        if version == 0 || version > CASE_VERSION as u64 {
            return Err(format!(
                "it is format version {version}; this page reads version {CASE_VERSION} (was it made by a newer Audit Lens?)"
            ));
        }
        let mut c: Case =
            serde_json::from_value(v).map_err(|e| format!("this case file is malformed: {e}"))?;
        c.view
            .retain(|k, _| super::view::VIEW_KEYS.contains(&k.as_str()));
        c.sort();
        Ok(c)
    }
}

/// True when `head` (the first bytes of a file) starts a case file: a JSON object whose
/// first key is `"kind"` with the value `"AuditLensCase"` (as [`Case::to_json`] writes
/// it). An audit log's first object has another kind (`Event`, `EventList`) or none.
pub fn looks_like_case(head: &[u8]) -> bool {
    let b = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let mut i = 0;
    let ws = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    let lit = |i: &mut usize, s: &[u8]| {
        if b.get(*i..*i + s.len()) == Some(s) {
            *i += s.len();
            true
        } else {
            false
        }
    };
    ws(&mut i);
    if !lit(&mut i, b"{") {
        return false;
    }
    ws(&mut i);
    if !lit(&mut i, b"\"kind\"") {
        return false;
    }
    ws(&mut i);
    if !lit(&mut i, b":") {
        return false;
    }
    ws(&mut i);
    lit(&mut i, b"\"AuditLensCase\"")
}

/// True when `head` may be a case file written by another tool or by hand (keys in
/// another order): an object mentioning the kind. The page then reads the file whole and
/// [`Case::parse`] decides; anything it refuses is read as a log.
pub fn may_be_case(head: &[u8]) -> bool {
    let b = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = b.iter().find(|c| !c.is_ascii_whitespace());
    first == Some(&b'{')
        && b.windows(CASE_KIND.len() + 2)
            .any(|w| w == b"\"AuditLensCase\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pin(id: &str, t: i64, note: &str, tags: &[&str]) -> Pin {
        let mut p = Pin::new(id, "ResponseComplete", t, json!({"auditID": id}));
        p.note = note.into();
        p.tags = tags.iter().map(|s| s.to_string()).collect();
        p
    }

    #[test]
    fn detection_by_first_key() {
        assert!(looks_like_case(
            b"{\"kind\":\"AuditLensCase\",\"version\":1}"
        ));
        assert!(looks_like_case(
            b"\xEF\xBB\xBF \n{\n  \"kind\" : \"AuditLensCase\""
        ));
        assert!(!looks_like_case(
            b"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\"}"
        ));
        assert!(!looks_like_case(
            b"{\"version\":1,\"kind\":\"AuditLensCase\"}"
        ));
        assert!(may_be_case(b"{\"version\":1,\"kind\":\"AuditLensCase\"}"));
        assert!(!may_be_case(b"[{\"kind\":\"AuditLensCase\"}]"));
        assert!(!looks_like_case(b""));
        assert!(!looks_like_case(b"{\"kind\":\"AuditLensCas"));
    }

    #[test]
    fn parse_refusals_say_why() {
        assert!(Case::parse(b"{").unwrap_err().contains("not valid JSON"));
        assert!(Case::parse(b"[]")
            .unwrap_err()
            .contains("not a JSON object"));
        assert!(Case::parse(b"{\"kind\":\"Event\"}")
            .unwrap_err()
            .contains("\"Event\""));
        assert!(Case::parse(b"{\"kind\":\"AuditLensCase\"}")
            .unwrap_err()
            .contains("version"));
        assert!(Case::parse(b"{\"kind\":\"AuditLensCase\",\"version\":2}")
            .unwrap_err()
            .contains("version 2"));
        assert!(
            Case::parse(b"{\"kind\":\"AuditLensCase\",\"version\":1,\"pins\":[{}]}")
                .unwrap_err()
                .contains("malformed")
        );
        let c = Case::parse(
            b"{\"kind\":\"AuditLensCase\",\"version\":1,\"view\":{\"f\":\"a\",\"evil\":\"x\"}}",
        )
        .unwrap();
        assert_eq!(c.view.len(), 1, "unknown view keys are dropped");
    }

    #[test]
    fn merge_keeps_both_sides() {
        let mut a = Case {
            notes: "mine".into(),
            ..Case::default()
        };
        a.add_pin(pin("1", 20, "first look", &["suspicious"]));
        let mut b = Case {
            notes: "theirs".into(),
            ..Case::default()
        };
        b.add_pin(pin("1", 20, "second look", &["suspicious", "exfil"]));
        b.add_pin(pin("2", 10, "", &[]));
        let r = a.merge(&b);
        assert_eq!(
            r,
            MergeReport {
                added: 1,
                combined: 1,
                notes_combined: true
            }
        );
        assert_eq!(a.pins.len(), 2);
        assert_eq!(a.pins[0].audit_id, "2", "time order");
        assert_eq!(
            a.pins[1].note,
            format!("first look{MERGE_SEPARATOR}second look")
        );
        assert_eq!(a.pins[1].tags, ["suspicious", "exfil"]);
        assert_eq!(a.notes, format!("mine{MERGE_SEPARATOR}theirs"));
        // Again: nothing changes.
        let before = a.clone();
        assert_eq!(a.merge(&b), MergeReport::default());
        assert_eq!(a, before);
        // Into an empty case: a copy.
        let mut e = Case::default();
        e.merge(&b);
        assert_eq!(e.pins, {
            let mut p = b.pins.clone();
            p.sort_by_key(|x| x.time_us());
            p
        });
        assert_eq!(e.notes, "theirs");
    }

    #[test]
    fn tags_and_pins() {
        assert_eq!(parse_tags(" a, b  #c,a,,"), ["a", "b", "c"]);
        let mut c = Case::default();
        assert!(c.add_pin(pin("x", 1, "", &[])));
        assert!(!c.add_pin(pin("x", 1, "other", &[])), "once per event");
        let (i, p) = c.remove_pin("x", "ResponseComplete").unwrap();
        assert_eq!((i, p.audit_id.as_str()), (0, "x"));
        assert!(c.is_empty());
    }
}
