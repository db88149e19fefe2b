"""The demo's people: who its members are (persona, taste, habits, birthday, phone) and the small
random helpers that draw them, for app/services/admin/demo.py."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, time

from app.services.admin.demo_data import (COMPOUND_SURNAMES, EXTRA_TAGS, GIVEN_ANY, GIVEN_F, GIVEN_M, NOTES, SURNAMES,
                                          TAGS)
from app.services.base import phones
from app.services.members.members import MemberInput

@dataclass
class DemoMember:
    """What the demo remembers about one of its members between days (mirrors their balances)."""
    persona: str            # regular, occasional, lapsed, onetime, newcomer
    taste: str              # coffee, tea, connoisseur, salon
    join_day: int
    stop_day: int           # last day they may visit (inclusive)
    weekdays: frozenset[int]
    rate: float             # chance to come on a likely day
    saver: bool             # keeps stored value
    data: MemberInput
    id: int | None = None
    tier_bp: int = 0        # the tier's discount, basis points
    visits: int = 0
    wallet: int = 0
    points: int = 0
    vouchers: list[tuple[str, int, int, date]] = field(default_factory=list)  # code, value, min spend, expires
    card: tuple[int, int, date | None] | None = None  # count card id, uses left, expires on


# --- building blocks ------------------------------------------------------------------------------
def ean13(body12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def weighted(rng: random.Random, pairs):
    items = [p[0] for p in pairs]
    weights = [p[1] for p in pairs]
    return rng.choices(items, weights=weights, k=1)[0]


def _name(rng: random.Random, gender: str | None) -> str:
    surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.02 else rng.choice(SURNAMES)
    pool = GIVEN_F if gender == "F" else GIVEN_M if gender == "M" else GIVEN_ANY + GIVEN_F + GIVEN_M
    given = rng.choice(pool) if rng.random() < 0.3 else rng.choice(pool) + rng.choice(pool)
    return surname + given


_PREFIXES = [str(p) for p in (*range(130, 140), 150, 151, 152, 153, 155, 156, 157, 158, 159, *range(180, 190))]


def _phone(rng: random.Random, taken: set[str]) -> str:
    while True:
        raw = rng.choice(_PREFIXES) + f"{rng.randrange(100_000_000):08d}"[-8:]
        e164 = phones.normalize(raw, "CN")
        if e164 not in taken:
            taken.add(e164)
            return raw


def _birthday(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.12:
        return None
    year = rng.randint(1958, 2006)
    if roll < 0.15:  # born on 29 February
        return f"{rng.choice((1968, 1972, 1976, 1980, 1984, 1988, 1992, 1996, 2000, 2004))}-02-29"
    if roll < 0.35:  # the older generation keeps the lunar birthday
        # day 29 at most: every lunar month has it (a day 30 must exist in that very year's month)
        return f"农历{rng.randint(1958, 1985)}-{rng.randint(1, 12):02d}-{rng.randint(1, 29):02d}"
    month = rng.randint(1, 12)
    day = rng.randint(1, 28 if month == 2 else 30 if month in (4, 6, 9, 11) else 31)
    return f"{year}-{month:02d}-{day:02d}" if roll < 0.92 else f"{month:02d}-{day:02d}"


def plan_members(rng: random.Random, n: int, days: int, taken_phones: set[str],
                  taken_cards: set[str]) -> list[DemoMember]:
    lapse_min, lapse_max = (120, min(200, days - 40)) if days >= 180 else (int(days * 0.6), int(days * 0.6))
    plans = []
    for i in range(n):
        roll = rng.random()
        persona = ("regular" if roll < 0.30 else "occasional" if roll < 0.60 else "lapsed" if roll < 0.70
                   else "onetime" if roll < 0.85 else "newcomer")
        taste = weighted(rng, [("coffee", 4), ("tea", 4), ("connoisseur", 1), ("salon", 2)])
        if persona == "lapsed":
            taste = rng.choice(("connoisseur", "connoisseur", "salon", "coffee"))
        if persona in ("regular", "lapsed"):
            join = rng.randrange(max(1, days // 4 if persona == "regular" else days // 6))
        elif persona == "newcomer":
            join = rng.randrange(max(0, days - 60), days)
        else:
            join = rng.randrange(days)
        stop = days - 1
        if persona == "lapsed":
            stop = max(join, days - 1 - rng.randint(lapse_min, max(lapse_min, lapse_max)))
        elif persona == "onetime":
            stop = join
        weekdays = frozenset(rng.sample(range(7), rng.randint(2, 4)))
        rate = {"regular": rng.uniform(0.18, 0.32), "lapsed": rng.uniform(0.3, 0.5),
                "occasional": rng.uniform(0.02, 0.06), "newcomer": rng.uniform(0.08, 0.2), "onetime": 0.0}[persona]
        if taste == "salon" and persona in ("regular", "lapsed"):
            rate *= 0.5  # a haircut is not a daily coffee
        gender = rng.choice(("F", "F", "F", "M", "M", None)) if taste != "salon" else rng.choice(("F", "F", "M"))
        card = None
        if rng.random() < 0.35:
            while card is None or card in taken_cards:
                card = f"88{rng.randrange(1_000_000):06d}"
            taken_cards.add(card)
        bday = _birthday(rng)
        wedding = None
        if rng.random() < 0.25:
            wedding = f"{rng.randint(1985, 2023)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        tags = list(TAGS[taste][: rng.randint(0, len(TAGS[taste]))])
        if rng.random() < 0.3:
            tags.append(rng.choice(EXTRA_TAGS))
        data = MemberInput(
            name=_name(rng, gender), phone=_phone(rng, taken_phones), card_no=card, gender=gender,
            birthday=bday, tags=tuple(tags), notes=rng.choice(NOTES),
            consent_care=rng.random() < 0.85, consent_marketing=rng.random() < 0.7, consent_source="counter",
            ebill_enabled=rng.random() < 0.85, wedding=wedding,
        )
        saver = persona in ("regular", "lapsed") and rng.random() < 0.7 or persona == "occasional" and rng.random() < 0.15
        plans.append(DemoMember(persona, taste, join, stop, weekdays, rate, saver, data))
    return plans


def visit_times(rng: random.Random, k: int) -> list[time]:
    """``k`` moments within opening hours: a breakfast, lunch and after-work rush."""
    hours = [(8, 6), (9, 4), (10, 3), (11, 3), (12, 6), (13, 5), (14, 3), (15, 4), (16, 3), (17, 5), (18, 5),
             (19, 3), (20, 2)]
    out = []
    for _ in range(k):
        out.append(time(weighted(rng, hours), rng.randrange(60), rng.randrange(60)))
    return out
