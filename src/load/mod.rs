//! The loader: a deterministic state machine that decides how files get into the
//! [`Store`] — which bytes to read next, when to read a file in pieces, when a load would
//! not fit in memory, how a cancel unwinds. It does no I/O and reads no clock: **events**
//! go in (sources queued, a slice's bytes, the cut points of a large file, a helper's
//! answer, Cancel, Clear, Resume, SetLimits), each with the time `now_ms` as an argument,
//! and **effects** come out ([`Effect`]: read these bytes, plan this file, spawn helpers,
//! load this policy text, reply). The worker (`web::engine`) is the imperative shell that
//! carries the effects out; the native tests (`tests/load_machine.rs`) drive the loader
//! through every interleaving that matters. The model is quinn-proto's split.
//!
//! Driving it: call an event method, then [`Loader::take_effects`] and carry them out,
//! then, while [`Loader::has_work`], call [`Loader::work`] (which parses one
//! [`Config::parse_part`] of the slice that arrived) and carry out its effects. The read
//! of the next slice is among the effects of the slice event, *before* its bytes are
//! parsed, so the browser reads while the engine parses.
//!
//! Invariants:
//! - `generation` changes whenever the source being read changes (next source, cancel,
//!   clear, failure); every effect that expects an answer carries it, and an answer from
//!   another generation is dropped;
//! - at most one read is outstanding, and only the slice asked for is accepted;
//! - a file is either complete in the store or not in it at all: a cancelled, failed or
//!   held-back file is rolled back ([`Store::rollback`] to the mark taken when it started:
//!   rows are appended until a load ends, so this is a truncation and nothing is re-read);
//! - every load (a queue of sources) ends with exactly one `Loaded` reply; a `WontFit`
//!   follows it when the load stopped before running out of memory.

pub mod piece;
pub mod reply;

pub use reply::{
    format_name, summarize, FileSummary, FitFile, Phase, Progress, RejectionView, Summary, WontFit,
    DEFAULT_MAX_EVENTS, HEAP_BUDGET_BYTES, MAX_REJECTIONS_SHOWN, PEAK_BYTES_PER_EVENT,
};

use crate::gen;
use crate::ingest::{route, Ingester, Route};
use crate::store::{duplicates_note, fingerprint, Mark, Store};
use std::collections::VecDeque;
use std::rc::Rc;

/// Slice size for reading files: 16 MiB (large enough that per-slice costs vanish, small
/// enough that two slices in flight cost little memory).
pub const SLICE: u64 = 16 << 20;

/// How many leading bytes decide between a log and a policy.
pub const SNIFF_BYTES: usize = 64 << 10;

/// Policies larger than this are refused (real ones are a few kB).
pub const MAX_POLICY_BYTES: u64 = 4 << 20;

/// A slice is parsed in parts of this many bytes, with progress between them.
pub const PARSE_PART: usize = 2 << 20;

/// Minimum time between two progress messages, ms (about ten a second).
pub const PROGRESS_EVERY_MS: f64 = 100.0;

/// The memory check estimates once this many bytes of a load are read.
pub const MIN_SAMPLE: u64 = 1 << 20;

/// The next slice of a file of `size` bytes after `offset`: `None` at the end.
/// Invariant: returned ranges are never empty and never pass `size`.
pub fn next_range(offset: u64, size: u64, slice: u64) -> Option<(u64, u64)> {
    (offset < size).then(|| (offset, size.min(offset.saturating_add(slice.max(1)))))
}

/// The loader's tunables (the defaults are the page's; tests make them small).
#[derive(Clone, Debug)]
pub struct Config {
    /// How many pieces a large file is read with (1: never split).
    pub pieces: u32,
    /// Plain files at least this large are planned for pieces.
    pub min_split_bytes: u64,
    /// Bytes asked for per read.
    pub slice: u64,
    /// Bytes parsed per [`Loader::work`] call.
    pub parse_part: usize,
    /// Minimum time between two progress replies.
    pub progress_every_ms: f64,
    /// Bytes of a load read before the memory check extrapolates.
    pub min_sample: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            pieces: 2,
            min_split_bytes: piece::MIN_SPLIT_BYTES,
            slice: SLICE,
            parse_part: PARSE_PART,
            progress_every_ms: PROGRESS_EVERY_MS,
            min_sample: MIN_SAMPLE,
        }
    }
}

/// The shell's name for a file's bytes (it maps the id to its `Blob`).
pub type SourceId = u64;

/// A file to load, as the shell describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceSpec {
    pub id: SourceId,
    pub name: String,
    /// Size in bytes.
    pub size: u64,
}

/// Where bytes are read from.
#[derive(Clone, Debug, PartialEq)]
pub enum Origin {
    /// A file the shell holds.
    Source(SourceId),
    /// Bytes the loader holds (the generated sample).
    Bytes(Rc<Vec<u8>>),
}

/// What a helper says about its piece.
#[derive(Clone, Debug, PartialEq)]
pub enum HelperEvent {
    /// Bytes of the piece read so far.
    Progress { bytes_done: u64 },
    /// The piece is read: its lines and its [`piece::encode`]d store.
    Done { lines: u64, data: Vec<u8> },
    /// The piece could not be read (the loader then reads the rest of the file alone).
    Failed(String),
}

/// What the shell must do. `C` is the shell's name for a client (whom to reply to).
#[derive(Clone, Debug, PartialEq)]
pub enum Effect<C> {
    /// Read bytes `[start, end)` of `origin`; answer with [`Loader::slice`].
    Read {
        generation: u32,
        origin: Origin,
        start: u64,
        end: u64,
    },
    /// Find where to cut `source` (`size` bytes, plain JSON lines?) into `pieces` pieces
    /// at line starts; answer with [`Loader::planned`] (`None`: read it whole).
    Plan {
        generation: u32,
        source: SourceId,
        size: u64,
        pieces: u32,
    },
    /// Start one helper per range `[start, end)` of `source`, keeping only events in
    /// `window`; each answers with [`Loader::helper`] (naming its range by `start`).
    SpawnHelpers {
        generation: u32,
        source: SourceId,
        name: String,
        window: Option<(i64, i64)>,
        ranges: Vec<(u64, u64)>,
    },
    /// Stop every helper (their answers are no longer wanted).
    DropHelpers,
    /// Read `bytes` as an audit policy (as kube-apiserver reads the file: UTF-16 with a
    /// BOM, invalid UTF-8 refused), keep it when usable, send `to` the report.
    Policy { to: C, name: String, bytes: Vec<u8> },
    /// Store file `file` was added; its bytes can be read again from `origin` (the
    /// shell's per-file table of raw sources).
    FileAdded { file: u32, origin: Origin },
    /// The store was rolled back to its first `files` files: forget the others and any
    /// answer computed from the store.
    FilesTruncated { files: usize },
    /// The store was finalized (sorted): answers computed from it before are stale.
    Finalized,
    /// Send `to` this reply.
    Reply { to: C, reply: Reply },
    /// A line for the developer console.
    Debug(String),
}

/// A reply to the page.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    Progress(Progress),
    /// The load ended; the whole loaded set as it stands (`heap_bytes` is 0: the shell
    /// knows it).
    Loaded(Summary),
    /// Sent right after a `Loaded`: the load stopped before running out of memory.
    WontFit(Box<WontFit>),
    /// Something went wrong that is not about one input line.
    Error(String),
}

/// Something that can be (re)loaded.
#[derive(Clone, Debug)]
enum Source {
    /// The generated sample log (and its policy).
    Sample,
    File {
        spec: SourceSpec,
        as_policy: bool,
        /// Keep only events received in `[from, to)` (µs).
        window: Option<(i64, i64)>,
    },
}

impl Source {
    fn name(&self) -> &str {
        match self {
            Source::Sample => gen::SAMPLE_NAME,
            Source::File { spec, .. } => &spec.name,
        }
    }

    fn window(&self) -> Option<(i64, i64)> {
        match self {
            Source::Sample => None,
            Source::File { window, .. } => *window,
        }
    }

    fn size(&self) -> u64 {
        match self {
            Source::Sample => 0,
            Source::File { spec, .. } => spec.size,
        }
    }
}

/// A slice that arrived and is being parsed, [`Config::parse_part`] bytes per
/// [`Loader::work`].
struct Pending {
    /// Offset of `bytes[0]` in the source.
    start: u64,
    bytes: Vec<u8>,
    /// Bytes parsed so far.
    at: usize,
    /// Another slice follows (its read was asked for already).
    more: bool,
}

/// The source being read.
struct Current {
    source: Source,
    size: u64,
    /// Bytes fed so far.
    offset: u64,
    /// Set once the first slice said "log"; the file is then registered in the store.
    ingester: Option<Ingester>,
    /// The sample's bytes (a file is read through the shell instead).
    data: Option<Rc<Vec<u8>>>,
    /// This loader reads `[0, end)`: `size`, or the first piece when `split`.
    end: u64,
    /// Waiting for the plan.
    planning: bool,
    /// The read asked for and not answered yet.
    reading: Option<(u64, u64)>,
    pending: Option<Pending>,
    /// The other pieces, read by helpers (large plain JSON-lines files).
    split: Option<Split>,
    /// The store before this source: what a cancel or failure rolls back to.
    mark: Mark,
}

impl Current {
    fn origin(&self) -> Origin {
        match (&self.data, &self.source) {
            (Some(d), _) => Origin::Bytes(d.clone()),
            (None, Source::File { spec, .. }) => Origin::Source(spec.id),
            (None, Source::Sample) => Origin::Bytes(Rc::new(Vec::new())),
        }
    }
}

/// A file read in pieces: this loader reads the first, helpers the others.
struct Split {
    /// Start of each piece (the first is 0).
    points: Vec<u64>,
    /// Bytes of each helper's piece read so far.
    done: Vec<u64>,
    /// Each helper's piece, once read: its lines and its encoded store.
    parts: Vec<Option<(u64, Vec<u8>)>>,
    /// Lines of the first piece, once this loader has read it.
    lines0: Option<u64>,
}

impl Split {
    /// `[start, end)` of helper piece `k` (piece `k + 1` of the file).
    fn range(&self, k: usize, size: u64) -> (u64, u64) {
        (
            self.points[k + 1],
            self.points.get(k + 2).copied().unwrap_or(size),
        )
    }
}

/// One load: a queue of sources and its progress counters.
struct Job<C> {
    client: C,
    phase: Phase,
    queue: VecDeque<Source>,
    current: Option<Current>,
    files: u32,
    index: u32,
    bytes_total: u64,
    /// Bytes of the sources already finished in this job.
    bytes_finished: u64,
    started_ms: f64,
    last_progress_ms: f64,
    note: Option<String>,
    /// Rows in the store when the job started (the memory check counts what it adds).
    rows_at_start: usize,
}

/// The loader. See the module docs.
pub struct Loader<C> {
    cfg: Config,
    store: Store,
    job: Option<Job<C>>,
    generation: u32,
    /// Events this tab may hold ([`DEFAULT_MAX_EVENTS`] unless set).
    max_events: u64,
    /// Sources a `WontFit` held back, for a [`Loader::resume`].
    deferred: Vec<Source>,
    /// Sent after the next `Loaded`.
    pending_fit: Option<WontFit>,
    out: Vec<Effect<C>>,
}

impl<C: Copy> Loader<C> {
    pub fn new(cfg: Config) -> Self {
        Loader {
            cfg,
            store: Store::new(),
            job: None,
            generation: 0,
            max_events: DEFAULT_MAX_EVENTS,
            deferred: Vec::new(),
            pending_fit: None,
            out: Vec::new(),
        }
    }

    /// The loaded set (unfinalized while [`is_loading`](Self::is_loading)).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A load is running.
    pub fn is_loading(&self) -> bool {
        self.job.is_some()
    }

    /// The generation answers must carry now.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Sources the loader may still ask to read (queued, being read, held back): the
    /// shell may forget the others.
    pub fn live_sources(&self) -> Vec<SourceId> {
        let id = |s: &Source| match s {
            Source::File { spec, .. } => Some(spec.id),
            Source::Sample => None,
        };
        let mut v: Vec<SourceId> = self.deferred.iter().filter_map(id).collect();
        if let Some(job) = &self.job {
            v.extend(job.current.iter().filter_map(|c| id(&c.source)));
            v.extend(job.queue.iter().filter_map(id));
        }
        v
    }

    /// The effects produced since the last call, in order.
    pub fn take_effects(&mut self) -> Vec<Effect<C>> {
        std::mem::take(&mut self.out)
    }

    // ---- events ----------------------------------------------------------------------

    /// Adds files to the loaded set (all read as policies when `as_policy`). Forgets any
    /// held-back files.
    pub fn load(&mut self, client: C, files: Vec<SourceSpec>, as_policy: bool, now_ms: f64) {
        self.settle(now_ms);
        self.deferred.clear();
        let sources = files
            .into_iter()
            .map(|spec| Source::File {
                spec,
                as_policy,
                window: None,
            })
            .collect();
        self.enqueue(client, sources, now_ms);
    }

    /// Adds the generated sample log and its policy.
    pub fn load_sample(&mut self, client: C, now_ms: f64) {
        self.settle(now_ms);
        self.enqueue(client, vec![Source::Sample], now_ms);
    }

    /// Loads the held-back files at `files` (indices into the last `WontFit`'s files),
    /// keeping only events received in `window`.
    pub fn resume(&mut self, client: C, files: &[u32], window: Option<(i64, i64)>, now_ms: f64) {
        self.settle(now_ms);
        let held = std::mem::take(&mut self.deferred);
        let sources: Vec<Source> = files
            .iter()
            .filter_map(|&i| held.get(i as usize).cloned())
            .map(|s| match s {
                Source::File {
                    spec, as_policy, ..
                } => Source::File {
                    spec,
                    as_policy,
                    window,
                },
                other => other,
            })
            .collect();
        if sources.is_empty() {
            let s = summarize(&self.store, 0.0, None);
            self.reply(client, Reply::Loaded(s));
        } else {
            self.enqueue(client, sources, now_ms);
        }
    }

    /// Sets how many events this tab may hold.
    pub fn set_limits(&mut self, max_events: u64) {
        self.max_events = max_events.max(1);
    }

    /// Stops the running load: the file being read is dropped whole (rolled back), the
    /// files loaded before it stay. Without a load, forgets held-back files.
    pub fn cancel(&mut self, client: C, now_ms: f64) {
        if self.job.is_none() && !self.deferred.is_empty() {
            self.deferred.clear();
            let note = "The held-back files were not loaded.".to_string();
            let s = summarize(&self.store, 0.0, Some(note));
            self.reply(client, Reply::Loaded(s));
        } else if self.job.as_ref().is_some_and(|j| j.current.is_some()) {
            let names = self.pending_names();
            self.abort_current(format!("Loading cancelled: {names} not loaded."), now_ms);
        } else {
            let s = summarize(&self.store, 0.0, None);
            self.reply(client, Reply::Loaded(s));
        }
    }

    /// Forgets every file and the running load.
    pub fn clear(&mut self, client: C) {
        self.generation += 1;
        if self.splitting() {
            self.out.push(Effect::DropHelpers);
        }
        self.job = None;
        self.store = Store::new();
        self.deferred.clear();
        self.pending_fit = None;
        self.reply(client, Reply::Loaded(Summary::default()));
    }

    /// Bytes `[.., end)` of the current source (asked for by an [`Effect::Read`]), or
    /// why they could not be read.
    pub fn slice(
        &mut self,
        generation: u32,
        end: u64,
        bytes: Result<Vec<u8>, String>,
        now_ms: f64,
    ) {
        if generation != self.generation {
            return; // from before a cancel, clear or the next source
        }
        self.settle(now_ms);
        if generation != self.generation {
            return;
        }
        let Some(cur) = self.current_mut() else {
            return;
        };
        let Some((a, b)) = cur.reading.filter(|&(_, b)| b == end) else {
            return; // not the read asked for
        };
        cur.reading = None;
        let name = cur.source.name().to_string();
        match bytes {
            Ok(bytes) if bytes.len() as u64 == b - a => self.on_bytes(end, bytes, now_ms),
            Ok(bytes) => self.abort_current(
                format!(
                    "Could not read {name}: {} bytes arrived where {} were asked for (was it changed while loading?). It was not loaded.",
                    bytes.len(),
                    b - a
                ),
                now_ms,
            ),
            Err(e) => self.abort_current(
                format!("Could not read {name}: {e}. It was not loaded."),
                now_ms,
            ),
        }
    }

    /// Where to cut the current source (asked for by an [`Effect::Plan`]); `None`: read
    /// it whole here. Points that do not cut it into line-start pieces are ignored.
    pub fn planned(&mut self, generation: u32, points: Option<Vec<u64>>, now_ms: f64) {
        if generation != self.generation {
            return;
        }
        self.settle(now_ms);
        let generation = self.generation;
        let Some(cur) = self.current_mut() else {
            return;
        };
        if !cur.planning {
            return;
        }
        cur.planning = false;
        let size = cur.size;
        let points = points.filter(|p| {
            p.len() >= 2 && p[0] == 0 && p.windows(2).all(|w| w[0] < w[1]) && p[p.len() - 1] < size
        });
        if let (Some(points), Source::File { spec, window, .. }) = (points, &cur.source) {
            let split = Split {
                done: vec![0; points.len() - 1],
                parts: vec![None; points.len() - 1],
                points,
                lines0: None,
            };
            let ranges = (0..split.parts.len())
                .map(|k| split.range(k, size))
                .collect();
            let effect = Effect::SpawnHelpers {
                generation,
                source: spec.id,
                name: spec.name.clone(),
                window: *window,
                ranges,
            };
            cur.end = split.points[1];
            cur.split = Some(split);
            self.out.push(effect);
        }
        self.request_slice(0);
    }

    /// A helper's answer about its piece (named by its first byte, `start`).
    pub fn helper(&mut self, generation: u32, start: u64, event: HelperEvent, now_ms: f64) {
        if generation != self.generation {
            return;
        }
        self.settle(now_ms);
        let Some(cur) = self.current_mut() else {
            return;
        };
        let size = cur.size;
        let Some(split) = cur.split.as_mut() else {
            return;
        };
        let Some(k) = split.points.iter().skip(1).position(|&p| p == start) else {
            return;
        };
        let (a, b) = split.range(k, size);
        match event {
            HelperEvent::Failed(e) => {
                // Helpers only speed things up: read the rest here, as one reader would.
                cur.split = None;
                cur.end = cur.size;
                let waiting = cur.reading.is_none();
                let at = cur.offset;
                self.out.push(Effect::Debug(format!(
                    "audit-lens: a helper could not read its piece at {start} ({e}); reading on alone"
                )));
                self.out.push(Effect::DropHelpers);
                if waiting {
                    self.request_slice(at);
                }
            }
            HelperEvent::Progress { bytes_done } => {
                split.done[k] = bytes_done.min(b - a);
                self.progress(false, now_ms);
            }
            HelperEvent::Done { lines, data } => {
                split.done[k] = b - a;
                split.parts[k] = Some((lines, data));
                self.try_merge(now_ms);
            }
        }
    }

    /// There is a slice to parse: call [`work`](Self::work).
    pub fn has_work(&self) -> bool {
        self.job
            .as_ref()
            .and_then(|j| j.current.as_ref())
            .is_some_and(|c| c.pending.is_some())
    }

    /// Parses the next part of the slice that arrived (and, after its last part, goes
    /// on: the next file, the merge, the end of the load). Returns [`has_work`](Self::has_work).
    pub fn work(&mut self, now_ms: f64) -> bool {
        let part = self.cfg.parse_part.max(1);
        let Loader { store, job, .. } = self;
        let Some(cur) = job.as_mut().and_then(|j| j.current.as_mut()) else {
            return false;
        };
        let Some(p) = cur.pending.as_mut() else {
            return false;
        };
        if p.at < p.bytes.len() {
            let n = part.min(p.bytes.len() - p.at);
            cur.ingester
                .as_mut()
                .expect("a log's ingester exists before its bytes are parsed")
                .push(store, &p.bytes[p.at..p.at + n]);
            p.at += n;
            cur.offset = p.start + p.at as u64;
            let parsed_all = p.at == p.bytes.len();
            if self.over_budget(now_ms) {
                return self.has_work();
            }
            if !parsed_all {
                self.progress(false, now_ms);
                return true;
            }
        }
        self.end_of_slice(now_ms);
        self.has_work()
    }

    // ---- the machine -----------------------------------------------------------------

    /// Parses whatever arrived and is not parsed yet (the shell always does this before
    /// the next event; a test may not).
    fn settle(&mut self, now_ms: f64) {
        while self.work(now_ms) {}
    }

    fn current_mut(&mut self) -> Option<&mut Current> {
        self.job.as_mut().and_then(|j| j.current.as_mut())
    }

    fn splitting(&self) -> bool {
        self.job
            .as_ref()
            .and_then(|j| j.current.as_ref())
            .is_some_and(|c| c.split.is_some())
    }

    fn reply(&mut self, to: C, reply: Reply) {
        self.out.push(Effect::Reply { to, reply });
    }

    /// Adds sources to the running job, or starts one.
    fn enqueue(&mut self, client: C, sources: Vec<Source>, now_ms: f64) {
        let rows_at_start = self.store.len();
        let job = self.job.get_or_insert_with(|| Job {
            client,
            phase: Phase::Reading,
            queue: VecDeque::new(),
            current: None,
            files: 0,
            index: 0,
            bytes_total: 0,
            bytes_finished: 0,
            started_ms: now_ms,
            last_progress_ms: f64::NEG_INFINITY,
            note: None,
            rows_at_start,
        });
        for s in sources {
            job.files += 1;
            job.bytes_total += s.size();
            job.queue.push_back(s);
        }
        if job.current.is_none() {
            self.advance(now_ms);
        }
    }

    /// Starts the next queued source, or ends the job when none is left.
    fn advance(&mut self, now_ms: f64) {
        let Some(job) = self.job.as_mut() else { return };
        let Some(source) = job.queue.pop_front() else {
            self.finish_job(now_ms);
            return;
        };
        self.generation += 1;
        let (size, data) = match &source {
            Source::Sample => {
                job.phase = Phase::Generating;
                let client = job.client;
                // `current` is still empty: this progress names no file.
                self.progress(true, now_ms);
                let bytes = gen::sample_log();
                self.out.push(Effect::Policy {
                    to: client,
                    name: "sample-policy.yaml".into(),
                    bytes: gen::sample_policy().as_bytes().to_vec(),
                });
                let job = self.job.as_mut().expect("job is running");
                if job.phase == Phase::Generating {
                    job.phase = Phase::Reading;
                }
                job.bytes_total += bytes.len() as u64;
                (bytes.len() as u64, Some(Rc::new(bytes)))
            }
            Source::File { spec, .. } => (spec.size, None),
        };
        let plan = match &source {
            Source::File {
                spec,
                as_policy: false,
                ..
            } if size >= self.cfg.min_split_bytes && self.cfg.pieces >= 2 => Some(spec.id),
            _ => None,
        };
        // A time window chosen after a "won't fit" applies to this source only.
        self.store.window = source.window();
        let mark = self.store.mark();
        let job = self.job.as_mut().expect("job is running");
        job.current = Some(Current {
            source,
            size,
            offset: 0,
            ingester: None,
            data,
            end: size,
            planning: plan.is_some(),
            reading: None,
            pending: None,
            split: None,
            mark,
        });
        if size == 0 {
            // Nothing to read: still register the file so the summary lists it.
            self.on_bytes(0, Vec::new(), now_ms);
        } else if let Some(source) = plan {
            // Large: find out whether (and where) to read it in pieces, then start.
            self.out.push(Effect::Plan {
                generation: self.generation,
                source,
                size,
                pieces: self.cfg.pieces,
            });
        } else {
            self.request_slice(0);
        }
    }

    /// Asks for the slice of the current source starting at `start`.
    fn request_slice(&mut self, start: u64) {
        let generation = self.generation;
        let slice = self.cfg.slice;
        let Some(cur) = self.current_mut() else {
            return;
        };
        let Some((a, b)) = next_range(start, cur.end, slice) else {
            return;
        };
        cur.reading = Some((a, b));
        let origin = cur.origin();
        self.out.push(Effect::Read {
            generation,
            origin,
            start: a,
            end: b,
        });
    }

    /// The slice ending at `end` of the current source arrived: on the first one, decide
    /// what the source is; ask for the next slice; queue this one for parsing.
    fn on_bytes(&mut self, end: u64, bytes: Vec<u8>, now_ms: f64) {
        let Some(job) = self.job.as_mut() else { return };
        let client = job.client;
        let Some(cur) = job.current.as_mut() else {
            return;
        };
        if cur.ingester.is_none() {
            let as_policy = matches!(
                cur.source,
                Source::File {
                    as_policy: true,
                    ..
                }
            );
            let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
            let name = cur.source.name().to_string();
            let route = match cur.source {
                Source::Sample => Route::Log,
                Source::File { .. } => route(head, as_policy),
            };
            if let Route::NotPolicy(why) = &route {
                let msg = format!("{name}: {why}. It was not loaded.");
                self.reply(client, Reply::Error(msg));
            }
            if route == Route::LogNotPolicy {
                self.add_note(format!(
                    "{name} is an audit log, not a policy: it was read as a log."
                ));
            }
            let Some(cur) = self.current_mut() else {
                return;
            };
            if matches!(route, Route::Policy | Route::NotPolicy(_)) {
                if matches!(route, Route::NotPolicy(_)) {
                    // Refused above: nothing reaches the policy editor.
                } else if cur.size > MAX_POLICY_BYTES {
                    let msg = format!(
                        "{name} is {} — too large to be an audit policy. Drop it without \"Load policy\" to read it as a log.",
                        crate::util::human_bytes(cur.size)
                    );
                    self.reply(client, Reply::Error(msg));
                } else {
                    self.out.push(Effect::Policy {
                        to: client,
                        name,
                        bytes: bytes.to_vec(),
                    });
                }
                self.skip_current(now_ms);
                return;
            }
            // The same file twice (same size and beginning, whatever its name): once.
            let fp = fingerprint(cur.size, &bytes);
            if !matches!(cur.source, Source::Sample) {
                if let Some(same) = self.store.same_file(fp) {
                    let note = if same.name == name {
                        format!("{name} is loaded already: not loaded again.")
                    } else {
                        format!(
                            "{name} is the same file as {} (same size and content), loaded already: not loaded again.",
                            same.name
                        )
                    };
                    self.add_note(note);
                    self.skip_current(now_ms);
                    return;
                }
            }
            let Loader {
                store, job, out, ..
            } = self;
            let Some(cur) = job.as_mut().and_then(|j| j.current.as_mut()) else {
                return;
            };
            let ing = Ingester::new(store, cur.source.name(), cur.size);
            let file = ing.file();
            store.files[file as usize].fingerprint = Some(fp);
            cur.ingester = Some(ing);
            // Explore: the shell remembers where this file's bytes are.
            out.push(Effect::FileAdded {
                file,
                origin: cur.origin(),
            });
        }
        // Ask for the next slice before parsing this one.
        let Some(cur) = self.current_mut() else {
            return;
        };
        let more = end < cur.end;
        let start = end - bytes.len() as u64;
        cur.pending = Some(Pending {
            start,
            bytes,
            at: 0,
            more,
        });
        if more {
            self.request_slice(end);
        }
    }

    /// The slice being parsed is done: the file, its first piece, or just a slice.
    fn end_of_slice(&mut self, now_ms: f64) {
        let Loader { store, job, .. } = self;
        let Some(job) = job.as_mut() else { return };
        let Some(cur) = job.current.as_mut() else {
            return;
        };
        let Some(p) = cur.pending.take() else { return };
        if p.more {
            self.progress(false, now_ms);
        } else if let Some(split) = cur.split.as_mut() {
            // The first piece is read; the store waits for the helpers' pieces.
            split.lines0 = Some(cur.ingester.as_ref().map_or(1, Ingester::line) - 1);
            self.progress(false, now_ms);
            self.try_merge(now_ms);
        } else {
            let cur = job.current.take().expect("a source is being read");
            cur.ingester
                .expect("a log's ingester exists before its bytes are parsed")
                .finish(store);
            job.bytes_finished += cur.size;
            job.index += 1;
            self.progress(false, now_ms);
            self.advance(now_ms);
        }
    }

    /// Ends the current source without reading it (a policy, a refused or repeated file).
    fn skip_current(&mut self, now_ms: f64) {
        let Some(job) = self.job.as_mut() else { return };
        let size = job.current.as_ref().map_or(0, |c| c.size);
        if job.current.as_ref().is_some_and(|c| c.split.is_some()) {
            self.out.push(Effect::DropHelpers);
        }
        job.bytes_finished += size;
        job.index += 1;
        job.current = None;
        self.advance(now_ms);
    }

    /// Adds a sentence to the note the job's summary carries.
    fn add_note(&mut self, note: String) {
        if let Some(job) = self.job.as_mut() {
            job.note = Some(join_note(job.note.take(), note));
        }
    }

    /// Once every piece is read: merges the helpers' pieces into the store in file order,
    /// then goes on with the next source.
    fn try_merge(&mut self, now_ms: f64) {
        let Some(merged) = self.merge_pieces() else {
            return;
        };
        let file = match merged {
            Ok(file) => file,
            Err(msg) => {
                // Cannot happen with our own helpers; keep the rule "all or nothing".
                self.abort_current(msg, now_ms);
                return;
            }
        };
        // The helpers' pieces may hold more than piece 1 promised: check once more.
        if self.store.len() as u64 > self.max_events && self.over_budget(now_ms) {
            return;
        }
        let job = self.job.as_mut().expect("job is running");
        let cur = job.current.take().expect("a source is being read");
        self.store.files[file as usize].decoded_bytes = cur.size;
        job.bytes_finished += cur.size;
        job.index += 1;
        self.progress(false, now_ms);
        self.advance(now_ms);
    }

    /// The merge itself, once every piece is there (else `None`): the file's index, or
    /// why a piece could not be merged.
    fn merge_pieces(&mut self) -> Option<Result<u32, String>> {
        let Loader {
            store, job, out, ..
        } = self;
        let cur = job.as_mut()?.current.as_mut()?;
        let split = cur.split.as_ref()?;
        if split.lines0.is_none() || split.parts.iter().any(Option::is_none) {
            return None;
        }
        let ing = cur.ingester.take().expect("the first piece was read");
        let file = ing.file();
        ing.finish(store);
        let split = cur.split.take().expect("checked above");
        out.push(Effect::DropHelpers);
        let mut lines_before = split.lines0.unwrap_or(0);
        let mut wire = 0;
        for (lines, data) in split.parts.into_iter().flatten() {
            wire += data.len();
            if let Err(e) = piece::absorb(store, &data, file, lines_before) {
                let name = cur.source.name();
                return Some(Err(format!(
                    "Could not read {name}: {e}. It was not loaded."
                )));
            }
            lines_before += lines;
        }
        out.push(Effect::Debug(format!(
            "audit-lens: merged {} pieces ({:.1} MB encoded)",
            split.points.len() - 1,
            wire as f64 / 1e6,
        )));
        Some(Ok(file))
    }

    /// Sends a progress reply unless one went out less than
    /// [`Config::progress_every_ms`] ago.
    fn progress(&mut self, force: bool, now_ms: f64) {
        let every = self.cfg.progress_every_ms;
        let Some(job) = self.job.as_mut() else { return };
        if !force && now_ms - job.last_progress_ms < every {
            return;
        }
        job.last_progress_ms = now_ms;
        let (file, done) = match &job.current {
            Some(c) => (
                c.source.name().to_string(),
                c.offset + c.split.as_ref().map_or(0, |s| s.done.iter().sum()),
            ),
            None => (String::new(), 0),
        };
        let p = Progress {
            phase: job.phase,
            file,
            file_index: job.index.min(job.files.saturating_sub(1)),
            files: job.files,
            bytes_done: (job.bytes_finished + done).min(job.bytes_total),
            bytes_total: job.bytes_total,
            events: self.store.len() as u64,
            elapsed_ms: now_ms - job.started_ms,
            gzip_decoded: job
                .current
                .as_ref()
                .and_then(|c| c.ingester.as_ref())
                .filter(|i| {
                    self.store
                        .files
                        .get(i.file() as usize)
                        .is_some_and(|f| f.gzip)
                })
                .map(Ingester::decoded_bytes),
        };
        let to = job.client;
        self.reply(to, Reply::Progress(p));
    }

    /// Ends the job: sorts the store by time and sends the summary.
    fn finish_job(&mut self, now_ms: f64) {
        let Some(job) = self.job.as_mut() else {
            return;
        };
        job.phase = Phase::Sorting;
        self.progress(true, now_ms);
        let job = self.job.take().expect("job is running");
        self.store.window = None;
        self.store.finalize();
        let dups = self.store.drop_cross_file_duplicates();
        let mut note = job.note;
        if let Some(d) = duplicates_note(&self.store, &dups) {
            note = Some(join_note(note, d));
        }
        self.store.shrink_to_fit();
        self.out.push(Effect::Finalized);
        let summary = summarize(&self.store, now_ms - job.started_ms, note);
        self.reply(job.client, Reply::Loaded(summary));
        if let Some(fit) = self.pending_fit.take() {
            self.reply(job.client, Reply::WontFit(Box::new(fit)));
        }
    }

    /// The memory check, after each parsed part and merge: when the job would take the
    /// store past `max_events` (estimated from the events per input byte read so far in
    /// this job, once [`Config::min_sample`] bytes are read; or plainly, when it got
    /// there), stops the job before memory runs out. The files of this job that are not
    /// complete are held back (`deferred`) and a [`WontFit`] says what could be loaded
    /// instead. Returns whether it stopped.
    fn over_budget(&mut self, now_ms: f64) -> bool {
        let Some(job) = self.job.as_ref() else {
            return false;
        };
        let Some(cur) = job.current.as_ref() else {
            return false;
        };
        if matches!(cur.source, Source::Sample) {
            return false;
        }
        let rows = self.store.len() as u64;
        let added = rows.saturating_sub(job.rows_at_start as u64);
        let read = job.bytes_finished + cur.offset;
        let left = job.bytes_total.saturating_sub(read);
        let estimate = if read >= self.cfg.min_sample {
            rows + (added as f64 * left as f64 / read as f64) as u64
        } else {
            rows
        };
        if estimate <= self.max_events && rows <= self.max_events {
            return false;
        }
        // What was read of this job, and the sources held back (current first).
        let rate = added as f64 / read.max(1) as f64;
        let held: Vec<Source> = std::iter::once(cur.source.clone())
            .chain(job.queue.iter().cloned())
            .collect();
        let files = held
            .iter()
            .map(|s| FitFile {
                name: s.name().to_string(),
                bytes: s.size(),
                estimated_events: (s.size() as f64 * rate) as u64,
            })
            .collect();
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for &t in &self.store.received_col()[job.rows_at_start.min(rows as usize)..] {
            lo = lo.min(t);
            hi = hi.max(t);
        }
        let seen = (lo <= hi).then_some((lo, hi));
        let loaded_events = job.rows_at_start as u64;
        let room = self.max_events.saturating_sub(loaded_events);
        let fraction = read as f64 / job.bytes_total.max(1) as f64;
        let span = seen.map(|(a, b)| (a, a + ((b - a) as f64 / fraction.max(1e-9)) as i64 + 1));
        let share = (room as f64 / estimate.max(1) as f64 * 0.9).min(1.0);
        let proposed = span.map(|(a, b)| (b - ((b - a) as f64 * share) as i64, b));
        let fit = WontFit {
            estimated_events: estimate.max(rows),
            max_events: self.max_events,
            loaded_events,
            files,
            first_seen_us: seen.map(|s| s.0),
            last_seen_us: seen.map(|s| s.1),
            span_estimate_us: span,
            proposed_window_us: proposed,
        };
        let names = self.pending_names();
        self.deferred = held;
        self.pending_fit = Some(fit);
        self.abort_current(
            format!(
                "Stopped before running out of memory: {names} not loaded. Choose a time window or fewer files."
            ),
            now_ms,
        );
        true
    }

    /// "a.log was", "a.log and 2 more files were" ... for the cancel note.
    fn pending_names(&self) -> String {
        let Some(job) = self.job.as_ref() else {
            return String::new();
        };
        let names: Vec<&str> = job
            .current
            .iter()
            .map(|c| c.source.name())
            .chain(job.queue.iter().map(Source::name))
            .collect();
        match names.as_slice() {
            [] => "nothing was".into(),
            [one] => format!("{one} was"),
            [first, rest @ ..] => format!("{first} and {} more files were", rest.len()),
        }
    }

    /// Drops the current source and everything queued after it. If the source had already
    /// put rows (or its file entry) in the store, rolls the store back to the mark taken
    /// when it started: the files loaded before it stay, nothing is read again.
    fn abort_current(&mut self, note: String, now_ms: f64) {
        self.generation += 1;
        self.store.window = None;
        let Some(job) = self.job.take() else { return };
        if let Some(cur) = &job.current {
            if cur.split.is_some() {
                self.out.push(Effect::DropHelpers);
            }
            if cur.ingester.is_some() || self.store.files.len() > cur.mark.files() {
                self.store.rollback(&cur.mark);
                self.out.push(Effect::FilesTruncated {
                    files: self.store.files.len(),
                });
            }
        }
        self.job = Some(Job {
            client: job.client,
            phase: job.phase,
            queue: VecDeque::new(),
            current: None,
            files: job.files,
            index: job.files,
            bytes_total: job.bytes_total,
            bytes_finished: job.bytes_total,
            started_ms: job.started_ms,
            last_progress_ms: f64::NEG_INFINITY,
            // Earlier sentences of this load ("loaded already", "read as a log") stay.
            note: Some(join_note(job.note, note)),
            rows_at_start: job.rows_at_start,
        });
        self.advance(now_ms);
    }
}

/// A load's note with one more sentence.
fn join_note(note: Option<String>, more: String) -> String {
    match note {
        Some(n) => format!("{n} {more}"),
        None => more,
    }
}
