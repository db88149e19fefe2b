"""Create or edit a product, every field checked as it changes.

The fields are read into a ``ProductInput`` (amounts parsed as everywhere in the app, with the
shop's currency) and checked by ``products.check`` on the db worker, a moment after the last
change; an older check's answer is dropped. Each field's error shows in its slot beside it (the
space is kept, so nothing moves), and Save stays disabled while any field is wrong. Cancel writes
nothing: only Save calls the service (create or update, one transaction)."""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QGridLayout, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QVBoxLayout, QWidget)

from app.errors import ShopError, ValidationError
from app.money import MAX_CARD_USES, parse_amount
from app.services.sales import products
from app.services.sales.products import ProductInput
from app.ui.products.editor_parts import BarcodeList, EditorData, ErrorSlot
from app.ui.widgets import closing_buttons, error_label

CHECK_MS = 150
UNITS_ZH = ("件", "杯", "斤", "千克", "次", "个", "盒", "瓶", "份", "包", "袋")
UNITS_EN = ("pcs", "cup", "kg", "jin", "session", "box", "bottle", "portion", "pack", "bag")
COLOURS = ("#E53935", "#FB8C00", "#FDD835", "#43A047", "#1E88E5", "#8E24AA", "#6D4C41", "#546E7A")


def _swatch(colour: str) -> QIcon:
    pix = QPixmap(14, 14)
    pix.fill(QColor(colour))
    return QIcon(pix)


def _repolish(widget: QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class ProductEditor(QDialog):
    """New product (``data.detail`` None) or edit one; ``saved(ProductView)`` after the service saved."""

    saved = Signal(object)

    def __init__(self, state, data: EditorData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.data = data
        self.product_id = data.detail.product.id if data.detail else None
        self.result_view = None
        self.errors: dict[str, str] = {}       # field -> error shown (or waiting to be shown)
        self.checked = False                   # the service answered for the fields as they are
        self._touched: set[str] = set()
        self._gen = 0
        self._saving = False
        self.setWindowTitle(self.tr("Edit product") if data.detail else self.tr("New product"))
        outer = QVBoxLayout(self)
        title = QLabel(self.windowTitle(), self)
        title.setProperty("role", "title")
        outer.addWidget(title)
        columns = QHBoxLayout()
        columns.setSpacing(18)
        self._left, self._right = QGridLayout(), QGridLayout()
        for grid in (self._left, self._right):
            grid.setHorizontalSpacing(8)
            grid.setVerticalSpacing(4)
            grid.setColumnMinimumWidth(1, 250)
            columns.addLayout(grid)
        outer.addLayout(columns)
        self.slots: dict[str, ErrorSlot] = {}
        self._rows: dict[str, list[QWidget]] = {}
        self._build_left()
        self._build_right()
        self.general_error = error_label(self)
        outer.addWidget(self.general_error)
        self.checking = QLabel(self)
        self.checking.setProperty("role", "muted")
        buttons, self.save_button, self.cancel_button = closing_buttons(
            self, self.tr("Cancel (Esc)"), self.tr("Save (Ctrl+S)"), self.save, left=self.checking)
        outer.addLayout(buttons)
        QShortcut(QKeySequence("Ctrl+S"), self, activated=self.save)
        self._timer = QTimer(self, singleShot=True, interval=CHECK_MS)
        self._timer.timeout.connect(self.validate)
        if data.detail is not None:
            self._fill(products.to_input(data.detail, data.service_sku))
        else:
            self.points.setChecked(True)
            self.discount.setChecked(True)
        self._kind_changed()
        self._connect()
        self.validate()

    # --- building -------------------------------------------------------------------------------------
    def _row(self, grid: QGridLayout, key: str | None, label: str, editor: QWidget) -> None:
        r = grid.rowCount()
        lab = QLabel(label, self)
        lab.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        grid.addWidget(lab, r, 0)
        grid.addWidget(editor, r, 1)
        widgets = [lab, editor]
        if key is not None:
            slot = ErrorSlot(self)
            self.slots[key] = slot
            grid.addWidget(slot, r, 2)
            widgets.append(slot)
            self._rows[key] = widgets

    def _line(self, placeholder: str = "", max_len: int | None = None) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setPlaceholderText(placeholder)
        if max_len:
            edit.setMaxLength(max_len)
        return edit

    def _build_left(self) -> None:
        g = self._left
        self.name = self._line(self.tr("e.g. 拿铁 Latte"), products.NAME_MAX)
        self.sku = self._line(self.tr("Your own code, e.g. LT01"), products.SKU_MAX)
        self.barcodes = BarcodeList(self)
        self.category = QComboBox(self)
        self.manage_categories = QPushButton(self.tr("Manage categories…"), self)
        self.manage_categories.setAutoDefault(False)
        cat_row = QWidget(self)
        box = QHBoxLayout(cat_row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.category, 1)
        box.addWidget(self.manage_categories)
        self._fill_categories(self.data.categories)
        self.kind = QComboBox(self)
        for code, text in (("goods", self.tr("Goods")), ("service", self.tr("Service")),
                           ("count_card", self.tr("Count-card package"))):
            self.kind.addItem(text, code)
        self.card_uses = self._line(self.tr("e.g. 10"))
        self.card_days = self._line(self.tr("Empty: never expires"))
        self.card_service = QComboBox(self)
        self.card_service.addItem(self.tr("Choose the service…"), None)
        for sku, name in self.data.services:
            self.card_service.addItem(f"{name} ({sku})", sku)
        self.unit = QComboBox(self)
        self.unit.setEditable(True)
        self.unit.addItems(UNITS_ZH if self.state.zh else UNITS_EN)
        self.unit.setCurrentText("")
        self.unit.lineEdit().setMaxLength(products.UNIT_MAX)
        self.price = self._line(self.tr("e.g. 28 or 28.50"))
        self.cost = self._line(self.tr("Optional"))
        self._row(g, "name", self.tr("Name *"), self.name)
        self._row(g, "sku", self.tr("SKU *"), self.sku)
        self._row(g, "barcodes", self.tr("Barcodes"), self.barcodes)
        self._row(g, "category", self.tr("Category"), cat_row)
        self._row(g, "kind", self.tr("Kind"), self.kind)
        self._row(g, "card_uses", self.tr("Uses"), self.card_uses)
        self._row(g, "card_valid_days", self.tr("Valid for (days)"), self.card_days)
        self._row(g, "card_service_sku", self.tr("Service it covers"), self.card_service)
        self._row(g, "unit", self.tr("Unit"), self.unit)
        self._row(g, "price", self.tr("Price *"), self.price)
        self._row(g, "cost", self.tr("Cost price"), self.cost)
        g.setRowStretch(g.rowCount(), 1)

    def _build_right(self) -> None:
        g = self._right
        self.no_member = QCheckBox(self.tr("No member discount (no member price, no tier discount)"), self)
        g.addWidget(self.no_member, 0, 0, 1, 3)
        self.tier_prices: dict[str, QLineEdit] = {}
        for tier in self.data.tiers:
            edit = self._line(self.tr("Empty: the price"))
            self.tier_prices[tier.code] = edit
            name = self.state.tier_name(tier.name_en, tier.name_zh)
            self._row(g, f"member_prices:{tier.code}", self.tr("{tier} price").format(tier=name), edit)
        self.points = QCheckBox(self.tr("Earns points"), self)
        self.discount = QCheckBox(self.tr("Discounts apply"), self)
        flags = QWidget(self)
        box = QHBoxLayout(flags)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.points)
        box.addWidget(self.discount)
        box.addStretch(1)
        self._row(g, None, self.tr("Rules"), flags)
        self.points_price = self._line(self.tr("Optional: points for one"))
        self._row(g, "points_price", self.tr("Points price"), self.points_price)
        self.track = QCheckBox(self.tr("Track stock"), self)
        self._row(g, None, self.tr("Stock"), self.track)
        self.reorder = self._line(self.tr("Warn at or below, e.g. 5"))
        self._row(g, "reorder_level", self.tr("Reorder level"), self.reorder)
        self.favourite = QCheckBox(self.tr("Favourite on the till"), self)
        self._row(g, None, self.tr("Till"), self.favourite)
        self.colour = QComboBox(self)
        self.colour.addItem(self.tr("No colour"), "")
        for c in COLOURS:
            self.colour.addItem(_swatch(c), c, c)
        self._row(g, "colour", self.tr("Colour"), self.colour)
        g.setRowStretch(g.rowCount(), 1)

    def _fill_categories(self, cats, keep: str | None = None) -> None:
        current = keep if keep is not None else (self.category.currentData() or "")
        self.category.blockSignals(True)
        self.category.clear()
        self.category.addItem(self.tr("(No category)"), "")
        for c in cats:
            self.category.addItem(c.name, c.name)
        if current and self.category.findData(current) < 0:
            self.category.addItem(current, current)   # a category no longer in the list: kept as it is
        self.category.setCurrentIndex(max(0, self.category.findData(current)))
        self.category.blockSignals(False)

    def set_categories(self, cats) -> None:
        """After the categories dialog: the new list, the choice kept."""
        self.data = replace(self.data, categories=list(cats))
        self._fill_categories(cats)
        self._changed("category")

    def _fill(self, d: ProductInput) -> None:
        s = self.state
        self.name.setText(d.name)
        self.sku.setText(d.sku)
        self.barcodes.set_codes(d.barcodes)
        self._fill_categories(self.data.categories, keep=d.category)
        self.kind.setCurrentIndex(max(0, self.kind.findData(d.kind)))
        self.card_uses.setText("" if d.card_uses is None else str(d.card_uses))
        self.card_days.setText("" if d.card_valid_days is None else str(d.card_valid_days))
        if d.card_service_sku and self.card_service.findData(d.card_service_sku) < 0:
            self.card_service.addItem(d.card_service_sku, d.card_service_sku)
        self.card_service.setCurrentIndex(max(0, self.card_service.findData(d.card_service_sku)))
        self.unit.setCurrentText(d.unit)
        self.price.setText(s.plain(d.price))
        self.cost.setText(s.plain(d.cost))
        self.no_member.setChecked(d.no_member_price)
        for code, edit in self.tier_prices.items():
            edit.setText(s.plain(d.member_prices.get(code)))
        self.points.setChecked(d.points_eligible)
        self.discount.setChecked(d.discount_eligible)
        self.points_price.setText("" if d.points_price is None else str(d.points_price))
        self.track.setChecked(d.track_stock)
        self.reorder.setText("" if d.reorder_level is None else str(d.reorder_level))
        self.favourite.setChecked(d.favourite)
        if d.colour and self.colour.findData(d.colour) < 0:
            self.colour.addItem(_swatch(d.colour), d.colour, d.colour)
        self.colour.setCurrentIndex(max(0, self.colour.findData(d.colour)))

    def _connect(self) -> None:
        for key, edit in (("name", self.name), ("sku", self.sku), ("card_uses", self.card_uses),
                          ("card_valid_days", self.card_days), ("price", self.price), ("cost", self.cost),
                          ("points_price", self.points_price), ("reorder_level", self.reorder)):
            edit.textChanged.connect(lambda _t, k=key: self._changed(k))
        for code, edit in self.tier_prices.items():
            edit.textChanged.connect(lambda _t, k=f"member_prices:{code}": self._changed(k))
        self.unit.currentTextChanged.connect(lambda _t: self._changed("unit"))
        self.barcodes.changed.connect(lambda: self._changed("barcodes"))
        for key, combo in (("category", self.category), ("kind", self.kind),
                           ("card_service_sku", self.card_service), ("colour", self.colour)):
            combo.currentIndexChanged.connect(lambda _i, k=key: self._changed(k))
        self.kind.currentIndexChanged.connect(lambda _i: self._kind_changed())
        self.category.currentIndexChanged.connect(lambda _i: self._category_rules())
        for box in (self.no_member, self.track, self.favourite, self.points, self.discount):
            box.toggled.connect(lambda _on: self._changed(""))
        self.manage_categories.clicked.connect(self.open_categories)

    # --- reading the fields ------------------------------------------------------------------------
    def _kind_changed(self) -> None:
        card = self.kind.currentData() == "count_card"
        for key in ("card_uses", "card_valid_days", "card_service_sku"):
            for w in self._rows[key]:
                w.setVisible(card)
        self._enable()

    def _category_rules(self) -> None:
        """A category picked: its points and discount rules become the product's (still editable)."""
        cat = next((c for c in self.data.categories if c.name == self.category.currentData()), None)
        if cat is not None:
            self.points.setChecked(cat.points_eligible)
            self.discount.setChecked(cat.discount_eligible)

    def _enable(self) -> None:
        no_member = self.no_member.isChecked()
        for edit in self.tier_prices.values():
            edit.setEnabled(not no_member)
        self.reorder.setEnabled(self.track.isChecked())
        self.colour.setEnabled(self.favourite.isChecked())

    def _amount(self, edit: QLineEdit, key: str, label: str, local: dict[str, str], *,
                optional: bool = True) -> int | None:
        text = edit.text().strip()
        if not text:
            if optional:
                return None
            text = ""
        try:
            return parse_amount(text, self.state.settings.currency, field=label, allow_zero=True)
        except ShopError as exc:
            local[key] = self.state.error_text(exc)
            return None

    def _whole(self, edit: QLineEdit, key: str, local: dict[str, str], error: ShopError) -> int | None:
        text = edit.text().strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
        if not text:
            return None
        if not text.isdigit() or len(text) > 15:
            local[key] = self.state.error_text(error)
            return None
        return int(text)

    def read(self) -> tuple[ProductInput, dict[str, str]]:
        """The fields as a ProductInput, and the errors found before asking the service (what does not
        even parse). A field that did not parse goes to the service as empty."""
        local: dict[str, str] = {}
        price = self._amount(self.price, "price", self.tr("price"), local, optional=False)
        cost = self._amount(self.cost, "cost", self.tr("cost price"), local)
        member: dict[str, int] = {}
        if not self.no_member.isChecked():
            for code, edit in self.tier_prices.items():
                value = self._amount(edit, f"member_prices:{code}", self.tr("member price"), local)
                if value is not None:
                    member[code] = value
        kind = self.kind.currentData()
        card = kind == "count_card"
        text = self.points_price.text().strip()
        points_price = self._whole(self.points_price, "points_price", local,
                                   ValidationError("points_price_invalid", value=text[:20]))
        text = self.reorder.text().strip()
        reorder = self._whole(self.reorder, "reorder_level", local,
                              ValidationError("reorder_level_invalid", value=text[:20])) if self.track.isChecked() else None
        uses = self._whole(self.card_uses, "card_uses", local,
                           ValidationError("card_uses_invalid", max=MAX_CARD_USES)) if card else None
        days = self._whole(self.card_days, "card_valid_days", local, ValidationError("card_days_invalid")) if card else None
        data = ProductInput(
            sku=self.sku.text(), name=self.name.text(), price=0 if price is None else price,
            barcodes=self.barcodes.codes(), category=self.category.currentData() or "", kind=kind,
            unit=self.unit.currentText(), member_prices=member, no_member_price=self.no_member.isChecked(),
            points_eligible=self.points.isChecked(), discount_eligible=self.discount.isChecked(), cost=cost,
            points_price=points_price, track_stock=self.track.isChecked(), reorder_level=reorder,
            favourite=self.favourite.isChecked(), colour=(self.colour.currentData() or "") if self.favourite.isChecked() else "",
            card_uses=uses, card_valid_days=days, card_service_sku=self.card_service.currentData() if card else None)
        return data, local

    # --- checking ----------------------------------------------------------------------------------
    def _changed(self, key: str) -> None:
        if key:
            self._touched.add(key)
        self._enable()
        self.checked = False
        self.save_button.setEnabled(False)
        self._timer.start()

    def _tier_name(self, code: str) -> str:
        tier = next((t for t in self.data.tiers if t.code == code), None)
        return self.state.tier_name(tier.name_en, tier.name_zh) if tier else code

    def validate(self) -> None:
        """Read the fields and ask the service; the answer shows when it arrives (if still current)."""
        self._timer.stop()
        data, local = self.read()
        self._gen += 1
        gen, ctx, pid = self._gen, self.state.ctx, self.product_id
        self.checking.setText(self.tr("Checking…"))
        self.state.tasks.query(lambda: products.check(ctx, data, pid), lambda found: self._checked(gen, local, found),
                               lambda exc: self._check_failed(gen, exc), owner=self)

    def _checked(self, gen: int, local: dict[str, str], found) -> None:
        if gen != self._gen:
            return   # the fields changed since: a newer check is on its way
        errors = dict(local)
        for field, exc in found:
            key = field
            if field == "member_prices":
                code = exc.params.get("tier", "")
                key = f"member_prices:{code}"
                if exc.code == "member_price_above":
                    if "price" in local:
                        continue      # the price itself is wrong: say that, not this
                    exc = ValidationError("member_price_above", tier=self._tier_name(code))
            if key not in self.slots:
                key = "name" if key not in ("sku", "barcodes") else key
            errors.setdefault(key, self.state.error_text(exc))
        self.errors = errors
        self.checked = True
        self.checking.setText("")
        self._show()

    def _check_failed(self, gen: int, exc: BaseException) -> None:
        if gen == self._gen:
            self.checking.setText("")
            self.general_error.setText(self.state.error_text(exc))
            self.general_error.show()

    def _show(self) -> None:
        editing = self.product_id is not None
        for key, slot in self.slots.items():
            shown = self.errors.get(key) if (editing or key in self._touched or
                                             key.split(":")[0] in self._touched) else None
            slot.show_error(shown)
            editor = self._rows[key][1]
            target = editor.lineEdit() if isinstance(editor, QComboBox) and editor.isEditable() else editor
            if isinstance(target, QLineEdit):
                target.setProperty("invalid", bool(shown))
                _repolish(target)
        self.save_button.setEnabled(self.checked and not self.errors and not self._saving)

    # --- categories, saving ------------------------------------------------------------------------
    def open_categories(self):
        from app.ui.products.categories_dialog import CategoriesDialog

        self.categories_dialog = CategoriesDialog(self.state, self)
        self.categories_dialog.changed.connect(self.set_categories)
        self.categories_dialog.open()
        return self.categories_dialog

    def save(self) -> None:
        self._touched.update(self.slots)
        self._touched.update({"member_prices"})
        if not self.checked or self.errors or self._saving:
            self._show()
            return
        data, local = self.read()
        if local:
            return
        ctx, pid = self.state.ctx, self.product_id
        self._saving = True
        self.save_button.setEnabled(False)
        work = (lambda: products.create(ctx, data)) if pid is None else (lambda: products.update(ctx, pid, data))
        self.state.tasks.write(work, self._saved, self._failed, owner=self, what=self.tr("saving the product"))

    def _saved(self, view) -> None:
        self._saving = False
        self.result_view = view
        self.saved.emit(view)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        self.general_error.setText(self.state.error_text(exc))
        self.general_error.show()
        self.validate()
