"""The till app's windows (PySide6). The only package that imports Qt; see DESIGN.md, "Layers"."""
