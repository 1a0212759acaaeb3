//! The actor engine (`analysis::actor`) on real corpus logs, each figure checked against a
//! plain `serde_json::Value` scan of the file written here: impersonation on the audit2rbac
//! logs, sessions in the OpenShift log, and `next` on a small hand-built log.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use audit_lens::analysis::actor::{self, Actor, Count};
use audit_lens::store::Store;
use audit_lens::util::parse_rfc3339_micros;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn corpus_log(name: &str) -> Option<(Store, Vec<Value>)> {
    let dir = common::corpus()?;
    let p = dir.join("logs").join(name);
    let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let store = common::load(name, &bytes);
    let events: Vec<Value> = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .map(|l| serde_json::from_slice(l).expect("the corpus log is JSON lines"))
        .collect();
    assert_eq!(store.len(), events.len(), "{name}: every line is an event");
    Some((store, events))
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut x = v;
    for k in path {
        x = &x[*k];
    }
    x.as_str().unwrap_or("")
}

/// When the request was received: `requestReceivedTimestamp`, or (audit.k8s.io/v1beta1
/// exports of 2017) `timestamp`.
fn received(v: &Value) -> i64 {
    let t = match str_at(v, &["requestReceivedTimestamp"]) {
        "" => str_at(v, &["timestamp"]),
        t => t,
    };
    parse_rfc3339_micros(t).expect("a time")
}

/// Requests per value of `key`, among the events `keep` accepts (one per auditID).
fn requests_by(
    events: &[Value],
    keep: impl Fn(&Value) -> bool,
    key: impl Fn(&Value) -> String,
) -> BTreeMap<String, u64> {
    let mut seen = BTreeSet::new();
    let mut out = BTreeMap::new();
    for e in events.iter().filter(|e| keep(e)) {
        if seen.insert(str_at(e, &["auditID"]).to_string()) {
            *out.entry(key(e)).or_default() += 1;
        }
    }
    out
}

fn as_map(v: &[Count]) -> BTreeMap<String, u64> {
    v.iter().map(|c| (c.value.clone(), c.requests)).collect()
}

/// The issue's audit2rbac case: every request of the log is made by `system:admin`; 37 of
/// them impersonate bob, alice or `system:serviceaccount:ns1:sa1`.
#[test]
fn impersonation_on_audit2rbac() {
    for name in [
        "audit2rbac-demo-v1.log",
        "audit2rbac-demo-original-v1beta1.log",
    ] {
        let Some((s, events)) = corpus_log(name) else {
            return;
        };
        let imp = |e: &Value| str_at(e, &["impersonatedUser", "username"]).to_string();
        let impersonated: Vec<&Value> = events.iter().filter(|e| !imp(e).is_empty()).collect();
        assert_eq!(impersonated.len(), 37, "{name}: impersonated events (jq)");
        // Whom system:admin impersonated, by requests.
        let chain = requests_by(&events, |e| !imp(e).is_empty(), imp);
        let admin = actor::report(
            &s,
            &Actor::parse("system:admin").unwrap(),
            actor::DEFAULT_GAP_US,
            usize::MAX,
        );
        assert_eq!(as_map(&admin.impersonated), chain, "{name}");
        assert!(
            admin.impersonated_by.is_empty(),
            "{name}: nobody impersonated system:admin"
        );
        let all_ids: BTreeSet<&str> = events.iter().map(|e| str_at(e, &["auditID"])).collect();
        assert_eq!(
            admin.requests,
            all_ids.len() as u64,
            "{name}: system:admin made every request"
        );
        assert_eq!(admin.events, events.len() as u64, "{name}");
        // Each impersonated user: its events and requests, and who impersonated it.
        for (who, n) in &chain {
            let r = actor::report(
                &s,
                &Actor::User(who.clone()),
                actor::DEFAULT_GAP_US,
                usize::MAX,
            );
            let evs = impersonated.iter().filter(|e| imp(e) == *who).count() as u64;
            assert_eq!(r.events, evs, "{name}: {who}");
            assert_eq!(r.requests, *n, "{name}: {who}");
            assert_eq!(
                as_map(&r.impersonated_by),
                BTreeMap::from([("system:admin".to_string(), *n)]),
                "{name}: {who}"
            );
            let failed = requests_by(
                &events,
                |e| imp(e) == *who && e["responseStatus"]["code"].as_u64().unwrap_or(0) >= 400,
                |_| String::new(),
            );
            assert_eq!(r.failures, failed.values().sum::<u64>(), "{name}: {who}");
            let by_reason: u64 = r.failure_groups.iter().map(|f| f.requests).sum();
            assert_eq!(
                by_reason, r.failures,
                "{name}: {who}: failure groups add up"
            );
            // Objects touched add up to the requests.
            let touched: u64 = r.objects.iter().map(|o| o.requests).sum();
            assert_eq!(touched, r.requests, "{name}: {who}");
        }
        // The service account is named as the page writes it.
        let sa = actor::report(
            &s,
            &Actor::parse("sa:ns1/sa1").unwrap(),
            actor::DEFAULT_GAP_US,
            10,
        );
        assert_eq!(
            sa.requests, chain["system:serviceaccount:ns1:sa1"],
            "{name}"
        );
        assert_eq!(sa.label, "sa:ns1/sa1");
        assert_eq!(sa.kind, "serviceaccount");
    }
}

/// Sessions computed independently: the actor's request times from a plain scan (one per
/// auditID), sorted, split where the pause exceeds the gap.
fn sessions_by_scan(events: &[Value], who: &str, ip: bool, gap: i64) -> Vec<(i64, i64, u64)> {
    let mut times: BTreeMap<String, i64> = BTreeMap::new();
    for e in events {
        let hit = if ip {
            e["sourceIPs"][0].as_str() == Some(who)
        } else {
            str_at(e, &["user", "username"]) == who
                || str_at(e, &["impersonatedUser", "username"]) == who
        };
        if hit {
            times.insert(str_at(e, &["auditID"]).to_string(), received(e));
        }
    }
    let mut t: Vec<i64> = times.into_values().collect();
    t.sort_unstable();
    let mut out: Vec<(i64, i64, u64)> = Vec::new();
    for x in t {
        match out.last_mut() {
            Some(last) if x - last.1 <= gap => {
                last.1 = x;
                last.2 += 1;
            }
            _ => out.push((x, x, 1)),
        }
    }
    out
}

#[test]
fn sessions_in_the_openshift_log() {
    let Some((s, events)) = corpus_log("openshift-clo-apiaudit-audit_in.log") else {
        return;
    };
    // The log spans about a second: requests of one operator come every ~50 ms, so gaps
    // around 50 ms split it in several ways.
    let cases = [
        (
            "system:serviceaccount:openshift-cluster-version:default",
            false,
        ),
        (
            "system:serviceaccount:openshift-kube-apiserver-operator:kube-apiserver-operator",
            false,
        ),
        ("kube:admin", false),
        ("10.0.0.7", true),
    ];
    for (who, ip) in cases {
        for gap in [actor::DEFAULT_GAP_US, 1_000_000, 50_000, 49_500, 10_000, 0] {
            let a = if ip {
                Actor::Ip(who.into())
            } else {
                Actor::User(who.into())
            };
            let r = actor::report(&s, &a, gap, usize::MAX);
            let want = sessions_by_scan(&events, who, ip, gap);
            let got: Vec<(i64, i64, u64)> = r
                .sessions
                .iter()
                .map(|x| (x.start_us, x.end_us, x.requests))
                .collect();
            assert_eq!(got, want, "{who} at gap {gap} µs");
            assert_eq!(r.requests, want.iter().map(|x| x.2).sum::<u64>(), "{who}");
            assert_eq!(r.first_us, want.first().map(|x| x.0));
            assert_eq!(r.last_us, want.last().map(|x| x.1));
        }
    }
    // The splits above are not all trivial.
    let op = Actor::User("system:serviceaccount:openshift-cluster-version:default".into());
    assert!(actor::report(&s, &op, 49_500, 10).sessions.len() > 1);
    assert_eq!(
        actor::report(&s, &op, actor::DEFAULT_GAP_US, 10)
            .sessions
            .len(),
        1
    );
    // An address: the users behind it, by a scan of the first source IP.
    let ip = actor::report(
        &s,
        &Actor::Ip("10.0.0.7".into()),
        actor::DEFAULT_GAP_US,
        usize::MAX,
    );
    let users = requests_by(
        &events,
        |e| e["sourceIPs"][0].as_str() == Some("10.0.0.7"),
        |e| str_at(e, &["user", "username"]).to_string(),
    );
    let got: BTreeMap<String, u64> = ip
        .identities
        .iter()
        .map(|c| (c.value.clone(), c.requests))
        .collect();
    let want: BTreeMap<String, u64> = users
        .into_iter()
        .map(|(u, n)| (audit_lens::analysis::describe::short_user(&u), n))
        .collect();
    assert_eq!(got, want);
    // Nobody: no requests, no panic.
    let none = actor::report(
        &s,
        &Actor::User("nobody-at-all".into()),
        actor::DEFAULT_GAP_US,
        10,
    );
    assert_eq!((none.requests, none.sessions.len()), (0, 0));
}

#[allow(clippy::too_many_arguments)]
fn ev(
    id: &str,
    stage: &str,
    t: &str,
    user: &str,
    verb: &str,
    ns: &str,
    name: &str,
    code: u16,
) -> String {
    let object = if name.is_empty() {
        format!(r#"{{"resource":"pods","namespace":"{ns}","apiVersion":"v1"}}"#)
    } else {
        format!(r#"{{"resource":"pods","namespace":"{ns}","name":"{name}","apiVersion":"v1"}}"#)
    };
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"{stage}","requestURI":"/api/v1/namespaces/{ns}/pods/{name}","verb":"{verb}","user":{{"username":"{user}"}},"sourceIPs":["10.0.0.5"],"objectRef":{object},"responseStatus":{{"code":{code}}},"requestReceivedTimestamp":"{t}","stageTimestamp":"{t}"}}"#
    )
}

/// `next` on a hand-built log, worked out by hand:
///
/// | t | auditID | who | what |
/// |---|---|---|---|
/// | :00 | a1 | bob | create pod web/x (RequestReceived, then ResponseComplete) |
/// | :01 | a2 | alice | get pod web/x |
/// | :02 | a3 | bob | list pods in web |
/// | :03 | a4 | bob | delete pod web/x (RequestReceived, then ResponseComplete) |
/// | :04 | a5 | bob | get pod web/y |
///
/// After a1: by bob a3, a4, a5 (a4 once, its ResponseComplete); on pod web/x a2, a4.
#[test]
fn next_by_hand() {
    let lines = [
        ev(
            "a1",
            "RequestReceived",
            "2024-01-01T00:00:00Z",
            "bob",
            "create",
            "web",
            "x",
            0,
        ),
        ev(
            "a1",
            "ResponseComplete",
            "2024-01-01T00:00:00Z",
            "bob",
            "create",
            "web",
            "x",
            201,
        ),
        ev(
            "a2",
            "ResponseComplete",
            "2024-01-01T00:00:01Z",
            "alice",
            "get",
            "web",
            "x",
            200,
        ),
        ev(
            "a3",
            "ResponseComplete",
            "2024-01-01T00:00:02Z",
            "bob",
            "list",
            "web",
            "",
            200,
        ),
        ev(
            "a4",
            "RequestReceived",
            "2024-01-01T00:00:03Z",
            "bob",
            "delete",
            "web",
            "x",
            0,
        ),
        ev(
            "a4",
            "ResponseComplete",
            "2024-01-01T00:00:03Z",
            "bob",
            "delete",
            "web",
            "x",
            200,
        ),
        ev(
            "a5",
            "ResponseComplete",
            "2024-01-01T00:00:04Z",
            "bob",
            "get",
            "web",
            "y",
            404,
        ),
    ];
    let s = common::load("next.log", lines.join("\n").as_bytes());
    assert_eq!(s.len(), 7);
    let row_of = |id: &str, stage: &str| {
        (0..s.len())
            .find(|&r| s.audit_id(r) == id && s.stage(r).map(|x| x.as_str()) == Some(stage))
            .unwrap()
    };
    let ids = |v: &[actor::NextItem]| -> Vec<(String, u16)> {
        v.iter()
            .map(|i| (s.audit_id(i.row as usize), i.code))
            .collect()
    };
    for from in [
        row_of("a1", "RequestReceived"),
        row_of("a1", "ResponseComplete"),
    ] {
        let n = actor::next(&s, from, 5).unwrap();
        assert_eq!(
            ids(&n.by_actor),
            [("a3".into(), 200), ("a4".into(), 200), ("a5".into(), 404)]
        );
        assert_eq!(ids(&n.on_object), [("a2".into(), 200), ("a4".into(), 200)]);
        assert_eq!(n.object, "pod web/x");
        assert_eq!(n.actor, "bob");
        assert_eq!(
            n.by_actor[1].sentence,
            "bob (10.0.0.5) deleted pod web/x — 200"
        );
    }
    // Two at most.
    let n = actor::next(&s, row_of("a1", "ResponseComplete"), 2).unwrap();
    assert_eq!(ids(&n.by_actor), [("a3".into(), 200), ("a4".into(), 200)]);
    // The last request has nothing after it; out of range is None.
    let last = actor::next(&s, row_of("a5", "ResponseComplete"), 5).unwrap();
    assert!(last.by_actor.is_empty() && last.on_object.is_empty());
    assert!(actor::next(&s, 99, 5).is_none());
    // The actor report folds the two stages of a1 and a4.
    let bob = actor::report(&s, &Actor::User("bob".into()), actor::DEFAULT_GAP_US, 10);
    assert_eq!((bob.events, bob.requests, bob.failures), (6, 4, 1));
    assert_eq!(bob.failure_groups[0].code, 404);
    let x = bob
        .objects
        .iter()
        .find(|o| o.object == "pod web/x")
        .unwrap();
    assert_eq!(x.requests, 2);
    // A one-second gap splits bob's requests at :00 | :02 :03 :04.
    let split = actor::report(&s, &Actor::User("bob".into()), 1_000_000, 10);
    let sizes: Vec<u64> = split.sessions.iter().map(|x| x.requests).collect();
    assert_eq!(sizes, [1, 3]);
}

/// `audit-lens actor --json`: the stable JSON for scripts, checked against the scan.
#[test]
fn cli_actor_json() {
    let Some(dir) = common::corpus() else {
        return;
    };
    let log = dir.join("logs/audit2rbac-demo-v1.log");
    let log = log.to_str().unwrap();
    let bin = env!("CARGO_BIN_EXE_audit-lens");
    let run = |args: &[&str]| std::process::Command::new(bin).args(args).output().unwrap();
    let out = run(&["actor", "--json", "--gap", "5m", "bob", log]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (_, events) = corpus_log("audit2rbac-demo-v1.log").unwrap();
    let bob = requests_by(
        &events,
        |e| str_at(e, &["impersonatedUser", "username"]) == "bob",
        |e| str_at(e, &["user", "username"]).to_string(),
    );
    assert_eq!(bob.len(), 1);
    assert_eq!(v["actor"], "bob");
    assert_eq!(v["kind"], "user");
    assert_eq!(v["gap_us"].as_i64(), Some(300_000_000));
    assert_eq!(v["requests"].as_u64(), Some(bob["system:admin"]));
    assert_eq!(v["impersonated_by"][0]["value"], "system:admin");
    assert_eq!(
        v["impersonated_by"][0]["requests"].as_u64(),
        Some(bob["system:admin"])
    );
    let want = sessions_by_scan(&events, "bob", false, 300_000_000);
    let got: Vec<(i64, i64, u64)> = v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["start_us"].as_i64().unwrap(),
                x["end_us"].as_i64().unwrap(),
                x["requests"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, want);
    for key in [
        "events",
        "failures",
        "first_us",
        "last_us",
        "objects",
        "objects_total",
        "failure_groups",
        "source_ips",
        "user_agents",
        "groups",
        "impersonated",
        "identities",
    ] {
        assert!(v.get(key).is_some(), "JSON key {key}");
    }
    // Text mode, and bad input: clear messages, never a panic.
    let out = run(&["actor", "sa:ns1/sa1", log]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("sa:ns1/sa1 (serviceaccount)"));
    let out = run(&["actor", "nobody", log]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no requests by nobody"));
    let out = run(&["actor", "sa:broken", log]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sa:NAMESPACE/NAME"));
    let out = run(&["actor", "--gap", "soon", "bob", log]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--gap"));
    let out = run(&["actor", "bob"]);
    assert_eq!(out.status.code(), Some(2));
    // A file that is not a log: refused with a message, not a panic.
    let junk = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("actor-junk.txt");
    std::fs::write(&junk, b"not an audit log\n").unwrap();
    let out = run(&["actor", "--json", "bob", junk.to_str().unwrap()]);
    assert!(out.status.code().is_some());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}
