//! `audit-lens query`: the page's filter language on the command line. Prints how many
//! events match and where they are (file and 1-based line), using the very engine the
//! page's worker uses, so a browser count can be checked natively.

use crate::{load_logs, Args};
use audit_lens::analysis::evaluate::{evaluate, AttrIndex};
use audit_lens::audit::policy::{load_policy_bytes, LoadOptions};
use audit_lens::ingest::gzip::{is_gzip, GzipStream};
use audit_lens::ingest::record::EventExtractor;
use audit_lens::query::compile;
use audit_lens::util::parse_rfc3339_micros;
use std::io::Write;
use std::process::ExitCode;

/// The bytes of a log as the engine saw them (gzip decompressed).
pub fn decoded(path: &str) -> Result<Vec<u8>, String> {
    let raw = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    if !is_gzip(&raw) {
        return Ok(raw);
    }
    let mut out = Vec::new();
    let mut gz = GzipStream::new();
    gz.push(&raw, &mut |piece| out.extend_from_slice(piece));
    match gz.error() {
        Some(e) => Err(format!("{path}: {e}")),
        None => Ok(out),
    }
}

/// Gives `k` row `r`'s event JSON. With `raw_ok`, a line or document of its own is given
/// as its record bytes (a body predicate reads those as well as the event); otherwise, and
/// always for an event inside a wrapper, the event alone as `event_json` takes it out.
pub fn with_event(
    store: &audit_lens::store::Store,
    files: &[Vec<u8>],
    names: &[String],
    events: &mut EventExtractor,
    raw_ok: bool,
    r: usize,
    k: &mut dyn FnMut(&[u8]) -> Result<(), String>,
) -> Result<(), String> {
    let fi = store.file(r) as usize;
    let (off, len) = store.record_range(r);
    let b = &files[fi];
    let end = (off + len as u64).min(b.len() as u64) as usize;
    let rec = &b[(off as usize).min(end)..end];
    match store.wrap_item(r) {
        None if raw_ok => k(rec),
        item => {
            let ev = events
                .event((fi as u32, off), rec, item)
                .map_err(|e| format!("{}: {e}", names[fi]))?;
            k(ev.text.as_bytes())
        }
    }
}

/// 1-based line of byte `offset`, given the sorted offsets of every `\n`.
pub fn line_of(newlines: &[u64], offset: u64) -> u64 {
    newlines.partition_point(|&n| n < offset) as u64 + 1
}

/// `query --filter F [--after T] [--before T] [--policy P] [--json | --events] LOG...`
///
/// `--events` prints the matching events themselves, one JSON line each, as the page's
/// "Export JSON lines" does: a line of its own byte for byte, an event from a wrapper or a
/// pretty document alone and compacted.
pub fn run(a: &[String]) -> Result<ExitCode, String> {
    let args = Args::parse(a, &["json", "events"])?;
    let filter = args.get("filter").unwrap_or("");
    if let Some(lang) = args.get("as") {
        return translate(&args, filter, lang);
    }
    if args.pos.is_empty() {
        return Err("query needs at least one LOG file".into());
    }
    let store = load_logs(&args.pos)?;
    let ev = match args.get("policy") {
        Some(p) => {
            // As every policy file: decided on its bytes (kube-apiserver's reader).
            let bytes = std::fs::read(p).map_err(|e| format!("{p}: {e}"))?;
            let lp = load_policy_bytes(p, &bytes, &LoadOptions::default())
                .map_err(|e| format!("{p}: policy refused:\n{e}"))?;
            Some(evaluate(&store, &AttrIndex::build(&store), &lp.compiled))
        }
        None => None,
    };
    let time = |k: &str| -> Result<Option<i64>, String> {
        args.get(k)
            .map(|v| parse_rfc3339_micros(v).ok_or(format!("--{k}: not an RFC 3339 time: {v}")))
            .transpose()
    };
    let range = match (time("after")?, time("before")?) {
        (None, None) => None,
        (a, b) => Some((a.unwrap_or(i64::MIN), b.unwrap_or(i64::MAX))),
    };
    let f = compile(&store, filter, ev.as_ref()).map_err(|e| {
        format!(
            "filter error at bytes {}..{}: {}",
            e.start, e.end, e.message
        )
    })?;
    let mut rows = f.select(&store, range, ev.as_ref());
    // The decoded files, read once: for body predicates and `--events`.
    let files: Vec<Vec<u8>> = if f.needs_bodies() || args.flag("events") {
        args.pos
            .iter()
            .map(|p| decoded(p))
            .collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    if f.needs_bodies() {
        let mut kept = Vec::with_capacity(rows.len());
        let mut events = EventExtractor::default();
        for r in rows {
            let mut hit = false;
            with_event(
                &store,
                &files,
                &args.pos,
                &mut events,
                true,
                r as usize,
                &mut |b| {
                    hit = f.matches_body(b);
                    Ok(())
                },
            )?;
            if hit {
                kept.push(r);
            }
        }
        rows = kept;
    }
    let out = std::io::stdout();
    let mut o = std::io::BufWriter::new(out.lock());
    let w = |e: std::io::Error| e.to_string();
    if args.flag("events") {
        // Each wrapper record is walked once for its rows, as the page's export does.
        let mut events = EventExtractor::default();
        for &r in &rows {
            with_event(
                &store,
                &files,
                &args.pos,
                &mut events,
                false,
                r as usize,
                &mut |b| o.write_all(b).and_then(|_| o.write_all(b"\n")).map_err(w),
            )?;
        }
        o.flush().map_err(w)?;
        return Ok(ExitCode::SUCCESS);
    }
    // Newline offsets per file, for line numbers.
    let mut newlines: Vec<Vec<u64>> = Vec::new();
    for (i, p) in args.pos.iter().enumerate() {
        // The files a body search decoded already are not read again.
        let owned;
        let b = match files.get(i) {
            Some(b) => b,
            None => {
                owned = decoded(p)?;
                &owned
            }
        };
        newlines.push(memchr::memchr_iter(b'\n', b).map(|i| i as u64).collect());
    }
    if args.flag("json") {
        write!(o, "{{\"count\":{},\"files\":", rows.len()).map_err(w)?;
        serde_json::to_writer(&mut o, &args.pos).map_err(|e| e.to_string())?;
        write!(o, ",\"matches\":[").map_err(w)?;
        for (i, &r) in rows.iter().enumerate() {
            let f = store.file(r as usize) as usize;
            let line = line_of(&newlines[f], store.offset(r as usize));
            let sep = if i == 0 { "" } else { "," };
            write!(o, "{sep}[{f},{line}]").map_err(w)?;
        }
        writeln!(o, "]}}").map_err(w)?;
    } else {
        writeln!(o, "{} events match", rows.len()).map_err(w)?;
        for &r in &rows {
            let f = store.file(r as usize) as usize;
            let line = line_of(&newlines[f], store.offset(r as usize));
            writeln!(o, "{}:{line}", args.pos[f]).map_err(w)?;
        }
    }
    o.flush().map_err(w)?;
    Ok(ExitCode::SUCCESS)
}

/// `query --as jq|logql|cloudwatch|kql --filter F [--after T] [--before T] [--selector S]
/// [--table T] [--json]`: the filter in another engine's language (no log needed). The
/// query goes to stdout, how to run it and where it can differ to stderr (`--json`: both).
fn translate(args: &Args, filter: &str, lang: &str) -> Result<ExitCode, String> {
    use audit_lens::query::translate::{translate, Lang, Options};
    let lang = Lang::parse(lang)
        .ok_or_else(|| format!("--as: unknown language '{lang}' (jq, logql, cloudwatch or kql)"))?;
    let mut opts = Options::default();
    let time = |k: &str| -> Result<Option<i64>, String> {
        args.get(k)
            .map(|v| parse_rfc3339_micros(v).ok_or(format!("--{k}: not an RFC 3339 time: {v}")))
            .transpose()
    };
    match (time("after")?, time("before")?) {
        (None, None) => {}
        (a, b) => opts.range = Some((a.unwrap_or(i64::MIN / 2), b.unwrap_or(i64::MAX / 2))),
    }
    if let Some(s) = args.get("selector") {
        opts.selector = s.to_string();
    }
    if let Some(t) = args.get("table") {
        opts.table = t.to_string();
    }
    let t = translate(filter, lang, &opts).map_err(|e| {
        format!(
            "filter error at bytes {}..{}: {}",
            e.start, e.end, e.message
        )
    })?;
    let out = std::io::stdout();
    let mut o = out.lock();
    let w = |e: std::io::Error| e.to_string();
    if args.flag("json") {
        serde_json::to_writer(&mut o, &t).map_err(|e| e.to_string())?;
        writeln!(o).map_err(w)?;
    } else {
        writeln!(o, "{}", t.text).map_err(w)?;
        for n in &t.notes {
            eprintln!("note: {n}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
