//! The audit Policy model and its loading: text in, a validated and compiled policy
//! (or the reasons kube-apiserver would refuse it) out.
//!
//! Loading follows kube-apiserver's `LoadPolicyFromBytes` (pkg/audit/policy/reader.go):
//! only the first YAML document is read; only `audit.k8s.io/v1` `Policy` is accepted;
//! decoding is strict first and lenient on strict errors (unknown or duplicate keys are
//! dropped with a warning); values of the wrong type refuse the file; then
//! `ValidatePolicy` runs, then "0 rules" is refused. Before that, this module recognises
//! files that are plainly something else (an audit log, a template, another kind), old
//! policy versions (read as v1 on request, [`LoadOptions::accept_old_versions`]) and
//! ConfigMaps holding policies in their `data` (OpenShift ships these).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::eval::CompiledPolicy;
use super::input;
pub use super::input::Encoding;
use super::validate;
use super::yamlpos::{self, Node, PosIndex, Style};
use super::{Level, Stage};

/// The Kubernetes version whose kube-apiserver the policy is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct KubeVersion {
    pub major: u32,
    pub minor: u32,
}

impl Default for KubeVersion {
    /// The newest version the evaluator knows: [`KubeVersion::NEWEST`].
    fn default() -> Self {
        KubeVersion::NEWEST
    }
}

impl KubeVersion {
    /// The newest Kubernetes whose policy reading the evaluator knows (1.37).
    pub const NEWEST: KubeVersion = KubeVersion {
        major: 1,
        minor: 37,
    };

    /// The first version that accepts `group: "*"`.
    pub const GROUP_WILDCARD: KubeVersion = KubeVersion {
        major: 1,
        minor: 36,
    };

    /// Parses `1.36`, `v1.36` or `1.36.2` (the patch is ignored).
    pub fn parse(s: &str) -> Option<KubeVersion> {
        let s = s.trim().trim_start_matches('v');
        let mut it = s.split('.');
        let major = it.next()?.parse().ok()?;
        let minor = it.next()?.parse().ok()?;
        Some(KubeVersion { major, minor })
    }

    /// `group: "*"` in a rule's resources matches every API group from 1.36 on
    /// (kubernetes/kubernetes#135262); older servers refuse it as an invalid group name.
    pub fn allows_group_wildcard(self) -> bool {
        self >= KubeVersion::GROUP_WILDCARD
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// How to load.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadOptions {
    pub kube_version: KubeVersion,
    /// Read an `audit.k8s.io/v1beta1` or `v1alpha1` Policy as if it were v1 (current
    /// servers refuse those versions).
    pub accept_old_versions: bool,
    /// For a ConfigMap: the `data` key whose policy to load. Default: the first key
    /// that holds a Policy.
    pub configmap_key: Option<String>,
}

/// A resource selector of a rule: resources of one API group.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupResources {
    /// `""` is the core group; `"*"` (from 1.36) every group.
    #[serde(default)]
    pub group: String,
    /// Empty means every resource and subresource of the group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_names: Vec<String>,
}

/// One rule. Empty lists mean "any". Invariant after loading: it passed validation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRule {
    pub level: Level,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verbs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<GroupResources>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    #[serde(
        default,
        rename = "nonResourceURLs",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub non_resource_urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub omit_stages: Vec<Stage>,
    /// `None` = use the policy's value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub omit_managed_fields: Option<bool>,
}

impl PolicyRule {
    /// A rule with only a level.
    pub fn new(level: Level) -> PolicyRule {
        PolicyRule {
            level,
            users: Vec::new(),
            user_groups: Vec::new(),
            verbs: Vec::new(),
            resources: Vec::new(),
            namespaces: Vec::new(),
            non_resource_urls: Vec::new(),
            omit_stages: Vec::new(),
            omit_managed_fields: None,
        }
    }

    /// True when the rule has no selector at all, so it matches every request.
    pub fn is_catch_all(&self) -> bool {
        self.users.is_empty()
            && self.user_groups.is_empty()
            && self.verbs.is_empty()
            && self.resources.is_empty()
            && self.namespaces.is_empty()
            && self.non_resource_urls.is_empty()
    }
}

/// An `audit.k8s.io/v1` Policy. Serializes back to a loadable policy file (JSON/YAML).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    pub api_version: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    pub rules: Vec<PolicyRule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub omit_stages: Vec<Stage>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub omit_managed_fields: bool,
}

impl Policy {
    /// A v1 policy with these rules.
    pub fn new(rules: Vec<PolicyRule>) -> Policy {
        Policy {
            api_version: "audit.k8s.io/v1".into(),
            kind: "Policy".into(),
            metadata: None,
            rules,
            omit_stages: Vec::new(),
            omit_managed_fields: false,
        }
    }
}

/// Error or warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    Warning,
    Error,
}

/// One finding about a policy file.
///
/// `code` is stable (tests and the UI key on it); `message` is for people and starts
/// with the kube-apiserver field path when there is one; `line`/`column` are 1-based,
/// 0 when unknown; `rule` is the 0-based rule index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: String,
    pub message: String,
    pub rule: Option<usize>,
    pub line: u32,
    pub column: u32,
    /// kube-apiserver field path (`rules[3].resources[0].group`), empty if none.
    #[serde(default)]
    pub path: String,
}

impl Diagnostic {
    /// An error at a position.
    pub fn error(
        code: &str,
        message: String,
        rule: Option<usize>,
        pos: yamlpos::Pos,
        path: &str,
    ) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code: code.into(),
            message,
            rule,
            line: pos.line,
            column: pos.col,
            path: path.into(),
        }
    }

    /// A warning at a position.
    pub fn warning(
        code: &str,
        message: String,
        rule: Option<usize>,
        pos: yamlpos::Pos,
        path: &str,
    ) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message, rule, pos, path)
        }
    }

    /// `file:line:col: severity[code]: message` (without `line:col` when unknown).
    pub fn display_in(&self, file: &str) -> String {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        if self.line == 0 {
            format!("{file}: {sev}[{}]: {}", self.code, self.message)
        } else {
            format!(
                "{file}:{}:{}: {sev}[{}]: {}",
                self.line, self.column, self.code, self.message
            )
        }
    }
}

/// Why a file was not loaded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyErrorKind {
    /// Nothing but whitespace and comments.
    Empty,
    /// Not parseable as YAML.
    Yaml,
    /// A Jinja2 or Go template: render it first.
    Template,
    /// Plainly something else (`what` says what: "an audit log", "a Deployment" ...).
    NotAPolicy { what: String },
    /// apiVersion/kind missing or not `audit.k8s.io/v1` `Policy` (kube-apiserver:
    /// "unknown group version field ... in policy").
    UnknownGroupVersion { api_version: String, kind: String },
    /// `audit.k8s.io/v1beta1` or `v1alpha1`: current servers refuse them.
    OldVersion { version: String },
    /// A ConfigMap without a policy, or without the requested key.
    ConfigMap { keys: Vec<String> },
    /// Values of the wrong type (kube-apiserver: "failed decoding").
    Decode,
    /// `ValidatePolicy` failed.
    Invalid,
    /// "loaded illegal policy with 0 rules".
    NoRules,
}

/// A refused file: the kind of refusal and every finding (errors first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyError {
    pub kind: PolicyErrorKind,
    pub source_name: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for PolicyError {
    /// One line per diagnostic: `file:line:col: severity[code]: message`.
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            f.write_str(&d.display_in(&self.source_name))?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyError {}

/// Where a rule sits in the source: 1-based lines; `start_col` is the column of its `-`.
/// All zero when unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSpan {
    pub start_line: u32,
    pub start_col: u32,
    pub end_line: u32,
}

/// A loaded, valid policy.
///
/// Invariants: `compiled` was built from `policy` under `kube_version`;
/// `rule_spans.len() == policy.rules.len()`; `warnings` holds only warnings.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoadedPolicy {
    pub policy: Policy,
    pub compiled: CompiledPolicy,
    pub source_name: String,
    pub rule_spans: Vec<RuleSpan>,
    pub warnings: Vec<Diagnostic>,
    /// The ConfigMap's `data` keys when loaded from a ConfigMap, else empty.
    pub configmap_keys: Vec<String>,
    /// The chosen ConfigMap key, when loaded from a ConfigMap.
    #[serde(default)]
    pub configmap_key: Option<String>,
    /// apiVersion as written (`audit.k8s.io/v1`, or an old one read as v1).
    pub api_version: String,
    pub kube_version: KubeVersion,
}

impl LoadedPolicy {
    /// Number of rules.
    pub fn rule_count(&self) -> usize {
        self.policy.rules.len()
    }
}

/// The text of a policy file as kube-apiserver reads its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyText {
    /// The decoded text, without a BOM.
    pub text: String,
    pub encoding: Encoding,
    /// True when kube-apiserver reads it as JSON (first non-space character `{`, see
    /// [`input::is_json_buffer`]); else YAML.
    pub json: bool,
}

impl PolicyText {
    /// The text to show and edit so that reading it again as UTF-8 text
    /// ([`load_policy`]) gives the same verdict: a UTF-16 file starting with `{` was
    /// read as YAML (its BOM is not a space), so the text keeps a BOM then.
    pub fn editable(&self) -> String {
        if !self.json && input::is_json_text(&self.text) {
            format!("\u{feff}{}", self.text)
        } else {
            self.text.clone()
        }
    }
}

/// Reads a policy file's bytes as kube-apiserver does before decoding: JSON or YAML by
/// the first non-space byte, then the encoding (UTF-16 with a BOM is read; an invalid
/// UTF-8 sequence or a control character anywhere, comments included, refuses the
/// file). A JSON file is read by encoding/json, which replaces invalid UTF-8 with
/// U+FFFD instead of refusing it.
pub fn read_policy_bytes(source_name: &str, bytes: &[u8]) -> Result<PolicyText, PolicyError> {
    if input::is_json_buffer(bytes) {
        return Ok(PolicyText {
            text: String::from_utf8_lossy(bytes).into_owned(),
            encoding: Encoding::Utf8,
            json: true,
        });
    }
    if bytes.starts_with(b"k8s\x00") {
        let d = Diagnostic::error(
            "protobuf",
            "this is a Kubernetes protobuf object (it starts with k8s\\x00); kube-apiserver would decode it as protobuf, which Audit Lens does not read: give the policy as YAML or JSON".into(),
            None,
            yamlpos::Pos::default(),
            "",
        );
        return Err(PolicyError {
            kind: PolicyErrorKind::Yaml,
            source_name: source_name.to_owned(),
            diagnostics: vec![d],
        });
    }
    match input::decode(bytes) {
        Ok((text, encoding)) => Ok(PolicyText {
            text,
            encoding,
            json: false,
        }),
        Err(e) => {
            let d = Diagnostic::error(
                "encoding",
                format!(
                    "byte {} is not valid text here, so kube-apiserver refuses the whole file, even when the byte is in a comment (\"failed decoding: yaml: {}\"). Save the file as UTF-8 (or UTF-16 with a BOM)",
                    e.offset, e.message
                ),
                None,
                e.pos,
                "",
            );
            Err(PolicyError {
                kind: PolicyErrorKind::Yaml,
                source_name: source_name.to_owned(),
                diagnostics: vec![d],
            })
        }
    }
}

/// Loads a policy file from its bytes, deciding JSON or YAML and the encoding on the
/// bytes as kube-apiserver does ([`read_policy_bytes`]). What the CLI and the page use
/// for files. Positions count characters, also for UTF-16 files.
pub fn load_policy_bytes(
    source_name: &str,
    bytes: &[u8],
    opts: &LoadOptions,
) -> Result<LoadedPolicy, PolicyError> {
    let t = read_policy_bytes(source_name, bytes)?;
    let mut warnings = Vec::new();
    if matches!(t.encoding, Encoding::Utf16Le | Encoding::Utf16Be) {
        warnings.push(Diagnostic::warning(
            "utf16",
            format!(
                "the file is {} (with a BOM); kube-apiserver reads it (go-yaml decodes UTF-16). Many other tools expect UTF-8",
                t.encoding.name()
            ),
            None,
            yamlpos::Pos::default(),
            "",
        ));
    }
    load_text(source_name, &t.text, t.json, opts, warnings)
}

/// Loads a policy from text, as if the text were saved as a UTF-8 file: a text whose
/// first non-space character is `{` is JSON. Never panics; a 10,000-rule policy loads
/// in milliseconds.
pub fn load_policy(
    source_name: &str,
    text: &str,
    opts: &LoadOptions,
) -> Result<LoadedPolicy, PolicyError> {
    load_text(
        source_name,
        text,
        input::is_json_text(text),
        opts,
        Vec::new(),
    )
}

fn load_text(
    source_name: &str,
    text: &str,
    json: bool,
    opts: &LoadOptions,
    mut warnings: Vec<Diagnostic>,
) -> Result<LoadedPolicy, PolicyError> {
    let refuse = |kind: PolicyErrorKind, diagnostics: Vec<Diagnostic>| PolicyError {
        kind,
        source_name: source_name.to_owned(),
        diagnostics,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some((kind, d)) = sniff_not_yaml(text) {
        return Err(refuse(kind, vec![d]));
    }
    let (root, index) = if json {
        match input::parse_json(text) {
            Ok(n) => (n, PosIndex::scan(text)),
            Err(e) => {
                let d = Diagnostic {
                    severity: Severity::Error,
                    code: "json".into(),
                    message: format!(
                        "the file starts with `{{`, so kube-apiserver reads it as JSON only (not YAML), and it is not valid JSON: it refuses the file (\"failed decoding: couldn't get version/kind; json parse error: {}\"). Fix the JSON, or, for YAML, put a comment line or `---` before the `{{`",
                        e.message
                    ),
                    rule: None,
                    line: e.line,
                    column: e.column,
                    path: String::new(),
                };
                if looks_like_template(text) {
                    return Err(refuse(
                        PolicyErrorKind::Template,
                        vec![template_diag(text), d],
                    ));
                }
                return Err(refuse(PolicyErrorKind::Yaml, vec![d]));
            }
        }
    } else {
        if let Err(e) = input::check_chars(text) {
            let d = Diagnostic::error(
                "encoding",
                format!("a control character (U+{:04X}) refuses the whole file, even in a comment (\"failed decoding: yaml: {}\")", text[e.offset..].chars().next().map_or(0, |c| c as u32), e.message),
                None,
                e.pos,
                "",
            );
            return Err(refuse(PolicyErrorKind::Yaml, vec![d]));
        }
        if let Err(e) = input::check_yaml_directive(text) {
            return Err(refuse_directive(source_name, e));
        }
        let (root, docs) = match yamlpos::parse_first_document(text) {
            Ok(x) => x,
            Err(e) => return Err(refuse_yaml(source_name, text, e)),
        };
        if docs > 1 {
            warnings.push(Diagnostic::warning(
                "extra-documents",
                format!("the file holds {docs} YAML documents; kube-apiserver reads only the first and ignores the rest"),
                None,
                yamlpos::Pos::default(),
                "",
            ));
        }
        let index = PosIndex::scan(text);
        let root = match input::apply_merges(root, &index, text, &mut warnings) {
            Ok(r) => r,
            Err(e) => return Err(refuse_yaml(source_name, text, e)),
        };
        (root, index)
    };
    if let Some((msg, path)) = input::check_keys(&root, "") {
        let d = Diagnostic::error(
            "bad-key",
            format!(
                "{}: a key is null (`~`, `null` or empty) or a list/mapping, which JSON cannot hold: kube-apiserver refuses the whole file (\"failed decoding: {msg}\")",
                if path.is_empty() { "the policy" } else { &path }
            ),
            validate::rule_of(&path),
            index.pos_of(&path),
            &path,
        );
        return Err(refuse(PolicyErrorKind::Decode, vec![d]));
    }
    match classify(&root, &index, text, json, opts) {
        None => {}
        Some(Classified::Refuse(kind, d)) => return Err(refuse(kind, d)),
        Some(Classified::ConfigMap) => {
            return load_from_configmap(source_name, &root, &index, opts, warnings)
        }
        Some(Classified::Accepted(w)) => warnings.extend(w),
    }
    finish(source_name, &root, &index, opts, warnings, Vec::new(), None)
}

fn refuse_directive(source_name: &str, e: yamlpos::YamlError) -> PolicyError {
    PolicyError {
        kind: PolicyErrorKind::Yaml,
        source_name: source_name.to_owned(),
        diagnostics: vec![Diagnostic {
            severity: Severity::Error,
            code: "yaml-version".into(),
            message: format!(
                "kube-apiserver's YAML parser (go-yaml v2) reads YAML 1.1 only and refuses this file (\"failed decoding: {}\"). Remove the %YAML line (or write %YAML 1.1)",
                e.message
            ),
            rule: None,
            line: e.line,
            column: e.column,
            path: String::new(),
        }],
    }
}

/// Decodes, validates and compiles a Policy node.
fn finish(
    source_name: &str,
    root: &Node,
    index: &PosIndex,
    opts: &LoadOptions,
    mut warnings: Vec<Diagnostic>,
    configmap_keys: Vec<String>,
    configmap_key: Option<String>,
) -> Result<LoadedPolicy, PolicyError> {
    let refuse = |kind, diagnostics| PolicyError {
        kind,
        source_name: source_name.to_owned(),
        diagnostics,
    };
    let decoded = validate::decode(root, index);
    let (errors, warns): (Vec<_>, Vec<_>) = decoded
        .diagnostics
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    warnings.extend(warns);
    if !errors.is_empty() {
        return Err(refuse(
            PolicyErrorKind::Decode,
            errors.into_iter().chain(warnings).collect(),
        ));
    }
    let raw = decoded.policy;
    let checked = validate::validate(&raw, index, opts.kube_version);
    let (errors, warns): (Vec<_>, Vec<_>) = checked
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    warnings.extend(warns);
    if !errors.is_empty() {
        return Err(refuse(
            PolicyErrorKind::Invalid,
            errors.into_iter().chain(warnings).collect(),
        ));
    }
    if raw.rules.is_empty() {
        let d = Diagnostic::error(
            "no-rules",
            "the policy has no rules; kube-apiserver refuses it (\"loaded illegal policy with 0 rules\"). Add at least `- level: Metadata` under `rules:`".into(),
            None,
            index.pos_of("rules"),
            "rules",
        );
        return Err(refuse(PolicyErrorKind::NoRules, vec![d]));
    }
    let api_version = gvk_field(root, "apiVersion", false)
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_owned();
    let policy = validate::to_model(raw);
    let compiled = CompiledPolicy::new(&policy, opts.kube_version);
    let rule_spans = (0..policy.rules.len())
        .map(|i| match index.get(&format!("rules[{i}]")) {
            Some(l) => {
                let s = l.start();
                RuleSpan {
                    start_line: s.line,
                    start_col: s.col,
                    end_line: l.end_line.max(s.line),
                }
            }
            None => RuleSpan::default(),
        })
        .collect();
    Ok(LoadedPolicy {
        policy,
        compiled,
        source_name: source_name.to_owned(),
        rule_spans,
        warnings,
        configmap_keys,
        configmap_key,
        api_version,
        kube_version: opts.kube_version,
    })
}

enum Classified {
    Refuse(PolicyErrorKind, Vec<Diagnostic>),
    ConfigMap,
    /// Loaded, with these warnings.
    Accepted(Vec<Diagnostic>),
}

const OLD_VERSIONS: [&str; 2] = ["audit.k8s.io/v1beta1", "audit.k8s.io/v1alpha1"];

/// The scheme name kube-apiserver prints in "no kind is registered" errors (the place
/// `audit.Scheme` is created, pkg/audit/scheme.go:30; a trimmed build prints this).
pub const SCHEME_NAME: &str = "k8s.io/apiserver/pkg/audit/scheme.go:30";

/// Kinds registered in `audit.k8s.io/v1` besides Policy (apiserver
/// pkg/apis/audit/v1/register.go; meta options kinds from metav1.AddToGroupVersion).
const V1_OTHER_KINDS: &[&str] = &[
    "Event",
    "EventList",
    "PolicyList",
    "WatchEvent",
    "ListOptions",
    "GetOptions",
    "DeleteOptions",
    "CreateOptions",
    "UpdateOptions",
    "PatchOptions",
];
/// Unversioned meta kinds: creatable under any group version (runtime/scheme.go New).
const UNVERSIONED_KINDS: &[&str] = &[
    "Status",
    "APIVersions",
    "APIGroupList",
    "APIGroup",
    "APIResourceList",
];

/// The error kube-apiserver's `LoadPolicyFromBytes` returns for this apiVersion and
/// kind, or `None` when they are accepted (`audit.k8s.io/v1` and `Policy` or no kind).
/// apimachinery serializer/json/meta.go:48-63 (`Interpret`, `ParseGroupVersion`),
/// json.go:117-129 (`gvkWithDefaults`: a missing kind becomes Policy, a missing
/// version `audit.k8s.io/__internal`), runtime/scheme.go:306-315 and error.go:68 ("no
/// kind is registered"), conversion/converter.go:224 ("unknown conversion"), apiserver
/// pkg/audit/policy/reader.go:84-88 ("unknown group version field").
pub fn kube_gvk_error(api_version: &str, kind: &str) -> Option<String> {
    let (mut group, mut version) = if api_version.is_empty() || api_version == "/" {
        (String::new(), String::new())
    } else {
        match api_version.matches('/').count() {
            0 => (String::new(), api_version.to_owned()),
            1 => {
                let (g, v) = api_version.split_once('/').unwrap_or_default();
                (g.to_owned(), v.to_owned())
            }
            _ => {
                return Some(format!(
                    "failed decoding: unexpected GroupVersion string: {api_version}"
                ))
            }
        }
    };
    let kind = if kind.is_empty() { "Policy" } else { kind };
    if version.is_empty() && (group.is_empty() || group == "audit.k8s.io") {
        group = "audit.k8s.io".into();
        version = "__internal".into();
    }
    let gv = if group.is_empty() {
        version.clone()
    } else {
        format!("{group}/{version}")
    };
    let not_registered = || {
        format!("failed decoding: no kind {kind:?} is registered for version {gv:?} in scheme {SCHEME_NAME:?}")
    };
    let unknown_conversion = |pkg: &str| {
        format!("failed decoding: converting ({pkg}.{kind}) to (audit.Policy): unknown conversion")
    };
    if UNVERSIONED_KINDS.contains(&kind) {
        return Some(unknown_conversion("v1"));
    }
    if group == "audit.k8s.io" && version == "__internal" {
        return Some(match kind {
            "Policy" => format!("unknown group version field {gv}, Kind={kind} in policy"),
            "Event" | "EventList" | "PolicyList" => unknown_conversion("audit"),
            _ => not_registered(),
        });
    }
    if group == "audit.k8s.io" && version == "v1" {
        return match kind {
            "Policy" => None,
            k if V1_OTHER_KINDS.contains(&k) => Some(unknown_conversion("v1")),
            _ => Some(not_registered()),
        };
    }
    Some(not_registered())
}

/// The value of `apiVersion` or `kind` as kube-apiserver's `Interpret` finds it: stdlib
/// encoding/json matches keys case-insensitively (`Kind:` counts), the last match in
/// the JSON wins, and the JSON made from YAML has its keys sorted.
fn gvk_field<'n>(root: &'n Node, name: &str, json: bool) -> Option<&'n Node> {
    let Node::Map(entries) = root else {
        return None;
    };
    let mut matching = entries
        .iter()
        .filter_map(|(k, v)| Some((k.as_key()?, v)))
        .filter(|(k, _)| k.eq_ignore_ascii_case(name));
    if json {
        matching.next_back().map(|(_, v)| v)
    } else {
        matching.max_by(|a, b| a.0.cmp(&b.0)).map(|(_, v)| v)
    }
}

/// Recognises what the document is when it is not a plain v1 Policy (`None` when it is).
fn classify(
    root: &Node,
    index: &PosIndex,
    text: &str,
    json: bool,
    opts: &LoadOptions,
) -> Option<Classified> {
    let top = |code: &str, msg: String, path: &str| {
        Diagnostic::error(code, msg, None, index.pos_of(path), path)
    };
    if !matches!(root, Node::Map(_)) {
        if matches!(root, Node::Null) {
            let d = top(
                "empty",
                format!("the file is empty; kube-apiserver refuses an empty policy file (\"{EMPTY_GO_ERROR}\")"),
                "",
            );
            return Some(Classified::Refuse(PolicyErrorKind::Empty, vec![d]));
        }
        if looks_like_template(text) {
            return Some(Classified::Refuse(
                PolicyErrorKind::Template,
                vec![template_diag(text)],
            ));
        }
        let what = format!("{} (not a mapping)", root.type_name());
        let d = top(
            "not-a-policy",
            format!(
                "the document is {}, not a Policy object; kube-apiserver cannot decode it (\"failed decoding: couldn't get version/kind; json parse error: json: cannot unmarshal {} into Go value of type struct {{ APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }}\")",
                root.type_name(),
                super::validate::json_type(root)
            ),
            "",
        );
        return Some(Classified::Refuse(
            PolicyErrorKind::NotAPolicy { what },
            vec![d],
        ));
    }
    for name in ["apiVersion", "kind"] {
        if let Some(n) = gvk_field(root, name, json) {
            if !matches!(n, Node::Str(_) | Node::Null) {
                let d = Diagnostic::error(
                    "wrong-type",
                    format!(
                        "{name}: expected a string, found {}; kube-apiserver refuses the file (\"failed decoding: couldn't get version/kind; json parse error: json: cannot unmarshal {} into Go struct field .{name} of type string\")",
                        n.type_name(),
                        super::validate::json_type(n)
                    ),
                    None,
                    index.value_pos(name),
                    name,
                );
                return Some(Classified::Refuse(PolicyErrorKind::Decode, vec![d]));
            }
        }
    }
    let api_version = gvk_field(root, "apiVersion", json)
        .and_then(Node::as_str)
        .unwrap_or("");
    let kind = gvk_field(root, "kind", json)
        .and_then(Node::as_str)
        .unwrap_or("");
    if looks_like_event(root) {
        let d = top(
            "audit-log",
            "this is an audit log (audit.k8s.io Event), not an audit Policy; load it as a log"
                .into(),
            "",
        );
        let what = "an audit log (audit events), not a policy".into();
        return Some(Classified::Refuse(
            PolicyErrorKind::NotAPolicy { what },
            vec![d],
        ));
    }
    if kind == "ConfigMap" {
        return Some(Classified::ConfigMap);
    }
    let go_error = kube_gvk_error(api_version, kind);
    if go_error.is_none() {
        if kind.is_empty() {
            return Some(Classified::Accepted(vec![Diagnostic::warning(
                "missing-kind",
                "the policy has no `kind`; kube-apiserver accepts it (it takes the kind Policy from the type it decodes into), but other tools may not: add `kind: Policy`".into(),
                None,
                index.pos_of("apiVersion"),
                "kind",
            )]));
        }
        return None;
    }
    let go_error = go_error.unwrap_or_default();
    if kind == "Policy" && OLD_VERSIONS.contains(&api_version) {
        let pos = index.value_pos("apiVersion");
        if opts.accept_old_versions {
            return Some(Classified::Accepted(vec![Diagnostic::warning(
                "old-version",
                format!("apiVersion {api_version} is no longer served by kube-apiserver (it accepts only audit.k8s.io/v1 and says \"{go_error}\"); read as v1 because old versions were accepted. Change it to audit.k8s.io/v1"),
                None,
                pos,
                "apiVersion",
            )]));
        }
        let d = Diagnostic::error(
            "old-version",
            format!("apiVersion {api_version}: current kube-apiserver only loads audit.k8s.io/v1 and refuses this file (\"{go_error}\"); the rules can usually be read as v1 unchanged: change the apiVersion to audit.k8s.io/v1, or read old versions as v1 (the \"Read old versions as v1\" box; CLI: --accept-old-versions)"),
            None,
            pos,
            "apiVersion",
        );
        return Some(Classified::Refuse(
            PolicyErrorKind::OldVersion {
                version: api_version.into(),
            },
            vec![d],
        ));
    }
    if !kind.is_empty()
        && kind != "Policy"
        && !api_version.starts_with("audit.k8s.io/")
        && !looks_like_template(kind)
    {
        let d = top(
            "not-a-policy",
            format!("this is a {kind} ({api_version}), not an audit Policy (kube-apiserver: \"{go_error}\")"),
            "kind",
        );
        let what = format!("a {kind} ({api_version})");
        return Some(Classified::Refuse(
            PolicyErrorKind::NotAPolicy { what },
            vec![d],
        ));
    }
    Some(unknown_group_version(
        root,
        index,
        text,
        api_version,
        kind,
        &go_error,
    ))
}

/// kube-apiserver's words for an empty file (the YAML becomes JSON `null`, and the
/// group version defaults to the internal one; json.go:165-194, reader.go:84-88).
pub const EMPTY_GO_ERROR: &str =
    "unknown group version field audit.k8s.io/__internal, Kind=Policy in policy";

/// kube-apiserver's "unknown group version field ... in policy", with what we can add.
fn unknown_group_version(
    root: &Node,
    index: &PosIndex,
    text: &str,
    api_version: &str,
    kind: &str,
    go_error: &str,
) -> Classified {
    let shown = |s: &str| {
        if s.is_empty() {
            "(missing)".to_owned()
        } else {
            format!("{s:?}")
        }
    };
    let mut msg = format!(
        "apiVersion {} / kind {}: kube-apiserver only loads apiVersion \"audit.k8s.io/v1\", kind \"Policy\" and refuses this file (\"{go_error}\")",
        shown(api_version),
        shown(kind)
    );
    if api_version.is_empty() && kind.is_empty() {
        msg.push_str("; add `apiVersion: audit.k8s.io/v1` and `kind: Policy` at the top");
        let extra: Vec<String> = match root {
            Node::Map(e) => e
                .iter()
                .filter_map(|(k, _)| k.as_key())
                .filter(|k| {
                    !["rules", "omitStages", "omitManagedFields", "metadata"].contains(&k.as_str())
                })
                .collect(),
            _ => Vec::new(),
        };
        if !extra.is_empty() {
            msg.push_str(&format!(
                ". It also has keys a Kubernetes Policy does not have ({}): this looks like a policy for another tool (such as an audit log exporter), whose matching rules (`*` globs in users or namespaces, for instance) kube-apiserver does not implement",
                extra.join(", ")
            ));
        }
    }
    let path = if api_version.is_empty() {
        ""
    } else {
        "apiVersion"
    };
    let mut diags = vec![Diagnostic::error(
        "unknown-group-version",
        msg,
        None,
        index.value_pos(path),
        path,
    )];
    if looks_like_template(api_version) || looks_like_template(kind) {
        diags.push(template_diag(text));
    }
    Classified::Refuse(
        PolicyErrorKind::UnknownGroupVersion {
            api_version: api_version.into(),
            kind: kind.into(),
        },
        diags,
    )
}

fn looks_like_event(root: &Node) -> bool {
    let kind = root.get("kind").and_then(Node::as_str).unwrap_or("");
    let api = root.get("apiVersion").and_then(Node::as_str).unwrap_or("");
    (kind == "Event" && api.starts_with("audit.k8s.io"))
        || kind == "EventList"
        || root.get("auditID").is_some()
        || root.get("records").is_some()
        || root.get("protoPayload").is_some()
}

fn looks_like_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%")
}

fn template_diag(text: &str) -> Diagnostic {
    let (line, column) = text
        .lines()
        .enumerate()
        .find_map(|(i, l)| {
            let c = l.find("{{").or_else(|| l.find("{%"))?;
            Some((i as u32 + 1, l[..c].chars().count() as u32 + 1))
        })
        .unwrap_or((0, 0));
    Diagnostic {
        severity: Severity::Error,
        code: "template".into(),
        message: "this is a template (Jinja2 `{% %}` or Go `{{ }}` markers), not a policy; render it first and load the result".into(),
        rule: None,
        line,
        column,
        path: String::new(),
    }
}

/// Quick checks before YAML parsing: empty files, and JSON audit logs (which do not
/// parse as YAML when there are several lines of them).
fn sniff_not_yaml(text: &str) -> Option<(PolicyErrorKind, Diagnostic)> {
    let trimmed = text.trim_start();
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        let d = Diagnostic::error(
            "empty",
            format!("the file is empty; kube-apiserver refuses an empty policy file (\"{EMPTY_GO_ERROR}\")"),
            None,
            yamlpos::Pos::default(),
            "",
        );
        return Some((PolicyErrorKind::Empty, d));
    }
    if !trimmed.starts_with('{') {
        return None;
    }
    let first = trimmed.lines().next().unwrap_or("");
    let v: serde_json::Value = serde_json::from_str(first)
        .or_else(|_| serde_json::from_str(trimmed))
        .ok()?;
    let o = v.as_object()?;
    let kind = o.get("kind").and_then(|k| k.as_str()).unwrap_or("");
    let is_log = o.contains_key("auditID")
        || o.contains_key("records")
        || o.contains_key("protoPayload")
        || kind == "Event"
        || kind == "EventList";
    is_log.then(|| {
        let d = Diagnostic::error(
            "audit-log",
            "this is an audit log (JSON audit events), not an audit Policy; load it as a log"
                .into(),
            None,
            yamlpos::Pos { line: 1, col: 1 },
            "",
        );
        (
            PolicyErrorKind::NotAPolicy {
                what: "an audit log (audit events), not a policy".into(),
            },
            d,
        )
    })
}

fn refuse_yaml(source_name: &str, text: &str, e: yamlpos::YamlError) -> PolicyError {
    let mut diags = Vec::new();
    let kind = if looks_like_template(text) {
        diags.push(template_diag(text));
        PolicyErrorKind::Template
    } else {
        PolicyErrorKind::Yaml
    };
    diags.push(Diagnostic {
        severity: Severity::Error,
        code: "yaml".into(),
        message: if e.message.contains("repetition limit exceeded") {
            format!(
                "refused: its YAML aliases (*name) expand to too many nodes, as an alias bomb does ({})",
                e.message
            )
        } else if e.message.contains("recursion limit exceeded") {
            format!(
                "refused: its YAML is nested too deeply ({})",
                e.message
            )
        } else {
            format!(
                "not valid YAML, kube-apiserver cannot decode it: {}",
                e.message
            )
        },
        rule: None,
        line: e.line,
        column: e.column,
        path: String::new(),
    });
    PolicyError {
        kind,
        source_name: source_name.to_owned(),
        diagnostics: diags,
    }
}

/// True when a ConfigMap value holds a Policy.
fn holds_policy(v: &Node) -> bool {
    v.as_str()
        .and_then(|s| yamlpos::parse_first_document(s).ok())
        .is_some_and(|(n, _)| n.get("kind").and_then(Node::as_str) == Some("Policy"))
}

/// A ConfigMap whose `data` values hold policies: choose one and load it.
fn load_from_configmap(
    source_name: &str,
    root: &Node,
    index: &PosIndex,
    opts: &LoadOptions,
    mut warnings: Vec<Diagnostic>,
) -> Result<LoadedPolicy, PolicyError> {
    let entries: Vec<(String, &Node)> = match root.get("data") {
        Some(Node::Map(e)) => e
            .iter()
            .filter_map(|(k, v)| Some((k.as_key()?, v)))
            .collect(),
        _ => Vec::new(),
    };
    let keys: Vec<String> = entries.iter().map(|(k, _)| k.clone()).collect();
    let policy_keys: Vec<&str> = entries
        .iter()
        .filter(|(_, v)| holds_policy(v))
        .map(|(k, _)| k.as_str())
        .collect();
    let refuse = |msg: String| PolicyError {
        kind: PolicyErrorKind::ConfigMap { keys: keys.clone() },
        source_name: source_name.to_owned(),
        diagnostics: vec![Diagnostic::error(
            "configmap",
            msg,
            None,
            index.pos_of("data"),
            "data",
        )],
    };
    let wanted = opts
        .configmap_key
        .as_deref()
        .or(policy_keys.first().copied());
    let Some((key, value)) = wanted.and_then(|w| entries.iter().find(|(k, _)| k == w)) else {
        return Err(refuse(match &opts.configmap_key {
            Some(k) => format!("this ConfigMap has no data key {k:?}; its keys are: {}", keys.join(", ")),
            None => format!(
                "this ConfigMap holds no audit Policy in its data (keys: {}); kube-apiserver reads a policy file, not a ConfigMap",
                if keys.is_empty() { "none".to_owned() } else { keys.join(", ") }
            ),
        }));
    };
    let Some(inner) = value.as_str() else {
        return Err(refuse(format!("data key {key:?} does not hold text")));
    };
    let vpath = format!("data.{key}");
    let inner_index = match index.get(&vpath) {
        Some(l) if l.style == Style::Literal => match l.block_body {
            Some((line, indent)) => PosIndex::scan(inner).shifted(line, indent),
            None => PosIndex::default(),
        },
        _ => PosIndex::default(),
    };
    warnings.push(Diagnostic::warning(
        "configmap",
        format!(
            "loaded the policy in ConfigMap data key {key:?} (keys: {}; policies in: {}). kube-apiserver itself reads a policy file, not a ConfigMap",
            keys.join(", "),
            policy_keys.join(", ")
        ),
        None,
        index.pos_of(&vpath),
        &vpath,
    ));
    let inner_opts = LoadOptions {
        configmap_key: None,
        ..opts.clone()
    };
    let node = match yamlpos::parse_first_document(inner) {
        Ok((n, _)) => n,
        Err(e) => return Err(refuse_yaml(source_name, inner, e)),
    };
    match classify(
        &node,
        &inner_index,
        inner,
        input::is_json_text(inner),
        &inner_opts,
    ) {
        None => {}
        Some(Classified::Refuse(kind, diagnostics)) => {
            return Err(PolicyError {
                kind,
                source_name: source_name.to_owned(),
                diagnostics,
            })
        }
        Some(Classified::ConfigMap) => {
            return Err(refuse(
                "a ConfigMap inside a ConfigMap is not supported".into(),
            ))
        }
        Some(Classified::Accepted(w)) => warnings.extend(w),
    }
    finish(
        source_name,
        &node,
        &inner_index,
        &inner_opts,
        warnings,
        keys.clone(),
        Some(key.clone()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<LoadedPolicy, PolicyError> {
        load_policy("t.yaml", text, &LoadOptions::default())
    }

    #[test]
    fn kube_version_parse_and_gate() {
        assert_eq!(
            KubeVersion::parse("1.36"),
            Some(KubeVersion {
                major: 1,
                minor: 36
            })
        );
        assert_eq!(
            KubeVersion::parse("v1.34.2"),
            Some(KubeVersion {
                major: 1,
                minor: 34
            })
        );
        assert_eq!(KubeVersion::parse("x"), None);
        assert!(KubeVersion::default().allows_group_wildcard());
        assert_eq!(KubeVersion::default(), KubeVersion::NEWEST);
        assert!(!KubeVersion {
            major: 1,
            minor: 35
        }
        .allows_group_wildcard());
        assert!(KubeVersion {
            major: 1,
            minor: 36
        }
        .allows_group_wildcard());
        assert!(KubeVersion { major: 2, minor: 0 }.allows_group_wildcard());
    }

    #[test]
    fn minimal_policy_loads() {
        let p =
            load("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n").unwrap();
        assert_eq!(p.rule_count(), 1);
        assert_eq!(
            p.rule_spans[0],
            RuleSpan {
                start_line: 4,
                start_col: 1,
                end_line: 4
            }
        );
        assert_eq!(p.api_version, "audit.k8s.io/v1");
    }

    #[test]
    fn bom_and_json_policy_load() {
        let j = "\u{feff}{\"apiVersion\":\"audit.k8s.io/v1\",\"kind\":\"Policy\",\"rules\":[{\"level\":\"None\"}]}";
        assert_eq!(load(j).unwrap().rule_count(), 1);
    }

    #[test]
    fn refusal_kinds() {
        type Check = fn(&PolicyErrorKind) -> bool;
        let cases: &[(&str, Check)] = &[
            ("", |k| *k == PolicyErrorKind::Empty),
            ("# only a comment\n", |k| *k == PolicyErrorKind::Empty),
            ("apiVersion: audit.k8s.io/v1\nkind: Policy\n", |k| *k == PolicyErrorKind::NoRules),
            ("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: []\n", |k| *k == PolicyErrorKind::NoRules),
            ("rules:\n- level: None\n", |k| matches!(k, PolicyErrorKind::UnknownGroupVersion { .. })),
            ("apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules:\n- level: None\n", |k| {
                matches!(k, PolicyErrorKind::OldVersion { version } if version == "audit.k8s.io/v1beta1")
            }),
            (
                "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"auditID\":\"x\"}\n{\"kind\":\"Event\"}\n",
                |k| matches!(k, PolicyErrorKind::NotAPolicy { .. }),
            ),
            ("apiVersion: apps/v1\nkind: Deployment\n", |k| matches!(k, PolicyErrorKind::NotAPolicy { .. })),
            ("{% if x %}\nrules: [\n", |k| *k == PolicyErrorKind::Template),
            ("a: [\n", |k| *k == PolicyErrorKind::Yaml),
            ("- a\n- b\n", |k| matches!(k, PolicyErrorKind::NotAPolicy { .. })),
            ("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Foo\n", |k| *k == PolicyErrorKind::Invalid),
            ("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  users: [1234]\n", |k| {
                *k == PolicyErrorKind::Decode
            }),
        ];
        for (text, ok) in cases {
            let e = load(text).expect_err(text);
            assert!(ok(&e.kind), "{text:?} gave {:?}", e.kind);
            assert!(!e.diagnostics.is_empty());
        }
    }

    #[test]
    fn old_version_accepted_on_request() {
        let opts = LoadOptions {
            accept_old_versions: true,
            ..LoadOptions::default()
        };
        let text = "apiVersion: audit.k8s.io/v1alpha1\nkind: Policy\nrules:\n- level: None\n";
        let p = load_policy("t", text, &opts).unwrap();
        assert_eq!(p.api_version, "audit.k8s.io/v1alpha1");
        assert!(p.warnings.iter().any(|w| w.code == "old-version"));
    }

    #[test]
    fn configmap_choice() {
        let text = "apiVersion: v1\nkind: ConfigMap\ndata:\n  readme: hello\n  a.yaml: |\n    apiVersion: audit.k8s.io/v1\n    kind: Policy\n    rules:\n    - level: None\n    - level: Metadata\n  b.yaml: |\n    apiVersion: audit.k8s.io/v1\n    kind: Policy\n    rules:\n    - level: Request\n";
        let p = load(text).unwrap();
        assert_eq!(p.configmap_keys, vec!["readme", "a.yaml", "b.yaml"]);
        assert_eq!(p.configmap_key.as_deref(), Some("a.yaml"));
        assert_eq!(p.rule_count(), 2);
        assert_eq!(
            p.rule_spans[1],
            RuleSpan {
                start_line: 10,
                start_col: 5,
                end_line: 10
            }
        );
        let pick = |k: &str| LoadOptions {
            configmap_key: Some(k.into()),
            ..LoadOptions::default()
        };
        let p = load_policy("t", text, &pick("b.yaml")).unwrap();
        assert_eq!(p.policy.rules[0].level, Level::Request);
        let e = load_policy("t", text, &pick("nope")).unwrap_err();
        assert!(matches!(e.kind, PolicyErrorKind::ConfigMap { ref keys } if keys.len() == 3));
        let e = load("apiVersion: v1\nkind: ConfigMap\ndata:\n  x: y\n").unwrap_err();
        assert!(matches!(e.kind, PolicyErrorKind::ConfigMap { .. }));
    }

    #[test]
    fn display_has_file_line_col() {
        let e =
            load("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Foo\n").unwrap_err();
        let s = e.to_string();
        assert!(
            s.starts_with("t.yaml:4:10: error[invalid-level]: rules[0].level"),
            "{s}"
        );
    }

    #[test]
    fn model_reserializes_to_a_loadable_policy() {
        let text = "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Request\n  resources:\n  - group: \"\"\n    resources: [pods]\n  omitManagedFields: true\n- level: Metadata\n";
        let p = load(text).unwrap();
        let json = serde_json::to_string(&p.policy).unwrap();
        let again = load(&json).unwrap();
        assert_eq!(again.policy, p.policy);
    }

    #[test]
    fn ten_thousand_rules_load_fast() {
        let mut t = String::from("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n");
        for i in 0..10_000 {
            t.push_str(&format!(
                "- level: Metadata\n  users: [\"u{i}\"]\n  resources:\n  - group: \"\"\n    resources: [\"pods\", \"pods/log\"]\n"
            ));
        }
        let start = std::time::Instant::now();
        let p = load(&t).unwrap();
        assert_eq!(p.rule_count(), 10_000);
        assert_eq!(p.rule_spans[9_999].start_line, 3 + 5 * 9_999 + 1);
        assert!(start.elapsed().as_secs_f64() < 2.0, "{:?}", start.elapsed());
    }
}
