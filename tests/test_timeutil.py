"""One rule for a date typed without a time: the end of that day, however it is written."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from duban.cli import cli
from duban.timeutil import TZ, parse_as_of, parse_day

END = dt.datetime(2021, 6, 20, 23, 59, 59, tzinfo=TZ)


@pytest.mark.parametrize(
    "typed", ["2021-06-20", "20210620", "2021/6/20", "2021.06.20", "2021年6月20日", " 2021-06-20 "]
)
def test_a_bare_date_is_the_end_of_that_day_whatever_its_spelling(typed):
    assert parse_day(typed) == dt.date(2021, 6, 20)
    assert parse_as_of(typed) == END


def test_a_time_is_taken_as_written_in_shanghai_time():
    assert parse_as_of("2021-06-20T18:00") == dt.datetime(2021, 6, 20, 18, tzinfo=TZ)
    assert parse_as_of("20210620T0000") == dt.datetime(2021, 6, 20, 0, tzinfo=TZ)
    assert parse_as_of(dt.date(2021, 6, 20)) == END


@pytest.mark.parametrize("typed", ["2021-02-30", "20211340"])
def test_an_impossible_date_is_named_in_chinese(typed):
    with pytest.raises(ValueError, match=f"'{typed}' 不是有效的日期"):
        parse_as_of(typed)


def test_check_reads_20210620_and_2021_06_20_as_the_same_moment(tmp_path, evidence_root):
    seen = []
    for typed in ("20210620", "2021-06-20"):
        r = CliRunner().invoke(
            cli,
            [
                "--home",
                str(tmp_path / "home"),
                "check",
                "--evidence",
                str(evidence_root),
                "--as-of",
                typed,
                "--json",
                "-",
            ],
        )
        assert r.exit_code == 0, r.output
        seen.append(json.loads(r.stdout)["as_of"])
    assert seen == ["2021-06-20T23:59:59+08:00"] * 2


def test_run_round_date_accepts_the_compact_spelling_and_rejects_nonsense(tmp_path):
    from duban.cli.common import UserError, parse_round_date
    from duban.tasks_catalog import load_catalog

    catalog = load_catalog()
    assert parse_round_date("20210620", catalog) == dt.date(2021, 6, 20)
    with pytest.raises(UserError, match="无法识别的日期 '六月二十'"):
        parse_round_date("六月二十", catalog)
