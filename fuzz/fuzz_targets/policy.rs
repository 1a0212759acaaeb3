//! Any text as a policy: loading, linting and evaluating never panic
//! (the checks: `audit_lens::fuzzing::policy`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| audit_lens::fuzzing::policy(data));
