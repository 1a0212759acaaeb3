//! The case (issue 16 §2): pinned events with a note and tags, free-text notes, the
//! Markdown summary, export as one JSON file and opening one again.
//!
//! [`CaseState`] is the page state's case block: the case itself (`crate::case::Case`),
//! the loaded files' identities (from the worker's `FileIds`), the files a link or an
//! opened case expects, and what of the view waits for them (the view's parts, the
//! selected event). The case is kept in local storage under the identities of the loaded
//! files (`crate::case::ident::storage_key`), so it survives a reload; anything that drops
//! what the user wrote (unpinning, clearing the case, opening a case over it) keeps the
//! previous case for an Undo.

use crate::case::file::{parse_tags, Case, Pin};
use crate::case::ident::{self, FileIdentity};
use crate::case::view::EventRef;
use crate::ui::dom;
use crate::ui::format::visible;
use crate::web::protocol::Request;
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

/// What the event detail needs from the case (given as a context by the app).
#[derive(Clone, PartialEq)]
pub struct CaseCtx {
    /// The pinned events, as (auditID, stage).
    pub pinned: Rc<Vec<(String, String)>>,
    /// Pins (or, when pinned, unpins) an event: auditID, stage, time (µs), its JSON.
    pub on_pin: Callback<(String, String, i64, String)>,
}

/// The case block of the page state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CaseState {
    pub case: Rc<Case>,
    /// The loaded files' identities (the worker's latest `FileIds`).
    pub loaded: Rc<Vec<FileIdentity>>,
    /// The files a link or an opened case was made on.
    pub expected: Rc<Vec<FileIdentity>>,
    /// Where the expectation comes from: `true` a case file, `false` a link.
    pub expected_from_case: bool,
    /// An opened case's view, applied once its files are loaded.
    pub pending_view: Option<Rc<Vec<(String, String)>>>,
    /// The event to select once the files are loaded (a link's `ev`, a clicked pin).
    pub pending_ev: Option<EventRef>,
    /// The id of the `FindEvent` in flight.
    pub find_sent: u32,
    /// The case before the last change that dropped something, and what that change was.
    pub undo: Option<(String, Rc<Case>)>,
    /// Tags as typed, per pin (the parsed tags are in the case).
    pub drafts: Rc<BTreeMap<(String, String), String>>,
    /// The pane is folded.
    pub folded: bool,
    /// A message of the pane's own (opened a case, a refused file).
    pub message: Option<String>,
}

/// What can happen to the case.
#[derive(Clone, Debug, PartialEq)]
pub enum CaseAction {
    /// Pins an event (auditID, stage, time µs, its JSON text), or unpins it when pinned.
    TogglePin(String, String, i64, String),
    Unpin(String, String),
    SetNote(String, String, String),
    SetTags(String, String, String),
    SetNotes(String),
    /// Empties the case (after a confirmation; Undo brings it back).
    ClearCase,
    Undo,
    /// A dropped case file was read (its name and the case, or why it was refused).
    Open(String, Result<Case, String>),
    /// Selects a pinned event in Explore.
    Goto(EventRef),
    FindSent(u32),
    ToggleFold,
    /// Forgets the expected files (the user dismissed the notice).
    DismissExpected,
    DismissMessage,
}

/// The local-storage key of the case now: the loaded files', else the opened case's.
pub fn storage_key(s: &CaseState) -> Option<String> {
    if !s.loaded.is_empty() {
        Some(ident::storage_key(&s.loaded))
    } else if !s.case.files.is_empty() {
        Some(ident::storage_key(&s.case.files))
    } else {
        None
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The case kept for `key`, if any (a malformed entry is ignored).
pub fn load_stored(key: &str) -> Option<Case> {
    let text = storage()?.get_item(key).ok().flatten()?;
    Case::parse(text.as_bytes()).ok()
}

/// Keeps `case` under `key` (an empty case removes the entry).
pub fn store(key: &str, case: &Case) {
    if let Some(s) = storage() {
        if case.is_empty() {
            let _ = s.remove_item(key);
        } else {
            let _ = s.set_item(key, &case.to_json());
        }
    }
}

fn event_value(raw: &str) -> serde_json::Value {
    serde_json::from_str(raw).unwrap_or_else(|_| serde_json::Value::String(raw.to_string()))
}

impl CaseState {
    fn keep_undo(&mut self, what: String) {
        self.undo = Some((what, self.case.clone()));
    }

    /// The files the case is about: the loaded ones, else those it was made on.
    pub fn files(&self) -> Vec<FileIdentity> {
        if self.loaded.is_empty() {
            self.case.files.clone()
        } else {
            (*self.loaded).clone()
        }
    }

    /// The case as exported: with the view parts given and the files.
    pub fn exported(&self, view: &[(String, String)]) -> Case {
        let mut c = (*self.case).clone();
        c.view = crate::case::view::view_only(view).into_iter().collect();
        c.files = self.files();
        c
    }

    /// The worker sent the loaded files' identities: the case kept for them joins this one.
    pub fn on_file_ids(&mut self, ids: Vec<FileIdentity>) {
        self.loaded = Rc::new(ids);
        if self.loaded.is_empty() {
            return;
        }
        let key = ident::storage_key(&self.loaded);
        if let Some(stored) = load_stored(&key) {
            let mut c = (*self.case).clone();
            if c.is_empty() {
                c = stored;
            } else {
                c.merge(&stored);
            }
            self.case = Rc::new(c);
        }
        let mut c = (*self.case).clone();
        c.files = (*self.loaded).clone();
        self.case = Rc::new(c);
    }

    /// True when every expected file is loaded (or none is expected).
    pub fn expected_present(&self) -> bool {
        ident::all_present(&self.expected, &self.loaded)
    }

    pub fn reduce(&mut self, a: CaseAction) {
        let mut c = (*self.case).clone();
        match a {
            CaseAction::TogglePin(id, stage, t, raw) => {
                if c.pin(&id, &stage).is_some() {
                    return self.reduce(CaseAction::Unpin(id, stage));
                }
                c.add_pin(Pin::new(&id, &stage, t, event_value(&raw)));
                self.folded = false;
            }
            CaseAction::Unpin(id, stage) => {
                if c.remove_pin(&id, &stage).is_some() {
                    self.keep_undo(format!("Unpinned the {stage} event of {id}."));
                }
            }
            CaseAction::SetNote(id, stage, note) => {
                if let Some(p) = c.pins.iter_mut().find(|p| p.key() == (&id, &stage)) {
                    p.note = note;
                }
            }
            CaseAction::SetTags(id, stage, text) => {
                if let Some(p) = c.pins.iter_mut().find(|p| p.key() == (&id, &stage)) {
                    p.tags = parse_tags(&text);
                }
                let mut d = (*self.drafts).clone();
                d.insert((id, stage), text);
                self.drafts = Rc::new(d);
            }
            CaseAction::SetNotes(n) => c.notes = n,
            CaseAction::ClearCase => {
                self.keep_undo(format!(
                    "Cleared the case ({} pins and the notes).",
                    c.pins.len()
                ));
                c = Case {
                    files: c.files.clone(),
                    ..Case::default()
                };
                self.drafts = Rc::default();
            }
            CaseAction::Undo => {
                if let Some((_, old)) = self.undo.take() {
                    self.case = old;
                    self.drafts = Rc::default();
                }
                return;
            }
            CaseAction::Open(name, Err(e)) => {
                self.message = Some(format!("{name} was not opened as a case: {e}."));
                return;
            }
            CaseAction::Open(name, Ok(opened)) => {
                if !c.is_empty() {
                    self.keep_undo(format!("Opened {name} into the case."));
                }
                let r = c.merge(&opened);
                let mut m = format!(
                    "Opened the case {name}: {} pinned events ({} new)",
                    opened.pins.len(),
                    r.added
                );
                if r.combined > 0 || r.notes_combined {
                    m.push_str("; notes that differed were kept side by side");
                }
                m.push('.');
                self.message = Some(m);
                self.expected = Rc::new(opened.files.clone());
                self.expected_from_case = true;
                let parts: Vec<(String, String)> = opened.view.clone().into_iter().collect();
                self.pending_ev = crate::case::view::selected_event(&parts);
                self.pending_view = Some(Rc::new(parts));
                self.folded = false;
            }
            CaseAction::Goto(ev) => {
                self.pending_ev = Some(ev);
                return;
            }
            CaseAction::FindSent(id) => {
                self.find_sent = id;
                return;
            }
            CaseAction::ToggleFold => {
                self.folded = !self.folded;
                return;
            }
            CaseAction::DismissExpected => {
                self.expected = Rc::default();
                self.pending_view = None;
                return;
            }
            CaseAction::DismissMessage => {
                self.message = None;
                return;
            }
        }
        self.case = Rc::new(c);
    }
}

/// Sends `FindEvent` for the event waiting to be selected once the files it needs are
/// loaded and the current query has answered (its table index is then the one shown);
/// keeps the case in local storage.
#[hook]
pub fn use_case_sync(
    case: &CaseState,
    query_done: Option<u32>,
    send: Callback<Request>,
    dispatch: Callback<CaseAction>,
) {
    let next_id = use_mut_ref(|| 1_000_000u32);
    let ready = !case.loaded.is_empty() && case.pending_view.is_none() && query_done.is_some();
    use_effect_with(
        (case.pending_ev.clone(), ready, query_done),
        move |(ev, ready, _)| {
            if let (Some(ev), true) = (ev, *ready) {
                let id = {
                    let mut n = next_id.borrow_mut();
                    *n += 1;
                    *n
                };
                dispatch.emit(CaseAction::FindSent(id));
                send.emit(Request::FindEvent {
                    id,
                    audit_id: ev.audit_id.clone(),
                    stage: ev.stage.clone(),
                });
            }
        },
    );
    let key = storage_key(case);
    use_effect_with((case.case.clone(), key), |(c, key)| {
        if let Some(k) = key {
            store(k, c);
        }
    });
}

/// Multi-line text made safe to look at, line by line (newlines kept).
fn block(s: &str) -> String {
    s.lines().map(visible).collect::<Vec<_>>().join("\n")
}

fn text_blob(text: &str, mime: &str) -> Option<web_sys::Blob> {
    let parts = js_sys::Array::new();
    parts.push(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts).ok()
}

fn download_text(text: &str, mime: &str, name: &str) {
    if let Some(b) = text_blob(text, mime) {
        dom::download(&b, name);
    }
}

/// `audit-lens-case-2023-06-12.json`: the day of the first pinned event, else "empty".
fn file_stem(c: &Case) -> String {
    let day = c
        .pins
        .first()
        .and_then(|p| p.time.get(..10))
        .unwrap_or("empty")
        .to_string();
    format!("audit-lens-case-{day}")
}

#[derive(Properties, PartialEq)]
pub struct CasePaneProps {
    pub state: CaseState,
    pub dispatch: Callback<CaseAction>,
    /// The view as the URL hash has it (exported with the case).
    pub view: Rc<Vec<(String, String)>>,
    pub local_time: bool,
}

/// The case pane: notes, pins (click → that event in Explore), summary, export.
#[function_component]
pub fn CasePane(props: &CasePaneProps) -> Html {
    let st = &props.state;
    let c = &st.case;
    let d = props.dispatch.clone();
    let exported = st.exported(&props.view);
    let summary = crate::case::markdown(&exported);
    let on_export = {
        let (json, name) = (exported.to_json(), format!("{}.json", file_stem(&exported)));
        Callback::from(move |_: MouseEvent| download_text(&json, "application/json", &name))
    };
    let on_copy = {
        let s = summary.clone();
        Callback::from(move |_: MouseEvent| dom::copy_text(s.clone()))
    };
    let on_md = {
        let (s, name) = (
            summary.clone(),
            format!("{}-summary.md", file_stem(&exported)),
        );
        Callback::from(move |_: MouseEvent| download_text(&s, "text/markdown", &name))
    };
    let on_clear = {
        let d = d.clone();
        let n = c.pins.len();
        Callback::from(move |_: MouseEvent| {
            let ok = web_sys::window()
                .and_then(|w| {
                    w.confirm_with_message(&format!(
                        "Clear the case: {n} pinned events and the notes? (Undo brings them back.)"
                    ))
                    .ok()
                })
                .unwrap_or(false);
            if ok {
                d.emit(CaseAction::ClearCase);
            }
        })
    };
    let on_notes = d.reform(|e: InputEvent| {
        let t: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
        CaseAction::SetNotes(t.value())
    });
    let fold = d.reform(|_: MouseEvent| CaseAction::ToggleFold);
    let files_loaded = !st.loaded.is_empty();
    let pins = c.pins.iter().map(|p| {
        let (id, stage) = (p.audit_id.clone(), p.stage.clone());
        let e = &p.event;
        let who = crate::case::summary::who(e);
        let obj = crate::case::summary::object(e);
        let verb = e.get("verb").and_then(|v| v.as_str()).unwrap_or("?").to_string();
        let code = e
            .get("responseStatus")
            .and_then(|r| r.get("code"))
            .and_then(|c| c.as_i64())
            .map_or(String::new(), |c| format!(" → {c}"));
        let time = dom::time_ms(p.time_us(), props.local_time);
        let go = {
            let ev = EventRef { audit_id: id.clone(), stage: stage.clone() };
            d.reform(move |_: MouseEvent| CaseAction::Goto(ev.clone()))
        };
        let on_note = {
            let (id, stage) = (id.clone(), stage.clone());
            d.reform(move |e: InputEvent| {
                let t: web_sys::HtmlInputElement = e.target_unchecked_into();
                CaseAction::SetNote(id.clone(), stage.clone(), t.value())
            })
        };
        let on_tags = {
            let (id, stage) = (id.clone(), stage.clone());
            d.reform(move |e: InputEvent| {
                let t: web_sys::HtmlInputElement = e.target_unchecked_into();
                CaseAction::SetTags(id.clone(), stage.clone(), t.value())
            })
        };
        let unpin = {
            let (id, stage) = (id.clone(), stage.clone());
            d.reform(move |_: MouseEvent| CaseAction::Unpin(id.clone(), stage.clone()))
        };
        let tags_text = st
            .drafts
            .get(&(id.clone(), stage.clone()))
            .cloned()
            .unwrap_or_else(|| p.tags.join(", "));
        let json = serde_json::to_string_pretty(e).unwrap_or_default();
        html! {
            <li class="case-pin" data-testid="case-pin" data-audit-id={id.clone()} data-stage={stage.clone()}>
                <div class="case-pin-head">
                    <button class="linkish case-pin-go" onclick={go} data-testid="pin-go" disabled={!files_loaded}
                        title={if files_loaded { "Show this event in Explore" } else { "Load the case's files to show this event in Explore; its JSON is below" }}>
                        <span class="mono muted">{ time }</span>{" "}
                        <b>{ visible(&who).into_owned() }</b>{" "}{ verb.clone() }{" "}
                        <span class="mono">{ visible(&obj).into_owned() }</span>{ code }
                    </button>
                    <button class="button small ghost" onclick={unpin} data-testid="pin-remove" title="Unpin (Undo brings it back)" aria-label="Unpin">{"✕"}</button>
                </div>
                <div class="case-pin-fields">
                    <label class="sr-only" for={format!("note-{id}-{stage}")}>{"Note"}</label>
                    <input id={format!("note-{id}-{stage}")} class="case-pin-note" type="text" placeholder="Note on this event" value={p.note.clone()} oninput={on_note} data-testid="pin-note" />
                    <label class="sr-only" for={format!("tags-{id}-{stage}")}>{"Tags"}</label>
                    <input id={format!("tags-{id}-{stage}")} class="case-pin-tags" type="text" placeholder="tags, comma separated" value={tags_text} oninput={on_tags} data-testid="pin-tags" />
                </div>
                if !files_loaded {
                    <details class="case-pin-json"><summary>{"Event JSON (from the case file)"}</summary><pre class="mono">{ block(&json) }</pre></details>
                }
            </li>
        }
    });
    let undo = st.undo.as_ref().map(|(what, _)| {
        html! {
            <div class="banner note case-undo" role="status" data-testid="case-undo">
                <span>{ what.clone() }</span>
                <button class="button small" onclick={d.reform(|_: MouseEvent| CaseAction::Undo)} data-testid="case-undo-button">{"Undo"}</button>
            </div>
        }
    });
    let message = st.message.clone().map(|m| {
        html! {
            <div class="banner note" role="status" data-testid="case-message">
                <span>{ m }</span>
                <button class="button small ghost" onclick={d.reform(|_: MouseEvent| CaseAction::DismissMessage)} aria-label="Dismiss">{"✕"}</button>
            </div>
        }
    });
    html! {
        <section class="panel case-pane" data-testid="case-pane" data-pins={c.pins.len().to_string()} aria-label="Case">
            <div class="panel-head">
                <button class="button small ghost" onclick={fold} aria-expanded={(!st.folded).to_string()} title="Fold or unfold the case">{ if st.folded { "▸" } else { "▾" } }</button>
                <h2>{"Case"}</h2>
                <span class="muted small">{ match c.pins.len() { 0 => "no pinned events — pin one from an event's detail".to_string(), 1 => "1 pinned event".into(), n => format!("{n} pinned events") } }</span>
                <span class="spacer"></span>
                <button class="button small" onclick={on_copy} data-testid="case-copy-summary" disabled={c.is_empty()} title="Copy the Markdown incident summary: the pinned events as a timeline, who, objects, your notes">{"Copy summary"}</button>
                <button class="button small ghost" onclick={on_md} data-testid="case-summary-download" disabled={c.is_empty()} title="Download the Markdown incident summary">{"Summary .md"}</button>
                <button class="button small primary" onclick={on_export} data-testid="case-export" disabled={c.is_empty()}
                    title="Download the case as one JSON file: the view, the pinned events themselves, your notes and tags, and the files' identities. Drop it on this page later to open it again. It holds the pinned events' contents.">{"Export case"}</button>
                <button class="button small ghost" onclick={on_clear} data-testid="case-clear" disabled={c.is_empty()} title="Remove every pin and the notes (asks first; Undo brings them back)">{"Clear case"}</button>
            </div>
            { for message }
            { for undo }
            if !st.folded {
                <div class="case-body">
                    <label class="case-notes-label" for="case-notes">{"Case notes"}</label>
                    <textarea id="case-notes" class="case-notes" data-testid="case-notes" rows="3" placeholder="What happened, what to check next, who to tell… (kept in this browser for these files, and in the exported case)"
                        value={c.notes.clone()} oninput={on_notes} />
                    if !c.pins.is_empty() {
                        <ol class="case-pins" data-testid="case-pins">{ for pins }</ol>
                    }
                    if !c.is_empty() {
                        <details class="case-summary-box">
                            <summary>{"Markdown summary"}</summary>
                            <pre class="mono case-summary" data-testid="case-summary">{ block(&summary) }</pre>
                        </details>
                    }
                </div>
            }
        </section>
    }
}
