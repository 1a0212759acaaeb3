//! The policy workbench's part of the page state: the edited text (and a baseline for
//! A/B), the options sent with it, and the worker's latest answer.
//!
//! Invariants:
//! - `rev` grows on every change of what is sent to the worker (text, baseline, compare
//!   mode, Kubernetes version, rotation flags); an answer is kept only when its `id`
//!   equals `rev`, so a late answer for an older text never replaces a newer one;
//! - `reset` grows whenever the text is replaced from outside the editor (a file, the
//!   template, a restore): the editor then replaces its content, and only then;
//! - the text is saved in this browser's local storage and never sent anywhere else;
//! - no text is lost without a way back: replacing a non-empty text from outside the
//!   editor (the template, a policy file) keeps it in `undo` until the next edit.

use crate::web::protocol::{
    DiagnosticView, PolicyReport, RotationFlags, WorkbenchReport, WorkbenchRequest,
};
use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// Kubernetes versions the selector offers (minor; major is 1) and the default.
pub const KUBE_MINORS: std::ops::RangeInclusive<u32> = 30..=37;
pub const DEFAULT_KUBE_MINOR: u32 = 37;

/// The URL hash key of the Kubernetes version (`k8s=1.36`; absent for the default).
pub const HASH_KEY: &str = "k8s";

/// The local-storage key of the saved workbench.
pub const STORAGE_KEY: &str = "audit-lens.policy-workbench.v1";

/// Name of the policy the sample comes with (not adopted over the user's own text).
const SAMPLE_POLICY_NAME: &str = "sample-policy.yaml";

/// Which text the editor shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Slot {
    /// The policy being edited (coverage, lint and checklist are about it).
    #[default]
    Edited,
    /// The policy it is compared with.
    Baseline,
}

/// What the what-if compares the edited policy with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Compare {
    /// The log as it was written.
    #[default]
    Recorded,
    /// The baseline policy (slot B).
    Baseline,
}

/// What survives a reload (local storage).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    pub name: String,
    pub text: String,
    pub baseline: String,
    pub compare: Compare,
    pub kube_minor: u32,
}

/// The workbench state. See the module docs for the invariants.
#[derive(Clone, Debug, PartialEq)]
pub struct Workbench {
    /// File name (findings, download).
    pub name: String,
    pub text: String,
    pub baseline: String,
    pub slot: Slot,
    pub compare: Compare,
    pub kube_minor: u32,
    /// The Kubernetes version came from the URL: a saved workbench does not override it.
    pub kube_from_url: bool,
    /// Read `audit.k8s.io/v1beta1`/`v1alpha1` policies as v1 (`LoadOptions`). Not saved:
    /// each visit starts with what kube-apiserver does.
    pub accept_old_versions: bool,
    /// Findings about the bytes of the file the text was read from (an invalid UTF-8
    /// byte, UTF-16), which the text itself no longer shows; cleared when the text changes.
    pub file_findings: Vec<DiagnosticView>,
    pub flags: RotationFlags,
    pub rev: u64,
    pub reset: u64,
    /// The latest answer (possibly for an older `rev`: then `busy()`).
    pub report: Option<Rc<WorkbenchReport>>,
    /// The latest answer with coverage: shown (dimmed) while the text has errors, so the
    /// tables do not vanish at every half-typed word.
    pub last_valid: Option<Rc<WorkbenchReport>>,
    /// The rule picked in the coverage table (highlighted in the editor).
    pub selected_rule: Option<usize>,
    /// Move the caret to this 1-based line; the counter makes each request distinct.
    pub jump: Option<(u32, u64)>,
    /// The text a replacement (template, policy file) overwrote, until the next edit.
    pub undo: Option<Undo>,
    /// The price money figures use (the Cost panel's choice; kept in local storage under
    /// its own key by `policy_money`, never sent anywhere). Not sent to the worker.
    pub pricing: crate::analysis::money::Pricing,
    /// The volume advisor (issue 14).
    pub advisor: crate::ui::advisor_state::AdvisorState,
}

/// What [`PolicyAction::Undo`] puts back.
#[derive(Clone, Debug, PartialEq)]
pub struct Undo {
    pub slot: Slot,
    pub name: String,
    pub text: String,
    /// What replaced it, for the banner ("the template", "audit-policy.yaml").
    pub by: String,
}

impl Default for Workbench {
    fn default() -> Self {
        Workbench {
            name: "policy.yaml".into(),
            text: String::new(),
            baseline: String::new(),
            slot: Slot::Edited,
            compare: Compare::Recorded,
            kube_minor: DEFAULT_KUBE_MINOR,
            kube_from_url: false,
            accept_old_versions: false,
            file_findings: Vec::new(),
            flags: RotationFlags::default(),
            rev: 0,
            reset: 0,
            report: None,
            last_valid: None,
            selected_rule: None,
            jump: None,
            undo: None,
            pricing: crate::analysis::money::Pricing::default(),
            advisor: Default::default(),
        }
    }
}

/// Everything the workbench's controls can do.
#[derive(Clone, Debug, PartialEq)]
pub enum PolicyAction {
    /// The saved workbench, read at start.
    Restore(Saved),
    /// The user typed in the editor (the slot it shows).
    Edit(String),
    /// Replaces the shown slot's text with the template; `name` renames the edited policy.
    Replace {
        name: Option<String>,
        text: String,
    },
    ShowSlot(Slot),
    SetCompare(Compare),
    /// Copies the edited policy into the baseline and compares with it.
    UseAsBaseline,
    SetKube(u32),
    /// Reads old policy versions (v1beta1, v1alpha1) as v1, or not.
    SetAcceptOld(bool),
    SetFlags(RotationFlags),
    SelectRule(Option<usize>),
    /// Moves the caret to a 1-based line (a finding was clicked).
    JumpTo(u32),
    /// Puts back the text the last replacement overwrote.
    Undo,
    /// Forgets it (the banner was closed).
    DismissUndo,
    /// The price (and retention) money figures use; changes nothing sent to the worker.
    SetPricing(crate::analysis::money::Pricing),
    /// The advisor's settings.
    Advisor(crate::ui::advisor_state::AdvisorAction),
    /// The advisor's change (or plan) replaces the edited text; `by` names it for the
    /// undo banner and the diff.
    ApplyText {
        text: String,
        by: String,
    },
}

impl Workbench {
    /// True when the text shown is not yet evaluated (the answer is older or missing).
    pub fn busy(&self) -> bool {
        self.has_text() && self.report.as_ref().map(|r| r.id) != Some(self.rev)
    }

    /// True when there is something to evaluate.
    pub fn has_text(&self) -> bool {
        !self.text.trim().is_empty()
    }

    /// The text the editor shows.
    pub fn shown_text(&self) -> &str {
        match self.slot {
            Slot::Edited => &self.text,
            Slot::Baseline => &self.baseline,
        }
    }

    /// What to send to the worker for the current revision.
    pub fn request(&self) -> WorkbenchRequest {
        WorkbenchRequest {
            id: self.rev,
            name: self.name.clone(),
            text: self.text.clone(),
            kube_minor: self.kube_minor,
            accept_old_versions: self.accept_old_versions,
            baseline: (self.compare == Compare::Baseline).then(|| self.baseline.clone()),
            flags: self.flags,
        }
    }

    pub fn saved(&self) -> Saved {
        Saved {
            name: self.name.clone(),
            text: self.text.clone(),
            baseline: self.baseline.clone(),
            compare: self.compare,
            kube_minor: self.kube_minor,
        }
    }

    /// The workbench's part of the URL hash: the Kubernetes version when it is not the
    /// default.
    pub fn hash_parts(&self) -> Vec<(String, String)> {
        if self.kube_minor == DEFAULT_KUBE_MINOR {
            Vec::new()
        } else {
            vec![(HASH_KEY.into(), format!("1.{}", self.kube_minor))]
        }
    }

    /// Takes the Kubernetes version from the URL hash (`k8s=1.36`, or `k8s=36`).
    pub fn restore_hash(&mut self, parts: &[(String, String)]) {
        let Some((_, v)) = parts.iter().find(|(k, _)| k == HASH_KEY) else {
            return;
        };
        let v = v.trim().trim_start_matches('v');
        let minor = v.strip_prefix("1.").unwrap_or(v).parse::<u32>().ok();
        if let Some(m) = minor.filter(|m| KUBE_MINORS.contains(m)) {
            self.kube_minor = m;
            self.kube_from_url = true;
        }
    }

    fn changed(&mut self) {
        self.rev += 1;
    }

    fn replaced(&mut self) {
        self.rev += 1;
        self.reset += 1;
        self.selected_rule = None;
    }

    /// Before `slot`'s text is replaced by `new` (from `by`): keeps it for an undo when
    /// something would be lost.
    fn keep_for_undo(&mut self, slot: Slot, new: &str, by: &str) {
        let old = match slot {
            Slot::Edited => &self.text,
            Slot::Baseline => &self.baseline,
        };
        if old.trim().is_empty() || old == new {
            return;
        }
        self.undo = Some(Undo {
            slot,
            name: self.name.clone(),
            text: old.clone(),
            by: by.to_string(),
        });
    }

    /// A policy file was read by the worker: the editor shows it (the sample's own policy
    /// only when the editor is empty, so loading the sample never overwrites edits).
    pub fn adopt(&mut self, p: &PolicyReport) {
        if p.name == SAMPLE_POLICY_NAME && self.has_text() {
            return;
        }
        self.keep_for_undo(Slot::Edited, &p.text, &p.name);
        self.name = p.name.clone();
        self.text = p.text.clone();
        self.advisor.new_policy();
        self.file_findings = p
            .diagnostics
            .iter()
            .filter(|d| crate::web::policy::BYTE_CODES.contains(&d.code.as_str()))
            .cloned()
            .collect();
        self.slot = Slot::Edited;
        self.report = None; // findings of another text must not show for this one
        self.last_valid = None;
        self.replaced();
    }

    /// Keeps the worker's answer if it is for the current revision.
    pub fn answer(&mut self, r: WorkbenchReport) {
        if r.id == self.rev {
            let r = Rc::new(r);
            if r.coverage.is_some() {
                self.last_valid = Some(r.clone());
            }
            self.report = Some(r);
        }
    }

    pub fn reduce(&mut self, a: PolicyAction) {
        match a {
            PolicyAction::Restore(saved) => {
                if self.has_text() || saved.text.trim().is_empty() {
                    return;
                }
                self.name = if saved.name.is_empty() {
                    "policy.yaml".into()
                } else {
                    saved.name
                };
                self.text = saved.text;
                self.baseline = saved.baseline;
                self.compare = saved.compare;
                if KUBE_MINORS.contains(&saved.kube_minor) && !self.kube_from_url {
                    self.kube_minor = saved.kube_minor;
                }
                self.replaced();
            }
            PolicyAction::Edit(t) => {
                self.file_findings.clear();
                self.undo = None;
                match self.slot {
                    Slot::Edited => self.text = t,
                    Slot::Baseline => self.baseline = t,
                }
                self.changed();
            }
            PolicyAction::Replace { name, text } => {
                self.keep_for_undo(self.slot, &text, "The template");
                self.file_findings.clear();
                match self.slot {
                    Slot::Edited => {
                        self.text = text;
                        if let Some(n) = name {
                            self.name = n;
                        }
                    }
                    Slot::Baseline => self.baseline = text,
                }
                self.replaced();
            }
            PolicyAction::ShowSlot(s) => {
                if s != self.slot {
                    self.slot = s;
                    self.reset += 1;
                    self.jump = None;
                }
            }
            PolicyAction::SetCompare(c) => {
                self.compare = c;
                self.changed();
            }
            PolicyAction::UseAsBaseline => {
                let a = self.text.clone();
                self.keep_for_undo(Slot::Baseline, &a, "a copy of A");
                self.baseline = a;
                self.compare = Compare::Baseline;
                if self.slot == Slot::Baseline {
                    self.reset += 1;
                }
                self.changed();
            }
            PolicyAction::SetKube(m) => {
                self.kube_minor = m;
                self.changed();
            }
            PolicyAction::SetAcceptOld(b) => {
                self.accept_old_versions = b;
                self.changed();
            }
            PolicyAction::SetFlags(f) => {
                self.flags = f;
                self.changed();
            }
            PolicyAction::SelectRule(r) => {
                self.selected_rule = r;
                let line = r.and_then(|i| {
                    self.report
                        .as_ref()
                        .and_then(|rep| rep.rules.get(i))
                        .map(|ri| ri.line)
                });
                if let Some(l) = line.filter(|l| *l > 0) {
                    self.slot = Slot::Edited;
                    self.jump = Some((l, self.jump.map_or(1, |j| j.1 + 1)));
                }
            }
            PolicyAction::JumpTo(line) => {
                self.jump = Some((line, self.jump.map_or(1, |j| j.1 + 1)));
            }
            PolicyAction::Undo => {
                if let Some(u) = self.undo.take() {
                    self.advisor.applied = None;
                    match u.slot {
                        Slot::Edited => {
                            self.text = u.text;
                            self.name = u.name;
                        }
                        Slot::Baseline => self.baseline = u.text,
                    }
                    self.slot = u.slot;
                    self.file_findings.clear();
                    self.report = None;
                    self.last_valid = None;
                    self.replaced();
                }
            }
            PolicyAction::DismissUndo => self.undo = None,
            PolicyAction::SetPricing(p) => self.pricing = p,
            PolicyAction::Advisor(a) => self.advisor.reduce(a),
            PolicyAction::ApplyText { text, by } => {
                let old = self.text.clone();
                self.keep_for_undo(Slot::Edited, &text, &by);
                self.advisor.applying(&by, &old, &text);
                self.file_findings.clear();
                self.text = text;
                self.slot = Slot::Edited;
                self.replaced();
            }
        }
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The workbench saved in this browser, if any.
pub fn load_saved() -> Option<Saved> {
    let text = storage()?.get_item(STORAGE_KEY).ok().flatten()?;
    serde_json::from_str(&text).ok()
}

/// Saves the workbench in this browser (quietly does nothing when storage is off or full).
pub fn save(s: &Saved) {
    if let (Some(st), Ok(json)) = (storage(), serde_json::to_string(s)) {
        let _ = st.set_item(STORAGE_KEY, &json);
    }
}
