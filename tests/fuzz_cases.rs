//! Replays the fuzz targets' checks (`audit_lens::fuzzing`) on the committed seeds
//! (`fuzz/seeds/<target>/`, a small hand-written corpus covering each input shape) and
//! on every case a fuzzer ever found (`fuzz/regressions/<target>/`): a found crash stays
//! fixed because it runs here on every `cargo test`.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

fn cases(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut out = Vec::new();
    for dir in ["seeds", "regressions"] {
        let Ok(rd) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_file() && p.file_name().is_some_and(|n| n != "README.md") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn replay(target: &str, check: impl Fn(&[u8])) -> usize {
    let files = cases(target);
    for p in &files {
        let data = std::fs::read(p).unwrap();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&data)));
        assert!(r.is_ok(), "{target}: {} fails its check", p.display());
    }
    files.len()
}

#[test]
fn ingest_cases() {
    let n = replay("ingest", audit_lens::fuzzing::ingest);
    assert!(n >= 10, "the ingest seeds are committed ({n} found)");
}

#[test]
fn policy_cases() {
    let n = replay("policy", audit_lens::fuzzing::policy);
    assert!(n >= 5, "the policy seeds are committed ({n} found)");
}

#[test]
fn filter_cases() {
    let s = audit_lens::fuzzing::filter_store();
    let n = replay("filter", |d| audit_lens::fuzzing::filter(&s, d));
    assert!(n >= 6, "the filter seeds are committed ({n} found)");
}

#[test]
fn seeds_are_what_they_say() {
    // The seeds exercise the shapes they are named after (so the fuzzer starts there).
    use audit_lens::ingest::Ingester;
    use audit_lens::store::Store;
    for p in cases("ingest") {
        if !p.starts_with(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds")) {
            continue;
        }
        let data = std::fs::read(&p).unwrap();
        let mut s = Store::new();
        let mut ing = Ingester::new(&mut s, "seed", data.len() as u64 - 1);
        ing.push(&mut s, &data[1..]);
        ing.finish(&mut s);
        assert!(!s.is_empty(), "{}: no event in a seed", p.display());
    }
}
