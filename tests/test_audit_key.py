"""Two tills on one database share the audit key (``audit.export_key`` on one, ``import_key`` on the
other), on SQLite and on PostgreSQL. Each till is its own config dir (``SHOPCARE_HOME``), as on its own
computer: until they share, the second till's check says the rows carry another till's key (not that
they were edited); after, both tills write and both checks pass. A wrong key changes nothing."""
from __future__ import annotations

import os
import secrets
import stat
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from app import paths
from app.errors import PermissionDenied, ShopError, ValidationError, render
from app.models import AuditLog
from app.services.base import audit
from app.services.base.context import Actor
from app.services.admin.integrity import run_check
from tests.test_integrity import a_member, codes


@pytest.fixture
def till(ctx, tmp_path, monkeypatch):
    """``till(n)`` switches this process to till n's computer and returns its ctx (till 1 is the
    test's own home, where the database was set up)."""
    homes = {1: os.environ["SHOPCARE_HOME"], 2: str(tmp_path / "till2"), 3: str(tmp_path / "till3")}

    def on(n: int):
        monkeypatch.setenv("SHOPCARE_HOME", homes[n])
        audit._KEYS.clear()  # as a new process on that computer would
        return replace(ctx, till=f"T{n}")
    return on


def _rows(ctx) -> int:
    with ctx.tx(write=False) as t:
        return t.s.execute(select(func.count()).select_from(AuditLog)).scalar()


def test_before_sharing_the_other_till_is_told_to_copy_the_key(till):
    t1 = till(1)
    a_member(t1, "13800138001")
    t2 = till(2)
    report = run_check(t2)
    assert codes(report) == ["audit_key_other"]
    assert "shopcare audit-key set" in report.faults[0].en and "audit-key set" in report.faults[0].zh
    a_member(t2, "13800138002")            # the second till writes too, with its own key
    assert codes(run_check(t2)) == ["audit_key_other"]   # the first keyed rows are till 1's
    assert codes(run_check(till(1))) == ["audit_chain"]  # till 1 cannot tell them from edited rows


def test_after_sharing_both_tills_write_and_both_checks_pass(till):
    t1 = till(1)
    a_member(t1, "13800138001")
    t2 = till(2)
    a_member(t2, "13800138002")            # rows signed with till 2's own key, before sharing
    shown = audit.export_key(till(1))
    assert len(shown.split()) == 8 and all(len(g) == 8 for g in shown.split())
    t2 = till(2)
    audit.import_key(t2, shown.upper().replace(" ", "-"))   # typed differently: still the key
    assert audit.key() == audit.parse_key(shown)
    a_member(t2, "13800138003")
    assert run_check(t2).ok, codes(run_check(t2))
    t1 = till(1)
    a_member(t1, "13800138004")
    assert run_check(t1).ok, codes(run_check(t1))
    assert run_check(till(2)).ok
    # Till 2's rows from before sharing are covered by the row that retired its key.
    with t1.tx(write=False) as t:
        actions = t.s.execute(select(AuditLog.action)).scalars().all()
    assert {"audit.key_shown", audit.KEY_RETIRED, "audit.key_imported"} <= set(actions)


def test_a_third_till_joins_after_the_second(till):
    a_member(till(1), "13800138001")
    a_member(till(2), "13800138002")
    shown = audit.export_key(till(1))
    audit.import_key(till(2), shown)
    a_member(till(3), "13800138003")
    shown = audit.export_key(till(2))
    audit.import_key(till(3), shown)
    for n in (1, 2, 3):
        a_member(till(n), f"1390013900{n}")
    for n in (1, 2, 3):
        assert run_check(till(n)).ok, (n, codes(run_check(till(n))))


def test_a_wrong_key_is_refused_and_changes_nothing(till):
    a_member(till(1), "13800138001")
    t2 = till(2)
    a_member(t2, "13800138002")
    mine = audit.key()
    key_file = paths.config_dir() / audit.KEY_FILE
    before = key_file.read_bytes(), _rows(t2)
    with pytest.raises(ValidationError) as err:
        audit.import_key(t2, secrets.token_hex(32))
    assert err.value.code == "audit_key_wrong"
    assert "another key" in render(err.value, "en") and "其他密钥" in render(err.value, "zh_CN")
    audit._KEYS.clear()
    assert (key_file.read_bytes(), _rows(t2)) == before and audit.key() == mine
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


@pytest.mark.parametrize("typed", ["not a key", "abcd" * 7, "g" * 64, "", "ab" * 65])
def test_text_that_is_no_key_is_refused(till, typed):
    t2 = till(2)
    a_member(t2, "13800138002")
    before = _rows(t2)
    with pytest.raises(ValidationError) as err:
        audit.import_key(t2, typed)
    assert err.value.code == "audit_key_text"
    assert "64" in render(err.value, "en") and "十六进制" in render(err.value, "zh_CN")
    assert _rows(t2) == before


def test_the_key_from_the_environment_is_not_replaced(till, monkeypatch):
    t1 = till(1)
    a_member(t1, "13800138001")
    shown = audit.export_key(t1)
    t2 = till(2)
    monkeypatch.setenv(audit.KEY_ENV, secrets.token_hex(32))
    with pytest.raises(ShopError) as err:
        audit.import_key(t2, shown)
    assert err.value.code == "audit_key_env_set" and audit.KEY_ENV in render(err.value, "zh_CN")
    assert not (paths.config_dir() / audit.KEY_FILE).exists()


def test_the_key_the_file_holds_is_what_till_two_uses_in_a_new_process(till):
    a_member(till(1), "13800138001")
    shown = audit.export_key(till(1))
    t2 = till(2)
    audit.import_key(t2, shown)
    key_file = paths.config_dir() / audit.KEY_FILE
    assert key_file.read_text().strip() == shown.replace(" ", "")
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_only_the_owner_with_the_password_shows_or_sets_the_key(till, unconfirmed_ctx):
    t1 = till(1)
    a_member(t1, "13800138001")
    shown = audit.export_key(t1)
    for role in ("cashier", "manager"):
        c = t1.as_actor(Actor(None, role, role))
        with pytest.raises(PermissionDenied):
            audit.export_key(c)
        with pytest.raises(PermissionDenied):
            audit.import_key(c, shown)
    with pytest.raises(PermissionDenied) as err:
        audit.export_key(unconfirmed_ctx)
    assert err.value.code in ("owner_password_required", "owner_password_unset")
    before = _rows(t1)
    with pytest.raises(PermissionDenied):
        audit.import_key(till(2).without_owner(), shown)
    assert _rows(t1) == before


def test_with_a_keyring_the_shared_key_goes_there_not_to_a_file(till):
    import keyring

    from tests.test_sms_gateway import _MemoryKeyring

    a_member(till(1), "13800138001")
    shown = audit.export_key(till(1))
    ring, old = _MemoryKeyring(), keyring.get_keyring()
    keyring.set_keyring(ring)           # till 2's computer has a keyring (till 1's has none)
    try:
        t2 = till(2)
        a_member(t2, "13800138002")     # its own key, made in the keyring
        assert ("ShopCare", audit.KEYRING_USER) in ring.store
        audit.import_key(t2, shown)
        assert ring.store[("ShopCare", audit.KEYRING_USER)] == shown.replace(" ", "")
        assert not (paths.config_dir() / audit.KEY_FILE).exists()
        audit._KEYS.clear()
        a_member(t2, "13800138003")
        assert run_check(t2).ok, codes(run_check(t2))
    finally:
        keyring.set_keyring(old)
    assert run_check(till(1)).ok
