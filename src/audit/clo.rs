//! The OpenShift ClusterLogForwarder `kubeAPIAudit` filter dialect: an audit policy that
//! the log collector applies to events already written. Its semantics are those of
//! cluster-logging-operator's generated filter (facts from `filter_api_audit_types.go`,
//! `policy.vrl.tmpl` and `wildcard.go`), which differ from kube-apiserver's:
//!
//! - policy `omitStages`, then `omitResponseCodes` (missing: `[404, 409, 422, 429]`;
//!   empty: none) drop an event before any rule;
//! - names of users, groups, namespaces, resources and resourceNames may have a leading
//!   and/or trailing `*`; matching is anchored; a resource is matched as `res` or
//!   `res/sub` as one string, so `pods/*` does not match bare `pods`;
//! - `users` never match an empty user name, `namespaces` never match an empty namespace
//!   (cluster-scoped requests); `nonResourceURLs` match the request URI with an optional
//!   query, only for events without `objectRef`;
//! - a matching rule sets the event's level (then its own omitStages may drop it);
//! - when no rule matches, events of system users (`system:*` or no name) are dropped if
//!   read-only (verb matching `get|list|watch|head|options`) or, with a code under 300, if
//!   the user is a service account of the event's namespace (`system:serviceaccount:` +
//!   namespace as a prefix, so every such write to a cluster-scoped resource); system
//!   events still at `RequestResponse` are lowered to `Request`; other users' events
//!   keep their recorded level;
//! - the document needs no apiVersion/kind and may carry keys of tools that share the
//!   rules (such as the Splunk exporter's `redactions`), which are ignored here.
//!
//! Kept events are rewritten: `Metadata` drops `requestObject` and `responseObject`,
//! `Request` drops `responseObject`.

use super::policy::{load_policy, LoadOptions, PolicyError, PolicyRule};
use super::{Level, Stage};

/// A loaded ClusterLogForwarder audit filter.
#[derive(Clone, Debug)]
pub struct CloFilter {
    pub rules: Vec<PolicyRule>,
    pub omit_stages: Vec<Stage>,
    pub omit_response_codes: Vec<u16>,
}

/// What the filter does with one event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Dropped; `rule` is the deciding rule, `None` for a default rule or omitted code.
    Drop { rule: Option<usize> },
    /// Kept at this level (`rule`: `None` = a default rule kept it as recorded).
    Keep {
        level: Option<Level>,
        rule: Option<usize>,
    },
}

/// The default `omitResponseCodes`.
pub const DEFAULT_OMIT_CODES: [u16; 4] = [404, 409, 422, 429];

/// Loads a filter from YAML: either a bare `{rules, omitStages, omitResponseCodes}`
/// document or one with `apiVersion`/`kind` as a Policy. Rules are validated as
/// kube-apiserver validates them.
pub fn load_clo_filter(name: &str, text: &str) -> Result<CloFilter, PolicyError> {
    let fail = |msg: String| PolicyError {
        kind: super::policy::PolicyErrorKind::Yaml,
        source_name: name.to_string(),
        diagnostics: vec![super::policy::Diagnostic::error(
            "yaml",
            msg,
            None,
            Default::default(),
            "",
        )],
    };
    let mut v: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| fail(e.to_string()))?;
    let map = v
        .as_mapping_mut()
        .ok_or_else(|| fail("the filter is not a YAML mapping".into()))?;
    let codes = match map.remove("omitResponseCodes") {
        None | Some(serde_yaml::Value::Null) => DEFAULT_OMIT_CODES.to_vec(),
        Some(serde_yaml::Value::Sequence(s)) => s
            .iter()
            .map(|c| {
                c.as_u64()
                    .and_then(|c| u16::try_from(c).ok())
                    .ok_or_else(|| fail(format!("omitResponseCodes: not an HTTP code: {c:?}")))
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(fail(format!(
                "omitResponseCodes: expected a list of codes, found {other:?}"
            )))
        }
    };
    for k in ["redactions", "apiVersion", "kind"] {
        map.remove(k);
    }
    map.insert("apiVersion".into(), "audit.k8s.io/v1".into());
    map.insert("kind".into(), "Policy".into());
    let yaml = serde_yaml::to_string(&v).map_err(|e| fail(e.to_string()))?;
    let p = load_policy(name, &yaml, &LoadOptions::default())?;
    Ok(CloFilter {
        rules: p.policy.rules,
        omit_stages: p.policy.omit_stages,
        omit_response_codes: codes,
    })
}

/// A name pattern: a leading and/or trailing `*` matches any run; anchored otherwise.
pub fn name_glob(pat: &str, s: &str) -> bool {
    let (lead, rest) = match pat.strip_prefix('*') {
        Some(r) => (true, r),
        None => (false, pat),
    };
    let (trail, lit) = match rest.strip_suffix('*') {
        Some(l) => (true, l),
        None => (false, rest),
    };
    match (lead, trail) {
        (false, false) => s == lit,
        (false, true) => s.starts_with(lit),
        (true, false) => s.ends_with(lit),
        (true, true) => s.contains(lit),
    }
}

fn any(pats: &[String], s: &str) -> bool {
    pats.iter().any(|p| name_glob(p, s))
}

/// `nonResourceURLs` pattern against a request URI that may carry a query.
fn url_glob(pat: &str, uri: &str) -> bool {
    let path = uri.split_once('?').map_or(uri, |(p, _)| p);
    // A leading `*` may also swallow the query (the generated regexp is `^(.*lit)(\?.*)?$`).
    name_glob(pat, path) || (pat.starts_with('*') && name_glob(pat, uri))
}

fn s<'a>(v: &'a serde_json::Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(|v| v.as_str())
}

fn rule_matches(r: &PolicyRule, e: &serde_json::Value) -> bool {
    let verb = s(e, &["verb"]).unwrap_or("");
    let user = s(e, &["user", "username"]).unwrap_or("");
    let ns = s(e, &["objectRef", "namespace"]).unwrap_or("");
    if !r.verbs.is_empty() && !r.verbs.iter().any(|v| v == verb) {
        return false;
    }
    if !r.users.is_empty() && (user.is_empty() || !any(&r.users, user)) {
        return false;
    }
    if !r.user_groups.is_empty() {
        let groups = e
            .get("user")
            .and_then(|u| u.get("groups"))
            .and_then(|g| g.as_array());
        if !groups.is_some_and(|gs| {
            gs.iter()
                .filter_map(|g| g.as_str())
                .any(|g| any(&r.user_groups, g))
        }) {
            return false;
        }
    }
    if !r.namespaces.is_empty() && (ns.is_empty() || !any(&r.namespaces, ns)) {
        return false;
    }
    let obj = e.get("objectRef").filter(|o| !o.is_null());
    if !r.non_resource_urls.is_empty() {
        let uri = s(e, &["requestURI"]);
        if obj.is_some() || !uri.is_some_and(|u| r.non_resource_urls.iter().any(|p| url_glob(p, u)))
        {
            return false;
        }
    }
    if !r.resources.is_empty() {
        let group = s(e, &["objectRef", "apiGroup"]).unwrap_or("");
        let mut res = s(e, &["objectRef", "resource"]).unwrap_or("").to_string();
        let sub = s(e, &["objectRef", "subresource"]).unwrap_or("");
        if !sub.is_empty() {
            res = format!("{res}/{sub}");
        }
        let name = s(e, &["objectRef", "name"]).unwrap_or("");
        let hit = r.resources.iter().any(|g| {
            g.group == group
                && (g.resource_names.is_empty() || any(&g.resource_names, name))
                && (g.resources.is_empty() || any(&g.resources, &res))
        });
        if !hit {
            return false;
        }
    }
    true
}

impl CloFilter {
    /// The verdict for one event (a parsed audit Event object).
    pub fn decide(&self, e: &serde_json::Value) -> Verdict {
        let stage = s(e, &["stage"]).and_then(Stage::parse);
        if stage.is_some_and(|st| self.omit_stages.contains(&st)) {
            return Verdict::Drop { rule: None };
        }
        let code = e
            .get("responseStatus")
            .and_then(|r| r.get("code"))
            .and_then(|c| c.as_i64());
        if code.is_some_and(|c| self.omit_response_codes.iter().any(|&o| o as i64 == c)) {
            return Verdict::Drop { rule: None };
        }
        if let Some((i, r)) = self
            .rules
            .iter()
            .enumerate()
            .find(|(_, r)| rule_matches(r, e))
        {
            if r.level == Level::None || stage.is_some_and(|st| r.omit_stages.contains(&st)) {
                return Verdict::Drop { rule: Some(i) };
            }
            return Verdict::Keep {
                level: Some(r.level),
                rule: Some(i),
            };
        }
        let user = s(e, &["user", "username"]).unwrap_or("");
        if user.is_empty() || user.starts_with("system:") {
            let verb = s(e, &["verb"]).unwrap_or("");
            let ns = s(e, &["objectRef", "namespace"]).unwrap_or("");
            // The generated regexp is unanchored: a verb *containing* one of these is read-only.
            if ["get", "list", "watch", "head", "options"]
                .iter()
                .any(|r| verb.contains(r))
            {
                return Verdict::Drop { rule: None };
            }
            if code.is_none_or(|c| c < 300)
                && user.starts_with(&format!("system:serviceaccount:{ns}"))
            {
                return Verdict::Drop { rule: None };
            }
            let recorded = s(e, &["level"]).and_then(Level::parse);
            if recorded == Some(Level::RequestResponse) {
                return Verdict::Keep {
                    level: Some(Level::Request),
                    rule: None,
                };
            }
        }
        Verdict::Keep {
            level: None,
            rule: None,
        }
    }

    /// Rewrites one event (JSON text) as the filter forwards it, or `None` when dropped
    /// (or when the text is not a JSON object with string `auditID` and `verb`, which the
    /// filter passes through untouched: returned as is).
    pub fn apply(&self, event_json: &str) -> Option<serde_json::Value> {
        let mut v: serde_json::Value = serde_json::from_str(event_json).ok()?;
        if !(v.get("auditID").is_some_and(|x| x.is_string())
            && v.get("verb").is_some_and(|x| x.is_string()))
        {
            return Some(v);
        }
        let Verdict::Keep { level, .. } = self.decide(&v) else {
            return None;
        };
        let o = v.as_object_mut()?;
        if let Some(l) = level {
            o.insert("level".into(), l.as_str().into());
        }
        match o
            .get("level")
            .and_then(|l| l.as_str())
            .and_then(Level::parse)
        {
            Some(Level::Metadata) => {
                o.remove("responseObject");
                o.remove("requestObject");
            }
            Some(Level::Request) => {
                o.remove("responseObject");
            }
            _ => {}
        }
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_globs() {
        let cases = [
            ("openshift-*", "openshift-apiserver", true),
            ("openshift-*", "kube-system", false),
            ("*apiserver", "system:apiserver", true),
            ("*apiserver", "apiserver-x", false),
            ("*mid*", "a-mid-b", true),
            ("*", "anything", true),
            ("exact", "exact", true),
            ("exact", "exactly", false),
            ("a*b", "a*b", true),
            ("pods/*", "pods", false),
            ("*/status", "pods/status", true),
        ];
        for (p, s, want) in cases {
            assert_eq!(name_glob(p, s), want, "{p} {s}");
        }
    }

    #[test]
    fn url_globs() {
        assert!(url_glob("/api*", "/apis/apps/v1?timeout=1s"));
        assert!(url_glob("/version", "/version?timeout=32s"));
        assert!(!url_glob("/version", "/versions"));
        assert!(url_glob("*z", "/a?b=z"));
    }
}
