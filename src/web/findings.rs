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
    /// The last run's pack and findings, whole (the page gets them cut), for "what would
    /// this policy blind".
    last: Option<(Pack, Vec<crate::detect::Finding>)>,
    /// The running run's phases so far.
    phases: String,
    /// The built-in pack, read once.
    builtin: Option<Pack>,
}

/// A run whose body rules are reading.
pub struct Pending {
    pub id: u32,
    pub scan: Box<Scan<Run>>,
    pub t0: f64,
}

impl Findings {
    /// Reads the built-in pack now (the worker's start), not in the first run.
    pub fn warm(&mut self) {
        self.builtin.get_or_insert_with(Pack::builtin);
    }

    /// The last run's pack and findings, whole.
    pub fn last(&self) -> Option<(&Pack, &[crate::detect::Finding])> {
        self.last.as_ref().map(|(p, f)| (p, &f[..]))
    }

    /// Forgets the last run (a load or a clear changes the store).
    pub fn reset_last(&mut self) {
        self.last = None;
    }

    /// What policy `p` would blind: of the last run's pack and findings, or of the pack
    /// alone before any run. The identities probed besides the policy's own are the
    /// findings' actors.
    pub fn blind(
        &mut self,
        s: &Store,
        p: &crate::audit::policy::LoadedPolicy,
    ) -> crate::detect::blind::BlindReport {
        let Some((pack, findings)) = &self.last else {
            let fresh = self.pack();
            return crate::detect::blind::blind(p, &fresh, s, &[], &[]);
        };
        let mut seen: Vec<(String, Vec<String>)> = Vec::new();
        for f in findings {
            if let Some(&r) = f.rows.first() {
                let u = s.str(crate::store::Dim::User, r as usize).to_string();
                if !u.is_empty() && !seen.iter().any(|(x, _)| *x == u) {
                    let groups = s
                        .dict
                        .groups
                        .members_of(s.groups_id(r as usize))
                        .map(str::to_string)
                        .collect();
                    seen.push((u, groups));
                }
            }
        }
        crate::detect::blind::blind(p, pack, s, findings, &seen)
    }

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
    pub fn pack(&mut self) -> Pack {
        let b = self.builtin.get_or_insert_with(Pack::builtin).clone();
        match &self.user {
            Some((_, p)) => b.with(p.clone()),
            None => b,
        }
    }

    /// Starts a run: answered at once when no rule needs bodies (or none has
    /// candidates), else a scan to read window by window.
    pub fn begin(&mut self, s: &Store, id: u32, t0: f64) -> Result<FindingsAnswer, Pending> {
        let pack = self.pack();
        let t1 = js_sys::Date::now();
        let run = Run::new(s, &pack);
        let cands = run.body_candidates();
        self.phases = format!(
            "pack {:.0} ms · rules {:.0} ms",
            t1 - t0,
            js_sys::Date::now() - t1
        );
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
    pub fn finish(&mut self, s: &Store, run: Run, id: u32, t0: f64) -> FindingsAnswer {
        let pack = run.pack().clone();
        let t1 = js_sys::Date::now();
        let report = run.finish(s);
        let t2 = js_sys::Date::now();
        self.last = Some((pack.clone(), report.findings.clone()));
        let mut a = answer(
            s,
            &pack,
            report,
            id,
            self.user.as_ref().map(|(n, _)| n.clone()),
            self.user_error.iter().cloned().collect(),
            js_sys::Date::now() - t0,
        );
        a.phases = format!(
            "{} · finish {:.0} ms · answer {:.0} ms",
            std::mem::take(&mut self.phases),
            t2 - t1,
            js_sys::Date::now() - t2
        );
        a
    }

    /// The answer of a run whose body reads failed: the findings of the rules that need no
    /// bodies, and the reason the others are missing.
    pub fn failed(&mut self, s: &Store, run: Run, id: u32, t0: f64, why: String) -> FindingsAnswer {
        let mut a = self.finish(s, run, id, t0);
        a.errors.push(why);
        a
    }
}
