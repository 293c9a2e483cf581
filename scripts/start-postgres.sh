#!/usr/bin/env bash
# Installs (if needed) and starts a PostgreSQL server on loopback for the test suite, and
# prints the URL tests use (SCALEUP_TEST_POSTGRES_URL) as the only line on stdout.
# Debian packages only. Every other message goes to stderr, and any failure exits non-zero
# with the reason, so a caller never mistakes a diagnostic for the URL.
set -euo pipefail
if [[ "${1:-}" == "--stop" ]]; then
  # Stops every running cluster (CI stops the server it started, so nothing outlives the run).
  pg_lsclusters -h 2>/dev/null | awk '$4=="online" {print $1, $2}' | while read -r v c; do
    pg_ctlcluster "$v" "$c" stop </dev/null >/dev/null 2>&1 || true
  done
  exit 0
fi
exec 3>&1 1>&2
say() { echo "start-postgres: $*"; }
fail() {
  say "FAILED: $*"
  for log in /var/log/postgresql/*.log; do
    [[ -f "$log" ]] && { say "last lines of $log:"; tail -20 "$log"; }
  done
  exit 1
}
# Captured to variables, not piped into `grep -q`: with pipefail an early-exiting grep can
# make the pipeline fail on SIGPIPE and the script misread a running cluster as missing.
clusters() { pg_lsclusters -h 2>/dev/null || true; }

if ! compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; then
  say "installing PostgreSQL from Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || fail "apt-get update"
  apt-get install -y -qq postgresql || fail "apt-get install postgresql"
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
[[ -n "$version" ]] || fail "no PostgreSQL version under /usr/lib/postgresql"

if ! clusters | awk -v v="$version" '$1==v && $2=="main" {found=1} END {exit !found}'; then
  say "creating cluster $version/main"
  pg_createcluster "$version" main || fail "pg_createcluster $version main"
fi
if ! clusters | awk -v v="$version" '$1==v && $2=="main" && $4=="online" {found=1} END {exit !found}'; then
  say "starting cluster $version/main"
  # The server is a daemon: it must not inherit our stdout (fd 3 is the caller's `$(...)` pipe)
  # or stderr, or whoever reads them waits for EOF until the server stops — the CI hang of
  # stop 6. Its start-up messages go to a file and are copied to stderr.
  start_log=$(mktemp)
  if ! pg_ctlcluster "$version" main start </dev/null >"$start_log" 2>&1 3>&-; then
    cat "$start_log"; fail "pg_ctlcluster $version main start"
  fi
  cat "$start_log"; rm -f "$start_log"
fi
ready=""
for _ in $(seq 1 60); do
  if su postgres -c "psql -qAtc 'SELECT 1'" >/dev/null 2>&1; then ready=1; break; fi
  sleep 1
done
[[ -n "$ready" ]] || fail "the server did not accept connections within 60 s"

# A test role that may create one database per test; password auth over TCP on loopback.
su postgres -c "psql -v ON_ERROR_STOP=1 -qAt" >/dev/null <<'SQL' || fail "creating the test role"
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'scaleup_test') THEN
    CREATE ROLE scaleup_test LOGIN CREATEDB PASSWORD 'scaleup_test';
  END IF;
END $$;
SQL
port=$(clusters | awk -v v="$version" '$1==v && $2=="main" {print $3}')
[[ "$port" =~ ^[0-9]+$ ]] || fail "could not read the port of cluster $version/main"
url="postgres://scaleup_test:scaleup_test@127.0.0.1:${port}/postgres"
PGPASSWORD=scaleup_test psql "$url" -qAtc 'SELECT 1' >/dev/null || fail "the test role cannot log in over TCP at 127.0.0.1:$port"
say "ready on 127.0.0.1:$port"
echo "$url" >&3
