"""The import wizard's small parts: the names of ShopCare's fields as the owner reads them, and how
a preview row or a bad row turns into table cells (duck-typed: the importers' preview rows are
frozen dataclasses of display-ready fields; bad rows are RejectedRow or products' RowError)."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

CONTEXT = "ImportFields"

# canonical column -> its name on screen (a column another change adds shows its own name)
FIELD_NAMES: dict[str, str] = {
    "name": QT_TRANSLATE_NOOP("ImportFields", "Name"),
    "phone": QT_TRANSLATE_NOOP("ImportFields", "Phone"),
    "birthday": QT_TRANSLATE_NOOP("ImportFields", "Birthday"),
    "birthday_calendar": QT_TRANSLATE_NOOP("ImportFields", "Birthday calendar (solar/lunar)"),
    "gender": QT_TRANSLATE_NOOP("ImportFields", "Gender"),
    "notes": QT_TRANSLATE_NOOP("ImportFields", "Notes"),
    "consent": QT_TRANSLATE_NOOP("ImportFields", "Texts consent"),
    "marketing_consent": QT_TRANSLATE_NOOP("ImportFields", "Marketing texts consent"),
    "card": QT_TRANSLATE_NOOP("ImportFields", "Card number"),
    "tier": QT_TRANSLATE_NOOP("ImportFields", "Tier"),
    "balance": QT_TRANSLATE_NOOP("ImportFields", "Stored value (paid)"),
    "bonus": QT_TRANSLATE_NOOP("ImportFields", "Stored value (bonus)"),
    "points": QT_TRANSLATE_NOOP("ImportFields", "Points"),
    "points_expiry": QT_TRANSLATE_NOOP("ImportFields", "Points expiry"),
    "count_card": QT_TRANSLATE_NOOP("ImportFields", "Count card (service)"),
    "uses_left": QT_TRANSLATE_NOOP("ImportFields", "Count card uses left"),
    "count_card_expiry": QT_TRANSLATE_NOOP("ImportFields", "Count card expiry"),
    "tags": QT_TRANSLATE_NOOP("ImportFields", "Tags"),
    "join_date": QT_TRANSLATE_NOOP("ImportFields", "Joined on"),
    "datetime": QT_TRANSLATE_NOOP("ImportFields", "Date and time"),
    "amount": QT_TRANSLATE_NOOP("ImportFields", "Amount"),
    "sku": QT_TRANSLATE_NOOP("ImportFields", "SKU"),
    "qty": QT_TRANSLATE_NOOP("ImportFields", "Quantity"),
    "receipt": QT_TRANSLATE_NOOP("ImportFields", "Receipt number"),
    "barcode": QT_TRANSLATE_NOOP("ImportFields", "Barcode"),
    "price": QT_TRANSLATE_NOOP("ImportFields", "Price"),
    "member_price": QT_TRANSLATE_NOOP("ImportFields", "Member price (every tier)"),
    "category": QT_TRANSLATE_NOOP("ImportFields", "Category"),
    "cost": QT_TRANSLATE_NOOP("ImportFields", "Cost price"),
    "stock": QT_TRANSLATE_NOOP("ImportFields", "Opening stock"),
    "unit": QT_TRANSLATE_NOOP("ImportFields", "Unit"),
    "reorder_level": QT_TRANSLATE_NOOP("ImportFields", "Reorder level"),
    "points_price": QT_TRANSLATE_NOOP("ImportFields", "Points price"),
    # the importers' preview rows (MemberPreview, SalePreview)
    "action": QT_TRANSLATE_NOOP("ImportFields", "New or update"),
    "phone_shown": QT_TRANSLATE_NOOP("ImportFields", "Phone"),
    "consent_care": QT_TRANSLATE_NOOP("ImportFields", "Care texts"),
    "consent_marketing": QT_TRANSLATE_NOOP("ImportFields", "Marketing texts"),
    "count_cards": QT_TRANSLATE_NOOP("ImportFields", "Count cards"),
    "when": QT_TRANSLATE_NOOP("ImportFields", "Date and time"),
    "lines": QT_TRANSLATE_NOOP("ImportFields", "Lines"),
    "new_member": QT_TRANSLATE_NOOP("ImportFields", "New member"),
    "already": QT_TRANSLATE_NOOP("ImportFields", "Imported before"),
    "changes": QT_TRANSLATE_NOOP("ImportFields", "Changes"),
}

ACTIONS = {"new": QT_TRANSLATE_NOOP("ImportFields", "new"), "update": QT_TRANSLATE_NOOP("ImportFields", "update")}

# preview fields not shown as a column: the row number (the row's label), the number in E.164
# when the shop's own writing of it is there too, ids
HIDDEN = {"row_no", "member_id", "sale_id", "product_id"}

KIND_NAMES: dict[str, str] = {
    "members": QT_TRANSLATE_NOOP("ImportFields", "Members (with balances, points, count cards)"),
    "sales": QT_TRANSLATE_NOOP("ImportFields", "Purchase history"),
    "products": QT_TRANSLATE_NOOP("ImportFields", "Products (price list)"),
}


# what an import batch counted (import_batches counts' keys) -> its name on screen
COUNT_NAMES: dict[str, str] = {
    "members": QT_TRANSLATE_NOOP("ImportFields", "members"),
    "members_created": QT_TRANSLATE_NOOP("ImportFields", "members added"),
    "members_updated": QT_TRANSLATE_NOOP("ImportFields", "members updated"),
    "imported": QT_TRANSLATE_NOOP("ImportFields", "imported"),
    "sales": QT_TRANSLATE_NOOP("ImportFields", "sales"),
    "skipped": QT_TRANSLATE_NOOP("ImportFields", "skipped"),
    "rejected": QT_TRANSLATE_NOOP("ImportFields", "bad rows"),
    "added": QT_TRANSLATE_NOOP("ImportFields", "added"),
    "updated": QT_TRANSLATE_NOOP("ImportFields", "updated"),
    "unchanged": QT_TRANSLATE_NOOP("ImportFields", "unchanged"),
    "products": QT_TRANSLATE_NOOP("ImportFields", "products"),
}


def count_name(key: str) -> str:
    name = COUNT_NAMES.get(key)
    return tr(name) if name else key


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


class Step:
    """A step of the wizard (a mixin of ImportWizard, one module per page): its texts are written
    ``FileStep.tr("…")``, so pyside6-lupdate and the running app both file them under the step's own Qt
    context (a mixin is no QObject: ``self.tr`` would ask ImportWizard's)."""

    @classmethod
    def tr(cls, text: str, disambiguation: str | None = None, n: int = -1) -> str:
        return QCoreApplication.translate(cls.__name__, text, disambiguation, n)


def field_name(canonical: str) -> str:
    if canonical.startswith("barcode#"):
        return QCoreApplication.translate("ImportFields", "Barcode {n}").format(n=canonical.split("#", 1)[1])
    if canonical.startswith("tier:"):
        return QCoreApplication.translate("ImportFields", "Member price ({tier})").format(
            tier=canonical.split(":", 1)[1])
    name = FIELD_NAMES.get(canonical)
    return tr(name) if name else canonical


# --- preview rows --------------------------------------------------------------------------------
def preview_rows(result) -> list:
    """The first rows as they will be stored, from a preview's result (whatever the importer calls them)."""
    for name in ("preview", "rows", "preview_rows", "sample", "first_rows"):
        rows = getattr(result, name, None)
        if rows and not isinstance(rows, (str, bytes)):
            return list(rows)
    return []


def row_cells(row, state) -> list[tuple[str, str]]:
    """(field, text) pairs of one preview row: a dataclass's fields, a mapping's items, else the
    tuple's values."""
    if dataclasses.is_dataclass(row):
        pairs = [(f.name, getattr(row, f.name)) for f in dataclasses.fields(row)]
    elif isinstance(row, dict):
        pairs = list(row.items())
    else:
        pairs = [(str(i + 1), v) for i, v in enumerate(row)]
    names = {n for n, _v in pairs}
    pairs = [(n, v) for n, v in pairs if n not in HIDDEN and not (n == "phone" and "phone_shown" in names)]
    return [(name, shown(name, value, state)) for name, value in pairs]


def row_number(row) -> int | None:
    return getattr(row, "row_no", None)


def change_text(change) -> str:
    """One field an update changes (FieldChange: field, before, after)."""
    return QCoreApplication.translate("ImportFields", "{field}: {before} → {after}").format(
        field=field_name(change.field), before=change.before or "—", after=change.after or "—")


def change_notes(changes) -> list[tuple[str, str]]:
    """(row, note) per change an import made or will make: members' (MemberChange: a member and
    its changed fields) and products' (Change: row, sku, field, before, after)."""
    out = []
    for c in changes or ():
        if hasattr(c, "fields"):
            out.append((str(c.row_no), f"{c.name} " + "; ".join(change_text(f) for f in c.fields)))
        else:
            row, record, name, before, after = tuple(c)[:5]
            out.append((str(row), QCoreApplication.translate("ImportFields", "{record} {field}: {before} → {after}").format(
                record=record, field=name, before=before, after=after)))
    return out


_MONEY = {"balance", "bonus", "amount", "price", "cost", "member_price", "total"}


def shown(name: str, value, state) -> str:
    if value is None:
        return ""
    if name == "action" and value in ACTIONS:
        return tr(ACTIONS[value])
    if name == "changes":
        return "; ".join(change_text(c) for c in value)
    if hasattr(value, "uses_left") and hasattr(value, "service"):     # an opening count card
        until = getattr(value, "expires_on", None)
        text = f"{value.service} ×{value.uses_left}"
        return text + (f" ({state.date(until)})" if until else "")
    if isinstance(value, bool):
        return "✓" if value else ""
    if isinstance(value, datetime):
        return state.datetime(value)
    if isinstance(value, date):
        return state.date(value)
    if isinstance(value, int) and (name in _MONEY or name.endswith(("_minor", "_amount"))):
        return state.money(value)
    if isinstance(value, int):
        return state.number(value)
    if isinstance(value, (tuple, list, set, frozenset)):
        return ", ".join(shown(name, v, state) for v in value)
    if dataclasses.is_dataclass(value):
        return ", ".join(t for _n, t in row_cells(value, state) if t)
    return str(value)


# --- bad rows --------------------------------------------------------------------------------------
def bad_rows(result_or_error) -> list:
    """Every bad row of a preview result (``rejected`` or ``errors``) or of an import refused for
    its rows (``ImportFailed('import_rows', rows=...)``)."""
    params = getattr(result_or_error, "params", None)
    if isinstance(params, dict):
        return list(params.get("rows") or ())
    for name in ("rejected", "errors", "bad"):
        rows = getattr(result_or_error, name, None)
        if rows:
            return list(rows)
    return []


def bad_row_reasons(rows, state) -> list[tuple[int, list[str]]]:
    """(row number, every reason) per bad row, rows in file order; an importer that lists one error
    per problem (products) or one row with several errors (``errors`` tuple) both read as one line."""
    found: dict[int, list[str]] = {}
    for r in rows:
        if isinstance(r, (tuple, list)):
            no, reasons = int(r[0]), [str(r[1])]
        else:
            no = int(getattr(r, "row_no", None) or getattr(r, "row", 0))
            errors = getattr(r, "errors", None)
            if errors:
                reasons = [state.error_text(e) if isinstance(e, BaseException) else str(e) for e in errors]
            else:
                err = getattr(r, "error", None)
                reasons = [state.error_text(err) if err is not None else str(getattr(r, "message", r))]
            column = getattr(r, "column", "")
            if column and len(reasons) == 1 and column not in reasons[0]:
                reasons = [f"{column}: {reasons[0]}"]
        found.setdefault(no, [])
        for reason in reasons:
            if reason not in found[no]:
                found[no].append(reason)
    return sorted(found.items())
