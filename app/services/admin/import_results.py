"""What an import returns: a refused row with its reasons, the report, and the preview rows and changes the wizard shows; frozen dataclasses, apart from the code that builds them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from app.errors import ShopError, render


@dataclass(frozen=True)
class RejectedRow:
    row_no: int            # as the user sees it in the file (header = row 1)
    reason_code: str       # an app.errors CATALOGUE code: the row's first problem
    error: ShopError = field(compare=False, repr=False)           # the first problem
    errors: tuple[ShopError, ...] = field(default=(), compare=False, repr=False)  # every problem, in column order

    @classmethod
    def of(cls, row_no: int, err: ShopError) -> RejectedRow:
        return cls(row_no, err.code, err, (err,))

    @classmethod
    def many(cls, row_no: int, errs) -> RejectedRow:
        errs = tuple(errs)
        return cls(row_no, errs[0].code, errs[0], errs)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(e.code for e in self.errors or (self.error,))

    def text(self, lang: str) -> str:
        """Why the row was refused, in ``lang``: every problem it has, separated by "; "."""
        return "; ".join(render(e, lang) for e in self.errors or (self.error,))

    @property
    def reason_text_en(self) -> str:
        return self.text("en")

    @property
    def reason_text_zh(self) -> str:
        return self.text("zh_CN")


@dataclass(frozen=True)
class ImportReport:
    imported: int                         # members: rows written; sales: sales written
    skipped: int                          # sales already in the database (re-import); not errors
    rejected: tuple[RejectedRow, ...]     # rows left out, each with its reason (only ever non-empty
                                          # with skip_bad)
    members_created: int = 0              # members created (import_members: == imported)
    members_updated: int = 0              # members: existing members changed (--update)
    count_cards: int = 0                  # members: opening count cards written
    rows: int = 0                         # data rows read
    batch_id: int | None = None           # the import batch (None for a dry run)
    dry_run: bool = False                 # nothing was written
    preview: tuple = ()                   # the first rows as they will be stored (MemberPreview/SalePreview)
    changes: tuple = ()                   # members: what --update changes (MemberChange), every member


@dataclass(frozen=True)
class FieldChange:
    field: str             # the canonical column (name, card, tier, birthday, ...)
    before: str            # as shown ('' when blank)
    after: str


@dataclass(frozen=True)
class MemberChange:
    row_no: int
    member_id: int
    name: str
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class CardPreview:
    service: str           # the service (or package) name
    uses_left: int
    expires_on: date | None


@dataclass(frozen=True)
class MemberPreview:
    """One member row as it will be stored: display-ready values (amounts in minor units)."""
    row_no: int
    action: str            # "new" or "update"
    name: str
    phone: str             # E.164
    phone_shown: str       # the number as the shop writes it (national digits in the shop's region)
    card: str
    tier: str              # the tier's name ('' for the base tier of a new member)
    birthday: str          # "1990-03-05", "lunar 08-15", ''
    gender: str
    balance: int
    bonus: int
    points: int
    points_expiry: date | None
    count_cards: tuple[CardPreview, ...]
    tags: tuple[str, ...]
    consent_care: bool | None        # None: not given (left as it is)
    consent_marketing: bool | None
    join_date: date | None
    changes: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class SalePreview:
    row_no: int            # the sale's first row
    receipt: str
    when: datetime
    phone: str
    phone_shown: str
    amount: int            # minor units: the sale's total
    lines: int
    new_member: bool       # the phone belongs to no member yet: one is created
    already: bool          # imported before: skipped
