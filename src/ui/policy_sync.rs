//! Keeps the worker's view of the edited policy up to date: restores the saved workbench
//! at start, saves it on every change, and sends the policy to the worker
//! [`DEBOUNCE_MS`] after the last change (typing does not queue one evaluation per key).

use crate::ui::policy_state::{load_saved, save, PolicyAction, STORAGE_KEY};
use crate::ui::state::{Action, State};
use crate::web::protocol::Request;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Quiet time after the last change before the policy is evaluated.
pub const DEBOUNCE_MS: i32 = 150;

/// Runs for the page's life (called once by the root component).
#[hook]
pub fn use_policy_sync(state: &UseReducerHandle<State>, send: Callback<Request>) {
    // Restore once.
    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            if let Some(saved) = load_saved() {
                dispatcher.dispatch(Action::Policy(PolicyAction::Restore(saved)));
            }
            if let Some(p) = crate::ui::policy_money::load_pricing() {
                dispatcher.dispatch(Action::Policy(PolicyAction::SetPricing(p)));
            }
        });
    }
    let wb = &state.workbench;
    // The log changes what the policy takes: re-evaluate when it does.
    let log_key = (
        state.summary.as_ref().map(|s| Rc::as_ptr(s) as usize),
        state.loading.is_some(),
    );
    let last_rev = use_mut_ref(|| 0u64);
    let deps = (wb.rev, log_key);
    let request = wb.has_text().then(|| wb.request());
    let saved = wb.saved();
    use_effect_with(deps, move |(rev, _)| {
        // Save (not at start, before the restore; a Clear removes it).
        let before = std::mem::replace(&mut *last_rev.borrow_mut(), *rev);
        if *rev > 0 {
            save(&saved);
        } else if before > 0 {
            if let Some(st) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
                let _ = st.remove_item(STORAGE_KEY);
            }
        }
        let timer = request.map(|req| {
            let cb = Closure::once(move || send.emit(Request::Workbench(req)));
            let id = web_sys::window().and_then(|w| {
                w.set_timeout_with_callback_and_timeout_and_arguments_0(
                    cb.as_ref().unchecked_ref(),
                    DEBOUNCE_MS,
                )
                .ok()
            });
            (cb, id)
        });
        move || {
            if let Some((cb, Some(id))) = timer {
                if let Some(w) = web_sys::window() {
                    w.clear_timeout_with_handle(id);
                }
                drop(cb);
            }
        }
    });
}
