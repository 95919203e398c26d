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


def commands(heading: str) -> list[str]:
    """The commands of the first ```sh block under ``heading``, comments dropped."""
    text = README.read_text(encoding="utf-8")
    block = text.split(heading, 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = [re.sub(r"\s+#.*$", "", line).strip() for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith(". ")]


def everyday_commands() -> list[str]:
    return commands("## Everyday use")


def new_campaign_commands() -> list[str]:
    return commands("## A new campaign")


def test_the_first_page_shows_a_new_campaign_in_four_commands():
    text = README.read_text(encoding="utf-8")
    assert text.index("## A new campaign") < text.index("## The two commands")  # before anything else
    verbs = [
        " ".join(c.split()[:3]) if c.startswith("duban campaign") else " ".join(c.split()[:2])
        for c in new_campaign_commands()
    ]
    assert verbs == ["duban campaign new", "duban campaign review", "duban init-folders", "duban serve"]


def _env() -> dict[str, str]:
    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DUBAN_", "PREFECT_API_URL"))}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.mark.prefect
def test_the_new_campaign_commands_run_as_written(tmp_path):
    """The list arrives as a Word document; the commands run as written up to serve (which
    tests/test_serve.py starts and stops); the share and the settings follow the new list."""
    from duban.tasks_catalog.seed import parse_seed
    from duban.testing.task_lists import write_docx

    cmds = new_campaign_commands()
    source = re.search(r"--from (\S+)", cmds[0]).group(1)
    folder = cmds[0].split()[3]
    write_docx(parse_seed(), tmp_path / source, title="社会信用体系建设示范创建任务分解表")
    share = tmp_path / "share" / "信用示范创建"
    outputs = []
    for cmd in cmds:
        if cmd.startswith("duban serve"):
            continue
        cmd = cmd.replace(SHARE, str(share))
        p = subprocess.run(["bash", "-c", cmd], cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, f"{cmd}\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}"
        assert "Traceback" not in p.stderr, cmd
        outputs.append(p.stdout)
    assert (tmp_path / folder / "campaign.yaml").is_file() and (tmp_path / folder / "source" / source).is_file()
    assert f"campaign: '{tmp_path / folder}'" in (tmp_path / "var" / "settings.yaml").read_text(encoding="utf-8")
    assert "待核对" in outputs[1] and "[D12]" in outputs[1]
    assert "2027年社会信用体系建设示范创建任务分解表" in outputs[2]  # init-folders laid out the new campaign
    assert len(list(share.iterdir())) == 35


def test_the_readme_lists_the_everyday_commands():
    cmds = everyday_commands()
    assert any(c.startswith("duban init-folders") for c in cmds) and any(c.startswith("duban check") for c in cmds)
    assert all(SHARE not in c or c.startswith(("duban", "mkdir")) for c in cmds)


@pytest.mark.prefect
def test_everyday_commands_run_as_written(tmp_path):
    share = tmp_path / "share" / "信用示范创建"
    env = _env()
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
