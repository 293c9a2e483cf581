#!/usr/bin/env bash
# Resource exhaustion (hardening items 7 and 10) against a running release `scaleup serve`:
#
#   bomb: peak memory (VmHWM of the server process) while 1 and then 4 concurrent gzip bombs are
#         POSTed to /api/v1/analyses/lmm with Content-Encoding: gzip. Each bomb is about 1 MB on
#         the wire and inflates to INFLATED_MIB MiB (default 1024). Two shapes: `zeros` (one
#         repeated byte, no line break: the issue's bomb) and `csv` (a valid one-column table,
#         "y\n" then "1\n" repeated, which a parser cannot refuse by its shape). A fresh server
#         per run, so VmHWM is that run's peak.
#   idle: 200 TCP connections that send nothing, and 200 that send a partial request head and
#         stop; how long until the server closes each (observed for at most IDLE_WINDOW s).
#
# Usage: scripts/bench/upload_bomb.sh [bomb|idle|all]    (default: all)
# Env:   SCALEUP_BIN   binary to measure (default: builds and uses target/release/scaleup)
#        WORK          scratch directory (default /tmp/scaleup-upload-bomb)
#        INFLATED_MIB  inflated size of each bomb (default 1024)
#        SHAPES        bomb shapes (default "zeros csv")
#        IDLE_WINDOW   seconds to watch idle connections (default 60)
# Needs: python3, curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
what=${1:-all}
work=${WORK:-/tmp/scaleup-upload-bomb}
inflated=${INFLATED_MIB:-1024}
shapes=${SHAPES:-zeros csv}
idle_window=${IDLE_WINDOW:-60}
mkdir -p "$work"

if [ -z "${SCALEUP_BIN:-}" ]; then
  cargo build --release -p scaleup --quiet
  SCALEUP_BIN=$PWD/target/release/scaleup
fi

db="$work/bomb.sqlite"
if [ ! -f "$db" ]; then
  "$SCALEUP_BIN" demo --db "$db" --clients 50 --json >"$work/accounts.json" 2>/dev/null
fi

pid=
stop_server() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
  fi
}
trap stop_server EXIT

start_server() {
  rm -f "$work/serve.out"
  "$SCALEUP_BIN" serve --db "$db" --addr 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
  pid=$!
  url=
  for _ in $(seq 1 100); do
    url=$(grep -o 'http://[0-9.:]*' "$work/serve.out" 2>/dev/null || true)
    [ -n "$url" ] && break
    sleep 0.2
  done
  [ -n "$url" ] || { echo "the server did not start" >&2; exit 1; }
}

login() {
  read -r user pass < <(python3 -c "import json; a=[x for x in json.load(open('$work/accounts.json'))['accounts'] if x['role']=='researcher'][0]; print(a['username'], a['password'])")
  token=$(curl -s "$url/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$user\",\"password\":\"$pass\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
}

kib() { # field of /proc/<pid>/status, in KiB
  awk -v f="$1:" '$1 == f { print $2 }' "/proc/$pid/status"
}

make_bomb() { # shape -> path of a gzip file inflating to $inflated MiB
  local out="$work/bomb-$1-$inflated.gz"
  [ -f "$out" ] || python3 - "$1" "$inflated" "$out" <<'EOF'
import gzip, sys
shape, mib, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with gzip.GzipFile(out, "wb", compresslevel=9, mtime=0) as f:
    if shape == "zeros":
        chunk = b"\0" * (1 << 20)
    else:
        f.write(b"y\n")
        chunk = b"1\n" * (1 << 19)
    for _ in range(mib):
        f.write(chunk)
EOF
  echo "$out"
}

bomb_run() { # shape concurrency
  local bomb
  bomb=$(make_bomb "$1")
  start_server
  login
  local base_hwm base_rss
  base_hwm=$(kib VmHWM)
  base_rss=$(kib VmRSS)
  local t0 outs=()
  t0=$(date +%s.%N)
  for k in $(seq 1 "$2"); do
    curl -s -o "$work/resp-$k.json" -w '%{http_code} %{time_total}s\n' \
      -H "Authorization: Bearer $token" -H 'Content-Encoding: gzip' -H 'Content-Type: text/csv' \
      --data-binary @"$bomb" "$url/api/v1/analyses/lmm?formula=y~1" >"$work/curl-$k.out" 2>&1 &
    outs+=($!)
  done
  wait "${outs[@]}" || true
  local wall
  wall=$(python3 -c "import time; print(f'{time.time() - $t0:.1f}')")
  local hwm rss
  hwm=$(kib VmHWM)
  rss=$(kib VmRSS)
  local codes
  codes=$(cat "$work"/curl-*.out | awk '{print $1}' | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}')
  local msg
  msg=$(python3 -c "import json,sys; print(json.load(open('$work/resp-1.json'))['error']['message'])" 2>/dev/null || echo '-')
  printf '| %s | %s | %s MiB | %s MiB | +%s MiB | %s MiB | %s| %s s | %s |\n' \
    "$1" "$2" "$(du -m "$bomb" | cut -f1)" "$((base_hwm / 1024))" "$(((hwm - base_hwm) / 1024))" \
    "$((rss / 1024))" "$codes" "$wall" "$msg"
  rm -f "$work"/curl-*.out "$work"/resp-*.json
  stop_server
}

idle_run() {
  start_server
  python3 - "$url" "$idle_window" <<'EOF'
import select, socket, sys, time
url, window = sys.argv[1], float(sys.argv[2])
host, port = url.removeprefix("http://").split(":")
for label, first in [("idle (nothing sent)", b""),
                     ("partial head (request line and one header, then nothing)",
                      b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")]:
    socks = []
    for _ in range(200):
        s = socket.create_connection((host, int(port)))
        if first:
            s.sendall(first)
        socks.append(s)
    start = time.monotonic()
    open_, closed = set(socks), []
    while open_ and time.monotonic() - start < window:
        ready, _, _ = select.select(list(open_), [], [], 0.2)
        for s in ready:
            try:
                data = s.recv(4096)
            except ConnectionError:
                data = b""
            if not data:
                open_.discard(s)
                closed.append(time.monotonic() - start)
                s.close()
    still = len(open_)
    for s in open_:
        s.close()
    closed.sort()
    if closed:
        span = f"first {closed[0]:.1f} s, median {closed[len(closed) // 2]:.1f} s, last {closed[-1]:.1f} s"
    else:
        span = "none closed"
    print(f"| {label} | 200 | {len(closed)} closed ({span}) | {still} still open after {window:.0f} s |")
    time.sleep(1)
EOF
  stop_server
}

echo "machine: $(lscpu | grep 'Model name' | sed 's/ *Model name: *//'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%MZ)"
echo "binary: $SCALEUP_BIN"
if [ "$what" = bomb ] || [ "$what" = all ]; then
  echo "| bomb | concurrent | on the wire (each) | server VmHWM before | peak rise (VmHWM) | VmRSS after | answers | wall | first answer's message |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for shape in $shapes; do
    for n in 1 4; do
      bomb_run "$shape" "$n"
    done
  done
fi
if [ "$what" = idle ] || [ "$what" = all ]; then
  echo "| connections | count | closed by the server | left open |"
  echo "|---|---|---|---|"
  idle_run
fi
