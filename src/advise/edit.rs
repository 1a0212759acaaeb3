//! Changes to a policy, made twice: to the [`Policy`] (what the advisor measures and
//! checks) and to its text (what the user gets), keeping the user's comments, order and
//! layout. The text edit is checked by reading the edited text back with the loader the
//! page and the CLI use — which equals kube-apiserver's reader — and comparing the result
//! with the changed `Policy`; when they differ (flow style, a ConfigMap, JSON) the policy is
//! written out whole instead ([`render_policy`]), and the caller is told so.

use crate::audit::policy::{load_policy, LoadOptions, LoadedPolicy, Policy, PolicyRule};
use crate::audit::{Level, Stage};
use serde::{Deserialize, Serialize};

/// One change to a policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Change {
    /// A new rule, inserted so that it becomes rule `at` (0-based; the rule that was `at`
    /// moves down by one).
    Insert { at: usize, rule: PolicyRule },
    /// Rule `rule`'s level becomes `level`.
    Level { rule: usize, level: Level },
    /// `stage` is omitted by rule `rule`, or by the whole policy when `None`.
    OmitStage { rule: Option<usize>, stage: Stage },
    /// `omitManagedFields: true` on rule `rule`, or on the whole policy when `None`.
    OmitManagedFields { rule: Option<usize> },
}

impl Change {
    /// The index of the rule that decides what it decided after the change, for a rule
    /// index before it (insertions shift the rules after them).
    pub fn shift(&self, i: usize) -> usize {
        match self {
            Change::Insert { at, .. } if i >= *at => i + 1,
            _ => i,
        }
    }
}

/// `p` with `c` made.
pub fn apply(p: &Policy, c: &Change) -> Policy {
    let mut p = p.clone();
    match c {
        Change::Insert { at, rule } => p.rules.insert((*at).min(p.rules.len()), rule.clone()),
        Change::Level { rule, level } => {
            if let Some(r) = p.rules.get_mut(*rule) {
                r.level = *level;
            }
        }
        Change::OmitStage { rule, stage } => {
            let list = match rule {
                Some(i) => match p.rules.get_mut(*i) {
                    Some(r) => &mut r.omit_stages,
                    None => return p,
                },
                None => &mut p.omit_stages,
            };
            if !list.contains(stage) {
                list.push(*stage);
            }
        }
        Change::OmitManagedFields { rule } => match rule {
            Some(i) => {
                if let Some(r) = p.rules.get_mut(*i) {
                    r.omit_managed_fields = Some(true);
                }
            }
            None => p.omit_managed_fields = true,
        },
    }
    p
}

/// A YAML double-quoted scalar (JSON's escapes are YAML's).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn flow(v: &[String]) -> String {
    format!(
        "[{}]",
        v.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
    )
}

fn stages(v: &[Stage]) -> String {
    format!(
        "[{}]",
        v.iter()
            .map(|s| q(s.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// One rule as block YAML, each line indented by `indent` spaces (the `-` at `indent`).
pub fn render_rule(r: &PolicyRule, indent: usize) -> Vec<String> {
    let pad = " ".repeat(indent);
    let key = " ".repeat(indent + 2);
    let mut out = vec![format!("{pad}- level: {}", r.level.as_str())];
    if !r.users.is_empty() {
        out.push(format!("{key}users: {}", flow(&r.users)));
    }
    if !r.user_groups.is_empty() {
        out.push(format!("{key}userGroups: {}", flow(&r.user_groups)));
    }
    if !r.verbs.is_empty() {
        out.push(format!("{key}verbs: {}", flow(&r.verbs)));
    }
    if !r.namespaces.is_empty() {
        out.push(format!("{key}namespaces: {}", flow(&r.namespaces)));
    }
    if !r.resources.is_empty() {
        out.push(format!("{key}resources:"));
        for g in &r.resources {
            out.push(format!("{key}  - group: {}", q(&g.group)));
            if !g.resources.is_empty() {
                out.push(format!("{key}    resources: {}", flow(&g.resources)));
            }
            if !g.resource_names.is_empty() {
                out.push(format!(
                    "{key}    resourceNames: {}",
                    flow(&g.resource_names)
                ));
            }
        }
    }
    if !r.non_resource_urls.is_empty() {
        out.push(format!(
            "{key}nonResourceURLs: {}",
            flow(&r.non_resource_urls)
        ));
    }
    if !r.omit_stages.is_empty() {
        out.push(format!("{key}omitStages: {}", stages(&r.omit_stages)));
    }
    if let Some(b) = r.omit_managed_fields {
        out.push(format!("{key}omitManagedFields: {b}"));
    }
    out
}

/// A whole policy as YAML (what is written when the text cannot be edited in place).
pub fn render_policy(p: &Policy) -> String {
    let mut out = vec![
        format!("apiVersion: {}", p.api_version),
        format!("kind: {}", p.kind),
    ];
    if let Some(m) = &p.metadata {
        // JSON is YAML: the metadata as one flow mapping.
        out.push(format!("metadata: {m}"));
    }
    if !p.omit_stages.is_empty() {
        out.push(format!("omitStages: {}", stages(&p.omit_stages)));
    }
    if p.omit_managed_fields {
        out.push("omitManagedFields: true".into());
    }
    if p.rules.is_empty() {
        out.push("rules: []".into());
    } else {
        out.push("rules:".into());
        for r in &p.rules {
            out.extend(render_rule(r, 2));
        }
    }
    let mut s = out.join("\n");
    s.push('\n');
    s
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// The column (0-based) of a rule's keys, from its first line `  - level: X`; `None` for
/// a flow mapping or a dash alone on its line.
fn key_col(line: &str, dash: usize) -> Option<usize> {
    let rest = line.get(dash + 1..)?;
    let after = rest.len() - rest.trim_start_matches(' ').len();
    let first = rest.trim_start_matches(' ').chars().next()?;
    if first == '{' || first == '#' || after == 0 {
        return None;
    }
    Some(dash + 1 + after)
}

/// The line range (0-based, end exclusive) of a key at column `col` among `lines[from..to]`
/// and its value: the key's line, then lines indented deeper, blank lines and comments,
/// and `- ` items at the key's own column.
fn key_range(
    lines: &[&str],
    from: usize,
    to: usize,
    col: usize,
    key: &str,
) -> Option<(usize, usize)> {
    let pat = format!("{key}:");
    let start = (from..to).find(|&i| {
        let l = lines[i];
        let body = if i == from {
            // the rule's first line: after the dash
            l.get(col..).unwrap_or("")
        } else if indent_of(l) == col {
            &l[col..]
        } else {
            ""
        };
        body.starts_with(&pat)
    })?;
    let mut end = start + 1;
    while end < to {
        let l = lines[end];
        let t = l.trim_start();
        let ind = indent_of(l);
        if t.is_empty() || t.starts_with('#') || ind > col || (ind == col && t.starts_with("- ")) {
            end += 1;
        } else {
            break;
        }
    }
    // Trailing blank lines and comments belong to what follows.
    while end > start + 1 && {
        let t = lines[end - 1].trim_start();
        t.is_empty() || t.starts_with('#')
    } {
        end -= 1;
    }
    Some((start, end))
}

/// Where a change is made in the text, for messages: the 1-based line.
#[derive(Clone, Debug, PartialEq)]
pub struct Edited {
    pub text: String,
    /// 1-based line of the first changed line of the new text.
    pub line: u32,
    /// The text could not be edited in place and was written out whole.
    pub rewritten: bool,
}

/// The text of `loaded` with `c` made (see the module documentation). `note` is written
/// as a comment above an inserted rule. `opts`: how the text is read back.
pub fn apply_text(
    text: &str,
    loaded: &LoadedPolicy,
    c: &Change,
    note: &str,
    opts: &LoadOptions,
) -> Edited {
    let want = apply(&loaded.policy, c);
    if let Some((t, line)) = in_place(text, loaded, c, note) {
        let same = load_policy(&loaded.source_name, &t, opts)
            .map(|p| p.policy == want)
            .unwrap_or(false);
        if same {
            return Edited {
                text: t,
                line,
                rewritten: false,
            };
        }
    }
    Edited {
        text: render_policy(&want),
        line: 1,
        rewritten: true,
    }
}

fn join(lines: &[String], crlf: bool, trailing: bool) -> String {
    let mut s = lines.join(if crlf { "\r\n" } else { "\n" });
    if trailing {
        s.push_str(if crlf { "\r\n" } else { "\n" });
    }
    s
}

/// The in-place edit, when the layout allows it: (new text, 1-based line changed).
fn in_place(text: &str, loaded: &LoadedPolicy, c: &Change, note: &str) -> Option<(String, u32)> {
    if loaded.configmap_key.is_some() || text.trim_start().starts_with('{') {
        return None;
    }
    let crlf = text.contains("\r\n");
    let trailing = text.ends_with('\n');
    let src: Vec<&str> = text.lines().collect();
    let mut lines: Vec<String> = src.iter().map(|s| s.to_string()).collect();
    let spans = &loaded.rule_spans;
    // Rule `i`'s lines (0-based, end exclusive): up to the next rule's first line.
    let rule_lines = |i: usize| -> Option<(usize, usize, usize)> {
        let sp = spans.get(i)?;
        if sp.start_line == 0 || sp.start_col == 0 {
            return None;
        }
        let from = sp.start_line as usize - 1;
        let to = spans
            .get(i + 1)
            .map(|n| n.start_line as usize - 1)
            .unwrap_or((sp.end_line as usize).max(from + 1))
            .min(src.len());
        let dash = sp.start_col as usize - 1;
        if src.get(from)?.get(dash..dash + 1)? != "-" {
            return None;
        }
        Some((from, to.max(from + 1), dash))
    };
    match c {
        Change::Insert { at, rule } => {
            let (mut at_line, dash) = if *at < spans.len() {
                let (from, _, dash) = rule_lines(*at)?;
                (from, dash)
            } else {
                let last = spans.len().checked_sub(1)?;
                let (_, _, dash) = rule_lines(last)?;
                (src.len(), dash)
            };
            // Comments right above the rule belong to it: insert above them.
            if *at < spans.len() {
                while at_line > 0 && {
                    let l = src[at_line - 1];
                    l.trim_start().starts_with('#') && indent_of(l) == dash
                } {
                    at_line -= 1;
                }
            }
            let mut new = Vec::new();
            for n in note.lines() {
                new.push(format!("{}# {}", " ".repeat(dash), n));
            }
            new.extend(render_rule(rule, dash));
            let first = at_line + 1;
            lines.splice(at_line..at_line, new);
            Some((join(&lines, crlf, trailing), first as u32))
        }
        Change::Level { rule, level } => {
            let (from, to, dash) = rule_lines(*rule)?;
            let col = key_col(src[from], dash)?;
            let (k, _) = key_range(&src, from, to, col, "level")?;
            let l = src[k];
            let key_at = l[col..].find("level:").map(|p| p + col)?;
            let val_start = key_at + "level:".len();
            let rest = &l[val_start..];
            let comment = rest.find(" #").map(|p| &rest[p..]).unwrap_or("");
            lines[k] = format!("{} {}{}", &l[..val_start], level.as_str(), comment);
            Some((join(&lines, crlf, trailing), k as u32 + 1))
        }
        Change::OmitStage { rule, stage } => {
            let (from, to, col, current) = match rule {
                Some(i) => {
                    let (from, to, dash) = rule_lines(*i)?;
                    let col = key_col(src[from], dash)?;
                    (
                        from,
                        to,
                        col,
                        loaded.policy.rules.get(*i)?.omit_stages.clone(),
                    )
                }
                None => {
                    let first_rule = spans
                        .first()
                        .map(|s| s.start_line as usize - 1)
                        .unwrap_or(src.len());
                    (
                        0,
                        first_rule.min(src.len()),
                        0,
                        loaded.policy.omit_stages.clone(),
                    )
                }
            };
            let mut all = current;
            if !all.contains(stage) {
                all.push(*stage);
            }
            set_key(
                &mut lines,
                &src,
                from,
                to,
                col,
                "omitStages",
                &stages(&all),
                rule.is_none(),
            )
            .map(|line| (join(&lines, crlf, trailing), line))
        }
        Change::OmitManagedFields { rule } => {
            let (from, to, col) = match rule {
                Some(i) => {
                    let (from, to, dash) = rule_lines(*i)?;
                    (from, to, key_col(src[from], dash)?)
                }
                None => {
                    let first_rule = spans
                        .first()
                        .map(|s| s.start_line as usize - 1)
                        .unwrap_or(src.len());
                    (0, first_rule.min(src.len()), 0)
                }
            };
            set_key(
                &mut lines,
                &src,
                from,
                to,
                col,
                "omitManagedFields",
                "true",
                rule.is_none(),
            )
            .map(|line| (join(&lines, crlf, trailing), line))
        }
    }
}

/// Sets `key: value` at column `col` in `src[from..to]`: replaces the key and its value
/// when present, else inserts it (a rule's key after the rule's first line; a top-level
/// key before `rules:`). Returns the 1-based line.
#[allow(clippy::too_many_arguments)]
fn set_key(
    lines: &mut Vec<String>,
    src: &[&str],
    from: usize,
    to: usize,
    col: usize,
    key: &str,
    value: &str,
    top: bool,
) -> Option<u32> {
    let line = format!("{}{key}: {value}", " ".repeat(col));
    if let Some((k, end)) = key_range(src, from, to, col, key) {
        if k == from && !top {
            // On the rule's first line (`- omitStages: …`): keep the dash.
            let l = src[k];
            lines.splice(k..end, [format!("{}{key}: {value}", &l[..col])]);
        } else {
            lines.splice(k..end, [line]);
        }
        return Some(k as u32 + 1);
    }
    if top {
        let r = (0..src.len()).find(|&i| src[i].starts_with("rules:"))?;
        lines.insert(r, line);
        Some(r as u32 + 1)
    } else {
        lines.insert(from + 1, line);
        Some(from as u32 + 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::policy::GroupResources;

    const P: &str = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  # drop the noisy one\n  - level: None\n    users: [\"a\"]\n  - level: RequestResponse # the rest\n    omitStages:\n      - \"RequestReceived\"\n";

    fn load(t: &str) -> LoadedPolicy {
        load_policy("p.yaml", t, &LoadOptions::default()).expect("loads")
    }

    #[test]
    fn edits_in_place_keep_comments() {
        let l = load(P);
        let mut r = PolicyRule::new(Level::Metadata);
        r.users = vec!["system:kube-proxy".into()];
        r.resources = vec![GroupResources {
            group: String::new(),
            resources: vec!["endpoints".into()],
            resource_names: vec![],
        }];
        let e = apply_text(
            P,
            &l,
            &Change::Insert { at: 0, rule: r },
            "audit-lens: x",
            &LoadOptions::default(),
        );
        assert!(!e.rewritten, "{}", e.text);
        assert_eq!(e.line, 4);
        assert!(
            e.text.contains(
                "  # audit-lens: x\n  - level: Metadata\n    users: [\"system:kube-proxy\"]\n"
            ),
            "{}",
            e.text
        );
        assert!(
            e.text.contains("# drop the noisy one\n  - level: None"),
            "{}",
            e.text
        );
        let e = apply_text(
            P,
            &l,
            &Change::Level {
                rule: 1,
                level: Level::Request,
            },
            "",
            &LoadOptions::default(),
        );
        assert!(!e.rewritten);
        assert!(
            e.text.contains("  - level: Request # the rest\n"),
            "{}",
            e.text
        );
        let e = apply_text(
            P,
            &l,
            &Change::OmitStage {
                rule: Some(1),
                stage: Stage::ResponseStarted,
            },
            "",
            &LoadOptions::default(),
        );
        assert!(!e.rewritten, "{}", e.text);
        assert!(
            e.text
                .contains("    omitStages: [\"RequestReceived\", \"ResponseStarted\"]\n"),
            "{}",
            e.text
        );
        let e = apply_text(
            P,
            &l,
            &Change::OmitStage {
                rule: Some(0),
                stage: Stage::RequestReceived,
            },
            "",
            &LoadOptions::default(),
        );
        assert!(!e.rewritten, "{}", e.text);
        let e = apply_text(
            P,
            &l,
            &Change::OmitManagedFields { rule: None },
            "",
            &LoadOptions::default(),
        );
        assert!(!e.rewritten, "{}", e.text);
        assert!(
            e.text
                .contains("kind: Policy\nomitManagedFields: true\nrules:\n"),
            "{}",
            e.text
        );
    }

    #[test]
    fn flow_style_is_rewritten_whole() {
        let t = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - {level: None, users: [a]}\n  - {level: Metadata}\n";
        let l = load(t);
        let e = apply_text(
            t,
            &l,
            &Change::Level {
                rule: 1,
                level: Level::None,
            },
            "",
            &LoadOptions::default(),
        );
        assert!(e.rewritten);
        let back = load(&e.text);
        assert_eq!(back.policy.rules[1].level, Level::None);
        assert_eq!(back.policy.rules[0].users, vec!["a".to_string()]);
    }
}
