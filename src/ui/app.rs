//! The root component: owns the state and the worker bridge, lays out the page.
//!
//! Before anything is loaded the page is the landing view (a big drop zone); afterwards
//! it is the workspace (compact drop bar, summary, tabs). Files dropped anywhere on the
//! page are loaded; the drop zone handles its own drops.

use crate::ui::actor_view::{ActorAction, ActorView};
use crate::ui::case_pane::{CaseAction, CaseCtx, CasePane};
use crate::ui::drop_zone::{files_of, DropZone};
use crate::ui::error_banner::ErrorBanner;
use crate::ui::expected_files::ExpectedFiles;
use crate::ui::explore::ExploreView;
use crate::ui::explore_state::ExploreAction;
use crate::ui::feed_view::{FeedAction, FeedView};
use crate::ui::findings_view::{use_findings_sync, FindingsAction, FindingsCount, FindingsView};
use crate::ui::fit_dialog::FitDialog;
use crate::ui::header::Header;
use crate::ui::help::HelpDialog;
use crate::ui::keys::{key_target, use_global_keys};
use crate::ui::load_summary::LoadSummary;
use crate::ui::policy_state::PolicyAction;
use crate::ui::policy_sync::use_policy_sync;
use crate::ui::policy_view::PolicyView;
use crate::ui::progress::ProgressPanel;
use crate::ui::state::{Action, State, Tab};
use crate::web::protocol::{FileRef, Request};
use crate::web::spawn::spawn_engine;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{DragEvent, File, HtmlElement, KeyboardEvent};
use yew::prelude::*;

/// How long the worker may take to answer its first message.
const ENGINE_DEADLINE_MS: i32 = 15_000;

/// Clicks the element with this id (the hidden file inputs).
fn click_id(id: &str) {
    let el = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id));
    if let Some(el) = el.and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
        el.click();
    }
}

/// Focuses the Explore filter if the view has one.
fn focus_filter() {
    let doc = web_sys::window().and_then(|w| w.document());
    let el = doc.and_then(|d| {
        d.query_selector("[data-testid=filter-input]")
            .ok()
            .flatten()
    });
    if let Some(el) = el.and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
        let _ = el.focus();
    }
}

#[function_component]
pub fn App() -> Html {
    let state = use_reducer(|| State::from_hash(&crate::ui::dom::read_hash()));

    // The worker lives as long as the page; its replies become actions.
    let bridge = {
        let dispatcher = state.dispatcher();
        use_memo((), move |_| {
            let bridge = spawn_engine(move |r| dispatcher.dispatch(Action::Worker(r)));
            // `?max-events=N` in the URL: pretend the tab holds fewer events (to try the
            // "won't fit" path without gigabytes of logs).
            if let Some(max_events) =
                crate::ui::dom::query_param("max-events").and_then(|v| v.parse::<u64>().ok())
            {
                bridge.send(Request::SetLimits { max_events });
            }
            bridge
        })
    };
    // Say so plainly if the worker never answers (e.g. its files are missing on the host).
    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            let cb = wasm_bindgen::closure::Closure::once_into_js(move || {
                dispatcher.dispatch(Action::EngineDeadline)
            });
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                    cb.unchecked_ref(),
                    ENGINE_DEADLINE_MS,
                );
            }
        });
    }
    // While loading: notice when the worker goes silent (it may have died).
    {
        let dispatcher = state.dispatcher();
        use_effect_with(state.loading.is_some(), move |loading| {
            let timer = loading.then(|| {
                let tick = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
                    dispatcher.dispatch(Action::LoadTick {
                        now_ms: js_sys::Date::now(),
                    })
                });
                let id = web_sys::window().and_then(|w| {
                    w.set_interval_with_callback_and_timeout_and_arguments_0(
                        tick.as_ref().unchecked_ref(),
                        5_000,
                    )
                    .ok()
                });
                (tick, id)
            });
            move || {
                if let (Some((_tick, Some(id))), Some(w)) = (timer, web_sys::window()) {
                    w.clear_interval_with_handle(id);
                }
            }
        });
    }
    let send = {
        let bridge = bridge.clone();
        use_callback((), move |r: Request, _| bridge.send(r))
    };

    let on_files = {
        let (send, dispatcher) = (send.clone(), state.dispatcher());
        use_callback((), move |(files, as_policy): (Vec<File>, bool), _| {
            if files.is_empty() {
                dispatcher.dispatch(Action::Fail(
                    "Nothing to load: the drop held no files. Drop files from your file manager (folders and text selections can't be read).".into(),
                ));
                return;
            }
            let load = {
                let (send, dispatcher) = (send.clone(), dispatcher.clone());
                Callback::from(move |files: Vec<File>| {
                    dispatcher.dispatch(Action::LoadStarted { policy: as_policy });
                    send.emit(Request::Load {
                        files: files.into_iter().map(FileRef::from_file).collect(),
                        as_policy,
                    });
                })
            };
            if as_policy {
                load.emit(files);
            } else {
                // A case file (issue 16) is told by its content before the log routing.
                let d = dispatcher.clone();
                let on_case = Callback::from(move |(name, c)| {
                    d.dispatch(Action::Case(CaseAction::Open(name, c)))
                });
                crate::ui::drop_zone::route_cases(files, on_case, load);
            }
        })
    };
    let on_sample = {
        let (send, dispatcher) = (send.clone(), state.dispatcher());
        use_callback((), move |_: (), _| {
            dispatcher.dispatch(Action::LoadStarted { policy: false });
            send.emit(Request::LoadSample);
        })
    };
    let on_cancel = {
        let (send, dispatcher) = (send.clone(), state.dispatcher());
        use_callback((), move |_: (), _| {
            dispatcher.dispatch(Action::CancelRequested);
            send.emit(Request::Cancel);
        })
    };
    let on_clear = {
        let (send, dispatcher) = (send.clone(), state.dispatcher());
        use_callback((), move |_: (), _| {
            dispatcher.dispatch(Action::ClearRequested);
            send.emit(Request::Clear);
        })
    };
    let on_resume = {
        let (send, dispatcher) = (send.clone(), state.dispatcher());
        use_callback(
            (),
            move |(files, window): (Vec<u32>, Option<(i64, i64)>), _| {
                dispatcher.dispatch(Action::LoadStarted { policy: false });
                send.emit(Request::Resume { files, window });
            },
        )
    };
    let on_fit_dismiss = {
        let (send, dispatcher) = (send.clone(), state.dispatcher());
        use_callback((), move |_: (), _| {
            dispatcher.dispatch(Action::FitClosed);
            send.emit(Request::Cancel);
        })
    };
    let on_tab = {
        let dispatcher = state.dispatcher();
        use_callback((), move |t: Tab, _| dispatcher.dispatch(Action::ShowTab(t)))
    };
    let on_help = {
        let dispatcher = state.dispatcher();
        use_callback((), move |_: (), _| dispatcher.dispatch(Action::ToggleHelp))
    };
    let close_help = {
        let dispatcher = state.dispatcher();
        use_callback((), move |_: (), _| dispatcher.dispatch(Action::CloseHelp))
    };
    // One-character shortcuts can be turned off (WCAG 2.1.4); the key listener reads the
    // cell, the help dialog shows and flips it.
    let single_keys = use_mut_ref(|| std::cell::Cell::new(crate::ui::keys::single_keys_on()));
    let single_keys_shown = use_state(|| single_keys.borrow().get());
    let on_single_keys = {
        let (cell, shown) = (single_keys.clone(), single_keys_shown.clone());
        use_callback((), move |on: bool, _| {
            cell.borrow().set(on);
            crate::ui::keys::set_single_keys(on);
            shown.set(on);
        })
    };
    let dismiss = {
        let dispatcher = state.dispatcher();
        use_callback((), move |_: (), _| {
            dispatcher.dispatch(Action::DismissError)
        })
    };
    let pick_policy = use_callback((), |_: (), _| click_id("policy-input"));
    // ---- Explore view (issue 5): its actions, and the view kept in the URL hash ----
    let explore_dispatch = {
        let dispatcher = state.dispatcher();
        use_callback((), move |a: ExploreAction, _| {
            dispatcher.dispatch(Action::Explore(a))
        })
    };
    // Issue 16: the table's columns live in local storage; a change there re-writes the hash.
    let cols_rev = use_state(|| 0u32);
    {
        let cols_rev = cols_rev.clone();
        use_effect_with((), move |_| {
            let cb = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::Event)>::new(
                move |e: web_sys::Event| {
                    let col = e
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                        .and_then(|el| el.get_attribute("data-testid"))
                        .is_some_and(|id| id.starts_with("col-"));
                    if col {
                        cols_rev.set(js_sys::Date::now() as u32);
                    }
                },
            );
            if let Some(w) = web_sys::window() {
                let _ = w.add_event_listener_with_callback("change", cb.as_ref().unchecked_ref());
            }
            move || {
                if let Some(w) = web_sys::window() {
                    let _ = w
                        .remove_event_listener_with_callback("change", cb.as_ref().unchecked_ref());
                }
            }
        });
    }
    let view_parts = {
        let ex = &state.explore;
        let mut parts = ex.hash_parts();
        // The selected event waiting for its files stays in the link.
        if !parts.iter().any(|(k, _)| k == "ev") {
            if let Some(ev) = &state.case.pending_ev {
                parts.push(("ev".into(), ev.param()));
            }
        }
        let _ = *cols_rev;
        let cols = web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|st| {
                st.get_item(crate::ui::explore_state::COLUMNS_KEY)
                    .ok()
                    .flatten()
            });
        if let Some(c) = cols.filter(|c| c != "reason") {
            parts.push(("cols".into(), c));
        }
        parts.extend(state.workbench.hash_parts());
        if state.tab != Tab::Explore {
            parts.push(("tab".into(), state.tab.label().to_lowercase()));
        }
        parts
    };
    {
        let files = if state.case.loaded.is_empty() {
            (*state.case.expected).clone()
        } else {
            (*state.case.loaded).clone()
        };
        let parts = crate::case::view::with_files(view_parts.clone(), &files);
        let has = state.has_data();
        use_effect_with(parts, move |parts| {
            if has || !parts.is_empty() {
                crate::ui::dom::write_hash(parts);
            }
        });
    }
    // --- policy workbench ---
    use_policy_sync(&state, send.clone());
    crate::ui::policy_advisor::use_advisor_sync(&state, send.clone());
    let on_policy = {
        let dispatcher = state.dispatcher();
        use_callback((), move |a: PolicyAction, _| {
            dispatcher.dispatch(Action::Policy(a))
        })
    };
    let on_explore_rule = {
        let dispatcher = state.dispatcher();
        use_callback((), move |rule: usize, _| {
            dispatcher.dispatch(Action::Explore(
                crate::ui::explore_state::ExploreAction::SetFilter(format!("rule:{rule}")),
            ));
            dispatcher.dispatch(Action::ShowTab(Tab::Explore));
        })
    };

    // ---- actor view and activity feed (issue 12) ----
    let on_actor = {
        let (dispatcher, send) = (state.dispatcher(), send.clone());
        use_callback(state.actor.gap_us, move |who: String, gap| {
            let d = dispatcher.clone();
            let dispatch = Callback::from(move |a: ActorAction| d.dispatch(Action::Actor(a)));
            crate::ui::actor_view::ask(&send, &dispatch, who, *gap, true);
        })
    };
    let actor_dispatch = {
        let dispatcher = state.dispatcher();
        use_callback((), move |a: ActorAction, _| {
            dispatcher.dispatch(Action::Actor(a))
        })
    };
    let feed_dispatch = {
        let dispatcher = state.dispatcher();
        use_callback((), move |a: FeedAction, _| {
            dispatcher.dispatch(Action::Feed(a))
        })
    };
    let actor_open_row = {
        let dispatcher = state.dispatcher();
        use_callback((), move |row: u32, _| {
            dispatcher.dispatch(Action::ShowTab(Tab::Explore));
            dispatcher.dispatch(Action::Explore(ExploreAction::OpenRow(row)));
        })
    };
    let actor_explore = {
        let dispatcher = state.dispatcher();
        use_callback(
            (),
            move |(filter, range): (String, Option<(i64, i64)>), _| {
                dispatcher.dispatch(Action::Explore(ExploreAction::SetFilter(filter)));
                dispatcher.dispatch(Action::Explore(ExploreAction::SetRange(range)));
                dispatcher.dispatch(Action::ShowTab(Tab::Explore));
            },
        )
    };

    // ---- findings (issue 13): the pack runs after every load, whichever tab is shown ----
    let findings_dispatch = {
        let dispatcher = state.dispatcher();
        use_callback((), move |a: FindingsAction, _| {
            dispatcher.dispatch(Action::Findings(a))
        })
    };
    use_findings_sync(
        state.summary.clone(),
        state.loading.is_some(),
        send.clone(),
        findings_dispatch.clone(),
    );
    // ---- view links and case files (issue 16) ----
    let case_dispatch = {
        let dispatcher = state.dispatcher();
        use_callback((), move |a: CaseAction, _| {
            dispatcher.dispatch(Action::Case(a))
        })
    };
    let query_done = state
        .explore
        .result
        .as_ref()
        .filter(|r| r.id == state.explore.sent)
        .map(|r| r.id);
    crate::ui::case_pane::use_case_sync(
        &state.case,
        query_done,
        send.clone(),
        case_dispatch.clone(),
    );
    let case_ctx = {
        let pinned: Vec<(String, String)> = state
            .case
            .case
            .pins
            .iter()
            .map(|p| (p.audit_id.clone(), p.stage.clone()))
            .collect();
        let d = case_dispatch.clone();
        CaseCtx {
            pinned: Rc::new(pinned),
            on_pin: Callback::from(move |(a, st, t, raw)| {
                d.emit(CaseAction::TogglePin(a, st, t, raw))
            }),
        }
    };
    let case_pane = {
        let c = &state.case;
        let show = !c.case.is_empty() || c.undo.is_some() || c.message.is_some();
        show.then(|| html! {
            <CasePane state={c.clone()} dispatch={case_dispatch.clone()} view={Rc::new(view_parts.clone())} local_time={state.explore.local_time} />
        })
    };
    let expected = html! {
        <ExpectedFiles expected={state.case.expected.clone()} loaded={state.case.loaded.clone()}
            from_case={state.case.expected_from_case} has_event={state.case.pending_ev.is_some()}
            on_dismiss={case_dispatch.reform(|_: ()| CaseAction::DismissExpected)} />
    };
    let findings_history = {
        let dispatcher = state.dispatcher();
        use_callback((), move |row: u32, _| {
            dispatcher.dispatch(Action::ShowTab(Tab::Explore));
            dispatcher.dispatch(Action::Explore(ExploreAction::OpenHistory(row)));
        })
    };
    let show_findings = {
        let dispatcher = state.dispatcher();
        use_callback((), move |_: (), _| {
            dispatcher.dispatch(Action::ShowTab(Tab::Findings))
        })
    };

    {
        let (dispatcher, on_sample) = (state.dispatcher(), on_sample.clone());
        let cell = single_keys.clone();
        use_global_keys(Callback::from(move |e: KeyboardEvent| {
            use crate::view::{key_action, KeyAction as K};
            let on = cell.borrow().get();
            let Some(act) = key_action(&e.key(), key_target(&e), on) else {
                return;
            };
            match act {
                K::ToggleHelp => dispatcher.dispatch(Action::ToggleHelp),
                K::Close => dispatcher.dispatch(Action::Escape),
                K::Move(n) => dispatcher.dispatch(Action::Explore(ExploreAction::Move(n))),
                K::OpenSelected => {
                    dispatcher.dispatch(Action::Explore(ExploreAction::OpenSelected))
                }
                K::FocusFilter => {
                    dispatcher.dispatch(Action::ShowTab(Tab::Explore));
                    focus_filter();
                }
                K::OpenFiles => click_id("file-input"),
                K::OpenPolicy => click_id("policy-input"),
                K::LoadSample => on_sample.emit(()),
                K::ShowExplore => dispatcher.dispatch(Action::ShowTab(Tab::Explore)),
                K::ShowPolicy => dispatcher.dispatch(Action::ShowTab(Tab::Policy)),
            }
            if act.swallows() {
                e.prevent_default();
            }
        }));
    }

    // Drops outside the drop zone: load them too, and never let the browser navigate away.
    let page_dragover = Callback::from(|e: DragEvent| e.prevent_default());
    let page_drop = {
        let on_files = on_files.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            on_files.emit((files_of(e.data_transfer().and_then(|d| d.files())), false));
        })
    };

    let s = &*state;
    let progress = s
        .loading
        .clone()
        .map(|l| html! { <ProgressPanel loading={l} on_cancel={on_cancel.clone()} /> });
    let error = s
        .error
        .clone()
        .map(|m| html! { <ErrorBanner message={m} on_dismiss={dismiss.clone()} /> });
    let note = s.notice.clone().map(|n| {
        html! {
            <div class="banner note" role="status" data-testid="notice">{ n }</div>
        }
    });
    let fit = s.wont_fit.clone().map(|f| {
        html! { <FitDialog fit={f} on_resume={on_resume.clone()} on_dismiss={on_fit_dismiss.clone()} /> }
    });

    let body = if !s.has_data() {
        html! {
            <main class="landing">
                { error }
                { note }
                { fit.clone() }
                { expected.clone() }
                { for case_pane.clone() }
                <DropZone compact={false} on_files={on_files.clone()} on_sample={on_sample.clone()} />
                <div class="status-slot">
                    if let Some(p) = progress { { p } } else {
                        <p class="slot-hint">{"Tip: drop several files at once — rotated logs are merged in time order. Press "}<kbd>{"?"}</kbd>{" for keyboard shortcuts."}</p>
                    }
                </div>
                <section class="facts">
                    <div><h3>{"Logs"}</h3><p>{"kube-apiserver --audit-log-path output, rotated .gz files, EventList JSON, managed-cluster exports (AKS diagnostic records)."}</p></div>
                    <div><h3>{"Policies"}</h3><p>{"audit.k8s.io Policy YAML, or a ConfigMap holding one. See what it records, drops and costs."}</p></div>
                    <div><h3>{"Private"}</h3><p>{"Files are read by this page, in this tab. Nothing is uploaded; you can use it offline."}</p></div>
                </section>
            </main>
        }
    } else {
        let view = match s.tab {
            Tab::Explore => html! {
                <ExploreView summary={s.summary.clone()} policy={s.policy.clone()} state={s.explore.clone()}
                    dispatch={explore_dispatch.clone()} send={send.clone()} on_actor={on_actor.clone()}
                    markers={s.findings.markers()} />
            },
            Tab::Findings => html! {
                <FindingsView state={s.findings.clone()} dispatch={findings_dispatch.clone()} send={send.clone()}
                    local_time={s.explore.local_time} on_explore={actor_explore.clone()}
                    on_open_row={actor_open_row.clone()} on_history={findings_history.clone()} />
            },
            Tab::Activity => html! {
                <FeedView state={s.feed.clone()} dispatch={feed_dispatch.clone()} send={send.clone()}
                    data_key={s.summary.as_ref().map_or(0, |x| Rc::as_ptr(x) as usize)}
                    detail_row={s.explore.detail_row} detail={s.explore.detail.clone()} next={s.explore.next.clone()}
                    on_explore={explore_dispatch.clone()} on_actor={on_actor.clone()} local_time={s.explore.local_time} />
            },
            Tab::Policy => {
                html! {
                    <PolicyView workbench={s.workbench.clone()} has_log={s.summary.is_some()}
                                on_action={on_policy.clone()} on_explore_rule={on_explore_rule.clone()}
                                on_pick={pick_policy.clone()} />
                }
            }
        };
        html! {
            <main class="workspace">
                <DropZone compact={true} on_files={on_files.clone()} on_sample={on_sample.clone()} on_clear={Some(on_clear.clone())} />
                { error }
                // A policy alone has no summary: no empty band then.
                if let Some(p) = progress {
                    <div class="status-slot">{ p }</div>
                } else if let Some(sum) = s.summary.clone() {
                    <div class="status-slot"><LoadSummary summary={sum}>
                        <FindingsCount state={s.findings.clone()} on_click={show_findings.clone()} />
                    </LoadSummary></div>
                }
                { note }
                { fit }
                { expected }
                { for case_pane }
                <div class="view" role="tabpanel">{ view }</div>
            </main>
        }
    };

    html! {
        <ContextProvider<CaseCtx> context={case_ctx}>
        <div class="app" ondragover={page_dragover} ondrop={page_drop}>
            <Header tab={s.tab} show_tabs={s.has_data()} engine={s.engine.clone().map(AttrValue::from)} {on_tab} {on_help} />
            { body }
            if s.actor.open.is_some() {
                <ActorView state={s.actor.clone()} dispatch={actor_dispatch.clone()} send={send.clone()}
                    on_open_row={actor_open_row.clone()} on_explore={actor_explore.clone()} local_time={s.explore.local_time} />
            }
            if s.help_open { <HelpDialog on_close={close_help} single_keys={*single_keys_shown} on_single_keys={on_single_keys} /> }
        </div>
        </ContextProvider<CaseCtx>>
    }
}
