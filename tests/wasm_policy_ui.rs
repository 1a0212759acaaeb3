//! Browser tests of the policy workbench's pure UI logic: the YAML highlighter, the
//! selector summaries, the coverage-map cell levels, line offsets for "go to line", and
//! the workbench reducer (stale answers dropped, file adoption, restore, A/B).
#![cfg(target_arch = "wasm32")]

use audit_lens::audit::policy::{GroupResources, PolicyRule};
use audit_lens::audit::Level;
use audit_lens::ui::policy_coverage::cell_level;
use audit_lens::ui::policy_editor::line_start;
use audit_lens::ui::policy_highlight::{highlight_line, LevelTok, Tok};
use audit_lens::ui::policy_state::{Compare, PolicyAction, Saved, Slot, Workbench};
use audit_lens::ui::policy_whatif::{change, hours};
use audit_lens::web::protocol::{PolicyReport, WorkbenchReport};
use audit_lens::web::workbench::selector_summary;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The tokens as (kind, text) pairs.
fn toks(line: &str) -> Vec<(Tok, &str)> {
    highlight_line(line)
        .into_iter()
        .map(|(t, r)| (t, &line[r]))
        .collect()
}

/// The tokens cover the line exactly, in order.
fn covers(line: &str) {
    let mut at = 0;
    for (_, r) in highlight_line(line) {
        assert_eq!(r.start, at, "{line:?}");
        assert!(r.end > r.start, "{line:?}");
        at = r.end;
    }
    assert_eq!(at, line.len(), "{line:?}");
}

#[wasm_bindgen_test]
fn highlighter_keys_levels_strings_comments() {
    assert_eq!(
        toks("- level: RequestResponse"),
        vec![
            (Tok::Punct, "-"),
            (Tok::Plain, " "),
            (Tok::Key, "level"),
            (Tok::Punct, ":"),
            (Tok::Plain, " "),
            (Tok::Level(LevelTok::RequestResponse), "RequestResponse"),
        ]
    );
    assert_eq!(
        toks("  level: \"None\" # quiet"),
        vec![
            (Tok::Plain, "  "),
            (Tok::Key, "level"),
            (Tok::Punct, ":"),
            (Tok::Plain, " "),
            (Tok::Level(LevelTok::None), "\"None\""),
            (Tok::Plain, " "),
            (Tok::Comment, "# quiet"),
        ]
    );
    assert_eq!(toks("# whole line"), vec![(Tok::Comment, "# whole line")]);
    assert_eq!(
        toks("resources: [\"pods\", secrets]"),
        vec![
            (Tok::Key, "resources"),
            (Tok::Punct, ":"),
            (Tok::Plain, " "),
            (Tok::Punct, "["),
            (Tok::Str, "\"pods\""),
            (Tok::Punct, ","),
            (Tok::Plain, " "),
            (Tok::Value, "secrets"),
            (Tok::Punct, "]"),
        ]
    );
    // A `#` inside a value is not a comment; a URL's colon is not a key.
    assert_eq!(
        toks("  - \"/api#x\""),
        vec![
            (Tok::Plain, "  "),
            (Tok::Punct, "-"),
            (Tok::Plain, " "),
            (Tok::Str, "\"/api#x\"")
        ]
    );
    assert_eq!(toks("a#b"), vec![(Tok::Value, "a#b")]);
    assert_eq!(
        toks("url: http://x"),
        vec![
            (Tok::Key, "url"),
            (Tok::Punct, ":"),
            (Tok::Plain, " "),
            (Tok::Value, "http://x")
        ]
    );
    // Edge cases: empty, blanks, lone dash, unterminated quote, non-ASCII, tabs.
    assert!(highlight_line("").is_empty());
    for l in [
        "",
        "   ",
        "-",
        "- ",
        "key:",
        "'it''s'",
        "\"open",
        "naïve: ümlaut # ç",
        "\tk: v",
        "{a: b, c: [d]}",
        ": x",
        "- - x",
    ] {
        covers(l);
    }
    assert_eq!(
        Tok::Level(LevelTok::Metadata).class(),
        "tok-level lvl-metadata"
    );
}

fn rule(level: Level) -> PolicyRule {
    PolicyRule::new(level)
}

#[wasm_bindgen_test]
fn selector_summaries() {
    assert_eq!(
        selector_summary(&rule(Level::Metadata)),
        "everything (catch-all)"
    );
    let mut r = rule(Level::None);
    r.users = vec!["system:kube-proxy".into()];
    r.verbs = vec!["watch".into()];
    r.resources = vec![GroupResources {
        group: "".into(),
        resources: vec!["endpoints".into(), "services".into()],
        resource_names: vec![],
    }];
    assert_eq!(
        selector_summary(&r),
        "users: system:kube-proxy · verbs: watch · resources: core: endpoints, services"
    );
    let mut r = rule(Level::Request);
    r.user_groups = vec!["system:authenticated".into()];
    r.namespaces = vec!["".into(), "kube-system".into()];
    r.resources = vec![
        GroupResources {
            group: "apps".into(),
            resources: vec![],
            resource_names: vec![],
        },
        GroupResources {
            group: "".into(),
            resources: vec!["configmaps".into()],
            resource_names: vec!["a".into(), "b".into(), "c".into(), "d".into(), "e".into()],
        },
    ];
    assert_eq!(
        selector_summary(&r),
        "groups: system:authenticated · resources: apps: *; core: configmaps [names: a, b, c, d, +1] · ns: \"\", kube-system"
    );
    let mut r = rule(Level::None);
    r.non_resource_urls = vec!["/healthz*".into()];
    assert_eq!(selector_summary(&r), "urls: /healthz*");
}

#[wasm_bindgen_test]
fn map_cells_lines_and_numbers() {
    assert_eq!(cell_level(&[0, 0, 0, 0]), None);
    assert_eq!(cell_level(&[5, 0, 0, 0]), Some((0, false)));
    assert_eq!(
        cell_level(&[5, 0, 0, 1]),
        Some((3, true)),
        "highest level wins, mixed"
    );
    assert_eq!(cell_level(&[0, 2, 0, 0]), Some((1, false)));
    let t = "a\nbb\n\nccc";
    assert_eq!(line_start(t, 1), 0);
    assert_eq!(line_start(t, 2), 2);
    assert_eq!(line_start(t, 3), 5);
    assert_eq!(line_start(t, 4), 6);
    assert_eq!(line_start(t, 9), t.len(), "past the end");
    assert_eq!(change(100.0, 50.0), "−50.0 %");
    assert_eq!(change(100.0, 125.0), "+25.0 %");
    assert_eq!(change(7.0, 7.0), "±0 %");
    assert_eq!(change(0.0, 7.0), "new");
    assert_eq!(hours(5.25), "5.2 h");
    assert_eq!(hours(72.0), "3.0 days");
}

fn report(id: u64) -> WorkbenchReport {
    WorkbenchReport {
        id,
        report: PolicyReport {
            name: "p.yaml".into(),
            text: String::new(),
            rules: Some(1),
            valid: true,
            diagnostics: vec![],
        },
        rules: vec![],
        checklist: vec![],
        coverage: None,
        map: None,
        what_if: None,
        retention: vec![],
        baseline_error: None,
        compare: None,
        blind: None,
        no_coverage: None,
        elapsed_ms: 0.0,
    }
}

#[wasm_bindgen_test]
fn workbench_drops_stale_answers_and_adopts_files() {
    let mut w = Workbench::default();
    assert!(!w.busy(), "nothing to evaluate");
    w.reduce(PolicyAction::Edit("rules: []".into()));
    w.reduce(PolicyAction::Edit("rules: [x]".into()));
    assert_eq!(w.rev, 2);
    assert!(w.busy());
    w.answer(report(1));
    assert!(w.report.is_none(), "an answer for an older text is dropped");
    w.answer(report(2));
    assert!(!w.busy());
    assert_eq!(w.request().id, 2);
    assert_eq!(
        w.request().baseline,
        None,
        "compares with the log as recorded"
    );

    // A file replaces the text (and the editor's content), and old findings go.
    let reset = w.reset;
    w.adopt(&PolicyReport {
        name: "mine.yaml".into(),
        text: "kind: Policy".into(),
        rules: None,
        valid: false,
        diagnostics: vec![],
    });
    assert_eq!(
        (w.name.as_str(), w.text.as_str()),
        ("mine.yaml", "kind: Policy")
    );
    assert!(w.reset > reset && w.report.is_none());
    // The sample's own policy never overwrites the user's text.
    w.adopt(&PolicyReport {
        name: "sample-policy.yaml".into(),
        text: "sample".into(),
        rules: None,
        valid: true,
        diagnostics: vec![],
    });
    assert_eq!(w.text, "kind: Policy");

    // A/B: edits go to the slot shown; the request carries the baseline when compared.
    w.reduce(PolicyAction::UseAsBaseline);
    assert_eq!(w.compare, Compare::Baseline);
    w.reduce(PolicyAction::ShowSlot(Slot::Baseline));
    w.reduce(PolicyAction::Edit("baseline text".into()));
    assert_eq!(w.text, "kind: Policy");
    assert_eq!(w.request().baseline.as_deref(), Some("baseline text"));
    assert_eq!(w.shown_text(), "baseline text");

    // Restore fills an empty workbench only.
    let saved = Saved {
        name: "s.yaml".into(),
        text: "saved".into(),
        baseline: String::new(),
        compare: Compare::Recorded,
        kube_minor: 36,
    };
    let mut fresh = Workbench::default();
    fresh.reduce(PolicyAction::Restore(saved.clone()));
    assert_eq!((fresh.text.as_str(), fresh.kube_minor), ("saved", 36));
    w.reduce(PolicyAction::Restore(saved));
    assert_eq!(w.text, "kind: Policy");
}
