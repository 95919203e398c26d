"""``duban campaign new --from``: the task list as it arrives becomes a campaign folder.

The measure: imported from the shipped source text, the campaign has the shipped catalog's
task ids, lead and supporting units, rounds and minimum counts for every task, and its
review list names every reading the shipped catalog had to choose (the ``notes``). The same
list as a Word document (merged cells, line breaks in cells, one table or one per section)
and as an Excel sheet gives the same campaign. Bad input is one Chinese message naming the
row and the cell, and leaves no folder behind.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from duban.tasks_catalog.importer import ImportFailed, import_list
from duban.tasks_catalog.review import read_review
from duban.tasks_catalog.seed import SEED_PATH, parse_seed
from duban.tasks_catalog.sources import SourceRow
from duban.testing import task_lists

ROWS = parse_seed()


def same_campaign(shipped, imported) -> list[str]:
    """What differs between two catalogs in ids, units, rounds, minimum counts."""
    diffs = []
    if list(shipped.tasks) != list(imported.tasks):
        return [f"ids {list(shipped.tasks)} != {list(imported.tasks)}"]
    for tid, a in shipped.tasks.items():
        b = imported.tasks[tid]
        for what, x, y in (
            ("lead", a.leads, b.leads),
            ("support", a.supports, b.supports),
            ("rounds", a.task.rounds, b.task.rounds),
            ("deadline", a.task.deadline.kind, b.task.deadline.kind),
            ("platform", a.task.platform, b.task.platform),
            ("min", [i.min for i in a.task.evidence], [i.min for i in b.task.evidence]),
            ("kinds", [i.kind for i in a.task.evidence], [i.kind for i in b.task.evidence]),
        ):
            if x != y:
                diffs.append(f"{tid} {what}: shipped {x} imported {y}")
    return diffs


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("imp") / "2021-信用"
    return import_list(SEED_PATH, folder)


# ---------------------------------------------------------------- the measured round trip
def test_the_shipped_source_text_imports_to_the_shipped_catalog(catalog, imported):
    assert same_campaign(catalog, imported.catalog) == []
    cat = imported.catalog
    assert cat.campaign.year == 2021  # from the document: 截止2021年5月31日
    assert cat.round_dates() == catalog.round_dates()
    assert cat.tasks["D20"].task.evidence[0].template == "附件7"  # the base campaign's template, matched by title
    assert cat.tasks["D23"].task.evidence[0].ratio.column == "是否获贷"
    assert cat.tasks["D08"].task.evidence[0].window.start == dt.date(2021, 4, 1)
    assert cat.tasks["S07"].task.evidence[0].completed_by == dt.date(2021, 5, 31)
    assert {f.name for f in cat.templates["数据表-D25"].fields} == {
        "全国信易贷平台体系发放的贷款规模",
        "企业信用贷款规模",
        "企业贷款规模",
    }
    assert {t.attachment for t in cat.templates.values() if t.attachment} == {
        t.attachment for t in catalog.templates.values() if t.attachment
    }
    folder = imported.folder
    assert (folder / "source" / "seed.txt").read_bytes() == SEED_PATH.read_bytes()
    assert sorted(p.name for p in (folder / "tasks").glob("*.yaml")) == sorted(f"{t}.yaml" for t in catalog.tasks)
    d12 = yaml.safe_load((folder / "tasks" / "D12.yaml").read_text(encoding="utf-8"))
    assert any("等部门" in n for n in d12["notes"])  # the task file carries the reason too


# Each shipped note (task ``notes`` and items' ``note``) -> words the review entries of that
# task must contain: the importer flagged the same reading the catalog had to choose.
NOTE_READINGS: dict[str, list[str]] = {
    "D01": ["未给条数"],
    "D04": ["事业单位"],
    "D07": ["未给条数"],
    "D08": ["长期工作", "2021-04-01", "2021-05-31"],
    "D09": ["待分配"],
    "D10": ["未给条数"],
    "D11": ["每轮", "一个文件算一条"],
    "D12": ["等部门", "区商务局、区工信局、区市场监管局"],
    "D13": ["全部区直部门", "每轮"],
    "D17": ["待分配", "时限", "佐证方式"],
    "D18": ["系统判定", "duban confirm D18"],
    "D20": ["每轮", "cumulative"],
    "D22": ["并列", "全区合计"],
    "D23": ["是否获贷", "20%"],
    "D25": ["计算占比", "6%", "30%"],
    "D26": ["不少于 50", "附件9", "参考材料"],
    "D27": ["有关", "每轮每单位至少 1 份"],
    "D28": ["未给条数"],
    "D33": ["链接", ".txt"],
    "S02": ["不少于 5"],
    "S03": ["每轮", "一个文件算一篇"],
    "S04": ["系统判定", "duban confirm S04"],
    "S05": ["是否获贷"],
    "S07": ["cumulative", "2021-05-31", "人工抽查"],
}


def test_every_note_of_the_shipped_catalog_is_a_review_entry(catalog, imported):
    noted = {tid for tid, rt in catalog.tasks.items() if rt.task.notes or any(i.note for i in rt.task.evidence)}
    assert noted == set(NOTE_READINGS), "a shipped note with no expected review reading (or the reverse)"
    entries = read_review(imported.folder)
    for tid, words in NOTE_READINGS.items():
        text = "\n".join(f"{e.cell} {e.text} {e.guess} {e.why}" for e in entries if e.task == tid)
        missing = [w for w in words if w not in text]
        assert not missing, f"{tid}: review does not say {missing}:\n{text}"
    for e in entries:  # every entry says where, what and why, in Chinese
        assert e.guess and e.why and e.cell
        if e.task and e.cell != "模板":
            assert e.where.startswith("第 ") and "行" in e.where


def test_templates_are_reused_only_when_the_titles_match_else_placeholders(tmp_path, catalog):
    """With a base campaign that has no templates, every 附件N the list names becomes a
    placeholder, flagged in the review list; ledgers then count rows of any table."""
    base = tmp_path / "base"
    shutil.copytree(catalog.root, base, ignore=shutil.ignore_patterns("*.py", "__pycache__", "tasks"))
    (base / "tasks").mkdir()
    shutil.copy(catalog.root / "tasks" / "D16.yaml", base / "tasks")
    (base / "templates.yaml").write_text("templates: []\n", encoding="utf-8")
    result = import_list(SEED_PATH, tmp_path / "new", base=base)
    cat = result.catalog
    placeholders = {t.attachment for t in cat.templates.values() if t.placeholder}
    assert placeholders == {t.attachment for t in catalog.templates.values() if t.attachment}
    assert all(t.kind == "document" for t in cat.templates.values() if t.placeholder)
    guesses = "\n".join(e.guess for e in result.review if e.cell == "模板")
    assert all(f"附件{n}写了占位" in guesses for n in range(1, 11)), guesses
    d20 = cat.tasks["D20"].task.evidence[0]
    assert d20.kind == "ledger" and d20.template is None and d20.min == 200
    assert cat.tasks["D11"].task.evidence[0].template == "附件4"  # a document may cite its placeholder
    assert same_campaign(catalog, cat) == []


# ---------------------------------------------------------------- the forms a list arrives in
@pytest.mark.parametrize("one_table", [False, True], ids=["table-per-section", "one-table"])
def test_a_word_table_with_merged_cells_and_line_breaks(tmp_path, catalog, one_table):
    path = task_lists.write_docx(
        ROWS, tmp_path / "清单.docx", title="2021年社会信用体系建设任务分解表", one_table=one_table
    )
    import docx

    table = docx.Document(str(path)).tables[0]
    tcs = [row.cells[2]._tc for row in table.rows]
    assert len(set(tcs)) < len(tcs)  # units cells really are merged down (区发改局 for D29..D31)
    result = import_list(path, tmp_path / "c")
    assert same_campaign(catalog, result.catalog) == []
    d29 = result.catalog.tasks["D29"].task
    assert "\n" in d29.text and d29.text == next(r.text for r in ROWS if r.id == "D29")  # the line break stays
    assert result.catalog.campaign.name == "2021年社会信用体系建设任务分解表"
    assert result.catalog.campaign.year == 2021


def test_an_excel_sheet_with_merged_title_section_and_units_cells(tmp_path, catalog):
    path = task_lists.write_xlsx(ROWS, tmp_path / "清单.xlsx", title="社会信用体系建设任务分解表")
    result = import_list(path, tmp_path / "c", year=2021)
    assert same_campaign(catalog, result.catalog) == []
    assert result.review[0].where == "" and "2021" not in result.review[0].why  # --year: no year guess


def test_tab_separated_rows_as_excel_copies_them(tmp_path, catalog):
    path = task_lists.write_tab_rows(ROWS, tmp_path / "清单.txt")
    result = import_list(path, tmp_path / "c", year=2021)
    assert same_campaign(catalog, result.catalog) == []


def test_another_offices_list_separate_support_column_and_unknown_units(tmp_path):
    """A list with 牵头单位 / 配合单位 columns, names the directory lacks, a new year."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2027年营商环境攻坚任务清单"])
    ws.append(["序号", "工作任务", "牵头单位", "配合单位", "时间节点", "佐证材料"])
    ws.append(
        [1, "优化企业开办流程。", "区行政审批局", "区市场监管局、区退役军人事务局", "2027年3月31日前", "报送工作方案"]
    )
    ws.append([2, "开展政策宣讲。", "区档案馆", "", "第一轮4月10日前，第二轮5月10日前", "每单位不少于3篇宣传稿件"])
    ws.append([3, "提报企业诉求台账。", "各街道", "", "6月底前", "填写诉求台账（见附件1）"])
    path = tmp_path / "营商.xlsx"
    wb.save(path)
    result = import_list(path, tmp_path / "yingshang")
    cat = result.catalog
    assert cat.campaign.year == 2027 and cat.campaign.name == "2027年营商环境攻坚任务清单"
    assert cat.campaign.key == "yingshang"  # the folder name is the campaign's stable key
    d1 = cat.tasks["D01"]
    assert d1.leads == ("区行政审批局",) and d1.supports == ("区市场监管局", "区退役军人事务局")
    assert cat.unit("区退役军人事务局").proposed and cat.unit("区档案馆").proposed  # never dropped
    assert sorted(result.proposed) == ["区档案馆", "区退役军人事务局"]
    d2 = cat.tasks["D02"].task
    assert d2.rounds == [dt.date(2027, 4, 10), dt.date(2027, 5, 10)] and d2.evidence[0].min == 3
    s3 = cat.tasks["S03"]  # no section headings: 各街道 puts the row in the streets' part
    assert "D03" not in cat.tasks and len(s3.leads) == 14 and s3.task.rounds == [dt.date(2027, 6, 30)]
    text = "\n".join(e.line() for e in result.review)
    assert "区退役军人事务局" in text and "proposed" in text and "6月底" in text and "附件1写了占位" in text
    assert "归入街道办事处部分，编号 S03" in text
    units = (result.folder / "units.yaml").read_text(encoding="utf-8")
    assert units.startswith("# 责任单位名录") and "proposed: true" in units  # the coordinator's comments kept


# ---------------------------------------------------------------- bad input
def bad(tmp_path, rows: list[SourceRow]) -> str:
    path = task_lists.write_docx(rows, tmp_path / "bad.docx", merge_units=False)
    with pytest.raises(ImportFailed) as err:
        import_list(path, tmp_path / "c", year=2021)
    assert not (tmp_path / "c").exists()  # never a half campaign
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # nor a temporary leftover
    return str(err.value)


def row(n: int, text="开展宣传。", units="区发改局", due="6月20日前", evidence="报送方案") -> SourceRow:
    return SourceRow("departments", n, text, units, due, evidence)


def test_a_document_with_no_recognisable_table(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("关于印发任务清单的通知")
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "姓名", "电话"
    d.save(str(tmp_path / "notice.docx"))
    with pytest.raises(ImportFailed) as err:
        import_list(tmp_path / "notice.docx", tmp_path / "c")
    assert "没有找到任务表格" in str(err.value) and "notice.docx" in str(err.value)
    assert not (tmp_path / "c").exists()


def test_a_row_with_no_task_text(tmp_path):
    msg = bad(tmp_path, [row(1), row(2, text="")])
    assert "第 1 个表格第 3 行" in msg and "“具体任务”为空" in msg


def test_a_date_that_does_not_exist(tmp_path):
    msg = bad(tmp_path, [row(1), row(2, due="第一轮6月10日前，第二轮6月31日前")])
    assert "第 1 个表格第 3 行" in msg and "完成时限" in msg and "6月31日" in msg and "不存在" in msg


def test_a_number_used_twice(tmp_path):
    msg = bad(tmp_path, [row(1), row(1)])
    assert "第 1 个表格第 3 行" in msg and "序号" in msg and "重复" in msg


def test_an_empty_units_cell_is_named_and_the_task_waits_for_a_unit(tmp_path):
    """The shipped list has two (D09, D17): the import goes on, the task is unassigned, and
    the row and cell are named in the messages and the review list."""
    path = task_lists.write_docx([row(1), row(2, units="")], tmp_path / "l.docx")
    result = import_list(path, tmp_path / "c", year=2021)
    assert result.warnings == ["第 1 个表格第 3 行（任务 D02）：“责任部门”为空，已标记为待分配"]
    assert result.catalog.tasks["D02"].unassigned
    [entry] = [e for e in result.review if e.task == "D02" and e.cell == "责任部门"]
    assert entry.where == "第 1 个表格第 3 行" and "待分配" in entry.guess


def test_an_existing_folder_is_never_overwritten(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "mine.txt").write_text("x", encoding="utf-8")
    with pytest.raises(ImportFailed, match="已存在"):
        import_list(SEED_PATH, folder)
    assert [p.name for p in folder.iterdir()] == ["mine.txt"]


def test_an_old_word_file_and_a_year_nowhere(tmp_path):
    (tmp_path / "list.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(ImportFailed, match="另存为"):
        import_list(tmp_path / "list.doc", tmp_path / "c")
    path = task_lists.write_docx([row(1)], tmp_path / "l.docx")
    with pytest.raises(ImportFailed, match="--year"):
        import_list(path, tmp_path / "c")


def test_a_write_that_fails_midway_leaves_nothing(tmp_path, monkeypatch):
    """A full disk halfway through writing the task files: one Chinese message, no folder,
    no temporary leftover (the files are written beside the target, then moved in one step)."""
    from duban.tasks_catalog import importer

    real = importer.write_draft

    def full_disk(draft, folder, source):
        real(draft, folder, source)  # every file written ... then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(importer, "write_draft", full_disk)
    with pytest.raises(ImportFailed, match="写入 .* 失败（No space left on device）：未写入任何文件"):
        import_list(SEED_PATH, tmp_path / "c")
    assert list(tmp_path.iterdir()) == []


def test_the_source_file_is_kept_beside_the_campaign(imported):
    assert Path(imported.folder / "source" / "seed.txt").is_file()
