//! The activity feed: the log as sentences ([`describe::summary`]: an exec or attach says
//! its command), newest first, one per request, with "humans only" by default and bursts folded.
//!
//! **Who is not a human** (each category a rule the user can turn off). The identity of a
//! request is its impersonated user when there is one (`system:admin → bob` is bob), else
//! its authenticated user. Names from the Kubernetes source:
//! - *nodes*: users `system:node:<name>` (`nodeUserNamePrefix`, kubernetes
//!   pkg/auth/nodeidentifier/default.go) or in group `system:nodes` (`user.NodesGroup`,
//!   k8s.io/apiserver pkg/authentication/user/user.go);
//! - *service accounts*: users `system:serviceaccount:<ns>:<name>`
//!   (`ServiceAccountUsernamePrefix`, k8s.io/apiserver pkg/authentication/serviceaccount/util.go)
//!   or in group `system:serviceaccounts` (`AllServiceAccountsGroup`, same file);
//! - *control-plane components*: `system:kube-controller-manager`, `system:kube-scheduler`,
//!   `system:kube-proxy` ("core kubernetes process identities") and `system:apiserver`
//!   (`APIServerUser`), all in user.go;
//! - *other `system:` users* (`system:anonymous`, `system:admin`, …) and requests with no user.
//!
//! A separate rule hides reads (verbs get, list, watch) of everyone.
//!
//! **Bursts:** requests with the same identity, verb and resource (group, resource,
//! subresource; non-resource requests: any path, so kubectl's discovery reads fold), each within `burst_gap_us` of the
//! previous one of the same kind, are one line when there are at least `burst_min`
//! ("system:kube-controller-manager updated 1,204 leases in 10 min"); other requests may
//! come between them. A burst is placed at its newest request and can be expanded.
//!
//! **Paging:** [`Feed::build`] keeps row numbers only (a few bytes per request); sentences
//! are made for the page asked for ([`Feed::page`], [`Feed::members`]).

use crate::analysis::actor::fold_requests;
use crate::analysis::describe;
use crate::store::{Dim, Store};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Hash maps keyed by dictionary ids: foldhash, not SipHash (nothing here is adversarial
/// for the table: keys are small integers).
type Map<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// Who made a request, for the "humans only" rules (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Category {
    Human,
    Node,
    ServiceAccount,
    ControlPlane,
    OtherSystem,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::Human,
        Category::Node,
        Category::ServiceAccount,
        Category::ControlPlane,
        Category::OtherSystem,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Category::Human => "people",
            Category::Node => "nodes",
            Category::ServiceAccount => "service accounts",
            Category::ControlPlane => "control-plane components",
            Category::OtherSystem => "other system: users",
        }
    }

    /// The rule in words, as the page shows it.
    pub fn rule(self) -> &'static str {
        match self {
            Category::Human => "every other user",
            Category::Node => "system:node:* or group system:nodes",
            Category::ServiceAccount => "system:serviceaccount:* or group system:serviceaccounts",
            Category::ControlPlane => {
                "system:kube-controller-manager, system:kube-scheduler, system:kube-proxy, system:apiserver"
            }
            Category::OtherSystem => "any other system:* user, and requests with no user",
        }
    }
}

/// The control-plane identities of k8s.io/apiserver pkg/authentication/user/user.go.
pub const CONTROL_PLANE: [&str; 4] = [
    "system:kube-controller-manager",
    "system:kube-scheduler",
    "system:kube-proxy",
    "system:apiserver",
];

/// The category of a user name alone (group membership aside).
pub fn category_of_name(user: &str) -> Category {
    if user.is_empty() {
        Category::OtherSystem
    } else if user.starts_with("system:node:") {
        Category::Node
    } else if user.starts_with("system:serviceaccount:") {
        Category::ServiceAccount
    } else if CONTROL_PLANE.contains(&user) {
        Category::ControlPlane
    } else if user.starts_with("system:") {
        Category::OtherSystem
    } else {
        Category::Human
    }
}

/// The category of a request: its impersonated user's when it has one, else its
/// authenticated user's, where membership of `system:nodes` / `system:serviceaccounts`
/// makes a node / service account of any name.
pub fn category<'a>(
    user: &str,
    impersonated: &str,
    groups: impl IntoIterator<Item = &'a str>,
) -> Category {
    if !impersonated.is_empty() {
        return category_of_name(impersonated);
    }
    let by_name = category_of_name(user);
    if by_name == Category::Human {
        for g in groups {
            if g == "system:nodes" {
                return Category::Node;
            }
            if g == "system:serviceaccounts" {
                return Category::ServiceAccount;
            }
        }
    }
    by_name
}

/// What the feed hides. The default is "humans only".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rules {
    pub hide_nodes: bool,
    pub hide_service_accounts: bool,
    pub hide_control_plane: bool,
    pub hide_other_system: bool,
    /// Hides get, list and watch of everyone.
    pub hide_reads: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            hide_nodes: true,
            hide_service_accounts: true,
            hide_control_plane: true,
            hide_other_system: true,
            hide_reads: false,
        }
    }
}

impl Rules {
    /// Everything shown.
    pub fn all() -> Rules {
        Rules {
            hide_nodes: false,
            hide_service_accounts: false,
            hide_control_plane: false,
            hide_other_system: false,
            hide_reads: false,
        }
    }

    pub fn hides(&self, c: Category) -> bool {
        match c {
            Category::Human => false,
            Category::Node => self.hide_nodes,
            Category::ServiceAccount => self.hide_service_accounts,
            Category::ControlPlane => self.hide_control_plane,
            Category::OtherSystem => self.hide_other_system,
        }
    }

    /// "humans only" when it is the default.
    pub fn is_default(&self) -> bool {
        *self == Rules::default()
    }
}

/// Verbs the "reads" rule hides.
pub const READ_VERBS: [&str; 3] = ["get", "list", "watch"];

/// How the feed is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FeedOptions {
    pub rules: Rules,
    /// Longest pause inside a burst, µs.
    pub burst_gap_us: i64,
    /// Fewest requests folded into a burst (0 or 1: no folding).
    pub burst_min: u32,
}

impl Default for FeedOptions {
    fn default() -> Self {
        FeedOptions {
            rules: Rules::default(),
            burst_gap_us: 60_000_000,
            burst_min: 3,
        }
    }
}

/// A folded run of requests.
#[derive(Clone, Debug)]
struct Burst {
    /// First (newest) and last (oldest) member: indexes into `reqs`.
    first: u32,
    last: u32,
    count: u32,
    failures: u32,
    /// Non-resource requests: the members' paths differ.
    mixed_paths: bool,
}

/// One line of the feed: a request, or a burst (`count > 1`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedLine {
    /// Position in the feed (or in the burst, for [`Feed::members`]).
    pub index: u32,
    /// The store row of the (newest) request.
    pub row: u32,
    /// Newest and oldest time of the line, µs (equal for one request).
    pub time_us: i64,
    pub first_us: i64,
    /// Requests in the line (1, or a burst's size).
    pub count: u32,
    /// Requests in it answered ≥ 400.
    pub failures: u32,
    pub code: u16,
    pub category: Category,
    pub text: String,
}

/// Requests per category and what the rules hid.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedCounts {
    /// All requests in the store (stages folded).
    pub requests: u64,
    /// Per [`Category::ALL`], all requests (shown or not).
    pub by_category: Vec<u64>,
    /// Reads (get/list/watch) among the requests the category rules keep.
    pub reads: u64,
    /// Requests shown.
    pub shown: u64,
    /// Lines (bursts count once).
    pub lines: u64,
    pub bursts: u64,
}

/// The feed for one set of options: row numbers only, sentences on demand.
pub struct Feed {
    pub options: FeedOptions,
    /// Shown requests, newest first (store rows).
    reqs: Vec<u32>,
    /// Per request: the next (older) member of its burst, `u32::MAX` at the end.
    next_member: Vec<u32>,
    bursts: Vec<Burst>,
    /// The lines: `(true, burst)` or `(false, request)`.
    lines: Vec<(bool, u32)>,
    cats: Vec<Category>,
    pub counts: FeedCounts,
}

/// Burst identity: user, impersonated user, verb, resource request?, group, resource,
/// subresource (non-resource requests fold whatever their path).
type BurstKey = (u32, u32, u32, bool, u32, u32, u32);

fn burst_key(s: &Store, r: usize) -> BurstKey {
    (
        s.sym(Dim::User, r),
        s.sym(Dim::ImpersonatedUser, r),
        s.sym(Dim::Verb, r),
        s.is_resource_request(r),
        s.sym(Dim::ApiGroup, r),
        s.sym(Dim::Resource, r),
        s.sym(Dim::Subresource, r),
    )
}

/// `1204` → `1,204`.
pub fn grouped(n: u64) -> String {
    let d = n.to_string();
    let mut out = String::new();
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A span for a burst line: "12 s", "10 min", "2 h 5 min", "3 d 4 h".
pub fn span_words(us: i64) -> String {
    let s = us.max(0) / 1_000_000;
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min", (s + 30) / 60)
    } else if s < 86_400 {
        format!("{} h {} min", s / 3600, s % 3600 / 60)
    } else {
        format!("{} d {} h", s / 86_400, s % 86_400 / 3600)
    }
}

/// A burst as a sentence: "system:kube-controller-manager updated 1,204 leases in 10 min",
/// "bob read /healthz 30 times in 5 min", "bob read 24 API paths in 0 s" (`mixed_paths`:
/// non-resource requests to several paths, such as kubectl's discovery).
pub fn burst_sentence(
    s: &Store,
    newest: usize,
    oldest: usize,
    count: u32,
    failures: u32,
    mixed_paths: bool,
) -> String {
    let who = describe::identity(
        s.str(Dim::User, newest),
        s.str(Dim::ImpersonatedUser, newest),
    );
    let verb = describe::past_tense(s.str(Dim::Verb, newest));
    let n = grouped(count as u64);
    let what = if s.is_resource_request(newest) {
        let res = s.str(Dim::Resource, newest);
        let sub = s.str(Dim::Subresource, newest);
        let res = if res.is_empty() { "objects" } else { res };
        if sub.is_empty() {
            format!("{n} {res}")
        } else {
            format!("{n} {res}/{sub}")
        }
    } else if mixed_paths {
        format!("{n} API paths")
    } else {
        format!("{} {n} times", s.path(newest))
    };
    let span = span_words(s.received(newest) - s.received(oldest));
    let mut out = format!("{who} {verb} {what} in {span}");
    if failures > 0 {
        out.push_str(&format!(" — {} failed", grouped(failures as u64)));
    }
    out
}

impl Feed {
    /// Builds the feed: one pass to fold stages and apply the rules, one to fold bursts.
    pub fn build(s: &Store, options: FeedOptions) -> Feed {
        let rules = options.rules;
        // Category per (user, impersonated user, groups) by dictionary ids.
        let user_cat: Vec<Category> = (0..s.dict.user.len() as u32)
            .map(|i| category_of_name(s.dict.user.get(i)))
            .collect();
        let imp_cat: Vec<Option<Category>> = (0..s.dict.impersonated_user.len() as u32)
            .map(|i| {
                let n = s.dict.impersonated_user.get(i);
                (!n.is_empty()).then(|| category_of_name(n))
            })
            .collect();
        let g = &s.dict.groups;
        let group_cat: Vec<Option<Category>> = (0..g.members.len() as u32)
            .map(|k| {
                let names: Vec<&str> = g.members_of(k).collect();
                if names.contains(&"system:nodes") {
                    Some(Category::Node)
                } else if names.contains(&"system:serviceaccounts") {
                    Some(Category::ServiceAccount)
                } else {
                    None
                }
            })
            .collect();
        let reads: Vec<bool> = (0..s.dict.verb.len() as u32)
            .map(|i| READ_VERBS.contains(&s.dict.verb.get(i)))
            .collect();
        let cat_of = |r: usize| -> Category {
            if let Some(c) = imp_cat[s.sym(Dim::ImpersonatedUser, r) as usize] {
                return c;
            }
            let c = user_cat[s.sym(Dim::User, r) as usize];
            if c == Category::Human {
                if let Some(gc) = group_cat[s.groups_id(r) as usize] {
                    return gc;
                }
            }
            c
        };
        let all = fold_requests(s, |_| true);
        let mut counts = FeedCounts {
            requests: all.len() as u64,
            by_category: vec![0; Category::ALL.len()],
            ..FeedCounts::default()
        };
        let mut reqs: Vec<u32> = Vec::new();
        let mut cats: Vec<Category> = Vec::new();
        for &r in all.iter().rev() {
            let c = cat_of(r as usize);
            counts.by_category[c as usize] += 1;
            if rules.hides(c) {
                continue;
            }
            let read = reads[s.sym(Dim::Verb, r as usize) as usize];
            counts.reads += read as u64;
            if read && rules.hide_reads {
                continue;
            }
            reqs.push(r);
            cats.push(c);
        }
        drop(all);
        counts.shown = reqs.len() as u64;
        // Bursts, newest first: a request joins the open burst of its kind when it is
        // within the gap of that burst's oldest member.
        let mut open: Map<BurstKey, u32> = Map::default();
        let mut bursts: Vec<Burst> = Vec::new();
        let mut burst_of: Vec<u32> = Vec::with_capacity(reqs.len());
        let mut next_member = vec![u32::MAX; reqs.len()];
        for (i, &r) in reqs.iter().enumerate() {
            let r = r as usize;
            let t = s.received(r);
            let failed = (s.code(r) >= 400) as u32;
            let k = burst_key(s, r);
            let joined = open.get(&k).copied().filter(|&b| {
                let last = bursts[b as usize].last as usize;
                s.received(reqs[last] as usize) - t <= options.burst_gap_us
            });
            match joined {
                Some(b) => {
                    let bu = &mut bursts[b as usize];
                    if !s.is_resource_request(r)
                        && s.sym(Dim::Path, r) != s.sym(Dim::Path, reqs[bu.first as usize] as usize)
                    {
                        bu.mixed_paths = true;
                    }
                    next_member[bu.last as usize] = i as u32;
                    bu.last = i as u32;
                    bu.count += 1;
                    bu.failures += failed;
                    burst_of.push(b);
                }
                None => {
                    let b = bursts.len() as u32;
                    bursts.push(Burst {
                        first: i as u32,
                        last: i as u32,
                        count: 1,
                        failures: failed,
                        mixed_paths: false,
                    });
                    open.insert(k, b);
                    burst_of.push(b);
                }
            }
        }
        drop(open);
        let min = options.burst_min.max(2);
        let fold = options.burst_min > 1;
        let mut lines: Vec<(bool, u32)> = Vec::new();
        for (i, &b) in burst_of.iter().enumerate() {
            let bu = &bursts[b as usize];
            if fold && bu.count >= min {
                if bu.first == i as u32 {
                    lines.push((true, b));
                    counts.bursts += 1;
                }
            } else {
                lines.push((false, i as u32));
            }
        }
        counts.lines = lines.len() as u64;
        Feed {
            options,
            reqs,
            next_member,
            bursts,
            lines,
            cats,
            counts,
        }
    }

    /// Lines in the feed.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Shown requests, newest first (store rows).
    pub fn rows(&self) -> &[u32] {
        &self.reqs
    }

    fn one(&self, s: &Store, index: u32, i: usize) -> FeedLine {
        let r = self.reqs[i] as usize;
        FeedLine {
            index,
            row: r as u32,
            time_us: s.received(r),
            first_us: s.received(r),
            count: 1,
            failures: (s.code(r) >= 400) as u32,
            code: s.code(r),
            category: self.cats[i],
            text: describe::summary(s, r),
        }
    }

    /// Lines `[offset, offset + limit)`.
    pub fn page(&self, s: &Store, offset: usize, limit: usize) -> Vec<FeedLine> {
        let end = offset.saturating_add(limit).min(self.lines.len());
        (offset.min(end)..end)
            .map(|k| match self.lines[k] {
                (false, i) => self.one(s, k as u32, i as usize),
                (true, b) => {
                    let bu = &self.bursts[b as usize];
                    let newest = self.reqs[bu.first as usize] as usize;
                    let oldest = self.reqs[bu.last as usize] as usize;
                    FeedLine {
                        index: k as u32,
                        row: newest as u32,
                        time_us: s.received(newest),
                        first_us: s.received(oldest),
                        count: bu.count,
                        failures: bu.failures,
                        code: s.code(newest),
                        category: self.cats[bu.first as usize],
                        text: burst_sentence(
                            s,
                            newest,
                            oldest,
                            bu.count,
                            bu.failures,
                            bu.mixed_paths,
                        ),
                    }
                }
            })
            .collect()
    }

    /// The requests of the burst at line `line`, newest first, `[offset, offset + limit)`
    /// of them; empty when that line is not a burst.
    pub fn members(&self, s: &Store, line: usize, offset: usize, limit: usize) -> Vec<FeedLine> {
        let Some(&(true, b)) = self.lines.get(line) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut i = self.bursts[b as usize].first;
        let mut k = 0usize;
        while i != u32::MAX && out.len() < limit {
            if k >= offset {
                out.push(self.one(s, k as u32, i as usize));
            }
            k += 1;
            i = self.next_member[i as usize];
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories() {
        assert_eq!(category("bob", "", []), Category::Human);
        assert_eq!(category("system:admin", "bob", []), Category::Human);
        assert_eq!(category("system:node:n1", "", []), Category::Node);
        assert_eq!(category("x509-node", "", ["system:nodes"]), Category::Node);
        assert_eq!(
            category("system:serviceaccount:a:b", "", []),
            Category::ServiceAccount
        );
        assert_eq!(
            category("system:kube-scheduler", "", []),
            Category::ControlPlane
        );
        assert_eq!(category("system:anonymous", "", []), Category::OtherSystem);
        assert_eq!(category("", "", []), Category::OtherSystem);
        assert_eq!(grouped(1204), "1,204");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000_000), "1,000,000");
        assert_eq!(span_words(600_000_000), "10 min");
    }
}
