//! What the edited policy takes from the loaded log: one row per rule (`coverage-row`),
//! the recorded × policy level matrix, and the resource × verb map coloured by the level
//! each request would be logged at.

use crate::ui::format;
use crate::web::protocol::{Coverage, CoverageMap, RuleInfo};
use std::rc::Rc;
use yew::prelude::*;

/// Level names by index (`Level as usize`).
pub const LEVELS: [&str; 4] = ["None", "Metadata", "Request", "RequestResponse"];

/// What each level writes, in a reviewer's words.
pub const LEVEL_MEANING: [&str; 4] = [
    "not logged",
    "metadata only: who, what, when, result — no bodies",
    "metadata + request body",
    "metadata + request and response bodies",
];

/// The CSS class of a level (`lvl-metadata`, ...).
pub fn level_class(level: &str) -> String {
    format!("lvl-{}", level.to_ascii_lowercase())
}

/// A coloured level badge with the meaning as its tooltip.
pub fn level_badge(level: &str) -> Html {
    let meaning = LEVELS
        .iter()
        .position(|l| *l == level)
        .map_or("", |i| LEVEL_MEANING[i]);
    html! { <span class={classes!("lvl", level_class(level))} title={meaning}>{ level }</span> }
}

/// The share `part/total` as "12.3 %".
pub fn percent(part: u64, total: u64) -> String {
    if total == 0 {
        "0 %".into()
    } else {
        let p = part as f64 * 100.0 / total as f64;
        if p > 0.0 && p < 0.1 {
            "<0.1 %".into()
        } else {
            format!("{p:.1} %")
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct CoverageTableProps {
    pub coverage: Rc<Coverage>,
    pub rules: Rc<Vec<RuleInfo>>,
    pub selected: Option<usize>,
    /// A row was clicked: highlight the rule in the editor.
    pub on_select: Callback<usize>,
    /// "events": show the rule's events in Explore (`rule:N`).
    pub on_explore: Callback<usize>,
}

fn pairs(v: &[(usize, u64)], verb: &str) -> String {
    let shown: Vec<String> = v
        .iter()
        .take(3)
        .map(|(r, n)| format!("#{r} ({})", crate::util::human_count(*n)))
        .collect();
    let more = if v.len() > 3 {
        format!(" +{}", v.len() - 3)
    } else {
        String::new()
    };
    format!("{verb} {}{more}", shown.join(", "))
}

#[function_component]
pub fn CoverageTable(props: &CoverageTableProps) -> Html {
    let c = &props.coverage;
    let max = c.rules.iter().map(|r| r.events).max().unwrap_or(0).max(1);
    // Stages every rule omits are said once, in the header; rows list only their own.
    let common: Vec<String> = props
        .rules
        .first()
        .map(|f| {
            f.omit_stages
                .iter()
                .filter(|st| props.rules.iter().all(|r| r.omit_stages.contains(st)))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let rows = c.rules.iter().map(|rc| {
        let i = rc.rule;
        let info = props.rules.get(i);
        let level = rc.level.as_str();
        let mut notes: Vec<Html> = Vec::new();
        if let Some(j) = rc.unreachable_after {
            notes.push(html! { <span class="mark bad" title="An earlier rule matches every request this one does: it can never apply.">{ format!("unreachable (after #{j})") }</span> });
        } else if rc.dead {
            notes.push(html! { <span class="mark warn" title="No event of this log matches it (first match or not).">{"dead in this log"}</span> });
        } else if rc.events == 0 {
            notes.push(html! { <span class="mark warn" title="It matches events, but earlier rules take all of them.">{"fully shadowed"}</span> });
        }
        if !rc.shadowed_by.is_empty() {
            notes.push(html! { <span class="note" title="Events this rule matches that earlier rules take first">{ pairs(&rc.shadowed_by, "shadowed by") }</span> });
        }
        if !rc.shadows.is_empty() {
            notes.push(html! { <span class="note" title="Later rules that also match events this rule takes">{ pairs(&rc.shadows, "shadows") }</span> });
        }
        let omit = info
            .map(|r| {
                r.omit_stages
                    .iter()
                    .filter(|s| !common.contains(s))
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let on_select = props.on_select.reform(move |_: MouseEvent| i);
        let on_explore = props.on_explore.reform(move |e: MouseEvent| {
            e.stop_propagation();
            i
        });
        let selected = props.selected == Some(i);
        html! {
            <tr data-testid="coverage-row" data-rule={i.to_string()} data-events={rc.events.to_string()}
                data-bytes={rc.bytes.to_string()} data-kept-bytes={rc.kept_bytes.to_string()} data-level={level}
                data-line={info.map_or(0, |r| r.line).to_string()} data-dead={rc.dead.to_string()}
                data-unreachable={rc.unreachable_after.map(|j| j.to_string())}
                class={classes!("cov-row", selected.then_some("selected"), (rc.events == 0).then_some("idle"))}
                onclick={on_select} title="Click to show this rule in the editor">
                <td class="num mono">{ format!("#{i}") }</td>
                <td>{ level_badge(level) }</td>
                <td class="sel">
                    <div class="mono selectors" title={info.map(|r| r.selectors.clone())}>{ info.map(|r| r.selectors.clone()).unwrap_or_default() }</div>
                    if !omit.is_empty() { <div class="muted small">{ format!("omits stage {}", omit.join(", ")) }</div> }
                    if !notes.is_empty() { <div class="notes">{ for notes }</div> }
                </td>
                <td class="num mono">{ info.map_or(String::new(), |r| r.line.to_string()) }</td>
                <td class="num" title={rc.events.to_string()}>{ crate::util::human_count(rc.events) }</td>
                <td class="num"><progress class="share" max={max.to_string()} value={rc.events.to_string()}></progress>{ percent(rc.events, c.events) }</td>
                <td class="num" title={format!("{} bytes in the log", rc.bytes)}>{ format::bytes(rc.bytes) }</td>
                <td class="num" title={format!("{} bytes written under this policy", rc.kept_bytes)}>{ format::bytes(rc.kept_bytes) }</td>
                <td><button class="button small ghost" onclick={on_explore} data-testid="rule-events"
                            title={format!("Show the events rule {i} takes in Explore (rule:{i})")}>{"events →"}</button></td>
            </tr>
        }
    });
    html! {
        <table class="grid coverage" aria-label="Events each rule takes (first match wins)">
            if !common.is_empty() {
                <caption class="muted small">{ format!("Every rule omits stage {}: no event is written for it.", common.join(", ")) }</caption>
            }
            <thead><tr>
                <th class="num">{"Rule"}</th><th>{"Level"}</th><th>{"Selects"}</th><th class="num">{"Line"}</th>
                <th class="num">{"Events"}</th><th class="num">{"Share"}</th><th class="num" title="Size of these events in the log">{"In log"}</th>
                <th class="num" title="What this policy would write for them">{"Written"}</th><th></th>
            </tr></thead>
            <tbody>
                { for rows }
                <tr class="cov-row unmatched" data-testid="coverage-unmatched" data-events={c.unmatched_events.to_string()}>
                    <td class="num mono">{"–"}</td><td>{ level_badge("None") }</td>
                    <td class="sel muted">{"no rule matches: not logged"}</td><td></td>
                    <td class="num">{ crate::util::human_count(c.unmatched_events) }</td>
                    <td class="num">{ percent(c.unmatched_events, c.events) }</td>
                    <td class="num">{ format::bytes(c.unmatched_bytes) }</td><td class="num">{"0 B"}</td><td></td>
                </tr>
            </tbody>
        </table>
    }
}

#[derive(Properties, PartialEq)]
pub struct MatrixProps {
    pub coverage: Rc<Coverage>,
}

/// Recorded level (rows, "(unknown)" last) × policy level (columns).
#[function_component]
pub fn LevelMatrix(props: &MatrixProps) -> Html {
    let c = &props.coverage;
    let names = crate::analysis::coverage::MATRIX_ROWS;
    let rows = c.matrix.iter().enumerate().filter(|(_, r)| r.iter().sum::<u64>() > 0).map(|(i, row)| {
        html! {
            <tr>
                <th scope="row">{ names[i] }</th>
                { for row.iter().enumerate().map(|(j, n)| {
                    let differs = *n > 0 && i != j;
                    let class = classes!("num", differs.then_some("differs"), (*n > 0 && i == j).then_some("agrees"));
                    html! { <td {class} data-recorded={names[i]} data-policy={LEVELS[j]} data-events={n.to_string()}
                                title={format!("{n} events recorded at {} would be logged at {}", names[i], LEVELS[j])}>
                        { if *n == 0 { "·".to_string() } else { crate::util::human_count(*n) } }</td> }
                }) }
            </tr>
        }
    });
    html! {
        <div class="matrix-box">
            <table class="grid matrix" data-testid="level-matrix" data-disagreeing={c.disagreeing_events.to_string()}>
                <thead><tr><th>{"recorded ↓ / policy →"}</th>{ for LEVELS.iter().map(|l| html!{ <th class="num">{ level_badge(l) }</th> }) }</tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            <p class="muted small">
                { format!("{} of {} events are logged differently under this policy than in this log", crate::util::human_count(c.disagreeing_events), crate::util::human_count(c.events)) }
                { format!(" ({} only because their stage is omitted).", crate::util::human_count(c.omitted_stage_events)) }
                {" A log cannot show what its own policy dropped."}
            </p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct MapProps {
    pub map: Rc<CoverageMap>,
}

/// The highest level any of `cell`'s events gets, and whether the cell is mixed.
pub fn cell_level(cell: &[u64; 4]) -> Option<(usize, bool)> {
    let top = (0..4).rev().find(|&l| cell[l] > 0)?;
    let kinds = cell.iter().filter(|n| **n > 0).count();
    Some((top, kinds > 1))
}

/// Resources × verbs, each cell coloured by the highest level its events get.
#[function_component]
pub fn CoverageMapView(props: &MapProps) -> Html {
    let m = &props.map;
    let short = ["none", "meta", "req", "req+resp"];
    let rows = m.rows.iter().map(|r| {
        html! {
            <tr data-resource={r.label.clone()}>
                <th scope="row" class="mono" title={format!("{} events", r.events)}>{ &r.label }</th>
                { for r.cells.iter().zip(&m.verbs).map(|(cell, verb)| match cell_level(cell) {
                    None => html! { <td class="cell blank"></td> },
                    Some((top, mixed)) => {
                        let parts: Vec<String> = (0..4).rev().filter(|&l| cell[l] > 0)
                            .map(|l| format!("{}: {} ({})", LEVELS[l], cell[l], LEVEL_MEANING[l])).collect();
                        let title = format!("{} {}\n{}", verb, r.label, parts.join("\n"));
                        html! {
                            <td class={classes!("cell", level_class(LEVELS[top]), mixed.then_some("mixed"))} {title}
                                data-verb={verb.clone()} data-level={LEVELS[top]}>
                                { short[top] }{ if mixed { "*" } else { "" } }
                            </td>
                        }
                    }
                }) }
            </tr>
        }
    });
    html! {
        <div class="map-box">
            <div class="legend">
                { for (0..4).rev().map(|l| html! {
                    <span class="legend-item"><span class={classes!("cell", "swatch", level_class(LEVELS[l]))}>{ short[l] }</span>{ format!(" {} — {}", LEVELS[l], LEVEL_MEANING[l]) }</span>
                }) }
                <span class="legend-item"><span class="cell swatch blank"></span>{" no such request in the log"}</span>
                <span class="legend-item muted">{"* some of these requests get a lower level (by user, namespace or name); hover for counts"}</span>
            </div>
            <div class="map-scroll">
                <table class="grid map" data-testid="coverage-map">
                    <thead><tr><th>{"resource"}</th>{ for m.verbs.iter().map(|v| html!{ <th class="verb">{ v }</th> }) }</tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
            if m.more_rows > 0 {
                <p class="muted small">{ format!("{} less frequent resources not shown.", m.more_rows) }</p>
            }
        </div>
    }
}
