//! `audit-lens sql --policy P --dialect D [--table T] [--query rows|coverage|whatif]
//! [--schema parquet|raw-json]`: the policy as one SQL `CASE` (the library's `sql`
//! module) and the query built on it, printed for the engine where the data lives.

use crate::Args;
use audit_lens::audit::policy::{load_policy_bytes, KubeVersion, LoadOptions, LoadedPolicy};
use audit_lens::sql::{self, Dialect, Options, Query, Schema};
use std::io::Write;
use std::process::ExitCode;

const SWITCHES: &[&str] = &["accept-old-versions"];
const KNOWN: &[&str] = &[
    "policy",
    "dialect",
    "table",
    "query",
    "schema",
    "kube-version",
    "accept-old-versions",
    "configmap-key",
];

/// Refuses options the command does not know (a typo must not silently change the SQL).
pub fn check_known(args: &Args, known: &[&str], cmd: &str) -> Result<(), String> {
    for (k, _) in &args.opts {
        if !known.contains(&k.as_str()) {
            return Err(format!("{cmd}: unknown option --{k}"));
        }
    }
    Ok(())
}

/// Reads `--policy` with `--kube-version`/`--accept-old-versions`/`--configmap-key`, as
/// the policy commands do; `Ok(None)` after printing why kube-apiserver would refuse it.
pub fn load_policy(args: &Args, path: &str) -> Result<Option<LoadedPolicy>, String> {
    let mut o = LoadOptions::default();
    if let Some(v) = args.get("kube-version") {
        o.kube_version = KubeVersion::parse(v)
            .ok_or_else(|| format!("--kube-version: cannot read '{v}' (try 1.37)"))?;
    }
    o.accept_old_versions = args.flag("accept-old-versions");
    o.configmap_key = args.get("configmap-key").map(str::to_string);
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    match load_policy_bytes(path, &bytes, &o) {
        Ok(p) => Ok(Some(p)),
        Err(e) => {
            eprintln!("{e}");
            eprintln!("{path}: refused: kube-apiserver would not start with this policy");
            Ok(None)
        }
    }
}

pub fn run(a: &[String]) -> Result<ExitCode, String> {
    let args = Args::parse(a, SWITCHES)?;
    check_known(&args, KNOWN, "sql")?;
    if let Some(p) = args.pos.first() {
        return Err(format!(
            "sql: unexpected argument '{p}' (the table is --table; sql reads no log)"
        ));
    }
    let path = args
        .get("policy")
        .ok_or("sql: --policy POLICY is required")?;
    let dialect = match args.get("dialect") {
        None => {
            return Err(
                "sql: --dialect is required (duckdb, spark, trino, bigquery, clickhouse)".into(),
            )
        }
        Some(d) => Dialect::parse(d).ok_or_else(|| {
            format!("sql: unknown --dialect '{d}' (duckdb, spark, trino, bigquery, clickhouse)")
        })?,
    };
    let query = match args.get("query") {
        None => Query::Rows,
        Some(q) => Query::parse(q)
            .ok_or_else(|| format!("sql: unknown --query '{q}' (rows, coverage, whatif)"))?,
    };
    let schema = match args.get("schema") {
        None => Schema::Parquet,
        Some(s) => Schema::parse(s)
            .ok_or_else(|| format!("sql: unknown --schema '{s}' (parquet, raw-json)"))?,
    };
    let table = args.get("table").unwrap_or("audit_events").to_string();
    if table.trim().is_empty() {
        return Err("sql: --table is empty".into());
    }
    let Some(p) = load_policy(&args, path)? else {
        return Ok(ExitCode::from(1));
    };
    let k = p.kube_version;
    let clean: String = path
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    let text = sql::query(
        &p.compiled,
        &Options {
            dialect,
            table,
            query,
            schema,
        },
    );
    let mut o = std::io::stdout().lock();
    writeln!(
        o,
        "-- audit-lens sql: {clean}: {} rules as kube-apiserver {}.{} decides them (first match; rule NULL = none)",
        p.rule_count(),
        k.major,
        k.minor
    )
    .and_then(|_| o.write_all(text.as_bytes()))
    .map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}
