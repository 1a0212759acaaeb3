//! The Actor view: one user, service account or address — when it was active (sessions
//! split at idle gaps), what it touched, what failed, from where and with what program, and
//! the impersonation chain. Opened from a user, impersonated user or IP in the event table,
//! the top panels and the event detail; answered by the worker (`analysis::actor`).
//!
//! A dialog over the page: Escape or the ✕ closes it; its rows are buttons (Tab, Enter).
//! Log content is only ever put in the page as text.

use super::format::visible;
use crate::analysis::actor::{ActorReport, Count, DEFAULT_GAP_US};
use crate::ui::dom;
use crate::util::{human_count, human_duration_micros};
use crate::web::protocol::{ActorAnswer, Request, Response};
use std::rc::Rc;
use yew::prelude::*;

/// Idle gaps the view offers (label, µs).
pub const GAPS: &[(&str, i64)] = &[
    ("5 min", 5 * 60_000_000),
    ("15 min", 15 * 60_000_000),
    ("30 min", 30 * 60_000_000),
    ("1 h", 3_600_000_000),
    ("4 h", 4 * 3_600_000_000),
    ("1 day", 86_400_000_000),
];

/// The Actor view's part of the page state.
#[derive(Clone, Debug, PartialEq)]
pub struct ActorState {
    /// The actor shown (as clicked: `bob`, `system:serviceaccount:ns:n`, an IP).
    pub open: Option<String>,
    pub gap_us: i64,
    /// Latest request id sent, and its answer.
    pub sent: u32,
    pub answer: Option<Rc<ActorAnswer>>,
}

impl Default for ActorState {
    fn default() -> Self {
        ActorState {
            open: None,
            gap_us: DEFAULT_GAP_US,
            sent: 0,
            answer: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ActorAction {
    /// Shows `who`; its request `id` was sent (see [`ask`]).
    Open {
        who: String,
        id: u32,
    },
    Close,
    /// A new idle gap; its request `id` was sent.
    SetGap {
        gap_us: i64,
        id: u32,
    },
}

/// Asks the worker for `who` at `gap_us` and tells the state: the request leaves at the
/// click, not after a render (the answer is what the user waits for).
pub fn ask(
    send: &Callback<Request>,
    dispatch: &Callback<ActorAction>,
    who: String,
    gap_us: i64,
    open: bool,
) {
    let id = fresh_id();
    dispatch.emit(if open {
        ActorAction::Open {
            who: who.clone(),
            id,
        }
    } else {
        ActorAction::SetGap { gap_us, id }
    });
    send.emit(Request::Actor {
        id,
        actor: who,
        gap_us,
    });
}

impl ActorState {
    pub fn reduce(&mut self, a: ActorAction) {
        match a {
            ActorAction::Open { who, id } => {
                if self.open.as_deref() != Some(who.as_str()) {
                    self.answer = None;
                }
                self.open = Some(who);
                self.sent = id;
            }
            ActorAction::Close => {
                self.open = None;
                self.answer = None;
            }
            ActorAction::SetGap { gap_us, id } => {
                self.gap_us = gap_us;
                self.sent = id;
            }
        }
    }

    pub fn on_response(&mut self, r: Response) {
        if let Response::Actor(a) = r {
            if a.id == self.sent && self.open.is_some() {
                self.answer = Some(Rc::new(*a));
            }
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct ActorViewProps {
    pub state: ActorState,
    pub dispatch: Callback<ActorAction>,
    pub send: Callback<Request>,
    /// Opens the event at a store row (the view closes).
    pub on_open_row: Callback<u32>,
    /// Shows the actor's events in Explore: (filter, time range).
    pub on_explore: Callback<(String, Option<(i64, i64)>)>,
    #[prop_or_default]
    pub local_time: bool,
}

/// Ids of actor requests (apart from the Explore view's own counter).
pub fn fresh_id() -> u32 {
    thread_local!(static N: std::cell::Cell<u32> = const { std::cell::Cell::new(1 << 28) });
    N.with(|n| {
        n.set(n.get() + 1);
        n.get()
    })
}

fn counts(list: &[Count], empty: &str) -> Html {
    if list.is_empty() {
        return html! { <span class="muted">{ empty.to_string() }</span> };
    }
    html! {
        <ul class="chips">
            { for list.iter().map(|c| html! {
                <li title={format!("{} — {} requests", visible(&c.value), c.requests)}>
                    <span class="chip-v">{ if c.value.is_empty() { "(none)".to_string() } else { visible(&crate::analysis::describe::short_user(&c.value)).into_owned() } }</span>
                    <span class="chip-n">{ human_count(c.requests) }</span>
                </li>
            }) }
        </ul>
    }
}

fn verbs_text(list: &[Count]) -> String {
    list.iter()
        .map(|c| format!("{} {}", c.value, c.requests))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The filter term that selects the actor's events in Explore.
fn explore_term(r: &ActorReport) -> String {
    let v = if r.actor.contains(|c: char| c.is_whitespace() || c == '"') {
        format!("\"{}\"", r.actor.replace('"', "\\\""))
    } else {
        r.actor.clone()
    };
    if r.kind == "ip" {
        format!("ip:{v}")
    } else {
        format!("user:{v}")
    }
}

#[function_component]
pub fn ActorView(props: &ActorViewProps) -> Html {
    let st = &props.state;
    // Focus the dialog when it opens (keyboard users land in it).
    let dialog = use_node_ref();
    {
        let dialog = dialog.clone();
        use_effect_with(st.open.clone(), move |_| {
            if let Some(el) = dialog.cast::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        });
    }
    let Some(asked) = st.open.clone() else {
        return html! {};
    };
    let close = props.dispatch.reform(|_: MouseEvent| ActorAction::Close);
    let backdrop = props.dispatch.reform(|_: MouseEvent| ActorAction::Close);
    let stop = Callback::from(|e: MouseEvent| e.stop_propagation());
    let onkeydown = {
        let d = props.dispatch.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                e.stop_propagation();
                e.prevent_default();
                d.emit(ActorAction::Close);
            }
        })
    };
    let on_gap = {
        let (d, send, who) = (props.dispatch.clone(), props.send.clone(), asked.clone());
        Callback::from(move |e: Event| {
            let value = e
                .target()
                .and_then(|t| js_sys::Reflect::get(&t, &"value".into()).ok())
                .and_then(|v| v.as_string());
            if let Some(g) = value.and_then(|v| v.parse::<i64>().ok()) {
                ask(&send, &d, who.clone(), g, false);
            }
        })
    };
    let t = |us: i64| dom::time_ms(us, props.local_time);
    let answer = st.answer.as_ref().filter(|a| a.asked == asked);
    let open_row = |row: u32| {
        let (f, d) = (props.on_open_row.clone(), props.dispatch.clone());
        Callback::from(move |_: MouseEvent| {
            d.emit(ActorAction::Close);
            f.emit(row);
        })
    };
    let body = match answer {
        None => html! { <p class="muted">{"Reading the actor's requests…"}</p> },
        Some(a) => match (&a.report, &a.error) {
            (_, Some(e)) => html! { <p class="banner error">{ e }</p> },
            (None, None) => html! {},
            (Some(r), None) if r.requests == 0 => html! {
                <p class="muted" data-testid="actor-none">{ format!("No requests by {} in the loaded logs.", visible(&r.actor)) }</p>
            },
            (Some(r), None) => {
                let explore_all = {
                    let (f, d, term) = (
                        props.on_explore.clone(),
                        props.dispatch.clone(),
                        explore_term(r),
                    );
                    Callback::from(move |_: MouseEvent| {
                        d.emit(ActorAction::Close);
                        f.emit((term.clone(), None));
                    })
                };
                let sessions = r.sessions.iter().enumerate().map(|(i, s)| {
                    let show = {
                        let (f, d, term) = (props.on_explore.clone(), props.dispatch.clone(), explore_term(r));
                        let range = (s.start_us, s.end_us + 1);
                        Callback::from(move |_: MouseEvent| {
                            d.emit(ActorAction::Close);
                            f.emit((term.clone(), Some(range)));
                        })
                    };
                    let tops = s.top_objects.iter().map(|c| format!("{} ({})", c.value, c.requests)).collect::<Vec<_>>().join(", ");
                    html! {
                        <tr data-testid="actor-session" data-start={s.start_us.to_string()} data-end={s.end_us.to_string()} data-requests={s.requests.to_string()}>
                            <td class="num muted">{ i + 1 }</td>
                            <td class="mono nowrap">{ t(s.start_us) }</td>
                            <td class="num">{ human_duration_micros(s.end_us - s.start_us) }</td>
                            <td class="num">{ human_count(s.requests) }</td>
                            <td class={classes!("num", (s.failures > 0).then_some("warn"))}>{ human_count(s.failures) }</td>
                            <td class="small">{ verbs_text(&s.verbs) }</td>
                            <td class="small wrap" title={tops.clone()}>{ format!("{} · {}", s.objects, tops) }</td>
                            <td><button class="button small ghost" onclick={show} title="Show this session's events in Explore">{"Events"}</button></td>
                        </tr>
                    }
                });
                let objects = r.objects.iter().take(60).map(|o| {
                    html! {
                        <tr data-testid="actor-object">
                            <td class="wrap"><button class="linkish" onclick={open_row(o.row)} title="Open its latest request">{ visible(&o.object).into_owned() }</button></td>
                            <td class="num">{ human_count(o.requests) }</td>
                            <td class={classes!("num", (o.failures > 0).then_some("warn"))}>{ human_count(o.failures) }</td>
                            <td class="small">{ verbs_text(&o.verbs) }</td>
                        </tr>
                    }
                });
                let failures = r.failure_groups.iter().map(|f| {
                    html! {
                        <tr data-testid="actor-failure">
                            <td class="num warn">{ f.code }</td>
                            <td>{ if f.reason.is_empty() { "(no reason)".to_string() } else { visible(&f.reason).into_owned() } }</td>
                            <td class="num">{ human_count(f.requests) }</td>
                            <td class="wrap small"><button class="linkish" onclick={open_row(f.row)} title="Open the latest one">{ visible(&f.example).into_owned() }</button></td>
                        </tr>
                    }
                });
                let imp_of: u64 = r.impersonated.iter().map(|c| c.requests).sum();
                let imp_by: u64 = r.impersonated_by.iter().map(|c| c.requests).sum();
                html! {
                    <>
                        <div class="actor-facts" data-testid="actor-summary" data-requests={r.requests.to_string()} data-events={r.events.to_string()} data-failures={r.failures.to_string()} data-sessions={r.sessions.len().to_string()} data-elapsed-ms={format!("{:.1}", a.elapsed_ms)}>
                            <div><span class="muted small">{"requests"}</span><b title={format!("{} events (stages)", r.events)}>{ human_count(r.requests) }</b></div>
                            <div><span class="muted small">{"failed (≥ 400)"}</span><b class={(r.failures > 0).then_some("warn")}>{ human_count(r.failures) }</b></div>
                            <div><span class="muted small">{"sessions"}</span><b>{ r.sessions.len() }</b></div>
                            <div><span class="muted small">{"first seen"}</span><span class="mono">{ r.first_us.map(t).unwrap_or_default() }</span></div>
                            <div><span class="muted small">{"last seen"}</span><span class="mono">{ r.last_us.map(t).unwrap_or_default() }</span></div>
                            <span class="spacer"></span>
                            <button class="button small" onclick={explore_all} data-testid="actor-explore" title="Filter the Explore view to this actor">{"Show events"}</button>
                        </div>
                        if !r.impersonated.is_empty() || !r.impersonated_by.is_empty() {
                            <section class="actor-chain" data-testid="actor-chain" data-impersonated={imp_of.to_string()} data-impersonated-by={imp_by.to_string()}>
                                <h3>{"Impersonation"}</h3>
                                if !r.impersonated_by.is_empty() {
                                    <p>{ format!("Acted as {} in {} requests made by: ", visible(&r.label), imp_by) }{ counts(&r.impersonated_by, "") }</p>
                                }
                                if !r.impersonated.is_empty() {
                                    <p>{ format!("Impersonated others in {imp_of} requests: ") }{ counts(&r.impersonated, "") }</p>
                                }
                                <p class="muted small">{"Authorization and the audit policy see the impersonated user; the authenticated one is who held the credentials."}</p>
                            </section>
                        }
                        <section>
                            <h3>{ format!("Sessions — split at idle gaps over {}", crate::analysis::feed::span_words(r.gap_us)) }</h3>
                            <div class="table-scroll">
                                <table class="grid compact">
                                    <thead><tr><th class="num">{"#"}</th><th>{"start"}</th><th class="num">{"span"}</th><th class="num">{"requests"}</th><th class="num">{"failed"}</th><th>{"verbs"}</th><th>{"objects"}</th><th></th></tr></thead>
                                    <tbody>{ for sessions }</tbody>
                                </table>
                            </div>
                        </section>
                        <div class="two-col">
                            <section>
                                <h3>{ format!("Objects touched ({})", r.objects_total) }</h3>
                                <table class="grid compact">
                                    <thead><tr><th>{"object"}</th><th class="num">{"requests"}</th><th class="num">{"failed"}</th><th>{"verbs"}</th></tr></thead>
                                    <tbody>{ for objects }</tbody>
                                </table>
                                if r.objects_total > 60 { <p class="muted small">{ format!("The 60 most touched of {}.", r.objects_total) }</p> }
                            </section>
                            <section>
                                <h3>{"Failures"}</h3>
                                if r.failure_groups.is_empty() {
                                    <p class="muted">{"None: every request was answered below 400."}</p>
                                } else {
                                    <table class="grid compact">
                                        <thead><tr><th class="num">{"code"}</th><th>{"reason"}</th><th class="num">{"requests"}</th><th>{"latest"}</th></tr></thead>
                                        <tbody>{ for failures }</tbody>
                                    </table>
                                }
                                <h3>{"Source IPs"}</h3>{ counts(&r.source_ips, "none in the log") }
                                <h3>{"User agents"}</h3>{ counts(&r.user_agents, "none in the log") }
                                if r.kind == "ip" || r.identities.len() > 1 {
                                    <h3>{"Identities"}</h3>{ counts(&r.identities, "") }
                                }
                                if !r.groups.is_empty() { <h3>{"Groups"}</h3>{ counts(&r.groups, "") } }
                            </section>
                        </div>
                    </>
                }
            }
        },
    };
    let (title, kind) = match answer.and_then(|a| a.report.as_ref()) {
        Some(r) => (r.label.clone(), r.kind.clone()),
        None => (crate::analysis::describe::short_user(&asked), String::new()),
    };
    html! {
        <div class="backdrop actor-backdrop" onclick={backdrop}>
            <div class="dialog actor-view" role="dialog" aria-modal="true" aria-labelledby="actor-title" data-testid="actor-view"
                 data-actor={asked.clone()} tabindex="-1" ref={dialog} onclick={stop} {onkeydown}>
                <div class="panel-head">
                    <h2 id="actor-title" title={visible(&asked).into_owned()}>{ visible(&title).into_owned() }</h2>
                    if !kind.is_empty() { <span class="badge">{ kind }</span> }
                    <span class="spacer"></span>
                    <label class="small">{"Session gap "}
                        <select onchange={on_gap} data-testid="actor-gap" aria-label="Idle gap that ends a session">
                            { for GAPS.iter().map(|(l, g)| html! { <option value={g.to_string()} selected={*g == st.gap_us}>{ *l }</option> }) }
                        </select>
                    </label>
                    <button class="button small ghost" onclick={close} title="Close (Esc)" aria-label="Close" data-testid="actor-close">{"✕"}</button>
                </div>
                <div class="actor-body">{ body }</div>
            </div>
        </div>
    }
}
