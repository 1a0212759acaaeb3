//! Timeline binning: event counts over time in bins whose width adapts to the range,
//! stacked by a dimension (top series plus "other"), with a latency histogram per bin
//! for the heat strip and watch-like long-running requests counted apart.
//!
//! Invariants: `bins == counts.len()` for every series; for each bin, the series counts
//! plus `other` equal `totals`; bin `i` covers `[start + i*bin_us, start + (i+1)*bin_us)`.

use super::evaluate::Evaluation;
use super::topn::{key, key_space, label, TopDim};
use crate::store::Store;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What the timeline is stacked by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StackBy {
    None,
    Dim(TopDim),
    /// Response code class (2xx, 3xx, 4xx, 5xx, none).
    CodeClass,
    /// The policy rule deciding each event (needs an evaluation).
    Rule,
}

/// One stacked series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub label: String,
    pub total: u64,
    pub counts: Vec<u32>,
}

/// Latency histogram buckets: bucket `k` holds latencies in `[2^(k-1), 2^k)` µs
/// (bucket 0: under 1 µs); the last bucket is open-ended.
pub const LATENCY_BUCKETS: usize = 34;

/// A binned timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    pub start: i64,
    pub bin_us: i64,
    pub bins: usize,
    pub series: Vec<Series>,
    pub other: Vec<u32>,
    pub totals: Vec<u32>,
    /// Per bin: latency histogram (see [`LATENCY_BUCKETS`]).
    pub latency: Vec<Vec<u32>>,
    /// Per bin: events whose latency exceeds a minute (watches, exec sessions).
    pub long_running: Vec<u32>,
    /// Events counted.
    pub events: u64,
}

/// Nice bin widths in µs, from 1 ms to 30 days.
const WIDTHS: &[i64] = &[
    1_000,
    2_000,
    5_000,
    10_000,
    20_000,
    50_000,
    100_000,
    200_000,
    500_000,
    1_000_000,
    2_000_000,
    5_000_000,
    10_000_000,
    15_000_000,
    30_000_000,
    60_000_000,
    120_000_000,
    300_000_000,
    600_000_000,
    900_000_000,
    1_800_000_000,
    3_600_000_000,
    7_200_000_000,
    10_800_000_000,
    21_600_000_000,
    43_200_000_000,
    86_400_000_000,
    172_800_000_000,
    604_800_000_000,
    2_592_000_000_000,
];

/// The smallest nice width giving at most `target` bins over `span` µs.
pub fn bin_width(span: i64, target: usize) -> i64 {
    let target = target.max(1) as i64;
    WIDTHS
        .iter()
        .copied()
        .find(|w| span / w < target)
        .unwrap_or_else(|| {
            // Spans past `target` × 30 days (a Go zero time `0001-01-01` in a 2026 log):
            // whole multiples of 30 days, so the bins never outnumber the target.
            let month = WIDTHS[WIDTHS.len() - 1];
            (span / target / month + 1) * month
        })
}

/// The latency bucket of `us` microseconds.
#[inline]
pub fn latency_bucket(us: u32) -> usize {
    ((32 - us.leading_zeros()) as usize).min(LATENCY_BUCKETS - 1)
}

/// An approximate percentile (`q` in 0..=1) from a latency histogram: the upper edge of the
/// bucket holding it, in µs. `None` for an empty histogram.
pub fn latency_percentile(hist: &[u32], q: f64) -> Option<u64> {
    let n: u64 = hist.iter().map(|&c| c as u64).sum();
    if n == 0 {
        return None;
    }
    let want = ((n as f64 * q).ceil() as u64).max(1);
    let mut acc = 0u64;
    for (k, &c) in hist.iter().enumerate() {
        acc += c as u64;
        if acc >= want {
            return Some(if k == 0 { 1 } else { 1u64 << k });
        }
    }
    None
}

fn code_class(c: u16) -> u64 {
    if c == 0 {
        0
    } else {
        (c / 100) as u64
    }
}

/// Bins `rows` (which must lie in `[from, to)`) into about `target` bins stacked by
/// `stack`, keeping the `top` largest series and summing the rest into `other`.
pub fn timeline(
    s: &Store,
    rows: &[u32],
    (from, to): (i64, i64),
    target: usize,
    stack: StackBy,
    top: usize,
    ev: Option<&Evaluation>,
) -> Timeline {
    let span = (to - from).max(1);
    let bin_us = bin_width(span, target);
    let start = from.div_euclid(bin_us) * bin_us;
    let bins = ((to - start + bin_us - 1) / bin_us).max(1) as usize;
    let key_of = |r: usize| -> u128 {
        match stack {
            StackBy::None => 0,
            StackBy::Dim(d) => key(s, d, r),
            StackBy::CodeClass => code_class(s.code(r)) as u128,
            StackBy::Rule => ev
                .and_then(|e| e.decision(r).rule)
                .map_or(0, |i| i as u128 + 1),
        }
    };
    // Dense key spaces count into arrays; only packed keys (resources) need hashing.
    let space: Option<usize> = match stack {
        StackBy::None => Some(1),
        StackBy::Dim(d) => key_space(s, d),
        StackBy::CodeClass => Some(10),
        StackBy::Rule => Some(
            ev.map_or(0, |e| {
                e.key_decision
                    .iter()
                    .filter_map(|d| d.rule)
                    .max()
                    .map_or(0, |m| m + 1)
            }) + 1,
        ),
    };
    let mut totals_by_key: HashMap<u128, u64> = HashMap::new();
    if stack != StackBy::None {
        match space {
            Some(n) => {
                let mut dense = vec![0u64; n];
                for &r in rows {
                    dense[key_of(r as usize) as usize] += 1;
                }
                totals_by_key.extend(
                    dense
                        .into_iter()
                        .enumerate()
                        .filter(|(_, c)| *c > 0)
                        .map(|(k, c)| (k as u128, c)),
                );
            }
            None => {
                for &r in rows {
                    *totals_by_key.entry(key_of(r as usize)).or_insert(0) += 1;
                }
            }
        }
    }
    let label_of = |k: u128| -> String {
        match stack {
            StackBy::None => "events".into(),
            StackBy::Dim(d) => label(s, d, k),
            StackBy::CodeClass => {
                if k == 0 {
                    "no code".into()
                } else {
                    format!("{k}xx")
                }
            }
            StackBy::Rule => {
                if k == 0 {
                    "no rule (None)".into()
                } else {
                    format!("rule {}", k - 1)
                }
            }
        }
    };
    // Merge keys sharing a label (as top-N does), then keep the largest.
    let mut by_label: HashMap<String, (u64, Vec<u128>)> = HashMap::new();
    for (k, n) in &totals_by_key {
        let e = by_label.entry(label_of(*k)).or_insert((0, Vec::new()));
        e.0 += n;
        e.1.push(*k);
    }
    let mut ranked: Vec<(String, u64, Vec<u128>)> = by_label
        .into_iter()
        .map(|(l, (n, ks))| (l, n, ks))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(if stack == StackBy::None { 0 } else { top });
    let mut series_of: HashMap<u128, usize> = HashMap::new();
    let mut series: Vec<Series> = Vec::new();
    for (i, (l, n, ks)) in ranked.into_iter().enumerate() {
        for k in ks {
            series_of.insert(k, i);
        }
        series.push(Series {
            label: l,
            total: n,
            counts: vec![0; bins],
        });
    }
    const OTHER: u16 = u16::MAX;
    let dense_series: Option<Vec<u16>> = space.filter(|_| stack != StackBy::None).map(|n| {
        let mut v = vec![OTHER; n];
        for (k, i) in &series_of {
            v[*k as usize] = *i as u16;
        }
        v
    });
    let series_index = |r: usize| -> u16 {
        if stack == StackBy::None {
            return OTHER;
        }
        match &dense_series {
            Some(v) => v[key_of(r) as usize],
            None => series_of.get(&key_of(r)).map_or(OTHER, |&i| i as u16),
        }
    };
    let mut other = vec![0u32; bins];
    let mut totals = vec![0u32; bins];
    let mut latency = vec![vec![0u32; LATENCY_BUCKETS]; bins];
    let mut long_running = vec![0u32; bins];
    for &r in rows {
        let r = r as usize;
        let t = s.received(r);
        let b = (((t - start) / bin_us).max(0) as usize).min(bins - 1);
        totals[b] += 1;
        match series_index(r) {
            OTHER => other[b] += 1,
            i => series[i as usize].counts[b] += 1,
        }
        let l = s.latency(r);
        latency[b][latency_bucket(l)] += 1;
        if l > 60_000_000 {
            long_running[b] += 1;
        }
    }
    Timeline {
        start,
        bin_us,
        bins,
        series,
        other,
        totals,
        latency,
        long_running,
        events: rows.len() as u64,
    }
}

// ---- the time axis (issue 16 §6) --------------------------------------------------------

/// One labelled tick of the time axis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tick {
    /// µs since the epoch (UTC).
    pub t: i64,
    pub label: String,
}

/// The time axis of `[from, to)`: labelled ticks and unlabelled minor ticks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Axis {
    /// Nominal step between labelled ticks, µs (a calendar month or year for long spans).
    pub step_us: i64,
    pub ticks: Vec<Tick>,
    /// Months (or quarters) between year ticks, months between quarter ticks; else empty.
    pub minor: Vec<i64>,
}

/// Sub-second steps, µs: a zoom onto a burst of a few seconds still gets several labels.
const SUB_SECOND_US: &[i64] = &[
    1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000,
];

/// The axis of `[from, to)` with at most `want` labels (at least 2 asked), `offset_us`
/// east of UTC (0, or the local offset). Steps: 1 ms … 500 ms, then
/// [`crate::view::tick_step_s`]'s (1 s … a quarter, whole years beyond), placed by
/// [`crate::view::tick_times`] (months and years on their first day). Labels say what
/// changes at that step: `HH:MM:SS.mmm`, `HH:MM:SS`, `HH:MM` (`MM-DD` on a midnight),
/// `MM-DD` (`YYYY-MM-DD` when the span crosses a year), `YYYY-MM`, `YYYY`; never two alike.
pub fn axis(from: i64, to: i64, want: usize, offset_us: i64) -> Axis {
    let want = want.max(2) as i64;
    let span = to.saturating_sub(from).max(1);
    if to <= from {
        return Axis {
            step_us: 1_000,
            ticks: Vec::new(),
            minor: Vec::new(),
        };
    }
    // The finest step whose ticks in `[from, to)` are at most `want` (counted, not
    // estimated: an unaligned start can add one).
    let aligned = |step: i64| -> Vec<i64> {
        let mut t = from.div_euclid(step) * step;
        let mut v = Vec::new();
        while t < to {
            if t >= from {
                v.push(t);
            }
            t += step;
        }
        v
    };
    let mut chosen = None;
    for &step in SUB_SECOND_US {
        if span / step <= want {
            let v = aligned(step);
            if v.len() as i64 <= want {
                chosen = Some((step, v));
                break;
            }
        }
    }
    let (step_us, times) = chosen.unwrap_or_else(|| {
        let mut w = want;
        loop {
            let step_s = crate::view::tick_step_s(span / 1_000_000, w);
            let v = crate::view::tick_times(from, to, step_s, offset_us);
            if v.len() as i64 <= want || w <= 1 {
                break (step_s.saturating_mul(1_000_000), v);
            }
            w -= 1;
        }
    });
    let date = |t: i64| crate::util::format_rfc3339_micros(t + offset_us);
    let crosses_year = date(from)[..4] != date(to - 1)[..4];
    let ticks = times
        .iter()
        .map(|&t| {
            let d = date(t); // YYYY-MM-DDTHH:MM:SS.ffffffZ
            let label = if step_us < 1_000_000 {
                d[11..23].to_string()
            } else if step_us < 60_000_000 {
                d[11..19].to_string()
            } else if step_us < 86_400_000_000 {
                if &d[11..19] == "00:00:00" {
                    d[5..10].to_string()
                } else {
                    d[11..16].to_string()
                }
            } else if step_us < 2_592_000_000_000 {
                if crosses_year {
                    d[..10].to_string()
                } else {
                    d[5..10].to_string()
                }
            } else if step_us < 31_536_000_000_000 {
                d[..7].to_string()
            } else {
                d[..4].to_string()
            };
            Tick { t, label }
        })
        .collect();
    // Minor ticks: the months (or quarters) of a long span.
    let minor = if step_us >= 7_776_000_000_000 {
        let months_in = span / 2_629_746_000_000; // mean Gregorian month
        let minor_s = if months_in <= 4 * want {
            2_592_000 // every month
        } else if months_in <= 12 * want {
            7_776_000 // every quarter
        } else {
            0
        };
        if minor_s > 0 && minor_s < step_us / 1_000_000 {
            crate::view::tick_times(from, to, minor_s, offset_us)
                .into_iter()
                .filter(|t| !times.contains(t))
                .collect()
        } else {
            Vec::new()
        }
    } else {
        Vec::new()
    };
    Axis {
        step_us,
        ticks,
        minor,
    }
}

#[cfg(test)]
mod tests {
    /// The axis for `span` µs starting at `from` with 10 labels wanted.
    fn axis_of(from: &str, span: i64) -> Axis {
        let f = crate::util::parse_rfc3339_micros(from).unwrap();
        axis(f, f + span, 10, 0)
    }

    fn labels(a: &Axis) -> Vec<&str> {
        a.ticks.iter().map(|t| t.label.as_str()).collect()
    }

    /// Labels never crowd (at most `want`), never repeat, and move forward in time.
    fn readable(a: &Axis, want: usize) {
        assert!(a.ticks.len() >= 2, "{:?}", labels(a));
        assert!(a.ticks.len() <= want, "{:?}", labels(a));
        for w in a.ticks.windows(2) {
            assert!(w[0].t < w[1].t);
            assert_ne!(w[0].label, w[1].label);
        }
    }

    #[test]
    fn axis_for_two_seconds_has_sub_second_ticks() {
        // A burst of 2 s (a zoom onto most events of a sparse log): 200 ms steps.
        let a = axis_of("2026-12-02T10:00:00.300Z", 2_000_000);
        assert_eq!(a.step_us, 200_000);
        readable(&a, 10);
        assert_eq!(
            labels(&a),
            [
                "10:00:00.400",
                "10:00:00.600",
                "10:00:00.800",
                "10:00:01.000",
                "10:00:01.200",
                "10:00:01.400",
                "10:00:01.600",
                "10:00:01.800",
                "10:00:02.000",
                "10:00:02.200"
            ]
        );
    }

    #[test]
    fn axis_for_ten_minutes_has_minutes() {
        let a = axis_of("2026-12-02T10:00:00Z", 600_000_000);
        assert_eq!(a.step_us, 60_000_000);
        readable(&a, 10);
        assert_eq!(labels(&a)[..3], ["10:00", "10:01", "10:02"]);
        assert!(a.minor.is_empty());
    }

    #[test]
    fn axis_for_a_day_has_hours_and_the_date_at_midnight() {
        let a = axis_of("2026-12-02T06:00:00Z", 86_400_000_000);
        assert_eq!(a.step_us, 10_800_000_000);
        readable(&a, 10);
        assert_eq!(labels(&a)[..3], ["06:00", "09:00", "12:00"]);
        assert!(labels(&a).contains(&"12-03"), "{:?}", labels(&a));
    }

    #[test]
    fn axis_for_three_years_has_years_and_month_ticks() {
        let a = axis_of("2023-03-10T00:00:00Z", 3 * 31_536_000_000_000);
        assert_eq!(a.step_us, 31_536_000_000_000);
        readable(&a, 10);
        assert_eq!(labels(&a), ["2024", "2025", "2026"]);
        // Every first of a month in between, minus the year ticks: 36 months from
        // 2023-04-01 to 2026-03-01, three of them New Year.
        assert_eq!(a.minor.len(), 36 - 3);
        assert_eq!(
            crate::util::format_rfc3339_secs(a.minor[0]),
            "2023-04-01T00:00:00Z"
        );
    }

    #[test]
    fn axis_never_crowds_any_span() {
        let f = crate::util::parse_rfc3339_micros("2026-01-01T00:00:00Z").unwrap();
        let mut span = 1_000i64;
        while span < 200 * 31_536_000_000_000 {
            for want in [2usize, 5, 12] {
                let a = axis(f, f + span, want, 0);
                assert!(a.ticks.len() <= want, "span {span} want {want}");
                for w in a.ticks.windows(2) {
                    assert_ne!(w[0].label, w[1].label, "span {span} want {want}");
                }
            }
            span = span * 3 / 2 + 1;
        }
    }

    use super::*;

    #[test]
    fn widths_table() {
        assert_eq!(bin_width(60_000_000, 60), 2_000_000); // 60 s in ≤60 bins: 2 s
        assert_eq!(bin_width(3 * 3_600_000_000, 120), 120_000_000); // 3 h in ≤120: 2 min
        assert_eq!(bin_width(1, 100), 1_000);
    }

    #[test]
    fn buckets_and_percentiles() {
        assert_eq!(latency_bucket(0), 0);
        assert_eq!(latency_bucket(1), 1);
        assert_eq!(latency_bucket(1023), 10);
        assert_eq!(latency_bucket(1024), 11);
        assert_eq!(latency_bucket(u32::MAX), 32);
        let mut h = vec![0u32; LATENCY_BUCKETS];
        h[10] = 99;
        h[20] = 1;
        assert_eq!(latency_percentile(&h, 0.5), Some(1024));
        assert_eq!(latency_percentile(&h, 1.0), Some(1 << 20));
        assert_eq!(latency_percentile(&[0; 4], 0.5), None);
    }
}
