"""The till's start-up path imports nothing heavy it does not use: numpy and scipy (analytics),
lunar-python and holidays (the care engine, imported on its worker), reportlab (PDFs), twilio (the
sender, imported on its worker) and python-escpos (the printer, at the first print). Each check runs in
a new process, so what another test imported does not hide anything."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 or Qt's system libraries are missing")

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("numpy", "scipy", "lunar_python", "holidays", "reportlab", "twilio", "escpos")

CHECK = ("import sys\n"
         "heavy = {heavy!r}\n"
         "found = sorted({{m.split('.')[0] for m in sys.modules}} & set(heavy))\n"
         "assert not found, 'imported: ' + ', '.join(found)\n"
         "print('ok')\n")


def _run(code: str, tmp_path: Path, heavy: tuple[str, ...] = HEAVY) -> None:
    env = {**os.environ, "SHOPCARE_HOME": str(tmp_path), "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("SHOPCARE_DB", None)
    proc = subprocess.run([sys.executable, "-c", code + CHECK.format(heavy=heavy)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr


def test_importing_the_main_window_and_the_till_pulls_nothing_heavy(tmp_path):
    _run("import app.ui.app, app.ui.main, app.ui.startup, app.ui.main_window, app.ui.till.screen\n"
         "import app.ui.care.background_care, app.ui.texts.background_sender, app.ui.reports.analytics\n"
         "import app.services.sales.checkout\n", tmp_path)


def test_campaigns_check_a_segment_without_numpy(tmp_path):
    """The segment names live in analytics/segments.py; only a campaign that filters by segment
    loads the analytics (numpy, scipy) to score the members."""
    _run("import app.services.care.campaigns\n", tmp_path, heavy=("numpy", "scipy", "reportlab", "twilio"))


def test_the_till_on_screen_with_its_first_loads_pulls_nothing_heavy(tmp_path):
    """The main window built on a new shop and shown on the till, its first loads answered (what
    a cashier waits for), before the background sender and care engine start."""
    _run("from PySide6.QtCore import QEventLoop\n"
         "from app.ui.app import application, open_shop\n"
         "from app.services.admin import shop_admin\n"
         "from app.services.base import auth\n"
         "qapp = application([])\n"
         "ctx = open_shop()\n"
         "shop_admin.first_run(ctx, 'Tea', 'CNY', 'en', 'Owner', '1234', 'a-long-password-1')\n"
         "from app.services.base.context import Ctx\n"
         "actor = auth.login(ctx, 'Owner', '1234')\n"
         "from app.ui.app import main_window\n"
         "window = main_window(Ctx(db=ctx.db, actor=actor, till=ctx.till, clock=ctx.clock))\n"
         "window.show_restored()\n"
         "loop = QEventLoop()\n"
         "for _ in range(200):\n"
         "    loop.processEvents()\n"
         "window.state.tasks.wait()\n"
         "loop.processEvents()\n"
         "assert window.screens['till'].isVisible()\n"
         "window.close()\n", tmp_path)
