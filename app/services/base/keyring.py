"""The OS keyring, when this machine has a usable one: where the gateway's auth token and the
audit chain's key live (never in the database). Headless Linux has none: callers fall back to
private files."""
from __future__ import annotations

KEYRING_SERVICE = "ShopCare"


def keyring_backend():
    """The keyring module when this machine has a usable backend, else None (headless Linux)."""
    import sys

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
