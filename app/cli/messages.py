"""The command line's own sentences (msgctxt cli:<key>), rendered in the user's language."""
from __future__ import annotations

from app import i18n
from app.i18n import NC_, NN_

# --- the command line's own sentences (msgctxt cli:<key>) -----------------------------------------------
MESSAGES: dict[str, str] = {
    "init_done": NC_("cli:init_done", "Database ready: {where} (schema {rev})"),
    "init_proposed": NC_("cli:init_proposed", "Proposed from the system locale ({locale}): language {language}, currency {currency}, "
                      "phone region {region}. The app's first start offers them; to set them now: shopcare "
                      "init --language {language} --currency {currency} --region {region}"),
    "init_set": NC_("cli:init_set", "Shop set to language {language}, currency {currency}, phone region {region} (the first start "
                 "offers them; later: Settings › Shop)"),
    "file_renamed": NC_("cli:file_renamed", "{wanted} already exists and is kept: written as {path} instead"),
    "backed_up_first": NC_("cli:backed_up_first", "Backed up before upgrading the schema: {path}"),
    "backup_done": NC_("cli:backup_done", "Backup written and checked: {path}"),
    "restore_done": NC_("cli:restore_done", "Restored {src} (schema {before} -> {after})"),
    "restore_confirm": NC_("cli:restore_confirm", "This replaces the shop's database ({db}) with the backup of {when} ({path}); everything "
                        "since then is replaced. Type yes to go on: "),
    "restore_safety": NC_("cli:restore_safety", "The database as it was before the restore is in {path}"),
    "check_schema": NC_("cli:check_schema", "Schema revision {rev} (head {head})"),
    "check_counts": NC_("cli:check_counts", "Checked {items}"),
    "check_ok": NC_("cli:check_ok", "OK: no faults found"),
    "check_faults": NC_("cli:check_faults", "{n} fault(s) found"),
    "warning": NC_("cli:warning", "warning: {text}"),
    "fault": NC_("cli:fault", "FAULT: {text}"),
    "import_done_members": NC_("cli:import_done_members", "{file}: {imported} members imported, rows rejected: {rejected}"),
    "import_done_sales": NC_("cli:import_done_sales", "{file}: {imported} sales imported (new members: {created}), already there: "
                          "{skipped}, rows rejected: {rejected}"),
    "import_row": NC_("cli:import_row", "  row {row}: {reason}"),
    "import_skipped_rows": NC_("cli:import_skipped_rows", "Rows left out (--skip-bad):"),
    "import_done_products": NC_("cli:import_done_products", "{file}: products added: {added}, updated: {updated}, "
                             "unchanged: {unchanged}, bad rows left out: {skipped}"),
    "import_checked_products": NC_("cli:import_checked_products", "{file} checked (--dry-run, nothing written): products "
                                "to add: {added}, to update: {updated}, unchanged: {unchanged}, bad rows: {bad}"),
    "import_changes": NC_("cli:import_changes", "Changes:"),
    "import_change": NC_("cli:import_change", "  row {row} {sku}: {field} {before} -> {after}"),
    "import_bad_rows": NC_("cli:import_bad_rows", "Bad rows:"),
    "import_member_change": NC_("cli:import_member_change", "  row {row} {name}: {field} {before} -> {after}"),
    "import_batch": NC_("cli:import_batch", "Import batch {batch} (undo: shopcare import undo --batch {batch})"),
    "import_new_categories": NC_("cli:import_new_categories", "New categories: {names}"),
    "import_opening_stock": NC_("cli:import_opening_stock", "Opening stock: {units} units in the stock record"),
    "products_exported": NC_("cli:products_exported", "{rows} products written to {path} (recorded in the audit log)"),
    "demo_done": NC_("cli:demo_done", "Demo shop data written:"),
    "reprint_sent": NC_("cli:reprint_sent", "Receipt {receipt} reprinted on {printer}"),
    "report_written": NC_("cli:report_written", "Report written: {path}"),
    "owner_password_prompt": NC_("cli:owner_password_prompt", "Owner's password: "),
    "owner_password_new_prompt": NC_("cli:owner_password_new_prompt", "New owner's password for {name}: "),
    "owner_password_again": NC_("cli:owner_password_again", "The same again: "),
    "owner_password_done": NC_("cli:owner_password_done", "The owner's password of {name} is set"),
    "members_exported": NC_("cli:members_exported", "{rows} members written to {path} (recorded in the audit log)"),
    "backups_rotated": NC_("cli:backups_rotated", "{n} old backup(s) removed (kept: the newest of each of the last 7 days, 4 weeks "
                        "and 12 months)"),
    "member_many": NC_("cli:member_many", "'{query}' matches {n} members; use the full phone or the card number:"),
    # shopcare audit-key
    "audit_key_hint": NC_("cli:audit_key_hint", "This till's audit key (above). On each other till sharing this database: shopcare "
                       "audit-key set <the key>, or Settings › Backups › Use the key of another till. Keep it "
                       "private: whoever has it can re-sign an edited audit log."),
    "audit_key_set": NC_("cli:audit_key_set", "This till now uses that audit key: its audit rows verify (shopcare check). If the till "
                      "app is open on this computer, close and start it again: it still holds the old key"),
    # texts: gateways and sending
    "outbox_gateway": NC_("cli:outbox_gateway", "Gateway: {kind} ({sender})"),
    "outbox_recovered": NC_("cli:outbox_recovered", "{n} text(s) interrupted while sending are now 'unknown': check them in Messages"),
    "outbox_sent": NC_("cli:outbox_sent", "Sent {sent}, failed {failed}, deferred {deferred} (quiet hours or daily limit), "
                    "to retry {retried}, unknown {unknown}, cancelled {cancelled}"),
    "outbox_polled": NC_("cli:outbox_polled", "Statuses checked {checked}: delivered {delivered}, failed {failed}; replies {inbound} "
                      "(opted out {opted_out}, opted back in {opted_in}, scores {scores})"),
    "outbox_balances": NC_("cli:outbox_balances", "Balance queries answered: {balances}"),
    "outbox_poll_failed": NC_("cli:outbox_poll_failed", "Statuses and replies not fetched this time: {why}"),
    "outbox_test": NC_("cli:outbox_test", "Test text #{id} to {phone}: {status}"),
    # care engine (shopcare care run)
    "care_head": NC_("cli:care_head", "Care actions for {on} (days looked at: {first} to {on})"),
    "care_dry": NC_("cli:care_dry", "Dry run: nothing was written"),
    "care_parts": NC_("cli:care_parts", "{texts} text(s): {parts} SMS part(s)"),
    "care_parts_cost": NC_("cli:care_parts_cost", "{texts} text(s): {parts} SMS part(s), about {cost}"),
    "care_action_text": NC_("cli:care_action_text", "  {due}  {rule}  {name}: {body}"),
    "care_action_task": NC_("cli:care_action_task", "  {due}  {rule}  {name}: task: {reason}"),
    "care_hold_setting": NC_("cli:care_hold_setting", "These {texts} texts ({parts} SMS parts) wait for your approval (the shop's "
                             "setting): shopcare care approve --all, or care reject"),
    "care_hold_first_run": NC_("cli:care_hold_first_run", "The shop's first care run: its {texts} texts ({parts} SMS parts) wait for "
                               "your approval: shopcare care approve --all, or care reject"),
    "care_hold_after_import": NC_("cli:care_hold_after_import", "The first care run after an import: its {texts} texts ({parts} SMS "
                                  "parts) wait for your approval: shopcare care approve --all, or care reject"),
    "care_hold_over_limit": NC_("cli:care_hold_over_limit", "More than {limit} texts at once: these {texts} texts ({parts} SMS parts) "
                                "wait for your approval: shopcare care approve --all, or care reject"),
    "care_held_none": NC_("cli:care_held_none", "No text waits for approval"),
    "care_held_head": NC_("cli:care_held_head", "{texts} texts ({parts} SMS parts) to {members} members wait for approval:"),
    "care_held_cost": NC_("cli:care_held_cost", "They cost about {cost}"),
    "care_held_kind": NC_("cli:care_held_kind", "  {kind}: {n}"),
    "care_held_row": NC_("cli:care_held_row", "  #{id}  {name} {phone}  {kind}: {body}"),
    "care_held_more": NC_("cli:care_held_more", "  … and {n} more"),
    "care_held_how": NC_("cli:care_held_how", "Approve with: shopcare care approve --all (or the ids); refuse with: shopcare "
                         "care reject --all (or the ids)"),
    "care_approved": NC_("cli:care_approved", "{n} text(s) approved: they go out with the next sender run"),
    "care_rejected": NC_("cli:care_rejected", "{n} text(s) rejected: they will not be sent"),
    "care_not_held": NC_("cli:care_not_held", "not waiting for approval (left as they are): {ids}"),
    # shopcare rfm
    "rfm_none": NC_("cli:rfm_none", "No member has bought up to {as_of}"),
    "rfm_members": NC_("cli:rfm_members", "Member analytics as of {as_of}: {members} members who have bought"),
    "rfm_segment": NC_("cli:rfm_segment", "  {name:<12} {count:>8}  {share:5.1f}%"),
    "rfm_top20": NC_("cli:rfm_top20", "The top 20% of members bring {share:.1f}% of member revenue ({revenue})"),
    "rfm_params": NC_("cli:rfm_params", "BG/NBD: r={r:.4g} alpha={alpha:.4g} days a={a:.4g} b={b:.4g} ({how})"),
    "rfm_fitted": NC_("cli:rfm_fitted", "fitted now"),
    "rfm_cached": NC_("cli:rfm_cached", "cached fit of {as_of}"),
    "rfm_no_model": NC_("cli:rfm_no_model", "BG/NBD: not fitted (too few members, or nobody came back yet)"),
    "rfm_churn": NC_("cli:rfm_churn", "churn_risk: {method}"),
    "rfm_churn_logistic": NC_("cli:rfm_churn_logistic", "logistic model fitted on who came back in this shop's last {days} days "
                           "(AUC there {auc:.3f}; 1 - p_alive alone: {auc_pa:.3f})"),
    "rfm_churn_hand": NC_("cli:rfm_churn_hand", "rhythm-adjusted model forecast (too little history to fit on this shop)"),
    # the command line's own checks of its options (argparse prints "argument --date: ..." before them)
    "arg_not_date": NC_("cli:arg_not_date", "'{value}' is not a date (use YYYY-MM-DD)"),
    "arg_date_range": NC_("cli:arg_date_range", "{value} is outside the dates ShopCare keeps ({first} to {last})"),
    "arg_not_whole": NC_("cli:arg_not_whole", "'{value}' is not a whole number"),
    "arg_whole_range": NC_("cli:arg_whole_range", "{value} is not from {min} to {max}"),
    "support_bundle_done": NC_("cli:support_bundle_done", "Support bundle written: {path} ({n} files; no member names, phones cut to their "
                            "last 4 digits). Logs are kept in {logs}"),
    "rfm_exported": NC_("cli:rfm_exported", "{rows} members written to {path} (as of {as_of})"),
    "product_sales_exported": NC_("cli:product_sales_exported", "{rows} rows written to {path} (recorded in the audit log)"),
    "eod_lists_exported": NC_("cli:eod_lists_exported", "{rows} list rows written to {path} (recorded in the audit log)"),
    "eod_list_needs_file": NC_("cli:eod_list_needs_file", "--list writes the whole lists to a table: give -o FILE.csv or -o FILE.xlsx"),
    "interrupted": NC_("cli:interrupted", "interrupted"),
    "demo_count": NC_("cli:demo_count", "  {what}: {n}"),
}


# What `shopcare demo` reports it wrote (demo.DemoSummary's fields).
DEMO_COUNTS: dict[str, str] = {
    "members": NC_("demo:members", "members"), "sales": NC_("demo:sales", "sales"),
    "refunds": NC_("demo:refunds", "refunds"), "topups": NC_("demo:topups", "top-ups"),
    "messages": NC_("demo:messages", "texts"), "products": NC_("demo:products", "products"),
    "days": NC_("demo:days", "days"),
}


# Sentences with a count: key -> (the parameter that counts, its singular and plural English).
PLURALS: dict[str, tuple[str, tuple[str, str]]] = {
    "backups_rotated": ("n", NN_("{n} old backup removed (kept: the newest of each of the last 7 days, 4 weeks and "
                                 "12 months)",
                                 "{n} old backups removed (kept: the newest of each of the last 7 days, 4 weeks and "
                                 "12 months)")),
    "outbox_recovered": ("n", NN_("{n} text interrupted while sending is now 'unknown': check it in Messages",
                                  "{n} texts interrupted while sending are now 'unknown': check them in Messages")),
    "members_exported": ("rows", NN_("{rows} member written to {path} (recorded in the audit log)",
                                     "{rows} members written to {path} (recorded in the audit log)")),
    "rfm_exported": ("rows", NN_("{rows} member written to {path} (as of {as_of})",
                                 "{rows} members written to {path} (as of {as_of})")),
    "import_done_members": ("imported", NN_("{file}: {imported} member imported, rows rejected: {rejected}",
                                            "{file}: {imported} members imported, rows rejected: {rejected}")),
    "import_done_sales": ("imported", NN_("{file}: {imported} sale imported (new members: {created}), already "
                                          "there: {skipped}, rows rejected: {rejected}",
                                          "{file}: {imported} sales imported (new members: {created}), already "
                                          "there: {skipped}, rows rejected: {rejected}")),
    "import_updated_members": ("updated", NN_("{updated} existing member updated (--update):",
                                              "{updated} existing members updated (--update):")),
    "import_checked_members": ("imported", NN_("{file} checked (--dry-run, nothing written): {imported} member to "
                                               "import (updates: {updated}), bad rows: {rejected}",
                                               "{file} checked (--dry-run, nothing written): {imported} members to "
                                               "import (updates: {updated}), bad rows: {rejected}")),
    "import_checked_sales": ("imported", NN_("{file} checked (--dry-run, nothing written): {imported} sale to import "
                                             "(new members: {created}), already there: {skipped}, bad rows: {rejected}",
                                             "{file} checked (--dry-run, nothing written): {imported} sales to import "
                                             "(new members: {created}), already there: {skipped}, bad rows: {rejected}")),
    "import_count_cards": ("n", NN_("{n} opening count card", "{n} opening count cards")),
    "products_exported": ("rows", NN_("{rows} product written to {path} (recorded in the audit log)",
                                      "{rows} products written to {path} (recorded in the audit log)")),
    "product_sales_exported": ("rows", NN_("{rows} row written to {path} (recorded in the audit log)",
                                      "{rows} rows written to {path} (recorded in the audit log)")),
    "eod_lists_exported": ("rows", NN_("{rows} list row written to {path} (recorded in the audit log)",
                                       "{rows} list rows written to {path} (recorded in the audit log)")),
}


def msg(key: str, lang: str, **params: object) -> str:
    """A sentence of the command line in ``lang`` (the shopcare PO, msgctxt ``cli:<key>``)."""
    if key in PLURALS and isinstance(params.get(PLURALS[key][0]), int):
        count, (one, many) = PLURALS[key]
        return i18n.ngettext(lang, one, many, params[count]).format(**params)
    return i18n.entry(lang, MESSAGES[key], context="cli:" + key, **params)
