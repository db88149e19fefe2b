"""The keys that find a product as the cashier types: name, pinyin initials (拿铁 -> "nt"), pinyin
syllables, SKU, barcodes and category, each kept with every suffix so that a prefix search through
the index finds a match anywhere ("lj" finds 西湖龙井). Pure functions: the catalogue stores them,
the migration that brought them in computed them the same way."""
from __future__ import annotations

import re
from functools import lru_cache
from itertools import chain

KEY_LEN = 64                       # the column's width; a longer suffix is cut (a prefix search still finds it)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_KEEP = re.compile(r"[^0-9a-z\u3400-\u9fff\uf900-\ufaff]+")


def normalise(text: str) -> str:
    """What is compared: lower case, letters, digits and Chinese characters only."""
    return _KEEP.sub("", (text or "").strip().lower())


def _suffixes(s: str) -> set[str]:
    return {s[i:i + KEY_LEN] for i in range(len(s))}


def _pinyin(name: str) -> tuple[str, list[str]]:
    """(initials, syllables): 西湖龙井 Latte -> ("xhljlatte", ["xi", "hu", "long", "jing", "latte"])."""
    syllables = [w for part in _lazy_pinyin(name) if (w := normalise(part))]
    initials = [_initial(ch) if _CJK.match(ch) else ch.lower()
                for ch in re.findall(r"[\u3400-\u9fff\uf900-\ufaff]|[0-9a-zA-Z]+", name)]
    return "".join(initials), syllables


# lazy_pinyin(text) is its segmenter's words, each converted on its own (pypinyin.core.Pinyin): the
# same, with each word's reading kept per process. Converting is most of the cost and a catalogue
# repeats its words (茶, 咖啡, 250g), so an import of 100,000 products converts a few thousand.
# pypinyin loads its dictionaries on first use (0.15 s): the till imports this module but computes
# keys only when a product is saved or imported.
@lru_cache(maxsize=1)
def _converter():
    from pypinyin.converter import DefaultConverter
    from pypinyin.core import Pinyin

    return Pinyin(DefaultConverter())


def _lazy_pinyin(text: str) -> list[str]:
    return [py for word in _converter().seg(text) for py in _word_pinyin(word)]


@lru_cache(maxsize=65536)
def _word_pinyin(word: str) -> tuple[str, ...]:
    from pypinyin import Style

    return tuple(chain.from_iterable(_converter()._converter.convert(word, Style.NORMAL, False, "default",
                                                                      strict=True)))


@lru_cache(maxsize=8192)
def _initial(ch: str) -> str:
    """One character's pinyin initial, as read alone; kept per process (an import of 100,000
    products asks for the same few thousand characters again and again)."""
    from pypinyin import lazy_pinyin

    py = lazy_pinyin(ch)
    return normalise(py[0])[:1] if py else ""


def product_keys(name: str, sku: str, barcodes: list[str] | tuple[str, ...] = (), category: str = "") -> set[str]:
    """Every key stored for one product."""
    keys: set[str] = set()
    n = normalise(name)
    keys |= _suffixes(n)
    initials, syllables = _pinyin(name)
    keys |= _suffixes(initials)
    keys |= {"".join(syllables[i:])[:KEY_LEN] for i in range(len(syllables))}
    for code in (sku, *barcodes):
        if normalise(code):
            keys.add(normalise(code)[:KEY_LEN])
    keys |= _category_keys(category)
    keys.discard("")
    return keys


@lru_cache(maxsize=1024)
def _category_keys(category: str) -> frozenset[str]:
    """A category's keys (a shop has a few dozen categories, shared by thousands of products)."""
    c = normalise(category)
    return frozenset((c[:KEY_LEN], _pinyin(category)[0][:KEY_LEN])) if c else frozenset()


def prefix_range(query: str) -> tuple[str, str] | None:
    """The (low, high) bounds of keys that start with the typed text, or None when there is none."""
    q = normalise(query)[:KEY_LEN]
    return (q, q + "\U0010ffff") if q else None
