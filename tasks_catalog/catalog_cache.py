"""Texts commands print from a catalog folder (``loader.catalog_view``: ``duban catalog
--json``), kept in the data directory while the folder is unchanged.

Each entry is one file, ``<cache>/<name>-<hash of the catalog folder's path>.txt``: a first
line with the :func:`fingerprint` it was made under, then the text. The fingerprint covers
the ``stat`` (size, mtime_ns, inode) of every YAML file of the folder and of its ``tasks/``,
of the code that reads them (this package) and of pydantic: an edited, added or removed
file, a new version of duban or of pydantic, and the entry is made again. A cache that
cannot be read or written is no error: the catalog is then read from its files.

Imports nothing heavy: a command that finds its text here never loads pydantic or YAML.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from duban.home import keep_file

HERE = Path(__file__).parent


def fingerprint(root: Path) -> str:
    """The stat of every file the catalog under ``root`` is made of, and of the code that reads it."""
    parts = [str(Path(root).absolute())]
    for folder in (root, root / "tasks", HERE):
        parts.append(f"[{folder.name}]")
        try:
            with os.scandir(folder) as it:
                names = sorted(e.name for e in it if e.name.endswith((".yaml", ".yml", ".py")))
        except OSError:
            continue
        for name in names:
            try:
                st = os.stat(os.path.join(folder, name))
            except OSError:
                continue
            parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}")
    parts.append(_pydantic())
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def _pydantic() -> str:
    """The installed pydantic, by the stat of its version file (found, not imported)."""
    from importlib.util import find_spec

    try:
        spec = find_spec("pydantic")
        origin = spec.origin if spec else None
        st = os.stat(Path(origin).with_name("version.py")) if origin else None
    except (ImportError, ValueError, OSError):
        return "pydantic:?"
    return f"pydantic:{st.st_size}:{st.st_mtime_ns}" if st else "pydantic:?"


def _file(cache: Path, name: str, root: Path) -> Path:
    where = hashlib.sha256(str(Path(root).absolute()).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return Path(cache) / f"{name}-{where}.txt"


def read(cache: Path, name: str, root: Path, key: str) -> str | None:
    """The text kept under ``name`` for this catalog folder, if it was made under ``key``."""
    try:
        with open(_file(cache, name, root), encoding="utf-8") as f:
            if f.readline().rstrip("\n") != key:
                return None
            return f.read()
    except (OSError, UnicodeDecodeError):
        return None


def write(cache: Path, name: str, root: Path, key: str, text: str) -> None:
    """Keep ``text`` (atomically: a reader never sees half of it); never fails the command."""
    keep_file(_file(cache, name, root), f"{key}\n{text}")
