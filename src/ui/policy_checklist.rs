//! The security checklist: what a reviewer asks of an audit policy, each with pass/warn
//! and the rules that decide it (click one to see it in the editor). Requirements decided
//! per kind of identity show one chip per kind (pass, fail, or not concerned) and, for each
//! failing kind, its first failing request with the rule that decides it.

use crate::audit::needs::{who, IdentityKind, NeedVerdict};
use crate::web::protocol::{CheckItem, Outcome};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ChecklistProps {
    pub items: Rc<Vec<CheckItem>>,
    pub on_rule: Callback<usize>,
}

/// Chip label of a kind (short, the title says it in full).
fn short(k: IdentityKind) -> &'static str {
    match k {
        IdentityKind::Human => "humans",
        IdentityKind::ServiceAccount => "SAs",
        IdentityKind::Node => "nodes",
        IdentityKind::System => "system",
        IdentityKind::Anonymous => "anon",
    }
}

/// `a `b` c` with the back-quoted parts as code.
pub fn with_code(s: &str) -> Html {
    html! {
        { for s.split('`').enumerate().map(|(i, part)| if i % 2 == 1 {
            html! { <code>{ part }</code> }
        } else {
            html! { { part } }
        }) }
    }
}

fn kinds(v: &NeedVerdict) -> Html {
    html! {
        <span class="kind-chips">
            { for IdentityKind::ALL.iter().map(|&k| {
                let kv = v.kinds.iter().find(|x| x.kind == k);
                let (class, mark, title) = match kv {
                    None => ("na", "–", format!("{}: not concerned", k.as_str())),
                    Some(x) if x.ok => ("ok", "✓", format!("{}: {} requests checked, all recorded as asked{}", k.as_str(), x.checked, if x.complete { "" } else { " (partial: the policy names more identities than were probed)" })),
                    Some(x) => ("fail", "✗", format!("{}: {} of {} requests checked fail", k.as_str(), x.failed, x.checked)),
                };
                html! {
                    <span class={classes!("kind-chip", class)} data-kind={k.slug()} {title}>
                        <span class="kind-mark" aria-hidden="true">{ mark }</span>{ short(k) }
                    </span>
                }
            }) }
        </span>
    }
}

/// A line of failures: (request, reason, decider, rule), the kinds, their users.
type Line = (
    (String, String, String, Option<usize>),
    Vec<IdentityKind>,
    Vec<String>,
);

/// Failures shown per failing kind: one per deciding rule, at most this many.
const PER_KIND: usize = 2;

/// The failing kinds' first failures (one per rule, [`PER_KIND`] at most), kinds with the
/// same request, reason and rule on one line: "humans, nodes: `get secrets` in … is not
/// recorded — rule 1 (level None)", the users in the tooltip.
fn failures(v: &NeedVerdict, on_rule: &Callback<usize>) -> Html {
    // (request, reason, decider, rule) -> kinds, users
    let mut lines: Vec<Line> = Vec::new();
    for k in v.kinds.iter().filter(|k| !k.ok) {
        let mut rules_seen: Vec<Option<usize>> = Vec::new();
        for f in &k.failures {
            if rules_seen.len() >= PER_KIND || rules_seen.contains(&f.rule) {
                continue;
            }
            rules_seen.push(f.rule);
            let key = (
                f.request.clone(),
                f.reason.clone(),
                f.decider.clone(),
                f.rule,
            );
            match lines.iter_mut().find(|(k2, _, _)| *k2 == key) {
                Some((_, kinds, users)) => {
                    kinds.push(k.kind);
                    users.push(f.user.clone());
                }
                None => lines.push((key, vec![k.kind], vec![f.user.clone()])),
            }
        }
    }
    html! {
        { for lines.into_iter().map(|((request, reason, decider, rule), kinds, users)| {
            let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
            let slugs: Vec<&str> = kinds.iter().map(|k| k.slug()).collect();
            let failed: usize = v.kinds.iter().filter(|k| kinds.contains(&k.kind)).map(|k| k.failed).sum();
            let checked: usize = v.kinds.iter().filter(|k| kinds.contains(&k.kind)).map(|k| k.checked).sum();
            let who = if users.len() == 1 { format!(" by {}", who(&users[0])) } else { String::new() };
            html! {
                <span class="kind-fail" data-kind={slugs.join(",")} title={format!("probed as {}; {failed} of {checked} requests checked fail", users.join(", "))}>
                    <b>{ names.join(", ") }</b>{ ": " }
                    { with_code(&format!("{request}{who} {reason} — {decider}")) }
                    if let Some(r) = rule {
                        { " " }
                        <button class="button small ghost mono" onclick={on_rule.reform(move |_: MouseEvent| r)} title={format!("Show rule {r} in the editor")}>{ format!("rule #{r}") }</button>
                    }
                </span>
            }
        }) }
    }
}

#[function_component]
pub fn Checklist(props: &ChecklistProps) -> Html {
    let warns = props
        .items
        .iter()
        .filter(|c| c.outcome == Outcome::Warn)
        .count();
    html! {
        <ul class="checklist" data-testid="security-checklist" data-warnings={warns.to_string()}>
            { for props.items.iter().map(|c| {
                let pass = c.outcome == Outcome::Pass;
                let failing: Vec<&str> = c.verdict.as_ref().map(|v| v.failing().into_iter().map(|k| k.slug()).collect()).unwrap_or_default();
                html! {
                    <li class={classes!("check", if pass { "pass" } else { "warn" }, c.verdict.is_some().then_some("per-kind"))} data-check={c.id.clone()}
                        data-testid="check-row" data-id={c.id.clone()} data-failing-kinds={failing.join(",")}
                        data-outcome={if pass { "pass" } else { "warn" }}>
                        <span class="check-mark" aria-label={if pass { "pass" } else { "warning" }}>{ if pass { "✓ pass" } else { "! warn" } }</span>
                        <span class="check-title">{ &c.title }</span>
                        if let Some(v) = &c.verdict {
                            { kinds(v) }
                            { failures(v, &props.on_rule) }
                        }
                        if c.verdict.as_ref().is_none_or(|v| v.ok) {
                            <span class="check-rules">
                                { for c.rules.iter().map(|r| {
                                    let r = *r;
                                    let onclick = props.on_rule.reform(move |_: MouseEvent| r);
                                    html! { <button class="button small ghost mono" {onclick} title={format!("Show rule {r} in the editor")}>{ format!("rule #{r}") }</button> }
                                }) }
                            </span>
                        }
                        if c.verdict.is_none() && !c.detail.is_empty() { <span class="check-detail muted">{ &c.detail }</span> }
                    </li>
                }
            }) }
        </ul>
    }
}
