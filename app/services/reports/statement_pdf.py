"""A member statement as an A4 PDF (reportlab), in the shop's language: the member, the period,
opening and closing balances, and every movement with the balances after it."""
from __future__ import annotations

from pathlib import Path

from app import money
from app.services.reports import pdf
from app.services.base import settings as shop_settings
from app.services.base.context import Ctx
from app.services.reports.statement import Statement

LABELS: dict[str, tuple[str, str]] = {
    "title": ("Member statement", "会员对账单"),
    "period": ("{start} to {end}", "{start} 至 {end}"),
    "member": ("Member", "会员"),
    "card": ("Card", "卡号"),
    "tier": ("Tier", "等级"),
    "since": ("Member since", "入会日期"),
    "opening": ("Opening balance", "期初余额"),
    "closing": ("Closing balance", "期末余额"),
    "wallet": ("Stored value", "储值"),
    "points": ("Points", "积分"),
    "purchases": ("Purchases, net of refunds", "消费（扣除退货）"),
    "topped_up": ("Topped up", "充值"),
    "earned": ("Points earned", "获得积分"),
    "used": ("Points used or expired", "使用或过期积分"),
    "date": ("Date", "日期"),
    "what": ("What", "内容"),
    "amount": ("Amount", "金额"),
    "wallet_change": ("Stored value ±", "储值变动"),
    "wallet_after": ("Balance", "储值余额"),
    "points_change": ("Points ±", "积分变动"),
    "points_after": ("Points", "积分余额"),
    "none": ("No movements in this period.", "本期无变动。"),
    "printed": ("Printed {at} · {shop}", "打印时间 {at} · {shop}"),
    # movement kinds
    "sale": ("Purchase {ref}", "消费 {ref}"),
    "refund": ("Refund {ref}", "退货 {ref}"),
    "topup": ("Top-up", "充值"),
    "topup_bonus": ("Top-up, bonus {bonus}", "充值，赠送 {bonus}"),
    "topup_refund": ("Top-up refunded", "充值退款"),
    "cashout": ("Stored value paid out", "储值退现"),
    "adjustment": ("Adjustment", "调整"),
    "opening_entry": ("Opening balance carried over", "期初结转"),
    "expire": ("Points expired", "积分过期"),
    "points_adjust": ("Points adjusted", "积分调整"),
    "points_opening": ("Opening points carried over", "期初积分结转"),
    "page": ("Page {n}", "第 {n} 页"),
}


def _l(key: str, lang: str, **params) -> str:
    en, zh = LABELS[key]
    text = zh if lang.startswith("zh") else en
    return text.format(**params) if params else text


def write_statement_pdf(ctx: Ctx, st: Statement, path: str | Path, lang: str | None = None) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table

    cfg = shop_settings.load(ctx)
    lang = lang or cfg.language
    cur = cfg.currency
    styles = pdf.styles()
    L = lambda key, **p: _l(key, lang, **p)  # noqa: E731
    M = lambda minor: money.format_plain(minor, cur, lang)  # noqa: E731
    N = lambda n: money.format_int(n, lang)  # noqa: E731
    signed = lambda text, n: ("+" if n > 0 else "") + text if n else ""  # noqa: E731
    width = A4[0] - 36 * mm
    m = st.member
    zh = lang.startswith("zh")

    story = [Paragraph(f"{L('title')} · {pdf.escape(cfg.shop_name)}", styles["title"]),
             Paragraph(L("period", start=money.format_day(st.start, lang, "long"),
                         end=money.format_day(st.end, lang, "long")), styles["small"]),
             Spacer(1, 4 * mm)]
    who = [[L("member"), f"{m.name}  {m.masked_phone}"],
           [L("tier"), m.tier_name_zh if zh else m.tier_name_en],
           [L("since"), money.format_day(m.join_date, lang, "long")]]
    if m.card_no:
        who.insert(1, [L("card"), m.card_no])
    story.append(pdf.table(who, [width * 0.25, width * 0.75], header=False, numeric_from=2))
    story.append(Spacer(1, 4 * mm))
    balances = [["", L("wallet"), L("points")],
                [L("opening"), M(st.opening_wallet), N(st.opening_points)],
                [L("closing"), M(st.closing_wallet), N(st.closing_points)]]
    period = [[L("purchases"), M(st.purchases)], [L("topped_up"), M(st.topped_up)],
              [L("earned"), N(st.points_earned)], [L("used"), N(st.points_used)]]
    story.append(Table([[pdf.table(balances, [width * 0.2, width * 0.14, width * 0.1]),
                         pdf.table(period, [width * 0.32, width * 0.16], header=False)]],
                       colWidths=[width * 0.48, width * 0.52], hAlign="LEFT",
                       style=[("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, 0), 0)]))
    story.append(Spacer(1, 5 * mm))

    if not st.lines:
        story.append(Paragraph(L("none"), styles["body"]))
    else:
        # English headings wrap between words (the CJK rule would split "value" in two)
        head = styles["right"].clone("head", fontSize=8.5, leading=10.5, wordWrap="CJK" if zh else None)
        rows = [[Paragraph(L("date"), styles["body"]), Paragraph(L("what"), styles["body"])]
                + [Paragraph(L(k), head) for k in ("amount", "wallet_change", "wallet_after", "points_change",
                                                    "points_after")]]
        for ln in st.lines:
            if ln.kind in ("sale", "refund"):
                what = L(ln.kind, ref=ln.reference)
            elif ln.kind == "topup" and ln.bonus:
                what = L("topup_bonus", bonus=M(ln.bonus))
            elif ln.kind == "opening":
                what = L("opening_entry")
            else:
                what = L(ln.kind) if ln.kind in LABELS else ln.kind
            if ln.detail:
                what += f"<br/><font size=7.5 color='#666666'>{pdf.escape(ln.detail)}</font>"
            rows.append([ln.at.strftime("%Y-%m-%d %H:%M"), Paragraph(what, styles["body"]),
                         M(ln.amount) if ln.amount else "", signed(M(ln.wallet), ln.wallet), M(ln.wallet_after),
                         signed(N(ln.points), ln.points), N(ln.points_after)])
        story.append(pdf.table(rows, [width * w for w in (0.15, 0.29, 0.12, 0.12, 0.11, 0.105, 0.105)], numeric_from=2))

    printed = L("printed", at=ctx.now().strftime("%Y-%m-%d %H:%M"), shop=cfg.shop_name)

    path = Path(path)
    pdf.build_a4(path, story, title=f"{L('title')} {m.name}", author=cfg.shop_name, footer_left=printed,
                 page_label=_l("page", lang))
    return path
