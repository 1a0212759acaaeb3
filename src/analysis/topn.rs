//! Top-N: which values of a dimension produce the most events and bytes.
//!
//! Counts by interned id into dense arrays (no hashing per event); labels are resolved
//! only for the winners. Ties are broken by label so output is deterministic.

use crate::store::{Dim, Store};
use serde::{Deserialize, Serialize};

/// Dimensions available for top-N and stacking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TopDim {
    User,
    Verb,
    /// `resource[.group][/subresource]`, e.g. `pods/exec`, `deployments.apps`.
    Resource,
    Namespace,
    Code,
    UserAgent,
    /// The first (client) source IP.
    SourceIp,
    Stage,
    Level,
    Decision,
    ImpersonatedUser,
}

impl TopDim {
    /// The key used in `stats --json` output.
    pub fn json_key(self) -> &'static str {
        match self {
            TopDim::User => "user",
            TopDim::Verb => "verb",
            TopDim::Resource => "resource",
            TopDim::Namespace => "namespace",
            TopDim::Code => "code",
            TopDim::UserAgent => "userAgent",
            TopDim::SourceIp => "sourceIP",
            TopDim::Stage => "stage",
            TopDim::Level => "level",
            TopDim::Decision => "decision",
            TopDim::ImpersonatedUser => "impersonatedUser",
        }
    }
}

/// One row of a top-N table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopRow {
    pub value: String,
    pub events: u64,
    /// Sum of the events' sizes in the log.
    pub bytes: u64,
}

/// Label of the empty value of a dimension.
fn empty_label(d: TopDim) -> &'static str {
    match d {
        TopDim::Resource => "(non-resource)",
        TopDim::Namespace => "(cluster-scoped)",
        TopDim::Code => "(none)",
        TopDim::ImpersonatedUser => "(not impersonated)",
        _ => "(none)",
    }
}

/// A key of `row` in dimension `d` (an id whose meaning depends on `d`). Dense for every
/// dimension but resources, whose key packs three full 32-bit ids (resource, group,
/// subresource: no field can overflow into another, review §3.4).
#[inline]
pub fn key(s: &Store, d: TopDim, row: usize) -> u128 {
    match d {
        TopDim::User => s.sym(Dim::User, row) as u128,
        TopDim::Verb => s.sym(Dim::Verb, row) as u128,
        TopDim::Resource => {
            (s.sym(Dim::Resource, row) as u128) << 64
                | (s.sym(Dim::ApiGroup, row) as u128) << 32
                | s.sym(Dim::Subresource, row) as u128
        }
        TopDim::Namespace => s.sym(Dim::Namespace, row) as u128,
        TopDim::Code => s.code(row) as u128,
        TopDim::UserAgent => s.sym(Dim::UserAgent, row) as u128,
        TopDim::SourceIp => s.source_ips_id(row) as u128,
        TopDim::Stage => s.stage_byte(row) as u128,
        TopDim::Level => s.level_byte(row) as u128,
        TopDim::Decision => s.sym(Dim::Decision, row) as u128,
        TopDim::ImpersonatedUser => s.sym(Dim::ImpersonatedUser, row) as u128,
    }
}

/// The human label of key `k` (as produced by [`key`] for some row).
pub fn label(s: &Store, d: TopDim, k: u128) -> String {
    let l = match d {
        TopDim::User => s.dict.user.get(k as u32).to_string(),
        TopDim::Verb => s.dict.verb.get(k as u32).to_string(),
        TopDim::Resource => {
            let res = s.dict.resource.get((k >> 64) as u32);
            let grp = s.dict.api_group.get((k >> 32) as u32);
            let sub = s.dict.subresource.get(k as u32);
            let mut l = res.to_string();
            if !grp.is_empty() {
                l.push('.');
                l.push_str(grp);
            }
            if !sub.is_empty() {
                l.push('/');
                l.push_str(sub);
            }
            l
        }
        TopDim::Namespace => s.dict.namespace.get(k as u32).to_string(),
        TopDim::Code => {
            if k == 0 {
                String::new()
            } else {
                k.to_string()
            }
        }
        TopDim::UserAgent => s.dict.user_agent.get(k as u32).to_string(),
        TopDim::SourceIp => s
            .dict
            .source_ips
            .members_of(k as u32)
            .next()
            .unwrap_or("")
            .to_string(),
        TopDim::Stage => crate::audit::Stage::ALL
            .get(k as usize)
            .map_or("", |x| x.as_str())
            .to_string(),
        TopDim::Level => crate::audit::Level::ALL
            .get(k as usize)
            .map_or("", |x| x.as_str())
            .to_string(),
        TopDim::Decision => s.dict.decision.get(k as u32).to_string(),
        TopDim::ImpersonatedUser => s.dict.impersonated_user.get(k as u32).to_string(),
    };
    if l.is_empty() {
        empty_label(d).to_string()
    } else {
        l
    }
}

/// Size of the dense key space of `d` (keys are below it), when it is small enough to
/// count in an array; `None` for packed keys (resources).
pub fn key_space(s: &Store, d: TopDim) -> Option<usize> {
    Some(match d {
        TopDim::User => s.dict.user.len(),
        TopDim::Verb => s.dict.verb.len(),
        TopDim::Namespace => s.dict.namespace.len(),
        TopDim::UserAgent => s.dict.user_agent.len(),
        TopDim::Decision => s.dict.decision.len(),
        TopDim::ImpersonatedUser => s.dict.impersonated_user.len(),
        TopDim::SourceIp => s.dict.source_ips.members.len(),
        TopDim::Code => 65_536,
        TopDim::Stage | TopDim::Level => 256,
        TopDim::Resource => return None,
    })
}

/// What a top-N table is ordered by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TopSort {
    /// Most events first.
    #[default]
    Events,
    /// Most bytes (the events' sizes in the log) first.
    Bytes,
}

impl TopSort {
    /// The word used in the page's hook (`data-sort`), the URL hash and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            TopSort::Events => "events",
            TopSort::Bytes => "bytes",
        }
    }
    /// [`TopSort::as_str`] back.
    pub fn parse(s: &str) -> Option<TopSort> {
        match s {
            "events" => Some(TopSort::Events),
            "bytes" => Some(TopSort::Bytes),
            _ => None,
        }
    }
}

/// Orders `rows` by `by` (largest first; ties: the other metric, then label).
pub fn sort_rows(rows: &mut [TopRow], by: TopSort) {
    rows.sort_by(|a, b| {
        let (ka, kb) = match by {
            TopSort::Events => ((a.events, a.bytes), (b.events, b.bytes)),
            TopSort::Bytes => ((a.bytes, a.events), (b.bytes, b.events)),
        };
        kb.cmp(&ka).then_with(|| a.value.cmp(&b.value))
    });
}

/// Counts events and bytes per value of `d` over `rows` (all rows when `None`) and returns
/// the `n` largest by events (ties: by label), merging keys that share a label.
pub fn top_n(s: &Store, d: TopDim, rows: Option<&[u32]>, n: usize) -> Vec<TopRow> {
    let mut out = all_values(s, d, rows);
    out.sort_by(|a, b| b.events.cmp(&a.events).then_with(|| a.value.cmp(&b.value)));
    out.truncate(n);
    out
}

/// [`top_n`] ordered by `by`: with [`TopSort::Bytes`], the `n` values whose events take
/// the most bytes (ties: events, then label).
pub fn top_n_by(s: &Store, d: TopDim, rows: Option<&[u32]>, n: usize, by: TopSort) -> Vec<TopRow> {
    let mut out = all_values(s, d, rows);
    sort_rows(&mut out, by);
    out.truncate(n);
    out
}

/// The `n` largest values by events and the `n` largest by bytes, from one count.
pub fn top_n_both(
    s: &Store,
    d: TopDim,
    rows: Option<&[u32]>,
    n: usize,
) -> (Vec<TopRow>, Vec<TopRow>) {
    let mut by_events = all_values(s, d, rows);
    let mut by_bytes = by_events.clone();
    by_events.sort_by(|a, b| b.events.cmp(&a.events).then_with(|| a.value.cmp(&b.value)));
    by_events.truncate(n);
    sort_rows(&mut by_bytes, TopSort::Bytes);
    by_bytes.truncate(n);
    (by_events, by_bytes)
}

/// Every value of `d` over `rows` with its events and bytes, in label order.
fn all_values(s: &Store, d: TopDim, rows: Option<&[u32]>) -> Vec<TopRow> {
    let mut acc: std::collections::HashMap<u128, (u64, u64)> = std::collections::HashMap::new();
    match key_space(s, d) {
        // Fast path: dense ids count into an array (no hashing per event).
        Some(n) => {
            let mut dense = vec![(0u64, 0u64); n];
            let mut add = |r: usize| {
                let e = &mut dense[key(s, d, r) as usize];
                e.0 += 1;
                e.1 += s.event_size(r) as u64;
            };
            match rows {
                Some(rs) => rs.iter().for_each(|&r| add(r as usize)),
                None => (0..s.len()).for_each(add),
            }
            acc.extend(
                dense
                    .into_iter()
                    .enumerate()
                    .filter(|(_, v)| v.0 > 0)
                    .map(|(k, v)| (k as u128, v)),
            );
        }
        None => {
            let mut add = |r: usize| {
                let e = acc.entry(key(s, d, r)).or_insert((0, 0));
                e.0 += 1;
                e.1 += s.event_size(r) as u64;
            };
            match rows {
                Some(rs) => rs.iter().for_each(|&r| add(r as usize)),
                None => (0..s.len()).for_each(add),
            }
        }
    }
    let mut by_label: std::collections::BTreeMap<String, (u64, u64)> =
        std::collections::BTreeMap::new();
    for (k, (e, b)) in acc {
        let v = by_label.entry(label(s, d, k)).or_insert((0, 0));
        v.0 += e;
        v.1 += b;
    }
    by_label
        .into_iter()
        .map(|(value, (events, bytes))| TopRow {
            value,
            events,
            bytes,
        })
        .collect()
}
