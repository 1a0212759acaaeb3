//! The Explore bar's exports (issue 16 §3, §4): the matching events as JSON lines (as the
//! log holds them) or CSV (the table's columns and the optional ones shown, `file` with
//! several files), and a redacted export — secrets replaced, identities pseudonymized
//! (`export::redact`), with an optional key that keeps pseudonyms stable across exports and
//! "names too" — whose counts by kind are shown once it is built. The worker builds every
//! download (`Request::ExportEvents`); the file name says what it holds.

use crate::export::redact::{Options, Summary};
use crate::ui::column_picker;
use crate::ui::explore_state::ExploreAction;
use crate::web::protocol::{EventFormat, ExportKind, ExportSpec, Exported, Request};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ExportMenuProps {
    pub send: Callback<Request>,
    pub dispatch: Callback<ExploreAction>,
    /// A download is being built.
    pub exporting: bool,
    /// Nothing matches: nothing to export.
    pub disabled: bool,
    /// The last download built (cleared once it is saved).
    #[prop_or_default]
    pub export: Option<Rc<Exported>>,
}

/// Ids of this menu's requests, apart from the Explore view's own.
const FIRST_ID: u32 = 1 << 30;

#[function_component]
pub fn ExportMenu(props: &ExportMenuProps) -> Html {
    let next = use_mut_ref(|| FIRST_ID);
    let open = use_state(|| false);
    let names = use_state(|| false);
    let key = use_node_ref();
    // The last redacted export's counts, and the last error.
    let summary = use_state(|| None::<(String, Summary)>);
    let error = use_state(|| None::<String>);
    {
        let (summary, error) = (summary.clone(), error.clone());
        use_effect_with(props.export.clone(), move |e| {
            if let Some(e) = e {
                error.set(e.error.clone());
                if let Some(s) = &e.redacted {
                    summary.set(Some((e.name.clone(), s.clone())));
                }
            }
        });
    }
    let send_spec = {
        let (send, dispatch, next, names, key) = (
            props.send.clone(),
            props.dispatch.clone(),
            next.clone(),
            names.clone(),
            key.clone(),
        );
        move |format: EventFormat, redact: bool| {
            let (send, dispatch, next, names, key) = (
                send.clone(),
                dispatch.clone(),
                next.clone(),
                names.clone(),
                key.clone(),
            );
            Callback::from(move |_: MouseEvent| {
                let id = {
                    let mut n = next.borrow_mut();
                    *n += 1;
                    *n
                };
                let columns = column_picker::load()
                    .into_iter()
                    .map(|c| c.key().to_string())
                    .collect();
                let redact = redact.then(|| Options {
                    key: key
                        .cast::<web_sys::HtmlInputElement>()
                        .map(|i| i.value())
                        .filter(|k| !k.is_empty())
                        .map(String::into_bytes),
                    names: *names,
                });
                dispatch.emit(ExploreAction::ExportStarted);
                send.emit(Request::ExportEvents {
                    id,
                    spec: ExportSpec {
                        format,
                        columns,
                        redact,
                    },
                });
            })
        }
    };
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let onkeydown = {
        let open = open.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" && *open {
                e.stop_propagation();
                open.set(false);
            }
        })
    };
    let on_names = {
        let names = names.clone();
        Callback::from(move |e: Event| {
            if let Some(i) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            {
                names.set(i.checked());
            }
        })
    };
    let off = props.exporting || props.disabled;
    // The plain JSON lines export keeps its request (and hook) of before.
    let jsonl = {
        let (send, dispatch, next) = (props.send.clone(), props.dispatch.clone(), next.clone());
        Callback::from(move |_: MouseEvent| {
            let id = {
                let mut n = next.borrow_mut();
                *n += 1;
                *n
            };
            dispatch.emit(ExploreAction::ExportStarted);
            send.emit(Request::Export {
                id,
                kind: ExportKind::Events,
            });
        })
    };
    html! {
        <div class="exports export-menu" {onkeydown}>
            <button class="button small" onclick={jsonl} disabled={off}
                data-testid="export-events" title="Download the matching events as JSON lines, byte-identical to the log's lines">
                { if props.exporting { "Exporting…" } else { "Export JSON lines" } }</button>
            <button class="button small" onclick={send_spec(EventFormat::Csv, false)} disabled={off}
                data-testid="export-csv" title="Download the matching events as CSV: the table's columns and the optional ones shown, the file of each event when several are loaded">
                {"CSV"}</button>
            <button class="button small ghost" onclick={toggle} aria-expanded={open.to_string()} aria-controls="export-redact-pop"
                data-testid="export-redact-menu" title="Export with secrets replaced and users, groups, service accounts and IPs pseudonymized">
                {"Redacted ▾"}</button>
            if *open {
                <div class="export-pop" id="export-redact-pop" role="group" aria-label="Redacted export">
                    <p class="export-pop-what">
                        {"Replaced: Secret data, tokens (TokenReview, TokenRequest, bearer, JWT), CSR contents, private keys, certificates, cloud and Git tokens, passwords in URLs and config text. "}
                        {"Pseudonymized consistently: users, groups, service accounts, nodes, IPs (documentation ranges). Kubernetes' built-in "}<code>{"system:"}</code>{" users and groups are kept."}
                    </p>
                    <label class="export-pop-row"><input type="checkbox" checked={*names} onchange={on_names} data-testid="redact-names" />
                        {" Namespaces and object names too"}</label>
                    <label class="export-pop-row">{"Key (optional) "}
                        <input ref={key.clone()} type="password" class="export-key" autocomplete="off" data-testid="redact-key"
                            placeholder="same key → same pseudonyms" title="With a key, pseudonyms are HMAC-SHA256 of the value: the same in every export made with this key. Without one they are numbered in this export only." /></label>
                    <div class="export-pop-actions">
                        <button class="button small primary" onclick={send_spec(EventFormat::Jsonl, true)} disabled={off} data-testid="export-redacted">{"Redacted JSON lines"}</button>
                        <button class="button small" onclick={send_spec(EventFormat::Csv, true)} disabled={off} data-testid="export-redacted-csv">{"Redacted CSV"}</button>
                    </div>
                    if let Some((name, s)) = &*summary {
                        <div class="redact-summary" data-testid="redact-summary" role="status">
                            <div><strong>{ format!("{} events redacted", s.events) }</strong>{" → "}<code>{ name }</code></div>
                            if s.changed.is_empty() {
                                <div class="muted">{"Nothing needed replacing."}</div>
                            } else {
                                <table class="grid compact">
                                    <thead><tr><th>{"kind"}</th><th class="num">{"values"}</th><th class="num">{"distinct"}</th></tr></thead>
                                    <tbody>
                                        { for s.changed.iter().map(|(k, n)| html! {
                                            <tr data-kind={k.clone()}><td>{ k }</td><td class="num">{ n }</td>
                                                <td class="num">{ s.distinct.get(k).map_or(String::new(), |d| d.to_string()) }</td></tr>
                                        }) }
                                    </tbody>
                                </table>
                            }
                        </div>
                    }
                </div>
            }
            if let Some(e) = &*error {
                <span class="export-error" role="alert" data-testid="export-error">{ e }</span>
            }
        </div>
    }
}
