//! Criterion benchmarks of the engine on a generated log (~200 MB by default;
//! `AUDIT_LENS_BENCH_MB` changes it): ingest MB/s and events/s, store bytes per event,
//! top-N, and (once a policy is loaded) evaluation and coverage.

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use audit_lens::analysis::topn::{top_n, TopDim};
    use audit_lens::gen::{generate, GenOptions};
    use audit_lens::store::Store;
    use criterion::{Criterion, Throughput};
    use std::time::Duration;

    fn log_bytes() -> Vec<u8> {
        let mb: u64 = std::env::var("AUDIT_LENS_BENCH_MB")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(200);
        let mut v = Vec::with_capacity((mb * 1_000_000 + 100_000) as usize);
        generate(
            &GenOptions {
                max_bytes: mb * 1_000_000,
                duration_s: 0,
                ..Default::default()
            },
            &mut |b| v.extend_from_slice(b),
        );
        v
    }

    fn ingest(bytes: &[u8]) -> Store {
        let mut s = Store::new();
        audit_lens::ingest::load_bytes(&mut s, "bench.log", bytes);
        s.finalize();
        s
    }

    fn benches(c: &mut Criterion) {
        let bytes = log_bytes();
        let store = ingest(&bytes);
        let m = store.memory_use();
        eprintln!(
            "log: {} bytes, {} events ({:.0} B/line); store: {:.1} B/event columns, {:.1} B/event with dictionaries",
            bytes.len(),
            store.len(),
            bytes.len() as f64 / store.len() as f64,
            m.per_event_columns(),
            m.per_event_total()
        );
        let mut g = c.benchmark_group("ingest");
        g.sample_size(10)
            .measurement_time(Duration::from_secs(20))
            .throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("ingest_bytes", |b| b.iter(|| ingest(&bytes).len()));
        g.throughput(Throughput::Elements(store.len() as u64));
        g.bench_function("ingest_events", |b| b.iter(|| ingest(&bytes).len()));
        g.finish();

        let mut g = c.benchmark_group("query");
        g.sample_size(20);
        g.bench_function("top_n_user", |b| {
            b.iter(|| top_n(&store, TopDim::User, None, 10))
        });
        g.bench_function("top_n_resource", |b| {
            b.iter(|| top_n(&store, TopDim::Resource, None, 10))
        });
        g.finish();
    }

    criterion::criterion_group!(engine, benches);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::engine();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}

/// Criterion is native-only; on wasm32 this bench is empty.
#[cfg(target_arch = "wasm32")]
fn main() {}
