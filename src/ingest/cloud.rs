//! GKE Cloud Audit Logs (Cloud Logging `LogEntry` with a `protoPayload` of type
//! `google.cloud.audit.AuditLog` and `serviceName: k8s.io`) mapped to `audit.k8s.io/v1`
//! Events.
//!
//! Three spellings of the same record are read: the Cloud Logging JSON (`gcloud logging
//! read --format=json`, sinks and exports: `protoPayload`, `operation`, `labels`,
//! `timestamp`), Panther's variant (`at_sign_type` instead of `@type`, `callerIP`,
//! timestamps without a zone, which are UTC), and the Go `logging.Entry` serialisation
//! of the Sysdig Stackdriver bridge (`{"Entry":{"Timestamp",…,"Operation",…},
//! "AuditPayload":"<AuditLog as JSON text>"}`).
//!
//! The mapping (see ARCHITECTURE.md, "Formats in", for what is lost):
//! * `methodName` `io.k8s.<group…>.<version>.<resource>[.<subresource>].<verb>`: verb (the
//!   last part), resource and subresource (the parts after the version). The group in a
//!   method name is GKE's own spelling (`authorization.rbac` for
//!   `rbac.authorization.k8s.io`), so group and version come from `resourceName`.
//! * `resourceName` `<group>/<version>/[namespaces/<ns>/]<resource>[/<name>[/<sub>]]`
//!   (`core` is the core group, `""`): apiGroup, apiVersion, namespace, name; `requestURI`
//!   is rebuilt from it (`/api/v1/…` or `/apis/<group>/<version>/…`; the query string is
//!   not in the record). A name in the resourceName of a `create` is the new object's
//!   (kube-apiserver takes it from the body): it is kept in objectRef, not in the URI,
//!   whose POST went to the collection. A resourceName without a version
//!   (`readyz`) is a non-resource request: URI `/readyz`, no objectRef.
//! * `authenticationInfo.principalEmail` -> user.username; `requestMetadata.callerIp`
//!   -> sourceIPs; `callerSuppliedUserAgent` -> userAgent.
//! * `status.code` (a `google.rpc.Code`) -> responseStatus.code by the HTTP mapping
//!   written in googleapis `google/rpc/code.proto` ([`grpc_to_http`]); a response body
//!   of kind `Status` (what kube-apiserver really answered) wins over it. An absent or
//!   empty status is OK (200).
//! * `operation.id` (else `insertId`) -> auditID; `operation.first` without
//!   `operation.last` -> stage ResponseStarted (a long-running exec/attach), else
//!   ResponseComplete.
//! * `timestamp` (else `receiveTimestamp`) -> requestReceivedTimestamp and
//!   stageTimestamp.
//! * `request`/`response` -> requestObject/responseObject, byte for byte (their `@type`
//!   member stays).
//! * `labels` (`authorization.k8s.io/decision`, `…/reason`, other audit annotations)
//!   -> annotations.
//! * level, which the record does not carry: RequestResponse when a response body is
//!   there, Request when only a request body is, else Metadata (a lower bound: a
//!   Request-level `get` has no body to show).

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;

type S<'a> = Option<Cow<'a, str>>;

/// What one Cloud Logging record becomes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Mapped {
    /// The `audit.k8s.io/v1` Event JSON (one line).
    Event(String),
    /// Not Kubernetes: counted as skipped under this kind.
    Skip(String),
    /// Broken: rejected with this reason.
    Reject(String),
}

/// The `@type` of a Cloud Audit Logs payload.
const AUDIT_LOG_TYPE: &str = "type.googleapis.com/google.cloud.audit.AuditLog";

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Operation<'a> {
    #[serde(borrow, default)]
    id: S<'a>,
    #[serde(default)]
    first: Option<bool>,
    #[serde(default)]
    last: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct GStatus<'a> {
    #[serde(default)]
    code: Option<f64>,
    #[serde(borrow, default)]
    message: S<'a>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AuthInfo<'a> {
    #[serde(borrow, default)]
    principal_email: S<'a>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ReqMeta<'a> {
    #[serde(borrow, default, alias = "callerIP")]
    caller_ip: S<'a>,
    #[serde(borrow, default)]
    caller_supplied_user_agent: S<'a>,
}

/// `google.cloud.audit.AuditLog`, the fields we map.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AuditLog<'a> {
    #[serde(borrow, default, rename = "@type", alias = "at_sign_type")]
    at_type: S<'a>,
    #[serde(borrow, default)]
    service_name: S<'a>,
    #[serde(borrow, default)]
    method_name: S<'a>,
    #[serde(borrow, default)]
    resource_name: S<'a>,
    #[serde(borrow, default)]
    status: Option<GStatus<'a>>,
    #[serde(borrow, default)]
    authentication_info: Option<AuthInfo<'a>>,
    #[serde(borrow, default)]
    request_metadata: Option<ReqMeta<'a>>,
    #[serde(borrow, default)]
    request: Option<&'a RawValue>,
    #[serde(borrow, default)]
    response: Option<&'a RawValue>,
}

/// A Cloud Logging `LogEntry` (camelCase JSON).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogEntry<'a> {
    #[serde(borrow)]
    proto_payload: AuditLog<'a>,
    #[serde(borrow, default)]
    timestamp: S<'a>,
    #[serde(borrow, default)]
    receive_timestamp: S<'a>,
    #[serde(borrow, default)]
    insert_id: S<'a>,
    #[serde(borrow, default)]
    operation: Option<Operation<'a>>,
    #[serde(borrow, default)]
    labels: Option<&'a RawValue>,
}

/// The Go `logging.Entry` as the Sysdig bridge serialises it: Go field names.
#[derive(Deserialize)]
struct GoEntry<'a> {
    #[serde(borrow, rename = "Entry")]
    entry: GoInner<'a>,
    #[serde(borrow, rename = "AuditPayload")]
    audit_payload: Cow<'a, str>,
}

#[derive(Deserialize)]
struct GoInner<'a> {
    #[serde(borrow, default, rename = "Timestamp")]
    timestamp: S<'a>,
    #[serde(borrow, default, rename = "InsertID")]
    insert_id: S<'a>,
    #[serde(borrow, default, rename = "Operation")]
    operation: Option<Operation<'a>>,
    #[serde(borrow, default, rename = "Labels")]
    labels: Option<&'a RawValue>,
}

/// The parts of a record, whichever spelling it came in.
struct Parts<'p, 'a> {
    log: &'p AuditLog<'a>,
    timestamp: Option<&'p str>,
    receive_timestamp: Option<&'p str>,
    insert_id: Option<&'p str>,
    operation: Option<&'p Operation<'a>>,
    labels: Option<&'a RawValue>,
}

/// Maps a Cloud Logging `LogEntry` with a `protoPayload` (the whole record's text).
pub(crate) fn map_log_entry(text: &str) -> Mapped {
    let e: LogEntry = match serde_json::from_str(text) {
        Ok(e) => e,
        Err(e) => return Mapped::Reject(format!("GKE Cloud Audit Logs record: {e}")),
    };
    map(&Parts {
        log: &e.proto_payload,
        timestamp: e.timestamp.as_deref(),
        receive_timestamp: e.receive_timestamp.as_deref(),
        insert_id: e.insert_id.as_deref(),
        operation: e.operation.as_ref(),
        labels: e.labels,
    })
}

/// Maps the Sysdig bridge's Go `logging.Entry` (`Entry` + `AuditPayload` text).
pub(crate) fn map_go_entry(text: &str) -> Mapped {
    let g: GoEntry = match serde_json::from_str(text) {
        Ok(g) => g,
        Err(e) => return Mapped::Reject(format!("Go logging.Entry record: {e}")),
    };
    let log: AuditLog = match serde_json::from_str(&g.audit_payload) {
        Ok(l) => l,
        Err(e) => return Mapped::Reject(format!("Go logging.Entry AuditPayload: {e}")),
    };
    map(&Parts {
        log: &log,
        timestamp: g.entry.timestamp.as_deref(),
        receive_timestamp: None,
        insert_id: g.entry.insert_id.as_deref(),
        operation: g.entry.operation.as_ref(),
        labels: g.entry.labels,
    })
}

/// HTTP status for a `google.rpc.Code`, as the "HTTP Mapping" comments of googleapis
/// `google/rpc/code.proto` give it (OK 200, CANCELLED 499, UNKNOWN 500,
/// INVALID_ARGUMENT 400, DEADLINE_EXCEEDED 504, NOT_FOUND 404, ALREADY_EXISTS 409,
/// PERMISSION_DENIED 403, UNAUTHENTICATED 401, RESOURCE_EXHAUSTED 429,
/// FAILED_PRECONDITION 400, ABORTED 409, OUT_OF_RANGE 400, UNIMPLEMENTED 501,
/// INTERNAL 500, UNAVAILABLE 503, DATA_LOSS 500). `None` for a code not in the enum.
pub fn grpc_to_http(code: i64) -> Option<u16> {
    Some(match code {
        0 => 200,
        1 => 499,
        2 => 500,
        3 => 400,
        4 => 504,
        5 => 404,
        6 => 409,
        7 => 403,
        8 => 429,
        9 => 400,
        10 => 409,
        11 => 400,
        12 => 501,
        13 => 500,
        14 => 503,
        15 => 500,
        16 => 401,
        _ => return None,
    })
}

/// `vN`, `vNalphaM`, `vNbetaM`: a Kubernetes API version.
fn is_version(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let tail = &rest[digits..];
    if tail.is_empty() {
        return true;
    }
    let t = tail
        .strip_prefix("alpha")
        .or_else(|| tail.strip_prefix("beta"));
    t.is_some_and(|t| !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit()))
}

/// (verb, resource, subresource) of a `methodName`.
fn method_parts(m: &str) -> (&str, &str, String) {
    let rest = m.strip_prefix("io.k8s.").unwrap_or(m);
    let toks: Vec<&str> = rest.split('.').collect();
    match toks.iter().position(|t| is_version(t)) {
        Some(vi) if toks.len() >= vi + 3 => {
            let verb = toks[toks.len() - 1];
            let resource = toks[vi + 1];
            let sub = toks[vi + 2..toks.len() - 1].join("/");
            (verb, resource, sub)
        }
        Some(vi) if toks.len() == vi + 2 => ("", toks[vi + 1], String::new()),
        _ if toks.len() == 1 => (toks[0], "", String::new()),
        _ => ("", "", String::new()),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutRef<'a> {
    resource: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    namespace: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    name: &'a str,
    api_group: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    api_version: &'a str,
    #[serde(skip_serializing_if = "String::is_empty")]
    subresource: String,
}

#[derive(Serialize)]
struct OutStatus<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<u16>,
    #[serde(skip_serializing_if = "str::is_empty")]
    reason: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    message: &'a str,
}

#[derive(Serialize)]
struct OutUser<'a> {
    username: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutEvent<'a> {
    kind: &'static str,
    api_version: &'static str,
    level: &'static str,
    #[serde(rename = "auditID")]
    audit_id: &'a str,
    stage: &'static str,
    #[serde(rename = "requestURI")]
    request_uri: String,
    verb: &'a str,
    user: OutUser<'a>,
    #[serde(rename = "sourceIPs", skip_serializing_if = "Vec::is_empty")]
    source_ips: Vec<&'a str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    user_agent: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    object_ref: Option<OutRef<'a>>,
    response_status: OutStatus<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_object: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_object: Option<&'a RawValue>,
    request_received_timestamp: String,
    stage_timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotations: Option<&'a RawValue>,
}

/// A `Status` body (what kube-apiserver answered an error or a delete with).
#[derive(Deserialize)]
struct StatusBody<'a> {
    #[serde(borrow, default)]
    kind: S<'a>,
    #[serde(default)]
    code: Option<f64>,
    #[serde(borrow, default)]
    reason: S<'a>,
    #[serde(borrow, default)]
    message: S<'a>,
}

/// RFC 3339 (also Panther's zone-less `2024-02-13 12:45:06.073905000`, UTC) to µs.
pub(crate) fn lenient_time(s: &str) -> Option<i64> {
    crate::util::parse_rfc3339_micros(s).or_else(|| {
        let t = s.trim();
        let zoned = t.ends_with(['Z', 'z']) || t.get(19..).is_some_and(|r| r.contains(['+', '-']));
        if zoned {
            None
        } else {
            crate::util::parse_rfc3339_micros(&format!("{t}Z"))
        }
    })
}

fn map(p: &Parts) -> Mapped {
    let log = p.log;
    if let Some(t) = log.at_type.as_deref() {
        if t != AUDIT_LOG_TYPE {
            return Mapped::Skip(format!("Cloud Logging protoPayload of type {t}"));
        }
    }
    match log.service_name.as_deref() {
        Some("k8s.io") => {}
        Some(svc) if !svc.is_empty() => {
            return Mapped::Skip(format!("Google Cloud audit records of {svc}"));
        }
        _ => {
            return Mapped::Reject(
                "GKE Cloud Audit Logs record without serviceName: not known to be Kubernetes"
                    .into(),
            )
        }
    }
    let Some(received) = p
        .timestamp
        .and_then(lenient_time)
        .or_else(|| p.receive_timestamp.and_then(lenient_time))
    else {
        return Mapped::Reject(
            "GKE Cloud Audit Logs record without a valid timestamp or receiveTimestamp".into(),
        );
    };
    let ts = crate::util::format_rfc3339_micros(received);
    let method = log.method_name.as_deref().unwrap_or("");
    let (verb, m_resource, m_sub) = method_parts(method);
    let rname = log.resource_name.as_deref().unwrap_or("");
    let segs: Vec<&str> = rname.split('/').collect();
    let (object_ref, uri) = if segs.len() >= 3 && is_version(segs[1]) {
        let (group, version) = (segs[0], segs[1]);
        let api_group = if group == "core" { "" } else { group };
        let mut rest = &segs[2..];
        let mut namespace = "";
        if rest.first() == Some(&"namespaces") && rest.len() >= 3 && m_resource != "namespaces" {
            namespace = rest[1];
            rest = &rest[2..];
        }
        let resource = if m_resource.is_empty() {
            rest[0]
        } else {
            m_resource
        };
        let name = rest.get(1).copied().unwrap_or("");
        let sub = if m_sub.is_empty() {
            rest.get(2).copied().unwrap_or("").to_string()
        } else {
            m_sub
        };
        let collection_post = verb == "create" && sub.is_empty();
        if resource == "namespaces" && !collection_post {
            // kube-apiserver's RequestInfo takes the namespace of `/api/v1/namespaces/<n>`
            // from the path, so a Namespace's own events name it twice; a create POSTs to
            // `/api/v1/namespaces`, whose path names none.
            namespace = name;
        }
        let base = if api_group.is_empty() {
            format!("/api/{version}")
        } else {
            format!("/apis/{api_group}/{version}")
        };
        let mut uri = base;
        if !namespace.is_empty() && resource != "namespaces" {
            uri.push_str(&format!("/namespaces/{namespace}"));
        }
        uri.push('/');
        uri.push_str(rest[0]);
        if !name.is_empty() && !collection_post {
            uri.push('/');
            uri.push_str(name);
            if !sub.is_empty() {
                uri.push('/');
                uri.push_str(&sub);
            }
        }
        (
            Some(OutRef {
                resource,
                namespace,
                name,
                api_group,
                api_version: version,
                subresource: sub,
            }),
            uri,
        )
    } else if rname.is_empty() {
        (None, "/".to_string())
    } else {
        (None, format!("/{}", rname.trim_start_matches('/')))
    };
    let op = p.operation;
    let first = op.and_then(|o| o.first).unwrap_or(false);
    let last = op.and_then(|o| o.last).unwrap_or(false);
    let started = first && !last;
    let stage = if started {
        "ResponseStarted"
    } else {
        "ResponseComplete"
    };
    let audit_id = op
        .and_then(|o| o.id.as_deref())
        .filter(|s| !s.is_empty())
        .or(p.insert_id)
        .unwrap_or("");
    let gcode = log.status.as_ref().and_then(|s| s.code).unwrap_or(0.0);
    let gcode = if gcode.fract() == 0.0 && gcode.abs() < 1e6 {
        gcode as i64
    } else {
        -1
    };
    // An upgraded connection (exec, attach) logged on its start carries UNKNOWN: its
    // outcome is not known yet, so no code is claimed.
    let mut code = if started && gcode == 2 {
        None
    } else {
        grpc_to_http(gcode)
    };
    let mut message = log
        .status
        .as_ref()
        .and_then(|s| s.message.as_deref())
        .unwrap_or("");
    let mut reason = "";
    let status_body = log
        .response
        .and_then(|r| serde_json::from_str::<StatusBody>(r.get()).ok());
    if let Some(sb) = &status_body {
        if sb.kind.as_deref() == Some("Status") {
            if let Some(c) = sb.code.filter(|c| (100.0..600.0).contains(c)) {
                code = Some(c as u16);
            }
            reason = sb.reason.as_deref().unwrap_or("");
            if let Some(m) = sb.message.as_deref() {
                message = m;
            }
        }
    }
    let level = if log.response.is_some() {
        "RequestResponse"
    } else if log.request.is_some() {
        "Request"
    } else {
        "Metadata"
    };
    let md = log.request_metadata.as_ref();
    let ev = OutEvent {
        kind: "Event",
        api_version: "audit.k8s.io/v1",
        level,
        audit_id,
        stage,
        request_uri: uri,
        verb,
        user: OutUser {
            username: log
                .authentication_info
                .as_ref()
                .and_then(|a| a.principal_email.as_deref())
                .unwrap_or(""),
        },
        source_ips: md
            .and_then(|m| m.caller_ip.as_deref())
            .filter(|s| !s.is_empty())
            .into_iter()
            .collect(),
        user_agent: md
            .and_then(|m| m.caller_supplied_user_agent.as_deref())
            .unwrap_or(""),
        object_ref,
        response_status: OutStatus {
            code,
            reason,
            message,
        },
        request_object: log.request,
        response_object: log.response,
        request_received_timestamp: ts.clone(),
        stage_timestamp: ts,
        annotations: p.labels.filter(|l| l.get().trim_start().starts_with('{')),
    };
    match serde_json::to_string(&ev) {
        Ok(s) => Mapped::Event(s),
        Err(e) => Mapped::Reject(format!("GKE Cloud Audit Logs record: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_methods() {
        for (s, ok) in [
            ("v1", true),
            ("v1beta1", true),
            ("v2alpha3", true),
            ("v", false),
            ("v1beta", false),
            ("core", false),
            ("version", false),
        ] {
            assert_eq!(is_version(s), ok, "{s}");
        }
        assert_eq!(
            method_parts("io.k8s.core.v1.pods.status.patch"),
            ("patch", "pods", "status".into())
        );
        assert_eq!(
            method_parts("io.k8s.authorization.rbac.v1.clusterroles.create"),
            ("create", "clusterroles", String::new())
        );
        assert_eq!(method_parts("io.k8s.get"), ("get", "", String::new()));
        assert_eq!(method_parts(""), ("", "", String::new()));
        assert_eq!(method_parts("io.k8s.core.v1"), ("", "", String::new()));
    }

    #[test]
    fn panther_times_are_utc() {
        assert_eq!(
            lenient_time("2024-02-13 12:45:06.073905000"),
            crate::util::parse_rfc3339_micros("2024-02-13T12:45:06.073905Z")
        );
        assert_eq!(lenient_time("2024-02-13 12:45:06+01:00x"), None);
        assert_eq!(lenient_time("garbage"), None);
        assert_eq!(lenient_time(""), None);
    }
}
