//! `audit-lens findings`: the detection pack over logs, for CI jobs and SOCs. The same
//! engine as the page's Findings view (`audit_lens::detect`); body predicates are decided
//! on the decoded files.

use crate::cli_query::{decoded, line_of, with_event};
use crate::{load_logs, Args};
use audit_lens::detect::{rules::technique_name, run, Pack, Severity};
use audit_lens::ingest::record::EventExtractor;
use audit_lens::util::format_rfc3339_micros;
use serde_json::json;
use std::io::Write;
use std::process::ExitCode;

/// Runs `pack` over the logs at `paths` (loaded into `store`): body rules read their
/// candidates' events from the decoded files. Returns the decoded files too.
pub fn run_pack(
    store: &audit_lens::store::Store,
    paths: &[String],
    pack: &Pack,
) -> Result<(Vec<Vec<u8>>, audit_lens::detect::Report), String> {
    let files: Vec<Vec<u8>> = paths.iter().map(|p| decoded(p)).collect::<Result<_, _>>()?;
    let mut events = EventExtractor::default();
    let mut read_err = None;
    let report = run(store, pack, &mut |r| {
        let mut out = None;
        if let Err(e) = with_event(store, &files, paths, &mut events, true, r, &mut |b| {
            out = Some(b.to_vec());
            Ok(())
        }) {
            read_err.get_or_insert(e);
        }
        out
    });
    match read_err {
        Some(e) => Err(e),
        None => Ok((files, report)),
    }
}

/// `findings [--json] [--rules FILE]... [--no-builtin] [--fail-on SEVERITY] [--policy P] LOG...`
///
/// With `--policy`: what that policy would blind (the rules that could no longer fire,
/// for which identities, and the events of these findings it would drop or strip).
///
/// Exit codes: 0 when no finding is at or above `--fail-on` (or without it), 1 when one
/// is, 2 for an error (a rule file that does not load, a log that cannot be read).
pub fn run_findings(a: &[String]) -> Result<ExitCode, String> {
    let args = Args::parse(a, &["json", "no-builtin"])?;
    if args.pos.is_empty() {
        return Err("findings needs at least one LOG file".into());
    }
    let fail_on =
        match args.get("fail-on") {
            None => None,
            Some(s) => Some(Severity::parse(s).ok_or_else(|| {
                format!("--fail-on {s:?}: one of info, low, medium, high, critical")
            })?),
        };
    let mut pack = if args.flag("no-builtin") {
        Pack::default()
    } else {
        Pack::builtin()
    };
    for (k, v) in &args.opts {
        if k != "rules" {
            continue;
        }
        let p = v.as_deref().ok_or("--rules needs a FILE")?;
        let text = std::fs::read_to_string(p).map_err(|e| format!("{p}: {e}"))?;
        pack = pack.with(Pack::load(p, &text)?);
    }
    if pack.rules.is_empty() {
        return Err("no rules to run (--no-builtin without --rules)".into());
    }
    let store = load_logs(&args.pos)?;
    let (files, report) = run_pack(&store, &args.pos, &pack)?;
    let blind = match args.get("policy") {
        None => None,
        Some(p) => {
            let bytes = std::fs::read(p).map_err(|e| format!("{p}: {e}"))?;
            let lp = audit_lens::audit::policy::load_policy_bytes(
                p,
                &bytes,
                &audit_lens::audit::policy::LoadOptions::default(),
            )
            .map_err(|e| format!("{p}: policy refused:\n{e}"))?;
            let mut seen: Vec<(String, Vec<String>)> = Vec::new();
            for f in &report.findings {
                let r = f.rows[0] as usize;
                let u = store.str(audit_lens::store::Dim::User, r).to_string();
                if !seen.iter().any(|(x, _)| *x == u) {
                    let g = store
                        .dict
                        .groups
                        .members_of(store.groups_id(r))
                        .map(str::to_string)
                        .collect();
                    seen.push((u, g));
                }
            }
            Some(audit_lens::detect::blind::blind(
                &lp,
                &pack,
                &store,
                &report.findings,
                &seen,
            ))
        }
    };
    let newlines: Vec<Vec<u64>> = files
        .iter()
        .map(|b| memchr::memchr_iter(b'\n', b).map(|i| i as u64).collect())
        .collect();
    let loc = |r: u32| {
        let r = r as usize;
        let f = store.file(r) as usize;
        (f, line_of(&newlines[f], store.offset(r)))
    };
    let stdout = std::io::stdout();
    let mut o = std::io::BufWriter::new(stdout.lock());
    let w = |e: std::io::Error| e.to_string();
    if args.flag("json") {
        let findings: Vec<_> = report
            .findings
            .iter()
            .map(|f| {
                let rule = &pack.rules[f.rule as usize];
                json!({
                    "id": f.id,
                    "category": f.category,
                    "severity": f.severity.as_str(),
                    "title": f.title,
                    "key": f.key,
                    "requests": f.requests,
                    "denied": f.denied,
                    "first": format_rfc3339_micros(f.first_us),
                    "last": format_rfc3339_micros(f.last_us),
                    "mitre": rule.mitre,
                    "pack": rule.pack,
                    "needs": rule.needs.sentence(),
                    "filter": f.filter,
                    "events": f.rows.iter().map(|&r| {
                        let (fi, line) = loc(r);
                        json!({
                            "file": args.pos[fi],
                            "line": line,
                            "auditID": store.audit_id(r as usize),
                            "stage": store.stage(r as usize).map(|s| s.as_str()),
                        })
                    }).collect::<Vec<_>>(),
                })
            })
            .collect();
        let v = json!({
            "blind": blind,
            "findings": findings,
            "rules": pack.rules.len(),
            "events": report.events,
            "errors": report.errors,
        });
        serde_json::to_writer(&mut o, &v).map_err(|e| e.to_string())?;
        writeln!(o).map_err(w)?;
    } else {
        let by = report.by_severity();
        let counts: Vec<String> = Severity::DESC
            .iter()
            .zip(by)
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{n} {}", s.as_str()))
            .collect();
        writeln!(
            o,
            "{} findings ({}) from {} rules over {} events",
            report.findings.len(),
            if counts.is_empty() {
                "none".into()
            } else {
                counts.join(", ")
            },
            pack.rules.len(),
            report.events
        )
        .map_err(w)?;
        for f in &report.findings {
            let rule = &pack.rules[f.rule as usize];
            let who = if f.key.is_empty() {
                String::new()
            } else {
                format!(" — {}", f.key)
            };
            let denied = if f.denied > 0 {
                format!(", {} denied", f.denied)
            } else {
                String::new()
            };
            writeln!(
                o,
                "\n[{}] {} ({}){who}\n  {} request{}{denied}, {} → {}",
                f.severity.as_str().to_uppercase(),
                f.title,
                f.id,
                f.requests,
                if f.requests == 1 { "" } else { "s" },
                format_rfc3339_micros(f.first_us),
                format_rfc3339_micros(f.last_us),
            )
            .map_err(w)?;
            if !rule.mitre.is_empty() {
                let m: Vec<String> = rule
                    .mitre
                    .iter()
                    .map(|t| match technique_name(t) {
                        "" => t.clone(),
                        n => format!("{t} {n}"),
                    })
                    .collect();
                writeln!(o, "  ATT&CK: {}", m.join("; ")).map_err(w)?;
            }
            writeln!(o, "  filter: {}", f.filter).map_err(w)?;
            for &r in f.rows.iter().take(5) {
                let (fi, line) = loc(r);
                writeln!(o, "  {}:{line}", args.pos[fi]).map_err(w)?;
            }
            if f.rows.len() > 5 {
                writeln!(o, "  … and {} more events", f.rows.len() - 5).map_err(w)?;
            }
        }
        for e in &report.errors {
            writeln!(o, "\nrule not run: {e}").map_err(w)?;
        }
        if let Some(b) = &blind {
            writeln!(
                o,
                "\nwhat {} would blind: {} of {} rules; {} of these {} findings could not have been made",
                args.get("policy").unwrap_or(""),
                b.rules.iter().filter(|r| !r.kinds.is_empty()).count(),
                b.checked,
                b.lost_findings,
                b.findings
            )
            .map_err(w)?;
            for r in &b.rules {
                let kinds: Vec<&str> = r.kinds.iter().map(|k| k.as_str()).collect();
                let who = if kinds.is_empty() {
                    "still fires".to_string()
                } else {
                    format!("blind for {}", kinds.join(", "))
                };
                writeln!(
                    o,
                    "  [{}] {} ({}): {who}",
                    r.severity.as_str().to_uppercase(),
                    r.title,
                    r.id
                )
                .map_err(w)?;
                if !r.why.is_empty() {
                    writeln!(o, "    {}", r.why).map_err(w)?;
                }
                if r.found_events > 0 {
                    writeln!(
                        o,
                        "    of the {} events found here: {} dropped, {} recorded below {}",
                        r.found_events,
                        r.dropped_events,
                        r.stripped_events,
                        pack.rules[r.rule as usize].needs.level.as_str()
                    )
                    .map_err(w)?;
                }
            }
        }
    }
    o.flush().map_err(w)?;
    let fail = fail_on.is_some_and(|t| report.worst().is_some_and(|w| w >= t));
    Ok(if fail {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
