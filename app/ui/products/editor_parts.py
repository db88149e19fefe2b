"""Pieces of the product editor: the error slot beside each field (its space kept even when empty, so
an error never moves the fields around it), the barcode list a scanner types into, and what the
editor needs read before it opens."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QLineEdit, QListWidget, QPushButton, QSizePolicy, QVBoxLayout,
                               QWidget)

from app.services.admin import shop_admin
from app.services.sales import product_list, products

ERROR_WIDTH = 230
FONT_PX = 12


class ErrorSlot(QLabel):
    """A field's error, beside it: a fixed box of two lines (longer text is cut with "…", the whole
    sentence in the tooltip), so showing or clearing it never moves another field."""

    LINES = 2

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "error")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        # The app's style sheet sets every widget's font size: this one's is set the same way, and
        # measured with the same font, so the box holds exactly LINES lines.
        self.setStyleSheet(f"font-size: {FONT_PX}px;")
        font = QFont(self.font())
        font.setPixelSize(FONT_PX)
        self.metrics = QFontMetrics(font)
        self.setFixedWidth(ERROR_WIDTH)
        self.setFixedHeight(self.metrics.lineSpacing() * self.LINES + 4)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.full = ""

    def show_error(self, text: str | None) -> None:
        self.full = text or ""
        self.setToolTip(self.full)
        self.setText(self._fitted(self.full))

    def _fitted(self, text: str) -> str:
        fm = self.metrics
        room = self.height()
        flags = int(Qt.TextFlag.TextWordWrap)
        if fm.boundingRect(0, 0, self.width(), 10_000, flags, text).height() <= room:
            return text
        cut = len(text)
        while cut > 1 and fm.boundingRect(0, 0, self.width(), 10_000, flags, text[:cut] + "…").height() > room:
            cut -= 1
        return text[:cut].rstrip() + "…"


class BarcodeList(QWidget):
    """Several barcodes: type or scan into the field (a scanner ends with Enter, which adds the code
    instead of pressing Save), remove the selected one."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(4)
        row = QHBoxLayout()
        self.input = QLineEdit(self)
        self.input.setMaxLength(products.BARCODE_MAX)
        self.input.setPlaceholderText(self.tr("Scan or type a barcode, then Enter"))
        self.add_button = QPushButton(self.tr("Add"), self)
        self.add_button.setAutoDefault(False)
        self.remove_button = QPushButton(self.tr("Remove"), self)
        self.remove_button.setAutoDefault(False)
        row.addWidget(self.input, 1)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        box.addLayout(row)
        self.list = QListWidget(self)
        self.list.setFixedHeight(58)
        box.addWidget(self.list)
        self.add_button.clicked.connect(self.add_typed)
        self.remove_button.clicked.connect(self.remove_selected)
        self.input.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if obj is self.input and event.type() == QEvent.Type.KeyPress \
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.add_typed()
            return True   # not the dialog's default button
        return super().eventFilter(obj, event)

    def add_typed(self) -> None:
        code = self.input.text().strip()
        if code and code not in self.codes():
            self.list.addItem(code)
            self.changed.emit()
        self.input.clear()

    def remove_selected(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)
            self.changed.emit()

    def set_codes(self, codes) -> None:
        self.list.clear()
        for code in codes:
            self.list.addItem(code)

    def codes(self) -> tuple[str, ...]:
        return tuple(self.list.item(i).text() for i in range(self.list.count()))


@dataclass(frozen=True)
class EditorData:
    """What the editor shows besides the product: tiers, categories, services for count cards."""
    detail: products.ProductDetail | None
    service_sku: str | None
    tiers: list
    categories: list
    services: list[tuple[str, str]]


def editor_data(ctx, product_id: int | None) -> EditorData:
    """Read on the db worker before the editor opens."""
    detail = products.detail(ctx, product_id) if product_id is not None else None
    service_sku = product_list.sku_of(ctx, detail.product.card_service_id) if detail else None
    return EditorData(detail, service_sku, shop_admin.list_tiers(ctx), products.categories(ctx),
                      product_list.services(ctx))
