//! `audit-lens export --format jsonl|csv`: being built (issue 16).

use std::process::ExitCode;

pub fn run(_rest: &[String]) -> Result<ExitCode, String> {
    Err("export --format jsonl|csv is not built yet".into())
}
