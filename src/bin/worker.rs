//! The engine's Web Worker entry point (see `audit_lens::web::engine`). Natively a no-op.

#[cfg(target_arch = "wasm32")]
fn main() {
    use gloo_worker::Registrable;
    audit_lens::web::engine::Engine::registrar()
        .encoding::<audit_lens::web::codec::JsCodec>()
        .register();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
