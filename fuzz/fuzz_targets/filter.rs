//! Any text as a filter: parsing, compiling against a store, selecting and completing
//! never panic (the checks: `audit_lens::fuzzing::filter`).
#![no_main]
use audit_lens::fuzzing::FilterTarget;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| {
    static S: OnceLock<FilterTarget> = OnceLock::new();
    audit_lens::fuzzing::filter(S.get_or_init(audit_lens::fuzzing::filter_store), data);
});
