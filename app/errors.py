"""Errors that services raise, and the one catalogue that renders them for UI and CLI alike.

A ShopError carries a ``code`` and NEUTRAL values to show (``method="wallet"``, ``role="cashier"``,
a number, a file name, or an :func:`app.i18n.L_` text); ``render(err, lang)`` turns it into a
sentence in any language of :data:`app.i18n.LANGUAGES`, so the same failure reads the same
everywhere. The English below is the message id; the translations are in
resources/locale/<lang>/LC_MESSAGES/shopcare.po with the code as msgctxt (scripts/i18n.py).
"""
from __future__ import annotations

from collections.abc import Mapping

from app import i18n
from app.i18n import NC_, NN_


class ShopError(Exception):
    """Base of every refusal a service makes. Nothing has been changed when one is raised."""

    def __init__(self, code: str, /, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(render(self, "en"))


class ValidationError(ShopError):
    """Input that cannot be accepted as it is."""


class NotFound(ShopError):
    """A member, product, sale, voucher… that does not exist."""


class Duplicate(ShopError):
    """Something that must be unique already exists."""


class InsufficientFunds(ShopError):
    """Stored value, points or count-card uses that are not there."""


class PermissionDenied(ShopError):
    """The acting staff member may not do this."""


class Conflict(ShopError):
    """The thing changed state (used voucher, refunded sale, …) so the request no longer applies."""


class Busy(ShopError):
    """The database stayed busy past the timeout (another till or a long job is writing). Nothing
    was committed: running the whole service call again is safe."""


class ImportFailed(ShopError):
    """An import refused as a whole; ``params['rows']`` lists (row number, reason) pairs."""


# code -> English (msgctxt: the code). Placeholders are filled from the error's params.
CATALOGUE: dict[str, str] = {
    # amounts
    "amount_invalid": NC_("amount_invalid", "{field}: '{value}' is not an amount (write it like 1234.50 or 1,234.50)"),
    "amount_too_precise": NC_("amount_too_precise", "{field}: '{value}' has more than {places} decimal places"),
    "amount_negative": NC_("amount_negative", "{field}: the amount cannot be negative ({value})"),
    "amount_zero": NC_("amount_zero", "{field}: the amount must be more than zero"),
    "amount_absurd": NC_("amount_absurd", "{field}: {value} is too large to be right"),
    "quantity_invalid": NC_("quantity_invalid", "Quantity must be a whole number from 1 to {max} (got {value})"),
    "percent_invalid": NC_("percent_invalid", "{field}: {value} is not a percentage from 0 to 100"),
    # members
    "name_empty": NC_("name_empty", "The name cannot be empty"),
    "name_too_long": NC_("name_too_long", "The name is too long (at most {max} characters)"),
    "phone_empty": NC_("phone_empty", "The phone number cannot be empty"),
    "phone_letters": NC_("phone_letters", "Phone number '{value}' contains letters"),
    "phone_invalid": NC_("phone_invalid", "'{value}' is not a valid phone number for {region}"),
    "phone_duplicate": NC_("phone_duplicate", "A member with phone {phone} already exists: {name}"),
    "card_duplicate": NC_("card_duplicate", "Card number {card} already belongs to {name}"),
    "birthday_invalid": NC_("birthday_invalid", "Birthday {value} is not a real date"),
    "date_invalid": NC_("date_invalid", "{field}: '{value}' is not a date (use YYYY-MM-DD)"),
    "gender_invalid": NC_("gender_invalid", "Gender '{value}' is not one of M, F or blank"),
    "member_not_found": NC_("member_not_found", "No member {key}"),
    "member_erased": NC_("member_erased", "Member {key} has been erased"),
    "erase_stored_value_left": NC_("erase_stored_value_left", "Member {key} still holds stored value: pay it out (cash-out) before erasing"),
    "erase_count_card_left": NC_("erase_count_card_left", "Member {key} still has count-card uses left: settle them before erasing"),
    "search_empty": NC_("search_empty", "Type a phone number, its last 4 digits, a card number or a name"),
    "referrer_self": NC_("referrer_self", "A member cannot refer themselves"),
    "tier_not_found": NC_("tier_not_found", "No tier '{tier}'"),
    # catalogue and cart
    "sku_unknown": NC_("sku_unknown", "Unknown barcode or SKU '{sku}'"),
    "sku_duplicate": NC_("sku_duplicate", "SKU '{sku}' already exists"),
    "product_inactive": NC_("product_inactive", "'{name}' is not on sale"),
    "sku_empty": NC_("sku_empty", "The SKU cannot be empty"),
    "product_name_empty": NC_("product_name_empty", "A product needs a name"),
    "code_too_long": NC_("code_too_long", "'{code}' is too long for a SKU or barcode (at most {max} characters)"),
    "product_kind_invalid": NC_("product_kind_invalid", "'{kind}' is not a kind of product (goods, service or count_card)"),
    "unit_too_long": NC_("unit_too_long", "The unit is too long (at most {max} characters)"),
    "category_unknown": NC_("category_unknown", "No category '{name}': add it to the categories first"),
    "category_name_empty": NC_("category_name_empty", "A category needs a name"),
    "category_duplicate": NC_("category_duplicate", "Category '{name}' already exists"),
    "category_in_use": NC_("category_in_use", "Category '{name}' still has {count} product(s): move them first"),
    "member_price_above": NC_("member_price_above", "The member price for tier '{tier}' is above the price"),
    "points_price_invalid": NC_("points_price_invalid", "Points price '{value}' must be a whole number of points above zero"),
    "reorder_level_invalid": NC_("reorder_level_invalid", "Reorder level '{value}' must be a whole number, zero or more"),
    "colour_invalid": NC_("colour_invalid", "Colour '{value}' is not a colour like #FFAA00"),
    "card_uses_invalid": NC_("card_uses_invalid", "A count-card package needs from 1 to {max} uses"),
    "card_days_invalid": NC_("card_days_invalid", "The days a count card stays valid must be zero or more"),
    "card_service_unknown": NC_("card_service_unknown", "A count-card package needs the SKU of the service it covers ('{sku}' is none)"),
    "product_not_found": NC_("product_not_found", "No product {id}"),
    "product_has_sales": NC_("product_has_sales", "'{name}' has sales or stock history: take it off sale instead of deleting it"),
    "stock_short": NC_("stock_short", "Only {on_hand} of '{name}' in stock, {qty} asked (the shop does not sell below zero)"),
    "cart_empty": NC_("cart_empty", "The cart is empty"),
    "price_override_denied": NC_("price_override_denied", "Only a manager or the owner may change a price"),
    "discount_over_limit": NC_("discount_over_limit", "A {role} may give at most {limit}% discount (asked {asked}%)"),
    "discount_over_total": NC_("discount_over_total", "The discount {discount} is more than the total {total}"),
    "member_required": NC_("member_required", "{method} needs a member attached to the sale"),
    "open_price_over": NC_("open_price_over", "Open price {price} is more than the shop's limit {max} (Settings › Shop)"),
    "open_category_unknown": NC_("open_category_unknown", "No category {category} to sell an open-price item under"),
    "exchange_unavailable": NC_("exchange_unavailable", "'{name}' cannot be exchanged for points (it has no points price)"),
    # payments
    "payment_method_unknown": NC_("payment_method_unknown", "Unknown payment method '{method}'"),
    "payment_short": NC_("payment_short", "Payments {paid} do not cover the total {total}"),
    "payment_over": NC_("payment_over", "{method} pays {amount}, more than the {due} still due; only cash gives change"),
    "wallet_insufficient": NC_("wallet_insufficient", "Stored value {balance} is less than {amount}"),
    "points_insufficient": NC_("points_insufficient", "{member} has {balance} points, not {points}"),
    "points_invalid": NC_("points_invalid", "Points must be a whole number above zero (got {value})"),
    "points_too_few": NC_("points_too_few", "{points} points are worth nothing at {rate} points per unit"),
    "voucher_not_found": NC_("voucher_not_found", "No voucher '{code}'"),
    "voucher_used": NC_("voucher_used", "Voucher {code} has already been used"),
    "voucher_expired": NC_("voucher_expired", "Voucher {code} expired on {date}"),
    "voucher_not_yours": NC_("voucher_not_yours", "Voucher {code} belongs to another member"),
    "voucher_min_spend": NC_("voucher_min_spend", "Voucher {code} needs a spend of at least {min}"),
    "voucher_void": NC_("voucher_void", "Voucher {code} has been cancelled"),
    "sale_duplicate_ref": NC_("sale_duplicate_ref", "This sale was already recorded as {receipt}"),
    # wallet
    "topup_not_found": NC_("topup_not_found", "No top-up {id}"),
    "topup_refunded": NC_("topup_refunded", "Top-up {id} has already been refunded"),
    "topup_spent": NC_("topup_spent", "Top-up {id} cannot be refunded: the balance no longer holds its {principal} paid and {bonus} bonus"),
    "cashout_nothing": NC_("cashout_nothing", "There is no paid balance to cash out"),
    "reason_required": NC_("reason_required", "A reason is required"),
    "adjust_negative_result": NC_("adjust_negative_result", "The adjustment would leave {what} below zero"),
    # count cards
    "countcard_not_found": NC_("countcard_not_found", "No count card {id}"),
    "countcard_empty": NC_("countcard_empty", "Count card {id} has no uses left"),
    "countcard_expired": NC_("countcard_expired", "Count card {id} expired on {date}"),
    "countcard_not_yours": NC_("countcard_not_yours", "Count card {id} belongs to another member"),
    "countcard_wrong_service": NC_("countcard_wrong_service", "Count card {id} does not cover '{name}'"),
    # refunds
    "sale_not_found": NC_("sale_not_found", "No sale {receipt}"),
    "sale_not_refundable": NC_("sale_not_refundable", "Sale {receipt} cannot be refunded ({why})"),
    "refund_line_unknown": NC_("refund_line_unknown", "Sale {receipt} has no line {line}"),
    "refund_too_much": NC_("refund_too_much", "Line {line} sold {sold}, {refunded} already refunded: cannot refund {qty} more"),
    "refund_nothing": NC_("refund_nothing", "Choose at least one line to refund"),
    "approval_required": NC_("approval_required", "A manager's approval is required to {action}"),
    # held carts
    "held_not_found": NC_("held_not_found", "No held cart {id}"),
    "held_closed": NC_("held_closed", "Held cart {id} was already recalled or cancelled"),
    # staff
    "staff_not_found": NC_("staff_not_found", "No staff member {key}"),
    "pin_invalid": NC_("pin_invalid", "A PIN is 4 to 8 digits"),
    "pin_wrong": NC_("pin_wrong", "Wrong name or PIN"),  # also for an unknown name: no hint which exist
    "staff_locked": NC_("staff_locked", "{name} is locked after too many wrong PINs; the owner can unlock"),
    "staff_duplicate": NC_("staff_duplicate", "A staff member named {name} already exists"),
    "permission_denied": NC_("permission_denied", "A {role} may not {action}"),
    # the owner's password (services/auth.py, permissions.py)
    "owner_password_short": NC_("owner_password_short", "The owner's password needs at least {min} characters"),
    "owner_password_long": NC_("owner_password_long", "The owner's password is too long (at most {max} characters)"),
    "owner_password_digits": NC_("owner_password_digits", "The owner's password cannot be digits only (that would be a PIN): add letters"),
    "owner_password_is_pin": NC_("owner_password_is_pin", "The owner's password must not be the PIN"),
    "owner_password_mismatch": NC_("owner_password_mismatch", "The two passwords are not the same"),
    "owner_password_owner_only": NC_("owner_password_owner_only", "Only an owner has an owner's password"),
    "owner_password_old_required": NC_("owner_password_old_required", "Type the current owner's password to change it"),
    "owner_password_unset": NC_("owner_password_unset", "Set the owner's password first: Settings › Staff"),
    "owner_password_needed_cli": NC_("owner_password_needed_cli", "This needs the owner's password: type it on a terminal, or set "
                                  "SHOPCARE_OWNER_PASSWORD for a script"),
    "owner_password_required": NC_("owner_password_required", "To {action}, the owner's password is needed"),
    "owner_password_wrong": NC_("owner_password_wrong", "Wrong owner's password ({left} tries left before it locks)"),
    "owner_password_locked": NC_("owner_password_locked", "The owner's password is locked after too many wrong tries: try again after {until}"),
    "role_invalid": NC_("role_invalid", "Unknown role '{role}'"),
    # settings
    "setting_unknown": NC_("setting_unknown", "Unknown setting '{key}'"),
    "setting_invalid": NC_("setting_invalid", "Setting {key}: {why}"),
    # shop set-up, tiers, bonus rules and staff (services/shop_admin.py)
    "already_set_up": NC_("already_set_up", "The shop is already set up: log in with a staff PIN"),
    "shop_name_empty": NC_("shop_name_empty", "The shop name cannot be empty"),
    "currency_invalid": NC_("currency_invalid", "'{value}' is not an ISO 4217 currency code (e.g. CNY, USD)"),
    "language_invalid": NC_("language_invalid", "Language '{value}' is not one ShopCare speaks: English (en), Simplified Chinese "
                         "(zh_CN) or Traditional Chinese (zh_TW)"),
    "signature_too_long": NC_("signature_too_long", "The signature is too long (at most {max} characters)"),
    "currency_locked": NC_("currency_locked", "The currency cannot change from {old} to {new}: sales or stored value are already recorded "
                        "in {old}"),
    "points_per_unit_invalid": NC_("points_per_unit_invalid", "Points per unit must be a whole number from 0 to 1000 (got {value})"),
    "points_redeem_rate_invalid": NC_("points_redeem_rate_invalid", "Points per unit redeemed must be a whole number of 1 or more (got {value})"),
    "expiry_policy_invalid": NC_("expiry_policy_invalid", "Points expiry '{value}' is not never, months or year_end"),
    "expiry_months_invalid": NC_("expiry_months_invalid", "Points must expire after 1 to 120 months (got {value})"),
    "discount_limit_invalid": NC_("discount_limit_invalid", "A {role}'s discount limit must be from 0% to 100% (got {value}%)"),
    "discount_limits_order": NC_("discount_limits_order", "A cashier's discount limit cannot be above a manager's"),
    "tier_name_empty": NC_("tier_name_empty", "A tier needs an English and a Chinese name"),
    "tier_rank_invalid": NC_("tier_rank_invalid", "A tier's rank must be a whole number from 1 to 99 (got {value})"),
    "tier_discount_invalid": NC_("tier_discount_invalid", "A tier's discount must be from 0% to 100% (got {value}%)"),
    "tier_multiplier_invalid": NC_("tier_multiplier_invalid", "Points multiplier must be a whole percentage from 0 to {max} (got {value})"),
    "tier_rank_duplicate": NC_("tier_rank_duplicate", "Rank {rank} is given to two tiers: {name} and {other}"),
    "tier_duplicate": NC_("tier_duplicate", "A tier named {name} already exists"),
    "tier_in_use": NC_("tier_in_use", "Tier {name} cannot be deleted: {count} member(s) hold it"),
    "tier_is_vip": NC_("tier_is_vip", "Tier {name} is the VIP rule's tier: choose another VIP tier first"),
    "tier_last": NC_("tier_last", "The last tier cannot be deleted"),
    "topup_min_invalid": NC_("topup_min_invalid", "A bonus rule's top-up amount must be more than zero"),
    "bonus_negative": NC_("bonus_negative", "The bonus cannot be negative ({value})"),
    "bonus_over_amount": NC_("bonus_over_amount", "A bonus of {bonus} is more than the top-up of {amount} itself"),
    "date_range_invalid": NC_("date_range_invalid", "The end date {end} is before the start date {start}"),
    "report_by_invalid": NC_("report_by_invalid", "A product sales report is by {choices}, not {value}"),
    "bonus_rule_duplicate": NC_("bonus_rule_duplicate", "Two active bonus rules for top-ups of {amount} apply on the same days"),
    "bonus_rule_not_found": NC_("bonus_rule_not_found", "No bonus rule {id}"),
    "last_owner": NC_("last_owner", "{name} is the last active owner: make someone else an owner first"),
    # import
    "import_unreadable": NC_("import_unreadable", "Cannot read {file}: {why}"),
    "import_encoding": NC_("import_encoding", "{file}: cannot tell the file's encoding (UTF-8, GB18030 or Big5 are read); save it as UTF-8"),
    "import_columns": NC_("import_columns", "{file}: missing column(s) {missing}; found {found}"),
    "import_rows": NC_("import_rows", "{file}: {count} bad row(s); nothing was imported"),
    "import_empty": NC_("import_empty", "{file} has no data rows"),
    "import_no_sheet": NC_("import_no_sheet", "{file}: the workbook has no worksheet"),
    "import_xls": NC_("import_xls", "{file} is an old .xls workbook: save it as .xlsx or CSV"),
    "import_column_twice": NC_("import_column_twice", "{file}: columns {columns} both mean '{column}'"),
    "import_phone_repeated": NC_("import_phone_repeated", "Phone {phone} is also on row {row}"),
    "import_card_repeated": NC_("import_card_repeated", "Card number {card} is also on row {row}"),
    "import_receipt_repeated": NC_("import_receipt_repeated", "Receipt {receipt} is also on row {row}"),
    "import_yes_no": NC_("import_yes_no", "{field}: '{value}' is not yes or no"),
    "import_calendar": NC_("import_calendar", "{field}: '{value}' is not solar or lunar"),
    "import_whole_number": NC_("import_whole_number", "{field}: '{value}' is not a whole number of 0 or more"),
    "import_datetime": NC_("import_datetime", "{field}: '{value}' is not a date and time (use YYYY-MM-DD HH:MM)"),
    "import_future": NC_("import_future", "{field}: {value} is in the future"),
    "import_too_long": NC_("import_too_long", "{field}: '{value}' is longer than {max} characters"),
    # database / backup
    "db_newer": NC_("db_newer", "The database was written by a newer ShopCare (schema {rev})"),
    "backup_failed": NC_("backup_failed", "Backup failed: {why}"),
    "restore_failed": NC_("restore_failed", "Restore failed: {why}"),
    "db_not_sqlite": NC_("db_not_sqlite", "{action} works on a SQLite database file only"),
    # restore on a checked copy, and the keyed audit chain (services/backup.py restore, services/audit.py)
    "audit_key_invalid": NC_("audit_key_invalid", "{var} must be the audit key in hex (at least 32 hex digits)"),
    # sharing the audit key between tills (services/audit.py export_key, import_key)
    "audit_key_text": NC_("audit_key_text", "That is not an audit key: it is 64 hexadecimal digits (0-9, a-f), shown as 8 groups of 8 "
                       "(this has {digits} digits)"),
    "audit_key_env_set": NC_("audit_key_env_set", "This till takes its audit key from {var}: change that variable instead (it wins over "
                          "the stored key)"),
    "audit_key_wrong": NC_("audit_key_wrong", "Not this shop's audit key: audit row {row} was signed with another key. Nothing was "
                        "changed; copy the key again from the till whose rows these are"),
    "restore_check_failed": NC_("restore_check_failed", "Restore refused, the shop's database is unchanged: the backup fails the check "
                             "({check}): {detail}"),
    "restore_not_confirmed": NC_("restore_not_confirmed", "Restore not confirmed: on a terminal type yes when asked, in a script add --yes"),
    "restore_app_running": NC_("restore_app_running", "ShopCare is open on this database ({path}): close the till app first, or restore "
                            "from its Settings › Backups"),
    # wallet, points and count cards (services/wallet.py, points.py, countcards.py)
    "adjust_nothing": NC_("adjust_nothing", "The adjustment changes nothing"),
    "adjust_principal_negative": NC_("adjust_principal_negative", "The adjustment {delta} would take the paid balance {balance} below zero"),
    "adjust_bonus_negative": NC_("adjust_bonus_negative", "The adjustment {delta} would take the bonus balance {balance} below zero"),
    "adjust_points_negative": NC_("adjust_points_negative", "The adjustment {delta} would take the points balance {balance} below zero"),
    "points_adjust_invalid": NC_("points_adjust_invalid", "A points adjustment must be a whole number other than zero (got {value})"),
    "countcard_product_invalid": NC_("countcard_product_invalid", "'{name}' is not a count-card package with uses and a service"),
    "countcard_full": NC_("countcard_full", "Count card {id} already holds all of its {total} uses"),
    "countcard_partly_used": NC_("countcard_partly_used", "Count card {id} has been used ({used} of {total}); only a whole, unused card can be refunded"),
    "countcard_closed": NC_("countcard_closed", "Count card {id} has no uses left (already refunded, used up or expired)"),
    # command line, backup, check (ops)
    "db_missing": NC_("db_missing", "No database at {path}: run 'shopcare init' first"),
    "db_unavailable": NC_("db_unavailable", "Cannot open the database {url}: {why}"),
    "file_not_found": NC_("file_not_found", "No such file: {path}"),
    "gui_no_display": NC_("gui_no_display", "No display to show the window on. Run ShopCare in a desktop session, set "
                       "QT_QPA_PLATFORM=offscreen, or use a command (shopcare --help)"),
    "gui_unavailable": NC_("gui_unavailable", "The window cannot start: {why}"),
    # purchase-history import: rows sharing a receipt number are one sale (services/imports.py)
    "import_receipt_mismatch": NC_("import_receipt_mismatch", "Receipt {receipt}: phone and date/time must match row {row} of the same receipt "
                                "({phone}, {when})"),
    "import_receipt_left_out": NC_("import_receipt_left_out", "Left out with receipt {receipt}: its row(s) {rows} are bad"),
    # receipt printers and the till's own settings (services/localconfig.py, adapters/printers.py)
    "printer_setting_invalid": NC_("printer_setting_invalid", "'{value}' is not a printer setting: use usb:VID:PID, net:HOST[:PORT], serial:DEVICE, "
                                "file:PATH or preview"),
    "printer_usb_ids_invalid": NC_("printer_usb_ids_invalid", "'{value}': a USB printer is usb:VID:PID with 4 hex digits each, e.g. usb:04b8:0202"),
    "printer_port_invalid": NC_("printer_port_invalid", "'{value}': the port must be a whole number from 1 to 65535"),
    "printer_target_missing": NC_("printer_target_missing", "'{value}': name the {what} after '{kind}:'"),
    "paper_width_invalid": NC_("paper_width_invalid", "Paper width must be 58 or 80 mm (got {value})"),
    "till_code_invalid": NC_("till_code_invalid", "Till code '{value}' must be 1 to 16 letters, digits, '-' or '_'"),
    "printer_unreachable": NC_("printer_unreachable", "The receipt printer {printer} cannot be reached: {why}"),
    "printer_timeout": NC_("printer_timeout", "The receipt printer {printer} did not answer in time"),
    "printer_no_paper": NC_("printer_no_paper", "The receipt printer {printer} is out of paper"),
    "printer_failed": NC_("printer_failed", "Printing on {printer} failed: {why}"),
    "printer_usb_backend_missing": NC_("printer_usb_backend_missing", "USB printer {printer}: the libusb library is not installed "
                                    "(Debian/Ubuntu: apt install libusb-1.0-0)"),
    "printer_driver_missing": NC_("printer_driver_missing", "{kind} printers need the {package} package: pip install {package}"),
    # reports: end of day, member statements
    "statement_too_long": NC_("statement_too_long", "A statement covers at most {days} days: choose a shorter period"),
    "report_write_failed": NC_("report_write_failed", "Cannot write the report to {path}: {why}"),
    # texts: templates and outbox administration
    "template_kind_unknown": NC_("template_kind_unknown", "'{kind}' is not a kind of text (known: {kinds})"),
    "template_lang_unknown": NC_("template_lang_unknown", "'{lang}' is not a template language: en, zh_CN or zh_TW"),
    "template_empty": NC_("template_empty", "The text cannot be empty"),
    "template_too_long": NC_("template_too_long", "The text is too long: {count} characters (at most {max})"),
    "template_placeholder_malformed": NC_("template_placeholder_malformed", "'{fragment}' is not a placeholder: use a name in braces, one of {allowed}"),
    "template_placeholder_unknown": NC_("template_placeholder_unknown", "Unknown placeholder {fragment}: this text can use {allowed}"),
    "template_placeholder_unknown_near": NC_("template_placeholder_unknown_near", "Unknown placeholder {fragment}: did you mean {near}?"),
    "message_not_found": NC_("message_not_found", "There is no text number {id}"),
    "message_status_unknown": NC_("message_status_unknown", "'{status}' is not a text status"),
    "message_dates_reversed": NC_("message_dates_reversed", "The start date {date_from} is after the end date {date_to}"),
    "message_not_retryable": NC_("message_not_retryable", "Text {id} is {status}: only a failed or unknown text can be sent again"),
    "message_not_cancellable": NC_("message_not_cancellable", "Text {id} is {status}: only a queued, failed or unknown text can be cancelled"),
    "message_not_held": NC_("message_not_held", "Text {id} is {status}: only a text waiting for approval can be approved"),
    "message_not_unknown": NC_("message_not_unknown", "Text {id} is {status}: only a text whose sending is unknown can be marked"),
    "outbox_member_ambiguous": NC_("outbox_member_ambiguous", "Several members' names start with '{name}': type more of the name, or the phone"),
    # texts: gateways and sending
    "sms_gateway_invalid": NC_("sms_gateway_invalid", "The text gateway must be 'log' or 'twilio' (got '{value}')"),
    "sms_account_sid_invalid": NC_("sms_account_sid_invalid", "The Twilio account SID must be AC followed by 32 hex digits (got '{value}')"),
    "sms_sender_invalid": NC_("sms_sender_invalid", "The sender must be a phone number in +country format (e.g. +8613800138000) or a "
                           "messaging service SID (MG + 32 hex digits); got '{value}'"),
    "sms_api_base_invalid": NC_("sms_api_base_invalid", "The gateway API address must be http:// or https:// and a host (got '{value}')"),
    "sms_token_missing": NC_("sms_token_missing", "The Twilio gateway needs its auth token"),
    "sms_token_invalid": NC_("sms_token_invalid", "The auth token must be letters and digits only, without spaces"),
    "sms_auth_failed": NC_("sms_auth_failed", "The text gateway refused the account SID or auth token (Twilio {provider_code}): "
                        "check them in the gateway settings; nothing was sent"),
    "sms_temporary": NC_("sms_temporary", "The text gateway is busy or unreachable ({why}); the text will be tried again"),
    "sms_rejected": NC_("sms_rejected", "The text gateway refused the text (code {provider_code}): {why}"),
    "sms_quiet_hours_invalid": NC_("sms_quiet_hours_invalid", "Quiet hours must be times like 21:00 (got '{value}')"),
    "sms_daily_cap_invalid": NC_("sms_daily_cap_invalid", "The daily text limit per member must be a whole number from 0 to 20 (got {value})"),
    "sms_optout_line_invalid": NC_("sms_optout_line_invalid", "The opt-out line must be 1 to {max} characters"),
    "sms_test_text_empty": NC_("sms_test_text_empty", "The test text cannot be empty"),
    # care engine: rules, calendar and settings (services/care/)
    "care_date_future": NC_("care_date_future", "Care actions cannot be run for {date}: it is after today ({today})"),
    "lunar_date_invalid": NC_("lunar_date_invalid", "Lunar month {month}, day {day} does not exist (months 1-12, days 1-30)"),
    "care_term_unknown": NC_("care_term_unknown", "'{term}' is not one of the 24 solar terms (e.g. 冬至, 立春)"),
    "care_public_unknown": NC_("care_public_unknown", "'{name}' is not a CN public holiday; known: {known}"),
    "care_holiday_rule_invalid": NC_("care_holiday_rule_invalid", "'{rule}' is not a calendar rule: use solar:MM-DD, lunar:MM-DD, term:NAME, "
                                  "public:NAME or date:YYYY-MM-DD"),
    "care_holiday_key_invalid": NC_("care_holiday_key_invalid", "A calendar key is 1 to 40 lower-case letters, digits or '_' (got '{key}')"),
    "care_holiday_name_empty": NC_("care_holiday_name_empty", "A calendar day needs an English and a Chinese name"),
    "care_holiday_duplicate": NC_("care_holiday_duplicate", "The care calendar already has a day '{key}'"),
    "care_holiday_not_found": NC_("care_holiday_not_found", "The care calendar has no day '{key}'"),
    "care_setting_invalid": NC_("care_setting_invalid", "Care setting {key}: '{value}' is not {expected}"),
    # member analytics and its exports (services/analytics/)
    "as_of_future": NC_("as_of_future", "The as-of date {date} is after today ({today})"),
    "export_format": NC_("export_format", "{file}: export to a .csv or .xlsx file"),
    "export_unwritable": NC_("export_unwritable", "Cannot write {file}: {why}"),
    # care: campaigns, call-backs and service records, knowledge base (campaigns.py, callbacks.py, knowledge.py)
    "campaign_name_invalid": NC_("campaign_name_invalid", "A campaign needs a name of 1 to {max} characters"),
    "campaign_kind_invalid": NC_("campaign_kind_invalid", "'{kind}' is not a kind of campaign (standard or referral)"),
    "campaign_tier_unknown": NC_("campaign_tier_unknown", "No tier '{tier}' (tiers: {tiers})"),
    "campaign_month_invalid": NC_("campaign_month_invalid", "Birthday month must be 1 to 12 (got {value})"),
    "campaign_range_invalid": NC_("campaign_range_invalid", "The {what} range is upside down: its start is after its end"),
    "campaign_segment_unknown": NC_("campaign_segment_unknown", "'{segment}' is not a member segment ({segments})"),
    "campaign_voucher_invalid": NC_("campaign_voucher_invalid", "'{kind}' is not a kind of voucher (amount or percent)"),
    "campaign_percent_invalid": NC_("campaign_percent_invalid", "A percentage voucher takes 0.01 % to 99.99 % off (got {value} %)"),
    "campaign_expiry_past": NC_("campaign_expiry_past", "A campaign voucher needs an expiry date from today on (got {date})"),
    "campaign_referral_needs_voucher": NC_("campaign_referral_needs_voucher", "A bring-a-friend campaign needs a voucher for the friend"),
    "campaign_referral_points_invalid": NC_("campaign_referral_points_invalid", "The referrer's reward must be 1 to {max} points (got {value})"),
    "campaign_selects_nobody": NC_("campaign_selects_nobody", "This campaign reaches nobody: {matched} member(s) match, none of whom may get "
                                "offers (consent, opt-out or phone). Widen the filters."),
    "campaign_not_found": NC_("campaign_not_found", "No campaign {id}"),
    "campaign_referral_own_voucher": NC_("campaign_referral_own_voucher", "Voucher {code} is for a friend of this member, not for the member"),
    "task_not_found": NC_("task_not_found", "No call-back task {id}"),
    "task_not_open": NC_("task_not_open", "Call-back task {id} is already {status}"),
    "task_reason_invalid": NC_("task_reason_invalid", "A task needs a reason of 1 to {max} characters"),
    "task_due_invalid": NC_("task_due_invalid", "A task is due from today on (got {date})"),
    "note_kind_invalid": NC_("note_kind_invalid", "'{kind}' is not a kind of contact note ({kinds})"),
    "note_body_invalid": NC_("note_body_invalid", "A contact note needs 1 to {max} characters"),
    "note_outcome_too_long": NC_("note_outcome_too_long", "The outcome is too long (at most {max} characters)"),
    "next_contact_past": NC_("next_contact_past", "The next contact date must be after today (got {date})"),
    "complaint_not_found": NC_("complaint_not_found", "No open complaint {id}"),
    "complaint_resolved": NC_("complaint_resolved", "Complaint {id} was already resolved"),
    "complaint_open": NC_("complaint_open", "Complaint {id} is not resolved yet: only a resolved complaint is a typical case"),
    "resolution_empty": NC_("resolution_empty", "Say how the complaint was resolved"),
    "kb_title_invalid": NC_("kb_title_invalid", "An article needs a title of 1 to {max} characters"),
    "kb_body_invalid": NC_("kb_body_invalid", "An article needs a text of 1 to {max} characters"),
    "kb_not_found": NC_("kb_not_found", "No knowledge base article {id}"),
    "kb_case_exists": NC_("kb_case_exists", "Complaint {id} is already saved as a typical case"),
    "kb_tags_too_long": NC_("kb_tags_too_long", "The tags are too long (at most {max} characters)"),
    # money hardening: refund claims, bounds on amounts and balances, one path for settings
    # (services/refunds.py, ledger.py, settings.py)
    "sale_refunded": NC_("sale_refunded", "Sale {receipt} has already been refunded in full"),
    "refund_line_refunded": NC_("refund_line_refunded", "Line {line} of sale {receipt} has already been refunded (all {sold} sold)"),
    "balance_too_large": NC_("balance_too_large", "This would take the balance above {max}, the most one balance may hold"),
    "ledger_amount_invalid": NC_("ledger_amount_invalid", "'{value}' is not a whole number of at most {max}: nothing was recorded"),
    "region_invalid": NC_("region_invalid", "'{value}' is not a region code phone numbers are known for (e.g. CN, HK, TW, US)"),
    "discount_limit_too_high": NC_("discount_limit_too_high", "A {role}'s discount limit can be at most {max}% (got {value}%)"),
    "points_too_many": NC_("points_too_many", "{value} points is more than one movement may hold (at most {max})"),
    "campaign_text_needed": NC_("campaign_text_needed", "The campaign template speaks of a voucher: attach one, or write the campaign's own text"),
    # busy database (app/db.py raises it from the unit of work; the till retries on its own)
    "db_busy": NC_("db_busy", "The database is busy (another till or a long job is writing): try again in a moment"),
    # input hardening: free text, people's dates, login (members, staff, care texts)
    "text_bad_char": NC_("text_bad_char", "{field}: the character {char} is not allowed (a control, text-direction or broken character)"),
    "text_invisible": NC_("text_invisible", "{field}: only invisible characters were typed"),
    "text_too_long": NC_("text_too_long", "{field} is too long (at most {max} characters)"),
    "text_not_text": NC_("text_not_text", "{field} must be text"),
    "wedding_invalid": NC_("wedding_invalid", "Wedding date {value} is not a real date"),

    # input hardening: dates, database URLs, unexpected failures, files, demo, messages (cli.py, days.py,
    # tabular.py, money.py, demo.py, vouchers.py, countcards.py)
    "date_out_of_range": NC_("date_out_of_range", "{field}: {value} is outside the dates ShopCare keeps ({first} to {last})"),
    "number_out_of_range": NC_("number_out_of_range", "{field}: '{value}' is not a whole number from {min} to {max}"),
    "db_url_invalid": NC_("db_url_invalid", "'{url}' is not a database ShopCare can open ({why}): use sqlite:///PATH or "
                       "postgresql+psycopg://USER@HOST/NAME"),
    "unexpected": NC_("unexpected", "Something went wrong that ShopCare did not expect ({kind}); it stopped there. The details "
                   "were saved in {log} (shopcare support-bundle zips them for whoever helps you)"),
    "import_extra_cells": NC_("import_extra_cells", "The row has a value beyond the last column: '{value}' (a comma too many?)"),
    "demo_real_shop": NC_("demo_real_shop", "This database holds a shop's own data ({members} members, {sales} sales): the demo only "
                       "fills an empty database or an earlier demo. Use another one (--db or SHOPCARE_DB)"),
    "voucher_expiry_past": NC_("voucher_expiry_past", "The voucher's expiry date {date} is in the past"),
    "import_csv_broken": NC_("import_csv_broken", "{file}: the CSV text breaks off near row {row} (a quote left open, or a cell far too long)"),
    "points_absurd": NC_("points_absurd", "{value} points is more than any member holds (at most {max})"),
    # the support bundle (app/services/admin/support.py)
    "support_bundle_exists": NC_("support_bundle_exists", "{path} already exists: choose another name, or replace it with --force"),
    "support_bundle_name": NC_("support_bundle_name", "{path}: a support bundle is a .zip file"),
    # the product catalogue import (app/services/admin/import_products.py)
    "import_sheet_missing": NC_("import_sheet_missing", "{file} has no sheet {sheet} (its sheets: {sheets})"),
    "import_tier_column": NC_("import_tier_column", "{file}: column '{column}' names no member tier (the tiers: {tiers}); "
                              "rename the column or add the tier first"),
    "import_sku_repeated": NC_("import_sku_repeated", "SKU {sku} is also on row {row}"),
    "import_barcode_repeated": NC_("import_barcode_repeated", "Barcode {barcode} is also on row {row}"),
    "import_product_exists": NC_("import_product_exists", "{code} is already product {sku} {name} (import with "
                                 "\"update products that exist\" to change it)"),
    "import_price_missing": NC_("import_price_missing", "{field}: a new product needs a price"),
    "import_stock_existing": NC_("import_stock_existing", "{field}: {name} already has {on_hand} in stock from its stock "
                                 "record; change it with a stock count, not an import ({value})"),
    # members and history imports (app/services/admin/imports.py, import_history.py)
    "import_cancelled": NC_("import_cancelled", "The import was cancelled; nothing was imported"),
    "import_tier_unknown": NC_("import_tier_unknown", "{field}: '{value}' is no member tier (the tiers: {tiers})"),
    "import_service_unknown": NC_("import_service_unknown", "{field}: '{value}' is no service or count-card package in the products"),
    "import_uses_over": NC_("import_uses_over", "{field}: {uses} uses left is more than the package {name} holds ({total})"),
    "import_uses_missing": NC_("import_uses_missing", "{field}: a count card needs its uses left (a whole number of 1 or more)"),
    "import_uses_no_card": NC_("import_uses_no_card", "{field}: uses left is given but no count card is named"),
    "import_same_member": NC_("import_same_member", "Row {row} already updates this member ({name})"),
    "import_member_two": NC_("import_member_two", "Phone {phone} is {name}'s but card {card} is {other}'s: two different members"),
    "import_matches_two": NC_("import_matches_two", "SKU {sku} and barcode {barcode} are two different products"),
    # undoing an import (app/services/admin/import_undo.py); the reasons' counts are plural-aware (PLURALS)
    "import_undo_none": NC_("import_undo_none", "There is no import to undo"),
    "import_batch_not_found": NC_("import_batch_not_found", "No import batch {batch} (shopcare import list shows them)"),
    "import_undo_already": NC_("import_undo_already", "Import {batch} ({file}) was already undone on {when}"),
    "import_undo_not_done": NC_("import_undo_not_done", "Import {batch} ({file}) did not finish: it left nothing to undo"),
    "import_undo_later": NC_("import_undo_later", "Import {batch} cannot be undone before the later import {later}: undo that one first"),
    "import_undo_refused": NC_("import_undo_refused", "Import {batch} ({file}) cannot be undone: {why}. Nothing was changed"),
    "undo_members_bought": NC_("undo_members_bought", "{count} of these members have bought since"),
    "undo_members_wallet": NC_("undo_members_wallet", "{count} of these members have topped up or spent stored value since"),
    "undo_members_points": NC_("undo_members_points", "{count} of these members have earned or redeemed points since"),
    "undo_members_cards": NC_("undo_members_cards", "{count} of these members have bought or used a count card since"),
    "undo_members_texts": NC_("undo_members_texts", "{count} of these members have been sent texts since"),
    "undo_members_care": NC_("undo_members_care", "{count} of these members have call-back tasks or contact notes since"),
    "undo_members_vouchers": NC_("undo_members_vouchers", "{count} of these members have been given vouchers since"),
    "undo_members_held": NC_("undo_members_held", "{count} of these members have a held cart"),
    "undo_members_referred": NC_("undo_members_referred", "{count} of these members have referred other members since"),
    "undo_members_edited": NC_("undo_members_edited", "{count} of these members have been edited since"),
    "undo_members_other": NC_("undo_members_other", "{count} of these members are named in '{table}' since"),
    "undo_cards_used": NC_("undo_cards_used", "{count} of the imported count cards have been used since"),
    "undo_products_sold": NC_("undo_products_sold", "{count} of these products have been sold since"),
    "undo_products_stock": NC_("undo_products_stock", "{count} of these products have had stock received, adjusted or counted since"),
    "undo_products_changed": NC_("undo_products_changed", "{count} of these products have been edited since"),
    "undo_products_other": NC_("undo_products_other", "{count} of these products are used in '{table}' since"),
    "undo_categories_used": NC_("undo_categories_used", "{count} of the categories it added have been used or changed since"),
    "undo_sales_refunded": NC_("undo_sales_refunded", "{count} of these sales have been refunded since"),
    "undo_sales_other": NC_("undo_sales_other", "{count} of these sales are named in '{table}' since"),
    "support_bundle_failed": NC_("support_bundle_failed", "The support bundle could not be written to {path}: {why}"),
    "countcard_too_few": NC_("countcard_too_few", "Count card {id} has only {left} use(s) left, not {asked}"),
    # stock: receiving, adjustments, the stocktake (services/sales/inventory.py)
    "stock_qty_invalid": NC_("stock_qty_invalid", "{name}: the {field} '{value}' is not a whole number of units"),
    "stock_qty_range": NC_("stock_qty_range", "{name}: the {field} {value} is not from {min} to {max} units"),
    "stock_not_tracked": NC_("stock_not_tracked", "'{name}' ({sku}) does not track stock: turn on Track stock in its editor on "
                          "the Products tab"),
    "stock_inactive": NC_("stock_inactive", "'{name}' ({sku}) is inactive (no longer sold): its stock cannot be received or "
                       "counted"),
    "stock_adjust_below_zero": NC_("stock_adjust_below_zero", "Taking {qty} off '{name}' would leave less than nothing (in stock: "
                                "{on_hand}); count it instead"),
    "stocktake_empty": NC_("stocktake_empty", "The stocktake has no counts"),
    "stocktake_rows": NC_("stocktake_rows", "{file}: {count} bad row(s); nothing was counted"),
    "stocktake_twice": NC_("stocktake_twice", "'{name}' is counted twice (as {first} and as {second})"),
}

# The names services give the {field} of an amount or a date (import files pass
# their own header text, and the app passes its labels already translated: those are shown as they are).
FIELD_LABELS: dict[str, str] = {
    "amount": NC_("field:amount", "amount"), "top-up": NC_("field:top-up", "top-up"), "cash": NC_("field:cash", "cash"), "card": NC_("field:card", "card"),
    "stored value": NC_("field:stored value", "stored value"), "voucher": NC_("field:voucher", "voucher"), "price": NC_("field:price", "price"),
    "price paid": NC_("field:price paid", "price paid"), "discount": NC_("field:discount", "discount"), "minimum spend": NC_("field:minimum spend", "minimum spend"),
    "maximum spend": NC_("field:maximum spend", "maximum spend"), "points multiplier": NC_("field:points multiplier", "points multiplier"),
    "points base": NC_("field:points base", "points base"), "VIP single purchase": NC_("field:VIP single purchase", "VIP single purchase"),
    "VIP month spend": NC_("field:VIP month spend", "VIP month spend"), "principal": NC_("field:principal", "paid balance"),
    "bonus": NC_("field:bonus", "bonus balance"), "date": NC_("field:date", "date"), "from": NC_("field:from", "from"), "to": NC_("field:to", "to"),
    "expires_on": NC_("field:expires_on", "expiry date"), "cost": NC_("field:cost", "cost price"),
    "member price": NC_("field:member price", "member price"), "members": NC_("field:members", "members"), "days": NC_("field:days", "days"),
    # settings and other choices a service names in setting_invalid (key=…)
    "kind": NC_("field:kind", "kind"), "card_uses": NC_("field:card_uses", "count-card uses"), "sort": NC_("field:sort", "sort order"),
    "points_expiry_policy": NC_("field:points_expiry_policy", "points expiry"), "discount_limit_bp": NC_("field:discount_limit_bp", "discount limits"),
    "vip_single_purchase": NC_("field:vip_single_purchase", "VIP single purchase"), "vip_month_spend": NC_("field:vip_month_spend", "VIP month spend"),
    "ebill_default": NC_("field:ebill_default", "e-bills by default"), "signature": NC_("field:signature", "signature"),
    # stock (services/sales/inventory.py)
    "received": NC_("field:received", "quantity received"), "adjustment": NC_("field:adjustment", "adjustment"),
    "counted": NC_("field:counted", "count"), "unit cost": NC_("field:unit cost", "unit cost"),
    "negative_stock": NC_("field:negative_stock", "selling below zero"),
}

ROLE_NAMES = {"owner": NC_("role:owner", "owner"), "manager": NC_("role:manager", "manager"), "cashier": NC_("role:cashier", "cashier"),
              "system": NC_("role:system", "system job")}


# The payment methods, one name each everywhere (checkout, receipts, e-bills, reports, errors).
PAYMENT_METHODS: dict[str, str] = {
    "cash": NC_("method:cash", "Cash"), "card": NC_("method:card", "Card"),
    "wallet": NC_("method:wallet", "Stored value"), "points": NC_("method:points", "Points"),
    "voucher": NC_("method:voucher", "Voucher"), "count_card": NC_("method:count_card", "Count card"),
    "other": NC_("method:other", "Other"),
}

# Errors that show a count: code -> (the counting parameter, singular and plural English). The
# catalogue's entry above stays the text for a count that is not a whole number.
PLURALS: dict[str, tuple[str, tuple[str, str]]] = {
    "tier_in_use": ("count", NN_("Tier {name} cannot be deleted: {count} member holds it",
                                 "Tier {name} cannot be deleted: {count} members hold it")),
    "import_rows": ("count", NN_("{file}: {count} bad row; nothing was imported",
                                 "{file}: {count} bad rows; nothing was imported")),
    "stocktake_rows": ("count", NN_("{file}: {count} bad row; nothing was counted",
                                    "{file}: {count} bad rows; nothing was counted")),
    "undo_members_bought": ("count", NN_("{count} of these members has bought since",
                                         "{count} of these members have bought since")),
    "undo_members_wallet": ("count", NN_("{count} of these members has topped up or spent stored value since",
                                         "{count} of these members have topped up or spent stored value since")),
    "undo_members_points": ("count", NN_("{count} of these members has earned or redeemed points since",
                                         "{count} of these members have earned or redeemed points since")),
    "undo_members_cards": ("count", NN_("{count} of these members has bought or used a count card since",
                                        "{count} of these members have bought or used a count card since")),
    "undo_members_texts": ("count", NN_("{count} of these members has been sent texts since",
                                        "{count} of these members have been sent texts since")),
    "undo_members_care": ("count", NN_("{count} of these members has call-back tasks or contact notes since",
                                       "{count} of these members have call-back tasks or contact notes since")),
    "undo_members_vouchers": ("count", NN_("{count} of these members has been given vouchers since",
                                           "{count} of these members have been given vouchers since")),
    "undo_members_held": ("count", NN_("{count} of these members has a held cart",
                                       "{count} of these members have a held cart")),
    "undo_members_referred": ("count", NN_("{count} of these members has referred other members since",
                                           "{count} of these members have referred other members since")),
    "undo_members_edited": ("count", NN_("{count} of these members has been edited since",
                                         "{count} of these members have been edited since")),
    "undo_members_other": ("count", NN_("{count} of these members is named in '{table}' since",
                                        "{count} of these members are named in '{table}' since")),
    "undo_cards_used": ("count", NN_("{count} of the imported count cards has been used since",
                                     "{count} of the imported count cards have been used since")),
    "undo_products_sold": ("count", NN_("{count} of these products has been sold since",
                                        "{count} of these products have been sold since")),
    "undo_products_stock": ("count", NN_("{count} of these products has had stock received, adjusted or counted since",
                                         "{count} of these products have had stock received, adjusted or counted since")),
    "undo_products_changed": ("count", NN_("{count} of these products has been edited since",
                                           "{count} of these products have been edited since")),
    "undo_products_other": ("count", NN_("{count} of these products is used in '{table}' since",
                                         "{count} of these products are used in '{table}' since")),
    "undo_categories_used": ("count", NN_("{count} of the categories it added has been used or changed since",
                                          "{count} of the categories it added have been used or changed since")),
    "undo_sales_refunded": ("count", NN_("{count} of these sales has been refunded since",
                                         "{count} of these sales have been refunded since")),
    "undo_sales_other": ("count", NN_("{count} of these sales is named in '{table}' since",
                                      "{count} of these sales are named in '{table}' since")),
    "campaign_selects_nobody": ("matched", NN_(
        "This campaign reaches nobody: {matched} member matches, who may not get offers (consent, opt-out or "
        "phone). Widen the filters.",
        "This campaign reaches nobody: {matched} members match, none of whom may get offers (consent, opt-out "
        "or phone). Widen the filters.")),
}

# Which table names a neutral value, by the parameter that carries it: (table, msgctxt prefix).
_NAMED: dict[str, tuple[dict[str, str], str]] = {
    "role": (ROLE_NAMES, "role:"), "field": (FIELD_LABELS, "field:"), "key": (FIELD_LABELS, "field:"),
    "what": (FIELD_LABELS, "field:"), "method": (PAYMENT_METHODS, "method:"),
}


def method_name(method: str, lang: str | None) -> str:
    """A payment method's one name in ``lang`` (an unknown code is shown as it is)."""
    entry = PAYMENT_METHODS.get(method)
    return i18n.entry(lang, entry, context="method:" + method) if entry else method


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def quoted(value: str, limit: int = 40) -> str:
    """A value as a message quotes it: cut when long (an import cell can hold a whole paragraph)."""
    return value if len(value) <= limit else value[:limit - 1] + "…"


def value_text(name: str, value: object, lang: str | None) -> object:
    """One parameter of an error as the reader sees it: a neutral value named in ``lang``, a lazy
    text (:func:`app.i18n.L_`) or a two-language shop value rendered, anything else as it is."""
    if hasattr(value, "render") and callable(value.render):
        return value.render(lang)
    if isinstance(value, str) and name in _NAMED:
        table, prefix = _NAMED[name]
        if value in table:
            return i18n.entry(lang, table[value], context=prefix + value)
    return value


class _Pairs(Mapping):
    """The catalogue as code -> (English, Simplified Chinese): for checks that both are written."""

    def __getitem__(self, code: str) -> tuple[str, str]:
        entry = CATALOGUE[code]
        return (entry[0] if isinstance(entry, tuple) else entry), i18n.entry("zh_CN", entry, context=code)

    def __iter__(self):
        return iter(CATALOGUE)

    def __len__(self) -> int:
        return len(CATALOGUE)


CATALOGUE_PAIRS: Mapping[str, tuple[str, str]] = _Pairs()


def render(err: ShopError, lang: str | None = "en") -> str:
    """The error as a sentence in ``lang`` (any spelling :func:`app.i18n.normalise` knows)."""
    entry = CATALOGUE.get(err.code)
    if entry is None:
        return f"{err.code}: {err.params}"
    params = {k: value_text(k, v, lang) for k, v in err.params.items()}
    if i18n.is_han(lang):  # a raise site written before the values were neutral (why=…, why_zh=…)
        params.update({k[:-3]: params[k] for k in list(params) if k.endswith("_zh") and params[k]})
    if err.code in PLURALS and isinstance(err.params.get(PLURALS[err.code][0]), int):
        count, (one, many) = PLURALS[err.code]
        return i18n.ngettext(lang, one, many, err.params[count]).format_map(_Keep(params))
    return i18n.entry(lang, entry, context=err.code).format_map(_Keep(params))
