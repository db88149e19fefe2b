"""Settings › Care, offscreen with pytest-qt on a real database: the owner's only tab, each section
saved through the services (their refusals shown in the section), and each section's preview of
who would get what tomorrow."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

from PySide6.QtCore import Qt  # noqa: E402

from app.services import care  # noqa: E402
from app.services.base import settings as shop_settings  # noqa: E402
from app.services.care.config import set_wording  # noqa: E402
from app.services.members.members import MemberInput, create_member  # noqa: E402
from app.services.sales import catalog  # noqa: E402
from app.services.sales.checkout import Cart, CartLine, Tender, checkout  # noqa: E402
from app.ui import i18n  # noqa: E402
from app.ui.settings.care_calendar import CalendarSection  # noqa: E402
from app.ui.settings.care_plans import GIFT, MIN_SPEND, VALUE, TierPlansSection  # noqa: E402
from app.ui.settings.care_tab import CareSettingsTab  # noqa: E402
from app.ui.settings.care_timing import RepurchaseSection, TimingSection, WinbackSection  # noqa: E402
from app.ui.settings.screen import SettingsScreen  # noqa: E402
from app.ui.state import AppState  # noqa: E402

TODAY = date(2026, 6, 30)


@pytest.fixture(autouse=True)
def english(qapp):
    i18n.install("en")
    yield
    i18n.install("en")


def settle(qtbot, state) -> None:
    for _ in range(3):
        state.tasks.wait()
        qtbot.wait(20)


@pytest.fixture
def shop(ctx):
    """A gold member (tier care), a salon regular overdue for a haircut, and a bakery regular."""
    ctx.clock.set(datetime(2026, 1, 1, 9))
    shop_settings.update(ctx, language="en")
    catalog.add_product(ctx, sku="CUT", name="Haircut 剪发", price=5000, kind="service", category="美发 Salon")
    catalog.add_product(ctx, sku="TART", name="Egg tart 蛋挞", price=800, category="烘焙 Bakery")
    gold = create_member(ctx, MemberInput(name="金", phone="13600000001", tier="gold", consent_care=True))
    hair = create_member(ctx, MemberInput(name="发", phone="13900000001", consent_care=True))
    for i in range(5, -1, -1):
        ctx.clock.set(datetime.combine(TODAY + timedelta(days=1) - timedelta(days=40 + 30 * i), time(11)))
        checkout(ctx, Cart((CartLine("CUT", 1),), member_id=hair.id), [Tender("cash", 10 ** 6)])
    ctx.clock.set(datetime.combine(TODAY, time(9)))
    return {"gold": gold, "hair": hair}


def open_tab(qtbot, ctx) -> tuple[CareSettingsTab, AppState]:
    state = AppState(ctx)
    tab = CareSettingsTab(state)
    qtbot.addWidget(tab)
    tab.resize(1100, 720)
    tab.show()
    tab.load()
    settle(qtbot, state)
    return tab, state


def choose(qtbot, tab, cls):
    section = tab.section(cls)
    tab.list.setCurrentRow(tab.sections.index(section))
    settle(qtbot, tab.state)
    return section


def test_only_the_owner_sees_the_care_tab(qtbot, ctx, cashier_ctx):
    for c, expected in ((ctx, True), (cashier_ctx, False)):
        state = AppState(c)
        screen = SettingsScreen(state)
        qtbot.addWidget(screen)
        titles = [screen.tabs.tabText(i) for i in range(screen.tabs.count())]
        assert ("Care" in titles) is expected
        assert (screen.care is not None) is expected


def test_tier_plans_are_added_and_a_bad_one_is_refused_in_words(qtbot, ctx, shop):
    tab, state = open_tab(qtbot, ctx)
    section = choose(qtbot, tab, TierPlansSection)
    rows = section.table.rowCount()
    assert rows == 5                                   # the default plans: gold 3, silver 2
    assert section.preview.table.rowCount() >= 1       # the gold member's plans, tomorrow
    assert any("金" == section.preview.table.item(r, 0).text() for r in range(section.preview.table.rowCount()))
    assert section.preview.table.item(0, 1).text() == "136****0001"
    section.add_row("silver", {"action": "voucher", "every": "month"})
    r = section.table.rowCount() - 1
    section.table.item(r, VALUE).setText("0")
    section.submit()
    settle(qtbot, state)
    assert section.status.text() == "Plan 6: Voucher value: the amount must be more than zero"
    section.table.item(r, VALUE).setText("150%")                       # the service refuses this one
    section.submit()
    settle(qtbot, state)
    assert section.status.text() == "Tier care, silver plan 3: a percentage voucher takes 0.01 % to 99.99 %"
    assert len(care.load_config(ctx).tier_plans["silver"]) == 2          # nothing saved
    section.table.item(r, VALUE).setText("12.50")
    section.table.item(r, MIN_SPEND).setText("60")
    section.submit()
    settle(qtbot, state)
    assert section.status.text() == "Saved."
    plan = care.load_config(ctx).tier_plans["silver"][-1]
    assert (plan["value"], plan["min_spend"], plan["valid_days"], plan["every"]) == (1250, 6000, 30, "month")
    assert plan["id"] == "silver-voucher-month"
    # remove the gift of gold
    gift_row = next(i for i in range(section.table.rowCount()) if section.table.item(i, GIFT).text())
    section.table.setCurrentCell(gift_row, 0)
    section.remove_row()
    section.submit()
    settle(qtbot, state)
    assert not any(p["action"] == "gift" for p in care.load_config(ctx).tier_plans["gold"])


def test_the_calendar_offers_every_solar_term_with_its_date_and_saves_what_is_ticked(qtbot, ctx, shop):
    tab, state = open_tab(qtbot, ctx)
    section = choose(qtbot, tab, CalendarSection)
    table = section.table
    names = {table.item(r, 1).text(): r for r in range(table.rowCount())}
    terms = [r for r in range(table.rowCount()) if table.item(r, 2).text() == "Solar term"]
    assert len(terms) == 24 and all(table.item(r, 4).text() for r in terms)
    row = next(r for n, r in names.items() if n.startswith("Qingming"))
    assert table.item(row, 0).checkState() == Qt.CheckState.Unchecked
    assert "2027" in table.item(row, 4).text()                        # the coming year's 清明
    table.item(row, 0).setCheckState(Qt.CheckState.Checked)
    section.name_en.setText("Shop day")
    section.name_zh.setText("店庆")
    section.rule.setText("solar:02-30")
    section.add_own()
    settle(qtbot, state)
    assert "solar:02-30" in section.status.text()                      # refused, nothing added
    section.rule.setText("solar:07-18")
    section.add_own()
    settle(qtbot, state)
    assert table.item(table.rowCount() - 1, 1).text().startswith("Shop day")
    section.submit()
    settle(qtbot, state)
    keys = [e.key for e in care.calendar(ctx)]
    assert "qingming" in keys and "shop_day" in keys and "winter_solstice" in keys


def test_repurchase_wording_per_category_is_previewed_before_it_is_saved(qtbot, ctx, shop):
    set_wording(ctx, "烘焙 Bakery", "{name}, fresh tarts today!")
    tab, state = open_tab(qtbot, ctx)
    section = choose(qtbot, tab, RepurchaseSection)
    cats = {section.table.item(r, 0).text(): r for r in range(section.table.rowCount())}
    assert section.table.item(cats["烘焙 Bakery"], 1).text() == "{name}, fresh tarts today!"
    assert "Time for more?" in section.default_label.text()
    section.table.item(cats["美发 Salon"], 1).setText("{name}, {days} days since your {product}: time for a trim?")
    section.refresh_preview()
    settle(qtbot, state)
    texts = [section.preview.table.item(r, 3).text() for r in range(section.preview.table.rowCount())]
    assert any("time for a trim" in t and "Haircut" in t for t in texts)
    assert "time for a trim" not in str(care.load_config(ctx).repurchase_wording)   # only a preview
    section.table.item(cats["美发 Salon"], 1).setText("{nme}, a trim?")
    section.submit()
    settle(qtbot, state)
    assert "美发 Salon" in section.status.text() and "{name}" in section.status.text()
    section.table.item(cats["美发 Salon"], 1).setText("{name}, time for a trim?")
    section.spins["repurchase_min_cycle_days"].setValue(20)
    section.submit()
    settle(qtbot, state)
    cfg = care.load_config(ctx)
    assert cfg.repurchase_wording == {"烘焙 Bakery": "{name}, fresh tarts today!",
                                      "美发 Salon": "{name}, time for a trim?"}
    assert cfg.repurchase_min_cycle_days == 20


def test_lead_times_rules_and_winback_voucher_are_saved(qtbot, ctx, shop):
    tab, state = open_tab(qtbot, ctx)
    timing = choose(qtbot, tab, TimingSection)
    timing.spins["birthday_days_ahead"].setValue(3)
    timing.rule_boxes["repurchase"].setChecked(False)
    timing.switches["hold_for_approval"].setChecked(True)
    timing.submit()
    settle(qtbot, state)
    cfg = care.load_config(ctx)
    assert cfg.birthday_days_ahead == 3 and "repurchase" not in cfg.enabled and cfg.hold_for_approval
    winback = choose(qtbot, tab, WinbackSection)
    winback.value.setText("abc")
    winback.submit()
    settle(qtbot, state)
    assert "abc" in winback.status.text() and care.load_config(ctx).winback_voucher["value"] == 2000
    winback.value.setText("25")
    winback.spins["winback_floor_days"].setValue(60)
    winback.submit()
    settle(qtbot, state)
    cfg = care.load_config(ctx)
    assert cfg.winback_voucher["value"] == 2500 and cfg.winback_floor_days == 60
    winback.with_voucher.setChecked(False)
    winback.submit()
    settle(qtbot, state)
    assert care.load_config(ctx).winback_voucher is None


def test_saving_asks_the_owners_password_and_keeps_other_sections_edits(qtbot, unconfirmed_ctx, shop):
    from app.ui.settings.owner_password import OwnerPasswordDialog

    tab, state = open_tab(qtbot, unconfirmed_ctx)
    winback = tab.section(WinbackSection)
    winback.spins["winback_floor_days"].setValue(90)          # edited, not saved
    timing = choose(qtbot, tab, TimingSection)
    timing.spins["holiday_days_ahead"].setValue(2)
    timing.submit()
    assert isinstance(timing.password_dialog, OwnerPasswordDialog)    # nothing saved before the password
    timing.password_dialog.reject()
    settle(qtbot, state)
    assert care.load_config(unconfirmed_ctx).holiday_days_ahead == 0
    state.keep_owner(_confirmed(unconfirmed_ctx))
    timing.submit()
    settle(qtbot, state)
    assert care.load_config(unconfirmed_ctx).holiday_days_ahead == 2
    assert winback.spins["winback_floor_days"].value() == 90              # still being edited there
    assert care.load_config(unconfirmed_ctx).winback_floor_days == 30


def _confirmed(ctx):
    from tests.shop import confirmed

    return confirmed(ctx)
