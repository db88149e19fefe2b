"""The care engine inside the app: at start and on a timer, on the io pool, one run at a time."""
from __future__ import annotations

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

from sqlalchemy import select  # noqa: E402

from app.models import Message  # noqa: E402
from app.ui.care.background_care import BackgroundCare  # noqa: E402
from app.ui.state import AppState  # noqa: E402
from tests.shop import member  # noqa: E402


def test_care_runs_at_start_and_again_without_doubling(qtbot, ctx, clock):
    m = member(ctx, "13800138000", "王芳", birthday="1990-03-02", consent_care=True)
    state = AppState(ctx)
    care = BackgroundCare(state, interval_ms=30)
    care.start()
    qtbot.waitUntil(lambda: care.runs >= 3, timeout=20_000)
    care.stop()
    state.tasks.wait()
    assert care.last_error is None and not care.running
    with ctx.tx(write=False) as t:
        texts = t.s.execute(select(Message.kind).where(Message.member_id == m.id)).scalars().all()
    assert texts.count("birthday") == 1               # three runs, one birthday text
    assert care.summary().startswith("Care:")


def test_a_failing_run_is_shown_and_the_next_one_still_runs(qtbot, ctx, monkeypatch, caplog):
    from app.services import care as care_service

    calls = []

    def flaky(c, *a, **k):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("disk on fire")
        return real(c, *a, **k)

    real = care_service.run
    monkeypatch.setattr(care_service, "run", flaky)
    state = AppState(ctx)
    care = BackgroundCare(state, interval_ms=30)
    shown = []
    care.changed.connect(lambda: shown.append(care.summary()))
    care.start()
    qtbot.waitUntil(lambda: care.runs >= 2, timeout=20_000)
    care.stop()
    state.tasks.wait()
    # the failure was said in one plain sentence, and its exception kept in the log
    assert "Something went wrong while running the care engine. The details were saved." in shown[0]
    assert "disk on fire" not in shown[0] and "RuntimeError: disk on fire" in caplog.text
    assert len(calls) >= 2 and care.last_error is None  # and the next run went ahead
