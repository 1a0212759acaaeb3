//! Browser tests of the workbench state for the policy loader's controls: the default
//! and URL-kept Kubernetes version, the "Read old versions as v1" box, and the findings
//! about a file's bytes that the editor's text no longer shows.
#![cfg(target_arch = "wasm32")]

use audit_lens::ui::policy_state::{
    Compare, PolicyAction, Saved, Workbench, DEFAULT_KUBE_MINOR, HASH_KEY,
};
use audit_lens::web::policy::check_bytes;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn newest_kubernetes_by_default_and_kept_in_the_url() {
    let mut w = Workbench::default();
    assert_eq!((w.kube_minor, DEFAULT_KUBE_MINOR), (37, 37));
    assert!(w.hash_parts().is_empty(), "the default is not written");
    w.reduce(PolicyAction::SetKube(35));
    assert_eq!(
        w.hash_parts(),
        vec![(HASH_KEY.to_string(), "1.35".to_string())]
    );
    assert_eq!(w.request().kube_minor, 35);
    // Read back; a saved workbench does not override the version the URL names.
    let mut fresh = Workbench::default();
    fresh.restore_hash(&w.hash_parts());
    assert_eq!(fresh.kube_minor, 35);
    fresh.reduce(PolicyAction::Restore(Saved {
        name: "s.yaml".into(),
        text: "saved".into(),
        baseline: String::new(),
        compare: Compare::Recorded,
        kube_minor: 36,
    }));
    assert_eq!((fresh.text.as_str(), fresh.kube_minor), ("saved", 35));
    let mut other = Workbench::default();
    other.restore_hash(&[(HASH_KEY.into(), "1.99".into())]);
    assert_eq!(
        other.kube_minor, DEFAULT_KUBE_MINOR,
        "unknown versions are ignored"
    );
}

#[wasm_bindgen_test]
fn old_versions_box_reaches_the_worker() {
    let mut w = Workbench::default();
    assert!(!w.request().accept_old_versions);
    let rev = w.rev;
    w.reduce(PolicyAction::SetAcceptOld(true));
    assert!(w.request().accept_old_versions);
    assert!(w.rev > rev, "a new revision is checked");
}

#[wasm_bindgen_test]
fn byte_findings_stay_until_the_text_changes() {
    let mut bad =
        b"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n# caf".to_vec();
    bad.extend_from_slice(b"\xe9\n");
    let (report, loaded) = check_bytes("latin1.yaml", &bad);
    assert!(loaded.is_none() && !report.valid);
    let mut w = Workbench::default();
    w.adopt(&report);
    assert_eq!(w.file_findings.len(), 1);
    assert_eq!(w.file_findings[0].code, "encoding");
    assert!(w.text.contains('\u{fffd}'));
    w.reduce(PolicyAction::Edit("kind: Policy".into()));
    assert!(w.file_findings.is_empty());
    // A UTF-16 file: the editor gets the decoded text.
    let t = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n";
    let u16: Vec<u8> = std::iter::once(0xFEFF_u16)
        .chain(t.encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    let (report, loaded) = check_bytes("ps.yaml", &u16);
    assert!(loaded.is_some() && report.valid);
    assert_eq!(report.text, t);
}

#[wasm_bindgen_test]
fn a_replaced_text_can_be_put_back() {
    // "Start from template", a policy file or "Copy A to baseline" over an edited text
    // used to lose it (local storage too): the replaced text is kept for an undo.
    let mut w = Workbench::default();
    w.reduce(PolicyAction::Edit(
        "rules:\n- level: Metadata # mine\n".into(),
    ));
    w.reduce(PolicyAction::Replace {
        name: Some("audit-policy.yaml".into()),
        text: "template".into(),
    });
    assert_eq!(w.text, "template");
    let u = w.undo.clone().expect("the edited text is kept");
    assert_eq!(u.text, "rules:\n- level: Metadata # mine\n");
    let reset = w.reset;
    w.reduce(PolicyAction::Undo);
    assert_eq!(w.text, "rules:\n- level: Metadata # mine\n");
    assert_eq!(w.name, "policy.yaml");
    assert!(w.reset > reset, "the editor shows the text put back");
    assert!(w.undo.is_none());
    // A file read over it: the same.
    let r = check_bytes(
        "other.yaml",
        b"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n",
    )
    .0;
    w.adopt(&r);
    assert_eq!(w.undo.as_ref().map(|u| u.by.as_str()), Some("other.yaml"));
    // Typing after the replacement ends the undo (it would lose the new typing).
    w.reduce(PolicyAction::Edit("typed".into()));
    assert!(w.undo.is_none());
    // Nothing to keep: an empty editor, or the same text.
    let mut e = Workbench::default();
    e.reduce(PolicyAction::Replace {
        name: None,
        text: "t".into(),
    });
    assert!(e.undo.is_none());
    e.reduce(PolicyAction::Replace {
        name: None,
        text: "t".into(),
    });
    assert!(e.undo.is_none());
    // Copy A to baseline over a baseline.
    e.reduce(PolicyAction::ShowSlot(
        audit_lens::ui::policy_state::Slot::Baseline,
    ));
    e.reduce(PolicyAction::Edit("my baseline".into()));
    e.reduce(PolicyAction::UseAsBaseline);
    assert_eq!(e.baseline, "t");
    e.reduce(PolicyAction::Undo);
    assert_eq!(e.baseline, "my baseline");
}
