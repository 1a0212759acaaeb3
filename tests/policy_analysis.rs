//! Coverage, what-if volume and the per-event evaluation over a store, on a small
//! hand-written log whose expected figures are worked out by hand in the comments.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use audit_lens::analysis::coverage::coverage;
use audit_lens::analysis::evaluate::{evaluate, AttrIndex};
use audit_lens::analysis::volume::{as_recorded, under_policy, what_if};
use audit_lens::audit::policy::{load_policy, LoadOptions};
use audit_lens::audit::Level;
use common::load;

/// One event line; `extra` is spliced in before the timestamps.
#[allow(clippy::too_many_arguments)]
fn ev(
    id: u32,
    stage: &str,
    level: &str,
    user: &str,
    verb: &str,
    objref: &str,
    uri: &str,
    extra: &str,
) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"{level}","auditID":"00000000-0000-4000-8000-{id:012}","stage":"{stage}","requestURI":"{uri}","verb":"{verb}","user":{{"username":"{user}","groups":["system:authenticated"]}}{objref},{extra}"requestReceivedTimestamp":"2026-01-01T00:{:02}:00Z","stageTimestamp":"2026-01-01T00:{:02}:01Z"}}"#,
        id % 60,
        id % 60
    )
}

const POLICY: &str = r#"apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    users: ["system:kube-proxy"]
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets"]
  - level: Request
    verbs: ["get"]
  - level: None
    resources:
      - group: ""
        resources: ["secrets"]
  - level: RequestResponse
"#;

fn log() -> String {
    let pods = r#","objectRef":{"resource":"pods","namespace":"a","name":"p","apiVersion":"v1"}"#;
    let secrets =
        r#","objectRef":{"resource":"secrets","namespace":"a","name":"s","apiVersion":"v1"}"#;
    let body = r#""requestObject":{"kind":"Pod","x":"0123456789"},"responseObject":{"kind":"Pod","y":"01234567890123456789"},"#;
    [
        // 1: kube-proxy watch -> rule 0 (None)
        ev(
            1,
            "ResponseComplete",
            "Metadata",
            "system:kube-proxy",
            "watch",
            pods,
            "/api/v1/namespaces/a/pods?watch=1",
            "",
        ),
        // 2: get secret -> rule 1 (Metadata); rule 2 (get) and rule 3 (secrets) and 4 would also match
        ev(
            2,
            "ResponseComplete",
            "Metadata",
            "alice",
            "get",
            secrets,
            "/api/v1/namespaces/a/secrets/s",
            "",
        ),
        // 3: RequestReceived of a get pod -> rule 2, stage omitted
        ev(
            3,
            "RequestReceived",
            "RequestResponse",
            "alice",
            "get",
            pods,
            "/api/v1/namespaces/a/pods/p",
            "",
        ),
        // 4: get pod with bodies -> rule 2 (Request): keeps the request body only
        ev(
            3,
            "ResponseComplete",
            "RequestResponse",
            "alice",
            "get",
            pods,
            "/api/v1/namespaces/a/pods/p",
            body,
        ),
        // 5: create pod with bodies -> rule 4 (RequestResponse)
        ev(
            5,
            "ResponseComplete",
            "RequestResponse",
            "bob",
            "create",
            pods,
            "/api/v1/namespaces/a/pods",
            body,
        ),
        // 6: non-resource /healthz -> rule 2 (get)
        ev(
            6,
            "ResponseComplete",
            "Metadata",
            "system:anonymous",
            "get",
            "",
            "/healthz",
            "",
        ),
    ]
    .join("\n")
}

#[test]
fn evaluation_coverage_and_shadowing() {
    let s = load("t.log", log().as_bytes());
    assert_eq!(s.len(), 6);
    let p = load_policy("p.yaml", POLICY, &LoadOptions::default()).unwrap();
    let idx = AttrIndex::build(&s);
    let ev = evaluate(&s, &idx, &p.compiled);
    let cov = coverage(&s, &p.compiled, &ev);
    let takes: Vec<u64> = cov.rules.iter().map(|r| r.events).collect();
    // rule 0: event 1; rule 1: event 2; rule 2: events 3, 4, 6; rule 3: none; rule 4: event 5.
    assert_eq!(takes, [1, 1, 3, 0, 1]);
    // Rule 3 (None for secrets) would match event 2, which rule 1 took: shadowed, not dead.
    assert_eq!(cov.rules[3].shadowed_events, 1);
    assert_eq!(cov.rules[3].shadowed_by, vec![(1, 1)]);
    assert!(!cov.rules[3].dead);
    // Rule 3 is statically unreachable: rule 1 selects every secret request it selects.
    assert_eq!(cov.rules[3].unreachable_after, Some(1));
    // Rule 2 (get) would also match event 2 (a get), taken by rule 1.
    assert_eq!(cov.rules[2].shadowed_by, vec![(1, 1)]);
    // The catch-all (rule 4) would match all 6; it takes 1, so 5 are shadowed.
    assert_eq!(cov.rules[4].shadowed_events, 5);
    // Levels: None 1 (rule 0), Metadata 1, Request 3, RequestResponse 1.
    assert_eq!(cov.by_level, [1, 1, 3, 1]);
    // Recorded x policy: event 1 Metadata->None, 2 Metadata->Metadata, 3 and 4 RR->Request,
    // 5 RR->RR, 6 Metadata->Request.
    assert_eq!(cov.matrix[Level::Metadata as usize], [1, 1, 1, 0]);
    assert_eq!(cov.matrix[Level::RequestResponse as usize], [0, 0, 2, 1]);
    // Disagreeing: 1, 3 (also omitted stage), 4, 6 = 4; omitted stage: event 3.
    assert_eq!((cov.disagreeing_events, cov.omitted_stage_events), (4, 1));
    assert_eq!(cov.rules[2].omitted_stage_events, 1);
    assert_eq!(cov.unmatched_events, 0);
}

#[test]
fn volume_estimates_drop_bodies_by_level() {
    let text = log();
    let s = load("t.log", text.as_bytes());
    let p = load_policy("p.yaml", POLICY, &LoadOptions::default()).unwrap();
    let ev = evaluate(&s, &AttrIndex::build(&s), &p.compiled);
    let rec = as_recorded(&s);
    let total: u64 = text.lines().map(|l| l.len() as u64).sum();
    assert_eq!((rec.events, rec.bytes), (6, total));
    let v = under_policy(&s, &p.compiled, &ev, "p");
    // Kept: event 2 (Metadata, no bodies: full size), event 4 at Request (minus the
    // response body and its key), event 5 (RequestResponse, full), event 6 (full).
    let lines: Vec<&str> = text.lines().collect();
    let resp = r#","responseObject":{"kind":"Pod","y":"01234567890123456789"}"#.len() as u64;
    let want = lines[1].len() as u64
        + (lines[3].len() as u64 - resp)
        + lines[4].len() as u64
        + lines[5].len() as u64;
    assert_eq!((v.events, v.bytes), (4, want));
    assert_eq!(
        v.per_rule[2],
        (2, lines[3].len() as u64 - resp + lines[5].len() as u64)
    );
    assert_eq!(v.lower_bound_events, 0);
    let wi = what_if(&s, (&p.compiled, &ev, "p"), None);
    assert_eq!(wi.baseline.bytes, total);
    assert_eq!(wi.candidate.bytes, want);
    assert!(wi
        .caveats
        .iter()
        .any(|c| c.contains("cannot show what its own policy dropped")));
}

#[test]
fn raising_the_level_of_metadata_events_is_a_lower_bound() {
    // Event 2 was recorded at Metadata; a policy logging everything at RequestResponse
    // cannot know the secret's response body.
    let s = load("t.log", log().as_bytes());
    let p = load_policy(
        "rr.yaml",
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: RequestResponse\n",
        &LoadOptions::default(),
    )
    .unwrap();
    let ev = evaluate(&s, &AttrIndex::build(&s), &p.compiled);
    let v = under_policy(&s, &p.compiled, &ev, "rr");
    // Events 1 (watch: no body possible), 2 (get secret: response unknown), 6 (get /healthz:
    // response unknown) were Metadata; 2 and 6 are lower bounds.
    assert_eq!(v.lower_bound_events, 2);
    assert_eq!(v.events, 6);
}

#[test]
fn resource_names_policies_are_evaluated_per_name() {
    let pods_a =
        r#","objectRef":{"resource":"pods","namespace":"a","name":"keep-me","apiVersion":"v1"}"#;
    let pods_b =
        r#","objectRef":{"resource":"pods","namespace":"a","name":"other","apiVersion":"v1"}"#;
    let text = [
        ev(
            1,
            "ResponseComplete",
            "Metadata",
            "u",
            "get",
            pods_a,
            "/api/v1/namespaces/a/pods/keep-me",
            "",
        ),
        ev(
            2,
            "ResponseComplete",
            "Metadata",
            "u",
            "get",
            pods_b,
            "/api/v1/namespaces/a/pods/other",
            "",
        ),
        ev(
            3,
            "ResponseComplete",
            "Metadata",
            "u",
            "get",
            pods_a,
            "/api/v1/namespaces/a/pods/keep-me",
            "",
        ),
    ]
    .join("\n");
    let s = load("n.log", text.as_bytes());
    let pol = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  resources:\n  - group: \"\"\n    resources: [pods]\n    resourceNames: [keep-me]\n- level: None\n";
    let p = load_policy("n.yaml", pol, &LoadOptions::default()).unwrap();
    let idx = AttrIndex::build(&s);
    assert_eq!(idx.tuples(), 1, "names are not part of the tuple");
    let ev = evaluate(&s, &idx, &p.compiled);
    assert_eq!(ev.keys.len(), 2);
    let cov = coverage(&s, &p.compiled, &ev);
    assert_eq!((cov.rules[0].events, cov.rules[1].events), (2, 1));
}
