//! The Findings view's answer, built from a run's [`Report`] (pure: tested natively; the
//! worker only sends it).

use super::{rules::technique_name, Finding, Pack, Report, Severity, Support};
use crate::store::{Dim, Store};
use serde::{Deserialize, Serialize};

/// The answer to the page's `Request::Findings`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FindingsAnswer {
    pub id: u32,
    /// Findings, most serious and most recent first. `rows` holds at most
    /// [`FINDING_ROWS_MAX`] events of each (the first ones); `requests` and
    /// `events` count all.
    pub findings: Vec<FindingItem>,
    /// Every rule of the pack that ran, in pack order (`FindingItem::rule` indexes here).
    pub rules: Vec<PackRule>,
    /// Findings per severity, `Severity::DESC` order (critical first).
    pub by_severity: [u32; 5],
    /// Rules that could not run, and a user rule file that did not load (`file:line: …`).
    pub errors: Vec<String>,
    /// The user's rule file in use, if any.
    pub user_rules: Option<String>,
    /// Events looked at.
    pub events: u64,
    /// Worker time, ms (body reads included).
    pub elapsed_ms: f64,
    /// Where the time went ("pack 1 ms · rules 120 ms · …").
    #[serde(default)]
    pub phases: String,
}

/// Rows of one finding sent to the page (the Explore filter shows them all).
pub const FINDING_ROWS_MAX: usize = 200;

/// One finding as the page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FindingItem {
    pub finding: Finding,
    /// Events of the finding (`finding.rows` is cut to [`FINDING_ROWS_MAX`]).
    pub events: u32,
    /// The first event's object, kubectl style (`-n default pods/nginx`), "" for none.
    pub object: String,
}

/// A rule of the pack as the page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PackRule {
    pub id: String,
    pub category: String,
    pub severity: Severity,
    pub title: String,
    pub why: String,
    /// (technique id, name or "").
    pub mitre: Vec<(String, String)>,
    pub filter: String,
    /// "needs level ≥ Request for pods (create, update, patch)".
    pub needs: String,
    /// What this log holds of what the rule needs.
    pub support: Support,
    /// Events it matched (before thresholds).
    pub matched: u64,
    pub pack: String,
}

/// Builds the page's answer: rows cut to [`FINDING_ROWS_MAX`] per finding, each finding's
/// object named as kubectl names it, every rule with its needs and what the log holds of
/// them. `user_rules` names the user's file in use; `errors` are added to the run's.
pub fn answer(
    s: &Store,
    pack: &Pack,
    report: Report,
    id: u32,
    user_rules: Option<String>,
    mut errors: Vec<String>,
    elapsed_ms: f64,
) -> FindingsAnswer {
    let by_severity = report.by_severity();
    let Report {
        findings,
        matched,
        support,
        errors: run_errors,
        events,
    } = report;
    errors.extend(run_errors);
    let findings = findings
        .into_iter()
        .map(|mut f| {
            let events = f.rows.len() as u32;
            let object = f
                .rows
                .first()
                .map_or_else(String::new, |&r| object_of(s, r as usize));
            f.rows.truncate(FINDING_ROWS_MAX);
            FindingItem {
                finding: f,
                events,
                object,
            }
        })
        .collect();
    let rules = pack
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| PackRule {
            id: r.id.clone(),
            category: r.category.clone(),
            severity: r.severity,
            title: r.title.clone(),
            why: r.why.clone(),
            mitre: r
                .mitre
                .iter()
                .map(|m| (m.clone(), technique_name(m).to_string()))
                .collect(),
            filter: r.filter.clone(),
            needs: r.needs.sentence(),
            support: support.get(i).cloned().unwrap_or_default(),
            matched: matched.get(i).copied().unwrap_or(0),
            pack: r.pack.clone(),
        })
        .collect();
    FindingsAnswer {
        id,
        findings,
        rules,
        by_severity,
        errors,
        user_rules,
        events,
        elapsed_ms,
        phases: String::new(),
    }
}

/// `-n NS RESOURCE[.GROUP][/SUB]/NAME` of row `r` ("" when it names no object).
pub fn object_of(s: &Store, r: usize) -> String {
    let res = s.str(Dim::Resource, r);
    if res.is_empty() {
        return s.path(r);
    }
    let mut k = String::new();
    let ns = s.str(Dim::Namespace, r);
    if !ns.is_empty() {
        k.push_str("-n ");
        k.push_str(ns);
        k.push(' ');
    }
    k.push_str(res);
    let g = s.str(Dim::ApiGroup, r);
    if !g.is_empty() {
        k.push('.');
        k.push_str(g);
    }
    let sub = s.str(Dim::Subresource, r);
    let name = s.str(Dim::Name, r);
    if !name.is_empty() {
        k.push('/');
        k.push_str(name);
    }
    if !sub.is_empty() {
        k.push_str(" (");
        k.push_str(sub);
        k.push(')');
    }
    k
}
