//! `audit-lens bench`: the native half of the benchmark harness. Generates a log in
//! memory and reports ingest throughput, store bytes per event, filter latency, timeline
//! binning, and policy re-evaluation and coverage time — the figures the README quotes.
//! (Timings are measurements printed for people, never asserted.)

use crate::Args;
use audit_lens::analysis::coverage::coverage;
use audit_lens::analysis::evaluate::{evaluate, AttrIndex};
use audit_lens::analysis::timeline::{timeline, StackBy};
use audit_lens::analysis::topn::TopDim;
use audit_lens::audit::policy::{load_policy_bytes, LoadOptions};
use audit_lens::gen::{generate, GenOptions};
use audit_lens::query::compile;
use audit_lens::store::Store;
use std::process::ExitCode;
use std::time::Instant;

fn ingest(bytes: &[u8]) -> Store {
    let mut s = Store::new();
    audit_lens::ingest::load_bytes(&mut s, "bench.log", bytes);
    s.finalize();
    s
}

/// Median of `n` runs of `f`, in milliseconds.
fn median_ms(n: usize, mut f: impl FnMut()) -> f64 {
    let mut v: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

pub fn run(a: &[String]) -> Result<ExitCode, String> {
    let args = Args::parse(a, &[])?;
    let size = args
        .get("size")
        .map_or(Some(200_000_000), crate::parse_size)
        .ok_or("--size: cannot read (try 200MB)")?;
    let rounds: usize = args
        .get("rounds")
        .map_or(Ok(5), |v| v.parse().map_err(|_| "--rounds: not a number"))?;
    let mut log = Vec::with_capacity(size as usize + 100_000);
    let body_scale: f64 = args.get("body-scale").map_or(Ok(1.0), |v| {
        v.parse().map_err(|_| "--body-scale: not a number")
    })?;
    let opts = GenOptions {
        max_bytes: size,
        duration_s: 0,
        body_scale,
        ..Default::default()
    };
    generate(&opts, &mut |b| log.extend_from_slice(b));
    println!("log: {} bytes generated (seed {})", log.len(), opts.seed);
    let mut store = Store::new();
    if args.get("compare-serde").is_some() || std::env::var_os("AUDIT_LENS_COMPARE_SERDE").is_some()
    {
        // Paired rounds: fast scanner vs serde_json alone, alternating.
        use std::sync::atomic::Ordering::Relaxed;
        let flag = &audit_lens::ingest::record::FAST_PATH;
        let (mut fast, mut slow) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            flag.store(true, Relaxed);
            fast.push(median_ms(1, || store = ingest(&log)));
            flag.store(false, Relaxed);
            slow.push(median_ms(1, || store = ingest(&log)));
        }
        flag.store(true, Relaxed);
        fast.sort_by(|a, b| a.total_cmp(b));
        slow.sort_by(|a, b| a.total_cmp(b));
        let mbps = |ms: f64| log.len() as f64 / 1e3 / ms;
        println!(
            "paired: scanner {:.0} MB/s, serde_json only {:.0} MB/s (medians of {rounds})",
            mbps(fast[rounds / 2]),
            mbps(slow[rounds / 2])
        );
    }
    let ms = median_ms(rounds, || store = ingest(&log));
    let m = store.memory_use();
    println!(
        "ingest: {:.0} ms median of {rounds} = {:.0} MB/s, {:.0} k events/s ({} events, {:.0} B/line)",
        ms,
        log.len() as f64 / 1e3 / ms,
        store.len() as f64 / ms,
        store.len(),
        log.len() as f64 / store.len().max(1) as f64
    );
    println!(
        "store: {:.1} B/event in columns, {:.1} B/event with dictionaries",
        m.per_event_columns(),
        m.per_event_total()
    );
    for f in [
        "user:system:node:* verb:update",
        "code:>=400",
        "resource:pods/exec",
        "secrets -verb:watch",
        "ns:kube-system,default latency:>1s",
    ] {
        let mut n = 0;
        let ms = median_ms(rounds, || {
            n = compile(&store, f, None)
                .map(|c| c.select(&store, None, None).len())
                .unwrap_or(0)
        });
        println!("filter {f:?}: {ms:.1} ms ({n} events)");
    }
    // The detection pack, body rules included (their candidates' bytes read from the
    // generated log, as the CLI reads a file).
    let pack = audit_lens::detect::Pack::builtin();
    let mut nf = 0;
    let mut cands = 0;
    let ms = median_ms(rounds, || {
        let run = audit_lens::detect::Run::new(&store, &pack);
        cands = run.body_candidates().len();
        let mut run = run;
        for r in run.body_candidates() {
            let (off, len) = store.record_range(r as usize);
            if let Some(b) = log.get(off as usize..off as usize + len as usize) {
                run.judge(r, b);
            }
        }
        nf = run.finish(&store).findings.len();
    });
    println!(
        "findings: the built-in pack ({} rules) {ms:.1} ms ({nf} findings, {cands} body candidates)",
        pack.rules.len()
    );
    let all: Vec<u32> = (0..store.len() as u32).collect();
    let range = (
        store.received(0),
        store.received(store.len().saturating_sub(1)) + 1,
    );
    let ms = median_ms(rounds, || {
        timeline(
            &store,
            &all,
            range,
            200,
            StackBy::Dim(TopDim::User),
            8,
            None,
        );
    });
    println!("timeline: 200 bins stacked by user over all events: {ms:.1} ms");
    let ms_idx = median_ms(rounds, || {
        AttrIndex::build(&store);
    });
    let idx = AttrIndex::build(&store);
    println!(
        "attribute index (once per load): {ms_idx:.1} ms, {} distinct tuples",
        idx.tuples()
    );
    let bytes = match args.get("policy") {
        Some(p) => std::fs::read(p).map_err(|e| format!("{p}: {e}"))?,
        None => bench_policy(args.get("policy-rules").map_or(Ok(40), |v| {
            v.parse().map_err(|_| "--policy-rules: not a number")
        })?)
        .into_bytes(),
    };
    let p = load_policy_bytes("bench-policy", &bytes, &LoadOptions::default())
        .map_err(|e| e.to_string())?;
    let mut ev = evaluate(&store, &idx, &p.compiled);
    let ms = median_ms(rounds, || ev = evaluate(&store, &idx, &p.compiled));
    println!(
        "policy ({} rules): re-evaluation {ms:.1} ms ({} distinct keys)",
        p.rule_count(),
        ev.keys.len()
    );
    let ms = median_ms(rounds, || {
        coverage(&store, &p.compiled, &ev);
    });
    println!("coverage: {ms:.1} ms");
    Ok(ExitCode::SUCCESS)
}

/// The sample policy grown to `n` rules (if it has fewer) by inserting realistic
/// team-specific rules before its catch-all: rules that must all be tried, worst case.
fn bench_policy(n: usize) -> String {
    let base = audit_lens::gen::sample_policy();
    let cut = base.rfind("  # Everything else").unwrap_or(base.len());
    let have = base.matches("\n  - level:").count();
    let mut extra = String::new();
    for i in 0..n.saturating_sub(have) {
        let (level, verbs) = match i % 3 {
            0 => ("Metadata", "[\"get\", \"list\"]"),
            1 => ("Request", "[\"create\", \"update\", \"patch\"]"),
            _ => ("RequestResponse", "[\"delete\"]"),
        };
        extra.push_str(&format!(
            "  - level: {level}\n    userGroups: [\"team-{i}\"]\n    verbs: {verbs}\n    namespaces: [\"team-{i}-prod\", \"team-{i}-dev\"]\n    resources:\n      - group: \"apps\"\n        resources: [\"deployments\", \"statefulsets\"]\n      - group: \"\"\n        resources: [\"pods\", \"services\", \"configmaps\"]\n"
        ));
    }
    format!("{}{extra}{}", &base[..cut], &base[cut..])
}
