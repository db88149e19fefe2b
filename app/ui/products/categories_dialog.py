"""The shop's categories: add one, rename it (its products follow), set whether its products earn
points and take discounts, remove one no product uses. Every change is one service call on the db
worker; the list is read again after it, and ``changed`` carries it to whoever opened the dialog."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QDialog, QHBoxLayout, QLabel, QLineEdit, QMessageBox, QPushButton,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from app.services.sales import products
from app.ui.widgets import Status, pick_table


class CategoriesDialog(QDialog):
    changed = Signal(object)     # the categories as they are now (list of CategoryView)

    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.rows: list = []
        self.setWindowTitle(self.tr("Categories"))
        self.resize(640, 460)
        outer = QVBoxLayout(self)
        title = QLabel(self.tr("Categories"), self)
        title.setProperty("role", "title")
        outer.addWidget(title)
        note = QLabel(self.tr("A product's category decides whether it earns points and takes discounts. "
                              "A category still used by products cannot be removed."), self)
        note.setProperty("role", "muted")
        note.setWordWrap(True)
        outer.addWidget(note)
        self.table = pick_table(self, [self.tr("Name"), self.tr("Earns points"), self.tr("Discounts apply"),
                                       self.tr("Products")], 0)
        outer.addWidget(self.table, 1)
        form = QHBoxLayout()
        self.name = QLineEdit(self)
        self.name.setMaxLength(products.CATEGORY_MAX)
        self.name.setPlaceholderText(self.tr("Category name, e.g. 咖啡"))
        self.points = QCheckBox(self.tr("Earns points"), self)
        self.points.setChecked(True)
        self.discount = QCheckBox(self.tr("Discounts apply"), self)
        self.discount.setChecked(True)
        form.addWidget(self.name, 1)
        form.addWidget(self.points)
        form.addWidget(self.discount)
        outer.addLayout(form)
        self.status = Status(self)
        outer.addWidget(self.status)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(self.tr("Add"), self)
        self.save_button = QPushButton(self.tr("Save changes"), self)
        self.remove_button = QPushButton(self.tr("Remove"), self)
        self.close_button = QPushButton(self.tr("Close"), self)
        for b in (self.add_button, self.save_button, self.remove_button):
            b.setAutoDefault(False)
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        outer.addLayout(buttons)
        self.add_button.clicked.connect(self.add)
        self.save_button.clicked.connect(self.save)
        self.remove_button.clicked.connect(self.remove)
        self.close_button.clicked.connect(self.accept)
        self.name.returnPressed.connect(lambda: self.save() if self.current() else self.add())
        self.table.itemSelectionChanged.connect(self._picked)
        self.load()

    # --- reading ------------------------------------------------------------------------------------
    def load(self, then=None) -> None:
        ctx = self.state.ctx
        self.state.tasks.query(lambda: products.categories(ctx), lambda cats: self._show(cats, then),
                               self._failed, owner=self)

    def _show(self, cats, then=None) -> None:
        self.rows = list(cats)
        self.table.setRowCount(len(self.rows))
        yes, no = self.tr("Yes"), self.tr("No")
        for r, c in enumerate(self.rows):
            for col, text in enumerate((c.name, yes if c.points_eligible else no,
                                        yes if c.discount_eligible else no, self.state.number(c.products))):
                item = QTableWidgetItem(text)
                if col == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, col, item)
        self._picked()
        self.changed.emit(self.rows)
        if then:
            then()

    def current(self):
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows and rows[0].row() < len(self.rows) else None

    def _picked(self) -> None:
        c = self.current()
        self.save_button.setEnabled(c is not None)
        self.remove_button.setEnabled(c is not None and c.products == 0)
        if c is not None:
            self.name.setText(c.name)
            self.points.setChecked(c.points_eligible)
            self.discount.setChecked(c.discount_eligible)

    def select(self, name: str) -> None:
        for r, c in enumerate(self.rows):
            if c.name == name:
                self.table.selectRow(r)

    # --- changing -----------------------------------------------------------------------------------
    def _write(self, work, ok_text) -> None:
        def done(view) -> None:
            self.status.ok(ok_text(view))
            self.load(lambda: view is not None and self.select(view.name))

        self.state.tasks.write(work, done, self._failed, owner=self, what=self.tr("saving the categories"))

    def add(self) -> None:
        ctx, name, pts, disc = self.state.ctx, self.name.text(), self.points.isChecked(), self.discount.isChecked()
        self.table.clearSelection()
        self._write(lambda: products.add_category(ctx, name, points_eligible=pts, discount_eligible=disc),
                    lambda v: self.tr("Added {name}").format(name=v.name))

    def save(self) -> None:
        c = self.current()
        if c is None:
            return
        ctx, name, pts, disc = self.state.ctx, self.name.text(), self.points.isChecked(), self.discount.isChecked()
        self._write(lambda: products.update_category(ctx, c.id, name=name, points_eligible=pts,
                                                     discount_eligible=disc, active=c.active),
                    lambda v: self.tr("Saved {name}").format(name=v.name))

    def remove(self, confirm: bool = True) -> None:
        c = self.current()
        if c is None:
            return
        if confirm and QMessageBox.question(
                self, self.tr("Remove category"), self.tr("Remove the category {name}?").format(name=c.name),
        ) != QMessageBox.StandardButton.Yes:
            return
        ctx = self.state.ctx

        def work():
            products.remove_category(ctx, c.id)

        self.name.clear()
        self._write(work, lambda _v: self.tr("Removed {name}").format(name=c.name))

    def _failed(self, exc: BaseException) -> None:
        self.status.error(self.state.error_text(exc))
