//! Any text as a filter: parsing, compiling against a store, selecting and completing
//! never panic.
#![no_main]
use audit_lens::store::Store;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn store() -> &'static Store {
    static S: OnceLock<Store> = OnceLock::new();
    S.get_or_init(|| {
        let mut v = Vec::new();
        let o = audit_lens::gen::GenOptions {
            duration_s: 60,
            ..Default::default()
        };
        audit_lens::gen::generate(&o, &mut |b| v.extend_from_slice(b));
        let mut s = Store::new();
        audit_lens::ingest::load_bytes(&mut s, "gen", &v);
        s.finalize();
        s
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let s = store();
    if let Ok(f) = audit_lens::query::compile(s, text, None) {
        f.select(s, None, None);
    }
    let mut cur = data.len().min(text.len());
    while !text.is_char_boundary(cur) {
        cur -= 1;
    }
    audit_lens::query::complete::complete(s, text, cur, 5);
});
