"""Two commands people repeat, answered from what the data directory kept, before click (or
anything heavy) is imported:

- ``duban [--home DIR] check [--evidence DIR] [--as-of TIME] [--json FILE] [--unit U]...
  [--task T]... [--details | --no-details] [--catalog DIR]``: the last identical check's
  answer when nothing changed (:mod:`duban.replay` says what "nothing changed" means);
- ``duban [--home DIR] catalog --json [--catalog DIR]``: the JSON kept while the catalog's
  files are unchanged (``tasks_catalog.catalog_cache``).

Each option as ``--name value`` or ``--name=value``. Anything else — another command or form,
``--help``, ``--full``, an option it does not know, a time it cannot read, a terminal that is
not UTF-8, nothing kept — returns False and the command line goes to click as usual. The
click commands make the same :func:`request` and print a kept check with the same :func:`show`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from duban import replay
    from duban.home import Home

_VALUED = {"--evidence": "evidence", "--as-of": "as_of", "--json": "json", "--catalog": "catalog"}
_MANY = {"--unit": "units", "--task": "tasks"}


def answer(argv: list[str]) -> bool:
    """Print the kept answer to this command line and return True, or return False (click decides)."""
    if not (_utf8(sys.stdout) and _utf8(sys.stderr)):
        return False
    if _catalog_json(argv):
        return True
    return _check(argv)


def _catalog_json(argv: list[str]) -> bool:
    """``duban catalog --json`` from the data directory's cache."""
    split = _command(argv, "catalog")
    if split is None:
        return False
    home, rest = split
    catalog = None
    flags = 0
    while rest:
        if rest[0] == "--json":
            rest, flags = rest[1:], flags + 1
            continue
        name, value, rest = _option(rest)
        if name != "--catalog" or value is None or not os.path.isdir(value):
            return False
        catalog = value
    if flags != 1:
        return False
    from duban.tasks_catalog.campaigns import campaign_root, settings_path
    from duban.tasks_catalog.loader import kept_view

    folder = settings_path(home).parent
    try:
        text = kept_view(campaign_root(catalog, home), folder / "cache", "catalog-json") if folder.is_dir() else None
    except Exception:  # a settings or catalog mistake: the click command says what it is
        return False
    if text is None:
        return False
    _write(text)
    return True


def _check(argv: list[str]) -> bool:
    """``duban check`` from the last identical check's kept answer."""
    t0 = time.perf_counter()
    args = _parse(argv)
    if args is None:
        return False
    from duban import replay
    from duban.home import Home

    home = Home.located(args["home"])
    if not home.root.is_dir() or (args["catalog"] and not os.path.isdir(args["catalog"])):
        return False
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
    from duban import replay
    from duban.home import database_url

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


def runs(argv: list[str], command: str) -> bool:
    """Does this command line run ``command`` (after the group's ``--home`` only)?"""
    return _command(argv, command) is not None


def _command(argv: list[str], command: str) -> tuple[str | None, list[str]] | None:
    """(``--home`` value, the command's own arguments) when ``argv`` runs ``command``."""
    home = None
    rest = list(argv)
    while rest and rest[0] != command:  # the group's own option
        name, value, rest = _option(rest)
        if name != "--home" or value is None:
            return None
        home = value
    return (home, rest[1:]) if rest else None


def _parse(argv: list[str]) -> dict[str, Any] | None:
    """The options of the plain ``check`` form above, or None for any other command line."""
    split = _command(argv, "check")
    if split is None:
        return None
    out: dict[str, Any] = {"home": split[0], "evidence": None, "as_of": "now", "json": None, "catalog": None}
    out.update(units=[], tasks=[], details=True)
    rest = split[1]
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
