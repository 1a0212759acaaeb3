//! Who did what: one actor's requests over the whole store — sessions split at idle gaps,
//! objects touched, failures, addresses and programs, the impersonation chain — and, for
//! one event, what happened next (the next requests by the same actor and on the same
//! object). Pure functions of the [`Store`]'s columns (no bodies, no I/O).
//!
//! An **actor** is a user name (matched as the authenticated user *or* the impersonated
//! one, so `bob` finds `system:admin → bob`), a service account (`sa:NS/NAME`, which is
//! the user `system:serviceaccount:NS:NAME`) or a source IP (the first of `sourceIPs`, the
//! client; the rest are proxies).
//!
//! **One request, one count:** the stages of a request (RequestReceived, ResponseStarted,
//! ResponseComplete, Panic) are events with the same `auditID` and the same
//! `requestReceivedTimestamp`; they are folded into one request, represented by its latest
//! stage (which carries the response code). Because the store is ordered by
//! `requestReceivedTimestamp`, a request's stages are neighbours in it, so folding needs no
//! index over the whole store: one pass, with a small table per run of equal timestamps.

use crate::analysis::describe;
use crate::store::{Dim, Store, NO_STAGE};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Hash maps keyed by dictionary ids: foldhash, not SipHash (nothing here is adversarial
/// for the table: keys are small integers).
type Map<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// Default idle gap that ends a session: 30 minutes, in µs.
pub const DEFAULT_GAP_US: i64 = 30 * 60 * 1_000_000;

/// Whom to look at.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Actor {
    /// A user or service account by its full name (`system:serviceaccount:ns:name`).
    User(String),
    /// A client address (the first of `sourceIPs`).
    Ip(String),
}

impl Actor {
    /// Reads `bob`, `user:bob`, `sa:NS/NAME`, `system:serviceaccount:NS:NAME`, `ip:ADDR` or
    /// a bare IPv4/IPv6 address.
    pub fn parse(text: &str) -> Result<Actor, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("no actor given: a user name, sa:NAMESPACE/NAME or an IP address".into());
        }
        if let Some(ip) = t.strip_prefix("ip:") {
            return Ok(Actor::Ip(ip.to_string()));
        }
        if let Some(rest) = t.strip_prefix("sa:") {
            let Some((ns, name)) = rest.split_once('/') else {
                return Err(format!(
                    "{t}: a service account is written sa:NAMESPACE/NAME"
                ));
            };
            return Ok(Actor::User(format!("system:serviceaccount:{ns}:{name}")));
        }
        if t.parse::<std::net::IpAddr>().is_ok() {
            return Ok(Actor::Ip(t.to_string()));
        }
        Ok(Actor::User(
            t.strip_prefix("user:").unwrap_or(t).to_string(),
        ))
    }

    /// The name as the log writes it (a full user name, or the address).
    pub fn name(&self) -> &str {
        match self {
            Actor::User(u) | Actor::Ip(u) => u,
        }
    }

    /// "user", "serviceaccount", "node", "system" or "ip".
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Ip(_) => "ip",
            Actor::User(u) if u.starts_with("system:serviceaccount:") => "serviceaccount",
            Actor::User(u) if u.starts_with("system:node:") => "node",
            Actor::User(u) if u.starts_with("system:") => "system",
            Actor::User(_) => "user",
        }
    }

    /// The name for people (`sa:ns/name`, see [`describe::short_user`]).
    pub fn label(&self) -> String {
        match self {
            Actor::User(u) => describe::short_user(u),
            Actor::Ip(ip) => ip.clone(),
        }
    }
}

/// The latest stage as a rank (no stage ranks lowest).
#[inline]
fn stage_rank(s: &Store, r: usize) -> i16 {
    match s.stage_byte(r) {
        NO_STAGE => -1,
        b => b as i16,
    }
}

/// One row per request among the rows `keep` accepts, in time order: the latest stage of
/// each (same `auditID` and `requestReceivedTimestamp`). See the module docs.
pub fn fold_requests(s: &Store, mut keep: impl FnMut(usize) -> bool) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    // The requests of the current run of equal timestamps: indexes into `out`.
    let mut run_start = 0usize;
    let mut run_t = i64::MIN;
    let mut big: Map<(bool, u128), usize> = Map::default();
    for (r, &t) in s.received_col().iter().enumerate() {
        if !keep(r) {
            continue;
        }
        if t != run_t {
            run_t = t;
            run_start = out.len();
            big.clear();
        }
        let k = s.audit_key(r);
        let run = out.len() - run_start;
        let at = if run <= 16 {
            (run_start..out.len()).find(|&i| s.audit_key(out[i] as usize) == k)
        } else {
            if big.is_empty() {
                for (i, &x) in out.iter().enumerate().skip(run_start) {
                    big.insert(s.audit_key(x as usize), i);
                }
            }
            big.get(&k).copied()
        };
        match at {
            Some(i) => {
                if stage_rank(s, r) > stage_rank(s, out[i] as usize) {
                    out[i] = r as u32;
                }
            }
            None => {
                if run > 16 {
                    big.insert(k, out.len());
                }
                out.push(r as u32);
            }
        }
    }
    out
}

/// Tells the rows of one actor, by dictionary ids (a few array lookups per row).
pub struct Matcher {
    user: Option<u32>,
    imp: Option<u32>,
    /// Per source-IP set id: its first member is the address.
    ip_sets: Vec<bool>,
    ip: bool,
}

impl Matcher {
    pub fn new(s: &Store, a: &Actor) -> Matcher {
        match a {
            Actor::User(u) => Matcher {
                user: s.dict.user.lookup(u).filter(|_| !u.is_empty()),
                imp: s.dict.impersonated_user.lookup(u).filter(|_| !u.is_empty()),
                ip_sets: Vec::new(),
                ip: false,
            },
            Actor::Ip(ip) => {
                let d = &s.dict.source_ips;
                let ip_sets = (0..d.members.len() as u32)
                    .map(|k| d.members_of(k).next() == Some(ip.as_str()))
                    .collect();
                Matcher {
                    user: None,
                    imp: None,
                    ip_sets,
                    ip: true,
                }
            }
        }
    }

    #[inline]
    pub fn matches(&self, s: &Store, r: usize) -> bool {
        if self.ip {
            return self
                .ip_sets
                .get(s.source_ips_id(r) as usize)
                .copied()
                .unwrap_or(false);
        }
        self.user == Some(s.sym(Dim::User, r)) || self.imp == Some(s.sym(Dim::ImpersonatedUser, r))
    }
}

/// A value and how many requests had it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub value: String,
    pub requests: u64,
}

/// One object (or collection, or non-resource path) the actor touched.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObjectTouch {
    /// As a sentence names it ("pod web/nginx", "pods in web", "/healthz").
    pub object: String,
    pub resource: String,
    pub subresource: String,
    pub namespace: String,
    pub name: String,
    pub requests: u64,
    /// Requests answered with a code ≥ 400.
    pub failures: u64,
    pub verbs: Vec<Count>,
    pub first_us: i64,
    pub last_us: i64,
    /// The store row of the latest request (to open it).
    pub row: u32,
}

/// Failed requests (code ≥ 400) of one code and status reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailureGroup {
    pub code: u16,
    /// `responseStatus.reason` ("" when the log has none).
    pub reason: String,
    pub requests: u64,
    /// The latest such request, as a sentence, and its row.
    pub example: String,
    pub row: u32,
    pub last_us: i64,
}

/// A run of requests with no idle gap longer than the report's `gap_us`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub start_us: i64,
    pub end_us: i64,
    pub requests: u64,
    pub failures: u64,
    pub verbs: Vec<Count>,
    /// Distinct objects touched in the session.
    pub objects: u64,
    /// The most touched ones (at most five).
    pub top_objects: Vec<Count>,
    /// Store rows of its first and last request.
    pub first_row: u32,
    pub last_row: u32,
}

/// Everything about one actor. Lists are sorted by requests, most first (sessions by time).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActorReport {
    /// The name as the log writes it, or the address.
    pub actor: String,
    /// The name for people (`sa:ns/name`).
    pub label: String,
    /// "user", "serviceaccount", "node", "system" or "ip".
    pub kind: String,
    /// Events (stages) and requests (stages folded by audit ID).
    pub events: u64,
    pub requests: u64,
    pub failures: u64,
    pub first_us: Option<i64>,
    pub last_us: Option<i64>,
    pub gap_us: i64,
    pub sessions: Vec<Session>,
    pub objects: Vec<ObjectTouch>,
    /// Distinct objects (the list may be cut, see `limit`).
    pub objects_total: u64,
    pub failure_groups: Vec<FailureGroup>,
    pub source_ips: Vec<Count>,
    pub user_agents: Vec<Count>,
    /// `user.groups` of the requests it made as the authenticated user.
    pub groups: Vec<Count>,
    /// Whom it impersonated (requests it made as the authenticated user with an
    /// `impersonatedUser`).
    pub impersonated: Vec<Count>,
    /// Who impersonated it (the authenticated users of requests made as it).
    pub impersonated_by: Vec<Count>,
    /// Who acted (`describe::identity`): for an address, the users behind it.
    pub identities: Vec<Count>,
}

/// Object identity by dictionary ids: resource request?, group, resource, subresource,
/// namespace, name, path (non-resource only).
type ObjKey = (bool, u32, u32, u32, u32, u32, u32);

fn obj_key(s: &Store, r: usize) -> ObjKey {
    if s.is_resource_request(r) {
        (
            true,
            s.sym(Dim::ApiGroup, r),
            s.sym(Dim::Resource, r),
            s.sym(Dim::Subresource, r),
            s.sym(Dim::Namespace, r),
            s.sym(Dim::Name, r),
            0,
        )
    } else {
        (false, 0, 0, 0, 0, 0, s.sym(Dim::Path, r))
    }
}

/// Counts by key → a sorted list (most first, then by value), at most `limit`.
fn ranked<K>(m: Map<K, u64>, name: impl Fn(&K) -> String, limit: usize) -> Vec<Count> {
    let mut v: Vec<Count> = m
        .into_iter()
        .map(|(k, n)| Count {
            value: name(&k),
            requests: n,
        })
        .collect();
    v.sort_by(|a, b| {
        b.requests
            .cmp(&a.requests)
            .then_with(|| a.value.cmp(&b.value))
    });
    v.truncate(limit);
    v
}

/// The `limit` most counted keys (ties: the smaller key, i.e. the first seen), named only
/// once chosen (naming every object of a busy actor would cost more than counting them).
fn top_by<K: Ord + Copy>(
    m: impl IntoIterator<Item = (K, u64)>,
    name: impl Fn(K) -> String,
    limit: usize,
) -> Vec<Count> {
    let mut v: Vec<(K, u64)> = m.into_iter().collect();
    v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(limit);
    v.into_iter()
        .map(|(k, n)| Count {
            value: name(k),
            requests: n,
        })
        .collect()
}

#[derive(Default)]
struct ObjAcc {
    requests: u64,
    failures: u64,
    /// (verb id, requests): a handful per object.
    verbs: Vec<(u32, u64)>,
    first_us: i64,
    last_us: i64,
    row: u32,
}

struct SessAcc {
    start_us: i64,
    end_us: i64,
    requests: u64,
    failures: u64,
    verbs: Map<u32, u64>,
    objects: Map<usize, u64>,
    first_row: u32,
    last_row: u32,
}

/// The actor's report. `gap_us`: idle time that ends a session; `limit`: longest list kept
/// (objects, failure groups, addresses…; sessions are all kept). Rows of the actor are
/// found in one pass over the store.
pub fn report(s: &Store, actor: &Actor, gap_us: i64, limit: usize) -> ActorReport {
    let m = Matcher::new(s, actor);
    let mut events = 0u64;
    let reqs = fold_requests(s, |r| {
        let ok = m.matches(s, r);
        events += ok as u64;
        ok
    });
    let gap_us = gap_us.max(0);
    let uid = match actor {
        Actor::User(u) => s.dict.user.lookup(u).filter(|_| !u.is_empty()),
        Actor::Ip(_) => None,
    };
    let imp_id = match actor {
        Actor::User(u) => s.dict.impersonated_user.lookup(u).filter(|_| !u.is_empty()),
        Actor::Ip(_) => None,
    };
    let mut obj_index: Map<ObjKey, usize> = Map::default();
    let mut objs: Vec<(usize, ObjAcc)> = Vec::new(); // (sample row, counts)
    let mut fails: Map<(u16, u32), (u64, u32, i64)> = Map::default();
    let mut ips: Map<u32, u64> = Map::default();
    let mut agents: Map<u32, u64> = Map::default();
    let mut groups: Map<u32, u64> = Map::default();
    let mut imp_of: Map<u32, u64> = Map::default();
    let mut imp_by: Map<u32, u64> = Map::default();
    let mut who: Map<(u32, u32), u64> = Map::default();
    let mut sessions: Vec<Session> = Vec::new();
    let mut cur: Option<SessAcc> = None;
    let mut failures = 0u64;
    let name_of = |d: Dim, id: u32| s.dict.of(d).get(id).to_string();
    let close = |a: SessAcc, sessions: &mut Vec<Session>, objs: &Vec<(usize, ObjAcc)>| {
        let distinct = a.objects.len() as u64;
        let top = top_by(a.objects, |i| describe::object_phrase(s, objs[i].0), 5);
        sessions.push(Session {
            start_us: a.start_us,
            end_us: a.end_us,
            requests: a.requests,
            failures: a.failures,
            verbs: ranked(a.verbs, |&v| name_of(Dim::Verb, v), usize::MAX),
            objects: distinct,
            top_objects: top,
            first_row: a.first_row,
            last_row: a.last_row,
        });
    };
    for &row in &reqs {
        let r = row as usize;
        let t = s.received(r);
        let code = s.code(r);
        let failed = code >= 400;
        failures += failed as u64;
        let verb = s.sym(Dim::Verb, r);
        // Objects.
        let k = obj_key(s, r);
        let oi = *obj_index.entry(k).or_insert_with(|| {
            objs.push((
                r,
                ObjAcc {
                    first_us: t,
                    ..ObjAcc::default()
                },
            ));
            objs.len() - 1
        });
        let o = &mut objs[oi].1;
        o.requests += 1;
        o.failures += failed as u64;
        match o.verbs.iter_mut().find(|v| v.0 == verb) {
            Some(v) => v.1 += 1,
            None => o.verbs.push((verb, 1)),
        }
        o.last_us = t;
        o.row = row;
        if failed {
            let e = fails
                .entry((code, s.sym(Dim::StatusReason, r)))
                .or_insert((0, row, t));
            e.0 += 1;
            e.1 = row;
            e.2 = t;
        }
        let ip = s.source_ips_id(r);
        let first_ip = s
            .dict
            .source_ips
            .members
            .get(ip as usize)
            .and_then(|m| m.first());
        if let Some(&n) = first_ip {
            *ips.entry(n).or_default() += 1;
        }
        *agents.entry(s.sym(Dim::UserAgent, r)).or_default() += 1;
        let u = s.sym(Dim::User, r);
        let iu = s.sym(Dim::ImpersonatedUser, r);
        *who.entry((u, iu)).or_default() += 1;
        let as_authenticated = uid == Some(u) || matches!(actor, Actor::Ip(_));
        if as_authenticated {
            for g in s.dict.groups.members[s.groups_id(r) as usize].iter() {
                *groups.entry(*g).or_default() += 1;
            }
        }
        if uid == Some(u) && iu != 0 {
            *imp_of.entry(iu).or_default() += 1;
        }
        if imp_id.is_some() && imp_id == Some(iu) {
            *imp_by.entry(u).or_default() += 1;
        }
        // Sessions.
        match cur.as_mut() {
            Some(a) if t - a.end_us <= gap_us => {}
            _ => {
                if let Some(a) = cur.take() {
                    close(a, &mut sessions, &objs);
                }
                cur = Some(SessAcc {
                    start_us: t,
                    end_us: t,
                    requests: 0,
                    failures: 0,
                    verbs: Map::default(),
                    objects: Map::default(),
                    first_row: row,
                    last_row: row,
                });
            }
        }
        let a = cur.as_mut().expect("a session is open");
        a.end_us = t;
        a.requests += 1;
        a.failures += failed as u64;
        *a.verbs.entry(verb).or_default() += 1;
        *a.objects.entry(oi).or_default() += 1;
        a.last_row = row;
    }
    if let Some(a) = cur.take() {
        close(a, &mut sessions, &objs);
    }
    let objects_total = objs.len() as u64;
    // The most touched first (ties: the first touched), phrased once chosen.
    let mut order: Vec<usize> = (0..objs.len()).collect();
    order.sort_unstable_by(|&a, &b| objs[b].1.requests.cmp(&objs[a].1.requests).then(a.cmp(&b)));
    order.truncate(limit);
    let mut slots: Vec<Option<(usize, ObjAcc)>> = objs.into_iter().map(Some).collect();
    let objects: Vec<ObjectTouch> = order
        .into_iter()
        .filter_map(|i| slots[i].take())
        .map(|(sample, o)| ObjectTouch {
            object: describe::object_phrase(s, sample),
            resource: s.str(Dim::Resource, sample).to_string(),
            subresource: s.str(Dim::Subresource, sample).to_string(),
            namespace: s.str(Dim::Namespace, sample).to_string(),
            name: s.str(Dim::Name, sample).to_string(),
            requests: o.requests,
            failures: o.failures,
            verbs: top_by(o.verbs, |v| name_of(Dim::Verb, v), usize::MAX),
            first_us: o.first_us,
            last_us: o.last_us,
            row: o.row,
        })
        .collect();
    let mut failure_groups: Vec<FailureGroup> = fails
        .into_iter()
        .map(|((code, reason), (n, row, last))| FailureGroup {
            code,
            reason: name_of(Dim::StatusReason, reason),
            requests: n,
            example: describe::summary(s, row as usize),
            row,
            last_us: last,
        })
        .collect();
    failure_groups.sort_by(|a, b| {
        b.requests
            .cmp(&a.requests)
            .then_with(|| a.code.cmp(&b.code))
            .then_with(|| a.reason.cmp(&b.reason))
    });
    failure_groups.truncate(limit);
    ActorReport {
        actor: actor.name().to_string(),
        label: actor.label(),
        kind: actor.kind().to_string(),
        events,
        requests: reqs.len() as u64,
        failures,
        first_us: reqs.first().map(|&r| s.received(r as usize)),
        last_us: reqs.last().map(|&r| s.received(r as usize)),
        gap_us,
        sessions,
        objects,
        objects_total,
        failure_groups,
        source_ips: ranked(ips, |&n| s.dict.source_ips.names.get(n).to_string(), limit),
        user_agents: ranked(agents, |&a| name_of(Dim::UserAgent, a), limit),
        groups: ranked(groups, |&g| s.dict.groups.names.get(g).to_string(), limit),
        impersonated: ranked(imp_of, |&i| name_of(Dim::ImpersonatedUser, i), limit),
        impersonated_by: ranked(imp_by, |&u| name_of(Dim::User, u), limit),
        identities: ranked(
            who,
            |&(u, i)| describe::identity(s.dict.user.get(u), s.dict.impersonated_user.get(i)),
            limit,
        ),
    }
}

/// A request that came after the selected one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NextItem {
    pub row: u32,
    pub time_us: i64,
    pub code: u16,
    /// [`describe::sentence`] of the request.
    pub sentence: String,
}

/// What happened after one event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Next {
    pub row: u32,
    /// Who acted (`system:admin → bob`), as [`describe::identity`] writes it.
    pub actor: String,
    /// The authenticated and the impersonated user (to open the actor view).
    pub user: String,
    pub impersonated_user: String,
    /// The object (or collection, or path), as a sentence names it.
    pub object: String,
    /// The next requests by the same identity (same authenticated and impersonated user).
    pub by_actor: Vec<NextItem>,
    /// The next requests on the same object (same group, resource, namespace and name,
    /// any subresource; a non-resource request: the same path).
    pub on_object: Vec<NextItem>,
}

/// The next `n` requests after `row`'s by the same identity and on the same object
/// (stages folded; the selected request itself left out). `None` when `row` is out of range.
pub fn next(s: &Store, row: usize, n: usize) -> Option<Next> {
    if row >= s.len() {
        return None;
    }
    let key = s.audit_key(row);
    let t0 = s.received(row);
    let who = (s.sym(Dim::User, row), s.sym(Dim::ImpersonatedUser, row));
    let same_obj = |r: usize| -> bool {
        if s.is_resource_request(row) != s.is_resource_request(r) {
            return false;
        }
        if s.is_resource_request(row) {
            [Dim::ApiGroup, Dim::Resource, Dim::Namespace, Dim::Name]
                .iter()
                .all(|&d| s.sym(d, r) == s.sym(d, row))
        } else {
            s.sym(Dim::Path, r) == s.sym(Dim::Path, row)
        }
    };
    let mut by_actor: Vec<u32> = Vec::new();
    let mut on_object: Vec<u32> = Vec::new();
    // Adds `r` to `list` as a request: another stage of one already there replaces it when
    // later (stages of a request share their received time, so they are neighbours).
    let add = |list: &mut Vec<u32>, r: usize| {
        let k = (s.audit_key(r), s.received(r));
        if let Some(x) = list
            .iter_mut()
            .rev()
            .take_while(|x| s.received(**x as usize) == k.1)
            .find(|x| s.audit_key(**x as usize) == k.0)
        {
            if stage_rank(s, r) > stage_rank(s, *x as usize) {
                *x = r as u32;
            }
        } else {
            list.push(r as u32);
        }
    };
    let full = |list: &Vec<u32>, t: i64| {
        list.len() >= n && list.last().is_some_and(|&x| s.received(x as usize) < t)
    };
    // Requests received at the same instant are in store order.
    for r in row..s.len() {
        let t = s.received(r);
        if s.audit_key(r) == key && t == t0 {
            continue;
        }
        let (fa, fo) = (full(&by_actor, t), full(&on_object, t));
        if fa && fo {
            break;
        }
        if !fa && (s.sym(Dim::User, r), s.sym(Dim::ImpersonatedUser, r)) == who {
            add(&mut by_actor, r);
        }
        if !fo && same_obj(r) {
            add(&mut on_object, r);
        }
    }
    let items = |v: Vec<u32>| -> Vec<NextItem> {
        v.into_iter()
            .take(n)
            .map(|r| NextItem {
                row: r,
                time_us: s.received(r as usize),
                code: s.code(r as usize),
                sentence: describe::summary(s, r as usize),
            })
            .collect()
    };
    Some(Next {
        row: row as u32,
        actor: describe::identity(s.str(Dim::User, row), s.str(Dim::ImpersonatedUser, row)),
        user: s.str(Dim::User, row).to_string(),
        impersonated_user: s.str(Dim::ImpersonatedUser, row).to_string(),
        object: describe::object_phrase(s, row),
        by_actor: items(by_actor),
        on_object: items(on_object),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_actors() {
        assert_eq!(Actor::parse("bob").unwrap(), Actor::User("bob".into()));
        assert_eq!(
            Actor::parse("sa:kafka/op").unwrap(),
            Actor::User("system:serviceaccount:kafka:op".into())
        );
        assert_eq!(
            Actor::parse("10.0.0.5").unwrap(),
            Actor::Ip("10.0.0.5".into())
        );
        assert_eq!(Actor::parse("::1").unwrap(), Actor::Ip("::1".into()));
        assert_eq!(Actor::parse("ip:::1").unwrap(), Actor::Ip("::1".into()));
        assert!(Actor::parse("sa:nope").is_err());
        assert!(Actor::parse(" ").is_err());
        assert_eq!(Actor::parse("sa:a/b").unwrap().kind(), "serviceaccount");
        assert_eq!(Actor::parse("sa:a/b").unwrap().label(), "sa:a/b");
    }
}
