"""The till app's entry point (``shopcare`` with no command, and the ``shopcare-gui`` script)."""
from __future__ import annotations


def main(argv: list[str] | None = None, *, db_url: str | None = None, lang: str | None = None) -> int:
    from app.ui.app import run

    return run(db_url, lang, argv=argv)


if __name__ == "__main__":
    raise SystemExit(main())
