//! Ingest throughput of the engine compiled to wasm32 (simd128, see .cargo/config.toml),
//! run in Node by wasm-bindgen-test-runner. A measurement, not a test: it is `#[ignore]`d
//! and run by `scripts/bench.sh` with `--release -- --ignored --nocapture`.
#![cfg(target_arch = "wasm32")]

use audit_lens::gen::{generate, GenOptions};
use audit_lens::ingest::Ingester;
use audit_lens::store::Store;
use wasm_bindgen_test::*;

#[wasm_bindgen_test]
#[ignore]
fn wasm_ingest_throughput() {
    let mut log = Vec::new();
    generate(
        &GenOptions {
            max_bytes: 100_000_000,
            duration_s: 0,
            ..Default::default()
        },
        &mut |b| log.extend_from_slice(b),
    );
    let mut best = f64::MAX;
    let mut events = 0;
    for _ in 0..5 {
        let t0 = js_sys::Date::now();
        let mut s = Store::new();
        let mut ing = Ingester::new(&mut s, "bench.log", log.len() as u64);
        for c in log.chunks(16 << 20) {
            ing.push(&mut s, c);
        }
        ing.finish(&mut s);
        s.finalize();
        let dt = js_sys::Date::now() - t0;
        best = best.min(dt);
        events = s.len();
    }
    let mbps = log.len() as f64 / 1e6 / (best / 1e3);
    console_log!(
        "wasm ingest: {} bytes, {} events, best of 5: {:.0} ms = {:.0} MB/s, {:.0} k events/s",
        log.len(),
        events,
        best,
        mbps,
        events as f64 / best
    );
}
