//! Loading and validation: what kube-apiserver refuses (and what it silently accepts),
//! each finding with its field path, rule and YAML line/column.
#![cfg(not(target_arch = "wasm32"))]

use audit_lens::audit::lint::lint;
use audit_lens::audit::policy::{load_policy, KubeVersion, LoadOptions, PolicyErrorKind, Severity};
use proptest::prelude::*;

const HEAD: &str = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n";

fn load(
    rules: &str,
) -> Result<audit_lens::audit::policy::LoadedPolicy, audit_lens::audit::policy::PolicyError> {
    load_policy("p.yaml", &format!("{HEAD}{rules}"), &LoadOptions::default())
}

/// (rules, refusal kind, code, path, line, column) — lines count from the top of the
/// file, whose first three lines are HEAD. Validation facts from kube-apiserver's
/// validation.go / validation_test.go; decoding facts from sigs.k8s.io/yaml (YAMLToJSON
/// keeps YAML 1.1 booleans and numbers as JSON bools and numbers, which a Go string
/// field refuses).
const REFUSED: &[(&str, PolicyErrorKind, &str, &str, u32, u32)] = &[
    (
        "- verbs: [get]\n",
        PolicyErrorKind::Invalid,
        "missing-level",
        "rules[0].level",
        4,
        1,
    ),
    (
        "- level: None\n- level: FooBar\n",
        PolicyErrorKind::Invalid,
        "invalid-level",
        "rules[1].level",
        5,
        10,
    ),
    (
        "- level: Metadata\n  namespaces: [default]\n  nonResourceURLs: [\"/logs*\"]\n",
        PolicyErrorKind::Invalid,
        "mixed-resource-nonresource",
        "rules[0].nonResourceURLs",
        6,
        20,
    ),
    (
        "- level: Metadata\n  resources:\n  - group: rbac.authorization.k8s.io/v1beta1\n",
        PolicyErrorKind::Invalid,
        "invalid-group",
        "rules[0].resources[0].group",
        6,
        12,
    ),
    (
        "- level: Metadata\n  nonResourceURLs:\n  - logs\n",
        PolicyErrorKind::Invalid,
        "invalid-nonresource-url",
        "rules[0].nonResourceURLs[0]",
        6,
        5,
    ),
    (
        "- level: Metadata\n  nonResourceURLs: [\"/logs/*.log\"]\n",
        PolicyErrorKind::Invalid,
        "invalid-nonresource-url",
        "rules[0].nonResourceURLs[0]",
        5,
        21,
    ),
    (
        "- level: Metadata\n  resources: [{resourceNames: [leader]}]\n",
        PolicyErrorKind::Invalid,
        "resource-names-without-resources",
        "rules[0].resources[0].resourceNames",
        5,
        31,
    ),
    (
        "- level: Metadata\n  omitStages: [RequestRecieved]\n",
        PolicyErrorKind::Invalid,
        "invalid-stage",
        "rules[0].omitStages[0]",
        5,
        16,
    ),
    (
        "- level: None\n  namespaces: [no]\n",
        PolicyErrorKind::Decode,
        "yaml11-bool",
        "rules[0].namespaces[0]",
        5,
        16,
    ),
    (
        "- level: None\n  users:\n  - y\n",
        PolicyErrorKind::Decode,
        "yaml11-bool",
        "rules[0].users[0]",
        6,
        5,
    ),
    (
        "- level: None\n  verbs: [on]\n",
        PolicyErrorKind::Decode,
        "yaml11-bool",
        "rules[0].verbs[0]",
        5,
        11,
    ),
    (
        "- level: None\n  users: [1234]\n",
        PolicyErrorKind::Decode,
        "number-as-string",
        "rules[0].users[0]",
        5,
        11,
    ),
    (
        "- level: None\n  namespaces: [0777]\n",
        PolicyErrorKind::Decode,
        "number-as-string",
        "rules[0].namespaces[0]",
        5,
        16,
    ),
    (
        "- level: None\n  resources: [{group: \"\", resources: [pods], resourceNames: [true]}]\n",
        PolicyErrorKind::Decode,
        "yaml11-bool",
        "rules[0].resources[0].resourceNames[0]",
        5,
        62,
    ),
    (
        "- level: None\n  resources: pods\n",
        PolicyErrorKind::Decode,
        "wrong-type",
        "rules[0].resources",
        5,
        14,
    ),
    (
        "- level: None\n  omitManagedFields: \"yes\"\n",
        PolicyErrorKind::Decode,
        "wrong-type",
        "rules[0].omitManagedFields",
        5,
        22,
    ),
];

#[test]
fn refused_with_path_rule_line_and_column() {
    for (rules, kind, code, path, line, col) in REFUSED {
        let e = load(rules).expect_err(rules);
        assert_eq!(&e.kind, kind, "{rules}");
        let d = e
            .diagnostics
            .iter()
            .find(|d| d.code == *code)
            .unwrap_or_else(|| panic!("{rules}: no {code} in\n{e}"));
        assert_eq!(d.severity, Severity::Error);
        assert_eq!(d.path, *path, "{rules}");
        assert!(d.message.starts_with(path), "{}", d.message);
        assert_eq!((d.line, d.column), (*line, *col), "{rules}: {}", d.message);
        assert_eq!(
            d.rule,
            path.strip_prefix("rules[")
                .and_then(|r| r[..r.find(']').unwrap()].parse().ok())
        );
        assert!(
            e.to_string()
                .contains(&format!("p.yaml:{line}:{col}: error[{code}]")),
            "{e}"
        );
    }
}

#[test]
fn quoting_fixes_every_trap() {
    let ok = "- level: None\n  namespaces: [\"no\"]\n  users: ['y', \"1234\", '0777']\n  verbs: [\"on\"]\n- level: Metadata\n";
    let p = load(ok).unwrap();
    assert_eq!(p.policy.rules[0].namespaces, vec!["no"]);
    assert_eq!(p.policy.rules[0].users, vec!["y", "1234", "0777"]);
}

/// Things kube-apiserver accepts (possibly with a logged warning): we load them and warn.
#[test]
fn accepted_with_warnings() {
    let cases: &[(&str, &str, &str)] = &[
        // Strict decoding fails, lenient decoding drops the key: the rule gets wider.
        (
            "- level: None\n  resource: [{group: \"\"}]\n  users: [a]\n- level: Metadata\n",
            "unknown-field",
            "rules[0].resource",
        ),
        (
            "- level: None\n  namespace: [kube-system]\n- level: Metadata\n",
            "unknown-field",
            "rules[0].namespace",
        ),
        // Duplicate keys: last one wins.
        (
            "- level: None\n  level: Metadata\n",
            "duplicate-key",
            "rules[0].level",
        ),
        // YAML 1.1 booleans are fine where a bool is expected.
        (
            "- level: None\n  omitManagedFields: on\n- level: Metadata\n",
            "yaml11-bool",
            "rules[0].omitManagedFields",
        ),
    ];
    for (rules, code, path) in cases {
        let p = load(rules).unwrap_or_else(|e| panic!("{rules}: {e}"));
        let w = p
            .warnings
            .iter()
            .find(|w| w.code == *code)
            .unwrap_or_else(|| panic!("{rules}: {:?}", p.warnings));
        assert_eq!(w.severity, Severity::Warning);
        assert_eq!(w.path, *path);
        assert!(w.line >= 4, "{w:?}");
        // lint repeats the loader's warnings so one list is complete.
        assert!(lint(&p).iter().any(|d| d.code == *code));
    }
    let p = load("- level: None\n  level: Metadata\n").unwrap();
    assert_eq!(p.policy.rules[0].level, audit_lens::audit::Level::Metadata);
    let p = load("- level: None\n  omitManagedFields: on\n").unwrap();
    assert_eq!(p.policy.rules[0].omit_managed_fields, Some(true));
    // The policy-wide omitStages is read and kept.
    let t = "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: None\n";
    let p = load_policy("p", t, &LoadOptions::default()).unwrap();
    assert_eq!(
        p.policy.omit_stages,
        vec![audit_lens::audit::Stage::RequestReceived]
    );
    // Only the first YAML document counts.
    let p = load_policy(
        "p",
        &format!("{HEAD}- level: None\n---\nnot: read\n"),
        &LoadOptions::default(),
    )
    .unwrap();
    assert!(p.warnings.iter().any(|w| w.code == "extra-documents"));
}

#[test]
fn whole_file_refusals() {
    type IsKind = fn(&PolicyErrorKind) -> bool;
    let cases: &[(&str, IsKind)] = &[
        ("", |k| *k == PolicyErrorKind::Empty),
        ("apiVersion: audit.k8s.io/v1\nkind: Policy\n", |k| *k == PolicyErrorKind::NoRules),
        ("apiVersion: audit.k8s.io/v2\nkind: Policy\nrules:\n- level: None\n", |k| matches!(k, PolicyErrorKind::UnknownGroupVersion { .. })),
        ("apiVersion: audit.k8s.io/v1\nkind: PolicyList\nrules:\n- level: None\n", |k| matches!(k, PolicyErrorKind::UnknownGroupVersion { .. })),
        ("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  users: [a\n", |k| *k == PolicyErrorKind::Yaml),
        ("{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\",\"auditID\":\"1\"}\n{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"auditID\":\"2\"}\n", |k| matches!(k, PolicyErrorKind::NotAPolicy { what } if what.contains("audit log"))),
        ("kind: EventList\napiVersion: audit.k8s.io/v1\nitems: []\n", |k| matches!(k, PolicyErrorKind::NotAPolicy { .. })),
        ("apiVersion: v1\nkind: ConfigMap\ndata: {}\n", |k| matches!(k, PolicyErrorKind::ConfigMap { keys } if keys.is_empty())),
    ];
    for (text, ok) in cases {
        let e = load_policy("p", text, &LoadOptions::default()).expect_err(text);
        assert!(ok(&e.kind), "{text}: {:?}", e.kind);
    }
}

#[test]
fn kube_version_setting_gates_group_star() {
    let rules = "- level: None\n  resources: [{group: \"*\", resources: [\"*/status\"]}]\n- level: Metadata\n";
    let at = |minor| LoadOptions {
        kube_version: KubeVersion { major: 1, minor },
        ..LoadOptions::default()
    };
    let e = load_policy("p", &format!("{HEAD}{rules}"), &at(35)).unwrap_err();
    assert_eq!(e.kind, PolicyErrorKind::Invalid);
    assert_eq!(e.diagnostics[0].path, "rules[0].resources[0].group");
    assert!(load_policy("p", &format!("{HEAD}{rules}"), &at(36)).is_ok());
    // The default is the newest version (1.37).
    assert!(load(rules).is_ok());
}

#[test]
fn rule_spans_follow_the_source() {
    let text = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  # first\n  - level: None\n    users: [a]\n\n  - level: Metadata\n    resources:\n    - group: \"\"\n      resources: [pods]\n  - {level: Request}\n";
    let p = load_policy("p", text, &LoadOptions::default()).unwrap();
    let spans: Vec<(u32, u32, u32)> = p
        .rule_spans
        .iter()
        .map(|s| (s.start_line, s.start_col, s.end_line))
        .collect();
    assert_eq!(spans, vec![(5, 3, 6), (8, 3, 11), (12, 3, 12)]);
}

#[test]
fn alias_bomb_and_deep_nesting_are_refused_quickly() {
    let mut bomb = String::from(
        "apiVersion: audit.k8s.io/v1\nkind: Policy\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
    );
    for i in 1..10 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    bomb.push_str("rules: *a9\n");
    let start = std::time::Instant::now();
    let first = |text: &str| {
        load_policy("p", text, &LoadOptions::default())
            .err()
            .map(|e| e.diagnostics[e.diagnostics.len() - 1].message.clone())
            .unwrap_or_default()
    };
    let m = first(&bomb);
    assert!(m.contains("alias bomb"), "{m}");
    let deep = format!("{HEAD}- level: None\n  users: {}\n", "[".repeat(5000));
    let m = first(&deep);
    assert!(m.contains("nested too deeply"), "{m}");
    assert!(start.elapsed().as_secs() < 5);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any text: no panic, and a refusal always carries at least one error.
    #[test]
    fn never_panics_on_any_text(s in "\\PC{0,300}") {
        if let Err(e) = load_policy("p", &s, &LoadOptions::default()) {
            prop_assert!(e.diagnostics.iter().any(|d| d.severity == Severity::Error));
        }
    }

    /// A valid policy with one line damaged: no panic, positions stay inside the file.
    #[test]
    fn never_panics_on_damaged_policy(line in 0usize..12, junk in "[-:\\[\\]{}'\" a-z0-9#|>&*!]{0,12}") {
        let good = "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: None\n  users: [\"system:kube-proxy\"]\n  verbs: [watch]\n  resources:\n  - group: \"\"\n    resources: [endpoints, services]\n- level: Metadata\n";
        let mut lines: Vec<String> = good.lines().map(String::from).collect();
        let l = line % lines.len();
        lines[l] = format!("{}{}", lines[l], junk);
        let text = lines.join("\n");
        let n = text.lines().count() as u32;
        match load_policy("p", &text, &LoadOptions::default()) {
            Ok(p) => {
                let _ = lint(&p);
                prop_assert!(p.rule_spans.iter().all(|s| s.end_line <= n));
            }
            Err(e) => prop_assert!(e.diagnostics.iter().all(|d| d.line <= n + 1)),
        }
    }
}
