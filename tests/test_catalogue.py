"""One standard catalogue for every text of the ``shopcare`` domain (services, errors, the command
line, receipts, PDFs, default text templates): gettext PO files read through app/i18n, complete in
Simplified and Traditional Chinese, with no language name compared anywhere else."""
from __future__ import annotations

import ast
import importlib.util
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from app import i18n
from app.errors import PermissionDenied, ShopError, ValidationError, render
from app.services.base import settings
from app.services.base.permissions import action_name
from app.services.reports import eod, eod_pdf
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from app.services.sales.receipt import build_receipt, items_line, layout
from app.services.texts import templates
from tests.shop import fund, member, stock_shop

ROOT = Path(__file__).resolve().parent.parent
DAY = date(2026, 3, 2)   # the conftest clock's day


def _tool():
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "scripts" / "i18n.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def tool():
    return _tool()


@pytest.fixture(scope="module")
def extracted(tool):
    return tool.extract()


# --- the catalogues ------------------------------------------------------------------------------
def test_the_template_holds_every_text_the_code_has(tool, extracted):
    pot = tool.read_catalog(tool.POT)
    assert tool._keys(extracted) == tool._keys(pot), "run: python scripts/i18n.py extract && ... update"
    assert len(extracted) > 600   # errors, CLI, receipt, PDFs, templates… all of them, not a sample


@pytest.mark.parametrize("lang", ["zh_CN", "zh_TW"])
def test_every_text_is_translated_and_reviewed(tool, extracted, lang):
    po = tool.read_catalog(tool.po_path(lang), lang)
    missing = []
    for m in extracted:
        if not m.id:
            continue
        t = po.get(m.id, m.context)
        if t is None or t.fuzzy or not tool._translated(t):
            missing.append((m.context, m.id))
    assert not missing, missing[:10]


@pytest.mark.parametrize("lang", ["zh_CN", "zh_TW"])
def test_each_translation_has_the_placeholders_of_its_english(tool, extracted, lang):
    po = tool.read_catalog(tool.po_path(lang), lang)
    wrong = []
    for m in extracted:
        if not m.id:
            continue
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        want = sorted(set().union(*(tool.placeholders(i) for i in ids)))
        t = po.get(m.id, m.context)
        for s in ([t.string] if isinstance(t.string, str) else list(t.string)):
            if tool.placeholders(s) != want:
                wrong.append((m.context, ids[0], s))
    assert not wrong, wrong[:10]


def test_the_check_command_agrees(tool):
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "i18n.py"), "check"], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "catalogues complete" in proc.stdout


def test_traditional_chinese_uses_the_words_of_a_taiwan_shop():
    tw = {k: i18n.gettext("zh_TW", v, context=c) for k, (c, v) in {
        "wallet": ("method:wallet", "Stored value"), "points": ("method:points", "Points"),
        "member": ("receipt:member", "Member"), "reprint": ("receipt:reprint", "*** REPRINT ***"),
        "eod": ("eod:title", "End-of-day member report"), "backup": ("cli:backup_done", "Backup written and checked: {path}"),
    }.items()}
    assert tw == {"wallet": "儲值", "points": "點數", "member": "會員", "reprint": "*** 重印 ***",
                  "eod": "會員日結報表", "backup": "備份已寫入並通過驗證：{path}"}
    text = " ".join(i18n.gettext("zh_TW", m) for m in ("The database cannot be read: {why}",))
    assert "資料庫" in text
    # Simplified-only characters never reach a Traditional text
    po = _tool().read_catalog(_tool().po_path("zh_TW"), "zh_TW")
    simplified = set("会储积费简据试单录数库设备统户额签")
    leaks = [m.string for m in po if m.id and any(ch in simplified for ch in "".join(
        [m.string] if isinstance(m.string, str) else m.string))]
    assert not leaks, leaks[:5]


# --- no language names outside app/i18n.py -------------------------------------------------------
_LANG_LITERAL = ("zh", "zh_CN", "zh_TW", "zh-CN", "zh-TW", "zh_HK", "en", "en_US", "zh_Hans", "zh_Hant")


def _language_comparisons(path: Path) -> list[str]:
    """Where ``path`` compares a value with a language name or asks startswith("zh")."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def is_lang(node: ast.AST) -> bool:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value in _LANG_LITERAL
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return any(is_lang(e) for e in node.elts)
        return False

    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and (is_lang(node.left) or any(is_lang(c) for c in node.comparators)):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("startswith", "endswith") and node.args and is_lang(node.args[0])):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_only_the_i18n_module_compares_language_names():
    files = [p for p in (ROOT / "app").rglob("*.py")
             if p != ROOT / "app" / "i18n.py" and (ROOT / "app" / "ui") not in p.parents]
    assert len(files) > 50
    found = [hit for p in files for hit in _language_comparisons(p)]
    assert not found, "ask app.i18n (normalise, is_han, babel_locale, pick) instead: " + ", ".join(found)


def test_the_language_check_sees_the_ways_code_compares(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('zh = lang.startswith("zh")\nok = lang == "zh_CN"\nx = lang in ("en", "zh_CN")\n'
                   'y = "en" if lang.lower().startswith("zh") else "zh_CN"\n', encoding="utf-8")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert len(_language_comparisons(bad)) == 4
    finally:
        ROOT = saved


# --- one function renders any text in any language ------------------------------------------------
def test_an_error_raised_with_neutral_values_reads_in_every_language():
    err = ValidationError("member_required", method="wallet")
    assert render(err, "en") == "Stored value needs a member attached to the sale"
    assert render(err, "zh_CN") == "储值需要先选择会员"
    assert render(err, "zh_TW") == "儲值需要先選擇會員"
    assert render(err, "zh-Hant-HK") == render(err, "zh_TW") and render(err, "fr") == render(err, "en")
    denied = PermissionDenied("permission_denied", role="cashier", action=action_name("refund"))
    assert render(denied, "en") == "A cashier may not refund a sale"
    assert render(denied, "zh_CN") == "收银员无权退款" and render(denied, "zh_TW") == "收銀員無權退款"
    why = ShopError("backup_failed", why=i18n.L_("folder {path} does not exist", path="/mnt/usb"))
    assert str(why) == "Backup failed: folder /mnt/usb does not exist"
    assert render(why, "zh_TW") == "備份失敗：資料夾 /mnt/usb 不存在"


def test_english_counts_take_the_plural_they_need():
    from app.cli import msg

    assert items_line(1, "en") == "1 item" and items_line(3, "en") == "3 items"
    assert items_line(3, "zh_TW") == "共 3 件"
    assert msg("backups_rotated", "en", n=1).startswith("1 old backup removed")
    assert msg("backups_rotated", "en", n=4).startswith("4 old backups removed")
    assert msg("members_exported", "en", rows=1, path="m.csv") == "1 member written to m.csv (recorded in the audit log)"
    assert msg("members_exported", "en", rows=2, path="m.csv").startswith("2 members written to")
    assert msg("outbox_recovered", "en", n=1).startswith("1 text interrupted while sending is now")
    assert msg("members_exported", "zh_TW", rows=2, path="m.csv") == "已匯出 2 位會員到 m.csv（已記入稽核日誌）"
    one, two = (ShopError("tier_in_use", name="Gold", count=n) for n in (1, 2))
    assert render(one, "en") == "Tier Gold cannot be deleted: 1 member holds it"
    assert render(two, "en") == "Tier Gold cannot be deleted: 2 members hold it"
    assert render(two, "zh_TW") == "等級「Gold」有 2 位會員，不能刪除"
    assert render(ShopError("import_rows", file="m.csv", count=1), "en") == "m.csv: 1 bad row; nothing was imported"


# --- receipts, PDFs, templates and the command line in zh_TW ---------------------------------------
@pytest.fixture
def tw_sale(ctx):
    stock_shop(ctx)
    settings.update(ctx, shop_name="街角茶咖", language="zh_TW")
    m = member(ctx, phone="13812345678", name="王芳")
    fund(ctx, m.id, principal=10_000)
    sale = checkout(ctx, Cart((CartLine("COF", 2), CartLine("TEA")), member_id=m.id),
                    [Tender("wallet", 5_000), Tender("cash", 20_000)])
    return ctx, sale


def test_a_receipt_reads_in_traditional_chinese_on_screen_and_on_paper(tw_sale, tmp_path):
    from app.adapters.printers import printer_from_setting

    ctx, sale = tw_sale
    receipt = build_receipt(ctx, sale.receipt_no)
    assert receipt.lang == "zh_TW"
    text = "\n".join(layout(receipt, 32))
    for word in ("會員", "儲值", "點數餘額", "合計", "共 3 件", "謝謝惠顧"):
        assert word in text, text
    assert "会员" not in text and "储值" not in text
    target = tmp_path / "receipt.bin"
    printer_from_setting(f"file:{target}", paper_mm=58).print_receipt(receipt, open_drawer=False)
    out = target.read_bytes()
    assert out.startswith(b"\x1b@\x1c\x26")                  # init, then Chinese mode
    for word in ("會員", "儲值", "王芳"):
        assert word.encode("gb18030") in out
    body = out[out.index(b"\x1c\x21\x00") + 3:out.index(b"\x1d(k")]
    assert "儲值" in body.decode("gb18030") and "會員" in body.decode("gb18030")


def test_the_end_of_day_pdf_reads_in_traditional_chinese_with_its_glyphs_embedded(tw_sale, tmp_path):
    ctx, _ = tw_sale
    report = eod.eod_report(ctx, DAY)
    out = eod_pdf.write_eod_pdf(report, tmp_path / "eod.pdf", "zh_TW")
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    for word in ("會員日結報表", "儲值", "點數", "付款方式", "錢箱", "頁"):
        assert word in text, word
    assert "会员" not in text and "储值" not in text
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    assert any(r.split()[1] == "TrueType" and r.split()[-5] == "yes" for r in fonts.splitlines()[2:]), fonts
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(out), str(tmp_path / "p")], check=True)
    assert (tmp_path / "p-1.png").stat().st_size > 5_000


def test_default_templates_and_the_opt_out_line_read_in_traditional_chinese(ctx):
    settings.update(ctx, language="zh_TW")
    text = templates.compose(ctx, "birthday", "zh_TW", {"name": "王芳"})
    assert "王芳" in text and "生日快樂" in text and text.count("回T退訂") == 1 and "退订" not in text
    assert templates.default_text("ebill_sale", "zh_TW").count("點數") == 1
    assert "Happy birthday" in templates.compose(ctx, "birthday", "en", {"name": "Fang"})


def test_the_shop_and_the_command_line_speak_zh_TW(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("SHOPCARE_DB", "SHOPCARE_TILL", "LC_ALL", "LC_MESSAGES", "LANG", "DISPLAY",
                        "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(SHOPCARE_HOME=str(tmp_path / "home"), LANG="zh_TW.UTF-8", PYTHONPATH=str(ROOT))

    def run(*args):
        proc = subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True,
                              encoding="utf-8", env=env, cwd=ROOT, timeout=300)
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc

    assert run("init").returncode == 0
    check = run("check")
    assert check.returncode == 0 and "正常：未發現問題" in check.stdout, check.stdout + check.stderr
    assert "1 稽核紀錄" in check.stdout or "稽核紀錄" in check.stdout
    bad = run("--lang", "zh_TW", "report", "eod", "--date", "2026-02-30")
    assert bad.returncode == 2 and "不是有效日期" in bad.stderr, bad.stderr
    assert "is not a date" in run("--lang", "en", "report", "eod", "--date", "2026-02-30").stderr


# --- the converter the merger re-runs ----------------------------------------------------------
def test_import_tuples_moves_a_new_pair_into_the_catalogue_and_leaves_the_english(tool, tmp_path):
    module = tmp_path / "labels.py"
    module.write_text('from __future__ import annotations\n\nfrom app.errors import ShopError\n\n'
                      'LABELS: dict[str, tuple[str, str]] = {\n'
                      '    "hello": ("Hello {name}",\n              "你好 {name}"),\n'
                      '    "kept": NC_("x:kept", "Kept"),\n}\n', encoding="utf-8")
    pairs = tool.convert_file(module, [("LABELS", "x:")])
    assert pairs == [("x:hello", "Hello {name}", "你好 {name}")]
    src = module.read_text(encoding="utf-8")
    assert '"hello": NC_("x:hello", "Hello {name}"),' in src and "你好" not in src
    assert "LABELS: dict[str, str] = {" in src and "from app.i18n import NC_\n" in src
    ast.parse(src)
    assert tool.convert_file(module, [("LABELS", "x:")]) == []        # a second run finds nothing to do
    assert tool.to_tw("积分和短信，打印小票") == "點數和簡訊，列印收據"


def test_a_pair_not_yet_imported_still_reads_in_chinese():
    assert i18n.entry("zh_CN", ("Brand-new label", "全新标签"), context="x:new") == "全新标签"
    assert i18n.entry("en", ("Brand-new label", "全新标签"), context="x:new") == "Brand-new label"


def test_the_shop_can_choose_traditional_chinese(ctx):
    assert settings.update(ctx, language="zh_TW").language == "zh_TW"
    with pytest.raises(ValidationError) as bad:
        settings.update(ctx, language="fr")
    assert "zh_TW" in render(bad.value, "en")
    assert shutil.which("pdftotext")   # the PDF tests above read the files back with poppler


def test_a_region_in_an_error_reads_as_its_name_in_the_readers_language():
    """A phone refused for region CN names China, 中国 or 中國, never the bare code."""
    from app.errors import ValidationError, render

    err = ValidationError("phone_invalid", value="123", region="CN")
    assert render(err, "en").endswith("for China")
    assert "中国电话号码" in render(err, "zh_CN") and "中國電話號碼" in render(err, "zh_TW")
    assert "CN" not in render(err, "zh_CN")
