//! `audit-lens export --redact` on a log made of real corpus events (the OpenShift API
//! audit sample and falco's traces) with planted secrets, tokens and names. Checked
//! independently: every planted original (and its base64 form) searched byte-wise in the
//! output; pseudonyms compared across events and runs; the output read back by a plain
//! serde_json scan and by the engine (`stats --json`), with the same events, verbs,
//! resources and codes.
//!
//! Where the planted values sit follows the Kubernetes API types (k8s.io/api):
//! `core/v1` Secret `data` (base64 bytes) and `stringData`; `authentication/v1`
//! TokenReview `spec.token`, `status.user`, TokenRequest `status.token`;
//! `certificates/v1` CertificateSigningRequest `spec.request`, `spec.username`,
//! `status.certificate`; `rbac/v1` Subject `kind`/`name`/`namespace`; and k8s.io/apiserver
//! `pkg/authentication/serviceaccount` for `system:serviceaccount:NS:NAME` user names.

#![cfg(not(target_arch = "wasm32"))]

mod common;

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_audit-lens");

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("audit-lens-redact-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn b64(s: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in s.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

const USER: &str = "alice.planted@example.com";
const GROUP: &str = "planted-admins";
const SA_NS: &str = "planted-ns";
const SA: &str = "planted-sa";
const IP: &str = "10.66.77.88";
const NODE: &str = "planted-node-7";
const TR_USER: &str = "tokenreview-planted-user";
const CSR_USER: &str = "csr-planted-user";
const BOUND_USER: &str = "bound-planted-user";

const PASSWORD: &str = "PlantedPassw0rd!";
const STRING_DATA: &str = "PlantedStringDataValue";
const JWT1: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6InBsYW50ZWQifQ.eyJzdWIiOiJwbGFudGVkLXN1YmplY3QifQ.c2lnbmF0dXJlcGxhbnRlZA";
const JWT2: &str = "eyJhbGciOiJSUzI1NiJ9.eyJ0b2tlbnJlcXVlc3QiOiJwbGFudGVkIn0.dG9rZW5yZXF1ZXN0c2ln";
const CSR_PEM: &str =
    "-----BEGIN CERTIFICATE REQUEST-----\nMIIPlantedCsrBody\n-----END CERTIFICATE REQUEST-----\n";
const CERT_PEM: &str =
    "-----BEGIN CERTIFICATE-----\nMIIPlantedCertBody\n-----END CERTIFICATE-----\n";
const KEY_DATA: &str = "LS0tPlantedClientKeyData";
const KUBE_TOKEN: &str = "plantedkubeconfigtoken123";
const PRIVATE_BODY: &str = "MIIEPlantedPrivateKeyBody";
const AWS: &str = "AKIAPLANTED123456789";
const GITHUB: &str = "ghp_PlantedGithubToken0123456789abcd";
const SLACK: &str = "xoxb-planted-slack-token-1234";
const URL_PASS: &str = "PlantedUrlPass";
const QUERY_PASS: &str = "PlantedQueryPass";
const BEARER: &str = "PlantedBearerToken123";
const LAST_APPLIED: &str = "PlantedLastAppliedSecret";

/// Every planted original that must not survive (plus falco's `MY-KEY`, a real
/// ConfigMap credential of the corpus).
fn originals(names_too: bool) -> Vec<String> {
    let mut v: Vec<String> = [
        USER,
        GROUP,
        SA,
        IP,
        NODE,
        TR_USER,
        CSR_USER,
        BOUND_USER,
        PASSWORD,
        STRING_DATA,
        JWT1,
        JWT2,
        KEY_DATA,
        KUBE_TOKEN,
        PRIVATE_BODY,
        AWS,
        GITHUB,
        SLACK,
        URL_PASS,
        QUERY_PASS,
        BEARER,
        LAST_APPLIED,
        "MIIPlantedCsrBody",
        "MIIPlantedCertBody",
        "MY-KEY",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if names_too {
        v.push(SA_NS.into());
        v.push("planted-db-creds".into());
    }
    v
}

/// The test log: every event of the OpenShift sample and of some falco traces, with
/// planted values put into copies of real events.
fn planted_log(c: &Path) -> String {
    let mut events: Vec<Value> = Vec::new();
    let read = |p: &str| -> Vec<Value> {
        std::fs::read_to_string(c.join(p))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let openshift = read("logs/openshift-clo-apiaudit-audit_in.log");
    let secret = read("logs/falco-k8s-audit-traces/create_secret.json");
    let cm = read("logs/falco-k8s-audit-traces/create_configmap_sensitive_values.json");
    let sa = read("logs/falco-k8s-audit-traces/create_serviceaccount.json");
    events.extend(openshift.iter().cloned());
    events.extend(cm.iter().cloned());

    // A Secret created by the planted user with bodies (falco's create_secret at
    // RequestResponse), from the planted IP, impersonating the planted SA.
    let mut e = secret[0].clone();
    e["level"] = json!("RequestResponse");
    e["user"] = json!({"username": USER, "groups": [GROUP, "system:authenticated"]});
    e["impersonatedUser"] = json!({"username": format!("system:serviceaccount:{SA_NS}:{SA}"), "groups": ["system:serviceaccounts", format!("system:serviceaccounts:{SA_NS}")]});
    e["sourceIPs"] = json!([IP, "127.0.0.1"]);
    e["objectRef"]["namespace"] = json!(SA_NS);
    e["objectRef"]["name"] = json!("planted-db-creds");
    e["requestURI"] = json!(format!("/api/v1/namespaces/{SA_NS}/secrets"));
    let last = json!({"apiVersion":"v1","kind":"Secret","metadata":{"name":"planted-db-creds","namespace":SA_NS},"data":{"old": b64(LAST_APPLIED.as_bytes())}}).to_string();
    let body = json!({
        "kind": "Secret", "apiVersion": "v1",
        "metadata": {"name": "planted-db-creds", "namespace": SA_NS,
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": last}},
        "type": "Opaque",
        "data": {"password": b64(PASSWORD.as_bytes())},
        "stringData": {"apikey": STRING_DATA}
    });
    e["requestObject"] = body.clone();
    e["responseObject"] = body;
    e["annotations"]["authorization.k8s.io/reason"] = json!(format!(
        "RBAC: allowed by ClusterRoleBinding \"x\" of ClusterRole \"edit\" to User \"{USER}\""
    ));
    events.push(e.clone());

    // A list of secrets by the same user: SecretList items (no kind).
    let mut l = e.clone();
    l["verb"] = json!("list");
    l["auditID"] = json!("11111111-2222-3333-4444-555555555555");
    l["responseStatus"]["code"] = json!(200);
    l["requestObject"] = Value::Null;
    l["responseObject"] = json!({"kind":"SecretList","apiVersion":"v1","items":[
        {"metadata":{"name":"planted-db-creds","namespace":SA_NS},"data":{"password": b64(PASSWORD.as_bytes())}}]});
    events.push(l);

    // A JSON patch on the secret.
    let mut p = e.clone();
    p["verb"] = json!("patch");
    p["auditID"] = json!("11111111-2222-3333-4444-555555555556");
    p["requestObject"] =
        json!([{"op":"replace","path":"/data/password","value": b64(PASSWORD.as_bytes())}]);
    p["responseObject"] = Value::Null;
    events.push(p);

    // TokenReview: the token and the user it names.
    let mut t = sa[0].clone();
    t["auditID"] = json!("11111111-2222-3333-4444-555555555557");
    t["level"] = json!("RequestResponse");
    t["user"] = json!({"username": format!("system:serviceaccount:{SA_NS}:{SA}"), "uid": "6d1d2c4e-1111-2222-3333-444455556666",
        "extra": {"authentication.kubernetes.io/credential-id": ["JTI=planted-jti-0001"], "authentication.kubernetes.io/node-name": [NODE]}});
    t["objectRef"] =
        json!({"resource":"tokenreviews","apiGroup":"authentication.k8s.io","apiVersion":"v1"});
    t["requestURI"] = json!("/apis/authentication.k8s.io/v1/tokenreviews");
    let tr = json!({"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1",
        "spec":{"token": JWT1},
        "status":{"authenticated":true,"user":{"username": TR_USER,"groups":[GROUP]}}});
    t["requestObject"] = tr.clone();
    t["responseObject"] = tr;
    events.push(t);

    // TokenRequest for the planted SA.
    let mut q = sa[0].clone();
    q["auditID"] = json!("11111111-2222-3333-4444-555555555558");
    q["level"] = json!("RequestResponse");
    q["objectRef"] = json!({"resource":"serviceaccounts","subresource":"token","namespace":SA_NS,"name":SA,"apiVersion":"v1"});
    q["requestURI"] = json!(format!(
        "/api/v1/namespaces/{SA_NS}/serviceaccounts/{SA}/token"
    ));
    q["requestObject"] = json!({"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","spec":{"audiences":["api"]}});
    q["responseObject"] = json!({"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","metadata":{"name":SA,"namespace":SA_NS},"status":{"token":JWT2,"expirationTimestamp":"2030-01-01T00:00:00Z"}});
    events.push(q);

    // A CSR with its request and certificate; a binding to the planted user, group and SA.
    let mut r = sa[0].clone();
    r["auditID"] = json!("11111111-2222-3333-4444-555555555559");
    r["level"] = json!("RequestResponse");
    r["objectRef"] = json!({"resource":"certificatesigningrequests","apiGroup":"certificates.k8s.io","name":"csr-1","apiVersion":"v1"});
    r["requestURI"] = json!("/apis/certificates.k8s.io/v1/certificatesigningrequests");
    r["responseObject"] = json!({"kind":"CertificateSigningRequest","apiVersion":"certificates.k8s.io/v1","metadata":{"name":"csr-1"},
        "spec":{"request": b64(CSR_PEM.as_bytes()),"username": CSR_USER,"groups":[GROUP],"signerName":"kubernetes.io/kube-apiserver-client"},
        "status":{"certificate": b64(CERT_PEM.as_bytes())}});
    events.push(r);
    let mut bnd = sa[0].clone();
    bnd["auditID"] = json!("11111111-2222-3333-4444-555555555560");
    bnd["level"] = json!("RequestResponse");
    bnd["objectRef"] = json!({"resource":"clusterrolebindings","apiGroup":"rbac.authorization.k8s.io","name":"b","apiVersion":"v1"});
    bnd["requestObject"] = json!({"kind":"ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"b"},
        "roleRef":{"kind":"ClusterRole","name":"admin","apiGroup":"rbac.authorization.k8s.io"},
        "subjects":[{"kind":"User","name":BOUND_USER},{"kind":"Group","name":GROUP},{"kind":"ServiceAccount","name":SA,"namespace":SA_NS}]});
    events.push(bnd);

    // A ConfigMap holding a kubeconfig, keys and tokens, created from the planted IP.
    let mut k = cm[0].clone();
    k["auditID"] = json!("11111111-2222-3333-4444-555555555561");
    k["sourceIPs"] = json!([IP]);
    k["requestObject"]["data"] = json!({
        "kubeconfig": format!("apiVersion: v1\nusers:\n- name: u\n  user:\n    client-key-data: {KEY_DATA}\n    token: {KUBE_TOKEN}\n"),
        "key.pem": format!("-----BEGIN RSA PRIVATE KEY-----\n{PRIVATE_BODY}\n-----END RSA PRIVATE KEY-----\n"),
        "notes": format!("aws {AWS} gh {GITHUB} slack {SLACK} db https://admin:{URL_PASS}@db.example/x?password={QUERY_PASS}&x=1"),
        "webhook": format!("{{\"headers\":{{\"Authorization\":\"Bearer {BEARER}\"}}}}"),
        "node": format!("runs on {NODE} at {IP}")
    });
    events.push(k);

    let mut out = String::new();
    for e in &events {
        out.push_str(&e.to_string());
        out.push('\n');
    }
    out
}

fn export(log: &Path, out: &Path, extra: &[&str]) -> String {
    let mut args = vec!["export", "--redact"];
    args.extend_from_slice(extra);
    let (l, o) = (log.to_string_lossy(), out.to_string_lossy());
    args.extend_from_slice(&[&l, "-o", &o]);
    let r = Command::new(BIN).args(&args).output().unwrap();
    let err = String::from_utf8_lossy(&r.stderr).into_owned();
    assert!(r.status.success(), "{args:?}: {err}");
    err
}

/// The events of a JSON-lines text in time order (the export's order; audit IDs break
/// ties, and they are unique in the test log).
fn events(text: &str) -> Vec<Value> {
    let mut v: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let key = |e: &Value| {
        (
            e["requestReceivedTimestamp"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            e["auditID"].as_str().unwrap_or("").to_string(),
            e["stage"].as_str().unwrap_or("").to_string(),
        )
    };
    v.sort_by_key(key);
    let keys: BTreeSet<_> = v.iter().map(key).collect();
    assert_eq!(keys.len(), v.len(), "unique (time, auditID, stage)");
    v
}

/// (verb, resource, subresource, code) of every event, as a multiset.
fn shape(evs: &[Value]) -> BTreeMap<(String, String, String, u64), usize> {
    let mut m = BTreeMap::new();
    for e in evs {
        let g = |k: &str| e["objectRef"][k].as_str().unwrap_or("").to_string();
        *m.entry((
            e["verb"].as_str().unwrap_or("").to_string(),
            g("resource"),
            g("subresource"),
            e["responseStatus"]["code"].as_u64().unwrap_or(0),
        ))
        .or_default() += 1;
    }
    m
}

fn stats_events(p: &Path) -> u64 {
    let o = Command::new(BIN)
        .args(["stats", "--json", &p.to_string_lossy()])
        .output()
        .unwrap();
    assert!(o.status.success());
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    v["events"].as_u64().unwrap()
}

fn write_log(name: &str) -> Option<(PathBuf, String)> {
    let c = common::corpus()?;
    let log = planted_log(&c);
    let p = tmp(name);
    std::fs::write(&p, &log).unwrap();
    Some((p, log))
}

#[test]
fn no_planted_original_remains_and_the_events_stay_events() {
    let Some((log, text)) = write_log("planted.log") else {
        return;
    };
    // The planted values are really in the input (else the search proves nothing).
    for o in originals(true) {
        let in_input = text.contains(&o)
            || text.contains(&b64(o.as_bytes()))
            || text.contains(&serde_json::to_string(&o).unwrap()[1..o.len()]);
        assert!(
            in_input || o.contains("Csr") || o.contains("Cert"),
            "{o} not planted"
        );
    }
    for names in [false, true] {
        let out = tmp(if names {
            "red-names.jsonl"
        } else {
            "red.jsonl"
        });
        let err = export(&log, &out, if names { &["--redact-names"] } else { &[] });
        let bytes = std::fs::read(&out).unwrap();
        for o in originals(names) {
            for form in [o.clone(), b64(o.as_bytes())] {
                assert!(
                    memchr::memmem::find(&bytes, form.as_bytes()).is_none(),
                    "{form} (of {o}) is still in the output (names: {names})"
                );
            }
        }
        // The CSR's and certificate's PEM, base64-encoded as the API holds them.
        for pem in [CSR_PEM, CERT_PEM] {
            let e = b64(pem.as_bytes());
            assert!(memchr::memmem::find(&bytes, e.as_bytes()).is_none());
        }
        let (inp, outp) = (events(&text), events(&String::from_utf8(bytes).unwrap()));
        assert_eq!(inp.len(), outp.len());
        assert_eq!(shape(&inp), shape(&outp), "verbs, resources, codes kept");
        assert_eq!(
            stats_events(&out),
            inp.len() as u64,
            "the engine reads them all"
        );
        // Timestamps and audit IDs untouched, in order.
        for (a, b) in inp.iter().zip(&outp) {
            assert_eq!(a["auditID"], b["auditID"]);
            assert_eq!(a["requestReceivedTimestamp"], b["requestReceivedTimestamp"]);
            assert_eq!(a["stage"], b["stage"]);
        }
        // The summary counts by kind: 3 Secret values in the created Secret's request
        // and response each (data, stringData, last-applied data) = 6, one in the list
        // and one in the patch = 8.
        assert!(err.contains("secret-data: 8 values"), "{err}");
        assert!(err.contains("csr: 2 values"), "{err}");
        assert!(err.contains("jwt:") || err.contains("token:"), "{err}");
        assert!(err.contains("private-key: 1 values"), "{err}");
        assert!(err.contains("aws-key: 1 values"), "{err}");
        assert_eq!(err.contains("namespace:"), names, "{err}");
        // Namespaces stay without --redact-names.
        if !names {
            assert!(outp.iter().any(|e| e["objectRef"]["namespace"] == SA_NS));
        }
    }
}

#[test]
fn pseudonyms_are_consistent_and_keyed_ones_stable() {
    let Some((log, text)) = write_log("planted2.log") else {
        return;
    };
    let inp = events(&text);
    let key1 = tmp("key1");
    let key2 = tmp("key2");
    std::fs::write(&key1, "first key\n").unwrap();
    std::fs::write(&key2, "second key\n").unwrap();
    let k1 = key1.to_string_lossy().into_owned();
    let k2 = key2.to_string_lossy().into_owned();
    let run = |name: &str, extra: &[&str]| -> Vec<Value> {
        let out = tmp(name);
        export(&log, &out, extra);
        events(&std::fs::read_to_string(out).unwrap())
    };
    let plain = run("p1.jsonl", &[]);
    let plain2 = run("p2.jsonl", &[]);
    let keyed = run("k1.jsonl", &["--key", &k1]);
    let keyed_again = run("k1b.jsonl", &["--key", &k1]);
    let other = run("k2.jsonl", &["--key", &k2]);
    assert_eq!(plain, plain2, "deterministic");
    assert_eq!(keyed, keyed_again, "the same key gives the same pseudonyms");
    // Every original user maps to one pseudonym, distinct users to distinct ones.
    for out in [&plain, &keyed, &other] {
        let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in inp.iter().zip(out.iter()) {
            for k in ["user", "impersonatedUser"] {
                if let (Some(x), Some(y)) = (a[k]["username"].as_str(), b[k]["username"].as_str()) {
                    map.entry(x.to_string()).or_default().insert(y.to_string());
                }
            }
            if let (Some(x), Some(y)) = (a["sourceIPs"][0].as_str(), b["sourceIPs"][0].as_str()) {
                map.entry(x.to_string()).or_default().insert(y.to_string());
                let ip: std::net::IpAddr = y.parse().unwrap();
                let ok = ip.is_loopback() && x == y
                    || match ip {
                        // RFC 5737 TEST-NET-1..3.
                        std::net::IpAddr::V4(v) => {
                            let o = v.octets();
                            matches!(
                                (o[0], o[1], o[2]),
                                (192, 0, 2) | (198, 51, 100) | (203, 0, 113)
                            )
                        }
                        // RFC 3849.
                        std::net::IpAddr::V6(v) => v.segments()[..2] == [0x2001, 0xdb8],
                    };
                assert!(ok, "{y} is not a documentation address");
            }
        }
        for (orig, ps) in &map {
            assert_eq!(ps.len(), 1, "{orig} → {ps:?}");
        }
        let all: Vec<&String> = map.values().flatten().collect();
        let distinct: BTreeSet<&String> = all.iter().copied().collect();
        // Kept built-ins map to themselves; pseudonyms never merge two originals.
        assert_eq!(all.len(), distinct.len(), "{map:?}");
        // The planted user's pseudonym is the one the RBAC reason names.
        let p = map[USER].iter().next().unwrap().clone();
        let reason_ok = out.iter().any(|e| {
            e["annotations"]["authorization.k8s.io/reason"]
                .as_str()
                .is_some_and(|r| r.contains(&format!("User \"{p}\"")))
        });
        assert!(reason_ok, "the reason names {p}");
        // The SA: as impersonated user, as TokenReview caller, in the binding and in the
        // TokenRequest's objectRef: one name.
        let sa_user = map[&format!("system:serviceaccount:{SA_NS}:{SA}")]
            .iter()
            .next()
            .unwrap()
            .clone();
        let sa_name = sa_user.rsplit(':').next().unwrap();
        assert!(out.iter().any(|e| e["objectRef"]["subresource"] == "token"
            && e["objectRef"]["name"] == sa_name
            && e["requestURI"]
                .as_str()
                .unwrap()
                .contains(&format!("/serviceaccounts/{sa_name}/token"))));
        assert!(out
            .iter()
            .any(|e| e["requestObject"]["subjects"][2]["name"] == sa_name));
        // Kept: Kubernetes' own groups.
        assert!(out.iter().any(|e| e["user"]["groups"]
            .as_array()
            .is_some_and(|g| g.iter().any(|x| x == "system:authenticated"))));
    }
    // Without a key and with another key the pseudonyms differ.
    let u = |v: &[Value]| -> String {
        v.iter()
            .zip(&inp)
            .find(|(_, a)| a["user"]["username"] == USER)
            .map(|(b, _)| b["user"]["username"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_ne!(u(&keyed), u(&other));
    assert_ne!(u(&keyed), u(&plain));
}

#[test]
fn redacted_csv_holds_no_original() {
    let Some((log, text)) = write_log("planted3.log") else {
        return;
    };
    let out = tmp("red.csv");
    export(
        &log,
        &out,
        &["--format", "csv", "--columns", "time,user,impersonated,verb,resource,namespace,name,uri,code,source-ip,user-agent,reason,message"],
    );
    let csv = std::fs::read_to_string(&out).unwrap();
    let rows = csv.split("\r\n").filter(|l| !l.is_empty()).count();
    assert!(
        rows > events(&text).len(),
        "header + one row per event (rows may span lines)"
    );
    for o in [USER, GROUP, SA, IP, NODE] {
        assert!(!csv.contains(o), "{o} in the CSV");
    }
}
