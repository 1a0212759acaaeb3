//! The filter language: one line of `field:value` terms that selects events.
//!
//! ```text
//! user:alice*  -verb:get,list  resource:pods/exec  ns:kube-system  code:>=400  code:5xx
//! stage:ResponseStarted  level:RequestResponse  ip:10.0.*  agent:kubectl*  decision:forbid
//! rule:3  rule:none  uri:/api/v1/*  auditid:f9e9*  after:2026-11-02T08:00  before:...  latency:>1s
//! "free text"  secrets        (bare words search the request path and object names)
//! ```
//! Terms are ANDed; `,` separates alternatives within a term; a leading `-` negates a
//! term; `*` matches any run of characters (without `*` a field value must match whole);
//! matching ignores ASCII case. Values with spaces go in double quotes.
//!
//! Compiling resolves every string term against the store's dictionaries once, so testing
//! a row is a few array lookups. Errors carry the byte range of the offending text.

pub mod body;
pub mod bodyscan;
pub mod complete;
pub mod parse;
pub mod translate;

use crate::analysis::evaluate::Evaluation;
use crate::audit::{Level, Stage};
use crate::ingest::facts::FACT_NAMES;
use crate::store::{Dim, Store, F_PATH_DERIVED};
use crate::util::parse_rfc3339_micros;
pub use parse::{parse, Field, ParseError, Term};
use serde::{Deserialize, Serialize};

/// Ids a matching row must have one of, per dimension (see [`Filter::seeds`]).
pub type Seed = Vec<(Dim, Vec<bool>)>;

/// A compiled test of one term.
enum Test {
    /// Bit set over a dictionary of `dim`.
    Sym(Dim, Vec<bool>),
    /// `user:`: the authenticated user's set, or the impersonated user's (never the empty
    /// "not impersonated" entry).
    UserOrAs(Vec<bool>, Vec<bool>),
    /// Resource term: alternatives of (resource id set, subresource test, API group set or
    /// `None` for any group).
    Resource(Vec<(Vec<bool>, SubTest, Option<Vec<bool>>)>),
    /// Fact bits: any alternative's bit set.
    Fact(u32),
    /// Fact strings (ids into `dict.facts`) of one kind that match.
    FactStr(FactPart, Vec<bool>),
    /// The exec command line matches one of these globs.
    Command(Vec<String>),
    /// A body predicate (index into `Filter::body`): in the metadata pass it holds when
    /// the row has that body at all; [`Filter::matches_body`] decides on the bytes.
    Body(usize),
    Groups(Vec<bool>),
    Ips(Vec<bool>),
    Code(Vec<(u16, u16)>),
    Latency(Vec<(u64, u64)>),
    Stage(u8),
    Level(u8),
    Rule(Vec<bool>, bool),
    AuditId(Vec<String>),
    Uri(Vec<String>),
    After(i64),
    Before(i64),
    Text(Vec<TextWord>),
    Never,
}

#[derive(Clone, Copy)]
enum FactPart {
    Image,
    RoleRefName,
    HostPath,
}

enum SubTest {
    /// Any subresource, or none (`pods/*`, `*`).
    Any,
    /// One of these subresource ids (`pods`: the empty one; `pods/exec`, `*/exec`).
    Set(Vec<bool>),
}

struct Compiled {
    negate: bool,
    test: Test,
}

/// A compiled filter for one store (and optionally one policy evaluation).
pub struct Filter {
    terms: Vec<Compiled>,
    /// Body predicates, with their negation, in term order.
    body: Vec<(body::BodyTest, bool)>,
}

/// Where a compiled filter needs the policy: a `rule:` term without a loaded policy.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CompileError {
    pub message: String,
    pub start: usize,
    pub end: usize,
}

/// Case-insensitive glob: `*` matches any run; no `*` means whole-string equality.
pub fn glob(pat: &str, s: &str) -> bool {
    let (p, t) = (pat.as_bytes(), s.as_bytes());
    if !p.contains(&b'*') {
        return p.eq_ignore_ascii_case(t);
    }
    let parts: Vec<&[u8]> = p.split(|&c| c == b'*').collect();
    let mut pos = 0usize;
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() {
            continue;
        }
        if i == 0 {
            if t.len() < part.len() || !t[..part.len()].eq_ignore_ascii_case(part) {
                return false;
            }
            pos = part.len();
        } else if i == parts.len() - 1 {
            return t.len() >= pos + part.len()
                && t[t.len() - part.len()..].eq_ignore_ascii_case(part);
        } else {
            match find_ci(&t[pos..], part) {
                Some(k) => pos += k + part.len(),
                None => return false,
            }
        }
    }
    true
}

/// Case-insensitive substring search.
pub fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    if hay.len() < needle.len() {
        return None;
    }
    (0..=hay.len() - needle.len()).find(|&i| hay[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    find_ci(hay.as_bytes(), needle.as_bytes()).is_some()
}

fn dict_set(s: &Store, d: Dim, pats: &[String]) -> Vec<bool> {
    s.dict
        .of(d)
        .iter()
        .map(|(_, v)| pats.iter().any(|p| glob(p, v)))
        .collect()
}

/// The fact strings (`dict.facts`) matching `pats` (never the empty id 0).
fn fact_strs(s: &Store, pats: &[String]) -> Vec<bool> {
    s.dict
        .facts
        .iter()
        .map(|(_, v)| !v.is_empty() && pats.iter().any(|p| glob(p, v)))
        .collect()
}

/// The impersonated users matching `pats`, never the empty "not impersonated" entry
/// unless `""` is asked for (`as:*` is every impersonated request, not every request).
fn impersonated_set(s: &Store, pats: &[String]) -> Vec<bool> {
    s.dict
        .of(Dim::ImpersonatedUser)
        .iter()
        .map(|(_, v)| {
            pats.iter().any(|p| {
                if v.is_empty() {
                    p.is_empty()
                } else {
                    glob(p, v)
                }
            })
        })
        .collect()
}

/// One `resource:` alternative, with kube-apiserver's policy meaning
/// (`pkg/audit/policy/checker.go` `ruleMatchesResource`): `pods` is the resource without
/// a subresource, `pods/*` the resource with any subresource or none, `pods/exec` one
/// subresource, `*/exec` that subresource of any resource, `*` everything. Unlike a
/// policy, parts may be globs (`config*`). `leases.coordination.k8s.io` also names the
/// API group (kubectl's `RESOURCE.GROUP`; the core group has no suffix).
fn resource_alt(s: &Store, v: &str) -> (Vec<bool>, SubTest, Option<Vec<bool>>) {
    let (r, sub) = match v.split_once('/') {
        Some((r, sub)) => (r, Some(sub)),
        None => (v, None),
    };
    let (r, group) = match r.split_once('.') {
        Some((r, g)) => (r, Some(g)),
        None => (r, None),
    };
    // A resource pattern names resources: a non-resource request (no resource) matches
    // only `resource:""`, as no resource rule of a policy matches it.
    let rs: Vec<bool> = s
        .dict
        .of(Dim::Resource)
        .iter()
        .map(|(_, x)| {
            if x.is_empty() {
                r.is_empty()
            } else {
                glob(r, x)
            }
        })
        .collect();
    let st = match sub {
        None if r == "*" => SubTest::Any,
        None => SubTest::Set(
            s.dict
                .of(Dim::Subresource)
                .iter()
                .map(|(_, x)| x.is_empty())
                .collect(),
        ),
        Some("*") => SubTest::Any,
        Some(sub) => SubTest::Set(
            s.dict
                .of(Dim::Subresource)
                .iter()
                .map(|(_, x)| !x.is_empty() && glob(sub, x))
                .collect(),
        ),
    };
    let gs = group.map(|g| dict_set(s, Dim::ApiGroup, &[g.to_string()]));
    (rs, st, gs)
}

/// Parses "403", ">=400", "<300", "5xx", "400-499" into inclusive ranges.
pub(crate) fn code_range(v: &str) -> Option<(u16, u16)> {
    let v = v.trim();
    let num = |x: &str| x.trim().parse::<u16>().ok();
    if let Some(x) = v.strip_prefix(">=") {
        return Some((num(x)?, u16::MAX));
    }
    if let Some(x) = v.strip_prefix("<=") {
        return Some((0, num(x)?));
    }
    if let Some(x) = v.strip_prefix('>') {
        return Some((num(x)?.checked_add(1)?, u16::MAX));
    }
    if let Some(x) = v.strip_prefix('<') {
        return Some((0, num(x)?.checked_sub(1)?));
    }
    let lower = v.to_ascii_lowercase();
    if lower.len() == 3 && lower.ends_with("xx") {
        let d = lower.as_bytes()[0];
        if d.is_ascii_digit() {
            let base = (d - b'0') as u16 * 100;
            return Some((base, base + 99));
        }
    }
    if let Some((a, b)) = v.split_once('-') {
        return Some((num(a)?, num(b)?));
    }
    if lower == "none" {
        return Some((0, 0));
    }
    num(v).map(|c| (c, c))
}

/// Parses "1s", "250ms", "2m", "1h", "500us" into microseconds.
pub fn parse_duration_us(v: &str) -> Option<u64> {
    let v = v.trim();
    let split = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let (n, u) = v.split_at(split);
    let n: f64 = n.parse().ok()?;
    let m = match u.trim().to_ascii_lowercase().as_str() {
        "us" | "µs" => 1.0,
        "ms" => 1e3,
        "" | "s" => 1e6,
        "m" | "min" => 6e7,
        "h" => 3.6e9,
        _ => return None,
    };
    Some((n * m) as u64)
}

pub(crate) fn latency_range(v: &str) -> Option<(u64, u64)> {
    let v = v.trim();
    if let Some(x) = v.strip_prefix(">=") {
        return Some((parse_duration_us(x)?, u64::MAX));
    }
    if let Some(x) = v.strip_prefix("<=") {
        return Some((0, parse_duration_us(x)?));
    }
    if let Some(x) = v.strip_prefix('>') {
        return Some((parse_duration_us(x)?.saturating_add(1), u64::MAX));
    }
    if let Some(x) = v.strip_prefix('<') {
        return Some((0, parse_duration_us(x)?.saturating_sub(1)));
    }
    let d = parse_duration_us(v)?;
    Some((d, d))
}

/// Parses a time for `after:`/`before:`: RFC 3339, or a prefix of it in UTC
/// (`2026-11-02`, `2026-11-02T08`, `2026-11-02T08:30`).
pub fn parse_time(v: &str) -> Option<i64> {
    if let Some(t) = parse_rfc3339_micros(v) {
        return Some(t);
    }
    let v = v.trim().replace(' ', "T");
    let full = match v.len() {
        10 => format!("{v}T00:00:00Z"),
        13 => format!("{v}:00:00Z"),
        16 => format!("{v}:00Z"),
        19 => format!("{v}Z"),
        _ => return None,
    };
    parse_rfc3339_micros(&full)
}

impl Filter {
    /// Compiles parsed terms against `s`. `ev` is the loaded policy's evaluation, needed
    /// only by `rule:` terms.
    pub fn compile(
        s: &Store,
        terms: &[Term],
        ev: Option<&Evaluation>,
    ) -> Result<Filter, CompileError> {
        let mut out = Vec::new();
        let mut bodies = Vec::new();
        for t in terms {
            let err = |m: String| CompileError {
                message: m,
                start: t.start,
                end: t.end,
            };
            let vals = &t.values;
            let test = match t.field {
                // kube-apiserver's policy checker matches the authenticated user; a person
                // looking for bob means bob whoever authenticated, so `user:` is either.
                Field::User => {
                    let imp = impersonated_set(s, vals);
                    Test::UserOrAs(dict_set(s, Dim::User, vals), imp)
                }
                Field::Impersonated => Test::Sym(Dim::ImpersonatedUser, impersonated_set(s, vals)),
                Field::Fact => {
                    let mut mask = 0u32;
                    for v in vals {
                        let hits: Vec<u32> = FACT_NAMES
                            .iter()
                            .filter(|(_, n)| glob(v, n))
                            .map(|(b, _)| *b)
                            .collect();
                        if hits.is_empty() {
                            let names: Vec<&str> = FACT_NAMES.iter().map(|(_, n)| *n).collect();
                            return Err(err(format!(
                                "fact: unknown fact \"{v}\" (one of {})",
                                names.join(", ")
                            )));
                        }
                        hits.iter().for_each(|b| mask |= b);
                    }
                    Test::Fact(mask)
                }
                Field::Image => Test::FactStr(FactPart::Image, fact_strs(s, vals)),
                Field::RoleRef => Test::FactStr(FactPart::RoleRefName, fact_strs(s, vals)),
                Field::HostPath => Test::FactStr(FactPart::HostPath, fact_strs(s, vals)),
                Field::Command => Test::Command(vals.clone()),
                Field::Body => {
                    let Some(path) = t.body.clone() else {
                        return Err(err("a body term without a path".into()));
                    };
                    bodies.push((body::BodyTest::new(path, vals, &t.quoted), t.negate));
                    Test::Body(bodies.len() - 1)
                }
                Field::Verb => Test::Sym(Dim::Verb, dict_set(s, Dim::Verb, vals)),
                Field::Namespace => Test::Sym(Dim::Namespace, dict_set(s, Dim::Namespace, vals)),
                Field::Name => Test::Sym(Dim::Name, dict_set(s, Dim::Name, vals)),
                Field::Agent => Test::Sym(Dim::UserAgent, dict_set(s, Dim::UserAgent, vals)),
                Field::Group => Test::Groups(
                    (0..s.dict.groups.members.len() as u32)
                        .map(|id| {
                            s.dict
                                .groups
                                .members_of(id)
                                .any(|m| vals.iter().any(|p| glob(p, m)))
                        })
                        .collect(),
                ),
                Field::Ip => Test::Ips(
                    (0..s.dict.source_ips.members.len() as u32)
                        .map(|id| {
                            s.dict
                                .source_ips
                                .members_of(id)
                                .any(|m| vals.iter().any(|p| glob(p, m)))
                        })
                        .collect(),
                ),
                Field::ApiGroup => Test::Sym(Dim::ApiGroup, dict_set(s, Dim::ApiGroup, vals)),
                Field::Reason => Test::Sym(Dim::StatusReason, dict_set(s, Dim::StatusReason, vals)),
                Field::Decision => Test::Sym(Dim::Decision, dict_set(s, Dim::Decision, vals)),
                Field::Resource => {
                    Test::Resource(vals.iter().map(|v| resource_alt(s, v)).collect())
                }
                Field::Code => Test::Code(
                    vals.iter()
                        .map(|v| {
                            code_range(v).ok_or_else(|| {
                                err(format!(
                                    "code: cannot read \"{v}\" (try 403, >=400, 5xx, 400-499)"
                                ))
                            })
                        })
                        .collect::<Result<_, _>>()?,
                ),
                Field::Latency => Test::Latency(
                    vals.iter()
                        .map(|v| {
                            latency_range(v).ok_or_else(|| {
                                err(format!("latency: cannot read \"{v}\" (try >1s, <=250ms)"))
                            })
                        })
                        .collect::<Result<_, _>>()?,
                ),
                Field::Stage => {
                    let mut bits = 0u8;
                    for v in vals {
                        let hits: Vec<Stage> = Stage::ALL
                            .into_iter()
                            .filter(|st| glob(v, st.as_str()))
                            .collect();
                        if hits.is_empty() {
                            return Err(err(format!("stage: unknown stage \"{v}\" (RequestReceived, ResponseStarted, ResponseComplete, Panic)")));
                        }
                        hits.iter().for_each(|st| bits |= st.bit());
                    }
                    Test::Stage(bits)
                }
                Field::Level => {
                    let mut bits = 0u8;
                    for v in vals {
                        let hits: Vec<Level> = Level::ALL
                            .into_iter()
                            .filter(|l| glob(v, l.as_str()))
                            .collect();
                        if hits.is_empty() {
                            return Err(err(format!("level: unknown level \"{v}\" (None, Metadata, Request, RequestResponse)")));
                        }
                        hits.iter().for_each(|l| bits |= 1 << (*l as u8));
                    }
                    Test::Level(bits)
                }
                Field::Rule => {
                    let Some(ev) = ev else {
                        return Err(err("rule: load a policy first (the Policy tab) to filter by the rule that decides each event".into()));
                    };
                    let max = ev
                        .key_decision
                        .iter()
                        .filter_map(|d| d.rule)
                        .max()
                        .map_or(0, |m| m + 1);
                    let mut set = vec![false; max.max(1)];
                    let mut none = false;
                    for v in vals {
                        if v.eq_ignore_ascii_case("none") {
                            none = true;
                        } else {
                            let i: usize = v.parse().map_err(|_| {
                                err(format!(
                                    "rule: \"{v}\" is not a rule number (0-based) or none"
                                ))
                            })?;
                            // A rule past the last one that decides any event matches
                            // nothing; the number never sizes an allocation (review §3.3:
                            // `rule:4000000000` used to ask for 4 GB).
                            if let Some(x) = set.get_mut(i) {
                                *x = true;
                            }
                        }
                    }
                    Test::Rule(set, none)
                }
                Field::AuditId => Test::AuditId(vals.clone()),
                Field::Uri => Test::Uri(vals.clone()),
                Field::After => Test::After(parse_time(&vals[0]).ok_or_else(|| {
                    err(format!(
                        "after: cannot read time \"{}\" (try 2026-11-02T08:30 or RFC 3339)",
                        vals[0]
                    ))
                })?),
                Field::Before => Test::Before(parse_time(&vals[0]).ok_or_else(|| {
                    err(format!(
                        "before: cannot read time \"{}\" (try 2026-11-02T08:30 or RFC 3339)",
                        vals[0]
                    ))
                })?),
                Field::Text => Test::Text(vals.iter().map(|w| TextWord::new(s, w)).collect()),
            };
            let test = match test {
                Test::Sym(_, ref set) if set.iter().all(|b| !b) => Test::Never,
                Test::FactStr(_, ref set) if set.iter().all(|b| !b) => Test::Never,
                Test::UserOrAs(ref a, ref b) if a.iter().chain(b).all(|x| !x) => Test::Never,
                t => t,
            };
            out.push(Compiled {
                negate: t.negate,
                test,
            });
        }
        Ok(Filter {
            terms: out,
            body: bodies,
        })
    }

    /// True when the filter has no terms (every row matches).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// True when the filter has body predicates: the rows [`select`](Self::select) returns
    /// are then candidates, each to be decided by [`matches_body`](Self::matches_body) on
    /// the event's bytes.
    pub fn needs_bodies(&self) -> bool {
        !self.body.is_empty()
    }

    /// True when a row can only match if it has security facts (a positive `fact:`,
    /// `image:`, `roleref:`, `hostpath:` or `cmd:` term): the rows to test are then the
    /// few with facts ([`Store::fact_bits`] non-zero), not every row.
    pub fn needs_facts(&self) -> bool {
        self.terms.iter().any(|c| {
            !c.negate && matches!(c.test, Test::Fact(_) | Test::FactStr(..) | Test::Command(_))
        })
    }

    /// The positive dictionary terms, each as the ids a matching row must have (any of
    /// them, over one or two dimensions: `user:` is the user's or the impersonated user's
    /// dictionary). A row that matches the filter has, for every seed, one of its ids —
    /// so the rows of an index by that dimension are the only candidates. `Never` is one
    /// empty seed.
    pub fn seeds(&self) -> Vec<Seed> {
        let mut out = Vec::new();
        for c in self.terms.iter().filter(|c| !c.negate) {
            match &c.test {
                Test::Sym(d, set) => out.push(vec![(*d, set.clone())]),
                Test::UserOrAs(u, a) => out.push(vec![
                    (Dim::User, u.clone()),
                    (Dim::ImpersonatedUser, a.clone()),
                ]),
                Test::Resource(alts) => {
                    let mut any = vec![false; alts.first().map_or(0, |a| a.0.len())];
                    for (set, _, _) in alts {
                        for (i, &b) in set.iter().enumerate() {
                            if b {
                                if let Some(x) = any.get_mut(i) {
                                    *x = true;
                                }
                            }
                        }
                    }
                    out.push(vec![(Dim::Resource, any)]);
                }
                Test::Never => out.push(Vec::new()),
                _ => {}
            }
        }
        out
    }

    /// The lowest HTTP code a matching row can have, when a positive `code:` term bounds
    /// it (`code:401` → 401, `code:4xx,5xx` → 400); `None` without one.
    pub fn code_floor(&self) -> Option<u16> {
        self.terms
            .iter()
            .filter(|c| !c.negate)
            .filter_map(|c| match &c.test {
                Test::Code(rs) => rs.iter().map(|r| r.0).min(),
                _ => None,
            })
            .max()
    }

    /// The body predicates' verdict on one event's JSON bytes (every one must hold).
    pub fn matches_body(&self, event: &[u8]) -> bool {
        self.body.iter().all(|(t, neg)| t.matches(event) != *neg)
    }

    /// [`select`](Self::select), then the body predicates on each candidate's bytes:
    /// `read(row)` gives the event's JSON (a row whose bytes cannot be read is an error).
    pub fn select_with_bodies(
        &self,
        s: &Store,
        range: Option<(i64, i64)>,
        ev: Option<&Evaluation>,
        read: &mut dyn FnMut(usize) -> Result<Vec<u8>, String>,
    ) -> Result<Vec<u32>, String> {
        let rows = self.select(s, range, ev);
        if !self.needs_bodies() {
            return Ok(rows);
        }
        let mut out = Vec::new();
        for r in rows {
            if self.matches_body(&read(r as usize)?) {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Does row `r` match every term?
    ///
    /// A body predicate is not decided here: a positive one holds when the row has that
    /// body at all, a negated one always (see [`matches_body`](Self::matches_body)).
    pub fn matches(&self, s: &Store, r: usize, ev: Option<&Evaluation>) -> bool {
        self.terms.iter().all(|c| match &c.test {
            Test::Body(i) => {
                c.negate
                    || match self.body[*i].0.path.side {
                        body::Side::Req => s.request_object_size(r) > 0,
                        body::Side::Resp => s.response_object_size(r) > 0,
                    }
            }
            t => test(t, s, r, ev) != c.negate,
        })
    }

    /// Rows (in store order) that match and whose received time is in `[from, to)`.
    pub fn select(
        &self,
        s: &Store,
        range: Option<(i64, i64)>,
        ev: Option<&Evaluation>,
    ) -> Vec<u32> {
        let ts = s.received_col();
        let (lo, hi) = match range {
            Some((a, b)) if s.is_sorted() => (
                ts.partition_point(|&t| t < a),
                ts.partition_point(|&t| t < b),
            ),
            _ => (0, s.len()),
        };
        let in_range = |r: usize| range.is_none_or(|(a, b)| ts[r] >= a && ts[r] < b);
        (lo..hi)
            .filter(|&r| in_range(r) && self.matches(s, r, ev))
            .map(|r| r as u32)
            .collect()
    }
}

fn test(t: &Test, s: &Store, r: usize, ev: Option<&Evaluation>) -> bool {
    match t {
        Test::Sym(d, set) => set[s.sym(*d, r) as usize],
        Test::UserOrAs(u, a) => {
            u[s.sym(Dim::User, r) as usize] || a[s.sym(Dim::ImpersonatedUser, r) as usize]
        }
        // Decided in `matches` (the metadata pass) and on the bytes.
        Test::Body(_) => true,
        Test::Fact(mask) => s.fact_bits(r) & mask != 0,
        Test::FactStr(part, set) => s.facts(r).is_some_and(|f| {
            let hit = |id: u32| set.get(id as usize).copied().unwrap_or(false);
            match part {
                FactPart::Image => f.parts.images.iter().any(|&i| hit(i)),
                FactPart::HostPath => f.parts.host_paths.iter().any(|&i| hit(i)),
                FactPart::RoleRefName => {
                    let [_, n] = f.parts.role_ref;
                    n != 0 && hit(n)
                }
            }
        }),
        Test::Command(pats) => s.facts(r).is_some_and(|f| {
            !f.parts.command.is_empty() && {
                let line = f.command_line();
                pats.iter().any(|p| glob(p, &line))
            }
        }),
        Test::Resource(alts) => {
            let (res, sub) = (
                s.sym(Dim::Resource, r) as usize,
                s.sym(Dim::Subresource, r) as usize,
            );
            alts.iter().any(|(rs, st, gs)| {
                rs[res]
                    && match st {
                        SubTest::Any => true,
                        SubTest::Set(ss) => ss[sub],
                    }
                    && gs
                        .as_ref()
                        .is_none_or(|g| g[s.sym(Dim::ApiGroup, r) as usize])
            })
        }
        Test::Groups(set) => set[s.groups_id(r) as usize],
        Test::Ips(set) => set[s.source_ips_id(r) as usize],
        Test::Code(rs) => {
            let c = s.code(r);
            rs.iter().any(|&(a, b)| c >= a && c <= b)
        }
        Test::Latency(rs) => {
            let l = s.latency(r) as u64;
            rs.iter().any(|&(a, b)| l >= a && l <= b)
        }
        Test::Stage(bits) => {
            let b = s.stage_byte(r);
            b < 8 && bits & (1 << b) != 0
        }
        Test::Level(bits) => {
            let b = s.level_byte(r);
            b < 8 && bits & (1 << b) != 0
        }
        Test::Rule(set, none) => match ev.map(|e| e.decision(r).rule) {
            Some(Some(i)) => set.get(i).copied().unwrap_or(false),
            Some(None) => *none,
            None => false,
        },
        Test::AuditId(pats) => {
            let id = s.audit_id(r);
            pats.iter().any(|p| glob(p, &id))
        }
        Test::Uri(pats) => {
            let p = s.path(r);
            pats.iter().any(|pat| glob(pat, &p))
        }
        Test::After(t) => s.received(r) >= *t,
        Test::Before(t) => s.received(r) < *t,
        Test::Text(words) => words.iter().all(|w| w.matches(s, r)),
        Test::Never => false,
    }
}

/// A bare word, resolved against the dictionaries: it matches a row when it is a
/// substring (ASCII case ignored) of the object name or of the request path.
struct TextWord {
    word: String,
    name: Vec<bool>,
    path: Vec<bool>,
    /// Per path component dictionary (group, version, namespace, resource, subresource).
    parts: [Vec<bool>; 5],
    in_api: bool,
    in_apis: bool,
    in_namespaces: bool,
    slash: bool,
}

const PATH_PARTS: [Dim; 5] = [
    Dim::ApiGroup,
    Dim::ApiVersion,
    Dim::Namespace,
    Dim::Resource,
    Dim::Subresource,
];

impl TextWord {
    fn new(s: &Store, w: &str) -> TextWord {
        let set = |d: Dim| {
            s.dict
                .of(d)
                .iter()
                .map(|(_, v)| contains_ci(v, w))
                .collect::<Vec<bool>>()
        };
        TextWord {
            word: w.to_string(),
            name: set(Dim::Name),
            path: set(Dim::Path),
            parts: PATH_PARTS.map(set),
            in_api: contains_ci("api", w),
            in_apis: contains_ci("apis", w),
            in_namespaces: contains_ci("namespaces", w),
            slash: w.contains('/'),
        }
    }

    fn matches(&self, s: &Store, r: usize) -> bool {
        if self.name[s.sym(Dim::Name, r) as usize] {
            return true;
        }
        if s.flags(r) & F_PATH_DERIVED == 0 {
            return self.path[s.sym(Dim::Path, r) as usize];
        }
        if !self.slash {
            // A derived path is its components joined by '/': a word without '/' lies in one
            // component (the name was checked above) or in a constant part.
            let syms = PATH_PARTS.map(|d| s.sym(d, r) as usize);
            if (0..5).any(|i| self.parts[i][syms[i]]) {
                return true;
            }
            let core = s.str(Dim::ApiGroup, r).is_empty();
            let nsd =
                !s.str(Dim::Namespace, r).is_empty() && s.str(Dim::Resource, r) != "namespaces";
            return (if core { self.in_api } else { self.in_apis }) || (nsd && self.in_namespaces);
        }
        contains_ci(&s.path(r), &self.word)
    }
}

/// Parses and compiles in one step; errors carry byte ranges into `text`.
pub fn compile(s: &Store, text: &str, ev: Option<&Evaluation>) -> Result<Filter, CompileError> {
    let terms = parse(text).map_err(|e| CompileError {
        message: e.message,
        start: e.start,
        end: e.end,
    })?;
    Filter::compile(s, &terms, ev)
}
