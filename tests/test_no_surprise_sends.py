"""No surprise sends: the first care run of a shop, the first after an import and a run of more texts
than the shop's limit hold their texts for the owner's approval (all, some or none; Care › Today or
``shopcare care approve``); and ``care run --dry-run`` predicts exactly what a real run then queues,
on the demo shop too. On SQLite and, with SHOPCARE_TEST_PG, on PostgreSQL."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.cli import main
from app.errors import PermissionDenied, ValidationError
from app.models import Message
from app.services import care
from app.services.admin import demo, import_run
from app.services.admin.import_run import ImportOptions
from app.services.texts import held, sender
from app.adapters.sms import make_gateway
from app.services.texts.gateway_config import GatewayConfig
from tests.shop import member


def statuses(ctx) -> Counter:
    with ctx.tx(write=False) as t:
        return Counter(t.s.execute(select(Message.status).where(Message.category == "care")).scalars())


def birthdays(ctx, day: str, n: int, first: int = 1) -> list:
    return [member(ctx, f"1380013{first + i:04d}", f"会员{first + i}", birthday=f"1990-{day}", consent_care=True)
            for i in range(n)]


def test_the_first_run_holds_then_runs_go_by_themselves(ctx, clock):
    clock.set(datetime(2026, 5, 11, 10))
    birthdays(ctx, "05-11", 2)
    report = care.run(ctx)
    assert (report.hold, report.texts, report.count("birthday").queued) == ("first_run", 2, 2)
    assert report.parts == 2
    assert statuses(ctx) == {"held": 2}
    gw = make_gateway(GatewayConfig(kind="log"))
    assert sender.send_due(ctx, gw).sent == 0                         # nothing goes by itself
    clock.set(datetime(2026, 5, 12, 10))
    birthdays(ctx, "05-12", 1, first=10)
    nxt = care.run(ctx)
    assert (nxt.hold, nxt.texts) == (None, 1)
    assert statuses(ctx) == {"held": 2, "queued": 1}


def test_a_run_with_nothing_to_send_holds_nothing_and_the_first_texts_are_held(ctx, clock):
    clock.set(datetime(2026, 5, 11, 10))
    assert care.run(ctx).hold is None
    clock.set(datetime(2026, 5, 12, 10))
    birthdays(ctx, "05-12", 1)
    assert care.run(ctx).hold == "first_run"                          # the shop's first care text
    assert statuses(ctx) == {"held": 1}
    care.update_config(ctx, hold_first_run=False)
    clock.set(datetime(2026, 5, 13, 10))
    birthdays(ctx, "05-13", 1, first=10)
    assert care.run(ctx).hold is None


def test_the_first_run_after_an_import_holds(ctx, clock, tmp_path):
    clock.set(datetime(2026, 5, 11, 10))
    birthdays(ctx, "05-11", 1, first=30)
    assert care.run(ctx).hold == "first_run"
    assert held.approve(ctx, None)[0] == 1
    clock.set(datetime(2026, 5, 11, 15))
    path = tmp_path / "m.csv"
    path.write_text("name,phone,birthday,consent\n王芳,13800138001,1990-05-12,yes\n李雷,13800138002,1985-05-12,yes\n",
                    encoding="utf-8")
    assert import_run.run(ctx, path, ImportOptions(kind="members")).imported == 2
    clock.set(datetime(2026, 5, 12, 9))
    dry = care.run(ctx, dry_run=True)
    report = care.run(ctx)
    assert (dry.hold, dry.texts) == (report.hold, report.texts) == ("after_import", 2)
    assert statuses(ctx) == {"held": 2, "queued": 1}
    clock.set(datetime(2026, 5, 13, 9))
    birthdays(ctx, "05-13", 1, first=20)
    assert care.run(ctx).hold is None                                  # only the first after it


def test_more_texts_than_the_limit_hold(ctx, clock):
    care.update_config(ctx, hold_above=2, hold_first_run=False)
    clock.set(datetime(2026, 5, 11, 10))
    birthdays(ctx, "05-11", 2)
    assert care.run(ctx).hold is None                                  # 2: not more than the limit
    clock.set(datetime(2026, 5, 12, 10))
    birthdays(ctx, "05-12", 3, first=10)
    report = care.run(ctx)
    assert (report.hold, report.texts) == ("over_limit", 3)
    assert statuses(ctx) == {"queued": 2, "held": 3}
    care.update_config(ctx, hold_above=0)                              # 0: no limit
    clock.set(datetime(2026, 5, 13, 10))
    birthdays(ctx, "05-13", 3, first=20)
    assert care.run(ctx).hold is None
    with pytest.raises(ValidationError):
        care.update_config(ctx, hold_above=-1)


def test_approve_all_some_or_none(ctx, clock, cashier_ctx):
    clock.set(datetime(2026, 5, 11, 10))
    people = birthdays(ctx, "05-11", 4)
    care.run(ctx)
    h = held.summary(ctx)
    assert (h.texts, h.members, h.parts, h.by_kind) == (4, 4, 4, (("birthday", 4),))
    with ctx.tx(write=False) as t:
        ids = dict(t.s.execute(select(Message.member_id, Message.id)).all())
    with pytest.raises(PermissionDenied):
        held.approve(cashier_ctx, None)
    with pytest.raises(ValidationError):
        held.approve(ctx, ["x"])
    n, missing = held.approve(ctx, [ids[people[0].id], 99999])       # some
    assert (n, missing) == (1, [99999])
    assert held.reject(ctx, [ids[people[1].id]]) == (1, [])           # none of that one
    assert held.approve(ctx, [ids[people[1].id]]) == (0, [ids[people[1].id]])   # rejected stays rejected
    assert held.approve(ctx, None)[0] == 2                            # all the rest
    assert statuses(ctx) == {"queued": 3, "cancelled": 1}
    assert held.summary(ctx).texts == 0
    clock.set(datetime(2026, 5, 11, 11))
    assert sender.send_due(ctx, make_gateway(GatewayConfig(kind="log"))).sent == 3
    assert care.run(ctx).count("birthday").duplicate == 4              # the rejected one is never made again


def test_cli_approve_lists_then_approves(ctx, clock, capsys):
    clock.set(datetime(2026, 5, 11, 10))
    birthdays(ctx, "05-11", 3)
    care.run(ctx)
    url = ctx.db.url
    assert main(["--db", url, "--lang", "en", "care", "approve"]) == 0
    out = capsys.readouterr().out
    assert "3 texts (3 SMS parts) to 3 members wait for approval" in out and "birthday: 3" in out
    with ctx.tx(write=False) as t:
        first = t.s.execute(select(Message.id).order_by(Message.id)).scalars().first()
    assert main(["--db", url, "--lang", "en", "care", "reject", str(first)]) == 0
    assert "1 text(s) rejected" in capsys.readouterr().out
    assert main(["--db", url, "--lang", "en", "care", "approve", "--all"]) == 0
    assert "2 text(s) approved" in capsys.readouterr().out
    assert statuses(ctx) == {"queued": 2, "cancelled": 1}
    assert main(["--db", url, "--lang", "zh_CN", "care", "approve"]) == 0
    assert capsys.readouterr().out.strip() == "没有等待批准的短信"


def test_cli_run_says_the_texts_wait(ctx, clock, capsys):
    clock.set(datetime(2026, 5, 11, 10))
    birthdays(ctx, "05-11", 2)
    # the CLI's own clock is the machine's: run the care of the test's day (in the past for it)
    assert main(["--db", ctx.db.url, "--lang", "en", "care", "run", "--date", "2026-05-11"]) == 0
    out = capsys.readouterr().out
    assert "The shop's first care run: its 2 texts (2 SMS parts) wait for your approval" in out


# --- dry run = real run, on the demo shop -----------------------------------------------------------------
def _per_rule(report) -> dict:
    return {r.rule: (r.due, r.queued, r.tasks, r.skipped_no_consent, r.duplicate, r.missed) for r in report.rules}


def _written(report) -> set:
    return {(o.rule, o.dedupe_key, o.outcome) for o in report.outcomes}


@pytest.fixture
def demo_shop(ctx, clock):
    demo.build_demo(ctx, members=80, days=240, seed=3)
    return ctx


def test_dry_run_predicts_the_real_run_on_the_demo(demo_shop, clock):
    ctx = demo_shop
    care.update_config(ctx, winback_daily_limit=3)          # more lapses than a day takes: some wait
    first_dry = care.run(ctx, dry_run=True)
    first = care.run(ctx)                                    # the app's first run at start
    assert _per_rule(first_dry) == _per_rule(first) and _written(first_dry) == _written(first)
    assert first.hold == first_dry.hold == "first_run"
    assert first.count("winback").queued + first.count("winback").tasks == 3
    # A second run that day (the owner at the command line): the dry run said win-back and
    # repurchase texts would go, the real run then queued none. Now they agree.
    again_dry = care.run(ctx, dry_run=True)
    again = care.run(ctx)
    assert _per_rule(again_dry) == _per_rule(again) and _written(again_dry) == _written(again)
    assert again.count("winback").queued == again.count("repurchase").queued == 0
    # The next day the waiting lapses come up, in the dry run and in the real one alike.
    clock.set(clock.now() + timedelta(days=1))
    next_dry = care.run(ctx, dry_run=True)
    nxt = care.run(ctx)
    assert _per_rule(next_dry) == _per_rule(nxt) and _written(next_dry) == _written(nxt)
    assert nxt.count("winback").queued + nxt.count("winback").tasks > 0


def test_care_today_shows_the_held_texts_and_approves_some_or_none(qtbot, ctx, clock):
    pytest.importorskip("pytestqt")
    from PySide6.QtCore import QItemSelectionModel

    from app.ui import i18n
    from app.ui.care.today_tab import TodayTab
    from app.ui.state import AppState

    from app.services.base import settings as shop_settings

    shop_settings.update(ctx, language="en")
    i18n.install("en")
    clock.set(datetime(2026, 5, 11, 10))
    birthdays(ctx, "05-11", 3)
    care.run(ctx)
    clock.set(datetime(2026, 5, 12, 10))                      # held texts wait whatever their day
    state = AppState(ctx)
    tab = TodayTab(state)
    qtbot.addWidget(tab, before_close_func=lambda _w: state.tasks.wait())
    tab.show()
    tab.load()
    qtbot.waitUntil(lambda: tab.data is not None and tab.approve_all.isEnabled(), timeout=10_000)
    assert tab.held_line.text().startswith("3 texts to 3 members wait for your approval: 6 SMS parts")
    assert tab.approve_all.text() == "Approve all waiting (3)" and tab.texts.rowCount() == 3
    sel = tab.texts.selectionModel()
    for r in (0, 2):
        sel.select(tab.texts.model().index(r, 0), QItemSelectionModel.SelectionFlag.Select
                   | QItemSelectionModel.SelectionFlag.Rows)
    tab.approve(all_held=False)                                # some
    qtbot.waitUntil(lambda: statuses(ctx) == {"queued": 2, "held": 1}, timeout=10_000)
    qtbot.waitUntil(lambda: tab.data.held.texts == 1, timeout=10_000)
    asked = []
    tab.confirm_reject = lambda n: asked.append(n) or True    # the owner answers yes
    tab.reject_held()                                          # none of the rest
    qtbot.waitUntil(lambda: statuses(ctx) == {"queued": 2, "cancelled": 1}, timeout=10_000)
    assert asked == [1]
    qtbot.waitUntil(lambda: not tab.approve_all.isEnabled() and not tab.held_line.isVisible(), timeout=10_000)


def test_cli_approve_help_and_bad_input(ctx, capsys):
    assert main(["care", "approve", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--all" in text and "first care run" in text and "SMS parts" in text
    assert main(["--db", ctx.db.url, "--lang", "en", "care", "approve", "12x"]) == 2
    assert "Text numbers must be whole numbers above 0: 12x" in capsys.readouterr().err
    assert main(["--db", ctx.db.url, "--lang", "en", "care", "reject", "7"]) == 0   # nothing waits: named, left
    assert "0 text(s) rejected" in capsys.readouterr().out


def test_a_campaign_to_more_members_than_the_limit_waits_for_approval(ctx, clock):
    from app.services.care import campaigns
    from app.services.care.campaigns import CampaignSpec, Filters

    people = [member(ctx, f"1390013{i:04d}", f"顾客{i}", consent_marketing=True) for i in range(3)]
    care.update_config(ctx, hold_above=2)
    c = campaigns.send(ctx, CampaignSpec("Tea week", Filters(), body="{name}, tea week is on!"))
    assert (c.results.recipients, c.results.held, c.results.queued) == (3, 3, 0)
    assert held.summary(ctx).by_kind == (("campaign", 3),)
    care.update_config(ctx, hold_above=3)
    c2 = campaigns.send(ctx, CampaignSpec("Tea week 2", Filters(), body="{name}, tea week is on!"))
    assert (c2.results.held, c2.results.queued) == (0, 3)
    assert held.approve(ctx, None)[0] == 3
    assert campaigns.get(ctx, c.id).results.queued == 3 and len(people) == 3
