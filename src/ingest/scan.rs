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

const C_BAD: u8 = 0;
const C_OK: u8 = 1;
const C_QUOTE: u8 = 2;
const C_OPEN: u8 = 3;
const C_CLOSE: u8 = 4;

/// Byte classes outside strings: numbers, literals and punctuation are fine; anything else
/// (control bytes, stray symbols, non-ASCII) means "not plain JSON" and gives up.
const CLASS: [u8; 256] = {
    let mut t = [C_BAD; 256];
    let ok = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-+.,: \t\n\r";
    let mut k = 0;
    while k < ok.len() {
        t[ok[k] as usize] = C_OK;
        k += 1;
    }
    t[b'"' as usize] = C_QUOTE;
    t[b'{' as usize] = C_OPEN;
    t[b'[' as usize] = C_OPEN;
    t[b'}' as usize] = C_CLOSE;
    t[b']' as usize] = C_CLOSE;
    t
};

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
    /// it holds escapes or control bytes (then the caller decodes or gives up). Leaves
    /// `self.i` after the closing quote.
    #[inline]
    fn raw_str(&mut self) -> R<(&'a str, bool)> {
        if self.b.get(self.i) != Some(&b'"') {
            return None;
        }
        let start = self.i + 1;
        let b = self.b;
        // Fast path: most strings are short; a byte loop beats a memchr call there.
        let mut j = start;
        let short_end = (start + 24).min(b.len());
        while j < short_end {
            let c = b[j];
            if c == b'"' {
                self.i = j + 1;
                return Some((&self.s[start..j], false));
            }
            if c == b'\\' || c < 0x20 {
                break;
            }
            j += 1;
        }
        let mut special = false;
        loop {
            let k = memchr::memchr2(b'"', b'\\', &b[j..])?;
            let seg = &b[j..j + k];
            if !special && seg.iter().any(|&c| c < 0x20) {
                special = true;
            }
            j += k;
            if b[j] == b'"' {
                if !special && b[start..j].iter().any(|&c| c < 0x20) {
                    special = true;
                }
                self.i = j + 1;
                return Some((&self.s[start..j], special));
            }
            special = true;
            j += 2;
            if j > b.len() {
                return None;
            }
        }
    }

    /// A string value, decoded.
    #[inline]
    fn string(&mut self) -> R<Str<'a>> {
        self.ws();
        let (raw, special) = self.raw_str()?;
        if !special {
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
                // One pass over structure bytes; strings are jumped over with memchr2.
                let mut depth = 0usize;
                let b = self.b;
                let mut i = self.i;
                loop {
                    let c = *b.get(i)?;
                    match CLASS[c as usize] {
                        C_QUOTE => {
                            self.i = i;
                            self.raw_str()?;
                            i = self.i;
                            continue;
                        }
                        C_OPEN => depth += 1,
                        C_CLOSE => {
                            depth = depth.checked_sub(1)?;
                            if depth == 0 {
                                self.i = i + 1;
                                break;
                            }
                        }
                        C_OK => {}
                        _ => return None,
                    }
                    i += 1;
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

    /// A body (`requestObject`/`responseObject`) or null, with the bytes kube-apiserver's
    /// `omitManagedFields` would remove from it (see [`managed_fields`]). Only the body's
    /// top-level keys, its `metadata`, and the `metadata` of `items[]` elements (lists)
    /// and of `rows[].object` (a `Table`) are entered; every other value is skipped as
    /// [`skip`](Self::skip) skips it.
    fn body(&mut self) -> R<Option<(Span<'a>, u32)>> {
        match self.peek()? {
            b'n' => {
                self.null()?;
                Some(None)
            }
            b'{' => {
                let start = self.i;
                let mf = self.mf_body()?;
                Some(Some((Span(&self.s[start..self.i]), mf)))
            }
            _ => Some(Some((Span(self.skip()?), 0))),
        }
    }

    /// Iterates an object's members, `f(key, key start, self)` consuming each value; keys
    /// with escapes are passed raw (they can equal none of the keys looked for).
    fn members(&mut self, mut f: impl FnMut(&str, usize, &mut Self) -> R<()>) -> R<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            self.ws();
            let at = self.i;
            let (k, _) = self.raw_str()?;
            self.eat(b':')?;
            f(k, at, self)?;
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

    /// Each element of an array: `f(self)` consumes it.
    fn elements(&mut self, mut f: impl FnMut(&mut Self) -> R<()>) -> R<()> {
        self.eat(b'[')?;
        if self.peek()? == b']' {
            self.i += 1;
            return Some(());
        }
        loop {
            f(self)?;
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A body object at `self.i`: its own `metadata.managedFields`, its `items[]`'
    /// (kube-apiserver strips a list's items, `meta.EachListItem`; a list is an object
    /// with an `items` array, as `Unstructured.IsList` decides) and, for a `Table`, its
    /// `rows[].object`'s.
    fn mf_body(&mut self) -> R<u32> {
        let (mut own, mut rows, mut table) = (0u32, 0u32, false);
        self.members(|k, _, sc| {
            match (k, sc.peek()?) {
                ("metadata", b'{') => own = own.saturating_add(sc.mf_meta()?),
                ("items", b'[') => sc.elements(|sc| {
                    own = own.saturating_add(sc.mf_object()?);
                    Some(())
                })?,
                ("rows", b'[') => sc.elements(|sc| {
                    if sc.peek()? != b'{' {
                        sc.skip()?;
                        return Some(());
                    }
                    sc.members(|k, _, sc| {
                        if k == "object" {
                            rows = rows.saturating_add(sc.mf_object()?);
                        } else {
                            sc.skip()?;
                        }
                        Some(())
                    })
                })?,
                ("kind", b'"') => table = sc.raw_str()?.0 == "Table",
                _ => {
                    sc.skip()?;
                }
            }
            Some(())
        })?;
        Some(if table { own.saturating_add(rows) } else { own })
    }

    /// Any value: an object's `metadata.managedFields` bytes, 0 for anything else.
    fn mf_object(&mut self) -> R<u32> {
        if self.peek()? != b'{' {
            self.skip()?;
            return Some(0);
        }
        let mut n = 0u32;
        self.members(|k, _, sc| {
            if k == "metadata" && sc.peek()? == b'{' {
                n = n.saturating_add(sc.mf_meta()?);
            } else {
                sc.skip()?;
            }
            Some(())
        })?;
        Some(n)
    }

    /// A `metadata` object: the bytes its `managedFields` member takes with one separating
    /// comma — from the end of the previous member's value to the end of its own value, or,
    /// when it is the first member, from its key to the next member's key (so the
    /// whitespace around that comma goes too); the member alone when it is the only one.
    fn mf_meta(&mut self) -> R<u32> {
        let (mut n, mut prev_end, mut first_at) = (0usize, None::<usize>, None::<usize>);
        self.members(|k, at, sc| {
            if let Some(f) = first_at.take() {
                n += at - f;
            }
            sc.skip()?;
            if k == "managedFields" {
                match prev_end {
                    Some(p) => n += sc.i - p,
                    None => first_at = Some(at),
                }
            }
            prev_end = Some(sc.i);
            Some(())
        })?;
        if let (Some(f), Some(e)) = (first_at, prev_end) {
            n += e - f;
        }
        Some(n.min(u32::MAX as usize) as u32)
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
    let mut sc = Sc {
        s: text,
        b: text.as_bytes(),
        i: 0,
    };
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
            "requestObject" => {
                let b = sc.body()?;
                once!(r.request_object, b.map(|b| b.0));
                r.request_mf = b.map(|b| b.1);
            }
            "responseObject" => {
                let b = sc.body()?;
                once!(r.response_object, b.map(|b| b.0));
                r.response_mf = b.map(|b| b.1);
            }
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
                        "message" => once!(st.message, sc.opt_string()?),
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
            "items" | "records" | "properties" | "category" | "message" | "@message"
            | "logEvents" | "events" | "protoPayload" => return None,
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

/// The bytes kube-apiserver's `omitManagedFields` removes from one body as it appears in
/// the log (0 for a body without `managedFields`, or that is not well-formed).
///
/// From k8s.io/apiserver `pkg/audit/request.go`: `LogRequestObject` and
/// `LogResponseObject` call `copyWithoutManagedFields`, which calls `removeManagedFields`
/// (`accessor.SetManagedFields(nil)`) on the object, on each item of a list
/// (`meta.EachListItem`) and on each `Table` row's object, then re-encode it. The field is
/// `json:"managedFields,omitempty"` (apimachinery `pkg/apis/meta/v1/types.go`), and
/// `Unstructured.SetManagedFields(nil)` deletes the map key, so the member disappears
/// whole and the rest of the encoding is unchanged: the saving is the member's text and
/// one separating comma. A patch's request body is logged as sent (`LogRequestPatch`),
/// never stripped: the caller leaves patches out.
pub(crate) fn managed_fields(body: &str) -> u32 {
    let mut sc = Sc {
        s: body,
        b: body.as_bytes(),
        i: 0,
    };
    match sc.body() {
        Some(Some((_, n))) => n,
        _ => 0,
    }
}
