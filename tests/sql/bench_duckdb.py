"""Benchmark helper (not a test): times DuckDB running one SQL file over a Parquet file.

Usage: bench_duckdb.py FILE.parquet QUERY.sql [ROUNDS]. The SQL reads the table
`audit_events` (a view over the file). Prints the best and the median wall time of
ROUNDS runs (default 5) and the result's first rows. Figures go in reports, never in
assertions."""

import statistics
import sys
import time

import duckdb

con = duckdb.connect()
con.execute(f"CREATE VIEW audit_events AS SELECT * FROM read_parquet('{sys.argv[1]}')")
sql = open(sys.argv[2], encoding="utf-8").read()
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
times = []
for _ in range(rounds):
    t = time.perf_counter()
    rows = con.execute(sql).fetchall()
    times.append(time.perf_counter() - t)
print(f"duckdb {duckdb.__version__} threads={con.execute('SELECT current_setting(' + repr('threads') + ')').fetchone()[0]}"
      f" best {min(times):.3f} s median {statistics.median(times):.3f} s over {rounds} runs, {len(rows)} rows")
for r in rows[:40]:
    print(r)
