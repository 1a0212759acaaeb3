//! The policy as SQL on real engines (issue 15 §2): `audit-lens sql` writes the query,
//! DuckDB runs it over `audit-lens export --format parquet`, and every row's rule (and the
//! level, omitted stage and kept bytes derived from it), every rule's events and bytes and
//! the what-if totals equal the native evaluator's (`CompiledPolicy::evaluate` per row,
//! `estimate_size_mf`), on the corpus logs and a generated log, for corpus policies and a
//! fixture with every selector form (tests/sql/wildcards-policy.yaml).
//!
//! What runs where (tests/sql/run_queries.py):
//! - EXECUTED: the duckdb dialect in DuckDB (PyPI `duckdb`) over the Parquet file; the
//!   `--schema raw-json` duckdb query over the generated log read by DuckDB's `read_json`.
//! - PARSED ONLY: spark, trino, bigquery, clickhouse with `sqlglot.parse_one(sql,
//!   read=dialect)` (a parser that knows them; it accepts unknown functions as anonymous
//!   calls, so a parse proves the syntax, not the functions).
//! - ALSO EXECUTED, AFTER TRANSLATION: each of those four transpiled by sqlglot to DuckDB
//!   and run there, with `arrays_overlap` (Spark, Trino) and `hasAny` (ClickHouse), which
//!   sqlglot leaves untranslated, given to DuckDB as macros of their documented meaning
//!   (true when the two arrays share an element): the result must equal the duckdb
//!   SQL's exactly. This checks the translated text's logic, not the other engines.
//!
//! The Parquet file itself is checked independently too: DuckDB reads it back and each
//! row's fields equal a serde_json scan of the log's lines.
//!
//! The Python side lives in a virtual environment made by scripts/setup.sh (`.venv`,
//! pinned duckdb and sqlglot); without it the tests say they skip, and under CI
//! (`CI=true`) they fail, since a missing venv would make them pass untested.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use audit_lens::analysis::coverage::coverage;
use audit_lens::analysis::evaluate::{evaluate, AttrIndex};
use audit_lens::analysis::volume::{estimate_size_mf, under_policy};
use audit_lens::audit::eval::CompiledPolicy;
use audit_lens::audit::policy::{load_policy_bytes, LoadOptions};
use audit_lens::ingest::Ingester;
use audit_lens::store::Store;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BIN: &str = env!("CARGO_BIN_EXE_audit-lens");
const DIALECTS: [&str; 5] = ["duckdb", "spark", "trino", "bigquery", "clickhouse"];
const QUERIES: [&str; 3] = ["rows", "coverage", "whatif"];

/// The venv's Python with duckdb and sqlglot, or `None` (skip) outside CI.
fn python() -> Option<PathBuf> {
    let py = PathBuf::from(ROOT).join(".venv/bin/python");
    let ok = py.is_file()
        && Command::new(&py)
            .args(["-c", "import duckdb, sqlglot"])
            .status()
            .is_ok_and(|s| s.success());
    if ok {
        return Some(py);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "CI=true but {} cannot import duckdb and sqlglot: scripts/setup.sh makes the venv",
            py.display()
        );
    }
    eprintln!("skipped: no .venv with duckdb and sqlglot (run scripts/setup.sh)");
    None
}

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("audit-lens-sql-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn cli(args: &[&str]) -> Vec<u8> {
    let o = Command::new(BIN)
        .args(args)
        .output()
        .expect("run audit-lens");
    assert!(
        o.status.success(),
        "audit-lens {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

/// The logs as the CLI reads them: each file named by its path, time-ordered, an event
/// an earlier file holds dropped.
fn native_store(logs: &[PathBuf]) -> Store {
    let mut s = Store::new();
    for p in logs {
        let bytes = std::fs::read(p).expect("log");
        let name = p.to_string_lossy();
        let mut ing = Ingester::new(&mut s, &name, bytes.len() as u64);
        ing.push(&mut s, &bytes);
        ing.finish(&mut s);
    }
    s.finalize();
    s.drop_cross_file_duplicates();
    s
}

fn policy(path: &Path) -> CompiledPolicy {
    let bytes = std::fs::read(path).expect("policy");
    load_policy_bytes(&path.to_string_lossy(), &bytes, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .compiled
}

/// Per row, by (file, offset, item): the native decision as the SQL states it.
type Key = (String, i64, Option<i64>);
#[derive(Debug, PartialEq, Clone)]
struct Judged {
    rule: Option<i64>,
    level: String,
    omitted: bool,
    kept: i64,
    bytes: i64,
}

fn native_rows(s: &Store, p: &CompiledPolicy) -> HashMap<Key, Judged> {
    let mut m = HashMap::new();
    for r in 0..s.len() {
        let d = s.with_attrs(r, |a| p.evaluate(a));
        let omitted = s.stage(r).is_some_and(|st| d.omit_stages.contains(st));
        let kept = estimate_size_mf(s, r, d.level, omitted, d.omit_managed_fields).bytes;
        let key = (
            s.files[s.file(r) as usize].name.clone(),
            s.offset(r) as i64,
            s.wrap_item(r).map(i64::from),
        );
        let j = Judged {
            rule: d.rule.map(|i| i as i64),
            level: d.level.as_str().to_string(),
            omitted,
            kept: kept as i64,
            bytes: s.event_size(r) as i64,
        };
        assert!(m.insert(key.clone(), j).is_none(), "key {key:?} twice");
    }
    m
}

/// Exports `logs` (plain.parquet, and policy.parquet with the policy), writes every
/// dialect's SQL, runs tests/sql/run_queries.py and returns its result.
fn run_case(py: &Path, dir: &Path, logs: &[PathBuf], pol: &Path, raw: Option<&Path>) -> Value {
    let log_args: Vec<String> = logs.iter().map(|p| p.to_string_lossy().into()).collect();
    let plain = dir.join("plain.parquet");
    if !plain.exists() {
        let mut a: Vec<&str> = vec!["export", "--format", "parquet"];
        a.extend(log_args.iter().map(String::as_str));
        a.extend(["-o", plain.to_str().unwrap()]);
        cli(&a);
    }
    let with = dir.join("policy.parquet");
    let mut a: Vec<&str> = vec!["export", "--format", "parquet", "--policy"];
    a.push(pol.to_str().unwrap());
    a.extend(log_args.iter().map(String::as_str));
    a.extend(["-o", with.to_str().unwrap()]);
    cli(&a);
    for d in DIALECTS {
        for q in QUERIES {
            let sql = cli(&[
                "sql",
                "--policy",
                pol.to_str().unwrap(),
                "--dialect",
                d,
                "--query",
                q,
            ]);
            std::fs::write(dir.join(format!("{d}-{q}.sql")), sql).unwrap();
        }
    }
    let raw_target = dir.join("raw.log");
    let _ = std::fs::remove_file(&raw_target);
    if let Some(r) = raw {
        std::fs::copy(r, &raw_target).unwrap();
        let sql = cli(&[
            "sql",
            "--policy",
            pol.to_str().unwrap(),
            "--dialect",
            "duckdb",
            "--schema",
            "raw-json",
            "--table",
            "raw_events",
        ]);
        std::fs::write(dir.join("duckdb-raw-rows.sql"), sql).unwrap();
    }
    let o = Command::new(py)
        .arg(PathBuf::from(ROOT).join("tests/sql/run_queries.py"))
        .arg(dir)
        .output()
        .expect("python");
    assert!(
        o.status.success(),
        "run_queries.py: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(dir.join("result.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn int(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// Everything the SQL said about one (logs, policy) case against the native evaluator.
fn check(name: &str, s: &Store, p: &CompiledPolicy, res: &Value, raw: bool) {
    let want = native_rows(s, p);
    // Each row: rule, level, omitted, kept bytes.
    let rows = res["rows"].as_array().unwrap();
    assert_eq!(rows.len(), s.len(), "{name}: rows");
    let mut got: HashMap<Key, Judged> = HashMap::new();
    for r in rows {
        let key = (
            r[0].as_str().unwrap().to_string(),
            int(&r[1]).unwrap(),
            int(&r[2]),
        );
        let w = &want[&key];
        let j = Judged {
            rule: int(&r[3]),
            level: r[4].as_str().unwrap().to_string(),
            omitted: r[5].as_bool().unwrap(),
            kept: int(&r[6]).unwrap(),
            bytes: w.bytes,
        };
        assert_eq!(&j, w, "{name}: row {key:?}");
        got.insert(key, j);
    }
    assert_eq!(got.len(), want.len(), "{name}: distinct rows");
    // The export's own decision columns (the native evaluation via AttrIndex) agree.
    assert_eq!(int(&res["export_rows"]), Some(s.len() as i64), "{name}");
    assert_eq!(
        int(&res["export_mismatches"]),
        Some(0),
        "{name}: export vs SQL"
    );

    // Coverage: one row per rule plus "no rule", tallied here from the per-row decisions.
    let mut tally: BTreeMap<Option<i64>, (i64, i64, i64, i64)> = BTreeMap::new();
    for i in 0..p.rule_count() {
        tally.insert(Some(i as i64), (0, 0, 0, 0));
    }
    tally.insert(None, (0, 0, 0, 0));
    for j in want.values() {
        let t = tally.get_mut(&j.rule).unwrap();
        t.0 += 1;
        t.1 += j.bytes;
        t.2 += j.kept;
        t.3 += j.omitted as i64;
    }
    let cov = res["coverage"].as_array().unwrap();
    assert_eq!(cov.len(), p.rule_count() + 1, "{name}: coverage rows");
    for c in cov {
        let rule = int(&c[0]);
        let t = tally[&rule];
        let row = (
            int(&c[2]).unwrap(),
            int(&c[3]).unwrap(),
            int(&c[4]).unwrap(),
            int(&c[5]).unwrap(),
        );
        assert_eq!(row, t, "{name}: coverage of rule {rule:?}");
        let level = rule.map_or("None", |i| p.rule_level(i as usize).as_str());
        assert_eq!(c[1].as_str(), Some(level), "{name}: level of rule {rule:?}");
    }
    // The CLI's coverage (evaluated per distinct tuple) counts the same events.
    let ev = evaluate(s, &AttrIndex::build(s), p);
    let native_cov = coverage(s, p, &ev);
    for rc in &native_cov.rules {
        assert_eq!(tally[&Some(rc.rule as i64)].0 as u64, rc.events, "{name}");
        assert_eq!(
            tally[&Some(rc.rule as i64)].2 as u64,
            rc.kept_bytes,
            "{name}"
        );
    }
    assert_eq!(tally[&None].0 as u64, native_cov.unmatched_events, "{name}");
    // What-if against analysis::volume::under_policy.
    let vol = under_policy(s, p, &ev, "p");
    let w = &res["whatif"][0];
    let total: i64 = want.values().map(|j| j.bytes).sum();
    assert_eq!(int(&w[0]), Some(s.len() as i64), "{name}: whatif events");
    assert_eq!(int(&w[1]), Some(total), "{name}: whatif bytes");
    assert_eq!(int(&w[2]), Some(vol.events as i64), "{name}: kept events");
    assert_eq!(int(&w[3]), Some(vol.bytes as i64), "{name}: kept bytes");
    assert_eq!(int(&w[4]), Some(tally[&None].0), "{name}: unmatched");
    let omitted: i64 = want.values().map(|j| j.omitted as i64).sum();
    assert_eq!(int(&w[5]), Some(omitted), "{name}: omitted");

    // Other dialects: parsed, and their DuckDB translation returns the same rows.
    for d in &DIALECTS[1..] {
        let r = &res["dialects"][d];
        for q in QUERIES {
            assert_eq!(
                r["parsed"][q].as_bool(),
                Some(true),
                "{name}: {d} {q} does not parse: {}",
                r["errors"]
            );
            assert_eq!(
                r["executed_same"][q].as_bool(),
                Some(true),
                "{name}: {d} {q} transpiled to DuckDB differs: {}",
                r["errors"]
            );
        }
    }

    if raw {
        // --schema raw-json over the raw lines: the same (auditID, stage, rule) multiset.
        let mut a: Vec<(String, Option<String>, Option<i64>)> = res["raw_rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r[0].as_str().unwrap().to_string(),
                    r[1].as_str().map(str::to_string),
                    int(&r[2]),
                )
            })
            .collect();
        let mut b: Vec<(String, Option<String>, Option<i64>)> = (0..s.len())
            .map(|r| {
                (
                    s.audit_id(r),
                    s.stage(r).map(|x| x.as_str().to_string()),
                    s.with_attrs(r, |x| p.evaluate(x)).rule.map(|i| i as i64),
                )
            })
            .collect();
        a.sort();
        b.sort();
        assert_eq!(a.len(), b.len(), "{name}: raw rows");
        assert!(a == b, "{name}: raw-json rules differ");
    }
    eprintln!(
        "{name}: {} rows, {} rules: SQL = native evaluator (duckdb executed; 4 dialects parsed + translated and executed)",
        s.len(),
        p.rule_count()
    );
}

/// A generated log (`gen::generate`) plus events made here that tell each selector form
/// of the fixture policy from its near misses (checker.go's forms; the rule each should
/// get under tests/sql/wildcards-policy.yaml in the comment), so a wrong SQL form changes
/// some row's rule.
fn generated_log(dir: &Path) -> PathBuf {
    let mut buf = Vec::new();
    let o = audit_lens::gen::GenOptions {
        max_bytes: 6 << 20,
        ..Default::default()
    };
    audit_lens::gen::generate(&o, &mut |b| buf.extend_from_slice(b));
    let first = buf.split(|&b| b == b'\n').next().unwrap();
    let template: Value = serde_json::from_slice(first).unwrap();
    if buf.last() != Some(&b'\n') {
        buf.push(b'\n');
    }
    // (user, groups, verb, objectRef as (group, resource, subresource, namespace, name) or
    // None for a non-resource request, requestURI)
    type Edge = (
        &'static str,
        &'static [&'static str],
        &'static str,
        Option<[&'static str; 5]>,
        &'static str,
    );
    let edges: [Edge; 14] = [
        // rule 0: a user name with a quote and a backslash
        (
            "it's\\odd",
            &[],
            "get",
            Some(["", "pods", "", "default", "a"]),
            "/api/v1/namespaces/default/pods/a",
        ),
        // rule 1: "/healthz*" is a string prefix: /healthzfoo too
        ("u1", &[], "get", None, "/healthzfoo"),
        // rule 2: "/api*" takes /apis; "/openapi/v*" takes /openapi/v2
        ("u1", &[], "get", None, "/apis"),
        ("u1", &[], "get", None, "/openapi/v2?timeout=32s"),
        // rule 10: /healt is no prefix of a spec; /readyz/x is not "/readyz" exactly
        ("u1", &[], "get", None, "/healt"),
        ("u1", &[], "get", None, "/readyz/x"),
        // rule 4: group "*" with "*/status" takes apps' deployments/status
        (
            "u1",
            &[],
            "update",
            Some(["apps", "deployments", "status", "default", "d"]),
            "/apis/apps/v1/namespaces/default/deployments/d/status",
        ),
        // not rule 4: a resource named "status" without a subresource; rule 9 (write in core)
        (
            "u1",
            &[],
            "update",
            Some(["", "status", "", "default", "s"]),
            "/api/v1/namespaces/default/status/s",
        ),
        // rule 5: "pods/*" takes pods itself and pods/log in the listed namespaces
        (
            "u1",
            &[],
            "get",
            Some(["", "pods", "log", "kube-system", "p"]),
            "/api/v1/namespaces/kube-system/pods/p/log",
        ),
        (
            "u1",
            &[],
            "get",
            Some(["", "pods", "", "default", "p"]),
            "/api/v1/namespaces/default/pods/p",
        ),
        // not rule 5: podsx; rule 10
        (
            "u1",
            &[],
            "get",
            Some(["", "podsx", "", "default", "p"]),
            "/api/v1/namespaces/default/podsx/p",
        ),
        // rule 6: resourceNames; another name falls to rule 10
        (
            "u1",
            &[],
            "get",
            Some(["", "configmaps", "", "default", "kube-root-ca.crt"]),
            "/api/v1/namespaces/default/configmaps/kube-root-ca.crt",
        ),
        (
            "u1",
            &[],
            "get",
            Some(["", "configmaps", "", "default", "other"]),
            "/api/v1/namespaces/default/configmaps/other",
        ),
        // rule 3 needs a group of the user: system:nodes among others
        (
            "u2",
            &["system:authenticated", "system:nodes"],
            "list",
            Some(["", "pods", "", "", ""]),
            "/api/v1/pods",
        ),
    ];
    for (i, (user, groups, verb, obj, uri)) in edges.iter().enumerate() {
        let mut e = template.clone();
        e["auditID"] = Value::from(format!("00000000-0000-4000-8000-{:012x}", 0xabc000 + i));
        e["user"] = serde_json::json!({"username": user, "groups": groups});
        e["verb"] = Value::from(*verb);
        e["requestURI"] = Value::from(*uri);
        e["stage"] = Value::from("ResponseComplete");
        let m = e.as_object_mut().unwrap();
        m.remove("requestObject");
        m.remove("responseObject");
        match obj {
            Some([g, r, sub, ns, name]) => {
                m.insert(
                    "objectRef".into(),
                    serde_json::json!({"apiGroup": g, "resource": r, "subresource": sub,
                                       "namespace": ns, "name": name, "apiVersion": "v1"}),
                );
            }
            None => {
                m.remove("objectRef");
            }
        }
        buf.extend_from_slice(serde_json::to_string(&e).unwrap().as_bytes());
        buf.push(b'\n');
    }
    let p = dir.join("generated.log");
    std::fs::write(&p, &buf).unwrap();
    p
}

/// The rule tests/sql/wildcards-policy.yaml gives each event [`generated_log`] adds, by
/// audit ID suffix (worked out by hand from checker.go's forms, see the comments there).
const EDGE_RULES: [Option<i64>; 14] = [
    Some(0),
    Some(1),
    Some(2),
    Some(2),
    Some(10),
    Some(10),
    Some(4),
    Some(9),
    Some(5),
    Some(5),
    Some(10),
    Some(6),
    Some(10),
    Some(3),
];

fn fixture() -> PathBuf {
    PathBuf::from(ROOT).join("tests/sql/wildcards-policy.yaml")
}

#[test]
fn duckdb_equals_native_on_corpus_logs() {
    let Some(py) = python() else { return };
    let Some(c) = common::corpus() else { return };
    // Every file of corpus/logs and of its Falco traces folder, read together (as one
    // `export` of all of them), with the CLI's duplicate rule across files.
    let mut logs: Vec<PathBuf> = Vec::new();
    for d in ["logs", "logs/falco-k8s-audit-traces"] {
        logs.extend(
            std::fs::read_dir(c.join(d))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.is_file()),
        );
    }
    logs.sort();
    assert!(logs.len() >= 50, "corpus logs: {}", logs.len());
    let s = native_store(&logs);
    assert!(s.len() > 800, "corpus events: {}", s.len());
    let dir = tmp_dir("corpus");
    let policies = [
        c.join("policies/kubernetes-gce-configure-helper-audit-policy.yaml"),
        c.join("policies/kubernetes-website-examples-audit-policy.yaml"),
        c.join("policies/falcosecurity-plugins-k8saudit-audit-policy.yaml"),
        c.join("realworld/policies/kubermatic-apiserver-audit-preset-recommended.extracted.yaml"),
        fixture(),
    ];
    for pol in &policies {
        let p = policy(pol);
        let res = run_case(&py, &dir, &logs, pol, None);
        let name = format!("corpus × {}", pol.file_name().unwrap().to_string_lossy());
        check(&name, &s, &p, &res, false);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn duckdb_equals_native_on_generated_log() {
    let Some(py) = python() else { return };
    let dir = tmp_dir("gen");
    let log = generated_log(&dir);
    let s = native_store(std::slice::from_ref(&log));
    assert!(s.len() > 2000, "generated events: {}", s.len());
    let sample = dir.join("sample-policy.yaml");
    std::fs::write(&sample, audit_lens::gen::sample_policy()).unwrap();
    let mut policies = vec![fixture(), sample];
    if let Some(c) = common::corpus() {
        policies.push(c.join("policies/kubernetes-gce-configure-helper-audit-policy.yaml"));
        policies.push(c.join("policies/kubernetes-website-examples-audit-policy.yaml"));
    }
    for pol in &policies {
        let p = policy(pol);
        let res = run_case(&py, &dir, std::slice::from_ref(&log), pol, Some(&log));
        let name = format!("generated × {}", pol.file_name().unwrap().to_string_lossy());
        check(&name, &s, &p, &res, true);
        if pol == &fixture() {
            // The added events got the rules worked out by hand (the SQL already equals
            // the evaluator; this pins both to checker.go's forms).
            let rows = res["rows"].as_array().unwrap();
            for (i, want) in EDGE_RULES.iter().enumerate() {
                let id = format!("00000000-0000-4000-8000-{:012x}", 0xabc000 + i);
                let r = (0..s.len()).find(|&r| s.audit_id(r) == id).unwrap();
                let got = s.with_attrs(r, |a| p.evaluate(a)).rule.map(|x| x as i64);
                assert_eq!(got, *want, "edge event {i}");
                let off = s.offset(r) as i64;
                let row = rows.iter().find(|x| int(&x[1]) == Some(off)).unwrap();
                assert_eq!(int(&row[3]), *want, "edge event {i} in SQL");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm), for reading
/// `requestReceivedTimestamp` here without the library.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2019-01-02T03:04:05.123456Z` → µs (UTC `Z` form only, as these logs write it).
fn micros(t: &str) -> i64 {
    let n = |a: usize, b: usize| t[a..b].parse::<i64>().unwrap();
    let secs = days_from_civil(n(0, 4), n(5, 7), n(8, 10)) * 86_400
        + n(11, 13) * 3600
        + n(14, 16) * 60
        + n(17, 19);
    let frac = t[19..].trim_end_matches('Z').trim_start_matches('.');
    let us = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<6}")[..6].parse::<i64>().unwrap()
    };
    secs * 1_000_000 + us
}

/// DuckDB reads the export back; each row equals the log line at its offset, read with
/// serde_json (fields, list columns, sizes, timestamps), and every event line is a row.
#[test]
fn parquet_values_equal_a_serde_json_scan() {
    let Some(py) = python() else { return };
    let dir = tmp_dir("values");
    let mut logs = vec![generated_log(&dir)];
    if let Some(c) = common::corpus() {
        logs.push(c.join("logs/audit2rbac-demo-v1.log"));
    }
    for log in &logs {
        let out = dir.join("values.parquet");
        cli(&[
            "export",
            "--format",
            "parquet",
            log.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        let o = Command::new(&py)
            .arg(PathBuf::from(ROOT).join("tests/sql/read_parquet.py"))
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let rows: Vec<Value> = String::from_utf8(o.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let by_offset: HashMap<i64, &Value> =
            rows.iter().map(|r| (int(&r[1]).unwrap(), r)).collect();
        let bytes = std::fs::read(log).unwrap();
        let mut offset = 0usize;
        let mut events = 0;
        for line in bytes.split(|&b| b == b'\n') {
            let at = offset;
            offset += line.len() + 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let e: Value = serde_json::from_slice(line).unwrap();
            if e.get("auditID").is_none() {
                continue;
            }
            events += 1;
            let r = by_offset
                .get(&(at as i64))
                .unwrap_or_else(|| panic!("{}: no row at offset {at}", log.display()));
            let s = |v: &Value| v.as_str().unwrap_or("").to_string();
            let list = |v: &Value| -> Vec<String> {
                v.as_array()
                    .map(|a| a.iter().map(&s).collect())
                    .unwrap_or_default()
            };
            let o = &e["objectRef"];
            let raw: HashMap<String, Box<serde_json::value::RawValue>> =
                serde_json::from_slice(line).unwrap();
            let body = |k: &str| raw.get(k).map_or(0, |v| v.get().len() as i64);
            let ctx = format!("{}@{at}", log.display());
            assert_eq!(r[0].as_str(), Some(&*log.to_string_lossy()), "{ctx}");
            assert_eq!(r[2].as_str(), e["auditID"].as_str(), "{ctx}");
            assert_eq!(r[3].as_str(), e["stage"].as_str(), "{ctx}");
            assert_eq!(r[4].as_str(), e["level"].as_str(), "{ctx}");
            assert_eq!(s(&r[5]), s(&e["verb"]), "{ctx}");
            assert_eq!(s(&r[6]), s(&e["user"]["username"]), "{ctx}");
            assert_eq!(list(&r[7]), list(&e["user"]["groups"]), "{ctx}");
            assert_eq!(list(&r[8]), list(&e["sourceIPs"]), "{ctx}");
            assert_eq!(s(&r[9]), s(&o["resource"]), "{ctx}");
            assert_eq!(s(&r[10]), s(&o["subresource"]), "{ctx}");
            assert_eq!(s(&r[11]), s(&o["namespace"]), "{ctx}");
            assert_eq!(s(&r[12]), s(&o["name"]), "{ctx}");
            assert_eq!(s(&r[13]), s(&o["apiGroup"]), "{ctx}");
            assert_eq!(int(&r[14]), e["responseStatus"]["code"].as_i64(), "{ctx}");
            assert_eq!(int(&r[15]), Some(line.len() as i64), "{ctx}");
            assert_eq!(int(&r[16]), Some(body("requestObject")), "{ctx}");
            assert_eq!(int(&r[17]), Some(body("responseObject")), "{ctx}");
            // audit.k8s.io/v1beta1's `timestamp` when the v1 field is missing (the
            // audit2rbac demo log is such a converted log).
            let rec_text = e["requestReceivedTimestamp"]
                .as_str()
                .or(e["timestamp"].as_str())
                .unwrap();
            let rec = micros(rec_text);
            assert_eq!(int(&r[18]), Some(rec), "{ctx}: received (TIMESTAMP)");
            assert_eq!(int(&r[19]), Some(rec), "{ctx}: received_us");
            assert_eq!(
                int(&r[20]),
                e["stageTimestamp"].as_str().map(micros),
                "{ctx}: stage_us"
            );
        }
        assert_eq!(rows.len(), events, "{}: rows = event lines", log.display());
        eprintln!("{}: {events} rows checked field by field", log.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Bad input: clear messages, no panic, no half-written file.
#[test]
fn bad_input_is_refused_clearly() {
    let run = |args: &[&str]| {
        let o = Command::new(BIN).args(args).output().unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        )
    };
    let fx = fixture();
    let fx = fx.to_str().unwrap();
    let (c, e) = run(&["sql", "--policy", fx, "--dialect", "oracle"]);
    assert_eq!(c, Some(2));
    assert!(e.contains("unknown --dialect 'oracle'"), "{e}");
    let (c, e) = run(&["sql", "--policy", fx]);
    assert_eq!(c, Some(2));
    assert!(e.contains("--dialect is required"), "{e}");
    let (c, e) = run(&["sql", "--policy", fx, "--dialect", "duckdb", "--query", "x"]);
    assert_eq!(c, Some(2));
    assert!(e.contains("unknown --query 'x'"), "{e}");
    let (c, e) = run(&["sql", "--policy", fx, "--dialect", "duckdb", "--tabel", "x"]);
    assert_eq!(c, Some(2));
    assert!(e.contains("unknown option --tabel"), "{e}");
    // group "*" is refused before 1.36, as kube-apiserver's validation refuses it.
    let (c, e) = run(&[
        "sql",
        "--policy",
        fx,
        "--dialect",
        "duckdb",
        "--kube-version",
        "1.35",
    ]);
    assert_eq!(c, Some(1));
    assert!(e.contains("needs Kubernetes 1.36"), "{e}");
    let dir = tmp_dir("bad");
    let out = dir.join("x.parquet");
    let (c, e) = run(&[
        "export",
        "--format",
        "parquet",
        dir.join("missing.log").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(c, Some(2));
    assert!(e.contains("missing.log"), "{e}");
    assert!(!out.exists() && !dir.join("x.parquet.partial").exists());
    let (c, e) = run(&["export", "--format", "parquet", fx]);
    assert_eq!(c, Some(2));
    assert!(e.contains("-o FILE.parquet is required"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
