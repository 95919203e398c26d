"""Measuring whole processes for ``bench_scale.py``: wall time, peak memory, medians, the
machine's own load, and ``python -X importtime`` read as a table.

Memory, per run (Linux ``/proc``, no extra package):

- ``main``: the high-water mark (``VmHWM``) of the process we started, polled every 20 ms —
  the mark only grows, so the last reading is the peak up to the last 20 ms;
- ``tree``: the largest sum of the resident sizes of that process and all its descendants
  seen at one poll (the pool's workers included);
- ``largest``: ``ru_maxrss`` from ``wait4`` — the peak of the largest single process the
  command waited for (the kernel's figure; for a small command it can show the parent's size
  from before the ``exec``).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

POLL = 0.02
TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    seconds: float
    returncode: int
    main_mb: float
    tree_mb: float
    largest_mb: float
    cpu: float = 0.0  # user + system seconds of the process and its workers
    stdout: str = ""
    stderr: str = ""


@dataclass
class Figure:
    """The median of several runs of one command."""

    name: str
    runs: list[Run] = field(default_factory=list)
    note: str = ""
    others: float = 0.0  # share of the machine other processes used while these runs ran
    extrapolated_from: int | None = None  # not run: scaled from the figure of a tree of this many files

    @property
    def seconds(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def main_mb(self) -> float:
        return max(r.main_mb for r in self.runs)

    @property
    def tree_mb(self) -> float:
        return max(r.tree_mb for r in self.runs)

    def spread(self) -> str:
        if len(self.runs) < 2:
            return ""
        xs = sorted(r.seconds for r in self.runs)
        return f"{xs[0]:.2f}–{xs[-1]:.2f}"


def _status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        try:
            tids = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{p}/task/{tid}/children", encoding="ascii") as f:
                    kids = [int(x) for x in f.read().split()]
            except (OSError, ValueError):
                continue
            out += kids
            stack += kids
    return out


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a live process has used so far (/proc/<pid>/stat)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, ValueError, IndexError):
        return 0.0


def run(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 7200) -> Run:
    """Run ``cmd`` to the end; its wall time, memory (see the module doc) and CPU time (the
    larger of ``wait4``'s, which misses workers the command did not wait for itself, and the
    sum polled over the tree, which misses each process's last 20 ms). Output goes to files,
    not pipes: a reader thread on a pipe slows a command that writes a lot."""
    peak = {"main": 0, "tree": 0}
    cpu: dict[int, float] = {}
    done = threading.Event()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)

        def watch() -> None:
            while not done.is_set():
                peak["main"] = max(peak["main"], _status_kb(proc.pid, "VmHWM"))
                tree = [proc.pid, *_descendants(proc.pid)]
                peak["tree"] = max(peak["tree"], sum(_status_kb(p, "VmRSS") for p in tree))
                for p in tree:
                    cpu[p] = max(cpu.get(p, 0.0), _cpu_seconds(p))
                done.wait(POLL)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        watcher.join(10)
        texts = []
        for f in (out, err):
            f.seek(0)
            texts.append(f.read().decode("utf-8", "replace"))
    kb = 1 / 1024
    main = peak["main"] * kb
    used = max(usage.ru_utime + usage.ru_stime, sum(cpu.values()))
    return Run(seconds, proc.returncode, main, max(peak["tree"] * kb, main), usage.ru_maxrss * kb, used, *texts)


def _cpu_ticks() -> tuple[int, int]:
    """(all, idle) CPU ticks of the machine since boot (/proc/stat)."""
    with open("/proc/stat", encoding="ascii") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    return sum(parts), parts[3] + parts[4]


def busy_fraction(window: float = 1.0) -> float:
    """Share of CPU time the whole machine spent busy over ``window`` seconds."""
    t1, i1 = _cpu_ticks()
    time.sleep(window)
    t2, i2 = _cpu_ticks()
    return 1 - (i2 - i1) / max(t2 - t1, 1)


class Others:
    """How busy the rest of the machine was while we measured: the machine's busy share over
    the group minus our commands' own CPU time (``Run.cpu``)."""

    def __init__(self) -> None:
        self.ticks, self.t0 = _cpu_ticks(), time.monotonic()

    def share(self, runs: list[Run]) -> float:
        (t1, i1), (t2, i2) = self.ticks, _cpu_ticks()
        wall = time.monotonic() - self.t0
        busy = 1 - (i2 - i1) / max(t2 - t1, 1)
        ours = sum(r.cpu for r in runs) / max(wall * (os.cpu_count() or 1), 1e-9)
        return max(busy - ours, 0.0)


def quiet_window(max_wait: float, threshold: float, log) -> str:
    """Wait (up to ``max_wait`` s) until the machine is less than ``threshold`` busy; say how it was."""
    t0 = time.monotonic()
    busy = busy_fraction()
    if busy > threshold and max_wait > 0:
        log(f"  (machine {busy:.0%} busy before we start: waiting up to {max_wait:.0f} s for a quieter moment ...)")
    while busy > threshold and time.monotonic() - t0 < max_wait:
        time.sleep(4)
        busy = busy_fraction()
    waited = time.monotonic() - t0
    load = Path("/proc/loadavg").read_text(encoding="ascii").split()[0]
    cores = os.cpu_count() or 1
    quiet = "quiet" if busy <= threshold else "NOT quiet: figures are noisy"
    after = f", after waiting {waited:.0f} s" if waited > 2 else ""
    return f"machine {busy:.0%} busy{after}, load {load} on {cores} cores ({quiet})"


def importtime(stderr: str, top: int = 12) -> list[tuple[str, float]]:
    """``-X importtime`` output as (top-level package, summed self ms), largest first."""
    by_pkg: Counter[str] = Counter()
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if m:
            by_pkg[m.group(2).split(".")[0]] += int(m.group(1)) / 1000
    return by_pkg.most_common(top)


def median_of(name: str, make_cmd, repeat: int, *, long: float, env=None, cwd=None, before=None, check=True) -> Figure:
    """``repeat`` runs (``before(i)`` prepares run i); a run longer than ``long`` s is not repeated."""
    fig = Figure(name)
    others = Others()
    for i in range(repeat):
        if before:
            before(i)
        r = run(make_cmd(i), env=env, cwd=cwd)
        if check and r.returncode != 0:
            raise RuntimeError(f"{name} failed ({r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}")
        fig.runs.append(r)
        if r.seconds > long and i + 1 < repeat:
            fig.note = f"{r.seconds:.0f} s per run: run once; "
            break
    fig.others = others.share(fig.runs)
    fig.note += f"others used {fig.others:.0%} of the machine meanwhile"
    return fig
