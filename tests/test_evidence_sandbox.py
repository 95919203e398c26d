"""InspectorPool: a file that aborts, stalls or bloats a worker costs that file only."""

import time

import pytest

from duban.evidence.facts import Facts
from duban.evidence.inspect import common as R
from duban.evidence.limits import Limits
from duban.evidence.sandbox import InspectorPool, inspect_in_process
from duban.evidence.spec import InspectSpec, LedgerSpec
from duban.testing import samples as S


@pytest.fixture(scope="module")
def files(tmp_path_factory, templates):
    d = tmp_path_factory.mktemp("pool")
    return {
        "ledger": S.make_ledger_xlsx(d / "台账.xlsx", templates["附件8"], 200, yes_ratio=0.25),
        "short": S.make_ledger_xlsx(d / "短.xlsx", templates["附件8"], 199),
        "pdf": S.make_pdf(d / "承诺书.pdf", 3),
        "docx": S.make_docx(d / "案例.docx", ["典型案例"], links=["https://www.creditchina.gov.cn/a"]),
        "txt": S.make_txt_links(d / "链接.txt", ["http://www.jinan.gov.cn/1", "http://www.jinan.gov.cn/2"]),
        "huge": S.make_huge_cell_xlsx(d / "huge.xlsx"),
        "bomb": S.make_zip_bomb_xlsx(d / "bomb.xlsx", 120),
        "encrypted": S.make_encrypted_xlsx(d / "加密.xlsx"),
    }


def _strip(f):
    d = f.to_dict()
    d.pop("seconds")
    return d


def test_hostile_files_cost_only_themselves(files, templates):
    spec = InspectSpec((LedgerSpec(templates["附件8"], None, "是否获贷"),))
    names = ["ledger", "huge", "pdf", "bomb", "short", "huge", "docx", "encrypted", "txt"]
    with InspectorPool(Limits(), workers=2) as pool:
        out = pool.inspect([(files[n], spec) for n in names])
        assert pool.crashes == 2  # the two huge-cell files aborted their workers
        again = pool.inspect([(files["ledger"], spec), (files["txt"], spec)])  # the pool still works
    got = dict(zip(range(len(names)), out))
    assert [f.ok for f in out] == [True, False, True, False, True, False, True, False, True]
    for i in (1, 5):
        assert (got[i].kind, got[i].reason) == ("xlsx", R.CRASH)
    assert got[3].reason == "表格解压后过大（疑似压缩炸弹），已拒绝"  # refused by the pre-check, no crash
    assert got[7].reason == R.ENCRYPTED
    assert (got[0].ledgers[0].rows, got[0].ledgers[0].yes) == (200, 50)
    assert got[4].ledgers[0].rows == 199
    assert got[2].pages == 3 and got[6].links == ["https://www.creditchina.gov.cn/a"]
    assert got[8].links == ["http://www.jinan.gov.cn/1", "http://www.jinan.gov.cn/2"]
    assert [a.ledgers[0].rows if a.ledgers else a.links for a in again] == [200, got[8].links]


def test_pool_results_equal_in_process_results(files, templates):
    spec = InspectSpec((LedgerSpec(templates["附件8"], None, "是否获贷"),), (templates["数据表-D25"],))
    names = ["ledger", "short", "pdf", "docx", "txt", "encrypted"]
    seen = []
    with InspectorPool(Limits(), workers=2) as pool:
        out = pool.inspect([(files[n], spec) for n in names], progress=lambda d, n: seen.append((d, n)))
        assert pool.inspect([]) == []
    assert [_strip(f) for f in out] == [_strip(inspect_in_process(files[n], spec)) for n in names]
    assert seen[-1] == (6, 6) and len(seen) == 6


def test_timeout_kills_the_worker_and_the_batch_goes_on(tmp_path, files):
    slow = S.make_slow_pdf(tmp_path / "slow.pdf", ops=60_000)  # ~2-3 s of text extraction
    spec = InspectSpec(links=True)  # a task that reads PDF text (for its links)
    t = time.perf_counter()
    with InspectorPool(Limits(timeout_s=0.5), workers=2) as pool:
        out = pool.inspect([(files["pdf"], spec), (slow, spec), (files["txt"], spec), (files["docx"], spec)])
        assert pool.crashes == 1
    assert time.perf_counter() - t < 2.0  # not waited out
    assert (out[1].ok, out[1].kind, out[1].reason) == (
        False,
        "pdf",
        "读取超时（超过 0.5 秒），已跳过：请检查文件是否异常",
    )
    assert [f.ok for f in out] == [True, False, True, True]


def test_memory_limit_turns_a_bomb_past_the_precheck_into_one_rejection(tmp_path, files):
    """With the zip caps lifted, the bomb reaches calamine; RLIMIT_AS stops it in its worker."""
    bomb = S.make_zip_bomb_xlsx(tmp_path / "big-bomb.xlsx", 200)
    lax = Limits(max_part_bytes=2**31, max_uncompressed_bytes=2**31, max_ratio=1e9, memory_mb=160)
    with InspectorPool(lax, workers=1) as pool:
        out = pool.inspect([(bomb, InspectSpec()), (files["pdf"], InspectSpec())])
    assert not out[0].ok and out[0].reason in (R.CRASH, R.MEMORY)
    assert out[1].ok and out[1].pages == 3


def test_a_worker_killed_while_idle_does_not_blame_the_next_file(files):
    with InspectorPool(Limits(), workers=1) as pool:
        assert pool.inspect([(files["txt"], InspectSpec())])[0].ok
        pool._pool[0].proc.kill()
        pool._pool[0].proc.join()
        out = pool.inspect([(files["pdf"], InspectSpec())])
    assert out[0].ok and out[0].pages == 3


def test_a_script_without_a_main_guard_runs_once(tmp_path):
    """The workers never re-run the caller's script (no `if __name__ == "__main__"` needed)."""
    import subprocess
    import sys

    script = tmp_path / "check_now.py"
    script.write_text(
        "from pathlib import Path\n"
        "from duban.testing import samples\n"
        "from duban.evidence.limits import Limits\n"
        "from duban.evidence.sandbox import InspectorPool\n"
        "from duban.evidence.spec import InspectSpec\n"
        f"p = samples.make_pdf(Path({str(tmp_path)!r}) / 'a.pdf', pages=3)\n"
        "with InspectorPool(Limits(), workers=2) as pool:\n"
        "    (facts,) = pool.inspect([(p, InspectSpec())])\n"
        "print('RAN', facts.pages)\n",
        encoding="utf-8",
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["RAN 3"]


def test_a_crash_blames_the_file_being_read_not_the_one_queued_behind_it(files):
    """One worker, two jobs in flight: the job waiting in the pipe behind a file that kills the
    worker is read by the next worker, and gets its own facts."""
    names = ["huge", "pdf", "huge", "txt", "huge"]
    with InspectorPool(Limits(), workers=1) as pool:
        out = pool.inspect([(files[n], InspectSpec()) for n in names])
        assert (pool.crashes, pool.restarts) == (3, 3)
    assert [(f.ok, f.reason if not f.ok else None) for f in out] == [
        (False, R.CRASH),
        (True, None),
        (False, R.CRASH),
        (True, None),
        (False, R.CRASH),
    ]
    assert out[1].pages == 3 and out[3].links == ["http://www.jinan.gov.cn/1", "http://www.jinan.gov.cn/2"]


def test_a_timeout_blames_the_file_being_read_not_the_one_queued_behind_it(tmp_path, files):
    slow = S.make_slow_pdf(tmp_path / "slow.pdf", ops=60_000)
    spec = InspectSpec(links=True)
    with InspectorPool(Limits(timeout_s=0.5), workers=1) as pool:
        out = pool.inspect([(slow, spec), (files["pdf"], spec), (slow, spec), (files["docx"], spec)])
        assert pool.crashes == 2
    assert [f.reason for f in out] == [R.TIMEOUT.format(s="0.5"), None, R.TIMEOUT.format(s="0.5"), None]


def test_the_pool_takes_jobs_as_workers_free_up_two_ahead_each_at_first(files):
    """stream() pulls from a generator: before the first answer only two jobs per worker have
    been taken; answers carry the facts as JSON and the stat signature of the bytes read."""
    pulled: list[int] = []
    answered: list[int] = []
    names = ["pdf", "txt", "docx", "ledger", "pdf", "txt", "docx"]

    def jobs():
        for n in names:
            pulled.append(len(answered))  # how many answers had come back when this job was taken
            yield files[n], InspectSpec()

    with InspectorPool(Limits(), workers=2) as pool:
        got = {}
        for i, answer in pool.stream(jobs()):
            answered.append(i)
            got[i] = answer
    assert pulled[:4] == [0, 0, 0, 0] and pulled[4] >= 1  # 2 workers x 2 in flight, then one per answer
    assert sorted(answered) == list(range(len(names)))
    st = files["ledger"].stat()
    assert got[3].read == (st.st_size, st.st_mtime_ns, st.st_ino) and not got[3].transient
    assert got[3].facts.ledgers == [] and got[0].facts.pages == 3  # InspectSpec(): no template to match
    assert Facts.from_json(got[0].json).kind == "pdf"


def _most_ahead(paths, spec) -> tuple[int, list[int]]:
    """One worker: the most jobs it had been sent and not answered when a job was taken, and
    the order of the answers."""
    taken: list[int] = []
    answered: list[int] = []

    def jobs():
        for j, p in enumerate(paths):
            taken.append(j - len(answered))  # jobs out before this one (sent, not answered)
            yield p, spec

    with InspectorPool(Limits(), workers=1) as pool:
        for i, _answer in pool.stream(jobs()):
            answered.append(i)
    return max(taken), answered


def test_small_files_are_queued_far_ahead_slow_ones_two_at_most(tmp_path, files):
    """Once answers say files are quick to read, a worker is sent many ahead (the caller's
    pauses to find more work, ~60 ms a batch, do not leave it idle); files slow to read are
    sent two ahead at most, so little waits behind a slow file that another worker could read."""
    quick, order = _most_ahead([files["txt"]] * 60, InspectSpec())
    assert quick >= 8 and order == list(range(60))
    slow = S.make_slow_pdf(tmp_path / "slow.pdf", ops=5000)
    ahead, order = _most_ahead([slow] * 4, InspectSpec(links=True))
    assert ahead == 1 and order == [0, 1, 2, 3]
