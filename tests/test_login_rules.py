"""PINs and the owner's password are normalised before they are checked and stored, and login does
not tell which names exist (issue 12, group 11)."""
from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from app.errors import PermissionDenied, ValidationError, render
from app.services.base import auth
from app.services.admin import shop_admin
from app.services.base.context import SYSTEM, Actor


@pytest.fixture
def sys_ctx(ctx):
    return ctx.as_actor(SYSTEM)


@pytest.mark.parametrize("typed", ["1234\n", " 1234 ", "１２３４", "\t１２３４\r\n"])
def test_a_pin_typed_with_spaces_or_full_width_digits_is_stored_as_its_digits(sys_ctx, typed):
    staff = auth.add_staff(sys_ctx, "Amy", "cashier", typed)
    assert auth.login(sys_ctx, "Amy", "1234").id == staff.id        # 1234 still logs in
    assert auth.login(sys_ctx, "Amy", typed).id == staff.id         # and so does the same typing
    shop_admin.reset_pin(sys_ctx, staff.id, "５６７８ ")
    assert auth.login(sys_ctx, "Amy", "5678").id == staff.id


@pytest.mark.parametrize("pin", ["12a4", "١٢٣٤", "12 34", "123", "123456789", "", None, 1234])
def test_a_pin_is_ascii_digits_only_after_normalising(sys_ctx, pin):
    with pytest.raises(ValidationError) as exc:
        auth.add_staff(sys_ctx, "Amy", "cashier", pin)
    assert exc.value.code == "pin_invalid"


@pytest.mark.parametrize("password", [" " * 10, "\u3000" * 10, "  short  ", "\t\n" * 6])
def test_an_owners_password_needs_enough_that_is_not_whitespace(sys_ctx, password):
    owner = auth.add_staff(sys_ctx, "Boss", "owner", "2468")
    with pytest.raises(ValidationError) as exc:
        auth.set_owner_password(sys_ctx.as_actor(Actor(owner.id, "Boss", "owner")), password)
    assert exc.value.code in ("owner_password_short", "text_bad_char")
    assert not auth.has_owner_password(sys_ctx)


def test_a_full_width_password_confirms_as_its_ascii_form(sys_ctx):
    owner = auth.add_staff(sys_ctx, "Boss", "owner", "2468")
    boss = sys_ctx.as_actor(Actor(owner.id, "Boss", "owner"))
    auth.set_owner_password(boss, "ｔｅａ－ｈｏｕｓｅ")
    assert auth.confirm_owner(boss, "tea-house").owner_confirmed


class _CountingVerify:
    """Counts argon2 verifications (PasswordHasher.verify), whatever they answer."""

    def __init__(self, monkeypatch):
        self.calls = 0
        real = PasswordHasher.verify

        def verify(hasher, hashed, secret):
            self.calls += 1
            return real(hasher, hashed, secret)

        monkeypatch.setattr(PasswordHasher, "verify", verify)


def test_an_unknown_name_and_a_wrong_pin_get_the_same_answer_after_the_same_work(sys_ctx, monkeypatch):
    auth.add_staff(sys_ctx, "Amy", "cashier", "1234")
    spy = _CountingVerify(monkeypatch)
    answers = {}
    for name in ("Amy", "Nobody", ""):
        before = spy.calls
        with pytest.raises(PermissionDenied) as exc:
            auth.login(sys_ctx, name, "9999")
        answers[name] = (exc.value.code, render(exc.value, "en"), render(exc.value, "zh_CN"), spy.calls - before)
    assert answers["Amy"] == answers["Nobody"] == answers[""]
    assert answers["Amy"][0] == "pin_wrong" and answers["Amy"][3] == 1   # one argon2 verify each


def test_the_unknown_names_hash_is_made_with_the_hashers_own_parameters():
    # Else an unknown name would cost another time than a known one with a wrong PIN.
    from argon2 import extract_parameters

    assert extract_parameters(auth.DUMMY_HASH) == extract_parameters(auth._hasher.hash("x"))
    assert not auth._matches(auth.DUMMY_HASH, "1234")
