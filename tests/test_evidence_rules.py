"""Rules: facts + submission times -> status and problems, for every status."""

from __future__ import annotations

import datetime as dt

from duban.check.confirmations import Confirmation
from duban.check.rules import Submitted, evaluate
from duban.evidence.facts import Facts, LedgerFacts
from duban.timeutil import TZ

D = lambda m, d: dt.date(2021, m, d)
T = lambda m, d, h=12, mi=0, s=0: dt.datetime(2021, m, d, h, mi, s, tzinfo=TZ)


def ledger(tpl, rows, **kw):
    return Facts(
        kind="xlsx", ok=True, ledgers=[LedgerFacts(sheet="Sheet1", template=tpl, header_row=3, rows=rows, **kw)]
    )


def pdf():
    return Facts(kind="pdf", ok=True, pages=2, text_chars=100)


def docx(links=()):
    return Facts(kind="docx", ok=True, text_chars=300, links=list(links))


def run(catalog, files, as_of, *, tasks, units=None, confirmed=None):
    submitted = {}
    for task, unit, rel, rnd, at, facts in files:
        submitted.setdefault((task, unit), []).append(Submitted(rel, rnd, at, facts))
    obs = evaluate(catalog, submitted, as_of, confirmed or {}, units=set(units) if units else None, tasks=set(tasks))
    return {(o.task, o.unit, o.round): o for o in obs}


GX = "区工信局"


def test_d20_ok_late_partial_missing_pending(catalog):
    files = [
        ("D20", GX, "工信局/20/第一轮/a.xlsx", D(6, 4), T(6, 4, 23, 59, 59), ledger("附件7", 200)),  # on the due second
        ("D20", GX, "工信局/20/第二轮/b.xlsx", D(6, 12), T(6, 13, 9), ledger("附件7", 230)),  # a day late
        ("D20", GX, "工信局/20/第三轮/c.xlsx", D(6, 20), T(6, 19, 9), ledger("附件7", 199)),  # one row short
    ]
    obs = run(catalog, files, T(6, 21), tasks=["D20"])
    assert obs[("D20", GX, D(6, 4))].status == "ok"
    late = obs[("D20", GX, D(6, 12))]
    assert late.status == "late" and "06月13日 09:00" in late.problems[0]
    short = obs[("D20", GX, D(6, 20))]
    assert short.status == "partial"
    assert "台账有效数据 199 条，要求不少于 200 条" in short.problems[0]
    assert short.files == ["工信局/20/第三轮/c.xlsx"]
    # before the third due date the same file is pending; with nothing at all it is missing afterwards
    assert run(catalog, files, T(6, 18), tasks=["D20"])[("D20", GX, D(6, 20))].status == "pending"
    none = run(catalog, [], T(6, 21), tasks=["D20"])
    assert [o.status for o in none.values()] == ["missing"] * 3
    assert none[("D20", GX, D(6, 4))].problems == [
        "缺少仓储物流数据台账（模板 附件7《企业仓储物流（快递）信息归集模板》）"
    ]


def test_files_after_as_of_do_not_exist_yet(catalog):
    files = [("D26", GX, "工信局/26/q.xlsx", None, T(6, 16), ledger("问卷回收台账", 60))]
    assert run(catalog, files, T(6, 15, 20), tasks=["D26"])[("D26", GX, D(6, 15))].status == "pending"
    assert run(catalog, files, T(6, 17), tasks=["D26"])[("D26", GX, D(6, 15))].status == "late"


def test_loose_files_go_to_the_first_round_their_time_meets(catalog):
    files = [
        ("D20", GX, "工信局/20/x.xlsx", None, T(6, 10), ledger("附件7", 250)),  # between 6/4 and 6/12 -> round 2
        ("D20", GX, "工信局/20/y.xlsx", None, T(6, 28), ledger("附件7", 250)),  # after the last -> last round (late)
    ]
    obs = run(catalog, files, T(6, 30), tasks=["D20"])
    assert obs[("D20", GX, D(6, 4))].status == "missing"
    assert obs[("D20", GX, D(6, 12))].status == "ok"
    assert obs[("D20", GX, D(6, 20))].status == "late"


def test_blank_template_never_counts(catalog):
    files = [("D20", GX, "工信局/20/第一轮/附件7（空白模板）.xlsx", D(6, 4), T(6, 1), ledger("附件7", 0))]
    o = run(catalog, files, T(6, 5), tasks=["D20"])[("D20", GX, D(6, 4))]
    assert o.status == "missing" and "空白模板" in o.problems[0] and o.files == []


def test_headers_uscc_and_window(catalog):
    bad = ledger("附件7", 210, missing_headers=["统一社会信用代码"])
    o = run(catalog, [("D20", GX, "工信局/20/第一轮/a.xlsx", D(6, 4), T(6, 1), bad)], T(6, 5), tasks=["D20"])[
        ("D20", GX, D(6, 4))
    ]
    assert o.status == "partial" and any("缺少表头：统一社会信用代码" in p for p in o.problems)
    codes = ledger("附件7", 205, invalid_uscc=["第5行 91370102XXXXXXXXXX：校验位错误"], invalid_uscc_count=6)
    o = run(catalog, [("D20", GX, "工信局/20/第一轮/a.xlsx", D(6, 4), T(6, 1), codes)], T(6, 5), tasks=["D20"])[
        ("D20", GX, D(6, 4))
    ]
    assert o.status == "partial"
    assert "台账有效数据 199 条，要求不少于 200 条" in o.problems[0] and "6 个统一社会信用代码有误" in o.problems[1]
    unit = "区财政局"
    window = ledger("双公示台账", 10, outside_window=["第7行 2021-03-02"], outside_window_count=1)
    o = run(catalog, [("D08", unit, "财政局/08/a.xlsx", None, T(6, 1), window)], T(6, 5), tasks=["D08"], units=[unit])
    (ob,) = o.values()
    assert ob.status == "ongoing" and any("2021-04-01 至 2021-05-31" in p and "第7行" in p for p in ob.problems)


def test_loaned_ratio(catalog):
    unit = "区发改局"
    low = ledger("附件8", 20, yes=3, ratio_rows=20)
    o = run(catalog, [("D23", unit, "发改局/23/a.xlsx", None, T(6, 19), low)], T(6, 21), tasks=["D23"])[
        ("D23", unit, D(6, 20))
    ]
    assert o.status == "partial" and "15.0%（3/20），要求不低于 20%" in o.problems[0]
    ok = ledger("附件8", 20, yes=4, ratio_rows=20)
    o = run(catalog, [("D23", unit, "发改局/23/a.xlsx", None, T(6, 19), ok)], T(6, 21), tasks=["D23"])[
        ("D23", unit, D(6, 20))
    ]
    assert o.status == "ok"


def test_figures_ratios(catalog):
    unit = "区金融事业发展中心"
    f = Facts(
        kind="xlsx", ok=True, figures={"信易贷平台发放贷款规模": 50, "企业信用贷款规模": 1000, "企业贷款总规模": 3000}
    )
    o = run(catalog, [("D25", unit, "金融中心/25/a.xlsx", None, T(6, 19), f)], T(6, 21), tasks=["D25"])[
        ("D25", unit, D(6, 20))
    ]
    assert o.status == "partial" and "5.0%，要求不低于 6%" in o.problems[0]
    f.figures["信易贷平台发放贷款规模"] = 60
    o = run(catalog, [("D25", unit, "金融中心/25/a.xlsx", None, T(6, 19), f)], T(6, 21), tasks=["D25"])[
        ("D25", unit, D(6, 20))
    ]
    assert o.status == "ok"


def test_several_requirements_and_links(catalog):
    unit = "区发改局"
    plan = ("D22", unit, "发改局/22/方案.docx", None, T(6, 18), docx())
    o = run(catalog, [plan], T(6, 21), tasks=["D22"])[("D22", unit, D(6, 20))]
    assert o.status == "partial" and o.problems == ["缺少宣传报道链接（把网址写在 .txt、Word 或 Excel 文件中）"]
    link = (
        "D22",
        unit,
        "发改局/22/链接.txt",
        None,
        T(6, 18),
        Facts(kind="txt", ok=True, links=["http://news.example/a"]),
    )
    assert run(catalog, [plan, link], T(6, 21), tasks=["D22"])[("D22", unit, D(6, 20))].status == "ok"


def test_counts_per_round_and_cumulative(catalog):
    street = "解放路街道"
    two = [("S03", street, f"解放路/03/第一轮/{i}.docx", D(6, 10), T(6, 9), docx()) for i in range(1)]
    o = run(catalog, two, T(6, 11), tasks=["S03"])[("S03", street, D(6, 10))]
    assert o.status == "partial" and "已报送 1 份，要求不少于 2 份" in o.problems[0]
    r1 = [("S07", street, f"解放路/07/第一轮/{i}.pdf", D(6, 10), T(6, 9), pdf()) for i in range(40)]
    r2 = [("S07", street, f"解放路/07/第二轮/{i}.pdf", D(6, 20), T(6, 19), pdf()) for i in range(20)]
    obs = run(catalog, r1 + r2, T(6, 21), tasks=["S07"])
    assert obs[("S07", street, D(6, 10))].status == "partial"  # 40 of 60 by the first round
    assert "已报送 40 份，要求不少于 60 份" in obs[("S07", street, D(6, 10))].problems[0]
    assert obs[("S07", street, D(6, 20))].status == "ok"  # 40 + 20 cumulative
    notpdf = [("S07", street, "解放路/07/第一轮/合同.docx", D(6, 10), T(6, 9), docx())]
    o = run(catalog, notpdf, T(6, 11), tasks=["S07"])[("S07", street, D(6, 10))]
    assert o.status == "missing" and any("不是 PDF" in p for p in o.problems)


def test_rejected_files_count_for_nothing_and_are_named(catalog):
    bad = Facts.rejected("xlsx", "文件已加密（设置了打开密码），duban 无法读取：请去掉密码后重新上传")
    o = run(catalog, [("D26", GX, "工信局/26/q.xlsx", None, T(6, 14), bad)], T(6, 16), tasks=["D26"])[
        ("D26", GX, D(6, 15))
    ]
    assert o.status == "missing" and any("“q.xlsx”无法使用：文件已加密" in p for p in o.problems)


def test_done_ongoing_unassigned_confirm(catalog):
    obs = run(catalog, [], T(6, 24), tasks=["D01", "D03", "D09", "D14", "D17"])
    assert obs[("D01", "区发改局", None)].status == "done"
    assert obs[("D03", "区发改局", None)].status == "ongoing"
    assert obs[("D09", None, None)].status == "unassigned" and obs[("D17", None, None)].status == "unassigned"
    assert obs[("D14", "区委组织部", D(6, 23))].status == "confirm"
    conf = {("D14", None): Confirmation("D14", None, "coordinator", "2021-06-24T10:00:00+08:00", "平台已归集")}
    obs = run(catalog, [], T(6, 24), tasks=["D14"], confirmed=conf)
    assert {o.status for o in obs.values()} == {"ok"}


def test_unit_filter_keeps_only_that_unit(catalog):
    obs = run(catalog, [], T(6, 21), tasks=["D06", "D09"], units=[GX])
    assert {(k[0], k[1]) for k in obs} == {("D06", GX)}


def test_copies_of_one_file_count_once(catalog):
    a = Submitted("工信局/11/第一轮/案例.pdf", D(6, 4), T(6, 2), pdf(), sha="aaa")
    b = Submitted("工信局/11/第一轮/案例 - 副本.pdf", D(6, 4), T(6, 3), pdf(), sha="aaa")
    obs = evaluate(catalog, {("D11", GX): [a, b]}, T(6, 5), {}, tasks={"D11"})
    o = next(o for o in obs if o.round == D(6, 4) and o.unit == GX)
    assert o.status == "partial" and any("已报送 1 份，要求不少于 2 份" in p for p in o.problems)
    assert "“案例 - 副本.pdf”与“案例.pdf”内容相同，只计一次" in o.problems


def test_one_word_file_can_hold_the_plan_and_its_links(catalog):
    unit = "区发改局"
    both = ("D22", unit, "发改局/22/方案及报道.docx", None, T(6, 18), docx(links=["http://news.example/a"]))
    assert run(catalog, [both], T(6, 21), tasks=["D22"])[("D22", unit, D(6, 20))].status == "ok"


def test_a_ledger_of_another_template_is_not_called_blank(catalog):
    unit = "区行政审批局"
    other = Facts(
        kind="xlsx",
        ok=True,
        ledgers=[
            LedgerFacts(sheet="Sheet1", template="附件2-1", header_row=3, rows=12),
            LedgerFacts(sheet="Sheet1", template="附件2-2", header_row=0, rows=0, missing_headers=["是否履约践诺"]),
        ],
    )
    files = [
        ("D07", unit, "审批局/07/第一轮/承诺台账.xlsx", D(6, 10), T(6, 9), other),
        ("D07", unit, "审批局/07/第一轮/制度.docx", D(6, 10), T(6, 9), docx()),
    ]
    o = run(catalog, files, T(6, 11), tasks=["D07"])[("D07", unit, D(6, 10))]
    assert o.status == "partial"
    assert not any("空白模板" in p for p in o.problems)
    assert any(p.startswith("缺少信用承诺履约践诺情况信息台账（模板 附件2-2") for p in o.problems)


def test_duplicate_rows_and_unreadable_dates_do_not_count(catalog):
    dup = ledger(
        "附件7", 205, duplicate_uscc=["91370102MA3C0000X0（第5、9行）"], duplicate_uscc_count=3, duplicate_extra_rows=6
    )
    o = run(catalog, [("D20", GX, "工信局/20/第一轮/a.xlsx", D(6, 4), T(6, 1), dup)], T(6, 5), tasks=["D20"])
    (ob,) = [x for x in o.values() if x.round == D(6, 4)]
    assert (
        ob.status == "partial"
        and "台账有效数据 199 条" in ob.problems[0]
        and "其中 6 行与其他行重复（统一社会信用代码相同，只计一次）" in ob.problems[1]
    )
    unit = "区财政局"
    dates = ledger("双公示台账", 10, bad_dates=2)
    (o,) = run(
        catalog, [("D08", unit, "财政局/08/a.xlsx", None, T(6, 1), dates)], T(6, 5), tasks=["D08"], units=[unit]
    ).values()
    assert any("2 行决定日期无法识别为日期" in p for p in o.problems)


def test_row_keys_loaded_from_the_store_are_packed_and_count_as_before(catalog):
    """Facts read back from the store hold a ledger's row keys as one string (a check loads
    thousands of ledgers at once); the rules count distinct rows across a unit's files the
    same, and the facts are stored again exactly as they were read."""
    import sys

    from duban.evidence.facts import RowKeys

    keys = [f"{i:016x}" for i in range(180)]
    a = ledger("附件7", 120, row_keys=keys[:120], row_yes="y" * 120)
    b = ledger("附件7", 120, row_keys=keys[60:], row_yes="n" * 120)
    loaded = [Facts.from_json(f.to_json()) for f in (a, b)]
    packed = loaded[0].ledgers[0].row_keys
    assert isinstance(packed, RowKeys) and packed == keys[:120] and list(packed) == keys[:120]
    assert packed[0] == keys[0] and packed[-1] == keys[119] and len(packed) == 120
    assert sys.getsizeof(packed.text) * 3 < sum(sys.getsizeof(k) for k in keys[:120])
    assert [f.to_json() for f in loaded] == [a.to_json(), b.to_json()] and loaded == [a, b]

    def judged(facts):
        files = [
            ("D20", GX, f"工信局/20/第一轮/{n}.xlsx", D(6, 4), T(6, 1), f) for n, f in zip("ab", facts, strict=True)
        ]
        (ob,) = [x for x in run(catalog, files, T(6, 5), tasks=["D20"]).values() if x.round == D(6, 4)]
        return ob.status, ob.problems

    status, problems = judged(loaded)
    assert (status, problems) == judged([a, b])
    assert status == "partial" and "台账有效数据 180 条" in problems[0], problems
    assert any("共 240 行（2 个文件合计），其中 60 行与其他行重复" in p for p in problems), problems
    # keys of another width (not made by duban's row_key) stay a plain list
    odd = Facts.from_json(ledger("附件7", 2, row_keys=["a", "b"]).to_json())
    assert odd.ledgers[0].row_keys == ["a", "b"] and type(odd.ledgers[0].row_keys) is list
