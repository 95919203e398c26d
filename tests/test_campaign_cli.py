"""``duban campaign`` and the commands around it: a campaign is a folder the settings point
at; ``catalog --check``, ``schedule`` and ``init-folders`` use it and warn about what would
make it run wrong (no round ahead, a short unit directory, unit folders the directory lacks,
guesses not yet reviewed, a year without a holiday calendar)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from duban.cli import cli
from duban.tasks_catalog import CATALOG_DIR, load_catalog
from duban.tasks_catalog import workcalendar as wc
from duban.tasks_catalog.campaigns import campaign_root, load_campaign
from duban.tasks_catalog.seed import SEED_PATH
from duban.tasks_catalog.window import no_round_ahead, outside_window
from duban.timeutil import TZ


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    wc.forget()
    yield tmp_path
    wc.forget()


def run(*args: str, ok: bool = True):
    r = CliRunner().invoke(cli, ["--home", "var", *args])
    if ok:
        assert r.exit_code == 0, r.output
    return r


def new_campaign(here: Path, year: int = 2027, name: str = "2027-信用") -> Path:
    shutil.copy(SEED_PATH, here / "任务清单.txt")
    run("campaign", "new", name, "--from", "任务清单.txt", "--year", str(year))
    return here / name


# ---------------------------------------------------------------- new, review, settings
def test_new_makes_the_folder_and_points_the_settings_at_it(here):
    r = run("campaign", "new", "2027-信用", "--from", str(SEED_PATH), "--year", "2027")
    folder = here / "2027-信用"
    assert "导入 40 项任务（区直部门 33 项，街道 7 项）" in r.output
    assert "duban campaign review" in r.output and "第 56 行（任务 D09）" in r.output
    assert sorted(p.name for p in folder.iterdir()) == [
        "campaign.yaml",
        "review.yaml",
        "source",
        "tasks",
        "templates.yaml",
        "units.yaml",
    ]
    assert yaml.safe_load((here / "var" / "settings.yaml").read_text(encoding="utf-8"))["campaign"] == str(folder)
    # every command now works on the new campaign
    r = run("catalog", "--json")
    assert '"campaign": "2027年社会信用体系建设示范创建任务督办"' in r.output and "2027-06-20" in r.output
    r = run("campaign", "review")
    assert "待核对" in r.output and "[D12]" in r.output and "等部门" in r.output and "推定：" in r.output


def test_review_counts_what_is_left(here):
    folder = new_campaign(here)
    path = folder / "review.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    total = len(data["entries"])
    for e in data["entries"][:5]:
        e["ok"] = True
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = run("campaign", "review", str(folder))
    assert f"待核对 {total - 5} 条，已核对 5 条" in r.output
    assert run("campaign", "review", str(folder), "--all").output.count("✓") == 5
    assert f"导入时有 {total - 5} 条推定尚未核对" in run("catalog", "--check").output


def test_which_campaign_is_used(here, monkeypatch):
    """--catalog / DUBAN_CATALOG, then settings campaign:, then the shipped example."""
    assert campaign_root(None, here / "var") is None  # nothing set: the example
    folder = new_campaign(here)
    assert campaign_root(None, here / "var") == folder
    other = here / "other"
    shutil.copytree(CATALOG_DIR, other, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    monkeypatch.setenv("DUBAN_CATALOG", str(other))
    assert campaign_root(None, here / "var") == other
    assert campaign_root(str(folder), here / "var") == folder
    monkeypatch.delenv("DUBAN_CATALOG")
    (here / "var" / "settings.yaml").write_text("campaign: nowhere\n", encoding="utf-8")
    r = run("catalog", "--check", ok=False)
    assert r.exit_code == 2 and "settings.yaml" in r.output and "nowhere" in r.output and "不存在" in r.output
    (here / "var" / "settings.yaml").write_text("campaign: ../2027-信用\n", encoding="utf-8")  # relative to var/
    assert load_campaign(None, here / "var").campaign.year == 2027


def test_init_folders_uses_the_campaign_and_reminds_of_open_reviews(here):
    new_campaign(here)
    r = run("init-folders", str(here / "share"))
    assert (here / "share" / "区工信局" / "20-仓储物流数据归集").exists() is False  # the new campaign's own titles
    assert any((here / "share" / "区工信局").glob("20-*"))
    assert "2027年社会信用体系建设示范创建任务督办" in r.output and "尚未核对" in r.output


# ---------------------------------------------------------------- catalog --check warnings
def test_check_warns_when_no_round_is_ahead_on_the_example(here):
    r = run("catalog", "--check")
    assert "目录校验通过" in r.output and "随程序附带的示例" in r.output
    assert "没有今后的截止日期（最后一个是 2021-06-25）" in r.output and "duban campaign roll" in r.output


def test_no_round_ahead_and_the_round_window(catalog):
    assert no_round_ahead(catalog, dt.datetime(2021, 6, 25, 23, 0, tzinfo=TZ)) is None
    assert "没有今后的截止日期" in no_round_ahead(catalog, dt.datetime(2021, 6, 26, 0, 0, 1, tzinfo=TZ))
    assert "早于第一个截止日" in outside_window(catalog, dt.date(2021, 6, 3), 10)
    assert outside_window(catalog, dt.date(2021, 6, 4), 10) is None
    assert outside_window(catalog, dt.date(2021, 7, 9), 10) is None  # the 10th working day after 06-25
    assert "已过督办期" in outside_window(catalog, dt.date(2021, 7, 12), 10)
    assert "已过督办期" in outside_window(catalog, dt.date(2026, 12, 2), 10)


def test_check_warns_about_a_short_directory_and_unit_folders_it_lacks(here):
    folder = new_campaign(here)
    text = (folder / "campaign.yaml").read_text(encoding="utf-8")
    (folder / "campaign.yaml").write_text(text.replace("departments: 21", "departments: 23"), encoding="utf-8")
    share = here / "share"
    for name in ("区工信局", "工信局备份", "区退役军人事务局", "趵突泉街道", "新区街道", "模板", ".git"):
        (share / name).mkdir(parents=True)
    r = run("catalog", "--check", "--evidence", str(share))
    out = r.output
    assert "区直部门只有 21 个" in out and "写本区有 23 个" in out and "漏掉 2 个单位" in out
    assert "区退役军人事务局、新区街道" in out  # look like units, not in the directory
    assert "模板" not in out.split("像是单位")[1].split("。")[0] and "工信局备份" not in out
    cmd_dep = f"duban campaign add-unit 区退役军人事务局 --group departments --campaign {folder}"
    cmd_st = f"duban campaign add-unit 新区街道 --group streets --campaign {folder}"
    assert cmd_dep in out and cmd_st in out
    # the command it prints does what it says
    run("campaign", "add-unit", "区退役军人事务局", "--group", "departments", "--campaign", str(folder))
    run("campaign", "add-unit", "新区街道", "--group", "streets", "--campaign", str(folder))
    cat = load_catalog(folder)
    assert cat.unit("区退役军人事务局").group == "departments" and len(cat.units_in("streets")) == 15
    assert len(cat.task("S01").leads) == 15  # 各街道办事处 now reaches the new office
    out = run("catalog", "--check", "--evidence", str(share)).output
    assert "像是单位" not in out and "漏掉 1 个单位" in out


def test_add_unit_refuses_the_shipped_example(here):
    r = run("campaign", "add-unit", "区档案馆", "--group", "departments", ok=False)
    assert r.exit_code == 2 and "示例" in r.output and "duban campaign new" in r.output


def test_check_lists_proposed_units_until_confirmed(here, tmp_path):
    (here / "l.txt").write_text(
        "序号\t具体任务\t责任部门\t完成时限\t佐证方式\n1\t开展宣传。\t区档案馆\t2027年6月20日前\t报送方案\n",
        encoding="utf-8",
    )
    run("campaign", "new", "c", "--from", "l.txt")
    out = run("catalog", "--check").output
    assert "尚未确认的单位：区档案馆" in out and "proposed: true" in out


# ---------------------------------------------------------------- roll and calendar
def test_roll_lists_the_changes_and_calendar_writes_the_template(here):
    folder = new_campaign(here, year=2026, name="c")  # the 2021 dates read as 2026: 06-20 is a Saturday
    r = run("campaign", "roll", str(folder), "--shift-days", "0")
    assert "tasks/D06.yaml 截止日期：2026-06-20 → 2026-06-18" in r.output and "6月19日（端午）" in r.output
    r = run("campaign", "roll", str(folder), "--to-year", str(wc.first_unknown_year()))
    assert "截止日落在休息日，已调整" in r.output or "其余日期按原样顺延" in r.output
    assert f"缺少 {wc.first_unknown_year()} 年" in r.output
    r = run("campaign", "calendar", str(wc.first_unknown_year()))
    assert (folder / "calendar.yaml").exists() and "端午节" in r.output and "confirmed" in r.output
    assert "尚未核对（confirmed: false）" in run("catalog", "--check").output
    r = run("campaign", "calendar", str(wc.first_unknown_year()), ok=False)
    assert r.exit_code == 2 and "已有" in r.output
    assert "已包含 2026 年" in run("campaign", "calendar", "2026").output


def test_roll_of_the_example_needs_a_new_folder(here):
    r = run("campaign", "roll", str(CATALOG_DIR), "--to-year", "2026", ok=False)
    assert r.exit_code == 2 and "--into" in r.output
    r = run("campaign", "roll", str(CATALOG_DIR), "--to-year", "2026", "--into", "2026", "--use")
    assert "6月19日（端午）" in r.output and "2026-06-18" in r.output
    assert load_campaign(None, here / "var").campaign.year == 2026
    assert load_catalog(CATALOG_DIR).campaign.year == 2021


# ---------------------------------------------------------------- schedule
def test_schedule_writes_next_to_the_campaign_never_into_the_package(here):
    folder = new_campaign(here)
    r = run("schedule")
    assert (folder / "prefect.yaml").exists() and not (here / "prefect.yaml").exists()
    assert "2027-06-04" in r.output
    assert run("schedule", "--check").exit_code == 0
    r = run("schedule", "--path", str(CATALOG_DIR / "prefect.yaml"), ok=False)
    assert r.exit_code == 2 and "安装目录" in r.output and not (CATALOG_DIR / "prefect.yaml").exists()


def test_schedule_check_warns_loudly_when_no_round_is_ahead(here):
    run("schedule", "--catalog", str(CATALOG_DIR))
    r = run("schedule", "--check")
    assert "与任务清单一致" in r.output and "没有今后的截止日期" in r.output
