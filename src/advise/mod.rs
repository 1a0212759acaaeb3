//! The volume advisor (issue 14): where a policy's bytes go, which concrete rule changes
//! would cut them, what each saves and what it costs the findings pack and the guard-rails,
//! and a plan that reaches a target cut without breaking a guard-rail.
//!
//! **Measuring.** The log's rows are grouped by evaluation key (the distinct policy-relevant
//! attributes, [`crate::analysis::evaluate`]); for each key and stage the advisor sums the
//! bytes an event would take at each level (the metadata, the request body, the response
//! body, their `managedFields`), exactly as [`crate::analysis::volume::estimate_size`]
//! sizes one event. A policy's volume is then a sum over keys of its decision for each,
//! and a change is measured by re-deciding only the keys it can touch: first match wins,
//! so a rule inserted at position `at` takes exactly the keys it matches that no rule before
//! `at` matched. Every plan is checked again at the end by loading the edited text and
//! evaluating it from scratch.
//!
//! **Placement.** A new rule for a group of requests is inserted right before the rule that
//! decides the heaviest of them now (its seed): no earlier rule matches the seed (first match),
//! so none shadows the new rule for it; the new rule cannot take anything from the rules
//! before it; and what it takes from the rules after it is listed ([`Take`]) and checked
//! against every guard-rail.
//!
//! **Guard-rails** ([`guard`]) are checked twice: over the log's requests (per key, exact
//! for every request the log holds) for every candidate, and over witnesses
//! ([`crate::audit::needs::check_with`]: every identity, namespace and resource a rule
//! names and a fresh one for the rest) for each change that is proposed.

pub mod edit;
pub mod guard;

use crate::analysis::evaluate::{evaluate, uses_resource_names, AttrIndex};
use crate::analysis::volume::span_hours;
use crate::audit::eval::{CompiledPolicy, Decision};
use crate::audit::needs::{
    check_new_failures, check_with, covers, identity_kind, judge_request, IdentityKind, Need,
    Witnesses,
};
use crate::audit::policy::{
    load_policy, GroupResources, LoadOptions, LoadedPolicy, Policy, PolicyRule,
};
use crate::audit::{Level, Stage, StageSet};
use crate::detect::rules::{Pack, Severity};
use crate::detect::Finding;
use crate::store::{Dim, Store};
use edit::Change;
use guard::{Guard, Rail};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// `,"requestObject":` and `,"responseObject":` (see `analysis::volume`).
const REQ_KEY: u64 = 17;
const RESP_KEY: u64 = 18;

/// At most this many suggestions are answered (and blocked ones shown).
pub const SUGGESTIONS_MAX: usize = 12;
pub const BLOCKED_MAX: usize = 8;
/// Ranking rows answered.
pub const RANK_MAX: usize = 200;
/// A plan stops after this many changes.
pub const PLAN_STEPS_MAX: usize = 40;
/// Changes saving less than this share of the policy's bytes are not proposed.
const MIN_SHARE: f64 = 0.001;
/// Heaviest keys a step derives new rules from.
const SEEDS_MAX: usize = 48;

/// Sizes of one key's events at one stage.
#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    events: u64,
    /// Without bodies.
    meta: u64,
    /// Request bodies with their key.
    req: u64,
    resp: u64,
    /// `managedFields` of the request and response bodies.
    req_mf: u64,
    resp_mf: u64,
}

/// Slots: the four stages, then events with no stage.
const SLOTS: usize = 5;

struct Key {
    rep: u32,
    kind: IdentityKind,
    slots: [Slot; SLOTS],
}

/// The bytes `managedFields` take in a row's request and response bodies (what
/// `omitManagedFields` removes, measured at ingest).
fn managed_fields(s: &Store, r: usize) -> (u32, u32) {
    s.managed_fields_size(r)
}

/// One row's stage slot and sizes (an event of `Slot` with `events` 1).
fn row_slot(s: &Store, r: usize) -> (usize, Slot) {
    let slot = s
        .stage(r)
        .and_then(|st| Stage::ALL.iter().position(|x| *x == st))
        .unwrap_or(4);
    let e = s.event_size(r) as u64;
    let q = s.request_object_size(r) as u64;
    let p = s.response_object_size(r) as u64;
    let qk = if q > 0 { q + REQ_KEY } else { 0 };
    let pk = if p > 0 { p + RESP_KEY } else { 0 };
    let (qm, pm) = managed_fields(s, r);
    (
        slot,
        Slot {
            events: 1,
            meta: e.saturating_sub(qk + pk),
            req: qk,
            resp: pk,
            req_mf: (qm as u64).min(qk),
            resp_mf: (pm as u64).min(pk),
        },
    )
}

/// What one slot writes under `d` when its stage is kept: (bytes, body bytes,
/// managedFields bytes of the bodies kept).
fn slot_bytes(sl: &Slot, d: &Decision) -> (u64, u64, u64) {
    let omf = d.omit_managed_fields;
    let (mut body, mut mf) = (0, 0);
    if d.level >= Level::Request {
        body += sl.req - if omf { sl.req_mf } else { 0 };
        mf += if omf { 0 } else { sl.req_mf };
    }
    if d.level >= Level::RequestResponse {
        body += sl.resp - if omf { sl.resp_mf } else { 0 };
        mf += if omf { 0 } else { sl.resp_mf };
    }
    (sl.meta + body, body, mf)
}

/// True when decision `d` drops or omits the stage of slot `i`.
fn slot_dropped(d: &Decision, i: usize) -> bool {
    d.level == Level::None || (i < 4 && d.omit_stages.contains(Stage::ALL[i]))
}

/// Events and bytes of one key under decision `d`.
fn key_volume(k: &Key, d: &Decision) -> (u64, u64) {
    let mut ev = 0;
    let mut by = 0;
    for (i, sl) in k.slots.iter().enumerate() {
        if sl.events == 0 || slot_dropped(d, i) {
            continue;
        }
        ev += sl.events;
        by += slot_bytes(sl, d).0;
    }
    (ev, by)
}

/// Body and managedFields bytes of one key under `d`.
fn key_bodies(k: &Key, d: &Decision) -> (u64, u64) {
    let (mut body, mut mf) = (0, 0);
    for (i, sl) in k.slots.iter().enumerate() {
        if !slot_dropped(d, i) {
            let (_, b, m) = slot_bytes(sl, d);
            body += b;
            mf += m;
        }
    }
    (body, mf)
}

/// Whether `d` loses bodies that the reference decision `r` records (`keep: bodies`):
/// a level below it, or the ResponseComplete stage newly omitted.
fn bodies_lost(r: &Decision, d: &Decision) -> bool {
    r.level >= Level::Request
        && (d.level < r.level
            || (d.omit_stages.contains(Stage::ResponseComplete)
                && !r.omit_stages.contains(Stage::ResponseComplete)))
}

/// One line of "where the bytes go".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RankRow {
    /// The user, or `system:nodes` (group) for the nodes.
    pub actor: String,
    pub actor_is_group: bool,
    /// The user agent's product (`kubelet`, `kube-controller-manager`).
    pub agent: String,
    pub verb: String,
    /// `RESOURCE[.GROUP][/SUB]` or the URL path.
    pub resource: String,
    pub level: Level,
    pub rule: Option<usize>,
    pub events: u64,
    pub bytes: u64,
    /// Of `bytes`, request and response bodies.
    pub body_bytes: u64,
    pub events_per_hour: f64,
    pub bytes_per_day: f64,
    /// The filter that shows these events in Explore.
    pub filter: String,
}

/// What a policy keeps, split.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shares {
    pub events: u64,
    pub bytes: u64,
    pub bytes_per_day: f64,
    /// Bytes of bodies kept.
    pub body_bytes: u64,
    /// Of the bodies, `managedFields` (what `omitManagedFields: true` would save).
    pub managed_fields_bytes: u64,
}

/// Events a change moves from one rule to another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Take {
    /// The rule that decided them before (index in the policy before the change).
    pub from: Option<usize>,
    pub from_line: u32,
    pub events: u64,
    pub bytes_before: u64,
    pub bytes_after: u64,
}

/// A guard-rail a change would break, with the request that shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Break {
    pub guard: String,
    pub title: String,
    pub kinds: Vec<IdentityKind>,
    /// "`get secrets` by system:serviceaccount:… is not recorded — rule 3 (level None)".
    pub why: String,
    /// The rule responsible (index in the changed policy).
    pub rule: Option<usize>,
}

/// What a change does to one rule of the findings pack.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackEffect {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// Of the log's requests the rule reads, how many this change leaves unrecorded (or
    /// recorded below what the rule reads).
    pub events: u64,
    /// Events of this log's findings of that rule dropped or stripped.
    pub finding_events: u64,
}

/// One proposed change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Suggestion {
    /// Stable within one answer (`s3`).
    pub id: String,
    pub change: Change,
    /// "new-rule", "lower-level", "omit-stage", "omit-managed-fields".
    pub kind: String,
    pub title: String,
    /// Where it goes and why there.
    pub placement: String,
    /// The new rule as YAML (new rules only).
    pub rule_yaml: String,
    /// 1-based line of the edit in the new text.
    pub line: u32,
    pub takes: Vec<Take>,
    pub events_before: u64,
    pub events_after: u64,
    pub saved_bytes: u64,
    pub saved_per_day: f64,
    /// Of the current policy's bytes.
    pub saved_share: f64,
    pub pack: Vec<PackEffect>,
    /// Empty when the suggestion keeps every guard-rail.
    pub breaks: Vec<Break>,
    /// The policy text with the change made.
    pub text: String,
    /// The text could not be edited in place and was written out whole.
    pub rewritten: bool,
}

/// A guard-rail on the current policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardVerdict {
    pub id: String,
    pub title: String,
    /// 1-based line in the guard file.
    pub line: u32,
    pub ok: bool,
    /// Kinds of identity it fails for (witnesses).
    pub kinds: Vec<IdentityKind>,
    /// The log's requests it fails for (events).
    pub log_events: u64,
    /// A few failing requests with the rule deciding each.
    pub failures: Vec<String>,
    /// Rules responsible.
    pub rules: Vec<usize>,
}

/// A plan for a target cut.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub target_pct: f64,
    /// The cut reached (percent of the current policy's bytes).
    pub reached_pct: f64,
    pub steps: Vec<Suggestion>,
    /// Why it stopped.
    pub stop: String,
    pub reached: bool,
    pub text: String,
    pub before: Shares,
    pub after: Shares,
    /// The plan's policy against the guard-rails (all ok unless the reference already
    /// broke one).
    pub guards: Vec<GuardVerdict>,
}

/// The advisor's answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Advice {
    pub span_hours: f64,
    /// What the current policy keeps.
    pub current: Shares,
    pub ranking: Vec<RankRow>,
    pub rank_total: usize,
    pub suggestions: Vec<Suggestion>,
    /// Large savings the guard-rails forbid, with why.
    pub blocked: Vec<Suggestion>,
    pub guards: Vec<GuardVerdict>,
    pub plan: Option<Plan>,
    /// Candidates measured (all steps).
    pub measured: u64,
    pub notes: Vec<String>,
}

/// What the advisor is asked.
pub struct Ask<'a> {
    /// The policy's text and the policy read from it.
    pub text: &'a str,
    pub policy: &'a LoadedPolicy,
    /// How the text is read back (the Kubernetes version).
    pub opts: LoadOptions,
    /// What `keep: bodies` guards compare with (default: `policy`).
    pub reference: Option<&'a LoadedPolicy>,
    pub guards: &'a [Guard],
    /// Reach this cut (percent of the current policy's bytes) with a plan.
    pub target_pct: Option<f64>,
    pub pack: Option<&'a Pack>,
    pub findings: &'a [Finding],
    /// Identities of the log (witnesses of the per-identity checks).
    pub seen: &'a [(String, Vec<String>)],
}

/// The advisor's view of one log: keys with their sizes. Build once per store (and per
/// key granularity: with or without resource names).
pub struct Sized {
    keys: Vec<Key>,
    row_key: Vec<u32>,
    by_verb: HashMap<u32, Vec<u32>>,
    names: bool,
    hours: f64,
}

impl Sized {
    /// Groups the rows of `s` by evaluation key (`names`: keys include the object name,
    /// for policies with `resourceNames`).
    pub fn build(s: &Store, idx: &AttrIndex, names: bool) -> Sized {
        let probe = {
            let mut p = Policy::new(Vec::new());
            if names {
                let mut r = PolicyRule::new(Level::None);
                r.resources = vec![GroupResources {
                    group: String::new(),
                    resources: vec!["audit-lens-probe".into()],
                    resource_names: vec!["x".into()],
                }];
                p.rules.push(r);
            }
            CompiledPolicy::new(&p, Default::default())
        };
        let ev = evaluate(s, idx, &probe);
        let mut keys: Vec<Key> = ev
            .keys
            .iter()
            .map(|&(rep, _)| {
                let r = rep as usize;
                let groups: Vec<&str> = s.dict.groups.members_of(s.groups_id(r)).collect();
                Key {
                    rep,
                    kind: identity_kind(s.str(Dim::User, r), &groups),
                    slots: [Slot::default(); SLOTS],
                }
            })
            .collect();
        for r in 0..s.len() {
            let (slot, one) = row_slot(s, r);
            let sl = &mut keys[ev.row_key[r] as usize].slots[slot];
            sl.events += 1;
            sl.meta += one.meta;
            sl.req += one.req;
            sl.resp += one.resp;
            sl.req_mf += one.req_mf;
            sl.resp_mf += one.resp_mf;
        }
        let mut by_verb: HashMap<u32, Vec<u32>> = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            by_verb
                .entry(s.sym(Dim::Verb, k.rep as usize))
                .or_default()
                .push(i as u32);
        }
        Sized {
            keys,
            row_key: ev.row_key,
            by_verb,
            names,
            hours: span_hours(s),
        }
    }

    /// True when these keys tell apart what `p` tells apart.
    pub fn fits(&self, p: &CompiledPolicy) -> bool {
        self.names || !uses_resource_names(p)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Most distinct identities of a log the per-identity checks probe with.
pub const SEEN_MAX: usize = 20_000;

/// Each distinct (user, groups) of the log once, in row order, at most [`SEEN_MAX`]: the
/// identities the per-identity checks add to their witnesses.
pub fn seen_identities(s: &Store) -> Vec<(String, Vec<String>)> {
    let mut keys = HashSet::new();
    let mut out = Vec::new();
    for r in 0..s.len() {
        let key = (s.sym(Dim::User, r), s.groups_id(r));
        if keys.insert(key) {
            out.push((
                s.str(Dim::User, r).to_string(),
                s.dict.groups.members_of(key.1).map(String::from).collect(),
            ));
            if out.len() >= SEEN_MAX {
                break;
            }
        }
    }
    out
}

/// Per key: the decision of one policy.
fn decide(s: &Store, z: &Sized, c: &CompiledPolicy) -> Vec<Decision> {
    z.keys
        .iter()
        .map(|k| s.with_attrs(k.rep as usize, |a| c.evaluate(a)))
        .collect()
}

fn shares(z: &Sized, dec: &[Decision]) -> Shares {
    let mut out = Shares::default();
    for (k, d) in z.keys.iter().zip(dec) {
        let (e, b) = key_volume(k, d);
        let (body, mf) = key_bodies(k, d);
        out.events += e;
        out.bytes += b;
        out.body_bytes += body;
        out.managed_fields_bytes += mf;
    }
    out.bytes_per_day = out.bytes as f64 / z.hours * 24.0;
    out
}

/// The request attributes of a key that guards and pack rules look at.
struct KeyAttrs<'a> {
    res: bool,
    group: &'a str,
    resource: &'a str,
    sub: &'a str,
    path: &'a str,
    verb: &'a str,
}

fn attrs_of(s: &Store, r: usize) -> KeyAttrs<'_> {
    KeyAttrs {
        res: s.is_resource_request(r),
        group: s.str(Dim::ApiGroup, r),
        resource: s.str(Dim::Resource, r),
        sub: s.str(Dim::Subresource, r),
        path: s.str(Dim::Path, r),
        verb: s.str(Dim::Verb, r),
    }
}

/// A requirement checked per key: a guard's or a pack rule's need, and the keys it covers.
struct Check {
    need: Need,
    keys: Vec<bool>,
}

fn checks_of(s: &Store, z: &Sized, needs: Vec<Need>) -> Vec<Check> {
    needs
        .into_iter()
        .map(|need| {
            let keys = z
                .keys
                .iter()
                .map(|k| {
                    let a = attrs_of(s, k.rep as usize);
                    covers(
                        &need, k.kind, a.res, a.group, a.resource, a.sub, a.path, a.verb,
                    )
                })
                .collect();
            Check { need, keys }
        })
        .collect()
}

fn fails(s: &Store, z: &Sized, c: &Check, k: usize, d: &Decision) -> Option<String> {
    let a = attrs_of(s, z.keys[k].rep as usize);
    judge_request(&c.need, a.res, a.group, a.resource, a.sub, a.verb, d)
}

/// A request as a sentence: "`get secrets` by alice".
fn request_text(s: &Store, r: usize) -> String {
    let a = attrs_of(s, r);
    let what = if a.res {
        let mut t = res_text(a.group, a.resource, a.sub);
        let ns = s.str(Dim::Namespace, r);
        if !ns.is_empty() {
            t = format!("{t} in {ns}");
        }
        t
    } else {
        a.path.to_string()
    };
    format!(
        "`{} {what}` by {}",
        a.verb,
        crate::audit::needs::who(s.str(Dim::User, r))
    )
}

use crate::audit::needs::res_text;

fn rule_word(d: &Decision) -> String {
    match d.rule {
        Some(r) => format!("rule {r} (level {})", d.level.as_str()),
        None => "no rule (level None)".into(),
    }
}

/// The user agent's product: `kubelet/v1.30.2 (linux/amd64) kubernetes/…` → `kubelet`.
pub fn agent_product(ua: &str) -> &str {
    let end = ua.find(['/', ' ']).unwrap_or(ua.len());
    let p = &ua[..end];
    if p.is_empty() {
        "(none)"
    } else {
        p
    }
}

/// What a state of the policy (the current one, or a step of a plan) is.
struct State {
    text: String,
    loaded: LoadedPolicy,
    dec: Vec<Decision>,
    /// Per rule: its keys.
    by_rule: Vec<Vec<u32>>,
    shares: Shares,
}

/// Everything constant over one answer.
struct Ctx<'a> {
    s: &'a Store,
    z: &'a Sized,
    ask: &'a Ask<'a>,
    guards: Vec<(usize, Check)>,
    keep: Vec<(usize, Vec<IdentityKind>)>,
    reference: Vec<Decision>,
    pack: Vec<(usize, Check)>,
    /// Per pack rule: this log's finding events per key.
    finding_keys: Vec<HashMap<u32, u64>>,
    measured: u64,
}

fn state(ctx: &Ctx, text: String, loaded: LoadedPolicy) -> State {
    let dec = decide(ctx.s, ctx.z, &loaded.compiled);
    let mut by_rule = vec![Vec::new(); loaded.rule_count()];
    for (k, d) in dec.iter().enumerate() {
        if let Some(r) = d.rule {
            by_rule[r].push(k as u32);
        }
    }
    let shares = shares(ctx.z, &dec);
    State {
        text,
        loaded,
        dec,
        by_rule,
        shares,
    }
}

/// One kind's verdict over witnesses: (kind, ok, the first failure and its rule).
type KindCheck = (IdentityKind, bool, Option<(String, Option<usize>)>);

/// Per guard (need guards; `keep` guards give an empty list): per kind (ok, first failure).
fn witness_verdicts(ctx: &Ctx, p: &LoadedPolicy) -> Vec<Vec<KindCheck>> {
    let w = Witnesses::of(
        &p.policy,
        p.compiled.kube_version().allows_group_wildcard(),
        ctx.ask.seen,
    );
    ctx.ask
        .guards
        .iter()
        .map(|g| match &g.rail {
            Rail::Need(n) => check_with(&p.compiled, &w, n)
                .kinds
                .into_iter()
                .map(|k| {
                    let f = k.failures.first().map(|f| (f.why.clone(), f.rule));
                    (k.kind, k.ok, f)
                })
                .collect(),
            Rail::KeepBodies(_) => Vec::new(),
        })
        .collect()
}

/// A candidate, measured.
struct Measured {
    change: Change,
    /// Keys whose decision changes, with the new decision.
    changed: Vec<(u32, Decision)>,
    saved: i64,
    events_after: u64,
    events_before: u64,
}

fn measure(ctx: &mut Ctx, st: &State, change: Change) -> Option<Measured> {
    ctx.measured += 1;
    let p = &st.loaded.policy;
    let mut changed: Vec<(u32, Decision)> = Vec::new();
    match &change {
        Change::Insert { at, rule } => {
            let one = CompiledPolicy::new(&Policy::new(vec![rule.clone()]), st.loaded.kube_version);
            let mut omit = StageSet::default();
            for x in rule.omit_stages.iter().chain(&p.omit_stages) {
                omit.insert(*x);
            }
            let nd = Decision {
                level: rule.level,
                rule: Some(*at),
                omit_stages: omit,
                omit_managed_fields: rule.omit_managed_fields.unwrap_or(p.omit_managed_fields),
            };
            let all: Vec<u32>;
            let keys: Vec<&[u32]> = if rule.verbs.is_empty() {
                all = (0..ctx.z.keys.len() as u32).collect();
                vec![&all[..]]
            } else {
                rule.verbs
                    .iter()
                    .filter_map(|v| ctx.s.dict.verb.lookup(v))
                    .filter_map(|id| ctx.z.by_verb.get(&id).map(|v| &v[..]))
                    .collect()
            };
            for &k in keys.into_iter().flatten() {
                let d = st.dec[k as usize];
                if d.rule.is_some_and(|j| j < *at) {
                    continue;
                }
                let rep = ctx.z.keys[k as usize].rep as usize;
                if ctx.s.with_attrs(rep, |a| one.matches_rule(0, a)) {
                    changed.push((k, nd));
                }
            }
        }
        Change::Level { rule, level } => {
            for &k in &st.by_rule[*rule] {
                let mut d = st.dec[k as usize];
                d.level = *level;
                changed.push((k, d));
            }
        }
        Change::OmitStage { rule, stage } => {
            let keys: Box<dyn Iterator<Item = u32>> = match rule {
                Some(r) => Box::new(st.by_rule[*r].iter().copied()),
                None => Box::new(0..ctx.z.keys.len() as u32),
            };
            for k in keys {
                let mut d = st.dec[k as usize];
                if d.omit_stages.contains(*stage) {
                    continue;
                }
                d.omit_stages.insert(*stage);
                changed.push((k, d));
            }
        }
        Change::OmitManagedFields { rule } => {
            let keys: Box<dyn Iterator<Item = u32>> = match rule {
                Some(r) => Box::new(st.by_rule[*r].iter().copied()),
                None => Box::new(0..ctx.z.keys.len() as u32),
            };
            for k in keys {
                let mut d = st.dec[k as usize];
                let rule_says = d
                    .rule
                    .and_then(|r| p.rules.get(r))
                    .and_then(|r| r.omit_managed_fields);
                // The policy's flag does not override a rule's own `false`.
                if d.omit_managed_fields || (rule.is_none() && rule_says == Some(false)) {
                    continue;
                }
                d.omit_managed_fields = true;
                changed.push((k, d));
            }
        }
    }
    let mut saved: i64 = 0;
    let mut eb = 0;
    let mut ea = 0;
    for (k, nd) in &changed {
        let key = &ctx.z.keys[*k as usize];
        let (e0, b0) = key_volume(key, &st.dec[*k as usize]);
        let (e1, b1) = key_volume(key, nd);
        saved += b0 as i64 - b1 as i64;
        eb += e0;
        ea += e1;
    }
    if saved <= 0 {
        return None;
    }
    Some(Measured {
        change,
        changed,
        saved,
        events_before: eb,
        events_after: ea,
    })
}

/// What a measured change breaks over the log's requests.
fn log_breaks(ctx: &Ctx, st: &State, m: &Measured) -> Vec<Break> {
    let mut out: Vec<Break> = Vec::new();
    for (gi, c) in &ctx.guards {
        for &(k, nd) in &m.changed {
            if !c.keys[k as usize] {
                continue;
            }
            if fails(ctx.s, ctx.z, c, k as usize, &st.dec[k as usize]).is_some() {
                continue;
            }
            if let Some(why) = fails(ctx.s, ctx.z, c, k as usize, &nd) {
                let g = &ctx.ask.guards[*gi];
                let rep = ctx.z.keys[k as usize].rep as usize;
                out.push(Break {
                    guard: g.id.clone(),
                    title: g.title.clone(),
                    kinds: vec![ctx.z.keys[k as usize].kind],
                    why: format!("{} {why} — {}", request_text(ctx.s, rep), rule_word(&nd)),
                    rule: nd.rule,
                });
                break;
            }
        }
    }
    for (gi, kinds) in &ctx.keep {
        for &(k, nd) in &m.changed {
            let key = &ctx.z.keys[k as usize];
            if !kinds.contains(&key.kind) {
                continue;
            }
            let r = ctx.reference[k as usize];
            let cur = st.dec[k as usize];
            if !bodies_lost(&r, &cur) && bodies_lost(&r, &nd) {
                let g = &ctx.ask.guards[*gi];
                out.push(Break {
                    guard: g.id.clone(),
                    title: g.title.clone(),
                    kinds: vec![key.kind],
                    why: format!(
                        "{} is recorded at {} by the reference policy and would be at {} — {}",
                        request_text(ctx.s, key.rep as usize),
                        r.level.as_str(),
                        nd.level.as_str(),
                        rule_word(&nd)
                    ),
                    rule: nd.rule,
                });
                break;
            }
        }
    }
    out
}

/// What a measured change does to the findings pack over this log.
fn pack_effects(ctx: &Ctx, st: &State, m: &Measured) -> Vec<PackEffect> {
    let Some(pack) = ctx.ask.pack else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, (ri, c)) in ctx.pack.iter().enumerate() {
        let rule = &pack.rules[*ri];
        let mut events = 0;
        let mut finding_events = 0;
        for &(k, nd) in &m.changed {
            let lost_f = |d: &Decision| d.level == Level::None || d.level < rule.needs.level;
            if let Some(n) = ctx.finding_keys[i].get(&k) {
                if !lost_f(&st.dec[k as usize]) && lost_f(&nd) {
                    finding_events += n;
                }
            }
            // A rule about any request (bursts, impersonation) still fires on what is
            // kept: only its findings' own events count.
            if !c.keys[k as usize] || rule.needs.resources.is_empty() {
                continue;
            }
            if fails(ctx.s, ctx.z, c, k as usize, &st.dec[k as usize]).is_none()
                && fails(ctx.s, ctx.z, c, k as usize, &nd).is_some()
            {
                events += ctx.z.keys[k as usize]
                    .slots
                    .iter()
                    .map(|s| s.events)
                    .sum::<u64>();
            }
        }
        if events + finding_events > 0 {
            out.push(PackEffect {
                id: rule.id.clone(),
                title: rule.title.clone(),
                severity: rule.severity,
                events,
                finding_events,
            });
        }
    }
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then(b.events.cmp(&a.events)));
    out
}

/// The guard-rails a changed policy breaks over witnesses: requests the state records as
/// a guard asks and the changed policy does not.
fn witness_breaks(ctx: &Ctx, st: &State, p: &LoadedPolicy) -> Vec<Break> {
    let w = Witnesses::of(
        &p.policy,
        p.compiled.kube_version().allows_group_wildcard(),
        ctx.ask.seen,
    );
    let mut out = Vec::new();
    for g in ctx.ask.guards {
        let Rail::Need(n) = &g.rail else { continue };
        let v = check_new_failures(&p.compiled, &st.loaded.compiled, &w, n);
        let failing: Vec<_> = v.kinds.iter().filter(|k| !k.ok).collect();
        if failing.is_empty() {
            continue;
        }
        let f = failing.iter().find_map(|k| k.failures.first());
        out.push(Break {
            guard: g.id.clone(),
            title: g.title.clone(),
            kinds: failing.iter().map(|k| k.kind).collect(),
            why: f.map_or_else(String::new, |f| f.why.clone()),
            rule: f.and_then(|f| f.rule),
        });
    }
    out
}

fn line_of(p: &LoadedPolicy, i: usize) -> u32 {
    p.rule_spans.get(i).map_or(0, |s| s.start_line)
}

fn describe(ctx: &Ctx, st: &State, m: &Measured) -> (String, String, String, String) {
    let p = &st.loaded;
    match &m.change {
        Change::Insert { at, rule } => {
            let who = if !rule.user_groups.is_empty() {
                format!("group {}", rule.user_groups.join(", "))
            } else if rule.users.is_empty() {
                "anyone".to_string()
            } else {
                rule.users.join(", ")
            };
            let verbs = if rule.verbs.is_empty() {
                "every verb on".to_string()
            } else {
                rule.verbs.join(", ")
            };
            let what = if !rule.non_resource_urls.is_empty() {
                rule.non_resource_urls.join(", ")
            } else {
                rule.resources
                    .iter()
                    .flat_map(|g| {
                        g.resources.iter().map(move |r| {
                            let (r, sub) = r.split_once('/').unwrap_or((r, ""));
                            res_text(&g.group, r, sub)
                        })
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let what = if what.is_empty() {
                "anything".to_string()
            } else {
                what
            };
            let how = match rule.level {
                Level::None => "stop recording".to_string(),
                Level::Metadata => "record without bodies (Metadata)".to_string(),
                Level::Request => "record without response bodies (Request)".to_string(),
                Level::RequestResponse => "record at RequestResponse".to_string(),
            };
            let title = format!("{how}: {verbs} {what} by {who}");
            let line = line_of(p, *at);
            let mut placement = if *at < p.rule_count() {
                format!(
                    "a new rule {at}, before rule {at} (line {line}) which decides these requests now"
                )
            } else {
                "a new last rule".to_string()
            };
            if *at > 0 {
                let kept: u64 = {
                    // Keys the rule matches that earlier rules keep.
                    let one = CompiledPolicy::new(&Policy::new(vec![rule.clone()]), p.kube_version);
                    let mut n = 0;
                    for (k, d) in st.dec.iter().enumerate() {
                        if d.rule.is_some_and(|j| j < *at) {
                            let key = &ctx.z.keys[k];
                            if ctx
                                .s
                                .with_attrs(key.rep as usize, |a| one.matches_rule(0, a))
                            {
                                n += key.slots.iter().map(|s| s.events).sum::<u64>();
                            }
                        }
                    }
                    n
                };
                if kept == 0 {
                    placement.push_str(&format!("; rules 0–{} take none of them", at - 1));
                } else {
                    placement.push_str(&format!(
                        "; {kept} events it also names stay with rules 0–{} (they come first)",
                        at - 1
                    ));
                }
            }
            let mut yaml = edit::render_rule(rule, 0).join("\n");
            yaml.push('\n');
            ("new-rule".into(), title, placement, yaml)
        }
        Change::Level { rule, level } => (
            "lower-level".into(),
            format!(
                "rule {rule}: level {} → {}",
                p.policy.rules[*rule].level.as_str(),
                level.as_str()
            ),
            format!("rule {rule} (line {})", line_of(p, *rule)),
            String::new(),
        ),
        Change::OmitStage { rule, stage } => match rule {
            Some(r) => (
                "omit-stage".into(),
                format!("rule {r}: omit the {} stage", stage.as_str()),
                format!("rule {r} (line {})", line_of(p, *r)),
                String::new(),
            ),
            None => (
                "omit-stage".into(),
                format!("the whole policy: omit the {} stage", stage.as_str()),
                "the policy's own omitStages (every rule)".into(),
                String::new(),
            ),
        },
        Change::OmitManagedFields { rule } => match rule {
            Some(r) => (
                "omit-managed-fields".into(),
                format!("rule {r}: omitManagedFields: true"),
                format!("rule {r} (line {})", line_of(p, *r)),
                String::new(),
            ),
            None => (
                "omit-managed-fields".into(),
                "the whole policy: omitManagedFields: true".into(),
                "the policy's own omitManagedFields (every rule that does not say otherwise)"
                    .into(),
                String::new(),
            ),
        },
    }
}

fn takes(ctx: &Ctx, st: &State, m: &Measured) -> Vec<Take> {
    let mut by: HashMap<Option<usize>, (u64, u64, u64)> = HashMap::new();
    for &(k, nd) in &m.changed {
        let key = &ctx.z.keys[k as usize];
        let d = st.dec[k as usize];
        let (e0, b0) = key_volume(key, &d);
        let (_, b1) = key_volume(key, &nd);
        let t = by.entry(d.rule).or_default();
        t.0 += e0;
        t.1 += b0;
        t.2 += b1;
    }
    let mut out: Vec<Take> = by
        .into_iter()
        .map(|(from, (events, b0, b1))| Take {
            from,
            from_line: from.map_or(0, |i| line_of(&st.loaded, i)),
            events,
            bytes_before: b0,
            bytes_after: b1,
        })
        .collect();
    out.sort_by(|a, b| {
        b.bytes_before
            .cmp(&a.bytes_before)
            .then(a.from.cmp(&b.from))
    });
    out
}

/// Selectors for a new rule from a seed key, narrowest first: (users, groups, verbs,
/// resources, urls).
type Sel = (
    Vec<String>,
    Vec<String>,
    Vec<String>,
    Vec<GroupResources>,
    Vec<String>,
);

fn selectors(s: &Store, key: &Key) -> Vec<Sel> {
    let r = key.rep as usize;
    let a = attrs_of(s, r);
    let user = s.str(Dim::User, r).to_string();
    let mut actors: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    if key.kind == IdentityKind::Node {
        actors.push((Vec::new(), vec!["system:nodes".into()]));
    }
    if !user.is_empty() {
        actors.push((vec![user], Vec::new()));
    }
    let verb = a.verb.to_string();
    let mut verb_sets = vec![vec![verb.clone()]];
    if matches!(a.verb, "get" | "list" | "watch") {
        verb_sets.push(vec!["get".into(), "list".into(), "watch".into()]);
    }
    let res_sel = || -> (Vec<GroupResources>, Vec<String>) {
        if a.res {
            let res = if a.sub.is_empty() {
                a.resource.to_string()
            } else {
                format!("{}/{}", a.resource, a.sub)
            };
            (
                vec![GroupResources {
                    group: a.group.to_string(),
                    resources: vec![res],
                    resource_names: Vec::new(),
                }],
                Vec::new(),
            )
        } else {
            (Vec::new(), vec![a.path.to_string()])
        }
    };
    let (resources, urls) = res_sel();
    if resources.is_empty() && urls.iter().all(|u| u.is_empty()) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (users, groups) in &actors {
        for verbs in &verb_sets {
            out.push((
                users.clone(),
                groups.clone(),
                verbs.clone(),
                resources.clone(),
                urls.clone(),
            ));
        }
    }
    // Wider: every verb of this actor on the resource, and anyone's requests of these verbs.
    for (users, groups) in &actors {
        out.push((
            users.clone(),
            groups.clone(),
            Vec::new(),
            resources.clone(),
            urls.clone(),
        ));
    }
    for verbs in &verb_sets {
        out.push((
            Vec::new(),
            Vec::new(),
            verbs.clone(),
            resources.clone(),
            urls.clone(),
        ));
    }
    out
}

/// Every candidate change of a state, measured; best first.
fn candidates(ctx: &mut Ctx, st: &State) -> Vec<Measured> {
    let total = st.shares.bytes.max(1);
    let min = (total as f64 * MIN_SHARE) as i64;
    let mut changes: Vec<Change> = Vec::new();
    // New rules from the heaviest keys.
    let mut order: Vec<(u64, usize)> = st
        .dec
        .iter()
        .enumerate()
        .map(|(k, d)| (key_volume(&ctx.z.keys[k], d).1, k))
        .filter(|(b, _)| *b > 0)
        .collect();
    order.sort_unstable_by(|a, b| b.cmp(a));
    let mut seen: HashSet<String> = HashSet::new();
    for &(b, k) in order.iter().take(SEEDS_MAX) {
        if (b as i64) < min {
            break;
        }
        let d = st.dec[k];
        let Some(at) = d.rule else { continue };
        let own = &st.loaded.policy.rules[at];
        // Keep the stages the deciding rule omits on its own.
        let omit: Vec<Stage> = own.omit_stages.clone();
        for (users, groups, verbs, resources, urls) in selectors(ctx.s, &ctx.z.keys[k]) {
            for level in [Level::None, Level::Metadata, Level::Request] {
                if level >= d.level {
                    continue;
                }
                let rule = PolicyRule {
                    level,
                    users: users.clone(),
                    user_groups: groups.clone(),
                    verbs: verbs.clone(),
                    resources: resources.clone(),
                    namespaces: Vec::new(),
                    non_resource_urls: urls.clone(),
                    omit_stages: if level == Level::None {
                        Vec::new()
                    } else {
                        omit.clone()
                    },
                    omit_managed_fields: None,
                };
                let sig = format!("{at}:{}", serde_json::to_string(&rule).unwrap_or_default());
                if seen.insert(sig) {
                    changes.push(Change::Insert { at, rule });
                }
            }
        }
    }
    // Changes to the rules that keep the most.
    let p = &st.loaded.policy;
    for (j, keys) in st.by_rule.iter().enumerate() {
        let (mut bytes, mut rr, mut rs, mut mf) = (0u64, 0u64, 0u64, 0u64);
        for &k in keys {
            let key = &ctx.z.keys[k as usize];
            let d = &st.dec[k as usize];
            bytes += key_volume(key, d).1;
            if d.level > Level::None {
                if !d.omit_stages.contains(Stage::RequestReceived) {
                    rr += key.slots[0].events;
                }
                if !d.omit_stages.contains(Stage::ResponseStarted) {
                    rs += key.slots[1].events;
                }
                if !d.omit_managed_fields {
                    mf += key_bodies(key, d).1;
                }
            }
        }
        if (bytes as i64) < min {
            continue;
        }
        let level = p.rules[j].level;
        for l in [Level::None, Level::Metadata, Level::Request] {
            if l < level {
                changes.push(Change::Level { rule: j, level: l });
            }
        }
        if rr > 0 {
            changes.push(Change::OmitStage {
                rule: Some(j),
                stage: Stage::RequestReceived,
            });
        }
        if rs > 0 {
            changes.push(Change::OmitStage {
                rule: Some(j),
                stage: Stage::ResponseStarted,
            });
        }
        if mf > 0 {
            changes.push(Change::OmitManagedFields { rule: Some(j) });
        }
    }
    if !p.omit_stages.contains(&Stage::RequestReceived) {
        changes.push(Change::OmitStage {
            rule: None,
            stage: Stage::RequestReceived,
        });
    }
    if !p.omit_managed_fields {
        changes.push(Change::OmitManagedFields { rule: None });
    }
    let mut out: Vec<Measured> = changes
        .into_iter()
        .filter_map(|c| measure(ctx, st, c))
        .filter(|m| m.saved >= min.max(1))
        .collect();
    out.sort_by_key(|m| std::cmp::Reverse(m.saved));
    // The same effect twice (a wider rule that takes nothing more): keep the first, the
    // narrowest, which the order of generation puts first among equals.
    let mut sigs: HashSet<Vec<(u32, Decision)>> = HashSet::new();
    out.retain(|m| {
        let mut sig: Vec<(u32, Decision)> = m
            .changed
            .iter()
            .map(|(k, d)| {
                let mut d = *d;
                d.rule = None;
                (*k, d)
            })
            .collect();
        sig.sort_by_key(|x| x.0);
        sigs.insert(sig)
    });
    out
}

fn note_of(m: &Measured, st: &State) -> String {
    format!(
        "audit-lens advise: saves {} of the {} this policy writes ({:.1}%)",
        crate::util::human_bytes(m.saved as u64),
        crate::util::human_bytes(st.shares.bytes),
        m.saved as f64 * 100.0 / st.shares.bytes.max(1) as f64,
    )
}

/// Makes a measured change a suggestion: text edit, placement, effects, guard-rails.
fn suggestion(
    ctx: &Ctx,
    st: &State,
    m: &Measured,
    n: usize,
    witnesses: bool,
) -> (Suggestion, Option<LoadedPolicy>) {
    let (kind, title, placement, rule_yaml) = describe(ctx, st, m);
    let note = note_of(m, st);
    let ed = edit::apply_text(&st.text, &st.loaded, &m.change, &note, &ctx.ask.opts);
    let mut breaks = log_breaks(ctx, st, m);
    let loaded = load_policy(&st.loaded.source_name, &ed.text, &ctx.ask.opts).ok();
    if witnesses && breaks.is_empty() {
        match &loaded {
            Some(p) => breaks.extend(witness_breaks(ctx, st, p)),
            None => breaks.push(Break {
                guard: "loads".into(),
                title: "the edited policy loads".into(),
                kinds: Vec::new(),
                why: "the edited text does not load".into(),
                rule: None,
            }),
        }
    }
    let total = st.shares.bytes.max(1) as f64;
    let s = Suggestion {
        id: format!("s{n}"),
        change: m.change.clone(),
        kind,
        title,
        placement,
        rule_yaml,
        line: ed.line,
        takes: takes(ctx, st, m),
        events_before: m.events_before,
        events_after: m.events_after,
        saved_bytes: m.saved as u64,
        saved_per_day: m.saved as f64 / ctx.z.hours * 24.0,
        saved_share: m.saved as f64 / total,
        pack: pack_effects(ctx, st, m),
        breaks,
        text: ed.text,
        rewritten: ed.rewritten,
    };
    (s, loaded)
}

/// The guard-rails on one state: witnesses and the log's requests.
fn verdicts(ctx: &Ctx, st: &State) -> Vec<GuardVerdict> {
    let wv = witness_verdicts(ctx, &st.loaded);
    ctx.ask
        .guards
        .iter()
        .enumerate()
        .map(|(gi, g)| {
            let mut v = GuardVerdict {
                id: g.id.clone(),
                title: g.title.clone(),
                line: g.line,
                ok: true,
                kinds: Vec::new(),
                log_events: 0,
                failures: Vec::new(),
                rules: Vec::new(),
            };
            for (kind, ok, f) in &wv[gi] {
                if !ok {
                    v.ok = false;
                    v.kinds.push(*kind);
                    if let Some((why, rule)) = f {
                        if v.failures.len() < 4 {
                            v.failures.push(why.clone());
                        }
                        if let Some(r) = rule {
                            v.rules.push(*r);
                        }
                    }
                }
            }
            let mut log_fail = |k: usize, why: String, d: &Decision| {
                let key = &ctx.z.keys[k];
                v.ok = false;
                v.log_events += key.slots.iter().map(|s| s.events).sum::<u64>();
                if !v.kinds.contains(&key.kind) {
                    v.kinds.push(key.kind);
                }
                if v.failures.len() < 4 {
                    v.failures.push(format!(
                        "{} {why} — {}",
                        request_text(ctx.s, key.rep as usize),
                        rule_word(d)
                    ));
                }
                if let Some(r) = d.rule {
                    v.rules.push(r);
                }
            };
            match &g.rail {
                Rail::Need(_) => {
                    if let Some((_, c)) = ctx.guards.iter().find(|(i, _)| *i == gi) {
                        for k in 0..ctx.z.keys.len() {
                            if c.keys[k] {
                                if let Some(why) = fails(ctx.s, ctx.z, c, k, &st.dec[k]) {
                                    log_fail(k, why, &st.dec[k]);
                                }
                            }
                        }
                    }
                }
                Rail::KeepBodies(kinds) => {
                    for k in 0..ctx.z.keys.len() {
                        let key = &ctx.z.keys[k];
                        let r = ctx.reference[k];
                        let d = st.dec[k];
                        if kinds.contains(&key.kind) && bodies_lost(&r, &d) {
                            log_fail(
                                k,
                                format!(
                                    "is recorded at {} by the reference policy, now at {}",
                                    r.level.as_str(),
                                    d.level.as_str()
                                ),
                                &d,
                            );
                        }
                    }
                }
            }
            v.kinds.sort();
            v.kinds.dedup();
            v.rules.sort_unstable();
            v.rules.dedup();
            v
        })
        .collect()
}

/// Where the bytes go: rows grouped by actor × agent × verb × resource × level.
fn ranking(s: &Store, z: &Sized, st: &State) -> (Vec<RankRow>, usize) {
    // user-agent id → product id (interned here)
    let ua = s.dict.of(Dim::UserAgent);
    let mut products: Vec<String> = Vec::new();
    let mut pid: HashMap<&str, u32> = HashMap::new();
    let ua_product: Vec<u32> = (0..ua.len() as u32)
        .map(|i| {
            let p = agent_product(ua.get(i));
            *pid.entry(p).or_insert_with(|| {
                products.push(p.to_string());
                products.len() as u32 - 1
            })
        })
        .collect();
    // (actor: user id or u32::MAX for nodes, product, key) → (events, bytes, bodies)
    let mut groups: HashMap<(u32, u32, u32), (u64, u64, u64)> = HashMap::new();
    for r in 0..s.len() {
        let k = z.row_key[r];
        let key = &z.keys[k as usize];
        let d = &st.dec[k as usize];
        let (slot, one) = row_slot(s, r);
        if slot_dropped(d, slot) {
            continue;
        }
        let (bytes, body, _) = slot_bytes(&one, d);
        let actor = if key.kind == IdentityKind::Node {
            u32::MAX
        } else {
            s.sym(Dim::User, r)
        };
        let g = groups
            .entry((actor, ua_product[s.sym(Dim::UserAgent, r) as usize], k))
            .or_default();
        g.0 += 1;
        g.1 += bytes;
        g.2 += body;
    }
    // Keys differ in namespace (and name) too: fold those into (verb, resource, level).
    type Fold = (u32, u32, String, String, Level, Option<usize>);
    let mut folded: HashMap<Fold, (u64, u64, u64)> = HashMap::new();
    for ((actor, prod, k), v) in groups {
        let rep = z.keys[k as usize].rep as usize;
        let a = attrs_of(s, rep);
        let res = if a.res {
            res_text(a.group, a.resource, a.sub)
        } else {
            a.path.to_string()
        };
        let d = st.dec[k as usize];
        let f = folded
            .entry((actor, prod, a.verb.to_string(), res, d.level, d.rule))
            .or_default();
        f.0 += v.0;
        f.1 += v.1;
        f.2 += v.2;
    }
    let total = folded.len();
    let mut rows: Vec<RankRow> = folded
        .into_iter()
        .map(
            |((actor, prod, verb, resource, level, rule), (e, b, body))| {
                let (actor_name, is_group) = if actor == u32::MAX {
                    ("system:nodes".to_string(), true)
                } else {
                    (s.dict.user.get(actor).to_string(), false)
                };
                let who = if is_group {
                    "user:system:node:*".to_string()
                } else {
                    format!("user:{}", quote_term(&actor_name))
                };
                let res_term = if resource.starts_with('/') {
                    format!("path:{}", quote_term(&resource))
                } else {
                    format!("resource:{}", quote_term(&resource))
                };
                RankRow {
                    filter: format!(
                        "{who} agent:{}* verb:{verb} {res_term}",
                        quote_term(&products[prod as usize])
                    ),
                    actor: actor_name,
                    actor_is_group: is_group,
                    agent: products[prod as usize].clone(),
                    verb,
                    resource,
                    level,
                    rule,
                    events: e,
                    bytes: b,
                    body_bytes: body,
                    events_per_hour: e as f64 / z.hours,
                    bytes_per_day: b as f64 / z.hours * 24.0,
                }
            },
        )
        .collect();
    rows.sort_by(|a, b| {
        b.bytes
            .cmp(&a.bytes)
            .then_with(|| a.actor.cmp(&b.actor))
            .then_with(|| a.verb.cmp(&b.verb))
            .then_with(|| a.resource.cmp(&b.resource))
    });
    rows.truncate(RANK_MAX);
    (rows, total)
}

/// A filter term's value, quoted when it holds a space or a quote.
fn quote_term(v: &str) -> String {
    if v.is_empty() || v.contains([' ', '"', ',']) {
        serde_json::to_string(v).unwrap_or_default()
    } else {
        v.to_string()
    }
}

/// Advises on `ask.policy` over the log `s` (keys `z`, built with [`Sized::build`] at a
/// granularity that [`Sized::fits`] the policy and the reference).
pub fn advise(s: &Store, z: &Sized, ask: &Ask) -> Advice {
    let mut out = Advice {
        span_hours: z.hours,
        ..Advice::default()
    };
    if s.is_empty() {
        out.notes
            .push("No log loaded: the advisor measures a policy against a log.".into());
        return out;
    }
    let reference = ask.reference.unwrap_or(ask.policy);
    let mut guards = Vec::new();
    let mut keep = Vec::new();
    let mut needs = Vec::new();
    let mut need_ix = Vec::new();
    for (i, g) in ask.guards.iter().enumerate() {
        match &g.rail {
            Rail::Need(n) => {
                needs.push(n.clone());
                need_ix.push(i);
            }
            Rail::KeepBodies(k) => keep.push((i, k.clone())),
        }
    }
    for (i, c) in need_ix.into_iter().zip(checks_of(s, z, needs)) {
        guards.push((i, c));
    }
    let mut pack = Vec::new();
    let mut finding_keys = Vec::new();
    if let Some(pk) = ask.pack {
        let needs: Vec<Need> = pk.rules.iter().map(crate::detect::blind::need_of).collect();
        for (i, c) in checks_of(s, z, needs).into_iter().enumerate() {
            let mut fk: HashMap<u32, u64> = HashMap::new();
            for f in ask.findings.iter().filter(|f| f.rule as usize == i) {
                for &r in &f.rows {
                    *fk.entry(z.row_key[r as usize]).or_default() += 1;
                }
            }
            finding_keys.push(fk);
            pack.push((i, c));
        }
    }
    let mut ctx = Ctx {
        s,
        z,
        ask,
        guards,
        keep,
        reference: decide(s, z, &reference.compiled),
        pack,
        finding_keys,
        measured: 0,
    };
    let st = state(&ctx, ask.text.to_string(), ask.policy.clone());
    out.current = st.shares.clone();
    let (ranking, total) = ranking(s, z, &st);
    out.ranking = ranking;
    out.rank_total = total;
    out.guards = verdicts(&ctx, &st);
    if out.guards.iter().any(|g| !g.ok) {
        out.notes.push(
            "Some guard-rails fail already under this policy: the advisor proposes nothing that makes them fail for more requests or kinds, and fixes none of them.".into(),
        );
    }
    if !z.fits(&ask.policy.compiled) || !z.fits(&reference.compiled) {
        out.notes
            .push("internal: keys without resource names for a policy with resourceNames".into());
        return out;
    }
    // Suggestions on the current policy.
    let cands = candidates(&mut ctx, &st);
    let mut n = 0;
    for m in &cands {
        if out.suggestions.len() >= SUGGESTIONS_MAX && out.blocked.len() >= BLOCKED_MAX {
            break;
        }
        let quick = log_breaks(&ctx, &st, m);
        if !quick.is_empty() {
            if out.blocked.len() < BLOCKED_MAX {
                n += 1;
                let (sg, _) = suggestion(&ctx, &st, m, n, false);
                out.blocked.push(sg);
            }
            continue;
        }
        if out.suggestions.len() >= SUGGESTIONS_MAX {
            continue;
        }
        n += 1;
        let (sg, _) = suggestion(&ctx, &st, m, n, true);
        if sg.breaks.is_empty() {
            out.suggestions.push(sg);
        } else if out.blocked.len() < BLOCKED_MAX {
            out.blocked.push(sg);
        }
    }
    if let Some(target) = ask.target_pct {
        out.plan = Some(plan(&mut ctx, st, target));
    }
    out.measured = ctx.measured;
    out
}

fn plan(ctx: &mut Ctx, start: State, target: f64) -> Plan {
    let before = start.shares.clone();
    let goal = before.bytes as f64 * (1.0 - target / 100.0);
    let mut st = start;
    let mut steps: Vec<Suggestion> = Vec::new();
    let mut stop = String::new();
    let mut reached = (st.shares.bytes as f64) <= goal;
    while !reached && steps.len() < PLAN_STEPS_MAX {
        let cands = candidates(ctx, &st);
        let mut chosen = None;
        let mut first_blocked: Option<Suggestion> = None;
        for m in &cands {
            if !log_breaks(ctx, &st, m).is_empty() {
                if first_blocked.is_none() {
                    first_blocked = Some(suggestion(ctx, &st, m, steps.len() + 1, false).0);
                }
                continue;
            }
            let (sg, loaded) = suggestion(ctx, &st, m, steps.len() + 1, true);
            if sg.breaks.is_empty() {
                if let Some(l) = loaded {
                    chosen = Some((sg, l));
                    break;
                }
            } else if first_blocked.is_none() {
                first_blocked = Some(sg);
            }
        }
        let Some((sg, loaded)) = chosen else {
            stop = match first_blocked {
                Some(b) => format!(
                    "No change left that keeps every guard-rail. The largest remaining one, \"{}\" (−{}/day), would break \"{}\": {}",
                    b.title,
                    crate::util::human_bytes(b.saved_per_day as u64),
                    b.breaks.first().map_or("", |x| x.title.as_str()),
                    b.breaks.first().map_or("", |x| x.why.as_str())
                ),
                None => "No change left that saves more than 0.1% of what the policy writes.".into(),
            };
            break;
        };
        let text = sg.text.clone();
        let mut sg = sg;
        // Shares of what the policy wrote before the plan.
        sg.saved_share = sg.saved_bytes as f64 / before.bytes.max(1) as f64;
        steps.push(sg);
        st = state(ctx, text, loaded);
        reached = (st.shares.bytes as f64) <= goal;
    }
    if reached {
        stop = format!("Reached −{target:.0}%.");
    } else if stop.is_empty() {
        stop = format!("Stopped after {PLAN_STEPS_MAX} changes.");
    }
    let reached_pct = if before.bytes == 0 {
        0.0
    } else {
        (before.bytes - st.shares.bytes.min(before.bytes)) as f64 * 100.0 / before.bytes as f64
    };
    let guards = verdicts(ctx, &st);
    Plan {
        target_pct: target,
        reached_pct,
        steps,
        stop,
        reached,
        text: st.text.clone(),
        before,
        after: st.shares.clone(),
        guards,
    }
}
