//! The volume advisor in the worker: [`crate::advise`] over the loaded store, with the
//! sized keys kept between answers (built once per store and key granularity) and the
//! findings pack's last run (what a change would cost it).

use crate::advise::{advise, guard, seen_identities, Ask, Sized};
use crate::analysis::evaluate::uses_resource_names;
use crate::audit::policy::{load_policy, KubeVersion, LoadOptions};
use crate::detect::{Finding, Pack};
use crate::store::Store;
use crate::web::explore::SharedAttr;
use crate::web::protocol::{AdviceAnswer, AdviseRequest};

/// What survives between answers (forgotten when the store changes).
pub struct Advisor {
    attr: SharedAttr,
    /// Keys sized (with resource names or not).
    sized: Option<(bool, Sized)>,
    seen: Option<Vec<(String, Vec<String>)>>,
}

impl Advisor {
    pub fn with_attr(attr: SharedAttr) -> Self {
        Advisor {
            attr,
            sized: None,
            seen: None,
        }
    }

    /// Forgets everything computed from the store.
    pub fn invalidate(&mut self) {
        self.sized = None;
        self.seen = None;
    }

    /// Answers one request. `last`: the findings pack's last run, if any.
    pub fn answer(
        &mut self,
        s: &Store,
        loading: bool,
        req: &AdviseRequest,
        last: Option<(&Pack, &[Finding])>,
        now_ms: impl Fn() -> f64,
    ) -> AdviceAnswer {
        let t0 = now_ms();
        let mut out = AdviceAnswer {
            id: req.id,
            advice: None,
            error: None,
            guard_error: None,
            elapsed_ms: 0.0,
        };
        let opts = LoadOptions {
            kube_version: KubeVersion {
                major: 1,
                minor: req.kube_minor,
            },
            accept_old_versions: req.accept_old_versions,
            ..LoadOptions::default()
        };
        if s.is_empty() || loading {
            out.error = Some(if loading {
                "A log is loading: the advisor follows when it is read.".into()
            } else {
                "No log loaded: the advisor measures the policy against a log.".into()
            });
            return out;
        }
        let Ok(policy) = load_policy(&req.name, &req.text, &opts) else {
            out.error = Some("The policy has errors: fix them to get advice.".into());
            return out;
        };
        let reference = req
            .reference
            .as_deref()
            .filter(|r| r.trim() != req.text.trim())
            .and_then(|r| load_policy("reference", r, &opts).ok());
        let guards = match &req.guards {
            None => guard::defaults(),
            Some(t) => match guard::load("guard-rails", t) {
                Ok(g) => g,
                Err(e) => {
                    out.guard_error = Some(e);
                    guard::defaults()
                }
            },
        };
        let names = uses_resource_names(&policy.compiled)
            || reference
                .as_ref()
                .is_some_and(|r| uses_resource_names(&r.compiled));
        if !matches!(&self.sized, Some((n, _)) if *n == names) {
            let idx = self.attr.get(s);
            self.sized = Some((names, Sized::build(s, &idx, names)));
        }
        let z = &self.sized.as_ref().expect("built above").1;
        let seen = self.seen.get_or_insert_with(|| seen_identities(s));
        let ask = Ask {
            text: &req.text,
            policy: &policy,
            opts,
            reference: reference.as_ref(),
            guards: &guards,
            target_pct: req.target_pct,
            pack: last.map(|l| l.0),
            findings: last.map_or(&[], |l| l.1),
            seen,
        };
        let mut a = advise(s, z, &ask);
        // Only the plan's end is applied: its steps need no text of their own.
        if let Some(p) = &mut a.plan {
            for st in &mut p.steps {
                st.text = String::new();
            }
        }
        out.advice = Some(a);
        out.elapsed_ms = now_ms() - t0;
        out
    }
}
