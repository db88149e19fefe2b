"""The till's touch grid: big buttons for the favourite products (ticked "Favourite on the till" on
Products), by category, for shops without a scanner.

Mouse or touch: tap a category, tap a product. Keyboard: F10 puts the focus on the grid; the arrow
keys move between products, PgUp / PgDn change the category, Enter or Space adds the product, Esc
goes back to the scan line. A tap never takes the focus from the scan line, so a scanner keeps working.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import (QFrame, QGridLayout, QLabel, QPushButton, QScrollArea, QSizePolicy, QTabBar,
                               QVBoxLayout, QWidget)

from app.services.sales import catalog
from app.ui.widgets import run

COLUMNS = 3
ALL = -1


def _wrapped(name: str, metrics, width: int, lines: int = 2) -> str:
    """``name`` in at most ``lines`` lines of ``width`` pixels, broken at spaces where it can be (Chinese
    anywhere), the last line elided: three buttons share the grid's width whatever the names."""
    out, rest = [], name.strip()
    while rest and len(out) < lines - 1:
        cut = len(rest)
        while cut > 1 and metrics.horizontalAdvance(rest[:cut]) > width:
            cut -= 1
        if cut < len(rest) and " " in rest[1:cut + 1]:
            cut = rest.rindex(" ", 1, cut + 1)
        out.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        out.append(metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width))
    return "\n".join(out)


def _text_colour(background: str) -> str:
    c = QColor(background)
    return "#111827" if (0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue()) > 150 else "#ffffff"


class ProductGrid(QFrame):
    chosen = Signal(object)   # a catalog.ProductView
    left = Signal()           # Esc: back to the scan line

    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.setProperty("card", True)
        self.products: list = []
        self.categories: list[str] = []
        self.buttons: list[QPushButton] = []
        self.shown: list = []         # the products of the buttons, in order
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        self.title = QLabel(self.tr("Quick keys (F10)"), self)
        self.title.setStyleSheet("font-weight: 700;")
        layout.addWidget(self.title)
        self.tabs = QTabBar(self)
        self.tabs.setExpanding(False)
        self.tabs.setUsesScrollButtons(True)
        self.tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tabs.setStyleSheet("QTabBar::tab { min-height: 34px; padding: 4px 12px; font-size: 15px; }")
        self.tabs.currentChanged.connect(lambda _i: self._fill())
        layout.addWidget(self.tabs)
        self.area = QScrollArea(self)
        self.area.setWidgetResizable(True)
        self.area.setFrameShape(QFrame.Shape.NoFrame)
        self.area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.inner = QWidget(self.area)
        self.grid = QGridLayout(self.inner)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(6)
        self.area.setWidget(self.inner)
        layout.addWidget(self.area, 1)
        self.favourites_hint = self.tr("No favourite products yet. To put a product here, tick “Favourite on the"
                                       " till” in its editor on Products.")
        self.empty = QLabel(self.favourites_hint, self)
        self.empty.setWordWrap(True)
        self.empty.setProperty("role", "muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.empty, 1)
        self.empty.hide()
        self.keys = QLabel(self.tr("F10, then ← → ↑ ↓ · PgUp PgDn category · Enter adds · Esc back"), self)
        self.keys.setProperty("role", "muted")
        self.keys.setWordWrap(True)
        layout.addWidget(self.keys)

    # --- data -------------------------------------------------------------------------------
    def load(self) -> None:
        ctx = self.state.ctx

        def read():
            favs = catalog.favourites(ctx)
            return favs, bool(favs) or catalog.count(ctx, "", active_only=False) > 0

        run(self, read, lambda found: self.set_products(found[0], has_catalogue=found[1]),
            lambda exc: self._show_empty(self.state.error_text(exc)))

    def set_products(self, products, *, has_catalogue: bool = True) -> None:
        self.products = list(products)
        # a new shop's first day: nothing in the catalogue yet, so say where products come from
        self.empty.setText(self.favourites_hint if has_catalogue else self.tr(
            "No products yet. Add them on Products (New product, or Import… a price list from Excel or "
            "CSV); meanwhile sell any item with Open price (F3)."))
        categories = list(dict.fromkeys(p.category for p in self.products))
        current = self.current_category()
        self.categories = categories
        self.tabs.blockSignals(True)
        while self.tabs.count():
            self.tabs.removeTab(0)
        self.tabs.addTab(self.tr("All"))
        for c in categories:
            self.tabs.addTab(c or self.tr("Other"))
        self.tabs.setCurrentIndex(categories.index(current) + 1 if current in categories else 0)
        self.tabs.setVisible(len(categories) > 1)
        self.tabs.blockSignals(False)
        self._fill()

    def current_category(self) -> str | None:
        i = self.tabs.currentIndex()
        return self.categories[i - 1] if 1 <= i <= len(self.categories) else None

    def _show_empty(self, text: str | None = None) -> None:
        self.empty.setText(text or self.empty.text())
        self.empty.show()
        self.area.hide()

    def _fill(self) -> None:
        focused = self.focused_index()
        for b in self.buttons:
            self.grid.removeWidget(b)
            b.hide()
            b.deleteLater()
        self.buttons = []
        category = self.current_category()
        self.shown = [p for p in self.products if category is None or p.category == category]
        if not self.products:
            self._show_empty()
            return
        self.empty.hide()
        self.area.show()
        width = self._label_width()
        font = QFont(self.font())
        font.setPixelSize(14)
        font.setBold(True)
        metrics = QFontMetrics(font)
        for i, p in enumerate(self.shown):
            b = QPushButton(self.inner)
            b.setText(f"{_wrapped(p.name, metrics, width)}\n{self.state.plain(p.price)}")
            b.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)  # equal columns
            b.setMinimumHeight(76)
            b.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # a tap leaves the focus on the scan line
            b.setToolTip(f"{p.name} · {p.sku}")
            colour = p.colour or "#eef2f7"
            b.setStyleSheet("QPushButton { background: %s; color: %s; border: 1px solid #c9d1dc; border-radius: 6px;"
                            " font-size: 14px; font-weight: 600; padding: 2px; }"
                            " QPushButton:focus { border: 3px solid #1d4ed8; }" % (colour, _text_colour(colour)))
            b.clicked.connect(lambda _c=False, product=p: self.chosen.emit(product))
            b.installEventFilter(self)
            self.grid.addWidget(b, i // COLUMNS, i % COLUMNS)
            b.show()  # now, not queued by the layout: a hidden button cannot take the focus
            self.buttons.append(b)
        self._laid_for = width
        if focused is not None and self.buttons:
            self.buttons[min(focused, len(self.buttons) - 1)].setFocus()

    def _label_width(self) -> int:
        return max(60, (self.area.viewport().width() - 2 * self.grid.spacing()) // COLUMNS - 12)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.buttons and getattr(self, "_laid_for", None) != self._label_width():
            self._fill()  # the names are wrapped to the buttons' width

    # --- keyboard ---------------------------------------------------------------------------
    def focused_index(self) -> int | None:
        return next((i for i, b in enumerate(self.buttons) if b.hasFocus()), None)

    def focus_grid(self) -> bool:
        """F10: the first product gets the focus (False when there is none)."""
        if not self.buttons:
            return False
        self.buttons[0].setFocus()
        return True

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress and obj in self.buttons:
            key, i, n = event.key(), self.buttons.index(obj), len(self.buttons)
            step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Up: -COLUMNS,
                    Qt.Key.Key_Down: COLUMNS}.get(key)
            if step is not None:
                if 0 <= i + step < n:
                    self.buttons[i + step].setFocus()
                return True
            if key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown) and self.tabs.count() > 1:
                self.tabs.setCurrentIndex((self.tabs.currentIndex() + (1 if key == Qt.Key.Key_PageDown else -1))
                                          % self.tabs.count())
                self.focus_grid()
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.chosen.emit(self.shown[i])
                return True
            if key == Qt.Key.Key_Escape:
                self.left.emit()
                return True
        return super().eventFilter(obj, event)
