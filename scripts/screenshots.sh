#!/usr/bin/env bash
# Render docs/screenshots from a fresh demo shop, in English, Simplified and Traditional Chinese (what README shows).
#   bash scripts/screenshots.sh [OUT_DIR]      # default docs/screenshots
# The shop is made in a temporary SHOPCARE_HOME: `shopcare demo`, an owner (PIN 1234, owner's password
# corner-tea-2026), a manager and
# a cashier, then the shop's first run of the care engine (its texts held for approval), so every screen has
# realistic data, and one backup.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-docs/screenshots}
HOME_DIR=$(mktemp -d)
trap 'rm -rf "$HOME_DIR"' EXIT
export SHOPCARE_HOME="$HOME_DIR" QT_QPA_PLATFORM=offscreen
PY=.venv/bin/python

$PY -m app demo >/dev/null
$PY - <<'PY'
from app.ui.app import open_shop
from app.services import care
from app.services.admin import shop_admin
from app.services.base import auth, settings

ctx = open_shop()
shop_admin.first_run(ctx, "街角茶咖 Corner Tea & Coffee", "CNY", "zh_CN", "Owner", "1234", "corner-tea-2026")
auth.add_staff(ctx, "李店长", "manager", "2468")
auth.add_staff(ctx, "小王", "cashier", "1357")
settings.update(ctx, sms_part_price=5)            # 0.05 a part: previews show the texts' cost
from app.services.care.config import set_wording   # Settings › Care › Repurchase: one category's own wording
set_wording(ctx, "美发 Salon", "{name}，距上次{product}已有{days}天，该修剪一下了，欢迎预约")
care.update_config(ctx, followup_plans=[           # Care › Follow-ups shows the shop's plans
    {"id": "scalp-week", "category": "美发 Salon", "days": 7, "text": "{name}，头皮护理一周了，感觉如何？有问题随时回复我们。"},
    {"sku": "PUER", "days": 14, "action": "call"}, {"category": "茶叶 Tea leaves", "days": 10}],
    satisfaction_categories=["美发 Salon", "茶叶 Tea leaves"])
care.run(ctx)   # the shop's first care texts: Care › Today shows them waiting for approval
PY
$PY -m app backup >/dev/null    # Settings › Backups shows one
mkdir -p "$OUT"
# every language app/i18n.py ships (what `shopcare --screenshots DIR --lang L` does, for each L)
for lang in $($PY -c 'from app.i18n import LANGUAGES; print(*LANGUAGES)'); do
  $PY -c 'import sys; from pathlib import Path; from app.ui.screenshots import render_all
render_all(Path(sys.argv[1]), lang=sys.argv[2])' "$OUT" "$lang" >/dev/null
done
echo "screenshots: $(ls "$OUT"/*.png | wc -l) files in $OUT"
