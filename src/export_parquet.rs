//! The store as a Parquet table (native only): one row per event with the indexed fields,
//! the body and managedFields sizes, where the event came from and, with a policy, the
//! decision the evaluator gives it. The columns are [`crate::sql::COLUMNS`], so the SQL of
//! [`crate::sql`] runs on the file as written (DuckDB `read_parquet`, Spark, Trino,
//! BigQuery and ClickHouse all read Parquet).
//!
//! Written with the `parquet` crate's low-level writer (`SerializedFileWriter`, column by
//! column), snappy-compressed, dictionary-encoded strings. Row groups hold
//! [`ROW_GROUP_ROWS`] rows and each column of a row group is built, written and dropped
//! before the next, so the memory beyond the store is one column of one row group (plus
//! the writer's encoded pages of that row group), whatever the log's size.
//!
//! Invariants: rows are in the store's order (time order after `finalize`); strings the
//! event lacks are `""` (as in the store), except `stage` and `recorded_level` (`NULL`);
//! `code` is `NULL` when the event has none; `stage_us`/`latency_us` are `NULL` without a
//! `stageTimestamp`; `record_item` is `NULL` for an event that is its own record.

use crate::analysis::evaluate::Evaluation;
use crate::analysis::volume::estimate_size_mf;
use crate::audit::{Level, Stage};
use crate::store::{Dim, Store};
use parquet::basic::Compression;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::{SerializedColumnWriter, SerializedFileWriter};
use parquet::schema::parser::parse_message_type;
use std::io::Write;
use std::sync::Arc;

/// Rows per row group: large enough for engines to read in parallel and skip by
/// statistics, small enough that one column of one group stays a few MB.
pub const ROW_GROUP_ROWS: usize = 131_072;

/// What [`write`] wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportStats {
    pub rows: u64,
    pub row_groups: usize,
    pub columns: usize,
}

/// The Parquet schema (message type text) of an export, with or without the decision
/// columns.
pub fn schema_text(with_policy: bool) -> String {
    let list = |n: &str| {
        format!(
            "  REQUIRED group {n} (LIST) {{ REPEATED group list {{ REQUIRED BYTE_ARRAY element (UTF8); }} }}\n"
        )
    };
    let mut s = String::from("message audit_event {\n");
    for (name, ty, _) in crate::sql::COLUMNS {
        if !with_policy && matches!(*name, "rule" | "level" | "omitted" | "kept_bytes") {
            continue;
        }
        let line = match *ty {
            "LIST<STRING>" => list(name),
            "STRING" => format!("  REQUIRED BYTE_ARRAY {name} (UTF8);\n"),
            "STRING NULL" => format!("  OPTIONAL BYTE_ARRAY {name} (UTF8);\n"),
            "BOOLEAN" => format!("  REQUIRED BOOLEAN {name};\n"),
            "INT64" => format!("  REQUIRED INT64 {name};\n"),
            "INT64 NULL" => format!("  OPTIONAL INT64 {name};\n"),
            "INT32 NULL" => format!("  OPTIONAL INT32 {name};\n"),
            _ => format!("  REQUIRED INT64 {name} (TIMESTAMP(MICROS,true));\n"),
        };
        s.push_str(&line);
    }
    s.push_str("}\n");
    s
}

/// Interned strings as Parquet values, each built once (values share their bytes).
struct Cache {
    v: Vec<Option<ByteArray>>,
}

impl Cache {
    fn new() -> Cache {
        Cache { v: Vec::new() }
    }
    fn get(&mut self, id: u32, text: impl FnOnce() -> String) -> ByteArray {
        let i = id as usize;
        if i >= self.v.len() {
            self.v.resize(i + 1, None);
        }
        self.v[i]
            .get_or_insert_with(|| ByteArray::from(text().into_bytes()))
            .clone()
    }
}

fn perr(e: parquet::errors::ParquetError) -> String {
    format!("parquet: {e}")
}

fn put_bytes(
    c: &mut SerializedColumnWriter,
    v: &[ByteArray],
    def: Option<&[i16]>,
    rep: Option<&[i16]>,
) -> Result<(), String> {
    c.typed::<ByteArrayType>()
        .write_batch(v, def, rep)
        .map(|_| ())
        .map_err(perr)
}

fn put_i64(c: &mut SerializedColumnWriter, v: &[i64], def: Option<&[i16]>) -> Result<(), String> {
    c.typed::<Int64Type>()
        .write_batch(v, def, None)
        .map(|_| ())
        .map_err(perr)
}

fn put_i32(c: &mut SerializedColumnWriter, v: &[i32], def: Option<&[i16]>) -> Result<(), String> {
    c.typed::<Int32Type>()
        .write_batch(v, def, None)
        .map(|_| ())
        .map_err(perr)
}

fn put_bool(c: &mut SerializedColumnWriter, v: &[bool]) -> Result<(), String> {
    c.typed::<BoolType>()
        .write_batch(v, None, None)
        .map(|_| ())
        .map_err(perr)
}

/// Optional values: the present ones and the definition levels.
fn optional<T>(it: impl Iterator<Item = Option<T>>) -> (Vec<T>, Vec<i16>) {
    let mut v = Vec::new();
    let mut d = Vec::new();
    for x in it {
        match x {
            Some(x) => {
                v.push(x);
                d.push(1);
            }
            None => d.push(0),
        }
    }
    (v, d)
}

/// A list column: values, definition and repetition levels.
fn list_column<'s>(
    rows: std::ops::Range<usize>,
    members: impl Fn(usize) -> Vec<&'s str>,
) -> (Vec<ByteArray>, Vec<i16>, Vec<i16>) {
    let (mut v, mut d, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for row in rows {
        let m = members(row);
        if m.is_empty() {
            d.push(0);
            r.push(0);
        }
        for (i, s) in m.into_iter().enumerate() {
            v.push(ByteArray::from(s));
            d.push(1);
            r.push(if i == 0 { 0 } else { 1 });
        }
    }
    (v, d, r)
}

const STRING_DIMS: [(&str, Dim); 12] = [
    ("verb", Dim::Verb),
    ("user_name", Dim::User),
    ("impersonated_user", Dim::ImpersonatedUser),
    ("user_agent", Dim::UserAgent),
    ("api_group", Dim::ApiGroup),
    ("api_version", Dim::ApiVersion),
    ("resource", Dim::Resource),
    ("subresource", Dim::Subresource),
    ("namespace", Dim::Namespace),
    ("name", Dim::Name),
    ("status_reason", Dim::StatusReason),
    ("decision", Dim::Decision),
];

/// Writes every row of `s` to `out`; with `dec` (a policy's evaluation of `s`,
/// [`crate::analysis::evaluate::evaluate`]) also the decision columns `rule`, `level`,
/// `omitted`, `kept_bytes`.
pub fn write<W: Write + Send>(
    s: &Store,
    dec: Option<&Evaluation>,
    out: W,
) -> Result<ExportStats, String> {
    let schema = Arc::new(parse_message_type(&schema_text(dec.is_some())).map_err(perr)?);
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(format!("audit-lens {}", env!("CARGO_PKG_VERSION")))
        .build();
    let names: Vec<&str> = crate::sql::COLUMNS
        .iter()
        .map(|c| c.0)
        .filter(|n| dec.is_some() || !matches!(*n, "rule" | "level" | "omitted" | "kept_bytes"))
        .collect();
    let mut w = SerializedFileWriter::new(out, schema, Arc::new(props)).map_err(perr)?;
    let mut caches: Vec<Cache> = (0..STRING_DIMS.len()).map(|_| Cache::new()).collect();
    let mut files = Cache::new();
    let stage_name = |st: Option<Stage>| st.map(|x| ByteArray::from(x.as_str()));
    let level_name = |l: Option<Level>| l.map(|x| ByteArray::from(x.as_str()));
    let n = s.len();
    let mut stats = ExportStats {
        columns: names.len(),
        ..Default::default()
    };
    let mut start = 0;
    while start < n {
        let rows = start..(start + ROW_GROUP_ROWS).min(n);
        let mut g = w.next_row_group().map_err(perr)?;
        for name in &names {
            let mut c = g
                .next_column()
                .map_err(perr)?
                .ok_or("parquet: the schema has fewer columns than the writer")?;
            let rr = rows.clone();
            match *name {
                "audit_id" => {
                    let v: Vec<ByteArray> = rr
                        .map(|r| ByteArray::from(s.audit_id(r).into_bytes()))
                        .collect();
                    put_bytes(&mut c, &v, None, None)?;
                }
                "stage" => {
                    let (v, d) = optional(rr.map(|r| stage_name(s.stage(r))));
                    put_bytes(&mut c, &v, Some(&d), None)?;
                }
                "recorded_level" => {
                    let (v, d) = optional(rr.map(|r| level_name(s.level(r))));
                    put_bytes(&mut c, &v, Some(&d), None)?;
                }
                "user_groups" => {
                    let (v, d, p) =
                        list_column(rr, |r| s.dict.groups.members_of(s.groups_id(r)).collect());
                    put_bytes(&mut c, &v, Some(&d), Some(&p))?;
                }
                "source_ips" => {
                    let (v, d, p) = list_column(rr, |r| {
                        s.dict.source_ips.members_of(s.source_ips_id(r)).collect()
                    });
                    put_bytes(&mut c, &v, Some(&d), Some(&p))?;
                }
                "resource_request" => {
                    let v: Vec<bool> = rr.map(|r| s.is_resource_request(r)).collect();
                    put_bool(&mut c, &v)?;
                }
                "path" => {
                    let v: Vec<ByteArray> = rr
                        .map(|r| ByteArray::from(s.path(r).into_bytes()))
                        .collect();
                    put_bytes(&mut c, &v, None, None)?;
                }
                "code" => {
                    let (v, d) = optional(rr.map(|r| match s.code(r) {
                        0 => None,
                        c => Some(c as i32),
                    }));
                    put_i32(&mut c, &v, Some(&d))?;
                }
                "received_us" | "received" => {
                    let v: Vec<i64> = rr.map(|r| s.received(r)).collect();
                    put_i64(&mut c, &v, None)?;
                }
                "stage_us" => {
                    let (v, d) =
                        optional(rr.map(|r| s.latency_known(r).map(|l| s.received(r) + l as i64)));
                    put_i64(&mut c, &v, Some(&d))?;
                }
                "latency_us" => {
                    let (v, d) = optional(rr.map(|r| s.latency_known(r).map(|l| l as i64)));
                    put_i64(&mut c, &v, Some(&d))?;
                }
                "record_bytes" => {
                    let v: Vec<i64> = rr.map(|r| s.event_size(r) as i64).collect();
                    put_i64(&mut c, &v, None)?;
                }
                "request_object_bytes" => {
                    let v: Vec<i64> = rr.map(|r| s.request_object_size(r) as i64).collect();
                    put_i64(&mut c, &v, None)?;
                }
                "response_object_bytes" => {
                    let v: Vec<i64> = rr.map(|r| s.response_object_size(r) as i64).collect();
                    put_i64(&mut c, &v, None)?;
                }
                "request_managed_fields_bytes" => {
                    let v: Vec<i64> = rr.map(|r| s.managed_fields_size(r).0 as i64).collect();
                    put_i64(&mut c, &v, None)?;
                }
                "response_managed_fields_bytes" => {
                    let v: Vec<i64> = rr.map(|r| s.managed_fields_size(r).1 as i64).collect();
                    put_i64(&mut c, &v, None)?;
                }
                "source_file" => {
                    let v: Vec<ByteArray> = rr
                        .map(|r| {
                            let f = s.file(r);
                            files.get(f, || {
                                s.files
                                    .get(f as usize)
                                    .map_or(String::new(), |x| x.name.clone())
                            })
                        })
                        .collect();
                    put_bytes(&mut c, &v, None, None)?;
                }
                "record_offset" => {
                    let v: Vec<i64> = rr.map(|r| s.offset(r) as i64).collect();
                    put_i64(&mut c, &v, None)?;
                }
                "record_item" => {
                    let (v, d) = optional(rr.map(|r| s.wrap_item(r).map(|i| i as i32)));
                    put_i32(&mut c, &v, Some(&d))?;
                }
                "rule" | "level" | "omitted" | "kept_bytes" => {
                    let Some(ev) = dec else {
                        return Err(format!("parquet: column {name} needs a policy"));
                    };
                    match *name {
                        "rule" => {
                            let (v, d) =
                                optional(rr.map(|r| ev.decision(r).rule.map(|i| i as i32)));
                            put_i32(&mut c, &v, Some(&d))?;
                        }
                        "level" => {
                            let v: Vec<ByteArray> = rr
                                .map(|r| ByteArray::from(ev.decision(r).level.as_str()))
                                .collect();
                            put_bytes(&mut c, &v, None, None)?;
                        }
                        "omitted" => {
                            let v: Vec<bool> = rr
                                .map(|r| {
                                    let om = ev.decision(r).omit_stages;
                                    s.stage(r).is_some_and(|st| om.contains(st))
                                })
                                .collect();
                            put_bool(&mut c, &v)?;
                        }
                        _ => {
                            let v: Vec<i64> = rr
                                .map(|r| {
                                    let d = ev.decision(r);
                                    let om =
                                        s.stage(r).is_some_and(|st| d.omit_stages.contains(st));
                                    estimate_size_mf(s, r, d.level, om, d.omit_managed_fields).bytes
                                        as i64
                                })
                                .collect();
                            put_i64(&mut c, &v, None)?;
                        }
                    }
                }
                other => {
                    let Some(i) = STRING_DIMS.iter().position(|(n, _)| *n == other) else {
                        return Err(format!("parquet: no writer for column {other}"));
                    };
                    let dim = STRING_DIMS[i].1;
                    let cache = &mut caches[i];
                    let v: Vec<ByteArray> = rr
                        .map(|r| cache.get(s.sym(dim, r), || s.str(dim, r).to_string()))
                        .collect();
                    put_bytes(&mut c, &v, None, None)?;
                }
            }
            c.close().map_err(perr)?;
        }
        if g.next_column().map_err(perr)?.is_some() {
            return Err("parquet: the schema has more columns than the writer".into());
        }
        g.close().map_err(perr)?;
        stats.rows += rows.len() as u64;
        stats.row_groups += 1;
        start = rows.end;
    }
    w.close().map_err(perr)?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_parses_with_and_without_policy() {
        for p in [false, true] {
            let t = parse_message_type(&schema_text(p)).expect("schema");
            let n = t.get_fields().len();
            assert_eq!(n, crate::sql::COLUMNS.len() - if p { 0 } else { 4 });
        }
    }
}
