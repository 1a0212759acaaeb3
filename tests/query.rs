//! The filter language evaluated over a real store, completion, and timeline binning,
//! including empty results and single-event logs.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use audit_lens::analysis::evaluate::{evaluate, AttrIndex};
use audit_lens::analysis::timeline::{timeline, StackBy};
use audit_lens::analysis::topn::TopDim;
use audit_lens::audit::policy::{load_policy, LoadOptions};
use audit_lens::gen::{generate, GenOptions};
use audit_lens::query::compile;
use audit_lens::query::complete::complete;
use audit_lens::store::{Dim, Store};
use common::load;
use std::sync::OnceLock;

fn store() -> &'static Store {
    static S: OnceLock<Store> = OnceLock::new();
    S.get_or_init(|| {
        let mut v = Vec::new();
        generate(
            &GenOptions {
                duration_s: 1800,
                ..Default::default()
            },
            &mut |b| v.extend_from_slice(b),
        );
        load("gen.log", &v)
    })
}

/// Rows matching `f`, and the same rows found by a plain scan with `pred` (the oracle).
fn check(filter: &str, pred: impl Fn(&Store, usize) -> bool) -> usize {
    let s = store();
    let got = compile(s, filter, None)
        .unwrap_or_else(|e| panic!("{filter}: {e:?}"))
        .select(s, None, None);
    let want: Vec<u32> = (0..s.len())
        .filter(|&r| pred(s, r))
        .map(|r| r as u32)
        .collect();
    assert_eq!(got, want, "{filter}");
    got.len()
}

#[test]
fn filters_equal_a_plain_scan() {
    let n = check("", |_, _| true);
    assert_eq!(n, store().len());
    assert!(
        check("user:alice@example.com", |s, r| s.str(Dim::User, r)
            == "alice@example.com")
            > 0
    );
    assert!(
        check("user:ALICE*", |s, r| s
            .str(Dim::User, r)
            .starts_with("alice"))
            > 0
    );
    assert!(
        check("-verb:get,list,watch", |s, r| !["get", "list", "watch"]
            .contains(&s.str(Dim::Verb, r)))
            > 0
    );
    assert!(
        check("resource:pods/exec", |s, r| s.str(Dim::Resource, r)
            == "pods"
            && s.str(Dim::Subresource, r) == "exec")
            > 0
    );
    // A policy's meaning (checker.go ruleMatchesResource): `pods` has no subresource,
    // `pods/*` any or none.
    assert!(
        check("resource:pods", |s, r| s.str(Dim::Resource, r) == "pods"
            && s.str(Dim::Subresource, r).is_empty())
            > 0
    );
    assert!(check("resource:pods/*", |s, r| s.str(Dim::Resource, r) == "pods") > 0);
    assert!(
        check("resource:leases.coordination.k8s.io", |s, r| s
            .str(Dim::Resource, r)
            == "leases"
            && s.str(Dim::ApiGroup, r) == "coordination.k8s.io"
            && s.str(Dim::Subresource, r).is_empty())
            > 0
    );
    assert!(
        check("resource:*/status", |s, r| s.str(Dim::Subresource, r)
            == "status")
            > 0
    );
    assert!(
        check("ns:kube-system code:>=400", |s, r| s.str(Dim::Namespace, r)
            == "kube-system"
            && s.code(r) >= 400)
            > 0
    );
    assert!(check("code:4xx", |s, r| (400..500).contains(&s.code(r))) > 0);
    assert!(check("code:403", |s, r| s.code(r) == 403) > 0);
    assert!(
        check("decision:forbid", |s, r| s.str(Dim::Decision, r)
            == "forbid")
            > 0
    );
    assert!(check("stage:ResponseStarted", |s, r| s.stage_byte(r) == 1) > 0);
    assert!(check("stage:*started", |s, r| s.stage_byte(r) == 1) > 0);
    assert!(check("level:Metadata", |s, r| s.level_byte(r) == 1) > 0);
    assert!(
        check("ip:203.0.113.*", |s, r| s
            .first_source_ip(r)
            .starts_with("203.0.113."))
            > 0
    );
    assert!(
        check("group:system:nodes", |s, r| s
            .dict
            .groups
            .members_of(s.groups_id(r))
            .any(|g| g == "system:nodes"))
            > 0
    );
    assert!(
        check("agent:kubectl*", |s, r| s
            .str(Dim::UserAgent, r)
            .starts_with("kubectl"))
            > 0
    );
    assert!(check("latency:>1m", |s, r| s.latency(r) > 60_000_000) > 0);
    assert!(
        check("as:system:serviceaccount:shop:web", |s, r| s
            .str(Dim::ImpersonatedUser, r)
            == "system:serviceaccount:shop:web")
            > 0
    );
    assert!(check("uri:/healthz", |s, r| s.path(r) == "/healthz") > 0);
    assert!(
        check("uri:/api/v1/namespaces/*/pods/*", |s, r| {
            let p = s.path(r);
            p.starts_with("/api/v1/namespaces/") && p.contains("/pods/")
        }) > 0
    );
    // Bare words: path or name, case ignored; with and without '/'.
    assert!(
        check("secrets", |s, r| s.path(r).contains("secrets")
            || s.str(Dim::Name, r).contains("secrets"))
            > 0
    );
    assert!(
        check("kube-node-lease/leases", |s, r| s
            .path(r)
            .contains("kube-node-lease/leases"))
            > 0
    );
    assert!(check("HEALTHZ", |s, r| s.path(r).contains("healthz")) > 0);
    // Constant parts of derived paths: "apis" is not in core paths, "namespaces" only in
    // namespaced ones.
    let in_path_or_name = |w: &'static str| {
        move |s: &Store, r: usize| {
            s.path(r).to_ascii_lowercase().contains(w) || s.str(Dim::Name, r).contains(w)
        }
    };
    for w in ["apis", "api", "namespaces", "pi/v1/n", "v1", "coordination"] {
        check(w, in_path_or_name(w));
    }
    // Empty values written as "" (cluster-scoped, no impersonation) and quoted commas.
    assert!(check(r#"ns:"""#, |s, r| s.str(Dim::Namespace, r).is_empty()) > 0);
    assert!(
        check(r#"-as:"""#, |s, r| !s
            .str(Dim::ImpersonatedUser, r)
            .is_empty())
            > 0
    );
    assert_eq!(check(r#"agent:"kubectl, curl""#, |_, _| false), 0);
    // Empty results.
    assert_eq!(check("user:nobody-at-all", |_, _| false), 0);
    assert_eq!(check("verb:get -verb:get", |_, _| false), 0);
    // Time range.
    let t0 = store().received(store().len() / 2);
    let iso = audit_lens::util::format_rfc3339_micros(t0);
    assert!(check(&format!("after:{iso}"), |s, r| s.received(r) >= t0) > 0);
    assert!(check(&format!("before:{iso}"), |s, r| s.received(r) < t0) > 0);
}

#[test]
fn auditid_and_range_selection() {
    let s = store();
    let id = s.audit_id(10);
    let got = compile(s, &format!("auditid:{id}"), None)
        .unwrap()
        .select(s, None, None);
    assert!(got.contains(&10));
    assert!(got.iter().all(|&r| s.audit_id(r as usize) == id));
    let (a, b) = (s.received(100), s.received(200));
    let sel = compile(s, "", None).unwrap().select(s, Some((a, b)), None);
    assert!(sel
        .iter()
        .all(|&r| (a..b).contains(&s.received(r as usize))));
    assert_eq!(
        sel.len(),
        (0..s.len())
            .filter(|&r| (a..b).contains(&s.received(r)))
            .count()
    );
}

#[test]
fn rule_terms_need_a_policy() {
    let s = store();
    let e = compile(s, "rule:1", None).err().unwrap();
    assert!(e.message.contains("load a policy"));
    let p = load_policy(
        "p",
        audit_lens::gen::sample_policy(),
        &LoadOptions::default(),
    )
    .unwrap();
    let ev = evaluate(s, &AttrIndex::build(s), &p.compiled);
    let got = compile(s, "rule:3", Some(&ev))
        .unwrap()
        .select(s, None, Some(&ev));
    assert!(!got.is_empty());
    assert!(got.iter().all(|&r| ev.decision(r as usize).rule == Some(3)));
    let none = compile(s, "rule:none", Some(&ev))
        .unwrap()
        .select(s, None, Some(&ev));
    assert!(none.iter().all(|&r| ev.decision(r as usize).rule.is_none()));
    // Review §3.3: a rule number past the policy sized an allocation (4 GB here, an
    // abort in the worker). It matches nothing, and `rule:3,4000000000` is `rule:3`.
    let huge = compile(s, "rule:4000000000", Some(&ev))
        .unwrap()
        .select(s, None, Some(&ev));
    assert!(huge.is_empty());
    let mixed = compile(s, "rule:3,4000000000", Some(&ev))
        .unwrap()
        .select(s, None, Some(&ev));
    assert_eq!(mixed, got);
}

#[test]
fn latency_bounds_saturate() {
    // `latency:>N` with N past u64 µs overflowed on `+ 1` (a panic in debug builds,
    // everything in release); it now means "more than the longest latency": nothing.
    let s = store();
    let got = compile(s, "latency:>99999999999999999999h", None)
        .unwrap()
        .select(s, None, None);
    assert!(got.is_empty());
}

#[test]
fn compile_errors_have_ranges() {
    let s = store();
    for (f, want) in [
        ("code:abc", "code:"),
        ("stage:Sideways", "stage"),
        ("level:Loud", "level"),
        ("after:yesterday", "after:"),
        ("latency:>fast", "latency"),
    ] {
        let text = format!("verb:get {f}");
        let e = compile(s, &text, None)
            .err()
            .unwrap_or_else(|| panic!("{f} compiled"));
        assert!(e.message.contains(want), "{}", e.message);
        assert_eq!(&text[e.start..e.end], f);
    }
}

#[test]
fn completion_of_fields_and_values() {
    let s = store();
    let c = complete(s, "verb:get na", 11, 10);
    assert_eq!((c.start, c.end), (9, 11));
    assert!(
        c.items.iter().any(|i| i.insert == "name:") && c.items.iter().any(|i| i.insert == "ns:")
    );
    let c = complete(s, "verb:wa", 7, 10);
    assert_eq!(c.start, 5);
    assert_eq!(c.items[0].insert, "watch");
    let c = complete(s, "user:alice@example.com,bo", 25, 10);
    assert_eq!(c.start, 23);
    assert!(c.items.iter().any(|i| i.insert == "bob@example.com"));
    // Values with spaces are quoted.
    let c = complete(s, "agent:kubelet", 13, 10);
    assert!(c.items[0].insert.starts_with('"'), "{:?}", c.items[0]);
}

#[test]
fn completion_after_non_ascii_whitespace_does_not_panic() {
    // Regression (found by the filter fuzzer): a multi-byte space before the cursor made
    // the token start fall inside a character. Terms are split on ASCII whitespace, as
    // the parser splits them, so such a space belongs to the term.
    let s = store();
    let cases: &[(&str, usize)] = &[
        ("A\u{2001}", 4),         // EM QUAD, the fuzzer's case
        ("verb:get\u{a0}na", 11), // a pasted no-break space
        ("\u{3000}user:", 8),     // ideographic space first
        ("x \u{2003} verb:wa", 13),
    ];
    for &(text, cursor) in cases {
        assert!(text.is_char_boundary(cursor), "{text:?}");
        let c = complete(s, text, cursor, 10);
        assert!(c.start <= c.end && c.end <= text.len(), "{text:?}: {c:?}");
        assert!(text.is_char_boundary(c.start), "{text:?}: {c:?}");
    }
    // After an ASCII space, completion starts there, as before.
    assert_eq!(complete(s, "x \u{2003} verb:wa", 13, 10).start, 11); // the value after "verb:"
}

#[test]
fn timeline_bins_add_up() {
    let s = store();
    let all = compile(s, "", None).unwrap().select(s, None, None);
    let (a, b) = (s.received(0), s.received(s.len() - 1) + 1);
    for stack in [
        StackBy::None,
        StackBy::Dim(TopDim::Verb),
        StackBy::Dim(TopDim::User),
        StackBy::CodeClass,
    ] {
        let t = timeline(s, &all, (a, b), 120, stack, 5, None);
        assert!(t.bins <= 121 && t.bins >= 60, "{}", t.bins);
        assert_eq!(
            t.totals.iter().map(|&c| c as u64).sum::<u64>(),
            s.len() as u64
        );
        for i in 0..t.bins {
            let stacked: u32 = t.series.iter().map(|x| x.counts[i]).sum::<u32>() + t.other[i];
            assert_eq!(stacked, t.totals[i]);
            assert_eq!(t.latency[i].iter().sum::<u32>(), t.totals[i]);
        }
        assert!(t.series.len() <= 5);
        assert!(t.series.windows(2).all(|w| w[0].total >= w[1].total));
    }
    let t = timeline(s, &all, (a, b), 120, StackBy::Dim(TopDim::Verb), 10, None);
    // watches are long-running
    assert!(t.long_running.iter().sum::<u32>() > 0);
    let watch = (0..s.len())
        .filter(|&r| s.str(Dim::Verb, r) == "watch")
        .count() as u64;
    assert!(t
        .series
        .iter()
        .any(|x| x.label == "watch" && x.total == watch));
}

#[test]
fn timeline_of_empty_and_single_event() {
    let s = store();
    let t = timeline(
        s,
        &[],
        (0, 1_000_000),
        100,
        StackBy::Dim(TopDim::Verb),
        5,
        None,
    );
    assert_eq!(t.events, 0);
    assert!(t.series.is_empty());
    assert!(t.totals.iter().all(|&c| c == 0));
    let one = load("one", br#"{"kind":"Event","auditID":"x","stage":"ResponseComplete","verb":"get","requestURI":"/healthz","requestReceivedTimestamp":"2026-01-01T00:00:00Z","stageTimestamp":"2026-01-01T00:00:00.5Z"}"#);
    let t0 = one.received(0);
    let t = timeline(
        &one,
        &[0],
        (t0, t0 + 1),
        100,
        StackBy::Dim(TopDim::Verb),
        5,
        None,
    );
    assert_eq!(t.bins, 1);
    assert_eq!(t.totals, vec![1]);
    assert_eq!(t.series[0].label, "get");
    assert_eq!(
        t.latency[0][audit_lens::analysis::timeline::latency_bucket(500_000)],
        1
    );
}
