"""Where ``duban check`` spends its time, on a ``bench_scale.py`` tree.

    .venv/bin/python benchmarks/profile_check.py --size 10 [--work var/bench] [--top 25]

- warm (nothing changed): ``python -m cProfile`` over the whole ``duban check`` process
  (imports included); prints the top functions by cumulative and by own time;
- cold (fresh data directory): ``py-spy record --subprocesses`` (``pip install py-spy``) over
  the main process and the pool's workers; prints, per process kind, the share of samples
  by own function and for a few functions that matter (inclusive), and how busy the workers
  were (their samples against the main process's wall time).
"""

from __future__ import annotations

import argparse
import collections
import pstats
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scale_tree  # noqa: E402

from duban.tasks_catalog import load_catalog  # noqa: E402

DUBAN = str(Path(sys.executable).with_name("duban"))
PYSPY = str(Path(sys.executable).with_name("py-spy"))
RATE = 200  # py-spy samples per second
# inclusive shares worth following (substring of a py-spy frame "function (file:line)")
WATCH = (
    "gather (",
    "evaluate (",
    "walk_tree (",
    "hash (",
    "known_files (",
    "write_files (",
    "facts_known (",
    "cached_facts (",
    "remember_facts (",
    "content_first_seen (",
    "from_json (",
    "record_run (",
    "stream (",
    "inspect_read (",
    "read_content (",
    "read_workbook (",
    "analyse_sheets (",
    "inspect_pdf (",
    "inspect_docx (",
    "sniff_bytes (",
    "_check_zip (",
    "load_catalog (",
    "print_summary (",
    "<module> (",
)


def check_cmd(home: Path, root: Path) -> list[str]:
    return [DUBAN, "--home", str(home), "check", "--evidence", str(root), "--as-of", "2021-06-21"]


def warm(tree: scale_tree.Tree, home: Path, out: Path, top: int) -> None:
    """cProfile of ``run_check`` in this process (imports and the catalog already loaded: the
    part that grows with the tree; the fixed start-up is ``bench_scale.py``'s figure)."""
    import cProfile

    from duban.check import run_check
    from duban.home import Home
    from duban.timeutil import parse_as_of

    catalog, h, as_of = load_catalog(), Home.resolve(home), parse_as_of("2021-06-21")
    if not (home / "duban.sqlite").exists():
        subprocess.run(check_cmd(home, tree.root), stdout=subprocess.DEVNULL, check=True)
    run_check(catalog, tree.root, as_of, h)  # warm the page cache and the imports
    prof = out / "warm.prof"
    t0 = time.perf_counter()
    cProfile.runctx("run_check(catalog, tree.root, as_of, h)", globals(), locals(), str(prof))
    wall = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_check(catalog, tree.root, as_of, h)
    plain = time.perf_counter() - t0
    stats = pstats.Stats(str(prof))
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"\n== warm run_check, {tree.files} files: {plain:.2f} s ({wall:.2f} s under cProfile) ==")
    repo, venv = str(HERE.parent), str(HERE.parent / ".venv")
    for key, label, mine in (("cumulative", "cumulative, duban's functions", True), ("tottime", "own time", False)):
        print(f"-- top {top} by {label} --")
        stats.sort_stats(key)
        funcs = stats.fcn_list  # type: ignore[attr-defined]
        rows = [f for f in funcs if not mine or (f[0].startswith(repo) and not f[0].startswith(venv))][:top]
        for func in rows:
            cc, nc, tt, ct, _ = stats.stats[func]  # type: ignore[attr-defined]
            name = f"{Path(func[0]).name}:{func[1]}({func[2]})"
            print(f"  {ct:7.3f} s {ct / total:5.0%} cum  {tt:7.3f} s own  {nc:8d} calls  {name}")


def cold(tree: scale_tree.Tree, home: Path, out: Path, top: int) -> None:
    shutil.rmtree(home, ignore_errors=True)
    raw = out / "cold.txt"
    cmd = [PYSPY, "record", "--subprocesses", "--format", "raw", "--rate", str(RATE), "--nonblocking"]
    cmd += ["-o", str(raw), "--", *check_cmd(home, tree.root)]
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t0
    by_proc: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    incl: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    total: collections.Counter[str] = collections.Counter()
    pids: dict[str, set[str]] = collections.defaultdict(set)
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        parts = stack.split(";")
        procs = [f.split(":")[0] for f in parts if f.startswith("process ")]
        frames = [f for f in parts if not f.startswith("process ")] or ["(idle)"]
        # the main process; its children (the forkserver, the resource tracker); their children
        # (the pool's workers, forked from the forkserver)
        kind = {1: "main", 2: "helper"}.get(len(procs), "worker")
        pids[kind].add(procs[-1])
        count = int(n)
        total[kind] += count
        by_proc[kind][frames[-1]] += count
        for w in WATCH:
            if any(w in f for f in frames):
                incl[kind][w.rstrip(" (")] += count
    print(f"\n== cold check, {tree.files} files: {wall:.1f} s under py-spy ({RATE}/s, all processes) ==")
    for kind in ("main", "worker", "helper"):
        n = total[kind]
        if not n:
            continue
        extra = ""
        if kind == "worker":
            busy = n / RATE / max(len(pids[kind]), 1) / wall
            extra = f"; {len(pids[kind])} workers, each on CPU (or in a system call) {busy:.0%} of the wall time"
        print(f"-- {kind}: {n / RATE:.1f} s of samples{extra} --")
        for name, c in incl[kind].most_common():
            print(f"  {c / n:5.0%} inclusive  {name}")
        for frame, c in by_proc[kind].most_common(top):
            print(f"  {c / n:5.0%} own        {frame[:150]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=float, default=1, help="thousands of files (a bench_scale.py tree)")
    ap.add_argument("--work", type=Path, default=Path("var/bench"))
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--only", choices=("warm", "cold"), default=None)
    a = ap.parse_args()
    work = a.work.resolve()
    tree = scale_tree.tree(load_catalog(), work, round(a.size * 1000))
    out = work / "profiles" / str(tree.files)
    out.mkdir(parents=True, exist_ok=True)
    if a.only in (None, "cold"):
        cold(tree, work / "homes" / f"profile-{tree.files}", out, a.top)
    if a.only in (None, "warm"):
        warm(tree, work / "homes" / f"profile-{tree.files}", out, a.top)
    print(f"\nraw profiles under {out}")


if __name__ == "__main__":
    main()
