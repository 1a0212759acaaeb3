//! The fast path: a schema-aware JSON scanner for one audit Event object.
//!
//! It reads only the keys the store indexes, borrows strings (decoding escapes only where
//! a kept string has them), and skips every other value — request/response bodies
//! included — by jumping between quotes with `memchr2` and counting brackets, without
//! building anything. It gives up (returns `None`) on anything it does not expect:
//! wrappers (EventList, cloud exports), duplicate keys, a value of an unexpected type,
//! malformed structure. The caller then parses the record with serde_json, which gives
//! the exact result or a precise error, so the scanner never decides a rejection.
//!
//! Leniency (documented): the *insides* of skipped values (bodies, unknown keys) are
//! checked for balanced brackets and strings only, not for valid numbers or literals.

use super::record::{Annotations, Meta, ObjectRef, Rec, Span, Status, Str, User};
use std::borrow::Cow;

struct Sc<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

type R<T> = Option<T>;

impl<'a> Sc<'a> {
    #[inline]
    fn ws(&mut self) {
        while let Some(c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    #[inline]
    fn eat(&mut self, c: u8) -> R<()> {
        self.ws();
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }

    #[inline]
    fn peek(&mut self) -> R<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    /// The raw contents of a string at `self.i` (which is its opening quote), and whether
    /// it holds escapes. Leaves `self.i` after the closing quote.
    #[inline]
    fn raw_str(&mut self) -> R<(&'a str, bool)> {
        if self.b.get(self.i) != Some(&b'"') {
            return None;
        }
        let start = self.i + 1;
        let mut j = start;
        let mut esc = false;
        loop {
            let k = memchr::memchr2(b'"', b'\\', &self.b[j..])?;
            j += k;
            if self.b[j] == b'"' {
                self.i = j + 1;
                return Some((&self.s[start..j], esc));
            }
            esc = true;
            j += 2;
            if j > self.b.len() {
                return None;
            }
        }
    }

    /// A string value, decoded.
    #[inline]
    fn string(&mut self) -> R<Str<'a>> {
        self.ws();
        let (raw, esc) = self.raw_str()?;
        if !esc {
            if raw.bytes().any(|c| c < 0x20) {
                return None;
            }
            return Some(Cow::Borrowed(raw));
        }
        unescape(raw).map(Cow::Owned)
    }

    /// A string, or `null` (None inside Some).
    #[inline]
    fn opt_string(&mut self) -> R<Option<Str<'a>>> {
        if self.peek()? == b'n' {
            self.null()?;
            return Some(None);
        }
        self.string().map(Some)
    }

    fn null(&mut self) -> R<()> {
        self.ws();
        if self.b[self.i..].starts_with(b"null") {
            self.i += 4;
            Some(())
        } else {
            None
        }
    }

    /// Skips any value; returns its raw text.
    fn skip(&mut self) -> R<&'a str> {
        self.ws();
        let start = self.i;
        match *self.b.get(self.i)? {
            b'"' => {
                self.raw_str()?;
            }
            b'{' | b'[' => {
                // Jump between quotes and braces; brackets are counted in the gaps.
                let mut depth = 0usize;
                loop {
                    let k = memchr::memchr3(b'"', b'{', b'}', &self.b[self.i..])?;
                    let gap_end = self.i + k;
                    for j in self.i..gap_end {
                        match self.b[j] {
                            b'[' => depth += 1,
                            b']' => {
                                depth = depth.checked_sub(1)?;
                                if depth == 0 {
                                    self.i = j + 1;
                                    return Some(&self.s[start..self.i]);
                                }
                            }
                            // Between strings only numbers, literals and punctuation.
                            b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'-' | b'+' | b'.' | b',' | b':' | b' ' | b'\t' | b'\n' | b'\r' => {}
                            _ => return None,
                        }
                    }
                    self.i = gap_end;
                    match self.b[self.i] {
                        b'"' => {
                            self.raw_str()?;
                        }
                        b'{' => {
                            depth += 1;
                            self.i += 1;
                        }
                        _ => {
                            depth = depth.checked_sub(1)?;
                            self.i += 1;
                            if depth == 0 {
                                break;
                            }
                        }
                    }
                }
            }
            _ => {
                while let Some(&c) = self.b.get(self.i) {
                    if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.i += 1;
                }
                if self.i == start {
                    return None;
                }
            }
        }
        Some(&self.s[start..self.i])
    }

    /// Iterates an object's keys: `f(key, self)` must consume the value.
    fn object(&mut self, mut f: impl FnMut(&str, &mut Self) -> R<()>) -> R<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            self.ws();
            let (k, esc) = self.raw_str()?;
            if esc {
                return None;
            }
            self.eat(b':')?;
            f(k, self)?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A nested object or null.
    fn opt_object(&mut self, f: impl FnMut(&str, &mut Self) -> R<()>) -> R<bool> {
        if self.peek()? == b'n' {
            self.null()?;
            return Some(false);
        }
        self.object(f)?;
        Some(true)
    }

    fn span(&mut self) -> R<Option<Span<'a>>> {
        if self.peek()? == b'n' {
            self.null()?;
            return Some(None);
        }
        Some(Some(Span(self.skip()?)))
    }
}

/// Sets `slot` once; a second occurrence of the key gives up (serde reports duplicates).
macro_rules! once {
    ($slot:expr, $v:expr) => {{
        if $slot.is_some() {
            return None;
        }
        $slot = $v;
    }};
}

fn unescape(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut it = raw.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            if (c as u32) < 0x20 {
                return None;
            }
            out.push(c);
            continue;
        }
        match it.next()? {
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            '/' => out.push('/'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'u' => {
                let hex = |it: &mut std::str::Chars| -> Option<u32> {
                    let h: String = it.by_ref().take(4).collect();
                    if h.len() != 4 {
                        return None;
                    }
                    u32::from_str_radix(&h, 16).ok()
                };
                let hi = hex(&mut it)?;
                let cp = if (0xD800..0xDC00).contains(&hi) {
                    if it.next()? != '\\' || it.next()? != 'u' {
                        return None;
                    }
                    let lo = hex(&mut it)?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return None;
                    }
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    hi
                };
                out.push(char::from_u32(cp)?);
            }
            _ => return None,
        }
    }
    Some(out)
}

fn user<'a>(sc: &mut Sc<'a>) -> R<Option<User<'a>>> {
    let mut u = User::default();
    let present = sc.opt_object(|k, sc| {
        match k {
            "username" => once!(u.username, sc.opt_string()?),
            "groups" => once!(u.groups, sc.span()?),
            _ => {
                sc.skip()?;
            }
        }
        Some(())
    })?;
    Some(present.then_some(u))
}

/// Scans one Event object. `None` means "not handled here: use serde_json".
pub(crate) fn scan(text: &str) -> Option<Rec<'_>> {
    let mut sc = Sc { s: text, b: text.as_bytes(), i: 0 };
    let mut r = Rec::default();
    sc.object(|k, sc| {
        match k {
            "kind" => once!(r.kind, sc.opt_string()?),
            "apiVersion" => once!(r.api_version, sc.opt_string()?),
            "level" => once!(r.level, sc.opt_string()?),
            "auditID" => once!(r.audit_id, sc.opt_string()?),
            "stage" => once!(r.stage, sc.opt_string()?),
            "requestURI" => once!(r.request_uri, sc.opt_string()?),
            "verb" => once!(r.verb, sc.opt_string()?),
            "userAgent" => once!(r.user_agent, sc.opt_string()?),
            "requestReceivedTimestamp" => once!(r.request_received_timestamp, sc.opt_string()?),
            "stageTimestamp" => once!(r.stage_timestamp, sc.opt_string()?),
            "sourceIPs" => once!(r.source_ips, sc.span()?),
            "requestObject" => once!(r.request_object, sc.span()?),
            "responseObject" => once!(r.response_object, sc.span()?),
            "timestamp" => once!(r.timestamp, sc.span()?),
            "user" => once!(r.user, user(sc)?),
            "impersonatedUser" => once!(r.impersonated_user, user(sc)?),
            "objectRef" => {
                let mut o = ObjectRef::default();
                let present = sc.opt_object(|k, sc| {
                    match k {
                        "resource" => once!(o.resource, sc.opt_string()?),
                        "namespace" => once!(o.namespace, sc.opt_string()?),
                        "name" => once!(o.name, sc.opt_string()?),
                        "apiGroup" => once!(o.api_group, sc.opt_string()?),
                        "apiVersion" => once!(o.api_version, sc.opt_string()?),
                        "subresource" => once!(o.subresource, sc.opt_string()?),
                        _ => {
                            sc.skip()?;
                        }
                    }
                    Some(())
                })?;
                once!(r.object_ref, present.then_some(o));
            }
            "responseStatus" => {
                let mut st = Status::default();
                let present = sc.opt_object(|k, sc| {
                    match k {
                        "code" => {
                            let raw = sc.skip()?;
                            let v: f64 = raw.parse().ok()?;
                            once!(st.code, Some(v));
                        }
                        "reason" => once!(st.reason, sc.opt_string()?),
                        _ => {
                            sc.skip()?;
                        }
                    }
                    Some(())
                })?;
                once!(r.response_status, present.then_some(st));
            }
            "annotations" => {
                let mut a = Annotations::default();
                let present = sc.opt_object(|k, sc| {
                    match k {
                        "authorization.k8s.io/decision" => once!(a.decision, sc.opt_string()?),
                        "authorization.k8s.io/reason" => once!(a.reason, sc.opt_string()?),
                        _ => {
                            sc.skip()?;
                        }
                    }
                    Some(())
                })?;
                once!(r.annotations, present.then_some(a));
            }
            "metadata" => {
                let mut m = Meta::default();
                let present = sc.opt_object(|k, sc| {
                    match k {
                        "creationTimestamp" => once!(m.creation_timestamp, sc.opt_string()?),
                        _ => {
                            sc.skip()?;
                        }
                    }
                    Some(())
                })?;
                once!(r.metadata, present.then_some(m));
            }
            // Wrappers and cloud shapes: the serde path handles them.
            "items" | "records" | "properties" | "category" | "message" | "@message" | "logEvents" | "events"
            | "protoPayload" => return None,
            _ => {
                sc.skip()?;
            }
        }
        Some(())
    })?;
    sc.ws();
    if sc.i != sc.b.len() {
        return None;
    }
    Some(r)
}
