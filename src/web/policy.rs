//! Reading a policy for the UI: the engine's [`load_policy`], answered as a [`PolicyReport`].
//!
//! The worker calls [`check`] for every file told to be a policy and keeps the loaded
//! policy for evaluation. The report carries the text back so the Policy view can show
//! each finding at its line.

use crate::audit::policy::{load_policy, Diagnostic, LoadOptions, LoadedPolicy, Severity};
use crate::web::protocol::{DiagnosticView, PolicyReport};

/// Policies larger than this are refused (real ones are a few kB).
pub const MAX_POLICY_BYTES: u64 = 4 << 20;

/// A finding as the UI shows it.
pub fn view(d: &Diagnostic) -> DiagnosticView {
    DiagnosticView {
        severity: match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
        .into(),
        code: d.code.clone(),
        message: d.message.clone(),
        rule: d.rule,
        line: d.line,
        column: d.column,
    }
}

/// Reads `text` (named `name`) as an audit policy, as kube-apiserver would. Returns what to
/// show and, when the policy is usable, the loaded policy. Findings are sorted by line.
pub fn check(name: &str, text: &str) -> (PolicyReport, Option<LoadedPolicy>) {
    let (rules, valid, mut diagnostics, loaded) =
        match load_policy(name, text, &LoadOptions::default()) {
            Ok(p) => (
                Some(p.policy.rules.len()),
                true,
                p.warnings.iter().map(view).collect::<Vec<_>>(),
                Some(p),
            ),
            Err(e) => (None, false, e.diagnostics.iter().map(view).collect(), None),
        };
    diagnostics.sort_by_key(|d| (d.line == 0, d.line, d.column));
    (
        PolicyReport {
            name: name.to_string(),
            text: text.to_string(),
            rules,
            valid,
            diagnostics,
        },
        loaded,
    )
}
