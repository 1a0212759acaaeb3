//! The loader (`audit_lens::load::Loader`) driven natively through the interleavings the
//! worker meets: slices in any size, stale answers after a cancel, cancel mid-file and
//! while helpers read pieces, a helper failing, pieces in any order, a read failing,
//! "won't fit" then Resume with a window then Cancel, the same file twice, a policy in
//! the queue, an empty file, Clear during a load. Every final store is compared with a
//! direct `Ingester` load of the files that should be in it.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use audit_lens::gen::{generate, GenOptions};
use audit_lens::load::{
    piece, summarize, Config, Effect, HelperEvent, Loader, Origin, Reply, SourceId, SourceSpec,
    Summary, WontFit,
};
use audit_lens::store::Store;
use common::*;
use std::collections::HashMap;

const US: i64 = 1_000_000;
const T0: i64 = 1_793_606_400 * US; // 2026-11-02T08:00:00Z

/// A generated log of about `bytes` bytes starting at `start_s` seconds after T0.
fn gen_log(bytes: u64, seed: u64, start_s: i64) -> Vec<u8> {
    let mut v = Vec::new();
    let o = GenOptions {
        seed,
        max_bytes: bytes,
        duration_s: 0,
        start: T0 + start_s * US,
        ..Default::default()
    };
    generate(&o, &mut |b| v.extend_from_slice(b));
    v
}

/// Small slices and parts, so that a few hundred kB make many events.
fn small_cfg() -> Config {
    Config {
        pieces: 3,
        min_split_bytes: 200_000,
        slice: 16 << 10,
        parse_part: 5_000,
        progress_every_ms: 0.0,
        min_sample: 1 << 20,
    }
}

/// An outstanding helper: `(generation, source, window, start, end)`.
type HelperTask = (u32, SourceId, Option<(i64, i64)>, u64, u64);

/// The shell, natively: holds the files, carries out effects on request.
struct Shell {
    l: Loader<u32>,
    files: HashMap<SourceId, (String, Vec<u8>)>,
    next: SourceId,
    now: f64,
    /// The one read in flight: `(generation, origin, start, end)`.
    read: Option<(u32, Origin, u64, u64)>,
    plan: Option<(u32, SourceId, u64, u32)>,
    helpers: Vec<HelperTask>,
    drops: usize,
    replies: Vec<Reply>,
    policies: Vec<(String, String)>,
    /// The per-file raw-source table (what the worker keeps for Explore).
    raw: Vec<Origin>,
    debug: Vec<String>,
    /// Stale answers seen being delivered (for tests that replay them).
    old_reads: Vec<(u32, Origin, u64, u64)>,
}

impl Shell {
    fn new(cfg: Config) -> Self {
        Shell {
            l: Loader::new(cfg),
            files: HashMap::new(),
            next: 0,
            now: 0.0,
            read: None,
            plan: None,
            helpers: Vec::new(),
            drops: 0,
            replies: Vec::new(),
            policies: Vec::new(),
            raw: Vec::new(),
            debug: Vec::new(),
            old_reads: Vec::new(),
        }
    }

    fn spec(&mut self, name: &str, bytes: &[u8]) -> SourceSpec {
        let id = self.next;
        self.next += 1;
        self.files.insert(id, (name.to_string(), bytes.to_vec()));
        SourceSpec {
            id,
            name: name.to_string(),
            size: bytes.len() as u64,
        }
    }

    fn load(&mut self, files: &[(&str, &[u8])]) {
        self.load_as(files, false)
    }

    fn load_as(&mut self, files: &[(&str, &[u8])], as_policy: bool) {
        let specs = files.iter().map(|(n, b)| self.spec(n, b)).collect();
        self.now += 1.0;
        self.l.load(1, specs, as_policy, self.now);
        self.pump();
    }

    /// Takes the loader's effects and parses what arrived (as `Engine::run` does).
    fn pump(&mut self) {
        loop {
            for e in self.l.take_effects() {
                self.effect(e);
            }
            if !self.l.has_work() {
                break;
            }
            self.now += 1.0;
            self.l.work(self.now);
        }
    }

    fn effect(&mut self, e: Effect<u32>) {
        match e {
            Effect::Read {
                generation,
                origin,
                start,
                end,
            } => {
                assert!(self.read.is_none(), "two reads in flight");
                assert!(start < end);
                self.read = Some((generation, origin, start, end));
            }
            Effect::Plan {
                generation,
                source,
                size,
                pieces,
            } => self.plan = Some((generation, source, size, pieces)),
            Effect::SpawnHelpers {
                generation,
                source,
                window,
                ranges,
                ..
            } => {
                assert!(self.helpers.is_empty(), "helpers spawned twice");
                for (a, b) in ranges {
                    self.helpers.push((generation, source, window, a, b));
                }
            }
            Effect::DropHelpers => {
                self.drops += 1;
                self.helpers.clear();
            }
            Effect::Policy { name, bytes, .. } => self
                .policies
                .push((name, String::from_utf8_lossy(&bytes).into_owned())),
            Effect::FileAdded { file, origin } => {
                assert_eq!(file as usize, self.raw.len(), "files are added in order");
                self.raw.push(origin);
            }
            Effect::FilesTruncated { files } => {
                assert!(files <= self.raw.len());
                self.raw.truncate(files);
            }
            Effect::Finalized => {}
            Effect::Reply { reply, .. } => self.replies.push(reply),
            Effect::Debug(s) => self.debug.push(s),
        }
    }

    fn bytes_of(&self, origin: &Origin, a: u64, b: u64) -> Vec<u8> {
        match origin {
            Origin::Source(id) => self.files[id].1[a as usize..b as usize].to_vec(),
            Origin::Bytes(d) => d[a as usize..b as usize].to_vec(),
        }
    }

    /// Answers the read in flight with its bytes. Returns false when there is none.
    fn serve_read(&mut self) -> bool {
        let Some((g, origin, a, b)) = self.read.take() else {
            return false;
        };
        let bytes = self.bytes_of(&origin, a, b);
        self.old_reads.push((g, origin, a, b));
        self.now += 1.0;
        self.l.slice(g, b, Ok(bytes), self.now);
        self.pump();
        true
    }

    fn fail_read(&mut self, why: &str) {
        let (g, _, _, b) = self.read.take().expect("a read in flight");
        self.now += 1.0;
        self.l.slice(g, b, Err(why.to_string()), self.now);
        self.pump();
    }

    /// Cuts the planned file as `web::piece::plan` does (`load::piece::cut_points`).
    fn serve_plan(&mut self) -> bool {
        let Some((g, id, size, pieces)) = self.plan.take() else {
            return false;
        };
        use audit_lens::load::piece::{cut_points, probe_targets, HEAD_BYTES, PROBE_BYTES};
        let data = &self.files[&id].1;
        // As the page's shell does: the head and a probe at each target, cut by the library.
        let targets = probe_targets(size, pieces, 0);
        let head = &data[..(HEAD_BYTES.min(size)) as usize];
        let probes: Vec<&[u8]> = targets
            .iter()
            .map(|&t| &data[t as usize..(t + PROBE_BYTES).min(size) as usize])
            .collect();
        let points = cut_points(size, head, &targets, &probes);
        self.now += 1.0;
        self.l.planned(g, points, self.now);
        self.pump();
        true
    }

    /// What helper `i` answers when it has read its piece (it is then gone).
    fn helper_done(&mut self, i: usize) -> (u32, u64, HelperEvent) {
        let (g, id, window, a, b) = self.helpers.remove(i);
        let (name, data) = &self.files[&id];
        let (lines, data) = piece::ingest(name, a, &data[a as usize..b as usize], window);
        (g, a, HelperEvent::Done { lines, data })
    }

    fn serve_helper(&mut self, i: usize) {
        let (g, a, ev) = self.helper_done(i);
        self.now += 1.0;
        self.l.helper(g, a, ev, self.now);
        self.pump();
    }

    fn fail_helper(&mut self, i: usize) {
        let (g, _, _, a, _) = self.helpers.remove(i);
        self.now += 1.0;
        self.l
            .helper(g, a, HelperEvent::Failed("boom".into()), self.now);
        self.pump();
    }

    /// Serves everything asked for, in the natural order, until the load ends.
    fn finish(&mut self) {
        for _ in 0..1_000_000 {
            if self.serve_read() || self.serve_plan() {
                continue;
            }
            if !self.helpers.is_empty() {
                self.serve_helper(0);
                continue;
            }
            break;
        }
        assert!(!self.l.is_loading(), "the load ended");
    }

    fn cancel(&mut self) {
        // What was in flight may still arrive (see the tests that replay it).
        if let Some(r) = self.read.take() {
            self.old_reads.push(r);
        }
        self.plan = None;
        self.now += 1.0;
        self.l.cancel(1, self.now);
        self.pump();
    }

    /// The `Loaded` replies so far.
    fn loaded(&self) -> Vec<&Summary> {
        self.replies
            .iter()
            .filter_map(|r| match r {
                Reply::Loaded(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    fn last_loaded(&self) -> &Summary {
        self.loaded().last().copied().expect("a Loaded reply")
    }

    fn wont_fit(&self) -> Option<&WontFit> {
        self.replies.iter().rev().find_map(|r| match r {
            Reply::WontFit(f) => Some(&**f),
            _ => None,
        })
    }

    fn errors(&self) -> Vec<&str> {
        self.replies
            .iter()
            .filter_map(|r| match r {
                Reply::Error(e) => Some(e.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// A file to load directly: name, bytes, time window.
type Direct<'a> = (&'a str, &'a [u8], Option<(i64, i64)>);

/// A load of `files` straight through `Ingester`s (each with its own time window), then
/// what the engine does at the end of a load.
fn direct(files: &[Direct]) -> Store {
    let mut s = Store::new();
    for (name, bytes, window) in files {
        s.window = *window;
        load_chunked(&mut s, name, bytes, 1 << 20);
    }
    s.window = None;
    s.finalize();
    s.drop_cross_file_duplicates();
    s
}

/// Everything observable of a store: rows, the summary (files, counters, spans,
/// rejections shown) and every rejection.
fn seen(s: &Store) -> (Vec<String>, Summary, String) {
    let mut sum = summarize(s, 0.0, None);
    sum.memory_bytes = 0;
    (digest(s), sum, format!("{:?}", s.rejections))
}

fn assert_same(got: &Store, want: &Store, what: &str) {
    let (g, w) = (seen(got), seen(want));
    assert_eq!(g.1, w.1, "{what}: summary");
    assert_eq!(g.0.len(), w.0.len(), "{what}: rows");
    assert!(g.0 == w.0, "{what}: rows differ");
    assert_eq!(g.2, w.2, "{what}: rejections");
}

fn with_bad_lines(mut v: Vec<u8>) -> Vec<u8> {
    v.extend_from_slice(b"not json\n{\"kind\":\"Event\"}\n");
    v
}

#[test]
fn any_slice_and_part_size_gives_a_direct_load() {
    let a = with_bad_lines(gen_log(150_000, 1, 0));
    let b = gen_log(90_000, 2, 4000);
    let want = direct(&[("a.log", &a, None), ("b.log", &b, None)]);
    for (slice, part) in [
        (1 << 10, 300),
        (7_001, 100_000),
        (64 << 10, 4096),
        (1 << 30, 1 << 30),
    ] {
        let mut sh = Shell::new(Config {
            slice,
            parse_part: part,
            pieces: 1,
            ..small_cfg()
        });
        sh.load(&[("a.log", &a), ("b.log", &b)]);
        sh.finish();
        assert_same(sh.l.store(), &want, &format!("slice {slice}, part {part}"));
        assert_eq!(sh.loaded().len(), 1, "one Loaded per load");
        let s = sh.last_loaded();
        assert_eq!(s.note, None);
        assert_eq!(s.files.len(), 2);
        // The raw-source table names each file's bytes.
        assert_eq!(sh.raw, vec![Origin::Source(0), Origin::Source(1)]);
        // Progress: bytes never pass the total and never go back.
        let mut last = 0;
        for r in &sh.replies {
            if let Reply::Progress(p) = r {
                assert!(p.bytes_done <= p.bytes_total && p.bytes_done >= last);
                last = p.bytes_done;
            }
        }
        assert_eq!(
            last,
            (a.len() + b.len()) as u64,
            "the last progress says all"
        );
    }
}

#[test]
fn cancel_mid_file_leaves_the_files_loaded_before() {
    let a = gen_log(60_000, 3, 0);
    let b = with_bad_lines(gen_log(120_000, 4, 4000));
    let c = gen_log(30_000, 5, 8000);
    let only_a = direct(&[("a.log", &a, None)]);
    let reads_of_a = a.len().div_ceil(16 << 10);
    let reads_of_b = b.len().div_ceil(16 << 10);
    for k in 0..=reads_of_b {
        let mut sh = Shell::new(Config {
            pieces: 1,
            ..small_cfg()
        });
        sh.load(&[("a.log", &a), ("b.log", &b), ("c.log", &c)]);
        for _ in 0..reads_of_a + k {
            assert!(sh.serve_read());
        }
        let stale = sh.read.clone();
        sh.cancel();
        assert!(!sh.l.is_loading());
        if k == reads_of_b {
            // B is complete and C was being read: A and B stay.
            let want = direct(&[("a.log", &a, None), ("b.log", &b, None)]);
            assert_same(sh.l.store(), &want, "cancel during c");
        } else {
            assert_same(
                sh.l.store(),
                &only_a,
                &format!("cancel after {k} slices of b"),
            );
            assert_eq!(sh.raw.len(), 1, "the raw table follows the store");
        }
        let note = sh.last_loaded().note.clone().unwrap();
        assert!(note.starts_with("Loading cancelled: "), "{note}");
        // The slice that was in flight arrives late: dropped.
        let (g, origin, x, y) = stale.expect("a read was in flight");
        let before = seen(sh.l.store());
        let bytes = sh.bytes_of(&origin, x, y);
        sh.l.slice(g, y, Ok(bytes), 1e9);
        sh.pump();
        assert!(sh.l.take_effects().is_empty() && sh.read.is_none());
        assert_eq!(seen(sh.l.store()), before, "a stale slice changes nothing");
        // And loading goes on as if B had never started.
        sh.load(&[("b.log", &b)]);
        sh.finish();
        let want = direct(&[("a.log", &a, None), ("b.log", &b, None)]);
        assert_same(sh.l.store(), &want, "b loaded after the cancel");
    }
}

#[test]
fn stale_answers_of_an_older_generation_are_dropped() {
    let a = gen_log(80_000, 6, 0);
    let mut sh = Shell::new(small_cfg());
    sh.load(&[("a.log", &a)]);
    sh.serve_read();
    sh.serve_read();
    sh.cancel();
    assert_eq!(sh.l.store().len(), 0);
    // A second load, of another file: the old reads (whose ranges are the new file's
    // too) are replayed, with the old generation, between the new ones.
    let a2 = a.clone();
    let a = gen_log(80_000, 7, 500);
    sh.load(&[("a.log", &a)]);
    let old = sh.old_reads.clone();
    for (g, origin, x, y) in old {
        let bytes = sh.bytes_of(&origin, x, y);
        sh.l.slice(g, y, Ok(bytes), 0.0);
        sh.l.planned(g, Some(vec![0, 10]), 0.0);
        sh.l.helper(g, x, HelperEvent::Failed("old".into()), 0.0);
        sh.pump();
        sh.serve_read();
    }
    sh.finish();
    assert_same(
        sh.l.store(),
        &direct(&[("a.log", &a, None)]),
        "after replays",
    );
    assert_ne!(a, a2, "the replayed reads were of another file");
    // A slice of the right generation but not the one asked for is dropped too.
    let mut sh = Shell::new(small_cfg());
    sh.load(&[("a.log", &a)]);
    let (g, _, _, b) = sh.read.clone().unwrap();
    sh.l.slice(g, b + 1, Ok(vec![b'x'; b as usize + 1]), 0.0);
    sh.pump();
    assert_eq!(sh.l.store().files.len(), 0, "an unasked slice is not read");
    sh.finish();
    assert_same(
        sh.l.store(),
        &direct(&[("a.log", &a, None)]),
        "after a wrong slice",
    );
}

/// A file large enough to be read in pieces, with rejected lines in several pieces.
fn big_log(seed: u64) -> Vec<u8> {
    let mut v = Vec::new();
    for k in 0..3 {
        v.extend(gen_log(100_000, seed + k, 1000 * k as i64));
        v.extend_from_slice(b"broken line\n");
    }
    v
}

#[test]
fn pieces_in_any_order_give_one_reader_s_store() {
    let a = gen_log(50_000, 9, 0);
    let big = big_log(10);
    let want = direct(&[("a.log", &a, None), ("big.log", &big, None)]);
    // When the helpers answer: before the first piece is read, in the middle, after; and
    // in which order.
    for when in [0usize, 3, 1000] {
        for order in [[0usize, 1], [1, 0]] {
            let mut sh = Shell::new(small_cfg());
            sh.load(&[("a.log", &a), ("big.log", &big)]);
            while sh.plan.is_none() {
                assert!(sh.serve_read());
            }
            sh.serve_plan();
            assert_eq!(sh.helpers.len(), 2, "pieces 2 and 3 go to helpers");
            for _ in 0..when {
                if !sh.serve_read() {
                    break;
                }
            }
            let answers: Vec<_> = {
                let mut v = vec![sh.helper_done(0), sh.helper_done(0)];
                if order == [1, 0] {
                    v.reverse();
                }
                v
            };
            for (g, start, ev) in answers {
                // Progress first, then the piece.
                sh.l.helper(g, start, HelperEvent::Progress { bytes_done: 10 }, 5.0);
                sh.l.helper(g, start, ev, 6.0);
                sh.pump();
            }
            sh.finish();
            assert_same(
                sh.l.store(),
                &want,
                &format!("helpers after {when}, {order:?}"),
            );
            assert!(sh.debug.iter().any(|d| d.contains("merged 2 pieces")));
            assert_eq!(sh.drops, 1, "helpers dropped once merged");
        }
    }
}

#[test]
fn a_failing_helper_leaves_the_reading_to_the_loader() {
    let big = big_log(20);
    let want = direct(&[("big.log", &big, None)]);
    for (when, which) in [(0usize, 0usize), (2, 1), (1000, 0), (1000, 1)] {
        let mut sh = Shell::new(small_cfg());
        sh.load(&[("big.log", &big)]);
        sh.serve_plan();
        // One helper answers, the other fails: the loader reads on alone.
        let ok = sh.helper_done(1 - which);
        for _ in 0..when {
            if !sh.serve_read() {
                break;
            }
        }
        let (g, s, ev) = ok;
        sh.l.helper(g, s, ev, 3.0);
        sh.pump();
        let idx = 0;
        sh.fail_helper(idx);
        assert!(sh.helpers.is_empty());
        assert!(sh.debug.iter().any(|d| d.contains("reading on alone")));
        sh.finish();
        assert_same(sh.l.store(), &want, &format!("fail after {when} reads"));
        assert_eq!(sh.last_loaded().note, None);
    }
}

#[test]
fn cancel_while_pieces_are_outstanding() {
    let a = gen_log(40_000, 30, 0);
    let big = big_log(31);
    for reads in [0usize, 2, 1000] {
        let mut sh = Shell::new(small_cfg());
        sh.load(&[("a.log", &a)]);
        sh.finish();
        sh.load(&[("big.log", &big)]);
        sh.serve_plan();
        let done = sh.helper_done(0); // finished, not yet delivered
        for _ in 0..reads {
            if !sh.serve_read() {
                break;
            }
        }
        let drops = sh.drops;
        sh.cancel();
        assert_eq!(sh.drops, drops + 1, "the helpers are stopped");
        assert_same(sh.l.store(), &direct(&[("a.log", &a, None)]), "cancelled");
        // The helper's late answer is dropped.
        let (g, s, ev) = done;
        sh.l.helper(g, s, ev, 9.0);
        sh.pump();
        assert_same(sh.l.store(), &direct(&[("a.log", &a, None)]), "late piece");
        assert!(sh.l.take_effects().is_empty());
        // Loaded again, cut at the same points: an old helper's failure is not the new
        // helpers' (they go on, the loader does not read their pieces itself).
        sh.load(&[("big.log", &big)]);
        sh.serve_plan();
        assert_eq!(sh.helpers.len(), 2);
        sh.l.helper(g, s, HelperEvent::Failed("old".into()), 10.0);
        sh.pump();
        assert_eq!(sh.helpers.len(), 2, "an old failure stops no helper");
        assert!(!sh.debug.iter().any(|d| d.contains("reading on alone")));
        sh.finish();
        let want = direct(&[("a.log", &a, None), ("big.log", &big, None)]);
        assert_same(sh.l.store(), &want, "loaded again");
    }
}

#[test]
fn a_failing_read_drops_the_file_and_the_rest_of_the_queue() {
    let a = gen_log(40_000, 40, 0);
    let b = gen_log(60_000, 41, 4000);
    let c = gen_log(20_000, 42, 8000);
    let mut sh = Shell::new(small_cfg());
    sh.load(&[("a.log", &a), ("b.log", &b), ("c.log", &c)]);
    while sh.l.store().files.len() < 2 {
        sh.serve_read();
    }
    sh.serve_read();
    sh.fail_read("NotReadableError");
    assert!(!sh.l.is_loading());
    assert_same(sh.l.store(), &direct(&[("a.log", &a, None)]), "b failed");
    let note = sh.last_loaded().note.clone().unwrap();
    assert_eq!(
        note,
        "Could not read b.log: NotReadableError. It was not loaded."
    );
    // A short read is a failure, not a silent gap.
    let mut sh = Shell::new(small_cfg());
    sh.load(&[("a.log", &a)]);
    let (g, _, x, y) = sh.read.take().unwrap();
    sh.l.slice(g, y, Ok(a[x as usize..y as usize - 1].to_vec()), 1.0);
    sh.pump();
    assert!(!sh.l.is_loading() && sh.l.store().files.is_empty());
    assert!(sh
        .last_loaded()
        .note
        .as_deref()
        .unwrap()
        .contains("bytes arrived"));
}

#[test]
fn wont_fit_then_resume_with_a_window_then_cancel_keeps_what_was_loaded() {
    let a = gen_log(40_000, 50, 0);
    // Two later files, 1.5 MB each, one after the other in time (halves of one log):
    // together twice what the limit leaves room for.
    let bc = gen_log(3_000_000, 51, 10_000);
    let cut = 1_500_000 + bc[1_500_000..].iter().position(|&c| c == b'\n').unwrap() + 1;
    let (b, c) = (bc[..cut].to_vec(), bc[cut..].to_vec());
    let count = |bytes: &[u8]| direct(&[("x", bytes, None)]).len() as u64;
    let (na, nb, nc) = (count(&a), count(&b), count(&c));
    let max = na + nb;
    let mut sh = Shell::new(Config {
        pieces: 1,
        slice: 64 << 10,
        ..small_cfg()
    });
    sh.l.set_limits(max);
    sh.load(&[("a.log", &a)]);
    sh.finish();
    sh.load(&[("b.log", &b), ("c.log", &c)]);
    sh.finish();
    // Stopped early: the estimate (events per byte after 1 MiB) saw it coming before
    // the store got to the limit.
    let fit = sh.wont_fit().expect("a WontFit").clone();
    let most = sh
        .replies
        .iter()
        .filter_map(|r| match r {
            Reply::Progress(p) if p.files == 2 => Some(p.events),
            _ => None,
        })
        .max()
        .unwrap();
    assert!(most > na && most < max, "stopped at {most} events of {max}");
    assert!(
        matches!(sh.replies.last(), Some(Reply::WontFit(_))),
        "after Loaded"
    );
    assert_same(sh.l.store(), &direct(&[("a.log", &a, None)]), "held back");
    let note = sh.last_loaded().note.clone().unwrap();
    assert!(
        note.starts_with(
            "Stopped before running out of memory: b.log and 1 more files were not loaded."
        ),
        "{note}"
    );
    assert_eq!(fit.max_events, max);
    assert_eq!(fit.loaded_events, na);
    let names: Vec<&str> = fit.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["b.log", "c.log"]);
    let total = (nb + nc) as f64;
    let est = (fit.estimated_events - na) as f64;
    assert!(
        (est / total - 1.0).abs() < 0.25,
        "estimate {est} for {total} events"
    );
    let (from, to) = fit.proposed_window_us.expect("a window");
    assert!(from < to);
    // Resume both files with the proposed window: events outside are skipped.
    sh.now += 1.0;
    sh.l.resume(1, &[0, 1], Some((from, to)), sh.now);
    sh.pump();
    sh.finish();
    let want = direct(&[
        ("a.log", &a, None),
        ("b.log", &b, Some((from, to))),
        ("c.log", &c, Some((from, to))),
    ]);
    assert_same(sh.l.store(), &want, "resumed with a window");
    let s = sh.last_loaded();
    assert!(
        s.skipped > 0 && s.events <= max,
        "{} skipped, {} events",
        s.skipped,
        s.events
    );
    assert_eq!(s.events + s.skipped + s.rejected, s.records);
    // Again, and this time cancel during the resumed load: A (loaded before) stays.
    for reads in [1usize, 30] {
        let mut sh2 = Shell::new(Config {
            pieces: 1,
            slice: 64 << 10,
            ..small_cfg()
        });
        sh2.l.set_limits(max);
        sh2.load(&[("a.log", &a)]);
        sh2.finish();
        sh2.load(&[("b.log", &b), ("c.log", &c)]);
        sh2.finish();
        sh2.l.resume(1, &[0, 1], Some((from, to)), 1e6);
        sh2.pump();
        for _ in 0..reads {
            sh2.serve_read();
        }
        sh2.cancel();
        let want = if reads == 1 {
            direct(&[("a.log", &a, None)])
        } else {
            direct(&[("a.log", &a, None), ("b.log", &b, Some((from, to)))])
        };
        assert_same(
            sh2.l.store(),
            &want,
            &format!("cancel after {reads} resumed reads"),
        );
        assert_eq!(sh2.raw.len(), sh2.l.store().files.len());
    }
    // Resume with nothing held back answers at once; Cancel of held-back files forgets them.
    let mut sh3 = Shell::new(small_cfg());
    sh3.l.set_limits(10);
    sh3.load(&[("b.log", &b)]);
    sh3.finish();
    assert!(sh3.wont_fit().is_some());
    sh3.cancel();
    assert_eq!(
        sh3.last_loaded().note.as_deref(),
        Some("The held-back files were not loaded.")
    );
    sh3.l.resume(1, &[0], None, 1.0);
    sh3.pump();
    assert!(
        sh3.read.is_none() && !sh3.l.is_loading(),
        "nothing left to resume"
    );
}

#[test]
fn the_merge_checks_the_limit_too() {
    // The first piece is sparse (few events), the helpers' pieces dense: only the merge
    // can see the load pass the limit.
    let mut big = Vec::new();
    let line = gen_log(2_000, 60, 0);
    let first_line = &line[..=line.iter().position(|&c| c == b'\n').unwrap()];
    let pad = format!("{{\"pad\":\"{}\"}}\n", "x".repeat(5_000));
    while big.len() < 400_000 {
        big.extend_from_slice(pad.as_bytes());
    }
    let dense = gen_log(900_000, 61, 100);
    big.extend_from_slice(&dense);
    big.extend_from_slice(first_line);
    let n = direct(&[("big.log", &big, None)]).len() as u64;
    let mut sh = Shell::new(Config {
        pieces: 3,
        min_sample: 1 << 30,
        ..small_cfg()
    });
    sh.l.set_limits(n / 2);
    sh.load(&[("big.log", &big)]);
    sh.finish();
    assert!(sh.debug.iter().any(|d| d.contains("merged 2 pieces")));
    assert!(sh.wont_fit().is_some(), "stopped after the merge");
    assert_eq!(sh.l.store().files.len(), 0);
    assert_eq!(sh.l.store().len(), 0);
}

#[test]
fn the_same_file_twice_is_loaded_once() {
    let a = gen_log(50_000, 70, 0);
    let mut sh = Shell::new(small_cfg());
    sh.load(&[("a.log", &a), ("copy.log", &a)]);
    sh.finish();
    sh.load(&[("a.log", &a)]);
    sh.finish();
    assert_same(sh.l.store(), &direct(&[("a.log", &a, None)]), "once");
    let notes: Vec<String> = sh
        .loaded()
        .iter()
        .map(|s| s.note.clone().unwrap())
        .collect();
    assert_eq!(
        notes,
        [
            "copy.log is the same file as a.log (same size and content), loaded already: not loaded again.",
            "a.log is loaded already: not loaded again."
        ]
    );
}

#[test]
fn a_cancel_keeps_the_earlier_notes_of_its_load() {
    // "copy.log is the same file as a.log" must survive a later "Loading cancelled" of
    // the same load (the cancel note used to replace it).
    let a = gen_log(40_000, 90, 0);
    let b = gen_log(120_000, 91, 5000);
    let mut sh = Shell::new(Config {
        pieces: 1,
        ..small_cfg()
    });
    sh.load(&[("a.log", &a), ("copy.log", &a), ("b.log", &b)]);
    let reads = a.len().div_ceil(16 << 10) + 2;
    for _ in 0..reads {
        assert!(sh.serve_read());
    }
    sh.cancel();
    let note = sh.last_loaded().note.clone().unwrap();
    assert!(
        note.contains("copy.log is the same file as a.log"),
        "{note}"
    );
    assert!(note.contains("Loading cancelled: "), "{note}");
    assert_same(sh.l.store(), &direct(&[("a.log", &a, None)]), "a only");
}

#[test]
fn policies_in_the_queue_go_to_the_policy_effect() {
    let a = gen_log(30_000, 80, 0);
    let policy = b"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n".to_vec();
    let pdf = b"%PDF-1.7\n...".to_vec();
    let mut sh = Shell::new(small_cfg());
    sh.load(&[("p.yaml", &policy), ("a.log", &a)]);
    sh.finish();
    assert_same(sh.l.store(), &direct(&[("a.log", &a, None)]), "log only");
    assert_eq!(
        sh.policies,
        [(
            "p.yaml".to_string(),
            String::from_utf8(policy.clone()).unwrap()
        )]
    );
    // "Load policy": a PDF is refused, a log is read as a log (and said so).
    sh.load_as(
        &[("x.pdf", &pdf), ("b.log", &gen_log(20_000, 81, 9000))],
        true,
    );
    sh.finish();
    assert_eq!(sh.policies.len(), 1, "the PDF reaches no policy editor");
    assert!(sh
        .errors()
        .iter()
        .any(|e| e.starts_with("x.pdf: this looks like")));
    assert_eq!(sh.l.store().files.len(), 2);
    assert_eq!(
        sh.last_loaded().note.as_deref(),
        Some("b.log is an audit log, not a policy: it was read as a log.")
    );
    // A policy too large to be one.
    let huge = {
        let mut v = policy.clone();
        v.resize(5 << 20, b'#');
        v
    };
    sh.load(&[("huge.yaml", &huge)]);
    sh.finish();
    assert!(sh
        .errors()
        .iter()
        .any(|e| e.contains("too large to be an audit policy")));
    assert_eq!(sh.policies.len(), 1);
}

#[test]
fn an_empty_file_is_listed_with_no_events() {
    let a = gen_log(30_000, 90, 0);
    let mut sh = Shell::new(small_cfg());
    sh.load(&[("empty.log", b""), ("a.log", &a)]);
    sh.finish();
    assert_same(
        sh.l.store(),
        &direct(&[("empty.log", b"", None), ("a.log", &a, None)]),
        "empty file",
    );
    assert_eq!(sh.last_loaded().files[0].events, 0);
    // Alone, and loaded twice: the second is the same file.
    let mut sh = Shell::new(small_cfg());
    sh.load(&[("e.log", b"")]);
    assert!(!sh.l.is_loading(), "nothing to read: done at once");
    assert_eq!(sh.last_loaded().files.len(), 1);
}

#[test]
fn clear_during_a_load_forgets_everything() {
    let a = gen_log(40_000, 100, 0);
    let big = big_log(101);
    let mut sh = Shell::new(small_cfg());
    sh.load(&[("a.log", &a), ("big.log", &big)]);
    while sh.plan.is_none() {
        sh.serve_read();
    }
    sh.serve_plan();
    sh.serve_read();
    let stale = sh.read.clone().unwrap();
    let drops = sh.drops;
    sh.l.clear(1);
    sh.pump();
    assert_eq!(sh.drops, drops + 1);
    assert!(!sh.l.is_loading());
    assert_eq!(sh.l.store().len() + sh.l.store().files.len(), 0);
    assert_eq!(sh.last_loaded(), &Summary::default());
    let (g, o, x, y) = stale;
    let bytes = sh.bytes_of(&o, x, y);
    sh.l.slice(g, y, Ok(bytes), 1.0);
    sh.pump();
    assert_eq!(sh.l.store().files.len(), 0, "a stale slice after Clear");
    sh.read = None;
    sh.raw.clear();
    sh.load(&[("big.log", &big)]);
    sh.finish();
    assert_same(
        sh.l.store(),
        &direct(&[("big.log", &big, None)]),
        "after clear",
    );
}

#[test]
fn the_sample_loads_its_log_and_its_policy() {
    let mut sh = Shell::new(Config::default());
    sh.l.load_sample(1, 0.0);
    sh.pump();
    sh.finish();
    assert_eq!(sh.policies.len(), 1);
    assert_eq!(sh.policies[0].0, "sample-policy.yaml");
    let log = audit_lens::gen::sample_log();
    assert_same(
        sh.l.store(),
        &direct(&[(audit_lens::gen::SAMPLE_NAME, &log, None)]),
        "sample",
    );
    assert!(matches!(sh.raw[0], Origin::Bytes(_)));
}

// ---- random interleavings --------------------------------------------------------------

mod props {
    use super::*;
    use proptest::prelude::*;

    /// One step of the world.
    #[derive(Clone, Debug)]
    enum Step {
        Read,
        Plan,
        Helper(usize),
        HelperFails(usize),
        HelperProgress(usize),
        ReadFails,
        Cancel,
        StaleRead(usize),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            8 => Just(Step::Read),
            2 => Just(Step::Plan),
            2 => (0..3usize).prop_map(Step::Helper),
            1 => (0..3usize).prop_map(Step::HelperFails),
            1 => (0..3usize).prop_map(Step::HelperProgress),
            1 => Just(Step::ReadFails),
            1 => Just(Step::Cancel),
            1 => (0..50usize).prop_map(Step::StaleRead),
        ]
    }

    fn inputs() -> Vec<(&'static str, Vec<u8>)> {
        vec![
            ("a.log", with_bad_lines(gen_log(40_000, 200, 0))),
            ("big.log", big_log(201)),
            ("c.log", gen_log(30_000, 202, 9000)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Whatever happens, the load ends with one `Loaded`, and the store holds exactly
        /// the files it lists, each as a direct load would read it.
        #[test]
        fn any_interleaving_leaves_whole_files(steps in proptest::collection::vec(step(), 0..120)) {
            let files = inputs();
            let mut sh = Shell::new(small_cfg());
            let list: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, &b[..])).collect();
            sh.load(&list);
            for s in steps {
                if !sh.l.is_loading() {
                    break;
                }
                match s {
                    Step::Read => { sh.serve_read(); }
                    Step::Plan => { sh.serve_plan(); }
                    Step::Helper(i) if i < sh.helpers.len() => sh.serve_helper(i),
                    Step::HelperFails(i) if i < sh.helpers.len() => sh.fail_helper(i),
                    Step::HelperProgress(i) if i < sh.helpers.len() => {
                        let (g, _, _, a, _) = sh.helpers[i];
                        sh.l.helper(g, a, HelperEvent::Progress { bytes_done: 1 }, sh.now);
                        sh.pump();
                    }
                    Step::ReadFails if sh.read.is_some() => sh.fail_read("gone"),
                    Step::Cancel => sh.cancel(),
                    Step::StaleRead(i) if !sh.old_reads.is_empty() => {
                        let (g, o, x, y) = sh.old_reads[i % sh.old_reads.len()].clone();
                        let bytes = sh.bytes_of(&o, x, y);
                        sh.l.slice(g, y, Ok(bytes), sh.now);
                        sh.pump();
                    }
                    _ => {}
                }
            }
            sh.finish();
            prop_assert_eq!(sh.loaded().len(), 1);
            let names: Vec<String> = sh.l.store().files.iter().map(|f| f.name.clone()).collect();
            // Files are loaded in order, and a stop drops the rest: a prefix.
            prop_assert!(files.iter().map(|f| f.0).take(names.len()).eq(names.iter().map(String::as_str)));
            let want: Vec<Direct> = files
                .iter()
                .take(names.len())
                .map(|(n, b)| (*n, &b[..], None))
                .collect();
            let (g, w) = (seen(sh.l.store()), seen(&direct(&want)));
            prop_assert_eq!(g.1, w.1);
            prop_assert!(g.0 == w.0);
            prop_assert_eq!(g.2, w.2);
            prop_assert_eq!(sh.raw.len(), names.len());
            prop_assert!(sh.helpers.is_empty() && sh.read.is_none() && sh.plan.is_none());
        }
    }
}
