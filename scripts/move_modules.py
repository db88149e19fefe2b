"""Rewrite imports from the flat app/services/ and app/ui/ layouts to their domain folders
(rerunnable on code written against the old layout, e.g. a branch being merged: it leaves
already-moved imports alone).

    python scripts/move_modules.py services --move   # git mv the files, then rewrite the tree
    python scripts/move_modules.py ui [FILE...]      # rewrite only (the whole tree by default)
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LAYOUTS = {"services": {
    "base": "context ports permissions auth audit settings phones tabular localconfig days sqlfuncs "
            "text_rules redact setup export summary:language region",
    "texts": "outbox outbox_admin templates sender gateway_config texts:bodies",
    "members": "members member_list member_export tiers erasure",
    "ledger": "ledger wallet points countcards vouchers",
    "sales": "catalog checkout held refunds receipt receipts:receipt_numbers printing",
    "reports": "eod eod_pdf statement statement_pdf pdf report_files sales member_history",
    "care": "callbacks campaigns knowledge care_today:today",
    "admin": "backup backup_schedule integrity imports demo shop_admin support",
}, "ui": {
    "till": "till:screen cart_model held_dialog member_bar pay_dialog receipt_preview refund_dialog",
    "members": "members:screen member_model member_page member_edit adjust_dialog topup_dialog",
    "texts": "messages:screen outbox_model background_sender",
    "care": "care:screen background_care",
    "reports": "reports:screen analytics sales_history",
    "settings": "settings:screen backups_tab audit_key_box owner_password",
}}
PKG = "services"
DOMAINS: dict[str, str] = {}
MOD: dict[str, tuple[str, str]] = {}
SUBMODULES: dict[str, set[str]] = {}
FROM_PKG = FROM_MOD = DOTTED = re.compile("")


def use(layout: str) -> None:
    global PKG, FROM_PKG, FROM_MOD, DOTTED
    PKG = layout
    DOMAINS.clear(), MOD.clear(), SUBMODULES.clear()
    DOMAINS.update(LAYOUTS[layout])
    for dom, names in DOMAINS.items():
        for item in names.split():
            old, _, new = item.partition(":")
            MOD[old] = (dom, new or old)
    for dom in DOMAINS:  # modules added to a domain since the move count as already moved
        SUBMODULES[dom] = {new for (d, new) in MOD.values() if d == dom}
        SUBMODULES[dom] |= {f.stem for f in (ROOT / "app" / PKG / dom).glob("*.py")}
    FROM_PKG = re.compile(rf"^(?P<ind>[ \t]*)from app\.{PKG} import (?P<names>\([^)]*\)|[^\n]*)", re.M)
    FROM_MOD = re.compile(rf"\bfrom app\.{PKG}\.(?P<old>[a-z_]+)(?P<rest>(\.[a-z_]+)*) import (?P<names>\([^)]*\)|[^\n]*)")
    DOTTED = re.compile(rf"\bapp([./]){PKG}\1(?P<old>[a-z_]+)(?P<tail>(?:\1[A-Za-z_]+)*)(?P<py>\.py)?")


def _split_names(names: str) -> list[tuple[str, str | None]]:
    body = names.strip()
    comment = ""
    if body.startswith("("):
        body = body[1:body.rindex(")")]
    elif "#" in body:
        body, comment = body.split("#", 1)
    out = []
    for part in re.split(r"[,\n]", re.sub(r"#[^\n]*", "", body)):
        part = part.strip()
        if not part:
            continue
        name, _, alias = part.partition(" as ")
        out.append((name.strip(), alias.strip() or None))
    return out


def _rewrite_from_pkg(m: re.Match) -> str:
    ind, names = m.group("ind"), m.group("names")
    trailing = ""
    if not names.strip().startswith("(") and "#" in names:
        trailing = "  #" + names.split("#", 1)[1]
    groups: dict[str, list[str]] = {}
    for name, alias in _split_names(names):
        if name in MOD:
            dom, new = MOD[name]
            shown = alias or name
            groups.setdefault(dom, []).append(new if shown == new else f"{new} as {shown}")
        else:
            groups.setdefault("", []).append(name if not alias else f"{name} as {alias}")
    lines = []
    for dom, items in groups.items():
        pkg = f"app.{PKG}" + (f".{dom}" if dom else "")
        lines.append(f"{ind}from {pkg} import {', '.join(items)}")
    if trailing and lines:
        lines[-1] += trailing
    return "\n".join(lines)


def _rewrite_from_mod(m: re.Match) -> str:
    old, rest, names = m.group("old"), m.group("rest"), m.group("names")
    if old not in MOD:
        return m.group(0)
    if old in DOMAINS:  # members, sales, texts, care...: already a package path?
        first = rest[1:].split(".")[0] if rest else None
        if first in SUBMODULES[old]:
            return m.group(0)
        if not rest and all(n in SUBMODULES[old] for n, _ in _split_names(names)):
            return m.group(0)
    dom, new = MOD[old]
    return f"from app.{PKG}.{dom}.{new}{rest} import {names}"


def _rewrite_dotted(m: re.Match) -> str:
    sep, old, tail, py = m.group(1), m.group("old"), m.group("tail"), m.group("py")
    if old not in MOD:
        return m.group(0)
    first = tail[1:].split(sep)[0] if tail else ""
    if old in DOMAINS and (first in SUBMODULES[old] or (not tail and not py)):
        return m.group(0)
    dom, new = MOD[old]
    return f"app{sep}{PKG}{sep}{dom}{sep}{new}{tail}{py or ''}"


def rewrite(text: str) -> str:
    text = FROM_PKG.sub(_rewrite_from_pkg, text)
    text = FROM_MOD.sub(_rewrite_from_mod, text)
    # dotted references outside import statements (monkeypatch targets, docs, paths)
    out = []
    for line in text.split("\n"):
        if re.match(rf"\s*from app\.{PKG}", line):
            out.append(line)
        else:
            out.append(DOTTED.sub(_rewrite_dotted, line))
    return "\n".join(out)


def move() -> None:
    svc = ROOT / "app" / PKG
    for dom in DOMAINS:
        (svc / dom).mkdir(exist_ok=True)
    for old, (dom, new) in MOD.items():
        src = svc / f"{old}.py"
        if src.exists():
            subprocess.run(["git", "mv", str(src), str(svc / dom / f"{new}.py")], check=True, cwd=ROOT)


def files() -> list[Path]:
    out = []
    for top in ("app", "tests", "benchmarks", "scripts", "migrations", "docs"):
        for p in (ROOT / top).rglob("*"):
            if p.suffix in (".py", ".md", ".sh") and ".venv" not in p.parts and p.name != "move_modules.py":
                out.append(p)
    out += [ROOT / "README.md", ROOT / "pyproject.toml"]
    return out


def main(argv: list[str]) -> int:
    use(argv[0])
    targets = [Path(a) for a in argv[1:] if not a.startswith("--") and a.endswith((".py", ".md", ".sh"))]
    if "--move" in argv:
        move()
    for p in targets or files():
        if not p.is_file():
            continue
        before = p.read_text(encoding="utf-8")
        after = rewrite(before)
        if after != before:
            p.write_text(after, encoding="utf-8")
            print("rewrote", p.relative_to(ROOT) if p.is_absolute() else p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
