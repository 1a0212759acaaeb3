//! Compare two periods (issue 16 §5) against an independent count: every log line read with
//! serde_json, the periods worked out by hand, counted per user, agent product, verb,
//! resource, code and rule (a three-rule policy evaluated by hand), classified as new,
//! gone or changed ≥2× by events per hour — and each row's filter term, with the time
//! range of its period, selects exactly its events.

mod common;

use audit_lens::analysis::evaluate::{evaluate, AttrIndex};
use audit_lens::analysis::periods::{
    answer, compare, day_earlier, default_b, preceding, Change, Options, PeriodDim, PeriodsSpec,
    Side, DAY_US,
};
use audit_lens::audit::policy::{load_policy, LoadOptions};
use audit_lens::gen::{generate, GenOptions};
use audit_lens::store::Store;
use audit_lens::util::parse_rfc3339_micros;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// One event as the scan reads it.
struct Ev {
    t: i64,
    file: u32,
    vals: Vec<(PeriodDim, String)>,
}

/// Rules of [`POLICY`], decided by hand: first match wins (kube-apiserver's
/// `policy.Checker`: apiserver pkg/audit/policy/checker.go `ruleMatches`): a rule with
/// `resources` matches resource requests of that group and resource only (no
/// subresource unless written); one with only `verbs` matches any request with that verb.
const POLICY: &str = r#"apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    verbs: ["watch"]
  - level: Metadata
    resources: [{group: "coordination.k8s.io", resources: ["leases"]}]
  - level: Request
    verbs: ["create", "update", "patch", "delete"]
"#;

fn rule_by_hand(v: &Value) -> String {
    let verb = v["verb"].as_str().unwrap_or("");
    let o = &v["objectRef"];
    let res = o["resource"].as_str().unwrap_or("");
    let grp = o["apiGroup"].as_str().unwrap_or("");
    let sub = o["subresource"].as_str().unwrap_or("");
    if verb == "watch" {
        "0".into()
    } else if !res.is_empty() && res == "leases" && grp == "coordination.k8s.io" && sub.is_empty() {
        "1".into()
    } else if ["create", "update", "patch", "delete"].contains(&verb) {
        "2".into()
    } else {
        "none".into()
    }
}

fn scan(files: &[&[u8]], rules: bool) -> Vec<Ev> {
    let mut out = Vec::new();
    for (fi, bytes) in files.iter().enumerate() {
        for line in bytes.split(|&b| b == b'\n') {
            let Ok(v) = serde_json::from_slice::<Value>(line) else {
                continue;
            };
            let t = parse_rfc3339_micros(v["requestReceivedTimestamp"].as_str().unwrap()).unwrap();
            let s = |p: &Value| p.as_str().unwrap_or("").to_string();
            let user = s(&v["user"]["username"]);
            let ua = s(&v["userAgent"]);
            let product = if ua.is_empty() {
                "(none)".to_string()
            } else if ua.starts_with('/') {
                "(empty product)".to_string()
            } else {
                ua.split('/').next().unwrap_or("").to_ascii_lowercase()
            };
            let o = &v["objectRef"];
            let mut res = s(&o["resource"]);
            if res.is_empty() {
                res = "(non-resource)".into();
            } else {
                if !s(&o["apiGroup"]).is_empty() {
                    res = format!("{res}.{}", s(&o["apiGroup"]));
                }
                if !s(&o["subresource"]).is_empty() {
                    res = format!("{res}/{}", s(&o["subresource"]));
                }
            }
            let code = v["responseStatus"]["code"]
                .as_u64()
                .map_or("(none)".to_string(), |c| c.to_string());
            let mut vals = vec![
                (
                    PeriodDim::User,
                    if user.is_empty() {
                        "(none)".into()
                    } else {
                        user
                    },
                ),
                (PeriodDim::Agent, product),
                (PeriodDim::Verb, s(&v["verb"])),
                (PeriodDim::Resource, res),
                (PeriodDim::Code, code),
            ];
            if rules {
                vals.push((PeriodDim::Rule, rule_by_hand(&v)));
            }
            out.push(Ev {
                t,
                file: fi as u32,
                vals,
            });
        }
    }
    out
}

fn inside(side: &Side, e: &Ev) -> bool {
    match side {
        Side::Range { from, to } => e.t >= *from && e.t < *to,
        Side::Files(f) => f.contains(&e.file),
    }
}

type Expect = BTreeMap<(PeriodDim, String), (u64, u64, Change)>;

/// New / gone / ≥2× by rate, from the scan alone.
fn expect(
    evs: &[Ev],
    a: &Side,
    b: &Side,
    a_h: f64,
    b_h: f64,
    keep: &dyn Fn(&Ev) -> bool,
) -> Expect {
    let mut n: HashMap<(PeriodDim, String), (u64, u64)> = HashMap::new();
    for e in evs.iter().filter(|e| keep(e)) {
        let (ia, ib) = (inside(a, e), inside(b, e));
        for (d, v) in &e.vals {
            if ia || ib {
                let c = n.entry((*d, v.clone())).or_default();
                c.0 += ia as u64;
                c.1 += ib as u64;
            }
        }
    }
    n.into_iter()
        .filter_map(|(k, (x, y))| {
            let ch = if x == 0 {
                Change::New
            } else if y == 0 {
                Change::Gone
            } else {
                let f = (y as f64 / b_h) / (x as f64 / a_h);
                if f >= 2.0 {
                    Change::Up
                } else if f <= 0.5 {
                    Change::Down
                } else {
                    return None;
                }
            };
            Some((k, (x, y, ch)))
        })
        .collect()
}

fn all() -> Options {
    Options {
        min_factor: 2.0,
        per_dim: usize::MAX,
    }
}

/// The report's rows as the scan's keys (agent products compared case folded).
fn got(r: &audit_lens::analysis::periods::PeriodsReport) -> Expect {
    r.rows
        .iter()
        .map(|x| {
            let v = if x.dim == PeriodDim::Agent {
                x.value.to_ascii_lowercase()
            } else {
                x.value.clone()
            };
            ((x.dim, v), (x.a, x.b, x.change))
        })
        .collect()
}

/// Each row's term, with the filter, in its period's window, selects exactly its events
/// (user terms also take the events that user was impersonated in: at least as many).
fn terms_select_their_events(
    s: &Store,
    ev: Option<&audit_lens::analysis::evaluate::Evaluation>,
    filter: &str,
    r: &audit_lens::analysis::periods::PeriodsReport,
) -> usize {
    let mut checked = 0;
    for x in &r.rows {
        let Some(t) = &x.term else { continue };
        let (win, want) = if x.change == Change::Gone {
            (r.a_window, x.a)
        } else {
            (r.b_window, x.b)
        };
        let f = audit_lens::query::compile(s, &format!("{filter} {t}"), ev)
            .unwrap_or_else(|e| panic!("term {t}: {}", e.message));
        let n = f.select(s, win, ev).len() as u64;
        if x.dim == PeriodDim::User {
            assert!(n >= want, "{t}: {n} < {want}");
        } else {
            assert_eq!(n, want, "{t} in {win:?}");
        }
        checked += 1;
    }
    checked
}

fn load_files(files: &[(&str, &[u8])]) -> Store {
    let mut s = Store::new();
    for (name, bytes) in files {
        common::load_chunked(&mut s, name, bytes, 1 << 20);
    }
    s.finalize();
    s
}

fn gen(seed: u64, start: &str, secs: u64, activity: f64) -> Vec<u8> {
    let o = GenOptions {
        seed,
        start: parse_rfc3339_micros(start).unwrap(),
        duration_s: secs,
        activity,
        body_scale: 0.05,
        request_received: false,
        ..GenOptions::default()
    };
    let mut v = Vec::new();
    generate(&o, &mut |b| v.extend_from_slice(b));
    v
}

#[test]
fn corpus_log_preceding_period_by_hand() {
    let Some(dir) = common::corpus() else { return };
    let bytes = std::fs::read(dir.join("logs/openshift-clo-apiaudit-audit_in.log")).unwrap();
    let s = load_files(&[("in.log", &bytes)]);
    let evs = scan(&[&bytes], false);
    assert_eq!(evs.len(), s.len(), "every line is one event");
    // The span by hand: 13:20:31.803967 → 13:30:26.954923; B its latter half, A before it.
    let first = parse_rfc3339_micros("2023-06-12T13:20:31.803967Z").unwrap();
    let last = parse_rfc3339_micros("2023-06-12T13:30:26.954923Z").unwrap();
    assert_eq!(evs.iter().map(|e| e.t).min(), Some(first));
    assert_eq!(evs.iter().map(|e| e.t).max(), Some(last));
    let mid = first + (last + 1 - first) / 2;
    let len = last + 1 - mid; // B = [mid, last + 1), A the same length before it
    assert_eq!(default_b((first, last)), (mid, last + 1));
    assert_eq!(preceding((mid, last + 1)), (mid - len, mid));
    let (a, b) = (
        Side::Range {
            from: mid - len,
            to: mid,
        },
        Side::Range {
            from: mid,
            to: last + 1,
        },
    );
    let hours = len as f64 / 3.6e9;
    let r = compare(
        &s,
        &(0..s.len() as u32).collect::<Vec<_>>(),
        None,
        &a,
        &b,
        &all(),
    );
    let want = expect(&evs, &a, &b, hours, hours, &|_| true);
    assert!(!want.is_empty());
    assert_eq!(got(&r), want);
    assert_eq!(
        r.a_events,
        evs.iter().filter(|e| inside(&a, e)).count() as u64
    );
    assert_eq!(
        r.b_events,
        evs.iter().filter(|e| inside(&b, e)).count() as u64
    );
    assert_eq!(
        r.a_events + r.b_events,
        100,
        "the two halves hold every event"
    );
    assert!(!r.with_rules && r.rows.iter().all(|x| x.dim != PeriodDim::Rule));
    // Most significant first.
    for w in r.rows.windows(2) {
        assert!(w[0].score.abs() >= w[1].score.abs());
    }
    assert!(terms_select_their_events(&s, None, "", &r) > 5);
    // A filter: only reads (`verb:get,list`), counted by the scan with the same test.
    let spec = PeriodsSpec {
        id: 3,
        filter: "verb:get,list".into(),
        a: a.clone(),
        b: b.clone(),
    };
    let ans = answer(&s, None, &spec);
    let rep = ans.report.expect("a report");
    let reads = |e: &Ev| {
        e.vals
            .iter()
            .any(|(d, v)| *d == PeriodDim::Verb && (v == "get" || v == "list"))
    };
    let want = expect(&evs, &a, &b, hours, hours, &reads);
    // `answer` keeps at most 50 rows per kind; this log has fewer.
    assert_eq!(got(&rep), want);
    assert!(terms_select_their_events(&s, None, "verb:get,list", &rep) > 0);
}

#[test]
fn generated_day_earlier_ranges_files_and_rules() {
    // Two generated files: a quiet hour, and the same hour a day later with more activity
    // and another seed (other pods, other names).
    let day1 = gen(11, "2026-11-02T08:00:00Z", 1200, 0.3);
    // On day 2 the scheduler's requests come from "eve" (a gone user and a new one).
    let day2 = String::from_utf8(gen(12, "2026-11-03T08:00:00Z", 1200, 0.9))
        .unwrap()
        .replace(
            "\"username\":\"system:kube-scheduler\"",
            "\"username\":\"eve\"",
        )
        .into_bytes();
    let s = load_files(&[("day1.log", &day1), ("day2.log", &day2)]);
    let evs = scan(&[&day1, &day2], true);
    assert_eq!(evs.len(), s.len());
    let start2 = parse_rfc3339_micros("2026-11-03T08:00:00Z").unwrap();
    let b = (start2, start2 + 1_800_000_000); // 30 minutes (the files last 20)
    assert_eq!(
        day_earlier(b),
        (start2 - DAY_US, start2 - DAY_US + 1_800_000_000)
    );
    let a = Side::Range {
        from: start2 - DAY_US,
        to: start2 - DAY_US + 1_800_000_000,
    };
    let bs = Side::Range { from: b.0, to: b.1 };
    let p = load_policy("p.yaml", POLICY, &LoadOptions::default()).unwrap();
    let ev = evaluate(&s, &AttrIndex::build(&s), &p.compiled);
    let rows: Vec<u32> = (0..s.len() as u32).collect();
    let r = compare(&s, &rows, Some(&ev), &a, &bs, &all());
    let want = expect(&evs, &a, &bs, 0.5, 0.5, &|_| true);
    assert_eq!(got(&r), want);
    assert!(r.with_rules);
    // Every event has one rule (or none): the rule column partitions each period.
    let by_rule: u64 = evs
        .iter()
        .filter(|e| inside(&a, e))
        .filter(|e| e.vals.iter().any(|(d, _)| *d == PeriodDim::Rule))
        .count() as u64;
    assert_eq!(by_rule, r.a_events);
    assert!(
        want.values().any(|(_, _, c)| *c == Change::New),
        "new names appear"
    );
    assert!(terms_select_their_events(&s, Some(&ev), "", &r) > 10);

    // The same two periods as file sets: A = day1.log, B = day2.log. Rates over each
    // file's own span (first to last received time), worked out from the scan.
    let (fa, fb) = (Side::Files(vec![0]), Side::Files(vec![1]));
    let span = |f: u32| {
        let ts: Vec<i64> = evs.iter().filter(|e| e.file == f).map(|e| e.t).collect();
        (*ts.iter().max().unwrap() - *ts.iter().min().unwrap()) as f64 / 3.6e9
    };
    let rf = compare(&s, &rows, Some(&ev), &fa, &fb, &all());
    assert_eq!(
        got(&rf),
        expect(&evs, &fa, &fb, span(0), span(1), &|_| true)
    );
    assert_eq!(
        rf.a_events,
        evs.iter().filter(|e| e.file == 0).count() as u64
    );
    assert_eq!(
        rf.b_events,
        evs.iter().filter(|e| e.file == 1).count() as u64
    );
}

#[test]
fn bad_periods_and_filters_are_said_plainly() {
    let bytes = gen(3, "2026-11-02T08:00:00Z", 120, 0.2);
    let s = load_files(&[("g.log", &bytes)]);
    let spec = |filter: &str, a: Side| PeriodsSpec {
        id: 1,
        filter: filter.into(),
        a,
        b: Side::Range {
            from: 0,
            to: i64::MAX,
        },
    };
    let e = answer(&s, None, &spec("", Side::Range { from: 5, to: 5 }));
    assert!(e.error.unwrap().contains("empty"));
    let e = answer(&s, None, &spec("", Side::Files(vec![])));
    assert!(e.error.unwrap().contains("file"));
    let e = answer(&s, None, &spec("code:abc", Side::Range { from: 0, to: 1 }));
    assert!(e.error.unwrap().contains("filter"));
    let e = answer(
        &s,
        None,
        &spec("req.spec.x:1", Side::Range { from: 0, to: 1 }),
    );
    assert!(e.error.unwrap().contains("req./resp."));
    let e = answer(&s, None, &spec("rule:1", Side::Range { from: 0, to: 1 }));
    assert!(e.error.unwrap().contains("policy"));
    // A period before any event: everything of B is new, and nothing panics.
    let ok = answer(&s, None, &spec("", Side::Range { from: 0, to: 1 }));
    let r = ok.report.unwrap();
    assert_eq!(r.a_events, 0);
    assert_eq!(r.b_events, s.len() as u64);
    assert!(r.rows.iter().all(|x| x.change == Change::New));
}
