//! Two policies side by side: a line diff of their texts (a minimal edit script, grouped
//! into hunks, printable as a unified diff that `patch` and `git apply` accept) and an
//! alignment of their rules (which rule of A is which rule of B, and what changed).
//!
//! Pure: no store, no policy evaluation. The line diff is Myers' O((N+M)·D) algorithm in
//! its linear-space form (the middle snake, divide and conquer), after dropping the common
//! prefix and suffix and the lines that occur on one side only (they can never be part of
//! a longest common subsequence, so the script stays minimal).
//!
//! Lines: a line is its text up to and including `\n`; `\r` is part of the text (a CRLF
//! line differs from an LF line, as in GNU diff); the last line may lack `\n`
//! ([`DiffLine::no_eol`], printed as `\ No newline at end of file`).

use super::policy::{GroupResources, Policy, PolicyRule};
use super::{Stage, StageSet};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What a line of a diff is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LineKind {
    /// On both sides (context).
    Same,
    /// Only in B.
    Added,
    /// Only in A.
    Removed,
}

/// One line of a hunk.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffLine {
    pub kind: LineKind,
    /// 1-based line number in A (`None` for an added line).
    pub a_line: Option<u32>,
    /// 1-based line number in B (`None` for a removed line).
    pub b_line: Option<u32>,
    /// The line without its `\n` (a `\r` before it is kept).
    pub text: String,
    /// The line is the last of its file and has no `\n` after it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_eol: bool,
}

/// A group of changes with their context, as one `@@` block of a unified diff.
///
/// The numbers are the header's: `a_start` is the 1-based first line of A in the hunk, or,
/// when `a_len` is 0, the line after which the hunk's B lines go (0 = before the first);
/// the same for B. `lines` holds `a_len` lines that are Same or Removed and `b_len` that
/// are Same or Added, in file order; within a change, removed lines come first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hunk {
    pub a_start: u32,
    pub a_len: u32,
    pub b_start: u32,
    pub b_len: u32,
    pub lines: Vec<DiffLine>,
}

/// Splits `s` into lines, each with its `\n` when it has one.
fn split_lines(s: &str) -> Vec<&str> {
    s.split_inclusive('\n').collect()
}

/// The longest common subsequence of `a` and `b` as matched index pairs, increasing in
/// both. Minimal: `a.len() + b.len() - 2 * result.len()` is the edit distance.
pub fn lcs<T: Eq + std::hash::Hash>(a: &[T], b: &[T]) -> Vec<(usize, usize)> {
    // Intern both sides, drop the elements absent from the other side.
    let mut ids: HashMap<&T, u32> = HashMap::with_capacity(a.len() + b.len());
    let mut next = 0u32;
    // Per id: bit 1 = in A, bit 2 = in B.
    let mut seen: Vec<u8> = Vec::new();
    let mut ia = Vec::with_capacity(a.len());
    for x in a {
        let v = *ids.entry(x).or_insert_with(|| {
            next += 1;
            seen.push(0);
            next - 1
        });
        seen[v as usize] |= 1;
        ia.push(v);
    }
    let mut ib = Vec::with_capacity(b.len());
    for x in b {
        let v = *ids.entry(x).or_insert_with(|| {
            next += 1;
            seen.push(0);
            next - 1
        });
        seen[v as usize] |= 2;
        ib.push(v);
    }
    let (fa, ma): (Vec<u32>, Vec<usize>) = ia
        .iter()
        .enumerate()
        .filter(|(_, v)| seen[**v as usize] == 3)
        .map(|(i, v)| (*v, i))
        .unzip();
    let (fb, mb): (Vec<u32>, Vec<usize>) = ib
        .iter()
        .enumerate()
        .filter(|(_, v)| seen[**v as usize] == 3)
        .map(|(i, v)| (*v, i))
        .unzip();
    let mut out = Vec::new();
    let n = fa.len() + fb.len();
    let mut vf = vec![0isize; n + 5];
    let mut vb = vec![0isize; n + 5];
    myers(&fa, &fb, 0, 0, &mut vf, &mut vb, &mut out);
    out.into_iter().map(|(x, y)| (ma[x], mb[y])).collect()
}

/// Appends to `out` the matches of a minimal script of `a` against `b` (offsets `ox`,
/// `oy` added). `vf`/`vb`: scratch of at least `a.len() + b.len() + 5`.
fn myers(
    mut a: &[u32],
    mut b: &[u32],
    mut ox: usize,
    mut oy: usize,
    vf: &mut [isize],
    vb: &mut [isize],
    out: &mut Vec<(usize, usize)>,
) {
    // Common prefix.
    let p = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    for i in 0..p {
        out.push((ox + i, oy + i));
    }
    a = &a[p..];
    b = &b[p..];
    ox += p;
    oy += p;
    // Common suffix (pushed after the middle).
    let s = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[..a.len() - s], &b[..b.len() - s]);
    if !ma.is_empty() && !mb.is_empty() {
        let (x0, y0, x1, y1) = middle_snake(ma, mb, vf, vb);
        myers(&ma[..x0], &mb[..y0], ox, oy, vf, vb, out);
        for i in 0..(x1 - x0) {
            out.push((ox + x0 + i, oy + y0 + i));
        }
        myers(&ma[x1..], &mb[y1..], ox + x1, oy + y1, vf, vb, out);
    }
    for i in 0..s {
        out.push((ox + ma.len() + i, oy + mb.len() + i));
    }
}

/// Myers' middle snake of `a` and `b` (both non-empty, first and last elements differ):
/// `(x0, y0, x1, y1)`, a (possibly empty) diagonal run in the middle of a shortest path.
fn middle_snake(
    a: &[u32],
    b: &[u32],
    vf: &mut [isize],
    vb: &mut [isize],
) -> (usize, usize, usize, usize) {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let delta = n - m;
    let odd = delta & 1 != 0;
    let max = (n + m + 1) / 2;
    // Diagonal k is stored at k + off; k ranges over [-max-1, max+1].
    let off = max + 1;
    let len = (2 * max + 3) as usize;
    debug_assert!(vf.len() >= len && vb.len() >= len);
    vf[(1 + off) as usize] = 0;
    vb[(1 + off) as usize] = 0;
    for d in 0..=max {
        // Forward.
        let mut k = -d;
        while k <= d {
            let i = (k + off) as usize;
            let mut x = if k == -d || (k != d && vf[i - 1] < vf[i + 1]) {
                vf[i + 1]
            } else {
                vf[i - 1] + 1
            };
            let mut y = x - k;
            let (sx, sy) = (x, y);
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            vf[i] = x;
            let kr = delta - k;
            if odd && kr > -d && kr < d && x + vb[(kr + off) as usize] >= n {
                return (sx as usize, sy as usize, x as usize, y as usize);
            }
            k += 2;
        }
        // Backward (on the reversed sequences).
        let mut k = -d;
        while k <= d {
            let i = (k + off) as usize;
            let mut x = if k == -d || (k != d && vb[i - 1] < vb[i + 1]) {
                vb[i + 1]
            } else {
                vb[i - 1] + 1
            };
            let mut y = x - k;
            let (sx, sy) = (x, y);
            while x < n && y < m && a[(n - 1 - x) as usize] == b[(m - 1 - y) as usize] {
                x += 1;
                y += 1;
            }
            vb[i] = x;
            let kf = delta - k;
            if !odd && kf >= -d && kf <= d && x + vf[(kf + off) as usize] >= n {
                return (
                    (n - x) as usize,
                    (m - y) as usize,
                    (n - sx) as usize,
                    (m - sy) as usize,
                );
            }
            k += 2;
        }
    }
    // Unreachable for non-empty inputs: a path always exists within max steps.
    (0, 0, 0, 0)
}

/// Line diff of `a` against `b` (a minimal edit script), grouped into hunks with
/// `context` unchanged lines around each change; changes at most `2 * context` lines
/// apart share a hunk (as GNU diff groups them). Identical texts give no hunk.
pub fn text_diff(a: &str, b: &str, context: usize) -> Vec<Hunk> {
    let la = split_lines(a);
    let lb = split_lines(b);
    let matches = lcs(&la, &lb);
    // The whole script: (kind, index in a, index in b).
    let mut ops: Vec<(LineKind, usize, usize)> = Vec::with_capacity(la.len().max(lb.len()));
    let (mut i, mut j) = (0, 0);
    for &(x, y) in matches.iter().chain(std::iter::once(&(la.len(), lb.len()))) {
        while i < x {
            ops.push((LineKind::Removed, i, j));
            i += 1;
        }
        while j < y {
            ops.push((LineKind::Added, i, j));
            j += 1;
        }
        if x < la.len() {
            ops.push((LineKind::Same, x, y));
            i = x + 1;
            j = y + 1;
        }
    }
    let line = |kind: LineKind, ai: usize, bi: usize| -> DiffLine {
        let raw = match kind {
            LineKind::Added => lb[bi],
            _ => la[ai],
        };
        let (text, no_eol) = match raw.strip_suffix('\n') {
            Some(t) => (t, false),
            None => (raw, true),
        };
        DiffLine {
            kind,
            a_line: (kind != LineKind::Added).then_some(ai as u32 + 1),
            b_line: (kind != LineKind::Removed).then_some(bi as u32 + 1),
            text: text.to_string(),
            no_eol,
        }
    };
    let changes: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, o)| o.0 != LineKind::Same)
        .map(|(k, _)| k)
        .collect();
    let mut hunks = Vec::new();
    let mut c = 0;
    while c < changes.len() {
        let first = changes[c];
        let mut last = first;
        c += 1;
        while c < changes.len() && changes[c] - last - 1 <= 2 * context {
            last = changes[c];
            c += 1;
        }
        let lo = first.saturating_sub(context);
        let hi = (last + context + 1).min(ops.len());
        let lines: Vec<DiffLine> = ops[lo..hi].iter().map(|&(k, x, y)| line(k, x, y)).collect();
        let a_len = lines.iter().filter(|l| l.kind != LineKind::Added).count() as u32;
        let b_len = lines.iter().filter(|l| l.kind != LineKind::Removed).count() as u32;
        // Lines of each side before the hunk.
        let (_, a0, b0) = ops[lo];
        let a_start = if a_len == 0 { a0 as u32 } else { a0 as u32 + 1 };
        let b_start = if b_len == 0 { b0 as u32 } else { b0 as u32 + 1 };
        hunks.push(Hunk {
            a_start,
            a_len,
            b_start,
            b_len,
            lines,
        });
    }
    hunks
}

/// The hunks as unified-diff text: `--- a_name`, `+++ b_name`, then each hunk's
/// `@@ -l,n +l,n @@` (`,n` left out when n is 1, as GNU diff writes it) and its lines,
/// `\ No newline at end of file` after a line without one. No hunks: the empty string.
pub fn unified(a_name: &str, b_name: &str, hunks: &[Hunk]) -> String {
    if hunks.is_empty() {
        return String::new();
    }
    let mut out = format!("--- {a_name}\n+++ {b_name}\n");
    let range = |start: u32, len: u32| {
        if len == 1 {
            start.to_string()
        } else {
            format!("{start},{len}")
        }
    };
    for h in hunks {
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            range(h.a_start, h.a_len),
            range(h.b_start, h.b_len)
        ));
        for l in &h.lines {
            out.push(match l.kind {
                LineKind::Same => ' ',
                LineKind::Added => '+',
                LineKind::Removed => '-',
            });
            out.push_str(&l.text);
            out.push('\n');
            if l.no_eol {
                out.push_str("\\ No newline at end of file\n");
            }
        }
    }
    out
}

/// The same diff seen from the other side (B against A): added and removed swap, line
/// numbers swap, and within each change the (new) removed lines come first again.
pub fn reversed(hunks: &[Hunk]) -> Vec<Hunk> {
    hunks
        .iter()
        .map(|h| {
            let flip = |l: &DiffLine| DiffLine {
                kind: match l.kind {
                    LineKind::Same => LineKind::Same,
                    LineKind::Added => LineKind::Removed,
                    LineKind::Removed => LineKind::Added,
                },
                a_line: l.b_line,
                b_line: l.a_line,
                text: l.text.clone(),
                no_eol: l.no_eol,
            };
            let mut lines = Vec::with_capacity(h.lines.len());
            let mut k = 0;
            while k < h.lines.len() {
                if h.lines[k].kind == LineKind::Same {
                    lines.push(flip(&h.lines[k]));
                    k += 1;
                    continue;
                }
                let end = h.lines[k..]
                    .iter()
                    .position(|l| l.kind == LineKind::Same)
                    .map_or(h.lines.len(), |p| k + p);
                let run = &h.lines[k..end];
                lines.extend(run.iter().filter(|l| l.kind == LineKind::Added).map(flip));
                lines.extend(run.iter().filter(|l| l.kind == LineKind::Removed).map(flip));
                k = end;
            }
            Hunk {
                a_start: h.b_start,
                a_len: h.b_len,
                b_start: h.a_start,
                b_len: h.a_len,
                lines,
            }
        })
        .collect()
}

/// Applies `hunks` (a diff of `a` against some B) to `a`, giving B; `None` when a hunk's
/// Same or Removed lines are not those of `a` at its place.
pub fn apply(a: &str, hunks: &[Hunk]) -> Option<String> {
    let la = split_lines(a);
    let mut out = String::with_capacity(a.len());
    let mut next = 0usize; // index in la of the next line not yet copied
    let eol = |l: &DiffLine| if l.no_eol { "" } else { "\n" };
    for h in hunks {
        let first = if h.a_len == 0 {
            h.a_start as usize
        } else {
            h.a_start as usize - 1
        };
        if first < next || first > la.len() {
            return None;
        }
        for l in &la[next..first] {
            out.push_str(l);
        }
        next = first;
        for l in &h.lines {
            match l.kind {
                LineKind::Added => {
                    out.push_str(&l.text);
                    out.push_str(eol(l));
                }
                LineKind::Same | LineKind::Removed => {
                    let want = la.get(next)?;
                    if want.strip_suffix('\n').unwrap_or(want) != l.text
                        || want.ends_with('\n') == l.no_eol
                    {
                        return None;
                    }
                    if l.kind == LineKind::Same {
                        out.push_str(want);
                    }
                    next += 1;
                }
            }
        }
    }
    for l in &la[next.min(la.len())..] {
        out.push_str(l);
    }
    Some(out)
}

// =====================================================================================
// Rule alignment.
// =====================================================================================

/// What became of a rule from A to B.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleChange {
    /// The same rule (selectors, level, effective omitStages and omitManagedFields) at
    /// the same place in the order of the rules both policies share.
    Same,
    /// The same selectors, or nearly (one selector differs), with these differences in
    /// words: `level Metadata → None`, `verbs: +patch`, `omitStages: +RequestReceived`.
    Changed(Vec<String>),
    /// The same rule at another place in the order: first-match results may differ.
    Moved,
    /// Only in B.
    Added,
    /// Only in A.
    Removed,
}

impl RuleChange {
    /// `same`, `changed`, `moved`, `added`, `removed` (the page's `data-change`).
    pub fn name(&self) -> &'static str {
        match self {
            RuleChange::Same => "same",
            RuleChange::Changed(_) => "changed",
            RuleChange::Moved => "moved",
            RuleChange::Added => "added",
            RuleChange::Removed => "removed",
        }
    }
}

/// A rule of A and the rule of B it became (0-based indices); one of them is `None` for
/// [`RuleChange::Added`] and [`RuleChange::Removed`], both are set otherwise.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulePair {
    pub a: Option<usize>,
    pub b: Option<usize>,
    pub change: RuleChange,
}

/// A rule's selectors as sets (order and repeats do not change what a rule matches).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Selectors {
    users: Vec<String>,
    groups: Vec<String>,
    verbs: Vec<String>,
    /// `group/resource` (`group/` for every resource of a group), `[names]` appended.
    resources: Vec<String>,
    namespaces: Vec<String>,
    urls: Vec<String>,
}

fn set(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

fn resource_items(g: &[GroupResources]) -> Vec<String> {
    let mut out = Vec::new();
    for gr in g {
        let group = if gr.group.is_empty() {
            "core"
        } else {
            &gr.group
        };
        let names = if gr.resource_names.is_empty() {
            String::new()
        } else {
            format!(" [{}]", set(&gr.resource_names).join(","))
        };
        if gr.resources.is_empty() {
            out.push(format!("{group}/*{names}"));
        }
        for r in &gr.resources {
            out.push(format!("{group}/{r}{names}"));
        }
    }
    out.sort();
    out.dedup();
    out
}

impl Selectors {
    fn of(r: &PolicyRule) -> Selectors {
        Selectors {
            users: set(&r.users),
            groups: set(&r.user_groups),
            verbs: set(&r.verbs),
            resources: resource_items(&r.resources),
            namespaces: set(&r.namespaces),
            urls: set(&r.non_resource_urls),
        }
    }
    fn fields(&self) -> [(&'static str, &Vec<String>); 6] {
        [
            ("users", &self.users),
            ("userGroups", &self.groups),
            ("verbs", &self.verbs),
            ("resources", &self.resources),
            ("namespaces", &self.namespaces),
            ("nonResourceURLs", &self.urls),
        ]
    }
}

/// Everything that decides what a rule does: selectors, level, the stages it omits (the
/// policy's included) and whether it omits managed fields (the policy's default applied).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct RuleKey {
    sel: Selectors,
    level: super::Level,
    omit: u8,
    omf: bool,
}

fn stages(r: &PolicyRule, p: &Policy) -> StageSet {
    let mut s = StageSet::default();
    for st in r.omit_stages.iter().chain(&p.omit_stages) {
        s.insert(*st);
    }
    s
}

fn key(r: &PolicyRule, p: &Policy) -> RuleKey {
    RuleKey {
        sel: Selectors::of(r),
        level: r.level,
        omit: stages(r, p).0,
        omf: r.omit_managed_fields.unwrap_or(p.omit_managed_fields),
    }
}

/// `+x −y` between two sets (`+` only in `b`).
fn set_change(a: &[String], b: &[String]) -> String {
    let show = |v: &str| {
        if v.is_empty() {
            "\"\"".to_string()
        } else {
            v.to_string()
        }
    };
    let mut parts: Vec<String> = b
        .iter()
        .filter(|x| !a.contains(x))
        .map(|x| format!("+{}", show(x)))
        .collect();
    parts.extend(
        a.iter()
            .filter(|x| !b.contains(x))
            .map(|x| format!("−{}", show(x))),
    );
    if a.is_empty() {
        parts.push("(was any)".into());
    } else if b.is_empty() {
        parts.push("(now any)".into());
    }
    parts.join(" ")
}

/// The differences between two rule keys, in words.
fn differences(a: &RuleKey, b: &RuleKey) -> Vec<String> {
    let mut out = Vec::new();
    if a.level != b.level {
        out.push(format!("level {} → {}", a.level.as_str(), b.level.as_str()));
    }
    for ((name, x), (_, y)) in a.sel.fields().into_iter().zip(b.sel.fields()) {
        if x != y {
            out.push(format!("{name}: {}", set_change(x, y)));
        }
    }
    if a.omit != b.omit {
        let names = |s: u8| -> Vec<String> {
            StageSet(s)
                .iter()
                .map(|st: Stage| st.as_str().to_string())
                .collect()
        };
        let (x, y) = (names(a.omit), names(b.omit));
        let mut parts: Vec<String> = y
            .iter()
            .filter(|s| !x.contains(s))
            .map(|s| format!("+{s}"))
            .collect();
        parts.extend(x.iter().filter(|s| !y.contains(s)).map(|s| format!("−{s}")));
        out.push(format!("omitStages: {}", parts.join(" ")));
    }
    if a.omf != b.omf {
        out.push(format!("omitManagedFields {} → {}", a.omf, b.omf));
    }
    out
}

/// How alike two rules' selectors are, or `None` when they are not the same rule edited:
/// all selectors equal (only level, stages or managed fields differ), or exactly one
/// selector differs and either another selector is equal and set, or the differing
/// sets share at least half their values. Higher is more alike.
fn similarity(a: &Selectors, b: &Selectors) -> Option<u32> {
    let mut differing = 0;
    let mut equal_set = 0;
    let mut overlap_ok = false;
    for ((_, x), (_, y)) in a.fields().into_iter().zip(b.fields()) {
        if x.is_empty() && y.is_empty() {
            continue;
        }
        if x == y {
            equal_set += 1;
        } else {
            differing += 1;
            let common = x.iter().filter(|v| y.contains(v)).count();
            let union = x.len() + y.len() - common;
            overlap_ok = common * 2 >= union;
        }
    }
    match differing {
        0 => Some(100 + equal_set),
        1 if equal_set > 0 || overlap_ok => Some(10 + equal_set + overlap_ok as u32),
        _ => None,
    }
}

/// Most (unmatched A rules × unmatched B rules) of one gap compared pairwise; a larger
/// gap pairs only rules with equal selectors (found through a map).
const PAIRWISE_MAX: usize = 250_000;

/// Aligns A's rules with B's. Rules identical in what they decide pair as `Same` along a
/// longest common subsequence of the two orders; a rule left over on both sides pairs as
/// `Moved`; between two `Same` anchors, the remaining rules pair in order by similar
/// selectors as `Changed`; the rest are `Removed` (A only) and `Added` (B only).
///
/// Invariants: every rule of A appears in exactly one pair's `a`, every rule of B in
/// exactly one pair's `b`; the pairs follow B's order, a removed rule placed where it
/// stood among its neighbours; `Same` pairs increase in both indices.
pub fn align_rules(a: &Policy, b: &Policy) -> Vec<RulePair> {
    let ka: Vec<RuleKey> = a.rules.iter().map(|r| key(r, a)).collect();
    let kb: Vec<RuleKey> = b.rules.iter().map(|r| key(r, b)).collect();
    let same = lcs(&ka, &kb);
    let mut a_pair: Vec<Option<(usize, RuleChange)>> = vec![None; ka.len()];
    let mut b_pair: Vec<Option<(usize, RuleChange)>> = vec![None; kb.len()];
    for &(i, j) in &same {
        a_pair[i] = Some((j, RuleChange::Same));
        b_pair[j] = Some((i, RuleChange::Same));
    }
    // Moved: the same rule left over on both sides (nearest first, in order).
    let mut left_b: HashMap<&RuleKey, Vec<usize>> = HashMap::new();
    for (j, k) in kb.iter().enumerate().rev() {
        if b_pair[j].is_none() {
            left_b.entry(k).or_default().push(j);
        }
    }
    for (i, k) in ka.iter().enumerate() {
        if a_pair[i].is_some() {
            continue;
        }
        if let Some(j) = left_b.get_mut(k).and_then(|v| v.pop()) {
            a_pair[i] = Some((j, RuleChange::Moved));
            b_pair[j] = Some((i, RuleChange::Moved));
        }
    }
    // Changed: within each gap between Same anchors, in order.
    let anchors: Vec<(usize, usize)> = std::iter::once((0usize, 0usize))
        .chain(same.iter().map(|&(i, j)| (i + 1, j + 1)))
        .collect();
    for (g, &(a0, b0)) in anchors.iter().enumerate() {
        let (a1, b1) = same.get(g).copied().unwrap_or((ka.len(), kb.len()));
        let ga: Vec<usize> = (a0..a1).filter(|&i| a_pair[i].is_none()).collect();
        let gb: Vec<usize> = (b0..b1).filter(|&j| b_pair[j].is_none()).collect();
        if ga.is_empty() || gb.is_empty() {
            continue;
        }
        if ga.len() * gb.len() > PAIRWISE_MAX {
            let mut by_sel: HashMap<&Selectors, Vec<usize>> = HashMap::new();
            for &j in gb.iter().rev() {
                by_sel.entry(&kb[j].sel).or_default().push(j);
            }
            let mut last_b = None;
            for &i in &ga {
                let Some(v) = by_sel.get_mut(&ka[i].sel) else {
                    continue;
                };
                while v.last().is_some_and(|&j| last_b.is_some_and(|l| j < l)) {
                    v.pop();
                }
                if let Some(j) = v.pop() {
                    let d = differences(&ka[i], &kb[j]);
                    a_pair[i] = Some((j, RuleChange::Changed(d.clone())));
                    b_pair[j] = Some((i, RuleChange::Changed(d)));
                    last_b = Some(j);
                }
            }
            continue;
        }
        // In order: each A rule takes the most similar B rule after the last one taken.
        let mut from = 0;
        for &i in &ga {
            let best = gb[from..]
                .iter()
                .enumerate()
                .filter_map(|(p, &j)| similarity(&ka[i].sel, &kb[j].sel).map(|s| (s, p, j)))
                .max_by(|x, y| x.0.cmp(&y.0).then(y.1.cmp(&x.1)));
            if let Some((_, p, j)) = best {
                let d = differences(&ka[i], &kb[j]);
                a_pair[i] = Some((j, RuleChange::Changed(d.clone())));
                b_pair[j] = Some((i, RuleChange::Changed(d)));
                from += p + 1;
                if from >= gb.len() {
                    break;
                }
            }
        }
    }
    // The pairs in B's order; a removed rule goes before the first B rule that comes
    // from a later A rule.
    let mut out = Vec::with_capacity(ka.len().max(kb.len()));
    let mut removed: Vec<usize> = (0..ka.len()).filter(|&i| a_pair[i].is_none()).collect();
    removed.reverse();
    for (j, p) in b_pair.into_iter().enumerate() {
        match p {
            None => out.push(RulePair {
                a: None,
                b: Some(j),
                change: RuleChange::Added,
            }),
            Some((i, change)) => {
                if !matches!(change, RuleChange::Moved) {
                    while removed.last().is_some_and(|&r| r < i) {
                        let r = removed.pop().expect("checked");
                        out.push(RulePair {
                            a: Some(r),
                            b: None,
                            change: RuleChange::Removed,
                        });
                    }
                }
                out.push(RulePair {
                    a: Some(i),
                    b: Some(j),
                    change,
                });
            }
        }
    }
    while let Some(r) = removed.pop() {
        out.push(RulePair {
            a: Some(r),
            b: None,
            change: RuleChange::Removed,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_identical_give_no_hunks() {
        assert!(text_diff("", "", 3).is_empty());
        assert!(text_diff("a\nb\n", "a\nb\n", 3).is_empty());
        assert_eq!(unified("a", "b", &[]), "");
    }

    #[test]
    fn empty_side_headers_as_gnu_diff() {
        let h = text_diff("", "x\ny\n", 3);
        assert_eq!(
            unified("a", "b", &h),
            "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n"
        );
        let h = text_diff("x\n", "", 3);
        assert_eq!(unified("a", "b", &h), "--- a\n+++ b\n@@ -1 +0,0 @@\n-x\n");
    }

    #[test]
    fn missing_newline_is_a_difference() {
        let h = text_diff("x\ny", "x\ny\n", 3);
        assert_eq!(
            unified("a", "b", &h),
            "--- a\n+++ b\n@@ -1,2 +1,2 @@\n x\n-y\n\\ No newline at end of file\n+y\n"
        );
        assert_eq!(apply("x\ny", &h).as_deref(), Some("x\ny\n"));
        assert_eq!(apply("x\ny\n", &reversed(&h)).as_deref(), Some("x\ny"));
    }

    #[test]
    fn lcs_is_minimal_on_a_classic_case() {
        // Myers' paper: ABCABBA vs CBABAC, D = 5, so the LCS has 4 elements.
        let a: Vec<char> = "ABCABBA".chars().collect();
        let b: Vec<char> = "CBABAC".chars().collect();
        let m = lcs(&a, &b);
        assert_eq!(m.len(), 4);
        assert!(m.iter().all(|&(i, j)| a[i] == b[j]));
        assert!(m.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1));
    }
}
