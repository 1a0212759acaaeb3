//! The load progress: a bar, bytes, rate, events, time left, and Cancel.

use crate::ui::format;
use crate::ui::state::Loading;
use crate::web::protocol::Phase;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ProgressProps {
    pub loading: Loading,
    pub on_cancel: Callback<()>,
}

/// What the worker is doing, in words.
fn phase_text(phase: Phase) -> &'static str {
    match phase {
        Phase::Reading => "Reading",
        Phase::Generating => "Generating the sample",
        Phase::Sorting => "Sorting events by time",
    }
}

#[function_component]
pub fn ProgressPanel(props: &ProgressProps) -> Html {
    let cancel = props.on_cancel.reform(|_: MouseEvent| ());
    let cancelling = props.loading.cancelling;
    let (title, bar, stats) = match &props.loading.progress {
        None => (
            "Starting…".to_string(),
            html! { <progress aria-label="Loading" /> },
            html! {},
        ),
        Some(p) => {
            let file = if p.files > 1 {
                format!(
                    "{} {} ({} of {})",
                    phase_text(p.phase),
                    p.file,
                    p.file_index + 1,
                    p.files
                )
            } else {
                format!("{} {}", phase_text(p.phase), p.file)
            };
            let bar = if p.bytes_total > 0 {
                html! { <progress aria-label="Loading" max={p.bytes_total.to_string()} value={p.bytes_done.to_string()} /> }
            } else {
                html! { <progress aria-label="Loading" /> }
            };
            let stats = html! {
                <>
                    <span data-testid="progress-bytes">{ format!("{} of {}", format::bytes(p.bytes_done), format::bytes(p.bytes_total)) }
                        if let Some(d) = p.gzip_decoded { <span class="muted" title="The file is gzip: sizes and rate count compressed bytes">{ format!(" gzip · {} of log", format::bytes(d)) }</span> }
                    </span>
                    <span>{ format::rate_mb_s(p).map_or_else(|| "– MB/s".to_string(), |r| format!("{r:.0} MB/s")) }</span>
                    <span data-events={p.events.to_string()}>{ format::events(p.events) }</span>
                    <span>{ format::eta(p).map_or_else(|| "time left: –".to_string(), |t| format!("about {t} left")) }</span>
                </>
            };
            (file, bar, stats)
        }
    };
    html! {
        <section class="progress-panel" data-testid="progress" aria-live="polite" aria-busy="true">
            <div class="progress-head">
                <span class="progress-title">{ title }</span>
                <button class="button small" onclick={cancel} disabled={cancelling} data-testid="cancel">
                    { if cancelling { "Cancelling…" } else { "Cancel" } }
                </button>
            </div>
            { bar }
            <div class="progress-stats">{ stats }</div>
        </section>
    }
}
