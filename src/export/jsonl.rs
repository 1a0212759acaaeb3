//! JSON lines exports keep every event's bytes as the source holds them (a line of its
//! own byte for byte; an event from a wrapper or a pretty document alone and compacted, as
//! `ingest::record::event_json` takes it out). With several files the source of each
//! output line is told by a side file: one CSV record per output line, `line,file,source_line`
//! (1-based line of the export, the file's name, the 1-based line the event starts on).

use super::csv::push_field;

/// The side file's header.
pub const SOURCES_HEADER: &str = "line,file,source_line\r\n";

/// One record of the side file.
pub fn sources_record(out: &mut String, line: u64, file: &str, source_line: u64) {
    out.push_str(&line.to_string());
    out.push(',');
    push_field(out, file);
    out.push(',');
    out.push_str(&source_line.to_string());
    out.push_str("\r\n");
}

/// 1-based line of byte `offset`, given the sorted offsets of every `\n`.
pub fn line_of(newlines: &[u64], offset: u64) -> u64 {
    newlines.partition_point(|&n| n < offset) as u64 + 1
}
