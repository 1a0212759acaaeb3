//! Parser of the filter language (see the parent module for the syntax).
//!
//! Invariants: every term keeps the byte range `[start, end)` of its text in the input;
//! values are non-empty; `After`/`Before` terms hold exactly one value.

use super::body::{body_prefix, parse_path, BodyPath};
use serde::{Deserialize, Serialize};

/// A filterable field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    User,
    Group,
    Verb,
    Resource,
    ApiGroup,
    Namespace,
    Name,
    Code,
    Stage,
    Level,
    Ip,
    Agent,
    Decision,
    Rule,
    Uri,
    AuditId,
    After,
    Before,
    Latency,
    Impersonated,
    Reason,
    /// `req.<path>:` / `resp.<path>:` (the path is the term's `body`).
    Body,
    /// A security fact kept at ingest (`fact:privileged`).
    Fact,
    /// A container image of a pod spec.
    Image,
    /// The command of an exec / attach.
    Command,
    /// A binding's `roleRef` name.
    RoleRef,
    /// A `hostPath` volume's path of a pod spec.
    HostPath,
    /// Bare words: path and object name.
    Text,
}

/// Field names with their aliases, and a one-line help. The first name is canonical.
pub const FIELDS: &[(Field, &[&str], &str)] = &[
    (
        Field::User,
        &["user", "u"],
        "user: the authenticated or the impersonated one",
    ),
    (
        Field::Group,
        &["group", "groups", "g"],
        "a group of the user",
    ),
    (
        Field::Verb,
        &["verb", "v"],
        "get, list, watch, create, update, patch, delete…",
    ),
    (
        Field::Resource,
        &["resource", "res", "r"],
        "pods (no subresource), pods/* (with all), pods/exec, */exec, leases.coordination.k8s.io",
    ),
    (
        Field::ApiGroup,
        &["apigroup", "api"],
        "API group (\"\" is core)",
    ),
    (Field::Namespace, &["ns", "namespace", "n"], "namespace"),
    (Field::Name, &["name"], "object name"),
    (
        Field::Code,
        &["code", "status"],
        "HTTP code: 403, >=400, 5xx, 400-499",
    ),
    (
        Field::Stage,
        &["stage"],
        "RequestReceived, ResponseStarted, ResponseComplete, Panic",
    ),
    (
        Field::Level,
        &["level"],
        "recorded level: None, Metadata, Request, RequestResponse",
    ),
    (
        Field::Ip,
        &["ip", "sourceip", "source"],
        "source IP (any of the event's)",
    ),
    (Field::Agent, &["agent", "ua", "useragent"], "user agent"),
    (
        Field::Decision,
        &["decision", "authz"],
        "authorization decision: allow, forbid",
    ),
    (
        Field::Rule,
        &["rule"],
        "policy rule that decides the event (0-based), or none",
    ),
    (
        Field::Uri,
        &["uri", "path", "url"],
        "request path without query",
    ),
    (Field::AuditId, &["auditid", "id"], "audit ID"),
    (
        Field::After,
        &["after", "since", "from"],
        "received at or after a time (UTC)",
    ),
    (
        Field::Before,
        &["before", "until", "to"],
        "received before a time (UTC)",
    ),
    (
        Field::Latency,
        &["latency", "lat", "duration"],
        "stage time − received time: >1s, <=250ms",
    ),
    (
        Field::Impersonated,
        &["as", "impersonated"],
        "impersonated user (as:* = every impersonated request)",
    ),
    (
        Field::Reason,
        &["reason"],
        "response status reason: Forbidden, NotFound…",
    ),
    (
        Field::Fact,
        &["fact"],
        "security fact kept at ingest: privileged, hostNetwork, hostPath, runAsRoot, clusterAdmin, wildcardVerbs, grantsExec, exec…",
    ),
    (
        Field::Image,
        &["image", "img"],
        "container image of a pod or workload spec: image:*nginx*",
    ),
    (
        Field::Command,
        &["cmd", "command"],
        "exec / attach command, decoded: cmd:*cat*",
    ),
    (
        Field::RoleRef,
        &["roleref", "role"],
        "the role a binding grants: roleref:cluster-admin",
    ),
    (
        Field::HostPath,
        &["hostpath"],
        "a hostPath volume's path of a pod spec: hostpath:/var/run/docker.sock,/etc*",
    ),
];

/// One parsed term.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Term {
    pub field: Field,
    pub negate: bool,
    pub values: Vec<String>,
    pub start: usize,
    pub end: usize,
    /// For [`Field::Body`]: the path.
    #[serde(default)]
    pub body: Option<BodyPath>,
    /// Per value: was it written in double quotes (a body value is then literal).
    #[serde(default)]
    pub quoted: Vec<bool>,
}

/// A parse error with the byte range of the offending text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParseError {
    pub message: String,
    pub start: usize,
    pub end: usize,
}

/// Looks up a field name or alias (ASCII case ignored).
pub fn field_by_name(name: &str) -> Option<Field> {
    FIELDS
        .iter()
        .find(|(_, names, _)| names.iter().any(|n| n.eq_ignore_ascii_case(name)))
        .map(|(f, _, _)| *f)
}

/// Canonical name of a field.
pub fn field_name(f: Field) -> &'static str {
    FIELDS
        .iter()
        .find(|(x, _, _)| *x == f)
        .map_or("text", |(_, n, _)| n[0])
}

fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let c = if a[i - 1] == b[j - 1] { 0 } else { 1 };
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + c);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// One value token, read up to unquoted whitespace.
struct Token {
    /// The token with quotes removed (commas kept): a bare word.
    whole: String,
    /// Alternatives split on unquoted commas; an empty alternative is kept only when it
    /// was written as `""` (so `ns:""` selects cluster-scoped requests).
    alts: Vec<String>,
    /// Per alternative: was any part of it quoted.
    quoted: Vec<bool>,
    end: usize,
}

/// Reads one value token starting at `i`: quoted parts (`"a b,c"`, with `\` escapes) and
/// unquoted characters up to whitespace.
fn read_value(s: &str, mut i: usize) -> Result<Token, ParseError> {
    let b = s.as_bytes();
    let mut whole = String::new();
    let mut alts = Vec::new();
    let mut quoted_alts = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let push_alt = |cur: &mut String,
                    quoted: &mut bool,
                    alts: &mut Vec<String>,
                    quoted_alts: &mut Vec<bool>| {
        if !cur.is_empty() || *quoted {
            alts.push(std::mem::take(cur));
            quoted_alts.push(*quoted);
        }
        *quoted = false;
    };
    while i < b.len() && !b[i].is_ascii_whitespace() {
        if b[i] == b'"' {
            let q = i;
            quoted = true;
            i += 1;
            loop {
                match b.get(i) {
                    None => {
                        return Err(ParseError {
                            message: "unclosed quote".into(),
                            start: q,
                            end: s.len(),
                        });
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(b'\\') if i + 1 < b.len() => {
                        let c = s[i + 1..].chars().next().unwrap_or('\\');
                        cur.push(c);
                        whole.push(c);
                        i += 1 + c.len_utf8();
                    }
                    Some(_) => {
                        let c = s[i..].chars().next().unwrap_or(' ');
                        cur.push(c);
                        whole.push(c);
                        i += c.len_utf8();
                    }
                }
            }
        } else if b[i] == b',' {
            whole.push(',');
            push_alt(&mut cur, &mut quoted, &mut alts, &mut quoted_alts);
            i += 1;
        } else {
            let c = s[i..].chars().next().unwrap_or(' ');
            cur.push(c);
            whole.push(c);
            i += c.len_utf8();
        }
    }
    push_alt(&mut cur, &mut quoted, &mut alts, &mut quoted_alts);
    Ok(Token {
        whole,
        alts,
        quoted: quoted_alts,
        end: i,
    })
}

/// Parses a filter line into terms.
pub fn parse(s: &str) -> Result<Vec<Term>, ParseError> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut terms = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut words_range = (usize::MAX, 0usize);
    while i < b.len() {
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let negate = b[i] == b'-' && i + 1 < b.len() && !b[i + 1].is_ascii_whitespace();
        let body = if negate { i + 1 } else { i };
        if let Some((_, n)) = body_prefix(&s[body..]) {
            // `req.<path>:<value>` / `resp.<path>:<value>`
            let side = body_prefix(&s[body..]).map(|x| x.0);
            let (segs, colon) = parse_path(&s[body + n..]).map_err(|m| ParseError {
                message: format!("{}: {m}", &s[body..body + n]),
                start,
                end: s[start..]
                    .find(|c: char| c.is_ascii_whitespace())
                    .map_or(s.len(), |k| start + k),
            })?;
            let colon = body + n + colon;
            if b.get(colon) != Some(&b':') {
                let path = &s[body..colon];
                return Err(ParseError {
                    message: format!(
                        "{path} needs a value: {path}:true, {path}:\"text\", or {path}:* (the field exists)"
                    ),
                    start,
                    end: colon,
                });
            }
            let tok = read_value(s, colon + 1)?;
            if tok.alts.is_empty() {
                return Err(ParseError {
                    message: format!("{}: needs a value (or * for exists)", &s[body..colon]),
                    start,
                    end: tok.end,
                });
            }
            terms.push(Term {
                field: Field::Body,
                negate,
                values: tok.alts,
                start,
                end: tok.end,
                body: side.map(|side| BodyPath { side, segs }),
                quoted: tok.quoted,
            });
            i = tok.end;
            continue;
        }
        // field name: letters up to ':'
        let name_end = s[body..]
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .map_or(s.len(), |k| body + k);
        if name_end > body && b.get(name_end) == Some(&b':') {
            let name = &s[body..name_end];
            let Some(field) = field_by_name(name) else {
                let best = FIELDS
                    .iter()
                    .flat_map(|(_, ns, _)| ns.iter())
                    .min_by_key(|n| edit_distance(&name.to_ascii_lowercase(), n))
                    .copied()
                    .unwrap_or("user");
                return Err(ParseError {
                    message: format!("unknown field \"{name}:\" — did you mean \"{best}:\"? (press ? for the list)"),
                    start,
                    end: name_end + 1,
                });
            };
            let tok = read_value(s, name_end + 1)?;
            let (values, quoted, next) = (tok.alts, tok.quoted, tok.end);
            if values.is_empty() {
                return Err(ParseError {
                    message: format!("{name}: needs a value"),
                    start,
                    end: next,
                });
            }
            if matches!(field, Field::After | Field::Before) && values.len() > 1 {
                return Err(ParseError {
                    message: format!("{name}: takes one time"),
                    start,
                    end: next,
                });
            }
            terms.push(Term {
                field,
                negate,
                values,
                start,
                end: next,
                body: None,
                quoted,
            });
            i = next;
        } else {
            let tok = read_value(s, body)?;
            let (w, next) = (tok.whole, tok.end);
            if negate {
                terms.push(Term {
                    field: Field::Text,
                    negate: true,
                    values: vec![w],
                    start,
                    end: next,
                    body: None,
                    quoted: Vec::new(),
                });
            } else if !w.is_empty() {
                words.push(w);
                words_range = (words_range.0.min(start), next);
            }
            i = next;
        }
    }
    if !words.is_empty() {
        terms.push(Term {
            field: Field::Text,
            negate: false,
            values: words,
            start: words_range.0,
            end: words_range.1,
            body: None,
            quoted: Vec::new(),
        });
    }
    Ok(terms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let t = parse("user:alice* -verb:get,list  ns:\"kube system\" pods").unwrap();
        assert_eq!(t.len(), 4);
        assert_eq!(
            (t[0].field, t[0].negate, t[0].values.clone()),
            (Field::User, false, vec!["alice*".to_string()])
        );
        assert_eq!(
            (t[1].field, t[1].negate, t[1].values.len()),
            (Field::Verb, true, 2)
        );
        assert_eq!(t[2].values, ["kube system"]);
        assert_eq!(
            (t[3].field, t[3].values.clone()),
            (Field::Text, vec!["pods".to_string()])
        );
        assert_eq!(
            &"user:alice* -verb:get,list"[t[1].start..t[1].end],
            "-verb:get,list"
        );
    }

    #[test]
    fn quoted_commas_and_empty_values() {
        let t = parse(r#"agent:"a, b",c ns:"" name:x,,y"#).unwrap();
        assert_eq!(t[0].values, ["a, b", "c"]);
        assert_eq!(t[1].values, [""]);
        assert_eq!(t[2].values, ["x", "y"]);
        assert!(parse("ns:,").unwrap_err().message.contains("needs a value"));
    }

    #[test]
    fn empty_and_whitespace() {
        assert_eq!(parse("").unwrap(), vec![]);
        assert_eq!(parse("   \t ").unwrap(), vec![]);
    }

    #[test]
    fn errors_name_the_place() {
        let e = parse("verb:get usr:bob").unwrap_err();
        assert_eq!((e.start, e.end), (9, 13));
        assert!(
            e.message.contains("did you mean \"user:\""),
            "{}",
            e.message
        );
        let e = parse("ns:").unwrap_err();
        assert!(e.message.contains("needs a value"));
        let e = parse("name:\"open").unwrap_err();
        assert!(e.message.contains("unclosed quote"));
        let e = parse("after:a,b").unwrap_err();
        assert!(e.message.contains("one time"));
    }

    #[test]
    fn aliases_and_case() {
        assert_eq!(parse("NS:x").unwrap()[0].field, Field::Namespace);
        assert_eq!(parse("ua:curl*").unwrap()[0].field, Field::Agent);
        assert_eq!(
            parse("-secrets").unwrap()[0],
            Term {
                field: Field::Text,
                negate: true,
                values: vec!["secrets".into()],
                start: 0,
                end: 8,
                body: None,
                quoted: Vec::new(),
            }
        );
        // A lone '-' is a word, not a negation.
        assert_eq!(parse("- x").unwrap()[0].values, ["-", "x"]);
    }

    #[test]
    fn megabyte_filter_does_not_blow_up() {
        let s = "user:a ".repeat(200_000);
        assert_eq!(parse(&s).unwrap().len(), 200_000);
    }
}
