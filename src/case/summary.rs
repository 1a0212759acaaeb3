//! The Markdown incident summary generated from a case.
//!
//! Read from each pin's embedded event, with the field names of
//! `k8s.io/apiserver/pkg/apis/audit/v1/types.go` (`Event`: `user`, `impersonatedUser`,
//! `verb`, `objectRef{resource, subresource, apiGroup, namespace, name}`, `requestURI`,
//! `responseStatus.code`). Values from the log are put in code spans (backticks in them
//! become `'`), so a user name cannot inject Markdown into a ticket; the notes are the
//! user's own text, as written.

use super::file::{Case, Pin};
use serde_json::Value;

fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut v = v;
    for k in path {
        v = match v.get(k) {
            Some(x) => x,
            None => return "",
        };
    }
    v.as_str().unwrap_or("")
}

/// A log value as a code span.
fn code(x: &str) -> String {
    let x: String = x
        .chars()
        .map(|c| if c == '`' || c.is_control() { '\'' } else { c })
        .collect();
    format!("`{x}`")
}

/// Who made the request: `user`, or `user as impersonated` (kube-apiserver records the
/// authenticated user in `user` and the one acted as in `impersonatedUser`).
pub fn who(event: &Value) -> String {
    let u = s(event, &["user", "username"]);
    let u = if u.is_empty() { "(unknown)" } else { u };
    let imp = s(event, &["impersonatedUser", "username"]);
    if imp.is_empty() {
        u.to_string()
    } else {
        format!("{u} as {imp}")
    }
}

/// What the request was about: `resource[.group][/subresource] [namespace/]name`,
/// `resource in namespace` without a name, or the URI of a non-resource request.
pub fn object(event: &Value) -> String {
    let r = s(event, &["objectRef", "resource"]);
    if r.is_empty() {
        let uri = s(event, &["requestURI"]);
        return uri.split('?').next().unwrap_or("").to_string();
    }
    let mut o = r.to_string();
    let g = s(event, &["objectRef", "apiGroup"]);
    if !g.is_empty() {
        o = format!("{o}.{g}");
    }
    let sub = s(event, &["objectRef", "subresource"]);
    if !sub.is_empty() {
        o = format!("{o}/{sub}");
    }
    let (ns, name) = (
        s(event, &["objectRef", "namespace"]),
        s(event, &["objectRef", "name"]),
    );
    match (ns.is_empty(), name.is_empty()) {
        (false, false) => format!("{o} {ns}/{name}"),
        (true, false) => format!("{o} {name}"),
        (false, true) => format!("{o} in {ns}"),
        (true, true) => o,
    }
}

fn status(event: &Value) -> String {
    match event
        .get("responseStatus")
        .and_then(|r| r.get("code"))
        .and_then(Value::as_i64)
    {
        Some(c) => format!("code {c}"),
        None => "no code".into(),
    }
}

fn verb(event: &Value) -> &str {
    let v = s(event, &["verb"]);
    if v.is_empty() {
        "?"
    } else {
        v
    }
}

/// Counts of `key` over the pins, most first, then by key; with the distinct `also`
/// values of each in first-seen order.
fn tally(
    pins: &[Pin],
    key: impl Fn(&Pin) -> String,
    also: impl Fn(&Pin) -> String,
) -> Vec<(String, usize, Vec<String>)> {
    let mut v: Vec<(String, usize, Vec<String>)> = Vec::new();
    for p in pins {
        let k = key(p);
        let a = also(p);
        match v.iter_mut().find(|x| x.0 == k) {
            Some(x) => {
                x.1 += 1;
                if !x.2.contains(&a) {
                    x.2.push(a);
                }
            }
            None => v.push((k, 1, vec![a])),
        }
    }
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

fn events(n: usize) -> String {
    if n == 1 {
        "1 event".into()
    } else {
        format!("{n} events")
    }
}

/// The incident summary: the pinned events as a timeline (time, who, verb, object, code,
/// note, tags), who acted, the objects touched, the case notes and the files.
pub fn markdown(case: &Case) -> String {
    let mut o = String::from("# Incident summary\n\n");
    let pins = &case.pins;
    match (pins.first(), pins.last()) {
        (Some(a), Some(b)) => o.push_str(&format!(
            "{} pinned, from {} to {} (UTC).\n\n",
            events(pins.len()),
            a.time,
            b.time
        )),
        _ => o.push_str("No pinned events.\n\n"),
    }
    o.push_str("## Notes\n\n");
    if case.notes.trim().is_empty() {
        o.push_str("_None._\n\n");
    } else {
        o.push_str(case.notes.trim_end());
        o.push_str("\n\n");
    }
    if !pins.is_empty() {
        o.push_str("## Timeline\n\n");
        for (i, p) in pins.iter().enumerate() {
            let e = &p.event;
            o.push_str(&format!(
                "{}. **{}** {} **{}** {} — {}\n",
                i + 1,
                p.time,
                code(&who(e)),
                verb(e),
                code(&object(e)),
                status(e)
            ));
            o.push_str(&format!(
                "   - auditID {}, stage {}\n",
                code(&p.audit_id),
                p.stage
            ));
            if !p.tags.is_empty() {
                let t: Vec<String> = p.tags.iter().map(|t| code(t)).collect();
                o.push_str(&format!("   - Tags: {}\n", t.join(", ")));
            }
            if !p.note.trim().is_empty() {
                let note = p.note.trim_end().replace('\n', "\n     ");
                o.push_str(&format!("   - Note: {note}\n"));
            }
        }
        o.push_str("\n## Who\n\n");
        for (k, n, verbs) in tally(pins, |p| who(&p.event), |p| verb(&p.event).to_string()) {
            o.push_str(&format!(
                "- {}: {} ({})\n",
                code(&k),
                events(n),
                verbs.join(", ")
            ));
        }
        o.push_str("\n## Objects\n\n");
        for (k, n, verbs) in tally(pins, |p| object(&p.event), |p| verb(&p.event).to_string()) {
            o.push_str(&format!(
                "- {}: {} ({})\n",
                code(&k),
                events(n),
                verbs.join(", ")
            ));
        }
        o.push('\n');
    }
    if !case.files.is_empty() {
        o.push_str("## Files\n\n");
        for f in &case.files {
            o.push_str(&format!(
                "- {}: {} bytes, content hash {}\n",
                code(&f.name),
                f.size,
                code(&f.hash)
            ));
        }
        o.push('\n');
    }
    o.push_str("_Generated by Audit Lens from a case file._\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_and_who() {
        let e = json!({"user":{"username":"a`b"},"impersonatedUser":{"username":"bob"},"verb":"get",
            "objectRef":{"resource":"deployments","apiGroup":"apps","subresource":"scale","namespace":"ns","name":"web"}});
        assert_eq!(who(&e), "a`b as bob");
        assert_eq!(code(&who(&e)), "`a'b as bob`");
        assert_eq!(object(&e), "deployments.apps/scale ns/web");
        assert_eq!(
            object(&json!({"requestURI":"/healthz?verbose"})),
            "/healthz"
        );
        assert_eq!(
            object(&json!({"objectRef":{"resource":"nodes","name":"n1"}})),
            "nodes n1"
        );
        assert_eq!(
            object(&json!({"objectRef":{"resource":"pods","namespace":"x"}})),
            "pods in x"
        );
        assert_eq!(status(&json!({})), "no code");
        assert_eq!(markdown(&Case::default()), "# Incident summary\n\nNo pinned events.\n\n## Notes\n\n_None._\n\n_Generated by Audit Lens from a case file._\n");
    }
}
