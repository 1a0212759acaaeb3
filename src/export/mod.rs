//! Exports of events (issue 16 §3, §4): which rows, in which columns, under which file
//! name, and optionally redacted. Pure: the CLI (`cli_export_events.rs`) and the page's
//! worker (`web/explore.rs`) give the rows of a filter and the events' bytes.
//!
//! - [`csv`]: events as CSV (RFC 4180), the event table's columns plus `file`.
//! - [`jsonl`]: the side file of a JSON-lines export of several files (`line → file:line`).
//! - [`redact`]: secrets replaced, identities pseudonymized, counted by kind.

pub mod csv;
pub mod jsonl;
pub mod redact;

use crate::store::{Dim, Store};
use crate::util::format_rfc3339_micros;

/// A column of a CSV export. The keys are the page's (`ui::column_picker::Col::key` for
/// the optional ones) so a column choice travels from the page to the worker as text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Time,
    User,
    Impersonated,
    Verb,
    Resource,
    Namespace,
    Name,
    Uri,
    Code,
    LatencyMs,
    Level,
    Stage,
    Bytes,
    Reason,
    SourceIp,
    UserAgent,
    AuditId,
    Message,
    /// The name of the file the event was read from.
    File,
}

impl Column {
    pub const ALL: [Column; 19] = [
        Column::Time,
        Column::User,
        Column::Impersonated,
        Column::Verb,
        Column::Resource,
        Column::Namespace,
        Column::Name,
        Column::Uri,
        Column::Code,
        Column::LatencyMs,
        Column::Level,
        Column::Stage,
        Column::Bytes,
        Column::Reason,
        Column::SourceIp,
        Column::UserAgent,
        Column::AuditId,
        Column::Message,
        Column::File,
    ];
    /// The event table's fixed columns, in its order (time, user, verb, resource,
    /// namespace, name, code, latency, level, stage), with the request path of
    /// non-resource requests after the name.
    pub const TABLE: [Column; 12] = [
        Column::Time,
        Column::User,
        Column::Impersonated,
        Column::Verb,
        Column::Resource,
        Column::Namespace,
        Column::Name,
        Column::Uri,
        Column::Code,
        Column::LatencyMs,
        Column::Level,
        Column::Stage,
    ];
    /// The header (and the `--columns` name).
    pub fn key(self) -> &'static str {
        match self {
            Column::Time => "time",
            Column::User => "user",
            Column::Impersonated => "impersonated",
            Column::Verb => "verb",
            Column::Resource => "resource",
            Column::Namespace => "namespace",
            Column::Name => "name",
            Column::Uri => "uri",
            Column::Code => "code",
            Column::LatencyMs => "latency-ms",
            Column::Level => "level",
            Column::Stage => "stage",
            Column::Bytes => "bytes",
            Column::Reason => "reason",
            Column::SourceIp => "source-ip",
            Column::UserAgent => "user-agent",
            Column::AuditId => "audit-id",
            Column::Message => "message",
            Column::File => "file",
        }
    }
    pub fn from_key(k: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.key() == k)
    }

    /// The cell of row `r`, as the event table shows it (times in UTC with µs).
    pub fn cell(self, s: &Store, r: usize) -> String {
        match self {
            Column::Time => format_rfc3339_micros(s.received(r)),
            Column::User => s.str(Dim::User, r).to_string(),
            Column::Impersonated => s.str(Dim::ImpersonatedUser, r).to_string(),
            Column::Verb => s.str(Dim::Verb, r).to_string(),
            Column::Resource => {
                let (res, sub) = (s.str(Dim::Resource, r), s.str(Dim::Subresource, r));
                if sub.is_empty() {
                    res.to_string()
                } else {
                    format!("{res}/{sub}")
                }
            }
            Column::Namespace => s.str(Dim::Namespace, r).to_string(),
            Column::Name => s.str(Dim::Name, r).to_string(),
            Column::Uri => s.path(r),
            Column::Code => match s.code(r) {
                0 => String::new(),
                c => c.to_string(),
            },
            Column::LatencyMs => s
                .latency_known(r)
                .map_or(String::new(), |us| format!("{:.3}", us as f64 / 1000.0)),
            Column::Level => s.level(r).map_or("", |l| l.as_str()).to_string(),
            Column::Stage => s.stage(r).map_or("", |x| x.as_str()).to_string(),
            Column::Bytes => s.event_size(r).to_string(),
            Column::Reason => crate::analysis::describe::denial_reason(s, r),
            Column::SourceIp => s.first_source_ip(r).to_string(),
            Column::UserAgent => s.str(Dim::UserAgent, r).to_string(),
            Column::AuditId => s.audit_id(r),
            Column::Message => s.str(Dim::Message, r).to_string(),
            Column::File => s
                .files
                .get(s.file(r) as usize)
                .map_or(String::new(), |f| f.name.clone()),
        }
    }
}

/// Parses `a,b,c` column keys; an unknown key is an error naming the known ones.
pub fn parse_columns(list: &str) -> Result<Vec<Column>, String> {
    let mut out = Vec::new();
    for k in list.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        match Column::from_key(k) {
            Some(c) if !out.contains(&c) => out.push(c),
            Some(_) => {}
            None => {
                let known: Vec<&str> = Column::ALL.iter().map(|c| c.key()).collect();
                return Err(format!(
                    "unknown column '{k}' (known: {})",
                    known.join(", ")
                ));
            }
        }
    }
    if out.is_empty() {
        return Err("no columns chosen".into());
    }
    Ok(out)
}

/// The columns of a CSV export: the table's, then the optional ones the page shows
/// (`extra`, by key; unknown keys are ignored), then `file` when several files are loaded.
pub fn page_columns(extra: &[String], several_files: bool) -> Vec<Column> {
    let mut v: Vec<Column> = Column::TABLE.to_vec();
    for k in extra {
        if let Some(c) = Column::from_key(k) {
            if !v.contains(&c) {
                v.push(c);
            }
        }
    }
    if several_files && !v.contains(&Column::File) {
        v.push(Column::File);
    }
    v
}

/// Filter keys whose values say nothing about who or what (kept in a redacted export's
/// file name; other terms keep only their key).
const SAFE_KEYS: &[&str] = &[
    "verb", "v", "resource", "r", "code", "c", "level", "stage", "apigroup", "decision", "latency",
    "fact",
];

/// Longest name part for the filter.
const FILTER_PART_MAX: usize = 80;

/// `[A-Za-z0-9._]` kept, anything else one `-`, no leading/trailing `-`.
fn sanitize(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// `2026-11-02T0800` of a time in µs (UTC, minutes).
fn stamp(t: i64) -> String {
    let s = format_rfc3339_micros(t);
    // 2026-11-02T08:00:00.000000Z
    format!("{}T{}{}", &s[..10], &s[11..13], &s[14..16])
}

/// A file name that says what the export holds: the filter's terms (each `key-value`,
/// `not-` for a negated one), the time span (`2026-11-02T0800-1000Z`, both ends written
/// out when the days differ), `redacted`, the extension. Only `[A-Za-z0-9._-]`, at most
/// 80 bytes of filter. In a redacted export only the values of [`SAFE_KEYS`] are kept
/// (a name must not hold the user it hides).
pub fn file_name(filter: &str, span: Option<(i64, i64)>, redacted: bool, ext: &str) -> String {
    let mut parts = vec!["audit-lens".to_string()];
    let mut f = String::new();
    for term in split_terms(filter) {
        let (neg, t) = match term.strip_prefix('-').or_else(|| term.strip_prefix('!')) {
            Some(t) => (true, t),
            None => (false, term.as_str()),
        };
        let (k, v) = t.split_once(':').unwrap_or(("", t));
        let keep_value = !redacted || SAFE_KEYS.contains(&k.to_ascii_lowercase().as_str());
        let mut piece = String::new();
        if neg {
            piece.push_str("not-");
        }
        if !k.is_empty() {
            piece.push_str(k);
            if keep_value {
                piece.push('-');
            }
        }
        if keep_value {
            piece.push_str(v);
        } else if k.is_empty() {
            piece.push_str("text");
        }
        let piece = sanitize(&piece);
        if piece.is_empty() {
            continue;
        }
        if f.len() + piece.len() + 1 > FILTER_PART_MAX {
            f.push_str(if f.is_empty() { "filtered" } else { "_more" });
            break;
        }
        if !f.is_empty() {
            f.push('_');
        }
        f.push_str(&piece);
    }
    if !f.is_empty() {
        parts.push(f);
    }
    if let Some((a, b)) = span {
        let (sa, sb) = (stamp(a), stamp(b));
        parts.push(if sa[..10] == sb[..10] {
            format!("{sa}-{}Z", &sb[11..])
        } else {
            format!("{sa}Z-{sb}Z")
        });
    }
    if redacted {
        parts.push("redacted".into());
    }
    format!("{}.{}", parts.join("_"), sanitize(ext))
}

/// The filter's terms split at spaces outside double quotes.
fn split_terms(filter: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in filter.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The first and last received time of `rows` (time order), `None` when empty.
pub fn span(s: &Store, rows: &[u32]) -> Option<(i64, i64)> {
    let (a, b) = (rows.first()?, rows.last()?);
    let (x, y) = (s.received(*a as usize), s.received(*b as usize));
    Some((x.min(y), x.max(y)))
}

/// Loads JSON-lines texts (one per source file, by name) into a finalized store: a
/// redacted export's CSV is made from its redacted events read back, so no cell can hold
/// what the events no longer do.
pub fn reload(files: &[(String, Vec<u8>)]) -> Store {
    let mut s = Store::new();
    for (name, bytes) in files {
        let mut ing = crate::ingest::Ingester::new(&mut s, name, bytes.len() as u64);
        ing.push(&mut s, bytes);
        ing.finish(&mut s);
    }
    s.finalize();
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_say_what_they_hold() {
        // 2026-11-02T08:00:00Z and 10:00:00Z, hand-computed: 1793606400 s is 2026-11-02.
        let a = crate::util::parse_rfc3339_micros("2026-11-02T08:00:00Z").unwrap();
        let b = crate::util::parse_rfc3339_micros("2026-11-02T10:00:00Z").unwrap();
        assert_eq!(
            file_name("user:alice verb:delete", Some((a, b)), false, "csv"),
            "audit-lens_user-alice_verb-delete_2026-11-02T0800-1000Z.csv"
        );
        assert_eq!(
            file_name("user:alice verb:delete", Some((a, b)), true, "jsonl"),
            "audit-lens_user_verb-delete_2026-11-02T0800-1000Z_redacted.jsonl"
        );
        let c = crate::util::parse_rfc3339_micros("2026-11-03T01:30:00Z").unwrap();
        assert_eq!(
            file_name("-ns:\"a/b c\"", Some((a, c)), false, "csv"),
            "audit-lens_not-ns-a-b-c_2026-11-02T0800Z-2026-11-03T0130Z.csv"
        );
        let long = "name:".to_string() + &"x".repeat(300);
        let n = file_name(&long, None, false, "csv");
        assert!(n.len() < 120, "{n}");
        assert_eq!(file_name("", None, false, "jsonl"), "audit-lens.jsonl");
        assert!(file_name("../../etc/passwd", None, false, "csv")
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)));
    }
}
