//! The activity feed (`analysis::feed`): the "humans only" rules on the real OpenShift log
//! against a plain scan of its user names, burst folding on a hand-built log, paging.
//!
//! The names the rules use are Kubernetes': `system:node:` (kubernetes
//! pkg/auth/nodeidentifier/default.go, `nodeUserNamePrefix`), `system:nodes`,
//! `system:kube-controller-manager`, `system:kube-scheduler`, `system:kube-proxy`,
//! `system:apiserver` (k8s.io/apiserver pkg/authentication/user/user.go),
//! `system:serviceaccount:` and `system:serviceaccounts` (k8s.io/apiserver
//! pkg/authentication/serviceaccount/util.go).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use audit_lens::analysis::feed::{Category, Feed, FeedOptions, Rules};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn s_at<'a>(v: &'a Value, a: &str, b: &str) -> &'a str {
    v[a][b].as_str().unwrap_or("")
}

/// The category of one event by the documented rules, written out again on the JSON.
fn scan_category(e: &Value) -> &'static str {
    let imp = s_at(e, "impersonatedUser", "username");
    let user = if imp.is_empty() {
        s_at(e, "user", "username")
    } else {
        imp
    };
    let groups: Vec<&str> = if imp.is_empty() {
        e["user"]["groups"]
            .as_array()
            .map(|g| g.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    if user.starts_with("system:node:")
        || (!user.is_empty() && !user.starts_with("system:") && groups.contains(&"system:nodes"))
    {
        "node"
    } else if user.starts_with("system:serviceaccount:")
        || (!user.starts_with("system:")
            && !user.is_empty()
            && groups.contains(&"system:serviceaccounts"))
    {
        "sa"
    } else if [
        "system:kube-controller-manager",
        "system:kube-scheduler",
        "system:kube-proxy",
        "system:apiserver",
    ]
    .contains(&user)
    {
        "control"
    } else if user.is_empty() || user.starts_with("system:") {
        "other"
    } else {
        "human"
    }
}

#[test]
fn humans_only_on_the_openshift_log() {
    let Some(dir) = common::corpus() else {
        return;
    };
    let name = "openshift-clo-apiaudit-audit_in.log";
    let bytes = std::fs::read(dir.join("logs").join(name)).unwrap();
    let s = common::load(name, &bytes);
    // The scan: one per auditID, counted by category.
    let mut seen = BTreeSet::new();
    let mut by: BTreeMap<&str, u64> = BTreeMap::new();
    let mut human_ids = BTreeSet::new();
    let mut reads_kept = 0u64;
    for l in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let e: Value = serde_json::from_slice(l).unwrap();
        let id = e["auditID"].as_str().unwrap().to_string();
        if seen.insert(id.clone()) {
            let c = scan_category(&e);
            *by.entry(c).or_default() += 1;
            if c == "human" {
                human_ids.insert(id);
                if ["get", "list", "watch"].contains(&e["verb"].as_str().unwrap_or("")) {
                    reads_kept += 1;
                }
            }
        }
    }
    let feed = Feed::build(
        &s,
        FeedOptions {
            burst_min: 0,
            ..FeedOptions::default()
        },
    );
    let c = &feed.counts;
    assert_eq!(c.requests, seen.len() as u64);
    assert_eq!(c.shown, by["human"], "requests kept by humans only");
    assert!(
        c.shown > 0 && c.shown < c.requests,
        "the rule keeps some and hides some"
    );
    for (cat, key) in [
        (Category::Human, "human"),
        (Category::Node, "node"),
        (Category::ServiceAccount, "sa"),
        (Category::ControlPlane, "control"),
        (Category::OtherSystem, "other"),
    ] {
        assert_eq!(
            c.by_category[cat as usize],
            by.get(key).copied().unwrap_or(0),
            "{cat:?}"
        );
    }
    // Every line shown is one of the human requests, each once.
    let shown: BTreeSet<String> = feed
        .rows()
        .iter()
        .map(|&r| s.audit_id(r as usize))
        .collect();
    assert_eq!(shown, human_ids);
    assert_eq!(c.reads, reads_kept);
    // Newest first.
    let t: Vec<i64> = feed
        .rows()
        .iter()
        .map(|&r| s.received(r as usize))
        .collect();
    assert!(t.windows(2).all(|w| w[0] >= w[1]));
    // Turning a rule off shows that category too; everything shows everything.
    let rules = Rules {
        hide_service_accounts: false,
        ..Rules::default()
    };
    let with_sa = Feed::build(
        &s,
        FeedOptions {
            rules,
            burst_min: 0,
            ..FeedOptions::default()
        },
    );
    assert_eq!(with_sa.counts.shown, by["human"] + by["sa"]);
    let all = Feed::build(
        &s,
        FeedOptions {
            rules: Rules::all(),
            burst_min: 0,
            ..FeedOptions::default()
        },
    );
    assert_eq!(all.counts.shown, seen.len() as u64);
    assert_eq!(all.len(), seen.len());
    // Hiding reads as well.
    let no_reads = Rules {
        hide_reads: true,
        ..Rules::default()
    };
    let nr = Feed::build(
        &s,
        FeedOptions {
            rules: no_reads,
            burst_min: 0,
            ..FeedOptions::default()
        },
    );
    assert_eq!(nr.counts.shown, by["human"] - reads_kept);
}

#[allow(clippy::too_many_arguments)]
fn ev(
    id: &str,
    stage: &str,
    t: &str,
    user: &str,
    verb: &str,
    res: &str,
    name: &str,
    code: u16,
) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"{stage}","requestURI":"/apis/x/v1/namespaces/kube-system/{res}/{name}","verb":"{verb}","user":{{"username":"{user}"}},"sourceIPs":["10.0.0.9"],"objectRef":{{"resource":"{res}","namespace":"kube-system","name":"{name}","apiGroup":"coordination.k8s.io","apiVersion":"v1"}},"responseStatus":{{"code":{code}}},"requestReceivedTimestamp":"{t}","stageTimestamp":"{t}"}}"#
    )
}

/// A hand-built log: the controller manager renews leases every 10 s from :00 to :40
/// (5 requests, each with a RequestReceived and a ResponseComplete event), bob creates a
/// configmap at :25 in between, and the controller manager renews twice more 10 min later.
///
/// Folded, newest first: the two late renewals alone (a run of 2 is under the minimum of
/// 3), then one burst of 5 placed at :40, then bob.
fn burst_log() -> String {
    let cm = "system:kube-controller-manager";
    let mut v = Vec::new();
    for (k, sec) in [0, 10, 20, 30, 40].iter().enumerate() {
        let t = format!("2024-05-01T10:00:{sec:02}Z");
        let id = format!("cm{k}");
        v.push(ev(
            &id,
            "RequestReceived",
            &t,
            cm,
            "update",
            "leases",
            &format!("l{k}"),
            0,
        ));
        v.push(ev(
            &id,
            "ResponseComplete",
            &t,
            cm,
            "update",
            "leases",
            &format!("l{k}"),
            if k == 3 { 409 } else { 200 },
        ));
    }
    v.push(ev(
        "bob1",
        "ResponseComplete",
        "2024-05-01T10:00:25Z",
        "bob",
        "create",
        "configmaps",
        "c",
        201,
    ));
    v.push(ev(
        "cm5",
        "ResponseComplete",
        "2024-05-01T10:10:00Z",
        cm,
        "update",
        "leases",
        "l5",
        200,
    ));
    v.push(ev(
        "cm6",
        "ResponseComplete",
        "2024-05-01T10:10:05Z",
        cm,
        "update",
        "leases",
        "l6",
        200,
    ));
    v.join("\n")
}

#[test]
fn bursts_fold_on_a_hand_built_log() {
    let s = common::load("bursts.log", burst_log().as_bytes());
    assert_eq!(s.len(), 13);
    let all = Feed::build(
        &s,
        FeedOptions {
            rules: Rules::all(),
            ..FeedOptions::default()
        },
    );
    assert_eq!(all.counts.requests, 8, "stages folded");
    assert_eq!((all.counts.lines, all.counts.bursts), (4, 1));
    let page = all.page(&s, 0, 10);
    let ids: Vec<String> = page.iter().map(|l| s.audit_id(l.row as usize)).collect();
    assert_eq!(ids, ["cm6", "cm5", "cm4", "bob1"]);
    let counts: Vec<u32> = page.iter().map(|l| l.count).collect();
    assert_eq!(counts, [1, 1, 5, 1]);
    assert_eq!(
        page[2].text,
        "system:kube-controller-manager updated 5 leases in 40 s — 1 failed"
    );
    assert_eq!(page[2].failures, 1);
    assert_eq!(page[2].time_us - page[2].first_us, 40_000_000);
    assert_eq!(
        page[3].text,
        "bob (10.0.0.9) created configmap kube-system/c — 201"
    );
    // Expanded: the five renewals, newest first, each its ResponseComplete.
    let m = all.members(&s, 2, 0, 100);
    let mids: Vec<String> = m.iter().map(|l| s.audit_id(l.row as usize)).collect();
    assert_eq!(mids, ["cm4", "cm3", "cm2", "cm1", "cm0"]);
    assert!(m
        .iter()
        .all(|l| s.stage(l.row as usize).unwrap().as_str() == "ResponseComplete"));
    assert_eq!(m[1].code, 409);
    // Paged members; a line that is no burst has none.
    let m2: Vec<u32> = all.members(&s, 2, 3, 100).iter().map(|l| l.row).collect();
    assert_eq!(m2, [m[3].row, m[4].row]);
    assert!(all.members(&s, 0, 0, 10).is_empty());
    assert!(all.members(&s, 99, 0, 10).is_empty());
    // A pause longer than the gap splits: at 5 s nothing is within reach (10 s apart).
    let tight = Feed::build(
        &s,
        FeedOptions {
            rules: Rules::all(),
            burst_gap_us: 5_000_000,
            burst_min: 3,
        },
    );
    assert_eq!((tight.counts.lines, tight.counts.bursts), (8, 0));
    // No folding: one line per request.
    let flat = Feed::build(
        &s,
        FeedOptions {
            rules: Rules::all(),
            burst_min: 0,
            ..FeedOptions::default()
        },
    );
    assert_eq!(flat.len(), 8);
    // Humans only: bob alone.
    let humans = Feed::build(&s, FeedOptions::default());
    let h = humans.page(&s, 0, 10);
    assert_eq!(h.len(), 1);
    assert_eq!(s.audit_id(h[0].row as usize), "bob1");
    assert_eq!(
        humans.counts.by_category[Category::ControlPlane as usize],
        7
    );
}

#[test]
fn paging() {
    let s = common::load("bursts.log", burst_log().as_bytes());
    let f = Feed::build(
        &s,
        FeedOptions {
            rules: Rules::all(),
            burst_min: 0,
            ..FeedOptions::default()
        },
    );
    let whole = f.page(&s, 0, 100);
    assert_eq!(whole.len(), 8);
    let mut pieces = f.page(&s, 0, 3);
    pieces.extend(f.page(&s, 3, 3));
    pieces.extend(f.page(&s, 6, 3));
    assert_eq!(pieces, whole);
    assert!(f.page(&s, 8, 3).is_empty());
    assert!(f.page(&s, 500, 3).is_empty());
    assert!(f.page(&s, usize::MAX, usize::MAX).is_empty());
    let idx: Vec<u32> = whole.iter().map(|l| l.index).collect();
    assert_eq!(idx, (0..8).collect::<Vec<u32>>());
    // An empty store: an empty feed.
    let e = Feed::build(&audit_lens::store::Store::new(), FeedOptions::default());
    assert!(e.is_empty() && e.counts.requests == 0);
}

/// `audit-lens feed`: the same rules from the command line, JSON and text.
#[test]
fn cli_feed() {
    let Some(dir) = common::corpus() else {
        return;
    };
    let log = dir.join("logs/openshift-clo-apiaudit-audit_in.log");
    let log = log.to_str().unwrap();
    let bin = env!("CARGO_BIN_EXE_audit-lens");
    let out = std::process::Command::new(bin)
        .args(["feed", "--json", "--limit", "2", "--no-fold", log])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Humans in this log (jq: one per auditID whose user is not system:*): kube:admin's 3.
    let bytes = std::fs::read(log).unwrap();
    let humans: BTreeSet<String> = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice::<Value>(l).unwrap())
        .filter(|e| scan_category(e) == "human")
        .map(|e| e["auditID"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(v["counts"]["shown"].as_u64(), Some(humans.len() as u64));
    assert_eq!(v["lines"].as_array().unwrap().len(), 2.min(humans.len()));
    assert_eq!(v["rules"]["hide_service_accounts"], Value::Bool(true));
    let first = &v["lines"][0];
    assert!(
        first["text"]
            .as_str()
            .unwrap()
            .starts_with("kube:admin (oc, "),
        "{first}"
    );
    // --all: every request; text mode: one line each, newest first.
    let out = std::process::Command::new(bin)
        .args(["feed", "--all", "--no-fold", "--limit", "1000", log])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let n_requests = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            serde_json::from_slice::<Value>(l).unwrap()["auditID"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect::<BTreeSet<_>>()
        .len();
    assert_eq!(text.lines().count(), n_requests);
    let times: Vec<&str> = text.lines().map(|l| &l[..20]).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    // Bad input: a clear message, exit 2.
    let out = std::process::Command::new(bin)
        .args(["feed"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("feed needs at least one LOG"));
}

/// Non-resource requests fold whatever their path (kubectl's discovery), and say so.
#[test]
fn non_resource_bursts() {
    let nr = |id: &str, t: &str, user: &str, path: &str| {
        format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"ResponseComplete","requestURI":"{path}","verb":"get","user":{{"username":"{user}"}},"sourceIPs":["10.0.0.5"],"responseStatus":{{"code":200}},"requestReceivedTimestamp":"{t}","stageTimestamp":"{t}"}}"#
        )
    };
    let lines = [
        nr("d1", "2024-05-01T10:00:00.100Z", "bob", "/api"),
        nr("d2", "2024-05-01T10:00:00.200Z", "bob", "/apis"),
        nr("d3", "2024-05-01T10:00:00.300Z", "bob", "/apis/apps/v1"),
        nr("d4", "2024-05-01T10:00:00.400Z", "bob", "/version"),
        nr("h1", "2024-05-01T10:01:00Z", "alice", "/healthz"),
        nr("h2", "2024-05-01T10:01:10Z", "alice", "/healthz"),
        nr("h3", "2024-05-01T10:01:20Z", "alice", "/healthz"),
    ];
    let s = common::load("nr.log", lines.join("\n").as_bytes());
    let f = Feed::build(&s, FeedOptions::default());
    let texts: Vec<String> = f.page(&s, 0, 10).into_iter().map(|l| l.text).collect();
    assert_eq!(
        texts,
        [
            "alice read /healthz 3 times in 20 s",
            "bob read 4 API paths in 0 s"
        ]
    );
}
