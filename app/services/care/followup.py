"""Care after a purchase: service follow-ups (a text or a call task N days after a sale of a category or
a product: "how is the perm holding up?", a care tip a week after a dye) and satisfaction texts ("reply
1-5") after sales of chosen categories. Planning only reads; the engine writes under the keys

    followup:<sale>:<plan id>        at most once per sale and plan
    satisfaction:<sale>              the sale the score is about (satisfaction.py and the care results read it)

A sale counts while one of its matching lines is not wholly refunded. Satisfaction texts go at most
once per member every ``satisfaction_every_days`` days: a sale within that many days of the member's
last satisfaction text (or of an earlier sale asked about in the same run) is not asked about.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from app.models import Member, Message, Sale, SaleLine, Staff
from app.services.base.context import Ctx
from app.services.care.config import CareConfig, followup_id
from app.services.care.plan import Action, existing_keys

SATISFACTION_KEY = "satisfaction:"


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min)


def _matching_sales(t: Ctx, first: date, last: date, *, categories: tuple[str, ...] = (), sku: str = ""):
    """Member sales on days [first, last] with a line of one of ``categories`` (or of ``sku``) not wholly
    refunded: (sale id, member id, member name, created_at, receipt, staff name, product, category),
    first matching line per sale, in time order."""
    line_match = SaleLine.sku == sku if sku else SaleLine.category.in_(categories)
    rows = t.s.execute(
        select(Sale.id, Sale.member_id, Member.name, Sale.created_at, Sale.receipt_no, Staff.name,
               SaleLine.name, SaleLine.category)
        .join(SaleLine, SaleLine.sale_id == Sale.id).join(Member, Member.id == Sale.member_id)
        .outerjoin(Staff, Staff.id == Sale.staff_id)
        .where(Sale.kind == "sale", Sale.member_id.is_not(None), Member.erased_at.is_(None), line_match,
               SaleLine.qty > SaleLine.refunded_qty,
               Sale.created_at >= _start(first), Sale.created_at < _start(last + timedelta(days=1)))
        .order_by(Sale.created_at, Sale.id, SaleLine.line_no)).all()
    seen, out = set(), []
    for row in rows:
        if row[0] not in seen:
            seen.add(row[0])
            out.append(row)
    return out


def followups(t: Ctx, cfg: CareConfig, first: date, last: date) -> list[Action]:
    """Each follow-up plan's actions due on a day in [first, last]: the sales ``days`` before."""
    out = []
    for item in cfg.followup_plans:
        days, pid = int(item["days"]), followup_id(item)
        category, sku = str(item.get("category") or "").strip(), str(item.get("sku") or "").strip()
        channel = "task" if item.get("action") == "call" else "text"
        for sale_id, mid, name, at, receipt, staff, product, cat in _matching_sales(
                t, first - timedelta(days=days), last - timedelta(days=days),
                categories=(category,), sku=sku):
            due = at.date() + timedelta(days=days)
            out.append(Action("followup", mid, name, due, f"followup:{sale_id}:{pid}", channel,
                              template="followup", task_source="followup", task_reason="followup",
                              values={"product": product, "category": cat, "days": days, "text": item.get("text") or "",
                                      "sale_id": sale_id, "receipt": receipt, "staff": staff or "", "bought": at.date(),
                                      "plan": pid},
                              stale_after=due + timedelta(days=cfg.followup_cutoff_days)))
    return out


def satisfaction(t: Ctx, cfg: CareConfig, first: date, last: date) -> list[Action]:
    """Satisfaction texts due on a day in [first, last]: sales ``satisfaction_days_after`` days before
    with a line of a chosen category, one per member per ``satisfaction_every_days``."""
    if not cfg.satisfaction_categories:
        return []
    after, every = cfg.satisfaction_days_after, cfg.satisfaction_every_days
    sales = _matching_sales(t, first - timedelta(days=after), last - timedelta(days=after),
                            categories=tuple(cfg.satisfaction_categories))
    if not sales:
        return []
    members = sorted({s[1] for s in sales})
    # The member's satisfaction texts near these days (any status: a text cancelled by the owner
    # still counts as asked), and which sale each one was about.
    asked: dict[int, list[date]] = defaultdict(list)
    since = _start(first - timedelta(days=after + every))
    for i in range(0, len(members), 500):
        for mid, at in t.s.execute(select(Message.member_id, Message.created_at).where(
                Message.member_id.in_(members[i:i + 500]), Message.kind == "satisfaction", Message.created_at >= since)):
            asked[mid].append(at.date())
    keyed = existing_keys(t, [f"{SATISFACTION_KEY}{s[0]}" for s in sales])
    out = []
    for sale_id, mid, name, at, receipt, staff, product, cat in sales:
        key = f"{SATISFACTION_KEY}{sale_id}"
        due = at.date() + timedelta(days=after)
        if key not in keyed and any(abs((d - due).days) < every for d in asked[mid]):
            continue            # asked recently (or about to be, for an earlier sale): not again
        asked[mid].append(due)
        out.append(Action("satisfaction", mid, name, due, key, "text", template="satisfaction",
                          values={"sale_id": sale_id, "receipt": receipt, "staff": staff or "", "category": cat},
                          stale_after=due + timedelta(days=1)))
    return out


def sale_of(dedupe_key: str) -> int | None:
    """The sale a satisfaction or follow-up key names."""
    parts = dedupe_key.split(":")
    if len(parts) >= 2 and parts[0] in ("satisfaction", "followup") and parts[1].isdigit():
        return int(parts[1])
    return None
