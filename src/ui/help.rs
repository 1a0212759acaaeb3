//! The keyboard shortcut list (`?`).

use crate::ui::keys::SHORTCUTS;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HelpProps {
    pub on_close: Callback<()>,
}

#[function_component]
pub fn HelpDialog(props: &HelpProps) -> Html {
    let close = props.on_close.reform(|_: MouseEvent| ());
    let backdrop = props.on_close.reform(|_: MouseEvent| ());
    let stop = Callback::from(|e: MouseEvent| e.stop_propagation());
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
                <p class="muted">{"Everything happens in this browser tab: files are read locally and never uploaded."}</p>
                <button class="button" onclick={close} autofocus=true>{"Close"}</button>
            </div>
        </div>
    }
}
