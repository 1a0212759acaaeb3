//! The page's one state and the actions that change it.
//!
//! Every change goes through [`State::reduce`]: user intents and the worker's replies
//! (wrapped in [`Action::Worker`]) alike, so there is one readable `match` to look at.
//!
//! Invariants:
//! - `loading` is `Some` from the moment a load is sent until its `Loaded` reply;
//! - `summary` is `Some` only when at least one file is loaded;
//! - the state never holds events, only the worker's small answers.

use crate::ui::explore_state::{ExploreAction, ExploreState};
use crate::ui::policy_state::{PolicyAction, Workbench};
use crate::web::protocol::{PolicyReport, Progress, Response, Summary, WontFit};
use std::rc::Rc;
use yew::Reducible;

/// Shown when the worker does not answer in time.
pub const ENGINE_DID_NOT_START: &str = "The engine did not start, so files cannot be read. If this page is hosted, check that \
worker_loader.js, worker.js and worker_bg.wasm are served next to index.html (.wasm as application/wasm), then reload.";

/// Shown when a load hears nothing from the worker for [`STALL_MS`].
pub const ENGINE_STALLED: &str = "The engine has not answered for 30 seconds while loading. It may have stopped (for example when this tab ran out of memory). \
Reload the page and load fewer files or a time window; nothing was uploaded, so you only need to pick the files again.";

/// Silence from the worker during a load that counts as stalled, ms (it reports progress
/// about ten times a second; its longest single step, sorting, takes a few seconds).
pub const STALL_MS: f64 = 30_000.0;

/// The views after loading.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tab {
    #[default]
    Explore,
    /// The detection pack's findings (issue 13).
    Findings,
    Policy,
    /// The activity feed (issue 12).
    Activity,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Explore, Tab::Findings, Tab::Policy, Tab::Activity];

    pub fn label(self) -> &'static str {
        match self {
            Tab::Explore => "Explore",
            Tab::Findings => "Findings",
            Tab::Policy => "Policy",
            Tab::Activity => "Activity",
        }
    }
}

/// A load in flight.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Loading {
    /// The latest progress report (`None` until the worker sends the first one).
    pub progress: Option<Progress>,
    /// The user asked to cancel; the worker has not answered yet.
    pub cancelling: bool,
    /// When the worker was last heard from during this load (`Date.now()`, ms).
    pub last_heard_ms: f64,
    /// [`ENGINE_STALLED`] was shown for this load.
    pub stalled: bool,
}

/// Everything the page shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    /// The engine's version once the worker answered `Hello`.
    pub engine: Option<String>,
    pub loading: Option<Loading>,
    pub summary: Option<Rc<Summary>>,
    pub policy: Option<Rc<PolicyReport>>,
    /// A problem to show until dismissed or until the next load starts.
    pub error: Option<String>,
    /// What the last load wants the user to know (e.g. what a cancel left out).
    pub notice: Option<String>,
    /// A load stopped before memory ran out; what could be loaded instead.
    pub wont_fit: Option<Rc<WontFit>>,
    pub tab: Tab,
    /// The tab was named by the URL or picked by the user: loads and restored drafts
    /// no longer switch it.
    pub tab_chosen: bool,
    /// A restored policy draft switched to Policy by itself (no log yet): the first
    /// loaded log switches back to Explore.
    pub tab_auto: bool,
    pub help_open: bool,
    // ---- Explore view (issue 5) ----
    pub explore: ExploreState,
    // ---- policy workbench (issue 6) ----
    /// The edited policy, its options and the worker's latest answer.
    pub workbench: Workbench,
    // ---- actor view and activity feed (issue 12) ----
    pub actor: crate::ui::actor_view::ActorState,
    pub feed: crate::ui::feed_view::FeedState,
    // ---- findings (issue 13) ----
    pub findings: crate::ui::findings_view::FindingsState,
    // ---- view links and case files (issue 16) ----
    pub case: crate::ui::case_pane::CaseState,
}

impl State {
    /// The initial state, with the view the URL hash names (tab, filter, range, stack).
    pub fn from_hash(parts: &[(String, String)]) -> State {
        let mut s = State::default();
        s.explore.restore(parts);
        s.workbench.restore_hash(parts);
        // The rest of the view (issue 16): columns now, the event once its files are here.
        restore_columns(parts);
        s.case.expected = Rc::new(crate::case::view::expected_files(parts));
        s.case.pending_ev = crate::case::view::selected_event(parts);
        // A link to a view (a filter, a range, a tab) says which view to show.
        s.tab_chosen = !parts.is_empty();
        if let Some((_, t)) = parts.iter().find(|(k, _)| k == "tab") {
            if let Some(tab) = Tab::ALL.iter().find(|x| x.label().eq_ignore_ascii_case(t)) {
                s.tab = *tab;
                s.tab_chosen = true;
            }
        }
        s
    }

    /// Applies an opened case's view (the URL hash's keys) once its files are loaded.
    pub fn apply_view(&mut self, parts: &[(String, String)]) {
        self.explore.restore(parts);
        self.workbench.restore_hash(parts);
        restore_columns(parts);
        if let Some((_, t)) = parts.iter().find(|(k, _)| k == "tab") {
            if let Some(tab) = Tab::ALL.iter().find(|x| x.label().eq_ignore_ascii_case(t)) {
                self.tab = *tab;
                self.tab_chosen = true;
            }
        }
        if let Some(ev) = crate::case::view::selected_event(parts) {
            self.case.pending_ev = Some(ev);
        }
    }

    /// True when anything (a log or a policy) is loaded: the workspace replaces the landing view.
    pub fn has_data(&self) -> bool {
        self.summary.is_some() || self.policy.is_some() || self.workbench.has_text()
    }
}

/// The table's columns a link names (`cols=`): kept where the table reads its choice.
fn restore_columns(parts: &[(String, String)]) {
    if let Some(v) = crate::case::view::get(parts, "cols") {
        if let Some(st) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = st.set_item(crate::ui::explore_state::COLUMNS_KEY, v);
        }
    }
}

/// Everything that can happen to the page.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// A reply from the engine worker.
    Worker(Response),
    /// The page sent a load request (files or the sample); `policy` when it was "Load policy".
    LoadStarted {
        policy: bool,
    },
    CancelRequested,
    ClearRequested,
    ShowTab(Tab),
    ToggleHelp,
    /// Escape: closes the topmost thing open — the shortcuts list, the Actor view, then
    /// the Explore view's own (an object's history, then the event detail).
    Escape,
    CloseHelp,
    DismissError,
    /// A problem found on the main thread (e.g. a drop without files).
    Fail(String),
    /// Some seconds after start: complains if the worker never answered.
    EngineDeadline,
    /// The "won't fit" choice was made (or declined).
    FitClosed,
    /// A periodic check during a load (`now_ms` from `Date.now()`).
    LoadTick {
        now_ms: f64,
    },
    // ---- Explore view (issue 5) ----
    Explore(ExploreAction),
    // ---- policy workbench (issue 6) ----
    /// Something done in the Policy view.
    Policy(PolicyAction),
    // ---- actor view and activity feed (issue 12) ----
    Actor(crate::ui::actor_view::ActorAction),
    Feed(crate::ui::feed_view::FeedAction),
    // ---- findings (issue 13) ----
    Findings(crate::ui::findings_view::FindingsAction),
    // ---- view links and case files (issue 16) ----
    Case(crate::ui::case_pane::CaseAction),
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Worker(Response::Ready { version }) => s.engine = Some(version),
            Action::Worker(Response::Progress(p)) => {
                let cancelling = s.loading.as_ref().is_some_and(|l| l.cancelling);
                if s.loading.as_ref().is_some_and(|l| l.stalled) {
                    s.error = None; // it answers again
                }
                s.loading = Some(Loading {
                    progress: Some(p),
                    cancelling,
                    last_heard_ms: js_sys::Date::now(),
                    stalled: false,
                });
            }
            Action::LoadTick { now_ms } => {
                if let Some(l) = s.loading.as_mut() {
                    if !l.stalled && now_ms - l.last_heard_ms > STALL_MS {
                        l.stalled = true;
                        s.error = Some(ENGINE_STALLED.into());
                    }
                }
            }
            Action::Worker(Response::Loaded(summary)) => {
                s.loading = None;
                s.notice = summary.note.clone();
                s.summary = (!summary.files.is_empty()).then(|| Rc::new(summary));
                if s.summary.is_none() && s.policy.is_some() {
                    s.tab = Tab::Policy;
                } else if s.summary.is_some() && s.tab_auto {
                    // A log is what one explores first; the draft only filled the
                    // empty page.
                    s.tab = Tab::Explore;
                    s.tab_auto = false;
                }
            }
            Action::Worker(Response::Policy(report)) => {
                s.workbench.adopt(&report); // policy workbench: the editor shows it
                s.policy = Some(Rc::new(report));
            }
            Action::Worker(Response::Error(e)) => s.error = Some(e),
            Action::Worker(Response::WontFit(f)) => s.wont_fit = Some(Rc::new(*f)),
            Action::FitClosed => s.wont_fit = None,
            Action::LoadStarted { policy } => {
                s.error = None;
                s.notice = None;
                s.wont_fit = None;
                s.loading = Some(Loading {
                    last_heard_ms: js_sys::Date::now(),
                    ..Loading::default()
                });
                if policy {
                    s.tab = Tab::Policy;
                    s.tab_chosen = true;
                    s.tab_auto = false;
                }
            }
            Action::CancelRequested => {
                if let Some(l) = s.loading.as_mut() {
                    l.cancelling = true;
                }
            }
            Action::ClearRequested => {
                s = State {
                    engine: s.engine.take(),
                    ..State::default()
                };
            }
            Action::ShowTab(t) => {
                s.tab = t;
                s.tab_chosen = true;
                s.tab_auto = false;
            }
            Action::ToggleHelp => s.help_open = !s.help_open,
            Action::CloseHelp => s.help_open = false,
            Action::Escape => {
                if s.help_open {
                    s.help_open = false;
                } else if s.actor.open.is_some() {
                    s.actor.reduce(crate::ui::actor_view::ActorAction::Close);
                } else {
                    s.explore.reduce(ExploreAction::Escape);
                }
            }
            Action::DismissError => s.error = None,
            Action::Fail(e) => s.error = Some(e),
            // ---- findings (issue 13): its answers and the events it asked for ----
            Action::Worker(r) if s.findings.takes(&r) => s.findings.on_response(r),
            Action::Findings(a) => s.findings.reduce(a),
            // ---- compare two periods (issue 16 §5): to the open compare view ----
            Action::Worker(Response::Periods(p)) => crate::ui::compare_periods::deliver(*p),
            // ---- Explore view (issue 5) ----
            Action::Worker(
                r @ (Response::QueryResult(_)
                | Response::QueryProgress { .. }
                | Response::Tops { .. }
                | Response::Rows(_)
                | Response::Event(_)
                | Response::Completion { .. }
                | Response::Exported(_)
                | Response::History(_)),
            ) => s.explore.on_response(r),
            Action::Explore(a) => s.explore.reduce(a),
            Action::EngineDeadline => {
                if s.engine.is_none() {
                    s.error = Some(ENGINE_DID_NOT_START.into());
                }
            }
            // --- policy workbench ---
            Action::Worker(Response::Workbench(r)) => s.workbench.answer(*r),
            Action::Worker(Response::Advice(a)) => {
                let rev = s.workbench.rev;
                s.workbench.advisor.answer(rev, *a)
            }
            // --- actor view and activity feed ---
            Action::Worker(r @ Response::Actor(_)) => s.actor.on_response(r),
            Action::Worker(r @ (Response::Feed(_) | Response::FeedBurst { .. })) => {
                s.feed.on_response(r)
            }
            Action::Worker(r @ Response::Next(_)) => s.explore.on_response(r),
            // --- findings: routed to `Action::Findings` by the app (issue 13) ---
            Action::Worker(Response::Findings(_)) => {}
            // ---- view links and case files (issue 16) ----
            Action::Worker(Response::FileIds(ids)) => {
                s.case.on_file_ids(ids);
                if s.case.expected_present() && !s.case.loaded.is_empty() {
                    if let Some(v) = s.case.pending_view.take() {
                        s.apply_view(&v);
                    }
                }
            }
            Action::Worker(Response::Found { id, row, index }) => {
                if id == s.case.find_sent {
                    let ev = s.case.pending_ev.take();
                    match row {
                        Some(r) => {
                            s.tab = Tab::Explore;
                            s.explore.history_row = None;
                            if index.is_some() {
                                s.explore.selected = index;
                            }
                            s.explore.detail_row = Some(r);
                        }
                        None => {
                            if let Some(ev) = ev {
                                s.notice = Some(format!(
                                    "The {} event of request {} is not in the loaded files.",
                                    ev.stage, ev.audit_id
                                ));
                            }
                        }
                    }
                }
            }
            Action::Case(a) => {
                let goto = matches!(a, crate::ui::case_pane::CaseAction::Goto(_));
                let open = matches!(a, crate::ui::case_pane::CaseAction::Open(_, Ok(_)));
                s.case.reduce(a);
                if goto && s.summary.is_some() {
                    s.tab = Tab::Explore;
                    s.tab_chosen = true;
                }
                if open && !s.case.loaded.is_empty() && s.case.expected_present() {
                    if let Some(v) = s.case.pending_view.take() {
                        s.apply_view(&v);
                    }
                }
            }
            Action::Actor(a) => s.actor.reduce(a),
            Action::Feed(a) => s.feed.reduce(a),
            Action::Policy(a) => {
                let restored = matches!(a, PolicyAction::Restore(_));
                s.workbench.reduce(a);
                if restored && s.summary.is_none() && s.workbench.has_text() && !s.tab_chosen {
                    s.tab = Tab::Policy;
                    s.tab_auto = true;
                }
            }
        }
        Rc::new(s)
    }
}
