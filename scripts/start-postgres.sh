#!/usr/bin/env bash
# Installs (if needed) and starts a PostgreSQL server on loopback for the test suite, and
# prints the URL tests use (SCALEUP_TEST_POSTGRES_URL). Debian packages only.
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  pg_createcluster "$version" main >/dev/null
fi
if ! pg_lsclusters -h | grep "^$version main" | grep -q online; then
  pg_ctlcluster "$version" main start
fi
for _ in $(seq 1 30); do
  if su postgres -c "psql -qAtc 'SELECT 1'" >/dev/null 2>&1; then break; fi
  sleep 1
done
# A test role that may create one database per test; password auth over TCP on loopback.
su postgres -c "psql -qAt" >/dev/null <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'scaleup_test') THEN
    CREATE ROLE scaleup_test LOGIN CREATEDB PASSWORD 'scaleup_test';
  END IF;
END $$;
SQL
port=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')
echo "postgres://scaleup_test:scaleup_test@127.0.0.1:${port}/postgres"
