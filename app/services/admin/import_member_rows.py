"""Reading and checking one member row of an import file (cell by cell, with the members service's rules) against the tiers and services, and the repeats of a phone or card in the file or the database."""
from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import select

from app import i18n
from app.errors import ShopError, ValidationError
from app.models import Member, Product
from app.money import MAX_BALANCE, MAX_CARD_USES, MAX_POINTS_BALANCE
from app.services.admin.import_cells import (
    cell_amount,
    cell_any_date,
    cell_birthday,
    cell_calendar,
    cell_date,
    cell_shown,
    cell_text,
    cell_whole,
    cell_yes_no,
)
from app.services.admin.import_columns import CARD_MAX, TAG_SPLIT
from app.services.admin.import_common import existing_values
from app.services.base import phones
from app.services.base.context import Ctx
from app.services.base.settings import ShopSettings
from app.services.base.tabular import Row
from app.services.members import members, tiers


class _MemberRow(NamedTuple):
    """One checked row (a tuple: cheap to build, and to pickle into the import's spill)."""
    row_no: int
    name: str
    phone: str
    card: str | None
    gender: str | None
    birthday: members.Birthday | None
    care: bool | None          # None: blank (nothing recorded, nothing changed)
    marketing: bool | None
    balance: int
    bonus: int
    points: int
    points_expiry: date | None
    tags: tuple[str, ...]
    join_date: date | None
    notes: str
    tier_id: int | None
    card_product: tuple[int, int, int | None, str] | None   # (product id, service id, package uses, name)
    uses_left: int
    card_expiry: date | None


class _Lookups:
    """What a row is checked against that the file does not hold: the tiers and the services."""

    def __init__(self, t: Ctx) -> None:
        ladder = tiers.all_tiers(t)
        self.tier_names = {tier.id: i18n.pick(None, tier.name_en, tier.name_zh, context="tier") or tier.code
                           for tier in ladder}
        self.tiers: dict[str, int] = {}
        for tier in ladder:
            names = {tier.code, tier.name_en, tier.name_zh}
            names |= {i18n.pick(lang, tier.name_en, tier.name_zh, context="tier") for lang in i18n.LANGUAGES}
            for n in names:
                if n:
                    self.tiers.setdefault(n.strip().casefold(), tier.id)
        self.tier_list = ", ".join(self.tier_names.values()) or "-"
        self.products: dict[str, tuple[int, int, int | None, str]] = {}
        p = Product.__table__
        rows = t.s.execute(select(p.c.id, p.c.sku, p.c.name, p.c.kind, p.c.card_uses, p.c.card_service_id)
                           .where(p.c.kind.in_(("service", "count_card"))).order_by(p.c.id)).all()
        for pid, sku, name, kind, uses, service in rows:
            if kind == "count_card":
                if service is None or not uses:
                    continue
                entry = (pid, service, uses, name)
            else:
                entry = (pid, pid, None, name)
            self.products.setdefault(sku.casefold(), entry)
        for pid, sku, name, kind, uses, service in rows:   # a SKU wins over a name
            entry = self.products.get(sku.casefold())
            if entry is not None and entry[0] == pid:
                self.products.setdefault(name.strip().casefold(), entry)
        self.valid_days = {pid: days for pid, days in t.s.execute(
            select(p.c.id, p.c.card_valid_days).where(p.c.kind == "count_card"))}


class _Memo:
    """Cells that repeat across a file (birthdays, dates, yes/no) read once: value or the error."""

    def __init__(self) -> None:
        self.known: dict[tuple, object] = {}

    def __call__(self, fn, *args):
        key = (fn, *args)
        got = self.known.get(key, _MISSING)
        if got is _MISSING:
            try:
                got = fn(*args)
            except ShopError as err:
                got = err
            if len(self.known) < 200_000:
                self.known[key] = got
        if isinstance(got, ShopError):
            raise got
        return got


_MISSING = object()


def _parse_member(row: Row, headers, cfg: ShopSettings, today: date, look: _Lookups, phone_of,
                  consent_covers_marketing: bool, memo: _Memo):
    """One row, checked cell by cell with the members service's own rules: (record or None, every
    problem, phone or None, card or None). Blank cells are not read at all."""
    errs: list[ShopError] = []
    values = row.values

    def text(col: str) -> str:
        v = values.get(col, "")
        return v if type(v) is str else cell_text(v)

    def read(fn, *args, default=None):
        try:
            return fn(*args)
        except ShopError as err:
            errs.append(err)
            return default

    if row.extra:
        errs.append(ValidationError("import_extra_cells", value=cell_shown(row.extra)))
    name = read(members.clean_name, text("name"))
    phone = read(phone_of, text("phone"))
    card = None
    raw = text("card")
    if raw:
        card = read(members.clean_card, raw)
        if card and len(card) > CARD_MAX:
            errs.append(ValidationError("import_too_long", field=headers["card"], value=cell_shown(card),
                                        max=CARD_MAX))
            card = None
    raw = text("gender")
    gender = read(memo, members.clean_gender, raw) if raw else None
    birthday = None
    raw = values.get("birthday", "")
    if raw:
        raw_cal = text("birthday_calendar")
        calendar = read(memo, cell_calendar, raw_cal, headers.get("birthday_calendar", "")) if raw_cal else "solar"
        birthday = read(memo, cell_birthday, raw, calendar or "solar")
    elif text("birthday_calendar"):
        read(memo, cell_calendar, text("birthday_calendar"), headers["birthday_calendar"])
    raw = text("consent")
    care = read(memo, cell_yes_no, raw, headers["consent"]) if raw else None
    raw = text("marketing_consent")
    marketing = read(memo, cell_yes_no, raw, headers["marketing_consent"]) if raw else None
    if marketing is None and consent_covers_marketing:
        marketing = care
    raw = text("balance")
    balance = read(cell_amount, raw, cfg, headers["balance"], default=0) if raw else 0
    raw = text("bonus")
    bonus = read(cell_amount, raw, cfg, headers["bonus"], default=0) if raw else 0
    raw = text("points")
    points = read(cell_whole, raw, headers["points"], default=0) if raw else 0
    for col, value, most in (("balance", balance, MAX_BALANCE), ("bonus", bonus, MAX_BALANCE),
                             ("points", points, MAX_POINTS_BALANCE)):
        if value > most:
            errs.append(ValidationError("amount_absurd", field=headers[col], value=cell_shown(text(col))))
    raw = values.get("points_expiry", "")
    expiry = read(memo, cell_any_date, raw, headers["points_expiry"]) if raw else None
    raw = text("tags")
    tags = tuple(read(members.clean_tags, TAG_SPLIT.split(raw)) or ()) if raw else ()
    raw = values.get("join_date", "")
    join_date = read(memo, cell_date, raw, headers["join_date"], today) if raw else None
    raw = text("notes")
    notes = read(members.clean_notes, raw, default="") if raw else ""
    tier_id = None
    raw = text("tier")
    if raw:
        tier_id = look.tiers.get(raw.casefold())
        if tier_id is None:
            errs.append(ValidationError("import_tier_unknown", field=headers["tier"], value=cell_shown(raw),
                                        tiers=look.tier_list))
    card_text = text("count_card")
    uses_text = text("uses_left")
    uses = read(cell_whole, uses_text, headers["uses_left"], default=0) if uses_text else 0
    raw = values.get("count_card_expiry", "")
    card_expiry = read(memo, cell_any_date, raw, headers["count_card_expiry"]) if raw else None
    card_product = None
    if card_text:
        card_product = look.products.get(card_text.casefold())
        if card_product is None:
            errs.append(ValidationError("import_service_unknown", field=headers["count_card"],
                                        value=cell_shown(card_text)))
        if not uses:
            if not uses_text or uses == 0:
                errs.append(ValidationError("import_uses_missing", field=headers.get("uses_left", "uses_left")))
        elif card_product is not None and card_product[2] is not None and uses > card_product[2]:
            errs.append(ValidationError("import_uses_over", field=headers["uses_left"], uses=uses,
                                        name=card_product[3], total=card_product[2]))
    elif uses:
        errs.append(ValidationError("import_uses_no_card", field=headers["uses_left"]))
    if uses > MAX_CARD_USES:
        errs.append(ValidationError("amount_absurd", field=headers["uses_left"], value=cell_shown(uses_text)))
    if errs:
        return None, errs, phone, card
    return (_MemberRow(row.row_no, name, phone, card, gender, birthday, care, marketing, balance, bonus, points,
                       expiry, tags, join_date, notes, tier_id, card_product, uses, card_expiry), errs, phone, card)


def _member_duplicates(t: Ctx, keys, bad: dict[int, list[ShopError]], update: bool,
                       look: _Lookups) -> dict[int, int]:
    """Add to ``bad`` the rows whose phone or card repeats an earlier row, or belongs to an existing
    member (unless ``update``: then returns row number -> the member it updates)."""
    m = Member.__table__
    existing_phone = {p: (mid, n) for p, mid, n in existing_values(
        t, m.c.phone, (m.c.id, m.c.name), [p for _, p, _ in keys() if p])}
    existing_card = {c: (mid, n) for c, mid, n in existing_values(
        t, m.c.card_no, (m.c.id, m.c.name), [c for _, _, c in keys() if c])}
    first_phone: dict[str, int] = {}
    first_card: dict[str, int] = {}
    matched: dict[int, int] = {}
    updated_by: dict[int, int] = {}    # member id -> the row that updates it
    for row_no, phone, card in keys():
        errs: list[ShopError] = []
        by_phone = existing_phone.get(phone) if phone else None
        by_card = existing_card.get(card) if card else None
        if phone and phone in first_phone:
            errs.append(ValidationError("import_phone_repeated", phone=phones.mask(phone), row=first_phone[phone]))
        elif by_phone and not update:
            errs.append(ValidationError("phone_duplicate", phone=phones.mask(phone), name=by_phone[1]))
        if card and card in first_card:
            errs.append(ValidationError("import_card_repeated", card=card, row=first_card[card]))
        elif by_card and not update:
            if not (by_phone and by_phone[0] == by_card[0]):   # one problem said once: the phone's
                errs.append(ValidationError("card_duplicate", card=card, name=by_card[1]))
        elif update and by_phone and by_card and by_phone[0] != by_card[0]:
            errs.append(ValidationError("import_member_two", phone=phones.mask(phone), name=by_phone[1], card=card,
                                        other=by_card[1]))
        if phone:
            first_phone.setdefault(phone, row_no)
        if card:
            first_card.setdefault(card, row_no)
        target = (by_phone or by_card) if update else None
        if not errs and target is not None:
            if target[0] in updated_by:
                errs.append(ValidationError("import_same_member", row=updated_by[target[0]], name=target[1]))
            else:
                updated_by[target[0]] = row_no
        if errs:
            bad.setdefault(row_no, []).extend(errs)
        elif target is not None:
            matched[row_no] = target[0]
    return matched
