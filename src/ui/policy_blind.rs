//! "What this policy blinds": the detection rules that could no longer fire under the
//! edited policy (for which kinds of identity, because of which rule), and the events of
//! this log's findings it would have dropped or recorded without what the rule reads.

use crate::detect::blind::BlindReport;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct BlindProps {
    pub blind: Rc<BlindReport>,
    /// Selects a rule of the policy (0-based) in the editor.
    pub on_rule: Callback<usize>,
}

#[function_component]
pub fn BlindView(props: &BlindProps) -> Html {
    let b = &props.blind;
    let blind_rules = b.rules.iter().filter(|r| !r.kinds.is_empty()).count();
    let summary = if b.rules.is_empty() {
        format!(
            "Every one of the {} detection rules can still fire: the policy records what each reads, for every kind of identity.",
            b.checked
        )
    } else {
        let mut s = format!(
            "{blind_rules} of the {} detection rules could no longer fire for some identities",
            b.checked
        );
        if b.findings > 0 {
            s.push_str(&format!(
                "; {} of this log's {} findings could not have been made",
                b.lost_findings, b.findings
            ));
        }
        s.push('.');
        s
    };
    html! {
        <div class="blind" data-testid="blind-summary" data-blind-rules={blind_rules.to_string()}
             data-lost-findings={b.lost_findings.to_string()}>
            <p class="small">{ summary }</p>
            if !b.rules.is_empty() {
                <ul class="blind-list">
                    { for b.rules.iter().map(|r| {
                        let kinds: Vec<&str> = r.kinds.iter().map(|k| k.as_str()).collect();
                        let who = if kinds.is_empty() {
                            "still fires".to_string()
                        } else {
                            format!("blind for {}", kinds.join(", "))
                        };
                        let events = (r.found_events > 0).then(|| format!(
                            "of the {} events it found here: {} not recorded, {} recorded without what it reads",
                            r.found_events, r.dropped_events, r.stripped_events
                        ));
                        let rules = r.rules.clone();
                        html! {
                            <li class="blind-row" data-testid="blind-row" data-id={r.id.clone()}
                                data-kinds={kinds.join(",")} data-dropped={r.dropped_events.to_string()}
                                data-stripped={r.stripped_events.to_string()}>
                                <span class={classes!("sev-badge", format!("sev-{}", r.severity.as_str()))}>{ r.severity.as_str() }</span>
                                <span class="blind-title">{ &r.title }</span>
                                <span class={classes!("blind-who", (!r.kinds.is_empty()).then_some("fail"))}>{ who }</span>
                                if !r.why.is_empty() {
                                    <span class="blind-why muted">{ crate::ui::policy_checklist::with_code(&r.why) }
                                        { for rules.iter().take(3).map(|&i| {
                                            let cb = props.on_rule.clone();
                                            html! { <button class="button small" onclick={Callback::from(move |_| cb.emit(i))}>{ format!("rule {i}") }</button> }
                                        }) }
                                    </span>
                                }
                                if let Some(e) = events { <span class="blind-why">{ e }</span> }
                            </li>
                        }
                    }) }
                </ul>
            }
        </div>
    }
}
