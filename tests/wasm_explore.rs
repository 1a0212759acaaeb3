//! The Explore view's worker side (`audit_lens::web::explore`), in a real dedicated worker:
//! query answers agree with the filter engine, pages follow the sort, one row per request,
//! events are re-read from the `Blob` (plain and gzip) and exported byte for byte, and the
//! UI's click-to-filter terms parse.
#![cfg(target_arch = "wasm32")]

use audit_lens::ingest::Ingester;
use audit_lens::store::Store;
use audit_lens::ui::explore_state::term_for;
use audit_lens::web::explore::{
    event_text, export_events, one_per_request, read_gzip_ranges, Explore, RawSource,
};
use audit_lens::web::protocol::{QuerySpec, SortBy, StackBy};
use std::rc::Rc;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn event(id: u32, stage: &str, verb: &str, user: &str, time: &str, lat_ms: u32) -> String {
    let t = audit_lens::util::parse_rfc3339_micros(time).unwrap() + lat_ms as i64 * 1000;
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"6c1d4bb7-0b5a-4f0c-9f62-3f3b1a2f{id:04x}","stage":"{stage}","requestURI":"/api/v1/namespaces/default/pods","verb":"{verb}","user":{{"username":"{user}"}},"sourceIPs":["10.0.0.1"],"objectRef":{{"resource":"pods","namespace":"default","apiVersion":"v1"}},"responseStatus":{{"code":200}},"requestReceivedTimestamp":"{time}","stageTimestamp":"{}"}}"#,
        audit_lens::util::format_rfc3339_micros(t)
    )
}

fn lines() -> Vec<String> {
    vec![
        event(
            1,
            "RequestReceived",
            "get",
            "alice",
            "2024-05-01T10:00:00Z",
            0,
        ),
        event(
            1,
            "ResponseComplete",
            "get",
            "alice",
            "2024-05-01T10:00:00Z",
            30,
        ),
        event(
            2,
            "ResponseComplete",
            "list",
            "bob",
            "2024-05-01T10:00:05Z",
            900,
        ),
        event(
            3,
            "ResponseComplete",
            "delete",
            "alice",
            "2024-05-01T09:59:00Z",
            5,
        ),
    ]
}

fn load(bytes: &[u8]) -> Store {
    let mut s = Store::new();
    let mut ing = Ingester::new(&mut s, "t.log", bytes.len() as u64);
    ing.push(&mut s, bytes);
    ing.finish(&mut s);
    s.finalize();
    s
}

fn spec(filter: &str, sort: SortBy, per_request: bool) -> QuerySpec {
    QuerySpec {
        id: 7,
        filter: filter.into(),
        range: None,
        stack: StackBy::CodeClass,
        bins: 50,
        sort,
        per_request,
        page: 100,
        top: 5,
    }
}

fn blob(b: &[u8]) -> web_sys::Blob {
    let arr = js_sys::Array::of1(&js_sys::Uint8Array::from(b).into());
    web_sys::Blob::new_with_u8_array_sequence(&arr).unwrap()
}

#[wasm_bindgen_test]
fn query_pages_sorts_and_requests() {
    let text = lines().join("\n") + "\n";
    let s = load(text.as_bytes());
    let mut ex = Explore::default();
    let r = ex.query(&s, &[], None, &spec("user:alice", SortBy::TimeAsc, false));
    assert_eq!((r.id, r.count, r.rows), (7, 3, 3));
    assert!(r.error.is_none());
    let tl = r.timeline.unwrap();
    assert_eq!(
        tl.totals.iter().map(|&n| n as u64).sum::<u64>(),
        3,
        "every match is binned"
    );
    assert_eq!(r.page.rows.len(), 3);
    assert_eq!(r.page.rows[0].verb, "delete", "time order: 09:59 first");
    assert_eq!(
        r.page.rows[1].stages, 0b101,
        "the request's stages: received and complete"
    );
    let tops = ex.tops(&s, 5);
    assert_eq!(tops[0].rows[0].value, "alice");
    // Latency, slowest first; a page beyond the end is empty.
    let r = ex.query(&s, &[], None, &spec("", SortBy::LatencyDesc, false));
    assert_eq!(r.page.rows[0].verb, "list");
    assert_eq!(ex.rows(&s, 7, 10, 5).rows.len(), 0);
    // One row per request: 3 requests, alice's get shown by its last stage.
    let r = ex.query(&s, &[], None, &spec("", SortBy::TimeAsc, true));
    assert_eq!((r.count, r.rows), (4, 3));
    assert!(r.page.rows.iter().all(|v| v.stage == "ResponseComplete"));
    assert_eq!(one_per_request(&s, &[]).len(), 0, "empty in, empty out");
    // A filter error keeps its byte range; nothing matches -> an empty, valid answer.
    let r = ex.query(
        &s,
        &[],
        None,
        &spec("verb:get usr:x", SortBy::TimeAsc, false),
    );
    assert_eq!(r.error.as_ref().map(|e| e.start), Some(9));
    let r = ex.query(&s, &[], None, &spec("user:nobody", SortBy::TimeAsc, false));
    assert_eq!((r.count, r.page.rows.len()), (0, 0));
}

#[wasm_bindgen_test]
async fn events_reread_and_exported_byte_for_byte() {
    let ls = lines();
    let text = ls.join("\n") + "\n";
    let s = load(text.as_bytes());
    let raw = vec![Some(RawSource::Blob(blob(text.as_bytes())))];
    let rows: Vec<u32> = (0..s.len() as u32).collect();
    // The expected line of each row, found by its audit ID and stage among the source
    // lines (not by the code under test).
    let line_of = |r: u32| -> String {
        let r = r as usize;
        let id = s.audit_id(r);
        let stage = s.stage(r).map_or("", |x| x.as_str());
        ls.iter()
            .find(|l| {
                l.contains(&format!("\"auditID\":\"{id}\""))
                    && l.contains(&format!("\"stage\":\"{stage}\""))
            })
            .cloned()
            .unwrap()
    };
    for &r in &rows {
        let t = event_text(&s, &raw, r as usize).unwrap();
        assert!(t.verbatim);
        assert_eq!(t.text, line_of(r), "row {r} is its line, unchanged");
    }
    let b = export_events(&s, &raw, &rows).unwrap();
    let got = audit_lens::web::reader::read_slice(&b, 0, b.size() as u64)
        .await
        .unwrap();
    let want: String = rows.iter().map(|&r| line_of(r) + "\n").collect();
    assert_eq!(String::from_utf8(got).unwrap(), want);
    // The same from in-memory bytes (the sample's path).
    let raw2 = vec![Some(RawSource::Bytes(Rc::new(text.clone().into_bytes())))];
    let b2 = export_events(&s, &raw2, &rows).unwrap();
    assert_eq!(b2.size(), b.size());
}

#[wasm_bindgen_test]
async fn wrapped_events_export_alone() {
    // Review §3.1: rows inside a wrapper opened and exported as a cut-off prefix of the
    // wrapper. An Azure export (`properties.log` as text and as object) and an EventList
    // line, read from a Blob: each exported line is one event, equal to its source.
    let ls = lines();
    let azure = format!(
        "{{\"records\": [\n  {{\"category\": \"kube-audit\", \"properties\": {{\"log\": {}}}}},\n  {{\"category\": \"kube-audit\", \"properties\": {{\"log\": {}}}}}\n]}}",
        serde_json::to_string(&ls[0]).unwrap(),
        ls[1]
    );
    let list = format!(
        "{{\"kind\":\"EventList\",\"items\":[{},{}]}}\n",
        ls[2], ls[3]
    );
    let mut s = Store::new();
    for (name, text) in [("aks.json", &azure), ("batch.log", &list)] {
        let mut ing = Ingester::new(&mut s, name, text.len() as u64);
        ing.push(&mut s, text.as_bytes());
        ing.finish(&mut s);
    }
    s.finalize();
    assert_eq!(s.len(), 4);
    let raw = vec![
        Some(RawSource::Blob(blob(azure.as_bytes()))),
        Some(RawSource::Blob(blob(list.as_bytes()))),
    ];
    let rows: Vec<u32> = (0..4).collect();
    let b = export_events(&s, &raw, &rows).unwrap();
    let got = String::from_utf8(
        audit_lens::web::reader::read_slice(&b, 0, b.size() as u64)
            .await
            .unwrap(),
    )
    .unwrap();
    let out: Vec<&str> = got.lines().collect();
    assert_eq!(out.len(), 4);
    for (r, l) in out.iter().enumerate() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let want = ls
            .iter()
            .map(|x| serde_json::from_str::<serde_json::Value>(x).unwrap())
            .find(|w| w["auditID"] == v["auditID"] && w["stage"] == v["stage"])
            .unwrap();
        assert_eq!(v, want, "exported row {r} is its source event");
        assert_eq!(v["auditID"].as_str().unwrap(), s.audit_id(r));
        let d = event_text(&s, &raw, r).unwrap();
        assert_eq!(&d.text, l, "the detail shows what the export writes");
        assert!(!d.verbatim);
    }
}

#[wasm_bindgen_test]
fn gzip_ranges_come_from_the_decompressed_stream() {
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;
    let text: String = (0..2000).map(|i| format!("line {i:05}\n")).collect();
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(text.as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    let src = RawSource::Blob(blob(&gz));
    let got = read_gzip_ranges(&src, &[(0, 10), (11 * 1000, 10), (11 * 1999, 10)]).unwrap();
    assert_eq!(
        got,
        vec![
            b"line 00000".to_vec(),
            b"line 01000".to_vec(),
            b"line 01999".to_vec()
        ]
    );
    assert!(read_gzip_ranges(&src, &[]).unwrap().is_empty());
}

#[wasm_bindgen_test]
fn click_to_filter_terms_parse() {
    for (field, value) in [
        ("user", "system:serviceaccount:kube-system:x"),
        ("agent", "kubectl/v1.30 (linux/amd64)"),
        ("resource", "deployments.apps/scale"),
    ] {
        let t = term_for(field, value).unwrap();
        assert!(audit_lens::query::parse(&t).is_ok(), "{t}");
    }
    assert_eq!(term_for("ns", "(cluster-scoped)"), None);
}

#[wasm_bindgen_test]
fn the_attribute_index_is_built_once_and_shared_until_the_store_changes() {
    let s = load(lines().join("\n").as_bytes());
    let mut explore = Explore::default();
    let mut workbench = audit_lens::web::workbench::Cache::with_attr(explore.shared_attr());
    let slot = explore.shared_attr();
    let a = slot.get(&s);
    assert_eq!(a.row_tuple.len(), s.len());
    // The other holder sees the same index, not a second copy.
    assert!(Rc::ptr_eq(&a, &explore.shared_attr().get(&s)));
    // A new store (Explore resets): the next use builds a new one, for both.
    explore.reset();
    let b = slot.get(&s);
    assert!(!Rc::ptr_eq(&a, &b));
    workbench.invalidate();
    assert!(!Rc::ptr_eq(&b, &explore.shared_attr().get(&s)));
}
