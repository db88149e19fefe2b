"""What a person sees of a failure nobody foresaw, and Qt's own warnings in the log.

- :class:`FaultBar`: a bar across the top of the main window with one plain sentence ("Something
  went wrong while saving the member. The details were saved.") and an "Open log folder" button;
  it shows whatever the task runner's ``fault`` signal carries (app/ui/tasks.py), and whatever
  nobody caught on the UI thread (``sys.excepthook``, which app/logs.py has already logged).
- :func:`install_qt_log`: Qt's messages (warnings from its widgets, fonts, platform plugin) go into
  the same log file (app/logs.py), at their level.
"""
from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QObject, QtMsgType, QUrl, Signal, qInstallMessageHandler
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QToolBar, QWidget

from app import paths
from app.ui import style

qt_log = logging.getLogger("app.qt")

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}
_previous_qt_handler = None


def _qt_message(mode, context, message) -> None:
    where = f" ({context.file}:{context.line})" if getattr(context, "file", None) else ""
    qt_log.log(_QT_LEVELS.get(mode, logging.WARNING), "%s%s", message, where)
    if _previous_qt_handler is not None:
        _previous_qt_handler(mode, context, message)


def install_qt_log() -> None:
    """Route Qt's messages into the log (once; the handler Qt had before still gets them)."""
    global _previous_qt_handler
    previous = qInstallMessageHandler(_qt_message)
    if previous is not _qt_message:
        _previous_qt_handler = previous


def log_folder_url() -> QUrl:
    return QUrl.fromLocalFile(str(paths.app_log_dir()))


def open_log_folder() -> bool:
    """The log folder in the system's file manager."""
    return QDesktopServices.openUrl(log_folder_url())


class _Uncaught(QObject):
    """Carries an exception nobody caught on the UI thread to the fault bars (by a queued signal:
    the hook may run inside a slot of any widget)."""

    fault = Signal(str)


_uncaught = _Uncaught()


def _show_uncaught(kind, value, tb) -> None:
    from app.errors import ShopError
    from app.ui.tasks import fault_text

    _previous_hook(kind, value, tb)
    if not isinstance(value, (ShopError, KeyboardInterrupt, SystemExit)):
        _uncaught.fault.emit(fault_text())


_previous_hook = sys.excepthook


def show_uncaught_faults() -> None:
    """After app/logs.configure: an exception nobody caught on the UI thread (a slot that raised) is
    logged there and shown on the fault bar too."""
    global _previous_hook
    if sys.excepthook is not _show_uncaught:
        _previous_hook, sys.excepthook = sys.excepthook, _show_uncaught


class FaultBar(QToolBar):
    """The sentence and the "Open log folder" button; hidden until a failure comes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("faultBar")
        self.setMovable(False)
        self.setFloatable(False)
        self.toggleViewAction().setVisible(False)
        body = QWidget(self)
        row = QHBoxLayout(body)
        row.setContentsMargins(8, 4, 8, 4)
        self.text = QLabel(body)
        self.text.setWordWrap(True)
        self.text.setStyleSheet(f"color: {style.DANGER}; font-weight: 600;")
        self.open_button = QPushButton(self.tr("Open log folder"), body)
        self.open_button.setToolTip(self.tr("The log keeps the details of every failure: send it, or a "
                                            "support bundle (Settings › Backups), to whoever helps you."))
        self.open_button.clicked.connect(open_log_folder)
        self.close_button = QPushButton(self.tr("Dismiss"), body)
        self.close_button.clicked.connect(self.hide)
        row.addWidget(self.text, 1)
        row.addWidget(self.open_button)
        row.addWidget(self.close_button)
        self.addWidget(body)
        _uncaught.fault.connect(self.show_fault)
        self.hide()

    def show_fault(self, sentence: str) -> None:
        self.text.setText(sentence)
        self.show()
