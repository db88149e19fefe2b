"""`shopcare report care` printed on the terminal: one row per kind of care action (texts, calls,
members reached, came back within the window, their visits and spending), then satisfaction by
category and by staff member; lined up by display columns, in the user's language."""
from __future__ import annotations

from app import i18n, money
from app.cli.care import care_rule_name
from app.i18n import NC_
from app.services.reports.care_results import CareResults, ScoreRow
from app.services.sales.receipt import text_width

LABELS = {
    "title": NC_("care_results:title", "Care results {start} to {end}"),
    "kind": NC_("care_results:kind", "Care action"),
    "window": NC_("care_results:window", "Window (days)"),
    "texts": NC_("care_results:texts", "Texts sent"),
    "calls": NC_("care_results:calls", "Calls"),
    "members": NC_("care_results:members", "Members"),
    "came_back": NC_("care_results:came_back", "Came back"),
    "rate": NC_("care_results:rate", "Rate"),
    "visits": NC_("care_results:visits", "Visits"),
    "spent": NC_("care_results:spent", "Spent"),
    "by_category": NC_("care_results:by_category", "Satisfaction by category"),
    "by_staff": NC_("care_results:by_staff", "Satisfaction by staff member"),
    "category": NC_("care_results:category", "Category"),
    "staff": NC_("care_results:staff", "Staff member"),
    "average": NC_("care_results:average", "Average"),
    "count": NC_("care_results:count", "Scores"),
    "complaints": NC_("care_results:complaints", "Complaints (1-2)"),
    "all": NC_("care_results:all", "All scores"),
    "none": NC_("care_results:none", "(none)"),
    "no_scores": NC_("care_results:no_scores", "No satisfaction scores in this period."),
    "note": NC_("care_results:note", "Came back: bought within the window after a text or call of that kind; "
                                     "spent: their sales less refunds in those windows."),
}


def label(key: str, lang: str, **params) -> str:
    return i18n.entry(lang, LABELS[key], context="care_results:" + key, **params)


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(text_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        parts = [row[0] + " " * (widths[0] - text_width(row[0]))]
        parts += [" " * (w - text_width(c)) + c for c, w in zip(row[1:], widths[1:])]
        out.append("  ".join(parts).rstrip())
    return out


def average(r: ScoreRow) -> str:
    return "–" if r.average is None else f"{r.average:.1f}"


def lines(report: CareResults, lang: str) -> list[str]:
    N = lambda v: money.format_int(v, lang)  # noqa: E731
    out = [label("title", lang, start=report.start.isoformat(), end=report.end.isoformat()), ""]
    rows = [[label(k, lang) for k in ("kind", "window", "texts", "calls", "members", "came_back", "rate", "visits",
                                      "spent")]]
    for k in report.kinds:
        rate = "–" if k.return_rate is None else f"{100 * k.return_rate:.0f}%"
        rows.append([care_rule_name(k.kind, lang), str(k.window_days), N(k.texts), N(k.calls), N(k.members),
                     N(k.came_back), rate, N(k.visits), money.format_plain(k.spent, report.currency, lang)])
    out += _table(rows)
    out += ["", label("note", lang), ""]
    if not report.scores.count:
        return out + [label("no_scores", lang)]
    for title, head, table in (("by_category", "category", report.by_category), ("by_staff", "staff", report.by_staff)):
        out.append(label(title, lang))
        rows = [[label(head, lang), label("average", lang), label("count", lang), label("complaints", lang)]]
        rows += [[r.key or label("none", lang), average(r), N(r.count), N(r.complaints)] for r in table]
        rows.append([label("all", lang), average(report.scores), N(report.scores.count), N(report.scores.complaints)])
        out += _table(rows) + [""]
    return out
