"""The on-screen receipt after a sale, out of the cashier's way: a small window at the right edge of
the till that never takes the keyboard (the scan box keeps it) and closes itself as soon as the next
item is typed or scanned, or the cart changes. No extra Esc between two customers."""
from __future__ import annotations

from PySide6.QtCore import Qt
from shiboken6 import isValid

from app.ui.till.receipt_preview import ReceiptPreviewDialog


def show_beside(till, lines: list[str], receipt_no: str | None, qr_codes=()):
    """Show ``lines`` (and the QR codes below them) beside ``till`` (replacing a preview still open);
    returns the preview."""
    old = getattr(till, "preview_dialog", None)
    if old is not None and isValid(old):
        old.close()
    dialog = ReceiptPreviewDialog(till.state, list(lines), till, receipt_no=receipt_no, qr_codes=qr_codes)
    dialog.setModal(False)
    # a tool window: above the till, no task-bar entry, shown without taking the keyboard
    dialog.setWindowFlag(Qt.WindowType.Tool, True)
    dialog.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, True)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    for button in (dialog.print_button, dialog.close_button):
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    dialog.adjustSize()
    host = till.window()
    area = host.frameGeometry()
    height = min(dialog.height(), max(300, area.height() - 80))
    dialog.resize(dialog.width(), height)
    dialog.move(area.right() - dialog.width() - 24, area.top() + 60)
    till.preview_dialog = dialog

    def close_on_next(*_args) -> None:
        if isValid(dialog) and dialog.isVisible() and (till.entry.text() or till.model.cart.lines):
            dialog.close()

    till.entry.textEdited.connect(close_on_next)
    till.model.modelReset.connect(close_on_next)
    dialog.destroyed.connect(lambda *_: _disconnect(till, close_on_next))
    dialog.show()
    host.activateWindow()
    till.entry.setFocus()
    return dialog


def _disconnect(till, slot) -> None:
    if not isValid(till):
        return
    for signal in (till.entry.textEdited, till.model.modelReset):
        try:
            signal.disconnect(slot)
        except (RuntimeError, TypeError):
            pass
