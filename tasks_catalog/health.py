"""What ``duban catalog --check`` (and ``init-folders``, ``schedule --check``, ``serve``) warn
about in a catalog that loads cleanly: things that are not mistakes in a file but will make
the campaign run wrong.

- no round date ahead (the schedules will never fire again);
- a year of the campaign without a known holiday arrangement (weekends only meanwhile);
- a group smaller in the unit directory than campaign.yaml says, units the importer
  proposed and nobody confirmed, folders on the share that look like units but are not in
  the directory (with the command that adds them);
- review entries of the import still open.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .campaigns import is_example
from .directory import add_unit_commands, group_shortfalls, proposed_units, stray_unit_folders
from .loader import Catalog
from .review import open_entries
from .window import no_round_ahead
from .workcalendar import warning_for_years


def campaign_years(catalog: Catalog) -> set[int]:
    c = catalog.campaign
    return {c.start.year, c.end.year, *(d.year for d in catalog.round_dates())}


def calendar_warning(catalog: Catalog) -> str | None:
    return warning_for_years(campaign_years(catalog))


def schedule_warnings(catalog: Catalog, now: dt.datetime | None = None) -> list[str]:
    """The warnings that matter to anything that schedules runs (serve, schedule --check)."""
    return [w for w in (no_round_ahead(catalog, now), calendar_warning(catalog)) if w]


def review_warning(catalog: Catalog) -> str | None:
    try:
        n = len(open_entries(catalog.root))
    except ValueError as e:
        return str(e)
    if not n:
        return None
    return f"导入时有 {n} 条推定尚未核对：duban campaign review {catalog.root}"


def catalog_warnings(
    catalog: Catalog, evidence_root: Path | str | None = None, now: dt.datetime | None = None
) -> list[str]:
    out = schedule_warnings(catalog, now) + group_shortfalls(catalog) + proposed_units(catalog)
    review = review_warning(catalog)
    if review:
        out.append(review)
    if evidence_root:
        stray = stray_unit_folders(catalog, evidence_root)
        if stray:
            where = None if is_example(catalog) else catalog.root
            out.append(
                f"共享文件夹 {evidence_root} 中有 {len(stray)} 个像是单位、但不在单位名录中的文件夹：{'、'.join(n for n, _ in stray)}。"
                "其中的材料不会被检查。是本区的单位就加入名录：" + "；".join(add_unit_commands(stray, where))
            )
    return out
