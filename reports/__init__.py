"""Round reports: Excel + HTML + JSON per run, stored under ``<home>/reports``, plus an index.

The flows call exactly this::

    paths = write_report(catalog, result, home, round_date=date(2021, 6, 20), reminders=sent)
    list_reports(home)      # every stored report, rounds in order
    rebuild_index(home)     # <home>/reports/index.html

Scoring, completion and colours are data: ``reports/settings.yaml`` (documented there),
overridable in ``<home>/settings.yaml`` under ``report:``.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

from duban.results import CheckResult
from duban.timeutil import TZ

from .scoring import ReportSettings, Summary, load_settings, summarize
from .storage import FILES, StoredReport

__all__ = [
    "write_report",
    "list_reports",
    "rebuild_index",
    "ReportPaths",
    "StoredReport",
    "ReportSettings",
    "Summary",
    "load_settings",
    "summarize",
]


@dataclass(frozen=True)
class ReportPaths:
    folder: Path
    xlsx: Path
    html: Path
    json: Path


def _reports_root(home) -> Path:
    return Path(home.reports)


def _aware(t: dt.datetime | None) -> dt.datetime:
    if t is None:
        return dt.datetime.now(TZ).replace(microsecond=0)
    return (t if t.tzinfo else t.replace(tzinfo=TZ)).replace(microsecond=0)


def write_report(
    catalog,
    result: CheckResult,
    home,
    *,
    round_date: dt.date | None = None,
    reminders: list[dict] | None = None,
    run_time: dt.datetime | None = None,
    label: str | None = None,
) -> ReportPaths:
    """Write one report (a new folder, never an existing one), point ``latest`` at it, refresh the index.

    ``round_date`` None files it under ``adhoc``; ``reminders`` are the dicts the reminder
    module returns for this run (unit, kind, to, cc, subject, status, error).
    """
    from . import excel, html, storage
    from .view import meta_for

    settings = load_settings(home)
    run_time = _aware(run_time)
    reminders = list(reminders or [])
    summary = summarize(catalog, result, settings)
    meta = meta_for(catalog, result, round_date, run_time, label)

    made = _decisions(catalog, home, result.as_of)
    folder = storage.new_run_folder(_reports_root(home), round_date, run_time)
    paths = ReportPaths(folder, folder / FILES["xlsx"], folder / FILES["html"], folder / FILES["json"])
    try:
        excel.write_workbook(paths.xlsx, catalog, result, summary, meta, settings, reminders, made)
        storage.write_atomic(paths.html, html.render_report(catalog, result, summary, meta, settings, reminders, made))
        payload = result.to_json()
        payload.update(
            {
                "round": round_date.isoformat() if round_date else None,
                "generated_at": run_time.isoformat(),
                "label": label,
                "campaign": meta.campaign,
                "reminders": reminders,
                "summary": summary.to_json(),
                "decisions": [d.to_json() for d in made],
            }
        )
        storage.write_json(paths.json, payload)  # last: its presence marks a finished report
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # our own, half-written folder only
        raise
    storage.update_latest(folder, run_time, result.as_of)
    rebuild_index(home)
    return paths


def _decisions(catalog, home, as_of: dt.datetime) -> list:
    """The coordinator's decisions made by the report's as-of time (withdrawn ones too: the record)."""
    if catalog is None or not hasattr(home, "settings"):
        return []
    from duban.check import decisions
    from duban.store import Store, scope_of

    scope = scope_of(catalog, home)
    return [d for d in decisions.history(Store.open(home, scope), scope) if d.at <= as_of]


def list_reports(home) -> list[StoredReport]:
    """Every stored report: dated rounds in order, then ad-hoc ones; within a round by run time."""
    from .storage import list_reports as _list

    return _list(_reports_root(home))


def rebuild_index(home) -> Path:
    """Write ``<home>/reports/index.html``: every stored report and the completion trend by round."""
    from . import html, storage

    root = _reports_root(home)
    reports = storage.list_reports(root)
    settings = load_settings(home)

    def rel(p: Path) -> str:
        return p.relative_to(root).as_posix()

    rows = [_IndexRow(r, rel(r.html), rel(r.xlsx), rel(r.json)) for r in reports]
    by_folder = {row.report.folder: row for row in rows}
    latest = {day: by_folder[r.folder] for day, r in storage.latest_per_round(root, reports).items()}
    trend = html.trend_chart(
        [
            (day.strftime("%m-%d"), f"应报 {row.owed}", row.completion, settings.light(row.completion), row.href)
            for day, row in latest.items()
        ]
    )
    campaign = next((r.campaign for r in reversed(reports) if r.campaign), "督办")
    text = html.render_index(list(rows), trend, latest, settings, campaign, dt.datetime.now(TZ))
    return storage.write_atomic(root / "index.html", text)


@dataclass(frozen=True)
class _IndexRow:
    report: StoredReport
    href: str
    href_xlsx: str
    href_json: str

    def __getattr__(self, name):  # round, run_time, as_of, label, owed ... of the report
        if name == "report":
            raise AttributeError(name)
        return getattr(self.report, name)
