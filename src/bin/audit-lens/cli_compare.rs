//! Two policies compared: `diff-policy A B` (the unified diff of the texts and the
//! alignment of the rules) and the rule-by-rule part of `whatif --baseline`. The engine
//! is `audit::compare` and `analysis::policy_ab`; this file reads files and prints.

use crate::Args;
use audit_lens::analysis::policy_ab::PolicyAb;
use audit_lens::audit::compare::{align_rules, text_diff, unified, RuleChange, RulePair};
use audit_lens::audit::policy::{load_policy_bytes, KubeVersion, LoadOptions, LoadedPolicy};
use audit_lens::util::{human_bytes, human_count};
use std::io::Write;
use std::process::ExitCode;

fn options(args: &Args) -> Result<LoadOptions, String> {
    let mut o = LoadOptions::default();
    if let Some(v) = args.get("kube-version") {
        o.kube_version = KubeVersion::parse(v)
            .ok_or_else(|| format!("--kube-version: cannot read '{v}' (try 1.37)"))?;
    }
    o.accept_old_versions = args.flag("accept-old-versions");
    Ok(o)
}

/// A rule as one line of JSON, as written: `{"level":"Metadata","users":["bob"]}`.
fn rule_text(p: &LoadedPolicy, i: usize) -> String {
    serde_json::to_string(&p.policy.rules[i]).unwrap_or_default()
}

fn change_text(c: &RuleChange) -> String {
    match c {
        RuleChange::Changed(d) => format!("changed: {}", d.join("; ")),
        other => other.name().to_string(),
    }
}

/// One line per pair: `A#i → B#j  change  rule`.
pub fn alignment_lines(a: &LoadedPolicy, b: &LoadedPolicy, pairs: &[RulePair]) -> Vec<String> {
    let idx = |i: Option<usize>, side: &str| i.map_or("–".to_string(), |i| format!("{side}#{i}"));
    pairs
        .iter()
        .map(|p| {
            let what = match (p.a, p.b) {
                (_, Some(j)) => rule_text(b, j),
                (Some(i), None) => rule_text(a, i),
                _ => String::new(),
            };
            format!(
                "  {:>6} → {:<6} {:<10} {what}",
                idx(p.a, "A"),
                idx(p.b, "B"),
                change_text(&p.change)
            )
        })
        .collect()
}

/// `audit-lens diff-policy A B [--json] [--context N]`: exit 0 when the texts are the same, 1
/// when they differ, 2 on an error (a file that cannot be read or is not a valid policy).
pub fn run_diff_policy(a: &[String]) -> Result<ExitCode, String> {
    let args = Args::parse(a, &["json", "accept-old-versions"])?;
    let [pa, pb] = args.pos.as_slice() else {
        return Err("diff-policy needs two policy files: audit-lens diff-policy A B".into());
    };
    let context: usize = match args.get("context") {
        Some(v) => v
            .parse()
            .map_err(|_| format!("--context: not a number: {v}"))?,
        None => 3,
    };
    let opts = options(&args)?;
    let read = |p: &str| -> Result<(Vec<u8>, LoadedPolicy), String> {
        let bytes = std::fs::read(p).map_err(|e| format!("{p}: {e}"))?;
        let lp = load_policy_bytes(p, &bytes, &opts)
            .map_err(|e| format!("{e}\n{p}: not a valid policy"))?;
        Ok((bytes, lp))
    };
    let (ba, la) = read(pa)?;
    let (bb, lb) = read(pb)?;
    let (ta, tb) = (String::from_utf8_lossy(&ba), String::from_utf8_lossy(&bb));
    let hunks = text_diff(&ta, &tb, context);
    let pairs = align_rules(&la.policy, &lb.policy);
    let mut o = std::io::stdout().lock();
    let differ = !hunks.is_empty() || ba != bb;
    if args.flag("json") {
        let v = serde_json::json!({
            "same": !differ,
            "unified": unified(pa, pb, &hunks),
            "hunks": hunks,
            "rules": pairs,
        });
        serde_json::to_writer_pretty(&mut o, &v).map_err(|e| e.to_string())?;
        writeln!(o).map_err(|e| e.to_string())?;
    } else {
        o.write_all(unified(pa, pb, &hunks).as_bytes())
            .map_err(|e| e.to_string())?;
        let same = pairs
            .iter()
            .filter(|p| p.change == RuleChange::Same)
            .count();
        let mut text = vec![format!(
            "rules: {} in A, {} in B; {same} the same, {} changed, {} moved, {} only in A, {} only in B",
            la.rule_count(),
            lb.rule_count(),
            pairs.iter().filter(|p| matches!(p.change, RuleChange::Changed(_))).count(),
            pairs.iter().filter(|p| p.change == RuleChange::Moved).count(),
            pairs.iter().filter(|p| p.change == RuleChange::Removed).count(),
            pairs.iter().filter(|p| p.change == RuleChange::Added).count(),
        )];
        if same < pairs.len() {
            text.extend(alignment_lines(&la, &lb, &pairs));
        }
        for t in text {
            // The diff is on stdout; the alignment follows as `#` lines, which patch ignores.
            writeln!(o, "# {t}").map_err(|e| e.to_string())?;
        }
    }
    Ok(ExitCode::from(differ as u8))
}

/// The rule-by-rule part of `whatif --baseline OLD`: for each aligned pair (OLD's rule →
/// NEW's rule), what each writes and where OLD's events go under NEW.
pub fn whatif_lines(old: &LoadedPolicy, new: &LoadedPolicy, ab: &PolicyAb) -> Vec<String> {
    let mut out = vec![format!(
        "rule by rule, {} ({} rules) → {} ({} rules):",
        old.source_name,
        old.rule_count(),
        new.source_name,
        new.rule_count()
    )];
    let idx = |i: Option<usize>| i.map_or("–".to_string(), |i| format!("#{i}"));
    for p in &ab.pairs {
        let what = match (p.a, p.b) {
            (_, Some(j)) => rule_text(new, j),
            (Some(i), None) => rule_text(old, i),
            _ => String::new(),
        };
        out.push(format!(
            "  {:>4} → {:<4} {:<8} {:>9} → {:>9} events {:>10} → {:>10}  {what}",
            idx(p.a),
            idx(p.b),
            p.change.name(),
            human_count(p.a_volume.events),
            human_count(p.b_volume.events),
            human_bytes(p.a_volume.bytes),
            human_bytes(p.b_volume.bytes),
        ));
        if let RuleChange::Changed(d) = &p.change {
            out.push(format!("                 {}", d.join("; ")));
        }
        // Where the old rule's events went, when not all to its partner.
        let moved_away = p.transfer.iter().any(|t| t.to != p.b && t.events > 0);
        if moved_away {
            for t in &p.transfer {
                out.push(format!(
                    "                 {:>9} events now decided by {} ({} → {})",
                    human_count(t.events),
                    t.to.map_or("no rule (None)".to_string(), |j| format!("#{j}")),
                    human_bytes(t.a_bytes),
                    human_bytes(t.b_bytes)
                ));
            }
            if p.rest.events > 0 {
                out.push(format!(
                    "                 {:>9} events to other rules",
                    human_count(p.rest.events)
                ));
            }
        }
    }
    for t in &ab.from_no_rule {
        out.push(format!(
            "  no rule of {} matched {} events; {} decides them by {}",
            old.source_name,
            human_count(t.events),
            new.source_name,
            t.to.map_or("no rule".to_string(), |j| format!("#{j}"))
        ));
    }
    out
}
