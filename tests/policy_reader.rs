//! The policy loader against kube-apiserver's own reader, case by case (the table in
//! docs/policy-loader.md names these tests). Every verdict comes from reading the Go
//! sources; the citations are to kubernetes/apiserver 24a394e5, kubernetes/apimachinery
//! eed236ce, kubernetes-sigs/yaml aadfabb7 and go.yaml.in/yaml/v2 v2.4.4.
#![cfg(not(target_arch = "wasm32"))]

use audit_lens::audit::lint::lint;
use audit_lens::audit::policy::{
    load_policy, load_policy_bytes, KubeVersion, LoadOptions, LoadedPolicy, PolicyError,
    PolicyErrorKind, Severity,
};
use audit_lens::audit::{Level, RequestAttrs};

const HEAD: &str = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n";

fn text(t: &str) -> Result<LoadedPolicy, PolicyError> {
    load_policy("p.yaml", t, &LoadOptions::default())
}

fn bytes(b: &[u8]) -> Result<LoadedPolicy, PolicyError> {
    load_policy_bytes("p.yaml", b, &LoadOptions::default())
}

fn at(minor: u32) -> LoadOptions {
    LoadOptions {
        kube_version: KubeVersion { major: 1, minor },
        ..LoadOptions::default()
    }
}

/// The refusal, asserting its kind and that some error message contains `words`
/// (kube-apiserver's own text, so that a user can search for it).
fn refused(
    r: Result<LoadedPolicy, PolicyError>,
    kind: PolicyErrorKind,
    words: &str,
) -> PolicyError {
    let e = r.expect_err(words);
    assert_eq!(e.kind, kind, "{e}");
    assert!(
        e.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error && d.message.contains(words)),
        "no error containing {words:?} in\n{e}"
    );
    e
}

fn utf16(s: &str, big_endian: bool) -> Vec<u8> {
    std::iter::once(0xFEFF_u16)
        .chain(s.encode_utf16())
        .flat_map(|u| {
            if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            }
        })
        .collect()
}

fn req<'a>(user: &'a str, verb: &'a str) -> RequestAttrs<'a> {
    RequestAttrs {
        user,
        verb,
        resource_request: true,
        resource: "endpoints",
        namespace: "default",
        ..Default::default()
    }
}

// ---- §1.1: the policy-wide omitStages ---------------------------------------------------

/// apiserver pkg/apis/audit/validation/validation.go:30 calls validateOmitStages on the
/// policy's omitStages (118-133: "allowed stages are ..."); validation_test.go has the
/// invalid policy-level case.
#[test]
fn policy_omit_stages_is_validated() {
    let t = "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [\"requestreceived\"]\nrules:\n- level: Metadata\n";
    let e = refused(
        text(t),
        PolicyErrorKind::Invalid,
        "omitStages[0]: Invalid value: \"requestreceived\": allowed stages are RequestReceived,ResponseStarted,ResponseComplete,Panic",
    );
    let d = &e.diagnostics[0];
    assert_eq!(
        (d.path.as_str(), d.line, d.column),
        ("omitStages[0]", 3, 14)
    );
    assert!(!e.to_string().contains("does not validate"), "{e}");
    let ok = "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n";
    assert!(text(ok).unwrap().warnings.is_empty());
}

// ---- §1.2: `{` means strict JSON ----------------------------------------------------------

/// apimachinery pkg/util/yaml/decoder.go:472-485 (IsJSONBuffer: first non-unicode.IsSpace
/// rune is `{`), serializer/json/json.go:311-318 (the JSON serializer claims it),
/// recognizer.go:86-102 (the first decoder that recognises the data decides, no
/// fallback), meta.go:55-57 ("couldn't get version/kind; json parse error: ...", stdlib
/// encoding/json syntax errors).
#[test]
fn brace_first_is_strict_json() {
    let e = refused(
        text("{\"apiVersion\":\"audit.k8s.io/v1\",\"kind\":\"Policy\",\"rules\":[{\"level\":\"Metadata\"},]}"),
        PolicyErrorKind::Yaml,
        "couldn't get version/kind; json parse error: invalid character ']' looking for beginning of value",
    );
    assert_eq!((e.diagnostics[0].line, e.diagnostics[0].column), (1, 79));
    refused(
        text("{\"apiVersion\":\"audit.k8s.io/v1\",\"kind\":\"Policy\",\"rules\":[{\"level\":\"Metadata\"}],}"),
        PolicyErrorKind::Yaml,
        "invalid character '}' looking for beginning of object key string",
    );
    let flow = "{apiVersion: audit.k8s.io/v1, kind: Policy, rules: [{level: Metadata}]}";
    let e = refused(
        text(flow),
        PolicyErrorKind::Yaml,
        "invalid character 'a' looking for beginning of object key string",
    );
    assert_eq!((e.diagnostics[0].line, e.diagnostics[0].column), (1, 2));
    // Leading whitespace is skipped by the sniff. U+00A0 counts as space for
    // unicode.IsSpace, so the file is JSON, but not for encoding/json, which then fails
    // on its first byte 0xC2 (quoteChar prints it as 'Â').
    refused(
        text(&format!("\n \t{flow}")),
        PolicyErrorKind::Yaml,
        "invalid character 'a'",
    );
    refused(
        bytes(format!("\u{a0}{flow}").as_bytes()),
        PolicyErrorKind::Yaml,
        "invalid character 'Â' looking for beginning of value",
    );
    // A second document after JSON is trailing garbage for encoding/json.
    refused(
        text("{\"apiVersion\":\"audit.k8s.io/v1\",\"kind\":\"Policy\",\"rules\":[{\"level\":\"None\"}]}\n---\n"),
        PolicyErrorKind::Yaml,
        "invalid character '-' after top-level value",
    );
    // Case 21: after a comment, `---` or a UTF-8 BOM it is YAML (`#`, `-`, U+FEFF are not
    // spaces; decoder.go:482-485), and go-yaml reads the flow mapping.
    for pre in ["# policy\n", "---\n", "\u{feff}"] {
        let p = text(&format!("{pre}{flow}")).unwrap_or_else(|e| panic!("{pre:?}: {e}"));
        assert_eq!(p.policy.rules[0].level, Level::Metadata);
        let p = bytes(format!("{pre}{flow}").as_bytes()).unwrap();
        assert_eq!(p.rule_count(), 1);
    }
    // Valid JSON loads, with positions.
    let j = "{\"apiVersion\": \"audit.k8s.io/v1\", \"kind\": \"Policy\",\n \"rules\": [{\"level\": \"None\"},\n  {\"level\": \"Foo\"}]}\n";
    let e = refused(
        text(j),
        PolicyErrorKind::Invalid,
        "rules[1].level: Unsupported value: \"Foo\"",
    );
    assert_eq!((e.diagnostics[0].line, e.diagnostics[0].column), (3, 13));
    // JSON has no YAML 1.1 booleans: "yes" is a string; true in a string field is not.
    let p = text("{\"apiVersion\":\"audit.k8s.io/v1\",\"kind\":\"Policy\",\"rules\":[{\"level\":\"None\",\"users\":[\"yes\"]}]}").unwrap();
    assert_eq!(p.policy.rules[0].users, vec!["yes"]);
    refused(
        text("{\"apiVersion\":\"audit.k8s.io/v1\",\"kind\":\"Policy\",\"rules\":[{\"level\":\"None\",\"users\":[true]}]}"),
        PolicyErrorKind::Decode,
        "json: cannot unmarshal bool into Go struct field PolicyRule.rules.users of type string",
    );
    // A duplicate JSON field is only a strict warning (kjson kubernetes_patch.go:125-130);
    // the last one wins.
    let p = text("{\"apiVersion\":\"audit.k8s.io/v1\",\"kind\":\"Policy\",\"rules\":[{\"level\":\"None\",\"level\":\"Request\"}]}").unwrap();
    assert_eq!(p.policy.rules[0].level, Level::Request);
    assert!(p.warnings.iter().any(|w| w.code == "duplicate-key"));
}

// ---- §1.3: %YAML --------------------------------------------------------------------------

/// go-yaml v2 parserc.go:1025-1036: any %YAML version other than 1.1 is "found
/// incompatible YAML document"; decode.go:111-133 prints `line N: ` (0-based) only when
/// N > 0. decode_test.go:480-484 accepts %YAML 1.1.
#[test]
fn yaml_directive_other_than_1_1_is_refused() {
    let body = format!("---\n{HEAD}- level: Metadata\n");
    let e = refused(
        text(&format!("%YAML 1.2\n{body}")),
        PolicyErrorKind::Yaml,
        "failed decoding: yaml: found incompatible YAML document",
    );
    assert_eq!(e.diagnostics[0].line, 1);
    refused(
        text(&format!("# x\n%YAML 1.2\n{body}")),
        PolicyErrorKind::Yaml,
        "yaml: line 1: found incompatible YAML document",
    );
    assert!(text(&format!("%YAML 1.1\n{body}")).is_ok());
}

// ---- §1.4: encodings ----------------------------------------------------------------------

/// go-yaml v2 readerc.go:25-53 (a UTF-16 BOM selects UTF-16LE/BE), 263-330 (UTF-16
/// decoding with surrogates; decode_test.go:672-691), 180-251 (UTF-8 errors, no line
/// number, raised for every character the scanner reads, comments included), 341-358
/// (control characters, which is what UTF-16 without a BOM gives: NUL bytes).
#[test]
fn utf16_with_bom_is_read_and_bad_utf8_refuses() {
    let t = format!("{HEAD}- level: None\n  users: [\"ü😀\"]\n- level: Foo\n");
    for be in [false, true] {
        let e = refused(
            bytes(&utf16(&t, be)),
            PolicyErrorKind::Invalid,
            "rules[1].level: Unsupported value: \"Foo\"",
        );
        // Positions count characters, as for the UTF-8 text.
        let d = e
            .diagnostics
            .iter()
            .find(|d| d.code == "invalid-level")
            .unwrap();
        assert_eq!((d.line, d.column), (6, 10));
        let ok = t.replace("Foo", "Metadata");
        let p = bytes(&utf16(&ok, be)).unwrap();
        assert_eq!(p.policy.rules[0].users, vec!["ü😀"]);
        assert!(p.warnings.iter().any(|w| w.code == "utf16"));
    }
    // PowerShell's Out-File writes UTF-16LE with a BOM and CRLF line ends.
    let ps = format!("{HEAD}- level: Metadata\n").replace('\n', "\r\n");
    assert_eq!(bytes(&utf16(&ps, false)).unwrap().rule_count(), 1);
    // UTF-16 without a BOM: NUL bytes.
    let raw: Vec<u8> = ps.encode_utf16().flat_map(u16::to_le_bytes).collect();
    refused(
        bytes(&raw),
        PolicyErrorKind::Yaml,
        "yaml: control characters are not allowed",
    );
    // An invalid UTF-8 byte in a comment refuses the file, with its position.
    let mut b = format!("{HEAD}- level: Metadata\n# caf").into_bytes();
    b.extend_from_slice(b"\xe9 latin-1\n");
    let e = refused(
        bytes(&b),
        PolicyErrorKind::Yaml,
        "failed decoding: yaml: invalid trailing UTF-8 octet",
    );
    assert_eq!((e.diagnostics[0].line, e.diagnostics[0].column), (5, 6));
    refused(
        bytes(b"apiVersion: audit.k8s.io/v1\nkind: Policy\n# \xff\nrules:\n- level: None\n"),
        PolicyErrorKind::Yaml,
        "invalid leading UTF-8 octet",
    );
    // DEL is a control character for go-yaml (readerc.go:341-358), also in text.
    refused(
        text(&format!("{HEAD}- level: Metadata\n# \u{7f}\n")),
        PolicyErrorKind::Yaml,
        "control characters are not allowed",
    );
    // In a JSON file, encoding/json replaces invalid UTF-8 in strings with U+FFFD.
    let mut j = b"{\"apiVersion\":\"audit.k8s.io/v1\",\"kind\":\"Policy\",\"rules\":[{\"level\":\"None\",\"users\":[\"a".to_vec();
    j.extend_from_slice(b"\xff\"]}]}");
    assert_eq!(bytes(&j).unwrap().policy.rules[0].users, vec!["a\u{fffd}"]);
}

// ---- §1.5: merge keys -----------------------------------------------------------------------

/// go-yaml v2 decode.go:660-665 (a merge writes into the map at the `<<` key's place, in
/// document order), 786-811 (`d.merge`: a sequence is walked backwards, "earlier nodes
/// take precedence"), 782-784 ("map merge requires map or sequence of maps as the
/// value"), 813-815 (`isMerge`: only a plain `<<`). decode_test.go:1187-1241.
#[test]
fn merge_keys_build_the_rule_that_is_evaluated() {
    let base = "apiVersion: audit.k8s.io/v1\nkind: Policy\nx-base: &proxy\n  level: None\n  users: [\"system:kube-proxy\"]\n  verbs: [watch]\nx-other: &other\n  level: Request\n  users: [\"alice\"]\nrules:\n";
    let p = text(&format!("{base}- <<: *proxy\n- level: Metadata\n")).unwrap();
    let r = &p.policy.rules[0];
    assert_eq!(r.level, Level::None);
    assert_eq!(r.users, vec!["system:kube-proxy"]);
    assert!(
        !p.warnings.iter().any(|w| w.path.ends_with("<<")),
        "{:?}",
        p.warnings
    );
    let d = p.compiled.evaluate(&req("system:kube-proxy", "watch"));
    assert_eq!((d.level, d.rule), (Level::None, Some(0)));
    // The merged rule is narrow: another user or verb falls through to rule 1.
    assert_eq!(p.compiled.evaluate(&req("bob", "watch")).rule, Some(1));
    assert_eq!(
        p.compiled.evaluate(&req("system:kube-proxy", "get")).rule,
        Some(1)
    );

    // An explicit key after `<<` wins.
    let p = text(&format!(
        "{base}- <<: *proxy\n  verbs: [get]\n- level: Metadata\n"
    ))
    .unwrap();
    assert_eq!(p.policy.rules[0].verbs, vec!["get"]);
    assert_eq!(
        p.compiled.evaluate(&req("system:kube-proxy", "get")).rule,
        Some(0)
    );
    assert_eq!(
        p.compiled.evaluate(&req("system:kube-proxy", "watch")).rule,
        Some(1)
    );
    assert!(p.warnings.iter().any(|w| w.code == "merge-override"));
    // An explicit key before `<<` is overwritten by the merged value (v2 only).
    let p = text(&format!(
        "{base}- verbs: [get]\n  <<: *proxy\n- level: Metadata\n"
    ))
    .unwrap();
    assert_eq!(p.policy.rules[0].verbs, vec!["watch"]);
    assert_eq!(
        p.compiled.evaluate(&req("system:kube-proxy", "get")).rule,
        Some(1)
    );
    // `<<: [*a, *b]`: the earlier map wins.
    let p = text(&format!(
        "{base}- <<: [*other, *proxy]\n- level: Metadata\n"
    ))
    .unwrap();
    let r = &p.policy.rules[0];
    assert_eq!(
        (r.level, r.users.clone()),
        (Level::Request, vec!["alice".to_string()])
    );
    assert_eq!(r.verbs, vec!["watch"]);
    let d = p.compiled.evaluate(&req("alice", "watch"));
    assert_eq!((d.level, d.rule), (Level::Request, Some(0)));
    assert_eq!(p.compiled.evaluate(&req("alice", "get")).rule, Some(1));
    // Not a map: refused.
    refused(
        text(&format!("{base}- <<: 1\n  level: None\n")),
        PolicyErrorKind::Yaml,
        "yaml: map merge requires map or sequence of maps as the value",
    );
    refused(
        text(&format!("{base}- <<: [*proxy, 1]\n")),
        PolicyErrorKind::Yaml,
        "map merge requires map or sequence of maps",
    );
    // A quoted "<<" is an ordinary (unknown) key: dropped with a warning.
    let p = text(&format!("{base}- \"<<\": *proxy\n  level: Metadata\n")).unwrap();
    assert!(p.policy.rules[0].users.is_empty());
    assert!(p
        .warnings
        .iter()
        .any(|w| w.code == "unknown-field" && w.path == "rules[0].<<"));
}

// ---- §1.6: kind, keys, tags, types, booleans -------------------------------------------------

/// apimachinery serializer/json/json.go:117-129 (gvkWithDefaults: an empty kind becomes
/// the kind of `into`, Policy) and 165-194.
#[test]
fn missing_kind_is_accepted_with_v1() {
    let p = text("apiVersion: audit.k8s.io/v1\nrules:\n- level: Metadata\n").unwrap();
    assert_eq!(p.policy.kind, "Policy");
    assert!(p.warnings.iter().any(|w| w.code == "missing-kind"));
    assert!(text("apiVersion: audit.k8s.io/v1\nkind: \"\"\nrules:\n- level: Metadata\n").is_ok());
    // Without apiVersion the version defaults to __internal, which reader.go:84-88 refuses.
    refused(
        text("kind: Policy\nrules:\n- level: Metadata\n"),
        PolicyErrorKind::UnknownGroupVersion {
            api_version: String::new(),
            kind: "Policy".into(),
        },
        "unknown group version field audit.k8s.io/__internal, Kind=Policy in policy",
    );
    // Interpret (meta.go:55) uses stdlib encoding/json, which matches keys ignoring case:
    // `Kind:` is found, then the case-sensitive strict decoding reports it unknown.
    let p = text("apiVersion: audit.k8s.io/v1\nKind: Policy\nrules:\n- level: Metadata\n").unwrap();
    assert!(p
        .warnings
        .iter()
        .any(|w| w.code == "unknown-field" && w.path == "Kind"));
}

/// sigs.k8s.io/yaml yaml.go:212-248: a nil key is "unsupported map key of type:
/// %!s(<nil>), key: <nil>, value: ..." (yaml_test.go:755-767), anywhere in the file.
#[test]
fn null_key_is_refused() {
    for t in [
        format!("{HEAD}- level: Metadata\n  ~: a\n"),
        format!("metadata:\n  null: a\n{HEAD}- level: Metadata\n"),
    ] {
        refused(
            text(&t),
            PolicyErrorKind::Decode,
            "unsupported map key of type: %!s(<nil>), key: <nil>, value: \"a\"",
        );
    }
    // A list as a key: go-yaml decode.go:672-674.
    refused(
        text(&format!("{HEAD}- level: Metadata\n  ? [a]\n  : b\n")),
        PolicyErrorKind::Decode,
        "yaml: invalid map key",
    );
}

/// go-yaml v2 decode.go:201-221: tags of mappings and sequences are never stored, so an
/// unknown local tag is ignored; resolve.go:76-89: an unknown tag on a scalar keeps the
/// string.
#[test]
fn unknown_local_tags_are_ignored() {
    let p = text(&format!(
        "{HEAD}- !rule {{level: None, users: !people [a]}}\n- !rule\n  level: !lvl Metadata\n"
    ))
    .unwrap();
    assert_eq!(p.policy.rules[0].users, vec!["a"]);
    assert_eq!(p.policy.rules[1].level, Level::Metadata);
}

/// apimachinery json.go:142 (YAMLToJSON without a target type: no coercion of numbers or
/// booleans to strings), kjson decode.go:180-196 (a type error is fatal, no lenient
/// retry); go-yaml v2 resolve.go:37-42 (YAML 1.1 booleans).
#[test]
fn numbers_and_booleans_in_string_fields_are_type_errors() {
    refused(
        text("apiVersion: audit.k8s.io/v1\nkind: Policy\nmetadata:\n  name: p\n  labels:\n    app: 123\nrules:\n- level: Metadata\n"),
        PolicyErrorKind::Decode,
        "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string",
    );
    refused(
        text("apiVersion: audit.k8s.io/v1\nkind: Policy\nmetadata:\n  annotations: {enabled: yes}\nrules:\n- level: Metadata\n"),
        PolicyErrorKind::Decode,
        "json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.annotations of type string",
    );
    assert!(text("apiVersion: audit.k8s.io/v1\nkind: Policy\nmetadata:\n  labels: {app: \"123\"}\nrules:\n- level: Metadata\n").is_ok());
    refused(
        text(&format!("{HEAD}- level: None\n  users: [123]\n")),
        PolicyErrorKind::Decode,
        "json: cannot unmarshal number into Go struct field PolicyRule.rules.users of type string",
    );
    refused(
        text(&format!("{HEAD}- level: None\n  users: [yes]\n")),
        PolicyErrorKind::Decode,
        "json: cannot unmarshal bool into Go struct field PolicyRule.rules.users of type string",
    );
    refused(
        text(&format!("{HEAD}- level: 1\n")),
        PolicyErrorKind::Decode,
        "cannot unmarshal number into Go struct field PolicyRule.rules.level",
    );
    // In a bool field, YAML 1.1 booleans are booleans.
    for (word, b) in [
        ("yes", true),
        ("on", true),
        ("Y", true),
        ("off", false),
        ("NO", false),
    ] {
        let p = text(&format!("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitManagedFields: {word}\nrules:\n- level: None\n  omitManagedFields: {word}\n")).unwrap();
        assert_eq!(p.policy.omit_managed_fields, b, "{word}");
        assert_eq!(p.policy.rules[0].omit_managed_fields, Some(b), "{word}");
    }
}

// ---- §1.7: Kubernetes version -----------------------------------------------------------------

/// `group: "*"` is valid from 1.36 (apiserver 6728d9492: validation.go:101, checker.go:194).
#[test]
fn newest_kubernetes_by_default_and_version_features() {
    assert_eq!(
        LoadOptions::default().kube_version,
        KubeVersion {
            major: 1,
            minor: 37
        }
    );
    let t = format!("{HEAD}- level: Metadata\n  resources: [{{group: \"*\", resources: [\"*/status\"]}}]\n- level: None\n");
    let p = text(&t).unwrap();
    assert_eq!(p.kube_version, KubeVersion::NEWEST);
    let w = lint(&p)
        .into_iter()
        .find(|d| d.code == "needs-version")
        .expect("lint names the feature");
    assert!(
        w.message.contains("needs Kubernetes 1.36 or newer"),
        "{}",
        w.message
    );
    assert_eq!(w.rule, Some(0));
    let e = refused(
        load_policy("p", &t, &at(35)),
        PolicyErrorKind::Invalid,
        "needs Kubernetes 1.36 or newer",
    );
    assert!(e.diagnostics[0]
        .message
        .contains("a lowercase RFC 1123 subdomain"));
    assert!(load_policy("p", &t, &at(36)).is_ok());
}

// ---- §1.8: old versions ---------------------------------------------------------------------------

/// Only audit.k8s.io/v1 is registered (reader.go:33-44; v1alpha1/v1beta1 removed in
/// 871a4b720, 1.24): runtime/scheme.go:306-315 with error.go:68 gives "no kind ... is
/// registered".
#[test]
fn old_versions_name_the_control_that_reads_them() {
    let t = "apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules:\n- level: Metadata\n";
    let e = refused(
        text(t),
        PolicyErrorKind::OldVersion {
            version: "audit.k8s.io/v1beta1".into(),
        },
        "failed decoding: no kind \"Policy\" is registered for version \"audit.k8s.io/v1beta1\" in scheme \"k8s.io/apiserver/pkg/audit/scheme.go:30\"",
    );
    let m = &e.diagnostics[0].message;
    assert!(
        m.contains("Read old versions as v1") && m.contains("--accept-old-versions"),
        "{m}"
    );
    let opts = LoadOptions {
        accept_old_versions: true,
        ..LoadOptions::default()
    };
    let p = load_policy_bytes("p", t.as_bytes(), &opts).unwrap();
    assert_eq!(p.api_version, "audit.k8s.io/v1beta1");
}

// ---- §1.9: kube-apiserver's words -------------------------------------------------------------------

/// meta.go:48-63, group_version.go:211-227, converter.go:224, reader.go:84-97,
/// sigs yaml.go:156-179 (an empty file is JSON null).
#[test]
fn refusals_carry_kube_apiservers_words() {
    let cases: &[(&str, &str)] = &[
        ("", "unknown group version field audit.k8s.io/__internal, Kind=Policy in policy"),
        ("# only a comment\n", "unknown group version field audit.k8s.io/__internal, Kind=Policy in policy"),
        ("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: []\n", "loaded illegal policy with 0 rules"),
        ("apiVersion: a/b/c\nkind: Policy\nrules:\n- level: None\n", "failed decoding: unexpected GroupVersion string: a/b/c"),
        ("apiVersion: audit.k8s.io/v1\nkind: PolicyList\nrules:\n- level: None\n", "failed decoding: converting (v1.PolicyList) to (audit.Policy): unknown conversion"),
        ("apiVersion: audit.k8s.io/v1\nkind: Foo\nrules:\n- level: None\n", "failed decoding: no kind \"Foo\" is registered for version \"audit.k8s.io/v1\""),
        ("apiVersion: v1\nkind: Policy\nrules:\n- level: None\n", "no kind \"Policy\" is registered for version \"v1\""),
        ("apiVersion: 1\nkind: Policy\nrules:\n- level: None\n", "couldn't get version/kind; json parse error: json: cannot unmarshal number into Go struct field .apiVersion of type string"),
        ("- level: None\n", "json: cannot unmarshal array into Go value of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }"),
        ("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- {}\n", "rules[0].level: Required value"),
        ("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: FooBar\n", "rules[0].level: Unsupported value: \"FooBar\": supported values: \"None\", \"Metadata\", \"Request\", \"RequestResponse\""),
        ("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  nonResourceURLs: [logs]\n", "rules[0].nonResourceURLs[0]: Invalid value: \"logs\": non-resource URL rules must begin with a '/' character"),
        ("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  nonResourceURLs: [\"/logs/*/*\"]\n", "non-resource URL wildcards '*' must be the final character of the rule"),
        ("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  namespaces: [a]\n  nonResourceURLs: [\"/logs*\"]\n", "rules[0].nonResourceURLs: Invalid value: [\"/logs*\"]: rules cannot apply to both regular resources and non-resource URLs"),
        ("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  resources: [{group: Apps}]\n", "kube-apiserver prints the path as rules[0].resources.group"),
        ("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  resources: [{resourceNames: [leader]}]\n", "Invalid value: [\"leader\"]: using resourceNames requires at least one resource"),
    ];
    for (t, words) in cases {
        let e = text(t).expect_err(t);
        assert!(
            e.diagnostics.iter().any(|d| d.message.contains(words)),
            "{t:?}: no {words:?} in\n{e}"
        );
    }
}

/// The CLI reads policy files as bytes (UTF-16 with a BOM loads, a bad byte refuses) and
/// has the flag that reads old versions.
#[test]
fn cli_reads_bytes_and_old_versions() {
    use std::process::Command;
    let dir = std::env::temp_dir().join(format!("audit-lens-policy-reader-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, b: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, b).unwrap();
        p.to_string_lossy().into_owned()
    };
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_audit-lens"))
            .args(args)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let u16 = write(
        "ps.yaml",
        &utf16(
            &format!("{HEAD}- level: Metadata\n").replace('\n', "\r\n"),
            false,
        ),
    );
    assert_eq!(run(&["validate", &u16]).0, Some(0));
    let bad = write(
        "bad.yaml",
        format!("{HEAD}- level: Metadata\n# \u{0}").as_bytes(),
    );
    let (code, err) = run(&["validate", &bad]);
    assert_eq!(code, Some(1));
    assert!(err.contains("control characters are not allowed"), "{err}");
    let old = write(
        "old.yaml",
        b"apiVersion: audit.k8s.io/v1alpha1\nkind: Policy\nrules:\n- level: None\n",
    );
    assert_eq!(run(&["validate", &old]).0, Some(1));
    assert_eq!(run(&["validate", "--accept-old-versions", &old]).0, Some(0));
}
