//! Policy subcommands of the CLI: validate, lint, eval, coverage, whatif. The same engine
//! functions the page calls; this file only reads files and prints.

use crate::{load_logs, Args};
use audit_lens::analysis::coverage::coverage;
use audit_lens::analysis::evaluate::{evaluate, AttrIndex};
use audit_lens::analysis::money::{
    self, format_money, format_rate, Pricing, DAYS_PER_MONTH, DEFAULT_RETENTION_DAYS, PRICE_IDS,
};
use audit_lens::analysis::policy_ab::compare_volumes;
use audit_lens::analysis::volume::{retention, what_if, RotationFlags, Volume};
use audit_lens::audit::compare::align_rules;
use audit_lens::audit::lint::{lint, security_checklist, Outcome};
use audit_lens::audit::policy::{
    load_policy_bytes, KubeVersion, LoadOptions, LoadedPolicy, Severity,
};
use audit_lens::ingest::record::ingest_record;
use audit_lens::ingest::{record::RecordPos, strip_host_prefix};
use audit_lens::store::Store;
use audit_lens::util::{human_bytes, human_count};
use std::io::{BufRead, Write};
use std::process::ExitCode;

const SWITCHES: &[&str] = &["json", "accept-old-versions"];

pub fn run(cmd: &str, a: &[String]) -> Result<ExitCode, String> {
    let args = Args::parse(a, SWITCHES)?;
    match cmd {
        "validate" => validate(&args, false),
        "lint" => validate(&args, true),
        "eval" => eval(&args),
        "coverage" => cmd_coverage(&args),
        "whatif" => cmd_whatif(&args),
        "clo-filter" => clo_filter(&args),
        _ => Err(format!("unknown command {cmd}")),
    }
}

fn options(args: &Args) -> Result<LoadOptions, String> {
    let mut o = LoadOptions::default();
    if let Some(v) = args.get("kube-version") {
        o.kube_version = KubeVersion::parse(v)
            .ok_or_else(|| format!("--kube-version: cannot read '{v}' (try 1.37)"))?;
    }
    o.accept_old_versions = args.flag("accept-old-versions");
    o.configmap_key = args.get("configmap-key").map(str::to_string);
    Ok(o)
}

/// Loads a policy file; on refusal prints every diagnostic to stderr and returns `None`.
fn load(path: &str, args: &Args) -> Result<Option<LoadedPolicy>, String> {
    // The bytes decide JSON or YAML and the encoding, as in kube-apiserver (UTF-16 with
    // a BOM is read; an invalid UTF-8 byte refuses the file).
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    match load_policy_bytes(path, &bytes, &options(args)?) {
        Ok(p) => Ok(Some(p)),
        Err(e) => {
            eprintln!("{e}");
            eprintln!("{path}: refused: kube-apiserver would not start with this policy");
            Ok(None)
        }
    }
}

fn policy_arg<'a>(args: &'a Args, name: &str) -> Result<&'a str, String> {
    args.get(name)
        .ok_or_else(|| format!("--{name} POLICY is required"))
}

fn validate(args: &Args, with_lint: bool) -> Result<ExitCode, String> {
    let [path] = args.pos.as_slice() else {
        return Err("give exactly one POLICY file".into());
    };
    let Some(p) = load(path, args)? else {
        return Ok(ExitCode::from(1));
    };
    let mut findings = p.warnings.clone();
    if with_lint {
        findings.extend(lint(&p));
    }
    findings.sort_by_key(|d| (d.line, d.column));
    findings.dedup();
    for d in &findings {
        eprintln!("{}", d.display_in(path));
    }
    let cm = p
        .configmap_key
        .as_ref()
        .map(|k| format!(" (ConfigMap key {k} of {})", p.configmap_keys.join(", ")))
        .unwrap_or_default();
    println!(
        "{path}: valid {} policy with {} rules{cm}",
        p.api_version,
        p.rule_count()
    );
    if with_lint {
        println!("\nsecurity checklist:");
        for c in security_checklist(&p) {
            let mark = if c.outcome == Outcome::Pass {
                "ok  "
            } else {
                "WARN"
            };
            println!("  [{mark}] {c}");
            match &c.verdict {
                Some(v) => {
                    let marks: Vec<String> = v
                        .kinds
                        .iter()
                        .map(|k| {
                            format!(
                                "{} {}{}",
                                k.kind.as_str(),
                                if k.ok { "ok" } else { "FAIL" },
                                if k.complete { "" } else { " (partial)" }
                            )
                        })
                        .collect();
                    println!("         {}", marks.join(" · "));
                    for k in v.kinds.iter().filter(|k| !k.ok) {
                        if let Some(f) = k.failures.first() {
                            println!("         {}: {}", k.kind.as_str(), f.why);
                        }
                        if k.failed > 1 {
                            let mut by = match k.rules.len() {
                                0 => String::new(),
                                1 => format!("rule {}", k.rules[0]),
                                _ => format!(
                                    "rules {}",
                                    audit_lens::audit::lint::rule_list(&k.rules)
                                ),
                            };
                            if k.no_rule {
                                by = if by.is_empty() {
                                    "no rule".into()
                                } else {
                                    format!("{by} and no rule")
                                };
                            }
                            println!(
                                "           ({} failing requests of {} checked; decided by {by})",
                                k.failed, k.checked
                            );
                        }
                    }
                }
                None if c.outcome != Outcome::Pass && !c.detail.is_empty() => {
                    println!("         {}", c.detail);
                }
                None => {}
            }
        }
        let w = findings
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count();
        println!("\n{w} warning(s)");
    }
    Ok(ExitCode::SUCCESS)
}

fn eval(args: &Args) -> Result<ExitCode, String> {
    let Some(p) = load(policy_arg(args, "policy")?, args)? else {
        return Ok(ExitCode::from(1));
    };
    let input: Box<dyn BufRead> = match args.pos.as_slice() {
        [] => Box::new(std::io::stdin().lock()),
        [f] if f == "-" => Box::new(std::io::stdin().lock()),
        [f] => Box::new(std::io::BufReader::with_capacity(
            1 << 20,
            std::fs::File::open(f).map_err(|e| format!("{f}: {e}"))?,
        )),
        _ => return Err("eval reads one LOG (or stdin)".into()),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut store = Store::new();
    let file = store.add_file("eval", 0);
    let mut buf = Vec::new();
    let mut input = input;
    let mut line_no = 0u64;
    loop {
        buf.clear();
        let n = input
            .read_until(b'\n', &mut buf)
            .map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let raw = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let t = raw.trim_ascii();
        if t.is_empty() {
            continue;
        }
        store.clear_rows();
        let obj = match std::str::from_utf8(strip_host_prefix(t)) {
            Ok(text) => {
                ingest_record(
                    &mut store,
                    text,
                    RecordPos {
                        file,
                        line: line_no,
                        offset: 0,
                        len: text.len() as u32,
                    },
                );
                if store.is_empty() {
                    let why = store
                        .rejections
                        .first()
                        .map_or("not an audit event".to_string(), |r| r.reason.clone());
                    serde_json::json!({"line": line_no, "error": why})
                } else {
                    let d = store.with_attrs(0, |a| p.compiled.evaluate(a));
                    serde_json::json!({
                        "line": line_no,
                        "level": d.level.as_str(),
                        "rule": d.rule,
                        "omitStages": d.omit_stages.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                        "omitManagedFields": d.omit_managed_fields,
                    })
                }
            }
            Err(e) => {
                serde_json::json!({"line": line_no, "error": format!("invalid UTF-8 at byte {}", e.valid_up_to())})
            }
        };
        serde_json::to_writer(&mut out, &obj).map_err(|e| e.to_string())?;
        out.write_all(b"\n").map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

fn pct(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 * 100.0 / b as f64
    }
}

fn cmd_coverage(args: &Args) -> Result<ExitCode, String> {
    let path = policy_arg(args, "policy")?;
    let Some(p) = load(path, args)? else {
        return Ok(ExitCode::from(1));
    };
    let store = load_logs(&args.pos)?;
    let idx = AttrIndex::build(&store);
    let ev = evaluate(&store, &idx, &p.compiled);
    let cov = coverage(&store, &p.compiled, &ev);
    let mut o = std::io::stdout().lock();
    if args.flag("json") {
        serde_json::to_writer_pretty(&mut o, &cov).map_err(|e| e.to_string())?;
        writeln!(o).ok();
        return Ok(ExitCode::SUCCESS);
    }
    let w = |o: &mut std::io::StdoutLock, s: String| writeln!(o, "{s}").map_err(|e| e.to_string());
    w(
        &mut o,
        format!(
            "{}: {} rules over {} events ({}), {} distinct requests evaluated",
            path,
            p.rule_count(),
            human_count(cov.events),
            human_bytes(cov.bytes),
            cov.distinct_keys
        ),
    )?;
    w(
        &mut o,
        format!(
            "{:>4} {:<16} {:>9} {:>6} {:>9} {:>9} {:>9}  {:<5} note",
            "rule", "level", "events", "share", "bytes", "kept", "shadowed", "line"
        ),
    )?;
    for rc in &cov.rules {
        let line = p.rule_spans.get(rc.rule).map_or(0, |s| s.start_line);
        let mut note = Vec::new();
        if let Some(j) = rc.unreachable_after {
            note.push(format!("unreachable: rule {j} matches everything it does"));
        } else if rc.dead {
            note.push("dead: matches nothing in this log".to_string());
        } else if rc.events == 0 {
            note.push("shadowed: earlier rules take all its events".to_string());
        }
        if let Some((j, n)) = rc.shadowed_by.first() {
            note.push(format!("{n} taken by rule {j}"));
        }
        w(
            &mut o,
            format!(
                "{:>4} {:<16} {:>9} {:>5.1}% {:>9} {:>9} {:>9}  {:<5} {}",
                rc.rule,
                rc.level.as_str(),
                rc.events,
                pct(rc.events, cov.events),
                human_bytes(rc.bytes),
                human_bytes(rc.kept_bytes),
                rc.shadowed_events,
                line,
                note.join("; ")
            ),
        )?;
    }
    if cov.unmatched_events > 0 {
        w(
            &mut o,
            format!(
                "   - {:<16} {:>9} {:>5.1}% {:>9}  no rule matches",
                "None",
                cov.unmatched_events,
                pct(cov.unmatched_events, cov.events),
                human_bytes(cov.unmatched_bytes)
            ),
        )?;
    }
    w(&mut o, String::new())?;
    w(&mut o, "events per level under this policy:".into())?;
    for l in audit_lens::audit::Level::ALL {
        w(
            &mut o,
            format!(
                "  {:<16} {:>9} {:>5.1}%",
                l.as_str(),
                cov.by_level[l as usize],
                pct(cov.by_level[l as usize], cov.events)
            ),
        )?;
    }
    w(&mut o, String::new())?;
    w(
        &mut o,
        format!(
            "recorded level × policy level ({} events disagree, {} in stages the policy omits):",
            cov.disagreeing_events, cov.omitted_stage_events
        ),
    )?;
    w(
        &mut o,
        format!(
            "  {:<16} {:>10} {:>10} {:>10} {:>16}",
            "recorded \\ policy", "None", "Metadata", "Request", "RequestResponse"
        ),
    )?;
    let names = audit_lens::analysis::coverage::MATRIX_ROWS;
    for (i, row) in cov.matrix.iter().enumerate() {
        if row.iter().sum::<u64>() == 0 {
            continue;
        }
        w(
            &mut o,
            format!(
                "  {:<16} {:>10} {:>10} {:>10} {:>16}",
                names[i], row[0], row[1], row[2], row[3]
            ),
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn flags(args: &Args) -> Result<RotationFlags, String> {
    let num = |k: &str| -> Result<u64, String> {
        args.get(k).map_or(Ok(0), |v| {
            v.parse().map_err(|_| format!("--{k}: not a number: {v}"))
        })
    };
    Ok(RotationFlags {
        max_size_mb: num("audit-log-maxsize")?,
        max_backup: num("audit-log-maxbackup")?,
        max_age_days: num("audit-log-maxage")?,
    })
}

/// `--price ID [--retention-days N]`: the destination whose list price the money lines
/// use (none: no money lines).
pub fn pricing_arg(args: &Args) -> Result<Option<Pricing>, String> {
    let days = match args.get("retention-days") {
        None => None,
        Some(v) => match v.trim().parse::<f64>() {
            Ok(d) if d.is_finite() && d >= 0.0 => Some(d),
            _ => return Err(format!("--retention-days: not a number of days: {v}")),
        },
    };
    let Some(id) = args.get("price") else {
        if days.is_some() {
            return Err("--retention-days needs --price ID".into());
        }
        return Ok(None);
    };
    let price = money::price(id).ok_or_else(|| {
        format!(
            "--price: unknown destination '{id}'; known: {}",
            PRICE_IDS.join(", ")
        )
    })?;
    Ok(Some(Pricing {
        price,
        retention_days: days.unwrap_or(DEFAULT_RETENTION_DAYS),
    }))
}

fn cmd_whatif(args: &Args) -> Result<ExitCode, String> {
    // A bad --price is refused before any file is read.
    let pricing = pricing_arg(args)?;
    let Some(newp) = load(policy_arg(args, "policy")?, args)? else {
        return Ok(ExitCode::from(1));
    };
    let oldp = match args.get("baseline") {
        Some(b) => match load(b, args)? {
            Some(p) => Some(p),
            None => return Ok(ExitCode::from(1)),
        },
        None => None,
    };
    let store = load_logs(&args.pos)?;
    let idx = AttrIndex::build(&store);
    let ev_new = evaluate(&store, &idx, &newp.compiled);
    let ev_old = oldp.as_ref().map(|p| evaluate(&store, &idx, &p.compiled));
    let base = match (&oldp, &ev_old) {
        (Some(p), Some(e)) => Some((&p.compiled, e, p.source_name.as_str())),
        _ => None,
    };
    let wi = what_if(
        &store,
        (&newp.compiled, &ev_new, newp.source_name.as_str()),
        base,
    );
    // Rule by rule against the baseline, also when the rule counts differ.
    let ab = match (&oldp, &ev_old) {
        (Some(p), Some(e)) => Some(compare_volumes(
            &store,
            e,
            &ev_new,
            &align_rules(&p.policy, &newp.policy),
        )),
        _ => None,
    };
    let fl = flags(args)?;
    let rb = retention(wi.baseline.bytes_per_hour, fl);
    let rc = retention(wi.candidate.bytes_per_hour, fl);
    let money = pricing.as_ref().map(|p| {
        let (b, c) = (
            p.monthly(wi.baseline.bytes_per_day),
            p.monthly(wi.candidate.bytes_per_day),
        );
        (p, b, c)
    });
    let mut o = std::io::stdout().lock();
    if args.flag("json") {
        let mut v = serde_json::json!({"whatIf": wi, "rotation": fl, "retention": {"baseline": rb, "candidate": rc}, "compare": ab});
        if let Some((p, b, c)) = &money {
            v["money"] = serde_json::json!({
                "price": p.price, "retentionDays": p.retention_days, "daysPerMonth": DAYS_PER_MONTH,
                "baseline": b, "candidate": c, "saving": b.total - c.total,
            });
        }
        serde_json::to_writer_pretty(&mut o, &v).map_err(|e| e.to_string())?;
        writeln!(o).ok();
        return Ok(ExitCode::SUCCESS);
    }
    let line = |v: &Volume| {
        format!(
            "{:<40} {:>9} events {:>10} {:>10}/hour {:>10}/day",
            v.label,
            human_count(v.events),
            human_bytes(v.bytes),
            human_bytes(v.bytes_per_hour as u64),
            human_bytes(v.bytes_per_day as u64)
        )
    };
    let mut text = vec![line(&wi.baseline), line(&wi.candidate)];
    let saved = wi.baseline.bytes as i64 - wi.candidate.bytes as i64;
    text.push(format!(
        "change: {} ({:+.1}%), {:+} events",
        if saved >= 0 {
            format!("-{}", human_bytes(saved as u64))
        } else {
            format!("+{}", human_bytes((-saved) as u64))
        },
        -pct(saved.unsigned_abs(), wi.baseline.bytes) * saved.signum() as f64,
        wi.candidate.events as i64 - wi.baseline.events as i64
    ));
    text.push(String::new());
    text.push(format!("per rule of {}:", newp.source_name));
    for (i, (e, b)) in wi.candidate.per_rule.iter().enumerate() {
        text.push(format!(
            "  rule {i:>3} {:<16} {:>9} events {:>10}",
            newp.compiled.rule_level(i).as_str(),
            e,
            human_bytes(*b)
        ));
    }
    if let (Some(old), Some(ab)) = (&oldp, &ab) {
        text.push(String::new());
        text.extend(crate::cli_compare::whatif_lines(old, &newp, ab));
    }
    text.push(String::new());
    text.push("largest changes by user:".into());
    for a in &wi.actors {
        text.push(format!(
            "  {:>10} -> {:>10}  {}",
            human_bytes(a.baseline_bytes),
            human_bytes(a.candidate_bytes),
            a.user
        ));
    }
    text.push(String::new());
    let hours = |r: &audit_lens::analysis::volume::Retention| {
        match (r.min_hours, r.max_hours) {
        (Some(a), Some(b)) => format!("{a:.1}–{b:.1} hours of history (limited by {})", r.limited_by),
        _ => "unbounded history: nothing rotates files away (set --audit-log-maxbackup or --audit-log-maxage)".into(),
    }
    };
    text.push(format!(
        "retention with maxsize={} maxbackup={} maxage={}:",
        fl.max_size_mb, fl.max_backup, fl.max_age_days
    ));
    text.push(format!("  baseline:  {}", hours(&rb)));
    text.push(format!("  candidate: {}", hours(&rc)));
    text.push(String::new());
    if let Some((p, b, c)) = &money {
        let cur = p.price.currency.as_str();
        let m = |x: f64| format_money(x, cur);
        text.push(format!(
            "money per month at {} ({}; {} days kept; list price looked up {}):",
            p.price.name, p.price.id, p.retention_days, p.price.looked_up
        ));
        text.push(format!(
            "  price: {} per GiB ingested ({} GiB a month free), {} per GiB-month stored beyond {} days",
            format_rate(p.price.ingest_per_gib, cur),
            p.price.free_ingest_gib_month,
            format_rate(p.price.storage_per_gib_month, cur),
            p.price.included_retention_days
        ));
        for (label, x) in [("baseline: ", b), ("candidate:", c)] {
            text.push(format!(
                "  {label} {:>12}  (ingest {}, storage {}; {:.2} GiB a month)",
                m(x.total),
                m(x.ingest),
                m(x.storage),
                x.gib_month
            ));
        }
        text.push(format!("  saving:    {:>12} a month", m(b.total - c.total)));
        text.push(format!("  source: {}", p.price.source));
        text.push(format!("  note: {}", p.price.note));
        text.push(String::new());
    }
    for c in &wi.caveats {
        text.push(format!("note: {c}"));
    }
    for t in text {
        writeln!(o, "{t}").map_err(|e| e.to_string())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Applies an OpenShift ClusterLogForwarder `kubeAPIAudit` filter (its own semantics,
/// see src/audit/clo.rs) and prints the forwarded events as JSON lines.
fn clo_filter(args: &Args) -> Result<ExitCode, String> {
    let path = policy_arg(args, "policy")?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let f = match audit_lens::audit::clo::load_clo_filter(path, &text) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(1));
        }
    };
    let input: Box<dyn BufRead> = match args.pos.as_slice() {
        [] => Box::new(std::io::stdin().lock()),
        [f] => Box::new(std::io::BufReader::new(
            std::fs::File::open(f).map_err(|e| format!("{f}: {e}"))?,
        )),
        _ => return Err("clo-filter reads one LOG (or stdin)".into()),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in input.lines() {
        let line = line.map_err(|e| e.to_string())?;
        if line.trim().is_empty() {
            continue;
        }
        if let Some(v) = f.apply(&line) {
            serde_json::to_writer(&mut out, &v).map_err(|e| e.to_string())?;
            out.write_all(b"\n").map_err(|e| e.to_string())?;
        }
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}
