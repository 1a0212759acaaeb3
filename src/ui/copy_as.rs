//! "Copy filter as…": the applied filter and time range in jq, LogQL, CloudWatch Logs
//! Insights or KQL (`query::translate`), shown with what to know before running it, and
//! copied to the clipboard. Pure translation on the main thread: no worker round trip.

use crate::query::translate::{translate, Lang, Options};
use crate::ui::dom;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CopyAsProps {
    /// The applied filter.
    pub filter: String,
    /// The time range in effect, µs.
    pub range: Option<(i64, i64)>,
}

#[function_component]
pub fn CopyAs(props: &CopyAsProps) -> Html {
    let open = use_state(|| false);
    let lang = use_state(|| Lang::Jq);
    let copied = use_state(|| false);
    let toggle = {
        let (open, copied) = (open.clone(), copied.clone());
        Callback::from(move |_: MouseEvent| {
            open.set(!*open);
            copied.set(false);
        })
    };
    let button = html! {
        <button class="button small" onclick={toggle} aria-expanded={open.to_string()} data-testid="copy-as"
                title="The filter and time range in jq, LogQL, CloudWatch Logs Insights or KQL">{"Copy as…"}</button>
    };
    if !*open {
        return button;
    }
    let opts = Options {
        range: props.range,
        ..Options::default()
    };
    let result = translate(&props.filter, *lang, &opts);
    let onchange = {
        let (lang, copied) = (lang.clone(), copied.clone());
        Callback::from(move |e: Event| {
            if let Some(l) = Lang::parse(&dom::event_value(&e)) {
                lang.set(l);
                copied.set(false);
            }
        })
    };
    let close = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(false))
    };
    let body = match &result {
        Ok(t) => {
            let copy = {
                let (text, copied) = (t.text.clone(), copied.clone());
                Callback::from(move |_: MouseEvent| {
                    dom::copy_text(text.clone());
                    copied.set(true);
                })
            };
            html! {
                <>
                    <textarea class="mono copy-as-text" readonly=true rows={(t.text.lines().count().clamp(3, 16)).to_string()}
                              data-testid="copy-as-text" data-lang={lang.as_str()} aria-label="Translated query"
                              value={t.text.clone()} />
                    <div class="copy-as-actions">
                        <button class="button small primary" onclick={copy} data-testid="copy-as-copy">{ if *copied { "Copied" } else { "Copy" } }</button>
                        <button class="button small ghost" onclick={close.clone()}>{"Close"}</button>
                    </div>
                    <ul class="copy-as-notes muted">
                        { for t.notes.iter().map(|n| html! { <li>{ n }</li> }) }
                    </ul>
                </>
            }
        }
        Err(e) => {
            let (a, b) = (
                e.start.min(props.filter.len()),
                e.end.min(props.filter.len()),
            );
            let part = props.filter.get(a..b).unwrap_or("").to_string();
            html! {
                <>
                    <div class="filter-error" role="alert" data-testid="copy-as-error">
                        { if part.is_empty() { String::new() } else { format!("{part} — ") } }{ &e.message }
                    </div>
                    <div class="copy-as-actions"><button class="button small ghost" onclick={close.clone()}>{"Close"}</button></div>
                </>
            }
        }
    };
    html! {
        <>
            { button }
            <div class="copy-as" role="dialog" aria-label="Copy the filter as another engine's query" data-testid="copy-as-panel">
                <label class="copy-as-head">{"The filter "}
                    <code class="mono">{ if props.filter.is_empty() { "(every event)".to_string() } else { props.filter.clone() } }</code>
                    { if props.range.is_some() { " and the time range" } else { "" } }{" as "}
                    <select onchange={onchange} data-testid="copy-as-lang" aria-label="Query language">
                        { for Lang::ALL.iter().map(|l| html! {
                            <option value={l.as_str()} selected={*l == *lang}>{ l.label() }</option>
                        }) }
                    </select>
                </label>
                { body }
            </div>
        </>
    }
}
