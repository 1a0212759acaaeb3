//! Starting the engine worker from the page (main thread).

use crate::web::codec::JsCodec;
use crate::web::engine::Engine;
use crate::web::protocol::{Request, Response};
use gloo_worker::{Spawnable, WorkerBridge};
use wasm_bindgen::JsValue;

/// Where the worker's loader script is, relative to the page. Trunk writes it next to
/// `index.html` (`data-loader-shim`), so a relative URL works under any sub-path.
pub const DEFAULT_WORKER_URL: &str = "./worker_loader.js";

/// The global a single-file build sets to a `blob:` URL of the inlined worker.
pub const WORKER_URL_GLOBAL: &str = "__AUDIT_LENS_WORKER_URL";

/// The worker URL: `window.__AUDIT_LENS_WORKER_URL` when set, else [`DEFAULT_WORKER_URL`].
pub fn worker_url() -> String {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &JsValue::from_str(WORKER_URL_GLOBAL)).ok())
        .and_then(|v| v.as_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_WORKER_URL.to_string())
}

/// Spawns the engine worker; every response is passed to `on_response` (on the main
/// thread). Sends [`Request::Hello`] first, so a [`Response::Ready`] tells that it runs.
/// Messages sent before the worker has loaded are queued by gloo-worker.
pub fn spawn_engine(on_response: impl Fn(Response) + 'static) -> WorkerBridge<Engine> {
    let bridge = Engine::spawner()
        .encoding::<JsCodec>()
        .callback(on_response)
        .with_loader(true)
        .as_module(false)
        .spawn(&worker_url());
    bridge.send(Request::Hello);
    bridge
}
