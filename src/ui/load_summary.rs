//! The loaded set in one line of key numbers (`load-summary`, exact counts in `data-*`).

use crate::ui::format;
use crate::web::protocol::Summary;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LoadSummaryProps {
    pub summary: Rc<Summary>,
    /// Shown after the numbers (the findings count, issue 13).
    #[prop_or_default]
    pub children: Html,
}

#[function_component]
pub fn LoadSummary(props: &LoadSummaryProps) -> Html {
    let s = &*props.summary;
    let span = match (s.first_us, s.last_us) {
        (Some(a), Some(b)) => html! {
            <div class="stat wide" title="requestReceivedTimestamp of the first and last event, UTC">
                <span class="stat-label">{"Time span (UTC)"}</span>
                <span class="stat-value">{ format!("{} → {}", format::time(a), format::time(b)) }
                    <span class="muted">{ format!(" · {}", format::duration_us(b - a)) }</span></span>
            </div>
        },
        _ => html! {
            <div class="stat wide"><span class="stat-label">{"Time span"}</span><span class="stat-value muted">{"no events"}</span></div>
        },
    };
    let per_event = (s.events > 0).then(|| s.memory_bytes / s.events);
    // Skipped records that are no audit events (other services), by kind over all files.
    let mut kinds: Vec<(String, u64)> = Vec::new();
    for (k, n) in s.files.iter().flat_map(|f| f.skipped_kinds.iter()) {
        match kinds.iter_mut().find(|(x, _)| x == k) {
            Some((_, m)) => *m += n,
            None => kinds.push((k.clone(), *n)),
        }
    }
    let other: u64 = kinds.iter().map(|(_, n)| n).sum();
    let outside = s.skipped.saturating_sub(s.duplicates).saturating_sub(other);
    html! {
        <section class="load-summary" data-testid="load-summary" aria-label="Loaded files"
                 data-events={s.events.to_string()} data-rejected={s.rejected.to_string()} data-skipped={s.skipped.to_string()} data-duplicates={s.duplicates.to_string()} data-memory-bytes={s.memory_bytes.to_string()} data-heap-bytes={s.heap_bytes.to_string()} data-files={s.files.len().to_string()}>
            <div class="stat"><span class="stat-label">{"Files"}</span><span class="stat-value">{ s.files.len() }</span></div>
            <div class="stat"><span class="stat-label">{"Events"}</span><span class="stat-value" title={s.events.to_string()}>{ crate::util::human_count(s.events) }</span></div>
            <div class="stat"><span class="stat-label">{"Size"}</span><span class="stat-value">{ format::bytes(s.bytes) }</span></div>
            { span }
            <div class={classes!("stat", (s.rejected > 0).then_some("warn"))}>
                <span class="stat-label">{"Rejected lines"}</span>
                <span class="stat-value" title={s.rejected.to_string()}>{ crate::util::human_count(s.rejected) }</span>
            </div>
            if outside > 0 {
                <div class="stat" title="Valid events outside the time window chosen for loading: counted, not kept">
                    <span class="stat-label">{"Outside window"}</span>
                    <span class="stat-value" title={outside.to_string()}>{ crate::util::human_count(outside) }</span>
                </div>
            }
            if other > 0 {
                <div class="stat wide" data-testid="skipped-kinds" data-skipped-other={other.to_string()}
                     title="Valid records that are no Kubernetes audit events (other Google Cloud services' audit entries): counted as skipped, not loaded">
                    <span class="stat-label">{"Skipped, not Kubernetes"}</span>
                    <span class="stat-value">{ crate::util::human_count(other) }
                        <span class="muted">{ format!(" · {}", kinds.iter().map(|(k, n)| format!("{n} {k}")).collect::<Vec<_>>().join(", ")) }</span></span>
                </div>
            }
            if s.duplicates > 0 {
                <div class="stat" title="Events that a file loaded before already holds (same auditID, stage and time): kept once, counted as skipped">
                    <span class="stat-label">{"Already loaded"}</span>
                    <span class="stat-value" data-testid="duplicates" title={s.duplicates.to_string()}>{ crate::util::human_count(s.duplicates) }</span>
                </div>
            }
            <div class="stat" title={format!("Memory the engine uses for the loaded events; its whole heap is {} (at most 4 GB in a tab)", format::bytes(s.heap_bytes))}>
                <span class="stat-label">{"Memory"}</span>
                <span class="stat-value">{ format::bytes(s.memory_bytes) }
                    if let Some(b) = per_event { <span class="muted">{ format!(" · {b} B/event") }</span> }
                </span>
            </div>
            <div class="stat"><span class="stat-label">{"Last load took"}</span><span class="stat-value">{ format::duration_ms(s.load_ms) }</span></div>
            { props.children.clone() }
        </section>
    }
}
