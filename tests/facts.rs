//! Security facts kept at ingest (`ingest::facts`), checked on the real corpus against an
//! independent reading of every event with `serde_json::Value` written here, and every
//! exec/attach command against Python's `urllib.parse.parse_qs`.
//!
//! Field names are those of the Kubernetes API (k8s.io/api core/v1 types.go: `PodSpec`
//! `hostPID`/`hostIPC`/`hostNetwork`/`volumes`/`containers`/`initContainers`/
//! `ephemeralContainers`/`securityContext`; `Volume.hostPath.path`;
//! `SecurityContext.privileged`/`allowPrivilegeEscalation`/`runAsUser`/`capabilities.add`;
//! `PodTemplateSpec.spec`; apps/v1 and batch/v1 `spec.template`, CronJob
//! `spec.jobTemplate.spec.template`; rbac/v1 `RoleBinding.roleRef{kind,name}`,
//! `subjects[]{kind,namespace,name}`, `PolicyRule{verbs,apiGroups,resources}`), and
//! `PodExecOptions` `command`/`container`/`stdin`/`tty` (json tags of the query params).
#![cfg(not(target_arch = "wasm32"))]

mod common;
use audit_lens::ingest::facts::*;
use audit_lens::store::Store;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The corpus files this test reads (a missing directory is an error, not a skip).
fn files(c: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for dir in [
        "logs/falco-k8s-audit-traces",
        "realworld/logs/sysdiglabs-stackdriver-webhook-bridge/k8s_audit_events",
    ] {
        let mut d: Vec<PathBuf> = std::fs::read_dir(c.join(dir))
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        d.sort();
        v.extend(d);
    }
    for f in [
        "realworld/logs/panther-analysis-k8s-rule-tests.extracted.jsonl",
        "logs/openshift-clo-apiaudit-audit_in.log",
        "logs/audit2rbac-demo-original-v1beta1.log",
        "logs/audit2rbac-demo-v1.log",
    ] {
        v.push(c.join(f));
    }
    v
}

/// A place in a file: the record's byte offset and, inside an EventList, the item.
type Key = (u64, Option<u32>);

/// Every event of a file as a `Value` with its [`Key`]: JSON values one after another
/// (lines or documents), an EventList's `items` expanded.
fn events(text: &str) -> Vec<(Key, Value)> {
    let mut out = Vec::new();
    let mut it = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut start = 0usize;
    while let Some(Ok(v)) = it.next() {
        // The value began at the first non-blank byte after the previous one.
        while text
            .as_bytes()
            .get(start)
            .is_some_and(u8::is_ascii_whitespace)
        {
            start += 1;
        }
        let at = start as u64;
        if let Some(g) = gke_view(&v) {
            // A GKE Cloud Audit Logs entry is one mapped Event (item 0 of its record).
            out.push(((at, Some(0)), g));
            start = it.byte_offset();
            continue;
        }
        match v.get("items").and_then(Value::as_array) {
            Some(items) => out.extend(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, e)| ((at, Some(i as u32)), e.clone())),
            ),
            None => out.push(((at, None), v)),
        }
        start = it.byte_offset();
    }
    out
}

/// What a GKE `k8s.io` entry says in Event terms, read plainly: verb, resource and
/// subresource from `methodName` (`io.k8s.<group>.<version>.<resource>[.<sub>].<verb>`,
/// GKE's audit-log schema), the bodies from `protoPayload.request`/`response`.
fn gke_view(v: &Value) -> Option<Value> {
    let p = v.get("protoPayload")?;
    if p.get("serviceName")?.as_str()? != "k8s.io" {
        return None;
    }
    let toks: Vec<&str> = p.get("methodName")?.as_str()?.split('.').collect();
    let vi = toks.iter().position(|t| {
        t.len() >= 2 && t.starts_with('v') && t[1..2].bytes().all(|c| c.is_ascii_digit())
    })?;
    if toks.len() < vi + 3 {
        return None;
    }
    let sub = toks[vi + 2..toks.len() - 1].join("/");
    Some(serde_json::json!({
        "verb": toks[toks.len() - 1],
        "objectRef": {"resource": toks[vi + 1], "subresource": sub},
        "requestObject": p.get("request").cloned().unwrap_or(Value::Null),
        "responseObject": p.get("response").cloned().unwrap_or(Value::Null),
    }))
}

fn st<'a>(v: &'a Value, p: &str) -> &'a str {
    v.pointer(p).and_then(Value::as_str).unwrap_or("")
}

/// What one event should have, read plainly from its JSON.
#[derive(Default, Debug)]
struct Want {
    privileged: bool,
    host_network: bool,
    host_paths: Vec<String>,
    cluster_admin: bool,
    wildcard_role: bool,
    images: Vec<String>,
}

fn want(e: &Value) -> Want {
    let mut w = Want::default();
    let (res, sub, verb) = (
        st(e, "/objectRef/resource"),
        st(e, "/objectRef/subresource"),
        st(e, "/verb"),
    );
    if !["create", "update", "patch"].contains(&verb) {
        return w;
    }
    if !(sub.is_empty() || (res == "pods" && sub == "ephemeralcontainers")) {
        return w;
    }
    let body = ["/requestObject", "/responseObject"]
        .iter()
        .filter_map(|p| e.pointer(p))
        .find(|b| b.is_object());
    let Some(body) = body else { return w };
    let spec_at = pod_spec_pointer(res).unwrap_or("");
    if let Some(spec) = (!spec_at.is_empty())
        .then(|| body.pointer(spec_at))
        .flatten()
    {
        w.host_network = spec.get("hostNetwork") == Some(&Value::Bool(true));
        for v in spec
            .get("volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(hp) = v.get("hostPath") {
                w.host_paths.push(st(hp, "/path").to_string());
            }
        }
        for key in ["containers", "initContainers", "ephemeralContainers"] {
            for c in spec
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if c.pointer("/securityContext/privileged") == Some(&Value::Bool(true)) {
                    w.privileged = true;
                }
                let img = st(c, "/image").to_string();
                if c.get("image").is_some() && !w.images.contains(&img) {
                    w.images.push(img);
                }
            }
        }
    }
    if res.ends_with("rolebindings") {
        w.cluster_admin = st(body, "/roleRef/kind") == "ClusterRole"
            && st(body, "/roleRef/name") == "cluster-admin";
    }
    if res == "roles" || res == "clusterroles" {
        for r in body
            .get("rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for k in ["verbs", "resources"] {
                let star = r
                    .get(k)
                    .and_then(Value::as_array)
                    .is_some_and(|a| a.iter().any(|x| x == "*"));
                w.wildcard_role |= star;
            }
        }
    }
    w
}

/// A row's [`Key`], to match store rows and JSON events.
fn key_row(s: &Store, r: usize) -> Key {
    (s.offset(r), s.wrap_item(r))
}

type Keys = Vec<(String, Key)>;

#[derive(Default)]
struct Tally {
    privileged: Keys,
    host_network: Keys,
    host_path: Keys,
    cluster_admin: Keys,
    wildcard: Keys,
}

impl Tally {
    fn sort(&mut self) {
        for v in [
            &mut self.privileged,
            &mut self.host_network,
            &mut self.host_path,
            &mut self.cluster_admin,
            &mut self.wildcard,
        ] {
            v.sort();
        }
    }
}

#[test]
fn facts_agree_with_a_plain_reading_of_the_corpus() {
    let Some(c) = corpus() else { return };
    let (mut got, mut exp) = (Tally::default(), Tally::default());
    let mut checked_images = 0;
    for f in files(&c) {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{name}: {e}"));
        let s = load(&name, text.as_bytes());
        for r in 0..s.len() {
            let k = (name.clone(), key_row(&s, r));
            let bits = s.fact_bits(r);
            for (bit, list) in [
                (FACT_PRIVILEGED, &mut got.privileged),
                (FACT_HOST_NETWORK, &mut got.host_network),
                (FACT_HOST_PATH, &mut got.host_path),
                (FACT_CLUSTER_ADMIN, &mut got.cluster_admin),
            ] {
                if bits & bit != 0 {
                    list.push(k.clone());
                }
            }
            if bits & (FACT_WILDCARD_VERBS | FACT_WILDCARD_RESOURCES) != 0 {
                got.wildcard.push(k.clone());
            }
        }
        let by_key: std::collections::HashMap<Key, usize> =
            (0..s.len()).map(|r| (key_row(&s, r), r)).collect();
        for (key, e) in events(&text) {
            // Events the store refuses (no timestamp: some of Panther's rule tests) have
            // no row and so no facts.
            let Some(&r) = by_key.get(&key) else { continue };
            let w = want(&e);
            let k = (name.clone(), key);
            for (yes, list) in [
                (w.privileged, &mut exp.privileged),
                (w.host_network, &mut exp.host_network),
                (!w.host_paths.is_empty(), &mut exp.host_path),
                (w.cluster_admin, &mut exp.cluster_admin),
                (w.wildcard_role, &mut exp.wildcard),
            ] {
                if yes {
                    list.push(k.clone());
                }
            }
            // Images and host paths, string for string.
            if !w.images.is_empty() || !w.host_paths.is_empty() {
                let f = s.facts(r).expect("facts of a pod spec");
                assert_eq!(f.images().collect::<Vec<_>>(), w.images, "{name}");
                assert_eq!(f.host_paths().collect::<Vec<_>>(), w.host_paths, "{name}");
                checked_images += 1;
            }
        }
    }
    got.sort();
    exp.sort();
    assert_eq!(got.privileged, exp.privileged, "privileged");
    assert_eq!(got.host_network, exp.host_network, "hostNetwork");
    assert_eq!(got.host_path, exp.host_path, "hostPath");
    assert_eq!(
        got.cluster_admin, exp.cluster_admin,
        "cluster-admin bindings"
    );
    assert_eq!(got.wildcard, exp.wildcard, "wildcard roles");
    // Hand-checked figures (by file name in the Falco traces; jq over the others):
    // the three privileged pod creates of the Falco traces (privileged, privileged in the
    // 2nd container, no securityContext in the 1st and privileged in the 2nd), each once
    // more in the sysdig bridge's copy of those traces where present.
    let falco_priv: Vec<&str> = got
        .privileged
        .iter()
        .filter(|k| k.0.ends_with(".json"))
        .map(|k| k.0.as_str())
        .collect();
    for f in [
        "create_nginx_pod_privileged.json",
        "create_nginx_pod_privileged_2nd_container.json",
        "create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json",
    ] {
        assert!(
            falco_priv.contains(&f),
            "{f} not found privileged: {falco_priv:?}"
        );
    }
    assert!(!got.cluster_admin.is_empty() && !got.wildcard.is_empty());
    assert!(got
        .host_network
        .iter()
        .any(|k| k.0 == "create_nginx_pod_hostnetwork.json"));
    assert!(checked_images > 10, "pod specs compared: {checked_images}");
}

#[test]
fn every_exec_and_attach_command_is_decoded_as_parse_qs_decodes_it() {
    let Some(c) = corpus() else { return };
    // (file, auditID, stage, requestURI) of every exec/attach/portforward in the corpus.
    let mut cases = Vec::new();
    let mut stores = Vec::new();
    for f in files(&c) {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&f).unwrap();
        let s = load(&name, text.as_bytes());
        let by_key: std::collections::HashMap<Key, usize> =
            (0..s.len()).map(|r| (key_row(&s, r), r)).collect();
        for (key, e) in events(&text) {
            if st(&e, "/objectRef/resource") == "pods"
                && ["exec", "attach", "portforward"].contains(&st(&e, "/objectRef/subresource"))
            {
                let r = by_key.get(&key).copied();
                cases.push((stores.len(), r, e));
            }
        }
        stores.push(s);
    }
    assert!(
        cases.len() >= 15,
        "exec/attach events found: {}",
        cases.len()
    );
    // Python decodes the queries: parse_qs keeps every `command` in order, `+` is a space.
    let uris: Vec<&str> = cases.iter().map(|c| st(&c.2, "/requestURI")).collect();
    let script = r#"
import json, sys, urllib.parse
out = []
for u in json.load(sys.stdin):
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(u).query, keep_blank_values=True)
    out.append({"command": q.get("command", []), "container": q.get("container", [""])[0]})
print(json.dumps(out))
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&uris).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let decoded: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut with_command = 0;
    let mut rows = 0;
    for ((si, r, e), py) in cases.iter().zip(&decoded) {
        let uri = st(e, "/requestURI");
        let want: Vec<&str> = py["command"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        with_command += usize::from(!want.is_empty());
        let Some(r) = r else {
            // An event the store refused (Panther's rule tests without timestamps) is
            // read by the same extraction ingest runs.
            let alone = extract(
                st(e, "/verb"),
                "pods",
                st(e, "/objectRef/subresource"),
                uri,
                None,
                None,
            )
            .unwrap();
            assert_eq!(alone.command, want, "{uri}");
            assert_eq!(
                alone.container.as_deref().unwrap_or(""),
                py["container"],
                "{uri}"
            );
            continue;
        };
        rows += 1;
        let f = stores[*si]
            .facts(*r)
            .unwrap_or_else(|| panic!("no facts for {uri}"));
        assert_eq!(f.command().collect::<Vec<_>>(), want, "{uri}");
        assert_eq!(f.container(), py["container"].as_str().unwrap(), "{uri}");
    }
    assert!(with_command >= 9, "commands decoded: {with_command}");
    assert!(rows >= 4, "exec rows in stores: {rows}");
    // One spelled out: the OpenShift log's exec (requestURI, JSON-unescaped:
    // `...exec?command=sh&command=-c&command=cat+%2Fvar%2Flog%2Fkube-apiserver%2Faudit.log+%7C+tail+-n+100&container=kube-apiserver&stderr=true&stdout=true`).
    let s = load(
        "openshift",
        &std::fs::read(c.join("logs/openshift-clo-apiaudit-audit_in.log")).unwrap(),
    );
    let lines: Vec<String> = (0..s.len())
        .filter_map(|r| s.facts(r).filter(|f| f.has(FACT_EXEC)))
        .map(|f| f.command_line())
        .collect();
    assert!(lines
        .iter()
        .all(|l| l == "sh -c 'cat /var/log/kube-apiserver/audit.log | tail -n 100'"));
    assert!(!lines.is_empty());
}

#[test]
fn generated_log_has_a_small_share_of_facts() {
    // The generator's worker deployment is privileged with hostNetwork and a hostPath
    // /var/log; its rolebindings for worker-* are to cluster-admin (src/gen.rs `body`).
    let mut log = Vec::new();
    audit_lens::gen::generate(
        &audit_lens::gen::GenOptions {
            duration_s: 1800,
            ..Default::default()
        },
        &mut |b| log.extend_from_slice(b),
    );
    let s = load("gen", &log);
    let text = String::from_utf8(log).unwrap();
    let (mut priv_json, mut ca_json) = (0, 0);
    for (_, e) in events(&text) {
        let w = want(&e);
        priv_json += usize::from(w.privileged);
        ca_json += usize::from(w.cluster_admin);
    }
    let count = |bit| (0..s.len()).filter(|&r| s.fact_bits(r) & bit != 0).count();
    assert_eq!(count(FACT_PRIVILEGED), priv_json);
    assert_eq!(count(FACT_CLUSTER_ADMIN), ca_json);
    assert!(priv_json > 0 && ca_json > 0, "{priv_json} {ca_json}");
    let with = (0..s.len()).filter(|&r| s.facts(r).is_some()).count();
    assert!(with * 20 < s.len(), "a small share: {with} of {}", s.len());
}

#[test]
fn facts_survive_wire_absorb_rollback_and_duplicate_drop() {
    let Some(c) = corpus() else { return };
    let mut bytes = std::fs::read(c.join("logs/openshift-clo-apiaudit-audit_in.log")).unwrap();
    // With a generated half hour (privileged deployments, cluster-admin bindings).
    audit_lens::gen::generate(
        &audit_lens::gen::GenOptions {
            duration_s: 1800,
            ..Default::default()
        },
        &mut |b| bytes.extend_from_slice(b),
    );
    let direct = load("p", &bytes);
    let want = digest(&direct);
    assert!(want.iter().filter(|r| !r.ends_with('|')).count() >= 20);
    // A piece through the wire format, absorbed into a store that already has a file.
    let mut piece = Store::new();
    audit_lens::ingest::load_bytes(&mut piece, "p", &bytes);
    let piece = audit_lens::store::wire::decode(&audit_lens::store::wire::encode(&piece)).unwrap();
    let mut main = Store::new();
    let m = audit_lens::ingest::Ingester::new(&mut main, "p", bytes.len() as u64).file();
    main.absorb(&piece, m, 0);
    main.finalize();
    assert_eq!(digest(&main), want);
    // A second file rolled back leaves the first as it was.
    let mark = main.mark();
    load_chunked(&mut main, "again", &bytes, 4096);
    main.rollback(&mark);
    main.finalize();
    assert_eq!(digest(&main), want);
    // The same file again: the duplicates are dropped, the facts of the kept rows stay.
    load_chunked(&mut main, "copy", &bytes, 4096);
    main.finalize();
    main.drop_cross_file_duplicates();
    assert_eq!(digest(&main), want);
}

#[test]
fn readable_header_on_the_corpus() {
    use audit_lens::analysis::describe::{readable, verdicts};
    let Some(c) = corpus() else { return };
    // The OpenShift log's exec (requestURI quoted in the exec test above; user, agent
    // and source IP as in its line: jq '.user.username, .userAgent, .sourceIPs[0]').
    let text = std::fs::read_to_string(c.join("logs/openshift-clo-apiaudit-audit_in.log")).unwrap();
    let s = load("openshift", text.as_bytes());
    let r = (0..s.len())
        .find(|&r| s.fact_bits(r) & FACT_EXEC != 0)
        .unwrap();
    let line = text.lines().find(|l| l.contains("/exec?")).unwrap();
    let v: Value = serde_json::from_str(line).unwrap();
    let h = readable(&s, r, Some(line));
    let want = format!(
        "{} ({}, {}) exec `sh -c 'cat /var/log/kube-apiserver/audit.log | tail -n 100'` in pod openshift-kube-apiserver/kube-apiserver-oscar7 container kube-apiserver — {}",
        audit_lens::analysis::describe::short_user(st(&v, "/user/username")),
        audit_lens::analysis::describe::agent_short(st(&v, "/userAgent")),
        st(&v, "/sourceIPs/0"),
        v.pointer("/responseStatus/code").unwrap()
    );
    eprintln!("{}", h.summary);
    assert_eq!(h.summary, want);
    // RBAC's decision and reason as the annotations give them.
    let rbac = &h.verdicts[0];
    assert_eq!(rbac.source, "RBAC authorization");
    assert_eq!(
        rbac.reason,
        st(&v, "/annotations/authorization.k8s.io~1reason")
    );
    // PodSecurity annotations (pod-security.kubernetes.io/enforce-policy and
    // …/audit-violations) on the OpenShift log: each told as admission, not RBAC.
    let mut psa = 0;
    for (i, l) in text.lines().enumerate() {
        let v: Value = serde_json::from_str(l).unwrap();
        let ann = v.get("annotations").and_then(Value::as_object);
        let n = ann.map_or(0, |a| {
            a.keys()
                .filter(|k| {
                    *k == "pod-security.kubernetes.io/enforce-policy"
                        || k.ends_with("/audit-violations")
                })
                .count()
        });
        if n == 0 {
            continue;
        }
        let row = (0..s.len())
            .find(|&r| {
                s.offset(r)
                    == text
                        .lines()
                        .take(i)
                        .map(|x| x.len() as u64 + 1)
                        .sum::<u64>()
            })
            .unwrap();
        let pairs: Vec<(String, String)> = ann
            .unwrap()
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect();
        let got = verdicts(&s, row, &pairs);
        let adm: Vec<_> = got
            .iter()
            .filter(|x| x.source == "Admission: PodSecurity" && !x.denied)
            .collect();
        assert_eq!(adm.len(), n, "line {}", i + 1);
        psa += n;
    }
    assert!(psa >= 2, "PodSecurity annotations seen: {psa}");
}

#[test]
fn falco_roles_by_hand() {
    let Some(c) = corpus() else { return };
    let bits = |f: &str| {
        let s = load(
            f,
            &std::fs::read(c.join("logs/falco-k8s-audit-traces").join(f)).unwrap(),
        );
        assert_eq!(s.len(), 1, "{f}");
        s.fact_bits(0)
    };
    // rules: [{apiGroups:[""], resources:["pods/exec"], verbs:["get"]}, {nonResourceURLs…}]
    let b = bits("create_cluster_role_pod_exec.json");
    assert_ne!(b & FACT_GRANTS_EXEC, 0);
    assert_eq!(
        b & (FACT_WILDCARD_VERBS | FACT_WILDCARD_RESOURCES | FACT_GRANTS_SECRETS),
        0
    );
    // rules: [{apiGroups:[""], resources:["pods"], verbs:["*"]}, …]: a wildcard verb, but
    // no subresource: `pods` does not grant pods/exec (ResourceMatches).
    let b = bits("create_cluster_role_wildcard_verbs.json");
    assert_ne!(b & FACT_WILDCARD_VERBS, 0);
    assert_eq!(b & (FACT_GRANTS_EXEC | FACT_GRANTS_SECRETS), 0);
    // rules: [{apiGroups:[""], resources:["*"], verbs:["get","list"]}, …]: every core
    // resource readable, secrets and pods/exec (get) included.
    let b = bits("create_cluster_role_wildcard_resources.json");
    assert_ne!(b & FACT_WILDCARD_RESOURCES, 0);
    assert_ne!(b & FACT_GRANTS_SECRETS, 0);
    assert_ne!(b & FACT_GRANTS_EXEC, 0);
    // rules: [{apiGroups:[""], resources:["pods"], verbs:["get"]}, …]: nothing risky.
    assert_eq!(bits("create_cluster_role_write_privileges.json"), FACT_ROLE);
}
