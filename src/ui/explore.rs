//! The Explore view: filter, timeline, event table, top-N panels and event detail, all
//! answered by the worker (see `crate::web::explore`); plus the loaded files and the first
//! rejected lines.
//!
//! This component sends the requests (query on every change of what is shown, pages as the
//! table scrolls, the event when one is opened, downloads) and tags each with a fresh id;
//! the reducer drops answers to anything but the latest.

use crate::ui::compare_periods::ComparePeriods;
use crate::ui::dom;
use crate::ui::event_detail::EventDetailPanel;
use crate::ui::event_table::EventTable;
use crate::ui::explore_state::{ExploreAction, ExploreState, PAGE};
use crate::ui::filter_bar::FilterBar;
use crate::ui::format;
use crate::ui::history_view::HistoryView;
use crate::ui::timeline::TimelineChart;
use crate::ui::top_panels::TopPanels;
use crate::web::protocol::{
    ExportKind, FileSummary, PolicyReport, QueryResult, QuerySpec, Request, Summary, TopDim,
};
use std::collections::HashSet;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ExploreProps {
    pub summary: Option<Rc<Summary>>,
    pub policy: Option<Rc<PolicyReport>>,
    pub state: ExploreState,
    pub dispatch: Callback<ExploreAction>,
    pub send: Callback<Request>,
    /// Opens the Actor view (issue 12).
    #[prop_or_default]
    pub on_actor: Callback<String>,
    /// Findings to mark on the timeline: first event time, severity (issue 13).
    #[prop_or_default]
    pub markers: Rc<Vec<(i64, crate::web::protocol::Severity)>>,
}

fn file_row(f: &FileSummary) -> Html {
    let span = match (f.first_us, f.last_us) {
        (Some(a), Some(b)) => format!(
            "{} → {} ({})",
            format::time(a),
            format::time(b),
            format::duration_us(b - a)
        ),
        _ => "–".into(),
    };
    let mut kind = f.format.clone();
    if f.gzip {
        kind = format!("gzip, {kind}");
    }
    for (w, n) in &f.wrappers {
        kind = format!("{kind}, inside {w} ({n})");
    }
    html! {
        <tr data-testid="file-row" data-events={f.events.to_string()} data-rejected={f.rejected.to_string()}>
            <td class="name" title={f.name.clone()}>{ &f.name }
                if let Some(d) = &f.diagnosis { <div class="diagnosis">{ d }</div> }
            </td>
            <td class="num" title={format!("{} bytes", f.bytes)}>{ format::bytes(f.bytes) }</td>
            <td>{ kind }</td>
            <td class="num" title={f.events.to_string()}>{ crate::util::human_count(f.events) }</td>
            <td class={classes!("num", (f.rejected > 0).then_some("warn"))} title={f.rejected.to_string()}>{ crate::util::human_count(f.rejected) }</td>
            <td class="mono">{ span }</td>
        </tr>
    }
}

/// How long a half-typed filter that matches nothing keeps the previous result, ms.
const HOLD_MS: f64 = 1500.0;

/// The last result with events: (result, its pages, its tops, their query id).
type HeldResult = (
    Rc<QueryResult>,
    Rc<std::collections::BTreeMap<u32, Rc<Vec<crate::web::protocol::RowView>>>>,
    Rc<Vec<crate::web::protocol::TopTable>>,
    u32,
);

/// Timeline bins for the window width (about one per 5 px).
fn bins_for_window() -> u32 {
    let w = web_sys::window()
        .and_then(|w| w.inner_width().ok())
        .and_then(|v| v.as_f64())
        .unwrap_or(1200.0);
    ((w.min(1400.0) - 120.0) / 5.0).clamp(60.0, 300.0) as u32
}

#[function_component]
pub fn ExploreView(props: &ExploreProps) -> Html {
    let next_id = use_mut_ref(|| 0u32);
    // The half-typed filter's hold (issue 16 §6, see below).
    let typed_at = use_mut_ref(|| 0.0f64);
    let confirmed = use_mut_ref(|| false);
    let hold_timer = use_mut_ref(|| 0u32);
    let hold_tick = use_state(|| 0u32);
    let last_good = use_mut_ref(|| None::<HeldResult>);
    let asked = use_mut_ref(HashSet::<(u32, u32)>::new);
    let fresh = {
        let next_id = next_id.clone();
        move || {
            let mut n = next_id.borrow_mut();
            *n += 1;
            *n
        }
    };
    let st = &props.state;
    // The query: whenever what is shown changes (or the data or the policy does).
    {
        let (send, dispatch, fresh) = (props.send.clone(), props.dispatch.clone(), fresh.clone());
        let summary_key = props.summary.as_ref().map(|s| Rc::as_ptr(s) as usize);
        let policy_key = props.policy.as_ref().map(|p| Rc::as_ptr(p) as usize);
        let deps = (
            st.applied.clone(),
            st.range,
            st.stack,
            st.sort,
            st.per_request,
            summary_key,
            policy_key,
            st.retry,
        );
        use_effect_with(
            deps,
            move |(filter, range, stack, sort, per_request, summary, _, _)| {
                if summary.is_some() {
                    let id = fresh();
                    dispatch.emit(ExploreAction::QuerySent(id));
                    send.emit(Request::Query(QuerySpec {
                        id,
                        filter: filter.clone(),
                        range: *range,
                        stack: *stack,
                        bins: bins_for_window(),
                        sort: *sort,
                        per_request: *per_request,
                        page: PAGE,
                        top: 10,
                    }));
                }
            },
        );
    }
    // The event detail.
    {
        let (send, dispatch, fresh) = (props.send.clone(), props.dispatch.clone(), fresh.clone());
        use_effect_with(st.detail_row, move |row| {
            if let Some(row) = *row {
                let id = fresh();
                dispatch.emit(ExploreAction::DetailSent(id));
                send.emit(Request::Event { id, row });
            }
        });
    }
    // The object history view.
    {
        let (send, dispatch, fresh) = (props.send.clone(), props.dispatch.clone(), fresh.clone());
        use_effect_with(st.history_row, move |row| {
            if let Some(row) = *row {
                let id = fresh();
                dispatch.emit(ExploreAction::HistorySent(id));
                send.emit(Request::History { id, row });
            }
        });
    }
    // A finished download.
    {
        let dispatch = props.dispatch.clone();
        use_effect_with(st.export.clone(), move |e| {
            if let Some(e) = e {
                if e.error.is_none() {
                    dom::download(&e.blob, &e.name);
                }
                dispatch.emit(ExploreAction::ExportDone);
            }
        });
    }
    let Some(s) = &props.summary else {
        return html! {
            <div class="empty">{"No log loaded yet. Drop an audit log, or load the sample, to explore it."}</div>
        };
    };
    let d = props.dispatch.clone();
    let on_term =
        d.reform(|(term, negate): (String, bool)| ExploreAction::AddTerm { term, negate });
    let on_range = d.reform(ExploreAction::SetRange);
    let on_stack = d.reform(ExploreAction::SetStack);
    let on_local = d.reform(|_: ()| ExploreAction::ToggleLocalTime);
    let on_complete = {
        let (send, dispatch, fresh) = (props.send.clone(), d.clone(), fresh.clone());
        Callback::from(move |(text, cursor): (String, u32)| {
            let id = fresh();
            dispatch.emit(ExploreAction::CompletionSent(id));
            send.emit(Request::Complete { id, text, cursor });
        })
    };
    let result_id = st.result.as_ref().map_or(0, |r| r.id);
    let on_need = {
        let (send, asked) = (props.send.clone(), asked.clone());
        Callback::from(move |k: u32| {
            if asked.borrow_mut().insert((result_id, k)) {
                send.emit(Request::Rows {
                    id: result_id,
                    offset: k * PAGE,
                    limit: PAGE,
                });
            }
        })
    };
    let on_select = d.reform(|(index, open): (u32, bool)| ExploreAction::Select { index, open });
    let on_sort = d.reform(ExploreAction::SetSort);
    let on_per_request = d.reform(|_: ()| ExploreAction::TogglePerRequest);
    let on_csv = {
        let (send, dispatch, fresh) = (props.send.clone(), d.clone(), fresh.clone());
        Callback::from(move |dim: TopDim| {
            dispatch.emit(ExploreAction::ExportStarted);
            send.emit(Request::Export {
                id: fresh(),
                kind: ExportKind::TopCsv(dim),
            });
        })
    };
    let pending = st.result.as_ref().is_none_or(|r| r.id != st.sent);
    let on_stop = {
        let send = props.send.clone();
        Callback::from(move |()| send.emit(Request::StopQuery))
    };
    // Issue 16 §6: a half-typed term ("user:ali" on the way to "user:alice") matches
    // nothing; the previous result stays on screen (dimmed) instead of the empty state
    // until the typing pauses for HOLD_MS, Enter is pressed or the input loses focus.
    let now = js_sys::Date::now();
    if st.filter != st.applied {
        *typed_at.borrow_mut() = now;
        *confirmed.borrow_mut() = false;
    }
    if let Some(r) = st.result.as_ref().filter(|r| r.count > 0) {
        *last_good.borrow_mut() = Some((r.clone(), st.pages.clone(), st.tops.clone(), st.tops_id));
    }
    let held = st.result.as_ref().and_then(|r| {
        let since = now - *typed_at.borrow();
        let typing = !*confirmed.borrow()
            && since < HOLD_MS
            && !st.filter.ends_with(char::is_whitespace)
            && r.count == 0
            && r.total > 0;
        if !typing {
            return None;
        }
        if *hold_timer.borrow() != r.id {
            *hold_timer.borrow_mut() = r.id;
            let tick = hold_tick.clone();
            dom::after((HOLD_MS - since).max(0.0) as i32 + 20, move || {
                tick.set(tick.wrapping_add(1))
            });
        }
        last_good.borrow().clone()
    });
    let on_keys = {
        let (confirmed, tick) = (confirmed.clone(), hold_tick.clone());
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                *confirmed.borrow_mut() = true;
                tick.set(tick.wrapping_add(1));
            }
        })
    };
    let on_blur = {
        let (confirmed, tick) = (confirmed.clone(), hold_tick.clone());
        Callback::from(move |_: FocusEvent| {
            *confirmed.borrow_mut() = true;
            tick.set(tick.wrapping_add(1));
        })
    };
    let main = match (&st.result, held) {
        (None, _) => html! { <section class="panel"><p class="muted">{"Filtering…"}</p></section> },
        // Two children, as the arm below: Yew matches unkeyed children from the end, so
        // another count here would re-create the filter bar (and lose its focus).
        (Some(_), Some((r, pages, tops, tops_id))) => html! {
            <>
                <TimelineChart result={r.clone()} stack={st.stack} local_time={st.local_time}
                    on_range={on_range.clone()} on_term={on_term.clone()} on_stack={on_stack.clone()} on_local={on_local.clone()}
                    markers={props.markers.clone()} />
            <div class="held-result" data-testid="held-result">
                <p class="muted small held-note" role="status">{ format!("Nothing matches “{}” yet — showing the previous result while you type (Enter shows the empty result).", st.applied) }</p>
                <div class="explore-grid">
                    <EventTable total={r.page.total} query={r.id} {pages} selected={None::<u32>}
                        sort={st.sort} per_request={st.per_request} policy={r.policy} local_time={st.local_time}
                        show_year={false}
                        on_need={Callback::from(|_: u32| ())} on_select={Callback::from(|_: (u32, bool)| ())} on_term={on_term.clone()}
                        on_sort={on_sort.clone()} on_per_request={on_per_request.clone()} />
                    <TopPanels {tops} stale={tops_id != r.id} count={r.count} bytes={r.bytes} on_term={on_term.clone()} on_csv={on_csv.clone()} on_actor={props.on_actor.clone()}
                        sort={st.top_sort} on_sort={d.reform(ExploreAction::SetTopSort)} />
                </div>
            </div>
            </>
        },
        (Some(r), None) => {
            let empty = r.count == 0;
            let clear = d.reform(|_: MouseEvent| ExploreAction::SetFilter(String::new()));
            let zoom_out = d.reform(|_: MouseEvent| ExploreAction::SetRange(None));
            html! {
                <>
                    <TimelineChart result={r.clone()} stack={st.stack} local_time={st.local_time}
                        on_range={on_range.clone()} on_term={on_term.clone()} {on_stack} {on_local}
                        markers={props.markers.clone()} />
                    if empty {
                        <section class="panel empty" data-testid="no-match">
                            <p>{ if r.total == 0 { "The loaded files hold no events." } else { "No events match the filter in this time range." } }</p>
                            <div class="drop-actions">
                                if !st.applied.is_empty() { <button class="button primary" onclick={clear}>{"Clear filter"}</button> }
                                if r.range.is_some() { <button class="button" onclick={zoom_out}>{"Zoom out"}</button> }
                            </div>
                        </section>
                    } else {
                        <div class="explore-grid">
                            <EventTable total={r.page.total} query={r.id} pages={st.pages.clone()} selected={st.selected}
                                sort={st.sort} per_request={st.per_request} policy={r.policy} local_time={st.local_time}
                                show_year={r.span.is_some_and(|(a, b)| crate::ui::dom::time_ms(a, st.local_time).get(..4) != crate::ui::dom::time_ms(b, st.local_time).get(..4))}
                                {on_need} {on_select} on_term={on_term.clone()} {on_sort} {on_per_request}
                                on_history={d.reform(ExploreAction::OpenHistory)} on_actor={props.on_actor.clone()} />
                            <TopPanels tops={st.tops.clone()} stale={st.tops_id != r.id} count={r.count} bytes={r.bytes} on_term={on_term.clone()} {on_csv} on_actor={props.on_actor.clone()}
                                sort={st.top_sort} on_sort={d.reform(ExploreAction::SetTopSort)} />
                        </div>
                    }
                </>
            }
        }
    };
    let detail = st.detail_row.map(|row| {
        html! {
            <EventDetailPanel {row} detail={st.detail.clone()} local_time={st.local_time}
                on_close={d.reform(|_: ()| ExploreAction::CloseDetail)} on_open_row={d.reform(ExploreAction::OpenRow)}
                on_history={d.reform(ExploreAction::OpenHistory)}
                next={st.next.clone()} on_actor={props.on_actor.clone()} />
        }
    });
    // Files that were not (wholly) read as audit logs: said up front, not only in the
    // collapsed file list (a PDF dropped by mistake, a gzip bomb, a truncated gzip).
    let diagnosed: Vec<&FileSummary> = s.files.iter().filter(|f| f.diagnosis.is_some()).collect();
    html! {
        <div class="explore" onkeydown={on_keys} onfocusout={on_blur}>
            if !diagnosed.is_empty() {
                <section class="banner note diagnoses" role="status" data-testid="diagnoses">
                    <ul>
                        { for diagnosed.iter().map(|f| html! {
                            <li><strong>{ &f.name }</strong>{ ": " }{ f.diagnosis.clone().unwrap_or_default() }</li>
                        }) }
                    </ul>
                </section>
            }
            <div class="explore-bar">
                <FilterBar state={st.clone()} dispatch={d.clone()} {on_complete} {pending} {on_stop} />
                <div class="exports">
                    <ComparePeriods summary={s.clone()} filter={st.applied.clone()} range={st.range}
                        span={st.result.as_ref().and_then(|r| r.span)} local_time={st.local_time}
                        send={props.send.clone()} dispatch={d.clone()} />
                    <crate::ui::export_menu::ExportMenu send={props.send.clone()} dispatch={d.clone()} exporting={st.exporting} disabled={st.result.as_ref().is_none_or(|r| r.count == 0)} export={st.export.clone()} />
                </div>
            </div>
            { main }
            { for detail }
            if let Some(row) = st.history_row {
                <HistoryView {row} reply={st.history.clone()} local_time={st.local_time}
                    on_close={d.reform(|_: ()| ExploreAction::CloseHistory)} on_open_row={d.reform(ExploreAction::OpenRow)} />
            }
            <details class="panel files-panel">
                <summary><h2 class="inline">{ format!("Files ({})", s.files.len()) }</h2></summary>
                <table class="grid">
                    <thead><tr>
                        <th>{"File"}</th><th class="num">{"Size"}</th><th>{"Format"}</th>
                        <th class="num">{"Events"}</th><th class="num">{"Rejected"}</th><th>{"Time span (UTC)"}</th>
                    </tr></thead>
                    <tbody>{ for s.files.iter().map(file_row) }</tbody>
                </table>
            </details>
            if !s.rejections.is_empty() {
                <section class="panel" data-testid="rejections">
                    <h2>{ format!("Rejected lines — first {} of {}", s.rejections.len(), s.rejected) }</h2>
                    <p class="muted">{"These input lines are not audit events; they are counted but not loaded."}</p>
                    <ul class="rejections mono">
                        { for s.rejections.iter().map(|r| html! {
                            <li><span class="where">{ format!("{}:{}", r.file, r.line) }</span>{": "}{ &r.reason }</li>
                        }) }
                    </ul>
                </section>
            }
        </div>
    }
}
