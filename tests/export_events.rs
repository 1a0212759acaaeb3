//! `audit-lens export --format csv|jsonl` on corpus logs, checked against independent
//! computations: the rows a filter selects counted by a plain serde_json scan of the
//! files, the CSV parsed by Python's `csv` module (RFC 4180) and by a reader written here,
//! the JSON lines compared byte for byte with the source lines, the side file's
//! `file:line` read back from the files.

#![cfg(not(target_arch = "wasm32"))]

mod common;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_audit-lens");

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("audit-lens-export-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn run(args: &[&str]) -> (bool, String) {
    let o = Command::new(BIN).args(args).output().unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The two JSON-lines corpus logs of different clusters (with quotes and commas in
/// their user agents and RBAC reasons).
fn logs(c: &Path) -> [String; 2] {
    [
        c.join("logs/audit2rbac-demo-v1.log")
            .to_string_lossy()
            .into_owned(),
        c.join("logs/openshift-clo-apiaudit-audit_in.log")
            .to_string_lossy()
            .into_owned(),
    ]
}

/// Each line of `path` with its 1-based number and parsed event.
fn lines(path: &str) -> Vec<(usize, String, Value)> {
    let text = std::fs::read_to_string(path).unwrap();
    text.split('\n')
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let l = l.strip_suffix('\r').unwrap_or(l).to_string();
            let v: Value = serde_json::from_str(&l).unwrap();
            (i + 1, l, v)
        })
        .collect()
}

fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut x = v;
    for p in path {
        match x.get(p) {
            Some(y) => x = y,
            None => return "",
        }
    }
    x.as_str().unwrap_or("")
}

/// An RFC 4180 reader (quoted fields, doubled quotes, CRLF records), independent of the
/// writer.
fn read_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if at_start => {
                quoted = true;
                at_start = false;
            }
            ',' => {
                row.push(std::mem::take(&mut field));
                at_start = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                at_start = true;
            }
            c => {
                assert!(c != '"', "a bare quote inside an unquoted field");
                field.push(c);
                at_start = false;
            }
        }
    }
    assert!(
        field.is_empty() && row.is_empty(),
        "the last record has no CRLF"
    );
    rows
}

#[test]
fn csv_rows_are_the_filters_events() {
    let Some(c) = common::corpus() else { return };
    let [a, b] = logs(&c);
    let out = tmp("get.csv");
    let o = out.to_string_lossy().into_owned();
    let (ok, err) = run(&[
        "export",
        "--format",
        "csv",
        "--filter",
        "verb:get",
        "--columns",
        "time,user,verb,resource,code,user-agent,reason,file",
        &a,
        &b,
        "-o",
        &o,
    ]);
    assert!(ok, "{err}");
    // Independent: the lines of both files whose verb is get.
    let mut want: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    let mut n = 0;
    for f in [&a, &b] {
        for (_, _, v) in lines(f) {
            if s(&v, &["verb"]) == "get" {
                n += 1;
                *want
                    .entry((
                        s(&v, &["userAgent"]).to_string(),
                        s(&v, &["user", "username"]).to_string(),
                        f.clone(),
                    ))
                    .or_default() += 1;
            }
        }
    }
    assert!(n > 50, "the corpus has get requests: {n}");
    let text = std::fs::read_to_string(&out).unwrap();
    let rows = read_csv(&text);
    assert_eq!(
        rows[0],
        [
            "time",
            "user",
            "verb",
            "resource",
            "code",
            "user-agent",
            "reason",
            "file"
        ]
    );
    assert_eq!(rows.len() - 1, n, "one record per matching event");
    let mut got: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for r in &rows[1..] {
        assert_eq!(r.len(), 8, "{r:?}");
        assert_eq!(r[2], "get");
        *got.entry((r[5].clone(), r[1].clone(), r[7].clone()))
            .or_default() += 1;
    }
    assert_eq!(got, want, "user agents, users and files as in the logs");
    // A refused request's reason is its response message, which holds quotes: the quoting
    // was exercised and read back.
    let mut msgs: Vec<String> = Vec::new();
    for f in [&a, &b] {
        for (_, _, v) in lines(f) {
            if s(&v, &["verb"]) == "get" && v["responseStatus"]["code"].as_u64() == Some(404) {
                msgs.push(s(&v, &["responseStatus", "message"]).to_string());
            }
        }
    }
    let mut cells: Vec<String> = rows[1..]
        .iter()
        .filter(|r| r[4] == "404")
        .map(|r| r[6].clone())
        .collect();
    msgs.sort();
    cells.sort();
    assert!(msgs.iter().any(|m| m.contains('"')), "{msgs:?}");
    assert_eq!(cells, msgs);
    assert!(text.contains("\"\""), "doubled quotes");
    // Python's csv module reads the same records.
    let py = Command::new("python3")
        .args([
            "-c",
            "import csv,sys\nr=list(csv.reader(open(sys.argv[1],newline='')))\nprint(len(r)-1, len({len(x) for x in r}))",
            &o,
        ])
        .output()
        .unwrap();
    assert!(py.status.success());
    assert_eq!(String::from_utf8_lossy(&py.stdout).trim(), format!("{n} 1"));
}

#[test]
fn csv_name_says_what_it_holds() {
    let Some(c) = common::corpus() else { return };
    let [a, _] = logs(&c);
    let dir = tmp("named");
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_string_lossy().into_owned();
    let (ok, err) = run(&[
        "export",
        "--format",
        "csv",
        "--filter",
        "user:bob verb:get",
        &a,
        "-o",
        &d,
    ]);
    assert!(ok, "{err}");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    // The demo log's requests are all on 2017-09-11 from 20:27 (see the CSV test's times).
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(
        names[0].starts_with("audit-lens_user-bob_verb-get_2017-09-11T2027-"),
        "{names:?}"
    );
    assert!(names[0].ends_with("Z.csv"), "{names:?}");
}

#[test]
fn jsonl_lines_are_the_source_lines_and_the_side_file_says_where() {
    let Some(c) = common::corpus() else { return };
    let [a, b] = logs(&c);
    let out = tmp("code.jsonl");
    let side = tmp("code.sources.csv");
    let (o, sd) = (
        out.to_string_lossy().into_owned(),
        side.to_string_lossy().into_owned(),
    );
    let (ok, err) = run(&[
        "export",
        "--format",
        "jsonl",
        "--filter",
        "-code:200",
        "--sources",
        &sd,
        &a,
        &b,
        "-o",
        &o,
    ]);
    assert!(ok, "{err}");
    let mut want = Vec::new();
    let mut by_file: BTreeMap<String, BTreeMap<usize, String>> = BTreeMap::new();
    for f in [&a, &b] {
        for (i, l, v) in lines(f) {
            by_file.entry(f.clone()).or_default().insert(i, l.clone());
            if v["responseStatus"]["code"].as_u64() != Some(200) {
                want.push(l);
            }
        }
    }
    let got_bytes = std::fs::read(&out).unwrap();
    let got: Vec<String> = String::from_utf8(got_bytes)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert!(!want.is_empty());
    let (mut w, mut g) = (want.clone(), got.clone());
    w.sort();
    g.sort();
    assert_eq!(g, w, "byte-identical lines, the filter's count");
    let side_rows = read_csv(&std::fs::read_to_string(&side).unwrap());
    assert_eq!(side_rows[0], ["line", "file", "source_line"]);
    assert_eq!(side_rows.len() - 1, got.len());
    for r in &side_rows[1..] {
        let line: usize = r[0].parse().unwrap();
        let src: usize = r[2].parse().unwrap();
        assert_eq!(
            by_file[&r[1]][&src],
            got[line - 1],
            "line {line} comes from {}:{src}",
            r[1]
        );
    }
}

#[test]
fn bad_input_is_a_message() {
    let Some(c) = common::corpus() else { return };
    let [a, _] = logs(&c);
    let o = tmp("x.csv").to_string_lossy().into_owned();
    for (args, says) in [
        (
            vec![
                "export", "--format", "csv", "--filter", "verb:", &a, "-o", &o,
            ],
            "filter",
        ),
        (
            vec![
                "export",
                "--format",
                "csv",
                "--columns",
                "time,nope",
                &a,
                "-o",
                &o,
            ],
            "unknown column",
        ),
        (vec!["export", "--format", "csv", &a], "-o"),
        (
            vec!["export", "--format", "xml", &a, "-o", &o],
            "unknown --format",
        ),
        (vec!["export", "--key", "k", &a, "-o", &o], "--redact"),
    ] {
        let (ok, err) = run(&args);
        assert!(!ok, "{args:?}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}
