"""The till app's windows (PySide6). The only package that imports Qt; see DESIGN.md, "Layers"."""
from __future__ import annotations


def _quicker_feature_check() -> None:
    """PySide6 asks of every module imported after it whether the module uses PySide6 (for its
    ``from __feature__ import ...`` switches) by reading the module's source through
    ``inspect.getsource`` and linecache: 60-90 ms of the app's start, for ~450 modules. The same
    question, answered from the file's bytes."""
    import sys

    import PySide6  # noqa: F401  (installs the hook)

    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if original is None or getattr(original, "quicker", False):
        return

    def uses_pyside(module) -> bool:
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return original(module)
        try:
            with open(path, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            return original(module)

    uses_pyside.quicker = True
    feature._mod_uses_pyside = uses_pyside


_quicker_feature_check()
