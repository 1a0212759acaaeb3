//! A problem, shown at the top of the work area in plain words, until dismissed.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ErrorBannerProps {
    pub message: AttrValue,
    pub on_dismiss: Callback<()>,
}

#[function_component]
pub fn ErrorBanner(props: &ErrorBannerProps) -> Html {
    let dismiss = props.on_dismiss.reform(|_: MouseEvent| ());
    html! {
        <div class="banner error" role="alert" data-testid="error">
            <span class="banner-text">{ props.message.clone() }</span>
            if &*props.message == crate::ui::state::ENGINE_STALLED {
                // A dead engine answers nothing (not even Cancel): a fresh page is the way out.
                <button class="button small" onclick={Callback::from(|_: MouseEvent| {
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().reload();
                    }
                })} data-testid="reload-page">{"Reload the page"}</button>
            }
            <button class="button small ghost" onclick={dismiss} aria-label="Dismiss this message">{"Dismiss"}</button>
        </div>
    }
}
