"""Every string the UI shows has a Simplified Chinese translation.

Qt's own extractor (lupdate, shipped with PySide6) lists every ``tr()`` / ``translate()`` /
``QT_TRANSLATE_NOOP`` string in app/ui by context; each must appear in resources/i18n/zh_CN/*.json.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _lupdate() -> str | None:
    exe = Path(sys.executable).with_name("pyside6-lupdate")
    return str(exe) if exe.exists() else shutil.which("pyside6-lupdate")


def extracted(tmp_path) -> dict[str, set[str]]:
    exe = _lupdate()
    if exe is None:
        pytest.skip("pyside6-lupdate is not installed (it ships with PySide6-Essentials)")
    sources = sorted(str(p) for p in (ROOT / "app" / "ui").rglob("*.py"))
    ts = tmp_path / "ui.ts"
    subprocess.run([exe, *sources, "-ts", str(ts)], check=True, capture_output=True)
    found: dict[str, set[str]] = {}
    for ctx in ET.parse(ts).getroot().iter("context"):
        name = ctx.findtext("name")
        for msg in ctx.iter("message"):
            found.setdefault(name, set()).add(msg.findtext("source"))
    return found


def test_every_ui_string_has_chinese(tmp_path):
    sys.path.insert(0, str(ROOT))
    from app.ui.i18n import catalogue

    table = catalogue("zh_CN")
    missing = [f"{ctx}: {src!r}" for ctx, sources in sorted(extracted(tmp_path).items()) for src in sorted(sources)
               if not table.get(ctx, {}).get(src, "").strip()]
    assert not missing, "untranslated UI strings:\n" + "\n".join(missing)


def test_catalogues_are_valid_and_keep_placeholders():
    import json
    import re

    for file in (ROOT / "resources" / "i18n" / "zh_CN").glob("*.json"):
        data = json.loads(file.read_text(encoding="utf-8"))
        for ctx, entries in data.items():
            for en, zh in entries.items():
                assert set(re.findall(r"\{\w*\}", en)) == set(re.findall(r"\{\w*\}", zh)), (file.name, ctx, en)
