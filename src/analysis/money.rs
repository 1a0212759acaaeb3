//! Money: what writing an audit log costs per month at a destination (issue 14 §4), from
//! the bytes per day a policy keeps (`volume::WhatIf`) and a list price.
//!
//! Invariants:
//! - every price is stored per GiB (2^30 bytes) and per GiB-month: a vendor that prices in
//!   GB (10^9 bytes) is converted once here (× [`GIB_PER_GB`]⁻¹, i.e. a price per GB is
//!   multiplied by 1.073741824), and its note says so;
//! - a month is [`DAYS_PER_MONTH`] days (365.25 / 12);
//! - storage is the steady state: after `retention_days` of writing, the destination holds
//!   `bytes_per_day × retention_days`; only the days beyond the destination's included
//!   retention are billed ([`Price::included_retention_days`]);
//! - the free ingest allotment ([`Price::free_ingest_gib_month`]) is subtracted from this
//!   log's monthly ingest, never below zero. So `monthly(a).total − monthly(b).total` is
//!   what the bill changes by when this log is the only thing using the allotment: both
//!   under it → no saving; one above → only its part above the allotment counts. When
//!   other logs already use the allotment, set it to 0 (the page's "free GiB" field);
//! - nothing here reads a clock or the network: the prices are the documented list prices
//!   looked up on [`LOOKED_UP`], with the document each was read from in `source`.

use serde::{Deserialize, Serialize};

/// Days in a month on average (365.25 / 12).
pub const DAYS_PER_MONTH: f64 = 30.4375;
/// Bytes in a GiB.
pub const GIB: f64 = 1_073_741_824.0;
/// A GiB in GB (10^9 bytes): a price per GB times this is the price per GiB.
pub const GB_PER_GIB: f64 = GIB / 1e9;
/// When the built-in list prices were looked up.
pub const LOOKED_UP: &str = "2026-12-01";
/// Retention assumed when none is given: 30 days (Cloud Logging's `_Default` bucket and a
/// Log Analytics workspace keep 30 days by default; CloudWatch Logs keeps log groups
/// forever unless told otherwise, and 30 days is a common setting; for a disk it is the
/// history kept).
pub const DEFAULT_RETENTION_DAYS: f64 = 30.0;

/// A destination's list price for ingesting and storing logs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    /// "cloudwatch", "gcp-logging", "azure-monitor", "disk" (or "custom").
    pub id: String,
    pub name: String,
    /// ISO 4217 code ("USD").
    pub currency: String,
    pub ingest_per_gib: f64,
    pub storage_per_gib_month: f64,
    /// Free GiB of ingest per month (e.g. Google Cloud Logging's first 50 GiB per project),
    /// 0 when none.
    pub free_ingest_gib_month: f64,
    /// Days of storage the ingest price includes (Cloud Logging 30, Log Analytics 31):
    /// storage is billed only for the days beyond. 0 when every stored day is billed.
    #[serde(default)]
    pub included_retention_days: f64,
    /// The document the figures were read from: its title and the path of the page.
    pub source: String,
    /// The date the figures were looked up ("2026-12-01").
    pub looked_up: String,
    /// Region, tier and unit assumptions; "not verified here" when the vendor's own page
    /// was not among the documents read.
    pub note: String,
}

/// The built-in destinations, with their documented list prices (USD).
pub fn builtin_prices() -> Vec<Price> {
    let p = |id: &str,
             name: &str,
             ingest: f64,
             storage: f64,
             free: f64,
             included: f64,
             source: &str,
             note: &str| Price {
        id: id.into(),
        name: name.into(),
        currency: "USD".into(),
        ingest_per_gib: ingest,
        storage_per_gib_month: storage,
        free_ingest_gib_month: free,
        included_retention_days: included,
        source: source.into(),
        looked_up: LOOKED_UP.into(),
        note: note.into(),
    };
    vec![
        // Amazon CloudWatch Logs, Standard log class, us-east-1: $0.50 per GB ingested
        // ("Collect (Data Ingestion)"), $0.03 per GB-month stored ("Store (Archival)").
        // The vendor's pricing page (/cloudwatch/pricing/) is not among the stored
        // documents; two independent summaries of it agree on both figures.
        p(
            "cloudwatch",
            "Amazon CloudWatch Logs",
            0.50 * GB_PER_GIB,
            0.03 * GB_PER_GIB,
            0.0,
            0.0,
            "\"CloudWatch Logs cost optimization: cutting the $0.50/GB bill\" (/blog/cloudwatch-logs-cost-optimization: us-east-1, Standard log class, ingestion $0.50 per GB, storage $0.03 per GB-month) and \"Amazon CloudWatch Logs pricing\" (/kb/platform-specific-guides/aws-cloudwatch-logs-pricing: the same two figures), both summaries of the vendor's \"Amazon CloudWatch Pricing\" (/cloudwatch/pricing/)",
            "us-east-1, Standard log class, list price. Not verified here against the vendor's own page (not among the documents read); two summaries agree. $0.50 per GB and $0.03 per GB-month with GB read as 10^9 bytes, so $0.5369 per GiB and $0.0322 per GiB-month. The AWS Free Tier's monthly log allowance is account-wide and not applied: enter it as free GiB if this log is all you send.",
        ),
        // Google Cloud Logging: "Logging storage" $0.50/GiB (a one-time charge that
        // includes up to 30 days in log buckets), first 50 GiB/project/month free;
        // "Logging retention" $0.01 per GiB per month beyond 30 days. Binary units.
        p(
            "gcp-logging",
            "Google Cloud Logging",
            0.50,
            0.01,
            50.0,
            30.0,
            "\"Google Cloud Observability pricing\", Cloud Logging pricing summary (/stackdriver/pricing): Logging storage $0.50/GiB, first 50 GiB/project/month free, includes up to 30 days in log buckets; Logging retention $0.01 per GiB per month for logs retained more than 30 days",
            "The page states that all units are binary (GiB). The 50 GiB free allotment is per project and is applied to this log alone: set it to 0 when the project's other logs use it. Logs in the _Required bucket are not charged; kube-apiserver audit logs sent by an agent land in _Default.",
        ),
        // Azure Monitor Log Analytics, Analytics logs, pay-as-you-go: ~$2.30 per GB
        // ingested, 31 days of retention included, then ~$0.10 per GB-month. GB = 10^9
        // bytes (the vendor's own cost document). The vendor's price page
        // (/pricing/details/monitor/) is not among the stored documents.
        p(
            "azure-monitor",
            "Azure Monitor Log Analytics",
            2.30 * GB_PER_GIB,
            0.10 * GB_PER_GIB,
            0.0,
            31.0,
            "\"Azure Monitor Logs cost calculations and options\" (/azure/azure-monitor/logs/cost-logs: pay-as-you-go by ingested volume and retention, GB = 10^9 bytes) and \"Azure Monitor cost 2026: the Log Analytics bill explained\" (/azure-monitor-cost: Analytics Logs about $2.30 per GB, retention free for 31 days then about $0.10 per GB-month); the vendor's price page is /pricing/details/monitor/",
            "Analytics logs, pay-as-you-go, a US region assumed. Not verified here: the vendor's price page is not among the documents read and prices are set per region; commitment tiers (from 100 GB/day) are cheaper. $2.30 per GB = $2.4696 per GiB, $0.10 per GB-month = $0.1074 per GiB-month. The vendor bills a record's stored columns, on average about 25 % less than the incoming JSON, so this estimate from the log's bytes is high.",
        ),
        // A self-hosted disk: a cloud block-storage volume (Amazon EBS gp3, us-east-1,
        // $0.08 per GB-month), no ingest charge.
        p(
            "disk",
            "Self-hosted disk (block storage volume)",
            0.0,
            0.08 * GB_PER_GIB,
            0.0,
            0.0,
            "Amazon EBS General Purpose SSD (gp3) volume storage, us-east-1, $0.08 per GB-month, as quoted in \"Update AWS Volume type support to include io1, io2, gp3\" (/gitlab-org/ci-cd/docker-machine/-/merge_requests/45); the vendor's \"Amazon EBS pricing\" (/ebs/pricing) as stored shows another region's example only",
            "Not verified here against the vendor's page. GB read as 10^9 bytes ($0.0859 per GiB-month). No ingest charge. A volume is billed for its provisioned size, not what the log fills: this prices the bytes kept (bytes per day × retention days); size the volume for --audit-log-maxsize × (--audit-log-maxbackup + 1).",
        ),
    ]
}

/// The built-in price `id` (case-insensitive; also "aws", "gcp", "google", "azure",
/// "self-hosted" and a few other aliases). `None` for anything else, "custom" included.
pub fn price(id: &str) -> Option<Price> {
    let id = id.trim().to_ascii_lowercase();
    let canonical = match id.as_str() {
        "cloudwatch" | "aws" | "cloudwatch-logs" | "amazon-cloudwatch" => "cloudwatch",
        "gcp-logging"
        | "gcp"
        | "google"
        | "cloud-logging"
        | "google-cloud-logging"
        | "stackdriver" => "gcp-logging",
        "azure-monitor" | "azure" | "log-analytics" | "azure-log-analytics" => "azure-monitor",
        "disk" | "self-hosted" | "selfhosted" | "ebs" => "disk",
        _ => return None,
    };
    builtin_prices().into_iter().find(|p| p.id == canonical)
}

/// The ids [`price`] accepts first (for error messages).
pub const PRICE_IDS: [&str; 4] = ["cloudwatch", "gcp-logging", "azure-monitor", "disk"];

/// What one month costs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MonthlyCost {
    pub ingest: f64,
    pub storage: f64,
    pub total: f64,
    /// GiB written in the month (before the free allotment).
    pub gib_month: f64,
}

fn finite_non_negative(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 {
        x
    } else {
        0.0
    }
}

/// Cost of writing `bytes_per_day` for one month ([`DAYS_PER_MONTH`] days) and keeping
/// `retention_days` of it stored (steady state: stored GiB = GiB per day × retention
/// days, billed for the days beyond `p.included_retention_days`). The free allotment is
/// subtracted from the month's ingest, never below zero (see the module docs). Negative,
/// NaN or infinite inputs count as 0.
pub fn monthly(bytes_per_day: f64, p: &Price, retention_days: f64) -> MonthlyCost {
    let gib_day = finite_non_negative(bytes_per_day) / GIB;
    let gib_month = gib_day * DAYS_PER_MONTH;
    let billable_in = (gib_month - finite_non_negative(p.free_ingest_gib_month)).max(0.0);
    let ingest = billable_in * finite_non_negative(p.ingest_per_gib);
    let billed_days = (finite_non_negative(retention_days)
        - finite_non_negative(p.included_retention_days))
    .max(0.0);
    let storage = gib_day * billed_days * finite_non_negative(p.storage_per_gib_month);
    MonthlyCost {
        ingest,
        storage,
        total: ingest + storage,
        gib_month,
    }
}

/// `x` (≥ 0) with `decimals` decimals and thousands separators: "1,234.56".
fn grouped(x: f64, decimals: usize) -> String {
    let text = format!("{x:.decimals$}");
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// Writes a number with the currency's symbol ("$", "€", "£") before it, or its code
/// after it ("12.00 CHF").
fn with_currency(n: &str, currency: &str) -> String {
    match currency.trim().to_ascii_uppercase().as_str() {
        "USD" | "" => format!("${n}"),
        "EUR" => format!("€{n}"),
        "GBP" => format!("£{n}"),
        _ => format!("{n} {}", currency.trim()),
    }
}

/// "$1,234.56", "$0.42", "−$3.10" (a negative amount: a cost that grows), "< $0.01" for a
/// positive amount that rounds to zero, in `currency` ("USD" → "$", "EUR" → "€", "GBP" →
/// "£", any other code written after the number: "12.00 CHF"). "–" when not finite.
pub fn format_money(amount: f64, currency: &str) -> String {
    if !amount.is_finite() {
        return "–".into();
    }
    let cents = (amount.abs() * 100.0).round();
    if cents == 0.0 && amount != 0.0 {
        let sign = if amount > 0.0 { "< " } else { "> −" };
        return format!("{sign}{}", with_currency("0.01", currency));
    }
    let n = with_currency(&grouped(cents / 100.0, 2), currency);
    if amount < 0.0 && cents > 0.0 {
        format!("−{n}")
    } else {
        n
    }
}

/// A unit price with two to four decimals ("$0.5369", "$0.01", "$2.4696"), the currency
/// written as [`format_money`] writes it.
pub fn format_rate(rate: f64, currency: &str) -> String {
    if !rate.is_finite() {
        return "–".into();
    }
    let r = (rate.abs() * 10_000.0).round() / 10_000.0;
    let mut n = grouped(r, 4);
    while n.ends_with('0') && n.len() - n.find('.').unwrap_or(0) > 3 {
        n.pop();
    }
    let n = with_currency(&n, currency);
    if rate < 0.0 && r > 0.0 {
        format!("−{n}")
    } else {
        n
    }
}

/// The price chosen for money figures, and how many days are kept. The page keeps it in
/// local storage; other components read it from the workbench.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pricing {
    pub price: Price,
    pub retention_days: f64,
}

impl Default for Pricing {
    /// CloudWatch Logs' list price, [`DEFAULT_RETENTION_DAYS`] kept.
    fn default() -> Self {
        Pricing {
            price: price("cloudwatch").expect("built in"),
            retention_days: DEFAULT_RETENTION_DAYS,
        }
    }
}

impl Pricing {
    /// [`monthly`] under this pricing.
    pub fn monthly(&self, bytes_per_day: f64) -> MonthlyCost {
        monthly(bytes_per_day, &self.price, self.retention_days)
    }

    /// What moving from `baseline` to `candidate` bytes per day saves per month (negative
    /// when it costs more).
    pub fn saving(&self, baseline_bytes_per_day: f64, candidate_bytes_per_day: f64) -> f64 {
        self.monthly(baseline_bytes_per_day).total - self.monthly(candidate_bytes_per_day).total
    }

    /// True when the price is a built-in one, unedited.
    pub fn is_list_price(&self) -> bool {
        price(&self.price.id).is_some_and(|p| p == self.price)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_unknown_ids() {
        for (alias, id) in [
            ("AWS", "cloudwatch"),
            ("gcp", "gcp-logging"),
            ("Azure", "azure-monitor"),
            ("self-hosted", "disk"),
        ] {
            assert_eq!(price(alias).unwrap().id, id);
        }
        assert!(price("custom").is_none());
        assert!(price("").is_none());
        assert_eq!(builtin_prices().len(), PRICE_IDS.len());
    }

    #[test]
    fn money_text() {
        assert_eq!(format_money(1234.561, "USD"), "$1,234.56");
        assert_eq!(format_money(0.42, "USD"), "$0.42");
        assert_eq!(format_money(0.0, "USD"), "$0.00");
        assert_eq!(format_money(-3.1, "USD"), "−$3.10");
        assert_eq!(format_money(0.004, "USD"), "< $0.01");
        assert_eq!(format_money(1_000_000.0, "EUR"), "€1,000,000.00");
        assert_eq!(format_money(12.0, "CHF"), "12.00 CHF");
        assert_eq!(format_money(f64::NAN, "USD"), "–");
        assert_eq!(format_money(999.996, "USD"), "$1,000.00");
        assert_eq!(format_rate(0.536870912, "USD"), "$0.5369");
        assert_eq!(format_rate(0.01, "USD"), "$0.01");
        assert_eq!(format_rate(0.5, "USD"), "$0.50");
        assert_eq!(format_rate(2.4696061952, "USD"), "$2.4696");
        assert_eq!(format_rate(0.0, "USD"), "$0.00");
        assert_eq!(format_rate(0.03221225472, "EUR"), "€0.0322");
    }

    #[test]
    fn bad_inputs_cost_nothing() {
        let p = price("cloudwatch").unwrap();
        assert_eq!(monthly(f64::NAN, &p, 30.0), MonthlyCost::default());
        assert_eq!(monthly(-5.0, &p, -1.0), MonthlyCost::default());
        assert_eq!(monthly(GIB, &p, f64::INFINITY).storage, 0.0);
    }
}
