"""Where ShopCare keeps its files. ``SHOPCARE_HOME`` overrides everything (tests, portable installs)."""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from platformdirs import PlatformDirs

_DIRS = PlatformDirs("ShopCare", "ShopCare")


def _home() -> Path | None:
    home = os.environ.get("SHOPCARE_HOME")
    return Path(home).expanduser() if home else None


def data_dir() -> Path:
    path = (_home() / "data") if _home() else Path(_DIRS.user_data_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    path = (_home() / "cache") if _home() else Path(_DIRS.user_cache_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    path = (_home() / "config") if _home() else Path(_DIRS.user_config_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def backup_dir() -> Path:
    path = data_dir() / "backups"
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_db_url() -> str:
    return f"sqlite:///{data_dir() / 'shopcare.db'}"


def _repo_or_package(top: str, packaged: str) -> Path:
    """A top-level folder of the source tree, or its copy shipped inside the installed package."""
    here = Path(__file__).resolve().parent
    source = here.parent / top
    if source.is_dir() and (here.parent / "pyproject.toml").exists():
        return source
    return Path(str(resources.files(packaged)))


def migrations_dir() -> Path:
    return _repo_or_package("migrations", "app._migrations")


def resources_dir() -> Path:
    return _repo_or_package("resources", "app._resources")
