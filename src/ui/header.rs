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
