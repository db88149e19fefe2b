"""The layering DESIGN.md asks for: only app.ui imports Qt, dependencies point down."""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"


def _lint_imports() -> str | None:
    here = Path(sys.executable).parent / "lint-imports"
    if here.exists():
        return str(here)
    return shutil.which("lint-imports")


def test_import_linter_contracts_are_kept():
    exe = _lint_imports()
    if exe is None:
        pytest.skip("lint-imports (import-linter) is not installed: pip install -e '.[test]'")
    proc = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "broken" in proc.stdout and " 0 broken" in proc.stdout, proc.stdout


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = set()
    for node in ast.walk(tree):  # every import, at the top or inside a function
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_no_module_outside_app_ui_imports_qt():
    offenders = []
    sources = [p for top in ("app", "migrations") for p in (ROOT / top).rglob("*.py")]
    assert len(sources) > 10
    for path in sources:
        if APP / "ui" in path.parents:
            continue
        qt = sorted(m for m in _imports(path) if m.split(".")[0] in ("PySide6", "PyQt5", "PyQt6", "shiboken6"))
        if qt:
            offenders.append(f"{path.relative_to(ROOT)}: {', '.join(qt)}")
    assert offenders == []


def test_the_ui_does_import_qt():
    """The scan above would pass trivially if it could not see imports at all."""
    assert "PySide6.QtWidgets" in _imports(APP / "ui" / "main_window.py")


def test_running_commands_never_loads_qt(tmp_path):
    code = ("import sys, app.cli as c\n"
            "rc = c.main(['init'])\n"
            "assert rc == 0, rc\n"
            "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt was imported'\n")
    env = {**os.environ, "SHOPCARE_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env.pop("SHOPCARE_DB", None)
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
