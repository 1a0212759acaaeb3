//! What kube-apiserver's `omitManagedFields` would remove from each event, measured at
//! ingest (`Store::managed_fields_size`), against an independent oracle, and its effect
//! on the what-if volume.
//!
//! What stripping does, from k8s.io/apiserver `pkg/audit/request.go` (HEAD 24a394e5):
//! `LogRequestObject` and `LogResponseObject` call `copyWithoutManagedFields`, which calls
//! `removeManagedFields` (`accessor.SetManagedFields(nil)`) on the object itself, on every
//! item of a list (`meta.EachListItem`) and on every row's object of a `metav1.Table`,
//! then encode the copy. `ObjectMeta.ManagedFields` is `json:"managedFields,omitempty"`
//! (apimachinery `pkg/apis/meta/v1/types.go`) and `Unstructured.SetManagedFields(nil)`
//! deletes the key (`unstructured.go`), so the member vanishes whole: the saving is the
//! `"managedFields":[...]` text and one comma. A patch is logged as sent
//! (`LogRequestPatch`, `pkg/endpoints/handlers/patch.go`), never stripped.
//!
//! The oracle is independent of the scanner: serde_json's own parser finds the members
//! (`&RawValue` maps: the value's exact text in the line), and the saving is
//! `"managedFields":` + that text + a comma when `metadata` has other members. On lines we
//! serialize ourselves with serde_json, a second oracle removes the members from a
//! `serde_json::Value` and re-serializes: the line shrinks by exactly the stored figure.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use audit_lens::analysis::evaluate::{evaluate, AttrIndex};
use audit_lens::analysis::volume::{body_shares, estimate_size, estimate_size_mf, what_if};
use audit_lens::audit::policy::{load_policy, LoadOptions};
use audit_lens::audit::Level;
use audit_lens::gen::{generate, GenOptions};
use audit_lens::store::Store;
use common::*;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::collections::HashMap;

type Obj<'a> = HashMap<&'a str, &'a RawValue>;

/// Saving of one object's `metadata.managedFields`, from serde_json's raw spans.
fn oracle_object(raw: &RawValue) -> u64 {
    let Ok(o) = serde_json::from_str::<Obj>(raw.get()) else {
        return 0;
    };
    let Some(meta) = o.get("metadata") else {
        return 0;
    };
    let Ok(m) = serde_json::from_str::<Obj>(meta.get()) else {
        return 0;
    };
    match m.get("managedFields") {
        Some(v) => ("\"managedFields\":".len() + v.get().len() + (m.len() > 1) as usize) as u64,
        None => 0,
    }
}

/// Saving of one body: the object, a list's items, a Table's rows' objects.
fn oracle_body(raw: &RawValue) -> u64 {
    let mut n = oracle_object(raw);
    let Ok(o) = serde_json::from_str::<Obj>(raw.get()) else {
        return n;
    };
    if let Some(items) = o.get("items") {
        if let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(items.get()) {
            n += items.iter().map(|i| oracle_object(i)).sum::<u64>();
        }
    }
    let table = o
        .get("kind")
        .is_some_and(|k| serde_json::from_str::<String>(k.get()).is_ok_and(|k| k == "Table"));
    if let (true, Some(rows)) = (table, o.get("rows")) {
        for row in serde_json::from_str::<Vec<Obj>>(rows.get()).unwrap_or_default() {
            if let Some(obj) = row.get("object") {
                n += oracle_object(obj);
            }
        }
    }
    n
}

/// (request, response) savings of one event line.
fn oracle_line(line: &str) -> (u64, u64) {
    let o: Obj = serde_json::from_str(line).expect("an event object");
    let verb: String = o
        .get("verb")
        .map(|v| serde_json::from_str(v.get()).unwrap())
        .unwrap_or_default();
    let req = match o.get("requestObject") {
        Some(_) if verb == "patch" => 0,
        Some(b) => oracle_body(b),
        None => 0,
    };
    (req, o.get("responseObject").map_or(0, |b| oracle_body(b)))
}

/// The second oracle: the event as a Value with kube-apiserver's stripping applied.
fn strip(v: &mut Value) {
    fn strip_obj(o: &mut Value) {
        if let Some(m) = o.get_mut("metadata").and_then(Value::as_object_mut) {
            m.remove("managedFields");
        }
    }
    let patch = v["verb"] == "patch";
    for (k, body) in v.as_object_mut().unwrap().iter_mut() {
        if (k == "requestObject" && !patch) || k == "responseObject" {
            strip_obj(body);
            if let Some(items) = body.get_mut("items").and_then(Value::as_array_mut) {
                items.iter_mut().for_each(strip_obj);
            }
            if body["kind"] == "Table" {
                if let Some(rows) = body.get_mut("rows").and_then(Value::as_array_mut) {
                    for r in rows {
                        if let Some(o) = r.get_mut("object") {
                            strip_obj(o);
                        }
                    }
                }
            }
        }
    }
}

/// Every row's stored figures in line order (one event per line).
fn stored(s: &Store) -> Vec<(u64, u64)> {
    let mut rows: Vec<usize> = (0..s.len()).collect();
    rows.sort_by_key(|&r| (s.offset(r), s.wrap_item(r)));
    rows.into_iter()
        .map(|r| {
            let (q, p) = s.managed_fields_size(r);
            (q as u64, p as u64)
        })
        .collect()
}

/// The corpus' real bodies with managedFields, as JSON-lines events: the KHI v1.32
/// kube-scheduler lease update (an Event in YAML), and a GKE pod create (a LogEntry in
/// YAML whose `protoPayload.request`/`response` are the Pod bodies), plus lists, a Table,
/// a patch and a metadata holding only managedFields built from those bodies.
fn corpus_events() -> Option<Vec<Value>> {
    let c = corpus()?;
    let read = |p: &str| -> Value {
        let t = std::fs::read_to_string(c.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
        serde_yaml::from_str(&t).unwrap_or_else(|e| panic!("{p}: {e}"))
    };
    let lease = read("realworld/logs/khi-test-logs-oss-test-log.event.yaml");
    let entry = read(
        "realworld/logs/khi-test-logs-k8s_audit-container_recorder_test_1_1.gke-logentry.yaml",
    );
    let pp = &entry["protoPayload"];
    let (pod_req, pod_resp) = (pp["request"].clone(), pp["response"].clone());
    assert!(
        pod_resp["metadata"]["managedFields"].is_array(),
        "the GKE pod has managedFields"
    );
    assert!(lease["requestObject"]["metadata"]["managedFields"].is_array());
    let ev = |verb: &str, id: &str, req: Option<Value>, resp: Option<Value>| {
        let mut e = json!({
            "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse",
            "auditID": id, "stage": "ResponseComplete",
            "requestURI": "/api/v1/namespaces/1-2-deployment-update/pods", "verb": verb,
            "user": {"username": pp["authenticationInfo"]["principalEmail"]},
            "objectRef": {"resource": "pods", "namespace": "1-2-deployment-update", "apiVersion": "v1"},
            "responseStatus": {"metadata": {}, "code": 200},
            "requestReceivedTimestamp": "2024-01-01T01:00:00.000000Z",
            "stageTimestamp": "2024-01-01T01:00:00.010000Z"
        });
        if let Some(q) = req {
            e["requestObject"] = q;
        }
        if let Some(p) = resp {
            e["responseObject"] = p;
        }
        e
    };
    let list = json!({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "15470"},
        "items": [pod_resp, pod_req, lease["responseObject"]]});
    let table = json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": "15470"},
        "columnDefinitions": [{"name": "Name", "type": "string"}],
        "rows": [{"cells": ["a"], "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": pod_resp["metadata"]}}, {"cells": ["b"], "object": null}]});
    // `rows` of something that is not a Table is nobody's list: kept.
    let mut not_table = table.clone();
    not_table["kind"] = json!("Thing");
    let only_mf = json!({"kind": "Pod", "apiVersion": "v1",
        "metadata": {"managedFields": pod_resp["metadata"]["managedFields"]}});
    let first_mf = json!({"kind": "Pod", "apiVersion": "v1",
        "metadata": {"managedFields": pod_resp["metadata"]["managedFields"], "name": "x"}});
    let mut out = vec![lease.clone()];
    out.push(ev(
        "create",
        "7f2e1c2a-0000-4000-8000-000000000001",
        Some(pod_req.clone()),
        Some(pod_resp.clone()),
    ));
    out.push(ev(
        "list",
        "7f2e1c2a-0000-4000-8000-000000000002",
        None,
        Some(list),
    ));
    out.push(ev(
        "list",
        "7f2e1c2a-0000-4000-8000-000000000003",
        None,
        Some(table),
    ));
    out.push(ev(
        "list",
        "7f2e1c2a-0000-4000-8000-000000000004",
        None,
        Some(not_table),
    ));
    out.push(ev(
        "patch",
        "7f2e1c2a-0000-4000-8000-000000000005",
        Some(pod_resp.clone()),
        Some(pod_resp.clone()),
    ));
    out.push(ev(
        "update",
        "7f2e1c2a-0000-4000-8000-000000000006",
        Some(only_mf),
        Some(first_mf),
    ));
    Some(out)
}

#[test]
fn corpus_bodies_measured_as_kube_apiserver_strips_them_on_both_paths() {
    let Some(events) = corpus_events() else {
        return;
    };
    let lines: Vec<String> = events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    let text = lines.join("\n") + "\n";
    let want: Vec<(u64, u64)> = lines.iter().map(|l| oracle_line(l)).collect();
    // Every real body here has managedFields; the oracle sees them (a test that cannot fail
    // on zeros).
    assert!(want[0].0 > 0 && want[0].1 > 0, "lease: {:?}", want[0]);
    assert!(want[1].0 == 0 && want[1].1 > 0, "pod create: {:?}", want[1]);
    assert!(
        want[2].1 > want[1].1,
        "a list of two objects with managedFields"
    );
    assert_eq!(
        want[3].1, want[1].1,
        "a Table row's object: the pod's metadata"
    );
    assert_eq!(want[4].1, 0, "rows of a non-Table");
    assert_eq!(
        want[5],
        (0, want[1].1),
        "a patch's request body is not stripped"
    );
    // Second oracle: the stripped event re-serialized is shorter by exactly the saving.
    for (l, e) in lines.iter().zip(&events) {
        let mut v = e.clone();
        strip(&mut v);
        let (q, p) = oracle_line(l);
        assert_eq!(
            (l.len() - serde_json::to_string(&v).unwrap().len()) as u64,
            q + p,
            "{l:.80}"
        );
    }
    // The fast scanner (plain lines).
    let plain = load("mf.log", text.as_bytes());
    assert_eq!(plain.len(), lines.len());
    assert_eq!(stored(&plain), want);
    // The serde path: the same events in an EventList (the scanner declines wrappers).
    let list = format!(
        "{{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\",\"items\":[{}]}}\n",
        lines.join(",")
    );
    let wrapped = load("mf-list.json", list.as_bytes());
    assert_eq!(stored(&wrapped), want);
    // And pretty-printed documents (the serde path on multi-line records): the members'
    // text changes with the whitespace, so only presence and order are compared.
    let pretty: String = events
        .iter()
        .map(|e| serde_json::to_string_pretty(e).unwrap() + "\n")
        .collect();
    let p = load("mf-pretty.json", pretty.as_bytes());
    for ((q, r), (wq, wr)) in stored(&p).into_iter().zip(&want) {
        assert_eq!((q > 0, r > 0), (*wq > 0, *wr > 0));
        assert!(q >= *wq && r >= *wr, "indentation only adds bytes");
    }
}

#[test]
fn generated_log_measured_against_the_oracle() {
    let mut log = Vec::new();
    generate(
        &GenOptions {
            max_bytes: 3 << 20,
            seed: 7,
            ..Default::default()
        },
        &mut |b| log.extend_from_slice(b),
    );
    let text = std::str::from_utf8(&log).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let want: Vec<(u64, u64)> = lines.iter().map(|l| oracle_line(l)).collect();
    let with = want.iter().filter(|w| **w != (0, 0)).count();
    assert!(
        with > 50,
        "the generator writes managedFields into bodies ({with} events)"
    );
    let s = load("gen.log", &log);
    assert_eq!(s.len(), lines.len());
    assert_eq!(stored(&s), want);
    // Packing: every figure is at most its body.
    for r in 0..s.len() {
        let (q, p) = s.managed_fields_size(r);
        assert!(q <= s.request_object_size(r) && p <= s.response_object_size(r));
    }
}

/// Figures too large to pack (a list response of many objects) survive every store path:
/// the wire format of helper pieces, `absorb`, sorting and a rollback.
#[test]
fn large_figures_cross_the_wire_and_absorb() {
    let item = |i: usize| {
        format!(
            r#"{{"metadata":{{"name":"p{i}","managedFields":[{{"manager":"{}"}}]}}}}"#,
            "m".repeat(700)
        )
    };
    let member = format!(r#","managedFields":[{{"manager":"{}"}}]"#, "m".repeat(700)).len() as u64;
    let ev = |n: usize, t: u32| {
        let items: Vec<String> = (0..n).map(item).collect();
        format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a{t}","stage":"ResponseComplete","requestURI":"/api/v1/pods","verb":"list","requestReceivedTimestamp":"2024-01-01T01:00:{t:02}.000000Z","stageTimestamp":"2024-01-01T01:00:{t:02}.100000Z","responseObject":{{"kind":"PodList","items":[{}]}}}}"#,
            items.join(",")
        )
    };
    // 200 items: 143 kB of managedFields (> the 64 kB packed); 3 items: packed.
    let log = format!("{}\n{}\n{}\n", ev(200, 9), ev(3, 1), ev(120, 5));
    let s = load("big.log", log.as_bytes());
    let figs: Vec<(u32, u32)> = (0..s.len()).map(|r| s.managed_fields_size(r)).collect();
    let m = member as u32;
    assert_eq!(figs, vec![(0, 3 * m), (0, 120 * m), (0, 200 * m)]);
    // A piece through the wire, absorbed after a store that already holds big figures.
    let mut piece = Store::new();
    load_chunked(&mut piece, "big.log", log.as_bytes(), 1 << 12);
    let decoded =
        audit_lens::store::wire::decode(&audit_lens::store::wire::encode(&piece)).unwrap();
    let mut main = load("first.log", log.as_bytes());
    let f = main.add_file("big.log", log.len() as u64);
    let mark = main.mark();
    main.absorb(&decoded, f, 0);
    main.rollback(&mark);
    main.absorb(&decoded, f, 0);
    main.finalize();
    let mut got: Vec<(u32, u32)> = (0..main.len())
        .map(|r| main.managed_fields_size(r))
        .collect();
    got.sort();
    let mut want = [figs.clone(), figs].concat();
    want.sort();
    assert_eq!(got, want);
}

const MEMBER: &str = r#","managedFields":[{"manager":"m","operation":"Update"}]"#;
const ITEM_MEMBER: &str = r#","managedFields":[{"manager":"kubelet"}]"#;
const REQ_KEY: &str = r#","requestObject":"#;
const RESP_KEY: &str = r#","responseObject":"#;

fn hand_line(id: u32, verb: &str, resource: &str, req: Option<&str>, resp: Option<&str>) -> String {
    let group = if resource == "leases" {
        "coordination.k8s.io"
    } else {
        ""
    };
    let mut l = format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"00000000-0000-4000-8000-00000000000{id}","stage":"ResponseComplete","requestURI":"/x","verb":"{verb}","user":{{"username":"alice"}},"objectRef":{{"resource":"{resource}","namespace":"kube-system","apiGroup":"{group}","apiVersion":"v1"}},"requestReceivedTimestamp":"2024-01-01T01:00:0{id}.000000Z","stageTimestamp":"2024-01-01T01:00:0{id}.100000Z""#
    );
    if let Some(q) = req {
        l.push_str(REQ_KEY);
        l.push_str(q);
    }
    if let Some(p) = resp {
        l.push_str(RESP_KEY);
        l.push_str(p);
    }
    l.push('}');
    l
}

#[test]
fn what_if_omit_managed_fields_removes_the_kept_bodies_managed_fields() {
    // Hand-counted: `,` 1 + `"managedFields"` 15 + `:` 1 + `[{"manager":"m","operation":"Update"}]` 38.
    assert_eq!(MEMBER.len(), 55);
    assert_eq!(ITEM_MEMBER.len(), 40);
    let lease = format!(
        r#"{{"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{{"name":"l","namespace":"kube-system"{MEMBER}}},"spec":{{}}}}"#
    );
    let pod = |n: &str| format!(r#"{{"metadata":{{"name":"{n}"{ITEM_MEMBER}}},"spec":{{}}}}"#);
    let list = format!(
        r#"{{"kind":"PodList","apiVersion":"v1","metadata":{{}},"items":[{},{}]}}"#,
        pod("a"),
        pod("b")
    );
    let l1 = hand_line(1, "update", "leases", Some(&lease), Some(&lease));
    let l2 = hand_line(2, "patch", "pods", Some(&lease), Some(&lease));
    let l3 = hand_line(3, "list", "pods", None, Some(&list));
    let log = format!("{l1}\n{l2}\n{l3}\n");
    let s = load("hand.log", log.as_bytes());
    let m = MEMBER.len() as u32;
    let figs: Vec<(u32, u32)> = (0..3).map(|r| s.managed_fields_size(r)).collect();
    assert_eq!(
        figs,
        vec![(m, m), (0, m), (0, 2 * ITEM_MEMBER.len() as u32)]
    );
    let policy = r#"apiVersion: audit.k8s.io/v1
kind: Policy
omitManagedFields: true
rules:
  - level: Request
    resources: [{group: "coordination.k8s.io", resources: ["leases"]}]
  - level: RequestResponse
    verbs: ["patch"]
    omitManagedFields: false
  - level: RequestResponse
"#;
    let p = load_policy("p.yaml", policy, &LoadOptions::default()).unwrap();
    let ev = evaluate(&s, &AttrIndex::build(&s), &p.compiled);
    // Lease update at Request: its response body goes, its request body loses the member.
    let e1 = l1.len() - RESP_KEY.len() - lease.len() - MEMBER.len();
    // The patch keeps everything (omitManagedFields: false on its rule).
    let e2 = l2.len();
    // The list keeps its body without the two items' members.
    let e3 = l3.len() - 2 * ITEM_MEMBER.len();
    assert_eq!(
        estimate_size_mf(&s, 0, Level::Request, false, true).bytes,
        e1 as u64
    );
    assert_eq!(
        estimate_size(&s, 0, Level::Request, false).bytes,
        (e1 + MEMBER.len()) as u64,
        "estimate_size is unchanged"
    );
    let wi = what_if(&s, (&p.compiled, &ev, "p"), None);
    assert_eq!(
        wi.baseline.bytes,
        log.len() as u64 - 3,
        "as recorded (lines without newline)"
    );
    assert_eq!(wi.candidate.bytes, (e1 + e2 + e3) as u64);
    assert_eq!(
        wi.candidate.per_rule,
        vec![(1, e1 as u64), (1, e2 as u64), (1, e3 as u64)]
    );
    assert!(
        !wi.caveats.iter().any(|c| c.contains("omitManagedFields")),
        "the log holds the managedFields: no caveat {:?}",
        wi.caveats
    );
    let b = body_shares(&s, &ev);
    assert_eq!(b.kept_bytes, wi.candidate.bytes);
    // Bodies kept: the lease's request body stripped, the patch's two, the stripped list.
    let bodies = (REQ_KEY.len() + lease.len() - MEMBER.len())
        + (REQ_KEY.len() + RESP_KEY.len() + 2 * lease.len())
        + (RESP_KEY.len() + list.len() - 2 * ITEM_MEMBER.len());
    assert_eq!(b.body_bytes, bodies as u64);
    // Only the patch rule keeps managedFields: its response body's (its request body,
    // a patch as sent, is never stripped, so it is no saving).
    assert_eq!(b.managed_fields_bytes, MEMBER.len() as u64);
    let j = serde_json::to_value(b).unwrap();
    assert!(j.get("managedFieldsBytes").is_some() && j.get("keptBytes").is_some());
}

#[test]
fn a_log_without_bodies_keeps_a_caveat() {
    let line = hand_line(1, "get", "pods", None, None);
    let s = load("meta.log", line.as_bytes());
    let p = load_policy(
        "p.yaml",
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitManagedFields: true\nrules:\n  - level: RequestResponse\n",
        &LoadOptions::default(),
    )
    .unwrap();
    let ev = evaluate(&s, &AttrIndex::build(&s), &p.compiled);
    let wi = what_if(&s, (&p.compiled, &ev, "p"), None);
    assert!(
        wi.caveats.iter().any(|c| c.contains("omitManagedFields") && c.contains("no request or response bodies")),
        "{:?}",
        wi.caveats
    );
}

/// Edge cases, each figure counted by hand (the member and one comma; whitespace around
/// that comma goes with it).
#[test]
fn edge_cases_counted_by_hand() {
    let cases: &[(&str, u32)] = &[
        // `"managedFields":[]` = 15 + 1 + 2, the only member: no comma.
        (r#"{"metadata":{"managedFields":[]}}"#, 18),
        // First member: the comma after it.
        (r#"{"metadata":{"managedFields":[],"name":"a"}}"#, 19),
        // Last, null (an Unstructured object may hold it; the key is deleted all the same).
        (r#"{"metadata":{"name":"a","managedFields":null}}"#, 21),
        // In the middle, with whitespace: ` , "managedFields" : []` = 23 bytes.
        (
            r#"{ "metadata" : { "name":"a" , "managedFields" : [] , "uid":"u" } }"#,
            23,
        ),
        (r#"{"metadata":"x"}"#, 0),
        (r#"{"spec":{"metadata":{"managedFields":[]}}}"#, 0),
        (r#"[{"metadata":{"managedFields":[]}}]"#, 0),
        (r#""text""#, 0),
        // A list: each item's (18 and `,"managedFields":[1]` = 20); a non-object item skipped.
        (
            r#"{"items":[{"metadata":{"managedFields":[]}},3,{"metadata":{"name":"b","managedFields":[1]}}]}"#,
            38,
        ),
        // A Table decided by its kind, wherever the key is.
        (
            r#"{"rows":[{"object":{"metadata":{"managedFields":[]}}}],"kind":"Table"}"#,
            18,
        ),
        (
            r#"{"rows":[{"object":{"metadata":{"managedFields":[]}}}],"kind":"List"}"#,
            0,
        ),
        // An escaped key is not the key (Go's encoder never writes one).
        (r#"{"metadata":{"managed\u0046ields":[]}}"#, 0),
    ];
    for (body, want) in cases {
        let line = hand_line(1, "update", "pods", None, Some(body));
        let s = load("edge.log", line.as_bytes());
        assert_eq!(s.len(), 1, "{body}");
        assert_eq!(s.managed_fields_size(0), (0, *want), "{body}");
        // The same body as a request (not a patch), through the serde path (an EventList).
        let line = hand_line(1, "create", "pods", Some(body), None);
        let list = format!(r#"{{"kind":"EventList","items":[{line}]}}"#);
        let s = load("edge-list.json", list.as_bytes());
        assert_eq!(s.managed_fields_size(0), (*want, 0), "serde path: {body}");
    }
}
