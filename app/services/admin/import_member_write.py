"""What a member import changes and writes: an --update's changes and the values kept before them, the preview rows, the new members with their tags, and the opening balances through the ledger."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import bindparam, insert, select, update

from app.models import CountCard, CountCardEntry, Member, MemberTag, PointsEntry, WalletEntry
from app.services.admin.import_common import Bulk, Ticker, existing_values, phone_shown, points_expiry
from app.services.admin.import_member_rows import _Lookups, _MemberRow
from app.services.admin.import_results import CardPreview, FieldChange, MemberChange, MemberPreview
from app.services.base import phones
from app.services.base.context import Ctx
from app.services.base.settings import ShopSettings
from app.services.ledger import ledger
from app.services.members import members, tiers

WRITE_CHUNK = 2000   # rows per executemany: progress and cancel between them


_KEEP = ("name", "phone", "card_no", "gender", "birthday_month", "birthday_day", "birth_year", "birthday_calendar",
         "birthday_leap_month", "notes", "join_date", "tier_id", "consent_care", "consent_care_at",
         "consent_care_source", "consent_marketing", "consent_marketing_at", "consent_marketing_source")
_BEFORE = (*_KEEP, "name_key", "phone_last4", "wallet_principal", "wallet_bonus", "points_balance", "updated_at")


def _existing_members(t: Ctx, ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    m = Member.__table__
    cols = [m.c[c] for c in _BEFORE]
    out: dict[int, dict] = {}
    for row in existing_values(t, m.c.id, tuple(cols), ids):
        out[row[0]] = dict(zip(_BEFORE, row[1:]), tags=[])
    mt = MemberTag.__table__
    for mid, tag in sorted(existing_values(t, mt.c.member_id, mt.c.tag, ids)):
        out[mid]["tags"].append(tag)
    return out


def _added_tags(r: _MemberRow, old: dict) -> list[str]:
    """The row's tags the member has not got yet (an update adds tags, it never takes one away)."""
    have = set(old["tags"])
    return [tag for tag in dict.fromkeys(members.clean_tags(r.tags)) if tag not in have] if r.tags else []


def _birthday_text(month, day, year, calendar, leap) -> str:
    if not month:
        return ""
    return str(members.Birthday(month, day, year, calendar or "solar", bool(leap)))


def _member_changes(good: list[_MemberRow], matched: dict[int, int], existing: dict[int, dict], look: _Lookups,
                    now) -> tuple[dict[int, MemberChange], dict[int, dict], dict[int, dict]]:
    """Per updated row: what is shown as changing; per member: the columns' values before (for
    import_changes); per updated row: the new column values."""
    changes: dict[int, MemberChange] = {}
    before: dict[int, dict] = {}
    new_values: dict[int, dict] = {}
    for r in good:
        mid = matched.get(r.row_no)
        if mid is None:
            continue
        old = existing[mid]
        new = _new_values(r, old, now)
        shown: list[FieldChange] = []

        def diff(field: str, a, b) -> None:
            if a != b:
                shown.append(FieldChange(field, "" if a is None else str(a), "" if b is None else str(b)))

        diff("name", old["name"], new["name"])
        diff("phone", phones.mask(old["phone"]) if old["phone"] else "", phones.mask(new["phone"]))
        diff("card", old["card_no"], new["card_no"])
        diff("gender", old["gender"], new["gender"])
        diff("birthday", _birthday_text(old["birthday_month"], old["birthday_day"], old["birth_year"],
                                        old["birthday_calendar"], old["birthday_leap_month"]),
             _birthday_text(new["birthday_month"], new["birthday_day"], new["birth_year"], new["birthday_calendar"],
                            new["birthday_leap_month"]))
        diff("notes", old["notes"], new["notes"])
        diff("join_date", old["join_date"], new["join_date"])
        diff("tier", look.tier_names.get(old["tier_id"], ""), look.tier_names.get(new["tier_id"], ""))
        diff("consent", _yes(old["consent_care"]), _yes(new["consent_care"]))
        diff("marketing_consent", _yes(old["consent_marketing"]), _yes(new["consent_marketing"]))
        if r.balance or r.bonus:
            diff("balance", old["wallet_principal"] + old["wallet_bonus"],
                 old["wallet_principal"] + old["wallet_bonus"] + r.balance + r.bonus)
        if r.points:
            diff("points", old["points_balance"], old["points_balance"] + r.points)
        added = _added_tags(r, old)
        if added:
            shown.append(FieldChange("tags", ", ".join(old["tags"]), ", ".join([*old["tags"], *added])))
        if r.card_product:
            shown.append(FieldChange("count_card", "", f"{r.card_product[3]} x{r.uses_left}"))
        changes[r.row_no] = MemberChange(r.row_no, mid, new["name"], tuple(shown))
        before[mid] = {c: old[c] for c in _BEFORE}
        if added:
            before[mid]["tags"] = list(old["tags"])      # the undo puts these back
        new_values[r.row_no] = new
    return changes, before, new_values


def _yes(value) -> str:
    """A consent as a change shows it: the neutral words "yes" and "no" (the wizard names them)."""
    return "yes" if value else "no"


def _new_values(r: _MemberRow, old: dict, now) -> dict:
    """An updated member's columns: the row's non-blank values over the member's."""
    new = {c: old[c] for c in _KEEP}
    new["name"] = r.name or old["name"]
    new["phone"] = r.phone
    if r.card:
        new["card_no"] = r.card
    if r.gender:
        new["gender"] = r.gender
    if r.birthday is not None:
        b = r.birthday
        new.update(birthday_month=b.month, birthday_day=b.day, birth_year=b.year, birthday_calendar=b.calendar,
                   birthday_leap_month=b.leap_month)
    if r.notes:
        new["notes"] = r.notes
    if r.join_date:
        new["join_date"] = r.join_date
    if r.tier_id is not None:
        new["tier_id"] = r.tier_id
    if r.care is not None and bool(r.care) != bool(old["consent_care"]):
        new.update(consent_care=r.care, consent_care_at=now, consent_care_source="import")
    if r.marketing is not None and bool(r.marketing) != bool(old["consent_marketing"]):
        new.update(consent_marketing=r.marketing, consent_marketing_at=now, consent_marketing_source="import")
    return new


def _update_members(t: Ctx, good, matched, changes, new_values, existing, now) -> None:
    rows = []
    tags: list[dict] = []
    for r in good:
        mid = matched.get(r.row_no)
        if mid is None or not changes[r.row_no].fields:
            continue
        tags += [{"member_id": mid, "tag": tag} for tag in _added_tags(r, existing[mid])]
        new = new_values[r.row_no]
        rows.append({"b_id": mid, **{f"b_{c}": v for c, v in new.items()},
                     "b_name_key": members.name_key(new["name"]), "b_phone_last4": phones.last4(new["phone"]),
                     "b_updated_at": now})
    if rows:
        m = Member.__table__
        cols = (*_KEEP, "name_key", "phone_last4", "updated_at")
        t.s.connection().execute(update(m).where(m.c.id == bindparam("b_id"))
                                 .values({c: bindparam(f"b_{c}") for c in cols}), rows)
    if tags:
        t.s.connection().execute(insert(MemberTag.__table__), tags)


def _preview(r: _MemberRow, matched, existing, changes, look: _Lookups, cfg: ShopSettings,
             today: date) -> MemberPreview:
    mid = matched.get(r.row_no)
    tier = look.tier_names.get(r.tier_id, "") if r.tier_id else (
        look.tier_names.get(existing[mid]["tier_id"], "") if mid else "")
    cards = ()
    if r.card_product:
        cards = (CardPreview(r.card_product[3], r.uses_left, _card_expiry(r, look, today)),)
    expiry = r.points_expiry or (points_expiry(cfg, today) if r.points else None)
    return MemberPreview(
        row_no=r.row_no, action="update" if mid else "new", name=r.name, phone=r.phone,
        phone_shown=phone_shown(r.phone, cfg.region), card=r.card or "", tier=tier,
        birthday=str(r.birthday) if r.birthday else "", gender=r.gender or "", balance=r.balance, bonus=r.bonus,
        points=r.points, points_expiry=expiry if r.points else None, count_cards=cards, tags=r.tags,
        consent_care=r.care, consent_marketing=r.marketing, join_date=r.join_date,
        changes=changes[r.row_no].fields if mid else ())


def _card_expiry(r: _MemberRow, look: _Lookups, today: date) -> date | None:
    if r.card_expiry is not None:
        return r.card_expiry
    days = look.valid_days.get(r.card_product[0]) if r.card_product else None
    if days:
        return today + timedelta(days=days)
    return None


def _write_members(t: Ctx, new_rows: list[_MemberRow], batch: int, cfg: ShopSettings, ticker: Ticker) -> dict[str, int]:
    """The new members and their tags, in chunks of executemany: what ``members._insert`` writes
    row by row. Returns phone -> member id."""
    if not new_rows:
        return {}
    now = t.now()
    base = tiers.base_tier(t)
    conn = t.s.connection()
    m = Member.__table__
    cols = ("import_batch_id", "name", "name_key", "phone", "phone_last4", "card_no", "gender", "birthday_month",
            "birthday_day", "birth_year", "birthday_calendar", "birthday_leap_month", "tier_id", "join_date", "notes",
            "created_at", "updated_at", "ebill_enabled", "wallet_principal", "wallet_bonus", "points_balance",
            "total_spent", "visits", "consent_care", "consent_care_at", "consent_care_source", "consent_marketing",
            "consent_marketing_at", "consent_marketing_source")
    numbered = Bulk(t, m, cols).next_ids(len(new_rows))
    if numbered is not None:
        cols = ("id", *cols)
    bulk = Bulk(t, m, cols)
    at = bulk.dt(now)
    day = bulk.day
    base_id = base.id if base else None
    ebill = cfg.ebill_default
    for i in range(0, len(new_rows), WRITE_CHUNK):
        rows = []
        for r in new_rows[i:i + WRITE_CHUNK]:
            b = r.birthday
            care, marketing = bool(r.care), bool(r.marketing)
            rows.append((
                *((numbered[len(rows) + i],) if numbered is not None else ()), batch, r.name, members.name_key(r.name), r.phone, phones.last4(r.phone), r.card, r.gender,
                b.month if b else None, b.day if b else None, b.year if b else None, b.calendar if b else "solar",
                b.leap_month if b else False, r.tier_id if r.tier_id is not None else base_id,
                day(r.join_date or now.date()), r.notes or "", at, at, ebill, r.balance, r.bonus, r.points, 0, 0,
                care, at if care else None, "import" if care else None,
                marketing, at if marketing else None, "import" if marketing else None))
        bulk(rows)
        ticker.tick(len(rows))
    # phone -> id: a good row's phone is its own (a phone twice in a file is a bad row); numbered as
    # written on SQLite, else looked up for these rows only (a big file is written a chunk at a time)
    ids = (dict(zip((r.phone for r in new_rows), numbered)) if numbered is not None
           else dict(existing_values(t, m.c.phone, m.c.id, [r.phone for r in new_rows])))
    tags: list[dict] = []
    for r in new_rows:
        for tag in members.clean_tags(r.tags) if r.tags else ():
            tags.append({"member_id": ids[r.phone], "tag": tag})
        if len(tags) >= WRITE_CHUNK * 4:
            conn.execute(insert(MemberTag.__table__), tags)
            tags.clear()
    if tags:
        conn.execute(insert(MemberTag.__table__), tags)
    return ids


def _write_openings(t: Ctx, good: list[_MemberRow], ids: dict[int, int], updated: set[int], batch: int, file: str,
                    cfg: ShopSettings, look: _Lookups, ticker: Ticker) -> tuple[int, int]:
    """Opening stored value, points and count cards, each table in chunks of executemany, through
    the ledger's own conditional balance updates. Returns (opening stored value, opening points)."""
    now = t.now()
    staff = t.actor.id
    conn = t.s.connection()
    # A member this import creates was written with its opening balances (members start at their
    # ledger's sum); a member it updates gets them through the ledger's conditional update.
    wallet = [r for r in good if r.balance or r.bonus]
    wallet_in = Bulk(t, WalletEntry.__table__, ("import_batch_id", "member_id", "kind", "principal", "bonus",
                                                "staff_id", "created_at", "note"))
    at = wallet_in.dt(now)
    for i in range(0, len(wallet), WRITE_CHUNK):
        part = wallet[i:i + WRITE_CHUNK]
        moved = [{"b_id": ids[r.phone], "b_p": r.balance, "b_b": r.bonus} for r in part if r.row_no in updated]
        if moved:
            conn.execute(ledger._MOVE_WALLET, moved)
        wallet_in([(batch, ids[r.phone], "opening", r.balance, r.bonus, staff, at,
                    f"opening balance imported from {file} row {r.row_no}") for r in part])
    points = [r for r in good if r.points]
    policy = points_expiry(cfg, now.date())
    points_in = Bulk(t, PointsEntry.__table__, ("import_batch_id", "member_id", "kind", "points", "expires_on",
                                                "staff_id", "created_at", "note"))
    for i in range(0, len(points), WRITE_CHUNK):
        part = points[i:i + WRITE_CHUNK]
        moved = [{"b_id": ids[r.phone], "b_n": r.points} for r in part if r.row_no in updated]
        if moved:
            conn.execute(ledger._MOVE_POINTS, moved)
        points_in([(batch, ids[r.phone], "opening", r.points, points_in.day(r.points_expiry or policy), staff, at,
                    f"opening balance imported from {file} row {r.row_no}") for r in part])
    cards = [r for r in good if r.card_product]
    if cards:
        c = CountCard.__table__
        for i in range(0, len(cards), WRITE_CHUNK):
            conn.execute(insert(c), [
                {"import_batch_id": batch, "member_id": ids[r.phone], "product_id": r.card_product[0],
                 "service_id": r.card_product[1], "sale_id": None,
                 "uses_total": r.card_product[2] if r.card_product[2] is not None else r.uses_left,
                 "uses_left": 0, "price_paid": 0, "expires_on": _card_expiry(r, look, now.date()), "created_at": now}
                for r in cards[i:i + WRITE_CHUNK]])
        card_ids: dict[int, int] = {}
        holders = sorted({ids[r.phone] for r in cards})
        for i in range(0, len(holders), WRITE_CHUNK):
            card_ids.update(conn.execute(select(c.c.member_id, c.c.id).where(
                c.c.import_batch_id == batch, c.c.member_id.in_(holders[i:i + WRITE_CHUNK]))).all())
        for i in range(0, len(cards), WRITE_CHUNK):
            part = cards[i:i + WRITE_CHUNK]
            conn.execute(ledger._MOVE_USES, [{"b_id": card_ids[ids[r.phone]], "b_n": r.uses_left} for r in part])
            conn.execute(insert(CountCardEntry.__table__), [
                {"import_batch_id": batch, "card_id": card_ids[ids[r.phone]], "kind": "opening", "uses": r.uses_left,
                 "sale_id": None, "staff_id": staff, "created_at": now,
                 "note": f"opening count card imported from {file} row {r.row_no}"} for r in part])
    return sum(r.balance + r.bonus for r in wallet), sum(r.points for r in points)
