"""``duban watch``: notice uploads to the share and tell Prefect, once a unit's folder has settled.

A unit copies its files into ``<share>/<unit>/...`` — one file or fifty, over a minute or
two. The watcher follows the share with ``watchfiles`` and keeps, per unit, the time of
the last change. When a unit's folder has been quiet for the settle window (60 s by
default, ``desk.watch_settle`` in settings.yaml or ``--settle``), it takes a fingerprint
of the unit's files (paths, sizes, modification times) and, if that differs from the last
one it reported, emits one Prefect event::

    event     duban.evidence.changed
    resource  {"prefect.resource.id": "duban.unit.<unit>", "prefect.resource.name": <unit>,
               "duban.district": <district>, "duban.campaign": <campaign key>, ...}
    payload   {"unit": <unit>, "files": <count>, "fingerprint": <sha256 of the file list>, ...}

The district and campaign labels let a city's ``recheck-<district>`` trigger match only its
own district's uploads (``flows.deployments.recheck_trigger``).

The ``recheck`` deployment carries a trigger on that event (``prefect.yaml``): it
re-checks that unit and sends it one receipt. A burst of 50 files in a minute is one
event; a lock file that comes and goes changes no fingerprint and is no event.

Network shares (CIFS/SMB, NFS) deliver no change events to the server that mounts them:
there the watcher polls (``force_polling``). It finds out by itself from ``/proc/mounts``
(``watch_poll: auto``, the default) or is told (``--poll`` / ``--no-poll``).

The event goes out through :func:`emit_changed` (``prefect.events.emit_event``) in
production; tests may pass their own emitter to see what would be sent.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duban.evidence.layout import parse_unit_folder
from duban.evidence.scanner import is_ignored

log = logging.getLogger("duban.watch")

EVENT = "duban.evidence.changed"
NETWORK_FS = ("cifs", "smb3", "smbfs", "nfs", "nfs4", "fuse.sshfs", "davfs", "9p", "afs", "ncpfs", "fuse.rclone")
TICK_MS = 1000  # how often the watcher wakes up without changes to look at the settle windows


@dataclass(frozen=True)
class Fingerprint:
    unit: str
    files: int
    digest: str  # sha256 of the sorted (path, size, mtime_ns) list


Emitter = Callable[[Fingerprint, str], Any]


# ---------------------------------------------------------------- where the share lives
def mount_of(path: Path | str, mounts_file: Path | str = "/proc/mounts") -> tuple[str, str] | None:
    """(mount point, filesystem type) of the mount holding ``path``, from ``/proc/mounts``."""
    target = os.path.realpath(path)
    best: tuple[str, str] | None = None
    try:
        lines = Path(mounts_file).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) > len(best[0])):
            best = (point, parts[2])
    return best


def is_network_mount(path: Path | str, mounts_file: Path | str = "/proc/mounts") -> bool:
    found = mount_of(path, mounts_file)
    return bool(found and (found[1] in NETWORK_FS or found[1].startswith("nfs")))


def should_poll(root: Path | str, setting: bool | str | None = "auto") -> bool:
    """Poll the share? ``True`` / ``False`` as told; ``auto``: when it is a network mount."""
    if setting in (True, False):
        return bool(setting)
    return is_network_mount(root)


# ---------------------------------------------------------------- what a unit has now
def unit_folders(catalog: Any, root: Path) -> dict[str, list[Path]]:
    """Unit name -> its folders directly under the share (a unit may use its name and an alias)."""
    out: dict[str, list[Path]] = {}
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return out
    for entry in entries:
        if entry.is_dir(follow_symlinks=False) and not is_ignored(entry.name):
            unit = parse_unit_folder(entry.name, catalog)
            if unit is not None:
                out.setdefault(unit.name, []).append(Path(entry.path))
    return out


def fingerprint(catalog: Any, root: Path, unit: str) -> Fingerprint:
    """The unit's files now: how many, and a hash of their paths, sizes and modification times."""
    items: list[tuple[str, int, int]] = []
    for folder in unit_folders(catalog, root).get(unit, []):
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if not is_ignored(d))
            for name in filenames:
                if is_ignored(name):
                    continue
                path = Path(dirpath) / name
                try:
                    st = path.stat()
                except OSError:  # gone between the listing and the stat: the next change will tell
                    continue
                items.append((path.relative_to(root).as_posix(), st.st_size, st.st_mtime_ns))
    items.sort()
    digest = hashlib.sha256(json.dumps(items, ensure_ascii=False).encode("utf-8")).hexdigest()
    return Fingerprint(unit, len(items), digest)


def unit_of_change(catalog: Any, root: Path, changed: str) -> str | None:
    """The unit whose folder a changed path is in (None: the share's top level, an unknown folder)."""
    try:
        rel = Path(changed).relative_to(root)
    except ValueError:
        return None
    if len(rel.parts) < 2 or any(is_ignored(p) for p in rel.parts):
        return None
    unit = parse_unit_folder(rel.parts[0], catalog)
    return unit.name if unit else None


# ---------------------------------------------------------------- the event
def emit_changed(fp: Fingerprint, root: str, scope: Any = None) -> Any:
    """Tell Prefect (the server in ``PREFECT_API_URL``) that a unit's folder changed and settled;
    ``scope`` (a ``duban.store.Scope``) labels the event with the district and campaign."""
    from prefect.events import emit_event

    resource = {
        "prefect.resource.id": f"duban.unit.{fp.unit}",
        "prefect.resource.name": fp.unit,
        "duban.evidence-root": root,
    }
    if scope is not None:
        resource.update({"duban.district": scope.district, "duban.campaign": scope.campaign})
    return emit_event(
        event=EVENT,
        resource=resource,
        payload={"unit": fp.unit, "files": fp.files, "fingerprint": fp.digest, "evidence_root": root},
    )


def scoped_emitter(scope: Any) -> Emitter:
    """The production emitter for one district's campaign (see :func:`emit_changed`)."""
    return lambda fp, root: emit_changed(fp, root, scope)


# ---------------------------------------------------------------- the watcher
class Settler:
    """Per-unit settle windows: a change restarts the unit's window; a window that ran out
    without change reports the unit once, if its files differ from what was last reported."""

    def __init__(self, catalog: Any, root: Path, settle: float, emit: Emitter, clock: Callable[[], float]):
        self.catalog, self.root, self.settle, self.emit, self.clock = catalog, root, settle, emit, clock
        self.pending: dict[str, float] = {}
        self.reported: dict[str, str] = {}
        self.emitted: list[Fingerprint] = []

    def prime(self) -> None:
        """What each unit has at start: only changes after it are news."""
        for unit in unit_folders(self.catalog, self.root):
            self.reported[unit] = fingerprint(self.catalog, self.root, unit).digest

    def changed(self, paths: Iterator[str] | list[str]) -> None:
        now = self.clock()
        for p in paths:
            unit = unit_of_change(self.catalog, self.root, p)
            if unit:
                self.pending[unit] = now

    def due(self) -> list[Fingerprint]:
        """Report every unit whose window has run out; the fingerprints emitted."""
        now = self.clock()
        out = []
        for unit, last in sorted(self.pending.items()):
            if now - last < self.settle:
                continue
            del self.pending[unit]
            fp = fingerprint(self.catalog, self.root, unit)
            if self.reported.get(unit) == fp.digest:
                continue  # changed and changed back (a lock file, a copy that was removed)
            try:
                self.emit(fp, str(self.root))
            except Exception as e:  # Prefect unreachable: try again on the next change
                log.warning("could not emit %s for %s: %s", EVENT, unit, e)
                continue
            self.reported[unit] = fp.digest
            self.emitted.append(fp)
            log.info("%s: %s (%d files)", EVENT, unit, fp.files)
            out.append(fp)
        return out


def watch(
    catalog: Any,
    root: Path | str,
    *,
    settle: float = 60.0,
    poll: bool | str | None = "auto",
    emit: Emitter = emit_changed,
    stop: threading.Event | None = None,
    on_emit: Callable[[Fingerprint], None] | None = None,
    ready: threading.Event | None = None,
) -> Settler:
    """Watch the share until ``stop`` is set (or Ctrl-C); returns the settler (what was emitted)."""
    import watchfiles

    root = Path(root).resolve()
    settler = Settler(catalog, root, settle, emit, time.monotonic)
    settler.prime()
    polling = should_poll(root, poll)
    log.info("watching %s (%s), settle %ss", root, "polling" if polling else "change events", settle)
    changes = watchfiles.watch(
        root,
        watch_filter=None,
        debounce=200,
        step=50,
        rust_timeout=TICK_MS,
        yield_on_timeout=True,
        stop_event=stop,
        force_polling=polling,
        poll_delay_ms=500,
        raise_interrupt=False,
        ignore_permission_denied=True,
    )
    for batch in changes:
        if ready is not None:  # the first tick: the watcher is running, changes from now on are seen
            ready.set()
        settler.changed(p for _, p in batch)
        for fp in settler.due():
            if on_emit:
                on_emit(fp)
    return settler
