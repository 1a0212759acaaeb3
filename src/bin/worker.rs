//! The page's Web Worker entry point: the engine (`audit_lens::web::engine`), or a helper
//! that reads one piece of a large file (`audit_lens::web::helper`) when started from a
//! URL ending in `#helper`. Natively a no-op.

#[cfg(target_arch = "wasm32")]
fn main() {
    use audit_lens::web::{codec::JsCodec, engine::Engine, helper};
    use gloo_worker::Registrable;
    if helper::is_helper() {
        helper::Helper::registrar().encoding::<JsCodec>().register();
    } else {
        Engine::registrar().encoding::<JsCodec>().register();
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
