//! What a policy would blind: which rules of the pack could no longer fire under it, for
//! which kinds of identity and because of which rule; and which events the findings of
//! this log rest on that it would drop (not record, or omit the stage read) or strip
//! (record below the level the rule reads).
//!
//! The first half asks the policy itself, through `audit::needs` (each rule's
//! [`Needs`](super::Needs) becomes a [`Need`], decided for every kind of identity on
//! witness requests by the evaluator); the second evaluates the policy on each event a
//! finding holds, as kube-apiserver would have when it received it.

use super::{Finding, Pack, Rule, Severity};
use crate::audit::needs::{check_with, identity_kind, IdentityKind, Need, Witnesses};
use crate::audit::policy::LoadedPolicy;
use crate::audit::Level;
use crate::store::Store;
use serde::{Deserialize, Serialize};

/// One rule of the pack that the policy blinds, wholly or in part.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlindRule {
    /// Index in the pack.
    pub rule: u32,
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// Kinds of identity for which the rule can no longer fire (empty: it still can for
    /// all; the events below may still be lost).
    pub kinds: Vec<IdentityKind>,
    /// Why, for the first failing kind ("`create pods/exec` by any service account is not
    /// recorded — rule 2 (level None)").
    pub why: String,
    /// The policy's rules responsible (0-based).
    pub rules: Vec<usize>,
    /// Of this log's findings of the rule: events, and those the policy would not record
    /// (or record without the stage the rule reads) and those it would record below the
    /// level the rule reads.
    pub found_events: u32,
    pub dropped_events: u32,
    pub stripped_events: u32,
    /// Findings of this log whose every event would be dropped or stripped.
    pub lost_findings: u32,
}

/// The whole answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BlindReport {
    /// Rules with a blind kind or lost events, most serious first.
    pub rules: Vec<BlindRule>,
    /// Rules checked.
    pub checked: u32,
    /// Findings of this log that the policy would have made impossible.
    pub lost_findings: u32,
    pub findings: u32,
}

/// The kinds of identity a rule is about: those its `user:` terms name (a pattern is
/// classified by its text: `system:serviceaccount:*` service accounts, `system:node:*`
/// nodes, `system:anonymous` anonymous…), or all when it names none.
pub fn kinds_of(rule: &Rule) -> Vec<IdentityKind> {
    let mut v: Vec<IdentityKind> = rule
        .needs
        .users
        .iter()
        .map(|u| identity_kind(u.trim_end_matches('*'), &[]))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The requirement a policy must meet for `rule` to be able to fire.
pub fn need_of(rule: &Rule) -> Need {
    let n = &rule.needs;
    Need {
        id: rule.id.clone(),
        title: rule.title.clone(),
        // No resource named: any request, resource or not.
        resources: if n.resources.is_empty() {
            vec!["*".into(), "/*".into()]
        } else {
            n.resources.clone()
        },
        verbs: n.verbs.clone(),
        min_level: n.level,
        no_bodies: false,
        stages: n.stages.clone(),
        kinds: kinds_of(rule),
        except: Vec::new(),
    }
}

/// What `p` would blind of `pack`, and of `findings` (this log's, found with `pack`).
/// `seen`: identities of the log, probed as witnesses too.
pub fn blind(
    p: &LoadedPolicy,
    pack: &Pack,
    s: &Store,
    findings: &[Finding],
    seen: &[(String, Vec<String>)],
) -> BlindReport {
    let w = Witnesses::of(
        &p.policy,
        p.compiled.kube_version().allows_group_wildcard(),
        seen,
    );
    let c = &p.compiled;
    let mut out = BlindReport {
        checked: pack.rules.len() as u32,
        findings: findings.len() as u32,
        ..BlindReport::default()
    };
    for (i, rule) in pack.rules.iter().enumerate() {
        let v = check_with(c, &w, &need_of(rule));
        // A rule about any request (impersonation, bursts, anonymous access) still fires
        // while anything by that kind is recorded: blind only when every witness fails.
        let any_request = rule.needs.resources.is_empty();
        let failing: Vec<_> = v
            .kinds
            .iter()
            .filter(|k| !k.ok && (!any_request || (k.checked > 0 && k.failed >= k.checked)))
            .collect();
        let mut b = BlindRule {
            rule: i as u32,
            id: rule.id.clone(),
            title: rule.title.clone(),
            severity: rule.severity,
            kinds: failing.iter().map(|k| k.kind).collect(),
            why: failing
                .iter()
                .find_map(|k| k.failures.first())
                .map_or_else(String::new, |f| f.why.clone()),
            rules: if failing.is_empty() {
                Vec::new()
            } else {
                v.rules.clone()
            },
            found_events: 0,
            dropped_events: 0,
            stripped_events: 0,
            lost_findings: 0,
        };
        for f in findings.iter().filter(|f| f.rule as usize == i) {
            let mut kept = 0;
            for &r in &f.rows {
                let d = s.with_attrs(r as usize, |a| c.evaluate(a));
                b.found_events += 1;
                let stage_lost = s
                    .stage(r as usize)
                    .is_some_and(|st| d.omit_stages.contains(st));
                if d.level == Level::None || stage_lost {
                    b.dropped_events += 1;
                } else if d.level < rule.needs.level {
                    b.stripped_events += 1;
                } else {
                    kept += 1;
                }
            }
            if kept == 0 && !f.rows.is_empty() {
                b.lost_findings += 1;
            }
        }
        out.lost_findings += b.lost_findings;
        if !b.kinds.is_empty() || b.dropped_events + b.stripped_events > 0 {
            out.rules.push(b);
        }
    }
    out.rules
        .sort_by(|a, b| b.severity.cmp(&a.severity).then(a.rule.cmp(&b.rule)));
    out
}
