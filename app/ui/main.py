"""The till app's entry point. For now a placeholder home window: the shop's name, how many members
and today's sales (read through the services layer), and a note that the till screens are coming."""
from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox, QVBoxLayout, QWidget

from app.db import Database
from app.errors import ShopError, render
from app.money import format_money
from app.services import backup, setup
from app.services.context import SYSTEM, Ctx
from app.services.summary import ShopSummary, shop_summary

TEXTS = {
    "members": ("Members", "会员"),
    "sales_today": ("Sales today", "今日销售"),
    "coming": ("The till screens are coming in the next version. Meanwhile, use the command line: "
               "shopcare --help", "收银界面将在下一版本提供。目前请使用命令行：shopcare --help"),
}


def _t(key: str, lang: str) -> str:
    en, zh = TEXTS[key]
    return zh if lang.startswith("zh") else en


class HomeWindow(QMainWindow):
    def __init__(self, summary: ShopSummary, lang: str | None = None) -> None:
        super().__init__()
        lang = lang or summary.language
        self.setWindowTitle("ShopCare")
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(32, 24, 32, 24)
        layout.setSpacing(14)

        self.shop_label = QLabel(summary.shop_name, body)
        font = QFont(self.shop_label.font())
        font.setPointSize(font.pointSize() + 10)
        font.setBold(True)
        self.shop_label.setFont(font)
        layout.addWidget(self.shop_label)

        colon = "：" if lang.startswith("zh") else ": "
        self.members_label = QLabel(f"{_t('members', lang)}{colon}{summary.members}", body)
        money = format_money(summary.sales_today_total, summary.currency, "zh_CN" if lang.startswith("zh") else "en")
        self.sales_label = QLabel(f"{_t('sales_today', lang)}{colon}{summary.sales_today}（{money}）"
                                  if lang.startswith("zh") else
                                  f"{_t('sales_today', lang)}{colon}{summary.sales_today} ({money})", body)
        for label in (self.members_label, self.sales_label):
            f = QFont(label.font())
            f.setPointSize(f.pointSize() + 3)
            label.setFont(f)
            layout.addWidget(label)

        self.coming_label = QLabel(_t("coming", lang), body)
        self.coming_label.setWordWrap(True)
        self.coming_label.setStyleSheet("color: #555;")
        layout.addWidget(self.coming_label)
        layout.addStretch(1)
        self.setCentralWidget(body)
        self.resize(640, 360)


def open_shop(db_url: str | None = None, till: str = "T1") -> Ctx:
    """The database brought to head after a backup (the app upgrades on start), with defaults."""
    db = Database(db_url)
    backup.upgrade_with_backup(db)
    ctx = Ctx(db=db, actor=SYSTEM, till=till)
    setup.ensure_defaults(ctx)
    return ctx


def main(argv: list[str] | None = None, *, db_url: str | None = None, lang: str | None = None) -> int:
    import os

    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    app.setApplicationName("ShopCare")
    try:
        ctx = open_shop(db_url or os.environ.get("SHOPCARE_DB"), os.environ.get("SHOPCARE_TILL") or "T1")
        summary = shop_summary(ctx)
    except ShopError as exc:
        QMessageBox.critical(None, "ShopCare", render(exc, lang or "en"))
        return 2
    window = HomeWindow(summary, lang)
    window.show()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
