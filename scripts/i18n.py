#!/usr/bin/env python3
"""The translator's tool for the ``shopcare`` domain (services, errors, CLI, receipts, PDFs, default
text templates). See docs/translations.md.

    python scripts/i18n.py extract          # the code's texts -> resources/locale/shopcare.pot
    python scripts/i18n.py update           # merge the POT into every language's PO (like pybabel update)
    python scripts/i18n.py check            # POT current; every text translated, not fuzzy, same {placeholders}
    python scripts/i18n.py import-tuples    # (English, Chinese) tuples left in the code -> zh_CN PO,
                                            # the code keeps NC_(context, English); then extract + update
    python scripts/i18n.py draft-tw [--force]   # zh_TW drafts from zh_CN: OpenCC s2twp + the shop glossary
    python scripts/i18n.py from-json        # resources/i18n_svc/<lang>/*.json ({context: {English: text}},
                                            # context "" for none) into the POs; then delete the JSON

The message id is the English text. Tables keyed by a code mark their English with
``NC_(context, English)`` and the context names the entry (an error's code, ``cli:<key>``…), so one
English string can read two ways. Extraction is babel's standard python extractor (babel.cfg).
"""
from __future__ import annotations

import argparse
import ast
import io
import json
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "resources" / "locale"
POT = LOCALE / "shopcare.pot"
MAPPING = ROOT / "babel.cfg"
TEMPLATES = ROOT / "resources" / "templates" / "default.json"
LANGS = ("zh_CN", "zh_TW")
DOMAIN = "shopcare"

# The gettext-style functions of app/i18n.py, as babel keyword specs (argument positions, 1-based;
# (n, "c") is the msgctxt). T_/gettext/ngettext take the language first; ``text`` is not a keyword:
# babel's tokenizer loses its place on a variable or an sqlalchemy ``text(...)`` of that name.
KEYWORDS = {
    "N_": None,
    "NC_": ((1, "c"), 2),
    "NN_": (1, 2),
    "L_": None,
    "T_": (2,),
    "gettext": (2,),
    "ngettext": (2, 3),
}

# (file, table, context prefix): module-level dicts whose entries were (English, Chinese) tuples. An
# error code's context is the code itself; every other table prefixes its key.
TABLES = (
    ("app/error_texts.py", "CATALOGUE", ""),
    ("app/error_texts.py", "FIELD_LABELS", "field:"),
    ("app/error_texts.py", "ROLE_NAMES", "role:"),
    ("app/error_texts.py", "PAYMENT_METHODS", "method:"),
    ("app/cli/messages.py", "MESSAGES", "cli:"),
    ("app/cli/care.py", "CARE_RULE_NAMES", "care_rule:"),
    ("app/services/sales/receipt.py", "LABELS", "receipt:"),
    ("app/services/reports/eod_pdf.py", "LABELS", "eod:"),
    ("app/services/reports/statement_pdf.py", "LABELS", "statement:"),
    ("app/services/base/permissions.py", "ACTION_NAMES", "action:"),
    ("app/services/base/text_rules.py", "FIELDS", "text_field:"),
    ("app/services/care/engine.py", "OCCASIONS", "occasion:"),
    ("app/services/care/engine.py", "TASK_REASONS", "task_reason:"),
    ("app/services/analytics/rfm.py", "SEGMENT_NAMES", "segment:"),
)

PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)(?:[^{}]*)\}")


def placeholders(text: str) -> list[str]:
    """The ``{name}`` placeholders of a text, sorted (format specs and counts left out)."""
    return sorted(set(PLACEHOLDER.findall(text or "")))


# --- extract -------------------------------------------------------------------------------------
def _mapping() -> tuple[list, dict]:
    from babel.messages import frontend

    parse = getattr(frontend, "parse_mapping_cfg", None) or frontend.parse_mapping
    with MAPPING.open(encoding="utf-8") as fh:
        return parse(fh)


def template_defaults() -> dict[str, dict[str, str]]:
    return json.loads(TEMPLATES.read_text(encoding="utf-8"))


def extract() -> Catalog:
    """Every text of the shopcare domain, as babel finds it in the code, plus the default templates."""
    cat = Catalog(project="ShopCare", domain=DOMAIN, charset="utf-8", fuzzy=False,
                  copyright_holder="ShopCare", msgid_bugs_address="")
    method_map, options_map = _mapping()
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True):
        if not message or (isinstance(message, tuple) and not message[0]) or message == "":
            continue
        cat.add(message, None, [(filename.replace("\\", "/"), lineno)], auto_comments=comments, context=context)
    for kind, texts in template_defaults().items():
        cat.add(texts["en"], None, [("resources/templates/default.json", 0)], context=f"template:{kind}",
                auto_comments=["A default text template: keep every {placeholder}; SMS length counts."])
    return cat


def _keys(cat: Catalog) -> set:
    return {(m.id if isinstance(m.id, str) else tuple(m.id), m.context) for m in cat if m.id}


def write_catalog(cat: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    write_po(buf, cat, width=100, include_lineno=False, ignore_obsolete=True)
    data = buf.getvalue()
    # POT-Creation-Date / PO-Revision-Date change on every run; keep the file unchanged when only they would.
    if path.exists():
        old = path.read_bytes()
        strip = re.compile(rb'^"(POT-Creation-Date|PO-Revision-Date): .*\\n"\n', re.M)
        if strip.sub(b"", old) == strip.sub(b"", data):
            return
    path.write_bytes(data)


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale, domain=DOMAIN)


def cmd_extract() -> Catalog:
    cat = extract()
    write_catalog(cat, POT)
    print(f"{POT.relative_to(ROOT)}: {len(cat)} texts")
    return cat


# --- update --------------------------------------------------------------------------------------
def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def cmd_update() -> None:
    pot = read_catalog(POT)
    for lang in LANGS:
        path = po_path(lang)
        if path.exists():
            po = read_catalog(path, lang)
        else:
            po = Catalog(locale=lang, domain=DOMAIN, project="ShopCare", charset="utf-8", fuzzy=False)
        po.update(pot, no_fuzzy_matching=False, update_header_comment=False)
        write_catalog(po, path)
        missing = sum(1 for m in po if m.id and (not _translated(m) or m.fuzzy))
        print(f"{path.relative_to(ROOT)}: {len(po)} texts, {missing} to translate or review")


# --- check ---------------------------------------------------------------------------------------
def _translated(m) -> bool:
    strs = m.string if isinstance(m.string, (list, tuple)) else [m.string]
    return bool(strs) and all(s for s in strs)


def problems() -> list[str]:
    """Everything a translator or a developer still has to do; empty when the catalogues are complete."""
    out: list[str] = []
    fresh = extract()
    if not POT.exists():
        return [f"{POT.relative_to(ROOT)} is missing: run scripts/i18n.py extract"]
    pot = read_catalog(POT)
    new, gone = _keys(fresh) - _keys(pot), _keys(pot) - _keys(fresh)
    for key in sorted(new, key=str)[:20]:
        out.append(f"POT: not extracted yet (run extract, update): {key}")
    for key in sorted(gone, key=str)[:20]:
        out.append(f"POT: no longer in the code (run extract, update): {key}")
    for lang in LANGS:
        path = po_path(lang)
        if not path.exists():
            out.append(f"{lang}: no PO file (run update)")
            continue
        po = read_catalog(path, lang)
        for m in fresh:
            if not m.id:
                continue
            t = po.get(m.id, m.context)
            where = f"{lang}: {m.context + ' | ' if m.context else ''}{m.id if isinstance(m.id, str) else m.id[0]!r}"
            if t is None:
                out.append(f"{where}: not in the PO (run update)")
            elif t.fuzzy:
                out.append(f"{where}: fuzzy (review it, then remove the fuzzy flag)")
            elif not _translated(t):
                out.append(f"{where}: not translated")
            else:
                ids = [m.id] if isinstance(m.id, str) else list(m.id)
                want = sorted(set().union(*(placeholders(i) for i in ids)))
                strs = [t.string] if isinstance(t.string, str) else list(t.string)
                for s in strs:
                    if placeholders(s) != want:
                        out.append(f"{where}: placeholders {placeholders(s)} != {want}")
    return out


def cmd_check() -> int:
    found = problems()
    for line in found:
        print(line)
    print("catalogues complete" if not found else f"{len(found)} problem(s)")
    return 1 if found else 0


# --- import-tuples -------------------------------------------------------------------------------
def _is_pair(node: ast.AST) -> bool:
    return (isinstance(node, ast.Tuple) and len(node.elts) == 2
            and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts))


def _table_node(tree: ast.Module, name: str) -> ast.AST | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return node
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            return node
    return None


def _offsets(src: bytes) -> list[int]:
    starts, pos = [0], 0
    for line in src.splitlines(keepends=True):
        pos += len(line)
        starts.append(pos)
    return starts


def convert_file(path: Path, tables: list[tuple[str, str]], write: bool = True) -> list[tuple[str, str, str]]:
    """Rewrite ``"key": ("English", "中文")`` in the named tables of ``path`` as
    ``"key": NC_("<prefix>key", "English")``; return (context, English, Chinese) for each."""
    src = path.read_bytes()
    text = src.decode("utf-8")
    tree = ast.parse(text)
    starts = _offsets(src)
    edits: list[tuple[int, int, bytes]] = []
    pairs: list[tuple[str, str, str]] = []

    def span(node: ast.AST) -> tuple[int, int]:
        return starts[node.lineno - 1] + node.col_offset, starts[node.end_lineno - 1] + node.end_col_offset

    for name, prefix in tables:
        node = _table_node(tree, name)
        if node is None or not isinstance(node.value, ast.Dict):
            continue
        for k, v in zip(node.value.keys, node.value.values):
            if not (isinstance(k, ast.Constant) and isinstance(k.value, str) and _is_pair(v)):
                continue
            ctx = prefix + k.value
            en_node, zh_node = v.elts
            # a Chinese-only value ({name_zh}) is the same value, neutral, now (errors.render)
            pairs.append((ctx, en_node.value, re.sub(r"\{(\w+)_zh\}", r"{\1}", zh_node.value)))
            a, b = span(en_node)
            edits.append((*span(v), b"NC_(" + json.dumps(ctx).encode() + b", " + src[a:b] + b")"))
        ann = getattr(node, "annotation", None)
        if ann is not None:
            seg = src[slice(*span(ann))]
            if b"tuple[str, str]" in seg:
                edits.append((*span(ann), seg.replace(b"tuple[str, str]", b"str")))
    if not edits or not write:
        return pairs
    out = src
    for a, b, new in sorted(edits, reverse=True):
        out = out[:a] + new + out[b:]
    if not re.search(rb"^from app\.i18n import .*\bNC_\b", out, re.M) and not re.search(rb"^from app import i18n\b", out, re.M):
        out = _add_import(out)
    path.write_bytes(out)
    return pairs


def _add_import(src: bytes) -> bytes:
    """Add ``from app.i18n import NC_`` among the module's ``from app…`` imports, in sorted place."""
    m = re.search(rb"^from app\.i18n import (.*)$", src, re.M)
    if m:
        return src[:m.start(1)] + b"NC_, " + src[m.start(1):]
    lines = src.split(b"\n")
    line = b"from app.i18n import NC_"
    ours = [i for i, x in enumerate(lines) if x.startswith(b"from app") and not x.startswith(b"from app.i18n")]
    top = [i for i in ours if i < 200]
    if top:
        at = next((i for i in top if lines[i].split()[1] > b"app.i18n"), top[-1] + 1)
    else:
        at = next((i + 2 for i, x in enumerate(lines) if x.startswith(b"from __future__")), 0)
        line += b"\n"
    lines.insert(at, line)
    return b"\n".join(lines)


def import_templates(write: bool = True) -> list[tuple[str, str, str]]:
    """Default templates' zh_CN texts -> (context, English, Chinese); the JSON keeps English only."""
    data = template_defaults()
    pairs = [(f"template:{k}", v["en"], v["zh_CN"]) for k, v in data.items() if v.get("zh_CN")]
    if pairs and write:
        clean = {k: {"en": v["en"]} for k, v in data.items()}
        TEMPLATES.write_text(json.dumps(clean, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return pairs


def cmd_import_tuples(dry_run: bool = False) -> None:
    by_file: dict[str, list[tuple[str, str]]] = {}
    for file, name, prefix in TABLES:
        by_file.setdefault(file, []).append((name, prefix))
    pairs: list[tuple[str, str, str]] = []
    for file, tables in by_file.items():
        path = ROOT / file
        if path.exists():
            found = convert_file(path, tables, write=not dry_run)
            if found:
                print(f"{file}: {len(found)} pair(s)")
            pairs += found
    pairs += import_templates(write=not dry_run)
    if dry_run:
        print(f"{len(pairs)} pair(s) would be imported")
        return
    cmd_extract()
    cmd_update()
    path = po_path("zh_CN")
    po = read_catalog(path, "zh_CN")
    n = 0
    for ctx, en, zh in pairs:
        m = po.get(en, ctx or None)
        if m is None:
            po.add(en, zh, context=ctx or None)
        else:
            m.string, m.flags = zh, {f for f in m.flags if f != "fuzzy"}
        n += 1
    write_catalog(po, path)
    print(f"{path.relative_to(ROOT)}: {n} translation(s) imported")
    cmd_draft_tw(force=False)


# --- zh_TW drafts --------------------------------------------------------------------------------
# After OpenCC s2twp (Taiwan phrasing), the words a shop in Taiwan or Hong Kong uses at the till.
# Applied in order; reviewed by hand in the PO afterwards (a draft never overwrites a translation).
TW_GLOSSARY: tuple[tuple[str, str], ...] = (
    # the till's words
    ("積分", "點數"), ("短信", "簡訊"), ("短訊", "簡訊"), ("小票", "收據"), ("打印", "列印"), ("印表", "列印"),
    ("結賬", "結帳"), ("電子賬單", "電子帳單"), ("賬單", "帳單"), ("賬", "帳"), ("儲值支付", "儲值"),
    ("充值", "加值"), ("營銷", "行銷"), ("演示", "示範"), ("復購", "回購"), ("尾號後四位", "末四碼"),
    ("支付方式", "付款方式"), ("支付", "付款"), ("手工", "手動"), ("待稽核", "待審核"), ("對我們的支援", "對我們的支持"), ("的支援，送您", "的支持，送您"),
    ("回復", "回覆"), ("計劃", "計畫"), ("公曆", "國曆"), ("手機號碼", "手機號"), ("手機號", "手機號碼"),
    ("4 周", "4 週"),
    # SMS are counted with 則 in Taiwan
    ("條傳送中斷的簡訊", "則傳送中斷的簡訊"), ("一條 ShopCare", "一則 ShopCare"), ("簡訊條數", "簡訊則數"),
    # computers
    ("數據庫", "資料庫"), ("數據", "資料"), ("信息", "資訊"), ("消息", "訊息"), ("文件夾", "資料夾"),
    ("用戶", "使用者"), ("審計", "稽核"), ("默認", "預設"), ("設置", "設定"), ("導出", "匯出"), ("導入", "匯入"),
    ("文件", "檔案"), ("服務器", "伺服器"), ("網絡", "網路"), ("質量", "品質"), ("視頻", "影片"),
    ("二維碼", "QR Code"), ("程式碼", "代碼"), ("指令碼", "指令稿"), ("進位制", "進位"), ("服務專案", "服務項目"),
    ("型別", "類型"), ("模板", "範本"), ("響應", "回應"), ("超時", "逾時"), ("IP 地址", "IP 位址"),
    ("地址", "網址"), ("單元格", "儲存格"), ("獲取", "取得"), ("引數", "參數"), ("校驗", "驗證"),
    ("庫版本", "函式庫版本"), ("libusb 庫", "libusb 函式庫"),
    # 紀錄 is the noun, 記錄 the verb
    ("記錄", "紀錄"), ("已紀錄為", "已記錄為"), ("未紀錄", "未記錄"),
    # rows are 列 and columns 欄 in Taiwan (the other way round from the mainland's 行 and 列)
    ("缺少列", "缺少欄位"), ("檔案中的列為", "檔案中的欄位為"), ("：列 {columns}", "：欄位 {columns}"),
    ("最後一列之後", "最後一欄之後"), ("第 {row} 行", "第 {row} 列"), ("第 {rows} 行", "第 {rows} 列"),
    ("{count} 行錯誤", "{count} 列錯誤"), ("拒絕 {rejected} 行", "拒絕 {rejected} 列"), ("錯誤行", "錯誤列"),
    ("資料行", "資料列"), ("該行在", "該列在"), ("第 {line} 行", "第 {line} 項"), ("一行退貨", "一項退貨"),
    # Taiwan's punctuation and characters
    ("箇", "個"), ("臺", "台"), ("“", "「"), ("”", "」"), ("‘", "『"), ("’", "』"),
    # the screens' words (one glossary for both catalogues)
    ("賬戶", "帳戶"), ("賬號", "帳號"), ("審計日誌", "稽核紀錄"), ("掃碼", "掃描"), ("模版", "範本"), ("門店", "店家"), ("店鋪", "店家"),
    ("回訪", "回電"), ("新建", "新增"), ("登錄", "登入"), ("激活", "啟用"), ("專案", "項目"), ("稽核記錄", "稽核紀錄"), ("按回車", "按 Enter"),
    ("回車", "Enter"), ("添加", "新增"), ("當前", "目前"), ("發件箱", "寄件匣"), ("網關回復", "閘道器回覆"), ("網關", "閘道器"), ("發送", "傳送"),
    ("示例", "範例"), ("自定義", "自訂"), ("生成", "產生"), ("紙質", "紙本"), ("恢復", "還原"), ("主機名稱", "主機名"), ("主機名", "主機名稱"),
    ("列印QR", "列印 QR"), ("許可權", "權限"), ("到 U 盤", "到隨身碟"), ("U 盤", "隨身碟"), ("條簡訊", "則簡訊"), ("流水", "明細"),
    ("補打", "補印"), ("錄入", "輸入"), ("{points} 分", "{points} 點"), ("{points} 點數", "{points} 點"), ("天后", "天後"),
    ("匹配", "符合"), ("退出", "結束"), ("查詢", "搜尋"),
)


def to_tw(text: str, cc=None) -> str:
    if cc is None:
        import opencc

        cc = opencc.OpenCC("s2twp")
    out = cc.convert(text)
    for a, b in TW_GLOSSARY:
        out = out.replace(a, b)
    return out


def cmd_draft_tw(force: bool = False) -> None:
    try:
        import opencc
    except ImportError:
        print("draft-tw needs OpenCC: pip install -e '.[test]' (or pip install opencc)", file=sys.stderr)
        raise SystemExit(2)
    cc = opencc.OpenCC("s2twp")
    cn = read_catalog(po_path("zh_CN"), "zh_CN")
    tw_path = po_path("zh_TW")
    tw = read_catalog(tw_path, "zh_TW")
    n = 0
    for m in cn:
        if not m.id or not _translated(m) or m.fuzzy:
            continue
        t = tw.get(m.id, m.context)
        if t is not None and _translated(t) and not t.fuzzy and not force:
            continue
        string = [to_tw(s, cc) for s in m.string] if isinstance(m.string, (list, tuple)) else to_tw(m.string, cc)
        if t is None:
            tw.add(m.id, string, context=m.context, locations=m.locations, auto_comments=m.auto_comments)
        else:
            t.string, t.flags = string, {f for f in t.flags if f != "fuzzy"}
        n += 1
    write_catalog(tw, tw_path)
    print(f"{tw_path.relative_to(ROOT)}: {n} draft(s) from zh_CN (OpenCC s2twp + glossary): read them")


JSON_DIR = ROOT / "resources" / "i18n_svc"


def cmd_from_json() -> None:
    """Translations a branch kept beside the PO (so two branches never edit one PO hunk): every
    ``<lang>/*.json`` entry goes into that language's PO (clearing a fuzzy flag). Run update first."""
    if not JSON_DIR.is_dir():
        return
    for folder in sorted(p for p in JSON_DIR.iterdir() if p.is_dir()):
        path = po_path(folder.name)
        po = read_catalog(path, folder.name)
        n = 0
        for file in sorted(folder.glob("*.json")):
            for context, entries in json.loads(file.read_text(encoding="utf-8")).items():
                for english, text in entries.items():
                    m = po.get(english, context=context or None)
                    if m is None:
                        print(f"{file.relative_to(ROOT)}: not in the catalogue: {context}|{english}")
                        continue
                    m.string = tuple(text) if isinstance(text, list) else text   # a list: plural forms
                    m.flags.discard("fuzzy")
                    n += 1
        write_catalog(po, path)
        print(f"{path.relative_to(ROOT)}: {n} texts from JSON")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="scripts/i18n.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("extract", help="the code's texts -> resources/locale/shopcare.pot")
    sub.add_parser("update", help="merge the POT into each language's PO")
    sub.add_parser("check", help="exit 1 unless every text is translated (not fuzzy, same placeholders)")
    imp = sub.add_parser("import-tuples", help="(English, Chinese) tuples in the code -> zh_CN PO")
    imp.add_argument("--dry-run", action="store_true")
    tw = sub.add_parser("draft-tw", help="zh_TW drafts from zh_CN with OpenCC s2twp and the glossary")
    tw.add_argument("--force", action="store_true", help="redraft texts already translated too")
    sub.add_parser("from-json", help="resources/i18n_svc/<lang>/*.json -> each language's PO")
    args = p.parse_args(argv)
    if args.cmd == "extract":
        cmd_extract()
    elif args.cmd == "update":
        cmd_update()
    elif args.cmd == "check":
        return cmd_check()
    elif args.cmd == "import-tuples":
        cmd_import_tuples(args.dry_run)
    elif args.cmd == "draft-tw":
        cmd_draft_tw(args.force)
    elif args.cmd == "from-json":
        cmd_from_json()
    return 0


if __name__ == "__main__":
    sys.exit(main())
