//! The object history view (issue 12 §5): every request on one object in time order, the
//! versions rebuilt from the log's bodies, what each write changed (path, before → after,
//! the field manager that owns it), patches as sent, the last manifest of a deleted object
//! (copy, download as YAML), and plainly what the log's level cannot show.
//!
//! Opened over the Explore view by clicking an object's name (event table, event detail);
//! closing it (✕, Escape) leaves Explore exactly as it was. Log content only ever becomes
//! text nodes.

use crate::analysis::history::{History, Request};
use crate::ui::dom;
use crate::util::{human_duration_micros, visible};
use crate::web::protocol::HistoryReply;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HistoryProps {
    /// The store row it was opened from.
    pub row: u32,
    pub reply: Option<Rc<HistoryReply>>,
    pub local_time: bool,
    pub on_close: Callback<()>,
    /// Opens an event in the detail drawer (store row).
    pub on_open_row: Callback<u32>,
}

/// The object an event's JSON names: short (`leases/x`) and as kubectl would write it
/// (`leases.coordination.k8s.io/x -n kube-system`), for the link in the event detail;
/// `None` when it names none.
pub fn object_label(raw: &str) -> Option<(String, String)> {
    let v: serde_json::Value = serde_json::from_str(raw).ok()?;
    let o = v.get("objectRef")?;
    let s = |k: &str| o.get(k).and_then(|x| x.as_str()).unwrap_or("");
    if s("name").is_empty() || s("resource").is_empty() {
        return None;
    }
    let group = if s("apiGroup").is_empty() {
        String::new()
    } else {
        format!(".{}", s("apiGroup"))
    };
    let ns = if s("namespace").is_empty() || s("resource") == "namespaces" {
        String::new()
    } else {
        format!(" -n {}", s("namespace"))
    };
    Some((
        format!("{}/{}", s("resource"), s("name")),
        format!("{}{group}/{}{ns}", s("resource"), s("name")),
    ))
}

/// A multi-line text made safe to look at, line by line (newlines kept).
fn block(s: &str) -> String {
    s.lines().map(visible).collect::<Vec<_>>().join("\n")
}

fn yaml_blob(text: &str) -> Option<web_sys::Blob> {
    let parts = js_sys::Array::new();
    parts.push(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("application/yaml");
    web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts).ok()
}

/// Copy and Download buttons for a YAML text.
fn yaml_buttons(text: &str, file: &str, what: &str) -> Html {
    let copy = {
        let t = text.to_string();
        Callback::from(move |_: MouseEvent| dom::copy_text(t.clone()))
    };
    let download = {
        let (t, f) = (text.to_string(), file.to_string());
        Callback::from(move |_: MouseEvent| {
            if let Some(b) = yaml_blob(&t) {
                dom::download(&b, &f);
            }
        })
    };
    html! {
        <>
            <button class="button small" onclick={copy} data-testid="history-copy-yaml" title={format!("Copy the {what} as YAML")}>{"Copy YAML"}</button>
            <button class="button small" onclick={download} data-testid="history-download-yaml" title={format!("Download the {what} as {file}")}>{"Download YAML"}</button>
        </>
    }
}

/// A JSON value as shown in the diff (strings without quotes when plain).
fn shown(v: &Option<String>) -> String {
    match v.as_deref() {
        None => "—".into(),
        Some(t) => match serde_json::from_str::<serde_json::Value>(t) {
            Ok(serde_json::Value::String(s)) => block(&s),
            _ => visible(t).into_owned(),
        },
    }
}

fn request_item(h: &History, i: usize, q: &Request, props: &HistoryProps) -> Html {
    let local = props.local_time;
    let verb = if q.subresource.is_empty() {
        q.verb.clone()
    } else {
        format!("{} {}", q.verb, q.subresource)
    };
    let changes: Vec<_> = h
        .changes
        .iter()
        .filter(|c| c.request as usize == i)
        .collect();
    let version = q.version.and_then(|v| h.versions.get(v as usize));
    let first_of_version = version.is_some_and(|v| v.request as usize == i);
    let row = q.rows.last().copied().unwrap_or(0);
    let open = props.on_open_row.reform(move |_: MouseEvent| row);
    let deleted = q.verb == "delete" && q.subresource.is_empty() && (200..300).contains(&q.code);
    html! {
        <li class={classes!("hist-req", deleted.then_some("deleted"), q.list.then_some("list"))} data-testid="history-request"
            data-audit-id={q.audit_id.clone()} data-verb={q.verb.clone()} data-code={q.code.to_string()}>
            <div class="hist-line">
                <span class="mono hist-time" title={format!("requestReceivedTimestamp {}", q.time())}>{ dom::time_ms(q.time_us, local) }</span>
                <span class="hist-verb"><b>{ verb }</b>
                    if q.list { <span class="badge small" title="A list of the resource whose response holds this object">{"list item"}</span> }
                </span>
                <span class="hist-who" title={q.user_agent.clone()}>
                    { visible(&q.user).into_owned() }
                    if !q.impersonated_user.is_empty() {
                        <span class="muted">{" → "}</span>{ visible(&q.impersonated_user).into_owned() }
                    }
                </span>
                <span class={classes!("hist-code", crate::ui::format::code_class(q.code))}>{ if q.code == 0 { "–".to_string() } else { q.code.to_string() } }</span>
                <span class="hist-lat muted">{ q.latency_us.map_or_else(|| "–".to_string(), |l| human_duration_micros(l as i64)) }</span>
                <span class="hist-stages muted small" title="Stages of this request in the log">{ q.stages.join(" · ") }</span>
                <button class="button small ghost" onclick={open} title="Open this event in the detail drawer">{"Event"}</button>
            </div>
            if let Some(v) = version.filter(|_| first_of_version) {
                <div class="hist-version small muted" data-testid="history-version">
                    { format!("version {} — from the {}", if v.resource_version.is_empty() { "?" } else { &v.resource_version }, v.source) }
                </div>
            }
            if !changes.is_empty() {
                <table class="grid compact hist-diff" data-testid="history-diff">
                    <thead><tr><th>{"field"}</th><th>{"before"}</th><th>{"after"}</th><th>{"manager"}</th></tr></thead>
                    <tbody>
                    { for changes.iter().map(|c| {
                        let who = if c.managers.is_empty() {
                            html! { <span class="muted" title="The newer version has no managedFields entry owning this field">{"—"}</span> }
                        } else {
                            html! { { for c.managers.iter().map(|(m, op)| html! { <div>{ visible(m).into_owned() }<span class="muted">{ format!(" ({op})") }</span></div> }) } }
                        };
                        html! {
                            <tr data-testid="history-change" data-path={c.path.clone()} data-kind={c.kind.clone()}>
                                <td class="mono hist-path">{ visible(&c.path).into_owned() }</td>
                                <td class={classes!("mono", "hist-from", (c.kind != "added").then_some("had"))}>{ shown(&c.from) }</td>
                                <td class={classes!("mono", "hist-to", (c.kind != "removed").then_some("has"))}>{ shown(&c.to) }</td>
                                <td class="small">{ who }</td>
                            </tr>
                        }
                    }) }
                    </tbody>
                </table>
            }
            if let Some(p) = &q.patch {
                <details class="hist-patch">
                    <summary class="small">{"Patch as sent (requestObject)"}</summary>
                    <pre class="mono" data-testid="history-patch">{ block(p) }</pre>
                </details>
            }
            if let Some(n) = &q.note {
                <p class="hist-note small muted">{ n }</p>
            }
            if deleted {
                <p class="hist-note small"><b>{"Deleted."}</b></p>
            }
        </li>
    }
}

#[function_component]
pub fn HistoryView(props: &HistoryProps) -> Html {
    let close_ref = use_node_ref();
    // The latest requests are drawn first; earlier ones on demand (a busy lease has
    // hundreds: drawing them all would miss the 100 ms budget).
    let shown = use_state(|| FIRST_SHOWN);
    {
        let shown = shown.clone();
        use_effect_with(props.row, move |_| shown.set(FIRST_SHOWN));
    }
    // Focus moves into the view when it opens (keyboard users land on it).
    {
        let close_ref = close_ref.clone();
        use_effect_with(props.row, move |_| {
            if let Some(el) = close_ref.cast::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        });
    }
    let close = props.on_close.reform(|_: MouseEvent| ());
    let onkeydown = {
        let cb = props.on_close.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                e.stop_propagation();
                e.prevent_default();
                cb.emit(());
            }
        })
    };
    let reply = props.reply.as_ref().filter(|r| r.row == props.row);
    let (title, body) = match reply {
        None => (
            "History".to_string(),
            html! { <p class="muted">{"Reading the object's events from the file…"}</p> },
        ),
        Some(r) => match (&r.history, &r.error) {
            (_, Some(e)) => (
                "History".to_string(),
                html! { <p class="banner error">{ e }</p> },
            ),
            (None, None) => ("History".to_string(), html! {}),
            (Some(h), None) => {
                let more = {
                    let shown = shown.clone();
                    Callback::from(move |_: MouseEvent| shown.set(usize::MAX))
                };
                (h.object.display(), body(h, r, props, *shown, more))
            }
        },
    };
    html! {
        <section class="history-view" role="dialog" aria-modal="true" aria-labelledby="history-title"
                 data-testid="history-view" data-ready={reply.is_some().to_string()} {onkeydown}>
            <div class="panel-head">
                <div class="hist-title">
                <h2 id="history-title">{"History of "}<span class="mono" data-testid="history-object">{ visible(&title).into_owned() }</span></h2>
                if let Some(h) = reply.and_then(|r| r.history.as_ref()) {
                    if !h.kind.is_empty() { <span class="badge">{ &h.kind }</span> }
                    <span class="muted small" data-testid="history-counts">{ format!("{} · {} · {}",
                        crate::ui::format::plural(h.requests.len() as u64, "request", "requests"),
                        crate::ui::format::plural(h.versions.len() as u64, "version", "versions"),
                        crate::ui::format::plural(h.changes.len() as u64, "field change", "field changes")) }</span>
                    <span class="muted small">{ if props.local_time { "· local time" } else { "· times in UTC" } }</span>
                }
                </div>
                <button class="button small" ref={close_ref} onclick={close} data-testid="history-close" title="Back to the events (Esc)" aria-label="Close the history">{"✕ Close"}</button>
            </div>
            <div class="history-body">{ body }</div>
        </section>
    }
}

/// Requests drawn when the view opens (the latest ones).
const FIRST_SHOWN: usize = 40;

fn body(
    h: &History,
    r: &HistoryReply,
    props: &HistoryProps,
    shown: usize,
    more: Callback<MouseEvent>,
) -> Html {
    let skip = h.requests.len().saturating_sub(shown);
    let file = format!(
        "{}-{}.yaml",
        h.object.resource,
        h.object.name.replace([':', '/'], "_")
    );
    let deleted = h.deleted.as_ref().map(|d| {
        html! {
            <section class="hist-deleted" data-testid="history-deleted">
                <div class="panel-head">
                    <h3>{ format!("Deleted by {} at {}", visible(&d.user), dom::time_ms(d.time_us, props.local_time)) }</h3>
                    <span class="spacer"></span>
                    if let Some(m) = &h.last_manifest { { yaml_buttons(m, &file, "last known manifest") } }
                </div>
                if h.last_manifest.is_none() {
                    <p class="small muted">{"No body of it is in the log, so its last manifest is not known."}</p>
                }
                if let Some(m) = &h.last_manifest {
                    <p class="small muted">{"Its last known manifest (the last version the log shows before the delete, without managedFields):"}</p>
                    <pre class="mono hist-yaml" data-testid="history-manifest">{ block(m) }</pre>
                }
            </section>
        }
    });
    let latest = (h.deleted.is_none())
        .then_some(h.last_yaml.as_ref())
        .flatten()
        .map(|y| {
            html! {
                <details class="hist-latest">
                    <summary class="small">{"Latest known version as YAML"}</summary>
                    <div class="hist-actions">{ yaml_buttons(y, &file, "latest known version") }</div>
                    <pre class="mono hist-yaml">{ block(y) }</pre>
                </details>
            }
        });
    html! {
        <>
            if !h.notes.is_empty() {
                <ul class="hist-notes" data-testid="history-notes">
                    { for h.notes.iter().map(|n| html! { <li>{ n }</li> }) }
                </ul>
            }
            { for deleted }
            if skip > 0 {
                <div class="hist-more">
                    <button class="button small" onclick={more} data-testid="history-show-all">
                        { format!("Show the {} earlier requests", crate::util::human_count(skip as u64)) }</button>
                    <span class="muted small">{ format!("the latest {shown} are shown") }</span>
                </div>
            }
            <ol class="hist-list">
                { for h.requests.iter().enumerate().skip(skip).map(|(i, q)| request_item(h, i, q, props)) }
            </ol>
            { for latest }
            <p class="muted small">{ format!("{} events of this object in the loaded logs · built in {:.0} ms ({})", r.events, r.ms, r.phases) }</p>
        </>
    }
}
