//! The Policy view: the loaded policy's text with line numbers and the engine's findings
//! (`policy-errors`), each pointing at its line.

use crate::web::protocol::{DiagnosticView, PolicyReport};
use std::collections::HashSet;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PolicyViewProps {
    pub policy: Option<Rc<PolicyReport>>,
    /// Opens the policy file picker.
    pub on_pick: Callback<()>,
}

fn diagnostic(d: &DiagnosticView) -> Html {
    let at = match (d.line, d.column) {
        (0, _) => String::new(),
        (l, 0) => format!("line {l}"),
        (l, c) => format!("line {l}:{c}"),
    };
    let rule = d.rule.map(|r| format!("rule {r}")).unwrap_or_default();
    html! {
        <li class={classes!("diag", d.severity.clone())} data-line={d.line.to_string()} data-severity={d.severity.clone()}>
            <span class="diag-sev">{ &d.severity }</span>
            <a class="diag-at mono" href={format!("#policy-line-{}", d.line)}>{ at }</a>
            <span class="diag-rule muted">{ rule }</span>
            <span class="diag-msg">{ &d.message }</span>
            <span class="diag-code muted mono">{ &d.code }</span>
        </li>
    }
}

#[function_component]
pub fn PolicyView(props: &PolicyViewProps) -> Html {
    let Some(p) = &props.policy else {
        let pick = props.on_pick.reform(|_: MouseEvent| ());
        return html! {
            <div class="empty">
                <p>{"No policy loaded. Drop an audit policy (YAML, kind: Policy) or pick one."}</p>
                <button class="button primary" onclick={pick}>{"Load policy…"}</button>
            </div>
        };
    };
    let marked: HashSet<u32> = p
        .diagnostics
        .iter()
        .map(|d| d.line)
        .filter(|l| *l > 0)
        .collect();
    let errors = p
        .diagnostics
        .iter()
        .filter(|d| d.severity == "error")
        .count();
    let n_errors = match errors {
        1 => "1 error".to_string(),
        n => format!("{n} errors"),
    };
    let status = match (p.rules, p.valid) {
        (Some(n), true) => format!("{n} rules · valid"),
        (Some(n), false) => format!("{n} rules · {n_errors}"),
        (None, _) => format!("not usable · {n_errors}"),
    };
    html! {
        <div class="policy">
            <section class="panel">
                <h2>{ &p.name }<span class={classes!("badge", if p.valid { "ok" } else { "bad" })}>{ status }</span></h2>
                <ul class="diagnostics" data-testid="policy-errors" data-count={p.diagnostics.len().to_string()}
                    data-errors={errors.to_string()} aria-label="Policy problems">
                    if p.diagnostics.is_empty() {
                        <li class="diag ok">{"No problems found."}</li>
                    }
                    { for p.diagnostics.iter().map(diagnostic) }
                </ul>
            </section>
            <section class="panel">
                <pre class="source" aria-label="Policy text">
                    { for p.text.lines().enumerate().map(|(i, line)| {
                        let n = i as u32 + 1;
                        html! {
                            <div id={format!("policy-line-{n}")} class={classes!("src-line", marked.contains(&n).then_some("marked"))}>
                                <span class="ln">{ n }</span><span class="code">{ line }</span>
                            </div>
                        }
                    }) }
                </pre>
            </section>
        </div>
    }
}
