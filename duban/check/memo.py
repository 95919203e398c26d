"""Tasks judged by one check, kept for the next check of the same request: a re-check after
a few uploads judges again only the tasks whose files changed.

What a task's verdicts depend on — and so what must be the same for them to be reused:

- the request's inputs: the catalog, settings, calendar, code and environment
  (``replay.inputs_digest``, the digest a kept answer is checked with);
- the coordinator's decisions and confirmations (``run.basis``);
- the task's own files: names, owning units, rounds, when each was handed in, which content
  and which of its stored facts, whether the scan could not read it (:meth:`Memo.key`);
- the as-of time only through the instants the rules compare it with — every due time,
  when each of the task's files came in, when each decision or confirmation was made or
  withdrawn: the verdicts hold while the as-of time stays between the same two of them
  (``replay.window``).

Kept as one file per request beside its kept answer (``cache/check-<key>.parts``): a header
line, then one line per task, ``task<TAB>key<TAB>json``, so that loading it parses only
what is reused. Written as the check judges, put in place when the check succeeds; a memo
that cannot be read or written is no error (the check judges everything). Only whole checks
(no ``--unit``/``--task``) use it; ``duban check --full`` judges everything and keeps that.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
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
    def begin(self, basis: str, root: str) -> None:
        """Read what the last check kept (if made from the same inputs, decisions and share
        root) and start keeping this one's."""
        head = json.dumps({"version": VERSION, "inputs": self.inputs, "basis": basis, "root": root})
        if self.reuse:
            self._old, self.old = _index(self.path, head)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
            self._tmp = Path(tmp)
            self._out = os.fdopen(fd, "wb")
            self._out.write(head.encode() + b"\n")
        except OSError:
            self.discard()

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
            self.discard()

    def discard(self) -> None:
        self._close_old()
        out, self._out = self._out, None
        try:
            if out is not None:
                out.close()
        except OSError:
            pass
        self._drop()

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
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if any(i.path not in order for i in part.rejected + part.unaccounted):
            return None
        self.reused += 1
        self._write(task, key, body)
        return part

    def put(self, task: str, key: str, window: replay.Window, part: Part) -> None:
        """Keep a task as this check judged it."""
        if self._out is None:
            return
        d: dict[str, Any] = {
            "window": [window.lo, window.hi, window.at],
            "ruled": [o.to_json() for o in part.ruled],
            "rejected": [[i.path, i.reason] for i in part.rejected],
            "unaccounted": [[i.path, i.reason] for i in part.unaccounted],
            "times": {p: t.isoformat() for p, t in part.times.items()},
        }
        self._write(task, key, json.dumps(d, ensure_ascii=False).encode("utf-8", "surrogateescape"))

    # ------------------------------------------------------------ the file
    def _write(self, task: str, key: str, body: bytes) -> None:
        if self._out is None:
            return
        try:
            self._out.write(f"{task}\t{key}\t".encode() + body + b"\n")
        except OSError:
            self.discard()

    def _close_old(self) -> None:
        old, self._old = self._old, None
        if old is not None:
            old.close()

    def _drop(self) -> None:
        if self._tmp != self.path:
            try:
                self._tmp.unlink()
            except OSError:
                pass


def of_share(home: Home, catalog: Catalog, root: str, *, reuse: bool = True) -> Memo:
    """The memo of the whole checks of one share made without ``duban check``'s command line —
    the desk's re-check button, a flow run: kept under the share's and catalog's names, valid
    for the same inputs as a command's (code, packages, catalog, the data directory's files)
    and the ``DUBAN_*`` environment (a flow run's process has its own run ids)."""
    from duban.home import database_url

    req = replay.Request(home.root, str(root), {"memo": "of_share", "catalog": str(catalog.root)}, dt.datetime.now())
    env = {k: v for k, v in os.environ.items() if k.startswith("DUBAN_")}
    inputs = replay.inputs_digest(req, str(catalog.root), replay.sqlite_path(database_url(home)), [], env=env)
    return Memo(home.root / "cache" / f"judged-{req.key()}.parts", inputs, reuse=reuse)


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
