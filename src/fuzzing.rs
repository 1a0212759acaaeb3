//! The checks the fuzz targets run (`fuzz/fuzz_targets/*.rs`), kept here so that
//! `tests/fuzz_cases.rs` replays the committed seeds and every case a fuzzer ever found
//! (`fuzz/seeds/`, `fuzz/regressions/`) in the normal test run.
//!
//! Each function takes arbitrary bytes and panics only when an invariant breaks.

use crate::audit::lint::{lint, security_checklist};
use crate::audit::policy::{load_policy, load_policy_bytes, LoadOptions};
use crate::audit::RequestAttrs;
use crate::ingest::Ingester;
use crate::store::{wire, Store};

/// Any bytes, in any chunking (the first byte picks the chunk size): ingest never
/// panics, accounts for every record, and the store survives the piece wire format.
/// Every row's event is re-extracted from its record (one line, never an error), and the
/// top-N tables and a timeline are computed. Arbitrary bytes given to the wire decoder
/// are refused or decoded, never a panic.
pub fn ingest(data: &[u8]) {
    let (cut, body) = match data.split_first() {
        Some((c, b)) => (*c as usize + 1, b),
        None => (1, data),
    };
    let mut s = Store::new();
    let mut ing = Ingester::new(&mut s, "fuzz", body.len() as u64);
    for c in body.chunks(cut) {
        ing.push(&mut s, c);
    }
    ing.finish(&mut s);
    let (e, r, t) = s.totals();
    assert_eq!(e + r, t, "events + rejected = records");
    assert_eq!(e as usize, s.len());
    let back = wire::decode(&wire::encode(&s)).expect("a store's own encoding decodes");
    assert_eq!(back.len(), s.len());
    let _ = wire::decode(body);
    s.finalize();
    if !s.files[0].gzip {
        for r in 0..s.len() {
            let (off, len) = s.record_range(r);
            let end = off + len as u64;
            assert!(end <= body.len() as u64, "row {r}: record inside the file");
            let ev = crate::ingest::record::event_json(
                &body[off as usize..end as usize],
                s.wrap_item(r),
            )
            .expect("a row's event is always found again");
            assert!(ev.verbatim || !ev.text.contains('\n'), "row {r}: one line");
        }
    }
    use crate::analysis::topn::{top_n, TopDim};
    for &d in crate::analysis::stats::STATS_DIMS
        .iter()
        .chain(&[TopDim::ImpersonatedUser, TopDim::Decision])
    {
        top_n(&s, d, None, 5);
    }
    if !s.is_empty() {
        let rows: Vec<u32> = (0..s.len() as u32).collect();
        let span = (s.received(0), s.received(s.len() - 1) + 1);
        let stack = crate::analysis::timeline::StackBy::Dim(TopDim::Resource);
        crate::analysis::timeline::timeline(&s, &rows, span, 300, stack, 8, None);
    }
}

/// Any text as a policy: loading (strict and lenient), linting, the checklist and an
/// evaluation never panic; an OpenShift filter reading of the same text neither.
pub fn policy(data: &[u8]) {
    // Files are read as bytes (UTF-16, invalid UTF-8): never a panic either.
    if let Ok(p) = load_policy_bytes("fuzz.yaml", data, &LoadOptions::default()) {
        lint(&p);
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for opts in [
        LoadOptions::default(),
        LoadOptions {
            accept_old_versions: true,
            ..Default::default()
        },
    ] {
        if let Ok(p) = load_policy("fuzz.yaml", text, &opts) {
            lint(&p);
            security_checklist(&p);
            let a = RequestAttrs {
                user: "u",
                verb: "get",
                resource_request: true,
                resource: "pods",
                namespace: "n",
                ..Default::default()
            };
            p.compiled.evaluate(&a);
        }
    }
    let _ = crate::audit::clo::load_clo_filter("fuzz.yaml", text);
}

/// What [`filter`] runs against: a small generated log, finalized, and the sample
/// policy's evaluation of it (so `rule:` terms compile and select too).
pub struct FilterTarget {
    pub store: Store,
    pub eval: crate::analysis::evaluate::Evaluation,
}

/// Builds the [`FilterTarget`].
pub fn filter_store() -> FilterTarget {
    let mut v = Vec::new();
    let o = crate::gen::GenOptions {
        duration_s: 60,
        ..Default::default()
    };
    crate::gen::generate(&o, &mut |b| v.extend_from_slice(b));
    let mut s = Store::new();
    crate::ingest::load_bytes(&mut s, "gen", &v);
    s.finalize();
    let p = crate::audit::policy::load_policy(
        "sample",
        crate::gen::sample_policy(),
        &crate::audit::policy::LoadOptions::default(),
    )
    .expect("the sample policy loads");
    let idx = crate::analysis::evaluate::AttrIndex::build(&s);
    let eval = crate::analysis::evaluate::evaluate(&s, &idx, &p.compiled);
    FilterTarget { store: s, eval }
}

/// Any text as a filter: parsing, compiling against the store (with and without the
/// policy's evaluation), selecting and completing (at a cursor picked from the input's
/// length) never panic.
pub fn filter(t: &FilterTarget, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let s = &t.store;
    if let Ok(f) = crate::query::compile(s, text, None) {
        f.select(s, None, None);
    }
    if let Ok(f) = crate::query::compile(s, text, Some(&t.eval)) {
        f.select(s, None, Some(&t.eval));
    }
    let mut cur = data.len().min(text.len());
    while !text.is_char_boundary(cur) {
        cur -= 1;
    }
    crate::query::complete::complete(s, text, cur, 5);
}
