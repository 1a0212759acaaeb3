//! Records of log stores and collectors that carry audit events inside their own
//! documents: OpenShift ViaQ records, OTLP/JSON logs, Loki (`logcli --output=jsonl`
//! lines and `query_range` responses), Elasticsearch/OpenSearch (`_search` responses,
//! hits, Beats documents) and Splunk JSON exports. The walker in `record.rs` decides the
//! shape from the keys present; the helpers here take the shapes apart.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The members of an `audit.k8s.io/v1` Event (k8s.io/apiserver
/// `pkg/apis/audit/v1/types.go`, `Event`), in its order; a normalised event keeps only
/// these.
const EVENT_KEYS: &[&str] = &[
    "kind",
    "apiVersion",
    "level",
    "auditID",
    "stage",
    "requestURI",
    "verb",
    "user",
    "impersonatedUser",
    "sourceIPs",
    "userAgent",
    "objectRef",
    "responseStatus",
    "requestObject",
    "responseObject",
    "requestReceivedTimestamp",
    "stageTimestamp",
    "annotations",
];

/// `text` (an event object with a collector's extra members) as an Event with only the
/// Event members, values byte for byte; `level` replaces the level (ViaQ keeps the real
/// one in `k8s_audit_level` and overwrites `level` with a log severity). The v1beta1
/// `timestamp` is kept only when there is no `requestReceivedTimestamp`.
pub(crate) fn normalize_event(text: &str, level: Option<&str>) -> Result<String, String> {
    let m: BTreeMap<Cow<str>, &RawValue> =
        serde_json::from_str(text).map_err(|e| format!("not a valid audit Event: {e}"))?;
    let mut out = String::with_capacity(text.len());
    out.push('{');
    let mut put = |k: &str, v: &str| {
        if out.len() > 1 {
            out.push(',');
        }
        out.push('"');
        out.push_str(k);
        out.push_str("\":");
        out.push_str(v);
    };
    let level_json = level.map(|l| serde_json::to_string(l).unwrap_or_else(|_| "\"\"".into()));
    for k in EVENT_KEYS {
        if *k == "level" {
            if let Some(l) = &level_json {
                put(k, l);
                continue;
            }
        }
        if let Some(v) = m.get(*k) {
            put(k, v.get());
        }
    }
    if !m.contains_key("requestReceivedTimestamp") {
        if let Some(v) = m.get("timestamp") {
            put("timestamp", v.get());
        }
    }
    out.push('}');
    Ok(out)
}

/// What one embedded candidate is: event text to walk, or a reason it is none.
pub(crate) type Candidate = Result<String, String>;

#[derive(Deserialize)]
struct Otlp<'a> {
    #[serde(borrow, rename = "resourceLogs")]
    resource_logs: Vec<OtlpResource<'a>>,
}

#[derive(Deserialize)]
struct OtlpResource<'a> {
    #[serde(
        borrow,
        default,
        rename = "scopeLogs",
        alias = "instrumentationLibraryLogs"
    )]
    scope_logs: Vec<OtlpScope<'a>>,
}

#[derive(Deserialize)]
struct OtlpScope<'a> {
    #[serde(borrow, default, rename = "logRecords")]
    log_records: Vec<OtlpRecord<'a>>,
}

#[derive(Deserialize)]
struct OtlpRecord<'a> {
    #[serde(borrow, default)]
    body: Option<&'a RawValue>,
}

/// The bodies of an OTLP/JSON `LogsData` document
/// (`resourceLogs[].scopeLogs[].logRecords[].body`): a `stringValue` is the event
/// text, a `kvlistValue` is turned into the JSON object it stands for.
pub(crate) fn otlp_bodies(text: &str) -> Result<Vec<Candidate>, String> {
    let d: Otlp = serde_json::from_str(text).map_err(|e| format!("OTLP logs: {e}"))?;
    let mut out = Vec::new();
    for r in &d.resource_logs {
        for s in &r.scope_logs {
            for rec in &s.log_records {
                out.push(match rec.body {
                    None => Err("OTLP log record without a body".to_string()),
                    Some(b) => otlp_body(b.get()),
                });
            }
        }
    }
    Ok(out)
}

fn otlp_body(raw: &str) -> Candidate {
    let v: Value = serde_json::from_str(raw).map_err(|e| format!("OTLP log body: {e}"))?;
    if let Some(s) = v.get("stringValue").and_then(Value::as_str) {
        return Ok(s.to_string());
    }
    if v.get("kvlistValue").is_some() {
        return serde_json::to_string(&any_value(&v, 0)).map_err(|e| e.to_string());
    }
    Err("OTLP log body is neither a string nor a key-value list".into())
}

/// An OTLP `AnyValue` (opentelemetry-proto `common/v1/common.proto`) as plain JSON.
/// `intValue` is a string in OTLP/JSON (a 64-bit integer); it becomes a number.
fn any_value(v: &Value, depth: u32) -> Value {
    if depth > 64 {
        return Value::Null;
    }
    let Some(o) = v.as_object() else {
        return Value::Null;
    };
    if let Some(s) = o.get("stringValue") {
        return s.clone();
    }
    if let Some(b) = o.get("boolValue") {
        return b.clone();
    }
    if let Some(i) = o.get("intValue") {
        return match i {
            Value::String(s) => s
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| i.clone()),
            _ => i.clone(),
        };
    }
    if let Some(d) = o.get("doubleValue") {
        return d.clone();
    }
    if let Some(b) = o.get("bytesValue") {
        return b.clone();
    }
    if let Some(a) = o.get("arrayValue") {
        let vals = a.get("values").and_then(Value::as_array);
        return Value::Array(
            vals.map(|vs| vs.iter().map(|x| any_value(x, depth + 1)).collect())
                .unwrap_or_default(),
        );
    }
    if let Some(kv) = o.get("kvlistValue") {
        let mut m = serde_json::Map::new();
        for e in kv
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(k) = e.get("key").and_then(Value::as_str) {
                let val = e
                    .get("value")
                    .map_or(Value::Null, |x| any_value(x, depth + 1));
                m.insert(k.to_string(), val);
            }
        }
        return Value::Object(m);
    }
    Value::Null
}

#[derive(Deserialize)]
struct LokiData<'a> {
    #[serde(borrow)]
    result: Vec<LokiStream<'a>>,
}

#[derive(Deserialize)]
struct LokiStream<'a> {
    #[serde(borrow, default)]
    values: Vec<Vec<&'a RawValue>>,
}

/// The log lines of a Loki `query_range`/`query` response's `data`
/// (`{"resultType":"streams","result":[{"stream":{…},"values":[["<ns>","<line>"],…]}]}`).
/// `None` when `data` is not such an object (then it is not a Loki response).
pub(crate) fn loki_lines(data: &str) -> Option<Vec<Candidate>> {
    let d: LokiData = serde_json::from_str(data).ok()?;
    let mut out = Vec::new();
    for s in &d.result {
        for v in &s.values {
            out.push(match v.get(1) {
                Some(line) => serde_json::from_str::<String>(line.get())
                    .map_err(|_| "Loki value whose line is not a string".to_string()),
                None => Err("Loki value without a line".to_string()),
            });
        }
    }
    Some(out)
}

#[derive(Deserialize)]
struct EsHits<'a> {
    #[serde(borrow)]
    hits: &'a RawValue,
}

/// The `hits.hits` array of an Elasticsearch/OpenSearch `_search` response's `hits`
/// member, or `None` when it is no such object.
pub(crate) fn es_hits(hits: &str) -> Option<&str> {
    let h: EsHits = serde_json::from_str(hits).ok()?;
    let t = h.hits.get();
    t.trim_start().starts_with('[').then_some(t)
}

#[derive(Deserialize)]
struct Sub<'a> {
    #[serde(borrow, default)]
    audit: Option<&'a RawValue>,
    #[serde(borrow, default)]
    original: Option<&'a RawValue>,
}

/// `kubernetes.audit` (the Elastic Kubernetes integration's field for the event) or
/// `event.original` (ECS: the event's original text) of a Beats document.
pub(crate) fn sub_member<'a>(obj: &'a str, key: &str) -> Option<&'a str> {
    let s: Sub = serde_json::from_str(obj).ok()?;
    match key {
        "audit" => s.audit.map(|r| r.get()),
        _ => s.original.map(|r| r.get()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_keeps_event_members_in_order() {
        let t = r#"{"level":"default","hostname":"h","k8s_audit_level":"Metadata","auditID":"a","kind":"Event","requestObject":{"b": 1},"timestamp":"x"}"#;
        assert_eq!(
            normalize_event(t, Some("Metadata")).unwrap(),
            r#"{"kind":"Event","level":"Metadata","auditID":"a","requestObject":{"b": 1},"timestamp":"x"}"#
        );
        assert!(normalize_event("[1]", None).is_err());
    }

    #[test]
    fn otlp_any_values() {
        let kv = r#"{"kvlistValue":{"values":[{"key":"a","value":{"intValue":"7"}},{"key":"b","value":{"arrayValue":{"values":[{"boolValue":true},{"stringValue":"s"}]}}}]}}"#;
        assert_eq!(otlp_body(kv).unwrap(), r#"{"a":7,"b":[true,"s"]}"#);
        assert_eq!(otlp_body(r#"{"stringValue":"{}"}"#).unwrap(), "{}");
        assert!(otlp_body(r#"{"intValue":"1"}"#).is_err());
        assert!(otlp_body("nope").is_err());
    }

    #[test]
    fn loki_and_es_shapes() {
        let d = r#"{"resultType":"streams","result":[{"stream":{"a":"b"},"values":[["1","{}"],["2",3],["3"]]}]}"#;
        let l = loki_lines(d).unwrap();
        assert_eq!(l.len(), 3);
        assert_eq!(l[0].as_deref(), Ok("{}"));
        assert!(l[1].is_err() && l[2].is_err());
        assert!(loki_lines(r#"{"x":1}"#).is_none());
        assert_eq!(es_hits(r#"{"total":1,"hits":[{}]}"#), Some("[{}]"));
        assert_eq!(es_hits(r#"{"hits":3}"#), None);
        assert_eq!(es_hits("7"), None);
    }
}
