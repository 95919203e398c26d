"""A full disk under the data directory (issue 10, item 5): a real 1 MiB tmpfs as the home.

The run stops with the store's Chinese message and exit code 2 — no traceback, no
``cannot rollback`` — every later run says the same until there is room again, and then the
check gives exactly what it gives on a roomy disk (nothing half-written was left behind).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from duban.testing import samples
from duban.timeutil import TZ

pytestmark = pytest.mark.prefect  # mounts a filesystem and runs duban in child processes

FULL = "数据目录所在磁盘已满或无法写入"


@pytest.fixture
def small_disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "home"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def duban(home, *args):
    return subprocess.run(
        [sys.executable, "-m", "duban", "--home", str(home), *args], capture_output=True, text=True, timeout=300
    )


def fill(disk, leave: int) -> None:
    """Take all but ``leave`` bytes of the disk."""
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    with open(disk / "filler.bin", "wb") as f:
        f.write(b"\0" * max(free - leave, 0))


def make_files(root, start: int, n: int) -> None:
    for i in range(start, start + n):
        unit = ("区财政局", "区住建局", "区城管局", "区文旅局")[i % 4]
        samples.make_pdf(
            root / unit / "06" / f"制度{i:03d}.pdf", text=f"制度 {i}", mtime=dt.datetime(2021, 6, 1, tzinfo=TZ)
        )


def test_a_full_data_disk_stops_the_run_clearly_and_the_next_run_recovers(tmp_path, small_disk):
    root = tmp_path / "share"
    check = ["check", "--evidence", str(root), "--as-of", "2021-06-20", "--no-details"]
    make_files(root, 0, 20)
    assert duban(small_disk, *check).returncode == 0  # a store with rows in it, then the disk fills up
    fill(small_disk, 16 * 1024)
    make_files(root, 20, 150)  # new files: hashes and facts to write

    for _ in range(2):  # the run and the next one: each says so, none fails silently
        r = duban(small_disk, *check)
        assert r.returncode == 2, r.stdout + r.stderr
        assert f"错误：{FULL}" in r.stderr and "Traceback" not in r.stderr and "cannot rollback" not in r.stderr
    r = duban(small_disk, "remind", "--evidence", str(root), "--as-of", "2021-06-21T09:00")
    assert r.returncode == 2 and FULL in r.stderr and "Traceback" not in r.stderr

    (small_disk / "filler.bin").unlink()  # room again
    recovered = duban(small_disk, *check, "--json", str(tmp_path / "after.json"))
    assert recovered.returncode == 0, recovered.stderr
    roomy = duban(tmp_path / "roomy", *check, "--json", str(tmp_path / "roomy.json"))
    assert roomy.returncode == 0
    after, expected = (json.loads((tmp_path / n).read_text(encoding="utf-8")) for n in ("after.json", "roomy.json"))
    assert after["obligations"] == expected["obligations"] and after["rejected"] == expected["rejected"]
    assert sum(len(o["files"]) for o in after["obligations"]) == 170  # every file read after all
