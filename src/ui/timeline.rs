//! The timeline: stacked event counts per bin on a `<canvas>` (sharp on high-DPI screens),
//! a latency heat strip with long-running requests (watches) under it, a legend, a tooltip,
//! and brushing: drag to zoom into a range, double-click (or the button) to zoom out.
//!
//! The canvas only draws what the worker binned ([`Timeline`]); the geometry below maps
//! time to CSS pixels and back. Styles go through the CSSOM (the CSP forbids inline styles).

use crate::analysis::timeline::{latency_percentile, LATENCY_BUCKETS};
use crate::ui::dom;
use crate::ui::explore_state::{field_of, term_for, STACKS};
use crate::util::{human_count, human_duration_micros};
use crate::web::protocol::{QueryResult, Severity, StackBy, Timeline};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, MouseEvent};
use yew::prelude::*;

/// Series colours (the legend's swatches use the same, as CSS classes `sw0`…`sw8`).
pub const PALETTE: [&str; 9] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
    "#9aa3ad",
];
const OTHER: usize = 8;

// Geometry in CSS pixels.
const PAD_L: f64 = 52.0;
const PAD_R: f64 = 10.0;
const TOP: f64 = 8.0;
const PLOT_H: f64 = 120.0;
const HEAT_Y: f64 = TOP + PLOT_H + 22.0;
const HEAT_H: f64 = 36.0;
const LONG_Y: f64 = HEAT_Y + HEAT_H + 4.0;
const LONG_H: f64 = 6.0;
/// Lowest latency bucket drawn (2^6..2^7 µs = 64–128 µs); faster requests join it.
const HEAT_LO: usize = 7;

/// Colour index of series `i` labelled `label` (code classes keep their usual colours).
pub fn colour_of(label: &str, i: usize) -> usize {
    match label {
        "2xx" => 2,
        "3xx" => 4,
        "4xx" => 1,
        "5xx" => 3,
        "no code" => OTHER,
        _ => i.min(OTHER - 1),
    }
}

/// The filter term for a legend entry under `stack`.
pub fn legend_term(stack: StackBy, label: &str) -> Option<String> {
    match stack {
        StackBy::None => None,
        StackBy::Dim(d) => term_for(field_of(d), label),
        StackBy::CodeClass => (label != "no code").then(|| format!("code:{label}")),
        StackBy::Rule => Some(match label.strip_prefix("rule ") {
            Some(n) => format!("rule:{n}"),
            None => "rule:none".into(),
        }),
    }
}

/// The time window shown: the brushed range, or the whole span.
pub fn view_of(r: &QueryResult) -> Option<(i64, i64)> {
    r.range.or(r.span.map(|(a, b)| (a, b + 1)))
}

/// The colour of a finding marker (issue 13): (light, dark) per severity.
fn marker_colour(s: Severity, dark: bool) -> &'static str {
    match (s, dark) {
        (Severity::Critical, false) => "#8f1111",
        (Severity::Critical, true) => "#ff6b6b",
        (Severity::High, false) => "#c2410c",
        (Severity::High, true) => "#ff922b",
        (_, false) => "#9a6700",
        (_, true) => "#ffd43b",
    }
}

/// The markers inside the shown window.
fn markers_in(markers: &[(i64, Severity)], from: i64, to: i64) -> usize {
    markers
        .iter()
        .filter(|(t, _)| *t >= from && *t < to)
        .count()
}

struct Geo {
    w: f64,
    from: i64,
    to: i64,
}

impl Geo {
    fn x(&self, t: i64) -> f64 {
        PAD_L
            + (t - self.from) as f64 / (self.to - self.from).max(1) as f64
                * (self.w - PAD_L - PAD_R)
    }
    fn t(&self, x: f64) -> i64 {
        let f = ((x - PAD_L) / (self.w - PAD_L - PAD_R)).clamp(0.0, 1.0);
        self.from + (f * (self.to - self.from) as f64) as i64
    }
}

/// Draws everything on the canvas. `brush` is a CSS-pixel x range being dragged.
fn draw(
    canvas: &HtmlCanvasElement,
    r: &Rc<QueryResult>,
    hover: Option<usize>,
    brush: Option<(f64, f64)>,
    local: bool,
    markers: &[(i64, Severity)],
) {
    let Some(tl) = r.timeline.as_ref() else {
        return;
    };
    let Some((from, to)) = view_of(r) else { return };
    let rect = canvas.get_bounding_client_rect();
    if rect.width() < 60.0 || rect.height() < 60.0 {
        // Not laid out (yet): drawing now would stretch a tiny bitmap. Try again shortly.
        let (c, r) = (canvas.clone(), r.clone());
        let m = markers.to_vec();
        dom::after(80, move || draw(&c, &r, hover, brush, local, &m));
        return;
    }
    let (w, h) = (rect.width(), rect.height());
    let dpr = web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .max(1.0);
    let (pw, ph) = ((w * dpr).round() as u32, (h * dpr).round() as u32);
    if canvas.width() != pw || canvas.height() != ph {
        canvas.set_width(pw);
        canvas.set_height(ph);
    }
    let Some(ctx) = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    let dark = dom::dark_mode();
    let (fg, muted, grid, bg) = if dark {
        ("#d8dde6", "#8d97a6", "#2c313c", "#181b22")
    } else {
        ("#1d2330", "#5f6b7a", "#e3e6ea", "#ffffff")
    };
    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    ctx.set_fill_style_str(bg);
    ctx.fill_rect(0.0, 0.0, w, h);
    let g = Geo { w, from, to };
    let max = tl.totals.iter().copied().max().unwrap_or(0).max(1) as f64;
    let y_of = |v: f64| TOP + PLOT_H - v / max * PLOT_H;
    ctx.set_font("11px system-ui, sans-serif");
    // Horizontal grid and y labels.
    ctx.set_text_align("right");
    ctx.set_text_baseline("middle");
    for k in 0..=2 {
        let v = max * k as f64 / 2.0;
        let y = y_of(v).round() + 0.5;
        ctx.set_fill_style_str(grid);
        ctx.fill_rect(PAD_L, y, w - PAD_L - PAD_R, 1.0);
        // A half-way label on a small axis would round to a neighbour's ("1 / 1 / 0").
        if k == 1 && v.fract() != 0.0 && max < 10.0 {
            continue;
        }
        ctx.set_fill_style_str(muted);
        let _ = ctx.fill_text(&human_count(v.round() as u64), PAD_L - 6.0, y);
    }
    // Bars: series bottom-up, then "other".
    let bw = tl.bin_us as f64 / (to - from).max(1) as f64 * (w - PAD_L - PAD_R);
    let gap = if bw > 4.0 { 1.0 } else { 0.0 };
    ctx.save();
    ctx.begin_path();
    ctx.rect(PAD_L, 0.0, w - PAD_L - PAD_R, h);
    ctx.clip();
    for b in 0..tl.bins {
        let x0 = g.x(tl.start + b as i64 * tl.bin_us);
        // At least 2 px wide, and a bin with events at least 2 px tall (a sparse log's
        // single events beside a burst of thousands stay visible).
        let wd = (bw - gap).max(2.0);
        let mut acc = 0.0;
        if tl.totals[b] > 0 && y_of(0.0) - y_of(tl.totals[b] as f64) < 2.0 {
            let c = tl
                .series
                .iter()
                .enumerate()
                .find(|(_, s)| s.counts[b] > 0)
                .map_or(if tl.series.is_empty() { 0 } else { OTHER }, |(i, s)| {
                    colour_of(&s.label, i)
                });
            ctx.set_fill_style_str(PALETTE[c]);
            ctx.fill_rect(x0, y_of(0.0) - 2.0, wd, 2.0);
            continue;
        }
        let layers = tl
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| (colour_of(&s.label, i), s.counts[b]))
            .chain(std::iter::once((
                if tl.series.is_empty() { 0 } else { OTHER },
                tl.other[b],
            )));
        for (c, n) in layers {
            if n == 0 {
                continue;
            }
            let y1 = y_of(acc);
            acc += n as f64;
            let y0 = y_of(acc);
            ctx.set_fill_style_str(PALETTE[c]);
            ctx.fill_rect(x0, y0, wd, (y1 - y0).max(1.0));
        }
    }
    // Findings (issue 13): a thin line through the bars and a triangle on top, at each
    // finding's first event, the least serious drawn first.
    let mut ms: Vec<&(i64, Severity)> = markers
        .iter()
        .filter(|(t, _)| *t >= from && *t < to)
        .collect();
    ms.sort_by_key(|(_, s)| *s);
    for (t, sev) in ms {
        let x = g.x(*t).round() + 0.5;
        let c = marker_colour(*sev, dark);
        ctx.set_fill_style_str(c);
        ctx.set_global_alpha(0.55);
        ctx.fill_rect(x - 0.5, TOP + 6.0, 1.0, PLOT_H - 6.0);
        ctx.set_global_alpha(1.0);
        ctx.begin_path();
        ctx.move_to(x - 5.0, TOP - 2.0);
        ctx.line_to(x + 5.0, TOP - 2.0);
        ctx.line_to(x, TOP + 7.0);
        ctx.close_path();
        ctx.fill();
        ctx.set_stroke_style_str(bg);
        ctx.set_line_width(1.0);
        ctx.stroke();
    }
    // Latency heat strip: one row per log2 bucket, darker = more events.
    let rows = LATENCY_BUCKETS - HEAT_LO;
    let rh = HEAT_H / rows as f64;
    let hmax = tl
        .latency
        .iter()
        .flat_map(|h| h.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    for b in 0..tl.bins {
        let x0 = g.x(tl.start + b as i64 * tl.bin_us);
        let wd = bw.max(1.0);
        let hist = &tl.latency[b];
        for k in HEAT_LO..LATENCY_BUCKETS {
            let mut c = hist[k] as f64;
            if k == HEAT_LO {
                c += hist[..HEAT_LO].iter().map(|&v| v as f64).sum::<f64>();
            }
            if c == 0.0 {
                continue;
            }
            let a = 0.15 + 0.85 * (1.0 + c).ln() / (1.0 + hmax).ln();
            let y = HEAT_Y + HEAT_H - (k - HEAT_LO + 1) as f64 * rh;
            ctx.set_fill_style_str(&format!("rgba(214, 96, 24, {a:.3})"));
            ctx.fill_rect(x0, y, wd, rh.max(1.0));
        }
        if tl.long_running[b] > 0 {
            ctx.set_fill_style_str("#c0262d");
            ctx.fill_rect(x0, LONG_Y, wd.max(2.0), LONG_H);
        }
    }
    if let Some(b) = hover {
        let x0 = g.x(tl.start + b as i64 * tl.bin_us);
        ctx.set_fill_style_str(if dark {
            "rgba(255,255,255,0.12)"
        } else {
            "rgba(0,0,0,0.08)"
        });
        ctx.fill_rect(x0, TOP, bw.max(1.0), LONG_Y + LONG_H - TOP);
    }
    ctx.restore();
    // Strip labels.
    ctx.set_fill_style_str(muted);
    ctx.set_font("10px system-ui, sans-serif");
    ctx.set_text_align("right");
    for (k, l) in [(10usize, "1ms"), (20, "1s")] {
        let y = HEAT_Y + HEAT_H - (k - HEAT_LO) as f64 * rh;
        let _ = ctx.fill_text(l, PAD_L - 6.0, y);
        ctx.set_fill_style_str(grid);
        ctx.fill_rect(PAD_L - 3.0, y.round(), 3.0, 1.0);
        ctx.set_fill_style_str(muted);
    }
    let _ = ctx.fill_text("≥1 min", PAD_L - 6.0, LONG_Y + LONG_H / 2.0 + 1.0);
    let _ = ctx.fill_text("latency", PAD_L - 6.0, HEAT_Y + 2.0);
    // X ticks.
    ctx.set_font("11px system-ui, sans-serif");
    ctx.set_text_align("center");
    // Labels at most every 110 px (issue 16 §6: sub-second steps for a burst of a few
    // seconds, years with month ticks for years of data; `analysis::timeline::axis`).
    let want = ((w - PAD_L - PAD_R) / 110.0).max(2.0) as usize;
    let shift = if local {
        dom::local_offset_min(from) * 60_000_000
    } else {
        0
    };
    let ax = crate::analysis::timeline::axis(from, to, want, shift);
    ctx.set_fill_style_str(muted);
    for t in &ax.minor {
        let x = g.x(*t).round() + 0.5;
        ctx.fill_rect(x, TOP + PLOT_H, 1.0, 3.0);
    }
    for tk in &ax.ticks {
        let x = g.x(tk.t).round() + 0.5;
        ctx.set_fill_style_str(muted);
        ctx.fill_rect(x, TOP + PLOT_H, 1.0, 5.0);
        ctx.set_fill_style_str(fg);
        // A label at either end stays inside the canvas (aligned to its edge).
        let half = tk.label.len() as f64 * 3.3; // 11px digits are about 6.3px wide
        let (lx, align) = if x + half > w - 2.0 {
            (w - 2.0, "right")
        } else if x - half < 2.0 {
            (2.0, "left")
        } else {
            (x, "center")
        };
        ctx.set_text_align(align);
        let _ = ctx.fill_text(&tk.label, lx, TOP + PLOT_H + 13.0);
    }
    ctx.set_text_align("center");
    // Brush.
    if let Some((a, b)) = brush {
        let (a, b) = (a.min(b).max(PAD_L), a.max(b).min(w - PAD_R));
        ctx.set_fill_style_str("rgba(47, 111, 222, 0.18)");
        ctx.fill_rect(a, TOP, b - a, LONG_Y + LONG_H - TOP);
        ctx.set_fill_style_str("rgba(47, 111, 222, 0.9)");
        ctx.fill_rect(a, TOP, 1.0, LONG_Y + LONG_H - TOP);
        ctx.fill_rect(b, TOP, 1.0, LONG_Y + LONG_H - TOP);
    }
}

/// Bin under CSS x, if any.
fn bin_at(tl: &Timeline, g: &Geo, x: f64) -> Option<usize> {
    if x < PAD_L || x > g.w - PAD_R {
        return None;
    }
    let t = g.t(x);
    let b = (t - tl.start).div_euclid(tl.bin_us);
    (b >= 0 && (b as usize) < tl.bins).then_some(b as usize)
}

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub result: Rc<QueryResult>,
    pub stack: StackBy,
    pub local_time: bool,
    pub on_range: Callback<Option<(i64, i64)>>,
    /// (term, negate)
    pub on_term: Callback<(String, bool)>,
    pub on_stack: Callback<StackBy>,
    pub on_local: Callback<()>,
    /// Findings of severity medium or worse: (first event time, severity).
    #[prop_or_default]
    pub markers: Rc<Vec<(i64, Severity)>>,
}

#[function_component]
pub fn TimelineChart(props: &TimelineProps) -> Html {
    let canvas = use_node_ref();
    let tip = use_node_ref();
    let hover = use_state(|| None::<(usize, f64, f64)>); // bin, x, y
    let drag = use_mut_ref(|| None::<f64>);
    let brush = use_state(|| None::<(f64, f64)>);
    let resized = use_state(|| 0u32);
    // Redraw on window resize.
    {
        let resized = resized.clone();
        use_effect_with((), move |_| {
            let cb = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
                resized.set((js_sys::Date::now() as u64 % 1_000_000_007) as u32)
            });
            let w = web_sys::window();
            if let Some(w) = &w {
                let _ = w.add_event_listener_with_callback("resize", cb.as_ref().unchecked_ref());
            }
            move || {
                if let Some(w) = w {
                    let _ = w
                        .remove_event_listener_with_callback("resize", cb.as_ref().unchecked_ref());
                }
            }
        });
    }
    {
        let (canvas, tip) = (canvas.clone(), tip.clone());
        let r = props.result.clone();
        let local = props.local_time;
        let hv = *hover;
        let br = *brush;
        let markers = props.markers.clone();
        use_effect_with(
            (r, hv, br, local, *resized, markers),
            move |(r, hv, br, local, _, markers)| {
                if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
                    draw(&c, r, hv.map(|h| h.0), *br, *local, markers);
                    if let (Some(t), Some((_, x, y))) = (tip.cast::<web_sys::Element>(), hv) {
                        let w = c.get_bounding_client_rect().width();
                        let left = if *x > w - 260.0 { x - 250.0 } else { x + 14.0 };
                        dom::set_style(&t, "left", &format!("{left:.0}px"));
                        dom::set_style(&t, "top", &format!("{:.0}px", (y + 12.0).min(120.0)));
                    }
                }
            },
        );
    }
    let r = &props.result;
    let Some(tl) = r.timeline.as_ref() else {
        return html! {};
    };
    let view = view_of(r).unwrap_or((0, 1));
    let geo = move |c: &NodeRef| {
        let w = c
            .cast::<web_sys::Element>()
            .map_or(800.0, |e| e.get_bounding_client_rect().width());
        Geo {
            w,
            from: view.0,
            to: view.1,
        }
    };
    let onmousedown = {
        let (drag, brush) = (drag.clone(), brush.clone());
        Callback::from(move |e: MouseEvent| {
            if e.button() == 0 {
                e.prevent_default();
                let x = e.offset_x() as f64;
                *drag.borrow_mut() = Some(x);
                brush.set(Some((x, x)));
            }
        })
    };
    let onmousemove = {
        let (drag, brush, hover, canvas) =
            (drag.clone(), brush.clone(), hover.clone(), canvas.clone());
        let tl = tl.clone();
        Callback::from(move |e: MouseEvent| {
            let (x, y) = (e.offset_x() as f64, e.offset_y() as f64);
            if let Some(x0) = *drag.borrow() {
                brush.set(Some((x0, x)));
            }
            let g = geo(&canvas);
            hover.set(bin_at(&tl, &g, x).map(|b| (b, x, y)));
        })
    };
    let finish = {
        let (drag, brush, canvas, on_range) = (
            drag.clone(),
            brush.clone(),
            canvas.clone(),
            props.on_range.clone(),
        );
        move |x: f64| {
            let Some(x0) = drag.borrow_mut().take() else {
                return;
            };
            brush.set(None);
            if (x - x0).abs() >= 4.0 {
                let g = geo(&canvas);
                let (a, b) = (g.t(x0.min(x)), g.t(x0.max(x)));
                if b > a {
                    on_range.emit(Some((a, b)));
                }
            }
        }
    };
    let onmouseup = {
        let finish = finish.clone();
        Callback::from(move |e: MouseEvent| finish(e.offset_x() as f64))
    };
    let onmouseleave = {
        let hover = hover.clone();
        Callback::from(move |e: MouseEvent| {
            hover.set(None);
            finish(e.offset_x() as f64);
        })
    };
    let ondblclick = props.on_range.reform(|_: MouseEvent| None);
    let zoom_out = props.on_range.reform(|_: MouseEvent| None);
    let on_stack = {
        let cb = props.on_stack.clone();
        Callback::from(move |e: Event| {
            // The select's value through Reflect (no HtmlSelectElement binding needed).
            let value = e
                .target()
                .and_then(|t| js_sys::Reflect::get(&t, &"value".into()).ok())
                .and_then(|v| v.as_string());
            if let Some(s) = value.and_then(|v| STACKS.iter().find(|x| x.0 == v)) {
                cb.emit(s.2);
            }
        })
    };
    let on_local = props.on_local.reform(|_: MouseEvent| ());
    let png = {
        let canvas = canvas.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
                let cb = wasm_bindgen::closure::Closure::once_into_js(
                    move |b: Option<web_sys::Blob>| {
                        if let Some(b) = b {
                            dom::download(&b, "audit-lens-timeline.png");
                        }
                    },
                );
                let _ = c.to_blob(cb.unchecked_ref());
            }
        })
    };
    let zone = if props.local_time {
        "local time"
    } else {
        "UTC"
    };
    let span_text = format!(
        "{} → {} {zone} · {} bins",
        dom::time_ms(view.0, props.local_time)
            .get(..19)
            .unwrap_or(""),
        dom::time_ms(view.1, props.local_time)
            .get(..19)
            .unwrap_or(""),
        human_duration_micros(tl.bin_us)
    );
    let legend = tl
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| (s.label.clone(), s.total, colour_of(&s.label, i)))
        .chain((!tl.series.is_empty()).then(|| {
            let n: u64 = tl.other.iter().map(|&v| v as u64).sum();
            ("other".to_string(), n, OTHER)
        }))
        .filter(|(_, n, _)| *n > 0)
        .map(|(label, n, c)| {
            let term = if label == "other" { None } else { legend_term(props.stack, &label) };
            let onclick = term.clone().map(|t| {
                props.on_term.reform(move |e: MouseEvent| (t.clone(), e.shift_key()))
            });
            let none = term.is_none();
            html! {
                <button class={classes!("chip", none.then_some("static"))} {onclick} disabled={none}
                        title={term.map_or_else(|| "Everything not listed".to_string(), |t| format!("Click: filter {t} · Shift-click: exclude it"))}>
                    <span class={format!("sw sw{c}")}></span>{ label }<span class="muted">{ format!(" {}", human_count(n)) }</span>
                </button>
            }
        });
    let tooltip = hover.and_then(|(b, _, _)| {
        let start = tl.start + b as i64 * tl.bin_us;
        let total = *tl.totals.get(b)?;
        let lines = tl
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| (s.label.clone(), s.counts[b], colour_of(&s.label, i)))
            .chain((!tl.series.is_empty()).then(|| ("other".into(), tl.other[b], OTHER)))
            .filter(|x| x.1 > 0)
            .collect::<Vec<_>>();
        let p50 = latency_percentile(&tl.latency[b], 0.5);
        let p99 = latency_percentile(&tl.latency[b], 0.99);
        let lat = |v: Option<u64>| v.map_or("–".into(), |us| human_duration_micros(us as i64));
        Some(html! {
            <div class="tl-tip" ref={tip.clone()} data-testid="timeline-tooltip">
                <div class="tip-time">{ format!("{} – {}", dom::time_ms(start, props.local_time), dom::time_ms(start + tl.bin_us, props.local_time).get(11..).unwrap_or("")) }</div>
                <div class="tip-total">{ format!("{} events", human_count(total as u64)) }</div>
                { for lines.into_iter().map(|(l, n, c)| html! {
                    <div class="tip-row"><span class={format!("sw sw{c}")}></span><span class="tip-label">{ l }</span><span class="num">{ human_count(n as u64) }</span></div>
                }) }
                <div class="tip-lat muted">{ format!("latency p50 ≤ {} · p99 ≤ {}", lat(p50), lat(p99)) }
                    if tl.long_running[b] > 0 { { format!(" · {} long-running (≥1 min)", tl.long_running[b]) } }
                </div>
            </div>
        })
    });
    let stack_opts = STACKS
        .iter()
        .filter(|s| s.2 != StackBy::Rule || r.policy)
        .map(|(k, label, v)| html! { <option value={*k} selected={*v == props.stack}>{ *label }</option> });
    let marked = markers_in(&props.markers, view.0, view.1);
    let aria = format!(
        "Events over time: {} events, {span_text}{}",
        human_count(tl.events),
        if marked > 0 {
            format!("; {marked} findings marked")
        } else {
            String::new()
        }
    );
    html! {
        <section class="panel timeline-panel">
            <div class="panel-head">
                <h2>{"Timeline"}</h2>
                <span class="muted small">{ span_text }</span>
                <span class="spacer"></span>
                <label class="small muted">{"stack by "}
                    <select class="select" onchange={on_stack} data-testid="stack-by">{ for stack_opts }</select>
                </label>
                <button class="button small" onclick={on_local} data-testid="time-zone" title="Show times in UTC or in this computer's time zone">{ if props.local_time { "Local" } else { "UTC" } }</button>
                <button class="button small" onclick={zoom_out} disabled={r.range.is_none()} data-testid="zoom-out" title="Show the whole time span (double-click the chart)">{"Zoom out"}</button>
                <button class="button small" onclick={png} data-testid="export-png" title="Download the chart as PNG">{"PNG"}</button>
            </div>
            <div class="tl-wrap">
                <canvas ref={canvas} class="tl-canvas" data-testid="timeline" role="img" aria-label={aria} data-markers={marked.to_string()}
                    {onmousedown} {onmousemove} {onmouseup} {onmouseleave} {ondblclick}></canvas>
                { for tooltip }
            </div>
            <div class="legend">{ for legend }
                <span class="legend-note muted small">{"Heat strip: latency (darker = more requests); red marks: requests running ≥1 min (watches). Drag to zoom."}
                    if marked > 0 { { format!(" ▼ {marked} finding{} (medium or worse) at {} first event.", if marked == 1 { "" } else { "s" }, if marked == 1 { "its" } else { "their" }) } }
                </span>
            </div>
        </section>
    }
}
