"""DuckDB side of scripts/bench/indicators.sh: the contract indicators of one programme with
equivalent SQL, over the same data exported to Parquet.

Two queries, as scaleup runs two paths:
- full recomputation: from the raw records (JSON payloads), as the independent cross-check in
  crates/scaleup/tests/indicators_cli.rs defines them;
- dashboard: from the exported indicator fact tables (indicator_clients, indicator_episodes).

Usage: python indicators_duckdb.py DB.sqlite PROGRAMME_CODE WORKDIR
Prints one line of key=value pairs (medians of 3 runs, export time, peak RSS of this process).
"""
import csv
import resource
import sqlite3
import sys
import time

import duckdb

db, code, work = sys.argv[1], sys.argv[2], sys.argv[3]

# Export: the same rows scaleup reads, to CSV and then Parquet (DuckDB never opens SQLite).
started = time.perf_counter()
src = sqlite3.connect(db)
(programme_id,) = src.execute("SELECT id FROM programmes WHERE code = ?", (code,)).fetchone()
tables = {
    "records": "SELECT id, kind, client_id, programme_id, payload FROM records "
    "WHERE kind IN ('client', 'assessment', 'eligibility', 'episode')",
    "indicator_clients": "SELECT * FROM indicator_clients",
    "indicator_episodes": "SELECT * FROM indicator_episodes",
}
con = duckdb.connect()
for name, sql in tables.items():
    cur = src.execute(sql)
    path = f"{work}/{name}.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([c[0] for c in cur.description])
        for row in cur:
            w.writerow(row)
    con.execute(
        f"COPY (SELECT * FROM read_csv('{path}', header = true, all_varchar = true)) "
        f"TO '{work}/{name}.parquet' (FORMAT parquet)"
    )
export_s = time.perf_counter() - started

items = " + ".join(
    f"TRY_CAST(json_extract_string(payload, '$.responses.\"{i}\"') AS DOUBLE)" for i in range(1, 10)
)
RAW = f"""
WITH r AS (SELECT * FROM read_parquet('{work}/records.parquet')),
cl AS (SELECT id FROM r WHERE kind = 'client' AND json_extract_string(payload, '$.programme_id') = $p),
ep AS (SELECT id, client_id, json_extract_string(payload, '$.closure_reason') AS reason FROM r
       WHERE kind = 'episode' AND json_extract_string(payload, '$.programme_id') = $p
         AND client_id IN (SELECT id FROM cl)),
phq AS (SELECT id, json_extract_string(payload, '$.episode_id') AS episode_id,
               json_extract_string(payload, '$.occasion') AS occasion,
               json_extract_string(payload, '$.administered_on') AS on_day, {items} AS total
        FROM r WHERE kind = 'assessment' AND json_extract_string(payload, '$.instrument') = 'phq9'),
base AS (SELECT episode_id, arg_min(total, (on_day, id)) AS total FROM phq
         WHERE occasion = 'baseline' AND total IS NOT NULL GROUP BY episode_id),
endp AS (SELECT episode_id, arg_max(total, (on_day, id)) AS total FROM phq
         WHERE occasion = 'endpoint' AND total IS NOT NULL GROUP BY episode_id),
pairs AS (SELECT b.total AS b, e.total AS e FROM ep JOIN base b ON b.episode_id = ep.id
          JOIN endp e ON e.episode_id = ep.id)
SELECT
 (SELECT COUNT(DISTINCT client_id) FROM r WHERE kind = 'assessment'
    AND json_extract_string(payload, '$.occasion') = 'screening' AND client_id IN (SELECT id FROM cl)),
 (SELECT COUNT(DISTINCT client_id) FROM r WHERE kind = 'eligibility'
    AND json_extract_string(payload, '$.eligible') = 'true' AND client_id IN (SELECT id FROM cl)),
 (SELECT COUNT(DISTINCT client_id) FROM ep),
 (SELECT COUNT(*) FROM ep WHERE reason = 'completed'), (SELECT COUNT(*) FROM ep WHERE reason IS NOT NULL),
 (SELECT COUNT(*) FROM pairs), (SELECT COUNT(*) FROM pairs WHERE e <= b / 2.0),
 (SELECT COUNT(*) FROM pairs WHERE e < 5), (SELECT AVG(e - b) FROM pairs)
"""
FACTS = f"""
WITH c AS (SELECT * FROM read_parquet('{work}/indicator_clients.parquet') WHERE programme_id = $p),
e AS (SELECT *, TRY_CAST(phq9_baseline AS DOUBLE) AS b, TRY_CAST(phq9_endpoint AS DOUBLE) AS en
      FROM read_parquet('{work}/indicator_episodes.parquet') WHERE programme_id = $p)
SELECT
 (SELECT COUNT(*) FROM c WHERE screened_on IS NOT NULL),
 (SELECT COUNT(*) FROM c WHERE eligible_on IS NOT NULL),
 (SELECT COUNT(*) FROM c WHERE enrolled_on IS NOT NULL),
 (SELECT COUNT(*) FROM e WHERE closure_reason = 'completed'), (SELECT COUNT(*) FROM e WHERE closure_reason IS NOT NULL),
 (SELECT COUNT(*) FROM e WHERE b IS NOT NULL AND en IS NOT NULL),
 (SELECT COUNT(*) FROM e WHERE b IS NOT NULL AND en IS NOT NULL AND en * 2 <= b),
 (SELECT COUNT(*) FROM e WHERE b IS NOT NULL AND en IS NOT NULL AND en < 5),
 (SELECT AVG(en - b) FROM e WHERE b IS NOT NULL AND en IS NOT NULL)
"""


def timed(sql):
    runs, result = [], None
    for _ in range(3):
        s = time.perf_counter()
        result = con.execute(sql, {"p": programme_id}).fetchone()
        runs.append(time.perf_counter() - s)
    return sorted(runs)[1], result


raw_s, raw = timed(RAW)
facts_s, facts = timed(FACTS)
# The two must agree with each other (and scaleup's are checked by the cross-check test).
assert raw[:8] == facts[:8], (raw, facts)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(
    f"duckdb={duckdb.__version__} export_s={export_s:.2f} raw_ms={raw_s * 1e3:.1f} "
    f"facts_ms={facts_s * 1e3:.1f} peak_mb={peak} screened={raw[0]} pairs={raw[5]}"
)
