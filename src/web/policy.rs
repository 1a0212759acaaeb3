//! Reading a policy for the UI: the engine's policy loader, answered as a [`PolicyReport`].
//!
//! The worker calls [`check`] for every file told to be a policy. The result carries the
//! text back so the Policy view can show each finding at its line.

use crate::web::protocol::{DiagnosticView, PolicyReport};

/// Policies larger than this are refused (real ones are a few kB).
pub const MAX_POLICY_BYTES: u64 = 4 << 20;

/// Reads `text` (named `name`) as an audit policy and reports what the engine thinks of it.
pub fn check(name: &str, text: &str) -> PolicyReport {
    // The policy engine (`audit::policy::load_policy`) is not in this build yet: report
    // that plainly instead of pretending the policy is fine.
    PolicyReport {
        name: name.to_string(),
        text: text.to_string(),
        rules: None,
        valid: false,
        diagnostics: vec![DiagnosticView {
            severity: "info".into(),
            code: "not-checked".into(),
            message: "This build cannot check policies yet; the text is shown as read.".into(),
            rule: None,
            line: 0,
            column: 0,
        }],
    }
}
