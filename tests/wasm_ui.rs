//! Browser tests of the page's main-thread code (headless Chromium via chromedriver):
//! the App mounts with its stable test hooks, the reducer's transitions, the codec keeps
//! a `Blob` intact, and the human formatting.
#![cfg(target_arch = "wasm32")]

use audit_lens::ui::format;
use audit_lens::ui::state::{Action, State, Tab};
use audit_lens::ui::App;
use audit_lens::web::codec::JsCodec;
use audit_lens::web::protocol::{
    FileRef, FileSummary, Phase, PolicyReport, Progress, Request, Response, Summary,
};
use gloo_worker::Codec;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use yew::Reducible;

wasm_bindgen_test_configure!(run_in_browser);

async fn sleep_ms(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

fn progress(done: u64, total: u64, elapsed_ms: f64) -> Progress {
    Progress {
        phase: Phase::Reading,
        file: "a.log".into(),
        file_index: 0,
        files: 1,
        bytes_done: done,
        bytes_total: total,
        events: 10,
        elapsed_ms,
        gzip_decoded: None,
    }
}

fn summary(files: usize, note: Option<&str>) -> Summary {
    let f = FileSummary {
        name: "a.log".into(),
        bytes: 10,
        decoded_bytes: 10,
        gzip: false,
        format: "JSON lines".into(),
        records: 3,
        events: 2,
        rejected: 1,
        skipped: 0,
        duplicates: 0,
        wrappers: vec![],
        skipped_kinds: vec![],
        diagnosis: None,
        first_us: Some(0),
        last_us: Some(1),
    };
    Summary {
        files: vec![f; files],
        events: 2 * files as u64,
        rejected: files as u64,
        note: note.map(String::from),
        ..Summary::default()
    }
}

fn policy() -> PolicyReport {
    PolicyReport {
        name: "p.yaml".into(),
        text: "rules: []".into(),
        rules: Some(0),
        valid: true,
        diagnostics: vec![],
    }
}

fn run(actions: Vec<Action>) -> Rc<State> {
    actions
        .into_iter()
        .fold(Rc::new(State::default()), |s, a| s.reduce(a))
}

#[wasm_bindgen_test]
async fn app_mounts_with_its_test_hooks() {
    let doc = web_sys::window().unwrap().document().unwrap();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<App>::with_root(root.clone()).render();
    sleep_ms(50).await;
    for id in ["drop-zone", "file-input", "policy-input", "load-sample"] {
        assert!(
            root.query_selector(&format!("[data-testid={id}]"))
                .unwrap()
                .is_some(),
            "{id} is rendered"
        );
    }
    let input: web_sys::HtmlInputElement = root
        .query_selector("[data-testid=file-input]")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(input.type_(), "file");
    assert!(input.multiple(), "several files can be picked");
    assert!(
        root.query_selector("[data-testid=load-summary]")
            .unwrap()
            .is_none(),
        "nothing loaded yet"
    );
    assert!(
        root.query_selector("[data-testid=progress]")
            .unwrap()
            .is_none(),
        "nothing loading yet"
    );
}

#[wasm_bindgen_test]
fn reducer_load_progress_then_summary() {
    let s = run(vec![Action::LoadStarted { policy: false }]);
    assert_eq!(
        s.loading.as_ref().map(|l| l.progress.is_none()),
        Some(true),
        "loading shows at once"
    );
    let s = s.reduce(Action::Worker(Response::Progress(progress(5, 10, 100.0))));
    assert_eq!(
        s.loading
            .as_ref()
            .unwrap()
            .progress
            .as_ref()
            .unwrap()
            .bytes_done,
        5
    );
    let s = s.reduce(Action::Worker(Response::Loaded(summary(1, None))));
    assert!(s.loading.is_none());
    assert_eq!(s.summary.as_ref().unwrap().events, 2);
    assert!(s.has_data());
}

#[wasm_bindgen_test]
fn reducer_cancel_keeps_the_cancel_flag_and_ends_with_a_notice() {
    let s = run(vec![
        Action::LoadStarted { policy: false },
        Action::CancelRequested,
        Action::Worker(Response::Progress(progress(1, 10, 1.0))),
    ]);
    assert!(
        s.loading.as_ref().unwrap().cancelling,
        "a late progress message keeps 'Cancelling…'"
    );
    let s = s.reduce(Action::Worker(Response::Loaded(summary(
        0,
        Some("Loading cancelled: a.log was not loaded."),
    ))));
    assert!(s.loading.is_none());
    assert!(s.summary.is_none(), "no files: back to the landing view");
    assert_eq!(
        s.notice.as_deref(),
        Some("Loading cancelled: a.log was not loaded.")
    );
    assert!(!s.has_data());
}

#[wasm_bindgen_test]
fn reducer_clear_keeps_only_the_engine_version() {
    let s = run(vec![
        Action::Worker(Response::Ready {
            version: "1".into(),
        }),
        Action::Worker(Response::Loaded(summary(2, None))),
        Action::Worker(Response::Policy(policy())),
        Action::ShowTab(Tab::Policy),
        Action::Fail("x".into()),
        Action::ClearRequested,
    ]);
    assert_eq!(
        *s,
        State {
            engine: Some("1".into()),
            ..State::default()
        }
    );
}

#[wasm_bindgen_test]
fn reducer_policy_alone_opens_the_policy_tab() {
    let s = run(vec![
        Action::LoadStarted { policy: false },
        Action::Worker(Response::Policy(policy())),
        Action::Worker(Response::Loaded(summary(0, None))),
    ]);
    assert_eq!(s.tab, Tab::Policy);
    assert!(s.has_data());
    // With a log too (the sample), the Explore tab stays.
    let s = run(vec![
        Action::LoadStarted { policy: false },
        Action::Worker(Response::Policy(policy())),
        Action::Worker(Response::Loaded(summary(1, None))),
    ]);
    assert_eq!(s.tab, Tab::Explore);
    assert_eq!(
        run(vec![Action::LoadStarted { policy: true }]).tab,
        Tab::Policy
    );
}

#[wasm_bindgen_test]
fn reducer_errors_show_until_dismissed_or_next_load() {
    let s = run(vec![Action::Worker(Response::Error(
        "Could not read a.log".into(),
    ))]);
    assert_eq!(s.error.as_deref(), Some("Could not read a.log"));
    assert!(s.clone().reduce(Action::DismissError).error.is_none());
    assert!(s
        .reduce(Action::LoadStarted { policy: false })
        .error
        .is_none());
    let s = run(vec![Action::ToggleHelp]);
    assert!(s.help_open);
    assert!(!s.reduce(Action::CloseHelp).help_open);
}

#[wasm_bindgen_test]
fn reducer_engine_deadline_complains_only_without_an_engine() {
    let s = run(vec![Action::EngineDeadline]);
    assert!(s
        .error
        .as_deref()
        .unwrap()
        .starts_with("The engine did not start"));
    let s = run(vec![
        Action::Worker(Response::Ready {
            version: "1".into(),
        }),
        Action::EngineDeadline,
    ]);
    assert!(s.error.is_none());
}

#[wasm_bindgen_test]
fn codec_keeps_the_blob_itself() {
    let parts = js_sys::Array::of1(&"hello".into());
    let blob = web_sys::Blob::new_with_str_sequence(&parts).unwrap();
    let req = Request::Load {
        files: vec![FileRef {
            name: "a.log".into(),
            size: 5,
            blob: blob.clone(),
        }],
        as_policy: false,
    };
    let back: Request = JsCodec::decode(JsCodec::encode(&req));
    match back {
        Request::Load { files, as_policy } => {
            assert!(!as_policy);
            assert_eq!(files[0].name, "a.log");
            assert_eq!(files[0].size, 5);
            assert!(
                js_sys::Object::is(&files[0].blob, &blob),
                "the very same Blob object"
            );
        }
        other => panic!("decoded {other:?}"),
    }
    let resp = Response::Loaded(summary(1, Some("n")));
    assert_eq!(JsCodec::decode::<Response>(JsCodec::encode(&resp)), resp);
}

#[wasm_bindgen_test]
fn formatting_for_people() {
    assert_eq!(format::events(1), "1 event");
    assert_eq!(format::events(1_234_567), "1.2 M events");
    assert_eq!(format::bytes(340_000_000), "340 MB");
    assert_eq!(
        format::duration_us((3 * 3600 + 12 * 60) * 1_000_000),
        "3 h 12 min"
    );
    assert_eq!(format::duration_us(0), "0 s");
    assert_eq!(format::time(1_631_527_206_493_243), "2021-09-13 10:00:06");
    // Rate and time left: 50 MB in 1 s of 150 MB -> 50 MB/s, 2 s left.
    let p = progress(50_000_000, 150_000_000, 1000.0);
    assert_eq!(format::rate_mb_s(&p), Some(50.0));
    assert_eq!(format::eta(&p).as_deref(), Some("2.0 s"));
    assert_eq!(
        format::rate_mb_s(&progress(10, 100, 50.0)),
        None,
        "too early to tell"
    );
}

fn wont_fit(sizes: &[u64]) -> audit_lens::web::protocol::WontFit {
    audit_lens::web::protocol::WontFit {
        estimated_events: sizes.iter().sum(),
        max_events: 100,
        loaded_events: 0,
        files: sizes
            .iter()
            .map(|&n| audit_lens::web::protocol::FitFile {
                name: format!("f{n}"),
                bytes: n * 1000,
                estimated_events: n,
            })
            .collect(),
        first_seen_us: None,
        last_seen_us: None,
        span_estimate_us: None,
        proposed_window_us: None,
    }
}

#[wasm_bindgen_test]
fn wont_fit_preselects_the_first_files_that_fit() {
    use audit_lens::ui::fit_dialog::files_that_fit;
    assert_eq!(
        files_that_fit(&wont_fit(&[40, 50, 30]), 100),
        [true, true, false]
    );
    assert_eq!(files_that_fit(&wont_fit(&[120, 50]), 100), [false, true]);
    assert_eq!(files_that_fit(&wont_fit(&[]), 100), Vec::<bool>::new());
}

#[wasm_bindgen_test]
fn wont_fit_windows_are_parsed_and_checked() {
    use audit_lens::ui::fit_dialog::parse_window;
    assert_eq!(
        parse_window("2026-11-02T08:00:00Z", " 2026-11-02T09:00:00Z "),
        Ok((1_793_606_400_000_000, 1_793_610_000_000_000))
    );
    assert!(parse_window("2026-11-02T09:00:00Z", "2026-11-02T08:00:00Z").is_err());
    assert!(parse_window("2026-11-02T09:00:00Z", "2026-11-02T09:00:00Z").is_err());
    assert!(parse_window("yesterday", "2026-11-02T08:00:00Z").is_err());
}

#[wasm_bindgen_test]
fn wont_fit_is_shown_until_a_choice_or_a_new_load() {
    let s = Rc::new(State::default());
    let s = s.reduce(Action::Worker(Response::WontFit(Box::new(wont_fit(&[10])))));
    assert!(s.wont_fit.is_some());
    let s = s.reduce(Action::LoadStarted { policy: false });
    assert!(s.wont_fit.is_none(), "a new load closes it");
    let s = s.reduce(Action::Worker(Response::WontFit(Box::new(wont_fit(&[10])))));
    let s = s.reduce(Action::FitClosed);
    assert!(s.wont_fit.is_none());
}

#[wasm_bindgen_test]
fn a_silent_engine_during_a_load_is_reported_once_and_cleared_when_it_answers() {
    use audit_lens::ui::state::{ENGINE_STALLED, STALL_MS};
    let now = js_sys::Date::now();
    let s = Rc::new(State::default()).reduce(Action::LoadStarted { policy: false });
    let s = s.reduce(Action::LoadTick {
        now_ms: now + 1_000.0,
    });
    assert!(s.error.is_none(), "a second of silence is normal");
    let s = s.reduce(Action::LoadTick {
        now_ms: now + STALL_MS + 5_000.0,
    });
    assert_eq!(s.error.as_deref(), Some(ENGINE_STALLED));
    assert!(s.loading.as_ref().unwrap().stalled);
    // It speaks again: the warning goes.
    let s = s.reduce(Action::Worker(Response::Progress(progress(1, 2, 10.0))));
    assert!(s.error.is_none());
    // No load, no warning.
    let s = Rc::new(State::default()).reduce(Action::LoadTick { now_ms: now + 1e9 });
    assert!(s.error.is_none());
}

#[wasm_bindgen_test]
fn a_restored_draft_shows_the_policy_until_a_log_arrives_unless_the_url_names_a_tab() {
    use audit_lens::ui::policy_state::{PolicyAction, Saved};
    let saved = || Saved {
        name: "draft.yaml".into(),
        text: "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n".into(),
        baseline: String::new(),
        compare: Default::default(),
        kube_minor: 35,
    };
    // No tab in the URL: the draft shows in Policy, then a loaded log opens Explore.
    let s = Rc::new(State::default()).reduce(Action::Policy(PolicyAction::Restore(saved())));
    assert_eq!(s.tab, Tab::Policy);
    let s = s.reduce(Action::Worker(Response::Loaded(summary(1, None))));
    assert_eq!(s.tab, Tab::Explore);
    // A link to an Explore view (a filter in the hash, no tab named) stays in Explore.
    let parts = vec![("f".to_string(), "verb:get".to_string())];
    let s =
        Rc::new(State::from_hash(&parts)).reduce(Action::Policy(PolicyAction::Restore(saved())));
    assert_eq!(s.tab, Tab::Explore);
    // "Load policy…" with a log loaded: Policy stays, also when its `Loaded` arrives.
    let s = Rc::new(State::default()).reduce(Action::Worker(Response::Loaded(summary(1, None))));
    let s = s.reduce(Action::LoadStarted { policy: true });
    assert_eq!(s.tab, Tab::Policy);
    let s = s.reduce(Action::Worker(Response::Loaded(summary(1, None))));
    assert_eq!(s.tab, Tab::Policy);
    // A tab the user picked stays picked when a log arrives.
    let s = Rc::new(State::default()).reduce(Action::ShowTab(Tab::Policy));
    let s = s.reduce(Action::Worker(Response::Loaded(summary(1, None))));
    assert_eq!(s.tab, Tab::Policy);
}

#[wasm_bindgen_test]
async fn a_stalled_engine_offers_a_reload() {
    // A dead or out-of-memory worker answers nothing, not even Cancel: the message comes
    // with a way out. Other errors do not offer it.
    use audit_lens::ui::error_banner::{ErrorBanner, ErrorBannerProps};
    use audit_lens::ui::state::ENGINE_STALLED;
    let doc = web_sys::window().unwrap().document().unwrap();
    for (msg, want) in [(ENGINE_STALLED, true), ("Could not read a.log.", false)] {
        let root = doc.create_element("div").unwrap();
        doc.body().unwrap().append_child(&root).unwrap();
        let props = ErrorBannerProps {
            message: msg.into(),
            on_dismiss: yew::Callback::noop(),
        };
        yew::Renderer::<ErrorBanner>::with_root_and_props(root.clone(), props).render();
        sleep_ms(30).await;
        assert_eq!(
            root.query_selector("[data-testid=reload-page]")
                .unwrap()
                .is_some(),
            want,
            "{msg}"
        );
    }
}

/// Escape closes the topmost thing only: the shortcuts list, then the Actor view, then
/// the event detail (issue 12: the Actor view opened from a detail used to close both).
#[wasm_bindgen_test]
fn reducer_escape_closes_the_topmost_only() {
    use audit_lens::ui::actor_view::ActorAction;
    use audit_lens::ui::explore_state::ExploreAction;
    let s = run(vec![
        Action::Explore(ExploreAction::OpenRow(3)),
        Action::Actor(ActorAction::Open {
            who: "bob".into(),
            id: 1,
        }),
        Action::ToggleHelp,
    ]);
    assert!(s.help_open && s.actor.open.is_some() && s.explore.detail_row == Some(3));
    let s = s.reduce(Action::Escape);
    assert!(!s.help_open && s.actor.open.is_some() && s.explore.detail_row == Some(3));
    let s = s.reduce(Action::Escape);
    assert!(s.actor.open.is_none() && s.explore.detail_row == Some(3));
    let s = s.reduce(Action::Escape);
    assert!(s.explore.detail_row.is_none());
}
