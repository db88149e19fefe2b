"""A PDF shown as its pages, printable: what the owner sees is the very file that prints.

Pages are rendered by PDFium (pypdfium2) on the io worker into QImages (safe off the UI thread);
printing renders again at the printer's resolution and paints on the QPrinter, on the worker too
(QPainter may paint a QPrinter outside the UI thread).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

PREVIEW_DPI = 96


def render_pages(path: str | Path, dpi: int = PREVIEW_DPI) -> list[QImage]:
    """Every page of the PDF at ``dpi``, as QImages (worker thread)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    try:
        images = []
        for i in range(len(doc)):
            bitmap = doc[i].render(scale=dpi / 72, rev_byteorder=True, prefer_bgrx=True)
            image = QImage(bitmap.buffer, bitmap.width, bitmap.height, bitmap.stride, QImage.Format.Format_RGBX8888)
            images.append(image.copy())  # own the pixels: the bitmap's buffer goes with the document
        return images
    finally:
        doc.close()


def print_pdf(path: str | Path, printer) -> int:
    """Paint every page of the PDF on ``printer`` at its resolution; returns the page count."""
    dpi = min(printer.resolution(), 300)
    pages = render_pages(path, dpi)
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("the printer could not be opened")
    try:
        for i, image in enumerate(pages):
            if i:
                printer.newPage()
            area = painter.viewport()
            scaled = image.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.drawImage(area.x(), area.y(), image.scaled(scaled, Qt.AspectRatioMode.KeepAspectRatio,
                                                                Qt.TransformationMode.SmoothTransformation))
    finally:
        painter.end()
    return len(pages)


class PdfPreview(QScrollArea):
    """Pages one under the other on a grey desk."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.desk = QWidget(self)
        self.desk.setStyleSheet("background: #e4e7ec;")
        self.column = QVBoxLayout(self.desk)
        self.column.setContentsMargins(16, 16, 16, 16)
        self.column.setSpacing(14)
        self.column.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setWidget(self.desk)
        self.pages: list[QLabel] = []

    def show_pages(self, images: list[QImage]) -> None:
        self.clear()
        for image in images:
            page = QLabel(self.desk)
            pixmap = QPixmap.fromImage(image)
            page.setPixmap(pixmap)
            page.setFixedSize(pixmap.size() + QSize(2, 2))  # whole pages: never squeezed to the viewport
            page.setStyleSheet("background: white; border: 1px solid #c3c8d0;")
            self.column.addWidget(page)
            self.pages.append(page)
        self.verticalScrollBar().setValue(0)

    def clear(self) -> None:
        for page in self.pages:
            self.column.removeWidget(page)
            page.deleteLater()
        self.pages = []
