#!/usr/bin/env bash
# Every benchmark, each beside its floor, then the figures into docs/benchmarks.md.
#
#   bash scripts/bench.sh [--quick] [--db PATH] [--pg URL|--no-pg] [--only NAME[,NAME…]]
#
#   --quick      small databases and n: a few minutes in all (what closing notes quote)
#   --db PATH    measure on this benchmark database instead of building one (read only: every
#                benchmark that writes works on its own copy)
#   --pg URL     the PostgreSQL server for the benchmarks that also run there (default: the local
#                one, postgresql+psycopg://postgres@127.0.0.1/test, when it answers); --no-pg: skip
#   --only       run only these benchmarks (names as in the list below), e.g. --only lookup,import
#
# The database is built fresh for the run (quick: 20,000 members / 100,000 sales into
# benchmarks/out/quick/bench.db; full: 200,000 / 1,000,000 into benchmarks/out/full/bench.db), when
# a benchmark of the run reads it.
# Each benchmark writes benchmarks/out/<mode>/results/<name>.json (benchmarks/results.py) and its
# output to <name>.log beside it; one that fails is reported as failed and the run goes on. At the
# end benchmarks/render_results.py rewrites the section between <!-- bench.sh:begin --> and
# <!-- bench.sh:end --> of docs/benchmarks.md. Exit status: 0 when every benchmark ran, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."

MODE=full; DB=""; PG="postgresql+psycopg://postgres@127.0.0.1/test"; ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) MODE=quick ;;
    --db) DB="${2:?--db needs a path}"; shift ;;
    --pg) PG="${2:?--pg needs a URL}"; shift ;;
    --no-pg) PG="" ;;
    --only) ONLY="${2:?--only needs names}"; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ ! -x .venv/bin/python ]; then
  bash scripts/setup.sh --test || exit 1
fi
PY=.venv/bin/python
OUT=benchmarks/out/$MODE
RES=$OUT/results
rm -rf "$RES"; mkdir -p "$RES"

# PostgreSQL only when the server answers.
if [ -n "$PG" ] && ! "$PY" - "$PG" >/dev/null 2>&1 <<'PY'
import sys
from sqlalchemy import create_engine, text
e = create_engine(sys.argv[1], connect_args={"connect_timeout": 3})
with e.connect() as c:
    c.execute(text("SELECT 1"))
PY
then
  echo "bench.sh: no PostgreSQL server answers at $PG: PostgreSQL benchmarks skipped" >&2
  PG=""
fi

# The benchmark database: built fresh for this run, unless given.
if [ "$MODE" = quick ]; then MEMBERS=20000; SALES=100000; SIZE="20,000 members / 100,000 sales"
else MEMBERS=200000; SALES=1000000; SIZE="200,000 members / 1,000,000 sales"; fi
BUILD=""; GIVEN=""
if [ -n "$DB" ]; then
  GIVEN=1
  [ -f "$DB" ] || { echo "bench.sh: no database at $DB" >&2; exit 2; }
  DB_DESC="$DB (given, read only)"
else
  DB=$OUT/bench.db; BUILD=1
  DB_DESC="built for the run: $SIZE"
fi
Q=""; [ "$MODE" = quick ] && Q="--quick"

# ---- The benchmarks: name, then the command line (J is replaced by the JSON path). ---------------
# One list, easy to adjust: a benchmark another branch owns is called with the line it promises.
BENCHES=(
  "checkout|$PY benchmarks/bench_checkout.py $DB $Q --json J"
  "lookup|$PY benchmarks/bench_lookup.py $DB $Q --json J"
  "member_search|$PY benchmarks/bench_member_search.py $DB $Q --json J"
  "eod|$PY benchmarks/bench_eod.py $DB $Q --json J"
  "rfm|$PY benchmarks/bench_rfm.py $DB $Q --json J"
  "rfm_history|$PY benchmarks/bench_rfm.py $Q --json J"
  "campaigns|$PY benchmarks/bench_campaigns.py $DB $Q --json J"
  "care|$PY benchmarks/bench_care.py $DB $Q --json J"
  "commands|$PY benchmarks/bench_commands.py $Q --json J"
  "startup|$PY benchmarks/bench_startup.py $Q --json J"
  "import|$PY benchmarks/bench_import.py --out $OUT/import $Q --json J"
  "import_lock|$PY benchmarks/bench_import_lock.py --out $OUT/import_lock $Q --json J"
  "import_lock_members|$PY benchmarks/bench_import_lock.py --members --out $OUT/import_lock $Q --json J"
  "catalogue|$PY benchmarks/bench_catalogue.py --out $OUT/catalogue $Q --json J"
  "sender|$PY benchmarks/bench_sender.py --out $OUT/sender $Q --json J"
  "demo|$PY benchmarks/bench_demo.py --out $OUT/demo $Q --json J"
  "load|$PY benchmarks/bench_load.py --only sqlite $Q --json J"
  "holdout_churn|$PY benchmarks/holdout_churn.py $Q --json J"
)
if [ -n "$PG" ]; then
  BENCHES+=(
    "checkout_pg|$PY benchmarks/bench_checkout.py $DB $Q --pg $PG --json J"
    "load_pg|$PY benchmarks/bench_load.py --only postgresql --pg $PG $Q --json J"
  )
fi
# ---------------------------------------------------------------------------------------------------

names=",$(for e in "${BENCHES[@]}"; do printf '%s,' "${e%%|*}"; done)"
for n in ${ONLY//,/ }; do
  [[ "$names" == *",$n,"* ]] || echo "bench.sh: no benchmark named $n (the names: ${names:1:-1})" >&2
done

# Build the database only when a benchmark of this run reads it.
if [ -n "$BUILD" ]; then
  BUILD=""
  for entry in "${BENCHES[@]}"; do
    name=${entry%%|*}
    if [ -n "$ONLY" ] && [[ ",$ONLY," != *",$name,"* ]]; then continue; fi
    [[ "${entry#*|} " == *" $DB "* ]] && BUILD=1
  done
fi
if [ -z "$GIVEN" ] && [ -z "$BUILD" ]; then DB_DESC="none (no benchmark of this run reads one)"; fi
"$PY" benchmarks/render_results.py start "$RES" --mode "$MODE" --db-desc "$DB_DESC" ${PG:+--pg "$PG"}
# Interrupted (Ctrl-C): render what has run so far, then stop.
trap '"$PY" benchmarks/render_results.py render "$RES"; exit 130' INT TERM
if [ -n "$BUILD" ]; then
  echo "bench.sh: building $DB ($MEMBERS members, $SALES sales)" >&2
  t0=$(date +%s)
  if ! "$PY" benchmarks/build_bench_db.py "$DB" --members "$MEMBERS" --sales "$SALES" >"$RES/build_bench_db.log" 2>&1; then
    echo "bench.sh: building the database failed (see $RES/build_bench_db.log)" >&2
    printf 'build_bench_db\t1\t%s\t%s\n' "$(( $(date +%s) - t0 ))" \
      "$PY benchmarks/build_bench_db.py $DB --members $MEMBERS --sales $SALES" >>"$RES/_runs.tsv"
    "$PY" benchmarks/render_results.py render "$RES"
    exit 1
  fi
fi

failed=()
for entry in "${BENCHES[@]}"; do
  name=${entry%%|*}; cmd=${entry#*|}
  if [ -n "$ONLY" ] && [[ ",$ONLY," != *",$name,"* ]]; then continue; fi
  json=$RES/$name.json
  cmd=${cmd//--json J/--json $json}
  read -r -a words <<<"$cmd"; cmd="${words[*]}"   # one space between words (an empty $Q leaves two)
  echo "bench.sh: [$(date -u +%H:%M:%S)] $name: $cmd" >&2
  t0=$(date +%s)
  # shellcheck disable=SC2086  # the command line is split on spaces on purpose
  $cmd >"$RES/$name.log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - t0 ))
  if [ $rc -ne 0 ] || [ ! -s "$json" ]; then
    failed+=("$name")
    [ $rc -eq 0 ] && rc_note="no JSON written" || rc_note="exit $rc"
    echo "bench.sh: $name FAILED ($rc_note, ${secs}s): $(tail -n 1 "$RES/$name.log")" >&2
  else
    echo "bench.sh: $name done (${secs}s)" >&2
  fi
  printf '%s\t%s\t%s\t%s\n' "$name" "$rc" "$secs" "$cmd" >>"$RES/_runs.tsv"
done

"$PY" benchmarks/render_results.py render "$RES"
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench.sh: failed: ${failed[*]} (logs in $RES)" >&2
  exit 1
fi
