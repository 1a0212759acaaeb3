//! Two policies compared (issue 14 §5): the line diff against GNU diffutils' `diff -u
//! --minimal` (an independent engine) on every pair of corpus policy files, re-applied
//! to give B byte for byte (our own `apply` and GNU `patch`); the rule alignment on
//! hand-made cases; the per-rule volumes of two policies with different rule counts
//! against a plain per-event computation over a corpus log (bytes from the raw lines).
#![cfg(not(target_arch = "wasm32"))]

mod common;
use audit_lens::analysis::evaluate::{evaluate, AttrIndex};
use audit_lens::analysis::policy_ab::compare_volumes;
use audit_lens::analysis::volume::under_policy;
use audit_lens::audit::compare::{
    align_rules, apply, text_diff, unified, LineKind, RuleChange, RulePair,
};
use audit_lens::audit::policy::{load_policy, LoadOptions, Policy};
use audit_lens::audit::{RequestAttrs, Stage};
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn policy_files(corpus: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for d in ["policies", "realworld/policies"] {
        let Ok(rd) = std::fs::read_dir(corpus.join(d)) else {
            continue;
        };
        for e in rd.flatten() {
            if e.path().is_file() {
                v.push(e.path());
            }
        }
    }
    v.sort();
    v
}

/// (removed, added) line counts of a unified diff's body.
fn counts(u: &str) -> (usize, usize) {
    let mut r = (0, 0);
    for l in u.split('\n') {
        if l.starts_with("---") || l.starts_with("+++") {
            continue;
        }
        if l.starts_with('-') {
            r.0 += 1;
        } else if l.starts_with('+') {
            r.1 += 1;
        }
    }
    r
}

fn gnu_diff(a: &Path, b: &Path) -> Option<String> {
    let out = Command::new("diff")
        .args(["-u", "--minimal", "--label", "a", "--label", "b"])
        .arg(a)
        .arg(b)
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn text_diff_agrees_with_gnu_diff_on_every_pair_of_corpus_policies() {
    let Some(c) = common::corpus() else { return };
    let files = policy_files(&c);
    assert!(files.len() > 30, "corpus policies: {}", files.len());
    let texts: Vec<String> = files
        .iter()
        .map(|f| String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned())
        .collect();
    // Only files that are valid UTF-8 are compared byte for byte with GNU diff.
    let utf8: Vec<bool> = files
        .iter()
        .map(|f| std::str::from_utf8(&std::fs::read(f).unwrap()).is_ok())
        .collect();
    if Command::new("diff").arg("--version").output().is_err() {
        panic!("GNU diff is needed for this test");
    }
    let (mut pairs, mut identical_text) = (0, 0);
    for i in 0..files.len() {
        for j in 0..files.len() {
            if !(utf8[i] && utf8[j]) {
                continue;
            }
            let (a, b) = (&texts[i], &texts[j]);
            let h = text_diff(a, b, 3);
            let ours = unified("a", "b", &h);
            let theirs = gnu_diff(&files[i], &files[j]).expect("diff runs");
            // A minimal script has the same number of removed and added lines whatever
            // the ties; GNU diff --minimal finds a minimal one.
            assert_eq!(
                counts(&ours),
                counts(&theirs),
                "{:?} vs {:?}",
                files[i],
                files[j]
            );
            assert_eq!(ours.is_empty(), theirs.is_empty());
            if ours == theirs {
                identical_text += 1;
            }
            assert_eq!(
                apply(a, &h).as_deref(),
                Some(b.as_str()),
                "{:?} -> {:?}",
                files[i],
                files[j]
            );
            // Hunk headers: lengths are the lines they hold.
            for hk in &h {
                let al = hk
                    .lines
                    .iter()
                    .filter(|l| l.kind != LineKind::Added)
                    .count() as u32;
                let bl = hk
                    .lines
                    .iter()
                    .filter(|l| l.kind != LineKind::Removed)
                    .count() as u32;
                assert_eq!((hk.a_len, hk.b_len), (al, bl));
            }
            pairs += 1;
        }
    }
    eprintln!("{pairs} pairs; {identical_text} unified texts identical to GNU diff's");
    assert!(pairs > 900);
    // Where the two minimal scripts break ties alike, the grouping into hunks and the
    // headers are GNU's to the byte (measured: 1,727 of 2,500 pairs).
    assert!(
        identical_text * 10 >= pairs * 6,
        "{identical_text} of {pairs}"
    );
}

#[test]
fn gnu_patch_and_git_apply_take_the_unified_text() {
    let Some(c) = common::corpus() else { return };
    let files: Vec<PathBuf> = policy_files(&c)
        .into_iter()
        .filter(|f| std::str::from_utf8(&std::fs::read(f).unwrap()).is_ok())
        .take(12)
        .collect();
    let dir = std::env::temp_dir().join(format!("al-compare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut applied = 0;
    for fa in &files {
        for fb in &files {
            let a = std::fs::read_to_string(fa).unwrap();
            let b = std::fs::read_to_string(fb).unwrap();
            // Also CRLF and no final newline on one side.
            for (a, b) in [
                (a.clone(), b.clone()),
                (a.replace('\n', "\r\n"), b.clone()),
                (a.clone(), b.trim_end_matches('\n').to_string()),
            ] {
                let h = text_diff(&a, &b, 3);
                if h.is_empty() {
                    assert_eq!(a, b);
                    continue;
                }
                let target = dir.join("p.yaml");
                std::fs::write(&target, &a).unwrap();
                std::fs::write(dir.join("d.patch"), unified("a/p.yaml", "b/p.yaml", &h)).unwrap();
                let st = Command::new("patch")
                    .current_dir(&dir)
                    .args(["-s", "-p1", "--binary", "-i", "d.patch"])
                    .status()
                    .expect("GNU patch runs");
                assert!(st.success(), "patch {fa:?} -> {fb:?}");
                assert_eq!(
                    std::fs::read_to_string(&target).unwrap(),
                    b,
                    "patch {fa:?} -> {fb:?}"
                );
                std::fs::write(&target, &a).unwrap();
                let st = Command::new("git")
                    .current_dir(&dir)
                    .args(["apply", "--unsafe-paths", "--whitespace=nowarn", "d.patch"])
                    .status()
                    .expect("git runs");
                assert!(st.success(), "git apply {fa:?} -> {fb:?}");
                assert_eq!(
                    std::fs::read_to_string(&target).unwrap(),
                    b,
                    "git apply {fa:?} -> {fb:?}"
                );
                applied += 1;
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(applied > 100, "{applied}");
}

#[test]
fn crlf_and_final_newline_cases() {
    // Every line of a CRLF copy differs from the LF text (as in GNU diff without
    // --strip-trailing-cr): 2 removed, 2 added.
    let h = text_diff("a\nb\n", "a\r\nb\r\n", 3);
    let u = unified("x", "y", &h);
    assert_eq!(u, "--- x\n+++ y\n@@ -1,2 +1,2 @@\n-a\n-b\n+a\r\n+b\r\n");
    assert_eq!(apply("a\nb\n", &h).as_deref(), Some("a\r\nb\r\n"));
    // Both without a final newline and equal: no hunk.
    assert!(text_diff("a\nb", "a\nb", 3).is_empty());
    // A change before an unchanged last line without newline: the marker after the context.
    let u = unified("x", "y", &text_diff("a\nb", "c\nb", 3));
    assert_eq!(
        u,
        "--- x\n+++ y\n@@ -1,2 +1,2 @@\n-a\n+c\n b\n\\ No newline at end of file\n"
    );
}

#[test]
fn text_diff_is_fast_and_minimal_on_large_policies() {
    // 6,000 generated lines with 300 scattered edits: the script is exactly the edits.
    let a: Vec<String> = (0..6000)
        .map(|i| format!("  - level: Metadata # rule {i}\n"))
        .collect();
    let mut b = a.clone();
    for k in 0..300 {
        b[k * 20 + 7] = format!("  - level: None # edited {k}\n");
    }
    let (a, b) = (a.concat(), b.concat());
    let t = std::time::Instant::now();
    let h = text_diff(&a, &b, 3);
    eprintln!("6000 lines, 300 edits: {:?}", t.elapsed());
    let removed: usize = h
        .iter()
        .flat_map(|h| &h.lines)
        .filter(|l| l.kind == LineKind::Removed)
        .count();
    let added: usize = h
        .iter()
        .flat_map(|h| &h.lines)
        .filter(|l| l.kind == LineKind::Added)
        .count();
    assert_eq!((removed, added), (300, 300));
    assert_eq!(apply(&a, &h).as_deref(), Some(b.as_str()));
    // Two unrelated texts: every line removed and added.
    let c: String = (0..5000).map(|i| format!("x{i}\n")).collect();
    let t = std::time::Instant::now();
    let h = text_diff(&a, &c, 3);
    eprintln!("6000 vs 5000 unrelated lines: {:?}", t.elapsed());
    assert_eq!(counts(&unified("a", "b", &h)), (6000, 5000));
}

// ---- rule alignment -------------------------------------------------------------------

fn pol(rules_yaml: &str) -> Policy {
    let text = format!("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n{rules_yaml}");
    load_policy("p.yaml", &text, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}\n{text}"))
        .policy
}

fn ten() -> Vec<String> {
    (0..10)
        .map(|i| format!("- level: Metadata\n  users: [\"user-{i}\"]\n  verbs: [get, list]\n"))
        .collect()
}

fn changes(p: &[RulePair]) -> Vec<&'static str> {
    p.iter().map(|x| x.change.name()).collect()
}

/// Every rule of A and of B appears exactly once.
fn check_cover(p: &[RulePair], na: usize, nb: usize) {
    let mut a: Vec<usize> = p.iter().filter_map(|x| x.a).collect();
    let mut b: Vec<usize> = p.iter().filter_map(|x| x.b).collect();
    a.sort();
    b.sort();
    assert_eq!(a, (0..na).collect::<Vec<_>>());
    assert_eq!(b, (0..nb).collect::<Vec<_>>());
}

#[test]
fn a_rule_inserted_at_the_front_is_one_addition() {
    let a = pol(&ten().concat());
    let b = pol(&format!(
        "- level: None\n  users: [\"system:kube-proxy\"]\n{}",
        ten().concat()
    ));
    let p = align_rules(&a, &b);
    check_cover(&p, 10, 11);
    assert_eq!(p.len(), 11);
    assert_eq!(
        p[0],
        RulePair {
            a: None,
            b: Some(0),
            change: RuleChange::Added
        }
    );
    for (i, x) in p[1..].iter().enumerate() {
        assert_eq!(
            (x.a, x.b, &x.change),
            (Some(i), Some(i + 1), &RuleChange::Same)
        );
    }
}

#[test]
fn a_level_changed_and_a_verb_added_are_changes_with_their_words() {
    let a = pol(&ten().concat());
    let mut r = ten();
    r[3] = "- level: None\n  users: [\"user-3\"]\n  verbs: [get, list]\n".into();
    r[6] = "- level: Metadata\n  users: [\"user-6\"]\n  verbs: [get, list, patch]\n  omitStages: [RequestReceived]\n".into();
    let b = pol(&r.concat());
    let p = align_rules(&a, &b);
    check_cover(&p, 10, 10);
    assert_eq!(p.len(), 10);
    assert_eq!(
        p[3].change,
        RuleChange::Changed(vec!["level Metadata → None".into()])
    );
    assert_eq!(
        p[6].change,
        RuleChange::Changed(vec![
            "verbs: +patch".into(),
            "omitStages: +RequestReceived".into()
        ])
    );
    assert_eq!(changes(&p).iter().filter(|c| **c == "same").count(), 8);
    // Order of values does not make a rule different.
    let c = pol(&ten().concat().replace("[get, list]", "[list, get, get]"));
    assert!(align_rules(&a, &c)
        .iter()
        .all(|x| x.change == RuleChange::Same));
}

#[test]
fn a_moved_rule_is_moved_and_removed_rules_are_removed() {
    let a = pol(&ten().concat());
    // Rule 8 moved to the front.
    let mut r = ten();
    let m = r.remove(8);
    r.insert(0, m);
    let p = align_rules(&a, &pol(&r.concat()));
    check_cover(&p, 10, 10);
    assert_eq!(
        p[0],
        RulePair {
            a: Some(8),
            b: Some(0),
            change: RuleChange::Moved
        }
    );
    assert_eq!(changes(&p).iter().filter(|c| **c == "same").count(), 9);
    // Rules 2 and 7 removed: 8 Same, 2 Removed, each where it stood.
    let mut r = ten();
    r.remove(7);
    r.remove(2);
    let p = align_rules(&a, &pol(&r.concat()));
    check_cover(&p, 10, 8);
    assert_eq!(
        p.iter()
            .map(|x| (x.a, x.b, x.change.name()))
            .collect::<Vec<_>>(),
        vec![
            (Some(0), Some(0), "same"),
            (Some(1), Some(1), "same"),
            (Some(2), None, "removed"),
            (Some(3), Some(2), "same"),
            (Some(4), Some(3), "same"),
            (Some(5), Some(4), "same"),
            (Some(6), Some(5), "same"),
            (Some(7), None, "removed"),
            (Some(8), Some(6), "same"),
            (Some(9), Some(7), "same"),
        ]
    );
    // An unrelated rule in place of another: removed + added, not a change.
    let mut r = ten();
    r[4] = "- level: RequestResponse\n  nonResourceURLs: [\"/healthz*\"]\n".into();
    let p = align_rules(&a, &pol(&r.concat()));
    check_cover(&p, 10, 10);
    assert_eq!(changes(&p).iter().filter(|c| **c == "removed").count(), 1);
    assert_eq!(changes(&p).iter().filter(|c| **c == "added").count(), 1);
}

#[test]
fn the_policy_wide_omit_stages_count_for_every_rule() {
    let a = pol("- level: Metadata\n");
    let text = "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n";
    let b = load_policy("b.yaml", text, &LoadOptions::default())
        .unwrap()
        .policy;
    assert_eq!(
        align_rules(&a, &b)[0].change,
        RuleChange::Changed(vec!["omitStages: +RequestReceived".into()])
    );
}

/// (A rule, B rule) → (events, bytes under A, bytes under B).
type Cells = HashMap<(Option<usize>, Option<usize>), (u64, u64, u64)>;
/// One cell of [`Cells`].
type CellRow = ((Option<usize>, Option<usize>), (u64, u64, u64));

// ---- per-rule volumes -----------------------------------------------------------------

/// The decision and size of one raw log line, worked out from the line alone: its
/// attributes read with serde_json, its bodies measured as raw spans, the size under a
/// level as volume.rs documents it (Metadata drops `,"requestObject":…` and
/// `,"responseObject":…`; Request keeps the request body; RequestResponse both).
fn plain(line: &str, p: &audit_lens::audit::eval::CompiledPolicy) -> (Option<usize>, u64) {
    let v: Value = serde_json::from_str(line).unwrap();
    let raw: HashMap<String, Box<RawValue>> = serde_json::from_str(line).unwrap();
    let s = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or("");
    let groups: Vec<&str> = v
        .pointer("/user/groups")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let has_ref = v.get("objectRef").is_some();
    let uri = s("/requestURI");
    let path = uri.split('?').next().unwrap_or("");
    let attrs = RequestAttrs {
        user: s("/user/username"),
        groups: &groups,
        verb: s("/verb"),
        resource_request: has_ref,
        api_group: s("/objectRef/apiGroup"),
        resource: s("/objectRef/resource"),
        subresource: s("/objectRef/subresource"),
        namespace: s("/objectRef/namespace"),
        name: s("/objectRef/name"),
        path: if has_ref { "" } else { path },
    };
    let d = p.evaluate(&attrs);
    let stage = Stage::parse(s("/stage"));
    if d.level == audit_lens::audit::Level::None
        || stage.is_some_and(|st| d.omit_stages.contains(st))
    {
        return (d.rule, 0);
    }
    let body = |k: &str| {
        raw.get(k)
            .map_or(0, |r| (r.get().len() + k.len() + 4) as u64)
    };
    let (q, r) = (body("requestObject"), body("responseObject"));
    let mut size = line.len() as u64 - q - r;
    if d.level >= audit_lens::audit::Level::Request {
        size += q;
    }
    if d.level >= audit_lens::audit::Level::RequestResponse {
        size += r;
    }
    (d.rule, size)
}

#[test]
fn per_rule_volumes_with_different_rule_counts_match_a_plain_scan() {
    let Some(c) = common::corpus() else { return };
    let a_text = std::fs::read_to_string(
        c.join("policies/kubernetes-gce-configure-helper-audit-policy.yaml"),
    )
    .unwrap();
    let b_text =
        std::fs::read_to_string(c.join("policies/kubernetes-website-examples-audit-policy.yaml"))
            .unwrap();
    let pa = load_policy("a", &a_text, &LoadOptions::default()).unwrap();
    let pb = load_policy("b", &b_text, &LoadOptions::default()).unwrap();
    assert_ne!(pa.rule_count(), pb.rule_count());
    let mut checked = 0;
    for log in [
        "logs/openshift-clo-apiaudit-audit_in.log",
        "logs/audit2rbac-demo-v1.log",
    ] {
        let bytes = std::fs::read(c.join(log)).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let s = common::load(log, &bytes);
        let idx = AttrIndex::build(&s);
        let (ea, eb) = (
            evaluate(&s, &idx, &pa.compiled),
            evaluate(&s, &idx, &pb.compiled),
        );
        let pairs = align_rules(&pa.policy, &pb.policy);
        let ab = compare_volumes(&s, &ea, &eb, &pairs);
        // The plain scan: per (A rule, B rule): events, bytes under A, bytes under B.
        let mut cells: Cells = HashMap::new();
        let mut per_a: HashMap<usize, (u64, u64, u64)> = HashMap::new();
        let mut per_b: HashMap<usize, (u64, u64, u64)> = HashMap::new();
        let mut lines = 0;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let (ra, sa) = plain(line, &pa.compiled);
            let (rb, sb) = plain(line, &pb.compiled);
            let e = cells.entry((ra, rb)).or_default();
            e.0 += 1;
            e.1 += sa;
            e.2 += sb;
            if let Some(i) = ra {
                let x = per_a.entry(i).or_default();
                x.0 += 1;
                x.1 += (sa > 0) as u64;
                x.2 += sa;
            }
            if let Some(j) = rb {
                let x = per_b.entry(j).or_default();
                x.0 += 1;
                x.1 += (sb > 0) as u64;
                x.2 += sb;
            }
            lines += 1;
        }
        assert_eq!(lines, s.len(), "{log}: every line is one event");
        for p in &ab.pairs {
            if let Some(i) = p.a {
                let want = per_a.get(&i).copied().unwrap_or_default();
                let got = (p.a_volume.matched, p.a_volume.events, p.a_volume.bytes);
                assert_eq!(got, want, "{log}: A rule {i}");
                // Transfers: the top destinations with their events and bytes, and the rest.
                let mut dest: Vec<CellRow> = cells
                    .iter()
                    .filter(|(k, _)| k.0 == Some(i))
                    .map(|(k, v)| (*k, *v))
                    .collect();
                dest.sort_by(|x, y| {
                    y.1 .0.cmp(&x.1 .0).then(
                        x.0 .1
                            .map_or(u32::MAX, |j| j as u32)
                            .cmp(&y.0 .1.map_or(u32::MAX, |j| j as u32)),
                    )
                });
                for (t, (k, v)) in p.transfer.iter().zip(&dest) {
                    assert_eq!(
                        (t.to, t.events, t.a_bytes, t.b_bytes),
                        (k.1, v.0, v.1, v.2),
                        "{log}: A rule {i}"
                    );
                }
                let rest: u64 = dest.iter().skip(p.transfer.len()).map(|x| x.1 .0).sum();
                assert_eq!(p.rest.events, rest);
                checked += 1;
            }
            if let Some(j) = p.b {
                let want = per_b.get(&j).copied().unwrap_or_default();
                assert_eq!(
                    (p.b_volume.matched, p.b_volume.events, p.b_volume.bytes),
                    want,
                    "{log}: B rule {j}"
                );
            }
        }
        // And the totals equal the what-if's.
        let (va, vb) = (
            under_policy(&s, &pa.compiled, &ea, "a"),
            under_policy(&s, &pb.compiled, &eb, "b"),
        );
        assert_eq!(ab.a_total, (va.events, va.bytes));
        assert_eq!(ab.b_total, (vb.events, vb.bytes));
        assert!(
            va.bytes > 0 && vb.bytes > 0 && va.bytes != vb.bytes,
            "{log}: the policies differ here"
        );
    }
    assert!(checked > 10);
}

// ---- the CLI ----------------------------------------------------------------------------

#[test]
fn cli_diff_policy_exit_codes_and_a_patch_that_applies() {
    let Some(c) = common::corpus() else { return };
    let bin = env!("CARGO_BIN_EXE_audit-lens");
    let a = c.join("policies/kubernetes-website-examples-audit-policy.yaml");
    let b = c.join("policies/kubernetes-gce-configure-helper-audit-policy.yaml");
    let out = Command::new(bin)
        .arg("diff-policy")
        .arg(&a)
        .arg(&b)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "different policies");
    let text = String::from_utf8(out.stdout).unwrap();
    // The alignment follows the diff as `#` lines; 9 rules in A, 17 in B, the catch-all
    // the same in both (read off the two files: both end with `- level: Metadata` and
    // omitStages RequestReceived).
    assert!(text.contains("# rules: 9 in A, 17 in B;"), "{text}");
    assert!(text
        .lines()
        .any(|l| l.starts_with('#') && l.contains("A#8 → B#16") && l.contains("same")));
    // GNU patch takes the output as it is (it ignores the `#` lines after the last hunk).
    let dir = std::env::temp_dir().join(format!("al-cli-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let t = dir.join("p.yaml");
    std::fs::copy(&a, &t).unwrap();
    std::fs::write(dir.join("d.patch"), &text).unwrap();
    let st = Command::new("patch")
        .current_dir(&dir)
        .args(["-s", "p.yaml", "d.patch"])
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(std::fs::read(&t).unwrap(), std::fs::read(&b).unwrap());
    std::fs::remove_dir_all(&dir).ok();
    let same = Command::new(bin)
        .arg("diff-policy")
        .arg(&a)
        .arg(&a)
        .output()
        .unwrap();
    assert_eq!(same.status.code(), Some(0));
    let bad = Command::new(bin)
        .arg("diff-policy")
        .arg(&a)
        .arg(dir.join("missing.yaml"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("missing.yaml"));
    let invalid =
        c.join("policies/kubernetes-apiserver-reader_test-policy-no-version-or-kind.INVALID.yaml");
    let bad = Command::new(bin)
        .arg("diff-policy")
        .arg(&a)
        .arg(&invalid)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "an invalid policy is an error");
}

#[test]
fn cli_whatif_baseline_reports_every_rule_of_both_policies() {
    let Some(c) = common::corpus() else { return };
    let bin = env!("CARGO_BIN_EXE_audit-lens");
    let a = c.join("policies/kubernetes-website-examples-audit-policy.yaml");
    let b = c.join("policies/kubernetes-gce-configure-helper-audit-policy.yaml");
    let log = c.join("logs/openshift-clo-apiaudit-audit_in.log");
    let out = Command::new(bin)
        .args(["whatif", "--json", "--policy"])
        .arg(&b)
        .arg("--baseline")
        .arg(&a)
        .arg(&log)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let pairs = v["compare"]["pairs"].as_array().unwrap();
    let olds: Vec<u64> = pairs.iter().filter_map(|p| p["a"].as_u64()).collect();
    let news: Vec<u64> = pairs.iter().filter_map(|p| p["b"].as_u64()).collect();
    assert_eq!(olds.len(), 9);
    assert_eq!(news.len(), 17);
    // The per-pair bytes under the new policy add up to the what-if's candidate bytes.
    let sum: u64 = pairs
        .iter()
        .map(|p| p["bVolume"]["bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(sum, v["whatIf"]["candidate"]["bytes"].as_u64().unwrap());
    let out = Command::new(bin)
        .args(["whatif", "--policy"])
        .arg(&b)
        .arg("--baseline")
        .arg(&a)
        .arg(&log)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("rule by rule,")
            && text.contains("(9 rules) →")
            && text.contains("(17 rules):"),
        "{text}"
    );
}
