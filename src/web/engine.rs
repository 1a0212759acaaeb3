//! The engine worker: owns the [`Store`] and answers the page's [`Request`]s.
//!
//! Loading is a small state machine driven by worker messages, so the worker's event loop
//! runs between two slices and a `Cancel` is seen promptly:
//! `Load` queues sources -> [`Engine::advance`] starts the next one -> each slice arrives
//! as [`Msg::Slice`], the read of the following slice is started *before* the current one
//! is parsed (the browser reads while we parse) -> after the last source the store is
//! finalized and one [`Response::Loaded`] goes out.
//!
//! Invariants:
//! - `generation` grows on every cancel/clear; a slice from an older generation is dropped;
//! - a file is either complete in the store or not in it at all: a cancelled, failed or
//!   held-back file is rolled back ([`Store::rollback`] to the mark taken when it started:
//!   rows are appended until a load ends, so this is a truncation and nothing is re-read).

use crate::audit::policy::LoadedPolicy;
use crate::gen;
use crate::ingest::{route, Ingester, Route};
use crate::store::{duplicates_note, fingerprint, Mark, Store};
use crate::web::codec::JsCodec;
use crate::web::explore::{self, Explore, RawSource};
use crate::web::piece;
use crate::web::policy::{self, MAX_POLICY_BYTES};
use crate::web::protocol::{
    FileRef, FitFile, Phase, PieceReply, Progress, Request, Response, Summary, WontFit,
    DEFAULT_MAX_EVENTS,
};
use crate::web::reader::{js_error_text, next_range, SLICE, SNIFF_BYTES};
use crate::web::summary::summarize;
use crate::web::workbench;
use gloo_worker::{HandlerId, Spawnable, Worker, WorkerBridge, WorkerScope};
use js_sys::Uint8Array;
use std::collections::VecDeque;
use std::rc::Rc;
use wasm_bindgen_futures::JsFuture;

/// Minimum time between two progress messages, ms (about ten a second).
const PROGRESS_EVERY_MS: f64 = 100.0;

/// A slice is parsed in parts of this many bytes, with progress between them.
const PARSE_PART: usize = 2 << 20;

/// Something that can be (re)loaded.
#[derive(Clone)]
enum Source {
    /// The generated sample log (and its policy).
    Sample,
    File {
        file: FileRef,
        as_policy: bool,
        /// Keep only events received in `[from, to)` (µs).
        window: Option<(i64, i64)>,
    },
}

impl Source {
    fn name(&self) -> &str {
        match self {
            Source::Sample => gen::SAMPLE_NAME,
            Source::File { file, .. } => &file.name,
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
            Source::File { file, .. } => file.size,
        }
    }
}

/// The source being read.
struct Current {
    source: Source,
    size: u64,
    /// Bytes fed so far.
    offset: u64,
    /// Set once the first slice said "log"; the file is then registered in the store.
    ingester: Option<Ingester>,
    /// The sample's bytes (a `File` is read from its `Blob` instead).
    data: Option<Rc<Vec<u8>>>,
    /// This worker reads `[0, end)`: `size`, or the first piece when `split`.
    end: u64,
    /// The other pieces, read by helper workers (large plain JSON-lines files).
    split: Option<Split>,
    /// The store before this source: what a cancel or failure rolls back to.
    mark: Mark,
}

/// A file read in pieces: this worker reads the first, helpers the others.
struct Split {
    /// Start of each piece (the first is 0).
    points: Vec<u64>,
    /// The helpers, one per piece after the first (dropping one stops it).
    _helpers: Vec<WorkerBridge<Engine>>,
    /// Bytes of each helper's piece read so far.
    done: Vec<u64>,
    /// Each helper's piece, once read: its lines and its encoded store.
    parts: Vec<Option<(u64, Vec<u8>)>>,
    /// Lines of the first piece, once this worker has read it.
    lines0: Option<u64>,
}

/// One load: a queue of sources and its progress counters.
struct Job {
    client: HandlerId,
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

/// Messages the worker sends itself.
pub enum Msg {
    /// Bytes `[.., end)` of the current source, or why they could not be read.
    Slice {
        generation: u32,
        end: u64,
        bytes: Result<Vec<u8>, String>,
    },
    /// Where to cut the current source (`None`: read it whole here).
    Planned {
        generation: u32,
        points: Option<Vec<u64>>,
    },
    /// A helper worker's answer about its piece of the current source.
    Piece { generation: u32, reply: PieceReply },
}

/// The worker. See the module docs for the invariants.
pub struct Engine {
    store: Store,
    job: Option<Job>,
    generation: u32,
    /// The last policy that loaded without errors (for evaluation).
    policy: Option<LoadedPolicy>,
    // ---- Explore view (issue 5) ----
    /// The text of `policy` (the event detail quotes the deciding rule).
    policy_text: String,
    /// Per store file index: where its bytes can be read again (events on demand, export).
    raw: Vec<Option<RawSource>>,
    /// Caches of the Explore view's answers.
    explore: Explore,
    // ---- policy workbench (issue 6) ----
    /// What the workbench keeps between answers (attribute index, baseline evaluation).
    workbench: workbench::Cache,
    // ---- memory (issue 7) ----
    /// Events this tab may hold ([`DEFAULT_MAX_EVENTS`] unless the page sets it).
    max_events: u64,
    /// Sources a [`Response::WontFit`] held back, for a [`Request::Resume`].
    deferred: Vec<Source>,
    /// Sent after the next `Loaded`.
    pending_fit: Option<WontFit>,
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

impl Worker for Engine {
    type Message = Msg;
    type Input = Request;
    type Output = Response;

    fn create(_scope: &WorkerScope<Self>) -> Self {
        let explore = Explore::default();
        let workbench = workbench::Cache::with_attr(explore.shared_attr());
        Engine {
            store: Store::new(),
            job: None,
            generation: 0,
            policy: None,
            policy_text: String::new(),
            raw: Vec::new(),
            explore,
            workbench,
            max_events: DEFAULT_MAX_EVENTS,
            deferred: Vec::new(),
            pending_fit: None,
        }
    }

    fn update(&mut self, scope: &WorkerScope<Self>, msg: Msg) {
        match msg {
            Msg::Slice {
                generation,
                end,
                bytes,
            } if generation == self.generation => match bytes {
                Ok(bytes) => self.on_slice(scope, end, bytes),
                Err(e) => {
                    let name = self.current_name();
                    self.abort_current(
                        scope,
                        format!("Could not read {name}: {e}. It was not loaded."),
                    );
                }
            },
            Msg::Slice { .. } => {} // from before a cancel or clear
            Msg::Planned { generation, points } if generation == self.generation => {
                self.on_planned(scope, points)
            }
            Msg::Piece { generation, reply } if generation == self.generation => {
                self.on_piece(scope, reply)
            }
            Msg::Planned { .. } | Msg::Piece { .. } => {}
        }
    }

    fn received(&mut self, scope: &WorkerScope<Self>, msg: Request, id: HandlerId) {
        match msg {
            Request::Hello => scope.respond(
                id,
                Response::Ready {
                    version: env!("CARGO_PKG_VERSION").to_string(),
                },
            ),
            Request::Load { files, as_policy } => {
                self.deferred.clear();
                let sources = files
                    .into_iter()
                    .map(|file| Source::File {
                        file,
                        as_policy,
                        window: None,
                    })
                    .collect();
                self.enqueue(scope, id, sources);
            }
            Request::Resume { files, window } => {
                let held = std::mem::take(&mut self.deferred);
                let sources: Vec<Source> = files
                    .iter()
                    .filter_map(|&i| held.get(i as usize).cloned())
                    .map(|s| match s {
                        Source::File {
                            file, as_policy, ..
                        } => Source::File {
                            file,
                            as_policy,
                            window,
                        },
                        other => other,
                    })
                    .collect();
                if sources.is_empty() {
                    scope.respond(id, Response::Loaded(summarize(&self.store, 0.0, None)));
                } else {
                    self.enqueue(scope, id, sources);
                }
            }
            Request::SetLimits { max_events } => self.max_events = max_events.max(1),
            Request::LoadSample => self.enqueue(scope, id, vec![Source::Sample]),
            Request::Cancel => match self.job.as_ref().and_then(|j| j.current.as_ref()) {
                _ if self.job.is_none() && !self.deferred.is_empty() => {
                    self.deferred.clear();
                    let note = "The held-back files were not loaded.".to_string();
                    scope.respond(
                        id,
                        Response::Loaded(summarize(&self.store, 0.0, Some(note))),
                    );
                }
                Some(_) => {
                    let names = self.pending_names();
                    self.abort_current(scope, format!("Loading cancelled: {names} not loaded."));
                }
                None => scope.respond(id, Response::Loaded(summarize(&self.store, 0.0, None))),
            },
            Request::Clear => {
                self.generation += 1;
                self.job = None;
                self.store = Store::new();
                self.deferred.clear();
                self.pending_fit = None;
                self.policy = None;
                self.raw.clear();
                self.explore.reset();
                self.workbench.invalidate(); // policy workbench
                scope.respond(id, Response::Loaded(Summary::default()));
            }
            // ---- Explore view (issue 5): answered only between loads ----
            Request::Query(q) if self.job.is_none() => {
                let r = self.explore.query(&self.store, self.policy.as_ref(), &q);
                let ok = r.error.is_none();
                scope.respond(id, Response::QueryResult(Box::new(r)));
                // The panels follow: the timeline and the table are drawn meanwhile.
                if ok {
                    let tops = self.explore.tops(&self.store, q.top);
                    scope.respond(id, Response::Tops { id: q.id, tops });
                }
            }
            Request::Rows {
                id: q,
                offset,
                limit,
            } if self.job.is_none() => {
                let page = self.explore.rows(&self.store, q, offset, limit);
                scope.respond(id, Response::Rows(page));
            }
            Request::Event { id: q, row } if self.job.is_none() => {
                let policy = self.policy.as_ref().map(|p| (p, self.policy_text.as_str()));
                let d = self.explore.event(&self.store, &self.raw, policy, q, row);
                scope.respond(id, Response::Event(Box::new(d)));
            }
            Request::Complete {
                id: q,
                text,
                cursor,
            } => {
                let completion = explore::completion(&self.store, &text, cursor);
                scope.respond(id, Response::Completion { id: q, completion });
            }
            Request::Export { id: q, kind } if self.job.is_none() => {
                let e = self.explore.export(&self.store, &self.raw, q, kind);
                scope.respond(id, Response::Exported(e));
            }
            // During a load the page shows progress; it asks again once `Loaded` arrives.
            Request::Query(_)
            | Request::Rows { .. }
            | Request::Event { .. }
            | Request::Export { .. } => {}
            // ---- as a helper worker: read one piece of a large file ----
            Request::IngestPiece {
                file,
                start,
                end,
                window,
            } => ingest_piece(scope, id, file, start, end, window),
            // ---- policy workbench (issue 6) ----
            // The edited policy becomes the current one (Explore's rule column and `rule:`).
            Request::Workbench(req) => {
                let loading = self.job.is_some();
                let (report, loaded) =
                    workbench::answer(&self.store, loading, &mut self.workbench, &req, now_ms);
                if let Some(p) = loaded {
                    self.policy = Some(p);
                    self.policy_text = req.text;
                    self.explore.policy_changed();
                }
                scope.respond(id, Response::Workbench(Box::new(report)));
            }
        }
    }
}

impl Engine {
    /// Adds sources to the running job, or starts one.
    fn enqueue(&mut self, scope: &WorkerScope<Self>, client: HandlerId, sources: Vec<Source>) {
        let job = self.job.get_or_insert_with(|| Job {
            client,
            phase: Phase::Reading,
            queue: VecDeque::new(),
            current: None,
            files: 0,
            index: 0,
            bytes_total: 0,
            bytes_finished: 0,
            started_ms: now_ms(),
            last_progress_ms: 0.0,
            note: None,
            rows_at_start: self.store.len(),
        });
        for s in sources {
            job.files += 1;
            if let Source::File { file, .. } = &s {
                job.bytes_total += file.size;
            }
            job.queue.push_back(s);
        }
        if job.current.is_none() {
            self.advance(scope);
        }
    }

    /// Starts the next queued source, or ends the job when none is left.
    fn advance(&mut self, scope: &WorkerScope<Self>) {
        let Some(job) = self.job.as_mut() else { return };
        let Some(source) = job.queue.pop_front() else {
            self.finish_job(scope);
            return;
        };
        let (size, data) = match &source {
            Source::Sample => {
                job.phase = Phase::Generating;
                let client = job.client;
                self.progress(scope, true);
                let bytes = gen::sample_log();
                self.load_policy(
                    scope,
                    client,
                    "sample-policy.yaml",
                    gen::sample_policy().as_bytes(),
                );
                let job = self.job.as_mut().expect("job is running");
                if job.phase == Phase::Generating {
                    job.phase = Phase::Reading;
                }
                job.bytes_total += bytes.len() as u64;
                (bytes.len() as u64, Some(Rc::new(bytes)))
            }
            Source::File { file, .. } => (file.size, None),
        };
        let plan = match &source {
            Source::File {
                file,
                as_policy: false,
                ..
            } if size >= piece::MIN_SPLIT_BYTES => Some(file.blob.clone()),
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
            split: None,
            mark,
        });
        if size == 0 {
            // Nothing to read: still register the file so the summary lists it.
            self.on_slice(scope, 0, Vec::new());
        } else if let Some(blob) = plan {
            // Large: find out whether (and where) to read it in pieces, then start.
            let scope = scope.clone();
            let generation = self.generation;
            let pieces = piece::pieces_wanted();
            wasm_bindgen_futures::spawn_local(async move {
                let points = piece::plan(&blob, size, pieces).await;
                scope.send_message(Msg::Planned { generation, points });
            });
        } else {
            self.request_slice(scope, 0);
        }
    }

    /// Starts the helpers for pieces 1.. (when cut), then reads the first piece here.
    fn on_planned(&mut self, scope: &WorkerScope<Self>, points: Option<Vec<u64>>) {
        let generation = self.generation;
        let Some(cur) = self.job.as_mut().and_then(|j| j.current.as_mut()) else {
            return;
        };
        let url = piece::own_url();
        if let (Some(points), Some(url), Source::File { file, .. }) = (points, url, &cur.source) {
            let mut helpers = Vec::new();
            for (k, &start) in points.iter().enumerate().skip(1) {
                let end = points.get(k + 1).copied().unwrap_or(cur.size);
                let me = scope.clone();
                let bridge = Engine::spawner()
                    .encoding::<JsCodec>()
                    .callback(move |r| {
                        if let Response::Piece(reply) = r {
                            me.send_message(Msg::Piece { generation, reply });
                        }
                    })
                    .with_loader(true)
                    .as_module(false)
                    .spawn(&url);
                bridge.send(Request::IngestPiece {
                    file: file.clone(),
                    start,
                    end,
                    window: cur.source.window(),
                });
                helpers.push(bridge);
            }
            cur.end = points[1];
            cur.split = Some(Split {
                done: vec![0; helpers.len()],
                parts: vec![None; helpers.len()],
                _helpers: helpers,
                points,
                lines0: None,
            });
        }
        self.request_slice(scope, 0);
    }

    /// A helper's progress or result.
    fn on_piece(&mut self, scope: &WorkerScope<Self>, reply: PieceReply) {
        let Some(cur) = self.job.as_mut().and_then(|j| j.current.as_mut()) else {
            return;
        };
        let Some(split) = cur.split.as_mut() else {
            return;
        };
        let Some(k) = split.points.iter().skip(1).position(|&p| p == reply.start) else {
            return;
        };
        if let Some(e) = reply.error {
            // Helpers only speed things up: read the rest here, as one reader would.
            web_sys::console::debug_1(
                &format!(
                    "audit-lens: a helper could not read its piece at {} ({e}); reading on alone",
                    reply.start
                )
                .into(),
            );
            cur.split = None;
            let waiting = cur.offset == cur.end;
            cur.end = cur.size;
            if waiting {
                let at = cur.offset;
                self.request_slice(scope, at);
            }
            return;
        }
        split.done[k] = reply.bytes_done;
        if let Some(lines) = reply.lines {
            split.parts[k] = Some((lines, Uint8Array::new(&reply.data).to_vec()));
            self.try_merge(scope);
        } else {
            self.progress(scope, false);
        }
    }

    /// Once every piece is read: merges the helpers' pieces into the store in file order,
    /// then goes on with the next source.
    fn try_merge(&mut self, scope: &WorkerScope<Self>) {
        let Some(job) = self.job.as_mut() else { return };
        let Some(cur) = job.current.as_mut() else {
            return;
        };
        let Some(split) = cur.split.as_ref() else {
            return;
        };
        if split.lines0.is_none() || split.parts.iter().any(Option::is_none) {
            return;
        }
        let mut cur = job.current.take().expect("a source is being read");
        let ing = cur.ingester.take().expect("the first piece was read");
        let file = ing.file();
        ing.finish(&mut self.store);
        let split = cur.split.take().expect("checked above");
        let t0 = now_ms();
        let mut lines_before = split.lines0.unwrap_or(0);
        let mut wire = 0;
        for (lines, data) in split.parts.into_iter().flatten() {
            wire += data.len();
            if let Err(e) = piece::absorb(&mut self.store, &data, file, lines_before) {
                // Cannot happen with our own helpers; keep the rule "all or nothing".
                job.current = Some(cur);
                let name = self.current_name();
                self.abort_current(
                    scope,
                    format!("Could not read {name}: {e}. It was not loaded."),
                );
                return;
            }
            lines_before += lines;
        }
        web_sys::console::debug_1(
            &format!(
                "audit-lens: merged {} pieces ({:.1} MB encoded) in {:.0} ms",
                split.points.len() - 1,
                wire as f64 / 1e6,
                now_ms() - t0
            )
            .into(),
        );
        // The helpers' pieces may hold more than piece 1 promised: check once more.
        if self.store.len() as u64 > self.max_events {
            if let Some(job) = self.job.as_mut() {
                job.current = Some(cur);
            }
            if self.over_budget(scope) {
                return;
            }
            cur = self
                .job
                .as_mut()
                .and_then(|j| j.current.take())
                .expect("a source is being read");
        }
        self.store.files[file as usize].decoded_bytes = cur.size;
        let job = self.job.as_mut().expect("job is running");
        job.bytes_finished += cur.size;
        job.index += 1;
        self.progress(scope, false);
        self.advance(scope);
    }

    /// Asks for the slice of the current source starting at `start`.
    fn request_slice(&self, scope: &WorkerScope<Self>, start: u64) {
        let Some(cur) = self.job.as_ref().and_then(|j| j.current.as_ref()) else {
            return;
        };
        let Some((a, b)) = next_range(start, cur.end, SLICE) else {
            return;
        };
        let generation = self.generation;
        match (&cur.data, &cur.source) {
            (Some(data), _) => {
                let bytes = Ok(data[a as usize..b as usize].to_vec());
                scope.send_message(Msg::Slice {
                    generation,
                    end: b,
                    bytes,
                });
            }
            (None, Source::File { file, .. }) => {
                let promise = file
                    .blob
                    .slice_with_f64_and_f64(a as f64, b as f64)
                    .map(|p| p.array_buffer());
                let scope = scope.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let bytes = match promise {
                        Ok(p) => JsFuture::from(p)
                            .await
                            .map(|buf| Uint8Array::new(&buf).to_vec()),
                        Err(e) => Err(e),
                    }
                    .map_err(|e| js_error_text(&e));
                    scope.send_message(Msg::Slice {
                        generation,
                        end: b,
                        bytes,
                    });
                });
            }
            (None, Source::Sample) => unreachable!("the sample always has its bytes"),
        }
    }

    /// Handles the slice ending at `end` of the current source.
    fn on_slice(&mut self, scope: &WorkerScope<Self>, end: u64, bytes: Vec<u8>) {
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
                scope.respond(
                    client,
                    Response::Error(format!("{name}: {why}. It was not loaded.")),
                );
            }
            if route == Route::LogNotPolicy {
                let note = format!("{name} is an audit log, not a policy: it was read as a log.");
                job.note = Some(match job.note.take() {
                    Some(n) => format!("{n} {note}"),
                    None => note,
                });
            }
            if matches!(route, Route::Policy | Route::NotPolicy(_)) {
                if matches!(route, Route::NotPolicy(_)) {
                    // Refused above: nothing reaches the policy editor.
                } else if cur.size > MAX_POLICY_BYTES {
                    let msg = format!(
                        "{name} is {} — too large to be an audit policy. Drop it without \"Load policy\" to read it as a log.",
                        crate::util::human_bytes(cur.size)
                    );
                    scope.respond(client, Response::Error(msg));
                } else {
                    self.load_policy(scope, client, &name, &bytes);
                }
                self.skip_current(scope);
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
                    self.skip_current(scope);
                    return;
                }
            }
            let Some(cur) = self.job.as_mut().and_then(|j| j.current.as_mut()) else {
                return;
            };
            cur.ingester = Some(Ingester::new(&mut self.store, cur.source.name(), cur.size));
            // Explore: remember where this file's bytes are (events are re-read on demand).
            let file_index = self.store.files.len() - 1;
            self.store.files[file_index].fingerprint = Some(fp);
            let raw = match (&cur.data, &cur.source) {
                (Some(d), _) => Some(RawSource::Bytes(d.clone())),
                (None, Source::File { file, .. }) => Some(RawSource::Blob(file.blob.clone())),
                (None, Source::Sample) => None,
            };
            self.raw.resize(file_index + 1, None);
            self.raw[file_index] = raw;
        }
        // Start reading the next slice before parsing this one.
        let Some(cur) = self.job.as_ref().and_then(|j| j.current.as_ref()) else {
            return;
        };
        let more = end < cur.end;
        if more {
            self.request_slice(scope, end);
        }
        // Parse in parts, with progress (and the memory check) between them: a 16 MiB
        // slice of gzip is ~200 MB of log, half a second of work.
        let start = end - bytes.len() as u64;
        let mut at = 0usize;
        for part in bytes.chunks(PARSE_PART) {
            let job = self.job.as_mut().expect("job is running");
            let cur = job.current.as_mut().expect("a source is being read");
            cur.ingester
                .as_mut()
                .expect("ingester created above")
                .push(&mut self.store, part);
            at += part.len();
            cur.offset = start + at as u64;
            if self.over_budget(scope) {
                return;
            }
            if at < bytes.len() {
                self.progress(scope, false);
            }
        }
        let job = self.job.as_mut().expect("job is running");
        let cur = job.current.as_mut().expect("a source is being read");
        if !more && cur.split.is_some() {
            // The first piece is read; the store waits for the helpers' pieces.
            let lines = cur.ingester.as_ref().map_or(1, Ingester::line) - 1;
            if let Some(split) = cur.split.as_mut() {
                split.lines0 = Some(lines);
            }
            self.progress(scope, false);
            self.try_merge(scope);
        } else if !more {
            let cur = job.current.take().expect("a source is being read");
            cur.ingester
                .expect("ingester created above")
                .finish(&mut self.store);
            job.bytes_finished += cur.size;
            job.index += 1;
            self.progress(scope, false);
            self.advance(scope);
        } else {
            self.progress(scope, false);
        }
    }

    /// Ends the current source without reading it (a policy, a refused or repeated file).
    fn skip_current(&mut self, scope: &WorkerScope<Self>) {
        let Some(job) = self.job.as_mut() else { return };
        let size = job.current.as_ref().map_or(0, |c| c.size);
        job.bytes_finished += size;
        job.index += 1;
        job.current = None;
        self.advance(scope);
    }

    /// Adds a sentence to the note the job's summary carries.
    fn add_note(&mut self, note: String) {
        if let Some(job) = self.job.as_mut() {
            job.note = Some(match job.note.take() {
                Some(n) => format!("{n} {note}"),
                None => note,
            });
        }
    }

    /// Reads a policy, keeps it when usable, and sends the report.
    fn load_policy(
        &mut self,
        scope: &WorkerScope<Self>,
        client: HandlerId,
        name: &str,
        bytes: &[u8],
    ) {
        let (report, loaded) = policy::check_bytes(name, bytes);
        if loaded.is_some() {
            self.policy = loaded;
            self.policy_text = report.text.clone();
            self.explore.policy_changed();
        }
        scope.respond(client, Response::Policy(report));
    }

    /// Sends a progress message unless one went out less than [`PROGRESS_EVERY_MS`] ago.
    fn progress(&mut self, scope: &WorkerScope<Self>, force: bool) {
        let Some(job) = self.job.as_mut() else { return };
        let now = now_ms();
        if !force && now - job.last_progress_ms < PROGRESS_EVERY_MS {
            return;
        }
        job.last_progress_ms = now;
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
            elapsed_ms: now - job.started_ms,
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
        scope.respond(job.client, Response::Progress(p));
    }

    /// Ends the job: sorts the store by time and sends the summary.
    fn finish_job(&mut self, scope: &WorkerScope<Self>) {
        let Some(mut job) = self.job.take() else {
            return;
        };
        job.phase = Phase::Sorting;
        self.job = Some(job);
        self.progress(scope, true);
        let job = self.job.take().expect("job is running");
        self.store.window = None;
        self.store.finalize();
        let dups = self.store.drop_cross_file_duplicates();
        let mut note = job.note;
        if let Some(d) = duplicates_note(&self.store, &dups) {
            note = Some(note.map_or_else(|| d.clone(), |n| format!("{n} {d}")));
        }
        self.store.shrink_to_fit();
        self.explore.reset();
        self.workbench.invalidate(); // policy workbench
        let summary = summarize(&self.store, now_ms() - job.started_ms, note);
        scope.respond(job.client, Response::Loaded(summary));
        if let Some(fit) = self.pending_fit.take() {
            scope.respond(job.client, Response::WontFit(Box::new(fit)));
        }
    }

    /// The memory check, after each slice and merge: when the job would take the store
    /// past `max_events` (estimated from the events per input byte read so far in this
    /// job, once 1 MiB is read; or plainly, when it got there), stops the job before
    /// memory runs out. The files of this job that are not complete are held back
    /// (`deferred`) and a [`WontFit`] says what could be loaded instead. Returns
    /// whether it stopped.
    fn over_budget(&mut self, scope: &WorkerScope<Self>) -> bool {
        const MIN_SAMPLE: u64 = 1 << 20;
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
        let estimate = if read >= MIN_SAMPLE {
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
            scope,
            format!(
                "Stopped before running out of memory: {names} not loaded. Choose a time window or fewer files."
            ),
        );
        true
    }

    fn current_name(&self) -> String {
        self.job
            .as_ref()
            .and_then(|j| j.current.as_ref())
            .map_or_else(String::new, |c| c.source.name().to_string())
    }

    /// "a.log", "a.log and b.log was/were" ... for the cancel note.
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
    fn abort_current(&mut self, scope: &WorkerScope<Self>, note: String) {
        self.generation += 1;
        self.store.window = None;
        let Some(job) = self.job.take() else { return };
        if let Some(cur) = &job.current {
            if cur.ingester.is_some() || self.store.files.len() > cur.mark_files() {
                self.store.rollback(&cur.mark);
                self.raw.truncate(self.store.files.len());
                self.explore.reset();
                self.workbench.invalidate(); // policy workbench
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
            last_progress_ms: 0.0,
            note: Some(note),
            rows_at_start: job.rows_at_start,
        });
        self.advance(scope);
    }
}

impl Current {
    /// Files in the store when this source started.
    fn mark_files(&self) -> usize {
        self.mark.files()
    }
}

/// As a helper worker: reads one piece of a file and answers with its encoded store
/// (progress about ten times a second before that).
fn ingest_piece(
    scope: &WorkerScope<Engine>,
    id: HandlerId,
    file: FileRef,
    start: u64,
    end: u64,
    window: Option<(i64, i64)>,
) {
    let scope = scope.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let reply = |bytes_done, lines, data: Vec<u8>, error| PieceReply {
            start,
            bytes_done,
            lines,
            data: Uint8Array::from(&data[..]).into(),
            error,
        };
        let mut last = now_ms();
        let progress = |done: u64| {
            let now = now_ms();
            if now - last >= PROGRESS_EVERY_MS {
                last = now;
                scope.respond(id, Response::Piece(reply(done, None, Vec::new(), None)));
            }
        };
        let t0 = now_ms();
        let r = piece::ingest(&file.blob, &file.name, start, end, window, progress).await;
        let msg = match r {
            Ok((part, lines)) => {
                let t1 = now_ms();
                let data = piece::encode(&part);
                drop(part);
                web_sys::console::debug_1(
                    &format!(
                        "audit-lens helper: piece at {start}: read {:.0} ms, encoded {:.1} MB in {:.0} ms",
                        t1 - t0,
                        data.len() as f64 / 1e6,
                        now_ms() - t1
                    )
                    .into(),
                );
                reply(end - start, Some(lines), data, None)
            }
            Err(e) => reply(0, None, Vec::new(), Some(e)),
        };
        scope.respond(id, Response::Piece(msg));
    });
}
