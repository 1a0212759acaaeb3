//! The evaluator: which rule of a policy decides a request, exactly as kube-apiserver's
//! `policyRuleEvaluator` (pkg/audit/policy/checker.go) decides it.
//!
//! Semantics (each a fact of checker.go, tested below and in tests/policy_eval.rs):
//! rules are tried in order and the first match wins; no match gives level `None` with
//! the *policy's* omitStages and omitManagedFields. A rule matches when every non-empty
//! selector matches: `users` (exact user name), `userGroups` (any of the user's groups),
//! `verbs`; then, if the rule has `namespaces` or `resources`, only resource requests
//! match (and a rule with *only* namespaces matches every resource in them), else if it
//! has `nonResourceURLs`, only non-resource requests match (`*`, exact, or a trailing `*`
//! meaning "string prefix", so `/healthz*` also matches `/healthzfoo`), else everything.
//! Namespace `""` is the namespace of cluster-scoped requests. A resources entry matches
//! when its group equals the request's (`"*"` every group, from Kubernetes 1.36) and its
//! resource list is empty, or a resource form matches (`res`, `res/sub`, `*`, `*/sub`,
//! `res/*`, the last also matching the bare `res`), subject to `resourceNames` when given.
//! A rule's omitStages is the union of its own and the policy's; its omitManagedFields
//! overrides the policy's when set.
//!
//! One difference is representational: kube-apiserver can see a request with no user
//! at all (then no `users`/`userGroups` rule matches); here such a request has user
//! `""` and no groups, which only a rule listing the user `""` would match.
//!
//! [`CompiledPolicy`] precompiles the rules (small sets scanned linearly, large ones
//! hashed; URL prefixes split out) so one evaluation is a short scan without allocation.

use foldhash::fast::FixedState;
use hashbrown::HashSet;
use serde::{Deserialize, Serialize};

use super::policy::{KubeVersion, Policy, PolicyRule};
use super::{Level, RequestAttrs, StageSet};

/// What the policy decides for one request.
///
/// Invariant: `rule` is `None` exactly when no rule matched, and then `level` is
/// `Level::None` and the stages/managed-fields flag are the policy's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub level: Level,
    pub rule: Option<usize>,
    pub omit_stages: StageSet,
    pub omit_managed_fields: bool,
}

/// A set of strings for membership tests; built once per rule.
#[derive(Clone, Debug)]
enum StrSet {
    /// The list was empty: the selector does not restrict.
    Any,
    Small(Box<[Box<str>]>),
    Hashed(HashSet<Box<str>, FixedState>),
}

/// Above this many entries a hash set beats a linear scan.
const HASH_ABOVE: usize = 8;

impl StrSet {
    fn new(v: &[String]) -> StrSet {
        if v.is_empty() {
            StrSet::Any
        } else if v.len() <= HASH_ABOVE {
            StrSet::Small(v.iter().map(|s| s.as_str().into()).collect())
        } else {
            let mut h = HashSet::with_capacity_and_hasher(v.len(), FixedState::default());
            h.extend(v.iter().map(|s| Box::<str>::from(s.as_str())));
            StrSet::Hashed(h)
        }
    }

    /// Membership; `Any` contains everything.
    #[inline]
    fn contains(&self, s: &str) -> bool {
        match self {
            StrSet::Any => true,
            StrSet::Small(v) => v.iter().any(|x| &**x == s),
            StrSet::Hashed(h) => h.contains(s),
        }
    }

    fn is_any(&self) -> bool {
        matches!(self, StrSet::Any)
    }
}

/// One resource form of a resources entry, with its wildcard parts split out.
#[derive(Clone, Debug)]
struct ResPat {
    raw: Box<str>,
    /// `*`: every resource and subresource.
    star: bool,
    /// `*/sub`: the `sub` part.
    any_res_sub: Option<Box<str>>,
    /// `res/*`: the `res` part (matches `res` itself and all its subresources).
    res_any_sub: Option<Box<str>>,
}

impl ResPat {
    fn new(p: &str) -> ResPat {
        ResPat {
            raw: p.into(),
            star: p == "*",
            any_res_sub: p.strip_prefix("*/").map(Into::into),
            res_any_sub: p.strip_suffix("/*").map(Into::into),
        }
    }

    #[inline]
    fn matches(&self, resource: &str, subresource: &str) -> bool {
        if self.star || combined_eq(&self.raw, resource, subresource) {
            return true;
        }
        if !subresource.is_empty() && self.any_res_sub.as_deref() == Some(subresource) {
            return true;
        }
        self.res_any_sub.as_deref() == Some(resource)
    }
}

/// `pat == resource` (no subresource) or `pat == resource + "/" + subresource`,
/// without building the combined string.
#[inline]
fn combined_eq(pat: &str, resource: &str, subresource: &str) -> bool {
    if subresource.is_empty() {
        return pat == resource;
    }
    pat.len() == resource.len() + 1 + subresource.len()
        && pat.starts_with(resource)
        && pat.as_bytes()[resource.len()] == b'/'
        && pat.ends_with(subresource)
}

#[derive(Clone, Debug)]
struct CGroup {
    /// `None`: every group (`"*"`, only when the Kubernetes version allows it).
    group: Option<Box<str>>,
    /// The entry lists no resources: every resource of the group, names not checked.
    all_resources: bool,
    names: StrSet,
    pats: Vec<ResPat>,
}

impl CGroup {
    #[inline]
    fn matches(&self, a: &RequestAttrs) -> bool {
        if let Some(g) = &self.group {
            if &**g != a.api_group {
                return false;
            }
        }
        if self.all_resources {
            return true;
        }
        if !self.names.contains(a.name) {
            return false;
        }
        self.pats
            .iter()
            .any(|p| p.matches(a.resource, a.subresource))
    }
}

#[derive(Clone, Debug)]
struct UrlSet {
    any: bool,
    exact: StrSet,
    prefixes: Vec<Box<str>>,
}

impl UrlSet {
    fn new(specs: &[String]) -> UrlSet {
        let any = specs.iter().any(|s| s == "*");
        let exact: Vec<String> = specs
            .iter()
            .filter(|s| !s.ends_with('*'))
            .cloned()
            .collect();
        let prefixes = specs
            .iter()
            .filter(|s| s.ends_with('*') && *s != "*")
            .map(|s| s.trim_end_matches('*').into())
            .collect();
        UrlSet {
            any,
            exact: if exact.is_empty() {
                StrSet::Small(Box::new([]))
            } else {
                StrSet::new(&exact)
            },
            prefixes,
        }
    }

    #[inline]
    fn matches(&self, path: &str) -> bool {
        self.any
            || self.exact.contains(path)
            || self.prefixes.iter().any(|p| path.starts_with(&**p))
    }
}

#[derive(Clone, Debug)]
enum Scope {
    /// Neither resources, namespaces nor nonResourceURLs: every request.
    Any,
    /// Resource requests only.
    Resource {
        namespaces: StrSet,
        groups: Option<Vec<CGroup>>,
    },
    /// Non-resource requests only.
    NonResource(UrlSet),
}

#[derive(Clone, Debug)]
struct CRule {
    level: Level,
    omit_stages: StageSet,
    omit_managed_fields: bool,
    users: StrSet,
    groups: StrSet,
    verbs: StrSet,
    scope: Scope,
}

impl CRule {
    fn new(r: &PolicyRule, p: &Policy, group_wildcard: bool) -> CRule {
        let mut omit = StageSet::default();
        for s in p.omit_stages.iter().chain(&r.omit_stages) {
            omit.insert(*s);
        }
        let scope = if !r.namespaces.is_empty() || !r.resources.is_empty() {
            Scope::Resource {
                namespaces: StrSet::new(&r.namespaces),
                groups: (!r.resources.is_empty()).then(|| {
                    r.resources
                        .iter()
                        .map(|g| CGroup {
                            group: if group_wildcard && g.group == "*" {
                                None
                            } else {
                                Some(g.group.as_str().into())
                            },
                            all_resources: g.resources.is_empty(),
                            names: StrSet::new(&g.resource_names),
                            pats: g.resources.iter().map(|s| ResPat::new(s)).collect(),
                        })
                        .collect()
                }),
            }
        } else if !r.non_resource_urls.is_empty() {
            Scope::NonResource(UrlSet::new(&r.non_resource_urls))
        } else {
            Scope::Any
        };
        CRule {
            level: r.level,
            omit_stages: omit,
            omit_managed_fields: r.omit_managed_fields.unwrap_or(p.omit_managed_fields),
            users: StrSet::new(&r.users),
            groups: StrSet::new(&r.user_groups),
            verbs: StrSet::new(&r.verbs),
            scope,
        }
    }

    #[inline]
    fn matches(&self, a: &RequestAttrs) -> bool {
        match &self.scope {
            Scope::Resource { .. } if !a.resource_request => return false,
            Scope::NonResource(_) if a.resource_request => return false,
            _ => {}
        }
        if !self.verbs.contains(a.verb) || !self.users.contains(a.user) {
            return false;
        }
        if !self.groups.is_any() && !a.groups.iter().any(|g| self.groups.contains(g)) {
            return false;
        }
        match &self.scope {
            Scope::Any => true,
            Scope::NonResource(urls) => urls.matches(a.path),
            Scope::Resource { namespaces, groups } => {
                namespaces.contains(a.namespace)
                    && groups
                        .as_ref()
                        .is_none_or(|gs| gs.iter().any(|g| g.matches(a)))
            }
        }
    }
}

/// A policy ready to evaluate. Build with [`CompiledPolicy::new`]; serializes as the
/// policy and the Kubernetes version it was compiled for (and is rebuilt on load).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(from = "CompiledRepr", into = "CompiledRepr")]
pub struct CompiledPolicy {
    rules: Vec<CRule>,
    no_match: Decision,
    source: Policy,
    kube: KubeVersion,
}

#[derive(Clone, Serialize, Deserialize)]
struct CompiledRepr {
    policy: Policy,
    kube_version: KubeVersion,
}

impl From<CompiledRepr> for CompiledPolicy {
    fn from(r: CompiledRepr) -> Self {
        CompiledPolicy::new(&r.policy, r.kube_version)
    }
}

impl From<CompiledPolicy> for CompiledRepr {
    fn from(c: CompiledPolicy) -> Self {
        CompiledRepr {
            policy: c.source,
            kube_version: c.kube,
        }
    }
}

impl CompiledPolicy {
    /// Compiles `p` for a kube-apiserver of version `kube` (which decides whether
    /// `group: "*"` is a wildcard). `p` need not have been validated.
    pub fn new(p: &Policy, kube: KubeVersion) -> CompiledPolicy {
        let wildcard = kube.allows_group_wildcard();
        let mut omit = StageSet::default();
        for s in &p.omit_stages {
            omit.insert(*s);
        }
        CompiledPolicy {
            rules: p.rules.iter().map(|r| CRule::new(r, p, wildcard)).collect(),
            no_match: Decision {
                level: Level::None,
                rule: None,
                omit_stages: omit,
                omit_managed_fields: p.omit_managed_fields,
            },
            source: p.clone(),
            kube,
        }
    }

    /// The decision for one request: the first matching rule, else level None.
    #[inline]
    pub fn evaluate(&self, a: &RequestAttrs) -> Decision {
        for (i, r) in self.rules.iter().enumerate() {
            if r.matches(a) {
                return Decision {
                    level: r.level,
                    rule: Some(i),
                    omit_stages: r.omit_stages,
                    omit_managed_fields: r.omit_managed_fields,
                };
            }
        }
        self.no_match
    }

    /// Number of rules.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Level of rule `i` (`Level::None` when out of range).
    pub fn rule_level(&self, i: usize) -> Level {
        self.rules.get(i).map_or(Level::None, |r| r.level)
    }

    /// Stages rule `i` omits (its own ∪ the policy's).
    pub fn rule_omit_stages(&self, i: usize) -> StageSet {
        self.rules
            .get(i)
            .map_or(self.no_match.omit_stages, |r| r.omit_stages)
    }

    /// Does rule `i` match `a` on its own, whatever the rules before it say?
    /// (For shadowing: a request rule `i` matches but an earlier rule took.)
    pub fn matches_rule(&self, i: usize, a: &RequestAttrs) -> bool {
        self.rules.get(i).is_some_and(|r| r.matches(a))
    }

    /// The decision when no rule matches.
    pub fn no_match(&self) -> Decision {
        self.no_match
    }

    /// The policy this was compiled from.
    pub fn policy(&self) -> &Policy {
        &self.source
    }

    /// The Kubernetes version this was compiled for.
    pub fn kube_version(&self) -> KubeVersion {
        self.kube
    }
}

impl Policy {
    /// Compiles and evaluates in one go (convenient, not fast: compile once instead).
    pub fn evaluate(&self, a: &RequestAttrs) -> Decision {
        CompiledPolicy::new(self, KubeVersion::default()).evaluate(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::policy::GroupResources;
    use crate::audit::Stage;

    fn res(resource: &'static str, sub: &'static str) -> RequestAttrs<'static> {
        RequestAttrs {
            user: "u",
            verb: "get",
            resource_request: true,
            resource,
            subresource: sub,
            namespace: "default",
            name: "x",
            ..Default::default()
        }
    }

    #[test]
    fn resource_forms() {
        // (pattern, resource, subresource, matches) — from checker.go's three wildcard forms.
        let cases = [
            ("pods", "pods", "", true),
            ("pods", "pods", "log", false),
            ("pods/log", "pods", "log", true),
            ("pods/log", "pods", "", false),
            ("*", "pods", "", true),
            ("*", "pods", "log", true),
            ("*/log", "pods", "log", true),
            ("*/log", "deployments", "log", true),
            ("*/log", "pods", "", false),
            ("*/log", "pods", "exec", false),
            ("pods/*", "pods", "log", true),
            ("pods/*", "pods", "", true),
            ("pods/*", "podsx", "", false),
            ("pods/*", "deployments", "log", false),
            ("*/*", "pods", "log", false),
            ("pods/lo", "pods", "log", false),
        ];
        for (pat, r, s, want) in cases {
            assert_eq!(ResPat::new(pat).matches(r, s), want, "{pat} vs {r}/{s}");
        }
    }

    #[test]
    fn combined_eq_cases() {
        assert!(combined_eq("a/b", "a", "b"));
        assert!(!combined_eq("a/b", "a", ""));
        assert!(!combined_eq("ab/", "a", "b"));
        assert!(!combined_eq("a/bc", "a", "b"));
        assert!(combined_eq("a", "a", ""));
    }

    #[test]
    fn url_forms() {
        let u = UrlSet::new(&["/healthz*".into(), "/metrics".into()]);
        assert!(u.matches("/healthz"));
        assert!(u.matches("/healthzfoo"));
        assert!(u.matches("/healthz/etcd"));
        assert!(u.matches("/metrics"));
        assert!(!u.matches("/metrics/x"));
        assert!(!u.matches("/health"));
        assert!(UrlSet::new(&["*".into()]).matches("/anything"));
        assert!(UrlSet::new(&["/*".into()]).matches("/"));
    }

    #[test]
    fn large_sets_hash() {
        let users: Vec<String> = (0..100).map(|i| format!("u{i}")).collect();
        let s = StrSet::new(&users);
        assert!(matches!(s, StrSet::Hashed(_)));
        assert!(s.contains("u57"));
        assert!(!s.contains("u100"));
    }

    #[test]
    fn no_match_uses_policy_defaults() {
        let mut p = Policy::new(vec![PolicyRule {
            verbs: vec!["create".into()],
            ..PolicyRule::new(Level::Request)
        }]);
        p.omit_stages = vec![Stage::RequestReceived];
        p.omit_managed_fields = true;
        let d = CompiledPolicy::new(&p, KubeVersion::default()).evaluate(&res("pods", ""));
        assert_eq!(d.level, Level::None);
        assert_eq!(d.rule, None);
        assert!(d.omit_stages.contains(Stage::RequestReceived));
        assert!(d.omit_managed_fields);
    }

    #[test]
    fn group_wildcard_needs_136() {
        let p = Policy::new(vec![PolicyRule {
            resources: vec![GroupResources {
                group: "*".into(),
                resources: vec!["*/status".into()],
                ..Default::default()
            }],
            ..PolicyRule::new(Level::None)
        }]);
        let mut a = res("deployments", "status");
        a.api_group = "apps";
        assert_eq!(
            CompiledPolicy::new(
                &p,
                KubeVersion {
                    major: 1,
                    minor: 36
                }
            )
            .evaluate(&a)
            .rule,
            Some(0)
        );
        assert_eq!(
            CompiledPolicy::new(
                &p,
                KubeVersion {
                    major: 1,
                    minor: 35
                }
            )
            .evaluate(&a)
            .rule,
            None
        );
    }

    #[test]
    fn serde_round_trip_rebuilds() {
        let p = Policy::new(vec![PolicyRule {
            users: vec!["a".into()],
            ..PolicyRule::new(Level::Metadata)
        }]);
        let c = CompiledPolicy::new(&p, KubeVersion::default());
        let json = serde_json::to_string(&c).unwrap();
        let back: CompiledPolicy = serde_json::from_str(&json).unwrap();
        let a = RequestAttrs {
            user: "a",
            ..Default::default()
        };
        assert_eq!(back.evaluate(&a), c.evaluate(&a));
        assert_eq!(back.evaluate(&a).rule, Some(0));
    }
}
