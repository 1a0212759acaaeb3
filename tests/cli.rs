//! The native CLI, end to end: output shapes, exit codes, stdin.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use std::io::Write;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_audit-lens");

fn run(args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
    let mut c = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut i = c.stdin.take().unwrap();
        if let Some(b) = stdin {
            // The tool may exit before reading (a refused policy): a closed pipe is fine.
            let _ = i.write_all(b);
        }
    }
    let o = c.wait_with_output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

/// Writes a test file under cargo's `target/tmp` (reused by every run, so nothing piles
/// up in the system's temp folder: the parallel-reading case writes tens of MB).
fn tmp(name: &str, content: &[u8]) -> String {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.to_string_lossy().into()
}

const LINE1: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"00000000-0000-4000-8000-000000000001","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/a/secrets/s","verb":"get","user":{"username":"alice","groups":["system:authenticated"]},"sourceIPs":["10.0.0.1"],"userAgent":"kubectl","objectRef":{"resource":"secrets","namespace":"a","name":"s","apiVersion":"v1"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2026-01-01T00:00:00Z","stageTimestamp":"2026-01-01T00:00:01Z"}"#;
const LINE2: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"00000000-0000-4000-8000-000000000002","stage":"RequestReceived","requestURI":"/healthz","verb":"get","user":{"username":"system:anonymous","groups":["system:unauthenticated"]},"sourceIPs":["10.0.0.9"],"userAgent":"curl","requestReceivedTimestamp":"2026-01-01T01:00:00Z","stageTimestamp":"2026-01-01T01:00:00Z"}"#;
const POLICY: &str = "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: None\n  nonResourceURLs: [\"/healthz*\"]\n- level: Metadata\n  resources:\n  - group: \"\"\n    resources: [secrets]\n  omitManagedFields: true\n";

#[test]
fn stats_json_shape_and_stdin() {
    let log = format!("{LINE1}\nnot json\n{LINE2}\n");
    let f = tmp("a.log", log.as_bytes());
    let (code, out, _) = run(&["stats", "--json", "--top", "3", &f], None);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["events"], 2);
    assert_eq!(v["rejected"], 1);
    assert_eq!(v["first"], "2026-01-01T00:00:00.000000Z");
    assert_eq!(v["last"], "2026-01-01T01:00:00.000000Z");
    for k in [
        "user",
        "verb",
        "resource",
        "namespace",
        "code",
        "userAgent",
        "sourceIP",
    ] {
        assert!(v["top"][k].is_array(), "{k}");
    }
    let users = v["top"]["user"].as_array().unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(users[0]["events"], 1);
    assert_eq!(users[0]["value"], "alice"); // ties broken by value
    assert_eq!(users[0]["bytes"], LINE1.len());
    assert_eq!(v["rejections"][0]["line"], 2);
    // stdin gives the same counts
    let (code, out2, _) = run(&["stats", "--json"], Some(log.as_bytes()));
    assert_eq!(code, 0);
    let v2: serde_json::Value = serde_json::from_str(&out2).unwrap();
    assert_eq!(
        (v2["events"].clone(), v2["rejected"].clone()),
        (v["events"].clone(), v["rejected"].clone())
    );
}

#[test]
fn eval_prints_one_object_per_non_blank_line() {
    let p = tmp("p.yaml", POLICY.as_bytes());
    let log = format!("{LINE1}\n\n{LINE2}\n{{\"kind\":\"Pod\"}}\n");
    let (code, out, err) = run(&["eval", "--policy", &p], Some(log.as_bytes()));
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[0],
        serde_json::json!({"line":1,"level":"Metadata","rule":1,"omitStages":["RequestReceived"],"omitManagedFields":true})
    );
    assert_eq!(
        lines[1],
        serde_json::json!({"line":3,"level":"None","rule":0,"omitStages":["RequestReceived"],"omitManagedFields":false})
    );
    assert_eq!(lines[2]["line"], 4);
    assert!(lines[2]["error"].as_str().unwrap().contains("Pod"));
}

#[test]
fn refused_policy_exits_1_with_nothing_on_stdout() {
    let bad = tmp(
        "bad.yaml",
        b"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Loud\n",
    );
    let (code, out, err) = run(&["eval", "--policy", &bad], Some(LINE1.as_bytes()));
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.contains("bad.yaml:4:"), "{err}");
    let (code, _, err) = run(&["validate", &bad], None);
    assert_eq!(code, 1);
    assert!(err.contains("Loud"), "{err}");
    let good = tmp("good.yaml", POLICY.as_bytes());
    let (code, out, _) = run(&["validate", &good], None);
    assert_eq!(code, 0);
    assert!(out.contains("2 rules"));
}

#[test]
fn coverage_and_whatif_json() {
    let p = tmp("p2.yaml", POLICY.as_bytes());
    let f = tmp("b.log", format!("{LINE1}\n{LINE2}\n").as_bytes());
    let (code, out, err) = run(&["coverage", "--policy", &p, "--json", &f], None);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["rules"][0]["events"], 1);
    assert_eq!(v["rules"][1]["events"], 1);
    let (code, out, err) = run(
        &[
            "whatif",
            "--policy",
            &p,
            "--json",
            "--audit-log-maxbackup",
            "3",
            &f,
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["whatIf"]["baseline"]["events"], 2);
    // The /healthz event is dropped (None), the secret read kept at Metadata.
    assert_eq!(v["whatIf"]["candidate"]["events"], 1);
    assert_eq!(v["whatIf"]["candidate"]["bytes"], LINE1.len());
    assert_eq!(v["retention"]["candidate"]["limitedBy"], "size");
}

#[test]
fn generate_is_deterministic_and_loadable() {
    let (c1, a, _) = run(&["generate", "--hours", "0.05", "--seed", "3"], None);
    let (c2, b, _) = run(&["generate", "--hours", "0.05", "--seed", "3"], None);
    assert_eq!((c1, c2), (0, 0));
    assert_eq!(a, b);
    let (_, out, _) = run(&["stats", "--json"], Some(a.as_bytes()));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["events"].as_u64().unwrap() as usize, a.lines().count());
    assert_eq!(v["rejected"], 0);
}

#[test]
fn parallel_reading_gives_the_same_answer() {
    // > 64 MB of JSON lines is read by one thread per core; bad lines near the split
    // points must keep their whole-file line numbers.
    let (_, log, _) = run(&["generate", "--size", "80MB", "--seed", "5"], None);
    let mut lines: Vec<&str> = log.lines().collect();
    let n = lines.len();
    for k in [n / 4, n / 2, n / 2 + 1, 3 * n / 4, n - 1] {
        lines[k] = "{\"kind\":\"Event\", broken";
    }
    let text = lines.join("\n") + "\n";
    let f = tmp("big.log", text.as_bytes());
    let stats = |one: bool| {
        let mut c = Command::new(BIN);
        c.args(["stats", "--json", &f]);
        if one {
            c.env("AUDIT_LENS_ONE_THREAD", "1");
        }
        let o = c.output().unwrap();
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v.as_object_mut().unwrap().remove("storeBytesPerEvent");
        v
    };
    let (par, one) = (stats(false), stats(true));
    assert_eq!(par, one);
    assert_eq!(one["rejected"], 5);
    let got: Vec<u64> = one["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    let want: Vec<u64> = [n / 4, n / 2, n / 2 + 1, 3 * n / 4, n - 1]
        .iter()
        .map(|k| *k as u64 + 1)
        .collect();
    assert_eq!(got, want);
}

#[test]
fn generate_writes_the_sample_policy_which_validates() {
    let (code, policy, err) = run(&["generate", "--sample-policy"], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(policy, audit_lens::gen::sample_policy());
    let p = tmp("sample-policy.yaml", policy.as_bytes());
    let (code, out, err) = run(&["validate", &p], None);
    assert_eq!(code, 0, "the sample policy validates: {out}{err}");
}
