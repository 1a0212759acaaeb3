//! The web shell's plumbing: the worker that owns the engine, and what crosses the
//! thread boundary.
//!
//! - [`protocol`]: the one `Request`/`Response` pair both sides speak (serde).
//! - [`codec`]: a gloo-worker codec that keeps `File`/`Blob` objects intact, so a dropped
//!   file goes to the worker by structured clone, never copied on the main thread.
//! - [`reader`]: reads a `Blob` in large slices and feeds the [`Ingester`](crate::ingest::Ingester).
//! - [`engine`]: the gloo-worker `Worker` that owns the [`Store`](crate::store::Store): a
//!   thin shell that carries out the effects of the loader ([`crate::load::Loader`]).
//! - [`helper`]: helper workers that read one piece of a large file (their own protocol).
//! - [`summary`] and [`policy`]: turn engine state into the small answers the UI renders.
//! - [`explore`]: the Explore view's answers (query, pages, one event, downloads).
//! - [`findings`]: the detection pack's runs (body rules read window by window).
//! - [`workbench`]: the policy workbench's answers (coverage, map, what-if, lint).
//! - [`spawn`]: starts the worker from the page (main thread side).
//!
//! Invariant: the UI never holds events; everything it shows arrives as a `Response`.

pub mod activity;
pub mod advise;
pub mod codec;
pub mod engine;
pub mod explore;
pub mod findings;
pub mod helper;
pub mod piece;
pub mod policy;
pub mod protocol;
pub mod reader;
pub mod spawn;
pub mod summary;
pub mod workbench;
