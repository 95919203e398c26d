"""A re-check that finds nothing changed answers from the last check, without loading the
catalog, the store or the rules.

``duban check`` keeps, beside its answer, what the answer was made from (one file per request
under ``<home>/cache/``):

- the share: a digest of every entry under the evidence root — path, kind, size, mtime,
  ctime, inode and mode (a link anywhere in the share, an unreadable folder or a file that
  vanishes mid-walk, and nothing is kept or answered: the whole check runs);
- the inputs: duban's code and the installed packages, every file of the catalog folder, the
  data directory's own files (``settings.yaml``, ...), the SQLite store as it stood after the
  run was recorded (size, mtime, inode of the file and its WAL), the environment, the working
  directory, the command's options and how the terminal shows text;
- the time window: every instant the answer compares its as-of time with — when each file
  came in, every due time (extensions too), when each decision and confirmation was made or
  withdrawn. An as-of time between the same two of them compares the same way with each, so
  the rules give the same answer; only the as-of time printed changes.

When all of these match, the command prints the kept answer under the new as-of time, says
that it did (and when the answer was made), and stops: nothing is read from the share but
its listing, nothing is written to the store (the store's last check run stays the one that
made the answer). Anything else, and the whole check runs and keeps its answer again.
``duban check --full`` always runs the whole check. A store on PostgreSQL is never answered
from here: its state cannot be seen without a connection.

Imports nothing heavy (the stdlib, ``duban.home``, ``duban.timeutil``): this is the start of every
``duban check``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
import json
import os
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

from duban.home import keep_file

VERSION = 1
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# environment variables that differ between two runs of one shell without changing anything
_VOLATILE_ENV = frozenset({"_", "OLDPWD"})
# the store's files: their state is compared separately (after the run wrote to them)
_STORE_SUFFIXES = ("-wal", "-shm", "-journal")


# ---------------------------------------------------------------- the time window
@dataclass(frozen=True)
class Window:
    """The as-of times (µs since the epoch) a check's answer holds for: strictly between ``lo``
    and ``hi`` (None: unbounded), or exactly ``at`` when the as-of time was itself one of the
    instants compared."""

    lo: int | None = None
    hi: int | None = None
    at: int | None = None

    def holds(self, as_of: dt.datetime) -> bool:
        t = micros(as_of)
        if self.at is not None:
            return t == self.at
        return (self.lo is None or self.lo < t) and (self.hi is None or t < self.hi)


def micros(t: dt.datetime) -> int:
    return (t - EPOCH) // dt.timedelta(microseconds=1)


def window(as_of: dt.datetime, instants: Iterable[dt.datetime | None]) -> Window:
    """The window around ``as_of`` that no instant the rules compare it with falls into."""
    points = sorted({micros(t) for t in instants if t is not None})
    t = micros(as_of)
    i = bisect.bisect_left(points, t)
    if i < len(points) and points[i] == t:
        return Window(at=t)
    return Window(lo=points[i - 1] if i > 0 else None, hi=points[i] if i < len(points) else None)


# ---------------------------------------------------------------- what a request is
@dataclass
class Request:
    """One ``duban check`` as typed: everything but the as-of time must match to be answered."""

    home: Path
    root: str  # the evidence root as resolved for this run
    options: dict  # units, tasks, details, catalog, json path ...
    as_of: dt.datetime

    def key(self) -> str:
        """Names the file an answer to this request is kept in."""
        text = json.dumps([str(Path(self.root).absolute()), self.options], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:20]

    def path(self) -> Path:
        return self.home / "cache" / f"check-{self.key()}.json"


@dataclass
class Answer:
    """What a check printed, and what it was made from."""

    made_at: str  # when the whole check ran (its store record's time)
    as_of: str  # the as-of time it was made for (ISO)
    window: Window
    inputs: str  # digest of everything but the share and the store
    share: str  # digest of the share's listing
    store: list  # stat of the store's files after the run
    catalog: str  # the catalog folder it was made with
    files: int  # evidence files scanned
    out: list[tuple[str, str]] = field(default_factory=list)  # ("err"|"out"|"heading"|"stats"|"json", text)
    result: dict | None = None  # the CheckResult's JSON (kept when --json asked for it)


# ---------------------------------------------------------------- digests
# A one-shot command (``duban check``) lists a share once: the quick reader, the click command
# and the check that keeps its answer all use the listing as it stood when the command began
# (up to three walks of the share, ~0.1 s each at 10k files). A long-running process (serve,
# the desk) never turns this on: each of its checks lists the share afresh.
_listed: dict[str, str | None] | None = None


def list_each_share_once() -> None:
    """Turn on :func:`share_digest`'s memory for the rest of this (one-shot) process."""
    global _listed
    if _listed is None:
        _listed = {}


def share_digest(root: str) -> str | None:
    """Every entry under ``root`` with its stat; None when the share cannot be listed whole
    (unreadable folder, an entry gone mid-walk, a link: the whole check decides then)."""
    if _listed is None:
        return _share_digest(root)
    key = os.path.abspath(root)
    if key not in _listed:
        _listed[key] = _share_digest(root)
    return _listed[key]


def _share_digest(root: str) -> str | None:
    h = hashlib.blake2b(digest_size=20)
    try:
        st = os.stat(root)
    except OSError:
        return None
    h.update(f"{st.st_mode}:{st.st_ino}\n".encode())
    stack = [(root, "")]
    while stack:
        path, rel = stack.pop()
        try:
            with os.scandir(path) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            return None
        lines = []
        for e in entries:
            try:
                s = e.stat(follow_symlinks=False)
            except OSError:
                return None
            mode = s.st_mode
            if stat.S_ISLNK(mode):
                return None
            name = f"{rel}/{e.name}"
            if stat.S_ISDIR(mode):
                stack.append((e.path, name))
                lines.append(f"d{name}\0{mode}\0{s.st_ino}\0{s.st_mtime_ns}")
            else:
                lines.append(f"f{name}\0{mode}\0{s.st_ino}\0{s.st_size}\0{s.st_mtime_ns}\0{s.st_ctime_ns}")
        h.update("\n".join(lines).encode("utf-8", "surrogateescape"))
        h.update(b"\n\n")
    return h.hexdigest()


def _stat_tree(h, folder: Path | str, *, suffixes: tuple[str, ...] | None = None, depth: int = 8) -> None:
    """Feed the stat of every file under ``folder`` (with these name endings) into ``h``."""
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        h.update(f"?{folder}\n".encode("utf-8", "surrogateescape"))
        return
    for e in entries:
        try:
            if e.is_dir():
                if depth > 0 and e.name != "__pycache__":
                    _stat_tree(h, e.path, suffixes=suffixes, depth=depth - 1)
                continue
            if suffixes and not e.name.endswith(suffixes):
                continue
            s = e.stat()
        except OSError:
            continue
        h.update(f"{e.path}\0{s.st_size}\0{s.st_mtime_ns}\0{s.st_ino}\n".encode("utf-8", "surrogateescape"))


def _code_dirs() -> list[str]:
    """The folders duban's check is made of (its packages map to separate folders)."""
    out = []
    for name in ("duban", "duban.evidence", "duban.tasks_catalog"):
        try:
            spec = find_spec(name)
        except (ImportError, ValueError):
            spec = None
        out += list(spec.submodule_search_locations or []) if spec else [f"?{name}"]
    return out


def _packages() -> list[str]:
    """The installed distributions (name and version, from their folder names)."""
    out = []
    for p in sys.path:
        if p.endswith("site-packages"):
            try:
                out += sorted(n for n in os.listdir(p) if n.endswith((".dist-info", ".egg-link", ".pth")))
            except OSError:
                continue
    return out


def _home_files(home: Path, store: Path | None) -> list[str]:
    """The data directory's own files (settings.yaml, calendar.yaml, ...) but the store's."""
    out = []
    try:
        with os.scandir(home) as it:
            for e in sorted(it, key=lambda e: e.name):
                if not e.is_file() or (store and e.path.startswith(str(store))):
                    continue
                s = e.stat()
                out.append(f"{e.name}:{s.st_size}:{s.st_mtime_ns}:{s.st_ino}")
    except OSError:
        out.append("?")
    return out


@functools.cache
def code_digest() -> str:
    """duban's code, the interpreter and the installed packages, as they stood when this
    process first asked — what it runs (a long-running desk asks when it starts)."""
    h = hashlib.blake2b(digest_size=20)
    h.update(json.dumps([VERSION, sys.prefix, sys.version, _packages()]).encode("utf-8", "surrogateescape"))
    for d in _code_dirs():
        _stat_tree(h, d, suffixes=(".py", ".yaml", ".yml", ".json", ".j2", ".txt"))
    return h.hexdigest()


def inputs_digest(req: Request, catalog_root: str, store: Path | None, terminal: list) -> str:
    """Digest of everything a check's answer is made from but the share and the store: code,
    packages, catalog, the data directory's own files, the request, the environment."""
    h = hashlib.blake2b(digest_size=20)
    env = {k: v for k, v in os.environ.items() if k not in _VOLATILE_ENV}
    head = [code_digest(), os.getcwd(), env, req.options, terminal, catalog_root, _home_files(req.home, store)]
    h.update(json.dumps(head, ensure_ascii=False, sort_keys=True).encode("utf-8", "surrogateescape"))
    _stat_tree(h, catalog_root)
    return h.hexdigest()


def store_state(store: Path | None) -> list:
    """The SQLite store's files as they stand (a write by anyone, and they differ)."""
    if store is None:
        return ["none"]
    out: list = []
    for p in (str(store), f"{store}-wal"):
        try:
            s = os.stat(p)
            out.append([s.st_size, s.st_mtime_ns, s.st_ino])
        except FileNotFoundError:
            out.append(None)
        except OSError:
            out.append("?")
    return out


def terminal() -> list:
    """How the terminal would show the answer: kept text is only reused for the same."""
    out: list = []
    for f in (sys.stdout, sys.stderr):
        try:
            tty = f.isatty()
        except (AttributeError, ValueError):
            tty = False
        out.append(tty)
    try:
        out.append(list(os.get_terminal_size(sys.stdout.fileno())) if out[0] else None)
    except (AttributeError, ValueError, OSError):
        out.append(None)
    return out


# ---------------------------------------------------------------- keeping and answering
def sqlite_path(url: str) -> Path | None:
    """The store's file for a SQLite URL; None for any other database (never answered from here)."""
    prefix = "sqlite:///"
    return Path(url[len(prefix) :]) if url.startswith(prefix) and len(url) > len(prefix) else None


def keep(req: Request, answer: Answer) -> None:
    """Keep an answer for the next identical request (atomically; never fails the check)."""
    d = {
        "version": VERSION,
        "made_at": answer.made_at,
        "as_of": answer.as_of,
        "window": [answer.window.lo, answer.window.hi, answer.window.at],
        "inputs": answer.inputs,
        "share": answer.share,
        "store": answer.store,
        "catalog": answer.catalog,
        "files": answer.files,
        "out": answer.out,
        "result": answer.result,
    }
    keep_file(req.path(), json.dumps(d, ensure_ascii=False))


def forget(req: Request) -> None:
    try:
        req.path().unlink()
    except OSError:
        pass


def load(req: Request) -> Answer | None:
    try:
        d = json.loads(req.path().read_text(encoding="utf-8"))
        if d.get("version") != VERSION:
            return None
        lo, hi, at = d["window"]
        return Answer(
            d["made_at"],
            d["as_of"],
            Window(lo, hi, at),
            d["inputs"],
            d["share"],
            d["store"],
            d["catalog"],
            d["files"],
            [tuple(x) for x in d["out"]],
            d.get("result"),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def find(req: Request, store: Path | None) -> Answer | None:
    """The kept answer that still holds for ``req``, or None (then the whole check runs)."""
    if store is None:
        return None
    answer = load(req)
    if answer is None or not answer.window.holds(req.as_of):
        return None
    if store_state(store) != answer.store:
        return None
    if inputs_digest(req, answer.catalog, store, terminal()) != answer.inputs:
        return None
    if share_digest(req.root) != answer.share:
        return None
    return answer
