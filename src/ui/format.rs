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

/// A user for people: service accounts as `sa:ns/name`, nodes as `node:name`, and the
/// impersonated user after an arrow ("system:admin → bob"); see
/// [`crate::analysis::describe::identity`].
pub fn user_label(user: &str, impersonated: &str) -> String {
    crate::analysis::describe::identity(user, impersonated)
}

/// The full identity for a tooltip and screen readers: the names as logged, and what the
/// arrow means.
pub fn user_title(user: &str, impersonated: &str) -> String {
    if impersonated.is_empty() {
        visible(user).into_owned()
    } else {
        format!(
            "{} (authenticated), acting as {} (impersonated)",
            visible(user),
            visible(impersonated)
        )
    }
}

/// `s` cut in the middle to at most `max` characters ("sa:kube-sys…controller"): both
/// ends of a long name tell names apart better than its start alone.
pub fn cut_middle(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max || max < 5 {
        return s.to_string();
    }
    let keep = max - 1;
    let head = keep.div_ceil(2);
    let tail = keep - head;
    let mut out: String = s.chars().take(head).collect();
    out.push('…');
    out.extend(s.chars().skip(n - tail));
    out
}

/// The CSS class of an HTTP code's colour (2xx … 5xx).
pub fn code_class(c: u16) -> &'static str {
    match c {
        200..=299 => "c2",
        300..=399 => "c3",
        400..=499 => "c4",
        500..=599 => "c5",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_for_people() {
        assert_eq!(cut_middle("abcdefghij", 7), "abc…hij");
        assert_eq!(cut_middle("short", 7), "short");
        assert_eq!(cut_middle("αβγδεζηθ", 5), "αβ…ηθ");
        assert_eq!(
            user_label(
                "system:serviceaccount:kube-system:replicaset-controller",
                ""
            ),
            "sa:kube-system/replicaset-controller"
        );
        assert_eq!(user_label("system:admin", "bob"), "system:admin → bob");
        assert!(user_title("system:admin", "bob").contains("acting as bob"));
    }
}
