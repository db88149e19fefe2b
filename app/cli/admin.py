"""shopcare init, check, backup, restore, owner-password, audit-key, import, demo, support-bundle."""
from __future__ import annotations

import sys
from dataclasses import asdict, is_dataclass
from pathlib import Path

from app import i18n
from app.cli.env import EXIT_ERROR, EXIT_FAULT, EXIT_OK, Env, Progress
from app.cli.messages import DEMO_COUNTS, msg
from app.errors import ShopError, render


# --- commands ----------------------------------------------------------------------------------
def cmd_init(env: Env) -> int:
    from app.services.admin import shop_admin
    from app.services.base import region

    ctx = env.open(upgrade=True, defaults=True)
    db = env.database()
    env.say(msg("init_done", env.lang, where=env.where(), rev=db.current_revision()))
    chosen = {k: getattr(env.args, k) for k in ("language", "currency", "region") if getattr(env.args, k)}
    if chosen:
        proposal = region.stored(ctx) or region.propose_from_env()
        values = {"language": proposal.language, "currency": proposal.currency, "region": proposal.region,
                  **chosen}
        cfg = shop_admin.propose_shop(ctx, **values)
        env.say(msg("init_set", env.lang, language=cfg.language, currency=cfg.currency, region=cfg.region))
    elif not shop_admin.has_staff(ctx) and region.stored(ctx) is None:
        p = region.propose_from_env()
        env.say(msg("init_proposed", env.lang, locale=region.system_locale_name() or "C", language=p.language,
                    currency=p.currency, region=p.region))
    return EXIT_OK


def cmd_check(env: Env) -> int:
    from babel.lists import format_list

    from app.services.admin.integrity import count_text, run_check

    env.require_file()  # a check must not create an empty database where there was none
    ctx = env.ctx()
    env.use_shop_language(ctx)
    report = run_check(ctx)
    lang = env.lang
    for line in report.info:
        env.say(line.text(lang))
    if report.head:
        env.say(msg("check_schema", lang, rev=report.revision or "-", head=report.head))
    for line in report.warnings:
        env.say(msg("warning", lang, text=line.text(lang)))
    if report.counts:
        items = format_list([count_text(k, n, lang) for k, n in report.counts], locale=i18n.babel_locale(lang))
        env.say(msg("check_counts", lang, items=items))
    for line in report.faults:
        env.say(msg("fault", lang, text=line.text(lang)))
    if report.ok:
        env.say(msg("check_ok", lang))
        return EXIT_OK
    env.say_err(msg("check_faults", lang, n=len(report.faults)))
    return EXIT_FAULT


def cmd_backup(env: Env) -> int:
    from app.services.admin import backup

    db = env.database()
    if db.sqlite_path is None:
        raise ShopError("db_not_sqlite", action="shopcare backup")
    env.require_file()
    dest = env.args.path
    if dest is not None and Path(dest).expanduser().suffix and not Path(dest).expanduser().is_dir():
        from app.services.reports import report_files

        dest = report_files.free_name(Path(dest).expanduser())   # a backup never replaces a file either
    path = backup.backup(db, dest)
    if dest is not None and dest != env.args.path:
        env.renamed(Path(env.args.path).expanduser(), path)
    env.say(msg("backup_done", env.lang, path=path))
    if env.args.path is None:  # into the backups folder: keep its rotation (7 daily, 4 weekly, 12 monthly)
        from datetime import date

        from app.services.admin import backup_schedule

        removed = backup_schedule.rotate(date.today())
        if removed:
            env.say(msg("backups_rotated", env.lang, n=len(removed)))
    return EXIT_OK


def cmd_restore(env: Env) -> int:
    from app.services.admin import backup

    db = env.database()
    if db.sqlite_path is None:
        raise ShopError("db_not_sqlite", action="shopcare restore")
    path = Path(env.args.path).expanduser()
    if not path.is_file():
        raise ShopError("restore_failed", why=f"no such file {path}")
    if not env.args.yes:
        # Replacing the shop's data is never done on a stray command: a person types yes, a script says --yes.
        if sys.stdin is None or not sys.stdin.isatty():
            raise ShopError("restore_not_confirmed")
        from datetime import datetime

        from app.services.admin import backup_schedule

        backup.refuse_while_app_runs(db)  # say so before asking, not after
        when = backup_schedule.taken_at(path) or datetime.fromtimestamp(path.stat().st_mtime)
        print(msg("restore_confirm", env.lang, path=path, when=when.strftime("%Y-%m-%d %H:%M"), db=db.sqlite_path),
              end="", file=env.err, flush=True)
        if sys.stdin.readline().strip().lower() != "yes":
            raise ShopError("restore_not_confirmed")
    result = backup.restore(db, path)
    if result.safety_backup is not None:
        env.say(msg("restore_safety", env.lang, path=result.safety_backup))
    env.say(msg("restore_done", env.lang, src=result.restored_from, before=result.revision_before,
                after=result.revision_after))
    return EXIT_OK


def cmd_owner_password(env: Env) -> int:
    from sqlalchemy import select

    from app.errors import NotFound, ValidationError
    from app.models import Staff
    from app.services.base import auth

    env.require_file()
    ctx = env.open()
    with ctx.tx(write=False) as t:
        q = select(Staff.id, Staff.name).where(Staff.role == "owner", Staff.active.is_(True))
        if env.args.name:
            q = q.where(Staff.name == env.args.name.strip())
        owners = t.s.execute(q).all()
    if len(owners) != 1:
        raise NotFound("staff_not_found", key=env.args.name or "owner")
    staff_id, name = owners[0]
    password = env._secret(msg("owner_password_new_prompt", env.lang, name=name))
    if password is None:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        auth.check_owner_password(password)
        if env._secret(msg("owner_password_again", env.lang)) != password:
            raise ValidationError("owner_password_mismatch")
    auth.set_owner_password(ctx, password, staff_id=staff_id)
    env.say(msg("owner_password_done", env.lang, name=name))
    return EXIT_OK


def cmd_audit_key_show(env: Env) -> int:
    from app.services.base import audit

    env.require_file()
    ctx = env.owner_confirmed(env.open())
    env.say(audit.export_key(ctx))
    env.say_err(msg("audit_key_hint", env.lang))
    return EXIT_OK


def cmd_audit_key_set(env: Env) -> int:
    from app.services.base import audit

    env.require_file()
    ctx = env.owner_confirmed(env.open())
    audit.import_key(ctx, " ".join(env.args.key))
    env.say(msg("audit_key_set", env.lang))
    return EXIT_OK


def cmd_import_members(env: Env) -> int:
    return _import(env, "members")


def cmd_import_sales(env: Env) -> int:
    return _import(env, "sales")


def _import(env: Env, kind: str) -> int:
    """shopcare import members|sales: progress on stderr, every bad row with every problem, the
    counts (and with --update, every change), the batch to undo."""
    from app.errors import ImportFailed
    from app.services.admin import import_run

    path: Path = env.args.file
    if not path.is_file():
        raise ShopError("file_not_found", path=str(path))
    ctx = env.open()
    a = env.args
    opts = import_run.ImportOptions(kind=kind, sheet=getattr(a, "sheet", None), skip_bad=a.skip_bad,
                                    update=getattr(a, "update", False),
                                    marketing_consent=getattr(a, "marketing_consent", False))
    progress = Progress(env.err)
    entry = import_run.preview if getattr(a, "dry_run", False) else import_run.run
    try:
        report = entry(ctx, path, opts, progress=lambda done, total: progress(done, total, path.name))
    except ImportFailed as exc:
        progress.finish()
        env.say_err(render(exc, env.lang))
        for row in exc.params.get("rows") or ():
            env.say_err(_rejected_line(row, env.lang))
        return EXIT_ERROR
    progress.finish()
    lang = env.lang
    rejected = tuple(getattr(report, "rejected", ()) or ())
    if report.dry_run:
        key = "import_checked_sales" if kind == "sales" else "import_checked_members"
    else:
        key = "import_done_sales" if kind == "sales" else "import_done_members"
    env.say(msg(key, lang, file=path.name, imported=report.imported, skipped=report.skipped,
                created=report.members_created, updated=report.members_updated, rejected=len(rejected)))
    if report.count_cards:
        env.say(msg("import_count_cards", lang, n=report.count_cards))
    if report.changes:
        env.say(msg("import_updated_members", lang, updated=len(report.changes)))
        for c in report.changes:
            for f in c.fields:
                env.say(msg("import_member_change", lang, row=c.row_no, name=c.name, field=f.field,
                            before=f.before or "-", after=f.after or "-"))
    if rejected:
        env.say(msg("import_skipped_rows" if a.skip_bad else "import_bad_rows", lang))
        for row in rejected:
            env.say(_rejected_line(row, lang))
    if report.batch_id is not None:
        env.say(msg("import_batch", lang, batch=report.batch_id))
    return EXIT_ERROR if report.dry_run and rejected and not a.skip_bad else EXIT_OK


def cmd_import_products(env: Env) -> int:
    """shopcare import products: every error with its row, every change, the counts."""
    from app.errors import ImportFailed
    from app.services.admin.import_products import import_products

    path: Path = env.args.file
    if not path.is_file():
        raise ShopError("file_not_found", path=str(path))
    ctx = env.open()
    a = env.args
    progress = Progress(env.err)
    try:
        result = import_products(ctx, path, skip_bad=a.skip_bad, update=a.update, add_categories=a.add_categories,
                                 sheet=a.sheet, dry_run=a.dry_run,
                                 progress=lambda done, total: progress(done, total, path.name))
    except ImportFailed as exc:
        progress.finish()
        env.say_err(render(exc, env.lang))
        for row in exc.params.get("rows") or ():
            env.say_err(_rejected_line(row, env.lang))
        return EXIT_ERROR
    progress.finish()
    lang = env.lang
    if a.dry_run:
        env.say(msg("import_checked_products", lang, file=path.name, added=result.added, updated=result.updated,
                    unchanged=result.unchanged, bad=len({e.row for e in result.errors})))
    else:
        env.say(msg("import_done_products", lang, file=path.name, added=result.added, updated=result.updated,
                    unchanged=result.unchanged, skipped=result.skipped))
    if result.new_categories:
        env.say(msg("import_new_categories", lang, names=", ".join(result.new_categories)))
    if result.opening_stock:
        env.say(msg("import_opening_stock", lang, units=result.opening_stock))
    if result.changes:
        env.say(msg("import_changes", lang))
        for c in result.changes:
            env.say(msg("import_change", lang, row=c.row, sku=c.sku, field=c.field, before=c.before or "-",
                        after=c.after or "-"))
    if result.errors:
        env.say(msg("import_skipped_rows" if a.skip_bad else "import_bad_rows", lang))
        for row in result.errors:
            env.say(_rejected_line(row, lang))
    return EXIT_ERROR if result.errors and not a.skip_bad else EXIT_OK


def _rejected_line(row: object, lang: str) -> str:
    """A rejected row: a RejectedRow, or a (row number, reason) pair whose reason is text or a ShopError."""
    if hasattr(row, "row_no"):
        number = row.row_no
        reason = row.text(lang) if hasattr(row, "text") else getattr(row, "reason_code", "")
    elif isinstance(row, (tuple, list)) and len(row) >= 2:
        number, reason = row[0], row[1]
        if isinstance(reason, ShopError):
            reason = render(reason, lang)
    else:
        number, reason = "?", row
    return msg("import_row", lang, row=number, reason=reason)


def cmd_demo(env: Env) -> int:
    from app.services.admin import demo

    ctx = env.open()
    kwargs = {k: getattr(env.args, k) for k in ("members", "days", "seed") if getattr(env.args, k) is not None}
    progress = Progress(env.err)
    try:
        summary = demo.build_demo(ctx, progress=progress, **kwargs)
    finally:
        progress.finish()
    env.say(msg("demo_done", env.lang))
    items = asdict(summary) if is_dataclass(summary) else (summary if isinstance(summary, dict) else {})
    if items:
        for key, value in items.items():
            name = i18n.entry(env.lang, DEMO_COUNTS[key], context="demo:" + key) if key in DEMO_COUNTS else key
            env.say(msg("demo_count", env.lang, what=name, n=value))
    elif summary is not None:
        env.say(f"  {summary}")
    return EXIT_OK


def cmd_support_bundle(env: Env) -> int:
    from app import logs
    from app.services.admin import support

    ctx = None
    db = env.database()
    if db.sqlite_path is None or db.sqlite_path.is_file():  # a bundle never creates a database
        ctx = env.ctx()
        env.use_shop_language(ctx)
    result = support.build_bundle(ctx, env.args.output, force=env.args.force)
    env.say(msg("support_bundle_done", env.lang, path=result.path, n=len(result.files),
                logs=logs.log_file().parent))
    return EXIT_OK
