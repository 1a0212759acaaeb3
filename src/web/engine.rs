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
    // ---- actor view and activity feed (issue 12) ----
    activity: activity::Activity,
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
            activity: activity::Activity::default(),
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
                let specs = files.into_iter().map(|f| self.source(f)).collect();
                self.loader.load(id, specs, as_policy, now);
            }
            Request::Resume { files, window } => self.loader.resume(id, &files, window, now),
            Request::SetLimits { max_events } => self.loader.set_limits(max_events),
            Request::LoadSample => self.loader.load_sample(id, now),
            Request::Cancel => self.loader.cancel(id, now),
            Request::Clear => {
                self.loader.clear(id);
                self.sources.clear();
                self.policy = None;
                self.raw.clear();
                self.explore.reset();
                self.workbench.invalidate(); // policy workbench
                self.activity.reset(); // actor view, activity feed
            }
            // ---- Explore view (issue 5): answered only between loads ----
            Request::Query(q) if !self.loader.is_loading() => {
                let r = self
                    .explore
                    .query(self.loader.store(), self.policy.as_ref(), &q);
                let ok = r.error.is_none();
                scope.respond(id, Response::QueryResult(Box::new(r)));
                // The panels follow: the timeline and the table are drawn meanwhile.
                if ok {
                    let tops = self.explore.tops(self.loader.store(), q.top);
                    scope.respond(id, Response::Tops { id: q.id, tops });
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
            Request::Complete {
                id: q,
                text,
                cursor,
            } => {
                let completion = explore::completion(self.loader.store(), &text, cursor);
                scope.respond(id, Response::Completion { id: q, completion });
            }
            Request::Export { id: q, kind } if !self.loader.is_loading() => {
                let e = self.explore.export(self.loader.store(), &self.raw, q, kind);
                scope.respond(id, Response::Exported(e));
            }
            // During a load the page shows progress; it asks again once `Loaded` arrives.
            Request::Query(_)
            | Request::Rows { .. }
            | Request::Event { .. }
            | Request::Export { .. } => {}
            // ---- policy workbench (issue 6) ----
            // The edited policy becomes the current one (Explore's rule column and `rule:`).
            Request::Workbench(req) => {
                let loading = self.loader.is_loading();
                let (report, loaded) = workbench::answer(
                    self.loader.store(),
                    loading,
                    &mut self.workbench,
                    &req,
                    now_ms,
                );
                if let Some(p) = loaded {
                    self.policy = Some(p);
                    self.policy_text = req.text;
                    self.explore.policy_changed();
                }
                scope.respond(id, Response::Workbench(Box::new(report)));
            }
        }
        self.run(scope);
    }
}

impl Engine {
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
            }
            Effect::FilesTruncated { files } => {
                self.raw.truncate(files);
                self.explore.reset();
                self.workbench.invalidate(); // policy workbench
                self.activity.reset(); // actor view, activity feed
            }
            Effect::Finalized => {
                self.explore.reset();
                self.workbench.invalidate(); // policy workbench
                self.activity.reset(); // actor view, activity feed
            }
            Effect::Reply { to, reply } => {
                let r = match reply {
                    Reply::Progress(p) => Response::Progress(p),
                    Reply::Loaded(mut s) => {
                        s.heap_bytes = heap_bytes();
                        Response::Loaded(s)
                    }
                    Reply::WontFit(f) => Response::WontFit(f),
                    Reply::Error(e) => Response::Error(e),
                };
                scope.respond(to, r);
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
