//! Pure view logic of the page, kept in the library so that it is tested natively: the
//! virtual table's scroll mapping and what a key press does.
//!
//! Browsers cap an element's height (about 33.5 M px in Chromium, 17.9 M px in Firefox),
//! so a sizer of `rows × row height` makes rows past ~1.4 M (Chromium) unreachable while
//! the engine holds up to ~17.9 M. [`VScroll`] caps the sizer at [`MAX_SIZER_PX`] and maps
//! the scroll position proportionally onto rows: the first and the last row are always
//! reachable, and below the cap the mapping is the identity (one pixel is one pixel).

/// The tallest sizer the table uses, well below every browser's cap.
pub const MAX_SIZER_PX: f64 = 8_000_000.0;

/// A virtual list of `total` rows of `row_h` px in a viewport `viewport_h` px tall.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VScroll {
    pub total: u32,
    pub row_h: f64,
    pub viewport_h: f64,
}

impl VScroll {
    /// The full height the rows would take.
    fn content(&self) -> f64 {
        self.total as f64 * self.row_h
    }

    /// The sizer's height: the content, capped at [`MAX_SIZER_PX`].
    pub fn sizer_height(&self) -> f64 {
        self.content().min(MAX_SIZER_PX)
    }

    /// (content scroll range, sizer scroll range); equal below the cap.
    fn ranges(&self) -> (f64, f64) {
        let vh = self.viewport_h.max(0.0);
        (
            (self.content() - vh).max(0.0),
            (self.sizer_height() - vh).max(0.0),
        )
    }

    /// The content offset (px from the first row's top) shown at `scroll_top`.
    pub fn content_offset(&self, scroll_top: f64) -> f64 {
        let (c, s) = self.ranges();
        let st = scroll_top.clamp(0.0, s);
        if s <= 0.0 || c <= s {
            st
        } else {
            st * c / s
        }
    }

    /// The first row at least partly visible at `scroll_top`.
    pub fn first_row(&self, scroll_top: f64) -> u32 {
        if self.total == 0 || self.row_h <= 0.0 {
            return 0;
        }
        // A millionth of a row absorbs float rounding (`scroll_for_row` then `first_row`
        // gives the row back).
        ((self.content_offset(scroll_top) / self.row_h + 1e-6) as u32).min(self.total - 1)
    }

    /// Where (px from the sizer's top) to draw row `row` so that it appears where it
    /// belongs at `scroll_top` (rows are laid out `row_h` apart from there).
    pub fn row_top(&self, row: u32, scroll_top: f64) -> f64 {
        let (_, s) = self.ranges();
        scroll_top.clamp(0.0, s) + row as f64 * self.row_h - self.content_offset(scroll_top)
    }

    /// The `scroll_top` that shows `row` at the top of the viewport (clamped).
    pub fn scroll_for_row(&self, row: u32) -> f64 {
        let (c, s) = self.ranges();
        let y = (row as f64 * self.row_h).min(c);
        if c <= s || c <= 0.0 {
            y
        } else {
            y * s / c
        }
    }

    /// The `scroll_top` that brings `row` fully into view from `scroll_top`, or `None`
    /// when it already is.
    pub fn reveal(&self, row: u32, scroll_top: f64) -> Option<f64> {
        let top = self.row_top(row, scroll_top) - scroll_top.max(0.0);
        if top < 0.0 {
            Some(self.scroll_for_row(row))
        } else if top + self.row_h > self.viewport_h {
            let above = ((self.viewport_h / self.row_h).floor() as u32).saturating_sub(1);
            Some(self.scroll_for_row(row.saturating_sub(above)))
        } else {
            None
        }
    }
}

/// Nice tick steps of the timeline's time axis, in seconds (1 s to a year).
const TICK_STEPS_S: &[i64] = &[
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
    172_800, 604_800, 2_592_000, 7_776_000, 31_536_000,
];

/// The timeline's tick step (seconds) for a span of `span_s` seconds and at most `want`
/// labels: the smallest nice step that fits, past a year whole years (1, 2, 5, 10, 20,
/// 50, ... years), so the labels never outnumber `want` however long the span (a log
/// from 2017 to 2025, or a Go zero time `0001-01-01` beside 2026, once drew hundreds of
/// thousands of overlapping labels).
pub fn tick_step_s(span_s: i64, want: i64) -> i64 {
    let (span, want) = (span_s.max(1), want.max(1));
    if let Some(&s) = TICK_STEPS_S.iter().find(|&&s| span / s <= want) {
        return s;
    }
    let year = 31_536_000i64;
    let mut k = 1i64;
    loop {
        for m in [1, 2, 5] {
            if span / (year * k * m) <= want {
                return year * k * m;
            }
        }
        k = k.saturating_mul(10);
    }
}

/// The tick times (µs) in `[from, to)` for a step of `step_s` seconds (from
/// [`tick_step_s`]), `offset_us` east of UTC (0, or the local offset): multiples of the
/// step for steps up to a week, and the first day of a month (30-day steps: every month;
/// 90 days: every quarter) or of a year (whole years) beyond, so a label "2020" sits on
/// 1 January 2020, not a few days off.
pub fn tick_times(from: i64, to: i64, step_s: i64, offset_us: i64) -> Vec<i64> {
    const DAY_US: i64 = 86_400_000_000;
    let mut out = Vec::new();
    if to <= from || step_s <= 0 {
        return out;
    }
    if step_s < 2_592_000 {
        let step = step_s.saturating_mul(1_000_000);
        let mut t = (from + offset_us).div_euclid(step) * step - offset_us;
        while t < to {
            if t >= from {
                out.push(t);
            }
            t = t.saturating_add(step);
        }
        return out;
    }
    // Calendar steps, in months: 1, 3, or 12 × whole years.
    let months: i64 = match step_s {
        s if s < 7_776_000 => 1,
        s if s < 31_536_000 => 3,
        s => 12 * (s / 31_536_000).max(1),
    };
    let (y, m, _) = crate::util::civil_from_days((from + offset_us).div_euclid(DAY_US));
    // Start at the step boundary at or before `from` (months counted from year 0).
    let mut idx = (y * 12 + (m - 1)).div_euclid(months) * months;
    loop {
        let (yy, mm) = (idx.div_euclid(12), idx.rem_euclid(12) + 1);
        let t = crate::util::days_from_civil(yy, mm, 1)
            .saturating_mul(DAY_US)
            .saturating_sub(offset_us);
        if t >= to {
            break;
        }
        if t >= from {
            out.push(t);
        }
        idx += months;
        if out.len() > 10_000 {
            break; // a step from `tick_step_s` never gets here
        }
    }
    out
}

/// Where a key press happened (the page's shell classifies the focused element).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyTarget {
    /// A text input, text area, select or editable element: typing, never a shortcut.
    Field,
    /// The event table (the grid has focus).
    Table,
    /// A button, link, tab, checkbox or other control: Enter, Space and arrows are its own.
    Control,
    /// Nothing in particular (the page body).
    Page,
}

/// What a key press does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAction {
    ToggleHelp,
    /// Close the help or the event detail (the key still does what it does by default).
    Close,
    /// Move the table selection by this many rows.
    Move(i32),
    OpenSelected,
    FocusFilter,
    OpenFiles,
    OpenPolicy,
    LoadSample,
    ShowExplore,
    ShowPolicy,
}

impl KeyAction {
    /// Whether the page swallows the key (`preventDefault`). `Close` never does.
    pub fn swallows(self) -> bool {
        self != KeyAction::Close
    }
}

/// The shortcuts, as the help dialog lists them: (keys, what they do). Every key that
/// [`key_action`] acts on is listed (tested).
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("?", "Show or hide this list"),
    ("/", "Focus the filter (Explore)"),
    ("o", "Open log or policy files"),
    ("p", "Load a policy file"),
    ("s", "Load the sample"),
    ("1 / 2", "Explore / Policy"),
    (
        "j / k",
        "Next / previous event (anywhere; in the event table even with single-key shortcuts off)",
    ),
    (
        "↓ / ↑",
        "Next / previous event, when the event table has focus",
    ),
    (
        "Enter",
        "Open the selected event (unless a button or link has focus)",
    ),
    (
        "Esc",
        "Close this list or the event detail; in the policy editor, leave the editor",
    ),
    ("Tab", "In the policy editor: indent by two spaces"),
];

/// What `key` (a `KeyboardEvent.key`, no Ctrl/Meta/Alt) does on `target`.
/// `single_keys`: whether one-character shortcuts are on (WCAG 2.1.4: the user can turn
/// them off; then only keys of the focused table and Esc act).
///
/// The arrows act only in the table (elsewhere they scroll) and Enter only in the table
/// or on the page body, so a focused button, tab or link keeps them (a swallowed Enter
/// would never click it).
pub fn key_action(key: &str, target: KeyTarget, single_keys: bool) -> Option<KeyAction> {
    use KeyAction::*;
    if target == KeyTarget::Field {
        return None;
    }
    let table = target == KeyTarget::Table;
    match key {
        "Escape" => Some(Close),
        "ArrowDown" if table => Some(Move(1)),
        "ArrowUp" if table => Some(Move(-1)),
        // On the page body Enter has no action of its own; on a control it is the control's.
        "Enter" if table || target == KeyTarget::Page => Some(OpenSelected),
        "j" if table || single_keys => Some(Move(1)),
        "k" if table || single_keys => Some(Move(-1)),
        _ if !single_keys => None,
        "?" => Some(ToggleHelp),
        "/" => Some(FocusFilter),
        "o" => Some(OpenFiles),
        "p" => Some(OpenPolicy),
        "s" => Some(LoadSample),
        "1" => Some(ShowExplore),
        "2" => Some(ShowPolicy),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: f64 = 24.0;

    fn v(total: u32) -> VScroll {
        VScroll {
            total,
            row_h: H,
            viewport_h: 600.0,
        }
    }

    #[test]
    fn small_lists_are_the_identity() {
        let s = v(1000);
        assert_eq!(s.sizer_height(), 24_000.0);
        assert_eq!(s.first_row(0.0), 0);
        assert_eq!(s.first_row(240.0), 10);
        assert_eq!(s.row_top(10, 240.0), 240.0);
        assert_eq!(s.scroll_for_row(10), 240.0);
        // The last full page: scroll range is content minus viewport.
        assert_eq!(s.first_row(24_000.0 - 600.0), 975);
    }

    #[test]
    fn seventeen_million_rows_stay_reachable() {
        // The engine's limit (~17.9 M events); 17.9 M × 24 px = 430 M px, far past any
        // browser's cap: the sizer is capped, and the last row is reachable.
        let s = v(17_900_000);
        assert_eq!(s.sizer_height(), MAX_SIZER_PX);
        let end = MAX_SIZER_PX - 600.0;
        let first = s.first_row(end);
        // At the bottom the viewport shows the last 25 rows.
        assert_eq!(first, 17_900_000 - 25);
        let last_visible_top = s.row_top(17_900_000 - 1, end) - end;
        assert!(
            (last_visible_top - (600.0 - H)).abs() < 1e-6,
            "{last_visible_top}"
        );
        // Row 1.4 M (Chromium's old limit) and the middle row: scroll there, see them first.
        for row in [1_400_000, 8_950_000] {
            let st = s.scroll_for_row(row);
            assert!(st <= end);
            assert_eq!(s.first_row(st), row);
            assert!(s.row_top(row, st) - st < 1e-3);
        }
        // Scroll positions map monotonically onto rows.
        let mut prev = 0;
        for k in 0..=1000 {
            let r = s.first_row(end * k as f64 / 1000.0);
            assert!(r >= prev);
            prev = r;
        }
        assert_eq!(s.first_row(0.0), 0);
    }

    #[test]
    fn reveal_scrolls_only_when_needed() {
        let s = v(1000);
        assert_eq!(s.reveal(5, 0.0), None);
        assert_eq!(s.reveal(30, 0.0), Some((30.0 - 24.0) * H));
        assert_eq!(s.reveal(2, 240.0), Some(48.0));
        let big = v(10_000_000);
        let st = big.reveal(9_000_000, 0.0).unwrap();
        let first = big.first_row(st);
        assert!(first <= 9_000_000 && 9_000_000 - first < 25, "{first}");
    }

    #[test]
    fn degenerate_sizes() {
        assert_eq!(v(0).first_row(100.0), 0);
        assert_eq!(v(0).sizer_height(), 0.0);
        assert_eq!(v(1).first_row(1e9), 0);
        let tiny = VScroll {
            total: 3,
            row_h: H,
            viewport_h: 0.0,
        };
        assert_eq!(tiny.first_row(24.0), 1);
    }

    #[test]
    fn tick_steps_never_crowd_the_axis() {
        let day = 86_400;
        for (span, want) in [
            (1, 10),
            (59, 10),
            (3600, 10),
            (8 * 365 * day, 10),    // 2017..2025
            (2025 * 365 * day, 10), // a Go zero time beside 2026
            (i64::MAX / 2, 3),
        ] {
            let s = tick_step_s(span, want);
            assert!(
                span / s <= want,
                "span {span}: step {s} gives {} labels",
                span / s
            );
        }
        assert_eq!(tick_step_s(3600, 10), 600);
        assert_eq!(tick_step_s(8 * 365 * day, 10), 31_536_000);
        assert_eq!(tick_step_s(2025 * 365 * day, 10), 200 * 31_536_000);
    }

    #[test]
    fn calendar_ticks_sit_on_month_and_year_starts() {
        use crate::util::{format_rfc3339_secs, parse_rfc3339_micros};
        let t = |s: &str| parse_rfc3339_micros(s).unwrap();
        let (a, b) = (t("2017-09-11T19:55:05Z"), t("2025-10-07T16:19:19Z"));
        let ticks = tick_times(a, b, tick_step_s((b - a) / 1_000_000, 10), 0);
        let shown: Vec<String> = ticks.iter().map(|&x| format_rfc3339_secs(x)).collect();
        assert_eq!(
            shown.first().map(String::as_str),
            Some("2018-01-01T00:00:00Z")
        );
        assert_eq!(
            shown.last().map(String::as_str),
            Some("2025-01-01T00:00:00Z")
        );
        assert_eq!(shown.len(), 8, "{shown:?}");
        // Months and quarters.
        let m = tick_times(
            t("2026-01-15T00:00:00Z"),
            t("2026-05-02T00:00:00Z"),
            2_592_000,
            0,
        );
        let ms: Vec<String> = m.iter().map(|&x| format_rfc3339_secs(x)).collect();
        assert_eq!(
            ms,
            [
                "2026-02-01T00:00:00Z",
                "2026-03-01T00:00:00Z",
                "2026-04-01T00:00:00Z",
                "2026-05-01T00:00:00Z"
            ]
        );
        let q = tick_times(
            t("2025-11-01T00:00:00Z"),
            t("2026-08-01T00:00:00Z"),
            7_776_000,
            0,
        );
        let qs: Vec<String> = q.iter().map(|&x| format_rfc3339_secs(x)).collect();
        assert_eq!(
            qs,
            [
                "2026-01-01T00:00:00Z",
                "2026-04-01T00:00:00Z",
                "2026-07-01T00:00:00Z"
            ]
        );
        // Local time: the first of the month at local midnight (UTC+2 here).
        let off = 2 * 3_600_000_000;
        let l = tick_times(
            t("2026-01-15T00:00:00Z"),
            t("2026-02-15T00:00:00Z"),
            2_592_000,
            off,
        );
        assert_eq!(l, vec![t("2026-01-31T22:00:00Z")]);
        // A Go zero time beside 2026: few ticks, on year starts.
        let z = tick_times(
            t("0001-01-01T00:00:00Z"),
            t("2026-06-01T00:00:00Z"),
            tick_step_s(2025 * 31_536_000, 10),
            0,
        );
        assert!(!z.is_empty() && z.len() <= 11, "{}", z.len());
        assert!(z
            .iter()
            .all(|&x| format_rfc3339_secs(x).ends_with("-01-01T00:00:00Z")));
        // Short steps: multiples of the step.
        assert_eq!(tick_times(0, 10_000_000, 5, 0), vec![0, 5_000_000]);
    }

    #[test]
    fn keys_on_controls_stay_theirs() {
        // Review §6: Enter and the arrows were swallowed page-wide, so Enter on a focused
        // button did nothing.
        for k in ["Enter", "ArrowDown", "ArrowUp", " "] {
            assert_eq!(key_action(k, KeyTarget::Control, true), None, "{k}");
        }
        for k in ["ArrowDown", "ArrowUp", " "] {
            assert_eq!(
                key_action(k, KeyTarget::Page, true),
                None,
                "{k}: the page scrolls"
            );
        }
        assert_eq!(
            key_action("Enter", KeyTarget::Page, false),
            Some(KeyAction::OpenSelected)
        );
        assert_eq!(
            key_action("Enter", KeyTarget::Table, true),
            Some(KeyAction::OpenSelected)
        );
        assert_eq!(
            key_action("ArrowDown", KeyTarget::Table, false),
            Some(KeyAction::Move(1))
        );
    }

    #[test]
    fn fields_never_see_shortcuts() {
        for k in [
            "?", "/", "o", "p", "s", "1", "2", "j", "k", "Enter", "Escape",
        ] {
            assert_eq!(key_action(k, KeyTarget::Field, true), None, "{k}");
        }
    }

    #[test]
    fn single_key_shortcuts_can_be_turned_off() {
        for k in ["?", "/", "o", "p", "s", "1", "2", "j", "k"] {
            assert!(key_action(k, KeyTarget::Page, true).is_some(), "{k}");
            assert_eq!(key_action(k, KeyTarget::Page, false), None, "{k}");
            assert_eq!(key_action(k, KeyTarget::Control, false), None, "{k}");
        }
        // Active only on focus: the table keeps j/k; Esc always closes, never swallowed.
        assert_eq!(
            key_action("j", KeyTarget::Table, false),
            Some(KeyAction::Move(1))
        );
        assert_eq!(
            key_action("Escape", KeyTarget::Page, false),
            Some(KeyAction::Close)
        );
        assert!(!KeyAction::Close.swallows());
    }

    #[test]
    fn help_lists_every_key() {
        let listed: Vec<&str> = SHORTCUTS.iter().flat_map(|(k, _)| k.split(" / ")).collect();
        let name = |k: &str| {
            match k {
                "ArrowDown" => "↓",
                "ArrowUp" => "↑",
                "Escape" => "Esc",
                k => k,
            }
            .to_string()
        };
        // Every printable ASCII key and the named keys, on every target.
        let mut keys: Vec<String> = (0x20u8..0x7f).map(|c| (c as char).to_string()).collect();
        keys.extend(["Enter", "Escape", "ArrowDown", "ArrowUp", "Tab"].map(String::from));
        for k in &keys {
            for t in [KeyTarget::Table, KeyTarget::Control, KeyTarget::Page] {
                if key_action(k, t, true).is_some() {
                    assert!(listed.contains(&name(k).as_str()), "{k} is not in the help");
                }
            }
        }
    }
}
