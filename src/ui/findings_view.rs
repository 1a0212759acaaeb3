//! The Findings view (issue 13 §2): the detection pack's findings over the loaded log —
//! counts by severity and category, one row per finding (severity, then most recent, as
//! the worker sends them), each expanding to the rule's why, its ATT&CK techniques, what it
//! needs and what this log holds of it, its first events and the ways into Explore; the
//! rules that found nothing, and a user's own rule file.
//!
//! The pack runs after every load ([`use_findings_sync`], called by the app so the summary
//! bar and the timeline markers have it whichever tab is shown) and after a rule file is
//! loaded or removed. Answers to anything but the latest request are dropped.
//!
//! A finding carries store rows only; the view asks the worker for the events it shows
//! (`Request::Event`, ids of its own, see [`FindingsState::takes`]) and keeps one line of
//! each. Log content is only ever put in the page as text.

use super::format::{user_label, user_title, visible};
use crate::ui::dom;
use crate::util::{human_count, human_duration_micros, parse_rfc3339_micros};
use crate::web::protocol::{
    EventDetail, FindingItem, FindingsAnswer, PackRule, Request, Response, Severity, Summary,
    Support, UserRules,
};
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

/// Events of an open finding shown at first, and added by "Show more".
pub const EVENTS_STEP: usize = 12;

/// One event of a finding, as its list shows it (read from the event's JSON).
#[derive(Clone, Debug, PartialEq)]
pub struct EventLine {
    pub row: u32,
    pub time_us: Option<i64>,
    pub verb: String,
    pub user: String,
    pub impersonated: String,
    pub object: String,
    pub code: u16,
    pub audit_id: String,
    pub stage: String,
    /// Why the event could not be read.
    pub error: Option<String>,
}

impl EventLine {
    /// The line of an event detail (its JSON parsed once here).
    pub fn of(d: &EventDetail) -> EventLine {
        let v: serde_json::Value = serde_json::from_str(&d.raw).unwrap_or_default();
        let s = |p: &[&str]| {
            let mut x = &v;
            for k in p {
                x = match x.get(k) {
                    Some(y) => y,
                    None => return String::new(),
                };
            }
            x.as_str().unwrap_or("").to_string()
        };
        let time_us = d
            .stages
            .iter()
            .find(|st| st.row == d.row)
            .map(|st| st.time_us)
            .or_else(|| parse_rfc3339_micros(&s(&["requestReceivedTimestamp"])));
        let (res, sub, ns, name) = (
            s(&["objectRef", "resource"]),
            s(&["objectRef", "subresource"]),
            s(&["objectRef", "namespace"]),
            s(&["objectRef", "name"]),
        );
        let object = if res.is_empty() {
            s(&["requestURI"])
        } else {
            let mut o = String::new();
            if !ns.is_empty() {
                o.push_str(&format!("-n {ns} "));
            }
            o.push_str(&res);
            if !name.is_empty() {
                o.push('/');
                o.push_str(&name);
            }
            if !sub.is_empty() {
                o.push_str(&format!(" ({sub})"));
            }
            o
        };
        let audit_id = if d.audit_id.is_empty() {
            s(&["auditID"])
        } else {
            d.audit_id.clone()
        };
        EventLine {
            row: d.row,
            time_us,
            verb: s(&["verb"]),
            user: s(&["user", "username"]),
            impersonated: s(&["impersonatedUser", "username"]),
            object,
            code: v
                .get("responseStatus")
                .and_then(|r| r.get("code"))
                .and_then(|c| c.as_u64())
                .unwrap_or(0) as u16,
            audit_id,
            stage: if d.stage.is_empty() {
                s(&["stage"])
            } else {
                d.stage.clone()
            },
            error: d.error.clone(),
        }
    }
}

/// The Findings view's part of the page state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FindingsState {
    /// Latest request id sent (0: none), and its answer once here (the previous answer
    /// stays shown while a new one runs).
    pub sent: u32,
    pub answer: Option<Rc<FindingsAnswer>>,
    /// A rule file is being read or run (its name).
    pub loading_rules: Option<String>,
    /// The open finding: (rule id, key).
    pub open: Option<(String, String)>,
    /// Events of the open finding shown.
    pub shown: usize,
    /// Narrowing of the list.
    pub category: Option<String>,
    pub severity: Option<Severity>,
    /// Event lines read so far (store row → line), for the current answer.
    pub lines: Rc<BTreeMap<u32, Rc<EventLine>>>,
    /// `Request::Event` ids sent by this view → their rows.
    pub pending: Rc<BTreeMap<u32, u32>>,
    /// The user's file could not be read on the main thread.
    pub file_error: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FindingsAction {
    /// A run was asked (`rules`: the name of a user file sent with it).
    Sent {
        id: u32,
        rules: Option<String>,
    },
    /// Nothing loaded: nothing to show.
    Reset,
    /// Opens the finding (rule id, key), or closes it when open.
    Toggle(String, String),
    ShowMore,
    Category(Option<String>),
    Severity(Option<Severity>),
    /// Events asked for: (id, row).
    EventsSent(Vec<(u32, u32)>),
    FileError(String),
}

impl FindingsState {
    pub fn reduce(&mut self, a: FindingsAction) {
        match a {
            FindingsAction::Sent { id, rules } => {
                self.sent = id;
                self.file_error = None;
                if rules.is_some() {
                    self.loading_rules = rules;
                }
            }
            FindingsAction::Reset => *self = FindingsState::default(),
            FindingsAction::Toggle(id, key) => {
                let k = (id, key);
                if self.open.as_ref() == Some(&k) {
                    self.open = None;
                } else {
                    self.open = Some(k);
                    self.shown = EVENTS_STEP;
                }
            }
            FindingsAction::ShowMore => self.shown += EVENTS_STEP,
            FindingsAction::Category(c) => self.category = c,
            FindingsAction::Severity(s) => self.severity = s,
            FindingsAction::EventsSent(v) => {
                let mut p = (*self.pending).clone();
                p.extend(v);
                self.pending = Rc::new(p);
            }
            FindingsAction::FileError(e) => {
                self.file_error = Some(e);
                self.loading_rules = None;
            }
        }
    }

    /// True when `r` answers this view (an event it asked for).
    pub fn takes(&self, r: &Response) -> bool {
        match r {
            Response::Findings(_) => true,
            Response::Event(d) => self.pending.contains_key(&d.id),
            _ => false,
        }
    }

    pub fn on_response(&mut self, r: Response) {
        match r {
            Response::Findings(a) if a.id == self.sent => {
                // Rows are store rows: lines read for an earlier store may not hold.
                self.lines = Rc::default();
                self.pending = Rc::default();
                self.loading_rules = None;
                let a = Rc::new(*a);
                if let Some((id, key)) = &self.open {
                    if !a
                        .findings
                        .iter()
                        .any(|f| &f.finding.id == id && &f.finding.key == key)
                    {
                        self.open = None;
                    }
                }
                if let Some(c) = &self.category {
                    if !a.findings.iter().any(|f| &f.finding.category == c) {
                        self.category = None;
                    }
                }
                self.answer = Some(a);
            }
            Response::Event(d) => {
                let mut p = (*self.pending).clone();
                if p.remove(&d.id).is_some() {
                    let mut l = (*self.lines).clone();
                    l.insert(d.row, Rc::new(EventLine::of(&d)));
                    self.lines = Rc::new(l);
                }
                self.pending = Rc::new(p);
            }
            _ => {} // stale
        }
    }

    /// Findings by severity (total, critical + high), once an answer is here.
    pub fn counts(&self) -> Option<(u32, u32)> {
        let a = self.answer.as_ref()?;
        let total = a.findings.len() as u32;
        Some((total, a.by_severity[0] + a.by_severity[1]))
    }

    /// Where the timeline marks findings: first event time and severity, medium or worse.
    pub fn markers(&self) -> Rc<Vec<(i64, Severity)>> {
        Rc::new(self.answer.as_ref().map_or_else(Vec::new, |a| {
            a.findings
                .iter()
                .filter(|f| f.finding.severity >= Severity::Medium)
                .map(|f| (f.finding.first_us, f.finding.severity))
                .collect()
        }))
    }
}

/// Ids of findings requests and of the events this view asks for (apart from the other
/// views' counters).
pub fn fresh_id() -> u32 {
    thread_local!(static N: std::cell::Cell<u32> = const { std::cell::Cell::new(3 << 28) });
    N.with(|n| {
        n.set(n.get() + 1);
        n.get()
    })
}

/// Runs the pack whenever the loaded set changes (a `Loaded` with events), and forgets
/// the findings when nothing is loaded. Called by the app (the summary bar and the
/// timeline need the findings on every tab).
#[hook]
pub fn use_findings_sync(
    summary: Option<Rc<Summary>>,
    loading: bool,
    send: Callback<Request>,
    dispatch: Callback<FindingsAction>,
) {
    let key = summary.as_ref().map(|s| (Rc::as_ptr(s) as usize, s.events));
    use_effect_with((key, loading), move |(key, loading)| {
        if *loading {
            return;
        }
        match key {
            Some((_, events)) if *events > 0 => {
                let id = fresh_id();
                dispatch.emit(FindingsAction::Sent { id, rules: None });
                send.emit(Request::Findings { id, rules: None });
            }
            _ => dispatch.emit(FindingsAction::Reset),
        }
    });
}

/// Sends the user's rule file (`text` empty: removes it) and tells the state.
fn send_rules(
    send: &Callback<Request>,
    dispatch: &Callback<FindingsAction>,
    name: String,
    text: String,
) {
    let id = fresh_id();
    let shown = (!text.is_empty()).then(|| name.clone());
    dispatch.emit(FindingsAction::Sent { id, rules: shown });
    send.emit(Request::Findings {
        id,
        rules: Some(UserRules { name, text }),
    });
}

pub fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Info => "Info",
    }
}

/// "this log: …" — what the log holds of what the rule needs, in words; the second part
/// is true when the rule cannot fire in this log.
pub fn support_text(needs: &str, s: &Support) -> (String, bool) {
    if s.events == 0 {
        return ("this log holds no such requests".into(), false);
    }
    let level = needs
        .strip_prefix("needs level ≥ ")
        .and_then(|r| r.split(' ').next())
        .unwrap_or("the level it needs");
    let n = human_count(s.events);
    let reqs = if s.events == 1 { "request" } else { "requests" };
    if s.at_level == 0 {
        return (
            format!("this log: 0 of {n} such {reqs} recorded at {level} or above — this rule cannot fire here"),
            true,
        );
    }
    if s.at_stage == 0 {
        return (
            format!("this log: {n} such {reqs}, {} at {level} or above, none at the stage it needs — this rule cannot fire here", human_count(s.at_level)),
            true,
        );
    }
    if s.at_level == s.events && s.at_stage == s.at_level {
        return (
            format!("this log: {n} such {reqs}, all recorded as it needs"),
            false,
        );
    }
    (
        format!(
            "this log: {n} such {reqs}, {} recorded at {level} or above, {} at the stages it needs",
            human_count(s.at_level),
            human_count(s.at_stage)
        ),
        false,
    )
}

/// The key of a finding for people (service accounts and nodes shortened).
fn key_label(key: &str) -> String {
    if key.is_empty() {
        "whole log".into()
    } else if key.starts_with("system:") {
        user_label(key, "")
    } else {
        visible(key).into_owned()
    }
}

#[derive(Properties, PartialEq)]
pub struct FindingsViewProps {
    pub state: FindingsState,
    pub dispatch: Callback<FindingsAction>,
    pub send: Callback<Request>,
    pub local_time: bool,
    /// Shows these events in Explore (the finding's filter; Explore's range is reset).
    pub on_explore: Callback<(String, Option<(i64, i64)>)>,
    /// Opens one event in Explore's detail.
    pub on_open_row: Callback<u32>,
    /// Opens the object history of a store row.
    pub on_history: Callback<u32>,
}

#[function_component]
pub fn FindingsView(props: &FindingsViewProps) -> Html {
    let st = &props.state;
    let d = &props.dispatch;
    let file_ref = use_node_ref();
    // The open finding's first events: asked when it opens or shows more.
    {
        let (send, dispatch) = (props.send.clone(), d.clone());
        let want: Vec<u32> = open_item(st)
            .map(|f| {
                f.finding
                    .rows
                    .iter()
                    .take(st.shown)
                    .copied()
                    .filter(|r| !st.lines.contains_key(r) && !st.pending.values().any(|p| p == r))
                    .collect()
            })
            .unwrap_or_default();
        use_effect_with(want, move |want| {
            if !want.is_empty() {
                let sent: Vec<(u32, u32)> = want.iter().map(|&row| (fresh_id(), row)).collect();
                dispatch.emit(FindingsAction::EventsSent(sent.clone()));
                for (id, row) in sent {
                    send.emit(Request::Event { id, row });
                }
            }
        });
    }
    let on_pick = {
        let (send, dispatch) = (props.send.clone(), d.clone());
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|l| l.get(0)) else {
                return;
            };
            input.set_value(""); // the same file again is read again
            let (send, dispatch) = (send.clone(), dispatch.clone());
            let name = file.name();
            wasm_bindgen_futures::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
                match text.ok().and_then(|t| t.as_string()) {
                    Some(t) if t.trim().is_empty() => dispatch.emit(FindingsAction::FileError(
                        format!("{name}: the file is empty: it holds no rules"),
                    )),
                    Some(t) => send_rules(&send, &dispatch, name, t),
                    None => dispatch.emit(FindingsAction::FileError(format!(
                        "{name}: could not be read as text"
                    ))),
                }
            });
        })
    };
    let pick = {
        let r = file_ref.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(i) = r.cast::<web_sys::HtmlElement>() {
                i.click();
            }
        })
    };
    let remove = {
        let (send, dispatch) = (props.send.clone(), d.clone());
        Callback::from(move |_: MouseEvent| {
            send_rules(&send, &dispatch, String::new(), String::new())
        })
    };
    let rules_bar = {
        let user = st.answer.as_ref().and_then(|a| a.user_rules.clone());
        html! {
            <div class="findings-rules-bar">
                <input ref={file_ref} type="file" class="visually-hidden" tabindex="-1" accept=".yaml,.yml"
                       aria-label="Detection rule file" data-testid="rules-input" onchange={on_pick} />
                <button class="button small" onclick={pick} data-testid="rules-load"
                        title="Add your own detection rules (YAML, the format of docs/detection-rules.md) to the built-in pack">{"Load rules…"}</button>
                if let Some(n) = &st.loading_rules {
                    <span class="muted small">{ format!("running with {}…", visible(n)) }</span>
                } else if let Some(u) = user {
                    <span class="small" data-testid="rules-user" title="Your rule file runs next to the built-in pack; a rule with a built-in rule's id replaces it">
                        {"+ "}<b>{ visible(&u).into_owned() }</b></span>
                    <button class="button small ghost" onclick={remove} data-testid="rules-remove" title="Run the built-in pack alone">{"Remove"}</button>
                }
            </div>
        }
    };
    let Some(a) = st.answer.clone() else {
        return html! {
            <div class="findings-view" data-testid="findings-view">
                <section class="panel"><p class="muted">{ if st.sent == 0 { "Load an audit log: the detection pack runs over it as soon as it is loaded." } else { "Running the detection pack…" } }</p></section>
            </div>
        };
    };
    let running = st.sent != a.id;
    // One line per problem (a rule file's problems come joined by newlines).
    let errors: Vec<String> = a
        .errors
        .iter()
        .chain(st.file_error.iter())
        .flat_map(|e| e.lines().map(str::to_string).collect::<Vec<_>>())
        .filter(|e| !e.trim().is_empty())
        .collect();
    // Severity chips.
    let sev_chips = Severity::DESC.iter().enumerate().map(|(i, &s)| {
        let n = a.by_severity[i];
        let on = st.severity == Some(s);
        let onclick = d.reform(move |_: MouseEvent| FindingsAction::Severity(if on { None } else { Some(s) }));
        html! {
            <button class={classes!("sev-chip", format!("sev-{}", s.as_str()), (n == 0).then_some("zero"), on.then_some("on"))}
                    data-testid="findings-severity" data-severity={s.as_str()} data-count={n.to_string()}
                    aria-pressed={on.to_string()} disabled={n == 0 && !on} {onclick}
                    title={if on { "Show every severity".to_string() } else { format!("Show only {} findings", s.as_str()) }}>
                <b>{ n }</b>{ " " }{ severity_label(s) }
            </button>
        }
    });
    // Categories, most findings first.
    let mut cats: BTreeMap<&str, u32> = BTreeMap::new();
    for f in &a.findings {
        *cats.entry(f.finding.category.as_str()).or_default() += 1;
    }
    let mut cats: Vec<(&str, u32)> = cats.into_iter().collect();
    cats.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(y.0)));
    let cat_chips = cats.iter().map(|&(c, n)| {
        let on = st.category.as_deref() == Some(c);
        let cat = c.to_string();
        let onclick = d.reform(move |_: MouseEvent| FindingsAction::Category(if on { None } else { Some(cat.clone()) }));
        html! {
            <button class={classes!("chip", on.then_some("on"))} data-testid="findings-category" data-category={c.to_string()} data-count={n.to_string()}
                    aria-pressed={on.to_string()} {onclick} title={if on { "Show every category".to_string() } else { format!("Show only {c} findings") }}>
                { c.to_string() }<span class="muted">{ format!(" {n}") }</span>
            </button>
        }
    });
    let list: Vec<&FindingItem> = a
        .findings
        .iter()
        .filter(|f| {
            st.category
                .as_ref()
                .is_none_or(|c| &f.finding.category == c)
        })
        .filter(|f| st.severity.is_none_or(|s| f.finding.severity == s))
        .collect();
    let t = |us: i64| {
        dom::time_ms(us, props.local_time)
            .get(..19)
            .unwrap_or("")
            .to_string()
    };
    let zone = if props.local_time {
        "local time"
    } else {
        "UTC"
    };
    let rows = list.iter().map(|item| {
        let f = &item.finding;
        let rule = a.rules.get(f.rule as usize);
        let open = st.open.as_ref().is_some_and(|(i, k)| i == &f.id && k == &f.key);
        let toggle = {
            let (id, key) = (f.id.clone(), f.key.clone());
            d.reform(move |_: MouseEvent| FindingsAction::Toggle(id.clone(), key.clone()))
        };
        let span = if f.last_us > f.first_us {
            let (a, b) = (t(f.first_us), t(f.last_us));
            // The same day: the second time without its date.
            let b = if a.get(..10) == b.get(..10) { b.get(11..).unwrap_or("").to_string() } else { b };
            format!("{a} → {b} ({})", human_duration_micros(f.last_us - f.first_us))
        } else {
            t(f.first_us)
        };
        let requests = format!("{} request{}", human_count(f.requests as u64), if f.requests == 1 { "" } else { "s" });
        let sev = f.severity.as_str();
        html! {
            <li class={classes!("finding", format!("sev-{sev}"), open.then_some("open"))} data-testid="finding-row"
                data-id={f.id.clone()} data-severity={sev} data-key={f.key.clone()} data-category={f.category.clone()}
                data-requests={f.requests.to_string()} data-events={item.events.to_string()} data-denied={f.denied.to_string()}>
                <button class="finding-head" onclick={toggle} aria-expanded={open.to_string()} data-testid="finding-toggle"
                        title={if open { "Hide the details" } else { "Show why, what it needs and its events" }}>
                    <span class={classes!("sev-badge", format!("sev-{sev}"))}>{ severity_label(f.severity) }</span>
                    <span class="finding-main">
                        <span class="finding-title">{ &f.title }<span class="finding-id muted">{ format!(" {}", f.id) }</span></span>
                        <span class="finding-sub small">
                            <span class="finding-key" title={user_title(&f.key, "")}>{ key_label(&f.key) }</span>
                            if !item.object.is_empty() {
                                <span class="finding-obj mono" title={item.object.clone()}>{ visible(&item.object).into_owned() }</span>
                            }
                            <span class="finding-time mono" title={zone}>{ span }</span>
                        </span>
                    </span>
                    <span class="finding-count">
                        <span>{ requests }</span>
                        if f.denied > 0 { <span class="finding-denied">{ format!("{} denied", human_count(f.denied as u64)) }</span> }
                    </span>
                    <span class="finding-caret" aria-hidden="true">{ if open { "▾" } else { "▸" } }</span>
                </button>
                if open { { detail(props, item, rule, zone) } }
            </li>
        }
    });
    // The rules that cannot fire here first, then the most serious (pack order within).
    let mut quiet: Vec<&PackRule> = a
        .rules
        .iter()
        .filter(|r| !a.findings.iter().any(|f| f.finding.id == r.id))
        .collect();
    quiet.sort_by_key(|r| {
        (
            !support_text(&r.needs, &r.support).1,
            std::cmp::Reverse(r.severity),
        )
    });
    let blind = quiet
        .iter()
        .filter(|r| support_text(&r.needs, &r.support).1)
        .count();
    let quiet_rows = quiet.iter().map(|r| {
        let (sup, cannot) = support_text(&r.needs, &r.support);
        let sev = r.severity.as_str();
        html! {
            <tr data-testid="quiet-rule" data-id={r.id.clone()} data-cannot-fire={cannot.to_string()}>
                <td><span class={classes!("sev-badge", "small", format!("sev-{sev}"))}>{ severity_label(r.severity) }</span></td>
                <td class="mono nowrap">{ &r.id }</td>
                <td>{ &r.title }
                    if r.pack != "audit-lens" { <span class="muted small">{ format!(" ({})", r.pack) }</span> }</td>
                <td class="small">{ &r.needs }<br/>
                    <span class={classes!("small", if cannot { "support-blind" } else { "muted" })}>{ sup }</span></td>
            </tr>
        }
    });
    let narrowed = st.category.is_some() || st.severity.is_some();
    let clear_narrow = {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| {
            d.emit(FindingsAction::Category(None));
            d.emit(FindingsAction::Severity(None));
        })
    };
    html! {
        <div class="findings-view" data-testid="findings-view">
            <section class="panel findings-top" data-testid="findings-summary" data-findings={a.findings.len().to_string()}
                     data-rules={a.rules.len().to_string()} data-events={a.events.to_string()} data-elapsed-ms={format!("{:.1}", a.elapsed_ms)} data-phases={a.phases.clone()}>
                <div class="panel-head">
                    <h2>{"Findings"}</h2>
                    <span class="muted small">
                        { format!("{} from {} rules over {} · {}", if a.findings.len() == 1 { "1 finding".to_string() } else { format!("{} findings", a.findings.len()) },
                            a.rules.len(), crate::ui::format::events(a.events), crate::ui::format::duration_ms(a.elapsed_ms)) }
                        if running { { " · running again…" } }
                    </span>
                    <span class="spacer"></span>
                    { rules_bar }
                </div>
                <div class="sev-chips" role="group" aria-label="Findings by severity">{ for sev_chips }</div>
                if !cats.is_empty() {
                    <div class="cat-chips" role="group" aria-label="Findings by category">
                        <span class="muted small">{"Categories"}</span>
                        { for cat_chips }
                        if narrowed { <button class="button small ghost" onclick={clear_narrow} data-testid="findings-all">{"Show all"}</button> }
                    </div>
                }
                if !errors.is_empty() {
                    <div class="banner error findings-errors" role="alert" data-testid="findings-errors">
                        <div class="banner-text">
                            <b>{"Not run — the rest of the pack ran without these:"}</b>
                            <ul>{ for errors.iter().map(|e| html! { <li class="mono">{ visible(e).into_owned() }</li> }) }</ul>
                        </div>
                    </div>
                }
            </section>
            <section class="panel findings-list-panel">
                if a.findings.is_empty() {
                    <p class="muted" data-testid="findings-none">{ format!("No findings: none of the {} rules matched this log. The rules below say what each needs and what this log holds of it.", a.rules.len()) }</p>
                } else {
                    <p class="findings-order muted small">{ format!("Most serious first, then most recent · who or what the events share · the first event's object · first → last event ({zone}). Open a finding for why it matters and its events.") }</p>
                    <ul class="findings-list" data-testid="findings-list" aria-label="Findings, most serious and most recent first">{ for rows }</ul>
                    if list.is_empty() { <p class="muted">{"No finding of this severity and category."}</p> }
                }
            </section>
            <details class="panel findings-quiet" data-testid="findings-quiet">
                <summary><h2 class="inline">{ format!("Rules without findings ({})", quiet.len()) }</h2>
                    if blind > 0 { <span class="muted small">{ format!(" · {blind} cannot fire in this log") }</span> }</summary>
                <p class="muted small">{"What was checked and found nothing. A rule that cannot fire here needs requests this log does not record at the level or stage it reads: a finding of it could not appear whatever happened."}</p>
                <table class="grid quiet-rules">
                    <thead><tr><th>{"Severity"}</th><th>{"Rule"}</th><th>{"Title"}</th><th>{"Needs · this log"}</th></tr></thead>
                    <tbody>{ for quiet_rows }</tbody>
                </table>
            </details>
        </div>
    }
}

/// The finding whose details are open, if it is in the answer.
fn open_item(st: &FindingsState) -> Option<&FindingItem> {
    let (id, key) = st.open.as_ref()?;
    st.answer
        .as_ref()?
        .findings
        .iter()
        .find(|f| &f.finding.id == id && &f.finding.key == key)
}

/// The expanded part of a finding.
fn detail(
    props: &FindingsViewProps,
    item: &FindingItem,
    rule: Option<&PackRule>,
    zone: &str,
) -> Html {
    let st = &props.state;
    let f = &item.finding;
    let explore = {
        let (cb, filter) = (props.on_explore.clone(), f.filter.clone());
        Callback::from(move |_: MouseEvent| cb.emit((filter.clone(), None)))
    };
    // An object has a name (a pod created by its controller has none in the request).
    let named = !item.object.starts_with('/') && item.object.contains('/');
    let history = f.rows.first().filter(|_| named).map(|&row| {
        let cb = props.on_history.clone();
        Callback::from(move |_: MouseEvent| cb.emit(row))
    });
    let shown: Vec<u32> = f.rows.iter().take(st.shown).copied().collect();
    let got: Vec<Rc<EventLine>> = shown
        .iter()
        .filter_map(|r| st.lines.get(r).cloned())
        .collect();
    let audit_ids: Vec<&str> = got.iter().map(|l| l.audit_id.as_str()).collect();
    let loading = got.len() < shown.len();
    let lines = shown.iter().map(|&row| {
        let open = props.on_open_row.reform(move |_: MouseEvent| row);
        match st.lines.get(&row) {
            None => html! { <li class="muted small">{"reading…"}</li> },
            Some(l) => {
                let time = l.time_us.map(|us| dom::time_ms(us, props.local_time)).unwrap_or_else(|| "–".into());
                html! {
                    <li>
                        <button class="finding-event" onclick={open} data-testid="finding-event" data-row={row.to_string()} data-audit-id={l.audit_id.clone()}
                                title="Open this event in Explore">
                            <span class="mono fe-time">{ time }</span>
                            <span class="fe-verb">{ visible(&l.verb).into_owned() }</span>
                            <span class="fe-user" title={user_title(&l.user, &l.impersonated)}>{ user_label(&l.user, &l.impersonated) }</span>
                            if let Some(e) = &l.error {
                                <span class="fe-obj muted">{ visible(e).into_owned() }</span>
                            } else {
                                <span class="fe-obj mono" title={l.object.clone()}>{ visible(&l.object).into_owned() }</span>
                            }
                            <span class="fe-stage muted">{ visible(&l.stage).into_owned() }</span>
                            if l.code >= 400 { <span class={classes!("feed-code", crate::ui::format::code_class(l.code))}>{ l.code }</span> }
                            else { <span class="muted small">{ if l.code > 0 { l.code.to_string() } else { String::new() } }</span> }
                        </button>
                    </li>
                }
            }
        }
    });
    let more = (f.rows.len() > st.shown).then(|| {
        let onclick = props.dispatch.reform(|_: MouseEvent| FindingsAction::ShowMore);
        html! { <button class="button small" {onclick} data-testid="finding-more">{ format!("Show more ({} of {})", st.shown, f.rows.len()) }</button> }
    });
    let cut = (item.events as usize > f.rows.len()).then(|| {
        html! { <p class="muted small">{ format!("The first {} of {} events are listed here; Explore shows them all.", f.rows.len(), human_count(item.events as u64)) }</p> }
    });
    let (sup, cannot) = rule.map_or((String::new(), false), |r| {
        support_text(&r.needs, &r.support)
    });
    html! {
        <div class="finding-body" data-testid="finding-detail">
            if let Some(r) = rule {
                <p class="finding-why">{ &r.why }</p>
                <dl class="finding-facts">
                    if !r.mitre.is_empty() {
                        <dt>{"ATT&CK"}</dt>
                        <dd data-testid="finding-mitre">{ for r.mitre.iter().enumerate().map(|(i, (id, name))| html! {
                            <>
                                if i > 0 { {" · "} }
                                <span class="mitre"><span class="mono">{ id }</span>{ if name.is_empty() { String::new() } else { format!(" {name}") } }</span>
                            </>
                        }) }</dd>
                    }
                    <dt>{"Needs"}</dt>
                    <dd data-testid="finding-needs">{ r.needs.strip_prefix("needs ").unwrap_or(&r.needs) }<br/>
                        <span class={classes!("small", if cannot { "support-blind" } else { "muted" })} data-testid="finding-support">{ sup }</span></dd>
                    <dt>{"Rule"}</dt>
                    <dd><span class="mono">{ &r.id }</span><span class="muted">{ format!(" · category {} · pack {}", r.category, r.pack) }</span></dd>
                    <dt>{"Filter"}</dt>
                    <dd class="mono finding-filter" data-testid="finding-filter">{ visible(&f.filter).into_owned() }</dd>
                </dl>
            }
            <div class="finding-actions">
                <button class="button small primary" onclick={explore} data-testid="finding-explore"
                        title="Set Explore's filter to these events (and show the whole time span)">{ format!("Show {} in Explore", crate::ui::format::events(item.events as u64)) }</button>
                if let Some(h) = history {
                    <button class="button small" onclick={h} data-testid="finding-history" title="The requests, versions and field changes of the first event's object">
                        { format!("Object history: {}", crate::ui::format::cut_middle(&item.object, 60)) }</button>
                }
            </div>
            <h3 class="finding-events-head">{ format!("First events ({zone})") }</h3>
            <ul class="finding-events" data-testid="finding-events" data-audit-ids={audit_ids.join(",")} data-complete={(!loading && f.rows.len() <= st.shown).to_string()}>
                { for lines }
            </ul>
            { for more }
            { for cut }
        </div>
    }
}

/// The findings count in the summary bar.
#[derive(Properties, PartialEq)]
pub struct FindingsCountProps {
    pub state: FindingsState,
    pub on_click: Callback<()>,
}

#[function_component]
pub fn FindingsCount(props: &FindingsCountProps) -> Html {
    let onclick = props.on_click.reform(|_: MouseEvent| ());
    let Some((total, high)) = props.state.counts() else {
        return html! {
            if props.state.sent != 0 {
                <div class="stat"><span class="stat-label">{"Findings"}</span><span class="stat-value muted">{"running…"}</span></div>
            }
        };
    };
    let text = match (total, high) {
        (0, _) => "none".to_string(),
        (n, 0) => crate::ui::format::plural(n as u64, "finding", "findings"),
        (n, h) => format!(
            "{} · {h} high",
            crate::ui::format::plural(n as u64, "finding", "findings")
        ),
    };
    html! {
        <button class={classes!("stat", "findings-stat", (high > 0).then_some("alert"))} {onclick} data-testid="findings-count"
                data-findings={total.to_string()} data-high={high.to_string()}
                title="Findings of the detection pack (critical and high counted as high) — open the Findings view">
            <span class="stat-label">{"Findings"}</span>
            <span class="stat-value">{ text }</span>
        </button>
    }
}
