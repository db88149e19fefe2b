"""benchmarks/results.py's figures and benchmarks/render_results.py's section of docs/benchmarks.md."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    """A script of benchmarks/ (not a package) loaded from its file."""
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


results = _load("results")
render_results = _load("render_results")


def test_met_when_every_named_target_holds():
    assert results.figure("p50", 1.0, "ms", floor=0.5, target_ratio=2.0)["met"] is True
    assert results.figure("p50", 1.2, "ms", floor=0.5, target_ratio=2.0)["met"] is False
    assert results.figure("p50", 1.0, "ms", floor=0.5, target_ratio=2.0)["ratio"] == 2.0
    assert results.figure("p99", 4.9, "ms", target_max=5)["met"] is True
    assert results.figure("p99", 5.1, "ms", target_max=5)["met"] is False
    assert results.figure("rows/s", 12_000, "rows/s", target_min=10_000)["met"] is True
    assert results.figure("rows/s", 9_000, "rows/s", target_min=10_000)["met"] is False
    # both must hold
    assert results.figure("p99", 4, "ms", floor=1, target_max=5, target_ratio=3)["met"] is False
    assert results.figure("p99", 4, "ms", floor=2, target_max=5, target_ratio=3)["met"] is True
    # a ratio target without a floor cannot be met; no target at all is neither met nor unmet
    assert results.figure("p50", 1.0, "ms", target_ratio=2.0)["met"] is False
    f = results.figure("sales/s", 41.5, "1/s")
    assert f["met"] is None and f["ratio"] is None and f["floor"] is None


def test_write_is_one_json_document(tmp_path):
    path = tmp_path / "sub" / "x.json"
    results.write(path, "x", [results.figure("a", 1, "ms", target_max=2)], setup="n=3")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["bench"] == "x" and doc["setup"] == "n=3" and doc["figures"][0]["met"] is True
    assert [p.name for p in path.parent.iterdir()] == ["x.json"]   # no temporary file left behind
    results.write(None, "x", [])                                     # no --json: nothing written


SAMPLE = """# Benchmarks: measured figures

How to run them: somewhere.

## Summary

| what | measured |
|---|---|
| old figure | 4.93 ms |
"""


def _run(tmp_path: Path) -> Path:
    res = tmp_path / "results"
    render_results.start(res, "quick", "built for the run: 20 members / 100 sales")
    results.write(res / "checkout.json", "checkout", [
        results.figure("checkout p50", 1.5, "ms", floor=1.0, floor_what="raw sqlite3", target_ratio=2.0),
        results.figure("checkout p99", 9.0, "ms", floor=2.0, floor_what="raw sqlite3", target_ratio=3.0),
    ], setup="n=200")
    results.write(res / "lookup.json", "lookup", [
        results.figure("last 4 digits p99", 2.5, "ms", target_max=5.0),
        results.figure("hits", 3.0, "members", note="average"),
    ])
    (res / "_runs.tsv").write_text(
        "checkout\t0\t12\tpy bench_checkout.py --json x\n"
        "rfm\t2\t1\tpy bench_rfm.py --json y\n"
        "lookup\t0\t3\tpy bench_lookup.py --json z\n", encoding="utf-8")
    return res


def test_render_writes_between_the_markers_and_leaves_the_rest(tmp_path):
    res = _run(tmp_path)
    doc = tmp_path / "benchmarks.md"
    doc.write_text(SAMPLE, encoding="utf-8")
    render_results.rewrite(doc, render_results.section(res))
    text = doc.read_text(encoding="utf-8")
    # the markers go after the title, the rest of the file follows unchanged
    assert text.startswith("# Benchmarks: measured figures\n\n<!-- bench.sh:begin -->\n")
    head, rest = text.split("<!-- bench.sh:end -->\n", 1)
    assert rest == SAMPLE.split("\n", 1)[1]          # everything after the title, as it was
    assert "**2 of 3 targets met.** Not met: checkout: checkout p99." in head
    assert "rfm (exit 2)" in head
    assert "| checkout p50 | 1.50 ms | 1.00 ms (raw sqlite3) | 1.50× | ≤ 2× floor | ✓ |" in head
    assert "| checkout p99 | 9.00 ms | 2.00 ms (raw sqlite3) | 4.50× | ≤ 3× floor | ✗ |" in head
    assert "| last 4 digits p99 | 2.50 ms |  |  | ≤ 5 ms | ✓ |" in head
    assert "| hits (average) | 3.00 members |  |  |  | — |" in head
    assert "- **Mode**: quick; database: built for the run: 20 members / 100 sales" in head
    for field in ("**Date**", "**Commit**", "**Machine**", "cores", "Python", "SQLAlchemy", "SQLite",
                  "**Load average**"):
        assert field in head
    assert head.index("### checkout") < head.index("### lookup")

    # a second run replaces the section, and only it
    results.write(res / "lookup.json", "lookup", [results.figure("last 4 digits p99", 6.0, "ms", target_max=5.0)])
    render_results.rewrite(doc, render_results.section(res))
    again = doc.read_text(encoding="utf-8")
    assert again.count("<!-- bench.sh:begin -->") == 1 and again.count("<!-- bench.sh:end -->") == 1
    assert again.split("<!-- bench.sh:end -->\n", 1)[1] == rest
    assert "**1 of 3 targets met.**" in again and "| last 4 digits p99 | 6.00 ms |" in again
    assert "2.50 ms" not in again


def test_render_keeps_what_surrounds_existing_markers(tmp_path):
    res = _run(tmp_path)
    doc = tmp_path / "benchmarks.md"
    before, after = "# T\n\nintro\n\n", "\n\n## History\n\nkept | as | is\n"
    doc.write_text(before + "<!-- bench.sh:begin -->\nold\n<!-- bench.sh:end -->" + after, encoding="utf-8")
    assert render_results.main(["render", str(res), "--doc", str(doc)]) == 0
    text = doc.read_text(encoding="utf-8")
    assert text.startswith(before + "<!-- bench.sh:begin -->\n## Latest")
    assert text.endswith("<!-- bench.sh:end -->" + after)
    assert "old\n" not in text
