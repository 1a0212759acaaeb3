//! The Policy view: the policy workbench. An editor with live validation (findings inline
//! and in `policy-errors`), the security checklist, and — with a log loaded — what each
//! rule takes (`coverage-row`), the level matrix and resource map, and the what-if volume
//! and retention (`volume-summary`). Everything is computed in the worker; the text is
//! kept in this browser only.

use crate::ui::policy_checklist::Checklist;
use crate::ui::policy_coverage::{CoverageMapView, CoverageTable, LevelMatrix};
use crate::ui::policy_editor::PolicyEditor;
use crate::ui::policy_state::{
    Compare, PolicyAction, Slot, Workbench, DEFAULT_KUBE_MINOR, KUBE_MINORS,
};
use crate::ui::policy_whatif::WhatIfView;
use crate::web::protocol::DiagnosticView;
use std::rc::Rc;
use wasm_bindgen::JsCast;

/// The `value` of a `<select>` that fired `e`.
fn select_value(e: &Event) -> String {
    e.target()
        .and_then(|t| js_sys::Reflect::get(&t, &"value".into()).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PolicyViewProps {
    pub workbench: Workbench,
    /// A log is loaded (coverage and what-if need one).
    pub has_log: bool,
    pub on_action: Callback<PolicyAction>,
    /// Show the events of rule N in Explore.
    pub on_explore_rule: Callback<usize>,
    /// Opens the policy file picker.
    pub on_pick: Callback<()>,
}

fn diagnostic(d: &DiagnosticView, on_jump: &Callback<PolicyAction>) -> Html {
    let at = match (d.line, d.column) {
        (0, _) => String::new(),
        (l, 0) => format!("line {l}"),
        (l, c) => format!("line {l}:{c}"),
    };
    let rule = d.rule.map(|r| format!("rule #{r}")).unwrap_or_default();
    let line = d.line;
    let onclick = on_jump.reform(move |_: MouseEvent| PolicyAction::JumpTo(line));
    html! {
        <li class={classes!("diag", d.severity.clone())} data-line={d.line.to_string()} data-severity={d.severity.clone()}>
            <span class="diag-sev">{ &d.severity }</span>
            if line > 0 {
                <button class="diag-at mono linkish" {onclick} title="Go to this line">{ at }</button>
            } else { <span></span> }
            <span class="diag-rule muted">{ rule }</span>
            <span class="diag-msg">{ &d.message }</span>
            <span class="diag-code muted mono">{ &d.code }</span>
        </li>
    }
}

/// Saves `text` as a file named `name` (a Blob and a temporary link; nothing is sent).
pub fn download(name: &str, text: &str) {
    let parts = js_sys::Array::of1(&text.into());
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("application/yaml");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let doc = web_sys::window().and_then(|w| w.document());
    if let Some(a) = doc
        .and_then(|d| d.create_element("a").ok())
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    // Revoke later: the download starts asynchronously.
    let cb = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(w) = web_sys::window() {
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), 10_000);
    }
}

#[function_component]
pub fn PolicyView(props: &PolicyViewProps) -> Html {
    let wb = &props.workbench;
    let act = &props.on_action;
    let report = wb.report.clone();
    let busy = wb.busy();

    let on_input = act.reform(PolicyAction::Edit);
    let template = act.reform(|_: MouseEvent| PolicyAction::Replace {
        name: Some("audit-policy.yaml".into()),
        text: crate::gen::sample_policy().to_string(),
    });
    let pick = props.on_pick.reform(|_: MouseEvent| ());
    let use_baseline = act.reform(|_: MouseEvent| PolicyAction::UseAsBaseline);
    let save = {
        let (name, text) = (wb.name.clone(), wb.shown_text().to_string());
        let name = if wb.slot == Slot::Baseline {
            format!("baseline-{name}")
        } else {
            name
        };
        Callback::from(move |_: MouseEvent| download(&name, &text))
    };
    let on_kube = act.reform(|e: Event| {
        PolicyAction::SetKube(select_value(&e).parse().unwrap_or(DEFAULT_KUBE_MINOR))
    });
    let on_accept_old = act.reform(|e: Event| {
        let checked = e
            .target()
            .and_then(|t| js_sys::Reflect::get(&t, &"checked".into()).ok())
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        PolicyAction::SetAcceptOld(checked)
    });
    let on_compare = act.reform(|e: Event| {
        PolicyAction::SetCompare(if select_value(&e) == "baseline" {
            Compare::Baseline
        } else {
            Compare::Recorded
        })
    });
    let slot_tab = |slot: Slot, label: &str, id: &str| {
        let onclick = act.reform(move |_: MouseEvent| PolicyAction::ShowSlot(slot));
        html! {
            <button class="tab small" aria-pressed={(wb.slot == slot).to_string()} data-testid={id.to_string()} {onclick}>{ label }</button>
        }
    };

    // Findings of the edited policy (the baseline has only its one-line error).
    let diags: Rc<Vec<DiagnosticView>> = Rc::new(match (&report, wb.slot) {
        (Some(r), Slot::Edited) => r.report.diagnostics.clone(),
        _ => Vec::new(),
    });
    let selected = wb.selected_rule.and_then(|i| {
        let r = report.as_ref()?.rules.get(i)?;
        (wb.slot == Slot::Edited && r.line > 0).then_some((r.line, r.end_line.max(r.line)))
    });
    let editor_label = match wb.slot {
        Slot::Edited => "Audit policy (YAML)",
        Slot::Baseline => "Baseline audit policy (YAML)",
    };

    // Errors in the current report (the status badge and the problem list both show it).
    let errors = report.as_ref().map_or(0, |r| {
        r.report
            .diagnostics
            .iter()
            .filter(|d| d.severity == "error")
            .count()
    });
    let status = match &report {
        None if wb.has_text() => html! { <span class="badge">{"checking…"}</span> },
        None => html! {},
        Some(r) => {
            let warnings = r.report.diagnostics.len() - errors;
            let text = match (r.report.valid, r.report.rules) {
                (true, Some(n)) => format!("valid · {n} rules · {warnings} warnings"),
                _ => format!(
                    "refused by kube-apiserver · {errors} error{}",
                    if errors == 1 { "" } else { "s" }
                ),
            };
            html! { <span class={classes!("badge", if r.report.valid { "ok" } else { "bad" })} data-testid="policy-status">{ text }</span> }
        }
    };

    let findings = report.as_ref().map(|r| {
        html! {
            <ul class={classes!("diagnostics", busy.then_some("stale"))} data-testid="policy-errors"
                data-count={r.report.diagnostics.len().to_string()} data-errors={errors.to_string()}
                data-rev={r.id.to_string()} aria-label="Policy problems">
                if r.report.diagnostics.is_empty() {
                    <li class="diag ok">{"No problems found."}</li>
                }
                { for r.report.diagnostics.iter().map(|d| diagnostic(d, act)) }
            </ul>
        }
    });
    let checklist = report
        .as_ref()
        .filter(|r| !r.checklist.is_empty())
        .map(|r| {
            let on_rule = act.reform(|i: usize| PolicyAction::SelectRule(Some(i)));
            html! { <Checklist items={Rc::new(r.checklist.clone())} {on_rule} /> }
        });

    // With errors in the text, the last valid version's analysis stays (dimmed).
    let (analysis_src, from_last_valid) = match &report {
        Some(r) if r.coverage.is_none() && !r.report.valid && wb.last_valid.is_some() => {
            (wb.last_valid.clone(), true)
        }
        _ => (report.clone(), false),
    };
    let stale = busy || from_last_valid;
    // What the policy would blind of the detection pack (and of this log's findings).
    let blind = analysis_src.as_ref().and_then(|r| r.blind.clone()).map(|b| {
        let on_rule = act.reform(|i: usize| PolicyAction::SelectRule(Some(i)));
        html! {
            <section class={classes!("panel", stale.then_some("stale"))} data-testid="blind">
                <h2>{"What this policy blinds"}<span class="muted small">{"detection rules that could no longer fire, per kind of identity"}</span></h2>
                <crate::ui::policy_blind::BlindView blind={Rc::new(b)} {on_rule} />
            </section>
        }
    });
    let analysis = match &analysis_src {
        Some(r) if r.coverage.is_some() => {
            let cov = Rc::new(r.coverage.clone().expect("checked"));
            let rules = Rc::new(r.rules.clone());
            let on_select = act.reform(|i: usize| PolicyAction::SelectRule(Some(i)));
            let map = r.map.clone().map(Rc::new);
            let what_if = r.what_if.clone().map(|w| {
                html! {
                    <WhatIfView what_if={Rc::new(w)} coverage={cov.clone()} retention={Rc::new(r.retention.clone())}
                                flags={wb.flags} on_flags={act.reform(PolicyAction::SetFlags)}
                                baseline_is_policy={wb.compare == Compare::Baseline && r.baseline_error.is_none()}
                                compare={r.compare.clone().map(|c| Rc::new(*c))} edited_rules={rules.clone()} />
                }
            });
            html! {
                <>
                    if from_last_valid {
                        <p class="banner note" data-testid="showing-last-valid">{"The policy has errors, so kube-apiserver would refuse it. Below: what the last valid version takes."}</p>
                    }
                    <section class={classes!("panel", stale.then_some("stale"))} data-testid="coverage" data-eval-ms={r.elapsed_ms.to_string()}>
                        <h2>{"What each rule takes"}<span class="muted small">
                            { format!("{} events ({}) · first matching rule wins · {} distinct requests evaluated in {:.0} ms",
                                crate::util::human_count(cov.events), crate::ui::format::bytes(cov.bytes), cov.distinct_keys, r.elapsed_ms) }
                        </span></h2>
                        <CoverageTable coverage={cov.clone()} {rules} selected={wb.selected_rule} {on_select} on_explore={props.on_explore_rule.clone()} />
                    </section>
                    <section class={classes!("panel", stale.then_some("stale"))}>
                        <h2>{"What is logged, per resource and verb"}<span class="muted small">{"the highest level any of these requests gets under the edited policy"}</span></h2>
                        if let Some(m) = map { <CoverageMapView map={m} /> }
                    </section>
                    <section class={classes!("panel", stale.then_some("stale"))}>
                        <h2>{"Recorded level × policy level"}</h2>
                        <LevelMatrix coverage={cov.clone()} />
                    </section>
                    <section class={classes!("panel", stale.then_some("stale"))} data-testid="what-if">
                        <h2>{"What-if: volume and retention"}
                            <label class="inline muted small">{"compare with "}
                                <select onchange={on_compare} data-testid="compare-with">
                                    <option value="recorded" selected={wb.compare == Compare::Recorded}>{"the log as recorded"}</option>
                                    <option value="baseline" selected={wb.compare == Compare::Baseline}>{"the baseline policy (B)"}</option>
                                </select>
                            </label>
                        </h2>
                        if let Some(e) = &r.baseline_error { <p class="banner note">{ e }</p> }
                        { what_if.unwrap_or_default() }
                        if let Some(w) = &r.what_if { <crate::ui::policy_money::CostPanel baseline_bytes_per_day={w.baseline.bytes_per_day} edited_bytes_per_day={w.candidate.bytes_per_day} baseline_label={w.baseline.label.clone()} pricing={wb.pricing.clone()} on_change={act.reform(PolicyAction::SetPricing)} /> }
                    </section>
                    <crate::ui::policy_advisor::AdvisorView workbench={wb.clone()} on_action={act.clone()} />
                    { blind.clone() }
                </>
            }
        }
        Some(r) => html! {
            <>
                <section class="panel muted">{ r.no_coverage.clone().unwrap_or_default() }</section>
                { blind.clone() }
            </>
        },
        None => html! {},
    };

    html! {
        <div class="policy workbench" data-testid="policy-workbench" data-busy={busy.to_string()}
             data-rev={wb.rev.to_string()}>
            <section class="panel">
                <h2>
                    <span class="mono" data-testid="policy-name">{ &wb.name }</span>
                    { status }
                    if busy && report.is_some() { <span class="muted small">{"checking…"}</span> }
                    <span class="spacer"></span>
                    <label class="inline muted small" title="What the evaluator accepts (e.g. group \"*\" from 1.36)">{"Kubernetes "}
                        <select onchange={on_kube} data-testid="kube-version">
                            { for KUBE_MINORS.map(|m| html! { <option value={m.to_string()} selected={m == wb.kube_minor}>{ format!("1.{m}") }</option> }) }
                        </select>
                    </label>
                    <label class="inline muted small" title="kube-apiserver refuses audit.k8s.io/v1beta1 and v1alpha1 policies; read them as v1 (CLI: --accept-old-versions)">
                        <input type="checkbox" checked={wb.accept_old_versions} onchange={on_accept_old} data-testid="accept-old-versions" />
                        {" Read old versions as v1"}
                    </label>
                </h2>
                if !wb.file_findings.is_empty() {
                    <div class="banner note" data-testid="file-findings">
                        <p>{ format!("About the file {} as read from disk (its text below is shown as decoded):", wb.name) }</p>
                        <ul class="findings">{ for wb.file_findings.iter().map(|d| diagnostic(d, act)) }</ul>
                    </div>
                }
                if let Some(u) = &wb.undo {
                    <p class="banner note" data-testid="policy-undo" role="status">
                        { format!("{} replaced {} text ({} lines). ", u.by, if u.slot == Slot::Baseline { "the baseline's" } else { "your" }, u.text.lines().count()) }
                        <button class="button small" onclick={act.reform(|_: MouseEvent| PolicyAction::Undo)} data-testid="policy-undo-button">{"Undo"}</button>
                        <button class="button small ghost" onclick={act.reform(|_: MouseEvent| PolicyAction::DismissUndo)} aria-label="Keep the new text" title="Keep the new text">{"✕"}</button>
                    </p>
                }
                <div class="wb-toolbar">
                    <div class="tabs small" role="group" aria-label="Which policy the editor shows">
                        { slot_tab(Slot::Edited, "A · edited policy", "slot-edited") }
                        { slot_tab(Slot::Baseline, "B · baseline", "slot-baseline") }
                    </div>
                    <span class="spacer"></span>
                    <button class="button small" onclick={template} data-testid="policy-template" title="Replace the text with the built-in template">{"Start from template"}</button>
                    <button class="button small" onclick={pick} title="Open a policy file (p)">{"Open policy…"}</button>
                    <button class="button small" onclick={use_baseline} data-testid="use-as-baseline" title="Copy the edited policy to B and compare with it">{"Copy A to baseline"}</button>
                    <button class="button small" onclick={save} data-testid="policy-download" title="Save the text shown as a YAML file">{"Download YAML"}</button>
                </div>
                <div class="wb-top">
                    <div class="wb-editor">
                        if wb.slot == Slot::Baseline {
                            <p class="muted small">{"B is what the edited policy is compared with when \"compare with\" is the baseline policy. Findings and coverage are about A."}</p>
                        }
                        if !wb.has_text() && wb.slot == Slot::Edited {
                            <p class="muted small">{"Type or paste an audit policy, drop a policy file, or start from the template. The text stays in this browser."}</p>
                        }
                        <PolicyEditor text={AttrValue::from(wb.shown_text().to_string())} reset={wb.reset} diagnostics={diags}
                                      {selected} jump={wb.jump} {on_input} label={editor_label} />
                    </div>
                    <div class="wb-side">
                        <h3>{"Findings"}</h3>
                        { findings.unwrap_or_default() }
                        if checklist.is_some() {
                            <h3>{"Security checklist"}</h3>
                            { checklist.unwrap_or_default() }
                        }
                    </div>
                </div>
            </section>
            if !props.has_log && report.as_ref().is_some_and(|r| r.coverage.is_none() && r.report.valid) {
                <section class="panel muted">{ report.as_ref().and_then(|r| r.no_coverage.clone()).unwrap_or_default() }</section>
            } else {
                { analysis }
            }
        </div>
    }
}
