"""Each kind of catalog mistake stops with one message naming the file, the entry and the fix."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from duban.tasks_catalog import CATALOG_DIR, CatalogError, load_catalog


@pytest.fixture()
def catdir(tmp_path: Path) -> Path:
    dst = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, dst, ignore=shutil.ignore_patterns("*.py", "__pycache__", "source"))
    return dst


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found in {path.name}: {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def error_of(catdir: Path) -> CatalogError:
    with pytest.raises(CatalogError) as e:
        load_catalog(catdir)
    return e.value


def test_copy_loads_unchanged(catdir):
    assert len(load_catalog(catdir).tasks) == 40


def test_unknown_unit(catdir):
    edit(catdir / "tasks" / "D20.yaml", "- 区工信局", "- 区工信部")
    err = error_of(catdir)
    assert err.file.endswith("D20.yaml") and err.entry == "D20"
    assert "区工信部" in str(err) and "不在单位名录中" in str(err) and "区工信局" in str(err)  # suggests the right one


def test_date_outside_campaign(catdir):
    edit(catdir / "tasks" / "D26.yaml", "2021-06-15", "2012-06-15")
    err = error_of(catdir)
    assert err.entry == "D26" and "2012-06-15" in str(err) and "活动期间" in str(err)


def test_impossible_date(catdir):
    edit(catdir / "tasks" / "D20.yaml", "2021-06-12", "2021-06-31")
    err = error_of(catdir)
    assert (
        err.entry == "D20" and "deadline.rounds[1]" in str(err) and "2021-06-31" in str(err) and "有效日期" in str(err)
    )


def test_negative_minimum(catdir):
    edit(catdir / "tasks" / "D20.yaml", "min: 200", "min: -200")
    err = error_of(catdir)
    assert err.entry == "D20" and "evidence[0].min" in str(err) and "-200" in str(err)


def test_duplicate_id(catdir):
    text = (catdir / "tasks" / "D20.yaml").read_text(encoding="utf-8").replace("id: D20", "id: D21")
    (catdir / "tasks" / "D21.yaml").write_text(text, encoding="utf-8")
    (catdir / "tasks" / "D20.yaml").rename(catdir / "tasks" / "D20b.yaml")
    (catdir / "tasks" / "D20b.yaml").write_text(text, encoding="utf-8")
    err = error_of(catdir)
    assert err.entry == "D21" and "重复" in str(err)


def test_misspelt_field(catdir):
    edit(catdir / "tasks" / "D26.yaml", "  template: 问卷回收台账", "  tempalte: 问卷回收台账")
    err = error_of(catdir)
    assert err.entry == "D26" and "tempalte" in str(err) and "template" in err.fix


def test_unknown_template(catdir):
    edit(catdir / "tasks" / "D20.yaml", "template: 附件7", "template: 附件77")
    err = error_of(catdir)
    assert err.entry.startswith("D20") and "附件77" in str(err) and "附件7" in err.fix


def test_duplicate_alias_in_unit_directory(catdir):
    edit(catdir / "units.yaml", "aliases: [税务局]", "aliases: [税务局, 工信局]")
    err = error_of(catdir)
    assert err.file.endswith("units.yaml") and "工信局" in str(err)


def test_bad_yaml_names_the_line(catdir):
    edit(catdir / "tasks" / "D01.yaml", "title: 统一社会信用代码重错码清理", "title: [统一社会信用代码重错码清理")
    err = error_of(catdir)
    assert err.file.endswith("D01.yaml") and "YAML" in str(err) and "行" in str(err)


def test_cli_check_prints_one_message_without_traceback(catdir):
    edit(catdir / "tasks" / "D20.yaml", "min: 200", "min: -1")
    proc = subprocess.run(
        [sys.executable, "-m", "duban", "catalog", "--check", "--catalog", str(catdir)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "D20.yaml" in proc.stderr and "Traceback" not in proc.stderr
    ok = subprocess.run([sys.executable, "-m", "duban", "catalog", "--check"], capture_output=True, text=True)
    assert ok.returncode == 0 and "40 项任务" in ok.stdout


def test_email_smtp_cannot_carry(catdir):
    edit(catdir / "units.yaml", "emails: [gxj@lixia.example]", "emails: [张三@lixia.example]")
    err = error_of(catdir)
    assert err.file.endswith("units.yaml") and err.entry == "区工信局"
    assert "张三@lixia.example" in str(err) and "中文" in str(err) and "Value error" not in str(err)
