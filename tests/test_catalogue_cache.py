"""The compiled translation catalogues kept in the user's cache folder (app/i18n.py): the same
texts as compiling the .po, private files, and a damaged or foreign cache file compiled again."""
from __future__ import annotations

import os
import stat

import pytest

from app import i18n


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOPCARE_HOME", str(tmp_path / "home"))
    i18n.translations.cache_clear()
    yield tmp_path / "home"
    i18n.translations.cache_clear()


def _cached_files(home):
    return sorted((home / "cache" / "catalogues").glob("*.mo"))


def test_cached_catalogue_reads_the_same(home):
    first = i18n.translations("zh_CN")          # compiled from the .po, then cached
    [file] = _cached_files(home)
    i18n.translations.cache_clear()
    again = i18n.translations("zh_CN")          # read from the cache
    assert again._catalog == first._catalog
    assert again.pgettext("argparse", "usage: ") == "用法："
    if os.name == "posix":
        assert stat.S_IMODE(file.stat().st_mode) == 0o600


@pytest.mark.parametrize("damage", [b"", b"\xde\x12\x04\x95" + b"\0" * 10, b"not a catalogue"])
def test_damaged_cache_compiled_again(home, damage):
    i18n.translations("zh_TW")
    [file] = _cached_files(home)
    file.write_bytes(damage)
    i18n.translations.cache_clear()
    assert i18n.translations("zh_TW").pgettext("argparse", "usage: ") == "用法："


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_cache_file_others_may_write_is_not_read(home):
    i18n.translations("zh_CN")
    [file] = _cached_files(home)
    # a catalogue that would say something else, left writable by others: not used
    real = file.read_bytes()
    file.write_bytes(real.replace("用法".encode(), "XX".encode()))
    file.chmod(0o666)
    i18n.translations.cache_clear()
    assert i18n.translations("zh_CN").pgettext("argparse", "usage: ") == "用法："
