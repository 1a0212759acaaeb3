//! The Activity view: the log as sentences, newest first, one per request, "humans only"
//! by default with its rules shown and changeable, bursts folded ("… updated 1,204 leases
//! in 10 min") and expandable; a sentence opens its event (with what happened next).
//!
//! Paged: the worker keeps the feed as row numbers and sends sentences 100 lines at a time
//! ("Show older" asks for the next page). Log content is only ever put in the page as text.

use super::format::visible;
use crate::analysis::feed::{grouped, span_words, Category, FeedLine, FeedOptions, Rules};
use crate::ui::dom;
use crate::ui::event_detail::EventDetailPanel;
use crate::ui::explore_state::ExploreAction;
use crate::web::protocol::{EventDetail, FeedCounts, FeedSpec, NextAnswer, Request, Response};
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

/// Lines per page.
pub const FEED_PAGE: u32 = 100;

/// The Activity view's part of the page state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeedState {
    pub options: FeedOptions,
    /// Latest page request id; the lines shown and the counts of their feed.
    pub sent: u32,
    pub lines: Rc<Vec<FeedLine>>,
    pub counts: Option<FeedCounts>,
    pub elapsed_ms: f64,
    /// Expanded bursts: line → its requests (as far as asked).
    pub expanded: Rc<BTreeMap<u32, Rc<Vec<FeedLine>>>>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FeedAction {
    SetRules(Rules),
    /// Turns burst folding on or off.
    SetFold(bool),
    Sent(u32),
    /// Shows a burst's requests (`Expand`) or hides them.
    Collapse(u32),
}

impl FeedState {
    pub fn reduce(&mut self, a: FeedAction) {
        match a {
            FeedAction::SetRules(r) => self.options.rules = r,
            FeedAction::SetFold(on) => {
                self.options.burst_min = if on {
                    FeedOptions::default().burst_min
                } else {
                    0
                }
            }
            FeedAction::Sent(id) => self.sent = id,
            FeedAction::Collapse(line) => {
                let mut m = (*self.expanded).clone();
                m.remove(&line);
                self.expanded = Rc::new(m);
            }
        }
    }

    pub fn on_response(&mut self, r: Response) {
        match r {
            Response::Feed(p) if p.id == self.sent && p.options == self.options => {
                if p.offset == 0 {
                    self.lines = Rc::new(p.lines);
                    self.expanded = Rc::default();
                } else if p.offset as usize == self.lines.len() {
                    let mut v = (*self.lines).clone();
                    v.extend(p.lines);
                    self.lines = Rc::new(v);
                }
                self.counts = Some(p.counts);
                self.elapsed_ms = p.elapsed_ms;
            }
            Response::FeedBurst {
                line,
                offset,
                lines,
                ..
            } => {
                let mut m = (*self.expanded).clone();
                let mut v = m.get(&line).map(|v| (**v).clone()).unwrap_or_default();
                if offset as usize == v.len() {
                    v.extend(lines);
                    m.insert(line, Rc::new(v));
                    self.expanded = Rc::new(m);
                }
            }
            _ => {}
        }
    }
}

fn fresh_id() -> u32 {
    thread_local!(static N: std::cell::Cell<u32> = const { std::cell::Cell::new(1 << 29) });
    N.with(|n| {
        n.set(n.get() + 1);
        n.get()
    })
}

#[derive(Properties, PartialEq)]
pub struct FeedViewProps {
    pub state: FeedState,
    pub dispatch: Callback<FeedAction>,
    pub send: Callback<Request>,
    /// Changes with every load (the feed is asked again).
    pub data_key: usize,
    // The event detail, shared with the Explore view.
    pub detail_row: Option<u32>,
    pub detail: Option<Rc<EventDetail>>,
    pub next: Option<Rc<NextAnswer>>,
    pub on_explore: Callback<ExploreAction>,
    pub on_actor: Callback<String>,
    #[prop_or_default]
    pub local_time: bool,
}

#[function_component]
pub fn FeedView(props: &FeedViewProps) -> Html {
    let st = &props.state;
    // The first page whenever the options or the data change.
    {
        let (send, dispatch) = (props.send.clone(), props.dispatch.clone());
        use_effect_with((st.options, props.data_key), move |(options, _)| {
            let id = fresh_id();
            dispatch.emit(FeedAction::Sent(id));
            send.emit(Request::Feed(FeedSpec {
                id,
                options: *options,
                offset: 0,
                limit: FEED_PAGE,
            }));
        });
    }
    // The event detail: asked whenever the shown row changes (a click here, j/k, or a
    // drawer left open in Explore).
    {
        let (send, ex) = (props.send.clone(), props.on_explore.clone());
        use_effect_with(props.detail_row, move |row| {
            if let Some(row) = *row {
                let id = fresh_id();
                ex.emit(ExploreAction::DetailSent(id));
                send.emit(Request::Event { id, row });
            }
        });
    }
    let open_event = props.on_explore.reform(ExploreAction::OpenRow);
    let rules = st.options.rules;
    let counts = st.counts.clone().unwrap_or_default();
    let n_of = |c: Category| counts.by_category.get(c as usize).copied().unwrap_or(0);
    let toggle = |c: Option<Category>| {
        let d = props.dispatch.clone();
        Callback::from(move |e: Event| {
            let on = e
                .target_dyn_into::<web_sys::HtmlInputElement>()
                .is_some_and(|i| i.checked());
            let mut r = rules;
            match c {
                Some(Category::Node) => r.hide_nodes = on,
                Some(Category::ServiceAccount) => r.hide_service_accounts = on,
                Some(Category::ControlPlane) => r.hide_control_plane = on,
                Some(Category::OtherSystem) => r.hide_other_system = on,
                Some(Category::Human) => {}
                None => r.hide_reads = on,
            }
            d.emit(FeedAction::SetRules(r));
        })
    };
    let rule_row = |c: Category| {
        let hidden = rules.hides(c);
        let key = format!("{c:?}").to_lowercase();
        html! {
            <label class="feed-rule" title={format!("{}: {}", c.label(), c.rule())}>
                <input type="checkbox" checked={hidden} onchange={toggle(Some(c))} data-testid={format!("feed-hide-{key}")} />
                <span>{ format!("hide {}", c.label()) }</span>
                <span class="muted small">{ format!(" {} · {}", c.rule(), grouped(n_of(c))) }</span>
            </label>
        }
    };
    let humans_only = {
        let (d, is_default) = (props.dispatch.clone(), rules.is_default());
        Callback::from(move |_: MouseEvent| {
            d.emit(FeedAction::SetRules(if is_default {
                Rules::all()
            } else {
                Rules::default()
            }))
        })
    };
    let folding = st.options.burst_min > 1;
    let on_fold = {
        let d = props.dispatch.clone();
        Callback::from(move |e: Event| {
            let on = e
                .target_dyn_into::<web_sys::HtmlInputElement>()
                .is_some_and(|i| i.checked());
            d.emit(FeedAction::SetFold(on));
        })
    };
    let line_html = |l: &FeedLine, member: bool| -> Html {
        let t = dom::time_ms(l.time_us, props.local_time);
        let row = l.row;
        let onclick = open_event.reform(move |_: MouseEvent| row);
        let sel = props.detail_row == Some(row) && (member || l.count == 1);
        html! {
            <button class={classes!("feed-text", sel.then_some("selected"))} {onclick} data-testid="feed-open" data-row={row.to_string()}
                    title="Open this event">
                <span class="feed-time mono" title={t.clone()}>{ t.get(..19).unwrap_or("").to_string() }</span>
                <span class="feed-sentence">{ visible(&l.text).into_owned() }</span>
                if l.code >= 400 && l.count == 1 { <span class={classes!("feed-code", crate::ui::format::code_class(l.code))}>{"failed"}</span> }
            </button>
        }
    };
    let lines = st.lines.iter().map(|l| {
        if l.count <= 1 {
            return html! { <li class="feed-line" data-testid="feed-line" data-count="1" data-category={format!("{:?}", l.category)}>{ line_html(l, false) }</li> };
        }
        let line = l.index;
        let open = st.expanded.get(&line).cloned();
        let expand = {
            let (send, d, is_open) = (props.send.clone(), props.dispatch.clone(), open.is_some());
            Callback::from(move |_: MouseEvent| {
                if is_open {
                    d.emit(FeedAction::Collapse(line));
                } else {
                    send.emit(Request::FeedBurst { id: fresh_id(), line, offset: 0, limit: FEED_PAGE });
                }
            })
        };
        let more = open.as_ref().filter(|m| (m.len() as u32) < l.count).map(|m| {
            let (send, off) = (props.send.clone(), m.len() as u32);
            let onclick = Callback::from(move |_: MouseEvent| {
                send.emit(Request::FeedBurst { id: fresh_id(), line, offset: off, limit: FEED_PAGE });
            });
            html! { <li><button class="button small ghost" {onclick}>{ format!("Show more ({} of {})", m.len(), grouped(l.count as u64)) }</button></li> }
        });
        html! {
            <li class="feed-line burst" data-testid="feed-burst" data-count={l.count.to_string()} data-line={line.to_string()}>
                <div class="feed-burst-head">
                    <button class="feed-toggle" onclick={expand} aria-expanded={open.is_some().to_string()} data-testid="feed-expand"
                            title={format!("{} requests between {} and {} — show them", l.count, dom::time_ms(l.first_us, props.local_time), dom::time_ms(l.time_us, props.local_time))}>
                        { if open.is_some() { "▾" } else { "▸" } }</button>
                    { line_html(l, false) }
                    <span class="badge" title={format!("{} requests folded over {}", l.count, span_words(l.time_us - l.first_us))}>{ format!("×{}", grouped(l.count as u64)) }</span>
                </div>
                if let Some(m) = open {
                    <ul class="feed-members" data-testid="feed-members">
                        { for m.iter().map(|x| html! { <li class="feed-line">{ line_html(x, true) }</li> }) }
                        { for more }
                    </ul>
                }
            </li>
        }
    });
    let older = ((st.lines.len() as u64) < counts.lines).then(|| {
        let (send, d, options, off) = (props.send.clone(), props.dispatch.clone(), st.options, st.lines.len() as u32);
        let onclick = Callback::from(move |_: MouseEvent| {
            let id = fresh_id();
            d.emit(FeedAction::Sent(id));
            send.emit(Request::Feed(FeedSpec { id, options, offset: off, limit: FEED_PAGE }));
        });
        html! { <button class="button" {onclick} data-testid="feed-older">{ format!("Show older ({} of {} lines)", grouped(st.lines.len() as u64), grouped(counts.lines)) }</button> }
    });
    let hidden = counts.requests.saturating_sub(counts.shown);
    let detail = props.detail_row.map(|row| {
        html! {
            <EventDetailPanel {row} detail={props.detail.clone()} next={props.next.clone()} local_time={props.local_time}
                on_close={props.on_explore.reform(|_: ()| ExploreAction::CloseDetail)} on_open_row={open_event.clone()}
                on_actor={props.on_actor.clone()} />
        }
    });
    html! {
        <div class="feed-view" data-testid="feed-view">
            <section class="panel feed-rules" data-testid="feed-rules">
                <div class="panel-head">
                    <h2>{"Activity"}</h2>
                    <span class="muted small" data-testid="feed-counts" data-shown={counts.shown.to_string()} data-requests={counts.requests.to_string()} data-lines={counts.lines.to_string()} data-elapsed-ms={format!("{:.1}", st.elapsed_ms)}>
                        { format!("{} of {} requests shown{} · {} lines, newest first", grouped(counts.shown), grouped(counts.requests),
                            if hidden > 0 { format!(" ({} hidden by the rules)", grouped(hidden)) } else { String::new() }, grouped(counts.lines)) }
                    </span>
                    <span class="spacer"></span>
                    <button class="button small" onclick={humans_only} data-testid="feed-humans" aria-pressed={rules.is_default().to_string()}>
                        { if rules.is_default() { "Show everyone" } else { "Humans only" } }</button>
                </div>
                <p class="muted small">{"Humans only hides requests by these identities (the impersonated user when there is one, else the authenticated user and its groups). Uncheck a rule to show them."}</p>
                <div class="feed-rule-list">
                    { rule_row(Category::Node) }
                    { rule_row(Category::ServiceAccount) }
                    { rule_row(Category::ControlPlane) }
                    { rule_row(Category::OtherSystem) }
                    <label class="feed-rule" title="Hide get, list and watch by everyone">
                        <input type="checkbox" checked={rules.hide_reads} onchange={toggle(None)} data-testid="feed-hide-reads" />
                        <span>{"hide reads"}</span><span class="muted small">{ format!(" get, list, watch · {}", grouped(counts.reads)) }</span>
                    </label>
                    <label class="feed-rule" title="Requests of the same identity, verb and resource, each within 1 min of the previous one, make one line when there are 3 or more">
                        <input type="checkbox" checked={folding} onchange={on_fold} data-testid="feed-fold" />
                        <span>{"fold bursts"}</span><span class="muted small">{ format!(" same identity, verb and resource, ≤ 1 min apart, 3 or more · {} burst{}", grouped(counts.bursts), if counts.bursts == 1 { "" } else { "s" }) }</span>
                    </label>
                </div>
            </section>
            <section class="panel feed-panel">
                if st.counts.is_none() {
                    <p class="muted">{"Wording the log…"}</p>
                } else if st.lines.is_empty() {
                    <p class="muted" data-testid="feed-empty">{ if hidden > 0 { "Every request is hidden by the rules above: uncheck one, or press Show everyone." } else { "The loaded logs hold no requests." } }</p>
                } else {
                    <ul class="feed-list" data-testid="feed-list">{ for lines }</ul>
                    { for older }
                }
            </section>
            { for detail }
        </div>
    }
}
