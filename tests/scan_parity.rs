//! The fast scanner and serde_json give the same store on every input: generated logs,
//! the real corpus, hand-written edge cases and mangled bytes. (One test in its own
//! binary: it flips the process-wide fast-path switch.)
#![cfg(not(target_arch = "wasm32"))]

mod common;
use audit_lens::gen::{generate, GenOptions};
use audit_lens::ingest::record::FAST_PATH;
use audit_lens::store::Store;
use common::*;
use std::sync::atomic::Ordering;

fn run(
    name: &str,
    bytes: &[u8],
    fast: bool,
) -> (
    Vec<String>,
    Vec<audit_lens::store::Rejection>,
    (u64, u64, u64),
) {
    FAST_PATH.store(fast, Ordering::SeqCst);
    let mut s = Store::new();
    load_chunked(&mut s, name, bytes, 1 << 16);
    s.finalize();
    FAST_PATH.store(true, Ordering::SeqCst);
    (digest(&s), s.rejections.clone(), s.totals())
}

/// On mangled input the scanner may accept a line whose *skipped* insides (a body) are
/// malformed where serde_json rejects it (documented leniency), but never the reverse,
/// and rows accepted by both are identical.
fn lenient(name: &str, bytes: &[u8]) {
    let (fast, serde) = (run(name, bytes, true), run(name, bytes, false));
    assert_eq!(fast.2 .2, serde.2 .2, "{name}: records");
    assert!(
        fast.2 .0 >= serde.2 .0,
        "{name}: the scanner rejected a line serde accepts"
    );
    let mut extra = fast.0.clone();
    for row in &serde.0 {
        let k = extra
            .iter()
            .position(|r| r == row)
            .unwrap_or_else(|| panic!("{name}: serde row missing from fast path: {row}"));
        extra.remove(k);
    }
    assert_eq!(extra.len() as u64, fast.2 .0 - serde.2 .0);
    for r in &fast.1 {
        assert!(
            serde.1.iter().any(|x| x.line == r.line),
            "{name}: rejection only on the fast path: {r:?}"
        );
    }
}

fn both(name: &str, bytes: &[u8]) {
    let run = |fast: bool| {
        FAST_PATH.store(fast, Ordering::SeqCst);
        let mut s = Store::new();
        load_chunked(&mut s, name, bytes, 1 << 16);
        s.finalize();
        (digest(&s), s.rejections.clone(), s.totals())
    };
    let (a, b) = (run(true), run(false));
    FAST_PATH.store(true, Ordering::SeqCst);
    assert_eq!(a.2, b.2, "{name}: totals");
    assert_eq!(a.1, b.1, "{name}: rejections");
    assert_eq!(a.0, b.0, "{name}: rows");
}

const EDGE: &[&str] = &[
    // escapes in kept strings, unicode, surrogate pairs
    r#"{"kind":"Event","auditID":"a1","stage":"ResponseComplete","verb":"get","requestURI":"/api/v1/namespaces/d/configmaps/x","user":{"username":"J\u00fcrgen \"jay\"","groups":["a\"b","\ud83d\ude00"]},"objectRef":{"resource":"configmaps","namespace":"d","name":"x","apiVersion":"v1"},"annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by RoleBinding \"x/y\" of Role \"z\""},"requestReceivedTimestamp":"2026-01-01T00:00:00Z","stageTimestamp":"2026-01-01T00:00:00Z"}"#,
    // nulls, nested arrays in bodies, strings with braces and brackets in bodies
    r#"{"kind":"Event","level":"Request","auditID":"a2","stage":"ResponseComplete","verb":"create","requestURI":"/x","user":null,"impersonatedUser":null,"sourceIPs":null,"objectRef":null,"responseStatus":{"code":201,"metadata":{}},"requestObject":{"a":[[1,2],[3,[4,{"b":"}]{["}]]],"c":"\\\"}"},"responseObject":[{"x":"]"}],"requestReceivedTimestamp":"2026-01-01T00:00:01Z","stageTimestamp":"2026-01-01T00:00:01Z"}"#,
    // duplicate key: serde refuses, the scanner must not accept
    r#"{"kind":"Event","auditID":"a3","verb":"get","verb":"list","requestURI":"/x","requestReceivedTimestamp":"2026-01-01T00:00:02Z"}"#,
    // wrong types
    r#"{"kind":"Event","auditID":"a4","verb":5,"requestURI":"/x","requestReceivedTimestamp":"2026-01-01T00:00:03Z"}"#,
    r#"{"kind":"Event","auditID":"a5","verb":"get","requestURI":"/x","responseStatus":{"code":"200"},"requestReceivedTimestamp":"2026-01-01T00:00:04Z"}"#,
    // trailing garbage, control characters in strings, bad escapes
    r#"{"kind":"Event","auditID":"a6","verb":"get","requestURI":"/x","requestReceivedTimestamp":"2026-01-01T00:00:05Z"} x"#,
    "{\"kind\":\"Event\",\"auditID\":\"a7\",\"verb\":\"g\tet\",\"requestURI\":\"/x\",\"requestReceivedTimestamp\":\"2026-01-01T00:00:06Z\"}",
    r#"{"kind":"Event","auditID":"a8","verb":"g\qet","requestURI":"/x","requestReceivedTimestamp":"2026-01-01T00:00:07Z"}"#,
    // float code, huge code, negative code
    r#"{"kind":"Event","auditID":"a9","verb":"get","requestURI":"/x","responseStatus":{"code":2.0e2},"requestReceivedTimestamp":"2026-01-01T00:00:08Z"}"#,
    r#"{"kind":"Event","auditID":"b1","verb":"get","requestURI":"/x","responseStatus":{"code":-1},"requestReceivedTimestamp":"2026-01-01T00:00:09Z"}"#,
    // timestamp field (v1beta1) and metadata
    r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","metadata":{"creationTimestamp":"2017-01-01T00:00:00Z"},"timestamp":"2017-01-01T00:00:00Z","auditID":"b2","verb":"get","requestURI":"/x"}"#,
    // empty object, empty nested
    r#"{}"#,
    r#"{"kind":"Event","auditID":"b3","verb":"get","requestURI":"/x","user":{},"objectRef":{},"requestReceivedTimestamp":"2026-01-01T00:00:10Z"}"#,
];

#[test]
fn scanner_equals_serde_everywhere() {
    let mut gen = Vec::new();
    generate(
        &GenOptions {
            duration_s: 600,
            ..Default::default()
        },
        &mut |b| gen.extend_from_slice(b),
    );
    both("generated", &gen);
    // The parity covers facts too (in `digest`): the generated log has some.
    let g = load("generated", &gen);
    let with_facts = (0..g.len()).filter(|&r| g.facts(r).is_some()).count();
    assert!(with_facts > 10, "generated rows with facts: {with_facts}");
    both("edge cases", EDGE.join("\n").as_bytes());
    for (i, e) in EDGE.iter().enumerate() {
        both(&format!("edge {i}"), e.as_bytes());
    }
    // Mangled: flip bytes all over a generated log, deterministically.
    let mut rng = audit_lens::gen::Rng::new(99);
    for round in 0..30 {
        let mut m = gen[..200_000].to_vec();
        for _ in 0..(1 + round * 3) {
            let i = rng.below(m.len() as u64) as usize;
            m[i] = *rng.pick(b"{}[]\",:\\ \n0atnu\x00\xff");
        }
        lenient(&format!("mangled {round}"), &m);
    }
    if let Some(c) = corpus() {
        let mut files: Vec<_> = std::fs::read_dir(c.join("logs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        for dir in [
            "logs/falco-k8s-audit-traces",
            "realworld/logs",
            "realworld/logs/sysdiglabs-stackdriver-webhook-bridge/k8s_audit_events",
        ] {
            files.extend(
                std::fs::read_dir(c.join(dir))
                    .unwrap()
                    .map(|e| e.unwrap().path()),
            );
        }
        for f in files.into_iter().filter(|p| p.is_file()) {
            both(&f.to_string_lossy(), &std::fs::read(&f).unwrap());
        }
    }
}
