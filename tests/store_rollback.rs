//! `Store::mark` / `Store::rollback`: a cancelled, failed or held-back file is taken out
//! of the store by truncation (review §1/§3.6: Cancel used to re-read every file already
//! loaded, and cancelling that re-read dropped files the user had loaded).
#![cfg(not(target_arch = "wasm32"))]

mod common;
use audit_lens::ingest::Ingester;
use audit_lens::store::Store;
use common::*;

fn gen_log(seconds: u64, seed: u64) -> Vec<u8> {
    let mut v = Vec::new();
    let o = audit_lens::gen::GenOptions {
        duration_s: seconds,
        seed,
        ..Default::default()
    };
    audit_lens::gen::generate(&o, &mut |b| v.extend_from_slice(b));
    v
}

/// Everything observable of a store: rows, files with counters, rejections, dictionaries.
fn everything(s: &Store) -> (Vec<String>, String, String, Vec<usize>) {
    let dims = audit_lens::store::Dim::ALL
        .iter()
        .map(|&d| s.dict.of(d).len())
        .collect();
    (
        digest(s),
        format!("{:?}", s.files),
        format!("{:?}", s.rejections),
        dims,
    )
}

#[test]
fn rollback_equals_never_having_started() {
    let a = gen_log(20, 1);
    let mut b = gen_log(20, 2);
    b.extend_from_slice(b"not json\n{\"kind\":\"EventList\",\"items\":[]}\n");
    let wrapped = format!(
        "{{\"kind\":\"EventList\",\"items\":[{}]}}\n",
        std::str::from_utf8(&a[..a.iter().position(|&c| c == b'\n').unwrap()]).unwrap()
    );
    b.extend_from_slice(wrapped.as_bytes());
    // The reference: only `a` was ever loaded (and finalized, as the engine does).
    let mut want = Store::new();
    load_chunked(&mut want, "a.log", &a, 1 << 16);
    want.finalize();
    for cut in [0usize, 1, 4096, b.len() / 3, b.len() - 1, b.len()] {
        for finalized_first in [false, true] {
            let mut s = Store::new();
            load_chunked(&mut s, "a.log", &a, 1 << 16);
            if finalized_first {
                s.finalize();
            }
            let m = s.mark();
            // Part of `b` (or all of it, unfinished), as a cancel finds it.
            let mut ing = Ingester::new(&mut s, "b.log", b.len() as u64);
            ing.push(&mut s, &b[..cut]);
            if cut == b.len() {
                ing.finish(&mut s);
            }
            assert!(s.files.len() == 2);
            s.rollback(&m);
            s.finalize();
            assert_eq!(
                everything(&s),
                everything(&want),
                "cut {cut}, finalized {finalized_first}"
            );
            // The store goes on as if `b` never started: loading `b` now gives what a
            // fresh a+b load gives (dense ids, no stale strings).
            load_chunked(&mut s, "b.log", &b, 1 << 20);
            s.finalize();
            let mut fresh = Store::new();
            load_chunked(&mut fresh, "a.log", &a, 1 << 16);
            if finalized_first {
                fresh.finalize();
            }
            load_chunked(&mut fresh, "b.log", &b, 1 << 20);
            fresh.finalize();
            assert_eq!(
                everything(&s),
                everything(&fresh),
                "cut {cut}: reload after rollback"
            );
        }
    }
}

#[test]
fn rollback_after_merging_pieces() {
    // A file read in pieces (as the CLI's threads and the page's helpers do), then
    // rolled back: the pieces' rows and strings go too.
    let a = gen_log(10, 3);
    let b = gen_log(30, 4);
    let mut s = Store::new();
    load_chunked(&mut s, "a.log", &a, 1 << 20);
    s.finalize();
    let before = everything(&s);
    let m = s.mark();
    let file = s.add_file("b.log", b.len() as u64);
    let mid = b.len() / 2 + b[b.len() / 2..].iter().position(|&c| c == b'\n').unwrap() + 1;
    let mut part = Store::new();
    let mut ing = Ingester::continuation(&mut part, "b.log", b.len() as u64, mid as u64);
    ing.push(&mut part, &b[mid..]);
    ing.finish(&mut part);
    s.absorb(&part, file, 1000);
    assert!(s.len() > a.len() / 2000);
    s.rollback(&m);
    s.finalize();
    assert_eq!(everything(&s), before);
}
