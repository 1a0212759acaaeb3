//! Small shared helpers: RFC 3339 timestamps as integer microseconds, UUIDs as `u128`,
//! and numbers formatted for humans ("1.2 M", "340 MB", "3 h 12 min").
//!
//! Everything here is allocation-free on the parse side and never panics on any input.

/// Microseconds since the Unix epoch (UTC).
pub type Micros = i64;

/// Parses an RFC 3339 timestamp (`2021-09-13T10:00:06.493243Z`, `...+02:00`, 0–9 fraction
/// digits, `t`/space separator accepted) into microseconds since the epoch.
/// Returns `None` for anything else. Digits past the sixth fraction digit are truncated.
pub fn parse_rfc3339_micros(s: &str) -> Option<Micros> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut v = 0i64;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + (c - b'0') as i64;
        }
        Some(v)
    };
    if b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || min > 59
        || sec > 60
    {
        return None;
    }
    let mut i = 19;
    let mut frac = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        let mut scale = 100_000i64;
        while i < b.len() && b[i].is_ascii_digit() {
            frac += (b[i] - b'0') as i64 * scale;
            scale /= 10;
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset_s = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        c @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if *c == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + min * 60 + sec - offset_s;
    Some(secs * 1_000_000 + frac)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Formats microseconds since the epoch as RFC 3339 UTC with 6 fraction digits
/// (`2021-09-13T10:00:06.493243Z`). Inverse of [`parse_rfc3339_micros`] for UTC input.
pub fn format_rfc3339_micros(t: Micros) -> String {
    let secs = t.div_euclid(1_000_000);
    let frac = t.rem_euclid(1_000_000);
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:06}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// Like [`format_rfc3339_micros`] but whole seconds only (`2021-09-13T10:00:06Z`).
pub fn format_rfc3339_secs(t: Micros) -> String {
    let mut s = format_rfc3339_micros(t);
    s.replace_range(19..26, "");
    s
}

/// Parses a canonical 36-character UUID (`8-4-4-4-12` hex, any case) into a `u128`.
pub fn parse_uuid(s: &str) -> Option<u128> {
    let b = s.as_bytes();
    if b.len() != 36 {
        return None;
    }
    let mut v: u128 = 0;
    for (i, &c) in b.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if c != b'-' {
                return None;
            }
            continue;
        }
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return None,
        };
        v = (v << 4) | d as u128;
    }
    Some(v)
}

/// Formats a `u128` as a lowercase canonical UUID.
pub fn format_uuid(v: u128) -> String {
    let h = format!("{v:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A count for humans: `999`, `1.2 k`, `3.4 M`, `1.1 G`.
pub fn human_count(n: u64) -> String {
    let f = n as f64;
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{:.1} k", f / 1e3),
        1_000_000..=999_999_999 => format!("{:.1} M", f / 1e6),
        _ => format!("{:.1} G", f / 1e9),
    }
}

/// A byte size for humans, decimal units: `512 B`, `1.5 kB`, `340 MB`, `1.2 GB`.
pub fn human_bytes(n: u64) -> String {
    let f = n as f64;
    let (v, u) = match n {
        0..=999 => return format!("{n} B"),
        1_000..=999_999 => (f / 1e3, "kB"),
        1_000_000..=999_999_999 => (f / 1e6, "MB"),
        1_000_000_000..=999_999_999_999 => (f / 1e9, "GB"),
        _ => (f / 1e12, "TB"),
    };
    if v >= 100.0 {
        format!("{v:.0} {u}")
    } else {
        format!("{v:.1} {u}")
    }
}

/// A duration for humans, two most significant units: `850 µs`, `12 ms`, `4.2 s`,
/// `3 min 5 s`, `3 h 12 min`, `2 d 4 h`.
pub fn human_duration_micros(us: i64) -> String {
    let neg = if us < 0 { "-" } else { "" };
    let us = us.unsigned_abs();
    let s = us / 1_000_000;
    let out = if us < 1_000 {
        format!("{us} µs")
    } else if us < 1_000_000 {
        format!("{} ms", us / 1_000)
    } else if s < 60 {
        format!("{:.1} s", us as f64 / 1e6)
    } else if s < 3600 {
        format!("{} min {} s", s / 60, s % 60)
    } else if s < 86_400 {
        format!("{} h {} min", s / 3600, s % 3600 / 60)
    } else {
        format!("{} d {} h", s / 86_400, s % 86_400 / 3600)
    };
    format!("{neg}{out}")
}

/// Log text made safe to *look at*: characters that change how surrounding text is shown
/// (bidirectional overrides and isolates, zero-width and other format characters) and
/// control characters are replaced by visible `\u{…}` escapes, so a crafted user or
/// object name cannot disguise itself (`\u{202e}` would otherwise reverse the text).
/// Use for display only; filters keep the exact value.
pub fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}' | '\u{061c}')
    };
    if !s.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| {
                if hidden(c) {
                    format!("\\u{{{:04x}}}", c as u32)
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_parse_table() {
        // Expected values computed independently: 2021-09-13T10:00:06Z = 1631527206 (date -d).
        let cases: &[(&str, Option<i64>)] = &[
            ("2021-09-13T10:00:06.493243Z", Some(1_631_527_206_493_243)),
            ("2021-09-13T10:00:06Z", Some(1_631_527_206_000_000)),
            ("2021-09-13T10:00:06.4Z", Some(1_631_527_206_400_000)),
            (
                "2021-09-13T10:00:06.123456789Z",
                Some(1_631_527_206_123_456),
            ),
            ("2021-09-13T12:00:06+02:00", Some(1_631_527_206_000_000)),
            ("2021-09-13T08:30:06-01:30", Some(1_631_527_206_000_000)),
            ("1970-01-01T00:00:00Z", Some(0)),
            ("2024-02-29T00:00:00Z", Some(1_709_164_800_000_000)),
            ("2023-02-29T00:00:00Z", None),
            ("2021-13-13T10:00:06Z", None),
            ("2021-09-13T10:00:06", None),
            ("2021-09-13T10:00:06.Z", None),
            ("2021-09-13T10:00:06Zjunk", None),
            ("", None),
            ("not a time at all, really", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_rfc3339_micros(s), *want, "{s}");
        }
    }

    #[test]
    fn rfc3339_round_trip() {
        for t in [0i64, 1_631_527_206_493_243, 1_709_164_800_000_001, -1] {
            assert_eq!(parse_rfc3339_micros(&format_rfc3339_micros(t)), Some(t));
        }
        assert_eq!(
            format_rfc3339_micros(1_631_527_206_493_243),
            "2021-09-13T10:00:06.493243Z"
        );
        assert_eq!(
            format_rfc3339_secs(1_631_527_206_493_243),
            "2021-09-13T10:00:06Z"
        );
    }

    #[test]
    fn uuid_table() {
        assert_eq!(
            parse_uuid("f9e91b43-77c3-4622-9d2a-13838f0f4984"),
            Some(0xf9e91b43_77c3_4622_9d2a_13838f0f4984)
        );
        assert_eq!(
            format_uuid(0xf9e91b43_77c3_4622_9d2a_13838f0f4984),
            "f9e91b43-77c3-4622-9d2a-13838f0f4984"
        );
        assert_eq!(
            parse_uuid("F9E91B43-77C3-4622-9D2A-13838F0F4984"),
            Some(0xf9e91b43_77c3_4622_9d2a_13838f0f4984)
        );
        assert_eq!(parse_uuid("abcde12345"), None);
        assert_eq!(parse_uuid("f9e91b43x77c3-4622-9d2a-13838f0f4984"), None);
        assert_eq!(parse_uuid("g9e91b43-77c3-4622-9d2a-13838f0f4984"), None);
    }

    #[test]
    fn visible_table() {
        assert_eq!(visible("alice"), "alice");
        assert_eq!(visible("a\u{202e}live"), "a\\u{202e}live");
        assert_eq!(visible("x\u{7}\n"), "x\\u{0007}\\u{000a}");
        assert_eq!(
            visible("zero\u{200b}width\u{feff}"),
            "zero\\u{200b}width\\u{feff}"
        );
        assert_eq!(visible("日本 <b>"), "日本 <b>");
    }

    #[test]
    fn human_formats() {
        assert_eq!(human_count(999), "999");
        assert_eq!(human_count(12_345), "12.3 k");
        assert_eq!(human_count(1_234_567), "1.2 M");
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1_500), "1.5 kB");
        assert_eq!(human_bytes(340_000_000), "340 MB");
        assert_eq!(human_duration_micros(850), "850 µs");
        assert_eq!(human_duration_micros(12_000), "12 ms");
        assert_eq!(
            human_duration_micros((3 * 3600 + 12 * 60) * 1_000_000),
            "3 h 12 min"
        );
        assert_eq!(human_duration_micros(185 * 1_000_000), "3 min 5 s");
    }
}
