//! Detection: a pack of rules ([`rules`]) run over a loaded store gives findings, each
//! the events one rule found for one actor (or object, client IP, or the whole log).
//!
//! A run has three steps so the page can read bodies asynchronously between them:
//! 1. [`Run::new`] compiles every rule against the store's dictionaries and runs its
//!    metadata terms. Rules whose terms need security facts test only the rows that have
//!    facts (a few per thousand), the others every row. A rule with body predicates keeps
//!    its rows as candidates.
//! 2. [`Run::body_candidates`] are the rows whose bytes must be read; the caller reads each
//!    one (the CLI from the decoded file, the page in windows, `query::bodyscan`) and
//!    hands it to [`Run::judge`].
//! 3. [`Run::finish`] applies thresholds (bursts of requests per user, IP or agent within
//!    a time window), groups the events into findings and sorts them: severity first,
//!    then the most recent.
//!
//! Invariants: a finding's `rows` are in store (time) order, never empty, and every row
//! matches its rule's filter (body predicates included); `requests` counts distinct audit
//! IDs (the stages of one request are one request); a rule that does not compile is
//! reported in [`Report::errors`] and gives no findings, the other rules still run.

pub mod answer;
pub mod blind;
pub mod rules;

use crate::query::{compile, Filter};
use crate::store::{Dim, Store};
pub use rules::{CountBy, GroupBy, Needs, Outcome, Pack, Rule, Severity, Threshold};
use serde::{Deserialize, Serialize};

/// Hash maps keyed by audit IDs and small tuples: foldhash (no DoS concern in a local
/// tool, and SipHash dominated the run over a million rows).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
type HashSet<K> = std::collections::HashSet<K, foldhash::fast::FixedState>;

/// One finding: what one rule found for one key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Index of the rule in the pack the run used.
    pub rule: u32,
    pub id: String,
    pub category: String,
    pub severity: Severity,
    pub title: String,
    /// What the events have in common: the user, the object (`-n NS RESOURCE/NAME`), the
    /// client IP, or "" for a rule grouped `none`.
    pub key: String,
    /// The events, time order.
    pub rows: Vec<u32>,
    /// Distinct requests (audit IDs) among `rows`.
    pub requests: u32,
    /// Requests refused (HTTP code ≥ 400 on some stage).
    pub denied: u32,
    /// Received time of the first and last event (µs).
    pub first_us: i64,
    pub last_us: i64,
    /// A filter that shows these events in Explore (the rule's filter narrowed to the
    /// key; for a threshold rule, to the burst's time span).
    pub filter: String,
}

/// What a rule's needs meet in this log: how many events are of its resources and verbs,
/// and how many of those carry what it reads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Support {
    /// Events of the rule's resources and verbs.
    pub events: u64,
    /// Of those, recorded at the level it needs.
    pub at_level: u64,
    /// Of those, at a stage it needs (all of `at_level` when it needs none).
    pub at_stage: u64,
}

/// The outcome of a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// Per rule of the pack: matched events (before thresholds).
    pub matched: Vec<u64>,
    /// Per rule of the pack: what the log holds of what it needs.
    pub support: Vec<Support>,
    /// Rules that could not run (`file:line: rule ID: why`).
    pub errors: Vec<String>,
    /// Events the run looked at.
    pub events: u64,
}

impl Report {
    /// Findings per severity, most serious first (`Severity::DESC` order).
    pub fn by_severity(&self) -> [u32; 5] {
        let mut out = [0; 5];
        for f in &self.findings {
            let i = Severity::DESC
                .iter()
                .position(|s| *s == f.severity)
                .unwrap_or(4);
            out[i] += 1;
        }
        out
    }

    /// The most serious severity found (`None` without findings).
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// A run in progress (see the module docs).
pub struct Run {
    pack: Pack,
    index: Index,
    filters: Vec<Option<Filter>>,
    /// Per rule: rows matching the metadata terms (candidates for body rules).
    rows: Vec<Vec<u32>>,
    /// Per rule with body predicates: which of its candidates matched.
    hits: Vec<Vec<bool>>,
    errors: Vec<String>,
}

impl Run {
    /// Compiles `pack` against `s` and runs every rule's metadata terms.
    pub fn new(s: &Store, pack: &Pack) -> Run {
        let mut filters = Vec::with_capacity(pack.rules.len());
        let mut errors = Vec::new();
        for r in &pack.rules {
            match compile(s, &r.filter, None) {
                Ok(f) => filters.push(Some(f)),
                Err(e) => {
                    let at = if r.line > 0 {
                        format!(":{}", r.line)
                    } else {
                        String::new()
                    };
                    errors.push(format!(
                        "{}{at}: rule {}: match: {}",
                        r.pack, r.id, e.message
                    ));
                    filters.push(None);
                }
            }
        }
        // The rows with facts, once for every rule that needs them.
        let fact_rows: Vec<u32> = if filters.iter().flatten().any(Filter::needs_facts) {
            (0..s.len())
                .filter(|&r| s.fact_bits(r) != 0)
                .map(|r| r as u32)
                .collect()
        } else {
            Vec::new()
        };
        let mut index = Index::default();
        let rows: Vec<Vec<u32>> = filters
            .iter()
            .map(|f| match f {
                None => Vec::new(),
                Some(f) if f.needs_facts() => fact_rows
                    .iter()
                    .copied()
                    .filter(|&r| f.matches(s, r as usize, None))
                    .collect(),
                Some(f) => match index.candidates(s, f) {
                    Some(c) => c
                        .into_iter()
                        .filter(|&r| f.matches(s, r as usize, None))
                        .collect(),
                    None => f.select(s, None, None),
                },
            })
            .collect();
        let hits = filters
            .iter()
            .zip(&rows)
            .map(|(f, r)| match f {
                Some(f) if f.needs_bodies() => vec![false; r.len()],
                _ => Vec::new(),
            })
            .collect();
        Run {
            pack: pack.clone(),
            index,
            filters,
            rows,
            hits,
            errors,
        }
    }

    /// Rows whose event bytes [`judge`](Self::judge) must see (sorted, each once).
    pub fn body_candidates(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self
            .filters
            .iter()
            .zip(&self.rows)
            .filter(|(f, _)| f.as_ref().is_some_and(Filter::needs_bodies))
            .flat_map(|(_, r)| r.iter().copied())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Decides the body predicates of every rule that has `row` as a candidate, on the
    /// event's JSON bytes; true when one of them matches.
    pub fn judge(&mut self, row: u32, event: &[u8]) -> bool {
        let mut any = false;
        for ((f, rows), hits) in self.filters.iter().zip(&self.rows).zip(&mut self.hits) {
            let Some(f) = f.as_ref().filter(|f| f.needs_bodies()) else {
                continue;
            };
            if let Ok(i) = rows.binary_search(&row) {
                if f.matches_body(event) {
                    hits[i] = true;
                    any = true;
                }
            }
        }
        any
    }

    /// The pack being run.
    pub fn pack(&self) -> &Pack {
        &self.pack
    }

    /// Thresholds, grouping and order: the report.
    pub fn finish(self, s: &Store) -> Report {
        let Run {
            pack,
            mut index,
            filters,
            rows,
            hits,
            errors,
        } = self;
        // Rules counting by outcome need every stage of their requests: one pass over the
        // store for the requests they matched.
        let mut rows = rows;
        for (i, f) in filters.iter().enumerate() {
            if f.as_ref().is_some_and(|f| f.needs_bodies()) {
                let keep: Vec<u32> = rows[i]
                    .iter()
                    .zip(&hits[i])
                    .filter(|(_, h)| **h)
                    .map(|(r, _)| *r)
                    .collect();
                rows[i] = keep;
            }
        }
        let outcomes = outcomes(
            s,
            pack.rules
                .iter()
                .zip(&rows)
                .filter(|(r, _)| r.outcome != Outcome::Any)
                .flat_map(|(_, v)| v.iter().copied()),
        );
        let mut findings = Vec::new();
        let mut matched = Vec::with_capacity(rows.len());
        for (i, (rule, rows)) in pack.rules.iter().zip(rows).enumerate() {
            let rows: Vec<u32> = match rule.outcome {
                Outcome::Any => rows,
                want => rows
                    .into_iter()
                    .filter(|&r| {
                        let st = outcomes
                            .get(&s.audit_key(r as usize))
                            .copied()
                            .unwrap_or_default();
                        match want {
                            Outcome::Allowed => st.allowed && !st.denied,
                            _ => st.denied,
                        }
                    })
                    .collect(),
            };
            matched.push(rows.len() as u64);
            let rows = match &rule.threshold {
                Some(t) => bursts(s, &rows, t),
                None => rows,
            };
            findings.extend(group(s, i as u32, rule, rows));
        }
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(b.last_us.cmp(&a.last_us))
                .then(a.rule.cmp(&b.rule))
                .then(a.key.cmp(&b.key))
        });
        let support = supports_with(s, &pack, &mut index);
        Report {
            findings,
            matched,
            support,
            errors,
            events: s.len() as u64,
        }
    }
}

/// What the stages of one request say about its outcome.
#[derive(Clone, Copy, Default)]
struct Status {
    allowed: bool,
    denied: bool,
}

/// The outcome of every request that `rows` belong to, over all their stages in `s`.
fn outcomes(s: &Store, rows: impl Iterator<Item = u32>) -> HashMap<(bool, u128), Status> {
    let mut m: HashMap<(bool, u128), Status> = rows
        .map(|r| (s.audit_key(r as usize), Status::default()))
        .collect();
    if m.is_empty() {
        return m;
    }
    let dec = s.dict.of(Dim::Decision);
    let verdict: Vec<u8> = dec
        .iter()
        .map(|(_, v)| match v {
            "allow" => 1,
            "forbid" => 2,
            _ => 0,
        })
        .collect();
    // A bit per key hash first: most rows belong to none of these requests, and testing
    // a bit is much cheaper than a map lookup of a 128-bit key (in wasm above all).
    const BITS: usize = 1 << 20;
    let bit = |k: (bool, u128)| {
        let (lo, hi) = (k.1 as u64, (k.1 >> 64) as u64);
        ((lo ^ hi.rotate_left(29) ^ k.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 44) as usize
            % BITS
    };
    let mut seen = vec![0u64; BITS / 64];
    for k in m.keys() {
        let b = bit(*k);
        seen[b / 64] |= 1 << (b % 64);
    }
    for r in 0..s.len() {
        let k = s.audit_key(r);
        let b = bit(k);
        if seen[b / 64] & (1 << (b % 64)) == 0 {
            continue;
        }
        let Some(st) = m.get_mut(&k) else {
            continue;
        };
        let code = s.code(r);
        let d = verdict
            .get(s.sym(Dim::Decision, r) as usize)
            .copied()
            .unwrap_or(0);
        if code >= 400 || d == 2 {
            st.denied = true;
        } else if (code > 0 && code < 400) || d == 1 {
            st.allowed = true;
        }
    }
    m
}

/// Rows by dictionary id, per dimension, built when a rule first asks (a counting sort:
/// one pass to count, one to place), and the rows answered with an error.
#[derive(Default)]
struct Index {
    /// Per dimension: `offsets` (one more than ids) and the rows, grouped by id.
    by: HashMap<Dim, (Vec<u32>, Vec<u32>)>,
    failures: Option<Vec<u32>>,
}

impl Index {
    /// The candidate rows of `f` (sorted): those of its most selective seed, or of its
    /// code term when it only takes errors, or `None` when it has neither (every row is
    /// then tested).
    fn candidates(&mut self, s: &Store, f: &Filter) -> Option<Vec<u32>> {
        if f.code_floor().is_some_and(|c| c >= 400) {
            let fails = self.failures.get_or_insert_with(|| {
                (0..s.len())
                    .filter(|&r| s.code(r) >= 400)
                    .map(|r| r as u32)
                    .collect()
            });
            return Some(fails.clone());
        }
        let seeds = f.seeds();
        let mut best: Option<(usize, &crate::query::Seed)> = None;
        // A resource term is selective in every rule worth writing: take it without
        // building the other dimensions' indexes to compare.
        let resource = seeds
            .iter()
            .find(|sd| sd.len() == 1 && sd[0].0 == Dim::Resource);
        if let Some(seed) = resource {
            best = Some((0, seed));
        }
        for seed in seeds.iter().filter(|_| resource.is_none()) {
            let mut n = 0;
            for (d, set) in seed {
                let (off, _) = self.lists(s, *d);
                n += set
                    .iter()
                    .enumerate()
                    .filter(|(_, &b)| b)
                    .map(|(i, _)| {
                        off.get(i + 1)
                            .zip(off.get(i))
                            .map_or(0, |(b, a)| (b - a) as usize)
                    })
                    .sum::<usize>();
            }
            if best.is_none_or(|(m, _)| n < m) {
                best = Some((n, seed));
            }
        }
        let (_, seed) = best?;
        let mut out: Vec<u32> = Vec::new();
        for (d, set) in seed {
            let (off, rows) = self.lists(s, *d);
            for (i, _) in set.iter().enumerate().filter(|(_, &b)| b) {
                if let (Some(&a), Some(&b)) = (off.get(i), off.get(i + 1)) {
                    out.extend_from_slice(&rows[a as usize..b as usize]);
                }
            }
        }
        if seed.len() > 1 || set_count(seed) > 1 {
            out.sort_unstable();
            out.dedup();
        }
        Some(out)
    }

    fn lists(&mut self, s: &Store, d: Dim) -> &(Vec<u32>, Vec<u32>) {
        self.by.entry(d).or_insert_with(|| {
            let ids: Vec<u32> = (0..s.len()).map(|r| s.sym(d, r)).collect();
            let n = ids
                .iter()
                .copied()
                .max()
                .map_or(0, |m| m as usize + 1)
                .max(s.dict.of(d).len());
            let mut off = vec![0u32; n + 1];
            for &id in &ids {
                off[id as usize + 1] += 1;
            }
            for i in 0..n {
                off[i + 1] += off[i];
            }
            let mut next = off.clone();
            let mut rows = vec![0u32; ids.len()];
            for (r, &id) in ids.iter().enumerate() {
                rows[next[id as usize] as usize] = r as u32;
                next[id as usize] += 1;
            }
            (off, rows)
        })
    }
}

fn set_count(seed: &[(Dim, Vec<bool>)]) -> usize {
    seed.iter()
        .map(|(_, s)| s.iter().filter(|b| **b).count())
        .sum()
}

/// Runs `pack` over `s`, reading bodies with `read(row)` (the event's JSON; a row whose
/// bytes cannot be read does not match). The CLI's and the tests' one-call form.
pub fn run(s: &Store, pack: &Pack, read: &mut dyn FnMut(usize) -> Option<Vec<u8>>) -> Report {
    let mut r = Run::new(s, pack);
    for row in r.body_candidates() {
        if let Some(b) = read(row as usize) {
            r.judge(row, &b);
        }
    }
    r.finish(s)
}

impl crate::query::bodyscan::Judge for Run {
    fn judge(&mut self, row: u32, event: &[u8]) -> bool {
        Run::judge(self, row, event)
    }
}

/// The rows of `rows` (time order) that belong to a burst: at least `t.count` distinct
/// requests of one key within `t.window_us`. One row per request is counted (its first).
fn bursts(s: &Store, rows: &[u32], t: &Threshold) -> Vec<u32> {
    let mut first_of: HashMap<(bool, u128), u32> = HashMap::default();
    let mut by_key: HashMap<u32, Vec<u32>> = HashMap::default();
    for &r in rows {
        let k = s.audit_key(r as usize);
        if first_of.contains_key(&k) {
            continue;
        }
        first_of.insert(k, r);
        by_key
            .entry(count_key(s, r as usize, t.by))
            .or_default()
            .push(r);
    }
    let mut keep: HashSet<(bool, u128)> = HashSet::default();
    let n = t.count as usize;
    for reqs in by_key.values() {
        let mut lo = 0;
        for hi in 0..reqs.len() {
            let t_hi = s.received(reqs[hi] as usize);
            while t_hi - s.received(reqs[lo] as usize) >= t.window_us as i64 {
                lo += 1;
            }
            if hi + 1 - lo >= n {
                for &r in &reqs[lo..=hi] {
                    keep.insert(s.audit_key(r as usize));
                }
            }
        }
    }
    rows.iter()
        .copied()
        .filter(|&r| keep.contains(&s.audit_key(r as usize)))
        .collect()
}

fn count_key(s: &Store, r: usize, by: CountBy) -> u32 {
    match by {
        CountBy::User => s.sym(Dim::User, r),
        CountBy::Ip => s.source_ips_id(r),
        CountBy::Agent => s.sym(Dim::UserAgent, r),
    }
}

/// Quotes a filter value when it needs it.
fn quoted(v: &str) -> String {
    if !v.is_empty()
        && v.chars()
            .all(|c| !c.is_whitespace() && !matches!(c, '"' | ',' | '*' | '(' | ')'))
    {
        v.to_string()
    } else {
        format!("\"{}\"", v.replace('"', ""))
    }
}

fn group(s: &Store, i: u32, rule: &Rule, rows: Vec<u32>) -> Vec<Finding> {
    if rows.is_empty() {
        return Vec::new();
    }
    // Keys in order of first appearance (stable output).
    let mut order: Vec<String> = Vec::new();
    let mut parts: HashMap<String, (Vec<u32>, String)> = HashMap::default();
    for r in rows {
        let ru = r as usize;
        let (key, narrow) = match rule.group {
            GroupBy::Actor => {
                let u = s.str(Dim::User, ru).to_string();
                let t = format!("user:{}", quoted(&u));
                (u, t)
            }
            GroupBy::Ip => {
                let ip = s.first_source_ip(ru).to_string();
                let t = format!("ip:{}", quoted(&ip));
                (ip, t)
            }
            GroupBy::Object => {
                let ns = s.str(Dim::Namespace, ru);
                let name = s.str(Dim::Name, ru);
                let mut t = String::new();
                if !ns.is_empty() {
                    t.push_str(&format!("ns:{} ", quoted(ns)));
                }
                t.push_str(&format!("name:{}", quoted(name)));
                (answer::object_of(s, ru), t)
            }
            GroupBy::None => (String::new(), String::new()),
        };
        match parts.get_mut(&key) {
            Some(p) => p.0.push(r),
            None => {
                order.push(key.clone());
                parts.insert(key, (vec![r], narrow));
            }
        }
    }
    order
        .into_iter()
        .map(|key| {
            let (rows, narrow) = parts.remove(&key).unwrap_or_default();
            let mut reqs: HashMap<(bool, u128), bool> = HashMap::default();
            for &r in &rows {
                let denied = s.code(r as usize) >= 400;
                *reqs.entry(s.audit_key(r as usize)).or_default() |= denied;
            }
            let first_us = s.received(rows[0] as usize);
            let last_us = s.received(*rows.last().unwrap_or(&rows[0]) as usize);
            let mut filter = rule.filter.clone();
            if !narrow.is_empty() {
                filter.push(' ');
                filter.push_str(&narrow);
            }
            if rule.threshold.is_some() {
                filter.push_str(&format!(
                    " after:{} before:{}",
                    crate::util::format_rfc3339_micros(first_us),
                    crate::util::format_rfc3339_micros(last_us + 1)
                ));
            }
            Finding {
                rule: i,
                id: rule.id.clone(),
                category: rule.category.clone(),
                severity: rule.severity,
                title: rule.title.clone(),
                key,
                requests: reqs.len() as u32,
                denied: reqs.values().filter(|d| **d).count() as u32,
                first_us,
                last_us,
                rows,
                filter,
            }
        })
        .collect()
}

/// Splits a `RESOURCE[.GROUP][/SUB]` of a needs list into (resource, group or `None`
/// for any group, subresource or `None` for none).
fn split_resource(r: &str) -> (&str, Option<&str>, Option<&str>) {
    let (main, sub) = match r.split_once('/') {
        Some((m, s)) => (m, Some(s)),
        None => (r, None),
    };
    match main.split_once('.') {
        Some((res, g)) => (res, Some(g), sub),
        None => (main, None, sub),
    }
}

/// What the log holds of what each rule of `pack` needs: the rows of the resources the
/// rules name (from the resource index) are counted per distinct (verb, resource, group,
/// subresource, level, stage) tuple, every row per (level, stage) for the rules about any
/// request; then each rule's needs are decided per tuple.
pub fn supports(s: &Store, pack: &Pack) -> Vec<Support> {
    supports_with(s, pack, &mut Index::default())
}

fn supports_with(s: &Store, pack: &Pack, index: &mut Index) -> Vec<Support> {
    let named: HashSet<&str> = pack
        .rules
        .iter()
        .flat_map(|r| r.needs.resources.iter())
        .filter(|r| !r.starts_with('/'))
        .map(|r| split_resource(r).0)
        .collect();
    // Rules the resource index cannot serve: `*`, verbs of any resource, URLs only.
    let all_resources = named.contains("*")
        || pack.rules.iter().any(|r| {
            let n = &r.needs;
            let urls_only =
                !n.resources.is_empty() && n.resources.iter().all(|x| x.starts_with('/'));
            (n.resources.is_empty() && !n.verbs.is_empty()) || urls_only
        });
    let mut tuples: HashMap<(u32, u32, u32, u32, u8, u8), u64> = HashMap::default();
    let mut count = |r: usize| {
        let k = (
            s.sym(Dim::Verb, r),
            s.sym(Dim::Resource, r),
            s.sym(Dim::ApiGroup, r),
            s.sym(Dim::Subresource, r),
            s.level_byte(r),
            s.stage_byte(r),
        );
        *tuples.entry(k).or_default() += 1;
    };
    if all_resources {
        (0..s.len()).for_each(&mut count);
    } else {
        let ids: Vec<usize> = s
            .dict
            .of(Dim::Resource)
            .iter()
            .enumerate()
            .filter(|(_, (_, v))| named.contains(v))
            .map(|(i, _)| i)
            .collect();
        let (off, rows) = index.lists(s, Dim::Resource);
        for i in ids {
            if let (Some(&a), Some(&b)) = (off.get(i), off.get(i + 1)) {
                rows[a as usize..b as usize]
                    .iter()
                    .for_each(|&r| count(r as usize));
            }
        }
    }
    // Every row by (level, stage), for the rules about any request and verb.
    let slot = |b: u8| (b as usize).min(4);
    let mut by_level_stage = [[0u64; 5]; 5];
    if pack.rules.iter().any(|r| r.needs.resources.is_empty()) {
        for r in 0..s.len() {
            by_level_stage[slot(s.level_byte(r))][slot(s.stage_byte(r))] += 1;
        }
    }
    let str_of = |d: Dim, id: u32| s.dict.of(d).get(id);
    pack.rules
        .iter()
        .map(|rule| {
            let n = &rule.needs;
            let res: Vec<(&str, Option<&str>, Option<&str>)> = n
                .resources
                .iter()
                .filter(|r| !r.starts_with('/'))
                .map(|r| split_resource(r))
                .collect();
            let mut out = Support::default();
            if n.resources.is_empty() && n.verbs.is_empty() {
                for (l, row) in by_level_stage.iter().enumerate() {
                    for (st, &c) in row.iter().enumerate() {
                        out.events += c;
                        let level = crate::audit::Level::ALL.get(l).copied();
                        if level.is_some_and(|x| x >= n.level) {
                            out.at_level += c;
                            let stage = crate::audit::Stage::ALL.get(st).copied();
                            if n.stages.is_empty() || stage.is_some_and(|x| n.stages.contains(&x)) {
                                out.at_stage += c;
                            }
                        }
                    }
                }
                return out;
            }
            for (&(v, rr, g, sub, lvl, st), &c) in &tuples {
                let verb = str_of(Dim::Verb, v);
                if !n.verbs.is_empty() && !n.verbs.iter().any(|x| x == verb) {
                    continue;
                }
                if !res.is_empty() {
                    let (rr, g, sub) = (
                        str_of(Dim::Resource, rr),
                        str_of(Dim::ApiGroup, g),
                        str_of(Dim::Subresource, sub),
                    );
                    let ok = res.iter().any(|(x, xg, xs)| {
                        (*x == "*" || *x == rr)
                            && xg.is_none_or(|xg| xg == g)
                            && match xs {
                                None => sub.is_empty(),
                                Some("*") => true,
                                Some(xs) => *xs == sub,
                            }
                    });
                    if !ok {
                        continue;
                    }
                }
                out.events += c;
                let level = crate::audit::Level::ALL.get(lvl as usize).copied();
                if level.is_some_and(|l| l >= n.level) {
                    out.at_level += c;
                    let stage = crate::audit::Stage::ALL.get(st as usize).copied();
                    if n.stages.is_empty() || stage.is_some_and(|x| n.stages.contains(&x)) {
                        out.at_stage += c;
                    }
                }
            }
            out
        })
        .collect()
}
