//! The files a link or an opened case expects (issue 16 §1): on the landing page before
//! anything is loaded, and in the workspace while a loaded file differs or one is missing.
//! Matched by content hash (a renamed copy is the same file); a loaded file with the
//! expected name but other content "differs".

use crate::case::ident::{compare, FileIdentity, Match};
use crate::ui::format::{self, visible};
use std::rc::Rc;
use yew::prelude::*;

/// What the hash is, for the tooltips.
pub const HASH_HELP: &str = "Short content hash: the first 12 hex digits of SHA-256 over the file's size and its first and last MiB (cheap on a 1 GB file; a change in the middle of a large file that keeps its size is not seen)";

#[derive(Properties, PartialEq)]
pub struct ExpectedFilesProps {
    pub expected: Rc<Vec<FileIdentity>>,
    pub loaded: Rc<Vec<FileIdentity>>,
    /// From an opened case file (else a link).
    pub from_case: bool,
    /// A selected event waits for the files.
    pub has_event: bool,
    pub on_dismiss: Callback<()>,
}

#[function_component]
pub fn ExpectedFiles(props: &ExpectedFilesProps) -> Html {
    let cmp = compare(&props.expected, &props.loaded);
    if props.expected.is_empty() || cmp.iter().all(|(m, _)| *m == Match::Same) {
        return html! {};
    }
    let nothing = props.loaded.is_empty();
    let what = if props.from_case {
        "This case was made on"
    } else {
        "This link expects"
    };
    let event = if props.has_event {
        ", the selected event"
    } else {
        ""
    };
    let rows = props.expected.iter().zip(cmp.iter()).map(|(e, (m, l))| {
        let (state, label) = match m {
            Match::Same => ("same", "loaded".to_string()),
            Match::Differs => (
                "differs",
                format!(
                    "the loaded file differs ({} bytes, hash {})",
                    l.map_or(0, |l| l.size),
                    l.map_or("", |l| l.hash.as_str())
                ),
            ),
            Match::Missing => ("missing", "not loaded".to_string()),
        };
        html! {
            <tr data-testid="expected-file" data-state={state} data-hash={e.hash.clone()} data-name={e.name.clone()}>
                <td class="name">{ visible(&e.name).into_owned() }</td>
                <td class="num" title={format!("{} bytes", e.size)}>{ format::bytes(e.size) }</td>
                <td class="mono" title={HASH_HELP}>{ &e.hash }</td>
                <td class={classes!("expected-state", state)}>{ label }</td>
            </tr>
        }
    });
    let dismiss = props.on_dismiss.reform(|_: MouseEvent| ());
    html! {
        <section class="banner note expected-files" role="status" data-testid="expected-files">
            <div class="expected-head">
                <h2>{ format!("{what} {}", if props.expected.len() == 1 { "this file" } else { "these files" }) }</h2>
                <span class="spacer"></span>
                <button class="button small ghost" onclick={dismiss} data-testid="expected-dismiss" title="Forget the expected files (the view stays as it is)">{"Dismiss"}</button>
            </div>
            <p class="small">{ if nothing {
                format!("Load them — drop them here or use Open files — and the view (filter, time range{event}, columns, time zone, tab) is restored. Matched by content, so a renamed copy is fine.")
            } else {
                "Some of the expected files are not loaded or differ: the view may not show what the link's author saw.".to_string()
            } }</p>
            <table class="grid expected-table">
                <thead><tr><th>{"File"}</th><th class="num">{"Size"}</th><th title={HASH_HELP}>{"Content hash"}</th><th>{"Here"}</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </section>
    }
}
