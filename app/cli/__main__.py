"""``python -m app.cli`` is ``shopcare`` too (scripts and the crash-loop test call it that way)."""
from app.cli import main

raise SystemExit(main())
