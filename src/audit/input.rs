//! The first steps of kube-apiserver's policy reader, on the file's bytes: which decoder
//! reads the file (JSON or YAML), how the bytes become text, and the YAML facts of
//! go-yaml v2 that serde_yaml does not share (the `%YAML` directive, merge keys `<<`,
//! map keys JSON cannot hold).
//!
//! * JSON or YAML (apimachinery `pkg/util/yaml/decoder.go` `IsJSONBuffer`, used by the
//!   JSON serializer's `RecognizesData`): a file whose first rune that is not
//!   `unicode.IsSpace` is `{` is read as strict JSON and nothing else. A BOM, a comment
//!   or `---` before it makes it YAML.
//! * Encoding (go-yaml v2 `readerc.go`): a UTF-16 BOM (`FF FE`, `FE FF`) selects UTF-16,
//!   else the text is UTF-8 (a UTF-8 BOM is skipped). Every character is checked as it
//!   is decoded, comments included: the first invalid sequence or control character
//!   refuses the file.

use super::policy::{Diagnostic, Severity};
use super::yamlpos::{Node, Pos, PosIndex, YamlError};

/// How the bytes of a policy file were read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// UTF-8 with a BOM (skipped).
    Utf8Bom,
    Utf16Le,
    Utf16Be,
}

impl Encoding {
    /// Name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 with a BOM",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
        }
    }
}

/// apimachinery's `IsJSONBuffer`: the first rune that is not `unicode.IsSpace` is `{`.
/// (Go's `unicode.IsSpace` and Rust's `char::is_whitespace` are the same set: ASCII
/// space, `\t\n\v\f\r`, U+0085, U+00A0 and Unicode `White_Space`.) An invalid UTF-8
/// sequence or a BOM stops the scan, as in `bytes.TrimLeftFunc`.
pub fn is_json_buffer(bytes: &[u8]) -> bool {
    let valid = match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or(""),
    };
    match valid.trim_start_matches(char::is_whitespace).chars().next() {
        Some(c) => c == '{',
        None => false,
    }
}

/// Same as [`is_json_buffer`] for text that is already decoded UTF-8.
pub fn is_json_text(text: &str) -> bool {
    text.trim_start_matches(char::is_whitespace)
        .starts_with('{')
}

/// A refused byte sequence: go-yaml's reader message, the byte offset and the
/// 1-based position of the character (columns count characters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    pub message: &'static str,
    pub offset: usize,
    pub pos: Pos,
}

/// go-yaml v2's reader (readerc.go:25-53 picks the encoding by BOM; 180-251 decodes
/// UTF-8; 263-330 UTF-16; 341-358 refuses control characters). Returns the text
/// without its BOM.
pub fn decode(bytes: &[u8]) -> Result<(String, Encoding), ReadError> {
    let (enc, body) = if let Some(b) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        (Encoding::Utf16Le, b)
    } else if let Some(b) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        (Encoding::Utf16Be, b)
    } else if let Some(b) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        (Encoding::Utf8Bom, b)
    } else {
        (Encoding::Utf8, bytes)
    };
    let bom = bytes.len() - body.len();
    let mut out = String::with_capacity(body.len());
    let mut i = 0;
    let mut line = 1u32;
    let mut col = 1u32;
    let fail = |message, at: usize, line, col| ReadError {
        message,
        offset: bom + at,
        pos: Pos { line, col },
    };
    while i < body.len() {
        let (value, width) = match enc {
            Encoding::Utf8 | Encoding::Utf8Bom => {
                let octet = body[i];
                let width = match octet {
                    o if o & 0x80 == 0 => 1,
                    o if o & 0xE0 == 0xC0 => 2,
                    o if o & 0xF0 == 0xE0 => 3,
                    o if o & 0xF8 == 0xF0 => 4,
                    _ => return Err(fail("invalid leading UTF-8 octet", i, line, col)),
                };
                if i + width > body.len() {
                    return Err(fail("incomplete UTF-8 octet sequence", i, line, col));
                }
                let mut value = u32::from(match width {
                    1 => octet & 0x7F,
                    2 => octet & 0x1F,
                    3 => octet & 0x0F,
                    _ => octet & 0x07,
                });
                for k in 1..width {
                    let o = body[i + k];
                    if o & 0xC0 != 0x80 {
                        return Err(fail("invalid trailing UTF-8 octet", i + k, line, col));
                    }
                    value = (value << 6) + u32::from(o & 0x3F);
                }
                let shortest = match width {
                    1 => true,
                    2 => value >= 0x80,
                    3 => value >= 0x800,
                    _ => value >= 0x10000,
                };
                if !shortest {
                    return Err(fail("invalid length of a UTF-8 sequence", i, line, col));
                }
                if (0xD800..=0xDFFF).contains(&value) || value > 0x10FFFF {
                    return Err(fail("invalid Unicode character", i, line, col));
                }
                (value, width)
            }
            Encoding::Utf16Le | Encoding::Utf16Be => {
                let unit = |j: usize| -> u32 {
                    let (a, b) = (u32::from(body[j]), u32::from(body[j + 1]));
                    if enc == Encoding::Utf16Le {
                        a + (b << 8)
                    } else {
                        b + (a << 8)
                    }
                };
                if i + 2 > body.len() {
                    return Err(fail("incomplete UTF-16 character", i, line, col));
                }
                let value = unit(i);
                if value & 0xFC00 == 0xDC00 {
                    return Err(fail("unexpected low surrogate area", i, line, col));
                }
                if value & 0xFC00 == 0xD800 {
                    if i + 4 > body.len() {
                        return Err(fail("incomplete UTF-16 surrogate pair", i, line, col));
                    }
                    let value2 = unit(i + 2);
                    if value2 & 0xFC00 != 0xDC00 {
                        return Err(fail("expected low surrogate area", i + 2, line, col));
                    }
                    (0x10000 + ((value & 0x3FF) << 10) + (value2 & 0x3FF), 4)
                } else {
                    (value, 2)
                }
            }
        };
        let allowed = matches!(value, 0x09 | 0x0A | 0x0D | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF);
        if !allowed {
            return Err(fail("control characters are not allowed", i, line, col));
        }
        let c = char::from_u32(value).unwrap_or('\u{FFFD}');
        out.push(c);
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
        i += width;
    }
    Ok((out, enc))
}

/// go-yaml's reader check for text that is already UTF-8 (the page's editor): only the
/// control characters can be wrong.
pub fn check_chars(text: &str) -> Result<(), ReadError> {
    let (mut line, mut col) = (1u32, 1u32);
    for (i, c) in text.char_indices() {
        let v = c as u32;
        let allowed = matches!(v, 0x09 | 0x0A | 0x0D | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF);
        if !allowed {
            return Err(ReadError {
                message: "control characters are not allowed",
                offset: i,
                pos: Pos { line, col },
            });
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Strict JSON (stdlib encoding/json, as the JSON serializer's `Interpret` runs it).
// ---------------------------------------------------------------------------------------

/// Parses a JSON document strictly (no comments, no trailing commas, nothing after the
/// value) into a duplicate-keeping [`Node`]. The error carries Go's `encoding/json`
/// syntax error text (`invalid character '}' looking for beginning of object key
/// string`) and serde_json's line and column.
pub fn parse_json(text: &str) -> Result<Node, YamlError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let r = serde::Deserialize::deserialize(&mut de).and_then(|n: Node| de.end().map(|()| n));
    r.map_err(|e| {
        let (line, column) = (e.line() as u32, e.column() as u32);
        YamlError {
            message: go_json_syntax_error(text, &e),
            line,
            column,
        }
    })
}

/// The character at 1-based `line`/`column` (serde_json counts columns in bytes).
fn byte_at(text: &str, line: usize, column: usize) -> Option<u8> {
    let start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2)?.0 + 1
    };
    text.as_bytes().get(start + column.checked_sub(1)?).copied()
}

/// Go's `quoteChar` (encoding/json scanner.go): `'x'`, with `'\''` and `'"'`.
fn go_quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".into(),
        b'"' => "'\"'".into(),
        b'\\' => "'\\\\'".into(),
        b'\n' => "'\\n'".into(),
        b'\r' => "'\\r'".into(),
        b'\t' => "'\\t'".into(),
        0x20..=0x7E => format!("'{}'", c as char),
        0xA1..=0xFF if c != 0xAD => format!("'{}'", c as char),
        0x00..=0x1F | 0x7F => format!("'\\x{c:02x}'"),
        _ => format!("'\\u{c:04x}'"),
    }
}

fn go_json_syntax_error(text: &str, e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let what = msg.split(" at line ").next().unwrap_or(&msg);
    if e.is_eof() {
        return "unexpected end of JSON input".into();
    }
    let Some(c) = byte_at(text, e.line(), e.column()) else {
        return what.to_owned();
    };
    let q = go_quote_char(c);
    let context = if what == "trailing comma" {
        if c == b']' {
            "looking for beginning of value"
        } else {
            "looking for beginning of object key string"
        }
    } else {
        match what {
            "key must be a string" => "looking for beginning of object key string",
            "trailing characters" => "after top-level value",
            "expected value" | "expected ident" => "looking for beginning of value",
            "expected `:`" => "after object key",
            "expected `,` or `}`" => "after object key:value pair",
            "expected `,` or `]`" => "after array element",
            _ => return what.to_owned(),
        }
    };
    format!("invalid character {q} {context}")
}

// ---------------------------------------------------------------------------------------
// go-yaml v2 facts serde_yaml does not share.
// ---------------------------------------------------------------------------------------

/// go-yaml v2 reads YAML 1.1 only: a `%YAML` directive other than 1.1 is refused with
/// "found incompatible YAML document", a second one with "found duplicate %YAML
/// directive" (parserc.go:1025-1036). Only the directives before the first document
/// count (kube-apiserver reads one document). serde_yaml accepts `%YAML 1.2`.
pub fn check_yaml_directive(text: &str) -> Result<(), YamlError> {
    let mut seen = false;
    for (i, raw) in text.lines().enumerate() {
        let l = raw.trim_end_matches('\r');
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if !l.starts_with('%') {
            return Ok(());
        }
        let mut words = l[1..].split([' ', '\t']).filter(|w| !w.is_empty());
        if words.next() != Some("YAML") {
            continue;
        }
        let line = i as u32 + 1;
        let err = |problem: &str| YamlError {
            // `(*parser).fail` (decode.go:111-133): `line N: ` with N 0-based, left out on
            // the first line.
            message: if i == 0 {
                format!("yaml: {problem}")
            } else {
                format!("yaml: line {i}: {problem}")
            },
            line,
            column: 1,
        };
        if seen {
            return Err(err("found duplicate %YAML directive"));
        }
        seen = true;
        let version = words.next().unwrap_or("");
        let (major, minor) = version.split_once('.').unwrap_or((version, ""));
        let num = |s: &str| s.parse::<u64>().ok();
        if let (Some(ma), Some(mi)) = (num(major), num(minor)) {
            if (ma, mi) != (1, 1) {
                return Err(err("found incompatible YAML document"));
            }
        }
    }
    Ok(())
}

/// A merge-key failure (decode.go:782-784).
pub const MERGE_WANTS_MAP: &str = "yaml: map merge requires map or sequence of maps as the value";

/// Applies go-yaml v2's merge keys (`<<: *a`, `<<: [*a, *b]`) to every mapping, as
/// v2 decodes into a map (decode.go:660-665, 786-811): entries are written in document
/// order, a merge writing the merged map's entries at the place of the `<<` key, so a
/// later key wins over an earlier one whichever wrote it; a list of maps is merged from
/// the last to the first, so earlier maps win. A key written twice is a strict-decoding
/// error in kube-apiserver ("key ... already set in map"), which only logs a warning:
/// it is returned as a warning. A `"<<"` key written in quotes is an ordinary key.
///
/// `idx` and `text` tell a quoted `"<<"` from a plain one (by the key's position).
pub fn apply_merges(
    node: Node,
    idx: &PosIndex,
    text: &str,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Node, YamlError> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut m = Merger {
        idx,
        lines,
        warnings,
    };
    m.node(node, "")
}

struct Merger<'a> {
    idx: &'a PosIndex,
    lines: Vec<&'a str>,
    warnings: &'a mut Vec<Diagnostic>,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

impl Merger<'_> {
    /// True when the `<<` key at `path` is written in quotes.
    fn quoted(&self, path: &str) -> bool {
        let Some(k) = self.idx.get(path).and_then(|l| l.key) else {
            return false;
        };
        let Some(line) = self.lines.get(k.line as usize - 1) else {
            return false;
        };
        matches!(line.chars().nth(k.col as usize - 1), Some('"' | '\''))
    }

    fn node(&mut self, n: Node, path: &str) -> Result<Node, YamlError> {
        match n {
            Node::Seq(items) => Ok(Node::Seq(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, it)| self.node(it, &format!("{path}[{i}]")))
                    .collect::<Result<_, _>>()?,
            )),
            Node::Map(entries) => self.map(entries, path),
            other => Ok(other),
        }
    }

    fn map(&mut self, entries: Vec<(Node, Node)>, path: &str) -> Result<Node, YamlError> {
        let merge_path = join(path, "<<");
        let has_merge = entries
            .iter()
            .any(|(k, _)| matches!(k, Node::Str(s) if s == "<<"))
            && !self.quoted(&merge_path);
        let mut out: Vec<(Node, Node)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let kp = k.as_key().map(|s| join(path, &s));
            let v = self.node(v, kp.as_deref().unwrap_or(path))?;
            if has_merge && matches!(&k, Node::Str(s) if s == "<<") {
                let maps: Vec<Vec<(Node, Node)>> = match v {
                    Node::Map(e) => vec![e],
                    Node::Seq(items) => {
                        let mut maps = Vec::with_capacity(items.len());
                        for it in items.into_iter().rev() {
                            match it {
                                Node::Map(e) => maps.push(e),
                                _ => return Err(self.want_map(&merge_path)),
                            }
                        }
                        maps
                    }
                    _ => return Err(self.want_map(&merge_path)),
                };
                for e in maps {
                    for (mk, mv) in e {
                        self.set(&mut out, mk, mv, path, true);
                    }
                }
            } else if has_merge {
                self.set(&mut out, k, v, path, false);
            } else {
                out.push((k, v));
            }
        }
        Ok(Node::Map(out))
    }

    /// Writes one entry of a mapping that has a merge key (later writes win).
    fn set(&mut self, out: &mut Vec<(Node, Node)>, k: Node, v: Node, path: &str, from_merge: bool) {
        if let Some(slot) = out.iter_mut().find(|(ok, _)| *ok == k) {
            let key = k.as_key().unwrap_or_default();
            let kp = join(path, &key);
            let how = if from_merge {
                "the merge `<<` writes it again and wins over the value before it"
            } else {
                "it is written again after the merge `<<` and this later value wins"
            };
            self.warnings.push(Diagnostic {
                severity: Severity::Warning,
                code: "merge-override".into(),
                message: format!(
                    "{kp}: the key {key:?} is set twice through a merge key: {how} (kube-apiserver reads merges in document order, as go-yaml v2 does; its strict decoding logs \"key {key:?} already set in map\" and the lenient decoding keeps the later value)"
                ),
                rule: super::validate::rule_of(&kp),
                line: self.idx.pos_of(&kp).line,
                column: self.idx.pos_of(&kp).col,
                path: kp,
            });
            slot.1 = v;
        } else {
            out.push((k, v));
        }
    }

    fn want_map(&self, path: &str) -> YamlError {
        let p = self.idx.pos_of(path);
        YamlError {
            message: MERGE_WANTS_MAP.into(),
            line: p.line,
            column: p.col,
        }
    }
}

/// Map keys that sigs.k8s.io/yaml's YAMLToJSON cannot turn into JSON keys refuse the
/// whole file, wherever they are (sigs yaml.go:212-248): a null key (`~:`, `null:`,
/// an empty key) gives "unsupported map key of type: %!s(<nil>), key: <nil>, value:
/// ..."; go-yaml itself refuses a list or mapping as a key ("yaml: invalid map key",
/// decode.go:672-674). Returns the message and the path of the mapping.
pub fn check_keys(n: &Node, path: &str) -> Option<(String, String)> {
    match n {
        Node::Seq(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, it)| check_keys(it, &format!("{path}[{i}]"))),
        Node::Map(entries) => {
            for (k, v) in entries {
                match k {
                    Node::Null => {
                        return Some((
                            format!(
                                "unsupported map key of type: %!s(<nil>), key: <nil>, value: {}",
                                go_value(v)
                            ),
                            path.to_owned(),
                        ))
                    }
                    Node::Seq(_) | Node::Map(_) => {
                        return Some((
                            format!("yaml: invalid map key: {}", go_value(k)),
                            path.to_owned(),
                        ))
                    }
                    _ => {}
                }
                let kp = join(path, &k.as_key().unwrap_or_default());
                if let Some(e) = check_keys(v, &kp) {
                    return Some(e);
                }
            }
            None
        }
        _ => None,
    }
}

/// A value as Go's `%+#v` prints a decoded YAML value (scalars exactly; collections
/// approximately).
fn go_value(n: &Node) -> String {
    match n {
        Node::Null => "<nil>".into(),
        Node::Bool(b) => b.to_string(),
        Node::Num(s) => s.clone(),
        Node::Str(s) => format!("{s:?}"),
        Node::Seq(items) => format!(
            "[]interface {{}}{{{}}}",
            items.iter().map(go_value).collect::<Vec<_>>().join(", ")
        ),
        Node::Map(e) => format!(
            "map[interface {{}}]interface {{}}{{{}}}",
            e.iter()
                .map(|(k, v)| format!("{}:{}", go_value(k), go_value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_sniff() {
        assert!(is_json_buffer(b"  \n\t{\"a\":1}"));
        assert!(is_json_buffer("\u{a0}\u{85}{".as_bytes()));
        assert!(!is_json_buffer(b"\xEF\xBB\xBF{\"a\":1}"));
        assert!(!is_json_buffer(b"# c\n{\"a\":1}"));
        assert!(!is_json_buffer(b"---\n{\"a\":1}"));
        assert!(!is_json_buffer(b"[1]"));
        assert!(!is_json_buffer(b"\xFF\xFE{\x00"));
    }

    #[test]
    fn go_json_errors() {
        let e = |t: &str| parse_json(t).unwrap_err().message;
        assert_eq!(
            e("{\"a\":1,}"),
            "invalid character '}' looking for beginning of object key string"
        );
        assert_eq!(
            e("{\"a\":[1,]}"),
            "invalid character ']' looking for beginning of value"
        );
        assert_eq!(
            e("{apiVersion: audit.k8s.io/v1}"),
            "invalid character 'a' looking for beginning of object key string"
        );
        assert_eq!(
            e("{\"a\":1}\n---\n"),
            "invalid character '-' after top-level value"
        );
        assert_eq!(e("{\"a\":"), "unexpected end of JSON input");
        assert_eq!(e("{\"a\" 1}"), "invalid character '1' after object key");
    }

    #[test]
    fn reader_errors() {
        let e = |b: &[u8]| decode(b).unwrap_err().message;
        assert_eq!(e(b"a: \xff\n"), "invalid leading UTF-8 octet");
        assert_eq!(e(b"a: \xc3(\n"), "invalid trailing UTF-8 octet");
        assert_eq!(e(b"a: \xc3"), "incomplete UTF-8 octet sequence");
        assert_eq!(e(b"a: \xc0\x80"), "invalid length of a UTF-8 sequence");
        assert_eq!(e(b"a: \xed\xa0\x80"), "invalid Unicode character");
        assert_eq!(e(b"a: \x7f"), "control characters are not allowed");
        assert_eq!(e(b"a\x00"), "control characters are not allowed");
        assert_eq!(e(b"\xff\xfea\x00\x00"), "incomplete UTF-16 character");
        assert_eq!(e(b"\xff\xfe\x00\xdc"), "unexpected low surrogate area");
        let err = decode(b"a: 1\n# \xff\n").unwrap_err();
        assert_eq!((err.offset, err.pos), (7, Pos { line: 2, col: 3 }));
        let le: Vec<u8> = std::iter::once(0xFEFF_u16)
            .chain("a: \u{1F600}\n".encode_utf16())
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(
            decode(&le).unwrap(),
            ("a: \u{1F600}\n".to_owned(), Encoding::Utf16Le)
        );
        let be: Vec<u8> = std::iter::once(0xFEFF_u16)
            .chain("a: é\n".encode_utf16())
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(
            decode(&be).unwrap(),
            ("a: é\n".to_owned(), Encoding::Utf16Be)
        );
    }

    #[test]
    fn yaml_directive() {
        assert!(check_yaml_directive("%YAML 1.1\n---\na: 1\n").is_ok());
        assert!(check_yaml_directive("a: 1\n%YAML 1.2\n").is_ok());
        let e = check_yaml_directive("%YAML 1.2\n---\na: 1\n").unwrap_err();
        assert_eq!(e.message, "yaml: found incompatible YAML document");
        assert_eq!(e.line, 1);
        let e = check_yaml_directive("# c\n%YAML 1.2\n---\n").unwrap_err();
        assert_eq!(e.message, "yaml: line 1: found incompatible YAML document");
        let e = check_yaml_directive("%YAML 1.1\n%YAML 1.1\n---\n").unwrap_err();
        assert_eq!(e.message, "yaml: line 1: found duplicate %YAML directive");
    }
}
