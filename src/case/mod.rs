//! The case file (issue 16 §1–§2): what an investigation hands over.
//!
//! - [`ident`]: a loaded file's identity (name, size, a short content hash over the size and
//!   the first and last MiB), cheap on a 1 GB file;
//! - [`view`]: the whole Explore view as URL-hash parts (`f`, `from`/`to`, `ev`, `group`,
//!   `sort`, `cols`, `tz`, `tab`, `k8s`, `file`) and the expected files a link names;
//! - [`file`]: the case as one JSON document (`"kind":"AuditLensCase"`), its detection by
//!   content, and the merge rules that never drop anything the user wrote;
//! - [`summary`]: the Markdown incident summary generated from a case.
//!
//! Pure Rust (no DOM): the page and the tests share it.

pub mod file;
pub mod ident;
pub mod summary;
pub mod view;

pub use file::{looks_like_case, Case, MergeReport, Pin, CASE_KIND, CASE_VERSION};
pub use ident::{FileIdentity, HEAD_BYTES};
pub use summary::markdown;
