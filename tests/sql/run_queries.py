"""Runs the SQL that `audit-lens sql` wrote on real engines, for tests/sql_engines.rs.

Usage: run_queries.py DIR. DIR holds plain.parquet (an export without --policy),
optionally policy.parquet (the same logs exported with --policy), optionally raw.log
(JSON lines for --schema raw-json), and the generated SQL files <dialect>-<query>.sql
(queries rows, coverage, whatif; duckdb-raw-rows.sql for the raw schema). Writes
DIR/result.json:

- "rows", "coverage", "whatif": what DuckDB returns for the duckdb SQL, EXECUTED over
  plain.parquet (a view named audit_events);
- "export_mismatches": rows where the decision columns of policy.parquet (the native
  evaluator's, written by the export) differ from the duckdb SQL's;
- "raw_rows": (audit_id, stage, rule) of duckdb-raw-rows.sql EXECUTED over raw.log read
  by DuckDB's read_json with the documented columns;
- "dialects": for spark, trino, bigquery, clickhouse: "parsed" (sqlglot.parse_one with
  that dialect, which is ONLY a parse: sqlglot accepts unknown functions as anonymous
  calls) and, per query, whether the query transpiled by sqlglot to DuckDB and EXECUTED
  there returns exactly the rows of the duckdb SQL. Two functions sqlglot leaves
  untranslated are given to DuckDB as macros with their documented meaning:
  arrays_overlap(a, b) (Spark, Trino: true when the arrays share a non-null element) and
  hasAny(a, b) (ClickHouse: the same), both DuckDB's list_has_any.
"""

import json
import os
import sys

import duckdb
import sqlglot

QUERIES = ["rows", "coverage", "whatif"]
OTHERS = ["spark", "trino", "bigquery", "clickhouse"]
ROW_KEY = "source_file, record_offset, record_item"


def main(d):
    con = duckdb.connect()
    plain = os.path.join(d, "plain.parquet")
    con.execute(f"CREATE VIEW audit_events AS SELECT * FROM read_parquet('{plain}')")
    con.execute("CREATE MACRO arrays_overlap(a, b) AS list_has_any(a, b)")
    con.execute("CREATE MACRO hasany(a, b) AS list_has_any(a, b)")
    out = {}

    def sql(name):
        with open(os.path.join(d, name + ".sql"), encoding="utf-8") as f:
            return f.read()

    def canon(q, rows):
        # rows: no ORDER BY (engines return them in any order); coverage is ordered.
        return sorted(rows, key=repr) if q == "rows" else rows

    ref = {}
    for q in QUERIES:
        ref[q] = canon(q, con.execute(sql("duckdb-" + q)).fetchall())
    con.execute(f"CREATE TABLE sql_rows AS {sql('duckdb-rows')}")
    out["rows"] = con.execute(
        f"SELECT {ROW_KEY}, rule, level, omitted, kept_bytes FROM sql_rows"
    ).fetchall()
    out["coverage"] = ref["coverage"]
    out["whatif"] = ref["whatif"]

    pol = os.path.join(d, "policy.parquet")
    if os.path.exists(pol):
        out["export_rows"] = con.execute(f"SELECT count(*) FROM read_parquet('{pol}')").fetchone()[0]
        out["export_mismatches"] = con.execute(
            f"""SELECT count(*) FROM read_parquet('{pol}') AS e
                FULL OUTER JOIN sql_rows AS s
                  ON e.source_file = s.source_file AND e.record_offset = s.record_offset
                 AND e.record_item IS NOT DISTINCT FROM s.record_item
                WHERE e.rule IS DISTINCT FROM s.rule OR e.level IS DISTINCT FROM s.level
                   OR e.omitted IS DISTINCT FROM s.omitted
                   OR e.kept_bytes IS DISTINCT FROM s.kept_bytes"""
        ).fetchone()[0]

    raw = os.path.join(d, "raw.log")
    if os.path.exists(raw):
        # The raw-json schema's documented reading (README: "When your logs outgrow one tab").
        con.execute(
            f"""CREATE VIEW raw_events AS SELECT * FROM read_json('{raw}',
                format = 'newline_delimited',
                columns = {{auditID: 'VARCHAR', stage: 'VARCHAR', level: 'VARCHAR',
                  verb: 'VARCHAR', requestURI: 'VARCHAR',
                  "user": 'STRUCT(username VARCHAR, groups VARCHAR[])',
                  objectRef: 'STRUCT(apiGroup VARCHAR, resource VARCHAR, subresource VARCHAR, namespace VARCHAR, name VARCHAR)'}})"""
        )
        out["raw_rows"] = con.execute(
            f"SELECT audit_id, stage, rule FROM ({sql('duckdb-raw-rows')})"
        ).fetchall()

    dialects = {}
    for dia in OTHERS:
        r = {"parsed": {}, "executed_same": {}, "errors": []}
        for q in QUERIES:
            text = sql(f"{dia}-{q}")
            try:
                sqlglot.parse_one(text, read=dia)
                r["parsed"][q] = True
            except Exception as e:  # a parse error is the finding
                r["parsed"][q] = False
                r["errors"].append(f"{q}: parse: {e}"[:500])
                continue
            try:
                t = sqlglot.transpile(text, read=dia, write="duckdb")[0]
                got = canon(q, con.execute(t).fetchall())
                r["executed_same"][q] = got == ref[q]
            except Exception as e:
                r["executed_same"][q] = False
                r["errors"].append(f"{q}: transpiled run: {e}"[:500])
        dialects[dia] = r
    out["dialects"] = dialects
    out["versions"] = {"duckdb": duckdb.__version__, "sqlglot": sqlglot.__version__}
    with open(os.path.join(d, "result.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, default=str)


if __name__ == "__main__":
    main(sys.argv[1])
