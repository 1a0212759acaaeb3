//! The detection pack (`audit_lens::detect`) on real traces and hand-built logs.
//!
//! - Falco's k8s_audit regression traces (falcosecurity/falco `test/trace_files/k8s_audit`,
//!   see ../shared/corpus/SOURCES.md): each scenario file triggers the finding its name
//!   describes, and the benign ones trigger nothing. The table below was worked out by
//!   hand from each file's event and from what Falco's own tests expect of it
//!   (falco `test/falco_k8s_audit_tests.yaml`: e.g. `create_nginx_pod_privileged` →
//!   "Create Privileged Pod", `create_configmap_no_sensitive_values` → no alert).
//! - Several rules against an independent reading of every corpus event with
//!   `serde_json::Value` written here (field names as in k8s.io/apiserver
//!   pkg/apis/audit/v1 types.go: `objectRef.resource/subresource`, `user.username`,
//!   `impersonatedUser`, `responseStatus.code`, `userAgent`, `requestURI`, `stage`).
//! - Thresholds on hand-built bursts, a user's rule file with a body predicate (counted
//!   by jq on the same file), and the CLI's JSON and exit codes.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use audit_lens::detect::{run, Pack, Report, Severity};
use audit_lens::ingest::record::EventExtractor;
use audit_lens::store::Store;
use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const FALCO: &str = "logs/falco-k8s-audit-traces";

/// Runs `pack` over one in-memory file, reading bodies from its bytes.
fn findings(name: &str, bytes: &[u8], pack: &Pack) -> (Store, Report) {
    let s = load(name, bytes);
    let mut ex = EventExtractor::default();
    let rep = run(&s, pack, &mut |r| {
        let (off, len) = s.record_range(r);
        let rec = bytes.get(off as usize..off as usize + len as usize)?;
        match s.wrap_item(r) {
            None => Some(rec.to_vec()),
            item => ex
                .event((0, off), rec, item)
                .ok()
                .map(|e| e.text.into_bytes()),
        }
    });
    (s, rep)
}

fn ids(rep: &Report) -> BTreeSet<String> {
    rep.findings.iter().map(|f| f.id.clone()).collect()
}

/// Hand-worked: the rules each Falco trace must fire (exactly these).
const FALCO_EXPECT: &[(&str, &[&str])] = &[
    ("anonymous_creates_namespace_foo", &["anonymous-allowed"]),
    // A ClusterRoleBinding to cluster-admin by minikube-user: also an RBAC change.
    (
        "attach_cluster_admin_role",
        &["cluster-admin-binding", "rbac-change"],
    ),
    ("attach_pod", &["pod-attach"]),
    // pods/exec granted (verbs [get]): a risky role; created by a person.
    (
        "create_cluster_role_pod_exec",
        &["risky-role", "rbac-change"],
    ),
    (
        "create_cluster_role_wildcard_resources",
        &["wildcard-role", "rbac-change"],
    ),
    (
        "create_cluster_role_wildcard_verbs",
        &["wildcard-role", "rbac-change"],
    ),
    // Its only write verb is on a nonResourceURLs rule: no risky grant, a change still.
    ("create_cluster_role_write_privileges", &["rbac-change"]),
    ("create_clusterrole", &["rbac-change"]),
    // roleRef system:basic-user: not cluster-admin.
    ("create_clusterrolebinding", &["rbac-change"]),
    ("create_configmap", &[]),
    ("create_configmap_no_sensitive_values", &[]),
    // Six events, `access.properties` assigning aws_access_key_id, password, passphrase…
    (
        "create_configmap_sensitive_values",
        &["credential-configmap"],
    ),
    ("create_deployment", &[]),
    // A bootstrap token Secret written in kube-system by `admin` (kubeadm).
    ("create_kube_system_secret", &["kube-system-secret-write"]),
    ("create_nginx_pod_hostnetwork", &["host-namespace-pod"]),
    (
        "create_nginx_pod_no_secctx_1st_container_privileged_2nd_container",
        &["privileged-pod"],
    ),
    ("create_nginx_pod_nohostnetwork", &[]),
    ("create_nginx_pod_privileged", &["privileged-pod"]),
    (
        "create_nginx_pod_privileged_2nd_container",
        &["privileged-pod"],
    ),
    // hostPath /etc.
    ("create_nginx_pod_sensitive_mount", &["sensitive-hostpath"]),
    (
        "create_nginx_pod_sensitive_mount_2nd_container",
        &["sensitive-hostpath"],
    ),
    ("create_nginx_pod_unprivileged", &[]),
    // A kubelet's GET of a pod mounting /usr/local: no write, no sensitive path.
    ("create_nginx_pod_unsensitive_mount", &[]),
    ("create_nginx_service_nodeport", &["nodeport-service"]),
    ("create_nginx_service_nonodeport", &[]),
    ("create_pod_kube_public_namespace", &["kube-namespace-pod"]),
    ("create_pod_kube_system_namespace", &["kube-namespace-pod"]),
    ("create_secret", &["secret-write"]),
    ("create_service", &[]),
    // The tokens controller (system:kube-controller-manager) doing its job.
    ("create_service_account_token_secret", &[]),
    ("create_serviceaccount", &[]),
    (
        "create_serviceaccount_kube_public_namespace",
        &["kube-namespace-serviceaccount"],
    ),
    (
        "create_serviceaccount_kube_system_namespace",
        &["kube-namespace-serviceaccount"],
    ),
    (
        "delete_cluster_role_kube_aggregator",
        &["system-role-change", "rbac-change"],
    ),
    ("delete_clusterrole", &["rbac-change"]),
    ("delete_clusterrolebinding", &["rbac-change"]),
    ("delete_configmap", &[]),
    ("delete_deployment", &[]),
    ("delete_namespace_foo", &[]),
    ("delete_secret", &["secret-write"]),
    ("delete_service", &[]),
    ("delete_serviceaccount", &[]),
    ("exec_pod", &["pod-exec"]),
    // `{"kind": 0}`: no event at all.
    ("fal_01_003", &[]),
    ("minikube_creates_namespace_foo", &[]),
    (
        "modify_cluster_role_node_problem_detector",
        &["system-role-change", "rbac-change"],
    ),
    ("some-user_creates_namespace_foo", &[]),
];

#[test]
fn each_falco_trace_fires_what_its_name_describes() {
    let Some(c) = corpus() else { return };
    let dir = c.join(FALCO);
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = FALCO_EXPECT
        .iter()
        .map(|(f, _)| format!("{f}.json"))
        .collect();
    assert_eq!(on_disk, listed, "every trace has an expectation");
    let pack = Pack::builtin();
    for (f, want) in FALCO_EXPECT {
        let bytes = std::fs::read(dir.join(format!("{f}.json"))).unwrap();
        let (s, rep) = findings(f, &bytes, &pack);
        let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
        assert_eq!(ids(&rep), want, "{f}");
        assert!(rep.errors.is_empty(), "{f}: {:?}", rep.errors);
        // Every event of a scenario is in its finding (the six ConfigMaps, the one exec).
        if let Some(first) = want.iter().next() {
            let rows: usize = rep
                .findings
                .iter()
                .filter(|x| &x.id == first)
                .map(|x| x.rows.len())
                .sum();
            assert_eq!(rows, s.len(), "{f}: {first} holds every event");
        }
    }
}

#[test]
fn falco_traces_loaded_together_keep_each_scenario_apart() {
    let Some(c) = corpus() else { return };
    let dir = c.join(FALCO);
    let mut s = Store::new();
    let mut by_file: BTreeMap<u32, &str> = BTreeMap::new();
    for (f, _) in FALCO_EXPECT {
        let bytes = std::fs::read(dir.join(format!("{f}.json"))).unwrap();
        let id = s.files.len() as u32;
        load_chunked(&mut s, f, &bytes, 1 << 20);
        by_file.insert(id, f);
    }
    s.finalize();
    let rep = run(&s, &Pack::builtin(), &mut |_| None);
    // (file, rule) pairs found, against the table.
    let mut got: BTreeSet<(String, String)> = BTreeSet::new();
    for f in &rep.findings {
        for &r in &f.rows {
            got.insert((by_file[&s.file(r as usize)].to_string(), f.id.clone()));
        }
    }
    let want: BTreeSet<(String, String)> = FALCO_EXPECT
        .iter()
        .flat_map(|(f, rs)| rs.iter().map(move |r| (f.to_string(), r.to_string())))
        .collect();
    assert_eq!(got, want);
    // minikube-user's RBAC changes are one finding (grouped by actor), with its requests.
    let rbac: Vec<_> = rep
        .findings
        .iter()
        .filter(|f| f.id == "rbac-change")
        .collect();
    assert_eq!(rbac.len(), 1, "{rbac:?}");
    assert_eq!(rbac[0].key, "minikube-user");
    let rbac_files = want.iter().filter(|(_, r)| r == "rbac-change").count() as u32;
    assert_eq!(rbac[0].requests, rbac_files);
    // Most serious first.
    let sev: Vec<Severity> = rep.findings.iter().map(|f| f.severity).collect();
    let mut sorted = sev.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(sev, sorted);
    assert_eq!(rep.findings[0].id, "cluster-admin-binding");
}

// ---- an independent reading of the corpus ----

fn st<'a>(v: &'a Value, p: &str) -> &'a str {
    v.pointer(p).and_then(Value::as_str).unwrap_or("")
}

/// Every event of a text as a Value (JSON values one after another; an EventList's
/// items expanded).
fn events(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for v in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
        let Ok(v) = v else { break };
        match v.get("items").and_then(Value::as_array) {
            Some(items) => out.extend(items.iter().cloned()),
            None => out.push(v),
        }
    }
    out
}

fn code(e: &Value) -> i64 {
    e.pointer("/responseStatus/code")
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

/// The corpus logs read plainly (kube-apiserver's own files; wrapped exports are not
/// read by this oracle).
fn corpus_logs(c: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(c.join(FALCO))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    for f in [
        "logs/openshift-clo-apiaudit-audit_in.log",
        "logs/audit2rbac-demo-original-v1beta1.log",
        "logs/audit2rbac-demo-v1.log",
    ] {
        let p = c.join(f);
        assert!(p.is_file(), "{}", p.display());
        v.push(p);
    }
    let sysdig = c.join("realworld/logs/sysdiglabs-stackdriver-webhook-bridge/k8s_audit_events");
    let mut d: Vec<PathBuf> = std::fs::read_dir(&sysdig)
        .unwrap_or_else(|e| panic!("{}: {e}", sysdig.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    d.sort();
    v.extend(d);
    v
}

type Oracle = fn(&Value) -> bool;

const SECRET_READERS: &[&str] = &[
    "system:kube-controller-manager",
    "system:kube-scheduler",
    "system:apiserver",
    "system:serviceaccount:kube-system:generic-garbage-collector",
    "system:serviceaccount:kube-system:namespace-controller",
    "system:serviceaccount:kube-system:resourcequota-controller",
    "system:serviceaccount:kube-system:legacy-service-account-token-cleaner",
];

/// Each rule's meaning, written again from the event's JSON.
/// (rule, counts only requests that succeeded, the rule's meaning on one event).
const ORACLES: &[(&str, bool, Oracle)] = &[
    ("pod-exec", false, |e| {
        st(e, "/objectRef/resource") == "pods"
            && st(e, "/objectRef/subresource") == "exec"
            && !st(e, "/user/username").starts_with("system:node:")
    }),
    ("pod-portforward", false, |e| {
        st(e, "/objectRef/resource") == "pods" && st(e, "/objectRef/subresource") == "portforward"
    }),
    ("secret-access", true, |e| {
        let u = st(e, "/user/username");
        st(e, "/objectRef/resource") == "secrets"
            && st(e, "/objectRef/subresource").is_empty()
            && ["get", "list", "watch"].contains(&st(e, "/verb"))
            && !u.starts_with("system:node:")
            && !SECRET_READERS.contains(&u)
    }),
    ("impersonation", true, |e| {
        !st(e, "/impersonatedUser/username").is_empty()
    }),
    ("anonymous-allowed", true, |e| {
        let uri = st(e, "/requestURI");
        st(e, "/user/username") == "system:anonymous"
            && st(e, "/impersonatedUser/username").is_empty()
            && ![
                "/healthz",
                "/livez",
                "/readyz",
                "/version",
                "/.well-known/openid-configuration",
                "/openid/v1/jwks",
            ]
            .iter()
            .any(|p| uri.starts_with(p))
    }),
    ("webhook-change", true, |e| {
        [
            "validatingwebhookconfigurations",
            "mutatingwebhookconfigurations",
        ]
        .contains(&st(e, "/objectRef/resource"))
            && st(e, "/objectRef/apiGroup") == "admissionregistration.k8s.io"
            && st(e, "/objectRef/subresource").is_empty()
            && ["create", "update", "patch", "delete", "deletecollection"].contains(&st(e, "/verb"))
            && st(e, "/user/username") != "system:apiserver"
    }),
    ("privileged-pod", false, |e| {
        if !["create", "update", "patch"].contains(&st(e, "/verb")) {
            return false;
        }
        let (res, sub) = (
            st(e, "/objectRef/resource"),
            st(e, "/objectRef/subresource"),
        );
        if !(sub.is_empty() || (res == "pods" && sub == "ephemeralcontainers")) {
            return false;
        }
        let Some(at) = pod_spec_pointer(res) else {
            return false;
        };
        // The request body, or the response's when the request has no object.
        let body = ["/requestObject", "/responseObject"]
            .iter()
            .filter_map(|p| e.pointer(p))
            .find(|b| b.is_object());
        let Some(spec) = body.and_then(|b| b.pointer(at)) else {
            return false;
        };
        ["containers", "initContainers", "ephemeralContainers"]
            .iter()
            .any(|k| {
                spec.get(*k)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .any(|c| c.pointer("/securityContext/privileged") == Some(&Value::Bool(true)))
            })
    }),
];

#[test]
fn rules_match_an_independent_reading_of_every_corpus_event() {
    let Some(c) = corpus() else { return };
    let pack = Pack::builtin();
    let mut totals: BTreeMap<&str, usize> = BTreeMap::new();
    let mut inputs: Vec<(String, Vec<u8>)> = corpus_logs(&c)
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    // The corpus has no port-forward and no webhook change: an hour of the generator's
    // cluster (people exec, port-forward, read secrets, impersonate) and three hand-made
    // webhook events (a person's delete, the API server's own patch, a refused create).
    let mut generated = Vec::new();
    let opts = audit_lens::gen::GenOptions {
        duration_s: 4 * 3600,
        activity: 0.04,
        body_scale: 0.2,
        ..Default::default()
    };
    audit_lens::gen::generate(&opts, &mut |b| generated.extend_from_slice(b));
    eprintln!("generated: {} bytes", generated.len());
    inputs.push(("generated.log".into(), generated));
    let hook = |id: u32, verb: &str, user: &str, code: u16| {
        format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"00000000-0000-0000-0000-{id:012}","stage":"ResponseComplete","requestURI":"/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/gatekeeper","verb":"{verb}","user":{{"username":"{user}"}},"sourceIPs":["10.2.2.2"],"objectRef":{{"resource":"validatingwebhookconfigurations","name":"gatekeeper","apiGroup":"admissionregistration.k8s.io","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"code":{code}}},"requestReceivedTimestamp":"2026-11-30T10:00:0{id}.000000Z","stageTimestamp":"2026-11-30T10:00:0{id}.001000Z"}}"#
        )
    };
    let hooks = [
        hook(1, "delete", "mallory", 200),
        hook(2, "patch", "system:apiserver", 200),
        hook(3, "create", "mallory", 403),
    ]
    .join("\n");
    inputs.push(("webhooks.log".into(), hooks.into_bytes()));
    for (name, bytes) in inputs {
        let (s, rep) = findings(&name, &bytes, &pack);
        let evs = events(&String::from_utf8_lossy(&bytes));
        // A request succeeded when a stage says so (a code below 400, or the
        // authorizer's `allow`) and none says otherwise (≥ 400 or `forbid`).
        let mut outcome: BTreeMap<String, (bool, bool)> = BTreeMap::new();
        for e in &evs {
            let o = outcome.entry(st(e, "/auditID").to_string()).or_default();
            let d = st(e, "/annotations/authorization.k8s.io~1decision");
            if code(e) >= 400 || d == "forbid" {
                o.1 = true;
            } else if (code(e) > 0 && code(e) < 400) || d == "allow" {
                o.0 = true;
            }
        }
        let succeeded = |e: &Value| {
            outcome
                .get(st(e, "/auditID"))
                .is_some_and(|&(a, d)| a && !d)
        };
        for (id, allowed_only, oracle) in ORACLES {
            // (auditID, stage) multiset, both ways.
            let mut want: BTreeMap<(String, String), usize> = BTreeMap::new();
            // Events kube-apiserver could have written (the loader refuses the others):
            // with a receive time (`timestamp` in v1beta1's Event, pkg/apis/audit/v1beta1).
            let real = |e: &&Value| {
                e.get("auditID").is_some()
                    && (e.get("requestReceivedTimestamp").is_some() || e.get("timestamp").is_some())
            };
            for e in evs.iter().filter(real) {
                if oracle(e) && (!allowed_only || succeeded(e)) {
                    *want
                        .entry((st(e, "/auditID").to_string(), st(e, "/stage").to_string()))
                        .or_default() += 1;
                }
            }
            let mut got: BTreeMap<(String, String), usize> = BTreeMap::new();
            for f in rep.findings.iter().filter(|f| f.id == *id) {
                for &r in &f.rows {
                    let r = r as usize;
                    let stage = s.stage(r).map_or("", |x| x.as_str()).to_string();
                    *got.entry((s.audit_id(r), stage)).or_default() += 1;
                }
            }
            assert_eq!(got, want, "{name}: rule {id}");
            *totals.entry(id).or_default() += want.values().sum::<usize>();
        }
    }
    // The corpus does exercise each rule (a rule tested on nothing proves nothing).
    for (id, _, _) in ORACLES {
        assert!(totals[id] > 0, "no corpus event for {id}: {totals:?}");
    }
    eprintln!("oracle events per rule: {totals:?}");
}

// ---- thresholds ----

fn ev(t_s: u32, user: &str, ip: &str, code: u16, id: u32) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"00000000-0000-0000-0000-{id:012}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/secrets","verb":"list","user":{{"username":"{user}"}},"sourceIPs":["{ip}"],"objectRef":{{"resource":"secrets","namespace":"default","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"code":{code}}},"requestReceivedTimestamp":"2026-11-30T10:{:02}:{:02}.000000Z","stageTimestamp":"2026-11-30T10:{:02}:{:02}.001000Z"}}"#,
        t_s / 60,
        t_s % 60,
        t_s / 60,
        t_s % 60
    )
}

#[test]
fn bursts_fire_at_the_threshold_within_the_window_only() {
    let pack = Pack::builtin();
    let mut lines = Vec::new();
    let mut id = 0;
    // eve: 20 forbidden requests in 190 s (one every 10 s) → one burst of 20.
    for k in 0..20 {
        id += 1;
        lines.push(ev(k * 10, "eve", "10.0.0.9", 403, id));
    }
    // bob: 19 within 5 minutes, then one 6 minutes later → never 20 within 5 minutes.
    for k in 0..19 {
        id += 1;
        lines.push(ev(k * 15, "bob", "10.0.0.8", 403, id));
    }
    id += 1;
    lines.push(ev(19 * 15 + 360, "bob", "10.0.0.8", 403, id));
    // 401s from one address, 25 in 25 s: a burst; 5 from another: none.
    for k in 0..25 {
        id += 1;
        lines.push(ev(1000 + k, "", "203.0.113.7", 401, id));
    }
    for k in 0..5 {
        id += 1;
        lines.push(ev(1000 + k, "", "198.51.100.1", 401, id));
    }
    let text = lines.join("\n") + "\n";
    let (_, rep) = findings("bursts.log", text.as_bytes(), &pack);
    let got: Vec<(String, String, u32)> = rep
        .findings
        .iter()
        .filter(|f| f.category == "auth-failure-burst")
        .map(|f| (f.id.clone(), f.key.clone(), f.requests))
        .collect();
    assert_eq!(
        got,
        vec![
            ("unauthorized-burst".into(), "203.0.113.7".into(), 25),
            ("forbidden-burst".into(), "eve".into(), 20),
        ]
    );
    let eve = rep.findings.iter().find(|f| f.key == "eve").unwrap();
    assert_eq!(eve.denied, 20);
    assert!(
        eve.filter.contains("after:2026-11-30T10:00:00")
            && eve.filter.contains("before:2026-11-30T10:03:10"),
        "{}",
        eve.filter
    );
}

// ---- a user's rule file, with a body predicate, and the CLI ----

fn cli() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_audit-lens"))
}

fn jq_count(filter: &str, file: &Path) -> usize {
    let out = Command::new("jq")
        .args(["-c", filter])
        .arg(file)
        .output()
        .expect("jq is installed (scripts/setup.sh)");
    assert!(
        out.status.success(),
        "jq: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .count()
}

#[test]
fn the_cli_runs_user_rules_with_bodies_and_honours_fail_on() {
    let Some(c) = corpus() else { return };
    // The sysdig GKE bridge's events (one scenario a file) and OpenShift's sample.
    let mut logs: Vec<PathBuf> = corpus_logs(&c)
        .into_iter()
        .filter(|p| {
            p.to_string_lossy().contains("sysdiglabs")
                || p.ends_with("openshift-clo-apiaudit-audit_in.log")
        })
        .collect();
    logs.sort();
    assert!(logs.len() > 5, "{logs:?}");
    let dir = std::env::temp_dir().join(format!("al-findings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rules = dir.join("team.yaml");
    std::fs::write(
        &rules,
        "pack: team\nrules:\n  - id: team-host-network\n    category: host-namespace-pod\n    severity: critical\n    title: hostNetwork in a request body\n    match: resource:pods req.spec.hostNetwork:true\n    group: none\n  - id: team-images\n    category: inventory\n    severity: info\n    title: Pods created with an image\n    match: resource:pods verb:create req.spec.containers[*].image:*\n    group: none\n",
    )
    .unwrap();
    let out = Command::new(cli())
        .args(["findings", "--json", "--rules"])
        .arg(&rules)
        .args(&logs)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fs = v["findings"].as_array().unwrap();
    let events_of = |id: &str| -> usize {
        fs.iter()
            .filter(|f| f["id"] == id)
            .map(|f| f["events"].as_array().unwrap().len())
            .sum()
    };
    // jq on the same files: the events (with a receive time) whose request body says so.
    let jq = |filter: &str| -> usize { logs.iter().map(|l| jq_count(filter, l)).sum() };
    let host = jq(
        r#"select(.requestReceivedTimestamp != null and .objectRef.resource == "pods" and .requestObject.spec.hostNetwork == true)"#,
    );
    let images = jq(
        r#"select(.requestReceivedTimestamp != null and .objectRef.resource == "pods" and .verb == "create" and ([.requestObject.spec.containers[]?.image // empty] | length > 0))"#,
    );
    assert!(host > 0 && images > host, "{host} {images}");
    assert_eq!(events_of("team-host-network"), host);
    assert_eq!(events_of("team-images"), images);
    let team: Vec<&Value> = fs
        .iter()
        .filter(|f| f["id"] == "team-host-network")
        .collect();
    assert_eq!(team.len(), 1);
    assert_eq!(team[0]["severity"], "critical");
    for f in fs {
        for k in ["id", "category", "severity", "title", "events"] {
            assert!(f.get(k).is_some(), "{k} in {f}");
        }
        for e in f["events"].as_array().unwrap() {
            assert!(
                e["file"].is_string()
                    && e["line"].as_u64().unwrap() > 0
                    && e["auditID"].is_string()
            );
            // The place printed holds that event: read the file's line back (one event
            // per line in these files) and compare its auditID and stage.
            let text = std::fs::read_to_string(e["file"].as_str().unwrap()).unwrap();
            let line = text
                .lines()
                .nth(e["line"].as_u64().unwrap() as usize - 1)
                .expect("the line exists");
            let ev: Value = serde_json::from_str(line).expect("the line is an event");
            assert_eq!(ev["auditID"], e["auditID"], "{}:{}", e["file"], e["line"]);
            assert_eq!(ev["stage"], e["stage"], "{}:{}", e["file"], e["line"]);
        }
    }
    // Exit codes: a critical finding fails `--fail-on high`; nothing at critical in the
    // built-in pack alone on a benign trace passes it.
    let fail = Command::new(cli())
        .args(["findings", "--fail-on", "high", "--rules"])
        .arg(&rules)
        .args(&logs)
        .status()
        .unwrap();
    assert_eq!(fail.code(), Some(1));
    let benign = c.join(FALCO).join("create_deployment.json");
    let ok = Command::new(cli())
        .args(["findings", "--fail-on", "info"])
        .arg(&benign)
        .status()
        .unwrap();
    assert_eq!(ok.code(), Some(0));
    // A broken rule file: exit 2 and a message naming the file and the line.
    std::fs::write(&rules, "rules:\n  - id: x\n    category: c\n    severity: loud\n    title: t\n    match: verb:get\n").unwrap();
    let bad = Command::new(cli())
        .arg("findings")
        .arg("--rules")
        .arg(&rules)
        .arg(&benign)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&bad.stderr);
    assert!(
        msg.contains("team.yaml:2: rule x: severity \"loud\""),
        "{msg}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_body_rule_of_the_builtin_pack_reads_the_request() {
    // A long-lived token Secret created by a person (type in the request body), and the
    // same by the tokens controller, and one whose body is not recorded (Metadata).
    let mk = |id: u32, user: &str, level: &str, body: &str| {
        format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"{level}","auditID":"00000000-0000-0000-0000-{id:012}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/ci/secrets","verb":"create","user":{{"username":"{user}"}},"sourceIPs":["10.1.1.1"],"objectRef":{{"resource":"secrets","namespace":"ci","name":"t{id}","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"code":201}}{body},"requestReceivedTimestamp":"2026-11-30T10:00:0{id}.000000Z","stageTimestamp":"2026-11-30T10:00:0{id}.001000Z"}}"#
        )
    };
    let body = r#","requestObject":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"t","annotations":{"kubernetes.io/service-account.name":"deployer"}},"type":"kubernetes.io/service-account-token"}"#;
    let opaque = r#","requestObject":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"t"},"type":"Opaque","stringData":{"note":"kubernetes.io/service-account-token"}}"#;
    let text = [
        mk(1, "alice", "Request", body),
        mk(2, "system:kube-controller-manager", "Request", body),
        mk(3, "bob", "Metadata", ""),
        mk(4, "carol", "Request", opaque),
    ]
    .join("\n");
    let (s, rep) = findings("tokens.log", text.as_bytes(), &Pack::builtin());
    let f: Vec<(&str, &str)> = rep
        .findings
        .iter()
        .filter(|f| f.id == "token-secret-created")
        .map(|f| (f.key.as_str(), f.id.as_str()))
        .collect();
    assert_eq!(f, vec![("alice", "token-secret-created")]);
    // What the log holds of its needs: 4 secret creates, 3 recorded with the request.
    let i = Pack::builtin()
        .rules
        .iter()
        .position(|r| r.id == "token-secret-created")
        .unwrap();
    assert_eq!((rep.support[i].events, rep.support[i].at_level), (4, 3));
    assert_eq!(s.len(), 4);
}

#[test]
fn credential_looking_configmap_entries() {
    use audit_lens::ingest::facts::credential_key;
    // (key, value, credential?) — one case per reason, and the near misses.
    let cases: &[(&str, &str, bool)] = &[
        ("db-password", "hunter2", true),
        ("API_KEY", "abc", true),
        ("password", "", false),
        ("secretName", "tls-cert", false),
        ("tokenTTL", "24h", false),
        (
            "ui.properties",
            "color.good=purple\ncolor.bad=yellow\n",
            false,
        ),
        ("access.properties", "aws_access_key_id = MY-ID\n", true),
        ("access.properties", "aws-s3-access-key-id = MY-ID\n", true),
        ("app.yaml", "database:\n  password: s3cret\n", true),
        (
            "app.yaml",
            "database:\n  passwordFile: /run/secrets/db\n",
            false,
        ),
        ("app.yaml", "password: # set at deploy\n", false),
        ("notes", "the password policy is strict", false),
        (
            "key.pem",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n",
            true,
        ),
        ("cert.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n", false),
        ("env", "AWS=AKIAIOSFODNN7EXAMPLE", true),
        ("env", "AKIA-not-a-key", false),
    ];
    for (k, v, want) in cases {
        assert_eq!(credential_key(k, v), *want, "{k}: {v:?}");
    }
}

// ---- what a policy would blind ----

/// The issue's probe policy: service accounts and secret reads dropped, the rest at
/// Metadata.
const PROBE: &str = "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n  - level: None\n    userGroups: [\"system:serviceaccounts\"]\n  - level: None\n    resources: [{group: \"\", resources: [\"secrets\"]}]\n    verbs: [get, list, watch]\n  - level: Metadata\n";

#[test]
fn what_the_probe_policy_blinds() {
    use audit_lens::audit::needs::IdentityKind::*;
    use audit_lens::audit::policy::{load_policy, LoadOptions};
    let mut log = Vec::new();
    let opts = audit_lens::gen::GenOptions {
        duration_s: 4 * 3600,
        activity: 0.04,
        body_scale: 0.2,
        ..Default::default()
    };
    audit_lens::gen::generate(&opts, &mut |b| log.extend_from_slice(b));
    let pack = Pack::builtin();
    let (s, rep) = findings("generated.log", &log, &pack);
    let p = load_policy("probe.yaml", PROBE, &LoadOptions::default()).unwrap();
    let b = audit_lens::detect::blind::blind(&p, &pack, &s, &rep.findings, &[]);
    let kinds = |id: &str| {
        b.rules
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.kinds.clone())
            .unwrap_or_default()
    };
    // Secret reads are dropped for everyone (rule 1) — and for service accounts by rule 0.
    assert_eq!(
        kinds("secret-access"),
        vec![Human, ServiceAccount, Node, System, Anonymous]
    );
    // exec is recorded at Metadata for everyone but service accounts (rule 0).
    assert_eq!(kinds("pod-exec"), vec![ServiceAccount]);
    // Pod specs need the request body: Metadata (rule 2) blinds everyone.
    assert_eq!(
        kinds("privileged-pod"),
        vec![Human, ServiceAccount, Node, System, Anonymous]
    );
    // Anonymous requests other than secret reads are still recorded.
    assert!(kinds("anonymous-allowed").is_empty());
    // The events, decided again from their JSON: dropped when the user is in
    // system:serviceaccounts, the request reads secrets, or the stage is RequestReceived.
    let text = String::from_utf8_lossy(&log);
    let by_id: std::collections::HashMap<(String, String), Value> = events(&text)
        .into_iter()
        .map(|e| {
            (
                (st(&e, "/auditID").to_string(), st(&e, "/stage").to_string()),
                e,
            )
        })
        .collect();
    let mut any = 0;
    for f in &rep.findings {
        let mut dropped = 0;
        for &r in &f.rows {
            let e = &by_id[&(
                s.audit_id(r as usize),
                s.stage(r as usize).map_or("", |x| x.as_str()).to_string(),
            )];
            let sa = e
                .pointer("/user/groups")
                .and_then(Value::as_array)
                .is_some_and(|g| g.iter().any(|x| x == "system:serviceaccounts"));
            let secret_read = st(e, "/objectRef/resource") == "secrets"
                && st(e, "/objectRef/subresource").is_empty()
                && ["get", "list", "watch"].contains(&st(e, "/verb"));
            dropped += (sa || secret_read) as u32;
        }
        let got: u32 = b
            .rules
            .iter()
            .filter(|r| r.rule == f.rule)
            .map(|r| r.dropped_events)
            .sum();
        let total_for_rule: u32 = rep
            .findings
            .iter()
            .filter(|x| x.rule == f.rule)
            .map(|x| {
                x.rows
                    .iter()
                    .filter(|&&r| {
                        let e = &by_id[&(
                            s.audit_id(r as usize),
                            s.stage(r as usize).map_or("", |x| x.as_str()).to_string(),
                        )];
                        e.pointer("/user/groups")
                            .and_then(Value::as_array)
                            .is_some_and(|g| g.iter().any(|x| x == "system:serviceaccounts"))
                            || (st(e, "/objectRef/resource") == "secrets"
                                && st(e, "/objectRef/subresource").is_empty()
                                && ["get", "list", "watch"].contains(&st(e, "/verb")))
                            // omitStages: [RequestReceived]
                            || st(e, "/stage") == "RequestReceived"
                    })
                    .count() as u32
            })
            .sum();
        assert_eq!(got, total_for_rule, "rule {}", f.id);
        any += dropped;
    }
    assert!(any > 0, "the generated log has events the probe drops");
    // A policy recording everything with bodies and every stage blinds nothing.
    let all = load_policy(
        "all.yaml",
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: RequestResponse\n",
        &LoadOptions::default(),
    )
    .unwrap();
    let none = audit_lens::detect::blind::blind(&all, &pack, &s, &rep.findings, &[]);
    assert!(none.rules.is_empty(), "{:?}", none.rules);
}
