"""The OS keyring, when this machine has a usable one: where the gateway's auth token and the
audit chain's key live (never in the database). Headless Linux has none: callers fall back to
private files."""
from __future__ import annotations

KEYRING_SERVICE = "ShopCare"


def _none_on_this_desktop() -> bool:
    """Linux with no session bus and no keyring configuration: every backend keyring ships needs
    D-Bus (Secret Service, KWallet), so asking keyring (~50 ms of imports and probing in every
    command that reads the audit key) can only answer "none". A configured backend
    (``PYTHON_KEYRING_BACKEND``, keyringrc.cfg) or keyring already loaded (a test's own) is asked."""
    import os
    import sys

    if not sys.platform.startswith("linux") or "keyring" in sys.modules or os.environ.get("PYTHON_KEYRING_BACKEND"):
        return False
    if os.environ.get("DBUS_SESSION_BUS_ADDRESS") or os.path.exists(f"/run/user/{os.getuid()}/bus"):
        return False
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return not os.path.exists(os.path.join(config, "python_keyring", "keyringrc.cfg"))


def keyring_backend():
    """The keyring module when this machine has a usable backend, else None (headless Linux)."""
    import sys

    if _none_on_this_desktop():
        return None

    if sys.platform != "darwin" and "keyring.backends.macOS.api" not in sys.modules:
        # keyring imports every backend to pick one; the macOS one's ``api`` calls
        # ctypes.util.find_library("Security") at import, which off macOS runs ldconfig and the C
        # compiler (~0.1-0.2 s of every command that reads a secret) to find nothing. That backend
        # refuses to run off macOS anyway ("macOS required"); None makes its import fail at once.
        sys.modules["keyring.backends.macOS.api"] = None
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        return None
    return keyring
