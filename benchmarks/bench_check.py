"""Speed of the check on a whole campaign's evidence (the demo tree: 35 units, ~750 files).

Prints: tree size, the first check (hash + inspect every file in the sandboxed pool),
a re-check with nothing changed (no file opened), a re-check after one file changed,
and the rule evaluation alone. Run: .venv/bin/python benchmarks/bench_check.py
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

from duban.check import evaluate, gather, run_check
from duban.home import Home
from duban.tasks_catalog import load_catalog
from duban.testing import samples
from duban.testing.demo_tree import build_tree
from duban.timeutil import TZ


def main() -> None:
    catalog = load_catalog()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "share"
        t = time.perf_counter()
        build_tree(catalog, root)
        files = sum(1 for p in root.rglob("*") if p.is_file())
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        print(f"tree: {files} files, {size / 1e6:.1f} MB, built in {time.perf_counter() - t:.1f} s")
        home = Home.resolve(Path(tmp) / "home")
        as_of = dt.datetime(2021, 6, 21, tzinfo=TZ)

        t = time.perf_counter()
        first = run_check(catalog, root, as_of, home)
        cold = time.perf_counter() - t
        s = first.stats
        print(
            f"first check:  {cold:6.2f} s  ({s['files']} files, {s['hashed']} hashed, {s['inspected']} inspected, "
            f"{s['files'] / cold:.0f} files/s, {len(first.obligations)} obligations)"
        )

        t = time.perf_counter()
        again = run_check(catalog, root, as_of, home)
        warm = time.perf_counter() - t
        print(f"re-check:     {warm:6.2f} s  ({again.stats['hashed']} hashed, {again.stats['inspected']} inspected)")

        target = next(root.rglob("*.xlsx"))
        samples.make_table_xlsx(target, {"Sheet1": [["名称", "内容"], ["a", "b"]]})
        t = time.perf_counter()
        one = run_check(catalog, root, as_of, home)
        print(
            f"one changed:  {time.perf_counter() - t:6.2f} s  ({one.stats['hashed']} hashed, "
            f"{one.stats['inspected']} inspected)"
        )

        g = gather(catalog, root, home)
        t = time.perf_counter()
        for _ in range(5):
            evaluate(catalog, g, as_of, home, record=False)
        print(f"rules only:   {(time.perf_counter() - t) / 5 * 1000:6.1f} ms per evaluation")


if __name__ == "__main__":
    main()
