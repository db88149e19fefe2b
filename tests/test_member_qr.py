"""The member QR code: a member sale's receipt carries the member's card number as a QR code under its
caption (the python-escpos bytes, Dummy printer; GB18030 in Chinese), none when the till prints no QR
or the member has no card; the on-screen preview draws it; scanned into the till's entry line it
attaches the member."""
from __future__ import annotations

import pytest

from app.adapters.printers import EscposPrinter
from app.services.base import localconfig
from app.services.base import settings as shop_settings
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from app.services.sales.receipt import build_receipt, qr_blocks
from tests.shop import member, stock_shop

QR = b"\x1d(k"
CARD = "8800012345"


def dummy(*, qr=True):
    from escpos.printer import Dummy

    dev = Dummy()
    return EscposPrinter(localconfig.parse_printer_setting("file:/dev/null"), width_chars=48, print_qr=qr,
                         device_factory=lambda: dev), dev


@pytest.fixture
def sold(ctx):
    stock_shop(ctx)
    m = member(ctx, "13812345678", "王芳", card_no=CARD)
    sale = checkout(ctx, Cart((CartLine("COF", 1),), member_id=m.id), [Tender("cash", 10000)])
    return m, sale.receipt_no


def test_the_receipt_prints_the_members_code_after_its_own(ctx, sold):
    _m, number = sold
    receipt = build_receipt(ctx, number)
    assert receipt.member_qr == CARD
    p, dev = dummy()
    p.print_receipt(receipt, open_drawer=False)
    out = dev.output
    first = out.index(QR)
    assert number.encode() in out[first:]                          # the receipt's own code first
    caption = "会员码：结账时出示即可".encode("gb18030")
    assert caption in out and out.index(caption) > first
    second = out.index(QR, out.index(caption))
    assert CARD.encode() in out[second:]                           # then the member's card number
    assert b"13812345678" not in out


def test_no_member_code_without_qr_codes_or_a_card(ctx, sold):
    _m, number = sold
    p, dev = dummy(qr=False)
    p.print_receipt(build_receipt(ctx, number), open_drawer=False)
    assert QR not in dev.output and CARD.encode() not in dev.output
    plain = member(ctx, "13812340000", "李雷")                      # no card number
    sale = checkout(ctx, Cart((CartLine("TEA", 1),), member_id=plain.id), [Tender("cash", 10000)])
    receipt = build_receipt(ctx, sale.receipt_no)
    assert receipt.member_qr is None and [q for _c, q in qr_blocks(receipt, 48)] == [sale.receipt_no]


def test_the_caption_speaks_the_shops_language(ctx, sold):
    _m, number = sold
    for lang, words in (("en", "Member code"), ("zh_CN", "会员码"), ("zh_TW", "會員碼")):
        shop_settings.update(ctx, language=lang)
        receipt = build_receipt(ctx, number)
        caption, payload = qr_blocks(receipt, 48)[1]
        assert payload == CARD and words in " ".join(caption)


def test_the_preview_draws_both_codes(qtbot, ctx, sold):
    pytest.importorskip("pytestqt")
    from app.services.sales.receipt import layout
    from app.ui.state import AppState
    from app.ui.till.receipt_preview import ReceiptPreviewDialog, qr_matrix

    _m, number = sold
    receipt = build_receipt(ctx, number)
    state = AppState(ctx)
    plain = ReceiptPreviewDialog(state, layout(receipt, 48), receipt_no=number)
    dialog = ReceiptPreviewDialog(state, layout(receipt, 48), receipt_no=number, qr_codes=qr_blocks(receipt, 48))
    qtbot.addWidget(plain)
    qtbot.addWidget(dialog)
    assert [q for _c, q in dialog.paper.qr_codes] == [number, CARD]
    assert dialog.paper.height() > plain.paper.height() + 2 * dialog.paper.QR_PX
    m = qr_matrix(CARD)
    assert len(m) == len(m[0]) >= 21 and any(any(row) for row in m)


def test_scanning_the_members_code_at_the_till_attaches_the_member(qtbot, ctx, sold, monkeypatch):
    pytest.importorskip("pytestqt")
    from PySide6.QtCore import Qt

    from app.ui.state import AppState
    from app.ui.till import sale_actions
    from app.ui.till.screen import TillScreen

    monkeypatch.setattr(sale_actions, "print_job", lambda ctx, receipt_no, reprint: None)
    shop_settings.update(ctx, language="en")
    m, _number = sold
    state = AppState(ctx)
    till = TillScreen(state)
    qtbot.addWidget(till)
    till.show()
    qtbot.waitExposed(till)
    till.entry.setFocus()
    qtbot.keyClicks(till.entry, "COF")
    qtbot.keyClick(till.entry, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: till.model.rowCount() == 1, timeout=5000)
    qtbot.keyClicks(till.entry, CARD)                                 # the scanner reads the receipt's code
    qtbot.keyClick(till.entry, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: till.member_bar.member_id == m.id, timeout=5000)
    qtbot.waitUntil(lambda: till.model.cart.member_id == m.id, timeout=5000)
    assert till.model.rowCount() == 1                                 # no product line for it
    qtbot.keyClicks(till.entry, "NOSUCHCODE")                         # neither a product nor a card:
    qtbot.keyClick(till.entry, Qt.Key.Key_Return)                     # the owner may add it as a product
    qtbot.waitUntil(lambda: type(till.dialog).__name__ == "NewProductDialog", timeout=5000)
    till.dialog.reject()
    assert till.member_bar.member_id == m.id
    qtbot.waitUntil(lambda: not state.tasks.busy, timeout=5000)
