//! The whole view as URL-hash parts, and back.
//!
//! The page keeps its view in the URL's fragment (never sent to a server) as
//! `key=value` pairs joined by `&`, values encoded as `encodeURIComponent` does:
//!
//! | key | what | example |
//! |---|---|---|
//! | `f` | the applied filter | `verb:delete` |
//! | `from`, `to` | the time range, µs since the epoch | |
//! | `stack` | what the timeline stacks by (default `verb`) | `user` |
//! | `tops` | the top panels' order (default events) | `bytes` |
//! | `ev` | the selected event: `<auditID>.<stage>` | `0b1c….ResponseComplete` |
//! | `group` | one row per request (its last stage) | `request` |
//! | `sort` | the table's order (default time ascending) | `time-desc`, `latency-desc`, `latency-asc` |
//! | `cols` | the table's optional columns, in order | `reason,source-ip` |
//! | `tz` | times shown in the browser's zone (default UTC) | `local` |
//! | `tab` | the tab (default Explore) | `policy` |
//! | `k8s` | the Policy tab's Kubernetes version (default the newest) | `1.30` |
//! | `file` | a loaded file, once per file: `<short hash>.<size>.<name>` | `ce91dc5eec01.3.a.log` |
//!
//! A case file keeps the same keys (all but `file`, which it keeps as its `files`).

use super::ident::FileIdentity;

/// The hash keys of the view (those a case file's `view` may hold).
pub const VIEW_KEYS: &[&str] = &[
    "f", "from", "to", "stack", "tops", "ev", "group", "sort", "cols", "tz", "tab", "k8s",
];

/// The key of a loaded file's identity (repeated, one per file).
pub const FILE_KEY: &str = "file";

/// An event named by its request's audit ID and its stage.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventRef {
    pub audit_id: String,
    pub stage: String,
}

impl EventRef {
    /// `<auditID>.<stage>`.
    pub fn param(&self) -> String {
        format!("{}.{}", self.audit_id, self.stage)
    }

    /// Reads `<auditID>.<stage>` (split at the last dot: stages have none, an audit ID
    /// that is not a UUID may).
    pub fn parse(s: &str) -> Option<EventRef> {
        let (a, st) = s.rsplit_once('.')?;
        (!a.is_empty() && crate::audit::Stage::parse(st).is_some()).then(|| EventRef {
            audit_id: a.to_string(),
            stage: st.to_string(),
        })
    }
}

/// `<short hash>.<size>.<name>`.
pub fn file_param(f: &FileIdentity) -> String {
    format!("{}.{}.{}", f.hash, f.size, f.name)
}

/// Reads [`file_param`]'s form (the name is the rest, dots and all).
pub fn parse_file_param(s: &str) -> Option<FileIdentity> {
    let (hash, rest) = s.split_once('.')?;
    let (size, name) = rest.split_once('.')?;
    let ok = !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_hexdigit());
    Some(FileIdentity {
        name: name.to_string(),
        size: size.parse().ok()?,
        hash: ok.then(|| hash.to_ascii_lowercase())?,
    })
}

/// The files a hash names (in its order, each once).
pub fn expected_files(parts: &[(String, String)]) -> Vec<FileIdentity> {
    let mut v: Vec<FileIdentity> = Vec::new();
    for (k, val) in parts {
        if k == FILE_KEY {
            if let Some(f) = parse_file_param(val) {
                if !v.contains(&f) {
                    v.push(f);
                }
            }
        }
    }
    v
}

/// The event a hash selects.
pub fn selected_event(parts: &[(String, String)]) -> Option<EventRef> {
    parts
        .iter()
        .find(|(k, _)| k == "ev")
        .and_then(|(_, v)| EventRef::parse(v))
}

/// The value of `key` (the first one).
pub fn get<'a>(parts: &'a [(String, String)], key: &str) -> Option<&'a str> {
    parts
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The view keys of `parts` (no `file`, no unknown key), first occurrence of each.
pub fn view_only(parts: &[(String, String)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = Vec::new();
    for (k, val) in parts {
        if VIEW_KEYS.contains(&k.as_str()) && !v.iter().any(|(x, _)| x == k) {
            v.push((k.clone(), val.clone()));
        }
    }
    v
}

/// `parts` with `files` appended as `file=` parts.
pub fn with_files(
    mut parts: Vec<(String, String)>,
    files: &[FileIdentity],
) -> Vec<(String, String)> {
    parts.retain(|(k, _)| k != FILE_KEY);
    parts.extend(files.iter().map(|f| (FILE_KEY.to_string(), file_param(f))));
    parts
}

fn unreserved(b: u8) -> bool {
    // encodeURIComponent leaves A–Z a–z 0–9 - _ . ! ~ * ' ( ) as they are.
    b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b)
}

/// Encodes `s` as `encodeURIComponent` does (UTF-8, `%XX` upper case).
pub fn encode(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if unreserved(b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// Decodes `%XX` escapes; `None` when they do not make UTF-8 (as `decodeURIComponent`
/// throws). A `+` stays a `+`.
pub fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut o = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = s.get(i + 1..i + 3)?;
            o.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            o.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(o).ok()
}

/// `#k=v&k=v` (or `k=v&…`) into pairs; pairs without `=` or with bad escapes are skipped.
pub fn parse_fragment(s: &str) -> Vec<(String, String)> {
    s.trim_start_matches('#')
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter_map(|(k, v)| Some((decode(k)?, decode(v)?)))
        .collect()
}

/// Pairs into `k=v&k=v` (no `#`).
pub fn write_fragment(parts: &[(String, String)]) -> String {
    parts
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(k: &str, v: &str) -> (String, String) {
        (k.into(), v.into())
    }

    #[test]
    fn event_refs() {
        let e = EventRef::parse("033d17af-082d-4b24-aa22-627752e83d71.ResponseComplete").unwrap();
        assert_eq!(e.audit_id, "033d17af-082d-4b24-aa22-627752e83d71");
        assert_eq!(e.stage, "ResponseComplete");
        assert_eq!(EventRef::parse(&e.param()), Some(e));
        // A non-UUID audit ID with dots: split at the last one.
        assert_eq!(EventRef::parse("a.b.Panic").unwrap().audit_id, "a.b");
        assert_eq!(EventRef::parse("abc.Done"), None, "not a stage");
        assert_eq!(EventRef::parse(".Panic"), None);
        assert_eq!(EventRef::parse("abc"), None);
    }

    #[test]
    fn file_params() {
        let f = FileIdentity {
            name: "kube-apiserver.audit.2026-12-01.log.gz".into(),
            size: 123_456,
            hash: "ce91dc5eec01".into(),
        };
        assert_eq!(
            file_param(&f),
            "ce91dc5eec01.123456.kube-apiserver.audit.2026-12-01.log.gz"
        );
        assert_eq!(parse_file_param(&file_param(&f)), Some(f.clone()));
        assert_eq!(parse_file_param("zz.1.a"), None, "not hex");
        assert_eq!(parse_file_param("ab.x.a"), None, "size not a number");
        assert_eq!(parse_file_param("ab.1"), None);
        let parts = vec![
            p("f", "verb:get"),
            p("file", &file_param(&f)),
            p("file", &file_param(&f)),
            p("file", "bad"),
        ];
        assert_eq!(expected_files(&parts), vec![f.clone()]);
        assert_eq!(view_only(&parts), vec![p("f", "verb:get")]);
        assert_eq!(
            with_files(vec![p("tab", "policy")], std::slice::from_ref(&f)),
            vec![p("tab", "policy"), p("file", &file_param(&f))]
        );
    }

    #[test]
    fn fragment_codec_is_encode_uri_component() {
        // encodeURIComponent("verb:get user:\"a b\" & ünï/x#y") in a browser:
        // verb%3Aget%20user%3A%22a%20b%22%20%26%20%C3%BCn%C3%AF%2Fx%23y
        assert_eq!(
            encode("verb:get user:\"a b\" & ünï/x#y"),
            "verb%3Aget%20user%3A%22a%20b%22%20%26%20%C3%BCn%C3%AF%2Fx%23y"
        );
        assert_eq!(encode("a-b_c.d!e~f*g'h(i)"), "a-b_c.d!e~f*g'h(i)");
        let parts = vec![
            p("f", "ns:kube-system -verb:watch"),
            p("ev", "x.Panic"),
            p("cols", "reason,source-ip"),
        ];
        let s = write_fragment(&parts);
        assert_eq!(
            s,
            "f=ns%3Akube-system%20-verb%3Awatch&ev=x.Panic&cols=reason%2Csource-ip"
        );
        assert_eq!(parse_fragment(&format!("#{s}")), parts);
        assert_eq!(decode("%E2%82"), None, "cut UTF-8");
        assert_eq!(decode("%G1"), None);
        assert_eq!(parse_fragment("#a=%ZZ&b=1&c"), vec![p("b", "1")]);
    }
}
