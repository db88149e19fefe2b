"""The locale's number symbols kept in the user's cache folder (app/money.py ``_plain_symbols``):
what babel itself writes, a private file, and a damaged or foreign file worked out again."""
from __future__ import annotations

import json
import os
import stat

import pytest
from babel.numbers import format_decimal

from app import money


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOPCARE_HOME", str(tmp_path / "home"))
    money._plain_symbols.cache_clear()
    yield tmp_path / "home"
    money._plain_symbols.cache_clear()


def _files(home):
    return sorted((home / "cache" / "numbers").glob("*.json"))


@pytest.mark.parametrize("locale", ["en", "zh_CN", "zh_TW", "de_DE", "fr_FR"])
def test_the_cached_symbols_write_what_babel_writes(home, locale):
    first = money._plain_symbols(locale)
    [file] = _files(home)
    money._plain_symbols.cache_clear()
    assert money._plain_symbols(locale) == first            # read back from the file
    assert json.loads(file.read_text()) == (list(first) if first else None)
    for value in (0, 7, -1234567, 123456789):
        assert money.format_int(value, locale) == format_decimal(value, locale=locale)
    if os.name == "posix":
        assert stat.S_IMODE(file.stat().st_mode) == 0o600


@pytest.mark.parametrize("damage", [b"", b"[1, 2]", b"not json", b'["a", "b", 3]'])
def test_a_damaged_file_is_worked_out_again(home, damage):
    money._plain_symbols("en")
    [file] = _files(home)
    file.write_bytes(damage)
    money._plain_symbols.cache_clear()
    assert money._plain_symbols("en") == (".", ",", "-")
    assert json.loads(file.read_text()) == [".", ",", "-"]   # and written again


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_file_others_may_write_is_not_trusted(home):
    money._plain_symbols("en")
    [file] = _files(home)
    file.write_text(json.dumps(["!", "?", "~"]))
    file.chmod(0o666)
    money._plain_symbols.cache_clear()
    assert money.format_int(-1234, "en") == "-1,234"


@pytest.fixture
def fresh_money():
    money._money_shape.cache_clear()
    yield
    money._money_shape.cache_clear()


@pytest.mark.parametrize("locale", ["en", "zh_CN", "zh_TW", "en_GB", "de_DE", "fr_FR", "zh_Hant_HK", "ar_EG"])
@pytest.mark.parametrize("currency", ["CNY", "TWD", "HKD", "USD", "EUR", "JPY", "KWD"])
def test_amounts_read_as_babel_writes_them_from_the_cache_too(home, fresh_money, locale, currency):
    import random

    amounts = [0, 1, -1, 99, 100, -100, 10 ** 12, -(10 ** 12)] + random.Random(locale + currency).sample(
        range(-10 ** 9, 10 ** 9), 40)
    first = [money.format_money(m, currency, locale) for m in amounts]
    assert first == [money._babel_money(m, currency, locale) for m in amounts]
    money._money_shape.cache_clear()                       # now from the file
    assert [money.format_money(m, currency, locale) for m in amounts] == first


def test_a_foreign_money_file_is_not_trusted(home, fresh_money):
    assert money.format_money(-123456, "CNY", "en") == "-CN¥1,234.56"
    [file] = sorted((home / "cache" / "money").glob("*.json"))
    file.write_text(json.dumps(["$", "", "($", ")", ".", ","]))
    if os.name == "posix":
        file.chmod(0o666)
        money._money_shape.cache_clear()
        assert money.format_money(-123456, "CNY", "en") == "-CN¥1,234.56"
