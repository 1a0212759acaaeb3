//! Source positions for policy YAML, and the YAML 1.1 facts kube-apiserver reads it by.
//!
//! serde_yaml gives values but no spans, so this module has three small parts:
//!
//! * [`Node`]: a YAML value tree deserialized through serde_yaml that keeps mapping
//!   entries in order *with duplicates* (kube-apiserver's lenient decoder accepts a
//!   duplicate key, the last one wins; `serde_yaml::Value` would refuse the file).
//! * [`PosIndex`]: a line scanner over the text that records, for every node it
//!   understands, where its key and value sit, how the scalar was written (plain,
//!   quoted, block) and its last line. Nodes are named by field paths in
//!   kube-apiserver's syntax: `rules[3].resources[0].group`.
//! * [`yaml11_kind`]: how go-yaml v2 (YAML 1.1, which kube-apiserver uses through
//!   sigs.k8s.io/yaml) resolves a *plain* scalar: `no`, `on`, `y` are booleans there,
//!   `0777` and `1_000` are integers, while serde_yaml (YAML 1.2) reads them as strings.
//!
//! Limits of the scanner (documented, tested): block style with flow collections
//! (`[..]`, `{..}`, also spanning lines) inside; it ignores complex keys (`? `), multi-line
//! plain scalars (continuation lines are attributed to the node above), and the content
//! of aliases (an alias is located, the anchored value is not re-located). Only the first
//! YAML document is scanned, as kube-apiserver only reads the first. Columns count
//! characters (not bytes), lines and columns are 1-based. Anything the scanner does not
//! understand simply has no position; it never fails and never panics.

use std::fmt;

use foldhash::fast::FixedState;
use hashbrown::HashMap;
use serde::de::{
    self, Deserialize, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use serde::{Deserialize as DeserializeDerive, Serialize as SerializeDerive};

// ---------------------------------------------------------------------------------------
// Node: a duplicate-keeping YAML tree.
// ---------------------------------------------------------------------------------------

/// A YAML value as serde_yaml (YAML 1.2 core schema) resolved it.
///
/// Invariant: `Map` keeps every entry in source order, duplicates included.
/// `Num` keeps the number's text as Rust prints it (used only in messages).
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// A short name of the value's type for messages ("a string", "a list").
    pub fn type_name(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Num(_) => "a number",
            Node::Str(_) => "a string",
            Node::Seq(_) => "a list",
            Node::Map(_) => "a mapping",
        }
    }

    /// The key as kube-apiserver's YAML-to-JSON step turns it into a JSON key
    /// (bools and numbers become their text); `None` for keys JSON cannot hold.
    pub fn as_key(&self) -> Option<String> {
        match self {
            Node::Str(s) => Some(s.clone()),
            Node::Bool(b) => Some(b.to_string()),
            Node::Num(n) => Some(n.clone()),
            _ => None,
        }
    }

    /// The last value of `key` in a mapping (last wins, as in kube-apiserver).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries
                .iter()
                .rev()
                .find(|(k, _)| matches!(k, Node::Str(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value as a string when it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Num(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Num(v.to_string()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        Ok(Node::Num(v.to_string()))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        Ok(Node::Num(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Num(v.to_string()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, v)) = map.next_entry::<Node, Node>()? {
            entries.push((k, v));
        }
        Ok(Node::Map(entries))
    }
    /// A tagged value (`!foo x`). go-yaml keeps the value of an unknown tag as it is
    /// written, so the tag is dropped and the value kept.
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Node, A::Error> {
        let (_tag, variant): (String, _) = data.variant()?;
        variant.newtype_variant::<Node>()
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

/// A YAML syntax error with its position (1-based; 0 = unknown).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub line: u32,
    pub column: u32,
}

/// Parses the first YAML document of `text` (kube-apiserver reads only the first) and
/// reports how many documents the stream holds in all (at least 1 on success).
///
/// serde_yaml refuses recursion deeper than 128 and alias expansion beyond its
/// repetition limit, so alias bombs come back as errors.
pub fn parse_first_document(text: &str) -> Result<(Node, usize), YamlError> {
    let mut docs = serde_yaml::Deserializer::from_str(text);
    let first = match docs.next() {
        Some(d) => d,
        None => return Ok((Node::Null, 1)),
    };
    let node = Node::deserialize(first).map_err(yaml_error)?;
    // The rest is only counted. serde_yaml's document iterator repeats a failed
    // document forever, so stop at the first error (and at a generous cap).
    let mut count = 1;
    for doc in docs.take(MAX_EXTRA_DOCUMENTS) {
        if serde::de::IgnoredAny::deserialize(doc).is_err() {
            break;
        }
        count += 1;
    }
    Ok((node, count))
}

/// Documents after the first that are counted at most.
const MAX_EXTRA_DOCUMENTS: usize = 10_000;

fn yaml_error(e: serde_yaml::Error) -> YamlError {
    let (line, column) = e
        .location()
        .map(|l| (l.line() as u32, l.column() as u32))
        .unwrap_or((0, 0));
    YamlError {
        message: e.to_string(),
        line,
        column,
    }
}

// ---------------------------------------------------------------------------------------
// YAML 1.1 resolution of plain scalars (go-yaml v2, resolve.go).
// ---------------------------------------------------------------------------------------

/// What go-yaml v2 makes of a plain (unquoted) scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Yaml11Kind {
    Null,
    Bool(bool),
    Int,
    Float,
    Str,
}

/// Resolves a plain scalar the way go-yaml v2 does (the YAML library behind
/// kube-apiserver's policy reader). Timestamps stay strings there when decoded into
/// an untyped value, so they resolve to `Str` here.
pub fn yaml11_kind(s: &str) -> Yaml11Kind {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Yaml11Kind::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Yaml11Kind::Bool(false)
        }
        "" | "~" | "null" | "Null" | "NULL" => return Yaml11Kind::Null,
        ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF"
        | "-.inf" | "-.Inf" | "-.INF" => return Yaml11Kind::Float,
        _ => {}
    }
    match s.as_bytes()[0] {
        b'.' => {
            if is_yaml_style_float(s) {
                Yaml11Kind::Float
            } else {
                Yaml11Kind::Str
            }
        }
        b'+' | b'-' | b'0'..=b'9' => {
            let plain: String = s.chars().filter(|&c| c != '_').collect();
            if is_go_int(&plain) {
                Yaml11Kind::Int
            } else if is_yaml_style_float(&plain) {
                Yaml11Kind::Float
            } else {
                Yaml11Kind::Str
            }
        }
        _ => Yaml11Kind::Str,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` syntax (any magnitude: go-yaml falls back to
/// big integers when out of range).
fn is_go_int(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let b = body.as_bytes();
    if b.is_empty() {
        return false;
    }
    let all = |d: &[u8], f: fn(u8) -> bool| !d.is_empty() && d.iter().all(|&c| f(c));
    if b.len() >= 2 && b[0] == b'0' {
        return match b[1] {
            b'x' | b'X' => all(&b[2..], |c| c.is_ascii_hexdigit()),
            b'o' | b'O' => all(&b[2..], |c| (b'0'..=b'7').contains(&c)),
            b'b' | b'B' => all(&b[2..], |c| c == b'0' || c == b'1'),
            _ => all(&b[1..], |c| (b'0'..=b'7').contains(&c)),
        };
    }
    all(b, |c| c.is_ascii_digit())
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.strip_prefix(['+', '-']).unwrap_or(s).as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.first() == Some(&b'.') {
        i = 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

// ---------------------------------------------------------------------------------------
// PosIndex: where things are.
// ---------------------------------------------------------------------------------------

/// A 1-based source position; `col` counts characters. `line == 0` means unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, SerializeDerive, DeserializeDerive)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// How a value was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, SerializeDerive, DeserializeDerive)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    /// `|` block scalar.
    Literal,
    /// `>` block scalar.
    Folded,
    FlowSeq,
    FlowMap,
    BlockSeq,
    BlockMap,
    Alias,
    /// Nothing after the key (`key:` with no value): null.
    Empty,
}

/// Where one node sits.
///
/// Invariants: `key` is the key of a mapping entry or the `-` of a block sequence item
/// (the item itself for flow items); `value.line <= end_line`; `plain` is set exactly
/// when `style == Plain` and holds the scalar as written (trimmed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub key: Option<Pos>,
    pub value: Pos,
    pub end_line: u32,
    pub style: Style,
    pub plain: Option<Box<str>>,
    /// For a `|`/`>` block scalar: first content line and its indentation (in columns).
    pub block_body: Option<(u32, u32)>,
}

impl Located {
    /// The best single position for messages: the key, else the value.
    pub fn start(&self) -> Pos {
        self.key.unwrap_or(self.value)
    }
}

/// Positions of the nodes of the first YAML document, by field path.
#[derive(Clone, Debug, Default)]
pub struct PosIndex {
    nodes: Vec<Located>,
    by_path: HashMap<Box<str>, usize, FixedState>,
    /// Added to every line (used for policies embedded in a ConfigMap).
    line_shift: u32,
    /// Added to every column.
    col_shift: u32,
}

impl PosIndex {
    /// Scans `text`. Linear in the text; never fails.
    pub fn scan(text: &str) -> PosIndex {
        let mut s = Scanner::new(text);
        s.run();
        PosIndex {
            nodes: s.nodes,
            by_path: s.by_path,
            line_shift: 0,
            col_shift: 0,
        }
    }

    /// An index whose positions are shifted: used when the scanned text is the body of a
    /// literal block scalar whose first content line is `line`, indented `indent` columns.
    pub fn shifted(mut self, line: u32, indent: u32) -> PosIndex {
        self.line_shift = line.saturating_sub(1);
        self.col_shift = indent;
        self
    }

    fn shift(&self, p: Pos) -> Pos {
        if p.line == 0 {
            return p;
        }
        Pos {
            line: p.line + self.line_shift,
            col: p.col + self.col_shift,
        }
    }

    /// The node at `path`, positions shifted.
    pub fn get(&self, path: &str) -> Option<Located> {
        let mut l = self.nodes.get(*self.by_path.get(path)?)?.clone();
        l.key = l.key.map(|k| self.shift(k));
        l.value = self.shift(l.value);
        if l.end_line != 0 {
            l.end_line += self.line_shift;
        }
        if let Some((line, ind)) = l.block_body {
            l.block_body = Some((line + self.line_shift, ind + self.col_shift));
        }
        Some(l)
    }

    /// The position for a message about `path`: the node's start, else the start of
    /// the nearest located ancestor, else line 0 (unknown).
    pub fn pos_of(&self, path: &str) -> Pos {
        let mut p = path;
        loop {
            if let Some(l) = self.get(p) {
                return l.start();
            }
            match parent_path(p) {
                Some(parent) => p = parent,
                None => return Pos::default(),
            }
        }
    }

    /// The position of the value at `path` (falls back like [`PosIndex::pos_of`]).
    pub fn value_pos(&self, path: &str) -> Pos {
        match self.get(path) {
            Some(l) => l.value,
            None => self.pos_of(path),
        }
    }

    /// The raw text of a plain scalar at `path`, if the scanner saw one there.
    pub fn plain_at(&self, path: &str) -> Option<Box<str>> {
        self.nodes.get(*self.by_path.get(path)?)?.plain.clone()
    }

    /// Number of located nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True when nothing was located.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

/// `a.b[2].c` -> `a.b[2]` -> `a.b` -> `a` -> None.
pub fn parent_path(p: &str) -> Option<&str> {
    let cut = p.rfind(['.', '['])?;
    Some(&p[..cut])
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Map,
    Seq,
}

struct Frame {
    /// Byte column of this container's entries (keys or dashes).
    indent: usize,
    kind: Kind,
    path: String,
    owner: Option<usize>,
    next_index: usize,
}

struct Pending {
    path: String,
    node: usize,
    /// Byte column of the key or dash that opened the value.
    parent_indent: usize,
    /// A block sequence may start at the key's own indentation (`key:\n- a`).
    same_indent_seq: bool,
}

struct Block {
    node: usize,
    parent_indent: usize,
    seen_body: bool,
}

const MAX_FLOW_DEPTH: usize = 64;

struct Scanner<'t> {
    text: &'t str,
    line_starts: Vec<usize>,
    nodes: Vec<Located>,
    by_path: HashMap<Box<str>, usize, FixedState>,
    stack: Vec<Frame>,
    pending: Option<Pending>,
    block: Option<Block>,
    /// Byte offset before which lines were consumed by a multi-line flow collection.
    skip_until: usize,
}

impl<'t> Scanner<'t> {
    fn new(text: &'t str) -> Scanner<'t> {
        let mut line_starts = vec![0];
        for i in memchr::memchr_iter(b'\n', text.as_bytes()) {
            line_starts.push(i + 1);
        }
        Scanner {
            text,
            line_starts,
            nodes: Vec::new(),
            by_path: HashMap::with_hasher(FixedState::default()),
            stack: Vec::new(),
            pending: None,
            block: None,
            skip_until: 0,
        }
    }

    /// Position of byte offset `off`.
    fn pos(&self, off: usize) -> Pos {
        let off = off.min(self.text.len());
        let li = self
            .line_starts
            .partition_point(|&s| s <= off)
            .saturating_sub(1);
        let start = self.line_starts[li];
        let col = self
            .text
            .get(start..off)
            .map_or(off - start, |s| s.chars().count());
        Pos {
            line: li as u32 + 1,
            col: col as u32 + 1,
        }
    }

    /// 1-based line of byte offset `off`.
    fn line_of(&self, off: usize) -> u32 {
        self.line_starts.partition_point(|&s| s <= off) as u32
    }

    fn add(&mut self, path: &str, key: Option<usize>, value: usize, style: Style) -> usize {
        let key = key.map(|k| self.pos(k));
        let value = self.pos(value);
        let idx = self.nodes.len();
        self.nodes.push(Located {
            key,
            value,
            end_line: value.line,
            style,
            plain: None,
            block_body: None,
        });
        self.by_path.insert(path.into(), idx);
        idx
    }

    /// Marks every open container (and `extra`) as reaching `line`.
    fn touch(&mut self, line: u32, extra: Option<usize>) {
        let owners = self.stack.iter().filter_map(|f| f.owner);
        let pending = self.pending.as_ref().map(|p| p.node);
        for o in owners.chain(pending).chain(extra) {
            if let Some(n) = self.nodes.get_mut(o) {
                n.end_line = n.end_line.max(line);
            }
        }
    }

    fn run(&mut self) {
        let text = self.text;
        let mut seen_content = false;
        let nlines = self.line_starts.len();
        for li in 0..nlines {
            let start = self.line_starts[li];
            let end = if li + 1 < nlines {
                self.line_starts[li + 1] - 1
            } else {
                text.len()
            };
            if end < self.skip_until {
                continue;
            }
            let raw = &text[start..end];
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            let indent = raw.len() - raw.trim_start_matches(' ').len();
            let content_full = &raw[indent..];
            let content = strip_comment(content_full).trim_end();
            let line_no = li as u32 + 1;

            // Inside a block scalar: more-indented (or blank) lines belong to it.
            if let Some(b) = &mut self.block {
                if content_full.trim().is_empty() {
                    continue;
                }
                if indent > b.parent_indent {
                    let node = b.node;
                    if !b.seen_body {
                        b.seen_body = true;
                        let col = raw[..indent].chars().count() as u32;
                        if let Some(n) = self.nodes.get_mut(node) {
                            n.block_body = Some((line_no, col));
                        }
                    }
                    self.touch(line_no, Some(node));
                    continue;
                }
                self.block = None;
            }
            if content.is_empty() {
                continue;
            }
            if indent == 0 && (content == "---" || content.starts_with("--- ") || content == "...")
            {
                if seen_content {
                    break;
                }
                continue;
            }
            if indent == 0 && content.starts_with('%') && !seen_content {
                continue;
            }
            if !seen_content && matches!(content.as_bytes()[0], b'{' | b'[') {
                // A document that is one flow collection (a JSON file): read it whole.
                seen_content = true;
                let mut f = Flow { s: self, depth: 0 };
                let end = f.value("", None, start + indent);
                self.skip_until = end.max(end_of_line(text, start));
                continue;
            }
            seen_content = true;
            let is_item = is_seq_item(content);

            // A value left open by `key:` or `-`.
            if let Some(p) = self.pending.take() {
                let opens = indent > p.parent_indent
                    || (p.same_indent_seq && indent == p.parent_indent && is_item);
                if opens {
                    if let Some(n) = self.nodes.get_mut(p.node) {
                        n.style = if is_item {
                            Style::BlockSeq
                        } else {
                            Style::BlockMap
                        };
                    }
                    self.stack.push(Frame {
                        indent,
                        kind: if is_item { Kind::Seq } else { Kind::Map },
                        path: p.path,
                        owner: Some(p.node),
                        next_index: 0,
                    });
                }
            }
            while let Some(top) = self.stack.last() {
                if top.indent > indent
                    || (top.indent == indent && top.kind == Kind::Seq && !is_item)
                {
                    self.stack.pop();
                } else {
                    break;
                }
            }
            if self.stack.is_empty() {
                self.stack.push(Frame {
                    indent,
                    kind: if is_item { Kind::Seq } else { Kind::Map },
                    path: String::new(),
                    owner: None,
                    next_index: 0,
                });
            }
            self.touch(line_no, None);
            let top = self.stack.len() - 1;
            if self.stack[top].indent != indent {
                continue; // continuation of a multi-line plain scalar, or not understood
            }
            self.entry(top, start + indent, content.len());
        }
    }

    /// One entry of the container `frame` starting at byte `off`, `len` bytes of content.
    fn entry(&mut self, frame: usize, off: usize, len: usize) {
        let text = self.text;
        let content = &text[off..off + len];
        let col = self.stack[frame].indent;
        match self.stack[frame].kind {
            Kind::Seq => {
                if !is_seq_item(content) {
                    return;
                }
                let idx = self.stack[frame].next_index;
                self.stack[frame].next_index += 1;
                let path = format!("{}[{}]", self.stack[frame].path, idx);
                let rest = content[1..].trim_start_matches([' ', '\t']);
                let rest_off = off + (len - rest.len());
                if rest.is_empty() {
                    let node = self.add(&path, Some(off), off, Style::Empty);
                    self.pending = Some(Pending {
                        path,
                        node,
                        parent_indent: col,
                        same_indent_seq: false,
                    });
                    return;
                }
                let node = self.add(&path, Some(off), rest_off, Style::Plain);
                let rest_col = col + (rest_off - off);
                let kind = if is_seq_item(rest) {
                    Some(Kind::Seq)
                } else if map_colon(rest).is_some() {
                    Some(Kind::Map)
                } else {
                    None
                };
                match kind {
                    Some(kind) => {
                        self.nodes[node].style = if kind == Kind::Seq {
                            Style::BlockSeq
                        } else {
                            Style::BlockMap
                        };
                        self.stack.push(Frame {
                            indent: rest_col,
                            kind,
                            path,
                            owner: Some(node),
                            next_index: 0,
                        });
                        let f = self.stack.len() - 1;
                        self.entry(f, rest_off, rest.len());
                    }
                    None => self.value(&path, node, rest_off, rest.len(), col),
                }
            }
            Kind::Map => {
                let Some(colon) = map_colon(content) else {
                    return;
                };
                let key = unquote_key(content[..colon].trim_end());
                let parent = &self.stack[frame].path;
                let path = if parent.is_empty() {
                    key
                } else {
                    format!("{parent}.{key}")
                };
                let after = &content[colon + 1..];
                let rest = after.trim_start_matches([' ', '\t']);
                let rest_off = off + colon + 1 + (after.len() - rest.len());
                if rest.is_empty() {
                    let node = self.add(&path, Some(off), off + colon, Style::Empty);
                    self.pending = Some(Pending {
                        path,
                        node,
                        parent_indent: col,
                        same_indent_seq: true,
                    });
                    return;
                }
                let node = self.add(&path, Some(off), rest_off, Style::Plain);
                self.value(&path, node, rest_off, rest.len(), col);
            }
        }
    }

    /// A value written on the same line as its key or dash.
    fn value(&mut self, path: &str, node: usize, off: usize, len: usize, parent_indent: usize) {
        let text = self.text;
        let mut off = off;
        let mut v = &text[off..off + len];
        // Anchors and tags decorate the value; skip them.
        while v.starts_with('&') || v.starts_with('!') {
            let cut = v.find([' ', '\t']).unwrap_or(v.len());
            let rest = v[cut..].trim_start();
            off += v.len() - rest.len();
            v = rest;
        }
        if v.is_empty() {
            self.nodes[node].style = Style::Empty;
            self.pending = Some(Pending {
                path: path.to_owned(),
                node,
                parent_indent,
                same_indent_seq: true,
            });
            return;
        }
        self.nodes[node].value = self.pos(off);
        self.nodes[node].end_line = self.nodes[node].value.line;
        let first = v.as_bytes()[0];
        match first {
            b'*' => self.nodes[node].style = Style::Alias,
            b'|' | b'>' => {
                self.nodes[node].style = if first == b'|' {
                    Style::Literal
                } else {
                    Style::Folded
                };
                self.block = Some(Block {
                    node,
                    parent_indent,
                    seen_body: false,
                });
            }
            b'[' | b'{' => {
                let mut f = Flow { s: self, depth: 0 };
                let end = f.value(path, Some(node), off);
                let end_line = self.line_of(end.saturating_sub(1).max(off));
                self.touch(end_line, Some(node));
                let line_end = self
                    .line_starts
                    .get(self.line_of(off) as usize)
                    .copied()
                    .unwrap_or(usize::MAX);
                if end > line_end {
                    self.skip_until = end;
                }
            }
            b'"' => self.nodes[node].style = Style::DoubleQuoted,
            b'\'' => self.nodes[node].style = Style::SingleQuoted,
            _ => {
                self.nodes[node].style = Style::Plain;
                self.nodes[node].plain = Some(v.trim_end().into());
            }
        }
    }
}

/// A recursive-descent reader of flow collections over the whole text.
struct Flow<'s, 't> {
    s: &'s mut Scanner<'t>,
    depth: usize,
}

impl<'t> Flow<'_, 't> {
    fn bytes(&self) -> &'t [u8] {
        self.s.text.as_bytes()
    }

    fn skip_ws(&self, mut i: usize) -> usize {
        let b = self.bytes();
        while i < b.len() {
            match b[i] {
                b' ' | b'\t' | b'\r' | b'\n' => i += 1,
                b'#' if i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'\n') => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                _ => break,
            }
        }
        i
    }

    /// Reads a value at `i` (after whitespace); records it at `path` unless `node` is
    /// given (then that node is updated). Returns the offset after the value.
    fn value(&mut self, path: &str, node: Option<usize>, i: usize) -> usize {
        let i = self.skip_ws(i);
        let b = self.bytes();
        if i >= b.len() {
            return i;
        }
        let node = match node {
            Some(n) => {
                self.s.nodes[n].value = self.s.pos(i);
                n
            }
            None => self.s.add(path, Some(i), i, Style::Plain),
        };
        match b[i] {
            b'[' => {
                self.s.nodes[node].style = Style::FlowSeq;
                self.seq(path, i + 1)
            }
            b'{' => {
                self.s.nodes[node].style = Style::FlowMap;
                self.map(path, i + 1)
            }
            b'"' | b'\'' => {
                self.s.nodes[node].style = if b[i] == b'"' {
                    Style::DoubleQuoted
                } else {
                    Style::SingleQuoted
                };
                let end = quoted_end(b, i);
                self.s.nodes[node].end_line = self.s.line_of(end.saturating_sub(1));
                end
            }
            b'*' => {
                self.s.nodes[node].style = Style::Alias;
                self.plain_end(i)
            }
            _ => {
                let end = self.plain_end(i);
                let raw = self.s.text[i..end].trim_end();
                self.s.nodes[node].style = Style::Plain;
                self.s.nodes[node].plain = Some(raw.into());
                end
            }
        }
    }

    /// End of a plain scalar in flow context.
    fn plain_end(&self, mut i: usize) -> usize {
        let b = self.bytes();
        while i < b.len() {
            match b[i] {
                b',' | b'[' | b']' | b'{' | b'}' | b'\n' => break,
                b':' if matches!(
                    b.get(i + 1),
                    None | Some(b' ' | b'\t' | b'\n' | b',' | b']' | b'}')
                ) =>
                {
                    break
                }
                b'#' if i > 0 && matches!(b[i - 1], b' ' | b'\t') => break,
                _ => i += 1,
            }
        }
        i
    }

    fn seq(&mut self, path: &str, mut i: usize) -> usize {
        self.depth += 1;
        if self.depth > MAX_FLOW_DEPTH {
            return self.bytes().len();
        }
        let mut idx = 0;
        loop {
            i = self.skip_ws(i);
            match self.bytes().get(i) {
                None => break,
                Some(b']') => {
                    i += 1;
                    break;
                }
                Some(b',') => {
                    i += 1;
                    continue;
                }
                _ => {}
            }
            let item = format!("{path}[{idx}]");
            idx += 1;
            let before = i;
            i = self.value(&item, None, i);
            // `[k: v]`: a single-pair mapping inside a sequence; skip its value.
            let j = self.skip_ws(i);
            if self.bytes().get(j) == Some(&b':') {
                i = self.value(&format!("{item}.?"), None, j + 1);
            }
            if i == before {
                i += 1; // never loop in place
            }
        }
        self.depth -= 1;
        i
    }

    fn map(&mut self, path: &str, mut i: usize) -> usize {
        self.depth += 1;
        if self.depth > MAX_FLOW_DEPTH {
            return self.bytes().len();
        }
        loop {
            i = self.skip_ws(i);
            let b = self.bytes();
            match b.get(i) {
                None => break,
                Some(b'}') => {
                    i += 1;
                    break;
                }
                Some(b',') => {
                    i += 1;
                    continue;
                }
                _ => {}
            }
            let key_start = i;
            let key_end = match b[i] {
                b'"' | b'\'' => quoted_end(b, i),
                _ => self.plain_end(i),
            };
            if key_end == key_start {
                i += 1;
                continue;
            }
            let key = unquote_key(self.s.text[key_start..key_end].trim_end());
            let kpath = if path.is_empty() {
                key
            } else {
                format!("{path}.{key}")
            };
            let j = self.skip_ws(key_end);
            if b.get(j) == Some(&b':') {
                let node = self.s.add(&kpath, Some(key_start), j + 1, Style::Empty);
                let v = self.skip_ws(j + 1);
                match b.get(v) {
                    None | Some(b',') | Some(b'}') => i = v,
                    _ => i = self.value(&kpath, Some(node), v),
                }
            } else {
                self.s.add(&kpath, Some(key_start), key_start, Style::Empty);
                i = j;
            }
        }
        self.depth -= 1;
        i
    }
}

/// Offset after the closing quote of the quoted scalar starting at `i` (`b[i]` is `"` or
/// `'`; `\` escapes in double quotes, `''` in single quotes); `b.len()` when unclosed.
pub fn quoted_end(b: &[u8], i: usize) -> usize {
    let q = b[i];
    let mut j = i + 1;
    while j < b.len() {
        if q == b'"' && b[j] == b'\\' {
            j += 2;
            continue;
        }
        if b[j] == q {
            if q == b'\'' && b.get(j + 1) == Some(&b'\'') {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    b.len()
}

/// Offset of the end of the line starting at `start`.
fn end_of_line(text: &str, start: usize) -> usize {
    memchr::memchr(b'\n', &text.as_bytes()[start..]).map_or(text.len(), |i| start + i)
}

/// True for `-` alone or `- ...`: a block sequence entry.
fn is_seq_item(content: &str) -> bool {
    content == "-" || content.starts_with("- ") || content.starts_with("-\t")
}

/// The byte index of the `:` that ends a block mapping key, if `content` is an entry.
fn map_colon(content: &str) -> Option<usize> {
    let b = content.as_bytes();
    if b.is_empty() || matches!(b[0], b'[' | b'{' | b'#' | b'|' | b'>' | b'*' | b'?') {
        return None;
    }
    let mut i = 0;
    if matches!(b[0], b'"' | b'\'') {
        i = quoted_end(b, 0);
    }
    while i < b.len() {
        if b[i] == b':' && matches!(b.get(i + 1), None | Some(b' ' | b'\t')) {
            return Some(i);
        }
        if b[i] == b'#' && i > 0 && matches!(b[i - 1], b' ' | b'\t') {
            return None;
        }
        i += 1;
    }
    None
}

/// The key text without its quotes (only `\"`, `\\` and `''` are unescaped).
fn unquote_key(k: &str) -> String {
    if k.len() >= 2 && k.starts_with('"') && k.ends_with('"') {
        return k[1..k.len() - 1]
            .replace("\\\"", "\"")
            .replace("\\\\", "\\");
    }
    if k.len() >= 2 && k.starts_with('\'') && k.ends_with('\'') {
        return k[1..k.len() - 1].replace("''", "'");
    }
    k.to_owned()
}

/// The line without its comment: `#` at the start or after whitespace, outside quotes
/// that open a token.
fn strip_comment(content: &str) -> &str {
    let b = content.as_bytes();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) => {
                if q == b'"' && c == b'\\' {
                    i += 2;
                    continue;
                }
                if c == q {
                    if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    quote = None;
                }
            }
            None => {
                let token_start = i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'[' | b'{' | b',');
                if (c == b'"' || c == b'\'') && token_start {
                    quote = Some(c);
                } else if c == b'#' && (i == 0 || matches!(b[i - 1], b' ' | b'\t')) {
                    return &content[..i];
                }
            }
        }
        i += 1;
    }
    content
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(idx: &PosIndex, path: &str) -> (u32, u32) {
        let l = idx.get(path).unwrap_or_else(|| panic!("no node at {path}"));
        (l.value.line, l.value.col)
    }

    #[test]
    fn yaml11_table() {
        use Yaml11Kind::*;
        let cases: &[(&str, Yaml11Kind)] = &[
            ("y", Bool(true)),
            ("Y", Bool(true)),
            ("yes", Bool(true)),
            ("YES", Bool(true)),
            ("on", Bool(true)),
            ("On", Bool(true)),
            ("True", Bool(true)),
            ("n", Bool(false)),
            ("no", Bool(false)),
            ("No", Bool(false)),
            ("off", Bool(false)),
            ("OFF", Bool(false)),
            ("false", Bool(false)),
            ("yEs", Str),
            ("nO", Str),
            ("~", Null),
            ("null", Null),
            ("1234", Int),
            ("-12", Int),
            ("+7", Int),
            ("0777", Int),
            ("0x1F", Int),
            ("0o17", Int),
            ("0b101", Int),
            ("1_000", Int),
            ("99999999999999999999999", Int),
            ("089", Float),
            ("1.5", Float),
            ("1e3", Float),
            (".5", Float),
            (".inf", Float),
            ("-.Inf", Float),
            ("2001-12-14", Str),
            ("1.2.3", Str),
            ("default", Str),
            ("system:nodes", Str),
            ("/healthz*", Str),
            ("-", Str),
            ("0x", Str),
        ];
        for (s, want) in cases {
            assert_eq!(yaml11_kind(s), *want, "{s}");
        }
    }

    #[test]
    fn node_keeps_duplicates_and_order() {
        let (n, docs) = parse_first_document("a: 1\nb: x\na: 2\n").unwrap();
        assert_eq!(docs, 1);
        let Node::Map(entries) = &n else {
            panic!("not a map")
        };
        assert_eq!(entries.len(), 3);
        assert_eq!(n.get("a"), Some(&Node::Num("2".into())));
    }

    #[test]
    fn node_first_document_only() {
        let (n, docs) = parse_first_document("a: 1\n---\nb: 2\n").unwrap();
        assert_eq!(docs, 2);
        assert!(n.get("b").is_none());
    }

    #[test]
    fn broken_later_document_does_not_hang() {
        // serde_yaml's iterator yields a failed document forever; counting must stop.
        let (n, _) = parse_first_document("'',").unwrap_or((Node::Null, 0));
        assert!(matches!(n, Node::Null | Node::Str(_)));
        let (n, docs) = parse_first_document("a: 1\n---\nb: [\n").unwrap();
        assert_eq!(docs, 1);
        assert_eq!(n.get("a"), Some(&Node::Num("1".into())));
    }

    #[test]
    fn node_tag_is_dropped() {
        let (n, _) = parse_first_document("a: !foo bar\n").unwrap();
        assert_eq!(n.get("a"), Some(&Node::Str("bar".into())));
    }

    #[test]
    fn alias_bomb_is_an_error_not_a_hang() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            s.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert!(parse_first_document(&s).is_err());
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let s = "[".repeat(10_000);
        assert!(parse_first_document(&s).is_err());
        let _ = PosIndex::scan(&s); // and the scanner neither panics nor overflows
    }

    #[test]
    fn scan_block_policy() {
        let text = "\
apiVersion: audit.k8s.io/v1
kind: Policy
# a comment
rules:
  - level: None
    users: [\"system:kube-proxy\", 'x']
    verbs:
    - watch
  - level: Metadata
    resources:
      - group: \"\"   # core
        resources: [\"pods/log\", pods/status]
";
        let idx = PosIndex::scan(text);
        assert_eq!(at(&idx, "apiVersion"), (1, 13));
        assert_eq!(
            idx.get("rules[0]").unwrap().key,
            Some(Pos { line: 5, col: 3 })
        );
        assert_eq!(idx.get("rules[0]").unwrap().end_line, 8);
        assert_eq!(at(&idx, "rules[0].level"), (5, 12));
        assert_eq!(idx.plain_at("rules[0].level").as_deref(), Some("None"));
        assert_eq!(at(&idx, "rules[0].users[0]"), (6, 13));
        assert_eq!(
            idx.get("rules[0].users[0]").unwrap().style,
            Style::DoubleQuoted
        );
        assert_eq!(at(&idx, "rules[0].users[1]"), (6, 34));
        assert_eq!(
            idx.get("rules[0].users[1]").unwrap().style,
            Style::SingleQuoted
        );
        assert_eq!(at(&idx, "rules[0].verbs[0]"), (8, 7));
        assert_eq!(
            idx.get("rules[1]").unwrap().key,
            Some(Pos { line: 9, col: 3 })
        );
        assert_eq!(idx.get("rules[1]").unwrap().end_line, 12);
        assert_eq!(
            idx.get("rules[1].resources[0].group").unwrap().style,
            Style::DoubleQuoted
        );
        assert_eq!(at(&idx, "rules[1].resources[0].resources[1]"), (12, 33));
        assert_eq!(
            idx.plain_at("rules[1].resources[0].resources[1]")
                .as_deref(),
            Some("pods/status")
        );
        assert_eq!(idx.get("rules").unwrap().end_line, 12);
    }

    #[test]
    fn scan_flow_map_and_multiline_flow() {
        let text = "rules:\n- {level: None, users: [a,\n    b]}\n- level: Metadata\n";
        let idx = PosIndex::scan(text);
        assert_eq!(at(&idx, "rules[0].level"), (2, 11));
        assert_eq!(at(&idx, "rules[0].users[1]"), (3, 5));
        assert_eq!(idx.get("rules[0]").unwrap().end_line, 3);
        assert_eq!(
            idx.get("rules[1]").unwrap().key,
            Some(Pos { line: 4, col: 1 })
        );
    }

    #[test]
    fn scan_block_scalar_body() {
        let text = "data:\n  p.yaml: |\n    rules:\n    - level: None\n  other: x\n";
        let idx = PosIndex::scan(text);
        let l = idx.get("data.p.yaml").unwrap();
        assert_eq!(l.style, Style::Literal);
        assert_eq!(l.block_body, Some((3, 4)));
        assert_eq!(l.end_line, 4);
        assert!(idx.get("data.p.yaml.rules").is_none());
        assert_eq!(at(&idx, "data.other"), (5, 10));
        let inner = PosIndex::scan("rules:\n- level: None\n").shifted(3, 4);
        assert_eq!(
            inner.get("rules[0].level").unwrap().value,
            Pos { line: 4, col: 14 }
        );
    }

    #[test]
    fn scan_comment_and_quotes() {
        assert_eq!(strip_comment("a: b # c"), "a: b ");
        assert_eq!(strip_comment("a: \"b # c\""), "a: \"b # c\"");
        assert_eq!(strip_comment("a: b#c"), "a: b#c");
        assert_eq!(strip_comment("# only"), "");
        assert_eq!(map_colon("a: b"), Some(1));
        assert_eq!(map_colon("url: http://x"), Some(3));
        assert_eq!(map_colon("http://x"), None);
        assert_eq!(map_colon("\"a: b\": c"), Some(6));
        assert_eq!(map_colon("a:"), Some(1));
    }

    #[test]
    fn scan_unicode_columns_and_crlf() {
        let idx = PosIndex::scan("é: x\r\nb: [y]\r\n");
        assert_eq!(at(&idx, "é"), (1, 4));
        assert_eq!(at(&idx, "b[0]"), (2, 5));
        assert_eq!(idx.plain_at("b[0]").as_deref(), Some("y"));
    }

    #[test]
    fn scan_second_document_ignored() {
        let idx = PosIndex::scan("---\na: 1\n---\nb: 2\n");
        assert!(idx.get("a").is_some());
        assert!(idx.get("b").is_none());
    }

    #[test]
    fn scan_never_panics_on_odd_input() {
        for t in [
            "",
            "-",
            ": :",
            "- - - x",
            "a:\n  - [\n",
            "'unterminated",
            "{a: [}",
            "a: |\n",
            "\t- x",
            "a: &x\n  b: *x",
            "a: \"é",
        ] {
            let _ = PosIndex::scan(t);
        }
    }

    #[test]
    fn pos_of_falls_back_to_ancestor() {
        let idx = PosIndex::scan("rules:\n- level: None\n");
        assert_eq!(idx.pos_of("rules[0].users[3]"), Pos { line: 2, col: 1 });
        assert_eq!(idx.pos_of("nothing"), Pos::default());
    }
}
