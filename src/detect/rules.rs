//! The detection rule format: a small YAML file of rules, each a filter of the page's
//! language (body predicates included) with a severity, a why, an ATT&CK technique, a
//! threshold over a time window per actor, and what it needs from the log.
//!
//! ```yaml
//! pack: my-team              # a name shown beside each finding
//! rules:
//!   - id: exec-in-prod       # unique in the pack; letters, digits, `-`, `_`, `.`
//!     category: exec         # free text; the built-in categories are listed in docs
//!     severity: high         # info | low | medium | high | critical
//!     title: Command run in a production container
//!     why: A person ran a command inside a running container …
//!     mitre: [T1609]         # ATT&CK ids (names for the known ones are built in)
//!     match: fact:exec ns:prod-*
//!     group: actor           # actor (default) | object | ip | none: one finding per …
//!     outcome: allowed       # any (default) | allowed | denied, over all stages
//!     threshold:             # optional: only bursts of `count` requests within `window`
//!       count: 20
//!       window: 5m
//!       by: user             # user (default) | ip | agent
//!     needs:                 # optional: derived from `match` when omitted
//!       resources: [pods/exec]
//!       verbs: [create, get]
//!       level: Metadata
//!       stages: [ResponseStarted]
//! ```
//! Unknown keys are errors (a typo would otherwise silently widen a rule), and every
//! error names the file, the line and the rule. The full reference, with every built-in
//! rule, is `docs/detection-rules.md`.

use crate::audit::{Level, Stage};
use crate::query::parse::{parse, Field};
use serde::{Deserialize, Serialize};

/// How serious a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Every severity, most serious first (the order findings are listed in).
    pub const DESC: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::DESC.into_iter().find(|v| v.as_str() == s)
    }
}

/// What one finding gathers: the events of one actor, one object, one client IP, or
/// every event of the rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    #[default]
    Actor,
    Object,
    Ip,
    None,
}

/// Whose requests a threshold counts together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CountBy {
    #[default]
    User,
    Ip,
    Agent,
}

/// Which requests a rule counts, by their outcome over all their stages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every request the filter matches.
    #[default]
    Any,
    /// Requests answered with success: some stage has a code in 1..400 (or the
    /// authorizer's `allow`) and none has a code ≥ 400 (or `forbid`). A request seen only
    /// at RequestReceived has no outcome yet and is not counted.
    Allowed,
    /// Requests some stage of which has a code ≥ 400 or the authorizer's `forbid`.
    Denied,
}

/// Only bursts fire: at least `count` distinct requests of one `by` within `window_us`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Threshold {
    pub count: u32,
    pub window_us: u64,
    pub by: CountBy,
}

/// What a rule needs the log to hold to fire at all (and what a policy must record).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Needs {
    /// `RESOURCE[.GROUP][/SUBRESOURCE]`, as the filter's `resource:` term writes it, or a
    /// non-resource URL starting with `/`. Empty: any request.
    pub resources: Vec<String>,
    /// Empty: any verb.
    pub verbs: Vec<String>,
    /// The level those events must be recorded at, at least.
    pub level: Level,
    /// Stages the rule reads (a policy omitting one blinds the rule).
    pub stages: Vec<Stage>,
    /// Identities the rule is about (`user:`/`group:` patterns of the match; empty: all).
    pub users: Vec<String>,
}

impl Needs {
    /// "needs level ≥ Request for pods, deployments; the ResponseStarted stage".
    pub fn sentence(&self) -> String {
        let what = if self.resources.is_empty() {
            "every request".to_string()
        } else {
            self.resources.join(", ")
        };
        let verbs = if self.verbs.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.verbs.join(", "))
        };
        let mut s = format!("needs level ≥ {} for {what}{verbs}", self.level.as_str());
        if !self.stages.is_empty() {
            let st: Vec<&str> = self.stages.iter().map(|s| s.as_str()).collect();
            s.push_str(&format!(
                "; the {} stage{}",
                st.join(", "),
                if st.len() > 1 { "s" } else { "" }
            ));
        }
        s
    }
}

/// One rule, checked (its filter parses; ids, severities and durations are valid).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    pub category: String,
    pub severity: Severity,
    pub title: String,
    pub why: String,
    pub mitre: Vec<String>,
    /// The filter (the page's language).
    pub filter: String,
    pub group: GroupBy,
    pub threshold: Option<Threshold>,
    /// Which requests count (decided over all the stages of each request).
    pub outcome: Outcome,
    pub needs: Needs,
    /// The pack it came from.
    pub pack: String,
    /// 1-based line of the rule in its file (0 for rules built in code).
    pub line: u32,
}

/// A set of rules: the built-in pack, a user's file, or both.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Pack {
    pub rules: Vec<Rule>,
}

/// The built-in pack's source.
pub const BUILTIN_SOURCE: &str = include_str!("builtin.yaml");

/// The built-in pack's name.
pub const BUILTIN_NAME: &str = "audit-lens";

impl Pack {
    /// The built-in pack (it is tested to load).
    pub fn builtin() -> Pack {
        Pack::load("builtin.yaml", BUILTIN_SOURCE).expect("the built-in pack loads")
    }

    /// Loads a rule file; `name` is used in messages. Every problem is reported at once,
    /// each `name:line: rule ID: what`.
    pub fn load(name: &str, text: &str) -> Result<Pack, String> {
        let file: FileIn = serde_yaml::from_str(text).map_err(|e| {
            let at = e
                .location()
                .map(|l| format!("{}:{}", l.line(), l.column()))
                .unwrap_or_default();
            format!("{name}:{at}: {e}")
        })?;
        let lines = rule_lines(text);
        let pack_name = file.pack.unwrap_or_else(|| name.to_string());
        let mut errors = Vec::new();
        let mut rules = Vec::new();
        if file.rules.is_empty() {
            errors.push(format!(
                "{name}: no rules (a rule file has `rules:` with at least one rule)"
            ));
        }
        for (i, r) in file.rules.into_iter().enumerate() {
            let line = lines.get(i).copied().unwrap_or(0);
            let label = format!(
                "{name}:{line}: rule {}",
                r.id.as_deref()
                    .map_or_else(|| format!("#{}", i + 1), |s| s.to_string())
            );
            match check(r, &pack_name, line) {
                Ok(rule) => rules.push(rule),
                Err(es) => errors.extend(es.into_iter().map(|e| format!("{label}: {e}"))),
            }
        }
        let mut seen = std::collections::HashSet::new();
        for r in &rules {
            if !seen.insert(r.id.clone()) {
                errors.push(format!(
                    "{name}:{}: rule {}: the id is used twice",
                    r.line, r.id
                ));
            }
        }
        if errors.is_empty() {
            Ok(Pack { rules })
        } else {
            Err(errors.join("\n"))
        }
    }

    /// This pack followed by `other`'s rules; an id of `other` that this pack has too
    /// replaces it (so a team can retune a built-in rule by re-declaring its id).
    pub fn with(mut self, other: Pack) -> Pack {
        for r in other.rules {
            match self.rules.iter_mut().find(|x| x.id == r.id) {
                Some(x) => *x = r,
                None => self.rules.push(r),
            }
        }
        self
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIn {
    #[serde(default)]
    pack: Option<String>,
    #[serde(default)]
    rules: Vec<RuleIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleIn {
    id: Option<String>,
    category: Option<String>,
    severity: Option<String>,
    title: Option<String>,
    #[serde(default)]
    why: String,
    #[serde(default)]
    mitre: Vec<String>,
    #[serde(rename = "match")]
    filter: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    threshold: Option<ThresholdIn>,
    #[serde(default)]
    outcome: Option<String>,
    #[serde(default)]
    needs: Option<NeedsIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThresholdIn {
    count: u32,
    window: String,
    #[serde(default)]
    by: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NeedsIn {
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    verbs: Vec<String>,
    #[serde(default)]
    level: Option<String>,
    #[serde(default)]
    stages: Vec<String>,
}

/// 1-based lines of the items of the top-level `rules:` sequence (best effort: the
/// lines starting with `-` at the indentation of the first item after `rules:`).
fn rule_lines(text: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let mut in_rules = false;
    let mut indent: Option<usize> = None;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim_start();
        if !in_rules {
            in_rules = l.starts_with("rules:");
            continue;
        }
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let ind = l.len() - t.len();
        if ind == 0 && !t.starts_with('-') {
            break;
        }
        if t.starts_with("- ") || t == "-" {
            match indent {
                None => {
                    indent = Some(ind);
                    out.push(i as u32 + 1);
                }
                Some(k) if k == ind => out.push(i as u32 + 1),
                _ => {}
            }
        }
    }
    out
}

fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn check(r: RuleIn, pack: &str, line: u32) -> Result<Rule, Vec<String>> {
    let mut e = Vec::new();
    let need = |v: Option<String>, what: &str, e: &mut Vec<String>| {
        v.filter(|s| !s.trim().is_empty()).unwrap_or_else(|| {
            e.push(format!("`{what}` is missing"));
            String::new()
        })
    };
    let id = need(r.id, "id", &mut e);
    if !id.is_empty() && !valid_id(&id) {
        e.push(format!("id {id:?}: use letters, digits, `-`, `_` and `.`"));
    }
    let category = need(r.category, "category", &mut e);
    let title = need(r.title, "title", &mut e);
    let sev = need(r.severity, "severity", &mut e);
    let severity = Severity::parse(&sev).unwrap_or_else(|| {
        if !sev.is_empty() {
            e.push(format!(
                "severity {sev:?}: one of info, low, medium, high, critical"
            ));
        }
        Severity::Info
    });
    let filter = need(r.filter, "match", &mut e);
    let terms = match parse(&filter) {
        Ok(t) => t,
        Err(pe) => {
            e.push(format!(
                "match: {} (at bytes {}..{})",
                pe.message, pe.start, pe.end
            ));
            Vec::new()
        }
    };
    if !filter.is_empty() && terms.is_empty() && e.is_empty() {
        e.push("match: an empty filter would match every event".into());
    }
    let group = match r.group.as_deref() {
        None | Some("actor") => GroupBy::Actor,
        Some("object") => GroupBy::Object,
        Some("ip") => GroupBy::Ip,
        Some("none") => GroupBy::None,
        Some(g) => {
            e.push(format!("group {g:?}: one of actor, object, ip, none"));
            GroupBy::Actor
        }
    };
    let outcome = match r.outcome.as_deref() {
        None | Some("any") => Outcome::Any,
        Some("allowed") => Outcome::Allowed,
        Some("denied") => Outcome::Denied,
        Some(o) => {
            e.push(format!("outcome {o:?}: one of any, allowed, denied"));
            Outcome::Any
        }
    };
    let threshold = r.threshold.and_then(|t| {
        let window_us = crate::query::parse_duration_us(&t.window);
        let by = match t.by.as_deref() {
            None | Some("user") => Some(CountBy::User),
            Some("ip") => Some(CountBy::Ip),
            Some("agent") => Some(CountBy::Agent),
            Some(b) => {
                e.push(format!("threshold.by {b:?}: one of user, ip, agent"));
                None
            }
        };
        if window_us.is_none_or(|w| w == 0) {
            e.push(format!(
                "threshold.window {:?}: a duration such as 30s, 5m, 1h",
                t.window
            ));
        }
        if t.count < 2 {
            e.push(
                "threshold.count: at least 2 (a rule without a threshold fires on one event)"
                    .into(),
            );
        }
        Some(Threshold {
            count: t.count,
            window_us: window_us?,
            by: by?,
        })
    });
    for m in &r.mitre {
        if !valid_technique(m) {
            e.push(format!(
                "mitre {m:?}: an ATT&CK technique id such as T1609 or T1552.007"
            ));
        }
    }
    let derived = derive_needs(&terms);
    let needs = match r.needs {
        None => derived,
        Some(n) => {
            let level = match n.level.as_deref() {
                None => derived.level,
                Some(l) => Level::parse(l).unwrap_or_else(|| {
                    e.push(format!(
                        "needs.level {l:?}: None, Metadata, Request or RequestResponse"
                    ));
                    Level::Metadata
                }),
            };
            let mut stages = Vec::new();
            for s in &n.stages {
                match Stage::parse(s) {
                    Some(st) => stages.push(st),
                    None => e.push(format!("needs.stages {s:?}: RequestReceived, ResponseStarted, ResponseComplete or Panic")),
                }
            }
            Needs {
                resources: if n.resources.is_empty() {
                    derived.resources
                } else {
                    n.resources
                },
                verbs: if n.verbs.is_empty() {
                    derived.verbs
                } else {
                    n.verbs
                },
                level,
                stages,
                users: derived.users,
            }
        }
    };
    if !e.is_empty() {
        return Err(e);
    }
    Ok(Rule {
        id,
        category,
        severity,
        title,
        why: r.why.trim().to_string(),
        mitre: r.mitre,
        filter,
        group,
        threshold,
        outcome,
        needs,
        pack: pack.to_string(),
        line,
    })
}

fn valid_technique(m: &str) -> bool {
    let Some(rest) = m.strip_prefix('T') else {
        return false;
    };
    let (main, sub) = rest.split_once('.').unwrap_or((rest, ""));
    main.len() == 4
        && main.bytes().all(|b| b.is_ascii_digit())
        && (sub.is_empty() || (sub.len() == 3 && sub.bytes().all(|b| b.is_ascii_digit())))
}

/// What a filter needs, read from its positive terms: the resources and verbs it names,
/// the users and groups it is about, and the level its terms read (`req.` bodies and the
/// facts of pod specs, bindings, roles, services and configmaps: Request; `resp.`:
/// RequestResponse; exec's facts come from the URI: Metadata).
pub fn derive_needs(terms: &[crate::query::Term]) -> Needs {
    let mut n = Needs {
        resources: Vec::new(),
        verbs: Vec::new(),
        level: Level::Metadata,
        stages: Vec::new(),
        users: Vec::new(),
    };
    for t in terms.iter().filter(|t| !t.negate) {
        match t.field {
            Field::Resource => n.resources.extend(t.values.iter().cloned()),
            Field::Verb => n.verbs.extend(t.values.iter().cloned()),
            Field::User => n.users.extend(t.values.iter().cloned()),
            Field::Body => {
                let resp = t
                    .body
                    .as_ref()
                    .is_some_and(|b| b.side == crate::query::body::Side::Resp);
                n.level = n.level.max(if resp {
                    Level::RequestResponse
                } else {
                    Level::Request
                });
            }
            Field::Fact => {
                let uri_only = t.values.iter().all(|v| {
                    matches!(
                        v.as_str(),
                        "exec" | "attach" | "portforward" | "tty" | "stdin"
                    )
                });
                if !uri_only {
                    n.level = n.level.max(Level::Request);
                }
            }
            Field::Image | Field::RoleRef | Field::HostPath => {
                n.level = n.level.max(Level::Request);
            }
            _ => {}
        }
    }
    n
}

/// ATT&CK techniques the built-in pack cites, with their names (ATT&CK for Containers).
pub const TECHNIQUES: &[(&str, &str)] = &[
    ("T1609", "Container Administration Command"),
    ("T1610", "Deploy Container"),
    ("T1611", "Escape to Host"),
    ("T1613", "Container and Resource Discovery"),
    ("T1078", "Valid Accounts"),
    ("T1078.001", "Valid Accounts: Default Accounts"),
    ("T1098", "Account Manipulation"),
    (
        "T1098.006",
        "Account Manipulation: Additional Container Cluster Roles",
    ),
    ("T1110", "Brute Force"),
    ("T1133", "External Remote Services"),
    ("T1134", "Access Token Manipulation"),
    ("T1528", "Steal Application Access Token"),
    ("T1552", "Unsecured Credentials"),
    ("T1552.007", "Unsecured Credentials: Container API"),
    ("T1546", "Event Triggered Execution"),
    ("T1552.001", "Unsecured Credentials: Credentials In Files"),
    ("T1562", "Impair Defenses"),
    ("T1562.001", "Impair Defenses: Disable or Modify Tools"),
    ("T1036", "Masquerading"),
    ("T1190", "Exploit Public-Facing Application"),
    ("T1059", "Command and Scripting Interpreter"),
];

/// The name of a technique the pack knows ("" otherwise).
pub fn technique_name(id: &str) -> &'static str {
    TECHNIQUES
        .iter()
        .find(|(i, _)| *i == id)
        .map_or("", |(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_pack_loads() {
        let p = Pack::builtin();
        assert!(p.rules.len() >= 20);
        for r in &p.rules {
            assert!(r.line > 0, "{}", r.id);
            for m in &r.mitre {
                assert!(!technique_name(m).is_empty(), "{}: {m} has no name", r.id);
            }
        }
    }

    #[test]
    fn errors_name_the_file_line_and_rule() {
        let t = "rules:\n  - id: a\n    category: exec\n    severity: urgent\n    title: t\n    match: verb:get\n  - id: b\n    category: x\n    severity: low\n    title: t\n    match: 'verb:(get'\n    threshold: {count: 1, window: 5q}\n";
        let e = Pack::load("mine.yaml", t).unwrap_err();
        assert!(
            e.contains("mine.yaml:2: rule a: severity \"urgent\""),
            "{e}"
        );
        assert!(
            e.contains("mine.yaml:7: rule b: threshold.window \"5q\""),
            "{e}"
        );
        assert!(e.contains("mine.yaml:7: rule b: threshold.count"), "{e}");
        let typo = "rules:\n  - id: a\n    category: exec\n    severity: low\n    title: t\n    macth: verb:get\n";
        let e = Pack::load("mine.yaml", typo).unwrap_err();
        assert!(e.starts_with("mine.yaml:"), "{e}");
        assert!(e.contains("macth"), "{e}");
        let dup = "rules:\n  - {id: a, category: c, severity: low, title: t, match: verb:get}\n  - {id: a, category: c, severity: low, title: t, match: verb:list}\n";
        assert!(Pack::load("d", dup).unwrap_err().contains("used twice"));
        assert!(Pack::load("e", "rules: []\n")
            .unwrap_err()
            .contains("no rules"));
    }

    #[test]
    fn needs_are_derived_from_the_match() {
        let n = derive_needs(
            &parse("resource:pods verb:create fact:privileged -user:system:*").unwrap(),
        );
        assert_eq!(n.resources, ["pods"]);
        assert_eq!(n.verbs, ["create"]);
        assert_eq!(n.level, Level::Request);
        assert!(n.users.is_empty());
        let n = derive_needs(&parse("fact:exec user:alice").unwrap());
        assert_eq!(n.level, Level::Metadata);
        assert_eq!(n.users, ["alice"]);
        let n = derive_needs(&parse("resource:secrets resp.data.*:*").unwrap());
        assert_eq!(n.level, Level::RequestResponse);
        assert_eq!(n.sentence(), "needs level ≥ RequestResponse for secrets");
    }

    #[test]
    fn a_user_pack_replaces_builtin_ids_and_adds_its_own() {
        let mine = Pack::load(
            "mine.yaml",
            "pack: team\nrules:\n  - {id: pod-exec, category: exec, severity: critical, title: Exec, match: fact:exec}\n  - {id: team-1, category: custom, severity: low, title: T, match: verb:delete}\n",
        )
        .unwrap();
        let b = Pack::builtin();
        let n = b.rules.len();
        let both = b.with(mine);
        assert_eq!(both.rules.len(), n + 1);
        let ex = both.rules.iter().find(|r| r.id == "pod-exec").unwrap();
        assert_eq!(
            (ex.severity, ex.pack.as_str()),
            (Severity::Critical, "team")
        );
    }
}
