//! Reading a policy for the UI: the engine's [`load_policy_bytes`] (files) and
//! [`load_policy`] (text), answered as a [`PolicyReport`].
//!
//! The worker calls [`check`] for every file told to be a policy and keeps the loaded
//! policy for evaluation. The report carries the text back so the Policy view can show
//! each finding at its line.

use crate::audit::policy::{
    load_policy, load_policy_bytes, read_policy_bytes, Diagnostic, LoadOptions, LoadedPolicy,
    PolicyError, Severity,
};
use crate::web::protocol::{DiagnosticView, PolicyReport};

/// Policies larger than this are refused (real ones are a few kB): the loader's limit.
pub use crate::load::MAX_POLICY_BYTES;

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

/// Codes of findings about a file's bytes (its encoding), which its text in the editor
/// no longer shows: the page keeps them next to the editor until the text changes.
pub const BYTE_CODES: &[&str] = &["encoding", "utf16", "protobuf"];

/// Reads `text` (named `name`) as an audit policy, as kube-apiserver would read the text
/// saved as UTF-8. Returns what to show and, when the policy is usable, the loaded
/// policy. Findings are sorted by line.
pub fn check(name: &str, text: &str) -> (PolicyReport, Option<LoadedPolicy>) {
    let r = load_policy(name, text, &LoadOptions::default());
    report(name, text.to_string(), r)
}

/// Reads a policy file's bytes as kube-apiserver would (JSON or YAML, UTF-8 or UTF-16,
/// decided on the bytes: [`load_policy_bytes`]). The report's text is what the editor
/// should show: the decoded text ([`PolicyText::editable`]), or, when the bytes are
/// refused, the text with invalid bytes replaced by U+FFFD.
pub fn check_bytes(name: &str, bytes: &[u8]) -> (PolicyReport, Option<LoadedPolicy>) {
    let text = match read_policy_bytes(name, bytes) {
        Ok(t) => t.editable(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    };
    let r = load_policy_bytes(name, bytes, &LoadOptions::default());
    report(name, text, r)
}

fn report(
    name: &str,
    text: String,
    r: Result<LoadedPolicy, PolicyError>,
) -> (PolicyReport, Option<LoadedPolicy>) {
    let (rules, valid, mut diagnostics, loaded) = match r {
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
            text,
            rules,
            valid,
            diagnostics,
        },
        loaded,
    )
}
