"""The OS keyring, when this machine has a usable one: where the gateway's auth token and the
audit chain's key live (never in the database). Headless Linux has none: callers fall back to
private files."""
from __future__ import annotations

KEYRING_SERVICE = "ShopCare"


def keyring_backend():
    """The keyring module when this machine has a usable backend, else None (headless Linux)."""
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
