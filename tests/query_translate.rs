//! `query --as`: the filter language in other engines' languages.
//!
//! jq is a real engine here: for every filter of the query test table (tests/query.rs and
//! tests/body_query.rs, plus alternatives, negations and times), the jq program run by the
//! real `jq` over the log file selects exactly the events `audit-lens query --events`
//! selects, on a generated log and on corpus logs (v1beta1 with `timestamp`, OpenShift
//! RequestResponse with bodies, Falco's pretty single-event documents).
//! LogQL and KQL are only PARSED, by their own parsers (Grafana's Lezer grammar of LogQL;
//! Microsoft's Kusto.Language, which also analyses the query against the AKSAudit columns):
//! tests/translate/syntax.mjs. CloudWatch Logs Insights has no parser we can run: its
//! queries are checked for their structure and every regular expression compiles.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use audit_lens::gen::{generate, GenOptions};
use audit_lens::query::translate::{translate, Lang, Options};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_audit-lens");

/// The filters: tests/query.rs `filters_equal_a_plain_scan` and `time_filters`, the body
/// filters of tests/body_query.rs, and more alternatives and negations.
const FILTERS: &[&str] = &[
    "",
    "user:alice@example.com",
    "user:ALICE*",
    "-verb:get,list,watch",
    "resource:pods/exec",
    "resource:pods",
    "resource:pods/*",
    "resource:leases.coordination.k8s.io",
    "resource:*/status",
    "resource:*",
    "resource:\"\"",
    "resource:config*,secrets",
    "ns:kube-system code:>=400",
    "code:4xx",
    "code:403",
    "code:200-299,>=500",
    "-code:2xx",
    "decision:forbid",
    "decision:allow -user:system:*",
    "stage:ResponseStarted",
    "stage:*started",
    "-stage:ResponseComplete",
    "level:Metadata",
    "level:Request*",
    "ip:203.0.113.*",
    "ip:10.*,172.*",
    "-ip:127.0.0.1",
    "group:system:nodes",
    "group:system:serviceaccounts:*",
    "-group:system:authenticated",
    "agent:kubectl*",
    "agent:*Go-http-client*",
    "latency:>1m",
    "latency:>1s",
    "latency:<=10ms",
    "as:system:serviceaccount:shop:web",
    "as:*",
    "as:\"\"",
    "-as:\"\"",
    "uri:/healthz",
    "uri:/api/v1/namespaces/*/pods/*",
    "uri:/apis/*",
    "secrets",
    "kube-node-lease/leases",
    "HEALTHZ",
    "ns:\"\"",
    "agent:\"kubectl, curl\"",
    "user:nobody-at-all",
    "verb:get -verb:get",
    "name:*-0,kube-*",
    "apigroup:\"\" verb:create,update,patch,delete",
    "auditid:*a*",
    "reason:Forbidden,NotFound",
    "verb:create -ns:kube-system,default",
    "req.spec.containers.securityContext.privileged:true",
    "req.roleRef.name:cluster-admin",
    "req.spec.hostNetwork:true",
    "resp.reason:*",
    "resp.spec.leaseDurationSeconds:>=15",
    "resp.metadata.name:strimzi-cluster-operator resource:leases",
    "resp.spec.renewTime:*",
    "req.metadata.name:* -resp.kind:Status",
    "req.kind:* verb:create,update,patch",
    "resp.metadata.namespace:kafka,openshift-*",
    "req.spec.containers[*].image:*",
    "req.rules[*].verbs:\"*\"",
    "resp.items[0].metadata.name:*",
    "resp.metadata.labels.*:*",
    "-req.spec.containers.image:*nginx*",
];

fn jq_selected(program: &str, log: &Path) -> Vec<String> {
    let out = Command::new("jq")
        .arg("-c")
        .arg(program)
        .arg(log)
        .output()
        .expect("jq is a test tool here (scripts/setup.sh installs it)");
    assert!(
        out.status.success(),
        "jq failed on {}:\n{}\nprogram:\n{program}",
        log.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    normalize(&out.stdout)
}

/// Every event re-serialized with sorted keys (serde_json's map is ordered), sorted: the
/// two sides compare as sets of events whatever their order, spacing and key order.
fn normalize(out: &[u8]) -> Vec<String> {
    let mut v: Vec<String> = serde_json::Deserializer::from_slice(out)
        .into_iter::<serde_json::Value>()
        .map(|e| e.expect("JSON events").to_string())
        .collect();
    v.sort();
    v
}

fn audit_lens_selected(filter: &str, log: &Path) -> Vec<String> {
    let out = Command::new(BIN)
        .args(["query", "--events", "--filter", filter])
        .arg(log)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{filter}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    normalize(&out.stdout)
}

/// A time inside the log (its median received time, to the minute): `after:`/`before:`
/// terms cut it in two.
fn mid_minute(log: &Path) -> String {
    let out = Command::new("jq")
        .args([
            "-r",
            "-s",
            "[.[] | (.requestReceivedTimestamp // .timestamp // empty)] | sort | .[length/2|floor] | .[0:16]",
        ])
        .arg(log)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn logs() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("query_translate");
    std::fs::create_dir_all(&dir).unwrap();
    let gen = dir.join("gen.log");
    let mut v = Vec::new();
    generate(
        &GenOptions {
            duration_s: 1800,
            max_bytes: 4 << 20,
            ..Default::default()
        },
        &mut |b| v.extend_from_slice(b),
    );
    std::fs::write(&gen, &v).unwrap();
    let mut logs = vec![gen];
    if let Some(c) = common::corpus() {
        let l = c.join("logs");
        for f in [
            "audit2rbac-demo-original-v1beta1.log",
            "openshift-clo-apiaudit-audit_in.log",
            "openshift-clo-apiaudit-filter-audit.log",
            "audit2rbac-demo-v1.log",
            "openshift-clo-log5607-sample-pretty.json",
        ] {
            logs.push(l.join(f));
        }
        // Falco's traces: one pretty event per file; a few with secrets and pods/exec.
        // Read as one file of concatenated pretty documents (as both jq and the page read
        // them), written to the test's temporary directory.
        let mut falco: Vec<PathBuf> = std::fs::read_dir(l.join("falco-k8s-audit-traces"))
            .unwrap()
            .map(|e| e.unwrap().path())
            // fal_01_003.json is a deliberately malformed fixture (`{"kind": 0}`).
            .filter(|p| !p.ends_with("fal_01_003.json"))
            .collect();
        falco.sort();
        assert!(falco.len() >= 40, "{}", falco.len());
        let mut all = Vec::new();
        for f in &falco {
            all.extend(std::fs::read(f).unwrap());
            all.push(b'\n');
        }
        let joined = dir.join("falco-traces.json");
        std::fs::write(&joined, all).unwrap();
        logs.push(joined);
    }
    logs
}

#[test]
fn jq_selects_exactly_the_events_audit_lens_selects() {
    let logs = logs();
    let mut checked = 0;
    let mut nonempty = 0;
    for log in &logs {
        let mid = mid_minute(log);
        let mut filters: Vec<String> = FILTERS.iter().map(|s| s.to_string()).collect();
        if !mid.is_empty() {
            filters.push(format!("after:{mid}"));
            filters.push(format!("before:{mid}"));
            filters.push(format!("after:{mid}:30.5Z verb:get,list"));
            filters.push(format!("-before:{mid}"));
        }
        for f in &filters {
            let t = translate(f, Lang::Jq, &Options::default())
                .unwrap_or_else(|e| panic!("{f}: {e:?}"));
            let want = audit_lens_selected(f, log);
            let got = jq_selected(&t.text, log);
            assert_eq!(
                got.len(),
                want.len(),
                "filter {f:?} on {}: jq selects {}, audit-lens {}",
                log.display(),
                got.len(),
                want.len()
            );
            assert_eq!(got, want, "filter {f:?} on {}", log.display());
            checked += 1;
            if !want.is_empty() {
                nonempty += 1;
            }
        }
    }
    eprintln!("{checked} (filter, log) pairs, {nonempty} with events");
    // Not a vacuous comparison: most pairs select something.
    assert!(nonempty * 3 > checked, "{nonempty} of {checked}");
}

#[test]
fn time_bounds_are_exact_to_the_microsecond() {
    // Hand-made events around a bound: 08:29:59.999999 is before, 08:30:00 is not;
    // an offset time +02:00 is two hours earlier in UTC.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("query_translate");
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("times.log");
    let ev = |id: &str, t: &str| {
        format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"ResponseComplete","requestURI":"/healthz","verb":"get","user":{{"username":"u"}},"requestReceivedTimestamp":"{t}","stageTimestamp":"{t}"}}"#
        )
    };
    let lines = [
        ev("a", "2026-11-02T08:29:59.999999Z"),
        ev("b", "2026-11-02T08:30:00Z"),
        ev("c", "2026-11-02T08:30:00.000001Z"),
        ev("d", "2026-11-02T10:30:00.5+02:00"),
        ev("e", "2026-11-02T10:29:59+02:00"),
    ];
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    for (f, n) in [
        ("after:2026-11-02T08:30", 3),
        ("before:2026-11-02T08:30", 2),
        ("after:2026-11-02T08:30:00.000001Z", 2),
        ("after:2026-11-02T08:30:00.5Z", 1),
    ] {
        let t = translate(f, Lang::Jq, &Options::default()).unwrap();
        let want = audit_lens_selected(f, &log);
        assert_eq!(want.len(), n, "{f}: audit-lens (hand count)");
        assert_eq!(jq_selected(&t.text, &log), want, "{f}");
    }
}

/// Every translatable filter of the table, in LogQL and KQL, through their parsers.
#[test]
fn logql_and_kql_parse_with_their_own_parsers() {
    let mut batch = Vec::new();
    let mut refused = Vec::new();
    let filters: Vec<&str> = FILTERS
        .iter()
        .copied()
        .chain(["after:2026-11-02T08:30 before:2026-11-02T09:00 verb:delete"])
        .collect();
    for f in &filters {
        for lang in [Lang::LogQl, Lang::Kql] {
            match translate(f, lang, &Options::default()) {
                Ok(t) => batch.push((lang, f.to_string(), t.text)),
                Err(e) => refused.push((lang, f.to_string(), e.message)),
            }
        }
    }
    let input = serde_json::to_string(
        &batch
            .iter()
            .map(|(l, _, t)| serde_json::json!({"lang": l.as_str(), "text": t}))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/translate/syntax.mjs");
    let mut child = Command::new("node")
        .arg(script)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node (the e2e tests' runtime)");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "syntax.mjs (npm ci installs its parsers): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let problems: Vec<Vec<String>> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(problems.len(), batch.len());
    for ((lang, f, text), p) in batch.iter().zip(&problems) {
        assert!(
            p.is_empty(),
            "{lang:?} of {f:?} does not parse: {p:?}\n{text}"
        );
    }
    // Most of the table translates; what is refused is what these languages cannot say.
    let logql = batch.iter().filter(|b| b.0 == Lang::LogQl).count();
    let kql = batch.iter().filter(|b| b.0 == Lang::Kql).count();
    assert!(logql >= 50 && kql >= 60, "logql {logql}, kql {kql}");
    for (lang, f, m) in &refused {
        let body = f.starts_with("req.") || f.starts_with("resp.") || f.starts_with("-req.");
        assert!(
            body || f.starts_with("latency:"),
            "{lang:?} refused {f:?}: {m}"
        );
    }
    eprintln!(
        "{} queries parsed ({logql} LogQL, {kql} KQL); refused: {:?}",
        batch.len(),
        refused
    );
}

#[test]
fn cloudwatch_queries_are_well_formed() {
    let mut n = 0;
    for f in FILTERS {
        let Ok(t) = translate(f, Lang::CloudWatch, &Options::default()) else {
            continue;
        };
        n += 1;
        let lines: Vec<&str> = t.text.lines().collect();
        assert!(lines[0].starts_with("fields @timestamp"), "{f}");
        assert_eq!(*lines.last().unwrap(), "| sort @timestamp desc", "{f}");
        // Balanced parentheses and brackets outside string and regex literals.
        let (mut depth, mut in_str, mut in_re, mut esc) = (0i32, false, false, false);
        let mut in_bt = false;
        for c in t.text.chars() {
            if esc {
                esc = false;
                continue;
            }
            match c {
                '`' if !in_str && !in_re => in_bt = !in_bt,
                _ if in_bt => {}
                '\\' if in_str || in_re => esc = true,
                '"' if !in_re => in_str = !in_str,
                '/' if !in_str => in_re = !in_re,
                '(' | '[' if !in_str && !in_re => depth += 1,
                ')' | ']' if !in_str && !in_re => depth -= 1,
                _ => {}
            }
            assert!(depth >= 0, "{f}: {}", t.text);
        }
        assert!(
            depth == 0 && !in_str && !in_re && !in_bt,
            "{f}: unbalanced\n{}",
            t.text
        );
    }
    assert!(n >= 50, "{n}");
}

#[test]
fn engine_only_terms_are_refused_with_their_place() {
    for lang in Lang::ALL {
        let e = translate("verb:get fact:privileged", lang, &Options::default()).unwrap_err();
        assert_eq!((e.start, e.end), (9, 24), "{lang:?}");
        let e = translate("rule:3", lang, &Options::default()).unwrap_err();
        assert!(e.message.contains("audit-lens sql"), "{}", e.message);
    }
    let e = translate("latency:>1s", Lang::LogQl, &Options::default()).unwrap_err();
    assert!(e.message.contains("latency"), "{}", e.message);
}

#[test]
fn cli_prints_the_query_and_notes() {
    let out = Command::new(BIN)
        .args([
            "query",
            "--as",
            "logql",
            "--filter",
            "verb:delete ns:prod",
            "--selector",
            "{job=\"audit\"}",
            "--after",
            "2026-11-02T08:00:00Z",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let q = String::from_utf8(out.stdout).unwrap();
    assert!(q.starts_with("{job=\"audit\"} | json "), "{q}");
    assert!(q.contains("audit_verb=~\"(?is)delete\""), "{q}");
    let notes = String::from_utf8(out.stderr).unwrap();
    assert!(notes.contains("--from=2026-11-02T08:00:00"), "{notes}");
    let bad = Command::new(BIN)
        .args(["query", "--as", "sql", "--filter", "verb:get"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("jq, logql, cloudwatch or kql"));
}
