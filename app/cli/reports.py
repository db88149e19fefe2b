"""shopcare report eod and statement, export members, rfm."""
from __future__ import annotations

from app.cli.env import EXIT_ERROR, EXIT_OK, Env, Progress
from app.cli.messages import msg
from app.errors import ShopError


def cmd_report_eod(env: Env) -> int:
    from app.services.base import export

    output, lists = env.args.output, getattr(env.args, "lists", None)
    if output is not None and output.suffix.lower() in export.FORMATS:
        return _eod_lists(env, output, lists)
    if lists:
        env.say_err(msg("eod_list_needs_file", env.lang))
        return EXIT_ERROR
    from app.services.reports import eod, eod_pdf, report_files

    env.require_file()
    ctx = env.open()
    day = env.args.date or ctx.today()
    report = eod.eod_report(ctx, day)
    out = report_files.prepare(env.args.output, report_files.eod_name(day))
    report_files.write_atomic(out, lambda p: eod_pdf.write_eod_pdf(report, p, env.lang))
    env.renamed(report_files.wanted(env.args.output, report_files.eod_name(day)), out)
    env.say(msg("report_written", env.lang, path=out))
    return EXIT_OK


def _eod_lists(env: Env, output, lists) -> int:
    """``report eod -o FILE.csv|FILE.xlsx [--list NAME]...``: the report's lists per member, whole."""
    from app.services.reports import eod_lists

    eod_lists.check_lists(lists or None)
    env.require_file()
    ctx = env.owner_confirmed(env.open())
    day = env.args.date or ctx.today()
    progress = Progress(env.err)
    with env.new_file(output) as out:
        try:
            n = eod_lists.export_eod_lists(ctx, out, day, lists or None, progress=progress)
        finally:
            progress.finish()
    env.say(msg("eod_lists_exported", env.lang, rows=n, path=out))
    return EXIT_OK


def cmd_report_statement(env: Env) -> int:
    from datetime import timedelta

    from app.services.members import members
    from app.services.reports import report_files, statement, statement_pdf

    env.require_file()
    ctx = env.open()
    picks = members.find_members(ctx, env.args.member)
    if not picks:
        raise ShopError("member_not_found", key=env.args.member)
    if len(picks) > 1:
        env.say_err(msg("member_many", env.lang, query=env.args.member, n=len(picks)))
        for p in picks:
            env.say_err(f"  {p.name}  {p.masked_phone}")
        return EXIT_ERROR
    end = env.args.end or ctx.today()
    start = env.args.start or end - timedelta(days=90)
    st = statement.member_statement(ctx, picks[0].id, start, end)
    name = report_files.statement_name(st.member.id, end)
    out = report_files.prepare(env.args.output, name)
    report_files.write_atomic(out, lambda p: statement_pdf.write_statement_pdf(ctx, st, p, env.lang))
    env.renamed(report_files.wanted(env.args.output, name), out)
    env.say(msg("report_written", env.lang, path=out))
    return EXIT_OK


def cmd_export_members(env: Env) -> int:
    from app.services.base import export
    from app.services.members import member_export

    export.export_format(env.args.output)  # a bad file name is refused before any work
    env.require_file()
    ctx = env.owner_confirmed(env.open())
    progress = Progress(env.err)
    with env.new_file(env.args.output) as out:
        try:
            n = member_export.export_members(ctx, out, progress=progress)
        finally:
            progress.finish()
    env.say(msg("members_exported", env.lang, rows=n, path=out))
    return EXIT_OK


def cmd_export_products(env: Env) -> int:
    from app.services.admin.import_products import export_products
    from app.services.base import export

    export.export_format(env.args.output)
    env.require_file()
    ctx = env.owner_confirmed(env.open())
    with env.new_file(env.args.output) as out:
        result = export_products(ctx, out, lang=env.lang, active_only=env.args.active_only)
    env.say(msg("products_exported", env.lang, rows=result.rows, path=out))
    return EXIT_OK


def _one_blas_thread() -> None:
    """Before numpy is imported: OpenBLAS (and OpenMP) start a thread per core at import and wake
    them for every long dot product; in one short command on a shared till computer that costs
    more than it brings (rfm on 69,579 purchases: ~0.5 s of CPU). Whatever the user set wins."""
    import os
    import sys

    if "numpy" not in sys.modules:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")


def cmd_rfm(env: Env) -> int:
    _one_blas_thread()
    from app.money import format_money
    from app.services.analytics import rfm
    from app.services.analytics.members import analyse

    env.require_file()
    ctx = env.open()
    lang = env.lang
    if env.args.output is not None:
        from app.services.analytics.export import export_format, export_member_analytics

        export_format(env.args.output)  # a bad file name is refused before any work
        ctx = env.owner_confirmed(ctx)
        progress = Progress(env.err)
        with env.new_file(env.args.output) as out:
            try:
                result = export_member_analytics(ctx, out, env.args.as_of, refit=env.args.refit,
                                                 progress=progress)
            finally:
                progress.finish()
        env.say(msg("rfm_exported", lang, rows=result.rows, path=result.path, as_of=result.analysis.as_of))
        return EXIT_OK
    a = analyse(ctx, env.args.as_of, refit=env.args.refit)
    if a.members == 0:
        env.say(msg("rfm_none", lang, as_of=a.as_of))
        return EXIT_OK
    env.say(msg("rfm_members", lang, as_of=a.as_of, members=a.members))
    for key, count in a.scores.segment_counts:
        env.say(msg("rfm_segment", lang, name=rfm.segment_name(key, lang), count=count,
                    share=100.0 * count / a.members))
    curve = a.scores.curve
    env.say(msg("rfm_top20", lang, share=100.0 * curve.top20_share,
                revenue=format_money(curve.revenue, a.currency, lang)))
    p = a.params
    if p is None:
        env.say(msg("rfm_no_model", lang))
    else:
        from app.services.analytics.purchases import day_date

        how = msg("rfm_fitted", lang) if a.refitted else msg("rfm_cached", lang,
                                                              as_of=day_date(a.scores.models.as_of))
        env.say(msg("rfm_params", lang, r=p.r, alpha=p.alpha, a=p.a, b=p.b, how=how))
    cm = a.scores.models.churn
    if cm.method == "logistic":
        method = msg("rfm_churn_logistic", lang, days=90, auc=cm.calibration_auc,
                     auc_pa=cm.calibration_auc_p_alive)
    else:
        method = msg("rfm_churn_hand", lang)
    env.say(msg("rfm_churn", lang, method=method))
    return EXIT_OK


def cmd_report_care(env: Env) -> int:
    from datetime import timedelta

    from app.cli import care_table
    from app.services.reports import care_results

    env.require_file()
    ctx = env.open()
    end = env.args.end or ctx.today()
    start = env.args.start or end - timedelta(days=29)
    care_results.check_period(start, end)
    for line in care_table.lines(care_results.care_results(ctx, start, end), env.lang):
        env.say(line)
    return EXIT_OK


def cmd_report_products(env: Env) -> int:
    from datetime import timedelta

    from app.cli import product_table
    from app.services.base import export
    from app.services.reports import product_sales, product_sales_export

    if env.args.output is not None:
        export.export_format(env.args.output)  # a bad file name is refused before any work
    env.require_file()
    ctx = env.open()
    end = env.args.end or ctx.today()
    start = env.args.start or end - timedelta(days=29)
    by = env.args.by
    product_sales.check_period(start, end, by)
    if env.args.output is None:
        for line in product_table.lines(product_sales.product_sales(ctx, start, end, by), env.lang):
            env.say(line)
        return EXIT_OK
    ctx = env.owner_confirmed(ctx)
    with env.new_file(env.args.output) as out:
        n = product_sales_export.export_product_sales(ctx, out, start, end, by)
    env.say(msg("product_sales_exported", env.lang, rows=n, path=out))
    return EXIT_OK
