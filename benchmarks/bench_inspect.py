"""Inspector speed: ms per file by kind (in process), files/s through the sandboxed pool
for a mixed batch of small files, and a 50k-row ledger.

    .venv/bin/python benchmarks/bench_inspect.py [--files 300] [--workers 2] [--big-rows 50000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from duban.evidence.limits import Limits
from duban.evidence.sandbox import InspectorPool, inspect_in_process
from duban.evidence.sniff import sniff
from duban.evidence.spec import InspectSpec, LedgerSpec
from duban.tasks_catalog import load_catalog
from duban.tasks_catalog.models import DateWindow
from duban.testing import samples as S


def build(root: Path, n: int):
    cat = load_catalog()
    T = cat.templates
    ledger = InspectSpec((LedgerSpec(T["附件8"], None, "是否获贷"),))
    window = InspectSpec(
        (
            LedgerSpec(
                T["双公示台账"], DateWindow(column="决定日期", start=dt.date(2021, 4, 1), end=dt.date(2021, 5, 31))
            ),
        )
    )
    figures = InspectSpec((), (T["数据表-D25"],))
    plain = InspectSpec()
    makers = {
        "xlsx 200-row ledger": (lambda p: S.make_ledger_xlsx(p, T["附件8"], 200, yes_ratio=0.3), ".xlsx", ledger),
        "xlsx 20-row ledger": (lambda p: S.make_ledger_xlsx(p, T["双公示台账"], 20), ".xlsx", window),
        "xlsx figures": (
            lambda p: S.make_figures_xlsx(
                p, T["数据表-D25"], {"信易贷平台发放贷款规模": 1200, "企业信用贷款规模": 15000, "企业贷款总规模": 50000}
            ),
            ".xlsx",
            figures,
        ),
        "pdf 3 pages": (lambda p: S.make_pdf(p, 3, "信用承诺书\nhttp://www.jinan.gov.cn/"), ".pdf", plain),
        "docx": (lambda p: S.make_docx(p, ["典型案例"] * 20, ["https://www.creditchina.gov.cn/"]), ".docx", plain),
        "txt links": (
            lambda p: S.make_txt_links(p, [f"http://www.jinan.gov.cn/{i}" for i in range(10)]),
            ".txt",
            plain,
        ),
    }
    try:
        from helpers_xls import make_ledger_xls

        makers["xls 200-row ledger"] = (lambda p: make_ledger_xls(p, T["附件8"], 200), ".xls", ledger)
    except ImportError:
        pass
    kinds = list(makers)
    jobs, by_kind = [], {}
    for i in range(n):
        k = kinds[i % len(kinds)]
        fn, ext, spec = makers[k]
        p = root / f"f{i:04d}{ext}"
        fn(p)
        jobs.append((p, spec))
        by_kind.setdefault(k, []).append((p, spec))
    return jobs, by_kind, T


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--big-rows", type=int, default=50_000)
    a = ap.parse_args()
    limits = Limits()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        jobs, by_kind, T = build(root, a.files)
        print(f"built {len(jobs)} files in {time.perf_counter() - t:.1f} s")

        # warm the imports once
        for files in by_kind.values():
            inspect_in_process(files[0][0], files[0][1], limits)
        print("\nin process (median ms per file; sniff alone in brackets):")
        for kind, files in by_kind.items():
            ts, ss = [], []
            for p, spec in files[:20]:
                t0 = time.perf_counter()
                sniff(p)
                ss.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                f = inspect_in_process(p, spec, limits)
                ts.append((time.perf_counter() - t0) * 1000)
                assert f.ok, (p, f.reason)
            print(f"  {kind:22} {statistics.median(ts):7.2f} ms   [sniff {statistics.median(ss):.3f} ms]")

        print(f"\npool ({a.workers} workers, {len(jobs)} mixed small files):")
        t0 = time.perf_counter()
        with InspectorPool(limits, workers=a.workers) as pool:
            facts = pool.inspect(jobs[:4])
            t2 = time.perf_counter()
            facts = pool.inspect(jobs)
            t3 = time.perf_counter()
            bad = root / "huge.xlsx"
            S.make_huge_cell_xlsx(bad)
            t4 = time.perf_counter()
            crash = pool.inspect([(bad, InspectSpec())] + jobs[:8])
            t5 = time.perf_counter()
        assert all(f.ok for f in facts) and not crash[0].ok and all(f.ok for f in crash[1:])
        print(f"  pool start + first 4 files: {(t2 - t0) * 1000:.0f} ms")
        print(
            f"  {len(jobs)} files: {t3 - t2:.2f} s = {len(jobs) / (t3 - t2):.0f} files/s "
            f"({(t3 - t2) / len(jobs) * 1000:.2f} ms per file wall)"
        )
        print(
            f"  batch with a calamine-aborting file + 8 files: {(t5 - t4) * 1000:.0f} ms "
            f"(worker lost and replaced: {crash[0].reason})"
        )

        print(f"\n{a.big_rows}-row ledger (双公示台账 with a date window):")
        big = root / "big.xlsx"
        t0 = time.perf_counter()
        S.make_ledger_xlsx(big, T["双公示台账"], a.big_rows, subtitle=False)
        print(f"  generated in {time.perf_counter() - t0:.1f} s ({big.stat().st_size / 1e6:.1f} MB)")
        spec = InspectSpec(
            (
                LedgerSpec(
                    T["双公示台账"], DateWindow(column="决定日期", start=dt.date(2021, 4, 1), end=dt.date(2021, 5, 31))
                ),
            )
        )
        ts = []
        for _ in range(3):
            t0 = time.perf_counter()
            f = inspect_in_process(big, spec, limits)
            ts.append(time.perf_counter() - t0)
        print(f"  in process: {statistics.median(ts):.2f} s (rows {f.ledgers[0].rows})")
        with InspectorPool(limits, workers=1) as pool:
            t0 = time.perf_counter()
            f = pool.inspect([(big, spec)])[0]
            print(
                f"  through the pool (incl. worker start): {time.perf_counter() - t0:.2f} s (rows {f.ledgers[0].rows})"
            )


if __name__ == "__main__":
    main()
