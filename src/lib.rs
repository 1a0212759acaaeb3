//! Audit Lens engine: Kubernetes audit logs and audit policies, as a pure library.
//!
//! The library knows nothing about the DOM, files or threads: it takes byte chunks and
//! answers queries. The native CLI (`src/bin/audit-lens/`) and the Web Worker (`src/web`)
//! are thin shells around it.

pub mod advise;
pub mod analysis;
pub mod audit;
pub mod case;
pub mod detect;
pub mod export;
#[cfg(not(target_arch = "wasm32"))]
pub mod export_parquet;
#[cfg(not(target_arch = "wasm32"))]
pub mod fuzzing;
pub mod gen;
pub mod ingest;
pub mod load;
pub mod query;
pub mod sql;
pub mod store;
pub mod util;
pub mod view;

#[cfg(target_arch = "wasm32")]
pub mod ui;
#[cfg(target_arch = "wasm32")]
pub mod web;
