//! `audit-lens export --format parquet`: being built (issue 15).

use std::process::ExitCode;

pub fn run(_rest: &[String]) -> Result<ExitCode, String> {
    Err("export --format parquet is not built yet".into())
}
