#!/usr/bin/env bash
# National scale on PostgreSQL (issue 11): 1, 2 and 4 `scaleup serve` processes on one
# database, 16 counsellors reading GET /api/v1/clients?limit=50 with and without two devices
# pushing batches of 200 new clients, on loopback and through a proxy that delays every byte
# between the servers and the database by 0.5 ms each way; then ingest from 8 devices of 8
# hubs against 1 device; and the read cells again with each server capped at a quarter of a core
# (a cgroup CPU quota; needs root), so that the servers, not the shared 2 cores, are the limit,
# as when each server runs on its own machine. The bench is crates/scaleup/benches/national_scale.rs; it builds a
# fresh demo database (3,000 clients) and drops it at the end. About 9 minutes at the defaults
# after the build. Prints Markdown for docs/benchmarks.md and keeps a copy in
# target/national_scale.md.
#
# Usage: scripts/bench/national_scale.sh
# Environment (defaults):
#   SCALEUP_BENCH_POSTGRES_URL   a role that may create databases (from scripts/start-postgres.sh)
#   SCALEUP_BENCH_SECONDS=20     measured seconds per cell; SCALEUP_BENCH_WARMUP=3 before it
#   SCALEUP_BENCH_CLIENTS=3000   demo size
#   SCALEUP_BENCH_SERVERS=1,2,4  server counts; SCALEUP_BENCH_INGEST_SERVERS=2 for ingest
#   SCALEUP_BENCH_READERS=16     reading counsellors; SCALEUP_BENCH_PUSHERS=2 pushing devices
#   SCALEUP_BENCH_BATCH=200      records per push
#   SCALEUP_BENCH_DELAY_US=500   proxy delay each way; SCALEUP_BENCH_PROXY=0 skips the proxy runs
#   SCALEUP_BENCH_SERVER_CPU=0.25 cores per server in the capped runs; 0 skips them
#   SCALEUP_BENCH_INGEST=1       0 skips the ingest cells
#   SCALEUP_BENCH_DB_CONNECTIONS each server's --db-connections (unset: the server's default, 8)
#   SCALEUP_BENCH_CPU_PRIORITY=0 1 runs the bench and PostgreSQL in a cgroup with a large CPU
#                                share, so other work on a shared machine (builds) yields to
#                                them; needs root and cgroup v1's cpu controller
#   SCALEUP_BENCH_KEEP_DB=1      keep the database afterwards
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_INCREMENTAL=0
# The bench builds the release binary it starts (CARGO_BIN_EXE_scaleup, bench profile).
cargo bench -p scaleup --bench national_scale --no-run --quiet
if [[ -z "${SCALEUP_BENCH_POSTGRES_URL:-}" ]]; then
  SCALEUP_BENCH_POSTGRES_URL=$(scripts/start-postgres.sh)
  export SCALEUP_BENCH_POSTGRES_URL
fi
mkdir -p target
if [[ "${SCALEUP_BENCH_CPU_PRIORITY:-0}" == 1 ]]; then
  group=/sys/fs/cgroup/cpu/scaleup-bench
  mkdir -p "$group"
  echo 262144 > "$group/cpu.shares"   # the largest share: 256 times a default process group
  echo $$ > "$group/cgroup.procs"
  for pid in $(pgrep -x postgres); do echo "$pid" > "$group/cgroup.procs"; done
  echo "bench and PostgreSQL run in $group (cpu.shares 262144)" >&2
  # Afterwards PostgreSQL goes back to the root group and the group is removed.
  trap 'for pid in $(cat "$group/cgroup.procs"); do echo "$pid" > /sys/fs/cgroup/cpu/cgroup.procs 2>/dev/null || true; done; rmdir "$group" 2>/dev/null || true' EXIT
fi
cargo bench -p scaleup --bench national_scale --quiet | tee target/national_scale.md
