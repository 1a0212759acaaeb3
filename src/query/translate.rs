//! The filter language in the query languages where long retention lives: jq (over the
//! audit log files themselves), Loki's LogQL, CloudWatch Logs Insights (EKS control-plane
//! logs) and Kusto (KQL, Azure Monitor's `AKSAudit` table).
//!
//! Each term is first read into a [`Cond`], with the meaning the page gives it
//! (`query/mod.rs`): values are ASCII-case-insensitive globs (`*` any run; without `*` the
//! whole value), `,` alternatives, `-` negation; `user:` is the authenticated or the
//! impersonated user; `resource:` follows kube-apiserver's policy meaning of
//! `pods`, `pods/*`, `*/exec`; bare words are substrings of the object name or the request
//! path. Then each language renders the conditions.
//!
//! The jq program is exact: it reads the same JSON lines (or documents, or an EventList)
//! and selects the same events `audit-lens query` selects (tests/query_translate.rs runs
//! it with the real jq). The other three are as close as their languages allow; every
//! place where they can differ is said in [`Translation::notes`], and terms they cannot
//! express are refused with the term's byte range. Terms that depend on what only this
//! engine computes (`rule:` needs the policy's evaluation; `fact:`, `image:`, `cmd:`,
//! `roleref:`, `hostpath:` are read from bodies at ingest) are refused everywhere: use
//! `audit-lens sql` for the policy's rules.

use super::body::{BodyPath, Seg, Side};
use super::parse::{field_name, parse, Field, Term};
use super::{code_range, glob, latency_range, parse_time};
use crate::audit::{Level, Stage};
use crate::util::format_rfc3339_micros;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// A target language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    Jq,
    LogQl,
    CloudWatch,
    Kql,
}

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::Jq, Lang::LogQl, Lang::CloudWatch, Lang::Kql];

    /// The name on the command line (`--as`).
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Jq => "jq",
            Lang::LogQl => "logql",
            Lang::CloudWatch => "cloudwatch",
            Lang::Kql => "kql",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Lang::Jq => "jq (audit log files)",
            Lang::LogQl => "LogQL (Loki)",
            Lang::CloudWatch => "CloudWatch Logs Insights (EKS)",
            Lang::Kql => "KQL (Azure Monitor AKSAudit)",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        Lang::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s))
            .or(match s.to_ascii_lowercase().as_str() {
                "loki" => Some(Lang::LogQl),
                "insights" | "cw" => Some(Lang::CloudWatch),
                "kusto" | "azure" => Some(Lang::Kql),
                _ => None,
            })
    }
}

/// Where the query runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Options {
    /// A received-time range `[from, to)` in µs (the page's selection), added as
    /// `after:`/`before:` terms.
    pub range: Option<(i64, i64)>,
    /// LogQL's stream selector (OpenShift's LokiStack labels audit logs `log_type="audit"`).
    pub selector: String,
    /// The KQL table (`AKSAudit`, or `AKSAuditAdmin` for writes only).
    pub table: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            range: None,
            selector: r#"{log_type="audit"}"#.into(),
            table: "AKSAudit".into(),
        }
    }
}

/// A translated filter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Translation {
    pub lang: Lang,
    /// The query (for jq: the program, to run as `jq -c '<text>' audit.log`).
    pub text: String,
    /// How to run it, and every place where its result can differ from the page's.
    pub notes: Vec<String>,
}

/// A term that cannot be written in the target language.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TranslateError {
    pub message: String,
    pub start: usize,
    pub end: usize,
}

// ---- the conditions -------------------------------------------------------------------

/// A string field of the event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Str {
    User,
    Verb,
    ApiGroup,
    Namespace,
    Name,
    Agent,
    Decision,
    Reason,
    AuditId,
    /// The request path: `requestURI` up to `?`.
    Path,
    Resource,
    Subresource,
}

/// A list-of-strings field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum List {
    Groups,
    Ips,
}

/// One condition on an event; a filter is the conjunction of (possibly negated) ones.
#[derive(Clone, Debug)]
enum Cond {
    /// The field (absent: "") matches one of the globs.
    Glob(Str, Vec<String>),
    /// The field is not empty and matches one of the globs.
    GlobNonEmpty(Str, Vec<String>),
    /// The field is empty.
    Empty(Str),
    /// The impersonated user is not empty and matches one of the globs.
    Imp(Vec<String>),
    /// The request is not impersonated.
    ImpEmpty,
    /// Some element matches one of the globs.
    Any(List, Vec<String>),
    /// `responseStatus.code` (absent: 0) in one of the inclusive ranges.
    Code(Vec<(u16, u16)>),
    /// Latency (µs) in one of the inclusive ranges.
    Latency(Vec<(u64, u64)>),
    Stage(Vec<&'static str>),
    Level(Vec<&'static str>),
    /// Received at or after (µs).
    After(i64),
    /// Received before (µs).
    Before(i64),
    /// A substring (ASCII case ignored) of the name or of the path.
    Word(String),
    Body(BodyPath, Vec<Want>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    True,
    False,
}

/// One value of a body term (as `query::body` reads it).
#[derive(Clone, Debug)]
enum Want {
    Exists,
    Glob(String),
    Literal(String),
    Cmp(&'static str, f64),
}

/// A condition and whether it is negated.
type Lit = (bool, Cond);

fn or(v: Vec<Cond>) -> Cond {
    if v.len() == 1 {
        v.into_iter().next().unwrap_or(Cond::False)
    } else {
        Cond::Or(v)
    }
}

fn and(v: Vec<Cond>) -> Cond {
    let v: Vec<Cond> = v.into_iter().filter(|c| !matches!(c, Cond::True)).collect();
    match v.len() {
        0 => Cond::True,
        1 => v.into_iter().next().unwrap_or(Cond::True),
        _ => Cond::And(v),
    }
}

/// `resource:` alternative `r[.group][/sub]` as conditions (see `query::resource_alt`).
fn resource_cond(v: &str) -> Cond {
    let (r, sub) = match v.split_once('/') {
        Some((r, sub)) => (r, Some(sub)),
        None => (v, None),
    };
    let (r, group) = match r.split_once('.') {
        Some((r, g)) => (r, Some(g)),
        None => (r, None),
    };
    let mut parts = vec![if r.is_empty() {
        Cond::Empty(Str::Resource)
    } else {
        Cond::GlobNonEmpty(Str::Resource, vec![r.to_string()])
    }];
    match sub {
        None if r == "*" => {}
        None => parts.push(Cond::Empty(Str::Subresource)),
        Some("*") => {}
        Some(s) => parts.push(Cond::GlobNonEmpty(Str::Subresource, vec![s.to_string()])),
    }
    if let Some(g) = group {
        parts.push(Cond::Glob(Str::ApiGroup, vec![g.to_string()]));
    }
    and(parts)
}

fn str_field(f: Field) -> Option<Str> {
    Some(match f {
        Field::Verb => Str::Verb,
        Field::ApiGroup => Str::ApiGroup,
        Field::Namespace => Str::Namespace,
        Field::Name => Str::Name,
        Field::Agent => Str::Agent,
        Field::Decision => Str::Decision,
        Field::Reason => Str::Reason,
        Field::AuditId => Str::AuditId,
        Field::Uri => Str::Path,
        _ => return None,
    })
}

/// The impersonated user matching `pats`: never the empty "not impersonated" value
/// unless `""` is asked for.
fn impersonated(pats: &[String]) -> Cond {
    let mut alts = Vec::new();
    let non_empty: Vec<String> = pats.iter().filter(|p| !p.is_empty()).cloned().collect();
    if !non_empty.is_empty() {
        alts.push(Cond::Imp(non_empty));
    }
    if pats.iter().any(|p| p.is_empty()) {
        alts.push(Cond::ImpEmpty);
    }
    if alts.is_empty() {
        Cond::False
    } else {
        or(alts)
    }
}

fn term_cond(t: &Term) -> Result<Cond, TranslateError> {
    let err = |m: String| TranslateError {
        message: m,
        start: t.start,
        end: t.end,
    };
    let vals = &t.values;
    Ok(match t.field {
        Field::User => or(vec![Cond::Glob(Str::User, vals.clone()), impersonated(vals)]),
        Field::Impersonated => impersonated(vals),
        Field::Group => Cond::Any(List::Groups, vals.clone()),
        Field::Ip => Cond::Any(List::Ips, vals.clone()),
        Field::Resource => or(vals.iter().map(|v| resource_cond(v)).collect()),
        Field::Code => Cond::Code(
            vals.iter()
                .map(|v| code_range(v).ok_or_else(|| err(format!("code: cannot read \"{v}\""))))
                .collect::<Result<_, _>>()?,
        ),
        Field::Latency => Cond::Latency(
            vals.iter()
                .map(|v| {
                    latency_range(v).ok_or_else(|| err(format!("latency: cannot read \"{v}\"")))
                })
                .collect::<Result<_, _>>()?,
        ),
        Field::Stage => {
            let names: Vec<&'static str> = Stage::ALL
                .into_iter()
                .map(|s| s.as_str())
                .filter(|n| vals.iter().any(|v| glob(v, n)))
                .collect();
            if names.is_empty() {
                return Err(err(format!("stage: unknown stage \"{}\"", vals.join(","))));
            }
            Cond::Stage(names)
        }
        Field::Level => {
            let names: Vec<&'static str> = Level::ALL
                .into_iter()
                .map(|l| l.as_str())
                .filter(|n| vals.iter().any(|v| glob(v, n)))
                .collect();
            if names.is_empty() {
                return Err(err(format!("level: unknown level \"{}\"", vals.join(","))));
            }
            Cond::Level(names)
        }
        Field::After => Cond::After(
            parse_time(&vals[0]).ok_or_else(|| err(format!("after: cannot read \"{}\"", vals[0])))?,
        ),
        Field::Before => Cond::Before(
            parse_time(&vals[0])
                .ok_or_else(|| err(format!("before: cannot read \"{}\"", vals[0])))?,
        ),
        Field::Text => and(vals.iter().map(|w| Cond::Word(w.clone())).collect()),
        Field::Body => {
            let Some(path) = t.body.clone() else {
                return Err(err("a body term without a path".into()));
            };
            let wants = vals
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    if t.quoted.get(i).copied().unwrap_or(false) {
                        return Want::Literal(v.clone());
                    }
                    if v == "*" {
                        return Want::Exists;
                    }
                    let s = v.trim();
                    for op in [">=", "<=", ">", "<"] {
                        if let Some(n) = s.strip_prefix(op).and_then(|x| x.trim().parse::<f64>().ok())
                        {
                            return Want::Cmp(op, n);
                        }
                    }
                    Want::Glob(v.clone())
                })
                .collect();
            Cond::Body(path, wants)
        }
        Field::Rule => {
            return Err(err(
                "rule: depends on the policy's evaluation, which only this engine has; use `audit-lens sql --policy P` to take the policy to a warehouse".into(),
            ))
        }
        Field::Fact | Field::Image | Field::Command | Field::RoleRef | Field::HostPath => {
            return Err(err(format!(
                "{}: is read from request bodies when the log is loaded (a security fact of this engine); no other engine has it",
                field_name(t.field)
            )))
        }
        f => match str_field(f) {
            Some(s) => Cond::Glob(s, vals.clone()),
            None => return Err(err(format!("{}: cannot be translated", field_name(f)))),
        },
    })
}

// ---- glob to regex --------------------------------------------------------------------

/// Escapes a literal for a regular expression (RE2, Oniguruma and .NET agree on these).
fn re_escape(s: &str, out: &mut String) {
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
}

/// An anchored regular expression for a glob, `*` as `any` (e.g. `.*` with dot-all).
fn glob_re(pat: &str, any: &str) -> String {
    let mut s = String::from("^");
    for (i, part) in pat.split('*').enumerate() {
        if i > 0 {
            s.push_str(any);
        }
        re_escape(part, &mut s);
    }
    s.push('$');
    s
}

/// The glob's regular expression without anchors, `*` as `any`.
fn glob_re_open(pat: &str, any: &str) -> String {
    let mut s = String::new();
    for (i, part) in pat.split('*').enumerate() {
        if i > 0 {
            s.push_str(any);
        }
        re_escape(part, &mut s);
    }
    s
}

/// A JSON string literal (jq, LogQL and KQL double-quoted strings read JSON's escapes).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

// ---- jq -------------------------------------------------------------------------------

const JQ_PRELUDE: &str = r#"def _lc: ascii_downcase;
def _us: capture("^(?<d>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ](?<t>[0-9]{2}:[0-9]{2}:[0-9]{2})(?<f>\\.[0-9]*)?(?<z>[Zz]|[+-][0-9]{2}:[0-9]{2})$")
  | ((.d + "T" + .t + "Z") | fromdateiso8601) * 1000000
    + ((((.f // ".") + "000000")[1:7]) | tonumber)
    - (if (.z | _lc) == "z" then 0
       else (if .z[0:1] == "-" then -1 else 1 end) * ((.z[1:3] | tonumber) * 60 + (.z[4:6] | tonumber)) * 60000000 end);
def _first_us(f): [f | strings | _us] | .[0];
def _received: _first_us(.requestReceivedTimestamp, .timestamp, .metadata.creationTimestamp, .stageTimestamp);
def _latency: _received as $r | ((_first_us(.stageTimestamp) // $r) - $r) | if . < 0 then 0 else . end;
def _path: (.requestURI // "") | split("?")[0];
def _k($k): if type == "object" then (if has($k) then .[$k] else empty end) elif type == "array" then .[] | _k($k) else empty end;
def _ak: if type == "object" then .[] elif type == "array" then .[] | _ak else empty end;
def _ai: if type == "array" then .[] else empty end;
def _ix($n): if type == "array" then (if $n < length then .[$n] else empty end) else empty end;
def _text: if type == "string" then _lc elif type == "object" then null else tojson | _lc end;
def _lx: if type == "array" then true else . != null end;
def _lg($re): if type == "array" then any(.[]; _lg($re)) else (_text | if . == null then false else test($re) end) end;
def _leq($v): if type == "array" then any(.[]; _leq($v)) else _text == $v end;
def _num: if type == "array" then .[] | _num elif type == "number" then . else empty end;
"#;

fn jq_str(f: Str) -> &'static str {
    match f {
        Str::User => "(.user.username // \"\")",
        Str::Verb => "(.verb // \"\")",
        Str::ApiGroup => "(.objectRef.apiGroup // \"\")",
        Str::Namespace => "(.objectRef.namespace // \"\")",
        Str::Name => "(.objectRef.name // \"\")",
        Str::Agent => "(.userAgent // \"\")",
        Str::Decision => "(.annotations[\"authorization.k8s.io/decision\"] // \"\")",
        Str::Reason => "(.responseStatus.reason // \"\")",
        Str::AuditId => "(.auditID // \"\")",
        Str::Path => "_path",
        Str::Resource => "(.objectRef.resource // \"\")",
        Str::Subresource => "(.objectRef.subresource // \"\")",
    }
}

/// jq test of `.` (a string) against one glob, ASCII case ignored.
fn jq_glob(p: &str) -> String {
    let lower = p.to_ascii_lowercase();
    if lower.contains('*') {
        format!("(_lc | test({}))", q(&glob_re(&lower, "[\\s\\S]*")))
    } else {
        format!("(_lc == {})", q(&lower))
    }
}

fn jq_globs(pats: &[String]) -> String {
    let v: Vec<String> = pats.iter().map(|p| jq_glob(p)).collect();
    if v.len() == 1 {
        v[0].clone()
    } else {
        format!("({})", v.join(" or "))
    }
}

fn jq_body(path: &BodyPath, wants: &[Want]) -> String {
    let mut p = format!(".{}", path.side.key());
    for s in &path.segs {
        match s {
            Seg::Key(k) => {
                let _ = write!(p, " | _k({})", q(k));
            }
            Seg::AnyKey => p.push_str(" | _ak"),
            Seg::AnyIndex => p.push_str(" | _ai"),
            Seg::Index(n) => {
                let _ = write!(p, " | _ix({n})");
            }
        }
    }
    let tests: Vec<String> = wants
        .iter()
        .map(|w| match w {
            Want::Exists => "_lx".to_string(),
            Want::Glob(g) => {
                let lower = g.to_ascii_lowercase();
                format!("_lg({})", q(&glob_re(&lower, "[\\s\\S]*")))
            }
            Want::Literal(l) => format!("_leq({})", q(&l.to_ascii_lowercase())),
            Want::Cmp(op, n) => format!("any(_num; . {op} {n})"),
        })
        .collect();
    format!("any({p}; {})", tests.join(" or "))
}

fn jq_cond(c: &Cond) -> String {
    match c {
        Cond::Glob(f, pats) => format!("({} | {})", jq_str(*f), jq_globs(pats)),
        Cond::GlobNonEmpty(f, pats) => {
            format!("({} | . != \"\" and {})", jq_str(*f), jq_globs(pats))
        }
        Cond::Empty(f) => format!("({} == \"\")", jq_str(*f)),
        Cond::Imp(pats) => format!(
            "((.impersonatedUser.username // \"\") | . != \"\" and {})",
            jq_globs(pats)
        ),
        Cond::ImpEmpty => "((.impersonatedUser.username // \"\") == \"\")".into(),
        Cond::Any(l, pats) => {
            let src = match l {
                List::Groups => "(.user.groups // [])",
                List::Ips => "(.sourceIPs // [])",
            };
            format!("any({src}[] | strings; {})", jq_globs(pats))
        }
        Cond::Code(rs) => {
            let v: Vec<String> = rs
                .iter()
                .map(|(a, b)| format!(". >= {a} and . <= {b}"))
                .collect();
            format!(
                "((.responseStatus.code // 0) | if . < 0 then 0 elif . > 65535 then 65535 else floor end | {})",
                v.join(" or ")
            )
        }
        Cond::Latency(rs) => {
            let v: Vec<String> = rs
                .iter()
                .map(|(a, b)| {
                    if *b == u64::MAX {
                        format!(". >= {a}")
                    } else {
                        format!(". >= {a} and . <= {b}")
                    }
                })
                .collect();
            format!("(_latency | {})", v.join(" or "))
        }
        Cond::Stage(names) => format!(
            "({})",
            names
                .iter()
                .map(|n| format!(".stage == {}", q(n)))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
        Cond::Level(names) => format!(
            "({})",
            names
                .iter()
                .map(|n| format!(".level == {}", q(n)))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
        Cond::After(t) => format!("(_received >= {t})"),
        Cond::Before(t) => format!("(_received < {t})"),
        Cond::Word(w) => {
            let w = q(&w.to_ascii_lowercase());
            format!(
                "(((.objectRef.name // \"\") | _lc | contains({w})) or (_path | _lc | contains({w})))"
            )
        }
        Cond::Body(p, w) => jq_body(p, w),
        Cond::And(v) => format!(
            "({})",
            v.iter().map(jq_cond).collect::<Vec<_>>().join(" and ")
        ),
        Cond::Or(v) => format!(
            "({})",
            v.iter().map(jq_cond).collect::<Vec<_>>().join(" or ")
        ),
        Cond::True => "true".into(),
        Cond::False => "false".into(),
    }
}

fn to_jq(lits: &[Lit]) -> Translation {
    let mut s = String::from(JQ_PRELUDE);
    // An EventList batch is read as its items; what is no audit Event is left out, as the
    // page rejects it (kind other than Event, apiVersion outside audit.k8s.io, no time).
    s.push_str("(if .kind == \"EventList\" then .items[]? else . end)\n");
    s.push_str("| select(type == \"object\" and (.kind == null or .kind == \"Event\") and ((.apiVersion // \"\") | . == \"\" or startswith(\"audit.k8s.io/\")) and _received != null\n");
    s.push_str(
        "    and (.kind != null or .auditID != null or .requestURI != null or .stage != null)\n",
    );
    let names = |v: Vec<&str>| v.iter().map(|n| q(n)).collect::<Vec<_>>().join(", ");
    let _ = writeln!(
        s,
        "    and (.stage == null or (.stage as $x | [{}] | any(.[]; . == $x))) and (.level == null or (.level as $x | [{}] | any(.[]; . == $x))))",
        names(Stage::ALL.iter().map(|x| x.as_str()).collect()),
        names(Level::ALL.iter().map(|x| x.as_str()).collect())
    );
    for (neg, c) in lits {
        let e = jq_cond(c);
        if *neg {
            let _ = writeln!(s, "| select({e} | not)");
        } else {
            let _ = writeln!(s, "| select({e})");
        }
    }
    Translation {
        lang: Lang::Jq,
        text: s.trim_end().to_string(),
        notes: vec![
            "Run: jq -c '<program>' audit.log (JSON lines, pretty documents or an EventList; for gzip: zcat audit.log.gz | jq -c ...). Prints the matching events.".into(),
            "Cloud and log-store wrappers (Azure records, CloudWatch, Loki, GKE) are not unwrapped: run it on kube-apiserver's own files.".into(),
        ],
    }
}

// ---- LogQL ----------------------------------------------------------------------------

/// The label LogQL's `json` stage extracts for a field, and its JSON path.
fn logql_label(f: Str) -> (&'static str, &'static str) {
    match f {
        Str::User => ("audit_user", "user.username"),
        Str::Verb => ("audit_verb", "verb"),
        Str::ApiGroup => ("audit_api_group", "objectRef.apiGroup"),
        Str::Namespace => ("audit_namespace", "objectRef.namespace"),
        Str::Name => ("audit_name", "objectRef.name"),
        Str::Agent => ("audit_user_agent", "userAgent"),
        Str::Decision => (
            "audit_decision",
            r#"annotations[\"authorization.k8s.io/decision\"]"#,
        ),
        Str::Reason => ("audit_reason", "responseStatus.reason"),
        Str::AuditId => ("audit_id", "auditID"),
        Str::Path => ("audit_request_uri", "requestURI"),
        Str::Resource => ("audit_resource", "objectRef.resource"),
        Str::Subresource => ("audit_subresource", "objectRef.subresource"),
    }
}

struct LogQl {
    labels: Vec<(&'static str, &'static str)>,
    line_filters: Vec<String>,
    notes: Vec<String>,
}

impl LogQl {
    fn label(&mut self, f: Str) -> &'static str {
        let l = logql_label(f);
        if !self.labels.contains(&l) {
            self.labels.push(l);
        }
        l.0
    }
    fn extra(&mut self, name: &'static str, path: &'static str) {
        if !self.labels.contains(&(name, path)) {
            self.labels.push((name, path));
        }
    }

    /// A regex over a label's whole value (Loki anchors label matchers), for globs.
    fn globs_re(pats: &[String], path_only: bool) -> String {
        let alts: Vec<String> = pats
            .iter()
            .map(|p| {
                let r = glob_re_open(p, ".*");
                if path_only {
                    format!("{r}(\\?.*)?")
                } else {
                    r
                }
            })
            .collect();
        format!(
            "(?is){}",
            if alts.len() == 1 {
                alts[0].clone()
            } else {
                format!("({})", alts.join("|"))
            }
        )
    }

    /// The label filter expression for `c` (negated when `neg`: LogQL has no `not`).
    fn cond(&mut self, c: &Cond, neg: bool) -> Result<String, String> {
        let (m, nm) = if neg { ("!~", "!=") } else { ("=~", "=") };
        Ok(match c {
            Cond::Glob(f, pats) => {
                let l = self.label(*f);
                format!("{l}{m}{}", q(&Self::globs_re(pats, *f == Str::Path)))
            }
            Cond::GlobNonEmpty(f, pats) => {
                let l = self.label(*f);
                let re = Self::globs_re(pats, *f == Str::Path);
                if neg {
                    format!("({l}=\"\" or {l}!~{})", q(&re))
                } else {
                    format!("({l}!=\"\" and {l}=~{})", q(&re))
                }
            }
            Cond::Empty(f) => {
                let l = self.label(*f);
                format!("{l}{nm}\"\"")
            }
            Cond::Imp(pats) => {
                self.extra("audit_impersonated_user", "impersonatedUser.username");
                let re = Self::globs_re(pats, false);
                if neg {
                    format!(
                        "(audit_impersonated_user=\"\" or audit_impersonated_user!~{})",
                        q(&re)
                    )
                } else {
                    format!(
                        "(audit_impersonated_user!=\"\" and audit_impersonated_user=~{})",
                        q(&re)
                    )
                }
            }
            Cond::ImpEmpty => {
                self.extra("audit_impersonated_user", "impersonatedUser.username");
                format!("audit_impersonated_user{nm}\"\"")
            }
            Cond::Code(rs) => {
                self.extra("audit_code", "responseStatus.code");
                let v: Vec<String> = rs
                    .iter()
                    .map(|(a, b)| {
                        if neg {
                            format!("(audit_code < {a} or audit_code > {b})")
                        } else {
                            format!("(audit_code >= {a} and audit_code <= {b})")
                        }
                    })
                    .collect();
                format!("({})", v.join(if neg { " and " } else { " or " }))
            }
            Cond::Stage(names) | Cond::Level(names) => {
                let (l, p) = if matches!(c, Cond::Stage(_)) {
                    ("audit_stage", "stage")
                } else {
                    ("audit_level", "level")
                };
                self.extra(l, p);
                format!("{l}{m}{}", q(&format!("({})", names.join("|"))))
            }
            Cond::Word(w) => {
                let (n, u) = (self.label(Str::Name), self.label(Str::Path));
                let mut lit = String::new();
                re_escape(w, &mut lit);
                let name_re = q(&format!("(?is).*{lit}.*"));
                let path_re = q(&format!("(?is)[^?]*{lit}.*"));
                if neg {
                    format!("({n}!~{name_re} and {u}!~{path_re})")
                } else {
                    format!("({n}=~{name_re} or {u}=~{path_re})")
                }
            }
            Cond::And(v) | Cond::Or(v) => {
                let is_and = matches!(c, Cond::And(_)) != neg;
                let parts = v
                    .iter()
                    .map(|x| self.cond(x, neg))
                    .collect::<Result<Vec<_>, _>>()?;
                format!("({})", parts.join(if is_and { " and " } else { " or " }))
            }
            Cond::True | Cond::False => {
                if matches!(c, Cond::True) != neg {
                    "audit_verb=~\"(?s).*\"".into()
                } else {
                    "audit_verb=\"\" and audit_verb!=\"\"".into()
                }
            }
            Cond::Any(..) => return Err("a list field (group:, ip:) inside an alternative".into()),
            Cond::Latency(_) => {
                return Err("latency: needs two timestamps; LogQL cannot subtract them".into())
            }
            Cond::After(_) | Cond::Before(_) => {
                return Err("after:/before: inside an alternative".into())
            }
            Cond::Body(..) => {
                return Err("request/response body terms cannot be written in LogQL".into())
            }
        })
    }
}

/// A line filter (on the raw event text) for a list field: `"groups":[… "pat" …]`.
fn list_line_re(l: List, pats: &[String]) -> String {
    let key = match l {
        List::Groups => "groups",
        List::Ips => "sourceIPs",
    };
    let alts: Vec<String> = pats.iter().map(|p| glob_re_open(p, "[^\"]*")).collect();
    let alt = if alts.len() == 1 {
        alts[0].clone()
    } else {
        format!("({})", alts.join("|"))
    };
    format!("(?i)\"{key}\":\\s*\\[[^\\]]*\"{alt}\"")
}

fn to_logql(lits: &[Lit], opts: &Options) -> Result<Translation, (usize, String)> {
    let mut lq = LogQl {
        labels: Vec::new(),
        line_filters: Vec::new(),
        notes: Vec::new(),
    };
    let mut filters = Vec::new();
    let (mut from, mut to) = (None, None);
    for (i, (neg, c)) in lits.iter().enumerate() {
        match c {
            Cond::Any(l, pats) => {
                let op = if *neg { "!~" } else { "|~" };
                lq.line_filters
                    .push(format!("{op} {}", q(&list_line_re(*l, pats))));
            }
            Cond::After(t) if !neg => from = Some(*t),
            Cond::Before(t) if !neg => to = Some(*t),
            c => filters.push(lq.cond(c, *neg).map_err(|e| (i, e))?),
        }
    }
    let mut s = opts.selector.clone();
    for f in &lq.line_filters {
        let _ = write!(s, " {f}");
    }
    if !lq.labels.is_empty() {
        let ex: Vec<String> = lq
            .labels
            .iter()
            .map(|(n, p)| format!("{n}=\"{p}\""))
            .collect();
        let _ = write!(s, " | json {}", ex.join(", "));
    }
    for f in &filters {
        let _ = write!(s, " | {f}");
    }
    lq.notes.push(format!(
        "The stream selector {} is OpenShift LokiStack's label for audit logs: replace it with your own.",
        opts.selector
    ));
    if from.is_some() || to.is_some() {
        lq.notes.push(format!(
            "Time range (Loki's own entry time, which is about when kube-apiserver wrote the event): logcli query --from={} --to={} '<query>', or the range picker in Grafana.",
            from.map_or("<start>".into(), format_rfc3339_micros),
            to.map_or("<end>".into(), format_rfc3339_micros)
        ));
    }
    lq.notes.push(
        "Loki's regular expressions fold Unicode case; the page ignores ASCII case only.".into(),
    );
    if filters.iter().any(|f| f.contains("audit_code")) {
        lq.notes.push("An event without responseStatus.code gets a label conversion error in Loki (the page reads it as 0).".into());
    }
    if !lq.line_filters.is_empty() {
        lq.notes.push("group:/ip: are line filters on the event text (LogQL's json stage does not take lists apart).".into());
    }
    Ok(Translation {
        lang: Lang::LogQl,
        text: s,
        notes: lq.notes,
    })
}

// ---- CloudWatch Logs Insights -----------------------------------------------------------

fn cw_field(f: Str) -> &'static str {
    match f {
        Str::User => "user.username",
        Str::Verb => "verb",
        Str::ApiGroup => "objectRef.apiGroup",
        Str::Namespace => "objectRef.namespace",
        Str::Name => "objectRef.name",
        Str::Agent => "userAgent",
        Str::Decision => "`annotations.authorization.k8s.io/decision`",
        Str::Reason => "responseStatus.reason",
        Str::AuditId => "auditID",
        Str::Path => "requestURI",
        Str::Resource => "objectRef.resource",
        Str::Subresource => "objectRef.subresource",
    }
}

/// A `/regex/` literal of Insights (a `/` inside is escaped by `re_escape`).
fn cw_re(pats: &[String], path: bool) -> String {
    let alts: Vec<String> = pats
        .iter()
        .map(|p| {
            let r = glob_re_open(p, ".*");
            if path {
                format!("{r}(\\?.*)?")
            } else {
                r
            }
        })
        .collect();
    let a = if alts.len() == 1 {
        alts[0].clone()
    } else {
        format!("({})", alts.join("|"))
    };
    format!("/(?is)^{a}$/")
}

fn cw_cond(c: &Cond) -> Result<String, String> {
    Ok(match c {
        Cond::Glob(f, pats) => {
            let fld = cw_field(*f);
            let m = format!("{fld} like {}", cw_re(pats, *f == Str::Path));
            if pats.iter().any(|p| glob(p, "")) {
                format!("(not ispresent({fld}) or {m})")
            } else {
                m
            }
        }
        Cond::GlobNonEmpty(f, pats) => {
            let fld = cw_field(*f);
            format!(
                "(ispresent({fld}) and {fld} != \"\" and {fld} like {})",
                cw_re(pats, false)
            )
        }
        Cond::Empty(f) => {
            let fld = cw_field(*f);
            format!("(not ispresent({fld}) or {fld} = \"\")")
        }
        Cond::Imp(pats) => format!(
            "(ispresent(impersonatedUser.username) and impersonatedUser.username like {})",
            cw_re(pats, false)
        ),
        Cond::ImpEmpty => "not ispresent(impersonatedUser.username)".into(),
        Cond::Any(l, pats) => {
            let mut re = list_line_re(*l, pats);
            re = re.replace('/', "\\/");
            format!("@message like /{re}/")
        }
        Cond::Code(rs) => format!(
            "({})",
            rs.iter()
                .map(|(a, b)| format!(
                    "(responseStatus.code >= {a} and responseStatus.code <= {b})"
                ))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
        Cond::Stage(names) => format!(
            "stage in [{}]",
            names.iter().map(|n| q(n)).collect::<Vec<_>>().join(", ")
        ),
        Cond::Level(names) => format!(
            "level in [{}]",
            names.iter().map(|n| q(n)).collect::<Vec<_>>().join(", ")
        ),
        Cond::Word(w) => {
            let mut lit = String::new();
            re_escape(w, &mut lit);
            format!("(objectRef.name like /(?is){lit}/ or requestURI like /(?is)^[^?]*{lit}/)")
        }
        Cond::And(v) => format!(
            "({})",
            v.iter()
                .map(cw_cond)
                .collect::<Result<Vec<_>, _>>()?
                .join(" and ")
        ),
        Cond::Or(v) => format!(
            "({})",
            v.iter()
                .map(cw_cond)
                .collect::<Result<Vec<_>, _>>()?
                .join(" or ")
        ),
        Cond::True => "1 = 1".into(),
        Cond::False => "1 = 0".into(),
        Cond::Latency(_) => {
            return Err("latency: needs two timestamps; Logs Insights cannot subtract them".into())
        }
        Cond::After(_) | Cond::Before(_) => {
            return Err("after:/before: inside an alternative".into())
        }
        Cond::Body(..) => {
            return Err("request/response body terms cannot be written in Logs Insights".into())
        }
    })
}

fn to_cloudwatch(lits: &[Lit]) -> Result<Translation, (usize, String)> {
    let mut filters = Vec::new();
    let (mut from, mut to) = (None, None);
    for (i, (neg, c)) in lits.iter().enumerate() {
        match c {
            Cond::After(t) if !neg => from = Some(*t),
            Cond::Before(t) if !neg => to = Some(*t),
            c => {
                let e = cw_cond(c).map_err(|e| (i, e))?;
                filters.push(if *neg { format!("not ({e})") } else { e });
            }
        }
    }
    let mut s = String::from("fields @timestamp, verb, user.username, objectRef.resource, objectRef.namespace, objectRef.name, responseStatus.code\n");
    if !filters.is_empty() {
        let _ = writeln!(s, "| filter {}", filters.join("\n    and "));
    }
    s.push_str("| sort @timestamp desc");
    let mut notes = vec![
        "For EKS: log group /aws/eks/<cluster>/cluster, log streams kube-apiserver-audit-*.".into(),
        "Logs Insights' regular expressions fold Unicode case; the page ignores ASCII case only."
            .into(),
    ];
    if from.is_some() || to.is_some() {
        notes.push(format!(
            "Time range (the log event's time, about when kube-apiserver wrote it): aws logs start-query --start-time {} --end-time {} (epoch seconds), or the console's range.",
            from.map_or("<start>".into(), |t| (t.div_euclid(1_000_000)).to_string()),
            to.map_or("<end>".into(), |t| ((t + 999_999).div_euclid(1_000_000)).to_string())
        ));
    }
    if filters.iter().any(|f| f.contains("@message like")) {
        notes.push("group:/ip: are regular expressions on the event text (Insights flattens lists into numbered fields).".into());
    }
    Ok(Translation {
        lang: Lang::CloudWatch,
        text: s,
        notes,
    })
}

// ---- KQL ------------------------------------------------------------------------------

fn kql_str(f: Str) -> &'static str {
    match f {
        Str::User => "tostring(User.username)",
        Str::Verb => "Verb",
        Str::ApiGroup => "tostring(ObjectRef.apiGroup)",
        Str::Namespace => "tostring(ObjectRef.namespace)",
        Str::Name => "tostring(ObjectRef.name)",
        Str::Agent => "UserAgent",
        Str::Decision => "tostring(Annotations[\"authorization.k8s.io/decision\"])",
        Str::Reason => "tostring(ResponseStatus.reason)",
        Str::AuditId => "AuditId",
        Str::Path => "tostring(split(RequestUri, \"?\")[0])",
        Str::Resource => "tostring(ObjectRef.resource)",
        Str::Subresource => "tostring(ObjectRef.subresource)",
    }
}

/// A KQL verbatim string (`@"…"`, `"` doubled).
fn kv(s: &str) -> String {
    format!("@\"{}\"", s.replace('"', "\"\""))
}

fn kql_globs(x: &str, pats: &[String]) -> String {
    let v: Vec<String> = pats
        .iter()
        .map(|p| {
            if p.contains('*') {
                format!(
                    "{x} matches regex {}",
                    kv(&format!("(?is){}", glob_re(p, ".*")))
                )
            } else {
                format!("{x} =~ {}", q(p))
            }
        })
        .collect();
    if v.len() == 1 {
        v[0].clone()
    } else {
        format!("({})", v.join(" or "))
    }
}

const KQL_IMP: &str = "tostring(column_ifexists(\"ImpersonatedUser\", dynamic(null)).username)";

fn kql_body(p: &BodyPath, wants: &[Want]) -> Result<String, String> {
    let mut x = String::from(match p.side {
        Side::Req => "RequestObject",
        Side::Resp => "ResponseObject",
    });
    for s in &p.segs {
        match s {
            Seg::Key(k) => {
                let _ = write!(x, "[{}]", q(k));
            }
            Seg::Index(n) => {
                let _ = write!(x, "[{n}]");
            }
            _ => return Err("body paths with * or [*] cannot be written in KQL".into()),
        }
    }
    let v: Vec<String> = wants
        .iter()
        .map(|w| match w {
            Want::Exists => format!("isnotnull({x})"),
            Want::Glob(g) => kql_globs(&format!("tostring({x})"), std::slice::from_ref(g)),
            Want::Literal(l) => format!("tostring({x}) =~ {}", q(l)),
            Want::Cmp(op, n) => format!("todouble({x}) {op} {n}"),
        })
        .collect();
    Ok(format!("({})", v.join(" or ")))
}

fn kql_cond(c: &Cond) -> Result<String, String> {
    Ok(match c {
        Cond::Glob(f, pats) => kql_globs(kql_str(*f), pats),
        Cond::GlobNonEmpty(f, pats) => {
            format!("(isnotempty({x}) and {})", kql_globs(kql_str(*f), pats), x = kql_str(*f))
        }
        Cond::Empty(f) => format!("isempty({})", kql_str(*f)),
        Cond::Imp(pats) => format!("(isnotempty({KQL_IMP}) and {})", kql_globs(KQL_IMP, pats)),
        Cond::ImpEmpty => format!("isempty({KQL_IMP})"),
        Cond::Any(l, pats) => {
            let col = match l {
                List::Groups => "tostring(User.groups)",
                List::Ips => "tostring(SourceIps)",
            };
            let alts: Vec<String> = pats.iter().map(|p| glob_re_open(p, "[^\"]*")).collect();
            let alt = if alts.len() == 1 {
                alts[0].clone()
            } else {
                format!("({})", alts.join("|"))
            };
            format!("{col} matches regex {}", kv(&format!("(?i)\"{alt}\"")))
        }
        Cond::Code(rs) => format!(
            "({})",
            rs.iter()
                .map(|(a, b)| format!("coalesce(toint(ResponseStatus.code), 0) between ({a} .. {b})"))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
        Cond::Latency(rs) => format!(
            "({})",
            rs.iter()
                .map(|(a, b)| {
                    let l = "max_of((StageReceivedTime - RequestReceivedTime) / 1microsecond, 0.0)";
                    if *b == u64::MAX {
                        format!("{l} >= {a}")
                    } else {
                        format!("{l} between ({a} .. {b})")
                    }
                })
                .collect::<Vec<_>>()
                .join(" or ")
        ),
        Cond::Stage(names) => format!(
            "Stage in ({})",
            names.iter().map(|n| q(n)).collect::<Vec<_>>().join(", ")
        ),
        Cond::Level(names) => format!(
            "Level in ({})",
            names.iter().map(|n| q(n)).collect::<Vec<_>>().join(", ")
        ),
        Cond::After(t) => format!("RequestReceivedTime >= datetime({})", format_rfc3339_micros(*t)),
        Cond::Before(t) => format!("RequestReceivedTime < datetime({})", format_rfc3339_micros(*t)),
        Cond::Word(w) => format!(
            "(tostring(ObjectRef.name) contains {w} or tostring(split(RequestUri, \"?\")[0]) contains {w})",
            w = q(w)
        ),
        Cond::Body(p, w) => kql_body(p, w)?,
        Cond::And(v) => format!(
            "({})",
            v.iter().map(kql_cond).collect::<Result<Vec<_>, _>>()?.join(" and ")
        ),
        Cond::Or(v) => format!(
            "({})",
            v.iter().map(kql_cond).collect::<Result<Vec<_>, _>>()?.join(" or ")
        ),
        Cond::True => "true".into(),
        Cond::False => "false".into(),
    })
}

fn to_kql(lits: &[Lit], opts: &Options) -> Result<Translation, (usize, String)> {
    let mut s = opts.table.clone();
    for (i, (neg, c)) in lits.iter().enumerate() {
        let e = kql_cond(c).map_err(|e| (i, e))?;
        if *neg {
            let _ = write!(s, "\n| where not({e})");
        } else {
            let _ = write!(s, "\n| where {e}");
        }
    }
    s.push_str("\n| sort by RequestReceivedTime desc");
    let mut notes = vec![
        format!("Azure Monitor's resource-specific table {} (AKS diagnostic setting \"Resource specific\"; AKSAuditAdmin leaves out get and list).", opts.table),
        "KQL's regular expressions and =~ fold Unicode case; the page ignores ASCII case only.".into(),
    ];
    if lits.iter().any(|(_, c)| matches!(c, Cond::Any(..))) {
        notes.push("group:/ip: are regular expressions on the list's JSON text.".into());
    }
    if lits.iter().any(|(_, c)| matches!(c, Cond::Body(..))) {
        notes.push("Body paths follow objects only: a key is not applied to every element of an array, as the page does.".into());
    }
    Ok(Translation {
        lang: Lang::Kql,
        text: s,
        notes,
    })
}

// ---- entry point ----------------------------------------------------------------------

/// The filter `text` (plus `opts.range`) in language `lang`.
pub fn translate(text: &str, lang: Lang, opts: &Options) -> Result<Translation, TranslateError> {
    let terms = parse(text).map_err(|e| TranslateError {
        message: e.message,
        start: e.start,
        end: e.end,
    })?;
    let mut lits: Vec<Lit> = Vec::new();
    let mut spans = Vec::new();
    for t in &terms {
        lits.push((t.negate, term_cond(t)?));
        spans.push((t.start, t.end));
    }
    if let Some((a, b)) = opts.range {
        lits.push((false, Cond::After(a)));
        lits.push((false, Cond::Before(b)));
        spans.push((text.len(), text.len()));
        spans.push((text.len(), text.len()));
    }
    let r = match lang {
        Lang::Jq => Ok(to_jq(&lits)),
        Lang::LogQl => to_logql(&lits, opts),
        Lang::CloudWatch => to_cloudwatch(&lits),
        Lang::Kql => to_kql(&lits, opts),
    };
    r.map_err(|(i, m)| {
        let (start, end) = spans.get(i).copied().unwrap_or((0, text.len()));
        TranslateError {
            message: format!("{}: {m}", lang.label()),
            start,
            end,
        }
    })
}
