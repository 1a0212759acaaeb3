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
