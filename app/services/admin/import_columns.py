"""The column tables of the member and history imports (the CLI and README document them) and the words and patterns a cell is read by: data only, kept apart from the code that reads them."""
from __future__ import annotations

import re


# canonical column -> aliases accepted in a header row (matched case-insensitively, trimmed,
# spaces/dashes read as "_", a trailing unit in brackets ignored: "余额（元）" is "余额"); the
# Traditional forms are what a Taiwan or Hong Kong shop's Big5 export has.
MEMBER_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "姓名"),
    "phone": ("phone", "mobile", "手机", "手机号", "手机号码", "电话", "手機", "手機號", "手機號碼", "電話"),
    "birthday": ("birthday", "生日"),
    "birthday_calendar": ("birthday_calendar", "历法", "曆法"),  # solar/lunar/公历/农历 (blank: solar)
    "gender": ("gender", "性别", "性別"),                    # M/F/男/女/blank
    "notes": ("notes", "备注", "備註"),
    "consent": ("consent", "同意短信", "同意簡訊"),                   # yes/no/...: care + transactional texts only
    "marketing_consent": ("marketing_consent", "营销短信", "同意营销", "行銷簡訊", "同意行銷"),  # yes/no: offers
    "card": ("card", "card_no", "卡号", "卡號"),
    "balance": ("balance", "余额", "餘額"),                  # major units: opening paid principal
    "bonus": ("bonus", "赠送余额", "贈送餘額"),              # major units: opening bonus
    "points": ("points", "积分", "積分", "點數"),                 # whole number >= 0
    "tags": ("tags", "标签", "標籤"),                        # separated by , ， 、 or ;
    "join_date": ("join_date", "入会日期", "入會日期"),      # YYYY-MM-DD (blank: the import date)
    "tier": ("tier", "等级", "会员等级", "等級", "會員等級"),  # a tier's code or name (any language)
    "points_expiry": ("points_expiry", "积分到期", "積分到期", "點數到期"),  # blank: the shop's points policy
    "count_card": ("count_card", "次卡"),                    # a service or count-card package: SKU or name
    "uses_left": ("uses_left", "剩余次数", "剩餘次數"),      # whole number > 0
    "count_card_expiry": ("count_card_expiry", "次卡到期"),  # YYYY-MM-DD (blank: the package's days, else none)
}


MEMBER_REQUIRED: tuple[str, ...] = ("name", "phone")


SALES_COLUMNS: dict[str, tuple[str, ...]] = {
    "phone": ("phone", "mobile", "手机", "手机号", "手机号码", "电话", "手機", "手機號", "手機號碼", "電話"),
    "datetime": ("datetime", "date", "时间", "日期", "時間", "消费时间", "消费日期", "交易时间", "消費時間", "消費日期",
                 "交易時間"),  # YYYY-MM-DD HH:MM[:SS] or YYYY-MM-DD
    "amount": ("amount", "金额", "金額", "消费金额", "实收金额", "消費金額", "實收金額"),                    # major units, > 0
    "sku": ("sku", "货号", "商品编码", "貨號", "商品編碼"),  # optional: a product's SKU or barcode
    "qty": ("qty", "quantity", "数量", "數量"),              # optional: whole number 1..9999 (blank: 1)
    "receipt": ("receipt", "receipt_no", "小票号", "单号", "小票號", "單號"),  # optional: the old system's receipt no.
}


SALES_REQUIRED: tuple[str, ...] = ("phone", "datetime", "amount")


# The product catalogue (import_products.py). Besides these: several barcode columns ("barcode 2",
# "条码2"), and a member price for one tier: "member price <tier code or name>", "会员价(<tier>)",
# "<tier name>价" (product_columns.py). The headers export_products writes, in each language, are
# aliases too (added there), so an export reads back whatever language wrote it.
PRODUCT_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "product", "商品名称", "品名", "名称", "商品名", "商品名稱", "名稱"),
    "sku": ("sku", "code", "货号", "编码", "商品编码", "貨號", "編碼", "商品編碼"),
    "barcode": ("barcode", "barcodes", "条码", "条形码", "條碼", "條形碼"),
    "price": ("price", "售价", "零售价", "价格", "售價", "零售價", "價格"),
    "member_price": ("member_price", "会员价", "會員價"),     # every tier
    "category": ("category", "分类", "类别", "分類", "類別"),
    "cost": ("cost", "cost_price", "进价", "成本价", "進價", "成本價"),
    "stock": ("stock", "opening_stock", "on_hand", "库存", "庫存"),    # opening stock: whole number >= 0
    "unit": ("unit", "单位", "單位"),
    "reorder_level": ("reorder_level", "库存下限", "庫存下限"),
    "points_price": ("points_price", "兑换积分", "兌換積分", "兌換點數"),
}


PRODUCT_REQUIRED: tuple[str, ...] = ("name",)


IMPORT_TILL = "IMP"


IMPORT_SKU = "IMPORT"


IMPORT_LINE_NAME = "Imported purchase"


QTY_MAX = 9999


CARD_MAX = 32


RECEIPT_MAX = 100  # "import:receipt:" + this fits sales.source_ref (128)


YES_WORDS = {"yes", "y", "1", "true", "t", "是", "同意", "√", "✓"}


NO_WORDS = {"no", "n", "0", "false", "f", "否", "不同意", "×", ""}


SOLAR_WORDS = {"solar", "公历", "阳历", "新历", ""}


LUNAR_WORDS = {"lunar", "农历", "阴历", "旧历"}


TAG_SPLIT = re.compile(r"[,，、;；]")


DATE_TIME = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
                        r"(?:[ T]+(\d{1,2})[:：](\d{2})(?:[:：](\d{2})(?:\.\d+)?)?)?$")


MIDNIGHT = re.compile(r"\s+0{1,2}:00(:00)?$")
