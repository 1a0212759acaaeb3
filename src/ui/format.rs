//! Numbers and times for people (the exact values travel in `data-*` attributes).

use crate::util::{format_rfc3339_secs, human_bytes, human_count, human_duration_micros};
use crate::web::protocol::Progress;

/// "1 event", "1.2 M events".
pub fn events(n: u64) -> String {
    plural(n, "event", "events")
}

/// `n` formatted for humans with the right noun.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", human_count(n), if n == 1 { one } else { many })
}

/// "340 MB".
pub fn bytes(n: u64) -> String {
    human_bytes(n)
}

/// A timestamp (µs since the epoch) as "2021-09-13 10:00:06" (UTC, no zone letter).
pub fn time(us: i64) -> String {
    format_rfc3339_secs(us)
        .replace('T', " ")
        .trim_end_matches('Z')
        .to_string()
}

/// "3 h 12 min"; "0 s" for an empty span.
pub fn duration_us(us: i64) -> String {
    if us == 0 {
        "0 s".into()
    } else {
        human_duration_micros(us)
    }
}

/// Milliseconds for people: "850 ms", "4.2 s".
pub fn duration_ms(ms: f64) -> String {
    duration_us((ms * 1000.0) as i64)
}

/// Read rate in MB/s, `None` until enough time has passed to say.
pub fn rate_mb_s(p: &Progress) -> Option<f64> {
    (p.elapsed_ms >= 200.0 && p.bytes_done > 0)
        .then(|| p.bytes_done as f64 / 1e6 / (p.elapsed_ms / 1000.0))
}

/// Time left at the current rate, `None` when unknown.
pub fn eta(p: &Progress) -> Option<String> {
    let rate = rate_mb_s(p)? * 1e6; // bytes per second
    let left = p.bytes_total.saturating_sub(p.bytes_done) as f64;
    (p.bytes_total > 0).then(|| duration_us((left / rate * 1e6) as i64))
}

pub use crate::util::visible;
