//! Any bytes, in any chunking: ingest never panics and accounts for every record.
#![no_main]
use audit_lens::ingest::Ingester;
use audit_lens::store::Store;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
    s.finalize();
    let (e, r, t) = s.totals();
    assert_eq!(e + r, t);
    assert_eq!(e as usize, s.len());
});
