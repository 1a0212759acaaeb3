//! Body predicates (`req.`/`resp.`), `resource:` with a policy's meaning, and `user:`/`as:`
//! over impersonation, on the real corpus logs, each count checked against jq (a real
//! JSON engine, run on the very files) — never against the filter's own output.
//!
//! `resource:` follows kube-apiserver's `ruleMatchesResource`
//! (kubernetes/apiserver pkg/audit/policy/checker.go, read again on 2026-12-01 in the
//! stored mirror; the test double in pkg/audit/policy has the same lines): `combinedResource` is
//! `resource + "/" + subresource` when there is a subresource; a rule's `res` matches when
//! `res == combinedResource || res == "*"`, or `*/sub` names the subresource, or `res`
//! ends in `/*` and its prefix is the resource (so `pods/*` is pods with or without a
//! subresource, and `pods` is pods without one).
#![cfg(not(target_arch = "wasm32"))]

mod common;
use audit_lens::query::compile;
use audit_lens::store::Store;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the store keeps: events with an audit ID and a received time.
const KEPT: &str = ".auditID != null and ((.requestReceivedTimestamp // .timestamp // .metadata.creationTimestamp) | type) == \"string\"";

/// For each jq condition, how many of the file's events hold it (one jq run per file).
/// jq is installed by scripts/setup.sh; a missing jq fails the test, never skips it.
fn jq_counts(file: &Path, conds: &[&str]) -> Vec<usize> {
    let prog = format!(
        "select({KEPT}) | [{}] | map(if . then 1 else 0 end) | @csv",
        conds
            .iter()
            .map(|c| format!("({c})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let out = Command::new("jq")
        .arg("-r")
        .arg(prog)
        .arg(file)
        .output()
        .unwrap_or_else(|e| {
            panic!("jq is needed by this test (scripts/setup.sh installs it): {e}")
        });
    assert!(
        out.status.success(),
        "jq failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut n = vec![0usize; conds.len()];
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        for (i, v) in line.split(',').enumerate() {
            n[i] += (v == "1") as usize;
        }
    }
    n
}

fn jq_count(file: &Path, cond: &str) -> usize {
    jq_counts(file, &[cond])[0]
}

/// The corpus files these tests read: single events, pretty documents, JSON lines,
/// v1 and v1beta1. Each is loaded into a store of its own (no cross-file duplicate drop,
/// which jq would not do).
fn files() -> Option<Vec<PathBuf>> {
    let c = common::corpus()?;
    let mut v = vec![
        c.join("logs/openshift-clo-apiaudit-audit_in.log"),
        c.join("logs/audit2rbac-demo-original-v1beta1.log"),
    ];
    for dir in [
        "logs/falco-k8s-audit-traces",
        "realworld/logs/sysdiglabs-stackdriver-webhook-bridge/k8s_audit_events",
    ] {
        let mut d: Vec<PathBuf> = std::fs::read_dir(c.join(dir))
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .map(|e| e.unwrap().path())
            .collect();
        d.sort();
        v.extend(d);
    }
    Some(v)
}

fn load(p: &Path) -> Store {
    let bytes = std::fs::read(p).unwrap();
    common::load(&p.display().to_string(), &bytes)
}

/// The rows `filter` selects in `s`, body predicates decided on the file's bytes (the
/// store's record ranges, as the CLI and the page read them).
fn count(s: &Store, bytes: &[u8], filter: &str) -> usize {
    let f = compile(s, filter, None).unwrap_or_else(|e| panic!("{filter}: {e:?}"));
    let mut ex = audit_lens::ingest::record::EventExtractor::default();
    f.select_with_bodies(s, None, None, &mut |r| {
        let (off, len) = s.record_range(r);
        let rec = &bytes[off as usize..off as usize + len as usize];
        Ok(ex
            .event((0, off), rec, s.wrap_item(r))
            .map(|e| e.text.into_bytes())
            .unwrap_or_default())
    })
    .unwrap()
    .len()
}

/// Runs every `(filter, jq select)` pair over every file; returns the totals.
fn compare(cases: &[(&str, &str)]) -> Vec<usize> {
    let Some(files) = files() else {
        return vec![];
    };
    let mut totals = vec![0usize; cases.len()];
    for p in &files {
        let s = load(p);
        let bytes = std::fs::read(p).unwrap();
        assert!(
            !s.is_empty() || p.ends_with("fal_01_003.json"),
            "{} loaded no event",
            p.display()
        );
        // jq only counts what the store keeps (`KEPT`; the `{"kind": 0}` trace is no event).
        let conds: Vec<&str> = cases.iter().map(|c| c.1).collect();
        let wants = jq_counts(p, &conds);
        for (i, (filter, jq)) in cases.iter().enumerate() {
            let got = count(&s, &bytes, filter);
            let want = wants[i];
            assert_eq!(got, want, "{filter} on {} (jq: {jq})", p.display());
            totals[i] += got;
        }
    }
    totals
}

#[test]
fn body_predicates_equal_jq() {
    let cases = [
        (
            "req.spec.containers[*].securityContext.privileged:true",
            "any(.requestObject.spec.containers[]?; .securityContext.privileged == true)",
        ),
        (
            // `[*]` may be left out: a key applied to an array applies to each element.
            "req.spec.containers.securityContext.privileged:true",
            "any(.requestObject.spec.containers[]?; .securityContext.privileged == true)",
        ),
        (
            "req.roleRef.name:cluster-admin",
            "(.requestObject.roleRef.name // \"\" | ascii_downcase) == \"cluster-admin\"",
        ),
        ("req.spec.hostNetwork:true", ".requestObject.spec.hostNetwork == true"),
        (
            "req.spec.containers[*].image:*nginx*",
            "any(.requestObject.spec.containers[]?; .image // \"\" | ascii_downcase | contains(\"nginx\"))",
        ),
        (
            "req.spec.volumes[*].hostPath.path:*",
            "any(.requestObject.spec.volumes[]?; .hostPath.path != null)",
        ),
        (
            "req.rules[*].verbs:\"*\"",
            "any(.requestObject.rules[]?; any(.verbs[]?; . == \"*\"))",
        ),
        (
            "req.rules[*].resources:\"*\"",
            "any(.requestObject.rules[]?; any(.resources[]?; . == \"*\"))",
        ),
        ("resp.reason:*", ".responseObject.reason != null"),
        (
            "resp.spec.leaseDurationSeconds:>=15",
            "(.responseObject.spec.leaseDurationSeconds | type) == \"number\" and .responseObject.spec.leaseDurationSeconds >= 15",
        ),
        (
            "verb:create -req.spec.hostNetwork:true",
            ".verb == \"create\" and ((.requestObject.spec.hostNetwork == true) | not)",
        ),
        (
            "req.metadata.labels.*:*",
            "[(.requestObject.metadata.labels // {}) | .[] | select(. != null)] | length > 0",
        ),
        (
            "req.subjects[*].kind:User,Group",
            "any(.requestObject.subjects[]?; .kind == \"User\" or .kind == \"Group\")",
        ),
        (
            "resp.metadata.name:strimzi-cluster-operator resource:leases",
            ".responseObject.metadata.name == \"strimzi-cluster-operator\" and .objectRef.resource == \"leases\" and (.objectRef.subresource // \"\") == \"\"",
        ),
    ];
    let totals = compare(&cases);
    if totals.is_empty() {
        return;
    }
    // The corpus has what these predicates look for (a comparison of zeros proves nothing).
    for (i, (f, _)) in cases.iter().enumerate() {
        if !f.starts_with("resp.spec.lease") || totals[i] > 0 {
            assert!(totals[i] > 0, "{f} matched nothing in the corpus");
        }
    }
}

#[test]
fn resource_terms_mean_what_a_policy_means() {
    let sub = "(.objectRef.subresource // \"\")";
    let res = ".objectRef.resource";
    let cases = [
        ("resource:pods", format!("{res} == \"pods\" and {sub} == \"\"")),
        ("resource:pods/*", format!("{res} == \"pods\"")),
        ("resource:pods/exec", format!("{res} == \"pods\" and {sub} == \"exec\"")),
        ("resource:pods/exec,pods/attach", format!("{res} == \"pods\" and ({sub} == \"exec\" or {sub} == \"attach\")")),
        ("resource:*/status", format!("{sub} == \"status\"")),
        ("resource:*", format!("{res} != null")),
        ("-resource:pods", format!("({res} == \"pods\" and {sub} == \"\") | not")),
        (
            "resource:leases.coordination.k8s.io",
            format!("{res} == \"leases\" and .objectRef.apiGroup == \"coordination.k8s.io\" and {sub} == \"\""),
        ),
    ];
    let cases: Vec<(&str, &str)> = cases.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let totals = compare(&cases);
    if totals.is_empty() {
        return;
    }
    // pods without subresources is fewer than pods with them: the corpus has exec/attach.
    assert!(
        totals[0] > 0 && totals[1] > totals[0] && totals[2] > 0,
        "{totals:?}"
    );
}

/// The audit2rbac demo log: 757 events, 37 of them impersonated by `system:admin`
/// (3 as alice, 29 as bob, 5 as system:serviceaccount:ns1:sa1 — counted by jq below).
#[test]
fn user_and_as_over_impersonation() {
    let Some(c) = common::corpus() else {
        return;
    };
    let p = c.join("logs/audit2rbac-demo-original-v1beta1.log");
    let s = load(&p);
    let bytes = std::fs::read(&p).unwrap();
    let imp = ".impersonatedUser.username";
    let cases = [
        ("as:*", format!("{imp} != null")),
        ("-as:*", format!("{imp} == null")),
        ("user:bob", format!(".user.username == \"bob\" or {imp} == \"bob\"")),
        ("as:bob", format!("{imp} == \"bob\"")),
        ("user:system:admin", format!(".user.username == \"system:admin\" or {imp} == \"system:admin\"")),
        ("user:sa1", String::from("false")),
        ("user:system:serviceaccount:ns1:*", format!("(.user.username // \"\" | startswith(\"system:serviceaccount:ns1:\")) or ({imp} // \"\" | startswith(\"system:serviceaccount:ns1:\"))")),
        ("as:\"\"", format!("{imp} == null")),
    ];
    let mut got = Vec::new();
    for (f, jq) in &cases {
        let n = count(&s, &bytes, f);
        assert_eq!(n, jq_count(&p, jq), "{f}");
        got.push(n);
    }
    assert_eq!(s.len(), 757);
    assert_eq!((got[0], got[2], got[3]), (37, 29, 29));
}

#[test]
fn body_term_errors_name_the_place() {
    let s = Store::new();
    for (f, msg) in [
        ("req.spec.hostNetwork", "needs a value"),
        ("verb:get req.", "path is missing"),
        ("req.spec..x:1", "two dots"),
        ("resp.items[x].a:1", "not an index"),
        ("req.a:", "needs a value"),
    ] {
        let e = match compile(&s, f, None) {
            Err(e) => e,
            Ok(_) => panic!("{f} compiled"),
        };
        assert!(e.message.contains(msg), "{f}: {}", e.message);
        assert!(e.start < e.end && e.end <= f.len(), "{f}: {e:?}");
    }
}

/// A hostile body nested a million levels deep is walked without exhausting the stack
/// (the scanner keeps such an event: it only checks brackets inside skipped values).
#[test]
fn deep_bodies_do_not_overflow() {
    let mut line = String::from(
        r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"a","stage":"ResponseComplete","requestURI":"/x","verb":"create","user":{"username":"u"},"requestReceivedTimestamp":"2026-01-01T00:00:00Z","stageTimestamp":"2026-01-01T00:00:00Z","requestObject":{"a":"#,
    );
    line.push_str(&"[".repeat(1_000_000));
    line.push_str(&"]".repeat(1_000_000));
    line.push_str("}}\n");
    let s = common::load("deep.log", line.as_bytes());
    assert_eq!(s.len(), 1, "{:?}", s.rejections);
    for f in ["req.a.b.c:1", "req.a:*", "req.a[*][*][*]:1", "req.*.*.*:x"] {
        let n = count(&s, line.as_bytes(), f);
        assert!(n <= 1, "{f}");
    }
}

/// The page's stepwise body search (`bodyscan::Scan`: windows of the files read one at a
/// time, gzip records in one pass) selects exactly what the one-shot search selects, for
/// any window size, over several files of which one is gzip-compressed.
#[test]
fn stepwise_scan_equals_one_shot() {
    use audit_lens::query::bodyscan::Scan;
    use std::io::Write;
    let Some(c) = common::corpus() else {
        return;
    };
    let plain = std::fs::read(c.join("logs/openshift-clo-apiaudit-audit_in.log")).unwrap();
    let other = std::fs::read(c.join("logs/audit2rbac-demo-v1.log")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&other).unwrap();
    let gz = gz.finish().unwrap();
    let mut s = Store::new();
    common::load_chunked(&mut s, "a.log", &plain, 1 << 16);
    common::load_chunked(&mut s, "b.log.gz", &gz, 1 << 16);
    s.finalize();
    let decoded = [plain, other];
    assert!(s.files[1].gzip);
    for filter in [
        "resp.spec.renewTime:*",
        "req.metadata.name:* -resp.kind:Status",
        "req.kind:* verb:create,update,patch",
        "resp.metadata.namespace:kafka,openshift-*",
    ] {
        let f = compile(&s, filter, None).unwrap();
        let mut ex = audit_lens::ingest::record::EventExtractor::default();
        let want = f
            .select_with_bodies(&s, None, None, &mut |r| {
                let (off, len) = s.record_range(r);
                let b = &decoded[s.file(r) as usize];
                let rec = &b[off as usize..off as usize + len as usize];
                Ok(ex
                    .event((s.file(r), off), rec, s.wrap_item(r))
                    .unwrap()
                    .text
                    .into_bytes())
            })
            .unwrap();
        assert!(!want.is_empty(), "{filter} matched nothing");
        for window in [1u64, 4096, 1 << 20] {
            let f = compile(&s, filter, None).unwrap();
            let cands = f.select(&s, None, None);
            let mut scan = Scan::new(&s, f, cands, window, &|file| s.files[file as usize].gzip);
            let mut steps = 0;
            while let Some(w) = scan.next_window().cloned() {
                let b = &decoded[w.file as usize];
                steps += 1;
                if w.gzip {
                    // One range per item, as the page's one decompression pass yields them.
                    let ranges = scan.gzip_ranges(&s);
                    let parts: Vec<&[u8]> = ranges
                        .iter()
                        .map(|&(o, l)| &b[o as usize..o as usize + l as usize])
                        .collect();
                    scan.window_done(&s, &|k, _, _| parts.get(k).copied());
                } else {
                    let buf = &b[w.start as usize..w.end as usize];
                    scan.window_done(&s, &|_, off, len| Scan::slice_of(&w, buf, off, len));
                }
            }
            assert_eq!(scan.matched(), want, "{filter}, windows of {window} B");
            assert_eq!(scan.done_bytes, scan.total_bytes);
            assert_eq!(scan.matched_so_far as usize, want.len());
            if window == 1 {
                assert!(steps > 2, "{filter}: {steps} steps");
            }
        }
    }
}

/// The fast terms over the facts kept at ingest (`fact:`, `image:`, `roleref:`, `cmd:`)
/// equal jq's reading of the same bodies and URIs: pods created, updated or patched
/// (containers and initContainers), bindings' roleRef, exec/attach commands in the URI.
#[test]
fn fact_terms_equal_jq() {
    let w = "(.verb == \"create\" or .verb == \"update\" or .verb == \"patch\")";
    let pod = format!(
        "{w} and .objectRef.resource == \"pods\" and (.objectRef.subresource // \"\") == \"\""
    );
    let ctrs =
        "((.requestObject.spec.containers // []) + (.requestObject.spec.initContainers // []))";
    let bind = format!("{w} and (.objectRef.resource == \"rolebindings\" or .objectRef.resource == \"clusterrolebindings\")");
    let cases = [
        (
            "fact:privileged resource:pods",
            format!("{pod} and any({ctrs}[]; .securityContext.privileged == true)"),
        ),
        (
            "fact:hostNetwork resource:pods",
            format!("{pod} and .requestObject.spec.hostNetwork == true"),
        ),
        (
            "image:*nginx* resource:pods",
            format!(
                "{pod} and any({ctrs}[]; .image // \"\" | ascii_downcase | contains(\"nginx\"))"
            ),
        ),
        (
            "roleref:cluster-admin",
            format!("{bind} and .requestObject.roleRef.name == \"cluster-admin\""),
        ),
        (
            "resource:pods/exec cmd:*",
            String::from(
                ".objectRef.subresource == \"exec\" and (.requestURI | test(\"[?&]command=\"))",
            ),
        ),
    ];
    let cases: Vec<(&str, &str)> = cases.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let totals = compare(&cases);
    if totals.is_empty() {
        return;
    }
    assert!(totals.iter().all(|&n| n > 0), "{totals:?}");
}
