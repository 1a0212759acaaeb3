//! The event table, virtualized: a scroll box of fixed row height renders only the rows in
//! view (± overscan); the rows themselves come from the worker page by page. A million rows
//! cost a tall empty box and about forty DOM rows.
//!
//! Keyboard (issue 16 §6): the table is one Tab stop (the viewport; its rows' value
//! buttons have `tabindex="-1"`), ↑/↓ or j/k move the selection inside it and Enter opens
//! the detail, which offers the same filters and links as buttons of its own.

use super::column_picker::{self, Col, ColumnPicker};
use super::format::visible as shown_as_text;
use crate::audit::Stage;
use crate::ui::dom;
use crate::ui::explore_state::{term_for, PAGE};
use crate::util::human_duration_micros;
use crate::view::VScroll;
use crate::web::protocol::{RowView, SortBy};
use std::collections::BTreeMap;
use std::rc::Rc;
use web_sys::Element;
use yew::prelude::*;

/// Row height in CSS pixels (keep in sync with `.vt-row` in style.css).
pub const ROW_H: f64 = 24.0;
/// Rows rendered above and below the visible ones.
const OVERSCAN: u32 = 12;

#[derive(Properties, PartialEq)]
pub struct EventTableProps {
    pub total: u32,
    /// The query these rows belong to (a new one scrolls back to the top).
    pub query: u32,
    pub pages: Rc<BTreeMap<u32, Rc<Vec<RowView>>>>,
    pub selected: Option<u32>,
    pub sort: SortBy,
    pub per_request: bool,
    pub policy: bool,
    pub local_time: bool,
    /// The loaded events span more than one calendar year: times show their year.
    pub show_year: bool,
    /// Needs page `k` (rows `k * PAGE ..`).
    pub on_need: Callback<u32>,
    /// (index, open detail)
    pub on_select: Callback<(u32, bool)>,
    pub on_term: Callback<(String, bool)>,
    pub on_sort: Callback<SortBy>,
    pub on_per_request: Callback<()>,
    /// Opens the history of the object of a store row (its name was clicked).
    #[prop_or_default]
    pub on_history: Callback<u32>,
    /// Opens the Actor view of a user (issue 12).
    #[prop_or_default]
    pub on_actor: Callback<String>,
}

/// `el.style.setProperty(name, value)` (a custom property cannot be set by assignment).
fn set_custom_property(el: &Element, name: &str, value: &str) {
    use wasm_bindgen::{JsCast, JsValue};
    let Ok(style) = js_sys::Reflect::get(el, &JsValue::from_str("style")) else {
        return;
    };
    if let Ok(f) = js_sys::Reflect::get(&style, &JsValue::from_str("setProperty")) {
        if let Some(f) = f.dyn_ref::<js_sys::Function>() {
            let _ = f.call2(&style, &JsValue::from_str(name), &JsValue::from_str(value));
        }
    }
}

fn latency_class(us: u32) -> &'static str {
    match us {
        0..=99_999 => "",
        100_000..=999_999 => "lat-mid",
        1_000_000..=59_999_999 => "lat-slow",
        _ => "lat-long",
    }
}

#[function_component]
pub fn EventTable(props: &EventTableProps) -> Html {
    let viewport = use_node_ref();
    let section = use_node_ref();
    let cols = use_state(column_picker::load);
    // The grid's tracks: the fixed columns, then the optional ones chosen (a custom
    // property set through the CSSOM: the page's CSP allows no inline styles).
    {
        let section = section.clone();
        let mut tracks = format!(
            "{} minmax(90px, 1.4fr) 54px minmax(80px, 1.1fr) minmax(110px, 1.9fr) 32px 60px 100px 46px",
            if props.show_year { "168px" } else { "132px" }
        );
        if props.policy {
            tracks.push_str(" 34px");
        }
        for c in cols.iter() {
            tracks.push(' ');
            tracks.push_str(c.track());
        }
        use_effect_with(tracks, move |t| {
            if let Some(el) = section.cast::<Element>() {
                set_custom_property(&el, "--vt-cols", t);
            }
        });
    }
    let on_cols = {
        let cols = cols.clone();
        Callback::from(move |v: Vec<Col>| cols.set(v))
    };
    let sizer = use_node_ref();
    let window = use_node_ref();
    let scroll = use_state(|| 0.0f64);
    let height = use_state(|| 600.0f64);
    // Back to the top when the query changes.
    {
        let (viewport, scroll) = (viewport.clone(), scroll.clone());
        use_effect_with(props.query, move |_| {
            if let Some(v) = viewport.cast::<Element>() {
                v.set_scroll_top(0);
            }
            scroll.set(0.0);
        });
    }
    // Rows map onto a capped sizer (crate::view: rows past ~1.4 M stay reachable).
    let vs = VScroll {
        total: props.total,
        row_h: ROW_H,
        viewport_h: *height,
    };
    let first = vs.first_row(*scroll).saturating_sub(OVERSCAN);
    let visible = (*height / ROW_H).ceil() as u32;
    let last = (first + visible + 2 * OVERSCAN).min(props.total);
    let window_top = vs.row_top(first, *scroll);
    // Ask for missing pages; size the sizer and place the window (CSSOM, see dom.rs).
    {
        let (sizer, window, on_need, pages) = (
            sizer.clone(),
            window.clone(),
            props.on_need.clone(),
            props.pages.clone(),
        );
        let sizer_h = vs.sizer_height();
        use_effect_with(
            (first, last, sizer_h.to_bits(), window_top.to_bits(), pages),
            move |(first, last, sizer_h, window_top, pages)| {
                if let Some(s) = sizer.cast::<Element>() {
                    dom::set_style(&s, "height", &format!("{}px", f64::from_bits(*sizer_h)));
                }
                if let Some(w) = window.cast::<Element>() {
                    dom::set_style(
                        &w,
                        "transform",
                        &format!("translateY({}px)", f64::from_bits(*window_top)),
                    );
                }
                if *last > *first {
                    for k in (*first / PAGE)..=((*last - 1) / PAGE) {
                        if !pages.contains_key(&k) {
                            on_need.emit(k);
                        }
                    }
                }
            },
        );
    }
    // Keep the selected row in view.
    {
        let viewport = viewport.clone();
        let total = props.total;
        use_effect_with(props.selected, move |sel| {
            if let (Some(i), Some(v)) = (sel, viewport.cast::<Element>()) {
                let vs = VScroll {
                    total,
                    row_h: ROW_H,
                    viewport_h: v.client_height() as f64,
                };
                if let Some(st) = vs.reveal(*i, v.scroll_top() as f64) {
                    v.set_scroll_top(st.round() as i32);
                }
            }
        });
    }
    let onscroll = {
        let (scroll, height) = (scroll.clone(), height.clone());
        Callback::from(move |e: Event| {
            if let Some(el) = e.target_dyn_into::<Element>() {
                scroll.set(el.scroll_top() as f64);
                let h = el.client_height() as f64;
                if (h - *height).abs() > 1.0 {
                    height.set(h);
                }
            }
        })
    };
    let cell = |field: &str, value: &str, shown: String, class: &'static str| -> Html {
        match term_for(field, value) {
            Some(t) => {
                let onclick = props.on_term.reform(move |e: MouseEvent| {
                    e.stop_propagation();
                    (t.clone(), e.shift_key())
                });
                let (value, shown) = (shown_as_text(value), shown_as_text(&shown).into_owned());
                html! { <span class={classes!("cell", class)}><button class="val" tabindex="-1" {onclick} title={format!("{value} — click: filter · shift-click: exclude")}>{ shown }</button></span> }
            }
            None => {
                html! { <span class={classes!("cell", class)} title={shown_as_text(value).into_owned()}>{ shown_as_text(&shown).into_owned() }</span> }
            }
        }
    };
    // The user as people read it (sa:ns/name, "→ impersonated"), cut in the middle when
    // long; the full names on hover and for screen readers; a click filters by the user.
    let user_cell = |r: &RowView| -> Html {
        let label = super::format::user_label(&r.user, &r.impersonated);
        let full = super::format::user_title(&r.user, &r.impersonated);
        let shown = shown_as_text(&super::format::cut_middle(&label, 19)).into_owned();
        match term_for("user", &r.user) {
            Some(t) => {
                let onclick = props.on_term.reform(move |e: MouseEvent| {
                    e.stop_propagation();
                    (t.clone(), e.shift_key())
                });
                html! { <span class="cell user"><button class="val" tabindex="-1" {onclick} title={format!("{full} — click: filter · shift-click: exclude")} aria-label={full.clone()} data-testid="user-cell">{ shown }</button></span> }
            }
            None => {
                html! { <span class="cell user" title={full.clone()} aria-label={full} data-testid="user-cell">{ shown }</span> }
            }
        }
    };
    let rows = (first..last).map(|i| {
        let sel = props.selected == Some(i);
        let onclick = props.on_select.reform(move |_: MouseEvent| (i, true));
        let Some(r) = props.pages.get(&(i / PAGE)).and_then(|p| p.get((i % PAGE) as usize)) else {
            return html! { <div class="vt-row loading" key={i}><span class="cell muted">{"…"}</span></div> };
        };
        let what = if r.resource.is_empty() { r.uri.clone() } else { r.resource.clone() };
        let where_ = match (r.namespace.is_empty(), r.name.is_empty()) {
            (true, true) => String::new(),
            (false, true) => r.namespace.clone(),
            (true, false) => r.name.clone(),
            (false, false) => format!("{}/{}", r.namespace, r.name),
        };
        let badges = Stage::ALL.iter().enumerate().take(3).map(|(k, s)| {
            let on = r.stages & (1 << k) != 0;
            let cur = r.stage == s.as_str();
            let letter = ["R", "S", "C"][k];
            html! { <span class={classes!("sb", on.then_some("on"), cur.then_some("cur"))} title={format!("{}{}", s.as_str(), if cur { " (this row)" } else if on { " (same request)" } else { " (not in log)" })}>{ letter }</span> }
        });
        let panic = (r.stages & 8 != 0).then(|| html! { <span class="sb on cur" title="Panic">{"!"}</span> });
        html! {
            <div class={classes!("vt-row", sel.then_some("selected"), (i % 2 == 1).then_some("odd"))} key={i}
                 data-testid="event-row" data-index={i.to_string()} data-row={r.row.to_string()} {onclick} aria-selected={sel.to_string()} role="row">
                <span class="cell time mono" title={dom::time_ms(r.time_us, props.local_time)}>{ dom::time_ms(r.time_us, props.local_time).get(if props.show_year { 0 } else { 5 }..).unwrap_or("").to_string() }</span>
                { actor_cell(user_cell(r), &r.user, &props.on_actor) }
                { cell("verb", &r.verb, r.verb.clone(), "verb") }
                { if r.resource.is_empty() { cell("uri", &r.uri, what, "what") } else { cell("resource", &r.resource, what, "what") } }
                { if !r.name.is_empty() && !r.resource.is_empty() {
                    // The object's name opens its history; the namespace still filters.
                    let row = r.row;
                    let hist = props.on_history.reform(move |e: MouseEvent| { e.stop_propagation(); row });
                    let ns = (!r.namespace.is_empty()).then(|| match term_for("ns", &r.namespace) {
                        Some(t) => {
                            let onclick = props.on_term.reform(move |e: MouseEvent| { e.stop_propagation(); (t.clone(), e.shift_key()) });
                            html! { <><button class="val" tabindex="-1" {onclick} title={format!("{} — click: filter · shift-click: exclude", shown_as_text(&r.namespace))}>{ shown_as_text(&r.namespace).into_owned() }</button>{"/"}</> }
                        }
                        None => html! { <>{ shown_as_text(&r.namespace).into_owned() }{"/"}</> },
                    });
                    html! { <span class="cell where" title={shown_as_text(&where_).into_owned()}>{ for ns }<button class="val obj-link" tabindex="-1" onclick={hist} data-testid="object-link" title={format!("{} — click: its history", shown_as_text(&r.name))}>{ shown_as_text(&r.name).into_owned() }</button></span> }
                } else if r.namespace.is_empty() { html! { <span class="cell where" title={where_.clone()}>{ where_ }</span> } } else { cell("ns", &r.namespace, where_, "where") } }
                { if r.code == 0 { html! { <span class="cell"></span> } } else { cell("code", &r.code.to_string(), r.code.to_string(), crate::ui::format::code_class(r.code)) } }
                { match r.latency_us {
                    Some(l) => html! { <span class={classes!("cell", "num", "lat", latency_class(l))} title={format!("{l} µs")}>{ human_duration_micros(l as i64) }</span> },
                    None => html! { <span class="cell num lat muted" title="No stageTimestamp in the event: latency unknown">{"–"}</span> },
                } }
                { cell("level", &r.level, r.level.clone(), "level") }
                <span class="cell stages">{ for badges }{ for panic }</span>
                if props.policy {
                    { match r.rule {
                        Some(Some(k)) => cell("rule", &k.to_string(), k.to_string(), "rule"),
                        Some(None) => cell("rule", "none", "none".into(), "rule"),
                        None => html! { <span class="cell rule"></span> },
                    } }
                }
                { for cols.iter().map(|c| {
                    let v = match c {
                        Col::Reason => &r.reason,
                        Col::SourceIp => &r.source_ip,
                        Col::UserAgent => &r.user_agent,
                        Col::AuditId => &r.audit_id,
                        Col::Message => &r.message,
                    };
                    let t = shown_as_text(v).into_owned();
                    html! { <span class={classes!("cell", "opt", (*c == Col::AuditId).then_some("mono"))} data-col={c.key()} title={t.clone()}>{ t }</span> }
                }) }
            </div>
        }
    });
    // A header click picks `first`, or `second` when `first` is already the order.
    let toggle = |first: SortBy, second: SortBy| {
        let s = props.sort;
        props
            .on_sort
            .reform(move |_: MouseEvent| if s == first { second } else { first })
    };
    let sort_time = toggle(SortBy::TimeAsc, SortBy::TimeDesc);
    let sort_lat = toggle(SortBy::LatencyDesc, SortBy::LatencyAsc);
    let arrow = |on: [SortBy; 2]| {
        if props.sort == on[0] {
            " ▲"
        } else if props.sort == on[1] {
            " ▼"
        } else {
            ""
        }
    };
    let per_request = props.on_per_request.reform(|_: Event| ());
    html! {
        <section ref={section} class={classes!("panel", "events-panel", "custom-cols", props.policy.then_some("with-rule"), props.show_year.then_some("with-year"))}>
            <div class="panel-head">
                <h2>{"Events"}</h2>
                <label class="small"><input type="checkbox" checked={props.per_request} onchange={per_request} data-testid="per-request" />{" one row per request"}</label>
                <span class="spacer"></span>
                <span class="muted small">{"j/k or ↑/↓ to move · Enter opens · click a value to filter, shift-click to exclude"}</span>
                <ColumnPicker cols={(*cols).clone()} on_change={on_cols} />
            </div>
            <div class="vt-head" role="row">
                <button class="cell th" onclick={sort_time} title="Sort by time">{ format!("time{}", arrow([SortBy::TimeAsc, SortBy::TimeDesc])) }</button>
                <span class="cell th">{"user"}</span><span class="cell th">{"verb"}</span><span class="cell th">{"resource / path"}</span>
                <span class="cell th">{"namespace / name"}</span><span class="cell th">{"code"}</span>
                <button class="cell th num" onclick={sort_lat} title="Sort by latency">{ format!("latency{}", arrow([SortBy::LatencyAsc, SortBy::LatencyDesc])) }</button>
                <span class="cell th">{"level"}</span><span class="cell th" title="Stages of the request: RequestReceived, ResponseStarted, ResponseComplete">{"stages"}</span>
                if props.policy { <span class="cell th" title="Deciding rule of the loaded policy">{"rule"}</span> }
                { for cols.iter().map(|c| html! { <span class="cell th" data-col={c.key()} title={c.help()}>{ c.title() }</span> }) }
            </div>
            <div class="vt-viewport" ref={viewport} {onscroll} tabindex="0" role="grid" aria-rowcount={props.total.to_string()} data-testid="event-table">
                <div class="vt-sizer" ref={sizer}>
                    <div class="vt-window" ref={window}>{ for rows }</div>
                </div>
            </div>
        </section>
    }
}

/// A user cell with a button opening the user's Actor view (issue 12).
pub fn actor_cell(inner: Html, user: &str, on_actor: &Callback<String>) -> Html {
    if user.is_empty() {
        return inner;
    }
    let u = user.to_string();
    let onclick = on_actor.reform(move |e: MouseEvent| {
        e.stop_propagation();
        u.clone()
    });
    let label = format!("Actor view of {}", shown_as_text(user));
    html! {
        <span class="cell actor-cell">{ inner }
            <button class="actor-link" tabindex="-1" {onclick} title={label.clone()} aria-label={label} data-testid="open-actor">{"↗"}</button>
        </span>
    }
}
