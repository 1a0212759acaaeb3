//! Policy subcommands of the CLI (validate, lint, eval, coverage, whatif).
use std::process::ExitCode;

pub fn run(cmd: &str, _a: &[String]) -> Result<ExitCode, String> {
    Err(format!("{cmd}: not built yet"))
}
