"""`duban report`: rebuild a report from a stored check, list stored reports, rebuild the index."""

from __future__ import annotations

import json

from click.testing import CliRunner

from duban.cli import cli
from duban.tasks_catalog import load_catalog
from duban.testing.report_sample import sample_result


def run(home, *args):
    return CliRunner().invoke(cli, ["--home", str(home), "report", *args])


def test_report_from_json_then_list_and_index(tmp_path):
    check = sample_result(load_catalog(), "2021-06-10")
    check_json = check.write_json(tmp_path / "check.json")
    home = tmp_path / "home"

    empty = run(home, "--list")
    assert empty.exit_code == 0 and "还没有报告" in empty.output

    made = run(home, "--from-json", str(check_json), "--round", "2021-06-10")
    assert made.exit_code == 0, made.output
    assert "已生成报告（轮次 2021-06-10）" in made.output
    folders = list((home / "reports" / "2021-06-10").glob("*/report.xlsx"))
    assert len(folders) == 1
    stored = json.loads((folders[0].parent / "report.json").read_text(encoding="utf-8"))
    assert stored["obligations"] == check.to_json()["obligations"] and stored["round"] == "2021-06-10"

    # a stored report.json is itself a check: rebuilding keeps its round and adds a second report
    again = run(home, "--from-json", str(folders[0].parent / "report.json"), "--label", "复核")
    assert again.exit_code == 0, again.output
    assert len(list((home / "reports" / "2021-06-10").glob("*/report.json"))) == 2

    listed = CliRunner().invoke(cli, ["--home", str(home), "report"], terminal_width=200)
    assert listed.exit_code == 0
    assert "已存档的报告（2 份）" in listed.output and "2021-06-10" in listed.output and "复核" in listed.output
    pct = f"{stored['summary']['completion'] * 100:.1f}%"
    assert pct in listed.output

    (home / "reports" / "index.html").unlink()
    rebuilt = run(home, "--rebuild-index")
    assert rebuilt.exit_code == 0 and "已重建索引" in rebuilt.output
    assert "2021-06-10" in (home / "reports" / "index.html").read_text(encoding="utf-8")


def test_report_errors_are_plain_chinese(tmp_path):
    check_json = sample_result(load_catalog(), "2021-06-10").write_json(tmp_path / "check.json")
    bad_round = run(tmp_path / "h", "--from-json", str(check_json), "--round", "2021-06-11")
    assert bad_round.exit_code == 2 and "2021-06-11 不是任务清单中的截止日期" in bad_round.output
    assert "2021-06-10" in bad_round.output  # lists the rounds to choose from
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    bad_json = run(tmp_path / "h", "--from-json", str(tmp_path / "bad.json"))
    assert bad_json.exit_code == 2 and "不是有效的 JSON" in bad_json.output
    assert "Traceback" not in bad_json.output
    assert not (tmp_path / "h" / "reports" / "2021-06-11").exists()
