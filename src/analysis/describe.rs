//! Plain-language wording of events, shared by the readable event header, the activity
//! feed, object histories and the actor view, so one event reads the same everywhere:
//! "bob (kubectl, 10.0.0.5) created pod web/nginx — 201".
//!
//! Pure functions of the store's columns (no bodies): a sentence costs a few lookups, so a
//! feed of a million events can be worded on demand.

use crate::store::{Dim, Store};

/// The past tense of a Kubernetes verb, as a sentence uses it ("get" → "read").
pub fn past_tense(verb: &str) -> String {
    match verb {
        "get" => "read".into(),
        "list" => "listed".into(),
        "watch" => "watched".into(),
        "create" => "created".into(),
        "update" => "updated".into(),
        "patch" => "patched".into(),
        "delete" => "deleted".into(),
        "deletecollection" => "deleted all".into(),
        "proxy" => "proxied to".into(),
        "impersonate" => "impersonated".into(),
        "bind" => "bound".into(),
        "escalate" => "escalated".into(),
        "approve" => "approved".into(),
        "sign" => "signed".into(),
        "use" => "used".into(),
        "" => "requested".into(),
        v if v.ends_with('e') => format!("{v}d"),
        v => format!("{v}ed"),
    }
}

/// The singular of a resource name for a sentence ("networkpolicies" → "networkpolicy",
/// "ingresses" → "ingress", "endpoints" stays).
pub fn singular(resource: &str) -> String {
    let r = resource;
    if r == "endpoints" || r.is_empty() || !r.ends_with('s') {
        return r.to_string();
    }
    if let Some(stem) = r.strip_suffix("ies") {
        return format!("{stem}y");
    }
    for tail in ["sses", "ches", "shes", "xes", "zes"] {
        if r.ends_with(tail) {
            return r[..r.len() - 2].to_string();
        }
    }
    if r.ends_with("ss") {
        return r.to_string();
    }
    r[..r.len() - 1].to_string()
}

/// A user name for people: `system:serviceaccount:ns:name` → `sa:ns/name`,
/// `system:node:n` → `node:n`; anything else unchanged.
pub fn short_user(name: &str) -> String {
    if let Some(rest) = name.strip_prefix("system:serviceaccount:") {
        if let Some((ns, n)) = rest.split_once(':') {
            return format!("sa:{ns}/{n}");
        }
    }
    if let Some(n) = name.strip_prefix("system:node:") {
        return format!("node:{n}");
    }
    name.to_string()
}

/// Who acted: the authenticated user, and `→ impersonated` when the request impersonated
/// someone ("system:admin → bob"). Both shortened by [`short_user`].
pub fn identity(user: &str, impersonated: &str) -> String {
    let u = if user.is_empty() {
        "(no user)".to_string()
    } else {
        short_user(user)
    };
    if impersonated.is_empty() {
        u
    } else {
        format!("{u} → {}", short_user(impersonated))
    }
}

/// The program of a user agent: its first product token
/// ("kubectl/v1.27.1 (linux/amd64) kubernetes/abc" → "kubectl").
pub fn agent_short(ua: &str) -> &str {
    let end = ua.find(['/', ' ', '(']).unwrap_or(ua.len());
    ua[..end].trim()
}

/// What the request was about: "pod web/nginx", "pod web/nginx exec",
/// "clusterrolebinding admin-all", "pods in web", "pods in all namespaces",
/// "/healthz" (a non-resource request).
pub fn object_phrase(s: &Store, r: usize) -> String {
    if !s.is_resource_request(r) {
        let p = s.path(r);
        return if p.is_empty() { "(no path)".into() } else { p };
    }
    let res = s.str(Dim::Resource, r);
    let sub = s.str(Dim::Subresource, r);
    let ns = s.str(Dim::Namespace, r);
    let name = s.str(Dim::Name, r);
    let mut out = if name.is_empty() {
        let what = if res.is_empty() { "objects" } else { res };
        if ns.is_empty() {
            format!("{what} in all namespaces")
        } else {
            format!("{what} in {ns}")
        }
    } else if ns.is_empty() || res == "namespaces" {
        format!("{} {name}", singular(res))
    } else {
        format!("{} {ns}/{name}", singular(res))
    };
    if !sub.is_empty() {
        out.push(' ');
        out.push_str(sub);
    }
    out
}

/// The actor with its program and address: "bob (kubectl, 10.0.0.5)".
pub fn actor_phrase(s: &Store, r: usize) -> String {
    let who = identity(s.str(Dim::User, r), s.str(Dim::ImpersonatedUser, r));
    let agent = agent_short(s.str(Dim::UserAgent, r));
    let ip = s.first_source_ip(r);
    match (agent.is_empty(), ip.is_empty()) {
        (true, true) => who,
        (false, true) => format!("{who} ({agent})"),
        (true, false) => format!("{who} ({ip})"),
        (false, false) => format!("{who} ({agent}, {ip})"),
    }
}

/// One event as a sentence: "bob (kubectl, 10.0.0.5) created pod web/nginx — 201".
/// A code of 0 (no response yet, e.g. a RequestReceived stage) is left out.
pub fn sentence(s: &Store, r: usize) -> String {
    let verb = s.str(Dim::Verb, r);
    let mut out = format!(
        "{} {} {}",
        actor_phrase(s, r),
        past_tense(verb),
        object_phrase(s, r)
    );
    let code = s.code(r);
    if code != 0 {
        out.push_str(&format!(" — {code}"));
    }
    out
}

/// The summary line of the readable header: [`sentence`], except for exec, attach and
/// port-forward, which say what was run where, from the facts kept at ingest:
/// "system:admin → bob (kubectl, 10.0.0.5) exec `sh -c cat /var/log/…` in pod
/// kube-system/kube-apiserver-x container c — 101".
pub fn summary(s: &Store, r: usize) -> String {
    use crate::ingest::facts::{FACT_ATTACH, FACT_EXEC, FACT_PORTFORWARD};
    let Some(f) = s
        .facts(r)
        .filter(|f| f.bits & (FACT_EXEC | FACT_ATTACH | FACT_PORTFORWARD) != 0)
    else {
        // A refused request did not happen: "tried to create", not "created".
        let code = s.code(r);
        if code >= 400 {
            let verb = s.str(Dim::Verb, r);
            return format!(
                "{} tried to {} {} — {code}",
                actor_phrase(s, r),
                if verb.is_empty() { "request" } else { verb },
                object_phrase(s, r)
            );
        }
        return sentence(s, r);
    };
    let pod = format!(
        "pod {}{}",
        match s.str(Dim::Namespace, r) {
            "" => String::new(),
            ns => format!("{ns}/"),
        },
        s.str(Dim::Name, r)
    );
    let mut out = actor_phrase(s, r);
    if s.code(r) >= 400 {
        out.push_str(" tried to");
    }
    if f.bits & FACT_EXEC != 0 {
        let cmd = f.command_line();
        if cmd.is_empty() {
            out.push_str(&format!(" exec in {pod}"));
        } else {
            out.push_str(&format!(" exec `{cmd}` in {pod}"));
        }
    } else if f.bits & FACT_ATTACH != 0 {
        out.push_str(&format!(" attached to {pod}"));
    } else {
        out.push_str(&format!(" port-forwarded to {pod}"));
        let ports: Vec<&str> = f.ports().collect();
        if !ports.is_empty() {
            out.push_str(&format!(" port {}", ports.join(",")));
        }
    }
    if !f.container().is_empty() {
        out.push_str(&format!(" container {}", f.container()));
    }
    let code = s.code(r);
    if code != 0 {
        out.push_str(&format!(" — {code}"));
    }
    out
}

/// Who decided, and why: RBAC authorization or admission (or the API's own answer).
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Verdict {
    /// "RBAC authorization", "Admission: PodSecurity", "Admission", "API response".
    pub source: String,
    /// "allowed", "forbidden", "denied", "audit violation (allowed)", "enforced policy"…
    pub outcome: String,
    pub reason: String,
    /// This verdict refused the request.
    pub denied: bool,
}

/// One security fact of an event for people: "privileged", "hostPath /etc".
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct FactLine {
    pub label: String,
    pub value: String,
    /// A risk worth a second look (privileged, host access, cluster-admin, wildcards).
    pub alert: bool,
}

/// The readable header of one event (the detail drawer shows it above the JSON).
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Readable {
    pub summary: String,
    pub verdicts: Vec<Verdict>,
    pub facts: Vec<FactLine>,
    /// When the request impersonated someone: who was authenticated, who was acted as,
    /// and that the audit policy matched the authenticated user.
    pub impersonation: Option<String>,
}

/// The reason a request was refused, in one line (the table's reason column): the RBAC
/// reason of a `forbid`, else for a code ≥ 400 the response's message (admission says
/// why there) or its reason; "" for an allowed, successful request.
pub fn denial_reason(s: &Store, r: usize) -> String {
    if s.str(Dim::Decision, r) == "forbid" {
        let why = s.str(Dim::AuthzReason, r);
        return if why.is_empty() {
            "RBAC: forbidden".into()
        } else {
            why.to_string()
        };
    }
    if s.code(r) >= 400 {
        let m = s.str(Dim::Message, r);
        return if m.is_empty() {
            s.str(Dim::StatusReason, r).to_string()
        } else {
            m.to_string()
        };
    }
    String::new()
}

/// The decisions of one event. `annotations` are the event's `annotations` (read from
/// its JSON; the store keeps only the two of RBAC). Annotation names as kube-apiserver
/// and its admission plugins write them: `authorization.k8s.io/decision` and `/reason`
/// (k8s.io/apiserver pkg/endpoints/filters/authorization.go), PodSecurity's
/// `pod-security.kubernetes.io/enforce-policy` and `…/audit-violations`
/// (k8s.io/pod-security-admission: `EnforcedPolicyAnnotationKey`,
/// `AuditViolationsAnnotationKey`, prefixed with the plugin's name by the apiserver),
/// and any other plugin's `…/audit-violations` or OpenShift's
/// `securitycontextconstraints.admission.openshift.io/reason`.
pub fn verdicts(s: &Store, r: usize, annotations: &[(String, String)]) -> Vec<Verdict> {
    let mut v = Vec::new();
    let decision = s.str(Dim::Decision, r);
    let why = s.str(Dim::AuthzReason, r);
    let code = s.code(r);
    if !decision.is_empty() || !why.is_empty() {
        let forbid = decision == "forbid";
        v.push(Verdict {
            source: "RBAC authorization".into(),
            outcome: match decision {
                "allow" => "allowed".into(),
                "forbid" => "forbidden".into(),
                d => d.to_string(),
            },
            reason: why.to_string(),
            denied: forbid,
        });
    }
    for (k, val) in annotations {
        let (prefix, key) = k.rsplit_once('/').unwrap_or(("", k.as_str()));
        let plugin = match prefix {
            "pod-security.kubernetes.io" => "PodSecurity".to_string(),
            "securitycontextconstraints.admission.openshift.io" => {
                "SecurityContextConstraints".to_string()
            }
            p => p.to_string(),
        };
        let outcome = match (prefix, key) {
            (_, "audit-violations") => "violates its audit-mode level (recorded, not enforced)",
            ("pod-security.kubernetes.io", "enforce-policy") => "enforced policy",
            ("pod-security.kubernetes.io", "exempt") => "exempt",
            ("pod-security.kubernetes.io", "error") => "error",
            ("securitycontextconstraints.admission.openshift.io", "reason") => "admitted",
            _ => continue,
        };
        v.push(Verdict {
            source: format!("Admission: {plugin}"),
            outcome: outcome.into(),
            reason: val.clone(),
            denied: false,
        });
    }
    // A refusal RBAC did not make: admission (a 403 after an allow, or a message that
    // names admission), or the API's own answer (not found, conflict, invalid…).
    if code >= 400 && decision != "forbid" {
        let msg = s.str(Dim::Message, r);
        let reason = s.str(Dim::StatusReason, r);
        let admission = (code == 403 && decision == "allow")
            || msg.contains("admission")
            || msg.contains("violates PodSecurity");
        let text = match (reason.is_empty(), msg.is_empty()) {
            (true, false) => msg.to_string(),
            (false, false) => format!("{reason}: {msg}"),
            (false, true) => reason.to_string(),
            (true, true) => String::new(),
        };
        v.push(Verdict {
            source: if msg.contains("violates PodSecurity") {
                "Admission: PodSecurity".into()
            } else if admission {
                "Admission".into()
            } else if code == 403 && decision.is_empty() {
                "Authorization or admission (the log records no decision)".into()
            } else {
                "API response".into()
            },
            outcome: format!("denied ({code})"),
            reason: text,
            denied: true,
        });
    }
    // The refusal first: it is what the reader looks for.
    v.sort_by_key(|x| !x.denied);
    v
}

/// The security facts of one event, worded ([`crate::ingest::facts`]).
pub fn fact_lines(s: &Store, r: usize) -> Vec<FactLine> {
    use crate::ingest::facts::*;
    let Some(f) = s.facts(r) else {
        return Vec::new();
    };
    let mut v = Vec::new();
    let mut add = |label: &str, value: String, alert: bool| {
        v.push(FactLine {
            label: label.into(),
            value,
            alert,
        })
    };
    let flags: [(u32, &str); 8] = [
        (FACT_PRIVILEGED, "privileged container"),
        (FACT_HOST_PID, "hostPID"),
        (FACT_HOST_IPC, "hostIPC"),
        (FACT_HOST_NETWORK, "hostNetwork"),
        (FACT_RUN_AS_ROOT, "runAsUser 0 (root)"),
        (FACT_PRIV_ESCALATION, "allowPrivilegeEscalation"),
        (FACT_WILDCARD_VERBS, "verbs: *"),
        (FACT_WILDCARD_RESOURCES, "resources: *"),
    ];
    for (bit, label) in flags {
        if f.bits & bit != 0 {
            add(label, String::new(), true);
        }
    }
    if f.bits & FACT_WILDCARD_API_GROUPS != 0 {
        add("apiGroups: *", String::new(), true);
    }
    for (bit, label) in [
        (FACT_GRANTS_EXEC, "grants pods/exec or attach"),
        (FACT_GRANTS_SECRETS, "grants reading secrets"),
        (FACT_GRANTS_ESCALATE, "grants escalate or bind"),
        (FACT_GRANTS_IMPERSONATE, "grants impersonate"),
    ] {
        if f.bits & bit != 0 {
            add(label, String::new(), true);
        }
    }
    let paths: Vec<&str> = f.host_paths().collect();
    if !paths.is_empty() {
        add("hostPath", paths.join(", "), true);
    }
    let caps: Vec<&str> = f.capabilities().collect();
    if !caps.is_empty() {
        add("capabilities added", caps.join(", "), true);
    }
    if let Some((kind, name)) = f.role_ref() {
        add(
            "roleRef",
            format!("{kind} {name}"),
            f.bits & FACT_CLUSTER_ADMIN != 0,
        );
    }
    let subjects: Vec<String> = f
        .subjects()
        .map(|(k, ns, n)| match (k, ns.is_empty()) {
            ("ServiceAccount", false) => format!("sa:{ns}/{n}"),
            (k, true) => format!("{k} {n}"),
            (k, false) => format!("{k} {ns}/{n}"),
        })
        .collect();
    if !subjects.is_empty() {
        add("subjects", subjects.join(", "), false);
    }
    let cmd = f.command_line();
    if !cmd.is_empty() {
        add("command", cmd, false);
    }
    if !f.container().is_empty() {
        add("container", f.container().to_string(), false);
    }
    let mut io = Vec::new();
    if f.bits & FACT_TTY != 0 {
        io.push("tty");
    }
    if f.bits & FACT_STDIN != 0 {
        io.push("stdin");
    }
    if !io.is_empty() {
        add("interactive", io.join(" + "), false);
    }
    let images: Vec<&str> = f.images().collect();
    if !images.is_empty() {
        add(
            if images.len() == 1 { "image" } else { "images" },
            images.join(", "),
            false,
        );
    }
    v
}

/// The impersonation note of an event, or `None` when it impersonated no one.
///
/// kube-apiserver evaluates the audit policy in its audit filter with the request's user
/// as authenticated: `WithAudit` wraps `WithImpersonation` in `DefaultBuildHandlerChain`
/// (k8s.io/apiserver pkg/server/config.go), so the audit filter runs first, and the
/// policy checker (pkg/audit/policy/checker.go, `ruleMatches`) reads `attrs.GetUser()`
/// of those attributes. The evaluator here does the same.
pub fn impersonation_note(s: &Store, r: usize) -> Option<String> {
    let imp = s.str(Dim::ImpersonatedUser, r);
    if imp.is_empty() {
        return None;
    }
    let user = s.str(Dim::User, r);
    Some(format!(
        "{user} (authenticated) acted as {imp} (impersonated). The audit policy matched {user}, \
         the authenticated user, not {imp}: kube-apiserver's audit filter runs before impersonation \
         is applied, as the policy evaluator here does."
    ))
}

/// The annotations of an event's JSON text, as (key, value) in key order (values
/// that are not strings are left out). Bad JSON gives none.
pub fn annotations_of(event_json: &str) -> Vec<(String, String)> {
    #[derive(serde::Deserialize)]
    struct A {
        #[serde(default)]
        annotations: Option<serde_json::Map<String, serde_json::Value>>,
    }
    serde_json::from_str::<A>(event_json)
        .ok()
        .and_then(|a| a.annotations)
        .map(|m| {
            m.into_iter()
                .filter_map(|(k, v)| Some((k, v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// The readable header of `r`; `event_json` is the event's text when it could be read.
pub fn readable(s: &Store, r: usize, event_json: Option<&str>) -> Readable {
    let ann = event_json.map(annotations_of).unwrap_or_default();
    Readable {
        summary: summary(s, r),
        verdicts: verdicts(s, r, &ann),
        facts: fact_lines(s, r),
        impersonation: impersonation_note(s, r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(past_tense("get"), "read");
        assert_eq!(past_tense("deletecollection"), "deleted all");
        assert_eq!(past_tense("frob"), "frobed");
        assert_eq!(singular("networkpolicies"), "networkpolicy");
        assert_eq!(singular("ingresses"), "ingress");
        assert_eq!(singular("storageclasses"), "storageclass");
        assert_eq!(singular("endpoints"), "endpoints");
        assert_eq!(singular("leases"), "lease");
        assert_eq!(singular("pods"), "pod");
        assert_eq!(singular("clusterrolebindings"), "clusterrolebinding");
        assert_eq!(singular("meshes"), "mesh");
        assert_eq!(
            short_user("system:serviceaccount:kafka:strimzi-cluster-operator"),
            "sa:kafka/strimzi-cluster-operator"
        );
        assert_eq!(short_user("system:node:ip-10-0-0-1"), "node:ip-10-0-0-1");
        assert_eq!(short_user("system:admin"), "system:admin");
        assert_eq!(identity("system:admin", "bob"), "system:admin → bob");
        assert_eq!(identity("", ""), "(no user)");
        assert_eq!(
            agent_short("kubectl/v1.27.1 (linux/amd64) kubernetes/4c94112"),
            "kubectl"
        );
        assert_eq!(agent_short("curl"), "curl");
    }
}
