"""The demo shop's world: its products, the names, tastes and tags of its members, the notes and reasons they leave (data only; demo.py builds the shop from it)."""
from __future__ import annotations

OPEN_HOUR, CLOSE_HOUR = 8, 21
SHOP_NAME = "街角茶咖 Corner Tea & Coffee"


# What a unit costs the shop, in percent of its price, by category (the rest have no cost recorded).
COST_SHARE = {"咖啡 Coffee": 28, "茶饮 Tea drinks": 25, "茶叶 Tea leaves": 55, "烘焙 Bakery": 40,
              "周边 Merchandise": 60}

# sku, name (Chinese + English), category, price (fen), kind, points eligible, discount eligible
PRODUCTS = [
    ("AMER", "美式咖啡 Americano", "咖啡 Coffee", 1800, "goods", True, True),
    ("LATTE", "拿铁 Caffè latte", "咖啡 Coffee", 2400, "goods", True, True),
    ("CAPP", "卡布奇诺 Cappuccino", "咖啡 Coffee", 2400, "goods", True, True),
    ("POUR", "手冲单品 Pour-over of the day", "咖啡 Coffee", 3200, "goods", True, True),
    ("BEANS", "咖啡豆 250g Coffee beans 250g", "咖啡 Coffee", 6800, "goods", True, True),
    ("JASM", "茉莉绿茶 Jasmine green tea", "茶饮 Tea drinks", 1500, "goods", True, True),
    ("BOBA", "珍珠奶茶 Bubble milk tea", "茶饮 Tea drinks", 1600, "goods", True, True),
    ("LEMON", "柠檬红茶 Lemon black tea", "茶饮 Tea drinks", 1400, "goods", True, True),
    ("TGY", "铁观音一壶 Tieguanyin, one pot", "茶饮 Tea drinks", 3800, "goods", True, True),
    ("LJ100", "西湖龙井 100g West Lake Longjing 100g", "茶叶 Tea leaves", 12800, "goods", True, True),
    ("PUER", "普洱熟茶饼 357g Ripe Pu'er cake 357g", "茶叶 Tea leaves", 16800, "goods", True, True),
    ("OOL", "大红袍 50g Da Hong Pao oolong 50g", "茶叶 Tea leaves", 8800, "goods", True, True),
    ("CROIS", "可颂 Croissant", "烘焙 Bakery", 1200, "goods", True, True),
    ("MATCHA", "抹茶蛋糕 Matcha cake", "烘焙 Bakery", 2800, "goods", True, True),
    ("EGGT", "葡式蛋挞 Egg tart", "烘焙 Bakery", 900, "goods", True, True),
    ("MUG", "马克杯 Shop mug", "周边 Merchandise", 4500, "goods", True, False),
    ("GIFTBOX", "茶礼盒 Tea gift box", "周边 Merchandise", 26800, "goods", True, False),
    ("BAG", "环保袋 Tote bag", "周边 Merchandise", 500, "goods", False, False),
    ("CUT", "洗剪吹 Wash, cut & blow-dry", "美发 Salon", 6800, "service", True, True),
    ("SCALP", "头皮护理 Scalp care", "美发 Salon", 12800, "service", True, True),
    ("TRIM", "刘海修剪 Fringe trim", "美发 Salon", 2000, "service", True, True),
]


CARD_SKU = "CUT10"


CARD = (CARD_SKU, "洗剪吹十次卡 10 × wash, cut & blow-dry", "美发 Salon", 58000)


# What each kind of customer tends to buy: (sku, weight).
TASTES = {
    "coffee": [("AMER", 5), ("LATTE", 6), ("CAPP", 3), ("POUR", 2), ("CROIS", 3), ("EGGT", 2), ("BEANS", 1)],
    "tea": [("JASM", 4), ("BOBA", 5), ("LEMON", 3), ("TGY", 2), ("EGGT", 2), ("MATCHA", 2), ("OOL", 1)],
    "connoisseur": [("TGY", 4), ("LJ100", 3), ("PUER", 3), ("OOL", 3), ("GIFTBOX", 2), ("POUR", 2), ("BEANS", 2)],
    "salon": [("CUT", 6), ("SCALP", 2), ("TRIM", 2), ("LATTE", 2), ("JASM", 2)],
    "walkin": [("AMER", 5), ("LATTE", 5), ("BOBA", 5), ("JASM", 3), ("LEMON", 3), ("CROIS", 3), ("EGGT", 3),
               ("MATCHA", 1), ("BAG", 1), ("MUG", 1)],
}


SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
            "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")


COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛")


GIVEN_F = "芳娜敏静丽艳娟霞秀英玲桂兰萍红燕华梅琳雪婷倩颖琪佳欣怡雯瑶晶璐蕾薇悦彤妍思涵梓萱诗雨"


GIVEN_M = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆亮志文博昊然睿泽轩宸晨阳子豪"


GIVEN_ANY = "一文子嘉佳思晓欣明安宁晨雨小"


TAGS = {
    "coffee": ["咖啡控", "上班族"], "tea": ["茶友", "奶茶"], "connoisseur": ["茶友", "企业客户", "送礼"],
    "salon": ["美发", "附近小区"],
}


EXTRA_TAGS = ["附近小区", "学生", "宝妈", "甜品", "外卖", "素食", "周末常客"]


NOTES = ["", "", "", "", "燕麦奶 oat milk", "少糖 less sugar", "喜欢靠窗的位置", "不要冰", "公司报销需开票",
         "对坚果过敏 nut allergy"]


REFUND_REASONS = ["顾客退货：口味不合适", "做错饮品 wrong drink made", "茶叶包装破损 damaged packing",
                  "重复收款 charged twice", "顾客改变主意"]


TOPUP_AMOUNTS = [(30_000, 2), (50_000, 5), (100_000, 3), (200_000, 1)]  # (fen, weight)


CARE_NOTES = [
    ("call", "回访：很喜欢新到的凤凰单丛，想订两罐中秋送礼", "有意向"),
    ("visit", "到店试饮春季龙井，提到家里茶具缺一个公道杯", "已推荐"),
    ("suggestion", "建议周末增加燕麦拿铁的供应", "已转店长"),
]


# --- texts: what happened to them ---------------------------------------------------------------------
TEXT_ERRORS = ["30003: Unreachable destination handset", "30005: Unknown destination handset",
               "21614: 'To' number is not a valid mobile number"]
