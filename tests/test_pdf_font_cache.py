"""The parsed CJK font kept between processes (app/services/reports/pdf.py): the same font as
reportlab's own parse, the same PDF bytes, a private cache file, and a foreign one ignored."""
from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from app.services.reports import pdf

FONT_FILE = next((Path(p) for p in pdf._CANDIDATES if Path(p).is_file() and p.endswith((".ttc", ".ttf"))), None)
pytestmark = pytest.mark.skipif(FONT_FILE is None, reason="no TrueType CJK font on this machine")


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOPCARE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _parsed():
    from reportlab.pdfbase.ttfonts import TTFont

    return TTFont(pdf.FONT, str(FONT_FILE), subfontIndex=0)


def _cached():
    from reportlab.pdfbase.ttfonts import TTFont

    return pdf._cached_font(FONT_FILE, TTFont)


def _pdf_bytes(font) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfgen import canvas

    pdfmetrics._fonts.pop(pdf.FONT, None)
    pdfmetrics.registerFont(font)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.setFont(pdf.FONT, 12)
    c.drawString(72, 720, "日终报表 會員 Member ¥1,234.50 点数 點數")
    c.showPage()
    c.save()
    return buf.getvalue()


def test_cached_font_is_reportlabs_font():
    first = _cached()              # parsed, and written to the cache
    files = list((pdf._cache_file(FONT_FILE)).parent.glob("*.face"))
    assert len(files) == 1
    again = _cached()              # read from the cache
    fresh = _parsed()
    for font in (first, again):
        assert set(vars(font)) == set(vars(fresh))
        assert set(vars(font.face)) == set(vars(fresh.face))
        assert font.face.charToGlyph == fresh.face.charToGlyph
        assert font.face.charWidths == fresh.face.charWidths
        assert font.face._ttf_data == fresh.face._ttf_data
        assert font.face._pdfScale(1234) == fresh.face._pdfScale(1234)
        assert font.shapable == fresh.shapable and font._asciiReadable == fresh._asciiReadable
    assert _pdf_bytes(again) == _pdf_bytes(fresh)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_cache_file_private_and_foreign_ignored(monkeypatch):
    _cached()
    file = pdf._cache_file(FONT_FILE)
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(file.parent.stat().st_mode) == 0o700
    # a file others could have written is never unpickled: the font is parsed again
    file.chmod(0o666)
    read = []
    real = pdf._read_face
    monkeypatch.setattr(pdf, "_read_face", lambda f, p: read.append(real(f, p)) or read[-1])
    font = _cached()
    assert read == [None]
    assert font.face.charWidths == _parsed().face.charWidths


def test_damaged_cache_file_parsed_again():
    _cached()
    file = pdf._cache_file(FONT_FILE)
    file.write_bytes(b"not a pickle")
    file.chmod(0o600)
    font = _cached()
    assert font.face.charToGlyph == _parsed().face.charToGlyph
