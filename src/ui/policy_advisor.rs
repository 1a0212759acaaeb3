//! The volume advisor in the Policy tab (issue 14): where the edited policy's bytes go,
//! the rule changes that would cut them (a day, a month at the chosen price, and what each
//! costs the findings pack), "Reach −N%" (a plan that stops before a guard-rail breaks),
//! the guard-rails re-checked on every edit (editable, kept in this browser), and the diff
//! of the last applied change with Undo. Everything is computed in the worker
//! (`Request::Advise`, `crate::advise`); this file shows and sends.

use crate::advise::Suggestion;
use crate::analysis::money::format_money;
use crate::audit::compare::{text_diff, LineKind};
use crate::ui::advisor_state::{load_guards, AdvisorAction, AdvisorState};
use crate::ui::format;
use crate::ui::policy_state::{Compare, PolicyAction, Workbench};
use crate::ui::state::{Action, State};
use crate::web::protocol::{AdviceAnswer, AdviseRequest, GuardVerdict, Request};
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

/// Ranking rows shown.
const RANK_SHOWN: usize = 40;

/// Sends the advisor's request whenever the workbench has a valid answer for the current
/// text, the settings change, or the log does (called once by the root component).
#[hook]
pub fn use_advisor_sync(state: &UseReducerHandle<State>, send: Callback<Request>) {
    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            if let Some(g) = load_guards() {
                dispatcher.dispatch(Action::Policy(PolicyAction::Advisor(
                    AdvisorAction::RestoreGuards(g),
                )));
            }
        });
    }
    let wb = &state.workbench;
    let ready = wb
        .report
        .as_ref()
        .is_some_and(|r| r.id == wb.rev && r.coverage.is_some());
    let adv = &wb.advisor;
    let req = ready.then(|| AdviseRequest {
        id: adv.id_for(wb.rev),
        name: wb.name.clone(),
        text: wb.text.clone(),
        kube_minor: wb.kube_minor,
        accept_old_versions: wb.accept_old_versions,
        guards: adv.guards.clone(),
        reference: if wb.compare == Compare::Baseline && !wb.baseline.trim().is_empty() {
            Some(wb.baseline.clone())
        } else {
            adv.reference.clone()
        },
        target_pct: adv.plan.then_some(adv.target),
    });
    let key = req.as_ref().map(|r| r.id);
    use_effect_with(key, move |_| {
        if let Some(r) = req {
            send.emit(Request::Advise(r));
        }
    });
}

#[derive(Properties, PartialEq)]
pub struct AdvisorProps {
    pub workbench: Workbench,
    pub on_action: Callback<PolicyAction>,
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn per_day(b: f64) -> String {
    format!("{}/day", format::bytes(b.max(0.0).round() as u64))
}

/// The diff of `before` → `after`, hunks with line numbers.
pub fn diff_view(before: &str, after: &str) -> Html {
    let hunks = text_diff(before, after, 2);
    html! {
        <div class="adv-diff mono" data-testid="advisor-diff">
            { for hunks.iter().map(|h| html! {
                <div class="adv-hunk">
                    <div class="adv-hunk-head muted">{ format!("@@ −{},{} +{},{} @@", h.a_start, h.a_len, h.b_start, h.b_len) }</div>
                    { for h.lines.iter().map(|l| {
                        let (cls, mark, kind) = match l.kind {
                            LineKind::Added => ("add", "+", "added"),
                            LineKind::Removed => ("del", "−", "removed"),
                            LineKind::Same => ("same", " ", "same"),
                        };
                        html! {
                            <div class={classes!("adv-dl", cls)} data-kind={kind}>
                                <span class="adv-ln">{ l.a_line.map(|n| n.to_string()).unwrap_or_default() }</span>
                                <span class="adv-ln">{ l.b_line.map(|n| n.to_string()).unwrap_or_default() }</span>
                                <span class="adv-mark">{ mark }</span>
                                <span class="adv-text">{ &l.text }</span>
                            </div>
                        }
                    }) }
                </div>
            }) }
        </div>
    }
}

fn rule_button(rule: Option<usize>, act: &Callback<PolicyAction>) -> Html {
    match rule {
        Some(r) => {
            let onclick = act.reform(move |_: MouseEvent| PolicyAction::SelectRule(Some(r)));
            html! { <button class="linkish mono" {onclick} title="Show this rule in the editor">{ format!("rule {r}") }</button> }
        }
        None => html! {},
    }
}

fn guard_row(g: &GuardVerdict, act: &Callback<PolicyAction>) -> Html {
    let kinds: Vec<&str> = g.kinds.iter().map(|k| k.as_str()).collect();
    let slugs: Vec<&str> = g.kinds.iter().map(|k| k.slug()).collect();
    html! {
        <li class={classes!("adv-guard", if g.ok { "ok" } else { "bad" })} data-testid="guard-row"
            data-id={g.id.clone()} data-ok={g.ok.to_string()} data-kinds={slugs.join(",")}>
            <span class="adv-guard-mark" aria-hidden="true">{ if g.ok { "✓" } else { "✗" } }</span>
            <span>{ &g.title }</span>
            if !g.ok {
                <span class="muted small">{ format!(" — fails for {}", kinds.join(", ")) }
                    if g.log_events > 0 { { format!(" ({} events of this log)", crate::util::human_count(g.log_events)) } }
                </span>
                <ul class="adv-fail small">
                    { for g.failures.iter().take(3).map(|f| html! { <li>{ f }</li> }) }
                </ul>
                if !g.rules.is_empty() {
                    <span class="small muted">{"broken by "}{ for g.rules.iter().take(4).map(|r| rule_button(Some(*r), act)) }</span>
                }
            }
        </li>
    }
}

#[derive(Properties, PartialEq)]
struct SuggestionProps {
    s: Suggestion,
    money: Option<String>,
    blocked: bool,
    before: Rc<String>,
    on_action: Callback<PolicyAction>,
}

#[function_component]
fn SuggestionRow(p: &SuggestionProps) -> Html {
    let open = use_state(|| false);
    let s = &p.s;
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let apply = {
        let (text, by) = (
            s.text.clone(),
            format!("The advisor's change \"{}\"", s.title),
        );
        p.on_action
            .reform(move |_: MouseEvent| PolicyAction::ApplyText {
                text: text.clone(),
                by: by.clone(),
            })
    };
    html! {
        <li class={classes!("adv-sg", p.blocked.then_some("blocked"))}
            data-testid={if p.blocked { "blocked-row" } else { "suggestion" }}
            data-id={s.id.clone()} data-kind={s.kind.clone()}
            data-saved-bytes={s.saved_bytes.to_string()} data-saved-per-day={s.saved_per_day.to_string()}
            data-line={s.line.to_string()}>
            <div class="adv-sg-head">
                <span class="adv-save num" title={format!("{} bytes of this log", s.saved_bytes)}>{ format!("−{}", per_day(s.saved_per_day)) }</span>
                <span class="muted small num">{ pct(s.saved_share) }</span>
                if let Some(m) = &p.money { <span class="small num adv-money" data-testid="suggestion-money">{ format!("{m}/month") }</span> }
                <span class="adv-title">{ &s.title }</span>
                <span class="spacer"></span>
                <button class="button small ghost" onclick={toggle} aria-expanded={(*open).to_string()} data-testid="suggestion-details">{ if *open { "Less" } else { "Diff & details" } }</button>
                if !p.blocked {
                    <button class="button small" onclick={apply} data-testid="suggestion-apply" title="Make this change in the editor (Undo puts the text back)">{"Apply"}</button>
                }
            </div>
            if p.blocked {
                { for s.breaks.iter().take(1).map(|b| html! {
                    <p class="small adv-break" data-testid="suggestion-break" data-guard={b.guard.clone()}>
                        { format!("Breaks \"{}\": {} ", b.title, b.why) }{ rule_button(b.rule, &p.on_action) }
                    </p>
                }) }
            }
            if !s.pack.is_empty() {
                <p class="small adv-pack">{"Findings pack: "}
                    { for s.pack.iter().take(3).enumerate().map(|(i, e)| html! {
                        <span data-testid="suggestion-pack" data-rule={e.id.clone()}>
                            { if i > 0 { "; " } else { "" } }
                            { format!("{} loses {} requests", e.title, crate::util::human_count(e.events)) }
                            if e.finding_events > 0 { { format!(" and {} events of this log's findings", e.finding_events) } }
                        </span>
                    }) }
                </p>
            }
            if *open {
                <div class="adv-sg-body small">
                    <p>{ format!("Where: {}.", s.placement) }</p>
                    <ul>
                        { for s.takes.iter().take(4).map(|t| html! {
                            <li>{ format!("takes {} events from {}: {} → {}", crate::util::human_count(t.events),
                                t.from.map_or("no rule".to_string(), |r| format!("rule {r} (line {})", t.from_line)),
                                format::bytes(t.bytes_before), format::bytes(t.bytes_after)) }</li>
                        }) }
                    </ul>
                    if s.rewritten { <p class="banner note">{"The text could not be edited in place (flow style, JSON or a ConfigMap): applying writes the policy out whole, without comments."}</p> }
                    { diff_view(&p.before, &s.text) }
                </div>
            }
        </li>
    }
}

#[function_component]
pub fn AdvisorView(props: &AdvisorProps) -> Html {
    let wb = &props.workbench;
    let adv: &AdvisorState = &wb.advisor;
    let act = &props.on_action;
    let sort_bytes = use_state(|| true);
    let editing = use_state(|| None::<String>);
    let target_in = {
        let act = act.clone();
        Callback::from(move |e: Event| {
            let i: HtmlInputElement = e.target_unchecked_into();
            if let Ok(v) = i
                .value()
                .trim()
                .trim_start_matches(['-', '−'])
                .parse::<f64>()
            {
                act.emit(PolicyAction::Advisor(AdvisorAction::SetTarget(v)));
            }
        })
    };
    let plan_btn = act.reform(|_: MouseEvent| PolicyAction::Advisor(AdvisorAction::Plan(true)));
    let current = adv.id_for(wb.rev);
    let answer: Option<Rc<AdviceAnswer>> = adv.answer.clone();
    let busy = answer.as_ref().is_none_or(|a| a.id != current);
    let Some(a) = answer else {
        return html! {
            <section class="panel" data-testid="advisor" data-busy="true">
                <h2>{"Volume advisor"}</h2>
                <p class="muted">{"Measuring…"}</p>
            </section>
        };
    };
    let Some(adv_data) = &a.advice else {
        return html! {
            <section class="panel" data-testid="advisor" data-busy={busy.to_string()}>
                <h2>{"Volume advisor"}</h2>
                <p class="muted">{ a.error.clone().unwrap_or_default() }</p>
            </section>
        };
    };
    let c = &adv_data.current;
    let pricing = &wb.pricing;
    let cur_bpd = c.bytes_per_day;
    let money = |saved_per_day: f64| {
        Some(format_money(
            pricing.saving(cur_bpd, cur_bpd - saved_per_day),
            &pricing.price.currency,
        ))
    };
    let share = |x: u64, t: u64| if t == 0 { 0.0 } else { x as f64 / t as f64 };
    let before = Rc::new(wb.text.clone());

    // The guard-rails editor.
    let guards_box = match &*editing {
        None => {
            let edit = {
                let editing = editing.clone();
                let text = adv
                    .guards
                    .clone()
                    .unwrap_or_else(|| crate::advise::guard::DEFAULT_GUARDS.to_string());
                Callback::from(move |_: MouseEvent| editing.set(Some(text.clone())))
            };
            html! {
                <button class="button small" onclick={edit} data-testid="guards-edit">
                    { if adv.guards.is_some() { "Edit your guard-rails" } else { "Edit guard-rails" } }
                </button>
            }
        }
        Some(t) => {
            let oninput = {
                let editing = editing.clone();
                Callback::from(move |e: InputEvent| {
                    let i: HtmlTextAreaElement = e.target_unchecked_into();
                    editing.set(Some(i.value()));
                })
            };
            let save = {
                let (editing, act, t) = (editing.clone(), act.clone(), t.clone());
                Callback::from(move |_: MouseEvent| {
                    act.emit(PolicyAction::Advisor(AdvisorAction::SetGuards(Some(
                        t.clone(),
                    ))));
                    editing.set(None);
                })
            };
            let reset = {
                let (editing, act) = (editing.clone(), act.clone());
                Callback::from(move |_: MouseEvent| {
                    act.emit(PolicyAction::Advisor(AdvisorAction::SetGuards(None)));
                    editing.set(None);
                })
            };
            let cancel = {
                let editing = editing.clone();
                Callback::from(move |_: MouseEvent| editing.set(None))
            };
            html! {
                <div class="adv-guards-edit">
                    <textarea class="mono" rows="14" spellcheck="false" value={t.clone()} {oninput} data-testid="guards-input" aria-label="Guard-rails (YAML)" />
                    <div class="row">
                        <button class="button small" onclick={save} data-testid="guards-save">{"Use these guard-rails"}</button>
                        <button class="button small ghost" onclick={reset} data-testid="guards-reset">{"Back to the defaults"}</button>
                        <button class="button small ghost" onclick={cancel}>{"Cancel"}</button>
                    </div>
                </div>
            }
        }
    };

    let plan = adv_data.plan.as_ref().filter(|_| adv.plan).map(|p| {
        let apply = {
            let (text, by) = (p.text.clone(), format!("The advisor's plan for −{:.0}%", p.target_pct));
            act.reform(move |_: MouseEvent| PolicyAction::ApplyText { text: text.clone(), by: by.clone() })
        };
        let saved = p.before.bytes_per_day - p.after.bytes_per_day;
        let hide = act.reform(|_: MouseEvent| PolicyAction::Advisor(AdvisorAction::Plan(false)));
        html! {
            <div class="adv-plan-result" data-testid="plan" data-reached={p.reached.to_string()}
                 data-reached-pct={p.reached_pct.to_string()} data-steps={p.steps.len().to_string()}
                 data-after-bytes={p.after.bytes.to_string()} data-before-bytes={p.before.bytes.to_string()}>
                <p>
                    <strong>{ format!("−{:.1}% in {} changes", p.reached_pct, p.steps.len()) }</strong>
                    { format!(" · {} → {} · ", per_day(p.before.bytes_per_day), per_day(p.after.bytes_per_day)) }
                    <span data-testid="plan-money">{ format!("{} a month less", money(saved).unwrap_or_default()) }</span>
                </p>
                <p class={classes!("small", if p.reached { "ok" } else { "adv-stop" })} data-testid="plan-stop">{ &p.stop }</p>
                <ol class="adv-steps small">
                    { for p.steps.iter().map(|s| html! {
                        <li data-testid="plan-step" data-kind={s.kind.clone()} data-saved-bytes={s.saved_bytes.to_string()}>
                            <span class="num">{ format!("−{} ", per_day(s.saved_per_day)) }</span>{ &s.title }
                            <span class="muted">{ format!(" — {}", s.placement) }</span>
                        </li>
                    }) }
                </ol>
                <p class="small">{"Guard-rails on the result: "}
                    { if p.guards.iter().all(|g| g.ok) { "all hold.".to_string() } else {
                        format!("all that held still hold; failing as before: {}.",
                            p.guards.iter().filter(|g| !g.ok).map(|g| g.id.as_str()).collect::<Vec<_>>().join(", ")) } }
                </p>
                <div class="row">
                    <button class="button" onclick={apply} data-testid="plan-apply" disabled={p.steps.is_empty()}>{"Apply the plan"}</button>
                    <button class="button small ghost" onclick={hide}>{"Hide the plan"}</button>
                </div>
            </div>
        }
    });

    let applied = adv.applied.as_ref().map(|ap| {
        let undo = act.reform(|_: MouseEvent| PolicyAction::Undo);
        let dismiss = act.reform(|_: MouseEvent| PolicyAction::Advisor(AdvisorAction::DismissApplied));
        html! {
            <div class="adv-applied banner note" data-testid="advisor-applied" role="status">
                <p>{ format!("{} is in the editor. What changed:", ap.title) }
                    if wb.undo.is_some() { <button class="button small" onclick={undo} data-testid="advisor-undo">{"Undo"}</button> }
                    <button class="button small ghost" onclick={dismiss} aria-label="Hide the diff">{"✕"}</button>
                </p>
                { diff_view(&ap.before, &ap.after) }
            </div>
        }
    });

    let mut rows = adv_data.ranking.clone();
    if !*sort_bytes {
        rows.sort_by(|a, b| b.events.cmp(&a.events).then(b.bytes.cmp(&a.bytes)));
    }
    let toggle_sort = {
        let sb = sort_bytes.clone();
        Callback::from(move |_: MouseEvent| sb.set(!*sb))
    };

    html! {
        <section class={classes!("panel", busy.then_some("stale"))} data-testid="advisor" data-busy={busy.to_string()}
                 data-elapsed-ms={a.elapsed_ms.to_string()} data-measured={adv_data.measured.to_string()}>
            <h2>{"Volume advisor"}<span class="muted small">{"rule changes that cut what this policy writes, and never break a guard-rail"}</span></h2>
            <p data-testid="advisor-summary" data-bytes-per-day={cur_bpd.to_string()} data-bytes={c.bytes.to_string()}
               data-body-share={share(c.body_bytes, c.bytes).to_string()} data-mf-share={share(c.managed_fields_bytes, c.body_bytes).to_string()}>
                { format!("This policy writes {} ({} events over {:.1} h of log); {} of it is bodies, and {} of the bodies is managedFields (what omitManagedFields would save). At {}: {} a month.",
                    per_day(cur_bpd), crate::util::human_count(c.events), adv_data.span_hours,
                    pct(share(c.body_bytes, c.bytes)), pct(share(c.managed_fields_bytes, c.body_bytes)),
                    pricing.price.name, format_money(pricing.monthly(cur_bpd).total, &pricing.price.currency)) }
            </p>
            if let Some(e) = &a.guard_error { <p class="banner error" data-testid="guards-error">{ format!("Your guard-rails do not load, the defaults are used: {e}") }</p> }
            { applied.unwrap_or_default() }
            <div class="adv-target row">
                <label>{"Reach −"}<input type="number" min="1" max="99" step="1" value={format!("{:.0}", adv.target)} onchange={target_in} data-testid="advisor-target" aria-label="Target cut in percent" />{"%"}</label>
                <button class="button" onclick={plan_btn} data-testid="advisor-plan">{"Plan it"}</button>
                <span class="muted small">{"greedy: the largest saving that keeps every guard-rail, again and again, until the target"}</span>
            </div>
            { plan.unwrap_or_default() }
            <div class="adv-cols">
                <div class="adv-main">
                    <h3>{ format!("Suggestions ({})", adv_data.suggestions.len()) }<span class="muted small">{" each on its own, largest saving first"}</span></h3>
                    if adv_data.suggestions.is_empty() { <p class="muted small">{"No change saves 0.1% or more within the guard-rails."}</p> }
                    <ul class="adv-list">
                        { for adv_data.suggestions.iter().map(|s| html! {
                            <SuggestionRow s={s.clone()} money={money(s.saved_per_day)} blocked={false} before={before.clone()} on_action={act.clone()} />
                        }) }
                    </ul>
                    if !adv_data.blocked.is_empty() {
                        <h3>{"Larger savings the guard-rails forbid"}</h3>
                        <ul class="adv-list">
                            { for adv_data.blocked.iter().map(|s| html! {
                                <SuggestionRow s={s.clone()} money={money(s.saved_per_day)} blocked={true} before={before.clone()} on_action={act.clone()} />
                            }) }
                        </ul>
                    }
                </div>
                <div class="adv-side">
                    <h3>{"Guard-rails"}<span class="muted small">{ if adv.guards.is_some() { " yours" } else { " the defaults" } }</span></h3>
                    <ul class="adv-guards">{ for adv_data.guards.iter().map(|g| guard_row(g, act)) }</ul>
                    if adv.reference.is_some() {
                        <p class="small muted">{"\"Nothing … lost\" compares with the text before the advisor's first change. "}
                            <button class="linkish" onclick={act.reform(|_: MouseEvent| PolicyAction::Advisor(AdvisorAction::ResetReference))}>{"Compare with the current text instead"}</button>
                        </p>
                    }
                    { guards_box }
                </div>
            </div>
            <h3>{"Where the bytes go"}<span class="muted small">{ format!(" {} groups of who × agent × verb × resource × level; top {}", adv_data.rank_total, RANK_SHOWN.min(rows.len())) }</span>
                <button class="button small ghost" onclick={toggle_sort} data-testid="rank-sort" data-sort={if *sort_bytes { "bytes" } else { "events" }}>
                    { if *sort_bytes { "sorted by bytes" } else { "sorted by events" } }
                </button>
            </h3>
            <div class="table-wrap">
                <table class="adv-rank">
                    <thead><tr><th class="num">{"bytes/day"}</th><th class="num">{"events/h"}</th><th class="num">{"bodies"}</th><th>{"level"}</th><th>{"rule"}</th><th>{"who"}</th><th>{"agent"}</th><th>{"verb"}</th><th>{"resource"}</th></tr></thead>
                    <tbody>
                        { for rows.iter().take(RANK_SHOWN).map(|r| html! {
                            <tr data-testid="rank-row" data-bytes={r.bytes.to_string()} data-events={r.events.to_string()}>
                                <td class="num">{ per_day(r.bytes_per_day) }</td>
                                <td class="num">{ crate::util::human_count(r.events_per_hour.round() as u64) }</td>
                                <td class="num">{ pct(share(r.body_bytes, r.bytes)) }</td>
                                <td>{ r.level.as_str() }</td>
                                <td>{ rule_button(r.rule, act) }</td>
                                <td class="mono wrap">{ if r.actor_is_group { format!("group {}", r.actor) } else { r.actor.clone() } }</td>
                                <td class="mono">{ &r.agent }</td>
                                <td class="mono">{ &r.verb }</td>
                                <td class="mono wrap">{ &r.resource }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
            { for adv_data.notes.iter().map(|n| html! { <p class="small muted">{ n }</p> }) }
        </section>
    }
}
