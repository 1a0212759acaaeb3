//! What the edited policy would write, compared with the log as recorded or with a
//! baseline policy: totals per hour and day (`volume-summary`), per rule and per actor,
//! what cannot be estimated, and how much history the rotated log files keep on disk.

use crate::ui::format;
use crate::ui::policy_coverage::percent;
use crate::web::protocol::{Coverage, RetentionView, RotationFlags, WhatIf};
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct WhatIfProps {
    pub what_if: Rc<WhatIf>,
    pub coverage: Rc<Coverage>,
    pub retention: Rc<Vec<RetentionView>>,
    pub flags: RotationFlags,
    pub on_flags: Callback<RotationFlags>,
    /// The baseline is a policy (else the log as recorded).
    pub baseline_is_policy: bool,
    /// Rule by rule against the baseline policy (then shown instead of the per-rule table).
    #[prop_or_default]
    pub compare: Option<Rc<crate::web::protocol::CompareReport>>,
    /// The edited policy's rules (for `compare`).
    #[prop_or_default]
    pub edited_rules: Rc<Vec<crate::web::protocol::RuleInfo>>,
}

/// "+12.3 %", "−40.0 %" (from `a` to `b`), "±0 %".
pub fn change(a: f64, b: f64) -> String {
    if a == b {
        return "±0 %".into();
    }
    if a == 0.0 {
        return "new".into();
    }
    let p = (b - a) * 100.0 / a;
    if p < 0.0 {
        format!("−{:.1} %", -p)
    } else {
        format!("+{p:.1} %")
    }
}

/// Hours of history as "5.2 h" or "3.1 days".
pub fn hours(h: f64) -> String {
    if h < 48.0 {
        format!("{h:.1} h")
    } else {
        format!("{:.1} days", h / 24.0)
    }
}

fn retention_text(r: &RetentionView) -> String {
    let t = &r.retention;
    match (t.min_hours, t.max_hours, t.limited_by.as_str()) {
        (None, _, _) => "all of it (no rotation limit: files are kept forever)".into(),
        (Some(a), Some(b), "size") if (b - a).abs() > 0.05 => format!(
            "{} – {} (limited by size, at most {} on disk)",
            hours(a),
            hours(b),
            t.max_disk_bytes.map(format::bytes).unwrap_or_default()
        ),
        (Some(a), _, "size") => format!(
            "{} (limited by size, at most {} on disk)",
            hours(a),
            t.max_disk_bytes.map(format::bytes).unwrap_or_default()
        ),
        (Some(a), _, _) => format!("{} (limited by --audit-log-maxage)", hours(a)),
    }
}

fn number_input(label: &str, id: &str, value: u64, hint: &str, on: Callback<u64>) -> Html {
    let onchange = Callback::from(move |e: Event| {
        let i: HtmlInputElement = e.target_unchecked_into();
        on.emit(i.value().trim().parse().unwrap_or(0));
    });
    html! {
        <label class="flag">
            <span class="mono">{ label }</span>
            <input type="number" min="0" step="1" value={value.to_string()} data-testid={id.to_string()} {onchange} />
            <span class="muted small">{ hint }</span>
        </label>
    }
}

#[function_component]
pub fn WhatIfView(props: &WhatIfProps) -> Html {
    let w = &props.what_if;
    let (b, c) = (&w.baseline, &w.candidate);
    let row = |v: &crate::analysis::volume::Volume, r: Option<&RetentionView>, cls: &str| {
        html! {
            <tr class={cls.to_string()}>
                <th scope="row">{ &v.label }</th>
                <td class="num" title={v.events.to_string()}>{ crate::util::human_count(v.events) }</td>
                <td class="num" title={format!("{} bytes", v.bytes)}>{ format::bytes(v.bytes) }</td>
                <td class="num">{ crate::util::human_count(v.events_per_hour.round() as u64) }</td>
                <td class="num">{ format::bytes(v.bytes_per_hour.round() as u64) }</td>
                <td class="num">{ format::bytes(v.bytes_per_day.round() as u64) }</td>
                <td>{ r.map(retention_text).unwrap_or_default() }</td>
            </tr>
        }
    };
    let flags = props.flags;
    let set = |f: fn(&mut RotationFlags, u64)| {
        let on = props.on_flags.clone();
        Callback::from(move |v: u64| {
            let mut n = flags;
            f(&mut n, v);
            on.emit(n);
        })
    };
    // Per rule: what the rule's events cost in the log (or under the baseline policy with
    // the same rule numbers) and what they would cost now.
    let same_rules = props.baseline_is_policy && b.per_rule.len() == c.per_rule.len();
    let rule_rows = c.per_rule.iter().enumerate().filter_map(|(i, &(ev, by))| {
        let rc = props.coverage.rules.get(i)?;
        let (bev, bby) = if same_rules {
            b.per_rule[i]
        } else if props.baseline_is_policy {
            return Some(html! {
                <tr><td class="num mono">{ format!("#{i}") }</td><td class="num" colspan="2">{"–"}</td>
                    <td class="num">{ crate::util::human_count(ev) }</td><td class="num">{ format::bytes(by) }</td><td></td></tr>
            });
        } else {
            (rc.events, rc.bytes)
        };
        if bev == 0 && ev == 0 {
            return None;
        }
        let delta = by as i64 - bby as i64;
        Some(html! {
            <tr data-rule={i.to_string()} data-bytes={by.to_string()} data-baseline-bytes={bby.to_string()}>
                <td class="num mono">{ format!("#{i}") }</td>
                <td class="num">{ crate::util::human_count(bev) }</td>
                <td class="num">{ format::bytes(bby) }</td>
                <td class="num">{ crate::util::human_count(ev) }</td>
                <td class="num">{ format::bytes(by) }</td>
                <td class={classes!("num", (delta < 0).then_some("down"), (delta > 0).then_some("up"))}>{ change(bby as f64, by as f64) }</td>
            </tr>
        })
    });
    let actor_rows = w.actors.iter().map(|a| {
        html! {
            <tr>
                <td class="mono name">{ &a.user }</td>
                <td class="num">{ format::bytes(a.baseline_bytes) }</td>
                <td class="num">{ format::bytes(a.candidate_bytes) }</td>
                <td class={classes!("num", (a.candidate_bytes < a.baseline_bytes).then_some("down"), (a.candidate_bytes > a.baseline_bytes).then_some("up"))}>
                    { change(a.baseline_bytes as f64, a.candidate_bytes as f64) }</td>
            </tr>
        }
    });
    let verdict =
        format!(
        "The edited policy would write {} events ({}) where {} has {} ({}): {} bytes, {} per day.",
        crate::util::human_count(c.events),
        format::bytes(c.bytes),
        if props.baseline_is_policy { "the baseline policy" } else { "the log as recorded" },
        crate::util::human_count(b.events),
        format::bytes(b.bytes),
        change(b.bytes as f64, c.bytes as f64),
        format::bytes(c.bytes_per_day.round() as u64),
    );
    html! {
        <div class="whatif">
            <p class="verdict" data-testid="volume-summary"
               data-events={c.events.to_string()} data-bytes={c.bytes.to_string()}
               data-events-per-hour={c.events_per_hour.to_string()} data-bytes-per-hour={c.bytes_per_hour.to_string()}
               data-bytes-per-day={c.bytes_per_day.to_string()} data-lower-bound-events={c.lower_bound_events.to_string()}
               data-baseline-events={b.events.to_string()} data-baseline-bytes={b.bytes.to_string()}
               data-baseline-label={b.label.clone()}>{ verdict }</p>
            <table class="grid volume">
                <thead><tr><th></th><th class="num">{"Events"}</th><th class="num">{"Bytes"}</th><th class="num">{"Events / h"}</th>
                    <th class="num">{"Bytes / h"}</th><th class="num">{"Bytes / day"}</th><th>{"History kept on disk"}</th></tr></thead>
                <tbody>
                    { row(b, props.retention.first(), "baseline") }
                    { row(c, props.retention.get(1), "candidate") }
                </tbody>
            </table>
            <div class="flags" aria-label="kube-apiserver log rotation flags">
                { number_input("--audit-log-maxsize", "flag-maxsize", flags.max_size_mb, "MB per file (0 = 100 MB)", set(|f, v| f.max_size_mb = v)) }
                { number_input("--audit-log-maxbackup", "flag-maxbackup", flags.max_backup, "rotated files kept (0 = all)", set(|f, v| f.max_backup = v)) }
                { number_input("--audit-log-maxage", "flag-maxage", flags.max_age_days, "days kept (0 = no limit)", set(|f, v| f.max_age_days = v)) }
            </div>
            <ul class="caveats" data-testid="what-if-caveats">
                { for w.caveats.iter().map(|c| html! { <li>{ c }</li> }) }
                if c.lower_bound_events > 0 {
                    <li>{ format!("{} of the edited policy's events ({}) are lower bounds.", crate::util::human_count(c.lower_bound_events), percent(c.lower_bound_events, c.events)) }</li>
                }
            </ul>
            if let Some(cmp) = &props.compare {
                <h3>{"Per rule: A against B"}</h3>
                <crate::ui::policy_compare::CompareRules compare={cmp.clone()} edited_rules={props.edited_rules.clone()} />
            }
            <div class="two-col">
                if props.compare.is_none() {
                <div>
                    <h3>{"Per rule"}</h3>
                    <table class="grid compact" data-testid="what-if-rules">
                        <thead><tr><th class="num">{"Rule"}</th>
                            <th class="num">{ if props.baseline_is_policy { "Events before" } else { "Events in log" } }</th>
                            <th class="num">{ if props.baseline_is_policy { "Bytes before" } else { "Bytes in log" } }</th>
                            <th class="num">{"Events now"}</th><th class="num">{"Bytes now"}</th><th class="num">{"Change"}</th></tr></thead>
                        <tbody>{ for rule_rows }</tbody>
                    </table>
                    if props.baseline_is_policy && !same_rules {
                        <p class="muted small">{"The two policies have different numbers of rules: their rules are not compared one by one."}</p>
                    }
                </div>
                }
                <div>
                    <h3>{"Top actors by change"}</h3>
                    <table class="grid compact" data-testid="what-if-actors">
                        <thead><tr><th>{"User"}</th><th class="num">{"Before"}</th><th class="num">{"Now"}</th><th class="num">{"Change"}</th></tr></thead>
                        <tbody>{ for actor_rows }</tbody>
                    </table>
                </div>
            </div>
        </div>
    }
}
