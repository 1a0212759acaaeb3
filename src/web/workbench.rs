//! The policy workbench's answers, computed in the worker: validation and lint findings,
//! the security checklist, per-rule coverage, the resource × verb coverage map, what-if
//! volume and retention, for one revision of the edited policy.
//!
//! Cost: the attribute index ([`AttrIndex`](crate::analysis::evaluate::AttrIndex)) is
//! built once per loaded log and shared with the Explore view ([`SharedAttr`]); a baseline policy's evaluation is kept while its text and the Kubernetes
//! version stay the same. Each answer then evaluates the edited policy once per distinct
//! attribute tuple and makes a few passes over the rows (coverage, what-if).
//!
//! Invariant: nothing here changes what the engine decides; every number comes from the
//! same functions the CLI's `coverage`, `whatif` and `lint` use.

use crate::analysis::coverage::coverage;
use crate::analysis::evaluate::{evaluate, Evaluation};
use crate::analysis::policy_ab::compare_volumes;
use crate::analysis::volume::{retention, what_if};
use crate::audit::compare::{align_rules, text_diff};
use crate::audit::lint::{lint, security_checklist_seen};
use crate::audit::policy::{
    load_policy, GroupResources, KubeVersion, LoadOptions, LoadedPolicy, PolicyRule,
};
use crate::store::{Dim, Store};
use crate::web::explore::SharedAttr;
use crate::web::policy::view;
use crate::web::protocol::{
    CompareReport, CoverageMap, MapRow, PolicyReport, RetentionView, RuleInfo, WorkbenchReport,
    WorkbenchRequest, DIFF_LINES_MAX, MAP_ROWS,
};
use std::collections::HashMap;

/// A baseline policy (text, (kube minor, old versions accepted)) and what came of it:
/// loaded and evaluated, or why not.
type BaselineEntry = (
    String,
    (u32, bool),
    Result<(LoadedPolicy, Evaluation), String>,
);

/// What survives between two answers.
#[derive(Default)]
pub struct Cache {
    /// Shared with the Explore view (`Explore::shared_attr`).
    idx: SharedAttr,
    /// (text, options) of the baseline and what came of it.
    baseline: Option<BaselineEntry>,
    /// The identities seen in the log (witnesses of the checklist), once per store.
    seen: Option<Vec<(String, Vec<String>)>>,
}

impl Cache {
    /// A cache that takes its attribute index from `idx` (built once, used by both views).
    pub fn with_attr(idx: SharedAttr) -> Self {
        Cache {
            idx,
            baseline: None,
            seen: None,
        }
    }

    /// Forgets everything computed from the store (call when the store changes).
    pub fn invalidate(&mut self) {
        self.idx.clear();
        self.baseline = None;
        self.seen = None;
    }
}

use crate::advise::seen_identities;

fn options(req: &WorkbenchRequest) -> LoadOptions {
    LoadOptions {
        kube_version: KubeVersion {
            major: 1,
            minor: req.kube_minor,
        },
        accept_old_versions: req.accept_old_versions,
        ..LoadOptions::default()
    }
}

/// Verbs in the order a reader expects (reads, then writes); others follow by name.
const VERB_ORDER: &[&str] = crate::audit::needs::USUAL_VERBS;

/// At most this many values of one selector are listed; the rest is "+N".
const LIST_MAX: usize = 4;

fn list(values: &[String]) -> String {
    let mut out: Vec<String> = values
        .iter()
        .take(LIST_MAX)
        .map(|v| {
            if v.is_empty() {
                "\"\"".into()
            } else {
                v.clone()
            }
        })
        .collect();
    if values.len() > LIST_MAX {
        out.push(format!("+{}", values.len() - LIST_MAX));
    }
    out.join(", ")
}

fn group_resources(g: &GroupResources) -> String {
    let group = if g.group.is_empty() { "core" } else { &g.group };
    let res = if g.resources.is_empty() {
        "*".to_string()
    } else {
        list(&g.resources)
    };
    let names = if g.resource_names.is_empty() {
        String::new()
    } else {
        format!(" [names: {}]", list(&g.resource_names))
    };
    format!("{group}: {res}{names}")
}

/// A rule's selectors in one line, e.g.
/// `users: system:kube-proxy · verbs: watch · resources: core: endpoints, services`.
/// A rule without selectors is `everything (catch-all)`.
pub fn selector_summary(r: &PolicyRule) -> String {
    let mut parts = Vec::new();
    if !r.users.is_empty() {
        parts.push(format!("users: {}", list(&r.users)));
    }
    if !r.user_groups.is_empty() {
        parts.push(format!("groups: {}", list(&r.user_groups)));
    }
    if !r.verbs.is_empty() {
        parts.push(format!("verbs: {}", list(&r.verbs)));
    }
    if !r.resources.is_empty() {
        let gs: Vec<String> = r.resources.iter().map(group_resources).collect();
        parts.push(format!("resources: {}", gs.join("; ")));
    }
    if !r.namespaces.is_empty() {
        parts.push(format!("ns: {}", list(&r.namespaces)));
    }
    if !r.non_resource_urls.is_empty() {
        parts.push(format!("urls: {}", list(&r.non_resource_urls)));
    }
    if parts.is_empty() {
        "everything (catch-all)".into()
    } else {
        parts.join(" · ")
    }
}

/// Events of the log per (group/resource, verb) and level under the policy. Built from
/// the evaluation's distinct keys, so it costs one step per distinct request, not per event.
pub fn coverage_map(s: &Store, ev: &Evaluation) -> CoverageMap {
    // (non_resource, group, resource) -> verb -> per-level events
    let mut rows: HashMap<(bool, String, String), HashMap<String, [u64; 4]>> = HashMap::new();
    for (k, &(rep, count)) in ev.keys.iter().enumerate() {
        let r = rep as usize;
        let level = ev.key_decision[k].level as usize;
        let key = if s.is_resource_request(r) {
            let res = s.str(Dim::Resource, r);
            let sub = s.str(Dim::Subresource, r);
            let res = if sub.is_empty() {
                res.to_string()
            } else {
                format!("{res}/{sub}")
            };
            (false, s.str(Dim::ApiGroup, r).to_string(), res)
        } else {
            (true, String::new(), String::new())
        };
        let cell = rows
            .entry(key)
            .or_default()
            .entry(s.str(Dim::Verb, r).to_string())
            .or_insert([0; 4]);
        cell[level] += count as u64;
    }
    let mut verbs: Vec<String> = rows
        .values()
        .flat_map(|m| m.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    verbs.sort_by_key(|v| {
        (
            VERB_ORDER
                .iter()
                .position(|o| o == v)
                .unwrap_or(VERB_ORDER.len()),
            v.clone(),
        )
    });
    let mut out: Vec<MapRow> = rows
        .into_iter()
        .map(|((non_res, group, res), m)| {
            let cells: Vec<[u64; 4]> = verbs
                .iter()
                .map(|v| m.get(v).copied().unwrap_or([0; 4]))
                .collect();
            let events = cells.iter().flatten().sum();
            let label = match (non_res, group.is_empty()) {
                (true, _) => "non-resource URLs".to_string(),
                (false, true) => res,
                (false, false) => format!("{group}/{res}"),
            };
            MapRow {
                label,
                events,
                cells,
            }
        })
        .collect();
    out.sort_by(|a, b| b.events.cmp(&a.events).then_with(|| a.label.cmp(&b.label)));
    let more_rows = out.len().saturating_sub(MAP_ROWS);
    out.truncate(MAP_ROWS);
    CoverageMap {
        verbs,
        rows: out,
        more_rows,
    }
}

fn rule_infos(p: &LoadedPolicy) -> Vec<RuleInfo> {
    p.policy
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let span = p.rule_spans.get(i).copied().unwrap_or_default();
            RuleInfo {
                level: r.level.as_str().to_string(),
                line: span.start_line,
                end_line: span.end_line,
                selectors: selector_summary(r),
                omit_stages: p
                    .compiled
                    .rule_omit_stages(i)
                    .iter()
                    .map(|s| s.as_str().to_string())
                    .collect(),
            }
        })
        .collect()
}

/// The edited policy against the baseline, from the baseline to the edited policy (see
/// [`CompareReport`]).
fn compare_report(
    s: &Store,
    base_text: &str,
    base: &LoadedPolicy,
    base_ev: &Evaluation,
    text: &str,
    edited: &LoadedPolicy,
    ev: &Evaluation,
) -> CompareReport {
    let pairs = align_rules(&base.policy, &edited.policy);
    let mut diff = text_diff(base_text, text, 3);
    let mut lines = 0;
    let mut keep = diff.len();
    for (k, h) in diff.iter().enumerate() {
        lines += h.lines.len();
        if lines > DIFF_LINES_MAX {
            keep = k;
            break;
        }
    }
    let diff_truncated = keep < diff.len();
    diff.truncate(keep);
    CompareReport {
        ab: compare_volumes(s, base_ev, ev, &pairs),
        baseline_rules: rule_infos(base),
        diff,
        diff_truncated,
    }
}

/// Answers one workbench request. Returns the report and, when the policy is valid, the
/// loaded policy (the worker keeps it as the current policy for Explore's `rule:` terms).
/// `loading`: a load is running, so the store is incomplete (no coverage then).
pub fn answer(
    s: &Store,
    loading: bool,
    cache: &mut Cache,
    req: &WorkbenchRequest,
    now_ms: impl Fn() -> f64,
) -> (WorkbenchReport, Option<LoadedPolicy>) {
    let t0 = now_ms();
    let mut out = WorkbenchReport {
        id: req.id,
        report: PolicyReport {
            name: req.name.clone(),
            text: String::new(),
            rules: None,
            valid: false,
            diagnostics: Vec::new(),
        },
        rules: Vec::new(),
        checklist: Vec::new(),
        coverage: None,
        map: None,
        what_if: None,
        retention: Vec::new(),
        baseline_error: None,
        no_coverage: None,
        blind: None,
        compare: None,
        elapsed_ms: 0.0,
    };
    let loaded = match load_policy(&req.name, &req.text, &options(req)) {
        Ok(p) => p,
        Err(e) => {
            out.report.diagnostics = e.diagnostics.iter().map(view).collect();
            out.report
                .diagnostics
                .sort_by_key(|d| (d.line == 0, d.line, d.column));
            out.no_coverage =
                Some("The policy has errors (kube-apiserver would refuse it): fix them to see what it records.".into());
            out.elapsed_ms = now_ms() - t0;
            return (out, None);
        }
    };
    let mut findings = loaded.warnings.clone();
    findings.extend(lint(&loaded));
    findings.sort_by_key(|d| (d.line == 0, d.line, d.column));
    findings.dedup();
    out.report.diagnostics = findings.iter().map(view).collect();
    out.report.rules = Some(loaded.rule_count());
    out.report.valid = true;
    out.rules = rule_infos(&loaded);
    // The identities of the log join the checklist's witnesses once it is read whole.
    let seen: &[(String, Vec<String>)] = if s.is_empty() || loading {
        &[]
    } else {
        cache.seen.get_or_insert_with(|| seen_identities(s))
    };
    out.checklist = security_checklist_seen(&loaded, seen);

    if s.is_empty() || loading {
        out.no_coverage = Some(if loading {
            "A log is loading: coverage follows when it is read.".into()
        } else {
            "No log loaded: drop an audit log (or load the sample) to see what each rule takes and what it costs.".into()
        });
        out.elapsed_ms = now_ms() - t0;
        return (out, Some(loaded));
    }
    let idx = cache.idx.get(s);
    let idx = &*idx;
    let ev = evaluate(s, idx, &loaded.compiled);
    out.coverage = Some(coverage(s, &loaded.compiled, &ev));
    out.map = Some(coverage_map(s, &ev));

    // The baseline: a second policy (cached while unchanged), else the log as recorded.
    if let Some(text) = &req.baseline {
        let fresh = !matches!(&cache.baseline, Some((t, m, _)) if t == text && *m == (req.kube_minor, req.accept_old_versions));
        if fresh {
            let r = match load_policy("baseline", text, &options(req)) {
                Ok(p) => {
                    let e = evaluate(s, idx, &p.compiled);
                    Ok((p, e))
                }
                Err(e) => Err(match e.diagnostics.first() {
                    Some(d) if d.line > 0 => {
                        format!("line {}: {}", d.line, d.message)
                    }
                    Some(d) => d.message.clone(),
                    None => "it cannot be read".into(),
                }),
            };
            cache.baseline = Some((text.clone(), (req.kube_minor, req.accept_old_versions), r));
        }
    }
    let baseline = match (&req.baseline, &cache.baseline) {
        (Some(_), Some((_, _, Ok((p, e))))) => Some((&p.compiled, e, "baseline policy")),
        (Some(_), Some((_, _, Err(msg)))) => {
            out.baseline_error = Some(format!(
                "The baseline policy is not valid ({msg}); comparing with the log as recorded."
            ));
            None
        }
        _ => None,
    };
    if let (Some(text), Some((_, _, Ok((p, e))))) = (&req.baseline, &cache.baseline) {
        out.compare = Some(Box::new(compare_report(
            s, text, p, e, &req.text, &loaded, &ev,
        )));
    }
    let w = what_if(s, (&loaded.compiled, &ev, "edited policy"), baseline);
    out.retention = [&w.baseline, &w.candidate]
        .into_iter()
        .map(|v| RetentionView {
            label: v.label.clone(),
            bytes_per_hour: v.bytes_per_hour,
            retention: retention(v.bytes_per_hour, req.flags),
        })
        .collect();
    out.what_if = Some(w);
    out.elapsed_ms = now_ms() - t0;
    (out, Some(loaded))
}
