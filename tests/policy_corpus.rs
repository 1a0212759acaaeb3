//! Every policy of the shared corpus (../shared/corpus/policies) either loads with the
//! rule count SOURCES.md gives, or is refused for the reason kube-apiserver gives.
//! The corpus is read at test time and never copied; without it the tests say so.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

use audit_lens::audit::lint::{lint, security_checklist, Outcome};
use audit_lens::audit::policy::{
    load_policy, LoadOptions, LoadedPolicy, PolicyError, PolicyErrorKind,
};

fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus/policies"
    ));
    if p.is_dir() {
        Some(p)
    } else if std::env::var("CI").is_ok_and(|v| v == "true") {
        // Under CI ../shared is always beside the checkout: skipping would test nothing.
        panic!(
            "CI=true but {} is missing: the corpus tests cannot run",
            p.display()
        );
    } else {
        println!("skipped: ../shared/corpus not found");
        None
    }
}

fn load_with(dir: &Path, name: &str, opts: &LoadOptions) -> Result<LoadedPolicy, PolicyError> {
    let text = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    load_policy(name, &text, opts)
}

fn old_ok() -> LoadOptions {
    LoadOptions {
        accept_old_versions: true,
        ..LoadOptions::default()
    }
}

/// What kube-apiserver (1.35) does with each file, from SOURCES.md and reader.go.
enum Expect {
    /// Loads with this many rules.
    Loads(usize),
    /// A v1beta1/v1alpha1 file: refused, and with old versions accepted it has this many rules.
    Old(&'static str, usize),
    /// Refused: the kind matches and one diagnostic has `code` and contains `text`.
    Refused(fn(&PolicyErrorKind) -> bool, &'static str, &'static str),
}

const TABLE: &[(&str, Expect)] = &[
    // Go template: apiVersion is "audit.k8s.io/v1{{ if ... }}beta1{{end}}".
    (
        "aks-engine-audit-policy.gotmpl.yaml",
        Expect::Refused(
            |k| matches!(k, PolicyErrorKind::UnknownGroupVersion { .. }),
            "template",
            "render it first",
        ),
    ),
    (
        "aks-engine-audit-policy.rendered-k8s-ge-1.16.yaml",
        Expect::Loads(8),
    ),
    (
        "aks-engine-audit-policy.rendered-k8s-lt-1.16.yaml",
        Expect::Old("audit.k8s.io/v1beta1", 8),
    ),
    ("audit2rbac-demo-policy-v1.yaml", Expect::Loads(1)),
    (
        "audit2rbac-demo-policy-v1beta1.yaml",
        Expect::Old("audit.k8s.io/v1beta1", 1),
    ),
    (
        "falco-examples-k8s_audit_config-audit-policy.yaml",
        Expect::Old("audit.k8s.io/v1beta1", 11),
    ),
    (
        "falcosecurity-plugins-k8saudit-audit-policy.yaml",
        Expect::Loads(11),
    ),
    // reader_test.go: TestParsePolicyWithNoVersionOrKind expects "unknown group version field".
    (
        "kubernetes-apiserver-reader_test-policy-no-version-or-kind.INVALID.yaml",
        Expect::Refused(
            |k| matches!(k, PolicyErrorKind::UnknownGroupVersion { api_version, kind } if api_version.is_empty() && kind.is_empty()),
            "unknown-group-version",
            "unknown group version field",
        ),
    ),
    (
        "kubernetes-apiserver-reader_test-policy-v1alpha1.yaml",
        Expect::Old("audit.k8s.io/v1alpha1", 3),
    ),
    // `resources: ${known_apis}` is a string where a list is expected: "failed decoding".
    (
        "kubernetes-gce-configure-helper-audit-policy.heredoc-unexpanded.yaml",
        Expect::Refused(
            |k| *k == PolicyErrorKind::Decode,
            "wrong-type",
            "cannot unmarshal string into Go struct field PolicyRule.rules.resources",
        ),
    ),
    (
        "kubernetes-gce-configure-helper-audit-policy.yaml",
        Expect::Loads(17),
    ),
    (
        "kubernetes-website-examples-audit-policy.yaml",
        Expect::Loads(9),
    ),
    (
        "kubespray-apiserver-audit-policy.rendered-default.yaml",
        Expect::Loads(13),
    ),
    (
        "kubespray-apiserver-audit-policy.yaml.j2",
        Expect::Refused(
            |k| *k == PolicyErrorKind::Template,
            "yaml",
            "not valid YAML",
        ),
    ),
    // No apiVersion/kind and an extra `redactions:` key: another tool's format.
    (
        "openshift-clo-splunk-audit-exporter-example_policy.yaml",
        Expect::Refused(
            |k| matches!(k, PolicyErrorKind::UnknownGroupVersion { .. }),
            "unknown-group-version",
            "redactions",
        ),
    ),
    (
        "openshift-library-go-allrequestbodies.yaml",
        Expect::Loads(4),
    ),
    (
        "openshift-library-go-audit-policies-configmap-scenario-1.yaml",
        Expect::Loads(3),
    ),
    ("openshift-library-go-default.yaml", Expect::Loads(4)),
    ("openshift-library-go-multipleCr.yaml", Expect::Loads(8)),
    ("openshift-library-go-none.yaml", Expect::Loads(3)),
    ("openshift-library-go-oauth.yaml", Expect::Loads(6)),
    (
        "openshift-library-go-writerequestbodies.yaml",
        Expect::Loads(5),
    ),
];

#[test]
fn every_corpus_policy_loads_or_is_refused_as_kube_apiserver_would() {
    let Some(dir) = corpus() else { return };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let listed: Vec<&str> = TABLE.iter().map(|(n, _)| *n).collect();
    for n in &names {
        assert!(
            listed.contains(&n.as_str()),
            "corpus file {n} has no expectation in TABLE"
        );
    }
    for (name, expect) in TABLE {
        if !names.iter().any(|n| n == name) {
            continue;
        }
        let got = load_with(&dir, name, &LoadOptions::default());
        match expect {
            Expect::Loads(rules) => {
                let p = got.unwrap_or_else(|e| panic!("{name} refused:\n{e}"));
                assert_eq!(p.rule_count(), *rules, "{name}");
                assert!(
                    p.rule_spans
                        .iter()
                        .all(|s| s.start_line > 0 && s.end_line >= s.start_line),
                    "{name}: {:?}",
                    p.rule_spans
                );
                assert!(
                    p.rule_spans
                        .windows(2)
                        .all(|w| w[0].end_line < w[1].start_line),
                    "{name}: {:?}",
                    p.rule_spans
                );
            }
            Expect::Old(version, rules) => {
                let e = got.expect_err(name);
                assert_eq!(
                    e.kind,
                    PolicyErrorKind::OldVersion {
                        version: (*version).into()
                    },
                    "{name}"
                );
                let p = load_with(&dir, name, &old_ok())
                    .unwrap_or_else(|e| panic!("{name} as v1:\n{e}"));
                assert_eq!(p.rule_count(), *rules, "{name}");
                assert_eq!(p.api_version, *version);
                assert!(p.warnings.iter().any(|w| w.code == "old-version"));
            }
            Expect::Refused(kind, code, text) => {
                let e = got.expect_err(name);
                assert!(kind(&e.kind), "{name}: {:?}", e.kind);
                assert!(
                    e.diagnostics
                        .iter()
                        .any(|d| d.code == *code && d.message.contains(text)),
                    "{name}: no {code} diagnostic containing {text:?}:\n{e}"
                );
            }
        }
    }
}

#[test]
fn heredoc_refusal_names_both_rules_and_lines() {
    let Some(dir) = corpus() else { return };
    let e = load_with(
        &dir,
        "kubernetes-gce-configure-helper-audit-policy.heredoc-unexpanded.yaml",
        &LoadOptions::default(),
    )
    .unwrap_err();
    let at: Vec<(Option<usize>, u32, &str)> = e
        .diagnostics
        .iter()
        .map(|d| (d.rule, d.line, d.path.as_str()))
        .collect();
    // `resources: ${known_apis}` sits on lines 117 and 122 of the file, rules 14 and 15.
    assert_eq!(
        at,
        vec![
            (Some(14), 117, "rules[14].resources"),
            (Some(15), 122, "rules[15].resources")
        ]
    );
}

#[test]
fn openshift_resource_quirk_is_a_widening_warning() {
    let Some(dir) = corpus() else { return };
    for name in [
        "openshift-library-go-allrequestbodies.yaml",
        "openshift-library-go-writerequestbodies.yaml",
        "openshift-library-go-oauth.yaml",
        "openshift-library-go-multipleCr.yaml",
    ] {
        let p = load_with(&dir, name, &LoadOptions::default()).unwrap();
        let w: Vec<_> = p
            .warnings
            .iter()
            .filter(|w| w.code == "unknown-field")
            .collect();
        assert!(!w.is_empty(), "{name}");
        assert!(w[0].path.ends_with(".resource"), "{}", w[0].path);
        assert!(
            w[0].message.contains("did you mean \"resources\"") && w[0].message.contains("wider"),
            "{}",
            w[0].message
        );
        // The dropped key sits on line 38, column 5, in these files.
        assert_eq!((w[0].line, w[0].column), (38, 5), "{name}");
        let checklist = security_checklist(&p);
        assert!(checklist
            .iter()
            .any(|c| c.id == "no-dropped-keys" && c.outcome == Outcome::Warn));
    }
    let p = load_with(
        &dir,
        "openshift-library-go-default.yaml",
        &LoadOptions::default(),
    )
    .unwrap();
    assert!(p.warnings.iter().all(|w| w.code != "unknown-field"));
}

#[test]
fn configmap_lists_keys_and_loads_the_chosen_one() {
    let Some(dir) = corpus() else { return };
    let name = "openshift-library-go-audit-policies-configmap-scenario-1.yaml";
    let p = load_with(&dir, name, &LoadOptions::default()).unwrap();
    assert_eq!(
        p.configmap_keys,
        vec![
            "default.yaml",
            "writerequestbodies.yaml",
            "allrequestbodies.yaml"
        ]
    );
    assert_eq!(p.configmap_key.as_deref(), Some("default.yaml"));
    // SOURCES.md: 3 / 6 / 5 rules.
    for (key, rules) in [
        ("default.yaml", 3),
        ("writerequestbodies.yaml", 6),
        ("allrequestbodies.yaml", 5),
    ] {
        let opts = LoadOptions {
            configmap_key: Some(key.into()),
            ..LoadOptions::default()
        };
        let p = load_with(&dir, name, &opts).unwrap();
        assert_eq!(p.rule_count(), rules, "{key}");
        assert!(
            p.rule_spans.iter().all(|s| s.start_line > 0),
            "{key}: spans inside the ConfigMap are located"
        );
    }
    let opts = LoadOptions {
        configmap_key: Some("missing.yaml".into()),
        ..LoadOptions::default()
    };
    assert!(matches!(
        load_with(&dir, name, &opts).unwrap_err().kind,
        PolicyErrorKind::ConfigMap { .. }
    ));
}

#[test]
fn corpus_lint_findings() {
    let Some(dir) = corpus() else { return };
    // aks-engine logs secrets at Request (SOURCES.md 2.6).
    let p = load_with(
        &dir,
        "aks-engine-audit-policy.rendered-k8s-ge-1.16.yaml",
        &LoadOptions::default(),
    )
    .unwrap();
    let l = lint(&p);
    assert!(
        l.iter().any(|d| d.code == "sensitive-body"
            && d.rule == Some(5)
            && d.message.contains("secrets")),
        "{l:#?}"
    );
    // falco's policy puts deployments in the core group (SOURCES.md 2.7).
    let p = load_with(
        &dir,
        "falco-examples-k8s_audit_config-audit-policy.yaml",
        &old_ok(),
    )
    .unwrap();
    assert!(lint(&p)
        .iter()
        .any(|d| d.code == "wrong-group-for-resource" && d.message.contains("deployments")));
    // The documentation example ends with a catch-all and omits RequestReceived.
    let p = load_with(
        &dir,
        "kubernetes-website-examples-audit-policy.yaml",
        &LoadOptions::default(),
    )
    .unwrap();
    let l = lint(&p);
    assert!(
        !l.iter()
            .any(|d| d.code == "no-catch-all" || d.code == "request-received"),
        "{l:#?}"
    );
    let exec = security_checklist(&p)
        .into_iter()
        .find(|c| c.id == "exec-attach-visible")
        .unwrap();
    assert_eq!(exec.outcome, Outcome::Pass);
    assert_eq!(exec.rules, vec![7]);
}

#[test]
fn every_loadable_corpus_policy_lints_without_panicking() {
    let Some(dir) = corpus() else { return };
    for (name, expect) in TABLE {
        if matches!(expect, Expect::Loads(_) | Expect::Old(..)) {
            if let Ok(p) = load_with(&dir, name, &old_ok()) {
                let _ = lint(&p);
                assert_eq!(security_checklist(&p).len(), 10);
            }
        }
    }
}
