"""Where reports live: ``<home>/reports/<round ISO date | adhoc>/<YYYYMMDD-HHMMSS>[-N]/``.

Each run folder holds ``report.xlsx``, ``report.html`` and ``report.json``; ``report.json``
is written last, so a folder without it is an unfinished run and is not listed. Folders
are never overwritten (a second run in the same second gets ``-2``, ``-3`` ...) and never
pruned. Each round folder has a ``latest.json`` naming its newest run folder (a plain
file, no symlink, so the tree can be copied to a Windows share as is).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duban.timeutil import TZ

ADHOC = "adhoc"
RUN_FORMAT = "%Y%m%d-%H%M%S"
LATEST = "latest.json"
FILES = {"xlsx": "report.xlsx", "html": "report.html", "json": "report.json"}
_RUN = re.compile(r"^(\d{8}-\d{6})(?:-(\d+))?$")


def round_dir_name(round_date: dt.date | None) -> str:
    return round_date.isoformat() if round_date else ADHOC


def run_key(name: str) -> tuple[str, int] | None:
    """Sort key of a run folder name (time, then suffix); None when it is not one."""
    m = _RUN.match(name)
    return (m.group(1), int(m.group(2) or 1)) if m else None


def _order(name: str) -> tuple[str, int]:
    """Sort key of a name known to be a run folder's."""
    return run_key(name) or ("", 0)


def new_run_folder(root: Path, round_date: dt.date | None, run_time: dt.datetime) -> Path:
    """Create and return a fresh run folder; never reuses an existing one (safe across processes)."""
    parent = root / round_dir_name(round_date)
    parent.mkdir(parents=True, exist_ok=True)
    stamp = run_time.astimezone(TZ).strftime(RUN_FORMAT)
    n = 1
    while True:
        folder = parent / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            n += 1


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, text: str) -> Path:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600: readable by others like report.xlsx
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def write_json(path: Path, data: Any) -> Path:
    """UTF-8 JSON; an undecodable byte of a file name (a lone surrogate) is written as its JSON
    escape (``\\udce4``), so the file is valid UTF-8 and reads back to the same text."""
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return write_atomic(path, text + "\n")


def read_latest(round_dir: Path) -> Path | None:
    """The run folder ``latest.json`` names, if it names an existing one."""
    try:
        name = json.loads((round_dir / LATEST).read_text(encoding="utf-8"))["run"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    folder = round_dir / str(name)
    return folder if run_key(folder.name) and (folder / FILES["json"]).is_file() else None


def update_latest(run_folder: Path, run_time: dt.datetime, as_of: dt.datetime) -> None:
    """Point the round's ``latest.json`` at ``run_folder`` unless a newer run is already named."""
    round_dir = run_folder.parent
    current = read_latest(round_dir)
    if current is not None and _order(current.name) > _order(run_folder.name):
        return
    write_json(
        round_dir / LATEST,
        {
            "run": run_folder.name,
            "run_time": run_time.isoformat(),
            "as_of": as_of.isoformat(),
            "html": f"{run_folder.name}/{FILES['html']}",
        },
    )


@dataclass(frozen=True)
class StoredReport:
    round: dt.date | None  # None: an ad-hoc (recheck) report
    run_time: dt.datetime
    folder: Path
    as_of: dt.datetime
    label: str | None
    counts: dict[str, int]  # obligations per status
    owed: int
    completed: int
    completion: float | None  # completed / owed, as reported at the time
    campaign: str = ""

    @property
    def xlsx(self) -> Path:
        return self.folder / FILES["xlsx"]

    @property
    def html(self) -> Path:
        return self.folder / FILES["html"]

    @property
    def json(self) -> Path:
        return self.folder / FILES["json"]


def _load(folder: Path, round_date: dt.date | None) -> StoredReport | None:
    try:
        data = json.loads((folder / FILES["json"]).read_text(encoding="utf-8"))
        summary = data.get("summary")
        if not isinstance(summary, dict):  # written by something else: compute with today's rules
            from duban.results import CheckResult

            from .scoring import load_settings, summarize

            summary = summarize(None, CheckResult.from_json(data), load_settings()).to_json()
        return StoredReport(
            round=round_date,
            run_time=dt.datetime.fromisoformat(data["generated_at"]),
            folder=folder,
            as_of=dt.datetime.fromisoformat(data["as_of"]),
            label=data.get("label"),
            counts=dict(summary.get("counts") or {}),
            owed=int(summary.get("owed") or 0),
            completed=int(summary.get("completed") or 0),
            completion=summary.get("completion"),
            campaign=str(data.get("campaign") or ""),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # unfinished or damaged: not listed (and never deleted)


def list_reports(root: Path) -> list[StoredReport]:
    """Every finished report under ``root``: rounds in date order, then ad-hoc; runs by time."""
    out: list[StoredReport] = []
    if not root.is_dir():
        return out
    rounds: list[tuple[dt.date | None, Path]] = []
    for d in root.iterdir():
        if not d.is_dir():
            continue
        if d.name == ADHOC:
            rounds.append((None, d))
            continue
        try:
            rounds.append((dt.date.fromisoformat(d.name), d))
        except ValueError:
            continue
    rounds.sort(key=lambda rd: (rd[0] is None, rd[0] or dt.date.min))
    for round_date, d in rounds:
        runs = sorted((r for r in d.iterdir() if r.is_dir() and run_key(r.name)), key=lambda r: _order(r.name))
        for r in runs:
            rep = _load(r, round_date)
            if rep is not None:
                out.append(rep)
    return out


def latest_per_round(root: Path, reports: list[StoredReport]) -> dict[dt.date, StoredReport]:
    """For each dated round, the report its ``latest.json`` names (else its newest one), in round order."""
    by_folder = {r.folder: r for r in reports}
    out: dict[dt.date, StoredReport] = {}
    for r in reports:  # already in round, then run order: the last one per round is the newest
        if r.round is not None:
            out[r.round] = r
    for day in list(out):
        pointed = read_latest(root / round_dir_name(day))
        if pointed is not None and pointed in by_folder:
            out[day] = by_folder[pointed]
    return out
