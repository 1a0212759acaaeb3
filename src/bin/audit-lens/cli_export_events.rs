//! `audit-lens export --format jsonl|csv`: the events of a filter, as JSON lines (each
//! event's bytes as the log holds them) or CSV (the page's columns), optionally redacted
//! (`audit_lens::export::redact`). The filter and loader are `query`'s.

use crate::cli_query::{decoded, with_event};
use crate::{load_logs, Args};
use audit_lens::analysis::evaluate::{evaluate, AttrIndex};
use audit_lens::audit::policy::{load_policy_bytes, LoadOptions};
use audit_lens::export::redact::{Options, Redactor};
use audit_lens::export::{self, csv, jsonl, Column};
use audit_lens::ingest::record::EventExtractor;
use audit_lens::query::compile;
use audit_lens::util::parse_rfc3339_micros;
use std::io::Write;
use std::process::ExitCode;

/// `export --format jsonl|csv [--filter F] [--after T --before T] [--policy P]
/// [--columns a,b] [--redact [--key FILE] [--redact-names]] [--sources FILE] LOG... -o FILE`
///
/// `-o` may name a directory: the file is then named by what it holds
/// (`audit-lens_verb-delete_2026-11-02T0800-1000Z.csv`); `-o -` writes to stdout.
pub fn run(a: &[String]) -> Result<ExitCode, String> {
    let args = Args::parse(a, &["redact", "redact-names"])?;
    let format = match args.get("format") {
        Some(f) => f.to_string(),
        None => match args.get("output") {
            Some(o) if o.ends_with(".csv") => "csv".into(),
            _ => "jsonl".into(),
        },
    };
    if format != "jsonl" && format != "csv" {
        return Err(format!(
            "export: unknown --format '{format}' (jsonl or csv)"
        ));
    }
    let out_arg = args
        .get("output")
        .ok_or("export needs -o FILE (a file, a directory, or - for stdout)")?
        .to_string();
    if args.pos.is_empty() || args.pos.iter().any(|p| p == "-") {
        return Err("export needs LOG files (it reads them twice, so not stdin)".into());
    }
    let redact = args.flag("redact");
    if !redact && (args.get("key").is_some() || args.flag("redact-names")) {
        return Err("--key and --redact-names go with --redact".into());
    }
    if format == "csv" && args.get("sources").is_some() {
        return Err("--sources is for JSON lines (a CSV export has a file column)".into());
    }
    let key = match args.get("key") {
        Some(p) => {
            let k = std::fs::read(p).map_err(|e| format!("--key {p}: {e}"))?;
            let k = k.trim_ascii().to_vec();
            if k.is_empty() {
                return Err(format!("--key {p}: the file is empty"));
            }
            Some(k)
        }
        None => None,
    };
    let filter = args.get("filter").unwrap_or("");
    let store = load_logs(&args.pos)?;
    let ev = match args.get("policy") {
        Some(p) => {
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
    let several = store.files.len() > 1;
    let columns: Vec<Column> = match args.get("columns") {
        Some(c) => export::parse_columns(c)?,
        None => export::page_columns(&[], several),
    };
    let mut rows = f.select(&store, range, ev.as_ref());
    // Names as the store has them (a file given twice is read once).
    let names: Vec<String> = store.files.iter().map(|f| f.name.clone()).collect();
    let paths: Vec<String> = names.clone();
    let files: Vec<Vec<u8>> = if f.needs_bodies() || format == "jsonl" || redact {
        paths.iter().map(|p| decoded(p)).collect::<Result<_, _>>()?
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
                &names,
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
    let ext = if format == "csv" { "csv" } else { "jsonl" };
    let name = export::file_name(filter, export::span(&store, &rows), redact, ext);
    let target = if out_arg != "-" && std::path::Path::new(&out_arg).is_dir() {
        std::path::Path::new(&out_arg)
            .join(&name)
            .to_string_lossy()
            .into_owned()
    } else {
        out_arg.clone()
    };

    // The events' texts (JSON lines export, or a redaction's input).
    let mut texts: Vec<(u32, Vec<u8>)> = Vec::new();
    if format == "jsonl" || redact {
        let mut events = EventExtractor::default();
        texts.reserve(rows.len());
        for &r in &rows {
            with_event(
                &store,
                &files,
                &names,
                &mut events,
                false,
                r as usize,
                &mut |b| {
                    texts.push((store.file(r as usize), b.to_vec()));
                    Ok(())
                },
            )?;
        }
    }
    let mut summary = None;
    if redact {
        let mut red = Redactor::new(Options {
            key,
            names: args.flag("redact-names"),
        });
        for (_, t) in &texts {
            red.observe(t);
        }
        for (_, t) in texts.iter_mut() {
            let out = red.redact(t).map_err(|e| format!("redact: {e}"))?;
            *t = out.into_bytes();
        }
        summary = Some(red.summary());
    }

    let mut body: Vec<u8> = Vec::new();
    let mut sources = String::new();
    if format == "jsonl" {
        for (_, t) in &texts {
            body.extend_from_slice(t);
            body.push(b'\n');
        }
        if args.get("sources").is_some() {
            let newlines: Vec<Vec<u64>> = files
                .iter()
                .map(|b| memchr::memchr_iter(b'\n', b).map(|i| i as u64).collect())
                .collect();
            sources.push_str(jsonl::SOURCES_HEADER);
            for (i, &r) in rows.iter().enumerate() {
                let fi = store.file(r as usize) as usize;
                let line = jsonl::line_of(&newlines[fi], store.offset(r as usize));
                jsonl::sources_record(&mut sources, i as u64 + 1, &names[fi], line);
            }
        }
    } else if redact {
        // The CSV of the redacted events, read back: each from its own file.
        let mut per_file: Vec<(String, Vec<u8>)> =
            names.iter().map(|n| (n.clone(), Vec::new())).collect();
        for (fi, t) in &texts {
            let b = &mut per_file[*fi as usize].1;
            b.extend_from_slice(t);
            b.push(b'\n');
        }
        let back = export::reload(&per_file);
        if back.len() != rows.len() {
            return Err(format!(
                "redact: {} events redacted but {} read back",
                rows.len(),
                back.len()
            ));
        }
        let all: Vec<u32> = (0..back.len() as u32).collect();
        body = csv::events_csv(&back, &all, &columns).into_bytes();
    } else {
        body = csv::events_csv(&store, &rows, &columns).into_bytes();
    }
    let w = |e: std::io::Error| format!("{target}: {e}");
    if target == "-" {
        let out = std::io::stdout();
        let mut o = out.lock();
        o.write_all(&body).map_err(w)?;
        o.flush().map_err(w)?;
    } else {
        std::fs::write(&target, &body).map_err(w)?;
    }
    if let Some(p) = args.get("sources") {
        std::fs::write(p, sources.as_bytes()).map_err(|e| format!("{p}: {e}"))?;
    }
    let what = if format == "csv" { "rows" } else { "events" };
    eprintln!(
        "audit-lens: {} {what} written to {}",
        rows.len(),
        if target == "-" { "stdout" } else { &target }
    );
    if let Some(s) = summary {
        eprintln!("audit-lens: redacted ({} events):", s.events);
        if s.changed.is_empty() {
            eprintln!("  nothing to replace");
        }
        for l in s.lines() {
            eprintln!("  {l}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
