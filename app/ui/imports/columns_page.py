"""The import wizard's step 2, the columns: its page (each column of the file and the ShopCare field it goes
to) and the guessed or remembered mapping; a mixin of ImportWizard (app/ui/imports/wizard.py), kept apart
so each step reads on its own."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from app.errors import ImportFailed
from app.services.admin import import_mapping
from app.services.admin.import_run import IGNORE
from app.ui.imports import parts
from app.ui.widgets import pick_table


class ColumnsStep(parts.Step):
    """Step 2 of ImportWizard: the columns page's widgets and the mapping chosen on it."""

    def _columns_page(self) -> QWidget:
        page = QWidget(self)
        box = QVBoxLayout(page)
        self.columns_note = QLabel(page)
        self.columns_note.setWordWrap(True)
        box.addWidget(self.columns_note)
        self.columns_table = pick_table(page, [ColumnsStep.tr("Column in the file"), ColumnsStep.tr("Example"),
                                               ColumnsStep.tr("ShopCare field")], 1)
        self.columns_table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        box.addWidget(self.columns_table, 1)
        self.columns_error = QLabel(page)
        self.columns_error.setProperty("role", "error")
        self.columns_error.setWordWrap(True)
        box.addWidget(self.columns_error)
        self.combos: dict[str, QComboBox] = {}
        return page

    def _propose(self) -> None:
        """The remembered mapping for these headers, else the guess (read on the db worker)."""
        sample, kind, ctx = self.sample, self.kind, self.state.ctx
        self.mapping = import_mapping.guess(kind, sample.headers)
        self.remembered = False
        self._buttons()
        gen = self._gen

        def got(answer) -> None:
            if gen == self._gen and kind == self.kind:
                self.mapping, self.remembered = answer
                if self.page() == "columns":
                    self._fill_columns()

        self.state.tasks.query(lambda: import_mapping.proposed(ctx, kind, sample.headers), got,
                               lambda exc: None, owner=self, what=ColumnsStep.tr("reading the saved column choices"))

    def _fill_columns(self) -> None:
        sample, kind = self.sample, self.kind
        need = set(import_mapping.required(kind))
        choices = [(IGNORE, ColumnsStep.tr("— leave out —"))]
        extra = [c for c in self.mapping.values() if c and c not in import_mapping.columns(kind)]
        for c in (*import_mapping.fields(kind), *extra):
            choices.append((c, parts.field_name(c) + (" *" if c in need else "")))
        t = self.columns_table
        t.setRowCount(len(sample.headers))
        self.combos = {}
        for r, header in enumerate(sample.headers):
            t.setItem(r, 0, QTableWidgetItem(header))
            t.setItem(r, 1, QTableWidgetItem(sample.sample(header)))
            combo = QComboBox(t)
            for value, label in choices:
                combo.addItem(label, value)
            combo.setCurrentIndex(max(0, combo.findData(self.mapping.get(header, IGNORE))))
            combo.currentIndexChanged.connect(lambda _i, h=header, c=combo: self.set_mapping(h, c.currentData()))
            t.setCellWidget(r, 2, combo)
            self.combos[header] = combo
        t.resizeColumnToContents(0)
        t.setColumnWidth(2, 280)
        note = ColumnsStep.tr("Each column of the file goes to the ShopCare field on its right; * marks the fields "
                              "every file needs. Change any of them, or leave a column out.")
        if self.remembered:
            note += " " + ColumnsStep.tr("These are the choices made at the last import of a file with these columns.")
        self.columns_note.setText(note)
        self._show_mapping_problem()

    def set_mapping(self, header: str, canonical: str) -> None:
        self.mapping[header] = canonical or IGNORE
        combo = self.combos.get(header)
        if combo is not None and combo.currentData() != (canonical or IGNORE):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(0, combo.findData(canonical or IGNORE)))
            combo.blockSignals(False)
        self.preview_result = None
        self._show_mapping_problem()

    def _mapping_problem(self) -> str | None:
        if self.sample is None:
            return ""
        try:
            import_mapping.check(self.kind, self.mapping, self.sample.file)
        except ImportFailed as exc:
            if exc.code == "import_columns":
                missing = exc.params.get("missing", "").split(", ")
                return ColumnsStep.tr("Choose a column for: {fields}").format(
                    fields=", ".join(parts.field_name(m) for m in missing))
            if exc.code == "import_column_twice":
                column = exc.params.get("column", "")
                return ColumnsStep.tr("Two columns go to {field}: {columns}. Leave one out.").format(
                    field=parts.field_name(column), columns=exc.params.get("columns", ""))
            return self.state.error_text(exc)
        return None

    def _show_mapping_problem(self) -> None:
        problem = self._mapping_problem()
        self.columns_error.setText(problem or "")
        self._buttons()
