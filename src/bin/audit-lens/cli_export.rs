//! `audit-lens export --format jsonl|csv|parquet ...`: one command, two writers. Events as
//! JSON lines or CSV (with `--filter`, `--redact`) are `cli_export_events`'; the Parquet
//! table (with `--policy`) is `cli_parquet`'s.

use crate::cli_export_events;
use std::process::ExitCode;

pub fn run_export(rest: &[String]) -> Result<ExitCode, String> {
    let mut format = None;
    let mut i = 0;
    while i < rest.len() {
        if let Some(v) = rest[i].strip_prefix("--format=") {
            format = Some(v.to_string());
        } else if rest[i] == "--format" {
            format = rest.get(i + 1).cloned();
        }
        i += 1;
    }
    match format.as_deref() {
        #[cfg(not(target_arch = "wasm32"))]
        Some("parquet") => crate::cli_parquet::run(rest),
        #[cfg(target_arch = "wasm32")]
        Some("parquet") => Err("export --format parquet: the native CLI only".into()),
        Some("jsonl") | Some("csv") | None => cli_export_events::run(rest),
        Some(other) => Err(format!(
            "export: unknown --format '{other}' (jsonl, csv or parquet)"
        )),
    }
}
