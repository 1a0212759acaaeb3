//! Syntax colouring for the policy editor: one YAML line at a time, good enough for
//! audit policies (block mappings and sequences, flow lists, quoted strings, comments).
//!
//! Invariant: the tokens of a line cover it exactly, in order, without overlap, on char
//! boundaries; so concatenating them gives the line back (the overlay lines up with the
//! text area character for character).

use crate::audit::yamlpos::quoted_end;

use std::ops::Range;

/// What a piece of a line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok {
    /// Spaces and anything not coloured.
    Plain,
    /// A mapping key (without its colon).
    Key,
    /// `-`, `:`, `[`, `]`, `{`, `}`, `,`.
    Punct,
    /// A quoted string.
    Str,
    /// `# ...` to the end of the line.
    Comment,
    /// An audit level value (quoted or not): None, Metadata, Request, RequestResponse.
    Level(LevelTok),
    /// Another plain scalar (a number, a name, a path).
    Value,
}

/// The four audit levels, for their colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LevelTok {
    None,
    Metadata,
    Request,
    RequestResponse,
}

impl Tok {
    /// The CSS class of the token (`tok-key`, `tok-level-metadata`, ...).
    pub fn class(self) -> &'static str {
        match self {
            Tok::Plain => "",
            Tok::Key => "tok-key",
            Tok::Punct => "tok-punct",
            Tok::Str => "tok-str",
            Tok::Comment => "tok-comment",
            Tok::Value => "tok-value",
            Tok::Level(LevelTok::None) => "tok-level lvl-none",
            Tok::Level(LevelTok::Metadata) => "tok-level lvl-metadata",
            Tok::Level(LevelTok::Request) => "tok-level lvl-request",
            Tok::Level(LevelTok::RequestResponse) => "tok-level lvl-requestresponse",
        }
    }
}

fn level_of(s: &str) -> Option<LevelTok> {
    match s {
        "None" => Some(LevelTok::None),
        "Metadata" => Some(LevelTok::Metadata),
        "Request" => Some(LevelTok::Request),
        "RequestResponse" => Some(LevelTok::RequestResponse),
        _ => None,
    }
}

fn push(out: &mut Vec<(Tok, Range<usize>)>, t: Tok, r: Range<usize>) {
    if r.is_empty() {
        return;
    }
    // Merge neighbours of the same kind (fewer spans to render).
    if let Some((last, lr)) = out.last_mut() {
        if *last == t && lr.end == r.start {
            lr.end = r.end;
            return;
        }
    }
    out.push((t, r));
}

/// Tokens of one line (no line terminator). See the module invariant.
pub fn highlight_line(line: &str) -> Vec<(Tok, Range<usize>)> {
    let b = line.as_bytes();
    let n = b.len();
    let mut out = Vec::new();
    let mut i = 0;
    // Indentation and sequence dashes.
    loop {
        let s = i;
        while i < n && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        push(&mut out, Tok::Plain, s..i);
        if i < n && b[i] == b'-' && (i + 1 == n || b[i + 1] == b' ') {
            push(&mut out, Tok::Punct, i..i + 1);
            i += 1;
            continue;
        }
        break;
    }
    let mut at_value_start = true;
    while i < n {
        let c = b[i];
        match c {
            b' ' | b'\t' => {
                let s = i;
                while i < n && (b[i] == b' ' || b[i] == b'\t') {
                    i += 1;
                }
                push(&mut out, Tok::Plain, s..i);
                continue;
            }
            b'#' if at_value_start || i == 0 || matches!(b[i - 1], b' ' | b'\t') => {
                push(&mut out, Tok::Comment, i..n);
                return out;
            }
            b'"' | b'\'' => {
                let e = quoted_end(b, i);
                let inner = line
                    .get(i + 1..e.saturating_sub(1).max(i + 1))
                    .unwrap_or("");
                let t = level_of(inner).map_or(Tok::Str, Tok::Level);
                // A quoted key: `"group": ...`
                if e < n && b[e] == b':' && (e + 1 == n || b[e + 1] == b' ') {
                    push(&mut out, Tok::Key, i..e);
                    push(&mut out, Tok::Punct, e..e + 1);
                    i = e + 1;
                } else {
                    push(&mut out, t, i..e);
                    i = e;
                }
            }
            b'[' | b']' | b'{' | b'}' | b',' => {
                push(&mut out, Tok::Punct, i..i + 1);
                i += 1;
            }
            _ => {
                // A plain scalar: up to a flow indicator, or `: ` (then it was a key),
                // or ` #`.
                let s = i;
                let mut key_end = None;
                while i < n {
                    match b[i] {
                        b',' | b'[' | b']' | b'{' | b'}' => break,
                        b':' if i + 1 == n || b[i + 1] == b' ' => {
                            key_end = Some(i);
                            break;
                        }
                        b' ' | b'\t' if b.get(i + 1) == Some(&b'#') => break,
                        _ => i += 1,
                    }
                }
                // Char boundary: stop bytes are ASCII, so `i` is on one.
                match key_end {
                    Some(k) => {
                        push(&mut out, Tok::Key, s..k);
                        push(&mut out, Tok::Punct, k..k + 1);
                        i = k + 1;
                    }
                    None => {
                        let word = line[s..i].trim_end();
                        let t = level_of(word).map_or(Tok::Value, Tok::Level);
                        push(&mut out, t, s..s + word.len());
                        push(&mut out, Tok::Plain, s + word.len()..i);
                    }
                }
            }
        }
        at_value_start = false;
    }
    out
}
