"""A command imports what it uses and nothing more (issue 17, "commands start fast"): each case runs
``python -m app`` as a new process and lists the modules loaded when it exits."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# What no start-up path of check or --help may pull: the numeric stack, PDFs, printers, gateways,
# the migration machinery (the database is at head), Qt, the care engine's calendars.
HEAVY = ("numpy", "scipy", "pandas", "reportlab", "twilio", "escpos", "tencentcloud", "alembic", "PySide6",
         "lunar_python", "holidays", "openpyxl")

# Runs the real entry point, then writes sys.modules' top-level names (and a few submodules) to a file.
_PROBE = """
import atexit, json, runpy, sys
out = sys.argv.pop(1)
def _dump():
    with open(out, "w") as f:
        json.dump(sorted(sys.modules), f)
atexit.register(_dump)
sys.argv[0] = "shopcare"
runpy.run_module("app", run_name="__main__", alter_sys=True)
"""


def _env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("SHOPCARE_DB", "SHOPCARE_TILL", "LC_ALL", "LC_MESSAGES", "LANG", "DISPLAY",
                        "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(SHOPCARE_HOME=str(home), LANG="en_US.UTF-8", PYTHONPATH=str(ROOT))
    return env


def _modules(tmp_path: Path, *args: str, home: Path | None = None) -> tuple[subprocess.CompletedProcess, set[str]]:
    out = tmp_path / "modules.json"
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(out), *args], cwd=ROOT,
                          env=_env(home or tmp_path / "home"),
                          capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc, set(json.loads(out.read_text()))


def _loaded(modules: set[str], name: str) -> bool:
    return name in modules or any(m.startswith(name + ".") for m in modules)


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> tuple[str, Path]:
    """A small shop at head (made once: init and demo import what they need, that is not under test)."""
    tmp = tmp_path_factory.mktemp("shop")
    url = f"sqlite:///{tmp / 'shop.db'}"
    proc = subprocess.run([sys.executable, "-m", "app", "--db", url, "demo", "--members", "20", "--days", "3",
                           "--seed", "1"], cwd=ROOT, env=_env(tmp / "home"), capture_output=True, text=True,
                          encoding="utf-8", timeout=600)
    assert proc.returncode == 0, proc.stderr
    return url, tmp / "home"   # the same home: its audit key signed the demo's audit rows


def test_check_imports_nothing_heavy(shop, tmp_path):
    proc, modules = _modules(tmp_path, "--db", shop[0], "check", home=shop[1])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "OK" in proc.stdout
    assert [m for m in HEAVY if _loaded(modules, m)] == []
    # nor the models and the mappers (check reads with plain queries), nor the care engine
    assert not _loaded(modules, "app.models")
    assert not _loaded(modules, "sqlalchemy.orm")     # Core alone: a Connection, no Session
    assert "app.services.care.engine" not in modules
    assert "app.services.analytics.summary" not in modules


def test_help_imports_no_database_layer(tmp_path):
    proc, modules = _modules(tmp_path, "--help")
    assert proc.returncode == 0
    assert "shopcare check" in proc.stdout
    assert [m for m in HEAVY + ("sqlalchemy", "app.models", "app.services.care.config") if _loaded(modules, m)] == []


def test_help_stays_translated(tmp_path):
    proc, modules = _modules(tmp_path, "--lang", "zh_CN", "report", "eod", "--date", "nonsense")
    assert proc.returncode == 2
    assert "错误" in proc.stderr or "无效" in proc.stderr or "日期" in proc.stderr, proc.stderr
    assert not _loaded(modules, "sqlalchemy")


def test_care_preview_rule_choices_still_checked(tmp_path):
    proc, _ = _modules(tmp_path, "care", "preview", "--rule", "nonsense")
    assert proc.returncode == 2
    assert "birthday" in proc.stderr
    proc, _ = _modules(tmp_path, "care", "preview", "--help")
    assert "winback" in proc.stdout


def test_rfm_imports_no_scipy_stats_nor_export(shop, tmp_path):
    proc, modules = _modules(tmp_path, "--db", shop[0], "rfm", home=shop[1])
    assert proc.returncode == 0, proc.stderr
    assert not _loaded(modules, "scipy.stats")
    assert not _loaded(modules, "pandas")
    assert "app.services.analytics.export" not in modules


KEYRING_PROBE = ("import sys\n"
                 "from app.services.base.keyring import keyring_backend\n"
                 "print(keyring_backend() is None, 'keyring' in sys.modules)\n")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the shortcut is Linux's")
def test_headless_linux_answers_no_keyring_without_loading_keyring(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DBUS_SESSION_BUS_ADDRESS", "PYTHON_KEYRING_BACKEND")}
    env.update(PYTHONPATH=str(ROOT), XDG_CONFIG_HOME=str(tmp_path / "config"))
    bus = Path(f"/run/user/{os.getuid()}/bus")
    if bus.exists():
        pytest.skip("this machine has a session bus")
    run = lambda extra: subprocess.run([sys.executable, "-c", KEYRING_PROBE], env={**env, **extra}, cwd=ROOT,  # noqa: E731
                                       capture_output=True, text=True, timeout=60).stdout.split()
    assert run({}) == ["True", "False"]
    # A backend the user configured is asked: keyring is loaded (the null backend answers none).
    assert run({"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}) == ["True", "True"]
    (tmp_path / "config" / "python_keyring").mkdir(parents=True)
    (tmp_path / "config" / "python_keyring" / "keyringrc.cfg").write_text(
        "[backend]\ndefault-keyring=keyring.backends.null.Keyring\n")
    assert run({}) == ["True", "True"]
