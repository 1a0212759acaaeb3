//! Hostile and broken input end to end: every case loads what it can, names file and
//! line for what it cannot, never panics, and events + rejected = records.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::*;
use std::io::Write;

const GOOD: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"00000000-0000-4000-8000-000000000001","stage":"ResponseComplete","requestURI":"/api/v1/pods","verb":"list","user":{"username":"u"},"requestReceivedTimestamp":"2026-01-01T00:00:00Z","stageTimestamp":"2026-01-01T00:00:00Z"}"#;

fn check(name: &str, bytes: &[u8], events: u64, rejected: u64, reason: &str) {
    let s = load(name, bytes);
    let f = &s.files[0];
    assert_eq!(
        (f.events, f.rejected),
        (events, rejected),
        "{name}: {:?} {:?}",
        s.rejections,
        f.diagnosis
    );
    assert_eq!(f.events + f.rejected, f.records, "{name}");
    if !reason.is_empty() {
        let all: Vec<String> = s
            .rejections
            .iter()
            .map(|r| format!("line {}: {}", r.line, r.reason))
            .chain(f.diagnosis.clone())
            .collect();
        assert!(
            all.iter().any(|r| r.contains(reason)),
            "{name}: want {reason:?} in {all:?}"
        );
    }
}

#[test]
fn a_single_100_mb_line_is_an_event() {
    // A list response at RequestResponse can be this big; it is kept and measured.
    let body = "x".repeat(100 << 20);
    let line = GOOD.replace(
        r#""stage":"#,
        &format!(r#""responseObject":{{"items":["{body}"]}},"stage":"#),
    );
    let s = load("big.log", format!("{GOOD}\n{line}\n{GOOD}\n").as_bytes());
    assert_eq!(s.len(), 3);
    assert!((0..3).any(|r| s.response_object_size(r) as usize > 100 << 20));
}

#[test]
fn an_overlong_line_is_skipped_and_named() {
    let mut v = format!("{GOOD}\n").into_bytes();
    v.extend(std::iter::repeat_n(b'a', (128 << 20) + 10));
    v.extend_from_slice(format!("\n{GOOD}\n").as_bytes());
    check("overlong.log", &v, 2, 1, "line 2: line longer than 128 MiB");
}

#[test]
fn deeply_nested_json() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let in_body = GOOD.replace(
        r#""stage":"#,
        &format!(r#""requestObject":{deep},"stage":"#),
    );
    // As a whole line: not an event. Inside a body: the event is kept (bodies are
    // measured, not built). Nothing overflows the stack either way.
    check(
        "deep.log",
        format!("{deep}\n{GOOD}\n").as_bytes(),
        1,
        1,
        "line 1",
    );
    let s = load("deep-body.log", format!("{in_body}\n").as_bytes());
    assert_eq!(s.totals().0 + s.totals().1, 1);
    let objs = format!("{}{}", "{\"a\":".repeat(50_000), "}".repeat(50_000));
    check(
        "deep-objects.log",
        format!("{objs}\n{GOOD}\n").as_bytes(),
        1,
        1,
        "line 1",
    );
}

#[test]
fn binary_and_documents_dropped_by_mistake() {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend((0..5000u32).map(|i| (i * 7919 % 251) as u8));
    let s = load("photo.png", &png);
    assert!(
        s.files[0]
            .diagnosis
            .as_deref()
            .unwrap_or("")
            .contains("image"),
        "{:?}",
        s.files[0].diagnosis
    );
    assert_eq!(s.len(), 0);
    let pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n";
    check("doc.pdf", pdf, 0, 5, "PDF");
    let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00binarystuff\n";
    check("logs.zip", zip, 0, 1, "ZIP");
}

#[test]
fn truncated_and_corrupt_gzip_keep_what_was_readable() {
    let text: String = (0..2000).map(|_| format!("{GOOD}\n")).collect();
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text.as_bytes()).unwrap();
    let z = e.finish().unwrap();
    let s = load("cut.log.gz", &z[..z.len() / 2]);
    let f = &s.files[0];
    assert!(f.events > 0 && f.events < 2000, "{}", f.events);
    assert!(
        f.diagnosis.as_deref().unwrap_or("").contains("truncated"),
        "{:?}",
        f.diagnosis
    );
    assert_eq!(f.events + f.rejected, f.records);
    let mut bad = z.clone();
    let n = bad.len();
    bad[n / 2] ^= 0x55;
    let s = load("corrupt.log.gz", &bad);
    assert!(s.files[0].diagnosis.is_some());
    assert_eq!(s.files[0].events + s.files[0].rejected, s.files[0].records);
}

#[test]
fn gzip_bomb_stops_with_a_reason() {
    // 300 MB of newlines compress to ~300 kB: over the 200:1 ratio once past 64 MB.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![b'\n'; 1 << 20];
    for _ in 0..300 {
        e.write_all(&chunk).unwrap();
    }
    let z = e.finish().unwrap();
    let s = load("bomb.gz", &z);
    let d = s.files[0].diagnosis.clone().unwrap_or_default();
    assert!(d.contains("gzip bomb"), "{d}");
    assert!(s.files[0].decoded_bytes < 300 << 20);
}

#[test]
fn html_and_script_in_fields_are_kept_verbatim() {
    let evil = GOOD.replace(r#""username":"u""#, r#""username":"<script>alert(1)</script><img src=x onerror=alert(2)> javascript:alert(3) \u0007""#);
    let s = load("xss.log", format!("{evil}\n").as_bytes());
    assert_eq!(s.len(), 1);
    assert_eq!(
        s.str(audit_lens::store::Dim::User, 0),
        "<script>alert(1)</script><img src=x onerror=alert(2)> javascript:alert(3) \u{7}"
    );
}

#[test]
fn nul_bytes_and_mixed_garbage_between_good_lines() {
    let v = [
        GOOD.as_bytes(),
        b"\n\x00\x00\x00\n{\"kind\":\"Event\"\n",
        GOOD.as_bytes(),
        b"\n\xff\xfe\n",
        GOOD.as_bytes(),
    ]
    .concat();
    check("mixed.log", &v, 3, 3, "line 3");
}

/// Review §3.4: top-N and the timeline packed (resource, group, subresource) into 20-bit
/// fields. Past 2^20 distinct API groups the group id spilled into the resource field:
/// labels merged, then `Interner::get` indexed past the resource dictionary (a panic in
/// the worker and the CLI). 2^20 + 2 groups, each its own label, now.
#[test]
fn top_resources_past_two_to_the_twenty_groups() {
    use audit_lens::analysis::timeline::{timeline, StackBy};
    use audit_lens::analysis::topn::{top_n, TopDim};
    use audit_lens::store::{EventIn, Store};
    let mut s = Store::new();
    let f = s.add_file("many-groups.log", 0);
    let n: u32 = (1 << 20) + 2;
    let groups: Vec<String> = (0..n).map(|i| format!("g{i}.example.com")).collect();
    for (i, g) in groups.iter().enumerate() {
        s.push(&EventIn {
            file: f,
            received: i as i64,
            stage_ts: i as i64,
            audit_id: "x",
            verb: "get",
            resource_request: true,
            api_group: g,
            api_version: "v1",
            resource: "widgets",
            request_uri: "/x",
            ..Default::default()
        });
    }
    s.finalize();
    let top = top_n(&s, TopDim::Resource, None, 3);
    assert_eq!(top.len(), 3);
    // Every group is its own value with one event; ties are ordered by label.
    assert!(top.iter().all(|t| t.events == 1), "{top:?}");
    assert_eq!(top[0].value, "widgets.g0.example.com");
    let rows: Vec<u32> = ((n - 3)..n).collect();
    let last = top_n(&s, TopDim::Resource, Some(&rows), 5);
    let mut want: Vec<String> = ((n - 3)..n)
        .map(|i| format!("widgets.g{i}.example.com"))
        .collect();
    want.sort();
    assert_eq!(
        last.iter().map(|t| t.value.clone()).collect::<Vec<_>>(),
        want
    );
    let t = timeline(
        &s,
        &rows,
        (0, n as i64),
        10,
        StackBy::Dim(TopDim::Resource),
        5,
        None,
    );
    let mut labels: Vec<String> = t.series.iter().map(|x| x.label.clone()).collect();
    labels.sort();
    assert_eq!(labels, want);
}

/// Review §3.5: one Go zero time (`0001-01-01`) in a 2026 log made ~24 k bins of 30 days
/// per query; bins never outnumber the target now.
#[test]
fn timeline_bins_stay_bounded_over_two_thousand_years() {
    let log = format!(
        "{}\n{}\n",
        GOOD.replace("2026-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        GOOD
    );
    let s = load("zero-time.log", log.as_bytes());
    assert_eq!(s.len(), 2);
    let rows: Vec<u32> = vec![0, 1];
    let (a, b) = (s.received(0), s.received(1) + 1);
    let t = audit_lens::analysis::timeline::timeline(
        &s,
        &rows,
        (a, b),
        200,
        audit_lens::analysis::timeline::StackBy::None,
        5,
        None,
    );
    assert!(t.totals.len() <= 201, "{} bins", t.totals.len());
    assert_eq!(t.totals.iter().map(|&x| x as u64).sum::<u64>(), 2);
}
