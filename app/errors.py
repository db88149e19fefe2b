"""Errors that services raise, and the one catalogue that renders them for UI and CLI alike.

A ShopError carries a ``code`` and the values to show; ``render(err, lang)`` turns it into a
sentence in English or Simplified Chinese, so the same failure reads the same everywhere.
"""
from __future__ import annotations


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


# code -> (English, Simplified Chinese). Placeholders are filled from the error's params.
CATALOGUE: dict[str, tuple[str, str]] = {
    # amounts
    "amount_invalid": ("{field}: '{value}' is not an amount (write it like 1234.50 or 1,234.50)",
                       "{field}：“{value}”不是有效金额（请写成 1234.50 或 1,234.50 的形式）"),
    "amount_too_precise": ("{field}: '{value}' has more than {places} decimal places",
                           "{field}：“{value}”的小数位超过 {places} 位"),
    "amount_negative": ("{field}: the amount cannot be negative ({value})", "{field}：金额不能为负数（{value}）"),
    "amount_zero": ("{field}: the amount must be more than zero", "{field}：金额必须大于零"),
    "amount_absurd": ("{field}: {value} is too large to be right", "{field}：{value} 金额过大，请核对"),
    "quantity_invalid": ("Quantity must be a whole number from 1 to {max} (got {value})",
                         "数量必须是 1 到 {max} 之间的整数（输入为 {value}）"),
    "percent_invalid": ("{field}: {value} is not a percentage from 0 to 100", "{field}：{value} 不是 0 到 100 之间的百分比"),
    # members
    "name_empty": ("The name cannot be empty", "姓名不能为空"),
    "name_too_long": ("The name is too long (at most {max} characters)", "姓名过长（最多 {max} 个字符）"),
    "phone_empty": ("The phone number cannot be empty", "手机号不能为空"),
    "phone_letters": ("Phone number '{value}' contains letters", "手机号“{value}”中含有字母"),
    "phone_invalid": ("'{value}' is not a valid phone number for {region}", "“{value}”不是有效的{region}电话号码"),
    "phone_duplicate": ("A member with phone {phone} already exists: {name}", "手机号 {phone} 已是会员：{name}"),
    "card_duplicate": ("Card number {card} already belongs to {name}", "卡号 {card} 已属于会员 {name}"),
    "birthday_invalid": ("Birthday {value} is not a real date", "生日 {value} 不是有效日期"),
    "date_invalid": ("{field}: '{value}' is not a date (use YYYY-MM-DD)", "{field}：“{value}”不是有效日期（格式 YYYY-MM-DD）"),
    "gender_invalid": ("Gender '{value}' is not one of M, F or blank", "性别“{value}”无效（应为 男、女 或留空）"),
    "member_not_found": ("No member {key}", "找不到会员 {key}"),
    "member_erased": ("Member {key} has been erased", "会员 {key} 已被删除个人信息"),
    "erase_stored_value_left": ("Member {key} still holds stored value: pay it out (cash-out) before erasing",
                                "会员 {key} 仍有储值余额：请先办理退储值，再删除个人信息"),
    "erase_count_card_left": ("Member {key} still has count-card uses left: settle them before erasing",
                              "会员 {key} 仍有未用完的次卡：请先处理，再删除个人信息"),
    "search_empty": ("Type a phone number, its last 4 digits, a card number or a name", "请输入手机号、手机尾号后四位、卡号或姓名"),
    "referrer_self": ("A member cannot refer themselves", "会员不能推荐自己"),
    "tier_not_found": ("No tier '{tier}'", "没有“{tier}”这个等级"),
    # catalogue and cart
    "sku_unknown": ("Unknown barcode or SKU '{sku}'", "未知条码或货号“{sku}”"),
    "sku_duplicate": ("SKU '{sku}' already exists", "货号“{sku}”已存在"),
    "product_inactive": ("'{name}' is not on sale", "“{name}”已停售"),
    "cart_empty": ("The cart is empty", "购物车为空"),
    "price_override_denied": ("Only a manager or the owner may change a price", "只有店长或老板可以改价"),
    "discount_over_limit": ("A {role} may give at most {limit}% discount (asked {asked}%)",
                            "{role}最多可打 {limit}% 折扣（申请 {asked}%）"),
    "discount_over_total": ("The discount {discount} is more than the total {total}", "折扣 {discount} 超过应付总额 {total}"),
    "member_required": ("{method} needs a member attached to the sale", "{method_zh}需要先选择会员"),
    # payments
    "payment_method_unknown": ("Unknown payment method '{method}'", "未知支付方式“{method}”"),
    "payment_short": ("Payments {paid} do not cover the total {total}", "已付 {paid}，不足应付 {total}"),
    "payment_over": ("{method} pays {amount}, more than the {due} still due; only cash gives change",
                     "{method_zh}支付 {amount} 超过待付 {due}；只有现金可以找零"),
    "wallet_insufficient": ("Stored value {balance} is less than {amount}", "储值余额 {balance} 不足 {amount}"),
    "points_insufficient": ("{member} has {balance} points, not {points}", "{member} 只有 {balance} 积分，不足 {points}"),
    "points_invalid": ("Points must be a whole number above zero (got {value})", "积分必须是大于零的整数（输入为 {value}）"),
    "points_too_few": ("{points} points are worth nothing at {rate} points per unit", "{points} 积分不足以抵扣（{rate} 积分抵 1 元）"),
    "voucher_not_found": ("No voucher '{code}'", "没有券码“{code}”"),
    "voucher_used": ("Voucher {code} has already been used", "券 {code} 已被使用"),
    "voucher_expired": ("Voucher {code} expired on {date}", "券 {code} 已于 {date} 过期"),
    "voucher_not_yours": ("Voucher {code} belongs to another member", "券 {code} 属于其他会员"),
    "voucher_min_spend": ("Voucher {code} needs a spend of at least {min}", "券 {code} 需满 {min} 才能使用"),
    "voucher_void": ("Voucher {code} has been cancelled", "券 {code} 已作废"),
    "sale_duplicate_ref": ("This sale was already recorded as {receipt}", "该笔交易已记录为 {receipt}"),
    # wallet
    "topup_not_found": ("No top-up {id}", "没有充值记录 {id}"),
    "topup_refunded": ("Top-up {id} has already been refunded", "充值 {id} 已退款"),
    "topup_spent": ("Top-up {id} cannot be refunded: the balance no longer holds its {principal} paid and {bonus} bonus",
                    "充值 {id} 无法退款：余额已不足其本金 {principal} 和赠送 {bonus}"),
    "cashout_nothing": ("There is no paid balance to cash out", "没有可退的本金余额"),
    "reason_required": ("A reason is required", "请填写原因"),
    "adjust_negative_result": ("The adjustment would leave {what} below zero", "调整后{what}将小于零"),
    # count cards
    "countcard_not_found": ("No count card {id}", "没有次卡 {id}"),
    "countcard_empty": ("Count card {id} has no uses left", "次卡 {id} 次数已用完"),
    "countcard_expired": ("Count card {id} expired on {date}", "次卡 {id} 已于 {date} 过期"),
    "countcard_not_yours": ("Count card {id} belongs to another member", "次卡 {id} 属于其他会员"),
    "countcard_wrong_service": ("Count card {id} does not cover '{name}'", "次卡 {id} 不适用于“{name}”"),
    # refunds
    "sale_not_found": ("No sale {receipt}", "没有小票 {receipt}"),
    "sale_not_refundable": ("Sale {receipt} cannot be refunded ({why})", "小票 {receipt} 不能退款（{why_zh}）"),
    "refund_line_unknown": ("Sale {receipt} has no line {line}", "小票 {receipt} 没有第 {line} 行"),
    "refund_too_much": ("Line {line} sold {sold}, {refunded} already refunded: cannot refund {qty} more",
                        "第 {line} 行售出 {sold}，已退 {refunded}，不能再退 {qty}"),
    "refund_nothing": ("Choose at least one line to refund", "请至少选择一行退货"),
    "approval_required": ("A manager's approval is required to {action}", "{action_zh}需要店长授权"),
    # held carts
    "held_not_found": ("No held cart {id}", "没有挂单 {id}"),
    "held_closed": ("Held cart {id} was already recalled or cancelled", "挂单 {id} 已取回或取消"),
    # staff
    "staff_not_found": ("No staff member {key}", "没有员工 {key}"),
    "pin_invalid": ("A PIN is 4 to 8 digits", "PIN 码为 4 到 8 位数字"),
    "pin_wrong": ("Wrong name or PIN", "姓名或 PIN 码错误"),  # also for an unknown name: no hint which exist
    "staff_locked": ("{name} is locked after too many wrong PINs; the owner can unlock", "{name} 因多次输错 PIN 已锁定，请老板解锁"),
    "staff_duplicate": ("A staff member named {name} already exists", "已有名为 {name} 的员工"),
    "permission_denied": ("A {role} may not {action}", "{role}无权{action_zh}"),
    # the owner's password (services/auth.py, permissions.py)
    "owner_password_short": ("The owner's password needs at least {min} characters",
                             "老板密码至少需要 {min} 个字符"),
    "owner_password_long": ("The owner's password is too long (at most {max} characters)",
                            "老板密码过长（最多 {max} 个字符）"),
    "owner_password_digits": ("The owner's password cannot be digits only (that would be a PIN): add letters",
                              "老板密码不能全是数字（那是 PIN 码）：请加入字母"),
    "owner_password_is_pin": ("The owner's password must not be the PIN", "老板密码不能与 PIN 码相同"),
    "owner_password_mismatch": ("The two passwords are not the same", "两次输入的密码不一致"),
    "owner_password_owner_only": ("Only an owner has an owner's password", "只有老板才能设置老板密码"),
    "owner_password_old_required": ("Type the current owner's password to change it", "修改老板密码需要输入当前密码"),
    "owner_password_unset": ("Set the owner's password first: Settings › Staff", "请先设置老板密码：设置 › 员工"),
    "owner_password_needed_cli": ("This needs the owner's password: type it on a terminal, or set "
                                  "SHOPCARE_OWNER_PASSWORD for a script",
                                  "此操作需要老板密码：请在终端中输入，或在脚本中设置环境变量 SHOPCARE_OWNER_PASSWORD"),
    "owner_password_required": ("To {action}, the owner's password is needed", "{action_zh}需要输入老板密码"),
    "owner_password_wrong": ("Wrong owner's password ({left} tries left before it locks)",
                             "老板密码错误（再错 {left} 次将锁定）"),
    "owner_password_locked": ("The owner's password is locked after too many wrong tries: try again after {until}",
                              "老板密码因多次输错已锁定，请于 {until} 之后再试"),
    "role_invalid": ("Unknown role '{role}'", "未知角色“{role}”"),
    # settings
    "setting_unknown": ("Unknown setting '{key}'", "未知设置项“{key}”"),
    "setting_invalid": ("Setting {key}: {why}", "设置项 {key}：{why}"),
    # shop set-up, tiers, bonus rules and staff (services/shop_admin.py)
    "already_set_up": ("The shop is already set up: log in with a staff PIN", "店铺已完成初始设置，请用员工 PIN 登录"),
    "shop_name_empty": ("The shop name cannot be empty", "店名不能为空"),
    "currency_invalid": ("'{value}' is not an ISO 4217 currency code (e.g. CNY, USD)",
                         "“{value}”不是 ISO 4217 货币代码（例如 CNY、USD）"),
    "language_invalid": ("Language '{value}' is not one ShopCare speaks: English (en), Simplified Chinese "
                         "(zh_CN) or Traditional Chinese (zh_TW)",
                         "语言“{value}”无效（应为 en、zh_CN 或 zh_TW）"),
    "signature_too_long": ("The signature is too long (at most {max} characters)", "短信签名过长（最多 {max} 个字符）"),
    "currency_locked": ("The currency cannot change from {old} to {new}: sales or stored value are already recorded "
                        "in {old}", "已有以 {old} 记录的销售或储值，货币不能改为 {new}"),
    "points_per_unit_invalid": ("Points per unit must be a whole number from 0 to 1000 (got {value})",
                                "每元积分必须是 0 到 1000 之间的整数（输入为 {value}）"),
    "points_redeem_rate_invalid": ("Points per unit redeemed must be a whole number of 1 or more (got {value})",
                                   "抵扣 1 元所需积分必须是不小于 1 的整数（输入为 {value}）"),
    "expiry_policy_invalid": ("Points expiry '{value}' is not never, months or year_end",
                              "积分有效期规则“{value}”无效（应为 永不过期、按月 或 次年年底）"),
    "expiry_months_invalid": ("Points must expire after 1 to 120 months (got {value})",
                              "积分有效月数必须在 1 到 120 之间（输入为 {value}）"),
    "discount_limit_invalid": ("A {role}'s discount limit must be from 0% to 100% (got {value}%)",
                               "{role}的折扣上限必须在 0% 到 100% 之间（输入为 {value}%）"),
    "discount_limits_order": ("A cashier's discount limit cannot be above a manager's", "收银员的折扣上限不能高于店长"),
    "tier_name_empty": ("A tier needs an English and a Chinese name", "会员等级需要英文名称和中文名称"),
    "tier_rank_invalid": ("A tier's rank must be a whole number from 1 to 99 (got {value})",
                          "等级序号必须是 1 到 99 之间的整数（输入为 {value}）"),
    "tier_discount_invalid": ("A tier's discount must be from 0% to 100% (got {value}%)",
                              "等级折扣必须在 0% 到 100% 之间（输入为 {value}%）"),
    "tier_multiplier_invalid": ("Points multiplier must be a whole percentage from 0 to {max} (got {value})",
                                "积分倍率必须是 0 到 {max} 之间的整数百分比（输入为 {value}）"),
    "tier_rank_duplicate": ("Rank {rank} is given to two tiers: {name} and {other}",
                            "等级序号 {rank} 重复：“{name_zh}”和“{other_zh}”"),
    "tier_duplicate": ("A tier named {name} already exists", "已有名为“{name}”的等级"),
    "tier_in_use": ("Tier {name} cannot be deleted: {count} member(s) hold it", "等级“{name_zh}”有 {count} 位会员，不能删除"),
    "tier_is_vip": ("Tier {name} is the VIP rule's tier: choose another VIP tier first",
                    "“{name_zh}”是 VIP 规则的目标等级，请先改选其他等级"),
    "tier_last": ("The last tier cannot be deleted", "不能删除最后一个等级"),
    "topup_min_invalid": ("A bonus rule's top-up amount must be more than zero", "赠送规则的充值金额必须大于零"),
    "bonus_negative": ("The bonus cannot be negative ({value})", "赠送金额不能为负数（{value}）"),
    "bonus_over_amount": ("A bonus of {bonus} is more than the top-up of {amount} itself",
                          "赠送 {bonus} 超过了充值金额 {amount}"),
    "date_range_invalid": ("The end date {end} is before the start date {start}", "结束日期 {end} 早于开始日期 {start}"),
    "bonus_rule_duplicate": ("Two active bonus rules for top-ups of {amount} apply on the same days",
                             "有两条充值 {amount} 的有效赠送规则日期重叠"),
    "bonus_rule_not_found": ("No bonus rule {id}", "没有赠送规则 {id}"),
    "last_owner": ("{name} is the last active owner: make someone else an owner first",
                   "{name} 是最后一位在职老板，请先将其他员工设为老板"),
    # import
    "import_unreadable": ("Cannot read {file}: {why}", "无法读取 {file}：{why}"),
    "import_encoding": ("{file}: cannot tell the file's encoding (UTF-8, GB18030 or Big5 are read); save it as UTF-8",
                        "{file}：无法确定文件的编码（可读取 UTF-8、GB18030 或 Big5）；请另存为 UTF-8"),
    "import_columns": ("{file}: missing column(s) {missing}; found {found}", "{file}：缺少列 {missing}；文件中的列为 {found}"),
    "import_rows": ("{file}: {count} bad row(s); nothing was imported", "{file}：有 {count} 行错误，未导入任何数据"),
    "import_empty": ("{file} has no data rows", "{file} 没有数据行"),
    "import_no_sheet": ("{file}: the workbook has no worksheet", "{file}：工作簿中没有工作表"),
    "import_xls": ("{file} is an old .xls workbook: save it as .xlsx or CSV", "{file} 是旧版 .xls 文件，请另存为 .xlsx 或 CSV"),
    "import_column_twice": ("{file}: columns {columns} both mean '{column}'", "{file}：列 {columns} 含义相同（{column}）"),
    "import_phone_repeated": ("Phone {phone} is also on row {row}", "手机号 {phone} 与第 {row} 行重复"),
    "import_card_repeated": ("Card number {card} is also on row {row}", "卡号 {card} 与第 {row} 行重复"),
    "import_receipt_repeated": ("Receipt {receipt} is also on row {row}", "小票号 {receipt} 与第 {row} 行重复"),
    "import_yes_no": ("{field}: '{value}' is not yes or no", "{field}：“{value}”应为 是 或 否"),
    "import_calendar": ("{field}: '{value}' is not solar or lunar", "{field}：“{value}”应为 公历 或 农历"),
    "import_whole_number": ("{field}: '{value}' is not a whole number of 0 or more", "{field}：“{value}”不是大于等于 0 的整数"),
    "import_datetime": ("{field}: '{value}' is not a date and time (use YYYY-MM-DD HH:MM)",
                        "{field}：“{value}”不是有效的日期时间（格式 YYYY-MM-DD HH:MM）"),
    "import_future": ("{field}: {value} is in the future", "{field}：{value} 晚于当前时间"),
    "import_too_long": ("{field}: '{value}' is longer than {max} characters", "{field}：“{value}”超过 {max} 个字符"),
    # database / backup
    "db_newer": ("The database was written by a newer ShopCare (schema {rev})", "数据库来自更新版本的 ShopCare（结构版本 {rev}）"),
    "backup_failed": ("Backup failed: {why}", "备份失败：{why}"),
    "restore_failed": ("Restore failed: {why}", "恢复失败：{why}"),
    "db_not_sqlite": ("{action} works on a SQLite database file only", "{action}仅适用于 SQLite 数据库文件"),
    # restore on a checked copy, and the keyed audit chain (services/backup.py restore, services/audit.py)
    "audit_key_invalid": ("{var} must be the audit key in hex (at least 32 hex digits)",
                          "{var} 必须是十六进制的审计密钥（至少 32 位十六进制数字）"),
    # sharing the audit key between tills (services/audit.py export_key, import_key)
    "audit_key_text": ("That is not an audit key: it is 64 hexadecimal digits (0-9, a-f), shown as 8 groups of 8 "
                       "(this has {digits} digits)", "这不是审计密钥：审计密钥为 64 位十六进制数字（0-9、a-f），"
                       "显示为 8 组、每组 8 位（此处为 {digits} 位）"),
    "audit_key_env_set": ("This till takes its audit key from {var}: change that variable instead (it wins over "
                          "the stored key)", "本收银机的审计密钥来自环境变量 {var}：请改该变量（它优先于保存的密钥）"),
    "audit_key_wrong": ("Not this shop's audit key: audit row {row} was signed with another key. Nothing was "
                        "changed; copy the key again from the till whose rows these are",
                        "不是本店的审计密钥：第 {row} 条审计记录由其他密钥签名。未作任何改动；请从写入这些记录的收银机重新抄写密钥"),
    "restore_check_failed": ("Restore refused, the shop's database is unchanged: the backup fails the check "
                             "({check}): {detail}", "已拒绝恢复，店铺数据库未作改动：该备份未通过检查（{check}）：{detail_zh}"),
    "restore_not_confirmed": ("Restore not confirmed: on a terminal type yes when asked, in a script add --yes",
                              "未确认恢复：在终端中按提示输入 yes，在脚本中请加 --yes"),
    "restore_app_running": ("ShopCare is open on this database ({path}): close the till app first, or restore "
                            "from its Settings › Backups", "ShopCare 正在使用此数据库（{path}）：请先关闭收银程序，"
                            "或在其“设置 › 备份”中恢复"),
    # wallet, points and count cards (services/wallet.py, points.py, countcards.py)
    "adjust_nothing": ("The adjustment changes nothing", "调整金额为零，无需调整"),
    "adjust_principal_negative": ("The adjustment {delta} would take the paid balance {balance} below zero",
                                  "调整 {delta} 后本金余额（现为 {balance}）将小于零"),
    "adjust_bonus_negative": ("The adjustment {delta} would take the bonus balance {balance} below zero",
                              "调整 {delta} 后赠送余额（现为 {balance}）将小于零"),
    "adjust_points_negative": ("The adjustment {delta} would take the points balance {balance} below zero",
                               "调整 {delta} 后积分余额（现为 {balance}）将小于零"),
    "points_adjust_invalid": ("A points adjustment must be a whole number other than zero (got {value})",
                              "积分调整必须是非零整数（输入为 {value}）"),
    "countcard_product_invalid": ("'{name}' is not a count-card package with uses and a service",
                                  "“{name}”不是设置了次数和服务项目的次卡套餐"),
    "countcard_full": ("Count card {id} already holds all of its {total} uses", "次卡 {id} 的 {total} 次均未使用，无可退回次数"),
    "countcard_partly_used": ("Count card {id} has been used ({used} of {total}); only a whole, unused card can be refunded",
                              "次卡 {id} 已使用 {used}/{total} 次；只有未使用的完整次卡才能退款"),
    "countcard_closed": ("Count card {id} has no uses left (already refunded, used up or expired)",
                         "次卡 {id} 已无剩余次数（已退款、已用完或已过期）"),
    # command line, backup, check (ops)
    "db_missing": ("No database at {path}: run 'shopcare init' first", "{path} 没有数据库：请先运行 shopcare init"),
    "db_unavailable": ("Cannot open the database {url}: {why}", "无法打开数据库 {url}：{why}"),
    "file_not_found": ("No such file: {path}", "文件不存在：{path}"),
    "gui_no_display": ("No display to show the window on. Run ShopCare in a desktop session, set "
                       "QT_QPA_PLATFORM=offscreen, or use a command (shopcare --help)",
                       "没有可用的显示器，无法打开窗口。请在桌面环境中运行，或设置 QT_QPA_PLATFORM=offscreen，"
                       "或使用命令行（shopcare --help）"),
    "gui_unavailable": ("The window cannot start: {why}", "无法启动窗口：{why}"),
    # purchase-history import: rows sharing a receipt number are one sale (services/imports.py)
    "import_receipt_mismatch": ("Receipt {receipt}: phone and date/time must match row {row} of the same receipt "
                                "({phone}, {when})",
                                "小票号 {receipt}：手机号和时间必须与同一小票的第 {row} 行一致（{phone}，{when}）"),
    "import_receipt_left_out": ("Left out with receipt {receipt}: its row(s) {rows} are bad",
                                "与小票号 {receipt} 一并未导入：该小票的第 {rows} 行有错误"),
    # receipt printers and the till's own settings (services/localconfig.py, adapters/printers.py)
    "printer_setting_invalid": ("'{value}' is not a printer setting: use usb:VID:PID, net:HOST[:PORT], serial:DEVICE, "
                                "file:PATH or preview",
                                "“{value}”不是有效的打印机设置：请用 usb:VID:PID、net:主机[:端口]、serial:设备、"
                                "file:路径 或 preview"),
    "printer_usb_ids_invalid": ("'{value}': a USB printer is usb:VID:PID with 4 hex digits each, e.g. usb:04b8:0202",
                                "“{value}”：USB 打印机应写作 usb:VID:PID，各为 4 位十六进制数，例如 usb:04b8:0202"),
    "printer_port_invalid": ("'{value}': the port must be a whole number from 1 to 65535",
                             "“{value}”：端口必须是 1 到 65535 之间的整数"),
    "printer_target_missing": ("'{value}': name the {what} after '{kind}:'", "“{value}”：请在“{kind}:”后填写{what_zh}"),
    "paper_width_invalid": ("Paper width must be 58 or 80 mm (got {value})", "纸宽必须是 58 或 80 毫米（输入为 {value}）"),
    "till_code_invalid": ("Till code '{value}' must be 1 to 16 letters, digits, '-' or '_'",
                          "收银台编号“{value}”必须是 1 到 16 位字母、数字、“-”或“_”"),
    "printer_unreachable": ("The receipt printer {printer} cannot be reached: {why}",
                            "无法连接小票打印机 {printer}：{why}"),
    "printer_timeout": ("The receipt printer {printer} did not answer in time", "小票打印机 {printer} 响应超时"),
    "printer_no_paper": ("The receipt printer {printer} is out of paper", "小票打印机 {printer} 缺纸"),
    "printer_failed": ("Printing on {printer} failed: {why}", "打印机 {printer} 打印失败：{why}"),
    "printer_usb_backend_missing": ("USB printer {printer}: the libusb library is not installed "
                                    "(Debian/Ubuntu: apt install libusb-1.0-0)",
                                    "USB 打印机 {printer}：未安装 libusb 库（Debian/Ubuntu：apt install libusb-1.0-0）"),
    "printer_driver_missing": ("{kind} printers need the {package} package: pip install {package}",
                               "{kind} 打印机需要安装 {package}：pip install {package}"),
    # reports: end of day, member statements
    "statement_too_long": ("A statement covers at most {days} days: choose a shorter period",
                           "对账单最多覆盖 {days} 天，请缩短时间范围"),
    "report_write_failed": ("Cannot write the report to {path}: {why}", "无法把报表写入 {path}：{why}"),
    # texts: templates and outbox administration
    "template_kind_unknown": ("'{kind}' is not a kind of text (known: {kinds})", "“{kind}”不是短信类型（可选：{kinds}）"),
    "template_lang_unknown": ("'{lang}' is not a template language: en or zh_CN", "“{lang}”不是模板语言：en 或 zh_CN"),
    "template_empty": ("The text cannot be empty", "短信内容不能为空"),
    "template_too_long": ("The text is too long: {count} characters (at most {max})",
                          "短信内容过长：{count} 个字符（最多 {max} 个）"),
    "template_placeholder_malformed": ("'{fragment}' is not a placeholder: use a name in braces, one of {allowed}",
                                       "“{fragment}”不是有效的占位符：请用花括号括起名称，可用 {allowed}"),
    "template_placeholder_unknown": ("Unknown placeholder {fragment}: this text can use {allowed}",
                                     "未知占位符 {fragment}：此类短信可用 {allowed}"),
    "template_placeholder_unknown_near": ("Unknown placeholder {fragment}: did you mean {near}?",
                                          "未知占位符 {fragment}：是否应为 {near}？"),
    "message_not_found": ("There is no text number {id}", "找不到编号为 {id} 的短信"),
    "message_status_unknown": ("'{status}' is not a text status", "“{status}”不是短信状态"),
    "message_dates_reversed": ("The start date {date_from} is after the end date {date_to}",
                               "开始日期 {date_from} 晚于结束日期 {date_to}"),
    "message_not_retryable": ("Text {id} is {status}: only a failed or unknown text can be sent again",
                              "短信 {id} 的状态为“{status_zh}”：只有发送失败或状态不明的短信可以重发"),
    "message_not_cancellable": ("Text {id} is {status}: only a queued, failed or unknown text can be cancelled",
                                "短信 {id} 的状态为“{status_zh}”：只有待发送、发送失败或状态不明的短信可以取消"),
    "message_not_held": ("Text {id} is {status}: only a text waiting for approval can be approved",
                         "短信 {id} 的状态为“{status_zh}”：只有待审核的短信可以批准"),
    "message_not_unknown": ("Text {id} is {status}: only a text whose sending is unknown can be marked",
                            "短信 {id} 的状态为“{status_zh}”：只有状态不明的短信可以标记"),
    "outbox_member_ambiguous": ("Several members' names start with '{name}': type more of the name, or the phone",
                                "多位会员的姓名以“{name}”开头：请输入完整姓名或手机号"),
    # texts: gateways and sending
    "sms_gateway_invalid": ("The text gateway must be 'log' or 'twilio' (got '{value}')",
                            "短信通道必须是“log”或“twilio”（输入为“{value}”）"),
    "sms_account_sid_invalid": ("The Twilio account SID must be AC followed by 32 hex digits (got '{value}')",
                                "Twilio 账户 SID 应为 AC 加 32 位十六进制数（输入为“{value}”）"),
    "sms_sender_invalid": ("The sender must be a phone number in +country format (e.g. +8613800138000) or a "
                           "messaging service SID (MG + 32 hex digits); got '{value}'",
                           "发送方应为带国家码的手机号（如 +8613800138000）或消息服务 SID（MG 加 32 位十六进制数）；"
                           "输入为“{value}”"),
    "sms_api_base_invalid": ("The gateway API address must be http:// or https:// and a host (got '{value}')",
                             "短信接口地址必须以 http:// 或 https:// 开头并带主机名（输入为“{value}”）"),
    "sms_token_missing": ("The Twilio gateway needs its auth token", "Twilio 通道需要填写 Auth Token"),
    "sms_token_invalid": ("The auth token must be letters and digits only, without spaces",
                          "Auth Token 只能包含字母和数字，不能有空格"),
    "sms_auth_failed": ("The text gateway refused the account SID or auth token (Twilio {provider_code}): "
                        "check them in the gateway settings; nothing was sent",
                        "短信通道拒绝了账户 SID 或 Auth Token（Twilio {provider_code}）：请检查通道设置；未发送任何短信"),
    "sms_temporary": ("The text gateway is busy or unreachable ({why}); the text will be tried again",
                      "短信通道繁忙或无法连接（{why}），稍后将重试"),
    "sms_rejected": ("The text gateway refused the text (code {provider_code}): {why}",
                     "短信通道拒绝了该短信（代码 {provider_code}）：{why}"),
    "sms_quiet_hours_invalid": ("Quiet hours must be times like 21:00 (got '{value}')",
                                "免打扰时段必须是 21:00 这样的时间（输入为“{value}”）"),
    "sms_daily_cap_invalid": ("The daily text limit per member must be a whole number from 0 to 20 (got {value})",
                              "每位会员每日短信上限必须是 0 到 20 之间的整数（输入为 {value}）"),
    "sms_optout_line_invalid": ("The opt-out line must be 1 to {max} characters", "退订提示必须为 1 到 {max} 个字符"),
    "sms_test_text_empty": ("The test text cannot be empty", "测试短信内容不能为空"),
    # care engine: rules, calendar and settings (services/care/)
    "care_date_future": ("Care actions cannot be run for {date}: it is after today ({today})",
                         "不能为 {date} 执行关怀任务：该日期晚于今天（{today}）"),
    "lunar_date_invalid": ("Lunar month {month}, day {day} does not exist (months 1-12, days 1-30)",
                           "农历 {month} 月 {day} 日不存在（月份 1-12，日期 1-30）"),
    "care_term_unknown": ("'{term}' is not one of the 24 solar terms (e.g. 冬至, 立春)",
                          "“{term}”不是二十四节气之一（例如 冬至、立春）"),
    "care_public_unknown": ("'{name}' is not a CN public holiday; known: {known}",
                            "“{name}”不是中国法定节假日；可选：{known}"),
    "care_holiday_rule_invalid": ("'{rule}' is not a calendar rule: use solar:MM-DD, lunar:MM-DD, term:NAME, "
                                  "public:NAME or date:YYYY-MM-DD",
                                  "“{rule}”不是有效的日历规则：请用 solar:MM-DD（公历）、lunar:MM-DD（农历）、"
                                  "term:节气名、public:节假日名 或 date:YYYY-MM-DD"),
    "care_holiday_key_invalid": ("A calendar key is 1 to 40 lower-case letters, digits or '_' (got '{key}')",
                                 "日历标识须为 1 到 40 位小写字母、数字或“_”（输入为“{key}”）"),
    "care_holiday_name_empty": ("A calendar day needs an English and a Chinese name", "节日需要英文名称和中文名称"),
    "care_holiday_duplicate": ("The care calendar already has a day '{key}'", "关怀日历中已有“{key}”"),
    "care_holiday_not_found": ("The care calendar has no day '{key}'", "关怀日历中没有“{key}”"),
    "care_setting_invalid": ("Care setting {key}: '{value}' is not {expected}",
                             "关怀设置 {key}：“{value}”无效，应为{expected_zh}"),
    # member analytics and its exports (services/analytics/)
    "as_of_future": ("The as-of date {date} is after today ({today})", "截止日期 {date} 晚于今天（{today}）"),
    "export_format": ("{file}: export to a .csv or .xlsx file", "{file}：请导出为 .csv 或 .xlsx 文件"),
    "export_unwritable": ("Cannot write {file}: {why}", "无法写入 {file}：{why}"),
    # care: campaigns, call-backs and service records, knowledge base (campaigns.py, callbacks.py, knowledge.py)
    "campaign_name_invalid": ("A campaign needs a name of 1 to {max} characters", "活动名称须为 1 到 {max} 个字符"),
    "campaign_kind_invalid": ("'{kind}' is not a kind of campaign (standard or referral)",
                              "“{kind}”不是有效的活动类型（普通或邀请好友）"),
    "campaign_tier_unknown": ("No tier '{tier}' (tiers: {tiers})", "没有等级“{tier}”（现有等级：{tiers}）"),
    "campaign_month_invalid": ("Birthday month must be 1 to 12 (got {value})", "生日月份须为 1 到 12（输入为 {value}）"),
    "campaign_range_invalid": ("The {what} range is upside down: its start is after its end",
                               "{what_zh}范围有误：起点晚于终点"),
    "campaign_segment_unknown": ("'{segment}' is not a member segment ({segments})",
                                 "“{segment}”不是会员分群（{segments}）"),
    "campaign_voucher_invalid": ("'{kind}' is not a kind of voucher (amount or percent)",
                                 "“{kind}”不是有效的券类型（金额或折扣）"),
    "campaign_percent_invalid": ("A percentage voucher takes 0.01 % to 99.99 % off (got {value} %)",
                                 "折扣券须在 0.01% 到 99.99% 之间（输入为 {value}%）"),
    "campaign_expiry_past": ("A campaign voucher needs an expiry date from today on (got {date})",
                             "活动优惠券的有效期须为今天或以后（输入为 {date}）"),
    "campaign_referral_needs_voucher": ("A bring-a-friend campaign needs a voucher for the friend",
                                        "邀请好友活动需要为好友设置优惠券"),
    "campaign_referral_points_invalid": ("The referrer's reward must be 1 to {max} points (got {value})",
                                         "推荐人奖励须为 1 到 {max} 积分（输入为 {value}）"),
    "campaign_selects_nobody": ("This campaign reaches nobody: {matched} member(s) match, none of whom may get "
                                "offers (consent, opt-out or phone). Widen the filters.",
                                "此活动没有可发送的会员：符合条件 {matched} 人，但都不能接收营销短信（未同意、已退订或号码无效）。请放宽筛选条件。"),
    "campaign_not_found": ("No campaign {id}", "没有编号为 {id} 的活动"),
    "campaign_referral_own_voucher": ("Voucher {code} is for a friend of this member, not for the member",
                                      "优惠券 {code} 是送给该会员好友的，本人不能使用"),
    "task_not_found": ("No call-back task {id}", "没有编号为 {id} 的回访任务"),
    "task_not_open": ("Call-back task {id} is already {status}", "回访任务 {id} 已{status_zh}"),
    "task_reason_invalid": ("A task needs a reason of 1 to {max} characters", "任务须填写 1 到 {max} 个字符的事由"),
    "task_due_invalid": ("A task is due from today on (got {date})", "任务到期日须为今天或以后（输入为 {date}）"),
    "note_kind_invalid": ("'{kind}' is not a kind of contact note ({kinds})", "“{kind}”不是有效的联系记录类型（{kinds}）"),
    "note_body_invalid": ("A contact note needs 1 to {max} characters", "联系记录须为 1 到 {max} 个字符"),
    "note_outcome_too_long": ("The outcome is too long (at most {max} characters)", "结果过长（最多 {max} 个字符）"),
    "next_contact_past": ("The next contact date must be after today (got {date})", "下次联系日期须晚于今天（输入为 {date}）"),
    "complaint_not_found": ("No open complaint {id}", "没有编号为 {id} 的投诉"),
    "complaint_resolved": ("Complaint {id} was already resolved", "投诉 {id} 已处理完毕"),
    "complaint_open": ("Complaint {id} is not resolved yet: only a resolved complaint is a typical case",
                       "投诉 {id} 尚未处理完毕：只有已处理的投诉才能存为典型案例"),
    "resolution_empty": ("Say how the complaint was resolved", "请填写投诉的处理结果"),
    "kb_title_invalid": ("An article needs a title of 1 to {max} characters", "文章标题须为 1 到 {max} 个字符"),
    "kb_body_invalid": ("An article needs a text of 1 to {max} characters", "文章正文须为 1 到 {max} 个字符"),
    "kb_not_found": ("No knowledge base article {id}", "知识库中没有编号为 {id} 的文章"),
    "kb_case_exists": ("Complaint {id} is already saved as a typical case", "投诉 {id} 已存为典型案例"),
    "kb_tags_too_long": ("The tags are too long (at most {max} characters)", "标签过长（最多 {max} 个字符）"),
    # money hardening: refund claims, bounds on amounts and balances, one path for settings
    # (services/refunds.py, ledger.py, settings.py)
    "sale_refunded": ("Sale {receipt} has already been refunded in full", "小票 {receipt} 已全部退款"),
    "refund_line_refunded": ("Line {line} of sale {receipt} has already been refunded (all {sold} sold)",
                             "小票 {receipt} 第 {line} 行已全部退款（售出 {sold}）"),
    "balance_too_large": ("This would take the balance above {max}, the most one balance may hold",
                          "此操作将使余额超过单个余额上限 {max}"),
    "ledger_amount_invalid": ("'{value}' is not a whole number of at most {max}: nothing was recorded",
                              "“{value}”不是不超过 {max} 的整数：未记录任何内容"),
    "region_invalid": ("'{value}' is not a region code phone numbers are known for (e.g. CN, HK, TW, US)",
                       "“{value}”不是有效的电话号码地区代码（例如 CN、HK、TW、US）"),
    "discount_limit_too_high": ("A {role}'s discount limit can be at most {max}% (got {value}%)",
                                "{role}的折扣上限最多为 {max}%（输入为 {value}%）"),
    "points_too_many": ("{value} points is more than one movement may hold (at most {max})",
                        "{value} 积分超过单次上限（最多 {max}）"),
    "campaign_text_needed": ("The campaign template speaks of a voucher: attach one, or write the campaign's own text",
                             "活动短信模板中含有优惠券内容：请附带优惠券，或为本活动填写短信内容"),
    # busy database (app/db.py raises it from the unit of work; the till retries on its own)
    "db_busy": ("The database is busy (another till or a long job is writing): try again in a moment",
                "数据库正忙（另一台收银机或长时间任务正在写入）：请稍后再试"),
    # input hardening: free text, people's dates, login (members, staff, care texts)
    "text_bad_char": ("{field}: the character {char} is not allowed (a control, text-direction or broken character)",
                      "{field_zh}：不允许使用字符 {char}（控制字符、文字方向控制符或损坏的字符）"),
    "text_invisible": ("{field}: only invisible characters were typed", "{field_zh}：输入的全是不可见字符"),
    "text_too_long": ("{field} is too long (at most {max} characters)", "{field_zh}过长（最多 {max} 个字符）"),
    "text_not_text": ("{field} must be text", "{field_zh}必须是文字"),
    "wedding_invalid": ("Wedding date {value} is not a real date", "结婚纪念日 {value} 不是有效日期"),

    # input hardening: dates, database URLs, unexpected failures, files, demo, messages (cli.py, days.py,
    # tabular.py, money.py, demo.py, vouchers.py, countcards.py)
    "date_out_of_range": ("{field}: {value} is outside the dates ShopCare keeps ({first} to {last})",
                          "{field}：{value} 超出可处理的日期范围（{first} 至 {last}）"),
    "number_out_of_range": ("{field}: '{value}' is not a whole number from {min} to {max}",
                            "{field}：“{value}”不是 {min} 到 {max} 之间的整数"),
    "db_url_invalid": ("'{url}' is not a database ShopCare can open ({why}): use sqlite:///PATH or "
                       "postgresql+psycopg://USER@HOST/NAME",
                       "无法使用数据库地址“{url}”（{why}）：请用 sqlite:///路径 或 postgresql+psycopg://用户@主机/库名"),
    "unexpected": ("Something went wrong that ShopCare did not expect ({kind}); it stopped there. The details "
                   "were saved in {log} (shopcare support-bundle zips them for whoever helps you)",
                   "ShopCare 遇到了意外问题（{kind}），已停止。详细信息已保存在 {log}（可用 shopcare support-bundle "
                   "打包发给帮您处理的人）"),
    "import_extra_cells": ("The row has a value beyond the last column: '{value}' (a comma too many?)",
                           "该行在最后一列之后还有内容：“{value}”（是否多了逗号？）"),
    "demo_real_shop": ("This database holds a shop's own data ({members} members, {sales} sales): the demo only "
                       "fills an empty database or an earlier demo. Use another one (--db or SHOPCARE_DB)",
                       "该数据库已有本店数据（会员 {members} 位，消费 {sales} 笔）：演示数据只能写入空数据库或演示数据库。"
                       "请另用一个数据库（--db 或 SHOPCARE_DB）"),
    "voucher_expiry_past": ("The voucher's expiry date {date} is in the past", "券的有效期 {date} 已过"),
    "import_csv_broken": ("{file}: the CSV text breaks off near row {row} (a quote left open, or a cell far too long)",
                          "{file}：CSV 内容在第 {row} 行附近出错（引号未闭合，或单元格内容过长）"),
    "points_absurd": ("{value} points is more than any member holds (at most {max})",
                      "{value} 积分超出任何会员可能持有的数量（最多 {max}）"),
    # the support bundle (app/services/admin/support.py)
    "support_bundle_exists": ("{path} already exists: choose another name, or replace it with --force",
                              "{path} 已存在：请换一个文件名，或用 --force 覆盖"),
    "support_bundle_name": ("{path}: a support bundle is a .zip file", "{path}：支持包必须是 .zip 文件"),
    "support_bundle_failed": ("The support bundle could not be written to {path}: {why}",
                              "无法写入支持包 {path}：{why}"),
    "countcard_too_few": ("Count card {id} has only {left} use(s) left, not {asked}",
                          "次卡 {id} 只剩 {left} 次，不够 {asked} 次"),
}

# The names services give the {field} of an amount or a date, in both languages (import files pass
# their own header text, and the app passes its labels already translated: those are shown as they are).
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "amount": ("amount", "金额"), "top-up": ("top-up", "充值金额"), "cash": ("cash", "现金"), "card": ("card", "刷卡"),
    "stored value": ("stored value", "储值"), "voucher": ("voucher", "券"), "price": ("price", "价格"),
    "price paid": ("price paid", "实付价格"), "discount": ("discount", "折扣"), "minimum spend": ("minimum spend", "最低消费"),
    "maximum spend": ("maximum spend", "最高消费"), "points multiplier": ("points multiplier", "积分倍率"),
    "points base": ("points base", "积分基数"), "VIP single purchase": ("VIP single purchase", "VIP 单笔消费"),
    "VIP month spend": ("VIP month spend", "VIP 月消费"), "principal": ("paid balance", "本金余额"),
    "bonus": ("bonus balance", "赠送余额"), "date": ("date", "日期"), "from": ("from", "开始日期"), "to": ("to", "结束日期"),
    "expires_on": ("expiry date", "有效期"), "members": ("members", "会员数"), "days": ("days", "天数"),
    # settings and other choices a service names in setting_invalid (key=…)
    "kind": ("kind", "类型"), "card_uses": ("count-card uses", "次卡次数"), "sort": ("sort order", "排序方式"),
    "points_expiry_policy": ("points expiry", "积分有效期规则"), "discount_limit_bp": ("discount limits", "折扣上限"),
    "vip_single_purchase": ("VIP single purchase", "VIP 单笔消费"), "vip_month_spend": ("VIP month spend", "VIP 月消费"),
    "ebill_default": ("e-bills by default", "默认发送电子账单"), "signature": ("signature", "短信签名"),
}

ROLE_NAMES = {"owner": ("owner", "老板"), "manager": ("manager", "店长"), "cashier": ("cashier", "收银员"),
              "system": ("system job", "系统任务")}


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def quoted(text: str, limit: int = 40) -> str:
    """A value as a message quotes it: cut when long (an import cell can hold a whole paragraph)."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def render(err: ShopError, lang: str = "en") -> str:
    """The error as a sentence in ``lang`` ("en" or "zh_CN")."""
    pair = CATALOGUE.get(err.code)
    if pair is None:
        return f"{err.code}: {err.params}"
    zh = lang.lower().startswith("zh")
    params = dict(err.params)
    if "role" in params and params["role"] in ROLE_NAMES:
        params["role"] = ROLE_NAMES[params["role"]][1 if zh else 0]
    for name in ("field", "key"):  # a field or setting named by the service: its label in the user's language
        if isinstance(params.get(name), str) and params[name] in FIELD_LABELS:
            params[name] = FIELD_LABELS[params[name]][1 if zh else 0]
    if zh:  # a value the raise site gave in Chinese too (why= / why_zh=…) is shown in Chinese
        params.update({k: params[k + "_zh"] for k in list(params) if k + "_zh" in params})
    return (pair[1] if zh else pair[0]).format_map(_Keep(params))
