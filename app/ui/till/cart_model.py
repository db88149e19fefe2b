"""The till's cart as a Qt table model: the lines the cashier scanned, shown with the prices and
discounts that checkout.price_cart worked out (repriced off the UI thread by the till)."""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QT_TRANSLATE_NOOP, QAbstractTableModel, QCoreApplication, QModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from app.services.sales.checkout import Cart, CartLine, PricedCart, PricedLine

_ROOT = QModelIndex()
COLUMNS = [
    QT_TRANSLATE_NOOP("CartModel", "#"),
    QT_TRANSLATE_NOOP("CartModel", "Item"),
    QT_TRANSLATE_NOOP("CartModel", "Qty"),
    QT_TRANSLATE_NOOP("CartModel", "Unit price"),
    QT_TRANSLATE_NOOP("CartModel", "Discount"),
    QT_TRANSLATE_NOOP("CartModel", "Line total"),
]
NUMERIC = {0, 2, 3, 4, 5}


class CartModel(QAbstractTableModel):
    """Holds the cart (``Cart``: lines, member, manual discount) and the last pricing of it."""

    def __init__(self, state, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.cart = Cart(lines=())
        self.priced: PricedCart | None = None
        self.info: dict[str, tuple[str, int]] = {}  # sku -> (name, list price)

    # --- the cart ---------------------------------------------------------------------------
    def set_cart(self, cart: Cart) -> None:
        self.beginResetModel()
        self.cart = cart  # the last pricing stays until the new one arrives; cells use list prices meanwhile
        self.endResetModel()

    def set_priced(self, priced: PricedCart | None) -> None:
        self.beginResetModel()
        self.priced = priced
        if priced is not None:
            for pl in priced.lines:
                if not pl.price_overridden or pl.sku not in self.info:
                    self.info[pl.sku] = (pl.name, pl.unit_price)
        self.endResetModel()

    def remember(self, sku: str, name: str, price: int) -> None:
        self.info[sku] = (name, price)

    def fresh(self) -> bool:
        """Does the last pricing describe exactly the cart shown?"""
        p = self.priced
        if p is None or p.member_id != self.cart.member_id or len(p.lines) != len(self.cart.lines):
            return False
        return all(pl.sku == cl.sku and pl.qty == cl.qty and (cl.unit_price is None or pl.unit_price == cl.unit_price)
                   and (pl.exchange_points is not None) == cl.exchange
                   and (cl.open_price is None or cl.unit_price is not None or pl.unit_price == cl.open_price)
                   for pl, cl in zip(p.lines, self.cart.lines, strict=True))

    @staticmethod
    def with_added(cart: Cart, sku: str, qty: int) -> tuple[Cart, int]:
        """The cart with ``qty`` more of ``sku`` (the same SKU again adds to its line); and that row."""
        lines = list(cart.lines)
        for i, line in enumerate(lines):
            if line.sku == sku and line.count_card_id is None and not line.exchange and not line.is_open:
                lines[i] = replace(line, qty=line.qty + qty)
                return replace(cart, lines=tuple(lines)), i
        lines.append(CartLine(sku, qty))
        return replace(cart, lines=tuple(lines)), len(lines) - 1

    @staticmethod
    def with_line(cart: Cart, row: int, **changes) -> Cart:
        lines = list(cart.lines)
        lines[row] = replace(lines[row], **changes)
        return replace(cart, lines=tuple(lines))

    @staticmethod
    def without(cart: Cart, row: int) -> Cart:
        lines = list(cart.lines)
        del lines[row]
        return replace(cart, lines=tuple(lines))

    # --- Qt ---------------------------------------------------------------------------------
    def rowCount(self, parent=_ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.cart.lines)

    def columnCount(self, parent=_ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return QCoreApplication.translate("CartModel", COLUMNS[section])
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return int((Qt.AlignmentFlag.AlignRight if section in NUMERIC else Qt.AlignmentFlag.AlignLeft)
                           | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _unit_text(self, pl: PricedLine) -> str:
        """The unit price; "58.00 → 50.00" where a member price applies, the points of an exchange."""
        if pl.exchange_points is not None:
            return QCoreApplication.translate("CartModel", "{points} points").format(
                points=self.state.number(pl.exchange_points))
        if pl.member_price is not None and pl.list_price is not None and pl.list_price != pl.unit_price:
            return f"{self.state.plain(pl.list_price)} → {self.state.plain(pl.unit_price)}"
        return self.state.plain(pl.unit_price)

    def cell(self, row: int, col: int) -> str:
        line = self.cart.lines[row]
        name, price = self.info.get(line.sku, (line.sku, 0))
        if line.is_open:  # every open-price line shares one SKU: its own price and category
            name = line.category or QCoreApplication.translate("CartModel", "Open item")
            price = line.open_price
        pl = self.priced.lines[row] if self.fresh() else None
        if col == 0:
            return str(row + 1)
        if col == 1:
            return pl.name if pl else name
        if col == 2:
            return self.state.number(line.qty)
        if col == 3:
            if pl is not None:
                return self._unit_text(pl)
            return self.state.plain(line.unit_price if line.unit_price is not None else price)
        if col == 4:
            if pl is None:
                return ""
            disc = pl.tier_discount + pl.manual_discount
            return "" if not disc else "-" + self.state.plain(disc)
        if col == 5:
            if pl is None:
                unit = line.unit_price if line.unit_price is not None else price
                return self.state.plain(unit * line.qty)
            return self.state.plain(pl.line_total)
        return ""

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(row, col)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int((Qt.AlignmentFlag.AlignRight if col in NUMERIC else Qt.AlignmentFlag.AlignLeft)
                       | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 4:
                return QColor("#2e7d32")
            if col == 3 and self.cart.lines[row].unit_price is not None:
                return QColor("#b45309")  # an overridden price stands out
            pl = self.priced.lines[row] if col in (1, 3) and self.fresh() else None
            if pl is not None and (pl.member_price is not None or pl.exchange_points is not None):
                return QColor("#6d28d9")  # a member price or a points exchange
            if col == 5 and not self.fresh():
                return QColor("#9aa1ab")  # not yet repriced
        if role == Qt.ItemDataRole.FontRole and col == 5:
            f = QFont()
            f.setBold(True)
            return f
        if role == Qt.ItemDataRole.ToolTipRole and col == 3 and self.cart.lines[row].unit_price is not None:
            return QCoreApplication.translate("CartModel", "Price changed by hand")
        if role == Qt.ItemDataRole.ToolTipRole and col == 3 and self.fresh():
            pl = self.priced.lines[row]
            if pl.exchange_points is not None:
                return QCoreApplication.translate("CartModel", "Exchanged for points")
            if pl.member_price is not None:
                return QCoreApplication.translate("CartModel", "List price {list}, member price {member}").format(
                    list=self.state.plain(pl.list_price), member=self.state.plain(pl.member_price))
        return None
