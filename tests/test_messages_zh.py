"""Group 17 of the hardening issue: a refusal reads in the user's language, field and setting names
included; the reason a service gives (why=…) is shown in Chinese too, not in English inside Chinese."""
from __future__ import annotations

import re

import pytest

from app.errors import ShopError, render
from app.services.admin import backup
from app.services.sales import catalog
from app.services.members import member_export, member_list
from app.services.base import settings


def _refusal(fn) -> ShopError:
    with pytest.raises(ShopError) as err:
        fn()
    return err.value


ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


def _chinese_only(err: ShopError, *allowed: str) -> str:
    """The Chinese sentence, with no English word in it but the ones ``allowed`` (paths, codes)."""
    zh = render(err, "zh_CN")
    left = zh
    for word in allowed:
        left = left.replace(word, "")
    assert not ENGLISH_WORD.findall(left), zh
    return zh


def test_setting_refusals_name_the_setting_and_the_reason_in_chinese(ctx):
    err = _refusal(lambda: settings.update(ctx, ebill_default="maybe"))
    assert render(err, "en") == "Setting e-bills by default: true or false"
    assert _chinese_only(err) == "设置项 默认发送电子账单：应为 是 或 否"
    err = _refusal(lambda: catalog.add_product(ctx, sku="X1", name="Tea", price=100, kind="gift"))
    assert "类型" in _chinese_only(err) and "次卡" in render(err, "zh_CN")
    err = _refusal(lambda: member_list.first_page(ctx, "", sort="age"))
    assert "排序方式" in _chinese_only(err, *member_list.SORTS)


def test_file_refusals_say_why_in_chinese(ctx, tmp_path):
    if ctx.db.is_sqlite:  # backup and restore work on a SQLite file only
        missing = tmp_path / "nowhere" / "copy.db"
        err = _refusal(lambda: backup.backup(ctx.db, missing))
        assert "不存在" in _chinese_only(err, str(missing.parent))
        err = _refusal(lambda: backup.restore(ctx.db, tmp_path / "no-such.db"))
        assert "不存在" in _chinese_only(err, str(tmp_path / "no-such.db"))
    out = tmp_path / "nowhere" / "members.csv"
    err = _refusal(lambda: member_export.export_members(ctx, out))
    assert "文件夹不存在" in _chinese_only(err, str(out))
