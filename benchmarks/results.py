"""The one shape every benchmark's figures take, so ``scripts/bench.sh`` can gather them.

A benchmark adds ``--json PATH`` with :func:`add_json_arg` and, at the end, calls :func:`write` with
its figures. Each figure is one measured value, ideally beside the floor it is compared with (raw
sqlite3, raw psycopg, ``python -c "import sqlalchemy"``, lifetimes…) and the target it must meet:

    results.write(args.json, "checkout", [
        results.figure("checkout p50", orm_p50, "ms", floor=raw_p50, floor_what="raw sqlite3",
                       target_ratio=2.0),
        results.figure("members list page, by points", page_ms, "ms", target_max=20.0),
    ], setup="200,000 members / 1,000,000 sales, n=2000")

A figure is met when every target it names holds: ``target_max`` bounds the value, ``target_ratio``
bounds value / floor, ``target_min`` bounds the value from below (rows/s). ``note`` is free text for
the table. The file is JSON (UTF-8), written whole or not at all.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path


def add_json_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, default=None,
                        help="also write the figures as JSON to this file (scripts/bench.sh reads it)")


def figure(what: str, value: float, unit: str, *, floor: float | None = None, floor_what: str = "",
           target_max: float | None = None, target_ratio: float | None = None,
           target_min: float | None = None, note: str = "") -> dict:
    ratio = (value / floor) if floor else None
    checks = []
    if target_max is not None:
        checks.append(value <= target_max)
    if target_min is not None:
        checks.append(value >= target_min)
    if target_ratio is not None:
        checks.append(ratio is not None and ratio <= target_ratio)
    return {
        "what": what, "value": round(float(value), 4), "unit": unit,
        "floor": None if floor is None else round(float(floor), 4), "floor_what": floor_what,
        "ratio": None if ratio is None else round(ratio, 3),
        "target_max": target_max, "target_ratio": target_ratio, "target_min": target_min,
        "met": all(checks) if checks else None, "note": note,
    }


def write(path: Path | None, bench: str, figures: list[dict], *, setup: str = "") -> None:
    """Write ``figures`` of benchmark ``bench`` to ``path`` (nothing when path is None)."""
    if path is None:
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"bench": bench, "setup": setup, "figures": figures}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
    os.replace(tmp, path)
