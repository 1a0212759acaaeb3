//! Policy coverage over a loaded log: per rule, the events and bytes it takes (first
//! match), the events it would also match but an earlier rule took (shadowed), rules that
//! never match (dead) or can never match (unreachable, found statically); events per
//! resulting level; and where the log disagrees with the policy (recorded × policy level).

use super::evaluate::Evaluation;
use super::volume::estimate_size_mf;
use crate::audit::eval::CompiledPolicy;
use crate::audit::lint::covers;
use crate::audit::Level;
use crate::store::Store;
use serde::{Deserialize, Serialize};

/// Row names of [`Coverage::matrix`]: the recorded levels, then events without a level.
pub const MATRIX_ROWS: [&str; 5] = [
    "None",
    "Metadata",
    "Request",
    "RequestResponse",
    "(unknown)",
];

/// One rule's line in the coverage table.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RuleCoverage {
    /// 0-based rule index.
    pub rule: usize,
    pub level: Level,
    /// Events this rule decides (first match).
    pub events: u64,
    /// Their size in the log as recorded.
    pub bytes: u64,
    /// Estimated bytes these events take under this rule (level and omitted stages).
    pub kept_bytes: u64,
    /// Events this rule decides whose stage the rule omits (they would not be written).
    pub omitted_stage_events: u64,
    /// Events this rule would also match, but an earlier rule took.
    pub shadowed_events: u64,
    /// Earlier rules that took this rule's events: (rule, events), largest first.
    pub shadowed_by: Vec<(usize, u64)>,
    /// Later rules that would also match events this rule took: (rule, events).
    pub shadows: Vec<(usize, u64)>,
    /// Matches no event of this log at all.
    pub dead: bool,
    /// Can never match any request: an earlier rule matches everything it matches
    /// (the earlier rule's index).
    pub unreachable_after: Option<usize>,
}

/// The whole coverage report.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Coverage {
    pub events: u64,
    pub bytes: u64,
    pub rules: Vec<RuleCoverage>,
    /// Events no rule matches (level None).
    pub unmatched_events: u64,
    pub unmatched_bytes: u64,
    /// Events per resulting level, indexed like `Level::ALL`.
    pub by_level: [u64; 4],
    /// `matrix[recorded][policy]`: recorded level (Level::ALL order, then 4 = unknown)
    /// against the level the policy gives.
    pub matrix: [[u64; 4]; 5],
    /// Events whose recorded level differs from the policy's, or whose stage the policy
    /// omits: the log was written under another policy.
    pub disagreeing_events: u64,
    /// Events whose stage the policy omits.
    pub omitted_stage_events: u64,
    /// Distinct evaluation keys (how many times the policy was actually evaluated).
    pub distinct_keys: usize,
}

/// Computes coverage of `p` over `s`, given its evaluation `ev`.
pub fn coverage(s: &Store, p: &CompiledPolicy, ev: &Evaluation) -> Coverage {
    let n_rules = p.rule_count();
    let mut rules: Vec<RuleCoverage> = (0..n_rules)
        .map(|i| RuleCoverage {
            rule: i,
            level: p.rule_level(i),
            events: 0,
            bytes: 0,
            kept_bytes: 0,
            omitted_stage_events: 0,
            shadowed_events: 0,
            shadowed_by: Vec::new(),
            shadows: Vec::new(),
            dead: true,
            unreachable_after: None,
        })
        .collect();
    let mut cov = Coverage {
        events: s.len() as u64,
        bytes: 0,
        rules: Vec::new(),
        unmatched_events: 0,
        unmatched_bytes: 0,
        by_level: [0; 4],
        matrix: [[0; 4]; 5],
        disagreeing_events: 0,
        omitted_stage_events: 0,
        distinct_keys: ev.keys.len(),
    };
    for r in 0..s.len() {
        let d = ev.decision(r);
        let size = s.event_size(r) as u64;
        cov.bytes += size;
        let stage = s.stage(r);
        let omitted = stage.is_some_and(|st| d.omit_stages.contains(st));
        let est = estimate_size_mf(s, r, d.level, omitted, d.omit_managed_fields);
        match d.rule {
            Some(i) => {
                let rc = &mut rules[i];
                rc.events += 1;
                rc.bytes += size;
                rc.kept_bytes += est.bytes;
                rc.omitted_stage_events += omitted as u64;
            }
            None => {
                cov.unmatched_events += 1;
                cov.unmatched_bytes += size;
            }
        }
        cov.by_level[d.level as usize] += 1;
        let rec = s.level(r).map_or(4, |l| l as usize);
        cov.matrix[rec][d.level as usize] += 1;
        cov.omitted_stage_events += omitted as u64;
        if omitted || rec != d.level as usize {
            cov.disagreeing_events += 1;
        }
    }
    // Shadowing: per distinct key, every later rule that also matches.
    let mut pairs: std::collections::BTreeMap<(usize, usize), u64> =
        std::collections::BTreeMap::new();
    for (k, &(rep, count)) in ev.keys.iter().enumerate() {
        let first = ev.key_decision[k].rule;
        s.with_attrs(rep as usize, |a| {
            let from = first.map_or(0, |f| f + 1);
            for j in from..n_rules {
                if p.matches_rule(j, a) {
                    if let Some(f) = first {
                        *pairs.entry((j, f)).or_insert(0) += count as u64;
                    }
                }
            }
        });
    }
    for (&(later, earlier), &n) in &pairs {
        rules[later].shadowed_events += n;
        rules[later].shadowed_by.push((earlier, n));
        rules[earlier].shadows.push((later, n));
    }
    let pol = p.policy();
    let wildcard = p.kube_version().allows_group_wildcard();
    for (i, rc) in rules.iter_mut().enumerate() {
        rc.dead = rc.events == 0 && rc.shadowed_events == 0;
        rc.shadowed_by
            .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        rc.shadows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        rc.unreachable_after = (0..i).find(|&j| covers(&pol.rules[j], &pol.rules[i], wildcard));
    }
    cov.rules = rules;
    cov
}
