//! The volume advisor's part of the page state (issue 14): the guard-rails the user
//! stated, the target of a plan, the worker's latest advice, and what the last applied
//! change replaced (the diff shown after "Apply", undone with the workbench's Undo).
//!
//! Invariants: an answer is kept only when its id is [`AdvisorState::id_for`] the current
//! workbench revision and settings, so a late answer never shows for another text; the
//! guard-rails text is kept in this browser's local storage only.

use crate::web::protocol::AdviceAnswer;
use std::rc::Rc;

/// The local-storage key of the user's guard-rails.
pub const GUARDS_KEY: &str = "audit-lens.guards.v1";

/// The default target of "Reach −N%".
pub const DEFAULT_TARGET: f64 = 70.0;

/// A change the advisor made to the text.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    pub title: String,
    pub before: String,
    pub after: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AdvisorState {
    /// The user's guard-rails file; `None`: the defaults.
    pub guards: Option<String>,
    pub target: f64,
    /// A plan was asked for (kept on while the user edits: the plan follows the text).
    pub plan: bool,
    /// Grows with every change of the settings.
    pub seq: u64,
    pub answer: Option<Rc<AdviceAnswer>>,
    /// What `keep: bodies` compares with: the text before the advisor's first change.
    pub reference: Option<String>,
    pub applied: Option<Applied>,
}

impl Default for AdvisorState {
    fn default() -> Self {
        AdvisorState {
            guards: None,
            target: DEFAULT_TARGET,
            plan: false,
            seq: 0,
            answer: None,
            reference: None,
            applied: None,
        }
    }
}

/// What the advisor's controls do.
#[derive(Clone, Debug, PartialEq)]
pub enum AdvisorAction {
    /// The user's guard-rails (`None`: back to the defaults); saved in local storage.
    SetGuards(Option<String>),
    /// Read at start from local storage (not saved again).
    RestoreGuards(String),
    SetTarget(f64),
    /// Builds the plan for the target (or stops showing it).
    Plan(bool),
    /// Forgets the reference: the current text becomes what `keep: bodies` keeps.
    ResetReference,
    DismissApplied,
}

impl AdvisorState {
    /// The request id for workbench revision `rev` and these settings.
    pub fn id_for(&self, rev: u64) -> u64 {
        (rev << 24) | (self.seq & 0xff_ffff)
    }

    /// Keeps an answer for revision `rev` if it is the current one.
    pub fn answer(&mut self, rev: u64, a: AdviceAnswer) {
        if a.id == self.id_for(rev) {
            self.answer = Some(Rc::new(a));
        }
    }

    /// The text is about to be replaced by an advisor change.
    pub fn applying(&mut self, title: &str, before: &str, after: &str) {
        if self.reference.is_none() {
            self.reference = Some(before.to_string());
        }
        self.applied = Some(Applied {
            title: title.to_string(),
            before: before.to_string(),
            after: after.to_string(),
        });
    }

    /// A new policy was opened: nothing of the old one's advice holds.
    pub fn new_policy(&mut self) {
        self.reference = None;
        self.applied = None;
        self.answer = None;
    }

    pub fn reduce(&mut self, a: AdvisorAction) {
        match a {
            AdvisorAction::SetGuards(g) => {
                save_guards(g.as_deref());
                self.guards = g;
            }
            AdvisorAction::RestoreGuards(g) => self.guards = Some(g),
            AdvisorAction::SetTarget(t) => {
                if t.is_finite() && t > 0.0 && t < 100.0 {
                    self.target = t;
                }
            }
            AdvisorAction::Plan(on) => self.plan = on,
            AdvisorAction::ResetReference => self.reference = None,
            AdvisorAction::DismissApplied => {
                self.applied = None;
                return;
            }
        }
        self.seq += 1;
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The user's guard-rails saved in this browser.
pub fn load_guards() -> Option<String> {
    storage()?.get_item(GUARDS_KEY).ok().flatten()
}

fn save_guards(g: Option<&str>) {
    if let Some(st) = storage() {
        let _ = match g {
            Some(t) => st.set_item(GUARDS_KEY, t),
            None => st.remove_item(GUARDS_KEY),
        };
    }
}
