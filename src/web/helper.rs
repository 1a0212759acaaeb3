//! Helper workers: read one piece of a large file for the engine worker.
//!
//! Helpers speak their own small protocol ([`HelperRequest`] / [`HelperReply`]), not the
//! page's `Request`/`Response`, and are their own gloo-worker type ([`Helper`]: no store,
//! no Explore caches). They live in the same worker bundle as the engine (`src/bin/worker.rs`):
//! the engine starts them from its own script URL with `#helper` appended
//! ([`helper_url`]), and the bundle registers [`Helper`] instead of the engine when its
//! URL says so ([`is_helper`]). One bundle means one wasm build, one loader shim and the
//! single-file build unchanged (see ARCHITECTURE.md, "Reading one file in pieces").

use crate::web::codec::JsCodec;
use crate::web::piece;
use crate::web::protocol::FileRef;
use gloo_worker::{HandlerId, Spawnable, Worker, WorkerBridge, WorkerScope};
use js_sys::Uint8Array;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

/// The fragment that makes the worker bundle a helper.
pub const HELPER_FRAGMENT: &str = "#helper";

/// Minimum time between two progress replies of a helper, ms.
const PROGRESS_EVERY_MS: f64 = 100.0;

/// What the engine worker asks a helper.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum HelperRequest {
    /// Read bytes `[start, end)` of `file` (`start` is a line start) into a store of its
    /// own, keeping only events received in `window`. Answered by [`HelperReply`]s:
    /// progress, then `Done` or `Failed`.
    Ingest {
        file: FileRef,
        start: u64,
        end: u64,
        window: Option<(i64, i64)>,
    },
}

/// A helper's answer; `start` names the piece.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum HelperReply {
    /// Bytes of the piece read so far.
    Progress { start: u64, bytes_done: u64 },
    /// The piece is read: its lines and its store, [`piece::encode`]d (a `Uint8Array`).
    Done {
        start: u64,
        lines: u64,
        #[serde(with = "serde_wasm_bindgen::preserve")]
        data: JsValue,
    },
    /// The piece could not be read.
    Failed { start: u64, error: String },
}

impl HelperReply {
    /// The piece's first byte.
    pub fn start(&self) -> u64 {
        match self {
            HelperReply::Progress { start, .. }
            | HelperReply::Done { start, .. }
            | HelperReply::Failed { start, .. } => *start,
        }
    }

    /// As the loader takes it (copies the piece's bytes into wasm memory once).
    pub fn into_event(self) -> crate::load::HelperEvent {
        use crate::load::HelperEvent;
        match self {
            HelperReply::Progress { bytes_done, .. } => HelperEvent::Progress { bytes_done },
            HelperReply::Done { lines, data, .. } => HelperEvent::Done {
                lines,
                data: Uint8Array::new(&data).to_vec(),
            },
            HelperReply::Failed { error, .. } => HelperEvent::Failed(error),
        }
    }
}

/// The helper worker: stateless, one piece per request.
pub struct Helper;

impl Worker for Helper {
    type Message = ();
    type Input = HelperRequest;
    type Output = HelperReply;

    fn create(_scope: &WorkerScope<Self>) -> Self {
        Helper
    }

    fn update(&mut self, _scope: &WorkerScope<Self>, _msg: ()) {}

    fn received(&mut self, scope: &WorkerScope<Self>, msg: HelperRequest, id: HandlerId) {
        match msg {
            HelperRequest::Ingest {
                file,
                start,
                end,
                window,
            } => ingest_piece(scope, id, file, start, end, window),
        }
    }
}

/// True when this worker was started as a helper (its URL ends in [`HELPER_FRAGMENT`]).
pub fn is_helper() -> bool {
    piece::own_url().is_some_and(|u| u.ends_with(HELPER_FRAGMENT))
}

/// The URL to start helpers from: this worker's own script, marked as a helper.
pub fn helper_url() -> Option<String> {
    let url = piece::own_url()?;
    let base = url.split('#').next().unwrap_or(&url);
    Some(format!("{base}{HELPER_FRAGMENT}"))
}

/// Starts a helper at `url`; its replies go to `on_reply`.
pub fn spawn(url: &str, on_reply: impl Fn(HelperReply) + 'static) -> WorkerBridge<Helper> {
    Helper::spawner()
        .encoding::<JsCodec>()
        .callback(on_reply)
        .with_loader(true)
        .as_module(false)
        .spawn(url)
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Reads one piece of a file and answers with its encoded store (progress about ten
/// times a second before that).
fn ingest_piece(
    scope: &WorkerScope<Helper>,
    id: HandlerId,
    file: FileRef,
    start: u64,
    end: u64,
    window: Option<(i64, i64)>,
) {
    let scope = scope.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let mut last = now_ms();
        let progress = |bytes_done: u64| {
            let now = now_ms();
            if now - last >= PROGRESS_EVERY_MS {
                last = now;
                scope.respond(id, HelperReply::Progress { start, bytes_done });
            }
        };
        let t0 = now_ms();
        let r = piece::ingest(&file.blob, &file.name, start, end, window, progress).await;
        let msg = match r {
            Ok((part, lines)) => {
                let t1 = now_ms();
                let data = piece::encode(&part);
                drop(part);
                web_sys::console::debug_1(
                    &format!(
                        "audit-lens helper: piece at {start}: read {:.0} ms, encoded {:.1} MB in {:.0} ms",
                        t1 - t0,
                        data.len() as f64 / 1e6,
                        now_ms() - t1
                    )
                    .into(),
                );
                HelperReply::Done {
                    start,
                    lines,
                    data: Uint8Array::from(&data[..]).into(),
                }
            }
            Err(error) => HelperReply::Failed { start, error },
        };
        scope.respond(id, msg);
    });
}
