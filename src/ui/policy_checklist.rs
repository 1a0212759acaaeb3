//! The security checklist: what a reviewer asks of an audit policy, each with pass/warn
//! and the rules that decide it (click one to see it in the editor).

use crate::web::protocol::{CheckItem, Outcome};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ChecklistProps {
    pub items: Rc<Vec<CheckItem>>,
    pub on_rule: Callback<usize>,
}

#[function_component]
pub fn Checklist(props: &ChecklistProps) -> Html {
    let warns = props
        .items
        .iter()
        .filter(|c| c.outcome == Outcome::Warn)
        .count();
    html! {
        <ul class="checklist" data-testid="security-checklist" data-warnings={warns.to_string()}>
            { for props.items.iter().map(|c| {
                let pass = c.outcome == Outcome::Pass;
                html! {
                    <li class={classes!("check", if pass { "pass" } else { "warn" })} data-check={c.id.clone()}
                        data-outcome={if pass { "pass" } else { "warn" }}>
                        <span class="check-mark" aria-label={if pass { "pass" } else { "warning" }}>{ if pass { "✓ pass" } else { "! warn" } }</span>
                        <span class="check-title">{ &c.title }</span>
                        <span class="check-rules">
                            { for c.rules.iter().map(|r| {
                                let r = *r;
                                let onclick = props.on_rule.reform(move |_: MouseEvent| r);
                                html! { <button class="button small ghost mono" {onclick} title={format!("Show rule {r} in the editor")}>{ format!("rule #{r}") }</button> }
                            }) }
                        </span>
                        if !c.detail.is_empty() { <span class="check-detail muted">{ &c.detail }</span> }
                    </li>
                }
            }) }
        </ul>
    }
}
