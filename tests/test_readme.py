"""The README's everyday commands run as written (on a temporary share instead of /srv/share)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SHARE = "/srv/share/信用示范创建"


def everyday_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    block = text.split("## Everyday use", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = [re.sub(r"\s+#.*$", "", line).strip() for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith(". ")]


def test_the_readme_lists_the_everyday_commands():
    cmds = everyday_commands()
    assert any(c.startswith("duban init-folders") for c in cmds) and any(c.startswith("duban check") for c in cmds)
    assert all(SHARE not in c or c.startswith(("duban", "mkdir")) for c in cmds)


@pytest.mark.prefect
def test_everyday_commands_run_as_written(tmp_path):
    share = tmp_path / "share" / "信用示范创建"
    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DUBAN_", "PREFECT_API_URL"))}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    ran = []
    for cmd in everyday_commands():
        if cmd.startswith("duban serve"):
            continue  # long-running: tests/test_serve.py starts and stops it
        cmd = cmd.replace(SHARE, str(share))
        p = subprocess.run(["bash", "-c", cmd], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, f"{cmd}\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}"
        assert "Traceback" not in p.stderr, cmd
        if cmd.startswith(("duban run-round", "duban recheck")):  # no server: it says what it waits for
            assert "正在启动内置 Prefect" in p.stderr, cmd
        ran.append(cmd)
    assert (tmp_path / "catalog.json").stat().st_size > 1000
    assert list((tmp_path / "模板").glob("*.xlsx")) and (tmp_path / "check.json").exists()
    assert list((tmp_path / "var" / "reports").rglob("report.xlsx"))  # run-round and recheck stored reports
    assert len(ran) >= 13
