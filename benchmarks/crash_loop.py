"""The crash loop for longer: a till killed with SIGKILL hundreds of times while it sells, tops up,
refunds, imports and sends, on SQLite and on PostgreSQL; after every kill the checks of
tests/crashloop.py (database opens, ``shopcare check`` passes, each sale whole or absent, imports
all or nothing, no text sent twice).

    .venv/bin/python benchmarks/crash_loop.py [--runs 500] [--pg URL] [--only sqlite|postgresql]

Exit status 1 when any run finds a fault (the first is printed). PostgreSQL: a fresh database on
the server (default the local one); skipped, and said, when none answers.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.crashloop import crash_loop  # noqa: E402
from tests.fake_twilio import FakeTwilio  # noqa: E402


def _pg_database(url: str, name: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=500, help="kills per database (default 500)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1/test")
    ap.add_argument("--only", choices=("sqlite", "postgresql"))
    args = ap.parse_args()
    targets = []
    if args.only != "postgresql":
        targets.append(("SQLite", lambda folder: f"sqlite:///{folder / 'crash.db'}"))
    if args.only != "sqlite":
        targets.append(("PostgreSQL", lambda folder: _pg_database(args.pg, "shopcare_crash")))
    failed = False
    for label, make_url in targets:
        folder = Path(tempfile.mkdtemp(prefix="shopcare-crash-"))
        try:
            url = make_url(folder)
        except Exception as exc:  # no server: say so and go on
            print(f"{label} skipped: {type(exc).__name__}: {exc}".splitlines()[0])
            continue
        fake = FakeTwilio().start()
        try:
            f = crash_loop(url, folder, fake, runs=args.runs, seed=args.seed,
                           log=lambda n: print(f"  {label}: {n} kills", flush=True) if n % 100 == 0 else None)
        finally:
            fake.stop()
        print(f"{label}: {f.runs} runs, {f.kills} SIGKILLs, {f.cli_checks} 'shopcare check' runs, "
              f"{f.seconds:.0f} s; journaled steps {dict(f.steps)}; texts {dict(f.texts)}; "
              f"gateway duplicates {f.duplicates}; faults {len(f.faults)}")
        if f.faults:
            failed = True
            print("  first fault:", f.faults[0])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
