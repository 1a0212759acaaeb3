//! The filter input: typing is debounced before the worker is asked; a parse or compile
//! error underlines its byte range (the previous answer stays on screen); completion of
//! field names and frequent values (↑/↓, Enter/Tab, Esc); a help popover of the fields;
//! the exact result count.

use crate::query::parse::FIELDS;
use crate::ui::copy_as::CopyAs;
use crate::ui::dom;
use crate::ui::explore_state::{ExploreAction, ExploreState};
use crate::util::{human_bytes, human_count};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, KeyboardEvent};
use yew::prelude::*;

/// Typing pause before a filter is applied, ms.
pub const DEBOUNCE_MS: i32 = 120;
/// Typing pause before completion is asked for, ms.
pub const COMPLETE_DEBOUNCE_MS: i32 = 60;

#[derive(Properties, PartialEq)]
pub struct FilterBarProps {
    pub state: ExploreState,
    pub dispatch: Callback<ExploreAction>,
    /// Asks the worker to complete (text, byte cursor).
    pub on_complete: Callback<(String, u32)>,
    /// The query is still running.
    pub pending: bool,
    /// Stops a running body search.
    pub on_stop: Callback<()>,
}

/// Largest char boundary `<= i` in `s`.
fn floor(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Byte cursor of an input (its selectionStart counts UTF-16 units).
fn byte_cursor(input: &HtmlInputElement) -> u32 {
    let text = input.value();
    let units = input
        .selection_start()
        .ok()
        .flatten()
        .unwrap_or(text.len() as u32) as usize;
    let mut n = 0usize;
    for (b, c) in text.char_indices() {
        if n >= units {
            return b as u32;
        }
        n += c.len_utf16();
    }
    text.len() as u32
}

#[function_component]
pub fn FilterBar(props: &FilterBarProps) -> Html {
    let input = use_node_ref();
    let timer = use_mut_ref(|| Rc::new(Cell::new(0i32)));
    // Completion waits for a short pause too: with a million events each answer costs the
    // worker tens of ms, and a query must not queue behind answers nobody reads.
    let comp_timer = use_mut_ref(|| Rc::new(Cell::new(0i32)));
    let st = &props.state;
    let schedule_apply = {
        let (timer, dispatch) = (timer.clone(), props.dispatch.clone());
        move || {
            let t = timer.borrow().clone();
            dom::cancel(t.get());
            let d = dispatch.clone();
            t.set(dom::after(DEBOUNCE_MS, move || {
                d.emit(ExploreAction::Apply)
            }));
        }
    };
    let oninput = {
        let comp_timer = comp_timer.clone();
        let (dispatch, on_complete, schedule_apply) = (
            props.dispatch.clone(),
            props.on_complete.clone(),
            schedule_apply.clone(),
        );
        Callback::from(move |e: InputEvent| {
            if let Some(i) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            {
                let v = i.value();
                dispatch.emit(ExploreAction::Type(v.clone()));
                let t = comp_timer.borrow().clone();
                dom::cancel(t.get());
                let (on_complete, cursor) = (on_complete.clone(), byte_cursor(&i));
                t.set(dom::after(COMPLETE_DEBOUNCE_MS, move || {
                    on_complete.emit((v, cursor))
                }));
                schedule_apply();
            }
        })
    };
    let accept = {
        let (dispatch, on_complete, input, schedule_apply) = (
            props.dispatch.clone(),
            props.on_complete.clone(),
            input.clone(),
            schedule_apply.clone(),
        );
        let comp = st.completion.clone().filter(|_| !st.completion_stale);
        let text = st.filter.clone();
        move |k: usize| {
            let Some(c) = comp.as_ref() else { return };
            let Some(item) = c.items.get(k) else { return };
            let (a, b) = (floor(&text, c.start), floor(&text, c.end));
            let mut new = format!("{}{}", &text[..a], item.insert);
            let caret = new.len();
            let rest = &text[b..];
            if !item.insert.ends_with(':') && !rest.starts_with(' ') {
                new.push(' ');
            }
            let caret = if item.insert.ends_with(':') {
                caret
            } else {
                new.len()
            };
            new.push_str(rest);
            dispatch.emit(ExploreAction::Type(new.clone()));
            if let Some(i) = input.cast::<HtmlInputElement>() {
                i.set_value(&new);
                let units = new[..caret].encode_utf16().count() as u32;
                let _ = i.set_selection_range(units, units);
                let _ = i.focus();
            }
            if item.insert.ends_with(':') {
                on_complete.emit((new, caret as u32));
            } else {
                dispatch.emit(ExploreAction::CloseCompletion);
            }
            schedule_apply();
        }
    };
    let onkeydown = {
        let (dispatch, timer, comp_timer) =
            (props.dispatch.clone(), timer.clone(), comp_timer.clone());
        let open = st.completion.is_some() && !st.completion_stale;
        // Enter accepts a suggestion only after ↑/↓ chose one; otherwise it applies the
        // filter as typed (Tab accepts the highlighted suggestion).
        let mid_word = st.completion_nav;
        let index = st.completion_index;
        let accept = accept.clone();
        Callback::from(move |e: KeyboardEvent| {
            match e.key().as_str() {
                "ArrowDown" if open => dispatch.emit(ExploreAction::CompletionMove(1)),
                "ArrowUp" if open => dispatch.emit(ExploreAction::CompletionMove(-1)),
                "Tab" if open => accept(index),
                "Enter" if open && mid_word => accept(index),
                "Enter" => {
                    dom::cancel(timer.borrow().get());
                    dom::cancel(comp_timer.borrow().get());
                    dispatch.emit(ExploreAction::CloseCompletion);
                    dispatch.emit(ExploreAction::Apply);
                }
                "Escape" if open => dispatch.emit(ExploreAction::CloseCompletion),
                "Escape" => {
                    if let Some(t) = e
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
                    {
                        let _ = t.blur();
                    }
                }
                _ => return,
            }
            e.prevent_default();
        })
    };
    let onblur = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: FocusEvent| {
            let d = dispatch.clone();
            dom::after(150, move || d.emit(ExploreAction::CloseCompletion));
        })
    };
    let toggle_help = props
        .dispatch
        .reform(|_: MouseEvent| ExploreAction::ToggleHelp);
    let clear = props
        .dispatch
        .reform(|_: MouseEvent| ExploreAction::SetFilter(String::new()));

    // The error underline: a mirror of the text under the input, only the bad range visible.
    let error = st.error.as_ref().filter(|_| st.filter == st.applied);
    let mirror = error.map(|e| {
        let t = &st.filter;
        let (a, b) = (floor(t, e.start), floor(t, e.end.max(e.start)));
        let bad = if a == b { " ".to_string() } else { t[a..b].to_string() };
        html! {
            <div class="filter-mirror" aria-hidden="true"><span>{ &t[..a] }</span><span class="bad">{ bad }</span></div>
        }
    });
    let completion = st.completion.as_ref().map(|c| {
        html! {
            <ul class="completion" role="listbox" data-testid="completion" data-fresh={(!st.completion_stale).to_string()}>
                { for c.items.iter().enumerate().map(|(k, it)| {
                    let accept = accept.clone();
                    let onmousedown = Callback::from(move |e: MouseEvent| { e.prevent_default(); accept(k); });
                    html! {
                        <li role="option" aria-selected={(k == st.completion_index).to_string()}
                            class={classes!((k == st.completion_index).then_some("active"))} {onmousedown}>
                            <span class="c-label mono">{ &it.label }</span><span class="c-detail muted">{ &it.detail }</span>
                        </li>
                    }
                }) }
            </ul>
        }
    });
    let help = st.help_open.then(|| {
        html! {
            <div class="filter-help" data-testid="filter-help" role="dialog" aria-label="Filter language">
                <p><b>{"Terms are ANDed."}</b>{" "}<code>{"verb:get,list"}</code>{" any of · "}<code>{"-verb:watch"}</code>{" not · "}<code>{"user:system:*"}</code>{" glob · "}<code>{"\"two words\""}</code>{" quotes · bare words search the path and name."}</p>
                <table class="grid compact">
                    <tbody>
                    { for FIELDS.iter().map(|(_, names, what)| html! {
                        <tr><td class="mono">{ format!("{}:", names[0]) }</td><td class="muted mono">{ names[1..].join(" ") }</td><td>{ *what }</td></tr>
                    }) }
                    </tbody>
                </table>
                <p><b>{"Inside the events: "}</b><code>{"req.<path>:value"}</code>{" tests the request body, "}<code>{"resp.<path>:value"}</code>{" the response body. "}
                   <code>{"req.spec.containers[*].securityContext.privileged:true"}</code>{" · "}<code>{"req.roleRef.name:cluster-admin"}</code>{" · "}<code>{"resp.reason:*"}</code>{" (exists) · "}<code>{"req.rules[*].verbs:\"*\""}</code>{" (quoted: literal) · "}<code>{"resp.spec.replicas:>3"}</code>
                   {". Keys are case-sensitive; "}<code>{"[*]"}</code>{" every element; a key with dots in quotes: "}<code>{"req.metadata.labels.\"app.kubernetes.io/name\":web"}</code>
                   {". The other terms narrow first; then only those events are read again from the file. Type "}<code>{"req."}</code>{" for the paths seen in the loaded bodies."}</p>
                <p class="muted">{"Examples: "}<code>{"code:>=400 -user:system:*"}</code>{" · "}<code>{"resource:pods/exec"}</code>{" · "}<code>{"latency:>1s verb:list"}</code>{" · "}<code>{"rule:none"}</code></p>
            </div>
        }
    });
    let count = st.result.as_ref().map(|r| {
        let scope = if r.range.is_some() { " in range" } else { "" };
        let req = st.per_request.then(|| format!(" · {} requests", human_count(r.rows)));
        html! {
            <div class={classes!("result-count", props.pending.then_some("pending"))} data-testid="result-count"
                 data-events={r.count.to_string()} data-rows={r.rows.to_string()} data-filter={r.filter.clone()}
                 title={format!("{} of {} events match{scope} · {} bytes · answered in {:.0} ms", r.count, r.total, r.bytes, r.elapsed_ms)}>
                <b>{ human_count(r.count) }</b>{ format!(" of {} events{scope}", human_count(r.total)) }
                { for req }
                <span class="muted">{ format!(" · {}", human_bytes(r.bytes)) }</span>
            </div>
        }
    });
    let search = st.search.map(|p| {
        let pct = (p.done_bytes * 100).checked_div(p.total_bytes).unwrap_or(100);
        let stop = {
            let cb = props.on_stop.clone();
            Callback::from(move |_: MouseEvent| cb.emit(()))
        };
        html! {
            <div class="body-search" data-testid="body-search" role="status"
                 data-done={p.done_bytes.to_string()} data-total={p.total_bytes.to_string()} data-matched={p.matched.to_string()}>
                <progress max="100" value={pct.to_string()} aria-label="Body search"></progress>
                { format!(" Reading the bodies of {} candidate events: {} % of {} · {} match so far ",
                    human_count(p.candidates), pct, human_bytes(p.total_bytes), human_count(p.matched)) }
                <button class="button small" onclick={stop} data-testid="body-search-stop" title="Stop reading; the filter stays as typed">{"Stop"}</button>
            </div>
        }
    });
    let clear_x = (!st.filter.is_empty()).then(|| html! {
        <button class="button small ghost clear-x" onclick={clear} title="Clear the filter" aria-label="Clear the filter">{"×"}</button>
    });
    html! {
        <div class="filter-bar">
            <div class={classes!("filter-box", error.is_some().then_some("has-error"))}>
                <input ref={input} key="filter-input" type="text" class="filter-input mono" data-testid="filter-input"
                       placeholder="Filter: user:alice verb:delete code:>=400 resource:pods/exec ns:prod …  (press / to focus)"
                       spellcheck="false" autocomplete="off" aria-label="Filter"
                       value={st.filter.clone()} {oninput} {onkeydown} {onblur} />
                <span key="extras" class="filter-extras">
                    { for mirror }
                    { for clear_x }
                    { for completion }
                </span>
            </div>
            <button class="button small" onclick={toggle_help} aria-expanded={st.help_open.to_string()} data-testid="filter-help-button" title="Filter language">{"Fields"}</button>
            <CopyAs filter={st.applied.clone()} range={st.range} />
            // One child each, present or not (Yew matches unkeyed children from the end: a
            // child appearing here re-created the filter box and lost the input's focus).
            { search.unwrap_or_default() }
            if st.search.is_none() { { for count } }
            { error.map(|e| html! {
                <div class="filter-error" role="alert" data-testid="filter-error">{ &e.message }<span class="muted">{" — showing the previous result"}</span></div>
            }).unwrap_or_default() }
            { help.unwrap_or_default() }
        </div>
    }
}
