//! Shared helpers for the native integration tests.
#![allow(dead_code)]

use audit_lens::ingest::Ingester;
use audit_lens::store::{Dim, Store};
use std::path::PathBuf;

/// `../shared/corpus` beside the checkout, or `None` (tests then print that they skip).
///
/// # Panics
/// Under CI (`CI=true`), where `../shared` is always beside the checkout: a missing corpus
/// there would make every corpus test pass without testing anything.
pub fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus"));
    if p.is_dir() {
        Some(p)
    } else if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "CI=true but {} is missing: the corpus tests cannot run",
            p.display()
        );
    } else {
        eprintln!("skipped: ../shared/corpus not found beside the checkout");
        None
    }
}

/// Loads `bytes` as one file, pushed in chunks of `chunk` bytes.
pub fn load_chunked(store: &mut Store, name: &str, bytes: &[u8], chunk: usize) {
    let mut ing = Ingester::new(store, name, bytes.len() as u64);
    for c in bytes.chunks(chunk.max(1)) {
        ing.push(store, c);
    }
    ing.finish(store);
}

/// Loads one in-memory file and finalizes.
pub fn load(name: &str, bytes: &[u8]) -> Store {
    let mut s = Store::new();
    load_chunked(&mut s, name, bytes, bytes.len().max(1));
    s.finalize();
    s
}

/// Every row's observable fields as text, for comparing stores.
pub fn digest(s: &Store) -> Vec<String> {
    // The path is compared as a whole (`s.path`), derived or stored.
    let dims: Vec<Dim> = Dim::ALL.into_iter().filter(|d| *d != Dim::Path).collect();
    (0..s.len())
        .map(|r| {
            let mut v = format!(
                "{} {} {:?} {:?} {} {} {} {} {} {} {} {} {}",
                s.received(r),
                s.latency(r),
                s.stage(r),
                s.level(r),
                s.code(r),
                s.file(r),
                s.offset(r),
                s.event_size(r),
                s.request_object_size(r),
                s.response_object_size(r),
                s.audit_id(r),
                s.path(r),
                s.flags(r)
            );
            v.push_str(&format!(
                " {:?} {:?} mf{:?}",
                s.record_range(r),
                s.wrap_item(r),
                s.managed_fields_size(r)
            ));
            for &d in &dims {
                v.push('|');
                v.push_str(s.str(d, r));
            }
            v.push('|');
            v.push_str(
                &s.dict
                    .groups
                    .members_of(s.groups_id(r))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            v.push('|');
            v.push_str(
                &s.dict
                    .source_ips
                    .members_of(s.source_ips_id(r))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            v.push('|');
            v.push_str(&facts_text(s, r));
            v
        })
        .collect()
}

/// A row's security facts as text ("" when none): bits and every string, in order.
pub fn facts_text(s: &Store, r: usize) -> String {
    let Some(f) = s.facts(r) else {
        return String::new();
    };
    let list = |it: &mut dyn Iterator<Item = &str>| it.collect::<Vec<_>>().join(",");
    format!(
        "{:#x} img[{}] hp[{}] cap[{}] ref{:?} subj{:?} cmd[{}] ctr[{}] ports[{}]",
        f.bits,
        list(&mut f.images()),
        list(&mut f.host_paths()),
        list(&mut f.capabilities()),
        f.role_ref(),
        f.subjects().collect::<Vec<_>>(),
        list(&mut f.command()),
        f.container(),
        list(&mut f.ports()),
    )
}

/// Where a pod spec is in the body of a resource that holds one (k8s.io/api core/v1
/// `Pod.spec`, `PodTemplate.template.spec`; apps/v1 and batch/v1 `spec.template.spec`;
/// `CronJob.spec.jobTemplate.spec.template.spec`), as a JSON pointer.
pub fn pod_spec_pointer(resource: &str) -> Option<&'static str> {
    Some(match resource {
        "pods" => "/spec",
        "podtemplates" => "/template/spec",
        "deployments"
        | "replicasets"
        | "statefulsets"
        | "daemonsets"
        | "jobs"
        | "replicationcontrollers" => "/spec/template/spec",
        "cronjobs" => "/spec/jobTemplate/spec/template/spec",
        _ => return None,
    })
}
