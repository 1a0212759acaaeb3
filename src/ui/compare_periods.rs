//! "Compare periods" (issue 16 §5): a drawer over Explore listing, for user, agent, verb,
//! resource, code and rule, what is new, gone or changed by N× between period A and
//! period B under the current filter (`analysis::periods`, computed by the worker).
//!
//! B is the Explore time range (or, with none, the latter half of the loaded span); A is
//! "the preceding period" or "the same time a day earlier"; or A and B are sets of loaded
//! files. Clicking a row adds its term to the filter and sets the time range to the period
//! holding its events (B, or A for gone values), through the Explore actions.
//!
//! The answer reaches this component through [`deliver`] (the page reducer hands it
//! `Response::Periods`), so the page state needs no field of its own; the drawer exists
//! only while open, and answers to anything but its latest request are dropped.

use crate::analysis::periods::{
    day_earlier, default_b, preceding, Change, PeriodDim, PeriodRow, PeriodsAnswer, PeriodsSpec,
    Side,
};
use crate::ui::dom;
use crate::ui::explore_state::ExploreAction;
use crate::util::human_count;
use crate::web::protocol::{Request, Summary};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

thread_local! {
    static LISTENER: RefCell<Option<Callback<PeriodsAnswer>>> = const { RefCell::new(None) };
}

/// Hands a worker answer to the open compare view (dropped when none is open).
pub fn deliver(a: PeriodsAnswer) {
    let cb = LISTENER.with(|l| l.borrow().clone());
    if let Some(cb) = cb {
        cb.emit(a);
    }
}

/// How period A is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    Preceding,
    DayEarlier,
    Files,
}

impl Preset {
    const ALL: [(Preset, &'static str, &'static str); 3] = [
        (Preset::Preceding, "preceding", "the preceding period"),
        (Preset::DayEarlier, "day", "the same time a day earlier"),
        (Preset::Files, "files", "two sets of loaded files"),
    ];
}

#[derive(Properties, PartialEq)]
pub struct CompareProps {
    pub summary: Rc<Summary>,
    /// The applied Explore filter and time range.
    pub filter: String,
    pub range: Option<(i64, i64)>,
    /// The loaded span `[first, last]`, µs.
    pub span: Option<(i64, i64)>,
    pub local_time: bool,
    pub send: Callback<Request>,
    pub dispatch: Callback<ExploreAction>,
}

/// Period B for the Explore range (or the latter half of the span).
fn b_range(range: Option<(i64, i64)>, span: Option<(i64, i64)>) -> Option<(i64, i64)> {
    range.or_else(|| span.map(default_b))
}

fn when(w: Option<(i64, i64)>, local: bool) -> String {
    match w {
        Some((a, b)) => format!(
            "{} → {} ({})",
            dom::time_ms(a, local),
            dom::time_ms(b, local),
            crate::util::human_duration_micros(b - a)
        ),
        None => "–".into(),
    }
}

fn rate(n: u64, span_us: i64) -> String {
    let r = n as f64 / (span_us as f64 / 3_600_000_000.0);
    if r >= 100.0 {
        format!("{r:.0}")
    } else if r >= 1.0 {
        format!("{r:.1}")
    } else {
        format!("{r:.2}")
    }
}

fn change_badge(r: &PeriodRow) -> Html {
    let (class, text) = match (r.change, r.factor) {
        (Change::New, _) => ("chg new", "new".to_string()),
        (Change::Gone, _) => ("chg gone", "gone".to_string()),
        (Change::Up, Some(f)) => ("chg up", format!("{}×", short_factor(f))),
        (Change::Down, Some(f)) => ("chg down", format!("{}×", short_factor(f))),
        _ => ("chg", String::new()),
    };
    html! { <span class={class}>{ text }</span> }
}

fn short_factor(f: f64) -> String {
    if f >= 10.0 {
        format!("{f:.0}")
    } else if f >= 1.0 {
        format!("{f:.1}")
    } else {
        format!("{f:.2}")
    }
}

#[function_component]
pub fn ComparePeriods(props: &CompareProps) -> Html {
    let open = use_state(|| false);
    let preset = use_state(|| Preset::Preceding);
    let nfiles = props.summary.files.len();
    // File sets: B the last file, A the others.
    let files_a = use_state(|| (0..nfiles).map(|i| i + 1 < nfiles).collect::<Vec<bool>>());
    let files_b = use_state(|| (0..nfiles).map(|i| i + 1 == nfiles).collect::<Vec<bool>>());
    let answer = use_state(|| None::<Rc<PeriodsAnswer>>);
    let kind = use_state(|| None::<PeriodDim>);
    let sent = use_mut_ref(|| 0u32);
    let bump = use_state(|| 0u32);
    // Register for answers while mounted.
    {
        let (answer, sent) = (answer.clone(), sent.clone());
        use_effect_with((), move |_| {
            let cb = Callback::from(move |a: PeriodsAnswer| {
                if a.id == *sent.borrow() {
                    answer.set(Some(Rc::new(a)));
                }
            });
            LISTENER.with(|l| *l.borrow_mut() = Some(cb));
            || LISTENER.with(|l| *l.borrow_mut() = None)
        });
    }
    let spec_now = {
        let (range, span) = (props.range, props.span);
        let (fa, fb) = ((*files_a).clone(), (*files_b).clone());
        move |p: Preset| -> Option<(Side, Side)> {
            match p {
                Preset::Files => {
                    let pick = |v: &[bool]| -> Vec<u32> {
                        v.iter()
                            .enumerate()
                            .filter(|(_, on)| **on)
                            .map(|(i, _)| i as u32)
                            .collect()
                    };
                    Some((Side::Files(pick(&fa)), Side::Files(pick(&fb))))
                }
                _ => {
                    let b = b_range(range, span)?;
                    let a = if p == Preset::Preceding {
                        preceding(b)
                    } else {
                        day_earlier(b)
                    };
                    Some((
                        Side::Range { from: a.0, to: a.1 },
                        Side::Range { from: b.0, to: b.1 },
                    ))
                }
            }
        }
    };
    // Ask when opened, when the preset or the file sets change, and on "Compare again".
    {
        let (send, sent, answer) = (props.send.clone(), sent.clone(), answer.clone());
        let filter = props.filter.clone();
        let spec_now = spec_now.clone();
        use_effect_with(
            (
                *open,
                *preset,
                (*files_a).clone(),
                (*files_b).clone(),
                *bump,
            ),
            move |(open, preset, _, _, _)| {
                if *open {
                    if let Some((a, b)) = spec_now(*preset) {
                        let id = sent.borrow().wrapping_add(1);
                        *sent.borrow_mut() = id;
                        answer.set(None);
                        send.emit(Request::ComparePeriods(PeriodsSpec { id, filter, a, b }));
                    }
                }
            },
        );
    }
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    if !*open {
        return html! {
            <button class="button small" onclick={toggle} data-testid="compare-open"
                title="What is new, gone or changed by N× between this time range and an earlier one">{"Compare periods"}</button>
        };
    }
    let close = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(false))
    };
    let on_preset = {
        let preset = preset.clone();
        Callback::from(move |e: Event| {
            // The select's value through Reflect (no HtmlSelectElement binding needed).
            let v = e
                .target()
                .and_then(|t| js_sys::Reflect::get(&t, &"value".into()).ok())
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            if let Some(p) = Preset::ALL.iter().find(|x| x.1 == v) {
                preset.set(p.0);
            }
        })
    };
    let again = {
        let bump = bump.clone();
        Callback::from(move |_: MouseEvent| bump.set(bump.wrapping_add(1)))
    };
    let local = props.local_time;
    let stale = (*answer).as_ref().is_some_and(|a| {
        a.filter != props.filter
            || spec_now(*preset).is_some_and(|(_, b)| a.report.as_ref().is_some_and(|r| r.b != b))
    });
    let files_picker = (*preset == Preset::Files).then(|| {
        let row = |i: usize, name: &str| {
            let flip = |set: UseStateHandle<Vec<bool>>| {
                Callback::from(move |_: Event| {
                    let mut v = (*set).clone();
                    if let Some(x) = v.get_mut(i) {
                        *x = !*x;
                    }
                    set.set(v);
                })
            };
            html! {
                <tr>
                    <td><input type="checkbox" checked={files_a.get(i).copied().unwrap_or(false)} onchange={flip(files_a.clone())}
                        data-testid="compare-file-a" aria-label={format!("{name} in period A")} /></td>
                    <td><input type="checkbox" checked={files_b.get(i).copied().unwrap_or(false)} onchange={flip(files_b.clone())}
                        data-testid="compare-file-b" aria-label={format!("{name} in period B")} /></td>
                    <td class="name" title={name.to_string()}>{ name.to_string() }</td>
                </tr>
            }
        };
        html! {
            <table class="grid compare-files">
                <thead><tr><th>{"A"}</th><th>{"B"}</th><th>{"file"}</th></tr></thead>
                <tbody>{ for props.summary.files.iter().enumerate().map(|(i, f)| row(i, &f.name)) }</tbody>
            </table>
        }
    });
    let body = match (*answer).as_ref() {
        None => html! { <p class="muted" data-testid="compare-pending">{"Comparing…"}</p> },
        Some(a) => match (&a.report, &a.error) {
            (_, Some(e)) => html! { <p class="banner error" data-testid="compare-error">{ e }</p> },
            (None, None) => html! {},
            (Some(r), None) => {
                let shown: Vec<&PeriodRow> = r
                    .rows
                    .iter()
                    .filter(|x| (*kind).is_none_or(|k| x.dim == k))
                    .collect();
                let chip = |k: Option<PeriodDim>, label: String| {
                    let kind2 = kind.clone();
                    let on = *kind == k;
                    html! {
                        <button class={classes!("chip", on.then_some("on"))} aria-pressed={on.to_string()}
                            onclick={Callback::from(move |_: MouseEvent| kind2.set(k))}
                            data-testid="compare-kind">{ label }</button>
                    }
                };
                let n_of = |d: PeriodDim| r.rows.iter().filter(|x| x.dim == d).count();
                let rows = shown.iter().map(|x| {
                    let (a_w, b_w) = (r.a_window, r.b_window);
                    let win = if x.change == Change::Gone { a_w } else { b_w };
                    let click = x.term.clone().map(|t| {
                        let d = props.dispatch.clone();
                        Callback::from(move |_: MouseEvent| {
                            d.emit(ExploreAction::AddTerm { term: t.clone(), negate: false });
                            d.emit(ExploreAction::SetRange(win));
                        })
                    });
                    let title = match (&x.term, x.change) {
                        (Some(t), Change::Gone) => format!("Show its events in A: {t}"),
                        (Some(t), _) => format!("Show its events in B: {t}"),
                        (None, _) => "No filter term selects this value".into(),
                    };
                    let value = crate::ui::format::visible(&x.value).into_owned();
                    html! {
                        <tr data-testid="compare-row" data-kind={x.dim.as_str()} data-value={x.value.clone()}
                            data-a={x.a.to_string()} data-b={x.b.to_string()} data-change={x.change.as_str()}
                            data-term={x.term.clone().unwrap_or_default()}>
                            <td class="muted">{ x.dim.as_str() }</td>
                            <td class="val-cell">
                                if let Some(onclick) = click {
                                    <button class="val" {onclick} title={title}>{ value }</button>
                                } else {
                                    <span title={title}>{ value }</span>
                                }
                            </td>
                            <td>{ change_badge(x) }</td>
                            <td class="num" title={format!("{} events in A", x.a)}>{ human_count(x.a) }</td>
                            <td class="num" title={format!("{} events in B", x.b)}>{ human_count(x.b) }</td>
                            <td class="num muted" title="events per hour in A">{ rate(x.a, r.a_span_us) }</td>
                            <td class="num muted" title="events per hour in B">{ rate(x.b, r.b_span_us) }</td>
                        </tr>
                    }
                });
                let unchanged: u64 = r.dims.iter().map(|d| d.unchanged).sum();
                let left: u64 = r.dims.iter().map(|d| d.left_off).sum();
                html! {
                    <>
                        <dl class="compare-periods" data-testid="compare-periods"
                            data-a-events={r.a_events.to_string()} data-b-events={r.b_events.to_string()}
                            data-a-from={r.a_window.map_or(String::new(), |w| w.0.to_string())}
                            data-a-to={r.a_window.map_or(String::new(), |w| w.1.to_string())}
                            data-b-from={r.b_window.map_or(String::new(), |w| w.0.to_string())}
                            data-b-to={r.b_window.map_or(String::new(), |w| w.1.to_string())}>
                            <dt>{"A"}</dt><dd>{ when(r.a_window, local) }{ format!(" · {} events", human_count(r.a_events)) }</dd>
                            <dt>{"B"}</dt><dd>{ when(r.b_window, local) }{ format!(" · {} events", human_count(r.b_events)) }</dd>
                        </dl>
                        <p class="muted small">{ format!(
                            "Rates are events per hour, so periods of unequal length compare fairly; listed: new, gone, and changed by {}× or more, most significant first. {} values changed less{}.",
                            r.options.min_factor, human_count(unchanged),
                            if left > 0 { format!(", {left} more changed values not shown") } else { String::new() }) }
                            if r.a_events == 0 { <strong>{" Period A holds no events of this filter: everything in B is new."}</strong> }
                        </p>
                        <div class="chips" role="group" aria-label="Kind">
                            { chip(None, format!("all {}", r.rows.len())) }
                            { for PeriodDim::ALL.iter().filter(|d| **d != PeriodDim::Rule || r.with_rules).map(|d| chip(Some(*d), format!("{} {}", d.as_str(), n_of(*d)))) }
                        </div>
                        if shown.is_empty() {
                            <p class="muted" data-testid="compare-none">{"Nothing new, gone or changed by that much."}</p>
                        } else {
                            <div class="compare-scroll">
                                <table class="grid compare-table">
                                    <thead><tr><th>{"kind"}</th><th>{"value"}</th><th>{"change"}</th>
                                        <th class="num">{"A"}</th><th class="num">{"B"}</th><th class="num" title="events per hour">{"A /h"}</th><th class="num" title="events per hour">{"B /h"}</th></tr></thead>
                                    <tbody>{ for rows }</tbody>
                                </table>
                            </div>
                        }
                    </>
                }
            }
        },
    };
    let state = match (*answer).as_ref() {
        None => "pending",
        Some(a) if a.error.is_some() => "error",
        Some(_) => "ready",
    };
    html! {
        <>
        <button class="button small" onclick={toggle} data-testid="compare-open" aria-pressed="true">{"Compare periods"}</button>
        <section class="compare-drawer" data-testid="compare-view" data-state={state} aria-label="Compare two periods">
            <div class="panel-head">
                <h2>{"Compare periods"}</h2>
                <span class="spacer"></span>
                <button class="button small ghost" onclick={close} aria-label="Close" data-testid="compare-close">{"×"}</button>
            </div>
            <div class="compare-controls">
                <label class="small">{"A = "}
                    <select onchange={on_preset} data-testid="compare-preset">
                        { for Preset::ALL.iter().filter(|p| p.0 != Preset::Files || nfiles > 1).map(|p| html! {
                            <option value={p.1} selected={*preset == p.0}>{ p.2 }</option>
                        }) }
                    </select>
                </label>
                <span class="small muted">{ if *preset == Preset::Files { "B = the files ticked B".to_string() } else if props.range.is_some() { "B = the time range chosen".to_string() } else { "B = the latter half of the loaded span".to_string() } }</span>
                if stale {
                    <button class="button small primary" onclick={again} data-testid="compare-again" title="The filter or the time range changed since">{"Compare again"}</button>
                }
            </div>
            { for files_picker }
            { body }
        </section>
        </>
    }
}
