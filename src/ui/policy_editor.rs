//! The policy editor: a plain `<textarea>` over a highlighted copy of its text, with a
//! gutter of line numbers and finding marks.
//!
//! Both layers sit in one scrolling box and have the same font, padding and line height,
//! and the text area is as large as its text (it never scrolls itself), so the colours stay
//! under the characters without any scroll syncing. The text area is uncontrolled: Yew
//! never writes its value while the user types; the text is replaced only when `reset`
//! changes (a file, the template, a restore, the other slot).

use crate::ui::policy_highlight::{highlight_line, Tok};
use crate::web::protocol::DiagnosticView;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub text: AttrValue,
    /// Changes when the text was replaced from outside (the text area takes `text` then).
    pub reset: u64,
    /// Findings, shown in the gutter and on their lines.
    pub diagnostics: Rc<Vec<DiagnosticView>>,
    /// 1-based line range of the selected rule.
    #[prop_or_default]
    pub selected: Option<(u32, u32)>,
    /// Move the caret to this line (the counter makes repeats distinct).
    #[prop_or_default]
    pub jump: Option<(u32, u64)>,
    pub on_input: Callback<String>,
    /// Accessible name of the text area.
    pub label: AttrValue,
}

/// Byte offset of the start of 1-based `line` in `text` (the end when past it).
pub fn line_start(text: &str, line: u32) -> usize {
    if line <= 1 {
        return 0;
    }
    text.match_indices('\n')
        .nth(line as usize - 2)
        .map_or(text.len(), |(i, _)| i + 1)
}

/// UTF-16 offset of byte offset `byte` (the text area counts in UTF-16 units).
fn utf16_offset(text: &str, byte: usize) -> u32 {
    text[..byte.min(text.len())].encode_utf16().count() as u32
}

/// Moves the caret to the start of `line`, focuses the text area and scrolls the line
/// into view.
pub fn go_to_line(area: &HtmlTextAreaElement, line: u32) {
    let text = area.value();
    let at = utf16_offset(&text, line_start(&text, line));
    let _ = area.focus();
    let _ = area.set_selection_range(at, at);
    let doc = web_sys::window().and_then(|w| w.document());
    if let Some(el) = doc.and_then(|d| d.get_element_by_id(&format!("policy-line-{line}"))) {
        if let Ok(el) = el.dyn_into::<HtmlElement>() {
            // Centre it in the editor's scrolling box, without moving the page.
            if let Some(scroller) = el.closest(".ed-scroll").ok().flatten() {
                let top = el.offset_top() - scroller.client_height() / 2;
                scroller.set_scroll_top(top.max(0));
            }
        }
    }
}

#[function_component]
pub fn PolicyEditor(props: &EditorProps) -> Html {
    let area = use_node_ref();
    // Replace the text area's content when the text comes from outside.
    {
        let (area, text) = (area.clone(), props.text.clone());
        use_effect_with(props.reset, move |_| {
            if let Some(a) = area.cast::<HtmlTextAreaElement>() {
                if a.value() != *text {
                    a.set_value(&text);
                }
            }
        });
    }
    {
        let area = area.clone();
        use_effect_with(props.jump, move |jump| {
            if let (Some((line, _)), Some(a)) = (jump, area.cast::<HtmlTextAreaElement>()) {
                go_to_line(&a, *line);
            }
        });
    }
    let oninput = {
        let cb = props.on_input.clone();
        Callback::from(move |e: InputEvent| {
            let a: HtmlTextAreaElement = e.target_unchecked_into();
            cb.emit(a.value());
        })
    };
    // Tab inserts two spaces (YAML has no tabs); Esc (then Tab) or Shift+Tab leaves the
    // editor, so the keyboard is never trapped in it.
    let onkeydown = Callback::from(|e: KeyboardEvent| {
        if e.key() == "Escape" {
            let a: HtmlTextAreaElement = e.target_unchecked_into();
            let _ = a.blur();
            return;
        }
        if e.key() == "Tab" && !e.shift_key() && !e.ctrl_key() && !e.alt_key() {
            let a: HtmlTextAreaElement = e.target_unchecked_into();
            e.prevent_default();
            if let (Ok(Some(start)), Ok(Some(end))) = (a.selection_start(), a.selection_end()) {
                let _ = a.set_range_text_with_start_and_end("  ", start, end);
                let _ = a.set_selection_range(start + 2, start + 2);
                if let Ok(ev) = web_sys::Event::new("input") {
                    let _ = a.dispatch_event(&ev);
                }
            }
        }
    });

    // Findings per line: the worst severity and the messages.
    let mut marks: HashMap<u32, (bool, Vec<String>)> = HashMap::new();
    for d in props.diagnostics.iter().filter(|d| d.line > 0) {
        let m = marks.entry(d.line).or_insert((false, Vec::new()));
        m.0 |= d.severity == "error";
        m.1.push(format!("{}: {}", d.severity, d.message));
    }
    let text = &*props.text;
    let lines: Vec<&str> = text.split('\n').collect();
    let n = lines.len();
    let in_sel = |l: u32| props.selected.is_some_and(|(a, b)| l >= a && l <= b);
    let gutter = (1..=n as u32).map(|l| {
        let mark = marks.get(&l);
        let class = classes!(
            "ed-ln",
            mark.map(|m| if m.0 { "err" } else { "warn" }),
            in_sel(l).then_some("sel")
        );
        let title = mark.map(|m| m.1.join("\n"));
        html! { <div {class} {title} data-line={l.to_string()}>{ l }</div> }
    });
    let overlay = lines.iter().enumerate().map(|(i, line)| {
        let l = i as u32 + 1;
        let mark = marks.get(&l);
        let class = classes!(
            "ed-line",
            mark.map(|m| if m.0 { "err" } else { "warn" }),
            in_sel(l).then_some("sel")
        );
        let spans = highlight_line(line).into_iter().map(|(t, r)| {
            let s = &line[r];
            if t == Tok::Plain {
                html! { { s } }
            } else {
                html! { <span class={t.class()}>{ s }</span> }
            }
        });
        html! { <div id={format!("policy-line-{l}")} {class}>{ for spans }{"\u{200b}"}</div> }
    });
    let longest = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    html! {
        <div class="ed-scroll">
            <div class="ed-grid">
                <div class="ed-gutter" aria-hidden="true">{ for gutter }</div>
                <div class="ed-body">
                    <pre class="ed-hl" aria-hidden="true">{ for overlay }</pre>
                    <textarea ref={area} class="ed-input" data-testid="policy-editor" aria-label={props.label.clone()}
                              spellcheck="false" autocomplete="off" autocapitalize="off" wrap="off"
                              rows={(n + 1).to_string()} cols={(longest + 4).to_string()}
                              {oninput} {onkeydown} />
                </div>
            </div>
        </div>
    }
}
