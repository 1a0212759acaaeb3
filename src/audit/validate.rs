//! From a YAML tree to a Policy, refusing exactly what kube-apiserver refuses.
//!
//! Two steps, as in kube-apiserver:
//!
//! 1. [`decode`]: kube-apiserver turns the YAML into JSON (go-yaml v2, YAML 1.1) and
//!    decodes it into typed Go structs. A value of the wrong type refuses the file
//!    ("failed decoding: json: cannot unmarshal ..."). That includes the YAML 1.1 traps:
//!    plain `no`, `on`, `y` are booleans and `1234`, `0777`, `1_000` numbers, none of
//!    which can go into a string. Unknown and duplicate keys are strict-decoding errors,
//!    on which kube-apiserver falls back to lenient decoding: it drops unknown keys (the
//!    last duplicate wins) and only logs a warning. JSON `null` leaves a field unset
//!    and becomes `""` inside a list of strings.
//! 2. [`validate`]: `ValidatePolicy` (pkg/apis/audit/validation): levels, rule
//!    omitStages, non-resource URL forms, API group names, resourceNames without
//!    resources, resources mixed with non-resource URLs, and the policy-wide
//!    `omitStages` (validation.go:30 runs `validateOmitStages` on it as on a rule's).
//!
//! Messages start with the field path and then give kube-apiserver's own words; the
//! path of a resources entry carries its index (`rules[3].resources[0].group`), where
//! kube-apiserver prints `rules[3].resources.group` (the message says so).

use super::policy::{Diagnostic, GroupResources, Policy, PolicyRule};
use super::yamlpos::{yaml11_kind, Node, PosIndex, Yaml11Kind};
use super::{Level, Stage};
use crate::audit::policy::KubeVersion;

/// A policy as decoded, before validation: levels and stages still as written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawPolicy {
    pub api_version: Option<String>,
    pub kind: Option<String>,
    pub metadata: Option<serde_json::Value>,
    pub rules: Vec<RawRule>,
    pub omit_stages: Vec<String>,
    pub omit_managed_fields: bool,
}

/// A rule as decoded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawRule {
    pub level: String,
    pub users: Vec<String>,
    pub user_groups: Vec<String>,
    pub verbs: Vec<String>,
    pub resources: Vec<GroupResources>,
    pub namespaces: Vec<String>,
    pub non_resource_urls: Vec<String>,
    pub omit_stages: Vec<String>,
    pub omit_managed_fields: Option<bool>,
}

/// The decoded policy and the decoding findings (errors refuse the file).
pub struct Decoded {
    pub policy: RawPolicy,
    pub diagnostics: Vec<Diagnostic>,
}

const POLICY_KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "rules",
    "omitStages",
    "omitManagedFields",
];
const RULE_KEYS: &[&str] = &[
    "level",
    "users",
    "userGroups",
    "verbs",
    "resources",
    "namespaces",
    "nonResourceURLs",
    "omitStages",
    "omitManagedFields",
];
const GROUP_RESOURCES_KEYS: &[&str] = &["group", "resources", "resourceNames"];
/// `metav1.ObjectMeta`'s JSON keys.
const METADATA_KEYS: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];

/// The rule index of a path under `rules[N]`.
pub fn rule_of(path: &str) -> Option<usize> {
    let rest = path.strip_prefix("rules[")?;
    rest[..rest.find(']')?].parse().ok()
}

/// Where a value goes in kube-apiserver's Go types, for its error text.
#[derive(Clone, Copy)]
struct GoField<'a> {
    /// Innermost Go struct (`PolicyRule`).
    strukt: &'a str,
    /// JSON path without indices (`rules.users`).
    json: &'a str,
    /// Go type of the field or element (`string`, `[]string`, `bool`).
    ty: &'a str,
    /// What it is, for people ("user name").
    what: &'a str,
}

struct Dec<'a> {
    idx: &'a PosIndex,
    diags: Vec<Diagnostic>,
}

/// Decodes a Policy mapping (apiVersion/kind are checked by the caller).
pub fn decode(root: &Node, idx: &PosIndex) -> Decoded {
    let mut d = Dec {
        idx,
        diags: Vec::new(),
    };
    let policy = d.policy(root);
    Decoded {
        policy,
        diagnostics: d.diags,
    }
}

/// The JSON type name Go prints in "cannot unmarshal X".
pub(crate) fn json_type(n: &Node) -> &'static str {
    match n {
        Node::Null => "null",
        Node::Bool(_) => "bool",
        Node::Num(_) => "number",
        Node::Str(_) => "string",
        Node::Seq(_) => "array",
        Node::Map(_) => "object",
    }
}

impl Dec<'_> {
    fn error(&mut self, code: &str, path: &str, message: String) {
        let pos = self.idx.value_pos(path);
        self.diags
            .push(Diagnostic::error(code, message, rule_of(path), pos, path));
    }

    fn warn(&mut self, code: &str, path: &str, message: String) {
        let pos = self.idx.pos_of(path);
        self.diags
            .push(Diagnostic::warning(code, message, rule_of(path), pos, path));
    }

    fn type_error(&mut self, path: &str, n: &Node, expected: &str, f: GoField) {
        self.error(
            "wrong-type",
            path,
            format!(
                "{path}: expected {expected}, found {}; kube-apiserver refuses the file (json: cannot unmarshal {} into Go struct field {}.{} of type {})",
                n.type_name(),
                json_type(n),
                f.strukt,
                f.json,
                f.ty
            ),
        );
    }

    /// The mapping's entries with known keys (last duplicate wins); warns about unknown
    /// and duplicate keys, which kube-apiserver drops after a strict-decoding warning.
    fn entries<'n>(&mut self, path: &str, n: &'n Node, known: &[&str]) -> Vec<(String, &'n Node)> {
        let Node::Map(items) = n else {
            return Vec::new();
        };
        let mut out: Vec<(String, &Node)> = Vec::new();
        for (k, v) in items {
            let Some(key) = k.as_key() else {
                self.error(
                    "wrong-type",
                    path,
                    format!("{}: a key is {}; kube-apiserver cannot convert it to JSON and refuses the file (unsupported map key)", display_path(path), k.type_name()),
                );
                continue;
            };
            let kpath = join(path, &key);
            if known.contains(&key.as_str()) {
                if let Some(slot) = out.iter_mut().find(|(k, _)| *k == key) {
                    self.warn(
                        "duplicate-key",
                        &kpath,
                        format!("{kpath}: the key {key:?} appears twice; kube-apiserver keeps the last one (after a strict-decoding warning)"),
                    );
                    slot.1 = v;
                } else {
                    out.push((key, v));
                }
            } else {
                let msg = unknown_key_message(path, &key, known, n);
                self.warn("unknown-field", &kpath, msg);
            }
        }
        out
    }

    fn policy(&mut self, root: &Node) -> RawPolicy {
        let mut p = RawPolicy::default();
        for (key, v) in self.entries("", root, POLICY_KEYS) {
            let f = |json, ty, what| GoField {
                strukt: "Policy",
                json,
                ty,
                what,
            };
            match key.as_str() {
                "apiVersion" => {
                    p.api_version = self.string(&key, v, f("apiVersion", "string", "apiVersion"))
                }
                "kind" => p.kind = self.string(&key, v, f("kind", "string", "kind")),
                "metadata" => {
                    self.metadata(v);
                    p.metadata = Some(to_json(v))
                }
                "rules" => p.rules = self.rules(v),
                "omitStages" => {
                    p.omit_stages =
                        self.strings("omitStages", v, f("omitStages", "string", "stage"))
                }
                "omitManagedFields" => {
                    p.omit_managed_fields = self
                        .boolean("omitManagedFields", v, f("omitManagedFields", "bool", ""))
                        .unwrap_or(false)
                }
                _ => {}
            }
        }
        p
    }

    /// `metadata` is a Go `ObjectMeta`: never validated, but decoded, so a value of the
    /// wrong type refuses the file (a label value `app: 123` is a number) and an unknown
    /// key is a strict-decoding warning. Checked: the string fields, labels and
    /// annotations (string to string), finalizers, generation; the timestamps,
    /// ownerReferences and managedFields are not checked.
    fn metadata(&mut self, n: &Node) {
        let f = |json: &'static str, ty: &'static str| GoField {
            strukt: "ObjectMeta",
            json,
            ty,
            what: "",
        };
        match n {
            Node::Null => return,
            Node::Map(_) => {}
            _ => {
                self.type_error(
                    "metadata",
                    n,
                    "a mapping (name, labels ...)",
                    GoField {
                        strukt: "Policy",
                        json: "metadata",
                        ty: "v1.ObjectMeta",
                        what: "",
                    },
                );
                return;
            }
        }
        for (key, v) in self.entries("metadata", n, METADATA_KEYS) {
            let kp = format!("metadata.{key}");
            match key.as_str() {
                "name" => {
                    self.string(&kp, v, f("metadata.name", "string"));
                }
                "generateName" => {
                    self.string(&kp, v, f("metadata.generateName", "string"));
                }
                "namespace" => {
                    self.string(&kp, v, f("metadata.namespace", "string"));
                }
                "selfLink" => {
                    self.string(&kp, v, f("metadata.selfLink", "string"));
                }
                "uid" => {
                    self.string(&kp, v, f("metadata.uid", "types.UID"));
                }
                "resourceVersion" => {
                    self.string(&kp, v, f("metadata.resourceVersion", "string"));
                }
                "finalizers" => {
                    self.strings(&kp, v, f("metadata.finalizers", "string"));
                }
                "labels" | "annotations" => {
                    let json = if key == "labels" {
                        "metadata.labels"
                    } else {
                        "metadata.annotations"
                    };
                    match v {
                        Node::Null => {}
                        Node::Map(items) => {
                            for (k, val) in items {
                                if let Some(k) = k.as_key() {
                                    self.string(&format!("{kp}.{k}"), val, f(json, "string"));
                                }
                            }
                        }
                        _ => self.type_error(
                            &kp,
                            v,
                            "a mapping of strings to strings",
                            f(json, "map[string]string"),
                        ),
                    }
                }
                "generation" | "deletionGracePeriodSeconds" => {
                    let json = if key == "generation" {
                        "metadata.generation"
                    } else {
                        "metadata.deletionGracePeriodSeconds"
                    };
                    let is_int = matches!(v, Node::Num(s) if s.parse::<i64>().is_ok());
                    if !is_int && !matches!(v, Node::Null) {
                        self.type_error(&kp, v, "an integer", f(json, "int64"));
                    }
                }
                _ => {}
            }
        }
    }

    fn rules(&mut self, n: &Node) -> Vec<RawRule> {
        match n {
            Node::Null => Vec::new(),
            Node::Seq(items) => items
                .iter()
                .enumerate()
                .map(|(i, r)| self.rule(i, r))
                .collect(),
            _ => {
                self.type_error(
                    "rules",
                    n,
                    "a list of rules",
                    GoField {
                        strukt: "Policy",
                        json: "rules",
                        ty: "[]v1.PolicyRule",
                        what: "",
                    },
                );
                Vec::new()
            }
        }
    }

    fn rule(&mut self, i: usize, n: &Node) -> RawRule {
        let path = format!("rules[{i}]");
        let mut r = RawRule::default();
        match n {
            Node::Map(_) => {}
            Node::Null => return r, // JSON null element: a zero rule (no level).
            _ => {
                self.type_error(
                    &path,
                    n,
                    "a rule (a mapping with `level:` ...)",
                    GoField {
                        strukt: "Policy",
                        json: "rules",
                        ty: "v1.PolicyRule",
                        what: "",
                    },
                );
                return r;
            }
        }
        for (key, v) in self.entries(&path, n, RULE_KEYS) {
            let kp = format!("{path}.{key}");
            let json = format!("rules.{key}");
            let mut f = GoField {
                strukt: "PolicyRule",
                json: &json,
                ty: "string",
                what: "",
            };
            match key.as_str() {
                "level" => {
                    f.what = "level";
                    r.level = self.string(&kp, v, f).unwrap_or_default()
                }
                "users" => {
                    f.what = "user name";
                    r.users = self.strings(&kp, v, f)
                }
                "userGroups" => {
                    f.what = "group name";
                    r.user_groups = self.strings(&kp, v, f)
                }
                "verbs" => {
                    f.what = "verb";
                    r.verbs = self.strings(&kp, v, f)
                }
                "namespaces" => {
                    f.what = "namespace";
                    r.namespaces = self.strings(&kp, v, f)
                }
                "nonResourceURLs" => {
                    f.what = "URL";
                    r.non_resource_urls = self.strings(&kp, v, f)
                }
                "omitStages" => {
                    f.what = "stage";
                    r.omit_stages = self.strings(&kp, v, f)
                }
                "omitManagedFields" => {
                    f.ty = "bool";
                    r.omit_managed_fields = self.boolean(&kp, v, f)
                }
                "resources" => r.resources = self.group_resources(&kp, v),
                _ => {}
            }
        }
        r
    }

    fn group_resources(&mut self, path: &str, n: &Node) -> Vec<GroupResources> {
        let items = match n {
            Node::Null => return Vec::new(),
            Node::Seq(items) => items,
            _ => {
                self.type_error(
                    path,
                    n,
                    "a list of {group, resources, resourceNames} entries",
                    GoField {
                        strukt: "PolicyRule",
                        json: "rules.resources",
                        ty: "[]v1.GroupResources",
                        what: "",
                    },
                );
                return Vec::new();
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for (k, item) in items.iter().enumerate() {
            let ip = format!("{path}[{k}]");
            let mut g = GroupResources::default();
            match item {
                Node::Null => {}
                Node::Map(_) => {
                    for (key, v) in self.entries(&ip, item, GROUP_RESOURCES_KEYS) {
                        let kp = format!("{ip}.{key}");
                        let json = format!("rules.resources.{key}");
                        let f = GoField {
                            strukt: "GroupResources",
                            json: &json,
                            ty: "string",
                            what: "",
                        };
                        match key.as_str() {
                            "group" => {
                                g.group = self
                                    .string(
                                        &kp,
                                        v,
                                        GoField {
                                            what: "API group",
                                            ..f
                                        },
                                    )
                                    .unwrap_or_default()
                            }
                            "resources" => {
                                g.resources = self.strings(
                                    &kp,
                                    v,
                                    GoField {
                                        what: "resource",
                                        ..f
                                    },
                                )
                            }
                            "resourceNames" => {
                                g.resource_names = self.strings(
                                    &kp,
                                    v,
                                    GoField {
                                        what: "resource name",
                                        ..f
                                    },
                                )
                            }
                            _ => {}
                        }
                    }
                }
                _ => {
                    self.type_error(
                        &ip,
                        item,
                        "a {group, resources, resourceNames} entry",
                        GoField {
                            strukt: "PolicyRule",
                            json: "rules.resources",
                            ty: "v1.GroupResources",
                            what: "",
                        },
                    );
                    continue;
                }
            }
            out.push(g);
        }
        out
    }

    /// A string field. `None` for null (field left unset).
    fn string(&mut self, path: &str, n: &Node, f: GoField) -> Option<String> {
        match n {
            Node::Null => None,
            Node::Str(s) => {
                if let Some(raw) = self.idx.plain_at(path) {
                    if *raw == **s {
                        match yaml11_kind(&raw) {
                            Yaml11Kind::Bool(b) => {
                                self.yaml11_bool_error(path, &raw, b, f);
                                return None;
                            }
                            Yaml11Kind::Int | Yaml11Kind::Float => {
                                self.number_error(path, &raw, f);
                                return None;
                            }
                            _ => {}
                        }
                    }
                }
                Some(s.clone())
            }
            Node::Bool(b) => {
                let raw = self
                    .idx
                    .plain_at(path)
                    .map(|r| r.to_string())
                    .unwrap_or_else(|| b.to_string());
                self.yaml11_bool_error(path, &raw, *b, f);
                None
            }
            Node::Num(num) => {
                let raw = self
                    .idx
                    .plain_at(path)
                    .map(|r| r.to_string())
                    .unwrap_or_else(|| num.clone());
                self.number_error(path, &raw, f);
                None
            }
            _ => {
                let expected = if f.what.is_empty() {
                    "a string".to_owned()
                } else {
                    format!("a {} (a string)", f.what)
                };
                self.type_error(path, n, &expected, f);
                None
            }
        }
    }

    fn yaml11_bool_error(&mut self, path: &str, raw: &str, b: bool, f: GoField) {
        let what = if f.what.is_empty() { "string" } else { f.what };
        let why = if raw.eq_ignore_ascii_case("true") || raw.eq_ignore_ascii_case("false") {
            ""
        } else {
            " (its YAML parser follows YAML 1.1, where unquoted yes/no/on/off/y/n are booleans)"
        };
        self.error(
            "yaml11-bool",
            path,
            format!(
                "{path}: kube-apiserver reads the unquoted `{raw}` as the boolean {b}{why}, and a boolean cannot be a {what}: it refuses the file (json: cannot unmarshal bool into Go struct field {}.{} of type string). Quote it: \"{raw}\"",
                f.strukt, f.json
            ),
        );
    }

    fn number_error(&mut self, path: &str, raw: &str, f: GoField) {
        let what = if f.what.is_empty() { "string" } else { f.what };
        self.error(
            "number-as-string",
            path,
            format!(
                "{path}: kube-apiserver reads the unquoted `{raw}` as a number, and a number cannot be a {what}: it refuses the file (json: cannot unmarshal number into Go struct field {}.{} of type string). Quote it: \"{raw}\"",
                f.strukt, f.json
            ),
        );
    }

    /// A list of strings; `null` elements become `""` as in Go's JSON decoding.
    fn strings(&mut self, path: &str, n: &Node, f: GoField) -> Vec<String> {
        match n {
            Node::Null => Vec::new(),
            Node::Seq(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    self.string(&format!("{path}[{i}]"), item, f)
                        .unwrap_or_default()
                })
                .collect(),
            _ => {
                let expected = format!(
                    "a list of {}s, like [\"a\", \"b\"]",
                    if f.what.is_empty() { "string" } else { f.what }
                );
                self.type_error(
                    path,
                    n,
                    &expected,
                    GoField {
                        ty: "[]string",
                        ..f
                    },
                );
                Vec::new()
            }
        }
    }

    /// A bool field: YAML 1.1 plain booleans (`yes`, `on` ...) count, as in kube-apiserver.
    fn boolean(&mut self, path: &str, n: &Node, f: GoField) -> Option<bool> {
        match n {
            Node::Null => None,
            Node::Bool(b) => Some(*b),
            Node::Str(s) => {
                if let Some(raw) = self.idx.plain_at(path) {
                    if *raw == **s {
                        if let Yaml11Kind::Bool(b) = yaml11_kind(&raw) {
                            self.warn(
                                "yaml11-bool",
                                path,
                                format!("{path}: kube-apiserver reads `{raw}` as {b} (YAML 1.1); other YAML tools read it as a string. Write `{b}`"),
                            );
                            return Some(b);
                        }
                    }
                }
                self.type_error(path, n, "true or false", f);
                None
            }
            _ => {
                self.type_error(path, n, "true or false", f);
                None
            }
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() {
        "the policy"
    } else {
        path
    }
}

/// Converts a node to JSON for `metadata` (kept only to re-emit the policy).
fn to_json(n: &Node) -> serde_json::Value {
    use serde_json::Value;
    match n {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(*b),
        Node::Num(s) => s
            .parse::<serde_json::Number>()
            .map(Value::Number)
            .unwrap_or_else(|_| Value::String(s.clone())),
        Node::Str(s) => Value::String(s.clone()),
        Node::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        Node::Map(e) => Value::Object(
            e.iter()
                .filter_map(|(k, v)| Some((k.as_key()?, to_json(v))))
                .collect(),
        ),
    }
}

/// A known key close to `key`: same letters in another case, singular/plural, or a
/// small typo.
pub fn suggest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    let lower = key.to_ascii_lowercase();
    known
        .iter()
        .find(|k| k.to_ascii_lowercase() == lower)
        .or_else(|| {
            known
                .iter()
                .find(|k| format!("{key}s") == **k || format!("{k}s") == key)
        })
        .or_else(|| {
            known
                .iter()
                .filter(|k| key.len() >= 4 && edit_distance(&lower, &k.to_ascii_lowercase()) <= 2)
                .min_by_key(|k| edit_distance(&lower, &k.to_ascii_lowercase()))
        })
        .copied()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn unknown_key_message(path: &str, key: &str, known: &[&str], parent: &Node) -> String {
    let kpath = join(path, key);
    let mut m = format!(
        "{kpath}: unknown field {key:?}: kube-apiserver drops it (it only logs \"Audit policy contains errors, falling back to lenient decoding\")"
    );
    let Some(s) = suggest(key, known) else {
        return m;
    };
    m.push_str(&format!("; did you mean {s:?}?"));
    if parent.get(s).is_some() {
        return m;
    }
    let widened = match s {
        "users" => Some("every user"),
        "userGroups" => Some("every group"),
        "verbs" => Some("every verb"),
        "namespaces" => Some("every namespace"),
        "nonResourceURLs" => Some("requests of every kind"),
        "resourceNames" => Some("every object name"),
        "resources" if known == GROUP_RESOURCES_KEYS => Some("every resource of its API group"),
        "resources" => Some("every resource"),
        _ => None,
    };
    if let Some(w) = widened {
        m.push_str(&format!(
            " Without it this {} matches {w}: it is wider than it looks",
            if known == GROUP_RESOURCES_KEYS {
                "entry"
            } else {
                "rule"
            }
        ));
    }
    m
}

// ---------------------------------------------------------------------------------------
// ValidatePolicy.
// ---------------------------------------------------------------------------------------

const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/// apimachinery's `IsDNS1123Subdomain`: at most 253 characters, dot-separated labels of
/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`. Returns kube-apiserver's messages (empty = valid).
pub fn dns1123_subdomain_errors(s: &str) -> Vec<&'static str> {
    let mut errs = Vec::new();
    if s.len() > 253 {
        errs.push("must be no more than 253 characters");
    }
    let label_ok = |l: &str| {
        let b = l.as_bytes();
        let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        !b.is_empty()
            && alnum(b[0])
            && alnum(b[b.len() - 1])
            && b.iter().all(|&c| alnum(c) || c == b'-')
    };
    if !s.split('.').all(label_ok) {
        errs.push(DNS1123_SUBDOMAIN_MSG);
    }
    errs
}

/// `ValidatePolicy` over a decoded policy: errors refuse the file; warnings are for
/// things kube-apiserver accepts silently.
pub fn validate(p: &RawPolicy, idx: &PosIndex, kube: KubeVersion) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut err = |code: &str, path: String, msg: String| {
        out.push(Diagnostic::error(
            code,
            msg,
            rule_of(&path),
            idx.value_pos(&path),
            &path,
        ));
    };
    for (i, r) in p.rules.iter().enumerate() {
        let rp = format!("rules[{i}]");
        validate_level(&r.level, &rp, &mut err);
        for (j, url) in r.non_resource_urls.iter().enumerate() {
            let path = format!("{rp}.nonResourceURLs[{j}]");
            if url == "*" {
                continue;
            }
            if !url.starts_with('/') {
                err("invalid-nonresource-url", path.clone(), format!("{path}: Invalid value: {url:?}: non-resource URL rules must begin with a '/' character (like /healthz or /metrics)"));
            }
            let b = url.as_bytes();
            if !b.is_empty() && b[..b.len() - 1].contains(&b'*') {
                err("invalid-nonresource-url", path.clone(), format!("{path}: Invalid value: {url:?}: non-resource URL wildcards '*' must be the final character of the rule (a trailing * matches any path with that prefix)"));
            }
        }
        for (k, g) in r.resources.iter().enumerate() {
            let gp = format!("{rp}.resources[{k}]");
            let wildcard_ok = g.group == "*" && kube.allows_group_wildcard();
            if !g.group.is_empty() && !wildcard_ok {
                let errs = dns1123_subdomain_errors(&g.group);
                if !errs.is_empty() {
                    let mut m = format!(
                        "{gp}.group: Invalid value: {:?}: {} (kube-apiserver prints the path as {rp}.resources.group)",
                        g.group,
                        errs.join(",")
                    );
                    if g.group == "*" {
                        m.push_str(&format!(". `group: \"*\"` (every API group) needs Kubernetes {} or newer; the selected version is {kube}", KubeVersion::GROUP_WILDCARD));
                    } else if let Some((grp, _)) = g.group.split_once('/') {
                        m.push_str(&format!(". An API group has no version: write {grp:?}"));
                    }
                    err("invalid-group", format!("{gp}.group"), m);
                }
            }
            if !g.resource_names.is_empty() && g.resources.is_empty() {
                let path = format!("{gp}.resourceNames");
                err("resource-names-without-resources", path.clone(), format!("{path}: Invalid value: {:?}: using resourceNames requires at least one resource (kube-apiserver prints the path as {rp}.resources.resourceNames; add `resources: [...]` to this entry)", g.resource_names));
            }
        }
        for (j, s) in r.omit_stages.iter().enumerate() {
            if Stage::parse(s).is_none() {
                let path = format!("{rp}.omitStages[{j}]");
                err("invalid-stage", path.clone(), format!("{path}: Invalid value: {s:?}: allowed stages are RequestReceived,ResponseStarted,ResponseComplete,Panic"));
            }
        }
        if !r.non_resource_urls.is_empty() && (!r.resources.is_empty() || !r.namespaces.is_empty())
        {
            let path = format!("{rp}.nonResourceURLs");
            err("mixed-resource-nonresource", path.clone(), format!("{path}: Invalid value: {:?}: rules cannot apply to both regular resources and non-resource URLs (split it into two rules: one with resources/namespaces, one with nonResourceURLs)", r.non_resource_urls));
        }
    }
    // validation.go:30: the policy-wide omitStages is validated like a rule's.
    for (j, s) in p.omit_stages.iter().enumerate() {
        if Stage::parse(s).is_none() {
            let path = format!("omitStages[{j}]");
            err("invalid-stage", path.clone(), format!("{path}: Invalid value: {s:?}: allowed stages are RequestReceived,ResponseStarted,ResponseComplete,Panic"));
        }
    }
    out
}

fn validate_level(level: &str, rp: &str, err: &mut impl FnMut(&str, String, String)) {
    let path = format!("{rp}.level");
    if level.is_empty() {
        err("missing-level", path.clone(), format!("{path}: Required value: every rule needs a level (None, Metadata, Request or RequestResponse)"));
    } else if Level::parse(level).is_none() {
        let mut m = format!("{path}: Unsupported value: {level:?}: supported values: \"None\", \"Metadata\", \"Request\", \"RequestResponse\"");
        if let Some(l) = Level::ALL
            .iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(level))
        {
            m.push_str(&format!(" (case matters: write {:?})", l.as_str()));
        }
        err("invalid-level", path, m);
    }
}

/// The model of a policy that passed [`validate`]. A missing kind is `Policy`, as
/// kube-apiserver takes it (json.go:117-119 `gvkWithDefaults`).
pub fn to_model(raw: RawPolicy) -> Policy {
    let stages = |v: &[String]| -> Vec<Stage> {
        let mut out: Vec<Stage> = v.iter().filter_map(|s| Stage::parse(s)).collect();
        out.dedup();
        out
    };
    Policy {
        api_version: raw.api_version.unwrap_or_default(),
        kind: raw
            .kind
            .filter(|k| !k.is_empty())
            .unwrap_or_else(|| "Policy".into()),
        metadata: raw.metadata,
        omit_stages: stages(&raw.omit_stages),
        omit_managed_fields: raw.omit_managed_fields,
        rules: raw
            .rules
            .into_iter()
            .map(|r| PolicyRule {
                level: Level::parse(&r.level).unwrap_or(Level::None),
                omit_stages: stages(&r.omit_stages),
                users: r.users,
                user_groups: r.user_groups,
                verbs: r.verbs,
                resources: r.resources,
                namespaces: r.namespaces,
                non_resource_urls: r.non_resource_urls,
                omit_managed_fields: r.omit_managed_fields,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::yamlpos::parse_first_document;

    fn check(text: &str) -> Vec<Diagnostic> {
        let (n, _) = parse_first_document(text).unwrap();
        let idx = PosIndex::scan(text);
        let d = decode(&n, &idx);
        let mut all = d.diagnostics;
        all.extend(validate(&d.policy, &idx, KubeVersion::default()));
        all
    }

    fn codes(text: &str) -> Vec<String> {
        check(text).into_iter().map(|d| d.code).collect()
    }

    const HEAD: &str = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n";

    #[test]
    fn dns_subdomain() {
        for ok in ["apps", "rbac.authorization.k8s.io", "a-b.c", "v1", "0"] {
            assert!(dns1123_subdomain_errors(ok).is_empty(), "{ok}");
        }
        for bad in [
            "Apps",
            "rbac.authorization.k8s.io/v1beta1",
            "-a",
            "a-",
            "a..b",
            "*",
            "a_b",
            &"a".repeat(254),
        ] {
            assert!(!dns1123_subdomain_errors(bad).is_empty(), "{bad}");
        }
    }

    #[test]
    fn validation_table_from_kube_apiserver_tests() {
        // The invalid rules of validation_test.go, as YAML.
        let cases: &[(&str, &str)] = &[
            ("- {}\n", "missing-level"),
            ("- verbs: [get]\n  resources: [{resources: [secrets]}]\n  namespaces: [kube-system]\n", "missing-level"),
            ("- level: FooBar\n", "invalid-level"),
            ("- level: Metadata\n  namespaces: [default]\n  nonResourceURLs: [\"/logs*\"]\n", "mixed-resource-nonresource"),
            ("- level: Metadata\n  resources: [{resources: [secrets]}]\n  nonResourceURLs: [\"/logs*\"]\n", "mixed-resource-nonresource"),
            ("- level: Metadata\n  resources: [{group: rbac.authorization.k8s.io/v1beta1, resources: [roles]}]\n", "invalid-group"),
            ("- level: Metadata\n  nonResourceURLs: [logs, \"/healthz*\"]\n", "invalid-nonresource-url"),
            ("- level: Metadata\n  nonResourceURLs: [\"\", \"/healthz*\"]\n", "invalid-nonresource-url"),
            ("- level: Metadata\n  nonResourceURLs: [\"/logs/*/*\", /metrics]\n", "invalid-nonresource-url"),
            ("- level: Metadata\n  nonResourceURLs: [\"/logs/*.log\", /metrics]\n", "invalid-nonresource-url"),
            ("- level: Metadata\n  resources: [{resourceNames: [x]}]\n", "resource-names-without-resources"),
            ("- level: Metadata\n  omitStages: [Foo]\n", "invalid-stage"),
            ("- level: metadata\n", "invalid-level"),
        ];
        for (rules, code) in cases {
            let c = codes(&format!("{HEAD}{rules}"));
            assert!(c.iter().any(|x| x == code), "{rules}: {c:?}");
        }
    }

    #[test]
    fn valid_rules_from_kube_apiserver_tests() {
        let text = format!(
            "{HEAD}- level: Metadata\n- level: None\n  userGroups: [\"system:serviceaccounts\", \"system:nodes\"]\n- level: RequestResponse\n  verbs: [get]\n  resources: [{{group: rbac.authorization.k8s.io, resources: [roles, rolebindings]}}]\n  namespaces: [kube-system]\n- level: Metadata\n  userGroups: [developers]\n  nonResourceURLs: [\"/logs*\", \"/healthz*\", /metrics, \"*\"]\n"
        );
        assert!(check(&text).is_empty(), "{:?}", check(&text));
    }

    #[test]
    fn group_wildcard_by_version() {
        let text = format!("{HEAD}- level: Metadata\n  resources: [{{group: \"*\"}}]\n");
        let (n, _) = parse_first_document(&text).unwrap();
        let idx = PosIndex::scan(&text);
        let raw = decode(&n, &idx).policy;
        assert!(!validate(
            &raw,
            &idx,
            KubeVersion {
                major: 1,
                minor: 35
            }
        )
        .is_empty());
        assert!(validate(
            &raw,
            &idx,
            KubeVersion {
                major: 1,
                minor: 36
            }
        )
        .is_empty());
    }

    #[test]
    fn yaml11_and_number_traps_name_line_and_column() {
        let d = check(&format!(
            "{HEAD}- level: None\n  namespaces: [no]\n  users: [y, \"n\", 1234]\n"
        ));
        let errs: Vec<_> = d
            .iter()
            .map(|d| (d.code.as_str(), d.path.as_str(), d.line, d.column))
            .collect();
        assert!(
            errs.contains(&("yaml11-bool", "rules[0].namespaces[0]", 5, 16)),
            "{errs:?}"
        );
        assert!(
            errs.contains(&("yaml11-bool", "rules[0].users[0]", 6, 11)),
            "{errs:?}"
        );
        assert!(
            errs.contains(&("number-as-string", "rules[0].users[2]", 6, 19)),
            "{errs:?}"
        );
        assert_eq!(errs.len(), 3, "quoted \"n\" is a string: {errs:?}");
        assert!(d[0].message.contains("Quote it: \"no\""));
    }

    #[test]
    fn more_traps() {
        let c = codes(&format!("{HEAD}- level: None\n  verbs: [on, off, 0777, 1_000, true]\n  users: ['on', \"1234\"]\n"));
        assert_eq!(c.iter().filter(|c| *c == "yaml11-bool").count(), 3, "{c:?}");
        assert_eq!(
            c.iter().filter(|c| *c == "number-as-string").count(),
            2,
            "{c:?}"
        );
    }

    #[test]
    fn bools_in_bool_positions() {
        let d = check(&format!("{HEAD}- level: None\n  omitManagedFields: yes\n"));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "yaml11-bool");
        assert_eq!(d[0].severity, crate::audit::policy::Severity::Warning);
        assert_eq!(
            codes(&format!(
                "{HEAD}- level: None\n  omitManagedFields: \"true\"\n"
            )),
            vec!["wrong-type"]
        );
        assert!(codes(&format!(
            "{HEAD}- level: None\n  omitManagedFields: false\n"
        ))
        .is_empty());
    }

    #[test]
    fn wrong_shapes() {
        assert_eq!(
            codes(&format!(
                "{HEAD}- level: None\n  resources: \"${{known_apis}}\"\n"
            )),
            vec!["wrong-type"]
        );
        assert_eq!(
            codes(&format!("{HEAD}- level: None\n  users: alice\n")),
            vec!["wrong-type"]
        );
        assert_eq!(
            codes("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: {level: None}\n"),
            vec!["wrong-type"]
        );
        assert_eq!(
            codes(&format!("{HEAD}- level: [None]\n")),
            vec!["wrong-type", "missing-level"]
        );
    }

    #[test]
    fn unknown_and_duplicate_keys_are_warnings() {
        let d = check(&format!("{HEAD}- level: None\n  resources:\n  - group: apps\n    resource: [deployments]\n  level: Metadata\n"));
        let unknown = d.iter().find(|d| d.code == "unknown-field").unwrap();
        assert!(
            unknown.message.contains("did you mean \"resources\""),
            "{}",
            unknown.message
        );
        assert!(unknown.message.contains("every resource of its API group"));
        assert_eq!((unknown.line, unknown.column), (7, 5));
        assert!(d.iter().any(|d| d.code == "duplicate-key"));
        let (n, _) =
            parse_first_document(&format!("{HEAD}- level: None\n  level: Metadata\n")).unwrap();
        assert_eq!(
            decode(&n, &PosIndex::default()).policy.rules[0].level,
            "Metadata"
        );
    }

    #[test]
    fn null_semantics() {
        let text = format!("{HEAD}- level: None\n  users: [~, a]\n  verbs:\n  resources: [null]\n");
        let (n, _) = parse_first_document(&text).unwrap();
        let r = &decode(&n, &PosIndex::scan(&text)).policy.rules[0];
        assert_eq!(r.users, vec!["", "a"]);
        assert!(r.verbs.is_empty());
        assert_eq!(r.resources, vec![GroupResources::default()]);
    }

    #[test]
    fn policy_level_unknown_stage_is_an_error() {
        // validation.go:30 validates the policy-wide omitStages (validation_test.go has
        // the invalid policy-level case).
        let d = check(
            "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [Foo]\nrules:\n- level: None\n",
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "invalid-stage");
        assert_eq!(d[0].path, "omitStages[0]");
        assert_eq!(d[0].severity, crate::audit::policy::Severity::Error);
        assert_eq!((d[0].line, d[0].column), (3, 14));
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("resource", RULE_KEYS), Some("resources"));
        assert_eq!(suggest("Level", RULE_KEYS), Some("level"));
        assert_eq!(suggest("namespace", RULE_KEYS), Some("namespaces"));
        assert_eq!(
            suggest("nonResourceURL", RULE_KEYS),
            Some("nonResourceURLs")
        );
        assert_eq!(suggest("usrGroups", RULE_KEYS), Some("userGroups"));
        assert_eq!(suggest("redactions", POLICY_KEYS), None);
    }
}
