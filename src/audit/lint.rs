//! Lint: things kube-apiserver accepts but an administrator probably does not want,
//! and a short security checklist with a pass/warn outcome per check.
//!
//! Where a question is "what does the policy do with request X", the answer comes from
//! the evaluator itself ([`CompiledPolicy::evaluate`]) on probe requests, so lint and
//! the live evaluator can never disagree. Probes use an arbitrary authenticated user
//! ([`PROBE_USER`], group `system:authenticated`) in namespace `default`; the
//! sensitive-body check also builds, for each rule, a witness request made of that
//! rule's own first user/group/verb/namespace, so rules aimed at specific users are
//! caught too. Shadowing ("an earlier rule covers this one") is static and best effort:
//! rule *i* covers rule *j* when each of *i*'s selectors is a superset of *j*'s.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::needs::{check_with, leaking_rules, security_needs, NeedVerdict, Witnesses};
use super::policy::{Diagnostic, GroupResources, KubeVersion, LoadedPolicy, PolicyRule, RuleSpan};
use super::yamlpos::Pos;
use super::{Level, Stage};

/// The user name lint probes with (no real user has it).
pub const PROBE_USER: &str = "audit-lens:probe-user";

/// Outcome of one checklist item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Pass,
    Warn,
}

/// One line of the security checklist.
///
/// `rules` are the 0-based rules that decide the check (the ones that pass it, or the
/// ones at fault), possibly empty. Requirements decided per kind of identity carry their
/// [`NeedVerdict`] (which kinds fail, a few failing requests and the rule of each).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckItem {
    pub id: String,
    pub title: String,
    pub outcome: Outcome,
    pub rules: Vec<usize>,
    pub detail: String,
    #[serde(default)]
    pub verdict: Option<NeedVerdict>,
}

impl fmt::Display for CheckItem {
    /// `exec/attach/portforward recorded with ResponseStarted: PASS (rule 7)`.
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let o = match self.outcome {
            Outcome::Pass => "PASS",
            Outcome::Warn => "WARN",
        };
        write!(f, "{}: {o}", self.title)?;
        if let Some(v) = self.verdict.as_ref().filter(|v| !v.ok) {
            let kinds: Vec<&str> = v.failing().iter().map(|k| k.as_str()).collect();
            write!(f, " for {}", kinds.join(", "))?;
        }
        match self.rules.as_slice() {
            [] => Ok(()),
            [r] => write!(f, " (rule {r})"),
            rs => write!(f, " (rules {})", rule_list(rs)),
        }
    }
}

/// Rule indices for people: runs of consecutive indices as ranges (`0–9999`), at most
/// [`RULE_LIST_MAX`] items, then how many more (`1, 4–6, 9 and 3 more`).
pub fn rule_list(rules: &[usize]) -> String {
    let mut items: Vec<String> = Vec::new();
    let mut i = 0;
    while i < rules.len() {
        let mut j = i;
        while j + 1 < rules.len() && rules[j + 1] == rules[j] + 1 {
            j += 1;
        }
        items.push(match j - i {
            0 => rules[i].to_string(),
            1 => format!("{}, {}", rules[i], rules[j]),
            _ => format!("{}–{}", rules[i], rules[j]),
        });
        i = j + 1;
    }
    if items.len() > RULE_LIST_MAX {
        let more = items.len() - RULE_LIST_MAX;
        items.truncate(RULE_LIST_MAX);
        format!("{} and {more} more", items.join(", "))
    } else {
        items.join(", ")
    }
}

/// Most items [`rule_list`] names.
pub const RULE_LIST_MAX: usize = 12;

fn pos_of(spans: &[RuleSpan], i: Option<usize>) -> Pos {
    i.and_then(|i| spans.get(i))
        .map(|s| Pos {
            line: s.start_line,
            col: s.start_col,
        })
        .unwrap_or_default()
}

fn warn(p: &LoadedPolicy, code: &str, rule: Option<usize>, msg: String) -> Diagnostic {
    let path = rule.map(|r| format!("rules[{r}]")).unwrap_or_default();
    Diagnostic::warning(code, msg, rule, pos_of(&p.rule_spans, rule), &path)
}

fn witnesses(p: &LoadedPolicy, seen: &[(String, Vec<String>)]) -> Witnesses {
    Witnesses::of(
        &p.policy,
        p.compiled.kube_version().allows_group_wildcard(),
        seen,
    )
}

/// All findings: the loader's warnings (unknown keys, YAML 1.1 booleans, ...) first,
/// then lint's own, each with a stable code.
pub fn lint(p: &LoadedPolicy) -> Vec<Diagnostic> {
    let mut out = p.warnings.clone();
    let w = witnesses(p, &[]);
    sensitive_bodies(p, &w, &mut out);
    for need in security_needs() {
        match need.id.as_str() {
            "exec-attach-visible" => exec_attach(p, &check_with(&p.compiled, &w, &need), &mut out),
            "pod-writes-with-body" => pod_bodies(p, &check_with(&p.compiled, &w, &need), &mut out),
            _ => {}
        }
    }
    request_received(p, &mut out);
    catch_all_and_shadowing(p, &mut out);
    groups(p, &mut out);
    version_features(p, &mut out);
    out
}

/// Features of the policy format that need a Kubernetes version newer than some
/// servers still run: (name, first version, test on a rule). `group: "*"` came with
/// 1.36 (apiserver validation.go:101, checker.go:194, commit 6728d9492).
/// Whether a rule uses a feature.
type UsesFeature = fn(&PolicyRule) -> bool;

const VERSION_FEATURES: &[(&str, KubeVersion, UsesFeature)] = &[(
    "`group: \"*\"` (every API group)",
    KubeVersion::GROUP_WILDCARD,
    |r| r.resources.iter().any(|g| g.group == "*"),
)];

/// One warning per rule using a feature that older servers refuse (the selected version
/// has it, or the loader would have refused the file).
fn version_features(p: &LoadedPolicy, out: &mut Vec<Diagnostic>) {
    for (name, since, uses) in VERSION_FEATURES {
        for (i, r) in p.policy.rules.iter().enumerate() {
            if uses(r) {
                out.push(warn(
                    p,
                    "needs-version",
                    Some(i),
                    format!("rule {i} uses {name}, which needs Kubernetes {since} or newer: kube-apiserver {}.{} and older refuse this policy (checked against {})", since.major, since.minor - 1, p.kube_version),
                ));
            }
        }
    }
}

/// Rules that write secrets or tokens into the log ([`super::needs::body_leak`], probed
/// with the witnesses of every kind, so rules aimed at specific users are caught too).
fn sensitive_bodies(p: &LoadedPolicy, w: &Witnesses, out: &mut Vec<Diagnostic>) {
    for (i, what) in leaking_rules(&p.compiled, w) {
        out.push(warn(
            p,
            "sensitive-body",
            Some(i),
            format!(
                "rule {i} writes secret values or tokens into the audit log ({}). Use Metadata for these requests",
                what.join("; ")
            ),
        ));
    }
}

/// One warning per (code, rule) at fault in a failing need, with its first failure.
fn need_warnings(
    p: &LoadedPolicy,
    v: &NeedVerdict,
    code_for: impl Fn(&super::needs::Failure) -> (&'static str, &'static str),
    out: &mut Vec<Diagnostic>,
) {
    let mut done: Vec<(&str, Option<usize>)> = Vec::new();
    for k in &v.kinds {
        for f in &k.failures {
            let (code, tail) = code_for(f);
            if done.contains(&(code, f.rule)) {
                continue;
            }
            done.push((code, f.rule));
            let kinds: Vec<&str> = v
                .kinds
                .iter()
                .filter(|k| k.failures.iter().any(|g| g.rule == f.rule))
                .map(|k| k.kind.as_str())
                .collect();
            out.push(warn(
                p,
                code,
                f.rule,
                format!("{}: {}: {tail}", kinds.join(", "), f.why),
            ));
        }
    }
}

fn exec_attach(p: &LoadedPolicy, v: &NeedVerdict, out: &mut Vec<Diagnostic>) {
    need_warnings(
        p,
        v,
        |f| {
            if f.level == Level::None {
                (
                    "exec-not-recorded",
                    "interactive access to containers leaves no trace",
                )
            } else {
                ("exec-responsestarted-omitted", "ResponseStarted is the event detection rules (e.g. Falco's) read for exec/attach sessions")
            }
        },
        out,
    );
}

fn pod_bodies(p: &LoadedPolicy, v: &NeedVerdict, out: &mut Vec<Diagnostic>) {
    need_warnings(
        p,
        v,
        |_| {
            (
                "pod-body-missing",
                "without the request body, privileged or hostPath pods cannot be detected from the log. Record pod writes at Request",
            )
        },
        out,
    );
}

/// Rules at a level above None that do not omit RequestReceived.
fn request_received_rules(p: &LoadedPolicy) -> Vec<usize> {
    (0..p.compiled.rule_count())
        .filter(|&i| {
            p.compiled.rule_level(i) > Level::None
                && !p
                    .compiled
                    .rule_omit_stages(i)
                    .contains(Stage::RequestReceived)
        })
        .collect()
}

fn request_received(p: &LoadedPolicy, out: &mut Vec<Diagnostic>) {
    let rules = request_received_rules(p);
    if let Some(&first) = rules.first() {
        out.push(warn(
            p,
            "request-received",
            Some(first),
            format!(
                "RequestReceived is not omitted for rule(s) {}: every such request is logged twice (RequestReceived and ResponseComplete), which roughly doubles the volume. Add `omitStages: [RequestReceived]` at the top of the policy",
                rule_list(&rules)
            ),
        ));
    }
}

fn first_catch_all(rules: &[PolicyRule]) -> Option<usize> {
    rules.iter().position(PolicyRule::is_catch_all)
}

fn catch_all_and_shadowing(p: &LoadedPolicy, out: &mut Vec<Diagnostic>) {
    let rules = &p.policy.rules;
    let n = rules.len();
    let wildcard = p.kube_version.allows_group_wildcard();
    match first_catch_all(rules) {
        None => out.push(warn(
            p,
            "no-catch-all",
            n.checked_sub(1),
            "no rule matches every request: requests no rule matches are not recorded at all (level None). End the policy with a catch-all such as `- level: Metadata`".into(),
        )),
        Some(c) => {
            for j in c + 1..n {
                out.push(warn(
                    p,
                    "unreachable-after-catch-all",
                    Some(j),
                    format!("rule {j} can never match: rule {c} before it matches every request"),
                ));
            }
        }
    }
    let last = first_catch_all(rules).map_or(n, |c| c + 1);
    for j in 1..last {
        if let Some(i) = (0..j).find(|&i| covers(&rules[i], &rules[j], wildcard)) {
            out.push(warn(
                p,
                "shadowed-rule",
                Some(j),
                format!("rule {j} can never match: rule {i} before it matches every request rule {j} would match"),
            ));
        }
    }
}

/// Every request `inner` could match is in `outer` (empty `outer` = everything).
fn subset(inner: &[String], outer: &[String]) -> bool {
    outer.is_empty() || (!inner.is_empty() && inner.iter().all(|x| outer.contains(x)))
}

/// Does rule `i` match every request rule `j` matches? (Best effort, never a false yes.)
pub fn covers(i: &PolicyRule, j: &PolicyRule, group_wildcard: bool) -> bool {
    if !subset(&j.users, &i.users)
        || !subset(&j.user_groups, &i.user_groups)
        || !subset(&j.verbs, &i.verbs)
    {
        return false;
    }
    let i_res = !i.resources.is_empty() || !i.namespaces.is_empty();
    let j_res = !j.resources.is_empty() || !j.namespaces.is_empty();
    if i_res {
        if !j_res || !subset(&j.namespaces, &i.namespaces) {
            return false;
        }
        if i.resources.is_empty() {
            return true;
        }
        return !j.resources.is_empty()
            && j.resources.iter().all(|je| {
                i.resources
                    .iter()
                    .any(|ie| entry_covers(ie, je, group_wildcard))
            });
    }
    if !i.non_resource_urls.is_empty() {
        return !j_res
            && !j.non_resource_urls.is_empty()
            && j.non_resource_urls
                .iter()
                .all(|uj| i.non_resource_urls.iter().any(|ui| url_covers(ui, uj)));
    }
    true
}

fn entry_covers(ie: &GroupResources, je: &GroupResources, group_wildcard: bool) -> bool {
    if ie.group != je.group && !(group_wildcard && ie.group == "*") {
        return false;
    }
    if ie.resources.is_empty() {
        return true;
    }
    if je.resources.is_empty() {
        return ie.resource_names.is_empty() && ie.resources.iter().any(|r| r == "*");
    }
    subset(&je.resource_names, &ie.resource_names)
        && je
            .resources
            .iter()
            .all(|pj| ie.resources.iter().any(|pi| pattern_covers(pi, pj)))
}

fn pattern_covers(pi: &str, pj: &str) -> bool {
    if pi == "*" || pi == pj {
        return true;
    }
    if let Some(base) = pi.strip_suffix("/*") {
        if pj == base
            || pj
                .strip_prefix(base)
                .is_some_and(|rest| rest.starts_with('/'))
        {
            return true;
        }
    }
    if let Some(sub) = pi.strip_prefix("*/") {
        if let Some((res, s)) = pj.split_once('/') {
            return s == sub && res != "*" || pj == pi;
        }
    }
    false
}

fn url_covers(ui: &str, uj: &str) -> bool {
    if ui == "*" || ui == uj {
        return true;
    }
    match ui.strip_suffix('*') {
        Some(_) => uj != "*" && uj.starts_with(ui.trim_end_matches('*')),
        None => false,
    }
}

/// Core resources people put in the wrong group, and workload resources put in core.
const WRONG_GROUP: &[(&str, &str, &str)] = &[
    ("", "deployments", "apps"),
    ("", "replicasets", "apps"),
    ("", "daemonsets", "apps"),
    ("", "statefulsets", "apps"),
    ("", "ingresses", "networking.k8s.io"),
    ("", "roles", "rbac.authorization.k8s.io"),
    ("", "rolebindings", "rbac.authorization.k8s.io"),
    ("", "clusterroles", "rbac.authorization.k8s.io"),
    ("", "clusterrolebindings", "rbac.authorization.k8s.io"),
    ("", "cronjobs", "batch"),
    ("", "jobs", "batch"),
    ("apps", "pods", ""),
    ("apps", "secrets", ""),
    ("apps", "configmaps", ""),
    ("apps", "services", ""),
];

fn groups(p: &LoadedPolicy, out: &mut Vec<Diagnostic>) {
    for (i, r) in p.policy.rules.iter().enumerate() {
        for g in &r.resources {
            if matches!(g.group.as_str(), "core" | "v1") {
                out.push(warn(
                    p,
                    "suspicious-group",
                    Some(i),
                    format!("rule {i}: group {:?} matches no request: the core API group is written \"\"", g.group),
                ));
            }
            for res in &g.resources {
                let base = res.split('/').next().unwrap_or("");
                if let Some((_, _, right)) = WRONG_GROUP
                    .iter()
                    .find(|(grp, rr, _)| *grp == g.group && *rr == base)
                {
                    out.push(warn(
                        p,
                        "wrong-group-for-resource",
                        Some(i),
                        format!("rule {i}: {res} is not in group {:?} but in {right:?}, so this entry never matches it", g.group),
                    ));
                }
            }
        }
    }
}

/// The security checklist shown next to the policy (no identities from a log).
pub fn security_checklist(p: &LoadedPolicy) -> Vec<CheckItem> {
    security_checklist_seen(p, &[])
}

/// One line for a need: which kinds fail, and the first failure of each failing kind.
fn need_detail(v: &NeedVerdict) -> String {
    if v.ok {
        let kinds: Vec<&str> = v.kinds.iter().map(|k| k.kind.as_str()).collect();
        return format!("recorded as asked for {}", kinds.join(", "));
    }
    v.kinds
        .iter()
        .filter(|k| !k.ok)
        .map(|k| match k.failures.first() {
            Some(f) => format!("{}: {}", k.kind.as_str(), f.why),
            None => format!("{}: fails", k.kind.as_str()),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The security checklist: the requirements of [`security_needs`], each decided per kind
/// of identity (with the identities `seen` in a log as extra witnesses), then the checks
/// on the policy as a whole.
pub fn security_checklist_seen(p: &LoadedPolicy, seen: &[(String, Vec<String>)]) -> Vec<CheckItem> {
    let w = witnesses(p, seen);
    let mut items: Vec<CheckItem> = security_needs()
        .into_iter()
        .map(|need| {
            let v = check_with(&p.compiled, &w, &need);
            CheckItem {
                id: need.id.clone(),
                title: need.title.clone(),
                outcome: if v.ok { Outcome::Pass } else { Outcome::Warn },
                rules: v.rules.clone(),
                detail: need_detail(&v),
                verdict: Some(v),
            }
        })
        .collect();

    let rr = request_received_rules(p);
    items.push(CheckItem {
        id: "request-received-omitted".into(),
        title: "RequestReceived stage omitted".into(),
        outcome: if rr.is_empty() {
            Outcome::Pass
        } else {
            Outcome::Warn
        },
        detail: if rr.is_empty() {
            "no rule writes a separate RequestReceived event".into()
        } else {
            "these rules write every request twice".into()
        },
        rules: rr,
        verdict: None,
    });

    let ca = first_catch_all(&p.policy.rules);
    items.push(CheckItem {
        id: "catch-all".into(),
        title: "catch-all rule at the end".into(),
        outcome: if ca == p.policy.rules.len().checked_sub(1) {
            Outcome::Pass
        } else {
            Outcome::Warn
        },
        rules: ca.into_iter().collect(),
        detail: match ca {
            None => "requests that no rule matches are not recorded".into(),
            Some(i) if i + 1 == p.policy.rules.len() => format!(
                "rule {i} records everything else at {}",
                p.policy.rules[i].level.as_str()
            ),
            Some(i) => format!("rule {i} matches everything, so the rules after it never apply"),
        },
        verdict: None,
    });

    let dropped: Vec<usize> = uniq(
        p.warnings
            .iter()
            .filter(|w| w.code == "unknown-field")
            .map(|w| w.rule.unwrap_or(usize::MAX)),
    )
    .into_iter()
    .filter(|&r| r != usize::MAX)
    .collect();
    let any_dropped = p.warnings.iter().any(|w| w.code == "unknown-field");
    items.push(CheckItem {
        id: "no-dropped-keys".into(),
        title: "no keys silently dropped by kube-apiserver".into(),
        outcome: if any_dropped {
            Outcome::Warn
        } else {
            Outcome::Pass
        },
        rules: dropped,
        detail: if any_dropped {
            "unknown keys are dropped, which can widen a rule (see the unknown-field warnings)"
                .into()
        } else {
            "every key is one kube-apiserver knows".into()
        },
        verdict: None,
    });
    items
}

fn uniq(it: impl IntoIterator<Item = usize>) -> Vec<usize> {
    let mut v: Vec<usize> = it.into_iter().collect();
    v.sort_unstable();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::needs::IdentityKind;

    #[test]
    fn rule_lists_compress_runs_and_stop_after_a_dozen() {
        let all: Vec<usize> = (0..10_000).collect();
        let many: Vec<usize> = (0..100).map(|i| i * 2).collect();
        let cases: &[(&[usize], &str)] = &[
            (&[], ""),
            (&[3], "3"),
            (&[3, 4], "3, 4"),
            (&[1, 2, 3, 7], "1–3, 7"),
            (&[0, 2, 3, 4, 9, 10], "0, 2–4, 9, 10"),
            (&all, "0–9999"),
            (
                &many,
                "0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22 and 88 more",
            ),
        ];
        for (rules, want) in cases {
            assert_eq!(rule_list(rules), *want, "{rules:?}");
        }
    }
    use crate::audit::policy::{load_policy, LoadOptions};

    fn load(rules: &str) -> LoadedPolicy {
        let t = format!("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n{rules}");
        load_policy("t", &t, &LoadOptions::default()).unwrap()
    }

    fn codes(p: &LoadedPolicy) -> Vec<(String, Option<usize>)> {
        lint(p).into_iter().map(|d| (d.code, d.rule)).collect()
    }

    fn item(p: &LoadedPolicy, id: &str) -> CheckItem {
        security_checklist(p)
            .into_iter()
            .find(|c| c.id == id)
            .unwrap()
    }

    fn has(p: &LoadedPolicy, code: &str, rule: Option<usize>) -> bool {
        codes(p).contains(&(code.to_owned(), rule))
    }

    #[test]
    fn pattern_and_url_cover() {
        let cases = [
            ("*", "pods", true),
            ("pods/*", "pods", true),
            ("pods/*", "pods/log", true),
            ("pods/*", "podsx", false),
            ("*/log", "pods/log", true),
            ("*/log", "*/log", true),
            ("*/log", "pods", false),
            ("pods", "pods/log", false),
            ("pods/log", "pods/*", false),
        ];
        for (i, j, want) in cases {
            assert_eq!(pattern_covers(i, j), want, "{i} covers {j}");
        }
        assert!(url_covers("/healthz*", "/healthz"));
        assert!(url_covers("/healthz*", "/healthz/etcd*"));
        assert!(!url_covers("/healthz", "/healthz*"));
        assert!(!url_covers("/a*", "*"));
        assert!(url_covers("*", "*"));
    }

    #[test]
    fn good_policy_is_quiet() {
        let p = load(
            "- level: Metadata\n  resources: [{group: \"\", resources: [secrets, configmaps, serviceaccounts/token]}, {group: authentication.k8s.io, resources: [tokenreviews]}]\n- level: Request\n  resources: [{group: \"\", resources: [pods, pods/exec, pods/attach, pods/portforward, pods/ephemeralcontainers]}, {group: rbac.authorization.k8s.io}, {group: admissionregistration.k8s.io}]\n- level: Metadata\n",
        );
        assert_eq!(codes(&p), Vec::<(String, Option<usize>)>::new());
        assert!(
            security_checklist(&p)
                .iter()
                .all(|c| c.outcome == Outcome::Pass),
            "{:?}",
            security_checklist(&p)
        );
    }

    #[test]
    fn sensitive_bodies_found_even_for_specific_users() {
        let p = load("- level: RequestResponse\n  users: [admin]\n  resources: [{group: \"\", resources: [secrets]}]\n- level: Request\n");
        assert!(has(&p, "sensitive-body", Some(0)));
        assert!(has(&p, "sensitive-body", Some(1)));
        let item = item(&p, "secret-access");
        assert_eq!(item.outcome, Outcome::Warn);
        assert_eq!(item.rules, vec![0, 1]);
        // admin is a human: humans fail by rule 0 (and rule 1), the other kinds by rule 1.
        let v = item.verdict.unwrap();
        assert_eq!(v.failing(), IdentityKind::ALL.to_vec());
        assert_eq!(v.kinds[0].rules, vec![0, 1]);
        assert_eq!(v.kinds[1].rules, vec![1]);
    }

    #[test]
    fn exec_checks() {
        let p = load("- level: None\n  resources: [{group: \"\", resources: [pods/exec]}]\n- level: Metadata\n  omitStages: [ResponseStarted]\n");
        assert!(has(&p, "exec-not-recorded", Some(0)));
        assert!(has(&p, "exec-responsestarted-omitted", Some(1)));
        let c = item(&p, "exec-attach-visible");
        assert_eq!(c.outcome, Outcome::Warn);
        assert_eq!(c.rules, vec![0, 1]);
        assert!(
            c.detail.contains("`create pods/exec` in any namespace by any human is not recorded — rule 0 (level None)"),
            "{}",
            c.detail
        );
    }

    #[test]
    fn checklist_display() {
        let p = load("- level: Request\n  resources: [{group: \"\", resources: [pods/exec, pods/attach, pods/portforward, pods]}]\n- level: Metadata\n");
        let c = item(&p, "exec-attach-visible");
        assert_eq!(
            c.to_string(),
            "pods/exec, attach, portforward recorded with ResponseStarted: PASS (rule 0)"
        );
        let c = item(&p, "rbac-changes");
        assert_eq!(
            c.to_string(),
            "RBAC changes recorded with bodies: WARN for humans, service accounts, nodes, system components, anonymous (rule 1)"
        );
    }

    #[test]
    fn catch_all_and_shadowing() {
        let p = load("- level: None\n  users: [a]\n- level: Metadata\n  users: [a]\n  verbs: [get]\n- level: Metadata\n- level: Request\n");
        assert!(has(&p, "shadowed-rule", Some(1)));
        assert!(has(&p, "unreachable-after-catch-all", Some(3)));
        assert!(!has(&p, "no-catch-all", Some(3)));
        let p = load("- level: None\n  verbs: [get]\n");
        assert!(has(&p, "no-catch-all", Some(0)));
    }

    #[test]
    fn shadowing_is_never_claimed_wrongly() {
        let not: &[(&str, &str)] = &[
            ("users: [a]", "users: [a, b]"),
            ("verbs: [get]", "{}"),
            ("namespaces: [x]", "nonResourceURLs: [/x]"),
            ("nonResourceURLs: [/x]", "namespaces: [x]"),
            ("resources: [{group: apps}]", "resources: [{group: \"\"}]"),
            (
                "resources: [{resources: [pods]}]",
                "resources: [{resources: [pods/log]}]",
            ),
            (
                "resources: [{resources: [pods], resourceNames: [a]}]",
                "resources: [{resources: [pods]}]",
            ),
            (
                "resources: [{resources: [\"*\"], resourceNames: [a]}]",
                "resources: [{}]",
            ),
            (
                "nonResourceURLs: [/healthz]",
                "nonResourceURLs: [\"/healthz*\"]",
            ),
        ];
        for (i, j) in not {
            let ri = if i.starts_with('{') {
                String::new()
            } else {
                format!("  {i}\n")
            };
            let rj = if j.starts_with('{') {
                String::new()
            } else {
                format!("  {j}\n")
            };
            let p = load(&format!(
                "- level: None\n{ri}- level: Request\n{rj}- level: Metadata\n"
            ));
            assert!(!has(&p, "shadowed-rule", Some(1)), "{i} vs {j}");
        }
        let yes: &[(&str, &str)] = &[
            (
                "resources: [{resources: [\"pods/*\"]}]",
                "resources: [{resources: [pods, pods/log]}]",
            ),
            (
                "namespaces: [a, b]",
                "namespaces: [a]\n  resources: [{group: apps}]",
            ),
            (
                "nonResourceURLs: [\"/healthz*\"]",
                "nonResourceURLs: [/healthz, /healthzfoo]",
            ),
            ("userGroups: [g1, g2]", "userGroups: [g1]"),
        ];
        for (i, j) in yes {
            let p = load(&format!(
                "- level: None\n  {i}\n- level: Request\n  {j}\n- level: Metadata\n"
            ));
            assert!(has(&p, "shadowed-rule", Some(1)), "{i} vs {j}");
        }
    }

    #[test]
    fn request_received_and_pod_bodies() {
        let t = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  verbs: [watch]\n- level: Metadata\n";
        let p = load_policy("t", t, &LoadOptions::default()).unwrap();
        assert!(has(&p, "request-received", Some(1)));
        assert!(has(&p, "pod-body-missing", Some(1)));
    }

    #[test]
    fn wrong_groups() {
        let p = load("- level: Request\n  resources: [{group: \"\", resources: [pods, deployments]}, {group: core, resources: [pods]}]\n- level: Metadata\n");
        assert!(has(&p, "wrong-group-for-resource", Some(0)));
        assert!(has(&p, "suspicious-group", Some(0)));
    }
}
