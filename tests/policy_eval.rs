//! The evaluator against kube-apiserver's semantics (pkg/audit/policy/checker.go).
//!
//! `checker_table` restates the facts of kube-apiserver's checker_test.go table (same
//! requests, same rules, same expected levels) in our own terms; the other tables cover
//! each matching rule of checker.go, including the surprising ones.
#![cfg(not(target_arch = "wasm32"))]

use audit_lens::audit::eval::{CompiledPolicy, Decision};
use audit_lens::audit::policy::{
    load_policy, GroupResources, KubeVersion, LoadOptions, Policy, PolicyRule,
};
use audit_lens::audit::{Level, RequestAttrs, Stage, StageSet};

const TIM_GROUPS: &[&str] = &["humans", "developers"];

/// The requests of checker_test.go.
fn request(name: &str) -> RequestAttrs<'static> {
    let base = RequestAttrs {
        user: "tim@k8s.io",
        groups: TIM_GROUPS,
        verb: "get",
        ..Default::default()
    };
    match name {
        "namespaced" => RequestAttrs {
            resource_request: true,
            namespace: "default",
            resource: "pods",
            name: "busybox",
            path: "/api/v1/namespaces/default/pods/busybox",
            ..base
        },
        "cluster" => RequestAttrs {
            resource_request: true,
            api_group: "rbac.authorization.k8s.io",
            resource: "clusterroles",
            name: "edit",
            path: "/apis/rbac.authorization.k8s.io/v1beta1/clusterroles/edit",
            ..base
        },
        "nonResource" => RequestAttrs {
            path: "/logs/kubelet.log",
            ..base
        },
        "subresource" => RequestAttrs {
            resource_request: true,
            namespace: "default",
            resource: "pods",
            subresource: "log",
            name: "busybox",
            ..base
        },
        // No user at all.
        "Unauthorized" => RequestAttrs {
            user: "",
            groups: &[],
            resource_request: true,
            namespace: "default",
            resource: "pods",
            name: "busybox",
            ..base
        },
        _ => panic!("unknown request {name}"),
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn core(resources: &[&str]) -> Vec<GroupResources> {
    vec![GroupResources {
        group: String::new(),
        resources: strings(resources),
        resource_names: vec![],
    }]
}

/// The rules of checker_test.go.
fn rule(name: &str) -> PolicyRule {
    let r = |level| PolicyRule::new(level);
    match name {
        "default" => r(Level::Metadata),
        "create" => PolicyRule {
            verbs: strings(&["create"]),
            ..r(Level::Request)
        },
        "tims" => PolicyRule {
            users: strings(&["tim@k8s.io"]),
            ..r(Level::Metadata)
        },
        "humans" => PolicyRule {
            user_groups: strings(&["humans"]),
            ..r(Level::Metadata)
        },
        "serviceAccounts" => PolicyRule {
            user_groups: strings(&["system:serviceaccounts"]),
            ..r(Level::Request)
        },
        "getPods" => PolicyRule {
            verbs: strings(&["get"]),
            resources: core(&["pods"]),
            ..r(Level::RequestResponse)
        },
        "getPodLogs" => PolicyRule {
            verbs: strings(&["get"]),
            resources: core(&["pods/log"]),
            ..r(Level::Request)
        },
        "getPodWildcardMatching" => PolicyRule {
            verbs: strings(&["get"]),
            resources: core(&["*"]),
            ..r(Level::Request)
        },
        "getPodResourceWildcardMatching" => PolicyRule {
            verbs: strings(&["get"]),
            resources: core(&["*/log"]),
            ..r(Level::Request)
        },
        "getPodSubResourceWildcardMatching" => PolicyRule {
            verbs: strings(&["get"]),
            resources: core(&["pods/*"]),
            ..r(Level::Request)
        },
        "getClusterRoles" => PolicyRule {
            verbs: strings(&["get"]),
            resources: vec![GroupResources {
                group: "rbac.authorization.k8s.io".into(),
                resources: strings(&["clusterroles"]),
                resource_names: vec![],
            }],
            namespaces: strings(&[""]),
            ..r(Level::RequestResponse)
        },
        "getLogs" => PolicyRule {
            verbs: strings(&["get"]),
            non_resource_urls: strings(&["/logs*"]),
            ..r(Level::RequestResponse)
        },
        "getMetrics" => PolicyRule {
            verbs: strings(&["get"]),
            non_resource_urls: strings(&["/metrics"]),
            ..r(Level::Request)
        },
        "clusterRoleEdit" => PolicyRule {
            resources: vec![GroupResources {
                group: "rbac.authorization.k8s.io".into(),
                resources: strings(&["clusterroles"]),
                resource_names: strings(&["edit"]),
            }],
            ..r(Level::Request)
        },
        "omit RequestReceived" => PolicyRule {
            omit_stages: vec![Stage::RequestReceived],
            ..r(Level::Request)
        },
        "only audit panic" => PolicyRule {
            omit_stages: vec![
                Stage::RequestReceived,
                Stage::ResponseStarted,
                Stage::ResponseComplete,
            ],
            ..r(Level::Request)
        },
        _ => panic!("unknown rule {name}"),
    }
}

fn decide(req: &str, policy_stages: &[Stage], rules: &[&str]) -> Decision {
    let mut p = Policy::new(rules.iter().map(|r| rule(r)).collect());
    p.omit_stages = policy_stages.to_vec();
    CompiledPolicy::new(&p, KubeVersion::default()).evaluate(&request(req))
}

fn stages(s: &[Stage]) -> StageSet {
    let mut set = StageSet::default();
    for x in s {
        set.insert(*x);
    }
    set
}

use Level::{Metadata as M, None as N, Request as Rq, RequestResponse as RR};

/// (request, expected level, rules in order) — testAuditLevel of checker_test.go.
const CHECKER_TABLE: &[(&str, Level, &[&str])] = &[
    ("namespaced", M, &["default"]),
    ("namespaced", N, &["create"]),
    ("namespaced", M, &["tims"]),
    ("namespaced", M, &["humans"]),
    ("namespaced", N, &["serviceAccounts"]),
    ("namespaced", RR, &["getPods"]),
    ("namespaced", N, &["getClusterRoles"]),
    ("namespaced", N, &["getLogs"]),
    ("namespaced", N, &["getMetrics"]),
    (
        "namespaced",
        M,
        &["getMetrics", "serviceAccounts", "default"],
    ),
    ("namespaced", RR, &["getMetrics", "getPods", "default"]),
    ("namespaced", RR, &["getPodLogs", "getPods"]),
    ("cluster", M, &["default"]),
    ("cluster", N, &["create"]),
    ("cluster", M, &["tims"]),
    ("cluster", M, &["humans"]),
    ("cluster", N, &["serviceAccounts"]),
    ("cluster", N, &["getPods"]),
    ("cluster", RR, &["getClusterRoles"]),
    ("cluster", Rq, &["clusterRoleEdit", "getClusterRoles"]),
    ("cluster", N, &["getLogs"]),
    ("cluster", N, &["getMetrics"]),
    ("cluster", M, &["getMetrics", "serviceAccounts", "default"]),
    ("cluster", RR, &["getMetrics", "getClusterRoles", "default"]),
    ("cluster", N, &["getPodLogs", "getPods"]),
    ("nonResource", M, &["default"]),
    ("nonResource", N, &["create"]),
    ("nonResource", M, &["tims"]),
    ("nonResource", M, &["humans"]),
    ("nonResource", N, &["serviceAccounts"]),
    ("nonResource", N, &["getPods"]),
    ("nonResource", N, &["getClusterRoles"]),
    ("nonResource", RR, &["getLogs"]),
    ("nonResource", N, &["getMetrics"]),
    (
        "nonResource",
        M,
        &["getMetrics", "serviceAccounts", "default"],
    ),
    (
        "nonResource",
        RR,
        &["getLogs", "getClusterRoles", "default"],
    ),
    ("nonResource", N, &["getPodLogs", "getPods"]),
    ("subresource", Rq, &["getPodLogs", "getPods"]),
    ("subresource", Rq, &["getPodWildcardMatching"]),
    ("subresource", Rq, &["getPodResourceWildcardMatching"]),
    ("subresource", Rq, &["getPodSubResourceWildcardMatching"]),
    ("Unauthorized", N, &["tims"]),
    ("Unauthorized", M, &["tims", "default"]),
    ("Unauthorized", N, &["humans"]),
    ("Unauthorized", M, &["humans", "default"]),
];

#[test]
fn checker_table() {
    // TestChecker runs the table with no policy stages, TestCheckerPolicyOmitStages with
    // RequestReceived+ResponseStarted: the level is the same and the stages are the policy's.
    for policy_stages in [
        &[][..],
        &[Stage::RequestReceived, Stage::ResponseStarted][..],
    ] {
        for (req, level, rules) in CHECKER_TABLE {
            let d = decide(req, policy_stages, rules);
            assert_eq!(d.level, *level, "{req} with {rules:?}");
            assert_eq!(d.omit_stages, stages(policy_stages), "{req} with {rules:?}");
            assert_eq!(
                d.rule.is_none(),
                *level == N && !rules.contains(&"default"),
                "{req} with {rules:?}"
            );
        }
    }
}

#[test]
fn checker_omit_stages_union() {
    use Stage::*;
    /// (request, policy omitStages, expected level, expected omitStages, rules)
    type Case<'a> = (&'a str, &'a [Stage], Level, &'a [Stage], &'a [&'a str]);
    let cases: &[Case] = &[
        (
            "namespaced",
            &[],
            Rq,
            &[RequestReceived],
            &["omit RequestReceived", "getPods", "default"],
        ),
        (
            "namespaced",
            &[],
            Rq,
            &[RequestReceived, ResponseStarted, ResponseComplete],
            &["only audit panic", "getPods", "default"],
        ),
        (
            "cluster",
            &[],
            Rq,
            &[RequestReceived],
            &["omit RequestReceived", "getPods", "default"],
        ),
        (
            "nonResource",
            &[],
            Rq,
            &[RequestReceived, ResponseStarted, ResponseComplete],
            &["only audit panic", "getPods", "default"],
        ),
        (
            "namespaced",
            &[RequestReceived, ResponseStarted],
            Rq,
            &[RequestReceived, ResponseStarted],
            &["omit RequestReceived", "getPods", "default"],
        ),
        (
            "cluster",
            &[RequestReceived, ResponseStarted],
            Rq,
            &[RequestReceived, ResponseStarted, ResponseComplete],
            &["only audit panic", "getPods", "default"],
        ),
        (
            "nonResource",
            &[RequestReceived, ResponseStarted],
            M,
            &[RequestReceived, ResponseStarted],
            &["default", "omit RequestReceived", "getPods"],
        ),
    ];
    for (req, pstages, level, want, rules) in cases {
        let d = decide(req, pstages, rules);
        assert_eq!(
            (d.level, d.omit_stages),
            (*level, stages(want)),
            "{req} {rules:?}"
        );
    }
}

#[test]
fn checker_omit_managed_fields() {
    // TestOmitManagedFields: (policy default, rule override, expected).
    let cases = [
        (false, None, false),
        (true, None, true),
        (true, Some(false), false),
        (false, Some(true), true),
    ];
    for (global, rule_value, want) in cases {
        let mut p = Policy::new(vec![PolicyRule {
            verbs: strings(&["get"]),
            omit_managed_fields: rule_value,
            ..PolicyRule::new(RR)
        }]);
        p.omit_managed_fields = global;
        let c = CompiledPolicy::new(&p, KubeVersion::default());
        let d = c.evaluate(&RequestAttrs {
            verb: "get",
            ..Default::default()
        });
        assert_eq!(d.omit_managed_fields, want, "{global} {rule_value:?}");
        // No match: the policy's own value.
        assert_eq!(
            c.evaluate(&RequestAttrs {
                verb: "list",
                ..Default::default()
            })
            .omit_managed_fields,
            global
        );
    }
}

fn yaml_policy(rules: &str, kube: KubeVersion) -> CompiledPolicy {
    let text = format!("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n{rules}");
    let opts = LoadOptions {
        kube_version: kube,
        ..LoadOptions::default()
    };
    load_policy("t", &text, &opts)
        .unwrap_or_else(|e| panic!("{e}"))
        .compiled
}

fn res<'a>(
    group: &'a str,
    resource: &'a str,
    sub: &'a str,
    ns: &'a str,
    name: &'a str,
) -> RequestAttrs<'a> {
    RequestAttrs {
        user: "u",
        groups: &["g"],
        verb: "get",
        resource_request: true,
        api_group: group,
        resource,
        subresource: sub,
        namespace: ns,
        name,
        path: "",
    }
}

fn url(path: &str) -> RequestAttrs<'_> {
    RequestAttrs {
        user: "u",
        groups: &["g"],
        verb: "get",
        path,
        ..Default::default()
    }
}

#[test]
fn matching_rules_table() {
    let k = KubeVersion::default();
    // (one rule as YAML, request, matches?)
    let cases: Vec<(&str, RequestAttrs, bool)> = vec![
        // users: exact name; userGroups: any of the groups.
        ("- level: Metadata\n  users: [u]\n", url("/x"), true),
        ("- level: Metadata\n  users: [U]\n", url("/x"), false),
        ("- level: Metadata\n  userGroups: [a, g]\n", url("/x"), true),
        ("- level: Metadata\n  userGroups: [a]\n", url("/x"), false),
        ("- level: Metadata\n  verbs: [list]\n", url("/x"), false),
        // nonResourceURLs: only non-resource requests; *, exact, trailing-* string prefix.
        ("- level: Metadata\n  nonResourceURLs: [\"*\"]\n", url("/anything"), true),
        ("- level: Metadata\n  nonResourceURLs: [\"*\"]\n", res("", "pods", "", "default", "x"), false),
        ("- level: Metadata\n  nonResourceURLs: [/healthz]\n", url("/healthz"), true),
        ("- level: Metadata\n  nonResourceURLs: [/healthz]\n", url("/healthz/etcd"), false),
        ("- level: Metadata\n  nonResourceURLs: [\"/healthz*\"]\n", url("/healthzfoo"), true),
        ("- level: Metadata\n  nonResourceURLs: [\"/healthz*\"]\n", url("/healthz/ready"), true),
        ("- level: Metadata\n  nonResourceURLs: [\"/healthz/*\"]\n", url("/healthz"), false),
        // resources: only resource requests.
        ("- level: Metadata\n  resources: [{group: \"\"}]\n", url("/api"), false),
        ("- level: Metadata\n  namespaces: [default]\n", url("/api"), false),
        // namespaces alone: every resource in them; "" = cluster-scoped.
        ("- level: Metadata\n  namespaces: [default]\n", res("apps", "deployments", "", "default", "x"), true),
        ("- level: Metadata\n  namespaces: [\"\"]\n", res("", "nodes", "", "", "n1"), true),
        ("- level: Metadata\n  namespaces: [\"\"]\n", res("", "pods", "", "default", "x"), false),
        // group equality; "" is core; empty resources = the whole group.
        ("- level: Metadata\n  resources: [{group: \"\"}]\n", res("", "pods", "exec", "default", "x"), true),
        ("- level: Metadata\n  resources: [{group: \"\"}]\n", res("apps", "deployments", "", "default", "x"), false),
        ("- level: Metadata\n  resources: [{group: apps, resources: [deployments]}]\n", res("apps", "deployments", "", "default", "x"), true),
        ("- level: Metadata\n  resources: [{resources: [deployments]}]\n", res("apps", "deployments", "", "default", "x"), false),
        // resource forms.
        ("- level: Metadata\n  resources: [{resources: [pods]}]\n", res("", "pods", "log", "default", "x"), false),
        ("- level: Metadata\n  resources: [{resources: [pods/log]}]\n", res("", "pods", "log", "default", "x"), true),
        ("- level: Metadata\n  resources: [{resources: [\"*\"]}]\n", res("", "pods", "log", "default", "x"), true),
        ("- level: Metadata\n  resources: [{resources: [\"*/log\"]}]\n", res("", "pods", "log", "default", "x"), true),
        ("- level: Metadata\n  resources: [{resources: [\"*/log\"]}]\n", res("", "pods", "", "default", "x"), false),
        ("- level: Metadata\n  resources: [{resources: [\"pods/*\"]}]\n", res("", "pods", "exec", "default", "x"), true),
        // `res/*` also matches the bare resource (checker.go compares the resource alone).
        ("- level: Metadata\n  resources: [{resources: [\"pods/*\"]}]\n", res("", "pods", "", "default", "x"), true),
        // resourceNames restrict by object name (a list has no name: no match).
        ("- level: Metadata\n  resources: [{resources: [configmaps], resourceNames: [leader]}]\n", res("", "configmaps", "", "kube-system", "leader"), true),
        ("- level: Metadata\n  resources: [{resources: [configmaps], resourceNames: [leader]}]\n", res("", "configmaps", "", "kube-system", "other"), false),
        ("- level: Metadata\n  resources: [{resources: [configmaps], resourceNames: [leader]}]\n", res("", "configmaps", "", "kube-system", ""), false),
        // resourceNames apply to every entry's own resources only.
        ("- level: Metadata\n  resources: [{resources: [secrets], resourceNames: [a]}, {resources: [secrets]}]\n", res("", "secrets", "", "x", "b"), true),
        // group "*" is not a wildcard before 1.36 (and does not even validate there).
        // A verbs-only rule matches both kinds of request.
        ("- level: Metadata\n  verbs: [get]\n", url("/x"), true),
        ("- level: Metadata\n  verbs: [get]\n", res("", "pods", "", "default", "x"), true),
    ];
    for (rules, a, want) in cases {
        let c = yaml_policy(rules, k);
        assert_eq!(c.evaluate(&a).rule.is_some(), want, "{rules} with {a:?}");
        assert_eq!(c.matches_rule(0, &a), want);
    }
}

#[test]
fn group_wildcard_from_136() {
    let v136 = KubeVersion {
        major: 1,
        minor: 36,
    };
    let c = yaml_policy("- level: None\n  resources: [{group: \"*\", resources: [\"*/status\"]}]\n- level: Metadata\n", v136);
    assert_eq!(
        c.evaluate(&res("apps", "deployments", "status", "d", "x"))
            .rule,
        Some(0)
    );
    assert_eq!(
        c.evaluate(&res("", "pods", "status", "d", "x")).rule,
        Some(0)
    );
    assert_eq!(c.evaluate(&res("", "pods", "", "d", "x")).rule, Some(1));
    let text = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  resources: [{group: \"*\"}]\n";
    let v135 = LoadOptions {
        kube_version: KubeVersion {
            major: 1,
            minor: 35,
        },
        ..LoadOptions::default()
    };
    let e = load_policy("t", text, &v135).unwrap_err();
    assert!(
        e.diagnostics[0]
            .message
            .contains("needs Kubernetes 1.36 or newer"),
        "{e}"
    );
    // The default is the newest Kubernetes the evaluator knows, which accepts it.
    assert!(load_policy("t", text, &LoadOptions::default()).is_ok());
}

#[test]
fn first_match_wins_and_shadowing_is_visible() {
    let c = yaml_policy("- level: None\n  users: [u]\n- level: RequestResponse\n  verbs: [get]\n- level: Metadata\n", KubeVersion::default());
    let a = url("/x");
    let d = c.evaluate(&a);
    assert_eq!((d.level, d.rule), (N, Some(0)));
    assert!(c.matches_rule(1, &a) && c.matches_rule(2, &a));
    assert_eq!(c.rule_count(), 3);
    assert_eq!(c.rule_level(1), RR);
    assert!(!c.matches_rule(7, &a));
}

#[test]
fn re_evaluating_a_big_tuple_set_is_fast() {
    // 40 rules shaped like the GCE policy, 100k distinct tuples: far under a second.
    let mut rules = String::new();
    for i in 0..39 {
        rules.push_str(&format!("- level: Request\n  users: [\"user-{i}\"]\n  verbs: [create, update]\n  resources: [{{group: \"g{i}.example.com\", resources: [\"r{i}\", \"r{i}/status\"]}}]\n"));
    }
    rules.push_str("- level: Metadata\n");
    let c = yaml_policy(&rules, KubeVersion::default());
    let names: Vec<String> = (0..100_000).map(|i| format!("obj-{i}")).collect();
    let start = std::time::Instant::now();
    let mut metadata = 0;
    for n in &names {
        let a = RequestAttrs {
            user: "user-7",
            groups: &["system:authenticated"],
            verb: "get",
            resource_request: true,
            api_group: "g7.example.com",
            resource: "r7",
            namespace: "ns",
            name: n,
            ..Default::default()
        };
        if c.evaluate(&a).level == M {
            metadata += 1;
        }
    }
    assert_eq!(metadata, names.len());
    assert!(start.elapsed().as_millis() < 1000, "{:?}", start.elapsed());
}
