"""DuckDB reads an `audit-lens export --format parquet` file, for tests/sql_engines.rs's
independent check of the table's values: prints one JSON line per row with the columns
the test compares to a serde_json scan of the log, in the file's row order."""

import json
import sys

import duckdb

rows = duckdb.sql(
    f"""SELECT source_file, record_offset, audit_id, stage, recorded_level, verb,
               user_name, user_groups, source_ips, resource, subresource, namespace, name,
               api_group, code, record_bytes, request_object_bytes, response_object_bytes,
               epoch_us(received) AS received_epoch, received_us, stage_us
        FROM read_parquet('{sys.argv[1]}')"""
).fetchall()
for r in rows:
    print(json.dumps(list(r), default=str))
