"""Members: create, edit, and find at the till by phone, last 4 digits, card number or name."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import or_, select


from app.errors import Conflict, Duplicate, NotFound, ValidationError
from app.models import ImportBatch, Member, MemberDate, MemberTag, Tier
from app.services.base import audit, permissions, phones
from app.services.members import tiers
from app.services.base.text_rules import check_line, check_text, column_max, field_name
from app.services.base.context import Ctx
from app.services.base.settings import load as load_settings

NAME_MAX = column_max(Member.name)
CARD_MAX = column_max(Member.card_no)
TAG_MAX = column_max(MemberTag.tag)
SOURCE_MAX = column_max(Member.consent_care_source)
NOTES_MAX = 2000           # members.notes is Text: a bound of our own, a page of notes
YEAR_MIN, YEAR_MAX = 1900, 2100   # dates for people (birthdays, weddings, anniversaries)
PICK_LIMIT = 20


# --- values in and out ------------------------------------------------------------------------
@dataclass(frozen=True)
class Birthday:
    month: int
    day: int
    year: int | None = None
    calendar: str = "solar"   # solar | lunar
    leap_month: bool = False  # lunar only: born in the leap month

    def __str__(self) -> str:
        core = f"{self.month:02d}-{self.day:02d}"
        text = f"{self.year:04d}-{core}" if self.year else core
        if self.calendar == "lunar":
            text = ("lunar " + ("leap " if self.leap_month else "") + text)
        return text


@dataclass(frozen=True)
class MemberInput:
    name: str
    phone: str
    card_no: str | None = None
    gender: str | None = None
    birthday: Birthday | str | None = None
    tier: str | None = None
    join_date: date | None = None
    referrer_id: int | None = None
    notes: str = ""
    tags: tuple[str, ...] = ()
    consent_care: bool = False
    consent_marketing: bool = False
    consent_source: str = "counter"
    ebill_enabled: bool | None = None
    wedding: str | None = None  # "YYYY-MM-DD" or "MM-DD"


@dataclass(frozen=True)
class MemberView:
    id: int
    name: str
    phone: str | None
    masked_phone: str
    card_no: str | None
    gender: str | None
    birthday: Birthday | None
    tier_code: str | None
    tier_name_en: str
    tier_name_zh: str
    wallet_principal: int
    wallet_bonus: int
    points: int
    total_spent: int
    visits: int
    last_visit_at: datetime | None
    join_date: date
    referrer_id: int | None
    notes: str
    tags: tuple[str, ...]
    consent_care: bool
    consent_marketing: bool
    opted_out: bool
    ebill_enabled: bool
    erased: bool
    dates: tuple[tuple[str, str, str], ...] = field(default=())  # (kind, label, date text)

    @property
    def balance(self) -> int:
        return self.wallet_principal + self.wallet_bonus


@dataclass(frozen=True)
class MemberPick:
    """One line of the till's pick list: enough to tell same-name customers apart."""
    id: int
    name: str
    masked_phone: str
    tier_name_en: str
    tier_name_zh: str
    balance: int
    points: int
    last_visit_at: datetime | None


def view(t: Ctx, m: Member) -> MemberView:
    tier = t.s.get(Tier, m.tier_id) if m.tier_id else None
    bday = (Birthday(m.birthday_month, m.birthday_day, m.birth_year, m.birthday_calendar, m.birthday_leap_month)
            if m.birthday_month else None)
    return MemberView(
        id=m.id, name=m.name, phone=m.phone, masked_phone=phones.mask(m.phone), card_no=m.card_no,
        gender=m.gender, birthday=bday, tier_code=tier.code if tier else None,
        tier_name_en=tier.name_en if tier else "", tier_name_zh=tier.name_zh if tier else "",
        wallet_principal=m.wallet_principal, wallet_bonus=m.wallet_bonus, points=m.points_balance,
        total_spent=m.total_spent, visits=m.visits, last_visit_at=m.last_visit_at, join_date=m.join_date,
        referrer_id=m.referrer_id, notes=m.notes, tags=tuple(sorted(x.tag for x in m.tags)),
        consent_care=m.consent_care, consent_marketing=m.consent_marketing,
        opted_out=m.opted_out_at is not None, ebill_enabled=m.ebill_enabled, erased=m.erased_at is not None,
        dates=tuple((d.kind, d.label, _date_text(d.year, d.month, d.day, d.calendar)) for d in m.dates),
    )


def _date_text(year: int | None, month: int, day: int, calendar: str) -> str:
    text = f"{year:04d}-{month:02d}-{day:02d}" if year else f"{month:02d}-{day:02d}"
    return ("lunar " + text) if calendar == "lunar" else text


# --- validation -------------------------------------------------------------------------------
_DATE_RE = re.compile(r"^\s*(?:(\d{4})[-/.年])?\s*(\d{1,2})[-/.月]\s*(\d{1,2})日?\s*$")


def parse_birthday(value: Birthday | str | date | None, calendar: str = "solar",
                   leap_month: bool = False, *, what: str = "birthday") -> Birthday | None:
    """Accept "1990-03-05", "03-05", "1990/3/5", "1990年3月5日", a date, or a Birthday; refuse
    dates that do not exist (30 February; 29 February of a non-leap year; a lunar leap month the
    year does not have). ``what``: "birthday" or "wedding", the date the error names."""
    code = "wedding_invalid" if what == "wedding" else "birthday_invalid"
    if value is None or value == "":
        return None
    if isinstance(value, Birthday):
        bday = value
    elif isinstance(value, datetime):
        bday = Birthday(value.month, value.day, value.year, calendar, leap_month)
    elif isinstance(value, date):
        bday = Birthday(value.month, value.day, value.year, calendar, leap_month)
    else:
        text = str(value).strip()
        lunar = text.lower().startswith(("lunar", "农历", "阴历", "農曆", "陰曆"))
        if lunar:
            calendar = "lunar"
            text = re.sub(r"^(lunar|农历|阴历|農曆|陰曆)\s*", "", text, flags=re.I)
            if text.lower().startswith(("leap", "闰", "閏")):
                leap_month = True
                text = re.sub(r"^(leap|闰|閏)\s*", "", text, flags=re.I)
        match = _DATE_RE.match(text)
        if not match:
            raise ValidationError(code, value=str(value))
        year = int(match.group(1)) if match.group(1) else None
        bday = Birthday(int(match.group(2)), int(match.group(3)), year, calendar, leap_month)
    _check_birthday(bday, str(value), code)
    return bday


def parse_wedding(value: Birthday | str | date | None) -> Birthday | None:
    """A wedding date, with the rules of ``parse_birthday`` (its errors say "Wedding date")."""
    return parse_birthday(value, what="wedding")


def _check_birthday(b: Birthday, shown: str, code: str = "birthday_invalid") -> None:
    bad = ValidationError(code, value=shown)
    if b.calendar not in ("solar", "lunar") or not all(isinstance(x, int) for x in (b.month, b.day)):
        raise bad
    # A birthday is not in the future; any date for people lies within 1900-2100 (a year 0001 or
    # 9999 is a typing slip, and PostgreSQL and the care engine's calendars stop somewhere).
    last = date.today().year if code == "birthday_invalid" else YEAR_MAX
    if b.year is not None and not (isinstance(b.year, int) and YEAR_MIN <= b.year <= last):
        raise bad
    if b.calendar == "lunar":
        if not (1 <= b.month <= 12 and 1 <= b.day <= 30):
            raise bad
        if b.year is not None and not _lunar_exists(b.year, b.month, b.day, b.leap_month):
            raise bad
        # Without a year, a missing day 30 (or leap month) is settled per year by the care engine
        # (day 30 moves to 29, a leap month to the ordinary month of the same number).
        return
    if b.leap_month:
        raise bad
    try:
        date(b.year or 2000, b.month, b.day)  # 2000 is a leap year: 29 February stays possible
    except ValueError:
        raise bad from None


def _lunar_exists(year: int, month: int, day: int, leap: bool) -> bool:
    """Whether lunar ``year`` has that (leap) month and the month has that day (lunar-python)."""
    from lunar_python import LunarMonth, LunarYear  # on use: the till imports this module, rarely a lunar date

    if leap and LunarYear.fromYear(year).getLeapMonth() != month:
        return False
    return day <= LunarMonth.fromYm(year, -month if leap else month).getDayCount()


def clean_name(name: str, field: str = "name") -> str:
    """A person's name: spaces folded; no control, text-direction or broken characters, not only
    invisible ones, and no longer than its column."""
    text = " ".join(check_line(name, field).split())
    if not text:
        raise ValidationError("name_empty")
    check_text(text, field, required=True)   # not only invisible characters
    if len(text) > NAME_MAX:
        raise ValidationError("name_too_long", max=NAME_MAX)
    return text


NAME_KEY_MAX = 64  # members.name_key is String(64)


def name_key(name: str) -> str:
    """The name casefolded without spaces, for prefix search; cut to its column's length, since
    casefolding can lengthen a name of NAME_MAX characters ("ß" is "ss", "ﬃ" is "ffi"). A search
    key goes through here too, so a stored key and a typed one are cut alike."""
    return name.casefold().replace(" ", "")[:NAME_KEY_MAX]


def clean_gender(value: str | None) -> str | None:
    if value is None:
        return None
    text = str(value).strip().upper()
    mapping = {"": None, "M": "M", "MALE": "M", "男": "M", "F": "F", "FEMALE": "F", "女": "F", "U": None}
    if text not in mapping:
        raise ValidationError("gender_invalid", value=value)
    return mapping[text]


def clean_card(card: str | None) -> str | None:
    return check_line(card, "card_no", max_len=CARD_MAX, required=True) or None


def clean_tags(tags) -> list[str]:
    if isinstance(tags, str):
        tags = (tags,)
    seen: list[str] = []
    for tag in tags or ():
        text = check_line(tag, "tag", max_len=TAG_MAX, required=True)
        if text and text not in seen:
            seen.append(text)
    return seen


def clean_notes(notes: str | None) -> str:
    """Notes keep their line breaks and tabs; other control characters are refused."""
    return check_text(notes, "notes", max_len=NOTES_MAX, multiline=True).strip()


def clean_phone(raw: object, region: str) -> str:
    """A phone typed or passed in: text only (a number or None from a caller is a clean refusal)."""
    if raw is None:
        raise ValidationError("phone_empty")
    if not isinstance(raw, str):
        raise ValidationError("text_not_text", field=field_name("phone"))
    check_text(raw, "phone")
    return phones.normalize(raw, region)


def _check_unique(t: Ctx, phone: str | None, card: str | None, exclude_id: int | None = None) -> None:
    if phone:
        other = t.s.execute(select(Member).where(Member.phone == phone)).scalar()
        if other is not None and other.id != exclude_id:
            raise Duplicate("phone_duplicate", phone=phones.mask(phone), name=other.name, member_id=other.id)
    if card:
        other = t.s.execute(select(Member).where(Member.card_no == card)).scalar()
        if other is not None and other.id != exclude_id:
            raise Duplicate("card_duplicate", card=card, name=other.name, member_id=other.id)


# --- commands ---------------------------------------------------------------------------------
def create_member(ctx: Ctx, data: MemberInput) -> MemberView:
    permissions.require(ctx, "edit_member")
    cfg = load_settings(ctx)
    name = clean_name(data.name)
    phone = clean_phone(data.phone, cfg.region)
    card = clean_card(data.card_no)
    gender = clean_gender(data.gender)
    bday = parse_birthday(data.birthday)
    wedding = parse_wedding(data.wedding) if data.wedding else None
    data = replace(data, notes=clean_notes(data.notes), tags=tuple(clean_tags(data.tags)),
                   consent_source=_source(data.consent_source))
    with ctx.tx() as t:
        _check_unique(t, phone, card)
        if data.referrer_id is not None and t.s.get(Member, data.referrer_id) is None:
            raise NotFound("member_not_found", key=data.referrer_id)
        tier = tiers.by_code(t, data.tier) if data.tier else tiers.base_tier(t)
        m = _insert(t, data, name=name, phone=phone, card=card, gender=gender, bday=bday, wedding=wedding,
                    tier=tier, ebill_default=cfg.ebill_default)
        audit.record(t, "member.create", "member", m.id, after={"name": name, "phone": phones.mask(phone)})
        return view(t, m)


def _insert(t: Ctx, data: MemberInput, *, name: str, phone: str, card: str | None, gender: str | None,
            bday: Birthday | None, wedding: Birthday | None, tier: Tier | None, ebill_default: bool) -> Member:
    """Add a member from values already cleaned and checked (no validation, no audit, no uniqueness
    check): shared by create_member and the member/sales imports, which validate a whole file first."""
    now = t.now()
    m = Member(
        name=name, name_key=name_key(name), phone=phone, phone_last4=phones.last4(phone), card_no=card,
        gender=gender, tier_id=tier.id if tier else None, join_date=data.join_date or now.date(),
        referrer_id=data.referrer_id, notes=data.notes or "", created_at=now, updated_at=now,
        ebill_enabled=ebill_default if data.ebill_enabled is None else data.ebill_enabled,
        wallet_principal=0, wallet_bonus=0, points_balance=0, total_spent=0, visits=0,
        birthday_calendar="solar", birthday_leap_month=False, consent_care=False, consent_marketing=False,
    )
    _apply_birthday(m, bday)
    _apply_consent(m, data.consent_care, data.consent_marketing, data.consent_source, now)
    m.tags = [MemberTag(tag=x) for x in clean_tags(data.tags)]
    if wedding:
        m.dates = [MemberDate(kind="wedding", label="", month=wedding.month, day=wedding.day,
                              year=wedding.year, calendar=wedding.calendar)]
    t.s.add(m)
    t.s.flush()
    return m


def _apply_birthday(m: Member, bday: Birthday | None) -> None:
    if bday is None:
        m.birthday_month = m.birthday_day = m.birth_year = None
        m.birthday_calendar, m.birthday_leap_month = "solar", False
    else:
        m.birthday_month, m.birthday_day, m.birth_year = bday.month, bday.day, bday.year
        m.birthday_calendar, m.birthday_leap_month = bday.calendar, bday.leap_month


def _apply_consent(m: Member, care: bool, marketing: bool, source: str, now: datetime) -> None:
    if care and not m.consent_care:
        m.consent_care, m.consent_care_at, m.consent_care_source = True, now, source
    elif not care and m.consent_care:
        m.consent_care, m.consent_care_at, m.consent_care_source = False, now, source
    if marketing and not m.consent_marketing:
        m.consent_marketing, m.consent_marketing_at, m.consent_marketing_source = True, now, source
    elif not marketing and m.consent_marketing:
        m.consent_marketing, m.consent_marketing_at, m.consent_marketing_source = False, now, source


EDITABLE = {"name", "phone", "card_no", "gender", "birthday", "notes", "tags", "consent_care",
            "consent_marketing", "ebill_enabled", "referrer_id", "tier_floor"}


def update_member(ctx: Ctx, member_id: int, *, consent_source: str = "counter", **changes: object) -> MemberView:
    """Change some fields; every value is validated before anything is written."""
    permissions.require(ctx, "edit_member")
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationError("setting_unknown", key=", ".join(sorted(unknown)))
    cfg = load_settings(ctx)
    clean: dict[str, object] = {}
    consent_source = _source(consent_source)
    if "name" in changes:
        clean["name"] = clean_name(changes["name"])  # type: ignore[arg-type]
    if "phone" in changes:
        clean["phone"] = clean_phone(changes["phone"], cfg.region)
    if "card_no" in changes:
        clean["card_no"] = clean_card(changes["card_no"])  # type: ignore[arg-type]
    if "gender" in changes:
        clean["gender"] = clean_gender(changes["gender"])  # type: ignore[arg-type]
    if "birthday" in changes:
        clean["birthday"] = parse_birthday(changes["birthday"])  # type: ignore[arg-type]
    if "notes" in changes:
        clean["notes"] = clean_notes(changes["notes"])  # type: ignore[arg-type]
    if "tags" in changes:
        clean["tags"] = clean_tags(changes["tags"])
    with ctx.tx() as t:
        m = live_row(t, member_id)
        _check_unique(t, clean.get("phone"), clean.get("card_no"), exclude_id=m.id)  # type: ignore[arg-type]
        before = {k: _plain(getattr(m, k, None)) for k in ("name", "phone", "card_no", "notes")}
        if "name" in clean:
            m.name, m.name_key = clean["name"], name_key(clean["name"])  # type: ignore[arg-type]
        if "phone" in clean:
            m.phone, m.phone_last4, m.phone_flag = clean["phone"], phones.last4(clean["phone"]), None  # type: ignore
        if "card_no" in clean:
            m.card_no = clean["card_no"]  # type: ignore[assignment]
        if "gender" in clean:
            m.gender = clean["gender"]  # type: ignore[assignment]
        if "birthday" in clean:
            _apply_birthday(m, clean["birthday"])  # type: ignore[arg-type]
        if "notes" in clean:
            m.notes = clean["notes"]  # type: ignore[assignment]
        if "tags" in clean:
            m.tags = [MemberTag(tag=x) for x in clean["tags"]]  # type: ignore[union-attr]
        if "consent_care" in changes or "consent_marketing" in changes:
            _apply_consent(m, bool(changes.get("consent_care", m.consent_care)),
                           bool(changes.get("consent_marketing", m.consent_marketing)), consent_source, t.now())
            if changes.get("consent_care") or changes.get("consent_marketing"):
                m.opted_out_at = None
        if "ebill_enabled" in changes:
            m.ebill_enabled = bool(changes["ebill_enabled"])
        if "referrer_id" in changes:
            ref = changes["referrer_id"]
            if ref == m.id:
                raise ValidationError("referrer_self")
            if ref is not None and t.s.get(Member, ref) is None:
                raise NotFound("member_not_found", key=ref)
            m.referrer_id = ref  # type: ignore[assignment]
        if "tier_floor" in changes:
            permissions.require(ctx, "adjust_balance")
            floor = tiers.by_code(t, str(changes["tier_floor"])) if changes["tier_floor"] else None
            m.tier_floor_id = floor.id if floor else None
            tiers.reevaluate(t, m, cfg)
        m.updated_at = t.now()
        t.s.flush()
        after = {k: _plain(getattr(m, k, None)) for k in ("name", "phone", "card_no", "notes")}
        audit.record(t, "member.update", "member", m.id, before=before, after=after)
        return view(t, m)


def _plain(value: object) -> object:
    if isinstance(value, str) and value.startswith("+"):
        return phones.mask(value)
    return value


def _source(source: object) -> str:
    return check_text(source, "consent_source", max_len=SOURCE_MAX)


def opt_out(ctx: Ctx, member_id: int, source: str = "reply") -> MemberView:
    """The member asked for no more care or marketing texts. Outbox administration (manager and up):
    it cancels texts the shop may owe (e-bills stay), so not from any till."""
    permissions.require(ctx, "manage_outbox")
    source = _source(source)
    with ctx.tx() as t:
        m = live_row(t, member_id)
        now = t.now()
        m.opted_out_at = now
        _apply_consent(m, False, False, source, now)
        m.updated_at = now
        return view(t, m)


# --- queries ----------------------------------------------------------------------------------
def get_row(t: Ctx, member_id: int) -> Member:
    m = t.s.get(Member, member_id)
    if m is None:
        raise NotFound("member_not_found", key=member_id)
    return m


def live_row(t: Ctx, member_id: int) -> Member:
    """The member's row to change: an erased member is never edited again (their personal data
    would come back piece by piece)."""
    m = get_row(t, member_id)
    if m.erased_at is not None:
        raise Conflict("member_erased", key=member_id)
    return m


def get_member(ctx: Ctx, member_id: int) -> MemberView:
    with ctx.tx(write=False) as t:
        return view(t, get_row(t, member_id))


def landed():
    """Not a member an import is still writing: a member or history import commits in chunks
    (admin/import_chunks.py) and may yet be taken back whole, so the till finds its new members
    only once its batch is done (a handful of batches: the subquery is read once)."""
    writing = select(ImportBatch.id).where(ImportBatch.status == "running").scalar_subquery()
    return or_(Member.import_batch_id.is_(None), Member.import_batch_id.not_in(writing))


def find_by_phone(ctx: Ctx, phone: str) -> MemberView | None:
    cfg = load_settings(ctx)
    e164 = phones.normalize(phone, cfg.region)
    with ctx.tx(write=False) as t:
        m = t.s.execute(select(Member).where(Member.phone == e164, landed())).scalar()
        return view(t, m) if m else None


def find_members(ctx: Ctx, query: str, limit: int = PICK_LIMIT) -> list[MemberPick]:
    """What the till's member box does with what was typed.

    4 digits: the last 4 digits of the phone; more digits: the full phone, else a card number;
    anything else: a card number, or the start of a name (Chinese included).
    """
    text = (query or "").strip()
    if not text:
        raise ValidationError("search_empty")
    digits = re.sub(r"[\s\-()]", "", text)
    with ctx.tx(write=False) as t:
        if digits.isdigit() and len(digits) == 4:
            cond = or_(Member.phone_last4 == digits, Member.card_no == digits)
        elif digits.lstrip("+").isdigit() and len(digits.lstrip("+")) >= 7:
            try:  # settings only here, in this transaction: the other branches need no region
                e164 = phones.normalize(digits, load_settings(t).region)
            except ValidationError:
                e164 = None
            cond = or_(Member.phone == e164, Member.card_no == text) if e164 else (Member.card_no == text)
        else:
            key = name_key(text)
            # A range on the indexed casefolded name is a prefix match on SQLite and PostgreSQL alike.
            cond = or_(Member.card_no == text, (Member.name_key >= key) & (Member.name_key < key + "\U0010ffff"))
        # Pick the ids first: filter and sort run on ix_members_name_pick alone (a common surname
        # matches ~1% of members), then only the picked rows are read and joined to their tier.
        order = (Member.last_visit_at.desc().nulls_last(), Member.id)
        ids = (select(Member.id).where(Member.erased_at.is_(None), cond, landed()).order_by(*order).limit(limit)
               .scalar_subquery())
        # Plain columns, not Member entities: a pick list needs nine values, not 40 mapped attributes.
        rows = t.s.execute(select(Member.id, Member.name, Member.phone, Tier.name_en, Tier.name_zh,
                                  Member.wallet_principal + Member.wallet_bonus, Member.points_balance,
                                  Member.last_visit_at)
                           .outerjoin(Tier, Tier.id == Member.tier_id)
                           .where(Member.id.in_(ids)).order_by(*order)).all()
        return [MemberPick(mid, name, phones.mask(phone), en or "", zh or "", balance, pts, last)
                for mid, name, phone, en, zh, balance, pts, last in rows]
