//! The volume advisor (issue 14), checked against computations of its own: every event of
//! the log is read again with serde_json (raw members, so a body's bytes are the bytes the
//! log holds), decided by the evaluator under the policy before and after a change, and
//! sized from its raw line; guard-rails are judged event by event from the same reading.
//!
//! What the advisor must get right:
//! - placement: a new rule inserted at `at` takes exactly the events it matches that no
//!   rule before `at` matches (first match wins: kubernetes/apiserver
//!   pkg/audit/policy/checker.go `LevelAndStages` walks the rules in order and returns the
//!   first that matches), and nothing else changes;
//! - savings: the bytes a changed policy writes, predicted without evaluating it, equal
//!   the bytes measured by deciding and sizing every event;
//! - guard-rails: no event the policy before recorded as a guard asks is recorded worse.

mod common;

use audit_lens::advise::edit::{apply, apply_text, Change};
use audit_lens::advise::{advise, guard, seen_identities, Advice, Ask, Sized};
use audit_lens::analysis::evaluate::{evaluate, AttrIndex};
use audit_lens::analysis::volume::under_policy;
use audit_lens::audit::eval::{CompiledPolicy, Decision};
use audit_lens::audit::policy::{load_policy, LoadOptions, LoadedPolicy, Policy};
use audit_lens::audit::{Level, RequestAttrs, Stage};
use audit_lens::detect::Pack;
use audit_lens::gen::{generate, GenOptions};
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::process::Command;

const GCE: &str = "policies/kubernetes-gce-configure-helper-audit-policy.yaml";

/// One event as read again from its raw line.
struct Ev {
    user: String,
    groups: Vec<String>,
    verb: String,
    resource_request: bool,
    group: String,
    resource: String,
    sub: String,
    namespace: String,
    name: String,
    path: String,
    stage: Stage,
    /// The raw line's length and its body members' (`,"requestObject":` + value).
    len: u64,
    req: u64,
    resp: u64,
}

impl Ev {
    fn with_attrs<R>(&self, f: impl FnOnce(&RequestAttrs) -> R) -> R {
        let groups: Vec<&str> = self.groups.iter().map(|s| s.as_str()).collect();
        f(&RequestAttrs {
            user: &self.user,
            groups: &groups,
            verb: &self.verb,
            resource_request: self.resource_request,
            api_group: &self.group,
            resource: &self.resource,
            subresource: &self.sub,
            namespace: &self.namespace,
            name: &self.name,
            path: &self.path,
        })
    }

    /// Bytes it takes under `d` (None or an omitted stage: nothing; Metadata: without the
    /// bodies; Request: with the request body; RequestResponse: both).
    fn size(&self, d: &Decision) -> u64 {
        if d.level == Level::None || d.omit_stages.contains(self.stage) {
            return 0;
        }
        let mut n = self.len - self.req - self.resp;
        if d.level >= Level::Request {
            n += self.req;
        }
        if d.level >= Level::RequestResponse {
            n += self.resp;
        }
        n
    }
}

fn read_events(log: &[u8]) -> Vec<Ev> {
    let mut out = Vec::new();
    for line in log.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let text = std::str::from_utf8(line).unwrap();
        let raw: BTreeMap<String, Box<RawValue>> = serde_json::from_str(text).unwrap();
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        let s = |p: &str| {
            v.pointer(p)
                .and_then(|x| x.as_str())
                .unwrap_or("")
                .to_string()
        };
        let member = |k: &str| {
            raw.get(k)
                .map_or(0, |r| (k.len() + 4 + r.get().len()) as u64)
        };
        let uri = s("/requestURI");
        out.push(Ev {
            user: s("/user/username"),
            groups: v
                .pointer("/user/groups")
                .and_then(|g| g.as_array())
                .map(|g| {
                    g.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
            verb: s("/verb"),
            resource_request: v.get("objectRef").is_some(),
            group: s("/objectRef/apiGroup"),
            resource: s("/objectRef/resource"),
            sub: s("/objectRef/subresource"),
            namespace: s("/objectRef/namespace"),
            name: s("/objectRef/name"),
            path: uri.split('?').next().unwrap_or("").to_string(),
            stage: Stage::parse(&s("/stage")).unwrap(),
            len: line.len() as u64,
            // `,"requestObject":` is 17 bytes: the key, its quotes, the colon and a comma.
            req: member("requestObject"),
            resp: member("responseObject"),
        });
    }
    out
}

fn gen_log(bytes: u64) -> Vec<u8> {
    let mut out = Vec::new();
    generate(
        &GenOptions {
            max_bytes: bytes,
            duration_s: 0,
            ..GenOptions::default()
        },
        &mut |b| out.extend_from_slice(b),
    );
    out
}

fn load_p(name: &str, text: &str) -> LoadedPolicy {
    load_policy(name, text, &LoadOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn bytes_under(evs: &[Ev], c: &CompiledPolicy) -> u64 {
    evs.iter()
        .map(|e| e.size(&e.with_attrs(|a| c.evaluate(a))))
        .sum()
}

struct Run {
    store: audit_lens::store::Store,
    evs: Vec<Ev>,
    policy: LoadedPolicy,
    text: String,
    advice: Advice,
}

fn run(log: &[u8], text: &str, target: Option<f64>) -> Run {
    let store = common::load("gen.log", log);
    let evs = read_events(log);
    assert_eq!(evs.len(), store.len());
    let policy = load_p("gce.yaml", text);
    let idx = AttrIndex::build(&store);
    let z = Sized::build(&store, &idx, false);
    let guards = guard::defaults();
    let pack = Pack::builtin();
    let seen = seen_identities(&store);
    let advice = advise(
        &store,
        &z,
        &Ask {
            text,
            policy: &policy,
            opts: LoadOptions::default(),
            reference: None,
            guards: &guards,
            target_pct: target,
            pack: Some(&pack),
            findings: &[],
            seen: &seen,
        },
    );
    Run {
        store,
        evs,
        policy,
        text: text.to_string(),
        advice,
    }
}

/// Independent judgement of the default guard-rails on one event under `d`: `None` when it
/// is recorded as the guard asks. Written from guards.yaml's own words, not from the code.
fn guard_ok(id: &str, e: &Ev, d: &Decision) -> Option<bool> {
    let human = !e.user.starts_with("system:") && !e.user.is_empty() && e.user != "kubelet";
    let res = |g: &str, r: &str, s: &str| {
        e.resource_request && e.group == g && e.resource == r && e.sub == s
    };
    let recorded = d.level > Level::None && !d.omit_stages.contains(e.stage);
    let no_object = matches!(
        e.verb.as_str(),
        "get" | "list" | "watch" | "delete" | "deletecollection"
    );
    let with_body = d.level >= Level::Request || no_object;
    match id {
        "exec-attach-visible" => {
            (res("", "pods", "exec") || res("", "pods", "attach") || res("", "pods", "portforward"))
                .then_some(recorded && !d.omit_stages.contains(Stage::ResponseStarted))
        }
        "secret-access" => res("", "secrets", "")
            .then_some(recorded && (d.level == Level::Metadata || e.verb == "delete")),
        "rbac-changes" => (e.group == "rbac.authorization.k8s.io"
            && matches!(e.verb.as_str(), "create" | "update" | "patch" | "delete"))
        .then_some(recorded && with_body),
        "human-writes-with-body" => (human
            && e.resource_request
            && matches!(e.verb.as_str(), "create" | "update" | "patch")
            && !matches!(
                (e.group.as_str(), e.resource.as_str(), e.sub.as_str()),
                ("", "secrets", "")
                    | ("", "configmaps", "")
                    | ("", "serviceaccounts", "token")
                    | ("", "events", "")
                    | ("events.k8s.io", "events", "")
                    | ("authentication.k8s.io", "tokenreviews", "")
            ))
        .then_some(recorded && d.level >= Level::Request),
        "writes-recorded" => (e.resource_request
            && matches!(
                e.verb.as_str(),
                "create" | "update" | "patch" | "delete" | "deletecollection"
            )
            && !matches!(
                (e.group.as_str(), e.resource.as_str()),
                ("coordination.k8s.io", "leases") | ("", "events") | ("events.k8s.io", "events")
            ))
        .then_some({
            e.stage == Stage::RequestReceived && d.omit_stages.contains(Stage::RequestReceived)
                || recorded
        }),
        _ => None,
    }
}

#[test]
fn suggestions_save_what_they_say_and_new_rules_take_exactly_what_they_name() {
    let Some(c) = common::corpus() else { return };
    let text = std::fs::read_to_string(c.join(GCE)).unwrap();
    let log = gen_log(24_000_000);
    let r = run(&log, &text, None);
    let a = &r.advice;
    let c0 = &r.policy.compiled;
    let before = bytes_under(&r.evs, c0);
    // What the advisor says the policy writes = every event decided and sized from its line.
    assert_eq!(a.current.bytes, before);
    assert!(a.suggestions.len() >= 5, "{:#?}", a.suggestions.len());
    let mut new_rules = 0;
    for s in a.suggestions.iter().chain(&a.blocked) {
        let p = load_p("new.yaml", &s.text);
        assert_eq!(
            p.policy,
            apply(&r.policy.policy, &s.change),
            "{}: the text says what the change says",
            s.title
        );
        let after = bytes_under(&r.evs, &p.compiled);
        assert_eq!(before - after, s.saved_bytes, "{}", s.title);
        // The page's what-if (analysis::volume) agrees too.
        let idx = AttrIndex::build(&r.store);
        let w = under_policy(
            &r.store,
            &p.compiled,
            &evaluate(&r.store, &idx, &p.compiled),
            "x",
        );
        assert_eq!(w.bytes, after, "{}", s.title);
        if let Change::Insert { at, rule } = &s.change {
            new_rules += 1;
            let alone = CompiledPolicy::new(&Policy::new(vec![rule.clone()]), Default::default());
            let mut taken = 0u64;
            for e in &r.evs {
                let d0 = e.with_attrs(|x| c0.evaluate(x));
                let d1 = e.with_attrs(|x| p.compiled.evaluate(x));
                let names = e.with_attrs(|x| alone.matches_rule(0, x));
                let earlier = d0.rule.is_some_and(|j| j < *at);
                assert_eq!(
                    d1.rule == Some(*at),
                    names && !earlier,
                    "{}: placement",
                    s.title
                );
                if d1.rule == Some(*at) {
                    if d0.level > Level::None && !d0.omit_stages.contains(e.stage) {
                        taken += 1;
                    }
                } else {
                    assert_eq!(
                        (d1.level, d1.omit_stages),
                        (d0.level, d0.omit_stages),
                        "{}: nothing else changes",
                        s.title
                    );
                }
            }
            assert_eq!(
                s.takes.iter().map(|t| t.events).sum::<u64>(),
                taken,
                "{}",
                s.title
            );
        }
    }
    assert!(new_rules > 0, "no new rule among the suggestions");
}

#[test]
fn the_plan_reaches_its_target_and_keeps_every_guard_rail_event_by_event() {
    let Some(c) = common::corpus() else { return };
    let text = std::fs::read_to_string(c.join(GCE)).unwrap();
    let log = gen_log(24_000_000);
    let r = run(&log, &text, Some(70.0));
    let plan = r.advice.plan.as_ref().expect("a plan");
    let p = load_p("plan.yaml", &plan.text);
    let before = bytes_under(&r.evs, &r.policy.compiled);
    let after = bytes_under(&r.evs, &p.compiled);
    assert_eq!(plan.before.bytes, before);
    assert_eq!(plan.after.bytes, after, "predicted vs measured");
    let cut = (before - after) as f64 * 100.0 / before as f64;
    assert!((cut - plan.reached_pct).abs() < 1e-9);
    assert!(plan.reached && cut >= 70.0, "{cut} {}", plan.stop);
    // Every guard-rail, event by event: what held under GCE holds under the plan.
    let mut judged = 0;
    for e in &r.evs {
        let d0 = e.with_attrs(|x| r.policy.compiled.evaluate(x));
        let d1 = e.with_attrs(|x| p.compiled.evaluate(x));
        for id in [
            "exec-attach-visible",
            "secret-access",
            "rbac-changes",
            "human-writes-with-body",
            "writes-recorded",
        ] {
            if let (Some(true), Some(ok)) = (guard_ok(id, e, &d0), guard_ok(id, e, &d1)) {
                judged += 1;
                assert!(
                    ok,
                    "{id} broken for {} {} {}/{} by {}",
                    e.verb, e.group, e.resource, e.sub, e.user
                );
            }
        }
        // nothing recorded with bodies for humans is lost
        let human = !e.user.starts_with("system:") && !e.user.is_empty();
        if human && d0.level >= Level::Request {
            assert!(
                d1.level >= d0.level,
                "{} {} by {} lost its bodies",
                e.verb,
                e.resource,
                e.user
            );
        }
    }
    assert!(judged > 1000, "{judged}");
    // The plan's text keeps the original's comments and rules: it only adds and changes.
    for l in r.text.lines().filter(|l| l.trim_start().starts_with('#')) {
        assert!(plan.text.contains(l), "comment lost: {l}");
    }
}

#[test]
fn a_target_beyond_the_guard_rails_stops_and_says_which_guard_rail() {
    let Some(c) = common::corpus() else { return };
    let text = std::fs::read_to_string(c.join(GCE)).unwrap();
    let log = gen_log(8_000_000);
    let r = run(&log, &text, Some(99.0));
    let plan = r.advice.plan.as_ref().unwrap();
    assert!(!plan.reached);
    // It stops at the first step where the largest remaining change breaks a guard-rail,
    // or when the steps run out, and says so.
    assert!(
        plan.stop.contains("would break") || plan.stop.starts_with("Stopped after"),
        "{}",
        plan.stop
    );
    assert!(plan.reached_pct < 99.0);
}

#[test]
fn text_edits_on_every_corpus_policy_read_back_as_the_change() {
    let Some(c) = common::corpus() else { return };
    let mut checked = 0;
    for dir in ["policies", "realworld/policies"] {
        for f in std::fs::read_dir(c.join(dir)).unwrap() {
            let path = f.unwrap().path();
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let Ok(p) = load_policy("p.yaml", &text, &LoadOptions::default()) else {
                continue;
            };
            if p.rule_count() == 0 || p.configmap_key.is_some() {
                continue;
            }
            let n = p.rule_count();
            let mut rule = audit_lens::audit::policy::PolicyRule::new(Level::None);
            rule.users = vec!["system:kube-proxy".into()];
            rule.verbs = vec!["watch".into()];
            let changes = [
                Change::Insert {
                    at: 0,
                    rule: rule.clone(),
                },
                Change::Insert {
                    at: n / 2,
                    rule: rule.clone(),
                },
                Change::Insert { at: n, rule },
                Change::Level {
                    rule: n - 1,
                    level: Level::None,
                },
                Change::OmitStage {
                    rule: Some(n / 2),
                    stage: Stage::ResponseStarted,
                },
                Change::OmitStage {
                    rule: None,
                    stage: Stage::RequestReceived,
                },
                Change::OmitManagedFields { rule: None },
                Change::OmitManagedFields { rule: Some(0) },
            ];
            for ch in changes {
                let e = apply_text(
                    &text,
                    &p,
                    &ch,
                    "audit-lens advise: test",
                    &LoadOptions::default(),
                );
                let back = load_p("back.yaml", &e.text);
                assert_eq!(
                    back.policy,
                    apply(&p.policy, &ch),
                    "{}: {ch:?}",
                    path.display()
                );
                // Block-style files are edited in place (their comments stay).
                if !e.rewritten {
                    checked += 1;
                    for l in text.lines().filter(|l| l.trim_start().starts_with('#')) {
                        assert!(e.text.contains(l), "{}: {ch:?} lost {l}", path.display());
                    }
                }
            }
        }
    }
    assert!(checked > 100, "{checked} in-place edits");
}

#[test]
fn cli_writes_a_policy_that_loads_and_prints_json() {
    let Some(c) = common::corpus() else { return };
    let dir = std::env::temp_dir().join(format!("advise-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("gen.log");
    std::fs::write(&log, gen_log(6_000_000)).unwrap();
    let out = dir.join("new.yaml");
    let bin = env!("CARGO_BIN_EXE_audit-lens");
    let gce = c.join(GCE);
    let o = Command::new(bin)
        .args([
            "advise",
            "--policy",
            gce.to_str().unwrap(),
            "--target",
            "60",
            "--price",
            "cloudwatch",
            "--json",
            "-o",
            out.to_str().unwrap(),
            log.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["plan"]["reached"].as_bool().unwrap());
    assert!(v["money"]["plan"]["savingPerMonth"].as_f64().unwrap() > 0.0);
    // The written policy is the plan's and passes `validate` (kube-apiserver's reader).
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(written, v["plan"]["text"].as_str().unwrap());
    let val = Command::new(bin)
        .args(["validate", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        val.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&val.stdout)
    );
    // Its bytes/day under `whatif` equal the plan's.
    let w = Command::new(bin)
        .args([
            "whatif",
            "--policy",
            out.to_str().unwrap(),
            "--baseline",
            gce.to_str().unwrap(),
            "--json",
            log.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let wv: serde_json::Value = serde_json::from_slice(&w.stdout).unwrap();
    assert_eq!(
        wv["whatIf"]["candidate"]["bytes"],
        v["plan"]["after"]["bytes"]
    );
    assert_eq!(
        wv["whatIf"]["baseline"]["bytes"],
        v["plan"]["before"]["bytes"]
    );
    // An unreachable target: exit 1 and the reason.
    let o = Command::new(bin)
        .args([
            "advise",
            "--policy",
            gce.to_str().unwrap(),
            "--target",
            "99",
            log.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("would break") || text.contains("Stopped after"),
        "{text}"
    );
    // Bad guard-rails name the file and line.
    let g = dir.join("g.yaml");
    std::fs::write(
        &g,
        "guards:\n  - id: x\n    resources: [pods]\n    level: Loud\n",
    )
    .unwrap();
    let o = Command::new(bin)
        .args([
            "advise",
            "--policy",
            gce.to_str().unwrap(),
            "--guard",
            g.to_str().unwrap(),
            log.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("g.yaml:2: guard x: level \"Loud\""),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
