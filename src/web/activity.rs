//! The worker's side of the Actor view and the Activity feed (issue 12): answers from
//! `analysis::actor` and `analysis::feed`, and the feed kept between pages (it is built
//! once per set of options; a page makes only its own sentences).

use crate::analysis::actor::{self, Actor};
use crate::analysis::feed::{Feed, FeedLine};
use crate::store::Store;
use crate::web::protocol::{ActorAnswer, FeedPage, FeedSpec, NextAnswer};

/// Longest list the actor view is sent (objects, failure groups, addresses).
pub const ACTOR_LIST: usize = 60;
/// Requests "what happened next" shows per list.
pub const NEXT_N: usize = 8;
/// Most lines of one feed page or burst page.
pub const MAX_PAGE: u32 = 1000;

/// What the feed keeps between requests.
#[derive(Default)]
pub struct Activity {
    feed: Option<Feed>,
}

impl Activity {
    /// Forgets the feed (the store changed).
    pub fn reset(&mut self) {
        self.feed = None;
    }

    /// A page of the feed, built first when the options changed.
    pub fn feed(&mut self, s: &Store, spec: &FeedSpec, now_ms: fn() -> f64) -> FeedPage {
        let t0 = now_ms();
        if self.feed.as_ref().is_none_or(|f| f.options != spec.options) {
            self.feed = None; // free the old one first
            self.feed = Some(Feed::build(s, spec.options));
        }
        let f = self.feed.as_ref().expect("built above");
        let lines = f.page(s, spec.offset as usize, spec.limit.min(MAX_PAGE) as usize);
        FeedPage {
            id: spec.id,
            options: spec.options,
            offset: spec.offset,
            counts: f.counts.clone(),
            lines,
            elapsed_ms: now_ms() - t0,
        }
    }

    /// The members of the burst at `line` of the current feed.
    pub fn burst(&self, s: &Store, line: u32, offset: u32, limit: u32) -> Vec<FeedLine> {
        self.feed.as_ref().map_or_else(Vec::new, |f| {
            f.members(
                s,
                line as usize,
                offset as usize,
                limit.min(MAX_PAGE) as usize,
            )
        })
    }
}

/// The actor view's answer.
pub fn actor(s: &Store, id: u32, asked: &str, gap_us: i64, now_ms: fn() -> f64) -> ActorAnswer {
    let t0 = now_ms();
    let (report, error) = match Actor::parse(asked) {
        Ok(a) => (Some(actor::report(s, &a, gap_us, ACTOR_LIST)), None),
        Err(e) => (None, Some(e)),
    };
    ActorAnswer {
        id,
        asked: asked.to_string(),
        report,
        error,
        elapsed_ms: now_ms() - t0,
    }
}

/// What happened after the event at `row` (answering the event request `id`).
pub fn next(s: &Store, id: u32, row: u32) -> NextAnswer {
    NextAnswer {
        id,
        next: actor::next(s, row as usize, NEXT_N),
    }
}
