"""duban against its floors and against plain pandas scripts, on district trees of 1k to 100k files.

    .venv/bin/python benchmarks/bench_scale.py --sizes 1,10 [--work var/bench] [--repeat 3]

For each size (thousands of files; ``0.5`` works too) a tree is built once with
``init-folders`` on the shipped catalog and filled with template ledgers, PDFs and Word files,
every file distinct (``scale_tree.py``; cached under ``--work``). Everything below is a whole
process started from here (interpreter start-up included), timed to its exit, the median of
``--repeat`` runs (a run over ``--long`` seconds is not repeated), with its peak memory
(``scale_measure.py``: the main process, and the sum over its workers):

- ``walk + stat``: ``os.walk`` the tree and ``stat`` every file — the floor of a re-check;
- ``read + parse``: read every byte of every file duban would read and parse every workbook
  with python-calamine, in one process — the floor of a first check;
- ``read + parse every kind``: the same, and every PDF's page tree with pypdf and every
  Word body's XML parsed, in one process — what any checker that opens every document
  needs (the goal's floor parses the workbooks only);
- ``least work``: the least a first check must do to read what duban reads, in one process:
  hash every byte (what changed is known by content), parse every workbook with calamine,
  every PDF's page tree with pypdf (and the text of its first pages where the task reads
  text), every Word body's XML — no sandbox, no store, no rule; ``least work, split``: the
  same with the files split over every core (the catalog loaded and the tree walked once,
  then one forked process per core, every n-th file each). Over 2x the read + parse floor, the
  goal "first check within 2x of read + parse" is out of reach on this machine for a checker
  that reads what duban must read;
- ``pandas/openpyxl``, ``pandas/calamine``: what a plain script does — ``pandas.read_excel``
  every workbook (every sheet) with that engine, pypdf's text of every PDF page, python-docx's
  paragraphs of every Word file, one file after another;
- ``duban cold``: ``duban check`` with a fresh data directory; ``duban warm``: again, nothing
  changed (answered from the last check: ``duban.replay``); ``full``: again with
  ``--full`` (judged again from the stored facts, no file opened); ``one changed``: again after
  one ledger got new content.

Then, once: ``duban catalog --json`` and the fixed part of a warm check (an empty share)
with their ``-X importtime`` top packages, and ``duban recheck`` / ``duban run-round``
without a server (the temporary Prefect server: does the command say what it waits for?)
and through a running ``duban serve`` (with the served runs' phases from the server: pickup,
process start, work). The last table compares every figure with the goals of issue 11,
PASS or FAIL; "the check" in the served goals is the warm ``duban check`` of the first size.

The page cache is warm for every contender: every file of a tree is read once, untimed, before
its first figure (a tree cached by an earlier run may have been evicted); nothing drops caches. duban's own modules are compiled to bytecode first, as an installed package's
are (this machine sets PYTHONDONTWRITEBYTECODE: an editable install would otherwise compile
every module of every command from source). ``--max-seconds 1200`` leaves out a plain pandas
script that the next smaller tree's figure says would run longer (98k files: ~15 min with
openpyxl): its figure is that one scaled linearly, marked ``~`` in the goals. The machine's load is sampled before each group: on a shared machine, read the
spread of the runs and the quiet-window note beside each group.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scale_measure as M  # noqa: E402
import scale_tree  # noqa: E402

from duban.tasks_catalog import load_catalog  # noqa: E402

PY = sys.executable
DUBAN = str(Path(sys.executable).with_name("duban"))
AS_OF = "2021-06-21"
ROUND = "2021-06-20"

WALK = """
import os, sys
n = 0
for d, dirs, files in os.walk(sys.argv[1]):
    for f in files:
        os.stat(os.path.join(d, f))
        n += 1
print(n)
"""

# argv[2] "workbooks": the goal's floor; "all": also every PDF's page tree (pypdf) and every
# Word body's XML — the floor of any checker that opens every document, as duban's readers do
# (no sandbox, no store, no rule)
READ_PARSE = """
import io, os, sys, zipfile
from python_calamine import CalamineWorkbook
every_kind = sys.argv[2] == "all"
if every_kind:
    from xml.etree import ElementTree
    from pypdf import PdfReader
n = size = 0
for d, dirs, files in os.walk(sys.argv[1]):
    for f in files:
        if f.startswith(("~$", ".")) or f == "说明.txt":
            continue
        with open(os.path.join(d, f), "rb") as fh:
            data = fh.read()
        n += 1
        size += len(data)
        ext = f.lower().rsplit(".", 1)[-1]
        if ext in ("xlsx", "xls", "ods", "et"):
            wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
            for s in wb.sheet_names:
                wb.get_sheet_by_name(s).to_python(skip_empty_area=False)
        elif every_kind and ext == "pdf":
            len(PdfReader(io.BytesIO(data), strict=False).pages)
        elif every_kind and ext == "docx":
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                ElementTree.fromstring(z.read("word/document.xml"))
print(n, size)
"""

# The least a first check must do to read what duban reads: hash every byte (what changed is
# known by content), parse every workbook (calamine), every PDF's page tree (pypdf; the text of
# its first pages where the task reads text, as duban does) and every Word body — of the files
# the catalog maps to a task; no sandbox, no store, no rule, no result. argv[2]: processes; the
# catalog is loaded and the tree walked once, then the files are split (every n-th file each)
# over that many forked processes, all at once.
LEAST = """
import hashlib, io, os, sys, zipfile
from itertools import islice
from pathlib import Path
from xml.etree import ElementTree
from python_calamine import CalamineWorkbook
from pypdf import PdfReader
from duban.evidence.inspect.pdf import TEXT_PAGES
from duban.evidence.scanner import Scan, walk_tree
from duban.evidence.spec import spec_for
from duban.tasks_catalog import load_catalog
cat = load_catalog()
text = {tid: spec_for(rt, cat.templates).reads_text for tid, rt in cat.tasks.items()}
root, n = Path(sys.argv[1]).resolve(), int(sys.argv[2])
files = list(walk_tree(Scan(root), cat))
children, k = [], 0
for j in range(1, n):
    pid = os.fork()
    if pid == 0:
        children, k = [], j
        break
    children.append(pid)
for f in files[k::n]:
    data = (root / f.rel).read_bytes()
    hashlib.sha256(data).hexdigest()
    ext = f.rel.lower().rsplit(".", 1)[-1]
    if ext in ("xlsx", "xls", "ods", "et"):
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        for s in wb.sheet_names:
            wb.get_sheet_by_name(s).to_python(skip_empty_area=False)
    elif ext == "pdf":
        pages = PdfReader(io.BytesIO(data), strict=False).pages
        if text[f.task]:
            "".join(p.extract_text() or "" for p in islice(pages, TEXT_PAGES))
        else:
            len(pages)
    elif ext == "docx":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            ElementTree.fromstring(z.read("word/document.xml"))
if k:
    sys.stdout.flush()
    os._exit(0)
failed = sum(os.waitpid(pid, 0)[1] != 0 for pid in children)
print(len(files), failed)
sys.exit(1 if failed else 0)
"""

PANDAS = """
import os, sys
import docx
import pandas as pd
from pypdf import PdfReader
root, engine = sys.argv[1], sys.argv[2]
rows = chars = bad = 0
for d, dirs, files in os.walk(root):
    for f in files:
        if f.startswith(("~$", ".")) or f == "说明.txt":
            continue
        p = os.path.join(d, f)
        ext = f.lower().rsplit(".", 1)[-1]
        try:
            if ext in ("xlsx", "xls"):
                for df in pd.read_excel(p, sheet_name=None, header=None, engine=engine).values():
                    rows += len(df)
            elif ext == "pdf":
                chars += sum(len(page.extract_text() or "") for page in PdfReader(p).pages)
            elif ext == "docx":
                chars += sum(len(par.text) for par in docx.Document(p).paragraphs)
            else:
                with open(p, "rb") as fh:
                    chars += len(fh.read())
        except Exception:
            bad += 1
print(rows, chars, bad)
"""

CONTENDERS = (
    "walk",
    "read",
    "read-all",
    "least",
    "least-split",
    "pandas-openpyxl",
    "pandas-calamine",
    "cold",
    "warm",
    "full",
    "changed",
)


def clean_env() -> dict[str, str]:
    """This environment without Prefect or duban settings: each command finds its own."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DUBAN_"))}


def log(msg: str) -> None:
    print(msg, flush=True)


# ---------------------------------------------------------------- one size
def measure_size(
    tree: scale_tree.Tree, work: Path, a, smaller: dict[int, dict[str, M.Figure]] | None = None
) -> dict[str, M.Figure]:
    env, root, figs = clean_env(), str(tree.root), {}
    homes = work / "homes" / f"{tree.files}"
    skip = set(a.skip)

    def check_cmd(home: Path):
        return lambda i: [DUBAN, "--home", str(home), "check", "--evidence", root, "--as-of", AS_OF]

    def group(name: str, make, repeat: int, **kw) -> None:
        if name in skip:
            return
        guess = extrapolated(name, tree.files, smaller or {}, a.max_seconds)
        if guess is not None:  # would run longer than --max-seconds: not run, figure from a smaller tree
            figs[name] = guess
            log(f"  {name:16} {guess.seconds:8.2f} s  (not run: {guess.note})")
            return
        note = M.quiet_window(a.quiet_wait, a.quiet, log)
        figs[name] = M.median_of(name, make, repeat, long=a.long, env=env, **kw)
        f = figs[name]
        log(
            f"  {name:16} {f.seconds:8.2f} s  ({len(f.runs)} run{'s' if len(f.runs) > 1 else ''}"
            f"{' ' + f.spread() if f.spread() else ''})  main {f.main_mb:5.0f} MB  all {f.tree_mb:5.0f} MB"
            f"   [{note}; {f.note}]"
        )

    log(f"  (page cache: {warm_cache(tree.root)})")
    group("walk", lambda i: [PY, "-c", WALK, root], max(a.repeat, 5))
    group("read", lambda i: [PY, "-c", READ_PARSE, root, "workbooks"], a.repeat)
    group("read-all", lambda i: [PY, "-c", READ_PARSE, root, "all"], a.repeat)
    group("least", lambda i: [PY, "-c", LEAST, root, "1"], a.repeat)
    group("least-split", lambda i: [PY, "-c", LEAST, root, str(os.cpu_count() or 1)], a.repeat)
    group("pandas-openpyxl", lambda i: [PY, "-c", PANDAS, root, "openpyxl"], a.repeat)
    group("pandas-calamine", lambda i: [PY, "-c", PANDAS, root, "calamine"], a.repeat)

    cold_home = homes / "cold"

    def fresh(i: int) -> None:
        shutil.rmtree(cold_home, ignore_errors=True)

    group("cold", check_cmd(cold_home), a.repeat, before=fresh)
    if not cold_home.exists():  # cold skipped: warm needs a filled store
        M.run(check_cmd(cold_home)(0), env=env)
    group("warm", check_cmd(cold_home), max(a.repeat, 5))
    group("full", lambda i: [*check_cmd(cold_home)(i), "--full"], a.repeat)
    ledger = tree.ledger()
    group(
        "changed", check_cmd(cold_home), a.repeat, before=lambda i: scale_tree.vary(ledger, int(time.time()) * 10 + i)
    )
    return figs


def warm_cache(root: Path) -> str:
    """Read every file of the tree once, untimed, so every contender finds it in the page cache
    (a tree cached by an earlier run may have been evicted since: the first contender to read
    it, the read + parse floor, would pay the disk — 8.1 s instead of 4.5 s at 30k files)."""
    t0, size = time.perf_counter(), 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            try:
                with open(os.path.join(folder, name), "rb") as fh:
                    while chunk := fh.read(1 << 20):
                        size += len(chunk)
            except OSError:
                continue
    return f"{size / 1e6:.0f} MB read in {time.perf_counter() - t0:.1f} s before timing"


def extrapolated(name: str, files: int, smaller: dict[int, dict[str, M.Figure]], limit: float | None):
    """The figure of the largest smaller tree scaled linearly to ``files``, when that exceeds
    ``limit`` seconds (None: measure). Only the plain scripts are extrapolated (duban is always run)."""
    if not limit or name not in ("pandas-openpyxl", "pandas-calamine"):
        return None
    have = [n for n in sorted(smaller) if n < files and name in smaller[n] and not smaller[n][name].extrapolated_from]
    if not have:
        return None
    base = smaller[have[-1]][name]
    seconds = base.seconds * files / have[-1]
    if seconds <= limit:
        return None
    fig = M.Figure(name, [M.Run(seconds, 0, 0.0, 0.0, 0.0)], extrapolated_from=have[-1])
    fig.note = f"~{seconds / 60:.0f} min by {label(have[-1])}'s {base.seconds:.1f} s x {files / have[-1]:.1f}, over --max-seconds"
    return fig


# ---------------------------------------------------------------- start-up
def measure_startup(work: Path, a) -> dict:
    env = clean_env()
    empty = work / "empty-share"
    empty.mkdir(parents=True, exist_ok=True)
    home = work / "homes" / "empty"
    shutil.rmtree(home, ignore_errors=True)
    check = [DUBAN, "--home", str(home), "check", "--evidence", str(empty), "--as-of", AS_OF]
    catalog = [DUBAN, "--home", str(home), "catalog", "--json"]
    M.run(check, env=env)  # creates the store: not timed
    M.run(catalog, env=env)  # keeps the printed JSON in the data directory (tasks_catalog.catalog_cache): not timed
    note = M.quiet_window(a.quiet_wait, a.quiet, log)
    out = {"note": note}
    for name, cmd in (("catalog --json", catalog), ("check, empty share", check)):
        fig = M.median_of(name, lambda i, cmd=cmd: cmd, max(a.repeat, 9), long=a.long, env=env)
        module = [PY, "-X", "importtime", "-m", "duban", *cmd[1:]]
        top = M.importtime(M.run(module, env=env).stderr)
        out[name] = {"figure": fig, "imports": top}
        log(f"  duban {name:20} {fig.seconds:6.3f} s ({fig.spread()})  main {fig.main_mb:4.0f} MB  [{fig.note}]")
        log("      -X importtime, self ms by package: " + ", ".join(f"{p} {ms:.0f}" for p, ms in top))
    log(f"  [{note}]")
    return out


# ---------------------------------------------------------------- flows
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(url: str, path: str, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def deployments_ready(url: str) -> bool:
    try:
        return len(api(url, "/deployments/filter", {})) >= 3
    except (OSError, ValueError):
        return False


def served_phases(url: str, n: int) -> dict[str, float]:
    """Medians over the last ``n`` flow runs on the server, from their state history:
    pickup (asked for -> the serving process took it), start (-> running: a new process),
    work (running -> completed)."""
    from datetime import datetime
    from statistics import median

    runs = api(url, "/flow_runs/filter", {"sort": "EXPECTED_START_TIME_DESC", "limit": n})
    phases: dict[str, list[float]] = {"pickup": [], "start": [], "work": []}
    for run in runs:
        states = {
            s["type"]: datetime.fromisoformat(s["timestamp"])
            for s in api(url, f"/flow_run_states/?flow_run_id={run['id']}")
        }
        t = [states.get(k) for k in ("SCHEDULED", "PENDING", "RUNNING", "COMPLETED")]
        if all(t):
            for name, a, b in (("pickup", t[0], t[1]), ("start", t[1], t[2]), ("work", t[2], t[3])):
                phases[name].append((b - a).total_seconds())
    return {k: median(v) for k, v in phases.items() if v}


def measure_flows(tree: scale_tree.Tree, work: Path, a) -> dict:
    env, root = clean_env(), str(tree.root)
    out: dict = {}
    home = work / "homes" / "flows-embedded"
    shutil.rmtree(home, ignore_errors=True)
    note = M.quiet_window(a.quiet_wait, a.quiet, log)
    round_cmd = [DUBAN, "--home", str(home), "run-round", ROUND, "--evidence", root]
    recheck_cmd = [DUBAN, "--home", str(home), "recheck", "--evidence", root, "--as-of", AS_OF]
    for name, cmd in (("run-round, fresh data dir", round_cmd), ("recheck, no server", recheck_cmd)):
        r = M.run(cmd, env=env)
        says = "正在启动内置 Prefect" in r.stderr
        out[name] = {"figure": M.Figure(name, [r]), "says_waiting": says}
        log(
            f"  {name:28} {r.seconds:6.1f} s (exit {r.returncode})  main {r.main_mb:4.0f} MB"
            f"  says what it waits for: {'yes' if says else 'NO'}"
        )

    served = work / "homes" / "flows-served"
    shutil.rmtree(served, ignore_errors=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    logf = open(work / "serve.log", "wb")  # noqa: SIM115 (closed in finally)
    serve = M.subprocess.Popen(
        [DUBAN, "--home", str(served), "serve", "--port", str(port), "--evidence", root],
        env=env,
        stdin=M.subprocess.DEVNULL,
        stdout=logf,
        stderr=M.subprocess.STDOUT,
    )
    try:
        t0 = time.monotonic()
        while not deployments_ready(url):
            if serve.poll() is not None or time.monotonic() - t0 > 300:
                raise RuntimeError(f"duban serve did not come up; see {work / 'serve.log'}")
            time.sleep(1)
        log(f"  duban serve ready in {time.monotonic() - t0:.0f} s (port {port})")
        recheck = [DUBAN, "--home", str(served), "recheck", "--as-of", AS_OF, "--no-details"]
        first = M.run(recheck, env=env)  # the served process reads the tree for the first time
        log(f"  first served recheck (cold check) {first.seconds:6.1f} s (exit {first.returncode})")
        for name, cmd in (
            ("recheck via serve", recheck),
            ("run-round via serve", [DUBAN, "--home", str(served), "run-round", ROUND, "--no-notify"]),
        ):
            fig = M.median_of(name, lambda i, cmd=cmd: cmd, a.repeat, long=a.long, env=env, check=False)
            fig.note += " (the serving process counts as other here)"
            through = all("Prefect 服务器" in r.stderr for r in fig.runs)
            ok = all(r.returncode == 0 for r in fig.runs)
            out[name] = {"figure": fig, "through_server": through}
            phases = served_phases(url, len(fig.runs))
            out[name]["phases"] = phases
            log(
                f"  {name:28} {fig.seconds:6.1f} s ({fig.spread()})  through the server: {'yes' if through else 'NO'}"
                f"{'' if ok else '  (a run FAILED: ' + fig.runs[-1].stderr[-300:] + ')'}  [{fig.note}]"
            )
            log("      on the server (medians): " + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items()))
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(60)
        except M.subprocess.TimeoutExpired:
            serve.kill()
        logf.close()
    log(f"  [{note}]")
    return out


# ---------------------------------------------------------------- goals
def label(files: int) -> str:
    return f"{files / 1000:g}k"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def goals(sizes: list[int], per: dict[int, dict[str, M.Figure]], startup: dict | None, flows: dict | None) -> list:
    """(goal, [(size label, value text, ok)])"""
    rows = []

    def ratio(goal: str, num: str, den: str, test, fmt="{:.1f}x", from_files: int = 0):
        cells = []
        for n in sizes:
            f = per[n]
            if num not in f or den not in f:
                continue
            r = f[num].seconds / f[den].seconds
            guessed = f[num].extrapolated_from or f[den].extrapolated_from
            cells.append((label(n), ("~" if guessed else "") + fmt.format(r), test(r) if n >= from_files else None))
        if cells:
            rows.append((goal, cells))

    ratio("re-check (warm) within 3x of walk + stat", "warm", "walk", lambda r: r <= 3)
    ratio(
        "re-check at least 30x faster than first check (from 10k)", "cold", "warm", lambda r: r >= 30, from_files=10_000
    )
    ratio("first check within 2x of read + calamine-parse", "cold", "read", lambda r: r <= 2)
    ratio("first check at least 1.5x faster than pandas/calamine", "pandas-calamine", "cold", lambda r: r >= 1.5)
    ratio("first check at least 8x faster than pandas/openpyxl", "pandas-openpyxl", "cold", lambda r: r >= 8)
    ratio("(least work on all cores vs read+parse; >2x: goal unreachable)", "least-split", "read", lambda r: None)
    ratio("(first check vs least work on all cores; no goal)", "cold", "least-split", lambda r: None)
    ratio("(first check vs read + parse of every kind, one process; no goal)", "cold", "read-all", lambda r: None)
    ratio("(re-check judged again, --full, vs walk + stat; no goal)", "full", "walk", lambda r: None)
    ratio("(one file changed vs walk + stat; no goal)", "changed", "walk", lambda r: None)
    have = [n for n in sizes if "cold" in per[n] and "warm" in per[n]]
    if len(have) >= 2:
        peaks = {n: max(per[n][k].main_mb for k in ("cold", "warm", "full", "changed") if k in per[n]) for n in have}
        base = peaks[have[0]]
        rows.append(
            (
                "main process peak flat in file count (<= 1.25x the smallest tree's)",
                [(label(n), f"{peaks[n]:.0f} MB", peaks[n] <= base * 1.25 if n != have[0] else None) for n in have],
            )
        )
    if startup:
        for name in ("catalog --json", "check, empty share"):
            s = startup[name]["figure"].seconds
            rows.append((f"start-up: duban {name} under 0.15 s", [("", f"{s:.3f} s", s < 0.15)]))
    if flows and per:
        # the served flow judges again from the stored facts (it is not answered from a kept
        # check as `duban check` is): "the check" is `duban check --full` on the same tree
        check = per[sizes[0]].get("full") or per[sizes[0]].get("warm")
        for name in ("recheck via serve", "run-round via serve"):
            if name in flows and check:
                t = flows[name]["figure"].seconds
                extra = t - check.seconds
                ok = extra <= 5 and flows[name]["through_server"]
                rows.append(
                    (f"{name}: within 5 s plus the check (--full)", [("", f"{t:.1f} s = check + {extra:.1f} s", ok)])
                )
        for name in ("run-round, fresh data dir", "recheck, no server"):
            if name in flows:
                f = flows[name]
                rows.append(
                    (f"{name}: says what it is waiting for", [("", f"{f['figure'].seconds:.1f} s", f["says_waiting"])])
                )
    return rows


def print_goals(rows) -> None:
    log("\n== goals (issue 11) ==")
    for goal, cells in rows:
        text = "   ".join(f"{lab + ': ' if lab else ''}{val} {verdict(ok)}" for lab, val, ok in cells)
        log(f"  {goal:66} {text}")


def dump(path: Path, per, startup, flows) -> None:
    def fig(f: M.Figure) -> dict:
        return {
            "seconds": round(f.seconds, 3),
            "runs": [round(r.seconds, 3) for r in f.runs],
            "main_mb": round(f.main_mb, 1),
            "all_mb": round(f.tree_mb, 1),
            "note": f.note,
            "others_share": round(f.others, 2),
            "extrapolated_from": f.extrapolated_from,
        }

    def walk(x):
        if isinstance(x, M.Figure):
            return fig(x)
        if isinstance(x, dict):
            return {str(k): walk(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [walk(v) for v in x]
        return x

    path.write_text(json.dumps(walk({"sizes": per, "startup": startup, "flows": flows}), ensure_ascii=False, indent=1))


def compile_sources() -> None:
    """Bytecode for duban's own modules, as an installed package has (pip compiles on install):
    with PYTHONDONTWRITEBYTECODE set, an editable install would compile every module of every
    command from source, and the start-up figures would measure the compiler."""
    import compileall
    import tomllib

    repo = HERE.parent
    dirs = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-dir"]
    for folder in {repo / d for d in dirs.values()} | {repo / "duban"}:
        compileall.compile_dir(str(folder), quiet=1, workers=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1,10", help="thousands of files, comma separated (1,10,30,98)")
    ap.add_argument("--work", type=Path, default=Path("var/bench"), help="where trees and data directories are kept")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is shown)")
    ap.add_argument("--long", type=float, default=60, help="a run longer than this many seconds is not repeated")
    ap.add_argument("--skip", default="", help=f"figures to leave out, comma separated: {','.join(CONTENDERS)}")
    ap.add_argument("--no-startup", action="store_true", help="leave out the start-up figures")
    ap.add_argument("--no-flows", action="store_true", help="leave out run-round / recheck with and without serve")
    ap.add_argument("--quiet-wait", type=float, default=60, help="seconds to wait for a quiet machine before a group")
    ap.add_argument("--quiet", type=float, default=0.35, help="'quiet' = the machine less busy than this share")
    ap.add_argument("--json", type=Path, default=None, help="also write every figure to this JSON file")
    ap.add_argument(
        "--max-seconds",
        type=float,
        default=None,
        help="a plain pandas script that a smaller tree's figure says would run longer is not run: its figure "
        "is that one scaled to the size (marked ~ in the goals)",
    )
    a = ap.parse_args()
    a.skip = [s for s in a.skip.split(",") if s]
    sizes = [round(float(s) * 1000) for s in a.sizes.split(",") if s]
    work = a.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    catalog = load_catalog()
    compile_sources()
    log(f"duban bench_scale: sizes {sizes}, {a.repeat} runs per figure (median), work {work}")
    log(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {M.quiet_window(0, a.quiet, log)}")

    startup = None
    if not a.no_startup:
        log("\n== start-up ==")
        startup = measure_startup(work, a)

    per: dict[int, dict[str, M.Figure]] = {}
    trees = {}
    for n in sizes:
        tree = scale_tree.tree(catalog, work, n, log=log)
        trees[n] = tree
        built = f"built in {tree.built_seconds:.0f} s" if tree.built_seconds is not None else "cached"
        kinds = ", ".join(f"{v} {k}" for k, v in sorted(tree.kinds.items(), key=lambda kv: -kv[1]))
        log(f"\n== {n} files ({kinds}; {tree.megabytes:.0f} MB; {built}) ==")
        per[n] = measure_size(tree, work, a, per)

    flows = None
    if not a.no_flows and sizes:
        log(f"\n== run-round / recheck on the {sizes[0]}-file tree ==")
        flows = measure_flows(trees[sizes[0]], work, a)

    print_goals(goals(sizes, per, startup, flows))
    if a.json:
        dump(a.json, per, startup, flows)
        log(f"\nfigures written to {a.json}")


if __name__ == "__main__":
    main()
