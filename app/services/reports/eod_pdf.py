"""The end-of-day member report as an A4 PDF (reportlab), in the shop's language.

The figures come from ``eod.eod_report``; this module only lays them out: key figures first, then
sales and payments (with a payment-mix pie and sales by hour as bars: a picture reads faster than
a table there), the drawer, stored value, points, vouchers/members/texts, top products, cashiers,
birthdays, the valuable members at risk and the points soon to expire.

The report stays a few pages whatever the member count: each list per member shows its first
``eod.LIST_TOP`` rows and says how many more there are and where the whole list is (Reports › End of
day › Save the full lists, or ``shopcare report eod -o FILE.csv``).
"""
from __future__ import annotations

from pathlib import Path

from babel.dates import format_date

from app import i18n, money
from app.errors import method_name
from app.i18n import NC_
from app.services.reports import pdf
from app.services.reports.eod import EXPIRING_DAYS, EodReport

# key -> English (msgctxt eod:<key>; translations in the shopcare PO)
LABELS: dict[str, str] = {
    "title": NC_("eod:title", "End-of-day member report"),
    "generated": NC_("eod:generated", "Generated {at}"),
    "net_sales": NC_("eod:net_sales", "Net sales"),
    "sales_count": NC_("eod:sales_count", "Sales"),
    "member_share": NC_("eod:member_share", "Member sales"),
    "cash_expected": NC_("eod:cash_expected", "Cash expected in the drawer"),
    "sec_sales": NC_("eod:sec_sales", "Sales"),
    "count": NC_("eod:count", "Count"),
    "amount": NC_("eod:amount", "Amount"),
    "sales": NC_("eod:sales", "Sales"),
    "refunds": NC_("eod:refunds", "Refunds"),
    "voids": NC_("eod:voids", "Voids"),
    "net": NC_("eod:net", "Net"),
    "member": NC_("eod:member", "Members"),
    "walkin": NC_("eod:walkin", "Walk-in"),
    "discounts": NC_("eod:discounts", "Discounts given (member and manual)"),
    "sec_payments": NC_("eod:sec_payments", "Payments"),
    "method": NC_("eod:method", "Method"),
    "total": NC_("eod:total", "Total"),
    "sec_hours": NC_("eod:sec_hours", "Sales by hour"),
    "sec_drawer": NC_("eod:sec_drawer", "Cash drawer"),
    "cash_sales": NC_("eod:cash_sales", "Cash from sales, less cash refunds"),
    "cash_topups": NC_("eod:cash_topups", "Top-ups paid in cash"),
    "cash_out": NC_("eod:cash_out", "Paid out in cash (cash-outs, top-up refunds)"),
    "expected": NC_("eod:expected", "Expected on top of the opening float"),
    "sec_wallet": NC_("eod:sec_wallet", "Stored value"),
    "topped_up": NC_("eod:topped_up", "Topped up, paid ({n})"),
    "bonus": NC_("eod:bonus", "Bonus given"),
    "spent": NC_("eod:spent", "Spent on sales"),
    "wallet_refunded": NC_("eod:wallet_refunded", "Back to wallets by refunds"),
    "paid_out": NC_("eod:paid_out", "Cash-outs and top-up refunds"),
    "adjusted": NC_("eod:adjusted", "Adjustments and openings"),
    "outstanding": NC_("eod:outstanding", "Outstanding at close (the shop's liability)"),
    "principal": NC_("eod:principal", "Paid principal"),
    "bonus_part": NC_("eod:bonus_part", "Bonus"),
    "sec_points": NC_("eod:sec_points", "Points"),
    "issued": NC_("eod:issued", "Issued"),
    "redeemed": NC_("eod:redeemed", "Redeemed"),
    "expired": NC_("eod:expired", "Expired"),
    "points_other": NC_("eod:points_other", "Refunds and adjustments"),
    "points_outstanding": NC_("eod:points_outstanding", "Outstanding at close"),
    "points_expiring": NC_("eod:points_expiring", "Expiring in the next {days} days ({n} members)"),
    "sec_expiring": NC_("eod:sec_expiring", "Points soon to expire"),
    "expiring_note": NC_("eod:expiring_note", "The members with the most points lapsing in the next {days} days "
                                              "(first in, first out): a reason to call or to remind them."),
    "expiring_points": NC_("eod:expiring_points", "Points"),
    "expiring_first": NC_("eod:expiring_first", "First lapse"),
    "sec_other": NC_("eod:sec_other", "Vouchers, members and texts"),
    "vouchers": NC_("eod:vouchers", "E-vouchers redeemed"),
    "new_members": NC_("eod:new_members", "New members"),
    "texts_sent": NC_("eod:texts_sent", "Texts sent"),
    "texts_failed": NC_("eod:texts_failed", "Texts failed"),
    "texts_deferred": NC_("eod:texts_deferred", "Texts deferred (quiet hours, daily cap)"),
    "segments": NC_("eod:segments", "SMS segments billed"),
    "sec_products": NC_("eod:sec_products", "Top products"),
    "product": NC_("eod:product", "Product"),
    "qty": NC_("eod:qty", "Qty"),
    "margin": NC_("eod:margin", "Margin"),
    "margin_unknown": NC_("eod:margin_unknown", "Margin: where the cost of every unit sold is known; – where it is not."),
    "sec_cashiers": NC_("eod:sec_cashiers", "Cashiers"),
    "cashier": NC_("eod:cashier", "Cashier"),
    "no_cashier": NC_("eod:no_cashier", "(no staff: imports, command line)"),
    "sec_birthdays": NC_("eod:sec_birthdays", "Birthdays today and tomorrow"),
    "day": NC_("eod:day", "Day"),
    "today": NC_("eod:today", "Today"),
    "tomorrow": NC_("eod:tomorrow", "Tomorrow"),
    "name": NC_("eod:name", "Member"),
    "phone": NC_("eod:phone", "Phone"),
    "tier": NC_("eod:tier", "Tier"),
    "age": NC_("eod:age", "Age"),
    "spent_total": NC_("eod:spent_total", "Total spent"),
    "sec_at_risk": NC_("eod:sec_at_risk", "Valuable members at risk"),
    "at_risk_note": NC_("eod:at_risk_note", "Three visits or more, and away more than 45 days and 2.5 times their usual gap."),
    "days_away": NC_("eod:days_away", "Days away"),
    "none": NC_("eod:none", "None"),
    "more": NC_("eod:more", "… and {n} more. The full list: Reports › End of day › Save the full lists (CSV), "
                            "or shopcare report eod --date {day} -o lists.csv"),
    "page": NC_("eod:page", "Page {n}"),
}


def _l(key: str, lang: str, **params) -> str:
    return i18n.entry(lang, LABELS[key], context="eod:" + key, **params)


def write_eod_pdf(report: EodReport, path: str | Path, lang: str | None = None) -> Path:
    """Lay ``report`` out as a PDF at ``path``; returns the path."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

    lang = lang or report.language
    cur = report.currency
    st = pdf.styles()
    f = pdf.cjk_font()
    L = lambda key, **p: _l(key, lang, **p)  # noqa: E731
    M = lambda minor: money.format_plain(minor, cur, lang)  # noqa: E731
    N = lambda n: money.format_int(n, lang)  # noqa: E731
    width = A4[0] - 36 * mm
    path = Path(path)

    def section(title: str, *flow):
        return KeepTogether([Paragraph(title, st["heading"]), *flow])

    def kv(rows: list[tuple[str, str]], total_last: bool = False):
        return pdf.table([[a, b] for a, b in rows], [width * 0.72, width * 0.28], header=False,
                         total_row=total_last)

    day_text = money.format_day(report.day, lang)
    story = [Paragraph(f"{L('title')} · {pdf.escape(report.shop_name)}", st["title"]),
             Paragraph(f"{day_text} &nbsp;·&nbsp; {L('generated', at=report.generated_at.strftime('%Y-%m-%d %H:%M'))}",
                       st["small"]),
             Spacer(1, 5 * mm)]

    # Key figures: four boxes across the page.
    share = (f"{round(100 * report.member_sales.amount / report.sales.amount)}%" if report.sales.amount else "–")
    boxes = [(L("net_sales"), M(report.net_sales)), (L("sales_count"), N(report.sales.count)),
             (L("member_share"), share), (L("cash_expected"), M(report.cash_expected))]
    key = Table([[Paragraph(a, st["small"]) for a, _ in boxes],
                 [Paragraph(f"<font size=15>{b}</font>", st["body"]) for _, b in boxes]],
                colWidths=[width / 4] * 4, hAlign="LEFT")
    key.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#c9d1dc")),
                             ("INNERGRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#c9d1dc")),
                             ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#f6f8fb")),
                             ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 1), (-1, 1), 9)]))
    story.append(key)

    # Sales.
    rows = [[L("sec_sales"), L("count"), L("amount")],
            [L("sales"), N(report.sales.count), M(report.sales.amount)],
            [L("refunds"), N(report.refunds.count), M(report.refunds.amount)],
            [L("voids"), N(report.voids.count), M(report.voids.amount)],
            [L("member"), N(report.member_sales.count), M(report.member_sales.amount)],
            [L("walkin"), N(report.walkin_sales.count), M(report.walkin_sales.amount)],
            [L("discounts"), "", M(report.discounts)],
            [L("net"), "", M(report.net_sales)]]
    story.append(section(L("sec_sales"), pdf.table(rows, [width * 0.56, width * 0.16, width * 0.28], total_row=True)))

    # Payments: a table beside the pie.
    methods = [(m, a) for m, a in report.by_method.items() if a]
    pay_rows = [[L("method"), L("amount")]] + [[_method(m, lang), M(a)] for m, a in methods]
    pay_rows.append([L("total"), M(sum(a for _, a in methods))])
    pay_table = pdf.table(pay_rows, [width * 0.30, width * 0.20], total_row=True)
    pie = _pie([(_method(m, lang), a) for m, a in methods if a > 0], f.name, width * 0.45, 52 * mm)
    story.append(section(L("sec_payments"), Table([[pay_table, pie]], colWidths=[width * 0.53, width * 0.47],
                                                    style=[("VALIGN", (0, 0), (-1, -1), "TOP")], hAlign="LEFT")))
    story.append(section(L("sec_hours"), _hours(report.by_hour, cur, f.name, width, 48 * mm)))

    # The drawer.
    story.append(section(L("sec_drawer"), kv([(L("cash_sales"), M(report.cash_sales)),
                                               (L("cash_topups"), M(report.cash_topups)),
                                               (L("cash_out"), M(report.cash_paid_out)),
                                               (L("expected"), M(report.cash_expected))], total_last=True)))
    # Stored value.
    owed = report.outstanding_principal + report.outstanding_bonus
    story.append(section(L("sec_wallet"), kv([
        (L("topped_up", n=N(report.topped_up.count)), M(report.topped_up.amount)),
        (L("bonus"), M(report.topup_bonus)),
        (L("spent"), M(report.wallet_spent)),
        (L("wallet_refunded"), M(report.wallet_refunded)),
        (L("paid_out"), M(report.wallet_paid_out)),
        (L("adjusted"), M(report.wallet_adjusted)),
        (f"{L('outstanding')}: {L('principal')} {M(report.outstanding_principal)} + "
         f"{L('bonus_part')} {M(report.outstanding_bonus)}", M(owed))], total_last=True)))
    # Points.
    story.append(section(L("sec_points"), kv([(L("issued"), N(report.points_issued)),
                                               (L("redeemed"), N(report.points_redeemed)),
                                               (L("expired"), N(report.points_expired)),
                                               (L("points_other"), N(report.points_other)),
                                               (L("points_outstanding"), N(report.points_outstanding))],
                                              total_last=True),
                         kv([(L("points_expiring", days=N(EXPIRING_DAYS), n=N(report.points_expiring.count)),
                              N(report.points_expiring.amount))])))
    story.append(section(L("sec_other"), kv([
        (L("vouchers"), f"{N(report.vouchers_redeemed.count)} · {M(report.vouchers_redeemed.amount)}"),
        (L("new_members"), N(report.new_members)),
        (L("texts_sent"), N(report.texts_sent)), (L("texts_failed"), N(report.texts_failed)),
        (L("texts_deferred"), N(report.texts_deferred)), (L("segments"), N(report.text_segments))])))

    # Lists.
    def margin(p) -> str:
        if p.margin is None:
            return "–"
        ratio = p.margin_ratio
        return M(p.margin) + ("" if ratio is None else f" ({round(100 * ratio)}%)")

    prod = [[L("product"), L("qty"), L("amount"), L("margin")]] + [
        [Paragraph(pdf.escape(p.name), st["body"]), N(p.qty), M(p.amount), margin(p)] for p in report.top_products]
    story.append(section(L("sec_products"), *((pdf.table(prod, [width * 0.46, width * 0.10, width * 0.20, width * 0.24]),
                                               Spacer(1, 1.5 * mm), Paragraph(L("margin_unknown"), st["small"]))
                                              if report.top_products else (Paragraph(L("none"), st["body"]),))))
    cash = [[L("cashier"), L("sales_count"), L("net")]] + [
        [c.name or L("no_cashier"), N(c.sales), M(c.amount)] for c in report.cashiers]
    story.append(section(L("sec_cashiers"), pdf.table(cash, [width * 0.56, width * 0.16, width * 0.28])
                         if report.cashiers else Paragraph(L("none"), st["body"])))

    def members(rows, note_label: str, when: list[str] | None = None):
        if not rows:
            return Paragraph(L("none"), st["body"])
        head = [L("name"), L("phone"), L("tier"), note_label, L("spent_total")]
        cols = [width * 0.24, width * 0.20, width * 0.18, width * 0.14, width * 0.24]
        data = [[r.name, r.masked_phone, r.tier, r.note, M(r.value)] for r in rows]
        if when is not None:  # a first column saying which day
            head, cols = [L("day"), *head], [width * 0.12, *(c * 0.88 for c in cols)]
            data = [[w, *row] for w, row in zip(when, data, strict=True)]
        return pdf.table([head, *data], cols, numeric_from=len(head) - 2)

    def more(shown: int, total: int) -> list:
        """"… and 1,226 more", with where the whole list is, under a list cut at LIST_TOP."""
        if total <= shown:
            return []
        return [Spacer(1, 1.5 * mm), Paragraph(L("more", n=N(total - shown), day=report.day.isoformat()), st["small"])]

    birthdays = report.birthdays_today + report.birthdays_tomorrow
    story.append(section(L("sec_birthdays"), members(
        birthdays, L("age"), [L("today")] * len(report.birthdays_today) + [L("tomorrow")] * len(report.birthdays_tomorrow)),
        *more(len(birthdays), max(report.birthdays_today_count, len(report.birthdays_today))
              + max(report.birthdays_tomorrow_count, len(report.birthdays_tomorrow)))))
    story.append(section(L("sec_at_risk"), Paragraph(L("at_risk_note"), st["small"]), Spacer(1, 2 * mm),
                         members(report.at_risk, L("days_away")),
                         *more(len(report.at_risk), report.at_risk_count)))
    soon = [[L("name"), L("phone"), L("expiring_points"), L("expiring_first")]] + [
        [r.name, r.masked_phone, N(r.points), format_date(r.first_on, "medium", locale=i18n.babel_locale(lang))]
        for r in report.expiring_soon]
    story.append(section(L("sec_expiring"), Paragraph(L("expiring_note", days=N(EXPIRING_DAYS)), st["small"]),
                         Spacer(1, 2 * mm),
                         pdf.table(soon, [width * 0.30, width * 0.24, width * 0.18, width * 0.28], numeric_from=2)
                         if report.expiring_soon else Paragraph(L("none"), st["body"]),
                         *more(len(report.expiring_soon), report.expiring_count)))

    pdf.build_a4(path, story, title=f"{L('title')} {report.day.isoformat()}", author=report.shop_name,
                 footer_left=f"{report.shop_name} · {L('title')} · {report.day.isoformat()}",
                 page_label=_l("page", lang))
    return path


def _method(method: str, lang: str) -> str:
    return method_name(method, lang)


PALETTE = ("#2f6db5", "#e08a2e", "#3f9a5b", "#b5443f", "#7c5cb5", "#8c8c8c", "#c7a32b")


def _pie(parts: list[tuple[str, int]], font: str, w: float, h: float):
    from reportlab.graphics.charts.piecharts import Pie
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    d = Drawing(w, h)
    if not parts:
        return d
    total = sum(a for _, a in parts)
    pie = Pie()
    pie.x, pie.y, pie.width, pie.height = 6, 8, h - 16, h - 16
    pie.data = [a for _, a in parts]
    pie.labels = None
    pie.slices.strokeColor = colors.white
    pie.slices.strokeWidth = 1
    for i in range(len(parts)):
        pie.slices[i].fillColor = colors.HexColor(PALETTE[i % len(PALETTE)])
    d.add(pie)
    # Legend beside it: colour, method, share.
    x, y = h + 4, h - 16
    for i, (name, amount) in enumerate(parts):
        from reportlab.graphics.shapes import Rect

        d.add(Rect(x, y - 1, 8, 8, fillColor=colors.HexColor(PALETTE[i % len(PALETTE)]), strokeColor=None))
        d.add(String(x + 12, y, f"{name}  {round(100 * amount / total)}%", fontName=font, fontSize=8.5))
        y -= 14
    return d


def _hours(by_hour: tuple[int, ...], currency: str, font: str, w: float, h: float):
    """Bars for the hours the shop sold in (first to last hour with a sale, at least 8:00–20:00)."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    busy = [i for i, a in enumerate(by_hour) if a]
    first, last = min([8, *busy]), max([20, *busy])
    hours = list(range(first, last + 1))
    scale = 10 ** money.exponent(currency)
    d = Drawing(w, h)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 36, 18, w - 46, h - 26
    chart.data = [[max(by_hour[i], 0) / scale for i in hours]]
    chart.categoryAxis.categoryNames = [f"{i}" for i in hours]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7.5
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7.5
    chart.valueAxis.valueMin = 0
    chart.valueAxis.gridStrokeColor = colors.HexColor("#e3e7ed")
    chart.valueAxis.visibleGrid = True
    chart.bars[0].fillColor = colors.HexColor(PALETTE[0])
    chart.bars[0].strokeColor = None
    chart.barSpacing = 1
    d.add(chart)
    return d
