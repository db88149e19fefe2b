#!/usr/bin/env bash
# Everything CI runs: set up with the test extras, check the import-linter contracts, run pytest.
# Extra arguments go to pytest (e.g. bash scripts/test.sh -k backup).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --test

export QT_QPA_PLATFORM=offscreen

echo "== lint-imports (layering contracts in pyproject.toml)"
lint=0
.venv/bin/lint-imports --no-cache || lint=$?

echo "== pytest"
tests=0
.venv/bin/python -m pytest "$@" || tests=$?
if [ "$tests" -eq 5 ]; then
  echo "test.sh: pytest collected no tests: that is a failure" >&2
fi

if [ "$lint" -ne 0 ]; then
  echo "test.sh: lint-imports failed (exit $lint)" >&2
fi
if [ "$lint" -ne 0 ] || [ "$tests" -ne 0 ]; then
  exit 1
fi
