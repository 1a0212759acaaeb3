//! "This won't fit": shown when a load stopped before running out of memory
//! (`Response::WontFit`). Offers what can be loaded instead: a time window (prefilled
//! with the most recent part estimated to fit) or some of the files (prefilled with the
//! first files that fit), or nothing.

use crate::ui::format;
use crate::util::{format_rfc3339_secs, parse_rfc3339_micros};
use crate::web::protocol::WontFit;
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// A time window `[from, to)` in µs since the epoch.
pub type Window = (i64, i64);

#[derive(Properties, PartialEq)]
pub struct FitDialogProps {
    pub fit: Rc<WontFit>,
    /// Load the held-back files at these indices, in this window.
    pub on_resume: Callback<(Vec<u32>, Option<Window>)>,
    /// Load none of them.
    pub on_dismiss: Callback<()>,
}

/// The first files whose estimated events fit in `room` (at least none).
pub fn files_that_fit(fit: &WontFit, room: u64) -> Vec<bool> {
    let mut used = 0u64;
    fit.files
        .iter()
        .map(|f| {
            let ok = used + f.estimated_events <= room;
            if ok {
                used += f.estimated_events;
            }
            ok
        })
        .collect()
}

/// `[from, to)` from the two text fields, or why not.
pub fn parse_window(from: &str, to: &str) -> Result<(i64, i64), String> {
    let a = parse_rfc3339_micros(from.trim())
        .ok_or_else(|| format!("\"{from}\" is not a time like 2026-11-02T08:00:00Z"))?;
    let b = parse_rfc3339_micros(to.trim())
        .ok_or_else(|| format!("\"{to}\" is not a time like 2026-11-02T16:00:00Z"))?;
    if a >= b {
        return Err("The window's start must be before its end.".into());
    }
    Ok((a, b))
}

#[function_component]
pub fn FitDialog(props: &FitDialogProps) -> Html {
    let fit = &*props.fit;
    let room = fit.max_events.saturating_sub(fit.loaded_events);
    let (p_from, p_to) = fit
        .proposed_window_us
        .map(|(a, b)| (format_rfc3339_secs(a), format_rfc3339_secs(b + 999_999)))
        .unwrap_or_default();
    let from = use_state(|| p_from);
    let to = use_state(|| p_to);
    let chosen = {
        let fit = props.fit.clone();
        use_state(move || files_that_fit(&fit, room))
    };
    let window = parse_window(&from, &to);

    let text_input = |h: UseStateHandle<String>| {
        Callback::from(move |e: InputEvent| {
            let el: HtmlInputElement = e.target_unchecked_into();
            h.set(el.value());
        })
    };
    let load_window = {
        let (on, window) = (props.on_resume.clone(), window.clone());
        let n = fit.files.len() as u32;
        Callback::from(move |_: MouseEvent| {
            if let Ok(w) = window {
                on.emit(((0..n).collect(), Some(w)));
            }
        })
    };
    let load_files = {
        let (on, chosen) = (props.on_resume.clone(), chosen.clone());
        Callback::from(move |_: MouseEvent| {
            let idx: Vec<u32> = chosen
                .iter()
                .enumerate()
                .filter(|(_, c)| **c)
                .map(|(i, _)| i as u32)
                .collect();
            if !idx.is_empty() {
                on.emit((idx, None));
            }
        })
    };
    let dismiss = props.on_dismiss.reform(|_: MouseEvent| ());
    let picked: u64 = fit
        .files
        .iter()
        .zip(chosen.iter())
        .filter(|(_, c)| **c)
        .map(|(f, _)| f.estimated_events)
        .sum();
    let any_picked = chosen.iter().any(|c| *c);

    let span = match (fit.span_estimate_us, fit.first_seen_us, fit.last_seen_us) {
        (Some((a, b)), Some(_), Some(_)) => html! {
            <p class="muted">{ format!("The part read spans {} → {}; all of it would reach about {} (UTC, estimated).",
                format::time(a), format::time(fit.last_seen_us.unwrap_or(a)), format::time(b)) }</p>
        },
        _ => html! {},
    };
    html! {
        <section class="fit-dialog" role="alertdialog" aria-labelledby="fit-title" data-testid="wont-fit"
                 data-estimated-events={fit.estimated_events.to_string()} data-max-events={fit.max_events.to_string()}>
            <h2 id="fit-title">{"This load would not fit in this tab"}</h2>
            <p>{ format!("It would hold about {} (estimated from the part read); a browser tab can hold about {} here{}. \
                          Loading stopped before memory ran out, and nothing of it was kept. Choose what to load:",
                format::events(fit.estimated_events), format::events(fit.max_events),
                if fit.loaded_events > 0 { format!(", {} of them already loaded", crate::util::human_count(fit.loaded_events)) } else { String::new() }) }</p>
            <div class="fit-options">
                <div class="fit-option">
                    <h3>{"A time window"}</h3>
                    { span }
                    <label>{"From (UTC) "}<input type="text" data-testid="window-from" value={(*from).clone()}
                        oninput={text_input(from.clone())} spellcheck="false" /></label>
                    <label>{"to "}<input type="text" data-testid="window-to" value={(*to).clone()}
                        oninput={text_input(to.clone())} spellcheck="false" /></label>
                    if let Err(e) = &window { <p class="field-error" role="alert">{ e.clone() }</p> }
                    <p class="muted">{"Events outside the window are counted, not kept. The proposal is the most recent part estimated to fit."}</p>
                    <button class="button primary" data-testid="load-window" onclick={load_window} disabled={window.is_err()}>{"Load this window"}</button>
                </div>
                if fit.files.len() > 1 {
                    <div class="fit-option">
                        <h3>{"Some of the files"}</h3>
                        <ul class="fit-files">
                            { for fit.files.iter().enumerate().map(|(i, f)| {
                                let toggle = {
                                    let chosen = chosen.clone();
                                    Callback::from(move |_: Event| {
                                        let mut v = (*chosen).clone();
                                        v[i] = !v[i];
                                        chosen.set(v);
                                    })
                                };
                                html! {
                                    <li><label>
                                        <input type="checkbox" data-testid="fit-file" checked={chosen[i]} onchange={toggle} />
                                        { format!(" {} — {}, about {}", f.name, format::bytes(f.bytes), format::events(f.estimated_events)) }
                                    </label></li>
                                }
                            }) }
                        </ul>
                        <p class={classes!("muted", (picked > room).then_some("warn"))}>
                            { format!("Chosen: about {} of the {} that fit.", format::events(picked), crate::util::human_count(room)) }
                        </p>
                        <button class="button primary" data-testid="load-subset" onclick={load_files} disabled={!any_picked}>{"Load the chosen files"}</button>
                    </div>
                }
            </div>
            <button class="button ghost" data-testid="fit-dismiss" onclick={dismiss}>{"Load none of them"}</button>
        </section>
    }
}
