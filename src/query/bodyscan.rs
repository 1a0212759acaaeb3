//! A body search as steps: the candidates of a filter with body predicates (the rows its
//! metadata terms select) are grouped into windows of their files, each window read once
//! (in the page: one `Blob` slice, asynchronously, so the worker stays responsive and the
//! search can be cancelled between windows) and its events decided on their bytes.
//!
//! Pure: the caller reads the bytes a [`Window`] names and hands them to
//! [`Scan::window_done`]. Invariants: every candidate belongs to exactly one window;
//! windows of a plain file are byte ranges no longer than `max_window` (unless one record
//! is longer), in file order; a gzip file is one window whose records are read in one
//! decompression pass (`ranges`), since re-decompressing per window would be quadratic.

use super::Filter;
use crate::ingest::record::EventExtractor;
use crate::store::Store;

/// What to read for one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    pub file: u32,
    /// Plain file: the bytes `[start, end)` hold every record of `items`.
    pub start: u64,
    pub end: u64,
    /// Gzip file: read these `(offset, len)` ranges of the decompressed stream (one per
    /// item, sorted) instead of `[start, end)`.
    pub gzip: bool,
    /// Indexes into the scan's candidates, in file order.
    pub items: Vec<u32>,
}

impl Window {
    /// Bytes this window reads (decompressed bytes for gzip).
    pub fn bytes(&self, s: &Store, cands: &[u32]) -> u64 {
        if self.gzip {
            self.items
                .iter()
                .map(|&i| s.record_range(cands[i as usize] as usize).1 as u64)
                .sum()
        } else {
            self.end - self.start
        }
    }
}

/// Groups `rows` (of `s`) into the windows of their files that read them: file order,
/// plain windows at most `max_window` bytes (unless one record is longer), a gzip file one
/// window. `Window::items` index into `rows`.
pub fn plan(s: &Store, rows: &[u32], max_window: u64, gzip: &dyn Fn(u32) -> bool) -> Vec<Window> {
    // File order: (file, record offset), each record once per candidate.
    let mut order: Vec<u32> = (0..rows.len() as u32).collect();
    order.sort_by_key(|&i| {
        let r = rows[i as usize] as usize;
        (s.file(r), s.record_range(r).0)
    });
    let mut windows: Vec<Window> = Vec::new();
    for i in order {
        let r = rows[i as usize] as usize;
        let f = s.file(r);
        let (off, len) = s.record_range(r);
        let end = off + len as u64;
        let z = gzip(f);
        match windows.last_mut() {
            Some(w) if w.file == f && (z || end.max(w.end) - w.start <= max_window) => {
                w.end = w.end.max(end);
                w.items.push(i);
            }
            _ => windows.push(Window {
                file: f,
                start: off,
                end,
                gzip: z,
                items: vec![i],
            }),
        }
    }
    windows
}

/// What decides a candidate on its event's bytes: a filter's body predicates, or a
/// detection run's body rules (`detect::Run`).
pub trait Judge {
    /// Whether store row `row` matches, given its event's JSON bytes.
    fn judge(&mut self, row: u32, event: &[u8]) -> bool;
}

impl Judge for Filter {
    fn judge(&mut self, _row: u32, event: &[u8]) -> bool {
        self.matches_body(event)
    }
}

/// A body search in progress.
pub struct Scan<J: Judge = Filter> {
    pub filter: J,
    /// The metadata pass's rows, time order.
    pub candidates: Vec<u32>,
    pub windows: Vec<Window>,
    hits: Vec<bool>,
    next: usize,
    pub done_bytes: u64,
    pub total_bytes: u64,
    pub matched_so_far: u64,
    extractor: EventExtractor,
}

/// Window size of a plain file read (one `Blob` slice).
pub const WINDOW_BYTES: u64 = 16 << 20;

impl<J: Judge> Scan<J> {
    /// Plans the search of `candidates` (rows of `s`, time order) for `filter`'s body
    /// predicates; `gzip(file)` tells compressed files.
    pub fn new(
        s: &Store,
        filter: J,
        candidates: Vec<u32>,
        max_window: u64,
        gzip: &dyn Fn(u32) -> bool,
    ) -> Scan<J> {
        let windows = plan(s, &candidates, max_window, gzip);
        let total_bytes = windows.iter().map(|w| w.bytes(s, &candidates)).sum();
        Scan {
            filter,
            hits: vec![false; candidates.len()],
            candidates,
            windows,
            next: 0,
            done_bytes: 0,
            total_bytes,
            matched_so_far: 0,
            extractor: EventExtractor::default(),
        }
    }

    /// The window to read next, or `None` when the search is complete.
    pub fn next_window(&self) -> Option<&Window> {
        self.windows.get(self.next)
    }

    /// The gzip ranges of the next window (its items' records, sorted by offset).
    pub fn gzip_ranges(&self, s: &Store) -> Vec<(u64, u32)> {
        self.next_window().map_or_else(Vec::new, |w| {
            w.items
                .iter()
                .map(|&i| s.record_range(self.candidates[i as usize] as usize))
                .collect()
        })
    }

    /// Decides the next window's events. `bytes(item_pos)` gives the record bytes of the
    /// window's `item_pos`-th item: for a plain window a slice of the bytes read, for gzip
    /// the range read for it. An event whose bytes are short or unreadable does not match
    /// (its file changed since it was loaded).
    pub fn window_done<'b>(
        &mut self,
        s: &Store,
        bytes: &dyn Fn(usize, u64, u32) -> Option<&'b [u8]>,
    ) {
        let Some(w) = self.windows.get(self.next) else {
            return;
        };
        for (k, &i) in w.items.iter().enumerate() {
            let r = self.candidates[i as usize] as usize;
            let (off, len) = s.record_range(r);
            let Some(rec) = bytes(k, off, len) else {
                continue;
            };
            let hit = match s.wrap_item(r) {
                None => self.filter.judge(r as u32, rec),
                item => match self.extractor.event((w.file, off), rec, item) {
                    Ok(e) => self.filter.judge(r as u32, e.text.as_bytes()),
                    Err(_) => false,
                },
            };
            if hit {
                self.hits[i as usize] = true;
                self.matched_so_far += 1;
            }
        }
        self.done_bytes += w.bytes(s, &self.candidates);
        self.next += 1;
    }

    /// For a plain window read as one buffer `buf` = `[w.start, w.start + buf.len())`:
    /// the record `[off, off + len)` inside it.
    pub fn slice_of<'a>(w: &Window, buf: &'a [u8], off: u64, len: u32) -> Option<&'a [u8]> {
        let a = off.checked_sub(w.start)? as usize;
        buf.get(a..a + len as usize)
    }

    /// The judge, once the scan is done with it.
    pub fn into_judge(self) -> J {
        self.filter
    }

    /// The matching rows, time order (complete once `next_window` is `None`).
    pub fn matched(&self) -> Vec<u32> {
        self.candidates
            .iter()
            .zip(&self.hits)
            .filter(|(_, &h)| h)
            .map(|(&r, _)| r)
            .collect()
    }
}
