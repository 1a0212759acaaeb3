//! Top-N panels of the filtered set: who and what produce the events and the bytes
//! ("why is my log big"). Clicking a value filters on it; shift-click excludes it. The
//! "events | bytes" toggle (`panel-sort`) orders every panel and draws its bars by the
//! chosen metric; each row carries both (`data-count`, `data-bytes`).

use super::format::visible;
use crate::ui::explore_state::{field_of, term_for};
use crate::util::{human_bytes, human_count};
use crate::web::protocol::{TopDim, TopSort, TopTable};
use std::rc::Rc;
use yew::prelude::*;

/// Panel title of a dimension.
pub fn title_of(d: TopDim) -> &'static str {
    match d {
        TopDim::User => "Users",
        TopDim::UserAgent => "User agents",
        TopDim::Verb => "Verbs",
        TopDim::Resource => "Resources",
        TopDim::Namespace => "Namespaces",
        TopDim::SourceIp => "Source IPs",
        TopDim::Code => "Codes",
        TopDim::Stage => "Stages",
        TopDim::Level => "Levels",
        TopDim::Decision => "Decisions",
        TopDim::ImpersonatedUser => "Impersonated users",
    }
}

#[derive(Properties, PartialEq)]
pub struct TopPanelsProps {
    pub tops: Rc<Vec<TopTable>>,
    /// Events and bytes of the filtered set (the shares' denominators).
    pub count: u64,
    pub bytes: u64,
    /// The tables belong to the previous answer (the new ones are on their way).
    pub stale: bool,
    pub on_term: Callback<(String, bool)>,
    pub on_csv: Callback<TopDim>,
    /// Opens the Actor view of a user, impersonated user or IP (issue 12).
    #[prop_or_default]
    pub on_actor: Callback<String>,
    /// What orders the panels and draws their bars.
    #[prop_or_default]
    pub sort: TopSort,
    #[prop_or_default]
    pub on_sort: Callback<TopSort>,
}

#[function_component]
pub fn TopPanels(props: &TopPanelsProps) -> Html {
    let by_bytes = props.sort == TopSort::Bytes;
    let panel = |t: &TopTable| {
        let field = field_of(t.dim);
        let dim = t.dim;
        let csv = props.on_csv.reform(move |_: MouseEvent| dim);
        // An answer of an older worker carries no byte order: order the rows it has.
        let fallback;
        let shown_rows: &[crate::web::protocol::TopRow] = if !by_bytes {
            &t.rows
        } else if t.by_bytes.is_empty() && !t.rows.is_empty() {
            let mut v = t.rows.clone();
            crate::analysis::topn::sort_rows(&mut v, TopSort::Bytes);
            fallback = v;
            &fallback
        } else {
            &t.by_bytes
        };
        let rows = shown_rows.iter().map(|r| {
            let share = r.events as f64 / props.count.max(1) as f64;
            let bshare = r.bytes as f64 / props.bytes.max(1) as f64;
            let bar = if by_bytes { bshare } else { share };
            let term = term_for(field, &r.value);
            // Users read as people say them (sa:ns/name, node:name), cut in the middle;
            // the name as logged on hover and for screen readers.
            let is_user = matches!(dim, TopDim::User | TopDim::ImpersonatedUser);
            let shown = if is_user {
                visible(&crate::ui::format::cut_middle(&crate::ui::format::user_label(&r.value, ""), 40)).into_owned()
            } else {
                visible(&r.value).into_owned()
            };
            let label = is_user.then(|| visible(&r.value).into_owned());
            let value = match term.clone() {
                Some(term) => {
                    let onclick = props.on_term.reform(move |e: MouseEvent| (term.clone(), e.shift_key()));
                    html! { <button class="val" {onclick} aria-label={label.clone()} title={format!("{} — click: filter · shift-click: exclude", visible(&r.value))}>{ shown }</button> }
                }
                None => html! { <span class="val static" aria-label={label.clone()} title={visible(&r.value).into_owned()}>{ shown }</span> },
            };
            html! {
                <tr data-testid="top-row" data-dim={field} data-value={r.value.clone()} data-events={r.events.to_string()}
                    data-count={r.events.to_string()} data-bytes={r.bytes.to_string()}>
                    <td class="tv">{ value }{ actor_button(t.dim, &r.value, &props.on_actor) }</td>
                    <td class={classes!("num", (!by_bytes).then_some("sorted"))} title={format!("{} events · {:.1}% of the events", r.events, share * 100.0)}>{ human_count(r.events) }</td>
                    <td class="num share" title={format!("{:.1}% of the {}", bar * 100.0, if by_bytes { "bytes" } else { "events" })}><meter min="0" max="1" value={format!("{bar:.4}")}></meter>{ format!("{:.1}%", bar * 100.0) }</td>
                    <td class={classes!("num", by_bytes.then_some("sorted"))} title={format!("{} bytes · {:.1}% of the bytes", r.bytes, bshare * 100.0)}>{ human_bytes(r.bytes) }</td>
                </tr>
            }
        });
        html! {
            <section class="panel top-panel" data-testid={format!("top-{field}")}>
                <div class="panel-head">
                    <h2>{ title_of(t.dim) }</h2>
                    <span class="spacer"></span>
                    <button class="button small ghost" onclick={csv} title="Download this table (all values) as CSV">{"CSV"}</button>
                </div>
                if t.rows.is_empty() {
                    <p class="muted small">{"—"}</p>
                } else {
                    <table class="grid compact top">
                        <thead><tr><th></th><th class="num">{"events"}</th><th class="num">{ if by_bytes { "% bytes" } else { "share" } }</th><th class="num">{"bytes"}</th></tr></thead>
                        <tbody>{ for rows }</tbody>
                    </table>
                }
            </section>
        }
    };
    let choice = |s: TopSort, label: &'static str, hint: &'static str| {
        let onclick = props.on_sort.reform(move |_: MouseEvent| s);
        html! { <button class="tab small" aria-pressed={(props.sort == s).to_string()} title={hint} {onclick}>{ label }</button> }
    };
    html! {
        <div class={classes!("top-panels", props.stale.then_some("stale"))} data-testid="top-panels" data-stale={props.stale.to_string()}>
            <div class="panel-sort" data-testid="panel-sort" data-sort={props.sort.as_str()} role="group" aria-label="Order the panels by">
                <span class="muted small">{"Top by"}</span>
                { choice(TopSort::Events, "events", "Most events first; bars show each value's share of the events") }
                { choice(TopSort::Bytes, "bytes", "Most bytes first (the events' sizes in the log); bars show each value's share of the bytes") }
            </div>
            { for props.tops.iter().map(panel) }
        </div>
    }
}

/// For users, impersonated users and source IPs: a button opening the Actor view (issue 12).
fn actor_button(dim: TopDim, value: &str, on_actor: &Callback<String>) -> Html {
    let actor = matches!(
        dim,
        TopDim::User | TopDim::ImpersonatedUser | TopDim::SourceIp
    );
    if !actor || value.is_empty() || (value.starts_with('(') && value.ends_with(')')) {
        return html! {};
    }
    let v = value.to_string();
    let onclick = on_actor.reform(move |_: MouseEvent| v.clone());
    let label = format!("Actor view of {}", visible(value));
    html! { <button class="actor-link" {onclick} title={label.clone()} aria-label={label} data-testid="open-actor">{"↗"}</button> }
}
