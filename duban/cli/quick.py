"""``duban check`` answered from the last identical check when nothing changed, before click
(or anything heavy) is imported — see :mod:`duban.replay` for what "nothing changed" means.

:func:`answer` reads one plain form of the command line::

    duban [--home DIR] check [--evidence DIR] [--as-of TIME] [--json FILE] [--unit U]...
          [--task T]... [--details | --no-details] [--catalog DIR]

(each option as ``--name value`` or ``--name=value``) and answers only when a kept answer
still holds. Anything else — another command, ``--help``, ``--full``, an option it does not
know, a time it cannot read, a terminal that is not UTF-8, no kept answer — returns False and
the command line goes to click as usual. The click command (:mod:`duban.cli.check`) makes
the same :func:`request` and prints a kept answer with the same :func:`show`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from duban import replay
from duban.home import Home, database_url

_VALUED = {"--evidence": "evidence", "--as-of": "as_of", "--json": "json", "--catalog": "catalog"}
_MANY = {"--unit": "units", "--task": "tasks"}


def answer(argv: list[str]) -> bool:
    """Print the kept answer to this command line and return True, or return False (click decides)."""
    t0 = time.perf_counter()
    args = _parse(argv)
    if args is None or not (_utf8(sys.stdout) and _utf8(sys.stderr)):
        return False
    folder = Path(args["home"] or os.environ.get("DUBAN_HOME") or "var").expanduser().resolve()
    if not folder.is_dir() or (args["catalog"] and not os.path.isdir(args["catalog"])):
        return False
    home = Home(folder)
    try:
        from duban.timeutil import parse_as_of

        when = parse_as_of(args["as_of"])
        root = Path(home.evidence_root(args["evidence"]))
    except ValueError:  # click's command says what is wrong
        return False
    req, store = request(home, root, when, args)
    kept = replay.find(req, store)
    if kept is None:
        return False
    _write(f"数据目录：{home.root}", err=True)  # what ``home_of(announce=True)`` says
    show(kept, when, time.perf_counter() - t0)
    return True


def request(home: Home, root: Path, when: dt.datetime, options: dict[str, Any]) -> tuple[replay.Request, Path | None]:
    """The request a check's answer is kept under, and the SQLite store it depends on (None: not SQLite)."""
    opts = {
        "units": list(options["units"]),
        "tasks": list(options["tasks"]),
        "details": bool(options["details"]),
        "catalog": options["catalog"],
        "json": str(Path(options["json"])) if options["json"] else None,
    }
    return replay.Request(home.root, str(root), opts, when), replay.sqlite_path(database_url(home))


def show(kept: replay.Answer, when: dt.datetime, seconds: float) -> None:
    """Print a kept answer under the new as-of time (the same lines the whole check printed)."""
    from .summary import heading, replayed_line

    for kind, text in kept.out:
        if kind == "err":
            _write(text, err=True)
        elif kind == "out":
            _write(text, nl=False)
        elif kind == "heading":
            _write(heading(when))
        elif kind == "stats":
            _write(replayed_line(kept.files, kept.made_at, seconds), dim=True)
        elif kind == "json" and kept.result is not None:
            dumped = json.dumps(dict(kept.result, as_of=when.isoformat()), ensure_ascii=False, indent=2)
            if text == "-":
                _write(dumped)
                continue
            path = Path(text)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dumped + "\n", encoding="utf-8")
            _write(f"JSON 结果已写入 {text}")


def _parse(argv: list[str]) -> dict[str, Any] | None:
    """The options of the plain form above, or None for any other command line."""
    out: dict[str, Any] = {"home": None, "evidence": None, "as_of": "now", "json": None, "catalog": None}
    out.update(units=[], tasks=[], details=True)
    rest = list(argv)
    while rest and rest[0] != "check":  # the group's own option
        name, value, rest = _option(rest)
        if name != "--home" or value is None:
            return None
        out["home"] = value
    if not rest:
        return None
    rest = rest[1:]
    while rest:
        if rest[0] in ("--details", "--no-details"):
            out["details"] = rest.pop(0) == "--details"
            continue
        name, value, rest = _option(rest)
        if value is None:
            return None
        if name in _VALUED:
            out[_VALUED[name]] = value
        elif name in _MANY:
            out[_MANY[name]].append(value)
        else:
            return None
    return out


def _option(rest: list[str]) -> tuple[str, str | None, list[str]]:
    """(``--name``, its value or None, what follows) for ``--name value`` or ``--name=value``."""
    head = rest[0]
    if not head.startswith("--") or head == "--":
        return head, None, rest[1:]
    if "=" in head:
        name, value = head.split("=", 1)
        return name, value, rest[1:]
    if len(rest) < 2:
        return head, None, []
    return head, rest[1], rest[2:]


def _utf8(stream: Any) -> bool:
    return (getattr(stream, "encoding", "") or "").lower().replace("-", "") == "utf8"


def _write(text: str, *, err: bool = False, nl: bool = True, dim: bool = False) -> None:
    """``click.echo`` / ``click.secho(dim=True)`` without click: ANSI only on a terminal."""
    stream = sys.stderr if err else sys.stdout
    if dim and stream.isatty():
        text = f"\x1b[2m{text}\x1b[0m"
    stream.write(text + ("\n" if nl else ""))
    stream.flush()
