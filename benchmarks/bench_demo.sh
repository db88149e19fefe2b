#!/usr/bin/env bash
# Demo throughput: time `shopcare demo` (through the real CLI) into a fresh database.
#   benchmarks/bench_demo.sh [MEMBERS] [DAYS]       (defaults 300 365)
set -euo pipefail
cd "$(dirname "$0")/.."
MEMBERS="${1:-300}"; DAYS="${2:-365}"
OUT=benchmarks/out; mkdir -p "$OUT"
DB="$OUT/demo_bench.db"; rm -f "$DB" "$DB-wal" "$DB-shm"
PY=.venv/bin/python
start=$(date +%s.%N)
"$PY" -m app --db "sqlite:///$DB" demo --members "$MEMBERS" --days "$DAYS" --seed 1 2>/dev/null | tee "$OUT/demo_bench.txt"
end=$(date +%s.%N)
"$PY" - "$start" "$end" "$OUT/demo_bench.txt" <<'PY'
import sys
start, end, path = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
vals = dict(line.strip().split(": ") for line in open(path, encoding="utf-8") if line.startswith("  "))
s = end - start
m, n = int(vals["members"]), int(vals["sales"])
print(f"wall {s:.1f} s (process start to exit): {m / s:.1f} members/s, {n / s:.1f} sales/s, "
      f"{(n + int(vals['topups']) + int(vals['refunds'])) / s:.1f} sales+top-ups+refunds/s")
PY
"$PY" -m app --db "sqlite:///$DB" check >/dev/null && echo "shopcare check: ok"
