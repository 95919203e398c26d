"""A check that never dies and never lies on a real share (issue 10).

Each situation is built with real files and real OS conditions (``share_corpus``): GBK names
written as bytes, permissions enforced by the kernel (the check runs without root's bypass),
a file moved or swapped for a FIFO at the moment duban opens it, a folder 1,100 levels deep,
hard links and a linked unit folder, a sparse 300 MiB file. Every test asserts the round
completes, the verdicts, and the reasons people are shown; the last one runs ``duban check``
on a tree holding all of them at once.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
import share_corpus as sc
import sqlalchemy as sa

from duban.check import run_check
from duban.evidence import share
from duban.evidence.share import stored, unstored
from duban.home import Home
from duban.store import Store


# ---------------------------------------------------------------- helpers
@pytest.fixture
def world(tmp_path):
    """A folder every user can read (the corpus root and a data directory), removed afterwards."""
    base = Path(tempfile.mkdtemp(prefix="duban-share-"))
    os.chmod(base, 0o755)
    yield base
    sc.rmtree(base)


def check_in_process(corpus: sc.Corpus, home: Home, catalog) -> dict:
    return run_check(catalog, corpus.root, sc.AS_OF_DT, home).to_json()


def check_unprivileged(corpus: sc.Corpus, home_dir: Path, *, hooks: bool = False) -> tuple[dict, str]:
    """``duban check`` in a child process that cannot bypass permissions; (JSON result, stdout)."""
    out = home_dir / "check.json"
    corpus.lock()
    try:
        proc = sc.unprivileged(
            sc.duban_script(
                home_dir,
                ["check", "--evidence", str(corpus.root), "--as-of", sc.AS_OF, "--json", str(out)],
                prelude=corpus.hook_prelude() if hooks else "",
            )
        )
    finally:
        corpus.unlock()
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8")), proc.stdout


def ob(res: dict, task: str, unit: str, rnd: str | None = None) -> dict:
    found = [
        o for o in res["obligations"] if o["task"] == task and o["unit"] == unit and (rnd is None or o["round"] == rnd)
    ]
    assert len(found) == 1, (task, unit, rnd, found)
    return found[0]


def listed(res: dict, key: str) -> dict[str, str]:
    return {f["path"]: f["reason"] for f in res[key]}


# ---------------------------------------------------------------- what each situation must show
GBK_FILE = (
    "\\xc7\\xf8\\xb7\\xa2\\xb8\\xc4\\xbe\\xd6/06-\\xd6\\xc6\\xb6\\xc8/\\xd6\\xc6\\xb6\\xc8\\xce\\xc4\\xbc\\xfe.pdf"
)


def expect_gbk(res: dict) -> None:
    o = ob(res, "D06", "区发改局")
    assert (o["status"], o["files"]) == ("ok", [GBK_FILE])  # read through its GBK name, shown byte by byte


def expect_moved(res: dict) -> None:
    moved = ob(res, "D06", "区委编办")
    assert moved["status"] == "unreadable"
    assert moved["problems"][0] == (
        "无法读取“区委编办/06/将被移走.pdf”：文件在检查过程中被移走或删除：如仍要报送，请放回后重新检查"
    )
    fifo = ob(res, "D06", "区委宣传部")
    assert fifo["status"] == "unreadable" and "不是普通文件" in fifo["problems"][0]
    assert "区委编办/06/将被移走.pdf" in listed(res, "unrecognized")


def expect_control_character(res: dict) -> None:
    assert ob(res, "D06", "区公安分局")["files"] == ["区公安分局/06/制度\\x1b[31m红字.pdf"]


def expect_deep(res: dict) -> None:
    assert ob(res, "D06", "区商务局")["status"] == "ok"
    deep = [p for p in listed(res, "unrecognized") if p.startswith("区商务局/06/深层/")]
    assert len(deep) == 1 and "文件夹层级过深" in listed(res, "unrecognized")[deep[0]]


def expect_unreadable(res: dict) -> None:
    unit = ob(res, "D06", "区司法局")
    assert unit["status"] == "unreadable"  # its file is there: never 'missing'
    assert unit["problems"][0].startswith("无法读取“区司法局/”：单位文件夹没有读取权限")
    assert all(o["status"] != "missing" for o in res["obligations"] if o["unit"] == "区司法局")
    task = ob(res, "D26", "区工信局")
    assert task["status"] == "unreadable" and task["problems"][0].startswith(
        "无法读取“区工信局/26/”：任务文件夹没有读取权限"
    )
    one_file = ob(res, "D06", "区财政局")
    assert one_file["status"] == "unreadable" and "区财政局/06/制度清单.pdf" in one_file["problems"][0]
    shown = listed(res, "unrecognized")
    assert "没有读取权限" in shown["区司法局/"] and "没有读取权限" in shown["区工信局/26/"]


def expect_distinct_rows(res: dict) -> None:
    assert ob(res, "D20", "区工信局", "2021-06-04")["status"] == "ok"  # 100 + 100 different firms add up
    r2 = ob(res, "D20", "区工信局", "2021-06-12")
    assert r2["status"] == "partial"
    assert r2["problems"][0] == "仓储物流数据台账：台账有效数据 180 条，要求不少于 200 条"
    assert (
        "仓储物流数据台账共 240 行（2 个文件合计），其中 60 行与其他行重复（统一社会信用代码相同，只计一次）"
        in r2["problems"]
    )
    d23 = ob(res, "D23", "区工信局")
    assert d23["status"] == "partial"  # the one firm with a loan, on three sheets, is one firm of ten
    assert "信易贷推荐企业名单台账：“是否获贷”为“是”的比例 10.0%（1/10），要求不低于 20%" in d23["problems"]


def expect_fake_documents(res: dict) -> None:
    o = ob(res, "D11", "区应急管理局", "2021-06-04")
    assert o["status"] == "missing" and o["files"] == []
    text = "\n".join(o["problems"])
    assert o["problems"][0] == "缺少信用分级分类监管典型案例"
    for reason in (
        "“空表.xlsx”表格是空的（没有任何内容），不计入",
        "“只有表头.xlsx”表格只有标题或表头，没有填写内容，不计入",
        "（空白模板）.xlsx”无法使用：这是 duban 下发的空白模板（附件5《",
        "“缩略图.png”无法使用：图片只有 16×16 像素，看不出内容",
        "“假照片.png”无法使用：图片文件已损坏或不是真正的图片",
        "“空白.doc”无法使用：文档没有内容",
        "“零宽字符.docx”无法使用：文档没有内容",
    ):
        assert reason in text, reason


def expect_same_file(res: dict) -> None:
    assert ob(res, "D06", "区住建局")["status"] == "ok"
    copy = ob(res, "D06", "区城管局")
    assert copy["status"] == "missing"
    assert "与“区住建局/06/制度汇编.pdf”是同一份文件（内容相同），已计入区住建局，不再计入区城管局" in "\n".join(
        copy["problems"]
    )
    assert "区城管局/06/制度汇编.pdf" in listed(res, "rejected")
    assert ob(res, "D06", "区文旅局")["status"] == "ok"
    assert ob(res, "D06", "区卫健局")["status"] == "missing"  # its folder is another unit's
    assert "指向“区文旅局”（区文旅局）的链接" in listed(res, "unrecognized")["区卫健局/"]


def expect_support(res: dict) -> None:
    d12 = ob(res, "D12", "区发改局")
    assert d12["status"] == "ok" and d12["files"] == ["区商务局/12/企业材料清单.xlsx"]


def expect_oversized(res: dict) -> None:
    assert listed(res, "rejected")["区税务局/06/扫描件.pdf"] == "文件过大（超过 200 MB）：请拆分或压缩内容后重新上传"
    assert ob(res, "D06", "区税务局")["status"] == "missing"


def expect_placed_templates(res: dict) -> None:
    r3 = ob(res, "D20", "区工信局", "2021-06-20")
    assert r3["status"] == "missing" and r3["problems"] == [
        "缺少仓储物流数据台账（模板 附件7《企业仓储物流（快递）信息归集模板》）"
    ]
    assert not [p for p in listed(res, "unrecognized") | listed(res, "rejected") if "第三轮" in p]


def expect_fifo(res: dict) -> None:
    assert listed(res, "unrecognized")["区市场监管局/06/管道"] == "不是普通文件（管道、设备等），已跳过"


def expect_nothing_vanishes(res: dict, corpus: sc.Corpus) -> None:
    """Every file under the share is counted, rejected or listed (or is duban's own skeleton)."""
    accounted = {f for o in res["obligations"] for f in o["files"]} | set(listed(res, "rejected"))
    folders = [p.rstrip("/") for p in listed(res, "unrecognized") if p.endswith("/")]
    accounted |= set(listed(res, "unrecognized"))
    for item in share.Share(corpus.root).walk_files(corpus.root, max_depth=20):  # iterative: the deep chain is listed
        assert not isinstance(item, share.Finding), item
        name, path = item
        rel = share.shown(os.path.relpath(path, corpus.root))
        if name.endswith((".moved", ".orig")) or "第三轮/附件7" in rel or rel in accounted:
            continue
        assert any(rel.startswith(f + "/") for f in folders), rel


# ---------------------------------------------------------------- one situation at a time
def test_gbk_names_are_read_and_stored_so_they_round_trip(world, catalog):
    corpus = sc.build(world / "share", sc.gbk_names)
    home = Home.resolve(world / "home")
    res = check_in_process(corpus, home, catalog)
    expect_gbk(res)
    Path(world / "check.json").write_text(json.dumps(res, ensure_ascii=False), encoding="utf-8")  # writable as UTF-8
    with Store.open(home).read() as conn:
        paths = [r[0] for r in conn.execute(sa.text("SELECT path FROM evidence_files"))]
    (path,) = paths
    raw = sc.bpath(corpus.root, sc.gbk("区发改局"), sc.gbk("06-制度"), sc.gbk("制度文件.pdf"))
    assert os.fsencode(corpus.root / unstored(path)) == raw  # the stored form gives the OS name back
    assert path == stored(os.fsdecode(raw)[len(str(corpus.root)) + 1 :]) and "\\x" in path


def test_a_file_moved_or_swapped_for_a_fifo_while_checked_costs_that_file(world, catalog, monkeypatch):
    corpus = sc.build(world / "share", sc.moved_during_check)

    def hook(path: str) -> None:  # what a clerk (or a blinking share) does at that moment
        if path.endswith("将被移走.pdf"):
            os.rename(path, path + ".moved")
        if path.endswith("将变成管道.pdf") and os.path.isfile(path):
            os.rename(path, path + ".orig")
            os.mkfifo(path)

    monkeypatch.setattr(share, "before_open", hook)
    expect_moved(check_in_process(corpus, Home.resolve(world / "home"), catalog))


def test_a_folder_1100_levels_deep_is_listed_and_the_guard_survives_it(world, catalog):
    from duban.notifications.guard import evaluate as guard

    corpus = sc.build(world / "share", sc.deep_folder)
    expect_deep(check_in_process(corpus, Home.resolve(world / "home"), catalog))
    verdict = guard(corpus.root, None, None)
    assert verdict.ok and verdict.files_now == 1  # the PDF within reach; the deep one is beyond any task


def test_unreadable_folders_and_files_are_never_judged_missing(world, catalog):
    corpus = sc.build(world / "share", sc.unreadable_folders)
    res, out = check_unprivileged(corpus, world / "home")
    expect_unreadable(res)
    assert "无法读取" in out
    # and the reminder run holds those units back instead of telling them their files are missing
    corpus.lock()
    try:
        remind = sc.unprivileged(
            sc.duban_script(
                world / "home",
                ["remind", "--evidence", str(corpus.root), "--as-of", "2021-06-21T09:00", "--dry-run"],
            )
        )
    finally:
        corpus.unlock()
    assert remind.returncode == 0, remind.stderr[-2000:]
    lines = remind.stdout.splitlines()
    held = [line for line in lines if line.startswith("[未发送]") and "无法读取" in line]
    assert any(line.startswith("[未发送] 区工信局：") for line in held)  # its other open items wait too
    assert any(line.startswith("[未发送] 区财政局：") for line in held)
    assert (
        "提示：3 个单位的文件夹或文件无法读取，今日未提醒、也未判为未报送：区财政局、区司法局、区工信局"
        in remind.stdout
    )
    assert not [line for line in lines if line.startswith("[演练") and ("区司法局" in line or "区工信局" in line)]
    # the same tree read with permission: the files were there all along
    readable = check_in_process(corpus, Home.resolve(world / "home-root"), catalog)
    assert ob(readable, "D06", "区司法局")["status"] == ob(readable, "D26", "区工信局")["status"] == "ok"


def test_rows_are_counted_once_across_files_and_sheets(world, catalog):
    corpus = sc.build(world / "share", sc.distinct_rows)
    expect_distinct_rows(check_in_process(corpus, Home.resolve(world / "home"), catalog))


def test_empty_and_fake_files_never_count_as_documents(world, catalog):
    corpus = sc.build(world / "share", sc.fake_documents)
    expect_fake_documents(check_in_process(corpus, Home.resolve(world / "home"), catalog))


def test_one_file_counts_for_one_unit(world, catalog):
    corpus = sc.build(world / "share", sc.same_file_two_units)
    expect_same_file(check_in_process(corpus, Home.resolve(world / "home"), catalog))


def test_a_supporting_units_file_counts_for_the_lead_and_is_listed(world, catalog):
    corpus = sc.build(world / "share", sc.supporting_unit)
    expect_support(check_in_process(corpus, Home.resolve(world / "home"), catalog))


def test_an_oversized_file_is_rejected_by_its_size_without_being_opened(world):
    corpus = sc.build(world / "share", sc.oversized_file)  # unreadable too: opening it would say so
    res, _ = check_unprivileged(corpus, world / "home")
    expect_oversized(res)


def test_templates_duban_placed_are_not_reported(world, catalog):
    corpus = sc.build(world / "share", sc.placed_templates)
    expect_placed_templates(check_in_process(corpus, Home.resolve(world / "home"), catalog))


# ---------------------------------------------------------------- all at once
@pytest.mark.prefect  # a subprocess and the whole corpus
def test_duban_check_on_a_share_holding_every_situation_exits_0_and_reports_each(world):
    corpus = sc.build(world / "share")
    res, out = check_unprivileged(corpus, world / "home", hooks=True)
    for expect in (
        expect_gbk,
        expect_moved,
        expect_control_character,
        expect_deep,
        expect_unreadable,
        expect_distinct_rows,
        expect_fake_documents,
        expect_same_file,
        expect_support,
        expect_oversized,
        expect_placed_templates,
        expect_fifo,
    ):
        expect(res)
    expect_nothing_vanishes(res, corpus)
    assert "无法读取" in out and "被拒绝的文件" in out


def test_a_partial_recheck_lists_only_what_is_in_its_scope(world, catalog):
    corpus = sc.build(world / "share", sc.supporting_unit, sc.distinct_rows)
    home = Home.resolve(world / "home")
    res = run_check(catalog, corpus.root, sc.AS_OF_DT, home, tasks=["D12"]).to_json()
    expect_support(res)
    assert {o["task"] for o in res["obligations"]} == {"D12"}
    assert not [p for p in listed(res, "unrecognized") if "/20/" in p or "/23/" in p]  # other tasks: not "unused"


@pytest.mark.parametrize("units", [None, ["区发改局", "区商务局", "区城管局"]])
def test_a_task_judged_a_part_at_a_time_is_judged_as_a_whole(world, catalog, monkeypatch, units):
    """A check holds one part of a task's files at a time (units that share no file). Judged
    with every unit's files apart, the result is the one judged with each task whole: a copy
    filed by two units still counts once, a supporting unit's file still counts for its lead,
    rows are still counted once across a unit's files — for a whole check and a unit re-check."""
    from duban.check import run

    corpus = sc.build(world / "share", sc.distinct_rows, sc.fake_documents, sc.same_file_two_units, sc.supporting_unit)
    results = []
    for n, part_files in enumerate((1, 10**9)):  # every part alone; each task whole
        monkeypatch.setattr(run, "PART_FILES", part_files)
        home = Home.resolve(world / f"home{n}")
        results.append(run_check(catalog, corpus.root, sc.AS_OF_DT, home, units=units).to_json())
    apart, whole = results
    assert apart == whole
    if units is None:
        for expect in (expect_distinct_rows, expect_fake_documents, expect_same_file, expect_support):
            expect(apart)
    assert len(apart["obligations"]) > 20 and apart["rejected"]


def test_a_root_whose_own_path_is_not_utf8_stops_before_any_reminder(world, catalog):
    from duban.check import EvidenceRootError

    raw = sc.bpath(world, sc.gbk("信用示范创建"))
    os.mkdir(raw)
    with pytest.raises(EvidenceRootError, match="不是 UTF-8 编码"):
        run_check(catalog, os.fsdecode(raw), sc.AS_OF_DT, Home.resolve(world / "home"))
