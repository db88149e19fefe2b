"""Screenshots of moving in: a new shop's empty Members screen offering the import, and every step of
the import wizard (file, columns, preview with bad rows, the import's summary) on a real GB18030 CSV
with Chinese headers, as the owner would drive it. Used by app/ui/screenshots.py (render_all) and
by hand for the README: ``python -m app.ui.screenshots_wizard DIR`` renders them on a fresh shop."""
from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path

from app.ui.screenshots import _close, _each_language, _pump, _settle, _shot, _styled

HEADERS = ["姓名", "手机号", "生日", "余额", "积分", "标签", "备注", "原系统编号"]


def sample_file(folder: Path, first_phone: int) -> str:
    """A member list as a mainland shop's old software exports it (GB18030, Chinese headers): its
    own member number in a column ShopCare leaves out, two bad rows."""
    names = ["王芳", "李娜", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴敏", "徐强", "孙悦"]
    rows = []
    for i, name in enumerate(names):
        rows.append([name, str(first_phone + i), f"19{80 + i}-0{1 + i % 9}-1{i % 9}", f"{(i + 1) * 50}.00",
                     str(i * 120), "老客户" if i % 3 == 0 else "", "从旧系统导入", f"V{1001 + i}"])
    rows[4][1] = "1380013"                 # a phone too short
    rows[7][2] = "1987-02-30"              # no such day
    text = "\r\n".join(",".join(r) for r in [HEADERS, *rows]) + "\r\n"
    path = folder / "会员资料导出.csv"
    path.write_bytes(text.encode("gb18030"))
    return str(path)


def render(state, folder, langs: tuple[str, ...] | None = None, *, import_it: bool = True) -> list[Path]:
    """members_empty_<lang> (only in a shop without members) and import_wizard_{file,columns,preview,
    done}_<lang>, in each of ``langs`` (default: the current language). ``import_it``: the last step
    really imports the file's good rows into the current database, then undoes it."""
    from app.ui.imports.wizard import ImportWizard
    from app.ui.members.screen import MembersScreen

    _styled()
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    tmp = Path(tempfile.mkdtemp(prefix="shopcare-wizard-"))
    for lang in _each_language(state, langs or (state.lang,)):
        screen = MembersScreen(state)
        screen.resize(1180, 640)
        screen.show()
        _settle(state, 8)
        if screen.empty_panel.isVisible():      # a new shop (the import below fills it)
            _shot(screen, out, f"members_empty_{lang}", saved)
        _close(screen)
    for lang in _each_language(state, langs or (state.lang,)):
        screen = MembersScreen(state)
        path = sample_file(tmp, 13_912_340_000 + 20 * random.randrange(0, 499))   # new phones on each run
        w = ImportWizard(state, "members", path, screen)
        w.resize(980, 640)
        w.show()
        _settle(state, 8)
        _shot(w, out, f"import_wizard_file_{lang}", saved)
        w.next()
        _settle(state, 4)
        _shot(w, out, f"import_wizard_columns_{lang}", saved)
        w.next()
        _settle(state, 10)
        _shot(w, out, f"import_wizard_preview_{lang}", saved)
        if import_it:
            w.skip_bad.setChecked(True)
            _settle(state, 10)
            if w.next_button.isEnabled():
                w.next()
                _pump()          # the import runs on the db worker; its answer waits for the event loop
                _shot(w, out, f"import_wizard_running_{lang}", saved)
                for _ in range(200):
                    _settle(state, 1)
                    if not w._running:
                        break
                _shot(w, out, f"import_wizard_done_{lang}", saved)
                if w.undo_button.isVisible():
                    w.undo_import()
                    _settle(state, 10)
        _close(w)
        _close(screen)
        _pump()
    return saved


def main(argv: list[str]) -> int:
    """Render on a fresh shop in every language into ``argv[0]`` (the README's pictures)."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from app.db import Database
    from app.services.base import setup
    from app.services.base.context import Actor, Ctx
    from app.ui import app as ui_app
    from app.ui.state import AppState

    ui_app.application([])
    folder = Path(argv[0])
    db_file = Path(tempfile.mkdtemp(prefix="shopcare-shots-")) / "shop.db"
    db = Database(f"sqlite:///{db_file}")
    db.upgrade()
    ctx = Ctx(db=db, actor=Actor(None, "owner", "owner"))
    setup.ensure_defaults(ctx)
    state = AppState(ctx)
    from app.i18n import LANGUAGES

    for p in render(state, folder, tuple(LANGUAGES)):
        print(p)
    state.tasks.wait()
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
