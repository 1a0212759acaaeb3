//! The worker's Findings answers: the pack (built in, plus the user's rule file) run over
//! the loaded store. Rules with body predicates read their candidates' bytes through the
//! body search's windows (`query::bodyscan::Scan` with a `detect::Run` as its judge), so
//! the engine can read them asynchronously, one window at a time.

use crate::detect::{answer::answer, Pack, Run};
use crate::query::bodyscan::{Scan, WINDOW_BYTES};
use crate::store::Store;
use crate::web::protocol::{FindingsAnswer, UserRules};

/// What the Findings view keeps between runs: the user's rule file.
#[derive(Default)]
pub struct Findings {
    /// The user's file (name, pack) when it loaded.
    user: Option<(String, Pack)>,
    /// Why the user's last file did not load (`file:line: …`).
    user_error: Option<String>,
}

/// A run whose body rules are reading.
pub struct Pending {
    pub id: u32,
    pub scan: Box<Scan<Run>>,
    pub t0: f64,
}

impl Findings {
    /// Replaces the user's rule file (`text` empty: removes it).
    pub fn set_rules(&mut self, r: UserRules) {
        self.user_error = None;
        if r.text.trim().is_empty() {
            self.user = None;
            return;
        }
        match Pack::load(&r.name, &r.text) {
            Ok(p) => self.user = Some((r.name, p)),
            Err(e) => {
                self.user = None;
                self.user_error = Some(e);
            }
        }
    }

    /// The pack to run: the built-in rules, then the user's (an id of theirs replaces
    /// the built-in rule of that id).
    pub fn pack(&self) -> Pack {
        let b = Pack::builtin();
        match &self.user {
            Some((_, p)) => b.with(p.clone()),
            None => b,
        }
    }

    /// Starts a run: answered at once when no rule needs bodies (or none has
    /// candidates), else a scan to read window by window.
    pub fn begin(&self, s: &Store, id: u32, t0: f64) -> Result<FindingsAnswer, Pending> {
        let pack = self.pack();
        let run = Run::new(s, &pack);
        let cands = run.body_candidates();
        if cands.is_empty() {
            return Ok(self.finish(s, run, id, t0));
        }
        let gz: Vec<bool> = s.files.iter().map(|f| f.gzip).collect();
        let scan = Scan::new(s, run, cands, WINDOW_BYTES, &|file| {
            gz.get(file as usize).copied().unwrap_or(false)
        });
        Err(Pending {
            id,
            scan: Box::new(scan),
            t0,
        })
    }

    /// The answer of a run whose bodies were all read (or that needed none).
    pub fn finish(&self, s: &Store, run: Run, id: u32, t0: f64) -> FindingsAnswer {
        let pack = run.pack().clone();
        let report = run.finish(s);
        answer(
            s,
            &pack,
            report,
            id,
            self.user.as_ref().map(|(n, _)| n.clone()),
            self.user_error.iter().cloned().collect(),
            js_sys::Date::now() - t0,
        )
    }

    /// The answer of a run whose body reads failed: the findings of the rules that need no
    /// bodies, and the reason the others are missing.
    pub fn failed(&self, s: &Store, run: Run, id: u32, t0: f64, why: String) -> FindingsAnswer {
        let mut a = self.finish(s, run, id, t0);
        a.errors.push(why);
        a
    }
}
