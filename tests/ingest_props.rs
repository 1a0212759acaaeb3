//! Property tests of the ingest: any chunking of the same bytes gives the same store, and
//! whatever the bytes, parsed + rejected = records and nothing panics.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use audit_lens::gen::{generate, GenOptions};
use audit_lens::store::Store;
use common::*;
use proptest::prelude::*;
use std::sync::OnceLock;

/// A small generated log (same bytes every run).
fn sample() -> &'static [u8] {
    static S: OnceLock<Vec<u8>> = OnceLock::new();
    S.get_or_init(|| {
        let mut v = Vec::new();
        generate(
            &GenOptions {
                duration_s: 90,
                ..Default::default()
            },
            &mut |b| v.extend_from_slice(b),
        );
        v
    })
}

fn whole(bytes: &[u8]) -> Vec<String> {
    digest(&load("f", bytes))
}

fn chunked_by(bytes: &[u8], cuts: &[usize]) -> Store {
    let mut s = Store::new();
    let mut ing = audit_lens::ingest::Ingester::new(&mut s, "f", bytes.len() as u64);
    let mut at = 0;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    for c in cuts {
        ing.push(&mut s, &bytes[at..c]);
        at = c;
    }
    ing.push(&mut s, &bytes[at..]);
    ing.finish(&mut s);
    s.finalize();
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_chunking_gives_the_same_store(cuts in prop::collection::vec(any::<usize>(), 0..40)) {
        let bytes = sample();
        let want = whole(bytes);
        let s = chunked_by(bytes, &cuts);
        prop_assert_eq!(digest(&s), want);
    }

    #[test]
    fn any_chunking_of_gzip_gives_the_same_store(cuts in prop::collection::vec(any::<usize>(), 0..20)) {
        use std::io::Write;
        let bytes = &sample()[..200_000.min(sample().len())];
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        let z = e.finish().unwrap();
        let s = chunked_by(&z, &cuts);
        prop_assert_eq!(digest(&s), whole(bytes));
    }

    #[test]
    fn accounting_holds_for_mangled_input(
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..60),
        cut in any::<usize>(),
        chunk in 1usize..5000,
    ) {
        let mut bytes = sample()[..150_000.min(sample().len())].to_vec();
        for (at, b) in edits {
            let i = at % bytes.len();
            bytes[i] = b;
        }
        bytes.truncate(cut % (bytes.len() + 1));
        let lines = bytes.split(|&b| b == b'\n').filter(|l| l.iter().any(|c| !c.is_ascii_whitespace())).count() as u64;
        let mut s = Store::new();
        load_chunked(&mut s, "m", &bytes, chunk);
        let (events, rejected, records) = s.totals();
        prop_assert_eq!(events + rejected, records);
        prop_assert_eq!(events, s.len() as u64);
        // Line mode (the sample is JSON lines): one record per non-blank line, unless a
        // mangled first line switched the file to document mode.
        if s.files[0].format == audit_lens::store::Format::JsonLines {
            prop_assert_eq!(records, lines);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..3000), chunk in 1usize..512) {
        let mut s = Store::new();
        load_chunked(&mut s, "junk", &bytes, chunk);
        let (e, r, t) = s.totals();
        prop_assert_eq!(e + r, t);
    }

    #[test]
    fn json_shaped_noise_never_panics(parts in prop::collection::vec(prop::sample::select(vec![
        "{", "}", "[", "]", "\"", "\\", ",", ":", "\n", " ", "\"kind\"", "\"Event\"", "\"items\"", "\"records\"",
        "\"properties\"", "\"log\"", "\"auditID\"", "\"stage\"", "1", "null", "\u{feff}", "\r\n",
    ]), 0..300), chunk in 1usize..64) {
        let text: String = parts.concat();
        let mut s = Store::new();
        load_chunked(&mut s, "noise", text.as_bytes(), chunk);
        let (e, r, t) = s.totals();
        prop_assert_eq!(e + r, t);
    }
}

/// Reads `bytes` (plain JSON lines) as one file cut into pieces at the line starts at or
/// after each of `cuts`: the first piece into the store, each other piece into a store
/// of its own (as a helper worker does), sent through `store::wire` when `wire`, and
/// merged in file order with `Store::absorb`.
fn read_in_pieces(bytes: &[u8], cuts: &[usize], wire: bool) -> Store {
    use audit_lens::ingest::Ingester;
    let mut starts: Vec<usize> = cuts
        .iter()
        .filter_map(|&c| {
            let c = c % bytes.len().max(1);
            memchr::memchr(b'\n', &bytes[c..]).map(|nl| c + nl + 1)
        })
        .filter(|&at| at < bytes.len())
        .collect();
    starts.sort_unstable();
    starts.dedup();
    let mut bounds = vec![0];
    bounds.extend(starts);
    bounds.push(bytes.len());
    let mut s = Store::new();
    let mut ing = Ingester::new(&mut s, "f", bytes.len() as u64);
    ing.push(&mut s, &bytes[..bounds[1]]);
    let file = ing.file();
    let mut lines_before = ing.line() - 1;
    ing.finish(&mut s);
    for w in bounds[1..].windows(2) {
        let mut part = Store::new();
        let mut p = Ingester::continuation(&mut part, "f", w[0] as u64, 1);
        p.push(&mut part, &bytes[w[0]..w[1]]);
        let lines = p.line() - 1;
        p.finish(&mut part);
        if wire {
            use audit_lens::store::wire;
            part = wire::decode(&wire::encode(&part)).expect("our own piece decodes");
        }
        s.absorb(&part, file, lines_before);
        lines_before += lines;
    }
    s.files[file as usize].decoded_bytes = bytes.len() as u64;
    s.finalize();
    s
}

/// The sample with a malformed line after every `every`-th line.
fn with_bad_lines(every: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, line) in sample().split_inclusive(|&b| b == b'\n').enumerate() {
        if i > 0 && i % every == 0 {
            out.extend_from_slice(format!("{{\"kind\":\"Event\",\"broken\": {i}\n").as_bytes());
        }
        out.extend_from_slice(line);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn reading_in_pieces_gives_the_same_store(
        cuts in prop::collection::vec(any::<usize>(), 0..6),
        every in 5usize..400,
        wire in any::<bool>(),
    ) {
        let bytes = with_bad_lines(every);
        let one = load("f", &bytes);
        let s = read_in_pieces(&bytes, &cuts, wire);
        prop_assert_eq!(digest(&s), digest(&one));
        prop_assert_eq!(&s.rejections, &one.rejections);
        prop_assert_eq!(s.totals(), one.totals());
        prop_assert!(one.totals().1 > 0, "the log has rejected lines");
        let (f, g) = (&s.files[0], &one.files[0]);
        prop_assert_eq!((f.records, f.events, f.rejected), (g.records, g.events, g.rejected));
    }
}
