//! The top bar: the name, the view tabs (once something is loaded), engine status, help.

use crate::ui::state::Tab;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    pub tab: Tab,
    pub show_tabs: bool,
    /// The engine version once the worker runs.
    pub engine: Option<AttrValue>,
    pub on_tab: Callback<Tab>,
    pub on_help: Callback<()>,
}

#[function_component]
pub fn Header(props: &HeaderProps) -> Html {
    let help = props.on_help.reform(|_: MouseEvent| ());
    let (status_class, status) = match &props.engine {
        Some(v) => ("ready", format!("engine {v} · local")),
        None => ("", "engine starting…".to_string()),
    };
    html! {
        <header class="topbar">
            <span class="brand">{"Audit Lens"}</span>
            <nav class="tabs" role="tablist" aria-label="Views">
                if props.show_tabs {
                    { for Tab::ALL.iter().map(|t| {
                        let t = *t;
                        // The tabs with a key of their own (`1`, `2`).
                        let key = match t {
                            Tab::Explore => " (1)",
                            Tab::Policy => " (2)",
                            _ => "",
                        };
                        let on_tab = props.on_tab.reform(move |_: MouseEvent| t);
                        html! {
                            <button role="tab" class="tab" aria-selected={(props.tab == t).to_string()}
                                    data-testid={format!("tab-{}", t.label().to_lowercase())} onclick={on_tab}
                                    title={format!("{}{key}", t.label())}>{ t.label() }</button>
                        }
                    }) }
                }
            </nav>
            <span class="spacer"></span>
            <span class={classes!("engine", status_class)} data-testid="engine-status" title="Everything runs in this tab; nothing is uploaded">{ status }</span>
            <button class="button small ghost" onclick={help} aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)">{"?"}</button>
        </header>
    }
}

#[derive(Properties, PartialEq)]
pub struct ClearProps {
    /// Called once the user confirmed.
    pub on_clear: Callback<()>,
}

/// "Clear" with a confirm step in the page (issue 16 §6): the first click asks, the
/// second (Clear all) forgets the files and the policy; Cancel or Escape keeps them.
/// Focus goes to Cancel, so Enter or Space after a stray click keeps everything.
#[function_component]
pub fn ClearButton(props: &ClearProps) -> Html {
    let asking = use_state(|| false);
    let cancel_ref = use_node_ref();
    {
        let cancel_ref = cancel_ref.clone();
        use_effect_with(*asking, move |on| {
            if *on {
                if let Some(b) = cancel_ref.cast::<web_sys::HtmlElement>() {
                    let _ = b.focus();
                }
            }
        });
    }
    let set = |v: bool| {
        let asking = asking.clone();
        Callback::from(move |_: MouseEvent| asking.set(v))
    };
    if !*asking {
        return html! {
            <button class="button ghost" data-testid="clear" onclick={set(true)}
                    title="Forget all loaded files and the policy (asks first)">{"Clear"}</button>
        };
    }
    let confirm = {
        let (asking, on_clear) = (asking.clone(), props.on_clear.clone());
        Callback::from(move |_: MouseEvent| {
            asking.set(false);
            on_clear.emit(());
        })
    };
    let on_key = {
        let asking = asking.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                e.stop_propagation();
                asking.set(false);
            }
        })
    };
    html! {
        <span class="clear-ask" role="group" aria-label="Clear everything?" data-testid="clear-ask" onkeydown={on_key}>
            <span class="small">{"Forget all loaded files and the policy? Nothing is kept."}</span>
            <button class="button small danger" data-testid="clear-confirm" onclick={confirm}>{"Clear all"}</button>
            <button ref={cancel_ref} class="button small" data-testid="clear-cancel" onclick={set(false)}>{"Cancel"}</button>
        </span>
    }
}
