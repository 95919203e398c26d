"""Working days for a year the installed chinesecalendar does not know yet: the campaign's
calendar.yaml, else weekends only with a loud warning — never a crash, never silent."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from duban.notifications import workdays
from duban.tasks_catalog import CatalogError, load_catalog
from duban.tasks_catalog import workcalendar as wc

YEAR = wc.first_unknown_year()  # 2027 with chinesecalendar 1.11


@pytest.fixture(autouse=True)
def clean_registry():
    wc.forget()
    yield
    wc.forget()


def weekday(n: int, start: dt.date) -> dt.date:
    """The first date on or after ``start`` with weekday ``n`` (0 = Monday)."""
    return start + dt.timedelta(days=(n - start.weekday()) % 7)


def test_known_years_come_from_the_package():
    assert wc.package_knows(2026) and not wc.package_knows(YEAR)
    assert not wc.is_workday(dt.date(2026, 6, 19)) and wc.holiday_name(dt.date(2026, 6, 19)) == "端午"
    assert wc.source_of(2026) == "package" and wc.warning_for_years({2021, 2026}) is None


def test_an_unknown_year_is_weekends_only_and_says_so(caplog):
    monday = weekday(0, dt.date(YEAR, 6, 1))
    assert wc.is_workday(monday) and not wc.is_workday(monday + dt.timedelta(days=5))
    warning = wc.warning_for_years({YEAR})
    assert f"缺少 {YEAR} 年" in warning and "只把周末当作休息日" in warning
    assert f"duban campaign calendar {YEAR}" in warning
    assert any(str(YEAR) in r.getMessage() for r in caplog.records)  # logged once, in every process that meets it


def test_the_template_has_the_statutory_festivals_to_confirm(tmp_path):
    path = tmp_path / "calendar.yaml"
    assert wc.write_template(path, YEAR) and not wc.write_template(path, YEAR)  # never overwritten
    cal = wc.read_calendar_file(path)[YEAR]
    names = set(cal.holidays.values())
    assert names == {"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}
    assert not cal.confirmed and cal.workdays == frozenset()
    if YEAR == 2027:  # lunar festivals from the lunar calendar
        assert cal.holidays[dt.date(2027, 6, 9)] == "端午节" and cal.holidays[dt.date(2027, 9, 15)] == "中秋节"
        assert {d for d, n in cal.holidays.items() if n == "春节"} == {dt.date(2027, 2, d) for d in (5, 6, 7, 8)}
    assert wc.write_template(path, YEAR + 1)  # a second year goes into the same file
    assert set(wc.read_calendar_file(path)) == {YEAR, YEAR + 1}


def test_a_campaign_calendar_is_used_for_its_year(tmp_path, catalog):
    folder = tmp_path / "c"
    shutil.copytree(catalog.root, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    saturday = weekday(5, dt.date(YEAR, 9, 1))
    wednesday = saturday + dt.timedelta(days=4)
    (folder / "calendar.yaml").write_text(
        f"years:\n  {YEAR}:\n    confirmed: true\n"
        f"    holidays:\n      - {{name: 中秋节, from: {wednesday}, to: {wednesday + dt.timedelta(days=2)}}}\n"
        f"    workdays: [{saturday}]\n",
        encoding="utf-8",
    )
    cat = load_catalog(folder)
    assert wc.source_of(YEAR) == "file" and wc.warning_for_years({YEAR}) is None
    assert wc.is_workday(saturday) and not wc.is_workday(wednesday)
    assert workdays.holiday_name(wednesday) == "中秋节" and workdays.is_makeup_workday(saturday)
    assert workdays.workday_before(wednesday + dt.timedelta(days=5), 1) == wednesday - dt.timedelta(days=1)
    assert workdays.calendar_warning(cat, dt.date(YEAR, 9, 1)) is None


def test_an_unconfirmed_calendar_still_warns(tmp_path, catalog):
    folder = tmp_path / "c"
    shutil.copytree(catalog.root, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    wc.write_template(folder / "calendar.yaml", YEAR)
    cat = load_catalog(folder)
    warning = workdays.calendar_warning(cat, dt.date(YEAR, 1, 4))
    assert "尚未核对" in warning and "confirmed" in warning and "calendar.yaml" in warning


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("years: {Y: {holidays: [{name: 春节, from: Y-02-31}]}}", "不是有效日期"),
        ("years: {Y: {holidays: [{name: 春节, from: 2020-02-01}]}}", "不在"),
        ("years: {Y: {workdays: [MONDAY]}}", "workdays 只写调休上班的周六、周日"),
        ("years: {Y: {holiday: []}}", "未知的项"),
        ("2027: {}", "应以 'years:' 开头"),
    ],
)
def test_mistakes_in_calendar_yaml_name_the_file_and_the_fix(tmp_path, catalog, body, says):
    folder = tmp_path / "c"
    shutil.copytree(catalog.root, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    monday = weekday(0, dt.date(YEAR, 3, 1))
    (folder / "calendar.yaml").write_text(
        body.replace("MONDAY", monday.isoformat()).replace("Y", str(YEAR)), encoding="utf-8"
    )
    with pytest.raises(CatalogError) as err:
        load_catalog(folder)
    assert "calendar.yaml" in str(err.value) and says in str(err.value)
