"""Templates: safe placeholders refused at save in both languages, signature and opt-out line on
care and marketing texts, segment counts, and e-bills that use the shop's edited text."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.errors import PermissionDenied, ValidationError, render
from app.models import AuditLog, Message, Setting
from app.services.sales import checkout
from app.services.texts import templates, bodies
from app.services.ledger import wallet
from app.services.base import settings as shop_settings
from app.services.sales.checkout import Cart, CartLine, Tender
from tests.shop import member, stock_shop


@pytest.mark.parametrize("text, code", [
    ("Hi {nme}!", "template_placeholder_unknown_near"),
    ("Hi {name", "template_placeholder_malformed"),
    ("Hi {}", "template_placeholder_malformed"),
    ("Hi {0}", "template_placeholder_malformed"),
    ("Hi {name.__class__}", "template_placeholder_malformed"),
    ("Hi {name!r}", "template_placeholder_malformed"),
    ("Hi {name:>99999999}", "template_placeholder_malformed"),
    ("Hi name}", "template_placeholder_malformed"),
    ("Hi {{name}}", "template_placeholder_malformed"),
    ("Hi {receipt}", "template_placeholder_unknown"),   # an e-bill's placeholder, not a birthday's
    ("   ", "template_empty"),
    ("{name}" + "x" * 480, "template_too_long"),
])
def test_bad_placeholders_are_refused_at_save_and_nothing_is_stored(ctx, text, code):
    with pytest.raises(ValidationError) as err:
        templates.save_template(ctx, "birthday", "en", text)
    assert err.value.code == code
    en, zh = render(err.value, "en"), render(err.value, "zh_CN")
    assert en != zh and "{fragment}" not in en and "{allowed}" not in zh and "{near}" not in zh
    with ctx.tx(write=False) as t:
        assert t.s.execute(select(Setting).where(Setting.key.like("template.%"))).first() is None
    assert templates.template_for(ctx, "birthday", "en") == templates.default_text("birthday", "en")


def test_the_errors_say_what_is_wrong_in_both_languages():
    with pytest.raises(ValidationError) as err:
        templates.validate("birthday", "Happy birthday {nme}")
    assert render(err.value, "en") == "Unknown placeholder {nme}: did you mean {name}?"
    assert render(err.value, "zh_CN") == "未知占位符 {nme}：是否应为 {name}？"
    with pytest.raises(ValidationError) as err:
        templates.validate("birthday", "Happy birthday {name")
    assert "{name" in render(err.value, "en") and "{voucher_code}" in render(err.value, "zh_CN")


def test_every_default_template_is_valid_for_its_kind_in_both_languages():
    table = bodies.default_templates()
    assert set(table) == set(templates.KINDS)
    for kind in templates.KINDS:
        for lang in templates.LANGS:
            templates.validate(kind, table[kind][lang])


def test_save_and_reset_are_owner_only_audited_and_clear_the_cache(ctx, cashier_ctx):
    assert templates.template_for(ctx, "winback", "en").startswith("{shop}: {name}, we have missed you")  # now cached
    with pytest.raises(PermissionDenied):
        templates.save_template(cashier_ctx, "winback", "en", "Come back, {name}!")
    templates.save_template(ctx, "winback", "en", "  Come back, {name}: {voucher_code}!  ")
    assert templates.template_for(ctx, "winback", "en") == "Come back, {name}: {voucher_code}!"
    assert templates.is_custom(ctx, "winback", "en") and not templates.is_custom(ctx, "winback", "zh_CN")
    with pytest.raises(PermissionDenied):
        templates.reset_template(cashier_ctx, "winback", "en")
    templates.reset_template(ctx, "winback", "en")
    assert templates.template_for(ctx, "winback", "en") == templates.default_text("winback", "en")
    with ctx.tx(write=False) as t:
        actions = t.s.execute(select(AuditLog.action, AuditLog.after).where(AuditLog.entity == "template")).all()
    assert [a for a, _ in actions] == ["template.save", "template.reset"]
    assert json.loads(actions[0][1]) == {"text": "Come back, {name}: {voucher_code}!"}


def test_a_broken_row_in_the_table_falls_back_to_the_default(ctx):
    with ctx.tx() as t:
        t.s.add(Setting(key="template.birthday.en", value=json.dumps("Hi {name.__init__.__globals__}")))
    assert templates.template_for(ctx, "birthday", "en") == templates.default_text("birthday", "en")


def test_care_and_marketing_texts_carry_the_signature_and_opt_out_line(ctx):
    shop_settings.update(ctx, shop_name="Little Tea House", signature="小雅茶社")
    # a shop's own text without the signature or the opt-out line gets both
    templates.save_template(ctx, "birthday", "zh_CN", "{name}，祝您生日快乐！送您一张优惠券{voucher_code}，有效期至{voucher_expiry}。")
    zh = templates.compose(ctx, "birthday", "zh_CN", {"name": "王芳", "voucher_code": "BD-1", "voucher_expiry": "3月31日"})
    assert zh == "【小雅茶社】王芳，祝您生日快乐！送您一张优惠券BD-1，有效期至3月31日。回T退订"
    en = templates.compose(ctx, "campaign", "en", {"name": "Amy", "voucher_code": "C9", "voucher_expiry": "Sunday"})
    assert en == "小雅茶社: Amy, this week only: use voucher C9 by Sunday. Reply STOP to opt out"
    # a text that already has them gets them once; a missing value is left empty, never "{...}"
    templates.save_template(ctx, "satisfaction", "zh_CN", "【{shop}】{name}，请回复1-5为本次服务打分。回T退订")
    body = templates.compose(ctx, "satisfaction", "zh_CN", {})
    assert body == "【小雅茶社】，请回复1-5为本次服务打分。回T退订"
    # e-bills are transactional: no opt-out line added
    assert "退订" not in templates.compose(ctx, "ebill_topup", "zh_CN", {"name": "王芳"})


def test_values_are_never_filled_twice_or_evaluated(ctx):
    body = templates.compose(ctx, "holiday", "en", {"name": "{holiday}", "holiday": "{name.__class__}"})
    assert "Happy {name.__class__}, {holiday}!" in body


def test_preview_counts_characters_segments_and_encoding(ctx):
    shop_settings.update(ctx, signature="小雅")
    zh70 = "好" * 63            # + 【小雅】 (4) + 回T退订 (4) = 71 characters
    p = templates.preview(ctx, "holiday", "zh_CN", zh70)
    assert (p.chars, p.segments, p.encoding) == (71, 2, "UCS-2")
    p = templates.preview(ctx, "holiday", "zh_CN", "好" * 62)
    assert (p.chars, p.segments, p.encoding) == (70, 1, "UCS-2")
    p = templates.preview(ctx, "ebill_sale", "en", "x" * 160)
    assert (p.chars, p.segments, p.encoding) == (160, 1, "GSM-7")
    p = templates.preview(ctx, "ebill_sale", "en", "Hi {name}, you spent {amount}.")
    assert p.text == "Hi Fang Wang, you spent 58.00." and p.segments == 1


def test_ebills_use_the_shops_edited_templates(ctx):
    shop_settings.update(ctx, language="zh_CN", signature="小雅")
    stock_shop(ctx)
    m = member(ctx)
    templates.save_template(ctx, "ebill_sale", "zh_CN", "【{shop}】{name}消费{amount}，余额{balance}。单号{receipt}")
    templates.save_template(ctx, "ebill_topup", "zh_CN", "【{shop}】{name}充值{amount}，送{bonus}，积分{points}")
    sale = checkout.checkout(ctx, Cart((CartLine("COF"),), member_id=m.id), [Tender("cash", 5800)])
    top = wallet.topup(ctx, m.id, 10000, "cash")
    with ctx.tx(write=False) as t:
        bodies = {i: t.s.get(Message, i).body for i in (sale.message_id, top.message_id)}
    assert bodies[sale.message_id] == f"【小雅】王芳消费58.00，余额0.00。单号{sale.receipt_no}"
    assert bodies[top.message_id] == "【小雅】王芳充值100.00，送0.00，积分58"
