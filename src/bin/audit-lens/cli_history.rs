//! `audit-lens history [--json] [-n NS] RESOURCE[.GROUP]/NAME LOG...`: one object's
//! requests, versions and field changes, with the engine the page's History view uses.

use crate::{load_logs, Args};
use audit_lens::analysis::history::{self, History, ObjectRef};
use audit_lens::ingest::record::EventExtractor;
use audit_lens::util::{format_rfc3339_micros, human_duration_micros};
use std::io::Write;
use std::process::ExitCode;

pub fn run(a: &[String]) -> Result<ExitCode, String> {
    // kubectl's `-n NS` / `--namespace NS` / `--namespace=NS`.
    let mut v: Vec<String> = Vec::with_capacity(a.len());
    let mut it = a.iter();
    while let Some(s) = it.next() {
        if s == "-n" {
            v.push("--namespace".into());
            v.push(it.next().ok_or("-n needs a namespace")?.clone());
        } else {
            v.push(s.clone());
        }
    }
    let args = Args::parse(&v, &["json"])?;
    let Some((spec, logs)) = args.pos.split_first() else {
        return Err("history needs RESOURCE[.GROUP]/NAME and at least one LOG file".into());
    };
    if logs.is_empty() {
        return Err("history needs at least one LOG file after the object".into());
    }
    let obj = ObjectRef::parse(spec, args.get("namespace"))?;
    let store = load_logs(logs)?;
    let rows = history::rows(&store, &obj);
    let objects = history::objects(&store, &rows);
    if objects.len() > 1 {
        let names: Vec<String> = objects.iter().map(ObjectRef::display).collect();
        return Err(format!(
            "{spec} names {} objects in these logs; say which (with -n NS or RESOURCE.GROUP):\n  {}",
            objects.len(),
            names.join("\n  ")
        ));
    }
    // The object as the log names it (group and namespace filled in).
    let obj = objects.into_iter().next().unwrap_or(obj);
    let files: Vec<Vec<u8>> = logs
        .iter()
        .map(|p| crate::cli_query::decoded(p))
        .collect::<Result<_, _>>()?;
    let mut events = EventExtractor::default();
    let mut failed = 0usize;
    let texts: Vec<Option<String>> = rows
        .iter()
        .map(|&r| {
            if !history::wants_text(&store, r) {
                return None;
            }
            let r = r as usize;
            let f = store.file(r) as usize;
            let (off, len) = store.record_range(r);
            let b = &files[f];
            let end = (off + len as u64).min(b.len() as u64) as usize;
            let rec = &b[(off as usize).min(end)..end];
            let t = events
                .event((f as u32, off), rec, store.wrap_item(r))
                .ok()
                .map(|e| e.text.clone());
            failed += t.is_none() as usize;
            t
        })
        .collect();
    let mut h = history::build(&store, &obj, &rows, &texts);
    if failed > 0 {
        h.notes.push(format!(
            "{failed} of its events could not be read back from their file."
        ));
    }
    let out = std::io::stdout();
    let mut o = std::io::BufWriter::new(out.lock());
    let w = |e: std::io::Error| e.to_string();
    if args.flag("json") {
        serde_json::to_writer(&mut o, &history::to_json(&h)).map_err(|e| e.to_string())?;
        writeln!(o).map_err(w)?;
    } else {
        human(&mut o, &h).map_err(w)?;
    }
    o.flush().map_err(w)?;
    Ok(ExitCode::SUCCESS)
}

fn human(o: &mut impl Write, h: &History) -> std::io::Result<()> {
    writeln!(
        o,
        "{}{} — {} requests, {} versions, {} field changes",
        h.object.display(),
        if h.kind.is_empty() {
            String::new()
        } else {
            format!(" ({})", h.kind)
        },
        h.requests.len(),
        h.versions.len(),
        h.changes.len()
    )?;
    if h.requests.is_empty() {
        writeln!(o, "no event of this object in the log")?;
    }
    for (i, q) in h.requests.iter().enumerate() {
        let verb = if q.subresource.is_empty() {
            q.verb.clone()
        } else {
            format!("{} {}", q.verb, q.subresource)
        };
        let user = if q.impersonated_user.is_empty() {
            q.user.clone()
        } else {
            format!("{} → {}", q.user, q.impersonated_user)
        };
        let lat = q.latency_us.map_or(String::new(), |l| {
            format!("  {}", human_duration_micros(l as i64))
        });
        writeln!(
            o,
            "\n{}  {verb}  {}  {user}{lat}  [{}]  {}",
            format_rfc3339_micros(q.time_us),
            if q.code == 0 {
                "-".to_string()
            } else {
                q.code.to_string()
            },
            q.stages.join(", "),
            q.audit_id
        )?;
        if let Some(p) = &q.patch {
            writeln!(o, "  patch as sent:")?;
            for l in p.lines() {
                writeln!(o, "    {l}")?;
            }
        }
        if let Some(v) = q.version.and_then(|v| h.versions.get(v as usize)) {
            writeln!(
                o,
                "  version {} ({})",
                if v.resource_version.is_empty() {
                    "?"
                } else {
                    &v.resource_version
                },
                v.source
            )?;
        }
        for c in h.changes.iter().filter(|c| c.request as usize == i) {
            let who = c
                .managers
                .iter()
                .map(|(m, op)| format!("{m} ({op})"))
                .collect::<Vec<_>>()
                .join(", ");
            let who = if who.is_empty() {
                String::new()
            } else {
                format!("   by {who}")
            };
            match (&c.from, &c.to) {
                (None, Some(t)) => writeln!(o, "  + {}: {t}{who}", c.path)?,
                (Some(f), None) => writeln!(o, "  - {}: {f}{who}", c.path)?,
                (f, t) => writeln!(
                    o,
                    "  ~ {}: {} → {}{who}",
                    c.path,
                    f.as_deref().unwrap_or(""),
                    t.as_deref().unwrap_or("")
                )?,
            }
        }
        if let Some(n) = &q.note {
            writeln!(o, "  note: {n}")?;
        }
        if q.verb == "delete" && q.subresource.is_empty() && (200..300).contains(&q.code) {
            writeln!(o, "  deleted")?;
        }
    }
    if let Some(m) = &h.last_manifest {
        writeln!(o, "\nlast known manifest before the delete:")?;
        for l in m.lines() {
            writeln!(o, "  {l}")?;
        }
    }
    for n in &h.notes {
        writeln!(o, "\nnote: {n}")?;
    }
    Ok(())
}
