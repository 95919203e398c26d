"""The scoring rule is data: defaults in reports/settings.yaml, a coordinator's override in
<home>/settings.yaml under `report:`, and clear messages when it is wrong."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from duban.home import Home
from duban.reports import load_settings, summarize, write_report
from duban.results import CheckResult, Obligation
from duban.settings import SettingsError
from duban.timeutil import TZ

AS_OF = dt.datetime(2021, 6, 20, 23, 59, 59, tzinfo=TZ)
D4, D12, D20, D23 = (dt.date(2021, 6, d) for d in (4, 12, 20, 23))


def result(*obs) -> CheckResult:
    return CheckResult(AS_OF, "/srv/share", [Obligation(t, u, d, d, s) for t, u, d, s in obs])


def by_unit(summary):
    return {r.unit: r for r in summary.units}


def test_defaults_score_on_time_over_late_over_partial_over_missing(catalog):
    s = load_settings()
    assert s.points == {"ok": 100, "late": 60, "partial": 30, "missing": 0}
    assert s.completed == ("ok", "late")
    rows = by_unit(
        summarize(
            catalog,
            result(
                ("D11", "区司法局", D4, "ok"),
                ("D11", "区发改局", D4, "late"),
                ("D11", "区工信局", D4, "partial"),
                ("D11", "区商务局", D4, "missing"),
                ("D11", "区住建局", D4, "confirm"),
                ("D14", "区发改局", D23, "confirm"),
                ("D20", "区工信局", D20, "pending"),
            ),
            s,
        )
    )
    assert [rows[u].score for u in ("区司法局", "区发改局", "区工信局", "区商务局")] == [100, 60, 30, 0]
    assert [rows[u].rank for u in ("区司法局", "区发改局", "区工信局", "区商务局")] == [1, 2, 3, 4]
    # awaiting the coordinator's confirmation is not held against the unit; a pending one on the day is not owed
    assert (
        rows["区住建局"].tally.owed == 0 and rows["区住建局"].tally.n["confirm"] == 1 and rows["区住建局"].rank is None
    )
    assert rows["区工信局"].tally.owed == 1 and rows["区工信局"].tally.n["not_due"] == 1


def test_home_settings_override_the_rule_and_show_in_the_workbook(catalog, tmp_path):
    home = Home.resolve(tmp_path)
    home.settings_file.write_text(
        "smtp: {host: mail.example}\n"
        "report:\n"
        "  scoring:\n"
        "    points: {late: 80, confirm: 100}   # confirm now counts, as on time\n"
        "    rank_within_group: false\n"
        "  traffic_light: {green_at: 75}\n",
        encoding="utf-8",
    )
    s = load_settings(home)
    assert s.points == {"ok": 100, "late": 80, "partial": 30, "missing": 0, "confirm": 100}
    res = result(
        ("D11", "区发改局", D4, "late"),
        ("D11", "区司法局", D4, "confirm"),
        ("D11", "区工信局", D4, "missing"),
        ("S03", "解放路街道", dt.date(2021, 6, 10), "ok"),
    )
    rows = by_unit(summarize(catalog, res, s))
    assert rows["区发改局"].score == 80 and rows["区司法局"].tally.owed == 1 and rows["区司法局"].score == 100
    assert rows["解放路街道"].rank == 1 and rows["区司法局"].rank == 1 and rows["区发改局"].rank == 3  # one ranking

    paths = write_report(catalog, res, home, round_date=D4)
    ws = openpyxl.load_workbook(paths.xlsx)["总览"]
    got = {r[0]: r for r in ws.iter_rows(min_row=3, values_only=True)}
    assert got["区发改局"][12] == 80  # 得分
    notes = " ".join(str(c.value) for c in openpyxl.load_workbook(paths.xlsx)["说明"]["B"])
    assert "逾期完成 80 分" in notes and "全部单位一起排名" in notes and "≥ 75% 绿" in notes


@pytest.mark.parametrize(
    "yaml_text, entry",
    [
        ("report:\n  scoring:\n    points: {okk: 100}\n", "scoring.points.okk"),
        ("report:\n  scoring:\n    points: {late: 120}\n", "scoring.points.late"),
        ("report:\n  scoring:\n    completed: [ok, pending]\n", "scoring.completed"),
        ("report:\n  colours:\n    green: {fill: green, font: '006100', bar: '3C9A5F'}\n", "colours.green.fill"),
        ("report:\n  status_colours: {missing: purple}\n", "status_colours.missing"),
        ("report:\n  scoring: [\n", "YAML"),
        ("report:\n  scoring: [1, 2]\n", "scoring"),
        ("report:\n  scoring:\n    rank_within_group: 否\n", "scoring.rank_within_group"),
    ],
)
def test_a_mistake_in_the_settings_names_the_file_and_entry(tmp_path, yaml_text, entry):
    home = Home.resolve(tmp_path)
    home.settings_file.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(SettingsError) as e:
        load_settings(home)
    assert str(home.settings_file) in str(e.value) and entry in str(e.value) and "怎么改" in str(e.value)
