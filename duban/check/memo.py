"""Tasks judged by one check, kept for the next check of the same share: a re-check after
a few uploads judges again only the tasks whose files changed.

What a task's verdicts depend on — and so what must be the same for them to be reused:

- the code, the catalog as loaded, the district and campaign, the settings file and the
  store (the memo's header: :func:`of_share`, ``evidence.store.store_id``);
- the coordinator's decisions and confirmations (``run.basis``, in the header too);
- the task's own files: names, owning units, rounds, when each was handed in, which content
  and which of its stored facts, whether the scan could not read it (:meth:`Memo.key`);
- the as-of time only through the instants the rules compare it with — every due time,
  when each of the task's files came in, when each decision or confirmation was made or
  withdrawn: the verdicts hold while the as-of time stays between the same two of them
  (``replay.window``).

Kept as one file per share and catalog (``cache/judged-<key>.parts``), shared by ``duban
check``, the desk and the flows: a header line, then one line per task,
``task<TAB>key<TAB>json``; a check indexes it and reads only what it reuses. Written as the
check judges, put in place when the check succeeds; a memo that cannot be read or written
is no error (the check judges everything). Only whole checks (no ``--unit``/``--task``) use
it; ``duban check --full`` judges everything and keeps that.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from duban import replay
from duban.home import Home
from duban.results import FileIssue, Obligation
from duban.tasks_catalog import Catalog

VERSION = 1


@dataclass
class Part:
    """One task as judged: its verdicts (the rules', before decisions), what it rejected or
    could not account for (by path), and when its files came in (kept only when asked)."""

    ruled: list[Obligation]
    rejected: list[FileIssue]
    unaccounted: list[FileIssue]
    times: dict[str, dt.datetime]


class Memo:
    """The parts one check reuses and the parts it keeps for the next."""

    def __init__(self, path: Path, inputs: str, *, reuse: bool = True) -> None:
        self.path, self.inputs, self.reuse = path, inputs, reuse
        self.old: dict[str, tuple[str, int, int]] = {}  # task -> (key, where its JSON lies in the old file)
        self._old: IO[bytes] | None = None  # the last check's memo, read a reused task at a time
        self.reused = 0
        self._out: IO[bytes] | None = None
        self._tmp = path

    # ------------------------------------------------------------ the check's two ends
    def begin(self, basis: str, root: str, store: str) -> None:
        """Read what the last check kept (if made from the same inputs, decisions, share root
        and store: ``evidence.store.store_id``) and start keeping this one's."""
        head = json.dumps({"version": VERSION, "inputs": self.inputs, "basis": basis, "root": root, "store": store})
        if self.reuse:
            self._old, self.old = _index(self.path, head)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _drop_stale(self.path)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
            self._tmp = Path(tmp)
            self._out = os.fdopen(fd, "wb")
            os.fchmod(fd, 0o666 & ~_umask())  # (mkstemp's 0600: a desk and flows under two accounts share it)
            self._out.write(head.encode() + b"\n")
        except OSError:
            self._stop_keeping()

    def commit(self) -> None:
        """Put the parts this check judged in place of the last check's."""
        self._close_old()
        out, self._out = self._out, None
        if out is None:
            return
        try:
            out.close()
            os.replace(self._tmp, self.path)
        except OSError:
            self._stop_keeping()

    def discard(self) -> None:
        self._close_old()
        self._stop_keeping()

    def __enter__(self) -> Memo:
        return self

    def __exit__(self, kind, *_exc) -> None:
        self.commit() if kind is None else self.discard()

    # ------------------------------------------------------------ one task
    @staticmethod
    def key(files: bytes, keep_times: bool) -> str:
        """Digest of a task's files as judging sees them (``run._Judged._memo_files``)."""
        h = hashlib.blake2b(files, digest_size=20)
        h.update(b"times" if keep_times else b"")
        return h.hexdigest()

    def get(self, task: str, key: str, as_of: dt.datetime, order: dict[str, int]) -> Part | None:
        """The task as the last check judged it, if that still holds at ``as_of``."""
        old = self.old.get(task)
        if old is None or old[0] != key or self._old is None:
            return None
        try:
            self._old.seek(old[1])
            body = self._old.read(old[2])
            d = json.loads(body)
            if not replay.Window(*d["window"]).holds(as_of):
                return None
            part = Part(
                [Obligation.from_json(o) for o in d["ruled"]],
                [FileIssue(p, r) for p, r in d["rejected"]],
                [FileIssue(p, r) for p, r in d["unaccounted"]],
                {p: dt.datetime.fromisoformat(t) for p, t in d["times"].items()},
            )
            if any(i.path not in order for i in part.rejected + part.unaccounted):
                return None
        except Exception:  # (whatever a damaged line holds: that task is judged)
            return None
        self.reused += 1
        self._write(task, key, body)
        return part

    def put(self, task: str, key: str, window: replay.Window, part: Part) -> None:
        """Keep a task as this check judged it."""
        if self._out is None:
            return
        try:
            d: dict[str, Any] = {
                "window": [window.lo, window.hi, window.at],
                "ruled": [o.to_json() for o in part.ruled],
                "rejected": [[i.path, i.reason] for i in part.rejected],
                "unaccounted": [[i.path, i.reason] for i in part.unaccounted],
                "times": {p: t.isoformat() for p, t in part.times.items()},
            }
            body = json.dumps(d, ensure_ascii=False).encode("utf-8", "surrogateescape")
        except Exception:  # (a name no text encoding holds: this check keeps nothing)
            self._stop_keeping()
            return
        self._write(task, key, body)

    # ------------------------------------------------------------ the file
    def _write(self, task: str, key: str, body: bytes) -> None:
        if self._out is None:
            return
        try:
            self._out.write(f"{task}\t{key}\t".encode() + body + b"\n")
        except OSError:
            self._stop_keeping()

    def _close_old(self) -> None:
        old, self._old = self._old, None
        if old is not None:
            old.close()

    def _stop_keeping(self) -> None:
        """Keep nothing of this check (the last check's memo stays as it was)."""
        out, self._out = self._out, None
        try:
            if out is not None:
                out.close()
        except OSError:
            pass
        if self._tmp != self.path:
            try:
                self._tmp.unlink()
            except OSError:
                pass


def of_share(home: Home, catalog: Catalog, root: str, *, reuse: bool = True) -> Memo:
    """The memo of the whole checks of one share with one catalog — ``duban check``, the desk's
    re-check button and the flows alike, whatever else their environments hold. Valid for the
    same code (as this process runs it: ``replay.code_digest``), catalog (as loaded: its
    content, so a desk that has not reloaded an edited catalog keeps apart from one that has),
    district and campaign, settings file, and store (its address here; its own id, made in it,
    when the check begins: a store deleted and made again is another store)."""
    from duban.home import database_url
    from duban.store import scope_of

    url = database_url(home)
    scope = scope_of(catalog, home)
    req = replay.Request(home.root, str(root), {"memo": 1, "catalog": str(catalog.root)}, dt.datetime.now())
    h = hashlib.blake2b(digest_size=20)
    h.update(repr(catalog).encode("utf-8", "surrogateescape"))
    head = [replay.code_digest(), scope.district, scope.campaign, url]
    h.update(json.dumps(head, ensure_ascii=False).encode("utf-8", "surrogateescape"))
    try:
        h.update(home.settings_file.read_bytes())
    except OSError:
        h.update(b"(no settings file)")
    return Memo(home.root / "cache" / f"judged-{req.key()}.parts", h.hexdigest(), reuse=reuse)


STALE_SECONDS = 3600  # a memo being written this long ago was left by a process that died


def _drop_stale(path: Path) -> None:
    """Remove what writers of this memo that died left (``.<name>.XXXX``)."""
    cutoff = time.time() - STALE_SECONDS
    for left in path.parent.glob(f".{glob.escape(path.name)}.*"):
        try:
            if left.stat().st_mtime < cutoff:
                left.unlink()
        except OSError:
            pass


def _umask() -> int:
    """This process's umask (read, not set: setting it would race with other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _index(path: Path, head: str) -> tuple[IO[bytes] | None, dict[str, tuple[str, int, int]]]:
    """A kept memo whose header is ``head``, open, and where each task's JSON lies in it:
    task -> (key, offset, length). (None, {}) for any other file. A line cut short is left
    out: that task is judged again."""
    try:
        f = open(path, "rb")  # noqa: SIM115 (closed by the memo's commit or discard)
    except OSError:
        return None, {}
    out: dict[str, tuple[str, int, int]] = {}
    try:
        if f.readline().rstrip(b"\n") != head.encode():
            f.close()
            return None, {}
        at = f.tell()
        for line in f:
            parts = line.split(b"\t", 2)
            if len(parts) == 3 and line.endswith(b"\n"):
                start = len(parts[0]) + len(parts[1]) + 2
                out[parts[0].decode("utf-8", "replace")] = (
                    parts[1].decode("utf-8", "replace"),
                    at + start,
                    len(line) - start - 1,
                )
            at += len(line)
    except OSError:
        f.close()
        return None, {}
    return f, out
