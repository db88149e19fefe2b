"""Who may do what, proven on every guarded action (issue 7).

For each action in ``permissions.RULES`` a real service that guards it is called, on the real
database of the ``db`` fixture, by a cashier, a manager, an owner and the system, each with and
without the owner's password typed (``auth.confirm_owner``). It must be refused or allowed exactly as
RULES and OWNER_PASSWORD say, and a refusal must leave every table as it was. Adding an action to
RULES without a probe here fails the suite.
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.errors import PermissionDenied, ValidationError, render
from app.models import AuditLog, Base, Member, Staff
from app.adapters.sms import LogGateway
from app.services.base import audit, auth, permissions
from app.services.care import callbacks, campaigns, knowledge
from app.services.sales import catalog, refunds
from app.services.members import erasure, member_export, members
from app.services.admin import imports, shop_admin
from app.services.texts import outbox, outbox_admin, sender
from app.services.ledger import points, vouchers, wallet
from app.services.care.campaigns import CampaignSpec, Filters
from app.services.sales import inventory
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from app.services.base.context import SYSTEM, Actor, Ctx
from tests.shop import fund, member, stock_shop

PASSWORD = "tea-house-2026"
ROOT = Path(__file__).resolve().parent.parent


# --- the shop every probe runs in ------------------------------------------------------------------
class Shop:
    def __init__(self, sys_ctx: Ctx, tmp: Path) -> None:
        self.sys = sys_ctx
        self.tmp = tmp
        self.n = 0
        stock_shop(sys_ctx)
        ids = {}
        for name, role, pin in (("Boss", "owner", "2468"), ("Mia", "manager", "1357"), ("Cal", "cashier", "1111")):
            ids[role] = auth.add_staff(sys_ctx, name, role, pin).id
        auth.set_owner_password(sys_ctx, PASSWORD, staff_id=ids["owner"])
        self.actors = {"owner": Actor(ids["owner"], "Boss", "owner"), "manager": Actor(ids["manager"], "Mia", "manager"),
                       "cashier": Actor(ids["cashier"], "Cal", "cashier"), "system": SYSTEM}

    def ctx(self, role: str, confirmed: bool) -> Ctx:
        ctx = self.sys.as_actor(self.actors[role])
        return auth.confirm_owner(ctx, PASSWORD) if confirmed else ctx

    def member(self, **kw):
        self.n += 1
        return member(self.sys, phone=f"1380013{self.n:04d}", name=f"会员{self.n}", **kw)

    def funded(self, principal=20_000, bonus=2_000, pts=1_000):
        m = self.member(consent_care=True, consent_marketing=True)
        fund(self.sys, m.id, principal, bonus, pts)
        return m

    def file(self, name: str) -> Path:
        self.n += 1
        return self.tmp / f"{self.n}-{name}"


# --- one probe per action: prepare with the system, return the guarded call ----------------------------
def _sell(shop):
    return lambda c: checkout(c, Cart((CartLine("TEA"),)), [Tender("cash", 3333)])


def _topup(shop):
    m = shop.member()
    return lambda c: wallet.topup(c, m.id, 10_000)


def _edit_member(shop):
    m = shop.member()
    return lambda c: members.update_member(c, m.id, notes="likes green tea")


def _override_price(shop):
    return lambda c: checkout(c, Cart((CartLine("TEA", unit_price=3000),)), [Tender("cash", 3000)])


def _refund(shop):
    sale = checkout(shop.sys, Cart((CartLine("TEA"),)), [Tender("cash", 3333)])
    return lambda c: refunds.refund(c, sale.receipt_no, reason="changed her mind")


def _refund_topup(shop):
    m = shop.member()
    top = wallet.topup(shop.sys, m.id, 10_000)
    return lambda c: wallet.refund_topup(c, top.topup_id, "paid twice")


def _cashout(shop):
    m = shop.funded(bonus=0)
    return lambda c: wallet.cashout(c, m.id, "moving away")


def _adjust_balance(shop):
    m = shop.funded()
    return lambda c: wallet.adjust(c, m.id, -1_000, 0, "counted twice")


def _expire_points(shop):
    return lambda c: points.expire_due(c, shop.sys.today())


def _import(shop):
    path = shop.file("members.csv")
    shop.n += 1
    path.write_text(f"name,phone\n新会员,1390013{shop.n:04d}\n", encoding="utf-8")
    return lambda c: imports.import_members(c, path)


def _export(shop):
    shop.funded()
    path = shop.file("members.csv")
    return lambda c: member_export.export_members(c, path)


def _erase_member(shop):
    m = shop.member()
    return lambda c: erasure.erase_member(c, m.id, "asked to be forgotten")


def _change_settings(shop):
    shop.n += 1
    return lambda c: shop_admin.update_shop(c, f"Tea House {shop.n}", "CNY", "zh_CN")


def _manage_staff(shop):
    shop.n += 1
    return lambda c: shop_admin.add_staff(c, f"New {shop.n}", "cashier", "4321")


def _view_staff(shop):
    return lambda c: shop_admin.list_staff(c)


def _manage_audit_key(shop):
    return lambda c: audit.export_key(c)  # audited: a refusal leaves no row, an allowed one adds one


def _manage_products(shop):
    shop.n += 1
    return lambda c: catalog.add_product(c, sku=f"NEW{shop.n}", name="Oolong 乌龙", price=4200)


def _issue_voucher(shop):
    m = shop.member()
    return lambda c: vouchers.issue(c, value=1_000, member_id=m.id)


def _manage_outbox(shop):
    m = shop.member(consent_care=True)
    with shop.sys.tx() as t:
        row = t.s.get(Member, m.id)
        msg = outbox.enqueue(t, row, kind="birthday", category="care", body="生日快乐", lang="zh_CN",
                             dedupe_key=f"test:{m.id}", fresh=True)
    return lambda c: outbox_admin.cancel(c, msg.id)


def _change_texting(shop):
    return lambda c: shop_admin.update_texting(c, "22:00", "08:30", 2, "回T退订", "Reply STOP to opt out")


def _send_campaign(shop):
    shop.funded()
    shop.n += 1
    spec = CampaignSpec(f"Spring tea {shop.n}", Filters(), body="{name}: new teas are in")
    return lambda c: campaigns.send(c, spec)


def _resolve_complaint(shop):
    m = shop.member()
    note = callbacks.add_note(shop.sys, m.id, kind="complaint", body="The tea cake was damp")
    return lambda c: callbacks.resolve_complaint(c, note.id, "replaced it")


def _edit_knowledge(shop):
    return lambda c: knowledge.add(c, "Brewing green tea", "80 °C, two minutes")


def _tracked(shop) -> str:
    from tests.stock_shop import track

    track(shop.sys, "COF", reorder_level=2)
    return "COF"


def _receive_stock(shop):
    sku = _tracked(shop)
    return lambda c: inventory.receive(c, sku, 5, supplier="Yunnan")


def _adjust_stock(shop):
    sku = _tracked(shop)
    return lambda c: inventory.adjust(c, sku, 1, "found one")


def _stocktake(shop):
    sku = _tracked(shop)
    shop.n += 1
    return lambda c: inventory.post_stocktake(c, {sku: 100 + shop.n})


PROBES = {
    "receive_stock": _receive_stock, "adjust_stock": _adjust_stock, "stocktake": _stocktake,
    "sell": _sell, "topup": _topup, "edit_member": _edit_member, "override_price": _override_price,
    "refund": _refund, "refund_topup": _refund_topup, "cashout": _cashout, "adjust_balance": _adjust_balance,
    "expire_points": _expire_points, "import": _import, "export": _export, "erase_member": _erase_member,
    "change_settings": _change_settings, "manage_staff": _manage_staff, "view_staff": _view_staff,
    "manage_audit_key": _manage_audit_key,
    "manage_products": _manage_products, "issue_voucher": _issue_voucher, "manage_outbox": _manage_outbox,
    "change_texting": _change_texting, "send_campaign": _send_campaign, "resolve_complaint": _resolve_complaint,
    "edit_knowledge": _edit_knowledge,
}


def everything(db) -> dict[str, list[tuple]]:
    """Every row of every table: what a refusal must leave exactly as it was."""
    with db.session(write=False) as s:
        return {t.name: sorted((tuple(map(repr, r)) for r in s.execute(select(t)).all()))
                for t in Base.metadata.sorted_tables}


def audit_actions(db) -> list[str]:
    with db.session(write=False) as s:
        return list(s.execute(select(AuditLog.action).order_by(AuditLog.id)).scalars())


def expected(role: str, confirmed: bool, action: str) -> bool:
    if role not in permissions.RULES[action]:
        return False
    return role == "system" or confirmed or action not in permissions.OWNER_PASSWORD


@pytest.fixture
def shop(ctx, tmp_path):
    return Shop(ctx.as_actor(SYSTEM).without_owner(), tmp_path)


def test_every_action_in_rules_has_a_probe():
    assert set(PROBES) == set(permissions.RULES)
    assert permissions.OWNER_PASSWORD <= set(permissions.RULES)
    assert set(permissions.ACTION_NAMES) >= set(permissions.RULES)


# More services guarded by an action already probed above: each is tried the same way (issue 12: a
# cashier could text any number any text, opt members out and read the staff list).
def _send_test(shop):
    gateway = LogGateway(shop.file("outbox.log"))
    return lambda c: sender.send_test(c, gateway, "13900139000", "any text to any number")


def _opt_out(shop):
    m = shop.member(consent_care=True, consent_marketing=True)
    return lambda c: members.opt_out(c, m.id, "asked at the counter")


def _auth_list_staff(shop):
    return lambda c: auth.list_staff(c)


MORE_PROBES = [("manage_outbox", _send_test), ("manage_outbox", _opt_out), ("view_staff", _auth_list_staff)]
READ_ONLY = {_view_staff, _auth_list_staff, _expire_points}   # these may find nothing to write


@pytest.mark.parametrize("action", sorted(permissions.RULES))
def test_each_role_is_refused_or_allowed_exactly_as_the_rules_say(shop, db, action):
    _try_every_role(shop, db, action, PROBES[action])


@pytest.mark.parametrize("action, probe", MORE_PROBES, ids=[p.__name__ for _a, p in MORE_PROBES])
def test_more_guarded_services_refuse_or_allow_as_the_rules_say(shop, db, action, probe):
    _try_every_role(shop, db, action, probe)


def _try_every_role(shop, db, action, probe):
    outcomes = {}
    for role in ("cashier", "manager", "owner", "system"):
        for confirmed in (False, True):
            who = shop.ctx(role, confirmed)
            call = probe(shop)
            before = everything(db)
            try:
                call(who)
            except PermissionDenied as exc:
                outcomes[role, confirmed] = False
                assert everything(db) == before, f"{role} refused {action} but something changed"
                assert exc.code in ("permission_denied", "price_override_denied", "owner_password_required")
                if exc.code == "owner_password_required":
                    assert action in permissions.OWNER_PASSWORD and not confirmed
            else:
                outcomes[role, confirmed] = True
                if probe not in READ_ONLY:
                    assert everything(db) != before, f"{role} did {action} and nothing was written"
    assert outcomes == {(r, c): expected(r, c, action) for (r, c) in outcomes}


def test_a_refused_export_writes_no_file(shop):
    path = shop.file("members.xlsx")
    with pytest.raises(PermissionDenied) as exc:
        member_export.export_members(shop.ctx("owner", False), path)
    assert exc.value.code == "owner_password_required" and not path.exists()
    assert member_export.export_members(shop.ctx("owner", True), path) >= 0 and path.exists()


def test_a_manager_adjusts_with_the_owners_password_and_the_audit_names_both(shop, db):
    m = shop.funded()
    mia = shop.sys.as_actor(shop.actors["manager"])
    with pytest.raises(PermissionDenied) as exc:
        wallet.adjust(mia, m.id, 500, 0, "found in the till")
    assert exc.value.code == "owner_password_required"
    assert "owner's password" in render(exc.value, "en") and "老板密码" in render(exc.value, "zh_CN")
    approved = auth.confirm_owner(mia, PASSWORD)
    assert approved.owner_confirmed and approved.owner_ok.owner_name == "Boss"
    result = wallet.adjust(approved, m.id, 500, 0, "found in the till")
    assert result is not None
    assert "staff.owner_confirmed" in audit_actions(db)  # the owner's approval, audited


def test_the_confirmation_holds_for_its_own_actor_only(shop):
    owner = shop.ctx("owner", True)
    assert owner.owner_confirmed
    cashier_with_it = owner.as_actor(shop.actors["manager"])
    assert not cashier_with_it.owner_confirmed
    m = shop.funded()
    with pytest.raises(PermissionDenied):
        wallet.adjust(cashier_with_it, m.id, 100, 0, "borrowed confirmation")
    # a forged carry-over by ``replace`` fails the same way
    with pytest.raises(PermissionDenied):
        wallet.adjust(replace(owner, actor=shop.actors["manager"]), m.id, 100, 0, "borrowed confirmation")


def test_wrong_passwords_are_counted_audited_and_lock_for_a_while(shop, db, clock):
    mia = shop.sys.as_actor(shop.actors["manager"])
    for left in range(auth.PASSWORD_LOCK_AFTER - 1, 0, -1):
        with pytest.raises(PermissionDenied) as exc:
            auth.confirm_owner(mia, "guess-" + str(left))
        assert exc.value.code == "owner_password_wrong" and exc.value.params["left"] == left
    with pytest.raises(PermissionDenied) as exc:
        auth.confirm_owner(mia, "one-more-guess")
    assert exc.value.code == "owner_password_locked"
    # locked: even the right password is refused until the time is up
    with pytest.raises(PermissionDenied) as exc:
        auth.confirm_owner(mia, PASSWORD)
    assert exc.value.code == "owner_password_locked"
    assert audit_actions(db).count("staff.owner_password_failed") == auth.PASSWORD_LOCK_AFTER
    with db.session(write=False) as s:
        boss = s.get(Staff, shop.actors["owner"].id)
        assert boss.password_failed == auth.PASSWORD_LOCK_AFTER and boss.password_locked_until is not None
        assert PASSWORD not in repr(everything(db))  # never stored or audited in clear
    clock.set(clock.now() + timedelta(minutes=auth.PASSWORD_LOCK_MINUTES, seconds=1))
    assert auth.confirm_owner(mia, PASSWORD).owner_confirmed
    with db.session(write=False) as s:
        boss = s.get(Staff, shop.actors["owner"].id)
        assert boss.password_failed == 0 and boss.password_locked_until is None


def test_the_owner_unlocks_a_locked_password(shop, clock):
    for _ in range(auth.PASSWORD_LOCK_AFTER):
        with pytest.raises(PermissionDenied):
            auth.confirm_owner(shop.sys, "wrong-password")
    shop_admin.unlock(shop.sys, shop.actors["owner"].id)
    assert auth.confirm_owner(shop.sys, PASSWORD).owner_confirmed


def test_without_an_owners_password_the_refusal_says_to_set_one(ctx):
    owner = auth.add_staff(ctx.as_actor(SYSTEM), "Boss", "owner", "2468")
    boss = ctx.as_actor(Actor(owner.id, "Boss", "owner"))
    m = member(ctx)
    with pytest.raises(PermissionDenied) as exc:
        wallet.adjust(boss, m.id, 100, 0, "first day")
    assert exc.value.code == "owner_password_unset"
    assert render(exc.value, "en") == "Set the owner's password first: Settings › Staff"
    assert render(exc.value, "zh_CN") == "请先设置老板密码：设置 › 员工"
    with pytest.raises(PermissionDenied) as exc:
        auth.confirm_owner(boss, "anything-at-all")
    assert exc.value.code == "owner_password_unset"
    # the first password needs only the PIN login (there is none to ask yet); then it works
    view = auth.set_owner_password(boss, PASSWORD)
    assert view.has_password
    assert wallet.adjust(auth.confirm_owner(boss, PASSWORD), m.id, 100, 0, "first day") is not None


@pytest.mark.parametrize("password, code", [
    ("short1", "owner_password_short"), ("12345678", "owner_password_digits"), ("1234 5678 90", "owner_password_digits"),
    ("2468", "owner_password_is_pin"), ("x" * 129, "owner_password_long")])
def test_password_rules_are_refused_with_coded_errors_in_both_languages(ctx, password, code):
    owner = auth.add_staff(ctx.as_actor(SYSTEM), "Boss", "owner", "2468")
    boss = ctx.as_actor(Actor(owner.id, "Boss", "owner"))
    with pytest.raises(ValidationError) as exc:
        auth.set_owner_password(boss, password)
    assert exc.value.code == code
    en, zh = render(exc.value, "en"), render(exc.value, "zh_CN")
    assert en != zh and "{" not in en and "{" not in zh
    assert not auth.has_owner_password(ctx)


def test_first_run_sets_the_owners_password_and_refuses_the_pin_as_one(db, clock):
    fresh = Ctx(db=db, actor=SYSTEM, clock=clock)
    with pytest.raises(ValidationError) as exc:
        shop_admin.first_run(fresh, "Shop", "CNY", "zh_CN", "Boss", "2468", "2468")
    assert exc.value.code == "owner_password_is_pin" and not shop_admin.has_staff(fresh)
    owner = shop_admin.first_run(fresh, "Shop", "CNY", "zh_CN", "Boss", "2468", PASSWORD)
    assert owner.has_password and auth.confirm_owner(fresh, PASSWORD).owner_confirmed


def test_changing_the_password_needs_the_old_one(shop):
    boss = shop.sys.as_actor(shop.actors["owner"])
    with pytest.raises(PermissionDenied) as exc:
        auth.set_owner_password(boss, "a-new-password")
    assert exc.value.code == "owner_password_old_required"
    with pytest.raises(PermissionDenied) as exc:
        auth.set_owner_password(boss, "a-new-password", "not-the-old-one")
    assert exc.value.code == "owner_password_wrong"  # and counted
    auth.set_owner_password(boss, "a-new-password", PASSWORD)
    with pytest.raises(PermissionDenied):
        auth.confirm_owner(boss, PASSWORD)
    assert auth.confirm_owner(boss, "a-new-password").owner_confirmed


def test_only_an_owner_sets_an_owners_password(shop):
    for role in ("manager", "cashier"):
        with pytest.raises(PermissionDenied) as exc:
            auth.set_owner_password(shop.ctx(role, True), "a-new-password")
        assert exc.value.code == "owner_password_owner_only"
    # an owner sets their own only
    with pytest.raises(PermissionDenied):
        auth.set_owner_password(shop.sys.as_actor(shop.actors["owner"]), "a-new-password",
                                staff_id=shop.actors["manager"].id)


def test_a_second_owners_first_password_needs_the_first_owners(shop):
    """Else a PIN alone (a new owner added with it) would give a way around the password."""
    second = shop_admin.add_staff(shop.ctx("owner", True), "Second", "owner", "9753")
    her = shop.sys.as_actor(Actor(second.id, "Second", "owner"))
    with pytest.raises(PermissionDenied) as exc:
        auth.set_owner_password(her, "her-own-password")
    assert exc.value.code == "owner_password_required"
    assert auth.set_owner_password(auth.confirm_owner(her, PASSWORD), "her-own-password").has_password
    assert auth.confirm_owner(her, "her-own-password").owner_ok.owner_name == "Second"


def test_the_system_is_not_asked_and_may_reset_a_forgotten_password(shop):
    m = shop.funded()
    assert wallet.adjust(shop.sys, m.id, 100, 0, "nightly fix") is not None
    auth.set_owner_password(shop.sys, "reset-by-the-command-line")
    assert auth.confirm_owner(shop.sys, "reset-by-the-command-line").owner_confirmed


def test_every_action_the_services_require_is_in_rules():
    """A typo in permissions.require(..., "<action>") would raise KeyError at run time; catch it here."""
    pattern = re.compile(r"""permissions\.(?:require|allowed|needs_owner_password)\(\s*\w+\s*,\s*["'](\w+)["']""")
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "app").rglob("*.py")):
        for action in pattern.findall(path.read_text(encoding="utf-8")):
            found.setdefault(action, []).append(str(path.relative_to(ROOT)))
    assert found, "the pattern found no permissions.require calls at all"
    unknown = {a: where for a, where in found.items() if a not in permissions.RULES}
    assert not unknown
    # and every rule is asked for somewhere in the services (a rule nothing checks guards nothing)
    services = {a for a, where in found.items() if any(w.startswith("app/services/") for w in where)}
    assert set(permissions.RULES) <= services
