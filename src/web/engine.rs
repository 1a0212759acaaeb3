//! The engine worker: owns the loader (and through it the [`Store`](crate::store::Store))
//! and answers the page's [`Request`]s.
//!
//! A thin imperative shell around [`crate::load::Loader`], the loading state machine:
//! page requests and the answers of earlier effects ([`Msg`]) become loader events, and
//! the loader's [`Effect`]s are carried out here — `Blob` slice reads, the piece-planning
//! probe, helper workers, policy checks, replies. The loader decides everything; this
//! file only does I/O. After every event the shell runs [`Loader::work`] until the slice
//! that arrived is parsed, carrying out effects between parts, so the next slice's read
//! (an effect of the slice event) is in flight while this one is parsed and progress goes
//! out between parts. The Explore and workbench requests are answered here from
//! [`Loader::store`], only between loads.

use crate::audit::policy::LoadedPolicy;
use crate::load::{Config, Effect, Loader, Origin, Reply, SourceId, SourceSpec};
use crate::web::activity;
use crate::web::explore::{self, Explore, RawSource};
use crate::web::findings;
use crate::web::helper::{self, Helper};
use crate::web::piece;
use crate::web::policy;
use crate::web::protocol::{FileRef, Request, Response};
use crate::web::reader::js_error_text;
use crate::web::summary::heap_bytes;
use crate::web::workbench;
use gloo_worker::{HandlerId, Worker, WorkerBridge, WorkerScope};
use js_sys::Uint8Array;
use std::collections::HashMap;
use wasm_bindgen_futures::JsFuture;

/// Answers to effects, which the worker sends itself.
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
    Helper {
        generation: u32,
        reply: helper::HelperReply,
    },
    /// The bytes of the body search's next window (`Ok(None)`: read it here, in a step of
    /// its own, after the event loop had its turn).
    SearchBytes {
        generation: u32,
        bytes: Result<Option<Vec<u8>>, String>,
    },
    /// The same for the findings run's body rules.
    FindingsBytes {
        generation: u32,
        bytes: Result<Option<Vec<u8>>, String>,
    },
    /// A loaded file's identity (issue 16), for the file set of `epoch`.
    FileId {
        epoch: u32,
        file: usize,
        id: Result<crate::case::FileIdentity, String>,
    },
}

/// A body search in progress: one at a time, a new query or a load replaces it.
struct Search {
    to: HandlerId,
    spec: crate::web::protocol::QuerySpec,
    scan: Box<crate::query::bodyscan::Scan>,
    t0: f64,
}

/// The worker.
pub struct Engine {
    loader: Loader<HandlerId>,
    /// The files the loader may still ask for, by the id the loader knows them by.
    sources: HashMap<SourceId, FileRef>,
    next_source: SourceId,
    /// Helper workers reading pieces of the current file (dropping one stops it).
    helpers: Vec<WorkerBridge<Helper>>,
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
    advisor: crate::web::advise::Advisor,
    /// The running body search, and the generation its reads carry.
    search: Option<Search>,
    search_gen: u32,
    // ---- actor view and activity feed (issue 12) ----
    activity: activity::Activity,
    // ---- findings (issue 13) ----
    findings: findings::Findings,
    /// A findings run reading its body rules' candidates, and the generation its reads carry.
    findings_run: Option<(HandlerId, findings::Pending)>,
    findings_gen: u32,
    // ---- view links and case files (issue 16) ----
    /// Per store file: its identity once computed.
    ids: Vec<Option<crate::case::FileIdentity>>,
    /// Bumped whenever the file set shrinks (identities of another set are dropped).
    ids_epoch: u32,
    /// Who to send the identities to (the last load's client).
    ids_to: Option<HandlerId>,
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
        let advisor = crate::web::advise::Advisor::with_attr(explore.shared_attr());
        let cfg = Config {
            pieces: piece::pieces_wanted(),
            ..Config::default()
        };
        Engine {
            loader: Loader::new(cfg),
            sources: HashMap::new(),
            next_source: 0,
            helpers: Vec::new(),
            policy: None,
            policy_text: String::new(),
            raw: Vec::new(),
            explore,
            workbench,
            advisor,
            search: None,
            search_gen: 0,
            activity: activity::Activity::default(),
            findings: {
                let mut f = findings::Findings::default();
                f.warm();
                f
            },
            findings_run: None,
            findings_gen: 0,
            ids: Vec::new(),
            ids_epoch: 0,
            ids_to: None,
        }
    }

    fn update(&mut self, scope: &WorkerScope<Self>, msg: Msg) {
        let now = now_ms();
        match msg {
            Msg::Slice {
                generation,
                end,
                bytes,
            } => self.loader.slice(generation, end, bytes, now),
            Msg::Planned { generation, points } => self.loader.planned(generation, points, now),
            Msg::Helper { generation, reply } => {
                if generation == self.loader.generation() {
                    let start = reply.start();
                    self.loader
                        .helper(generation, start, reply.into_event(), now);
                }
            }
            Msg::FindingsBytes { generation, bytes } => {
                if generation == self.findings_gen {
                    self.findings_window(scope, bytes);
                }
            }
            Msg::FileId { epoch, file, id } => {
                if epoch == self.ids_epoch && file < self.ids.len() {
                    match id {
                        Ok(i) => self.ids[file] = Some(i),
                        Err(e) => web_sys::console::debug_1(&format!("file identity: {e}").into()),
                    }
                    self.send_ids(scope);
                }
            }
            Msg::SearchBytes { generation, bytes } => {
                if generation == self.search_gen && self.search.is_some() {
                    self.search_window(scope, bytes);
                }
            }
        }
        self.run(scope);
    }

    fn received(&mut self, scope: &WorkerScope<Self>, msg: Request, id: HandlerId) {
        let now = now_ms();
        match msg {
            Request::Hello => scope.respond(
                id,
                Response::Ready {
                    version: env!("CARGO_PKG_VERSION").to_string(),
                },
            ),
            Request::Load { files, as_policy } => {
                self.stop_search();
                self.stop_findings();
                let specs = files.into_iter().map(|f| self.source(f)).collect();
                self.loader.load(id, specs, as_policy, now);
            }
            Request::Resume { files, window } => self.loader.resume(id, &files, window, now),
            Request::SetLimits { max_events } => self.loader.set_limits(max_events),
            Request::LoadSample => self.loader.load_sample(id, now),
            Request::Cancel => self.loader.cancel(id, now),
            Request::Clear => {
                self.stop_search();
                self.stop_findings();
                self.loader.clear(id);
                self.sources.clear();
                self.policy = None;
                self.raw.clear();
                self.explore.reset();
                self.workbench.invalidate(); // policy workbench
                self.advisor.invalidate();
                self.activity.reset(); // actor view, activity feed
                self.ids.clear(); // view links and case files
                self.ids_epoch += 1;
            }
            // ---- Explore view (issue 5): answered only between loads ----
            Request::Query(q) if !self.loader.is_loading() => {
                self.stop_search();
                match self
                    .explore
                    .begin_query(self.loader.store(), self.policy.as_ref(), &q)
                {
                    Ok(r) => self.answer_query(scope, id, &q, r),
                    Err(scan) => {
                        self.search = Some(Search {
                            to: id,
                            spec: q,
                            scan,
                            t0: now,
                        });
                        self.search_progress(scope);
                        self.search_read(scope);
                    }
                }
            }
            Request::StopQuery => {
                if let Some(se) = self.search.take() {
                    self.search_gen = self.search_gen.wrapping_add(1);
                    let why = format!(
                        "Body search stopped after {} of {} ({} matches so far) — press Enter to search again.",
                        crate::util::human_bytes(se.scan.done_bytes),
                        crate::util::human_bytes(se.scan.total_bytes),
                        se.scan.matched_so_far
                    );
                    let r = self
                        .explore
                        .search_failed(self.loader.store(), &se.spec, &why, se.t0);
                    scope.respond(se.to, Response::QueryResult(Box::new(r)));
                }
            }
            Request::Rows {
                id: q,
                offset,
                limit,
            } if !self.loader.is_loading() => {
                let page = self.explore.rows(self.loader.store(), q, offset, limit);
                scope.respond(id, Response::Rows(page));
            }
            Request::Event { id: q, row } if !self.loader.is_loading() => {
                let policy = self.policy.as_ref().map(|p| (p, self.policy_text.as_str()));
                let d = self
                    .explore
                    .event(self.loader.store(), &self.raw, policy, q, row);
                scope.respond(id, Response::Event(Box::new(d)));
                // What happened next follows (the JSON is shown meanwhile).
                let next = activity::next(self.loader.store(), q, row);
                scope.respond(id, Response::Next(Box::new(next)));
            }
            // ---- actor view and activity feed (issue 12): between loads ----
            Request::Actor {
                id: q,
                actor,
                gap_us,
            } if !self.loader.is_loading() => {
                let a = activity::actor(self.loader.store(), q, &actor, gap_us, now_ms);
                scope.respond(id, Response::Actor(Box::new(a)));
            }
            // ---- findings (issue 13): between loads ----
            Request::Findings { id: q, rules } if !self.loader.is_loading() => {
                self.stop_findings();
                if let Some(r) = rules {
                    self.findings.set_rules(r);
                }
                match self.findings.begin(self.loader.store(), q, now) {
                    Ok(a) => scope.respond(id, Response::Findings(Box::new(a))),
                    Err(p) => {
                        self.findings_run = Some((id, p));
                        self.findings_read(scope);
                    }
                }
            }
            Request::Feed(spec) if !self.loader.is_loading() => {
                let p = self.activity.feed(self.loader.store(), &spec, now_ms);
                scope.respond(id, Response::Feed(Box::new(p)));
            }
            Request::FeedBurst {
                id: q,
                line,
                offset,
                limit,
            } if !self.loader.is_loading() => {
                let lines = self
                    .activity
                    .burst(self.loader.store(), line, offset, limit);
                scope.respond(
                    id,
                    Response::FeedBurst {
                        id: q,
                        line,
                        offset,
                        lines,
                    },
                );
            }
            Request::Actor { .. } | Request::Feed(_) | Request::FeedBurst { .. } => {}
            Request::Findings { .. } => {}
            Request::Complete {
                id: q,
                text,
                cursor,
            } => {
                let completion =
                    self.explore
                        .complete(self.loader.store(), &self.raw, &text, cursor);
                scope.respond(id, Response::Completion { id: q, completion });
            }
            Request::Export { id: q, kind } if !self.loader.is_loading() => {
                let e = self.explore.export(self.loader.store(), &self.raw, q, kind);
                scope.respond(id, Response::Exported(e));
            }
            Request::ExportEvents { id: q, spec } if !self.loader.is_loading() => {
                let e = self
                    .explore
                    .export_spec(self.loader.store(), &self.raw, q, &spec);
                scope.respond(id, Response::Exported(e));
            }
            Request::History { id: q, row } if !self.loader.is_loading() => {
                let names = self.explore.name_index(self.loader.store());
                let h = history_reply(self.loader.store(), &self.raw, &names, q, row);
                scope.respond(id, Response::History(Box::new(h)));
            }
            // During a load the page shows progress; it asks again once `Loaded` arrives.
            Request::Query(_)
            | Request::Rows { .. }
            | Request::Event { .. }
            | Request::History { .. }
            | Request::Export { .. }
            | Request::ExportEvents { .. } => {}
            // ---- policy workbench (issue 6) ----
            // The edited policy becomes the current one (Explore's rule column and `rule:`).
            Request::Workbench(req) => {
                let loading = self.loader.is_loading();
                let (mut report, loaded) = workbench::answer(
                    self.loader.store(),
                    loading,
                    &mut self.workbench,
                    &req,
                    now_ms,
                );
                // What it would blind of the detection pack and of this log's findings.
                if let Some(p) = &loaded {
                    let t = now_ms();
                    report.blind = Some(self.findings.blind(self.loader.store(), p));
                    report.elapsed_ms += now_ms() - t;
                }
                if let Some(p) = loaded {
                    self.policy = Some(p);
                    self.policy_text = req.text;
                    self.explore.policy_changed();
                }
                scope.respond(id, Response::Workbench(Box::new(report)));
            }
            // ---- compare two periods (issue 16 §5) ----
            Request::ComparePeriods(spec) => {
                let t = now_ms();
                let mut a = if self.loader.is_loading() {
                    crate::analysis::periods::PeriodsAnswer {
                        id: spec.id,
                        filter: spec.filter.clone(),
                        report: None,
                        error: Some("Files are loading: compare once they are in.".into()),
                        elapsed_ms: 0.0,
                    }
                } else {
                    let s = self.loader.store();
                    // The Explore view's evaluation of the policy, or a fresh one.
                    let own = match (self.explore.evaluation(), &self.policy) {
                        (None, Some(p)) => Some(crate::analysis::evaluate::evaluate(
                            s,
                            &self.explore.shared_attr().get(s),
                            &p.compiled,
                        )),
                        _ => None,
                    };
                    let ev = self.explore.evaluation().or(own.as_ref());
                    crate::analysis::periods::answer(s, ev, &spec)
                };
                a.elapsed_ms = now_ms() - t;
                scope.respond(id, Response::Periods(Box::new(a)));
            }
            // ---- volume advisor (issue 14) ----
            // ---- view links and case files (issue 16) ----
            Request::FindEvent {
                id: q,
                audit_id,
                stage,
            } => {
                let s = self.loader.store();
                let want = crate::audit::Stage::parse(&stage).map(|x| x as u8);
                let row = if self.loader.is_loading() {
                    None
                } else {
                    (0..s.len())
                        .find(|&r| Some(s.stage_byte(r)) == want && s.audit_id(r) == audit_id)
                        .map(|r| r as u32)
                };
                let index = row.and_then(|r| self.explore.table_index(r));
                scope.respond(id, Response::Found { id: q, row, index });
            }
            Request::Advise(req) => {
                let a = self.advisor.answer(
                    self.loader.store(),
                    self.loader.is_loading(),
                    &req,
                    self.findings.last(),
                    now_ms,
                );
                scope.respond(id, Response::Advice(Box::new(a)));
            }
        }
        self.run(scope);
    }
}

impl Engine {
    /// Computes the identity of store file `file` (issue 16): from the sample's bytes at
    /// once, from a `File` by two small reads (its first and last MiB).
    fn identify(&mut self, scope: &WorkerScope<Self>, file: usize) {
        if self.ids.len() <= file {
            self.ids.resize(file + 1, None);
        }
        let name = self
            .loader
            .store()
            .files
            .get(file)
            .map(|f| f.name.clone())
            .unwrap_or_default();
        let epoch = self.ids_epoch;
        match self.raw.get(file).cloned().flatten() {
            Some(RawSource::Bytes(d)) => {
                self.ids[file] = Some(crate::case::ident::of_bytes(&name, &d));
            }
            Some(RawSource::Blob(blob)) => {
                let scope = scope.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let id = crate::web::reader::identity(&blob, &name).await;
                    scope.send_message(Msg::FileId { epoch, file, id });
                });
            }
            _ => {}
        }
    }

    /// Sends the identities once every loaded file has one (after a `Loaded`).
    fn send_ids(&self, scope: &WorkerScope<Self>) {
        let Some(to) = self.ids_to else { return };
        if self.loader.is_loading() {
            return;
        }
        let n = self
            .loader
            .store()
            .files
            .len()
            .min(self.ids.len().max(self.raw.len()));
        let ids: Option<Vec<_>> = (0..n)
            .filter(|&i| self.raw.get(i).is_some_and(|r| r.is_some()))
            .map(|i| self.ids.get(i).cloned().flatten())
            .collect();
        if let Some(ids) = ids {
            scope.respond(to, Response::FileIds(ids));
        }
    }

    /// Sends a query's answer, then its top-N tables (the timeline and the table are
    /// drawn meanwhile).
    fn answer_query(
        &mut self,
        scope: &WorkerScope<Self>,
        id: HandlerId,
        q: &crate::web::protocol::QuerySpec,
        r: crate::web::protocol::QueryResult,
    ) {
        let ok = r.error.is_none();
        scope.respond(id, Response::QueryResult(Box::new(r)));
        if ok {
            let tops = self.explore.tops(self.loader.store(), q.top);
            scope.respond(id, Response::Tops { id: q.id, tops });
        }
    }

    /// Forgets the running body search (its reads in flight are ignored when they land).
    fn stop_search(&mut self) {
        self.search = None;
        self.search_gen = self.search_gen.wrapping_add(1);
    }

    fn search_progress(&self, scope: &WorkerScope<Self>) {
        if let Some(se) = &self.search {
            scope.respond(
                se.to,
                Response::QueryProgress {
                    id: se.spec.id,
                    done_bytes: se.scan.done_bytes,
                    total_bytes: se.scan.total_bytes,
                    candidates: se.scan.candidates.len() as u64,
                    matched: se.scan.matched_so_far,
                },
            );
        }
    }

    /// Starts reading the search's next window, or answers the query when none is left.
    /// A plain `File` window is read asynchronously; the sample's bytes and gzip files
    /// (one decompression pass) are read in a step of their own after a turn of the event
    /// loop, so a Stop always gets in between windows.
    fn search_read(&mut self, scope: &WorkerScope<Self>) {
        let Some(se) = &self.search else {
            return;
        };
        let Some(w) = se.scan.next_window().cloned() else {
            let se = self.search.take().expect("checked above");
            let matched = se.scan.matched();
            let r = self
                .explore
                .finish_query(self.loader.store(), &se.spec, Some(matched), se.t0);
            self.answer_query(scope, se.to, &se.spec, r);
            return;
        };
        let generation = self.search_gen;
        self.spawn_window_read(scope, &w, move |bytes| Msg::SearchBytes {
            generation,
            bytes,
        });
    }

    /// A window's bytes arrived (or are to be read here): decide its events, go on.
    fn search_window(&mut self, scope: &WorkerScope<Self>, bytes: Result<Option<Vec<u8>>, String>) {
        let store = self.loader.store();
        let Some(se) = self.search.as_mut() else {
            return;
        };
        let Some(w) = se.scan.next_window().cloned() else {
            return;
        };
        if let Err(e) = decide_window(store, &self.raw, &mut se.scan, &w, bytes) {
            let se = self.search.take().expect("checked above");
            self.search_gen = self.search_gen.wrapping_add(1);
            let name = store
                .files
                .get(w.file as usize)
                .map_or("?", |f| f.name.as_str());
            let r = self.explore.search_failed(
                store,
                &se.spec,
                &format!("Body search could not read {name}: {e}"),
                se.t0,
            );
            scope.respond(se.to, Response::QueryResult(Box::new(r)));
            return;
        }
        self.search_progress(scope);
        self.search_read(scope);
    }

    /// Forgets the running findings run (its reads in flight are ignored when they land).
    fn stop_findings(&mut self) {
        self.findings.reset_last();
        self.findings_run = None;
        self.findings_gen = self.findings_gen.wrapping_add(1);
    }

    /// Starts reading the findings run's next window, or answers when none is left.
    fn findings_read(&mut self, scope: &WorkerScope<Self>) {
        let Some((_, p)) = &self.findings_run else {
            return;
        };
        let Some(w) = p.scan.next_window().cloned() else {
            let (to, p) = self.findings_run.take().expect("checked above");
            let a = self
                .findings
                .finish(self.loader.store(), p.scan.into_judge(), p.id, p.t0);
            scope.respond(to, Response::Findings(Box::new(a)));
            return;
        };
        let generation = self.findings_gen;
        self.spawn_window_read(scope, &w, move |bytes| Msg::FindingsBytes {
            generation,
            bytes,
        });
    }

    /// A findings window's bytes arrived (or are to be read here): judge its events, go on.
    fn findings_window(
        &mut self,
        scope: &WorkerScope<Self>,
        bytes: Result<Option<Vec<u8>>, String>,
    ) {
        let store = self.loader.store();
        let Some((_, p)) = self.findings_run.as_mut() else {
            return;
        };
        let Some(w) = p.scan.next_window().cloned() else {
            return;
        };
        if let Err(e) = decide_window(store, &self.raw, &mut p.scan, &w, bytes) {
            let (to, p) = self.findings_run.take().expect("checked above");
            self.findings_gen = self.findings_gen.wrapping_add(1);
            let name = store
                .files
                .get(w.file as usize)
                .map_or("?", |f| f.name.as_str());
            let why = format!("The rules that read bodies could not read {name}: {e}");
            let a = self
                .findings
                .failed(store, p.scan.into_judge(), p.id, p.t0, why);
            scope.respond(to, Response::Findings(Box::new(a)));
            return;
        }
        self.findings_read(scope);
    }

    /// Reads window `w` of a body scan: a plain `File` window asynchronously; the sample's
    /// bytes and gzip files (one decompression pass) in a step of their own after a turn
    /// of the event loop (`Ok(None)`), so other requests always get in between windows.
    fn spawn_window_read(
        &self,
        scope: &WorkerScope<Self>,
        w: &crate::query::bodyscan::Window,
        msg: impl FnOnce(Result<Option<Vec<u8>>, String>) -> Msg + 'static,
    ) {
        let blob = match self.raw.get(w.file as usize).and_then(Option::as_ref) {
            Some(RawSource::Blob(b)) if !w.gzip => Some(b.clone()),
            _ => None,
        };
        let (start, end) = (w.start, w.end);
        let scope = scope.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let bytes = match blob {
                Some(b) => crate::web::reader::read_slice(&b, start, end)
                    .await
                    .map(Some),
                None => {
                    crate::web::reader::next_turn().await;
                    Ok(None)
                }
            };
            scope.send_message(msg(bytes));
        });
    }

    /// Gives `file` an id the loader can name it by.
    fn source(&mut self, file: FileRef) -> SourceSpec {
        let id = self.next_source;
        self.next_source += 1;
        let spec = SourceSpec {
            id,
            name: file.name.clone(),
            size: file.size,
        };
        self.sources.insert(id, file);
        spec
    }

    /// Carries out the loader's effects, parsing what arrived part by part in between.
    fn run(&mut self, scope: &WorkerScope<Self>) {
        loop {
            for e in self.loader.take_effects() {
                self.effect(scope, e);
            }
            if !self.loader.has_work() {
                break;
            }
            self.loader.work(now_ms());
        }
        if !self.loader.is_loading() {
            let live = self.loader.live_sources();
            self.sources.retain(|id, _| live.contains(id));
        }
    }

    fn effect(&mut self, scope: &WorkerScope<Self>, e: Effect<HandlerId>) {
        match e {
            Effect::Read {
                generation,
                origin,
                start,
                end,
            } => self.read(scope, generation, origin, start, end),
            Effect::Plan {
                generation,
                source,
                size,
                pieces,
            } => {
                let blob = self.sources.get(&source).map(|f| f.blob.clone());
                let scope = scope.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let points = match (blob, helper::helper_url()) {
                        (Some(blob), Some(_)) => piece::plan(&blob, size, pieces).await,
                        _ => None,
                    };
                    scope.send_message(Msg::Planned { generation, points });
                });
            }
            Effect::SpawnHelpers {
                generation,
                source,
                name: _,
                window,
                ranges,
            } => {
                let (Some(file), Some(url)) = (self.sources.get(&source), helper::helper_url())
                else {
                    for (start, _) in ranges {
                        let reply = helper::HelperReply::Failed {
                            start,
                            error: "no helper could be started".into(),
                        };
                        scope.send_message(Msg::Helper { generation, reply });
                    }
                    return;
                };
                for (start, end) in ranges {
                    let me = scope.clone();
                    let bridge = helper::spawn(&url, move |reply| {
                        me.send_message(Msg::Helper { generation, reply })
                    });
                    bridge.send(helper::HelperRequest::Ingest {
                        file: file.clone(),
                        start,
                        end,
                        window,
                    });
                    self.helpers.push(bridge);
                }
            }
            Effect::DropHelpers => self.helpers.clear(),
            Effect::Policy { to, name, bytes } => {
                let (report, loaded) = policy::check_bytes(&name, &bytes);
                if loaded.is_some() {
                    self.policy = loaded;
                    self.policy_text = report.text.clone();
                    self.explore.policy_changed();
                }
                scope.respond(to, Response::Policy(report));
            }
            Effect::FileAdded { file, origin } => {
                let file = file as usize;
                let raw = match origin {
                    Origin::Bytes(d) => Some(RawSource::Bytes(d)),
                    Origin::Source(id) => self
                        .sources
                        .get(&id)
                        .map(|f| RawSource::Blob(f.blob.clone())),
                };
                if self.raw.len() <= file {
                    self.raw.resize(file + 1, None);
                }
                self.raw[file] = raw;
                self.identify(scope, file); // view links and case files (issue 16)
            }
            Effect::FilesTruncated { files } => {
                self.raw.truncate(files);
                self.ids.truncate(files); // view links and case files (issue 16)
                self.ids_epoch += 1;
                self.explore.reset();
                self.workbench.invalidate(); // policy workbench
                self.advisor.invalidate();
                self.activity.reset(); // actor view, activity feed
            }
            Effect::Finalized => {
                self.explore.reset();
                self.workbench.invalidate(); // policy workbench
                self.advisor.invalidate();
                self.activity.reset(); // actor view, activity feed
            }
            Effect::Reply { to, reply } => {
                let r = match reply {
                    Reply::Progress(p) => Response::Progress(p),
                    Reply::Loaded(mut s) => {
                        s.heap_bytes = heap_bytes();
                        self.ids_to = Some(to);
                        Response::Loaded(s)
                    }
                    Reply::WontFit(f) => Response::WontFit(f),
                    Reply::Error(e) => Response::Error(e),
                };
                let loaded = matches!(r, Response::Loaded(_));
                scope.respond(to, r);
                if loaded {
                    self.send_ids(scope); // view links and case files (issue 16)
                }
            }
            Effect::Debug(line) => web_sys::console::debug_1(&line.into()),
        }
    }

    /// Reads `[start, end)` of `origin` and sends the bytes back as a [`Msg::Slice`].
    fn read(
        &self,
        scope: &WorkerScope<Self>,
        generation: u32,
        origin: Origin,
        start: u64,
        end: u64,
    ) {
        let blob = match origin {
            Origin::Bytes(data) => {
                let bytes = data
                    .get(start as usize..end as usize)
                    .map(<[u8]>::to_vec)
                    .ok_or_else(|| "out of range".to_string());
                scope.send_message(Msg::Slice {
                    generation,
                    end,
                    bytes,
                });
                return;
            }
            Origin::Source(id) => self.sources.get(&id).map(|f| f.blob.clone()),
        };
        let promise = blob
            .ok_or_else(|| "the file is no longer known to the worker".to_string())
            .and_then(|b| {
                b.slice_with_f64_and_f64(start as f64, end as f64)
                    .map(|p| p.array_buffer())
                    .map_err(|e| js_error_text(&e))
            });
        let scope = scope.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let bytes = match promise {
                Ok(p) => JsFuture::from(p)
                    .await
                    .map(|buf| Uint8Array::new(&buf).to_vec())
                    .map_err(|e| js_error_text(&e)),
                Err(e) => Err(e),
            };
            scope.send_message(Msg::Slice {
                generation,
                end,
                bytes,
            });
        });
    }
}

/// Events of one object read for its history in the page: the latest ones when it has more
/// (a lease renewed every two seconds has 43,200 a day). Keeps opening it, painting
/// included, near the 100 ms budget (tests/e2e/measure-history.mjs).
const HISTORY_MAX_EVENTS: usize = 160;
/// Lists of the object's resource searched for it in the page (the latest ones).
const HISTORY_MAX_LISTS: usize = 12;
/// … and when the object's own events carry bodies.
const HISTORY_FEW_LISTS: usize = 3;

/// The event texts of `rows` that carry bodies ([`crate::analysis::history::wants_text`]),
/// read with few reads: per file, the records sorted by offset and read in spans of
/// neighbouring records (a gap under 1 MiB, a span under 32 MiB) instead of one Blob read
/// per event; a gzip file in one pass ([`explore::read_gzip_ranges`]). Returns the texts
/// and how many could not be read.
/// Decides window `w` of a body scan: on the bytes read (`Ok(Some)`), or reading them
/// here (`Ok(None)`: the sample, a gzip file), or the read's error.
fn decide_window<J: crate::query::bodyscan::Judge>(
    store: &crate::store::Store,
    raw: &[Option<RawSource>],
    scan: &mut crate::query::bodyscan::Scan<J>,
    w: &crate::query::bodyscan::Window,
    bytes: Result<Option<Vec<u8>>, String>,
) -> Result<(), String> {
    match bytes {
        Ok(Some(buf)) => {
            scan.window_done(store, &|_, off, len| {
                crate::query::bodyscan::Scan::slice_of(w, &buf, off, len)
            });
            Ok(())
        }
        Ok(None) => explore::window_step(store, raw, scan, w),
        Err(e) => Err(e),
    }
}

fn history_texts(
    s: &crate::store::Store,
    raw: &[Option<RawSource>],
    rows: &[u32],
) -> (Vec<Option<String>>, usize) {
    use crate::analysis::history::wants_text;
    use crate::ingest::record::EventExtractor;
    const GAP: u64 = 1 << 20;
    const SPAN: u64 = 32 << 20;
    let mut texts: Vec<Option<String>> = vec![None; rows.len()];
    let mut failed = 0usize;
    // (file, offset, len, index into rows)
    let mut want: Vec<(u32, u64, u32, usize)> = rows
        .iter()
        .enumerate()
        .filter(|(_, &r)| wants_text(s, r))
        .map(|(i, &r)| {
            let (off, len) = s.record_range(r as usize);
            (s.file(r as usize), off, len, i)
        })
        .collect();
    want.sort_unstable();
    let mut ex = EventExtractor::default();
    // False when the record does not give its event back.
    let mut put = |ex: &mut EventExtractor, f: u32, off: u64, rec: &[u8], i: usize| -> bool {
        let r = rows[i] as usize;
        match ex.event((f, off), rec, s.wrap_item(r)) {
            Ok(e) => {
                texts[i] = Some(e.text);
                true
            }
            Err(_) => false,
        }
    };
    let mut k = 0;
    while k < want.len() {
        let f = want[k].0;
        let end_k = k + want[k..].iter().take_while(|w| w.0 == f).count();
        let group = &want[k..end_k];
        k = end_k;
        let src = raw.get(f as usize).and_then(Option::as_ref);
        let gzip = s.files.get(f as usize).is_some_and(|x| x.gzip);
        match src {
            None => failed += group.len(),
            Some(src) if gzip => {
                let ranges: Vec<(u64, u32)> = group.iter().map(|w| (w.1, w.2)).collect();
                match explore::read_gzip_ranges(src, &ranges) {
                    Ok(recs) => {
                        for (w, rec) in group.iter().zip(&recs) {
                            failed += !put(&mut ex, f, w.1, rec, w.3) as usize;
                        }
                    }
                    Err(_) => failed += group.len(),
                }
            }
            Some(RawSource::Bytes(b)) => {
                for w in group {
                    let end = (w.1 + w.2 as u64).min(b.len() as u64) as usize;
                    let rec = &b[(w.1 as usize).min(end)..end];
                    failed += !put(&mut ex, f, w.1, rec, w.3) as usize;
                }
            }
            Some(RawSource::Blob(blob)) => {
                let mut j = 0;
                while j < group.len() {
                    let start = group[j].1;
                    let mut end = start + group[j].2 as u64;
                    let mut n = 1;
                    while j + n < group.len() {
                        let w = group[j + n];
                        let e = w.1 + w.2 as u64;
                        if w.1 > end + GAP || e.max(end) - start > SPAN {
                            break;
                        }
                        end = end.max(e);
                        n += 1;
                    }
                    match crate::web::reader::read_slice_sync(blob, start, end) {
                        Ok(bytes) => {
                            for w in &group[j..j + n] {
                                let a = (w.1 - start) as usize;
                                let b = (a + w.2 as usize).min(bytes.len());
                                failed += !put(&mut ex, f, w.1, &bytes[a.min(b)..b], w.3) as usize;
                            }
                        }
                        Err(_) => failed += n,
                    }
                    j += n;
                }
            }
        }
    }
    (texts, failed)
}

/// The history of the object of store row `row` (issue 12 §5), its bodies read back from
/// the files.
fn history_reply(
    s: &crate::store::Store,
    raw: &[Option<RawSource>],
    names: &crate::analysis::history::NameIndex,
    id: u32,
    row: u32,
) -> crate::web::protocol::HistoryReply {
    use crate::analysis::history::{self, ObjectRef};
    let t0 = js_sys::Date::now();
    let mut reply = crate::web::protocol::HistoryReply {
        id,
        row,
        history: None,
        error: None,
        events: 0,
        ms: 0.0,
        phases: String::new(),
    };
    let Some(obj) = ObjectRef::of_row(s, row as usize) else {
        reply.error = Some("This event names no object (no resource or no name).".into());
        return reply;
    };
    // The object's own events (the latest ones), and the lists that may hold it (the
    // latest few: a list body is large to parse, and lists are many).
    let (mut named, mut lists): (Vec<u32>, Vec<u32>) = history::rows_with(s, &obj, Some(names))
        .into_iter()
        .partition(|&r| !s.str(crate::store::Dim::Name, r as usize).is_empty());
    reply.events = named.len() as u32;
    let cut = named.len().saturating_sub(HISTORY_MAX_EVENTS);
    named.drain(..cut);
    let all_lists = lists.len();
    // Lists are read for an object whose own events carry no body; when they do, a few
    // lists are enough (a list of pods is large to read and parse).
    let own_bodies = named
        .iter()
        .any(|&r| s.response_object_size(r as usize) > 0 || s.request_object_size(r as usize) > 0);
    let max_lists = if own_bodies {
        HISTORY_FEW_LISTS
    } else {
        HISTORY_MAX_LISTS
    };
    let list_cut = lists.len().saturating_sub(max_lists);
    lists.drain(..list_cut);
    let mut rows = named;
    rows.extend(lists);
    rows.sort_unstable();
    let t_rows = js_sys::Date::now();
    let (texts, failed) = history_texts(s, raw, &rows);
    let t_read = js_sys::Date::now();
    let mut h = history::build(s, &obj, &rows, &texts);
    let t_build = js_sys::Date::now();
    reply.phases = format!(
        "rows {:.0} ms · read {:.0} ms · build {:.0} ms",
        t_rows - t0,
        t_read - t_rows,
        t_build - t_read
    );
    if cut > 0 {
        h.notes.insert(
            0,
            format!(
                "The object has {} events; this history shows the latest {} of them.",
                reply.events, HISTORY_MAX_EVENTS
            ),
        );
    }
    if list_cut > 0 {
        h.notes.push(format!(
            "Of the {all_lists} lists of its resource with a response body, the latest \
             {max_lists} were searched for it (audit-lens history searches them all)."
        ));
    }
    if failed > 0 {
        h.notes.push(format!(
            "{failed} of its events could not be read back from their file."
        ));
    }
    reply.history = Some(h);
    reply.ms = js_sys::Date::now() - t0;
    reply
}
