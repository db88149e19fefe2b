#!/usr/bin/env bash
# Everything CI runs: set up with the test extras, check the import-linter contracts, run pytest on
# SQLite, then again on PostgreSQL when a server answers (SHOPCARE_TEST_PG, default the local one).
# Extra arguments go to pytest (e.g. bash scripts/test.sh -k backup).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --test

export QT_QPA_PLATFORM=offscreen

echo "== lint-imports (layering contracts in pyproject.toml)"
lint=0
.venv/bin/lint-imports --no-cache || lint=$?

echo "== pytest (SQLite, as a shop runs it)"
tests=0
.venv/bin/python -m pytest "$@" || tests=$?
if [ "$tests" -eq 5 ]; then
  echo "test.sh: pytest collected no tests: that is a failure" >&2
fi

# The same suite on PostgreSQL (several tills on one database), when a server answers: CI's machine
# runs one on 127.0.0.1 (trust auth, database test); a machine without one skips this pass and says so.
PG_URL=${SHOPCARE_TEST_PG:-postgresql+psycopg://postgres@127.0.0.1/test}
pg_up() {
  .venv/bin/python - "$PG_URL" <<'PY' >/dev/null 2>&1
import sys
import psycopg
psycopg.connect(sys.argv[1].replace("+psycopg", ""), connect_timeout=3).close()
PY
}
if ! pg_up && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start >/dev/null 2>&1 || true
  sleep 2
fi
pg=0
if pg_up; then
  echo "== pytest (PostgreSQL at ${PG_URL#*@})"
  SHOPCARE_TEST_PG="$PG_URL" .venv/bin/python -m pytest "$@" || pg=$?
else
  echo "== pytest (PostgreSQL): skipped, no server answers at ${PG_URL#*@} (set SHOPCARE_TEST_PG to one)"
fi

if [ "$lint" -ne 0 ]; then
  echo "test.sh: lint-imports failed (exit $lint)" >&2
fi
if [ "$pg" -ne 0 ]; then
  echo "test.sh: the PostgreSQL pass failed (exit $pg)" >&2
fi
if [ "$lint" -ne 0 ] || [ "$tests" -ne 0 ] || [ "$pg" -ne 0 ]; then
  exit 1
fi
