"""SIGKILL at random moments while a till sells, tops up, refunds, imports and sends, a hundred
times on each database the suite runs on (SQLite here, PostgreSQL in the second pass): after every
kill the database opens, the check passes, each sale is whole or absent, each import all or
nothing, and no text went out twice. benchmarks/crash_loop.py runs the same loop for longer."""
from __future__ import annotations

import pytest

from tests.crashloop import crash_loop
from tests.fake_twilio import fake_twilio  # noqa: F401

RUNS = 100


@pytest.mark.slow
def test_a_till_killed_a_hundred_times_loses_and_doubles_nothing(db, tmp_path, fake_twilio, capsys):
    url = db.url
    db.dispose()                       # the forked tills must not inherit open connections
    found = crash_loop(url, tmp_path, fake_twilio, runs=RUNS, cli_every=25)
    with capsys.disabled():
        print(f"\ncrash loop ({'SQLite' if url.startswith('sqlite') else 'PostgreSQL'}): {found.runs} runs, "
              f"{found.kills} kills, {found.cli_checks} shopcare check runs, steps {dict(found.steps)}, "
              f"texts {dict(found.texts)}, duplicates {found.duplicates}, {found.seconds:.1f} s")
    assert found.faults == []
    assert found.kills == RUNS
    assert found.cli_checks >= RUNS // 25
    # the kills landed in real work of every kind, not in an idle till
    for kind in ("sale", "topup", "refund", "imported", "sent"):
        assert found.steps[kind] > 0, found.steps
    assert found.duplicates == 0


def test_the_verifier_finds_each_kind_of_damage(db, tmp_path, fake_twilio):
    """The checks after a kill can fail: a committed sale missing, half an import, a text sent twice."""
    from tests.crashloop import build, verify

    url = db.url
    db.dispose()
    build(url)
    journal = tmp_path / "journal.txt"
    assert verify(url, journal, fake_twilio) == []
    half = tmp_path / "import-half.csv"
    half.write_text("姓名,手机\n甲,13900000001\n乙,13711112222\n", encoding="utf-8")   # one of two exists
    journal.write_text(f"sale T1-999999\nrefund T1-000001\ntopup 4242\nimporting {half}\n")
    fake_twilio.sends[("+8613900000001", "您好")] = 2
    found = verify(url, journal, fake_twilio)
    assert any("committed sale T1-999999 is missing" in f for f in found)
    assert any("committed refund of T1-000001 is missing" in f for f in found)
    assert any("committed top-up 4242 is missing" in f for f in found)
    assert any("import import-half.csv: 1 of 2 members" in f for f in found)
    assert any("accepted 2 times for 0 in the outbox" in f for f in found)
