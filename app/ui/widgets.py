"""What several screens share: small widgets and helpers, the base of the paged table models and the
base of the till's list dialogs. Public names only; screens import them from here."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import (QAbstractTableModel, QCoreApplication, QDate, QEvent, QModelIndex, QPoint, QRect, QSize, Qt,
                            Signal)
from PySide6.QtWidgets import (QAbstractItemView, QDateEdit, QDialog, QDoubleSpinBox, QHBoxLayout, QHeaderView,
                               QLabel, QLayout, QPushButton, QSizePolicy, QTableView, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)
from shiboken6 import isValid

from app.ui import style

_ROOT = QModelIndex()


# --- results from the worker ---------------------------------------------------------------------
def alive(widget, fn):
    """``fn`` wrapped to do nothing once ``widget`` is gone: a result arriving from a worker after its
    screen or dialog was closed is dropped, not applied to a deleted widget."""
    if fn is None:
        return None

    def call(*args):
        if isValid(widget):
            fn(*args)
    return call


def run(widget, fn, on_done=None, on_error=None, *, pool: str = "db", what: str | None = None) -> int:
    """``widget.state.tasks.query`` with callbacks that only fire while ``widget`` still exists."""
    return widget.state.tasks.query(fn, alive(widget, on_done), alive(widget, on_error), pool=pool, owner=widget,
                                    what=what)


# --- small widgets -------------------------------------------------------------------------------
class FlowLayout(QLayout):
    """Items left to right, wrapping onto the next line when the width runs out (Qt's flow layout
    example): a row of key hints that stays whole on a narrow screen instead of widening it."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list = []
        self._gap = spacing
        # Qt asks for the minimum size and the height at a width many times in one layout pass
        # (each asking every item): the till's key strip's first layout spent ~50 ms in here. Both
        # are kept until Qt invalidates the layout (an item added, a label's text changed).
        self._min: QSize | None = None
        self._heights: dict[int, int] = {}

    def invalidate(self) -> None:
        self._min = None
        self._heights.clear()
        super().invalidate()

    def addItem(self, item) -> None:  # noqa: N802 (Qt's name)
        self._items.append(item)
        self._min = None
        self._heights.clear()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int):  # noqa: N802
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int):  # noqa: N802
        self._min = None
        self._heights.clear()
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self):  # noqa: N802
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        height = self._heights.get(width)
        if height is None:
            height = self._heights[width] = self._place(QRect(0, 0, width, 0), move=False)
        return height

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # noqa: N802
        if self._min is None:
            size = QSize()
            for item in self._items:
                size = size.expandedTo(item.minimumSize())
            m = self.contentsMargins()
            self._min = size + QSize(m.left() + m.right(), m.top() + m.bottom())
        return QSize(self._min)

    def _place(self, rect: QRect, *, move: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, line = area.x(), area.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > area.right() + 1 and line > 0:
                x, y, line = area.x(), y + line + self._gap, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._gap
            line = max(line, hint.height())
        return y + line - rect.y() + m.bottom()


class ErrorLabel(QLabel):
    """A red message under a field or a form. It keeps its room (``lines`` lines of text) whether
    shown or hidden, so a message appearing never moves the fields below it: a click aimed at the
    next field lands there. A longer message is cut at that height; its tooltip has all of it."""

    def __init__(self, parent: QWidget | None = None, lines: int = 2) -> None:
        super().__init__(parent)
        self.lines = lines
        self.setProperty("role", "error")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        policy = self.sizePolicy()
        policy.setVerticalPolicy(QSizePolicy.Policy.Fixed)
        policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
        policy.setRetainSizeWhenHidden(True)
        self.setSizePolicy(policy)

    def _height(self) -> int:
        m = self.contentsMargins()
        return self.lines * self.fontMetrics().lineSpacing() + m.top() + m.bottom() + 2

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return False  # the same height whatever the text: that is the point

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(200, self._height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, self._height())

    def setText(self, text: str) -> None:  # noqa: N802
        super().setText(text)
        self.setToolTip(text)

    # Hidden, it stays in its layout, only unpainted: a QFormLayout drops a row whose field is hidden
    # whatever its size policy says, and the rows below would jump when the message appears.
    _showing = True

    def setVisible(self, visible: bool) -> None:  # noqa: N802
        self._showing = bool(visible)
        if self.parentWidget() is None:
            super().setVisible(visible)
            return
        super().setVisible(True)
        self.update()

    def isHidden(self) -> bool:  # noqa: N802
        return not self._showing or super().isHidden()

    def isVisible(self) -> bool:  # noqa: N802
        return self._showing and super().isVisible()

    def isVisibleTo(self, ancestor) -> bool:  # noqa: N802
        return self._showing and super().isVisibleTo(ancestor)

    def paintEvent(self, event) -> None:  # noqa: N802
        if self._showing:
            super().paintEvent(event)

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip and not self._showing:
            return True   # no tooltip for a message that is not there
        return super().event(event)


def error_label(parent: QWidget, lines: int = 2) -> ErrorLabel:
    """A red line under a field or a form, hidden until there is something wrong to say; it takes
    its room even while hidden (``ErrorLabel``)."""
    label = ErrorLabel(parent, lines)
    label.hide()
    return label


class Status(QLabel):
    """One line under a tab's buttons: what was saved, or why not."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.clear()

    def ok(self, text: str) -> None:
        self.setStyleSheet(f"color: {style.OK};")
        self.setText(text)

    def error(self, text: str) -> None:
        self.setStyleSheet(f"color: {style.DANGER};")
        self.setText(text)


def button_row(*widgets: QWidget) -> QHBoxLayout:
    """Buttons side by side, from the left."""
    row = QHBoxLayout()
    for w in widgets:
        row.addWidget(w)
    row.addStretch(1)
    return row


def closing_buttons(dialog: QDialog, cancel_text: str, ok_text: str, on_ok, *, left: QWidget | None = None,
                    default: bool = False) -> tuple[QHBoxLayout, QPushButton, QPushButton]:
    """A dialog's bottom row: ``left`` (a note, optional), then Cancel (rejects) and the primary
    button (calls ``on_ok``) on the right; Enter in a field presses the primary one only when
    ``default`` (a dialog whose fields answer Enter themselves leaves it off)."""
    row = QHBoxLayout()
    if left is not None:
        row.addWidget(left)
    row.addStretch(1)
    cancel = QPushButton(cancel_text, dialog)
    cancel.clicked.connect(dialog.reject)
    ok = QPushButton(ok_text, dialog)
    ok.setProperty("primary", True)
    ok.clicked.connect(on_ok)
    for b in (cancel, ok):
        b.setAutoDefault(False)
        row.addWidget(b)
    ok.setDefault(default)
    return row, ok, cancel


def pick_table(parent: QWidget, headers: list[str], stretch: int) -> QTableWidget:
    """A read-only table of ``headers`` where a click picks one whole row; column ``stretch`` takes
    the room left, the others fit their contents."""
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


def capped(layout, parent: QWidget, width: int = 680) -> QWidget:
    """A form that does not stretch across a wide window."""
    holder = QWidget(parent)
    holder.setLayout(layout)
    holder.setMaximumWidth(width)
    layout.setContentsMargins(0, 0, 0, 0)
    return holder


def int_spin(parent: QWidget, low: int, high: int) -> QDoubleSpinBox:
    """A whole-number field (a QDoubleSpinBox without decimals renders cleanly under the app's style sheet)."""
    spin = QDoubleSpinBox(parent)
    spin.setDecimals(0)
    spin.setRange(low, high)
    return spin


def row_table(parent: QWidget, model, *, row_height: int, striped: bool = False) -> QTableView:
    """A read-only table of ``model`` where a click picks one whole row (the lists of the till,
    members and outbox)."""
    table = QTableView(parent)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(striped)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(row_height)
    return table


class DateField(QDateEdit):
    """A date, or none (shown as "Any")."""

    NONE = QDate(2000, 1, 1)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd")
        self.setMinimumDate(self.NONE)
        self.setSpecialValueText(QCoreApplication.translate("OutboxTab", "Any date"))
        self.setDate(self.NONE)
        self.setMinimumWidth(130)

    def value(self) -> date | None:
        d = self.date()
        return None if d == self.NONE else date(d.year(), d.month(), d.day())

    def set_value(self, d: date | None) -> None:
        self.setDate(self.NONE if d is None else QDate(d.year, d.month, d.day))


class Tab(QWidget):
    """What every settings-like tab shares: the app state, a status line and the owner-only save buttons."""

    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.status = Status(self)
        self.save_buttons: list[QPushButton] = []

    def run(self, fn, on_done=None, *, pool: str = "db", busy: list[QWidget] | None = None,
            what: str | None = None) -> None:
        busy = busy or []
        for w in busy:
            w.setEnabled(False)

        def done(result):
            for w in busy:
                w.setEnabled(True)
            self.apply_permissions()
            if on_done is not None:
                on_done(result)

        def failed(exc):
            for w in busy:
                w.setEnabled(True)
            self.apply_permissions()
            self.status.error(self.state.error_text(exc))

        self.state.tasks.run(fn, done, failed, pool=pool, owner=self, what=what)

    def can_change(self) -> bool:
        return self.state.role_allowed("change_settings")

    def apply_permissions(self) -> None:
        for b in self.save_buttons:
            b.setEnabled(self.can_change())

    def load(self) -> None:  # pragma: no cover - each tab overrides
        pass


# --- paged table models --------------------------------------------------------------------------
class PagedTableModel(QAbstractTableModel):
    """A table fed page by page by the database worker.

    Each new query bumps a generation number: pages still on their way for an older query are dropped
    when they arrive, and queued work for one is skipped before it starts. Subclasses say what the
    columns are (``COLUMNS``), whether there is more to fetch (``has_more``), and how to fetch."""

    failed = Signal(str)            # an error, in the user's language
    busy_changed = Signal(bool)
    COLUMNS: list = []              # (key, header marked with QT_TRANSLATE_NOOP, ...) per column
    CONTEXT = ""                    # the headers' translation context
    RIGHT: frozenset = frozenset()  # the keys of the columns aligned right (amounts, counts)

    def __init__(self, state, parent=None, page_size: int = 200) -> None:
        super().__init__(parent)
        self.state = state
        self.page_size = page_size
        self.rows: list = []
        self._generation = 0
        self._fetching = False
        self.pages_loaded = 0

    # --- subclasses --------------------------------------------------------------------------------
    @property
    def has_more(self) -> bool:  # pragma: no cover - each model overrides
        return False

    def _no_more(self) -> None:  # pragma: no cover - each model overrides
        pass

    def _forget(self) -> None:
        """Drop what the model knows of the last query (besides its rows), as a new one starts."""

    # --- paging ------------------------------------------------------------------------------------
    def _restart(self) -> int:
        """Empty the table for a new query; the generation its pages must carry."""
        self._generation += 1
        self.beginResetModel()
        self.rows = []
        self.pages_loaded = 0
        self._forget()
        self.endResetModel()
        return self._generation

    def _request(self, gen: int, work, on_page) -> None:
        """Run ``work`` on the worker for generation ``gen``; ``on_page`` gets its answer if still current."""
        self._set_fetching(True)

        def fetch():
            if gen != self._generation:   # a newer query came in while this one waited: skip it
                return None
            return work()

        def done(page) -> None:
            if gen != self._generation or page is None:
                return  # stale: an older query's answer
            self._set_fetching(False)
            on_page(page)

        self.state.tasks.run(fetch, done, lambda exc: self._error(gen, exc))

    def _insert(self, rows) -> None:
        if rows:
            start = len(self.rows)
            self.beginInsertRows(_ROOT, start, start + len(rows) - 1)
            self.rows.extend(rows)
            self.endInsertRows()

    def _error(self, gen: int, exc: BaseException) -> None:
        if gen != self._generation:
            return
        self._set_fetching(False)
        self._no_more()
        self.failed.emit(self.state.error_text(exc))

    def _set_fetching(self, on: bool) -> None:
        if self._fetching != on:
            self._fetching = on
            self.busy_changed.emit(on)

    @property
    def fetching(self) -> bool:
        return self._fetching

    def canFetchMore(self, parent=_ROOT) -> bool:  # noqa: N802 (Qt's name)
        return not parent.isValid() and self.has_more and not self._fetching

    # --- rows --------------------------------------------------------------------------------------
    def _at(self, index):
        """The row shown at ``index`` and its column's key, or None outside the rows."""
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        return self.rows[index.row()], self.COLUMNS[index.column()][0]

    def row_of(self, row_id: int) -> int:
        return next((i for i, r in enumerate(self.rows) if r.id == row_id), -1)

    def _replace(self, row) -> None:
        """Show a changed row in place (if it is loaded)."""
        i = self.row_of(row.id)
        if i >= 0:
            self.rows[i] = row
            self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.COLUMNS) - 1))

    def rowCount(self, parent=_ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=_ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def align(self, key: str) -> int:
        """How the column ``key``'s cells and header are aligned."""
        return int((Qt.AlignmentFlag.AlignRight if key in self.RIGHT else Qt.AlignmentFlag.AlignLeft)
                   | Qt.AlignmentFlag.AlignVCenter)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return QCoreApplication.translate(self.CONTEXT, self.COLUMNS[section][1])
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole:
            return self.align(self.COLUMNS[section][0])
        return None


# --- the till's list dialogs -----------------------------------------------------------------------
class ListDialog(QDialog):
    """A list from a service to pick one row from: a read-only table, a hint line and buttons on the
    right, the last one the primary action. Subclasses ``build`` it with their texts (in their own
    translation context), ``load()`` the rows and say what each key does."""

    def __init__(self, state, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.rows: list = []

    def build(self, *, title: str, size: tuple[int, int], headers: list[str], stretch: int, loading: str) -> None:
        self.setWindowTitle(title)
        self.resize(*size)
        layout = QVBoxLayout(self)
        self.table = pick_table(self, headers, stretch)
        layout.addWidget(self.table, 1)
        self.message = QLabel(loading, self)
        self.message.setProperty("role", "muted")
        layout.addWidget(self.message)
        self._buttons = QHBoxLayout()
        self._buttons.addStretch(1)
        layout.addLayout(self._buttons)

    def add_buttons(self, *texts: str) -> list[QPushButton]:
        """The buttons, left to right; the last is the primary one."""
        made = []
        for text in texts:
            b = QPushButton(text, self)
            b.setAutoDefault(False)
            self._buttons.addWidget(b)
            made.append(b)
        made[-1].setProperty("primary", True)
        return made

    def load(self, fetch, show) -> None:
        """``fetch`` on the worker; its rows to ``show``, or its error on the hint line."""
        run(self, fetch, show, self.failed)

    def failed(self, exc: BaseException) -> None:
        self.message.setText(self.state.error_text(exc))

    def fill(self, rows, cells, *, right: frozenset[int] = frozenset()) -> list[list[QTableWidgetItem]]:
        """Show ``rows`` (``cells(row)`` gives each one's texts), columns in ``right`` aligned right."""
        self.rows = list(rows)
        self.table.setRowCount(len(self.rows))
        items = []
        for r, row in enumerate(self.rows):
            line = []
            for c, text in enumerate(cells(row)):
                item = QTableWidgetItem(text)
                if c in right:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
                line.append(item)
            items.append(line)
        return items

    def current(self):
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows and self.rows else None
