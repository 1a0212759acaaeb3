//! `audit-lens advise`: the volume advisor over logs — where the policy's bytes go, the rule
//! changes that would cut them (bytes a day, money a month, what each costs the findings
//! pack), the guard-rails, and a plan for a target cut written out as a policy file that
//! our loader (kube-apiserver's reader) accepts. The same engine as the page
//! (`audit_lens::advise`).

use crate::cli_findings::run_pack;
use crate::{load_logs, Args};
use audit_lens::advise::{advise, guard, seen_identities, Advice, Ask, Sized, Suggestion};
use audit_lens::analysis::evaluate::{uses_resource_names, AttrIndex};
use audit_lens::analysis::money::{format_money, Pricing};
use audit_lens::audit::policy::{
    load_policy, load_policy_bytes, read_policy_bytes, KubeVersion, LoadOptions, LoadedPolicy,
};
use audit_lens::detect::Pack;
use audit_lens::util::{human_bytes, human_count};
use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "advise --policy P [--target 70] [--guard FILE] [--reference R] [--price ID [--retention-days N]] [--no-findings] [--json] [-o NEW.yaml] LOG...";

fn options(args: &Args) -> Result<LoadOptions, String> {
    let mut o = LoadOptions::default();
    if let Some(v) = args.get("kube-version") {
        o.kube_version = KubeVersion::parse(v)
            .ok_or_else(|| format!("--kube-version: cannot read '{v}' (try 1.37)"))?;
    }
    o.accept_old_versions = args.flag("accept-old-versions");
    Ok(o)
}

/// The text kube-apiserver reads from a policy file, and the policy.
fn read_policy(path: &str, opts: &LoadOptions) -> Result<(String, LoadedPolicy), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let text = read_policy_bytes(path, &bytes)
        .map_err(|e| format!("{e}\n{path}: refused"))?
        .editable();
    let p = load_policy(path, &text, opts).map_err(|e| {
        format!("{e}\n{path}: refused: kube-apiserver would not start with this policy")
    })?;
    Ok((text, p))
}

/// `advise`. Exit codes: 0 done (the target reached when one was given), 1 the target
/// not reached within the guard-rails (the plan is still printed and written), 2 errors.
pub fn run_advise(a: &[String]) -> Result<ExitCode, String> {
    let args = Args::parse(a, &["json", "no-findings", "accept-old-versions"])?;
    let path = args
        .get("policy")
        .ok_or_else(|| format!("--policy POLICY is required\nusage: audit-lens {USAGE}"))?;
    if args.pos.is_empty() {
        return Err(format!(
            "advise needs at least one LOG file\nusage: audit-lens {USAGE}"
        ));
    }
    let target = match args.get("target") {
        None => 70.0,
        Some(v) => match v
            .trim()
            .trim_start_matches(['-', '−'])
            .trim_end_matches('%')
            .parse::<f64>()
        {
            Ok(t) if (0.0..100.0).contains(&t) => t,
            _ => {
                return Err(format!(
                    "--target: a cut in percent below 100, e.g. 70 (got {v})"
                ))
            }
        },
    };
    let pricing = crate::cli_policy::pricing_arg(&args)?;
    let opts = options(&args)?;
    let guards = match args.get("guard") {
        None => guard::defaults(),
        Some(g) => {
            let text = std::fs::read_to_string(g).map_err(|e| format!("{g}: {e}"))?;
            guard::load(g, &text)?
        }
    };
    let (text, policy) = read_policy(path, &opts)?;
    let reference = match args.get("reference") {
        None => None,
        Some(r) => Some(read_policy(r, &opts)?.1),
    };
    let store = load_logs(&args.pos)?;
    let pack = (!args.flag("no-findings")).then(Pack::builtin);
    let findings = match &pack {
        Some(p) => run_pack(&store, &args.pos, p)?.1.findings,
        None => Vec::new(),
    };
    let idx = AttrIndex::build(&store);
    let names = uses_resource_names(&policy.compiled)
        || reference
            .as_ref()
            .is_some_and(|r| uses_resource_names(&r.compiled));
    let z = Sized::build(&store, &idx, names);
    let seen = seen_identities(&store);
    let ask = Ask {
        text: &text,
        policy: &policy,
        opts: opts.clone(),
        reference: reference.as_ref(),
        guards: &guards,
        target_pct: Some(target),
        pack: pack.as_ref(),
        findings: &findings,
        seen: &seen,
    };
    let advice = advise(&store, &z, &ask);
    // The written policy must load as kube-apiserver reads it.
    let plan_text = advice
        .plan
        .as_ref()
        .map(|p| p.text.clone())
        .unwrap_or(text.clone());
    let check = load_policy_bytes(path, plan_text.as_bytes(), &opts);
    if let Err(e) = &check {
        return Err(format!(
            "internal error: the plan's policy does not load:\n{e}"
        ));
    }
    if let Some(o) = args.get("output") {
        std::fs::write(o, &plan_text).map_err(|e| format!("{o}: {e}"))?;
    }
    let reached = advice.plan.as_ref().is_none_or(|p| p.reached);
    let mut o = std::io::BufWriter::new(std::io::stdout().lock());
    let w = |e: std::io::Error| e.to_string();
    if args.flag("json") {
        let mut v = serde_json::to_value(&advice).map_err(|e| e.to_string())?;
        if let Some(p) = &pricing {
            let cur = advice.current.bytes_per_day;
            let money = |s: &Suggestion| p.saving(cur, cur - s.saved_per_day);
            v["money"] = serde_json::json!({
                "price": p.price,
                "retentionDays": p.retention_days,
                "current": p.monthly(cur),
                "suggestions": advice.suggestions.iter().map(|s| serde_json::json!({"id": s.id, "savingPerMonth": money(s)})).collect::<Vec<_>>(),
                "plan": advice.plan.as_ref().map(|pl| serde_json::json!({
                    "after": p.monthly(pl.after.bytes_per_day),
                    "savingPerMonth": p.saving(pl.before.bytes_per_day, pl.after.bytes_per_day),
                })),
            });
        }
        if let Some(out) = args.get("output") {
            v["written"] = serde_json::json!(out);
        }
        serde_json::to_writer_pretty(&mut o, &v).map_err(|e| e.to_string())?;
        writeln!(o).map_err(w)?;
    } else {
        print_text(&mut o, &advice, &policy, &pricing, args.get("output")).map_err(w)?;
    }
    o.flush().map_err(w)?;
    Ok(if reached {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn per_day(b: f64) -> String {
    format!("{}/day", human_bytes(b.max(0.0) as u64))
}

fn print_text(
    o: &mut impl Write,
    a: &Advice,
    p: &LoadedPolicy,
    pricing: &Option<Pricing>,
    written: Option<&str>,
) -> std::io::Result<()> {
    let c = &a.current;
    let money = |saved_per_day: f64| -> String {
        match pricing {
            Some(pr) => format!(
                ", {}/month",
                format_money(
                    pr.saving(c.bytes_per_day, c.bytes_per_day - saved_per_day),
                    &pr.price.currency
                )
            ),
            None => String::new(),
        }
    };
    writeln!(
        o,
        "{}: {} rules; over {:.1} h of log it writes {} events, {} ({})",
        p.source_name,
        p.rule_count(),
        a.span_hours,
        human_count(c.events),
        human_bytes(c.bytes),
        per_day(c.bytes_per_day)
    )?;
    if let Some(pr) = pricing {
        writeln!(
            o,
            "cost at {} list price: {} a month ({} days kept)",
            pr.price.name,
            format_money(pr.monthly(c.bytes_per_day).total, &pr.price.currency),
            pr.retention_days
        )?;
    }
    let pct = |x: u64, t: u64| {
        if t == 0 {
            0.0
        } else {
            x as f64 * 100.0 / t as f64
        }
    };
    writeln!(
        o,
        "bodies: {} ({:.1}% of it); managedFields: {} ({:.1}% of the bodies, what omitManagedFields would save)",
        human_bytes(c.body_bytes),
        pct(c.body_bytes, c.bytes),
        human_bytes(c.managed_fields_bytes),
        pct(c.managed_fields_bytes, c.body_bytes)
    )?;
    writeln!(o, "\nwhere the bytes go ({} groups; top 15):", a.rank_total)?;
    writeln!(
        o,
        "  {:>12} {:>9} {:<15} {:>4}  who · agent · verb · resource",
        "bytes/day", "events/h", "level", "rule"
    )?;
    for r in a.ranking.iter().take(15) {
        writeln!(
            o,
            "  {:>12} {:>9} {:<15} {:>4}  {}{} · {} · {} · {}",
            human_bytes(r.bytes_per_day as u64),
            human_count(r.events_per_hour.round() as u64),
            r.level.as_str(),
            r.rule.map_or("-".into(), |x| x.to_string()),
            if r.actor_is_group { "group " } else { "" },
            r.actor,
            r.agent,
            r.verb,
            r.resource
        )?;
    }
    writeln!(o, "\nguard-rails:")?;
    for g in &a.guards {
        if g.ok {
            writeln!(o, "  ok    {} ({})", g.title, g.id)?;
        } else {
            let kinds: Vec<&str> = g.kinds.iter().map(|k| k.as_str()).collect();
            writeln!(
                o,
                "  FAILS {} ({}) for {} — already under this policy",
                g.title,
                g.id,
                kinds.join(", ")
            )?;
            for f in g.failures.iter().take(2) {
                writeln!(o, "          {f}")?;
            }
        }
    }
    writeln!(o, "\nsuggestions (each on its own, largest saving first):")?;
    if a.suggestions.is_empty() {
        writeln!(
            o,
            "  none: no change saves 0.1% or more within the guard-rails"
        )?;
    }
    for (i, s) in a.suggestions.iter().enumerate() {
        print_suggestion(o, i + 1, s, &money)?;
    }
    if !a.blocked.is_empty() {
        writeln!(o, "\nlarger savings the guard-rails forbid:")?;
        for s in &a.blocked {
            writeln!(
                o,
                "  −{} {} — breaks \"{}\": {}",
                per_day(s.saved_per_day),
                s.title,
                s.breaks.first().map_or("", |b| b.title.as_str()),
                s.breaks.first().map_or("", |b| b.why.as_str())
            )?;
        }
    }
    if let Some(pl) = &a.plan {
        writeln!(
            o,
            "\nplan for −{:.0}%: −{:.1}% in {} changes ({} → {}{}). {}",
            pl.target_pct,
            pl.reached_pct,
            pl.steps.len(),
            per_day(pl.before.bytes_per_day),
            per_day(pl.after.bytes_per_day),
            money(pl.before.bytes_per_day - pl.after.bytes_per_day),
            pl.stop
        )?;
        for (i, s) in pl.steps.iter().enumerate() {
            writeln!(
                o,
                "  {:>2}. −{} ({:.1}%) {} — {}",
                i + 1,
                per_day(s.saved_per_day),
                s.saved_share * 100.0,
                s.title,
                s.placement
            )?;
        }
        let broken: Vec<&str> = pl
            .guards
            .iter()
            .filter(|g| !g.ok)
            .map(|g| g.id.as_str())
            .collect();
        writeln!(
            o,
            "  guard-rails on the result: {}",
            if broken.is_empty() {
                "all hold".to_string()
            } else {
                format!(
                    "all hold that held before; still failing as before: {}",
                    broken.join(", ")
                )
            }
        )?;
        match written {
            Some(f) => writeln!(o, "  written to {f} (it loads as kube-apiserver reads it)")?,
            None => writeln!(o, "  write it with -o NEW.yaml")?,
        }
    }
    for n in &a.notes {
        writeln!(o, "\nnote: {n}")?;
    }
    Ok(())
}

fn print_suggestion(
    o: &mut impl Write,
    n: usize,
    s: &Suggestion,
    money: &dyn Fn(f64) -> String,
) -> std::io::Result<()> {
    writeln!(
        o,
        "  {n:>2}. −{} ({:.1}%{}) {}",
        per_day(s.saved_per_day),
        s.saved_share * 100.0,
        money(s.saved_per_day),
        s.title
    )?;
    writeln!(
        o,
        "      where: {} (line {} of the new text)",
        s.placement, s.line
    )?;
    for t in s.takes.iter().take(3) {
        writeln!(
            o,
            "      takes {} events from {}: {} → {}",
            human_count(t.events),
            t.from.map_or("no rule".into(), |r| format!(
                "rule {r} (line {})",
                t.from_line
            )),
            human_bytes(t.bytes_before),
            human_bytes(t.bytes_after)
        )?;
    }
    for e in s.pack.iter().take(3) {
        writeln!(
            o,
            "      findings: {} ({}) loses {} of its requests{}",
            e.title,
            e.id,
            human_count(e.events),
            if e.finding_events > 0 {
                format!(", {} events of this log's findings", e.finding_events)
            } else {
                String::new()
            }
        )?;
    }
    for l in s.rule_yaml.lines() {
        writeln!(o, "      | {l}")?;
    }
    Ok(())
}
