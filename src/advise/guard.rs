//! Guard-rails: the requirements a volume change must keep (`guards.yaml` holds the
//! defaults and documents the format). A guard is either a [`Need`] — decided per kind of
//! identity by [`crate::audit::needs`], over witnesses and over the log's requests — or
//! `keep: bodies`, decided against a reference policy over the log's requests.
//!
//! "Broken" always means "broken by the change": a guard the reference policy already
//! fails for some kind, or for some of the log's requests, blocks only changes that make
//! it fail where it held.

use crate::audit::needs::{IdentityKind, Need};
use crate::audit::{Level, Stage};
use serde::{Deserialize, Serialize};

/// The default guard-rails, as the user sees and edits them.
pub const DEFAULT_GUARDS: &str = include_str!("guards.yaml");

/// One guard-rail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Guard {
    pub id: String,
    pub title: String,
    /// 1-based line in its file (0 when built in code).
    pub line: u32,
    pub rail: Rail,
}

/// What a guard asks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Rail {
    /// Every request the need is about recorded as it asks.
    Need(Need),
    /// Requests of these kinds the reference records with bodies keep their level.
    KeepBodies(Vec<IdentityKind>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIn {
    #[serde(default)]
    guards: Vec<GuardIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GuardIn {
    id: Option<String>,
    title: Option<String>,
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    except: Vec<String>,
    #[serde(default)]
    verbs: Vec<String>,
    level: Option<String>,
    #[serde(default)]
    stages: Vec<String>,
    #[serde(default)]
    no_bodies: bool,
    #[serde(default)]
    kinds: Vec<String>,
    keep: Option<String>,
}

fn kind_of(s: &str) -> Option<Vec<IdentityKind>> {
    let k = match s.trim().to_ascii_lowercase().as_str() {
        "all" | "everyone" | "*" => return Some(IdentityKind::ALL.to_vec()),
        "human" | "humans" => IdentityKind::Human,
        "service-account" | "serviceaccount" | "service-accounts" | "sa" => {
            IdentityKind::ServiceAccount
        }
        "node" | "nodes" => IdentityKind::Node,
        "system" => IdentityKind::System,
        "anonymous" => IdentityKind::Anonymous,
        _ => return None,
    };
    Some(vec![k])
}

/// The 1-based line of each `- id:` (or other first key) of the `guards:` list.
fn item_lines(text: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let mut inside = false;
    let mut col = None;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim_start();
        if l.starts_with("guards:") {
            inside = true;
            continue;
        }
        if !inside || t.starts_with('#') || t.is_empty() {
            continue;
        }
        if !l.starts_with(' ') && !l.starts_with('-') {
            inside = false;
            continue;
        }
        let ind = l.len() - t.len();
        if t.starts_with("- ") || t == "-" {
            if col.is_none() {
                col = Some(ind);
            }
            if col == Some(ind) {
                out.push(i as u32 + 1);
            }
        }
    }
    out
}

/// Reads a guard file; `name` names it in messages (`guards.yaml:12: guard x: …`).
/// Every problem is reported at once.
pub fn load(name: &str, text: &str) -> Result<Vec<Guard>, String> {
    let file: FileIn = serde_yaml::from_str(text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!("{}:{}", l.line(), l.column()))
            .unwrap_or_default();
        format!("{name}:{at}: {e}")
    })?;
    let lines = item_lines(text);
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, g) in file.guards.into_iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(0);
        let id = g.id.clone().unwrap_or_else(|| format!("#{}", i + 1));
        let mut err = |m: String| errors.push(format!("{name}:{line}: guard {id}: {m}"));
        if g.id.is_none() {
            err("no id".into());
        }
        let mut kinds = Vec::new();
        for k in &g.kinds {
            match kind_of(k) {
                Some(v) => kinds.extend(v),
                None => err(format!(
                    "kind {k:?}: not one of human, service-account, node, system, anonymous, all"
                )),
            }
        }
        kinds.sort();
        kinds.dedup();
        if kinds.len() == IdentityKind::ALL.len() {
            kinds.clear();
        }
        let title = g.title.clone().unwrap_or_else(|| id.clone());
        if let Some(k) = &g.keep {
            if k != "bodies" {
                err(format!("keep {k:?}: only `keep: bodies` is known"));
            }
            if !g.resources.is_empty() || g.level.is_some() || !g.stages.is_empty() {
                err("`keep` takes only kinds (it is about every request of them)".into());
            }
            let kinds = if kinds.is_empty() {
                IdentityKind::ALL.to_vec()
            } else {
                kinds
            };
            out.push(Guard {
                id: id.clone(),
                title,
                line,
                rail: Rail::KeepBodies(kinds),
            });
            continue;
        }
        if g.resources.is_empty() {
            err("no resources (use [\"*\"] for every resource)".into());
        }
        let level = match g.level.as_deref() {
            None => Level::Metadata,
            Some(l) => match Level::parse(l) {
                Some(l) => l,
                None => {
                    err(format!(
                        "level {l:?}: not one of None, Metadata, Request, RequestResponse"
                    ));
                    Level::Metadata
                }
            },
        };
        let mut stages = Vec::new();
        for s in &g.stages {
            match Stage::parse(s) {
                Some(s) => stages.push(s),
                None => err(format!(
                    "stage {s:?}: not one of RequestReceived, ResponseStarted, ResponseComplete, Panic"
                )),
            }
        }
        if !g.except.is_empty() && !g.resources.iter().any(|r| r == "*") {
            err("`except` needs \"*\" among the resources".into());
        }
        out.push(Guard {
            id: id.clone(),
            title: title.clone(),
            line,
            rail: Rail::Need(Need {
                id: id.clone(),
                title,
                resources: g.resources,
                verbs: g.verbs,
                min_level: level,
                no_bodies: g.no_bodies,
                stages,
                kinds,
                except: g.except,
            }),
        });
    }
    let mut seen = std::collections::HashSet::new();
    for g in &out {
        if !seen.insert(g.id.clone()) {
            errors.push(format!(
                "{name}:{}: guard {}: the id is used twice",
                g.line, g.id
            ));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors.join("\n"))
    }
}

/// The default guard-rails.
pub fn defaults() -> Vec<Guard> {
    load("guards.yaml", DEFAULT_GUARDS).expect("the default guard-rails load")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load_with_lines() {
        let g = defaults();
        assert_eq!(g.len(), 8);
        assert!(g.iter().all(|g| g.line > 0));
        assert!(
            matches!(g.last().unwrap().rail, Rail::KeepBodies(ref k) if k == &[IdentityKind::Human])
        );
        let first_line = DEFAULT_GUARDS.lines().nth(g[0].line as usize - 1).unwrap();
        assert!(
            first_line.contains("id: exec-attach-visible"),
            "{first_line}"
        );
    }

    #[test]
    fn errors_name_file_line_and_guard() {
        let e = load(
            "mine.yaml",
            "guards:\n  - id: a\n    resources: [secrets]\n    level: Loud\n  - id: b\n    kinds: [robots]\n    resources: [pods]\n",
        )
        .unwrap_err();
        assert!(e.contains("mine.yaml:2: guard a: level \"Loud\""), "{e}");
        assert!(e.contains("mine.yaml:5: guard b: kind \"robots\""), "{e}");
        let e = load("mine.yaml", "guards:\n  - id: a\n    resource: [x]\n").unwrap_err();
        assert!(e.starts_with("mine.yaml:3:"), "{e}");
    }
}
