//! A gloo-worker [`Codec`] built on serde-wasm-bindgen.
//!
//! gloo's default codec (bincode) turns messages into bytes, which cannot carry a `File`.
//! This one turns them into plain JS values; fields marked
//! `#[serde(with = "serde_wasm_bindgen::preserve")]` stay the very JS object, so
//! `postMessage`'s structured clone hands the `File` itself to the worker.

use gloo_worker::Codec;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

/// Message codec for the engine worker. Encoding cannot fail for the protocol's types;
/// a failure is a programming error and panics with the serde message.
pub struct JsCodec;

impl Codec for JsCodec {
    fn encode<I: Serialize>(input: I) -> JsValue {
        serde_wasm_bindgen::to_value(&input).expect("worker message encodes")
    }

    fn decode<O: for<'de> Deserialize<'de>>(input: JsValue) -> O {
        serde_wasm_bindgen::from_value(input).expect("worker message decodes")
    }
}
