//! An audit policy as SQL: one `CASE` expression that gives every row of an audit-event
//! table the index of the rule kube-apiserver's `policy.Checker` would pick (first match
//! wins, `NULL` when none matches), and the `rows`, `coverage` and `whatif` queries built
//! on it, in the dialects of DuckDB, Spark SQL, Trino, BigQuery and ClickHouse. Pure string
//! building: no I/O, compiles on wasm32 too.
//!
//! The semantics are [`crate::audit::eval`]'s, which are kube-apiserver's
//! (`k8s.io/apiserver` `pkg/audit/policy/checker.go`: `ruleMatches`,
//! `ruleMatchesResource`, `ruleMatchesNonResource`, `pathMatches`), condition by condition:
//! - `users`, `verbs`, `namespaces` (`""` is the namespace of cluster-scoped requests):
//!   `col IN (...)`; `userGroups`: any of the user's groups in the list (per dialect:
//!   `list_has_any`, `arrays_overlap`, `hasAny`, `EXISTS (… UNNEST …)`).
//! - a rule with `resources` or `namespaces` matches resource requests only
//!   (`resource_request`), one with `nonResourceURLs` non-resource requests only.
//! - a `resources` entry: `api_group = group` (no test for `group: "*"` when the Kubernetes
//!   version makes it a wildcard, 1.36 on; before, `"*"` is compared as a name, as
//!   `CompiledPolicy::new` does); an empty resource list takes every resource and no names
//!   are checked; else `resourceNames` (when given) and one form: `*` (everything),
//!   `res`/`res/sub` against `resource` or `resource || '/' || subresource` (checker.go's
//!   `combinedResource`), `*/sub` (a subresource `sub`), `res/*` (`res` and its
//!   subresources).
//! - `nonResourceURLs`: `*`, exact, or a trailing `*` meaning a string prefix (every
//!   trailing `*` trimmed, Go's `strings.TrimRight`), tested on `path` (the request URI
//!   without its query, kube-apiserver's `GetPath`).
//! - comparisons are byte-exact and case-sensitive, as in Go (`==`, `strings.HasPrefix`):
//!   the five engines compare strings case-sensitively by default.
//!
//! `omitStages` (the rule's ∪ the policy's; the policy's when no rule matches) does not
//! change which rule decides: kube-apiserver evaluates the policy once per request and
//! then skips writing the stages the decision omits (`AuditContext.ProcessEventStage`,
//! `pkg/audit/context.go`). So `rule` and `level` are the decision as for any event, and
//! `omitted` says the event would not be written at all; `kept_bytes` is then 0. Coverage
//! counts such events under their rule (as the CLI's `coverage` does) and reports them in
//! `omitted_events`.
//!
//! `kept_bytes` is [`crate::analysis::volume::estimate_size_mf`] in SQL: nothing for level
//! `None` or an omitted stage, the metadata part for `Metadata`, plus the request body
//! (17 bytes of key) for `Request`, plus the response body (18 bytes of key) for
//! `RequestResponse`, each body less its managedFields under `omitManagedFields`.
//!
//! The table schema ([`COLUMNS`]) is the Parquet export's (`audit-lens export --format
//! parquet`); [`Schema::RawJson`] maps a table of raw audit events (nested `user`,
//! `objectRef`, as engines read JSON lines) onto it first.

use crate::audit::eval::CompiledPolicy;
use crate::audit::policy::{GroupResources, PolicyRule};
use crate::audit::Level;
use std::fmt::Write as _;

/// A SQL dialect the queries are written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    DuckDb,
    Spark,
    Trino,
    BigQuery,
    ClickHouse,
}

impl Dialect {
    /// Every dialect, in the CLI's order.
    pub const ALL: [Dialect; 5] = [
        Dialect::DuckDb,
        Dialect::Spark,
        Dialect::Trino,
        Dialect::BigQuery,
        Dialect::ClickHouse,
    ];

    /// The CLI name (`duckdb`, `spark`, `trino`, `bigquery`, `clickhouse`).
    pub fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "duckdb",
            Dialect::Spark => "spark",
            Dialect::Trino => "trino",
            Dialect::BigQuery => "bigquery",
            Dialect::ClickHouse => "clickhouse",
        }
    }

    /// Parses a CLI name (lower case, as listed in [`Dialect::name`]).
    pub fn parse(s: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|d| d.name() == s)
    }

    /// The 64-bit integer type's name.
    fn int64(self) -> &'static str {
        match self {
            Dialect::BigQuery => "INT64",
            Dialect::ClickHouse => "Nullable(Int64)",
            _ => "BIGINT",
        }
    }
}

/// Which query to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Query {
    /// Every row of the table with `rule`, `level`, `omitted`, `kept_bytes`.
    Rows,
    /// One row per rule (and one for "no rule"): events, bytes as recorded, kept bytes,
    /// omitted events.
    Coverage,
    /// One row: events and bytes as recorded against what the policy keeps.
    WhatIf,
}

impl Query {
    pub fn parse(s: &str) -> Option<Query> {
        Some(match s {
            "rows" => Query::Rows,
            "coverage" => Query::Coverage,
            "whatif" => Query::WhatIf,
            _ => return None,
        })
    }
}

/// What the table holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    /// The Parquet export's columns ([`COLUMNS`]).
    Parquet,
    /// Raw audit events as the engine reads JSON lines: top-level fields as columns,
    /// `user`, `objectRef` as structs (see [`raw_mapping`]).
    RawJson,
}

impl Schema {
    pub fn parse(s: &str) -> Option<Schema> {
        Some(match s {
            "parquet" => Schema::Parquet,
            "raw-json" => Schema::RawJson,
            _ => return None,
        })
    }
}

/// Options of [`query`].
#[derive(Clone, Debug)]
pub struct Options {
    pub dialect: Dialect,
    /// The table (any FROM item: a name, `read_parquet('x.parquet')`, a subquery), written
    /// as given.
    pub table: String,
    pub query: Query,
    pub schema: Schema,
}

/// The table's columns (the Parquet export's), with their meaning: `(name, type, doc)`.
/// Strings are `""` when the event has no value, except `stage` and `recorded_level`
/// (`NULL`). The last four exist only in an export made with `--policy`.
pub const COLUMNS: &[(&str, &str, &str)] = &[
    ("audit_id", "STRING", "auditID"),
    ("stage", "STRING NULL", "stage"),
    ("recorded_level", "STRING NULL", "level, as recorded"),
    ("verb", "STRING", "verb"),
    (
        "user_name",
        "STRING",
        "user.username (the authenticated user)",
    ),
    ("user_groups", "LIST<STRING>", "user.groups"),
    ("impersonated_user", "STRING", "impersonatedUser.username"),
    ("source_ips", "LIST<STRING>", "sourceIPs"),
    ("user_agent", "STRING", "userAgent"),
    ("resource_request", "BOOLEAN", "the event has an objectRef"),
    ("api_group", "STRING", "objectRef.apiGroup (\"\" = core)"),
    ("api_version", "STRING", "objectRef.apiVersion"),
    ("resource", "STRING", "objectRef.resource"),
    ("subresource", "STRING", "objectRef.subresource"),
    (
        "namespace",
        "STRING",
        "objectRef.namespace (\"\" = cluster-scoped)",
    ),
    ("name", "STRING", "objectRef.name"),
    (
        "path",
        "STRING",
        "requestURI without its query (what nonResourceURLs match)",
    ),
    ("code", "INT32 NULL", "responseStatus.code"),
    ("status_reason", "STRING", "responseStatus.reason"),
    (
        "decision",
        "STRING",
        "annotations[authorization.k8s.io/decision]",
    ),
    (
        "received_us",
        "INT64",
        "requestReceivedTimestamp, µs since 1970",
    ),
    ("received", "TIMESTAMP(µs, UTC)", "requestReceivedTimestamp"),
    (
        "stage_us",
        "INT64 NULL",
        "stageTimestamp, µs (NULL when absent)",
    ),
    (
        "latency_us",
        "INT64 NULL",
        "stageTimestamp - requestReceivedTimestamp, µs (≤ 2^32-1)",
    ),
    (
        "record_bytes",
        "INT64",
        "the event's size in the log (without the newline)",
    ),
    ("request_object_bytes", "INT64", "size of requestObject"),
    ("response_object_bytes", "INT64", "size of responseObject"),
    (
        "request_managed_fields_bytes",
        "INT64",
        "of requestObject: what omitManagedFields removes",
    ),
    (
        "response_managed_fields_bytes",
        "INT64",
        "of responseObject: what omitManagedFields removes",
    ),
    (
        "source_file",
        "STRING",
        "the log file, as named on the command line",
    ),
    (
        "record_offset",
        "INT64",
        "byte offset of the record in the (decompressed) file",
    ),
    (
        "record_item",
        "INT32 NULL",
        "the event's index inside a wrapper record (NULL: a bare event)",
    ),
    (
        "rule",
        "INT32 NULL",
        "--policy: the deciding rule (0-based)",
    ),
    ("level", "STRING", "--policy: the level the policy gives"),
    (
        "omitted",
        "BOOLEAN",
        "--policy: the decision omits this event's stage",
    ),
    (
        "kept_bytes",
        "INT64",
        "--policy: estimated bytes written under the policy",
    ),
];

/// A string literal of `dialect` holding exactly `s`.
///
/// DuckDB and Trino: standard SQL (`''`; no backslash escapes), control characters
/// spliced in with `chr(n)`. Spark, BigQuery and ClickHouse read backslash escapes in
/// quoted strings, so `\` and `'` are escaped with a backslash, and control characters
/// are written as escapes (`\uXXXX` in Spark and BigQuery, `\xHH` in ClickHouse).
/// BigQuery's single-quoted strings may not hold a raw newline at all.
pub fn literal(s: &str, d: Dialect) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    match d {
        Dialect::DuckDb | Dialect::Trino => {
            let mut open = false;
            let mut parts = 0;
            for c in s.chars() {
                if (c as u32) < 0x20 || c == '\u{7f}' {
                    if open {
                        o.push('\'');
                        open = false;
                    }
                    if parts > 0 {
                        o.push_str(" || ");
                    }
                    let _ = write!(o, "chr({})", c as u32);
                    parts += 1;
                } else {
                    if !open {
                        if parts > 0 {
                            o.push_str(" || ");
                        }
                        o.push('\'');
                        open = true;
                        parts += 1;
                    }
                    if c == '\'' {
                        o.push('\'');
                    }
                    o.push(c);
                }
            }
            if open {
                o.push('\'');
            }
            if parts == 0 {
                o.push_str("''");
            } else if parts > 1 {
                o.insert(0, '(');
                o.push(')');
            }
        }
        Dialect::Spark | Dialect::BigQuery | Dialect::ClickHouse => {
            o.push('\'');
            for c in s.chars() {
                match c {
                    '\\' => o.push_str("\\\\"),
                    '\'' => o.push_str("\\'"),
                    c if (c as u32) < 0x20 || c == '\u{7f}' => {
                        if d == Dialect::ClickHouse {
                            let _ = write!(o, "\\x{:02X}", c as u32);
                        } else {
                            let _ = write!(o, "\\u{:04X}", c as u32);
                        }
                    }
                    c => o.push(c),
                }
            }
            o.push('\'');
        }
    }
    o
}

/// `(lit, lit, ...)` of the distinct strings in order.
fn list(v: &[&str], d: Dialect) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for s in v {
        if !seen.contains(s) {
            seen.push(s);
        }
    }
    let items: Vec<String> = seen.iter().map(|s| literal(s, d)).collect();
    items.join(", ")
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// `col IN (...)` (`col = x` for one value).
fn in_list(col: &str, v: &[&str], d: Dialect) -> String {
    let l = list(v, d);
    if l.contains(", ") {
        format!("{col} IN ({l})")
    } else {
        format!("{col} = {l}")
    }
}

/// Any of the row's groups is one of `v`.
fn groups_any(v: &[&str], d: Dialect) -> String {
    let l = list(v, d);
    match d {
        Dialect::DuckDb => format!("list_has_any(user_groups, [{l}])"),
        Dialect::Trino => format!("arrays_overlap(user_groups, ARRAY[{l}])"),
        Dialect::Spark => format!("arrays_overlap(user_groups, array({l}))"),
        Dialect::ClickHouse => format!("hasAny(user_groups, [{l}])"),
        Dialect::BigQuery => {
            format!("EXISTS (SELECT 1 FROM UNNEST(user_groups) AS g WHERE g IN ({l}))")
        }
    }
}

/// `path` starts with `p` (bytes, as Go's `strings.HasPrefix`).
fn starts_with(p: &str, d: Dialect) -> String {
    let l = literal(p, d);
    match d {
        Dialect::DuckDb | Dialect::Trino => format!("starts_with(path, {l})"),
        Dialect::Spark => format!("startswith(path, {l})"),
        Dialect::BigQuery => format!("STARTS_WITH(path, {l})"),
        Dialect::ClickHouse => format!("startsWith(path, {l})"),
    }
}

fn or(v: Vec<String>) -> String {
    match v.len() {
        0 => "FALSE".into(),
        1 => v.into_iter().next().unwrap_or_default(),
        _ => format!("({})", v.join(" OR ")),
    }
}

fn and(v: Vec<String>) -> String {
    match v.len() {
        0 => "TRUE".into(),
        1 => v.into_iter().next().unwrap_or_default(),
        _ => v.join(" AND "),
    }
}

/// One `resources` entry (checker.go's loop body over `r.Resources`).
fn group_cond(g: &GroupResources, wildcard: bool, d: Dialect) -> String {
    let mut c = Vec::new();
    if !(wildcard && g.group == "*") {
        c.push(format!("api_group = {}", literal(&g.group, d)));
    }
    if g.resources.is_empty() {
        return and(c);
    }
    if !g.resource_names.is_empty() {
        c.push(in_list("name", &strs(&g.resource_names), d));
    }
    if g.resources.iter().any(|r| r == "*") {
        return and(c);
    }
    let mut forms = Vec::new();
    let plain: Vec<&str> = g
        .resources
        .iter()
        .filter(|r| !r.contains('/'))
        .map(String::as_str)
        .collect();
    let slashed: Vec<&str> = g
        .resources
        .iter()
        .filter(|r| r.contains('/'))
        .map(String::as_str)
        .collect();
    if !plain.is_empty() {
        // `combinedResource == res` with no '/' in res: only without a subresource.
        forms.push(format!(
            "(subresource = '' AND {})",
            in_list("resource", &plain, d)
        ));
    }
    if !slashed.is_empty() {
        forms.push(in_list(
            "(CASE WHEN subresource = '' THEN resource ELSE resource || '/' || subresource END)",
            &slashed,
            d,
        ));
    }
    let any_res_sub: Vec<&str> = g
        .resources
        .iter()
        .filter_map(|r| r.strip_prefix("*/"))
        .filter(|s| !s.is_empty())
        .collect();
    if !any_res_sub.is_empty() {
        forms.push(format!(
            "(subresource <> '' AND {})",
            in_list("subresource", &any_res_sub, d)
        ));
    }
    let res_any_sub: Vec<&str> = g
        .resources
        .iter()
        .filter_map(|r| r.strip_suffix("/*"))
        .collect();
    if !res_any_sub.is_empty() {
        forms.push(in_list("resource", &res_any_sub, d));
    }
    c.push(or(forms));
    and(c)
}

/// The condition under which rule `r` matches a row (checker.go's `ruleMatches`).
pub fn rule_condition(r: &PolicyRule, wildcard: bool, d: Dialect) -> String {
    let mut c = Vec::new();
    let resource_scope = !r.namespaces.is_empty() || !r.resources.is_empty();
    if resource_scope {
        c.push("resource_request".to_string());
    } else if !r.non_resource_urls.is_empty() {
        c.push("NOT resource_request".to_string());
    }
    if !r.users.is_empty() {
        c.push(in_list("user_name", &strs(&r.users), d));
    }
    if !r.user_groups.is_empty() {
        c.push(groups_any(&strs(&r.user_groups), d));
    }
    if !r.verbs.is_empty() {
        c.push(in_list("verb", &strs(&r.verbs), d));
    }
    if resource_scope {
        if !r.namespaces.is_empty() {
            c.push(in_list("namespace", &strs(&r.namespaces), d));
        }
        if !r.resources.is_empty() {
            let gs: Vec<String> = r
                .resources
                .iter()
                .map(|g| {
                    let s = group_cond(g, wildcard, d);
                    if r.resources.len() > 1 && s.contains(" AND ") {
                        format!("({s})")
                    } else {
                        s
                    }
                })
                .collect();
            if gs.iter().any(|s| s == "TRUE") {
                // An entry that takes everything of every group.
            } else {
                c.push(or(gs));
            }
        }
    } else if !r.non_resource_urls.is_empty() {
        let urls = &r.non_resource_urls;
        if !urls.iter().any(|u| u == "*") {
            let mut forms = Vec::new();
            let exact: Vec<&str> = urls
                .iter()
                .filter(|u| !u.ends_with('*'))
                .map(String::as_str)
                .collect();
            if !exact.is_empty() {
                forms.push(in_list("path", &exact, d));
            }
            let mut prefixes: Vec<&str> = Vec::new();
            for u in urls.iter().filter(|u| u.ends_with('*')) {
                let p = u.trim_end_matches('*');
                if !prefixes.contains(&p) {
                    prefixes.push(p);
                }
            }
            forms.extend(prefixes.iter().map(|p| starts_with(p, d)));
            c.push(or(forms));
        }
    }
    and(c)
}

/// The policy's decision as one `CASE` expression: the 0-based index of the first
/// matching rule, `NULL` when none matches.
pub fn rule_case(p: &CompiledPolicy, d: Dialect) -> String {
    let wildcard = p.kube_version().allows_group_wildcard();
    let rules = &p.policy().rules;
    if rules.is_empty() {
        return format!("CAST(NULL AS {})", d.int64());
    }
    let mut o = String::from("CASE\n");
    for (i, r) in rules.iter().enumerate() {
        let _ = writeln!(o, "      WHEN {} THEN {i}", rule_condition(r, wildcard, d));
    }
    o.push_str("    END");
    o
}

/// `rule IN (i, j)` for a set of rule indexes.
fn rule_in(v: &[usize]) -> String {
    if v.len() == 1 {
        format!("rule = {}", v[0])
    } else {
        let s: Vec<String> = v.iter().map(|i| i.to_string()).collect();
        format!("rule IN ({})", s.join(", "))
    }
}

/// Groups rule indexes by a key, keeping first-seen order.
fn group_by<K: PartialEq + Clone>(n: usize, key: impl Fn(usize) -> K) -> Vec<(K, Vec<usize>)> {
    let mut out: Vec<(K, Vec<usize>)> = Vec::new();
    for i in 0..n {
        let k = key(i);
        match out.iter_mut().find(|(x, _)| *x == k) {
            Some((_, v)) => v.push(i),
            None => out.push((k, vec![i])),
        }
    }
    out
}

/// The level the decision gives, from `rule`.
fn level_expr(p: &CompiledPolicy) -> String {
    let g = group_by(p.rule_count(), |i| p.rule_level(i));
    let arms: Vec<String> = g
        .iter()
        .filter(|(l, _)| *l != Level::None)
        .map(|(l, v)| format!("WHEN {} THEN '{}'", rule_in(v), l.as_str()))
        .collect();
    if arms.is_empty() {
        return "'None'".into();
    }
    format!("CASE {} ELSE 'None' END", arms.join(" "))
}

fn stage_list(s: crate::audit::StageSet) -> Vec<&'static str> {
    s.iter().map(|x| x.as_str()).collect()
}

/// `stage IN (...)` for a stage set, `FALSE` when empty.
fn stage_in(s: crate::audit::StageSet, d: Dialect) -> String {
    if s.is_empty() {
        "FALSE".into()
    } else {
        in_list("COALESCE(stage, '')", &stage_list(s), d)
    }
}

/// Whether the decision omits the row's stage.
fn omitted_expr(p: &CompiledPolicy, d: Dialect) -> String {
    let none = p.no_match().omit_stages;
    let g = group_by(p.rule_count(), |i| p.rule_omit_stages(i));
    let mut arms = vec![format!("WHEN rule IS NULL THEN {}", stage_in(none, d))];
    for (s, v) in &g {
        if !s.is_empty() {
            arms.push(format!("WHEN {} THEN {}", rule_in(v), stage_in(*s, d)));
        }
    }
    format!("CASE {} ELSE FALSE END", arms.join(" "))
}

/// Rule `i`'s `omitManagedFields` as [`CompiledPolicy::evaluate`] decides it.
fn rule_omf(p: &CompiledPolicy, i: usize) -> bool {
    let pol = p.policy();
    pol.rules
        .get(i)
        .and_then(|r| r.omit_managed_fields)
        .unwrap_or(pol.omit_managed_fields)
}

/// Bytes kept of one row written at `level`, bodies less managedFields when `omf`
/// (`estimate_size_mf` without the omitted-stage test).
fn size_at(level: Level, omf: bool) -> String {
    let q = "(CASE WHEN request_object_bytes > 0 THEN request_object_bytes + 17 ELSE 0 END)";
    let r = "(CASE WHEN response_object_bytes > 0 THEN response_object_bytes + 18 ELSE 0 END)";
    let meta = format!("GREATEST(record_bytes - {q} - {r}, 0)");
    let body = |k: &str, mf: &str| {
        if omf {
            format!("GREATEST({k} - {mf}, 0)")
        } else {
            k.to_string()
        }
    };
    let mut s = meta;
    if level >= Level::Request {
        s.push_str(" + ");
        s.push_str(&body(q, "request_managed_fields_bytes"));
    }
    if level >= Level::RequestResponse {
        s.push_str(" + ");
        s.push_str(&body(r, "response_managed_fields_bytes"));
    }
    s
}

/// Estimated bytes the row takes under the policy.
fn kept_expr(p: &CompiledPolicy, d: Dialect) -> String {
    let g = group_by(p.rule_count(), |i| {
        (p.rule_level(i), p.rule_omit_stages(i), rule_omf(p, i))
    });
    let mut arms = Vec::new();
    for ((level, stages, omf), v) in &g {
        if *level == Level::None {
            continue;
        }
        let size = size_at(*level, *omf);
        let val = if stages.is_empty() {
            size
        } else {
            format!("CASE WHEN {} THEN 0 ELSE {size} END", stage_in(*stages, d))
        };
        arms.push(format!("WHEN {} THEN {val}", rule_in(v)));
    }
    if arms.is_empty() {
        return "0".into();
    }
    format!("CASE {} ELSE 0 END", arms.join("\n      "))
}

/// How the raw JSON event's fields map onto [`COLUMNS`] (those the queries read), for a
/// table whose columns are the event's top-level fields, nested objects as structs:
/// DuckDB `read_json('audit.log')`, Spark `spark.read.json`, BigQuery's JSON load with
/// `user`/`objectRef` as RECORDs, Trino's Hive JSON tables with `ROW` columns,
/// ClickHouse's `JSONEachRow` into `Tuple` columns. Sizes are not in such tables: the
/// byte columns are `NULL` (export to Parquet for them). `(column, expression)`.
pub fn raw_mapping(d: Dialect) -> Vec<(&'static str, String)> {
    let (user, obj) = match d {
        Dialect::DuckDb | Dialect::Trino => ("\"user\"", "\"objectRef\""),
        _ => ("`user`", "`objectRef`"),
    };
    let nz = |e: String| match d {
        Dialect::BigQuery => format!("IFNULL({e}, '')"),
        Dialect::ClickHouse => format!("ifNull({e}, '')"),
        _ => format!("COALESCE({e}, '')"),
    };
    let f = |o: &str, k: &str| format!("{o}.{k}");
    let uri = nz("requestURI".into());
    let path = match d {
        Dialect::DuckDb | Dialect::Trino => format!("split_part({uri}, '?', 1)"),
        Dialect::Spark => format!("substring_index({uri}, '?', 1)"),
        Dialect::BigQuery => format!("SPLIT({uri}, '?')[SAFE_OFFSET(0)]"),
        Dialect::ClickHouse => format!("splitByChar('?', {uri})[1]"),
    };
    let null = format!("CAST(NULL AS {})", d.int64());
    vec![
        ("audit_id", nz("auditID".into())),
        ("stage", "stage".into()),
        ("recorded_level", "level".into()),
        ("verb", nz("verb".into())),
        ("user_name", nz(f(user, "username"))),
        ("user_groups", f(user, "groups")),
        ("resource_request", format!("{obj} IS NOT NULL")),
        ("api_group", nz(f(obj, "apiGroup"))),
        ("resource", nz(f(obj, "resource"))),
        ("subresource", nz(f(obj, "subresource"))),
        ("namespace", nz(f(obj, "namespace"))),
        ("name", nz(f(obj, "name"))),
        ("path", path),
        ("record_bytes", null.clone()),
        ("request_object_bytes", null.clone()),
        ("response_object_bytes", null.clone()),
        ("request_managed_fields_bytes", null.clone()),
        ("response_managed_fields_bytes", null),
    ]
}

/// The whole query: the table (mapped first for [`Schema::RawJson`]), the rule `CASE`,
/// the decision's level, omitted stage and kept bytes, and the query asked for.
pub fn query(p: &CompiledPolicy, o: &Options) -> String {
    let d = o.dialect;
    let mut s = String::new();
    let src = match o.schema {
        Schema::Parquet => o.table.clone(),
        Schema::RawJson => {
            let cols: Vec<String> = raw_mapping(d)
                .into_iter()
                .map(|(c, e)| format!("    {e} AS {c}"))
                .collect();
            let _ = writeln!(
                s,
                "WITH events AS (\n  SELECT\n{}\n  FROM {}\n),",
                cols.join(",\n"),
                o.table
            );
            "events".into()
        }
    };
    if s.is_empty() {
        s.push_str("WITH ");
    }
    let _ = writeln!(
        s,
        "decided AS (\n  SELECT t.*,\n    {} AS rule\n  FROM {src} AS t\n),",
        rule_case(p, d)
    );
    let _ = writeln!(
        s,
        "judged AS (\n  SELECT decided.*,\n    {} AS level,\n    {} AS omitted,\n    {} AS kept_bytes\n  FROM decided\n)",
        level_expr(p),
        omitted_expr(p, d),
        kept_expr(p, d)
    );
    match o.query {
        Query::Rows => s.push_str("SELECT * FROM judged"),
        Query::Coverage => {
            let n = p.rule_count();
            let rules: Vec<String> = (0..n)
                .map(|i| {
                    format!(
                        "SELECT {i} AS rule, '{}' AS level",
                        p.rule_level(i).as_str()
                    )
                })
                .collect();
            let omitted = "CASE WHEN omitted THEN 1 ELSE 0 END";
            if n > 0 {
                // Rules with no events still get their row: the rule list joined to the
                // decided rows.
                let _ = write!(
                    s,
                    ",\nrules AS (\n  {}\n)\nSELECT * FROM (\nSELECT r.rule AS rule, r.level AS level, COUNT(j.rule) AS events,\n  COALESCE(SUM(j.record_bytes), 0) AS bytes,\n  COALESCE(SUM(j.kept_bytes), 0) AS kept_bytes,\n  COALESCE(SUM(CASE WHEN j.omitted THEN 1 ELSE 0 END), 0) AS omitted_events\nFROM rules AS r LEFT JOIN judged AS j ON j.rule = r.rule\nGROUP BY r.rule, r.level\nUNION ALL\n",
                    rules.join("\n  UNION ALL ")
                );
            } else {
                s.push_str("SELECT * FROM (\n");
            }
            let _ = write!(
                s,
                "SELECT CAST(NULL AS {}) AS rule, 'None' AS level, COUNT(*) AS events,\n  COALESCE(SUM(record_bytes), 0) AS bytes,\n  0 AS kept_bytes,\n  COALESCE(SUM({omitted}), 0) AS omitted_events\nFROM judged WHERE rule IS NULL\n) AS c\nORDER BY rule NULLS LAST",
                d.int64()
            );
        }
        Query::WhatIf => s.push_str(
            "SELECT COUNT(*) AS recorded_events,\n  COALESCE(SUM(record_bytes), 0) AS recorded_bytes,\n  COALESCE(SUM(CASE WHEN kept_bytes > 0 THEN 1 ELSE 0 END), 0) AS kept_events,\n  COALESCE(SUM(kept_bytes), 0) AS kept_bytes,\n  COALESCE(SUM(CASE WHEN rule IS NULL THEN 1 ELSE 0 END), 0) AS unmatched_events,\n  COALESCE(SUM(CASE WHEN omitted THEN 1 ELSE 0 END), 0) AS omitted_events\nFROM judged",
        ),
    }
    if o.schema == Schema::RawJson {
        // Sizes are not in raw tables: their sums stay NULL rather than read as 0.
        for c in ["record_bytes", "kept_bytes"] {
            for pre in ["j.", ""] {
                s = s.replace(
                    &format!("COALESCE(SUM({pre}{c}), 0)"),
                    &format!("SUM({pre}{c})"),
                );
            }
        }
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::policy::{KubeVersion, Policy};

    #[test]
    fn literals_per_dialect() {
        assert_eq!(literal("it's", Dialect::DuckDb), "'it''s'");
        assert_eq!(literal("a\\b", Dialect::DuckDb), "'a\\b'");
        assert_eq!(literal("", Dialect::Trino), "''");
        assert_eq!(literal("a\nb", Dialect::DuckDb), "('a' || chr(10) || 'b')");
        assert_eq!(literal("\n", Dialect::Trino), "chr(10)");
        assert_eq!(literal("it's", Dialect::Spark), "'it\\'s'");
        assert_eq!(literal("a\\b", Dialect::BigQuery), "'a\\\\b'");
        assert_eq!(literal("a\nb", Dialect::BigQuery), "'a\\u000Ab'");
        assert_eq!(literal("a\tb", Dialect::ClickHouse), "'a\\x09b'");
        assert_eq!(literal("é", Dialect::ClickHouse), "'é'");
    }

    fn rule(yaml: &str) -> PolicyRule {
        serde_yaml::from_str(yaml).expect("rule")
    }

    #[test]
    fn resource_forms() {
        let r = rule(
            "level: Metadata\nresources:\n- group: \"\"\n  resources: [pods, pods/log, \"*/status\", \"deployments/*\"]\n",
        );
        let c = rule_condition(&r, true, Dialect::DuckDb);
        assert!(c.starts_with("resource_request AND api_group = ''"), "{c}");
        assert!(
            c.contains("(subresource = '' AND resource = 'pods')"),
            "{c}"
        );
        assert!(
            c.contains(
                "resource || '/' || subresource END) IN ('pods/log', '*/status', 'deployments/*')"
            ),
            "{c}"
        );
        assert!(c.contains("(subresource <> '' AND subresource = 'status')"));
        assert!(c.contains("resource = 'deployments'"));
    }

    #[test]
    fn group_star_depends_on_version() {
        let p = Policy::new(vec![rule(
            "level: None\nresources:\n- group: \"*\"\n  resources: [\"*/status\"]\n",
        )]);
        let new = CompiledPolicy::new(
            &p,
            KubeVersion {
                major: 1,
                minor: 36,
            },
        );
        let old = CompiledPolicy::new(
            &p,
            KubeVersion {
                major: 1,
                minor: 35,
            },
        );
        assert!(!rule_case(&new, Dialect::Spark).contains("api_group"));
        assert!(rule_case(&old, Dialect::Spark).contains("api_group = '*'"));
    }

    #[test]
    fn urls_and_empty_rules() {
        let r = rule("level: None\nnonResourceURLs: [\"/healthz*\", /version, \"*\"]\n");
        assert_eq!(
            rule_condition(&r, true, Dialect::Trino),
            "NOT resource_request"
        );
        let r = rule("level: None\nnonResourceURLs: [\"/healthz**\", /version]\n");
        assert_eq!(
            rule_condition(&r, true, Dialect::ClickHouse),
            "NOT resource_request AND (path = '/version' OR startsWith(path, '/healthz'))"
        );
        assert_eq!(
            rule_condition(&rule("level: Metadata\n"), true, Dialect::DuckDb),
            "TRUE"
        );
        let p = Policy::new(vec![]);
        let c = CompiledPolicy::new(&p, KubeVersion::default());
        assert_eq!(rule_case(&c, Dialect::BigQuery), "CAST(NULL AS INT64)");
    }
}
