"""What every ShopCare PDF shares (reportlab): an embedded CJK font, paragraph styles, tables.

Chinese needs a TrueType font with CJK glyphs, embedded (subset) in the file so the PDF reads the
same on any machine. We look, in order, in ``resources/fonts/`` (a shop may drop its own .ttf/.ttc
there), then at the fonts the set-up installs (WenQuanYi Micro Hei on Debian/Ubuntu) and those that
come with Windows and macOS. reportlab cannot embed CFF-outline OpenType (Noto CJK .otf), so only
TrueType-outline files are tried. Without one, reportlab's built-in STSong-Light CID font is used:
it is not embedded, and the PDF then depends on the viewer's Asian fonts (the result says so).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape as _xml_escape

from app import paths

FONT = "ShopCareCJK"
_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",          # Fedora
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "C:/Windows/Fonts/msyh.ttc", "C:/Windows/Fonts/simhei.ttf", "C:/Windows/Fonts/simsun.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc", "/Library/Fonts/Arial Unicode.ttf",
)
_lock = threading.Lock()


@dataclass(frozen=True)
class FontInfo:
    name: str            # the regular face's reportlab name
    bold: str            # the bold face's (the same font when there is no bold file)
    path: str | None     # the embedded file, or None for the built-in CID font
    embedded: bool


_font: FontInfo | None = None


def _files() -> list[Path]:
    own = paths.resources_dir() / "fonts"
    shipped = sorted(p for p in own.glob("*") if p.suffix.lower() in (".ttf", ".ttc")) if own.is_dir() else []
    return shipped + [Path(p) for p in _CANDIDATES]


def cjk_font() -> FontInfo:
    """Register (once per process) and return the font every report uses."""
    global _font
    with _lock:
        if _font is not None:
            return _font
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont, TTFError

        for path in _files():
            if not path.is_file():
                continue
            try:
                pdfmetrics.registerFont(_cached_font(path, TTFont))
            except (TTFError, OSError, ValueError):
                continue  # CFF outlines, a damaged file: try the next
            # Headings use the same face one size up: the CJK fonts found here have no bold file, and
            # parsing a CJK font costs ~0.35 s a face (once per machine: see _cached_font).
            _font = FontInfo(FONT, FONT, str(path), True)
            return _font
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        _font = FontInfo("STSong-Light", "STSong-Light", None, False)
        return _font


# --- the parsed font, kept between processes ----------------------------------------------------
# reportlab parses a CJK TrueType file (30,000 characters' glyph ids and widths) every time a process
# registers it: ~0.35-0.5 s of every `shopcare report eod`. The parsed face is kept in the user's
# cache folder (private: 0700 folder, 0600 file, read only when this user owns it and nobody else
# may write it), keyed on the font file's path, size and modification time and on the reportlab
# and Python versions; the file's bytes themselves are read again from the font (they are what a
# PDF's subset is cut from). A stale, damaged or foreign cache file is ignored and parsed afresh.
_FONT_CACHE_FORMAT = 1


def _cache_file(path: Path) -> Path:
    import sys

    import reportlab

    st = path.stat()
    key = f"{_FONT_CACHE_FORMAT}|{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{reportlab.Version}|{sys.version_info[:2]}"
    return paths.cache_file("fonts", key, ".face")


def _face_state(face) -> dict:
    # _pdfScale is a lambda of unitsPerEm (rebuilt on load); _ttf_data is the font file itself.
    return {k: v for k, v in vars(face).items() if k not in ("_pdfScale", "_ttf_data")}


def _pdf_scale(units_per_em: int):
    # reportlab's own (ttfonts.TTFontFile.extractInfo): font units to 1/1000 em
    if units_per_em == 1000:
        return lambda x: x
    mult = 1000 / units_per_em
    return lambda x: x * mult


def _read_face(file: Path, path: Path):
    import pickle

    from reportlab.pdfbase.ttfonts import TTFontFace

    raw = paths.read_cache(file)   # None unless this user's own private file: never unpickled
    if raw is None:
        return None
    try:
        state = pickle.loads(raw)
    except Exception:
        return None
    data = path.read_bytes()
    if not isinstance(state, dict) or state.get("filename") != str(path) or len(data) != path.stat().st_size:
        return None
    face = TTFontFace.__new__(TTFontFace)
    face.__dict__.update(state)
    face._ttf_data = data
    face._pdfScale = _pdf_scale(face.unitsPerEm)
    return face


def _write_face(file: Path, face) -> None:
    import pickle

    paths.write_cache(file, pickle.dumps(_face_state(face), protocol=pickle.HIGHEST_PROTOCOL))


def _cached_font(path: Path, ttfont_class):
    """A reportlab TTFont named FONT for ``path`` (its first face), parsed once per machine."""
    from reportlab.pdfbase.ttfonts import TTFontFace

    try:
        file = _cache_file(path)
        face = _read_face(file, path)
    except OSError:
        file, face = None, None
    if face is None:
        face = TTFontFace(str(path), validate=0, subfontIndex=0)
        if file is not None:
            _write_face(file, face)
    font = ttfont_class.__new__(ttfont_class)
    _init_ttfont(font, face)
    return font


def _init_ttfont(font, face) -> None:
    """What ``TTFont.__init__`` does once it has parsed the face (reportlab 4-5;
    tests/test_pdf_font_cache.py compares the attributes with a font made the usual way)."""
    from fnmatch import fnmatch
    from weakref import WeakKeyDictionary

    from reportlab import rl_config
    from reportlab.pdfbase.ttfonts import TTEncoding

    font.fontName = FONT
    font.face = face
    font.encoding = TTEncoding()
    font.state = WeakKeyDictionary()
    font._asciiReadable = rl_config.ttfAsciiReadable
    font.shapable = not any(fnmatch(FONT, g) for g in getattr(rl_config, "unShapedFontGlob", ()) or ())


def escape(text: str) -> str:
    """Text from the database (names, notes), safe inside a reportlab Paragraph's markup."""
    return _xml_escape(text)


def styles():
    """Paragraph styles in the CJK font: title, heading, body, small, and right-aligned body."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    f = cjk_font()
    body = ParagraphStyle("body", fontName=f.name, fontSize=9.5, leading=13, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=body, fontName=f.bold, fontSize=17, leading=22),
        "heading": ParagraphStyle("heading", parent=body, fontName=f.bold, fontSize=11.5, leading=15,
                                  spaceBefore=9, spaceAfter=4, textColor=colors.HexColor("#1f3a5f")),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10.5, textColor=colors.HexColor("#555555")),
        "right": ParagraphStyle("right", parent=body, alignment=TA_RIGHT),
    }


def table(rows: list[list], col_widths: list[float], *, header: bool = True, numeric_from: int = 1,
          total_row: bool = False):
    """A plain ledger-style table: light rules, figures right-aligned from column ``numeric_from``."""
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    f = cjk_font()
    t = Table(rows, colWidths=col_widths, repeatRows=1 if header else 0, hAlign="LEFT")
    style = [
        ("FONTNAME", (0, 0), (-1, -1), f.name),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("LEADING", (0, 0), (-1, -1), 11.5),
        ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#d9dde3")),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if header:
        style += [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
                  ("TEXTCOLOR", (0, 0), (-1, 0), colors.HexColor("#333333"))]
    if total_row:
        style += [("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.HexColor("#333333")),
                  ("FONTNAME", (0, -1), (-1, -1), f.bold)]
    t.setStyle(TableStyle(style))
    return t


def build_a4(path, story: list, *, title: str, author: str, footer_left: str, page_label: str) -> None:
    """Lay ``story`` out on A4 pages (18 mm sides) with a small grey footer on each: ``footer_left``
    on the left and ``page_label`` (with ``{n}`` for the page number) on the right."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    font = cjk_font().name

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.setFillColor(colors.HexColor("#777777"))
        canvas.drawString(18 * mm, 10 * mm, footer_left)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, page_label.format(n=doc.page))
        canvas.restoreState()

    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=18 * mm, title=title, author=author, creator="ShopCare")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
