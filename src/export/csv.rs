//! Events as CSV (RFC 4180): a header line, then one record per event; every line ends
//! in CRLF; a field holding `"`, `,`, CR or LF is quoted and its quotes doubled.

use super::Column;
use crate::store::Store;

/// Appends one field, quoted when RFC 4180 requires it.
pub fn push_field(out: &mut String, v: &str) {
    if v.contains(['"', ',', '\r', '\n']) {
        out.push('"');
        for c in v.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        out.push('"');
    } else {
        out.push_str(v);
    }
}

/// The header record.
pub fn header(cols: &[Column]) -> String {
    let mut out = String::new();
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(&mut out, c.key());
    }
    out.push_str("\r\n");
    out
}

/// The record of row `r`.
pub fn record(s: &Store, r: usize, cols: &[Column], out: &mut String) {
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(out, &c.cell(s, r));
    }
    out.push_str("\r\n");
}

/// `rows` (in the given order) as one CSV text with its header.
pub fn events_csv(s: &Store, rows: &[u32], cols: &[Column]) -> String {
    let mut out = header(cols);
    for &r in rows {
        record(s, r as usize, cols, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        let mut s = String::new();
        for v in ["plain", "a,b", "say \"hi\"", "two\nlines", "cr\r", ""] {
            push_field(&mut s, v);
            s.push('|');
        }
        assert_eq!(
            s,
            "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"two\nlines\"|\"cr\r\"||"
        );
    }
}
