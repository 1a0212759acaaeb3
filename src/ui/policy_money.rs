//! The Cost panel under the what-if (issue 14 §4): what the log as recorded (or policy B)
//! and the edited policy cost a month at a destination, and the saving. The destination's
//! list price (with the document it was read from and when) or the user's own figures;
//! the choice is kept in this browser's local storage under [`STORAGE_KEY`] and never sent
//! anywhere. All arithmetic is `analysis::money`'s; this file only shows and edits.

use crate::analysis::money::{
    builtin_prices, format_money, format_rate, price, MonthlyCost, Price, Pricing,
};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// The local-storage key of the chosen pricing.
pub const STORAGE_KEY: &str = "audit-lens.pricing.v1";

/// The id of the user's own figures in the destination list.
pub const CUSTOM: &str = "custom";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The pricing saved in this browser, if any (and sane: finite, non-negative figures).
pub fn load_pricing() -> Option<Pricing> {
    let text = storage()?.get_item(STORAGE_KEY).ok().flatten()?;
    let p: Pricing = serde_json::from_str(&text).ok()?;
    let ok = |x: f64| x.is_finite() && x >= 0.0;
    let pr = &p.price;
    (ok(p.retention_days)
        && ok(pr.ingest_per_gib)
        && ok(pr.storage_per_gib_month)
        && ok(pr.free_ingest_gib_month)
        && ok(pr.included_retention_days))
    .then_some(p)
}

/// Saves the pricing in this browser (quietly does nothing when storage is off or full).
pub fn save_pricing(p: &Pricing) {
    if let (Some(st), Ok(json)) = (storage(), serde_json::to_string(p)) {
        let _ = st.set_item(STORAGE_KEY, &json);
    }
}

#[derive(Properties, PartialEq)]
pub struct CostProps {
    /// Bytes per day of the baseline (the log as recorded, or policy B).
    pub baseline_bytes_per_day: f64,
    /// Bytes per day of the edited policy.
    pub edited_bytes_per_day: f64,
    /// "as recorded" or the baseline policy's name.
    pub baseline_label: AttrValue,
    pub pricing: Pricing,
    pub on_change: Callback<Pricing>,
}

/// The user's own figures, starting from `from`'s.
fn custom_from(from: &Price) -> Price {
    Price {
        id: CUSTOM.into(),
        name: "Custom prices".into(),
        source: "your own figures".into(),
        looked_up: String::new(),
        note: "Entered in this browser (e.g. a negotiated rate or another region).".into(),
        ..from.clone()
    }
}

/// A number field of the form; an entry that is not a number ≥ 0 is ignored.
fn field(label: &str, id: &str, value: f64, unit: &str, title: &str, on: Callback<f64>) -> Html {
    let onchange = Callback::from(move |e: Event| {
        let i: HtmlInputElement = e.target_unchecked_into();
        if let Ok(v) = i.value().trim().parse::<f64>() {
            if v.is_finite() && v >= 0.0 {
                on.emit(v);
            }
        }
    });
    html! {
        <label class="flag" title={title.to_string()}>
            <span>{ label }</span>
            <input type="number" min="0" step="any" value={value.to_string()} data-testid={id.to_string()} {onchange} />
            <span class="muted small">{ unit }</span>
        </label>
    }
}

fn cost_row(label: &str, sub: &str, id: &str, c: &MonthlyCost, bpd: f64, cur: &str) -> Html {
    html! {
        <tr data-testid={id.to_string()} data-amount={c.total.to_string()} data-bytes-per-day={bpd.to_string()}
            data-ingest={c.ingest.to_string()} data-storage={c.storage.to_string()}>
            <th scope="row">{ label }<span class="muted small">{ format!(" {sub}") }</span></th>
            <td class="num">{ format!("{:.2}", c.gib_month) }</td>
            <td class="num">{ format_money(c.ingest, cur) }</td>
            <td class="num">{ format_money(c.storage, cur) }</td>
            <td class="num strong">{ format_money(c.total, cur) }</td>
        </tr>
    }
}

/// One line on where a price comes from.
fn price_terms(p: &Price) -> String {
    let cur = p.currency.as_str();
    let mut t = format!(
        "{} per GiB ingested, {} per GiB-month stored",
        format_rate(p.ingest_per_gib, cur),
        format_rate(p.storage_per_gib_month, cur)
    );
    if p.included_retention_days > 0.0 {
        t.push_str(&format!(" beyond {} days", p.included_retention_days));
    }
    if p.free_ingest_gib_month > 0.0 {
        t.push_str(&format!(
            ", first {} GiB a month free",
            p.free_ingest_gib_month
        ));
    }
    t
}

#[function_component]
pub fn CostPanel(props: &CostProps) -> Html {
    let pricing = &props.pricing;
    let p = &pricing.price;
    let cur = p.currency.as_str();
    let emit = {
        let on = props.on_change.clone();
        Callback::from(move |n: Pricing| {
            save_pricing(&n);
            on.emit(n);
        })
    };
    let set = |f: fn(&mut Pricing, f64)| {
        let (emit, now) = (emit.clone(), pricing.clone());
        Callback::from(move |v: f64| {
            let mut n = now.clone();
            f(&mut n, v);
            emit.emit(n);
        })
    };
    let on_destination = {
        let (emit, now) = (emit.clone(), pricing.clone());
        Callback::from(move |e: Event| {
            let v = e
                .target()
                .and_then(|t| js_sys::Reflect::get(&t, &"value".into()).ok())
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            let price = price(&v).unwrap_or_else(|| custom_from(&now.price));
            emit.emit(Pricing {
                price,
                retention_days: now.retention_days,
            });
        })
    };
    let list = price(&p.id);
    let edited = list.as_ref().is_some_and(|l| l != p);
    let reset = list.clone().filter(|_| edited).map(|l| {
        let (emit, days) = (emit.clone(), pricing.retention_days);
        let onclick = Callback::from(move |_: MouseEvent| {
            emit.emit(Pricing {
                price: l.clone(),
                retention_days: days,
            })
        });
        html! { <button class="button small" data-testid="cost-reset" {onclick}>{"Reset to list price"}</button> }
    });

    let base = pricing.monthly(props.baseline_bytes_per_day);
    let cand = pricing.monthly(props.edited_bytes_per_day);
    let saving = base.total - cand.total;
    let saving_text = if saving >= 0.0 {
        format!("{} a month", format_money(saving, cur))
    } else {
        format!("{} more a month", format_money(-saving, cur))
    };
    let provenance = match (&list, edited) {
        (Some(l), false) => html! {
            <p class="cost-source small" data-testid="cost-source">
                <span class="badge ok">{"list price"}</span>{" "}
                { format!("{}: {}. Looked up {} in {}. ", l.name, price_terms(l), l.looked_up, l.source) }
                <span class="muted">{ &l.note }</span>
            </p>
        },
        (Some(l), true) => html! {
            <p class="cost-source small" data-testid="cost-source">
                <span class="badge">{"edited"}</span>{" "}
                { format!("Your figures for {}. Its list price: {}, looked up {} in {}.", l.name, price_terms(l), l.looked_up, l.source) }
            </p>
        },
        (None, _) => html! {
            <p class="cost-source small" data-testid="cost-source">
                <span class="badge">{"custom"}</span>{" "}{ format!("{} ({}).", p.note, price_terms(p)) }
            </p>
        },
    };
    let all = builtin_prices();
    html! {
        <div class="cost" data-testid="cost-panel" data-destination={p.id.clone()} data-list-price={(!edited && list.is_some()).to_string()}
             data-currency={p.currency.clone()}>
            <h3>{"Cost per month"}<span class="muted small">{" · from the bytes per day above · your prices stay in this browser"}</span></h3>
            <div class="flags cost-form">
                <label class="flag">
                    <span>{"Destination"}</span>
                    <select class="select" data-testid="cost-destination" onchange={on_destination}>
                        { for all.iter().map(|b| html! { <option value={b.id.clone()} selected={b.id == p.id}>{ &b.name }</option> }) }
                        <option value={CUSTOM} selected={list.is_none()}>{"Custom prices"}</option>
                    </select>
                </label>
                { field("Ingest", "cost-ingest", p.ingest_per_gib, &format!("{cur} / GiB"), "Price of each GiB written", set(|n, v| n.price.ingest_per_gib = v)) }
                { field("Storage", "cost-storage", p.storage_per_gib_month, &format!("{cur} / GiB-month"), "Price of each GiB kept for a month, beyond the included days", set(|n, v| n.price.storage_per_gib_month = v)) }
                { field("included", "cost-included", p.included_retention_days, "days", "Days of storage the ingest price includes", set(|n, v| n.price.included_retention_days = v)) }
                { field("Free", "cost-free", p.free_ingest_gib_month, "GiB / month", "Free ingest each month (0 when other logs already use it)", set(|n, v| n.price.free_ingest_gib_month = v)) }
                { field("Kept", "cost-retention", pricing.retention_days, "days", "How many days of the log are kept at the destination", set(|n, v| n.retention_days = v)) }
                { reset }
            </div>
            <table class="grid compact cost-table">
                <thead><tr><th></th><th class="num">{"GiB / month"}</th><th class="num">{"Ingest"}</th><th class="num">{"Storage"}</th><th class="num">{"Total / month"}</th></tr></thead>
                <tbody>
                    { cost_row("Baseline", &format!("({})", props.baseline_label), "cost-baseline", &base, props.baseline_bytes_per_day, cur) }
                    { cost_row("Edited policy", "(A)", "cost-edited", &cand, props.edited_bytes_per_day, cur) }
                    <tr data-testid="cost-saving" data-amount={saving.to_string()}
                        class={classes!("saving", (saving > 0.0).then_some("down"), (saving < 0.0).then_some("up"))}>
                        <th scope="row">{ if saving >= 0.0 { "Saving" } else { "Extra cost" } }</th>
                        <td class="num">{ format!("{:.2}", base.gib_month - cand.gib_month) }</td>
                        <td class="num">{ format_money(base.ingest - cand.ingest, cur) }</td>
                        <td class="num">{ format_money(base.storage - cand.storage, cur) }</td>
                        <td class="num strong">{ saving_text }</td>
                    </tr>
                </tbody>
            </table>
            { provenance }
            <details class="cost-prices small">
                <summary>{"List prices and where they come from"}</summary>
                <table class="grid compact" data-testid="cost-list-prices">
                    <thead><tr><th>{"Destination"}</th><th>{"Price"}</th><th>{"Looked up"}</th><th>{"Source and assumptions"}</th></tr></thead>
                    <tbody>
                        { for all.iter().map(|b| html! {
                            <tr data-price={b.id.clone()}>
                                <td>{ &b.name }</td>
                                <td>{ price_terms(b) }</td>
                                <td class="nowrap">{ format!("looked up {}", b.looked_up) }</td>
                                <td>{ &b.source }<div class="muted">{ &b.note }</div></td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </details>
        </div>
    }
}
