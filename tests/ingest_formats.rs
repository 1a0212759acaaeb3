//! Every input format the ingest recognises, on the project's own fixtures and on the
//! real logs of ../shared/corpus; accounting (events + rejected = records) everywhere.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use audit_lens::audit::{Level, Stage};
use audit_lens::store::{Dim, Format, F_WRAPPED};
use common::*;
use std::io::Write;

const E1: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"f9e91b43-77c3-4622-9d2a-13838f0f4984","stage":"ResponseComplete","requestURI":"/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager?timeout=5s","verb":"get","user":{"username":"system:kube-controller-manager","groups":["system:authenticated"]},"sourceIPs":["192.168.1.10"],"userAgent":"kube-controller-manager/v1.22.0","objectRef":{"resource":"leases","namespace":"kube-system","name":"kube-controller-manager","apiGroup":"coordination.k8s.io","apiVersion":"v1"},"responseStatus":{"metadata":{},"status":"Failure","reason":"Forbidden","code":403},"requestReceivedTimestamp":"2021-09-13T10:00:06.493243Z","stageTimestamp":"2021-09-13T10:00:06.581845Z","annotations":{"authorization.k8s.io/decision":"forbid","authorization.k8s.io/reason":""}}"#;
const E2: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"41133c9d-ed47-48b0-8c6d-3b2a5e0a0f11","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"create","user":{"username":"alice","groups":["dev","system:authenticated"]},"impersonatedUser":{"username":"bob"},"sourceIPs":["10.0.0.1","10.0.0.2"],"userAgent":"kubectl","objectRef":{"resource":"pods","namespace":"default","name":"p1","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"Pod","spec":{"x":"a\"b"}},"responseObject":{"kind":"Pod"},"requestReceivedTimestamp":"2021-09-13T10:00:07Z","stageTimestamp":"2021-09-13T10:00:07.5Z"}"#;
const NONRES: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestURI":"/healthz?verbose=1","verb":"get","user":{"username":"system:anonymous","groups":["system:unauthenticated"]},"sourceIPs":["1.2.3.4"],"responseStatus":{"code":200},"requestReceivedTimestamp":"2021-09-13T10:00:05Z","stageTimestamp":"2021-09-13T10:00:05Z"}"#;

fn gz(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn pretty(s: &str) -> String {
    serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(s).unwrap()).unwrap()
}

/// (name, bytes, events, rejected, first rejection reason must contain)
fn cases() -> Vec<(&'static str, Vec<u8>, u64, u64, &'static str)> {
    let jsonl = format!("{E1}\n{E2}\n{NONRES}\n");
    let azure_str = serde_json::json!({"records":[
        {"category":"kube-audit","properties":{"log": E1}},
        {"category":"kube-audit-admin","properties":{"log": serde_json::from_str::<serde_json::Value>(E2).unwrap()}},
        {"category":"kube-apiserver","properties":{"log":"I0913 something"}}
    ]})
    .to_string();
    let cloudwatch = serde_json::json!({"messageType":"DATA_MESSAGE","logGroup":"/aws/eks/c/cluster","logEvents":[
        {"id":"1","timestamp":1631527206493u64,"message":E1},{"id":"2","timestamp":1631527207000u64,"message":E2}
    ]})
    .to_string();
    let cw_lines = format!(
        "{}\n{}\n",
        serde_json::json!({"@timestamp":"x","@message":E1}),
        serde_json::json!({"timestamp":1,"message":E2})
    );
    let eventlist = format!(
        r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{{}},"items":[{E1},{E2}]}}"#
    );
    let v1beta1 = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","metadata":{"creationTimestamp":"2017-09-11T15:00:00Z"},"level":"Metadata","timestamp":"2017-09-11T15:00:00Z","auditID":"3f0d2c3e-1111-4c1a-9d1e-222233334444","stage":"RequestReceived","requestURI":"/api/v1/nodes","verb":"list","user":{"username":"system:admin","groups":["system:masters"]},"impersonatedUser":{"username":"alice"},"sourceIPs":["::1"],"objectRef":{"resource":"nodes","apiVersion":"v1"}}"#;
    let v1alpha1 = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1alpha1","metadata":{"creationTimestamp":null},"level":"Metadata","timestamp":"2017-08-01T10:00:00Z","auditID":"3f0d2c3e-1111-4c1a-9d1e-222233335555","stage":"ResponseComplete","requestURI":"/version","verb":"get","user":{"username":"x"}}"#;
    let no_version = r#"{"level":"Request","auditID":"3f0d2c3e-1111-4c1a-9d1e-222233336666","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/foo","verb":"create","user":{"username":"minikube-user"},"objectRef":{"resource":"namespaces","name":"foo","apiVersion":"v1"},"requestReceivedTimestamp":"2018-10-25T13:58:49.730588Z","stageTimestamp":"2018-10-25T13:58:49.736141Z"}"#;
    vec![
        ("jsonl", jsonl.clone().into_bytes(), 3, 0, ""),
        ("crlf", jsonl.replace('\n', "\r\n").into_bytes(), 3, 0, ""),
        (
            "bom",
            [b"\xEF\xBB\xBF".as_slice(), jsonl.as_bytes()].concat(),
            3,
            0,
            "",
        ),
        (
            "blank lines",
            format!("\n\n{E1}\n   \n{E2}\n\n").into_bytes(),
            2,
            0,
            "",
        ),
        (
            "no final newline",
            format!("{E1}\n{E2}").into_bytes(),
            2,
            0,
            "",
        ),
        (
            "truncated final line",
            format!("{E1}\n{}", &E2[..200]).into_bytes(),
            1,
            1,
            "truncated",
        ),
        (
            "host prefix",
            format!("master-0 {E1}\nmaster-1.example.com {E2}\n").into_bytes(),
            2,
            0,
            "",
        ),
        (
            "malformed line kept apart",
            format!("{E1}\n{{\"kind\":\"Event\",,}}\n{E2}\n").into_bytes(),
            2,
            1,
            "malformed JSON",
        ),
        (
            "text line",
            format!("{E1}\nhello world\n").into_bytes(),
            1,
            1,
            "not JSON",
        ),
        (
            "invalid utf8",
            [
                E1.as_bytes(),
                b"\n{\"kind\":\"Event\",\"verb\":\"\xff\xfe\"}\n",
            ]
            .concat(),
            1,
            1,
            "invalid UTF-8",
        ),
        ("gzip", gz(jsonl.as_bytes()), 3, 0, ""),
        ("gzip of pretty", gz(pretty(E2).as_bytes()), 1, 0, ""),
        ("pretty single", pretty(E1).into_bytes(), 1, 0, ""),
        (
            "pretty concatenated",
            format!("{}\n{}\n", pretty(E1), pretty(E2)).into_bytes(),
            2,
            0,
            "",
        ),
        (
            "json array",
            format!("[\n{},\n{}\n]\n", pretty(E1), E2).into_bytes(),
            2,
            0,
            "",
        ),
        ("eventlist", eventlist.clone().into_bytes(), 2, 0, ""),
        (
            "eventlist pretty",
            pretty(&eventlist).into_bytes(),
            2,
            0,
            "",
        ),
        (
            "azure records",
            azure_str.into_bytes(),
            2,
            1,
            "kube-apiserver",
        ),
        ("cloudwatch subscription", cloudwatch.into_bytes(), 2, 0, ""),
        ("cloudwatch lines", cw_lines.into_bytes(), 2, 0, ""),
        ("v1beta1", format!("{v1beta1}\n").into_bytes(), 1, 0, ""),
        ("v1alpha1", format!("{v1alpha1}\n").into_bytes(), 1, 0, ""),
        (
            "no apiVersion",
            format!("{no_version}\n").into_bytes(),
            1,
            0,
            "",
        ),
        (
            "not an event kind",
            b"{\"kind\":\"Pod\",\"apiVersion\":\"v1\"}\n".to_vec(),
            0,
            1,
            "kind is \"Pod\"",
        ),
        (
            "kind not a string",
            b"{\"kind\": 0}".to_vec(),
            0,
            1,
            "invalid type",
        ),
        (
            "no timestamp",
            b"{\"kind\":\"Event\",\"auditID\":\"x\",\"verb\":\"get\"}\n".to_vec(),
            0,
            1,
            "timestamp",
        ),
        (
            "bad stage",
            E1.replace("ResponseComplete", "Sideways").into_bytes(),
            0,
            1,
            "unknown stage",
        ),
        ("empty", Vec::new(), 0, 0, ""),
        ("whitespace only", b"\n \n\t\n".to_vec(), 0, 0, ""),
        (
            "truncated pretty",
            pretty(E2).as_bytes()[..300].to_vec(),
            0,
            1,
            "truncated",
        ),
        (
            "pdf",
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n".to_vec(),
            0,
            5,
            "not JSON",
        ),
    ]
}

#[test]
fn formats_table() {
    for (name, bytes, events, rejected, reason) in cases() {
        for chunk in [bytes.len().max(1), 1, 7, 64] {
            let mut s = audit_lens::store::Store::new();
            load_chunked(&mut s, name, &bytes, chunk);
            s.finalize();
            let f = &s.files[0];
            assert_eq!(
                (f.events, f.rejected),
                (events, rejected),
                "{name} (chunk {chunk}): {:?}",
                s.rejections
            );
            assert_eq!(f.events + f.rejected, f.records, "{name}: accounting");
            assert_eq!(s.len() as u64, events, "{name}");
            if !reason.is_empty() {
                assert!(
                    s.rejections[0].reason.contains(reason),
                    "{name}: {:?}",
                    s.rejections[0].reason
                );
            }
        }
    }
}

#[test]
fn file_level_diagnosis() {
    let cases: &[(&[u8], &str)] = &[
        (b"%PDF-1.7\nstuff\n", "PDF"),
        (b"", "empty"),
        (b"apiVersion: audit.k8s.io/v1\nkind: Policy\n", "YAML"),
        (b"\x00\x01\x02\x03binary\n", "binary"),
    ];
    for (bytes, want) in cases {
        let s = load("x", bytes);
        let d = s.files[0].diagnosis.clone().unwrap_or_default();
        assert!(d.contains(want), "{want}: {d}");
    }
    let s = load("ok", format!("{E1}\n").as_bytes());
    assert_eq!(s.files[0].diagnosis, None);
}

#[test]
fn fields_are_indexed() {
    let s = load("a.log", format!("{E1}\n{E2}\n{NONRES}\n").as_bytes());
    // Time order: NONRES (10:00:05), E1 (10:00:06), E2 (10:00:07).
    assert_eq!(s.str(Dim::User, 0), "system:anonymous");
    assert!(!s.is_resource_request(0));
    assert_eq!(s.path(0), "/healthz");
    let r = 1;
    assert_eq!(s.audit_id(r), "f9e91b43-77c3-4622-9d2a-13838f0f4984");
    assert_eq!(s.stage(r), Some(Stage::ResponseComplete));
    assert_eq!(s.level(r), Some(Level::Metadata));
    assert_eq!(s.str(Dim::Verb, r), "get");
    assert_eq!(s.str(Dim::ApiGroup, r), "coordination.k8s.io");
    assert_eq!(s.str(Dim::Resource, r), "leases");
    assert_eq!(s.str(Dim::Namespace, r), "kube-system");
    assert_eq!(s.str(Dim::Name, r), "kube-controller-manager");
    assert_eq!(s.code(r), 403);
    assert_eq!(s.str(Dim::StatusReason, r), "Forbidden");
    assert_eq!(s.str(Dim::Decision, r), "forbid");
    assert_eq!(s.latency(r), 88_602);
    assert_eq!(
        s.path(r),
        "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager"
    );
    assert_eq!(s.first_source_ip(r), "192.168.1.10");
    let r = 2;
    assert_eq!(s.str(Dim::ImpersonatedUser, r), "bob");
    assert_eq!(
        s.dict.groups.members_of(s.groups_id(r)).collect::<Vec<_>>(),
        ["dev", "system:authenticated"]
    );
    assert_eq!(
        s.dict
            .source_ips
            .members_of(s.source_ips_id(r))
            .collect::<Vec<_>>(),
        ["10.0.0.1", "10.0.0.2"]
    );
    assert_eq!(
        s.request_object_size(r) as usize,
        r#"{"kind":"Pod","spec":{"x":"a\"b"}}"#.len()
    );
    assert_eq!(
        s.response_object_size(r) as usize,
        r#"{"kind":"Pod"}"#.len()
    );
    assert_eq!(s.latency(r), 500_000);
    assert_eq!(s.code(r), 201);
}

#[test]
fn byte_ranges_give_the_original_lines_back() {
    let text = format!("{E2}\r\n\nhost-a {E1}\n{NONRES}");
    let s = load("a.log", text.as_bytes());
    assert_eq!(s.len(), 3);
    for r in 0..s.len() {
        let (o, l) = (s.offset(r) as usize, s.event_size(r) as usize);
        let line = &text[o..o + l];
        let json =
            std::str::from_utf8(audit_lens::ingest::strip_host_prefix(line.as_bytes())).unwrap();
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(v["auditID"].as_str().unwrap(), s.audit_id(r));
    }
}

#[test]
fn wrapped_events_are_marked_and_recoverable() {
    let list = format!(r#"{{"kind":"EventList","items":[{E1},{E2}]}}"#);
    let s = load("l.json", list.as_bytes());
    for r in 0..2 {
        assert_ne!(s.flags(r) & F_WRAPPED, 0);
        let (o, l) = s.record_range(r);
        assert_eq!(
            (o, l as usize),
            (0, list.len()),
            "the record is the whole list"
        );
        let ev = audit_lens::ingest::record::event_json(list.as_bytes(), s.wrap_item(r)).unwrap();
        assert_eq!(ev.text, [E1, E2][r], "row {r} is its own event, alone");
    }
}

#[test]
fn several_files_merge_in_time_order() {
    let mut s = audit_lens::store::Store::new();
    load_chunked(&mut s, "b.log", format!("{E2}\n").as_bytes(), 1 << 20);
    load_chunked(
        &mut s,
        "a.log",
        format!("{NONRES}\n{E1}\n").as_bytes(),
        1 << 20,
    );
    s.finalize();
    let ts: Vec<i64> = s.received_col().to_vec();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!((s.file(0), s.file(1), s.file(2)), (1, 1, 0));
    assert_eq!(s.files[0].format, Format::JsonLines);
}

#[test]
fn corpus_logs_load_with_the_counts_of_sources_md() {
    let Some(c) = corpus() else { return };
    // Event counts as stated in ../shared/corpus/SOURCES.md (python json sanity check table).
    let want: &[(&str, u64, u64)] = &[
        ("aks-diagnostic-records-event.json", 22, 0),
        ("aks-eventhubs-single-record.json", 1, 0),
        ("aks-single-event-pretty-bom.json", 1, 0),
        ("audit2rbac-demo-cleaned-v1beta1.log", 37, 0),
        ("audit2rbac-demo-original-v1beta1.log", 757, 0),
        ("audit2rbac-demo-v1.log", 37, 0),
        // 5 lines: 3 Events, 1 AKS record holding an Event, and 1 GKE Cloud Audit Logs
        // entry (serviceName k8s.io, with a timestamp), mapped to an Event (issue 15).
        ("elastic-integrations-test-audit-mixed-formats.log", 5, 0),
        ("elastic-integrations-test-kube-audit-aks-wrapped.log", 1, 0),
        ("openshift-clo-apiaudit-audit_in.log", 100, 0),
        (
            "openshift-clo-apiaudit-audit_out_exporter.expected.log",
            9,
            0,
        ),
        (
            "openshift-clo-apiaudit-filter-audit-want.expected.log",
            4,
            0,
        ),
        ("openshift-clo-apiaudit-filter-audit.log", 5, 0),
        ("openshift-clo-log5607-sample-pretty.json", 1, 0),
        (
            "openshift-clo-logsamples-raw_audit_kubernetes-pretty.json",
            1,
            0,
        ),
        (
            "openshift-clo-logsamples-raw_audit_oauth-apiserver-pretty.json",
            1,
            0,
        ),
        (
            "openshift-clo-logsamples-raw_audit_openshift-pretty.json",
            1,
            0,
        ),
    ];
    for (f, ev, rej) in want {
        let bytes = std::fs::read(c.join("logs").join(f)).unwrap();
        let s = load(f, &bytes);
        assert_eq!(
            (s.files[0].events, s.files[0].rejected),
            (*ev, *rej),
            "{f}: {:?}",
            s.rejections
        );
    }
    // SOURCES.md: audit_in.log has 8 ResponseStarted and codes 200:72 403:4 409:4 404:3 201:15 101:2.
    let s = load(
        "in",
        &std::fs::read(c.join("logs/openshift-clo-apiaudit-audit_in.log")).unwrap(),
    );
    assert_eq!(
        (0..s.len())
            .filter(|&r| s.stage(r) == Some(Stage::ResponseStarted))
            .count(),
        8
    );
    for (code, n) in [
        (200u16, 72usize),
        (403, 4),
        (409, 4),
        (404, 3),
        (201, 15),
        (101, 2),
    ] {
        assert_eq!(
            (0..s.len()).filter(|&r| s.code(r) == code).count(),
            n,
            "code {code}"
        );
    }
    assert_eq!(
        (0..s.len())
            .filter(|&r| s.request_object_size(r) > 0)
            .count(),
        36
    );
    assert_eq!(
        (0..s.len())
            .filter(|&r| s.response_object_size(r) > 0)
            .count(),
        86
    );
    // audit2rbac original: RequestReceived 320 + ResponseComplete 437, all impersonation by system:admin in 37.
    let s = load(
        "o",
        &std::fs::read(c.join("logs/audit2rbac-demo-original-v1beta1.log")).unwrap(),
    );
    assert_eq!(
        (0..s.len())
            .filter(|&r| s.stage(r) == Some(Stage::RequestReceived))
            .count(),
        320
    );
    assert_eq!(
        (0..s.len())
            .filter(|&r| !s.str(Dim::ImpersonatedUser, r).is_empty())
            .count(),
        37
    );
}

#[test]
fn corpus_falco_traces() {
    let Some(c) = corpus() else { return };
    let dir = c.join("logs/falco-k8s-audit-traces");
    let mut s = audit_lens::store::Store::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    assert_eq!(names.len(), 47);
    for p in &names {
        load_chunked(
            &mut s,
            p.file_name().unwrap().to_str().unwrap(),
            &std::fs::read(p).unwrap(),
            4096,
        );
    }
    s.finalize();
    let (events, rejected, records) = s.totals();
    assert_eq!((events, rejected, records), (51, 1, 52));
    let bad = &s.rejections[0];
    assert_eq!(s.files[bad.file as usize].name, "fal_01_003.json");
    assert!(
        bad.reason.contains("not a valid audit Event"),
        "{}",
        bad.reason
    );
    // SOURCES.md: ResponseStarted 2 (exec_pod, attach_pod: pods/exec, pods/attach, code 101).
    let started: Vec<usize> = (0..s.len())
        .filter(|&r| s.stage(r) == Some(Stage::ResponseStarted))
        .collect();
    assert_eq!(started.len(), 2);
    let mut subs: Vec<&str> = started
        .iter()
        .map(|&r| s.str(Dim::Subresource, r))
        .collect();
    subs.sort();
    assert_eq!(subs, ["attach", "exec"]);
    assert!(started.iter().all(|&r| s.code(r) == 101));
}

#[test]
fn decoded_bytes_count_the_log_not_the_gzip() {
    let text = "{\"kind\":\"Event\"}\n".repeat(5000);
    for (what, bytes) in [
        ("plain", text.as_bytes().to_vec()),
        ("gzip", gz(text.as_bytes())),
    ] {
        let mut s = audit_lens::store::Store::new();
        let mut ing = audit_lens::ingest::Ingester::new(&mut s, what, bytes.len() as u64);
        for c in bytes.chunks(1000) {
            ing.push(&mut s, c);
        }
        assert_eq!(ing.decoded_bytes(), text.len() as u64, "{what}");
        ing.finish(&mut s);
    }
}
