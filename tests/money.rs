//! Money (issue 14 §4): monthly cost at a destination from bytes per day, checked against
//! figures worked by hand from the vendors' documented list prices (in the unit each
//! vendor uses: GB = 10^9 bytes for AWS and Azure, GiB for Google), and the CLI's
//! `whatif --price` on a real log and a real policy against the same arithmetic done
//! here from the bytes per day it prints.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use audit_lens::analysis::money::{format_money, monthly, price, Pricing};
use std::process::Command;

const GIB: f64 = 1_073_741_824.0;
const GB: f64 = 1e9;
/// 365.25 / 12.
const MONTH_DAYS: f64 = 30.4375;

fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}: got {got}, want {want}"
    );
}

// ---- hand-worked figures ----

#[test]
fn cloudwatch_ten_gib_a_day_for_a_month() {
    // CloudWatch Logs, Standard, us-east-1: $0.50 per GB ingested, $0.03 per GB-month.
    // 10 GiB/day = 10.73741824 GB/day; a month = 30.4375 days → 326.82016768 GB → $163.41;
    // 30 days kept = 322.1225472 GB stored → $9.66; total $173.07.
    let p = price("cloudwatch").unwrap();
    let c = monthly(10.0 * GIB, &p, 30.0);
    close(c.ingest, 326.82016768 * 0.50, "ingest");
    close(c.storage, 322.1225472 * 0.03, "storage");
    close(c.total, 163.41008384 + 9.663676416, "total");
    close(c.gib_month, 304.375, "GiB a month");
    assert_eq!(format_money(c.ingest, "USD"), "$163.41");
    assert_eq!(format_money(c.storage, "USD"), "$9.66");
    assert_eq!(format_money(c.total, "USD"), "$173.07");
}

#[test]
fn cloud_logging_free_allotment_and_included_30_days() {
    // Cloud Logging: $0.50/GiB after the first 50 GiB/project/month; 30 days included,
    // then $0.01 per GiB-month.
    let p = price("gcp").unwrap();
    // 100 GiB/day: 3,043.75 GiB a month, 2,993.75 billed → $1,496.875; 30 days: no storage.
    let c = monthly(100.0 * GIB, &p, 30.0);
    close(c.ingest, 1496.875, "ingest");
    assert_eq!(c.storage, 0.0);
    // 90 days kept: 100 GiB × 60 days beyond the included 30 × $0.01 = $60.
    close(
        monthly(100.0 * GIB, &p, 90.0).storage,
        60.0,
        "storage at 90 days",
    );
    // 1 GiB/day (30.4375 GiB a month) is inside the allotment: nothing.
    assert_eq!(monthly(GIB, &p, 30.0).total, 0.0);
}

#[test]
fn a_saving_under_the_free_allotment_counts_only_what_is_above_it() {
    // 2 GiB/day → 60.875 GiB a month, 10.875 above the 50 free → $5.4375;
    // 1 GiB/day → nothing. The saving is $5.4375, not 30.4375 GiB × $0.50 = $15.22.
    let pricing = Pricing {
        price: price("gcp-logging").unwrap(),
        retention_days: 30.0,
    };
    close(pricing.saving(2.0 * GIB, GIB), 5.4375, "saving");
    // Both under the allotment: no saving at all.
    assert_eq!(pricing.saving(GIB, 0.5 * GIB), 0.0);
    // A growing log costs more: the saving is negative.
    close(pricing.saving(GIB, 2.0 * GIB), -5.4375, "extra cost");
}

#[test]
fn log_analytics_31_days_included() {
    // Analytics logs: $2.30 per GB; 31 days included, then $0.10 per GB-month.
    // 1 GB/day: 30.4375 GB a month → $70.00625; 90 days kept → 59 GB-months → $5.90.
    let p = price("azure").unwrap();
    let c = monthly(GB, &p, 31.0);
    close(c.ingest, 30.4375 * 2.30, "ingest");
    assert_eq!(c.storage, 0.0);
    close(monthly(GB, &p, 90.0).storage, 59.0 * 0.10, "storage");
}

#[test]
fn a_disk_costs_only_what_it_keeps() {
    // A gp3 volume: $0.08 per GB-month, no ingest. 1 GB/day kept 30 days = 30 GB → $2.40.
    let p = price("self-hosted").unwrap();
    let c = monthly(GB, &p, 30.0);
    assert_eq!(c.ingest, 0.0);
    close(c.storage, 2.40, "storage");
}

#[test]
fn every_list_price_says_where_it_comes_from() {
    for id in ["cloudwatch", "gcp-logging", "azure-monitor", "disk"] {
        let p = price(id).unwrap();
        assert_eq!(p.looked_up, "2026-12-01", "{id}");
        assert_eq!(p.currency, "USD");
        assert!(
            p.source.contains('/'),
            "{id}: a page path in {:?}",
            p.source
        );
        assert!(
            !p.source.contains("://"),
            "{id}: no host names: {:?}",
            p.source
        );
        assert!(!p.note.is_empty());
    }
    // What the page keeps in local storage: camelCase keys, read back equal.
    let d = Pricing::default();
    assert_eq!(
        (d.price.id.as_str(), d.retention_days),
        ("cloudwatch", 30.0)
    );
    let v = serde_json::to_value(&d).unwrap();
    assert!(v["price"]["freeIngestGibMonth"].is_number());
    assert!(v["retentionDays"].is_number());
    assert_eq!(serde_json::from_value::<Pricing>(v).unwrap(), d);
}

// ---- the CLI ----

fn cli(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_audit-lens"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

#[test]
fn whatif_price_on_a_real_log_and_policy() {
    let Some(c) = common::corpus() else { return };
    // OpenShift's cluster-logging-operator test input (100 events) under the GCE policy.
    let log = c.join("logs/openshift-clo-apiaudit-audit_in.log");
    let pol = c.join("policies/kubernetes-gce-configure-helper-audit-policy.yaml");
    let (log, pol) = (log.to_str().unwrap(), pol.to_str().unwrap());

    // CloudWatch, 30 days: the money from the bytes per day the CLI prints, in GB.
    let (code, out, err) = cli(&[
        "whatif",
        "--policy",
        pol,
        "--price",
        "cloudwatch",
        "--json",
        log,
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let bpd = |k: &str| v["whatIf"][k]["bytesPerDay"].as_f64().unwrap();
    let (b, n) = (bpd("baseline"), bpd("candidate"));
    assert!(
        b > n && n > 0.0,
        "the GCE policy drops part of this log: {b} → {n}"
    );
    let cost = |bpd: f64| bpd / GB * MONTH_DAYS * 0.50 + bpd / GB * 30.0 * 0.03;
    let m = &v["money"];
    close(
        m["baseline"]["total"].as_f64().unwrap(),
        cost(b),
        "baseline",
    );
    close(
        m["candidate"]["total"].as_f64().unwrap(),
        cost(n),
        "candidate",
    );
    close(m["saving"].as_f64().unwrap(), cost(b) - cost(n), "saving");
    assert_eq!(m["price"]["id"], "cloudwatch");
    assert_eq!(m["retentionDays"], 30.0);

    // The text says the same, to the cent.
    let (code, text, err) = cli(&["whatif", "--policy", pol, "--price", "aws", log]);
    assert_eq!(code, 0, "{err}");
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("saving:"))
        .unwrap_or_else(|| panic!("no saving line in\n{text}"));
    assert!(
        line.contains(&format!("${:.2}", cost(b) - cost(n))),
        "{line} vs {}",
        cost(b) - cost(n)
    );

    // Cloud Logging: this log writes well under 50 GiB a month under either policy, so
    // the free allotment takes it all and nothing is saved.
    let (_, out, _) = cli(&[
        "whatif",
        "--policy",
        pol,
        "--price",
        "gcp-logging",
        "--json",
        log,
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(b / GIB * MONTH_DAYS < 50.0);
    assert_eq!(v["money"]["saving"], 0.0);

    // Log Analytics kept 90 days: storage of the 59 days beyond the included 31.
    let (_, out, _) = cli(&[
        "whatif",
        "--policy",
        pol,
        "--price",
        "azure-monitor",
        "--retention-days",
        "90",
        "--json",
        log,
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let az = |bpd: f64| bpd / GB * MONTH_DAYS * 2.30 + bpd / GB * 59.0 * 0.10;
    close(
        v["money"]["saving"].as_f64().unwrap(),
        az(b) - az(n),
        "azure",
    );

    // No --price: no money.
    let (_, out, _) = cli(&["whatif", "--policy", pol, "--json", log]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v.get("money").is_none());
    let (_, text, _) = cli(&["whatif", "--policy", pol, log]);
    assert!(!text.contains("money per month"));
}

#[test]
fn whatif_refuses_an_unknown_price_before_reading_anything() {
    // The log does not exist: the price is what is refused, with the ids it knows.
    let (code, _, err) = cli(&[
        "whatif",
        "--policy",
        "no-such-policy.yaml",
        "--price",
        "oracle",
        "no-such.log",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown destination 'oracle'"), "{err}");
    for id in ["cloudwatch", "gcp-logging", "azure-monitor", "disk"] {
        assert!(err.contains(id), "{err}");
    }
    let (code, _, err) = cli(&[
        "whatif",
        "--policy",
        "p.yaml",
        "--price",
        "gcp",
        "--retention-days",
        "a month",
        "x.log",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--retention-days"), "{err}");
    let (code, _, err) = cli(&[
        "whatif",
        "--policy",
        "p.yaml",
        "--retention-days",
        "9",
        "x.log",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("needs --price"), "{err}");
}
