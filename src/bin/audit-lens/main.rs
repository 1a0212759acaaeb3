//! `audit-lens`: the native command line of Audit Lens. The same engine as the page:
//! this file only reads files, parses arguments and prints.

use audit_lens::analysis::stats::{stats, Stats};
use audit_lens::gen::{generate, GenOptions};
use audit_lens::ingest::Ingester;
use audit_lens::store::Store;
use audit_lens::util::{human_bytes, human_count, human_duration_micros, parse_rfc3339_micros};
use std::io::{Read, Write};
use std::process::ExitCode;

mod bench;
mod cli_actor;
mod cli_advise;
mod cli_compare;
mod cli_export;
mod cli_export_events;
mod cli_findings;
mod cli_history;
// The Parquet writer is native only (the parquet crate is not built for wasm32).
#[cfg(not(target_arch = "wasm32"))]
mod cli_parquet;
mod cli_policy;
mod cli_query;
mod cli_sql;

const USAGE: &str = "audit-lens — Kubernetes audit logs and audit policies, locally

USAGE:
  audit-lens stats [--json] [--top N] [FILE...]      summary of audit logs (stdin when no FILE or FILE is -)
  audit-lens validate POLICY                          check a policy as kube-apiserver would (exit 1 if refused)
  audit-lens lint POLICY                              validation plus warnings (sensitive bodies, exec visibility, ...)
  audit-lens eval --policy POLICY [LOG]               one JSON line per input line: level, rule, omitStages
  audit-lens coverage --policy POLICY [--json] LOG... per-rule events and bytes, dead and shadowed rules
  audit-lens whatif --policy NEW [--baseline OLD] [--json] [--price ID [--retention-days N]] LOG...
                                                      volume kept by NEW vs OLD (or vs as recorded); with --price
                                                      (cloudwatch, gcp-logging, azure-monitor, disk) its cost a month
                                                      with OLD: rule by rule, also when rule counts differ
  audit-lens diff-policy [--json] [--context N] A B   unified diff of two policies plus their rules aligned
                                                      (exit 0 same, 1 different, 2 error)
  audit-lens clo-filter --policy FILTER [LOG]        apply an OpenShift ClusterLogForwarder kubeAPIAudit filter (its semantics)
  audit-lens generate [--size 200MB] [--hours H] [--seed N] [--nodes N] [--sample] [-o FILE]
                                                      write a realistic, deterministic audit log
                                                      (--body-scale 0.1: smaller bodies, more events per MB;
                                                      --sample-policy: the page's sample policy instead)
  audit-lens query --filter F [--after T] [--before T] [--policy P] [--json | --events] LOG...
                                                      events matching the page's filter language: count, file:line
  audit-lens query --as jq|logql|cloudwatch|kql --filter F [--after T] [--before T] [--selector S] [--table T]
                                                      the filter in another engine's language (jq runs over the
                                                      log files and selects exactly the same events)
  audit-lens history [--json] [-n NS] RESOURCE[.GROUP]/NAME LOG...
                                                      one object's requests, versions and field changes (kubectl's naming)
  audit-lens actor [--json] [--gap 30m] [--limit N] USER|sa:NS/NAME|IP LOG...
                                                      one actor: sessions, objects, failures, impersonation chain
  audit-lens feed [--all] [--hide-reads] [--no-fold] [--limit N] [--offset N] [--json] LOG...
                                                      the log as sentences, newest first, humans only unless --all
  audit-lens findings [--json] [--rules FILE]... [--no-builtin] [--fail-on high] LOG...
                                                      the detection pack (built-in and your rules) over logs;
                                                      exit 1 when a finding is at or above --fail-on
  audit-lens advise --policy P [--target 70] [--guard FILE] [--price ID] [--json] [-o NEW.yaml] LOG...
                                                      where the policy's bytes go, rule changes that cut them
                                                      (bytes/day, money, findings lost) within the guard-rails,
                                                      and a plan for the target written as a policy; exit 1 when
                                                      the guard-rails stop it short of the target
  audit-lens export --format jsonl|csv [--filter F] [--after T] [--before T] [--columns a,b]
                 [--redact [--key FILE] [--redact-names]] [--sources FILE] LOG... -o FILE|DIR|-
                                                      the filter's events as JSON lines (as in the log) or CSV;
                                                      --redact: secrets replaced, users/groups/IPs pseudonymized
  audit-lens export --format parquet [--policy P] [--kube-version 1.36] LOG... -o FILE.parquet
                                                      one table row per event (indexed fields, sizes, file and
                                                      offset; with --policy the rule, level, omitted, kept bytes)
  audit-lens sql --policy P --dialect duckdb|spark|trino|bigquery|clickhouse [--table T]
                 [--query rows|coverage|whatif] [--schema parquet|raw-json]
                                                      the policy as one SQL CASE (first match, kube-apiserver's
                                                      semantics) and a query over the Parquet table or raw JSON
  audit-lens bench [--size 200MB] [--rounds 5] [--policy P]
                                                      measure ingest, filters, timeline, policy evaluation

Common options: --kube-version 1.36 (policy features of that Kubernetes version; default: the newest, 1.37),
  --accept-old-versions (read audit.k8s.io/v1beta1 and v1alpha1 policies as v1)
Logs may be JSON lines, pretty JSON, EventList, Azure/AWS exports, GKE Cloud Audit Logs, OpenShift
  ViaQ/OTLP, Loki, Elasticsearch/OpenSearch, Splunk exports, gzip; detected from content.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let rest = &args[1..];
    let r = match cmd.as_str() {
        "stats" => cmd_stats(rest),
        "generate" => cmd_generate(rest),
        "bench" => bench::run(rest),
        "query" => cli_query::run(rest),
        "history" => cli_history::run(rest),
        "actor" => cli_actor::run_actor(rest),
        "feed" => cli_actor::run_feed(rest),
        "findings" => cli_findings::run_findings(rest),
        "advise" => cli_advise::run_advise(rest),
        "diff-policy" => cli_compare::run_diff_policy(rest),
        "export" => cli_export::run_export(rest),
        "sql" => cli_sql::run(rest),
        "validate" | "lint" | "eval" | "coverage" | "whatif" | "clo-filter" => {
            cli_policy::run(cmd, rest)
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown command '{other}'\n\n{USAGE}")),
    };
    match r {
        Ok(c) => c,
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e) if e.contains("Broken pipe") => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("audit-lens: {e}");
            ExitCode::from(2)
        }
    }
}

/// Parsed `--flag value` / `--switch` options plus positional arguments.
pub struct Args {
    pub pos: Vec<String>,
    pub opts: Vec<(String, Option<String>)>,
}

impl Args {
    /// `switches` take no value; every other `--x` takes the next argument.
    pub fn parse(a: &[String], switches: &[&str]) -> Result<Args, String> {
        let mut pos = Vec::new();
        let mut opts = Vec::new();
        let mut i = 0;
        while i < a.len() {
            let s = &a[i];
            if let Some(name) = s.strip_prefix("--") {
                if let Some((k, v)) = name.split_once('=') {
                    opts.push((k.to_string(), Some(v.to_string())));
                } else if switches.contains(&name) {
                    opts.push((name.to_string(), None));
                } else {
                    let v = a
                        .get(i + 1)
                        .ok_or_else(|| format!("--{name} needs a value"))?;
                    opts.push((name.to_string(), Some(v.clone())));
                    i += 1;
                }
            } else if s == "-o" {
                let v = a.get(i + 1).ok_or("-o needs a file name")?;
                opts.push(("output".into(), Some(v.clone())));
                i += 1;
            } else {
                pos.push(s.clone());
            }
            i += 1;
        }
        Ok(Args { pos, opts })
    }
    pub fn flag(&self, k: &str) -> bool {
        self.opts.iter().any(|(n, _)| n == k)
    }
    pub fn get(&self, k: &str) -> Option<&str> {
        self.opts
            .iter()
            .rev()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| v.as_deref())
    }
}

/// Reads one file (or stdin for `-`) into the store in 16 MiB chunks. A plain JSON-lines
/// file of a useful size is read by one thread per core, each over its own byte range,
/// and the pieces are merged (same store as one reader: tests/cli.rs checks it).
/// [`audit_lens::store::fingerprint`] of a file on disk.
fn file_fingerprint(path: &str) -> Result<u64, String> {
    let mut f = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut head = vec![0u8; audit_lens::store::FINGERPRINT_BYTES];
    let n = read_full(&mut f, &mut head).map_err(|e| format!("{path}: {e}"))?;
    Ok(audit_lens::store::fingerprint(size, &head[..n]))
}

pub fn ingest_path(store: &mut Store, path: &str) -> Result<(), String> {
    #[cfg(unix)]
    if path != "-" {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        if cores > 1 && std::env::var_os("AUDIT_LENS_ONE_THREAD").is_none() {
            if let Some(points) = parallel_points(path, cores)? {
                return ingest_parallel(store, path, &points);
            }
        }
    }
    let (mut reader, name, size): (Box<dyn Read>, String, u64) = if path == "-" {
        (Box::new(std::io::stdin().lock()), "<stdin>".into(), 0)
    } else {
        let f = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
        let size = f.metadata().map(|m| m.len()).unwrap_or(0);
        (Box::new(f), path.to_string(), size)
    };
    let mut ing = Ingester::new(store, &name, size);
    let mut buf = vec![0u8; 16 << 20];
    loop {
        let n = read_full(&mut reader, &mut buf).map_err(|e| format!("{name}: {e}"))?;
        if n == 0 {
            break;
        }
        ing.push(store, &buf[..n]);
    }
    ing.finish(store);
    Ok(())
}

#[cfg(unix)]
/// Byte offsets where the pieces of a plain JSON-lines file start (the first is 0), or
/// `None` when the file should be read by one reader (small, gzip, not JSON lines).
fn parallel_points(path: &str, cores: usize) -> Result<Option<Vec<u64>>, String> {
    use std::os::unix::fs::FileExt;
    let f = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    if size < 64 << 20 {
        return Ok(None);
    }
    use audit_lens::load::piece::{cut_points, probe_targets, HEAD_BYTES, PROBE_BYTES};
    // The decision is the library's (the page cuts with it too); here only the reads.
    let read = |at: u64, len: u64| -> Result<Vec<u8>, String> {
        let mut b = vec![0u8; len as usize];
        let n = f.read_at(&mut b, at).map_err(|e| format!("{path}: {e}"))?;
        b.truncate(n);
        Ok(b)
    };
    let targets = probe_targets(size, cores as u32, 64 << 20);
    let head = read(0, HEAD_BYTES.min(size))?;
    let probes = targets
        .iter()
        .map(|&t| read(t, PROBE_BYTES))
        .collect::<Result<Vec<_>, _>>()?;
    let probes: Vec<&[u8]> = probes.iter().map(Vec::as_slice).collect();
    Ok(cut_points(size, &head, &targets, &probes))
}

#[cfg(unix)]
/// Reads each piece on its own thread (positional reads, 16 MiB at a time), then merges.
fn ingest_parallel(store: &mut Store, name: &str, points: &[u64]) -> Result<(), String> {
    use std::os::unix::fs::FileExt;
    let f = std::fs::File::open(name).map_err(|e| format!("{name}: {e}"))?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    let ends: Vec<u64> = points.iter().skip(1).copied().chain([size]).collect();
    let read_piece =
        |store: &mut Store, ing: &mut Ingester, start: u64, end: u64| -> std::io::Result<()> {
            let mut buf = vec![0u8; 16 << 20];
            let mut at = start;
            while at < end {
                let want = ((end - at) as usize).min(buf.len());
                let n = f.read_at(&mut buf[..want], at)?;
                if n == 0 {
                    break;
                }
                ing.push(store, &buf[..n]);
                at += n as u64;
            }
            Ok(())
        };
    let results: Vec<std::io::Result<(Store, u64)>> = std::thread::scope(|sc| {
        let handles: Vec<_> = points
            .iter()
            .zip(&ends)
            .skip(1)
            .map(|(&start, &end)| {
                sc.spawn(move || {
                    let mut part = Store::new();
                    let mut ing = Ingester::continuation(&mut part, name, start, 1);
                    read_piece(&mut part, &mut ing, start, end)?;
                    let lines = ing.line() - 1;
                    ing.finish(&mut part);
                    Ok((part, lines))
                })
            })
            .collect();
        let mut ing = Ingester::new(store, name, size);
        let first = read_piece(store, &mut ing, 0, ends[0]).map(|_| (Store::new(), ing.line() - 1));
        ing.finish(store);
        std::iter::once(first)
            .chain(
                handles
                    .into_iter()
                    .map(|h| h.join().expect("ingest thread")),
            )
            .collect()
    });
    let file = (store.files.len() - 1) as u32;
    store.files[file as usize].decoded_bytes = size;
    let mut lines_before = 0;
    for (i, r) in results.into_iter().enumerate() {
        let (part, lines) = r.map_err(|e| format!("{name}: {e}"))?;
        if i > 0 {
            store.absorb(&part, file, lines_before);
        }
        lines_before += lines;
    }
    Ok(())
}

fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Loads every log path (stdin when empty) into one finalized store.
pub fn load_logs(paths: &[String]) -> Result<Store, String> {
    let mut store = Store::new();
    if paths.is_empty() {
        ingest_path(&mut store, "-")?;
    }
    for p in paths {
        // The same file twice (by size and beginning, as the page tells): read once.
        let fp = if p == "-" {
            None
        } else {
            Some(file_fingerprint(p)?)
        };
        if let Some(same) = fp.and_then(|f| store.same_file(f)) {
            eprintln!(
                "audit-lens: {p} is the same file as {}: not read again",
                same.name
            );
            continue;
        }
        ingest_path(&mut store, p)?;
        if let Some(f) = store.files.last_mut() {
            f.fingerprint = fp;
        }
    }
    store.finalize();
    // As the page does: an event that an earlier file already holds is kept once.
    let dups = store.drop_cross_file_duplicates();
    if let Some(note) = audit_lens::store::duplicates_note(&store, &dups) {
        eprintln!("audit-lens: {note}");
    }
    Ok(store)
}

fn cmd_stats(a: &[String]) -> Result<ExitCode, String> {
    let args = Args::parse(a, &["json"])?;
    let top: usize = args.get("top").map_or(Ok(10), |v| {
        v.parse().map_err(|_| format!("--top: not a number: {v}"))
    })?;
    let store = load_logs(&args.pos)?;
    let st = stats(&store, top, 20);
    let mut out = std::io::stdout().lock();
    if args.flag("json") {
        serde_json::to_writer_pretty(&mut out, &st).map_err(|e| e.to_string())?;
        let _ = writeln!(out);
    } else {
        print_stats(&mut out, &st).map_err(|e| e.to_string())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_stats(o: &mut impl Write, st: &Stats) -> std::io::Result<()> {
    for f in &st.files {
        let gz = if f.gzip {
            format!(" (gzip, {} decoded)", human_bytes(f.decoded_bytes))
        } else {
            String::new()
        };
        writeln!(
            o,
            "{}: {}{gz}, {}, {} events, {} rejected",
            f.name,
            human_bytes(f.bytes),
            f.format,
            f.events,
            f.rejected
        )?;
        for (w, n) in &f.wrappers {
            writeln!(o, "  unwrapped {n} {w}")?;
        }
        for (k, n) in &f.skipped_kinds {
            writeln!(o, "  skipped {n} {k} (not Kubernetes audit events)")?;
        }
        if let Some(d) = &f.diagnosis {
            writeln!(o, "  note: {d}")?;
        }
    }
    writeln!(o)?;
    writeln!(
        o,
        "events     {} ({} requests), {} rejected of {} records",
        st.events, st.requests, st.rejected, st.records
    )?;
    if let (Some(a), Some(b)) = (&st.first, &st.last) {
        writeln!(
            o,
            "time span  {a} .. {b} ({})",
            human_duration_micros((st.span_seconds * 1e6) as i64)
        )?;
    }
    writeln!(
        o,
        "rate       {:.1} events/s, {}/hour of log",
        st.events_per_second,
        human_bytes(st.bytes_per_hour as u64)
    )?;
    writeln!(
        o,
        "bytes      {} in events, of which {} requestObject and {} responseObject",
        human_bytes(st.event_bytes),
        human_bytes(st.request_object_bytes),
        human_bytes(st.response_object_bytes)
    )?;
    if !st.rejections.is_empty() {
        writeln!(o, "\nrejected (first {}):", st.rejections.len())?;
        for r in &st.rejections {
            writeln!(o, "  {}:{}: {}", r.file, r.line, r.reason)?;
        }
    }
    for (k, rows) in &st.top {
        writeln!(o, "\ntop {k}:")?;
        for r in rows {
            let share = if st.events > 0 {
                r.events as f64 * 100.0 / st.events as f64
            } else {
                0.0
            };
            writeln!(
                o,
                "  {:>9} {:>5.1}% {:>9}  {}",
                human_count(r.events),
                share,
                human_bytes(r.bytes),
                r.value
            )?;
        }
    }
    Ok(())
}

/// Parses "200MB", "1.5GB", "512k", "1000" (bytes).
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let m = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "kib" => 1024.0,
        "mib" => 1048576.0,
        "gib" => 1073741824.0,
        _ => return None,
    };
    Some((n * m) as u64)
}

fn cmd_generate(a: &[String]) -> Result<ExitCode, String> {
    let args = Args::parse(a, &["sample", "sample-policy", "no-request-received"])?;
    let mut out: Box<dyn Write> = match args.get("output") {
        Some(p) => Box::new(std::io::BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(p).map_err(|e| format!("{p}: {e}"))?,
        )),
        None => Box::new(std::io::BufWriter::with_capacity(
            1 << 20,
            std::io::stdout().lock(),
        )),
    };
    if args.flag("sample-policy") {
        out.write_all(audit_lens::gen::sample_policy().as_bytes())
            .map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.flag("sample") {
        out.write_all(&audit_lens::gen::sample_log())
            .map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut o = GenOptions::default();
    if let Some(s) = args.get("size") {
        o.max_bytes =
            parse_size(s).ok_or_else(|| format!("--size: cannot read '{s}' (try 200MB)"))?;
        o.duration_s = 0;
    }
    if let Some(h) = args.get("hours") {
        let h: f64 = h
            .parse()
            .map_err(|_| format!("--hours: not a number: {h}"))?;
        o.duration_s = (h * 3600.0) as u64;
    }
    if let Some(v) = args.get("seed") {
        o.seed = v
            .parse()
            .map_err(|_| format!("--seed: not a number: {v}"))?;
    }
    if let Some(v) = args.get("nodes") {
        o.nodes = v
            .parse()
            .map_err(|_| format!("--nodes: not a number: {v}"))?;
    }
    if let Some(v) = args.get("body-scale") {
        o.body_scale = v
            .parse()
            .map_err(|_| format!("--body-scale: not a number: {v}"))?;
    }
    if let Some(v) = args.get("activity") {
        o.activity = v
            .parse()
            .map_err(|_| format!("--activity: not a number: {v}"))?;
    }
    if let Some(v) = args.get("start") {
        o.start =
            parse_rfc3339_micros(v).ok_or_else(|| format!("--start: not an RFC 3339 time: {v}"))?;
    }
    if args.flag("no-request-received") {
        o.request_received = false;
    }
    if o.max_bytes == 0 && o.duration_s == 0 {
        o.duration_s = 3600;
    }
    let mut err = None;
    generate(&o, &mut |b| {
        if err.is_none() {
            if let Err(e) = out.write_all(b) {
                err = Some(e);
            }
        }
    });
    if let Some(e) = err {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e.to_string());
        }
    }
    let _ = out.flush();
    Ok(ExitCode::SUCCESS)
}
