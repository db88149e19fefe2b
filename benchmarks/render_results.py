"""The figures of one ``scripts/bench.sh`` run as one section of docs/benchmarks.md.

    .venv/bin/python benchmarks/render_results.py start DIR --mode quick [--db-desc TEXT] [--pg URL]
    .venv/bin/python benchmarks/render_results.py render DIR [--doc docs/benchmarks.md]

``start`` notes what the run is measured on before anything runs (DIR/_run.json): the time, the
commit (and whether the tree had uncommitted changes), the machine, the load average. Each
benchmark then writes DIR/<name>.json (benchmarks/results.py) and bench.sh appends a line
``name<TAB>exit code<TAB>seconds<TAB>command`` to DIR/_runs.tsv. ``render`` reads them all and
rewrites only the part of the document between ``<!-- bench.sh:begin -->`` and
``<!-- bench.sh:end -->`` (the markers are put after the title when the document has none yet):
the run's date, commit, machine and mode, one table per benchmark (what | value | floor | × floor |
target | met) and a summary line (N of M targets met, and which are not). Everything else in the
document stays as it was: it is the history.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- bench.sh:begin -->", "<!-- bench.sh:end -->"
RUN, RUNS = "_run.json", "_runs.tsv"


# --- the machine and the commit ----------------------------------------------------------------
def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def commit() -> str:
    head = _git("rev-parse", "--short", "HEAD") or "unknown"
    # the rendered document itself is left out: a previous run's rewrite is not a change to the code
    dirty = _git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs/benchmarks.md")
    return head + (" + uncommitted changes" if dirty else "")


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.0f} GB RAM"
                break
    except OSError:
        pass
    info = {"cpu": cpu, "cores": os.cpu_count(), "ram": ram, "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version()}
    try:
        import sqlalchemy

        info["sqlalchemy"] = sqlalchemy.__version__
    except ImportError:
        pass
    try:
        sys.path.insert(0, str(ROOT))
        from app.db import sqlite_module

        info["sqlite"] = sqlite_module().sqlite_version
    except Exception:  # not the project's venv: Python's own library
        import sqlite3

        info["sqlite"] = sqlite3.sqlite_version
    return info


def pg_version(url: str) -> str:
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        try:
            with engine.connect() as c:
                return str(c.execute(text("SHOW server_version")).scalar()).split()[0]
        finally:
            engine.dispose()
    except Exception:
        return ""


def start(folder: Path, mode: str, db_desc: str = "", pg: str = "") -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    run = {"started": time.time(), "commit": commit(), "mode": mode, "db": db_desc, "load_start": loadavg(),
           "machine": machine()}
    if pg:
        run["postgresql"] = pg_version(pg)
    (folder / RUN).write_text(json.dumps(run, ensure_ascii=False, indent=1), encoding="utf-8")
    return run


# --- the section -------------------------------------------------------------------------------
def _num(x: float) -> str:
    if x is None:
        return ""
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:.0f}"
    if a >= 10:
        return f"{x:.1f}"
    if a >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _exact(x: float) -> str:
    return f"{int(x):,}" if float(x) == int(x) else f"{x:g}"


def target_text(f: dict) -> str:
    unit = f.get("unit", "")
    parts = []
    if f.get("target_max") is not None:
        parts.append(f"≤ {_exact(f['target_max'])} {unit}".rstrip())
    if f.get("target_min") is not None:
        parts.append(f"≥ {_exact(f['target_min'])} {unit}".rstrip())
    if f.get("target_ratio") is not None:
        parts.append(f"≤ {_exact(f['target_ratio'])}× floor")
    return ", ".join(parts)


def met_mark(met) -> str:
    return "—" if met is None else ("✓" if met else "✗")


def table(doc: dict) -> list[str]:
    rows = ["| what | value | floor | × floor | target | met |", "|---|---:|---:|---:|---|:-:|"]
    for f in doc.get("figures", []):
        unit = f.get("unit", "")
        value = f"{_num(f.get('value'))} {unit}".rstrip()
        floor = ""
        if f.get("floor") is not None:
            floor = f"{_num(f['floor'])} {unit}".rstrip() + (f" ({f['floor_what']})" if f.get("floor_what") else "")
        ratio = f"{f['ratio']:.2f}×" if f.get("ratio") is not None else ""
        what = f["what"] + (f" ({f['note']})" if f.get("note") else "")
        rows.append("| " + " | ".join(_cell(c) for c in (what, value, floor, ratio, target_text(f),
                                                         met_mark(f.get("met")))) + " |")
    return rows


def _duration(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m} min {s:02d} s" if m else f"{s} s"


def read_runs(folder: Path) -> list[dict]:
    runs = []
    path = folder / RUNS
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                name, rc, secs, cmd = (line.split("\t", 3) + ["", "", ""])[:4]
                runs.append({"name": name, "rc": int(rc or 0), "seconds": float(secs or 0), "cmd": cmd})
    return runs


def last_line(path: Path, limit: int = 120) -> str:
    """The last non-empty line of a benchmark's log: what it died of, usually."""
    try:
        lines = [x.strip() for x in path.read_text(encoding="utf-8", errors="replace").splitlines() if x.strip()]
    except OSError:
        return ""
    text = lines[-1] if lines else ""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def busy(load: str, cores) -> bool:
    try:
        return float(load.split()[0]) > float(cores)
    except (ValueError, IndexError, TypeError):
        return False


def section(folder: Path, now: float | None = None) -> str:
    """The Markdown between the markers for the results in ``folder``."""
    run = json.loads((folder / RUN).read_text(encoding="utf-8")) if (folder / RUN).exists() else {}
    if now is None:   # the run ended with its last benchmark (a later render does not lengthen it)
        now = (folder / RUNS).stat().st_mtime if (folder / RUNS).exists() else time.time()
    m = run.get("machine") or machine()
    runs = read_runs(folder)
    docs = {}
    for path in sorted(folder.glob("*.json")):
        if path.name == RUN:
            continue
        try:
            docs[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    order = [r["name"] for r in runs] + sorted(n for n in docs if n not in {r["name"] for r in runs})
    failed = [r for r in runs if r["rc"] != 0 or r["name"] not in docs]

    met, unmet, total = 0, [], 0
    for name in order:
        for f in docs.get(name, {}).get("figures", []):
            if f.get("met") is None:
                continue
            total += 1
            if f["met"]:
                met += 1
            else:
                unmet.append(f"{name}: {f['what']}")

    mode = run.get("mode", "")
    started = run.get("started", now)
    end_load = loadavg()
    out = [f"## Latest `scripts/bench.sh{' --quick' if mode == 'quick' else ''}` run",
           "",
           "Written by `scripts/bench.sh` (benchmarks/render_results.py): do not edit between the markers; "
           "earlier figures follow below as history.",
           "",
           f"- **Date**: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}, "
           f"{_duration(now - started)} in all",
           f"- **Commit**: `{run.get('commit') or commit()}`",
           f"- **Mode**: {mode or '?'}" + (f"; database: {run['db']}" if run.get("db") else ""),
           f"- **Machine**: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('ram', '?')}, {m.get('os', '')}; "
           f"Python {m.get('python', '?')}, SQLAlchemy {m.get('sqlalchemy', '?')}, SQLite {m.get('sqlite', '?')}"
           + (f", PostgreSQL {run['postgresql']}" if run.get("postgresql") else ""),
           f"- **Load average** (1, 5, 15 min): {run.get('load_start', '?')} at the start, {end_load} at the end",
           "",
           f"**{met} of {total} targets met.**" + (" Not met: " + "; ".join(unmet) + "." if unmet else ""),
           ]
    if busy(run.get("load_start", ""), m.get("cores")) or busy(end_load, m.get("cores")):
        out += ["", "The machine was busy (a load average above its cores): times are longer than on an idle "
                "machine; the ratios to floors measured in the same run are what to compare."]
    if failed:
        out.append("")
        out.append("**Failed** (no figures):")
        for r in failed:
            why = f"exit {r['rc']}" if r["rc"] else "no JSON written"
            tail = last_line(folder / f"{r['name']}.log")
            out.append(f"- {r['name']} ({why})" + (f": `{tail.replace('`', chr(39))}`" if tail else ""))
    for name in order:
        doc = docs.get(name)
        if doc is None:
            continue
        r = next((r for r in runs if r["name"] == name), None)
        head = f"### {name}"
        extra = [x for x in (doc.get("setup", ""), _duration(r["seconds"]) if r else "") if x]
        out += ["", head + (f" ({'; '.join(extra)})" if extra else ""), ""]
        if r and r["rc"]:
            out += [f"Exited with {r['rc']}: the figures below are what it wrote before.", ""]
        out += table(doc)
    if runs:
        out += ["", "<details><summary>Command lines</summary>", "", "```"]
        out += [f"{r['cmd']}    # exit {r['rc']}, {_duration(r['seconds'])}" for r in runs]
        out += ["```", "", "</details>"]
    return "\n".join(out) + "\n"


def rewrite(doc_path: Path, body: str) -> None:
    """Put ``body`` between the markers of ``doc_path`` (after its title when it has none yet)."""
    text = doc_path.read_text(encoding="utf-8") if doc_path.exists() else "# Benchmarks: measured figures\n"
    block = f"{BEGIN}\n{body}{END}"
    if BEGIN in text and END in text and text.index(BEGIN) < text.index(END):
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        new = head + block + tail
    else:
        lines = text.splitlines(keepends=True)
        at = next((i + 1 for i, line in enumerate(lines) if line.startswith("# ")), 0)
        new = "".join(lines[:at]) + "\n" + block + "\n" + ("\n" if at < len(lines) and lines[at].strip() else "") \
            + "".join(lines[at:])
    tmp = doc_path.with_name(f".{doc_path.name}.tmp")
    tmp.write_text(new, encoding="utf-8")
    os.replace(tmp, doc_path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start", help="note the commit, machine and load before the run")
    s.add_argument("dir", type=Path)
    s.add_argument("--mode", default="full")
    s.add_argument("--db-desc", default="")
    s.add_argument("--pg", default="", help="the PostgreSQL URL the run uses (its server version is noted)")
    r = sub.add_parser("render", help="rewrite the section of the document")
    r.add_argument("dir", type=Path)
    r.add_argument("--doc", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = ap.parse_args(argv)
    if args.cmd == "start":
        start(args.dir, args.mode, args.db_desc, args.pg)
        return 0
    body = section(args.dir)
    rewrite(args.doc, body)
    print("\n".join(line for line in body.splitlines() if line.startswith("**")))
    print(f"rewrote the bench.sh section of {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
