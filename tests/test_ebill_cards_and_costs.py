"""The count-card e-bill says which card and how many uses are left (not "spent 0.00 ()"); a price
per SMS part in the texting settings, and the cost in money in campaign and care previews."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.errors import ValidationError
from app.money import format_money
from app.models import Message, Product
from app.services import care
from app.services.admin import shop_admin
from app.services.base import settings
from app.services.care import campaigns
from app.services.care.campaigns import CampaignSpec, Filters
from app.services.ledger import countcards
from app.services.sales import refunds
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from tests.shop import ledger_faults, member, stock_shop


def _card(ctx, member_id: int):
    with ctx.tx() as t:
        pkg = t.s.execute(select(Product).where(Product.sku == "CUT10")).scalar_one()
        return countcards.issue(t, member_id, pkg, None, 40000)


def ebill(ctx, message_id: int) -> str:
    with ctx.tx(write=False) as t:
        return t.s.get(Message, message_id).body


@pytest.mark.parametrize("lang, card_said, left_said", [
    ("en", "10 haircuts 剪发十次卡: 1 used, 9 left", "Thank you for your visit"),
    ("zh_CN", "10 haircuts 剪发十次卡本次使用1次，剩余9次", "感谢光临"),
    ("zh_TW", "10 haircuts 剪发十次卡本次使用1次，剩餘9次", "感謝光臨"),
])
def test_a_visit_paid_by_a_count_card_alone_says_the_card_and_uses_left(ctx, lang, card_said, left_said):
    settings.update(ctx, language=lang)
    stock_shop(ctx)
    m = member(ctx)
    card = _card(ctx, m.id)
    sale = checkout(ctx, Cart((CartLine("CUT", count_card_id=card.id),), member_id=m.id), [])
    body = ebill(ctx, sale.message_id)
    assert card_said in body and "spent" not in body and "()" not in body and "（）" not in body
    assert left_said.casefold() in body.casefold()


def test_a_mixed_sale_names_the_card_beside_the_money(ctx):
    settings.update(ctx, language="en")
    stock_shop(ctx)
    m = member(ctx)
    card = _card(ctx, m.id)
    sale = checkout(ctx, Cart((CartLine("CUT", qty=2, count_card_id=card.id), CartLine("TEA")), member_id=m.id),
                    [Tender("cash", 3333)])
    body = ebill(ctx, sale.message_id)
    assert "you spent 33.33 (Cash 33.33, 10 haircuts 剪发十次卡: 2 used, 8 left)" in body
    # the refund of one haircut gives a use back, and says so
    r = refunds.refund(ctx, sale.receipt_no, reason="left early")
    assert "10 haircuts 剪发十次卡: 2 given back, 10 left" in ebill(ctx, r.message_id)
    assert ledger_faults(ctx.db) == []


def test_price_per_part_is_kept_in_minor_units_and_checked(ctx):
    cfg = shop_admin.update_texting(ctx, "21:00", "09:00", 3, "回T退订", "Reply STOP to opt out", 5)
    assert cfg.sms_part_price == 5 and cfg.sms_cost(7) == 35
    for bad in (-1, 1.5, "5", 10**15):
        with pytest.raises(ValidationError):
            shop_admin.update_texting(ctx, "21:00", "09:00", 3, "回T退订", "Reply STOP to opt out", bad)
    assert settings.load(ctx).sms_part_price == 5
    # callers that do not name a price leave it as it is
    assert shop_admin.update_texting(ctx, "21:00", "09:00", 2, "回T退订", "Reply STOP to opt out").sms_part_price == 5


def test_campaign_and_care_previews_cost_money(ctx, clock, capsys):
    from datetime import datetime

    from app.cli import main

    clock.set(datetime.now().replace(microsecond=0))   # the command line below reads the real clock
    settings.update(ctx, language="en", sms_part_price=4)
    stock_shop(ctx)
    for i in range(3):
        member(ctx, f"1380000000{i}", f"M{i}", consent_marketing=True, consent_care=True,
               birthday=f"1990-{clock.now().month:02d}-{clock.now().day:02d}")
    p = campaigns.preview(ctx, CampaignSpec("Tea week", Filters(), body="Tea week: 20% off all teas!"))
    assert p.reachable == 3 and p.segments == 3 and p.cost == 12
    report = care.run(ctx, dry_run=True)
    assert report.count("birthday").queued == 3 and report.parts == 3
    code = main(["--db", ctx.db.url, "care", "run", "--dry-run", "--lang", "en"])
    out = capsys.readouterr().out
    shop = settings.load(ctx)
    assert code == 0 and f"3 text(s): 3 SMS part(s), about {format_money(12, 'CNY', shop.format_locale)}" in out, out


def test_texting_tab_saves_the_price_per_part(qtbot, ctx):
    from app.ui import i18n as ui_i18n
    from app.ui.state import AppState
    from app.ui.texts.texting_tab import TextingTab

    ui_i18n.install("en")
    settings.update(ctx, language="en")
    state = AppState(ctx)
    state.keep_owner(ctx)                              # the owner's password was typed
    tab = TextingTab(state)
    qtbot.addWidget(tab)
    tab.load()
    qtbot.waitUntil(lambda: tab.optout_en.text() != "", timeout=10_000)
    assert tab.quiet_start.text() == "21:00", tab.quiet_start.text()
    tab.part_price.setText("0.05")
    tab.submit()
    state.tasks.wait()
    qtbot.wait(200)
    assert settings.load(ctx).sms_part_price == 5, tab.status.text()
    tab.part_price.setText("abc")
    tab.submit()
    state.tasks.wait()
    assert settings.load(ctx).sms_part_price == 5 and tab.status.text()
