//! The edited policy (A) against the baseline (B), rule by rule and line by line: the
//! what-if's per-rule table when B is a policy (`compare-rules`, one `compare-pair` per
//! aligned pair, also when the rule counts differ) and the text diff behind a toggle
//! (`policy-diff`, one `diff-line` per line). All computed in the worker
//! ([`CompareReport`]); the direction is from B (before) to A (now).
//!
//! Hooks: `compare-pair` has `data-a` (A's rule index, empty when only in B), `data-b`
//! (B's), `data-change` (`same|changed|moved|added|removed`: `added` is only in A,
//! `removed` only in B), `data-a-bytes`, `data-b-bytes`; `diff-line` has `data-kind`
//! (`same|added|removed`, as shown: in the direction selected), `data-a-line`, `data-b-line`.

use crate::audit::compare::{reversed, Hunk, LineKind, RuleChange};
use crate::ui::format;
use crate::ui::policy_whatif::change;
use crate::web::protocol::{CompareReport, RuleInfo};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CompareProps {
    pub compare: Rc<CompareReport>,
    /// The edited policy's rules (A).
    pub edited_rules: Rc<Vec<RuleInfo>>,
}

fn rule_cell(i: Option<usize>, rules: &[RuleInfo]) -> Html {
    match i {
        None => html! { <td class="muted">{"–"}</td> },
        Some(i) => {
            let (level, sel) = rules
                .get(i)
                .map(|r| (r.level.as_str(), r.selectors.as_str()))
                .unwrap_or(("", ""));
            html! {
                <td class="cmp-rule" title={sel.to_string()}>
                    <span class="mono">{ format!("#{i}") }</span>{" "}
                    <span class={classes!("lvl", format!("lvl-{}", level.to_lowercase()))}>{ level }</span>
                    <span class="cmp-sel muted small">{ sel }</span>
                </td>
            }
        }
    }
}

fn change_cell(c: &RuleChange) -> Html {
    let (label, detail) = match c {
        RuleChange::Same => ("same", String::new()),
        RuleChange::Changed(d) => ("changed", d.join("; ")),
        RuleChange::Moved => (
            "moved",
            "same rule, other place: first match may differ".into(),
        ),
        RuleChange::Added => ("only in A", String::new()),
        RuleChange::Removed => ("only in B", String::new()),
    };
    html! {
        <td class="cmp-change">
            <span class={classes!("cmp-badge", format!("cmp-{}", c.name()))}>{ label }</span>
            if !detail.is_empty() { <span class="cmp-detail small">{ detail }</span> }
        </td>
    }
}

fn diff_view(hunks: &[Hunk], b_to_a: bool, truncated: bool) -> Html {
    let kind = |k: LineKind| match k {
        LineKind::Same => "same",
        LineKind::Added => "added",
        LineKind::Removed => "removed",
    };
    let (from, to) = if b_to_a { ("B", "A") } else { ("A", "B") };
    let num = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    html! {
        <div class="policy-diff" data-testid="policy-diff" data-hunks={hunks.len().to_string()} data-direction={format!("{from}{to}")}>
            if hunks.is_empty() {
                <p class="muted small">{"The two texts are the same."}</p>
            }
            { for hunks.iter().map(|h| html! {
                <table class="diff-hunk">
                    <thead><tr><th colspan="3" class="mono diff-head">
                        { format!("@@ −{},{} +{},{} @@", h.a_start, h.a_len, h.b_start, h.b_len) }
                    </th></tr></thead>
                    <tbody>
                    { for h.lines.iter().map(|l| {
                        let k = kind(l.kind);
                        let sign = match l.kind { LineKind::Same => " ", LineKind::Added => "+", LineKind::Removed => "−" };
                        let cr = l.text.ends_with('\r');
                        let text = l.text.strip_suffix('\r').unwrap_or(&l.text).to_string();
                        html! {
                            <tr class={classes!("diff-line", k)} data-testid="diff-line" data-kind={k}
                                data-a-line={num(l.a_line)} data-b-line={num(l.b_line)}>
                                <td class="ln">{ num(l.a_line) }</td>
                                <td class="ln">{ num(l.b_line) }</td>
                                <td class="diff-text mono"><span class="diff-sign" aria-hidden="true">{ sign }</span>{ text }
                                    if cr { <span class="muted" title="this line ends with CR LF">{"␍"}</span> }
                                    if l.no_eol { <span class="muted small">{" (no newline at end of file)"}</span> }
                                </td>
                            </tr>
                        }
                    }) }
                    </tbody>
                </table>
            }) }
            if truncated { <p class="muted small">{"The diff is longer: the rest is left out."}</p> }
            <p class="muted small">{ format!("Line numbers: {from} on the left, {to} on the right. − only in {from}, + only in {to}.") }</p>
        </div>
    }
}

#[function_component]
pub fn CompareRules(props: &CompareProps) -> Html {
    let c = &props.compare;
    let show_diff = use_state(|| false);
    let b_to_a = use_state(|| true);
    let base_rules = &c.baseline_rules;
    let rows = c.ab.pairs.iter().map(|p| {
        // Engine side a = baseline (B), b = edited (A).
        let (bv, av) = (&p.a_volume, &p.b_volume);
        let delta = av.bytes as i64 - bv.bytes as i64;
        let moved: Vec<String> = p
            .transfer
            .iter()
            .filter(|t| t.to != p.b && t.events > 0)
            .map(|t| {
                format!(
                    "{} → {}",
                    crate::util::human_count(t.events),
                    t.to.map_or("no rule".to_string(), |j| format!("A#{j}"))
                )
            })
            .collect();
        let idx = |i: Option<usize>| i.map(|i| i.to_string()).unwrap_or_default();
        html! {
            <tr class={classes!("compare-pair", format!("cmp-row-{}", p.change.name()))} data-testid="compare-pair"
                data-a={idx(p.b)} data-b={idx(p.a)} data-change={p.change.name()}
                data-a-bytes={av.bytes.to_string()} data-b-bytes={bv.bytes.to_string()}
                data-a-events={av.events.to_string()} data-b-events={bv.events.to_string()}>
                { rule_cell(p.b, &props.edited_rules) }
                { rule_cell(p.a, base_rules) }
                { change_cell(&p.change) }
                <td class="num">{ if p.a.is_some() { crate::util::human_count(bv.events) } else { String::new() } }</td>
                <td class="num">{ if p.a.is_some() { format::bytes(bv.bytes) } else { String::new() } }</td>
                <td class="num">{ if p.b.is_some() { crate::util::human_count(av.events) } else { String::new() } }</td>
                <td class="num">{ if p.b.is_some() { format::bytes(av.bytes) } else { String::new() } }</td>
                <td class={classes!("num", (delta < 0).then_some("down"), (delta > 0).then_some("up"))}>
                    { change(bv.bytes as f64, av.bytes as f64) }
                    if !moved.is_empty() {
                        <span class="cmp-moved muted small" title="where the events of B's rule are decided in A">{ format!("B's events: {}", moved.join(", ")) }</span>
                    }
                </td>
            </tr>
        }
    });
    let toggle = {
        let s = show_diff.clone();
        Callback::from(move |_: MouseEvent| s.set(!*s))
    };
    let flip = {
        let s = b_to_a.clone();
        Callback::from(move |_: MouseEvent| s.set(!*s))
    };
    let hunks: Vec<Hunk> = if *b_to_a {
        c.diff.clone()
    } else {
        reversed(&c.diff)
    };
    let added = hunks
        .iter()
        .flat_map(|h| &h.lines)
        .filter(|l| l.kind == LineKind::Added)
        .count();
    let removed = hunks
        .iter()
        .flat_map(|h| &h.lines)
        .filter(|l| l.kind == LineKind::Removed)
        .count();
    html! {
        <div class="compare">
            <div class="cmp-bar">
                <span class="muted small">{ format!("A has {} rules, B {}: aligned by what each rule decides.", props.edited_rules.len(), base_rules.len()) }</span>
                <span class="spacer"></span>
                <button class="button small" aria-pressed={(*show_diff).to_string()} onclick={toggle} data-testid="policy-diff-toggle"
                        title="The text of B against the text of A, line by line">
                    { format!("Diff A ↔ B (+{added} −{removed})") }
                </button>
            </div>
            if *show_diff {
                <div class="cmp-diff-bar">
                    <span class="small">{ if *b_to_a { "B → A: what the edited policy changes" } else { "A → B: what the baseline has instead" } }</span>
                    <button class="button small ghost" onclick={flip} data-testid="policy-diff-direction">{"Swap direction"}</button>
                </div>
                { diff_view(&hunks, *b_to_a, c.diff_truncated) }
            }
            <table class="grid compact compare-rules" data-testid="compare-rules" data-pairs={c.ab.pairs.len().to_string()}>
                <thead><tr>
                    <th>{"A · edited"}</th><th>{"B · baseline"}</th><th>{"Change"}</th>
                    <th class="num">{"Events B"}</th><th class="num">{"Bytes B"}</th>
                    <th class="num">{"Events A"}</th><th class="num">{"Bytes A"}</th><th class="num">{"Δ bytes"}</th>
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}
