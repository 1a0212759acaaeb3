//! The security checklist per kind of identity (issue 13 §4), on the corpus policies and on
//! the probe policy, each verdict against a hand-worked reading of the policy
//! (the rule that decides it is named in the comment), and the body-leak table.
//!
//! Rule numbers are 0-based, as the checklist and the editor show them.

mod common;

use audit_lens::audit::lint::{lint, security_checklist, CheckItem, Outcome};
use audit_lens::audit::needs::{
    body_leak, check_need, identity_kind, security_needs, IdentityKind, NeedVerdict,
};
use audit_lens::audit::policy::{load_policy, LoadOptions, LoadedPolicy};
use audit_lens::audit::Level;
use common::corpus;

use IdentityKind::*;

fn corpus_policy(name: &str) -> Option<LoadedPolicy> {
    let dir = corpus()?.join("policies");
    let text = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let opts = LoadOptions {
        accept_old_versions: true,
        ..LoadOptions::default()
    };
    Some(load_policy(name, &text, &opts).unwrap_or_else(|e| panic!("{name}: {e:?}")))
}

fn policy(rules: &str) -> LoadedPolicy {
    let t = format!(
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n{rules}"
    );
    load_policy("t", &t, &LoadOptions::default()).unwrap()
}

fn item(p: &LoadedPolicy, id: &str) -> CheckItem {
    security_checklist(p)
        .into_iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id}"))
}

fn verdict(p: &LoadedPolicy, id: &str) -> NeedVerdict {
    item(p, id).verdict.expect("a per-identity check")
}

/// Asserts a need's verdict: the failing kinds, the rules deciding the failures (or, when
/// it passes, the rules that record the requests).
fn check(p: &LoadedPolicy, id: &str, failing: &[IdentityKind], rules: &[usize]) {
    let v = verdict(p, id);
    assert_eq!(v.failing(), failing, "{id}: failing kinds: {v:#?}");
    assert_eq!(v.rules, rules, "{id}: rules");
    assert_eq!(v.ok, failing.is_empty(), "{id}");
    let c = item(p, id);
    assert_eq!(c.outcome == Outcome::Pass, failing.is_empty(), "{id}");
    for k in &v.kinds {
        // A failing kind shows at least one failing request with its rule, a passing one none.
        assert_eq!(k.ok, k.failures.is_empty(), "{id} {k:?}");
        assert!(k.failed >= k.failures.len() && k.checked >= k.failed);
    }
}

fn sensitive_rules(p: &LoadedPolicy) -> Vec<Option<usize>> {
    lint(p)
        .into_iter()
        .filter(|d| d.code == "sensitive-body")
        .map(|d| d.rule)
        .collect()
}

const ALL: &[IdentityKind] = &[Human, ServiceAccount, Node, System, Anonymous];

#[test]
fn identity_kinds_from_kubernetes_names() {
    // apiserver pkg/authentication/user/user.go, serviceaccount/util.go,
    // kubernetes pkg/auth/nodeidentifier/default.go.
    let cases: &[(&str, &[&str], IdentityKind)] = &[
        ("system:anonymous", &["system:unauthenticated"], Anonymous),
        ("system:anonymous", &[], Anonymous),
        ("someone", &["system:unauthenticated"], Anonymous),
        (
            "system:serviceaccount:kube-system:default",
            &["system:serviceaccounts", "system:authenticated"],
            ServiceAccount,
        ),
        ("system:serviceaccount:ns:name", &[], ServiceAccount),
        ("sa-by-group", &["system:serviceaccounts"], ServiceAccount),
        ("system:node:ip-10-0-0-1", &["system:nodes"], Node),
        ("system:node:n1", &[], Node),
        ("x509-node", &["system:nodes"], Node),
        ("system:kube-controller-manager", &[], System),
        ("system:kube-scheduler", &[], System),
        ("system:kube-proxy", &[], System),
        ("system:apiserver", &["system:masters"], System),
        ("system:admin", &[], System),
        ("kubernetes-admin", &["system:masters"], Human),
        ("alice@example.com", &["system:authenticated"], Human),
        ("kubelet", &[], Human),
    ];
    for (u, g, want) in cases {
        assert_eq!(identity_kind(u, g), *want, "{u} {g:?}");
    }
    assert_eq!(IdentityKind::ALL.len(), 5);
    assert_eq!(ServiceAccount.as_str(), "service accounts");
    assert_eq!(System.as_str(), "system components");
}

#[test]
fn body_leak_table() {
    // handlers/create.go, update.go, patch.go log the request object at Request;
    // get.go logs none; delete.go logs DeleteOptions; watch.go never logs a response.
    let l = |g, r, s, v, level| body_leak(g, r, s, v, level).is_some();
    use Level::*;
    for v in ["create", "update", "patch"] {
        assert!(l("", "secrets", "", v, Request), "{v}");
        assert!(!l("", "secrets", "", v, Metadata), "{v}");
    }
    for v in ["get", "list"] {
        assert!(!l("", "secrets", "", v, Request), "{v}: no request body");
        assert!(
            l("", "secrets", "", v, RequestResponse),
            "{v}: the response"
        );
    }
    assert!(!l("", "secrets", "", "watch", RequestResponse), "watch.go");
    // A secret delete answers a Status (no ReturnDeletedObject in the secrets store)...
    assert!(!l("", "secrets", "", "delete", RequestResponse));
    assert!(!l("", "secrets", "", "delete", Request));
    // ... a deletecollection the deleted list (store.go DeleteCollection).
    assert!(!l("", "secrets", "", "deletecollection", Request));
    assert!(l("", "secrets", "", "deletecollection", RequestResponse));
    // TokenRequest: spec in the request, status.token in the response (token.go).
    assert!(!l("", "serviceaccounts", "token", "create", Request));
    assert!(l("", "serviceaccounts", "token", "create", RequestResponse));
    // TokenReview: spec.token is in the request.
    assert!(l(
        "authentication.k8s.io",
        "tokenreviews",
        "",
        "create",
        Request
    ));
    // ConfigMaps are not secrets.
    assert!(!l("", "configmaps", "", "create", RequestResponse));
}

/// GCE's configure-helper policy (cluster/gce/gci/configure-helper.sh).
#[test]
fn gce_policy_per_identity() {
    let Some(p) = corpus_policy("kubernetes-gce-configure-helper-audit-policy.yaml") else {
        return;
    };
    assert_eq!(p.rule_count(), 17);
    // False warning before: rule 12 (namespace-controller's deletecollection at Request)
    // was "sensitive". A deletecollection's request body is DeleteOptions (delete.go), and
    // Request does not log the response: nothing secret is written.
    assert_eq!(sensitive_rules(&p), Vec::<Option<usize>>::new());
    // exec: gets hit rule 14 (get/list/watch of the core group at Request), creates rule
    // 15 (RequestResponse); both omit only RequestReceived.
    check(&p, "exec-attach-visible", &[], &[14, 15]);
    // secrets: rule 13 (Metadata) for everyone, except namespace-controller's
    // deletecollection, which rule 12 takes at Request — DeleteOptions only.
    check(&p, "secret-access", &[], &[12, 13]);
    // pod writes: rule 15 (RequestResponse for the core group); rules 10, 11 only take
    // pods/status.
    check(&p, "pod-writes-with-body", &[], &[15]);
    // RBAC writes and deletes: rule 15 (rbac.authorization.k8s.io at RequestResponse).
    check(&p, "rbac-changes", &[], &[15]);
    check(&p, "webhook-changes", &[], &[15]);
    // Anonymous: rule 8 drops /healthz*, /version, /swagger* for everyone, rule 9 drops
    // every events request.
    check(&p, "anonymous-recorded", &[Anonymous], &[8, 9]);
    let v = verdict(&p, "anonymous-recorded");
    assert!(v.kinds[0]
        .failures
        .iter()
        .any(|f| f.resource == "/version" && f.rule == Some(8) && f.user == "system:anonymous"));
    // TokenRequests and TokenReviews: rule 13, Metadata.
    check(&p, "token-bodies", &[], &[13]);
}

/// The kubernetes.io example (content/en/examples/audit/audit-policy.yaml).
#[test]
fn kubernetes_io_policy_per_identity() {
    let Some(p) = corpus_policy("kubernetes-website-examples-audit-policy.yaml") else {
        return;
    };
    assert_eq!(p.rule_count(), 9);
    // False warnings before: rule 5 (configmaps in kube-system at Request: ConfigMaps are
    // not secrets) and rule 7 (the core group at Request, which takes
    // serviceaccounts/token: a TokenRequest's request is its spec; the token is in the
    // response, token.go).
    assert_eq!(sensitive_rules(&p), Vec::<Option<usize>>::new());
    // exec/attach/portforward: rule 7 (core group at Request, RequestReceived omitted).
    check(&p, "exec-attach-visible", &[], &[7]);
    // secrets: rule 6, Metadata.
    check(&p, "secret-access", &[], &[6]);
    // pods: rule 0 (RequestResponse); pods/ephemeralcontainers: rule 7 (Request).
    check(&p, "pod-writes-with-body", &[], &[0, 7]);
    // RBAC and webhook configurations fall to the catch-all, rule 8, at Metadata: no body.
    check(&p, "rbac-changes", ALL, &[8]);
    check(&p, "webhook-changes", ALL, &[8]);
    // Anonymous: rule 4 drops /api*, /version only for system:authenticated, so anonymous
    // requests there are recorded; but rule 2 drops everyone's requests on the configmap
    // controller-leader.
    check(&p, "anonymous-recorded", &[Anonymous], &[2]);
    let v = verdict(&p, "anonymous-recorded");
    assert!(v.kinds[0]
        .failures
        .iter()
        .all(|f| f.resource == "configmaps" && f.name == "controller-leader"));
    // TokenRequest at Request (rule 7: no token), TokenReview at Metadata (rule 8).
    check(&p, "token-bodies", &[], &[7, 8]);
}

/// Falco's example policy and the k8saudit plugin's: the same rules.
#[test]
fn falco_policies_per_identity() {
    for name in [
        "falco-examples-k8s_audit_config-audit-policy.yaml",
        "falcosecurity-plugins-k8saudit-audit-policy.yaml",
    ] {
        let Some(p) = corpus_policy(name) else { return };
        assert_eq!(p.rule_count(), 11, "{name}");
        // Rule 7 records configmaps at RequestResponse: what Falco's credential-in-
        // ConfigMap rule reads, not a leak.
        assert_eq!(sensitive_rules(&p), Vec::<Option<usize>>::new(), "{name}");
        // exec: rule 9 (core group at Request).
        check(&p, "exec-attach-visible", &[], &[9]);
        // secrets: rule 8, Metadata.
        check(&p, "secret-access", &[], &[8]);
        // pods: rule 0 (RequestResponse); ephemeral containers: rule 9.
        check(&p, "pod-writes-with-body", &[], &[0, 9]);
        // Rule 1 records clusterroles and clusterrolebindings at RequestResponse, but roles
        // and rolebindings fall to the catch-all, rule 10, at Metadata: everyone fails.
        check(&p, "rbac-changes", ALL, &[10]);
        let v = verdict(&p, "rbac-changes");
        assert!(v
            .kinds
            .iter()
            .flat_map(|k| &k.failures)
            .all(|f| f.resource.starts_with("roles.") || f.resource.starts_with("rolebindings.")));
        check(&p, "webhook-changes", ALL, &[10]);
        // Rule 3 drops everyone's requests on the configmap controller-leader.
        check(&p, "anonymous-recorded", &[Anonymous], &[3]);
        check(&p, "token-bodies", &[], &[9, 10]);
    }
}

/// OpenShift's default policy (library-go pkg/operator/apiserver/audit).
#[test]
fn openshift_default_per_identity() {
    let Some(p) = corpus_policy("openshift-library-go-default.yaml") else {
        return;
    };
    assert_eq!(p.rule_count(), 4);
    assert_eq!(sensitive_rules(&p), Vec::<Option<usize>>::new());
    // Everything but rules 0-2 falls to the catch-all, rule 3, at Metadata.
    check(&p, "exec-attach-visible", &[], &[3]);
    check(&p, "secret-access", &[], &[3]);
    check(&p, "pod-writes-with-body", ALL, &[3]);
    check(&p, "rbac-changes", ALL, &[3]);
    check(&p, "webhook-changes", ALL, &[3]);
    check(&p, "token-bodies", &[], &[3]);
    // Rule 0 drops /api*, /version, /healthz, /readyz, /livez for system:authenticated and
    // system:unauthenticated: anonymous requests there go unrecorded.
    check(&p, "anonymous-recorded", &[Anonymous], &[0]);
    let v = verdict(&p, "anonymous-recorded");
    let urls: Vec<&str> = v.kinds[0]
        .failures
        .iter()
        .map(|f| f.resource.as_str())
        .collect();
    assert!(
        urls.contains(&"/api") && urls.contains(&"/version"),
        "{urls:?}"
    );
}

/// The probe: a policy that drops all service-account traffic and every secret
/// read. The old checklist probed with one authenticated user and passed "exec recorded"
/// and "pod create recorded" for it.
#[test]
fn probe_policy_fails_the_right_checks() {
    let p = policy(concat!(
        "- level: None\n  userGroups: [\"system:serviceaccounts\"]\n",
        "- level: None\n  verbs: [get, list, watch]\n  resources: [{group: \"\", resources: [secrets]}]\n",
        "- level: Metadata\n  resources: [{group: \"\", resources: [secrets, configmaps]}]\n",
        "- level: Request\n  resources: [{group: \"\"}, {group: rbac.authorization.k8s.io}, {group: admissionregistration.k8s.io}]\n",
        "- level: Metadata\n",
    ));
    // Secrets: service accounts lose everything to rule 0; every other kind loses its reads
    // to rule 1.
    check(&p, "secret-access", ALL, &[0, 1]);
    let v = verdict(&p, "secret-access");
    for k in &v.kinds {
        let want: &[usize] = if k.kind == ServiceAccount { &[0] } else { &[1] };
        assert_eq!(k.rules, want, "{:?}", k.kind);
        if k.kind == ServiceAccount {
            // Writes too: 8 verbs, all failing.
            assert!(k.failures.iter().any(|f| f.verb == "create"));
            assert_eq!(k.failed, k.checked);
        } else {
            assert!(k
                .failures
                .iter()
                .all(|f| matches!(f.verb.as_str(), "get" | "list" | "watch")));
        }
    }
    let sa = &v.kinds[1].failures[0];
    assert_eq!(sa.level, Level::None);
    assert!(sa.user.starts_with("system:serviceaccount:"), "{sa:?}");
    assert!(
        sa.why.contains("is not recorded — rule 0 (level None)"),
        "{}",
        sa.why
    );
    // exec and pod writes: only service accounts fail (rule 0); the rest is rule 3.
    check(&p, "exec-attach-visible", &[ServiceAccount], &[0]);
    check(&p, "pod-writes-with-body", &[ServiceAccount], &[0]);
    check(&p, "rbac-changes", &[ServiceAccount], &[0]);
    check(&p, "webhook-changes", &[ServiceAccount], &[0]);
    // Anonymous requests reach the catch-all (secret reads aside: rule 1).
    check(&p, "anonymous-recorded", &[Anonymous], &[1]);
    // The lint warnings say the same about exec and pods.
    let l = lint(&p);
    assert!(l.iter().any(|d| d.code == "exec-not-recorded"
        && d.rule == Some(0)
        && d.message.starts_with("service accounts:")));
    assert!(l
        .iter()
        .any(|d| d.code == "pod-body-missing" && d.rule == Some(0)));
}

/// Users and groups named in rules are witnesses of their kind: a rule aimed at one
/// service account's namespace, or at one group of people, is found.
#[test]
fn named_users_and_groups_are_witnesses() {
    let p = policy(concat!(
        "- level: None\n  userGroups: [\"system:serviceaccounts:ci\"]\n  resources: [{group: \"\", resources: [pods/exec]}]\n",
        "- level: None\n  userGroups: [oncall]\n  verbs: [get]\n  resources: [{group: \"\", resources: [secrets]}]\n",
        "- level: None\n  users: [\"system:node:special\"]\n",
        "- level: Request\n",
    ));
    // Rule 3 records secrets at Request: create/update/patch write the data (a real leak).
    assert_eq!(sensitive_rules(&p), vec![Some(3)]);
    let v = verdict(&p, "exec-attach-visible");
    assert_eq!(v.failing(), vec![ServiceAccount, Node]);
    let sa = &v.kinds[1];
    assert!(sa
        .failures
        .iter()
        .all(|f| f.user == "system:serviceaccount:ci:audit-lens-probe" && f.rule == Some(0)));
    assert!(v.kinds[2]
        .failures
        .iter()
        .all(|f| f.user == "system:node:special"));
    let v = verdict(&p, "secret-access");
    // Humans and system components in group oncall lose their gets (rule 1); everyone's
    // writes leak (rule 3).
    assert_eq!(v.kinds[0].rules, vec![1, 3]);
    assert!(v.kinds[0]
        .failures
        .iter()
        .any(|f| f.rule == Some(1) && f.groups.contains(&"oncall".to_string())));
    assert_eq!(v.kinds[1].rules, vec![3]);
    // Seen identities are witnesses too: a service account in group oncall is not a
    // plausible identity, but if the log shows one it is probed.
    let seen = vec![(
        "system:serviceaccount:x:y".to_string(),
        vec!["system:serviceaccounts".to_string(), "oncall".to_string()],
    )];
    let need = security_needs()
        .into_iter()
        .find(|n| n.id == "secret-access")
        .unwrap();
    let v = check_need(&p, &need, &seen);
    assert_eq!(v.kinds[1].rules, vec![1, 3]);
}

/// Real leaks stay: secrets and token reviews at Request, TokenRequests at RequestResponse.
#[test]
fn real_leaks_are_still_warned() {
    let p = policy(concat!(
        "- level: RequestResponse\n  resources: [{group: \"\", resources: [serviceaccounts/token]}]\n",
        "- level: Request\n  resources: [{group: authentication.k8s.io, resources: [tokenreviews]}]\n",
        "- level: RequestResponse\n  verbs: [deletecollection, delete, watch]\n",
        "- level: Request\n  verbs: [get, list, watch]\n",
        "- level: Metadata\n",
    ));
    // 0: status.token; 1: spec.token; 2: the deleted secrets of a deletecollection (delete
    // answers a Status, watch logs no response); 3: gets at Request log nothing.
    assert_eq!(sensitive_rules(&p), vec![Some(0), Some(1), Some(2)]);
    let l = lint(&p);
    let m = |r| {
        l.iter()
            .find(|d| d.code == "sensitive-body" && d.rule == Some(r))
            .unwrap()
            .message
            .clone()
    };
    assert!(m(0).contains("status.token"), "{}", m(0));
    assert!(m(1).contains("spec.token"), "{}", m(1));
    assert!(m(2).contains("deletecollection secrets"), "{}", m(2));
    assert!(
        !m(2).contains("delete secrets") && !m(2).contains("watch"),
        "{}",
        m(2)
    );
    check(
        &p,
        "token-bodies",
        &[Human, ServiceAccount, Node, System, Anonymous],
        &[0, 1],
    );
    check(&p, "secret-access", ALL, &[2]);
}

/// A policy naming 300 namespaces and 300 secret names: 90 000 combinations per verb, more
/// than a kind's budget. The verdict is still the rule's, flagged as partial.
#[test]
fn budget_bounds_wide_policies() {
    let ns: Vec<String> = (0..300).map(|i| format!("ns{i}")).collect();
    let names: Vec<String> = (0..300).map(|i| format!("n{i}")).collect();
    let p = policy(&format!(
        "- level: None\n  namespaces: [{}]\n  resources: [{{group: \"\", resources: [secrets], resourceNames: [{}]}}]\n- level: Metadata\n",
        ns.join(", "),
        names.join(", ")
    ));
    let v = verdict(&p, "secret-access");
    assert_eq!(v.failing(), ALL);
    assert_eq!(v.rules, vec![0]);
    for k in &v.kinds {
        assert!(!k.complete, "{:?}", k.kind);
        assert!(k.checked <= 2 * 25_000, "{}", k.checked);
    }
    // A small policy is checked whole.
    let p = policy("- level: Metadata\n");
    assert!(verdict(&p, "secret-access")
        .kinds
        .iter()
        .all(|k| k.complete && k.ok));
}
