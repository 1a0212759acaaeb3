//! The keyboard shortcut list (`?`).

use crate::ui::keys::SHORTCUTS;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HelpProps {
    pub on_close: Callback<()>,
    /// Whether one-character shortcuts are on.
    pub single_keys: bool,
    pub on_single_keys: Callback<bool>,
}

#[function_component]
pub fn HelpDialog(props: &HelpProps) -> Html {
    let close = props.on_close.reform(|_: MouseEvent| ());
    let backdrop = props.on_close.reform(|_: MouseEvent| ());
    let stop = Callback::from(|e: MouseEvent| e.stop_propagation());
    let flip = {
        let (on, cb) = (props.single_keys, props.on_single_keys.clone());
        Callback::from(move |_: Event| cb.emit(!on))
    };
    html! {
        <div class="backdrop" onclick={backdrop}>
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="help-title" data-testid="help" onclick={stop}>
                <h2 id="help-title">{"Keyboard shortcuts"}</h2>
                <table class="shortcuts">
                    <tbody>
                    { for SHORTCUTS.iter().map(|(k, what)| html! {
                        <tr><td><kbd>{ *k }</kbd></td><td>{ *what }</td></tr>
                    }) }
                    </tbody>
                </table>
                <label class="small"><input type="checkbox" checked={props.single_keys} onchange={flip} data-testid="single-key-shortcuts" />{" Single-key shortcuts (? / o p s 1 2 j k). Off: only Esc and the keys of the focused event table act; the choice is remembered in this browser."}</label>
                <p class="muted">{"Everything happens in this browser tab: files are read locally and never uploaded."}</p>
                <button class="button" onclick={close} autofocus=true>{"Close"}</button>
            </div>
        </div>
    }
}
