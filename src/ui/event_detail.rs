//! The event detail drawer: the original JSON (fetched from the file on demand),
//! pretty-printed and coloured, objects collapsible (request/response bodies start closed
//! when large), a copy button, the other stages of the request, the deciding policy rule.
//!
//! Log content is untrusted: it is only ever put in the page as text nodes.

use super::format::visible;
use crate::ui::dom;
use crate::util::human_duration_micros;
use crate::web::protocol::{EventDetail, NextAnswer};
use std::rc::Rc;
use yew::prelude::*;

/// A JSON value with its scalars kept as written (escapes, number spelling, key order).
#[derive(Debug, PartialEq)]
pub enum J {
    Obj(Vec<(String, Rc<J>)>),
    Arr(Vec<Rc<J>>),
    Str(String),
    Num(String),
    Lit(String),
}

/// Deepest nesting shown as a tree (deeper documents are shown as text).
const MAX_DEPTH: u32 = 64;

struct P<'a> {
    s: &'a str,
    i: usize,
}

impl P<'_> {
    fn ws(&mut self) {
        let b = self.s.as_bytes();
        while self.i < b.len() && b[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn string(&mut self) -> Option<String> {
        let b = self.s.as_bytes();
        let start = self.i;
        self.i += 1;
        while self.i < b.len() {
            match b[self.i] {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return self.s.get(start..self.i).map(str::to_string);
                }
                _ => self.i += 1,
            }
        }
        None
    }
    fn value(&mut self, depth: u32) -> Option<J> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        let b = self.s.as_bytes();
        match *b.get(self.i)? {
            b'{' => {
                self.i += 1;
                let mut v = Vec::new();
                loop {
                    self.ws();
                    match *b.get(self.i)? {
                        b'}' => {
                            self.i += 1;
                            return Some(J::Obj(v));
                        }
                        b',' => self.i += 1,
                        b'"' => {
                            let k = self.string()?;
                            self.ws();
                            if *b.get(self.i)? != b':' {
                                return None;
                            }
                            self.i += 1;
                            let x = self.value(depth + 1)?;
                            v.push((k, Rc::new(x)));
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut v = Vec::new();
                loop {
                    self.ws();
                    match *b.get(self.i)? {
                        b']' => {
                            self.i += 1;
                            return Some(J::Arr(v));
                        }
                        b',' => self.i += 1,
                        _ => v.push(Rc::new(self.value(depth + 1)?)),
                    }
                }
            }
            b'"' => self.string().map(J::Str),
            c if c == b'-' || c.is_ascii_digit() => {
                let st = self.i;
                while self.i < b.len()
                    && matches!(b[self.i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    self.i += 1;
                }
                Some(J::Num(self.s[st..self.i].to_string()))
            }
            _ => {
                let st = self.i;
                while self.i < b.len() && b[self.i].is_ascii_alphabetic() {
                    self.i += 1;
                }
                let w = &self.s[st..self.i];
                matches!(w, "true" | "false" | "null").then(|| J::Lit(w.to_string()))
            }
        }
    }
}

/// Parses `s` as one JSON value; `None` when it is not (then the text is shown as is).
pub fn parse_json(s: &str) -> Option<J> {
    let mut p = P { s, i: 0 };
    let v = p.value(0)?;
    p.ws();
    (p.i == s.len()).then_some(v)
}

/// Pretty-prints with two-space indentation (for the copy button).
pub fn pretty(j: &J, ind: usize, out: &mut String) {
    let pad = |n: usize| "  ".repeat(n);
    match j {
        J::Obj(v) if v.is_empty() => out.push_str("{}"),
        J::Arr(v) if v.is_empty() => out.push_str("[]"),
        J::Obj(v) => {
            out.push_str("{\n");
            for (k, (key, x)) in v.iter().enumerate() {
                out.push_str(&pad(ind + 1));
                out.push_str(key);
                out.push_str(": ");
                pretty(x, ind + 1, out);
                out.push_str(if k + 1 < v.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(ind));
            out.push('}');
        }
        J::Arr(v) => {
            out.push_str("[\n");
            for (k, x) in v.iter().enumerate() {
                out.push_str(&pad(ind + 1));
                pretty(x, ind + 1, out);
                out.push_str(if k + 1 < v.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(ind));
            out.push(']');
        }
        J::Str(s) | J::Num(s) | J::Lit(s) => out.push_str(s),
    }
}

fn size(j: &J) -> usize {
    match j {
        J::Obj(v) => v.iter().map(|(k, x)| k.len() + size(x)).sum::<usize>() + 2,
        J::Arr(v) => v.iter().map(|x| size(x)).sum::<usize>() + 2,
        J::Str(s) | J::Num(s) | J::Lit(s) => s.len(),
    }
}

/// An object member (key as written) or an array item (no key).
type Member = (Option<String>, Rc<J>);

#[derive(Properties, PartialEq)]
struct NodeProps {
    node: Rc<J>,
    /// The key as written (with quotes), for object members.
    name: Option<AttrValue>,
    comma: bool,
    open: bool,
}

/// One JSON value; objects and arrays fold. Closed nodes do not render their children.
#[function_component]
fn JsonNode(props: &NodeProps) -> Html {
    let open = use_state(|| props.open);
    let key = props
        .name
        .as_ref()
        .map(|k| html! { <><span class="jk">{ visible(k).into_owned() }</span>{": "}</> });
    let comma = props.comma.then_some(",");
    let (o, c, items): (&str, &str, Vec<Member>) = match &*props.node {
        J::Obj(v) => (
            "{",
            "}",
            v.iter()
                .map(|(k, x)| (Some(k.clone()), x.clone()))
                .collect(),
        ),
        J::Arr(v) => ("[", "]", v.iter().map(|x| (None, x.clone())).collect()),
        J::Str(s) => {
            return html! { <div class="jl">{ key }<span class="js">{ visible(s).into_owned() }</span>{ comma }</div> }
        }
        J::Num(s) => {
            return html! { <div class="jl">{ key }<span class="jn">{ s }</span>{ comma }</div> }
        }
        J::Lit(s) => {
            return html! { <div class="jl">{ key }<span class="jb">{ s }</span>{ comma }</div> }
        }
    };
    if items.is_empty() {
        return html! { <div class="jl">{ key }{ o }{ c }{ comma }</div> };
    }
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    if !*open {
        let what = if o == "{" { "keys" } else { "items" };
        return html! {
            <div class="jl"><button class="jt" onclick={toggle} aria-expanded="false">{"▸"}</button>{ key }{ o }
                <span class="jsum">{ format!("… {} {what}, {} B", items.len(), size(&props.node)) }</span>{ c }{ comma }</div>
        };
    }
    let n = items.len();
    html! {
        <div class="jo">
            <div class="jl"><button class="jt" onclick={toggle} aria-expanded="true">{"▾"}</button>{ key }{ o }</div>
            <div class="jc">
                { for items.into_iter().enumerate().map(|(k, (key, x))| {
                    let big = size(&x) > 4096;
                    let name = key.as_deref().unwrap_or("");
                    let open = !(name == "\"managedFields\"" || (big && (name == "\"requestObject\"" || name == "\"responseObject\"")));
                    html! { <JsonNode node={x} name={key.map(AttrValue::from)} comma={k + 1 < n} {open} /> }
                }) }
            </div>
            <div class="jl">{ c }{ comma }</div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct EventDetailProps {
    /// The row asked for (the detail may still be loading).
    pub row: u32,
    pub detail: Option<Rc<EventDetail>>,
    pub local_time: bool,
    pub on_close: Callback<()>,
    pub on_open_row: Callback<u32>,
    /// Opens the history of the object this event is about (store row).
    #[prop_or_default]
    pub on_history: Callback<u32>,
    /// What happened next (issue 12), when the worker sent it.
    #[prop_or_default]
    pub next: Option<Rc<NextAnswer>>,
    /// Opens the Actor view of a user or address (issue 12).
    #[prop_or_default]
    pub on_actor: Callback<String>,
}

#[function_component]
pub fn EventDetailPanel(props: &EventDetailProps) -> Html {
    let close = props.on_close.reform(|_: MouseEvent| ());
    let d = props.detail.as_ref().filter(|d| d.row == props.row);
    // The case (issue 16): pin this event, or unpin it.
    let case = use_context::<crate::ui::case_pane::CaseCtx>();
    let pin = d.filter(|d| !d.audit_id.is_empty() && d.error.is_none()).and_then(|d| {
        let case = case.as_ref()?;
        let pinned = case
            .pinned
            .iter()
            .any(|(a, s)| *a == d.audit_id && *s == d.stage);
        let time = d
            .stages
            .iter()
            .find(|s| s.row == d.row)
            .map_or(0, |s| s.time_us);
        let (a, st, raw) = (d.audit_id.clone(), d.stage.clone(), d.raw.clone());
        let onclick = case
            .on_pin
            .reform(move |_: MouseEvent| (a.clone(), st.clone(), time, raw.clone()));
        Some(html! {
            <button class={classes!("button", "small", "pin-button", pinned.then_some("pinned"))} {onclick} data-testid="pin-event"
                aria-pressed={pinned.to_string()}
                title={ if pinned { "Pinned to the case: click to unpin (Undo in the case pane brings it back)" } else { "Pin this event to the case: add a note and tags in the case pane; the case exports as one file" } }>
                { if pinned { "★ Pinned" } else { "☆ Pin" } }</button>
        })
    });
    let tree = use_memo(d.map(|d| d.raw.clone()), |raw| {
        raw.as_ref().and_then(|r| parse_json(r)).map(Rc::new)
    });
    // A newly opened event starts at its top, whatever the previous one was scrolled to.
    let body_ref = use_node_ref();
    {
        let body_ref = body_ref.clone();
        use_effect_with((props.row, d.is_some()), move |_| {
            if let Some(el) = body_ref.cast::<web_sys::Element>() {
                el.set_scroll_top(0);
            }
        });
    }
    let body = match d {
        None => {
            html! { <p class="muted">{"Reading the event from the file… (a gzip file is decompressed up to the event, which may take a moment)"}</p> }
        }
        Some(d) => {
            let copy = {
                let text = match tree.as_ref() {
                    Some(t) => {
                        let mut s = String::new();
                        pretty(t, 0, &mut s);
                        s
                    }
                    None => d.raw.clone(),
                };
                Callback::from(move |_: MouseEvent| dom::copy_text(text.clone()))
            };
            let copy_raw = {
                let raw = d.raw.clone();
                Callback::from(move |_: MouseEvent| dom::copy_text(raw.clone()))
            };
            let stages = (d.stages.len() > 1).then(|| {
                html! {
                    <div class="stages-list">
                        <h3>{"Stages of this request"}</h3>
                        { for d.stages.iter().map(|s| {
                            let cur = s.row == d.row;
                            let row = s.row;
                            let onclick = props.on_open_row.reform(move |_: MouseEvent| row);
                            html! {
                                <button class={classes!("stage-link", cur.then_some("cur"))} {onclick} disabled={cur} data-testid="stage-link">
                                    <b>{ &s.stage }</b>
                                    <span class="muted">{ format!(" {} · +{}{}", dom::time_ms(s.time_us, props.local_time).get(11..).unwrap_or(""), s.latency_us.map_or_else(|| "–".to_string(), |l| human_duration_micros(l as i64)), if s.code > 0 { format!(" · {}", s.code) } else { String::new() }) }</span>
                                </button>
                            }
                        }) }
                    </div>
                }
            });
            let rule = d.rule.as_ref().map(|r| {
                html! {
                    <div class="rule-why" data-testid="rule-why">
                        <h3>{ match r.rule { Some(i) => format!("Policy rule {i} → level {}", r.level), None => format!("No rule matches → level {}", r.level) } }</h3>
                        <p>{ &r.why }</p>
                        if !r.omit_stages.is_empty() { <p class="muted">{ format!("Omitted stages: {}", r.omit_stages.join(", ")) }</p> }
                        if !r.source.is_empty() {
                            <pre class="rule-src mono"><span class="muted">{ format!("{}:{}\n", r.policy, r.line) }</span>{ &r.source }</pre>
                        }
                    </div>
                }
            });
            let readable = d.readable.as_ref().map(|x| {
                let verdicts = x.verdicts.iter().map(|v| {
                    html! {
                        <li class={classes!("verdict", v.denied.then_some("denied"))} data-testid="verdict" data-source={v.source.clone()} data-denied={v.denied.to_string()}>
                            <b>{ &v.source }</b>{": "}<span class="outcome">{ &v.outcome }</span>
                            if !v.reason.is_empty() { {" — "}<span class="why">{ visible(&v.reason).into_owned() }</span> }
                        </li>
                    }
                });
                let facts = x.facts.iter().map(|f| {
                    html! {
                        <li class={classes!("fact", f.alert.then_some("alert"))} data-testid="fact" data-label={f.label.clone()}>
                            if f.alert { <span class="sr-only">{"Risk: "}</span> }
                            <b>{ &f.label }</b>
                            if !f.value.is_empty() { {" "}<span class="mono">{ visible(&f.value).into_owned() }</span> }
                        </li>
                    }
                });
                html! {
                    <div class="readable" data-testid="event-readable">
                        <p class="event-summary" data-testid="event-summary">{ visible(&x.summary).into_owned() }</p>
                        { for x.impersonation.as_ref().map(|n| html! { <p class="imp-note small" data-testid="impersonation-note">{ visible(n).into_owned() }</p> }) }
                        if !x.verdicts.is_empty() {
                            <h3 class="small">{"Decision"}</h3>
                            <ul class="verdicts">{ for verdicts }</ul>
                        }
                        if !x.facts.is_empty() {
                            <h3 class="small">{"Security facts"}</h3>
                            <ul class="facts" data-testid="facts">{ for facts }</ul>
                        }
                    </div>
                }
            });
            let json = match (tree.as_ref(), &d.error) {
                (_, Some(e)) => html! { <p class="banner error">{ e }</p> },
                (Some(t), None) => {
                    html! { <div class="json mono" data-testid="event-json"><JsonNode node={t.clone()} name={None::<AttrValue>} comma={false} open={true} /></div> }
                }
                (None, None) => {
                    html! { <pre class="json mono" data-testid="event-json">{ &d.raw }</pre> }
                }
            };
            html! {
                <>
                    <div class="detail-meta">
                        <span class="mono small muted" title="File and byte offset of the record">{ format!("{} @ byte {}", d.file, d.offset) }</span>
                        if !d.verbatim && d.error.is_none() {
                            <span class="badge small" data-testid="event-reformatted" title={ if d.wrapped { "The event was taken out of its wrapper record; \"Copy raw\" and exports give it alone, compacted onto one line (keys and values as in the file)" } else { "The event is pretty-printed in the file; \"Copy raw\" and exports give it compacted onto one line (keys and values as in the file)" } }>
                                { if d.wrapped { "unwrapped from its wrapper, compacted" } else { "compacted from a pretty-printed document" } }
                            </span>
                        }
                        <span class="spacer"></span>
                        if let Some((short, obj)) = crate::ui::history_view::object_label(&d.raw) {
                            <button class="button small obj-link" onclick={props.on_history.reform({ let row = d.row; move |_: MouseEvent| row })}
                                data-testid="detail-object-link" title={format!("History of {}: every request on it, its versions and what changed", visible(&obj))}>{ format!("History of {}", visible(&short)) }</button>
                        }
                        <button class="button small" onclick={copy} data-testid="copy-json" title="Copy the pretty-printed JSON">{"Copy JSON"}</button>
                        <button class="button small ghost" onclick={copy_raw} title="Copy the event as one line: its line in the file, or the event alone, compacted, when it came from a wrapper or a pretty document">{"Copy raw"}</button>
                    </div>
                    { for readable }
                    { for rule }
                    { for stages }
                    { next_block(props) }
                    { json }
                </>
            }
        }
    };
    html! {
        <aside class="detail-drawer" data-testid="event-detail" aria-label="Event detail"
               data-audit-id={d.map(|d| d.audit_id.clone())} data-stage={d.map(|d| d.stage.clone())}
               data-verbatim={d.map(|d| d.verbatim.to_string())} data-row={d.map(|d| d.row.to_string())}>
            <div class="panel-head">
                <h2>{"Event"}</h2>
                <span class="spacer"></span>
                { for pin }
                <button class="button small ghost" onclick={close} title="Close (Esc)" aria-label="Close">{"✕"}</button>
            </div>
            <div class="detail-body" ref={body_ref}>{ body }</div>
        </aside>
    }
}

/// "What happened next": the next requests by the same identity and on the same object
/// (issue 12); a click opens one, the actor's name opens its Actor view.
fn next_block(props: &EventDetailProps) -> Html {
    let Some(n) = props
        .next
        .as_ref()
        .and_then(|a| a.next.as_ref())
        .filter(|n| n.row == props.row)
    else {
        return html! {};
    };
    let list = |items: &[crate::web::protocol::NextItem], none: &str, testid: &'static str| {
        if items.is_empty() {
            return html! { <p class="muted small">{ none.to_string() }</p> };
        }
        html! {
            <ol class="next-list" data-testid={testid}>
                { for items.iter().map(|i| {
                    let row = i.row;
                    let onclick = props.on_open_row.reform(move |_: MouseEvent| row);
                    html! {
                        <li><button class="next-link" {onclick} data-row={row.to_string()} title="Open this event">
                            <span class="mono muted">{ dom::time_ms(i.time_us, props.local_time).get(5..19).unwrap_or("").to_string() }</span>
                            { " " }{ visible(&i.sentence).into_owned() }
                        </button></li>
                    }
                }) }
            </ol>
        }
    };
    // The actor to open: the impersonated user when there is one (who acted).
    let who = if n.impersonated_user.is_empty() {
        n.user.clone()
    } else {
        n.impersonated_user.clone()
    };
    let open_actor = {
        let who = who.clone();
        props.on_actor.reform(move |_: MouseEvent| who.clone())
    };
    html! {
        <section class="next-block" data-testid="next-block">
            <h3>{"What happened next"}</h3>
            <div class="two-col">
                <div>
                    <h4>{"By "}
                        <button class="linkish" onclick={open_actor} data-testid="next-actor" data-actor={who} title="Open the Actor view">{ visible(&n.actor).into_owned() }</button>
                    </h4>
                    { list(&n.by_actor, "Nothing later by this identity in the loaded logs.", "next-by-actor") }
                </div>
                <div>
                    <h4>{ format!("On {}", visible(&n.object)) }</h4>
                    { list(&n.on_object, "Nothing later on this object in the loaded logs.", "next-on-object") }
                </div>
            </div>
        </section>
    }
}
