//! Compare two periods (issue 16 §5): for each user, user agent product, verb, resource,
//! response code and policy rule, the values that are new in period B, gone since period A,
//! or changed by a factor, with their counts in A and B.
//!
//! A period is a time range `[from, to)` (µs) or a set of loaded files. Counts are of the
//! rows the caller passes (the current filter's rows over all time); a row belongs to a
//! period by its `requestReceivedTimestamp` (a range) or by its file (a file set).
//!
//! **Rates.** Periods of unequal length compare by events per hour: `rate = count / hours`
//! where a range's hours are its length and a file set's the span of its events (first to
//! last received time, at least one second). `factor = rate_B / rate_A`.
//!
//! **Significance.** Rows are sorted by the conditional test of two Poisson counts: given
//! `n = a + b` events of a value and `p = hours_B / (hours_A + hours_B)`, under "no change"
//! `b` is binomial(n, p), and `score = (b − n·p) / √(n·p·(1 − p))` (a z-score; positive:
//! more in B). New and gone values get the same score, so five new events rank below a
//! hundred gone ones, and a doubling of 2 → 4 ranks below one of 200 → 400.
//!
//! Invariants: every listed row has `a + b > 0`; `New` ⇔ `a == 0`, `Gone` ⇔ `b == 0`;
//! `Up`/`Down` rows changed by at least `min_factor` (or its inverse); each row's `term`,
//! added to the filter with the time range of the period holding its events
//! ([`Side::window`]), selects exactly its events there — except `user:`, which also
//! matches the events where that user was impersonated (the filter's meaning).

use super::evaluate::Evaluation;
use super::topn::{key, label, TopDim};
use crate::store::{Dim, Store};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A day in µs ("the same time a day earlier").
pub const DAY_US: i64 = 86_400_000_000;
/// The shortest span a period counts with (a file set of one event has none).
const MIN_SPAN_US: i64 = 1_000_000;

/// What a row is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PeriodDim {
    /// The authenticated user.
    User,
    /// The user agent's product: the text before its first `/` (`kubectl/v1.30.1 (…)` →
    /// `kubectl`), case folded; the whole agent when it has no `/`.
    Agent,
    Verb,
    /// `resource[.group][/subresource]` as the top-N panels show it.
    Resource,
    /// HTTP response code.
    Code,
    /// The rule of the loaded policy that decides the event (`none`: no rule matched).
    Rule,
}

impl PeriodDim {
    pub const ALL: [PeriodDim; 6] = [
        PeriodDim::User,
        PeriodDim::Agent,
        PeriodDim::Verb,
        PeriodDim::Resource,
        PeriodDim::Code,
        PeriodDim::Rule,
    ];

    /// The name used in `data-kind` and in the CLI (`user`, `agent`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodDim::User => "user",
            PeriodDim::Agent => "agent",
            PeriodDim::Verb => "verb",
            PeriodDim::Resource => "resource",
            PeriodDim::Code => "code",
            PeriodDim::Rule => "rule",
        }
    }
}

/// One period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Side {
    /// Events received in `[from, to)`, µs.
    Range { from: i64, to: i64 },
    /// Events of these loaded files (store file indices, as in `Summary::files`).
    Files(Vec<u32>),
}

impl Side {
    /// Does row `r` belong to this period?
    #[inline]
    pub fn contains(&self, s: &Store, r: usize) -> bool {
        match self {
            Side::Range { from, to } => {
                let t = s.received(r);
                t >= *from && t < *to
            }
            Side::Files(f) => f.contains(&s.file(r)),
        }
    }

    /// The time range that shows this period's events in Explore: the range itself, or a
    /// file set's first to last received time (`[first, last + 1)`; other files' events
    /// in that span show too). `None`: an empty file set.
    pub fn window(&self, s: &Store) -> Option<(i64, i64)> {
        match self {
            Side::Range { from, to } => Some((*from, *to)),
            Side::Files(f) => {
                let (mut lo, mut hi) = (i64::MAX, i64::MIN);
                for r in 0..s.len() {
                    if f.contains(&s.file(r)) {
                        let t = s.received(r);
                        lo = lo.min(t);
                        hi = hi.max(t);
                    }
                }
                (lo <= hi).then(|| (lo, hi.saturating_add(1)))
            }
        }
    }

    /// The length rates are computed over, µs (at least one second).
    pub fn span_us(&self, s: &Store) -> i64 {
        let w = match self {
            Side::Range { from, to } => to.saturating_sub(*from),
            Side::Files(_) => self.window(s).map_or(0, |(a, b)| b - 1 - a),
        };
        w.max(MIN_SPAN_US)
    }
}

/// "The preceding period": as long as `b`, ending where `b` starts.
pub fn preceding(b: (i64, i64)) -> (i64, i64) {
    let len = b.1.saturating_sub(b.0);
    (b.0.saturating_sub(len), b.0)
}

/// "The same time a day earlier": `b` shifted back 24 hours.
pub fn day_earlier(b: (i64, i64)) -> (i64, i64) {
    (b.0.saturating_sub(DAY_US), b.1.saturating_sub(DAY_US))
}

/// The default period B when no time range is chosen: the latter half of the loaded span
/// `[first, last]` (so that "the preceding period" is its first half).
pub fn default_b(span: (i64, i64)) -> (i64, i64) {
    let (a, b) = (span.0, span.1.saturating_add(1));
    (a + (b - a) / 2, b)
}

/// How a value changed from A to B.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// In B, not in A.
    New,
    /// In A, not in B.
    Gone,
    /// Its rate grew by at least the factor asked for.
    Up,
    /// Its rate fell by at least that factor.
    Down,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Gone => "gone",
            Change::Up => "up",
            Change::Down => "down",
        }
    }
}

/// One value that changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeriodRow {
    pub dim: PeriodDim,
    /// As shown (`(none)`, `(non-resource)` for empty values; rules as `3` or `none`).
    pub value: String,
    /// The filter term selecting its events (`verb:get`), when one can be written.
    pub term: Option<String>,
    /// Events in A and in B.
    pub a: u64,
    pub b: u64,
    /// `rate_B / rate_A`; `None` for new and gone values.
    pub factor: Option<f64>,
    pub change: Change,
    /// See the module docs (a z-score; positive: more in B).
    pub score: f64,
}

/// What to list.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Options {
    /// A value present in both periods is listed when its rate changed by at least this
    /// factor (or fell to `1 / factor`).
    pub min_factor: f64,
    /// At most this many rows per dimension (the most significant).
    pub per_dim: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            min_factor: 2.0,
            per_dim: 50,
        }
    }
}

/// Per dimension: values seen and how many were listed, unchanged or left off.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DimCounts {
    pub dim: Option<PeriodDim>,
    /// Distinct values in A or B.
    pub values: u64,
    /// Values in both whose rate changed by less than the factor.
    pub unchanged: u64,
    /// Changed values beyond `per_dim`.
    pub left_off: u64,
}

/// The comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeriodsReport {
    pub a: Side,
    pub b: Side,
    /// The spans rates are computed over, µs.
    pub a_span_us: i64,
    pub b_span_us: i64,
    /// The filter's events in A and in B.
    pub a_events: u64,
    pub b_events: u64,
    /// Time ranges that show A's and B's events in Explore ([`Side::window`]).
    pub a_window: Option<(i64, i64)>,
    pub b_window: Option<(i64, i64)>,
    /// Most significant first.
    pub rows: Vec<PeriodRow>,
    pub dims: Vec<DimCounts>,
    /// A policy was given: the `rule` dimension is in.
    pub with_rules: bool,
    pub options: Options,
}

/// A filter value, quoted when the filter language needs it.
fn quote(v: &str) -> String {
    if v.is_empty() || v.contains(|c: char| c.is_whitespace() || c == '"' || c == ',') {
        format!("\"{}\"", v.replace('"', "\\\""))
    } else {
        v.to_string()
    }
}

/// The user agent's product (see [`PeriodDim::Agent`]) and whether the agent has a `/`.
pub fn agent_product(ua: &str) -> (&str, bool) {
    match ua.split_once('/') {
        Some((p, _)) => (p, true),
        None => (ua, false),
    }
}

#[derive(Default)]
struct Tally {
    a: u64,
    b: u64,
}

/// Compares period `a` with period `b` over `rows` (store rows, e.g. the current filter's
/// over all time). `ev`: the loaded policy's evaluation (adds the `rule` dimension).
pub fn compare(
    s: &Store,
    rows: &[u32],
    ev: Option<&Evaluation>,
    a: &Side,
    b: &Side,
    opt: &Options,
) -> PeriodsReport {
    let (a_span, b_span) = (a.span_us(s), b.span_us(s));
    let mut tallies: Vec<HashMap<u128, Tally>> = (0..6).map(|_| HashMap::new()).collect();
    // Agent products: one per distinct agent string, case folded.
    let mut product_id: HashMap<u32, u128> = HashMap::new();
    let mut products: Vec<(String, bool, bool)> = Vec::new(); // (shown, some with '/', some without)
    let mut product_of: HashMap<String, usize> = HashMap::new();
    let (mut a_events, mut b_events) = (0u64, 0u64);
    for &r in rows {
        let r = r as usize;
        let (in_a, in_b) = (a.contains(s, r), b.contains(s, r));
        if !in_a && !in_b {
            continue;
        }
        a_events += in_a as u64;
        b_events += in_b as u64;
        let ua = s.sym(Dim::UserAgent, r);
        let agent = *product_id.entry(ua).or_insert_with(|| {
            let text = s.str(Dim::UserAgent, r);
            let (p, slash) = agent_product(text);
            let k = p.to_ascii_lowercase();
            let i = *product_of.entry(k).or_insert_with(|| {
                products.push((p.to_string(), false, false));
                products.len() - 1
            });
            if slash {
                products[i].1 = true;
            } else {
                products[i].2 = true;
            }
            i as u128
        });
        let keys = [
            key(s, TopDim::User, r),
            agent,
            key(s, TopDim::Verb, r),
            key(s, TopDim::Resource, r),
            key(s, TopDim::Code, r),
            ev.map_or(0, |e| e.decision(r).rule.map_or(0, |k| k as u128 + 1)),
        ];
        let dims = if ev.is_some() { 6 } else { 5 };
        for (d, k) in keys.iter().enumerate().take(dims) {
            let t = tallies[d].entry(*k).or_default();
            t.a += in_a as u64;
            t.b += in_b as u64;
        }
    }
    // Resource names that occur under a non-core group (a core one then needs `apigroup:""`).
    let mut grouped: std::collections::HashSet<u32> = std::collections::HashSet::new();
    for k in tallies[3].keys() {
        if (k >> 32) as u32 != 0 && !s.dict.api_group.get((k >> 32) as u32).is_empty() {
            grouped.insert((k >> 64) as u32);
        }
    }
    let p = b_span as f64 / (a_span as f64 + b_span as f64);
    let mut out = Vec::new();
    let mut dims = Vec::new();
    for (d, dim) in PeriodDim::ALL.iter().copied().enumerate() {
        if dim == PeriodDim::Rule && ev.is_none() {
            continue;
        }
        let mut counts = DimCounts {
            dim: Some(dim),
            values: tallies[d].len() as u64,
            ..DimCounts::default()
        };
        let mut rows_d = Vec::new();
        for (k, t) in &tallies[d] {
            let change = if t.a == 0 {
                Change::New
            } else if t.b == 0 {
                Change::Gone
            } else {
                let f = (t.b as f64 / b_span as f64) / (t.a as f64 / a_span as f64);
                if f >= opt.min_factor {
                    Change::Up
                } else if f <= 1.0 / opt.min_factor {
                    Change::Down
                } else {
                    counts.unchanged += 1;
                    continue;
                }
            };
            let factor = (t.a > 0 && t.b > 0)
                .then(|| (t.b as f64 / b_span as f64) / (t.a as f64 / a_span as f64));
            let n = (t.a + t.b) as f64;
            let score = (t.b as f64 - n * p) / (n * p * (1.0 - p)).sqrt().max(f64::MIN_POSITIVE);
            let (value, term) = value_and_term(s, dim, *k, &products, &grouped);
            rows_d.push(PeriodRow {
                dim,
                value,
                term,
                a: t.a,
                b: t.b,
                factor,
                change,
                score,
            });
        }
        rows_d.sort_by(order);
        if rows_d.len() > opt.per_dim {
            counts.left_off = (rows_d.len() - opt.per_dim) as u64;
            rows_d.truncate(opt.per_dim);
        }
        out.extend(rows_d);
        dims.push(counts);
    }
    out.sort_by(order);
    PeriodsReport {
        a_window: a.window(s),
        b_window: b.window(s),
        a: a.clone(),
        b: b.clone(),
        a_span_us: a_span,
        b_span_us: b_span,
        a_events,
        b_events,
        rows: out,
        dims,
        with_rules: ev.is_some(),
        options: *opt,
    }
}

/// Most significant first; ties by dimension, then value.
fn order(x: &PeriodRow, y: &PeriodRow) -> std::cmp::Ordering {
    y.score
        .abs()
        .total_cmp(&x.score.abs())
        .then(x.dim.cmp(&y.dim))
        .then_with(|| x.value.cmp(&y.value))
}

fn value_and_term(
    s: &Store,
    dim: PeriodDim,
    k: u128,
    products: &[(String, bool, bool)],
    grouped: &std::collections::HashSet<u32>,
) -> (String, Option<String>) {
    let no_glob = |v: &str| !v.contains('*');
    match dim {
        PeriodDim::User | PeriodDim::Verb => {
            let d = if dim == PeriodDim::User {
                TopDim::User
            } else {
                TopDim::Verb
            };
            let raw = if dim == PeriodDim::User {
                s.dict.user.get(k as u32)
            } else {
                s.dict.verb.get(k as u32)
            };
            let term = (!raw.is_empty() && no_glob(raw))
                .then(|| format!("{}:{}", dim.as_str(), quote(raw)));
            (label(s, d, k), term)
        }
        PeriodDim::Agent => {
            let (shown, slash, plain) = &products[k as usize];
            if shown.is_empty() && !slash {
                return ("(none)".into(), None);
            }
            let term = no_glob(shown).then(|| {
                let mut alts = Vec::new();
                if *plain {
                    alts.push(quote(shown));
                }
                if *slash {
                    alts.push(quote(&format!("{shown}/*")));
                }
                format!("agent:{}", alts.join(","))
            });
            (
                if shown.is_empty() {
                    "(empty product)".into()
                } else {
                    shown.clone()
                },
                term,
            )
        }
        PeriodDim::Resource => {
            let res = s.dict.resource.get((k >> 64) as u32);
            let grp = s.dict.api_group.get((k >> 32) as u32);
            let l = label(s, TopDim::Resource, k);
            if res.is_empty() {
                // Non-resource requests: only `resource:""` matches them.
                return (l, Some("resource:\"\"".into()));
            }
            let mut t = format!("resource:{}", quote(&l));
            if grp.is_empty() && grouped.contains(&((k >> 64) as u32)) {
                t.push_str(" apigroup:\"\"");
            }
            let ok = no_glob(&l);
            (l, ok.then_some(t))
        }
        PeriodDim::Code => {
            if k == 0 {
                ("(none)".into(), None)
            } else {
                (k.to_string(), Some(format!("code:{k}")))
            }
        }
        PeriodDim::Rule => {
            if k == 0 {
                ("none".into(), Some("rule:none".into()))
            } else {
                ((k - 1).to_string(), Some(format!("rule:{}", k - 1)))
            }
        }
    }
}

/// What the page asks (`Request::ComparePeriods`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeriodsSpec {
    /// Echoed in the answer.
    pub id: u32,
    /// The Explore filter (without `req.`/`resp.` body terms).
    pub filter: String,
    pub a: Side,
    pub b: Side,
}

/// The answer (`Response::Periods`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeriodsAnswer {
    pub id: u32,
    /// The filter it was computed for.
    pub filter: String,
    pub report: Option<PeriodsReport>,
    /// Why there is no report (the filter does not compile, body terms, an empty period).
    pub error: Option<String>,
    pub elapsed_ms: f64,
}

/// Compiles the filter, selects its rows over all time and compares (the worker's and the
/// tests' entry point).
pub fn answer(s: &Store, ev: Option<&Evaluation>, spec: &PeriodsSpec) -> PeriodsAnswer {
    let fail = |e: String| PeriodsAnswer {
        id: spec.id,
        filter: spec.filter.clone(),
        report: None,
        error: Some(e),
        elapsed_ms: 0.0,
    };
    for side in [&spec.a, &spec.b] {
        match side {
            Side::Range { from, to } if to <= from => {
                return fail("A period is empty: pick a time range on the timeline.".into())
            }
            Side::Files(f) if f.is_empty() => {
                return fail("Each period needs at least one file.".into())
            }
            _ => {}
        }
    }
    let f = match crate::query::compile(s, &spec.filter, ev) {
        Ok(f) => f,
        Err(e) => return fail(format!("The filter does not read: {}", e.message)),
    };
    if f.needs_bodies() {
        return fail(
            "Compare counts metadata only: remove the req./resp. terms from the filter first."
                .into(),
        );
    }
    let rows = f.select(s, None, ev);
    let report = compare(s, &rows, ev, &spec.a, &spec.b, &Options::default());
    PeriodsAnswer {
        id: spec.id,
        filter: spec.filter.clone(),
        report: Some(report),
        error: None,
        elapsed_ms: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets() {
        assert_eq!(preceding((100, 160)), (40, 100));
        assert_eq!(day_earlier((DAY_US + 5, DAY_US + 9)), (5, 9));
        // Default B: the latter half of [0, 9] (as [0, 10)).
        assert_eq!(default_b((0, 9)), (5, 10));
    }

    #[test]
    fn agent_products() {
        assert_eq!(
            agent_product("kubectl/v1.30.1 (linux/amd64) kubernetes/7c48c2b"),
            ("kubectl", true)
        );
        assert_eq!(agent_product("curl"), ("curl", false));
        assert_eq!(agent_product(""), ("", false));
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("get"), "get");
        assert_eq!(quote("a b"), "\"a b\"");
        assert_eq!(quote(""), "\"\"");
    }
}
