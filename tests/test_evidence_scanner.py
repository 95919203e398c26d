"""The folder convention: every name form maps; the rest is listed, never dropped."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from duban.evidence.scanner import EvidenceRootError, scan_tree

D = lambda m, d: dt.date(2021, m, d)


def touch(root: Path, rel: str, data: bytes = b"x") -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


def mapping(scan):
    return {f.rel: (f.unit, f.task, f.round) for f in scan.files}


@pytest.mark.parametrize("unit_folder", ["区工信局", "工信局", "济南市历下区工业和信息化局"])
@pytest.mark.parametrize("task_folder", ["20", "D20", "任务20", "第20项", "20-仓储物流", "20 仓储物流", "D20仓储物流"])
def test_unit_and_task_forms(tmp_path, catalog, unit_folder, task_folder):
    touch(tmp_path, f"{unit_folder}/{task_folder}/第一轮/a.xlsx")
    scan = scan_tree(tmp_path, catalog)
    assert not scan.unrecognized
    assert list(mapping(scan).values()) == [("区工信局", "D20", D(6, 4))]


@pytest.mark.parametrize(
    "round_folder,day",
    [
        ("第一轮", D(6, 4)),
        ("第1轮", D(6, 4)),
        ("第二轮", D(6, 12)),
        ("第3轮", D(6, 20)),
        ("2021-06-12", D(6, 12)),
        ("0612", D(6, 12)),
        ("6月12日", D(6, 12)),
        ("20210620", D(6, 20)),
    ],
)
def test_round_forms(tmp_path, catalog, round_folder, day):
    touch(tmp_path, f"工信局/07/{round_folder}/x.pdf".replace("07", "20"))
    assert list(mapping(scan_tree(tmp_path, catalog)).values()) == [("区工信局", "D20", day)]


def test_street_numbers_are_in_their_own_section(tmp_path, catalog):
    touch(tmp_path, "解放路街道/07/第二轮/c.pdf")
    touch(tmp_path, "解放路街道办事处/S03/第一轮/d.docx")
    m = mapping(scan_tree(tmp_path, catalog))
    assert m["解放路街道/07/第二轮/c.pdf"] == ("解放路街道", "S07", D(6, 20))
    assert m["解放路街道办事处/S03/第一轮/d.docx"] == ("解放路街道", "S03", D(6, 10))


def test_loose_files_and_subfolders_of_a_task_have_no_explicit_round(tmp_path, catalog):
    touch(tmp_path, "工信局/20/a.xlsx")
    touch(tmp_path, "工信局/20/附件材料/b.xlsx")
    touch(tmp_path, "工信局/20/第二轮/更多/c.xlsx")
    m = mapping(scan_tree(tmp_path, catalog))
    assert m["工信局/20/a.xlsx"][2] is None
    assert m["工信局/20/附件材料/b.xlsx"][2] is None
    assert m["工信局/20/第二轮/更多/c.xlsx"][2] == D(6, 12)


def test_ignored_files_are_not_listed(tmp_path, catalog):
    for name in ["~$台账.xlsx", "Thumbs.db", ".DS_Store", ".hidden.pdf", "说明.txt", "desktop.ini"]:
        touch(tmp_path, f"工信局/26/{name}")
    touch(tmp_path, "工信局/26/台账.xlsx")
    scan = scan_tree(tmp_path, catalog)
    assert [f.rel for f in scan.files] == ["工信局/26/台账.xlsx"] and not scan.unrecognized


def test_unmappable_things_are_listed_with_reasons(tmp_path, catalog):
    touch(tmp_path, "根目录文件.pdf")
    touch(tmp_path, "不存在局/06/a.pdf")
    touch(tmp_path, "工信局/随手放的.pdf")
    touch(tmp_path, "工信局/其他材料/a.pdf")
    touch(tmp_path, "工信局/99/a.pdf")
    touch(tmp_path, "工信局/S07/a.pdf")
    touch(tmp_path, "工信局/20/第四轮/a.pdf")
    touch(tmp_path, "工信局/20/0611/a.pdf")
    touch(tmp_path, "工信局/07/a.pdf")  # D07 belongs to 区行政审批局
    reasons = {u.rel: u.reason for u in scan_tree(tmp_path, catalog).unrecognized}
    assert "根目录" in reasons["根目录文件.pdf"]
    assert "不存在局" in reasons["不存在局/"] and "1 个文件" in reasons["不存在局/"]
    assert "任务编号" in reasons["工信局/随手放的.pdf"]
    assert "看不出任务编号" in reasons["工信局/其他材料/"]
    assert "D99 不在任务清单" in reasons["工信局/99/"]
    assert "以 D 开头" in reasons["工信局/S07/"]
    assert "只有 3 轮" in reasons["工信局/20/第四轮/"]
    assert "2021-06-11" in reasons["工信局/20/0611/"]
    assert "不是任务 D07 的责任单位" in reasons["工信局/07/"]
    assert len(reasons) == 9


def test_links_count_only_inside_the_units_own_folder(tmp_path, catalog):
    outside = touch(tmp_path.parent / f"{tmp_path.name}-elsewhere", "secret.pdf")
    other_unit = touch(tmp_path, "发改局/06/theirs.pdf")
    own = touch(tmp_path, "工信局/06/mine.pdf")
    os.symlink(outside, tmp_path / "工信局/06/outside.pdf")
    os.symlink(other_unit, tmp_path / "工信局/06/borrowed.pdf")
    os.symlink(own, tmp_path / "工信局/06/own-link.pdf")
    scan = scan_tree(tmp_path, catalog)
    counted = {f.rel for f in scan.files if f.unit == "区工信局"}
    assert counted == {"工信局/06/mine.pdf", "工信局/06/own-link.pdf"}
    reasons = {u.rel: u.reason for u in scan.unrecognized}
    assert "本单位文件夹以外" in reasons["工信局/06/outside.pdf"]
    assert "本单位文件夹以外" in reasons["工信局/06/borrowed.pdf"]


def test_missing_root_is_an_error_not_an_empty_scan(tmp_path, catalog):
    with pytest.raises(EvidenceRootError, match="不存在"):
        scan_tree(tmp_path / "gone", catalog)
