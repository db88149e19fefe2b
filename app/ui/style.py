"""One look for every screen: Fusion, a calm palette, large type where the cashier reads it."""
from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

ACCENT = "#1f6feb"
DANGER = "#c62828"
OK = "#2e7d32"
MUTED = "#6b7280"
WARNING = "#b45309"   # something lapses soon (points about to expire)

STYLE = f"""
QWidget {{ font-size: 14px; }}
QMainWindow, QDialog {{ background: #f6f7f9; }}
QPushButton {{ padding: 6px 14px; border: 1px solid #c9ced6; border-radius: 6px; background: white; }}
QPushButton:hover {{ border-color: {ACCENT}; }}
QPushButton:default, QPushButton[primary="true"] {{ background: {ACCENT}; color: white; border-color: {ACCENT}; }}
QPushButton:disabled {{ color: #a0a6b0; background: #eef0f3; }}
QLineEdit, QComboBox, QSpinBox, QDateEdit, QPlainTextEdit, QTextEdit {{
    padding: 5px 8px; border: 1px solid #c9ced6; border-radius: 6px; background: white; }}
QComboBox {{ selection-background-color: {ACCENT}; selection-color: white; }}
QLineEdit:focus, QComboBox:focus, QSpinBox:focus {{ border-color: {ACCENT}; }}
QLineEdit[invalid="true"] {{ border-color: {DANGER}; background: #fff5f5; }}
QComboBox QAbstractItemView {{ background: white; color: #1b1f24; border: 1px solid #c9ced6; outline: 0;
    selection-background-color: {ACCENT}; selection-color: white; }}
QComboBox QAbstractItemView::item {{ min-height: 26px; padding: 2px 8px; color: #1b1f24; background: white; }}
QComboBox QAbstractItemView::item:hover, QComboBox QAbstractItemView::item:selected {{
    background: {ACCENT}; color: white; }}
QTableView {{ background: white; border: 1px solid #d8dce3; border-radius: 6px; gridline-color: #eceff3;
    selection-background-color: #dbe9ff; selection-color: black; }}
QHeaderView::section {{ background: #eef1f5; padding: 6px; border: none; border-bottom: 1px solid #d8dce3;
    font-weight: 600; }}
QListWidget#nav {{ background: #1e2a3a; color: #dfe6ef; border: none; font-size: 15px; padding-top: 8px; }}
QListWidget#nav::item {{ padding: 14px 18px; }}
QListWidget#nav::item:selected {{ background: {ACCENT}; color: white; }}
QLabel[role="error"] {{ color: {DANGER}; }}
QLabel[role="muted"] {{ color: {MUTED}; }}
QLabel[role="warning"] {{ color: {WARNING}; }}
QLabel[role="title"] {{ font-size: 20px; font-weight: 600; }}
QLabel[role="big"] {{ font-size: 30px; font-weight: 700; }}
QFrame[card="true"] {{ background: white; border: 1px solid #d8dce3; border-radius: 8px; }}
QTabWidget::pane {{ border: 1px solid #d8dce3; border-radius: 6px; background: white; }}
QTabBar::tab {{ padding: 8px 16px; }}
"""

CJK_FAMILIES = ("Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "Source Han Sans SC")


def apply(app: QApplication) -> None:
    app.setStyle("Fusion")
    families = set(QFontDatabase.families())
    base = app.font()
    for family in CJK_FAMILIES:
        if family in families:
            # Latin text keeps the default family; Chinese falls back to the CJK one.
            base = QFont([base.family(), family])
            break
    base.setPointSize(max(base.pointSize(), 10))
    app.setFont(base)
    app.setStyleSheet(STYLE)
