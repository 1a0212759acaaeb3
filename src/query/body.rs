//! Body predicates: `req.<path>:<value>` and `resp.<path>:<value>` test an event's
//! `requestObject` / `responseObject`.
//!
//! ```text
//! req.spec.containers[*].securityContext.privileged:true   any container privileged
//! req.roleRef.name:cluster-admin                           a binding to cluster-admin
//! resp.status.reason:*                                     the field exists (not null)
//! req.rules[*].verbs:"*"                                   a quoted value is literal: a "*" verb
//! req.metadata.labels."app.kubernetes.io/name":web         a key with dots, quoted
//! resp.spec.replicas:>3                                    numbers compare with > >= < <=
//! -req.spec.hostNetwork:true                               negation
//! ```
//! Paths: keys separated by `.` (matched exactly: Kubernetes field names are
//! case-sensitive); `[*]` every element of an array, `[N]` one element; `*` as a key
//! every member of an object. A key applied to an array applies to each element, so
//! `[*]` may be left out. Values as in the rest of the language: `*` globs, case ignored,
//! `,` alternatives; a quoted value is taken literally. A term holds when any value the
//! path reaches matches.
//!
//! Evaluation never builds the JSON: the event's bytes are walked, values that the path
//! does not enter are skipped. Malformed bytes never panic: the walk stops at the damage
//! (a value before it may still be found).

use super::glob;
use memchr::memmem;
use std::collections::HashMap;

/// Which body a predicate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Side {
    /// `req.`: `requestObject`.
    Req,
    /// `resp.`: `responseObject`.
    Resp,
}

impl Side {
    /// The event's key for this body.
    pub fn key(self) -> &'static str {
        match self {
            Side::Req => "requestObject",
            Side::Resp => "responseObject",
        }
    }
    /// The prefix in the filter language.
    pub fn prefix(self) -> &'static str {
        match self {
            Side::Req => "req.",
            Side::Resp => "resp.",
        }
    }
}

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Seg {
    Key(String),
    /// `*`: every member of an object (or element of an array).
    AnyKey,
    Index(usize),
    /// `[*]`.
    AnyIndex,
}

/// A parsed body path (`req.spec.containers[*].image`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BodyPath {
    pub side: Side,
    pub segs: Vec<Seg>,
}

/// If `s` starts a body path (`req.` / `resp.`, ASCII case ignored), its side and the
/// length of the prefix.
pub fn body_prefix(s: &str) -> Option<(Side, usize)> {
    let b = s.as_bytes();
    for side in [Side::Req, Side::Resp] {
        let p = side.prefix().as_bytes();
        if b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p) {
            return Some((side, p.len()));
        }
    }
    None
}

/// Reads a path from `s` (after the `req.`/`resp.` prefix) up to the first `:` outside
/// quotes or brackets. Returns the segments and the byte index of that `:` (or of the end
/// of the token when there is none).
pub fn parse_path(s: &str) -> Result<(Vec<Seg>, usize), String> {
    let b = s.as_bytes();
    let mut segs = Vec::new();
    let mut i = 0;
    // true when the next thing must be a key (start, or after '.')
    let mut want_key = true;
    loop {
        if want_key {
            if i < b.len() && b[i] == b'"' {
                let mut k = String::new();
                i += 1;
                loop {
                    match b.get(i) {
                        None => return Err("unclosed quote in the path".into()),
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(b'\\') if i + 1 < b.len() => {
                            let c = s[i + 1..].chars().next().unwrap_or('\\');
                            k.push(c);
                            i += 1 + c.len_utf8();
                        }
                        Some(_) => {
                            let c = s[i..].chars().next().unwrap_or(' ');
                            k.push(c);
                            i += c.len_utf8();
                        }
                    }
                }
                segs.push(Seg::Key(k));
            } else {
                let st = i;
                while i < b.len()
                    && !matches!(b[i], b'.' | b'[' | b':' | b'"')
                    && !b[i].is_ascii_whitespace()
                {
                    i += 1;
                }
                let k = &s[st..i];
                if k.is_empty() {
                    return Err(if segs.is_empty() {
                        "a field path is missing after the prefix (e.g. req.spec.hostNetwork:true)"
                            .into()
                    } else {
                        "empty key in the path (two dots?)".into()
                    });
                }
                segs.push(if k == "*" {
                    Seg::AnyKey
                } else {
                    Seg::Key(k.to_string())
                });
            }
            want_key = false;
            continue;
        }
        match b.get(i) {
            Some(b'[') => {
                let close = s[i..]
                    .find(']')
                    .map(|k| i + k)
                    .ok_or("unclosed [ in the path")?;
                let inner = s[i + 1..close].trim();
                segs.push(if inner == "*" {
                    Seg::AnyIndex
                } else {
                    Seg::Index(inner.parse().map_err(|_| {
                        format!("[{inner}] is not an index (use [*] or a number such as [0])")
                    })?)
                });
                i = close + 1;
            }
            Some(b'.') => {
                i += 1;
                want_key = true;
            }
            Some(b':') => return Ok((segs, i)),
            None => return Ok((segs, i)),
            Some(c) if c.is_ascii_whitespace() => return Ok((segs, i)),
            Some(_) => {
                return Err(format!(
                    "unexpected {:?} in the path",
                    s[i..].chars().next().unwrap_or(' ')
                ))
            }
        }
    }
}

/// The path as the language writes it (quotes where a key needs them).
pub fn path_text(side: Side, segs: &[Seg]) -> String {
    let mut out = side.prefix().trim_end_matches('.').to_string();
    for s in segs {
        match s {
            Seg::Key(k) => {
                out.push('.');
                if k.is_empty()
                    || k.contains(|c: char| {
                        matches!(c, '.' | '[' | ']' | ':' | '"' | '*' | ',') || c.is_whitespace()
                    })
                {
                    out.push('"');
                    out.push_str(&k.replace('\\', "\\\\").replace('"', "\\\""));
                    out.push('"');
                } else {
                    out.push_str(k);
                }
            }
            Seg::AnyKey => out.push_str(".*"),
            Seg::Index(n) => out.push_str(&format!("[{n}]")),
            Seg::AnyIndex => out.push_str("[*]"),
        }
    }
    out
}

/// One value alternative of a body term.
#[derive(Clone, Debug, PartialEq)]
enum Want {
    /// `*`: present and not null.
    Exists,
    /// Glob, ASCII case ignored (`*` any run).
    Glob(String),
    /// A quoted value: equal, ASCII case ignored, no wildcards.
    Literal(String),
    /// `>N`, `>=N`, `<N`, `<=N` on numbers.
    Cmp(CmpOp, f64),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum CmpOp {
    Gt,
    Ge,
    Lt,
    Le,
}

/// A compiled body term (negation is the filter's).
#[derive(Clone, Debug)]
pub struct BodyTest {
    pub path: BodyPath,
    wants: Vec<Want>,
    /// `"lastkey"` as it must appear in the bytes for the term to hold, when known.
    needle: Option<Vec<u8>>,
}

impl BodyTest {
    /// `values`: the term's alternatives; `quoted[i]` when alternative i was quoted.
    pub fn new(path: BodyPath, values: &[String], quoted: &[bool]) -> BodyTest {
        let wants = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if quoted.get(i).copied().unwrap_or(false) {
                    return Want::Literal(v.clone());
                }
                if v == "*" {
                    return Want::Exists;
                }
                let t = v.trim();
                for (p, op) in [
                    (">=", CmpOp::Ge),
                    ("<=", CmpOp::Le),
                    (">", CmpOp::Gt),
                    ("<", CmpOp::Lt),
                ] {
                    if let Some(n) = t.strip_prefix(p).and_then(|x| x.trim().parse::<f64>().ok()) {
                        return Want::Cmp(op, n);
                    }
                }
                Want::Glob(v.clone())
            })
            .collect();
        let needle = path.segs.iter().rev().find_map(|s| match s {
            Seg::Key(k)
                if !k.is_empty()
                    && k.bytes()
                        .all(|c| c.is_ascii() && c != b'"' && c != b'\\' && c >= 0x20) =>
            {
                Some(format!("\"{k}\"").into_bytes())
            }
            _ => None,
        });
        BodyTest {
            path,
            wants,
            needle,
        }
    }

    /// Does the event (its JSON bytes) hold a value at the path that matches?
    pub fn matches(&self, event: &[u8]) -> bool {
        // The last key must appear as written, unless the event escapes characters
        // with `\u` (kube-apiserver's encoder escapes no letters, but a log can).
        if let Some(n) = &self.needle {
            if memmem::find(event, n).is_none() && memmem::find(event, b"\\u").is_none() {
                return false;
            }
        }
        let Some(body) = member(event, skip_ws(event, 0), self.path.side.key()) else {
            return false;
        };
        let mut hit = false;
        walk(event, body, &self.path.segs, &mut |v| {
            if !hit && self.wants.iter().any(|w| leaf_matches(event, v, w)) {
                hit = true;
            }
            hit
        });
        hit
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// End (exclusive) of the string starting at the quote `b[i]`.
fn skip_string(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        let k = memchr::memchr2(b'"', b'\\', b.get(j..)?)?;
        j += k;
        if b[j] == b'\\' {
            j += 2;
        } else {
            return Some(j + 1);
        }
    }
}

/// End (exclusive) of the value starting at `b[i]` (no leading whitespace).
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => skip_string(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = skip_string(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

/// The string at `b[i..end]` (quotes included) unescaped.
fn string_text(b: &[u8], i: usize, end: usize) -> Option<String> {
    let raw = b.get(i..end)?;
    if !raw.contains(&b'\\') {
        return std::str::from_utf8(raw.get(1..raw.len().checked_sub(1)?)?)
            .ok()
            .map(str::to_string);
    }
    serde_json::from_slice::<String>(raw).ok()
}

/// Calls `f(key_start, key_end, value_start)` for each member of the object at `b[i]`;
/// stops when `f` returns true. `None` when `b[i]` is not an object or it is malformed.
fn members(b: &[u8], i: usize, f: &mut dyn FnMut(usize, usize, usize) -> bool) -> Option<()> {
    if b.get(i) != Some(&b'{') {
        return None;
    }
    let mut j = skip_ws(b, i + 1);
    if b.get(j) == Some(&b'}') {
        return Some(());
    }
    loop {
        if b.get(j) != Some(&b'"') {
            return None;
        }
        let ke = skip_string(b, j)?;
        let c = skip_ws(b, ke);
        if b.get(c) != Some(&b':') {
            return None;
        }
        let v = skip_ws(b, c + 1);
        if f(j, ke, v) {
            return Some(());
        }
        let ve = skip_value(b, v)?;
        j = skip_ws(b, ve);
        match b.get(j) {
            Some(b',') => j = skip_ws(b, j + 1),
            Some(b'}') => return Some(()),
            _ => return None,
        }
    }
}

/// Calls `f(value_start)` for each element of the array at `b[i]`; stops when `f` returns true.
fn elements(b: &[u8], i: usize, f: &mut dyn FnMut(usize) -> bool) -> Option<()> {
    if b.get(i) != Some(&b'[') {
        return None;
    }
    let mut j = skip_ws(b, i + 1);
    if b.get(j) == Some(&b']') {
        return Some(());
    }
    loop {
        if f(j) {
            return Some(());
        }
        let ve = skip_value(b, j)?;
        j = skip_ws(b, ve);
        match b.get(j) {
            Some(b',') => j = skip_ws(b, j + 1),
            Some(b']') => return Some(()),
            _ => return None,
        }
    }
}

fn key_is(b: &[u8], ks: usize, ke: usize, key: &str) -> bool {
    let raw = &b[ks + 1..ke - 1];
    if !raw.contains(&b'\\') {
        return raw == key.as_bytes();
    }
    string_text(b, ks, ke).is_some_and(|k| k == key)
}

/// The value of member `key` of the object at `b[i]`.
fn member(b: &[u8], i: usize, key: &str) -> Option<usize> {
    let mut at = None;
    members(b, i, &mut |ks, ke, v| {
        if key_is(b, ks, ke, key) {
            at = Some(v);
            true
        } else {
            false
        }
    });
    at
}

/// Visits every value the path reaches from `b[i]`; `f` returns true to stop.
/// Returns true when stopped.
fn walk(b: &[u8], i: usize, segs: &[Seg], f: &mut dyn FnMut(usize) -> bool) -> bool {
    walk_d(b, i, segs, f, 0)
}

/// Nesting followed at most (a hostile body of a million `[` must not exhaust the stack).
const MAX_DEPTH: usize = 256;

fn walk_d(b: &[u8], i: usize, segs: &[Seg], f: &mut dyn FnMut(usize) -> bool, d: usize) -> bool {
    if d > MAX_DEPTH {
        return false;
    }
    let Some((seg, rest)) = segs.split_first() else {
        return f(i);
    };
    let mut stop = false;
    match (seg, b.get(i)) {
        (Seg::Key(k), Some(b'{')) => {
            if let Some(v) = member(b, i, k) {
                stop = walk_d(b, v, rest, f, d + 1);
            }
        }
        (Seg::AnyKey, Some(b'{')) => {
            members(b, i, &mut |_, _, v| {
                stop = walk_d(b, v, rest, f, d + 1);
                stop
            });
        }
        // A key (or `*`) applied to an array applies to each element.
        (Seg::Key(_) | Seg::AnyKey | Seg::AnyIndex, Some(b'[')) => {
            let next = if matches!(seg, Seg::AnyIndex) {
                rest
            } else {
                segs
            };
            elements(b, i, &mut |v| {
                stop = walk_d(b, v, next, f, d + 1);
                stop
            });
        }
        (Seg::Index(n), Some(b'[')) => {
            let mut k = 0usize;
            elements(b, i, &mut |v| {
                if k == *n {
                    stop = walk_d(b, v, rest, f, d + 1);
                    return true;
                }
                k += 1;
                false
            });
        }
        _ => {}
    }
    stop
}

fn leaf_matches(b: &[u8], i: usize, w: &Want) -> bool {
    leaf_d(b, i, w, 0)
}

fn leaf_d(b: &[u8], i: usize, w: &Want, d: usize) -> bool {
    if d > MAX_DEPTH {
        return false;
    }
    let Some(&c) = b.get(i) else {
        return false;
    };
    if c == b'[' {
        // A path ending at an array: any element that matches (`*`: the array exists).
        if *w == Want::Exists {
            return true;
        }
        let mut hit = false;
        elements(b, i, &mut |v| {
            hit = leaf_d(b, v, w, d + 1);
            hit
        });
        return hit;
    }
    let Some(end) = skip_value(b, i) else {
        return false;
    };
    match w {
        Want::Exists => &b[i..end] != b"null",
        Want::Glob(p) | Want::Literal(p) => {
            let text = match c {
                b'"' => match string_text(b, i, end) {
                    Some(t) => t,
                    None => return false,
                },
                b'{' => return false,
                _ => match std::str::from_utf8(&b[i..end]) {
                    Ok(t) => t.to_string(),
                    Err(_) => return false,
                },
            };
            match w {
                Want::Literal(p) => p.eq_ignore_ascii_case(&text),
                _ => glob(p, &text),
            }
        }
        Want::Cmp(op, n) => {
            if !(c == b'-' || c.is_ascii_digit()) {
                return false;
            }
            let Some(x) = std::str::from_utf8(&b[i..end])
                .ok()
                .and_then(|t| t.parse::<f64>().ok())
            else {
                return false;
            };
            match op {
                CmpOp::Gt => x > *n,
                CmpOp::Ge => x >= *n,
                CmpOp::Lt => x < *n,
                CmpOp::Le => x <= *n,
            }
        }
    }
}

/// Paths seen in bodies, for completion: each path with `[*]` for arrays, and how many
/// bodies hold it.
#[derive(Clone, Debug, Default)]
pub struct PathSet {
    pub paths: HashMap<String, u32>,
    /// Bodies read.
    pub bodies: u32,
}

/// Distinct paths kept at most (label and annotation keys can be many).
pub const MAX_PATHS: usize = 20_000;

impl PathSet {
    /// Adds every path of the event's `requestObject` and `responseObject`.
    pub fn add_event(&mut self, event: &[u8]) {
        for side in [Side::Req, Side::Resp] {
            if let Some(v) = member(event, skip_ws(event, 0), side.key()) {
                self.bodies += 1;
                let mut seen: Vec<String> = Vec::new();
                let mut segs = Vec::new();
                collect(event, v, side, &mut segs, &mut seen, 0);
                seen.sort_unstable();
                seen.dedup();
                for p in seen {
                    if let Some(c) = self.paths.get_mut(&p) {
                        *c += 1;
                    } else if self.paths.len() < MAX_PATHS {
                        self.paths.insert(p, 1);
                    }
                }
            }
        }
    }

    /// Paths starting with `prefix` (ASCII case ignored), most frequent first.
    pub fn starting_with(&self, prefix: &str, max: usize) -> Vec<(String, u32)> {
        let p = prefix.to_ascii_lowercase();
        let mut v: Vec<(String, u32)> = self
            .paths
            .iter()
            .filter(|(k, _)| k.to_ascii_lowercase().starts_with(&p))
            .map(|(k, c)| (k.clone(), *c))
            .collect();
        v.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| a.0.len().cmp(&b.0.len()))
                .then_with(|| a.0.cmp(&b.0))
        });
        v.truncate(max);
        v
    }
}

fn collect(
    b: &[u8],
    i: usize,
    side: Side,
    segs: &mut Vec<Seg>,
    out: &mut Vec<String>,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    match b.get(i) {
        Some(b'{') => {
            let mut any = false;
            members(b, i, &mut |ks, ke, v| {
                any = true;
                if let Some(k) = string_text(b, ks, ke) {
                    // managedFields' fieldsV1 keys (`f:spec`) are not fields anyone filters on.
                    if k.starts_with("f:") || k.starts_with("k:") || k.starts_with("v:") {
                        return false;
                    }
                    segs.push(Seg::Key(k));
                    collect(b, v, side, segs, out, depth + 1);
                    segs.pop();
                }
                false
            });
            if !any && !segs.is_empty() {
                out.push(path_text(side, segs));
            }
        }
        Some(b'[') => {
            segs.push(Seg::AnyIndex);
            let mut any = false;
            elements(b, i, &mut |v| {
                any = true;
                collect(b, v, side, segs, out, depth + 1);
                false
            });
            if !any {
                out.push(path_text(side, segs));
            }
            segs.pop();
        }
        Some(_) if !segs.is_empty() => out.push(path_text(side, segs)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(path: &str, vals: &[&str], quoted: &[bool]) -> BodyTest {
        let (side, n) = body_prefix(path).unwrap();
        let (segs, end) = parse_path(&path[n..]).unwrap();
        assert_eq!(end, path.len() - n);
        BodyTest::new(
            BodyPath { side, segs },
            &vals.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            quoted,
        )
    }

    const POD: &str = r#"{"kind":"Event","requestObject":{"kind":"Pod","metadata":{"name":"p","labels":{"app.kubernetes.io/name":"web"}},"spec":{"hostNetwork":true,"containers":[{"name":"a","image":"nginx:1","securityContext":{"privileged":false}},{"name":"b","image":"busybox","securityContext":{"privileged":true,"runAsUser":0}}]}},"responseObject":{"kind":"Status","status":"Failure","reason":"Forbidden","code":403,"details":null}}"#;

    #[test]
    fn paths_and_values() {
        let e = POD.as_bytes();
        assert!(t(
            "req.spec.containers[*].securityContext.privileged",
            &["true"],
            &[]
        )
        .matches(e));
        assert!(t(
            "req.spec.containers.securityContext.privileged",
            &["true"],
            &[]
        )
        .matches(e));
        assert!(!t(
            "req.spec.containers[0].securityContext.privileged",
            &["true"],
            &[]
        )
        .matches(e));
        assert!(t(
            "req.spec.containers[1].securityContext.runAsUser",
            &["0"],
            &[]
        )
        .matches(e));
        assert!(t("req.spec.containers[*].image", &["busy*"], &[]).matches(e));
        assert!(t("req.spec.hostNetwork", &["TRUE"], &[]).matches(e));
        assert!(!t("req.spec.hostPID", &["*"], &[]).matches(e));
        assert!(t("resp.reason", &["*"], &[]).matches(e));
        assert!(
            !t("resp.details", &["*"], &[]).matches(e),
            "null does not exist"
        );
        assert!(t("resp.code", &[">=400"], &[]).matches(e));
        assert!(!t("resp.code", &["<400"], &[]).matches(e));
        assert!(t(
            r#"req.metadata.labels."app.kubernetes.io/name""#,
            &["web"],
            &[]
        )
        .matches(e));
        assert!(t("req.metadata.labels.*", &["web"], &[]).matches(e));
        assert!(
            !t("req.Spec.hostNetwork", &["true"], &[]).matches(e),
            "keys are case-sensitive"
        );
        assert!(
            !t("resp.spec.hostNetwork", &["true"], &[]).matches(e),
            "the other body"
        );
        assert!(t("req.spec.containers", &["*"], &[]).matches(e));
    }

    #[test]
    fn quoted_star_is_literal() {
        let e = br#"{"requestObject":{"rules":[{"verbs":["get","list"]},{"verbs":["*"],"resources":["pods"]}]}}"#;
        assert!(t("req.rules[*].verbs", &["*"], &[true]).matches(e));
        let e2 = br#"{"requestObject":{"rules":[{"verbs":["get"]}]}}"#;
        assert!(!t("req.rules[*].verbs", &["*"], &[true]).matches(e2));
        assert!(t("req.rules[*].verbs", &["*"], &[false]).matches(e2));
    }

    #[test]
    fn escapes_whitespace_and_garbage() {
        let e = b"{ \"requestObject\" : { \"a\\u0062\" : [ 1 , \"x\\\"y\" ] } }";
        assert!(t("req.ab", &["1"], &[]).matches(e));
        assert!(t("req.ab", &["x\"y"], &[true]).matches(e));
        for bad in [
            &b"{\"requestObject\":{\"a\":"[..],
            b"{\"requestObject\":[",
            b"",
            b"\"",
        ] {
            assert!(!t("req.a", &["*"], &[]).matches(bad));
        }
    }

    #[test]
    fn path_errors_and_text() {
        assert!(parse_path("").is_err());
        assert!(parse_path("a..b").is_err());
        assert!(parse_path("a[x]").is_err());
        assert!(parse_path("a[1").is_err());
        assert!(parse_path("\"a").is_err());
        let (segs, end) = parse_path("spec.containers[*].image:nginx").unwrap();
        assert_eq!(end, 24);
        assert_eq!(path_text(Side::Req, &segs), "req.spec.containers[*].image");
        assert_eq!(
            path_text(
                Side::Resp,
                &[Seg::Key("metadata".into()), Seg::Key("a.b/c".into())]
            ),
            "resp.metadata.\"a.b/c\""
        );
    }

    #[test]
    fn paths_seen() {
        let mut ps = PathSet::default();
        ps.add_event(POD.as_bytes());
        assert_eq!(ps.bodies, 2);
        let got = ps.starting_with("req.spec.containers[*].s", 10);
        let names: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        assert!(
            names.contains(&"req.spec.containers[*].securityContext.privileged"),
            "{names:?}"
        );
        assert!(ps
            .paths
            .contains_key("req.metadata.labels.\"app.kubernetes.io/name\""));
        assert!(ps.paths.contains_key("resp.reason"));
    }
}
