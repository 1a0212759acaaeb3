//! Page-wide keyboard shortcuts: a hook that listens on `document` for the page's life.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::KeyboardEvent;
use yew::prelude::*;

/// The shortcuts, as the help dialog lists them: (keys, what they do).
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("?", "Show or hide this list"),
    ("/", "Focus the filter (Explore)"),
    ("o", "Open log or policy files"),
    ("p", "Load a policy file"),
    ("s", "Load the sample"),
    ("1 / 2", "Explore / Policy"),
    (
        "Esc",
        "Close this list; in the policy editor, leave the editor",
    ),
    ("Tab", "In the policy editor: indent by two spaces"),
];

/// True when the key press belongs to a text field (shortcuts must not steal typing).
pub fn typing_in_field(e: &KeyboardEvent) -> bool {
    let Some(el) = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return false;
    };
    matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
        || el.has_attribute("contenteditable")
}

/// Calls `on_key` for every `keydown` on the document that is not typed into a field and
/// has no Ctrl/Meta/Alt modifier. The listener is removed when the component unmounts.
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
