"""A realistic shared folder for ``duban demo``: how 35 units really fill it in June 2021.

Built with ``evidence.init_folders`` (the skeleton, instructions and blank templates a real
campaign starts from) and the real file makers of ``duban.testing.samples`` (xlsx ledgers, PDFs,
Word documents, link lists — and broken files). Each file's modification time is its
simulated submission time in June 2021, so one tree serves the whole campaign: a check as
of a round's close sees only what had been handed in by then.

Who does what is deterministic (a seeded random generator over unit profiles: diligent,
average, slow, absent), plus the cases a coordinator meets in real life:

- 区工信局's D20 warehouse ledger has 199 rows in round 1 (200 required), a full one in
  round 2, and round 3 handed in two days late;
- 区工信局's D23 recommended-companies list has a 10 % loan ratio (20 % required);
- 区税务局 and 龙洞街道 hand in nothing at all;
- a corrupt Word file (区住建局), an encrypted workbook (区发改局), an empty file and a PDF
  that is really a Word file;
- a file dropped in a unit folder's root (区卫健局), a folder of a unit that is not on the
  list (区教育局), an Office lock file ``~$…xlsx``; folders named by hand (``D28``, ``第2轮``).

No Prefect here (plain library code, tested without a server).
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duban.evidence.init_folders import init_folders
from duban.evidence.layout import folder_for
from duban.tasks_catalog import Catalog, EvidenceItem, ResolvedTask
from duban.tasks_catalog.views import round_name
from duban.testing import samples

SEED = 2021
ABSENT = ("区税务局", "龙洞街道")
SLOW = ("区城管局", "区公安分局", "姚家街道", "燕山街道")
DILIGENT = ("区发改局", "区市场监管局", "解放路街道", "千佛山街道")
# probabilities of (on time, late, short); the rest is "nothing handed in"
PROFILES = {
    "diligent": (0.96, 0.04, 0.0),
    "average": (0.80, 0.07, 0.06),
    "slow": (0.45, 0.25, 0.10),
    "absent": (0.0, 0.0, 0.0),
}
S07_TOTALS = {
    "解放路街道": (40, 25),
    "千佛山街道": (60, 2),
    "趵突泉街道": (30, 31),
    "泉城路街道": (61, 0),
    "大明湖街道": (25, 10),
    "东关街道": (12, 0),
}  # S07 contracts (PDFs) per round; others none


@dataclass
class DemoTree:
    root: Path
    files: list[Path] = field(default_factory=list)  # every evidence file written (templates excluded)
    cases: list[str] = field(default_factory=list)  # the special cases, for the demo's intro

    def add(self, path: Path) -> Path:
        self.files.append(path)
        return path


def profile(unit: str) -> str:
    if unit in ABSENT:
        return "absent"
    if unit in SLOW:
        return "slow"
    if unit in DILIGENT:
        return "diligent"
    return "average"


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))  # naive: Asia/Shanghai for samples.set_mtime


def _on_time(rng: random.Random, due: dt.date, start: dt.date) -> dt.datetime:
    day = max(due - dt.timedelta(days=rng.randint(0, 4)), start + dt.timedelta(days=1))
    return at(day, rng.randint(9, 17), rng.choice((0, 15, 30, 45)))


def _late(rng: random.Random, due: dt.date) -> dt.datetime:
    return at(due + dt.timedelta(days=rng.randint(1, 4)), rng.randint(9, 17), 30)


def _safe(name: str) -> str:
    return name.replace("/", "／").replace("（PDF，每份合同一个文件）", "")


class Builder:
    def __init__(self, catalog: Catalog, root: Path, seed: int = SEED):
        self.catalog, self.root = catalog, Path(root)
        self.rng = random.Random(seed)
        self.tree = DemoTree(self.root)
        self.start = catalog.campaign.start

    # ------------------------------------------------------------ one evidence item
    def item(
        self,
        folder: Path,
        unit: str,
        rt: ResolvedTask,
        item: EvidenceItem,
        idx: int,
        when: dt.datetime,
        *,
        short: bool = False,
        rows: int | None = None,
        ratio: float | None = None,
    ) -> bool:
        """Write the files for one evidence item; False when 'short' means leaving it out."""
        label = _safe(item.label)
        tag = f"（{round_name(idx)}）" if len(rt.task.rounds) > 1 else ""
        add = self.tree.add
        if item.kind == "ledger":
            n = (
                rows
                if rows is not None
                else (item.min - 1 if short and item.min > 1 else max(item.min, 0) + self.rng.randint(2, 30))
            )
            if short and item.min <= 1 and rows is None:
                return False
            path = folder / f"{label}{tag}.xlsx"
            if item.template:
                tpl = self.catalog.template(item.template)
                kwargs: dict[str, Any] = {}
                if item.ratio is not None:
                    kwargs["yes_ratio"] = ratio if ratio is not None else max(item.ratio.min + 0.1, 0.3)
                if item.window is not None:
                    w = item.window
                    span = (w.end - w.start).days
                    kwargs["dates"] = lambda i, w=w, span=span: w.start + dt.timedelta(days=(i * 7) % (span + 1))
                add(
                    samples.make_ledger_xlsx(
                        path, tpl, n, unit_name=unit, seed=self.rng.randint(0, 10**6), mtime=when, **kwargs
                    )
                )
            else:
                add(samples.make_plain_table_xlsx(path, n, title=f"{unit}{label}", mtime=when))
            return True
        if item.kind == "figures" and item.template:
            tpl = self.catalog.template(item.template)
            values = {f.name: v for f, v in zip(tpl.fields, (52000.0, 6800.0, 520.0))}
            if short:
                values.pop(tpl.fields[-1].name, None)
            add(samples.make_figures_xlsx(folder / f"{label}{tag}.xlsx", tpl, values, mtime=when))
            return True
        if item.kind in ("document", "pdf"):
            n = item.min - 1 if short else item.min
            if n <= 0:
                return False
            for k in range(n):
                name = f"{label}{k + 1 if n > 1 else ''}{tag}"
                if item.kind == "document" and self.rng.random() < 0.15:
                    add(samples.make_docx(folder / f"{name}.docx", [f"{unit}", label, f"第 {k + 1} 份"], mtime=when))
                else:
                    add(
                        samples.make_pdf(
                            folder / f"{name}.pdf",
                            1 + (k % 3),
                            f"{unit}\n{label}\n{folder.name} 第 {k + 1} 份",
                            mtime=when,
                        )
                    )
            return True
        if item.kind == "link":
            if short:
                return False
            urls = [
                f"https://www.creditchina.gov.cn/xinyongdongtai/lixia/{rt.id.lower()}-{zlib.crc32(unit.encode()) % 9999}"
                f"-{i + 1}.html"
                for i in range(max(item.min, 1))
            ]
            add(samples.make_txt_links(folder / f"{label}{tag}.txt", urls, mtime=when))
            return True
        return False

    # ------------------------------------------------------------ one obligation
    def obligation(self, rt: ResolvedTask, unit: str, idx: int, due: dt.date, behaviour: str) -> None:
        folder = self.root / folder_for(rt, unit, due)
        if behaviour == "missing":
            return
        when = _late(self.rng, due) if behaviour == "late" else _on_time(self.rng, due, self.start)
        items = list(rt.task.evidence)
        short_at = self.rng.randrange(len(items)) if behaviour == "short" else -1
        for i, item in enumerate(items):
            self.item(folder, unit, rt, item, idx, when, short=i == short_at)

    def behaviour(self, unit: str) -> str:
        on_time, late, short = PROFILES[profile(unit)]
        x = self.rng.random()
        if x < on_time:
            return "ok"
        if x < on_time + late:
            return "late"
        if x < on_time + late + short:
            return "short"
        return "missing"

    # ------------------------------------------------------------ the whole tree
    def build(self) -> DemoTree:
        cat = self.catalog
        init_folders(self.root, cat)
        special = {
            ("D20", "区工信局"),
            ("D23", "区工信局"),
            ("D23", "区发改局"),
            ("S07", None),
            ("D06", "区住建局"),
            ("D10", "区发改局"),
            ("D28", "区文旅局"),
            ("S03", "千佛山街道"),
        }
        for rt in cat.tasks.values():
            if rt.task.deadline.kind != "rounds" or rt.task.platform or not rt.task.evidence:
                continue
            for unit in rt.leads:
                if (rt.id, unit) in special or (rt.id, None) in special:
                    continue
                for idx, due in enumerate(rt.task.rounds):
                    b = self.behaviour(unit)  # always draw, so profiles stay stable
                    self.obligation(rt, unit, idx, due, b)
        self.specials()
        return self.tree

    def specials(self) -> None:
        cat, root, add, cases = self.catalog, self.root, self.tree.add, self.tree.cases
        d20 = cat.task("D20")
        ledger = d20.task.evidence[0]
        r1, r2, r3 = d20.task.rounds
        self.item(
            root / folder_for(d20, "区工信局", r1),
            "区工信局",
            d20,
            ledger,
            0,
            at(r1 - dt.timedelta(days=1), 16),
            rows=ledger.min - 1,
        )
        add(
            samples.make_empty(
                root / folder_for(d20, "区工信局", r1) / f"~${_safe(ledger.label)}（第一轮）.xlsx",
                mtime=at(r1 - dt.timedelta(days=1), 16),
            )
        )  # an Office lock file: ignored
        self.item(
            root / folder_for(d20, "区工信局", r2),
            "区工信局",
            d20,
            ledger,
            1,
            at(r2 - dt.timedelta(days=2), 10),
            rows=ledger.min + 52,
        )
        self.item(
            root / folder_for(d20, "区工信局", r3),
            "区工信局",
            d20,
            ledger,
            2,
            at(r3 + dt.timedelta(days=2), 11),
            rows=ledger.min + 10,
        )
        cases.append(
            f"区工信局 D20 仓储物流台账：第一轮只有 {ledger.min - 1} 条（要求不少于 {ledger.min} 条），"
            f"第二轮按时报齐，第三轮晚交两天；另有 Office 临时文件 ~$… 不计入"
        )

        d23 = cat.task("D23")
        item = d23.task.evidence[0]
        due = d23.task.rounds[0]
        self.item(
            root / folder_for(d23, "区工信局", due),
            "区工信局",
            d23,
            item,
            0,
            at(due - dt.timedelta(days=3), 15),
            rows=30,
            ratio=0.1,
        )
        self.item(
            root / folder_for(d23, "区发改局", due),
            "区发改局",
            d23,
            item,
            0,
            at(due - dt.timedelta(days=2), 9),
            rows=30,
            ratio=0.3,
        )
        cases.append("区工信局 D23 信易贷推荐名单：获贷比例 10%（要求 20% 以上）；区发改局 30%")

        s07 = cat.task("S07")
        pdf = s07.task.evidence[0]
        for unit, counts in S07_TOTALS.items():
            for idx, (due, n) in enumerate(zip(s07.task.rounds, counts)):
                folder = root / folder_for(s07, unit, due)
                for k in range(n):
                    add(
                        samples.make_pdf(
                            folder / f"合同{idx + 1}-{k + 1:02d}.pdf",
                            1,
                            f"{unit}\n{pdf.label}\n合同编号 {idx + 1}-{k + 1}",
                            mtime=_on_time(self.rng, due, self.start),
                        )
                    )
        cases.append(f"S07 合同 PDF（两轮累计不少于 {pdf.min} 份）：6 个街道报送，数量不一，其余街道未报")

        d06 = cat.task("D06")
        due = d06.task.rounds[0]
        add(
            samples.make_corrupt(
                root / folder_for(d06, "区住建局") / "信用制度文件清单.docx", mtime=at(due - dt.timedelta(days=1), 11)
            )
        )
        cases.append("区住建局 D06：上传的 Word 文件已损坏（被拒绝，不计入）")

        d10 = cat.task("D10")
        due = d10.task.rounds[0]
        folder = root / folder_for(d10, "区发改局")
        doc, ledger = d10.task.evidence[0], d10.task.evidence[1]
        self.item(folder, "区发改局", d10, doc, 0, at(due - dt.timedelta(days=2), 10))
        add(
            samples.make_encrypted_xlsx(
                folder / f"{_safe(ledger.label)}.xlsx", "lixia2021", mtime=at(due - dt.timedelta(days=2), 10)
            )
        )
        cases.append("区发改局 D10：台账加了密码（被拒绝，不计入）")

        d28 = cat.task("D28")
        due = d28.task.rounds[0]
        hand = root / "区文旅局" / "D28"  # a folder named by hand, still mapped to task D28
        self.item(hand, "区文旅局", d28, d28.task.evidence[0], 0, at(due - dt.timedelta(days=1), 17))
        add(
            samples.make_disguised(
                root / folder_for(d28, "区文旅局") / "联合奖惩案例.pdf",
                "docx",
                mtime=at(due - dt.timedelta(days=1), 17),
            )
        )
        cases.append("区文旅局 D28：自建文件夹 “D28” 可识别；另一个 “.pdf” 实为 Word 文件（被拒绝）")

        s03 = cat.task("S03")
        doc = s03.task.evidence[0]
        for idx, due in enumerate(s03.task.rounds):
            folder = root / folder_for(s03, "千佛山街道") / f"第{idx + 1}轮"  # 第2轮 = 第二轮
            self.item(folder, "千佛山街道", s03, doc, idx, at(due - dt.timedelta(days=1), 10))
        add(
            samples.make_empty(
                root / folder_for(s03, "千佛山街道") / "第1轮" / "活动照片说明.docx",
                mtime=at(s03.task.rounds[0] - dt.timedelta(days=1), 10),
            )
        )
        cases.append("千佛山街道 S03：轮次文件夹写成 “第1轮”“第2轮” 可识别；一个空文件被拒绝")

        d13 = cat.task("D13")
        add(
            samples.make_docx(
                root / "区卫健局" / "诚信宣传活动总结.docx",
                ["放错位置的文件：应放进任务文件夹"],
                mtime=at(d13.task.rounds[0] - dt.timedelta(days=1), 9),
            )
        )
        cases.append("区卫健局：一个文件放在单位文件夹根目录（列为未识别，不计入）")
        add(
            samples.make_pdf(
                root / "区教育局" / "06-信用制度文件梳理修订" / "制度清单.pdf",
                1,
                "区教育局",
                mtime=at(dt.date(2021, 6, 8), 9),
            )
        )
        cases.append("区教育局：不在责任单位名录中的文件夹（列为未识别）")
        cases.append(f"{'、'.join(ABSENT)}：整个督办期一份材料也没交")


def build_tree(catalog: Catalog, root: Path | str, *, seed: int = SEED) -> DemoTree:
    """Lay out ``root`` with init-folders and fill it as the units would (see the module doc)."""
    return Builder(catalog, Path(root), seed).build()
