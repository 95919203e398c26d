"""Every command that writes says where the data directory is, and warns when it is a new,
empty one (duban run from another folder would otherwise start afresh in a new ./var)."""

from __future__ import annotations

import os
import subprocess
import sys


def test_a_new_data_directory_is_announced_with_a_warning_then_just_named(tmp_path, evidence_root):
    elsewhere = tmp_path / "另一个文件夹"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DUBAN_HOME"}

    def check():
        args = ["check", "--evidence", str(evidence_root), "--as-of", "2021-06-18", "--json", "-"]
        return subprocess.run(
            [sys.executable, "-m", "duban", *args], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120
        )

    first = check()
    assert first.returncode == 0, first.stderr
    var = elsewhere / "var"
    assert f"注意：数据目录 {var}（默认：当前文件夹下的 var）是新建的空目录" in first.stderr
    assert "--home / 环境变量 DUBAN_HOME" in first.stderr
    assert first.stdout.lstrip().startswith("{")  # the JSON on stdout stays clean

    second = check()
    assert f"数据目录：{var}" in second.stderr and "新建" not in second.stderr


def test_confirm_names_the_data_directory_it_wrote_to(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.yaml").write_text("{}\n", encoding="utf-8")
    p = subprocess.run(
        [sys.executable, "-m", "duban", "--home", str(home), "confirm", "D14", "--note", "平台显示已归集"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr
    assert f"数据目录：{home}" in p.stderr
