//! The worker's reading and ingest code, run inside a real dedicated worker (Chromium):
//! a `Blob` of a few events read in slices of any size gives the same counts, and the
//! summary reports spans and rejected lines as the UI shows them.
#![cfg(target_arch = "wasm32")]

use audit_lens::store::Store;
use audit_lens::web::reader::{load_blob, next_range, read_slice, read_slice_sync, SLICE};
use audit_lens::web::summary::summarize;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn event(id: u32, time: &str) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"6c1d4bb7-0b5a-4f0c-9f62-3f3b1a2f{id:04x}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"list","user":{{"username":"alice"}},"sourceIPs":["10.0.0.1"],"objectRef":{{"resource":"pods","namespace":"default","apiVersion":"v1"}},"responseStatus":{{"code":200}},"requestReceivedTimestamp":"{time}","stageTimestamp":"{time}"}}"#
    )
}

/// Three events (out of time order) and one line that is not JSON.
fn log_text() -> String {
    format!(
        "{}\n{}\nnot json at all\n{}\n",
        event(1, "2024-05-01T10:00:00Z"),
        event(2, "2024-05-01T13:12:00Z"),
        event(3, "2024-05-01T09:00:00Z")
    )
}

fn blob(text: &str) -> web_sys::Blob {
    web_sys::Blob::new_with_str_sequence(&js_sys::Array::of1(&text.into())).unwrap()
}

#[wasm_bindgen_test]
fn slice_ranges() {
    assert_eq!(next_range(0, 0, 10), None, "empty file: nothing to read");
    assert_eq!(next_range(0, 5, 10), Some((0, 5)));
    assert_eq!(next_range(0, 25, 10), Some((0, 10)));
    assert_eq!(next_range(20, 25, 10), Some((20, 25)));
    assert_eq!(next_range(25, 25, 10), None);
    assert_eq!(
        next_range(0, 3, 0),
        Some((0, 1)),
        "a zero slice size still advances"
    );
}

#[wasm_bindgen_test]
async fn async_and_sync_slices_read_the_same_bytes() {
    let text = log_text();
    let b = blob(&text);
    let n = text.len() as u64;
    assert_eq!(read_slice(&b, 0, n).await.unwrap(), text.as_bytes());
    assert_eq!(read_slice_sync(&b, 5, 40).unwrap(), &text.as_bytes()[5..40]);
    assert_eq!(
        read_slice(&b, 5, 40).await.unwrap(),
        &text.as_bytes()[5..40]
    );
}

#[wasm_bindgen_test]
async fn any_slice_size_gives_the_same_counts() {
    let text = log_text();
    for slice in [1, 7, 64, 333, SLICE] {
        let mut store = Store::new();
        let f = load_blob(&mut store, "few.log", &blob(&text), slice)
            .await
            .unwrap();
        store.finalize();
        assert_eq!(f, 0);
        assert_eq!(
            store.totals(),
            (3, 1, 4),
            "events, rejected, records with {slice}-byte slices"
        );
        assert_eq!(store.files[0].bytes, text.len() as u64);
    }
}

#[wasm_bindgen_test]
async fn summary_of_two_files() {
    let mut store = Store::new();
    load_blob(&mut store, "few.log", &blob(&log_text()), 16)
        .await
        .unwrap();
    load_blob(&mut store, "empty.log", &blob(""), 16)
        .await
        .unwrap();
    store.finalize();
    let s = summarize(&store, 12.0, None);
    assert_eq!((s.events, s.rejected, s.records), (3, 1, 4));
    assert_eq!(s.files.len(), 2);
    assert_eq!(s.files[1].events, 0);
    assert_eq!(s.files[1].first_us, None);
    // 09:00 .. 13:12 on 2024-05-01 (1714554000 = 2024-05-01T09:00:00Z).
    assert_eq!(s.first_us, Some(1_714_554_000_000_000));
    assert_eq!(
        s.last_us,
        Some(1_714_554_000_000_000 + (4 * 3600 + 12 * 60) * 1_000_000)
    );
    assert_eq!(s.files[0].first_us, s.first_us);
    assert_eq!(s.rejections.len(), 1);
    assert_eq!(
        (s.rejections[0].file.as_str(), s.rejections[0].line),
        ("few.log", 3)
    );
    assert!(!s.rejections[0].reason.is_empty());
    assert!(s.memory_bytes > 0);
}
