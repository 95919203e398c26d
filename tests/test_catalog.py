"""The catalog holds the source task list faithfully (tasks_catalog/source/seed.txt)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from duban.tasks_catalog.seed import SEED_PATH, parse_seed

D = lambda m, d: dt.date(2021, m, d)
SHARED_SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_414d37e304d2dc13.txt"


@pytest.fixture(scope="module")
def seed():
    return {r.id: r for r in parse_seed()}


def test_packaged_seed_is_the_shared_source():
    if SHARED_SEED.exists():  # beside the clone in CI and in sessions
        assert SEED_PATH.read_bytes() == SHARED_SEED.read_bytes()
    assert "区直各部门" in SEED_PATH.read_text(encoding="utf-8")


def test_all_33_department_and_7_street_tasks(catalog, seed):
    ids = list(catalog.tasks)
    assert [i for i in ids if i.startswith("D")] == [f"D{n:02d}" for n in range(1, 34)]
    assert [i for i in ids if i.startswith("S")] == [f"S{n:02d}" for n in range(1, 8)]
    assert set(seed) == set(ids)


def test_task_text_and_source_cells_are_verbatim(catalog, seed):
    for tid, row in seed.items():
        t = catalog.tasks[tid].task
        assert t.text == row.text, tid
        assert (t.source.units, t.source.due, t.source.evidence) == (row.units, row.due, row.evidence), tid


def test_round_dates_are_exactly_the_seed_deadlines(catalog):
    assert catalog.round_dates() == [D(6, 4), D(6, 10), D(6, 12), D(6, 15), D(6, 18), D(6, 20), D(6, 23), D(6, 25)]


def test_deadline_kinds_follow_the_seed(catalog, seed):
    for tid, row in seed.items():
        t = catalog.tasks[tid].task
        if row.due == "已完成":
            assert t.deadline.kind == "done", tid
        elif row.due == "长期工作":
            assert t.deadline.kind == "ongoing", tid
        elif row.due:
            days = [D(int(m), int(d)) for m, d in re.findall(r"(\d+)月(\d+)日", row.due)]
            assert t.deadline.kind == "rounds" and t.rounds == days, tid
        if row.evidence == "系统判定":
            assert t.platform, tid


def test_d20_owes_200_ledger_rows_from_industry_bureau_in_three_rounds(catalog):
    rt = catalog.tasks["D20"]
    assert rt.leads == ("区工信局",)
    assert rt.task.rounds == [D(6, 4), D(6, 12), D(6, 20)]
    (item,) = rt.task.evidence
    assert (item.kind, item.template, item.min, item.cumulative) == ("ledger", "附件7", 200, False)


@pytest.mark.parametrize("tid", ["D23", "S05"])
def test_loaned_ratio_at_least_20_percent(catalog, tid):
    (item,) = catalog.tasks[tid].task.evidence
    assert item.template == "附件8" and item.ratio.column == "是否获贷" and item.ratio.min == pytest.approx(0.20)


def test_d25_two_ratios_6_and_30_percent(catalog):
    (item,) = catalog.tasks["D25"].task.evidence
    assert item.kind == "figures"
    assert sorted(r.min for r in item.ratios) == [pytest.approx(0.06), pytest.approx(0.30)]
    fields = {f.name for f in catalog.templates[item.template].fields}
    assert {r.numerator for r in item.ratios} | {r.denominator for r in item.ratios} == fields


def test_d26_fifty_questionnaires_by_june_15(catalog):
    rt = catalog.tasks["D26"]
    assert rt.task.rounds == [D(6, 15)] and rt.leads == ("区工信局",)
    assert rt.task.evidence[0].min == 50


def test_s07_sixty_contracts_per_office_in_two_rounds(catalog):
    rt = catalog.tasks["S07"]
    assert rt.task.rounds == [D(6, 10), D(6, 20)]
    assert len(rt.leads) == len(catalog.units_in("streets")) == 14
    (item,) = rt.task.evidence
    assert (item.kind, item.min, item.completed_by) == ("pdf", 60, D(5, 31))


def test_counts_per_unit_per_round(catalog):
    assert catalog.tasks["D11"].task.evidence[0].min == 2 and len(catalog.tasks["D11"].task.rounds) == 3
    assert catalog.tasks["D13"].task.evidence[0].min == 2
    assert catalog.tasks["S03"].task.evidence[0].min == 2
    assert catalog.tasks["S02"].task.evidence[0].min == 5


def test_d08_data_window_april_to_may(catalog):
    ledger = next(i for i in catalog.tasks["D08"].task.evidence if i.kind == "ledger")
    assert (ledger.window.start, ledger.window.end) == (D(4, 1), D(5, 31))
    assert len(catalog.tasks["D08"].leads) == 11


def test_d12_led_by_ndrc_with_supporting_units(catalog):
    rt = catalog.tasks["D12"]
    assert rt.leads == ("区发改局",)
    assert set(rt.supports) == {"区商务局", "区工信局", "区市场监管局"}


def test_d09_and_d17_are_unassigned(catalog):
    assert catalog.tasks["D09"].unassigned and catalog.tasks["D17"].unassigned
    assert sum(rt.unassigned for rt in catalog.tasks.values()) == 2


def test_group_words_expand(catalog):
    deps = {u.name for u in catalog.units_in("departments")}
    assert len(deps) == 21
    assert set(catalog.tasks["D06"].leads) == deps  # 各区直部门
    assert set(catalog.tasks["D04"].leads) == deps  # 各区直部门、事业单位 (see the note in D04.yaml)
    assert set(catalog.tasks["S01"].leads) == {u.name for u in catalog.units_in("streets")}


def test_every_unit_the_seed_names_is_in_the_directory(catalog, seed):
    named = set()
    for row in seed.values():
        text = re.sub(r"(牵头|等.*?(部门|单位)?配合|等各有关区直部门|等各区直部门|等部门配合)", "、", row.units)
        for part in re.split(r"[、，,]", text):
            part = part.strip()
            if part and part not in ("各区直部门", "事业单位", "各街道办事处", "配合"):
                named.add(part)
    assert named, "the parser found no unit names"
    missing = {n for n in named if catalog.find_unit(n) is None}
    assert not missing
    assert len(named) == 21 and {"区发改局", "区文明办", "区金融事业发展中心", "生态环境历下分局"} <= named


def test_aliases_find_units(catalog):
    assert catalog.unit("发改局").name == "区发改局"
    assert catalog.unit("济南市历下区工业和信息化局").name == "区工信局"
    assert catalog.unit("解放路").name == "解放路街道"
    assert all(e.endswith(".example") for u in catalog.units.values() for e in u.emails)


def test_ambiguous_readings_carry_their_reason(catalog):
    for tid in ("D04", "D12", "D18", "D20", "D22", "D27", "S04", "S07"):
        t = catalog.tasks[tid].task
        assert t.notes or any(i.note for i in t.evidence), tid
