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
            <button class="button small ghost" onclick={dismiss} aria-label="Dismiss this message">{"Dismiss"}</button>
        </div>
    }
}
