//! `audit-lens export --format parquet [--policy P] [--kube-version 1.36] LOG... -o FILE`:
//! the logs as one Parquet table (`audit_lens::export_parquet`), with the policy's
//! decision per event when `--policy` is given. Written to `FILE.partial` and renamed,
//! so a failed export leaves no half-written table behind.

use crate::cli_sql::{check_known, load_policy};
use crate::{load_logs, Args};
use audit_lens::analysis::evaluate::{evaluate, AttrIndex};
use audit_lens::export_parquet;
use audit_lens::util::{human_bytes, human_count};
use std::process::ExitCode;

const KNOWN: &[&str] = &[
    "format",
    "policy",
    "kube-version",
    "accept-old-versions",
    "configmap-key",
    "output",
];

pub fn run(rest: &[String]) -> Result<ExitCode, String> {
    let args = Args::parse(rest, &["accept-old-versions"])?;
    check_known(&args, KNOWN, "export --format parquet")?;
    let out = args
        .get("output")
        .ok_or("export --format parquet: -o FILE.parquet is required")?;
    if out == "-" {
        return Err(
            "export --format parquet: write to a file (-o FILE.parquet), not stdout".into(),
        );
    }
    let policy = match args.get("policy") {
        Some(p) => match load_policy(&args, p)? {
            Some(p) => Some(p),
            None => return Ok(ExitCode::from(1)),
        },
        None => None,
    };
    let t0 = std::time::Instant::now();
    let store = load_logs(&args.pos)?;
    let t_load = t0.elapsed();
    let ev = policy.as_ref().map(|p| {
        let idx = AttrIndex::build(&store);
        evaluate(&store, &idx, &p.compiled)
    });
    let partial = format!("{out}.partial");
    let file = std::fs::File::create(&partial).map_err(|e| format!("{partial}: {e}"))?;
    let w = std::io::BufWriter::with_capacity(1 << 20, file);
    let stats = match export_parquet::write(&store, ev.as_ref(), w) {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(format!("{out}: {e}"));
        }
    };
    std::fs::rename(&partial, out).map_err(|e| format!("{out}: {e}"))?;
    let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    let (_, rejected, _) = store.totals();
    let events = store.len() as u64;
    eprintln!(
        "audit-lens: {out}: {} events ({} rejected records not exported) in {} row groups, {} columns{}, {} (read {:.2} s, total {:.2} s)",
        human_count(events),
        human_count(rejected),
        stats.row_groups,
        stats.columns,
        policy
            .as_ref()
            .map_or(String::new(), |p| format!(", decided by {} ({} rules)", p.source_name, p.rule_count())),
        human_bytes(size),
        t_load.as_secs_f64(),
        t0.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
