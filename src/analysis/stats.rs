//! Whole-log summary: totals, time span, rates, rejections and top-N tables —
//! what `audit-lens stats` prints and the page's load summary shows.

use super::topn::{top_n, TopDim, TopRow};
use crate::store::{Rejection, Store};
use crate::util::format_rfc3339_micros;
use serde::Serialize;

/// The dimensions `stats` reports, in output order.
pub const STATS_DIMS: [TopDim; 7] = [
    TopDim::User,
    TopDim::Verb,
    TopDim::Resource,
    TopDim::Namespace,
    TopDim::Code,
    TopDim::UserAgent,
    TopDim::SourceIp,
];

/// A summary of a loaded store. Serialises to the `stats --json` shape.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub files: Vec<FileStats>,
    pub events: u64,
    pub rejected: u64,
    pub records: u64,
    /// First and last `requestReceivedTimestamp`, RFC 3339 (null when empty).
    pub first: Option<String>,
    pub last: Option<String>,
    pub span_seconds: f64,
    pub events_per_second: f64,
    /// Log bytes (event sizes) per hour of log time.
    pub bytes_per_hour: f64,
    pub event_bytes: u64,
    pub request_object_bytes: u64,
    pub response_object_bytes: u64,
    /// Distinct audit IDs.
    pub requests: u64,
    pub store_bytes_per_event: f64,
    /// The first rejections (file name, line, reason).
    pub rejections: Vec<RejectionOut>,
    /// Top values per dimension, keyed by `TopDim::json_key`.
    pub top: std::collections::BTreeMap<String, Vec<TopRow>>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileStats {
    pub name: String,
    pub bytes: u64,
    pub decoded_bytes: u64,
    pub gzip: bool,
    pub format: String,
    pub events: u64,
    pub rejected: u64,
    pub wrappers: Vec<(String, u64)>,
    /// Valid records that are no Kubernetes audit events (skipped), by kind.
    pub skipped_kinds: Vec<(String, u64)>,
    pub diagnosis: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RejectionOut {
    pub file: String,
    pub line: u64,
    pub offset: u64,
    pub reason: String,
}

impl RejectionOut {
    pub fn new(s: &Store, r: &Rejection) -> Self {
        RejectionOut {
            file: s.files[r.file as usize].name.clone(),
            line: r.line,
            offset: r.offset,
            reason: r.reason.clone(),
        }
    }
}

/// Computes the summary of a finalized store, with `top` rows per dimension and the first
/// `max_rejections` rejections.
pub fn stats(s: &Store, top: usize, max_rejections: usize) -> Stats {
    let (events, rejected, records) = s.totals();
    let ts = s.received_col();
    let (first, last) = (ts.iter().min().copied(), ts.iter().max().copied());
    let span_us = match (first, last) {
        (Some(a), Some(b)) => (b - a) as f64,
        _ => 0.0,
    };
    let mut event_bytes = 0u64;
    let mut req = 0u64;
    let mut resp = 0u64;
    for r in 0..s.len() {
        event_bytes += s.event_size(r) as u64;
        req += s.request_object_size(r) as u64;
        resp += s.response_object_size(r) as u64;
    }
    let span_s = span_us / 1e6;
    let mut requests: Vec<(bool, u128)> = (0..s.len()).map(|r| s.audit_key(r)).collect();
    requests.sort_unstable();
    requests.dedup();
    Stats {
        files: s
            .files
            .iter()
            .map(|f| FileStats {
                name: f.name.clone(),
                bytes: f.bytes,
                decoded_bytes: f.decoded_bytes,
                gzip: f.gzip,
                format: format!("{:?}", f.format),
                events: f.events,
                rejected: f.rejected,
                wrappers: f.wrappers.clone(),
                skipped_kinds: f.skipped_kinds.clone(),
                diagnosis: f.diagnosis.clone(),
            })
            .collect(),
        events,
        rejected,
        records,
        first: first.map(format_rfc3339_micros),
        last: last.map(format_rfc3339_micros),
        span_seconds: span_s,
        events_per_second: if span_s > 0.0 {
            events as f64 / span_s
        } else {
            0.0
        },
        bytes_per_hour: if span_s > 0.0 {
            event_bytes as f64 / span_s * 3600.0
        } else {
            0.0
        },
        event_bytes,
        request_object_bytes: req,
        response_object_bytes: resp,
        requests: requests.len() as u64,
        store_bytes_per_event: s.memory_use().per_event_total(),
        rejections: s
            .rejections
            .iter()
            .take(max_rejections)
            .map(|r| RejectionOut::new(s, r))
            .collect(),
        top: STATS_DIMS
            .iter()
            .map(|d| (d.json_key().to_string(), top_n(s, *d, None, top)))
            .collect(),
    }
}
