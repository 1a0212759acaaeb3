//! A policy over a store: the decision for every event, computed once per distinct
//! request-attribute tuple (logs repeat themselves: a million events typically hold a few
//! thousand distinct tuples), so re-evaluating after a policy edit is interactive.
//!
//! Invariants: `AttrIndex::row_tuple[r]` identifies the policy-relevant attributes of row `r`
//! except the object name (names are high-cardinality and only matter to rules with
//! `resourceNames`; such policies are evaluated per (tuple, name) pair instead).

use crate::audit::eval::{CompiledPolicy, Decision};
use crate::store::{Dim, Store};
use std::collections::HashMap;

/// The policy-relevant attributes of a row, as interned ids (name excluded).
type TupleKey = [u32; 8];

/// Distinct attribute tuples of a store. Build once per loaded store.
#[derive(Clone, Debug, Default)]
pub struct AttrIndex {
    /// Per row: index into `reps`.
    pub row_tuple: Vec<u32>,
    /// A representative row of each tuple.
    pub reps: Vec<u32>,
}

impl AttrIndex {
    pub fn build(s: &Store) -> AttrIndex {
        let mut map: HashMap<TupleKey, u32, foldhash::fast::FixedState> = HashMap::default();
        let mut row_tuple = Vec::with_capacity(s.len());
        let mut reps = Vec::new();
        for r in 0..s.len() {
            let res = s.is_resource_request(r);
            let k: TupleKey = [
                s.sym(Dim::User, r),
                s.groups_id(r),
                s.sym(Dim::Verb, r),
                if res {
                    s.sym(Dim::ApiGroup, r)
                } else {
                    u32::MAX
                },
                s.sym(Dim::Resource, r),
                s.sym(Dim::Subresource, r),
                s.sym(Dim::Namespace, r),
                if res { 0 } else { s.sym(Dim::Path, r) },
            ];
            let id = *map.entry(k).or_insert_with(|| {
                reps.push(r as u32);
                (reps.len() - 1) as u32
            });
            row_tuple.push(id);
        }
        AttrIndex { row_tuple, reps }
    }

    /// Number of distinct tuples.
    pub fn tuples(&self) -> usize {
        self.reps.len()
    }
}

/// Every row's decision under one policy.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// Distinct evaluation keys: a representative row and the number of rows with that key.
    pub keys: Vec<(u32, u32)>,
    /// Per key: the policy's decision.
    pub key_decision: Vec<Decision>,
    /// Per row: its key.
    pub row_key: Vec<u32>,
}

impl Evaluation {
    /// The decision for row `r`.
    #[inline]
    pub fn decision(&self, r: usize) -> &Decision {
        &self.key_decision[self.row_key[r] as usize]
    }
}

/// True when any rule restricts by `resourceNames`.
pub fn uses_resource_names(p: &CompiledPolicy) -> bool {
    p.policy()
        .rules
        .iter()
        .any(|r| r.resources.iter().any(|g| !g.resource_names.is_empty()))
}

/// Evaluates `p` over every row of `s`, once per distinct key.
pub fn evaluate(s: &Store, idx: &AttrIndex, p: &CompiledPolicy) -> Evaluation {
    let n = s.len();
    let mut row_key = Vec::with_capacity(n);
    let mut keys: Vec<(u32, u32)> = Vec::new();
    if uses_resource_names(p) {
        let mut map: HashMap<(u32, u32), u32, foldhash::fast::FixedState> = HashMap::default();
        for r in 0..n {
            let k = (idx.row_tuple[r], s.sym(Dim::Name, r));
            let id = *map.entry(k).or_insert_with(|| {
                keys.push((r as u32, 0));
                (keys.len() - 1) as u32
            });
            keys[id as usize].1 += 1;
            row_key.push(id);
        }
    } else {
        keys = idx.reps.iter().map(|&r| (r, 0)).collect();
        for r in 0..n {
            let t = idx.row_tuple[r];
            keys[t as usize].1 += 1;
            row_key.push(t);
        }
    }
    let key_decision = keys
        .iter()
        .map(|&(rep, _)| s.with_attrs(rep as usize, |a| p.evaluate(a)))
        .collect();
    Evaluation {
        keys,
        key_decision,
        row_key,
    }
}
