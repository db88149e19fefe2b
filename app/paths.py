"""Where ShopCare keeps its files. ``SHOPCARE_HOME`` overrides everything (tests, portable installs).

The files hold personal data (the member database with full phone numbers, its -wal/-shm, backups,
exports, report PDFs, the outbox log), so they are the user's alone: every folder here is made
0700 and every file 0600. Three steps keep it so: the process starts with umask 077
(``private_umask``, in app/cli/__init__.py and app/ui/main.py) so whatever is created later is private;
every writer calls ``private_file`` on what it wrote (an export to a folder the user chose too,
though that folder is left as it is); and ``fix_existing`` puts right what an older version (or a
copy) left readable, at every start. On Windows none of this applies: the files sit in the user's
profile, whose ACL already keeps other users out, so nothing is changed there.
"""
from __future__ import annotations

import os
import stat
from importlib import resources
from pathlib import Path

from platformdirs import PlatformDirs

_DIRS = PlatformDirs("ShopCare", "ShopCare")


def _home() -> Path | None:
    home = os.environ.get("SHOPCARE_HOME")
    return Path(home).expanduser() if home else None


PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
POSIX = os.name == "posix"


def private_umask() -> None:
    """Files and folders this process creates from now on are the user's alone (POSIX)."""
    if POSIX:
        os.umask(0o077)


def private_file(path: str | Path) -> None:
    """``path`` readable and writable by the user only (POSIX; see the module's note on Windows).
    A file system that cannot (a FAT USB stick) or a file of another user is left as it is: the
    file was written all the same."""
    if not POSIX:
        return
    try:
        if stat.S_IMODE(os.stat(path).st_mode) != PRIVATE_FILE:
            os.chmod(path, PRIVATE_FILE)
    except OSError:
        pass


def private_dir(path: Path) -> Path:
    """``path`` made when missing (with its parents) and then kept 0700 (POSIX)."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    if POSIX:
        try:
            if stat.S_IMODE(os.stat(path).st_mode) != PRIVATE_DIR:
                os.chmod(path, PRIVATE_DIR)
        except OSError:
            pass
    return path


def private_sqlite(path: str | Path) -> None:
    """A SQLite database and the files beside it (-wal, -shm, -journal) 0600. SQLite gives a new
    -wal/-shm the database file's own mode, so a private database keeps them private too."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.lexists(f"{path}{suffix}") and not os.path.islink(f"{path}{suffix}"):
            private_file(f"{path}{suffix}")


def _data_path() -> Path:
    return (_home() / "data") if _home() else Path(_DIRS.user_data_dir)


def _cache_path() -> Path:
    return (_home() / "cache") if _home() else Path(_DIRS.user_cache_dir)


def _config_path() -> Path:
    return (_home() / "config") if _home() else Path(_DIRS.user_config_dir)


def _app_log_path() -> Path:
    return (_home() / "logs") if _home() else Path(_DIRS.user_log_dir)


def data_dir() -> Path:
    return private_dir(_data_path())


def cache_dir() -> Path:
    return private_dir(_cache_path())


def cache_file(folder: str, key: str, suffix: str) -> Path:
    """Where the user's cache keeps what ``key`` (the source's path, size, mtime, versions) names."""
    import hashlib

    return cache_dir() / folder / (hashlib.sha256(key.encode()).hexdigest()[:32] + suffix)


def read_cache(path: Path) -> bytes | None:
    """A cache file's bytes, or None when it is missing or not this user's own private file (a
    cache another account could write is never trusted: some caches are unpickled)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if POSIX and (st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) & 0o077):
            return None
        return fh.read()


def write_cache(path: Path, data: bytes) -> None:
    """``data`` into the cache file ``path`` (0600, whole or not at all); a read-only or full cache
    folder is no error: the next process works it out again."""
    import tempfile

    try:
        private_dir(path.parent)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cache.")   # 0600
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except OSError:
        pass


def config_dir() -> Path:
    return private_dir(_config_path())


def backup_dir() -> Path:
    return private_dir(data_dir() / "backups")


def log_dir() -> Path:
    """The outbox log (what the ``log`` text gateway would have sent)."""
    return private_dir(data_dir() / "log")


def app_log_dir() -> Path:
    """The app's own log (app/logs.py: every unexpected failure with its traceback), which a shop
    sends when it asks for help: platformdirs' user log folder (Linux ~/.local/state/ShopCare/log,
    macOS ~/Library/Logs/ShopCare, Windows %LOCALAPPDATA%\\ShopCare\\ShopCare\\Logs), or
    ``$SHOPCARE_HOME/logs``. Not the outbox log of ``log_dir``."""
    return private_dir(_app_log_path())


def fix_existing() -> None:
    """Every folder under the data, cache, config and log folders 0700 and every file in them 0600:
    what an older version, a restore or a copy left readable by others. Run at every start (the
    app, each CLI command); creates nothing. Links are not followed (they may point anywhere)."""
    if not POSIX:
        return
    for root in (_data_path(), _cache_path(), _config_path(), _app_log_path()):
        if not root.is_dir() or root.is_symlink():
            continue
        private_dir(root)
        for folder, dirs, files in os.walk(root):
            for name in dirs:
                if not os.path.islink(os.path.join(folder, name)):
                    private_dir(Path(folder, name))
            for name in files:
                if not os.path.islink(os.path.join(folder, name)):
                    private_file(os.path.join(folder, name))


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
