//! Page-wide keyboard shortcuts: a hook that listens on `document` for the page's life.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::KeyboardEvent;
use yew::prelude::*;

use crate::view::KeyTarget;
pub use crate::view::SHORTCUTS;

/// Local-storage key of the single-key shortcut switch ("off" turns them off).
const SINGLE_KEYS: &str = "audit-lens.single-key-shortcuts";

/// Whether one-character shortcuts are on (the default), as the user last chose.
pub fn single_keys_on() -> bool {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|st| st.get_item(SINGLE_KEYS).ok().flatten())
        .is_none_or(|v| v != "off")
}

/// Remembers the user's choice for [`single_keys_on`].
pub fn set_single_keys(on: bool) {
    if let Some(st) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = st.set_item(SINGLE_KEYS, if on { "on" } else { "off" });
    }
}

/// What kind of element the key press went to (see [`crate::view::key_action`]).
pub fn key_target(e: &KeyboardEvent) -> KeyTarget {
    let Some(el) = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return KeyTarget::Page;
    };
    if typing_in_field(e) {
        return KeyTarget::Field;
    }
    if el
        .closest("[data-testid=event-table]")
        .ok()
        .flatten()
        .is_some()
    {
        return KeyTarget::Table;
    }
    let control = matches!(
        el.tag_name().as_str(),
        "BUTTON" | "A" | "SUMMARY" | "LABEL" | "INPUT"
    ) || el.get_attribute("role").is_some_and(|r| {
        matches!(
            r.as_str(),
            "button" | "tab" | "link" | "checkbox" | "option" | "menuitem"
        )
    });
    if control {
        KeyTarget::Control
    } else {
        KeyTarget::Page
    }
}

/// True when the key press belongs to a text field (shortcuts must not steal typing).
pub fn typing_in_field(e: &KeyboardEvent) -> bool {
    let Some(el) = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return false;
    };
    let text_input = el.tag_name() == "INPUT"
        && !matches!(
            el.get_attribute("type")
                .unwrap_or_default()
                .to_ascii_lowercase()
                .as_str(),
            "checkbox" | "radio" | "button" | "submit" | "reset" | "range" | "color" | "file"
        );
    text_input
        || matches!(el.tag_name().as_str(), "TEXTAREA" | "SELECT")
        || el.has_attribute("contenteditable")
}

/// Calls `on_key` for every `keydown` on the document that is not typed into a field and
/// has no Ctrl/Meta/Alt modifier (what it does is [`crate::view::key_action`]'s call). The
/// listener is removed when the component unmounts.
#[hook]
pub fn use_global_keys(on_key: Callback<KeyboardEvent>) {
    use_effect_with((), move |_| {
        let closure = Closure::<dyn Fn(KeyboardEvent)>::new(move |e: KeyboardEvent| {
            if e.ctrl_key() || e.meta_key() || e.alt_key() || typing_in_field(&e) {
                return;
            }
            on_key.emit(e);
        });
        let doc = web_sys::window().and_then(|w| w.document());
        if let Some(doc) = &doc {
            let _ =
                doc.add_event_listener_with_callback("keydown", closure.as_ref().unchecked_ref());
        }
        move || {
            if let Some(doc) = doc {
                let _ = doc.remove_event_listener_with_callback(
                    "keydown",
                    closure.as_ref().unchecked_ref(),
                );
            }
        }
    });
}
