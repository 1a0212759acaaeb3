//! What-if volume and retention: how many events and bytes a policy would write, per rule
//! and in total, per hour and per day, estimated from the sizes measured in a log; and how
//! many hours of history the rotated log files then hold.
//!
//! The estimate of one event under a level: `None` or an omitted stage writes nothing;
//! `Metadata` writes the event without `requestObject`/`responseObject`; `Request` adds the
//! request body; `RequestResponse` adds both. A body that the log did not record (the
//! event was logged at a lower level) cannot be sized: such events count at the size that
//! is known and are reported as lower bounds. A log also cannot show what its own policy
//! dropped: events and stages absent from the log are absent from every estimate.

use super::evaluate::Evaluation;
use crate::audit::eval::CompiledPolicy;
use crate::audit::{Level, Stage};
use crate::store::{Dim, Store, F_REQ_OBJ, F_RESP_OBJ};
use serde::{Deserialize, Serialize};

/// `,"requestObject":` — the bytes a body's key adds besides the body.
const REQ_KEY: u64 = 17;
/// `,"responseObject":`
const RESP_KEY: u64 = 18;

/// The estimated size of one event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Estimate {
    pub bytes: u64,
    /// True when a body that the policy would record was not in the log, so `bytes` is a
    /// lower bound.
    pub lower_bound: bool,
}

fn may_have_request_body(verb: &str) -> bool {
    matches!(
        verb,
        "create" | "update" | "patch" | "delete" | "deletecollection"
    )
}

/// Estimates row `r`'s size if written at `level` (`omitted`: its stage is omitted), its
/// bodies as recorded. Equals [`estimate_size_mf`] without `omitManagedFields`.
pub fn estimate_size(s: &Store, r: usize, level: Level, omitted: bool) -> Estimate {
    estimate_size_mf(s, r, level, omitted, false)
}

/// Row `r`'s recorded size split: (metadata part, request body with its key, response
/// body with its key), each body without its managedFields when `omit_managed_fields`.
fn parts(s: &Store, r: usize, omit_managed_fields: bool) -> (u64, u64, u64) {
    let e = s.event_size(r) as u64;
    let q = s.request_object_size(r) as u64;
    let p = s.response_object_size(r) as u64;
    let qk = if q > 0 { q + REQ_KEY } else { 0 };
    let pk = if p > 0 { p + RESP_KEY } else { 0 };
    let meta = e.saturating_sub(qk + pk);
    if !omit_managed_fields {
        return (meta, qk, pk);
    }
    let (qm, pm) = s.managed_fields_size(r);
    (
        meta,
        qk.saturating_sub(qm as u64),
        pk.saturating_sub(pm as u64),
    )
}

/// [`estimate_size`] under a rule with or without `omitManagedFields`: with it, each kept
/// body loses what kube-apiserver strips ([`Store::managed_fields_size`], measured at
/// ingest on the log's own bytes: the `managedFields` member of the object's, a list's
/// items' or a Table's rows' `metadata`, with one comma). A body the log did not record
/// stays a lower bound, its managedFields unknown.
pub fn estimate_size_mf(
    s: &Store,
    r: usize,
    level: Level,
    omitted: bool,
    omit_managed_fields: bool,
) -> Estimate {
    if omitted || level == Level::None {
        return Estimate::default();
    }
    let (meta, qk, pk) = parts(s, r, omit_managed_fields);
    let recorded = s.level(r).unwrap_or(Level::Metadata);
    let stage = s.stage(r);
    let mut out = Estimate {
        bytes: meta,
        lower_bound: false,
    };
    if level >= Level::Request {
        out.bytes += qk;
        if recorded < Level::Request && may_have_request_body(s.str(Dim::Verb, r)) {
            out.lower_bound = true;
        }
    }
    if level >= Level::RequestResponse {
        out.bytes += pk;
        let body_possible =
            stage == Some(Stage::ResponseComplete) && s.str(Dim::Verb, r) != "watch";
        if recorded < Level::RequestResponse && body_possible {
            out.lower_bound = true;
        }
    }
    out
}

/// Events and bytes a policy (or the log as recorded) keeps.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    /// "as recorded" or the policy's name.
    pub label: String,
    pub events: u64,
    pub bytes: u64,
    /// Events whose size is a lower bound (bodies not in the log).
    pub lower_bound_events: u64,
    pub events_per_hour: f64,
    pub bytes_per_hour: f64,
    pub bytes_per_day: f64,
    /// Per rule (empty for "as recorded"): (events, bytes).
    pub per_rule: Vec<(u64, u64)>,
    /// Kept by no rule (no match: None) — always 0 kept; kept for symmetry of tables.
    pub unmatched_events: u64,
}

/// Log time span in hours (at least one microsecond).
pub fn span_hours(s: &Store) -> f64 {
    let ts = s.received_col();
    match (ts.iter().min(), ts.iter().max()) {
        (Some(a), Some(b)) if b > a => (b - a) as f64 / 3.6e9,
        _ => 1.0 / 3.6e9,
    }
}

fn finish(mut v: Volume, hours: f64) -> Volume {
    v.events_per_hour = v.events as f64 / hours;
    v.bytes_per_hour = v.bytes as f64 / hours;
    v.bytes_per_day = v.bytes_per_hour * 24.0;
    v
}

/// The log as it was recorded.
pub fn as_recorded(s: &Store) -> Volume {
    let bytes = (0..s.len()).map(|r| s.event_size(r) as u64).sum();
    finish(
        Volume {
            label: "as recorded".into(),
            events: s.len() as u64,
            bytes,
            ..Default::default()
        },
        span_hours(s),
    )
}

/// What policy `p` (evaluated as `ev`) would keep of this log.
pub fn under_policy(s: &Store, p: &CompiledPolicy, ev: &Evaluation, label: &str) -> Volume {
    let mut v = Volume {
        label: label.to_string(),
        per_rule: vec![(0, 0); p.rule_count()],
        ..Default::default()
    };
    for r in 0..s.len() {
        let d = ev.decision(r);
        let omitted = s.stage(r).is_some_and(|st| d.omit_stages.contains(st));
        let est = estimate_size_mf(s, r, d.level, omitted, d.omit_managed_fields);
        if est.bytes == 0 {
            if d.rule.is_none() {
                v.unmatched_events += 1;
            }
            continue;
        }
        v.events += 1;
        v.bytes += est.bytes;
        v.lower_bound_events += est.lower_bound as u64;
        if let Some(i) = d.rule {
            v.per_rule[i].0 += 1;
            v.per_rule[i].1 += est.bytes;
        }
    }
    finish(v, span_hours(s))
}

/// What a policy keeps of this log, how much of it is bodies, and how much of those
/// bodies is `managedFields` — what `omitManagedFields` would still save.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BodyShares {
    /// Bytes the policy keeps (as [`under_policy`] counts them).
    pub kept_bytes: u64,
    /// Of `kept_bytes`: the kept `requestObject`/`responseObject` members (key and body,
    /// what lowering them to Metadata would remove).
    pub body_bytes: u64,
    /// Of `body_bytes`: the managedFields those kept bodies still carry (0 under rules
    /// with `omitManagedFields`, which already strip them).
    pub managed_fields_bytes: u64,
}

/// [`BodyShares`] of the policy evaluated as `ev`.
pub fn body_shares(s: &Store, ev: &Evaluation) -> BodyShares {
    let mut out = BodyShares::default();
    for r in 0..s.len() {
        let d = ev.decision(r);
        let omitted = s.stage(r).is_some_and(|st| d.omit_stages.contains(st));
        if omitted || d.level == Level::None {
            continue;
        }
        let (meta, qk, pk) = parts(s, r, d.omit_managed_fields);
        let (qm, pm) = if d.omit_managed_fields {
            (0, 0)
        } else {
            s.managed_fields_size(r)
        };
        out.kept_bytes += meta;
        if d.level >= Level::Request && qk > 0 {
            out.kept_bytes += qk;
            out.body_bytes += qk;
            out.managed_fields_bytes += qm as u64;
        }
        if d.level >= Level::RequestResponse && pk > 0 {
            out.kept_bytes += pk;
            out.body_bytes += pk;
            out.managed_fields_bytes += pm as u64;
        }
    }
    out
}

/// Per-actor difference between two volumes.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ActorDelta {
    pub user: String,
    pub baseline_bytes: u64,
    pub candidate_bytes: u64,
}

/// The A/B comparison.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WhatIf {
    pub baseline: Volume,
    pub candidate: Volume,
    /// Users whose kept bytes change most, largest change first (top 10).
    pub actors: Vec<ActorDelta>,
    /// Plain statements of what cannot be estimated from this log.
    pub caveats: Vec<String>,
}

/// Compares `candidate` with `baseline` (a policy, or the log as recorded when `None`).
pub fn what_if(
    s: &Store,
    candidate: (&CompiledPolicy, &Evaluation, &str),
    baseline: Option<(&CompiledPolicy, &Evaluation, &str)>,
) -> WhatIf {
    let cand = under_policy(s, candidate.0, candidate.1, candidate.2);
    let base = match baseline {
        Some((p, e, l)) => under_policy(s, p, e, l),
        None => as_recorded(s),
    };
    let size_under = |r: usize, pe: Option<(&CompiledPolicy, &Evaluation, &str)>| -> u64 {
        match pe {
            None => s.event_size(r) as u64,
            Some((_, e, _)) => {
                let d = e.decision(r);
                let omitted = s.stage(r).is_some_and(|st| d.omit_stages.contains(st));
                estimate_size_mf(s, r, d.level, omitted, d.omit_managed_fields).bytes
            }
        }
    };
    let mut per_user: std::collections::HashMap<u32, (u64, u64)> = std::collections::HashMap::new();
    for r in 0..s.len() {
        let e = per_user.entry(s.sym(Dim::User, r)).or_default();
        e.0 += size_under(r, baseline);
        e.1 += size_under(r, Some(candidate));
    }
    let mut actors: Vec<ActorDelta> = per_user
        .into_iter()
        .map(|(u, (b, c))| ActorDelta {
            user: s.dict.user.get(u).to_string(),
            baseline_bytes: b,
            candidate_bytes: c,
        })
        .collect();
    actors.sort_by(|a, b| {
        let da = a.baseline_bytes.abs_diff(a.candidate_bytes);
        let db = b.baseline_bytes.abs_diff(b.candidate_bytes);
        db.cmp(&da).then_with(|| a.user.cmp(&b.user))
    });
    actors.truncate(10);
    let mut caveats = vec![
        "A log cannot show what its own policy dropped: requests and stages absent from this log are absent from every estimate.".to_string(),
    ];
    if cand.lower_bound_events > 0 || base.lower_bound_events > 0 {
        caveats.push(format!(
            "{} events would be recorded with bodies this log does not hold (it was written at a lower level); their sizes are lower bounds.",
            cand.lower_bound_events.max(base.lower_bound_events)
        ));
    }
    let has_rr = (0..s.len()).any(|r| s.stage(r) == Some(Stage::RequestReceived));
    let keeps_rr = |p: &CompiledPolicy| {
        (0..p.rule_count()).any(|i| !p.rule_omit_stages(i).contains(Stage::RequestReceived))
    };
    if !has_rr && keeps_rr(candidate.0) {
        caveats.push("The log has no RequestReceived events, but the policy would write them for some rules: those events are not counted.".into());
    }
    let omits_mf = |p: &CompiledPolicy| {
        p.policy().omit_managed_fields
            || p.policy()
                .rules
                .iter()
                .any(|r| r.omit_managed_fields == Some(true))
    };
    if omits_mf(candidate.0) || baseline.is_some_and(|b| omits_mf(b.0)) {
        // The saving is measured on the bodies the log holds; what it cannot show:
        let bodies = (0..s.len()).any(|r| s.flags(r) & (F_REQ_OBJ | F_RESP_OBJ) != 0);
        let with_mf = (0..s.len()).any(|r| s.managed_fields_size(r) != (0, 0));
        if !bodies {
            caveats.push("omitManagedFields: this log holds no request or response bodies, so what it would remove from them cannot be measured.".into());
        } else if !with_mf {
            caveats.push("omitManagedFields: no body in this log holds managedFields (it was written with omitManagedFields, or its objects have none), so it removes nothing here.".into());
        }
        if cand.lower_bound_events > 0 || base.lower_bound_events > 0 {
            caveats.push("omitManagedFields is measured on the bodies this log holds; bodies it would record that the log does not hold are lower bounds, their managedFields unknown.".into());
        }
    }
    WhatIf {
        baseline: base,
        candidate: cand,
        actors,
        caveats,
    }
}

/// kube-apiserver's log backend flags (lumberjack rotation).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RotationFlags {
    /// `--audit-log-maxsize` in MB; 0 means lumberjack's default of 100 MB.
    pub max_size_mb: u64,
    /// `--audit-log-maxbackup`; 0 keeps every old file (subject to max age).
    pub max_backup: u64,
    /// `--audit-log-maxage` in days; 0 never deletes by age.
    pub max_age_days: u64,
}

impl Default for RotationFlags {
    /// kube-apiserver's defaults: all three flags 0.
    fn default() -> Self {
        RotationFlags {
            max_size_mb: 0,
            max_backup: 0,
            max_age_days: 0,
        }
    }
}

/// How much history the rotated files hold at a given write rate.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Retention {
    /// Hours of history on disk right after a rotation (the minimum), and just before the
    /// next one (the maximum). `None` = unbounded (disk fills up).
    pub min_hours: Option<f64>,
    pub max_hours: Option<f64>,
    /// Disk used at most, in bytes (`None` = unbounded).
    pub max_disk_bytes: Option<u64>,
    /// What limits history: "size", "age" or "nothing".
    pub limited_by: String,
}

/// Retention of a log written at `bytes_per_hour` under `f`.
pub fn retention(bytes_per_hour: f64, f: RotationFlags) -> Retention {
    let size = if f.max_size_mb == 0 {
        100
    } else {
        f.max_size_mb
    } as f64
        * 1024.0
        * 1024.0;
    let age_h = if f.max_age_days == 0 {
        None
    } else {
        Some(f.max_age_days as f64 * 24.0)
    };
    let by_size = if f.max_backup == 0 || bytes_per_hour <= 0.0 {
        None
    } else {
        let backups = f.max_backup as f64 * size;
        Some((backups / bytes_per_hour, (backups + size) / bytes_per_hour))
    };
    let (min, max, limited) = match (by_size, age_h) {
        (None, None) => (None, None, "nothing"),
        (Some((a, b)), None) => (Some(a), Some(b), "size"),
        (None, Some(h)) => (Some(h), Some(h), "age"),
        (Some((a, b)), Some(h)) => {
            if h < a {
                (Some(h), Some(h), "age")
            } else {
                (Some(a), Some(b.min(h)), "size")
            }
        }
    };
    let max_disk = if f.max_backup == 0 {
        None
    } else {
        Some(((f.max_backup + 1) as f64 * size) as u64)
    };
    Retention {
        min_hours: min,
        max_hours: max,
        max_disk_bytes: max_disk,
        limited_by: limited.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_table() {
        let mb = 1024.0 * 1024.0;
        // 100 MB files, 10 backups, 50 MB/hour: 20 h after rotation, 22 h before the next.
        let r = retention(
            50.0 * mb,
            RotationFlags {
                max_size_mb: 100,
                max_backup: 10,
                max_age_days: 0,
            },
        );
        assert_eq!(
            (r.min_hours, r.max_hours, r.limited_by.as_str()),
            (Some(20.0), Some(22.0), "size")
        );
        assert_eq!(r.max_disk_bytes, Some((11.0 * 100.0 * mb) as u64));
        // maxsize 0 means lumberjack's 100 MB.
        let r0 = retention(
            50.0 * mb,
            RotationFlags {
                max_size_mb: 0,
                max_backup: 10,
                max_age_days: 0,
            },
        );
        assert_eq!(r0.min_hours, Some(20.0));
        // Age limits first.
        let r = retention(
            1.0 * mb,
            RotationFlags {
                max_size_mb: 100,
                max_backup: 10,
                max_age_days: 2,
            },
        );
        assert_eq!((r.min_hours, r.limited_by.as_str()), (Some(48.0), "age"));
        // Defaults: unbounded.
        let r = retention(1.0 * mb, RotationFlags::default());
        assert_eq!(
            (r.min_hours, r.max_hours, r.limited_by.as_str()),
            (None, None, "nothing")
        );
    }
}
