//! Any bytes, in any chunking: ingest never panics and accounts for every record
//! (the checks: `audit_lens::fuzzing::ingest`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| audit_lens::fuzzing::ingest(data));
