//! Loading overlapping files (rotated logs saved twice, the same file under two names)
//! keeps each event once and says so (issue "Trust" §2): the dropped events count as
//! `skipped` and `duplicates` of the later file; events + rejected + skipped == records.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use audit_lens::store::{duplicates_note, fingerprint, Store};
use common::*;
use std::collections::HashSet;

fn gen_lines(seconds: u64) -> Vec<String> {
    let mut v = Vec::new();
    let o = audit_lens::gen::GenOptions {
        duration_s: seconds,
        seed: 7,
        ..Default::default()
    };
    audit_lens::gen::generate(&o, &mut |b| v.extend_from_slice(b));
    String::from_utf8(v)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Distinct (auditID, stage, requestReceivedTimestamp) of some JSON lines, by serde_json.
fn distinct(lines: &[String]) -> usize {
    lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["auditID"].as_str().unwrap().to_string(),
                v["stage"].as_str().unwrap().to_string(),
                v["requestReceivedTimestamp"].as_str().unwrap().to_string(),
            )
        })
        .collect::<HashSet<_>>()
        .len()
}

#[test]
fn overlapping_rotations_keep_each_event_once() {
    let lines = gen_lines(60);
    let n = lines.len();
    assert!(n > 500, "{n}");
    let (a, b) = (&lines[..n * 2 / 3], &lines[n / 3..]);
    let join = |l: &[String]| l.join("\n") + "\n";
    let mut s = Store::new();
    load_chunked(&mut s, "audit-1.log", join(a).as_bytes(), 1 << 20);
    load_chunked(&mut s, "audit.log", join(b).as_bytes(), 1 << 20);
    s.finalize();
    let dropped = s.drop_cross_file_duplicates();
    let want = distinct(&lines);
    assert_eq!(s.len(), want, "each distinct event once");
    let overlap = a.len() + b.len() - want;
    assert_eq!(dropped, vec![(1, 0, overlap as u64)]);
    let f = &s.files[1];
    assert_eq!((f.duplicates, f.skipped), (overlap as u64, overlap as u64));
    assert_eq!(f.events + f.rejected + f.skipped, f.records);
    assert_eq!(
        s.files[0].events as usize,
        a.len(),
        "the first file keeps everything"
    );
    let note = duplicates_note(&s, &dropped).unwrap();
    assert!(
        note.contains("of audit.log were already loaded from audit-1.log"),
        "{note}"
    );
    // Still in time order, and a second pass finds nothing.
    assert!(s.received_col().windows(2).all(|w| w[0] <= w[1]));
    assert!(s.drop_cross_file_duplicates().is_empty());
}

#[test]
fn repeats_within_one_file_are_kept() {
    // An aggregated API server can log a request under the audit ID kube-apiserver gave
    // it: repeats inside one file are not ours to drop.
    let lines = gen_lines(5);
    let text = format!("{}\n{}\n", lines[0], lines[0]);
    let mut s = Store::new();
    load_chunked(&mut s, "a.log", text.as_bytes(), 1 << 20);
    load_chunked(
        &mut s,
        "b.log",
        format!("{}\n", lines[1]).as_bytes(),
        1 << 20,
    );
    s.finalize();
    assert!(s.drop_cross_file_duplicates().is_empty());
    assert_eq!(s.len(), 3);
}

#[test]
fn the_same_file_has_the_same_fingerprint() {
    let lines = gen_lines(5);
    let text = lines.join("\n");
    let b = text.as_bytes();
    assert_eq!(
        fingerprint(b.len() as u64, b),
        fingerprint(b.len() as u64, b)
    );
    assert_ne!(
        fingerprint(b.len() as u64, b),
        fingerprint(b.len() as u64 - 1, &b[1..])
    );
    let mut s = Store::new();
    load_chunked(&mut s, "a.log", b, 1 << 20);
    s.files[0].fingerprint = Some(fingerprint(b.len() as u64, b));
    assert_eq!(
        s.same_file(fingerprint(b.len() as u64, b))
            .map(|f| f.name.as_str()),
        Some("a.log")
    );
}
