"""The Products tab: the catalogue as a lazy list (quick at 100,000 products), searched as you type
by name, pinyin initials ("nt" finds 拿铁), syllables, SKU, barcode or category, on the db worker
after a short pause (an older search's answer is dropped). Managers and owners create and edit
products (Enter or double-click), take them off sale, delete a product that never sold, keep the
categories, and import or export the catalogue; cashiers only look. A shop without products is
told what to do first, with the two buttons that do it."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import (QCheckBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMessageBox, QPushButton,
                               QStackedWidget, QVBoxLayout, QWidget)

from app.services.sales import products
from app.ui.products.product_model import COLUMNS, ProductListModel
from app.ui.widgets import Tab, row_table

DEBOUNCE_MS = 250


class ProductsTab(Tab):
    def __init__(self, state, parent=None) -> None:
        super().__init__(state, parent)
        self.dialog = None            # the last dialog opened from here (tests and screenshots look at it)
        self.confirm_box = None
        self._selected = None         # (product id, active, has history) of the selected row, once read
        self._pick_gen = 0
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 12, 12, 8)
        outer.setSpacing(8)

        top = QHBoxLayout()
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("Search: name, pinyin initials (nt = 拿铁), SKU, barcode or category"))
        self.search.setClearButtonEnabled(True)
        self.show_off = QCheckBox(self.tr("Show products off sale"), self)
        self.count_label = QLabel(self)
        self.count_label.setProperty("role", "muted")
        self.busy_label = QLabel(self.tr("Searching…"), self)
        self.busy_label.setProperty("role", "muted")
        self.busy_label.hide()
        top.addWidget(self.search, 1)
        top.addWidget(self.show_off)
        top.addWidget(self.count_label)
        top.addWidget(self.busy_label)
        outer.addLayout(top)

        row = QHBoxLayout()
        self.new_button = QPushButton(self.tr("New product"), self)
        self.new_button.setProperty("primary", True)
        self.edit_button = QPushButton(self.tr("Edit"), self)
        self.active_button = QPushButton(self.tr("Take off sale"), self)
        self.delete_button = QPushButton(self.tr("Delete"), self)
        self.delete_button.setToolTip(self.tr("Only a product that never sold and never moved stock; "
                                              "take any other off sale"))
        self.categories_button = QPushButton(self.tr("Categories…"), self)
        self.import_button = QPushButton(self.tr("Import…"), self)
        self.export_button = QPushButton(self.tr("Export…"), self)
        self.export_button.setToolTip(self.tr("The catalogue to a CSV or Excel file (asks the owner's password)"))
        for b in (self.new_button, self.edit_button, self.active_button, self.delete_button):
            row.addWidget(b)
        row.addStretch(1)
        for b in (self.categories_button, self.import_button, self.export_button):
            row.addWidget(b)
        for b in (self.new_button, self.edit_button, self.active_button, self.delete_button,
                  self.categories_button, self.import_button, self.export_button):
            b.setAutoDefault(False)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        outer.addLayout(row)

        self.model = ProductListModel(state, self)
        self.table = row_table(self, self.model, row_height=30, striped=True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        widths = {"name": 200, "sku": 80, "barcodes": 130, "category": 90, "price": 90, "member": 250,
                  "stock": 80, "status": 80}
        for i, (key, _h) in enumerate(COLUMNS):
            self.table.setColumnWidth(i, widths[key])
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.table)
        self.stack.addWidget(self._empty_page())
        outer.addWidget(self.stack, 1)
        outer.addWidget(self.status)

        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_search)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.search.returnPressed.connect(self.run_search)
        self.search.installEventFilter(self)
        self.show_off.toggled.connect(lambda _on: self.run_search(force=True))
        self.table.doubleClicked.connect(lambda _i: self.edit_selected())
        self.table.installEventFilter(self)
        self.model.loaded.connect(self._loaded)
        self.model.failed.connect(self.status.error)
        self.model.busy_changed.connect(self.busy_label.setVisible)
        self.model.modelReset.connect(lambda: self._pick())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._pick())
        self.new_button.clicked.connect(lambda: self.open_editor(None))
        self.empty_new.clicked.connect(lambda: self.open_editor(None))
        self.edit_button.clicked.connect(self.edit_selected)
        self.active_button.clicked.connect(self.toggle_active)
        self.delete_button.clicked.connect(self.delete_selected)
        self.categories_button.clicked.connect(self.open_categories)
        self.import_button.clicked.connect(lambda: self.open_import())
        self.empty_import.clicked.connect(lambda: self.open_import())
        self.export_button.clicked.connect(lambda: self.export_products())
        self.apply_permissions()
        self.model.set_query("")

    def _empty_page(self) -> QWidget:
        page = QWidget(self)
        box = QVBoxLayout(page)
        box.addStretch(1)
        self.empty_text = QLabel(page)
        self.empty_text.setWordWrap(True)
        self.empty_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_text.setStyleSheet("font-size: 16px;")
        box.addWidget(self.empty_text)
        box.addSpacing(12)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.empty_new = QPushButton(self.tr("New product"), page)
        self.empty_new.setProperty("primary", True)
        self.empty_import = QPushButton(self.tr("Import from your old software…"), page)
        buttons.addWidget(self.empty_new)
        buttons.addWidget(self.empty_import)
        buttons.addStretch(1)
        box.addLayout(buttons)
        box.addStretch(2)
        return page

    # --- permissions --------------------------------------------------------------------------------
    def can_change(self) -> bool:
        return self.state.role_allowed("manage_products")

    def apply_permissions(self) -> None:
        edit = self.can_change()
        for b in (self.new_button, self.edit_button, self.active_button, self.delete_button,
                  self.categories_button, self.import_button, self.empty_new, self.empty_import):
            b.setVisible(edit)
        self.export_button.setVisible(edit and self.state.role_allowed("export"))   # the owner's, as for members
        if edit:
            self.empty_text.setText(self.tr(
                "No products yet. Add your first product with New product, or bring in your price list with "
                "Import… (Excel or CSV with columns like 商品名称, 条码, 售价, 会员价)"))
        else:
            self.empty_text.setText(self.tr("No products yet. A manager or the owner adds them here."))
        self._buttons()

    def load(self) -> None:
        self.run_search(force=True)

    # --- the list -----------------------------------------------------------------------------------
    def run_search(self, force: bool = False) -> None:
        self._timer.stop()
        text = self.search.text().strip()
        active_only = not self.show_off.isChecked()
        if force or text != self.model.query or active_only != self.model.active_only:
            self.model.set_query(text, active_only)

    def _loaded(self, total: int, shop_empty: bool) -> None:
        self.stack.setCurrentIndex(1 if shop_empty else 0)
        if shop_empty:
            self.count_label.setText("")
        elif not self.model.query:
            self.count_label.setText(self.tr("%Ln product(s)", "", total))
        elif total == 0:
            self.count_label.setText(self.tr("No product matches"))
        else:
            self.count_label.setText(self.tr("{count} found").format(count=self.state.number(total)))
        if self.model.rowCount() and not self.table.currentIndex().isValid():
            self.table.setCurrentIndex(self.model.index(0, 0))

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if obj is self.search and key == Qt.Key.Key_Down and self.model.rowCount():
                self.table.setFocus()
                self.table.selectRow(max(0, self.table.currentIndex().row()))
                return True
            if obj is self.table and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.edit_selected()
                return True
        return super().eventFilter(obj, event)

    def selected_id(self) -> int | None:
        index = self.table.currentIndex()
        return self.model.product_id(index.row()) if index.isValid() else None

    def _pick(self) -> None:
        """A row picked: whether it may be deleted (never sold, no stock moved) is read on the worker."""
        self._selected = None
        self._buttons()
        pid = self.selected_id()
        if pid is None:
            return
        self._pick_gen += 1
        gen, ctx = self._pick_gen, self.state.ctx

        def show(det) -> None:
            if gen == self._pick_gen:
                self._selected = (det.product.id, det.product.active, det.has_sales)
                self._buttons()

        self.state.tasks.query(lambda: products.detail(ctx, pid), show, lambda _e: None, owner=self)

    def _buttons(self) -> None:
        sel = self._selected
        self.edit_button.setEnabled(self.selected_id() is not None)
        self.active_button.setEnabled(sel is not None)
        self.active_button.setText(self.tr("Put back on sale") if sel and not sel[1] else self.tr("Take off sale"))
        self.delete_button.setEnabled(bool(sel) and not sel[2])

    # --- one product --------------------------------------------------------------------------------
    def edit_selected(self) -> None:
        pid = self.selected_id()
        if pid is not None and self.can_change():
            self.open_editor(pid)

    def open_editor(self, product_id: int | None) -> None:
        from app.ui.products.editor_parts import editor_data

        ctx = self.state.ctx
        self.state.tasks.query(lambda: editor_data(ctx, product_id), self._show_editor,
                               lambda exc: self.status.error(self.state.error_text(exc)), owner=self)

    def _show_editor(self, data) -> None:
        from app.ui.products.product_editor import ProductEditor

        self.dialog = ProductEditor(self.state, data, self)
        self.dialog.saved.connect(self._saved)
        self.dialog.open()

    def _saved(self, view) -> None:
        self.status.ok(self.tr("Saved {name}").format(name=view.name))
        self.model.refresh()

    def toggle_active(self) -> None:
        sel = self._selected
        if sel is None:
            return
        pid, active = sel[0], not sel[1]
        ctx = self.state.ctx

        def done(view) -> None:
            self.status.ok((self.tr("{name} is on sale again") if view.active else
                            self.tr("{name} is off sale: kept in history, reports and refunds")).format(name=view.name))
            self.model.refresh()

        self.state.tasks.write(lambda: products.set_active(ctx, pid, active), done,
                               lambda exc: self.status.error(self.state.error_text(exc)), owner=self,
                               what=self.tr("saving the product"))

    def delete_selected(self) -> None:
        sel = self._selected
        if sel is None or sel[2]:
            return
        row = self.model.rows[self.table.currentIndex().row()]
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Delete product"),
                          self.tr("Delete {name} ({sku})? This cannot be undone.").format(
                              name=row.product.name, sku=row.product.sku),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.accepted.connect(lambda: self._delete(sel[0], row.product.name))
        self.confirm_box = box
        box.open()

    def _delete(self, pid: int, name: str) -> None:
        ctx = self.state.ctx

        def done(_r) -> None:
            self.status.ok(self.tr("Deleted {name}").format(name=name))
            self.model.refresh()

        self.state.tasks.write(lambda: products.remove(ctx, pid), done,
                               lambda exc: self.status.error(self.state.error_text(exc)), owner=self,
                               what=self.tr("deleting the product"))

    def open_categories(self):
        from app.ui.products.categories_dialog import CategoriesDialog

        self.dialog = CategoriesDialog(self.state, self)
        self.dialog.finished.connect(lambda _r: self.model.refresh())
        self.dialog.open()
        return self.dialog

    # --- import and export --------------------------------------------------------------------------
    def open_import(self, path: str | None = None):
        """The import wizard on a price list (``path``: a file already chosen, as tests do; else the
        wizard's first page asks for one)."""
        from app.ui.imports.wizard import ImportWizard

        self.dialog = ImportWizard(self.state, "products", path, self)
        self.dialog.finished.connect(lambda _r: self.model.refresh())
        self.dialog.imported.connect(lambda _k: self.model.refresh())
        self.dialog.open()
        return self.dialog

    def export_products(self, path: str | None = None):
        """The catalogue to a file; ``path`` (tests) skips the file dialog. The owner's password first."""
        if path is None:
            from PySide6.QtWidgets import QFileDialog

            path, _ = QFileDialog.getSaveFileName(self, self.tr("Export products"),
                                                  str(Path.home() / "products.xlsx"),
                                                  self.tr("Excel (*.xlsx);;CSV (*.csv)"))
            if not path:
                return None
        from app.ui.settings.owner_password import ask_owner

        self.password_dialog = ask_owner(self.state, self, "export", lambda ctx: self._export(ctx, path))
        return self.password_dialog

    def _export(self, ctx, path: str) -> None:
        from app.services.admin.import_products import export_products

        self.export_button.setEnabled(False)
        self.status.ok(self.tr("Exporting…"))
        lang = self.state.lang

        def done(result) -> None:
            self.export_button.setEnabled(True)
            self.status.ok(self.tr("%Ln product(s) exported to {file}", "", result.rows).format(
                file=Path(str(result.path)).name))

        def failed(exc: BaseException) -> None:
            self.export_button.setEnabled(True)
            self.status.error(self.state.error_text(exc))

        self.state.tasks.run(lambda: export_products(ctx, path, lang=lang), done, failed, pool="io", owner=self,
                             what=self.tr("exporting the products"))
