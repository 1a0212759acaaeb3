//! The page's main thread: mounts the Yew app (see `audit_lens::ui`). Natively a no-op.

#[cfg(target_arch = "wasm32")]
fn main() {
    audit_lens::ui::mount();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
