//! `audit-lens actor` (one actor's sessions, objects, failures, impersonation chain) and
//! `audit-lens feed` (the log as sentences, newest first, humans only by default), the
//! very engines the page's Actor and Activity views use (`analysis::actor`, `analysis::feed`).

use crate::{load_logs, Args};
use audit_lens::analysis::actor::{self, Actor, DEFAULT_GAP_US};
use audit_lens::analysis::feed::{Category, Feed, FeedOptions, Rules};
use audit_lens::util::{format_rfc3339_secs, human_duration_micros};
use std::io::Write;
use std::process::ExitCode;

/// `30m`, `90s`, `1h`, `2d`, `1h30m` → µs.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let bad = || format!("not a duration: {text:?} (write e.g. 30m, 90s, 1h, 1h30m)");
    let mut total: i64 = 0;
    let mut num = String::new();
    let mut any = false;
    let mut chars = text.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        while let Some(&d) = chars.peek() {
            if d.is_ascii_alphabetic() {
                unit.push(d);
                chars.next();
            } else {
                break;
            }
        }
        let n: i64 = num.parse().map_err(|_| bad())?;
        let mul: i64 = match unit.as_str() {
            "s" => 1,
            "m" | "min" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(bad()),
        };
        total = n
            .checked_mul(mul * 1_000_000)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        num.clear();
        any = true;
    }
    if !num.is_empty() || !any {
        return Err(bad());
    }
    Ok(total)
}

fn write_json(v: &impl serde::Serialize) -> Result<(), String> {
    let out = std::io::stdout();
    let mut o = out.lock();
    serde_json::to_writer_pretty(&mut o, v).map_err(|e| e.to_string())?;
    writeln!(o).map_err(|e| e.to_string())
}

fn when(us: Option<i64>) -> String {
    us.map_or_else(|| "–".into(), format_rfc3339_secs)
}

/// `actor [--json] [--gap 30m] [--limit N] USER|sa:NS/NAME|IP LOG...`
pub fn run_actor(a: &[String]) -> Result<ExitCode, String> {
    let args = Args::parse(a, &["json", "time"])?;
    let Some((who, logs)) = args.pos.split_first() else {
        return Err("actor needs an actor (USER, sa:NAMESPACE/NAME or IP) and LOG files".into());
    };
    if logs.is_empty() {
        return Err("actor needs at least one LOG file after the actor".into());
    }
    let actor = Actor::parse(who)?;
    let gap = match args.get("gap") {
        Some(g) => parse_duration(g).map_err(|e| format!("--gap: {e}"))?,
        None => DEFAULT_GAP_US,
    };
    let limit = match args.get("limit") {
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| format!("--limit: not a number: {v}"))?,
        None => usize::MAX,
    };
    let store = load_logs(logs)?;
    let t0 = std::time::Instant::now();
    let r = actor::report(&store, &actor, gap, limit);
    if args.flag("time") {
        eprintln!(
            "actor report over {} events: {:.1} ms",
            store.len(),
            t0.elapsed().as_secs_f64() * 1e3
        );
    }
    if args.flag("json") {
        write_json(&r)?;
        return Ok(ExitCode::SUCCESS);
    }
    let out = std::io::stdout();
    let mut o = std::io::BufWriter::new(out.lock());
    let w = |e: std::io::Error| e.to_string();
    writeln!(o, "{} ({})", r.label, r.kind).map_err(w)?;
    if r.requests == 0 {
        writeln!(o, "no requests by {} in the loaded logs", r.actor).map_err(w)?;
        o.flush().map_err(w)?;
        return Ok(ExitCode::from(1));
    }
    writeln!(
        o,
        "{} requests ({} events), {} failed; first seen {}, last seen {}",
        r.requests,
        r.events,
        r.failures,
        when(r.first_us),
        when(r.last_us)
    )
    .map_err(w)?;
    let list = |v: &[actor::Count]| {
        v.iter()
            .map(|c| format!("{} ({})", c.value, c.requests))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !r.impersonated.is_empty() {
        writeln!(o, "impersonated: {}", list(&r.impersonated)).map_err(w)?;
    }
    if !r.impersonated_by.is_empty() {
        writeln!(o, "impersonated by: {}", list(&r.impersonated_by)).map_err(w)?;
    }
    if !r.groups.is_empty() {
        writeln!(o, "groups: {}", list(&r.groups)).map_err(w)?;
    }
    writeln!(o, "source IPs: {}", list(&r.source_ips)).map_err(w)?;
    writeln!(o, "user agents: {}", list(&r.user_agents)).map_err(w)?;
    writeln!(
        o,
        "\n{} session(s) (split at idle gaps over {}):",
        r.sessions.len(),
        human_duration_micros(r.gap_us)
    )
    .map_err(w)?;
    for s in &r.sessions {
        writeln!(
            o,
            "  {} → {} ({})  {} requests, {} failed, {} objects  {}",
            format_rfc3339_secs(s.start_us),
            format_rfc3339_secs(s.end_us),
            human_duration_micros(s.end_us - s.start_us),
            s.requests,
            s.failures,
            s.objects,
            list(&s.verbs)
        )
        .map_err(w)?;
    }
    writeln!(o, "\nobjects touched ({}):", r.objects_total).map_err(w)?;
    for ob in r
        .objects
        .iter()
        .take(if limit == usize::MAX { 30 } else { limit })
    {
        writeln!(
            o,
            "  {:>6}  {}  {}",
            ob.requests,
            ob.object,
            list(&ob.verbs)
        )
        .map_err(w)?;
    }
    if !r.failure_groups.is_empty() {
        writeln!(o, "\nfailures:").map_err(w)?;
        for f in &r.failure_groups {
            let reason = if f.reason.is_empty() {
                "(no reason)"
            } else {
                &f.reason
            };
            writeln!(
                o,
                "  {:>6}  {} {}  e.g. {}",
                f.requests, f.code, reason, f.example
            )
            .map_err(w)?;
        }
    }
    o.flush().map_err(w)?;
    Ok(ExitCode::SUCCESS)
}

/// `feed [--all] [--show-reads|--hide-reads] [--no-fold] [--limit N] [--offset N] [--json] LOG...`
pub fn run_feed(a: &[String]) -> Result<ExitCode, String> {
    let args = Args::parse(a, &["json", "all", "hide-reads", "no-fold", "time"])?;
    if args.pos.is_empty() {
        return Err("feed needs at least one LOG file".into());
    }
    let num = |k: &str, d: usize| -> Result<usize, String> {
        args.get(k).map_or(Ok(d), |v| {
            v.parse::<usize>()
                .map_err(|_| format!("--{k}: not a number: {v}"))
        })
    };
    let (limit, offset) = (num("limit", 50)?, num("offset", 0)?);
    let mut rules = if args.flag("all") {
        Rules::all()
    } else {
        Rules::default()
    };
    rules.hide_reads = args.flag("hide-reads");
    let mut options = FeedOptions {
        rules,
        ..FeedOptions::default()
    };
    if args.flag("no-fold") {
        options.burst_min = 0;
    }
    if let Some(g) = args.get("burst-gap") {
        options.burst_gap_us = parse_duration(g).map_err(|e| format!("--burst-gap: {e}"))?;
    }
    let store = load_logs(&args.pos)?;
    let t0 = std::time::Instant::now();
    let feed = Feed::build(&store, options);
    let t1 = std::time::Instant::now();
    let lines = feed.page(&store, offset, limit);
    if args.flag("time") {
        eprintln!(
            "feed over {} events: built in {:.1} ms, page of {} lines in {:.2} ms",
            store.len(),
            (t1 - t0).as_secs_f64() * 1e3,
            lines.len(),
            t1.elapsed().as_secs_f64() * 1e3
        );
    }
    if args.flag("json") {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            counts: &'a audit_lens::analysis::feed::FeedCounts,
            categories: Vec<&'static str>,
            rules: Rules,
            offset: usize,
            lines: Vec<audit_lens::analysis::feed::FeedLine>,
        }
        write_json(&Out {
            counts: &feed.counts,
            categories: Category::ALL.iter().map(|c| c.label()).collect(),
            rules,
            offset,
            lines,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    let out = std::io::stdout();
    let mut o = std::io::BufWriter::new(out.lock());
    let w = |e: std::io::Error| e.to_string();
    for l in &lines {
        writeln!(o, "{}  {}", format_rfc3339_secs(l.time_us), l.text).map_err(w)?;
    }
    let c = &feed.counts;
    let hidden: Vec<String> = Category::ALL
        .iter()
        .filter(|k| rules.hides(**k) && c.by_category[**k as usize] > 0)
        .map(|k| format!("{} {}", c.by_category[*k as usize], k.label()))
        .collect();
    eprintln!(
        "{} of {} lines ({} requests shown of {}{})",
        lines.len(),
        c.lines,
        c.shown,
        c.requests,
        if hidden.is_empty() {
            String::new()
        } else {
            format!("; hidden: {} — --all shows them", hidden.join(", "))
        }
    );
    o.flush().map_err(w)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30m").unwrap(), 1_800_000_000);
        assert_eq!(parse_duration("1h30m").unwrap(), 5_400_000_000);
        assert_eq!(parse_duration("90s").unwrap(), 90_000_000);
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("x").is_err());
        assert!(parse_duration("").is_err());
    }
}
