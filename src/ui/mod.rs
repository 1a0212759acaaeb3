//! The page's user interface (Yew function components, main thread only).
//!
//! It renders and sends requests; the engine worker owns the data (see `crate::web`).
//! One [`state::State`] with one reducer holds everything shown; each component is one
//! file and receives what it shows plus callbacks.

pub mod actor_view;
pub mod advisor_state;
pub mod app;
pub mod case_pane;
pub mod column_picker;
pub mod compare_periods;
pub mod copy_as;
pub mod dom;
pub mod drop_zone;
pub mod error_banner;
pub mod event_detail;
pub mod event_table;
pub mod expected_files;
pub mod explore;
pub mod explore_state;
pub mod export_menu;
pub mod feed_view;
pub mod filter_bar;
pub mod findings_view;
pub mod fit_dialog;
pub mod format;
pub mod header;
pub mod help;
pub mod history_view;
pub mod keys;
pub mod load_summary;
pub mod policy_advisor;
pub mod policy_blind;
pub mod policy_checklist;
pub mod policy_compare;
pub mod policy_coverage;
pub mod policy_editor;
pub mod policy_highlight;
pub mod policy_money;
pub mod policy_state;
pub mod policy_sync;
pub mod policy_view;
pub mod policy_whatif;
pub mod progress;
pub mod state;
pub mod timeline;
pub mod top_panels;

pub use app::App;

/// Mounts the app into `#app` (replacing the static boot placeholder), or into `<body>`.
pub fn mount() {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    match root {
        Some(root) => {
            root.set_inner_html("");
            yew::Renderer::<App>::with_root(root).render();
        }
        None => {
            yew::Renderer::<App>::new().render();
        }
    }
}
