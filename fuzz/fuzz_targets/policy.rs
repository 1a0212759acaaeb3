//! Any text as a policy: loading, linting and evaluating never panic.
#![no_main]
use audit_lens::audit::lint::{lint, security_checklist};
use audit_lens::audit::policy::{load_policy, LoadOptions};
use audit_lens::audit::RequestAttrs;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
    let _ = audit_lens::audit::clo::load_clo_filter("fuzz.yaml", text);
});
