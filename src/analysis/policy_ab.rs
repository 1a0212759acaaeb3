//! Two policies over one log, rule by rule, also when their rule counts differ: for each
//! pair of [`align_rules`](crate::audit::compare::align_rules), the events and bytes
//! that A's rule and B's rule decide, and where the events of A's rule go under B (B's
//! rules, or no rule).
//!
//! Sizes are [`estimate_size`]'s, so every figure here adds up to
//! [`under_policy`](super::volume::under_policy)'s per-rule and total figures for the
//! same evaluations. One pass over the rows, a map keyed by (A's rule, B's rule).

use super::evaluate::Evaluation;
use super::volume::estimate_size;
use crate::audit::compare::{RuleChange, RulePair};
use crate::store::Store;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// At most this many destinations are listed per rule; the rest is summed.
pub const TRANSFER_MAX: usize = 5;

/// What one rule decides over the log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleVolume {
    /// Events the rule matches (first match), written or not.
    pub matched: u64,
    /// Of those, the events it writes (level above None, stage not omitted).
    pub events: u64,
    /// Their estimated bytes.
    pub bytes: u64,
}

/// Where events of one A rule go in B.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transfer {
    /// B's rule that decides them (`None`: no rule of B matches, so level None).
    pub to: Option<usize>,
    /// Events (matched by the A rule and by `to`).
    pub events: u64,
    /// Their bytes as A writes them, and as B writes them.
    pub a_bytes: u64,
    pub b_bytes: u64,
}

/// One aligned pair with its volumes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PairVolume {
    pub a: Option<usize>,
    pub b: Option<usize>,
    pub change: RuleChange,
    /// What A's rule decides (zero when `a` is `None`).
    pub a_volume: RuleVolume,
    /// What B's rule decides (zero when `b` is `None`).
    pub b_volume: RuleVolume,
    /// Where the events A's rule matches go in B, most events first (at most
    /// [`TRANSFER_MAX`]; `rest` sums the others). Empty when `a` is `None`.
    pub transfer: Vec<Transfer>,
    /// The destinations left out of `transfer`, summed (`to` is `None` and meaningless).
    pub rest: Transfer,
}

/// The comparison of two policies over a log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyAb {
    /// In the order of the alignment.
    pub pairs: Vec<PairVolume>,
    /// Events no rule of A matches, and where they go in B (all destinations).
    pub from_no_rule: Vec<Transfer>,
    /// Totals written: (events, bytes) under A and under B.
    pub a_total: (u64, u64),
    pub b_total: (u64, u64),
}

/// Per (A rule, B rule) cell: matched events, kept under A, bytes A, kept under B, bytes B.
#[derive(Clone, Copy, Default)]
struct Cell {
    matched: u64,
    a_events: u64,
    a_bytes: u64,
    b_events: u64,
    b_bytes: u64,
}

/// A rule index or no rule, as a map key.
fn slot(r: Option<usize>) -> u32 {
    r.map_or(u32::MAX, |i| i as u32)
}

fn unslot(k: u32) -> Option<usize> {
    (k != u32::MAX).then_some(k as usize)
}

/// Compares the policies whose evaluations over `s` are `a` and `b`, along `pairs`
/// (from [`align_rules`](crate::audit::compare::align_rules) of the same two policies).
pub fn compare_volumes(s: &Store, a: &Evaluation, b: &Evaluation, pairs: &[RulePair]) -> PolicyAb {
    let mut cells: HashMap<(u32, u32), Cell> = HashMap::new();
    for r in 0..s.len() {
        let (da, db) = (a.decision(r), b.decision(r));
        let stage = s.stage(r);
        let sa = estimate_size(
            s,
            r,
            da.level,
            stage.is_some_and(|st| da.omit_stages.contains(st)),
        )
        .bytes;
        let sb = estimate_size(
            s,
            r,
            db.level,
            stage.is_some_and(|st| db.omit_stages.contains(st)),
        )
        .bytes;
        let c = cells.entry((slot(da.rule), slot(db.rule))).or_default();
        c.matched += 1;
        c.a_events += (sa > 0) as u64;
        c.a_bytes += sa;
        c.b_events += (sb > 0) as u64;
        c.b_bytes += sb;
    }
    let mut by_a: HashMap<u32, Vec<Transfer>> = HashMap::new();
    let mut a_vol: HashMap<u32, RuleVolume> = HashMap::new();
    let mut b_vol: HashMap<u32, RuleVolume> = HashMap::new();
    let (mut a_total, mut b_total) = ((0, 0), (0, 0));
    for (&(ka, kb), c) in &cells {
        let va = a_vol.entry(ka).or_default();
        va.matched += c.matched;
        va.events += c.a_events;
        va.bytes += c.a_bytes;
        let vb = b_vol.entry(kb).or_default();
        vb.matched += c.matched;
        vb.events += c.b_events;
        vb.bytes += c.b_bytes;
        a_total.0 += c.a_events;
        a_total.1 += c.a_bytes;
        b_total.0 += c.b_events;
        b_total.1 += c.b_bytes;
        by_a.entry(ka).or_default().push(Transfer {
            to: unslot(kb),
            events: c.matched,
            a_bytes: c.a_bytes,
            b_bytes: c.b_bytes,
        });
    }
    for v in by_a.values_mut() {
        // Most events first; ties by B's order, "no rule" last.
        v.sort_by(|x, y| y.events.cmp(&x.events).then(slot(x.to).cmp(&slot(y.to))));
    }
    let pairs = pairs
        .iter()
        .map(|p| {
            let mut transfer =
                p.a.and_then(|i| by_a.get(&(i as u32)).cloned())
                    .unwrap_or_default();
            let mut rest = Transfer::default();
            for t in transfer.iter().skip(TRANSFER_MAX) {
                rest.events += t.events;
                rest.a_bytes += t.a_bytes;
                rest.b_bytes += t.b_bytes;
            }
            transfer.truncate(TRANSFER_MAX);
            PairVolume {
                a: p.a,
                b: p.b,
                change: p.change.clone(),
                a_volume: p
                    .a
                    .and_then(|i| a_vol.get(&(i as u32)).copied())
                    .unwrap_or_default(),
                b_volume: p
                    .b
                    .and_then(|j| b_vol.get(&(j as u32)).copied())
                    .unwrap_or_default(),
                transfer,
                rest,
            }
        })
        .collect();
    PolicyAb {
        pairs,
        from_no_rule: by_a.remove(&u32::MAX).unwrap_or_default(),
        a_total,
        b_total,
    }
}
