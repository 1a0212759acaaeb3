//! The Explore view, as far as the engine answers today: per-file counts and time spans,
//! and the first rejected lines with their reasons.

use crate::ui::format;
use crate::web::protocol::{FileSummary, Summary};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ExploreProps {
    pub summary: Option<Rc<Summary>>,
}

fn file_row(f: &FileSummary) -> Html {
    let span = match (f.first_us, f.last_us) {
        (Some(a), Some(b)) => format!(
            "{} → {} ({})",
            format::time(a),
            format::time(b),
            format::duration_us(b - a)
        ),
        _ => "–".into(),
    };
    let mut kind = f.format.clone();
    if f.gzip {
        kind = format!("gzip, {kind}");
    }
    for (w, n) in &f.wrappers {
        kind = format!("{kind}, inside {w} ({n})");
    }
    html! {
        <tr data-testid="file-row" data-events={f.events.to_string()} data-rejected={f.rejected.to_string()}>
            <td class="name" title={f.name.clone()}>{ &f.name }
                if let Some(d) = &f.diagnosis { <div class="diagnosis">{ d }</div> }
            </td>
            <td class="num" title={format!("{} bytes", f.bytes)}>{ format::bytes(f.bytes) }</td>
            <td>{ kind }</td>
            <td class="num" title={f.events.to_string()}>{ crate::util::human_count(f.events) }</td>
            <td class={classes!("num", (f.rejected > 0).then_some("warn"))} title={f.rejected.to_string()}>{ crate::util::human_count(f.rejected) }</td>
            <td class="mono">{ span }</td>
        </tr>
    }
}

#[function_component]
pub fn ExploreView(props: &ExploreProps) -> Html {
    let Some(s) = &props.summary else {
        return html! {
            <div class="empty">{"No log loaded yet. Drop an audit log, or load the sample, to explore it."}</div>
        };
    };
    html! {
        <div class="explore">
            <section class="panel">
                <h2>{"Files"}</h2>
                <table class="grid">
                    <thead><tr>
                        <th>{"File"}</th><th class="num">{"Size"}</th><th>{"Format"}</th>
                        <th class="num">{"Events"}</th><th class="num">{"Rejected"}</th><th>{"Time span (UTC)"}</th>
                    </tr></thead>
                    <tbody>{ for s.files.iter().map(file_row) }</tbody>
                </table>
            </section>
            if !s.rejections.is_empty() {
                <section class="panel" data-testid="rejections">
                    <h2>{ format!("Rejected lines — first {} of {}", s.rejections.len(), s.rejected) }</h2>
                    <p class="muted">{"These input lines are not audit events; they are counted but not loaded."}</p>
                    <ul class="rejections mono">
                        { for s.rejections.iter().map(|r| html! {
                            <li><span class="where">{ format!("{}:{}", r.file, r.line) }</span>{": "}{ &r.reason }</li>
                        }) }
                    </ul>
                </section>
            }
        </div>
    }
}
