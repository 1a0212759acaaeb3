//! Completion for the filter input: field names, then the most frequent values of the
//! field being typed.

use super::body::{body_prefix, PathSet};
use super::parse::{field_by_name, Field, FIELDS};
use crate::analysis::topn::{top_n, TopDim};
use crate::store::Store;
use serde::{Deserialize, Serialize};

/// One suggestion: replace `text[start..end]` with `insert`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub insert: String,
    pub label: String,
    /// Help text or the value's event count.
    pub detail: String,
}

/// Suggestions and the byte range they replace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Completion {
    pub start: usize,
    pub end: usize,
    pub items: Vec<Suggestion>,
}

fn dim_of(f: Field) -> Option<TopDim> {
    Some(match f {
        Field::User => TopDim::User,
        Field::Verb => TopDim::Verb,
        Field::Resource => TopDim::Resource,
        Field::Namespace => TopDim::Namespace,
        Field::Code => TopDim::Code,
        Field::Stage => TopDim::Stage,
        Field::Level => TopDim::Level,
        Field::Ip => TopDim::SourceIp,
        Field::Agent => TopDim::UserAgent,
        Field::Decision => TopDim::Decision,
        Field::Impersonated => TopDim::ImpersonatedUser,
        _ => return None,
    })
}

fn quote(v: &str) -> String {
    if v.contains(|c: char| c.is_whitespace() || c == ',' || c == '"') {
        format!("\"{}\"", v.replace('"', "\\\""))
    } else {
        v.to_string()
    }
}

/// Where the token ending at `cursor` is a body path still being typed (`req.spec.co`,
/// no `:` yet): the byte range of the path (prefix included).
pub fn body_path_at(text: &str, cursor: usize) -> Option<(usize, usize)> {
    let cursor = cursor.min(text.len());
    if !text.is_char_boundary(cursor) {
        return None;
    }
    let start = text[..cursor]
        .rfind(|c: char| c.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    let token = &text[start..cursor];
    let body = token.trim_start_matches('-');
    let bs = start + (token.len() - body.len());
    (body_prefix(body).is_some() && !body.contains(':')).then_some((bs, cursor))
}

/// Completes a body path from the paths seen in the loaded bodies (`paths`).
pub fn complete_path(paths: &PathSet, text: &str, cursor: usize, max: usize) -> Completion {
    let Some((start, end)) = body_path_at(text, cursor) else {
        return Completion::default();
    };
    let typed = &text[start..end];
    let items = paths
        .starting_with(typed, max)
        .into_iter()
        .map(|(p, n)| Suggestion {
            insert: format!("{p}:"),
            label: p,
            detail: format!("in {n} of {} bodies read", paths.bodies),
        })
        .collect();
    Completion { start, end, items }
}

/// Completes the token that ends at `cursor` (a byte offset into `text`).
pub fn complete(s: &Store, text: &str, cursor: usize, max: usize) -> Completion {
    let cursor = cursor.min(text.len());
    let start = text[..cursor]
        // ASCII whitespace, as the parser splits terms (so `i + 1` is a char boundary:
        // U+2001 or a pasted U+00A0 is part of a term, not a separator).
        .rfind(|c: char| c.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    let token = &text[start..cursor];
    let neg = token.starts_with('-');
    let body = token.trim_start_matches('-');
    let body_start = start + (token.len() - body.len());
    match body.split_once(':') {
        None => {
            let lower = body.to_ascii_lowercase();
            let sign = if neg { "-" } else { "" };
            let mut items: Vec<Suggestion> = [
                (
                    "req.",
                    "a field of the request body: req.spec.hostNetwork:true",
                ),
                (
                    "resp.",
                    "a field of the response body: resp.status.reason:*",
                ),
            ]
            .iter()
            .filter(|(p, _)| !lower.is_empty() && p.starts_with(&lower))
            .map(|(p, help)| Suggestion {
                insert: format!("{sign}{p}"),
                label: p.to_string(),
                detail: help.to_string(),
            })
            .collect();
            items.extend(
                FIELDS
                    .iter()
                    .filter(|(_, names, _)| {
                        names
                            .iter()
                            .any(|n| n.starts_with(&body.to_ascii_lowercase()))
                    })
                    .map(|(_, names, help)| Suggestion {
                        insert: format!("{sign}{}:", names[0]),
                        label: format!("{}:", names[0]),
                        detail: help.to_string(),
                    }),
            );
            items.truncate(max);
            Completion {
                start,
                end: cursor,
                items,
            }
        }
        Some((name, partial)) => {
            let Some(field) = field_by_name(name) else {
                return Completion::default();
            };
            let vstart = body_start + name.len() + 1;
            // Complete only the last alternative after a comma.
            let (prefix_start, partial) = match partial.rfind(',') {
                Some(k) => (vstart + k + 1, &partial[k + 1..]),
                None => (vstart, partial),
            };
            let items = match dim_of(field) {
                Some(d) => {
                    let p = partial.trim_matches('"').to_ascii_lowercase();
                    top_n(s, d, None, 10_000)
                        .into_iter()
                        .filter(|r| {
                            !r.value.starts_with('(') && r.value.to_ascii_lowercase().contains(&p)
                        })
                        .take(max)
                        .map(|r| Suggestion {
                            insert: quote(&r.value),
                            label: r.value,
                            detail: format!("{} events", r.events),
                        })
                        .collect()
                }
                None => match field {
                    Field::Code => ["2xx", "3xx", "4xx", "5xx", ">=400", "403", "404", "409"]
                        .iter()
                        .filter(|v| v.starts_with(partial))
                        .map(|v| Suggestion {
                            insert: v.to_string(),
                            label: v.to_string(),
                            detail: String::new(),
                        })
                        .collect(),
                    Field::Fact => crate::ingest::facts::FACT_NAMES
                        .iter()
                        .filter(|(_, n)| {
                            n.to_ascii_lowercase()
                                .starts_with(&partial.to_ascii_lowercase())
                        })
                        .take(max)
                        .map(|(b, n)| Suggestion {
                            insert: n.to_string(),
                            label: n.to_string(),
                            detail: format!(
                                "{} events",
                                (0..s.len()).filter(|&r| s.fact_bits(r) & b != 0).count()
                            ),
                        })
                        .collect(),
                    Field::Latency => [">1s", ">10s", ">1m", "<10ms"]
                        .iter()
                        .map(|v| Suggestion {
                            insert: v.to_string(),
                            label: v.to_string(),
                            detail: String::new(),
                        })
                        .collect(),
                    _ => Vec::new(),
                },
            };
            Completion {
                start: prefix_start,
                end: cursor,
                items,
            }
        }
    }
}
