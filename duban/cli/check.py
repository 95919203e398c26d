"""``duban check --evidence ROOT --as-of DATETIME [--json FILE] [--full]``.

A re-check that finds nothing changed since the last identical one prints that one's answer
under the new as-of time (``duban.replay``: the share's listing, the inputs and the
store compared, no file opened, nothing heavy imported); ``--full`` judges again regardless.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from pathlib import Path

import click

from .common import UserError, catalog_option, evidence_option, home_of, load_catalog_or_fail


@click.command("check")
@evidence_option("root")
@click.option(
    "--as-of",
    "as_of",
    default="now",
    show_default=True,
    help="按哪个时间检查：2021-06-20（当天 24 时）或 2021-06-20T18:00",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="把结果写成 JSON 文件（schema 1）；写 - 输出到屏幕",
)
@click.option("--unit", "units", multiple=True, help="只看某些单位（可重复）")
@click.option("--task", "tasks", multiple=True, help="只看某些任务（可重复）")
@click.option("--details/--no-details", default=True, help="列出每个单位未完成的事项")
@click.option("--full", is_flag=True, help="重新判定一遍，即使共享文件夹和设置与上次检查相比都没有变化")
@catalog_option
@click.pass_context
def command(
    ctx: click.Context,
    root: Path,
    as_of: str,
    json_path: Path | None,
    units,
    tasks,
    details: bool,
    full: bool,
    catalog_dir: str | None,
) -> None:
    """检查共享文件夹中的佐证材料，给出每个单位、任务、轮次的状态。"""
    from duban import replay
    from duban.timeutil import parse_as_of

    from .quick import request as request_for
    from .quick import show

    t0 = time.perf_counter()
    try:
        when = parse_as_of(as_of)
    except ValueError as e:
        raise UserError(str(e)) from None
    home = home_of(ctx, announce=True)
    try:
        root = Path(home.evidence_root(root))
    except ValueError as e:
        raise UserError(str(e)) from None
    options = {"units": units, "tasks": tasks, "details": details, "catalog": catalog_dir, "json": json_path}
    request, store = request_for(home, root, when, options)
    kept = None if full else replay.find(request, store)
    if kept is not None:
        show(kept, when, time.perf_counter() - t0)
        return
    last = replay.load(request)
    replay.forget(request)  # an answer that no longer holds is never shown, even if this run fails
    _check(request, store, when, last.share if last is not None else None, full)


def _start_readers() -> None:
    from duban.evidence.forkserver import warm_up  # (multiprocessing: only for a check that reads)

    warm_up()


def _has_entries(root: str | Path) -> bool:
    try:
        with os.scandir(root) as it:
            return any(True for _ in it)
    except OSError:
        return False


def _check(request, store: Path | None, when: dt.datetime, last_share: str | None = None, full: bool = False) -> None:
    """The whole check; its answer is kept for the next identical request, and the tasks it
    judged for the next check that finds some files changed. ``last_share``: the digest of the
    share's listing the last kept answer was made from; ``full``: judge every task again."""
    from duban import replay

    # A share new to this (SQLite) data directory — started before it is listed —, or changed
    # since the last answer: files will likely be read, and the readers' server (its imports in
    # its own process) starts now, overlapping this process's imports: a re-check after one
    # upload answers ~0.4 s sooner. (Elsewhere, gather starts it at the first file to hash.)
    share = None
    if store is not None:
        if last_share is None and _has_entries(request.root):
            _start_readers()
        # what the answer is made from, taken before the check reads it: a change meanwhile shows next time
        share = replay.share_digest(request.root)
        if last_share is not None and share not in (last_share, None) and _has_entries(request.root):
            _start_readers()
    from duban.check import EvidenceRootError, basis, run_check
    from duban.check.memo import of_share
    from duban.home import Home
    from duban.store import StoreError, close_all

    from .summary import heading, render_body, stats_line

    warned = _Warnings()
    logging.getLogger().addHandler(warned)
    home = Home(request.home)
    opts = request.options
    json_to = opts["json"]
    try:
        catalog = load_catalog_or_fail(opts["catalog"])
        inputs = replay.inputs_digest(request, str(catalog.root), store, replay.terminal()) if store else ""
        with _progress() as progress, of_share(home, catalog, request.root, reuse=not full) as memo:
            result = run_check(
                catalog,
                request.root,
                when,
                home,
                units=opts["units"] or None,
                tasks=opts["tasks"] or None,
                progress=progress,
                memo=memo,
            )
    except (EvidenceRootError, StoreError) as e:  # StoreError: a damaged, full or unreachable store
        raise UserError(str(e)) from None
    except KeyError as e:
        raise UserError(str(e.args[0])) from None
    except ValueError as e:  # a settings mistake (limits), named with its file
        raise UserError(str(e)) from None
    finally:
        logging.getLogger().removeHandler(warned)
    out: list[tuple[str, str]] = [("err", w) for w in warned.lines]
    if json_to == "-":
        click.echo(result.dumps())
        out.append(("json", "-"))
    else:
        click.echo(heading(result.as_of))
        body = render_body(catalog, result, details=opts["details"])
        click.echo(body, nl=False)
        line = stats_line(result.stats)
        if line:
            click.secho(line, dim=True)
        out += [("heading", ""), ("out", body), ("stats", "")]
        if json_to:
            result.write_json(json_to)
            click.echo(f"JSON 结果已写入 {json_to}")
            out.append(("json", json_to))
    if not (store and share and result.window and result.basis):
        return
    # the store as this run left it, and nobody else's decision or confirmation since it read them
    close_all()
    left = replay.store_state(store)
    same = basis(catalog, home) == result.basis
    close_all()
    if not same or replay.store_state(store) != left:
        return
    answer = replay.Answer(
        made_at=dt.datetime.now(when.tzinfo).isoformat(timespec="seconds"),
        as_of=when.isoformat(),
        window=result.window,
        inputs=inputs,
        share=share,
        store=left,
        catalog=str(catalog.root),
        files=int(result.stats.get("files", 0)),
        out=out,
        result=result.to_json() if json_to else None,
    )
    replay.keep(request, answer)


class _Warnings(logging.Handler):
    """Warnings logged while the check runs (an unknown year of the work calendar ...): shown
    on the terminal as Python would, and again whenever the answer is."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        self.lines.append(line)
        click.echo(line, err=True)


class _progress:
    """A progress bar for long inspections (only on a terminal, only when there is work)."""

    def __enter__(self):
        import sys

        self.bar = None
        self.task = None
        self.tty = sys.stderr.isatty()
        return self

    def __call__(self, done: int, total: int) -> None:
        if not self.tty:
            return
        if self.bar is None:
            from rich.progress import Progress

            self.bar = Progress(transient=True)
            self.bar.start()
            self.task = self.bar.add_task("读取佐证材料", total=total)
        if self.task is not None:
            self.bar.update(self.task, completed=done, total=total)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
