//! Object history (issue 12 §5, §8): requests, versions, field changes, deleted objects'
//! manifests and the "level cannot show" sentence, on the real corpus logs, each checked
//! against a plain serde_json scan of the file's lines (or a figure worked by hand).

mod common;

use audit_lens::analysis::diff::{self, Seg};
use audit_lens::analysis::history::{self, History, ObjectRef, METADATA_ONLY};
use audit_lens::ingest::record::EventExtractor;
use audit_lens::store::Store;
use serde_json::Value;
use std::path::{Path, PathBuf};

const BIN: &str = env!("CARGO_BIN_EXE_audit-lens");

/// Loads `files` into one store (as the CLI and the page do) and returns it with the bytes.
fn load(files: &[PathBuf]) -> (Store, Vec<Vec<u8>>) {
    let mut s = Store::new();
    let mut bytes = Vec::new();
    for f in files {
        let b = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        common::load_chunked(&mut s, &f.display().to_string(), &b, 1 << 20);
        bytes.push(b);
    }
    s.finalize();
    (s, bytes)
}

/// The history of `obj`, with the event texts read back as the CLI reads them.
fn history_of(s: &Store, bytes: &[Vec<u8>], obj: &ObjectRef) -> History {
    let rows = history::rows(s, obj);
    let mut ex = EventExtractor::default();
    let texts: Vec<Option<String>> = rows
        .iter()
        .map(|&r| {
            let r = r as usize;
            let f = s.file(r) as usize;
            let (off, len) = s.record_range(r);
            let rec = &bytes[f][off as usize..off as usize + len as usize];
            ex.event((f as u32, off), rec, s.wrap_item(r))
                .ok()
                .map(|e| e.text.clone())
        })
        .collect();
    history::build(s, obj, &rows, &texts)
}

/// Every event of the JSON-lines files, parsed independently.
fn events(files: &[PathBuf]) -> Vec<Value> {
    let mut v = Vec::new();
    for f in files {
        let t = std::fs::read_to_string(f).unwrap();
        // A falco trace is one JSON document per file; the others are JSON lines.
        for l in t.lines().filter(|l| !l.trim().is_empty()) {
            v.push(serde_json::from_str::<Value>(l).unwrap());
        }
    }
    v
}

fn on(e: &Value, res: &str, ns: &str, name: &str) -> bool {
    let o = &e["objectRef"];
    o["resource"] == res
        && o["namespace"].as_str().unwrap_or("") == ns
        && o["name"].as_str() == Some(name)
}

/// The events of one object grouped by auditID, in order of requestReceivedTimestamp.
fn by_request<'a>(ev: &'a [Value], res: &str, ns: &str, name: &str) -> Vec<Vec<&'a Value>> {
    let mut sel: Vec<&Value> = ev.iter().filter(|e| on(e, res, ns, name)).collect();
    // v1beta1 events carry `timestamp` instead of `requestReceivedTimestamp`.
    sel.sort_by_key(|e| received(e).to_string());
    let mut out: Vec<Vec<&Value>> = Vec::new();
    for e in sel {
        match out.iter_mut().find(|g| g[0]["auditID"] == e["auditID"]) {
            Some(g) => g.push(e),
            None => out.push(vec![e]),
        }
    }
    out
}

fn received(e: &Value) -> &str {
    e.get("requestReceivedTimestamp")
        .or_else(|| e.get("timestamp"))
        .and_then(Value::as_str)
        .unwrap()
}

fn corpus_file(rel: &str) -> Option<PathBuf> {
    common::corpus().map(|c| c.join(rel))
}

const OPENSHIFT: &str = "logs/openshift-clo-apiaudit-audit_in.log";
const FALCO: &str = "logs/falco-k8s-audit-traces";

#[test]
fn parse_names_objects_as_kubectl_does() {
    let o = ObjectRef::parse(
        "leases.coordination.k8s.io/strimzi-cluster-operator",
        Some("kafka"),
    )
    .unwrap();
    assert_eq!(o.resource, "leases");
    assert_eq!(o.group.as_deref(), Some("coordination.k8s.io"));
    assert_eq!(o.namespace.as_deref(), Some("kafka"));
    assert_eq!(o.name, "strimzi-cluster-operator");
    // kubectl's RESOURCE.VERSION.GROUP (apimachinery schema.ParseResourceArg).
    let o = ObjectRef::parse("deployments.v1.apps/web", None).unwrap();
    assert_eq!(
        (o.resource.as_str(), o.group.as_deref()),
        ("deployments", Some("apps"))
    );
    // No group: any group (kubectl would find it by discovery); no namespace: any.
    let o = ObjectRef::parse("pods/web", None).unwrap();
    assert_eq!((o.group, o.namespace), (None, None));
    // Names keep their colons (system:kube-aggregator).
    let o = ObjectRef::parse("clusterroles/system:kube-aggregator", None).unwrap();
    assert_eq!(o.name, "system:kube-aggregator");
    for (bad, says) in [
        ("pods", "RESOURCE[.GROUP]/NAME"),
        ("/web", "resource before '/' is missing"),
        ("pods/", "name after '/' is missing"),
        ("pods/web/exec", "subresource"),
        ("po ds/web", "not a resource name"),
        ("pods.a_b/web", "not an API group"),
    ] {
        let e = ObjectRef::parse(bad, None).unwrap_err();
        assert!(e.contains(says), "{bad}: {e}");
    }
    assert!(ObjectRef::parse("pods/web", Some(""))
        .unwrap_err()
        .contains("namespace"));
}

/// The `kafka/strimzi-cluster-operator` lease: a get, then a patch that renews it.
#[test]
fn openshift_lease_requests_and_renew_time() {
    let Some(f) = corpus_file(OPENSHIFT) else {
        return;
    };
    let (s, bytes) = load(std::slice::from_ref(&f));
    let obj = ObjectRef::parse(
        "leases.coordination.k8s.io/strimzi-cluster-operator",
        Some("kafka"),
    )
    .unwrap();
    let h = history_of(&s, &bytes, &obj);
    // Independent: the file's lines on that objectRef, grouped by auditID, time order.
    let ev = events(std::slice::from_ref(&f));
    let want = by_request(&ev, "leases", "kafka", "strimzi-cluster-operator");
    assert_eq!(
        want.len(),
        2,
        "the corpus has a get and a patch of the lease"
    );
    assert_eq!(h.requests.len(), want.len());
    for (q, w) in h.requests.iter().zip(&want) {
        let last = w.last().unwrap();
        assert_eq!(q.audit_id, last["auditID"].as_str().unwrap());
        assert_eq!(q.verb, last["verb"].as_str().unwrap());
        assert_eq!(q.user, last["user"]["username"].as_str().unwrap());
        assert_eq!(
            q.code as u64,
            last["responseStatus"]["code"].as_u64().unwrap()
        );
        assert_eq!(q.stages.len(), w.len());
        assert_eq!(q.time(), last["requestReceivedTimestamp"].as_str().unwrap());
    }
    assert_eq!(
        h.requests
            .iter()
            .map(|q| q.verb.as_str())
            .collect::<Vec<_>>(),
        ["get", "patch"]
    );
    // renewTime before → after: the get's response, then the patch's response.
    let before = &want[0][0]["responseObject"]["spec"]["renewTime"];
    let after = &want[1][0]["responseObject"]["spec"]["renewTime"];
    assert_ne!(before, after);
    let c = h
        .changes
        .iter()
        .find(|c| c.path == "spec.renewTime")
        .expect("renewTime change");
    assert_eq!(c.audit_id, want[1][0]["auditID"].as_str().unwrap());
    assert_eq!(c.kind, "changed");
    assert_eq!(c.from.as_deref(), Some(before.to_string().as_str()));
    assert_eq!(c.to.as_deref(), Some(after.to_string().as_str()));
    // Every other field of spec is the same in both responses: renewTime is the only
    // spec change (checked on the raw objects).
    let (a, b) = (
        want[0][0]["responseObject"]["spec"].as_object().unwrap(),
        want[1][0]["responseObject"]["spec"].as_object().unwrap(),
    );
    let differing: Vec<&String> = a.keys().filter(|k| a[*k] != b[*k]).collect();
    let spec_changes: Vec<&str> = h
        .changes
        .iter()
        .filter(|c| c.path.starts_with("spec."))
        .map(|c| c.path.as_str())
        .collect();
    assert_eq!(differing, ["renewTime"]);
    assert_eq!(spec_changes, ["spec.renewTime"]);
    // The file carries no managedFields (OpenShift's forwarder drops them; scanned here),
    // so no manager can be named.
    assert!(ev.iter().all(|e| e["responseObject"]["metadata"]
        .get("managedFields")
        .is_none()));
    assert!(h.changes.iter().all(|c| c.managers.is_empty()));
    // The patch as sent is its requestObject, and the patch type is said to be unknown.
    let sent: Value = serde_json::from_str(h.requests[1].patch.as_deref().unwrap()).unwrap();
    assert_eq!(sent, want[1][0]["requestObject"]);
    assert!(h.notes.iter().any(|n| n == history::PATCH_TYPE_NOTE));
    assert_eq!(h.versions.len(), 2);
    assert!(h.deleted.is_none() && h.last_manifest.is_none());
}

/// A pod seen by a get, inside a list of its namespace and in an exec (subresource).
#[test]
fn openshift_pod_list_item_and_exec() {
    let Some(f) = corpus_file(OPENSHIFT) else {
        return;
    };
    let (s, bytes) = load(std::slice::from_ref(&f));
    let obj = ObjectRef::parse(
        "pods/kube-apiserver-oscar7",
        Some("openshift-kube-apiserver"),
    )
    .unwrap();
    let h = history_of(&s, &bytes, &obj);
    let ev = events(std::slice::from_ref(&f));
    // Independent: the events naming the pod, plus the lists whose items hold it.
    let mut want: Vec<(&str, &str)> = ev
        .iter()
        .filter(|e| {
            on(
                e,
                "pods",
                "openshift-kube-apiserver",
                "kube-apiserver-oscar7",
            ) || (e["verb"] == "list"
                && e["objectRef"]["resource"] == "pods"
                && e["responseObject"]["items"].as_array().is_some_and(|i| {
                    i.iter()
                        .any(|p| p["metadata"]["name"] == "kube-apiserver-oscar7")
                }))
        })
        .map(|e| {
            (
                e["requestReceivedTimestamp"].as_str().unwrap(),
                e["verb"].as_str().unwrap(),
            )
        })
        .collect();
    want.sort();
    let got: Vec<(String, &str)> = h
        .requests
        .iter()
        .map(|q| (q.time(), q.verb.as_str()))
        .collect();
    assert_eq!(
        got.iter()
            .map(|(t, v)| (t.as_str(), *v))
            .collect::<Vec<_>>(),
        want
    );
    // The list's item is the object the get before it returned (same resourceVersion,
    // same body once the list's kind is given to the item): the same version.
    let list = h.requests.iter().find(|q| q.list).expect("the list");
    let get = h.requests.iter().find(|q| q.verb == "get").unwrap();
    assert!(list.version.is_some());
    assert_eq!(list.version, get.version);
    let exec = h.requests.iter().find(|q| q.subresource == "exec").unwrap();
    assert_eq!((exec.verb.as_str(), exec.code), ("create", 101));
    assert!(exec.version.is_none());
    // The list item gets its kind from the list (PodList → Pod): no apiVersion/kind
    // "change" between the list item and the get.
    assert!(h
        .changes
        .iter()
        .all(|c| c.path != "kind" && c.path != "apiVersion"));
}

/// The falco traces: a ClusterRole created three times with different rules (each create
/// after a delete), and a multi-field change between the last two.
#[test]
fn falco_clusterrole_multi_field_change() {
    let Some(dir) = corpus_file(FALCO) else {
        return;
    };
    let files: Vec<PathBuf> = [
        "create_clusterrole.json",
        "create_cluster_role_wildcard_verbs.json",
        "create_cluster_role_wildcard_resources.json",
        "delete_clusterrole.json",
    ]
    .iter()
    .map(|n| dir.join(n))
    .collect();
    let (s, bytes) = load(&files);
    let obj = ObjectRef::parse("clusterroles.rbac.authorization.k8s.io/some-reader", None).unwrap();
    let h = history_of(&s, &bytes, &obj);
    let ev = events(&files);
    let want = by_request(&ev, "clusterroles", "", "some-reader");
    assert_eq!(h.requests.len(), want.len());
    let creates: Vec<&Value> = want
        .iter()
        .filter(|g| g[0]["verb"] == "create")
        .map(|g| &g[0]["responseObject"])
        .collect();
    assert_eq!(creates.len(), 3);
    // The last create differs from the one before in rules[0].verbs and .resources.
    let (a, b) = (&creates[1]["rules"][0], &creates[2]["rules"][0]);
    let last = &h.requests.last().unwrap().audit_id;
    let third = h
        .requests
        .iter()
        .rev()
        .find(|q| q.verb == "create")
        .unwrap();
    let ch: Vec<(&str, Value, Value)> = h
        .changes
        .iter()
        .filter(|c| c.audit_id == third.audit_id && c.path.starts_with("rules"))
        .map(|c| {
            (
                c.path.as_str(),
                serde_json::from_str(c.from.as_deref().unwrap()).unwrap(),
                serde_json::from_str(c.to.as_deref().unwrap()).unwrap(),
            )
        })
        .collect();
    let mut expect = Vec::new();
    for k in ["resources", "verbs"] {
        if a[k] != b[k] {
            expect.push((k, a[k].clone(), b[k].clone()));
        }
    }
    assert_eq!(expect.len(), 2, "both fields differ in the corpus");
    assert_eq!(
        ch,
        expect
            .iter()
            .map(|(k, x, y)| (
                if *k == "verbs" {
                    "rules[0].verbs"
                } else {
                    "rules[0].resources"
                },
                x.clone(),
                y.clone()
            ))
            .collect::<Vec<_>>()
    );
    let _ = last;
    // A re-creation shows in the uid.
    assert!(h
        .changes
        .iter()
        .any(|c| c.audit_id == third.audit_id && c.path == "metadata.uid"));
}

/// A ConfigMap created then deleted: its last manifest is the create's response, as YAML.
#[test]
fn falco_deleted_configmap_last_manifest() {
    let Some(dir) = corpus_file(FALCO) else {
        return;
    };
    let files = vec![
        dir.join("create_configmap.json"),
        dir.join("delete_configmap.json"),
    ];
    let (s, bytes) = load(&files);
    let obj = ObjectRef::parse("configmaps/my-config", Some("default")).unwrap();
    let h = history_of(&s, &bytes, &obj);
    let ev = events(&files);
    let want = by_request(&ev, "configmaps", "default", "my-config");
    assert_eq!(
        h.requests
            .iter()
            .map(|q| q.verb.as_str())
            .collect::<Vec<_>>(),
        ["create", "delete"]
    );
    let d = h.deleted.as_ref().expect("deleted");
    assert_eq!(d.audit_id, want[1][0]["auditID"].as_str().unwrap());
    // The delete answered with a Status (not the object): the manifest is the create's.
    assert_eq!(want[1][0]["responseObject"]["kind"], "Status");
    let yaml = h.last_manifest.as_deref().expect("last manifest");
    let back: Value = serde_yaml::from_str(yaml).unwrap();
    let mut expect = want[0][0]["responseObject"].clone();
    if let Some(m) = expect["metadata"].as_object_mut() {
        m.remove("managedFields");
    }
    assert_eq!(back, expect);
    assert!(yaml.contains("color.good=purple"));
}

/// A Secret logged at Metadata level only (as policies usually log secrets).
#[test]
fn falco_metadata_only_secret_says_so() {
    let Some(dir) = corpus_file(FALCO) else {
        return;
    };
    let files = vec![
        dir.join("create_secret.json"),
        dir.join("delete_secret.json"),
    ];
    let ev = events(&files);
    assert!(ev.iter().all(|e| e["level"] == "Metadata"));
    let (s, bytes) = load(&files);
    let obj = ObjectRef::parse("secrets/example-secret", Some("default")).unwrap();
    let h = history_of(&s, &bytes, &obj);
    assert_eq!(h.requests.len(), 2);
    assert!(h.versions.is_empty() && h.changes.is_empty());
    assert_eq!(h.notes, [METADATA_ONLY]);
    let create = &h.requests[0];
    assert!(create.note.as_deref().unwrap().contains("Metadata level"));
    // Deleted, but nothing to show of it.
    assert!(h.deleted.is_some() && h.last_manifest.is_none());
}

/// The audit2rbac demo log: a RoleBinding's requests logged in two stages each
/// (RequestReceived and ResponseComplete), folded to one request per auditID.
#[test]
fn audit2rbac_stages_fold_into_requests() {
    let Some(f) = corpus_file("logs/audit2rbac-demo-original-v1beta1.log") else {
        return;
    };
    let (s, bytes) = load(std::slice::from_ref(&f));
    let obj = ObjectRef::parse("rolebindings/audit2rbac:bob", Some("default")).unwrap();
    let h = history_of(&s, &bytes, &obj);
    let ev = events(std::slice::from_ref(&f));
    let want = by_request(&ev, "rolebindings", "default", "audit2rbac:bob");
    assert!(want.iter().any(|g| g.len() == 2));
    assert_eq!(h.requests.len(), want.len());
    for (q, w) in h.requests.iter().zip(&want) {
        assert_eq!(q.audit_id, w[0]["auditID"].as_str().unwrap());
        let mut st: Vec<&str> = w.iter().map(|e| e["stage"].as_str().unwrap()).collect();
        st.sort_by_key(|x| {
            [
                "RequestReceived",
                "ResponseStarted",
                "ResponseComplete",
                "Panic",
            ]
            .iter()
            .position(|y| y == x)
        });
        assert_eq!(q.stages, st);
        assert_eq!(q.verb, w[0]["verb"].as_str().unwrap());
    }
    assert_eq!(h.notes, [METADATA_ONLY]);
}

fn yaml_doc(p: &Path) -> Value {
    let t = std::fs::read_to_string(p).unwrap();
    let y: serde_yaml::Value = serde_yaml::from_str(&t).unwrap();
    serde_json::to_value(y).unwrap()
}

/// managedFields attribution on real bodies with managedFields (KHI's test logs), checked
/// by hand against their `fieldsV1`. The encoding (k8s.io/apimachinery meta/v1 `FieldsV1`,
/// defined by sigs.k8s.io/structured-merge-diff `fieldpath`): `f:<name>` a field or map key,
/// `k:<json>` a list item by its key fields, `v:<json>` a set item by value, `i:<n>` an item
/// by position, `.` the field itself; `{}` a leaf.
#[test]
fn managed_fields_name_the_manager() {
    let Some(dir) = corpus_file("realworld/logs") else {
        return;
    };
    // A Lease update by kube-scheduler: fieldsV1 `f:spec: {f:renewTime: {}, ...}` under
    // `manager: kube-scheduler, operation: Update`.
    let ev = yaml_doc(&dir.join("khi-test-logs-oss-test-log.event.yaml"));
    let lease = &ev["responseObject"];
    let seg = |s: &str| Seg::Field(s.to_string());
    assert_eq!(
        diff::owners(lease, &[seg("spec"), seg("renewTime")]),
        [("kube-scheduler".to_string(), "Update".to_string())]
    );
    assert!(diff::owners(lease, &[seg("metadata"), seg("labels")]).is_empty());
    // A Pod created by kube-controller-manager (GKE log entry): containers by
    // `k:{"name":"nginx"}`, ports by `k:{"containerPort":80,"protocol":"TCP"}`, labels by
    // `f:labels: {f:app}`.
    let e = yaml_doc(
        &dir.join("khi-test-logs-k8s_audit-container_recorder_test_1_1.gke-logentry.yaml"),
    );
    let pod = &e["protoPayload"]["response"];
    let kcm = [("kube-controller-manager".to_string(), "Update".to_string())];
    let image = [
        seg("spec"),
        seg("containers"),
        Seg::Name("nginx".into()),
        seg("image"),
    ];
    assert_eq!(diff::owners(pod, &image), kcm);
    assert_eq!(
        diff::owners(pod, &[seg("metadata"), seg("labels"), seg("app")]),
        kcm
    );
    let port = [
        seg("spec"),
        seg("containers"),
        Seg::Name("nginx".into()),
        seg("ports"),
        Seg::Index(0),
        seg("containerPort"),
    ];
    assert_eq!(
        pod["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "nginx")
            .unwrap()["ports"][0]["containerPort"],
        80
    );
    assert_eq!(diff::owners(pod, &port), kcm);
    // A container the fieldsV1 does not list, and a field not under nginx.
    let other = [
        seg("spec"),
        seg("containers"),
        Seg::Name("sidecar".into()),
        seg("image"),
    ];
    assert!(diff::owners(pod, &other).is_empty());
    let args = [
        seg("spec"),
        seg("containers"),
        Seg::Name("nginx".into()),
        seg("args"),
    ];
    assert!(diff::owners(pod, &args).is_empty());
    assert_eq!(diff::path_text(&image), "spec.containers[name=nginx].image");
    assert_eq!(
        diff::path_text(&[
            seg("metadata"),
            seg("labels"),
            seg("app.kubernetes.io/name")
        ]),
        "metadata.labels[\"app.kubernetes.io/name\"]"
    );
}

/// The structured diff on two real objects: the two KHI Lease bodies (request as sent and
/// response), which differ in resourceVersion and the managedFields time only; the latter
/// is left out.
#[test]
fn diff_leaves_managed_fields_out() {
    let Some(dir) = corpus_file("realworld/logs") else {
        return;
    };
    let ev = yaml_doc(&dir.join("khi-test-logs-oss-test-log.event.yaml"));
    let (a, b) = (&ev["requestObject"], &ev["responseObject"]);
    let d = diff::diff(a, b);
    // Independent: the top-level metadata keys whose values differ, managedFields aside.
    let (ma, mb) = (
        a["metadata"].as_object().unwrap(),
        b["metadata"].as_object().unwrap(),
    );
    let mut want: Vec<String> = ma
        .keys()
        .chain(mb.keys())
        .filter(|k| *k != "managedFields" && ma.get(*k) != mb.get(*k))
        .map(|k| format!("metadata.{k}"))
        .collect();
    want.dedup();
    for k in ["spec", "status"] {
        if a.get(k) != b.get(k) {
            want.push(k.to_string());
        }
    }
    let got: Vec<String> = d.iter().map(|x| x.path()).collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
}

/// `audit-lens history --json` on the lease, against the raw file.
#[test]
fn cli_history_json_on_the_lease() {
    let Some(f) = corpus_file(OPENSHIFT) else {
        return;
    };
    let out = std::process::Command::new(BIN)
        .args([
            "history",
            "--json",
            "-n",
            "kafka",
            "leases.coordination.k8s.io/strimzi-cluster-operator",
        ])
        .arg(&f)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ev = events(std::slice::from_ref(&f));
    let want = by_request(&ev, "leases", "kafka", "strimzi-cluster-operator");
    assert_eq!(j["object"]["resource"], "leases");
    assert_eq!(j["object"]["group"], "coordination.k8s.io");
    assert_eq!(j["object"]["namespace"], "kafka");
    assert_eq!(j["object"]["name"], "strimzi-cluster-operator");
    let reqs = j["requests"].as_array().unwrap();
    assert_eq!(reqs.len(), want.len());
    for (q, w) in reqs.iter().zip(&want) {
        let e = w.last().unwrap();
        assert_eq!(q["auditID"], e["auditID"]);
        assert_eq!(q["stage"], e["stage"]);
        assert_eq!(q["verb"], e["verb"]);
        assert_eq!(q["user"], e["user"]["username"]);
        assert_eq!(q["impersonatedUser"], Value::Null);
        assert_eq!(q["code"], e["responseStatus"]["code"]);
        assert_eq!(q["time"], e["requestReceivedTimestamp"]);
    }
    let c = j["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == "spec.renewTime")
        .unwrap();
    assert_eq!(c["auditID"], want[1][0]["auditID"]);
    assert_eq!(c["from"], want[0][0]["responseObject"]["spec"]["renewTime"]);
    assert_eq!(c["to"], want[1][0]["responseObject"]["spec"]["renewTime"]);
    assert_eq!(c["manager"], Value::Null);
    // Bad input: a clear message and exit 1, no panic.
    let bad = std::process::Command::new(BIN)
        .args(["history", "leases"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("RESOURCE[.GROUP]/NAME"));
}

/// A name without a namespace that exists in several is refused with the candidates.
#[test]
fn cli_history_ambiguous_name() {
    let Some(dir) = corpus_file(FALCO) else {
        return;
    };
    // `myacct` ServiceAccounts in default, kube-public and kube-system.
    let out = std::process::Command::new(BIN)
        .args(["history", "serviceaccounts/myacct"])
        .arg(dir.join("create_serviceaccount.json"))
        .arg(dir.join("create_serviceaccount_kube_public_namespace.json"))
        .arg(dir.join("create_serviceaccount_kube_system_namespace.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("names 3 objects"), "{e}");
    assert!(e.contains("serviceaccounts/myacct -n kube-public"), "{e}");
}

/// Benchmark, not a test (`--ignored --nocapture`): `rows` and `build` at a million
/// generated events, for the object with the most events and for a typical one, the whole
/// history and, as the page does, its latest 2,000 events. Prints figures; asserts nothing
/// about time.
#[test]
#[ignore]
fn bench_history_at_a_million_events() {
    use audit_lens::gen::{generate, GenOptions};
    use audit_lens::store::Dim;
    use std::time::Instant;
    let o = GenOptions {
        duration_s: 0,
        max_bytes: 3_000_000_000,
        ..GenOptions::default()
    };
    let target = 1_000_000usize;
    let mut bytes = Vec::new();
    let mut lines = 0usize;
    generate(&o, &mut |b| {
        if lines < target {
            lines += memchr::memchr_iter(b'\n', b).count();
            bytes.extend_from_slice(b);
        }
    });
    let cut = memchr::memchr_iter(b'\n', &bytes)
        .nth(target - 1)
        .unwrap_or(bytes.len() - 1);
    bytes.truncate(cut + 1);
    let s = common::load("gen.log", &bytes);
    println!("events: {} ({} MB)", s.len(), bytes.len() >> 20);
    let mut n: std::collections::HashMap<u32, usize> = Default::default();
    for r in 0..s.len() {
        *n.entry(s.sym(Dim::Name, r)).or_default() += 1;
    }
    let mut by: Vec<(usize, u32)> = n.into_iter().map(|(k, v)| (v, k)).collect();
    by.sort_unstable_by(|a, b| b.cmp(a));
    let files = vec![bytes];
    let pick = |id: u32| {
        (0..s.len())
            .find(|&r| s.sym(Dim::Name, r) == id && ObjectRef::of_row(&s, r).is_some())
            .and_then(|r| ObjectRef::of_row(&s, r))
    };
    let busiest = by.iter().find_map(|&(_, id)| pick(id)).unwrap();
    let typical = by[by.len() / 2..]
        .iter()
        .find_map(|&(_, id)| pick(id))
        .unwrap();
    for obj in [busiest, typical] {
        let t = Instant::now();
        let rows = history::rows(&s, &obj);
        let t_rows = t.elapsed();
        let t = Instant::now();
        let h = history_of(&s, &files, &obj);
        let t_all = t.elapsed();
        // As the page: rows, the latest 2,000, their bodies read, built.
        let t = Instant::now();
        let mut rows2 = history::rows(&s, &obj);
        rows2.drain(..rows2.len().saturating_sub(2000));
        let mut ex = EventExtractor::default();
        let texts: Vec<Option<String>> = rows2
            .iter()
            .map(|&r| {
                history::wants_text(&s, r).then(|| {
                    let (off, len) = s.record_range(r as usize);
                    let rec = &files[0][off as usize..off as usize + len as usize];
                    ex.event((0, off), rec, None).unwrap().text.clone()
                })
            })
            .collect();
        let h2 = history::build(&s, &obj, &rows2, &texts);
        let t_page = t.elapsed();
        println!(
            "{}: {} events; rows() {:.1} ms; whole history {:.1} ms ({} requests, {} versions, {} changes); as the page (latest 2,000) {:.1} ms ({} requests)",
            obj.display(),
            rows.len(),
            t_rows.as_secs_f64() * 1e3,
            t_all.as_secs_f64() * 1e3,
            h.requests.len(),
            h.versions.len(),
            h.changes.len(),
            t_page.as_secs_f64() * 1e3,
            h2.requests.len(),
        );
    }
}

/// The name index (built once per store, as the page's worker keeps it) finds exactly the
/// rows the full scan finds, for every object of the OpenShift log, the Falco traces and a
/// generated log (lists included), so a history opened in the page is the CLI's.
#[test]
fn name_index_finds_what_the_scan_finds() {
    use audit_lens::analysis::history::{rows_with, NameIndex};
    use audit_lens::store::Dim;
    let Some(c) = common::corpus() else {
        return;
    };
    let mut gen = Vec::new();
    audit_lens::gen::generate(
        &audit_lens::gen::GenOptions {
            duration_s: 900,
            ..Default::default()
        },
        &mut |b| gen.extend_from_slice(b),
    );
    let mut stores = vec![common::load("gen.log", &gen)];
    for f in [
        "logs/openshift-clo-apiaudit-audit_in.log",
        "logs/audit2rbac-demo-original-v1beta1.log",
    ] {
        stores.push(common::load(f, &std::fs::read(c.join(f)).unwrap()));
    }
    let mut objects = 0;
    for s in &stores {
        let ix = NameIndex::build(s);
        let mut seen = std::collections::HashSet::new();
        for r in 0..s.len() {
            let Some(obj) = ObjectRef::of_row(s, r) else {
                continue;
            };
            if !seen.insert(format!("{obj:?}")) {
                continue;
            }
            objects += 1;
            let want = history::rows(s, &obj);
            assert!(want.contains(&(r as u32)), "{obj:?}: its own row");
            assert_eq!(rows_with(s, &obj, Some(&ix)), want, "{obj:?}");
        }
    }
    assert!(objects > 50, "{objects} objects");
    // Lists with a body are in these logs (the index keeps them apart, merged back).
    assert!(stores
        .iter()
        .any(|s| (0..s.len()).any(|r| s.str(Dim::Name, r).is_empty()
            && s.str(Dim::Verb, r) == "list"
            && s.response_object_size(r) > 0)));
}
