//! Where files come in: the drop zone with "Open files…", "Load policy…" and "Load sample".
//!
//! Large on the landing view, a compact bar once something is loaded (dropping more files
//! adds to the set). Only one drop zone is on the page at a time, so the element ids and
//! `data-testid`s (`drop-zone`, `file-input`, `policy-input`, `load-sample`) are unique.

use web_sys::{DragEvent, File, FileList, HtmlInputElement};
use yew::prelude::*;

/// The files of a `FileList`, in order.
pub fn files_of(list: Option<FileList>) -> Vec<File> {
    list.map(|l| (0..l.length()).filter_map(|i| l.get(i)).collect())
        .unwrap_or_default()
}

#[derive(Properties, PartialEq)]
pub struct DropZoneProps {
    /// The bar variant (workspace) instead of the big landing zone.
    pub compact: bool,
    /// Files chosen or dropped; `true` when they came from "Load policy…".
    pub on_files: Callback<(Vec<File>, bool)>,
    pub on_sample: Callback<()>,
    /// Shown as a "Clear" button when set.
    #[prop_or_default]
    pub on_clear: Option<Callback<()>>,
}

#[function_component]
pub fn DropZone(props: &DropZoneProps) -> Html {
    let over = use_state(|| false);
    let file_ref = use_node_ref();
    let policy_ref = use_node_ref();

    let ondragenter = {
        let over = over.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            over.set(true);
        })
    };
    let ondragover = Callback::from(|e: DragEvent| {
        e.prevent_default();
        if let Some(dt) = e.data_transfer() {
            dt.set_drop_effect("copy");
        }
    });
    let ondragleave = {
        let over = over.clone();
        Callback::from(move |_: DragEvent| over.set(false))
    };
    let ondrop = {
        let over = over.clone();
        let on_files = props.on_files.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            e.stop_propagation();
            over.set(false);
            on_files.emit((files_of(e.data_transfer().and_then(|d| d.files())), false));
        })
    };
    let picked = |as_policy: bool| {
        let on_files = props.on_files.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let files = files_of(input.files());
            input.set_value(""); // so that picking the same file again loads it again
            if !files.is_empty() {
                on_files.emit((files, as_policy));
            }
        })
    };
    let click = |r: &NodeRef| {
        let r = r.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(input) = r.cast::<HtmlInputElement>() {
                input.click();
            }
        })
    };
    let sample = props.on_sample.reform(|_: MouseEvent| ());
    let class = classes!(
        "drop-zone",
        props.compact.then_some("compact"),
        (*over).then_some("over")
    );

    html! {
        <section {class} data-testid="drop-zone" aria-label="Drop audit logs and policies here"
                 {ondragenter} {ondragover} {ondragleave} {ondrop}>
            if props.compact {
                <span class="drop-hint">{"Drop more logs or a policy anywhere to add them"}</span>
            } else {
                <h1 class="drop-title">{"Drop kube-apiserver audit logs and audit policies here"}</h1>
                <p class="drop-sub">
                    {"JSON lines, JSON arrays or EventLists, gzip-rotated files, AKS/Azure exports. "}
                    {"Logs and policies are told apart by their content. Nothing leaves your browser."}
                </p>
            }
            <div class="drop-actions">
                <input ref={file_ref.clone()} id="file-input" class="visually-hidden" type="file" multiple=true
                       tabindex="-1" aria-label="Audit log or policy files" data-testid="file-input" onchange={picked(false)} />
                <input ref={policy_ref.clone()} id="policy-input" class="visually-hidden" type="file"
                       accept=".yaml,.yml,.json,text/yaml,application/json" tabindex="-1"
                       aria-label="Audit policy file" data-testid="policy-input" onchange={picked(true)} />
                <button class="button primary" onclick={click(&file_ref)} title="Open files (o)">{"Open files…"}</button>
                <button class="button" onclick={click(&policy_ref)} title="Load a policy (p)">{"Load policy…"}</button>
                <button class="button" onclick={sample} data-testid="load-sample" title="Load the sample (s)">{"Load sample"}</button>
                if let Some(clear) = &props.on_clear {
                    <span class="spacer"></span>
                    <crate::ui::header::ClearButton on_clear={clear.clone()} />
                }
            </div>
        </section>
    }
}

// ---- case files (issue 16) ----------------------------------------------------------

/// Reads bytes `[start, end)` of a `File` on the main thread.
async fn read_bytes(f: &File, start: f64, end: f64) -> Option<Vec<u8>> {
    let part = f.slice_with_f64_and_f64(start, end).ok()?;
    let buf = wasm_bindgen_futures::JsFuture::from(part.array_buffer())
        .await
        .ok()?;
    Some(js_sys::Uint8Array::new(&buf).to_vec())
}

/// Splits dropped or picked files into case files and the rest, by content: a file whose
/// first bytes start a case (`crate::case::file::may_be_case`) is read whole and parsed;
/// a case goes to `on_case` (with its name), the rest (in their order) to `on_logs` —
/// also a file that only looked like a case and is not one, so the log routing still
/// decides what it is. Gzip files and files over the case size limit are not opened.
pub fn route_cases(
    files: Vec<File>,
    on_case: Callback<(String, Result<crate::case::Case, String>)>,
    on_logs: Callback<Vec<File>>,
) {
    use crate::case::file::{looks_like_case, may_be_case, MAX_CASE_BYTES};
    wasm_bindgen_futures::spawn_local(async move {
        let mut logs = Vec::new();
        for f in files {
            let size = f.size();
            if size < 2.0 || size > MAX_CASE_BYTES as f64 {
                logs.push(f);
                continue;
            }
            let head = read_bytes(&f, 0.0, size.min(4096.0))
                .await
                .unwrap_or_default();
            if !may_be_case(&head) {
                logs.push(f);
                continue;
            }
            let Some(all) = read_bytes(&f, 0.0, size).await else {
                on_case.emit((f.name(), Err("the browser could not read it".into())));
                continue;
            };
            match crate::case::Case::parse(&all) {
                Ok(c) => on_case.emit((f.name(), Ok(c))),
                // It starts like a case but is broken: say why rather than read it as a log.
                Err(e) if looks_like_case(&head) => on_case.emit((f.name(), Err(e))),
                Err(_) => logs.push(f),
            }
        }
        if !logs.is_empty() {
            on_logs.emit(logs);
        }
    });
}
